/*
 * lib/transfer/xfer_bulk.c: copying whole stores, account by account, in
 * one stream (xfer_bulk.h has the design note).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xfer_bulk.h"
#include "xfer_diff.h"
#include "xfer_twin.h"

/* Journal syncs: after this many accounts, or this many seconds. */
#define SYNC_ACCOUNTS 256
#define SYNC_SECONDS 2.0

struct bulk {
    struct xp_run *run;
    const struct xfer_bulk_opts *o;
    struct store *src, *tgt;
    /* the account being copied */
    char *jid;     /* the target's name for it */
    char *src_jid; /* the source's */
    bool skipping, writing;
    bool live_taken;  /* live_account: the source's account was seen */
    bool live_exists; /* ... and the target has its credentials */
    /* the second pass: the rooms of the MUC services (XEP-0519) */
    bool rooms;
    char *service, *to_service; /* the source's service open, its name */
    /* the account's counts are taken: a confirmation now (a store that
     * confirms a batch of accounts when it flushes) goes to the totals */
    bool counted;
    struct xp_map map; /* key hash -> value hash */
    xporta_import_counts c[XPORTA_KIND_COUNT];
    struct xp_set seen;  /* key hashes of this account's source records */
    struct xp_set twins; /* live: the target archive's prints (xfer_twin.h) */
    /* accounts committed to the target but not yet durable there: they
     * reach the journal only after store_flush() */
    struct xp_strv unsynced, unsynced_rooms;
    double last_sync;
    struct xfer_bulk_result *res;
};

static void act(struct bulk *b, xporta_action a, const xporta_record *rec,
                const char *why)
{
    if (b->o->action)
        b->o->action(b->o->action_ud, a, rec->kind, rec->key, rec->id, why);
}

/* Offline messages have no identity of their own (a sequence number):
 * they are told apart by content. */
static uint64_t identity(const xporta_record *rec, const char *owner)
{
    if (rec->kind == XPORTA_KIND_OFFLINE)
        return xfer_value_hash(rec, owner) ^ 0x6f66666c696e65ull;
    return xfer_key_hash(rec);
}

static xporta_status map_target(void *ud, xporta_record *rec)
{
    struct bulk *b = ud;
    uint64_t k = identity(rec, b->jid);
    if (xp_map_put(&b->map, k | 1, xfer_value_hash(rec, b->jid)) < 0)
        return xp_fail(&b->run->err, XPORTA_ENOMEM, "out of memory");
    bool oom = false;
    if (b->o->live_account && !b->rooms) {
        xfer_twin_add(&b->twins, rec, &oom);
        if (rec->kind == XPORTA_KIND_CREDENTIALS)
            b->live_exists = true;
    }
    return oom ? xp_fail(&b->run->err, XPORTA_ENOMEM, "out of memory")
               : XPORTA_OK;
}

static void on_done(void *ud, xporta_kind kind, const char *key, const char *id,
                    bool ok, const char *why)
{
    struct bulk *b = ud;
    xporta_import_counts *c = b->counted ? b->o->counts : b->c;
    if (ok) {
        c[kind].written++;
        return;
    }
    c[kind].failed++;
    if (b->o->action)
        b->o->action(b->o->action_ud, XPORTA_ACTION_FAILED, kind, key, id, why);
}

/* The target makes what it committed durable, and only then does the
 * journal say so: a journal line (even one not synced, which the system
 * keeps after the process dies) never names an account a crash could take
 * back (a SQL transaction rolled back, a rename not yet on disk). */
