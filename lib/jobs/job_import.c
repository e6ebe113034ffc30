/*
 * The import job: one user's records from a XEP-0227 file into a live
 * account.  Also the second half of migrate (job_migrate.c).
 *
 * Design note.  Five passes, each one stream:
 *
 *   1. scan    the source file is read once.  The chosen user's records
 *              are renamed (the user's own JID becomes the target's; other
 *              JIDs stay unless a host rename says otherwise) and sorted:
 *              restorable ones go to a spool (STATE/source.xml, a compact
 *              XEP-0227 file), skipped and not restorable ones are only
 *              counted.  Later passes read the spool, never a source that
 *              may hold gigabytes of archive.
 *   2. target  the target's small kinds are read (with the private XML
 *              namespaces the source uses) into a map from record identity
 *              to value signature (lib/transfer's xfer_key_hash and
 *              xfer_value_hash: "the same data" as xporta diff means it).
 *   3. plan    the spool is streamed against the map: one action per
 *              record (add, same, conflict kept or replaced, skip).  The
 *              plan is saved (STATE/plan) before anything is written, so a
 *              resumed run carries out the same plan even though the target
 *              has changed under it, and its report stays true.
 *   4. write   the spool is streamed twice: stage 1 writes what others
 *              depend on (roster, vCard, private XML, privacy lists,
 *              blocklist, PEP nodes, MAM preferences), stage 2 the rest
 *              (the default privacy list, PEP affiliations and items).
 *              Requests are pipelined; each record is journaled as done
 *              once the server confirmed it.  Every write here may be
 *              repeated (a roster set, a publish with its item id, a node
 *              configuration), so a crash between the server's answer and
 *              the journal line costs one repeat, never a duplicate.
 *   5. verify  the target is read again and diffed with the spool.
 *
 * A dry run is passes 1-3 with the spool in a private temporary directory.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../pie/pie.h"
#include "../transfer/xfer.h"
#include "../transfer/xfer_diff.h"
#include "../xmpp/xmpp_kinds.h"
#include "jobs_p.h"

#define PLAN_MAGIC "xporta-import-plan 1"
#define FORM_NODE_CONFIG "http://jabber.org/protocol/pubsub#node_config"

enum {
    WINDOW_PER_PARALLEL = 8, /* requests in flight per --parallel step */
    WRITE_TIMEOUT_MS = 60000,
};

/* What the client can write back. */
#define RESTORABLE                                                         \
    ((1u << XPORTA_KIND_ROSTER) | (1u << XPORTA_KIND_VCARD) |              \
     (1u << XPORTA_KIND_PRIVATE) | (1u << XPORTA_KIND_PRIVACY) |           \
     (1u << XPORTA_KIND_BLOCKLIST) | (1u << XPORTA_KIND_PEP_NODE) |        \
     (1u << XPORTA_KIND_PEP_AFFILIATIONS) | (1u << XPORTA_KIND_PEP_ITEM) | \
     (1u << XPORTA_KIND_MAM_PREFS))

/* Flags kept per PEP node of the target. */
enum {
    NODE_SINGLETON = 1, /* max_items 1: a publish replaces what is there */
    NODE_HAS_ITEM = 2,
};

struct op;

struct imp {
    xporta_job *j;
    const char *spool;  /* the restorable records, renamed */
    const char *target; /* the target's bare JID */
    struct xfer_journal *jr;
    struct live l;
    bool have_session;
    /* pass 2 */
    struct xp_map tmap;  /* key hash -> value hash */
    struct xp_map nodes; /* node key hash -> NODE_* */
    bool t_prefs_trivial;
    bool src_bookmarks; /* the source has private storage:bookmarks */
    bool src_vcard;
    uint64_t src_vcard_value;
    bool vcard_kept; /* the target's own vCard stays */
    xporta_kind_state tstate[XPORTA_KIND_COUNT];
    char *tnote[XPORTA_KIND_COUNT]; /* why, for kinds that failed */
    /* pass 3 */
    struct xp_map todo;    /* key hash -> XPORTA_ACTION_ADD or _REPLACE */
    struct xp_set kept;    /* conflicts left as the target has them */
    struct xp_set scanned; /* key hashes of the records spooled */
    struct xp_set failed;
    struct xp_set failed_nodes; /* live_node_key of nodes not created */
    /* pass 4 */
    struct op *ops;
    unsigned nops;
    unsigned inflight;
    uint64_t total, done;
    uint64_t done_before; /* of `done`: journaled by an earlier run */
    double t_write;
    bool partial_config; /* a node kept fewer settings than the source */
};

/* ---- small helpers --------------------------------------------------------
 */

static void act(struct imp *m, xporta_action a, xporta_kind k, const char *key,
                const char *id, const char *why)
{
    if (m->j->action)
        m->j->action(m->j->action_ud, a, k, key, id, why);
}

static bool is_pep_kind(xporta_kind k)
{
    return k == XPORTA_KIND_PEP_NODE || k == XPORTA_KIND_PEP_ITEM ||
           k == XPORTA_KIND_PEP_AFFILIATIONS ||
           k == XPORTA_KIND_PEP_SUBSCRIPTIONS;
}

