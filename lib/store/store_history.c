/*
 * lib/store/store_history.c: which servers' stores take a user's history
 * (the archive, offline messages) while their server runs.
 *
 * Design note.  A provider's portal imports a user's history into their
 * own account beside the running server (issue 16, "History included").
 * That is safe only where the running server keeps in memory nothing that
 * answers a client about what xporta writes, and where its own writes can
 * neither fail nor be lost because of xporta's.  The evidence (file:line
 * of Prosody 0.12.3 as Debian installs it and of ejabberd 23.01's source)
 * is in docs/research/store-live.md; the answers below encode it, one per
 * (driver, kind).  A count kept only to enforce a server-side ceiling
 * (Prosody's archive quota) is accepted: a stale count errs on the side of
 * letting more in, never hides or loses a message.  Offline messages are
 * taken only where the archive is too: a second run tells a delivered
 * offline message from a new one by its copy in the archive
 * (lib/transfer/xfer_twin.h).
 */
#include <string.h>

#include "store.h"

static const char *const not_a_server =
    "it is not a server's storage: nothing runs on it to be careful of "
    "(use import for a live account, convert for a file)";

static const char *const prosody_sqlite =
    "Prosody on SQLite sets no busy timeout (LuaDBI's dbd/sqlite3.so never "
    "calls sqlite3_busy_timeout), so while xporta writes, Prosody's own "
    "writes fail at once and the messages it receives meanwhile are lost; "
    "stop Prosody and use server-import, or move the history over a "
    "client when the server offers it";

static const char *const prosody_sql_archive =
    "Prosody's SQL storage caches each user's archive size "
    "(mod_storage_sql.lua:154) and answers a client's MAM count from it "
    "(mod_storage_sql.lua:428-434): messages written beside it would be "
    "miscounted until Prosody restarts; stop Prosody and use server-import";

static const char *const prosody_sql_offline =
    "offline messages go in only with the archive, which Prosody's SQL "
    "storage cannot take while Prosody runs (it caches each user's archive "
    "size, mod_storage_sql.lua:154, 428-434): xporta knows an offline "
    "message delivered after an earlier run by its copy in the archive, "
    "and without it a second run would deliver it twice; stop Prosody and "
    "use server-import";

static const char *const ejabberd_sqlite =
    "ejabberd on SQLite sets no busy timeout (ejabberd_sql.erl:966-974, "
    "erlang-sqlite3 opens with sqlite3_open only), so while xporta writes, "
    "ejabberd's own writes fail and messages are lost; stop ejabberd and "
    "use server-import";

static const char *const ejabberd_offline =
    "ejabberd caches each user's offline message count "
    "(mod_offline.erl:1128-1155, use_cache) and shows it to clients "
    "(XEP-0013, mod_offline.erl:311) and checks its limit against it: "
    "offline messages written beside it would be miscounted until the "
    "user's next login; they are in the archive too, which is imported";

static const char *const ejabberd_mnesia =
    "ejabberd's Mnesia tables belong to the running node "
    "(mod_mam_mnesia.erl:53-56, mod_offline_mnesia.erl:44-46: "
    "disc_only_copies bags) and are written only through it, and xporta "
    "cannot read what the account already holds there, so a second run "
    "would archive and deliver every message twice; stop ejabberd, export "
    "to SQL, or use server-import once";

static const char *const other_kind =
    "only the archive and offline messages are written beside a running "
    "server; the rest goes over the client protocol (import)";

const char *store_history_refusal(const char *address, xporta_kind kind)
{
    const char *where = NULL;
    const struct store_driver *d =
        address ? store_driver_find(address, &where) : NULL;
    if (!d || !d->many)
        return not_a_server;
    if (kind != XPORTA_KIND_ARCHIVE && kind != XPORTA_KIND_OFFLINE)
        return other_kind;
    if (d == &store_prosody_driver)
        return NULL; /* mod_storage_internal: read from disk every time */
    if (d == &store_prosody_sqlite_driver)
        return prosody_sqlite;
    if (d == &store_prosody_pgsql_driver)
        return kind == XPORTA_KIND_ARCHIVE ? prosody_sql_archive
                                           : prosody_sql_offline;
    if (d == &store_ejabberd_sqlite_driver)
        return ejabberd_sqlite;
    if (d == &store_ejabberd_pgsql_driver)
        return kind == XPORTA_KIND_OFFLINE ? ejabberd_offline : NULL;
    if (d == &store_ejabberd_mnesia_driver)
        return ejabberd_mnesia;
    return not_a_server;
}

xporta_status xporta_store_live_check(const char *store, xporta_kind kind,
                                      const char **why)
{
    if (!store || !*store || (int)kind < 0 || kind >= XPORTA_KIND_COUNT) {
        if (why)
            *why = "no store or no such kind";
        return XPORTA_EINVAL;
    }
    const char *r = store_history_refusal(store, kind);
    if (why)
        *why = r;
    return r ? XPORTA_EUNSUPPORTED : XPORTA_OK;
}
