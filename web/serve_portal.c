/*
 * xporta serve, portal mode (--listen ADDR, behind a reverse proxy):
 * docs/portal.md.  No token: each browser session logs in as its own
 * XMPP account, the password checked by that account's server over SASL
 * (xporta_account_check, in a thread of its own; the MHD connection waits
 * suspended).  Logins are rate-limited per client address and per JID
 * (token buckets, serve_limit.c).  A session sees only its account's jobs
 * (others' ids answer 404); its jobs use its own account (see
 * xs_portal_accounts); files go after a download or --file-ttl; with
 * --store, an import also carries the archive and offline messages
 * through the server's storage where xporta_store_live_check() allows.
 * A JID goes into a log only as a keyed hash.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "serve_portal_p.h"

const char *xs_portal_hdr(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/* ---- startup ------------------------------------------------------------- */

static int parse_addr(const char *in, unsigned short dflt,
                      struct sockaddr_storage *out, socklen_t *len, bool *v6)
{
    char host[128], port[8];
    const char *colon = strrchr(in, ':');
    if (in[0] == '[') { /* [v6]:port or [v6] */
        const char *end = strchr(in, ']');
        if (!end || (size_t)(end - in - 1) >= sizeof host)
            return -1;
        memcpy(host, in + 1, (size_t)(end - in - 1));
        host[end - in - 1] = '\0';
        if (end[1] == ':')
            snprintf(port, sizeof port, "%.6s", end + 2);
        else if (!end[1])
            snprintf(port, sizeof port, "%u", dflt);
        else
            return -1;
    } else if (colon && strchr(in, ':') == colon) { /* v4:port */
        if ((size_t)(colon - in) >= sizeof host)
            return -1;
        memcpy(host, in, (size_t)(colon - in));
        host[colon - in] = '\0';
        snprintf(port, sizeof port, "%.6s", colon + 1);
    } else { /* v4, or a bare v6 */
        snprintf(host, sizeof host, "%s", in);
        snprintf(port, sizeof port, "%u", dflt);
    }
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &ai) != 0 || !ai)
        return -1;
    memcpy(out, ai->ai_addr, ai->ai_addrlen);
    *len = ai->ai_addrlen;
    *v6 = ai->ai_family == AF_INET6;
    freeaddrinfo(ai);
    return 0;
}

/* The address bytes of a socket address (copied: a sockaddr is not
 * aligned for its family's struct). */
static size_t ip_bytes(const struct sockaddr *a, unsigned char out[16])
{
    if (a && a->sa_family == AF_INET) {
        struct sockaddr_in v4;
        memcpy(&v4, a, sizeof v4);
        memcpy(out, &v4.sin_addr, 4);
        return 4;
    }
    if (a && a->sa_family == AF_INET6) {
        struct sockaddr_in6 v6;
        memcpy(&v6, a, sizeof v6);
        memcpy(out, &v6.sin6_addr, 16);
        return 16;
    }
    return 0;
}

static bool same_ip(const struct sockaddr *a, const struct sockaddr_storage *b)
{
    unsigned char x[16], y[16];
    size_t n = ip_bytes(a, x);
    return n && a->sa_family == b->ss_family &&
           ip_bytes((const struct sockaddr *)b, y) == n && memcmp(x, y, n) == 0;
}

static void ip_text(const struct sockaddr *a, char *out, size_t cap)
{
    unsigned char x[16];
    size_t n = ip_bytes(a, x);
    snprintf(out, cap, "?");
    if (n)
        inet_ntop(n == 4 ? AF_INET : AF_INET6, x, out, (socklen_t)cap);
}

/* --store: which kinds the running server lets xporta write, and a
 * sentence for the page about the one it does not. */
static int check_store(struct xs_portal *p, const char *store, FILE *err)
{
    const char *wa = NULL, *wo = NULL;
    p->store_archive =
        xporta_store_live_check(store, XPORTA_KIND_ARCHIVE, &wa) == XPORTA_OK;
    p->store_offline =
        xporta_store_live_check(store, XPORTA_KIND_OFFLINE, &wo) == XPORTA_OK;
    if (!p->store_archive && !p->store_offline) {
        fprintf(err,
                "xporta serve: --store %s cannot take a user's history "
                "while its server runs: %s\n",
                store,
                wa   ? wa
                : wo ? wo
                     : "it is not a server's storage");
        return -1;
    }
    if (!p->store_archive)
        snprintf(p->store_note, sizeof p->store_note,
                 " The message archive cannot be written here: %s", wa);
    else if (!p->store_offline)
        snprintf(p->store_note, sizeof p->store_note,
                 " Offline messages cannot be written here: %s", wo);
    p->store = store;
    return 0;
}

