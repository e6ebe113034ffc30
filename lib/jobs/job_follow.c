/*
 * XEP-0283 Moved: the contact's side.
 *
 * Follow (the contact's side, for servers without mod_auto_moved) reads the
 * roster and the pending subscription requests (and, with --watch, those
 * that arrive), and follows a request from NEW only when all of this holds
 * (XEP-0283 §4.3): it names an old JID (<moved><old-jid/>), or, for a
 * request without one (ejabberd drops it from requests stored while the
 * contact was offline), an old contact's statement names the requester;
 * the old JID is in the roster with "from" or "both"; the old account's
 * statement, fetched by us, names NEW (a <gone/> error with an xmpp: URI
 * counts as one); and the statement is the old account's own (below).
 * Then: NEW is added with the old name and groups, approved, asked back if
 * the old subscription was "both", and with --remove-old the old item is
 * removed.  Everything else is left pending for the user, with the reason.
 *
 * Whose statement.  An owner may open its node to publishers
 * (pubsub#publish_model "open"; Prosody 0.12 honours it for any account,
 * ejabberd 23.01 for items the owner did not create), and then anyone can
 * publish a statement naming themselves.  So the statement counts only
 * when it is proven to be the owner's, the strongest evidence first:
 *   1. the item's publisher in the server's reply: ejabberd shows it when
 *      the node's pubsub#itemreply is "publisher" (announce sets it);
 *      Prosody never does in replies;
 *   2. the item's publisher in the last item a server sends a new
 *      subscriber: Prosody names it there.  A second session of ours
 *      subscribes to the node and unsubscribes at once (the item arrives
 *      between the two answers: one stream, in order);
 *   3. who may publish on the node, from its pubsub#meta-data (disco#info
 *      on the node): "publishers" means only the owner and those it chose.
 *      Prosody shows it to those subscribed to the owner's presence;
 *      ejabberd shows no such form for PEP nodes.
 * A publisher other than the old account, or a node open to publishers
 * with no publisher shown, is refused; no evidence at all leaves the move
 * for the user too (an ejabberd node announced without itemreply).  What
 * is left: a node that was open, got a forged item, and was closed without
 * the owner publishing again, passes (3) on Prosody when (2) is not
 * available (the owner turned the last-item delivery off).  A <gone/>
 * error is the old server's own word and needs none of this.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job_moved_p.h"

/* ---- follow
 * -------------------------------------------------------------------
 */

struct fol {
    xporta_job *j;
    struct live *l;
    struct roster *r;
    struct xp_arena scratch;
    /* new JID (hash) -> position + 1 in r of the old contact whose
     * statement names it; filled on demand for requests without <moved/> */
    struct xp_map by_new;
    bool scanned;
    /* requests that arrived while watching */
    xp_elem **queue;
    size_t nqueue;
    struct xp_set handled; /* requesters already followed or reported */
};

/* Fetches the old account's statement into *ms: the new JID it names, or
 * NULL with *why set. */
static const char *fetch_statement(struct fol *f, const char *old_jid,
                                   struct xp_moved_statement *ms,
                                   const char **why)
{
    memset(ms, 0, sizeof *ms);
    struct call *c =
        live_call(f->l, "get", old_jid, xp_moved_query(&f->l->arena), 0);
    if (live_wait1(f->l, c) != XPORTA_OK) {
        *why = "interrupted";
        return NULL;
    }
    if (!c->iq || !xp_moved_statement(&f->scratch, c->iq, ms)) {
        *why = c->status == XPORTA_OK ? "the old address has no moved statement"
               : c->cond              ? c->cond
                                      : xporta_strerror(c->status);
        return NULL;
    }
    return ms->new_jid;
}

/* ---- whose statement (the design note above) ----------------------------
 */

struct probe {
    const char *old, *req;
    struct xp_arena *ar;
    const char *publisher; /* from the item the server sent, in ar */
    unsigned waiting;      /* requests in flight */
};

