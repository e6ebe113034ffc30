/*
 * tests/fake/fake_server.c: what the fake server does with a stanza from a
 * client: IQ requests through a table of (namespace, element, first child,
 * type) -> handler, subscription presences (RFC 6121 §3, on both rosters
 * when the contact is local), messages between local accounts.  The design
 * note is in fake_session.c; the state in fake_store.c.
 *
 * Replies are shaped like Prosody 0.12's (tests/data/stanzas/prosody-*.xml):
 * no 'from' on a reply to a request without 'to', the addressee otherwise;
 * errors carry <error type><condition/>[<text/>]</error> without the
 * request's payload.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_p.h"
#include "xmpp/xmpp_kinds.h"

const char *fk_attr(const xp_elem *e, const char *name)
{
    return xp_elem_attr_ns(e, "", name);
}

const char *fk_attr_set(const xp_elem *e, const char *name)
{
    const char *v = fk_attr(e, name);
    return v && *v ? v : NULL;
}

bool fk_fail(struct fk_req *r, const char *cond, const char *text)
{
    if (!r->cond) {
        r->cond = cond;
        r->text = text;
    }
    return false;
}

bool fk_fail_app(struct fk_req *r, const char *cond, const char *app)
{
    fk_fail(r, cond, NULL);
    r->app = app;
    return false;
}

xp_elem *fk_add(struct fk_req *r, xp_elem *parent, const char *ns,
                const char *name)
{
    xp_elem *e = xp_elem_add_child(r->a, parent, ns, name);
    if (!e)
        fk_fail(r, "internal-server-error", "out of memory");
    return e;
}

void fk_set(struct fk_req *r, xp_elem *e, const char *name, const char *v)
{
    if (e && !xp_elem_set_attr(r->a, e, "", name, v))
        fk_fail(r, "internal-server-error", "out of memory");
}

void fk_append(struct fk_req *r, xp_elem *parent, xp_elem *child)
{
    if (!parent || !child)
        fk_fail(r, "internal-server-error", "stored data unreadable");
    else
        xp_elem_append(parent, child);
}

/* RFC 6120 §8.3.3: the usual type of each condition. */
static const char *error_type(const char *cond)
{
    static const char *const modify[] = {"bad-request",    "jid-malformed",
                                         "not-acceptable", "policy-violation",
                                         "redirect",       NULL};
    static const char *const auth[] = {"forbidden", "not-authorized",
                                       "registration-required",
                                       "subscription-required", NULL};
    static const char *const wait[] = {
        "recipient-unavailable", "remote-server-timeout", "resource-constraint",
        "unexpected-request", NULL};
    for (size_t i = 0; modify[i]; i++)
        if (strcmp(cond, modify[i]) == 0)
            return "modify";
    for (size_t i = 0; auth[i]; i++)
        if (strcmp(cond, auth[i]) == 0)
            return "auth";
    for (size_t i = 0; wait[i]; i++)
        if (strcmp(cond, wait[i]) == 0)
            return "wait";
    return "cancel";
}

/* <error type><COND/>[<text/>][<APP xmlns=pubsub#errors/>]</error> */
static bool add_error(struct xp_arena *a, xp_elem *stanza, const char *cond,
                      const char *text, const char *app)
{
    xp_elem *e = xp_elem_add_child(a, stanza, XP_NS_CLIENT, "error");
    return e && xp_elem_set_attr(a, e, "", "type", error_type(cond)) &&
           xp_elem_add_child(a, e, XP_NS_STANZAS, cond) &&
           (!text ||
            xp_elem_add_text_child(a, e, XP_NS_STANZAS, "text", text)) &&
           (!app || xp_elem_add_child(a, e, NS_PUBSUB_ERRORS, app));
}

/* ---- rosters and subscriptions (RFC 6121) -------------------------------- */

static const char *sub_of(const xp_elem *item)
{
    const char *s = fk_attr(item, "subscription");
    return s ? s : "none";
}

static bool sub_is(const xp_elem *item, const char *a, const char *b)
{
    return strcmp(sub_of(item), a) == 0 || (b && strcmp(sub_of(item), b) == 0);
}

/* The stored item for `jid`, or a new one (subscription none). */
static xp_elem *roster_item(struct xp_arena *a, struct fk_account *acct,
                            const char *jid, bool create)
{
    struct fk_entry *e = fk_find(acct, XPORTA_KIND_ROSTER, jid, NULL);
    if (e)
        return fk_load(a, e);
    if (!create)
        return NULL;
    xp_elem *it = xp_elem_new(a, XP_NS_ROSTER, "item");
    if (!it || !xp_elem_set_attr(a, it, "", "jid", jid) ||
        !xp_elem_set_attr(a, it, "", "subscription", "none"))
        return NULL;
    return it;
}

bool fk_has_from(struct xp_arena *a, struct fk_account *acct, const char *jid)
{
    xp_elem *it = roster_item(a, acct, jid, false);
    return it && sub_is(it, "from", "both");
}

