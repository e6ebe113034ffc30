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
#include "../xmpp/xmpp_kinds.h"

struct xporta_account {
    char *jid;
    char *password;
    char *host;
    unsigned short port;
    char *cafile;
    bool insecure;
};

enum job_type {
    JOB_EXPORT = 1,
    JOB_IMPORT,
    JOB_MIGRATE,
    JOB_READ,
    JOB_ANNOUNCE,
    JOB_FOLLOW
};

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
    bool export_committed; /* the export's file is complete at `path` */
    char *export_refused;  /* migrate: kinds the old server refused */
    const char *step;      /* for progress: "export", "import" */

    /* import, migrate */
    xporta_account *target;
    char *user;
    char **renames; /* from, to, from, to, ... */
    size_t nrenames;
    char *backup;
    bool backup_replace;
    bool dry_run;
    bool verify;
    bool verified;
    xporta_conflict conflict;
    unsigned include;
    char *state_dir;      /* asked for */
    char *state_dir_used; /* in use */
    xporta_action_cb action;
    void *action_ud;
    /* read */
    xporta_record_cb record_cb;
    void *record_ud;
    /* announce, follow */
    bool announce; /* migrate: announce after import */
    xporta_moved_access moved_access;
    unsigned rate;
    bool watch;
    bool remove_old;
    xporta_contact_cb contact_cb;
    void *contact_ud;
    xporta_moved_counts mc;
    xporta_import_counts ic[XPORTA_KIND_COUNT];
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
xporta_status job_connect_account(xporta_job *j, const xporta_account *a,
                                  struct xp_session **out);

/* ---- reading a live account (job_live.c) --------------------------------
 * One session on one account, with the requests that read its small kinds.
 * Records go to `sink`; messages that are not replies (MAM results) go to
 * `on_message`. */
struct live;

struct call {
    struct live *e;
    bool done;
    xporta_status status;
    xp_elem *iq; /* the reply, in e->arena */
    const char *cond, *text;
};

struct live {
    xporta_job *j;
    struct xp_session *s;
    struct xp_arena arena; /* replies and records of the current phase */
    struct xp_arena calls; /* struct call, alive until close */
    char *bare;
    const char *domain;
    char *local;
    bool f_mam;              /* the account offers urn:xmpp:mam:2 */
    bool f_vcard_conversion; /* vCard-temp and PEP vCard4 are one (0398) */
    bool failed_kind;        /* a kind was refused by the server */
    uint32_t kinds;
    xporta_status (*sink)(void *ud, xporta_record *rec);
    void *sink_ud;
    void (*on_message)(void *ud, const xp_elem *msg);
    void *on_message_ud;
    /* every presence received outside the pending collection */
    void (*on_presence)(void *ud, const xp_elem *presence);
    void *on_presence_ud;
    const char *presence_status; /* the status of our initial presence */
    /* PEP nodes whose configuration or items could not be read
     * (live_node_key) */
    struct xp_set bad_nodes;
    /* pending subscription requests, collected after initial presence */
    bool collecting;
    xp_elem **pending;
    size_t npending;
};

typedef xporta_status (*live_decode_fn)(struct xp_arena *a, const xp_elem *iq,
                                        xp_record_fn fn, void *ud);

xporta_status live_open(struct live *e, xporta_job *j,
                        const xporta_account *account, uint32_t kinds);
void live_close(struct live *e);
/* Reads every wanted kind but the archive, in file order, into the sink. */
xporta_status live_read_small(struct live *e);

bool live_cancelled(struct live *e);
uint64_t live_node_key(const char *node);
bool live_want(struct live *e, xporta_kind k);
struct call *live_call(struct live *e, const char *type, const char *to,
                       const xp_elem *payload, unsigned timeout);
xporta_status live_wait(struct live *e, struct call **c, size_t n);
xporta_status live_wait1(struct live *e, struct call *c);
bool live_not_offered(const struct call *c);
bool live_fatal(const struct call *c);
xporta_status live_fatal_error(struct live *e, const struct call *c,
                               const char *what);
void live_kind_failed(struct live *e, xporta_kind k, const struct call *c);
void live_kind_unavailable(struct live *e, xporta_kind k, const char *why);
void live_put(void *ud, xporta_record *rec);
void live_phase(struct live *e, xporta_kind k);
void live_phase_done(struct live *e, xporta_kind k);
xporta_status live_fetch_simple(struct live *e, xporta_kind k,
                                const xp_elem *query, live_decode_fn decode,
                                bool not_found_is_empty);

xporta_status export_run(xporta_job *j);

/* ---- import (job_import.c) and migrate (job_migrate.c) ------------------ */
struct xfer_journal;
/* What a client can write back, as a kind set. */
uint32_t import_restorable(void);
/* Imports the chosen user of `source` into j->target.  With a journal, the
 * plan is kept and the writes journaled in its directory, `spool` being a
 * file there; without, only the plan is made (dry run). */
xporta_status import_into(xporta_job *j, const char *source,
                          struct xfer_journal *jr, const char *spool);
/* Removes the files import_into keeps in the state directory. */
void import_forget(xporta_job *j);
/* A job that stopped before it recorded anything it could resume from
 * (`steps` journal steps are its own start markers, nothing done): its
 * files and state directory go, and xporta_job_state_dir() says none.
 * Otherwise every failed attempt (a wrong password, a file holding
 * several users) would leave a directory behind. */
void job_forget_unstarted(xporta_job *j, struct xfer_journal *jr,
                          uint64_t steps);
/* A private temporary directory for a dry run's spool (caller frees). */
char *job_private_tmpdir(xporta_job *j);
void job_remove_tree(const char *dir);
/* After import_into: failures and verify problems as the job's status. */
xporta_status import_outcome(xporta_job *j);
xporta_status import_run(xporta_job *j);
/* job_moved.c: announce with a journal (announce's own or migrate's). */
xporta_status announce_into(xporta_job *j, struct xfer_journal *jr);
/* migrate --announce: announce in the journal `xporta announce OLD NEW`
 * keeps (so that a later announce knows whom this one asked), or in
 * `fallback` when there is no default state directory. */
xporta_status announce_after_migrate(xporta_job *j,
                                     struct xfer_journal *fallback);
xporta_status announce_run(xporta_job *j);
xporta_status follow_run(xporta_job *j);
xporta_status migrate_run(xporta_job *j);

#endif
