/*
 * Prosody's SQL storage on PostgreSQL: a backend for prosody_store.h, the
 * same tables and values as prosody_sqlite.c (mod_storage_sql, Prosody
 * 0.12), with util/sql.lua's PostgreSQL types: "sort_id" BIGSERIAL, "when"
 * INTEGER.  Reading is prosody_pgsql_read.c, the connection (addresses
 * without a password, errors, statements, COPY) prosody_pgsql_conn.c.
 *
 * Round trips are what costs on a busy machine, so a user costs a
 * handful, whatever its size:
 *  - reading: every query runs in libpq's single-row mode (an archive of
 *    any size costs one row of memory) and the server cuts each column
 *    off above a ceiling (CAP below) instead of sending it; a user's
 *    key-value rows come in one query and are held until another user
 *    is read or the user is written (the copy engine reads them twice);
 *    an export reads in one REPEATABLE READ snapshot while Prosody runs;
 *  - writing: each user is a savepoint inside a transaction that flush()
 *    commits (as on SQLite: a user is all or nothing, a batch of users
 *    one sync); its archive rows are streamed by COPY as they come, its
 *    key-value rows held until its commit, then its stores deleted and
 *    the rows copied in, with the savepoint's statements in the same
 *    query strings.  An advisory lock keeps a second xporta (from any
 *    machine) from writing the same database.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prosody_pgsql_p.h"

_Static_assert(PG_MAX_VALUE == XP_MAX_RECORD_BYTES, "one record's ceiling");

/* pg_try_advisory_lock's key: "xporta" and Prosody's tables. */
#define LOCK_KEY "8102700245617254401"

/* mod_storage_sql's tables, as util/sql.lua creates them for PostgreSQL
 * (each table with its indexes, when it is missing). */
static const char schema_kv[] =
    "CREATE TABLE IF NOT EXISTS \"prosody\" (\"host\" TEXT NOT NULL, "
    "\"user\" TEXT NOT NULL, \"store\" TEXT NOT NULL, \"key\" TEXT NOT NULL, "
    "\"type\" TEXT NOT NULL, \"value\" TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS \"prosody_index\" ON \"prosody\" (\"host\", "
    "\"user\", \"store\", \"key\");";
static const char schema_archive[] =
    "CREATE TABLE IF NOT EXISTS \"prosodyarchive\" (\"sort_id\" BIGSERIAL "
    "PRIMARY KEY, \"host\" TEXT NOT NULL, \"user\" TEXT NOT NULL, \"store\" "
    "TEXT NOT NULL, \"key\" TEXT NOT NULL, \"when\" INTEGER NOT NULL, "
    "\"with\" TEXT NOT NULL, \"type\" TEXT NOT NULL, \"value\" TEXT NOT "
    "NULL);"
    "CREATE UNIQUE INDEX IF NOT EXISTS \"prosodyarchive_index\" ON "
    "\"prosodyarchive\" (\"host\", \"user\", \"store\", \"key\");"
    "CREATE INDEX IF NOT EXISTS \"prosodyarchive_with_when\" ON "
    "\"prosodyarchive\" (\"host\", \"user\", \"store\", \"with\", \"when\");"
    "CREATE INDEX IF NOT EXISTS \"prosodyarchive_when\" ON \"prosodyarchive\" "
    "(\"host\", \"user\", \"store\", \"when\");"
    "CREATE INDEX IF NOT EXISTS \"prosodyarchive_sort\" ON \"prosodyarchive\" "
    "(\"host\", \"user\", \"store\", \"sort_id\");";

static const char copy_archive[] =
    "COPY \"prosodyarchive\" (\"host\", \"user\", \"store\", \"when\", "
    "\"with\", \"key\", \"type\", \"value\") FROM STDIN";

/* ---- writing ------------------------------------------------------------ */

/* The savepoint is sent with the user's first write (opening()). */
static xporta_status pg_begin(struct pbe *b, const char *host, const char *user)
{
    struct pg *p = (struct pg *)b;
    free(p->host);
    free(p->user);
    p->host = xp_strdup(host);
    p->user = xp_strdup(user);
    if (!p->host || !p->user)
        return pgb_oom(p);
    p->in_user = true;
    p->sp_sent = false;
    return XPORTA_OK;
}

