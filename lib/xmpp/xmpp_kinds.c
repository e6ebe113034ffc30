/*
 * Requests and replies for each kind of account data (xmpp_kinds.h), except
 * MAM and dates (xmpp_mam.c), and the restore builders (at the end).
 *
 * Design note.  A decoder turns a reply into the records the XEP-0227
 * reader (lib/pie) makes of the same data, so that a live account and a
 * file compare equal: the payload is the element a XEP-0227 file carries
 * (a roster <item>, the <vCard>, one PEP <item>, ...) and the key comes
 * from xp_record_derive_key.  Where the reply's element already has that
 * shape it is handed out as is (no copy); where it must change (a pending
 * <presence> loses to/id, an <affiliations> loses malformed entries) a copy
 * is built in the caller's arena.
 *
 * Replies are untrusted: an entry without the attribute its key is made of
 * is skipped, XPORTA_EFORMAT means the reply as a whole is unusable (the
 * element asked for is missing), and every walk is a loop over siblings or
 * an explicit climb (clone_tree), never recursion on the input's depth.
 *
 * What the servers send (replies captured in tests/data/stanzas):
 *  - a pending request is re-sent after the initial presence: Prosody 0.12
 *    the stored stanza (to, xml:lang, <status> and <nick> kept), ejabberd
 *    23.01 a new one with the <status> text only, and only for a priority
 *    >= 0 (Prosody also for a negative one);
 *  - "no vCard" is an empty <vCard/> on both;
 *  - Prosody's mod_bookmarks answers storage:bookmarks (private and PEP)
 *    from the XEP-0402 node; ejabberd 23.01 does not mirror;
 *  - PEP affiliations: ejabberd lists the owner of every node; Prosody
 *    lists nobody for the nodes a client created;
 *  - PEP items: ejabberd pages with RSM (<set> before <items>, its ids are
 *    timestamps, <count> and <first index> given); Prosody 0.12 ignores
 *    RSM there and sends every item without a <set>.
 */
#include <stdio.h>
#include <string.h>

#include "xmpp_kinds.h"
#include "xmpp_p.h"

/* ---- helpers ------------------------------------------------------------- */

/* One node without its children; strings copied into the arena (a record
 * built here may outlive the reply, e.g. xp_pending_decode's). */
static xp_elem *clone_node(struct xp_arena *a, const xp_elem *n)
{
    if (!n->name) {
        xp_elem *t = xp_elem_new(a, "", NULL);
        if (!t)
            return NULL;
        t->text = xp_arena_strndup(a, n->text, n->text_len);
        t->text_len = n->text_len;
        return t->text ? t : NULL;
    }
    const char *ns = n->ns[0] ? xp_arena_strdup(a, n->ns) : "";
    const char *name = xp_arena_strdup(a, n->name);
    if (!ns || !name)
        return NULL;
    xp_elem *c = xp_elem_new(a, ns, name);
    if (!c)
        return NULL;
    for (unsigned i = 0; i < n->nattrs; i++)
        if (!xp_elem_set_attr(a, c, n->attrs[i].ns, n->attrs[i].name,
                              n->attrs[i].value))
            return NULL;
    return c;
}

/* Appends a deep copy of e's children to `to`.  Iterative: the copy climbs
 * back through parent pointers, so nesting never becomes C stack depth. */
static bool clone_children(struct xp_arena *a, xp_elem *to, const xp_elem *e)
{
    const xp_elem *n = e->first;
    xp_elem *parent = to;
    while (n) {
        xp_elem *c = clone_node(a, n);
        if (!c)
            return false;
        xp_elem_append(parent, c);
        if (n->name && n->first) {
            parent = c;
            n = n->first;
            continue;
        }
        while (!n->next && n->parent != e) {
            n = n->parent;
            parent = parent->parent;
        }
        n = n->next;
    }
    return true;
}

static xp_elem *clone_tree(struct xp_arena *a, const xp_elem *e)
{
    xp_elem *c = clone_node(a, e);
    if (!c || !e->name || clone_children(a, c, e))
        return c;
    return NULL;
}

static const char *attr(const xp_elem *e, const char *name)
{
    return xp_elem_attr_ns(e, "", name);
}

/* An attribute that is present and not empty. */
static const char *attr_set(const xp_elem *e, const char *name)
{
    const char *v = attr(e, name);
    return v && *v ? v : NULL;
}

/* Hands out one record whose key derives from its payload. */
static xporta_status emit(struct xp_arena *a, xporta_kind kind,
                          xp_elem *payload, const char *key, xp_record_fn fn,
                          void *ud)
{
    xporta_record rec;
    memset(&rec, 0, sizeof rec);
    rec.kind = kind;
    rec.key = key;
    rec.payload = payload;
    if (!xp_record_derive_key(a, &rec))
        return xp_arena_over_limit(a, 0) ? XPORTA_ETOOBIG : XPORTA_ENOMEM;
    fn(ud, &rec);
    return XPORTA_OK;
}

