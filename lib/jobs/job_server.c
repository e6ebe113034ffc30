/*
 * lib/jobs/job_server.c: whole servers.  `xporta server-import SOURCE
 * STORE` is the whole-store copy engine (lib/transfer/xfer_bulk.h) with a
 * journal and a lock on the target; `xporta server-export STORE -o FILE`
 * streams a server's storage into a new XEP-0227 file, as convert streams
 * files: read, filter, write.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../pie/pie.h"
#include "../transfer/xfer_bulk.h"
#include "../transfer/xfer_copy.h"
#include "jobs_p.h"

/* The filter both jobs apply: users, kinds, renames, secrets. */
static xporta_status job_filter(xporta_job *j, xporta_filter **out)
{
    xporta_filter *f;
    xporta_status st = xporta_filter_new(&f);
    for (size_t i = 0; st == XPORTA_OK && i < j->users.n; i++)
        st = xporta_filter_add_user(f, j->users.v[i]);
    for (size_t i = 0; st == XPORTA_OK && i + 1 < j->nrenames; i += 2)
        st = xporta_filter_rename_host(f, j->renames[i], j->renames[i + 1]);
    if (st != XPORTA_OK) {
        xporta_filter_free(f);
        return xp_fail(&j->r.err, st, "%s",
                       st == XPORTA_ENOMEM ? "out of memory"
                                           : "invalid --users or renames");
    }
    xporta_filter_exclude_kinds(f, ~j->kinds & ((1u << XPORTA_KIND_COUNT) - 1));
    xporta_filter_strip_secrets(f, j->strip_secrets);
    *out = f;
    return XPORTA_OK;
}

/* ---- server-import ------------------------------------------------------- */

static char *import_header(const xporta_job *j)
{
    struct xp_buf b;
    xp_buf_init(&b, 64 * 1024);
    xporta_status st = xp_buf_printf(
        &b, "server-import 1 source=%s target=%s conflict=%d kinds=%x strip=%d",
        j->source, j->target_store, (int)j->conflict,
        j->kinds & XP_KINDS_ACCOUNT, j->strip_secrets);
    for (size_t i = 0; st == XPORTA_OK && i < j->users.n; i++)
        st = xp_buf_printf(&b, " user=%s", j->users.v[i]);
    for (size_t i = 0; st == XPORTA_OK && i + 1 < j->nrenames; i += 2)
        st = xp_buf_printf(&b, " rename=%s=%s", j->renames[i],
                           j->renames[i + 1]);
    if (st == XPORTA_OK && j->domain)
        st = xp_buf_printf(&b, " domain=%s", j->domain);
    if (st != XPORTA_OK) {
        xp_buf_cleanup(&b);
        return NULL;
    }
    for (size_t i = 0; i < b.len; i++)
        if (b.data[i] == '\n')
            b.data[i] = ' ';
    return b.data;
}

static void on_account(void *ud, const char *jid, xporta_status st,
                       const char *why, const xporta_import_counts *counts)
{
    xporta_job *j = ud;
    if (j->account_cb)
        j->account_cb(j->account_ud, jid, st, why, counts);
}

#define LIVE_KINDS ((1u << XPORTA_KIND_ARCHIVE) | (1u << XPORTA_KIND_OFFLINE))

/* Live history: the kinds the target's running server lets xporta write
 * beside it (store_history.c); the others are noted with the reason, and
 * none at all fails with the reasons. */
