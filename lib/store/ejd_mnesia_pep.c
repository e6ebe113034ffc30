/*
 * PEP as ejabberd 23.01's mod_pubsub keeps it in Mnesia for node_pep
 * (ejd_mnesia_p.h; docs/research/ejabberd-mnesia.md §2): pubsub_node
 * (node_pep's options, the form's over them), pubsub_state (the owner's
 * with the item ids, the other affiliations and subscriptions), pubsub_item
 * (created now, a microsecond apart in the order they come).  The nodes and
 * their states are gathered over the account's records and written at its
 * end (mnw_pep_write); items are written as they come.  A node's index is
 * written as a marker (nidx: MN_NIDX_MARK, the node's number in the batch,
 * MN_NIDX_MARK), replaced by the driver when the batch is loaded.
 */
#include <stdio.h>
#include <string.h>

#include "ejd_map_p.h"
#include "ejd_mnesia_p.h"
#include "ejd_term.h"

struct mn_state {
    const char *jid, *aff; /* aff NULL: none */
    struct xp_buf subs;    /* {State, SubId} terms, comma-separated */
    struct mn_state *next;
};

struct mn_opt {
    const char *name;
    const char *term;
};

#define MN_MAX_OPTS 32

struct mn_node {
    const char *name;
    unsigned number; /* in the batch */
    struct mn_opt opts[MN_MAX_OPTS];
    unsigned nopts;
    struct xp_strv items;
    struct mn_state *states;
    struct mn_node *next;
};

/* A node's index, to be replaced at load time (ejd_mnesia_p.h). */
static xporta_status nidx(struct xp_buf *b, const struct mn_node *n)
{
    return xp_buf_printf(b, "%c%u%c", MN_NIDX_MARK, n->number, MN_NIDX_MARK);
}

/* node_pep's options in 23.01 (what ejabberd writes for a node it makes). */
static const struct mn_opt pep_defaults[] = {
    {"access_model", "presence"},
    {"deliver_notifications", "true"},
    {"deliver_payloads", "true"},
    {"itemreply", "none"},
    {"max_items", "1"},
    {"max_payload_size", "250000"},
    {"notification_type", "headline"},
    {"notify_config", "false"},
    {"notify_delete", "false"},
    {"notify_retract", "false"},
    {"persist_items", "true"},
    {"presence_based_delivery", "true"},
    {"publish_model", "publishers"},
    {"purge_offline", "false"},
    {"roster_groups_allowed", "[]"},
    {"send_last_published_item", "on_sub_and_presence"},
    {"subscribe", "true"},
};

static struct mn_node *node(struct mnw *w, const char *name)
{
    for (struct mn_node *n = w->nodes; n; n = n->next)
        if (strcmp(n->name, name) == 0)
            return n;
    struct mn_node *n = xp_arena_alloc(&w->a, sizeof *n);
    if (!n)
        return NULL;
    memset(n, 0, sizeof *n);
    if (!(n->name = xp_arena_strdup(&w->a, name)))
        return NULL;
    n->number = w->node_base + ++w->nnodes;
    for (size_t i = 0; i < sizeof pep_defaults / sizeof *pep_defaults; i++)
        n->opts[n->nopts++] = pep_defaults[i];
    if (w->last_node)
        w->last_node->next = n;
    else
        w->nodes = n;
    w->last_node = n;
    return n;
}

static void set_opt(struct mn_node *n, const char *name, const char *term)
{
    for (unsigned i = 0; i < n->nopts; i++)
        if (strcmp(n->opts[i].name, name) == 0) {
            n->opts[i].term = term;
            return;
        }
    if (n->nopts < MN_MAX_OPTS)
        n->opts[n->nopts++] = (struct mn_opt){name, term};
}

/* The option's term from a form field's values (NULL: left as it is). */
static const char *option_term(struct mnw *w, const struct ejd_opt *o,
                               const xp_elem *field)
{
    const xp_elem *val = xp_elem_child(field, XP_NS_DATA, "value");
    const char *s = val ? xp_elem_text(val) : NULL;
    struct xp_buf *b = &w->tmp;
    xp_buf_reset(b);
    xporta_status st = XPORTA_OK;
    switch (o->type) {
    case EO_BOOL:
        if (!s)
            return NULL;
        st = xp_buf_adds(b, xp_streq(s, "1") || xp_streq(s, "true") ? "true"
                                                                    : "false");
        break;
    case EO_INT: {
        uint64_t n;
        if (xp_streq(s, "max"))
            st = xp_buf_adds(b, "max");
        else if (s && xp_parse_uint(s, &n))
            st = xp_buf_printf(b, "%llu", (unsigned long long)n);
        else
            return NULL;
        break;
    }
    case EO_ATOM:
        if (!s || !*s)
            return NULL;
        st = et_atom(b, s);
        break;
    case EO_BIN:
        if (!s)
            return NULL;
        st = mnw_bin(b, s);
        break;
    case EO_BINS:
        st = xp_buf_addc(b, '[');
        for (const xp_elem *v = xp_elem_first_element(field); !st && v;
             v = xp_elem_next_element(v)) {
            if (!xp_elem_is(v, XP_NS_DATA, "value"))
                continue;
            if (b->len > 1)
                st = xp_buf_addc(b, ',');
            if (!st)
                st = mnw_bin(b, xp_elem_text(v));
        }
        if (!st)
            st = xp_buf_addc(b, ']');
        break;
    }
    return st ? NULL : xp_arena_strndup(&w->a, b->data, b->len);
}