/* Sends a roster push of `item` to every session of the account. */
static void roster_push(struct xp_arena *a, struct fk_account *acct,
                        const xp_elem *item)
{
    char id[48], ver[24];
    snprintf(ver, sizeof ver, "%lu", acct->roster_ver);
    for (struct fk_conn *c = acct->conns; c; c = c->next) {
        xp_elem *iq = xp_elem_new(a, XP_NS_CLIENT, "iq");
        xp_elem *q = iq ? xp_elem_add_child(a, iq, XP_NS_ROSTER, "query") : 0;
        xp_elem *it = q ? xp_elem_clone(a, item) : NULL;
        fk_new_id(acct, "fk-push-", id, sizeof id);
        if (!it || !xp_elem_set_attr(a, iq, "", "type", "set") ||
            !xp_elem_set_attr(a, iq, "", "id", id) ||
            !xp_elem_set_attr(a, iq, "", "to", c->full) ||
            !xp_elem_set_attr(a, q, "", "ver", ver))
            return;
        xp_elem_append(q, it);
        fk_conn_deliver(c, iq);
    }
}

/* Stores a changed item and pushes it. */
static bool roster_save(struct xp_arena *a, struct fk_account *acct,
                        const xp_elem *item)
{
    if (!item ||
        !fk_store(acct, XPORTA_KIND_ROSTER, fk_attr(item, "jid"), NULL, item))
        return false;
    acct->roster_ver++;
    roster_push(a, acct, item);
    return true;
}

static void set_sub(struct xp_arena *a, xp_elem *item, const char *sub)
{
    xp_elem_set_attr(a, item, "", "subscription", sub);
}

/* To the account's sessions that sent initial presence. */
static void deliver_available(struct fk_account *acct, const xp_elem *stanza)
{
    for (struct fk_conn *c = acct->conns; c; c = c->next)
        if (c->available)
            fk_conn_deliver(c, stanza);
}

static void deliver_presence(struct xp_arena *a, struct fk_account *to,
                             const char *from, const char *type)
{
    xp_elem *p = xp_presence(a, type, to->bare, NULL);
    if (p && xp_elem_set_attr(a, p, "", "from", from))
        deliver_available(to, p);
}

/* `acct` receives "subscribed" from `from` (bare). */
static void in_subscribed(struct xp_arena *a, struct fk_account *acct,
                          const char *from)
{
    xp_elem *it = roster_item(a, acct, from, false);
    if (!it || !xp_streq(fk_attr(it, "ask"), "subscribe"))
        return; /* nothing asked: ignored (RFC 6121 §3.1.6) */
    xp_elem_remove_attr(it, "", "ask");
    set_sub(a, it, sub_is(it, "from", "both") ? "both" : "to");
    roster_save(a, acct, it);
    deliver_presence(a, acct, from, "subscribed");
}

/* `acct` receives "subscribe" from the local account `from`. */
static void in_subscribe(struct xp_arena *a, struct fk_account *acct,
                         struct fk_account *from, const xp_elem *request)
{
    xp_elem *it = roster_item(a, acct, from->bare, false);
    if (it && sub_is(it, "from", "both")) {
        in_subscribed(a, from, acct->bare); /* approved already */
        return;
    }
    if (it && xp_streq(fk_attr(it, "approved"), "true")) { /* pre-approved */
        xp_elem_remove_attr(it, "", "approved");
        set_sub(a, it, sub_is(it, "to", NULL) ? "both" : "from");
        roster_save(a, acct, it);
        in_subscribed(a, from, acct->bare);
        return;
    }
    /* Stored, and shown now to the sessions that are online. */
    xp_elem *p = xp_presence(a, "subscribe", NULL, NULL);
    if (!p || !xp_elem_set_attr(a, p, "", "from", from->bare))
        return;
    const char *lang = xp_elem_attr_ns(request, XP_NS_XML, "lang");
    if (lang)
        xp_elem_set_attr(a, p, XP_NS_XML, "lang", lang);
    for (const xp_elem *c = request->first; c; c = c->next) {
        xp_elem *k = xp_elem_clone(a, c);
        if (!k)
            return;
        xp_elem_append(p, k);
    }
    fk_store(acct, XPORTA_KIND_PENDING, from->bare, NULL, p);
    if (xp_elem_set_attr(a, p, "", "to", acct->bare))
        deliver_available(acct, p);
}

/* `acct` receives "unsubscribe" from `from`: it loses its 'from'. */
static void in_unsubscribe(struct xp_arena *a, struct fk_account *acct,
                           const char *from)
{
    struct fk_entry *pe = fk_find(acct, XPORTA_KIND_PENDING, from, NULL);
    if (pe)
        fk_remove(acct, XPORTA_KIND_PENDING, pe);
    xp_elem *it = roster_item(a, acct, from, false);
    if (it && (sub_is(it, "from", "both") || fk_attr(it, "approved"))) {
        xp_elem_remove_attr(it, "", "approved");
        set_sub(a, it, sub_is(it, "both", "to") ? "to" : "none");
        roster_save(a, acct, it);
    }
    deliver_presence(a, acct, from, "unsubscribe");
}

/* `acct` receives "unsubscribed" from `from`: it loses its 'to'. */
static void in_unsubscribed(struct xp_arena *a, struct fk_account *acct,
                            const char *from)
{
    xp_elem *it = roster_item(a, acct, from, false);
    if (it && (sub_is(it, "to", "both") || fk_attr(it, "ask"))) {
        xp_elem_remove_attr(it, "", "ask");
        set_sub(a, it, sub_is(it, "both", "from") ? "from" : "none");
        roster_save(a, acct, it);
    }
    deliver_presence(a, acct, from, "unsubscribed");
}

static void bounce(struct xp_arena *a, struct fk_conn *c, const char *from,
                   const char *cond, const char *text)
{
    xp_elem *p = xp_presence(a, "error", c->full, NULL);
    if (p && xp_elem_set_attr(a, p, "", "from", from) &&
        add_error(a, p, cond, text, NULL))
        fk_conn_deliver(c, p);
}

