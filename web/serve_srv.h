/* xporta serve: the server, its jobs and their event streams (web/). */
#ifndef XPORTA_WEB_SERVE_SRV_H
#define XPORTA_WEB_SERVE_SRV_H

#include <limits.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "serve.h"
#include "serve_p.h"

enum { XS_SESSIONS = 16, XS_ID_LEN = 22 };

enum xs_type { XS_MIGRATE = 0, XS_EXPORT, XS_IMPORT };
enum xs_state {
    XS_RUNNING = 0,
    XS_WAITING, /* a step is done; the next waits for the person */
    XS_DONE,
    XS_FAILED,
    XS_CANCELED,
    XS_INTERRUPTED, /* serve stopped while it ran: resumable */
};

struct xs_acct {
    char jid[256];
    char host[256];
    unsigned short port;
    char *password; /* only in memory, only while a step needs it */
};

struct xs_server;
struct xs_job;

/* An SSE connection reading a job's event log. */
struct xs_stream {
    struct xs_job *j;
    struct MHD_Connection *c;
    struct xs_stream *next_parked;
    uint64_t next; /* the next line to send (1-based) */
    bool parked, ping;
};

struct xs_job {
    struct xs_server *srv;
    struct xs_job *next_job;
    char id[XS_ID_LEN + 1];
    enum xs_type type;
    enum xs_state state;
    char stage[16]; /* the step running or last run */
    char next[16];  /* with XS_WAITING: the step offered next */
    char message[1024];
    char file_name[128]; /* import: the uploaded file's display name */
    uint64_t file_size;
    double created, waiting_since;
    struct xs_acct a, b; /* migrate: old, new; export and import: a */
    char dir[3100];
    /* The event log: events.jsonl, append-only, and where each line
     * starts (the SSE id is the line number, from 1). */
    int ev_fd;
    uint64_t nlines;
    off_t *offs;
    size_t offs_cap;
    off_t end;
    unsigned items; /* item lines of the step running (ceiling) */
    struct xs_stream *parked;
    xporta_job *lj; /* the library's job while a step runs */
    pthread_t th;
    bool th_started, th_done, deleted;
    double last_progress;
    char owner[256]; /* portal mode: the account whose job it is */
};

struct xs_server {
    struct MHD_Daemon *d;
    unsigned port;
    char token[XS_TOKEN_LEN + 1];
    struct {
        char sid[XS_TOKEN_LEN + 1], csrf[XS_TOKEN_LEN + 1];
        double used;
    } sess[XS_SESSIONS];
    char root[3000]; /* STATE/serve (shorter than PATH_MAX: paths under it fit)
                      */
    uint64_t max_upload;
    unsigned max_jobs;
    const char *cafile;
    bool insecure;
    pthread_mutex_t mu; /* jobs, streams, sessions */
    struct xs_job *jobs;
    unsigned running, streams;
    bool stopping;
    FILE *err;
    struct xs_portal *portal; /* portal mode (serve_portal.c), else NULL */
};

double xs_now(void);

/* One request, between the calls of the access handler. */
enum { AUTH_NONE = 0, AUTH_SESSION, AUTH_BEARER, AUTH_TOKEN };
enum { REQ_PLAIN = 0, REQ_JSON, REQ_UPLOAD };
struct xs_req {
    int auth, sess, kind;
    struct xs_buf body;
    bool too_big, over;
    int fd;
    char part[PATH_MAX];
    uint64_t got, length;
    char name[128];
    char owner[256];                 /* portal mode: the session's account */
    struct xs_login *login;          /* portal mode: a login being checked */
    char unlink_done[PATH_MAX + 16]; /* portal: removed once sent whole */
};

/* serve_http.c */
void xs_headers(struct MHD_Response *r, bool no_store);
enum MHD_Result xs_send_mem(struct MHD_Connection *c, unsigned code,
                            const char *type, const char *body, size_t len);
enum MHD_Result xs_send_error(struct MHD_Connection *c, unsigned code,
                              const char *words);
/* Sends and frees b. */
enum MHD_Result xs_send_json(struct MHD_Connection *c, unsigned code,
                             struct xs_buf *b);
enum MHD_Result xs_access(void *cls, struct MHD_Connection *c, const char *url,
                          const char *method, const char *version,
                          const char *data, size_t *size, void **con_cls);
void xs_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                  enum MHD_RequestTerminationCode toe);

/* serve_api.c: the answer, on the last call */
enum MHD_Result xs_route(struct xs_server *s, struct MHD_Connection *c,
                         const char *url, const char *method, struct xs_req *q);
/* An import job for a complete upload (q->part), its check started. */
enum MHD_Result xs_upload_done(struct xs_server *s, struct MHD_Connection *c,
                               struct xs_req *q);