xp_elem *xp_new_with_node(struct xp_arena *a, const char *ns, const char *outer,
                          const char *inner, const char *node,
                          xp_elem **inner_out)
{
    xp_elem *p = xp_elem_new(a, ns, outer);
    xp_elem *c = p ? xp_elem_add_child(a, p, ns, inner) : NULL;
    if (!c || (node && !xp_elem_set_attr(a, c, "", "node", node)))
        return NULL;
    if (inner_out)
        *inner_out = c;
    return p;
}

/* ---- service discovery --------------------------------------------------- */

xp_elem *xp_disco_info_query(struct xp_arena *a, const char *node)
{
    xp_elem *q = xp_elem_new(a, XP_NS_DISCO_INFO, "query");
    if (q && node && !xp_elem_set_attr(a, q, "", "node", node))
        return NULL;
    return q;
}

xp_elem *xp_disco_items_query(struct xp_arena *a, const char *node)
{
    xp_elem *q = xp_elem_new(a, XP_NS_DISCO_ITEMS, "query");
    if (q && node && !xp_elem_set_attr(a, q, "", "node", node))
        return NULL;
    return q;
}

bool xp_disco_has_feature(const xp_elem *iq, const char *var)
{
    const xp_elem *q = xp_elem_child(iq, XP_NS_DISCO_INFO, "query");
    for (const xp_elem *f = xp_elem_first_element(q); f;
         f = xp_elem_next_element(f))
        if (xp_elem_is(f, XP_NS_DISCO_INFO, "feature") &&
            xp_streq(attr(f, "var"), var))
            return true;
    return false;
}

xporta_status xp_disco_pep_nodes(const xp_elem *iq, const char *owner,
                                 void (*fn)(void *ud, const char *node),
                                 void *ud)
{
    const xp_elem *q = xp_elem_child(iq, XP_NS_DISCO_ITEMS, "query");
    if (!q)
        return XPORTA_EFORMAT;
    for (const xp_elem *it = xp_elem_first_element(q); it;
         it = xp_elem_next_element(it)) {
        const char *node = attr_set(it, "node");
        if (!xp_elem_is(it, XP_NS_DISCO_ITEMS, "item") || !node)
            continue; /* ejabberd also lists the connected resources */
        if (owner && !xp_jid_eq(attr(it, "jid"), owner))
            continue;
        fn(ud, node);
    }
    return XPORTA_OK;
}

/* ---- roster and pending subscriptions ------------------------------------ */

xp_elem *xp_roster_query(struct xp_arena *a)
{
    return xp_elem_new(a, XP_NS_ROSTER, "query");
}

xporta_status xp_roster_decode(struct xp_arena *a, const xp_elem *iq,
                               xp_record_fn fn, void *ud)
{
    const xp_elem *q = xp_elem_child(iq, XP_NS_ROSTER, "query");
    if (!q)
        return XPORTA_EFORMAT;
    for (xp_elem *it = xp_elem_first_element(q); it;
         it = xp_elem_next_element(it)) {
        if (!xp_elem_is(it, XP_NS_ROSTER, "item") || !attr_set(it, "jid"))
            continue;
        xporta_status st = emit(a, XPORTA_KIND_ROSTER, it, NULL, fn, ud);
        if (st != XPORTA_OK)
            return st;
    }
    return XPORTA_OK;
}

bool xp_pending_decode(struct xp_arena *a, const xp_elem *presence,
                       xporta_record *out)
{
    if (!presence || !presence->name ||
        (!xp_elem_is(presence, XP_NS_CLIENT, "presence") &&
         !xp_elem_is(presence, "", "presence")) ||
        !xp_streq(attr(presence, "type"), "subscribe"))
        return false;
    const char *from = attr_set(presence, "from");
    const char *bare = from ? xp_jid_bare(a, from) : NULL;
    if (!bare || !*bare)
        return false;
    /* The request as XEP-0227 keeps it: who asked, and what they said.  to
     * is the old account and id belongs to the old stream. */
    xp_elem *p = xp_elem_new(a, XP_NS_CLIENT, "presence");
    if (!p || !xp_elem_set_attr(a, p, "", "type", "subscribe") ||
        !xp_elem_set_attr(a, p, "", "from", bare))
        return false;
    for (unsigned i = 0; i < presence->nattrs; i++) {
        const struct xp_attr *at = &presence->attrs[i];
        static const char *const dropped[] = {"type", "from", "to", "id"};
        bool drop = false;
        for (size_t k = 0; at->ns[0] == '\0' && k < 4; k++)
            drop = drop || strcmp(at->name, dropped[k]) == 0;
        if (!drop && !xp_elem_set_attr(a, p, at->ns, at->name, at->value))
            return false;
    }
    if (!clone_children(a, p, presence))
        return false;
    memset(out, 0, sizeof *out);
    out->kind = XPORTA_KIND_PENDING;
    out->payload = p;
    return xp_record_derive_key(a, out);
}