static void handle_presence(struct fk_conn *c, struct xp_arena *a,
                            const xp_elem *p)
{
    struct fk_account *self = c->acct;
    const char *type = fk_attr(p, "type"), *to = fk_attr(p, "to");
    if (!to) {
        bool was = c->available;
        c->available = type == NULL;
        if (!type && !was) {
            /* Initial presence: the stored requests (RFC 6121 §3.1.3). */
            for (size_t i = 0; i < self->data[XPORTA_KIND_PENDING].n; i++) {
                xp_elem *s = fk_load(a, &self->data[XPORTA_KIND_PENDING].v[i]);
                if (s && xp_elem_set_attr(a, s, "", "to", self->bare))
                    fk_conn_deliver(c, s);
            }
        }
        return;
    }
    static const char *const types[] = {"subscribe", "subscribed",
                                        "unsubscribe", "unsubscribed"};
    size_t t = 0;
    while (t < 4 && !xp_streq(type, types[t]))
        t++;
    if (t == 4)
        return; /* directed presence and probes are not modelled */
    char what[32];
    snprintf(what, sizeof what, "presence %s", type);
    const struct fk_fault *f = fk_fault_take(self, what);
    if (f && strcmp(f->condition, "disconnect") == 0) {
        fk_conn_drop(c, NULL, "the fake server dropped the connection");
        return;
    }
    if (f) {
        if (strcmp(f->condition, "no-answer") != 0)
            bounce(a, c, to, f->condition, f->text);
        return;
    }
    struct xp_jid_parts jp;
    char *bare = xp_jid_bare(a, to);
    if (!bare || !xp_jid_split(bare, &jp) || !jp.local)
        return;
    struct fk_account *peer = fk_account_find(bare);
    xp_elem *it = roster_item(a, self, bare, t == 0 || t == 1);
    struct fk_entry *pe = fk_find(self, XPORTA_KIND_PENDING, bare, NULL);
    switch (t) {
    case 0: /* subscribe */
        if (it && sub_is(it, "none", "from") && !fk_attr(it, "ask")) {
            xp_elem_set_attr(a, it, "", "ask", "subscribe");
            roster_save(a, self, it);
        }
        if (peer)
            in_subscribe(a, peer, self, p);
        break;
    case 1: /* subscribed: approves a request, or pre-approves */
        if (pe) {
            fk_remove(self, XPORTA_KIND_PENDING, pe);
            if (it) {
                xp_elem_remove_attr(it, "", "approved");
                set_sub(a, it, sub_is(it, "to", "both") ? "both" : "from");
                roster_save(a, self, it);
            }
            if (peer)
                in_subscribed(a, peer, self->bare);
        } else if (it && sub_is(it, "none", "to") && !fk_attr(it, "approved")) {
            xp_elem_set_attr(a, it, "", "approved", "true");
            roster_save(a, self, it);
        }
        break;
    case 2: /* unsubscribe */
        if (it && (sub_is(it, "to", "both") || fk_attr(it, "ask"))) {
            xp_elem_remove_attr(it, "", "ask");
            set_sub(a, it, sub_is(it, "both", "from") ? "from" : "none");
            roster_save(a, self, it);
        }
        if (peer)
            in_unsubscribe(a, peer, self->bare);
        break;
    default: /* unsubscribed */
        if (pe)
            fk_remove(self, XPORTA_KIND_PENDING, pe);
        if (it && (sub_is(it, "from", "both") || fk_attr(it, "approved"))) {
            xp_elem_remove_attr(it, "", "approved");
            set_sub(a, it, sub_is(it, "both", "to") ? "to" : "none");
            roster_save(a, self, it);
        }
        if (peer)
            in_unsubscribed(a, peer, self->bare);
        break;
    }
    if (!fk_server_find(jp.domain, jp.domain_len))
        bounce(a, c, to, "remote-server-not-found", NULL);
}

/* A message to a local account: shown to its online sessions, archived on
 * both sides when it has a body. */
static void handle_message(struct fk_conn *c, struct xp_arena *a, xp_elem *m)
{
    const char *to = fk_attr(m, "to");
    struct fk_account *peer = to ? fk_account_find(to) : NULL;
    if (!peer || !xp_elem_set_attr(a, m, "", "from", c->full))
        return;
    if (xp_elem_child(m, XP_NS_CLIENT, "body")) {
        if (fk_server_has(c->acct->srv, XP_NS_MAM))
            fk_archive(c->acct, NULL, NULL, m);
        if (fk_server_has(peer->srv, XP_NS_MAM))
            fk_archive(peer, NULL, NULL, m);
    }
    deliver_available(peer, m);
}

/* ---- roster ------------------------------------------------------------- */

static bool roster_get(struct fk_req *r)
{
    char ver[24];
    xp_elem *q = fk_add(r, r->res, XP_NS_ROSTER, "query");
    snprintf(ver, sizeof ver, "%lu", r->self->roster_ver);
    fk_set(r, q, "ver", ver);
    for (size_t i = 0; q && i < r->self->data[XPORTA_KIND_ROSTER].n; i++)
        fk_append(r, q, fk_load(r->a, &r->self->data[XPORTA_KIND_ROSTER].v[i]));
    return !r->cond;
}

