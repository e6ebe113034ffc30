/* xporta serve: the job table.  Each job is a directory
 * STATE/serve/jobs/ID/ with job.json (what it is, never a password) and
 * events.jsonl (its event log, append-only); its steps run one at a time
 * in a worker thread.  Everything here runs under srv->mu unless said. */
#define _GNU_SOURCE /* O_CLOEXEC on old libcs, dirent d_type */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "serve_srv.h"

static const char *const state_names[] = {"running", "waiting",  "done",
                                          "failed",  "canceled", "interrupted"};
static const char *const type_names[] = {"migrate", "export", "import"};

const char *xs_state_name(enum xs_state s)
{
    return state_names[s];
}

const char *xs_type_name(enum xs_type t)
{
    return type_names[t];
}

double xs_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void xs_acct_clear_password(struct xs_acct *a)
{
    if (a->password) {
        volatile char *p = a->password;
        while (*p)
            *p++ = 0;
        free(a->password);
        a->password = NULL;
    }
}

static void path_of(const struct xs_job *j, const char *name, char *out,
                    size_t cap)
{
    snprintf(out, cap, "%s/%s", j->dir, name);
}

bool xs_job_has_export(const struct xs_job *j)
{
    if (j->type != XS_EXPORT || j->deleted ||
        (j->state == XS_RUNNING && strcmp(j->stage, "run") == 0))
        return false;
    char path[PATH_MAX + 16];
    path_of(j, "export.xml", path, sizeof path);
    return access(path, R_OK) == 0;
}

/* ---- the event log ------------------------------------------------------- */

static int note_line(struct xs_job *j, off_t start)
{
    if (j->nlines + 1 > j->offs_cap) {
        size_t cap = j->offs_cap ? j->offs_cap * 2 : 256;
        off_t *o = realloc(j->offs, cap * sizeof *o);
        if (!o)
            return -1;
        j->offs = o;
        j->offs_cap = cap;
    }
    j->offs[j->nlines++] = start;
    return 0;
}

