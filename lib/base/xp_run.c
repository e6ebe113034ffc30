/* The run context of a long operation (xp_base.h, "runs"). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "xp_base.h"

double xp_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void xp_run_progress(struct xp_run *r, const char *phase, xporta_kind kind,
                     uint64_t done, uint64_t total, double fraction,
                     double rate, const char *message, bool force)
{
    if (!r->progress)
        return;
    double now = xp_now();
    if (!force && now - r->last_progress < 0.25)
        return;
    r->last_progress = now;
    xporta_progress p = {r->step,  phase, kind,        done,   total,
                         fraction, rate,  now - r->t0, message};
    r->progress(&p, r->progress_ud);
}

void xp_run_note(struct xp_run *r, xporta_kind k, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    free(r->kind[k].note);
    r->kind[k].note = xp_strdup(buf);
}

void xp_run_set_state(struct xp_run *r, xporta_kind k, xporta_kind_state st)
{
    r->kind[k].state = st;
}

void xp_run_reset_kinds(struct xp_run *r)
{
    for (unsigned k = 0; k < XPORTA_KIND_COUNT; k++) {
        r->kind[k].state = XPORTA_STATE_NOT_ASKED;
        r->kind[k].count = 0;
        free(r->kind[k].note);
        r->kind[k].note = NULL;
    }
}

void xp_run_cleanup(struct xp_run *r)
{
    for (unsigned k = 0; k < XPORTA_KIND_COUNT; k++) {
        free(r->kind[k].note);
        r->kind[k].note = NULL;
    }
}
