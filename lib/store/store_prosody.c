/*
 * The store drivers for Prosody's own storage: "prosody:DIR" (the internal
 * files), "prosody+sqlite:FILE" and "prosody+pgsql:DATABASE"
 * (mod_storage_sql on SQLite and PostgreSQL).  The backends (prosody_fs.c,
 * prosody_sqlite.c, prosody_pgsql.c) know where the stores are;
 * prosody_map*.c what is in them; this file puts the two behind struct
 * store_driver, as a store of many accounts.
 *
 * Writes: write_begin() opens the selected account (one pmap_w), write()
 * applies a record in memory (archive items go to the backend at once),
 * write_end() commits the account as one unit and only then confirms its
 * records.  A record Prosody has no place for is refused at once, with
 * the reason, and the account's others go on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "prosody_room.h"
#include "prosody_store.h"
#include "store.h"

struct pstore {
    struct store base;
    struct pbe *b;
    char *only;        /* opts->user: one account to read, or NULL */
    char *host, *user; /* selected */
    struct pmap_w *w;
    bool rooms;                   /* a room is selected (host: its service) */
    struct proom_w *rw;           /* the room being written */
    struct proom_persist persist; /* its service's `persistent` map */
    unsigned long old_items;      /* history older than muc_log's expiry */
    store_done_fn done;
    void *done_ud;
    struct store_confirms confirms; /* of the account being written */
};

static const char *why_not(xporta_kind k)
{
    (void)k;
    return "Prosody 0.12 has no store for it";
}

/* Splits "user@host" into s->user and s->host. */
static xporta_status set_account(struct pstore *s, const char *jid)
{
    return store_split_account(jid, &s->user, &s->host, s->base.run);
}

static xporta_status ps_select(struct store *st, const char *jid)
{
    struct pstore *s = (struct pstore *)st;
    pmap_w_free(s->w); /* an account not committed is dropped */
    s->w = NULL;
    proom_w_free(s->rw);
    s->rw = NULL;
    s->rooms = false;
    store_confirms_reset(&s->confirms);
    return set_account(s, jid);
}

static xporta_status ps_select_room(struct store *st, const char *room)
{
    xporta_status r = ps_select(st, room);
    ((struct pstore *)st)->rooms = true;
    return r;
}