static xporta_status live_kinds(xporta_job *j, uint32_t *kinds)
{
    uint32_t asked = j->kinds & LIVE_KINDS, ok = 0;
    const char *why[2] = {NULL, NULL};
    const xporta_kind ks[2] = {XPORTA_KIND_ARCHIVE, XPORTA_KIND_OFFLINE};
    for (int i = 0; i < 2; i++) {
        if (!(asked & (1u << ks[i])))
            continue;
        why[i] = store_history_refusal(j->target_store, ks[i]);
        if (!why[i])
            ok |= 1u << ks[i];
        else
            xp_run_note(&j->r, ks[i], "left out: %s", why[i]);
    }
    if (!asked)
        return xp_fail(&j->r.err, XPORTA_EINVAL,
                       "beside a running server only the archive and "
                       "offline messages are written, and neither was asked");
    if (!ok)
        return xp_fail(&j->r.err, XPORTA_EUNSUPPORTED,
                       "%s cannot take a user's history while its server "
                       "runs: %s",
                       j->target_store, why[0] ? why[0] : why[1]);
    *kinds = ok;
    return XPORTA_OK;
}

xporta_status server_import_run(xporta_job *j)
{
    xporta_filter *f = NULL;
    struct xfer_journal *jr = NULL;
    int lock = -1;
    char *header = NULL;
    memset(j->ic, 0, sizeof j->ic);
    j->accounts = j->accounts_failed = j->accounts_before = 0;
    j->rooms_copied = j->rooms_failed = j->rooms_before = 0;
    uint32_t kinds = j->kinds;
    xporta_status st = j->live_account ? live_kinds(j, &kinds) : XPORTA_OK;
    uint32_t saved = j->kinds;
    j->kinds = kinds; /* the filter excludes the others */
    if (!st)
        st = job_filter(j, &f);
    j->kinds = saved;
    const char *sc = strchr(j->source, ':'), *tc = strchr(j->target_store, ':');
    char *rs = sc ? realpath(sc + 1, NULL) : NULL;
    char *rt = tc ? realpath(tc + 1, NULL) : NULL;
    if (!st && (strcmp(j->source, j->target_store) == 0 ||
                (rs && rt && strcmp(rs, rt) == 0)))
        st = xp_fail(&j->r.err, XPORTA_EINVAL,
                     "%s is both the source and the target", j->source);
    free(rs);
    free(rt);
    if (!st && !j->dry_run) {
        /* One writer per server storage, whatever the job's options; live:
         * one per account of it (one transaction, no journal). */
        char *lk = j->live_account ? xp_strcat(j->target_store, "#") : NULL;
        char *lname = lk ? xp_strcat(lk, j->live_account) : NULL;
        free(lk);
        if (j->live_account && !lname)
            st = xp_fail(&j->r.err, XPORTA_ENOMEM, "out of memory");
        if (!st)
            st = xfer_target_lock(lname ? lname : j->target_store, &lock,
                                  &j->r.err);
        free(lname);
        if (!st && !j->live_account && !(header = import_header(j)))
            st = xp_fail(&j->r.err, XPORTA_ENOMEM, "out of memory");
        bool resumed = false;
        if (!st && !j->live_account)
            st = job_journal_open(j, header, &resumed, &jr);
        j->resumed = resumed;
    }
    struct xfer_bulk_result res = {0};
    /* --host names the domain moved: in the target, as renamed (an
     * ejabberd target in the default schema keeps no domain of its own) */
    const char *tdomain = j->domain;
    for (size_t i = 0; tdomain && i + 1 < j->nrenames; i += 2)
        if (strcmp(j->renames[i], j->domain) == 0) {
            tdomain = j->renames[i + 1];
            break;
        }
    /* live: the account's domain is the target's (ejabberd's default
     * schema records none) */
    const char *la = j->live_account ? strrchr(j->live_account, '@') : NULL;
    if (!tdomain && la)
        tdomain = la + 1;
    if (!st) {
        struct xfer_bulk_opts o = {
            .source = j->source,
            .target = j->target_store,
            .source_domain = j->domain,
            .target_domain = tdomain,
            .kinds = kinds,
            .conflict = j->live_account ? XPORTA_CONFLICT_KEEP : j->conflict,
            .filter = f,
            .dry_run = j->dry_run,
            .journal = jr,
            .counts = j->ic,
            .action = j->action,
            .action_ud = j->action_ud,
            .account = on_account,
            .account_ud = j,
            .live_account = j->live_account,
        };
        st = xfer_bulk(&j->r, &o, &res);
        j->accounts = res.accounts;
        j->accounts_failed = res.failed;
        j->accounts_before = res.done_before;
        j->rooms_copied = res.rooms;
        j->rooms_failed = res.rooms_failed;
        j->rooms_before = res.rooms_before;
    }
    for (size_t i = 0; !st && xporta_filter_unseen_user(f, i); i++)
        if (j->live_account)
            st = xp_fail(&j->r.err, XPORTA_ENOTFOUND, "no account %s in %s",
                         xporta_filter_unseen_user(f, i), j->source);
        else
            xp_run_note(&j->r, XPORTA_KIND_CREDENTIALS, "no account %s in %s",
                        xporta_filter_unseen_user(f, i), j->source);
    if (!st && j->live_account && !res.accounts && !res.failed)
        st =
            xp_fail(&j->r.err, XPORTA_ENOTFOUND, "no account in %s", j->source);
    if (!st && !res.failed && res.rooms_failed)
        st = xp_fail(&j->r.err, XPORTA_EFORMAT,
                     "%llu room%s could not be read and were left out; fix "
                     "them and run the same command again",
                     (unsigned long long)res.rooms_failed,
                     res.rooms_failed == 1 ? "" : "s");
    if (!st && res.failed)
        st = xp_fail(
            &j->r.err, XPORTA_EFORMAT,
            "%llu of %llu accounts could not be read and were "
            "left out; fix them and run the same command again",
            (unsigned long long)res.failed,
            (unsigned long long)(res.failed + res.accounts + res.done_before));
    if (!st && !j->dry_run)
        st = xfer_copy_outcome(&j->r, j->ic, false);
    /* Prosody's internal storage keeps 10,000 messages per archive unless
     * configured otherwise (mod_storage_internal.lua:13) and, at the next
     * message over it, deletes the oldest (mod_mam.lua:439-455). */
    uint64_t kept = j->ic[XPORTA_KIND_ARCHIVE].same +
                    j->ic[XPORTA_KIND_ARCHIVE].written +
                    (j->dry_run ? j->ic[XPORTA_KIND_ARCHIVE].add : 0);
    if (!st && j->live_account && kept > 10000 &&
        strncmp(j->target_store, "prosody:", 8) == 0)
        xp_run_note(&j->r, XPORTA_KIND_ARCHIVE,
                    "%s's archive holds at least %llu messages: Prosody's "
                    "internal storage keeps storage_archive_item_limit "
                    "messages per user (10000 unless set) and deletes the "
                    "oldest at the next message beyond it; raise it in "
                    "Prosody's configuration",
                    j->live_account, (unsigned long long)kept);
    if (jr) {
        if (!st && xfer_journal_finish(jr) != XPORTA_OK)
            st = xp_fail(&j->r.err, xfer_journal_status(jr), "%s",
                         xfer_journal_error(jr));
        xfer_journal_close(jr);
    }
    if (lock >= 0)
        xfer_target_unlock(lock);
    xporta_filter_free(f);
    free(header);
    return st;
}

