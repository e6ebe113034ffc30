/* xporta serve: the routes (the page, its assets, the job API), answered
 * on the last call of a request (serve_http.c has checked who asks). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "serve_srv.h"

static const char *hdr(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/* /api/jobs/ID[/rest] -> ID into id, rest (or "") */
static bool job_url(const char *url, char *id, const char **rest)
{
    const char *p = url + strlen("/api/jobs/");
    size_t n = strcspn(p, "/");
    if (n != XS_ID_LEN)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
            return false;
    }
    memcpy(id, p, n);
    id[n] = '\0';
    *rest = p + n;
    return true;
}

/* ---- the page and its assets --------------------------------------------- */

const struct xs_asset *xs_asset_find(const char *path)
{
    for (const struct xs_asset *a = xs_assets; a->path; a++)
        if (strcmp(a->path, path) == 0)
            return a;
    return NULL;
}

static enum MHD_Result page(struct xs_server *s, struct MHD_Connection *c,
                            struct xs_req *q)
{
    const struct xs_asset *a = xs_asset_find("/index.html");
    if (!a)
        return xs_send_error(c, 500, "the page is missing");
    char csrf[XS_TOKEN_LEN + 1] = "";
    pthread_mutex_lock(&s->mu);
    if (q->sess >= 0)
        memcpy(csrf, s->sess[q->sess].csrf, sizeof csrf);
    pthread_mutex_unlock(&s->mu);
    /* The CSRF value goes into <meta name="xporta-csrf">. */
    static const char mark[] = "__XPORTA_CSRF__";
    const char *html = (const char *)a->data;
    const char *at = strstr(html, mark);
    struct xs_buf b = {0};
    if (at) {
        xs_buf_add(&b, html, (size_t)(at - html));
        xs_buf_str(&b, csrf);
        xs_buf_str(&b, at + sizeof mark - 1);
    } else {
        xs_buf_add(&b, html, a->len);
    }
    enum MHD_Result ok =
        b.oom
            ? MHD_NO
            : xs_send_mem(c, MHD_HTTP_OK, "text/html; charset=utf-8", b.p, b.n);
    xs_buf_free(&b);
    return ok;
}

static enum MHD_Result token_login(struct xs_server *s,
                                   struct MHD_Connection *c)
{
    char cookie[128];
    pthread_mutex_lock(&s->mu);
    int pick = 0;
    for (int i = 0; i < XS_SESSIONS; i++) {
        if (!s->sess[i].sid[0]) {
            pick = i;
            break;
        }
        if (s->sess[i].used < s->sess[pick].used)
            pick = i;
    }
    bool ok = xs_random_token(s->sess[pick].sid) == 0 &&
              xs_random_token(s->sess[pick].csrf) == 0;
    s->sess[pick].used = xs_now();
    snprintf(cookie, sizeof cookie,
             "xporta_sid=%s; HttpOnly; SameSite=Strict; Path=/",
             s->sess[pick].sid);
    if (!ok)
        s->sess[pick].sid[0] = '\0';
    pthread_mutex_unlock(&s->mu);
    if (!ok)
        return xs_send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
                             "no randomness");
    struct MHD_Response *r =
        MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    xs_headers(r, true);
    /* The token leaves the address bar, the history and Referer. */
    MHD_add_response_header(r, "Location", "/");
    MHD_add_response_header(r, "Set-Cookie", cookie);
    enum MHD_Result res = MHD_queue_response(c, MHD_HTTP_SEE_OTHER, r);
    MHD_destroy_response(r);
    volatile char *w = cookie;
    for (size_t i = 0; i < sizeof cookie; i++)
        w[i] = 0;
    return res;
}

static enum MHD_Result static_asset(struct MHD_Connection *c,
                                    const struct xs_asset *a)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        a->len, (void *)a->data, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    xs_headers(r, true);
    char type[64];
    snprintf(type, sizeof type, "%s; charset=utf-8", a->type);
    MHD_add_response_header(r, "Content-Type", type);
    enum MHD_Result ok = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ok;
}

/* ---- jobs ---------------------------------------------------------------- */

static enum MHD_Result one_job(struct MHD_Connection *c, unsigned code,
                               const struct xs_job *j)
{
    struct xs_buf b = {0};
    xs_buf_str(&b, "{\"job\":");
    xs_job_json(&b, j);
    xs_buf_str(&b, "}\n");
    return xs_send_json(c, code, &b);
}

