/*
 * Reading one account of ejabberd's SQL storage as records (ejd_map_p.h;
 * the encodings are listed in ejd_map.c).  Rows stream from the database
 * one at a time; what one record needs from several tables (a contact's
 * groups, a node's options and affiliations) is gathered first, small.
 * A row that ejabberd could not have written is an error naming its table
 * and row: the account is reported and the others go on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../pie/pie.h"
#include "ejd_map_p.h"
#include "ejd_term.h"

struct rd {
    struct ejd *e;
    const char *host, *user, *jid;
    uint32_t kinds;
    const struct store_sink *sink;
    struct xp_arena a;  /* what is gathered for the table being read */
    struct xp_arena ra; /* the record being built */
    const char *table;  /* for messages */
    unsigned long seq;  /* offline messages: 1, 2, ... */
    /* rostergroups: (jid, group) pairs in jid order */
    struct group {
        const char *jid, *grp;
    } * groups;
    size_t ngroups, capgroups;
    /* privacy lists as read: the list being built */
    xp_elem *list;
    const char *list_name, *def;
    bool list_is_blocklist;
    /* PEP */
    const char *node, *nodeid;
    xp_elem *form, *affs, *subs;
};

static bool wants(const struct rd *r, xporta_kind k)
{
    return r->kinds & (1u << k);
}

static xporta_status oom(struct rd *r)
{
    return xp_fail(&r->e->run->err, XPORTA_ENOMEM, "out of memory");
}

/* The column that names a row of each table an account has many rows in
 * (numbers unquoted); the others hold one row per account. */
static const struct {
    const char *table, *name;
    int col;
    bool number;
} row_keys[] = {
    {"rostergroups", "jid", 0, false},
    {"rosterusers", "jid", 0, false},
    {"private_storage", "namespace", 0, false},
    {"privacy_list", "name", 0, false},
    {"spool", "seq", 1, true},
    {"archive", "timestamp", 0, true},
    {"pubsub_node", "node", 0, false},
    {"pubsub_node_option", "name", 0, false},
    {"pubsub_state", "jid", 0, false},
    {"pubsub_item", "itemid", 0, false},
};

/* A row ejabberd could not have written: its table, the row by its key
 * (a node's rows also by nodeid), the account (and node). */
static xporta_status bad(struct rd *r, const struct esql_row *row,
                         const char *what)
{
    char key[200] = "";
    bool node = r->node && strncmp(r->table, "pubsub_", 7) == 0 &&
                strcmp(r->table, "pubsub_node") != 0;
    size_t k = 0;
    if (node)
        k = (size_t)snprintf(key, sizeof key, ", nodeid %s", r->nodeid);
    for (size_t i = 0; row && i < sizeof row_keys / sizeof *row_keys; i++) {
        const char *v =
            row_keys[i].col < row->n ? row->v[row_keys[i].col] : NULL;
        if (strcmp(row_keys[i].table, r->table) == 0 && v && k < sizeof key)
            snprintf(key + k, sizeof key - k,
                     row_keys[i].number ? ", %s %.80s" : ", %s '%.80s'",
                     row_keys[i].name, v);
    }
    return xp_fail(&r->e->run->err, XPORTA_EFORMAT,
                   "%s: table %s%s (%s%s%s): %s", r->e->db->where, r->table,
                   key, r->jid, node ? ", node " : "", node ? r->node : "",
                   what);
}

static xporta_status emit(struct rd *r, xporta_kind kind, xp_elem *payload,
                          const char *key)
{
    xporta_record rec;
    memset(&rec, 0, sizeof rec);
    rec.kind = kind;
    rec.payload = payload;
    rec.key = key;
    rec.file = r->e->db->where;
    if (!key || kind == XPORTA_KIND_PEP_ITEM)
        xp_record_derive_key(&r->ra, &rec);
    if (kind == XPORTA_KIND_PEP_ITEM)
        rec.key = key;
    if (!rec.key || !*rec.key)
        return xp_fail(&r->e->run->err, XPORTA_EFORMAT,
                       "%s: table %s: a %s of %s without a key",
                       r->e->db->where, r->table, xp_kind_info(kind)->name,
                       r->jid);
    xporta_status st = r->sink->record(r->sink->ud, &rec);
    xp_arena_reset(&r->ra);
    return st;
}

static const char *col(const struct esql_row *row, int i)
{
    return i < row->n ? row->v[i] : NULL;
}

