/*
 * Reading a live account: the requests and the small kinds, shared by the
 * export (which adds the archive) and by import (which reads the target
 * before it plans, and again to verify).
 *
 * Requests go out through live_call() and are waited for with live_wait();
 * a struct call stays valid until the session closes, so a wait abandoned
 * by a cancel never leaves a callback writing into freed memory.  Records
 * go to the sink the caller set, in the order they appear in a XEP-0227
 * file: roster, pending, vcard, private, privacy, blocklist, pep, mam-prefs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../xmpp/xmpp_kinds.h"
#include "jobs_p.h"

enum {
    PEP_PAGE = 100, /* RSM page for large PEP nodes */
    BATCH = 32,     /* small requests in flight at once */
    PENDING_WINDOW_MS = 15000,
};

bool live_cancelled(struct live *e)
{
    return e->j->cancel != 0;
}

uint64_t live_node_key(const char *node)
{
    return xp_key_hash("\x01node", node);
}

bool live_want(struct live *e, xporta_kind k)
{
    return (e->kinds & (1u << k)) != 0;
}

/* ---- requests ------------------------------------------------------------ */

static void call_done(struct xp_session *s, const struct xp_iq_reply *r,
                      void *ud)
{
    struct call *c = ud;
    (void)s;
    c->done = true;
    c->status = r->status;
    if (r->iq)
        c->iq = xp_elem_clone(&c->e->arena, r->iq);
    if (r->condition)
        c->cond = xp_arena_strdup(&c->e->arena, r->condition);
    if (r->text)
        c->text = xp_arena_strdup(&c->e->arena, r->text);
    if (r->iq && !c->iq)
        c->status = XPORTA_ENOMEM;
}

struct call *live_call(struct live *e, const char *type, const char *to,
                       const xp_elem *payload, unsigned timeout)
{
    struct call *c = xp_arena_alloc(&e->calls, sizeof *c);
    if (!c) {
        xp_fail(&e->j->err, XPORTA_ENOMEM, "out of memory");
        return NULL;
    }
    memset(c, 0, sizeof *c);
    c->e = e;
    xporta_status st =
        xp_session_iq(e->s, type, to, payload, timeout, call_done, c);
    if (st != XPORTA_OK) {
        c->done = true;
        c->status = st;
    }
    return c;
}

/* Runs the loop until every call is done.  Cancel and a lost connection
 * end the wait (the calls complete later, at close). */
xporta_status live_wait(struct live *e, struct call **c, size_t n)
{
    for (;;) {
        bool all = true;
        for (size_t i = 0; i < n; i++)
            if (c[i] && !c[i]->done)
                all = false;
        if (all)
            return XPORTA_OK;
        if (live_cancelled(e))
            return xp_fail(&e->j->err, XPORTA_ECANCELED,
                           "interrupted; run the same command again to "
                           "resume");
        xporta_status st = xp_session_run(e->s, 100);
        if (st == XPORTA_EDISCONNECTED)
            return xp_fail(&e->j->err, st,
                           "connection lost: %s; run the same command again "
                           "to resume",
                           xp_session_error(e->s));
    }
}

xporta_status live_wait1(struct live *e, struct call *c)
{
    return c ? live_wait(e, &c, 1) : e->j->err.status;
}

/* An error stanza that means "this server does not do that". */
bool live_not_offered(const struct call *c)
{
    return c->status == XPORTA_ESTANZA &&
           (xp_streq(c->cond, "feature-not-implemented") ||
            xp_streq(c->cond, "service-unavailable"));
}

/* Fatal for the job: the connection is unusable. */
bool live_fatal(const struct call *c)
{
    return c->status == XPORTA_ETIMEOUT || c->status == XPORTA_EDISCONNECTED ||
           c->status == XPORTA_ENOMEM || c->status == XPORTA_ECANCELED;
}