/* ---- server-export --------------------------------------------------------
 */

struct sx {
    xporta_job *j;
    xporta_filter *f;
    xporta_pie_writer *w;
    char *host;    /* the host open in the writer */
    char *service; /* rooms: the source's component open in the writer */
    bool in_user, in_room;
    uint64_t records;
};

static xporta_status writer_fail(struct sx *x)
{
    return xp_fail(&x->j->r.err, pie_writer_status(x->w), "%s",
                   xporta_pie_writer_error(x->w));
}

static xporta_status sx_account(void *ud, const char *jid)
{
    struct sx *x = ud;
    const char *at = strrchr(jid, '@');
    char *user = at ? xp_strndup(jid, (size_t)(at - jid)) : NULL;
    if (!user)
        return xp_fail(&x->j->r.err, XPORTA_EFORMAT, "%s: not an account", jid);
    x->in_user = xporta_filter_keep_user(x->f, at + 1, user);
    const char *host = xporta_filter_host(x->f, at + 1);
    xporta_status st = XPORTA_OK;
    if (x->in_user && !xp_streq(x->host, host)) {
        if (x->host && xporta_pie_writer_end_host(x->w))
            st = writer_fail(x);
        free(x->host);
        x->host = xp_strdup(host);
        if (!st && !x->host)
            st = xp_fail(&x->j->r.err, XPORTA_ENOMEM, "out of memory");
        if (!st && xporta_pie_writer_begin_host(x->w, host))
            st = writer_fail(x);
    }
    if (!st && x->in_user && xporta_pie_writer_begin_user(x->w, user, NULL))
        st = writer_fail(x);
    free(user);
    return st;
}