static void probe_stanza(struct xp_session *s, const xp_elem *stanza, void *ud)
{
    struct probe *p = ud;
    (void)s;
    /* Only the old account's own notification (its bare JID, as the
     * server stamps it) counts: anyone can send us a message. */
    const char *from = xporta_elem_attr(stanza, "from");
    struct xp_moved_statement ms;
    if (!xp_elem_is(stanza, NULL, "message") || !from || strchr(from, '/') ||
        !moved_jid_eq(from, p->old) || !xp_moved_statement(p->ar, stanza, &ms))
        return;
    /* Several (a publish crossing ours): a stranger's name wins. */
    bool stranger = p->publisher && !moved_jid_eq(p->publisher, p->old);
    if (ms.publisher && moved_jid_eq(ms.new_jid, p->req) && !stranger)
        p->publisher = ms.publisher;
}

static void probe_done(struct xp_session *s, const struct xp_iq_reply *r,
                       void *ud)
{
    struct probe *p = ud;
    (void)s;
    (void)r;
    p->waiting--;
}

/* Evidence 2: the publisher the old server names in the last item it sends
 * a new subscriber, or NULL.  A second session, so that the notification
 * comes to a handler of ours; it subscribes its own full JID and
 * unsubscribes it right after (nothing of the user's changes).  Only a
 * cancel is an error: no session, no item, no publisher are no evidence. */
static xporta_status probe_publisher(struct fol *f, const char *old,
                                     const char *req, const char **pub)
{
    xporta_job *j = f->j;
    *pub = NULL;
    struct xp_session_opts so;
    job_session_opts(j->account, &so);
    struct xp_err err;
    xp_err_clear(&err);
    struct xp_session *s = NULL;
    if (xp_session_open(&s, &so, &err) != XPORTA_OK)
        return XPORTA_OK;
    struct probe p = {old, req, &f->scratch, NULL, 0};
    xp_session_on_stanza(s, probe_stanza, &p);
    const char *me = xp_session_jid(s);
    xp_elem *sub = xp_moved_subscribe(&f->scratch, me, false);
    xp_elem *unsub = xp_moved_subscribe(&f->scratch, me, true);
    xporta_status st = sub && unsub
                           ? XPORTA_OK
                           : xp_fail(&j->r.err, XPORTA_ENOMEM, "out of memory");
    if (st == XPORTA_OK && xp_session_iq(s, "set", old, sub, FLUSH_TIMEOUT_MS,
                                         probe_done, &p) == XPORTA_OK) {
        p.waiting++;
        if (xp_session_iq(s, "set", old, unsub, FLUSH_TIMEOUT_MS, probe_done,
                          &p) == XPORTA_OK)
            p.waiting++;
    }
    while (st == XPORTA_OK && p.waiting && !j->r.cancel &&
           xp_session_run(s, 200) != XPORTA_EDISCONNECTED) {
    }
    xp_session_close(s); /* callbacks still in flight run now */
    if (st == XPORTA_OK && j->r.cancel)
        st = xp_fail(&j->r.err, XPORTA_ECANCELED, "interrupted");
    *pub = p.publisher;
    return st;
}

/* Evidence 3: the node's publish model from its pubsub#meta-data, or NULL
 * (only a word of lower case letters and '_': it is printed). */
static const char *publish_model(struct fol *f, const char *old)
{
    struct call *c = live_call(
        f->l, "get", old, xp_disco_info_query(&f->l->arena, XP_NS_MOVED), 0);
    if (live_wait1(f->l, c) != XPORTA_OK || c->status != XPORTA_OK || !c->iq)
        return NULL;
    const char *m = xp_pubsub_meta(c->iq, "pubsub#publish_model");
    if (!m || !*m || strspn(m, "abcdefghijklmnopqrstuvwxyz_") != strlen(m))
        return NULL;
    return xp_arena_strdup(&f->scratch, m);
}

/* Whether the statement naming `req` is the old account's own: *doubt
 * NULL when it is proven, else why it is not. */
