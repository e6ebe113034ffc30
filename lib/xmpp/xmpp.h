/*
 * lib/xmpp: a live account over the client protocol (RFC 6120/6121).
 *
 * Design note.  This is the only layer that includes <strophe.h>.  Above it,
 * stanzas are element trees (xp_elem, lib/model), so protocol modules build
 * requests and decode replies without knowing libstrophe, and unit tests can
 * drive them with a fake session.
 *
 * A session is single-threaded and callback-driven: xp_session_iq() sends a
 * request and returns at once; its callback runs exactly once, from inside
 * xp_session_run*(), with the result, the error stanza, a timeout or a
 * disconnect.  Many IQs may be in flight; xp_session_inflight() tells how
 * many, so callers can keep a window full (pipelining) without flooding.
 */
#ifndef XPORTA_XMPP_XMPP_H
#define XPORTA_XMPP_XMPP_H

#include "../model/xp_model.h"

/* Named ceilings of the layer. */
enum {
    XP_IQ_TIMEOUT_MS = 60 * 1000,   /* default per-request deadline */
    XP_CONNECT_TIMEOUT_MS = 30 * 1000,
    XP_MAX_INFLIGHT = 256,          /* hard cap on outstanding IQs */
};

struct xp_session;

struct xp_session_opts {
    const char *jid;      /* user@domain (a resource is added) */
    const char *password; /* copied; wiped from memory at close */
    const char *host;     /* connect here instead of resolving the domain */
    unsigned short port;  /* with host; 0 = 5222 */
    const char *cafile;   /* trust this CA (PEM) in addition to the system's */
    bool insecure;        /* do not verify the certificate (tests only) */
    const char *resource; /* NULL: "xporta-" + random */
};

/* Why an IQ completed. */
struct xp_iq_reply {
    xporta_status status;    /* OK: a result; ESTANZA: an error stanza;
                                ETIMEOUT; EDISCONNECTED */
    const xp_elem *iq;       /* the <iq> received (NULL unless OK/ESTANZA) */
    const char *error_type;  /* "cancel", "auth", ... (ESTANZA) */
    const char *condition;   /* "item-not-found", ... (ESTANZA) */
    const char *text;        /* the error's <text>, or NULL */
};

/* Called exactly once per request.  `reply` and everything it points to is
 * valid only during the call. */
typedef void (*xp_iq_cb)(struct xp_session *s, const struct xp_iq_reply *reply,
                         void *userdata);

/* A stanza that is not an IQ reply (message, presence, IQ request pushed by
 * the server such as a roster push).  Valid only during the call. */
typedef void (*xp_stanza_cb)(struct xp_session *s, const xp_elem *stanza,
                             void *userdata);

/* Connects, negotiates TLS (required: a server without it is refused) and
 * authenticates, blocking until done or failed.  Errors: XPORTA_ENET (name
 * or connection), XPORTA_ETLS (TLS or certificate), XPORTA_EAUTH (wrong
 * password or account), XPORTA_ETIMEOUT, XPORTA_EINVAL.  The detail, e.g.
 * "certificate for old.example is not trusted (self-signed)", is in err. */
xporta_status xp_session_open(struct xp_session **out,
                              const struct xp_session_opts *opts,
                              struct xp_err *err);
/* Ends the stream politely and frees everything.  Pending IQ callbacks run
 * with XPORTA_EDISCONNECTED first. */
void xp_session_close(struct xp_session *s);

/* The bound full JID, the bare JID and the domain of the account. */
const char *xp_session_jid(const struct xp_session *s);
const char *xp_session_bare(const struct xp_session *s);
const char *xp_session_domain(const struct xp_session *s);

/* Sends <iq type=TYPE to=TO>PAYLOAD</iq> (to NULL: the account itself;
 * payload may be NULL).  timeout_ms 0 = XP_IQ_TIMEOUT_MS.  Returns
 * XPORTA_OK when queued (cb will run later) or an error (cb never runs):
 * XPORTA_EDISCONNECTED, XPORTA_ETOOBIG (XP_MAX_INFLIGHT reached). */
xporta_status xp_session_iq(struct xp_session *s, const char *type,
                            const char *to, const xp_elem *payload,
                            unsigned timeout_ms, xp_iq_cb cb, void *userdata);
/* Sends any other stanza (presence, message) as is. */
xporta_status xp_session_send(struct xp_session *s, const xp_elem *stanza);
void xp_session_on_stanza(struct xp_session *s, xp_stanza_cb cb,
                          void *userdata);

size_t xp_session_inflight(const struct xp_session *s);
/* Runs the event loop for at most `ms` milliseconds (0: one pass without
 * waiting).  Returns XPORTA_EDISCONNECTED once the connection is gone. */
xporta_status xp_session_run(struct xp_session *s, unsigned ms);
/* Runs until no IQ is in flight, or `ms` passes (XPORTA_ETIMEOUT). */
xporta_status xp_session_drain(struct xp_session *s, unsigned ms);
/* Stream features the server announced (e.g. "urn:xmpp:features:pre-approval"
 * as "{urn:xmpp:features:pre-approval}sub"). */
bool xp_session_has_feature(const struct xp_session *s, const char *ns,
                            const char *name);
/* Total bytes received and sent (for throughput reports). */
uint64_t xp_session_bytes_in(const struct xp_session *s);
uint64_t xp_session_bytes_out(const struct xp_session *s);

#endif
