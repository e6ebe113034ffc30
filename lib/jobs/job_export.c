/*
 * The export job: a live account, over the client protocol, into a
 * XEP-0227 file.
 *
 * Design note.  Phases, in the order their records appear in the file:
 *
 *   connect -> discover (disco#info of the server and of the account)
 *   -> roster -> pending (initial presence, priority -1) -> vcard
 *   -> private (known namespaces probed) -> privacy -> blocklist
 *   -> pep (node configurations and affiliations, then items node by node)
 *   -> mam-prefs -> archive
 *
 * Everything but the archive is small: a few requests each, answered in
 * milliseconds.  The archive can hold millions of messages, so it is
 * streamed to the file as it arrives and the export can resume in it.
 *
 * The archive is read over disjoint time ranges with several queries in
 * flight (Prosody answers a page, then idles until the next request; with
 * its default page of 50 and Nagle on, one query at a time gets ~830
 * messages/s where 4 in flight get ~3,700: research/mamperf.md).  Ranges
 * are taken from a queue, oldest first; the oldest unfinished range (the
 * head) writes straight into the file, later ones into spool files that are
 * appended when the head reaches them, so the archive stays in order.
 * Range i covers [b_i, b_i+1 - 1 microsecond]: neighbours neither overlap
 * nor leave a gap, whatever the server's timestamp precision.
 *
 * Resume.  The file is built in PATH.part.  When the archive begins, and
 * then every few seconds, the part file is synced and PATH.part.state
 * records its length, the ranges, the head and the id of the last message
 * written.  A later run with the same account and selection cuts the part
 * file back to that length and continues the head range after that id;
 * later ranges are fetched again.  Nothing is written twice, nothing lost.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../pie/pie.h"
#include "../xmpp/xmpp_kinds.h"
#include "jobs_p.h"

enum {
    MAM_PAGE = 250, /* asked for; servers cap it (Prosody: 50) */
    PEP_PAGE = 100, /* RSM page for large PEP nodes */
    BATCH = 32,     /* small requests in flight at once */
    MAX_RANGES = 64,
    CHECKPOINT_MS_DEFAULT = 2000, /* how much archive a crash may cost */
    MAM_TIMEOUT_MS = 120000,      /* a page of a big archive can be slow */
    PENDING_WINDOW_MS = 15000,    /* waiting for the server's replay */
};

#define STATE_MAGIC "xporta-export-state 1"

/* Test builds (-DXPORTA_TEST_HOOKS=ON) let the tests crash an export at a
 * chosen point, as kill -9 would, and checkpoint after every page so that
 * every crash point resumes from a different place.  Release builds have
 * neither. */
#ifdef XPORTA_TEST_HOOKS
#include <signal.h>
static long long hook_env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? atoll(v) : -1;
}
static void hook_crash(uint64_t archived)
{
    long long at = hook_env("XPORTA_TEST_CRASH_AFTER_ARCHIVED");
    if (at >= 0 && archived >= (uint64_t)at)
        raise(SIGKILL);
}
static unsigned hook_checkpoint_ms(void)
{
    long long ms = hook_env("XPORTA_TEST_CHECKPOINT_MS");
    return ms >= 0 ? (unsigned)ms : CHECKPOINT_MS_DEFAULT;
}
#else
static void hook_crash(uint64_t archived)
{
    (void)archived;
}
static unsigned hook_checkpoint_ms(void)
{
    return CHECKPOINT_MS_DEFAULT;
}
#endif

struct call {
    struct exp *e;
    bool done;
    xporta_status status;
    xp_elem *iq;
    const char *cond;
    const char *text;
};

enum range_state { R_TODO = 0, R_RUNNING, R_DONE };

struct range {
    struct exp *e;
    char start[40];
    char end[40];
    enum range_state state;
    bool inflight;
    char queryid[16];
    char *after;        /* RSM: the last id received */
    char *last_written; /* the last id that reached the output */
    FILE *spool;
    char *spool_path;
    uint64_t spooled;
};

struct exp {
    xporta_job *j;
    struct xp_session *s;
    xporta_pie_writer *w;
    struct xp_arena arena; /* replies and records of the current step */
    struct xp_arena calls; /* struct call: alive until the session closes */
    char *part;
    char *state_path;
    char *bare;
    const char *domain;
    char *local;
    bool f_mam;
    bool failed_kind;

    /* pending subscription requests, collected after initial presence */
    bool collecting;
    xp_elem **pending;
    size_t npending;

    /* archive */
    struct range ranges[MAX_RANGES];
    unsigned nranges;
    unsigned head;
    unsigned next;
    unsigned running;
    uint64_t archived; /* written to the output */
    uint64_t received; /* received, spooled or written */
    long long count;   /* RSM count when the server gives it, else -1 */
    long long t_first, t_last;
    long long t_written; /* stamp of the newest message written */
    double arch_t0;
    double last_checkpoint;
    struct xp_buf fmt;
    /* planning: the first and last message */
    bool planning;
    long long plan_first, plan_last;
    bool plan_have_first, plan_have_last;
};

static bool cancelled(struct exp *e)
{
    return e->j->cancel != 0;
}

