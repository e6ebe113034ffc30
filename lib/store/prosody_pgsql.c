/*
 * Prosody's SQL storage on PostgreSQL: a backend for prosody_store.h, the
 * same tables and values as prosody_sqlite.c (mod_storage_sql, Prosody
 * 0.12), with util/sql.lua's PostgreSQL types: "sort_id" BIGSERIAL, "when"
 * INTEGER.
 *
 * Connecting: a libpq connection string or URI, never with a password
 * (it would be in the process list, the shell's history and the job's
 * journal): libpq reads it from PGPASSFILE, ~/.pgpass or PGPASSWORD.
 *
 * Reading streams: every query runs in libpq's single-row mode, so an
 * archive of any size costs one row of memory, and each column is cut
 * off by the server above a ceiling (CAP below) instead of sent.  An
 * export reads in one REPEATABLE READ transaction: one snapshot, however
 * long it takes, while Prosody keeps running.
 *
 * Writing: each user is a savepoint inside a transaction that flush()
 * commits (as on SQLite: a user is all or nothing, a batch of users one
 * sync).  Archive rows go in by COPY, streamed as they come; a user's
 * key-value rows are held until its commit, then its stores deleted in
 * one statement and the rows sent by a second COPY.  So a user costs a
 * handful of round trips, whatever its archive.  An advisory lock keeps
 * a second xporta (from any machine) from writing the same database.
 */
#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../pie/pie.h"
#include "prosody_store.h"

/* Ceilings, applied by the server (a longer column arrives as NULL with
 * its length): names, keys and types; values; a key-value store. */
#define MAX_NAME 3071
#define MAX_VALUE 67108864
_Static_assert(MAX_VALUE == XP_MAX_RECORD_BYTES, "one record's ceiling");
#define MAX_STORE (64u << 20)
/* COPY data is handed to libpq in pieces of about this size. */
#define COPY_CHUNK (256u << 10)
/* pg_try_advisory_lock's key: "xporta" and Prosody's tables. */
#define LOCK_KEY "8102700245617254401"

#define STR(x) STR_(x)
#define STR_(x) #x
#define CAP(col, n)                       \
    "CASE WHEN octet_length(\"" col       \
    "\") <= " STR(n) " THEN \"" col "\" " \
                     "END, octet_length(\"" col "\")"

/* The columns each query reads (a CAP() is two). */
#define USER_COLS CAP("host", MAX_NAME) ", " CAP("user", MAX_NAME)
#define KV_COLS \
    CAP("key", MAX_NAME) ", " CAP("type", MAX_NAME) ", " CAP("value", MAX_VALUE)
#define STORE_COLS                               \
    "CASE WHEN octet_length(\"store\") <= " STR( \
        MAX_NAME) " THEN \"store\" "             \
                  "END COLLATE \"C\" AS \"s\", octet_length(\"store\")"
#define ITEM_COLS                                                             \
    CAP("key", MAX_NAME)                                                      \
    ", \"when\", " CAP("with", MAX_NAME) ", " CAP("type", MAX_NAME) ", " CAP( \
        "value", MAX_VALUE) ", \"sort_id\""
#define WHERE_USER " WHERE \"host\" = $1 AND \"user\" = $2"

enum { Q_USERS, Q_GET, Q_STORES, Q_ITEMS, Q_DELETE_ITEM, Q_COUNT };

static const char *const queries[Q_COUNT] = {
    ("SELECT " USER_COLS " FROM \"prosody\" WHERE \"store\" = 'accounts' "
     "AND \"user\" <> '' GROUP BY \"host\", \"user\" ORDER BY \"host\" "
     "COLLATE \"C\", \"user\" COLLATE \"C\""),
    ("SELECT " KV_COLS " FROM \"prosody\"" WHERE_USER " AND \"store\" = $3"),
    ("SELECT DISTINCT " STORE_COLS " FROM \"prosodyarchive\"" WHERE_USER
     " ORDER BY \"s\""),
    ("SELECT " ITEM_COLS " FROM \"prosodyarchive\"" WHERE_USER
     " AND \"store\" = $3 ORDER BY \"sort_id\""),
    ("DELETE FROM \"prosodyarchive\"" WHERE_USER
     " AND \"store\" = $3 AND \"key\" = $4"),
};

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
static const char copy_kv[] = "COPY \"prosody\" (\"host\", \"user\", "
                              "\"store\", \"key\", \"type\", \"value\") FROM "
                              "STDIN";

