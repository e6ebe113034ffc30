/*
 * ejabberd's SQL storage on SQLite 3 (ejd_sql.h): the database file that
 * ejabberd.yml names in sql_database (sql_type: sqlite).  Statements are
 * prepared once per number; parameters $1.. are bound by name; bulk
 * appends are a prepared INSERT run per row (inside the transaction, that
 * is as fast as SQLite goes).
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ejd_sql.h"

struct lite {
    struct esql base;
    sqlite3 *db;
    sqlite3_stmt *q[ESQL_MAX_STMTS];
    sqlite3_stmt *bulk; /* the bulk append's INSERT (q[id]) */
    int bulk_n;
    int bulk_at[32]; /* where its $1.. are, found once per append */
};

static xporta_status lite_fail(struct lite *s, const char *what)
{
    int rc = sqlite3_errcode(s->db);
    return xp_fail(&s->base.run->err,
                   rc == SQLITE_NOMEM                         ? XPORTA_ENOMEM
                   : rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? XPORTA_ELOCKED
                   : rc == SQLITE_CONSTRAINT                  ? XPORTA_EFORMAT
                                                              : XPORTA_EIO,
                   "%s: %s: %s", s->base.where, what, sqlite3_errmsg(s->db));
}

static sqlite3_stmt *prepare(struct lite *s, int id, const char *sql)
{
    if (id < 0 || id >= ESQL_MAX_STMTS)
        return NULL;
    if (!s->q[id] &&
        sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->q[id],
                           NULL) != SQLITE_OK)
        return NULL;
    sqlite3_reset(s->q[id]);
    sqlite3_clear_bindings(s->q[id]);
    return s->q[id];
}

static bool bind(sqlite3_stmt *st, int n, const char *const *vals)
{
    for (int i = 0; i < n; i++) {
        char name[16];
        snprintf(name, sizeof name, "$%d", i + 1);
        int at = sqlite3_bind_parameter_index(st, name);
        if (at == 0)
            continue; /* the statement does not use it */
        int rc = vals[i] ? sqlite3_bind_text(st, at, vals[i], -1, SQLITE_STATIC)
                         : sqlite3_bind_null(st, at);
        if (rc != SQLITE_OK)
            return false;
    }
    return true;
}

static xporta_status lite_query(struct esql *db, int id, const char *sql, int n,
                                const char *const *vals, esql_row_fn fn,
                                void *ud)
{
    struct lite *s = (struct lite *)db;
    if (db->missing)
        return XPORTA_OK;
    sqlite3_stmt *st = prepare(s, id, sql);
    if (!st)
        return lite_fail(s, sql);
    if (!bind(st, n, vals))
        return lite_fail(s, sql);
    int cols = sqlite3_column_count(st);
    const char *v[32];
    size_t len[32];
    if (cols > 32)
        return xp_fail(&db->run->err, XPORTA_EINVAL, "internal: %d columns",
                       cols);
    struct esql_row row = {cols, v, len, 0};
    xporta_status r = XPORTA_OK;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        row.index++;
        for (int i = 0; i < cols; i++) {
            v[i] = (const char *)sqlite3_column_text(st, i);
            len[i] = (size_t)sqlite3_column_bytes(st, i);
            if (len[i] > ESQL_MAX_VALUE) {
                r = xp_fail(&db->run->err, XPORTA_ETOOBIG,
                            "%s: row %lu of \"%s\": column %s holds %zu "
                            "bytes, over the ceiling of %u",
                            db->where, row.index, sql,
                            sqlite3_column_name(st, i), len[i], ESQL_MAX_VALUE);
                break;
            }
            if (!v[i] && sqlite3_column_type(st, i) != SQLITE_NULL) {
                r = xp_fail(&db->run->err, XPORTA_ENOMEM, "out of memory");
                break;
            }
        }
        if (r || (fn && (r = fn(ud, &row))))
            break;
    }
    if (!r && rc != SQLITE_DONE && rc != SQLITE_ROW)
        r = lite_fail(s, sql);
    sqlite3_reset(st);
    return r;
}

static xporta_status lite_exec(struct esql *db, const char *sql)
{
    struct lite *s = (struct lite *)db;
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        xporta_status st = lite_fail(s, sql);
        sqlite3_free(msg);
        return st;
    }
    return XPORTA_OK;
}