xporta_status live_fatal_error(struct live *e, const struct call *c,
                               const char *what)
{
    if (c->status == XPORTA_ETIMEOUT)
        return xp_fail(&e->j->err, XPORTA_ETIMEOUT,
                       "%s: no answer from the server; run the same command "
                       "again to resume",
                       what);
    if (c->status == XPORTA_EDISCONNECTED)
        return xp_fail(&e->j->err, XPORTA_EDISCONNECTED,
                       "%s: connection lost (%s); run the same command again "
                       "to resume",
                       what, xp_session_error(e->s));
    return xp_fail(&e->j->err, c->status, "%s: %s", what,
                   xporta_strerror(c->status));
}

void live_kind_failed(struct live *e, xporta_kind k, const struct call *c)
{
    job_set_state(e->j, k, XPORTA_STATE_FAILED);
    job_note(e->j, k, "the server refused: %s%s%s", c->cond ? c->cond : "error",
             c->text ? ": " : "", c->text ? c->text : "");
    e->failed_kind = true;
}

void live_kind_unavailable(struct live *e, xporta_kind k, const char *why)
{
    job_set_state(e->j, k, XPORTA_STATE_UNAVAILABLE);
    if (why)
        job_note(e->j, k, "not available on this server (%s)", why);
    else
        job_note(e->j, k, "not available on this server");
}

/* ---- records --------------------------------------------------------------
 */

void live_put(void *ud, xporta_record *rec)
{
    struct live *e = ud;
    if (e->j->err.status != XPORTA_OK)
        return;
    if (e->sink(e->sink_ud, rec) != XPORTA_OK)
        return;
    e->j->kind[rec->kind].count++;
}

void live_phase(struct live *e, xporta_kind k)
{
    job_progress(e->j, xporta_kind_name(k), k, 0, 0, -1, 0, NULL, true);
}

void live_phase_done(struct live *e, xporta_kind k)
{
    if (e->j->kind[k].state == XPORTA_STATE_NOT_ASKED)
        job_set_state(e->j, k, XPORTA_STATE_DONE);
    job_progress(e->j, xporta_kind_name(k), k, e->j->kind[k].count,
                 e->j->kind[k].count, 1, 0, e->j->kind[k].note, true);
}

/* One request, one reply decoded into records. */
xporta_status live_fetch_simple(struct live *e, xporta_kind k,
                                const xp_elem *query, live_decode_fn decode,
                                bool not_found_is_empty)
{
    if (!live_want(e, k))
        return XPORTA_OK;
    live_phase(e, k);
    struct call *c = live_call(e, "get", NULL, query, 0);
    xporta_status st = live_wait1(e, c);
    if (st != XPORTA_OK)
        return st;
    if (live_fatal(c))
        return live_fatal_error(e, c, xporta_kind_name(k));
    if (live_not_offered(c)) {
        live_kind_unavailable(e, k, c->cond);
    } else if (c->status == XPORTA_ESTANZA) {
        if (not_found_is_empty && xp_streq(c->cond, "item-not-found"))
            job_set_state(e->j, k, XPORTA_STATE_DONE);
        else
            live_kind_failed(e, k, c);
    } else if (decode(&e->arena, c->iq, live_put, e) != XPORTA_OK) {
        job_set_state(e->j, k, XPORTA_STATE_FAILED);
        job_note(e->j, k, "the server's answer could not be read");
        e->failed_kind = true;
    }
    live_phase_done(e, k);
    xp_arena_reset(&e->arena);
    return e->j->err.status;
}

/* ---- discovery --------------------------------------------------------------
 */

static xporta_status discover(struct live *e)
{
    job_progress(e->j, "discover", XPORTA_KIND_COUNT, 0, 0, -1, 0, NULL, true);
    struct call *c[2];
    c[0] =
        live_call(e, "get", e->bare, xp_disco_info_query(&e->arena, NULL), 0);
    c[1] =
        live_call(e, "get", e->domain, xp_disco_info_query(&e->arena, NULL), 0);
    xporta_status st = live_wait(e, c, 2);
    if (st != XPORTA_OK)
        return st;
    for (int i = 0; i < 2; i++)
        if (live_fatal(c[i]))
            return live_fatal_error(e, c[i], "service discovery");
    /* MAM is a feature of the account (XEP-0313 §7); some servers also
     * list it on the domain. */
    e->f_mam = (c[0]->iq && xp_disco_has_feature(c[0]->iq, XP_NS_MAM)) ||
               (c[1]->iq && xp_disco_has_feature(c[1]->iq, XP_NS_MAM));
    /* XEP-0398: the server keeps vCard-temp and the PEP vCard4/avatar
     * nodes as one (Prosody's mod_vcard_legacy). */
    for (int i = 0; i < 2; i++)
        if (c[i]->iq &&
            xp_disco_has_feature(c[i]->iq, "urn:xmpp:pep-vcard-conversion:0"))
            e->f_vcard_conversion = true;
    xp_arena_reset(&e->arena);
    return XPORTA_OK;
}