struct pg {
    struct pbe base;
    PGconn *c;
    bool prepared[Q_COUNT];
    bool write, no_kv, no_archive; /* read-only: tables missing */
    bool in_tx, in_user;
    bool copying; /* a COPY into prosodyarchive is open */
    bool busy;    /* rows are being streamed */
    char *host, *user;
    struct xp_buf buf;      /* a value */
    struct xp_buf rows;     /* archive rows not yet handed to libpq */
    struct xp_buf kv;       /* the user's key-value rows, sent at commit */
    struct xp_strv kv_sets; /* the stores those rows replace */
    struct xp_arena ia;
};

/* ---- errors ------------------------------------------------------------- */

/* The first line of libpq's message (they end with a newline). */
static void one_line(char *out, size_t cap, const char *msg)
{
    snprintf(out, cap, "%s", msg && *msg ? msg : "unknown error");
    out[strcspn(out, "\n")] = '\0';
}

/* A failed statement (or a lost connection), with the server's detail. */
static xporta_status pg_fail(struct pg *p, const PGresult *r, const char *what)
{
    char msg[512], detail[512] = "";
    one_line(msg, sizeof msg,
             r && PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY)
                 ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY)
                 : PQerrorMessage(p->c));
    const char *d = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL) : NULL;
    if (d)
        one_line(detail, sizeof detail, d);
    const char *code = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    xporta_status st = XPORTA_EIO;
    if (PQstatus(p->c) == CONNECTION_BAD ||
        (code && code[0] == '0' && code[1] == '8'))
        st = XPORTA_EDISCONNECTED;
    else if (code && strcmp(code, "55P03") == 0)
        st = XPORTA_ELOCKED;
    else if (code && code[0] == '2' && code[1] == '2')
        st = XPORTA_EFORMAT; /* data the table cannot hold */
    return xp_fail(&p->base.run->err, st, "%s: %s: %s%s%s%s", p->base.where,
                   what, msg, *detail ? " (" : "", detail, *detail ? ")" : "");
}

static xporta_status oom(struct pg *p)
{
    return xp_fail(&p->base.run->err, XPORTA_ENOMEM, "out of memory");
}

/* ---- statements --------------------------------------------------------- */

static xporta_status settle(struct pg *p);

/* A statement (or several, without parameters) whose rows do not matter. */
static xporta_status exec(struct pg *p, const char *sql, int n,
                          const char *const *vals, const char *what)
{
    xporta_status st = settle(p);
    if (st)
        return st;
    PGresult *r = n ? PQexecParams(p->c, sql, n, NULL, vals, NULL, NULL, 0)
                    : PQexec(p->c, sql);
    ExecStatusType es = PQresultStatus(r);
    if (es != PGRES_COMMAND_OK && es != PGRES_TUPLES_OK)
        st = pg_fail(p, r, what);
    PQclear(r);
    return st;
}

static xporta_status prepare(struct pg *p, int q)
{
    if (p->prepared[q])
        return XPORTA_OK;
    char name[16];
    snprintf(name, sizeof name, "xporta_%d", q);
    PGresult *r = PQprepare(p->c, name, queries[q], 0, NULL);
    xporta_status st = PQresultStatus(r) == PGRES_COMMAND_OK
                           ? XPORTA_OK
                           : pg_fail(p, r, "preparing a query");
    PQclear(r);
    p->prepared[q] = st == XPORTA_OK;
    return st;
}

/* Runs query `q`, handing its rows to `fn` one at a time (single-row mode:
 * libpq holds one row, never the result).  After an error the remaining
 * rows are read and dropped: the connection is then ready again. */
typedef xporta_status (*row_fn)(struct pg *p, const PGresult *r, void *ud);

