/*
 * The rooms job: finding the rooms and what the old address is in them
 * (the design note is in job_rooms.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job_rooms_p.h"

static const xp_muc_aff lists[NLISTS] = {XP_MUC_OWNER, XP_MUC_ADMIN,
                                         XP_MUC_MEMBER, XP_MUC_OUTCAST};

struct room *rooms_add(struct rooms *R, const char *jid, unsigned from)
{
    uint64_t at;
    if (xp_map_get(&R->index, moved_jid_key(jid), &at)) {
        R->v[at - 1].from |= from;
        return &R->v[at - 1];
    }
    if (R->n >= ROOMS_MAX) {
        R->j->rc.not_looked++;
        return NULL;
    }
    if (R->n == R->cap) {
        size_t cap = R->cap ? R->cap * 2 : 32;
        struct room *v = realloc(R->v, cap * sizeof *v);
        if (!v)
            return NULL;
        R->v = v;
        R->cap = cap;
    }
    struct room *r = &R->v[R->n];
    memset(r, 0, sizeof *r);
    r->jid = xp_jid_bare(&R->a, jid);
    r->from = from;
    r->old_aff = r->new_aff = XP_MUC_UNKNOWN;
    r->old_seen = r->new_seen = XP_MUC_UNKNOWN;
    if (!r->jid || xp_map_put(&R->index, moved_jid_key(jid), R->n + 1) < 0)
        return NULL;
    R->n++;
    return r;
}

static void on_bookmark(void *ud, const struct xp_bookmark *b)
{
    struct rooms *R = ud;
    struct room *r = rooms_add(R, b->room, FROM_BOOKMARK);
    if (r && !r->nick && b->nick)
        r->nick = xp_arena_strdup(&R->a, b->nick);
}

/* The bookmarks, in their three homes.  A home the server lacks or that
 * is empty reads as nothing. */
xporta_status rooms_read_bookmarks(struct rooms *R)
{
    struct live *l = R->l;
    xp_run_progress(&R->j->r, "bookmarks", XPORTA_KIND_COUNT, 0, 0, -1, 0, NULL,
                    true);
    struct call *c[3];
    c[0] =
        live_call(l, "get", l->bare,
                  xp_pep_items_query(&l->arena, XP_NS_BOOKMARKS2, 0, NULL), 0);
    c[1] =
        live_call(l, "get", l->bare,
                  xp_pep_items_query(&l->arena, XP_NS_BOOKMARKS, 0, NULL), 0);
    c[2] =
        live_call(l, "get", NULL,
                  xp_private_query(&l->arena, XP_NS_BOOKMARKS, "storage"), 0);
    xporta_status st = live_wait(l, c, 3);
    for (int i = 0; st == XPORTA_OK && i < 3; i++) {
        if (live_fatal(c[i]))
            return live_fatal_error(l, c[i], "bookmarks");
        if (c[i]->status == XPORTA_OK && c[i]->iq)
            xp_bookmarks_decode(&R->a, c[i]->iq, on_bookmark, R);
    }
    xp_arena_reset(&l->arena);
    return st;
}

struct items {
    struct xp_strv jids;
};

static void on_item(void *ud, const char *jid, const char *node,
                    const char *name)
{
    struct items *it = ud;
    (void)name;
    if (!node && it->jids.n < SERVICES_MAX)
        xp_strv_add(&it->jids, jid);
}

static void on_listed_room(void *ud, const char *jid, const char *node,
                           const char *name)
{
    (void)name;
    if (!node && strchr(jid, '@'))
        rooms_add(ud, jid, FROM_LISTED);
}