/* ---- vCard-temp ---------------------------------------------------------- */

xp_elem *xp_vcard_query(struct xp_arena *a)
{
    return xp_elem_new(a, XP_NS_VCARD, "vCard");
}

xporta_status xp_vcard_decode(struct xp_arena *a, const xp_elem *iq,
                              xp_record_fn fn, void *ud)
{
    xp_elem *v = xp_elem_child(iq, XP_NS_VCARD, "vCard");
    if (!v) {
        /* An empty result is how some servers say "no vCard". */
        return xp_elem_first_element(iq) ? XPORTA_EFORMAT : XPORTA_OK;
    }
    if (!xp_elem_first_element(v))
        return XPORTA_OK;
    return emit(a, XPORTA_KIND_VCARD, v, NULL, fn, ud);
}

/* ---- private XML storage ------------------------------------------------- */

const char *const xp_private_known[][2] = {
    {"storage:bookmarks", "storage"},    /* XEP-0048 */
    {"storage:rosternotes", "storage"},  /* XEP-0145 */
    {"storage:metacontacts", "storage"}, /* XEP-0209 */
    {"exodus:prefs", "exodus"},          /* Exodus */
    {"storage:imprefs", "storage"},      /* Exodus, JabberNow */
    {"gajim:prefs", "gajim"},            /* Gajim */
    {NULL, NULL},
};

xp_elem *xp_private_query(struct xp_arena *a, const char *ns, const char *name)
{
    xp_elem *q = xp_elem_new(a, XP_NS_PRIVATE, "query");
    if (!q || !ns || !name || !xp_elem_add_child(a, q, ns, name))
        return NULL;
    return q;
}

/* Does a stored element hold anything: attributes, elements or text? */
xporta_status xp_private_decode(struct xp_arena *a, const xp_elem *iq,
                                xp_record_fn fn, void *ud)
{
    const xp_elem *q = xp_elem_child(iq, XP_NS_PRIVATE, "query");
    if (!q)
        return XPORTA_EFORMAT;
    for (xp_elem *e = xp_elem_first_element(q); e;
         e = xp_elem_next_element(e)) {
        if (!xp_elem_has_content(e))
            continue;
        xporta_status st = emit(a, XPORTA_KIND_PRIVATE, e, NULL, fn, ud);
        if (st != XPORTA_OK)
            return st;
    }
    return XPORTA_OK;
}

/* ---- blocking and privacy lists ------------------------------------------ */

xp_elem *xp_blocklist_query(struct xp_arena *a)
{
    return xp_elem_new(a, XP_NS_BLOCKING, "blocklist");
}

xporta_status xp_blocklist_decode(struct xp_arena *a, const xp_elem *iq,
                                  xp_record_fn fn, void *ud)
{
    const xp_elem *b = xp_elem_child(iq, XP_NS_BLOCKING, "blocklist");
    if (!b)
        return XPORTA_EFORMAT;
    for (xp_elem *it = xp_elem_first_element(b); it;
         it = xp_elem_next_element(it)) {
        if (!xp_elem_is(it, XP_NS_BLOCKING, "item") || !attr_set(it, "jid"))
            continue;
        xporta_status st = emit(a, XPORTA_KIND_BLOCKLIST, it, NULL, fn, ud);
        if (st != XPORTA_OK)
            return st;
    }
    return XPORTA_OK;
}

xp_elem *xp_privacy_names_query(struct xp_arena *a)
{
    return xp_elem_new(a, XP_NS_PRIVACY, "query");
}

xporta_status
xp_privacy_names_decode(struct xp_arena *a, const xp_elem *iq, xp_record_fn fn,
                        void (*list_fn)(void *ud, const char *name), void *ud)
{
    const xp_elem *q = xp_elem_child(iq, XP_NS_PRIVACY, "query");
    if (!q)
        return XPORTA_EFORMAT;
    for (xp_elem *e = xp_elem_first_element(q); e;
         e = xp_elem_next_element(e)) {
        const char *name = attr_set(e, "name");
        if (!name || strcmp(e->ns, XP_NS_PRIVACY) != 0)
            continue;
        if (strcmp(e->name, "list") == 0) {
            if (list_fn)
                list_fn(ud, name);
            continue;
        }
        if (strcmp(e->name, "default") != 0 && strcmp(e->name, "active") != 0)
            continue;
        /* ejabberd keeps the XEP-0191 blocklist as this privacy list and
         * makes it the default; the blocklist kind carries it (the XEP-0227
         * reader drops it the same way). */
        if (strcmp(name, XP_EJABBERD_BLOCKLIST) == 0)
            continue;
        xporta_status st = emit(a, XPORTA_KIND_PRIVACY, e, NULL, fn, ud);
        if (st != XPORTA_OK)
            return st;
    }
    return XPORTA_OK;
}