/* XML text of a column as an element (`ns` for one without xmlns). */
static xporta_status parse(struct rd *r, const struct esql_row *row, int i,
                           const char *ns, xp_elem **out)
{
    const char *xml = col(row, i);
    if (!xml)
        return bad(r, row, "no XML");
    const char *p = xml;
    while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
        p++;
    if (*p != '<')
        return bad(r, row,
                   "not XML text (a compressed archive row, mod_mam's "
                   "compress_xml: true? xporta cannot read those)");
    const char *why;
    unsigned long line, c;
    xporta_status st =
        pie_parse_element(&r->ra, xml, row->len[i], ns, out, &why, &line, &c);
    if (st == XPORTA_ENOMEM)
        return oom(r);
    if (st) {
        char msg[300];
        snprintf(msg, sizeof msg, "its XML does not parse (%s, at %lu:%lu)",
                 why ? why : "?", line, c);
        return bad(r, row, msg);
    }
    return XPORTA_OK;
}

static xporta_status q(struct rd *r, int qid, const char *table, int n,
                       const char *const *vals, esql_row_fn fn)
{
    r->table = table;
    return ejd_q(r->e, qid, r->host, n, vals, fn, r);
}

static xporta_status q_user(struct rd *r, int qid, const char *table,
                            esql_row_fn fn)
{
    const char *v[1] = {r->user};
    return q(r, qid, table, 1, v, fn);
}

/* ---- users ----------------------------------------------------------------
 */

static const char *scram_mech(size_t key_len)
{
    return key_len == 20   ? "SCRAM-SHA-1"
           : key_len == 32 ? "SCRAM-SHA-256"
           : key_len == 64 ? "SCRAM-SHA-512"
                           : NULL;
}

static xporta_status on_password(void *ud, const struct esql_row *row)
{
    struct rd *r = ud;
    const char *pw = col(row, 0), *sk = col(row, 1), *salt = col(row, 2),
               *ic = col(row, 3);
    if (!pw)
        return bad(r, row, "no password");
    if ((!sk || !*sk) && (!salt || !*salt)) {
        xp_elem *e = xp_elem_new(&r->ra, XP_NS_PIE, "password");
        if (!e || !xp_elem_add_text(&r->ra, e, pw, strlen(pw)))
            return oom(r);
        return emit(r, XPORTA_KIND_CREDENTIALS, e, NULL);
    }
    const char *stored = pw, *want = NULL;
    if (strncmp(pw, "sha256:", 7) == 0)
        stored = pw + 7, want = "SCRAM-SHA-256";
    else if (strncmp(pw, "sha512:", 7) == 0)
        stored = pw + 7, want = "SCRAM-SHA-512";
    const char *colon = strchr(stored, ':');
    char msg[300];
    if (colon) { /* never the keys themselves in a message */
        snprintf(msg, sizeof msg,
                 "SCRAM credentials whose password starts with '%.*s:', a "
                 "hash ejabberd 23.01 does not write (sha256:, sha512:, or "
                 "nothing for SHA-1)",
                 (int)(colon - stored < 16 ? colon - stored : 16), stored);
        return bad(r, row, msg);
    }
    unsigned char raw[128];
    size_t n = 0, n2 = 0;
    if (strlen(stored) > 96 || !xp_b64_decode(stored, strlen(stored), raw, &n))
        return bad(r, row,
                   "SCRAM credentials whose StoredKey (password) is not "
                   "the base64 of a hash");
    if (!sk || strlen(sk) > 96 || !xp_b64_decode(sk, strlen(sk), raw, &n2))
        return bad(r, row,
                   "SCRAM credentials whose ServerKey (serverkey) is not "
                   "the base64 of a hash");
    if (n != n2 || !scram_mech(n) ||
        (want && strcmp(want, scram_mech(n)) != 0)) {
        snprintf(msg, sizeof msg,
                 "SCRAM credentials with a StoredKey of %zu bytes and a "
                 "ServerKey of %zu, where %s takes %d each",
                 n, n2,
                 !want ? "SHA-1 (a password without prefix)"
                 : strcmp(want, "SCRAM-SHA-256") == 0 ? "SHA-256 (sha256:)"
                                                      : "SHA-512 (sha512:)",
                 !want                                ? 20
                 : strcmp(want, "SCRAM-SHA-256") == 0 ? 32
                                                      : 64);
        return bad(r, row, msg);
    }
    char *end = NULL;
    long long iter = ic ? strtoll(ic, &end, 10) : 0;
    if (!ic || end == ic || *end || iter < 1 || !salt || !*salt)
        return bad(r, row,
                   "SCRAM credentials without a salt or iteration "
                   "count");
    xp_elem *e = xp_elem_new(&r->ra, XP_NS_PIE_SCRAM, "scram-credentials");
    if (!e || !xp_elem_set_attr(&r->ra, e, "", "mechanism", scram_mech(n)) ||
        !xp_elem_add_text_child(&r->ra, e, XP_NS_PIE_SCRAM, "iter-count", ic) ||
        !xp_elem_add_text_child(&r->ra, e, XP_NS_PIE_SCRAM, "salt", salt) ||
        !xp_elem_add_text_child(&r->ra, e, XP_NS_PIE_SCRAM, "server-key", sk) ||
        !xp_elem_add_text_child(&r->ra, e, XP_NS_PIE_SCRAM, "stored-key",
                                stored))
        return oom(r);
    return emit(r, XPORTA_KIND_CREDENTIALS, e, NULL);
}

