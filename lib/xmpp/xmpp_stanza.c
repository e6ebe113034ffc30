/* Stanzas: xp_elem <-> xmpp_stanza_t, IQ errors, reply addressing.  See
 * xmpp_p.h for what libstrophe keeps of namespaces. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmpp_p.h"

/* ---- xp_elem -> xmpp_stanza_t ------------------------------------------ */

/* "prefix:name" in a fresh heap string (libstrophe copies attribute
 * names, so this lives only for the call). */
static char *qualified(const char *prefix, const char *name)
{
    size_t p = strlen(prefix), n = strlen(name);
    char *q = malloc(p + 1 + n + 1);
    if (!q)
        return NULL;
    memcpy(q, prefix, p);
    q[p] = ':';
    memcpy(q + p + 1, name, n + 1);
    return q;
}

static bool set_attr_q(xmpp_stanza_t *st, const char *prefix, const char *name,
                       const char *value)
{
    char *q = qualified(prefix, name);
    if (!q)
        return false;
    int rc = xmpp_stanza_set_attribute(st, q, value);
    free(q);
    return rc == XMPP_EOK;
}

static bool is_xmlns_attr(const struct xp_attr *at)
{
    return at->ns[0] == '\0' && (strcmp(at->name, "xmlns") == 0 ||
                                 strncmp(at->name, "xmlns:", 6) == 0);
}

/* Attributes in a namespace other than xml: get a prefix declared on the
 * element itself, one per distinct namespace (ns1, ns2, ...), as
 * xp_elem_serialize does. */
static bool put_attrs(xmpp_stanza_t *st, const xp_elem *n)
{
    const char *declared[XP_MAX_ATTRS];
    unsigned nd = 0;
    for (unsigned i = 0; i < n->nattrs; i++) {
        const struct xp_attr *at = &n->attrs[i];
        bool ok;
        if (is_xmlns_attr(at))
            continue; /* namespaces come from e->ns, never from attributes */
        if (at->ns[0] == '\0') {
            ok = xmpp_stanza_set_attribute(st, at->name, at->value) == XMPP_EOK;
        } else if (strcmp(at->ns, XP_NS_XML) == 0) {
            ok = set_attr_q(st, "xml", at->name, at->value);
        } else {
            char prefix[16];
            unsigned k = 0;
            while (k < nd && strcmp(declared[k], at->ns) != 0)
                k++;
            snprintf(prefix, sizeof prefix, "ns%u", k + 1);
            ok = true;
            if (k == nd && nd < XP_MAX_ATTRS) {
                declared[nd++] = at->ns;
                ok = set_attr_q(st, "xmlns", prefix, at->ns);
            }
            ok = ok && set_attr_q(st, prefix, at->name, at->value);
        }
        if (!ok)
            return false;
    }
    return true;
}

static xmpp_stanza_t *make_node(xmpp_ctx_t *ctx, const xp_elem *n,
                                const char *ns, const char *scope)
{
    xmpp_stanza_t *st = xmpp_stanza_new(ctx);
    if (!st)
        return NULL;
    int rc;
    if (!n->name) {
        rc = xmpp_stanza_set_text_with_size(st, n->text, n->text_len);
    } else {
        rc = xmpp_stanza_set_name(st, n->name);
        if (rc == XMPP_EOK && strcmp(ns, scope) != 0)
            rc = xmpp_stanza_set_ns(st, ns); /* "" undeclares: xmlns='' */
        if (rc == XMPP_EOK && !put_attrs(st, n))
            rc = XMPP_EMEM;
    }
    if (rc != XMPP_EOK) {
        xmpp_stanza_release(st);
        return NULL;
    }
    return st;
}

xporta_status xp_stanza_from_elem(xmpp_ctx_t *ctx, const xp_elem *e,
                                  const char *parent_ns, xmpp_stanza_t **out)
{
    /* Ancestors of the node being built, within the subtree. */
    xmpp_stanza_t *stack[XP_MAX_DEPTH];
    unsigned depth = 0;
    xmpp_stanza_t *root = NULL;
    const xp_elem *n = e;

    *out = NULL;
    if (!parent_ns)
        parent_ns = "";
    /* A top-level stanza built without a namespace is a jabber:client one:
     * sending <message xmlns=''> would end the stream. */
    const char *root_ns =
        e->name && e->ns[0] == '\0' && strcmp(parent_ns, XP_STREAM_NS) == 0
            ? XP_STREAM_NS
            : e->ns;
    for (;;) {
        const char *scope = n == e           ? parent_ns
                            : n->parent == e ? root_ns
                                             : n->parent->ns;
        if (n->name && depth == XP_MAX_DEPTH) {
            xmpp_stanza_release(root); /* an element below the last level */
            return XPORTA_ETOOBIG;
        }
        xmpp_stanza_t *st = make_node(ctx, n, n == e ? root_ns : n->ns, scope);
        if (!st)
            goto nomem;
        if (depth == 0) {
            root = st;
        } else if (xmpp_stanza_add_child_ex(stack[depth - 1], st, 0) !=
                   XMPP_EOK) {
            xmpp_stanza_release(st);
            goto nomem;
        }
        if (n->name && n->first) {
            stack[depth++] = st; /* depth <= XP_MAX_DEPTH, checked above */
            n = n->first;
            continue;
        }
        while (n != e && !n->next) {
            n = n->parent;
            depth--;
        }
        if (n == e)
            break;
        n = n->next;
    }
    *out = root;
    return XPORTA_OK;
nomem:
    if (root)
        xmpp_stanza_release(root);
    return XPORTA_ENOMEM;
}