xp_elem *xp_privacy_list_query(struct xp_arena *a, const char *name)
{
    xp_elem *q = xp_elem_new(a, XP_NS_PRIVACY, "query");
    xp_elem *l = q ? xp_elem_add_child(a, q, XP_NS_PRIVACY, "list") : NULL;
    if (!l || !name || !xp_elem_set_attr(a, l, "", "name", name))
        return NULL;
    return q;
}

/* XEP-0016 §2.2: an item needs an action and an order. */
static bool privacy_item_ok(const xp_elem *it)
{
    return xp_elem_is(it, XP_NS_PRIVACY, "item") && attr_set(it, "action") &&
           attr_set(it, "order");
}

/* ejabberd's mod_blocking list, as the XEP-0227 reader recognises it. */
static bool privacy_is_blocklist(const xp_elem *list, const char *name)
{
    if (strcmp(name, XP_EJABBERD_BLOCKLIST) != 0)
        return false;
    for (const xp_elem *it = xp_elem_first_element(list); it;
         it = xp_elem_next_element(it))
        if (!xp_elem_is(it, XP_NS_PRIVACY, "item") ||
            !xp_streq(attr(it, "type"), "jid") ||
            !xp_streq(attr(it, "action"), "deny") || !attr(it, "value") ||
            xp_elem_first_element(it))
            return false;
    return true;
}

xporta_status xp_privacy_list_decode(struct xp_arena *a, const xp_elem *iq,
                                     xp_record_fn fn, void *ud)
{
    const xp_elem *q = xp_elem_child(iq, XP_NS_PRIVACY, "query");
    xp_elem *l = xp_elem_child(q, XP_NS_PRIVACY, "list");
    const char *name = attr_set(l, "name");
    if (!name)
        return XPORTA_EFORMAT;
    if (privacy_is_blocklist(l, name))
        return XPORTA_OK;
    bool clean = true;
    for (const xp_elem *it = xp_elem_first_element(l); it && clean;
         it = xp_elem_next_element(it))
        clean = privacy_item_ok(it);
    if (!clean) {
        /* Keep the well-formed items only. */
        xp_elem *copy = xp_elem_new(a, XP_NS_PRIVACY, "list");
        if (!copy || !xp_elem_set_attr(a, copy, "", "name", name))
            return XPORTA_ENOMEM;
        for (const xp_elem *it = xp_elem_first_element(l); it;
             it = xp_elem_next_element(it)) {
            if (!privacy_item_ok(it))
                continue;
            xp_elem *c = clone_tree(a, it);
            if (!c)
                return XPORTA_ENOMEM;
            xp_elem_append(copy, c);
        }
        l = copy;
    }
    return emit(a, XPORTA_KIND_PRIVACY, l, NULL, fn, ud);
}

/* ---- PEP ----------------------------------------------------------------- */

/* The <pubsub>/<NAME> of a reply about `node`: NULL when missing or about
 * another node. */
static xp_elem *pubsub_part(const xp_elem *iq, const char *ns, const char *name,
                            const char *node)
{
    const xp_elem *p = xp_elem_child(iq, ns, "pubsub");
    xp_elem *c = xp_elem_child(p, ns, name);
    const char *n = c ? attr(c, "node") : NULL;
    if (!c || !node || (n && strcmp(n, node) != 0))
        return NULL;
    return c;
}

xp_elem *xp_pep_configure_query(struct xp_arena *a, const char *node)
{
    return xp_new_with_node(a, XP_NS_PUBSUB_OWNER, "pubsub", "configure", node,
                            NULL);
}

xporta_status xp_pep_configure_decode(struct xp_arena *a, const xp_elem *iq,
                                      const char *node, xp_record_fn fn,
                                      void *ud)
{
    xp_elem *c = pubsub_part(iq, XP_NS_PUBSUB_OWNER, "configure", node);
    if (!c)
        return XPORTA_EFORMAT;
    if (!attr(c, "node")) {
        /* The node is the record's key: put it on a copy. */
        xp_elem *copy = xp_elem_new(a, XP_NS_PUBSUB_OWNER, "configure");
        if (!copy || !xp_elem_set_attr(a, copy, "", "node", node) ||
            !clone_children(a, copy, c))
            return XPORTA_ENOMEM;
        c = copy;
    }
    return emit(a, XPORTA_KIND_PEP_NODE, c, NULL, fn, ud);
}

xp_elem *xp_pep_affiliations_query(struct xp_arena *a, const char *node)
{
    return xp_new_with_node(a, XP_NS_PUBSUB_OWNER, "pubsub", "affiliations",
                            node, NULL);
}

