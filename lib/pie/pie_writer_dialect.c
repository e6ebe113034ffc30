/*
 * The XEP-0227 writer: what the Prosody and ejabberd dialects hold back
 * until the end of a user (pie_writer.c's design note says why).
 *
 * Prosody's driver reads only the first container of each store under
 * <user>, so every record of a Prosody user but the archive's is serialised
 * into its container's group (pie_hold.c: bounded memory, a large group
 * spills to a file in the working directory), and the groups are written
 * whole at the end of the user, one container each, whatever order or
 * split the input had.  The archive streams.  The user's PEP data is held
 * as element trees: Prosody reads only the first <pubsub> of each
 * namespace and aborts on a configured node without <items>, so both
 * pubsub elements are written whole at the end, items grouped by node.
 *
 * ejabberd's blocklist is held too, and written at the end of the user as
 * the "Blocked contacts" privacy list its mod_blocking keeps.
 */
#include <stdlib.h>
#include <string.h>

#include "pie_p.h"
#include "pie_writer_p.h"

/* ---- Prosody: one container of each store per user ---------------------- */

/* The groups of records held until the end of a Prosody user, in the order
 * they are written there: direct children of <user> first, then one
 * container each. */
enum {
    HOLD_DIRECT,
    HOLD_ROSTER,
    HOLD_PRIVATE,
    HOLD_PRIVACY,
    HOLD_BLOCKLIST,
    HOLD_OFFLINE,
    HOLD_COUNT
};
static const xporta_kind hold_kind[HOLD_COUNT] = {
    [HOLD_DIRECT] = XPORTA_KIND_OTHER,
    [HOLD_ROSTER] = XPORTA_KIND_ROSTER,
    [HOLD_PRIVATE] = XPORTA_KIND_PRIVATE,
    [HOLD_PRIVACY] = XPORTA_KIND_PRIVACY,
    [HOLD_BLOCKLIST] = XPORTA_KIND_BLOCKLIST,
    [HOLD_OFFLINE] = XPORTA_KIND_OFFLINE,
};

/* The kind whose container an "other" record sat in (it goes back there),
 * or XPORTA_KIND_OTHER for none or an unknown one. */
static xporta_kind container_kind(const char *c)
{
    for (unsigned k = 0; c && k < XPORTA_KIND_COUNT; k++) {
        const struct xp_kind_info *ki = xp_kind_info((xporta_kind)k);
        size_t nl = ki->container_ns ? strlen(ki->container_ns) : 0;
        if (ki->container_ns && c[0] == '{' &&
            strncmp(c + 1, ki->container_ns, nl) == 0 && c[nl + 1] == '}' &&
            strcmp(c + nl + 2, ki->container_name) == 0)
            return (xporta_kind)k;
    }
    return XPORTA_KIND_OTHER;
}

static bool pep_kind(xporta_kind k)
{
    return k == XPORTA_KIND_PEP_NODE || k == XPORTA_KIND_PEP_AFFILIATIONS ||
           k == XPORTA_KIND_PEP_SUBSCRIPTIONS || k == XPORTA_KIND_PEP_ITEM;
}

/* Serialises e at `level` into a group. */
static xporta_status hold_elem(xporta_pie_writer *w, unsigned group,
                               const xp_elem *e, int level, const char *scope)
{
    xp_buf_reset(&w->buf);
    xporta_status st = xp_buf_adds(&w->buf, pie_w_indent(w, level));
    if (st == XPORTA_OK)
        st = xp_elem_serialize(&w->buf, e, scope);
    if (st != XPORTA_OK)
        return xp_fail(&w->err, st, "cannot serialise a record: %s",
                       xporta_strerror(st));
    st = pie_hold_add(&w->hold, group, w->buf.data, w->buf.len, &w->err);
    xp_buf_reset(&w->buf);
    return st;
}

/* Where a record of a Prosody user goes: the archive (and what sat in it)
 * straight out, PEP with the PEP data, anything else into its group. */
