/*
 * Reading an account's PEP from ejabberd's SQL storage (ejd_read_p.h), as
 * nodetree_tree_sql and node_flat_sql keep it: pubsub_node (host = the
 * owner's bare JID, plugin pep), pubsub_node_option (Erlang terms, read by
 * ejd_term.c), pubsub_state (affiliation and subscriptions), pubsub_item.
 * The node list is gathered first (small), then each node is read in turn.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../pie/pie.h"
#include "ejd_read_p.h"
#include "ejd_term.h"

/* ---- PEP ---------------------------------------------------------------- */

struct pnode {
    const char *node, *id;
};

struct nodes {
    struct rd *r;
    struct pnode *v;
    size_t n, cap;
};

static xporta_status on_node(void *ud, const struct esql_row *row)
{
    struct nodes *ns = ud;
    struct rd *r = ns->r;
    if (!rd_col(row, 0) || !rd_col(row, 1))
        return rd_bad(r, row, "a node without a name or id");
    if (ns->n == ns->cap) {
        size_t cap = ns->cap ? 2 * ns->cap : 16;
        struct pnode *v = xp_arena_alloc(&r->a, cap * sizeof *v);
        if (!v)
            return rd_oom(r);
        if (ns->n)
            memcpy(v, ns->v, ns->n * sizeof *v);
        ns->v = v;
        ns->cap = cap;
    }
    struct pnode *p = &ns->v[ns->n];
    if (!(p->node = xp_arena_strdup(&r->a, rd_col(row, 0))) ||
        !(p->id = xp_arena_strdup(&r->a, rd_col(row, 1))))
        return rd_oom(r);
    ns->n++;
    return XPORTA_OK;
}

static xporta_status add_field(struct rd *r, const char *var, const char *val)
{
    xp_elem *f = xp_elem_add_child(&r->a, r->form, XP_NS_DATA, "field");
    if (!f || !xp_elem_set_attr(&r->a, f, "", "var", var) ||
        (val && !xp_elem_add_text_child(&r->a, f, XP_NS_DATA, "value", val)))
        return rd_oom(r);
    return XPORTA_OK;
}

static xporta_status on_option(void *ud, const struct esql_row *row)
{
    struct rd *r = ud;
    const char *name = rd_col(row, 0), *val = rd_col(row, 1), *why;
    const struct ejd_opt *o = ejd_node_opts;
    while (o->name && (!name || strcmp(o->name, name) != 0))
        o++;
    if (!o->name)
        return XPORTA_OK; /* node_pep's own, or one clients cannot set */
    struct eterm t;
    if (!val || !et_parse(&r->a, val, row->len[1], &t, &why)) {
        char m[200];
        snprintf(m, sizeof m, "val is not an Erlang term (%s): %.60s",
                 val ? why : "none", val ? val : "NULL");
        return rd_bad(r, row, m);
    }
    char num[32];
    switch (o->type) {
    case EO_BOOL:
        if (!et_is_atom(&t, "true") && !et_is_atom(&t, "false"))
            return rd_bad(r, row, "a boolean option that is not true or false");
        return add_field(r, o->var, et_is_atom(&t, "true") ? "1" : "0");
    case EO_INT:
        if (t.t == ET_ATOM && strcmp(t.s, "max") == 0)
            return add_field(r, o->var, "max");
        if (t.t != ET_INT)
            return rd_bad(r, row, "a number option that is not a number");
        snprintf(num, sizeof num, "%lld", t.i);
        return add_field(r, o->var, num);
    case EO_ATOM:
        if (t.t != ET_ATOM)
            return rd_bad(r, row, "an option that is not an atom");
        return add_field(r, o->var, t.s);
    case EO_BIN:
        if (t.t != ET_BIN)
            return rd_bad(r, row, "a text option that is not a binary");
        return add_field(r, o->var, t.s);
    case EO_BINS: {
        if (t.t != ET_LIST)
            return rd_bad(r, row, "a list option that is not a list");
        if (t.n == 0)
            return XPORTA_OK;
        xporta_status st = add_field(r, o->var, NULL);
        xp_elem *f = st ? NULL : r->form->last;
        for (size_t i = 0; !st && i < t.n; i++) {
            if (t.kids[i].t != ET_BIN)
                return rd_bad(r, row, "a list option of what are not binaries");
            if (!xp_elem_add_text_child(&r->a, f, XP_NS_DATA, "value",
                                        t.kids[i].s))
                return rd_oom(r);
        }
        return st;
    }
    }
    return XPORTA_OK;
}

static xporta_status on_state(void *ud, const struct esql_row *row)
{
    struct rd *r = ud;
    const char *jid = rd_col(row, 0), *aff = rd_col(row, 1),
               *subs = rd_col(row, 2);
    if (!jid)
        return rd_bad(r, row, "a node state without a JID");
    static const char codes[] = "opumcn";
    static const char *const names[] = {"owner",  "publisher", "publish-only",
                                        "member", "outcast",   "none"};
    const char *c = aff && *aff ? strchr(codes, *aff) : NULL;
    if (aff && *aff && !c)
        return rd_bad(r, row, "an affiliation ejabberd does not write");
    if (c && *c != 'n') {
        xp_elem *a = xp_elem_add_child(&r->a, r->affs, XP_NS_PUBSUB_OWNER,
                                       "affiliation");
        if (!a || !xp_elem_set_attr(&r->a, a, "", "jid", jid) ||
            !xp_elem_set_attr(&r->a, a, "", "affiliation", names[c - codes]))
            return rd_oom(r);
    }
    for (const char *s = subs; s && *s;) {
        const char *end = strchr(s, ',');
        size_t n = end ? (size_t)(end - s) : strlen(s);
        const char *sub = n && *s == 's'   ? "subscribed"
                          : n && *s == 'p' ? "pending"
                          : n && *s == 'u' ? "unconfigured"
                                           : NULL;
        const char *colon = memchr(s, ':', n);
        if (sub) {
            xp_elem *e = xp_elem_add_child(&r->a, r->subs, XP_NS_PUBSUB_OWNER,
                                           "subscription");
            char *subid = colon ? xp_arena_strndup(&r->a, colon + 1,
                                                   n - (size_t)(colon + 1 - s))
                                : NULL;
            if (!e || !xp_elem_set_attr(&r->a, e, "", "jid", jid) ||
                !xp_elem_set_attr(&r->a, e, "", "subscription", sub) ||
                (subid && *subid &&
                 !xp_elem_set_attr(&r->a, e, "", "subid", subid)))
                return rd_oom(r);
        }
        s = end ? end + 1 : NULL;
    }
    return XPORTA_OK;
}