static bool roster_remove(struct fk_req *r, const char *jid)
{
    struct fk_account *self = r->self;
    struct fk_entry *e = fk_find(self, XPORTA_KIND_ROSTER, jid, NULL);
    if (!e)
        return fk_fail(r, "item-not-found", NULL);
    /* Removing a contact cancels the subscriptions both ways (§2.5.2). */
    xp_elem *it = fk_load(r->a, e);
    struct fk_account *peer = fk_account_find(jid);
    if (it && peer && (sub_is(it, "to", "both") || fk_attr(it, "ask")))
        in_unsubscribe(r->a, peer, self->bare);
    if (it && peer && sub_is(it, "from", "both"))
        in_unsubscribed(r->a, peer, self->bare);
    struct fk_entry *pe = fk_find(self, XPORTA_KIND_PENDING, jid, NULL);
    if (pe)
        fk_remove(self, XPORTA_KIND_PENDING, pe);
    fk_remove(self, XPORTA_KIND_ROSTER, e);
    self->roster_ver++;
    xp_elem *push = xp_elem_new(r->a, XP_NS_ROSTER, "item");
    fk_set(r, push, "jid", jid);
    fk_set(r, push, "subscription", "remove");
    if (push)
        roster_push(r->a, self, push);
    return !r->cond;
}

static bool roster_set(struct fk_req *r)
{
    const xp_elem *item = xp_elem_first_element(r->q);
    const char *jid = fk_attr_set(item, "jid");
    if (!xp_elem_is(item, XP_NS_ROSTER, "item") || xp_elem_next_element(item))
        return fk_fail(r, "bad-request", "exactly one item is expected");
    if (!jid || !xporta_jid_is_valid(jid, NULL))
        return fk_fail(r, "bad-request", "invalid JID");
    if (xp_jid_eq(jid, r->self->bare))
        return fk_fail(r, "not-allowed", "cannot add your own JID");
    if (xp_streq(fk_attr(item, "subscription"), "remove"))
        return roster_remove(r, jid);
    /* The client sets the name and groups; the server keeps the
     * subscription state (RFC 6121 §2.1.2). */
    xp_elem *old = roster_item(r->a, r->self, jid, false);
    xp_elem *it = xp_elem_new(r->a, XP_NS_ROSTER, "item");
    fk_set(r, it, "jid", old ? fk_attr(old, "jid") : jid);
    if (fk_attr_set(item, "name"))
        fk_set(r, it, "name", fk_attr(item, "name"));
    fk_set(r, it, "subscription", old ? sub_of(old) : "none");
    if (old && fk_attr(old, "ask"))
        fk_set(r, it, "ask", fk_attr(old, "ask"));
    if (old && fk_attr(old, "approved"))
        fk_set(r, it, "approved", fk_attr(old, "approved"));
    for (const xp_elem *g = xp_elem_first_element(item); g && !r->cond;
         g = xp_elem_next_element(g)) {
        if (!xp_elem_is(g, XP_NS_ROSTER, "group"))
            continue;
        if (!*xp_elem_text(g))
            return fk_fail(r, "not-acceptable", "empty group name");
        for (const xp_elem *h = xp_elem_first_element(it); h;
             h = xp_elem_next_element(h))
            if (strcmp(xp_elem_text(h), xp_elem_text(g)) == 0)
                return fk_fail(r, "bad-request", "duplicate group");
        if (it && !xp_elem_add_text_child(r->a, it, XP_NS_ROSTER, "group",
                                          xp_elem_text(g)))
            fk_fail(r, "internal-server-error", "out of memory");
    }
    if (!r->cond && !roster_save(r->a, r->self, it))
        fk_fail(r, "internal-server-error", "out of memory");
    return !r->cond;
}

/* ---- vCard-temp and private XML ------------------------------------------ */

static bool vcard_get(struct fk_req *r)
{
    const struct fk_entry *e =
        fk_find(r->acct, XPORTA_KIND_VCARD, "vcard", NULL);
    if (e)
        fk_append(r, r->res, fk_load(r->a, e));
    else
        fk_add(r, r->res, XP_NS_VCARD, "vCard");
    return !r->cond;
}

static bool vcard_set(struct fk_req *r)
{
    struct fk_entry *e = fk_find(r->self, XPORTA_KIND_VCARD, "vcard", NULL);
    if (!xp_elem_first_element(r->q)) {
        if (e)
            fk_remove(r->self, XPORTA_KIND_VCARD, e);
    } else if (!fk_store(r->self, XPORTA_KIND_VCARD, "vcard", NULL, r->q)) {
        fk_fail(r, "internal-server-error", "out of memory");
    }
    return !r->cond;
}

/* XEP-0049 §3: namespaced children, not jabber:iq:private itself. */
static bool private_ok(struct fk_req *r, const xp_elem *c)
{
    if (!c->ns[0] || strcmp(c->ns, XP_NS_PRIVATE) == 0 ||
        strcmp(c->ns, XP_NS_CLIENT) == 0) {
        fk_fail(r, "not-acceptable", "a namespaced element is expected");
        return false;
    }
    return true;
}

static char *private_key(struct fk_req *r, const xp_elem *c)
{
    char *key = xp_arena_printf(r->a, "{%s}%s", c->ns, c->name);
    if (!key)
        fk_fail(r, "internal-server-error", "out of memory");
    return key;
}

