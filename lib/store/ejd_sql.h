/*
 * ejabberd's SQL storage: one small interface over its two engines here,
 * SQLite 3 (ejd_sqlite.c) and PostgreSQL (ejd_pgsql.c), so that what is in
 * the tables (ejd_map*.c) is written once.
 *
 * Design note.  ejabberd keeps each kind of data in a table of its own
 * (users, rosterusers, archive, pubsub_item, ...), all columns text or
 * integers, with the same names in both engines.  The mapping needs only:
 * queries with text parameters whose rows are streamed to a callback
 * (never held whole: an archive may be large), statements whose rows do
 * not matter, bulk appends (PostgreSQL: COPY; SQLite: one prepared
 * INSERT), and transactions with savepoints (one account is a savepoint
 * inside a transaction of many; flush commits).  Statements are written
 * with $1, $2, ... for both engines (SQLite takes them as named
 * parameters).  Each statement has a number (the mapping's enum) under
 * which the engine prepares it once.
 */
#ifndef XPORTA_STORE_EJD_SQL_H
#define XPORTA_STORE_EJD_SQL_H

#include "../model/xp_model.h"

/* The largest column value read (a stanza, a vCard, a PEP item). */
#define ESQL_MAX_VALUE (64u << 20)
/* Statements one connection prepares (the mapping's numbers are below). */
#define ESQL_MAX_STMTS 80

struct esql;

/* One row: column i's text (NULL for SQL NULL) and its length. */
struct esql_row {
    int n;
    const char *const *v;
    const size_t *len;
    unsigned long index; /* 1, 2, ... within its query, for messages */
};
typedef xporta_status (*esql_row_fn)(void *ud, const struct esql_row *r);

struct esql_ops {
    void (*close)(struct esql *db);
    /* Runs statement `id` (its text `sql`) with `n` text parameters
     * (NULL: SQL NULL); each row goes to `fn` (may be NULL). */
    xporta_status (*query)(struct esql *db, int id, const char *sql, int n,
                           const char *const *vals, esql_row_fn fn, void *ud);
    /* Statements without parameters whose rows do not matter. */
    xporta_status (*exec)(struct esql *db, const char *sql);
    /* Appends rows to `table` (columns `cols`, comma-separated, quoted as
     * needed): begin, rows, end.  Nothing else runs between begin and end
     * on this connection. */
    xporta_status (*bulk_begin)(struct esql *db, int id, const char *table,
                                const char *cols, int n);
    xporta_status (*bulk_row)(struct esql *db, const char *const *vals);
    xporta_status (*bulk_end)(struct esql *db);
    /* Whether `table` exists and has `column` (NULL: any). */
    xporta_status (*has)(struct esql *db, const char *table, const char *column,
                         bool *yes);
};

struct esql {
    const struct esql_ops *ops;
    struct xp_run *run;
    char *where;     /* the database, for messages */
    bool pg;         /* PostgreSQL (else SQLite) */
    bool missing;    /* read-only, no such database: empty */
    bool in_tx;      /* BEGIN sent */
    bool lost;       /* the transaction went (a connection lost): the
                        accounts written in it must not count as done */
    bool in_account; /* SAVEPOINT sent */
};

xporta_status esql_sqlite_open(struct esql **out, const char *path, bool write,
                               struct xp_run *run);
/* `where` as for the prosody+pgsql store: a libpq URI or connection string
 * without a password (PGPASSFILE, ~/.pgpass or PGPASSWORD). */
xporta_status esql_pgsql_open(struct esql **out, const char *where, bool write,
                              struct xp_run *run);

/* ejd_running.c: a running ejabberd on this database, for refusing to
 * write under it: `why` says what was found ("" when nothing). */
xporta_status esql_running(struct esql *db, char *why, size_t cap);
/* The pid of a beam.smp that holds the SQLite file `path` open, or 0. */
long esql_sqlite_holder(const char *path);

/* Wrappers. */
static inline xporta_status esql_query(struct esql *db, int id, const char *sql,
                                       int n, const char *const *vals,
                                       esql_row_fn fn, void *ud)
{
    return db->ops->query(db, id, sql, n, vals, fn, ud);
}

static inline xporta_status esql_exec(struct esql *db, const char *sql)
{
    return db->ops->exec(db, sql);
}

/* The account's savepoint inside the transaction of many accounts
 * (opened when needed); its end; its undoing; the transaction's commit. */
xporta_status esql_account_begin(struct esql *db);
xporta_status esql_account_end(struct esql *db);
void esql_account_undo(struct esql *db);
xporta_status esql_commit(struct esql *db);

#endif