int xs_portal_init(struct xs_server *s, const struct xs_options *o, FILE *err)
{
    struct xs_portal *p = calloc(1, sizeof *p);
    if (!p)
        return 70;
    s->portal = p;
    if (parse_addr(o->listen, o->port, &p->addr, &p->addr_len, &p->v6)) {
        fprintf(err, "xporta serve: --listen %s is not ADDR[:PORT]\n",
                o->listen);
        return 2;
    }
    if (!o->public_url ||
        xs_public_url(o->public_url, p->origin, sizeof p->origin, p->host,
                      sizeof p->host, &p->secure)) {
        fprintf(err, "xporta serve: --listen needs --public-url "
                     "http(s)://HOST[:PORT], the address people open\n");
        return 2;
    }
    if (o->trust_proxy) {
        socklen_t l;
        bool v6;
        if (parse_addr(o->trust_proxy, 0, &p->proxy, &l, &v6)) {
            fprintf(err, "xporta serve: --trust-proxy %s is not an address\n",
                    o->trust_proxy);
            return 2;
        }
        p->has_proxy = true;
    }
    if (o->xmpp_server) {
        const char *colon = strrchr(o->xmpp_server, ':');
        size_t hl = colon && !strchr(colon, ']')
                        ? (size_t)(colon - o->xmpp_server)
                        : strlen(o->xmpp_server);
        unsigned long port = colon && hl < strlen(o->xmpp_server)
                                 ? strtoul(colon + 1, NULL, 10)
                                 : 0;
        if (hl == 0 || hl >= sizeof p->xmpp_host || port > 65535) {
            fprintf(err, "xporta serve: --xmpp-server wants HOST[:PORT]\n");
            return 2;
        }
        memcpy(p->xmpp_host, o->xmpp_server, hl);
        p->xmpp_host[hl] = '\0';
        p->xmpp_port = (unsigned short)port;
    }
    if (o->store && check_store(p, o->store, err))
        return 2;
    p->file_ttl = o->file_ttl ? o->file_ttl : 3600;
    p->max_session_jobs = o->max_session_jobs ? o->max_session_jobs : 1;
    unsigned idle = o->session_ttl ? o->session_ttl : 1800;
    xs_ptab_init(&p->sessions, idle, 12 * 3600);
    xs_buckets_init(&p->by_ip, XS_LOGIN_BURST, 1.0 / XS_LOGIN_EVERY);
    xs_buckets_init(&p->by_jid, XS_LOGIN_BURST, 1.0 / XS_LOGIN_EVERY);
    if (getrandom(p->log_key, sizeof p->log_key, 0) !=
        (ssize_t)sizeof p->log_key)
        return 70;
    return 0;
}

const struct sockaddr *xs_portal_addr(struct xs_server *s, bool *v6)
{
    *v6 = s->portal->v6;
    return (const struct sockaddr *)&s->portal->addr;
}

void xs_portal_started(struct xs_server *s, FILE *out)
{
    struct xs_portal *p = s->portal;
    char ip[64];
    ip_text((const struct sockaddr *)&p->addr, ip, sizeof ip);
    fprintf(out, "xporta serve: portal on %s%s%s:%u for %s%s%s\n",
            p->v6 ? "[" : "", ip, p->v6 ? "]" : "", s->port, p->origin,
            p->store ? ", history into " : "", p->store ? p->store : "");
    fflush(out);
}

/* ---- every request ---------------------------------------------------------
 */

void xs_portal_client_ip(struct xs_portal *p, struct MHD_Connection *c,
                         char *out, size_t cap)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *peer = ci ? ci->client_addr : NULL;
    if (p->has_proxy && same_ip(peer, &p->proxy) &&
        xs_forwarded_for(xs_portal_hdr(c, "X-Forwarded-For"), out, cap))
        return;
    ip_text(peer, out, cap);
}

static enum MHD_Result redirect(struct MHD_Connection *c, const char *to,
                                const char *cookie)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    xs_headers(r, true);
    MHD_add_response_header(r, "Location", to);
    if (cookie)
        MHD_add_response_header(r, "Set-Cookie", cookie);
    enum MHD_Result ok = MHD_queue_response(c, MHD_HTTP_SEE_OTHER, r);
    MHD_destroy_response(r);
    return ok;
}

