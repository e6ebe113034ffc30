/*
 * What the PostgreSQL backends of Prosody's storage (prosody_pgsql*.c) and
 * ejabberd's (ejd_pgsql.c) share: the connection, errors, COPY's text
 * format (prosody_pgsql_conn.c).
 */
#ifndef XPORTA_STORE_PG_COMMON_H
#define XPORTA_STORE_PG_COMMON_H

#include <libpq-fe.h>

#include "../model/xp_model.h"

/* Connects to the database the address (past "SCHEME:") names:
 * "//USER@HOST[:PORT]/DB" or "postgresql://..." (a libpq URI), a libpq
 * connection string ("host=... dbname=..."), a bare database name, or ""
 * (libpq's defaults).  The password never comes from the address (one
 * there is refused): libpq reads PGPASSFILE, ~/.pgpass or PGPASSWORD.
 * Notices are not printed; the client encoding is UTF-8.  NULL with the
 * error in run->err; `*desc` (malloc'd) names the database connected to
 * for messages, as an address one could type. */
PGconn *pgc_connect(const char *scheme, const char *where, struct xp_run *run,
                    char **desc);

/* A failed statement, or a lost connection (r NULL): the server's message
 * and detail after "WHERE: WHAT: ", with a status from its SQLSTATE. */
xporta_status pgc_fail(PGconn *c, const PGresult *r, struct xp_run *run,
                       const char *where, const char *what);

/* One column of COPY's text format, then `end` ('\t' or '\n'). */
xporta_status pgc_copy_col(struct xp_buf *b, const char *s, size_t n, char end);

#endif