xporta_status mnw_pep_node(struct mnw *w, const xp_elem *p)
{
    const char *name = xp_elem_attr_ns(p, "", "node");
    if (!name)
        return XPORTA_OK;
    struct mn_node *n = node(w, name);
    if (!n)
        return mnw_oom(w);
    const xp_elem *x = xp_elem_child(p, XP_NS_DATA, "x");
    for (const xp_elem *f = x ? xp_elem_first_element(x) : NULL; f;
         f = xp_elem_next_element(f)) {
        const char *var = xp_elem_attr_ns(f, "", "var");
        const struct ejd_opt *o = ejd_node_opts;
        while (o->name && !xp_streq(o->var, var))
            o++;
        if (!o->name)
            continue;
        const char *t = option_term(w, o, f);
        if (t)
            set_opt(n, o->name, t);
    }
    return XPORTA_OK;
}

static struct mn_state *state(struct mnw *w, struct mn_node *n, const char *jid)
{
    for (struct mn_state *s = n->states; s; s = s->next)
        if (strcmp(s->jid, jid) == 0)
            return s;
    struct mn_state *s = xp_arena_alloc(&w->a, sizeof *s);
    if (!s || !(s->jid = xp_arena_strdup(&w->a, jid)))
        return NULL;
    s->aff = NULL;
    xp_buf_init(&s->subs, MN_BUF_MAX);
    s->next = n->states;
    n->states = s;
    return s;
}

xporta_status mnw_pep_states(struct mnw *w, const xp_elem *p, bool affs)
{
    const char *name = xp_elem_attr_ns(p, "", "node");
    if (!name)
        return XPORTA_OK;
    struct mn_node *n = node(w, name);
    if (!n)
        return mnw_oom(w);
    for (const xp_elem *e = xp_elem_first_element(p); e;
         e = xp_elem_next_element(e)) {
        const char *jid = xp_elem_attr_ns(e, "", "jid");
        if (!jid || xp_ascii_ieq(jid, w->jid, strlen(w->jid) + 1))
            continue; /* the owner's state is the node's */
        if (affs) {
            const char *a = xp_elem_attr_ns(e, "", "affiliation");
            const char *aff = xp_streq(a, "owner")          ? "owner"
                              : xp_streq(a, "publisher")    ? "publisher"
                              : xp_streq(a, "publish-only") ? "publish_only"
                              : xp_streq(a, "member")       ? "member"
                              : xp_streq(a, "outcast")      ? "outcast"
                                                            : NULL;
            if (!aff)
                continue;
            struct mn_state *s = state(w, n, jid);
            if (!s)
                return mnw_oom(w);
            s->aff = aff;
        } else {
            const char *sub = xp_elem_attr_ns(e, "", "subscription");
            const char *code = xp_streq(sub, "subscribed")     ? "subscribed"
                               : xp_streq(sub, "pending")      ? "pending"
                               : xp_streq(sub, "unconfigured") ? "unconfigured"
                                                               : NULL;
            if (!code)
                continue;
            struct mn_state *s = state(w, n, jid);
            if (!s)
                return mnw_oom(w);
            const char *subid = xp_elem_attr_ns(e, "", "subid");
            char made[40];
            if (!subid || !*subid) {
                /* ejabberd's subids are random; one is made */
                snprintf(made, sizeof made, "%016llx",
                         (unsigned long long)mnw_now_us() * 2654435761u ^
                             (unsigned long long)(uintptr_t)s);
                subid = made;
            }
            xporta_status st =
                xp_buf_printf(&s->subs, "%s{%s,", s->subs.len ? "," : "", code);
            if (!st)
                st = mnw_bin(&s->subs, subid);
            if (!st)
                st = xp_buf_addc(&s->subs, '}');
            if (st)
                return mnw_oom(w);
        }
    }
    return XPORTA_OK;
}

