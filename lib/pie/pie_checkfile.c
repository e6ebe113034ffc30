/*
 * xporta_check_file: one file through a reader and a checker, on one core or
 * on two.  The work, and the proof that two threads say what one would, is
 * the pass's (pie_pass.c); checking is a pass whose second half only checks.
 */
#include <string.h>

#include "pie_p.h"

xporta_status xporta_check_file(const char *path,
                                const xporta_check_options *opt,
                                xporta_check_result *res)
{
    if (!path || !res)
        return XPORTA_EINVAL;
    memset(res, 0, sizeof *res);
    xporta_pass_options po = {.keep_going = true};
    if (opt)
        po.check = *opt;
    xporta_pass *p;
    xporta_status st = xporta_pass_open(&p, path, &po, NULL);
    if (st != XPORTA_OK)
        return st;
    for (;;) {
        xporta_pie_event ev;
        if (xporta_pass_next(p, &ev) != XPORTA_OK || ev == XPORTA_PIE_END)
            break;
    }
    xporta_pass_result(p, res);
    xporta_pass_free(p);
    return XPORTA_OK;
}