static bool private_get(struct fk_req *r)
{
    const xp_elem *c = xp_elem_first_element(r->q);
    if (!c || xp_elem_next_element(c))
        return fk_fail(r, "bad-request", "exactly one element is expected");
    char *key = private_ok(r, c) ? private_key(r, c) : NULL;
    if (!key)
        return !r->cond;
    xp_elem *q = fk_add(r, r->res, XP_NS_PRIVATE, "query");
    const struct fk_entry *e = fk_find(r->self, XPORTA_KIND_PRIVATE, key, 0);
    if (e)
        fk_append(r, q, fk_load(r->a, e));
    else if (q)
        fk_add(r, q, c->ns, c->name);
    return !r->cond;
}

static bool has_content(const xp_elem *e)
{
    if (e->nattrs > 0)
        return true;
    for (const xp_elem *c = e->first; c; c = c->next)
        if (c->name || !xp_is_blank(c->text, c->text_len))
            return true;
    return false;
}

static bool private_set(struct fk_req *r)
{
    const xp_elem *c = xp_elem_first_element(r->q);
    if (!c)
        return fk_fail(r, "bad-request", "nothing to store");
    for (; c && !r->cond; c = xp_elem_next_element(c)) {
        char *key = private_ok(r, c) ? private_key(r, c) : NULL;
        if (!key)
            return !r->cond;
        struct fk_entry *e = fk_find(r->self, XPORTA_KIND_PRIVATE, key, NULL);
        if (!has_content(c)) {
            if (e)
                fk_remove(r->self, XPORTA_KIND_PRIVATE, e);
        } else if (!fk_store(r->self, XPORTA_KIND_PRIVATE, key, NULL, c)) {
            fk_fail(r, "internal-server-error", "out of memory");
        }
    }
    return !r->cond;
}

/* ---- privacy lists (XEP-0016) and blocking (XEP-0191) -------------------- */

static char *list_key(struct fk_req *r, const char *name)
{
    char *key = xp_arena_printf(r->a, "list %s", name);
    if (!key)
        fk_fail(r, "internal-server-error", "out of memory");
    return key;
}

static bool privacy_get(struct fk_req *r)
{
    const xp_elem *c = xp_elem_first_element(r->q);
    struct fk_account *self = r->self;
    if (c && (xp_elem_next_element(c) || !xp_elem_is(c, XP_NS_PRIVACY, "list")))
        return fk_fail(r, "bad-request", "one list at a time");
    if (c) {
        const char *name = fk_attr_set(c, "name");
        char *key = name ? list_key(r, name) : NULL;
        const struct fk_entry *e =
            key ? fk_find(self, XPORTA_KIND_PRIVACY, key, NULL) : NULL;
        if (!name)
            return fk_fail(r, "bad-request", "a list needs a name");
        if (!e)
            return fk_fail(r, "item-not-found", NULL);
        xp_elem *q = fk_add(r, r->res, XP_NS_PRIVACY, "query");
        if (q)
            fk_append(r, q, fk_load(r->a, e));
        return !r->cond;
    }
    xp_elem *q = fk_add(r, r->res, XP_NS_PRIVACY, "query");
    if (q && r->c->active_list)
        fk_set(r, fk_add(r, q, XP_NS_PRIVACY, "active"), "name",
               r->c->active_list);
    if (q && self->privacy_default)
        fk_set(r, fk_add(r, q, XP_NS_PRIVACY, "default"), "name",
               self->privacy_default);
    for (size_t i = 0; q && i < self->data[XPORTA_KIND_PRIVACY].n; i++)
        fk_set(r, fk_add(r, q, XP_NS_PRIVACY, "list"), "name",
               self->data[XPORTA_KIND_PRIVACY].v[i].key + 5);
    return !r->cond;
}

static bool privacy_item_ok(const xp_elem *it)
{
    static const char *const subs[] = {"both", "to", "from", "none", NULL};
    const char *type = fk_attr(it, "type"), *value = fk_attr(it, "value");
    const char *action = fk_attr(it, "action");
    uint64_t order;
    if (!xp_elem_is(it, XP_NS_PRIVACY, "item") ||
        !(xp_streq(action, "allow") || xp_streq(action, "deny")) ||
        !fk_attr(it, "order") || !xp_parse_uint(fk_attr(it, "order"), &order))
        return false;
    if (!type)
        return value == NULL;
    if (!value)
        return false;
    if (strcmp(type, "subscription") == 0) {
        for (size_t i = 0; subs[i]; i++)
            if (strcmp(value, subs[i]) == 0)
                return true;
        return false;
    }
    return strcmp(type, "jid") == 0 || strcmp(type, "group") == 0;
}

static bool list_in_use(const struct fk_account *acct, const char *name)
{
    if (xp_streq(acct->privacy_default, name))
        return true;
    for (const struct fk_conn *c = acct->conns; c; c = c->next)
        if (xp_streq(c->active_list, name))
            return true;
    return false;
}

static bool privacy_choose(struct fk_req *r, const xp_elem *c, char **slot)
{
    const char *name = fk_attr_set(c, "name");
    char *key = name ? list_key(r, name) : NULL;
    if (name && (!key || !fk_find(r->self, XPORTA_KIND_PRIVACY, key, NULL)))
        return fk_fail(r, "item-not-found", NULL);
    char *v = name ? xp_strdup(name) : NULL;
    if (name && !v)
        return fk_fail(r, "internal-server-error", "out of memory");
    free(*slot);
    *slot = v;
    return !r->cond;
}