static bool public_path(const char *url)
{
    return strcmp(url, "/login") == 0 || strcmp(url, "/login.js") == 0 ||
           strcmp(url, "/app.css") == 0;
}

static unsigned owned(struct xs_server *s, const char *owner, bool running)
{
    unsigned n = 0;
    for (const struct xs_job *j = s->jobs; j; j = j->next_job)
        if (!j->deleted && strcmp(j->owner, owner) == 0 &&
            (!running || j->state == XS_RUNNING))
            n++;
    return n;
}

bool xs_portal_auth(struct xs_server *s, struct MHD_Connection *c,
                    const char *url, const char *method, struct xs_req *q,
                    enum MHD_Result *res)
{
    struct xs_portal *p = s->portal;
    const char *host = xs_portal_hdr(c, "Host");
    if (!host || strcasecmp(host, p->host) != 0) {
        *res = xs_send_error(c, MHD_HTTP_FORBIDDEN,
                             "this portal answers only to its public address "
                             "(Host)");
        return false;
    }
    char sid[XS_TOKEN_LEN + 2], csrf[XS_TOKEN_LEN + 1] = "";
    int i = -1;
    pthread_mutex_lock(&s->mu);
    for (unsigned n = 0; n < 8 && i < 0; n++) {
        if (!xs_cookie_nth(xs_portal_hdr(c, "Cookie"), "xporta_sid", n, sid,
                           sizeof sid))
            break;
        i = xs_ptab_find(&p->sessions, sid, xs_now());
    }
    if (i >= 0) {
        snprintf(q->owner, sizeof q->owner, "%s", p->sessions.s[i].jid);
        memcpy(csrf, p->sessions.s[i].csrf, sizeof csrf);
        q->sess = i;
        q->auth = AUTH_SESSION;
    }
    pthread_mutex_unlock(&s->mu);
    bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    bool login = strcmp(method, "POST") == 0 && strcmp(url, "/api/login") == 0;
    if (i < 0 && !login && !(get && public_path(url))) {
        if (get && strncmp(url, "/api/", 5) != 0)
            *res = redirect(c, "/login", NULL);
        else
            *res = xs_send_error(c, MHD_HTTP_UNAUTHORIZED,
                                 "log in first (your session may have "
                                 "ended)");
        return false;
    }
    if (!get) {
        const char *why = xs_portal_write_check(
            p->origin, xs_portal_hdr(c, "Origin"),
            xs_portal_hdr(c, "Sec-Fetch-Site"),
            xs_portal_hdr(c, "X-Xporta-CSRF"), i >= 0 && !login ? csrf : NULL);
        if (why) {
            *res = xs_send_error(c, MHD_HTTP_FORBIDDEN, why);
            return false;
        }
    }
    bool create =
        (strcmp(method, "PUT") == 0 && strcmp(url, "/api/uploads") == 0) ||
        (strcmp(method, "POST") == 0 && strcmp(url, "/api/jobs") == 0);
    if (create && i >= 0) {
        pthread_mutex_lock(&s->mu);
        unsigned kept = owned(s, q->owner, false);
        pthread_mutex_unlock(&s->mu);
        if (kept >= XS_JOBS_KEPT) {
            *res = xs_send_error(c, MHD_HTTP_TOO_MANY_REQUESTS,
                                 "you have too much work kept here; delete "
                                 "some of it first (My work)");
            return false;
        }
    }
    return true;
}

/* index.html with the session's CSRF value, its account and portal.js. */
static enum MHD_Result page(struct xs_server *s, struct MHD_Connection *c,
                            struct xs_req *q)
{
    const struct xs_asset *a = xs_asset_find("/index.html");
    if (!a)
        return xs_send_error(c, 500, "the page is missing");
    char csrf[XS_TOKEN_LEN + 1] = "";
    pthread_mutex_lock(&s->mu);
    memcpy(csrf, s->portal->sessions.s[q->sess].csrf, sizeof csrf);
    pthread_mutex_unlock(&s->mu);
    static const char mark[] = "__XPORTA_CSRF__", head[] = "</head>";
    const char *html = (const char *)a->data;
    const char *at = strstr(html, mark), *he = strstr(html, head);
    if (!at || !he || he < at)
        return xs_send_error(c, 500, "the page is broken");
    struct xs_buf b = {0};
    xs_buf_add(&b, html, (size_t)(at - html));
    xs_buf_str(&b, csrf);
    at += sizeof mark - 1;
    xs_buf_add(&b, at, (size_t)(he - at));
    /* The JID passed xs_login_jid: no quote, <, >, & in it. */
    xs_buf_printf(&b,
                  "<meta name=\"xporta-account\" content=\"%s\">\n"
                  "<meta name=\"xporta-history-store\" content=\"%s\">\n"
                  "<script src=\"/portal.js\" defer></script>\n",
                  q->owner, s->portal->store ? "yes" : "");
    xs_buf_str(&b, he);
    enum MHD_Result ok =
        b.oom
            ? MHD_NO
            : xs_send_mem(c, MHD_HTTP_OK, "text/html; charset=utf-8", b.p, b.n);
    xs_buf_free(&b);
    return ok;
}

