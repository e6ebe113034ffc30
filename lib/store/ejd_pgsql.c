/*
 * ejabberd's SQL storage on PostgreSQL (ejd_sql.h): the database that
 * ejabberd.yml names (sql_type: pgsql).  Statements are prepared once per
 * number and their rows streamed (libpq's single-row mode: one row held,
 * never the result); bulk appends are one COPY, handed to libpq in pieces.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ejd_sql.h"
#include "pg_common.h"

#define COPY_CHUNK (256u << 10)

struct pgdb {
    struct esql base;
    PGconn *c;
    bool prepared[ESQL_MAX_STMTS];
    bool copying;
    int copy_n;
    struct xp_buf rows; /* COPY rows not yet handed to libpq */
};

static xporta_status pg_failed(struct pgdb *p, const PGresult *r,
                               const char *what)
{
    return pgc_fail(p->c, r, p->base.run, p->base.where, what);
}

static xporta_status prepare(struct pgdb *p, int id, const char *sql, int n)
{
    if (id < 0 || id >= ESQL_MAX_STMTS)
        return xp_fail(&p->base.run->err, XPORTA_EINVAL,
                       "internal: statement %d", id);
    if (p->prepared[id])
        return XPORTA_OK;
    char name[24];
    snprintf(name, sizeof name, "xporta_e%d", id);
    PGresult *r = PQprepare(p->c, name, sql, n, NULL);
    xporta_status st = PQresultStatus(r) == PGRES_COMMAND_OK
                           ? XPORTA_OK
                           : pg_failed(p, r, sql);
    PQclear(r);
    p->prepared[id] = !st;
    return st;
}

static xporta_status pg_query(struct esql *db, int id, const char *sql, int n,
                              const char *const *vals, esql_row_fn fn, void *ud)
{
    struct pgdb *p = (struct pgdb *)db;
    if (db->missing)
        return XPORTA_OK;
    xporta_status st = prepare(p, id, sql, n);
    if (st)
        return st;
    char name[24];
    snprintf(name, sizeof name, "xporta_e%d", id);
    if (!PQsendQueryPrepared(p->c, name, n, vals, NULL, NULL, 0))
        return pg_failed(p, NULL, sql);
    PQsetSingleRowMode(p->c);
    PGresult *r;
    const char *v[32];
    size_t len[32];
    struct esql_row row = {0, v, len, 0};
    while ((r = PQgetResult(p->c))) {
        ExecStatusType es = PQresultStatus(r);
        if (es == PGRES_SINGLE_TUPLE && !st) {
            row.index++;
            row.n = PQnfields(r);
            if (row.n > 32)
                st = xp_fail(&db->run->err, XPORTA_EINVAL,
                             "internal: %d columns", row.n);
            for (int i = 0; !st && i < row.n; i++) {
                v[i] = PQgetisnull(r, 0, i) ? NULL : PQgetvalue(r, 0, i);
                len[i] = (size_t)PQgetlength(r, 0, i);
                if (len[i] > ESQL_MAX_VALUE)
                    st = xp_fail(&db->run->err, XPORTA_ETOOBIG,
                                 "%s: row %lu of \"%s\": column %s holds %zu "
                                 "bytes, over the ceiling of %u",
                                 db->where, row.index, sql, PQfname(r, i),
                                 len[i], ESQL_MAX_VALUE);
            }
            if (!st && fn)
                st = fn(ud, &row);
        } else if (es != PGRES_TUPLES_OK && es != PGRES_COMMAND_OK &&
                   es != PGRES_SINGLE_TUPLE && !st) {
            st = pg_failed(p, r, sql);
        }
        PQclear(r);
    }
    return st;
}

static xporta_status pg_exec(struct esql *db, const char *sql)
{
    struct pgdb *p = (struct pgdb *)db;
    PGresult *r = PQexec(p->c, sql);
    ExecStatusType es = PQresultStatus(r);
    xporta_status st = es == PGRES_COMMAND_OK || es == PGRES_TUPLES_OK
                           ? XPORTA_OK
                           : pg_failed(p, r, sql);
    PQclear(r);
    return st;
}

