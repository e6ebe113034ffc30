/*
 * lib/jobs/job_check.c: does this password open this account?  One SASL
 * login and a polite close (xporta_account_check in xporta.h), for a
 * portal's login form: it must tell a wrong password from a server it
 * cannot reach.
 */
#include <stdio.h>

#include "jobs_p.h"

xporta_status xporta_account_check(xporta_account *a, char *why, size_t cap)
{
    if (why && cap)
        why[0] = '\0';
    if (!a)
        return XPORTA_EINVAL;
    struct xp_err err = {0};
    struct xp_session_opts so;
    job_session_opts(a, &so);
    struct xp_session *s = NULL;
    xporta_status st = xp_session_open(&s, &so, &err);
    if (s)
        xp_session_close(s);
    if (st != XPORTA_OK && why && cap) {
        const char *lead =
            st == XPORTA_EAUTH  ? "the server refused the password (or there "
                                  "is no such account)"
            : st == XPORTA_ETLS ? "the secure connection failed"
            : st == XPORTA_ENET ? "the server cannot be reached"
            : st == XPORTA_ETIMEOUT ? "the server did not answer in time"
                                    : "the login failed";
        snprintf(why, cap, "%s: %s", lead,
                 err.msg[0] ? err.msg : xporta_strerror(st));
    }
    return st;
}
