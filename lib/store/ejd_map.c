/*
 * ejabberd's SQL tables as xporta's records (ejd_map_p.h): the statements
 * of both schemas, the read side, and what both sides share.
 *
 * What is read, per account (the encodings are ejabberd 23.01's):
 *  - users: a plaintext password (serverkey, salt empty, iterationcount
 *    0), or SCRAM: password is the StoredKey in base64, "sha256:" or
 *    "sha512:" before it for those hashes, serverkey, salt base64;
 *  - rosterusers + rostergroups: subscription B/T/F/N, ask
 *    S/U/B/O/I/N (O out, I in, B both; S and U are older values for out);
 *    a row with subscription N and ask I is only a pending request (the
 *    roster hides it), askmessage its status;
 *  - vcard, private_storage (namespace, data): XML text;
 *  - privacy_list, privacy_list_data (t n/j/g/s, action a/d, ord, the
 *    match_* booleans), privacy_default_list; the blocklist is the deny
 *    items on JIDs of the default list, which mod_blocking creates as
 *    "Blocked contacts": that list, when it holds nothing else, becomes
 *    blocklist records (as xporta reads ejabberd's XEP-0227 files);
 *  - spool: the message with the <delay/> mod_offline added, by seq;
 *  - archive: timestamp (microseconds, the MAM id clients see), xml;
 *  - archive_prefs: def, always and never as Erlang terms (ejd_term.h);
 *  - pubsub_node (host = the owner's bare JID, plugin pep),
 *    pubsub_node_option (Erlang terms), pubsub_state (affiliation
 *    o/p/u/m/c/n, subscriptions "s:SUBID,..."), pubsub_item (creation
 *    "MMMMMM:SSSSSS:UUUUUU", payload: the item's children as XML text).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../pie/pie.h"
#include "../xmpp/xmpp_kinds.h"
#include "ejd_map_p.h"
#include "ejd_term.h"

/* ---- statements --------------------------------------------------------- */

struct qdef {
    const char *sql;
    int n; /* its own parameters */
};