static bool privacy_set(struct fk_req *r)
{
    const xp_elem *c = xp_elem_first_element(r->q);
    if (!c || xp_elem_next_element(c) || strcmp(c->ns, XP_NS_PRIVACY) != 0)
        return fk_fail(r, "bad-request", "exactly one element is expected");
    if (strcmp(c->name, "active") == 0)
        return privacy_choose(r, c, &r->c->active_list);
    if (strcmp(c->name, "default") == 0)
        return privacy_choose(r, c, &r->self->privacy_default);
    const char *name = fk_attr_set(c, "name");
    if (strcmp(c->name, "list") != 0 || !name)
        return fk_fail(r, "bad-request", NULL);
    char *key = list_key(r, name);
    struct fk_entry *e =
        key ? fk_find(r->self, XPORTA_KIND_PRIVACY, key, NULL) : NULL;
    if (!key)
        return !r->cond;
    if (!xp_elem_first_element(c)) { /* an empty list removes it (§2.6) */
        if (!e)
            return fk_fail(r, "item-not-found", NULL);
        if (list_in_use(r->self, name))
            return fk_fail(r, "conflict", "the list is in use");
        fk_remove(r->self, XPORTA_KIND_PRIVACY, e);
        return !r->cond;
    }
    for (const xp_elem *it = xp_elem_first_element(c); it;
         it = xp_elem_next_element(it))
        if (!privacy_item_ok(it))
            return fk_fail(r, "bad-request", "malformed privacy item");
    if (!fk_store(r->self, XPORTA_KIND_PRIVACY, key, NULL, c))
        fk_fail(r, "internal-server-error", "out of memory");
    return !r->cond;
}

static bool blocklist_get(struct fk_req *r)
{
    xp_elem *b = fk_add(r, r->res, XP_NS_BLOCKING, "blocklist");
    for (size_t i = 0; b && i < r->self->data[XPORTA_KIND_BLOCKLIST].n; i++)
        fk_append(r, b,
                  fk_load(r->a, &r->self->data[XPORTA_KIND_BLOCKLIST].v[i]));
    return !r->cond;
}

static bool block_change(struct fk_req *r, bool block)
{
    struct fk_list *l = &r->self->data[XPORTA_KIND_BLOCKLIST];
    const xp_elem *first = xp_elem_first_element(r->q);
    for (const xp_elem *it = first; it; it = xp_elem_next_element(it)) {
        const char *jid = fk_attr_set(it, "jid");
        if (!xp_elem_is(it, XP_NS_BLOCKING, "item") || !jid ||
            !xporta_jid_is_valid(jid, NULL))
            return fk_fail(r, "jid-malformed", NULL);
    }
    if (!first && block)
        return fk_fail(r, "bad-request", "nothing to block");
    if (!first) { /* unblock everyone */
        while (l->n)
            fk_remove(r->self, XPORTA_KIND_BLOCKLIST, &l->v[l->n - 1]);
        return !r->cond;
    }
    for (const xp_elem *it = first; it; it = xp_elem_next_element(it)) {
        const char *jid = fk_attr(it, "jid");
        struct fk_entry *e = fk_find(r->self, XPORTA_KIND_BLOCKLIST, jid, 0);
        xp_elem *item = block ? xp_elem_new(r->a, XP_NS_BLOCKING, "item") : 0;
        if (!block && e)
            fk_remove(r->self, XPORTA_KIND_BLOCKLIST, e);
        else if (block && !e &&
                 (!item || !xp_elem_set_attr(r->a, item, "", "jid", jid) ||
                  !fk_store(r->self, XPORTA_KIND_BLOCKLIST, jid, NULL, item)))
            return fk_fail(r, "internal-server-error", "out of memory");
    }
    return !r->cond;
}

static bool block_set(struct fk_req *r)
{
    block_change(r, true);
    return !r->cond;
}

static bool unblock_set(struct fk_req *r)
{
    block_change(r, false);
    return !r->cond;
}

/* ---- discovery and ping ----------------------------------------------------
 */

static bool is_pubsub_feature(const char *f)
{
    return strncmp(f, XP_NS_PUBSUB, strlen(XP_NS_PUBSUB)) == 0 &&
           (f[strlen(XP_NS_PUBSUB)] == '\0' || f[strlen(XP_NS_PUBSUB)] == '#');
}

static bool disco_info(struct fk_req *r)
{
    if (fk_attr(r->q, "node"))
        return fk_fail(r, "item-not-found", NULL);
    xp_elem *q = fk_add(r, r->res, XP_NS_DISCO_INFO, "query");
    xp_elem *id = q ? fk_add(r, q, XP_NS_DISCO_INFO, "identity") : NULL;
    bool pep = fk_server_has(r->srv, XP_NS_PUBSUB);
    if (r->scope == S_DOMAIN) {
        fk_set(r, id, "category", "server");
        fk_set(r, id, "type", "im");
        fk_set(r, id, "name", "Prosody");
    } else {
        fk_set(r, id, "category", "account");
        fk_set(r, id, "type", "registered");
        if (pep) {
            xp_elem *p = fk_add(r, q, XP_NS_DISCO_INFO, "identity");
            fk_set(r, p, "category", "pubsub");
            fk_set(r, p, "type", "pep");
        }
    }
    for (size_t i = 0; q && i < r->srv->nfeatures; i++) {
        const char *f = r->srv->features[i];
        bool account = strcmp(f, XP_NS_DISCO_INFO) == 0 ||
                       strcmp(f, XP_NS_DISCO_ITEMS) == 0 ||
                       strcmp(f, XP_NS_MAM) == 0 || is_pubsub_feature(f);
        if (f[0] == '{' || (r->scope != S_DOMAIN && !account))
            continue;
        fk_set(r, fk_add(r, q, XP_NS_DISCO_INFO, "feature"), "var", f);
    }
    return !r->cond;
}