static enum MHD_Result static_asset(struct MHD_Connection *c, const char *path)
{
    const struct xs_asset *a = xs_asset_find(path);
    if (!a)
        return xs_send_error(c, MHD_HTTP_NOT_FOUND, "there is nothing here");
    char type[64];
    snprintf(type, sizeof type, "%s; charset=utf-8", a->type);
    return xs_send_mem(c, MHD_HTTP_OK, type, (const char *)a->data, a->len);
}

/* The job an URL names (/api/jobs/ID..., /history/ID/...): another
 * account's answers as if it did not exist. */
static bool foreign_job(struct xs_server *s, const char *url, const char *owner)
{
    const char *id = NULL;
    if (strncmp(url, "/api/jobs/", 10) == 0)
        id = url + 10;
    else if (strncmp(url, "/history/", 9) == 0)
        id = url + 9;
    if (!id)
        return false;
    char want[XS_ID_LEN + 1];
    size_t n = strcspn(id, "/");
    if (n != XS_ID_LEN)
        return false; /* the route answers 404 itself */
    memcpy(want, id, n);
    want[n] = '\0';
    pthread_mutex_lock(&s->mu);
    struct xs_job *j = xs_job_find(s, want);
    bool foreign = j && strcmp(j->owner, owner) != 0;
    pthread_mutex_unlock(&s->mu);
    return foreign;
}

bool xs_portal_route(struct xs_server *s, struct MHD_Connection *c,
                     const char *url, const char *method, struct xs_req *q,
                     enum MHD_Result *res)
{
    bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    bool post = strcmp(method, "POST") == 0;
    if (post && strcmp(url, "/api/login") == 0) {
        *res = xs_portal_login(s, c, q);
        return true;
    }
    if (get && strcmp(url, "/login") == 0) {
        *res = static_asset(c, "/login.html");
        return true;
    }
    if (get && public_path(url)) {
        *res = static_asset(c, url);
        return true;
    }
    if (q->auth != AUTH_SESSION) { /* xs_portal_auth let nothing else in */
        *res = xs_send_error(c, MHD_HTTP_UNAUTHORIZED, "log in first");
        return true;
    }
    if (post && strcmp(url, "/api/logout") == 0) {
        *res = xs_portal_logout(s, c, q);
        return true;
    }
    if (get && strcmp(url, "/") == 0) {
        *res = page(s, c, q);
        return true;
    }
    if (get && strcmp(url, "/api/session") == 0) {
        struct xs_buf b = {0};
        xs_buf_str(&b, "{\"jid\":");
        xs_buf_jstr(&b, q->owner, 256);
        xs_buf_printf(&b, ",\"history_store\":%s}\n",
                      s->portal->store ? "true" : "false");
        *res = xs_send_json(c, MHD_HTTP_OK, &b);
        return true;
    }
    if (foreign_job(s, url, q->owner)) {
        *res = xs_send_error(c, MHD_HTTP_NOT_FOUND,
                             "there is no such job (it may have been "
                             "deleted)");
        return true;
    }
    return false;
}

/* ---- what a job may do -----------------------------------------------------
 */

static bool same_jid(const char *a, const char *b)
{
    char x[256], y[256];
    return xs_login_jid(a, x, sizeof x) && xs_login_jid(b, y, sizeof y) &&
           strcmp(x, y) == 0;
}

/* The session's own account: an export of it, an import into it (the
 * store writes into exactly the account whose password its server
 * accepted), a move from it or to it; the portal's server for it.  The
 * other side of a move is found by its name: a portal connects to no
 * host:port a visitor types (it would reach the provider's inside). */
