/*
 * The restore builders (lib/xmpp/xmpp_kinds.h, "Restoring") against real
 * servers: what it takes to put every kind back into an account.
 *
 *   restore_live SERVERS_SCRIPT SERVERS_DIR XP_POPULATE SCENARIO_DIR
 *
 * On Prosody and on ejabberd (tests/servers, started by the CTest fixture
 * "servers"): fills a fresh source account RUN-alice@DOMAIN with
 * tests/data/scenarios/fill-<server>.xml and restore-extra.xml (through
 * xp_populate), reads it with the decoders, restores it into fresh, empty
 * target accounts on the server's other vhost (DOMAIN2: restores across
 * domains) with the restore builders, reads each target back over a new
 * session and compares record by record with xfer_value_hash (owner =
 * each side's own bare JID).  Where that hash is stricter than the data
 * (the order of affiliations, of a vCard's or a XEP-0048 storage's
 * children, an owner-only affiliation list) the records are compared as
 * sets and the difference is printed as a note.  Each target is one plan:
 *
 *   recipe          every kind the way the import job should do it;
 *   pubopts         the same, but PEP through publish-options (XEP-0060
 *                   §7.1.5), stepping down FULL -> SAFE -> ACCESS;
 *   vcard-only      the vCard alone (what the servers make of it);
 *   bm-legacy       (Prosody) private storage:bookmarks alone;
 *   bm-both         (Prosody) XEP-0402, then private storage:bookmarks;
 *   bm-conflict     XEP-0402, then a private storage:bookmarks that
 *                   disagrees with it (LEGACY_CONFLICT);
 *   bm-conflict-rev the disagreeing private bookmarks first, then XEP-0402;
 *   privacy-first   (ejabberd) a privacy list made default before the block;
 *   default-after   (ejabberd) the block, then a list made the default;
 *   cross           the recipe from one server's source into the other.
 *
 * The recipe (the checks hold the servers to it; expect_steps has the
 * answers, the servers' error texts verbatim):
 *  1. roster: one set per item (jid, name, groups; the subscription
 *     comes back as none: presence negotiates it);
 *  2. vCard-temp: one set.  Prosody's mod_vcard_legacy turns it into PEP
 *     vcard4 + avatar nodes, ejabberd's mod_avatar into avatar nodes;
 *  3. private XML: one set per element, storage:bookmarks included and
 *     before PEP: Prosody's mod_bookmarks converts it into XEP-0402 items,
 *     which the XEP-0402 items restored next then overwrite (a union, the
 *     XEP-0402 form winning); the other order lets the legacy set retract
 *     every XEP-0402 item it lacks;
 *  4. blocklist: one block with every JID, before any privacy list is made
 *     the default.  ejabberd's blocklist is the blocking items of the
 *     default privacy list: a block adds the JIDs to the default list, or
 *     makes "Blocked contacts" the default; another list made the default
 *     later hides (and stops enforcing) what "Blocked contacts" holds;
 *  5. privacy lists (ejabberd only; Prosody 0.12 answers
 *     service-unavailable): each list, then default/active;
 *  6. MAM preferences: one set;
 *  7. PEP, node by node, avatar data before metadata; skipped: OMEMO,
 *     legacy OMEMO, urn:xmpp:moved:1 and storage:bookmarks (both servers
 *     make that node from private storage:bookmarks): create with the
 *     FULL configuration; on conflict (the node is there: the server made
 *     it) configure it with FULL; then publish every item in the order
 *     read, without publish-options; then the affiliations but the owner.
 *
 * The targets stay behind; their names and password are printed.  Exits
 * 77 (skipped) when the servers are not installed, 1 when a check failed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "transfer/xfer_diff.h"
#include "xmpp/xmpp_kinds.h"
#include "xmpp/xmpp_p.h"
#include "xp_tools.h"

static int failures, checks;
static xmpp_ctx_t *xctx;
static struct xpt_vars vars; /* servers.env, plus this run's names */

#define CHECK(cond, ...) check((cond), #cond, __VA_ARGS__)

static void check(bool ok, const char *expr, const char *fmt, ...)
    XP_PRINTF(3, 4);
static void check(bool ok, const char *expr, const char *fmt, ...)
{
    va_list ap;
    checks++;
    printf("%s ", ok ? "ok  " : "FAIL");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    if (!ok) {
        printf("   [%s]", expr);
        failures++;
    }
    printf("\n");
    fflush(stdout);
}

static void note(const char *fmt, ...) XP_PRINTF(1, 2);
static void note(const char *fmt, ...)
{
    va_list ap;
    printf("note ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

static const char *ser(struct xp_arena *a, const xp_elem *e)
{
    struct xp_buf b;
    xp_buf_init(&b, 1 << 24);
    if (!e || xp_elem_serialize(&b, e, "") != XPORTA_OK)
        xp_buf_adds(&b, "(none)");
    const char *s = xp_arena_strdup(a, xp_buf_str(&b));
    xp_buf_cleanup(&b);
    return s;
}

/* ---- records ------------------------------------------------------------- */

struct rec {
    xporta_kind kind;
    const char *key, *id;
    xp_elem *payload;
};

struct recs {
    struct xp_arena arena;
    struct rec *v;
    size_t n, cap;
    size_t items_not_found; /* item gets answered item-not-found */
    size_t nnodes;          /* PEP nodes in disco#items order */
    size_t nlists;          /* privacy list names */
    const char *lists[16];
    const char *nodes[64];
};

static void recs_init(struct recs *r)
{
    memset(r, 0, sizeof *r);
    xp_arena_init(&r->arena, 0);
}

static void recs_free(struct recs *r)
{
    free(r->v);
    xp_arena_cleanup(&r->arena);
    memset(r, 0, sizeof *r);
}

static void collect(void *ud, xporta_record *rec)
{
    struct recs *r = ud;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        struct rec *v = realloc(r->v, cap * sizeof *v);
        if (!v) {
            fprintf(stderr, "restore_live: out of memory\n");
            exit(2);
        }
        r->v = v;
        r->cap = cap;
    }
    struct rec *d = &r->v[r->n++];
    d->kind = rec->kind;
    d->key = xp_arena_strdup(&r->arena, rec->key ? rec->key : "");
    d->id = rec->id ? xp_arena_strdup(&r->arena, rec->id) : NULL;
    d->payload = xp_elem_clone(&r->arena, rec->payload);
}

static void add_node(void *ud, const char *node)
{
    struct recs *r = ud;
    if (r->nnodes < 64)
        r->nodes[r->nnodes++] = xp_arena_strdup(&r->arena, node);
}

static const struct rec *find(const struct recs *r, xporta_kind kind,
                              const char *key, const char *id)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->v[i].kind == kind && xp_streq(r->v[i].key, key) &&
            (!id || xp_streq(r->v[i].id, id)))
            return &r->v[i];
    return NULL;
}

static size_t count_items(const struct recs *r, const char *node)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++)
        n +=
            r->v[i].kind == XPORTA_KIND_PEP_ITEM && xp_streq(r->v[i].key, node);
    return n;
}

/* ---- a session, one request at a time ------------------------------------ */

struct reply {
    bool done;
    xporta_status status;
    char type[16];
    char cond[64];
    char text[512];
    struct xp_arena arena;
    xp_elem *iq;
};

static void on_reply(struct xp_session *s, const struct xp_iq_reply *r,
                     void *ud)
{
    struct reply *rep = ud;
    (void)s;
    rep->done = true;
    rep->status = r->status;
    snprintf(rep->type, sizeof rep->type, "%s",
             r->error_type ? r->error_type : "");
    snprintf(rep->cond, sizeof rep->cond, "%s",
             r->condition ? r->condition : "");
    snprintf(rep->text, sizeof rep->text, "%s", r->text ? r->text : "");
    if (r->iq)
        rep->iq = xp_elem_clone(&rep->arena, r->iq);
}

static void reply_reset(struct reply *rep)
{
    xp_arena_cleanup(&rep->arena);
    memset(rep, 0, sizeof *rep);
    xp_arena_init(&rep->arena, 0);
}

/* Sends one IQ, waits; the reply lives until the next ask on `rep`. */
static const xp_elem *ask(struct xp_session *s, struct reply *rep,
                          const char *type, const char *to,
                          const xp_elem *payload)
{
    reply_reset(rep);
    if (!payload) {
        rep->done = true;
        rep->status = XPORTA_EINVAL;
        snprintf(rep->text, sizeof rep->text, "no payload built");
        return NULL;
    }
    rep->status = xp_session_iq(s, type, to, payload, 30000, on_reply, rep);
    if (rep->status != XPORTA_OK)
        return NULL;
    /* Short turns (see kinds_live.c: libstrophe 0.12.2 and OpenSSL's
     * buffer). */
    for (int i = 0; i < 2000 && !rep->done; i++)
        xp_session_run(s, 20);
    return rep->done && rep->status == XPORTA_OK ? rep->iq : NULL;
}