static bool disco_items(struct fk_req *r)
{
    if (fk_attr(r->q, "node")) /* XEP-0013's offline node: not on Prosody */
        return fk_fail(r, "item-not-found", NULL);
    xp_elem *q = fk_add(r, r->res, XP_NS_DISCO_ITEMS, "query");
    if (r->scope == S_DOMAIN || !fk_server_has(r->srv, XP_NS_PUBSUB))
        return !r->cond;
    const struct fk_list *l = &r->acct->data[XPORTA_KIND_PEP_NODE];
    for (size_t i = 0; q && i < l->n; i++) {
        xp_elem *it = fk_add(r, q, XP_NS_DISCO_ITEMS, "item");
        fk_set(r, it, "jid", r->acct->bare);
        fk_set(r, it, "node", l->v[i].key);
    }
    return !r->cond;
}

static bool ping(struct fk_req *r)
{
    (void)r;
    return !r->cond;
}

/* ---- IQ routing ------------------------------------------------------------
 */

static const struct route {
    const char *ns, *name, *child, *type;
    const char *what;    /* for faults and counters */
    const char *feature; /* the server must offer it, or NULL */
    unsigned scope;
    bool (*fn)(struct fk_req *r);
} routes[] = {
    {XP_NS_ROSTER, "query", NULL, "get", "roster get", XP_NS_ROSTER, S_SELF,
     roster_get},
    {XP_NS_ROSTER, "query", NULL, "set", "roster set", XP_NS_ROSTER, S_SELF,
     roster_set},
    {XP_NS_VCARD, "vCard", NULL, "get", "vcard get", XP_NS_VCARD,
     S_SELF | S_ACCOUNT, vcard_get},
    {XP_NS_VCARD, "vCard", NULL, "set", "vcard set", XP_NS_VCARD, S_SELF,
     vcard_set},
    {XP_NS_PRIVATE, "query", NULL, "get", "private get", XP_NS_PRIVATE, S_SELF,
     private_get},
    {XP_NS_PRIVATE, "query", NULL, "set", "private set", XP_NS_PRIVATE, S_SELF,
     private_set},
    {XP_NS_PRIVACY, "query", NULL, "get", "privacy get", XP_NS_PRIVACY, S_SELF,
     privacy_get},
    {XP_NS_PRIVACY, "query", NULL, "set", "privacy set", XP_NS_PRIVACY, S_SELF,
     privacy_set},
    {XP_NS_BLOCKING, "blocklist", NULL, "get", "blocklist get", XP_NS_BLOCKING,
     S_SELF, blocklist_get},
    {XP_NS_BLOCKING, "block", NULL, "set", "block set", XP_NS_BLOCKING, S_SELF,
     block_set},
    {XP_NS_BLOCKING, "unblock", NULL, "set", "unblock set", XP_NS_BLOCKING,
     S_SELF, unblock_set},
    {XP_NS_DISCO_INFO, "query", NULL, "get", "disco#info get", NULL,
     S_SELF | S_ACCOUNT | S_DOMAIN, disco_info},
    {XP_NS_DISCO_ITEMS, "query", NULL, "get", "disco#items get", NULL,
     S_SELF | S_ACCOUNT | S_DOMAIN, disco_items},
    {NS_PING, "ping", NULL, "get", "ping get", NS_PING,
     S_SELF | S_ACCOUNT | S_DOMAIN, ping},
    {XP_NS_PUBSUB, "pubsub", "items", "get", "pep items get", XP_NS_PUBSUB,
     S_SELF | S_ACCOUNT, fk_pep_items},
    {XP_NS_PUBSUB, "pubsub", "publish", "set", "pep publish set", XP_NS_PUBSUB,
     S_SELF, fk_pep_publish},
    {XP_NS_PUBSUB, "pubsub", "create", "set", "pep create set", XP_NS_PUBSUB,
     S_SELF, fk_pep_create},
    {XP_NS_PUBSUB, "pubsub", "retract", "set", "pep retract set", XP_NS_PUBSUB,
     S_SELF, fk_pep_retract},
    {XP_NS_PUBSUB_OWNER, "pubsub", "configure", "get", "pep configure get",
     XP_NS_PUBSUB, S_SELF, fk_pep_configure_get},
    {XP_NS_PUBSUB_OWNER, "pubsub", "configure", "set", "pep configure set",
     XP_NS_PUBSUB, S_SELF, fk_pep_configure_set},
    {XP_NS_PUBSUB_OWNER, "pubsub", "affiliations", "get",
     "pep affiliations get", XP_NS_PUBSUB, S_SELF, fk_pep_affiliations_get},
    {XP_NS_PUBSUB_OWNER, "pubsub", "affiliations", "set",
     "pep affiliations set", XP_NS_PUBSUB, S_SELF, fk_pep_affiliations_set},
    {XP_NS_PUBSUB_OWNER, "pubsub", "delete", "set", "pep delete set",
     XP_NS_PUBSUB, S_SELF, fk_pep_delete},
    {XP_NS_MAM, "prefs", NULL, "get", "mam prefs get", XP_NS_MAM, S_SELF,
     fk_mam_prefs_get},
    {XP_NS_MAM, "prefs", NULL, "set", "mam prefs set", XP_NS_MAM, S_SELF,
     fk_mam_prefs_set},
    {XP_NS_MAM, "query", NULL, "set", "mam query set", XP_NS_MAM, S_SELF,
     fk_mam_query},
};