const char *xs_portal_accounts(struct xs_server *s, const char *owner,
                               enum xs_type t, struct xs_acct *a,
                               struct xs_acct *b)
{
    struct xs_portal *p = s->portal;
    struct xs_acct *mine = NULL, *other = NULL;
    if (t == XS_IMPORT && !a->jid[0])
        snprintf(a->jid, sizeof a->jid, "%s", owner);
    if (t != XS_MIGRATE) {
        if (!same_jid(a->jid, owner)) {
            a->jid[0] = '\0'; /* not kept for the next try */
            xs_acct_clear_password(a);
            return t == XS_EXPORT
                       ? "here you can download only your own account"
                       : "here you can import only into your own account";
        }
        mine = a;
    } else if (same_jid(a->jid, owner)) {
        mine = a;
        other = b;
    } else if (same_jid(b->jid, owner)) {
        mine = b;
        other = a;
    } else {
        return "here you can move only your own account (to or from it)";
    }
    snprintf(mine->host, sizeof mine->host, "%s", p->xmpp_host);
    mine->port = p->xmpp_port;
    if (other) {
        other->host[0] = '\0';
        other->port = 0;
    }
    return NULL;
}

const char *xs_portal_can_start(struct xs_server *s, const struct xs_job *j,
                                int *code)
{
    if (!s->portal || !j->owner[0])
        return NULL;
    if (owned(s, j->owner, true) >= s->portal->max_session_jobs) {
        *code = MHD_HTTP_TOO_MANY_REQUESTS;
        return "you have work running already; wait for it to finish";
    }
    return NULL;
}

xporta_status xs_portal_history(struct xs_job *j, bool dry,
                                void (*line)(void *, const char *, size_t),
                                char *msg, size_t cap)
{
    struct xs_portal *p = j->srv->portal;
    if (!p || !p->store || j->type != XS_IMPORT)
        return XPORTA_OK;
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/upload.xml", j->dir);
    xporta_job *lj = NULL;
    xporta_status st = xporta_store_history_new(&lj, path, p->store, j->a.jid);
    if (st == XPORTA_OK) {
        xporta_job_set_dry_run(lj, dry);
        xporta_job_set_event_cb(lj, line, j);
        pthread_mutex_lock(&j->srv->mu);
        j->lj = lj;
        bool stopping = j->srv->stopping;
        pthread_mutex_unlock(&j->srv->mu);
        st = stopping ? XPORTA_ECANCELED : xporta_job_run(lj);
        pthread_mutex_lock(&j->srv->mu);
        j->lj = NULL;
        pthread_mutex_unlock(&j->srv->mu);
    }
    size_t n = strlen(msg);
    if (st == XPORTA_OK)
        snprintf(msg + n, cap - n, " %s%s",
                 dry ? "Your message history in the file will also be "
                       "written into your account's archive here."
                     : "Your message history was written into your "
                       "account's archive here.",
                 p->store_note);
    else
        snprintf(msg + n, cap - n,
                 " Your message history could not be written here: %s",
                 lj ? xporta_job_error(lj) : xporta_strerror(st));
    xporta_job_free(lj);
    return st;
}

/* ---- time ------------------------------------------------------------------
 */

void xs_portal_sweep(struct xs_server *s)
{
    struct xs_portal *p = s->portal;
    double now = xs_now();
    xs_ptab_expire(&p->sessions, now);
    for (struct xs_job *j = s->jobs; j; j = j->next_job) {
        /* A job of no account (personal mode's, in the same state
         * directory) is hidden, never removed. */
        if (j->deleted || j->state == XS_RUNNING || !j->owner[0])
            continue;
        char path[PATH_MAX + 16];
        struct stat st;
        if (j->type == XS_IMPORT && j->state == XS_DONE) {
            /* imported: the uploaded file has served */
            snprintf(path, sizeof path, "%s/upload.xml", j->dir);
            unlink(path);
        }
        /* job.json is rewritten at every change of state */
        snprintf(path, sizeof path, "%s/job.json", j->dir);
        if (stat(path, &st) != 0 || now - (double)st.st_mtime > p->file_ttl)
            xs_job_delete(j);
    }
}

void xs_portal_stop(struct xs_server *s)
{
    for (int i = 0; i < 6000; i++) { /* the checks end at their timeout */
        pthread_mutex_lock(&s->mu);
        unsigned left = s->portal->logins;
        pthread_mutex_unlock(&s->mu);
        if (!left)
            return;
        struct timespec ms10 = {0, 10 * 1000 * 1000};
        nanosleep(&ms10, NULL);
    }
}

void xs_portal_free(struct xs_server *s)
{
    if (!s->portal)
        return;
    volatile unsigned char *w = (volatile unsigned char *)s->portal;
    for (size_t i = 0; i < sizeof *s->portal; i++)
        w[i] = 0;
    free(s->portal);
    s->portal = NULL;
}