static void emit_locked(struct xs_job *j, const char *line, size_t len)
{
    if (j->ev_fd < 0 || j->deleted)
        return;
    struct xs_buf b = {0};
    xs_buf_add(&b, line, len);
    xs_buf_add(&b, "\n", 1);
    if (b.oom) {
        xs_buf_free(&b);
        return;
    }
    off_t start = j->end;
    size_t done = 0;
    while (done < b.n) {
        ssize_t n = write(j->ev_fd, b.p + done, b.n - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    xs_buf_free(&b);
    if (done == len + 1 && note_line(j, start) == 0)
        j->end += (off_t)done;
    else if (ftruncate(j->ev_fd, j->end) != 0) /* a torn line is dropped */
        j->end = lseek(j->ev_fd, 0, SEEK_END);
    xs_wake_locked(j, false);
}

void xs_emit(struct xs_job *j, const char *line, size_t len)
{
    pthread_mutex_lock(&j->srv->mu);
    emit_locked(j, line, len);
    pthread_mutex_unlock(&j->srv->mu);
}

/* {"event":"stage","v":1,...}: where the job stands, after each change. */
static void stage_line(struct xs_buf *b, const struct xs_job *j)
{
    xs_buf_str(b, "{\"event\":\"stage\",\"v\":1,\"stage\":");
    xs_buf_jstr(b, j->stage, 64);
    xs_buf_str(b, ",\"state\":");
    xs_buf_jstr(b, xs_state_name(j->state), 64);
    if (j->next[0]) {
        xs_buf_str(b, ",\"next\":");
        xs_buf_jstr(b, j->next, 64);
    }
    if (j->message[0]) {
        xs_buf_str(b, ",\"message\":");
        xs_buf_jstr(b, j->message, 1024);
    }
    xs_buf_str(b, "}");
}

static void emit_stage_locked(struct xs_job *j)
{
    struct xs_buf b = {0};
    stage_line(&b, j);
    if (!b.oom)
        emit_locked(j, b.p, b.n);
    xs_buf_free(&b);
}

void xs_emitf_stage(struct xs_job *j)
{
    pthread_mutex_lock(&j->srv->mu);
    emit_stage_locked(j);
    pthread_mutex_unlock(&j->srv->mu);
}

/* ---- job.json ------------------------------------------------------------ */

static void acct_json(struct xs_buf *b, const char *key,
                      const struct xs_acct *a)
{
    xs_buf_printf(b, ",\"%s\":{\"jid\":", key);
    xs_buf_jstr(b, a->jid, sizeof a->jid);
    xs_buf_str(b, ",\"host\":");
    xs_buf_jstr(b, a->host[0] ? a->host : NULL, sizeof a->host);
    xs_buf_printf(b, ",\"port\":%u,\"password_held\":%s}", a->port,
                  a->password ? "true" : "false");
}

void xs_job_json(struct xs_buf *b, const struct xs_job *j)
{
    xs_buf_str(b, "{\"id\":");
    xs_buf_jstr(b, j->id, 64);
    xs_buf_printf(b, ",\"type\":\"%s\",\"state\":\"%s\",\"stage\":",
                  xs_type_name(j->type), xs_state_name(j->state));
    xs_buf_jstr(b, j->stage, 64);
    xs_buf_str(b, ",\"next\":");
    xs_buf_jstr(b, j->next[0] ? j->next : NULL, 64);
    xs_buf_str(b, ",\"message\":");
    xs_buf_jstr(b, j->message[0] ? j->message : NULL, sizeof j->message);
    xs_buf_printf(b, ",\"created\":%.0f,\"events\":%llu", j->created,
                  (unsigned long long)j->nlines);
    if (j->type == XS_MIGRATE) {
        acct_json(b, "old", &j->a);
        acct_json(b, "new", &j->b);
    } else if (j->a.jid[0]) {
        acct_json(b, "account", &j->a);
    }
    if (j->owner[0]) {
        xs_buf_str(b, ",\"owner\":");
        xs_buf_jstr(b, j->owner, sizeof j->owner);
    }
    if (j->type == XS_IMPORT) {
        xs_buf_str(b, ",\"file\":{\"name\":");
        xs_buf_jstr(b, j->file_name, sizeof j->file_name);
        xs_buf_printf(b, ",\"size\":%llu}", (unsigned long long)j->file_size);
    }
    char path[PATH_MAX + 16];
    struct stat st;
    path_of(j, "export.xml", path, sizeof path);
    if (xs_job_has_export(j) && stat(path, &st) == 0)
        xs_buf_printf(b,
                      ",\"download\":{\"href\":\"/api/jobs/%s/file\","
                      "\"size\":%lld}",
                      j->id, (long long)st.st_size);
    else
        xs_buf_str(b, ",\"download\":null");
    path_of(j, "history/index.html", path, sizeof path);
    if (j->type == XS_EXPORT && stat(path, &st) == 0 &&
        !(j->state == XS_RUNNING && strcmp(j->stage, "history") == 0))
        xs_buf_printf(b, ",\"history\":\"/history/%s/\"", j->id);
    else
        xs_buf_str(b, ",\"history\":null");
    xs_buf_str(b, "}");
}

/* Written to a temporary name, synced, renamed.  Passwords are never in
 * it (acct_json says only whether one is held; that is left out here). */
void xs_job_save(struct xs_job *j)
{
    struct xs_buf b = {0};
    xs_job_json(&b, j);
    char path[PATH_MAX + 16], tmp[PATH_MAX + 16];
    path_of(j, "job.json", path, sizeof path);
    path_of(j, "job.json.tmp", tmp, sizeof tmp);
    int fd =
        b.oom ? -1 : open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0) {
        bool ok = write(fd, b.p, b.n) == (ssize_t)b.n && fsync(fd) == 0;
        ok = close(fd) == 0 && ok;
        if (!ok || rename(tmp, path) != 0)
            unlink(tmp);
    }
    xs_buf_free(&b);
}

static void acct_load(struct xs_acct *a, const struct xs_json *js,
                      const char *key)
{
    char k[64];
    snprintf(k, sizeof k, "%s.jid", key);
    const char *v = xs_json_str(js, k);
    snprintf(a->jid, sizeof a->jid, "%s", v ? v : "");
    snprintf(k, sizeof k, "%s.host", key);
    v = xs_json_str(js, k);
    snprintf(a->host, sizeof a->host, "%s", v ? v : "");
    snprintf(k, sizeof k, "%s.port", key);
    a->port = (unsigned short)xs_json_int(js, k, 65535, 0);
}

static int read_small(const char *path, char *buf, size_t cap, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, cap);
    close(fd);
    if (n < 0 || (size_t)n >= cap)
        return -1;
    *len = (size_t)n;
    return 0;
}