/* "result", or "error TYPE/CONDITION 'TEXT'", or the status. */
static const char *outcome(struct xp_arena *a, const struct reply *rep)
{
    if (rep->status == XPORTA_OK)
        return "result";
    if (rep->status == XPORTA_ESTANZA)
        return xp_arena_printf(a, "error %s/%s%s%s%s", rep->type, rep->cond,
                               rep->text[0] ? " '" : "", rep->text,
                               rep->text[0] ? "'" : "");
    return xp_arena_printf(a, "%s%s%s", xporta_status_name(rep->status),
                           rep->text[0] ? ": " : "", rep->text);
}

/* ---- the steps of a restore, logged -------------------------------------- */

enum { MAX_STEPS = 256 };
struct step {
    char what[160];   /* "create urn:xmpp:bookmarks:1 FULL" */
    char result[640]; /* outcome() */
    char cond[64];    /* "" for a result */
};

struct steps {
    size_t n;
    struct step v[MAX_STEPS];
};

/* Sends an IQ set, logs it; true for a result. */
static bool set(struct xp_session *s, struct steps *log, struct reply *rep,
                const xp_elem *payload, const char *fmt, ...) XP_PRINTF(5, 6);
static bool set(struct xp_session *s, struct steps *log, struct reply *rep,
                const xp_elem *payload, const char *fmt, ...)
{
    struct xp_arena a;
    xp_arena_init(&a, 0);
    ask(s, rep, "set", NULL, payload);
    struct step *st = log->n < MAX_STEPS ? &log->v[log->n++] : NULL;
    va_list ap;
    char what[160];
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    const char *res = outcome(&a, rep);
    printf("     %s -> %s\n", what, res);
    if (st) {
        snprintf(st->what, sizeof st->what, "%s", what);
        snprintf(st->result, sizeof st->result, "%s", res);
        snprintf(st->cond, sizeof st->cond, "%s", rep->cond);
    }
    xp_arena_cleanup(&a);
    return rep->status == XPORTA_OK;
}

static const struct step *step_find(const struct steps *log, const char *what)
{
    for (size_t i = 0; i < log->n; i++)
        if (strcmp(log->v[i].what, what) == 0)
            return &log->v[i];
    return NULL;
}

/* ---- reading an account ---------------------------------------------------
 */

struct server {
    const char *name;   /* prosody | ejabberd */
    const char *prefix; /* PROSODY | EJABBERD in servers.env */
    bool privacy;       /* XEP-0016 */
};

static const struct server servers[] = {
    {"prosody", "PROSODY", false},
    {"ejabberd", "EJABBERD", true},
};

static void add_list(void *ud, const char *name)
{
    struct recs *r = ud;
    if (r->nlists < 16)
        r->lists[r->nlists++] = xp_arena_strdup(&r->arena, name);
}

/* Every kind a client can read, as the export reads it. */
static bool read_account(struct xp_session *s, const struct server *srv,
                         struct recs *r, const char *who)
{
    struct reply rep = {0};
    struct xp_arena a;
    xp_arena_init(&a, 0);
    const char *bare = xp_session_bare(s);
    xporta_status st;
    bool ok = true;
#define READ(call, what)                                                \
    do {                                                                \
        st = (call);                                                    \
        if (st != XPORTA_OK) {                                          \
            CHECK(false, "%s: read %s %s: %s %s", srv->name, who, what, \
                  xporta_status_name(st), outcome(&a, &rep));           \
            ok = false;                                                 \
        }                                                               \
    } while (0)

    const xp_elem *iq = ask(s, &rep, "get", NULL, xp_roster_query(&a));
    READ(iq ? xp_roster_decode(&r->arena, iq, collect, r) : rep.status,
         "roster");
    iq = ask(s, &rep, "get", NULL, xp_vcard_query(&a));
    READ(iq ? xp_vcard_decode(&r->arena, iq, collect, r) : rep.status, "vCard");
    for (size_t i = 0; xp_private_known[i][0]; i++) {
        iq = ask(s, &rep, "get", NULL,
                 xp_private_query(&a, xp_private_known[i][0],
                                  xp_private_known[i][1]));
        READ(iq ? xp_private_decode(&r->arena, iq, collect, r) : rep.status,
             xp_private_known[i][0]);
    }
    iq = ask(s, &rep, "get", NULL, xp_blocklist_query(&a));
    READ(iq ? xp_blocklist_decode(&r->arena, iq, collect, r) : rep.status,
         "blocklist");
    if (srv->privacy) {
        iq = ask(s, &rep, "get", NULL, xp_privacy_names_query(&a));
        READ(iq ? xp_privacy_names_decode(&r->arena, iq, collect, add_list, r)
                : rep.status,
             "privacy names");
        for (size_t i = 0; i < r->nlists; i++) {
            iq = ask(s, &rep, "get", NULL,
                     xp_privacy_list_query(&a, r->lists[i]));
            READ(iq ? xp_privacy_list_decode(&r->arena, iq, collect, r)
                    : rep.status,
                 r->lists[i]);
        }
    }
    iq = ask(s, &rep, "get", NULL, xp_mam_prefs_query(&a));
    READ(iq ? xp_mam_prefs_decode(&r->arena, iq, collect, r) : rep.status,
         "MAM prefs");

    iq = ask(s, &rep, "get", bare, xp_disco_items_query(&a, NULL));
    READ(iq ? xp_disco_pep_nodes(iq, bare, add_node, r) : rep.status,
         "disco#items");
    for (size_t i = 0; i < r->nnodes; i++) {
        const char *node = r->nodes[i];
        iq = ask(s, &rep, "get", bare, xp_pep_configure_query(&a, node));
        READ(iq ? xp_pep_configure_decode(&r->arena, iq, node, collect, r)
                : rep.status,
             xp_arena_printf(&a, "configure %s", node));
        iq = ask(s, &rep, "get", bare, xp_pep_affiliations_query(&a, node));
        READ(iq ? xp_pep_affiliations_decode(&r->arena, iq, node, collect, r)
                : rep.status,
             xp_arena_printf(&a, "affiliations %s", node));
        const char *after = NULL;
        bool complete = false;
        for (int page = 0; page < 100 && !complete; page++) {
            iq = ask(s, &rep, "get", bare,
                     xp_pep_items_query(&a, node, 50, after));
            if (!iq && rep.status == XPORTA_ESTANZA &&
                strcmp(rep.cond, "item-not-found") == 0 && page == 0) {
                /* Prosody's mod_bookmarks answers for storage:bookmarks
                 * from the XEP-0402 node; without one, this: "none". */
                note("%s: %s: items of %s: %s", srv->name, who, node,
                     outcome(&a, &rep));
                r->items_not_found++;
                break;
            }
            const char *last = NULL;
            st = iq ? xp_pep_items_decode(&r->arena, iq, node, collect, r,
                                          &last, &complete)
                    : rep.status;
            READ(st, xp_arena_printf(&a, "items %s", node));
            if (st != XPORTA_OK)
                break;
            after = last ? xp_arena_strdup(&a, last) : NULL;
        }
    }
#undef READ
    xp_arena_cleanup(&rep.arena);
    xp_arena_cleanup(&a);
    return ok;
}

/* ---- restoring ------------------------------------------------------------
 */

enum pep_path {
    PEP_CREATE,  /* create+configure (or configure), publish plain */
    PEP_PUBOPTS, /* publish with publish-options, stepping down */
};

enum {
    DO_ROSTER = 1 << 0,
    DO_VCARD = 1 << 1,
    DO_PRIVATE = 1 << 2,
    DO_BLOCK = 1 << 3,
    DO_PRIVACY = 1 << 4,
    DO_MAM = 1 << 5,
    DO_PEP = 1 << 6,
    DO_ALL = (1 << 7) - 1,
};

struct plan {
    const char *name;
    unsigned what; /* DO_* */
    enum pep_path path;
    bool private_bookmarks; /* restore private storage:bookmarks */
    bool pep_bookmarks;     /* restore the XEP-0402 node */
    bool private_first;     /* private before PEP (else after) */
    bool privacy_first;     /* privacy lists, the first made default,
                               before blocking */
    bool default_after;     /* the first privacy list made default after
                               blocking */
    bool legacy_conflict;   /* private storage:bookmarks is LEGACY_CONFLICT
                               (it disagrees with the XEP-0402 items) */
};

/* Private XEP-0048 bookmarks that disagree with the source's XEP-0402
 * ones: room1 renamed and not autojoined, room2 missing, room3 new. */
