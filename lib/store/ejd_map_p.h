/*
 * ejabberd's SQL tables as xporta's records: what the read side
 * (ejd_map.c), the write side (ejd_map_write.c) and the store driver
 * (store_ejabberd.c) share.
 *
 * Every mapping follows ejabberd 23.01's modules (mod_roster_sql,
 * ejabberd_auth_sql, mod_vcard_sql, mod_private_sql, mod_privacy_sql and
 * mod_blocking, mod_offline_sql, mod_mam_sql, node_flat_sql and
 * nodetree_tree_sql for PEP), read in their sources and checked against
 * the tables of a real ejabberd filled by clients (tests/data/ejabberd-sql).
 *
 * Two schemas: the default one has no column for the domain, so one
 * database holds one domain (the admin names it: --host); with
 * new_sql_schema every per-user table has server_host.  The statements are
 * written once with {H} (" AND server_host = $N"), {HC} (", server_host")
 * and {HV} (", $N") where the schema differs, N being the statement's
 * parameter after its own; the pubsub tables have no server_host in
 * either (a PEP node's host column is the owner's bare JID).
 */
#ifndef XPORTA_STORE_EJD_MAP_P_H
#define XPORTA_STORE_EJD_MAP_P_H

#include "ejd_sql.h"
#include "store.h"

enum {
    /* reading */
    EQ_USERS,
    EQ_PASSWORD,
    EQ_GROUPS,
    EQ_ROSTER,
    EQ_VCARD,
    EQ_PRIVATE,
    EQ_PRIV_DEFAULT,
    EQ_PRIV_LISTS,
    EQ_OFFLINE,
    EQ_ARCHIVE,
    EQ_PREFS,
    EQ_PEP_NODES,
    EQ_NODE_OPTS,
    EQ_NODE_STATES,
    EQ_NODE_ITEMS,
    /* writing */
    EQ_DEL_PASSWORD,
    EQ_ADD_PASSWORD,
    EQ_DEL_CONTACT,
    EQ_DEL_CONTACT_GROUPS,
    EQ_ADD_CONTACT, /* bulk appends: numbers without a statement */
    EQ_ADD_GROUP,
    EQ_DEL_VCARD,
    EQ_ADD_VCARD,
    EQ_DEL_VCARD_SEARCH,
    EQ_ADD_VCARD_SEARCH,
    EQ_DEL_PRIVATE,
    EQ_ADD_PRIVATE,
    EQ_LIST_ID,
    EQ_ADD_LIST,
    EQ_DEL_LIST_DATA,
    EQ_ADD_LIST_ITEM,
    EQ_DEL_DEFAULT,
    EQ_ADD_DEFAULT,
    EQ_ADD_OFFLINE,
    EQ_ARCHIVE_HAS,
    EQ_ARCHIVE_FIND,
    EQ_ARCHIVE_LAST,
    EQ_ADD_ARCHIVE,
    EQ_DEL_ARCHIVE,
    EQ_DEL_PREFS,
    EQ_ADD_PREFS,
    EQ_NODE_ID,
    EQ_ADD_NODE,
    EQ_DEL_NODE_OPTS,
    EQ_ADD_NODE_OPT,
    EQ_STATE_GET,
    EQ_STATE_SET_AFF,
    EQ_STATE_SET_SUBS,
    EQ_ADD_NODE_STATE,
    EQ_DEL_ITEM,
    EQ_ADD_ITEM,
    EQ_COUNT
};

/* The store: a database of ejabberd's, in one schema. */
struct ejd {
    struct esql *db;
    struct xp_run *run;
    bool new_schema;
    char *host;      /* default schema: the domain (--host); new: a filter */
    bool host_first; /* default schema: host is the first account's */
    const char *sql[EQ_COUNT];
    int nparams[EQ_COUNT]; /* with server_host's */
    struct xp_arena qa;    /* the statements' texts */
};

/* Opens the store: the schema found (users.server_host), the statements
 * composed.  A database without ejabberd's tables is an error naming the
 * schema files. */
xporta_status ejd_open(struct ejd *e, struct esql *db, const char *host,
                       struct xp_run *run);
void ejd_close(struct ejd *e);

/* Runs statement `q` with its own parameters `vals` (`n` of them); the
 * account's domain is added where the schema has it. */
xporta_status ejd_q(struct ejd *e, int q, const char *host, int n,
                    const char *const *vals, esql_row_fn fn, void *ud);

/* Every account ("user@host", sorted). */
xporta_status ejd_users(struct ejd *e, struct xp_strv *out);

/* Reads one account's records of `kinds` into `sink`. */
xporta_status ejd_read(struct ejd *e, const char *host, const char *user,
                       uint32_t kinds, const struct store_sink *sink);

