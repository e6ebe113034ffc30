/*
 * Prosody's SQL storage on SQLite 3: a backend for prosody_store.h.
 *
 * The tables are mod_storage_sql's (Prosody 0.12):
 *   prosody(host, user, store, key, type, value)
 *     a key-value store is one row per string key, its other keys (the
 *     roster's [false]) together in the row of key "" as JSON;
 *   prosodyarchive(sort_id, host, user, store, key, when, with, type, value)
 *     an archive item per row, in sort_id order, the stanza as XML text.
 * A value's type says how it is kept: "string", "number", "boolean",
 * "json" (util/json.lua) or "xml".  Created as Prosody creates them when
 * the database has none.
 *
 * Writing: each user is a savepoint inside a transaction that spans many
 * users; flush() commits it.  A user is thus all or nothing, and a batch
 * of users costs one sync, not one each.
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../pie/pie.h"
#include "prosody_store.h"

enum {
    Q_USERS,
    Q_GET,
    Q_STORES,
    Q_ITEMS,
    Q_DELETE_KV,
    Q_INSERT_KV,
    Q_DELETE_ITEM,
    Q_INSERT_ITEM,
    Q_ROOMS,
    Q_COUNT
};

static const char *const queries[Q_COUNT] = {
    "SELECT \"host\", \"user\" FROM \"prosody\" WHERE \"store\" = 'accounts' "
    "AND \"user\" != '' GROUP BY \"host\", \"user\" ORDER BY \"host\", "
    "\"user\"",
    "SELECT \"key\", \"type\", \"value\" FROM \"prosody\" WHERE \"host\" = ? "
    "AND \"user\" = ? AND \"store\" = ?",
    "SELECT DISTINCT \"store\" FROM \"prosodyarchive\" WHERE \"host\" = ? "
    "AND \"user\" = ? ORDER BY \"store\"",
    "SELECT \"key\", \"when\", \"with\", \"type\", \"value\", \"sort_id\" "
    "FROM \"prosodyarchive\" WHERE \"host\" = ? AND \"user\" = ? AND "
    "\"store\" = ? ORDER BY \"sort_id\"",
    "DELETE FROM \"prosody\" WHERE \"host\" = ? AND \"user\" = ? AND "
    "\"store\" = ?",
    "INSERT INTO \"prosody\" (\"host\", \"user\", \"store\", \"key\", "
    "\"type\", \"value\") VALUES (?, ?, ?, ?, ?, ?)",
    "DELETE FROM \"prosodyarchive\" WHERE \"host\" = ? AND \"user\" = ? AND "
    "\"store\" = ? AND \"key\" = ?",
    "INSERT INTO \"prosodyarchive\" (\"host\", \"user\", \"store\", \"when\", "
    "\"with\", \"key\", \"type\", \"value\") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    "SELECT \"host\", \"user\" FROM \"prosody\" WHERE \"store\" = 'config' "
    "AND \"user\" != '' GROUP BY \"host\", \"user\" ORDER BY \"host\", "
    "\"user\"",
};

/* mod_storage_sql's tables, as util/sql.lua creates them for SQLite. */
static const char schema[] =
    "CREATE TABLE IF NOT EXISTS \"prosody\" (\"host\" TEXT NOT NULL, "
    "\"user\" TEXT NOT NULL, \"store\" TEXT NOT NULL, \"key\" TEXT NOT NULL, "
    "\"type\" TEXT NOT NULL, \"value\" TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS \"prosody_index\" ON \"prosody\" (\"host\", "
    "\"user\", \"store\", \"key\");"
    "CREATE TABLE IF NOT EXISTS \"prosodyarchive\" (\"sort_id\" INTEGER NOT "
    "NULL PRIMARY KEY AUTOINCREMENT, \"host\" TEXT NOT NULL, \"user\" TEXT "
    "NOT NULL, \"store\" TEXT NOT NULL, \"key\" TEXT NOT NULL, \"when\" "
    "INTEGER NOT NULL, \"with\" TEXT NOT NULL, \"type\" TEXT NOT NULL, "
    "\"value\" TEXT NOT NULL);"
    "CREATE UNIQUE INDEX IF NOT EXISTS \"prosodyarchive_index\" ON "
    "\"prosodyarchive\" (\"host\", \"user\", \"store\", \"key\");"
    "CREATE INDEX IF NOT EXISTS \"prosodyarchive_with_when\" ON "
    "\"prosodyarchive\" (\"host\", \"user\", \"store\", \"with\", \"when\");"
    "CREATE INDEX IF NOT EXISTS \"prosodyarchive_when\" ON \"prosodyarchive\" "
    "(\"host\", \"user\", \"store\", \"when\");"
    "CREATE INDEX IF NOT EXISTS \"prosodyarchive_sort\" ON \"prosodyarchive\" "
    "(\"host\", \"user\", \"store\", \"sort_id\");";

