/*
 * lib/xmpp/xmpp_session.c: a live account over libstrophe 0.12.2.
 *
 * Design note.  One xmpp_ctx_t and one xmpp_conn_t per session, driven with
 * xmpp_run_once() from xp_session_run(); nothing runs in the background.
 *
 * Requests.  Every stanza reaches one catch-all handler, which hands it
 * to the client half of the stream (xmpp_client.c, shared with the tests'
 * fake server).  IQ replies are matched against a fixed table of
 * XP_MAX_INFLIGHT pending requests (id and addressee), so a reply from anyone
 * but the addressee (RFC 6120 §8.1.2.1) is dropped like any unknown one.
 * Deadlines are checked by the loop itself, not by libstrophe timed handlers: a
 * slot is freed before its callback runs, so each request completes exactly
 * once and a late reply finds nothing to complete.
 *
 * Opening.  What a failed login tells (libstrophe's log, the certificate,
 * the stream error) is read by xmpp_login.c, which has the design note.
 *
 * Caveats of libstrophe 0.12.2 that this layer cannot fix:
 *  - its parser builds every incoming stanza whole, with no size or depth
 *    limit (the server's stanza size limit is the real bound); this layer
 *    bounds only its own copy (XP_MAX_RECORD_BYTES, XP_MAX_DEPTH);
 *  - src/parser_expat.c routes expat's allocations through the first
 *    context that ever creates a parser (a process-global); contexts here
 *    use the default allocator, so that only matters to allocation-failure
 *    tests, which need one process per test;
 *  - it keeps the password in the connection; the session hands it over
 *    once and wipes libstrophe's copy as soon as the login is over.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#ifdef __linux__
#include <linux/tcp.h>
#include <netinet/in.h>
#else
#include <netinet/in.h>
#include <netinet/tcp.h>
#endif

#include "xmpp_session_p.h"

enum {
    CLOSE_WAIT_MS = 2000,     /* for the server's </stream:stream> */
    FEATURES_MAX = 64 * 1024, /* recorded stream features */
};

_Thread_local struct xp_session *xp_session_opening;

/* ---- small helpers ------------------------------------------------------ */

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void wipe(char *p, size_t n)
{
    volatile char *v = p;
    while (n--)
        *v++ = 0;
}

