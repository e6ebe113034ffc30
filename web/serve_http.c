/* xporta serve: every request.  The first call of the access handler
 * (headers only) checks Host, the session or token, and for writes the
 * Origin, Fetch Metadata and CSRF header; refusals are answered there (and
 * close the connection).  Bodies are read in the calls that follow: JSON
 * up to XS_JSON_MAX_BODY, uploads straight to a 0600 file under a ceiling.
 * The answer goes out on the last call (docs/research/serve.md 1.3, 1.7). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "serve_srv.h"

static const char csp[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'";

void xs_headers(struct MHD_Response *r, bool no_store)
{
    MHD_add_response_header(r, "Content-Security-Policy", csp);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "Cross-Origin-Opener-Policy", "same-origin");
    MHD_add_response_header(r, "Cross-Origin-Resource-Policy", "same-origin");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    if (no_store)
        MHD_add_response_header(r, "Cache-Control", "no-store");
}

enum MHD_Result xs_send_mem(struct MHD_Connection *c, unsigned code,
                            const char *type, const char *body, size_t len)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    xs_headers(r, true);
    MHD_add_response_header(r, "Content-Type", type);
    enum MHD_Result ok = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return ok;
}

/* {"error":"words"} */
enum MHD_Result xs_send_error(struct MHD_Connection *c, unsigned code,
                              const char *words)
{
    struct xs_buf b = {0};
    xs_buf_str(&b, "{\"error\":");
    xs_buf_jstr(&b, words, 2048);
    xs_buf_str(&b, "}\n");
    enum MHD_Result ok =
        b.oom ? MHD_NO : xs_send_mem(c, code, "application/json", b.p, b.n);
    xs_buf_free(&b);
    return ok;
}

enum MHD_Result xs_send_json(struct MHD_Connection *c, unsigned code,
                             struct xs_buf *b)
{
    enum MHD_Result ok =
        b->oom ? xs_send_error(c, 500, "out of memory")
               : xs_send_mem(c, code, "application/json", b->p, b->n);
    xs_buf_free(b);
    return ok;
}

static const char refused_page[] =
    "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">"
    "<title>xporta: not allowed</title><h1>Not allowed</h1>"
    "<p>Open the address that <code>xporta serve</code> printed when it "
    "started (it ends with <code>?token=</code>).</p></html>\n";

static enum MHD_Result refuse(struct MHD_Connection *c, const char *url,
                              const char *words)
{
    if (strncmp(url, "/api/", 5) == 0)
        return xs_send_error(c, MHD_HTTP_FORBIDDEN, words);
    return xs_send_mem(c, MHD_HTTP_FORBIDDEN, "text/html; charset=utf-8",
                       refused_page, sizeof refused_page - 1);
}

