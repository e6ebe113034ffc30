/*
 * tests/fake/fake_session.c: the session API of lib/xmpp/xmpp.h over an
 * in-memory fake server, for tests that run the library's codecs and jobs
 * with no network.  It replaces lib/xmpp/xmpp_session.c at link time
 * (CMake target xporta_fake); the test-facing API is fake_server.h.
 *
 * Design note.
 *
 * What it models.  One process-wide set of servers (by domain, ASCII case
 * insensitive) holding accounts (bare JID, password) with the data a
 * client can read and write, answering as Prosody 0.12 does
 * (tests/data/stanzas/prosody-*.xml): roster (with pushes and RFC 6121
 * subscription states), pending subscription requests (replayed on initial
 * presence, routed between local accounts by subscribe/subscribed/
 * unsubscribe/unsubscribed on both rosters, pre-approval), vCard-temp,
 * private XML, privacy lists with the default and a per-session active
 * list, the XEP-0191 blocklist, PEP nodes (Prosody's configuration form,
 * create with a form, configure, publish with publish-options as
 * preconditions and auto-create, items with max_items kept, retract,
 * delete, affiliations, and the access models when another local account
 * reads a node), MAM preferences and the archive (data form start/end/
 * with, RSM max/after/before, <fin complete> without <count>, pages capped
 * at 50 like Prosody), disco#info/#items of the domain and of the account
 * (PEP nodes), ping, and messages between local accounts (delivered to
 * online sessions and archived).
 *
 * The wire is modelled too: a request is written with libstrophe as the
 * real session writes it (xp_stanza_from_elem, xmpp_stanza_to_text) and
 * the server parses that text with libstrophe's parser; replies travel
 * back as text and are read exactly as xmpp_session.c reads them
 * (xp_stanza_to_elem, the same reply matching with xp_iq_from_ok, the same
 * answers to unanswered IQ requests).  So attribute namespaces are lost
 * the way libstrophe 0.12.2 loses them, and a payload that the real
 * session could not carry fails here too.  Byte counters are the lengths
 * of that text.
 *
 * Time.  Nothing runs in the background: the server handles what a session
 * sent when the session runs (run, drain, close), first in first out,
 * and queues its answers; the session then delivers them in order (MAM
 * results before their IQ result, a roster push before the result of the
 * set that caused it, replayed subscription requests before the answer to
 * a ping sent after the presence).  Deadlines use the monotonic clock plus
 * a skew: when the only thing left is a request the server will never
 * answer (fake_fail "no-answer"), the session jumps its clock to the
 * deadline instead of sleeping.  It sleeps for real (at most 10 ms) only
 * when a run has nothing at all to do, so that callers waiting for the
 * wall clock (rate limits) do not spin.
 *
 * Out of memory (tests that make the Nth allocation fail link the fake
 * too): every path frees what it took; a stanza the server cannot read or
 * write ends the connection with internal-server-error rather than being
 * lost silently, and the session's drop needs no allocation.
 *
 * Files: fake_session.c (this API), fake_server.c (routing, presence,
 * roster, vCard, private XML, privacy, blocking, discovery),
 * fake_pubsub.c (PEP, MAM), fake_store.c (state, seeding, inspection).
 *
 * Faults (fake_server.h): an error answer for a kind of request, no answer
 * at all, a connection dropped at a given request or after N requests, a
 * stream error for every session of an account (fake_kill), a failed login,
 * features switched off per server.
 *
 * What it deliberately does not model: TLS, SASL and certificates (a login
 * is a password comparison; opts->host, port, cafile and insecure only
 * shape error messages), stream management and resumption, presence
 * broadcast and probes (only subscription presences and initial presence
 * matter to the jobs), offline message storage (a message to an account
 * with no session online is only archived; the XEP-0013 node answers
 * item-not-found, as on Prosody), PEP notifications and subscriptions,
 * pushes other than the roster's, Prosody's synchronisation
 * of storage:bookmarks with XEP-0402 and of vCard-temp with the PEP
 * avatar (mod_bookmarks, mod_vcard_legacy), roster versioning beyond a
 * 'ver' counter, privacy lists actually filtering stanzas, remote
 * domains (IQs to a domain without a fake server get
 * remote-server-not-found, subscription presences bounce), IQs between
 * clients, and stanza size limits on the server side.  Prosody 0.12 itself
 * has no privacy lists; the fake offers them unless jabber:iq:privacy is
 * removed (then they answer service-unavailable, as Prosody does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fake_p.h"

enum state { ST_ONLINE, ST_CLOSING, ST_CLOSED };

enum {
    IDLE_SLEEP_MS = 10,       /* the longest real wait of an idle run */
    FEATURES_MAX = 64 * 1024, /* as the real session */
};