/* ---- xmpp_stanza_t -> xp_elem ------------------------------------------ */

/* Slack for the bookkeeping of one node (element struct, attribute array
 * growth, alignment), so that a failed allocation near the arena's limit
 * reads as ETOOBIG rather than ENOMEM. */
enum { NODE_SLACK = 8 * 1024 };

static xporta_status alloc_failed(struct xp_arena *a, size_t need,
                                  struct xp_err *err)
{
    if (xp_arena_over_limit(a, need + NODE_SLACK)) {
        if (err)
            xp_fail(err, XPORTA_ETOOBIG, "stanza larger than %zu bytes",
                    a->limit);
        return XPORTA_ETOOBIG;
    }
    if (err)
        xp_fail(err, XPORTA_ENOMEM, "out of memory converting a stanza");
    return XPORTA_ENOMEM;
}

/* The (namespace, name) of a received attribute.  libstrophe's parser has
 * dropped namespaces (see xmpp_p.h), so "lang" is xml:lang; a stanza built
 * in memory may still carry "xml:lang". */
static void attr_name(const char *raw, const char **ns, const char **name)
{
    if (strncmp(raw, "xml:", 4) == 0) {
        *ns = XP_NS_XML;
        *name = raw + 4;
    } else if (strcmp(raw, "lang") == 0) {
        *ns = XP_NS_XML;
        *name = raw;
    } else {
        *ns = "";
        *name = raw;
    }
}

static xporta_status too_many_attrs(const xp_elem *el, struct xp_err *err)
{
    if (err)
        xp_fail(err, XPORTA_ETOOBIG,
                "stanza element <%s> has more than %d attributes", el->name,
                XP_MAX_ATTRS);
    return XPORTA_ETOOBIG;
}

/* libstrophe keeps namespace declarations ("xmlns", "xmlns:p") among the
 * attributes; they are not attributes of the element, so they do not count
 * toward XP_MAX_ATTRS (the limit files have too), but a few of them are
 * allowed room in the array. */
enum { NS_DECL_ROOM = 16 };

static xporta_status copy_attrs(struct xp_arena *a, xmpp_stanza_t *st,
                                xp_elem *el, struct xp_err *err)
{
    const char *av[2 * (XP_MAX_ATTRS + NS_DECL_ROOM)];
    int count = xmpp_stanza_get_attribute_count(st);
    if (count <= 0)
        return XPORTA_OK;
    if (count > XP_MAX_ATTRS + NS_DECL_ROOM)
        return too_many_attrs(el, err);
    int used = xmpp_stanza_get_attributes(st, av, 2 * count);
    int real = 0;
    for (int i = 0; i + 1 < used; i += 2) {
        const char *ns, *name;
        if (strcmp(av[i], "xmlns") == 0 || strncmp(av[i], "xmlns:", 6) == 0)
            continue;
        if (++real > XP_MAX_ATTRS)
            return too_many_attrs(el, err);
        attr_name(av[i], &ns, &name);
        size_t need = strlen(name) + strlen(av[i + 1]) + 2;
        char *n = xp_arena_strdup(a, name);
        char *v = n ? xp_arena_strdup(a, av[i + 1]) : NULL;
        if (!v || !xp_elem_set_attr_ref(a, el, ns, n, v))
            return alloc_failed(a, need, err);
    }
    return XPORTA_OK;
}

static xporta_status add_node(struct xp_arena *a, xmpp_stanza_t *st,
                              xp_elem *parent, const char *inherited,
                              xp_elem **made, struct xp_err *err)
{
    *made = NULL;
    if (xmpp_stanza_is_text(st)) {
        const char *t = xmpp_stanza_get_text_ptr(st);
        size_t len = t ? strlen(t) : 0;
        if (!parent || len == 0)
            return XPORTA_OK;
        if (!xp_elem_add_text(a, parent, t, len))
            return alloc_failed(a, len, err);
        return XPORTA_OK;
    }
    const char *name = xmpp_stanza_get_name(st);
    if (!name)
        return XPORTA_OK; /* neither text nor tag: nothing to keep */
    const char *ns = xmpp_stanza_get_ns(st);
    size_t need = strlen(name) + (ns ? strlen(ns) : 0) + 2;
    const char *ns_copy = inherited;
    if (ns && strcmp(ns, inherited) != 0)
        ns_copy = xp_arena_strdup(a, ns); /* else share the parent's */
    const char *name_copy = ns_copy ? xp_arena_strdup(a, name) : NULL;
    xp_elem *el = name_copy ? xp_elem_new(a, ns_copy, name_copy) : NULL;
    if (!el)
        return alloc_failed(a, need, err);
    xporta_status rc = copy_attrs(a, st, el, err);
    if (rc != XPORTA_OK)
        return rc;
    if (parent)
        xp_elem_append(parent, el);
    *made = el;
    return XPORTA_OK;
}