/* ---- roster ----------------------------------------------------------------
 */

static xporta_status on_group(void *ud, const struct esql_row *row)
{
    struct rd *r = ud;
    if (!col(row, 0) || !col(row, 1))
        return bad(r, row, "a group without a contact or a name");
    if (r->ngroups == r->capgroups) {
        size_t cap = r->capgroups ? 2 * r->capgroups : 32;
        struct group *g = xp_arena_alloc(&r->a, cap * sizeof *g);
        if (!g)
            return oom(r);
        if (r->ngroups)
            memcpy(g, r->groups, r->ngroups * sizeof *g);
        r->groups = g;
        r->capgroups = cap;
    }
    struct group *g = &r->groups[r->ngroups];
    if (!(g->jid = xp_arena_strdup(&r->a, col(row, 0))) ||
        !(g->grp = xp_arena_strdup(&r->a, col(row, 1))))
        return oom(r);
    r->ngroups++;
    return XPORTA_OK;
}

static xporta_status on_contact(void *ud, const struct esql_row *row)
{
    struct rd *r = ud;
    const char *jid = col(row, 0), *nick = col(row, 1), *sub = col(row, 2),
               *ask = col(row, 3), *msg = col(row, 4);
    const char *why;
    if (!jid || !xporta_jid_is_valid(jid, &why)) {
        char m[200];
        snprintf(m, sizeof m, "a contact whose JID does not parse (%s)",
                 jid ? why : "none");
        return bad(r, row, m);
    }
    const char *s = !sub || !*sub ? "none"
                    : *sub == 'B' ? "both"
                    : *sub == 'T' ? "to"
                    : *sub == 'F' ? "from"
                    : *sub == 'N' ? "none"
                                  : NULL;
    char a = ask && *ask ? *ask : 'N';
    if (!s || (sub && strlen(sub) > 1) || (ask && strlen(ask) > 1) ||
        !strchr("SUBOIN", a))
        return bad(r, row, "subscription or ask not one ejabberd writes");
    bool out = a == 'O' || a == 'B' || a == 'S';
    bool in = a == 'I' || a == 'B';
    /* a pending request alone is not in the roster (mod_roster hides
     * subscription none + ask in) */
    if (wants(r, XPORTA_KIND_ROSTER) && !(strcmp(s, "none") == 0 && a == 'I')) {
        xp_elem *e = xp_elem_new(&r->ra, XP_NS_ROSTER, "item");
        if (!e || !xp_elem_set_attr(&r->ra, e, "", "jid", jid) ||
            !xp_elem_set_attr(&r->ra, e, "", "subscription", s) ||
            (nick && *nick && !xp_elem_set_attr(&r->ra, e, "", "name", nick)) ||
            (out && !xp_elem_set_attr(&r->ra, e, "", "ask", "subscribe")))
            return oom(r);
        for (size_t i = 0; i < r->ngroups; i++)
            if (strcmp(r->groups[i].jid, jid) == 0 &&
                !xp_elem_add_text_child(&r->ra, e, XP_NS_ROSTER, "group",
                                        r->groups[i].grp))
                return oom(r);
        xporta_status st = emit(r, XPORTA_KIND_ROSTER, e, NULL);
        if (st)
            return st;
    }
    if (in && wants(r, XPORTA_KIND_PENDING)) {
        xp_elem *p = xp_elem_new(&r->ra, XP_NS_CLIENT, "presence");
        if (!p || !xp_elem_set_attr(&r->ra, p, "", "from", jid) ||
            !xp_elem_set_attr(&r->ra, p, "", "type", "subscribe") ||
            (msg && *msg &&
             !xp_elem_add_text_child(&r->ra, p, XP_NS_CLIENT, "status", msg)))
            return oom(r);
        return emit(r, XPORTA_KIND_PENDING, p, NULL);
    }
    return XPORTA_OK;
}

/* ---- vCard, private XML ----------------------------------------------------
 */

static xporta_status on_vcard(void *ud, const struct esql_row *row)
{
    struct rd *r = ud;
    xp_elem *e;
    xporta_status st = parse(r, row, 0, XP_NS_VCARD, &e);
    return st ? st : emit(r, XPORTA_KIND_VCARD, e, NULL);
}