struct sq {
    struct pbe base;
    sqlite3 *db;
    sqlite3_stmt *q[Q_COUNT];
    bool in_tx, in_user;
    bool missing; /* read-only, no such file: an empty store */
    char *host, *user;
    struct xp_buf buf;
    struct xp_arena ia;
};

static xporta_status db_fail(struct sq *s, const char *what)
{
    int rc = sqlite3_errcode(s->db);
    return xp_fail(&s->base.run->err,
                   rc == SQLITE_NOMEM                         ? XPORTA_ENOMEM
                   : rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? XPORTA_ELOCKED
                                                              : XPORTA_EIO,
                   "%s: %s: %s", s->base.where, what, sqlite3_errmsg(s->db));
}

static sqlite3_stmt *stmt(struct sq *s, int q)
{
    if (!s->q[q] &&
        sqlite3_prepare_v3(s->db, queries[q], -1, SQLITE_PREPARE_PERSISTENT,
                           &s->q[q], NULL) != SQLITE_OK)
        return NULL;
    sqlite3_reset(s->q[q]);
    sqlite3_clear_bindings(s->q[q]);
    return s->q[q];
}

static bool bind3(sqlite3_stmt *st, const char *a, const char *b, const char *c)
{
    return sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC) == SQLITE_OK &&
           sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC) == SQLITE_OK &&
           sqlite3_bind_text(st, 3, c, -1, SQLITE_STATIC) == SQLITE_OK;
}

static xporta_status exec(struct sq *s, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        xporta_status st = xp_fail(&s->base.run->err, XPORTA_EIO, "%s: %s: %s",
                                   s->base.where, sql, msg ? msg : "?");
        sqlite3_free(msg);
        return st;
    }
    return XPORTA_OK;
}

/* ---- reading ------------------------------------------------------------ */

static xporta_status sq_users(struct pbe *b, struct xp_strv *out,
                              struct xp_strv *rejects)
{
    struct sq *s = (struct sq *)b;
    if (s->missing)
        return xp_fail(&b->run->err, XPORTA_ENOTFOUND,
                       "%s: no such file (Prosody's SQLite database: "
                       "sql.database in prosody.cfg.lua, relative to "
                       "data_path)",
                       b->where);
    sqlite3_stmt *q = stmt(s, Q_USERS);
    if (!q)
        return db_fail(s, "reading the accounts");
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *host = (const char *)sqlite3_column_text(q, 0);
        const char *user = (const char *)sqlite3_column_text(q, 1);
        if (!host || !user)
            continue;
        char *jid = xp_arena_printf(&s->ia, "%s@%s", user, host);
        bool good = pbe_sql_account_ok(host, user);
        char *where = good ? NULL
                           : xp_arena_printf(&s->ia,
                                             "%s: table prosody, host '%s', "
                                             "user '%s'",
                                             s->base.where, host, user);
        if (!jid || xp_strv_add(good ? out : rejects, good ? jid : where) < 0) {
            sqlite3_reset(q);
            return xp_fail(&b->run->err, XPORTA_ENOMEM, "out of memory");
        }
    }
    xp_arena_reset(&s->ia);
    return rc == SQLITE_DONE ? XPORTA_OK : db_fail(s, "reading the accounts");
}

