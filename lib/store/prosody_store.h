/*
 * Prosody's storage, behind one backend interface (internal files, SQL).
 *
 * Design note.  Prosody keeps each user's data in named stores of two
 * types: key-value stores ("accounts", "roster", "vcard", "private",
 * "privacy", "blocklist", "pep", "archive_prefs"), one Lua value per user,
 * and archive stores ("archive", "offline", "pep_NODE"), an ordered list
 * of stanzas with a key, a time and a "with" JID per item.  A backend
 * (prosody_fs.c for the internal storage, prosody_sql.c for SQLite and
 * PostgreSQL) reads and writes exactly that; prosody_map.c turns a user's
 * stores into xporta's records and back, the same for every backend; the
 * store driver (store_prosody.c) puts the two behind struct store_driver.
 *
 * A user "" is the host's own store (Prosody's user nil: mod_muc's
 * `persistent` map), DATA/HOST/STORE.dat or rows of user ''.
 *
 * Writes go one user at a time: begin(), then set() for each key-value
 * store that changed and append() for each new archive item, then
 * commit(), which makes the user's data appear at once (one transaction,
 * or files written to temporary names and renamed) or not at all.
 */
#ifndef XPORTA_STORE_PROSODY_STORE_H
#define XPORTA_STORE_PROSODY_STORE_H

#include "prosody_value.h"

/* One item of an archive store. */
struct pitem {
    const char *key;
    double when; /* seconds since the epoch */
    const char *with;
    xp_elem *stanza;
};

typedef xporta_status (*pitem_fn)(void *ud, const struct pitem *it);

struct pbe;
struct pbe_ops {
    void (*close)(struct pbe *b);
    /* Every account ("user@host", by host, then user); what looks like an
     * account but cannot be one goes to `rejects` (its file). */
    xporta_status (*users)(struct pbe *b, struct xp_strv *out,
                           struct xp_strv *rejects);
    /* A key-value store of one user: *found false when there is none. */
    xporta_status (*get)(struct pbe *b, const char *host, const char *user,
                         const char *store, struct xp_arena *a, struct pv *out,
                         bool *found);
    /* The archive stores one user has ("archive", "offline", "pep_..."). */
    xporta_status (*stores)(struct pbe *b, const char *host, const char *user,
                            struct xp_strv *out);
    /* The items of an archive store, oldest first.  An item that cannot be
     * read is an error naming where it is. */
    xporta_status (*items)(struct pbe *b, const char *host, const char *user,
                           const char *store, pitem_fn fn, void *ud);
    /* Writing one user. */
    xporta_status (*begin)(struct pbe *b, const char *host, const char *user);
    xporta_status (*set)(struct pbe *b, const char *store, const struct pv *v);
    /* Appends an item; with `replace`, an item of the same key goes. */
    xporta_status (*append)(struct pbe *b, const char *store,
                            const struct pitem *it, bool replace);
    xporta_status (*commit)(struct pbe *b);
    void (*rollback)(struct pbe *b);
    /* Makes every committed user durable (before the caller journals
     * them as done). */
    xporta_status (*flush)(struct pbe *b);
    /* The names of every store that holds anything, on any host (to say
     * which ones xporta leaves alone). */
    xporta_status (*all_stores)(struct pbe *b, struct xp_strv *out);
    /* Every MUC room: "node@host" for each (host, node) with a `config`
     * key-value store, by host, then node (prosody_room.h); NULL: none. */
    xporta_status (*rooms)(struct pbe *b, struct xp_strv *out);
    /* A running Prosody that uses this storage: its pid (0: none) and its
     * configuration file (malloc'd). */
    long (*running)(struct pbe *b, char **config);
};

/* Whether xporta knows what Prosody keeps in `store` (prosody_map.c). */
bool pmap_known_store(const char *store);

struct pbe {
    const struct pbe_ops *ops;
    struct xp_run *run;
    char *where; /* for messages: the directory or database */
    /* Strings must be UTF-8 text (PostgreSQL's TEXT): a binary SCRAM salt
     * has no place. */
    bool text_only;
    /* Written beside the running Prosody (store_opts.live): archive items
     * are appended to what is there, never rewritten (prosody_fs_write.c) */
    bool live;
};

/* The internal storage under a data directory (prosody_fs.c). */
xporta_status pbe_fs_open(struct pbe **out, const char *dir, bool write,
                          struct xp_run *run);

xporta_status pbe_fs_flush(struct pbe *b);

/* mod_storage_sql on SQLite 3 (prosody_sqlite.c): the database file, its
 * tables created (as Prosody creates them) when opened for writing. */
xporta_status pbe_sqlite_open(struct pbe **out, const char *path, bool write,
                              struct xp_run *run);
/* mod_storage_sql on PostgreSQL (prosody_pgsql.c): `conninfo` is a libpq
 * connection string or URI without a password (libpq finds it in
 * PGPASSFILE, ~/.pgpass or PGPASSWORD); the tables are created (as
 * Prosody creates them) when opened for writing. */