xporta_status xp_pep_affiliations_decode(struct xp_arena *a, const xp_elem *iq,
                                         const char *node, xp_record_fn fn,
                                         void *ud)
{
    const xp_elem *aff =
        pubsub_part(iq, XP_NS_PUBSUB_OWNER, "affiliations", node);
    if (!aff)
        return XPORTA_EFORMAT;
    xp_elem *out = xp_elem_new(a, XP_NS_PUBSUB_OWNER, "affiliations");
    if (!out || !xp_elem_set_attr(a, out, "", "node", node))
        return XPORTA_ENOMEM;
    for (const xp_elem *it = xp_elem_first_element(aff); it;
         it = xp_elem_next_element(it)) {
        if (!xp_elem_is(it, XP_NS_PUBSUB_OWNER, "affiliation") ||
            !attr_set(it, "jid") || !attr_set(it, "affiliation"))
            continue;
        xp_elem *c = clone_tree(a, it);
        if (!c)
            return XPORTA_ENOMEM;
        xp_elem_append(out, c);
    }
    if (!out->first)
        return XPORTA_OK; /* nobody: nothing to restore */
    return emit(a, XPORTA_KIND_PEP_AFFILIATIONS, out, NULL, fn, ud);
}

xp_elem *xp_pep_items_query(struct xp_arena *a, const char *node, unsigned max,
                            const char *after)
{
    xp_elem *p =
        xp_new_with_node(a, XP_NS_PUBSUB, "pubsub", "items", node, NULL);
    if (!p || (max == 0 && !after))
        return p;
    xp_elem *set = xp_elem_add_child(a, p, XP_NS_RSM, "set");
    if (!set)
        return NULL;
    if (max > 0) {
        char n[16];
        snprintf(n, sizeof n, "%u", max);
        if (!xp_elem_add_text_child(a, set, XP_NS_RSM, "max", n))
            return NULL;
    }
    if (after && !xp_elem_add_text_child(a, set, XP_NS_RSM, "after", after))
        return NULL;
    return p;
}

xporta_status xp_pep_items_decode(struct xp_arena *a, const xp_elem *iq,
                                  const char *node, xp_record_fn fn, void *ud,
                                  const char **last, bool *complete)
{
    *last = NULL;
    *complete = false;
    const xp_elem *items = pubsub_part(iq, XP_NS_PUBSUB, "items", node);
    if (!items)
        return XPORTA_EFORMAT;
    uint64_t n = 0;
    for (xp_elem *it = xp_elem_first_element(items); it;
         it = xp_elem_next_element(it)) {
        if (!xp_elem_is(it, XP_NS_PUBSUB, "item") || !attr_set(it, "id"))
            continue;
        xporta_status st = emit(a, XPORTA_KIND_PEP_ITEM, it, node, fn, ud);
        if (st != XPORTA_OK)
            return st;
        n++;
    }
    const xp_elem *set = xp_elem_child(
        xp_elem_child(iq, XP_NS_PUBSUB, "pubsub"), XP_NS_RSM, "set");
    const char *l = set ? xp_elem_child_text(set, XP_NS_RSM, "last") : NULL;
    if (!l || !*l) {
        /* No paging, or an empty page: nothing follows. */
        *complete = true;
        return XPORTA_OK;
    }
    *last = xp_arena_strdup(a, l);
    if (!*last)
        return XPORTA_ENOMEM;
    /* RSM has no "complete" flag; count and the first index tell. */
    uint64_t count, index;
    const char *c = xp_elem_child_text(set, XP_NS_RSM, "count");
    const char *i = attr(xp_elem_child(set, XP_NS_RSM, "first"), "index");
    if (c && i && xp_parse_uint(c, &count) && xp_parse_uint(i, &index) &&
        index <= count && n >= count - index)
        *complete = true;
    return XPORTA_OK;
}

/* ==== restoring (import) ===================================================
 *
 * Design note.  A restore builder turns a record's payload (from a file or
 * from the decoders above) into the payload of the IQ set that puts it into
 * another account.  It copies only what a client may set and what the
 * protocol lets it set without side effects the record did not ask for:
 *  - a roster item keeps jid, name and its groups; subscription, ask and
 *    approved are negotiated with presence (RFC 6121 §2.1.2), and empty or
 *    repeated groups would make the server refuse the set (§2.3.3);
 *  - a privacy list without items would remove the list (XEP-0016 §2.6),
 *    so such a list gives NULL, as does a block of nobody (XEP-0191 §3.3);
 *  - an empty private element stores nothing (and an empty XEP-0048
 *    storage:bookmarks makes Prosody's mod_bookmarks purge the XEP-0402
 *    node): NULL;
 *  - a PEP item loses its publisher (the server stamps its own);
 *  - a node configuration keeps the fields of the level asked for that
 *    have a value, as the source had them ('max' included).
 * Every copy is a fresh tree in the caller's arena (clone_tree: no
 * recursion on the input's depth); NULL means "nothing to send" or out of
 * memory (the arena tells which).
 *
 * Which of these each server takes, and in which order an import sends
 * them, is measured by tests/integration/restore_live.c: in short, PEP
 * nodes are created with their configuration (or configured, when the
 * server made the node itself) and filled without publish-options, since
 * ejabberd 23.01 refuses every publish-option but access_model and
 * persist_items and Prosody refuses options that differ from an existing
 * node's configuration. */