static bool is_omemo_node(const char *node)
{
    return strncmp(node, "eu.siacs.conversations.axolotl.", 31) == 0 ||
           strncmp(node, "urn:xmpp:omemo:", 15) == 0;
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

/* Affiliations that say only "the account owns its node" (ejabberd lists
 * them for every node, Prosody for none). */
static bool owner_only(const xp_elem *affiliations)
{
    for (const xp_elem *a = xp_elem_first_element(affiliations); a;
         a = xp_elem_next_element(a))
        if (!xp_streq(xporta_elem_attr(a, "affiliation"), "owner"))
            return false;
    return true;
}

/* Why a record is left out on purpose, or NULL. */
static const char *skip_reason(const xporta_job *j, const xporta_record *rec)
{
    if (rec->kind == XPORTA_KIND_PEP_NODE ||
        rec->kind == XPORTA_KIND_PEP_ITEM ||
        rec->kind == XPORTA_KIND_PEP_AFFILIATIONS ||
        rec->kind == XPORTA_KIND_PEP_SUBSCRIPTIONS) {
        if (is_omemo_node(rec->key) && !(j->include & XPORTA_INCLUDE_OMEMO))
            return "OMEMO keys belong to the old account's devices "
                   "(--include-omemo to copy them)";
        if (strcmp(rec->key, XP_NS_MOVED) == 0 &&
            !(j->include & XPORTA_INCLUDE_MOVED))
            return "the moved notice belongs to the old account "
                   "(--include-moved to copy it)";
    }
    if (rec->kind == XPORTA_KIND_PRIVACY && strcmp(rec->key, "active") == 0)
        return "the active privacy list is chosen per session";
    if (rec->kind == XPORTA_KIND_PRIVATE && rec->payload &&
        !has_content(rec->payload))
        return "empty: there is nothing to store";
    return NULL;
}

static const char *not_restorable_reason(xporta_kind k)
{
    switch (k) {
    case XPORTA_KIND_CREDENTIALS:
        return "a client cannot set stored credentials; the target's "
               "password is the one you log in with";
    case XPORTA_KIND_PENDING:
        return "subscription requests come from the contacts; with XEP-0283 "
               "(xporta announce) they follow the move";
    case XPORTA_KIND_PEP_SUBSCRIPTIONS:
        return "subscriptions belong to the subscribers";
    case XPORTA_KIND_OFFLINE:
    case XPORTA_KIND_ARCHIVE:
        return "only the server can store messages; they stay in the file "
               "for a server-side import";
    case XPORTA_KIND_OTHER:
        return "unknown to xporta; kept in the file";
    default:
        return "a client cannot write this kind";
    }
}

/* A node configuration's value for `var`, or NULL. */
static const char *form_value(const xp_elem *configure, const char *var)
{
    const xp_elem *x = xp_elem_child(configure, XP_NS_DATA, "x");
    for (const xp_elem *f = x ? xp_elem_first_element(x) : NULL; f;
         f = xp_elem_next_element(f))
        if (xp_elem_is(f, XP_NS_DATA, "field") &&
            xp_streq(xporta_elem_attr(f, "var"), var))
            return xp_elem_child_text(f, XP_NS_DATA, "value");
    return NULL;
}

static bool form_field_is(const xp_elem *configure, const char *var,
                          const char *value)
{
    return xp_streq(form_value(configure, var), value);
}

/* MAM preferences that are only the server's default (no JIDs listed). */
static bool prefs_trivial(const xp_elem *prefs)
{
    /* default='never' is a choice (archiving off), not a default. */
    if (xp_streq(xporta_elem_attr(prefs, "default"), "never"))
        return false;
    for (const xp_elem *c = xp_elem_first_element(prefs); c;
         c = xp_elem_next_element(c))
        if (xp_elem_first_element(c))
            return false;
    return true;
}

static uint64_t rec_key(xporta_kind kind, const char *key, const char *id)
{
    xporta_record r;
    memset(&r, 0, sizeof r);
    r.kind = kind;
    r.key = key;
    r.id = id;
    return xfer_key_hash(&r);
}

/* ---- pass 1: scan ----------------------------------------------------------
 */

struct scan {
    struct imp *m;
    xporta_pie_writer *w;
    xporta_filter *f;
    const char *want; /* --user, or NULL */
    char user[3100];  /* user@host of the chosen user (RFC 7622: 3071) */
    bool in_user, chosen, done_user;
    unsigned users;
    char also[256]; /* a second user that --user NAME (no host) matches */
    char others[5][256];
    uint64_t size;
};

/* Whether the file's user `local`@`host` is --user `want`: user@host
 * (the host in any case), or a bare user name on any host. */
static bool user_wanted(const char *local, const char *host, const char *want)
{
    const char *at = strchr(want, '@');
    size_t n = at ? (size_t)(at - want) : strlen(want);
    if (strlen(local) != n || strncmp(local, want, n) != 0)
        return false;
    return !at || strcasecmp(host, at + 1) == 0;
}

static xporta_status scan_open_user(struct scan *sc, xporta_pie_reader *r)
{
    xporta_job *j = sc->m->j;
    snprintf(sc->user, sizeof sc->user, "%s@%s", xporta_pie_reader_user(r),
             xporta_pie_reader_host(r));
    xporta_status st = xporta_filter_new(&sc->f);
    if (st != XPORTA_OK)
        return xp_fail(&j->err, st, "out of memory");
    st = xporta_filter_rename_account(sc->f, sc->user, sc->m->target);
    for (size_t i = 0; st == XPORTA_OK && i + 1 < j->nrenames; i += 2)
        st = xporta_filter_rename_host(sc->f, j->renames[i], j->renames[i + 1]);
    if (st != XPORTA_OK)
        return xp_fail(&j->err, st, "renaming %s: %s", sc->user,
                       xporta_filter_error(sc->f));
    const char *at = strchr(sc->m->target, '@');
    char local[1100];
    snprintf(local, sizeof local, "%.*s", (int)(at - sc->m->target),
             sc->m->target);
    if (xporta_pie_writer_begin_host(sc->w, at + 1) != XPORTA_OK ||
        xporta_pie_writer_begin_user(sc->w, local, NULL) != XPORTA_OK)
        return xp_fail(&j->err, XPORTA_EIO, "%s",
                       xporta_pie_writer_error(sc->w));
    return XPORTA_OK;
}

static xporta_status scan_record(struct scan *sc, xporta_record *rec)
{
    struct imp *m = sc->m;
    xporta_job *j = m->j;
    if (!(j->kinds & (1u << rec->kind)))
        return XPORTA_OK;
    bool keep = true;
    if (xporta_filter_record(sc->f, rec, &keep) != XPORTA_OK)
        return xp_fail(&j->err, XPORTA_EFORMAT, "%s:%lu:%lu: %s",
                       rec->file ? rec->file : "", rec->line, rec->col,
                       xporta_filter_error(sc->f));
    if (!keep)
        return XPORTA_OK;
    /* "The account owns its node" is no data (ejabberd lists it for every
     * node, Prosody for none). */
    if (rec->kind == XPORTA_KIND_PEP_AFFILIATIONS && rec->payload &&
        owner_only(rec->payload))
        return XPORTA_OK;
    xporta_import_counts *c = &j->ic[rec->kind];
    c->source++;
    if (!(RESTORABLE & (1u << rec->kind))) {
        c->not_restorable++;
        return XPORTA_OK;
    }
    const char *why = skip_reason(j, rec);
    if (why) {
        c->skip++;
        act(m, XPORTA_ACTION_SKIP, rec->kind, rec->key, rec->id, why);
        return XPORTA_OK;
    }
    /* Two records under one key: a file that lists a contact twice, or a
     * host rename that maps two JIDs onto one (zed@old and zed@new, after
     * --rename-host old=new).  The target can hold one: the first is
     * written, the second reported, never silently dropped. */
    int fresh = xp_set_add(&m->scanned, xfer_key_hash(rec));
    if (fresh < 0)
        return xp_fail(&j->err, XPORTA_ENOMEM, "out of memory");
    if (fresh == 0) {
        c->skip++;
        act(m, XPORTA_ACTION_SKIP, rec->kind, rec->key, rec->id,
            "the source has an earlier record under this key (after "
            "renaming), which is imported");
        return XPORTA_OK;
    }
    if (rec->kind == XPORTA_KIND_PRIVATE &&
        strcmp(rec->key, "{storage:bookmarks}storage") == 0)
        m->src_bookmarks = true;
    if (rec->kind == XPORTA_KIND_VCARD) {
        m->src_vcard = true;
        m->src_vcard_value = xfer_value_hash(rec, m->target);
    }
    if (rec->kind == XPORTA_KIND_PRIVATE) {
        /* The target is asked for every namespace the source uses: without
         * that, the plan could not see what it would overwrite. */
        bool known = false;
        for (size_t i = 0; i < j->nprivate && !known; i++)
            known = strcmp(j->private_ns[i], rec->key) == 0;
        for (size_t i = 0; xp_private_known[i][0] && !known; i++) {
            char k[512];
            snprintf(k, sizeof k, "{%s}%s", xp_private_known[i][0],
                     xp_private_known[i][1]);
            known = strcmp(k, rec->key) == 0;
        }
        /* "{}name" (no namespace) cannot be asked for: the write will
         * fail on its own, reported as that record's. */
        if (!known && strncmp(rec->key, "{}", 2) != 0 &&
            xporta_job_add_private_ns(j, rec->key) == XPORTA_ENOMEM)
            return xp_fail(&j->err, XPORTA_ENOMEM, "out of memory");
    }
    if (xporta_pie_writer_write(sc->w, rec) != XPORTA_OK)
        return xp_fail(&j->err, XPORTA_EIO, "%s",
                       xporta_pie_writer_error(sc->w));
    return XPORTA_OK;
}

static xporta_status scan(struct imp *m, const char *source)
{
    xporta_job *j = m->j;
    struct scan sc;
    memset(&sc, 0, sizeof sc);
    sc.m = m;
    sc.want = j->user;
    struct stat sb;
    if (stat(source, &sb) == 0)
        sc.size = (uint64_t)sb.st_size;
    xporta_pie_reader *r = NULL;
    xporta_status st = xporta_pie_reader_open(&r, source);
    if (st != XPORTA_OK) {
        return xp_fail(&j->err, st, "%s: %s", source,
                       st == XPORTA_ENOTFOUND ? "no such file"
                                              : xporta_strerror(st));
    }
    st = xporta_pie_writer_open(&sc.w, m->spool, XPORTA_DIALECT_STANDARD,
                                XPORTA_PIE_COMPACT | XPORTA_PIE_PRIVATE);
    if (st != XPORTA_OK)
        st = xp_fail(&j->err, st, "%s: cannot write", m->spool);
    while (st == XPORTA_OK) {
        if (j->cancel) {
            st = xp_fail(&j->err, XPORTA_ECANCELED, "interrupted");
            break;
        }
        xporta_pie_event ev;
        st = xporta_pie_reader_next(r, &ev);
        if (st != XPORTA_OK) {
            st = xp_fail(&j->err, st, "%s", xporta_pie_reader_error(r));
            break;
        }
        if (ev == XPORTA_PIE_END)
            break;
        if (ev == XPORTA_PIE_USER) {
            char u[3100];
            snprintf(u, sizeof u, "%s@%s", xporta_pie_reader_user(r),
                     xporta_pie_reader_host(r));
            if (sc.users < 5)
                snprintf(sc.others[sc.users], sizeof sc.others[0], "%.255s", u);
            sc.users++;
            bool wanted =
                sc.want && user_wanted(xporta_pie_reader_user(r),
                                       xporta_pie_reader_host(r), sc.want);
            if (wanted && sc.chosen && !sc.also[0])
                snprintf(sc.also, sizeof sc.also, "%.255s", u);
            bool take = !sc.chosen && (sc.want ? wanted : sc.users == 1);
            if (take) {
                sc.chosen = sc.in_user = true;
                st = scan_open_user(&sc, r);
            }
            continue;
        }
        if (ev == XPORTA_PIE_USER_END && sc.in_user) {
            sc.in_user = false;
            sc.done_user = true;
            if (xporta_pie_writer_end_user(sc.w) != XPORTA_OK ||
                xporta_pie_writer_end_host(sc.w) != XPORTA_OK)
                st = xp_fail(&j->err, XPORTA_EIO, "%s",
                             xporta_pie_writer_error(sc.w));
            continue;
        }
        if (ev == XPORTA_PIE_RECORD && sc.in_user)
            st = scan_record(&sc, xporta_pie_reader_record(r));
        if (sc.size)
            job_progress(j, "read", XPORTA_KIND_COUNT,
                         xporta_pie_reader_offset(r), sc.size,
                         (double)xporta_pie_reader_offset(r) / (double)sc.size,
                         0, source, false);
    }
    if (st == XPORTA_OK && !sc.chosen) {
        st = sc.want ? xp_fail(&j->err, XPORTA_ENOTFOUND,
                               "%s: no user %s in this file", source, sc.want)
                     : xp_fail(&j->err, XPORTA_EINVAL,
                               "%s: no user in this file", source);
    } else if (st == XPORTA_OK && sc.also[0]) {
        st = xp_fail(&j->err, XPORTA_EINVAL,
                     "%s: --user %s names several users (%s, %s): give it "
                     "as user@host",
                     source, sc.want, sc.user, sc.also);
    } else if (st == XPORTA_OK && !sc.want && sc.users > 1) {
        char list[1400] = "";
        for (unsigned i = 0; i < sc.users && i < 5; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                     i ? ", " : "", sc.others[i]);
        st = xp_fail(&j->err, XPORTA_EINVAL,
                     "%s holds %u users (%s%s): choose one with --user", source,
                     sc.users, list, sc.users > 5 ? ", ..." : "");
    }
    if (st == XPORTA_OK && xporta_pie_writer_commit(sc.w) != XPORTA_OK)
        st = xp_fail(&j->err, XPORTA_EIO, "%s", xporta_pie_writer_error(sc.w));
    xporta_pie_writer_free(sc.w);
    xporta_filter_free(sc.f);
    xporta_pie_reader_free(r);
    if (st == XPORTA_OK) {
        for (unsigned k = 0; k < XPORTA_KIND_COUNT; k++)
            if (j->ic[k].not_restorable) {
                job_set_state(j, (xporta_kind)k, XPORTA_STATE_NOT_RESTORABLE);
                job_note(j, (xporta_kind)k, "%s",
                         not_restorable_reason((xporta_kind)k));
            }
    }
    return st;
}

/* Streams the spool's records to fn. */
static xporta_status
spool_each(struct imp *m,
           xporta_status (*fn)(struct imp *, xporta_record *, void *), void *ud)
{
    xporta_pie_reader *r = NULL;
    xporta_status st = xporta_pie_reader_open(&r, m->spool);
    if (st != XPORTA_OK)
        return xp_fail(&m->j->err, st, "%s: %s", m->spool, xporta_strerror(st));
    while (st == XPORTA_OK && m->j->err.status == XPORTA_OK) {
        if (m->j->cancel) {
            st = xp_fail(&m->j->err, XPORTA_ECANCELED,
                         "interrupted; run the same command again to resume");
            break;
        }
        xporta_pie_event ev;
        st = xporta_pie_reader_next(r, &ev);
        if (st != XPORTA_OK) {
            st = xp_fail(&m->j->err, st, "%s", xporta_pie_reader_error(r));
            break;
        }
        if (ev == XPORTA_PIE_END)
            break;
        if (ev == XPORTA_PIE_RECORD)
            st = fn(m, xporta_pie_reader_record(r), ud);
    }
    xporta_pie_reader_free(r);
    return st != XPORTA_OK ? st : m->j->err.status;
}

/* ---- pass 2: the target ---------------------------------------------------
 */

static xporta_status target_sink(void *ud, xporta_record *rec)
{
    struct imp *m = ud;
    if (rec->kind == XPORTA_KIND_PEP_AFFILIATIONS && rec->payload &&
        owner_only(rec->payload))
        return XPORTA_OK;
    if (xp_map_put(&m->tmap, xfer_key_hash(rec),
                   xfer_value_hash(rec, m->target)) < 0)
        return xp_fail(&m->j->err, XPORTA_ENOMEM, "out of memory");
    uint64_t flags = 0, nk = live_node_key(rec->key);
    if (rec->kind == XPORTA_KIND_PEP_NODE) {
        xp_map_get(&m->nodes, nk, &flags);
        if (rec->payload &&
            form_field_is(rec->payload, "pubsub#max_items", "1"))
            flags |= NODE_SINGLETON;
        if (xp_map_put(&m->nodes, nk, flags) < 0)
            return xp_fail(&m->j->err, XPORTA_ENOMEM, "out of memory");
    } else if (rec->kind == XPORTA_KIND_PEP_ITEM) {
        xp_map_get(&m->nodes, nk, &flags);
        if (xp_map_put(&m->nodes, nk, flags | NODE_HAS_ITEM) < 0)
            return xp_fail(&m->j->err, XPORTA_ENOMEM, "out of memory");
    } else if (rec->kind == XPORTA_KIND_MAM_PREFS) {
        m->t_prefs_trivial = rec->payload && prefs_trivial(rec->payload);
    }
    return XPORTA_OK;
}

/* What to read of the target: the kinds imported, and the node
 * configurations whenever items are (a publish into a node that keeps one
 * item replaces the target's). */
static uint32_t target_kinds(const xporta_job *j)
{
    uint32_t k = RESTORABLE & j->kinds;
    if (k & (1u << XPORTA_KIND_PEP_ITEM))
        k |= 1u << XPORTA_KIND_PEP_NODE;
    return k;
}

/* Reads the target's restorable kinds into `sink`.  The job's per-kind
 * states are the import's, so the reading's are kept apart (tstate). */
static xporta_status read_target(struct imp *m,
                                 xporta_status (*sink)(void *, xporta_record *),
                                 void *sink_ud, const char *phase)
{
    xporta_job *j = m->j;
    struct {
        xporta_kind_state state;
        uint64_t count;
        char *note;
    } saved[XPORTA_KIND_COUNT];
    for (unsigned k = 0; k < XPORTA_KIND_COUNT; k++) {
        saved[k].state = j->kind[k].state;
        saved[k].count = j->kind[k].count;
        saved[k].note = j->kind[k].note;
        j->kind[k].state = XPORTA_STATE_NOT_ASKED;
        j->kind[k].note = NULL;
    }
    xporta_status st = XPORTA_OK;
    if (!m->have_session) {
        st = live_open(&m->l, j, j->target, target_kinds(j));
        m->have_session = true;
    }
    if (st == XPORTA_OK) {
        job_progress(j, phase, XPORTA_KIND_COUNT, 0, 0, -1, 0, m->target, true);
        m->l.sink = sink;
        m->l.sink_ud = sink_ud;
        m->l.failed_kind = false;
        st = live_read_small(&m->l);
    }
    for (unsigned k = 0; k < XPORTA_KIND_COUNT; k++) {
        m->tstate[k] = j->kind[k].state;
        free(m->tnote[k]);
        m->tnote[k] = j->kind[k].note; /* taken over */
        j->kind[k].state = saved[k].state;
        j->kind[k].count = saved[k].count;
        j->kind[k].note = saved[k].note;
    }
    return st;
}

/* A kind of the target that could not be read would look empty, and a
 * plan or verify built on it would be wrong: stop instead. */
static xporta_status target_readable(struct imp *m, const char *what)
{
    for (unsigned k = 0; k < XPORTA_KIND_COUNT; k++)
        if ((RESTORABLE & m->j->kinds & (1u << k)) &&
            m->tstate[k] == XPORTA_STATE_FAILED)
            return xp_fail(&m->j->err, XPORTA_ESTANZA,
                           "%s: the target's %s could not be read%s%s; "
                           "nothing was changed by this step",
                           what, xporta_kind_name((xporta_kind)k),
                           m->tnote[k] ? ": " : "",
                           m->tnote[k] ? m->tnote[k] : "");
    return XPORTA_OK;
}

/* ---- pass 3: the plan -----------------------------------------------------
 */

static bool vcard_linked(const char *node)
{
    return strcmp(node, "urn:xmpp:avatar:data") == 0 ||
           strcmp(node, "urn:xmpp:avatar:metadata") == 0 ||
           strcmp(node, "urn:xmpp:vcard4") == 0;
}

/* Records the scan could not judge alone. */
static const char *plan_skip(const struct imp *m, const xporta_record *rec)
{
    if (m->src_bookmarks && is_pep_kind(rec->kind) &&
        strcmp(rec->key, "storage:bookmarks") == 0)
        return "both servers build this node from the private "
               "storage:bookmarks, which is imported";
    return NULL;
}

static xporta_status plan_record(struct imp *m, xporta_record *rec, void *ud)
{
    (void)ud;
    xporta_job *j = m->j;
    xporta_import_counts *c = &j->ic[rec->kind];
    uint64_t kh = xfer_key_hash(rec), tv = 0, flags = 0;
    bool there = xp_map_get(&m->tmap, kh, &tv);
    xporta_action a;
    const char *why = plan_skip(m, rec);
    if (why) {
        a = XPORTA_ACTION_SKIP;
    } else if (is_pep_kind(rec->kind) &&
               xp_set_has(&m->l.bad_nodes, live_node_key(rec->key))) {
        a = XPORTA_ACTION_CONFLICT;
        why = "the target's node could not be read: left as it is";
    } else if (m->tstate[rec->kind] == XPORTA_STATE_UNAVAILABLE) {
        a = XPORTA_ACTION_SKIP;
        why = "the target server does not offer this kind";
    } else if (rec->kind == XPORTA_KIND_PEP_ITEM && m->vcard_kept &&
               vcard_linked(rec->key) &&
               !(there &&
                 xfer_same_value(tv, xfer_value_hash(rec, m->target)))) {
        /* Both servers keep the avatar and vCard4 together with the
         * vCard-temp (Prosody's mod_vcard_legacy, ejabberd's mod_avatar):
         * publishing them would change the vCard that is kept. */
        a = XPORTA_ACTION_CONFLICT;
        why = "the target keeps this with its vCard, which is kept";
    } else if (!there) {
        a = XPORTA_ACTION_ADD;
        if (rec->kind == XPORTA_KIND_PEP_ITEM &&
            xp_map_get(&m->nodes, live_node_key(rec->key), &flags) &&
            (flags & (NODE_SINGLETON | NODE_HAS_ITEM)) ==
                (NODE_SINGLETON | NODE_HAS_ITEM)) {
            /* Publishing would push out the item the target has. */
            a = XPORTA_ACTION_CONFLICT;
            why = "the node keeps one item and the target has its own";
        }
    } else if (xfer_same_value(tv, xfer_value_hash(rec, m->target))) {
        a = XPORTA_ACTION_SAME;
    } else if (rec->kind == XPORTA_KIND_MAM_PREFS && m->t_prefs_trivial) {
        a = XPORTA_ACTION_ADD;
        why = "replaces the server's default preferences";
    } else {
        a = XPORTA_ACTION_CONFLICT;
        why = "the target has other data under this key";
    }
    if (a == XPORTA_ACTION_CONFLICT && j->conflict == XPORTA_CONFLICT_REPLACE)
        a = XPORTA_ACTION_REPLACE;
    switch (a) {
    case XPORTA_ACTION_ADD:
        c->add++;
        break;
    case XPORTA_ACTION_REPLACE:
        c->replace++;
        break;
    case XPORTA_ACTION_SAME:
        c->same++;
        break;
    case XPORTA_ACTION_CONFLICT:
        c->conflict++;
        if (xp_set_add(&m->kept, kh) < 0)
            return xp_fail(&j->err, XPORTA_ENOMEM, "out of memory");
        break;
    default:
        c->skip++;
        break;
    }
    if ((a == XPORTA_ACTION_ADD || a == XPORTA_ACTION_REPLACE) &&
        xp_map_put(&m->todo, kh, (uint64_t)a) < 0)
        return xp_fail(&j->err, XPORTA_ENOMEM, "out of memory");
    if (a == XPORTA_ACTION_SKIP &&
        m->tstate[rec->kind] == XPORTA_STATE_UNAVAILABLE)
        job_note(j, rec->kind, "%s", why);
    act(m, a, rec->kind, rec->key, rec->id, why);
    return XPORTA_OK;
}

static char *state_file(const xporta_job *j, const char *name)
{
    return xp_path_join(j->state_dir_used, name);
}

/* STATE/plan: the counts, then the records to write and the conflicts
 * kept, by identity hash. */
static xporta_status save_plan(struct imp *m)
{
    xporta_job *j = m->j;
    char *path = state_file(j, "plan");
    if (!path)
        return xp_fail(&j->err, XPORTA_ENOMEM, "out of memory");
    struct xp_buf b;
    xp_buf_init(&b, (size_t)256 << 20);
    xporta_status st = xp_buf_printf(&b, "%s\n", PLAN_MAGIC);
    for (unsigned k = 0; st == XPORTA_OK && k < XPORTA_KIND_COUNT; k++) {
        const xporta_import_counts *c = &j->ic[k];
        st = xp_buf_printf(
            &b, "c %u %llu %llu %llu %llu %llu %llu %u %llu\n", k,
            (unsigned long long)c->add, (unsigned long long)c->replace,
            (unsigned long long)c->same, (unsigned long long)c->conflict,
            (unsigned long long)c->skip, (unsigned long long)c->not_restorable,
            (unsigned)m->tstate[k], (unsigned long long)c->source);
    }
    for (size_t i = 0; st == XPORTA_OK && i < m->todo.cap; i++)
        if (m->todo.keys[i])
            st = xp_buf_printf(&b, "w %016llx %u\n",
                               (unsigned long long)m->todo.keys[i],
                               (unsigned)m->todo.vals[i]);
    for (size_t i = 0; st == XPORTA_OK && i < m->kept.cap; i++)
        if (m->kept.slots[i])
            st = xp_buf_printf(&b, "k %016llx\n",
                               (unsigned long long)m->kept.slots[i]);
    for (size_t i = 0; st == XPORTA_OK && i < j->nprivate; i++)
        st = xp_buf_printf(&b, "p %s\n", j->private_ns[i]);
    if (st == XPORTA_OK && m->src_bookmarks)
        st = xp_buf_printf(&b, "b 1\n");
    if (st == XPORTA_OK)
        st = xp_buf_printf(&b, "end\n");
    if (st != XPORTA_OK) {
        xp_buf_cleanup(&b);
        free(path);
        return xp_fail(&j->err, st, "plan: out of memory");
    }
    struct xp_afile f;
    st = xp_afile_open(&f, path, &j->err);
    if (st == XPORTA_OK)
        st = xp_afile_write(&f, b.data, b.len, &j->err);
    if (st == XPORTA_OK)
        st = xp_afile_commit(&f, true, &j->err);
    else
        xp_afile_abort(&f);
    xp_buf_cleanup(&b);
    free(path);
    return st;
}

/* Loads STATE/plan; false when it is missing or incomplete. */
static bool load_plan(struct imp *m)
{
    xporta_job *j = m->j;
    char *path = state_file(j, "plan");
    FILE *f = path ? fopen(path, "r") : NULL;
    free(path);
    if (!f)
        return false;
    char line[9000];
    bool ok = fgets(line, sizeof line, f) &&
              strncmp(line, PLAN_MAGIC, strlen(PLAN_MAGIC)) == 0;
    bool end = false;
    while (ok && !end && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        unsigned k, a, ts;
        unsigned long long h, v[7];
        if (strcmp(line, "end") == 0) {
            end = true;
        } else if (sscanf(line, "c %u %llu %llu %llu %llu %llu %llu %u %llu",
                          &k, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &ts,
                          &v[6]) == 9 &&
                   k < XPORTA_KIND_COUNT && ts <= XPORTA_STATE_NOT_RESTORABLE) {
            xporta_import_counts *c = &j->ic[k];
            c->source = v[6];
            c->add = v[0];
            c->replace = v[1];
            c->same = v[2];
            c->conflict = v[3];
            c->skip = v[4];
            c->not_restorable = v[5];
            m->tstate[k] = (xporta_kind_state)ts;
            if (c->not_restorable) {
                job_set_state(j, (xporta_kind)k, XPORTA_STATE_NOT_RESTORABLE);
                job_note(j, (xporta_kind)k, "%s",
                         not_restorable_reason((xporta_kind)k));
            }
        } else if (sscanf(line, "w %llx %u", &h, &a) == 2 &&
                   (a == XPORTA_ACTION_ADD || a == XPORTA_ACTION_REPLACE)) {
            ok = xp_map_put(&m->todo, h, a) >= 0;
        } else if (sscanf(line, "k %llx", &h) == 1) {
            ok = xp_set_add(&m->kept, h) >= 0;
        } else if (strcmp(line, "b 1") == 0) {
            m->src_bookmarks = true;
        } else if (strncmp(line, "p ", 2) == 0) {
            ok = xporta_job_add_private_ns(j, line + 2) == XPORTA_OK;
        } else {
            ok = false;
        }
    }
    fclose(f);
    if (!(ok && end)) {
        memset(j->ic, 0, sizeof j->ic);
        xp_map_cleanup(&m->todo);
        xp_set_clear(&m->kept);
    }
    return ok && end;
}

/* ---- pass 4: writing ------------------------------------------------------
 */

/* The steps a PEP node goes through until the server accepts one. */
enum node_step {
    N_CREATE_FULL,
    N_CREATE_SAFE,
    N_CREATE_ACCESS,
    N_CREATE_BARE,
    N_CONF_FULL,
    N_CONF_SAFE,
    N_CONF_ACCESS,
    N_GIVE_UP,
};

struct op {
    struct imp *m;
    bool busy;
    xporta_kind kind;
    xporta_action action;
    char *key, *id;
    xp_elem *payload;
    enum node_step step;
    struct xp_arena arena; /* the record, for the op's life */
    struct xp_arena req;   /* the request of the current attempt */
};

static void op_sent(struct xp_session *s, const struct xp_iq_reply *r,
                    void *ud);
static void op_finish(struct op *o, bool ok, const struct xp_iq_reply *r,
                      const char *why);

static xporta_status op_request(struct op *o, const xp_elem *payload)
{
    struct imp *m = o->m;
    if (!payload && xp_arena_over_limit(&o->req, 1 << 16))
        return xp_fail(&m->j->err, XPORTA_ENOMEM, "%s %s: out of memory",
                       xporta_kind_name(o->kind), o->key);
    if (!payload) {
        /* The builders refuse what the protocol cannot carry (a private
         * element in no namespace, a roster item without a JID). */
        op_finish(o, false, NULL,
                  "this record cannot be written by a client as it is");
        return XPORTA_OK;
    }
    xporta_status st = xp_session_iq(m->l.s, "set", NULL, payload,
                                     WRITE_TIMEOUT_MS, op_sent, o);
    if (st != XPORTA_OK)
        return xp_fail(&m->j->err, st, "%s %s: cannot send: %s",
                       xporta_kind_name(o->kind), o->key, xporta_strerror(st));
    return XPORTA_OK;
}

/* Sends the node's next configuration attempt.  Levels whose form would be
 * empty are passed over. */
static xporta_status node_send(struct op *o)
{
    static const enum xp_pep_config level[] = {
        [N_CREATE_FULL] = XP_PEP_CONFIG_FULL,
        [N_CREATE_SAFE] = XP_PEP_CONFIG_SAFE,
        [N_CREATE_ACCESS] = XP_PEP_CONFIG_ACCESS,
        [N_CONF_FULL] = XP_PEP_CONFIG_FULL,
        [N_CONF_SAFE] = XP_PEP_CONFIG_SAFE,
        [N_CONF_ACCESS] = XP_PEP_CONFIG_ACCESS,
    };
    while (o->step < N_GIVE_UP) {
        if (o->step == N_CREATE_BARE) {
            /* The server's defaults, only for a node whose access model
             * the source does not say: never a weaker access model. */
            if (form_value(o->payload, "pubsub#access_model")) {
                o->step = N_GIVE_UP;
                break;
            }
            return op_request(o, xp_pep_create(&o->req, o->key, NULL));
        }
        const xp_elem *form = xp_pep_config_form(
            &o->req, o->payload, level[o->step], FORM_NODE_CONFIG);
        if (!form) {
            o->step = o->step == N_CONF_ACCESS ? N_GIVE_UP : o->step + 1;
            continue;
        }
        if (o->step < N_CREATE_BARE)
            return op_request(o, xp_pep_create(&o->req, o->key, form));
        return op_request(o, xp_pep_configure_set(&o->req, o->key, form));
    }
    return XPORTA_OK; /* nothing sent: o->step is N_GIVE_UP */
}

static void op_finish(struct op *o, bool ok, const struct xp_iq_reply *r,
                      const char *why_not)
{
    struct imp *m = o->m;
    xporta_job *j = m->j;
    xporta_import_counts *c = &j->ic[o->kind];
    if (ok) {
        c->written++;
        if (m->jr && xfer_journal_done(m->jr, xporta_kind_name(o->kind), o->key,
                                       o->id) != XPORTA_OK)
            xp_fail(&j->err, XPORTA_EIO, "%s", xfer_journal_error(m->jr));
    } else {
        char why[600];
        if (why_not)
            snprintf(why, sizeof why, "%s", why_not);
        else
            snprintf(why, sizeof why, "the server refused: %s%s%s",
                     r && r->condition ? r->condition : "error",
                     r && r->text ? ": " : "", r && r->text ? r->text : "");
        c->failed++;
        xp_set_add(&m->failed, rec_key(o->kind, o->key, o->id));
        if (o->kind == XPORTA_KIND_PEP_NODE)
            xp_set_add(&m->failed_nodes, live_node_key(o->key));
        job_set_state(j, o->kind, XPORTA_STATE_FAILED);
        if (!j->kind[o->kind].note)
            job_note(j, o->kind, "%s", why);
        act(m, XPORTA_ACTION_FAILED, o->kind, o->key, o->id, why);
    }
    m->done++;
    m->inflight--;
    o->busy = false;
}

static void op_release(struct op *o)
{
    o->m->inflight--;
    o->busy = false;
}

static void op_sent(struct xp_session *s, const struct xp_iq_reply *r, void *ud)
{
    struct op *o = ud;
    struct imp *m = o->m;
    (void)s;
    if (r->status == XPORTA_OK) {
        op_finish(o, true, r, NULL);
        return;
    }
    if (r->status != XPORTA_ESTANZA) {
        /* Timeout, lost connection, cancel: the job stops; the write is
         * not journaled, so the next run does it again. */
        if (m->j->err.status == XPORTA_OK)
            xp_fail(&m->j->err, r->status, "%s %s: %s%s%s",
                    xporta_kind_name(o->kind), o->key,
                    xporta_strerror(r->status), r->text ? ": " : "",
                    r->text ? r->text : "");
        op_release(o);
        return;
    }
    if (o->kind != XPORTA_KIND_PEP_NODE || m->j->err.status != XPORTA_OK) {
        op_finish(o, false, r, NULL);
        return;
    }
    /* A node: configure the one the target already has, or step down to
     * fewer settings. */
    if (o->step < N_CONF_FULL && xp_streq(r->condition, "conflict")) {
        o->step = N_CONF_FULL;
    } else if (o->step == N_CREATE_BARE) {
        o->step = N_GIVE_UP;
    } else {
        o->step++;
        m->partial_config = true;
    }
    xp_arena_reset(&o->req);
    if (o->step < N_GIVE_UP && node_send(o) != XPORTA_OK) {
        op_release(o);
        return;
    }
    if (o->step >= N_GIVE_UP)
        op_finish(o, false, r, NULL);
}

/* Settings not to carry over.  persist_items false: Prosody 0.12 reports
 * it for nodes whose items it keeps all the same, and ejabberd, told so,
 * drops items and refuses its own mirror of private bookmarks into the
 * node (mod_private publishes with persist_items true: "conflict"). */
static void drop_unsafe_fields(xp_elem *configure)
{
    xp_elem *x = xp_elem_child(configure, XP_NS_DATA, "x");
    for (xp_elem *f = x ? xp_elem_first_element(x) : NULL; f;) {
        xp_elem *next = xp_elem_next_element(f);
        const char *v = xp_elem_child_text(f, XP_NS_DATA, "value");
        if (xp_elem_is(f, XP_NS_DATA, "field") &&
            xp_streq(xporta_elem_attr(f, "var"), "pubsub#persist_items") && v &&
            (strcmp(v, "0") == 0 || strcmp(v, "false") == 0))
            xp_elem_unlink(f);
        f = next;
    }
}

/* The first request for a record. */
static xporta_status op_start(struct op *o)
{
    struct xp_arena *a = &o->req;
    const xp_elem *p = o->payload;
    switch (o->kind) {
    case XPORTA_KIND_ROSTER:
        return op_request(o, xp_roster_set(a, p));
    case XPORTA_KIND_VCARD:
        return op_request(o, xp_vcard_set(a, p));
    case XPORTA_KIND_PRIVATE:
        return op_request(o, xp_private_set(a, p));
    case XPORTA_KIND_PRIVACY:
        if (strcmp(o->key, "default") == 0)
            return op_request(o, xp_privacy_default_set(
                                     a, xporta_elem_attr(p, "name"), false));
        return op_request(o, xp_privacy_list_set(a, p));
    case XPORTA_KIND_BLOCKLIST: {
        const char *jid = o->key;
        return op_request(o, xp_block_set(a, &jid, 1));
    }
    case XPORTA_KIND_PEP_NODE:
        drop_unsafe_fields(o->payload);
        o->step =
            o->action == XPORTA_ACTION_REPLACE ? N_CONF_FULL : N_CREATE_FULL;
        xporta_status st = node_send(o);
        if (st == XPORTA_OK && o->step >= N_GIVE_UP)
            op_finish(o, true, NULL, NULL); /* nothing to configure */
        return st;
    case XPORTA_KIND_PEP_AFFILIATIONS: {
        xp_elem *set = xp_pep_affiliations_set(a, o->key, p);
        /* NULL: nothing but malformed entries (owner-only records are
         * skipped by the scan). */
        return op_request(o, set);
    }
    case XPORTA_KIND_PEP_ITEM:
        return op_request(o, xp_pep_publish(a, o->key, p, NULL));
    case XPORTA_KIND_MAM_PREFS:
        return op_request(o, xp_mam_prefs_set(a, p));
    default:
        return xp_fail(&o->m->j->err, XPORTA_EINVAL, "%s: not restorable",
                       xporta_kind_name(o->kind));
    }
}

/* The order of writes (the servers' interplays, research by restore_live):
 *   1. roster, vCard, private XML (bookmarks before any PEP node: Prosody
 *      converts them into XEP-0402 items and would delete items a later
 *      legacy set lacks), privacy lists, PEP nodes, MAM preferences;
 *   2. the default privacy list, PEP items, PEP affiliations;
 *   3. the blocklist, last: ejabberd keeps it inside the default privacy
 *      list, and a default chosen after a block would unblock those JIDs. */
static int stage_of(const xporta_record *rec)
{
    switch (rec->kind) {
    case XPORTA_KIND_PRIVACY:
        return strcmp(rec->key, "default") == 0 ? 2 : 1;
    case XPORTA_KIND_PEP_ITEM:
    case XPORTA_KIND_PEP_AFFILIATIONS:
        return 2;
    case XPORTA_KIND_BLOCKLIST:
        return 3;
    default:
        return 1;
    }
}

/* Runs the loop until at most `max` requests are in flight. */
/* Writes per second in this run (what an earlier run wrote is not). */
static double write_rate(const struct imp *m, double elapsed)
{
    return elapsed > 0 ? (double)(m->done - m->done_before) / elapsed : 0;
}

static xporta_status drain_to(struct imp *m, unsigned max)
{
    xporta_job *j = m->j;
    while (m->inflight > max && j->err.status == XPORTA_OK) {
        if (j->cancel)
            return xp_fail(&j->err, XPORTA_ECANCELED,
                           "interrupted; run the same command again to "
                           "resume");
        xporta_status st = xp_session_run(m->l.s, 100);
        if (st == XPORTA_EDISCONNECTED)
            return xp_fail(&j->err, st,
                           "connection lost: %s; run the same command again "
                           "to resume",
                           xp_session_error(m->l.s));
        double el = job_now() - m->t_write;
        double f = m->total ? (double)m->done / (double)m->total : -1;
        job_progress(j, "write", XPORTA_KIND_COUNT, m->done, m->total,
                     f >= 1 ? 0.999 : f, write_rate(m, el), NULL, false);
    }
    return j->err.status;
}

static xporta_status write_record(struct imp *m, xporta_record *rec, void *ud)
{
    int stage = *(int *)ud;
    xporta_job *j = m->j;
    if (stage_of(rec) != stage)
        return XPORTA_OK;
    uint64_t a;
    if (!xp_map_get(&m->todo, xfer_key_hash(rec), &a))
        return XPORTA_OK;
    if (xfer_journal_is_done(m->jr, xporta_kind_name(rec->kind), rec->key,
                             rec->id)) {
        j->ic[rec->kind].written++;
        m->done++;
        m->done_before++;
        return XPORTA_OK;
    }
    xporta_status st = drain_to(m, m->nops - 1);
    if (st != XPORTA_OK)
        return st;
    struct op *o = NULL;
    for (unsigned i = 0; i < m->nops && !o; i++)
        if (!m->ops[i].busy)
            o = &m->ops[i];
    if (!o)
        return xp_fail(&j->err, XPORTA_EINVAL, "no free request slot");
    xp_arena_reset(&o->arena);
    xp_arena_reset(&o->req);
    o->kind = rec->kind;
    o->action = (xporta_action)a;
    o->key = xp_arena_strdup(&o->arena, rec->key);
    o->id = rec->id ? xp_arena_strdup(&o->arena, rec->id) : NULL;
    o->payload = xp_elem_clone(&o->arena, rec->payload);
    if (!o->key || (rec->id && !o->id) || !o->payload)
        return xp_fail(&j->err, XPORTA_ENOMEM, "out of memory");
    o->busy = true;
    m->inflight++;
    if ((rec->kind == XPORTA_KIND_PEP_ITEM ||
         rec->kind == XPORTA_KIND_PEP_AFFILIATIONS) &&
        xp_set_has(&m->failed_nodes, live_node_key(rec->key))) {
        /* Published into a node the server made its own way, the item
         * could be readable by more people than in the source. */
        op_finish(o, false, NULL,
                  "not published: its node could not be created with the "
                  "source's access model");
        return XPORTA_OK;
    }
    st = op_start(o);
    if (st != XPORTA_OK)
        op_release(o);
    return st;
}

static xporta_status write_all(struct imp *m)
{
    xporta_job *j = m->j;
    unsigned nops = j->parallel * WINDOW_PER_PARALLEL;
    m->ops = calloc(nops, sizeof *m->ops);
    if (!m->ops)
        return xp_fail(&j->err, XPORTA_ENOMEM, "out of memory");
    m->nops = nops;
    for (unsigned i = 0; i < m->nops; i++) {
        m->ops[i].m = m;
        xp_arena_init(&m->ops[i].arena, (size_t)XP_MAX_RECORD_BYTES * 2);
        xp_arena_init(&m->ops[i].req, (size_t)XP_MAX_RECORD_BYTES * 2);
    }
    m->total = m->todo.n;
    m->done = m->done_before = 0;
    m->t_write = job_now();
    job_progress(j, "write", XPORTA_KIND_COUNT, 0, m->total, 0, 0, NULL, true);
    xporta_status st = XPORTA_OK;
    for (int stage = 1; st == XPORTA_OK && stage <= 3; stage++) {
        st = spool_each(m, write_record, &stage);
        if (st == XPORTA_OK)
            st = drain_to(m, 0);
        if (st == XPORTA_OK)
            st = xfer_journal_sync(m->jr) == XPORTA_OK
                     ? XPORTA_OK
                     : xp_fail(&j->err, XPORTA_EIO, "%s",
                               xfer_journal_error(m->jr));
    }
    if (st == XPORTA_OK && m->partial_config)
        job_note(j, XPORTA_KIND_PEP_NODE,
                 "the target refused part of some nodes' configuration; "
                 "they keep what it accepted (verify compares the access "
                 "model)");
    double el = job_now() - m->t_write;
    job_progress(j, "write", XPORTA_KIND_COUNT, m->done, m->total, 1,
                 write_rate(m, el), NULL, true);
    return st;
}

static void free_ops(struct imp *m)
{
    for (unsigned i = 0; i < m->nops; i++) {
        xp_arena_cleanup(&m->ops[i].arena);
        xp_arena_cleanup(&m->ops[i].req);
    }
    free(m->ops);
    m->ops = NULL;
    m->nops = 0;
}

/* ---- pass 5: verify -------------------------------------------------------
 */

static void verify_delta(void *ud, xporta_diff_delta delta, xporta_kind kind,
                         const char *key, const char *id)
{
    struct imp *m = ud;
    xporta_import_counts *c = &m->j->ic[kind];
    uint64_t kh = rec_key(kind, key, id);
    switch (delta) {
    case XPORTA_DIFF_ONLY_A:
        if (xp_set_has(&m->kept, kh)) {
            c->kept++; /* an item the target's singleton node kept out */
            break;
        }
        c->missing++;
        if (!xp_set_has(&m->failed, kh))
            act(m, XPORTA_ACTION_MISSING, kind, key, id,
                "not on the target after the import");
        break;
    case XPORTA_DIFF_ONLY_B:
        c->target_only++;
        break;
    case XPORTA_DIFF_DIFFERS:
        if (xp_set_has(&m->kept, kh)) {
            c->kept++;
        } else if (kind == XPORTA_KIND_VCARD && m->l.f_vcard_conversion) {
            /* The target keeps one vCard (XEP-0398): the PEP vCard4 item,
             * written after the vCard-temp, is what it shows as both. */
            c->kept++;
            job_note(m->j, kind,
                     "the target keeps vCard-temp and the PEP vCard4 as "
                     "one; it shows the source's vCard4");
        } else {
            c->differs++;
            act(m, XPORTA_ACTION_DIFFERS, kind, key, id,
                "the target holds other data than the source");
        }
        break;
    }
}

struct verify_ctx {
    struct imp *m;
    xporta_diff *d;
};

static xporta_status verify_a(struct imp *m, xporta_record *rec, void *ud)
{
    struct verify_ctx *v = ud;
    if (m->tstate[rec->kind] == XPORTA_STATE_UNAVAILABLE || plan_skip(m, rec))
        return XPORTA_OK; /* not written: the target does not offer it */
    return xporta_diff_add_a(v->d, "", rec, m->target);
}

static xporta_status verify_b(void *ud, xporta_record *rec)
{
    struct verify_ctx *v = ud;
    struct imp *m = v->m;
    if (!(RESTORABLE & m->j->kinds & (1u << rec->kind)) ||
        skip_reason(m->j, rec) ||
        (rec->kind == XPORTA_KIND_PEP_AFFILIATIONS && rec->payload &&
         owner_only(rec->payload)) ||
        plan_skip(m, rec) || m->tstate[rec->kind] == XPORTA_STATE_UNAVAILABLE)
        return XPORTA_OK;
    return xporta_diff_add_b(v->d, "", rec, m->target);
}

static xporta_status verify(struct imp *m)
{
    xporta_job *j = m->j;
    struct verify_ctx v = {m, NULL};
    if (xporta_diff_new(&v.d, verify_delta, m) != XPORTA_OK)
        return xp_fail(&j->err, XPORTA_ENOMEM, "out of memory");
    xporta_status st = spool_each(m, verify_a, &v);
    if (st == XPORTA_OK)
        st = read_target(m, verify_b, &v, "verify");
    if (st == XPORTA_OK)
        st = target_readable(m, "verify");
    if (st == XPORTA_OK) {
        xporta_diff_finish(v.d);
        j->verified = true;
        for (unsigned k = 0; k < XPORTA_KIND_COUNT; k++) {
            xporta_diff_counts dc;
            xporta_diff_get_counts(v.d, (xporta_kind)k, &dc);
            j->ic[k].verified = dc.same;
            if (j->ic[k].missing || j->ic[k].differs)
                j->verified = false;
        }
    }
    xporta_diff_free(v.d);
    return st;
}

/* ---- the job ---------------------------------------------------------------
 */

static void imp_init(struct imp *m, xporta_job *j, const char *spool)
{
    memset(m, 0, sizeof *m);
    m->j = j;
    m->spool = spool;
    m->target = j->target->jid;
    xp_map_init(&m->tmap);
    xp_map_init(&m->nodes);
    xp_map_init(&m->todo);
    xp_set_init(&m->kept, 0);
    xp_set_init(&m->scanned, 0);
    xp_set_init(&m->failed, 0);
    xp_set_init(&m->failed_nodes, 0);
}

static void imp_cleanup(struct imp *m)
{
    if (m->have_session)
        live_close(&m->l);
    m->have_session = false;
    free_ops(m);
    xp_map_cleanup(&m->tmap);
    xp_map_cleanup(&m->nodes);
    xp_map_cleanup(&m->todo);
    xp_set_cleanup(&m->kept);
    xp_set_cleanup(&m->scanned);
    xp_set_cleanup(&m->failed);
    xp_set_cleanup(&m->failed_nodes);
    for (unsigned k = 0; k < XPORTA_KIND_COUNT; k++)
        free(m->tnote[k]);
}

/* Scans `source` into the spool, reads the target and plans. */
static xporta_status plan(struct imp *m, const char *source)
{
    xporta_status st = scan(m, source);
    if (st == XPORTA_OK)
        st = read_target(m, target_sink, m, "target");
    if (st == XPORTA_OK)
        st = target_readable(m, "cannot plan");
    if (st == XPORTA_OK) {
        xporta_record v;
        memset(&v, 0, sizeof v);
        v.kind = XPORTA_KIND_VCARD;
        v.key = "vcard";
        uint64_t tv;
        m->vcard_kept = m->src_vcard &&
                        m->j->conflict == XPORTA_CONFLICT_KEEP &&
                        xp_map_get(&m->tmap, xfer_key_hash(&v), &tv) &&
                        tv != m->src_vcard_value;
        job_progress(m->j, "plan", XPORTA_KIND_COUNT, 0, 0, -1, 0, NULL, true);
        st = spool_each(m, plan_record, NULL);
    }
    xp_map_cleanup(&m->tmap);
    xp_map_cleanup(&m->nodes);
    return st;
}

/* The kinds' final states and notes. */
static void settle_states(xporta_job *j, const struct imp *m)
{
    for (unsigned k = 0; k < XPORTA_KIND_COUNT; k++) {
        xporta_import_counts *c = &j->ic[k];
        if (j->kind[k].state != XPORTA_STATE_NOT_ASKED)
            continue;
        if (m->tstate[k] == XPORTA_STATE_UNAVAILABLE &&
            (c->skip || c->add || c->conflict || c->same)) {
            job_set_state(j, (xporta_kind)k, XPORTA_STATE_UNAVAILABLE);
            job_note(j, (xporta_kind)k,
                     "the target server does not offer it; the records "
                     "stay in the file");
        } else if (c->add || c->replace || c->same || c->conflict || c->skip) {
            job_set_state(j, (xporta_kind)k, XPORTA_STATE_DONE);
        }
    }
}

xporta_status import_into(xporta_job *j, const char *source,
                          struct xfer_journal *jr, const char *spool)
{
    struct imp m;
    imp_init(&m, j, spool);
    m.jr = jr;
    xporta_status st = XPORTA_OK;
    bool planned = jr && xfer_journal_is_done(jr, "phase", "plan", NULL) &&
                   access(spool, R_OK) == 0 && load_plan(&m);
    if (!planned) {
        memset(j->ic, 0, sizeof j->ic);
        st = plan(&m, source);
        if (st == XPORTA_OK && jr) {
            st = save_plan(&m);
            if (st == XPORTA_OK &&
                xfer_journal_done_sync(jr, "phase", "plan", NULL) != XPORTA_OK)
                st = xp_fail(&j->err, XPORTA_EIO, "%s", xfer_journal_error(jr));
        }
    } else {
        j->resumed = true;
    }
    if (st == XPORTA_OK && jr) {
        if (!m.have_session) {
            st = live_open(&m.l, j, j->target, target_kinds(j));
            m.have_session = true;
        }
        if (st == XPORTA_OK)
            st = write_all(&m);
        if (st == XPORTA_OK && j->verify)
            st = verify(&m);
    }
    settle_states(j, &m);
    imp_cleanup(&m);
    return st;
}

uint32_t import_restorable(void)
{
    return RESTORABLE;
}

/* Removes the files of the job in its state directory: the known names,
 * and the temporary names a crash may leave (NAME.tmp-XXXXXX, NAME.part,
 * NAME.part.state, NAME.part.spoolN).  Nothing else: a --state-dir may be
 * a directory of the user's. */
void import_forget(xporta_job *j)
{
    static const char *const names[] = {"plan", "source.xml", "export.xml"};
    if (!j->state_dir_used)
        return;
    DIR *d = opendir(j->state_dir_used);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        bool ours = false;
        for (size_t i = 0; i < 3 && !ours; i++) {
            size_t n = strlen(names[i]);
            ours = strncmp(e->d_name, names[i], n) == 0 &&
                   (e->d_name[n] == '\0' ||
                    strncmp(e->d_name + n, ".tmp-", 5) == 0 ||
                    strncmp(e->d_name + n, ".part", 5) == 0);
        }
        if (!ours)
            continue;
        char *p = state_file(j, e->d_name);
        if (p)
            unlink(p);
        free(p);
    }
    if (d)
        closedir(d);
}

