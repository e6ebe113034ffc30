/*
 * lib/jobs: the long operations (export; later import, migrate, announce),
 * built from the session layer, the kinds codec and the XEP-0227 writer.
 * Private to lib/jobs.
 */
#ifndef XPORTA_JOBS_JOBS_P_H
#define XPORTA_JOBS_JOBS_P_H

#include <signal.h>

#include "../model/xp_model.h"
#include "../xmpp/xmpp.h"

struct xporta_account {
    char *jid;
    char *password;
    char *host;
    unsigned short port;
    char *cafile;
    bool insecure;
};

enum job_type { JOB_EXPORT = 1 };

struct xporta_job {
    enum job_type type;
    struct xp_err err;
    volatile sig_atomic_t cancel;
    xporta_progress_cb progress;
    void *progress_ud;
    double t0;
    double last_progress;
    uint32_t kinds;
    bool resumed;
    struct {
        xporta_kind_state state;
        uint64_t count;
        char *note;
    } kind[XPORTA_KIND_COUNT];

    /* export */
    xporta_account *account;
    char *path;
    char **private_ns; /* "{ns}name" */
    size_t nprivate;
    char *since, *until;
    unsigned parallel;
};

double job_now(void);
/* Reports progress (throttled to a few calls per second unless `force`). */
void job_progress(xporta_job *j, const char *phase, xporta_kind kind,
                  uint64_t done, uint64_t total, double fraction, double rate,
                  const char *message, bool force);
void job_note(xporta_job *j, xporta_kind k, const char *fmt, ...)
    XP_PRINTF(3, 4);
void job_set_state(xporta_job *j, xporta_kind k, xporta_kind_state st);
/* Opens a session for the account (detail of failures in j->err). */
xporta_status job_connect(xporta_job *j, struct xp_session **out);

xporta_status export_run(xporta_job *j);

#endif