static enum MHD_Result list_jobs(struct xs_server *s, struct MHD_Connection *c,
                                 const struct xs_req *q)
{
    struct xs_buf b = {0};
    xs_buf_str(&b, "{\"jobs\":[");
    bool first = true;
    pthread_mutex_lock(&s->mu);
    for (const struct xs_job *j = s->jobs; j; j = j->next_job) {
        if (j->deleted || (s->portal && strcmp(j->owner, q->owner) != 0))
            continue;
        if (!first)
            xs_buf_str(&b, ",");
        first = false;
        xs_job_json(&b, j);
    }
    pthread_mutex_unlock(&s->mu);
    xs_buf_str(&b, "]}\n");
    return xs_send_json(c, MHD_HTTP_OK, &b);
}

static bool set_str(char *dst, size_t cap, const char *v)
{
    if (!v)
        return true;
    size_t n = strlen(v);
    if (n >= cap)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] < 0x20 || v[i] == '/' || v[i] == 0x7f)
            return false;
    memcpy(dst, v, n + 1);
    return true;
}

/* An account from the request (KEY.jid, .password, .host, .port); the jid
 * only when `jid_ok` (a running job keeps its addresses).  NULL or words. */
static const char *take_acct(struct xs_acct *a, const struct xs_json *js,
                             const char *key, bool jid_ok)
{
    char k[64];
    snprintf(k, sizeof k, "%s.jid", key);
    const char *jid = xs_json_str(js, k);
    if (jid && jid_ok) {
        if (!strchr(jid, '@') || !set_str(a->jid, sizeof a->jid, jid))
            return "an address must look like name@example.org";
        snprintf(k, sizeof k, "%s.host", key);
        a->host[0] = '\0';
        if (!set_str(a->host, sizeof a->host, xs_json_str(js, k)))
            return "the server name is not valid";
        snprintf(k, sizeof k, "%s.port", key);
        a->port = (unsigned short)xs_json_int(js, k, 65535, 0);
    }
    snprintf(k, sizeof k, "%s.password", key);
    const char *pw = xs_json_str(js, k);
    if (pw && *pw) {
        if (strlen(pw) > 1024)
            return "the password is too long";
        xs_acct_clear_password(a);
        a->password = strdup(pw);
        if (!a->password)
            return "out of memory";
    }
    return NULL;
}

static bool needs(const struct xs_job *j, const char *step, bool *a, bool *b)
{
    *a = *b = false;
    if (strcmp(step, "history") == 0)
        return false; /* reads the exported file only */
    if (j->type == XS_MIGRATE)
        *a = *b = true;
    else if (j->type == XS_EXPORT)
        *a = true;
    else
        *a = strcmp(step, "check") != 0;
    return *a || *b;
}

/* The passwords (and for an import plan, the account) a step needs:
 * NULL, or why not (with *code). */
static const char *prepare(struct xs_job *j, const char *step,
                           const struct xs_json *js, int *code)
{
    bool import_target = j->type == XS_IMPORT && strcmp(step, "plan") == 0;
    const char *why =
        take_acct(&j->a, js, j->type == XS_MIGRATE ? "old" : "account",
                  import_target || !j->a.jid[0]);
    if (!why && j->type == XS_MIGRATE)
        why = take_acct(&j->b, js, "new", false);
    if (!why && j->srv->portal)
        why = xs_portal_accounts(j->srv, j->owner, j->type, &j->a, &j->b);
    if (why) {
        *code = MHD_HTTP_BAD_REQUEST;
        return why;
    }
    bool na, nb;
    needs(j, step, &na, &nb);
    if (na && !j->a.jid[0]) {
        *code = MHD_HTTP_BAD_REQUEST;
        return "say which account (its address and password)";
    }
    if ((na && !j->a.password) || (nb && !j->b.password)) {
        *code = MHD_HTTP_CONFLICT;
        return "the password is needed (again): passwords are kept only "
               "while a step needs them";
    }
    return NULL;
}

static enum MHD_Result parse_body(struct MHD_Connection *c, struct xs_req *q,
                                  struct xs_json *js)
{
    if (xs_json_parse(js, q->body.p ? q->body.p : "", q->body.n)) {
        char words[160];
        snprintf(words, sizeof words, "the request is not valid JSON: %s",
                 js->error);
        xs_json_free(js);
        return xs_send_error(c, MHD_HTTP_BAD_REQUEST, words);
    }
    return MHD_YES;
}

