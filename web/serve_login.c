/* xporta serve, portal mode: logging in and out.  A login takes an
 * attempt from the client address's and the JID's token buckets (none
 * left: 429, and the server is not asked), then suspends the connection
 * while a detached thread asks the account's server over SASL
 * (xporta_account_check) and resumes it; the answer sets the session
 * cookie.  The password is wiped as soon as it has been checked. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "serve_portal_p.h"

void xs_portal_wipe(char *p)
{
    if (!p)
        return;
    volatile char *w = p;
    while (*w)
        *w++ = 0;
}

void xs_portal_login_free(struct xs_login *l)
{
    if (!l)
        return;
    xs_portal_wipe(l->password);
    free(l->password);
    free(l);
}

/* ---- logging in ------------------------------------------------------------
 */

static void *login_thread(void *arg)
{
    struct xs_login *l = arg;
    struct xs_portal *p = l->s->portal;
    xporta_account *a = NULL;
    xporta_status st = xporta_account_new(&a, l->jid);
    if (st == XPORTA_OK)
        st = xporta_account_set_password(a, l->password);
    if (st == XPORTA_OK && p->xmpp_host[0])
        st = xporta_account_set_server(a, p->xmpp_host, p->xmpp_port);
    if (st == XPORTA_OK && l->s->cafile)
        st = xporta_account_set_cafile(a, l->s->cafile);
    if (st == XPORTA_OK) {
        xporta_account_set_insecure(a, l->s->insecure);
        st = xporta_account_check(a, l->why, sizeof l->why);
    }
    xporta_account_free(a);
    xs_portal_wipe(l->password);
    free(l->password);
    l->password = NULL;
    struct xs_server *s = l->s;
    pthread_mutex_lock(&s->mu);
    l->st = st;
    l->done = true;
    p->logins--;
    MHD_resume_connection(l->c); /* after this, l belongs to the request */
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

static const char *login_words(xporta_status st)
{
    switch (st) {
    case XPORTA_EAUTH:
        return "the server refused the password (or there is no such "
               "account)";
    case XPORTA_ENET:
        return "the server of this account could not be reached";
    case XPORTA_ETLS:
        return "the server of this account did not prove who it is (TLS or "
               "its certificate)";
    case XPORTA_ETIMEOUT:
        return "the server of this account did not answer in time";
    default:
        return "the address is not a valid account";
    }
}

static void log_line(struct xs_server *s, const char *what, const char *jid,
                     const char *ip)
{
    char h[17];
    xs_keyed_hash(s->portal->log_key, jid, h);
    fprintf(s->err, "xporta serve: %s: account #%s from %s\n", what, h, ip);
}

static enum MHD_Result login_answer(struct xs_server *s,
                                    struct MHD_Connection *c, struct xs_req *q)
{
    struct xs_portal *p = s->portal;
    struct xs_login *l = q->login;
    pthread_mutex_lock(&s->mu); /* written by the login thread */
    xporta_status st = l->done ? l->st : XPORTA_EINVAL;
    pthread_mutex_unlock(&s->mu);
    if (st != XPORTA_OK) {
        log_line(s, "login refused", l->jid, l->ip);
        return xs_send_error(c,
                             st == XPORTA_EAUTH ? MHD_HTTP_UNAUTHORIZED
                                                : MHD_HTTP_BAD_GATEWAY,
                             login_words(st));
    }
    char cookie[200], csrf[XS_TOKEN_LEN + 1];
    pthread_mutex_lock(&s->mu);
    double now = xs_now();
    xs_bucket_refund(&p->by_ip, l->ip, now);
    xs_bucket_refund(&p->by_jid, l->jid, now);
    int i = xs_ptab_add(&p->sessions, l->jid, now);
    if (i >= 0) {
        snprintf(cookie, sizeof cookie,
                 "xporta_sid=%s; HttpOnly; SameSite=Strict; Path=/%s",
                 p->sessions.s[i].sid, p->secure ? "; Secure" : "");
        memcpy(csrf, p->sessions.s[i].csrf, sizeof csrf);
    }
    pthread_mutex_unlock(&s->mu);
    if (i < 0)
        return xs_send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
                             "too many people are logged in; try again "
                             "later");
    log_line(s, "login", l->jid, l->ip);
    struct xs_buf b = {0};
    xs_buf_str(&b, "{\"jid\":");
    xs_buf_jstr(&b, l->jid, 256);
    xs_buf_str(&b, ",\"csrf\":");
    xs_buf_jstr(&b, csrf, 64);
    xs_buf_str(&b, "}\n");
    struct MHD_Response *r =
        b.oom
            ? NULL
            : MHD_create_response_from_buffer(b.n, b.p, MHD_RESPMEM_MUST_COPY);
    xs_buf_free(&b);
    if (!r)
        return MHD_NO;
    xs_headers(r, true);
    MHD_add_response_header(r, "Content-Type", "application/json");
    MHD_add_response_header(r, "Set-Cookie", cookie);
    enum MHD_Result ok = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    xs_portal_wipe(cookie);
    return ok;
}