/* One account being written: records applied as they come (archive rows,
 * offline messages, PEP items go to the database at once; the roster, the
 * blocklist and credentials are settled at commit). */
struct ejd_w;
xporta_status ejd_w_begin(struct ejd_w **out, struct ejd *e, const char *host,
                          const char *user);
/* XPORTA_EUNSUPPORTED with `*why`: refused, the account's others go on. */
xporta_status ejd_w_record(struct ejd_w *w, const xporta_record *rec,
                           bool replace, const char **why);
bool ejd_w_holds(struct ejd_w *w, const xporta_record *rec);
xporta_status ejd_w_commit(struct ejd_w *w);
void ejd_w_free(struct ejd_w *w); /* without commit: undone */

/* Kinds ejabberd 23.01 keeps in SQL. */
#define EJD_WRITABLE                                                        \
    ((1u << XPORTA_KIND_CREDENTIALS) | (1u << XPORTA_KIND_ROSTER) |         \
     (1u << XPORTA_KIND_PENDING) | (1u << XPORTA_KIND_VCARD) |              \
     (1u << XPORTA_KIND_PRIVATE) | (1u << XPORTA_KIND_PRIVACY) |            \
     (1u << XPORTA_KIND_BLOCKLIST) | (1u << XPORTA_KIND_OFFLINE) |          \
     (1u << XPORTA_KIND_PEP_NODE) | (1u << XPORTA_KIND_PEP_AFFILIATIONS) |  \
     (1u << XPORTA_KIND_PEP_SUBSCRIPTIONS) | (1u << XPORTA_KIND_PEP_ITEM) | \
     (1u << XPORTA_KIND_ARCHIVE) | (1u << XPORTA_KIND_MAM_PREFS))

/* ---- rooms (ejd_room_sql.c): the MUC services' rooms ------------------- */

/* Kinds a room keeps in ejabberd's SQL storage. */
#define EJD_ROOM_WRITABLE                                                     \
    ((1u << XPORTA_KIND_ROOM_CONFIG) | (1u << XPORTA_KIND_ROOM_AFFILIATION) | \
     (1u << XPORTA_KIND_ROOM_SUBJECT) | (1u << XPORTA_KIND_VCARD) |           \
     (1u << XPORTA_KIND_ARCHIVE))

/* Every room of muc_room ("name@service", by service, then name; the new
 * schema's rooms of --host's domain only when it is given). */
xporta_status ejd_rooms(struct ejd *e, struct xp_strv *out);
/* One room's records of `kinds` into `sink` (sink->account with the room's
 * JID first): its opts, then its archive. */
xporta_status ejd_room_read(struct ejd *e, const char *service,
                            const char *name, uint32_t kinds,
                            const struct store_sink *sink);
/* One room being written (one savepoint, as an account): its opts
 * gathered and written at commit, archive rows at once. */
struct ejd_rw;
xporta_status ejd_rw_begin(struct ejd_rw **out, struct ejd *e,
                           const char *service, const char *name);
/* XPORTA_EUNSUPPORTED with `*why`: refused, the room's others go on. */
xporta_status ejd_rw_record(struct ejd_rw *w, const xporta_record *rec,
                            bool replace, const char **why);
bool ejd_rw_holds(struct ejd_rw *w, const xporta_record *rec);
xporta_status ejd_rw_commit(struct ejd_rw *w);
void ejd_rw_free(struct ejd_rw *w); /* without commit: undone */

/* ---- shared by both sides (ejd_map.c) ----------------------------------- */

/* A node option and its form field. */
enum ejd_opt_type { EO_ATOM, EO_BOOL, EO_INT, EO_BIN, EO_BINS };
struct ejd_opt {
    const char *name, *var;
    enum ejd_opt_type type;
};
extern const struct ejd_opt ejd_node_opts[]; /* NULL-terminated */

/* Microseconds since the epoch as XEP-0082 ("...T...Z", with the
 * microseconds when not zero), and back. */
char *ejd_format_usec(struct xp_arena *a, long long usec);
bool ejd_parse_usec(const char *stamp, long long *usec);

/* ---- archived messages (users' and rooms' rows of `archive`) ------------ */

/* An ARCHIVE payload: <result id=ID><forwarded><delay stamp=USEC/> and the
 * message `msg` (appended, not copied); NULL when out of memory. */
xp_elem *ejd_archive_result(struct xp_arena *a, const char *id, long long usec,
                            xp_elem *msg);
/* The message of an ARCHIVE payload and its time (the delay's stamp, in
 * microseconds); NULL when either is missing. */
const xp_elem *ejd_archive_unwrap(const xp_elem *payload, long long *usec);
/* Whether an archive id is ejabberd's own (a timestamp in microseconds:
 * 13 to 19 digits), which a writer keeps as the row's timestamp. */
bool ejd_archive_own_id(const char *id);

#endif