static xporta_status sync_journal(struct bulk *b, bool force)
{
    size_t n = b->unsynced.n + b->unsynced_rooms.n;
    if (!b->o->journal || !n ||
        (!force && n < SYNC_ACCOUNTS && xp_now() - b->last_sync < SYNC_SECONDS))
        return XPORTA_OK;
    xporta_status st = store_flush(b->tgt);
    for (size_t i = 0; !st && i < b->unsynced.n; i++)
        if (xfer_journal_done(b->o->journal, "account", b->unsynced.v[i],
                              NULL) != XPORTA_OK)
            st = XPORTA_EIO;
    for (size_t i = 0; !st && i < b->unsynced_rooms.n; i++)
        if (xfer_journal_done(b->o->journal, "room", b->unsynced_rooms.v[i],
                              NULL) != XPORTA_OK)
            st = XPORTA_EIO;
    if (!st && xfer_journal_sync(b->o->journal) != XPORTA_OK)
        st = XPORTA_EIO;
    if (st == XPORTA_EIO && !b->run->err.status)
        xp_fail(&b->run->err, xfer_journal_status(b->o->journal), "%s",
                xfer_journal_error(b->o->journal));
    xp_strv_cleanup(&b->unsynced);
    xp_strv_cleanup(&b->unsynced_rooms);
    b->last_sync = xp_now();
    return st ? (b->run->err.status ? b->run->err.status : st) : XPORTA_OK;
}

/* The kinds the target keeps, of an account or of a room. */
static uint32_t writable(const struct bulk *b)
{
    return b->rooms ? b->tgt->drv->room_writable : b->tgt->drv->writable;
}

/* A room's service (the component): renamed once, when it begins. */
static xporta_status room_service(struct bulk *b, const char *service)
{
    if (xp_streq(b->service, service))
        return XPORTA_OK;
    free(b->service);
    free(b->to_service);
    b->to_service = NULL;
    const char *to = NULL;
    b->service = xp_strdup(service);
    if (!b->service ||
        xporta_filter_rename_component(b->o->filter, service, &to) !=
            XPORTA_OK ||
        !(b->to_service = xp_strdup(to ? to : service)))
        return xp_fail(&b->run->err, XPORTA_ENOMEM, "out of memory");
    return XPORTA_OK;
}

static xporta_status on_account(void *ud, const char *jid)
{
    struct bulk *b = ud;
    struct xp_run *run = b->run;
    xporta_filter *f = b->o->filter;
    free(b->jid);
    b->jid = NULL;
    free(b->src_jid);
    if (!(b->src_jid = xp_strdup(jid)))
        return xp_fail(&run->err, XPORTA_ENOMEM, "out of memory");
    memset(b->c, 0, sizeof b->c);
    b->counted = false;
    xp_map_cleanup(&b->map);
    xp_map_init(&b->map);
    xp_set_clear(&b->seen);
    xp_set_clear(&b->twins);
    const char *at = strrchr(jid, '@');
    if (!at)
        return xp_fail(&run->err, XPORTA_EFORMAT, "%s: not an account", jid);
    char *user = xp_strndup(jid, (size_t)(at - jid));
    if (!user)
        return xp_fail(&run->err, XPORTA_ENOMEM, "out of memory");
    const char *host;
    if (b->rooms) {
        /* every room is kept; its service renamed as the file layer
         * renames components (conference.OLD -> conference.NEW) */
        b->skipping = false;
        xporta_status st = room_service(b, at + 1);
        if (st) {
            free(user);
            return st;
        }
        host = b->to_service;
    } else {
        b->skipping = !xporta_filter_keep_user(f, at + 1, user);
        host = xporta_filter_host(f, at + 1);
    }
    char *tj = xp_strcat(user, "@");
    b->jid = tj ? xp_strcat(tj, host) : NULL;
    free(tj);
    free(user);
    if (!b->jid)
        return xp_fail(&run->err, XPORTA_ENOMEM, "out of memory");
    if (b->skipping)
        return XPORTA_OK;
    if (b->o->live_account && !b->rooms) {
        if (b->live_taken)
            return xp_fail(&run->err, XPORTA_EINVAL,
                           "%s holds more than one account (%s too): name "
                           "the one to import",
                           b->o->source, jid);
        b->live_taken = true;
        free(b->jid);
        if (!(b->jid = xp_strdup(b->o->live_account)) ||
            xporta_filter_rename_account(f, jid, b->o->live_account) !=
                XPORTA_OK)
            return xp_fail(&run->err, XPORTA_ENOMEM, "out of memory");
    }
    if (b->o->journal &&
        xfer_journal_is_done(b->o->journal, b->rooms ? "room" : "account",
                             b->jid, NULL)) {
        b->skipping = true;
        if (b->rooms)
            b->res->rooms_before++;
        else
            b->res->done_before++;
        return XPORTA_OK;
    }
    /* what the target holds of this account */
    xporta_status st = b->rooms ? store_select_room(b->tgt, b->jid)
                                : store_select(b->tgt, b->jid);
    struct store_sink sink = {.record = map_target, .ud = b};
    if (!st)
        st = store_read(
            b->tgt,
            writable(b) &
                (b->o->kinds |
                 (b->o->live_account ? 1u << XPORTA_KIND_CREDENTIALS : 0)),
            NULL, &sink);
    /* live: the user's own account, which exists (never an orphan
     * history under a mistyped name) */
    if (!st && b->o->live_account && !b->rooms && !b->live_exists)
        st = xp_fail(&run->err, XPORTA_ENOTFOUND,
                     "%s has no account %s (its credentials are not there): "
                     "the history goes into an existing account",
                     b->o->target, b->jid);
    if (!st && !b->o->dry_run) {
        st = store_write_begin(b->tgt, on_done, b);
        b->writing = st == XPORTA_OK;
    }
    return st;
}

