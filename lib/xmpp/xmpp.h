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
 *
 * Nothing is implicit: the session sends no initial presence and asks for
 * no roster; callers decide (export collects pending subscription requests
 * after its presence, import must not be seen online).  The only stanzas
 * the session sends by itself are answers to IQ requests nobody answered
 * (see xp_session_on_stanza).
 *
 * Callbacks run inside xp_session_run, xp_session_drain and
 * xp_session_close; they may send (xp_session_iq, xp_session_send) but must
 * neither run the loop nor close the session.
 */
#ifndef XPORTA_XMPP_XMPP_H
#define XPORTA_XMPP_XMPP_H

#include "../model/xp_model.h"

/* Named ceilings of the layer. */
enum {
    XP_IQ_TIMEOUT_MS = 60 * 1000, /* default per-request deadline */
    XP_CONNECT_TIMEOUT_MS = 30 * 1000,
    XP_MAX_INFLIGHT = 256, /* hard cap on outstanding IQs */
};

struct xp_session;

struct xp_session_opts {
    const char *jid;      /* user@domain (a resource is added) */
    const char *password; /* handed to libstrophe; wiped after the login */
    const char *host;     /* connect here instead of resolving the domain */
    unsigned short port;  /* with host; 0 = 5222 */
    const char *cafile;   /* trust this CA (PEM) in addition to the system's */
    bool insecure;        /* do not verify the certificate (tests only) */
    const char *resource; /* NULL: "xporta-" + random */
    unsigned timeout_ms;  /* the whole login; 0 = XP_CONNECT_TIMEOUT_MS */
};

/* Why an IQ completed. */
struct xp_iq_reply {
    xporta_status status;   /* OK: a result; ESTANZA: an error stanza;
                               ETIMEOUT; EDISCONNECTED; ETOOBIG or ENOMEM:
                               a reply came but could not be converted (over
                               XP_MAX_RECORD_BYTES or XP_MAX_DEPTH) */
    const xp_elem *iq;      /* the <iq> received (NULL unless OK/ESTANZA) */
    const char *error_type; /* "cancel", "auth", ... (ESTANZA; "" if none) */
    const char *condition;  /* "item-not-found", ... (ESTANZA; a missing
                               one reads "undefined-condition") */
    const char *text;       /* the error's <text>, or NULL; for ETOOBIG and
                               ENOMEM, the detail */
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
 * authenticates, blocking until done or failed (opts->timeout_ms).  The
 * certificate is verified against the system's CAs plus opts->cafile and
 * must name the JID's domain, also when opts->host is given.  Errors:
 * XPORTA_ENET (name or connection), XPORTA_ETLS (TLS or certificate),
 * XPORTA_EAUTH (wrong password or account), XPORTA_ETIMEOUT, XPORTA_EINVAL,
 * XPORTA_ENOMEM.  The detail is in err, e.g.
 *   "authentication failed for alice@old.localhost: not-authorized (...)"
 *   "certificate of old.localhost (127.0.0.1:15222) is not trusted: unable
 *    to get local issuer certificate (certificate /O=x/CN=old.localhost)"
 *   "cannot connect to old.localhost (127.0.0.1:1): Connection refused"
 * The password is never logged.  No presence is sent. */
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
/* Why the connection ended ("" while it is up), e.g. "old.localhost closed
 * the stream: conflict (Replaced by new connection)". */
const char *xp_session_error(const struct xp_session *s);

/* Sends <iq type=TYPE to=TO>PAYLOAD</iq> (TYPE "get" or "set"; to NULL:
 * the account itself; payload may be NULL).  timeout_ms 0 =
 * XP_IQ_TIMEOUT_MS.  Returns XPORTA_OK when queued (cb will run later) or
 * an error (cb never runs): XPORTA_EDISCONNECTED, XPORTA_ETOOBIG
 * (XP_MAX_INFLIGHT reached, or a payload deeper than XP_MAX_DEPTH),
 * XPORTA_EINVAL, XPORTA_ENOMEM.
 * Only a reply from the addressee counts (RFC 6120 §8.1.2.1): from TO, or,
 * for a request to the account (to NULL, or its bare or full JID or its
 * domain), from the account or its domain or without 'from'.  Anything else
 * is dropped, as is a reply after the deadline.
 * Namespaces: an element's ns becomes xmlns where it differs from its
 * parent's; attributes in a namespace get a prefix (xml:lang stays so). */
xporta_status xp_session_iq(struct xp_session *s, const char *type,
                            const char *to, const xp_elem *payload,
                            unsigned timeout_ms, xp_iq_cb cb, void *userdata);
/* Sends any other stanza (presence, message, an IQ answer) as is.  A
 * top-level element in no namespace is sent as jabber:client. */
xporta_status xp_session_send(struct xp_session *s, const xp_elem *stanza);
/* Messages, presences and IQ get/set requests (roster pushes included) go
 * to cb; NULL drops them.  Every IQ get/set is answered (RFC 6120 §8.2.3):
 * if cb sends a result or error with the request's id during the call
 * (xp_session_send), nothing more happens; otherwise the session answers
 * a roster push with a result (RFC 6121 §2.1.6) and anything else with
 * <service-unavailable/>.  A roster set from anyone but the account is not
 * a push: it is not shown and gets service-unavailable.  A stanza over the
 * ceilings is not shown (an IQ request still gets its answer).
 * Received attributes: libstrophe 0.12.2 drops attribute namespaces, so
 * xml:lang reaches the tree as {XP_NS_XML}lang (mapped back from "lang")
 * and other namespaced attributes arrive without their namespace. */
void xp_session_on_stanza(struct xp_session *s, xp_stanza_cb cb,
                          void *userdata);

size_t xp_session_inflight(const struct xp_session *s);
/* Runs the event loop for at most `ms` milliseconds (0: one pass without
 * waiting), and returns earlier once a request completed (its callback
 * ran): callers waiting for replies loop on it and look after each call.
 * Returns XPORTA_EDISCONNECTED once the connection is gone. */
xporta_status xp_session_run(struct xp_session *s, unsigned ms);
/* Runs until no IQ is in flight, or `ms` passes (XPORTA_ETIMEOUT). */
xporta_status xp_session_drain(struct xp_session *s, unsigned ms);
/* Stream features the server announced (e.g. "urn:xmpp:features:pre-approval"
 * as "{urn:xmpp:features:pre-approval}sub"): the children of the
 * <stream:features> received over TLS, before and after SASL (the ones
 * before TLS are unauthenticated and not kept). */
bool xp_session_has_feature(const struct xp_session *s, const char *ns,
                            const char *name);
/* Total bytes received and sent (for throughput reports): TCP payload
 * bytes, TLS records included, read from the socket (Linux TCP_INFO:
 * received, and sent and acknowledged), sampled by run, drain and these
 * calls while connected; 0 where TCP_INFO is unavailable.  libstrophe
 * 0.12.2 offers no byte hook. */
uint64_t xp_session_bytes_in(const struct xp_session *s);
uint64_t xp_session_bytes_out(const struct xp_session *s);

/* For xporta_version_string(): the libstrophe (major.minor at run time,
 * and the version compiled against) and the OpenSSL this library runs with
 * (xmpp_version.c), each as "NAME VERSION...". */
struct xp_library_versions {
    char strophe[96];
    char openssl[128];
};
void xp_session_library_versions(struct xp_library_versions *v);

#endif
