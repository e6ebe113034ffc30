/*
 * The PostgreSQL backend (prosody_pgsql*.c), in files that call downwards
 * only:
 *   prosody_pgsql.c       writing, the backend's ops, opening
 *   prosody_pgsql_read.c  reading: accounts, a user's stores, archives
 *   prosody_pgsql_conn.c  the connection: addresses (no password in them),
 *                         errors, statements, streamed rows, COPY
 */
#ifndef XPORTA_STORE_PROSODY_PGSQL_P_H
#define XPORTA_STORE_PROSODY_PGSQL_P_H

#include <libpq-fe.h>

#include "pg_common.h"
#include "prosody_store.h"

/* Ceilings, applied by the server (a longer column arrives as NULL with
 * its length): names, keys and types; values; a user's key-value rows. */
#define PG_MAX_NAME 3071
#define PG_MAX_VALUE 67108864
#define PG_MAX_KV (64u << 20)
/* COPY data is handed to libpq in pieces of about this size. */
#define PG_COPY_CHUNK (256u << 10)

/* The prepared queries (prosody_pgsql_conn.c has their text). */
enum { Q_USERS, Q_KV, Q_STORES, Q_ITEMS, Q_DELETE_ITEM, Q_ROOMS, Q_COUNT };

/* A row of table prosody, held for a user's reads. */
struct kvrow {
    const char *store, *key, *type, *value; /* NULL: over the ceiling */
    size_t len;
    struct kvrow *next;
};

struct pg {
    struct pbe base;
    PGconn *c;
    bool prepared[Q_COUNT];
    bool no_kv, no_archive; /* read-only: a table is missing */
    bool in_tx;             /* BEGIN sent */
    bool in_user;           /* between begin() and commit()/rollback() */
    bool sp_sent;           /* the user's SAVEPOINT sent */
    bool copying;           /* a COPY into prosodyarchive is open */
    bool busy;              /* rows are being streamed */
    char *host, *user;      /* the user being written */
    struct xp_buf buf;      /* a value; a statement */
    struct xp_buf rows;     /* archive rows not yet handed to libpq */
    struct xp_buf kv;       /* the user's key-value rows, sent at commit */
    struct xp_strv kv_sets; /* the stores those rows replace */
    struct xp_arena ia;
    /* the key-value rows of one user, as read */
    struct xp_arena ca;
    char *c_host, *c_user; /* NULL: nothing held */
    struct kvrow *c_first, **c_tail;
    size_t c_bytes;
};

/* ---- prosody_pgsql_conn.c ------------------------------------------------ */

/* A failed statement, or a lost connection (r NULL): the server's message
 * and detail after "WHERE: WHAT: ", with a status from its SQLSTATE. */
xporta_status pgb_fail(struct pg *p, const PGresult *r, const char *what);
xporta_status pgb_oom(struct pg *p);

/* What must go before the user's first write: the transaction and the
 * user's savepoint (sent with that write's statement); "" when sent. */
const char *pgb_opening(const struct pg *p);
/* Statements (without parameters) whose rows do not matter, after what
 * pgb_opening() says.  `copy`: the last one is a COPY FROM STDIN. */
xporta_status pgb_run_sql(struct pg *p, const char *sql, bool copy,
                          const char *what);
/* Prepares query `q` once; its name is "xporta_Q". */
xporta_status pgb_prepare(struct pg *p, int q);

/* Runs query `q`, handing its rows to `fn` one at a time (single-row mode:
 * libpq holds one row, never the result). */
typedef xporta_status (*pgb_row_fn)(struct pg *p, const PGresult *r, void *ud);
xporta_status pgb_rows(struct pg *p, int q, int n, const char *const *vals,
                       pgb_row_fn fn, void *ud, const char *what);
/* Column `i` of a capped pair (value, length): NULL when over the ceiling
 * (`*len` then says how long it is). */
const char *pgb_capped(const PGresult *r, int i, size_t *len);

/* COPY: the rows in `b` handed to libpq; the end (with `error`, dropped). */
xporta_status pgb_copy_send(struct pg *p, struct xp_buf *b);
xporta_status pgb_copy_end(struct pg *p, const char *error);
/* The archive rows sent so far reach the table (their COPY ends). */
xporta_status pgb_end_archive(struct pg *p);
/* The user's key-value stores that were set are replaced: their rows
 * deleted, the new ones copied in, then the statements `after`. */
xporta_status pgb_send_kv(struct pg *p, const char *after);
/* Before any other statement: the open COPY ends, what is held is sent. */
xporta_status pgb_settle(struct pg *p);

/* ---- prosody_pgsql_read.c ------------------------------------------------ */

xporta_status pgb_users(struct pbe *b, struct xp_strv *out,
                        struct xp_strv *rejects);
xporta_status pgb_rooms(struct pbe *b, struct xp_strv *out);
xporta_status pgb_get(struct pbe *b, const char *host, const char *user,
                      const char *store, struct xp_arena *a, struct pv *out,
                      bool *found);
xporta_status pgb_stores(struct pbe *b, const char *host, const char *user,
                         struct xp_strv *out);
xporta_status pgb_items(struct pbe *b, const char *host, const char *user,
                        const char *store, pitem_fn fn, void *ud);
/* The held key-value rows are dropped (the user is written). */
void pgb_forget(struct pg *p);

#endif