static bool want(struct exp *e, xporta_kind k)
{
    return (e->j->kinds & (1u << k)) != 0;
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

static struct call *call_send(struct exp *e, const char *type, const char *to,
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
static xporta_status wait_calls(struct exp *e, struct call **c, size_t n)
{
    for (;;) {
        bool all = true;
        for (size_t i = 0; i < n; i++)
            if (c[i] && !c[i]->done)
                all = false;
        if (all)
            return XPORTA_OK;
        if (cancelled(e))
            return xp_fail(&e->j->err, XPORTA_ECANCELED,
                           "export interrupted; run the same command again to "
                           "resume");
        xporta_status st = xp_session_run(e->s, 100);
        if (st == XPORTA_EDISCONNECTED)
            return xp_fail(&e->j->err, st,
                           "connection lost: %s; run the same command again "
                           "to resume",
                           xp_session_error(e->s));
    }
}

static xporta_status call_wait(struct exp *e, struct call *c)
{
    return c ? wait_calls(e, &c, 1) : e->j->err.status;
}

/* An error stanza that means "this server does not do that". */
static bool not_offered(const struct call *c)
{
    return c->status == XPORTA_ESTANZA &&
           (xp_streq(c->cond, "feature-not-implemented") ||
            xp_streq(c->cond, "service-unavailable"));
}

/* Fatal for the job: the connection is unusable. */
static bool fatal(const struct call *c)
{
    return c->status == XPORTA_ETIMEOUT || c->status == XPORTA_EDISCONNECTED ||
           c->status == XPORTA_ENOMEM || c->status == XPORTA_ECANCELED;
}

static xporta_status fatal_error(struct exp *e, const struct call *c,
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

static void kind_failed(struct exp *e, xporta_kind k, const struct call *c)
{
    job_set_state(e->j, k, XPORTA_STATE_FAILED);
    job_note(e->j, k, "the server refused: %s%s%s", c->cond ? c->cond : "error",
             c->text ? ": " : "", c->text ? c->text : "");
    e->failed_kind = true;
}

static void kind_unavailable(struct exp *e, xporta_kind k, const char *why)
{
    job_set_state(e->j, k, XPORTA_STATE_UNAVAILABLE);
    if (why)
        job_note(e->j, k, "not available on this server (%s)", why);
    else
        job_note(e->j, k, "not available on this server");
}

/* ---- records --------------------------------------------------------------
 */

static void put(void *ud, xporta_record *rec)
{
    struct exp *e = ud;
    if (e->j->err.status != XPORTA_OK)
        return;
    if (xporta_pie_writer_write(e->w, rec) != XPORTA_OK) {
        xp_fail(&e->j->err, XPORTA_EIO, "%s", xporta_pie_writer_error(e->w));
        return;
    }
    e->j->kind[rec->kind].count++;
}

static void phase(struct exp *e, xporta_kind k)
{
    job_progress(e->j, xporta_kind_name(k), k, 0, 0, -1, 0, NULL, true);
}

static void phase_done(struct exp *e, xporta_kind k)
{
    if (e->j->kind[k].state == XPORTA_STATE_NOT_ASKED)
        job_set_state(e->j, k, XPORTA_STATE_DONE);
    job_progress(e->j, xporta_kind_name(k), k, e->j->kind[k].count,
                 e->j->kind[k].count, 1, 0, e->j->kind[k].note, true);
}

typedef xporta_status (*decode_fn)(struct xp_arena *a, const xp_elem *iq,
                                   xp_record_fn fn, void *ud);

/* One request, one reply decoded into records. */
static xporta_status fetch_simple(struct exp *e, xporta_kind k,
                                  const xp_elem *query, decode_fn decode,
                                  bool not_found_is_empty)
{
    if (!want(e, k))
        return XPORTA_OK;
    phase(e, k);
    struct call *c = call_send(e, "get", NULL, query, 0);
    xporta_status st = call_wait(e, c);
    if (st != XPORTA_OK)
        return st;
    if (fatal(c))
        return fatal_error(e, c, xporta_kind_name(k));
    if (not_offered(c)) {
        kind_unavailable(e, k, c->cond);
    } else if (c->status == XPORTA_ESTANZA) {
        if (not_found_is_empty && xp_streq(c->cond, "item-not-found"))
            job_set_state(e->j, k, XPORTA_STATE_DONE);
        else
            kind_failed(e, k, c);
    } else if (decode(&e->arena, c->iq, put, e) != XPORTA_OK) {
        job_set_state(e->j, k, XPORTA_STATE_FAILED);
        job_note(e->j, k, "the server's answer could not be read");
        e->failed_kind = true;
    }
    phase_done(e, k);
    xp_arena_reset(&e->arena);
    return e->j->err.status;
}

/* ---- discovery --------------------------------------------------------------
 */

static xporta_status discover(struct exp *e)
{
    job_progress(e->j, "discover", XPORTA_KIND_COUNT, 0, 0, -1, 0, NULL, true);
    struct call *c[2];
    c[0] =
        call_send(e, "get", e->bare, xp_disco_info_query(&e->arena, NULL), 0);
    c[1] =
        call_send(e, "get", e->domain, xp_disco_info_query(&e->arena, NULL), 0);
    xporta_status st = wait_calls(e, c, 2);
    if (st != XPORTA_OK)
        return st;
    for (int i = 0; i < 2; i++)
        if (fatal(c[i]))
            return fatal_error(e, c[i], "service discovery");
    /* MAM is a feature of the account (XEP-0313 §7); some servers also
     * list it on the domain. */
    e->f_mam = (c[0]->iq && xp_disco_has_feature(c[0]->iq, XP_NS_MAM)) ||
               (c[1]->iq && xp_disco_has_feature(c[1]->iq, XP_NS_MAM));
    xp_arena_reset(&e->arena);
    return XPORTA_OK;
}

/* ---- pending subscription requests -------------------------------------- */

static void on_stanza(struct xp_session *s, const xp_elem *stanza, void *ud);

static xporta_status fetch_pending(struct exp *e)
{
    if (!want(e, XPORTA_KIND_PENDING))
        return XPORTA_OK;
    phase(e, XPORTA_KIND_PENDING);
    /* The server replays pending requests when the account sends initial
     * presence (RFC 6121 §3.1.3), and would deliver (and so remove) stored
     * offline messages to a priority >= 0 resource.  Prosody replays at
     * priority -1 too; ejabberd only at >= 0 — but once a session has
     * asked for the XEP-0013 offline node, ejabberd leaves offline
     * messages where they are.  So: ask; where that works, priority 0,
     * elsewhere -1. */
    xp_elem *probe = xp_disco_items_query(&e->arena, XP_NS_OFFLINE);
    struct call *oc = call_send(e, "get", e->bare, probe, 0);
    xporta_status st = call_wait(e, oc);
    if (st != XPORTA_OK)
        return st;
    if (fatal(oc))
        return fatal_error(e, oc, "pending");
    const char *priority = oc->status == XPORTA_OK ? "0" : "-1";
    xp_elem *p = xp_elem_new(&e->arena, XP_NS_CLIENT, "presence");
    if (!p ||
        !xp_elem_add_text_child(&e->arena, p, XP_NS_CLIENT, "priority",
                                priority) ||
        !xp_elem_add_text_child(&e->arena, p, XP_NS_CLIENT, "status",
                                "xporta export"))
        return xp_fail(&e->j->err, XPORTA_ENOMEM, "out of memory");
    e->collecting = true;
    st = xp_session_send(e->s, p);
    if (st != XPORTA_OK)
        return xp_fail(&e->j->err, st, "pending: cannot send presence");
    /* A ping behind the presence: once it is answered the server has
     * handled the presence, replay included. */
    xp_elem *ping = xp_elem_new(&e->arena, "urn:xmpp:ping", "ping");
    struct call *c = call_send(e, "get", e->domain, ping, PENDING_WINDOW_MS);
    st = call_wait(e, c);
    e->collecting = false;
    if (st != XPORTA_OK)
        return st;
    if (fatal(c))
        return fatal_error(e, c, "pending");
    for (size_t i = 0; i < e->npending; i++) {
        xporta_record rec;
        memset(&rec, 0, sizeof rec);
        rec.kind = XPORTA_KIND_PENDING;
        rec.payload = e->pending[i];
        xp_record_derive_key(&e->arena, &rec);
        put(e, &rec);
    }
    e->npending = 0;
    free(e->pending);
    e->pending = NULL;
    xp_elem *off = xp_elem_new(&e->arena, XP_NS_CLIENT, "presence");
    if (off && xp_elem_set_attr(&e->arena, off, "", "type", "unavailable"))
        xp_session_send(e->s, off);
    phase_done(e, XPORTA_KIND_PENDING);
    xp_arena_reset(&e->arena);
    return e->j->err.status;
}

/* ---- private XML ------------------------------------------------------------
 */

static xporta_status fetch_private(struct exp *e)
{
    if (!want(e, XPORTA_KIND_PRIVATE))
        return XPORTA_OK;
    phase(e, XPORTA_KIND_PRIVATE);
    size_t nknown = 0;
    while (xp_private_known[nknown][0])
        nknown++;
    size_t n = nknown + e->j->nprivate;
    struct call **c = calloc(n ? n : 1, sizeof *c);
    if (!c)
        return xp_fail(&e->j->err, XPORTA_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const char *ns, *name;
        char buf[1024];
        if (i < nknown) {
            ns = xp_private_known[i][0];
            name = xp_private_known[i][1];
        } else {
            /* "{ns}name" */
            const char *key = e->j->private_ns[i - nknown];
            const char *close = strchr(key, '}');
            snprintf(buf, sizeof buf, "%.*s", (int)(close - key - 1), key + 1);
            ns = buf;
            name = close + 1;
        }
        c[i] =
            call_send(e, "get", NULL, xp_private_query(&e->arena, ns, name), 0);
        if (!c[i]) {
            free(c);
            return e->j->err.status;
        }
    }
    xporta_status st = wait_calls(e, c, n);
    size_t offered = 0;
    for (size_t i = 0; st == XPORTA_OK && i < n; i++) {
        if (fatal(c[i])) {
            st = fatal_error(e, c[i], "private XML");
            break;
        }
        if (not_offered(c[i]))
            continue;
        offered++;
        if (c[i]->status == XPORTA_OK)
            xp_private_decode(&e->arena, c[i]->iq, put, e);
        /* item-not-found, not-acceptable: nothing stored there. */
    }
    free(c);
    if (st != XPORTA_OK)
        return st;
    if (n && !offered)
        kind_unavailable(e, XPORTA_KIND_PRIVATE, "no private XML storage");
    phase_done(e, XPORTA_KIND_PRIVATE);
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

static xporta_status fetch_privacy(struct exp *e)
{
    if (!want(e, XPORTA_KIND_PRIVACY))
        return XPORTA_OK;
    phase(e, XPORTA_KIND_PRIVACY);
    struct call *c =
        call_send(e, "get", NULL, xp_privacy_names_query(&e->arena), 0);
    xporta_status st = call_wait(e, c);
    if (st != XPORTA_OK)
        return st;
    if (fatal(c))
        return fatal_error(e, c, "privacy lists");
    if (not_offered(c)) {
        kind_unavailable(e, XPORTA_KIND_PRIVACY, c->cond);
    } else if (c->status == XPORTA_ESTANZA) {
        if (!xp_streq(c->cond, "item-not-found"))
            kind_failed(e, XPORTA_KIND_PRIVACY, c);
    } else {
        struct names names = {0};
        xp_privacy_names_decode(&e->arena, c->iq, put, add_name, &names);
        for (size_t i = 0; st == XPORTA_OK && i < names.n; i++) {
            struct call *l =
                call_send(e, "get", NULL,
                          xp_privacy_list_query(&e->arena, names.v[i]), 0);
            st = call_wait(e, l);
            if (st != XPORTA_OK)
                break;
            if (fatal(l)) {
                st = fatal_error(e, l, "privacy lists");
                break;
            }
            if (l->status == XPORTA_OK)
                xp_privacy_list_decode(&e->arena, l->iq, put, e);
            else
                kind_failed(e, XPORTA_KIND_PRIVACY, l);
        }
        free_names(&names);
        if (st != XPORTA_OK)
            return st;
    }
    phase_done(e, XPORTA_KIND_PRIVACY);
    xp_arena_reset(&e->arena);
    return e->j->err.status;
}

/* ---- PEP ---------------------------------------------------------------- */

static bool any_pep(struct exp *e)
{
    return want(e, XPORTA_KIND_PEP_NODE) ||
           want(e, XPORTA_KIND_PEP_AFFILIATIONS) ||
           want(e, XPORTA_KIND_PEP_ITEM);
}

static xporta_status fetch_pep(struct exp *e)
{
    if (!any_pep(e))
        return XPORTA_OK;
    phase(e, XPORTA_KIND_PEP_NODE);
    struct call *c =
        call_send(e, "get", e->bare, xp_disco_items_query(&e->arena, NULL), 0);
    xporta_status st = call_wait(e, c);
    if (st != XPORTA_OK)
        return st;
    if (fatal(c))
        return fatal_error(e, c, "PEP");
    if (c->status != XPORTA_OK) {
        const xporta_kind ks[] = {XPORTA_KIND_PEP_NODE,
                                  XPORTA_KIND_PEP_AFFILIATIONS,
                                  XPORTA_KIND_PEP_ITEM};
        for (size_t i = 0; i < 3; i++) {
            if (!want(e, ks[i]))
                continue;
            if (not_offered(c))
                kind_unavailable(e, ks[i], c->cond);
            else
                kind_failed(e, ks[i], c);
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
            cc[i] = want(e, XPORTA_KIND_PEP_NODE)
                        ? call_send(e, "get", NULL,
                                    xp_pep_configure_query(&e->arena, node), 0)
                        : NULL;
            ca[i] =
                want(e, XPORTA_KIND_PEP_AFFILIATIONS)
                    ? call_send(e, "get", NULL,
                                xp_pep_affiliations_query(&e->arena, node), 0)
                    : NULL;
        }
        st = wait_calls(e, cc, n);
        if (st == XPORTA_OK)
            st = wait_calls(e, ca, n);
        for (size_t i = 0; st == XPORTA_OK && i < n; i++) {
            const char *node = nodes.v[base + i];
            struct call *pair[2] = {cc[i], ca[i]};
            for (int k = 0; k < 2 && st == XPORTA_OK; k++) {
                struct call *x = pair[k];
                xporta_kind kind = k == 0 ? XPORTA_KIND_PEP_NODE
                                          : XPORTA_KIND_PEP_AFFILIATIONS;
                if (!x)
                    continue;
                if (fatal(x)) {
                    st = fatal_error(e, x, "PEP");
                } else if (x->status == XPORTA_OK) {
                    if (k == 0)
                        xp_pep_configure_decode(&e->arena, x->iq, node, put, e);
                    else
                        xp_pep_affiliations_decode(&e->arena, x->iq, node, put,
                                                   e);
                } else if (!not_offered(x)) {
                    /* One node we may not read (e.g. forbidden) does not
                     * stop the others; it is reported. */
                    job_note(e->j, kind, "node %s: %s", node,
                             x->cond ? x->cond : "error");
                }
            }
        }
        xp_arena_reset(&e->arena);
    }
    if (st == XPORTA_OK) {
        phase_done(e, XPORTA_KIND_PEP_NODE);
        if (want(e, XPORTA_KIND_PEP_AFFILIATIONS))
            job_set_state(e->j, XPORTA_KIND_PEP_AFFILIATIONS,
                          e->j->kind[XPORTA_KIND_PEP_AFFILIATIONS].state
                              ? e->j->kind[XPORTA_KIND_PEP_AFFILIATIONS].state
                              : XPORTA_STATE_DONE);
    }

    /* Items, node by node (the file groups them per node), paged. */
    if (want(e, XPORTA_KIND_PEP_ITEM))
        phase(e, XPORTA_KIND_PEP_ITEM);
    for (size_t i = 0;
         st == XPORTA_OK && want(e, XPORTA_KIND_PEP_ITEM) && i < nodes.n; i++) {
        char *after = NULL;
        unsigned pages = 0;
        for (;;) {
            struct call *x =
                call_send(e, "get", NULL,
                          xp_pep_items_query(&e->arena, nodes.v[i],
                                             after ? PEP_PAGE : 0, after),
                          0);
            st = call_wait(e, x);
            if (st != XPORTA_OK)
                break;
            if (fatal(x)) {
                st = fatal_error(e, x, "PEP items");
                break;
            }
            if (x->status != XPORTA_OK) {
                if (!xp_streq(x->cond, "item-not-found"))
                    job_note(e->j, XPORTA_KIND_PEP_ITEM, "node %s: %s",
                             nodes.v[i], x->cond ? x->cond : "error");
                break;
            }
            const char *last = NULL;
            bool complete = true;
            xp_pep_items_decode(&e->arena, x->iq, nodes.v[i], put, e, &last,
                                &complete);
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
    if (st == XPORTA_OK && want(e, XPORTA_KIND_PEP_ITEM))
        phase_done(e, XPORTA_KIND_PEP_ITEM);
    free_names(&nodes);
    return st != XPORTA_OK ? st : e->j->err.status;
}

/* ---- the archive: state file ------------------------------------------- */

static xporta_status save_state(struct exp *e)
{
    uint64_t offset;
    if (pie_writer_sync(e->w, &offset) != XPORTA_OK)
        return xp_fail(&e->j->err, XPORTA_EIO, "%s",
                       xporta_pie_writer_error(e->w));
    struct xp_buf b;
    xp_buf_init(&b, 1 << 20);
    xporta_status st = xp_buf_printf(
        &b,
        STATE_MAGIC "\njid %s\nkinds %x\nsince %s\nuntil %s\noffset %llu\n"
                    "host %s\nuser %s\narchived %llu\nfirst %lld\nlast %lld\n"
                    "ranges %u\nhead %u\nafter %s\n",
        e->bare, e->j->kinds, e->j->since ? e->j->since : "-",
        e->j->until ? e->j->until : "-", (unsigned long long)offset, e->domain,
        e->local, (unsigned long long)e->archived, e->t_first, e->t_last,
        e->nranges, e->head,
        e->head < e->nranges && e->ranges[e->head].last_written
            ? e->ranges[e->head].last_written
            : "-");
    for (unsigned i = 0; st == XPORTA_OK && i < e->nranges; i++)
        st = xp_buf_printf(&b, "range %s %s\n", e->ranges[i].start,
                           e->ranges[i].end);
    for (unsigned k = 0; st == XPORTA_OK && k < XPORTA_KIND_COUNT; k++)
        if (k != XPORTA_KIND_ARCHIVE && e->j->kind[k].state)
            st = xp_buf_printf(&b, "kind %u %u %llu %s\n", k,
                               e->j->kind[k].state,
                               (unsigned long long)e->j->kind[k].count,
                               e->j->kind[k].note ? e->j->kind[k].note : "");
    if (st != XPORTA_OK) {
        xp_buf_cleanup(&b);
        return xp_fail(&e->j->err, st, "state: out of memory");
    }
    struct xp_afile f;
    st = xp_afile_open(&f, e->state_path, &e->j->err);
    if (st == XPORTA_OK)
        st = xp_afile_write(&f, b.data, b.len, &e->j->err);
    if (st == XPORTA_OK)
        st = xp_afile_commit(&f, true, &e->j->err);
    else
        xp_afile_abort(&f);
    xp_buf_cleanup(&b);
    e->last_checkpoint = job_now();
    return st;
}

struct saved {
    bool valid;
    unsigned long long offset, archived;
    long long first, last;
    unsigned nranges, head;
    char after[512];
    char start[MAX_RANGES][40], end[MAX_RANGES][40];
};

/* Reads PATH.part.state; valid only when it describes this very export. */
static void load_state(struct exp *e, struct saved *sv)
{
    memset(sv, 0, sizeof *sv);
    FILE *f = fopen(e->state_path, "r");
    if (!f)
        return;
    char line[1024];
    unsigned nr = 0;
    bool ok = fgets(line, sizeof line, f) &&
              strncmp(line, STATE_MAGIC, strlen(STATE_MAGIC)) == 0;
    while (ok && fgets(line, sizeof line, f)) {
        char key[32], a[512], b[512];
        line[strcspn(line, "\n")] = '\0';
        a[0] = b[0] = '\0';
        int n = sscanf(line, "%31s %511s %511s", key, a, b);
        if (n < 2)
            continue;
        if (strcmp(key, "jid") == 0)
            ok = strcmp(a, e->bare) == 0;
        else if (strcmp(key, "kinds") == 0)
            ok = strtoul(a, NULL, 16) == e->j->kinds;
        else if (strcmp(key, "since") == 0)
            ok = strcmp(a, e->j->since ? e->j->since : "-") == 0;
        else if (strcmp(key, "until") == 0)
            ok = strcmp(a, e->j->until ? e->j->until : "-") == 0;
        else if (strcmp(key, "offset") == 0)
            sv->offset = strtoull(a, NULL, 10);
        else if (strcmp(key, "archived") == 0)
            sv->archived = strtoull(a, NULL, 10);
        else if (strcmp(key, "first") == 0)
            sv->first = strtoll(a, NULL, 10);
        else if (strcmp(key, "last") == 0)
            sv->last = strtoll(a, NULL, 10);
        else if (strcmp(key, "ranges") == 0)
            sv->nranges = (unsigned)strtoul(a, NULL, 10);
        else if (strcmp(key, "head") == 0)
            sv->head = (unsigned)strtoul(a, NULL, 10);
        else if (strcmp(key, "after") == 0)
            snprintf(sv->after, sizeof sv->after, "%s", a);
        else if (strcmp(key, "range") == 0 && n == 3 && nr < MAX_RANGES) {
            /* Dates fit in 39 characters; anything longer is damage. */
            if (strlen(a) >= sizeof sv->start[nr] ||
                strlen(b) >= sizeof sv->end[nr]) {
                ok = false;
                continue;
            }
            memcpy(sv->start[nr], a, strlen(a) + 1);
            memcpy(sv->end[nr], b, strlen(b) + 1);
            nr++;
        } else if (strcmp(key, "kind") == 0 && n >= 3) {
            unsigned k, state;
            unsigned long long count;
            int used = 0;
            if (sscanf(line, "kind %u %u %llu %n", &k, &state, &count, &used) >=
                    3 &&
                k < XPORTA_KIND_COUNT && state <= XPORTA_STATE_FAILED) {
                e->j->kind[k].state = (xporta_kind_state)state;
                e->j->kind[k].count = count;
                if (used > 0 && line[used])
                    job_note(e->j, (xporta_kind)k, "%s", line + used);
            }
        }
    }
    fclose(f);
    sv->valid = ok && sv->nranges >= 1 && sv->nranges == nr &&
                sv->head <= sv->nranges && sv->offset > 0;
    if (!sv->valid) {
        /* Someone else's or a damaged state: the counts are not ours. */
        for (unsigned k = 0; k < XPORTA_KIND_COUNT; k++) {
            e->j->kind[k].state = XPORTA_STATE_NOT_ASKED;
            e->j->kind[k].count = 0;
            free(e->j->kind[k].note);
            e->j->kind[k].note = NULL;
        }
    }
}

/* ---- the archive: queries ----------------------------------------------- */

static void range_page(struct xp_session *s, const struct xp_iq_reply *r,
                       void *ud);

static void range_send(struct exp *e, struct range *r)
{
    struct xp_mam_range q = {strcmp(r->start, "-") ? r->start : NULL,
                             strcmp(r->end, "-") ? r->end : NULL, r->after,
                             false, MAM_PAGE};
    struct xp_arena a;
    xp_arena_init(&a, 0);
    xp_elem *query = xp_mam_query(&a, r->queryid, &q);
    xporta_status st = query ? xp_session_iq(e->s, "set", NULL, query,
                                             MAM_TIMEOUT_MS, range_page, r)
                             : XPORTA_ENOMEM;
    xp_arena_cleanup(&a);
    if (st != XPORTA_OK) {
        xp_fail(&e->j->err, st, "archive: cannot send a query: %s",
                xporta_strerror(st));
        return;
    }
    r->inflight = true;
}

static struct exp *range_exp(struct range *r);

static void start_ranges(struct exp *e)
{
    while (e->j->err.status == XPORTA_OK && e->running < e->j->parallel &&
           e->next < e->nranges) {
        struct range *r = &e->ranges[e->next++];
        if (r->state != R_TODO)
            continue;
        r->state = R_RUNNING;
        e->running++;
        range_send(e, r);
    }
}

/* Appends the head's spool to the file; the head then writes directly. */
static void drain_spool(struct exp *e, struct range *r)
{
    if (!r->spool)
        return;
    char buf[65536];
    size_t n;
    if (fflush(r->spool) != 0 || fseek(r->spool, 0, SEEK_SET) != 0) {
        xp_fail(&e->j->err, XPORTA_EIO, "%s: %s", r->spool_path,
                strerror(errno));
        return;
    }
    while ((n = fread(buf, 1, sizeof buf, r->spool)) > 0) {
        if (pie_writer_write_raw(e->w, XPORTA_KIND_ARCHIVE, buf, n) !=
            XPORTA_OK) {
            xp_fail(&e->j->err, XPORTA_EIO, "%s",
                    xporta_pie_writer_error(e->w));
            return;
        }
    }
    if (ferror(r->spool)) {
        xp_fail(&e->j->err, XPORTA_EIO, "%s: read error", r->spool_path);
        return;
    }
    e->archived += r->spooled;
    e->j->kind[XPORTA_KIND_ARCHIVE].count += r->spooled;
    hook_crash(e->archived);
    fclose(r->spool);
    r->spool = NULL;
    unlink(r->spool_path);
}

static void advance_head(struct exp *e)
{
    while (e->head < e->nranges && e->ranges[e->head].state == R_DONE &&
           !e->ranges[e->head].spool)
        e->head++;
    if (e->head < e->nranges) {
        struct range *h = &e->ranges[e->head];
        drain_spool(e, h);
        if (h->state == R_DONE && !h->spool && e->j->err.status == XPORTA_OK)
            advance_head(e);
    }
}

static void range_page(struct xp_session *s, const struct xp_iq_reply *reply,
                       void *ud)
{
    struct range *r = ud;
    struct exp *e = range_exp(r);
    (void)s;
    r->inflight = false;
    if (e->j->err.status != XPORTA_OK)
        return;
    if (reply->status != XPORTA_OK) {
        if (reply->status == XPORTA_ESTANZA)
            xp_fail(&e->j->err, XPORTA_ESTANZA,
                    "archive: the server refused a query (%s to %s): %s%s%s",
                    r->start, r->end, reply->condition, reply->text ? ": " : "",
                    reply->text ? reply->text : "");
        else
            xp_fail(&e->j->err, reply->status,
                    "archive: %s; run the same command again to resume",
                    reply->status == XPORTA_ETIMEOUT ? "no answer to a query"
                                                     : "connection lost");
        return;
    }
    struct xp_mam_fin fin;
    if (xp_mam_fin_decode(reply->iq, &fin) != XPORTA_OK) {
        xp_fail(&e->j->err, XPORTA_EFORMAT, "archive: a reply without <fin/>");
        return;
    }
    if (fin.count >= 0 && e->count < 0 && r == &e->ranges[0] && !r->after)
        e->count = fin.count;
    /* The page's results came before this reply (one stream, in order);
     * RSM <last/> says where the next page starts. */
    if (fin.complete || !fin.last) {
        r->state = R_DONE;
        e->running--;
    } else {
        if (!r->after || strcmp(r->after, fin.last) != 0) {
            free(r->after);
            r->after = xp_strdup(fin.last);
        }
        range_send(e, r);
    }
    if (r->state == R_DONE) {
        advance_head(e);
        start_ranges(e);
    }
}

static void archive_result(struct exp *e, const xp_elem *msg)
{
    /* Which query?  queryid "r<N>" (ranges) or "p0"/"p1" (planning). */
    const xp_elem *res = xp_elem_child(msg, XP_NS_MAM, "result");
    const char *qid = res ? xp_elem_attr_ns(res, "", "queryid") : NULL;
    if (!qid)
        return;
    xporta_record rec;
    if (qid[0] == 'p' && e->planning) {
        long long secs;
        long usecs;
        if (!xp_mam_result_decode(&e->arena, msg, qid, &rec) ||
            !xp_mam_stamp(rec.payload, &secs, &usecs))
            return;
        if (qid[1] == '0' && !e->plan_have_first) {
            e->plan_first = secs;
            e->plan_have_first = true;
        } else if (qid[1] == '1') {
            e->plan_last = secs;
            e->plan_have_last = true;
        }
        return;
    }
    if (qid[0] != 'r')
        return;
    unsigned i = (unsigned)strtoul(qid + 1, NULL, 10);
    if (i >= e->nranges || strcmp(e->ranges[i].queryid, qid) != 0 ||
        e->ranges[i].state != R_RUNNING)
        return;
    struct range *r = &e->ranges[i];
    struct xp_arena a;
    xp_arena_init(&a, 0);
    if (!xp_mam_result_decode(&a, msg, qid, &rec)) {
        xp_arena_cleanup(&a);
        return;
    }
    free(r->after);
    r->after = xp_strdup(rec.key);
    long long secs;
    long usecs;
    if (i == e->head) {
        put(e, &rec);
        e->archived++;
        hook_crash(e->archived);
        free(r->last_written);
        r->last_written = xp_strdup(rec.key);
        if (xp_mam_stamp(rec.payload, &secs, &usecs))
            e->t_written = secs;
    } else {
        if (!r->spool) {
            r->spool = fopen(r->spool_path, "w+");
            if (!r->spool) {
                xp_fail(&e->j->err, XPORTA_EIO, "%s: %s", r->spool_path,
                        strerror(errno));
                xp_arena_cleanup(&a);
                return;
            }
        }
        xp_buf_reset(&e->fmt);
        if (pie_writer_format(e->w, &e->fmt, &rec) != XPORTA_OK ||
            fwrite(e->fmt.data, 1, e->fmt.len, r->spool) != e->fmt.len) {
            xp_fail(&e->j->err, XPORTA_EIO, "%s: cannot spool", r->spool_path);
            xp_arena_cleanup(&a);
            return;
        }
        r->spooled++;
        free(r->last_written);
        r->last_written = xp_strdup(rec.key);
    }
    e->received++;
    xp_arena_cleanup(&a);
}

static struct exp *range_exp(struct range *r)
{
    return r->e;
}

static void on_stanza(struct xp_session *s, const xp_elem *stanza, void *ud)
{
    struct exp *e = ud;
    (void)s;
    const char *from = xp_elem_attr_ns(stanza, "", "from");
    if (xp_elem_is(stanza, NULL, "presence")) {
        if (!e->collecting ||
            !xp_streq(xp_elem_attr_ns(stanza, "", "type"), "subscribe"))
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
    archive_result(e, stanza);
}

/* ---- the archive: planning and running ---------------------------------- */

static void plan_ranges(struct exp *e, long long t0, long long t1)
{
    unsigned want_n = e->j->parallel <= 1 ? 1 : e->j->parallel * 4;
    if (want_n > MAX_RANGES)
        want_n = MAX_RANGES;
    long long span = t1 - t0 + 1;
    if (span < (long long)want_n)
        want_n = span > 0 ? (unsigned)span : 1;
    e->nranges = want_n;
    for (unsigned i = 0; i < want_n; i++) {
        struct range *r = &e->ranges[i];
        long long b = t0 + span * (long long)i / (long long)want_n;
        long long b1 = t0 + span * (long long)(i + 1) / (long long)want_n;
        /* The first range has no lower bound and the last no upper one
         * (unless the user set them): a message stamped outside the span
         * the planning saw (archives are not always in time order, e.g.
         * after an import) still lands in a range. */
        if (i == 0)
            snprintf(r->start, sizeof r->start, "%s",
                     e->j->since ? e->j->since : "-");
        else
            xp_datetime_format(b, r->start, sizeof r->start);
        if (i + 1 == want_n) {
            snprintf(r->end, sizeof r->end, "%s",
                     e->j->until ? e->j->until : "-");
        } else {
            /* End one microsecond before the next range begins. */
            char t[32];
            xp_datetime_format(b1 - 1, t, sizeof t);
            t[strlen(t) - 1] = '\0'; /* drop the Z */
            snprintf(r->end, sizeof r->end, "%s.999999Z", t);
        }
    }
}

/* Asks for the oldest and the newest message of the range the user chose:
 * the span to cut into ranges (Prosody gives no count, and not all
 * servers implement the metadata query). */
static xporta_status plan(struct exp *e)
{
    struct xp_mam_range first = {e->j->since, e->j->until, NULL, false, 1};
    struct xp_mam_range last = {e->j->since, e->j->until, NULL, true, 1};
    e->planning = true;
    struct call *c[2];
    c[0] = call_send(e, "set", NULL, xp_mam_query(&e->arena, "p0", &first),
                     MAM_TIMEOUT_MS);
    c[1] = call_send(e, "set", NULL, xp_mam_query(&e->arena, "p1", &last),
                     MAM_TIMEOUT_MS);
    xporta_status st = wait_calls(e, c, 2);
    e->planning = false;
    if (st != XPORTA_OK)
        return st;
    for (int i = 0; i < 2; i++) {
        if (fatal(c[i]))
            return fatal_error(e, c[i], "archive");
        if (c[i]->status == XPORTA_ESTANZA) {
            if (not_offered(c[i]))
                kind_unavailable(e, XPORTA_KIND_ARCHIVE, c[i]->cond);
            else
                kind_failed(e, XPORTA_KIND_ARCHIVE, c[i]);
            return XPORTA_OK;
        }
    }
    struct xp_mam_fin fin;
    if (xp_mam_fin_decode(c[0]->iq, &fin) == XPORTA_OK)
        e->count = fin.count;
    xp_arena_reset(&e->arena);
    if (!e->plan_have_first || !e->plan_have_last) {
        e->nranges = 0; /* an empty archive */
        return XPORTA_OK;
    }
    e->t_first = e->plan_first;
    e->t_last = e->plan_last;
    plan_ranges(e, e->plan_first, e->plan_last);
    return XPORTA_OK;
}

static void archive_progress(struct exp *e, bool force)
{
    double frac = -1;
    if (e->count > 0)
        frac = (double)e->received / (double)e->count;
    else if (e->t_last > e->t_first)
        frac = (double)(e->t_written - e->t_first) /
               (double)(e->t_last - e->t_first);
    if (frac > 1)
        frac = 1;
    double secs = job_now() - e->arch_t0;
    job_progress(e->j, "archive", XPORTA_KIND_ARCHIVE, e->received,
                 e->count > 0 ? (uint64_t)e->count : 0, frac,
                 secs > 0 ? (double)e->received / secs : 0, NULL, force);
}

static void free_ranges(struct exp *e)
{
    for (unsigned i = 0; i < MAX_RANGES; i++) {
        struct range *r = &e->ranges[i];
        if (r->spool) {
            fclose(r->spool);
            r->spool = NULL;
        }
        if (r->spool_path) {
            unlink(r->spool_path);
            free(r->spool_path);
            r->spool_path = NULL;
        }
        free(r->after);
        free(r->last_written);
        r->after = r->last_written = NULL;
    }
}

static xporta_status fetch_archive(struct exp *e, const struct saved *sv)
{
    if (!want(e, XPORTA_KIND_ARCHIVE))
        return XPORTA_OK;
    phase(e, XPORTA_KIND_ARCHIVE);
    e->count = -1;
    e->arch_t0 = job_now();
    xporta_status st;
    if (sv && sv->valid) {
        e->nranges = sv->nranges;
        e->head = sv->head;
        e->archived = sv->archived;
        e->received = sv->archived;
        e->t_first = sv->first;
        e->t_last = sv->last;
        e->j->kind[XPORTA_KIND_ARCHIVE].count = sv->archived;
        for (unsigned i = 0; i < sv->nranges; i++) {
            memcpy(e->ranges[i].start, sv->start[i], sizeof sv->start[i]);
            memcpy(e->ranges[i].end, sv->end[i], sizeof sv->end[i]);
            e->ranges[i].state = i < sv->head ? R_DONE : R_TODO;
        }
        if (strcmp(sv->after, "-") != 0 && e->head < e->nranges) {
            e->ranges[e->head].after = xp_strdup(sv->after);
            e->ranges[e->head].last_written = xp_strdup(sv->after);
        }
    } else {
        if (!e->f_mam) {
            kind_unavailable(e, XPORTA_KIND_ARCHIVE, "no urn:xmpp:mam:2");
            if (want(e, XPORTA_KIND_MAM_PREFS) &&
                e->j->kind[XPORTA_KIND_MAM_PREFS].state == XPORTA_STATE_DONE &&
                e->j->kind[XPORTA_KIND_MAM_PREFS].count == 0)
                kind_unavailable(e, XPORTA_KIND_MAM_PREFS, "no urn:xmpp:mam:2");
            return XPORTA_OK;
        }
        st = plan(e);
        if (st != XPORTA_OK ||
            e->j->kind[XPORTA_KIND_ARCHIVE].state != XPORTA_STATE_NOT_ASKED)
            return st;
        if (e->nranges == 0) {
            phase_done(e, XPORTA_KIND_ARCHIVE);
            return XPORTA_OK;
        }
    }
    for (unsigned i = 0; i < e->nranges; i++) {
        struct range *r = &e->ranges[i];
        r->e = e;
        snprintf(r->queryid, sizeof r->queryid, "r%u", i);
        size_t n = strlen(e->part) + 32;
        r->spool_path = malloc(n);
        if (!r->spool_path)
            return xp_fail(&e->j->err, XPORTA_ENOMEM, "out of memory");
        snprintf(r->spool_path, n, "%s.spool%u", e->part, i);
    }
    /* Open <archive> now, so that the state's offset is inside it. */
    if (pie_writer_write_raw(e->w, XPORTA_KIND_ARCHIVE, "", 0) != XPORTA_OK)
        return xp_fail(&e->j->err, XPORTA_EIO, "%s",
                       xporta_pie_writer_error(e->w));
    st = save_state(e);
    if (st != XPORTA_OK)
        return st;
    e->next = e->head;
    start_ranges(e);
    while (e->j->err.status == XPORTA_OK && e->head < e->nranges) {
        if (cancelled(e))
            return xp_fail(&e->j->err, XPORTA_ECANCELED,
                           "export interrupted; run the same command again to "
                           "resume");
        st = xp_session_run(e->s, 100);
        if (st == XPORTA_EDISCONNECTED)
            return xp_fail(&e->j->err, st,
                           "connection lost: %s; run the same command again "
                           "to resume",
                           xp_session_error(e->s));
        archive_progress(e, false);
        if ((job_now() - e->last_checkpoint) * 1000 >= hook_checkpoint_ms() &&
            e->j->err.status == XPORTA_OK) {
            st = save_state(e);
            if (st != XPORTA_OK)
                return st;
        }
    }
    if (e->j->err.status != XPORTA_OK)
        return e->j->err.status;
    archive_progress(e, true);
    phase_done(e, XPORTA_KIND_ARCHIVE);
    return XPORTA_OK;
}

/* ---- the job ---------------------------------------------------------------
 */

static void not_reachable(struct exp *e)
{
    /* What a client can never read: said plainly, not silently skipped. */
    if (want(e, XPORTA_KIND_CREDENTIALS)) {
        job_set_state(e->j, XPORTA_KIND_CREDENTIALS, XPORTA_STATE_UNAVAILABLE);
        job_note(e->j, XPORTA_KIND_CREDENTIALS,
                 "servers never show stored credentials to clients");
    }
    if (want(e, XPORTA_KIND_OFFLINE)) {
        job_set_state(e->j, XPORTA_KIND_OFFLINE, XPORTA_STATE_UNAVAILABLE);
        job_note(e->j, XPORTA_KIND_OFFLINE,
                 "left on the server for your client (archived messages "
                 "include them)");
    }
    if (want(e, XPORTA_KIND_PEP_SUBSCRIPTIONS)) {
        job_set_state(e->j, XPORTA_KIND_PEP_SUBSCRIPTIONS,
                      XPORTA_STATE_UNAVAILABLE);
        job_note(e->j, XPORTA_KIND_PEP_SUBSCRIPTIONS,
                 "PEP subscriptions follow presence and are not exported");
    }
}

static xporta_status run_phases(struct exp *e, const struct saved *sv)
{
    xporta_status st;
    if (!sv->valid) {
        st = fetch_simple(e, XPORTA_KIND_ROSTER, xp_roster_query(&e->arena),
                          xp_roster_decode, false);
        if (st == XPORTA_OK)
            st = fetch_pending(e);
        if (st == XPORTA_OK)
            st = fetch_simple(e, XPORTA_KIND_VCARD, xp_vcard_query(&e->arena),
                              xp_vcard_decode, true);
        if (st == XPORTA_OK)
            st = fetch_private(e);
        if (st == XPORTA_OK)
            st = fetch_privacy(e);
        if (st == XPORTA_OK)
            st = fetch_simple(e, XPORTA_KIND_BLOCKLIST,
                              xp_blocklist_query(&e->arena),
                              xp_blocklist_decode, false);
        if (st == XPORTA_OK)
            st = fetch_pep(e);
        if (st == XPORTA_OK && e->f_mam)
            st = fetch_simple(e, XPORTA_KIND_MAM_PREFS,
                              xp_mam_prefs_query(&e->arena),
                              xp_mam_prefs_decode, false);
        else if (st == XPORTA_OK && want(e, XPORTA_KIND_MAM_PREFS))
            kind_unavailable(e, XPORTA_KIND_MAM_PREFS, "no urn:xmpp:mam:2");
        not_reachable(e);
        if (st != XPORTA_OK)
            return st;
    }
    return fetch_archive(e, sv);
}

static char *with_suffix(const char *path, const char *suffix)
{
    size_t n = strlen(path) + strlen(suffix) + 1;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s%s", path, suffix);
    return p;
}

xporta_status export_run(xporta_job *j)
{
    struct exp e;
    memset(&e, 0, sizeof e);
    e.j = j;
    xp_arena_init(&e.arena, (size_t)XP_MAX_RECORD_BYTES * 4);
    xp_arena_init(&e.calls, 0);
    xp_buf_init(&e.fmt, (size_t)XP_MAX_RECORD_BYTES * 2);
    e.part = with_suffix(j->path, ".part");
    e.state_path = with_suffix(j->path, ".part.state");
    e.bare = xp_strdup(j->account->jid);
    xporta_status st = XPORTA_OK;
    struct saved sv;
    memset(&sv, 0, sizeof sv);
    for (unsigned k = 0; k < XPORTA_KIND_COUNT; k++) {
        j->kind[k].state = XPORTA_STATE_NOT_ASKED;
        j->kind[k].count = 0;
    }
    if (!e.part || !e.state_path || !e.bare) {
        st = xp_fail(&j->err, XPORTA_ENOMEM, "out of memory");
        goto out;
    }
    char *at = strchr(e.bare, '@');
    e.local = xp_strndup(e.bare, (size_t)(at - e.bare));
    e.domain = at + 1;

    load_state(&e, &sv);
    j->resumed = sv.valid;

    job_progress(j, "connect", XPORTA_KIND_COUNT, 0, 0, -1, 0, NULL, true);
    st = job_connect(j, &e.s);
    if (st != XPORTA_OK)
        goto out;
    xp_session_on_stanza(e.s, on_stanza, &e);
    st = discover(&e);
    if (st != XPORTA_OK)
        goto out;

    struct pie_resume resume = {sv.offset, e.domain, e.local};
    st = pie_writer_open_part(&e.w, j->path, e.part, XPORTA_PIE_PRIVATE,
                              sv.valid ? &resume : NULL);
    if (st != XPORTA_OK) {
        st = xp_fail(&j->err, st, "%s",
                     e.w ? xporta_pie_writer_error(e.w) : "cannot write");
        goto out;
    }
    /* Keep the part file across interruptions once the archive began. */
    pie_writer_keep_part(e.w, true);
    if (!sv.valid) {
        unlink(e.state_path);
        if (xporta_pie_writer_begin_host(e.w, e.domain) != XPORTA_OK ||
            xporta_pie_writer_begin_user(e.w, e.local, NULL) != XPORTA_OK) {
            st = xp_fail(&j->err, XPORTA_EIO, "%s",
                         xporta_pie_writer_error(e.w));
            goto out;
        }
    }
    st = run_phases(&e, &sv);
    if (st != XPORTA_OK)
        goto out;
    if (xporta_pie_writer_end_user(e.w) != XPORTA_OK ||
        xporta_pie_writer_end_host(e.w) != XPORTA_OK ||
        xporta_pie_writer_commit(e.w) != XPORTA_OK) {
        st = xp_fail(&j->err, XPORTA_EIO, "%s", xporta_pie_writer_error(e.w));
        goto out;
    }
    unlink(e.state_path);
    job_progress(j, "done", XPORTA_KIND_COUNT, 0, 0, 1, 0, NULL, true);
    if (e.failed_kind)
        st = xp_fail(&j->err, XPORTA_ESTANZA,
                     "the file is complete, but the server refused some "
                     "kinds (see the summary)");
out:
    if (e.s)
        xp_session_close(e.s);
    if (e.w && !sv.valid && e.nranges == 0 && st != XPORTA_OK)
        pie_writer_keep_part(e.w, false); /* nothing worth resuming */
    xporta_pie_writer_free(e.w);
    free_ranges(&e);
    free(e.pending);
    free(e.part);
    free(e.state_path);
    free(e.bare);
    free(e.local);
    xp_buf_cleanup(&e.fmt);
    xp_arena_cleanup(&e.arena);
    xp_arena_cleanup(&e.calls);
    return st;
}