static const struct route *route_find(const xp_elem *q, const char *type)
{
    const xp_elem *first = xp_elem_first_element(q);
    for (size_t i = 0; q && i < sizeof routes / sizeof routes[0]; i++) {
        const struct route *rt = &routes[i];
        if (strcmp(q->ns, rt->ns) == 0 && strcmp(q->name, rt->name) == 0 &&
            strcmp(type, rt->type) == 0 &&
            (!rt->child || xp_elem_is(first, rt->ns, rt->child)))
            return rt;
    }
    return NULL;
}

/* Who the request is for (RFC 6120 §10.3); false with r->cond set when it
 * cannot be delivered. */
static bool address(struct fk_req *r, const char *to)
{
    struct xp_jid_parts p;
    r->acct = r->self;
    r->srv = r->self->srv;
    r->scope = S_SELF;
    if (!to)
        return true;
    if (!xp_jid_split(to, &p)) {
        fk_fail(r, "jid-malformed", NULL);
        return false;
    }
    r->srv = fk_server_find(p.domain, p.domain_len);
    if (!r->srv) {
        fk_fail(r, "remote-server-not-found", NULL);
        return false;
    }
    if (!p.local) {
        r->scope = S_DOMAIN;
        if (p.resource)
            fk_fail(r, "service-unavailable", NULL);
        return !p.resource;
    }
    r->acct = fk_account_find(to);
    /* IQs to another resource are not routed between clients here. */
    if (!r->acct || (p.resource && !xp_jid_eq(to, r->c->full))) {
        fk_fail(r, "service-unavailable", NULL);
        return false;
    }
    r->scope = r->acct == r->self ? S_SELF : S_ACCOUNT;
    return true;
}

static void handle_iq(struct fk_conn *c, struct xp_arena *a, const xp_elem *iq)
{
    struct fk_account *self = c->acct;
    const char *type = fk_attr(iq, "type"), *id = fk_attr(iq, "id");
    const char *to = fk_attr(iq, "to");
    /* Results and errors are the client's answers to pushes. */
    if (!xp_streq(type, "get") && !xp_streq(type, "set"))
        return;
    const xp_elem *q = xp_elem_first_element(iq);
    const struct route *rt = route_find(q, type);
    const char *what = rt ? rt->what : "unknown";
    if (self->disconnect_after == 0) {
        self->disconnect_after = -1;
        fk_conn_drop(c, NULL,
                     "the fake server dropped the connection "
                     "(fake_disconnect_after)");
        return;
    }
    if (self->disconnect_after > 0)
        self->disconnect_after--;
    const struct fk_fault *f = fk_fault_take(self, what);
    if (f && strcmp(f->condition, "disconnect") == 0) {
        fk_conn_drop(c, NULL, "the fake server dropped the connection");
        return;
    }
    fk_count_request(self, what);
    if ((f && strcmp(f->condition, "no-answer") == 0) || !id)
        return;

    struct fk_req r;
    memset(&r, 0, sizeof r);
    r.c = c;
    r.self = self;
    r.q = q;
    r.a = a;
    r.res = xp_elem_new(a, XP_NS_CLIENT, "iq");
    if (!r.res || !xp_elem_set_attr(a, r.res, "", "type", "result") ||
        !xp_elem_set_attr(a, r.res, "", "id", id) ||
        !xp_elem_set_attr(a, r.res, "", "to", c->full) ||
        (to && !xp_elem_set_attr(a, r.res, "", "from", to))) {
        fk_conn_drop(c, "internal-server-error", "out of memory");
        return;
    }
    if (!address(&r, to)) {
        /* r.cond says why */
    } else if (f && strcmp(f->condition, "lost") == 0) {
        /* Says yes and keeps nothing: what verify is there for. */
    } else if (f) {
        fk_fail(&r, f->condition, f->text);
    } else if (!rt || !(rt->scope & r.scope) ||
               (rt->feature && !fk_server_has(r.srv, rt->feature))) {
        fk_fail(&r, "service-unavailable", NULL);
    } else {
        rt->fn(&r);
    }
    if (r.cond) {
        xp_elem *e = xp_elem_new(a, XP_NS_CLIENT, "iq");
        if (!e || !xp_elem_set_attr(a, e, "", "type", "error") ||
            !xp_elem_set_attr(a, e, "", "id", id) ||
            !xp_elem_set_attr(a, e, "", "to", c->full) ||
            (to && !xp_elem_set_attr(a, e, "", "from", to)) ||
            !add_error(a, e, r.cond, r.text, r.app))
            return;
        r.res = e;
    }
    fk_conn_deliver(c, r.res);
}

void fk_handle(struct fk_conn *c, const char *xml)
{
    struct xp_arena a;
    if (!c->acct)
        return;
    xp_arena_init(&a, 0);
    xp_elem *st = fk_parse(&a, xml, XP_NS_CLIENT);
    if (!st) /* what a session wrote is well-formed: out of memory */
        fk_conn_drop(c, "internal-server-error", "cannot read a stanza");
    else if (strcmp(st->ns, XP_NS_CLIENT) == 0) {
        if (strcmp(st->name, "iq") == 0)
            handle_iq(c, &a, st);
        else if (strcmp(st->name, "presence") == 0)
            handle_presence(c, &a, st);
        else if (strcmp(st->name, "message") == 0)
            handle_message(c, &a, st);
    }
    xp_arena_cleanup(&a);
}
