/*
 * The store driver for ejabberd's Mnesia storage (Debian's default):
 * "ejabberd+mnesia:CTL", CTL the ejabberdctl to run (a path, or a name
 * looked up in PATH; empty: ejabberdctl).  Written through ejabberd
 * itself: `ejabberdctl load FILE` (mnesia:load_textfile on the running
 * node) merges a file of records into its tables in one transaction
 * (docs/research/ejabberd-mnesia.md, the facts and the pitfalls;
 * ejd_mnesia_p.h, the format).
 *
 * Writes: write_begin() .. write_end() form one account's records
 * (ejd_mnesia_write.c) and add them to the batch; flush() loads the batch
 * (store_ejabberd_mnesia_load.c) and only when `load` exited 0 confirms
 * the batch's records.  The engine journals accounts only after flush()
 * (xfer_bulk.c), so a re-run loads nothing twice (offline_msg is a bag: a
 * second load would deliver a message twice).  flush_due() asks for a
 * flush once a batch holds MN_BATCH_ACCOUNTS accounts or MN_BATCH_BYTES of
 * text (the node needs ~40 times a file's size while loading it).  close()
 * runs `ejabberdctl clear_cache` after the last load: ejabberd caches
 * passwords, rosters, private XML and privacy lists.
 *
 * Read: write only.  The target is not read (a plan counts every record
 * as "add", the run says so); a whole-store read (server-export) is
 * refused, naming `ejabberdctl export_piefxis`.
 *
 * This file: the driver's calls; store_ejabberd_mnesia_load.c: the checks
 * before the first account and loading a batch (it calls nothing here).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ejd_ctl.h"
#include "ejd_mnesia_p.h"
#include "store.h"

#define MN_BATCH_ACCOUNTS 10
#define MN_BATCH_BYTES (4u << 20)
#define MN_ARCHIVE_LIMIT 1500000000LL /* bytes of archive_msg on disc */
#define MN_BYTES_PER_MESSAGE 980

static const char *why_not(xporta_kind k)
{
    (void)k;
    return "ejabberd 23.01 has no table for it";
}

static const char *mn_skip(const xporta_record *rec)
{
    return mnw_store_current ? mnw_store_current->refused[rec->kind] : NULL;
}

/* ---- the driver ------------------------------------------------------------
 */

static xporta_status set_account(struct mstore *s, const char *jid)
{
    free(s->host);
    free(s->user);
    s->host = s->user = NULL;
    if (!jid)
        return XPORTA_OK;
    const char *at = strrchr(jid, '@');
    if (!at || at == jid || !at[1] || strchr(at + 1, '/'))
        return xp_fail(&s->base.run->err, XPORTA_EINVAL,
                       "%s: not an account (user@host)", jid);
    s->user = xp_strndup(jid, (size_t)(at - jid));
    s->host = xp_strdup(at + 1);
    return s->user && s->host
               ? XPORTA_OK
               : xp_fail(&s->base.run->err, XPORTA_ENOMEM, "out of memory");
}

static xporta_status ms_select(struct store *st, const char *jid)
{
    struct mstore *s = (struct mstore *)st;
    mnw_free(s->w); /* an account not ended is dropped */
    s->w = NULL;
    s->afirst = s->alast = NULL;
    xporta_status r = set_account(s, jid);
    return !r && jid ? mnw_store_check(s) : r;
}

static xporta_status ms_read(struct store *st, uint32_t kinds,
                             const struct xp_strv *private_ns,
                             const struct store_sink *sink)
{
    struct mstore *s = (struct mstore *)st;
    (void)kinds;
    (void)private_ns;
    (void)sink;
    if (!s->user)
        return xp_fail(
            &st->run->err, XPORTA_EUNSUPPORTED,
            "ejabberd+mnesia is written only: to read ejabberd's Mnesia "
            "data, history and PEP included, have ejabberd write it as SQL "
            "(ejabberdctl --no-timeout export2sql HOST FILE), load that into "
            "a SQLite file made from /usr/share/ejabberd/sql/lite.sql (its "
            "escapes undone: see xporta(1), EXAMPLES) and read "
            "ejabberd+sqlite:FILE --host HOST");
    /* the planner's read of the target: nothing (every record "add") */
    mnw_store_note(s,
                   "ejabberd+mnesia is written only: what ejabberd already "
                   "holds was not read, so every record was planned as \"add\" "
                   "(ejabberd's load merges: a record under the same key "
                   "replaces the one there; a roster item, privacy lists, a "
                   "PEP node are written whole)");
    return XPORTA_OK;
}