/* serve_history.c: GET /history/ID/PATH, the pages `xporta history` wrote
 * from an export (the step "history"). */
enum MHD_Result xs_history_file(struct xs_server *s, struct MHD_Connection *c,
                                const char *rest);

/* serve_assets.c (generated at build time from web/assets/) */
struct xs_asset {
    const char *path, *type;
    const unsigned char *data;
    size_t len;
};
extern const struct xs_asset xs_assets[];
/* The embedded file at `path` ("/app.js"), or NULL. */
const struct xs_asset *xs_asset_find(const char *path);

/* serve_jobs.c (under srv->mu unless said otherwise) */
int xs_jobs_load(struct xs_server *s);
struct xs_job *xs_job_find(struct xs_server *s, const char *id);
/* A new job with its directory and event log; NULL on failure. */
struct xs_job *xs_job_new(struct xs_server *s, enum xs_type type);
void xs_job_save(struct xs_job *j);
/* Starts `step` in a worker.  NULL, or why not in words (*code: the HTTP
 * status). */
const char *xs_job_start(struct xs_job *j, const char *step, int *code);
/* The job as the API shows it. */
void xs_job_json(struct xs_buf *b, const struct xs_job *j);
/* Cancels a running step; a job at rest is deleted with its files. */
bool xs_job_delete(struct xs_job *j);
void xs_acct_clear_password(struct xs_acct *a);
/* An export whose file is complete (downloadable, readable as history). */
bool xs_job_has_export(const struct xs_job *j);
/* Appends one event line (a JSON object, no newline); takes srv->mu. */
void xs_emit(struct xs_job *j, const char *line, size_t len);
void xs_emitf_stage(struct xs_job *j);
/* Wakes every parked stream (heartbeat, shutdown). */
void xs_jobs_wake(struct xs_server *s);
/* Cancels every step and joins the workers (not under srv->mu). */
void xs_jobs_stop(struct xs_server *s);
void xs_jobs_expire(struct xs_server *s);
void xs_jobs_free(struct xs_server *s);

/* serve_sse.c */
/* Resumes every stream parked on j (under srv->mu). */
void xs_wake_locked(struct xs_job *j, bool ping);
struct MHD_Response *xs_sse_response(struct xs_job *j, struct MHD_Connection *c,
                                     uint64_t after, int *code);

/* serve_run.c: the steps, in the worker threads (not under srv->mu) */
xporta_status xs_run_step(struct xs_job *j, const char *step, struct xs_acct *a,
                          struct xs_acct *b, char *msg, size_t cap, char *next,
                          size_t ncap);

/* serve_portal.c: portal mode (s->portal set).  See serve_portal.c. */
struct xs_portal;
struct xs_login;
int xs_portal_init(struct xs_server *s, const struct xs_options *o, FILE *err);
/* The address to listen on (a sockaddr_in or sockaddr_in6), its length. */
const struct sockaddr *xs_portal_addr(struct xs_server *s, bool *v6);
void xs_portal_started(struct xs_server *s, FILE *out);
/* The first call of a request: Host, session, Origin/CSRF of writes, the
 * quotas of new work.  False with *res when refused (answered). */
bool xs_portal_auth(struct xs_server *s, struct MHD_Connection *c,
                    const char *url, const char *method, struct xs_req *q,
                    enum MHD_Result *res);
/* The portal's own routes and the job gate: true with *res when
 * answered. */
bool xs_portal_route(struct xs_server *s, struct MHD_Connection *c,
                     const char *url, const char *method, struct xs_req *q,
                     enum MHD_Result *res);
/* The accounts a job of the session's owner may use (see serve_portal.c);
 * fills in the server of the owner's account.  NULL or words. */
const char *xs_portal_accounts(struct xs_server *s, const char *owner,
                               enum xs_type t, struct xs_acct *a,
                               struct xs_acct *b);
/* Under srv->mu: whether one more step of `j` may run (per account). */
const char *xs_portal_can_start(struct xs_server *s, const struct xs_job *j,
                                int *code);
/* The worker of an import's plan/run: the archive and offline messages
 * through the store.  Appends a sentence to msg. */
xporta_status xs_portal_history(struct xs_job *j, bool dry,
                                void (*line)(void *, const char *, size_t),
                                char *msg, size_t cap);
/* Each second, under srv->mu: sessions and files past their time. */
void xs_portal_sweep(struct xs_server *s);
/* Waits for the logins being checked (not under srv->mu). */
void xs_portal_stop(struct xs_server *s);
void xs_portal_free(struct xs_server *s);
void xs_portal_login_free(struct xs_login *l);

const char *xs_state_name(enum xs_state s);
const char *xs_type_name(enum xs_type t);

#endif