static xporta_status on_record(void *ud, xporta_record *rec)
{
    struct bulk *b = ud;
    struct xp_run *run = b->run;
    if (b->skipping)
        return XPORTA_OK;
    bool keep = true;
    if (xporta_filter_record(b->o->filter, rec, &keep) != XPORTA_OK)
        return xp_fail(&run->err, XPORTA_EFORMAT, "%s:%lu:%lu: %s",
                       rec->file ? rec->file : "", rec->line, rec->col,
                       xporta_filter_error(b->o->filter));
    if (!keep || !(b->o->kinds & (1u << rec->kind)))
        return XPORTA_OK;
    xporta_import_counts *c = &b->c[rec->kind];
    c->source++;
    const struct store_driver *td = b->tgt->drv;
    if (!(writable(b) & (1u << rec->kind))) {
        c->not_restorable++;
        act(b, XPORTA_ACTION_SKIP, rec, store_why_not(td, rec->kind));
        return XPORTA_OK;
    }
    const char *why = !b->rooms       ? store_skip(td, rec)
                      : td->room_skip ? td->room_skip(rec)
                                      : NULL;
    if (why) {
        c->skip++;
        act(b, XPORTA_ACTION_SKIP, rec, why);
        return XPORTA_OK;
    }
    uint64_t k = identity(rec, b->jid) | 1;
    int fresh = xp_set_add(&b->seen, k);
    if (fresh < 0)
        return xp_fail(&run->err, XPORTA_ENOMEM, "out of memory");
    if (fresh == 0) {
        c->skip++;
        act(b, XPORTA_ACTION_SKIP, rec,
            "the source has an earlier record under this key (after "
            "renaming), which is imported");
        return XPORTA_OK;
    }
    uint64_t have;
    bool replace = false;
    if (xp_map_get(&b->map, k, &have)) {
        /* equal, or equal in effect (what the store keeps of it) */
        if (xfer_same_value(have, xfer_value_hash(rec, b->jid)) ||
            store_holds(b->tgt, rec)) {
            c->same++;
            act(b, XPORTA_ACTION_SAME, rec, NULL);
            return XPORTA_OK;
        }
        if (b->o->conflict != XPORTA_CONFLICT_REPLACE) {
            c->conflict++;
            act(b, XPORTA_ACTION_CONFLICT, rec, NULL);
            return XPORTA_OK;
        }
        replace = true;
        c->replace++;
        act(b, XPORTA_ACTION_REPLACE, rec, NULL);
    } else if (store_holds(b->tgt, rec)) {
        c->same++;
        act(b, XPORTA_ACTION_SAME, rec, NULL);
        return XPORTA_OK;
    } else if (b->o->live_account && xfer_twin_in(&b->twins, rec)) {
        c->skip++;
        act(b, XPORTA_ACTION_SKIP, rec,
            "the account's archive has it already (delivered after an "
            "earlier import, or readable there)");
        return XPORTA_OK;
    } else {
        c->add++;
        act(b, XPORTA_ACTION_ADD, rec, NULL);
    }
    return b->o->dry_run ? XPORTA_OK : store_write(b->tgt, rec, replace);
}