static xporta_status check_owner(struct fol *f, const char *old,
                                 const char *req,
                                 const struct xp_moved_statement *ms,
                                 const char **doubt)
{
    xporta_job *j = f->j;
    *doubt = NULL;
    if (ms->gone)
        return XPORTA_OK;
    const char *pub = ms->publisher;
    if (!pub) {
        xporta_status st = probe_publisher(f, old, req, &pub);
        if (st != XPORTA_OK)
            return st;
    }
    if (pub) {
        if (*pub && moved_jid_eq(pub, old))
            return XPORTA_OK;
        *doubt =
            xp_arena_printf(&f->scratch, "it was published by %s, not by %s",
                            *pub ? pub : "someone else", old);
        return *doubt ? XPORTA_OK
                      : xp_fail(&j->r.err, XPORTA_ENOMEM, "out of memory");
    }
    const char *model = publish_model(f, old);
    if (j->r.cancel || j->r.err.status != XPORTA_OK)
        return j->r.err.status
                   ? j->r.err.status
                   : xp_fail(&j->r.err, XPORTA_ECANCELED, "interrupted");
    if (xp_streq(model, "publishers"))
        return XPORTA_OK;
    if (model)
        *doubt = xp_arena_printf(
            &f->scratch,
            "anyone may publish on its moved node (publish model %s), and "
            "the server does not say who published the statement",
            model);
    else
        *doubt = "its server shows neither who published the statement nor "
                 "who may publish it";
    if (!*doubt)
        return xp_fail(&j->r.err, XPORTA_ENOMEM, "out of memory");
    return XPORTA_OK;
}

/* Reads every from/both contact's statement, so that a request without
 * <moved/> can be matched to the old contact who names the requester. */
static xporta_status scan_statements(struct fol *f)
{
    f->scanned = true;
    struct call *calls[BATCH];
    size_t at[BATCH];
    size_t n = 0;
    xporta_status st = XPORTA_OK;
    for (size_t i = 0; i <= f->r->n && st == XPORTA_OK; i++) {
        if (i < f->r->n) {
            if (!(f->r->v[i].sub & SUB_FROM))
                continue;
            at[n] = i;
            calls[n++] = live_call(f->l, "get", f->r->v[i].jid,
                                   xp_moved_query(&f->l->arena), 0);
        }
        if (n == BATCH || (i == f->r->n && n)) {
            st = live_wait(f->l, calls, n);
            for (size_t k = 0; st == XPORTA_OK && k < n; k++) {
                const char *nj =
                    calls[k]->iq ? xp_moved_new_jid(&f->scratch, calls[k]->iq)
                                 : NULL;
                if (nj &&
                    xp_map_put(&f->by_new, moved_jid_key(nj), at[k] + 1) < 0)
                    st = xp_fail(&f->j->r.err, XPORTA_ENOMEM, "out of memory");
            }
            xp_arena_reset(&f->l->arena);
            n = 0;
        }
    }
    return st;
}

static xporta_status send_now(struct fol *f, xp_elem *p)
{
    if (!p)
        return xp_fail(&f->j->r.err, XPORTA_ENOMEM, "out of memory");
    xporta_status st = xp_session_send(f->l->s, p);
    return st == XPORTA_OK ? st
                           : xp_fail(&f->j->r.err, st, "cannot send: %s",
                                     xp_session_error(f->l->s));
}

/* Text from a stanza as it may be printed: printable ASCII, the rest as
 * '?', at most 64 bytes ("..." after). */
static const char *shown(struct xp_arena *a, const char *s)
{
    char buf[68];
    size_t k = 0;
    for (; s && *s && k < 64; s++)
        buf[k++] = *s >= 0x20 && *s < 0x7f ? *s : '?';
    if (s && *s) {
        memcpy(buf + k, "...", 3);
        k += 3;
    }
    buf[k] = '\0';
    const char *out = xp_arena_strdup(a, buf);
    return out ? out : "?";
}