static xporta_status on_private(void *ud, const struct esql_row *row)
{
    struct rd *r = ud;
    xp_elem *e;
    xporta_status st = parse(r, row, 1, "", &e);
    if (st)
        return st;
    const char *ns = e->ns ? e->ns : "";
    if (!col(row, 0) || strcmp(ns, col(row, 0)) != 0)
        return bad(r, row, "the element's namespace is not the row's");
    return emit(r, XPORTA_KIND_PRIVATE, e, NULL);
}

/* ---- privacy lists and the blocklist --------------------------------------
 */

static xporta_status on_default(void *ud, const struct esql_row *row)
{
    struct rd *r = ud;
    if (col(row, 0) && !(r->def = xp_arena_strdup(&r->a, col(row, 0))))
        return oom(r);
    return XPORTA_OK;
}

/* The list read so far is done: a privacy record, or blocklist records
 * when it is mod_blocking's list and the default one. */
static xporta_status end_list(struct rd *r)
{
    if (!r->list)
        return XPORTA_OK;
    xp_elem *list = r->list;
    r->list = NULL;
    bool blocks = r->list_is_blocklist && r->def &&
                  strcmp(r->list_name, XP_EJABBERD_BLOCKLIST) == 0 &&
                  strcmp(r->def, XP_EJABBERD_BLOCKLIST) == 0;
    if (!blocks)
        return wants(r, XPORTA_KIND_PRIVACY)
                   ? emit(r, XPORTA_KIND_PRIVACY, list, NULL)
                   : XPORTA_OK;
    r->def = NULL; /* the blocklist is no default list elsewhere */
    for (xp_elem *it = xp_elem_first_element(list); it;
         it = xp_elem_next_element(it)) {
        if (!wants(r, XPORTA_KIND_BLOCKLIST))
            break;
        xp_elem *b = xp_elem_new(&r->ra, XP_NS_BLOCKING, "item");
        if (!b || !xp_elem_set_attr(&r->ra, b, "", "jid",
                                    xp_elem_attr_ns(it, "", "value")))
            return oom(r);
        xporta_status st = emit(r, XPORTA_KIND_BLOCKLIST, b, NULL);
        if (st)
            return st;
    }
    return XPORTA_OK;
}

static bool truth(const char *s)
{
    return s && (strcmp(s, "t") == 0 || strcmp(s, "true") == 0 ||
                 strcmp(s, "1") == 0);
}

static xporta_status on_list_row(void *ud, const struct esql_row *row)
{
    struct rd *r = ud;
    const char *name = col(row, 0);
    if (!name)
        return bad(r, row, "a list without a name");
    xporta_status st;
    if (!r->list || strcmp(name, r->list_name) != 0) {
        /* the list before is complete; the record of a list is built in
         * `a`, so it outlives the records emitted meanwhile */
        if ((st = end_list(r)))
            return st;
        r->list = xp_elem_new(&r->a, XP_NS_PRIVACY, "list");
        if (!r->list || !(r->list_name = xp_arena_strdup(&r->a, name)) ||
            !xp_elem_set_attr(&r->a, r->list, "", "name", name))
            return oom(r);
        r->list_is_blocklist = true;
    }
    const char *t = col(row, 1), *value = col(row, 2), *action = col(row, 3),
               *ord = col(row, 4);
    if (!t)
        return XPORTA_OK; /* an empty list (LEFT JOIN) */
    const char *type = *t == 'n'   ? NULL
                       : *t == 'j' ? "jid"
                       : *t == 'g' ? "group"
                       : *t == 's' ? "subscription"
                                   : "?";
    if ((type && strcmp(type, "?") == 0) || !action ||
        (*action != 'a' && *action != 'd') || !ord)
        return bad(r, row, "a privacy item ejabberd does not write");
    const char *why;
    if (type && strcmp(type, "jid") == 0 &&
        (!value || !xporta_jid_is_valid(value, &why)))
        return bad(r, row, "a privacy item on a JID that does not parse");
    xp_elem *it = xp_elem_add_child(&r->a, r->list, XP_NS_PRIVACY, "item");
    char o[32];
    snprintf(o, sizeof o, "%lld", strtoll(ord, NULL, 10));
    if (!it || (type && !xp_elem_set_attr(&r->a, it, "", "type", type)) ||
        (type &&
         !xp_elem_set_attr(&r->a, it, "", "value", value ? value : "")) ||
        !xp_elem_set_attr(&r->a, it, "", "action",
                          *action == 'a' ? "allow" : "deny") ||
        !xp_elem_set_attr(&r->a, it, "", "order", o))
        return oom(r);
    static const char *const what[] = {"iq", "message", "presence-in",
                                       "presence-out"};
    bool all = truth(col(row, 5)), any = false;
    for (int i = 0; !all && i < 4; i++)
        if (truth(col(row, 6 + i))) {
            any = true;
            if (!xp_elem_add_child(&r->a, it, XP_NS_PRIVACY, what[i]))
                return oom(r);
        }
    if (!all && !any)
        all = true; /* nothing matched is how older rows say all */
    if (!type || strcmp(type, "jid") != 0 || *action != 'd' || !all)
        r->list_is_blocklist = false;
    return XPORTA_OK;
}