xporta_status pbe_pgsql_open(struct pbe **out, const char *conninfo, bool write,
                             struct xp_run *run);

/* ---- shared by the SQL backends (prosody_sql.c) -------------------------- */

/* mod_storage_sql's values: a column's type and text as a value, and back
 * (the text in `b`, the type a static string). */
xporta_status pbe_sql_value(struct xp_arena *a, const char *type,
                            const char *text, size_t len, struct pv *out,
                            const char **why);
xporta_status pbe_sql_text(struct xp_buf *b, const struct pv *v,
                           const char **type);
/* A new item key as mod_storage_sql makes them (util.uuid.generate()):
 * false when no random bytes could be read. */
bool pbe_sql_uuid(char out[37]);
/* keyval_store_set's rows of `v`: `row` is called for each string key and
 * once with key "" for the others together (a table, kept as JSON);
 * `a` holds that table. */
xporta_status pbe_sql_kv_rows(struct xp_arena *a, const struct pv *v,
                              xporta_status (*row)(void *ud, const char *key,
                                                   const struct pv *val),
                              void *ud);
/* A row of table prosody (key, type, value) into the store's table `t`,
 * as keyval_store_get() reads it: key "" holds the keys that are not
 * strings.  EFORMAT with `*why` when the value cannot be read. */
xporta_status pbe_sql_kv_row(struct xp_arena *a, struct pv *t, const char *key,
                             const char *type, const char *text, size_t len,
                             const char **why);
/* Whether s[0..n) is UTF-8 (RFC 3629: no surrogates, no overlong
 * forms, no NUL). */
bool pbe_utf8(const char *s, size_t n);
/* Whether (host, user) of a row can be an account Prosody wrote. */
bool pbe_sql_account_ok(const char *host, const char *user);

/* Prosody's file name encoding (util/datamanager.lua): every byte but
 * ASCII letters and digits as %xx (lowercase); store names keep '_'. */
char *pbe_fs_encode(const char *s, bool store);
/* The reverse; NULL when `s` is not such a name. */
char *pbe_fs_decode(const char *s);

/* A running Prosody whose configuration names `path` as its data
 * directory or database: its pid, else 0; `*config` is its
 * configuration file (malloc'd) when found. */
long pbe_running_prosody(const char *path, char **config);
/* The same for a PostgreSQL database (sql = { driver = "PostgreSQL" } with
 * this database, host and port; NULL host or port: libpq's defaults). */
long pbe_running_prosody_pg(const char *db, const char *host, const char *port,
                            char **config);
/* pbe_running_prosody(b->where): the running op of the file backends. */
long pbe_running_at_where(struct pbe *b, char **config);

/* ---- records <-> stores (prosody_map.c) --------------------------------- */

/* Reads one account's stores as records of `kinds` into `sink`. */
struct store_sink;
xporta_status pmap_read(struct pbe *b, const char *host, const char *user,
                        uint32_t kinds, const struct store_sink *sink);

/* One account being written: the key-value stores it touches are read
 * once, changed record by record, and set at commit. */
struct pmap_w;
xporta_status pmap_w_begin(struct pmap_w **out, struct pbe *b, const char *host,
                           const char *user);
/* Applies a record.  A record Prosody cannot keep gets XPORTA_EUNSUPPORTED
 * with `*why` set (the write is refused, the user's others go on). */
xporta_status pmap_w_record(struct pmap_w *w, const xporta_record *rec,
                            bool replace, const char **why);
/* Whether the account already holds `rec` in effect (a plaintext password
 * that its stored SCRAM credentials accept). */
bool pmap_w_holds(struct pmap_w *w, const xporta_record *rec);
xporta_status pmap_w_commit(struct pmap_w *w);
void pmap_w_free(struct pmap_w *w); /* without commit: rolled back */

/* Kinds Prosody 0.12 keeps. */
#define PMAP_WRITABLE                                                       \
    ((1u << XPORTA_KIND_CREDENTIALS) | (1u << XPORTA_KIND_ROSTER) |         \
     (1u << XPORTA_KIND_PENDING) | (1u << XPORTA_KIND_VCARD) |              \
     (1u << XPORTA_KIND_PRIVATE) | (1u << XPORTA_KIND_PRIVACY) |            \
     (1u << XPORTA_KIND_BLOCKLIST) | (1u << XPORTA_KIND_OFFLINE) |          \
     (1u << XPORTA_KIND_PEP_NODE) | (1u << XPORTA_KIND_PEP_AFFILIATIONS) |  \
     (1u << XPORTA_KIND_PEP_SUBSCRIPTIONS) | (1u << XPORTA_KIND_PEP_ITEM) | \
     (1u << XPORTA_KIND_ARCHIVE) | (1u << XPORTA_KIND_MAM_PREFS))

/* Times as Prosody writes them ("2024-01-02T03:04:05Z") and reads them
 * (XEP-0082, fractions and offsets allowed); false when malformed. */
bool pmap_parse_time(const char *s, double *out);
char *pmap_format_time(struct xp_arena *a, double t);

#endif