/* Element children of `from` (no whitespace-only text between them)
 * appended to `to` as deep copies. */
static bool clone_significant_children(struct xp_arena *a, xp_elem *to,
                                       const xp_elem *from)
{
    for (const xp_elem *c = from->first; c; c = c->next) {
        if (!c->name && xp_is_blank(c->text, c->text_len))
            continue;
        xp_elem *k = clone_tree(a, c);
        if (!k)
            return false;
        xp_elem_append(to, k);
    }
    return true;
}

xp_elem *xp_roster_set(struct xp_arena *a, const xp_elem *item)
{
    const char *jid = item && xp_elem_is(item, XP_NS_ROSTER, "item")
                          ? attr_set(item, "jid")
                          : NULL;
    if (!jid)
        return NULL;
    xp_elem *q = xp_elem_new(a, XP_NS_ROSTER, "query");
    xp_elem *it = q ? xp_elem_add_child(a, q, XP_NS_ROSTER, "item") : NULL;
    if (!it || !xp_elem_set_attr(a, it, "", "jid", jid))
        return NULL;
    const char *name = attr_set(item, "name");
    if (name && !xp_elem_set_attr(a, it, "", "name", name))
        return NULL;
    /* Duplicates by hash: a roster item may carry any number of groups,
     * and the work stays linear (a 64-bit collision would drop a group;
     * see xp_set). */
    struct xp_set seen;
    xp_set_init(&seen, 0);
    bool ok = true;
    for (const xp_elem *g = xp_elem_first_element(item); g && ok;
         g = xp_elem_next_element(g)) {
        if (!xp_elem_is(g, XP_NS_ROSTER, "group"))
            continue;
        const char *text = xp_elem_text(g);
        if (!*text)
            continue;
        int added = xp_set_add(&seen, xp_hash(text, strlen(text), 0x9e37));
        if (added == 0)
            continue;
        ok = added > 0 &&
             xp_elem_add_text_child(a, it, XP_NS_ROSTER, "group", text);
    }
    xp_set_cleanup(&seen);
    return ok ? q : NULL;
}

xp_elem *xp_vcard_set(struct xp_arena *a, const xp_elem *vcard)
{
    if (!xp_elem_is(vcard, XP_NS_VCARD, "vCard"))
        return NULL;
    return clone_tree(a, vcard);
}

xp_elem *xp_private_set(struct xp_arena *a, const xp_elem *stored)
{
    /* XEP-0049 §2: one child, namespaced, not jabber:iq:private itself.
     * An empty element stores nothing, but on Prosody an empty
     * storage:bookmarks would purge the XEP-0402 bookmarks (mod_bookmarks
     * synchronises): nothing to send. */
    if (!stored || !stored->name || !stored->ns[0] ||
        strcmp(stored->ns, XP_NS_PRIVATE) == 0 || !xp_elem_has_content(stored))
        return NULL;
    xp_elem *q = xp_elem_new(a, XP_NS_PRIVATE, "query");
    xp_elem *c = q ? clone_tree(a, stored) : NULL;
    if (!c)
        return NULL;
    xp_elem_append(q, c);
    return q;
}

xp_elem *xp_block_set(struct xp_arena *a, const char *const *jids, size_t n)
{
    xp_elem *b = xp_elem_new(a, XP_NS_BLOCKING, "block");
    if (!b || !jids)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (!jids[i] || !*jids[i])
            continue;
        xp_elem *it = xp_elem_add_child(a, b, XP_NS_BLOCKING, "item");
        if (!it || !xp_elem_set_attr(a, it, "", "jid", jids[i]))
            return NULL;
    }
    return b->first ? b : NULL;
}

xp_elem *xp_privacy_list_set(struct xp_arena *a, const xp_elem *list)
{
    const char *name =
        xp_elem_is(list, XP_NS_PRIVACY, "list") ? attr_set(list, "name") : NULL;
    if (!name)
        return NULL;
    xp_elem *q = xp_elem_new(a, XP_NS_PRIVACY, "query");
    xp_elem *l = q ? xp_elem_add_child(a, q, XP_NS_PRIVACY, "list") : NULL;
    if (!l || !xp_elem_set_attr(a, l, "", "name", name))
        return NULL;
    for (const xp_elem *it = xp_elem_first_element(list); it;
         it = xp_elem_next_element(it)) {
        if (!privacy_item_ok(it))
            continue;
        xp_elem *c = xp_elem_add_child(a, l, XP_NS_PRIVACY, "item");
        if (!c)
            return NULL;
        static const char *const keep[] = {"type", "value", "action", "order"};
        for (size_t k = 0; k < 4; k++) {
            const char *v = attr(it, keep[k]);
            if (v && !xp_elem_set_attr(a, c, "", keep[k], v))
                return NULL;
        }
        /* The stanza kinds the item applies to (XEP-0016 §2.1). */
        for (const xp_elem *s = xp_elem_first_element(it); s;
             s = xp_elem_next_element(s)) {
            static const char *const kinds[] = {"message", "iq", "presence-in",
                                                "presence-out"};
            for (size_t k = 0; k < 4; k++)
                if (xp_elem_is(s, XP_NS_PRIVACY, kinds[k]) &&
                    !xp_elem_add_child(a, c, XP_NS_PRIVACY, kinds[k]))
                    return NULL;
        }
    }
    /* An empty list in a set removes the list. */
    return l->first ? q : NULL;
}