#define LEGACY_CONFLICT                                                       \
    "<storage xmlns='storage:bookmarks'><conference jid='room1@{MUC}' "       \
    "name='Room 1 (legacy)' autojoin='false'/><conference jid='room3@{MUC}' " \
    "name='Room 3' autojoin='true'><nick>Ally</nick></conference></storage>"

#define NS_0402 "urn:xmpp:bookmarks:1"
#define NS_0048 "storage:bookmarks"
#define KEY_PRIVATE_0048 "{storage:bookmarks}storage"

/* Never carried by the import: device keys and the move statement. */
static bool node_never(const char *node)
{
    return strncmp(node, "urn:xmpp:omemo:2:", 17) == 0 ||
           strncmp(node, "eu.siacs.conversations.axolotl.", 31) == 0 ||
           strcmp(node, XP_NS_MOVED) == 0;
}

static bool node_restored(const struct plan *p, const char *node)
{
    if (node_never(node))
        return false;
    if (strcmp(node, NS_0402) == 0)
        return p->pep_bookmarks;
    /* Both servers make it from private storage:bookmarks (Prosody via
     * XEP-0402, ejabberd as XEP-0411 says). */
    return strcmp(node, NS_0048) != 0;
}

static bool private_restored(const struct plan *p, const char *key)
{
    return strcmp(key, KEY_PRIVATE_0048) != 0 || p->private_bookmarks;
}

/* Errors after which a smaller configuration may pass. */
static bool step_down(const char *cond)
{
    static const char *const conds[] = {
        "resource-constraint",  "not-acceptable", "conflict",
        "precondition-not-met", "bad-request",    "feature-not-implemented",
        "policy-violation"};
    for (size_t i = 0; i < sizeof conds / sizeof conds[0]; i++)
        if (strcmp(cond, conds[i]) == 0)
            return true;
    return false;
}

static const char *const level_names[] = {"FULL", "SAFE", "ACCESS"};

static bool restore_node(struct xp_session *s, struct steps *log,
                         const struct recs *src, const char *node,
                         enum pep_path path)
{
    struct reply rep = {0};
    struct xp_arena a;
    xp_arena_init(&a, 0);
    const struct rec *cfg = find(src, XPORTA_KIND_PEP_NODE, node, NULL);
    const xp_elem *configure = cfg ? cfg->payload : NULL;
    const char *nc = "http://jabber.org/protocol/pubsub#node_config";
    const char *po = "http://jabber.org/protocol/pubsub#publish-options";
    bool ok = true;
    size_t nitems = count_items(src, node);
    int level = -1; /* publish-options level in use (PEP_PUBOPTS) */

    if (path == PEP_PUBOPTS && nitems > 0) {
        /* The node comes with its first item. */
        const struct rec *first = NULL;
        for (size_t i = 0; i < src->n && !first; i++)
            if (src->v[i].kind == XPORTA_KIND_PEP_ITEM &&
                xp_streq(src->v[i].key, node))
                first = &src->v[i];
        bool done = false;
        for (int l = XP_PEP_CONFIG_FULL; l <= XP_PEP_CONFIG_ACCESS && !done;
             l++) {
            xp_elem *opts =
                xp_pep_config_form(&a, configure, (enum xp_pep_config)l, po);
            if (!opts)
                continue;
            done = set(
                s, log, &rep, xp_pep_publish(&a, node, first->payload, opts),
                "publish %s %s options %s", node, first->id, level_names[l]);
            if (done)
                level = l;
            else if (!step_down(rep.cond))
                break;
        }
        if (!done)
            ok = set(s, log, &rep,
                     xp_pep_publish(&a, node, first->payload, NULL),
                     "publish %s %s plain", node, first->id);
        for (size_t i = 0; i < src->n && ok; i++) {
            const struct rec *r = &src->v[i];
            if (r == first || r->kind != XPORTA_KIND_PEP_ITEM ||
                !xp_streq(r->key, node))
                continue;
            xp_elem *opts =
                level >= 0 ? xp_pep_config_form(&a, configure,
                                                (enum xp_pep_config)level, po)
                           : NULL;
            ok = set(s, log, &rep, xp_pep_publish(&a, node, r->payload, opts),
                     "publish %s %s options %s", node, r->id,
                     level >= 0 ? level_names[level] : "none");
        }
    } else {
        /* Create with the configuration, or configure what exists. */
        bool created = false, exists = false;
        for (int l = XP_PEP_CONFIG_FULL; l <= XP_PEP_CONFIG_ACCESS; l++) {
            xp_elem *form =
                xp_pep_config_form(&a, configure, (enum xp_pep_config)l, nc);
            if (!form)
                continue;
            created = set(s, log, &rep, xp_pep_create(&a, node, form),
                          "create %s %s", node, level_names[l]);
            exists = strcmp(rep.cond, "conflict") == 0;
            if (created || exists || !step_down(rep.cond))
                break;
        }
        if (!created && !exists)
            created = set(s, log, &rep, xp_pep_create(&a, node, NULL),
                          "create %s default", node);
        if (!created && strcmp(rep.cond, "conflict") == 0) {
            bool configured = false;
            for (int l = XP_PEP_CONFIG_FULL; l <= XP_PEP_CONFIG_ACCESS; l++) {
                xp_elem *form = xp_pep_config_form(&a, configure,
                                                   (enum xp_pep_config)l, nc);
                if (!form)
                    continue;
                configured =
                    set(s, log, &rep, xp_pep_configure_set(&a, node, form),
                        "configure %s %s", node, level_names[l]);
                if (configured || !step_down(rep.cond))
                    break;
            }
            ok = configured;
        } else {
            ok = created;
        }
        for (size_t i = 0; i < src->n; i++) {
            const struct rec *r = &src->v[i];
            if (r->kind == XPORTA_KIND_PEP_ITEM && xp_streq(r->key, node))
                ok &= set(s, log, &rep,
                          xp_pep_publish(&a, node, r->payload, NULL),
                          "publish %s %s", node, r->id);
        }
    }
    const struct rec *aff = find(src, XPORTA_KIND_PEP_AFFILIATIONS, node, NULL);
    xp_elem *affs =
        aff ? xp_pep_affiliations_set(&a, node, aff->payload) : NULL;
    if (affs)
        ok &= set(s, log, &rep, affs, "affiliations %s", node);
    xp_arena_cleanup(&rep.arena);
    xp_arena_cleanup(&a);
    return ok;
}

/* Avatar data before its metadata (XEP-0084 §4.2): metadata goes last. */
static int node_rank(const char *node)
{
    return strcmp(node, "urn:xmpp:avatar:metadata") == 0 ? 1 : 0;
}

static void restore_pep(struct xp_session *s, struct steps *log,
                        const struct recs *src, const struct plan *p,
                        const struct server *srv)
{
    for (int rank = 0; rank < 2; rank++)
        for (size_t i = 0; i < src->nnodes; i++) {
            const char *node = src->nodes[i];
            if (node_rank(node) != rank || !node_restored(p, node))
                continue;
            bool ok = restore_node(s, log, src, node, p->path);
            if (!ok)
                note("%s/%s: node %s not fully restored", srv->name, p->name,
                     node);
        }
}

/* XML text -> tree, as the session would read it; {MUC} is the source's
 * MUC service. */
static const char *cur_muc = "";

static const char *expand_muc(struct xp_arena *a, const char *tmpl)
{
    struct xp_buf b;
    xp_buf_init(&b, 1 << 20);
    for (const char *p = tmpl; *p;) {
        if (strncmp(p, "{MUC}", 5) == 0) {
            xp_buf_adds(&b, cur_muc);
            p += 5;
        } else {
            xp_buf_addc(&b, *p++);
        }
    }
    const char *s = xp_arena_strdup(a, xp_buf_str(&b));
    xp_buf_cleanup(&b);
    return s;
}

static xp_elem *parse(struct xp_arena *a, const char *tmpl)
{
    const char *xml = expand_muc(a, tmpl);
    xmpp_stanza_t *st = xmpp_stanza_new_from_string(xctx, xml);
    xp_elem *e = NULL;
    if (!st || xp_stanza_to_elem(a, st, "", &e, NULL) != XPORTA_OK) {
        fprintf(stderr, "restore_live: cannot parse %s\n", xml);
        exit(2);
    }
    xmpp_stanza_release(st);
    return e;
}

static void restore_private(struct xp_session *s, struct steps *log,
                            struct reply *rep, struct xp_arena *a,
                            const struct recs *src, const struct plan *p)
{
    for (size_t i = 0; i < src->n; i++) {
        const struct rec *r = &src->v[i];
        if (r->kind != XPORTA_KIND_PRIVATE || !private_restored(p, r->key) ||
            (p->legacy_conflict && strcmp(r->key, KEY_PRIVATE_0048) == 0))
            continue;
        set(s, log, rep, xp_private_set(a, r->payload), "private %s", r->key);
    }
    if (p->legacy_conflict)
        set(s, log, rep, xp_private_set(a, parse(a, LEGACY_CONFLICT)),
            "private %s (disagreeing)", KEY_PRIVATE_0048);
}

