/*
 * The store drivers for ejabberd's SQL storage: "ejabberd+sqlite:FILE" and
 * "ejabberd+pgsql:DATABASE" (sql_type sqlite or pgsql in ejabberd.yml,
 * either schema).  The engines (ejd_sqlite.c, ejd_pgsql.c) run the
 * statements; ejd_map*.c, ejd_read.c and ejd_write*.c know the tables;
 * this file puts them behind struct store_driver, as a store of many
 * accounts.
 *
 * Writes: write_begin() opens the selected account (one savepoint),
 * write() applies a record, write_end() releases the savepoint and only
 * then confirms the account's records; flush() commits the transaction
 * that holds the accounts written since the last one.  A record ejabberd
 * has no place for is refused at once, with the reason, and the account's
 * others go on.
 *
 * Rooms (ejd_room_sql.c): select_room() picks a room ("name@service") as
 * select() an account; read() and write_begin() .. write_end() then
 * concern it (muc_room, muc_registered, its archive rows).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ejd_map_p.h"
#include "store.h"

struct estore {
    struct store base;
    struct ejd e;
    char *only;        /* opts->user: one account to read, or NULL */
    char *host, *user; /* selected */
    struct ejd_w *w;
    bool rooms;        /* a room is selected (host: its service) */
    struct ejd_rw *rw; /* the room being written */
    store_done_fn done;
    void *done_ud;
    struct store_confirms confirms; /* of the account being written */
    bool checked;                   /* no ejabberd runs on it */
    bool live; /* store_opts.live: beside the running ejabberd */
};

static const char *why_not(xporta_kind k)
{
    (void)k;
    return "ejabberd 23.01 has no table for it";
}

static xporta_status set_account(struct estore *s, const char *jid)
{
    return store_split_account(jid, &s->user, &s->host, s->base.run);
}

static xporta_status es_select(struct store *st, const char *jid)
{
    struct estore *s = (struct estore *)st;
    ejd_w_free(s->w); /* an account not committed is dropped */
    s->w = NULL;
    ejd_rw_free(s->rw);
    s->rw = NULL;
    s->rooms = false;
    store_confirms_reset(&s->confirms);
    return set_account(s, jid);
}

static xporta_status es_select_room(struct store *st, const char *room)
{
    xporta_status r = es_select(st, room);
    ((struct estore *)st)->rooms = true;
    return r;
}

/* Every room, one after the other, as read_all() reads accounts. */
static xporta_status read_rooms(struct estore *s, uint32_t kinds,
                                const struct store_sink *sink)
{
    struct xp_strv rooms = {0};
    struct xp_run *run = s->base.run;
    xporta_status st = ejd_rooms(&s->e, &rooms);
    for (size_t i = 0; !st && i < rooms.n; i++) {
        const char *jid = rooms.v[i];
        if (run->cancel) {
            st = xp_fail(&run->err, XPORTA_ECANCELED, "canceled");
            break;
        }
        const char *at = strrchr(jid, '@');
        char *name = xp_strndup(jid, (size_t)(at - jid));
        xporta_status r =
            name ? ejd_room_read(&s->e, at + 1, name, kinds, sink)
                 : xp_fail(&run->err, XPORTA_ENOMEM, "out of memory");
        free(name);
        st = store_read_outcome(run, sink, jid, r, r == XPORTA_EFORMAT);
        if (st)
            break;
        xp_run_progress(run, "read", XPORTA_KIND_COUNT, i + 1, rooms.n, -1, 0,
                        jid, false);
    }
    xp_strv_cleanup(&rooms);
    return st;
}

/* Every account, one after the other; one that cannot be read is
 * reported through account_end and the read goes on. */
static xporta_status read_all(struct estore *s, uint32_t kinds,
                              const struct store_sink *sink)
{
    struct xp_strv users = {0};
    struct xp_run *run = s->base.run;
    xporta_status st = ejd_users(&s->e, &users);
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
        xporta_status r = ejd_read(&s->e, at + 1, user, kinds, sink);
        free(user);
        st = store_read_outcome(run, sink, jid, r, r == XPORTA_EFORMAT);
        if (st)
            break;
        xp_run_progress(run, "read", XPORTA_KIND_COUNT, i + 1, users.n, -1, 0,
                        jid, false);
    }
    xp_strv_cleanup(&users);
    return st;
}