static xporta_status sx_record(void *ud, xporta_record *rec)
{
    struct sx *x = ud;
    bool keep = true;
    if (!x->in_user)
        return XPORTA_OK;
    if (xporta_filter_record(x->f, rec, &keep) != XPORTA_OK)
        return xp_fail(&x->j->r.err, XPORTA_EFORMAT, "%s",
                       xporta_filter_error(x->f));
    if (!keep)
        return XPORTA_OK;
    x->j->ic[rec->kind].source++;
    x->records++;
    return xporta_pie_writer_write(x->w, rec) ? writer_fail(x) : XPORTA_OK;
}

static void sx_account_end(void *ud, const char *jid, xporta_status st,
                           const char *why)
{
    struct sx *x = ud;
    if (!x->in_user)
        return;
    x->in_user = false;
    if (st != XPORTA_OK) {
        /* Half an account in a backup is worse than none: the export
         * fails, saying where. */
        xp_fail(&x->j->r.err, st, "%s: %s", jid, why ? why : "unreadable");
        x->j->accounts_failed++;
        return;
    }
    if (xporta_pie_writer_end_user(x->w))
        writer_fail(x);
    x->j->accounts++;
}

/* ---- server-export: the rooms of the MUC services (XEP-0519) ----------- */

static xporta_status sx_room(void *ud, const char *jid)
{
    struct sx *x = ud;
    const char *at = strrchr(jid, '@');
    char *node = at ? xp_strndup(jid, (size_t)(at - jid)) : NULL;
    if (!node)
        return xp_fail(&x->j->r.err, XPORTA_EFORMAT, "%s: not a room", jid);
    xporta_status st = XPORTA_OK;
    if (!xp_streq(x->service, at + 1)) {
        if (x->service && xporta_pie_writer_end_component(x->w))
            st = writer_fail(x);
        free(x->service);
        const char *to = NULL;
        x->service = xp_strdup(at + 1);
        if (!st && (!x->service || xporta_filter_rename_component(
                                       x->f, at + 1, &to) != XPORTA_OK))
            st = xp_fail(&x->j->r.err, XPORTA_ENOMEM, "out of memory");
        if (!st &&
            xporta_pie_writer_begin_component(x->w, to ? to : at + 1, "muc"))
            st = writer_fail(x);
    }
    if (!st && xporta_pie_writer_begin_room(x->w, node, NULL))
        st = writer_fail(x);
    x->in_room = st == XPORTA_OK;
    free(node);
    return st;
}

static xporta_status sx_room_record(void *ud, xporta_record *rec)
{
    struct sx *x = ud;
    bool keep = true;
    if (!x->in_room)
        return XPORTA_OK;
    if (xporta_filter_record(x->f, rec, &keep) != XPORTA_OK)
        return xp_fail(&x->j->r.err, XPORTA_EFORMAT, "%s",
                       xporta_filter_error(x->f));
    if (!keep)
        return XPORTA_OK;
    x->j->ic[rec->kind].source++;
    x->records++;
    return xporta_pie_writer_write_room(x->w, rec) ? writer_fail(x) : XPORTA_OK;
}

