/*
 * lib/model: the data being moved.
 *
 * Design note.  A record's payload is a small element tree (struct
 * xporta_elem) allocated from an arena: the XEP-0227 reader builds it from
 * expat events, the session layer from libstrophe stanzas, and both hand the
 * same shape to the rest of the library.  Neither parser leaks upward: this
 * layer includes no XML library.  Names and namespaces are plain strings;
 * prefixes are not kept (the serialiser declares namespaces where they
 * change), which is what XML namespaces mean anyway.
 */
#ifndef XPORTA_MODEL_XP_MODEL_H
#define XPORTA_MODEL_XP_MODEL_H

#include "../base/xp_base.h"
#include "xporta.h"

#define XP_NS_PIE "urn:xmpp:pie:0"
#define XP_NS_PIE_SCRAM "urn:xmpp:pie:0#scram"
#define XP_NS_PIE_MAM "urn:xmpp:pie:0#mam"
#define XP_NS_PIE_COMPONENT "urn:xmpp:pie:0#component"
#define XP_NS_MUC_OWNER "http://jabber.org/protocol/muc#owner"
#define XP_NS_MUC_USER "http://jabber.org/protocol/muc#user"
#define XP_NS_MUC_ROOMCONFIG "http://jabber.org/protocol/muc#roomconfig"
#define XP_NS_PIE_OLD "http://www.xmpp.org/extensions/xep-0227.html#ns"
#define XP_NS_CLIENT "jabber:client"
#define XP_NS_ROSTER "jabber:iq:roster"
#define XP_NS_PRIVATE "jabber:iq:private"
#define XP_NS_PRIVACY "jabber:iq:privacy"
#define XP_NS_BLOCKING "urn:xmpp:blocking"
#define XP_NS_VCARD "vcard-temp"
#define XP_NS_PUBSUB "http://jabber.org/protocol/pubsub"
#define XP_NS_PUBSUB_OWNER "http://jabber.org/protocol/pubsub#owner"
#define XP_NS_PUBSUB_EVENT "http://jabber.org/protocol/pubsub#event"
#define XP_NS_DATA "jabber:x:data"
#define XP_NS_MAM "urn:xmpp:mam:2"
#define XP_NS_FORWARD "urn:xmpp:forward:0"
#define XP_NS_DELAY "urn:xmpp:delay"
#define XP_NS_XINCLUDE "http://www.w3.org/2001/XInclude"
#define XP_NS_XML "http://www.w3.org/XML/1998/namespace"
#define XP_NS_RSM "http://jabber.org/protocol/rsm"
#define XP_NS_MOVED "urn:xmpp:moved:1"
#define XP_NS_DISCO_INFO "http://jabber.org/protocol/disco#info"
#define XP_NS_DISCO_ITEMS "http://jabber.org/protocol/disco#items"
#define XP_NS_STANZAS "urn:ietf:params:xml:ns:xmpp-stanzas"
#define XP_NS_OFFLINE "http://jabber.org/protocol/offline"

/* The kinds an account has (a room's own kinds come after OTHER).  Journal
 * headers name the kinds of a job within this set, so that a journal written
 * before the room kinds existed names the same job. */
#define XP_KINDS_ACCOUNT ((1u << (XPORTA_KIND_OTHER + 1)) - 1)

/* The blocklist's privacy-list form, as ejabberd's mod_blocking keeps it. */
#define XP_EJABBERD_BLOCKLIST "Blocked contacts"

struct xp_attr {
    const char *ns; /* "" for no namespace */
    const char *name;
    const char *value;
};

struct xporta_elem {
    const char *ns;   /* "" for no namespace */
    const char *name; /* NULL: a text node */
    const char *text; /* text node content (NUL-terminated) */
    size_t text_len;
    struct xp_attr *attrs;
    unsigned nattrs;
    unsigned attrs_cap;
    struct xporta_elem *first;
    struct xporta_elem *last;
    struct xporta_elem *next;
    struct xporta_elem *parent;
};

typedef struct xporta_elem xp_elem;

/* ---- building (all memory from the arena; NULL on exhaustion) ---------- */

xp_elem *xp_elem_new(struct xp_arena *a, const char *ns, const char *name);
/* Strings are copied into the arena. */
bool xp_elem_set_attr(struct xp_arena *a, xp_elem *e, const char *ns,
                      const char *name, const char *value);
/* Appends without looking for an existing attribute of that name (for
 * parsers, which already refuse duplicates); strings are borrowed. */
bool xp_elem_add_attr_ref(struct xp_arena *a, xp_elem *e, const char *ns,
                          const char *name, const char *value);
/* Borrowing variant: the strings must outlive the element. */
bool xp_elem_set_attr_ref(struct xp_arena *a, xp_elem *e, const char *ns,
                          const char *name, const char *value);