static xporta_status es_read(struct store *st, uint32_t kinds,
                             const struct xp_strv *private_ns,
                             const struct store_sink *sink)
{
    struct estore *s = (struct estore *)st;
    (void)private_ns; /* every private element is read */
    if (s->rooms)
        return s->user ? ejd_room_read(&s->e, s->host, s->user, kinds, sink)
                       : read_rooms(s, kinds, sink);
    if (!s->user)
        return read_all(s, kinds, sink);
    return ejd_read(&s->e, s->host, s->user, kinds, sink);
}

static unsigned es_quirks(const struct store *st)
{
    (void)st;
    return 0;
}

static xporta_status es_write_begin(struct store *st, store_done_fn done,
                                    void *ud)
{
    struct estore *s = (struct estore *)st;
    if (!s->user)
        return xp_fail(&st->run->err, XPORTA_EINVAL,
                       "no account selected to write");
    if (s->live && s->rooms)
        return xp_fail(&st->run->err, XPORTA_EINVAL,
                       "rooms are not written beside a running ejabberd");
    if (!s->checked && !s->live) {
        char why[400];
        xporta_status r = esql_running(s->e.db, why, sizeof why);
        if (r)
            return r;
        if (*why)
            return xp_fail(
                &st->run->err, XPORTA_ELOCKED,
                "%s: ejabberd runs on it: %s.  It keeps rosters, passwords "
                "and other data in its caches for up to an hour and would "
                "not see the import (on SQLite, its own writes would fail).  "
                "Stop it first (systemctl stop ejabberd, or ejabberdctl "
                "stop), then run the same command again",
                s->e.db->where, why);
        s->checked = true;
    }
    s->done = done;
    s->done_ud = ud;
    store_confirms_reset(&s->confirms);
    if (s->rooms)
        return ejd_rw_begin(&s->rw, &s->e, s->host, s->user);
    return ejd_w_begin(&s->w, &s->e, s->host, s->user);
}