/* ---- pending subscription requests -------------------------------------- */

static void on_stanza(struct xp_session *s, const xp_elem *stanza, void *ud);

static xporta_status fetch_pending(struct live *e)
{
    if (!live_want(e, XPORTA_KIND_PENDING))
        return XPORTA_OK;
    live_phase(e, XPORTA_KIND_PENDING);
    /* The server replays pending requests when the account sends initial
     * presence (RFC 6121 §3.1.3), and would deliver (and so remove) stored
     * offline messages to a priority >= 0 resource.  Prosody replays at
     * priority -1 too; ejabberd only at >= 0 — but once a session has
     * asked for the XEP-0013 offline node, ejabberd leaves offline
     * messages where they are.  So: ask; where that works, priority 0,
     * elsewhere -1. */
    xp_elem *probe = xp_disco_items_query(&e->arena, XP_NS_OFFLINE);
    struct call *oc = live_call(e, "get", e->bare, probe, 0);
    xporta_status st = live_wait1(e, oc);
    if (st != XPORTA_OK)
        return st;
    if (live_fatal(oc))
        return live_fatal_error(e, oc, "pending");
    const char *priority = oc->status == XPORTA_OK ? "0" : "-1";
    xp_elem *p = xp_elem_new(&e->arena, XP_NS_CLIENT, "presence");
    if (!p ||
        !xp_elem_add_text_child(&e->arena, p, XP_NS_CLIENT, "priority",
                                priority) ||
        !xp_elem_add_text_child(&e->arena, p, XP_NS_CLIENT, "status",
                                e->presence_status ? e->presence_status
                                                   : "xporta export"))
        return xp_fail(&e->j->err, XPORTA_ENOMEM, "out of memory");
    e->collecting = true;
    st = xp_session_send(e->s, p);
    if (st != XPORTA_OK)
        return xp_fail(&e->j->err, st, "pending: cannot send presence");
    /* A ping behind the presence: once it is answered the server has
     * handled the presence, replay included. */
    xp_elem *ping = xp_elem_new(&e->arena, "urn:xmpp:ping", "ping");
    struct call *c = live_call(e, "get", e->domain, ping, PENDING_WINDOW_MS);
    st = live_wait1(e, c);
    e->collecting = false;
    if (st != XPORTA_OK)
        return st;
    if (live_fatal(c))
        return live_fatal_error(e, c, "pending");
    for (size_t i = 0; i < e->npending; i++) {
        xporta_record rec;
        memset(&rec, 0, sizeof rec);
        rec.kind = XPORTA_KIND_PENDING;
        rec.payload = e->pending[i];
        xp_record_derive_key(&e->arena, &rec);
        live_put(e, &rec);
    }
    e->npending = 0;
    free(e->pending);
    e->pending = NULL;
    xp_elem *off = xp_elem_new(&e->arena, XP_NS_CLIENT, "presence");
    if (off && xp_elem_set_attr(&e->arena, off, "", "type", "unavailable"))
        xp_session_send(e->s, off);
    live_phase_done(e, XPORTA_KIND_PENDING);
    xp_arena_reset(&e->arena);
    return e->j->err.status;
}

/* ---- private XML ------------------------------------------------------------
 */