/* The accounts ejabberd has on `host`, asked once per host. */
static xporta_status ask_users(struct mstore *s, const char *host)
{
    if (xp_strv_has(&s->hosts_asked, host))
        return XPORTA_OK;
    const char *args[] = {"registered_users", host, NULL};
    struct ejd_ctl_out o;
    xporta_status r = mnw_store_ctl(s, args, MN_CTL_TIMEOUT, &o);
    if (!r && (o.exit_code != 0 || o.truncated)) {
        char tail[300];
        r = xp_fail(&s->base.run->err, XPORTA_ESTANZA,
                    "%s registered_users %s failed: %s", s->ctl, host,
                    o.truncated ? "too many accounts to list"
                                : ejd_ctl_tail(&o, tail, sizeof tail));
    }
    for (char *line = r ? NULL : o.text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (*line && xp_set_add(&s->had, xp_key_hash(line, host)) < 0)
            r = xp_fail(&s->base.run->err, XPORTA_ENOMEM, "out of memory");
    }
    ejd_ctl_out_free(&o);
    if (!r && xp_strv_add(&s->hosts_asked, host) < 0)
        r = xp_fail(&s->base.run->err, XPORTA_ENOMEM, "out of memory");
    return r;
}

static xporta_status ms_write_begin(struct store *st, store_done_fn done,
                                    void *ud)
{
    struct mstore *s = (struct mstore *)st;
    if (!s->user)
        return xp_fail(&st->run->err, XPORTA_EINVAL,
                       "no account selected to write");
    xporta_status r = mnw_store_check(s);
    if (!r)
        r = ask_users(s, s->host);
    if (r)
        return r;
    s->existing = xp_set_has(&s->had, xp_key_hash(s->user, s->host));
    s->done = done;
    s->done_ud = ud;
    s->afirst = s->alast = NULL;
    mnw_free(s->w);
    s->w = NULL;
    return mnw_begin(&s->w, s->host, s->user, s->nodes, st->run);
}

static void refuse(struct mstore *s, const xporta_record *rec, const char *why)
{
    if (s->done)
        s->done(s->done_ud, rec->kind, rec->key, rec->id, false, why);
}

static xporta_status ms_write(struct store *st, const xporta_record *rec,
                              bool replace)
{
    struct mstore *s = (struct mstore *)st;
    (void)replace; /* load replaces a record under the same key */
    if (!s->w)
        return xp_fail(&st->run->err, XPORTA_EINVAL, "write without begin");
    if (s->refused[rec->kind]) {
        refuse(s, rec, s->refused[rec->kind]);
        return XPORTA_OK;
    }
    if (s->existing && (rec->kind == XPORTA_KIND_OFFLINE ||
                        rec->kind == XPORTA_KIND_PEP_NODE ||
                        rec->kind == XPORTA_KIND_PEP_AFFILIATIONS ||
                        rec->kind == XPORTA_KIND_PEP_SUBSCRIPTIONS ||
                        rec->kind == XPORTA_KIND_PEP_ITEM)) {
        refuse(s, rec,
               "the account was on ejabberd before this import, and xporta "
               "does not read Mnesia: its offline messages would arrive twice "
               "and its PEP nodes be made again; left out (import into a new "
               "account, or through ejabberd on SQL)");
        return XPORTA_OK;
    }
    if (rec->kind == XPORTA_KIND_ARCHIVE &&
        s->archive_bytes +
                (long long)(s->archive_rows + 1) * MN_BYTES_PER_MESSAGE >
            MN_ARCHIVE_LIMIT) {
        mnw_store_note(
            s, "archive: refused past ~1.5 GB - Mnesia's archive_msg "
               "stops at 2 GB (~980 bytes a message); switch ejabberd to "
               "SQL (sql_type sqlite|pgsql, default_db: sql) and import "
               "into ejabberd+sqlite:FILE or ejabberd+pgsql:DB");
        refuse(s, rec,
               "Mnesia's archive_msg would pass 1.5 GB (its limit is 2 GB): "
               "use ejabberd on SQL for this archive");
        return XPORTA_OK;
    }
    const char *why = NULL;
    xporta_status r = mnw_record(s->w, rec, &why);
    if (r == XPORTA_EUNSUPPORTED) {
        refuse(s, rec, why);
        return XPORTA_OK;
    }
    if (r)
        return r;
    if (rec->kind == XPORTA_KIND_ARCHIVE)
        s->archive_rows++;
    struct confirm *c = xp_arena_alloc(&s->ca, sizeof *c);
    if (!c || !(c->key = xp_arena_strdup(&s->ca, rec->key ? rec->key : "")) ||
        (rec->id && !(c->id = xp_arena_strdup(&s->ca, rec->id))))
        return xp_fail(&st->run->err, XPORTA_ENOMEM, "out of memory");
    if (!rec->id)
        c->id = NULL;
    c->kind = rec->kind;
    c->next = NULL;
    if (s->alast)
        s->alast->next = c;
    else
        s->afirst = c;
    s->alast = c;
    return XPORTA_OK;
}

static size_t ms_pending(const struct store *st)
{
    const struct mstore *s = (const struct mstore *)st;
    size_t n = 0;
    for (const struct confirm *c = s->first; c; c = c->next)
        n++;
    return n;
}

static xporta_status ms_write_end(struct store *st)
{
    struct mstore *s = (struct mstore *)st;
    if (!s->w)
        return st->run->err.status;
    xporta_status r = st->run->err.status;
    if (!r)
        r = mnw_finish(s->w, &s->batch, &s->tables, &s->nodes, &(uint64_t){0});
    mnw_free(s->w);
    s->w = NULL;
    if (r)
        return r;
    /* confirmed when the batch is loaded */
    if (s->afirst) {
        if (s->last)
            s->last->next = s->afirst;
        else
            s->first = s->afirst;
        s->last = s->alast;
    }
    s->afirst = s->alast = NULL;
    s->accounts++;
    return XPORTA_OK;
}