/* mod_muc's rooms: (host, node) of every `config` store. */
static xporta_status sq_rooms(struct pbe *b, struct xp_strv *out)
{
    struct sq *s = (struct sq *)b;
    if (s->missing)
        return XPORTA_OK;
    sqlite3_stmt *q = stmt(s, Q_ROOMS);
    if (!q)
        return db_fail(s, "reading the rooms");
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *host = (const char *)sqlite3_column_text(q, 0);
        const char *user = (const char *)sqlite3_column_text(q, 1);
        char *jid =
            host && user ? xp_arena_printf(&s->ia, "%s@%s", user, host) : NULL;
        if (jid && xp_strv_add(out, jid) < 0) {
            sqlite3_reset(q);
            return xp_fail(&b->run->err, XPORTA_ENOMEM, "out of memory");
        }
    }
    sqlite3_reset(q);
    xp_arena_reset(&s->ia);
    return rc == SQLITE_DONE ? XPORTA_OK : db_fail(s, "reading the rooms");
}

static xporta_status sq_get(struct pbe *b, const char *host, const char *user,
                            const char *store, struct xp_arena *a,
                            struct pv *out, bool *found)
{
    struct sq *s = (struct sq *)b;
    *found = false;
    if (s->missing) {
        *out = pv_table();
        return XPORTA_OK;
    }
    sqlite3_stmt *q = stmt(s, Q_GET);
    if (!q || !bind3(q, host, user, store))
        return db_fail(s, "reading a store");
    *out = pv_table();
    int rc;
    xporta_status st = XPORTA_OK;
    while (!st && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *key = (const char *)sqlite3_column_text(q, 0);
        const char *type = (const char *)sqlite3_column_text(q, 1);
        const char *text = (const char *)sqlite3_column_text(q, 2);
        size_t len = (size_t)sqlite3_column_bytes(q, 2);
        const char *why;
        *found = true;
        if (!key || !type || !text) {
            st = xp_fail(&b->run->err, XPORTA_EFORMAT,
                         "%s: table prosody, %s@%s store %s: a NULL column",
                         s->base.where, user, host, store);
            break;
        }
        st = pbe_sql_kv_row(a, out, key, type, text, len, &why);
        if (st == XPORTA_ENOMEM)
            st = xp_fail(&b->run->err, st, "out of memory");
        else if (st)
            st = xp_fail(&b->run->err, st,
                         "%s: table prosody, %s@%s store %s key '%s': %s",
                         s->base.where, user, host, store, key,
                         why ? why : "unreadable");
    }
    if (!st && rc != SQLITE_DONE)
        st = db_fail(s, "reading a store");
    sqlite3_reset(q);
    return st;
}

static xporta_status sq_stores(struct pbe *b, const char *host,
                               const char *user, struct xp_strv *out)
{
    struct sq *s = (struct sq *)b;
    if (s->missing)
        return XPORTA_OK;
    sqlite3_stmt *q = stmt(s, Q_STORES);
    if (!q || sqlite3_bind_text(q, 1, host, -1, SQLITE_STATIC) ||
        sqlite3_bind_text(q, 2, user, -1, SQLITE_STATIC))
        return db_fail(s, "reading the archives");
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(q, 0);
        if (name && xp_strv_add(out, name) < 0) {
            sqlite3_reset(q);
            return xp_fail(&b->run->err, XPORTA_ENOMEM, "out of memory");
        }
    }
    sqlite3_reset(q);
    return rc == SQLITE_DONE ? XPORTA_OK : db_fail(s, "reading the archives");
}