static xporta_status fetch_private(struct live *e)
{
    if (!live_want(e, XPORTA_KIND_PRIVATE))
        return XPORTA_OK;
    live_phase(e, XPORTA_KIND_PRIVATE);
    size_t nknown = 0;
    while (xp_private_known[nknown][0])
        nknown++;
    size_t n = nknown + e->j->nprivate;
    struct call **c = calloc(n ? n : 1, sizeof *c);
    if (!c)
        return xp_fail(&e->j->err, XPORTA_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const char *ns, *name;
        if (i < nknown) {
            ns = xp_private_known[i][0];
            name = xp_private_known[i][1];
        } else {
            /* "{ns}name" */
            const char *key = e->j->private_ns[i - nknown];
            const char *close = strchr(key, '}');
            ns =
                xp_arena_strndup(&e->arena, key + 1, (size_t)(close - key - 1));
            name = close + 1;
        }
        xp_elem *q = ns ? xp_private_query(&e->arena, ns, name) : NULL;
        c[i] = q ? live_call(e, "get", NULL, q, 0) : NULL;
        if (!q)
            xp_fail(&e->j->err, XPORTA_ENOMEM, "out of memory");
        if (!c[i]) {
            free(c);
            return e->j->err.status;
        }
    }
    xporta_status st = live_wait(e, c, n);
    size_t offered = 0;
    for (size_t i = 0; st == XPORTA_OK && i < n; i++) {
        if (live_fatal(c[i])) {
            st = live_fatal_error(e, c[i], "private XML");
            break;
        }
        if (live_not_offered(c[i]))
            continue;
        offered++;
        if (c[i]->status == XPORTA_OK)
            xp_private_decode(&e->arena, c[i]->iq, live_put, e);
        /* item-not-found, not-acceptable: nothing stored there. */
    }
    free(c);
    if (st != XPORTA_OK)
        return st;
    if (n && !offered)
        live_kind_unavailable(e, XPORTA_KIND_PRIVATE, "no private XML storage");
    live_phase_done(e, XPORTA_KIND_PRIVATE);
    xp_arena_reset(&e->arena);
    return e->j->err.status;
}

/* ---- privacy lists ---------------------------------------------------------
 */

struct names {
    char **v;
    size_t n;
};

static void add_name(void *ud, const char *name)
{
    struct names *ns = ud;
    char **v = realloc(ns->v, (ns->n + 1) * sizeof *v);
    if (!v)
        return;
    ns->v = v;
    ns->v[ns->n] = xp_strdup(name);
    if (ns->v[ns->n])
        ns->n++;
}

static void free_names(struct names *ns)
{
    for (size_t i = 0; i < ns->n; i++)
        free(ns->v[i]);
    free(ns->v);
    ns->v = NULL;
    ns->n = 0;
}

static xporta_status fetch_privacy(struct live *e)
{
    if (!live_want(e, XPORTA_KIND_PRIVACY))
        return XPORTA_OK;
    live_phase(e, XPORTA_KIND_PRIVACY);
    struct call *c =
        live_call(e, "get", NULL, xp_privacy_names_query(&e->arena), 0);
    xporta_status st = live_wait1(e, c);
    if (st != XPORTA_OK)
        return st;
    if (live_fatal(c))
        return live_fatal_error(e, c, "privacy lists");
    if (live_not_offered(c)) {
        live_kind_unavailable(e, XPORTA_KIND_PRIVACY, c->cond);
    } else if (c->status == XPORTA_ESTANZA) {
        if (!xp_streq(c->cond, "item-not-found"))
            live_kind_failed(e, XPORTA_KIND_PRIVACY, c);
    } else {
        struct names names = {0};
        xp_privacy_names_decode(&e->arena, c->iq, live_put, add_name, &names);
        for (size_t i = 0; st == XPORTA_OK && i < names.n; i++) {
            struct call *l =
                live_call(e, "get", NULL,
                          xp_privacy_list_query(&e->arena, names.v[i]), 0);
            st = live_wait1(e, l);
            if (st != XPORTA_OK)
                break;
            if (live_fatal(l)) {
                st = live_fatal_error(e, l, "privacy lists");
                break;
            }
            if (l->status == XPORTA_OK)
                xp_privacy_list_decode(&e->arena, l->iq, live_put, e);
            else
                live_kind_failed(e, XPORTA_KIND_PRIVACY, l);
        }
        free_names(&names);
        if (st != XPORTA_OK)
            return st;
    }
    live_phase_done(e, XPORTA_KIND_PRIVACY);
    xp_arena_reset(&e->arena);
    return e->j->err.status;
}

