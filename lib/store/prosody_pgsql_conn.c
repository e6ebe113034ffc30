/*
 * The connection of prosody_pgsql.c: what an address means, connecting
 * without a password in it, PostgreSQL's errors as xporta's, COPY's text
 * format (prosody_pgsql_p.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prosody_pgsql_p.h"

#define STR(x) STR_(x)
#define STR_(x) #x
#define CAP(col, n)                                                            \
    "CASE WHEN octet_length(\"" col "\") <= " STR(n) " THEN \"" col "\" END, " \
                                                     "octet_length(\"" col     \
                                                     "\")"

/* The columns each query reads (a CAP() is two). */
/* The columns each query reads (a CAP() is two). */
#define USER_COLS CAP("host", PG_MAX_NAME) ", " CAP("user", PG_MAX_NAME)
#define KV_COLS                                                          \
    CAP("store", PG_MAX_NAME)                                            \
    ", " CAP("key", PG_MAX_NAME) ", " CAP("type", PG_MAX_NAME) ", " CAP( \
        "value", PG_MAX_VALUE)
#define STORE_COLS                               \
    "CASE WHEN octet_length(\"store\") <= " STR( \
        PG_MAX_NAME) " THEN \"store\" "          \
                     "END COLLATE \"C\" AS \"s\", octet_length(\"store\")"
#define ITEM_COLS                                     \
    CAP("key", PG_MAX_NAME)                           \
    ", \"when\", " CAP("with", PG_MAX_NAME) ", " CAP( \
        "type", PG_MAX_NAME) ", " CAP("value", PG_MAX_VALUE) ", \"sort_id\""
#define WHERE_USER " WHERE \"host\" = $1 AND \"user\" = $2"

static const char *const queries[Q_COUNT] = {
    ("SELECT " USER_COLS " FROM \"prosody\" WHERE \"store\" = 'accounts' "
     "AND \"user\" <> '' GROUP BY \"host\", \"user\" ORDER BY \"host\" "
     "COLLATE \"C\", \"user\" COLLATE \"C\""),
    ("SELECT " KV_COLS " FROM \"prosody\"" WHERE_USER),
    ("SELECT DISTINCT " STORE_COLS " FROM \"prosodyarchive\"" WHERE_USER
     " ORDER BY \"s\""),
    ("SELECT " ITEM_COLS " FROM \"prosodyarchive\"" WHERE_USER
     " AND \"store\" = $3 ORDER BY \"sort_id\""),
    ("DELETE FROM \"prosodyarchive\"" WHERE_USER
     " AND \"store\" = $3 AND \"key\" = $4"),
    ("SELECT " USER_COLS " FROM \"prosody\" WHERE \"store\" = 'config' "
     "AND \"user\" <> '' GROUP BY \"host\", \"user\" ORDER BY \"host\" "
     "COLLATE \"C\", \"user\" COLLATE \"C\""),
};

static const char copy_kv[] = "COPY \"prosody\" (\"host\", \"user\", "
                              "\"store\", \"key\", \"type\", \"value\") FROM "
                              "STDIN";

/* The first line of libpq's message (they end with a newline). */
static void one_line(char *out, size_t cap, const char *msg)
{
    snprintf(out, cap, "%s", msg && *msg ? msg : "unknown error");
    out[strcspn(out, "\n")] = '\0';
}

xporta_status pgc_fail(PGconn *c, const PGresult *r, struct xp_run *run,
                       const char *where, const char *what)
{
    char msg[512], detail[512] = "";
    one_line(msg, sizeof msg,
             r && PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY)
                 ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY)
                 : PQerrorMessage(c));
    const char *d = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL) : NULL;
    if (d)
        one_line(detail, sizeof detail, d);
    const char *code = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    xporta_status st = XPORTA_EIO;
    if (PQstatus(c) == CONNECTION_BAD ||
        (code && code[0] == '0' && code[1] == '8'))
        st = XPORTA_EDISCONNECTED;
    else if (code && strcmp(code, "55P03") == 0)
        st = XPORTA_ELOCKED;
    else if (code && code[0] == '2' && code[1] == '2')
        st = XPORTA_EFORMAT; /* data the table cannot hold */
    return xp_fail(&run->err, st, "%s: %s: %s%s%s%s", where, what, msg,
                   *detail ? " (" : "", detail, *detail ? ")" : "");
}

/* A column of COPY's text format: backslash, tab, newline and carriage
 * return escaped. */
xporta_status pgc_copy_col(struct xp_buf *b, const char *s, size_t n, char end)
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

xporta_status pgb_fail(struct pg *p, const PGresult *r, const char *what)
{
    return pgc_fail(p->c, r, p->base.run, p->base.where, what);
}

xporta_status pgb_oom(struct pg *p)
{
    return xp_fail(&p->base.run->err, XPORTA_ENOMEM, "out of memory");
}