static xporta_status sq_items(struct pbe *b, const char *host, const char *user,
                              const char *store, pitem_fn fn, void *ud)
{
    struct sq *s = (struct sq *)b;
    if (s->missing)
        return XPORTA_OK;
    /* the statement is this call's alone: fn() may read other stores */
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(s->db, queries[Q_ITEMS], -1, &q, NULL) !=
            SQLITE_OK ||
        !bind3(q, host, user, store)) {
        sqlite3_finalize(q);
        return db_fail(s, "reading an archive");
    }
    struct xp_arena a;
    xp_arena_init(&a, 0);
    int rc;
    xporta_status st = XPORTA_OK;
    while (!st && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct pitem it = {0};
        it.key = (const char *)sqlite3_column_text(q, 0);
        it.when = (double)sqlite3_column_int64(q, 1);
        it.with = (const char *)sqlite3_column_text(q, 2);
        const char *type = (const char *)sqlite3_column_text(q, 3);
        const char *text = (const char *)sqlite3_column_text(q, 4);
        size_t len = (size_t)sqlite3_column_bytes(q, 4);
        long long sort_id = sqlite3_column_int64(q, 5);
        const char *why = "not a stanza";
        unsigned long line = 0, col = 0;
        if (!it.key || !type || !text || strcmp(type, "xml") != 0 ||
            (st = pie_parse_element(&a, text, len, XP_NS_CLIENT, &it.stanza,
                                    &why, &line, &col))) {
            st = xp_fail(
                &b->run->err, st == XPORTA_ENOMEM ? st : XPORTA_EFORMAT,
                "%s: table prosodyarchive, sort_id %lld (%s@%s, "
                "store %s)%s%lu%s%lu: %s",
                s->base.where, sort_id, user, host, store,
                line ? ", value at " : "", line, line ? ":" : "", col, why);
            break;
        }
        if (!it.with)
            it.with = "";
        st = fn(ud, &it);
        xp_arena_reset(&a);
    }
    if (!st && rc != SQLITE_DONE)
        st = db_fail(s, "reading an archive");
    sqlite3_finalize(q);
    xp_arena_cleanup(&a);
    return st;
}

/* ---- writing ------------------------------------------------------------ */

static xporta_status sq_begin(struct pbe *b, const char *host, const char *user)
{
    struct sq *s = (struct sq *)b;
    xporta_status st = XPORTA_OK;
    if (!s->in_tx) {
        if ((st = exec(s, "BEGIN IMMEDIATE")))
            return st;
        s->in_tx = true;
    }
    free(s->host);
    free(s->user);
    s->host = xp_strdup(host);
    s->user = xp_strdup(user);
    if (!s->host || !s->user)
        return xp_fail(&b->run->err, XPORTA_ENOMEM, "out of memory");
    if ((st = exec(s, "SAVEPOINT xporta_user")))
        return st;
    s->in_user = true;
    return XPORTA_OK;
}

static xporta_status insert_kv(struct sq *s, const char *store, const char *key,
                               const struct pv *v)
{
    const char *type;
    xporta_status st = pbe_sql_text(&s->buf, v, &type);
    if (st)
        return xp_fail(&s->base.run->err, st, "%s: store %s of %s@%s: %s",
                       s->base.where, store, s->user, s->host,
                       st == XPORTA_EINVAL ? "a value JSON cannot hold"
                                           : "a value too large");
    sqlite3_stmt *q = stmt(s, Q_INSERT_KV);
    if (!q || !bind3(q, s->host, s->user, store) ||
        sqlite3_bind_text(q, 4, key, -1, SQLITE_STATIC) ||
        sqlite3_bind_text(q, 5, type, -1, SQLITE_STATIC) ||
        sqlite3_bind_text(q, 6, xp_buf_str(&s->buf), (int)s->buf.len,
                          SQLITE_STATIC) ||
        sqlite3_step(q) != SQLITE_DONE)
        return db_fail(s, "writing a store");
    return XPORTA_OK;
}

struct sq_rows {
    struct sq *s;
    const char *store;
};

static xporta_status sq_row(void *ud, const char *key, const struct pv *val)
{
    struct sq_rows *r = ud;
    return insert_kv(r->s, r->store, key, val);
}