static xporta_status read_privacy(struct rd *r)
{
    xporta_status st =
        q_user(r, EQ_PRIV_DEFAULT, "privacy_default_list", on_default);
    if (!st)
        st = q_user(r, EQ_PRIV_LISTS, "privacy_list", on_list_row);
    if (!st)
        st = end_list(r);
    if (!st && r->def && wants(r, XPORTA_KIND_PRIVACY)) {
        xp_elem *e = xp_elem_new(&r->ra, XP_NS_PRIVACY, "default");
        if (!e || !xp_elem_set_attr(&r->ra, e, "", "name", r->def))
            return oom(r);
        st = emit(r, XPORTA_KIND_PRIVACY, e, NULL);
    }
    return st;
}

/* ---- offline messages, archive, preferences -------------------------------
 */

static xporta_status on_offline(void *ud, const struct esql_row *row)
{
    struct rd *r = ud;
    xp_elem *m;
    xporta_status st = parse(r, row, 0, XP_NS_CLIENT, &m);
    if (st)
        return st;
    char seq[32];
    snprintf(seq, sizeof seq, "%lu", ++r->seq);
    return emit(r, XPORTA_KIND_OFFLINE, m, seq);
}

static xporta_status on_archive(void *ud, const struct esql_row *row)
{
    struct rd *r = ud;
    const char *ts = col(row, 0);
    char *end = NULL;
    long long usec = ts ? strtoll(ts, &end, 10) : -1;
    if (!ts || end == ts || *end || usec < 0)
        return bad(r, row, "a timestamp that is not microseconds");
    xp_elem *m;
    xporta_status st = parse(r, row, 1, XP_NS_CLIENT, &m);
    if (st)
        return st;
    char *stamp = ejd_format_usec(&r->ra, usec);
    xp_elem *res = xp_elem_new(&r->ra, XP_NS_MAM, "result");
    xp_elem *fw =
        res ? xp_elem_add_child(&r->ra, res, XP_NS_FORWARD, "forwarded") : NULL;
    xp_elem *d =
        fw ? xp_elem_add_child(&r->ra, fw, XP_NS_DELAY, "delay") : NULL;
    if (!stamp || !d || !xp_elem_set_attr(&r->ra, res, "", "id", ts) ||
        !xp_elem_set_attr(&r->ra, d, "", "stamp", stamp))
        return oom(r);
    xp_elem_append(fw, m);
    return emit(r, XPORTA_KIND_ARCHIVE, res, ts);
}

/* archive_prefs.always/never: a list of {User, Server, Resource} binaries
 * (LJIDs), as misc:term_to_expr printed them. */
static xporta_status prefs_jids(struct rd *r, const struct esql_row *row, int i,
                                xp_elem *into)
{
    const char *text = col(row, i), *why;
    struct eterm t;
    if (!text || !et_parse(&r->a, text, row->len[i], &t, &why) ||
        t.t != ET_LIST)
        return bad(r, row, "always/never is not a list of JIDs");
    for (size_t k = 0; k < t.n; k++) {
        const struct eterm *j = &t.kids[k];
        if (j->t != ET_TUPLE || j->n != 3 || j->kids[0].t != ET_BIN ||
            j->kids[1].t != ET_BIN || j->kids[2].t != ET_BIN)
            return bad(r, row, "always/never holds what is not a JID");
        char *jid = xp_arena_printf(&r->ra, "%s%s%s%s%s", j->kids[0].s,
                                    *j->kids[0].s ? "@" : "", j->kids[1].s,
                                    *j->kids[2].s ? "/" : "", j->kids[2].s);
        if (!jid ||
            !xp_elem_add_text_child(&r->ra, into, XP_NS_MAM, "jid", jid))
            return oom(r);
    }
    return XPORTA_OK;
}