/* ---- statements --------------------------------------------------------- */

/* ---- statements --------------------------------------------------------- */

const char *pgb_opening(const struct pg *p)
{
    if (!p->in_user || p->sp_sent)
        return "";
    return p->in_tx ? "SAVEPOINT xporta_user; "
                    : "BEGIN; SAVEPOINT xporta_user; ";
}

static void opened(struct pg *p)
{
    if (p->in_user)
        p->in_tx = p->sp_sent = true;
}

xporta_status pgb_run_sql(struct pg *p, const char *sql, bool copy,
                          const char *what)
{
    xp_buf_reset(&p->buf);
    if (xp_buf_adds(&p->buf, pgb_opening(p)) || xp_buf_adds(&p->buf, sql))
        return pgb_oom(p);
    PGresult *r = PQexec(p->c, xp_buf_str(&p->buf));
    ExecStatusType es = PQresultStatus(r);
    xporta_status st = XPORTA_OK;
    if (copy ? es != PGRES_COPY_IN
             : es != PGRES_COMMAND_OK && es != PGRES_TUPLES_OK)
        st = pgb_fail(p, r, what);
    else
        opened(p);
    PQclear(r);
    return st;
}

xporta_status pgb_prepare(struct pg *p, int q)
{
    if (p->prepared[q])
        return XPORTA_OK;
    char name[16];
    snprintf(name, sizeof name, "xporta_%d", q);
    PGresult *r = PQprepare(p->c, name, queries[q], 0, NULL);
    xporta_status st = PQresultStatus(r) == PGRES_COMMAND_OK
                           ? XPORTA_OK
                           : pgb_fail(p, r, "preparing a query");
    PQclear(r);
    p->prepared[q] = st == XPORTA_OK;
    return st;
}

/* After an error the remaining rows are read and dropped: the connection
 * is then ready again. */
xporta_status pgb_rows(struct pg *p, int q, int n, const char *const *vals,
                       pgb_row_fn fn, void *ud, const char *what)
{
    if (p->busy)
        return xp_fail(&p->base.run->err, XPORTA_EINVAL,
                       "%s: a query inside a query", p->base.where);
    xporta_status st = pgb_settle(p);
    if (!st)
        st = pgb_prepare(p, q);
    if (st)
        return st;
    char name[16];
    snprintf(name, sizeof name, "xporta_%d", q);
    if (!PQsendQueryPrepared(p->c, name, n, vals, NULL, NULL, 0))
        return pgb_fail(p, NULL, what);
    PQsetSingleRowMode(p->c);
    p->busy = true;
    PGresult *r;
    while ((r = PQgetResult(p->c))) {
        ExecStatusType es = PQresultStatus(r);
        if (es == PGRES_SINGLE_TUPLE) {
            if (!st)
                st = fn(p, r, ud);
        } else if (es != PGRES_TUPLES_OK && !st) {
            st = pgb_fail(p, r, what);
        }
        PQclear(r);
    }
    p->busy = false;
    return st;
}

const char *pgb_capped(const PGresult *r, int i, size_t *len)
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

xporta_status pgb_copy_send(struct pg *p, struct xp_buf *b)
{
    if (b->len && PQputCopyData(p->c, b->data, (int)b->len) != 1)
        return pgb_fail(p, NULL, "sending rows");
    xp_buf_reset(b);
    return XPORTA_OK;
}

/* Reads the results of the statements after the COPY too. */
xporta_status pgb_copy_end(struct pg *p, const char *error)
{
    xporta_status st = XPORTA_OK;
    if (PQputCopyEnd(p->c, error) != 1)
        st = pgb_fail(p, NULL, "ending a COPY");
    PGresult *r;
    while ((r = PQgetResult(p->c))) {
        if (!st && !error && PQresultStatus(r) != PGRES_COMMAND_OK) {
            char what[600];
            snprintf(what, sizeof what, "writing the rows of %.250s@%.250s",
                     p->user ? p->user : "?", p->host ? p->host : "?");
            st = pgb_fail(p, r, what);
        }
        PQclear(r);
    }
    return st;
}

/* The archive rows sent so far reach the table (their COPY ends). */
xporta_status pgb_end_archive(struct pg *p)
{
    if (!p->copying)
        return XPORTA_OK;
    p->copying = false;
    xporta_status st = pgb_copy_send(p, &p->rows);
    xporta_status e = pgb_copy_end(p, st ? "xporta stopped" : NULL);
    return st ? st : e;
}