static const char *hdr(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/* Which session (index) a cookie names, or -1. */
static int find_session(struct xs_server *s, const char *cookie)
{
    char sid[XS_TOKEN_LEN + 2];
    int found = -1;
    for (unsigned n = 0; n < 8 && found < 0; n++) {
        if (!xs_cookie_nth(cookie, "xporta_sid", n, sid, sizeof sid))
            break;
        for (int i = 0; i < XS_SESSIONS; i++)
            if (s->sess[i].sid[0] && xs_ct_equal(sid, s->sess[i].sid))
                found = i;
    }
    return found;
}

static enum MHD_Result upload_begin(struct xs_server *s,
                                    struct MHD_Connection *c, struct xs_req *q);

/* ---- the first call: who, and may they ----------------------------------- */

static enum MHD_Result first_call(struct xs_server *s, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  void **con_cls);

/* Portal mode (serve_portal.c): who asks is a logged-in account. */
static enum MHD_Result portal_first_call(struct xs_server *s,
                                         struct MHD_Connection *c,
                                         const char *url, const char *method,
                                         void **con_cls)
{
    struct xs_req *q = calloc(1, sizeof *q);
    if (!q)
        return MHD_NO;
    q->sess = -1;
    q->fd = -1;
    enum MHD_Result res;
    if (!xs_portal_auth(s, c, url, method, q, &res)) {
        free(q);
        return res;
    }
    bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    const char *ct = hdr(c, "Content-Type");
    if (get) {
        q->kind = REQ_PLAIN;
    } else if (strcmp(method, "POST") == 0 && xs_json_type(ct)) {
        q->kind = REQ_JSON;
    } else if (strcmp(method, "PUT") == 0 && strcmp(url, "/api/uploads") == 0 &&
               !(ct && (strncasecmp(ct, "multipart/form-data", 19) == 0 ||
                        strncasecmp(ct, "application/x-www-form-urlencoded",
                                    33) == 0 ||
                        strncasecmp(ct, "text/plain", 10) == 0))) {
        q->kind = REQ_UPLOAD;
    } else if (strcmp(method, "DELETE") == 0) {
        q->kind = REQ_PLAIN;
    } else {
        free(q);
        return xs_send_error(c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
                             "send JSON, or the file itself as the body");
    }
    *con_cls = q;
    if (q->kind == REQ_UPLOAD)
        return upload_begin(s, c, q);
    return MHD_YES;
}

static enum MHD_Result first_call(struct xs_server *s, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  void **con_cls)
{
    if (s->portal)
        return portal_first_call(s, c, url, method, con_cls);
    const char *host = hdr(c, "Host");
    if (!xs_host_ok(host, s->port))
        return refuse(c, url,
                      "this server answers only to 127.0.0.1 and "
                      "localhost with its port (Host)");
    int auth = AUTH_NONE, sess = -1;
    pthread_mutex_lock(&s->mu);
    sess = find_session(s, hdr(c, "Cookie"));
    if (sess >= 0) {
        auth = AUTH_SESSION;
        s->sess[sess].used = xs_now();
    }
    pthread_mutex_unlock(&s->mu);
    const char *bearer = xs_bearer(hdr(c, "Authorization"));
    const char *tok =
        MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token");
    if (tok && strcmp(method, "GET") == 0 && strcmp(url, "/") == 0 &&
        xs_ct_equal(tok, s->token))
        auth = AUTH_TOKEN; /* always traded for a cookie: out of the bar */
    else if (auth == AUTH_NONE && bearer && xs_ct_equal(bearer, s->token))
        auth = AUTH_BEARER;
    if (auth == AUTH_NONE)
        return refuse(c, url,
                      "open the address that xporta serve printed "
                      "(the token is missing or wrong)");
    bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    bool write = strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
                 strcmp(method, "DELETE") == 0;
    if (!get && !write)
        return xs_send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED,
                             "this method is not used here");
    int kind = REQ_PLAIN;
    if (write) {
        char csrf[XS_TOKEN_LEN + 1] = "";
        pthread_mutex_lock(&s->mu);
        if (sess >= 0)
            memcpy(csrf, s->sess[sess].csrf, sizeof csrf);
        pthread_mutex_unlock(&s->mu);
        const char *why =
            xs_write_check(host, hdr(c, "Origin"), hdr(c, "Sec-Fetch-Site"),
                           hdr(c, "X-Xporta-CSRF"), csrf[0] ? csrf : NULL,
                           auth == AUTH_BEARER);
        if (why)
            return xs_send_error(c, MHD_HTTP_FORBIDDEN, why);
        const char *ct = hdr(c, "Content-Type");
        if (strcmp(method, "POST") == 0) {
            if (!xs_json_type(ct))
                return xs_send_error(
                    c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
                    "send JSON (Content-Type: application/json)");
            kind = REQ_JSON;
        } else if (strcmp(method, "PUT") == 0) {
            if (strcmp(url, "/api/uploads") != 0)
                return xs_send_error(c, MHD_HTTP_NOT_FOUND,
                                     "nothing to upload to here");
            if (ct && (strncasecmp(ct, "multipart/form-data", 19) == 0 ||
                       strncasecmp(ct, "application/x-www-form-urlencoded",
                                   33) == 0 ||
                       strncasecmp(ct, "text/plain", 10) == 0))
                return xs_send_error(
                    c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
                    "send the file itself as the body, not a form");
            kind = REQ_UPLOAD;
        }
    }
    struct xs_req *q = calloc(1, sizeof *q);
    if (!q)
        return MHD_NO;
    q->auth = auth;
    q->sess = sess;
    q->kind = kind;
    q->fd = -1;
    *con_cls = q;
    if (kind == REQ_UPLOAD)
        return upload_begin(s, c, q);
    return MHD_YES;
}

/* ---- uploads: a raw PUT body to STATE/serve/uploads/RANDOM.part ---------- */