xp_elem *xp_privacy_default_set(struct xp_arena *a, const char *name,
                                bool active)
{
    if (!name || !*name)
        return NULL;
    xp_elem *q = xp_elem_new(a, XP_NS_PRIVACY, "query");
    xp_elem *d = q ? xp_elem_add_child(a, q, XP_NS_PRIVACY,
                                       active ? "active" : "default")
                   : NULL;
    if (!d || !xp_elem_set_attr(a, d, "", "name", name))
        return NULL;
    return q;
}

xp_elem *xp_mam_prefs_set(struct xp_arena *a, const xp_elem *prefs)
{
    const char *def = xp_elem_is(prefs, XP_NS_MAM, "prefs")
                          ? attr_set(prefs, "default")
                          : NULL;
    if (!def)
        return NULL;
    xp_elem *p = xp_elem_new(a, XP_NS_MAM, "prefs");
    if (!p || !xp_elem_set_attr(a, p, "", "default", def))
        return NULL;
    /* Both lists, always: a set replaces them, and servers answer with
     * both. */
    static const char *const lists[] = {"always", "never"};
    for (size_t i = 0; i < 2; i++) {
        xp_elem *to = xp_elem_add_child(a, p, XP_NS_MAM, lists[i]);
        if (!to)
            return NULL;
        for (const xp_elem *l = xp_elem_first_element(prefs); l;
             l = xp_elem_next_element(l)) {
            if (!xp_elem_is(l, XP_NS_MAM, lists[i]))
                continue;
            for (const xp_elem *j = xp_elem_first_element(l); j;
                 j = xp_elem_next_element(j)) {
                const char *jid = xp_elem_text(j);
                if (xp_elem_is(j, XP_NS_MAM, "jid") && *jid &&
                    !xp_elem_add_text_child(a, to, XP_NS_MAM, "jid", jid))
                    return NULL;
            }
        }
    }
    return p;
}

/* The node configuration fields carried over, by level (the FULL list in
 * the order XEP-0060 §16.4.4 registers them; SAFE and ACCESS are its
 * first three and first one). */
static const char *const pep_config_vars[] = {
    "pubsub#access_model",     "pubsub#max_items",
    "pubsub#persist_items",    "pubsub#send_last_published_item",
    "pubsub#publish_model",    "pubsub#notify_config",
    "pubsub#notify_delete",    "pubsub#notify_retract",
    "pubsub#notify_sub",       "pubsub#deliver_notifications",
    "pubsub#deliver_payloads", "pubsub#title",
    "pubsub#description",
};

static size_t pep_config_count(enum xp_pep_config level)
{
    switch (level) {
    case XP_PEP_CONFIG_FULL:
        return sizeof pep_config_vars / sizeof pep_config_vars[0];
    case XP_PEP_CONFIG_SAFE:
        return 3;
    case XP_PEP_CONFIG_ACCESS:
        return 1;
    }
    return 0;
}

/* Does a form field carry at least one non-empty <value>? */
static bool field_has_value(const xp_elem *f)
{
    for (const xp_elem *v = xp_elem_first_element(f); v;
         v = xp_elem_next_element(v))
        if (xp_elem_is(v, XP_NS_DATA, "value") && *xp_elem_text(v))
            return true;
    return false;
}

xp_elem *xp_pep_config_form(struct xp_arena *a, const xp_elem *configure,
                            enum xp_pep_config level, const char *form_type)
{
    const xp_elem *src = xp_elem_child(configure, XP_NS_DATA, "x");
    size_t nvars = pep_config_count(level);
    if (!src || !form_type || !*form_type || nvars == 0)
        return NULL;
    xp_elem *x = xp_elem_new(a, XP_NS_DATA, "x");
    xp_elem *ft = x ? xp_elem_add_child(a, x, XP_NS_DATA, "field") : NULL;
    if (!ft || !xp_elem_set_attr(a, x, "", "type", "submit") ||
        !xp_elem_set_attr(a, ft, "", "var", "FORM_TYPE") ||
        !xp_elem_set_attr(a, ft, "", "type", "hidden") ||
        !xp_elem_add_text_child(a, ft, XP_NS_DATA, "value", form_type))
        return NULL;
    /* A fixed number of passes over the fields: the first field of each
     * name that has a value wins (a repeated field is not a form). */
    bool any = false;
    for (size_t i = 0; i < nvars; i++) {
        const xp_elem *f = xp_elem_first_element(src);
        while (f && !(xp_elem_is(f, XP_NS_DATA, "field") &&
                      xp_streq(attr(f, "var"), pep_config_vars[i])))
            f = xp_elem_next_element(f);
        if (!f || !field_has_value(f))
            continue;
        xp_elem *out = xp_elem_add_child(a, x, XP_NS_DATA, "field");
        if (!out || !xp_elem_set_attr(a, out, "", "var", pep_config_vars[i]))
            return NULL;
        for (const xp_elem *v = xp_elem_first_element(f); v;
             v = xp_elem_next_element(v)) {
            const char *text = xp_elem_text(v);
            if (xp_elem_is(v, XP_NS_DATA, "value") && *text &&
                !xp_elem_add_text_child(a, out, XP_NS_DATA, "value", text))
                return NULL;
        }
        any = true;
    }
    return any ? x : NULL;
}