static xporta_status on_prefs(void *ud, const struct esql_row *row)
{
    struct rd *r = ud;
    const char *def = col(row, 0);
    if (!def || (strcmp(def, "always") && strcmp(def, "never") &&
                 strcmp(def, "roster")))
        return bad(r, row, "a default that is not always, never or roster");
    xp_elem *e = xp_elem_new(&r->ra, XP_NS_MAM, "prefs");
    xp_elem *always =
        e ? xp_elem_add_child(&r->ra, e, XP_NS_MAM, "always") : NULL;
    xp_elem *never =
        always ? xp_elem_add_child(&r->ra, e, XP_NS_MAM, "never") : NULL;
    if (!never || !xp_elem_set_attr(&r->ra, e, "", "default", def))
        return oom(r);
    xporta_status st = prefs_jids(r, row, 1, always);
    if (!st)
        st = prefs_jids(r, row, 2, never);
    return st ? st : emit(r, XPORTA_KIND_MAM_PREFS, e, NULL);
}

/* ---- PEP ---------------------------------------------------------------- */

struct pnode {
    const char *node, *id;
};

struct nodes {
    struct rd *r;
    struct pnode *v;
    size_t n, cap;
};

static xporta_status on_node(void *ud, const struct esql_row *row)
{
    struct nodes *ns = ud;
    struct rd *r = ns->r;
    if (!col(row, 0) || !col(row, 1))
        return bad(r, row, "a node without a name or id");
    if (ns->n == ns->cap) {
        size_t cap = ns->cap ? 2 * ns->cap : 16;
        struct pnode *v = xp_arena_alloc(&r->a, cap * sizeof *v);
        if (!v)
            return oom(r);
        if (ns->n)
            memcpy(v, ns->v, ns->n * sizeof *v);
        ns->v = v;
        ns->cap = cap;
    }
    struct pnode *p = &ns->v[ns->n];
    if (!(p->node = xp_arena_strdup(&r->a, col(row, 0))) ||
        !(p->id = xp_arena_strdup(&r->a, col(row, 1))))
        return oom(r);
    ns->n++;
    return XPORTA_OK;
}

static xporta_status add_field(struct rd *r, const char *var, const char *val)
{
    xp_elem *f = xp_elem_add_child(&r->a, r->form, XP_NS_DATA, "field");
    if (!f || !xp_elem_set_attr(&r->a, f, "", "var", var) ||
        (val && !xp_elem_add_text_child(&r->a, f, XP_NS_DATA, "value", val)))
        return oom(r);
    return XPORTA_OK;
}

static xporta_status on_option(void *ud, const struct esql_row *row)
{
    struct rd *r = ud;
    const char *name = col(row, 0), *val = col(row, 1), *why;
    const struct ejd_opt *o = ejd_node_opts;
    while (o->name && (!name || strcmp(o->name, name) != 0))
        o++;
    if (!o->name)
        return XPORTA_OK; /* node_pep's own, or one clients cannot set */
    struct eterm t;
    if (!val || !et_parse(&r->a, val, row->len[1], &t, &why)) {
        char m[200];
        snprintf(m, sizeof m, "val is not an Erlang term (%s): %.60s",
                 val ? why : "none", val ? val : "NULL");
        return bad(r, row, m);
    }
    char num[32];
    switch (o->type) {
    case EO_BOOL:
        if (!et_is_atom(&t, "true") && !et_is_atom(&t, "false"))
            return bad(r, row, "a boolean option that is not true or false");
        return add_field(r, o->var, et_is_atom(&t, "true") ? "1" : "0");
    case EO_INT:
        if (t.t == ET_ATOM && strcmp(t.s, "max") == 0)
            return add_field(r, o->var, "max");
        if (t.t != ET_INT)
            return bad(r, row, "a number option that is not a number");
        snprintf(num, sizeof num, "%lld", t.i);
        return add_field(r, o->var, num);
    case EO_ATOM:
        if (t.t != ET_ATOM)
            return bad(r, row, "an option that is not an atom");
        return add_field(r, o->var, t.s);
    case EO_BIN:
        if (t.t != ET_BIN)
            return bad(r, row, "a text option that is not a binary");
        return add_field(r, o->var, t.s);
    case EO_BINS: {
        if (t.t != ET_LIST)
            return bad(r, row, "a list option that is not a list");
        if (t.n == 0)
            return XPORTA_OK;
        xporta_status st = add_field(r, o->var, NULL);
        xp_elem *f = st ? NULL : r->form->last;
        for (size_t i = 0; !st && i < t.n; i++) {
            if (t.kids[i].t != ET_BIN)
                return bad(r, row, "a list option of what are not binaries");
            if (!xp_elem_add_text_child(&r->a, f, XP_NS_DATA, "value",
                                        t.kids[i].s))
                return oom(r);
        }
        return st;
    }
    }
    return XPORTA_OK;
}