static void restore_privacy(struct xp_session *s, struct steps *log,
                            struct reply *rep, struct xp_arena *a,
                            const struct recs *src, const struct plan *p)
{
    const char *first = NULL;
    for (size_t i = 0; i < src->n; i++) {
        const struct rec *r = &src->v[i];
        if (r->kind != XPORTA_KIND_PRIVACY ||
            !xp_elem_is(r->payload, XP_NS_PRIVACY, "list"))
            continue;
        if (set(s, log, rep, xp_privacy_list_set(a, r->payload), "privacy %s",
                r->key) &&
            !first)
            first = xp_elem_attr_ns(r->payload, "", "name");
    }
    if ((p->privacy_first || p->default_after) && first)
        set(s, log, rep, xp_privacy_default_set(a, first, false),
            "privacy default %s", first);
    for (size_t i = 0; i < src->n; i++) {
        const struct rec *r = &src->v[i];
        bool active = xp_elem_is(r->payload, XP_NS_PRIVACY, "active");
        if (r->kind == XPORTA_KIND_PRIVACY &&
            (active || xp_elem_is(r->payload, XP_NS_PRIVACY, "default")))
            set(s, log, rep,
                xp_privacy_default_set(
                    a, xp_elem_attr_ns(r->payload, "", "name"), active),
                "privacy %s", r->key);
    }
}

static void restore_block(struct xp_session *s, struct steps *log,
                          struct reply *rep, struct xp_arena *a,
                          const struct recs *src)
{
    const char *jids[256];
    size_t n = 0;
    for (size_t i = 0; i < src->n && n < 256; i++)
        if (src->v[i].kind == XPORTA_KIND_BLOCKLIST)
            jids[n++] = src->v[i].key;
    if (n)
        set(s, log, rep, xp_block_set(a, jids, n), "block %zu JIDs", n);
}

static void restore(struct xp_session *s, const struct server *srv,
                    const struct plan *p, const struct recs *src,
                    struct steps *log)
{
    struct reply rep = {0};
    struct xp_arena a;
    xp_arena_init(&a, 0);
    printf("---- %s: restore plan %s into %s\n", srv->name, p->name,
           xp_session_bare(s));
    if (p->what & DO_ROSTER)
        for (size_t i = 0; i < src->n; i++)
            if (src->v[i].kind == XPORTA_KIND_ROSTER)
                set(s, log, &rep, xp_roster_set(&a, src->v[i].payload),
                    "roster %s", src->v[i].key);
    if (p->what & DO_VCARD) {
        const struct rec *v = find(src, XPORTA_KIND_VCARD, "vcard", NULL);
        if (v)
            set(s, log, &rep, xp_vcard_set(&a, v->payload), "vcard");
    }
    if ((p->what & DO_PRIVATE) && p->private_first)
        restore_private(s, log, &rep, &a, src, p);
    if ((p->what & DO_PRIVACY) && p->privacy_first)
        restore_privacy(s, log, &rep, &a, src, p);
    if (p->what & DO_BLOCK)
        restore_block(s, log, &rep, &a, src);
    if ((p->what & DO_PRIVACY) && !p->privacy_first)
        restore_privacy(s, log, &rep, &a, src, p);
    if (p->what & DO_MAM) {
        const struct rec *m = find(src, XPORTA_KIND_MAM_PREFS, "prefs", NULL);
        if (m)
            set(s, log, &rep, xp_mam_prefs_set(&a, m->payload), "mam prefs");
    }
    if (p->what & DO_PEP)
        restore_pep(s, log, src, p, srv);
    if ((p->what & DO_PRIVATE) && !p->private_first)
        restore_private(s, log, &rep, &a, src, p);
    xp_arena_cleanup(&rep.arena);
    xp_arena_cleanup(&a);
}

/* ---- comparing ------------------------------------------------------------
 */

static unsigned kind_flag(xporta_kind k)
{
    switch (k) {
    case XPORTA_KIND_ROSTER:
        return DO_ROSTER;
    case XPORTA_KIND_VCARD:
        return DO_VCARD;
    case XPORTA_KIND_PRIVATE:
        return DO_PRIVATE;
    case XPORTA_KIND_BLOCKLIST:
        return DO_BLOCK;
    case XPORTA_KIND_PRIVACY:
        return DO_PRIVACY;
    case XPORTA_KIND_MAM_PREFS:
        return DO_MAM;
    case XPORTA_KIND_PEP_NODE:
    case XPORTA_KIND_PEP_AFFILIATIONS:
    case XPORTA_KIND_PEP_ITEM:
        return DO_PEP;
    default:
        return 0;
    }
}

static bool is_pep(xporta_kind k)
{
    return k == XPORTA_KIND_PEP_NODE || k == XPORTA_KIND_PEP_AFFILIATIONS ||
           k == XPORTA_KIND_PEP_ITEM;
}

static const char *label(struct xp_arena *a, const struct rec *r)
{
    return xp_arena_printf(a, "%s %s%s%s%s", xp_kind_info(r->kind)->name,
                           r->key, r->id ? " [" : "", r->id ? r->id : "",
                           r->id ? "]" : "");
}

static uint64_t value_hash(const struct rec *r, const char *owner)
{
    xporta_record x;
    memset(&x, 0, sizeof x);
    x.kind = r->kind;
    x.key = r->key;
    x.id = r->id;
    x.payload = r->payload;
    return xfer_value_hash(&x, owner);
}

/* Is the source record one the plan restored? */
static bool restored(const struct plan *p, const struct rec *r)
{
    if (!(kind_flag(r->kind) & p->what))
        return false;
    if (p->legacy_conflict &&
        ((r->kind == XPORTA_KIND_PEP_ITEM && strcmp(r->key, NS_0402) == 0) ||
         (r->kind == XPORTA_KIND_PRIVATE &&
          strcmp(r->key, KEY_PRIVATE_0048) == 0)))
        return false; /* checked by check_bookmarks */
    if (is_pep(r->kind))
        return node_restored(p, r->key);
    if (r->kind == XPORTA_KIND_PRIVATE)
        return private_restored(p, r->key);
    return true;
}

/* Differences the servers are known to make (checked to happen, so a
 * change shows). */
struct known {
    const char *server, *plan;
    xporta_kind kind;
    const char *key, *id; /* {MUC} expanded; NULL: any */
    bool missing;         /* else: differs */
    const char *why;
};

static const struct known knowns[] = {
    {"ejabberd", "pubopts", XPORTA_KIND_PEP_ITEM, NS_0402, "room1@{MUC}", true,
     "publish-options cannot set max_items: the node keeps 1 item"},
    {"ejabberd", "pubopts", XPORTA_KIND_PEP_ITEM, "urn:xmpp:xporta:test",
     "item1", true, "max_items 1 (publish-options)"},
    {"ejabberd", "pubopts", XPORTA_KIND_PEP_ITEM, "urn:xmpp:xporta:test",
     "item2", true, "max_items 1 (publish-options)"},
    {"ejabberd", "privacy-first", XPORTA_KIND_PRIVACY, "list work", NULL, false,
     "mod_blocking puts the blocked JIDs into the default list"},
    {"ejabberd", "default-after", XPORTA_KIND_BLOCKLIST, NULL, NULL, true,
     "the blocklist is the default list's blocking items: with 'work' the "
     "default, the JIDs left in 'Blocked contacts' are not blocked"},
    {"prosody", "cross", XPORTA_KIND_VCARD, "vcard", NULL, false,
     "mod_vcard_legacy makes vCard-temp from vcard4: the source's vcard4, "
     "restored after it, wins (NOTE), and N gets empty parts"},
};

static const struct known *known_diff(const struct server *srv,
                                      const struct plan *p, const struct rec *r)
{
    struct xp_arena a;
    xp_arena_init(&a, 0);
    const struct known *found = NULL;
    for (size_t i = 0; i < sizeof knowns / sizeof knowns[0] && !found; i++) {
        const struct known *k = &knowns[i];
        if (strcmp(k->server, srv->name) == 0 &&
            strcmp(k->plan, p->name) == 0 && k->kind == r->kind &&
            (!k->key || strcmp(k->key, r->key) == 0) &&
            (!k->id || xp_streq(expand_muc(&a, k->id), r->id)))
            found = k;
    }
    xp_arena_cleanup(&a);
    return found;
}