static xporta_status rows(struct pg *p, int q, int n, const char *const *vals,
                          row_fn fn, void *ud, const char *what)
{
    if (p->busy)
        return xp_fail(&p->base.run->err, XPORTA_EINVAL,
                       "%s: a query inside a query", p->base.where);
    xporta_status st = settle(p);
    if (!st)
        st = prepare(p, q);
    if (st)
        return st;
    char name[16];
    snprintf(name, sizeof name, "xporta_%d", q);
    if (!PQsendQueryPrepared(p->c, name, n, vals, NULL, NULL, 0))
        return pg_fail(p, NULL, what);
    PQsetSingleRowMode(p->c);
    p->busy = true;
    PGresult *r;
    while ((r = PQgetResult(p->c))) {
        ExecStatusType es = PQresultStatus(r);
        if (es == PGRES_SINGLE_TUPLE) {
            if (!st)
                st = fn(p, r, ud);
        } else if (es != PGRES_TUPLES_OK && !st) {
            st = pg_fail(p, r, what);
        }
        PQclear(r);
    }
    p->busy = false;
    return st;
}

/* Column `i` of a CAP()ed pair (value, length): NULL when over the
 * ceiling (`*len` then says how long it is). */
static const char *capped(const PGresult *r, int i, size_t *len)
{
    if (!PQgetisnull(r, 0, i)) {
        *len = (size_t)PQgetlength(r, 0, i);
        return PQgetvalue(r, 0, i);
    }
    *len = PQgetisnull(r, 0, i + 1)
               ? 0
               : (size_t)strtoull(PQgetvalue(r, 0, i + 1), NULL, 10);
    return NULL;
}

/* ---- COPY --------------------------------------------------------------- */

/* A column of COPY's text format: backslash, tab, newline and carriage
 * return escaped. */
static xporta_status copy_col(struct xp_buf *b, const char *s, size_t n,
                              char end)
{
    xporta_status st = XPORTA_OK;
    size_t from = 0;
    for (size_t i = 0; i < n && !st; i++) {
        char c = s[i];
        if (c != '\\' && c != '\t' && c != '\n' && c != '\r')
            continue;
        st = xp_buf_add(b, s + from, i - from);
        if (!st)
            st = xp_buf_addc(b, '\\');
        if (!st)
            st = xp_buf_addc(b, c == '\t'   ? 't'
                                : c == '\n' ? 'n'
                                : c == '\r' ? 'r'
                                            : '\\');
        from = i + 1;
    }
    if (!st)
        st = xp_buf_add(b, s + from, n - from);
    return st ? st : xp_buf_addc(b, end);
}

static xporta_status copy_start(struct pg *p, const char *sql)
{
    PGresult *r = PQexec(p->c, sql);
    xporta_status st = PQresultStatus(r) == PGRES_COPY_IN
                           ? XPORTA_OK
                           : pg_fail(p, r, "starting a COPY");
    PQclear(r);
    return st;
}

static xporta_status copy_send(struct pg *p, struct xp_buf *b)
{
    if (b->len && PQputCopyData(p->c, b->data, (int)b->len) != 1)
        return pg_fail(p, NULL, "sending rows");
    xp_buf_reset(b);
    return XPORTA_OK;
}

/* Ends a COPY: `error` NULL commits its rows to the transaction. */
static xporta_status copy_end(struct pg *p, const char *error)
{
    xporta_status st = XPORTA_OK;
    if (PQputCopyEnd(p->c, error) != 1)
        st = pg_fail(p, NULL, "ending a COPY");
    PGresult *r;
    while ((r = PQgetResult(p->c))) {
        if (!st && !error && PQresultStatus(r) != PGRES_COMMAND_OK) {
            char what[600];
            snprintf(what, sizeof what, "writing the rows of %.250s@%.250s",
                     p->user ? p->user : "?", p->host ? p->host : "?");
            st = pg_fail(p, r, what);
        }
        PQclear(r);
    }
    return st;
}

/* The archive rows sent so far reach the table (their COPY ends). */
static xporta_status end_archive(struct pg *p)
{
    if (!p->copying)
        return XPORTA_OK;
    p->copying = false;
    xporta_status st = copy_send(p, &p->rows);
    xporta_status e = copy_end(p, st ? "xporta stopped" : NULL);
    return st ? st : e;
}

/* A user's key-value stores are replaced: their rows deleted, the new
 * ones copied in. */