void job_forget_unstarted(xporta_job *j, struct xfer_journal *jr,
                          uint64_t steps)
{
    if (!jr || xfer_journal_steps(jr) > steps)
        return;
    import_forget(j);
    if (xfer_journal_finish(jr) != XPORTA_OK)
        return; /* the directory stays; a later run reuses it */
    free(j->state_dir_used);
    j->state_dir_used = NULL;
}

/* The header that names an import in its journal: what it reads, where it
 * writes, and every option that changes the plan. */
static char *import_header(const xporta_job *j)
{
    struct stat sb;
    char *real = realpath(j->path, NULL);
    if (stat(j->path, &sb) != 0)
        memset(&sb, 0, sizeof sb);
    struct xp_buf b;
    xp_buf_init(&b, 64 * 1024);
    xporta_status st = xp_buf_printf(
        &b,
        "import 1 source=%s size=%llu mtime=%lld.%09ld user=%s target=%s "
        "conflict=%d include=%u kinds=%x",
        real ? real : j->path, (unsigned long long)sb.st_size,
        (long long)sb.st_mtim.tv_sec, (long)sb.st_mtim.tv_nsec,
        j->user ? j->user : "-", j->target->jid, (int)j->conflict, j->include,
        j->kinds);
    for (size_t i = 0; st == XPORTA_OK && i + 1 < j->nrenames; i += 2)
        st = xp_buf_printf(&b, " rename=%s=%s", j->renames[i],
                           j->renames[i + 1]);
    free(real);
    if (st != XPORTA_OK) {
        xp_buf_cleanup(&b);
        return NULL;
    }
    for (size_t i = 0; i < b.len; i++)
        if (b.data[i] == '\n')
            b.data[i] = ' ';
    return b.data; /* NUL-terminated by xp_buf_printf */
}