/* One stanza as text. */
struct item {
    struct item *next;
    char *text;
    size_t len;
};

struct queue {
    struct item *head, *tail;
};

struct xp_session {
    struct fk_conn conn; /* the server's view */
    enum state state;
    struct xp_err err;
    char *jid, *bare, *domain, *where;
    struct xp_buf features;

    struct xp_client c; /* requests in flight, received stanzas (lib/xmpp) */

    struct queue up;   /* sent, not yet handled by the server */
    struct queue down; /* from the server, not yet delivered */
    bool dropping;     /* the server is closing the connection */
    /* Queued last when the server drops the connection: made in advance,
     * so that a drop needs no memory. */
    struct item closer;
    char close_condition[64];
    char close_why[256];

    uint64_t bytes_in, bytes_out;
    uint64_t skew; /* ms the session's clock is ahead of the real one */
};

static unsigned long sessions_made;

/* ---- small helpers ------------------------------------------------------ */

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t now_ms(const struct xp_session *s)
{
    return mono_ms() + s->skew;
}

static void sleep_ms(uint64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static struct xp_session *session_of(struct fk_conn *c)
{
    return (struct xp_session *)(void *)((char *)c -
                                         offsetof(struct xp_session, conn));
}

static char *printf_alloc(const char *fmt, ...) XP_PRINTF(1, 2);
static char *printf_alloc(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *p = malloc((size_t)n + 1);
    if (!p)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

static void item_free(struct xp_session *s, struct item *it)
{
    if (it == &s->closer)
        return;
    free(it->text);
    free(it);
}

static void queue_push(struct queue *q, struct item *it)
{
    it->next = NULL;
    if (q->tail)
        q->tail->next = it;
    else
        q->head = it;
    q->tail = it;
}

static struct item *queue_pop(struct queue *q)
{
    struct item *it = q->head;
    if (it) {
        q->head = it->next;
        if (!q->head)
            q->tail = NULL;
    }
    return it;
}

static void queue_clear(struct xp_session *s, struct queue *q)
{
    struct item *it;
    while ((it = queue_pop(q)))
        item_free(s, it);
}

/* Writes a stanza as libstrophe sends it. */
static xporta_status to_text(xmpp_stanza_t *st, struct item **out)
{
    char *buf = NULL;
    size_t len = 0;
    struct item *it = calloc(1, sizeof *it);
    if (!it || xmpp_stanza_to_text(st, &buf, &len) != XMPP_EOK) {
        free(it);
        return XPORTA_ENOMEM;
    }
    it->text = xp_strndup(buf, len);
    it->len = len;
    xmpp_free(fk_ctx(), buf);
    if (!it->text) {
        free(it);
        return XPORTA_ENOMEM;
    }
    *out = it;
    return XPORTA_OK;
}

/* Sends a stanza built with libstrophe (the server reads it later). */
static xporta_status send_stanza(struct xp_session *s, xmpp_stanza_t *st)
{
    struct item *it = NULL;
    xporta_status rc = to_text(st, &it);
    if (rc != XPORTA_OK)
        return rc;
    s->bytes_out += it->len;
    queue_push(&s->up, it);
    return XPORTA_OK;
}

/* ---- the server's side of the connection -------------------------------- */

void fk_conn_deliver(struct fk_conn *c, const xp_elem *stanza)
{
    struct xp_session *s = session_of(c);
    xmpp_stanza_t *st = NULL;
    struct item *it = NULL;
    if (s->state != ST_ONLINE || s->dropping)
        return;
    /* A stanza the server cannot send ends the stream (as an internal
     * error would), so that nothing is lost silently. */
    if (xp_stanza_from_elem(fk_ctx(), stanza, XP_NS_CLIENT, &st) != XPORTA_OK) {
        fk_conn_drop(c, "internal-server-error", "cannot write a stanza");
        return;
    }
    if (to_text(st, &it) == XPORTA_OK) {
        s->bytes_in += it->len;
        queue_push(&s->down, it);
    } else {
        fk_conn_drop(c, "internal-server-error", "out of memory");
    }
    xmpp_stanza_release(st);
}

void fk_conn_drop(struct fk_conn *c, const char *condition, const char *text)
{
    struct xp_session *s = session_of(c);
    if (s->dropping || s->state == ST_CLOSED)
        return;
    s->dropping = true;
    queue_clear(s, &s->up);
    snprintf(s->close_condition, sizeof s->close_condition, "%s",
             condition ? condition : "");
    snprintf(s->close_why, sizeof s->close_why, "%s", text ? text : "");
    queue_push(&s->down, &s->closer);
}

static void attach(struct xp_session *s, struct fk_account *acct)
{
    /* A second session with the same full JID replaces the first (as
     * Prosody does). */
    for (struct fk_conn *c = acct->conns; c; c = c->next)
        if (xp_jid_eq(c->full, s->conn.full))
            fk_conn_drop(c, "conflict", "Replaced by new connection");
    s->conn.acct = acct;
    s->conn.next = acct->conns;
    acct->conns = &s->conn;
}

static void detach(struct xp_session *s)
{
    struct fk_account *acct = s->conn.acct;
    for (struct fk_conn **p = acct ? &acct->conns : NULL; p && *p;
         p = &(*p)->next) {
        if (*p == &s->conn) {
            *p = s->conn.next;
            break;
        }
    }
    s->conn.acct = NULL;
    s->conn.next = NULL;
}

/* ---- the client half (lib/xmpp/xmpp_client.c, as the real session) ---- */

static void send_answer(struct xp_session *s, xmpp_stanza_t *st)
{
    (void)send_stanza(s, st); /* an answer lost to memory, as on a wire */
}

static bool is_online(const struct xp_session *s)
{
    return s->state == ST_ONLINE;
}

/* Delivers one queued stanza, or closes the connection at a marker. */
static void deliver(struct xp_session *s, struct item *it)
{
    if (it == &s->closer) {
        const char *why = s->close_why;
        s->state = ST_CLOSED;
        queue_clear(s, &s->down);
        if (s->close_condition[0])
            xp_fail(&s->err, XPORTA_EDISCONNECTED,
                    "%s closed the stream: %s%s%s%s", s->where,
                    s->close_condition, why[0] ? " (" : "", why,
                    why[0] ? ")" : "");
        else
            xp_fail(&s->err, XPORTA_EDISCONNECTED, "connection to %s lost: %s",
                    s->where, why);
        detach(s);
        xp_client_fail_all(&s->c, XPORTA_EDISCONNECTED);
        return;
    }
    xmpp_stanza_t *st = xmpp_stanza_new_from_string(fk_ctx(), it->text);
    if (st) {
        xp_client_receive(&s->c, st);
        xmpp_stanza_release(st);
    }
}

/* ---- open and close ----------------------------------------------------- */

static void destroy(struct xp_session *s)
{
    detach(s);
    queue_clear(s, &s->up);
    queue_clear(s, &s->down);
    xp_client_cleanup(&s->c);
    free(s->conn.full);
    free(s->conn.active_list);
    free(s->jid);
    free(s->bare);
    free(s->domain);
    free(s->where);
    xp_buf_cleanup(&s->features);
    free(s);
}

static xporta_status check_opts(const struct xp_session_opts *o,
                                struct xp_jid_parts *p, struct xp_err *err)
{
    if (!o || !o->jid || !o->password)
        return xp_fail(err, XPORTA_EINVAL, "jid and password are required");
    if (!xp_jid_split(o->jid, p) || !p->local || !p->local_len || p->resource)
        return xp_fail(err, XPORTA_EINVAL,
                       "'%s' is not an account address (user@domain)", o->jid);
    if (o->resource && (!o->resource[0] || strchr(o->resource, '/')))
        return xp_fail(err, XPORTA_EINVAL, "bad resource '%s'", o->resource);
    return XPORTA_OK;
}

/* The login: a password comparison (and the "login" fault). */
static xporta_status login(struct xp_session *s,
                           const struct xp_session_opts *o,
                           const struct xp_jid_parts *p,
                           struct fk_account **out)
{
    struct fk_server *srv = fk_server_find(p->domain, p->domain_len);
    struct fk_account *acct = srv ? fk_account_find(o->jid) : NULL;
    if (!srv)
        return xp_fail(&s->err, XPORTA_ENET,
                       "cannot connect to %s: Connection refused", s->where);
    const struct fk_fault *f = acct ? fk_fault_take(acct, "login") : NULL;
    if (f && strcmp(f->condition, "timeout") == 0)
        return xp_fail(&s->err, XPORTA_ETIMEOUT,
                       "no answer from %s within %u ms while authenticating",
                       s->where,
                       o->timeout_ms ? o->timeout_ms : XP_CONNECT_TIMEOUT_MS);
    if (f && strcmp(f->condition, "not-authorized") != 0)
        return xp_fail(&s->err, XPORTA_ENET,
                       "%s closed the stream while authenticating: %s%s%s%s",
                       s->where, f->condition, f->text ? " (" : "",
                       f->text ? f->text : "", f->text ? ")" : "");
    if (!acct || f || strcmp(acct->password, o->password) != 0)
        return xp_fail(&s->err, XPORTA_EAUTH,
                       "authentication failed for %s: not-authorized", o->jid);
    *out = acct;
    return XPORTA_OK;
}

/* opts->resource, or "xporta-fake" (then "xporta-fake-2", ... while the
 * account has a session with it). */
static char *bind_jid(const struct fk_account *acct, const char *resource)
{
    char *full = NULL;
    for (unsigned n = 1; !full || !resource; n++) {
        free(full);
        full = resource ? printf_alloc("%s/%s", acct->bare, resource)
               : n == 1 ? printf_alloc("%s/xporta-fake", acct->bare)
                        : printf_alloc("%s/xporta-fake-%u", acct->bare, n);
        if (!full || resource)
            return full;
        bool taken = false;
        for (const struct fk_conn *c = acct->conns; c && !taken; c = c->next)
            taken = xp_jid_eq(c->full, full);
        if (!taken)
            return full;
    }
    return full;
}

xporta_status xp_session_open(struct xp_session **out,
                              const struct xp_session_opts *opts,
                              struct xp_err *err)
{
    struct xp_jid_parts parts;
    struct xp_err local;
    struct fk_account *acct = NULL;
    if (!err) {
        xp_err_clear(&local);
        err = &local;
    }
    if (!out)
        return xp_fail(err, XPORTA_EINVAL, "no place for the session");
    *out = NULL;
    xporta_status st = check_opts(opts, &parts, err);
    if (st != XPORTA_OK)
        return st;
    struct xp_session *s = calloc(1, sizeof *s);
    if (!s)
        return xp_fail(err, XPORTA_ENOMEM, "out of memory");
    xp_err_clear(&s->err);
    xp_client_init(&s->c, s, fk_ctx(), "", send_answer, is_online);
    xp_buf_init(&s->features, FEATURES_MAX);
    s->domain = xp_strndup(parts.domain, parts.domain_len);
    s->where = !s->domain   ? NULL
               : opts->host ? printf_alloc("%s (%s:%u)", s->domain, opts->host,
                                           opts->port ? opts->port : 5222u)
                            : xp_strdup(s->domain);
    st = s->where ? login(s, opts, &parts, &acct)
                  : xp_fail(&s->err, XPORTA_ENOMEM, "out of memory");
    if (st == XPORTA_OK) {
        s->conn.full = bind_jid(acct, opts->resource);
        s->jid = s->conn.full ? xp_strdup(s->conn.full) : NULL;
        s->bare = xp_strdup(acct->bare);
        free(s->domain);
        s->domain = xp_strdup(acct->srv->domain);
        for (size_t i = 0; i < acct->srv->nfeatures; i++)
            if (acct->srv->features[i][0] == '{')
                (void)xp_buf_printf(&s->features, "%s\n",
                                    acct->srv->features[i]);
        if (!s->jid || !s->bare || !s->domain)
            st = xp_fail(&s->err, XPORTA_ENOMEM, "out of memory");
    }
    if (st != XPORTA_OK) {
        xp_fail(err, s->err.status, "%s", s->err.msg);
        destroy(s);
        return err->status;
    }
    snprintf(s->c.id_prefix, sizeof s->c.id_prefix, "fk%lu", ++sessions_made);
    s->state = ST_ONLINE;
    attach(s, acct);
    xp_err_clear(&s->err);
    *out = s;
    return XPORTA_OK;
}

void xp_session_close(struct xp_session *s)
{
    struct item *it;
    if (!s)
        return;
    if (s->state == ST_ONLINE) {
        s->state = ST_CLOSING;
        xp_client_fail_all(&s->c, XPORTA_EDISCONNECTED);
        /* The server still reads what was sent before the stream's end;
         * its answers go nowhere. */
        while (!s->dropping && (it = queue_pop(&s->up))) {
            fk_handle(&s->conn, it->text);
            item_free(s, it);
        }
    }
    xp_client_fail_all(&s->c, XPORTA_EDISCONNECTED);
    destroy(s);
}

/* ---- accessors ---------------------------------------------------------- */

const char *xp_session_jid(const struct xp_session *s)
{
    return s->jid;
}

const char *xp_session_bare(const struct xp_session *s)
{
    return s->bare;
}

const char *xp_session_domain(const struct xp_session *s)
{
    return s->domain;
}

const char *xp_session_error(const struct xp_session *s)
{
    return xp_err_msg(&s->err);
}

size_t xp_session_inflight(const struct xp_session *s)
{
    return s->c.inflight;
}

bool xp_session_has_feature(const struct xp_session *s, const char *ns,
                            const char *name)
{
    return xp_features_has(&s->features, ns, name);
}

uint64_t xp_session_bytes_in(const struct xp_session *s)
{
    return s->bytes_in;
}

uint64_t xp_session_bytes_out(const struct xp_session *s)
{
    return s->bytes_out;
}

/* ---- sending ------------------------------------------------------------ */

xporta_status xp_session_iq(struct xp_session *s, const char *type,
                            const char *to, const xp_elem *payload,
                            unsigned timeout_ms, xp_iq_cb cb, void *userdata)
{
    if (!s || !type || !cb ||
        (strcmp(type, "get") != 0 && strcmp(type, "set") != 0) ||
        (payload && !payload->name))
        return XPORTA_EINVAL;
    if (s->state != ST_ONLINE || s->dropping)
        return XPORTA_EDISCONNECTED;
    xmpp_stanza_t *iq = NULL;
    xporta_status st =
        xp_client_iq(&s->c, type, to, payload,
                     now_ms(s) + (timeout_ms ? timeout_ms : XP_IQ_TIMEOUT_MS),
                     cb, userdata, &iq);
    if (st != XPORTA_OK)
        return st;
    st = send_stanza(s, iq);
    if (st != XPORTA_OK)
        xp_client_unsend(&s->c, iq); /* never sent: cb never runs */
    xmpp_stanza_release(iq);
    return st;
}

xporta_status xp_session_send(struct xp_session *s, const xp_elem *stanza)
{
    xmpp_stanza_t *st = NULL;
    if (!s || !stanza || !stanza->name)
        return XPORTA_EINVAL;
    if (s->state != ST_ONLINE || s->dropping)
        return XPORTA_EDISCONNECTED;
    xporta_status rc = xp_stanza_from_elem(fk_ctx(), stanza, XP_STREAM_NS, &st);
    if (rc != XPORTA_OK)
        return rc;
    xp_client_note_sent(&s->c, stanza);
    rc = send_stanza(s, st);
    xmpp_stanza_release(st);
    return rc;
}

void xp_session_on_stanza(struct xp_session *s, xp_stanza_cb cb, void *userdata)
{
    s->c.on_stanza = cb;
    s->c.on_stanza_ud = userdata;
}

/* tests/alloc, when linked: pauses the injected allocation failures. */
void alloc_fail_suspend(bool on) __attribute__((weak));

/* ---- the loop ----------------------------------------------------------- */

/* Lets the server handle everything sent, then delivers one stanza.
 * Returns true when anything happened. */
static bool step(struct xp_session *s)
{
    bool progress = false;
    struct item *it;
    while (s->state == ST_ONLINE && !s->dropping && (it = queue_pop(&s->up))) {
        /* The server's own work is not the code under test: allocation
         * failure tests (tests/alloc) fail only the client's. */
        if (alloc_fail_suspend)
            alloc_fail_suspend(true);
        fk_handle(&s->conn, it->text);
        if (alloc_fail_suspend)
            alloc_fail_suspend(false);
        item_free(s, it);
        progress = true;
    }
    if (s->state == ST_ONLINE && (it = queue_pop(&s->down))) {
        deliver(s, it);
        item_free(s, it);
        progress = true;
    }
    return progress;
}

/* Runs until `end` (the session's clock) or, with until_idle, until
 * nothing is in flight (see the design note on time). */
static xporta_status pump(struct xp_session *s, uint64_t end, bool until_idle)
{
    bool worked = false;
    for (;;) {
        bool progress = step(s);
        xp_client_expire(&s->c, now_ms(s));
        if (s->state != ST_ONLINE)
            return XPORTA_EDISCONNECTED;
        if (until_idle && s->c.inflight == 0)
            return XPORTA_OK;
        if (progress) {
            worked = true;
            continue;
        }
        uint64_t now = now_ms(s);
        if (now >= end)
            return until_idle ? XPORTA_ETIMEOUT : XPORTA_OK;
        if (s->c.inflight > 0) {
            /* Only requests the server will never answer are left. */
            uint64_t wake = xp_client_next_deadline(&s->c);
            s->skew += (wake < end ? wake : end) - now;
            continue;
        }
        if (!worked)
            sleep_ms(end - now < IDLE_SLEEP_MS ? end - now : IDLE_SLEEP_MS);
        return XPORTA_OK;
    }
}

xporta_status xp_session_run(struct xp_session *s, unsigned ms)
{
    if (!s)
        return XPORTA_EINVAL;
    if (s->state != ST_ONLINE)
        return XPORTA_EDISCONNECTED;
    return pump(s, now_ms(s) + ms, false);
}

xporta_status xp_session_drain(struct xp_session *s, unsigned ms)
{
    if (!s)
        return XPORTA_EINVAL;
    if (s->c.inflight == 0)
        return XPORTA_OK;
    if (s->state != ST_ONLINE)
        return XPORTA_EDISCONNECTED;
    return pump(s, now_ms(s) + ms, true);
}
