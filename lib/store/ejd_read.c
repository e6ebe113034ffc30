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

#include "ejd_read_p.h"
#include "ejd_term.h"

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
    const char *pw = rd_col(row, 0), *sk = rd_col(row, 1),
               *salt = rd_col(row, 2), *ic = rd_col(row, 3);
    if (!pw)
        return rd_bad(r, row, "no password");
    if ((!sk || !*sk) && (!salt || !*salt)) {
        xp_elem *e = xp_elem_new(&r->ra, XP_NS_PIE, "password");
        if (!e || !xp_elem_add_text(&r->ra, e, pw, strlen(pw)))
            return rd_oom(r);
        return rd_emit(r, XPORTA_KIND_CREDENTIALS, e, NULL);
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
        return rd_bad(r, row, msg);
    }
    unsigned char raw[128];
    size_t n = 0, n2 = 0;
    if (strlen(stored) > 96 || !xp_b64_decode(stored, strlen(stored), raw, &n))
        return rd_bad(r, row,
                      "SCRAM credentials whose StoredKey (password) is not "
                      "the base64 of a hash");
    if (!sk || strlen(sk) > 96 || !xp_b64_decode(sk, strlen(sk), raw, &n2))
        return rd_bad(r, row,
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
        return rd_bad(r, row, msg);
    }
    char *end = NULL;
    long long iter = ic ? strtoll(ic, &end, 10) : 0;
    if (!ic || end == ic || *end || iter < 1 || !salt || !*salt)
        return rd_bad(r, row,
                      "SCRAM credentials without a salt or iteration "
                      "count");
    xp_elem *e = xp_elem_new(&r->ra, XP_NS_PIE_SCRAM, "scram-credentials");
    if (!e || !xp_elem_set_attr(&r->ra, e, "", "mechanism", scram_mech(n)) ||
        !xp_elem_add_text_child(&r->ra, e, XP_NS_PIE_SCRAM, "iter-count", ic) ||
        !xp_elem_add_text_child(&r->ra, e, XP_NS_PIE_SCRAM, "salt", salt) ||
        !xp_elem_add_text_child(&r->ra, e, XP_NS_PIE_SCRAM, "server-key", sk) ||
        !xp_elem_add_text_child(&r->ra, e, XP_NS_PIE_SCRAM, "stored-key",
                                stored))
        return rd_oom(r);
    return rd_emit(r, XPORTA_KIND_CREDENTIALS, e, NULL);
}

/* ---- roster ----------------------------------------------------------------
 */

static xporta_status on_group(void *ud, const struct esql_row *row)
{
    struct rd *r = ud;
    if (!rd_col(row, 0) || !rd_col(row, 1))
        return rd_bad(r, row, "a group without a contact or a name");
    if (r->ngroups == r->capgroups) {
        size_t cap = r->capgroups ? 2 * r->capgroups : 32;
        struct group *g = xp_arena_alloc(&r->a, cap * sizeof *g);
        if (!g)
            return rd_oom(r);
        if (r->ngroups)
            memcpy(g, r->groups, r->ngroups * sizeof *g);
        r->groups = g;
        r->capgroups = cap;
    }
    struct group *g = &r->groups[r->ngroups];
    if (!(g->jid = xp_arena_strdup(&r->a, rd_col(row, 0))) ||
        !(g->grp = xp_arena_strdup(&r->a, rd_col(row, 1))))
        return rd_oom(r);
    r->ngroups++;
    return XPORTA_OK;
}