static xporta_status send_kv(struct pg *p)
{
    if (!p->kv_sets.n)
        return XPORTA_OK;
    /* the stores as an array literal: {"a","b"} */
    xp_buf_reset(&p->buf);
    xporta_status st = xp_buf_addc(&p->buf, '{');
    for (size_t i = 0; !st && i < p->kv_sets.n; i++) {
        const char *s = p->kv_sets.v[i];
        st = xp_buf_adds(&p->buf, i ? ",\"" : "\"");
        for (; !st && *s; s++)
            st = (*s == '"' || *s == '\\') ? xp_buf_addc(&p->buf, '\\')
                                           : XPORTA_OK,
            st = st ? st : xp_buf_addc(&p->buf, *s);
        if (!st)
            st = xp_buf_addc(&p->buf, '"');
    }
    if (!st)
        st = xp_buf_addc(&p->buf, '}');
    if (st)
        return oom(p);
    const char *vals[3] = {p->host, p->user, xp_buf_str(&p->buf)};
    xp_strv_cleanup(&p->kv_sets);
    PGresult *r = PQexecParams(p->c,
                               "DELETE FROM \"prosody\" WHERE \"host\" = $1 "
                               "AND \"user\" = $2 AND \"store\" = ANY($3)",
                               3, NULL, vals, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        st = pg_fail(p, r, "writing a store");
    PQclear(r);
    if (!st && p->kv.len) {
        st = copy_start(p, copy_kv);
        if (!st) {
            st = copy_send(p, &p->kv);
            xporta_status e = copy_end(p, st ? "xporta stopped" : NULL);
            st = st ? st : e;
        }
    }
    xp_buf_reset(&p->kv);
    return st;
}

/* Before any other statement: what is held or streaming is written. */
static xporta_status settle(struct pg *p)
{
    xporta_status st = end_archive(p);
    return st ? st : send_kv(p);
}

/* ---- reading ------------------------------------------------------------ */

struct users_ctx {
    struct xp_strv *out, *rejects;
};

static xporta_status on_user(struct pg *p, const PGresult *r, void *ud)
{
    struct users_ctx *u = ud;
    size_t hl, ul;
    const char *host = capped(r, 0, &hl), *user = capped(r, 2, &ul);
    bool good = host && user && pbe_sql_account_ok(host, user);
    char *item = good ? xp_arena_printf(&p->ia, "%s@%s", user, host)
                      : xp_arena_printf(&p->ia,
                                        "%s: table prosody, host '%.64s', "
                                        "user '%.64s'%s",
                                        p->base.where, host ? host : "(long)",
                                        user ? user : "(long)",
                                        host && user ? "" : " (too long)");
    if (!item || xp_strv_add(good ? u->out : u->rejects, item) < 0)
        return oom(p);
    xp_arena_reset(&p->ia);
    return XPORTA_OK;
}

static xporta_status no_tables(struct pg *p)
{
    return xp_fail(&p->base.run->err, XPORTA_EFORMAT,
                   "%s: not Prosody's database: it has no table \"prosody\" "
                   "(mod_storage_sql makes it when Prosody first starts on "
                   "it)",
                   p->base.where);
}

static xporta_status pg_users(struct pbe *b, struct xp_strv *out,
                              struct xp_strv *rejects)
{
    struct pg *p = (struct pg *)b;
    if (p->no_kv)
        return no_tables(p);
    struct users_ctx u = {out, rejects};
    return rows(p, Q_USERS, 0, NULL, on_user, &u, "reading the accounts");
}

struct get_ctx {
    const char *host, *user, *store;
    struct xp_arena *a;
    struct pv *out;
    bool *found;
    size_t total;
};

static xporta_status on_kv(struct pg *p, const PGresult *r, void *ud)
{
    struct get_ctx *g = ud;
    size_t kl, tl, vl;
    const char *key = capped(r, 0, &kl), *type = capped(r, 2, &tl),
               *text = capped(r, 4, &vl);
    const char *why = NULL;
    xporta_status st = XPORTA_OK;
    *g->found = true;
    g->total += kl + vl;
    if (!key || !type || !text) {
        why = "a column over xporta's ceiling";
        st = XPORTA_EFORMAT;
    } else if (g->total > MAX_STORE) {
        why = "the store is larger than xporta's ceiling (64 MiB)";
        st = XPORTA_EFORMAT;
    } else {
        st = pbe_sql_kv_row(g->a, g->out, key, type, text, vl, &why);
    }
    if (st == XPORTA_ENOMEM)
        return oom(p);
    if (st)
        return xp_fail(&p->base.run->err, st,
                       "%s: table prosody, %s@%s store %s key '%.200s': %s",
                       p->base.where, g->user, g->host, g->store,
                       key ? key : "(long)", why ? why : "unreadable");
    return XPORTA_OK;
}

static xporta_status pg_get(struct pbe *b, const char *host, const char *user,
                            const char *store, struct xp_arena *a,
                            struct pv *out, bool *found)
{
    struct pg *p = (struct pg *)b;
    *found = false;
    *out = pv_table();
    if (p->no_kv)
        return XPORTA_OK;
    struct get_ctx g = {host, user, store, a, out, found, 0};
    const char *vals[3] = {host, user, store};
    return rows(p, Q_GET, 3, vals, on_kv, &g, "reading a store");
}

struct stores_ctx {
    const char *host, *user;
    struct xp_strv *out;
};

static xporta_status on_store(struct pg *p, const PGresult *r, void *ud)
{
    struct stores_ctx *c = ud;
    size_t len;
    const char *name = capped(r, 0, &len);
    if (!name)
        return xp_fail(&p->base.run->err, XPORTA_EFORMAT,
                       "%s: table prosodyarchive, %s@%s: a store name of %zu "
                       "bytes, over xporta's ceiling",
                       p->base.where, c->user, c->host, len);
    return xp_strv_add(c->out, name) < 0 ? oom(p) : XPORTA_OK;
}

static xporta_status pg_stores(struct pbe *b, const char *host,
                               const char *user, struct xp_strv *out)
{
    struct pg *p = (struct pg *)b;
    if (p->no_archive)
        return XPORTA_OK;
    const char *vals[2] = {host, user};
    struct stores_ctx c = {host, user, out};
    return rows(p, Q_STORES, 2, vals, on_store, &c, "reading the archives");
}

struct items_ctx {
    const char *host, *user, *store;
    pitem_fn fn;
    void *ud;
    struct xp_arena a;
};

static xporta_status on_item(struct pg *p, const PGresult *r, void *ud)
{
    struct items_ctx *c = ud;
    size_t kl, wl, tl, vl;
    struct pitem it = {0};
    it.key = capped(r, 0, &kl);
    it.with = capped(r, 3, &wl);
    const char *type = capped(r, 5, &tl), *text = capped(r, 7, &vl);
    const char *sort_id = PQgetvalue(r, 0, 9);
    char *end;
    long long when = strtoll(PQgetvalue(r, 0, 2), &end, 10);
    it.when = (double)when;
    const char *why = "not a stanza";
    unsigned long line = 0, col = 0;
    xporta_status st = XPORTA_OK;
    if (!it.key || !it.with || !type || !text)
        why = "a column over xporta's ceiling";
    if (!it.key || !it.with || !type || !text || strcmp(type, "xml") != 0 ||
        (st = pie_parse_element(&c->a, text, vl, XP_NS_CLIENT, &it.stanza, &why,
                                &line, &col)))
        return xp_fail(
            &p->base.run->err, st == XPORTA_ENOMEM ? st : XPORTA_EFORMAT,
            "%s: table prosodyarchive, sort_id %s (%s@%s, "
            "store %s)%s%lu%s%lu: %s",
            p->base.where, sort_id, c->user, c->host, c->store,
            line ? ", value at " : "", line, line ? ":" : "", col, why);
    st = c->fn(c->ud, &it);
    xp_arena_reset(&c->a);
    return st;
}

static xporta_status pg_items(struct pbe *b, const char *host, const char *user,
                              const char *store, pitem_fn fn, void *ud)
{
    struct pg *p = (struct pg *)b;
    if (p->no_archive)
        return XPORTA_OK;
    struct items_ctx c = {host, user, store, fn, ud, {0}};
    xp_arena_init(&c.a, 0);
    const char *vals[3] = {host, user, store};
    xporta_status st =
        rows(p, Q_ITEMS, 3, vals, on_item, &c, "reading an archive");
    xp_arena_cleanup(&c.a);
    return st;
}

/* ---- writing ------------------------------------------------------------ */

static xporta_status pg_begin(struct pbe *b, const char *host, const char *user)
{
    struct pg *p = (struct pg *)b;
    free(p->host);
    free(p->user);
    p->host = xp_strdup(host);
    p->user = xp_strdup(user);
    if (!p->host || !p->user)
        return oom(p);
    xporta_status st = exec(
        p, p->in_tx ? "SAVEPOINT xporta_user" : "BEGIN; SAVEPOINT xporta_user",
        0, NULL, "starting a transaction");
    if (st)
        return st;
    p->in_tx = p->in_user = true;
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
    if ((st = copy_col(k, p->host, strlen(p->host), '\t')) ||
        (st = copy_col(k, p->user, strlen(p->user), '\t')) ||
        (st = copy_col(k, store, strlen(store), '\t')) ||
        (st = copy_col(k, key, strlen(key), '\t')) ||
        (st = copy_col(k, type, strlen(type), '\t')) ||
        (st = copy_col(k, p->buf.data ? p->buf.data : "", p->buf.len, '\n')))
        return xp_fail(&p->base.run->err, st,
                       "%s: the stores of %s@%s are too large", p->base.where,
                       p->user, p->host);
    return XPORTA_OK;
}

/* keyval_store_set: a row per string key, the others in key "" (as JSON).
 * Held until the commit (or the next statement). */
static xporta_status pg_set(struct pbe *b, const char *store,
                            const struct pv *v)
{
    struct pg *p = (struct pg *)b;
    xporta_status st = end_archive(p);
    if (st)
        return st;
    if (!xp_strv_has(&p->kv_sets, store) && xp_strv_add(&p->kv_sets, store) < 0)
        return oom(p);
    struct pv extra = pv_table();
    for (const struct pv_field *f = v->first; f && !st; f = f->next) {
        if (f->k.t == PV_STR && f->k.len && !memchr(f->k.s, '\0', f->k.len))
            st = kv_row(p, store, f->k.s, &f->v);
        else if (!pv_set(&p->ia, &extra, f->k, f->v))
            st = oom(p);
    }
    if (!st && extra.count)
        st = kv_row(p, store, "", &extra);
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
                           "cannot read /dev/urandom");
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
        if ((st = exec(p, queries[Q_DELETE_ITEM], 4, vals,
                       "writing an archive")))
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
    if (!p->copying) {
        if ((st = send_kv(p)) || (st = copy_start(p, copy_archive)))
            return st;
        p->copying = true;
    }
    char when[24];
    snprintf(when, sizeof when, "%lld", (long long)it->when);
    struct xp_buf *r = &p->rows;
    if ((st = copy_col(r, p->host, strlen(p->host), '\t')) ||
        (st = copy_col(r, p->user, strlen(p->user), '\t')) ||
        (st = copy_col(r, store, strlen(store), '\t')) ||
        (st = copy_col(r, when, strlen(when), '\t')) ||
        (st = copy_col(r, with, strlen(with), '\t')) ||
        (st = copy_col(r, k, strlen(k), '\t')) ||
        (st = copy_col(r, "xml", 3, '\t')) ||
        (st = copy_col(r, p->buf.data, p->buf.len, '\n')))
        return xp_fail(&b->run->err, st,
                       "%s: an archived stanza of %s@%s is too large",
                       p->base.where, p->user, p->host);
    return r->len >= COPY_CHUNK ? copy_send(p, r) : XPORTA_OK;
}

