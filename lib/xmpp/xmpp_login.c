/*
 * lib/xmpp/xmpp_login.c: what a failed login tells, for the real session
 * (xmpp_session.c): libstrophe's log, the certificate, the stream error.
 *
 * Design note.  libstrophe 0.12.2 tells little about a failed login: the
 * connection handler gets XMPP_CONN_DISCONNECT with error 0 for a refused
 * connection, a rejected password and a server without TLS alike, and user
 * handlers do not fire before authentication.  What it knows it writes to
 * its logger, so while the stream is negotiated the session installs a
 * log handler that reads what was received ("RECV: <failure ...>", the
 * stream features, "connection failed, error 111") and libstrophe's error
 * lines, and never looks at what was sent ("SENT: ..." carries the SASL
 * exchange).  Certificate failures come from the certfail handler, which
 * rejects and records OpenSSL's reason.  Once bound, the log handler is
 * removed, so libstrophe formats no more log lines.  Stream features are
 * recorded the same way: libstrophe keeps them to itself.
 *
 * libstrophe's certfail and sockopt callbacks carry no userdata; they run
 * only inside xp_session_open() (TCP connect, TLS handshake), so the
 * session being opened is found in a thread-local pointer, checked
 * against the context (certfail) or connection (sockopt) the callback
 * names.
 */
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "xmpp_session_p.h"

static const char *const phase_names[] = {"connecting", "opening the stream",
                                          "negotiating TLS", "authenticating",
                                          "binding a resource"};

const char *xp_login_phase_name(enum phase p)
{
    return phase_names[p];
}

void xp_login_note(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src);
}

const char *xp_login_errno_text(int e, char *buf, size_t cap)
{
    if (strerror_r(e, buf, cap) != 0)
        snprintf(buf, cap, "error %d", e);
    return buf;
}

/* Condition names in the order of libstrophe's xmpp_error_type_t. */
static const char *const stream_conditions[] = {
    "bad-format",
    "bad-namespace-prefix",
    "conflict",
    "connection-timeout",
    "host-gone",
    "host-unknown",
    "improper-addressing",
    "internal-server-error",
    "invalid-from",
    "invalid-id",
    "invalid-namespace",
    "invalid-xml",
    "not-authorized",
    "policy-violation",
    "remote-connection-failed",
    "resource-constraint",
    "restricted-xml",
    "see-other-host",
    "system-shutdown",
    "undefined-condition",
    "unsupported-encoding",
    "unsupported-stanza-type",
    "unsupported-version",
    "xml-not-well-formed",
};

/* The condition as sent: libstrophe's enum lacks some (RFC 6120's "reset",
 * "not-well-formed"), so the element is read first. */
const char *xp_login_stream_condition(const xmpp_stream_error_t *se)
{
    for (xmpp_stanza_t *c = se->stanza ? xmpp_stanza_get_children(se->stanza)
                                       : NULL;
         c; c = xmpp_stanza_get_next(c)) {
        const char *name = xmpp_stanza_get_name(c);
        const char *ns = xmpp_stanza_get_ns(c);
        if (!xmpp_stanza_is_text(c) && name && ns &&
            strcmp(ns, XMPP_NS_STREAMS_IETF) == 0 && strcmp(name, "text") != 0)
            return name;
    }
    if ((unsigned)se->type <
        sizeof stream_conditions / sizeof stream_conditions[0])
        return stream_conditions[se->type];
    return "undefined-condition";
}

/* ---- what the login taught: libstrophe's log ---------------------------- */

/* Features sent before TLS are not recorded: anyone on the path could
 * have written them.  They only tell whether STARTTLS is offered. */
static void note_features(struct xp_session *s, const char *xml)
{
    xmpp_stanza_t *st = xmpp_stanza_new_from_string(s->ctx, xml);
    bool starttls = false, mechanisms = false, bind = false;
    bool secure = s->phase >= PH_TLS;
    if (!st)
        return;
    for (xmpp_stanza_t *c = xmpp_stanza_get_children(st); c;
         c = xmpp_stanza_get_next(c)) {
        const char *name = xmpp_stanza_get_name(c);
        const char *ns = xmpp_stanza_get_ns(c);
        if (xmpp_stanza_is_text(c) || !name)
            continue;
        if (!ns)
            ns = "";
        if (secure && !xp_session_has_feature(s, ns, name))
            (void)xp_buf_printf(&s->features, "{%s}%s\n", ns, name);
        starttls |= strcmp(name, "starttls") == 0;
        mechanisms |= strcmp(name, "mechanisms") == 0;
        bind |= strcmp(name, "bind") == 0;
    }
    xmpp_stanza_release(st);
    if (s->phase == PH_STREAM && !starttls)
        s->no_tls = true;
    if (mechanisms)
        s->phase = PH_AUTH;
    if (bind)
        s->phase = PH_BIND;
}

static void note_sasl_failure(struct xp_session *s, const char *xml)
{
    xmpp_stanza_t *st = xmpp_stanza_new_from_string(s->ctx, xml);
    s->sasl_failed = true;
    if (!st)
        return;
    for (xmpp_stanza_t *c = xmpp_stanza_get_children(st); c;
         c = xmpp_stanza_get_next(c)) {
        const char *name = xmpp_stanza_get_name(c);
        if (xmpp_stanza_is_text(c) || !name)
            continue;
        if (strcmp(name, "text") == 0) {
            const char *t = xmpp_stanza_get_text_ptr(
                xmpp_stanza_get_children(c) ? xmpp_stanza_get_children(c) : c);
            if (t && !s->sasl_text[0])
                xp_login_note(s->sasl_text, sizeof s->sasl_text, t);
        } else if (!s->sasl_condition[0]) {
            xp_login_note(s->sasl_condition, sizeof s->sasl_condition, name);
        }
    }
    xmpp_stanza_release(st);
}