/* ---- PEP ---------------------------------------------------------------- */

static bool any_pep(struct live *e)
{
    return live_want(e, XPORTA_KIND_PEP_NODE) ||
           live_want(e, XPORTA_KIND_PEP_AFFILIATIONS) ||
           live_want(e, XPORTA_KIND_PEP_ITEM);
}

static xporta_status fetch_pep(struct live *e)
{
    if (!any_pep(e))
        return XPORTA_OK;
    live_phase(e, XPORTA_KIND_PEP_NODE);
    struct call *c =
        live_call(e, "get", e->bare, xp_disco_items_query(&e->arena, NULL), 0);
    xporta_status st = live_wait1(e, c);
    if (st != XPORTA_OK)
        return st;
    if (live_fatal(c))
        return live_fatal_error(e, c, "PEP");
    if (c->status != XPORTA_OK) {
        const xporta_kind ks[] = {XPORTA_KIND_PEP_NODE,
                                  XPORTA_KIND_PEP_AFFILIATIONS,
                                  XPORTA_KIND_PEP_ITEM};
        for (size_t i = 0; i < 3; i++) {
            if (!live_want(e, ks[i]))
                continue;
            if (live_not_offered(c))
                live_kind_unavailable(e, ks[i], c->cond);
            else
                live_kind_failed(e, ks[i], c);
        }
        xp_arena_reset(&e->arena);
        return XPORTA_OK;
    }
    struct names nodes = {0};
    xp_disco_pep_nodes(c->iq, e->bare, add_name, &nodes);
    xp_arena_reset(&e->arena);

    /* Configurations and affiliations of every node first: they share one
     * pubsub#owner element in the file. */
    for (size_t base = 0; base < nodes.n && st == XPORTA_OK; base += BATCH) {
        size_t n = nodes.n - base < BATCH ? nodes.n - base : BATCH;
        struct call *cc[BATCH], *ca[BATCH];
        for (size_t i = 0; i < n; i++) {
            const char *node = nodes.v[base + i];
            cc[i] = live_want(e, XPORTA_KIND_PEP_NODE)
                        ? live_call(e, "get", NULL,
                                    xp_pep_configure_query(&e->arena, node), 0)
                        : NULL;
            ca[i] =
                live_want(e, XPORTA_KIND_PEP_AFFILIATIONS)
                    ? live_call(e, "get", NULL,
                                xp_pep_affiliations_query(&e->arena, node), 0)
                    : NULL;
        }
        st = live_wait(e, cc, n);
        if (st == XPORTA_OK)
            st = live_wait(e, ca, n);
        for (size_t i = 0; st == XPORTA_OK && i < n; i++) {
            const char *node = nodes.v[base + i];
            struct call *pair[2] = {cc[i], ca[i]};
            for (int k = 0; k < 2 && st == XPORTA_OK; k++) {
                struct call *x = pair[k];
                xporta_kind kind = k == 0 ? XPORTA_KIND_PEP_NODE
                                          : XPORTA_KIND_PEP_AFFILIATIONS;
                if (!x)
                    continue;
                if (live_fatal(x)) {
                    st = live_fatal_error(e, x, "PEP");
                } else if (x->status == XPORTA_OK) {
                    if (k == 0)
                        xp_pep_configure_decode(&e->arena, x->iq, node,
                                                live_put, e);
                    else
                        xp_pep_affiliations_decode(&e->arena, x->iq, node,
                                                   live_put, e);
                } else if (!live_not_offered(x)) {
                    /* One node we may not read (e.g. forbidden) does not
                     * stop the others; it is reported. */
                    job_note(e->j, kind, "node %s: %s", node,
                             x->cond ? x->cond : "error");
                    xp_set_add(&e->bad_nodes, live_node_key(node));
                }
            }
        }
        xp_arena_reset(&e->arena);
    }
    if (st == XPORTA_OK) {
        live_phase_done(e, XPORTA_KIND_PEP_NODE);
        if (live_want(e, XPORTA_KIND_PEP_AFFILIATIONS))
            job_set_state(e->j, XPORTA_KIND_PEP_AFFILIATIONS,
                          e->j->kind[XPORTA_KIND_PEP_AFFILIATIONS].state
                              ? e->j->kind[XPORTA_KIND_PEP_AFFILIATIONS].state
                              : XPORTA_STATE_DONE);
    }

    /* Items, node by node (the file groups them per node), paged. */
    if (live_want(e, XPORTA_KIND_PEP_ITEM))
        live_phase(e, XPORTA_KIND_PEP_ITEM);
    for (size_t i = 0;
         st == XPORTA_OK && live_want(e, XPORTA_KIND_PEP_ITEM) && i < nodes.n;
         i++) {
        char *after = NULL;
        unsigned pages = 0;
        for (;;) {
            struct call *x =
                live_call(e, "get", NULL,
                          xp_pep_items_query(&e->arena, nodes.v[i],
                                             after ? PEP_PAGE : 0, after),
                          0);
            st = live_wait1(e, x);
            if (st != XPORTA_OK)
                break;
            if (live_fatal(x)) {
                st = live_fatal_error(e, x, "PEP items");
                break;
            }
            if (x->status != XPORTA_OK) {
                if (!xp_streq(x->cond, "item-not-found")) {
                    job_note(e->j, XPORTA_KIND_PEP_ITEM, "node %s: %s",
                             nodes.v[i], x->cond ? x->cond : "error");
                    xp_set_add(&e->bad_nodes, live_node_key(nodes.v[i]));
                }
                break;
            }
            const char *last = NULL;
            bool complete = true;
            xp_pep_items_decode(&e->arena, x->iq, nodes.v[i], live_put, e,
                                &last, &complete);
            /* A server that ignores <after/> would send the same page
             * forever: a repeated <last/> ends the node. */
            bool repeated = after && last && strcmp(after, last) == 0;
            free(after);
            after = !complete && last && !repeated ? xp_strdup(last) : NULL;
            xp_arena_reset(&e->arena);
            if (!after || ++pages > 100000)
                break;
        }
        free(after);
        job_progress(e->j, "pep-item", XPORTA_KIND_PEP_ITEM,
                     e->j->kind[XPORTA_KIND_PEP_ITEM].count, 0,
                     (double)(i + 1) / (double)nodes.n, 0, NULL, false);
    }
    if (st == XPORTA_OK && live_want(e, XPORTA_KIND_PEP_ITEM))
        live_phase_done(e, XPORTA_KIND_PEP_ITEM);
    free_names(&nodes);
    return st != XPORTA_OK ? st : e->j->err.status;
}