static xporta_status pg_commit(struct pbe *b)
{
    struct pg *p = (struct pg *)b;
    if (!p->in_user)
        return XPORTA_OK;
    xporta_status st =
        exec(p, "RELEASE SAVEPOINT xporta_user", 0, NULL, "writing a user");
    if (!st)
        p->in_user = false;
    return st;
}

static void pg_rollback(struct pbe *b)
{
    struct pg *p = (struct pg *)b;
    if (p->copying) {
        p->copying = false;
        copy_end(p, "rolled back");
    }
    xp_buf_reset(&p->rows);
    xp_buf_reset(&p->kv);
    xp_strv_cleanup(&p->kv_sets);
    if (!p->in_user)
        return;
    p->in_user = false;
    PQclear(PQexec(p->c, "ROLLBACK TO SAVEPOINT xporta_user; RELEASE "
                         "SAVEPOINT xporta_user"));
}

static xporta_status pg_flush(struct pbe *b)
{
    struct pg *p = (struct pg *)b;
    if (!p->in_tx)
        return XPORTA_OK;
    pg_rollback(b); /* a user not committed is not part of it */
    p->in_tx = false;
    return exec(p, "COMMIT", 0, NULL, "committing");
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
    free(p->base.where);
    xp_buf_cleanup(&p->buf);
    xp_buf_cleanup(&p->rows);
    xp_buf_cleanup(&p->kv);
    xp_strv_cleanup(&p->kv_sets);
    xp_arena_cleanup(&p->ia);
    free(p);
}