static xporta_status on_state(void *ud, const struct esql_row *row)
{
    struct rd *r = ud;
    const char *jid = col(row, 0), *aff = col(row, 1), *subs = col(row, 2);
    if (!jid)
        return bad(r, row, "a node state without a JID");
    static const char codes[] = "opumcn";
    static const char *const names[] = {"owner",  "publisher", "publish-only",
                                        "member", "outcast",   "none"};
    const char *c = aff && *aff ? strchr(codes, *aff) : NULL;
    if (aff && *aff && !c)
        return bad(r, row, "an affiliation ejabberd does not write");
    if (c && *c != 'n') {
        xp_elem *a = xp_elem_add_child(&r->a, r->affs, XP_NS_PUBSUB_OWNER,
                                       "affiliation");
        if (!a || !xp_elem_set_attr(&r->a, a, "", "jid", jid) ||
            !xp_elem_set_attr(&r->a, a, "", "affiliation", names[c - codes]))
            return oom(r);
    }
    for (const char *s = subs; s && *s;) {
        const char *end = strchr(s, ',');
        size_t n = end ? (size_t)(end - s) : strlen(s);
        const char *sub = n && *s == 's'   ? "subscribed"
                          : n && *s == 'p' ? "pending"
                          : n && *s == 'u' ? "unconfigured"
                                           : NULL;
        const char *colon = memchr(s, ':', n);
        if (sub) {
            xp_elem *e = xp_elem_add_child(&r->a, r->subs, XP_NS_PUBSUB_OWNER,
                                           "subscription");
            char *subid = colon ? xp_arena_strndup(&r->a, colon + 1,
                                                   n - (size_t)(colon + 1 - s))
                                : NULL;
            if (!e || !xp_elem_set_attr(&r->a, e, "", "jid", jid) ||
                !xp_elem_set_attr(&r->a, e, "", "subscription", sub) ||
                (subid && *subid &&
                 !xp_elem_set_attr(&r->a, e, "", "subid", subid)))
                return oom(r);
        }
        s = end ? end + 1 : NULL;
    }
    return XPORTA_OK;
}

static xporta_status on_item(void *ud, const struct esql_row *row)
{
    struct rd *r = ud;
    const char *id = col(row, 0), *publisher = col(row, 1),
               *payload = col(row, 3);
    if (!id || !*id)
        return bad(r, row, "an item without an id");
    char *xml = xp_arena_printf(&r->ra, "<item xmlns='%s'>%s</item>",
                                XP_NS_PUBSUB, payload ? payload : "");
    if (!xml)
        return oom(r);
    const char *why;
    unsigned long line, c;
    xp_elem *item;
    xporta_status st = pie_parse_element(&r->ra, xml, strlen(xml), XP_NS_PUBSUB,
                                         &item, &why, &line, &c);
    if (st == XPORTA_ENOMEM)
        return oom(r);
    if (st) {
        char m[300];
        snprintf(m, sizeof m, "its payload does not parse as XML (%s)",
                 why ? why : "?");
        return bad(r, row, m);
    }
    if (!xp_elem_set_attr(&r->ra, item, "", "id", id))
        return oom(r);
    if (publisher && *publisher) {
        /* the publisher is kept when it is not the account itself */
        size_t ul = strlen(r->jid);
        if (!(strncmp(publisher, r->jid, ul) == 0 &&
              (publisher[ul] == '\0' || publisher[ul] == '/')) &&
            !xp_elem_set_attr(&r->ra, item, "", "publisher", publisher))
            return oom(r);
    }
    return emit(r, XPORTA_KIND_PEP_ITEM, item, r->node);
}