/* The (jid, affiliation) pairs other than owners, as a set. */
static bool same_affiliations(const xp_elem *x, const xp_elem *y)
{
    size_t nx = 0, ny = 0;
    for (const xp_elem *c = xp_elem_first_element(x); c;
         c = xp_elem_next_element(c)) {
        if (xp_streq(xp_elem_attr_ns(c, "", "affiliation"), "owner"))
            continue;
        nx++;
        bool found = false;
        for (const xp_elem *d = xp_elem_first_element(y); d && !found;
             d = xp_elem_next_element(d))
            found = xp_elem_equal(c, d);
        if (!found)
            return false;
    }
    for (const xp_elem *d = xp_elem_first_element(y); d;
         d = xp_elem_next_element(d))
        ny += !xp_streq(xp_elem_attr_ns(d, "", "affiliation"), "owner");
    return nx == ny;
}

/* Equal up to the order of child elements, at every level (a vCard's
 * properties, a XEP-0048 storage's rooms).  Recursion is bounded by the
 * session's depth ceiling. */
static bool same_unordered(const xp_elem *x, const xp_elem *y)
{
    if (!x || !y || !xp_elem_is(x, y->ns, y->name) || x->nattrs != y->nattrs)
        return false;
    for (unsigned i = 0; i < y->nattrs; i++)
        if (!xp_streq(xp_elem_attr_ns(x, y->attrs[i].ns, y->attrs[i].name),
                      y->attrs[i].value))
            return false;
    if (!xp_elem_first_element(x) && !xp_elem_first_element(y))
        return strcmp(xp_elem_text(x), xp_elem_text(y)) == 0;
    size_t nx = 0, ny = 0;
    for (const xp_elem *c = xp_elem_first_element(x); c;
         c = xp_elem_next_element(c), nx++) {
        bool found = false;
        for (const xp_elem *d = xp_elem_first_element(y); d && !found;
             d = xp_elem_next_element(d))
            found = same_unordered(c, d);
        if (!found)
            return false;
    }
    for (const xp_elem *d = xp_elem_first_element(y); d;
         d = xp_elem_next_element(d))
        ny++;
    return nx == ny;
}

/* An affiliations record naming nobody but the owner says what no record
 * says (Prosody lists no owner on the nodes it made). */
static bool owner_only(const xp_elem *affiliations)
{
    for (const xp_elem *c = xp_elem_first_element(affiliations); c;
         c = xp_elem_next_element(c))
        if (!xp_streq(xp_elem_attr_ns(c, "", "affiliation"), "owner"))
            return false;
    return true;
}

/* Every restored source record has its equal on the target: the same
 * xfer_value_hash, or, where that hash is stricter than the data
 * (affiliations: order and the owner entry; XEP-0048 storage: the order
 * of rooms), the same content as a set. */
static void compare(const struct server *srv, const struct plan *p,
                    const struct recs *src, const char *src_owner,
                    const struct recs *dst, const char *dst_owner)
{
    struct xp_arena a;
    xp_arena_init(&a, 0);
    size_t bad = 0, same = 0, as_set = 0, known = 0;
    for (size_t i = 0; i < src->n; i++) {
        const struct rec *r = &src->v[i];
        if (!restored(p, r))
            continue;
        const struct rec *t = find(dst, r->kind, r->key, r->id);
        const struct known *k = known_diff(srv, p, r);
        if (t && value_hash(r, src_owner) == value_hash(t, dst_owner)) {
            same++;
            if (k)
                CHECK(false, "%s/%s: %s: the same (known to differ: %s)",
                      srv->name, p->name, label(&a, r), k->why);
            continue;
        }
        bool set_eq = (r->kind == XPORTA_KIND_PEP_AFFILIATIONS &&
                       (t ? same_affiliations(r->payload, t->payload)
                          : owner_only(r->payload))) ||
                      (t &&
                       (r->kind == XPORTA_KIND_VCARD ||
                        (r->kind == XPORTA_KIND_PRIVATE &&
                         strcmp(r->key, KEY_PRIVATE_0048) == 0)) &&
                       same_unordered(r->payload, t->payload));
        if (set_eq) {
            as_set++;
            note("%s/%s: %s: the same as a set, not by xfer_value_hash "
                 "(%s)",
                 srv->name, p->name, label(&a, r),
                 r->kind == XPORTA_KIND_PEP_AFFILIATIONS
                     ? "order, owner entry"
                     : "order of child elements");
            continue;
        }
        if (k && k->missing == !t) {
            known++;
            CHECK(true, "%s/%s: %s: %s, as known: %s", srv->name, p->name,
                  label(&a, r), t ? "differs" : "missing", k->why);
            continue;
        }
        bad++;
        CHECK(false,
              "%s/%s: %s: %s\n       source: %.300s\n       target: %.300s",
              srv->name, p->name, label(&a, r), t ? "differs" : "missing",
              ser(&a, r->payload), t ? ser(&a, t->payload) : "(none)");
    }
    CHECK(bad == 0,
          "%s/%s: restored records read back: %zu the same, %zu the same "
          "as sets, %zu known differences, %zu wrong",
          srv->name, p->name, same, as_set, known, bad);
    /* What the target has beyond them (server-made nodes, mirrors). */
    for (size_t i = 0; i < dst->n; i++) {
        const struct rec *t = &dst->v[i];
        const struct rec *r = find(src, t->kind, t->key, t->id);
        if (!r || !restored(p, r))
            note("%s/%s: on the target, not restored: %s: %.160s", srv->name,
                 p->name, label(&a, t), ser(&a, t->payload));
    }
    xp_arena_cleanup(&a);
}

/* Item ids of a node in the order read. */
static const char *item_order(struct xp_arena *a, const struct recs *r,
                              const char *node)
{
    const char *s = "";
    for (size_t i = 0; i < r->n; i++)
        if (r->v[i].kind == XPORTA_KIND_PEP_ITEM && xp_streq(r->v[i].key, node))
            s = xp_arena_printf(a, "%s%s%s", s, *s ? " " : "", r->v[i].id);
    return s;
}

/* ---- what each plan shows ------------------------------------------------ */

/* Steps whose outcome is part of the recipe: {server, plan, step, result}
 * (result as outcome() prints it, the server's error text verbatim; a
 * trailing '*' matches any rest). */
static const char *const expect_steps[][4] = {
    /* A node the server made itself is there already: create conflicts
     * (Prosody's mod_vcard_legacy and mod_bookmarks, ejabberd's
     * mod_avatar), configure then succeeds. */
    {"prosody", "recipe", "create urn:xmpp:bookmarks:1 FULL",
     "error cancel/conflict"},
    {"prosody", "recipe", "configure urn:xmpp:bookmarks:1 FULL", "result"},
    {"prosody", "recipe", "create urn:xmpp:vcard4 FULL",
     "error cancel/conflict"},
    {"prosody", "recipe", "configure urn:xmpp:vcard4 FULL", "result"},
    {"prosody", "recipe", "create urn:xmpp:avatar:data FULL",
     "error cancel/conflict"},
    {"prosody", "recipe", "configure urn:xmpp:avatar:data FULL", "result"},
    {"prosody", "recipe", "create urn:xmpp:avatar:metadata FULL",
     "error cancel/conflict"},
    {"prosody", "recipe", "configure urn:xmpp:avatar:metadata FULL", "result"},
    {"prosody", "recipe", "create http://jabber.org/protocol/nick FULL",
     "result"},
    {"prosody", "recipe", "create urn:xmpp:xporta:test FULL", "result"},
    {"prosody", "recipe", "affiliations urn:xmpp:xporta:test", "result"},
    {"ejabberd", "recipe", "create urn:xmpp:avatar:data FULL",
     "error cancel/conflict 'Node already exists'"},
    {"ejabberd", "recipe", "configure urn:xmpp:avatar:data FULL", "result"},
    {"ejabberd", "recipe", "create urn:xmpp:avatar:metadata FULL",
     "error cancel/conflict 'Node already exists'"},
    {"ejabberd", "recipe", "configure urn:xmpp:avatar:metadata FULL", "result"},
    {"ejabberd", "recipe", "create urn:xmpp:bookmarks:1 FULL", "result"},
    {"ejabberd", "recipe", "create urn:xmpp:vcard4 FULL", "result"},
    {"ejabberd", "recipe", "create urn:xmpp:xporta:test FULL", "result"},
    {"ejabberd", "recipe", "affiliations urn:xmpp:xporta:test", "result"},
    /* publish-options: Prosody takes every field for a new node, but an
     * existing node must match them (conflict, not precondition-not-met);
     * ejabberd 23.01 knows only access_model and persist_items. */
    {"prosody", "pubopts",
     "publish http://jabber.org/protocol/nick current options FULL", "result"},
    /* (the field named is the first mismatch in Lua table order, by
     * Prosody's own name: notify_retract, notify_delete, include_payload
     * for deliver_payloads, ...) */
    {"prosody", "pubopts", "publish urn:xmpp:vcard4 current options FULL",
     "error cancel/conflict 'Field does not match: *"},
    {"prosody", "pubopts", "publish urn:xmpp:vcard4 current options SAFE",
     "result"},
    {"prosody", "pubopts", "publish urn:xmpp:xporta:test item1 options FULL",
     "result"},
    {"ejabberd", "pubopts",
     "publish http://jabber.org/protocol/nick current options FULL",
     "error wait/resource-constraint 'Unknown field 'pubsub#max_items' of "
     "type 'http://jabber.org/protocol/pubsub#publish-options''"},
    {"ejabberd", "pubopts",
     "publish http://jabber.org/protocol/nick current options SAFE",
     "error wait/resource-constraint 'Unknown field 'pubsub#max_items' of "
     "type 'http://jabber.org/protocol/pubsub#publish-options''"},
    {"ejabberd", "pubopts",
     "publish http://jabber.org/protocol/nick current options ACCESS",
     "result"},
    {"ejabberd", "pubopts", "publish urn:xmpp:xporta:test item1 options ACCESS",
     "result"},
    {"ejabberd", "privacy-first", "privacy default work", "result"},
};

