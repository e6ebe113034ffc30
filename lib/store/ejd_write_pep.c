/*
 * Writing PEP into ejabberd's SQL storage (ejd_write_p.h), as
 * nodetree_tree_sql and node_flat_sql write it for node_pep: a node is a
 * pubsub_node row (host = the owner's bare JID, plugin "pep") with the
 * owner's pubsub_state row (affiliation o); its configuration is one
 * pubsub_node_option row per option, an Erlang term (ejd_term.h), and
 * ejabberd fills the options not stored with node_pep's defaults; an
 * affiliation or subscription is the subscriber's pubsub_state row; an
 * item is a pubsub_item row whose creation time ("MMMMMM:SSSSSS:UUUUUU")
 * orders the node's items.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ejd_term.h"
#include "ejd_write_p.h"

struct got {
    bool found;
    char *v[2];
};

static xporta_status on_got(void *ud, const struct esql_row *r)
{
    struct got *g = ud;
    if (g->found)
        return XPORTA_OK;
    g->found = true;
    for (int i = 0; i < 2 && i < r->n; i++)
        if (r->v[i] && !(g->v[i] = xp_strdup(r->v[i])))
            return XPORTA_ENOMEM;
    return XPORTA_OK;
}

static void got_free(struct got *g)
{
    free(g->v[0]);
    free(g->v[1]);
}

/* The node's id (w->nodeid), the node made when missing. */
static xporta_status node_id(struct ejd_w *w, const char *node)
{
    if (w->node && strcmp(w->node, node) == 0)
        return XPORTA_OK;
    free(w->node);
    free(w->nodeid);
    w->node = w->nodeid = NULL;
    const char *v[2] = {w->jid, node};
    struct got g = {0};
    xporta_status st = ejw_run(w, EQ_NODE_ID, 2, v, on_got, &g);
    if (!st && !g.found) {
        st = ejw_run(w, EQ_ADD_NODE, 2, v, NULL, NULL);
        if (!st)
            st = ejw_run(w, EQ_NODE_ID, 2, v, on_got, &g);
        const char *o[4] = {g.v[0], w->jid, "o", ""};
        if (!st && g.found)
            st = ejw_run(w, EQ_ADD_NODE_STATE, 4, o, NULL, NULL);
    }
    if (!st && (!g.found || !g.v[0]))
        st = xp_fail(&w->e->run->err, XPORTA_EIO,
                     "%s: PEP node %s of %s: added, not found", w->e->db->where,
                     node, w->jid);
    if (st == XPORTA_ENOMEM)
        st = ejw_oom(w);
    if (!st) {
        w->nodeid = g.v[0];
        g.v[0] = NULL;
        if (!(w->node = xp_strdup(node)))
            st = ejw_oom(w);
    }
    got_free(&g);
    return st;
}

/* The option's term from a form field's values, in w->buf. */
static bool option_term(struct ejd_w *w, const struct ejd_opt *o,
                        const xp_elem *field)
{
    const xp_elem *val = xp_elem_child(field, XP_NS_DATA, "value");
    const char *s = val ? xp_elem_text(val) : NULL;
    struct xp_buf *b = &w->buf;
    xp_buf_reset(b);
    xporta_status st = XPORTA_OK;
    switch (o->type) {
    case EO_BOOL:
        if (!s)
            return false;
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
            return false;
        break;
    }
    case EO_ATOM:
        if (!s || !*s)
            return false;
        st = et_atom(b, s);
        break;
    case EO_BIN:
        if (!s)
            return false;
        st = et_bin(b, s, strlen(s));
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
                st = et_bin(b, xp_elem_text(v), strlen(xp_elem_text(v)));
        }
        if (!st)
            st = xp_buf_addc(b, ']');
        break;
    }
    return !st && !xp_buf_addc(b, '\0');
}

static xporta_status node_config(struct ejd_w *w, const xp_elem *p)
{
    const char *node = xp_elem_attr_ns(p, "", "node");
    if (!node)
        return XPORTA_OK;
    xporta_status st = node_id(w, node);
    const char *d[1] = {w->nodeid};
    if (!st)
        st = ejw_run(w, EQ_DEL_NODE_OPTS, 1, d, NULL, NULL);
    const xp_elem *x = xp_elem_child(p, XP_NS_DATA, "x");
    for (const xp_elem *f = x ? xp_elem_first_element(x) : NULL; !st && f;
         f = xp_elem_next_element(f)) {
        const char *var = xp_elem_attr_ns(f, "", "var");
        const struct ejd_opt *o = ejd_node_opts;
        while (o->name && !xp_streq(o->var, var))
            o++;
        if (!o->name || !option_term(w, o, f))
            continue; /* node_pep's default stands */
        const char *v[3] = {w->nodeid, o->name, w->buf.data};
        st = ejw_run(w, EQ_ADD_NODE_OPT, 3, v, NULL, NULL);
    }
    return st;
}

/* One subscriber's pubsub_state: affiliation `aff` (NULL: kept) and
 * subscriptions `subs` (NULL: kept). */