static enum MHD_Result create_job(struct xs_server *s, struct MHD_Connection *c,
                                  struct xs_req *q)
{
    struct xs_json js;
    if (parse_body(c, q, &js) != MHD_YES || !js.pool)
        return MHD_YES;
    const char *type = xs_json_str(&js, "type");
    enum xs_type t;
    if (type && strcmp(type, "migrate") == 0)
        t = XS_MIGRATE;
    else if (type && strcmp(type, "export") == 0)
        t = XS_EXPORT;
    else {
        xs_json_free(&js);
        return xs_send_error(c, MHD_HTTP_BAD_REQUEST,
                             "\"type\" must be \"migrate\" or \"export\" "
                             "(an import starts with PUT /api/uploads)");
    }
    struct xs_acct a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    const char *why =
        take_acct(&a, &js, t == XS_MIGRATE ? "old" : "account", true);
    if (!why && t == XS_MIGRATE)
        why = take_acct(&b, &js, "new", true);
    if (!why && (!a.jid[0] || (t == XS_MIGRATE && !b.jid[0])))
        why = t == XS_MIGRATE ? "give both addresses, the old and the new"
                              : "give the address of the account";
    if (!why && (!a.password || (t == XS_MIGRATE && !b.password)))
        why = "give the password of each account";
    if (!why && t == XS_MIGRATE && strcasecmp(a.jid, b.jid) == 0)
        why = "the old and the new address are the same account";
    if (!why && s->portal)
        why = xs_portal_accounts(s, q->owner, t, &a, &b);
    xs_json_free(&js);
    if (why) {
        xs_acct_clear_password(&a);
        xs_acct_clear_password(&b);
        return xs_send_error(c, MHD_HTTP_BAD_REQUEST, why);
    }
    pthread_mutex_lock(&s->mu);
    struct xs_job *j = xs_job_new(s, t);
    int code = MHD_HTTP_CREATED;
    if (!j) {
        pthread_mutex_unlock(&s->mu);
        xs_acct_clear_password(&a);
        xs_acct_clear_password(&b);
        return xs_send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
                             "the job could not be stored on this computer");
    }
    j->a = a;
    j->b = b;
    snprintf(j->owner, sizeof j->owner, "%s", q->owner);
    const char *first = t == XS_MIGRATE ? "plan" : "run";
    why = xs_job_start(j, first, &code);
    if (why) {
        /* Kept, resumable: it failed to start, not to run (its first step
         * is offered again; the stage was still empty). */
        j->state = XS_FAILED;
        snprintf(j->next, sizeof j->next, "%s", first);
        snprintf(j->message, sizeof j->message, "%s", why);
        xs_acct_clear_password(&j->a);
        xs_acct_clear_password(&j->b);
        xs_job_save(j);
        pthread_mutex_unlock(&s->mu);
        return xs_send_error(c, (unsigned)code, why);
    }
    struct xs_buf out = {0};
    xs_buf_str(&out, "{\"job\":");
    xs_job_json(&out, j);
    xs_buf_str(&out, "}\n");
    pthread_mutex_unlock(&s->mu);
    return xs_send_json(c, MHD_HTTP_CREATED, &out);
}