enum MHD_Result xs_portal_login(struct xs_server *s, struct MHD_Connection *c,
                                struct xs_req *q)
{
    struct xs_portal *p = s->portal;
    if (q->login) /* resumed: the check is done */
        return login_answer(s, c, q);
    struct xs_json js;
    if (xs_json_parse(&js, q->body.p ? q->body.p : "", q->body.n)) {
        xs_json_free(&js);
        return xs_send_error(c, MHD_HTTP_BAD_REQUEST,
                             "the request is not valid JSON");
    }
    struct xs_login *l = calloc(1, sizeof *l);
    const char *pw = xs_json_str(&js, "password");
    const char *why = NULL;
    if (!l)
        why = "out of memory";
    else if (!xs_login_jid(xs_json_str(&js, "jid"), l->jid, sizeof l->jid))
        why = "give your address, like name@example.org";
    else if (!pw || !*pw || strlen(pw) > 1024)
        why = "give your password";
    else if (!(l->password = strdup(pw)))
        why = "out of memory";
    xs_json_free(&js);
    if (why) {
        xs_portal_login_free(l);
        return xs_send_error(c, MHD_HTTP_BAD_REQUEST, why);
    }
    xs_portal_client_ip(p, c, l->ip, sizeof l->ip);
    double wait_ip = 0, wait_jid = 0;
    pthread_mutex_lock(&s->mu);
    double now = xs_now();
    /* Both buckets are charged, so trying many accounts from one address
     * and one account from many addresses are both slowed down. */
    bool ok_ip = xs_bucket_take(&p->by_ip, l->ip, now, &wait_ip);
    bool ok_jid = xs_bucket_take(&p->by_jid, l->jid, now, &wait_jid);
    bool busy = p->logins >= XS_LOGINS_AT_ONCE || s->stopping;
    if (ok_ip && ok_jid && !busy)
        p->logins++;
    pthread_mutex_unlock(&s->mu);
    if (!ok_ip || !ok_jid) {
        log_line(s, "login limited", l->jid, l->ip);
        xs_portal_login_free(l);
        double w = wait_ip > wait_jid ? wait_ip : wait_jid;
        char words[200];
        snprintf(words, sizeof words,
                 "too many login attempts; wait %.0f seconds and try again",
                 w < 1 ? 1 : w + 0.5);
        char ra[24];
        snprintf(ra, sizeof ra, "%.0f", w < 1 ? 1 : w + 0.5);
        struct xs_buf b = {0};
        xs_buf_str(&b, "{\"error\":");
        xs_buf_jstr(&b, words, 256);
        xs_buf_str(&b, "}\n");
        struct MHD_Response *r = b.oom ? NULL
                                       : MHD_create_response_from_buffer(
                                             b.n, b.p, MHD_RESPMEM_MUST_COPY);
        xs_buf_free(&b);
        if (!r)
            return MHD_NO;
        xs_headers(r, true);
        MHD_add_response_header(r, "Content-Type", "application/json");
        MHD_add_response_header(r, "Retry-After", ra);
        enum MHD_Result res = MHD_queue_response(c, 429, r);
        MHD_destroy_response(r);
        return res;
    }
    if (busy) {
        xs_portal_login_free(l);
        return xs_send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
                             "too many logins are being checked; try again "
                             "in a moment");
    }
    l->s = s;
    l->c = c;
    q->login = l;
    pthread_t th;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    /* Suspended before the thread may resume it. */
    MHD_suspend_connection(c);
    if (pthread_create(&th, &at, login_thread, l) != 0) {
        pthread_mutex_lock(&s->mu);
        p->logins--;
        l->st = XPORTA_ENOMEM;
        l->done = true;
        pthread_mutex_unlock(&s->mu);
        MHD_resume_connection(c);
    }
    pthread_attr_destroy(&at);
    return MHD_YES;
}

enum MHD_Result xs_portal_logout(struct xs_server *s, struct MHD_Connection *c,
                                 struct xs_req *q)
{
    pthread_mutex_lock(&s->mu);
    xs_ptab_remove(&s->portal->sessions, q->sess);
    pthread_mutex_unlock(&s->mu);
    char cookie[120];
    snprintf(cookie, sizeof cookie,
             "xporta_sid=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0%s",
             s->portal->secure ? "; Secure" : "");
    struct MHD_Response *r =
        MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    xs_headers(r, true);
    MHD_add_response_header(r, "Set-Cookie", cookie);
    enum MHD_Result ok = MHD_queue_response(c, MHD_HTTP_NO_CONTENT, r);
    MHD_destroy_response(r);
    return ok;
}