static struct xs_job *job_alloc(struct xs_server *s, const char *id)
{
    struct xs_job *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    j->srv = s;
    j->ev_fd = -1;
    snprintf(j->id, sizeof j->id, "%s", id);
    snprintf(j->dir, sizeof j->dir, "%s/jobs/%s", s->root, id);
    return j;
}

static int open_log(struct xs_job *j)
{
    char path[PATH_MAX + 16];
    path_of(j, "events.jsonl", path, sizeof path);
    j->ev_fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    return j->ev_fd < 0 ? -1 : 0;
}

/* One job directory found at startup. */
static void load_one(struct xs_server *s, const char *id)
{
    struct xs_job *j = job_alloc(s, id);
    if (!j)
        return;
    char path[PATH_MAX + 16], buf[XS_JSON_MAX_BODY];
    size_t len;
    struct xs_json js;
    path_of(j, "job.json", path, sizeof path);
    if (read_small(path, buf, sizeof buf, &len) ||
        xs_json_parse(&js, buf, len)) {
        xs_json_free(&js);
        free(j);
        return;
    }
    const char *v = xs_json_str(&js, "type");
    for (int t = 0; v && t < 3; t++)
        if (strcmp(v, type_names[t]) == 0)
            j->type = (enum xs_type)t;
    v = xs_json_str(&js, "state");
    for (int t = 0; v && t < 6; t++)
        if (strcmp(v, state_names[t]) == 0)
            j->state = (enum xs_state)t;
    v = xs_json_str(&js, "stage");
    snprintf(j->stage, sizeof j->stage, "%s", v ? v : "");
    v = xs_json_str(&js, "next");
    snprintf(j->next, sizeof j->next, "%s", v ? v : "");
    v = xs_json_str(&js, "message");
    snprintf(j->message, sizeof j->message, "%s", v ? v : "");
    j->created = (double)xs_json_int(&js, "created", 1L << 40, 0);
    acct_load(&j->a, &js, j->type == XS_MIGRATE ? "old" : "account");
    if (j->type == XS_MIGRATE)
        acct_load(&j->b, &js, "new");
    v = xs_json_str(&js, "owner");
    snprintf(j->owner, sizeof j->owner, "%s", v ? v : "");
    v = xs_json_str(&js, "file.name");
    snprintf(j->file_name, sizeof j->file_name, "%s", v ? v : "");
    j->file_size = (uint64_t)xs_json_int(&js, "file.size", 1L << 50, 0);
    xs_json_free(&js);
    if (open_log(j)) {
        free(j);
        return;
    }
    /* Where each line of the log starts; a torn last line is cut. */
    off_t pos = 0, start = 0;
    char chunk[8192];
    ssize_t n;
    while ((n = pread(j->ev_fd, chunk, sizeof chunk, pos)) > 0) {
        for (ssize_t i = 0; i < n; i++)
            if (chunk[i] == '\n') {
                if (note_line(j, start))
                    break;
                start = pos + i + 1;
            }
        pos += n;
    }
    j->end = start;
    if (start != pos && ftruncate(j->ev_fd, start) != 0)
        j->end = pos;
    if (j->state == XS_RUNNING) {
        /* serve stopped (or died) while this step ran: run it again. */
        j->state = XS_INTERRUPTED;
        snprintf(j->next, sizeof j->next, "%s", j->stage);
        snprintf(j->message, sizeof j->message,
                 "This was interrupted when xporta serve stopped. Resume it: "
                 "it goes on where it stopped (the passwords are asked "
                 "again).");
        emit_stage_locked(j);
        xs_job_save(j);
    } else if (j->state == XS_WAITING) {
        j->waiting_since = xs_now();
    }
    j->next_job = s->jobs;
    s->jobs = j;
}