static bool ms_holds(struct store *st, const xporta_record *rec)
{
    (void)st;
    (void)rec;
    return false;
}

static bool ms_flush_due(const struct store *st)
{
    const struct mstore *s = (const struct mstore *)st;
    return s->accounts >= MN_BATCH_ACCOUNTS || s->batch.len >= MN_BATCH_BYTES;
}

static void ms_close(struct store *st)
{
    struct mstore *s = (struct mstore *)st;
    if (s->loaded) {
        /* ejabberd's caches (passwords, rosters, private, privacy) */
        const char *args[] = {"clear_cache", NULL};
        struct ejd_ctl_out o;
        char tail[300];
        if (mnw_store_ctl(s, args, MN_CTL_TIMEOUT, &o) || o.exit_code != 0) {
            char why[400];
            snprintf(why, sizeof why,
                     "%s clear_cache failed (%s): run it yourself, or users "
                     "who tried to log in before the import are refused "
                     "until ejabberd's caches expire",
                     s->ctl,
                     o.text ? ejd_ctl_tail(&o, tail, sizeof tail)
                            : xp_err_msg(&st->run->err));
            mnw_store_note(s, why);
        }
        ejd_ctl_out_free(&o);
    }
    if (s->dir)
        rmdir(s->dir); /* a file kept after a failed load keeps it */
    if (mnw_store_current == s)
        mnw_store_current = NULL;
    mnw_free(s->w);
    xp_strv_cleanup(&s->hosts_asked);
    xp_set_cleanup(&s->had);
    xp_buf_cleanup(&s->batch);
    xp_arena_cleanup(&s->ca);
    free(s->dir);
    free(s->ctl);
    free(s->host);
    free(s->user);
    free(s);
}

static xporta_status ms_open(struct store **out, const char *where,
                             const struct store_opts *o, struct xp_run *run)
{
    struct mstore *s = calloc(1, sizeof *s);
    if (!s)
        return xp_fail(&run->err, XPORTA_ENOMEM, "out of memory");
    s->base.run = run;
    xp_arena_init(&s->ca, 0);
    xp_buf_init(&s->batch, MN_BUF_MAX);
    xp_set_init(&s->had, 0);
    xporta_status st = XPORTA_OK;
    if (!(s->ctl = xp_strdup(where && *where ? where : "ejabberdctl")))
        st = xp_fail(&run->err, XPORTA_ENOMEM, "out of memory");
    else if (strchr(s->ctl, '/') && access(s->ctl, X_OK) != 0)
        st = xp_fail(&run->err, XPORTA_ENOTFOUND,
                     "%s: %s (ejabberd+mnesia:CTL names ejabberdctl, e.g. "
                     "ejabberd+mnesia:/usr/sbin/ejabberdctl)",
                     s->ctl, strerror(errno));
    if (!st && o && o->account)
        st = set_account(s, o->account);
    if (st) {
        ms_close(&s->base);
        return st;
    }
    *out = &s->base;
    return XPORTA_OK;
}

/* What ejabberd 23.01 keeps in Mnesia and this store writes. */
#define MN_WRITABLE                                                         \
    ((1u << XPORTA_KIND_CREDENTIALS) | (1u << XPORTA_KIND_ROSTER) |         \
     (1u << XPORTA_KIND_PENDING) | (1u << XPORTA_KIND_VCARD) |              \
     (1u << XPORTA_KIND_PRIVATE) | (1u << XPORTA_KIND_PRIVACY) |            \
     (1u << XPORTA_KIND_BLOCKLIST) | (1u << XPORTA_KIND_OFFLINE) |          \
     (1u << XPORTA_KIND_PEP_NODE) | (1u << XPORTA_KIND_PEP_AFFILIATIONS) |  \
     (1u << XPORTA_KIND_PEP_SUBSCRIPTIONS) | (1u << XPORTA_KIND_PEP_ITEM) | \
     (1u << XPORTA_KIND_ARCHIVE) | (1u << XPORTA_KIND_MAM_PREFS))

const struct store_driver store_ejabberd_mnesia_driver = {
    .scheme = "ejabberd+mnesia",
    .many = true,
    .summary = "ejabberd's Mnesia storage (its default), written through the "
               "running ejabberd: ejabberd+mnesia:/usr/sbin/ejabberdctl "
               "(write only)",
    .open = ms_open,
    .close = ms_close,
    .writable = MN_WRITABLE,
    .why_not = why_not,
    .skip = mn_skip,
    .read = ms_read,
    .write_begin = ms_write_begin,
    .write = ms_write,
    .pending = ms_pending,
    .write_end = ms_write_end,
    .select = ms_select,
    .holds = ms_holds,
    .flush = mnw_store_flush,
    .flush_due = ms_flush_due,
};