/* Reads the socket's byte counters (see xp_session_bytes_in). */
static bool read_bytes(const struct xp_session *s, uint64_t *in, uint64_t *out)
{
#ifdef __linux__
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    if (s->fd < 0 || s->state != ST_ONLINE)
        return false;
    memset(&ti, 0, sizeof ti);
    if (getsockopt(s->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0)
        return false;
    /* Kernels before 4.2 fill a shorter structure. */
    if (len < offsetof(struct tcp_info, tcpi_bytes_received) +
                  sizeof ti.tcpi_bytes_received)
        return false;
    *in = ti.tcpi_bytes_received;
    *out = ti.tcpi_bytes_acked;
    return true;
#else
    (void)s;
    (void)in;
    (void)out;
    return false;
#endif
}

/* Bytes read out of the socket so far (by OpenSSL, which may hold some
 * decrypted and unread by libstrophe): received minus still queued. */
static bool read_taken(const struct xp_session *s, uint64_t *taken)
{
#ifdef __linux__
    uint64_t in, out;
    int queued = 0;
    if (!read_bytes(s, &in, &out) || ioctl(s->fd, FIONREAD, &queued) != 0 ||
        queued < 0)
        return false;
    *taken = in - (uint64_t)queued;
    return true;
#else
    (void)s;
    (void)taken;
    return false;
#endif
}

/* Keeps the last reading: the socket is gone once the session closes. */
static void poll_bytes(struct xp_session *s)
{
    read_bytes(s, &s->bytes_in, &s->bytes_out);
}

/* Nagle off: a stanza goes out when it is written.  With Nagle, one
 * written while an earlier one is unacknowledged waits for the server's
 * delayed ACK, about 40 ms when the earlier one made the server send
 * nothing back (measured: the ping an export sends behind its presence
 * left Prosody idle for 45 ms).  Failing to set it costs only that time. */
static int on_sockopt(xmpp_conn_t *conn, void *sock)
{
    struct xp_session *s = xp_session_opening;
    int fd = *(int *)sock, one = 1;
    if (s && s->conn == conn)
        s->fd = fd;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return 0;
}

/* ---- connection events -------------------------------------------------- */

static void on_conn(xmpp_conn_t *conn, xmpp_conn_event_t ev, int error,
                    xmpp_stream_error_t *se, void *ud)
{
    struct xp_session *s = ud;
    char buf[128];
    (void)conn;
    if (ev == XMPP_CONN_CONNECT) {
        if (s->state == ST_CONNECTING)
            s->state = ST_ONLINE;
        return;
    }
    if (ev == XMPP_CONN_RAW_CONNECT)
        return;
    enum state was = s->state;
    s->state = ST_CLOSED;
    if (se && !s->stream_error) {
        s->stream_error = true;
        xp_login_note(s->stream_condition, sizeof s->stream_condition,
                      xp_login_stream_condition(se));
        if (se->text)
            xp_login_note(s->stream_text, sizeof s->stream_text, se->text);
    }
    if (error && !s->conn_error)
        s->conn_error = error;
    if (was != ST_ONLINE)
        return;
    if (s->stream_error)
        xp_fail(&s->err, XPORTA_EDISCONNECTED, "%s closed the stream: %s%s%s%s",
                s->where, s->stream_condition, s->stream_text[0] ? " (" : "",
                s->stream_text, s->stream_text[0] ? ")" : "");
    else if (s->conn_error)
        xp_fail(&s->err, XPORTA_EDISCONNECTED, "connection to %s lost: %s",
                s->where, xp_login_errno_text(s->conn_error, buf, sizeof buf));
    else
        xp_fail(&s->err, XPORTA_EDISCONNECTED,
                "connection to %s closed by the server", s->where);
    xp_client_fail_all(&s->c, XPORTA_EDISCONNECTED);
}

/* ---- received stanzas (xmpp_client.c does the rest) --------------------- */

static void send_raw(struct xp_session *s, xmpp_stanza_t *st)
{
    xmpp_send(s->conn, st);
}

static bool is_online(const struct xp_session *s)
{
    return s->state == ST_ONLINE;
}

static int on_stanza(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
    struct xp_session *s = ud;
    (void)conn;
    s->handled++;
    if (s->state == ST_ONLINE) /* before that, libstrophe's business */
        xp_client_receive(&s->c, st);
    return 1;
}

/* ---- open and close ----------------------------------------------------- */

static void destroy(struct xp_session *s)
{
    if (s->conn) {
        /* libstrophe frees its copy of the password without wiping it. */
        const char *pass = xmpp_conn_get_pass(s->conn);
        if (pass)
            wipe((char *)pass, strlen(pass));
        xmpp_conn_release(s->conn);
    }
    if (s->ctx)
        xmpp_ctx_free(s->ctx);
    xp_client_cleanup(&s->c);
    free(s->account);
    free(s->where);
    free(s->jid);
    free(s->bare);
    free(s->domain);
    xp_buf_cleanup(&s->features);
    free(s);
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

static void hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
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

/* Builds the session and its libstrophe objects, ready to connect. */
static xporta_status prepare(struct xp_session *s,
                             const struct xp_session_opts *o,
                             const struct xp_jid_parts *p)
{
    unsigned char rnd[12];
    char res_rnd[9];
    s->account = xp_strdup(o->jid);
    s->domain = xp_strndup(p->domain, p->domain_len);
    s->where = o->host ? printf_alloc("%s (%s:%u)", s->domain, o->host,
                                      o->port ? o->port : 5222u)
                       : xp_strdup(s->domain);
    if (!s->account || !s->domain || !s->where)
        return XPORTA_ENOMEM;
    s->log.handler = xp_login_on_log;
    s->log.userdata = s;
    xmpp_initialize(); /* idempotent; xmpp_shutdown() is never called */
    s->ctx = xmpp_ctx_new(NULL, &s->log);
    s->conn = s->ctx ? xmpp_conn_new(s->ctx) : NULL;
    if (!s->conn)
        return XPORTA_ENOMEM;

    xmpp_rand_t *r = xmpp_rand_new(s->ctx);
    if (!r)
        return XPORTA_ENOMEM;
    xmpp_rand_bytes(r, rnd, sizeof rnd);
    xmpp_rand_free(s->ctx, r);
    hex(rnd, 8, s->c.id_prefix);
    s->c.ctx = s->ctx;
    hex(rnd + 8, 4, res_rnd);
    char *full = o->resource ? printf_alloc("%s/%s", o->jid, o->resource)
                             : printf_alloc("%s/xporta-%s", o->jid, res_rnd);
    if (!full)
        return XPORTA_ENOMEM;
    long flags = XMPP_CONN_FLAG_MANDATORY_TLS | XMPP_CONN_FLAG_DISABLE_SM;
    if (o->insecure)
        flags |= XMPP_CONN_FLAG_TRUST_TLS;
    xmpp_conn_set_flags(s->conn, flags);
    xmpp_conn_set_jid(s->conn, full);
    free(full);
    xmpp_conn_set_pass(s->conn, o->password);
    if (o->cafile)
        xmpp_conn_set_cafile(s->conn, o->cafile);
    xmpp_conn_set_certfail_handler(s->conn, xp_login_on_certfail);
    xmpp_conn_set_sockopt_callback(s->conn, on_sockopt);
    xmpp_handler_add(s->conn, on_stanza, NULL, NULL, NULL, s);
    return XPORTA_OK;
}

static void run_until_closed(struct xp_session *s, unsigned ms)
{
    uint64_t end = now_ms() + ms;
    while (s->state != ST_CLOSED && now_ms() < end)
        xmpp_run_once(s->ctx, 50);
}

static xporta_status login(struct xp_session *s,
                           const struct xp_session_opts *o)
{
    unsigned timeout = o->timeout_ms ? o->timeout_ms : XP_CONNECT_TIMEOUT_MS;
    uint64_t end = now_ms() + timeout;
    if (xmpp_connect_client(s->conn, o->host, o->port, on_conn, s) !=
        XMPP_EOK) {
        xp_login_connect_error(s, o->host ? o->host : s->domain);
        return s->err.status;
    }
    while (s->state == ST_CONNECTING) {
        uint64_t now = now_ms();
        if (now >= end) {
            /* No polite close: a peer this slow would not answer it.
             * xmpp_conn_release() drops the socket. */
            return xp_fail(&s->err, XPORTA_ETIMEOUT,
                           "no answer from %s within %u ms while %s", s->where,
                           timeout, xp_login_phase_name(s->phase));
        }
        xmpp_run_once(s->ctx, end - now < 100 ? end - now : 100);
    }
    if (s->state != ST_ONLINE) {
        xp_login_failure(s);
        return s->err.status;
    }
    const char *bound = xmpp_conn_get_bound_jid(s->conn);
    struct xp_jid_parts p;
    if (!bound || !xp_jid_split(bound, &p))
        return xp_fail(&s->err, XPORTA_ENET, "%s bound no usable JID",
                       s->where);
    s->jid = xp_strdup(bound);
    size_t bare_len =
        p.resource ? (size_t)(p.resource - 1 - bound) : strlen(bound);
    s->bare = xp_strndup(bound, bare_len);
    free(s->domain);
    s->domain = xp_strndup(p.domain, p.domain_len);
    if (!s->jid || !s->bare || !s->domain)
        return xp_fail(&s->err, XPORTA_ENOMEM, "out of memory");
    return XPORTA_OK;
}

xporta_status xp_session_open(struct xp_session **out,
                              const struct xp_session_opts *opts,
                              struct xp_err *err)
{
    struct xp_jid_parts parts;
    struct xp_err local;
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
    s->fd = -1;
    s->state = ST_CONNECTING;
    xp_err_clear(&s->err);
    xp_client_init(&s->c, s, NULL, "", send_raw, is_online);
    xp_buf_init(&s->features, FEATURES_MAX);

    st = prepare(s, opts, &parts);
    if (st == XPORTA_OK) {
        xp_session_opening = s;
        st = login(s, opts);
        xp_session_opening = NULL;
    } else {
        xp_fail(&s->err, st, "out of memory");
    }
    /* The login is over either way: nothing needs the password again. */
    if (s->conn) {
        const char *pass = xmpp_conn_get_pass(s->conn);
        if (pass)
            wipe((char *)pass, strlen(pass));
    }
    if (st != XPORTA_OK) {
        xp_fail(err, s->err.status, "%s", s->err.msg);
        destroy(s);
        return err->status;
    }
    s->log.handler = NULL; /* libstrophe formats no more log lines */
    xp_err_clear(&s->err);
    poll_bytes(s);
    *out = s;
    return XPORTA_OK;
}

void xp_session_close(struct xp_session *s)
{
    if (!s)
        return;
    if (s->state == ST_ONLINE) {
        poll_bytes(s);
        s->state = ST_CLOSING;
        xp_client_fail_all(&s->c, XPORTA_EDISCONNECTED);
        xmpp_disconnect(s->conn);
        run_until_closed(s, CLOSE_WAIT_MS);
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
    uint64_t in, out;
    return read_bytes(s, &in, &out) ? in : s->bytes_in;
}

uint64_t xp_session_bytes_out(const struct xp_session *s)
{
    uint64_t in, out;
    return read_bytes(s, &in, &out) ? out : s->bytes_out;
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
    if (s->state != ST_ONLINE)
        return XPORTA_EDISCONNECTED;
    xmpp_stanza_t *iq = NULL;
    xporta_status st =
        xp_client_iq(&s->c, type, to, payload,
                     now_ms() + (timeout_ms ? timeout_ms : XP_IQ_TIMEOUT_MS),
                     cb, userdata, &iq);
    if (st != XPORTA_OK)
        return st;
    xmpp_send(s->conn, iq);
    xmpp_stanza_release(iq);
    return XPORTA_OK;
}

xporta_status xp_session_send(struct xp_session *s, const xp_elem *stanza)
{
    xmpp_stanza_t *st = NULL;
    if (!s || !stanza || !stanza->name)
        return XPORTA_EINVAL;
    if (s->state != ST_ONLINE)
        return XPORTA_EDISCONNECTED;
    xporta_status rc = xp_stanza_from_elem(s->ctx, stanza, XP_STREAM_NS, &st);
    if (rc != XPORTA_OK)
        return rc;
    xp_client_note_sent(&s->c, stanza);
    xmpp_send(s->conn, st);
    xmpp_stanza_release(st);
    return XPORTA_OK;
}

void xp_session_on_stanza(struct xp_session *s, xp_stanza_cb cb, void *userdata)
{
    s->c.on_stanza = cb;
    s->c.on_stanza_ud = userdata;
}

/* ---- the loop ----------------------------------------------------------- */

/* Before the loop waits for the server, the server must not be waiting for
 * us.  Prosody keeps Nagle on (its default): once it has written a small
 * segment (under the MSS, which on loopback is 64 KiB: every write) that
 * we have not acknowledged, it holds its next one, the rest of a reply,
 * until our ACK comes, and Linux delays that ACK by 40 ms while the
 * connection looks interactive (requests out, replies in: ours does).
 * TCP_QUICKACK sends an ACK we owe now and leaves that mode, so what we
 * read next is acknowledged at once.  Measured: a PEP phase of an export
 * and some pages of its archive stalled 40-48 ms with Prosody idle;
 * session_acks shows the 45 ms on a server that splits its reply. */
static void ack_now(struct xp_session *s)
{
#ifdef TCP_QUICKACK
    int one = 1;
    if (s->fd >= 0)
        (void)setsockopt(s->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
#else
    (void)s;
#endif
}

/* Runs until `end` (CLOCK_MONOTONIC ms) or, with until_idle, until nothing
 * is in flight; without it, also until a request completes.  One pass at
 * least.
 *
 * libstrophe 0.12.2 reads at most 4 KiB per xmpp_run_once() and waits in
 * select(), which cannot see what OpenSSL has already decrypted into its
 * own buffer (a TLS record holds up to 16 KiB): the tail of a burst (the
 * last results of a MAM page and its <fin>, the rest of a big stanza)
 * could sit there until the wait ends, 10 ms a pass.  So we wait only
 * after TLS_SPINS passes in a row that handled no stanza and took nothing
 * more from the socket (a record is drained by then), and never long.
 *
 * A caller waiting for its replies loops on xp_session_run() and looks at
 * them after each call: returning as soon as one completed (its callback
 * ran) is what keeps a request from costing the caller's whole slice
 * (measured: every small kind of an export took 100 ms, the slice, for a
 * reply that came in under 1 ms).  Before returning, what the callbacks
 * queued (the next page of an archive) is handed to the socket: the
 * caller may do slow work (a checkpoint's fsync) before it runs the loop
 * again, and the server should not wait for that. */
enum { PUMP_MAX_WAIT_MS = 10, TLS_SPINS = 4 };

static xporta_status pump(struct xp_session *s, uint64_t end, bool until_idle)
{
    unsigned long before = s->handled - 1; /* the first pass never waits */
    uint64_t completed = s->c.completed;
    unsigned spins = 0;    /* passes in a row that handled nothing */
    uint64_t taken = 0, t; /* bytes taken from the socket */
    for (;;) {
        uint64_t now = now_ms();
        uint64_t wake = xp_client_next_deadline(&s->c);
        if (wake > end)
            wake = end;
        unsigned long wait = wake > now ? (unsigned long)(wake - now) : 0;
        if (s->handled != before)
            spins = 0;
        if (spins >= TLS_SPINS && read_taken(s, &t) && t != taken) {
            taken = t; /* a record came in: OpenSSL may hold more of it */
            spins = 0;
        }
        if (spins++ < TLS_SPINS)
            wait = 0;
        else if (wait > PUMP_MAX_WAIT_MS)
            wait = PUMP_MAX_WAIT_MS;
        before = s->handled;
        if (wait > 0)
            ack_now(s);
        xmpp_run_once(s->ctx, wait);
        xp_client_expire(&s->c, now_ms());
        if (s->state != ST_ONLINE)
            return XPORTA_EDISCONNECTED;
        if (until_idle && s->c.inflight == 0)
            return XPORTA_OK;
        if (!until_idle && s->c.completed != completed) {
            if (xmpp_conn_send_queue_len(s->conn) > 0)
                xmpp_run_once(s->ctx, 0); /* sends first */
            return s->state == ST_ONLINE ? XPORTA_OK : XPORTA_EDISCONNECTED;
        }
        if (now_ms() >= end)
            return until_idle ? XPORTA_ETIMEOUT : XPORTA_OK;
    }
}

xporta_status xp_session_run(struct xp_session *s, unsigned ms)
{
    if (!s)
        return XPORTA_EINVAL;
    if (s->state != ST_ONLINE)
        return XPORTA_EDISCONNECTED;
    xporta_status st = pump(s, now_ms() + ms, false);
    poll_bytes(s);
    return st;
}

xporta_status xp_session_drain(struct xp_session *s, unsigned ms)
{
    if (!s)
        return XPORTA_EINVAL;
    if (s->c.inflight == 0)
        return XPORTA_OK;
    if (s->state != ST_ONLINE)
        return XPORTA_EDISCONNECTED;
    xporta_status st = pump(s, now_ms() + ms, true);
    poll_bytes(s);
    return st;
}