xporta_status mnw_pep_item(struct mnw *w, const xporta_record *rec)
{
    const xp_elem *p = rec->payload;
    const char *id = xp_elem_attr_ns(p, "", "id");
    if (!id || !rec->key)
        return XPORTA_OK;
    struct mn_node *n = node(w, rec->key);
    if (!n)
        return mnw_oom(w);
    if (!xp_strv_has(&n->items, id) && xp_strv_add(&n->items, id) < 0)
        return mnw_oom(w);
    /* items in the order they come: now, a microsecond apart */
    if (!w->item_ts)
        w->item_ts = mnw_now_us();
    long long t = w->item_ts++;
    const char *pub = xp_elem_attr_ns(p, "", "publisher");
    struct xp_buf *b = &w->out;
    xporta_status st = xp_buf_adds(b, "{pubsub_item,{");
    if (!st)
        st = mnw_bin(b, id);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = nidx(b, n);
    if (!st)
        st = xp_buf_adds(b, "},");
    if (!st)
        st = nidx(b, n);
    if (!st)
        st = xp_buf_adds(b, ",{");
    if (!st)
        st = mnw_now_term(b, t);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = mnw_ljid(w, b, w->jid, true);
    if (!st)
        st = xp_buf_adds(b, "},{");
    if (!st)
        st = mnw_now_term(b, t);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = mnw_ljid(w, b, pub ? pub : w->jid, false);
    if (!st)
        st = xp_buf_adds(b, "},[");
    bool comma = false;
    for (const xp_elem *c = xp_elem_first_element(p); !st && c;
         c = xp_elem_next_element(c)) {
        if (comma)
            st = xp_buf_addc(b, ',');
        comma = true;
        if (!st)
            st = mnw_xml(b, c, "", 0);
    }
    if (!st)
        st = xp_buf_addc(b, ']');
    return mnw_end_rec(w, MT_PUBSUB_ITEM, st);
}

static xporta_status pep_state(struct mnw *w, struct mn_node *n,
                               const char *jid, const char *aff,
                               const struct xp_strv *items,
                               const struct xp_buf *subs)
{
    struct xp_buf *b = &w->out;
    xporta_status st = xp_buf_adds(b, "{pubsub_state,{");
    if (!st)
        st = mnw_ljid(w, b, jid, false);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = nidx(b, n);
    if (!st)
        st = xp_buf_adds(b, "},");
    if (!st)
        st = nidx(b, n);
    if (!st)
        st = xp_buf_adds(b, ",[");
    for (size_t i = 0; !st && items && i < items->n; i++) {
        if (i)
            st = xp_buf_addc(b, ',');
        if (!st)
            st = mnw_bin(b, items->v[i]);
    }
    if (!st)
        st = xp_buf_printf(b, "],%s,[", aff);
    if (!st && subs && subs->len)
        st = xp_buf_add(b, subs->data, subs->len);
    if (!st)
        st = xp_buf_addc(b, ']');
    return mnw_end_rec(w, MT_PUBSUB_STATE, st);
}

xporta_status mnw_pep_write(struct mnw *w)
{
    struct xp_buf *b = &w->out;
    xporta_status st = XPORTA_OK;
    for (struct mn_node *n = w->nodes; !st && n; n = n->next) {
        st = xp_buf_adds(b, "{pubsub_node,{");
        if (!st)
            st = mnw_ljid(w, b, w->jid, true);
        if (!st)
            st = xp_buf_addc(b, ',');
        if (!st)
            st = mnw_bin(b, n->name);
        if (!st)
            st = xp_buf_adds(b, "},");
        if (!st)
            st = nidx(b, n);
        if (!st)
            st = xp_buf_adds(b, ",[],<<\"pep\">>,[");
        if (!st)
            st = mnw_ljid(w, b, w->jid, true);
        if (!st)
            st = xp_buf_adds(b, "],[");
        for (unsigned i = 0; !st && i < n->nopts; i++)
            st = xp_buf_printf(b, "%s{%s,%s}", i ? "," : "", n->opts[i].name,
                               n->opts[i].term);
        if (!st)
            st = xp_buf_addc(b, ']');
        if ((st = mnw_end_rec(w, MT_PUBSUB_NODE, st)))
            break;
        st = pep_state(w, n, w->jid, "owner", &n->items, NULL);
        for (struct mn_state *s = n->states; !st && s; s = s->next)
            st = pep_state(w, n, s->jid, s->aff ? s->aff : "none", NULL,
                           &s->subs);
    }
    return st;
}

void mnw_pep_free(struct mnw *w)
{
    for (struct mn_node *n = w->nodes; n; n = n->next) {
        xp_strv_cleanup(&n->items);
        for (struct mn_state *s = n->states; s; s = s->next)
            xp_buf_cleanup(&s->subs);
    }
}