static xporta_status sq_set(struct pbe *b, const char *store,
                            const struct pv *v)
{
    struct sq *s = (struct sq *)b;
    sqlite3_stmt *q = stmt(s, Q_DELETE_KV);
    if (!q || !bind3(q, s->host, s->user, store) ||
        sqlite3_step(q) != SQLITE_DONE)
        return db_fail(s, "writing a store");
    /* keyval_store_set: a row per string key, the others in key "" */
    struct sq_rows r = {s, store};
    xporta_status st = pbe_sql_kv_rows(&s->ia, v, sq_row, &r);
    if (st == XPORTA_ENOMEM && !b->run->err.status)
        st = xp_fail(&b->run->err, XPORTA_ENOMEM, "out of memory");
    xp_arena_reset(&s->ia);
    return st;
}

static xporta_status sq_append(struct pbe *b, const char *store,
                               const struct pitem *it, bool replace)
{
    struct sq *s = (struct sq *)b;
    char key[37];
    const char *k = it->key;
    if (!k) { /* mod_storage_sql's own keys: uuid.generate() */
        if (!pbe_sql_uuid(key))
            return xp_fail(&b->run->err, XPORTA_EIO,
                           "cannot read /dev/urandom");
        k = key;
    }
    sqlite3_stmt *q;
    if (replace) {
        q = stmt(s, Q_DELETE_ITEM);
        if (!q || !bind3(q, s->host, s->user, store) ||
            sqlite3_bind_text(q, 4, k, -1, SQLITE_STATIC) ||
            sqlite3_step(q) != SQLITE_DONE)
            return db_fail(s, "writing an archive");
    }
    xp_buf_reset(&s->buf);
    xporta_status st = xp_elem_serialize(&s->buf, it->stanza, XP_NS_CLIENT);
    if (st)
        return xp_fail(&b->run->err, st,
                       "%s: an archived stanza of %s@%s is "
                       "too large",
                       s->base.where, s->user, s->host);
    q = stmt(s, Q_INSERT_ITEM);
    if (!q || !bind3(q, s->host, s->user, store) ||
        sqlite3_bind_int64(q, 4, (sqlite3_int64)it->when) ||
        sqlite3_bind_text(q, 5, it->with ? it->with : "", -1, SQLITE_STATIC) ||
        sqlite3_bind_text(q, 6, k, -1, SQLITE_STATIC) ||
        sqlite3_bind_text(q, 7, "xml", -1, SQLITE_STATIC) ||
        sqlite3_bind_text(q, 8, xp_buf_str(&s->buf), (int)s->buf.len,
                          SQLITE_STATIC) ||
        sqlite3_step(q) != SQLITE_DONE)
        return db_fail(s, "writing an archive");
    return XPORTA_OK;
}

static xporta_status sq_commit(struct pbe *b)
{
    struct sq *s = (struct sq *)b;
    if (!s->in_user)
        return XPORTA_OK;
    s->in_user = false;
    return exec(s, "RELEASE xporta_user");
}

static void sq_rollback(struct pbe *b)
{
    struct sq *s = (struct sq *)b;
    if (!s->in_user)
        return;
    s->in_user = false;
    sqlite3_exec(s->db, "ROLLBACK TO xporta_user; RELEASE xporta_user", NULL,
                 NULL, NULL);
}

static xporta_status sq_flush(struct pbe *b)
{
    struct sq *s = (struct sq *)b;
    if (!s->in_tx)
        return XPORTA_OK;
    sq_rollback(b); /* a user not committed is not part of it */
    s->in_tx = false;
    return exec(s, "COMMIT");
}

static void sq_close(struct pbe *b)
{
    struct sq *s = (struct sq *)b;
    if (s->in_tx) /* what was not flushed was not journaled either */
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    for (int i = 0; i < Q_COUNT; i++)
        sqlite3_finalize(s->q[i]);
    sqlite3_close(s->db);
    free(s->host);
    free(s->user);
    free(s->base.where);
    xp_buf_cleanup(&s->buf);
    xp_arena_cleanup(&s->ia);
    free(s);
}