/* The rooms the old server's MUC services list. */
xporta_status rooms_read_services(struct rooms *R)
{
    struct live *l = R->l;
    xp_run_progress(&R->j->r, "services", XPORTA_KIND_COUNT, 0, 0, -1, 0,
                    l->domain, true);
    struct call *c = live_call(l, "get", l->domain,
                               xp_disco_items_query(&l->arena, NULL), 0);
    xporta_status st = live_wait1(l, c);
    if (st != XPORTA_OK)
        return st;
    if (live_fatal(c))
        return live_fatal_error(l, c, "service discovery");
    struct items it = {{NULL, 0}};
    if (c->status == XPORTA_OK && c->iq)
        xp_disco_items_each(c->iq, on_item, &it);
    xp_arena_reset(&l->arena);
    struct call **info = calloc(it.jids.n + 1, sizeof *info);
    if (!info) {
        xp_strv_cleanup(&it.jids);
        return xp_fail(&R->j->r.err, XPORTA_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < it.jids.n; i++)
        info[i] =
            live_call(l, "get", it.jids.v[i],
                      xp_disco_info_query(&l->arena, NULL), ROOM_TIMEOUT_MS);
    st = live_wait(l, info, it.jids.n);
    struct xp_strv services = {NULL, 0};
    for (size_t i = 0; st == XPORTA_OK && i < it.jids.n; i++)
        if (info[i]->status == XPORTA_OK && info[i]->iq &&
            xp_disco_identity(info[i]->iq, "conference", "text", NULL))
            xp_strv_add(&services, it.jids.v[i]);
    xp_arena_reset(&l->arena);
    for (size_t i = 0; st == XPORTA_OK && i < services.n; i++) {
        R->j->rc.services++;
        c = live_call(l, "get", services.v[i],
                      xp_disco_items_query(&l->arena, NULL), ROOM_TIMEOUT_MS);
        st = live_wait1(l, c);
        if (st == XPORTA_OK && c->status == XPORTA_OK && c->iq)
            xp_disco_items_each(c->iq, on_listed_room, R);
        xp_arena_reset(&l->arena);
    }
    free(info);
    xp_strv_cleanup(&it.jids);
    xp_strv_cleanup(&services);
    return st;
}

/* ---- reading the rooms -------------------------------------------------- */

struct list_ctx {
    struct rooms *R;
    struct room *r;
    xp_muc_aff list;
};

static void add_owner(struct rooms *R, struct room *r, const char *jid)
{
    /* The list is "a, b, c": an exact entry, not a substring (bob@x is
     * not jimbob@x). */
    size_t n = strlen(jid);
    for (const char *p = r->owners; p && *p;) {
        size_t k = strcspn(p, ",");
        if (k == n && xp_ascii_ieq(p, jid, n))
            return;
        p += k;
        while (*p == ',' || *p == ' ')
            p++;
    }
    r->owners = r->owners ? xp_arena_printf(&R->a, "%s, %s", r->owners, jid)
                          : xp_arena_strdup(&R->a, jid);
}

static void on_list_item(void *ud, const char *jid, xp_muc_aff aff,
                         const char *nick)
{
    struct list_ctx *x = ud;
    (void)nick;
    /* The list asked for, whatever the item says: a server answers a
     * list query with that list. */
    xp_muc_aff a = x->list;
    (void)aff;
    if (a == XP_MUC_OWNER)
        add_owner(x->R, x->r, jid);
    bool old = moved_jid_eq(jid, x->R->old),
         new_ = moved_jid_eq(jid, x->R->new_);
    if (a == XP_MUC_OUTCAST) {
        x->r->old_banned |= old;
        x->r->new_banned |= new_;
        return;
    }
    if (old && a > x->r->old_seen)
        x->r->old_seen = a;
    if (new_ && a > x->r->new_seen)
        x->r->new_seen = a;
}

static void on_contact(void *ud, const char *jid)
{
    struct list_ctx *x = ud;
    add_owner(x->R, x->r, jid);
}

static xp_muc_aff settle(xp_muc_aff seen, bool banned, unsigned readable)
{
    if (seen != XP_MUC_UNKNOWN)
        return seen;
    if (banned)
        return XP_MUC_OUTCAST;
    unsigned all =
        (1u << XP_MUC_OWNER) | (1u << XP_MUC_ADMIN) | (1u << XP_MUC_MEMBER);
    return (readable & all) == all ? XP_MUC_NONE : XP_MUC_UNKNOWN;
}

static bool gone_condition(const char *cond)
{
    return xp_streq(cond, "item-not-found") ||
           xp_streq(cond, "remote-server-not-found") ||
           xp_streq(cond, "remote-server-timeout") || xp_streq(cond, "gone");
}

/* Sends the window's requests: four lists and disco#info per room. */
void rooms_read_window(struct rooms *R, size_t from, size_t to)
{
    struct live *l = R->l;
    for (size_t i = from; i < to; i++) {
        struct room *r = &R->v[i];
        for (int k = 0; k < NLISTS; k++)
            r->c[k] = live_call(l, "get", r->jid,
                                xp_muc_list_query(&l->arena, lists[k]),
                                ROOM_TIMEOUT_MS);
        r->c[NLISTS] =
            live_call(l, "get", r->jid, xp_disco_info_query(&l->arena, NULL),
                      ROOM_TIMEOUT_MS);
    }
}

xporta_status rooms_decode(struct rooms *R, struct room *r)
{
    struct call *info = r->c[NLISTS];
    const char *gone = NULL;
    for (int k = 0; k <= NLISTS; k++) {
        struct call *c = r->c[k];
        if (!c)
            return R->j->r.err.status ? R->j->r.err.status : XPORTA_ENOMEM;
        if (c->status == XPORTA_ENOMEM || c->status == XPORTA_ECANCELED ||
            c->status == XPORTA_EDISCONNECTED)
            return live_fatal_error(R->l, c, r->jid);
        if (c->status == XPORTA_ETIMEOUT) {
            gone = "no answer";
            continue;
        }
        if (c->status == XPORTA_ETOOBIG)
            continue; /* a list over the ceilings: not read */
        if (c->status == XPORTA_ESTANZA && gone_condition(c->cond))
            gone = c->cond;
        if (c->status != XPORTA_OK || !c->iq || k == NLISTS)
            continue;
        struct list_ctx x = {R, r, lists[k]};
        if (xp_muc_list_decode(&R->a, c->iq, on_list_item, &x) == XPORTA_OK)
            r->readable |= 1u << lists[k];
    }
    if (info->status == XPORTA_OK && info->iq) {
        r->members_only = xp_disco_has_feature(info->iq, "muc_membersonly");
        if (!r->owners) {
            struct list_ctx x = {R, r, XP_MUC_OWNER};
            xp_muc_roominfo_contacts(info->iq, on_contact, &x);
        }
    } else if (info->status == XPORTA_ESTANZA && gone_condition(info->cond)) {
        gone = info->cond;
    }
    if (gone && !r->readable && info->status != XPORTA_OK) {
        r->missing = xp_streq(gone, "item-not-found") || xp_streq(gone, "gone");
        r->error = xp_arena_printf(&R->a, "the room cannot be read: %s", gone);
    }
    r->old_aff = settle(r->old_seen, r->old_banned, r->readable);
    r->new_aff = settle(r->new_seen, r->new_banned, r->readable);
    return XPORTA_OK;
}

/* ---- the join probe -------------------------------------------------------
 *
 * A room that shows the old address no list (members see the lists only
 * where real JIDs are public, and on Prosody only in members-only rooms),
 * if it is members-only or the user bookmarked or named it, still tells an
 * occupant its affiliation: the room is entered without history and left
 * at once.  "registration-required" means not a member; "forbidden",
 * banned.  Occupants whose real JIDs the room shows name its owners. */

enum { PROBE_WAIT_MS = 10000 };

static struct room *room_of(struct rooms *R, const char *from)
{
    struct xp_jid_parts p;
    char bare[1024];
    uint64_t at;
    if (!from || !xp_jid_split(from, &p) || !p.local_len ||
        p.local_len + p.domain_len + 2 > sizeof bare)
        return NULL;
    snprintf(bare, sizeof bare, "%.*s@%.*s", (int)p.local_len, p.local,
             (int)p.domain_len, p.domain);
    if (!xp_map_get(&R->index, moved_jid_key(bare), &at))
        return NULL;
    return &R->v[at - 1];
}

static void probe_send(struct rooms *R, struct room *r, bool leave)
{
    struct live *l = R->l;
    xp_elem *p = xp_muc_join(&l->arena, r->jid, r->probe_nick, leave);
    if (!p || xp_session_send(l->s, p) != XPORTA_OK)
        r->probe = PROBE_DONE; /* the wait notices a lost connection */
}

static const char *error_condition(const xp_elem *stanza)
{
    const xp_elem *err = xp_elem_child(stanza, NULL, "error");
    for (const xp_elem *e = err ? xp_elem_first_element(err) : NULL; e;
         e = xp_elem_next_element(e))
        if (xp_streq(e->ns, XP_NS_STANZAS) && strcmp(e->name, "text") != 0)
            return e->name;
    return NULL;
}

static void probe_presence(void *ud, const xp_elem *p)
{
    struct rooms *R = ud;
    struct room *r = room_of(R, xp_elem_attr_ns(p, "", "from"));
    if (!r || r->probe != PROBE_SENT)
        return;
    const char *type = xp_elem_attr_ns(p, "", "type");
    if (xp_streq(type, "error")) {
        const char *cond = error_condition(p);
        if (xp_streq(cond, "conflict") && !r->probe_retried) {
            /* The nick is taken (the user is in the room right now). */
            r->probe_retried = true;
            r->probe_nick = xp_arena_printf(&R->a, "%s-xporta", r->probe_nick);
            if (r->probe_nick)
                probe_send(R, r, false);
            else
                r->probe = PROBE_DONE;
            return;
        }
        if (xp_streq(cond, "registration-required"))
            r->old_aff = XP_MUC_NONE;
        else if (xp_streq(cond, "forbidden"))
            r->old_aff = XP_MUC_OUTCAST;
        r->probe = PROBE_DONE;
        return;
    }
    if (type)
        return;
    xp_muc_aff aff;
    const char *jid;
    bool self;
    if (!xp_muc_presence_item(&R->l->arena, p, &aff, &jid, &self))
        return;
    if (!self) {
        if (jid && aff == XP_MUC_OWNER && !moved_jid_eq(jid, R->old))
            add_owner(R, r, jid);
        return;
    }
    if (aff != XP_MUC_UNKNOWN)
        r->old_aff = aff;
    r->probe = PROBE_DONE;
    probe_send(R, r, true);
}

xporta_status rooms_join_probe(struct rooms *R, size_t from, size_t to)
{
    struct live *l = R->l;
    size_t n = 0;
    for (size_t i = from; i < to; i++) {
        struct room *r = &R->v[i];
        if (r->error || r->old_aff != XP_MUC_UNKNOWN ||
            !(r->members_only || (r->from & (FROM_BOOKMARK | FROM_NAMED))))
            continue;
        r->probe_nick = r->nick ? r->nick : l->local;
        r->probe = PROBE_SENT;
        probe_send(R, r, false);
        n++;
    }
    if (!n)
        return XPORTA_OK;
    l->on_presence = probe_presence;
    l->on_presence_ud = R;
    double deadline = xp_now() + PROBE_WAIT_MS / 1000.0;
    xporta_status st = XPORTA_OK;
    for (;;) {
        bool waiting = false;
        for (size_t i = from; i < to; i++)
            waiting |= R->v[i].probe == PROBE_SENT;
        if (!waiting || xp_now() > deadline)
            break;
        if (live_cancelled(l)) {
            st = xp_fail(&R->j->r.err, XPORTA_ECANCELED,
                         "interrupted; run the same command again to resume");
            break;
        }
        if (xp_session_run(l->s, 200) == XPORTA_EDISCONNECTED) {
            st = xp_fail(&R->j->r.err, XPORTA_EDISCONNECTED,
                         "connection lost: %s; run the same command again "
                         "to resume",
                         xp_session_error(l->s));
            break;
        }
    }
    l->on_presence = NULL;
    for (size_t i = from; st == XPORTA_OK && i < to; i++)
        if (R->v[i].probe == PROBE_SENT) {
            /* No answer in time: leave in case the entry lands later. */
            R->v[i].probe = PROBE_DONE;
            probe_send(R, &R->v[i], true);
        }
    return st;
}