static xporta_status read_node(struct rd *r, const struct pnode *p)
{
    const char *v[1] = {p->id};
    r->node = p->node;
    r->nodeid = p->id;
    r->form = NULL;
    xp_elem *c = xp_elem_new(&r->a, XP_NS_PUBSUB_OWNER, "configure");
    xp_elem *x = c ? xp_elem_add_child(&r->a, c, XP_NS_DATA, "x") : NULL;
    r->affs = xp_elem_new(&r->a, XP_NS_PUBSUB_OWNER, "affiliations");
    r->subs = xp_elem_new(&r->a, XP_NS_PUBSUB_OWNER, "subscriptions");
    if (!x || !r->affs || !r->subs ||
        !xp_elem_set_attr(&r->a, c, "", "node", p->node) ||
        !xp_elem_set_attr(&r->a, x, "", "type", "submit") ||
        !xp_elem_set_attr(&r->a, r->affs, "", "node", p->node) ||
        !xp_elem_set_attr(&r->a, r->subs, "", "node", p->node))
        return oom(r);
    r->form = x;
    xporta_status st = add_field(r, "FORM_TYPE", NULL);
    if (!st) {
        xp_elem *f = x->last;
        if (!xp_elem_set_attr(&r->a, f, "", "type", "hidden") ||
            !xp_elem_add_text_child(
                &r->a, f, XP_NS_DATA, "value",
                "http://jabber.org/protocol/pubsub#node_config"))
            return oom(r);
    }
    if (!st)
        st = q(r, EQ_NODE_OPTS, "pubsub_node_option", 1, v, on_option);
    if (!st && wants(r, XPORTA_KIND_PEP_NODE))
        st = emit(r, XPORTA_KIND_PEP_NODE, c, NULL);
    if (!st)
        st = q(r, EQ_NODE_STATES, "pubsub_state", 1, v, on_state);
    if (!st && r->affs->first && wants(r, XPORTA_KIND_PEP_AFFILIATIONS))
        st = emit(r, XPORTA_KIND_PEP_AFFILIATIONS, r->affs, NULL);
    if (!st && r->subs->first && wants(r, XPORTA_KIND_PEP_SUBSCRIPTIONS))
        st = emit(r, XPORTA_KIND_PEP_SUBSCRIPTIONS, r->subs, NULL);
    if (!st && wants(r, XPORTA_KIND_PEP_ITEM))
        st = q(r, EQ_NODE_ITEMS, "pubsub_item", 1, v, on_item);
    return st;
}

static xporta_status read_pep(struct rd *r)
{
    struct nodes ns = {r, NULL, 0, 0};
    const char *v[1] = {r->jid};
    r->table = "pubsub_node";
    xporta_status st = ejd_q(r->e, EQ_PEP_NODES, r->host, 1, v, on_node, &ns);
    for (size_t i = 0; !st && i < ns.n; i++)
        st = read_node(r, &ns.v[i]);
    return st;
}

/* ---- one account ----------------------------------------------------------
 */

xporta_status ejd_read(struct ejd *e, const char *host, const char *user,
                       uint32_t kinds, const struct store_sink *sink)
{
    struct rd r = {
        .e = e, .host = host, .user = user, .kinds = kinds, .sink = sink};
    xp_arena_init(&r.a, 0);
    xp_arena_init(&r.ra, 0);
    char *jid = xp_strcat(user, "@");
    char *full = jid ? xp_strcat(jid, host) : NULL;
    free(jid);
    r.jid = full;
    xporta_status st = full ? XPORTA_OK : oom(&r);
    if (!st && sink->account)
        st = sink->account(sink->ud, full);
#define STEP(cond, call)      \
    do {                      \
        if (!st && (cond))    \
            st = (call);      \
        xp_arena_reset(&r.a); \
    } while (0)
    STEP(wants(&r, XPORTA_KIND_CREDENTIALS),
         q_user(&r, EQ_PASSWORD, "users", on_password));
    if (!st &&
        (wants(&r, XPORTA_KIND_ROSTER) || wants(&r, XPORTA_KIND_PENDING))) {
        r.ngroups = r.capgroups = 0;
        st = q_user(&r, EQ_GROUPS, "rostergroups", on_group);
        if (!st)
            st = q_user(&r, EQ_ROSTER, "rosterusers", on_contact);
    }
    xp_arena_reset(&r.a);
    STEP(wants(&r, XPORTA_KIND_VCARD), q_user(&r, EQ_VCARD, "vcard", on_vcard));
    STEP(wants(&r, XPORTA_KIND_PRIVATE),
         q_user(&r, EQ_PRIVATE, "private_storage", on_private));
    STEP(wants(&r, XPORTA_KIND_PRIVACY) || wants(&r, XPORTA_KIND_BLOCKLIST),
         read_privacy(&r));
    STEP(kinds & ((1u << XPORTA_KIND_PEP_NODE) |
                  (1u << XPORTA_KIND_PEP_AFFILIATIONS) |
                  (1u << XPORTA_KIND_PEP_SUBSCRIPTIONS) |
                  (1u << XPORTA_KIND_PEP_ITEM)),
         read_pep(&r));
    STEP(wants(&r, XPORTA_KIND_OFFLINE),
         q_user(&r, EQ_OFFLINE, "spool", on_offline));
    STEP(wants(&r, XPORTA_KIND_ARCHIVE),
         q_user(&r, EQ_ARCHIVE, "archive", on_archive));
    STEP(wants(&r, XPORTA_KIND_MAM_PREFS),
         q_user(&r, EQ_PREFS, "archive_prefs", on_prefs));
#undef STEP
    if (st && !e->run->err.status)
        xp_fail(&e->run->err, st, "%s: reading %s failed", e->db->where,
                full ? full : user);
    xp_arena_cleanup(&r.a);
    xp_arena_cleanup(&r.ra);
    free(full);
    return st;
}