/* One subscription request: follow it, or leave it with the reason. */
static xporta_status follow_one(struct fol *f, const xp_elem *presence)
{
    xporta_job *j = f->j;
    xp_arena_reset(&f->scratch);
    xp_arena_reset(&f->l->arena); /* the last request's replies */
    const char *from = xporta_elem_attr(presence, "from");
    const char *req = from ? xp_jid_bare(&f->scratch, from) : NULL;
    if (!req || xp_set_has(&f->handled, moved_jid_key(req)))
        return XPORTA_OK;
    if (xp_set_add(&f->handled, moved_jid_key(req)) < 0)
        return xp_fail(&j->r.err, XPORTA_ENOMEM, "out of memory");
    const char *bad = NULL;
    const char *old = xp_moved_notice(&f->scratch, presence, &bad);
    const struct contact *oc = NULL;
    if (bad) {
        const xp_elem *m = xp_elem_child(presence, XP_NS_MOVED, "moved");
        const char *text = xp_elem_child_text(m, XP_NS_MOVED, "old-jid");
        moved_report(j, req, XPORTA_CONTACT_LEFT,
                     "malformed moved notice%s%s%s: %s; left for you to "
                     "answer",
                     text ? " (old JID \"" : "",
                     text ? shown(&f->scratch, text) : "", text ? "\")" : "",
                     bad);
        return XPORTA_OK;
    }
    if (old) {
        oc = moved_roster_find(f->r, old);
    } else {
        if (!f->scanned) {
            xporta_status st = scan_statements(f);
            if (st != XPORTA_OK)
                return st;
        }
        uint64_t at;
        if (!xp_map_get(&f->by_new, moved_jid_key(req), &at)) {
            moved_report(
                j, req, XPORTA_CONTACT_LEFT,
                "an ordinary request: no moved notice, and none of your "
                "contacts says they moved there; left for you to answer");
            return XPORTA_OK;
        }
        oc = &f->r->v[at - 1];
        old = oc->jid;
    }
    if (!oc || !(oc->sub & SUB_FROM)) {
        moved_report(
            j, req, XPORTA_CONTACT_LEFT,
            "claims to be %s, whom you never approved (%s); left for you "
            "to answer",
            old, oc ? moved_sub_name(oc->sub) : "not in your roster");
        return XPORTA_OK;
    }
    old = oc->jid; /* as the roster spells it (the notice may differ in case) */
    const char *why = NULL;
    struct xp_moved_statement ms;
    const char *nj = fetch_statement(f, old, &ms, &why);
    if (!nj) {
        if (j->r.cancel || j->r.err.status != XPORTA_OK)
            return j->r.err.status ? j->r.err.status : XPORTA_ECANCELED;
        moved_report(
            j, req, XPORTA_CONTACT_LEFT,
            "claims to be %s, but %s does not confirm it (%s); left for "
            "you to answer",
            old, old, why);
        return XPORTA_OK;
    }
    if (!moved_jid_eq(nj, req)) {
        moved_report(
            j, req, XPORTA_CONTACT_LEFT,
            "claims to be %s, but %s says it moved to %s; left for you to "
            "answer",
            old, old, nj);
        return XPORTA_OK;
    }
    const char *doubt = NULL;
    xporta_status cst = check_owner(f, old, req, &ms, &doubt);
    if (cst != XPORTA_OK)
        return cst;
    if (doubt) {
        moved_report(j, req, XPORTA_CONTACT_LEFT,
                     "claims to be %s, but %s's statement naming it cannot be "
                     "trusted: %s; left for you to answer",
                     old, old, doubt);
        return XPORTA_OK;
    }
    /* Verified: the new address gets what the old one had. */
    struct xp_arena *ar = &f->scratch;
    const struct contact *known = moved_roster_find(f->r, req);
    if (!known) {
        xp_elem *item = xp_elem_clone(ar, oc->item);
        if (item) {
            xp_elem_remove_attr(item, "", "subscription");
            xp_elem_remove_attr(item, "", "ask");
            xp_elem_set_attr(ar, item, "", "jid", req);
        }
        struct call *c = live_call(f->l, "set", NULL,
                                   item ? xp_roster_set(ar, item) : NULL, 0);
        xporta_status st = live_wait1(f->l, c);
        if (st != XPORTA_OK)
            return st;
    }
    xporta_status st = send_now(f, xp_presence(ar, "subscribed", req, NULL));
    if (st == XPORTA_OK && (oc->sub & SUB_TO) &&
        !(known && (known->sub & SUB_TO)))
        st = send_now(f, xp_presence(ar, "subscribe", req, NULL));
    if (st == XPORTA_OK && j->remove_old) {
        xp_elem *q = xp_elem_new(ar, XP_NS_ROSTER, "query");
        xp_elem *it = q ? xp_elem_add_child(ar, q, XP_NS_ROSTER, "item") : NULL;
        if (it && xp_elem_set_attr(ar, it, "", "jid", old) &&
            xp_elem_set_attr(ar, it, "", "subscription", "remove")) {
            struct call *c = live_call(f->l, "set", NULL, q, 0);
            st = live_wait1(f->l, c);
        }
    }
    if (st != XPORTA_OK)
        return st;
    const char *name = xporta_elem_attr(oc->item, "name");
    moved_report(j, req, XPORTA_CONTACT_FOLLOWED,
                 "verified move from %s%s%s%s: approved%s%s", old,
                 name ? " (\"" : "", name ? name : "", name ? "\")" : "",
                 (oc->sub & SUB_TO) ? ", asked back" : "",
                 j->remove_old ? ", old address removed" : "");
    return XPORTA_OK;
}