static const struct pbe_ops pg_ops = {
    .close = pg_close,
    .users = pg_users,
    .get = pg_get,
    .stores = pg_stores,
    .items = pg_items,
    .begin = pg_begin,
    .set = pg_set,
    .append = pg_append,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .flush = pg_flush,
    .running = pg_running,
};

/* ---- opening ------------------------------------------------------------ */

/* The address as libpq takes it: "//user@host:port/db" is a URI,
 * "postgresql://..." too, "key=value ..." a connection string, a bare
 * word a database name.  NULL (with the error set) when it holds a
 * password or cannot be read. */
static char *conninfo(const char *where, struct xp_run *run)
{
    char *ci;
    if (strncmp(where, "//", 2) == 0)
        ci = xp_strcat("postgresql:", where);
    else if (strncmp(where, "postgresql://", 13) == 0 ||
             strncmp(where, "postgres://", 11) == 0 || strchr(where, '='))
        ci = xp_strdup(where);
    else if (*where) {
        struct xp_buf b;
        xp_buf_init(&b, 4096);
        xporta_status st = xp_buf_adds(&b, "dbname='");
        for (const char *s = where; !st && *s; s++)
            if (!(st = *s == '\'' || *s == '\\' ? xp_buf_addc(&b, '\\')
                                                : XPORTA_OK))
                st = xp_buf_addc(&b, *s);
        if (!st)
            st = xp_buf_addc(&b, '\'');
        ci = st ? NULL : xp_buf_take(&b);
        xp_buf_cleanup(&b);
    } else {
        ci = xp_strdup("");
    }
    if (!ci) {
        xp_fail(&run->err, XPORTA_ENOMEM, "out of memory");
        return NULL;
    }
    char *err = NULL;
    PQconninfoOption *opts = PQconninfoParse(ci, &err);
    if (!opts) {
        char msg[512];
        one_line(msg, sizeof msg, err);
        xp_fail(&run->err, XPORTA_EINVAL,
                "prosody+pgsql: not a PostgreSQL address (%s); write "
                "prosody+pgsql://USER@HOST[:PORT]/DATABASE or "
                "prosody+pgsql:'host=HOST dbname=DATABASE user=USER'",
                msg);
        PQfreemem(err);
        free(ci);
        return NULL;
    }
    bool password = false;
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (strcmp(o->keyword, "password") == 0 && o->val)
            password = true;
    PQconninfoFree(opts);
    if (password) {
        xp_fail(&run->err, XPORTA_EINVAL,
                "a PostgreSQL address must not hold the password (other "
                "users see command lines, and the job's journal keeps the "
                "address): put it in ~/.pgpass or the file PGPASSFILE "
                "names, as HOST:PORT:DATABASE:USER:PASSWORD (mode 0600), or "
                "in the environment variable PGPASSWORD");
        free(ci);
        return NULL;
    }
    return ci;
}