xporta_status pie_w_prosody_write(xporta_pie_writer *w,
                                  const xporta_record *rec)
{
    xporta_kind where = rec->kind;
    if (rec->kind == XPORTA_KIND_OTHER)
        where = container_kind(rec->container);
    if (pep_kind(where))
        return pie_w_hold(w, &w->pep_tail, rec);
    xporta_status st;
    if (where == XPORTA_KIND_ARCHIVE) {
        st = pie_w_start_user_tag(w);
        if (st != XPORTA_OK || rec->kind == XPORTA_KIND_ARCHIVE)
            return st == XPORTA_OK ? pie_w_write_now(w, rec) : st;
        st = pie_w_open_container(w, XPORTA_KIND_ARCHIVE, XP_NS_PIE_MAM,
                                  "archive");
        return st == XPORTA_OK
                   ? pie_w_write_elem(w, rec->payload, 4, XP_NS_PIE_MAM)
                   : st;
    }
    for (unsigned g = HOLD_DIRECT + 1; g < HOLD_COUNT; g++) {
        if (hold_kind[g] != where)
            continue;
        const struct xp_kind_info *ki = xp_kind_info(where);
        return hold_elem(w, g, rec->payload, 4, ki->container_ns);
    }
    /* A direct child of <user>: vCard, pending presence, MAM preferences,
     * credentials after the archive began, an unknown element (one in an
     * unknown container in a copy of it). */
    const xp_elem *e = rec->payload;
    if (rec->kind == XPORTA_KIND_CREDENTIALS)
        w->user_secret = true;
    if (rec->kind == XPORTA_KIND_OTHER && rec->container) {
        const char *c = rec->container;
        const char *close = c[0] == '{' ? strchr(c, '}') : NULL;
        if (!close)
            return xp_fail(&w->err, XPORTA_EINVAL, "bad container name '%s'",
                           c);
        const char *ns =
            xp_arena_strndup(&w->arena, c + 1, (size_t)(close - c - 1));
        xp_elem *wrap = ns ? xp_elem_new(&w->arena, ns, close + 1) : NULL;
        if (!wrap)
            return xp_fail(&w->err, XPORTA_ENOMEM, "out of memory");
        wrap->first = wrap->last = (xp_elem *)rec->payload;
        e = wrap;
    }
    return hold_elem(w, HOLD_DIRECT, e, 3, XP_NS_PIE);
}

/* Prosody: the held groups, each in one container. */
xporta_status pie_w_flush_prosody_groups(xporta_pie_writer *w)
{
    xporta_status st = pie_w_close_container(w);
    for (unsigned g = 0; st == XPORTA_OK && g < HOLD_COUNT; g++) {
        uint64_t n = pie_hold_size(&w->hold, g);
        if (n == 0)
            continue;
        const struct xp_kind_info *ki = xp_kind_info(hold_kind[g]);
        if (g != HOLD_DIRECT)
            st = pie_w_emit(w, w->out, "%s<%s xmlns='%s'>", pie_w_indent(w, 3),
                            ki->container_name, ki->container_ns);
        w->bytes += n;
        if (st == XPORTA_OK)
            st = pie_hold_drain(&w->hold, g, w->out, &w->err);
        if (st == XPORTA_OK && g != HOLD_DIRECT) {
            st = pie_w_emit(w, w->out, "%s</%s>", pie_w_indent(w, 3),
                            ki->container_name);
            w->closed_kinds |= 1u << hold_kind[g];
        }
    }
    return st;
}

/* ---- Prosody's PEP data, ejabberd's blocklist ---------------------------- */

/* A held PEP record's pubsub element: the owner's (configuration,
 * affiliations, subscriptions, what else sat there) or the items'. */
static bool in_owner_pubsub(const struct held *h)
{
    xporta_kind k = h->rec.kind == XPORTA_KIND_OTHER
                        ? container_kind(h->rec.container)
                        : h->rec.kind;
    return k != XPORTA_KIND_PEP_ITEM;
}