void xp_elem_remove_attr(xp_elem *e, const char *ns, const char *name);
void xp_elem_append(xp_elem *parent, xp_elem *child);
/* Appends text, merging with a trailing text node. */
bool xp_elem_add_text(struct xp_arena *a, xp_elem *e, const char *s, size_t n);
xp_elem *xp_elem_add_child(struct xp_arena *a, xp_elem *parent, const char *ns,
                           const char *name);
xp_elem *xp_elem_add_text_child(struct xp_arena *a, xp_elem *parent,
                                const char *ns, const char *name,
                                const char *text);
xp_elem *xp_elem_clone(struct xp_arena *a, const xp_elem *e);
/* Detaches e from its parent. */
void xp_elem_unlink(xp_elem *e);

/* ---- reading ----------------------------------------------------------- */

const char *xp_elem_attr_ns(const xp_elem *e, const char *ns, const char *name);
bool xp_elem_is(const xp_elem *e, const char *ns, const char *name);
xp_elem *xp_elem_child(const xp_elem *e, const char *ns, const char *name);
xp_elem *xp_elem_next_element(const xp_elem *e);
xp_elem *xp_elem_first_element(const xp_elem *e);
/* Text of the first text child ("" when none). */
const char *xp_elem_text(const xp_elem *e);
/* Text of a child element ("" if absent or empty, NULL if absent). */
const char *xp_elem_child_text(const xp_elem *e, const char *ns,
                               const char *name);
/* Whether `e` says anything: an attribute, a child element or text other
 * than whitespace. */
bool xp_elem_has_content(const xp_elem *e);
/* The value of field `var` in the data form (XEP-0004) that `parent`
 * holds, e.g. a node configuration: NULL when there is none. */
const char *xp_form_value(const xp_elem *parent, const char *var);
/* Moves every element in namespace `from` (this subtree) to `to`. */
void xp_elem_rename_ns(xp_elem *e, const char *from, const char *to);

/* ---- serialising ------------------------------------------------------- */

/* Appends XML text.  `parent_ns` is the default namespace in scope at the
 * insertion point ("" at a document root).  Namespaces are declared where
 * they change; attributes in a namespace get a prefix declared on the
 * element (xml:* keeps "xml"). */
xporta_status xp_elem_serialize(struct xp_buf *out, const xp_elem *e,
                                const char *parent_ns);
/* What XML 1.0 can carry: text (valid UTF-8, no control characters but
 * tab, newline and carriage return, no U+FFFE/U+FFFF), and a name without
 * a prefix (an NCName: ASCII letters, digits, '_', '-', '.', anything
 * beyond ASCII; not starting with a digit, '-' or '.'). */
bool xp_xml_text_ok(const char *s, size_t n);
bool xp_xml_ncname_ok(const char *s);
/* Escaping helpers for the writer. */
xporta_status xp_xml_escape_text(struct xp_buf *out, const char *s, size_t n);
xporta_status xp_xml_escape_attr(struct xp_buf *out, const char *s);

/* Structural equality: namespaces, names, attributes as sets, and content,
 * ignoring whitespace-only text between elements. */
bool xp_elem_equal(const xp_elem *a, const xp_elem *b);
/* A hash consistent with xp_elem_equal. */
uint64_t xp_elem_hash(const xp_elem *e);

/* ---- records ----------------------------------------------------------- */

struct xp_kind_info {
    const char *name;
    /* Where the writer puts a record of this kind inside <user>: the
     * container element (NULL = a direct child of <user>). */
    const char *container_ns;
    const char *container_name;
};

const struct xp_kind_info *xp_kind_info(xporta_kind k);

/* Derives rec->key (and rec->id) from rec->payload for every kind but
 * OFFLINE, whose key is a sequence number the producer assigns.  Strings
 * come from the arena.  Returns false when the payload lacks the attribute
 * the key is made of (the key is then ""). */
bool xp_record_derive_key(struct xp_arena *a, xporta_record *rec);

/* A SCRAM mechanism name's hash output length (20 for SCRAM-SHA-1), or 0
 * for a name that is not SCRAM-SHA-1/-224/-256/-384/-512. */
size_t xp_scram_hash_len(const char *mechanism);

/* ---- JIDs ------------------------------------------------------------- */

/* Splits without validating; parts point into `jid` (not NUL-terminated).
 * Returns false for an empty domain. */
struct xp_jid_parts {
    const char *local;
    size_t local_len;
    const char *domain;
    size_t domain_len;
    const char *resource;
    size_t resource_len;
};
bool xp_jid_split(const char *jid, struct xp_jid_parts *p);
/* The bare form (local@domain or domain), from the arena. */
char *xp_jid_bare(struct xp_arena *a, const char *jid);
/* Case-insensitive (ASCII) comparison of domains. */
bool xp_domain_eq(const char *a, size_t alen, const char *b);
/* The first n bytes of a and b are equal but for ASCII case. */
bool xp_ascii_ieq(const char *a, const char *b, size_t n);

#endif