static void on_stanza(struct xp_session *s, const xp_elem *stanza, void *ud)
{
    struct live *e = ud;
    (void)s;
    const char *from = xp_elem_attr_ns(stanza, "", "from");
    if (xp_elem_is(stanza, NULL, "presence")) {
        if (!e->collecting) {
            if (e->on_presence)
                e->on_presence(e->on_presence_ud, stanza);
            return;
        }
        if (!xp_streq(xp_elem_attr_ns(stanza, "", "type"), "subscribe"))
            return;
        xporta_record rec;
        if (!xp_pending_decode(&e->arena, stanza, &rec))
            return;
        for (size_t i = 0; i < e->npending; i++)
            if (xp_streq(xp_elem_attr_ns(e->pending[i], "", "from"),
                         xp_elem_attr_ns(rec.payload, "", "from")))
                return; /* the same request twice */
        xp_elem **v = realloc(e->pending, (e->npending + 1) * sizeof *v);
        if (!v)
            return;
        e->pending = v;
        e->pending[e->npending++] = rec.payload;
        return;
    }
    if (!xp_elem_is(stanza, NULL, "message"))
        return;
    /* Archive results come from the account itself (XEP-0313 §4); anyone
     * else sending such a message is trying to inject history. */
    if (from && !xp_streq(from, e->bare))
        return;
    if (e->on_message)
        e->on_message(e->on_message_ud, stanza);
}