static void add_counts(xporta_import_counts *to, const xporta_import_counts *c)
{
    for (int k = 0; k < XPORTA_KIND_COUNT; k++) {
        to[k].source += c[k].source;
        to[k].add += c[k].add;
        to[k].replace += c[k].replace;
        to[k].same += c[k].same;
        to[k].conflict += c[k].conflict;
        to[k].skip += c[k].skip;
        to[k].not_restorable += c[k].not_restorable;
        to[k].written += c[k].written;
        to[k].failed += c[k].failed;
    }
}

/* The account ends: commit it, or drop what came of it.  A store may also
 * report an account it could not even begin (a file name no server could
 * have written): `jid` is then not the account in progress. */
static void on_account_end(void *ud, const char *jid, xporta_status st,
                           const char *why)
{
    struct bulk *b = ud;
    bool current = b->src_jid && strcmp(b->src_jid, jid) == 0;
    if (!current) {
        if (st != XPORTA_OK) {
            if (b->rooms)
                b->res->rooms_failed++;
            else
                b->res->failed++;
            if (b->o->account)
                b->o->account(b->o->account_ud, jid, st, why, NULL);
        }
        return;
    }
    free(b->src_jid);
    b->src_jid = NULL;
    if (b->skipping) {
        b->counted = true;
        return;
    }
    if (st == XPORTA_OK && b->writing) {
        st = store_write_end(b->tgt); /* failures are the whole run's */
        b->writing = false;
        if (st == XPORTA_OK && b->o->journal &&
            xp_strv_add(b->rooms ? &b->unsynced_rooms : &b->unsynced, b->jid) <
                0)
            st = xp_fail(&b->run->err, XPORTA_ENOMEM, "out of memory");
        if (st == XPORTA_OK)
            st = sync_journal(b, store_flush_due(b->tgt));
        if (st != XPORTA_OK)
            return; /* run->err holds it: the read stops there */
    } else if (st != XPORTA_OK) {
        if (b->writing)
            store_select(b->tgt, NULL); /* drops the uncommitted account */
        b->writing = false;
        if (b->rooms)
            b->res->rooms_failed++;
        else
            b->res->failed++;
        b->counted = true;
        if (b->o->account)
            b->o->account(b->o->account_ud, b->jid, st, why, NULL);
        return;
    }
    if (b->rooms)
        b->res->rooms++;
    else
        b->res->accounts++;
    add_counts(b->o->counts, b->c);
    b->counted = true;
    if (b->o->account)
        b->o->account(b->o->account_ud, b->jid, st, why, b->c);
}

static uint32_t o_kinds(const struct bulk *b)
{
    return b->o->kinds &
           (XFER_ROOM_KINDS | (1u << XPORTA_KIND_ARCHIVE) |
            (1u << XPORTA_KIND_VCARD) | (1u << XPORTA_KIND_OTHER));
}

static xporta_status count_room(void *ud, const char *jid)
{
    (void)jid;
    (*(uint64_t *)ud)++;
    return XPORTA_OK;
}

static xporta_status ignore_record(void *ud, xporta_record *rec)
{
    (void)ud;
    (void)rec;
    return XPORTA_OK;
}