/* Prosody: both pubsub elements whole, with an <items/> for every node. */
xporta_status pie_w_flush_prosody_pep(xporta_pie_writer *w)
{
    xporta_status st = XPORTA_OK;
    bool any_owner = false;
    for (struct held *h = w->pep; h; h = h->next)
        if (in_owner_pubsub(h))
            any_owner = true;
    if (!w->pep)
        return XPORTA_OK;
    st = pie_w_close_container(w);
    if (any_owner) {
        st = pie_w_open_container(w, XPORTA_KIND_PEP_NODE, XP_NS_PUBSUB_OWNER,
                                  "pubsub");
        for (struct held *h = w->pep; st == XPORTA_OK && h; h = h->next)
            if (in_owner_pubsub(h))
                st = pie_w_write_elem(w, h->rec.payload, 4, XP_NS_PUBSUB_OWNER);
        if (st == XPORTA_OK)
            st = pie_w_close_container(w);
    }
    if (st != XPORTA_OK)
        return st;
    st = pie_w_open_container(w, XPORTA_KIND_PEP_ITEM, XP_NS_PUBSUB, "pubsub");
    /* Items grouped by node, in first-seen order; configured nodes without
     * items get an empty <items/> (Prosody's migrator asserts otherwise).
     * What else sat in an <items> follows, in its own copy of it. */
    for (struct held *n = w->pep; st == XPORTA_OK && n; n = n->next) {
        const char *node = n->rec.key;
        bool first = n->rec.kind != XPORTA_KIND_OTHER;
        for (struct held *p = w->pep; first && p != n; p = p->next)
            if (p->rec.kind != XPORTA_KIND_OTHER && xp_streq(p->rec.key, node))
                first = false;
        if (!first)
            continue;
        st = pie_w_emit(w, w->out, "%s<items", pie_w_indent(w, 4));
        if (st == XPORTA_OK)
            st = pie_w_emit_attr(w, w->out, "node", node);
        if (st == XPORTA_OK)
            st = pie_w_emit(w, w->out, ">");
        for (struct held *i = n; st == XPORTA_OK && i; i = i->next)
            if (i->rec.kind == XPORTA_KIND_PEP_ITEM &&
                xp_streq(i->rec.key, node))
                st = pie_w_write_elem(w, i->rec.payload, 5, XP_NS_PUBSUB);
        if (st == XPORTA_OK)
            st = pie_w_emit(w, w->out, "%s</items>", pie_w_indent(w, 4));
    }
    for (struct held *h = w->pep; st == XPORTA_OK && h; h = h->next)
        if (!in_owner_pubsub(h) && h->rec.kind == XPORTA_KIND_OTHER)
            st = pie_w_write_elem(w, h->rec.payload, 4, XP_NS_PUBSUB);
    return st == XPORTA_OK ? pie_w_close_container(w) : st;
}

/* ejabberd: the blocklist as the privacy list its mod_blocking keeps. */
xporta_status pie_w_flush_ejabberd_blocks(xporta_pie_writer *w)
{
    if (!w->blocks)
        return XPORTA_OK;
    xporta_status st = pie_w_close_container(w);
    if (st == XPORTA_OK)
        st = pie_w_emit(w, w->out, "%s<query xmlns='" XP_NS_PRIVACY "'>",
                        pie_w_indent(w, 3));
    if (st == XPORTA_OK && !w->privacy_default_seen)
        st = pie_w_emit(w, w->out,
                        "%s<default name='" XP_EJABBERD_BLOCKLIST "'/>",
                        pie_w_indent(w, 4));
    if (st == XPORTA_OK)
        st = pie_w_emit(w, w->out, "%s<list name='" XP_EJABBERD_BLOCKLIST "'>",
                        pie_w_indent(w, 4));
    unsigned order = 0;
    for (struct held *h = w->blocks; st == XPORTA_OK && h; h = h->next) {
        const char *jid = xp_elem_attr_ns(h->rec.payload, "", "jid");
        if (!jid)
            continue;
        st = pie_w_emit(w, w->out, "%s<item", pie_w_indent(w, 5));
        if (st == XPORTA_OK)
            st = pie_w_emit_attr(w, w->out, "value", jid);
        if (st == XPORTA_OK)
            st = pie_w_emit(w, w->out, " type='jid' order='%u' action='deny'/>",
                            order++);
    }
    if (st == XPORTA_OK)
        st = pie_w_emit(w, w->out, "%s</list>%s</query>", pie_w_indent(w, 4),
                        pie_w_indent(w, 3));
    return st;
}