static const struct qdef qdefs[EQ_COUNT] = {
    [EQ_USERS] = {"SELECT username{HS} FROM users{HW} ORDER BY {HO}username",
                  0},
    [EQ_PASSWORD] = {"SELECT password, serverkey, salt, iterationcount FROM "
                     "users WHERE username = $1{H}",
                     1},
    [EQ_GROUPS] = {"SELECT jid, grp FROM rostergroups WHERE username = $1{H} "
                   "ORDER BY jid, grp",
                   1},
    [EQ_ROSTER] = {"SELECT jid, nick, subscription, ask, askmessage FROM "
                   "rosterusers WHERE username = $1{H} ORDER BY jid",
                   1},
    [EQ_VCARD] = {"SELECT vcard FROM vcard WHERE username = $1{H}", 1},
    [EQ_PRIVATE] = {"SELECT namespace, data FROM private_storage WHERE "
                    "username = $1{H} ORDER BY namespace",
                    1},
    [EQ_PRIV_DEFAULT] = {"SELECT name FROM privacy_default_list WHERE "
                         "username = $1{H}",
                         1},
    [EQ_PRIV_LISTS] =
        {"SELECT l.name, d.t, d.value, d.action, d.ord, d.match_all, "
         "d.match_iq, d.match_message, d.match_presence_in, "
         "d.match_presence_out FROM privacy_list l LEFT JOIN "
         "privacy_list_data d ON d.id = l.id WHERE l.username = $1{H} "
         "ORDER BY l.name, d.ord",
         1},
    [EQ_OFFLINE] = {"SELECT xml, seq FROM spool WHERE username = $1{H} "
                    "ORDER BY seq",
                    1},
    [EQ_ARCHIVE] = {"SELECT timestamp, xml, peer FROM archive WHERE "
                    "username = $1{H} ORDER BY timestamp, id",
                    1},
    [EQ_PREFS] = {"SELECT def, always, never FROM archive_prefs WHERE "
                  "username = $1{H}",
                  1},
    [EQ_PEP_NODES] = {"SELECT node, nodeid FROM pubsub_node WHERE host = $1 "
                      "AND plugin = 'pep' ORDER BY node",
                      1},
    [EQ_NODE_OPTS] = {"SELECT name, val FROM pubsub_node_option WHERE "
                      "nodeid = $1",
                      1},
    [EQ_NODE_STATES] = {"SELECT jid, affiliation, subscriptions FROM "
                        "pubsub_state WHERE nodeid = $1 ORDER BY jid",
                        1},
    [EQ_NODE_ITEMS] = {"SELECT itemid, publisher, creation, payload FROM "
                       "pubsub_item WHERE nodeid = $1 ORDER BY creation, "
                       "itemid",
                       1},
    [EQ_DEL_PASSWORD] = {"DELETE FROM users WHERE username = $1{H}", 1},
    [EQ_ADD_PASSWORD] = {"INSERT INTO users (username, password, serverkey, "
                         "salt, iterationcount{HC}) VALUES ($1, $2, $3, $4, "
                         "$5{HV})",
                         5},
    [EQ_DEL_CONTACT] = {"DELETE FROM rosterusers WHERE username = $1 AND "
                        "jid = $2{H}",
                        2},
    [EQ_DEL_CONTACT_GROUPS] = {"DELETE FROM rostergroups WHERE username = "
                               "$1 AND jid = $2{H}",
                               2},
    [EQ_DEL_VCARD] = {"DELETE FROM vcard WHERE username = $1{H}", 1},
    [EQ_ADD_VCARD] = {"INSERT INTO vcard (username, vcard{HC}) VALUES ($1, "
                      "$2{HV})",
                      2},
    [EQ_DEL_VCARD_SEARCH] = {"DELETE FROM vcard_search WHERE lusername = "
                             "$1{H}",
                             1},
    [EQ_ADD_VCARD_SEARCH] =
        {"INSERT INTO vcard_search (username, lusername, fn, lfn, family, "
         "lfamily, given, lgiven, middle, lmiddle, nickname, lnickname, bday, "
         "lbday, ctry, lctry, locality, llocality, email, lemail, orgname, "
         "lorgname, orgunit, lorgunit{HC}) VALUES ($1, $2, $3, $4, $5, $6, "
         "$7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, "
         "$21, $22, $23, $24{HV})",
         24},
    [EQ_DEL_PRIVATE] = {"DELETE FROM private_storage WHERE username = $1 AND "
                        "namespace = $2{H}",
                        2},
    [EQ_ADD_PRIVATE] = {"INSERT INTO private_storage (username, namespace, "
                        "data{HC}) VALUES ($1, $2, $3{HV})",
                        3},
    [EQ_LIST_ID] = {"SELECT id FROM privacy_list WHERE username = $1 AND "
                    "name = $2{H}",
                    2},
    [EQ_ADD_LIST] = {"INSERT INTO privacy_list (username, name{HC}) VALUES "
                     "($1, $2{HV})",
                     2},
    [EQ_DEL_LIST_DATA] = {"DELETE FROM privacy_list_data WHERE id = $1", 1},
    [EQ_ADD_LIST_ITEM] = {"INSERT INTO privacy_list_data (id, t, value, "
                          "action, ord, match_all, match_iq, match_message, "
                          "match_presence_in, match_presence_out) VALUES ($1, "
                          "$2, $3, $4, $5, $6, $7, $8, $9, $10)",
                          10},
    [EQ_DEL_DEFAULT] = {"DELETE FROM privacy_default_list WHERE username = "
                        "$1{H}",
                        1},
    [EQ_ADD_DEFAULT] = {"INSERT INTO privacy_default_list (username, "
                        "name{HC}) VALUES ($1, $2{HV})",
                        2},
    [EQ_ADD_OFFLINE] = {"INSERT INTO spool (username, xml{HC}) VALUES ($1, "
                        "$2{HV})",
                        2},
    [EQ_ARCHIVE_HAS] = {"SELECT 1 FROM archive WHERE username = $1 AND "
                        "timestamp = $2{H}",
                        2},
    [EQ_ARCHIVE_FIND] = {"SELECT xml FROM archive WHERE username = $1 AND "
                         "timestamp >= $2 AND timestamp < $3{H}",
                         3},
    [EQ_ARCHIVE_LAST] = {"SELECT max(timestamp) FROM archive WHERE "
                         "username = $1{H}",
                         1},
    [EQ_DEL_ARCHIVE] = {"DELETE FROM archive WHERE username = $1 AND "
                        "timestamp = $2{H}",
                        2},
    [EQ_DEL_PREFS] = {"DELETE FROM archive_prefs WHERE username = $1{H}", 1},
    [EQ_ADD_PREFS] = {"INSERT INTO archive_prefs (username, def, always, "
                      "never{HC}) VALUES ($1, $2, $3, $4{HV})",
                      4},
    [EQ_NODE_ID] = {"SELECT nodeid FROM pubsub_node WHERE host = $1 AND "
                    "node = $2",
                    2},
    [EQ_ADD_NODE] = {"INSERT INTO pubsub_node (host, node, parent, plugin) "
                     "VALUES ($1, $2, '', 'pep')",
                     2},
    [EQ_DEL_NODE_OPTS] = {"DELETE FROM pubsub_node_option WHERE nodeid = $1",
                          1},
    [EQ_ADD_NODE_OPT] = {"INSERT INTO pubsub_node_option (nodeid, name, val) "
                         "VALUES ($1, $2, $3)",
                         3},
    [EQ_STATE_GET] = {"SELECT affiliation, subscriptions FROM pubsub_state "
                      "WHERE nodeid = $1 AND jid = $2",
                      2},
    [EQ_STATE_SET_AFF] = {"UPDATE pubsub_state SET affiliation = $3 WHERE "
                          "nodeid = $1 AND jid = $2",
                          3},
    [EQ_STATE_SET_SUBS] = {"UPDATE pubsub_state SET subscriptions = $3 WHERE "
                           "nodeid = $1 AND jid = $2",
                           3},
    [EQ_ADD_NODE_STATE] = {"INSERT INTO pubsub_state (nodeid, jid, "
                           "affiliation, subscriptions) VALUES ($1, $2, $3, "
                           "$4)",
                           4},
    [EQ_DEL_ITEM] = {"DELETE FROM pubsub_item WHERE nodeid = $1 AND itemid = "
                     "$2",
                     2},
    [EQ_ADD_ITEM] = {"INSERT INTO pubsub_item (nodeid, itemid, publisher, "
                     "creation, modification, payload) VALUES ($1, $2, $3, "
                     "$4, $4, $5)",
                     5},
};