static xporta_status kv_row(struct pg *p, const char *store, const char *key,
                            const struct pv *v)
{
    const char *type;
    xporta_status st = pbe_sql_text(&p->buf, v, &type);
    if (st)
        return xp_fail(&p->base.run->err, st, "%s: store %s of %s@%s: %s",
                       p->base.where, store, p->user, p->host,
                       st == XPORTA_EINVAL ? "a value JSON cannot hold"
                                           : "a value too large");
    if (!pbe_utf8(key, strlen(key)) || !pbe_utf8(p->buf.data, p->buf.len))
        return xp_fail(&p->base.run->err, XPORTA_EFORMAT,
                       "%s: store %s of %s@%s, key '%.200s': not UTF-8 text, "
                       "which PostgreSQL's TEXT columns cannot hold",
                       p->base.where, store, p->user, p->host, key);
    struct xp_buf *k = &p->kv;
    if ((st = pgc_copy_col(k, p->host, strlen(p->host), '\t')) ||
        (st = pgc_copy_col(k, p->user, strlen(p->user), '\t')) ||
        (st = pgc_copy_col(k, store, strlen(store), '\t')) ||
        (st = pgc_copy_col(k, key, strlen(key), '\t')) ||
        (st = pgc_copy_col(k, type, strlen(type), '\t')) ||
        (st =
             pgc_copy_col(k, p->buf.data ? p->buf.data : "", p->buf.len, '\n')))
        return xp_fail(&p->base.run->err, st,
                       "%s: the stores of %s@%s are too large", p->base.where,
                       p->user, p->host);
    return XPORTA_OK;
}

struct pg_rows {
    struct pg *p;
    const char *store;
};

static xporta_status pg_row(void *ud, const char *key, const struct pv *val)
{
    struct pg_rows *r = ud;
    return kv_row(r->p, r->store, key, val);
}

/* keyval_store_set: a row per string key, the others in key "" (as JSON).
 * Held until the commit (or the next statement). */
static xporta_status pg_set(struct pbe *b, const char *store,
                            const struct pv *v)
{
    struct pg *p = (struct pg *)b;
    pgb_forget(p);
    if (!xp_strv_has(&p->kv_sets, store) && xp_strv_add(&p->kv_sets, store) < 0)
        return pgb_oom(p);
    struct pg_rows r = {p, store};
    xporta_status st = pbe_sql_kv_rows(&p->ia, v, pg_row, &r);
    if (st == XPORTA_ENOMEM && !b->run->err.status)
        st = pgb_oom(p);
    xp_arena_reset(&p->ia);
    return st;
}