/* The XEP-0402 bookmarks of an account, sorted by room:
 * "room1:Room 1:true, room2:Room 2:true" (local part, name, autojoin). */
static const char *bookmarks_of(struct xp_arena *a, const struct recs *r)
{
    const char *ids[32];
    const xp_elem *conf[32];
    size_t n = 0;
    for (size_t i = 0; i < r->n && n < 32; i++)
        if (r->v[i].kind == XPORTA_KIND_PEP_ITEM &&
            strcmp(r->v[i].key, NS_0402) == 0) {
            ids[n] = r->v[i].id;
            conf[n++] = xp_elem_child(r->v[i].payload, NS_0402, "conference");
        }
    for (size_t i = 1; i < n; i++)
        for (size_t k = i; k > 0 && strcmp(ids[k - 1], ids[k]) > 0; k--) {
            const char *t = ids[k];
            ids[k] = ids[k - 1];
            ids[k - 1] = t;
            const xp_elem *c = conf[k];
            conf[k] = conf[k - 1];
            conf[k - 1] = c;
        }
    const char *s = "";
    for (size_t i = 0; i < n; i++) {
        const char *name = xp_elem_attr_ns(conf[i], "", "name");
        const char *aj = xp_elem_attr_ns(conf[i], "", "autojoin");
        s = xp_arena_printf(a, "%s%s%.*s:%s:%s", s, i ? ", " : "",
                            (int)strcspn(ids[i], "@"), ids[i], name ? name : "",
                            aj ? aj : "");
    }
    return s;
}

/* The rooms of a XEP-0048 <storage>, sorted, in the same form. */
static const char *legacy_of(struct xp_arena *a, const xp_elem *storage)
{
    struct recs tmp;
    recs_init(&tmp);
    for (const xp_elem *c = xp_elem_first_element(storage); c;
         c = xp_elem_next_element(c)) {
        if (!xp_elem_is(c, NS_0048, "conference"))
            continue;
        xp_elem *item = xp_elem_new(&tmp.arena, XP_NS_PUBSUB, "item");
        xp_elem *conf =
            xp_elem_add_child(&tmp.arena, item, NS_0402, "conference");
        for (unsigned k = 0; k < c->nattrs; k++)
            if (strcmp(c->attrs[k].name, "jid") != 0)
                xp_elem_set_attr(&tmp.arena, conf, "", c->attrs[k].name,
                                 c->attrs[k].value);
        xporta_record rec;
        memset(&rec, 0, sizeof rec);
        rec.kind = XPORTA_KIND_PEP_ITEM;
        rec.key = NS_0402;
        rec.id = xp_elem_attr_ns(c, "", "jid");
        rec.payload = item;
        collect(&tmp, &rec);
    }
    const char *s = bookmarks_of(a, &tmp);
    recs_free(&tmp);
    return s;
}

static bool has_node(const struct recs *r, const char *node)
{
    return find(r, XPORTA_KIND_PEP_NODE, node, NULL) != NULL;
}

static bool has_list(const struct recs *r, const char *name)
{
    for (size_t i = 0; i < r->nlists; i++)
        if (strcmp(r->lists[i], name) == 0)
            return true;
    return false;
}

struct target {
    const struct plan *plan;
    const char *jid;
    struct recs before; /* the fresh account */
    struct recs after;
    struct steps log;
};