static xporta_status sq_all_stores(struct pbe *b, struct xp_strv *out)
{
    struct sq *s = (struct sq *)b;
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT DISTINCT \"store\" FROM \"prosody\" UNION "
                           "SELECT DISTINCT \"store\" FROM \"prosodyarchive\"",
                           -1, &q, NULL) != SQLITE_OK) {
        sqlite3_finalize(q);
        return db_fail(s, "listing the stores");
    }
    int rc;
    xporta_status st = XPORTA_OK;
    while (!st && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(q, 0);
        if (name && xp_strv_add(out, name) < 0)
            st = xp_fail(&b->run->err, XPORTA_ENOMEM, "out of memory");
    }
    if (!st && rc != SQLITE_DONE)
        st = db_fail(s, "listing the stores");
    sqlite3_finalize(q);
    return st;
}

static const struct pbe_ops sq_ops = {
    .close = sq_close,
    .users = sq_users,
    .get = sq_get,
    .stores = sq_stores,
    .items = sq_items,
    .begin = sq_begin,
    .set = sq_set,
    .append = sq_append,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .flush = sq_flush,
    .all_stores = sq_all_stores,
    .rooms = sq_rooms,
    .running = pbe_running_at_where,
};

xporta_status pbe_sqlite_open(struct pbe **out, const char *path, bool write,
                              struct xp_run *run)
{
    struct sq *s = calloc(1, sizeof *s);
    if (!s || !(s->base.where = xp_strdup(path))) {
        free(s);
        return xp_fail(&run->err, XPORTA_ENOMEM, "out of memory");
    }
    s->base.ops = &sq_ops;
    s->base.run = run;
    xp_buf_init(&s->buf, 256u << 20);
    xp_arena_init(&s->ia, 0);
    /* A new database gets the modes of Prosody's data (no world access)
     * and, when run as root, the owner of its directory. */
    if (write) {
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
        if (fd >= 0) {
            char *dir = xp_path_dir(path);
            struct stat sb;
            bool given = !dir || geteuid() != 0 || stat(dir, &sb) != 0 ||
                         fchown(fd, sb.st_uid, sb.st_gid) == 0;
            free(dir);
            close(fd);
            if (!given) {
                xporta_status st = xp_fail(
                    &run->err, XPORTA_EIO,
                    "%s: cannot give the new database to the owner of its "
                    "directory: %s",
                    path, strerror(errno));
                unlink(path);
                sq_close(&s->base);
                return st;
            }
        }
    }
    /* A database that does not exist yet is empty to read (a dry run's
     * target); as a source, users() says it is missing. */
    struct stat sb;
    if (!write && stat(path, &sb) != 0 && errno == ENOENT) {
        s->missing = true;
        *out = &s->base;
        return XPORTA_OK;
    }
    int flags = write ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                      : SQLITE_OPEN_READONLY;
    int rc = sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
    xporta_status st = XPORTA_OK;
    if (rc != SQLITE_OK) {
        st = xp_fail(&run->err,
                     rc == SQLITE_CANTOPEN ? XPORTA_ENOTFOUND : XPORTA_EIO,
                     "%s: %s (Prosody's SQLite database: sql.database in "
                     "prosody.cfg.lua, relative to data_path)",
                     path, s->db ? sqlite3_errmsg(s->db) : "cannot open");
    } else {
        sqlite3_busy_timeout(s->db, 5000);
        if (write)
            st = exec(s, schema);
        else {
            /* a file that is not Prosody's database says so now */
            sqlite3_stmt *q = stmt(s, Q_USERS);
            if (!q)
                st = xp_fail(&run->err, XPORTA_EFORMAT,
                             "%s: not Prosody's SQLite database (%s)", path,
                             sqlite3_errmsg(s->db));
        }
    }
    if (st) {
        sq_close(&s->base);
        return st;
    }
    *out = &s->base;
    return XPORTA_OK;
}