/* POST /api/jobs/ID/next {"step": ..., passwords} */
static enum MHD_Result next_step(struct xs_server *s, struct MHD_Connection *c,
                                 struct xs_req *q, const char *id)
{
    struct xs_json js;
    if (parse_body(c, q, &js) != MHD_YES || !js.pool)
        return MHD_YES;
    char step[16] = "";
    const char *v = xs_json_str(&js, "step");
    snprintf(step, sizeof step, "%s", v ? v : "");
    pthread_mutex_lock(&s->mu);
    struct xs_job *j = xs_job_find(s, id);
    const char *why = NULL;
    int code = MHD_HTTP_CONFLICT;
    if (!j) {
        why = "there is no such job (it may have been deleted)";
        code = MHD_HTTP_NOT_FOUND;
    } else if (j->state == XS_RUNNING) {
        why = "this job is running a step already";
    } else if (strcmp(step, "history") == 0 && xs_job_has_export(j)) {
        /* Any time after a download: its messages as web pages. */
        why = xs_job_start(j, step, &code);
    } else if (j->state == XS_DONE) {
        why = "this job is finished";
    } else if (j->type == XS_MIGRATE && j->state == XS_WAITING &&
               strcmp(j->next, "announce") == 0 &&
               strcmp(step, "finish") == 0) {
        j->state = XS_DONE;
        j->next[0] = '\0';
        snprintf(j->message, sizeof j->message,
                 "Done. Your contacts were not told.");
        xs_acct_clear_password(&j->a);
        xs_acct_clear_password(&j->b);
        xs_job_save(j);
        xs_wake_locked(j, false);
        struct xs_buf b = {0};
        xs_buf_str(&b, "{\"job\":");
        xs_job_json(&b, j);
        xs_buf_str(&b, "}\n");
        pthread_mutex_unlock(&s->mu);
        xs_json_free(&js);
        xs_emitf_stage(j);
        return xs_send_json(c, MHD_HTTP_OK, &b);
    } else if (!step[0] || strcmp(step, j->next) != 0) {
        why = "this step cannot be taken now";
    } else {
        why = prepare(j, step, &js, &code);
        if (!why)
            why = xs_job_start(j, step, &code);
    }
    xs_json_free(&js);
    if (why) {
        /* A refused step holds no password: only a waiting job keeps
         * them (for at most XS_WAIT_MAX), a running one while it runs. */
        if (j->state != XS_WAITING && j->state != XS_RUNNING) {
            xs_acct_clear_password(&j->a);
            xs_acct_clear_password(&j->b);
        }
        pthread_mutex_unlock(&s->mu);
        return xs_send_error(c, (unsigned)code, why);
    }
    struct xs_buf b = {0};
    xs_buf_str(&b, "{\"job\":");
    xs_job_json(&b, j);
    xs_buf_str(&b, "}\n");
    pthread_mutex_unlock(&s->mu);
    return xs_send_json(c, MHD_HTTP_ACCEPTED, &b);
}

static enum MHD_Result download(struct xs_server *s, struct MHD_Connection *c,
                                struct xs_job *j, struct xs_req *q)
{
    char path[PATH_MAX + 16], jid[256];
    snprintf(path, sizeof path, "%s/export.xml", j->dir);
    bool ready = xs_job_has_export(j);
    xs_safe_name(j->a.jid, jid, sizeof jid);
    pthread_mutex_unlock(&s->mu);
    int fd = ready ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        if (fd >= 0)
            close(fd);
        return xs_send_error(c, MHD_HTTP_NOT_FOUND,
                             "there is no file to download (yet)");
    }
    struct MHD_Response *r =
        MHD_create_response_from_fd64((uint64_t)st.st_size, fd);
    if (!r) {
        close(fd);
        return MHD_NO;
    }
    xs_headers(r, true);
    if (s->portal) /* a portal keeps no file once it is downloaded */
        snprintf(q->unlink_done, sizeof q->unlink_done, "%s", path);
    char cd[400];
    snprintf(cd, sizeof cd, "attachment; filename=\"xporta-%s.xml\"", jid);
    MHD_add_response_header(r, "Content-Type", "application/xml");
    MHD_add_response_header(r, "Content-Disposition", cd);
    enum MHD_Result ok = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result events(struct xs_server *s, struct MHD_Connection *c,
                              struct xs_job *j)
{
    const char *last = hdr(c, "Last-Event-ID");
    if (!last)
        last = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "after");
    /* Digits only: strtoull takes "-1" as 2^64-1. */
    uint64_t after = 0;
    if (last && last[0] >= '0' && last[0] <= '9' && strlen(last) < 20 &&
        strspn(last, "0123456789") == strlen(last))
        after = strtoull(last, NULL, 10);
    int code;
    struct MHD_Response *r = xs_sse_response(j, c, after, &code);
    pthread_mutex_unlock(&s->mu);
    if (!r) {
        if (code == MHD_HTTP_NO_CONTENT)
            return xs_send_mem(c, MHD_HTTP_NO_CONTENT, "text/plain", "", 0);
        return xs_send_error(c, (unsigned)code, "the events cannot be read");
    }
    xs_headers(r, true);
    MHD_add_response_header(r, "Content-Type", "text/event-stream");
    MHD_add_response_header(r, "X-Accel-Buffering", "no");
    enum MHD_Result ok = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result job_route(struct xs_server *s, struct MHD_Connection *c,
                                 const char *url, const char *method,
                                 struct xs_req *q)
{
    char id[XS_ID_LEN + 1];
    const char *rest;
    if (!job_url(url, id, &rest))
        return xs_send_error(c, MHD_HTTP_NOT_FOUND, "there is no such job");
    if (strcmp(method, "POST") == 0 && strcmp(rest, "/next") == 0)
        return next_step(s, c, q, id);
    pthread_mutex_lock(&s->mu);
    struct xs_job *j = xs_job_find(s, id);
    if (!j) {
        pthread_mutex_unlock(&s->mu);
        return xs_send_error(c, MHD_HTTP_NOT_FOUND,
                             "there is no such job (it may have been deleted)");
    }
    if (strcmp(method, "GET") == 0 && strcmp(rest, "/events") == 0)
        return events(s, c, j); /* unlocks */
    if (strcmp(method, "GET") == 0 && strcmp(rest, "/file") == 0)
        return download(s, c, j, q); /* unlocks */
    enum MHD_Result ok;
    if (strcmp(method, "GET") == 0 && !*rest) {
        ok = one_job(c, MHD_HTTP_OK, j);
    } else if (strcmp(method, "DELETE") == 0 && !*rest) {
        bool running = j->state == XS_RUNNING;
        if (!xs_job_delete(j))
            ok = xs_send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
                               "some of its files could not be removed");
        else if (running)
            ok = one_job(c, MHD_HTTP_ACCEPTED, j);
        else
            ok = xs_send_mem(c, MHD_HTTP_NO_CONTENT, "text/plain", "", 0);
    } else {
        ok = xs_send_error(c, MHD_HTTP_NOT_FOUND, "there is nothing here");
    }
    pthread_mutex_unlock(&s->mu);
    return ok;
}