/* The statement for this schema: {H}, {HC}, {HV}, and for the users'
 * list {HS}, {HW}, {HO}. */
static const char *compose(struct ejd *e, int q)
{
    const char *t = qdefs[q].sql;
    char h[64], hv[16];
    int k = qdefs[q].n + 1;
    snprintf(h, sizeof h, " AND server_host = $%d", k);
    snprintf(hv, sizeof hv, ", $%d", k);
    bool users_all = q == EQ_USERS && !e->host;
    struct {
        const char *tok, *with;
    } subs[] = {
        {"{H}", e->new_schema ? h : ""},
        {"{HC}", e->new_schema ? ", server_host" : ""},
        {"{HV}", e->new_schema ? hv : ""},
        {"{HS}", e->new_schema ? ", server_host" : ""},
        {"{HW}", e->new_schema && !users_all ? " WHERE server_host = $1" : ""},
        {"{HO}", e->new_schema ? "server_host, " : ""},
    };
    struct xp_buf b;
    xp_buf_init(&b, 8192);
    xporta_status st = XPORTA_OK;
    while (!st && *t) {
        size_t i;
        for (i = 0; i < sizeof subs / sizeof *subs; i++)
            if (strncmp(t, subs[i].tok, strlen(subs[i].tok)) == 0)
                break;
        if (i < sizeof subs / sizeof *subs) {
            st = xp_buf_adds(&b, subs[i].with);
            t += strlen(subs[i].tok);
        } else {
            st = xp_buf_addc(&b, *t++);
        }
    }
    const char *out =
        st ? NULL : xp_arena_strndup(&e->qa, b.data ? b.data : "", b.len);
    xp_buf_cleanup(&b);
    return out;
}