static void live_not_reachable(struct live *e)
{
    /* What a client can never read: said plainly, not silently skipped. */
    if (live_want(e, XPORTA_KIND_CREDENTIALS)) {
        job_set_state(e->j, XPORTA_KIND_CREDENTIALS, XPORTA_STATE_UNAVAILABLE);
        job_note(e->j, XPORTA_KIND_CREDENTIALS,
                 "servers never show stored credentials to clients");
    }
    if (live_want(e, XPORTA_KIND_OFFLINE)) {
        job_set_state(e->j, XPORTA_KIND_OFFLINE, XPORTA_STATE_UNAVAILABLE);
        job_note(e->j, XPORTA_KIND_OFFLINE,
                 "left on the server for your client (archived messages "
                 "include them)");
    }
    if (live_want(e, XPORTA_KIND_PEP_SUBSCRIPTIONS)) {
        job_set_state(e->j, XPORTA_KIND_PEP_SUBSCRIPTIONS,
                      XPORTA_STATE_UNAVAILABLE);
        job_note(e->j, XPORTA_KIND_PEP_SUBSCRIPTIONS,
                 "PEP subscriptions follow presence and are not exported");
    }
}

xporta_status live_read_small(struct live *e)
{
    xporta_status st =
        live_fetch_simple(e, XPORTA_KIND_ROSTER, xp_roster_query(&e->arena),
                          xp_roster_decode, false);
    if (st == XPORTA_OK)
        st = fetch_pending(e);
    if (st == XPORTA_OK)
        st = live_fetch_simple(e, XPORTA_KIND_VCARD, xp_vcard_query(&e->arena),
                               xp_vcard_decode, true);
    if (st == XPORTA_OK)
        st = fetch_private(e);
    if (st == XPORTA_OK)
        st = fetch_privacy(e);
    if (st == XPORTA_OK)
        st = live_fetch_simple(e, XPORTA_KIND_BLOCKLIST,
                               xp_blocklist_query(&e->arena),
                               xp_blocklist_decode, false);
    if (st == XPORTA_OK)
        st = fetch_pep(e);
    if (st == XPORTA_OK && e->f_mam)
        st = live_fetch_simple(e, XPORTA_KIND_MAM_PREFS,
                               xp_mam_prefs_query(&e->arena),
                               xp_mam_prefs_decode, false);
    else if (st == XPORTA_OK && live_want(e, XPORTA_KIND_MAM_PREFS))
        live_kind_unavailable(e, XPORTA_KIND_MAM_PREFS, "no urn:xmpp:mam:2");
    live_not_reachable(e);
    return st;
}

xporta_status live_open(struct live *e, xporta_job *j,
                        const xporta_account *account, uint32_t kinds)
{
    memset(e, 0, sizeof *e);
    e->j = j;
    e->kinds = kinds;
    xp_arena_init(&e->arena, (size_t)XP_MAX_RECORD_BYTES * 4);
    xp_arena_init(&e->calls, 0);
    xp_set_init(&e->bad_nodes, 0);
    e->bare = xp_strdup(account->jid);
    if (!e->bare)
        return xp_fail(&j->err, XPORTA_ENOMEM, "out of memory");
    char *at = strchr(e->bare, '@');
    e->local = xp_strndup(e->bare, (size_t)(at - e->bare));
    e->domain = at + 1;
    if (!e->local)
        return xp_fail(&j->err, XPORTA_ENOMEM, "out of memory");
    job_progress(j, "connect", XPORTA_KIND_COUNT, 0, 0, -1, 0, account->jid,
                 true);
    xporta_status st = job_connect_account(j, account, &e->s);
    if (st != XPORTA_OK)
        return st;
    xp_session_on_stanza(e->s, on_stanza, e);
    return discover(e);
}

void live_close(struct live *e)
{
    if (e->s)
        xp_session_close(e->s);
    e->s = NULL;
    free(e->pending);
    free(e->bare);
    free(e->local);
    e->pending = NULL;
    e->bare = e->local = NULL;
    xp_arena_cleanup(&e->arena);
    xp_arena_cleanup(&e->calls);
    xp_set_cleanup(&e->bad_nodes);
}