xporta_status xp_stanza_to_elem(struct xp_arena *a, xmpp_stanza_t *st,
                                const char *parent_ns, xp_elem **out,
                                struct xp_err *err)
{
    /* stack[i] is the stanza whose children are being read at level i;
     * the matching element is `cur` and its ancestors. */
    xmpp_stanza_t *stack[XP_MAX_DEPTH];
    unsigned depth = 0;
    xp_elem *root = NULL, *cur;
    xporta_status rc;

    *out = NULL;
    if (xmpp_stanza_is_text(st) || !xmpp_stanza_get_name(st)) {
        if (err)
            xp_fail(err, XPORTA_EINVAL, "not an element");
        return XPORTA_EINVAL;
    }
    rc = add_node(a, st, NULL, parent_ns ? parent_ns : "", &root, err);
    if (rc != XPORTA_OK)
        return rc;
    cur = root;
    stack[0] = st;
    xmpp_stanza_t *child = xmpp_stanza_get_children(st);
    for (;;) {
        if (child) {
            xp_elem *made;
            if (depth + 1 >= XP_MAX_DEPTH && !xmpp_stanza_is_text(child)) {
                if (err)
                    xp_fail(err, XPORTA_ETOOBIG,
                            "stanza nested deeper than %d levels",
                            XP_MAX_DEPTH);
                return XPORTA_ETOOBIG;
            }
            rc = add_node(a, child, cur, cur->ns, &made, err);
            if (rc != XPORTA_OK)
                return rc;
            if (made && xmpp_stanza_get_children(child)) {
                stack[++depth] = child;
                cur = made;
                child = xmpp_stanza_get_children(child);
                continue;
            }
            child = xmpp_stanza_get_next(child);
            continue;
        }
        if (depth == 0)
            break;
        child = xmpp_stanza_get_next(stack[depth--]);
        cur = cur->parent;
    }
    *out = root;
    return XPORTA_OK;
}

/* ---- IQ errors ---------------------------------------------------------- */

void xp_iq_error_parse(const xp_elem *iq, struct xp_iq_reply *r)
{
    r->error_type = "";
    r->condition = "undefined-condition";
    r->text = NULL;
    const xp_elem *error = xp_elem_child(iq, NULL, "error");
    if (!error)
        return;
    const char *type = xp_elem_attr_ns(error, "", "type");
    if (type)
        r->error_type = type;
    bool have_condition = false;
    for (const xp_elem *c = xp_elem_first_element(error); c;
         c = xp_elem_next_element(c)) {
        if (strcmp(c->ns, XP_NS_STANZAS) != 0)
            continue; /* application-specific condition: not ours */
        if (strcmp(c->name, "text") == 0) {
            if (!r->text)
                r->text = xp_elem_text(c);
        } else if (!have_condition) {
            r->condition = c->name;
            have_condition = true;
        }
    }
}

/* ---- addressing ---------------------------------------------------------- */

static bool ascii_case_eq(const char *a, size_t alen, const char *b,
                          size_t blen)
{
    if (alen != blen)
        return false;
    for (size_t i = 0; i < alen; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (x >= 'A' && x <= 'Z')
            x = (unsigned char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (unsigned char)(y - 'A' + 'a');
        if (x != y)
            return false;
    }
    return true;
}

bool xp_jid_eq(const char *a, const char *b)
{
    struct xp_jid_parts pa, pb;
    if (!a || !b || !xp_jid_split(a, &pa) || !xp_jid_split(b, &pb))
        return false;
    if ((pa.local == NULL) != (pb.local == NULL) ||
        (pa.resource == NULL) != (pb.resource == NULL))
        return false;
    if (pa.local &&
        !ascii_case_eq(pa.local, pa.local_len, pb.local, pb.local_len))
        return false;
    if (!ascii_case_eq(pa.domain, pa.domain_len, pb.domain, pb.domain_len))
        return false;
    return !pa.resource ||
           (pa.resource_len == pb.resource_len &&
            memcmp(pa.resource, pb.resource, pa.resource_len) == 0);
}

static bool is_account(const char *jid, const char *full, const char *bare,
                       const char *domain)
{
    return xp_jid_eq(jid, bare) || xp_jid_eq(jid, full) ||
           xp_jid_eq(jid, domain);
}

bool xp_iq_from_ok(const char *to, const char *from, const char *full,
                   const char *bare, const char *domain)
{
    if (to) {
        if (!from)
            return is_account(to, full, bare, domain);
        return xp_jid_eq(from, to);
    }
    return !from || is_account(from, full, bare, domain);
}