/* Every column the statements read or write must be there: a schema of
 * another version (or another server's tables) is named at open, with the
 * table and column, not half-way through an import.  "+" marks the
 * per-user tables that have server_host in new_sql_schema. */
static const char *const schema_cols[] = {
    "+users username password serverkey salt iterationcount",
    "+rosterusers username jid nick subscription ask askmessage server "
    "subscribe type",
    "+rostergroups username jid grp",
    "+vcard username vcard",
    "+vcard_search username lusername fn lfn family lfamily given lgiven "
    "middle lmiddle nickname lnickname bday lbday ctry lctry locality "
    "llocality email lemail orgname lorgname orgunit lorgunit",
    "+private_storage username namespace data",
    "+privacy_default_list username name",
    "+privacy_list username name id",
    "privacy_list_data id t value action ord match_all match_iq "
    "match_message match_presence_in match_presence_out",
    "+spool username xml seq",
    "+archive username timestamp peer bare_peer xml txt kind nick id",
    "+archive_prefs username def always never",
    "pubsub_node host node parent plugin nodeid",
    "pubsub_node_option nodeid name val",
    "pubsub_state nodeid jid affiliation subscriptions",
    "pubsub_item nodeid itemid publisher creation modification payload",
};

static xporta_status check_schema(struct ejd *e)
{
    struct esql *db = e->db;
    for (size_t i = 0; i < sizeof schema_cols / sizeof *schema_cols; i++) {
        const char *p = schema_cols[i];
        bool per_user = *p == '+';
        p += per_user;
        char table[32], c[32];
        size_t n = strcspn(p, " ");
        snprintf(table, sizeof table, "%.*s", (int)n, p);
        bool yes = false;
        xporta_status st = db->ops->has(db, table, NULL, &yes);
        if (st)
            return st;
        if (!yes)
            return xp_fail(&e->run->err, XPORTA_EFORMAT,
                           "%s: no table %s: not the schema of ejabberd "
                           "23.01 (/usr/share/ejabberd/sql/%s)",
                           db->where, table,
                           db->pg ? "pg.sql, pg.new.sql"
                                  : "lite.sql, lite.new.sql");
        for (p += n; *p || (per_user && e->new_schema);) {
            p += strspn(p, " ");
            n = strcspn(p, " ");
            if (n)
                snprintf(c, sizeof c, "%.*s", (int)n, p);
            else if (per_user && e->new_schema)
                snprintf(c, sizeof c, "server_host"), per_user = false;
            else
                break;
            p += n;
            if ((st = db->ops->has(db, table, c, &yes)))
                return st;
            if (!yes)
                return xp_fail(
                    &e->run->err, XPORTA_EFORMAT,
                    "%s: table %s has no column %s: not the schema of "
                    "ejabberd 23.01 (/usr/share/ejabberd/sql/%s%s)",
                    db->where, table, c, db->pg ? "pg" : "lite",
                    e->new_schema ? ".new.sql: new_sql_schema, as users "
                                    "has server_host"
                                  : ".sql: the default schema, as users "
                                    "has no server_host");
        }
    }
    return XPORTA_OK;
}

