/*
 * lib/xmpp internals shared by the module's files and its unit tests.
 *
 * Design note.  Conversion between libstrophe stanzas and xp_elem trees is
 * the seam of this layer: everything above it sees xp_elem only.  Both
 * directions walk the tree iteratively (input depth never becomes C stack
 * depth) and stop at the named ceilings of lib/base: XP_MAX_DEPTH levels,
 * XP_MAX_ATTRS attributes per element and the arena's byte limit.
 *
 * What libstrophe 0.12.2 keeps of namespaces decides what the conversion
 * can do:
 *  - an element's namespace is its own "xmlns" attribute; the parser sets it
 *    on every element that has one, so a missing "xmlns" means "inherited".
 *    (An element in no namespace inside a namespaced parent is therefore
 *    read as inheriting: the parser leaves no trace of xmlns=''.)
 *  - the parser drops the namespace of attributes (parser_expat.c,
 *    _set_attributes: "namespaced attributes aren't used in xmpp"), so
 *    xml:lang arrives as "lang".  The one namespaced attribute XMPP uses
 *    everywhere is xml:lang, so "lang" is read back as {XML}lang; any other
 *    namespaced attribute arrives without its namespace.
 *  - attribute names are written verbatim, so outgoing attributes in a
 *    namespace get a prefix ("xml:" or one declared on the element).
 */
#ifndef XPORTA_XMPP_XMPP_P_H
#define XPORTA_XMPP_XMPP_P_H

#include <strophe.h>

#include "xmpp.h"

/* The default namespace of a client stream: top-level stanzas live in it. */
#define XP_STREAM_NS XP_NS_CLIENT

/* Builds a libstrophe stanza from an element tree.  `parent_ns` is the
 * default namespace in scope (XP_STREAM_NS for a top-level stanza, whose
 * "" namespace is then read as jabber:client).  Returns XPORTA_OK and a new
 * reference in *out (the caller releases it), XPORTA_ENOMEM, or
 * XPORTA_ETOOBIG when the tree is deeper than XP_MAX_DEPTH. */
xporta_status xp_stanza_from_elem(xmpp_ctx_t *ctx, const xp_elem *e,
                                  const char *parent_ns, xmpp_stanza_t **out);

/* Converts a stanza received (or built) by libstrophe into an element tree
 * allocated from `a`.  `parent_ns` is the namespace the root inherits when
 * it carries no xmlns.  Errors: XPORTA_ETOOBIG (deeper than XP_MAX_DEPTH,
 * more than XP_MAX_ATTRS attributes, or over the arena's limit: set it to
 * bound the bytes one stanza may take), XPORTA_ENOMEM.  The detail goes to
 * err when it is not NULL. */
xporta_status xp_stanza_to_elem(struct xp_arena *a, xmpp_stanza_t *st,
                                const char *parent_ns, xp_elem **out,
                                struct xp_err *err);

/* Fills error_type, condition and text of `r` from an <iq type='error'>
 * (RFC 6120 §8.3): the condition is the first child of <error> in the
 * urn:ietf:params:xml:ns:xmpp-stanzas namespace other than <text>.  A
 * missing <error> or condition reads as "undefined-condition"; a missing
 * type as "".  Strings point into `iq`. */
void xp_iq_error_parse(const xp_elem *iq, struct xp_iq_reply *r);

/* JID equality as servers compare them, without full stringprep: local
 * part and domain ASCII case-insensitive, resource exact.  NULL equals
 * nothing. */
bool xp_jid_eq(const char *a, const char *b);

/* Is `from` an acceptable sender for the reply to an IQ sent to `to`
 * (RFC 6120 §8.1.2.1 and §10.3)?  to == NULL means the request went to the
 * account itself.  A reply must come from the addressee; a request to the
 * account, its bare or full JID or its domain may also be answered without
 * 'from' (the server answers for the account).  A reply to a request sent
 * without 'to' may carry the account's bare or full JID or its domain. */
bool xp_iq_from_ok(const char *to, const char *from, const char *full,
                   const char *bare, const char *domain);

/* <OUTER xmlns=NS><INNER node=NODE/></OUTER> (node may be NULL): the
 * shape of every pubsub request; *inner_out (may be NULL) gets INNER.
 * NULL when the arena is full.  (xmpp_kinds.c, shared with
 * xmpp_moved.c.) */
xp_elem *xp_new_with_node(struct xp_arena *a, const char *ns, const char *outer,
                          const char *inner, const char *node,
                          xp_elem **inner_out);

/* ---- The client (xmpp_client.c) --------------------------------------------
 *
 * What a client does with a stream, whatever carries it: the real session
 * (xmpp_session.c) and the tests' fake server (tests/fake) embed one and
 * differ only in `send` (how a stanza leaves) and in the loop around
 * xp_client_receive. */
struct xp_pending {
    bool used;
    char id[48];
    char *to; /* addressee, NULL: the account */
    uint64_t deadline;
    xp_iq_cb cb;
    void *userdata;
};

struct xp_client {
    struct xp_session *s; /* handed to every callback */
    xmpp_ctx_t *ctx;      /* builds requests and answers */
    void (*send)(struct xp_session *s, xmpp_stanza_t *st);
    bool (*online)(const struct xp_session *s);
    struct xp_pending pending[XP_MAX_INFLIGHT];
    size_t inflight;
    uint64_t completed; /* requests whose callback ran */
    uint64_t seq;
    char id_prefix[24];
    struct xp_arena arena; /* one received stanza, reset after its callback */
    xp_stanza_cb on_stanza;
    void *on_stanza_ud;
    const char *answering_id; /* the IQ request being shown to on_stanza */
    bool answered;
};

void xp_client_init(struct xp_client *c, struct xp_session *s, xmpp_ctx_t *ctx,
                    const char *id_prefix,
                    void (*send)(struct xp_session *s, xmpp_stanza_t *st),
                    bool (*online)(const struct xp_session *s));
void xp_client_cleanup(struct xp_client *c);
/* Takes a slot and builds <iq type=TYPE to=TO id=...>PAYLOAD</iq> into
 * *out for the caller to send (and release).  XPORTA_ETOOBIG when
 * XP_MAX_INFLIGHT requests are in flight, XPORTA_ENOMEM; then no slot is
 * taken and cb never runs. */
xporta_status xp_client_iq(struct xp_client *c, const char *type,
                           const char *to, const xp_elem *payload,
                           uint64_t deadline, xp_iq_cb cb, void *userdata,
                           xmpp_stanza_t **out);
/* The transport could not send a request xp_client_iq built: its slot is
 * freed and its callback never runs. */
void xp_client_unsend(struct xp_client *c, xmpp_stanza_t *iq);
/* Completes every request in flight with `st` (a lost connection). */
void xp_client_fail_all(struct xp_client *c, xporta_status st);
/* Completes the requests whose deadline is `now` or earlier (timeout). */
void xp_client_expire(struct xp_client *c, uint64_t now);
uint64_t xp_client_next_deadline(const struct xp_client *c);
/* A stanza received: a reply completes its request when it comes from the
 * addressee; a request (roster pushes included) and any message or
 * presence go to on_stanza; a request nobody answered gets its answer
 * (see xp_session_on_stanza). */
void xp_client_receive(struct xp_client *c, xmpp_stanza_t *st);
/* A stanza the user sends: an answer to the request being shown counts
 * as its answer. */
void xp_client_note_sent(struct xp_client *c, const xp_elem *stanza);
/* Whether "{ns}name\n" lines hold the stream feature. */
bool xp_features_has(const struct xp_buf *features, const char *ns,
                     const char *name);

#endif