/* The database connected to, for messages: an address one could type. */
static char *describe(PGconn *c)
{
    const char *host = PQhost(c), *port = PQport(c), *db = PQdb(c),
               *user = PQuser(c);
    struct xp_buf b;
    xp_buf_init(&b, 4096);
    xporta_status st;
    host = host ? host : "";
    if (host[0] == '/')
        st = xp_buf_printf(&b,
                           "prosody+pgsql:host=%s port=%s dbname=%s "
                           "user=%s",
                           host, port, db, user);
    else if (strchr(host, ':'))
        st = xp_buf_printf(&b, "prosody+pgsql://%s@[%s]:%s/%s", user, host,
                           port, db);
    else
        st = xp_buf_printf(&b, "prosody+pgsql://%s@%s:%s/%s", user, host, port,
                           db);
    char *out = st ? NULL : xp_buf_take(&b);
    xp_buf_cleanup(&b);
    return out;
}

/* libpq would print the server's notices on stderr. */
static void quiet(void *ud, const char *msg)
{
    (void)ud;
    (void)msg;
}

static xporta_status connect_fail(PGconn *c, const char *where,
                                  struct xp_run *run)
{
    char msg[512];
    one_line(msg, sizeof msg, c ? PQerrorMessage(c) : "out of memory");
    /* libpq's "connection to server at ... failed: " prefix is kept */
    bool auth = strstr(msg, "password") || strstr(msg, "authentication");
    return xp_fail(&run->err, auth ? XPORTA_EAUTH : XPORTA_ENET,
                   "prosody+pgsql:%s: %s%s", where, msg,
                   auth ? " (xporta takes the password from ~/.pgpass, the "
                          "file PGPASSFILE names, or PGPASSWORD; a passfile "
                          "line matches the host as the address writes it: "
                          "localhost and 127.0.0.1 are two)"
                        : "");
}