/* Every room, one after the other, as read_all() reads accounts. */
static xporta_status read_rooms(struct pstore *s, uint32_t kinds,
                                const struct store_sink *sink)
{
    struct xp_strv rooms = {0};
    struct xp_run *run = s->base.run;
    unsigned long tombstones = 0;
    xporta_status st = proom_list(s->b, &rooms);
    for (size_t i = 0; !st && i < rooms.n; i++) {
        const char *jid = rooms.v[i];
        if (run->cancel) {
            st = xp_fail(&run->err, XPORTA_ECANCELED, "canceled");
            break;
        }
        const char *at = strrchr(jid, '@');
        char *node = xp_strndup(jid, (size_t)(at - jid));
        bool skipped = false;
        xporta_status r =
            node ? proom_read(s->b, at + 1, node, kinds, sink, &skipped)
                 : xp_fail(&run->err, XPORTA_ENOMEM, "out of memory");
        free(node);
        if (!r && skipped) {
            tombstones++;
            continue;
        }
        st = store_read_outcome(run, sink, jid, r,
                                r == XPORTA_EFORMAT || r == XPORTA_EIO);
        if (st)
            break;
        xp_run_progress(run, "read", XPORTA_KIND_COUNT, i + 1, rooms.n, -1, 0,
                        jid, false);
    }
    if (!st && tombstones)
        xp_run_note(run, XPORTA_KIND_ROOM_CONFIG,
                    "%lu destroyed room%s of %s left out (Prosody keeps a "
                    "tombstone for a while)",
                    tombstones, tombstones == 1 ? "" : "s", s->b->where);
    xp_strv_cleanup(&rooms);
    return st;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every account, one after the other; one that cannot be read is
 * reported through account_end and the read goes on. */
static xporta_status read_all(struct pstore *s, uint32_t kinds,
                              const struct store_sink *sink)
{
    struct xp_strv users = {0}, rejects = {0}, stores = {0};
    struct xp_run *run = s->base.run;
    xporta_status st = s->b->ops->users(s->b, &users, &rejects);
    /* what the server keeps that xporta does not know: said, not lost
     * silently */
    if (!st && s->b->ops->all_stores &&
        !(st = s->b->ops->all_stores(s->b, &stores))) {
        char list[400] = "";
        size_t n = 0;
        if (stores.n)
            qsort(stores.v, stores.n, sizeof *stores.v, cmp_str);
        for (size_t i = 0; i < stores.n; i++)
            if (!pmap_known_store(stores.v[i]) && n++ < 12)
                snprintf(list + strlen(list), sizeof list - strlen(list),
                         "%s%s", n > 1 ? ", " : "", stores.v[i]);
        if (n)
            xp_run_note(run, XPORTA_KIND_OTHER,
                        "%zu store%s of %s that xporta does not know stay "
                        "where they are: %s%s",
                        n, n == 1 ? "" : "s", s->b->where, list,
                        n > 12 ? ", ..." : "");
    }
    xp_strv_cleanup(&stores);
    for (size_t i = 0; !st && i < rejects.n; i++) {
        if (!sink->account_end) {
            st = xp_fail(&run->err, XPORTA_EFORMAT,
                         "%s: not a user name Prosody could have written",
                         rejects.v[i]);
            break;
        }
        sink->account_end(sink->ud, rejects.v[i], XPORTA_EFORMAT,
                          "not a user name Prosody could have written");
    }
    xp_strv_cleanup(&rejects);
    for (size_t i = 0; !st && i < users.n; i++) {
        const char *jid = users.v[i];
        if (s->only && strcmp(s->only, jid) != 0)
            continue;
        if (run->cancel) {
            st = xp_fail(&run->err, XPORTA_ECANCELED, "canceled");
            break;
        }
        const char *at = strrchr(jid, '@');
        char *user = xp_strndup(jid, (size_t)(at - jid));
        if (!user) {
            st = xp_fail(&run->err, XPORTA_ENOMEM, "out of memory");
            break;
        }
        xporta_status r = pmap_read(s->b, at + 1, user, kinds, sink);
        free(user);
        st = store_read_outcome(run, sink, jid, r,
                                r == XPORTA_EFORMAT || r == XPORTA_EIO);
        if (st)
            break;
        xp_run_progress(run, "read", XPORTA_KIND_COUNT, i + 1, users.n, -1, 0,
                        jid, false);
    }
    xp_strv_cleanup(&users);
    return st;
}

static xporta_status ps_read(struct store *st, uint32_t kinds,
                             const struct xp_strv *private_ns,
                             const struct store_sink *sink)
{
    struct pstore *s = (struct pstore *)st;
    (void)private_ns; /* every private element is read */
    if (s->rooms)
        return s->user ? proom_read(s->b, s->host, s->user, kinds, sink, NULL)
                       : read_rooms(s, kinds, sink);
    if (!s->user)
        return read_all(s, kinds, sink);
    return pmap_read(s->b, s->host, s->user, kinds, sink);
}

static unsigned ps_quirks(const struct store *st)
{
    (void)st;
    return 0;
}

static xporta_status ps_write_begin(struct store *st, store_done_fn done,
                                    void *ud)
{
    struct pstore *s = (struct pstore *)st;
    if (!s->user)
        return xp_fail(&st->run->err, XPORTA_EINVAL,
                       "no account selected to write");
    char *cfg = NULL;
    /* live: store_history_refusal() said this store and kind are safe */
    long pid = s->b->live ? 0 : s->b->ops->running(s->b, &cfg);
    if (s->b->live && s->rooms)
        return xp_fail(&st->run->err, XPORTA_EINVAL,
                       "rooms are not written beside a running Prosody");
    if (pid) {
        xporta_status r = xp_fail(
            &st->run->err, XPORTA_ELOCKED,
            "Prosody is running on %s (pid %ld, configuration %s): it keeps "
            "online users' rosters and PEP nodes in memory and would write "
            "over an import.  Stop it first (systemctl stop prosody, or "
            "prosodyctl stop), then run the same command again",
            s->b->where, pid, cfg ? cfg : "?");
        free(cfg);
        return r;
    }
    s->done = done;
    s->done_ud = ud;
    store_confirms_reset(&s->confirms);
    if (s->rooms)
        return proom_w_begin(&s->rw, s->b, s->host, s->user);
    return pmap_w_begin(&s->w, s->b, s->host, s->user);
}

static xporta_status ps_write(struct store *st, const xporta_record *rec,
                              bool replace)
{
    struct pstore *s = (struct pstore *)st;
    const char *why = NULL;
    xporta_status r;
    if (s->b->live && ((rec->kind != XPORTA_KIND_ARCHIVE &&
                        rec->kind != XPORTA_KIND_OFFLINE) ||
                       replace)) {
        r = XPORTA_EUNSUPPORTED;
        why = "beside a running Prosody only new archive and offline "
              "messages are written";
    } else if (s->rooms) {
        r = proom_w_record(s->rw, rec, replace, &why);
    } else {
        r = pmap_w_record(s->w, rec, replace, &why);
    }
    if (r == XPORTA_EUNSUPPORTED) {
        if (s->done)
            s->done(s->done_ud, rec->kind, rec->key, rec->id, false, why);
        return XPORTA_OK;
    }
    if (r)
        return r;
    return store_confirms_add(&s->confirms, rec, st->run);
}

static size_t ps_pending(const struct store *st)
{
    (void)st;
    return 0;
}

static xporta_status room_end(struct pstore *s)
{
    struct xp_run *run = s->base.run;
    if (!s->rw)
        return run->err.status;
    xporta_status r =
        run->err.status ? run->err.status : proom_w_commit(s->rw, &s->persist);
    unsigned long old = proom_w_old_items(s->rw);
    proom_w_free(s->rw);
    s->rw = NULL;
    if (!r)
        store_confirms_send(&s->confirms, s->done, s->done_ud);
    store_confirms_reset(&s->confirms);
    if (!r && old) {
        s->old_items += old;
        xp_run_note(run, XPORTA_KIND_ROOM_CONFIG,
                    "%lu room message%s older than a week written: Prosody "
                    "deletes room history older than muc_log_expires_after "
                    "(1 week by default; on SQL at the next midnight (UTC) "
                    "after Prosody starts, on the internal storage a week "
                    "after the room's next message); "
                    "set muc_log_expires_after = \"never\" on the MUC "
                    "component to keep it",
                    s->old_items, s->old_items == 1 ? "" : "s");
    }
    return r;
}

static xporta_status ps_write_end(struct store *st)
{
    struct pstore *s = (struct pstore *)st;
    if (s->rooms)
        return room_end(s);
    if (!s->w)
        return st->run->err.status;
    xporta_status r =
        st->run->err.status ? st->run->err.status : pmap_w_commit(s->w);
    pmap_w_free(s->w);
    s->w = NULL;
    if (!r)
        store_confirms_send(&s->confirms, s->done, s->done_ud);
    store_confirms_reset(&s->confirms);
    return r;
}

static bool ps_holds(struct store *st, const xporta_record *rec)
{
    struct pstore *s = (struct pstore *)st;
    if (s->rooms)
        return s->rw && proom_w_holds(s->rw, rec);
    return s->w && pmap_w_holds(s->w, rec);
}

static xporta_status ps_flush(struct store *st)
{
    struct pstore *s = (struct pstore *)st;
    /* the rooms committed so far are listed before they are durable */
    xporta_status r = proom_persist_write(&s->persist, s->b);
    if (r)
        return r;
    return s->b->ops->flush ? s->b->ops->flush(s->b) : XPORTA_OK;
}

static void ps_close(struct store *st)
{
    struct pstore *s = (struct pstore *)st;
    pmap_w_free(s->w);
    proom_w_free(s->rw);
    proom_persist_cleanup(&s->persist);
    if (s->b)
        s->b->ops->close(s->b);
    free(s->only);
    free(s->host);
    free(s->user);
    store_confirms_cleanup(&s->confirms);
    free(s);
}

typedef xporta_status (*pbe_open_fn)(struct pbe **out, const char *where,
                                     bool write, struct xp_run *run);

static xporta_status open_with(pbe_open_fn backend, struct store **out,
                               const char *where, const struct store_opts *o,
                               struct xp_run *run)
{
    struct pstore *s = calloc(1, sizeof *s);
    if (!s)
        return xp_fail(&run->err, XPORTA_ENOMEM, "out of memory");
    s->base.run = run;
    store_confirms_init(&s->confirms);
    proom_persist_init(&s->persist);
    xporta_status st = backend(&s->b, where, o && o->target, run);
    if (!st && o && o->live)
        s->b->live = true;
    if (!st && o && o->user && !(s->only = xp_strdup(o->user)))
        st = xp_fail(&run->err, XPORTA_ENOMEM, "out of memory");
    if (!st && o && o->account)
        st = set_account(s, o->account);
    if (st) {
        ps_close(&s->base);
        return st;
    }
    *out = &s->base;
    return XPORTA_OK;
}

static xporta_status ps_open_fs(struct store **out, const char *where,
                                const struct store_opts *o, struct xp_run *run)
{
    return open_with(pbe_fs_open, out, where, o, run);
}

static xporta_status ps_open_sqlite(struct store **out, const char *where,
                                    const struct store_opts *o,
                                    struct xp_run *run)
{
    return open_with(pbe_sqlite_open, out, where, o, run);
}

static xporta_status ps_open_pgsql(struct store **out, const char *where,
                                   const struct store_opts *o,
                                   struct xp_run *run)
{
    return open_with(pbe_pgsql_open, out, where, o, run);
}

#define PROSODY_DRIVER                                                       \
    .many = true, .close = ps_close, .writable = PMAP_WRITABLE,              \
    .why_not = why_not, .read = ps_read, .quirks = ps_quirks,                \
    .write_begin = ps_write_begin, .write = ps_write, .pending = ps_pending, \
    .write_end = ps_write_end, .select = ps_select, .holds = ps_holds,       \
    .flush = ps_flush, .select_room = ps_select_room,                        \
    .room_writable = PROOM_WRITABLE, .room_skip = proom_skip

const struct store_driver store_prosody_driver = {
    .scheme = "prosody",
    .summary = "Prosody's internal storage: its data directory "
               "(prosody:/var/lib/prosody); read, or written while Prosody "
               "is stopped",
    .open = ps_open_fs,
    PROSODY_DRIVER,
};

const struct store_driver store_prosody_sqlite_driver = {
    .scheme = "prosody+sqlite",
    .summary = "Prosody's SQL storage on SQLite 3: the database file "
               "(prosody+sqlite:/var/lib/prosody/prosody.sqlite)",
    .open = ps_open_sqlite,
    PROSODY_DRIVER,
};

const struct store_driver store_prosody_pgsql_driver = {
    .scheme = "prosody+pgsql",
    .summary = "Prosody's SQL storage on PostgreSQL: the database "
               "(prosody+pgsql://prosody@localhost/prosody, or "
               "prosody+pgsql:'host=... dbname=... user=...'); the password "
               "from ~/.pgpass, PGPASSFILE or PGPASSWORD, never the address",
    .open = ps_open_pgsql,
    PROSODY_DRIVER,
};