/* What the servers do beyond "the same data comes back". */
static void check_plan(const struct server *srv, const struct target *t,
                       const struct recs *src)
{
    struct xp_arena a;
    xp_arena_init(&a, 0);
    const char *plan = t->plan->name;
    const struct recs *dst = &t->after;
    bool prosody = strcmp(srv->name, "prosody") == 0;
    for (size_t i = 0; i < sizeof expect_steps / sizeof expect_steps[0]; i++) {
        if (strcmp(expect_steps[i][0], srv->name) != 0 ||
            strcmp(expect_steps[i][1], plan) != 0)
            continue;
        const struct step *st = step_find(&t->log, expect_steps[i][2]);
        const char *want = expect_steps[i][3];
        size_t n = strlen(want);
        bool prefix = n > 0 && want[n - 1] == '*';
        CHECK(st && (prefix ? strncmp(st->result, want, n - 1) == 0
                            : strcmp(st->result, want) == 0),
              "%s/%s: %s -> %s", srv->name, plan, expect_steps[i][2],
              st ? st->result : "(not sent)");
    }
    const char *src_bm = bookmarks_of(&a, src);
    const char *dst_bm = bookmarks_of(&a, dst);
    const struct rec *priv =
        find(dst, XPORTA_KIND_PRIVATE, KEY_PRIVATE_0048, NULL);
    const char *dst_legacy = priv ? legacy_of(&a, priv->payload) : "";

    if (strcmp(plan, "recipe") == 0) {
        /* Subscriptions do not come with a roster set. */
        size_t none = 0, items = 0;
        for (size_t i = 0; i < dst->n; i++) {
            if (dst->v[i].kind != XPORTA_KIND_ROSTER)
                continue;
            items++;
            none +=
                xp_streq(xp_elem_attr_ns(dst->v[i].payload, "", "subscription"),
                         "none") &&
                !xp_elem_attr_ns(dst->v[i].payload, "", "ask");
        }
        CHECK(items == 5 && none == 5,
              "%s/recipe: %zu roster items, %zu with subscription none and "
              "no ask",
              srv->name, items, none);
        CHECK(strcmp(item_order(&a, src, NS_0402),
                     item_order(&a, dst, NS_0402)) == 0 &&
                  strcmp(item_order(&a, src, "urn:xmpp:xporta:test"),
                         item_order(&a, dst, "urn:xmpp:xporta:test")) == 0,
              "%s/recipe: items come back in the order read: %s", srv->name,
              item_order(&a, dst, "urn:xmpp:xporta:test"));
        if (prosody)
            CHECK(strcmp(dst_legacy, dst_bm) == 0,
                  "prosody/recipe: private storage:bookmarks mirrors "
                  "XEP-0402: %s",
                  dst_legacy);
        else
            CHECK(has_list(dst, XP_EJABBERD_BLOCKLIST) &&
                      !find(dst, XPORTA_KIND_PRIVACY, "default", NULL),
                  "ejabberd/recipe: the block made '%s' (the default, which "
                  "the blocklist kind carries)",
                  XP_EJABBERD_BLOCKLIST);
    } else if (strcmp(plan, "pubopts") == 0 && !prosody) {
        CHECK(strcmp(dst_bm, "room2:Room 2:true") == 0,
              "ejabberd/pubopts: publish-options leave max_items at 1: "
              "XEP-0402 bookmarks %s",
              dst_bm);
    } else if (strcmp(plan, "vcard-only") == 0) {
        /* The vCard alone makes PEP nodes. */
        bool v4 = has_node(dst, "urn:xmpp:vcard4");
        bool av = has_node(dst, "urn:xmpp:avatar:data") &&
                  has_node(dst, "urn:xmpp:avatar:metadata") &&
                  count_items(dst, "urn:xmpp:avatar:data") == 1 &&
                  count_items(dst, "urn:xmpp:avatar:metadata") == 1;
        CHECK(av && v4 == prosody,
              "%s/vcard-only: a vCard set made the avatar nodes%s", srv->name,
              prosody ? " and vcard4 (mod_vcard_legacy)" : " (mod_avatar)");
        const struct rec *sa = NULL, *ta = NULL;
        for (size_t i = 0; i < src->n && !sa; i++)
            if (src->v[i].kind == XPORTA_KIND_PEP_ITEM &&
                strcmp(src->v[i].key, "urn:xmpp:avatar:data") == 0)
                sa = &src->v[i];
        if (sa)
            ta = find(dst, XPORTA_KIND_PEP_ITEM, sa->key, sa->id);
        CHECK(ta && value_hash(sa, NULL) == value_hash(ta, NULL),
              "%s/vcard-only: the avatar data item is the source's (same "
              "SHA-1 id and data)",
              srv->name);
    } else if (strcmp(plan, "bm-legacy") == 0) {
        CHECK(strcmp(dst_bm, src_bm) == 0,
              "prosody/bm-legacy: private storage:bookmarks alone made the "
              "XEP-0402 items %s",
              dst_bm);
    } else if (strcmp(plan, "bm-conflict") == 0 ||
               strcmp(plan, "bm-conflict-rev") == 0) {
        bool rev = strcmp(plan, "bm-conflict-rev") == 0;
        const char *want;
        if (!prosody)
            want = "room1:Room 1:true, room2:Room 2:true";
        else if (!rev)
            want = "room1:Room 1 (legacy):false, room3:Room 3:true";
        else
            want = "room1:Room 1:true, room2:Room 2:true, room3:Room 3:true";
        CHECK(strcmp(dst_bm, want) == 0, "%s/%s: XEP-0402 bookmarks: %s",
              srv->name, plan, dst_bm);
        const char *legacy = legacy_of(&a, parse(&a, LEGACY_CONFLICT));
        CHECK(strcmp(dst_legacy, prosody ? dst_bm : legacy) == 0,
              "%s/%s: private storage:bookmarks: %s", srv->name, plan,
              dst_legacy);
        /* ejabberd mirrors private XEP-0048 into the PEP node (XEP-0411),
         * not into XEP-0402; Prosody derives the node from XEP-0402. */
        const struct rec *node =
            find(dst, XPORTA_KIND_PEP_ITEM, NS_0048, "current");
        const char *mirror =
            node ? legacy_of(&a,
                             xp_elem_child(node->payload, NS_0048, "storage"))
                 : "(none)";
        CHECK(strcmp(mirror, prosody ? dst_bm : legacy) == 0,
              "%s/%s: PEP storage:bookmarks: %s", srv->name, plan, mirror);
        if (!prosody) {
            const struct rec *v = find(dst, XPORTA_KIND_VCARD, "vcard", NULL);
            CHECK(v && xp_elem_child(v->payload, XP_NS_VCARD, "PHOTO") &&
                      !xp_elem_child(v->payload, XP_NS_VCARD, "FN"),
                  "ejabberd/%s: the avatar publish made a vCard with the "
                  "PHOTO only (mod_avatar)",
                  plan);
        }
    } else if (strcmp(plan, "default-after") == 0) {
        size_t blocked = 0;
        for (size_t i = 0; i < dst->n; i++)
            blocked += dst->v[i].kind == XPORTA_KIND_BLOCKLIST;
        const struct rec *def = find(dst, XPORTA_KIND_PRIVACY, "default", NULL);
        CHECK(blocked == 0 && has_list(dst, XP_EJABBERD_BLOCKLIST) && def &&
                  xp_streq(xp_elem_attr_ns(def->payload, "", "name"), "work"),
              "ejabberd/default-after: 'work' made the default after the "
              "block: '%s' stays, the blocklist reads %zu JIDs",
              XP_EJABBERD_BLOCKLIST, blocked);
    } else if (strcmp(plan, "privacy-first") == 0) {
        const struct rec *work =
            find(dst, XPORTA_KIND_PRIVACY, "list work", NULL);
        size_t denied = 0;
        for (const xp_elem *it = work ? xp_elem_first_element(work->payload)
                                      : NULL;
             it; it = xp_elem_next_element(it))
            denied += xp_streq(xp_elem_attr_ns(it, "", "order"), "0") &&
                      xp_streq(xp_elem_attr_ns(it, "", "action"), "deny");
        CHECK(denied == 2 && !has_list(dst, XP_EJABBERD_BLOCKLIST),
              "ejabberd/privacy-first: the block went into the default list "
              "'work' (%zu deny items of order 0), no '%s'",
              denied, XP_EJABBERD_BLOCKLIST);
    }
    if (prosody)
        CHECK(t->before.items_not_found == 1,
              "prosody/%s: a fresh account lists storage:bookmarks, whose "
              "items get item-not-found",
              plan);
    xp_arena_cleanup(&a);
}

/* ---- the run ------------------------------------------------------------- */

static const char *users[] = {"alice", "bob",   "carol", "dave",
                              "erin",  "frank", "grace"};

static bool adduser(const struct server *srv, const char *script,
                    const char *jid, const char *pass)
{
    char *add[] = {(char *)"bash",
                   (char *)script,
                   (char *)"adduser",
                   (char *)srv->name,
                   (char *)jid,
                   (char *)pass,
                   NULL};
    int rc = xpt_run(add);
    if (rc != 0)
        CHECK(false, "%s: adduser %s: exit %d", srv->name, jid, rc);
    return rc == 0;
}

static bool fill(const struct server *srv, const char *script,
                 const char *populate, const char *scenarios, const char *run,
                 const char *pass, const char *domain)
{
    char env[4096], scen[4096], argbuf[8][256], jid[256];
    char *argv[16];
    int n = 0;
    snprintf(env, sizeof env, "%s/servers.env",
             xpt_vars_get(&vars, "SERVERS_DIR"));
    for (size_t i = 0; i < 7; i++) {
        snprintf(jid, sizeof jid, "%s-%s@%s", run, users[i], domain);
        if (!adduser(srv, script, jid, pass))
            return false;
    }
    snprintf(scen, sizeof scen, "%s/fill-%s.xml", scenarios, srv->name);
    argv[n++] = (char *)populate;
    argv[n++] = env;
    argv[n++] = scen;
    for (size_t i = 0; i < 7; i++) {
        char upper[16];
        size_t k = 0;
        for (; users[i][k]; k++)
            upper[k] = (char)(users[i][k] - 'a' + 'A');
        upper[k] = '\0';
        snprintf(argbuf[i], sizeof argbuf[i], "%s=%s-%s", upper, run, users[i]);
        argv[n++] = argbuf[i];
    }
    snprintf(argbuf[7], sizeof argbuf[7], "PASS=%s", pass);
    argv[n++] = argbuf[7];
    argv[n] = NULL;
    int rc = xpt_run(argv);
    CHECK(rc == 0, "%s: xp_populate %s: exit %d", srv->name, scen, rc);
    if (rc != 0)
        return false;
    /* Then the extra PEP nodes, on the same account. */
    snprintf(scen, sizeof scen, "%s/restore-extra.xml", scenarios);
    snprintf(argbuf[3], sizeof argbuf[3], "DOMAIN=%s", domain);
    argv[3] = argbuf[0]; /* ALICE */
    argv[4] = argbuf[1]; /* BOB */
    argv[5] = argbuf[2]; /* CAROL */
    argv[6] = argbuf[3]; /* DOMAIN */
    argv[7] = argbuf[7]; /* PASS */
    argv[8] = NULL;
    rc = xpt_run(argv);
    CHECK(rc == 0, "%s: xp_populate %s: exit %d", srv->name, scen, rc);
    return rc == 0;
}

static struct xp_session *login(const struct server *srv, const char *jid,
                                const char *pass, const char *port)
{
    struct xp_session_opts o;
    struct xp_session *s = NULL;
    struct xp_err err;
    memset(&o, 0, sizeof o);
    o.jid = jid;
    o.password = pass;
    o.host = "127.0.0.1";
    o.port = (unsigned short)atoi(port);
    o.cafile = xpt_vars_get(&vars, "TEST_CAFILE");
    o.resource = "restore";
    xp_err_clear(&err);
    xporta_status st = xp_session_open(&s, &o, &err);
    if (st != XPORTA_OK)
        CHECK(false, "%s: login as %s: %s %s", srv->name, jid,
              xporta_status_name(st), xp_err_msg(&err));
    return s;
}

/* The plans, by server. */
static const struct plan plan_recipe = {.name = "recipe",
                                        .what = DO_ALL,
                                        .path = PEP_CREATE,
                                        .private_bookmarks = true,
                                        .pep_bookmarks = true,
                                        .private_first = true};
static const struct plan plan_pubopts = {.name = "pubopts",
                                         .what = DO_ALL,
                                         .path = PEP_PUBOPTS,
                                         .private_bookmarks = true,
                                         .pep_bookmarks = true,
                                         .private_first = true};
static const struct plan plan_cross = {.name = "cross",
                                       .what = DO_ALL,
                                       .path = PEP_CREATE,
                                       .private_bookmarks = true,
                                       .pep_bookmarks = true,
                                       .private_first = true};
