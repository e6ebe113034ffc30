/*
 * Running ejabberdctl (the ejabberd+mnesia store): the command the user
 * named, with arguments as an argv (no shell), its output captured up to a
 * ceiling, within a time limit.  Library code never prints: the output is
 * handed back for the caller's messages.
 */
#ifndef XPORTA_STORE_EJD_CTL_H
#define XPORTA_STORE_EJD_CTL_H

#include "../model/xp_model.h"

/* What ejabberdctl printed (stdout and stderr together, the first
 * EJD_CTL_MAX_OUTPUT bytes, NUL-terminated) and how it ended. */
#define EJD_CTL_MAX_OUTPUT (256u * 1024)
struct ejd_ctl_out {
    char *text;
    size_t len;
    bool truncated;
    int exit_code; /* -1: killed by a signal, or the time limit */
    bool timed_out;
};

/* Runs `ctl` with `args` (NULL-terminated, without argv[0]) for at most
 * `timeout_s` seconds (then it is killed).  XPORTA_OK once it ran, whatever
 * its exit code; an error (run->err) when it could not be started. */
xporta_status ejd_ctl_run(const char *ctl, const char *const *args,
                          unsigned timeout_s, struct ejd_ctl_out *out,
                          struct xp_err *err);
void ejd_ctl_out_free(struct ejd_ctl_out *out);

/* The output's last line that says something, for a message (at most
 * `cap` bytes, in `buf`). */
const char *ejd_ctl_tail(const struct ejd_ctl_out *out, char *buf, size_t cap);

#endif