static enum MHD_Result too_large(struct MHD_Connection *c, struct xs_server *s)
{
    char words[256];
    snprintf(words, sizeof words,
             "the file is bigger than this server accepts (%llu MiB; "
             "xporta serve --max-upload)",
             (unsigned long long)(s->max_upload >> 20));
    return xs_send_error(c, MHD_HTTP_CONTENT_TOO_LARGE, words);
}

static enum MHD_Result upload_begin(struct xs_server *s,
                                    struct MHD_Connection *c, struct xs_req *q)
{
    const char *cl = hdr(c, "Content-Length");
    char dir[3100];
    snprintf(dir, sizeof dir, "%s/uploads", s->root);
    if (cl) {
        char *e;
        errno = 0;
        unsigned long long n = strtoull(cl, &e, 10);
        if (errno || *e || n > s->max_upload)
            return too_large(c, s); /* early: nothing is read */
        struct statvfs vfs;
        if (statvfs(dir, &vfs) == 0 &&
            (uint64_t)vfs.f_bavail * vfs.f_frsize < n + (64u << 20))
            return xs_send_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
                                 "there is not enough free disk space for "
                                 "this file");
        q->length = n;
    }
    xs_safe_name(hdr(c, "X-Xporta-Filename"), q->name, sizeof q->name);
    char rnd[XS_TOKEN_LEN + 1];
    if (xs_random_token(rnd))
        return MHD_NO;
    snprintf(q->part, sizeof q->part, "%s/%s.part", dir, rnd);
    q->fd = open(q->part, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (q->fd < 0) {
        q->part[0] = '\0';
        return xs_send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
                             "the upload could not be stored on this computer");
    }
    return MHD_YES;
}

static void drop_part(struct xs_req *q)
{
    if (q->fd >= 0)
        close(q->fd);
    q->fd = -1;
    if (q->part[0])
        unlink(q->part);
    q->part[0] = '\0';
}

/* One piece of the body.  MHD_NO cuts the connection (a disk error). */
static enum MHD_Result body_piece(struct xs_server *s, struct xs_req *q,
                                  const char *data, size_t n)
{
    if (q->kind == REQ_JSON) {
        if (q->body.n + n > XS_JSON_MAX_BODY)
            q->too_big = true;
        else
            xs_buf_add(&q->body, data, n);
        return MHD_YES;
    }
    if (q->kind != REQ_UPLOAD)
        return MHD_YES; /* a body nobody asked for is dropped */
    if (!q->over && q->got + n > s->max_upload) {
        /* Late: stop writing, remove the part, read on, answer 413. */
        q->over = true;
        drop_part(q);
    }
    q->got += n;
    while (!q->over && n > 0) {
        ssize_t w = write(q->fd, data, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            drop_part(q);
            return MHD_NO;
        }
        data += w;
        n -= (size_t)w;
    }
    return MHD_YES;
}

enum MHD_Result xs_access(void *cls, struct MHD_Connection *c, const char *url,
                          const char *method, const char *version,
                          const char *data, size_t *size, void **con_cls)
{
    (void)version;
    struct xs_server *s = cls;
    struct xs_req *q = *con_cls;
    if (!q)
        return first_call(s, c, url, method, con_cls);
    if (*size) {
        enum MHD_Result ok = body_piece(s, q, data, *size);
        *size = 0;
        return ok;
    }
    if (q->too_big)
        return xs_send_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
                             "the request is too big");
    if (q->kind == REQ_UPLOAD) {
        if (q->over)
            return too_large(c, s);
        if (q->fd < 0)
            return xs_send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
                                 "the upload could not be stored");
        close(q->fd);
        q->fd = -1;
        return xs_upload_done(s, c, q);
    }
    return xs_route(s, c, url, method, q);
}

/* Whatever became of the request: a part file left (refused, aborted,
 * failed) is removed; the body (which may hold passwords) is wiped. */
void xs_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                  enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    struct xs_req *q = *con_cls;
    if (!q)
        return;
    /* portal mode: a download sent whole is removed */
    if (q->unlink_done[0] && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
        unlink(q->unlink_done);
    xs_portal_login_free(q->login);
    drop_part(q);
    xs_buf_free(&q->body);
    free(q);
    *con_cls = NULL;
}