/* A data form to embed: an <x xmlns='jabber:x:data'> (copied). */
static xp_elem *clone_form(struct xp_arena *a, const xp_elem *form)
{
    if (!xp_elem_is(form, XP_NS_DATA, "x"))
        return NULL;
    return clone_tree(a, form);
}

xp_elem *xp_pep_create(struct xp_arena *a, const char *node,
                       const xp_elem *form)
{
    if (!node || !*node || (form && !xp_elem_is(form, XP_NS_DATA, "x")))
        return NULL;
    xp_elem *p =
        xp_new_with_node(a, XP_NS_PUBSUB, "pubsub", "create", node, NULL);
    if (!p || !form)
        return p;
    xp_elem *c = xp_elem_add_child(a, p, XP_NS_PUBSUB, "configure");
    xp_elem *x = c ? clone_form(a, form) : NULL;
    if (!x)
        return NULL;
    xp_elem_append(c, x);
    return p;
}

xp_elem *xp_pep_configure_set(struct xp_arena *a, const char *node,
                              const xp_elem *form)
{
    xp_elem *c = NULL;
    if (!node || !*node || !xp_elem_is(form, XP_NS_DATA, "x"))
        return NULL;
    xp_elem *p = xp_new_with_node(a, XP_NS_PUBSUB_OWNER, "pubsub", "configure",
                                  node, &c);
    xp_elem *x = p ? clone_form(a, form) : NULL;
    if (!x)
        return NULL;
    xp_elem_append(c, x);
    return p;
}

xp_elem *xp_pep_publish(struct xp_arena *a, const char *node,
                        const xp_elem *item, const xp_elem *options)
{
    xp_elem *pub = NULL;
    if (!node || !*node || !item ||
        (!xp_elem_is(item, XP_NS_PUBSUB, "item") &&
         !xp_elem_is(item, XP_NS_PUBSUB_EVENT, "item")) ||
        (options && !xp_elem_is(options, XP_NS_DATA, "x")))
        return NULL;
    xp_elem *p =
        xp_new_with_node(a, XP_NS_PUBSUB, "pubsub", "publish", node, &pub);
    xp_elem *it = p ? xp_elem_add_child(a, pub, XP_NS_PUBSUB, "item") : NULL;
    if (!it)
        return NULL;
    /* The id is the item's identity (a bookmark's room, an avatar's
     * hash); publisher and anything else are the old server's. */
    const char *id = attr_set(item, "id");
    if ((id && !xp_elem_set_attr(a, it, "", "id", id)) ||
        !clone_significant_children(a, it, item))
        return NULL;
    if (options) {
        xp_elem *po = xp_elem_add_child(a, p, XP_NS_PUBSUB, "publish-options");
        xp_elem *x = po ? clone_form(a, options) : NULL;
        if (!x)
            return NULL;
        xp_elem_append(po, x);
    }
    return p;
}

xp_elem *xp_pep_affiliations_set(struct xp_arena *a, const char *node,
                                 const xp_elem *affiliations)
{
    xp_elem *out = NULL;
    if (!node || !*node || !affiliations)
        return NULL;
    xp_elem *p = xp_new_with_node(a, XP_NS_PUBSUB_OWNER, "pubsub",
                                  "affiliations", node, &out);
    if (!p)
        return NULL;
    for (const xp_elem *it = xp_elem_first_element(affiliations); it;
         it = xp_elem_next_element(it)) {
        const char *jid = attr_set(it, "jid");
        const char *aff = attr_set(it, "affiliation");
        if (!xp_elem_is(it, XP_NS_PUBSUB_OWNER, "affiliation") || !jid ||
            !aff || strcmp(aff, "owner") == 0)
            continue;
        xp_elem *c =
            xp_elem_add_child(a, out, XP_NS_PUBSUB_OWNER, "affiliation");
        if (!c || !xp_elem_set_attr(a, c, "", "jid", jid) ||
            !xp_elem_set_attr(a, c, "", "affiliation", aff))
            return NULL;
    }
    return out->first ? p : NULL;
}
