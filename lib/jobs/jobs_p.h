/*
 * lib/jobs: the long operations of the public API (xporta_job): export,
 * import, migrate, read, announce, follow.  Private to lib/jobs.
 *
 * Design note.  job.c holds the objects of the API (accounts, jobs, their
 * setters and answers) and dispatches xporta_job_run through a table; each
 * job_*.c runs one type.  Nothing in lib/jobs is called from below it:
 * the stores and the copy engine report into the job's struct xp_run
 * (lib/base), which the API reads back.  import and migrate are the copy
 * engine (lib/transfer/xfer_copy.h) with a file or a live account as the
 * source and a live account as the target (job_copy.c sets it up); export
 * streams a live account into a new file (job_export.c: it resumes inside
 * the archive, which the engine's spool would write twice); announce and
 * follow are XEP-0283's two sides, above the stores.
 */
#ifndef XPORTA_JOBS_JOBS_P_H
#define XPORTA_JOBS_JOBS_P_H

#include <string.h>

#include "../model/xp_model.h"
#include "../store/store_live.h"
#include "../xmpp/xmpp_kinds.h"

struct xporta_account {
    char *jid;
    char *password;
    char *host;
    unsigned short port;
    char *cafile;
    bool insecure;
};

/* How to log in to `a`, for lib/store (pointers into `a`). */
static inline void job_session_opts(const xporta_account *a,
                                    struct xp_session_opts *o)
{
    memset(o, 0, sizeof *o);
    o->jid = a->jid;
    o->password = a->password ? a->password : "";
    o->host = a->host;
    o->port = a->port;
    o->cafile = a->cafile;
    o->insecure = a->insecure;
}

enum job_type {
    JOB_EXPORT = 1,
    JOB_IMPORT,
    JOB_MIGRATE,
    JOB_READ,
    JOB_ANNOUNCE,
    JOB_FOLLOW,
    JOB_SERVER_IMPORT,
    JOB_SERVER_EXPORT,
    JOB_ROOMS,
    JOB_ROOM_MOVE,
    JOB_HISTORY
};

struct xporta_job {
    enum job_type type;
    /* errors, cancel, progress and the per-kind report (lib/base) */
    struct xp_run r;
    uint32_t kinds;
    bool resumed;

    /* export */
    xporta_account *account;
    char *path;
    struct xp_strv private_ns; /* "{ns}name" */
    char *since, *until;
    unsigned parallel;
    bool export_committed; /* the export's file is complete at `path` */
    char *export_refused;  /* migrate: kinds the old server refused */

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
    /* rooms (job_rooms.c), and migrate's rooms step */
    bool rooms; /* migrate: carry the room affiliations; export: the rooms
                   the user is in */
    bool notify_owners;
    struct xp_strv room_names; /* rooms named by the caller */
    xporta_room_cb room_cb;
    void *room_ud;
    xporta_room_counts rc;
    /* room-move (job_room_move.c) */
    char *old_room, *new_room;
    bool destroy_old;
    char **jid_map; /* from, to, from, to, ... */
    size_t njid_map;
    xporta_note_cb note_cb;
    void *note_ud;
    uint64_t mc_fields, mc_fields_skipped, mc_affiliations,
        mc_affiliations_failed, mc_differs;
    bool mc_created, mc_subject, mc_destroyed;
    /* server import and export (job_server.c) */
    char *source, *target_store; /* store addresses */
    xporta_dialect dialect;
    struct xp_strv users;
    bool strip_secrets;
    char *domain; /* server jobs: the source's domain (ejabberd's default
                     SQL schema does not record it) */
    xporta_account_cb account_cb;
    void *account_ud;
    uint64_t accounts, accounts_failed, accounts_before;
    /* history (job_history.c): the output directory, and what it wrote */
    char *outdir;
    uint64_t hist_messages, hist_conversations, hist_pages;
    /* server-import/export: the MUC services' rooms (XEP-0519) */
    uint64_t rooms_copied, rooms_failed, rooms_before;
    /* the event stream (job_events.c): while it runs, the callbacks above
     * are its wrappers and the caller's own wait here */
    struct {
        xporta_event_cb cb;
        void *ud;
        bool wrapped;
        double t0;
        struct xp_json w;
        xporta_progress_cb progress;
        void *progress_ud;
        xporta_action_cb action;
        void *action_ud;
        xporta_account_cb account;
        void *account_ud;
        xporta_contact_cb contact;
        void *contact_ud;
        xporta_room_cb room;
        void *room_ud;
        xporta_note_cb note;
        void *note_ud;
    } ev;
};