enum MHD_Result xs_upload_done(struct xs_server *s, struct MHD_Connection *c,
                               struct xs_req *q)
{
    pthread_mutex_lock(&s->mu);
    struct xs_job *j = xs_job_new(s, XS_IMPORT);
    char path[PATH_MAX + 16];
    if (j)
        snprintf(path, sizeof path, "%s/upload.xml", j->dir);
    if (!j || rename(q->part, path) != 0) {
        if (j)
            (void)xs_job_delete(j);
        pthread_mutex_unlock(&s->mu);
        return xs_send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
                             "the upload could not be stored");
    }
    q->part[0] = '\0';
    snprintf(j->owner, sizeof j->owner, "%s", q->owner);
    snprintf(j->file_name, sizeof j->file_name, "%s", q->name);
    j->file_size = q->got;
    int code = MHD_HTTP_CREATED;
    const char *why = xs_job_start(j, "check", &code);
    if (why) {
        j->state = XS_FAILED;
        snprintf(j->next, sizeof j->next, "check");
        snprintf(j->message, sizeof j->message, "%s", why);
        xs_job_save(j);
    }
    struct xs_buf b = {0};
    xs_buf_str(&b, "{\"job\":");
    xs_job_json(&b, j);
    xs_buf_str(&b, "}\n");
    pthread_mutex_unlock(&s->mu);
    return xs_send_json(c, MHD_HTTP_CREATED, &b);
}

enum MHD_Result xs_route(struct xs_server *s, struct MHD_Connection *c,
                         const char *url, const char *method, struct xs_req *q)
{
    bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    enum MHD_Result res;
    if (s->portal && xs_portal_route(s, c, url, method, q, &res))
        return res;
    if (get && strcmp(url, "/") == 0)
        return q->auth == AUTH_TOKEN ? token_login(s, c) : page(s, c, q);
    if (get && strncmp(url, "/api/", 5) != 0 &&
        strncmp(url, "/history/", 9) != 0) {
        const struct xs_asset *a = xs_asset_find(url);
        if (a && strcmp(url, "/index.html") != 0)
            return static_asset(c, a);
        return xs_send_error(c, MHD_HTTP_NOT_FOUND, "there is nothing here");
    }
    if (strncmp(url, "/history/", 9) == 0 && get)
        return xs_history_file(s, c, url + 9);
    if (strcmp(url, "/api/jobs") == 0) {
        if (get)
            return list_jobs(s, c, q);
        if (strcmp(method, "POST") == 0)
            return create_job(s, c, q);
        return xs_send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED,
                             "GET or POST here");
    }
    if (strncmp(url, "/api/jobs/", 10) == 0)
        return job_route(s, c, url, method, q);
    return xs_send_error(c, MHD_HTTP_NOT_FOUND, "there is nothing here");
}