xporta_status pbe_pgsql_open(struct pbe **out, const char *where, bool write,
                             struct xp_run *run)
{
    char *ci = conninfo(where, run);
    if (!ci)
        return run->err.status;
    struct pg *p = calloc(1, sizeof *p);
    if (!p) {
        free(ci);
        return xp_fail(&run->err, XPORTA_ENOMEM, "out of memory");
    }
    p->base.ops = &pg_ops;
    p->base.run = run;
    p->base.text_only = true;
    p->write = write;
    xp_buf_init(&p->buf, 256u << 20);
    xp_buf_init(&p->rows, COPY_CHUNK + MAX_VALUE * 2u + 4 * MAX_NAME);
    xp_buf_init(&p->kv, 256u << 20);
    xp_arena_init(&p->ia, 0);
    /* the address's own settings win over these */
    const char *const keys[] = {"fallback_application_name", "connect_timeout",
                                "dbname", NULL};
    const char *const vals[] = {"xporta", "20", ci, NULL};
    p->c = PQconnectdbParams(keys, vals, 1);
    free(ci);
    xporta_status st = XPORTA_OK;
    if (!p->c || PQstatus(p->c) != CONNECTION_OK)
        st = connect_fail(p->c, where, run);
    else if (PQsetNoticeProcessor(p->c, quiet, NULL),
             PQsetClientEncoding(p->c, "UTF8") != 0 ||
                 !(p->base.where = describe(p->c)))
        st = connect_fail(p->c, where, run);
    if (st) {
        pg_close(&p->base);
        return st;
    }
    /* which of Prosody's tables exist */
    PGresult *r = PQexec(p->c, "SELECT to_regclass('\"prosody\"') IS NOT "
                               "NULL, to_regclass('\"prosodyarchive\"') IS "
                               "NOT NULL");
    bool kv = false, archive = false;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
        kv = PQgetvalue(r, 0, 0)[0] == 't';
        archive = PQgetvalue(r, 0, 1)[0] == 't';
    } else {
        st = pg_fail(p, r, "looking for Prosody's tables");
    }
    PQclear(r);
    if (!st && write) {
        /* one writer per database, from anywhere */
        r = PQexec(p->c, "SELECT pg_try_advisory_lock(" LOCK_KEY ")");
        if (PQresultStatus(r) != PGRES_TUPLES_OK)
            st = pg_fail(p, r, "locking");
        else if (PQgetvalue(r, 0, 0)[0] != 't')
            st = xp_fail(&run->err, XPORTA_ELOCKED,
                         "%s: another xporta writes to this database "
                         "(PostgreSQL advisory lock " LOCK_KEY ")",
                         p->base.where);
        PQclear(r);
        if (!st && !kv)
            st = exec(p, schema_kv, 0, NULL, "creating Prosody's tables");
        if (!st && !archive)
            st = exec(p, schema_archive, 0, NULL, "creating Prosody's tables");
    } else if (!st) {
        p->no_kv = !kv;
        p->no_archive = !archive;
        /* one snapshot for the whole read */
        st = exec(p, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL,
                  "starting a transaction");
    }
    if (st) {
        pg_close(&p->base);
        return st;
    }
    *out = &p->base;
    return XPORTA_OK;
}