static xporta_status on_item(void *ud, const struct esql_row *row)
{
    struct rd *r = ud;
    const char *id = rd_col(row, 0), *publisher = rd_col(row, 1),
               *payload = rd_col(row, 3);
    if (!id || !*id)
        return rd_bad(r, row, "an item without an id");
    char *xml = xp_arena_printf(&r->ra, "<item xmlns='%s'>%s</item>",
                                XP_NS_PUBSUB, payload ? payload : "");
    if (!xml)
        return rd_oom(r);
    const char *why;
    unsigned long line, c;
    xp_elem *item;
    xporta_status st = pie_parse_element(&r->ra, xml, strlen(xml), XP_NS_PUBSUB,
                                         &item, &why, &line, &c);
    if (st == XPORTA_ENOMEM)
        return rd_oom(r);
    if (st) {
        char m[300];
        snprintf(m, sizeof m, "its payload does not parse as XML (%s)",
                 why ? why : "?");
        return rd_bad(r, row, m);
    }
    if (!xp_elem_set_attr(&r->ra, item, "", "id", id))
        return rd_oom(r);
    if (publisher && *publisher) {
        /* the publisher is kept when it is not the account itself */
        size_t ul = strlen(r->jid);
        if (!(strncmp(publisher, r->jid, ul) == 0 &&
              (publisher[ul] == '\0' || publisher[ul] == '/')) &&
            !xp_elem_set_attr(&r->ra, item, "", "publisher", publisher))
            return rd_oom(r);
    }
    return rd_emit(r, XPORTA_KIND_PEP_ITEM, item, r->node);
}

static xporta_status read_node(struct rd *r, const struct pnode *p)
{
    const char *v[1] = {p->id};
    r->node = p->node;
    r->nodeid = p->id;
    r->form = NULL;
    xp_elem *c = xp_elem_new(&r->a, XP_NS_PUBSUB_OWNER, "configure");
    xp_elem *x = c ? xp_elem_add_child(&r->a, c, XP_NS_DATA, "x") : NULL;
    r->affs = xp_elem_new(&r->a, XP_NS_PUBSUB_OWNER, "affiliations");
    r->subs = xp_elem_new(&r->a, XP_NS_PUBSUB_OWNER, "subscriptions");
    if (!x || !r->affs || !r->subs ||
        !xp_elem_set_attr(&r->a, c, "", "node", p->node) ||
        !xp_elem_set_attr(&r->a, x, "", "type", "submit") ||
        !xp_elem_set_attr(&r->a, r->affs, "", "node", p->node) ||
        !xp_elem_set_attr(&r->a, r->subs, "", "node", p->node))
        return rd_oom(r);
    r->form = x;
    xporta_status st = add_field(r, "FORM_TYPE", NULL);
    if (!st) {
        xp_elem *f = x->last;
        if (!xp_elem_set_attr(&r->a, f, "", "type", "hidden") ||
            !xp_elem_add_text_child(
                &r->a, f, XP_NS_DATA, "value",
                "http://jabber.org/protocol/pubsub#node_config"))
            return rd_oom(r);
    }
    if (!st)
        st = rd_q(r, EQ_NODE_OPTS, "pubsub_node_option", 1, v, on_option);
    if (!st && rd_wants(r, XPORTA_KIND_PEP_NODE))
        st = rd_emit(r, XPORTA_KIND_PEP_NODE, c, NULL);
    if (!st)
        st = rd_q(r, EQ_NODE_STATES, "pubsub_state", 1, v, on_state);
    if (!st && r->affs->first && rd_wants(r, XPORTA_KIND_PEP_AFFILIATIONS))
        st = rd_emit(r, XPORTA_KIND_PEP_AFFILIATIONS, r->affs, NULL);
    if (!st && r->subs->first && rd_wants(r, XPORTA_KIND_PEP_SUBSCRIPTIONS))
        st = rd_emit(r, XPORTA_KIND_PEP_SUBSCRIPTIONS, r->subs, NULL);
    if (!st && rd_wants(r, XPORTA_KIND_PEP_ITEM))
        st = rd_q(r, EQ_NODE_ITEMS, "pubsub_item", 1, v, on_item);
    return st;
}

xporta_status rd_pep(struct rd *r)
{
    struct nodes ns = {r, NULL, 0, 0};
    const char *v[1] = {r->jid};
    r->table = "pubsub_node";
    xporta_status st = ejd_q(r->e, EQ_PEP_NODES, r->host, 1, v, on_node, &ns);
    for (size_t i = 0; !st && i < ns.n; i++)
        st = read_node(r, &ns.v[i]);
    return st;
}