static xporta_status pg_append(struct pbe *b, const char *store,
                               const struct pitem *it, bool replace)
{
    struct pg *p = (struct pg *)b;
    char key[37];
    const char *k = it->key;
    if (!k) { /* mod_storage_sql's own keys: uuid.generate() */
        if (!pbe_sql_uuid(key))
            return xp_fail(&b->run->err, XPORTA_EIO,
                           "no random numbers for an item key");
        k = key;
    }
    if (!(it->when >= (double)INT32_MIN && it->when <= (double)INT32_MAX))
        return xp_fail(&b->run->err, XPORTA_EFORMAT,
                       "%s: an item of %s@%s store %s has a time Prosody's "
                       "\"when\" column (INTEGER) cannot hold",
                       p->base.where, p->user, p->host, store);
    xporta_status st;
    if (replace) {
        const char *vals[4] = {p->host, p->user, store, k};
        PGresult *r = NULL;
        if ((st = pgb_settle(p)) ||
            (*pgb_opening(p) &&
             (st = pgb_run_sql(p, "", false, "writing a user"))) ||
            (st = pgb_prepare(p, Q_DELETE_ITEM)))
            return st;
        char name[16];
        snprintf(name, sizeof name, "xporta_%d", Q_DELETE_ITEM);
        r = PQexecPrepared(p->c, name, 4, vals, NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            st = pgb_fail(p, r, "writing an archive");
        PQclear(r);
        if (st)
            return st;
    }
    xp_buf_reset(&p->buf);
    if ((st = xp_elem_serialize(&p->buf, it->stanza, XP_NS_CLIENT)))
        return xp_fail(&b->run->err, st,
                       "%s: an archived stanza of %s@%s is too large",
                       p->base.where, p->user, p->host);
    const char *with = it->with ? it->with : "";
    if (!pbe_utf8(k, strlen(k)) || !pbe_utf8(with, strlen(with)) ||
        !pbe_utf8(p->buf.data, p->buf.len))
        return xp_fail(&b->run->err, XPORTA_EFORMAT,
                       "%s: an item of %s@%s store %s (key '%.200s'): not "
                       "UTF-8 text, which PostgreSQL's TEXT columns cannot "
                       "hold",
                       p->base.where, p->user, p->host, store, k);
    char when[24];
    snprintf(when, sizeof when, "%lld", (long long)it->when);
    struct xp_buf *r = &p->rows;
    if ((st = pgc_copy_col(r, p->host, strlen(p->host), '\t')) ||
        (st = pgc_copy_col(r, p->user, strlen(p->user), '\t')) ||
        (st = pgc_copy_col(r, store, strlen(store), '\t')) ||
        (st = pgc_copy_col(r, when, strlen(when), '\t')) ||
        (st = pgc_copy_col(r, with, strlen(with), '\t')) ||
        (st = pgc_copy_col(r, k, strlen(k), '\t')) ||
        (st = pgc_copy_col(r, "xml", 3, '\t')) ||
        (st = pgc_copy_col(r, p->buf.data, p->buf.len, '\n')))
        return xp_fail(&b->run->err, st,
                       "%s: an archived stanza of %s@%s is too large",
                       p->base.where, p->user, p->host);
    if (!p->copying) {
        /* the user's stores set so far go first (COPY excludes them) */
        if ((st = pgb_send_kv(p, NULL)) ||
            (st = pgb_run_sql(p, copy_archive, true, "starting a COPY")))
            return st;
        p->copying = true;
    }
    return r->len >= PG_COPY_CHUNK ? pgb_copy_send(p, r) : XPORTA_OK;
}

static xporta_status pg_commit(struct pbe *b)
{
    struct pg *p = (struct pg *)b;
    if (!p->in_user)
        return XPORTA_OK;
    xporta_status st = pgb_end_archive(p);
    if (!st && p->kv_sets.n)
        st = pgb_send_kv(p, p->sp_sent || *pgb_opening(p)
                                ? "; RELEASE SAVEPOINT xporta_user"
                                : NULL);
    else if (!st && p->sp_sent)
        st = pgb_run_sql(p, "RELEASE SAVEPOINT xporta_user", false,
                         "writing a user");
    if (!st)
        p->in_user = p->sp_sent = false;
    return st;
}

static void pg_rollback(struct pbe *b)
{
    struct pg *p = (struct pg *)b;
    if (p->copying) {
        p->copying = false;
        pgb_copy_end(p, "rolled back");
    }
    xp_buf_reset(&p->rows);
    xp_buf_reset(&p->kv);
    xp_strv_cleanup(&p->kv_sets);
    pgb_forget(p);
    if (p->in_user && p->sp_sent)
        PQclear(PQexec(p->c, "ROLLBACK TO SAVEPOINT xporta_user; RELEASE "
                             "SAVEPOINT xporta_user"));
    p->in_user = p->sp_sent = false;
}

static xporta_status pg_flush(struct pbe *b)
{
    struct pg *p = (struct pg *)b;
    pg_rollback(b); /* a user not committed is not part of it */
    if (!p->in_tx)
        return XPORTA_OK;
    p->in_tx = false;
    /* COMMIT of a transaction an error aborted answers ROLLBACK, which is
     * no error to libpq: it must not pass for a commit */
    bool failed = PQtransactionStatus(p->c) != PQTRANS_INTRANS;
    PGresult *r = PQexec(p->c, "COMMIT");
    xporta_status st = XPORTA_OK;
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        st = pgb_fail(p, r, "committing");
    else if (failed || strcmp(PQcmdStatus(r), "COMMIT") != 0)
        st = xp_fail(&b->run->err, XPORTA_EIO,
                     "%s: the transaction failed and was rolled back (the "
                     "accounts since the last commit are not there; run "
                     "the same command again)",
                     b->where);
    PQclear(r);
    return st;
}

static long pg_running(struct pbe *b, char **config)
{
    struct pg *p = (struct pg *)b;
    return pbe_running_prosody_pg(PQdb(p->c), PQhost(p->c), PQport(p->c),
                                  config);
}

static void pg_close(struct pbe *b)
{
    struct pg *p = (struct pg *)b;
    if (p->c) {
        pg_rollback(b);
        if (p->in_tx) /* what was not flushed was not journaled either */
            PQclear(PQexec(p->c, "ROLLBACK"));
        PQfinish(p->c);
    }
    free(p->host);
    free(p->user);
    free(p->c_host);
    free(p->c_user);
    free(p->base.where);
    xp_buf_cleanup(&p->buf);
    xp_buf_cleanup(&p->rows);
    xp_buf_cleanup(&p->kv);
    xp_strv_cleanup(&p->kv_sets);
    xp_arena_cleanup(&p->ia);
    xp_arena_cleanup(&p->ca);
    free(p);
}

static const struct pbe_ops pg_ops = {
    .close = pg_close,
    .users = pgb_users,
    .get = pgb_get,
    .stores = pgb_stores,
    .items = pgb_items,
    .begin = pg_begin,
    .set = pg_set,
    .append = pg_append,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .flush = pg_flush,
    .running = pg_running,
    .rooms = pgb_rooms,
};

/* ---- opening ------------------------------------------------------------ */

/* Which of Prosody's tables exist; for writing, the missing ones are
 * created and the database locked against a second xporta. */
static xporta_status tables(struct pg *p, bool write)
{
    PGresult *r = PQexec(p->c, "SELECT to_regclass('\"prosody\"') IS NOT "
                               "NULL, to_regclass('\"prosodyarchive\"') IS "
                               "NOT NULL");
    xporta_status st = XPORTA_OK;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
        p->no_kv = PQgetvalue(r, 0, 0)[0] != 't';
        p->no_archive = PQgetvalue(r, 0, 1)[0] != 't';
    } else {
        st = pgb_fail(p, r, "looking for Prosody's tables");
    }
    PQclear(r);
    if (st || !write)
        return st;
    r = PQexec(p->c, "SELECT pg_try_advisory_lock(" LOCK_KEY ")");
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        st = pgb_fail(p, r, "locking");
    else if (PQgetvalue(r, 0, 0)[0] != 't')
        st = xp_fail(&p->base.run->err, XPORTA_ELOCKED,
                     "%s: another xporta writes to this database "
                     "(PostgreSQL advisory lock " LOCK_KEY ")",
                     p->base.where);
    PQclear(r);
    if (!st && p->no_kv)
        st = pgb_run_sql(p, schema_kv, false, "creating Prosody's tables");
    if (!st && p->no_archive)
        st = pgb_run_sql(p, schema_archive, false, "creating Prosody's tables");
    p->no_kv = p->no_archive = false;
    return st;
}

xporta_status pbe_pgsql_open(struct pbe **out, const char *where, bool write,
                             struct xp_run *run)
{
    struct pg *p = calloc(1, sizeof *p);
    if (!p)
        return xp_fail(&run->err, XPORTA_ENOMEM, "out of memory");
    p->base.ops = &pg_ops;
    p->base.run = run;
    p->base.text_only = true;
    xp_buf_init(&p->buf, 256u << 20);
    xp_buf_init(&p->rows, PG_COPY_CHUNK + PG_MAX_VALUE * 2u + 4 * PG_MAX_NAME);
    xp_buf_init(&p->kv, 256u << 20);
    xp_arena_init(&p->ia, 0);
    xp_arena_init(&p->ca, 0);
    p->c_tail = &p->c_first;
    p->c = pgc_connect("prosody+pgsql", where, run, &p->base.where);
    xporta_status st = p->c ? tables(p, write) : run->err.status;
    if (!st && !write) /* one snapshot for the whole read */
        st = pgb_run_sql(p, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                         false, "starting a transaction");
    if (st) {
        pg_close(&p->base);
        return st;
    }
    *out = &p->base;
    return XPORTA_OK;
}
