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

#endif