xporta_status ejd_open(struct ejd *e, struct esql *db, const char *host,
                       struct xp_run *run)
{
    e->db = db;
    e->run = run;
    xp_arena_init(&e->qa, 0);
    if (host && !(e->host = xp_strdup(host)))
        return xp_fail(&run->err, XPORTA_ENOMEM, "out of memory");
    bool users = false;
    xporta_status st =
        db->missing ? XPORTA_OK : db->ops->has(db, "users", NULL, &users);
    if (st)
        return st;
    if (!db->missing && !users)
        return xp_fail(
            &run->err, XPORTA_EFORMAT,
            "%s: no table \"users\": not ejabberd's database, or its tables "
            "were never created (ejabberd 23.01 does not create them: load "
            "/usr/share/ejabberd/sql/%s first)",
            db->where,
            db->pg ? "pg.sql or pg.new.sql"
                   : "lite.sql or "
                     "lite.new.sql");
    if (!db->missing &&
        (st = db->ops->has(db, "users", "server_host", &e->new_schema)))
        return st;
    if (!db->missing && (st = check_schema(e)))
        return st;
    for (int q = 0; q < EQ_COUNT; q++) {
        if (!qdefs[q].sql)
            continue; /* a bulk append's number (ejd_sql.h): no statement */
        if (!(e->sql[q] = compose(e, q)))
            return xp_fail(&run->err, XPORTA_ENOMEM, "out of memory");
        e->nparams[q] =
            qdefs[q].n + (e->new_schema && strstr(qdefs[q].sql, "{H"));
    }
    e->nparams[EQ_USERS] = e->new_schema && e->host ? 1 : 0;
    return XPORTA_OK;
}

void ejd_close(struct ejd *e)
{
    if (e->db)
        e->db->ops->close(e->db);
    e->db = NULL;
    free(e->host);
    e->host = NULL;
    xp_arena_cleanup(&e->qa);
}

xporta_status ejd_q(struct ejd *e, int q, const char *host, int n,
                    const char *const *vals, esql_row_fn fn, void *ud)
{
    const char *v[32];
    if (n > 30)
        return xp_fail(&e->run->err, XPORTA_EINVAL, "internal: %d values", n);
    memcpy(v, vals, (size_t)n * sizeof *v);
    int total = e->nparams[q];
    if (total > n)
        v[n] = host;
    return esql_query(e->db, q, e->sql[q], total, v, fn, ud);
}

/* ---- the accounts -------------------------------------------------------- */

struct users_rd {
    struct ejd *e;
    struct xp_strv *out;
};

static xporta_status on_user(void *ud, const struct esql_row *r)
{
    struct users_rd *u = ud;
    const char *user = r->v[0];
    const char *host = u->e->new_schema ? r->v[1] : u->e->host;
    if (!user || !host)
        return XPORTA_OK;
    char *jid = xp_strcat(user, "@");
    char *full = jid ? xp_strcat(jid, host) : NULL;
    free(jid);
    /* appended (the query's order; no duplicates to look for) */
    char **v = full ? realloc(u->out->v, (u->out->n + 1) * sizeof *v) : NULL;
    if (!v) {
        free(full);
        return xp_fail(&u->e->run->err, XPORTA_ENOMEM, "out of memory");
    }
    u->out->v = v;
    v[u->out->n++] = full;
    return XPORTA_OK;
}

xporta_status ejd_users(struct ejd *e, struct xp_strv *out)
{
    if (!e->new_schema && !e->host && !e->db->missing)
        return xp_fail(&e->run->err, XPORTA_EINVAL,
                       "%s: ejabberd's default SQL schema does not record the "
                       "domain of its users: name it with --host DOMAIN (the "
                       "host of ejabberd.yml whose sql_database this is)",
                       e->db->where);
    struct users_rd u = {e, out};
    const char *v[1] = {e->host};
    return esql_query(e->db, EQ_USERS, e->sql[EQ_USERS], e->nparams[EQ_USERS],
                      v, on_user, &u);
}

/* ---- times ----------------------------------------------------------------
 */