static xporta_status es_write(struct store *st, const xporta_record *rec,
                              bool replace)
{
    struct estore *s = (struct estore *)st;
    const char *why = NULL;
    xporta_status r;
    if (s->live && ((rec->kind != XPORTA_KIND_ARCHIVE &&
                     rec->kind != XPORTA_KIND_OFFLINE) ||
                    replace)) {
        r = XPORTA_EUNSUPPORTED;
        why = "beside a running ejabberd only new archive and offline "
              "messages are written";
    } else if (s->rooms) {
        r = ejd_rw_record(s->rw, rec, replace, &why);
    } else {
        r = ejd_w_record(s->w, rec, replace, &why);
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

static size_t es_pending(const struct store *st)
{
    (void)st;
    return 0;
}

static xporta_status es_write_end(struct store *st)
{
    struct estore *s = (struct estore *)st;
    if (s->rooms) {
        if (!s->rw)
            return st->run->err.status;
        xporta_status r =
            st->run->err.status ? st->run->err.status : ejd_rw_commit(s->rw);
        ejd_rw_free(s->rw);
        s->rw = NULL;
        if (!r)
            store_confirms_send(&s->confirms, s->done, s->done_ud);
        store_confirms_reset(&s->confirms);
        return r;
    }
    if (!s->w)
        return st->run->err.status;
    xporta_status r =
        st->run->err.status ? st->run->err.status : ejd_w_commit(s->w);
    ejd_w_free(s->w);
    s->w = NULL;
    if (!r)
        store_confirms_send(&s->confirms, s->done, s->done_ud);
    store_confirms_reset(&s->confirms);
    return r;
}

static bool es_holds(struct store *st, const xporta_record *rec)
{
    struct estore *s = (struct estore *)st;
    if (s->rooms)
        return s->rw && ejd_rw_holds(s->rw, rec);
    return s->w && ejd_w_holds(s->w, rec);
}

static xporta_status es_flush(struct store *st)
{
    struct estore *s = (struct estore *)st;
    return esql_commit(s->e.db);
}

static void es_close(struct store *st)
{
    struct estore *s = (struct estore *)st;
    ejd_w_free(s->w);
    ejd_rw_free(s->rw);
    ejd_close(&s->e);
    free(s->only);
    free(s->host);
    free(s->user);
    store_confirms_cleanup(&s->confirms);
    free(s);
}

typedef xporta_status (*esql_open_fn)(struct esql **out, const char *where,
                                      bool write, struct xp_run *run);

static xporta_status open_with(esql_open_fn engine, struct store **out,
                               const char *where, const struct store_opts *o,
                               struct xp_run *run)
{
    struct estore *s = calloc(1, sizeof *s);
    if (!s)
        return xp_fail(&run->err, XPORTA_ENOMEM, "out of memory");
    s->base.run = run;
    store_confirms_init(&s->confirms);
    struct esql *db = NULL;
    xporta_status st = engine(&db, where, o && o->target, run);
    if (!st)
        st = ejd_open(&s->e, db, o ? o->domain : NULL, run);
    else
        s->e.db = NULL;
    if (!st && o && o->user && !(s->only = xp_strdup(o->user)))
        st = xp_fail(&run->err, XPORTA_ENOMEM, "out of memory");
    if (!st && o && o->account)
        st = set_account(s, o->account);
    s->live = o && o->live;
    if (st) {
        es_close(&s->base);
        return st;
    }
    *out = &s->base;
    return XPORTA_OK;
}

static xporta_status es_open_sqlite(struct store **out, const char *where,
                                    const struct store_opts *o,
                                    struct xp_run *run)
{
    /* Not even read under a running ejabberd: it sets no busy timeout on
     * SQLite, so its writes would fail while xporta reads (messages
     * lost); PostgreSQL has no such trouble. */
    long pid = esql_sqlite_holder(where);
    if (pid)
        return xp_fail(&run->err, XPORTA_ELOCKED,
                       "%s: ejabberd (beam.smp, pid %ld) has it open: on "
                       "SQLite its own writes fail while another process "
                       "reads (it waits for no lock), so its users would lose "
                       "messages.  Stop it first (systemctl stop ejabberd, or "
                       "ejabberdctl stop), or read a copy (sqlite3 %s "
                       "\".backup COPY\")",
                       where, pid, where);
    return open_with(esql_sqlite_open, out, where, o, run);
}

static xporta_status es_open_pgsql(struct store **out, const char *where,
                                   const struct store_opts *o,
                                   struct xp_run *run)
{
    return open_with(esql_pgsql_open, out, where, o, run);
}

#define EJABBERD_DRIVER                                                      \
    .many = true, .close = es_close, .writable = EJD_WRITABLE,               \
    .why_not = why_not, .read = es_read, .quirks = es_quirks,                \
    .write_begin = es_write_begin, .write = es_write, .pending = es_pending, \
    .write_end = es_write_end, .select = es_select, .holds = es_holds,       \
    .flush = es_flush, .select_room = es_select_room,                        \
    .room_writable = EJD_ROOM_WRITABLE

const struct store_driver store_ejabberd_sqlite_driver = {
    .scheme = "ejabberd+sqlite",
    .summary = "ejabberd's SQL storage on SQLite 3: the database file "
               "(ejabberd+sqlite:/var/lib/ejabberd/ejabberd.db; the default "
               "schema needs --host DOMAIN)",
    .open = es_open_sqlite,
    EJABBERD_DRIVER,
};

const struct store_driver store_ejabberd_pgsql_driver = {
    .scheme = "ejabberd+pgsql",
    .summary = "ejabberd's SQL storage on PostgreSQL: the database "
               "(ejabberd+pgsql://ejabberd@localhost/ejabberd); the password "
               "from ~/.pgpass, PGPASSFILE or PGPASSWORD, never the address",
    .open = es_open_pgsql,
    EJABBERD_DRIVER,
};
