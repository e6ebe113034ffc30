/*
 * lib/store/store_live_read.c: reading a live account's small kinds, in
 * the order they appear in a XEP-0227 file: roster, pending, vcard,
 * private, privacy, blocklist, pep, mam-prefs.  Records go to the sink of
 * the struct live; per-kind states and notes to its run.  The archive is
 * the export's (lib/jobs/job_export.c): it is large, streamed and resumed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../xmpp/xmpp_kinds.h"
#include "store_live.h"

enum {
    PEP_PAGE = 100, /* RSM page for large PEP nodes */
    BATCH = 32,     /* small requests in flight at once */
    PENDING_WINDOW_MS = 15000,
};

/* ---- pending subscription requests -------------------------------------- */

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
        return xp_fail(&e->run->err, XPORTA_ENOMEM, "out of memory");
    e->collecting = true;
    st = xp_session_send(e->s, p);
    if (st != XPORTA_OK)
        return xp_fail(&e->run->err, st, "pending: cannot send presence");
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
    return e->run->err.status;
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
    /* The namespaces asked for besides the known ones ("{ns}name"; one
     * that is known already is asked for once). */
    size_t nextra = e->private_ns ? e->private_ns->n : 0;
    const char **extra = calloc(nextra ? nextra : 1, sizeof *extra);
    if (!extra)
        return xp_fail(&e->run->err, XPORTA_ENOMEM, "out of memory");
    size_t n = nknown;
    for (size_t i = 0; i < nextra; i++) {
        const char *key = e->private_ns->v[i];
        bool known = false;
        for (size_t k = 0; k < nknown && !known; k++) {
            size_t nl = strlen(xp_private_known[k][0]);
            known = key[0] == '{' &&
                    strncmp(key + 1, xp_private_known[k][0], nl) == 0 &&
                    key[nl + 1] == '}' &&
                    strcmp(key + nl + 2, xp_private_known[k][1]) == 0;
        }
        if (!known)
            extra[n++ - nknown] = key;
    }
    struct call **c = calloc(n ? n : 1, sizeof *c);
    if (!c) {
        free(extra);
        return xp_fail(&e->run->err, XPORTA_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        const char *ns, *name;
        if (i < nknown) {
            ns = xp_private_known[i][0];
            name = xp_private_known[i][1];
        } else {
            /* "{ns}name" */
            const char *key = extra[i - nknown];
            const char *close = strchr(key, '}');
            ns =
                xp_arena_strndup(&e->arena, key + 1, (size_t)(close - key - 1));
            name = close + 1;
        }
        xp_elem *q = ns ? xp_private_query(&e->arena, ns, name) : NULL;
        c[i] = q ? live_call(e, "get", NULL, q, 0) : NULL;
        if (!q)
            xp_fail(&e->run->err, XPORTA_ENOMEM, "out of memory");
        if (!c[i]) {
            free(c);
            free(extra);
            return e->run->err.status;
        }
    }
    free(extra);
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
    return e->run->err.status;
}

/* ---- privacy lists ---------------------------------------------------------
 */

struct names {
    char **v;
    size_t n;
    struct live *e; /* where the records go (one userdata for both) */
};

static void names_put(void *ud, xporta_record *rec)
{
    live_put(((struct names *)ud)->e, rec);
}

static void add_name(void *ud, const char *name)
{
    struct names *ns = ud;
    char **v = realloc(ns->v, (ns->n + 1) * sizeof *v);
    char *copy = v ? xp_strdup(name) : NULL;
    if (v)
        ns->v = v;
    if (!copy) {
        /* A list left out would be lost without a word. */
        xp_fail(&ns->e->run->err, XPORTA_ENOMEM, "out of memory");
        return;
    }
    ns->v[ns->n++] = copy;
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
        /* The decoder has one userdata for the records (the default and
         * active lists) and the list names: the names, which know e. */
        struct names names = {NULL, 0, e};
        if (xp_privacy_names_decode(&e->arena, c->iq, names_put, add_name,
                                    &names) != XPORTA_OK) {
            xp_run_set_state(e->run, XPORTA_KIND_PRIVACY, XPORTA_STATE_FAILED);
            xp_run_note(e->run, XPORTA_KIND_PRIVACY,
                        "the server's answer could not be read");
            e->failed_kind = true;
        }
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
    return e->run->err.status;
}

/* A node we could not read: a plan must not take it for empty. */
static void bad_node(struct live *e, const char *node)
{
    if (xp_set_add(&e->bad_nodes, live_node_key(node)) < 0)
        xp_fail(&e->run->err, XPORTA_ENOMEM, "out of memory");
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
    struct names nodes = {NULL, 0, e};
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
                    xp_run_note(e->run, kind, "node %s: %s", node,
                                x->cond ? x->cond : "error");
                    bad_node(e, node);
                }
            }
        }
        xp_arena_reset(&e->arena);
    }
    if (st == XPORTA_OK) {
        live_phase_done(e, XPORTA_KIND_PEP_NODE);
        if (live_want(e, XPORTA_KIND_PEP_AFFILIATIONS))
            xp_run_set_state(
                e->run, XPORTA_KIND_PEP_AFFILIATIONS,
                e->run->kind[XPORTA_KIND_PEP_AFFILIATIONS].state
                    ? e->run->kind[XPORTA_KIND_PEP_AFFILIATIONS].state
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
                    xp_run_note(e->run, XPORTA_KIND_PEP_ITEM, "node %s: %s",
                                nodes.v[i], x->cond ? x->cond : "error");
                    bad_node(e, nodes.v[i]);
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
        if (i + 1 < nodes.n) /* the last one: live_phase_done, once */
            xp_run_progress(e->run, "pep-item", XPORTA_KIND_PEP_ITEM,
                            e->run->kind[XPORTA_KIND_PEP_ITEM].count, 0,
                            (double)(i + 1) / (double)nodes.n, 0, NULL, false);
    }
    if (st == XPORTA_OK && live_want(e, XPORTA_KIND_PEP_ITEM))
        live_phase_done(e, XPORTA_KIND_PEP_ITEM);
    free_names(&nodes);
    return st != XPORTA_OK ? st : e->run->err.status;
}

static void live_not_reachable(struct live *e)
{
    /* What a client can never read: said plainly, not silently skipped. */
    if (live_want(e, XPORTA_KIND_CREDENTIALS)) {
        xp_run_set_state(e->run, XPORTA_KIND_CREDENTIALS,
                         XPORTA_STATE_UNAVAILABLE);
        xp_run_note(e->run, XPORTA_KIND_CREDENTIALS,
                    "servers never show stored credentials to clients");
    }
    if (live_want(e, XPORTA_KIND_OFFLINE)) {
        xp_run_set_state(e->run, XPORTA_KIND_OFFLINE, XPORTA_STATE_UNAVAILABLE);
        xp_run_note(e->run, XPORTA_KIND_OFFLINE,
                    "left on the server for your client (archived messages "
                    "include them)");
    }
    if (live_want(e, XPORTA_KIND_PEP_SUBSCRIPTIONS)) {
        xp_run_set_state(e->run, XPORTA_KIND_PEP_SUBSCRIPTIONS,
                         XPORTA_STATE_UNAVAILABLE);
        xp_run_note(e->run, XPORTA_KIND_PEP_SUBSCRIPTIONS,
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