/* The second pass: the source's rooms, room by room as accounts are
 * copied, into a target that keeps rooms (else they are counted and
 * said to stay). */
static xporta_status copy_rooms(struct bulk *b)
{
    struct xp_run *run = b->run;
    if (!store_has_rooms(b->src))
        return XPORTA_OK;
    xporta_status st = store_select_room(b->src, NULL);
    if (!st && !store_has_rooms(b->tgt)) {
        uint64_t n = 0;
        struct store_sink sink = {
            .record = ignore_record, .account = count_room, .ud = &n};
        st = store_read(b->src, 1u << XPORTA_KIND_ROOM_CONFIG, NULL, &sink);
        if (!st && n)
            xp_run_note(run, XPORTA_KIND_ROOM_CONFIG,
                        "%llu room%s of %s not copied: %s keeps no rooms "
                        "(yet)",
                        (unsigned long long)n, n == 1 ? "" : "s", b->o->source,
                        b->o->target);
        return st;
    }
    free(b->jid);
    free(b->src_jid);
    b->jid = b->src_jid = NULL;
    b->rooms = true;
    if (!st) {
        struct store_sink sink = {.record = on_record,
                                  .account = on_account,
                                  .account_end = on_account_end,
                                  .ud = b};
        st = store_read(b->src, o_kinds(b), NULL, &sink);
    }
    if (!st && run->err.status)
        st = run->err.status;
    return st;
}

/* Records arrive between on_account and on_account_end; a store of one
 * account (a file) ends its account only with the read.  */
xporta_status xfer_bulk(struct xp_run *run, const struct xfer_bulk_opts *o,
                        struct xfer_bulk_result *res)
{
    struct bulk b = {.run = run, .o = o, .res = res};
    memset(res, 0, sizeof *res);
    xp_map_init(&b.map);
    xp_set_init(&b.seen, 0);
    xp_set_init(&b.twins, 0);
    b.last_sync = xp_now();
    struct store_opts so = {.domain = o->source_domain},
                      to = {.target = !o->dry_run,
                            .live = o->live_account != NULL,
                            .domain = o->target_domain};
    xporta_status st = store_open(&b.src, o->source, &so, run);
    if (!st)
        st = store_open(&b.tgt, o->target, &to, run);
    if (!st && !store_is_multi(b.tgt))
        st = xp_fail(&run->err, XPORTA_EINVAL,
                     "%s: the target of a whole-store copy is a server's "
                     "storage (for a file, use server-export)",
                     o->target);
    if (!st && b.src->drv->select)
        st = store_select(b.src, NULL);
    if (!st) {
        struct store_sink sink = {.record = on_record,
                                  .account = on_account,
                                  .account_end = on_account_end,
                                  .ud = &b};
        st = store_read(b.src, o->kinds, NULL, &sink);
    }
    if (!st && run->err.status)
        st = run->err.status;
    if (!st && (o->kinds & XFER_ROOM_KINDS) && !o->live_account)
        st = copy_rooms(&b);
    if (b.writing) { /* a read that stopped inside an account */
        store_select(b.tgt, NULL);
        b.writing = false;
    }
    /* What was committed is made durable and journaled, even when the
     * run stops on an error: the next run need not do it again. */
    if (b.tgt && !o->journal && o->live_account && !o->dry_run && !st) {
        st = store_flush(b.tgt); /* no journal: committed now */
        if (st && run->err.status)
            st = run->err.status;
    }
    if (b.tgt) {
        xporta_status fs = sync_journal(&b, true);
        if (!st)
            st = fs;
    }
    xp_strv_cleanup(&b.unsynced);
    xp_strv_cleanup(&b.unsynced_rooms);
    free(b.service);
    free(b.to_service);
    xp_map_cleanup(&b.map);
    xp_set_cleanup(&b.seen);
    xp_set_cleanup(&b.twins);
    free(b.jid);
    free(b.src_jid);
    store_close(b.tgt);
    store_close(b.src);
    return st;
}