static xporta_status lite_bulk_begin(struct esql *db, int id, const char *table,
                                     const char *cols, int n)
{
    struct lite *s = (struct lite *)db;
    char sql[1024];
    int k =
        snprintf(sql, sizeof sql, "INSERT INTO %s (%s) VALUES (", table, cols);
    for (int i = 0; i < n && k > 0 && (size_t)k < sizeof sql; i++)
        k += snprintf(sql + k, sizeof sql - (size_t)k, "%s$%d", i ? ", " : "",
                      i + 1);
    if (k <= 0 || (size_t)k + 2 >= sizeof sql)
        return xp_fail(&db->run->err, XPORTA_EINVAL,
                       "internal: statement too long");
    memcpy(sql + k, ")", 2);
    if (n > 32)
        return xp_fail(&db->run->err, XPORTA_EINVAL, "internal: %d columns", n);
    if (!(s->bulk = prepare(s, id, sql)))
        return lite_fail(s, sql);
    s->bulk_n = n;
    for (int i = 0; i < n; i++) {
        char name[16];
        snprintf(name, sizeof name, "$%d", i + 1);
        s->bulk_at[i] = sqlite3_bind_parameter_index(s->bulk, name);
    }
    return XPORTA_OK;
}

static xporta_status lite_bulk_row(struct esql *db, const char *const *vals)
{
    struct lite *s = (struct lite *)db;
    sqlite3_reset(s->bulk);
    /* bound by the positions found in bulk_begin: bind() looks each name
     * up, a million rows times their columns */
    for (int i = 0; i < s->bulk_n; i++) {
        int rc = vals[i] ? sqlite3_bind_text(s->bulk, s->bulk_at[i], vals[i],
                                             -1, SQLITE_STATIC)
                         : sqlite3_bind_null(s->bulk, s->bulk_at[i]);
        if (rc != SQLITE_OK)
            return lite_fail(s, "adding a row");
    }
    if (sqlite3_step(s->bulk) != SQLITE_DONE)
        return lite_fail(s, "adding a row");
    return XPORTA_OK;
}

static xporta_status lite_bulk_end(struct esql *db)
{
    struct lite *s = (struct lite *)db;
    if (s->bulk)
        sqlite3_reset(s->bulk);
    s->bulk = NULL;
    return XPORTA_OK;
}

static xporta_status lite_has(struct esql *db, const char *table,
                              const char *column, bool *yes)
{
    struct lite *s = (struct lite *)db;
    *yes = false;
    if (db->missing)
        return XPORTA_OK;
    int rc = sqlite3_table_column_metadata(s->db, NULL, table,
                                           column ? column : "rowid", NULL,
                                           NULL, NULL, NULL, NULL);
    *yes = rc == SQLITE_OK;
    return XPORTA_OK;
}

static void lite_close(struct esql *db)
{
    struct lite *s = (struct lite *)db;
    if (!s)
        return;
    for (int i = 0; i < ESQL_MAX_STMTS; i++)
        sqlite3_finalize(s->q[i]);
    if (s->db && db->in_tx)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(s->db);
    free(db->where);
    free(s);
}

static const struct esql_ops lite_ops = {
    lite_close,    lite_query,    lite_exec, lite_bulk_begin,
    lite_bulk_row, lite_bulk_end, lite_has,
};

xporta_status esql_sqlite_open(struct esql **out, const char *path, bool write,
                               struct xp_run *run)
{
    struct lite *s = calloc(1, sizeof *s);
    if (!s || !(s->base.where = xp_strdup(path))) {
        free(s);
        return xp_fail(&run->err, XPORTA_ENOMEM, "out of memory");
    }
    s->base.ops = &lite_ops;
    s->base.run = run;
    struct stat sb;
    if (stat(path, &sb) != 0 && errno == ENOENT) {
        if (write) {
            xporta_status st =
                xp_fail(&run->err, XPORTA_ENOTFOUND,
                        "%s: no such database: ejabberd's tables must exist "
                        "first (sqlite3 %s < /usr/share/ejabberd/sql/"
                        "lite.sql, or lite.new.sql with new_sql_schema)",
                        path, path);
            lite_close(&s->base);
            return st;
        }
        s->base.missing = true; /* a dry run's empty target */
        *out = &s->base;
        return XPORTA_OK;
    }
    int flags = write ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY;
    int rc = sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        xporta_status st =
            xp_fail(&run->err, XPORTA_EIO,
                    "%s: %s (ejabberd's SQLite database: sql_database in "
                    "ejabberd.yml)",
                    path, s->db ? sqlite3_errmsg(s->db) : "cannot open");
        lite_close(&s->base);
        return st;
    }
    sqlite3_busy_timeout(s->db, 5000);
    *out = &s->base;
    return XPORTA_OK;
}