static void sx_room_end(void *ud, const char *jid, xporta_status st,
                        const char *why)
{
    struct sx *x = ud;
    if (!x->in_room) {
        if (st != XPORTA_OK) {
            xp_fail(&x->j->r.err, st, "%s: %s", jid, why ? why : "unreadable");
            x->j->rooms_failed++;
        }
        return;
    }
    x->in_room = false;
    if (st != XPORTA_OK) {
        xp_fail(&x->j->r.err, st, "%s: %s", jid, why ? why : "unreadable");
        x->j->rooms_failed++;
        return;
    }
    if (xporta_pie_writer_end_room(x->w))
        writer_fail(x);
    x->j->rooms_copied++;
}

/* After the accounts: every room of the source's MUC services, each
 * service a <component type='muc'>, renamed as the hosts are. */
static xporta_status sx_rooms(struct sx *x, struct store *src)
{
    xporta_job *j = x->j;
    uint32_t kinds = j->kinds & ((1u << XPORTA_KIND_ROOM_CONFIG) |
                                 (1u << XPORTA_KIND_ROOM_AFFILIATION) |
                                 (1u << XPORTA_KIND_ROOM_SUBJECT) |
                                 (1u << XPORTA_KIND_ARCHIVE));
    if (!store_has_rooms(src) || !(kinds & ~(1u << XPORTA_KIND_ARCHIVE)))
        return XPORTA_OK;
    xporta_status st = store_select_room(src, NULL);
    if (!st) {
        struct store_sink sink = {.record = sx_room_record,
                                  .account = sx_room,
                                  .account_end = sx_room_end,
                                  .ud = x};
        st = store_read(src, kinds, NULL, &sink);
        if (!st && j->r.err.status)
            st = j->r.err.status;
    }
    if (!st && x->service && xporta_pie_writer_end_component(x->w))
        st = writer_fail(x);
    return st;
}

xporta_status server_export_run(xporta_job *j)
{
    struct sx x = {.j = j};
    struct store *src = NULL;
    memset(j->ic, 0, sizeof j->ic);
    j->accounts = j->accounts_failed = 0;
    j->rooms_copied = j->rooms_failed = j->rooms_before = 0;
    xporta_status st = job_filter(j, &x.f);
    struct store_opts so = {.domain = j->domain};
    if (!st)
        st = store_open(&src, j->source, &so, &j->r);
    if (!st && !src->drv->many)
        st = xp_fail(&j->r.err, XPORTA_EINVAL,
                     "%s is not a server's storage (to change a file, use "
                     "convert)",
                     j->source);
    if (!st)
        st = store_select(src, NULL);
    if (!st && (st = xporta_pie_writer_open(&x.w, j->path, j->dialect, 0)))
        st = xp_fail(&j->r.err, st, "%s", xporta_pie_writer_error(x.w));
    if (!st) {
        struct store_sink sink = {.record = sx_record,
                                  .account = sx_account,
                                  .account_end = sx_account_end,
                                  .ud = &x};
        st = store_read(src, j->kinds, NULL, &sink);
        if (!st && j->r.err.status)
            st = j->r.err.status;
    }
    if (!st && x.host && xporta_pie_writer_end_host(x.w))
        st = writer_fail(&x);
    if (!st)
        st = sx_rooms(&x, src);
    for (size_t i = 0; !st && xporta_filter_unseen_user(x.f, i); i++)
        st = xp_fail(&j->r.err, XPORTA_ENOTFOUND, "no account %s in %s",
                     xporta_filter_unseen_user(x.f, i), j->source);
    if (!st && xporta_pie_writer_commit(x.w))
        st = writer_fail(&x);
    xporta_pie_writer_free(x.w); /* without a commit: nothing is left */
    store_close(src);
    xporta_filter_free(x.f);
    free(x.host);
    free(x.service);
    return st;
}