char *ejd_format_usec(struct xp_arena *a, long long usec)
{
    time_t s = (time_t)(usec / 1000000);
    long us = (long)(usec % 1000000);
    struct tm tm;
    char buf[48];
    if (usec < 0 || !gmtime_r(&s, &tm) ||
        !strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm))
        return NULL;
    size_t n = strlen(buf);
    snprintf(buf + n, sizeof buf - n, us ? ".%06ldZ" : "Z", us);
    return xp_arena_strdup(a, buf);
}

bool ejd_parse_usec(const char *s, long long *out)
{
    long long secs;
    long usecs;
    if (!xp_datetime_parse(s, &secs, &usecs) || secs < 0)
        return false;
    *out = secs * 1000000 + usecs;
    return true;
}

/* ---- archived messages -----------------------------------------------------
 */

xp_elem *ejd_archive_result(struct xp_arena *a, const char *id, long long usec,
                            xp_elem *msg)
{
    char *stamp = ejd_format_usec(a, usec);
    xp_elem *res = xp_elem_new(a, XP_NS_MAM, "result");
    xp_elem *fw =
        res ? xp_elem_add_child(a, res, XP_NS_FORWARD, "forwarded") : NULL;
    xp_elem *d = fw ? xp_elem_add_child(a, fw, XP_NS_DELAY, "delay") : NULL;
    if (!stamp || !d || !xp_elem_set_attr(a, res, "", "id", id) ||
        !xp_elem_set_attr(a, d, "", "stamp", stamp))
        return NULL;
    xp_elem_append(fw, msg);
    return res;
}

const xp_elem *ejd_archive_unwrap(const xp_elem *payload, long long *usec)
{
    const xp_elem *fw =
        payload ? xp_elem_child(payload, XP_NS_FORWARD, "forwarded") : NULL;
    const xp_elem *d = fw ? xp_elem_child(fw, XP_NS_DELAY, "delay") : NULL;
    const xp_elem *m = fw ? xp_elem_child(fw, XP_NS_CLIENT, "message") : NULL;
    if (!m || !d || !ejd_parse_usec(xp_elem_attr_ns(d, "", "stamp"), usec))
        return NULL;
    return m;
}

bool ejd_archive_own_id(const char *id)
{
    size_t n = 0;
    for (; id && id[n]; n++)
        if (id[n] < '0' || id[n] > '9')
            return false;
    return n >= 13 && n <= 19;
}

/* ---- node options ----------------------------------------------------------
 * nodetree_tree_sql keeps each option as its Erlang term; those xporta
 * carries, with their form fields (node_pep's defaults fill the rest). */
const struct ejd_opt ejd_node_opts[] = {
    {"title", "pubsub#title", EO_BIN},
    {"type", "pubsub#type", EO_BIN},
    {"max_items", "pubsub#max_items", EO_INT},
    {"persist_items", "pubsub#persist_items", EO_BOOL},
    {"access_model", "pubsub#access_model", EO_ATOM},
    {"publish_model", "pubsub#publish_model", EO_ATOM},
    {"send_last_published_item", "pubsub#send_last_published_item", EO_ATOM},
    {"deliver_notifications", "pubsub#deliver_notifications", EO_BOOL},
    {"deliver_payloads", "pubsub#deliver_payloads", EO_BOOL},
    {"notification_type", "pubsub#notification_type", EO_ATOM},
    {"notify_config", "pubsub#notify_config", EO_BOOL},
    {"notify_delete", "pubsub#notify_delete", EO_BOOL},
    {"notify_retract", "pubsub#notify_retract", EO_BOOL},
    {"presence_based_delivery", "pubsub#presence_based_delivery", EO_BOOL},
    {"purge_offline", "pubsub#purge_offline", EO_BOOL},
    {"itemreply", "pubsub#itemreply", EO_ATOM},
    {"max_payload_size", "pubsub#max_payload_size", EO_INT},
    {"roster_groups_allowed", "pubsub#roster_groups_allowed", EO_BINS},
    {NULL, NULL, EO_ATOM},
};