static xporta_status on_contact(void *ud, const struct esql_row *row)
{
    struct rd *r = ud;
    const char *jid = rd_col(row, 0), *nick = rd_col(row, 1),
               *sub = rd_col(row, 2), *ask = rd_col(row, 3),
               *msg = rd_col(row, 4);
    const char *why;
    if (!jid || !xporta_jid_is_valid(jid, &why)) {
        char m[200];
        snprintf(m, sizeof m, "a contact whose JID does not parse (%s)",
                 jid ? why : "none");
        return rd_bad(r, row, m);
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
        return rd_bad(r, row, "subscription or ask not one ejabberd writes");
    bool out = a == 'O' || a == 'B' || a == 'S';
    bool in = a == 'I' || a == 'B';
    /* a pending request alone is not in the roster (mod_roster hides
     * subscription none + ask in) */
    if (rd_wants(r, XPORTA_KIND_ROSTER) &&
        !(strcmp(s, "none") == 0 && a == 'I')) {
        xp_elem *e = xp_elem_new(&r->ra, XP_NS_ROSTER, "item");
        if (!e || !xp_elem_set_attr(&r->ra, e, "", "jid", jid) ||
            !xp_elem_set_attr(&r->ra, e, "", "subscription", s) ||
            (nick && *nick && !xp_elem_set_attr(&r->ra, e, "", "name", nick)) ||
            (out && !xp_elem_set_attr(&r->ra, e, "", "ask", "subscribe")))
            return rd_oom(r);
        for (size_t i = 0; i < r->ngroups; i++)
            if (strcmp(r->groups[i].jid, jid) == 0 &&
                !xp_elem_add_text_child(&r->ra, e, XP_NS_ROSTER, "group",
                                        r->groups[i].grp))
                return rd_oom(r);
        xporta_status st = rd_emit(r, XPORTA_KIND_ROSTER, e, NULL);
        if (st)
            return st;
    }
    if (in && rd_wants(r, XPORTA_KIND_PENDING)) {
        xp_elem *p = xp_elem_new(&r->ra, XP_NS_CLIENT, "presence");
        if (!p || !xp_elem_set_attr(&r->ra, p, "", "from", jid) ||
            !xp_elem_set_attr(&r->ra, p, "", "type", "subscribe") ||
            (msg && *msg &&
             !xp_elem_add_text_child(&r->ra, p, XP_NS_CLIENT, "status", msg)))
            return rd_oom(r);
        return rd_emit(r, XPORTA_KIND_PENDING, p, NULL);
    }
    return XPORTA_OK;
}

/* ---- vCard, private XML ----------------------------------------------------
 */

static xporta_status on_vcard(void *ud, const struct esql_row *row)
{
    struct rd *r = ud;
    xp_elem *e;
    xporta_status st = rd_parse(r, row, 0, XP_NS_VCARD, &e);
    return st ? st : rd_emit(r, XPORTA_KIND_VCARD, e, NULL);
}

static xporta_status on_private(void *ud, const struct esql_row *row)
{
    struct rd *r = ud;
    xp_elem *e;
    xporta_status st = rd_parse(r, row, 1, "", &e);
    if (st)
        return st;
    const char *ns = e->ns ? e->ns : "";
    if (!rd_col(row, 0) || strcmp(ns, rd_col(row, 0)) != 0)
        return rd_bad(r, row, "the element's namespace is not the row's");
    return rd_emit(r, XPORTA_KIND_PRIVATE, e, NULL);
}

/* ---- privacy lists and the blocklist --------------------------------------
 */

static xporta_status on_default(void *ud, const struct esql_row *row)
{
    struct rd *r = ud;
    if (rd_col(row, 0) && !(r->def = xp_arena_strdup(&r->a, rd_col(row, 0))))
        return rd_oom(r);
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
        return rd_wants(r, XPORTA_KIND_PRIVACY)
                   ? rd_emit(r, XPORTA_KIND_PRIVACY, list, NULL)
                   : XPORTA_OK;
    r->def = NULL; /* the blocklist is no default list elsewhere */
    for (xp_elem *it = xp_elem_first_element(list); it;
         it = xp_elem_next_element(it)) {
        if (!rd_wants(r, XPORTA_KIND_BLOCKLIST))
            break;
        xp_elem *b = xp_elem_new(&r->ra, XP_NS_BLOCKING, "item");
        if (!b || !xp_elem_set_attr(&r->ra, b, "", "jid",
                                    xp_elem_attr_ns(it, "", "value")))
            return rd_oom(r);
        xporta_status st = rd_emit(r, XPORTA_KIND_BLOCKLIST, b, NULL);
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
    const char *name = rd_col(row, 0);
    if (!name)
        return rd_bad(r, row, "a list without a name");
    xporta_status st;
    if (!r->list || strcmp(name, r->list_name) != 0) {
        /* the list before is complete; the record of a list is built in
         * `a`, so it outlives the records emitted meanwhile */
        if ((st = end_list(r)))
            return st;
        r->list = xp_elem_new(&r->a, XP_NS_PRIVACY, "list");
        if (!r->list || !(r->list_name = xp_arena_strdup(&r->a, name)) ||
            !xp_elem_set_attr(&r->a, r->list, "", "name", name))
            return rd_oom(r);
        r->list_is_blocklist = true;
    }
    const char *t = rd_col(row, 1), *value = rd_col(row, 2),
               *action = rd_col(row, 3), *ord = rd_col(row, 4);
    if (!t)
        return XPORTA_OK; /* an empty list (LEFT JOIN) */
    const char *type = *t == 'n'   ? NULL
                       : *t == 'j' ? "jid"
                       : *t == 'g' ? "group"
                       : *t == 's' ? "subscription"
                                   : "?";
    if ((type && strcmp(type, "?") == 0) || !action ||
        (*action != 'a' && *action != 'd') || !ord)
        return rd_bad(r, row, "a privacy item ejabberd does not write");
    const char *why;
    if (type && strcmp(type, "jid") == 0 &&
        (!value || !xporta_jid_is_valid(value, &why)))
        return rd_bad(r, row, "a privacy item on a JID that does not parse");
    xp_elem *it = xp_elem_add_child(&r->a, r->list, XP_NS_PRIVACY, "item");
    char o[32];
    snprintf(o, sizeof o, "%lld", strtoll(ord, NULL, 10));
    if (!it || (type && !xp_elem_set_attr(&r->a, it, "", "type", type)) ||
        (type &&
         !xp_elem_set_attr(&r->a, it, "", "value", value ? value : "")) ||
        !xp_elem_set_attr(&r->a, it, "", "action",
                          *action == 'a' ? "allow" : "deny") ||
        !xp_elem_set_attr(&r->a, it, "", "order", o))
        return rd_oom(r);
    static const char *const what[] = {"iq", "message", "presence-in",
                                       "presence-out"};
    bool all = truth(rd_col(row, 5)), any = false;
    for (int i = 0; !all && i < 4; i++)
        if (truth(rd_col(row, 6 + i))) {
            any = true;
            if (!xp_elem_add_child(&r->a, it, XP_NS_PRIVACY, what[i]))
                return rd_oom(r);
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
        rd_q_user(r, EQ_PRIV_DEFAULT, "privacy_default_list", on_default);
    if (!st)
        st = rd_q_user(r, EQ_PRIV_LISTS, "privacy_list", on_list_row);
    if (!st)
        st = end_list(r);
    if (!st && r->def && rd_wants(r, XPORTA_KIND_PRIVACY)) {
        xp_elem *e = xp_elem_new(&r->ra, XP_NS_PRIVACY, "default");
        if (!e || !xp_elem_set_attr(&r->ra, e, "", "name", r->def))
            return rd_oom(r);
        st = rd_emit(r, XPORTA_KIND_PRIVACY, e, NULL);
    }
    return st;
}

/* ---- offline messages, archive, preferences -------------------------------
 */

static xporta_status on_offline(void *ud, const struct esql_row *row)
{
    struct rd *r = ud;
    xp_elem *m;
    xporta_status st = rd_parse(r, row, 0, XP_NS_CLIENT, &m);
    if (st)
        return st;
    char seq[32];
    snprintf(seq, sizeof seq, "%lu", ++r->seq);
    return rd_emit(r, XPORTA_KIND_OFFLINE, m, seq);
}

static xporta_status on_archive(void *ud, const struct esql_row *row)
{
    struct rd *r = ud;
    const char *ts = rd_col(row, 0);
    char *end = NULL;
    long long usec = ts ? strtoll(ts, &end, 10) : -1;
    if (!ts || end == ts || *end || usec < 0)
        return rd_bad(r, row, "a timestamp that is not microseconds");
    xp_elem *m;
    xporta_status st = rd_parse(r, row, 1, XP_NS_CLIENT, &m);
    if (st)
        return st;
    xp_elem *res = ejd_archive_result(&r->ra, ts, usec, m);
    if (!res)
        return rd_oom(r);
    return rd_emit(r, XPORTA_KIND_ARCHIVE, res, ts);
}

/* archive_prefs.always/never: a list of {User, Server, Resource} binaries
 * (LJIDs), as misc:term_to_expr printed them. */
static xporta_status prefs_jids(struct rd *r, const struct esql_row *row, int i,
                                xp_elem *into)
{
    const char *text = rd_col(row, i), *why;
    struct eterm t;
    if (!text || !et_parse(&r->a, text, row->len[i], &t, &why) ||
        t.t != ET_LIST)
        return rd_bad(r, row, "always/never is not a list of JIDs");
    for (size_t k = 0; k < t.n; k++) {
        const struct eterm *j = &t.kids[k];
        if (j->t != ET_TUPLE || j->n != 3 || j->kids[0].t != ET_BIN ||
            j->kids[1].t != ET_BIN || j->kids[2].t != ET_BIN)
            return rd_bad(r, row, "always/never holds what is not a JID");
        char *jid = xp_arena_printf(&r->ra, "%s%s%s%s%s", j->kids[0].s,
                                    *j->kids[0].s ? "@" : "", j->kids[1].s,
                                    *j->kids[2].s ? "/" : "", j->kids[2].s);
        if (!jid ||
            !xp_elem_add_text_child(&r->ra, into, XP_NS_MAM, "jid", jid))
            return rd_oom(r);
    }
    return XPORTA_OK;
}

static xporta_status on_prefs(void *ud, const struct esql_row *row)
{
    struct rd *r = ud;
    const char *def = rd_col(row, 0);
    if (!def || (strcmp(def, "always") && strcmp(def, "never") &&
                 strcmp(def, "roster")))
        return rd_bad(r, row, "a default that is not always, never or roster");
    xp_elem *e = xp_elem_new(&r->ra, XP_NS_MAM, "prefs");
    xp_elem *always =
        e ? xp_elem_add_child(&r->ra, e, XP_NS_MAM, "always") : NULL;
    xp_elem *never =
        always ? xp_elem_add_child(&r->ra, e, XP_NS_MAM, "never") : NULL;
    if (!never || !xp_elem_set_attr(&r->ra, e, "", "default", def))
        return rd_oom(r);
    xporta_status st = prefs_jids(r, row, 1, always);
    if (!st)
        st = prefs_jids(r, row, 2, never);
    return st ? st : rd_emit(r, XPORTA_KIND_MAM_PREFS, e, NULL);
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
    xporta_status st = full ? XPORTA_OK : rd_oom(&r);
    if (!st && sink->account)
        st = sink->account(sink->ud, full);
#define STEP(cond, call)      \
    do {                      \
        if (!st && (cond))    \
            st = (call);      \
        xp_arena_reset(&r.a); \
    } while (0)
    STEP(rd_wants(&r, XPORTA_KIND_CREDENTIALS),
         rd_q_user(&r, EQ_PASSWORD, "users", on_password));
    if (!st && (rd_wants(&r, XPORTA_KIND_ROSTER) ||
                rd_wants(&r, XPORTA_KIND_PENDING))) {
        r.ngroups = r.capgroups = 0;
        st = rd_q_user(&r, EQ_GROUPS, "rostergroups", on_group);
        if (!st)
            st = rd_q_user(&r, EQ_ROSTER, "rosterusers", on_contact);
    }
    xp_arena_reset(&r.a);
    STEP(rd_wants(&r, XPORTA_KIND_VCARD),
         rd_q_user(&r, EQ_VCARD, "vcard", on_vcard));
    STEP(rd_wants(&r, XPORTA_KIND_PRIVATE),
         rd_q_user(&r, EQ_PRIVATE, "private_storage", on_private));
    STEP(rd_wants(&r, XPORTA_KIND_PRIVACY) ||
             rd_wants(&r, XPORTA_KIND_BLOCKLIST),
         read_privacy(&r));
    STEP(kinds & ((1u << XPORTA_KIND_PEP_NODE) |
                  (1u << XPORTA_KIND_PEP_AFFILIATIONS) |
                  (1u << XPORTA_KIND_PEP_SUBSCRIPTIONS) |
                  (1u << XPORTA_KIND_PEP_ITEM)),
         rd_pep(&r));
    STEP(rd_wants(&r, XPORTA_KIND_OFFLINE),
         rd_q_user(&r, EQ_OFFLINE, "spool", on_offline));
    STEP(rd_wants(&r, XPORTA_KIND_ARCHIVE),
         rd_q_user(&r, EQ_ARCHIVE, "archive", on_archive));
    STEP(rd_wants(&r, XPORTA_KIND_MAM_PREFS),
         rd_q_user(&r, EQ_PREFS, "archive_prefs", on_prefs));
#undef STEP
    if (st && !e->run->err.status)
        xp_fail(&e->run->err, st, "%s: reading %s failed", e->db->where,
                full ? full : user);
    xp_arena_cleanup(&r.a);
    xp_arena_cleanup(&r.ra);
    free(full);
    return st;
}