static void fol_presence(void *ud, const xp_elem *p)
{
    struct fol *f = ud;
    if (!xp_streq(xporta_elem_attr(p, "type"), "subscribe"))
        return;
    xp_elem **v = realloc(f->queue, (f->nqueue + 1) * sizeof *v);
    xp_elem *copy = v ? xp_elem_clone(&f->r->arena, p) : NULL;
    if (v)
        f->queue = v;
    if (copy)
        f->queue[f->nqueue++] = copy;
}

xporta_status follow_run(xporta_job *j)
{
    struct roster r;
    moved_roster_init(&r);
    struct live l;
    memset(&l, 0, sizeof l);
    memset(&j->mc, 0, sizeof j->mc);
    j->r.step = "follow";
    xporta_status st = moved_read_roster(j, &l, j->account, &r, true);
    struct fol f;
    memset(&f, 0, sizeof f);
    f.j = j;
    f.l = &l;
    f.r = &r;
    xp_arena_init(&f.scratch, 0);
    xp_map_init(&f.by_new);
    xp_set_init(&f.handled, 0);
    for (size_t i = 0; st == XPORTA_OK && i < r.npending; i++)
        st = follow_one(&f, r.pending[i]);
    if (st == XPORTA_OK && j->watch) {
        /* Stay available (priority -1: no message is delivered to us) and
         * handle requests as they come, until cancelled. */
        l.on_presence = fol_presence;
        l.on_presence_ud = &f;
        xp_elem *p = xp_elem_new(&f.scratch, XP_NS_CLIENT, "presence");
        if (!p || !xp_elem_add_text_child(&f.scratch, p, XP_NS_CLIENT,
                                          "priority", "-1"))
            st = xp_fail(&j->r.err, XPORTA_ENOMEM, "out of memory");
        else
            st = send_now(&f, p);
        xp_run_progress(&j->r, "watch", XPORTA_KIND_COUNT, 0, 0, -1, 0,
                        "waiting for subscription requests (Ctrl-C ends)",
                        true);
        while (st == XPORTA_OK && !j->r.cancel) {
            st = xp_session_run(l.s, 200);
            if (st == XPORTA_EDISCONNECTED) {
                st = xp_fail(&j->r.err, st, "connection lost: %s",
                             xp_session_error(l.s));
                break;
            }
            st = XPORTA_OK;
            while (st == XPORTA_OK && f.nqueue) {
                xp_elem *next = f.queue[0];
                memmove(f.queue, f.queue + 1, (f.nqueue - 1) * sizeof *f.queue);
                f.nqueue--;
                st = follow_one(&f, next);
            }
        }
        l.on_presence = NULL;
    }
    live_close(&l);
    free(f.queue);
    xp_arena_cleanup(&f.scratch);
    xp_map_cleanup(&f.by_new);
    xp_set_cleanup(&f.handled);
    moved_roster_cleanup(&r);
    return st;
}