/* ---- the jobs: one function per type (job.c's table) -------------------- */

xporta_status export_run(xporta_job *j);        /* job_export.c */
xporta_status import_run(xporta_job *j);        /* job_import.c */
xporta_status migrate_run(xporta_job *j);       /* job_migrate.c */
xporta_status announce_run(xporta_job *j);      /* job_announce.c */
xporta_status follow_run(xporta_job *j);        /* job_follow.c */
xporta_status server_import_run(xporta_job *j); /* job_server.c */
xporta_status server_export_run(xporta_job *j); /* job_server.c */
xporta_status rooms_run(xporta_job *j);         /* job_rooms.c */
xporta_status room_move_run(xporta_job *j);     /* job_room_move.c */
xporta_status history_run(xporta_job *j);       /* job_history.c */
struct xfer_journal;

/* export --rooms: the rooms the user is in, as XEP-0519 components, into
 * the export's writer after its host (job_export_rooms.c). */
struct xporta_pie_writer;
xporta_status export_rooms(xporta_job *j, struct live *l,
                           struct xporta_pie_writer *w);
/* A new job of that type with the defaults (job.c). */
xporta_job *job_alloc(enum job_type type);
/* migrate: the rooms step, journaled where `xporta rooms OLD NEW` keeps
 * its journal (or in `fallback`), dry when the job is (job_rooms.c). */
xporta_status rooms_after_migrate(xporta_job *j, struct xfer_journal *fallback);

/* ---- the event stream (job_events.c) ------------------------------------ */
/* Around a run: the "start" event and the wrapped callbacks, then the
 * "summary" and the caller's callbacks back (nothing without an event
 * callback). */
void job_events_start(xporta_job *j);
void job_events_end(xporta_job *j, xporta_status st);
/* "add", "replace", ... "differs". */
const char *job_action_name(xporta_action a);

/* ---- shared by import and migrate (job_copy.c) --------------------------- */
struct xfer_journal;
/* What a live account can take back, as a kind set. */
uint32_t job_restorable(void);
/* Copies the chosen user of the XEP-0227 file `source` into j->target
 * with the copy engine.  With a journal, the plan is kept and the writes
 * journaled in j->state_dir_used, `spool` being a file there; without,
 * only the plan is made (dry run). */
xporta_status job_copy_file(xporta_job *j, const char *source,
                            struct xfer_journal *jr, const char *spool);
/* After job_copy_file: refused records and verify problems as a status. */
xporta_status job_copy_outcome(xporta_job *j);
/* Removes the files job_copy_file keeps in the state directory. */
void job_copy_forget(xporta_job *j);
/* A job that stopped before it recorded anything it could resume from
 * (`steps` journal steps are its own start markers, nothing done): its
 * files and state directory go, and xporta_job_state_dir() says none.
 * Otherwise every failed attempt (a wrong password, a file holding
 * several users) would leave a directory behind. */
void job_forget_unstarted(xporta_job *j, struct xfer_journal *jr,
                          uint64_t steps);
/* Opens the job's state directory (j->state_dir, or the default one for
 * `header`) and its journal: the prologue of every journaled job. */
xporta_status job_journal_open(xporta_job *j, const char *header, bool *resumed,
                               struct xfer_journal **jr);

/* ---- XEP-0283 (job_moved.c, shared by job_announce.c and job_follow.c) -- */
/* migrate --announce: announce in the journal `xporta announce OLD NEW`
 * keeps (so that a later announce knows whom this one asked), or in
 * `fallback` when there is no default state directory. */
xporta_status announce_after_migrate(xporta_job *j,
                                     struct xfer_journal *fallback);

#endif