int xs_jobs_load(struct xs_server *s)
{
    char dir[PATH_MAX + 8];
    snprintf(dir, sizeof dir, "%s/jobs", s->root);
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.' && strlen(e->d_name) == XS_ID_LEN)
            load_one(s, e->d_name);
    closedir(d);
    return 0;
}

struct xs_job *xs_job_find(struct xs_server *s, const char *id)
{
    for (struct xs_job *j = s->jobs; j; j = j->next_job)
        if (!j->deleted && strcmp(j->id, id) == 0)
            return j;
    return NULL;
}

struct xs_job *xs_job_new(struct xs_server *s, enum xs_type type)
{
    char tok[XS_TOKEN_LEN + 1];
    if (xs_random_token(tok))
        return NULL;
    tok[XS_ID_LEN] = '\0'; /* 132 random bits */
    struct xs_job *j = job_alloc(s, tok);
    if (!j)
        return NULL;
    j->type = type;
    j->state = XS_WAITING; /* until its first step starts */
    j->created = xs_now();
    if (mkdir(j->dir, 0700) != 0 || open_log(j)) {
        rmdir(j->dir);
        free(j);
        return NULL;
    }
    j->next_job = s->jobs;
    s->jobs = j;
    return j;
}

/* ---- the steps in worker threads ----------------------------------------- */

static void *worker(void *arg)
{
    struct xs_job *j = arg;
    struct xs_server *s = j->srv;
    char step[16], msg[1024] = "", next[16] = "";
    pthread_mutex_lock(&s->mu);
    snprintf(step, sizeof step, "%s", j->stage);
    pthread_mutex_unlock(&s->mu);
    xporta_status st =
        xs_run_step(j, step, &j->a, &j->b, msg, sizeof msg, next, sizeof next);
    pthread_mutex_lock(&s->mu);
    s->running--;
    j->th_done = true;
    if (st == XPORTA_OK && next[0]) {
        j->state = XS_WAITING;
        j->waiting_since = xs_now();
    } else if (st == XPORTA_OK) {
        j->state = XS_DONE;
    } else if (s->stopping) {
        /* Canceled by the stop, or failed meanwhile (a step still
         * connecting is not cancellable until its timeout): either way it
         * resumes from its journal when run again. */
        j->state = XS_INTERRUPTED;
        snprintf(msg, sizeof msg,
                 "This was interrupted when xporta serve stopped. Resume it: "
                 "it goes on where it stopped (the passwords are asked "
                 "again).");
        snprintf(next, sizeof next, "%s", step);
    } else {
        j->state = st == XPORTA_ECANCELED ? XS_CANCELED : XS_FAILED;
        snprintf(next, sizeof next, "%s", step); /* it may be run again */
    }
    snprintf(j->next, sizeof j->next, "%s", next);
    snprintf(j->message, sizeof j->message, "%s", msg);
    /* A password is kept only while a next step needs it (and at most
     * XS_WAIT_MAX seconds: xs_jobs_expire). */
    if (j->state != XS_WAITING) {
        xs_acct_clear_password(&j->a);
        xs_acct_clear_password(&j->b);
    }
    xs_job_save(j);
    emit_stage_locked(j); /* after the state: the stream ends with it */
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

const char *xs_job_start(struct xs_job *j, const char *step, int *code)
{
    struct xs_server *s = j->srv;
    if (s->stopping) {
        *code = MHD_HTTP_SERVICE_UNAVAILABLE;
        return "xporta serve is stopping";
    }
    if (j->state == XS_RUNNING) {
        *code = MHD_HTTP_CONFLICT;
        return "this job is already running a step";
    }
    if (s->running >= s->max_jobs) {
        *code = MHD_HTTP_TOO_MANY_REQUESTS;
        return "too many jobs are running at once; wait for one to finish "
               "(xporta serve --max-jobs)";
    }
    const char *why = xs_portal_can_start(s, j, code);
    if (why)
        return why;
    if (j->th_started) { /* the last step's thread has ended */
        pthread_join(j->th, NULL);
        j->th_started = false;
    }
    snprintf(j->stage, sizeof j->stage, "%s", step);
    j->state = XS_RUNNING;
    j->next[0] = '\0';
    j->message[0] = '\0';
    j->items = 0;
    j->th_done = false;
    xs_job_save(j);
    emit_stage_locked(j);
    if (pthread_create(&j->th, NULL, worker, j) != 0) {
        j->state = XS_FAILED;
        snprintf(j->message, sizeof j->message, "no thread could be started");
        xs_job_save(j);
        emit_stage_locked(j);
        *code = MHD_HTTP_INTERNAL_SERVER_ERROR;
        return "no thread could be started";
    }
    j->th_started = true;
    s->running++;
    return NULL;
}

static int remove_one(const char *p, const struct stat *sb, int flag,
                      struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    if (flag == FTW_DP)
        return rmdir(p) == 0 || errno == ENOENT ? 0 : -1;
    return unlink(p) == 0 || errno == ENOENT ? 0 : -1;
}

/* The whole tree: the job's files and its history pages (which hold every
 * message), depth first, never following a link. */
static bool remove_dir(const char *dir)
{
    return nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS) == 0 ||
           errno == ENOENT;
}