/* How an import that ran to the end came out. */
xporta_status import_outcome(xporta_job *j)
{
    uint64_t failed = 0, missing = 0, differs = 0;
    for (unsigned k = 0; k < XPORTA_KIND_COUNT; k++) {
        failed += j->ic[k].failed;
        missing += j->ic[k].missing;
        differs += j->ic[k].differs;
    }
    if (failed)
        return xp_fail(&j->err, XPORTA_ESTANZA,
                       "the target refused %llu record(s) (see above); the "
                       "rest is in place.  Running the same command again "
                       "retries only those",
                       (unsigned long long)failed);
    if (j->verify && !j->dry_run && (missing || differs))
        return xp_fail(&j->err, XPORTA_ECONFLICT,
                       "verify: %llu record(s) missing and %llu different "
                       "on the target (see above)",
                       (unsigned long long)missing,
                       (unsigned long long)differs);
    return XPORTA_OK;
}

xporta_status import_run(xporta_job *j)
{
    j->step = "import";
    xporta_status st;
    if (j->dry_run) {
        char *dir = job_private_tmpdir(j);
        if (!dir)
            return j->err.status;
        char *spool = xp_path_join(dir, "source.xml");
        st = spool ? import_into(j, j->path, NULL, spool)
                   : xp_fail(&j->err, XPORTA_ENOMEM, "out of memory");
        free(spool);
        job_remove_tree(dir);
        free(dir);
        return st;
    }
    char *header = import_header(j);
    if (!header)
        return xp_fail(&j->err, XPORTA_ENOMEM, "out of memory");
    free(j->state_dir_used);
    j->state_dir_used =
        j->state_dir ? xp_strdup(j->state_dir) : xfer_state_dir(header);
    char *spool = j->state_dir_used
                      ? xp_path_join(j->state_dir_used, "source.xml")
                      : NULL;
    struct xfer_journal *jr = NULL;
    if (!j->state_dir_used) {
        st = xp_fail(
            &j->err, XPORTA_EINVAL,
            "no state directory: set HOME or give one with --state-dir");
    } else if (!spool) {
        st = xp_fail(&j->err, XPORTA_ENOMEM, "out of memory");
    } else {
        st = xfer_journal_open(&jr, j->state_dir_used, header, NULL, &j->err);
    }
    if (st == XPORTA_OK)
        st = import_into(j, j->path, jr, spool);
    if (st == XPORTA_OK)
        st = import_outcome(j);
    if (st == XPORTA_OK) {
        /* Done and verified: nothing to resume. */
        import_forget(j);
        if (xfer_journal_finish(jr) != XPORTA_OK)
            st = xp_fail(&j->err, XPORTA_EIO, "%s", xfer_journal_error(jr));
    } else {
        /* Stopped before the plan was saved: nothing to resume. */
        job_forget_unstarted(j, jr, 0);
    }
    xfer_journal_close(jr);
    free(spool);
    free(header);
    return st;
}