static void note_received(struct xp_session *s, const char *xml)
{
    if (strncmp(xml, "<features", 9) == 0)
        note_features(s, xml);
    else if (strncmp(xml, "<proceed", 8) == 0)
        s->phase = PH_TLS;
    else if (strncmp(xml, "<success", 8) == 0)
        s->phase = PH_BIND;
    else if (strncmp(xml, "<failure", 8) == 0 &&
             strstr(xml, "urn:ietf:params:xml:ns:xmpp-sasl"))
        note_sasl_failure(s, xml);
}

void xp_login_on_log(void *ud, xmpp_log_level_t level, const char *area,
                     const char *msg)
{
    struct xp_session *s = ud;
    int e;
    if (s->state != ST_CONNECTING)
        return;
    /* What we send carries the SASL exchange: never look at it. */
    if (strncmp(msg, "SENT:", 5) == 0)
        return;
    if (strncmp(msg, "RECV: ", 6) == 0) {
        note_received(s, msg + 6);
        return;
    }
    if (strcmp(area, "xmpp") == 0) {
        if (strcmp(msg, "connection successful") == 0)
            s->phase = PH_STREAM;
        else if (sscanf(msg, "connection failed, error %d", &e) == 1)
            s->connect_errno = e;
    }
    if (strcmp(area, "tls") == 0 && strncmp(msg, "error:", 6) == 0 &&
        !s->tls_error[0])
        xp_login_note(s->tls_error, sizeof s->tls_error, msg);
    if (level == XMPP_LEVEL_ERROR && !s->lib_error[0]) {
        xp_login_note(s->lib_error, sizeof s->lib_error, msg);
        if (strstr(msg, "TLS is not supported"))
            s->no_tls = true;
    }
}

int xp_login_on_certfail(const xmpp_tlscert_t *cert, const char *const errormsg)
{
    struct xp_session *s = xp_session_opening;
    /* 0.12.2 fills the certificate's context but not its connection. */
    if (!s || xmpp_tlscert_get_ctx(cert) != s->ctx)
        return 0;
    if (!s->cert_reason[0]) {
        const char *subject = xmpp_tlscert_get_string(cert, XMPP_CERT_SUBJECT);
        struct xp_buf b;
        xp_buf_init(&b, sizeof s->cert_reason - 1);
        (void)xp_buf_printf(&b, "%s (certificate %s",
                            errormsg ? errormsg : "verification failed",
                            subject ? subject : "without subject");
        for (size_t i = 0; i < 8; i++) {
            const char *name = xmpp_tlscert_get_dnsname(cert, i);
            if (!name)
                break;
            (void)xp_buf_printf(&b, "%s%s", i ? ", " : ", for ", name);
        }
        (void)xp_buf_addc(&b, ')');
        xp_login_note(s->cert_reason, sizeof s->cert_reason, xp_buf_str(&b));
        xp_buf_cleanup(&b);
    }
    return 0; /* reject */
}

/* Why the login failed, from what on_log, on_certfail and on_conn saw. */
void xp_login_failure(struct xp_session *s)
{
    char buf[128];
    if (s->cert_reason[0])
        xp_fail(&s->err, XPORTA_ETLS, "certificate of %s is not trusted: %s",
                s->where, s->cert_reason);
    else if (s->sasl_failed)
        xp_fail(&s->err, XPORTA_EAUTH, "authentication failed for %s: %s%s%s%s",
                s->account,
                s->sasl_condition[0] ? s->sasl_condition : "failure",
                s->sasl_text[0] ? " (" : "", s->sasl_text,
                s->sasl_text[0] ? ")" : "");
    else if (s->no_tls)
        xp_fail(&s->err, XPORTA_ETLS,
                "%s does not offer TLS (no STARTTLS in its stream features); "
                "refusing to log in without it",
                s->where);
    else if (s->stream_error)
        xp_fail(&s->err,
                strcmp(s->stream_condition, "not-authorized") == 0
                    ? XPORTA_EAUTH
                    : XPORTA_ENET,
                "%s closed the stream while %s: %s%s%s%s", s->where,
                xp_login_phase_name(s->phase), s->stream_condition,
                s->stream_text[0] ? " (" : "", s->stream_text,
                s->stream_text[0] ? ")" : "");
    else if (s->connect_errno)
        xp_fail(&s->err, XPORTA_ENET, "cannot connect to %s: %s", s->where,
                xp_login_errno_text(s->connect_errno, buf, sizeof buf));
    else if (s->phase == PH_TLS)
        xp_fail(&s->err, XPORTA_ETLS, "TLS handshake with %s failed: %s",
                s->where,
                s->tls_error[0]   ? s->tls_error
                : s->lib_error[0] ? s->lib_error
                                  : "connection closed");
    else if (s->phase == PH_AUTH)
        xp_fail(&s->err, XPORTA_EAUTH, "authentication failed for %s: %s",
                s->account,
                s->lib_error[0] ? s->lib_error : "connection closed");
    else
        xp_fail(&s->err, XPORTA_ENET, "connection to %s closed while %s%s%s",
                s->where, xp_login_phase_name(s->phase),
                s->lib_error[0] ? ": " : "", s->lib_error);
}

/* xmpp_connect_client() failed at once: name resolution or socket(). */
void xp_login_connect_error(struct xp_session *s, const char *name)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(name, NULL, &hints, &res);
    if (rc != 0)
        xp_fail(&s->err, XPORTA_ENET, "cannot resolve %s: %s", name,
                gai_strerror(rc));
    else
        xp_fail(&s->err, XPORTA_ENET, "cannot connect to %s", s->where);
    if (res)
        freeaddrinfo(res);
}