bool xs_job_delete(struct xs_job *j)
{
    if (j->state == XS_RUNNING) {
        if (j->lj)
            xporta_job_cancel(j->lj);
        return true;
    }
    /* The struct stays (hidden) until serve stops: a stream may still
     * point at it. */
    j->deleted = true;
    xs_acct_clear_password(&j->a);
    xs_acct_clear_password(&j->b);
    xs_wake_locked(j, false);
    if (j->ev_fd >= 0)
        close(j->ev_fd);
    j->ev_fd = -1;
    return remove_dir(j->dir);
}

enum { XS_WAIT_MAX = 30 * 60 };

/* Passwords held for a next step are dropped after XS_WAIT_MAX seconds;
 * the step then asks for them again. */
void xs_jobs_expire(struct xs_server *s)
{
    double now = xs_now();
    for (struct xs_job *j = s->jobs; j; j = j->next_job)
        if (j->state == XS_WAITING && (j->a.password || j->b.password) &&
            now - j->waiting_since > XS_WAIT_MAX) {
            xs_acct_clear_password(&j->a);
            xs_acct_clear_password(&j->b);
        }
}

void xs_jobs_wake(struct xs_server *s)
{
    for (struct xs_job *j = s->jobs; j; j = j->next_job)
        xs_wake_locked(j, true);
}

void xs_jobs_stop(struct xs_server *s)
{
    pthread_mutex_lock(&s->mu);
    s->stopping = true;
    for (struct xs_job *j = s->jobs; j; j = j->next_job)
        if (j->state == XS_RUNNING && j->lj)
            xporta_job_cancel(j->lj);
    pthread_mutex_unlock(&s->mu);
    for (;;) {
        struct xs_job *join = NULL;
        pthread_mutex_lock(&s->mu);
        for (struct xs_job *j = s->jobs; j && !join; j = j->next_job)
            if (j->th_started)
                join = j;
        if (join) {
            /* A step that had not reached its library job yet sees
             * s->stopping before it starts one. */
            if (join->lj)
                xporta_job_cancel(join->lj);
            join->th_started = false;
        }
        pthread_mutex_unlock(&s->mu);
        if (!join)
            break;
        pthread_join(join->th, NULL);
    }
}

void xs_jobs_free(struct xs_server *s)
{
    while (s->jobs) {
        struct xs_job *j = s->jobs;
        s->jobs = j->next_job;
        xs_acct_clear_password(&j->a);
        xs_acct_clear_password(&j->b);
        if (j->ev_fd >= 0)
            close(j->ev_fd);
        free(j->offs);
        free(j);
    }
}