/* One round trip to start, one to end. */
xporta_status pgb_send_kv(struct pg *p, const char *after)
{
    if (!p->kv_sets.n)
        return XPORTA_OK;
    struct xp_buf *s = &p->buf;
    xp_buf_reset(s);
    char *host = PQescapeLiteral(p->c, p->host, strlen(p->host));
    char *user = PQescapeLiteral(p->c, p->user, strlen(p->user));
    xporta_status st =
        host && user
            ? xp_buf_printf(s,
                            "%sDELETE FROM \"prosody\" WHERE \"host\" = %s "
                            "AND \"user\" = %s AND \"store\" IN (",
                            pgb_opening(p), host, user)
            : XPORTA_ENOMEM;
    PQfreemem(host);
    PQfreemem(user);
    for (size_t i = 0; !st && i < p->kv_sets.n; i++) {
        char *name =
            PQescapeLiteral(p->c, p->kv_sets.v[i], strlen(p->kv_sets.v[i]));
        st = name ? xp_buf_printf(s, "%s%s", i ? ", " : "", name)
                  : XPORTA_ENOMEM;
        PQfreemem(name);
    }
    if (!st)
        st = xp_buf_printf(s, ")%s%s%s", p->kv.len ? "; " : "",
                           p->kv.len ? copy_kv : "", after ? after : "");
    xp_strv_cleanup(&p->kv_sets);
    if (st) {
        xp_buf_reset(&p->kv);
        return pgb_oom(p);
    }
    PGresult *r = PQexec(p->c, xp_buf_str(s));
    ExecStatusType es = PQresultStatus(r);
    if (es != (p->kv.len ? PGRES_COPY_IN : PGRES_COMMAND_OK))
        st = pgb_fail(p, r, "writing a store");
    else
        opened(p);
    PQclear(r);
    if (!st && p->kv.len) {
        st = pgb_copy_send(p, &p->kv);
        xporta_status e = pgb_copy_end(p, st ? "xporta stopped" : NULL);
        st = st ? st : e;
    }
    xp_buf_reset(&p->kv);
    return st;
}

xporta_status pgb_settle(struct pg *p)
{
    xporta_status st = pgb_end_archive(p);
    return st ? st : pgb_send_kv(p, NULL);
}

/* ---- connecting --------------------------------------------------------- */

/* The address as libpq takes it: "//user@host:port/db" is a URI,
 * "postgresql://..." too, "key=value ..." a connection string, a bare
 * word a database name.  NULL (with the error set) when it holds a
 * password or cannot be read. */
static char *conninfo(const char *scheme, const char *where, struct xp_run *run)
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
                "%s: not a PostgreSQL address (%s); write "
                "%s://USER@HOST[:PORT]/DATABASE or "
                "%s:'host=HOST dbname=DATABASE user=USER'",
                scheme, msg, scheme, scheme);
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
static char *describe(PGconn *c, const char *scheme)
{
    const char *host = PQhost(c), *port = PQport(c), *db = PQdb(c),
               *user = PQuser(c);
    struct xp_buf b;
    xp_buf_init(&b, 4096);
    xporta_status st;
    host = host ? host : "";
    if (host[0] == '/')
        st = xp_buf_printf(&b, "%s:host=%s port=%s dbname=%s user=%s", scheme,
                           host, port, db, user);
    else if (strchr(host, ':'))
        st = xp_buf_printf(&b, "%s://%s@[%s]:%s/%s", scheme, user, host, port,
                           db);
    else
        st =
            xp_buf_printf(&b, "%s://%s@%s:%s/%s", scheme, user, host, port, db);
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

static xporta_status connect_fail(PGconn *c, const char *scheme,
                                  const char *where, struct xp_run *run)
{
    char msg[512];
    one_line(msg, sizeof msg, c ? PQerrorMessage(c) : "out of memory");
    /* libpq's "connection to server at ... failed: " prefix is kept */
    bool auth = strstr(msg, "password") || strstr(msg, "authentication");
    return xp_fail(&run->err, auth ? XPORTA_EAUTH : XPORTA_ENET, "%s:%s: %s%s",
                   scheme, where, msg,
                   auth ? " (xporta takes the password from ~/.pgpass, the "
                          "file PGPASSFILE names, or PGPASSWORD; a passfile "
                          "line matches the host as the address writes it: "
                          "localhost and 127.0.0.1 are two)"
                        : "");
}

PGconn *pgc_connect(const char *scheme, const char *where, struct xp_run *run,
                    char **desc)
{
    *desc = NULL;
    char *ci = conninfo(scheme, where, run);
    if (!ci)
        return NULL;
    /* the address's own settings win over these */
    const char *const keys[] = {"fallback_application_name", "connect_timeout",
                                "dbname", NULL};
    const char *const vals[] = {"xporta", "20", ci, NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    free(ci);
    if (!c || PQstatus(c) != CONNECTION_OK) {
        connect_fail(c, scheme, where, run);
        PQfinish(c);
        return NULL;
    }
    PQsetNoticeProcessor(c, quiet, NULL);
    if (PQsetClientEncoding(c, "UTF8") != 0 || !(*desc = describe(c, scheme))) {
        connect_fail(c, scheme, where, run);
        PQfinish(c);
        return NULL;
    }
    return c;
}