static xporta_status pg_bulk_begin(struct esql *db, int id, const char *table,
                                   const char *cols, int n)
{
    struct pgdb *p = (struct pgdb *)db;
    (void)id;
    char sql[1024];
    snprintf(sql, sizeof sql, "COPY %s (%s) FROM STDIN", table, cols);
    PGresult *r = PQexec(p->c, sql);
    xporta_status st =
        PQresultStatus(r) == PGRES_COPY_IN ? XPORTA_OK : pg_failed(p, r, sql);
    PQclear(r);
    if (!st) {
        p->copying = true;
        p->copy_n = n;
        xp_buf_reset(&p->rows);
    }
    return st;
}

static xporta_status send_rows(struct pgdb *p)
{
    if (p->rows.len && PQputCopyData(p->c, p->rows.data, (int)p->rows.len) != 1)
        return pg_failed(p, NULL, "COPY");
    xp_buf_reset(&p->rows);
    return XPORTA_OK;
}

static xporta_status pg_bulk_row(struct esql *db, const char *const *vals)
{
    struct pgdb *p = (struct pgdb *)db;
    xporta_status st = XPORTA_OK;
    for (int i = 0; !st && i < p->copy_n; i++) {
        char end = i + 1 < p->copy_n ? '\t' : '\n';
        if (vals[i])
            st = pgc_copy_col(&p->rows, vals[i], strlen(vals[i]), end);
        else if (!(st = xp_buf_adds(&p->rows, "\\N")))
            st = xp_buf_addc(&p->rows, end);
    }
    if (st)
        return xp_fail(&db->run->err, st, "out of memory");
    return p->rows.len >= COPY_CHUNK ? send_rows(p) : XPORTA_OK;
}

static xporta_status pg_bulk_end(struct esql *db)
{
    struct pgdb *p = (struct pgdb *)db;
    if (!p->copying)
        return XPORTA_OK;
    p->copying = false;
    xporta_status st = send_rows(p);
    if (PQputCopyEnd(p->c, st ? "xporta: stopped" : NULL) != 1 && !st)
        st = pg_failed(p, NULL, "COPY");
    PGresult *r;
    while ((r = PQgetResult(p->c))) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK && !st)
            st = pg_failed(p, r, "COPY");
        PQclear(r);
    }
    return st;
}

static xporta_status pg_has(struct esql *db, const char *table,
                            const char *column, bool *yes)
{
    struct pgdb *p = (struct pgdb *)db;
    *yes = false;
    if (db->missing)
        return XPORTA_OK;
    const char *vals[2] = {table, column};
    PGresult *r = PQexecParams(
        p->c,
        column ? "SELECT 1 FROM information_schema.columns WHERE "
                 "table_schema = current_schema() AND table_name = $1 AND "
                 "column_name = $2"
               : "SELECT 1 FROM information_schema.tables WHERE "
                 "table_schema = current_schema() AND table_name = $1",
        column ? 2 : 1, NULL, vals, NULL, NULL, 0);
    xporta_status st = PQresultStatus(r) == PGRES_TUPLES_OK
                           ? XPORTA_OK
                           : pg_failed(p, r, "reading the schema");
    *yes = !st && PQntuples(r) > 0;
    PQclear(r);
    return st;
}

static void pg_close(struct esql *db)
{
    struct pgdb *p = (struct pgdb *)db;
    if (!p)
        return;
    if (p->c) {
        if (p->copying)
            PQputCopyEnd(p->c, "xporta: closed");
        PGresult *r;
        while ((r = PQgetResult(p->c)))
            PQclear(r);
        PQfinish(p->c); /* an open transaction is rolled back */
    }
    xp_buf_cleanup(&p->rows);
    free(db->where);
    free(p);
}

static const struct esql_ops pg_ops = {
    pg_close,    pg_query,    pg_exec, pg_bulk_begin,
    pg_bulk_row, pg_bulk_end, pg_has,
};

xporta_status esql_pgsql_open(struct esql **out, const char *where, bool write,
                              struct xp_run *run)
{
    (void)write;
    struct pgdb *p = calloc(1, sizeof *p);
    if (!p)
        return xp_fail(&run->err, XPORTA_ENOMEM, "out of memory");
    p->base.ops = &pg_ops;
    p->base.run = run;
    p->base.pg = true;
    xp_buf_init(&p->rows, 2 * COPY_CHUNK + ESQL_MAX_VALUE * 2u);
    p->c = pgc_connect("ejabberd+pgsql", where, run, &p->base.where);
    if (!p->c) {
        pg_close(&p->base);
        return run->err.status ? run->err.status : XPORTA_ENET;
    }
    *out = &p->base;
    return XPORTA_OK;
}