static const struct plan plan_vcard_only = {
    .name = "vcard-only", .what = DO_VCARD, .path = PEP_CREATE};
static const struct plan plan_bm_legacy = {.name = "bm-legacy",
                                           .what = DO_PRIVATE,
                                           .path = PEP_CREATE,
                                           .private_bookmarks = true};
static const struct plan plan_bm_both = {.name = "bm-both",
                                         .what = DO_PRIVATE | DO_PEP,
                                         .path = PEP_CREATE,
                                         .private_bookmarks = true,
                                         .pep_bookmarks = true};
static const struct plan plan_bm_conflict = {.name = "bm-conflict",
                                             .what = DO_PRIVATE | DO_PEP,
                                             .path = PEP_CREATE,
                                             .private_bookmarks = true,
                                             .pep_bookmarks = true,
                                             .legacy_conflict = true};
static const struct plan plan_bm_conflict_rev = {.name = "bm-conflict-rev",
                                                 .what = DO_PRIVATE | DO_PEP,
                                                 .path = PEP_CREATE,
                                                 .private_bookmarks = true,
                                                 .pep_bookmarks = true,
                                                 .private_first = true,
                                                 .legacy_conflict = true};
static const struct plan plan_default_after = {.name = "default-after",
                                               .what = DO_BLOCK | DO_PRIVACY,
                                               .path = PEP_CREATE,
                                               .default_after = true};
static const struct plan plan_privacy_first = {.name = "privacy-first",
                                               .what = DO_BLOCK | DO_PRIVACY,
                                               .path = PEP_CREATE,
                                               .privacy_first = true};

struct env {
    const char *script, *populate, *scenarios, *run, *pass;
};

/* A server's settings from servers.env. */
struct place {
    const char *domain, *domain2, *port, *muc;
};

static bool place_of(const struct server *srv, struct place *pl)
{
    char key[64];
    snprintf(key, sizeof key, "%s_DOMAIN", srv->prefix);
    pl->domain = xpt_vars_get(&vars, key);
    snprintf(key, sizeof key, "%s_DOMAIN2", srv->prefix);
    pl->domain2 = xpt_vars_get(&vars, key);
    snprintf(key, sizeof key, "%s_PORT", srv->prefix);
    pl->port = xpt_vars_get(&vars, key);
    snprintf(key, sizeof key, "%s_MUC", srv->prefix);
    pl->muc = xpt_vars_get(&vars, key);
    if (pl->domain && pl->domain2 && pl->port && pl->muc)
        return true;
    CHECK(false, "%s: servers.env lacks the domains, port or MUC", srv->name);
    return false;
}

struct source {
    const struct server *srv;
    struct place pl;
    struct recs recs;
    const char *owner;
    bool ok;
};

/* Fills RUN-alice@DOMAIN and reads it. */
static void prepare_source(const struct server *srv, const struct env *env,
                           struct source *src)
{
    char jid[256];
    memset(src, 0, sizeof *src);
    src->srv = srv;
    recs_init(&src->recs);
    if (!place_of(srv, &src->pl) ||
        !fill(srv, env->script, env->populate, env->scenarios, env->run,
              env->pass, src->pl.domain))
        return;
    snprintf(jid, sizeof jid, "%s-alice@%s", env->run, src->pl.domain);
    struct xp_session *s = login(srv, jid, env->pass, src->pl.port);
    if (!s)
        return;
    bool ok = read_account(s, srv, &src->recs, "source");
    src->owner = xp_arena_strdup(&src->recs.arena, xp_session_bare(s));
    xp_session_close(s);
    CHECK(ok && src->recs.n > 20,
          "%s: source %s read: %zu records, %zu PEP nodes", srv->name,
          src->owner, src->recs.n, src->recs.nnodes);
    src->ok = ok;
}

/* Restores `src` into a fresh RUN-NAME@DOMAIN2 of `srv` by plan `p`. */
static void run_plan(const struct server *srv, const struct env *env,
                     const struct source *src, const struct plan *p,
                     const char *name)
{
    struct place pl;
    char jid[256];
    struct target t;
    if (!place_of(srv, &pl))
        return;
    memset(&t, 0, sizeof t);
    recs_init(&t.before);
    recs_init(&t.after);
    /* What the target server has no protocol for is not restored. */
    struct plan eff = *p;
    if (!srv->privacy)
        eff.what &= ~(unsigned)DO_PRIVACY;
    t.plan = &eff;
    snprintf(jid, sizeof jid, "%s-%s@%s", env->run, name, pl.domain2);
    t.jid = jid;
    cur_muc = src->pl.muc;
    struct xp_session *s = NULL;
    if (adduser(srv, env->script, t.jid, env->pass))
        s = login(srv, t.jid, env->pass, pl.port);
    if (s) {
        read_account(s, srv, &t.before, "fresh target");
        for (size_t i = 0; i < t.before.n; i++)
            note("%s/%s: a fresh account has %s %s", srv->name, p->name,
                 xp_kind_info(t.before.v[i].kind)->name, t.before.v[i].key);
        restore(s, srv, &eff, &src->recs, &t.log);
        xp_session_close(s);
        /* Read back over a new session, as verify would. */
        s = login(srv, t.jid, env->pass, pl.port);
    }
    if (s) {
        read_account(s, srv, &t.after, "target");
        compare(srv, &eff, &src->recs, src->owner, &t.after,
                xp_session_bare(s));
        xp_session_close(s);
        check_plan(srv, &t, &src->recs);
    }
    note("%s: target %s (password %s)", srv->name, t.jid, env->pass);
    recs_free(&t.before);
    recs_free(&t.after);
}

static void run_server(const struct server *srv, const struct env *env,
                       const struct source *src)
{
    const struct plan *plans[16];
    size_t nplans = 0;
    plans[nplans++] = &plan_recipe;
    plans[nplans++] = &plan_pubopts;
    plans[nplans++] = &plan_vcard_only;
    if (strcmp(srv->name, "prosody") == 0) {
        plans[nplans++] = &plan_bm_legacy;
        plans[nplans++] = &plan_bm_both;
    } else {
        plans[nplans++] = &plan_privacy_first;
        plans[nplans++] = &plan_default_after;
    }
    plans[nplans++] = &plan_bm_conflict;
    plans[nplans++] = &plan_bm_conflict_rev;
    for (size_t i = 0; i < nplans; i++)
        run_plan(srv, env, src, plans[i], plans[i]->name);
}

static bool installed(void)
{
    return (access("/usr/bin/prosody", X_OK) == 0 ||
            access("/usr/local/bin/prosody", X_OK) == 0) &&
           (access("/usr/sbin/ejabberdctl", X_OK) == 0 ||
            access("/usr/bin/ejabberdctl", X_OK) == 0);
}

int main(int argc, char **argv)
{
    char err[512], env[4096], run[48], pass[64];
    if (argc != 5) {
        fprintf(stderr, "usage: restore_live SERVERS_SCRIPT SERVERS_DIR "
                        "XP_POPULATE SCENARIO_DIR\n");
        return 2;
    }
    if (!installed()) {
        printf("skip: prosody and ejabberd are needed\n");
        return 77;
    }
    snprintf(env, sizeof env, "%s/servers.env", argv[2]);
    xpt_vars_init(&vars);
    if (!xpt_vars_load_env(&vars, env, err, sizeof err)) {
        fprintf(stderr,
                "restore_live: %s (the servers.start fixture did not run?)\n",
                err);
        return 1;
    }
    setenv("XPORTA_SERVERS_DIR", argv[2], 1);
    snprintf(run, sizeof run, "r%lx%lx", (unsigned long)time(NULL),
             (unsigned long)getpid());
    snprintf(pass, sizeof pass, "pw-%s", run);
    xctx = xmpp_ctx_new(NULL, NULL);
    struct env e = {argv[1], argv[3], argv[4], run, pass};
    enum { NSERVERS = sizeof servers / sizeof servers[0] };
    static struct source sources[NSERVERS];
    for (size_t i = 0; i < NSERVERS; i++)
        prepare_source(&servers[i], &e, &sources[i]);
    for (size_t i = 0; i < NSERVERS; i++)
        if (sources[i].ok)
            run_server(&servers[i], &e, &sources[i]);
    /* Across servers: each source into the other server, by the recipe. */
    for (size_t i = 0; i < NSERVERS; i++)
        if (sources[i].ok)
            run_plan(&servers[(i + 1) % NSERVERS], &e, &sources[i], &plan_cross,
                     "cross");
    for (size_t i = 0; i < NSERVERS; i++)
        recs_free(&sources[i].recs);
    xmpp_ctx_free(xctx);
    xpt_vars_free(&vars);
    printf("%d checks, %d failed\n", checks, failures);
    return failures ? 1 : 0;
}