static xporta_status set_state(struct ejd_w *w, const char *jid,
                               const char *aff, const char *subs)
{
    const char *v[2] = {w->nodeid, jid};
    struct got g = {0};
    xporta_status st = ejw_run(w, EQ_STATE_GET, 2, v, on_got, &g);
    if (st == XPORTA_ENOMEM)
        st = ejw_oom(w);
    if (!st && !g.found) {
        const char *a[4] = {w->nodeid, jid, aff ? aff : "n", subs ? subs : ""};
        st = ejw_run(w, EQ_ADD_NODE_STATE, 4, a, NULL, NULL);
    } else if (!st) {
        if (aff) {
            const char *a[3] = {w->nodeid, jid, aff};
            st = ejw_run(w, EQ_STATE_SET_AFF, 3, a, NULL, NULL);
        }
        if (!st && subs) {
            const char *a[3] = {w->nodeid, jid, subs};
            st = ejw_run(w, EQ_STATE_SET_SUBS, 3, a, NULL, NULL);
        }
    }
    got_free(&g);
    return st;
}

static xporta_status node_states(struct ejd_w *w, const xp_elem *p, bool affs)
{
    const char *node = xp_elem_attr_ns(p, "", "node");
    if (!node)
        return XPORTA_OK;
    xporta_status st = node_id(w, node);
    for (const xp_elem *e = xp_elem_first_element(p); !st && e;
         e = xp_elem_next_element(e)) {
        const char *jid = xp_elem_attr_ns(e, "", "jid");
        if (!jid || strcmp(jid, w->jid) == 0)
            continue; /* the owner's row is the node's */
        if (affs) {
            const char *a = xp_elem_attr_ns(e, "", "affiliation");
            const char *code = xp_streq(a, "owner")          ? "o"
                               : xp_streq(a, "publisher")    ? "p"
                               : xp_streq(a, "publish-only") ? "u"
                               : xp_streq(a, "member")       ? "m"
                               : xp_streq(a, "outcast")      ? "c"
                                                             : "n";
            st = set_state(w, jid, code, NULL);
        } else {
            const char *s = xp_elem_attr_ns(e, "", "subscription");
            const char *code = xp_streq(s, "subscribed")     ? "s"
                               : xp_streq(s, "pending")      ? "p"
                               : xp_streq(s, "unconfigured") ? "u"
                                                             : NULL;
            if (!code)
                continue;
            const char *subid = xp_elem_attr_ns(e, "", "subid");
            char buf[160];
            if (!subid || strlen(subid) > 120) {
                /* ejabberd's subids are random; one is made */
                unsigned long long r =
                    (unsigned long long)time(NULL) * 2654435761u ^
                    (unsigned long long)(uintptr_t)e;
                snprintf(buf, sizeof buf, "%s:%016llx", code, r);
            } else {
                snprintf(buf, sizeof buf, "%s:%s", code, subid);
            }
            st = set_state(w, jid, NULL, buf);
        }
    }
    return st;
}

static xporta_status item(struct ejd_w *w, const xporta_record *rec)
{
    const xp_elem *p = rec->payload;
    const char *id = xp_elem_attr_ns(p, "", "id");
    if (!id || !rec->key)
        return XPORTA_OK;
    xporta_status st = node_id(w, rec->key);
    if (st)
        return st;
    /* the payload: the item's children as text */
    struct xp_buf *b = &w->buf;
    xp_buf_reset(b);
    for (const xp_elem *c = xp_elem_first_element(p); !st && c;
         c = xp_elem_next_element(c))
        st = xp_elem_serialize(b, c, "");
    if (!st)
        st = xp_buf_addc(b, '\0');
    if (st)
        return st == XPORTA_ENOMEM ? ejw_oom(w) : st;
    /* items in the order they come: now, a microsecond apart */
    if (!w->item_ts) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        w->item_ts = (long long)now.tv_sec * 1000000 + now.tv_nsec / 1000;
    }
    long long t = w->item_ts++;
    char when[40];
    snprintf(when, sizeof when, "%06lld:%06lld:%06lld", t / 1000000000000LL,
             t / 1000000 % 1000000, t % 1000000);
    const char *pub = xp_elem_attr_ns(p, "", "publisher");
    const char *d[2] = {w->nodeid, id};
    st = ejw_run(w, EQ_DEL_ITEM, 2, d, NULL, NULL);
    const char *v[5] = {w->nodeid, id, pub ? pub : w->jid, when, b->data};
    return st ? st : ejw_run(w, EQ_ADD_ITEM, 5, v, NULL, NULL);
}

xporta_status ejw_pep(struct ejd_w *w, const xporta_record *rec, bool replace,
                      const char **why)
{
    (void)replace; /* each writes its own rows over what was there */
    (void)why;
    switch (rec->kind) {
    case XPORTA_KIND_PEP_NODE:
        return node_config(w, rec->payload);
    case XPORTA_KIND_PEP_AFFILIATIONS:
        return node_states(w, rec->payload, true);
    case XPORTA_KIND_PEP_SUBSCRIPTIONS:
        return node_states(w, rec->payload, false);
    default:
        return item(w, rec);
    }
}
