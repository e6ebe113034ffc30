/*
 * Writing into ejabberd's SQL storage, kind by kind (ejd_write_p.h): what
 * mod_vcard_sql, mod_private_sql, mod_privacy_sql and mod_blocking,
 * mod_offline_sql, mod_mam_sql and node_flat_sql write for the same data.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ejd_term.h"
#include "ejd_write_p.h"

/* The element as XML text in w->buf (its own namespace declared). */
xporta_status ejw_text(struct ejd_w *w, const xp_elem *e)
{
    xp_buf_reset(&w->buf);
    xporta_status st = xp_elem_serialize(&w->buf, e, "");
    if (st == XPORTA_ENOMEM)
        return ejw_oom(w);
    if (st)
        return xp_fail(&w->e->run->err, st, "%s: serialising a record failed",
                       w->jid);
    return xp_buf_addc(&w->buf, '\0') ? ejw_oom(w) : XPORTA_OK;
}

/* ---- vCard ------------------------------------------------------------------
 */

static const char *path_text(const xp_elem *v, const char *a, const char *b)
{
    const xp_elem *e = xp_elem_child(v, XP_NS_VCARD, a);
    if (e && b)
        e = xp_elem_child(e, XP_NS_VCARD, b);
    return e ? xp_elem_text(e) : "";
}

/* mod_vcard's string2lower, for what search compares (ASCII here; ejabberd
 * lowercases the rest through stringprep, which search only uses to match
 * case-insensitively). */
static char *lower(struct xp_arena *a, const char *s)
{
    char *o = xp_arena_strdup(a, s);
    for (char *p = o; p && *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return o;
}

xporta_status ejw_vcard(struct ejd_w *w, const xp_elem *p)
{
    xporta_status st = ejw_text(w, p);
    const char *d[1] = {w->user};
    if (!st)
        st = ejw_run(w, EQ_DEL_VCARD, 1, d, NULL, NULL);
    const char *add[2] = {w->user, w->buf.data};
    if (!st)
        st = ejw_run(w, EQ_ADD_VCARD, 2, add, NULL, NULL);
    if (st)
        return st;
    /* vcard_search, as mod_vcard's make_vcard_search fills it */
    const char *email = path_text(p, "EMAIL", "USERID");
    if (!*email)
        email = path_text(p, "EMAIL", NULL);
    const char *f[11] = {
        path_text(p, "FN", NULL),
        path_text(p, "N", "FAMILY"),
        path_text(p, "N", "GIVEN"),
        path_text(p, "N", "MIDDLE"),
        path_text(p, "NICKNAME", NULL),
        path_text(p, "BDAY", NULL),
        path_text(p, "ADR", "CTRY"),
        path_text(p, "ADR", "LOCALITY"),
        email,
        path_text(p, "ORG", "ORGNAME"),
        path_text(p, "ORG", "ORGUNIT"),
    };
    const char *v[24];
    v[0] = w->user;
    v[1] = lower(&w->a, w->user);
    for (int i = 0; i < 11; i++) {
        v[2 + 2 * i] = f[i];
        v[3 + 2 * i] = lower(&w->a, f[i]);
        if (!v[3 + 2 * i])
            return ejw_oom(w);
    }
    const char *dl[1] = {v[1]};
    if (!v[1])
        return ejw_oom(w);
    st = ejw_run(w, EQ_DEL_VCARD_SEARCH, 1, dl, NULL, NULL);
    return st ? st : ejw_run(w, EQ_ADD_VCARD_SEARCH, 24, v, NULL, NULL);
}

/* ---- private XML
 * -------------------------------------------------------------- */

xporta_status ejw_private(struct ejd_w *w, const xp_elem *p)
{
    xporta_status st = ejw_text(w, p);
    const char *d[2] = {w->user, p->ns ? p->ns : ""};
    if (!st)
        st = ejw_run(w, EQ_DEL_PRIVATE, 2, d, NULL, NULL);
    const char *add[3] = {w->user, d[1], w->buf.data};
    return st ? st : ejw_run(w, EQ_ADD_PRIVATE, 3, add, NULL, NULL);
}

/* ---- privacy lists and the blocklist ----------------------------------------
 */

struct one {
    char *v;
    bool found;
};

static xporta_status on_one(void *ud, const struct esql_row *r)
{
    struct one *o = ud;
    if (!o->found && r->v[0]) {
        o->found = true;
        o->v = xp_strdup(r->v[0]);
        if (!o->v)
            return XPORTA_ENOMEM;
    }
    return XPORTA_OK;
}

/* The id of the account's list `name`, made when missing. */
static xporta_status list_id(struct ejd_w *w, const char *name, struct one *id)
{
    memset(id, 0, sizeof *id);
    const char *v[2] = {w->user, name};
    xporta_status st = ejw_run(w, EQ_LIST_ID, 2, v, on_one, id);
    if (!st && !id->found) {
        st = ejw_run(w, EQ_ADD_LIST, 2, v, NULL, NULL);
        if (!st)
            st = ejw_run(w, EQ_LIST_ID, 2, v, on_one, id);
        if (!st && !id->found)
            st = xp_fail(&w->e->run->err, XPORTA_EIO,
                         "%s: privacy list %s of %s: added, not found",
                         w->e->db->where, name, w->jid);
    }
    return st == XPORTA_ENOMEM ? ejw_oom(w) : st;
}

static xporta_status add_item(struct ejd_w *w, const char *id, const char *t,
                              const char *value, bool allow, const char *ord,
                              const bool match[5])
{
    const char *v[10] = {id,
                         t,
                         value,
                         allow ? "a" : "d",
                         ord,
                         match[0] ? "1" : "0",
                         match[1] ? "1" : "0",
                         match[2] ? "1" : "0",
                         match[3] ? "1" : "0",
                         match[4] ? "1" : "0"};
    return ejw_run(w, EQ_ADD_LIST_ITEM, 10, v, NULL, NULL);
}

static xporta_status set_default(struct ejd_w *w, const char *name)
{
    const char *d[1] = {w->user};
    const char *v[2] = {w->user, name};
    xporta_status st = ejw_run(w, EQ_DEL_DEFAULT, 1, d, NULL, NULL);
    return st ? st : ejw_run(w, EQ_ADD_DEFAULT, 2, v, NULL, NULL);
}

xporta_status ejw_privacy(struct ejd_w *w, const xp_elem *p)
{
    const char *name = xp_elem_attr_ns(p, "", "name");
    if (!name)
        return XPORTA_OK; /* a default or list without a name: nothing */
    if (xp_elem_is(p, XP_NS_PRIVACY, "default"))
        return set_default(w, name);
    struct one id;
    xporta_status st = list_id(w, name, &id);
    const char *d[1] = {id.v};
    if (!st)
        st = ejw_run(w, EQ_DEL_LIST_DATA, 1, d, NULL, NULL);
    for (const xp_elem *it = xp_elem_first_element(p); !st && it;
         it = xp_elem_next_element(it)) {
        if (!xp_elem_is(it, XP_NS_PRIVACY, "item"))
            continue;
        const char *type = xp_elem_attr_ns(it, "", "type");
        const char *value = xp_elem_attr_ns(it, "", "value");
        const char *order = xp_elem_attr_ns(it, "", "order");
        const char *t = !type                            ? "n"
                        : xp_streq(type, "jid")          ? "j"
                        : xp_streq(type, "group")        ? "g"
                        : xp_streq(type, "subscription") ? "s"
                                                         : NULL;
        uint64_t ord;
        if (!t || !order || !xp_parse_uint(order, &ord))
            continue; /* the checker reports what is not XEP-0016 */
        static const char *const what[] = {"iq", "message", "presence-in",
                                           "presence-out"};
        bool m[5] = {true, false, false, false, false};
        for (int k = 0; k < 4; k++)
            if (xp_elem_child(it, XP_NS_PRIVACY, what[k]))
                m[0] = false, m[k + 1] = true;
        char o[32];
        snprintf(o, sizeof o, "%llu", (unsigned long long)ord);
        st = add_item(w, id.v, t, value && *t != 'n' ? value : "",
                      xp_streq(xp_elem_attr_ns(it, "", "action"), "allow"), o,
                      m);
    }
    free(id.v);
    return st;
}

struct denied {
    const char *list;
    struct xp_strv *jids;
};

static xporta_status on_denied(void *ud, const struct esql_row *r)
{
    struct denied *d = ud;
    if (r->v[0] && strcmp(r->v[0], d->list) == 0 && r->v[1] &&
        *r->v[1] == 'j' && r->v[3] && *r->v[3] == 'd' && r->v[2] &&
        xp_strv_add(d->jids, r->v[2]) < 0)
        return XPORTA_ENOMEM;
    return XPORTA_OK;
}

/* mod_blocking's way: deny items (order 0, all stanzas) in the default
 * list, "Blocked contacts" made the default when there is none. */
xporta_status ejw_blocks(struct ejd_w *w)
{
    if (!w->blocks.n)
        return XPORTA_OK;
    struct one def = {0};
    const char *u[1] = {w->user};
    xporta_status st = ejw_run(w, EQ_PRIV_DEFAULT, 1, u, on_one, &def);
    const char *name = def.found ? def.v : XP_EJABBERD_BLOCKLIST;
    struct xp_strv have = {0};
    struct denied dn = {name, &have};
    if (!st)
        st = ejw_run(w, EQ_PRIV_LISTS, 1, u, on_denied, &dn);
    struct one id = {0};
    if (!st)
        st = list_id(w, name, &id);
    static const bool all[5] = {true, false, false, false, false};
    for (size_t i = 0; !st && i < w->blocks.n; i++)
        if (!xp_strv_has(&have, w->blocks.v[i]))
            st = add_item(w, id.v, "j", w->blocks.v[i], false, "0", all);
    if (!st && !def.found)
        st = set_default(w, name);
    xp_strv_cleanup(&have);
    free(def.v);
    free(id.v);
    return st == XPORTA_ENOMEM ? ejw_oom(w) : st;
}

/* ---- offline messages ------------------------------------------------------
 */

xporta_status ejw_offline(struct ejd_w *w, const xp_elem *p)
{
    xporta_status st = ejw_text(w, p);
    const char *v[2] = {w->user, w->buf.data};
    return st ? st : ejw_run(w, EQ_ADD_OFFLINE, 2, v, NULL, NULL);
}

/* ---- the archive ------------------------------------------------------------
 */

static xporta_status on_last(void *ud, const struct esql_row *r)
{
    struct ejd_w *w = ud;
    w->archive_state = r->v[0] ? 2 : 1;
    if (r->v[0])
        w->last_ts = 0; /* merged by time: each one checked */
    return XPORTA_OK;
}

static xporta_status on_has(void *ud, const struct esql_row *r)
{
    (void)r;
    *(bool *)ud = true;
    return XPORTA_OK;
}

/* The JID without its resource. */
static char *bare(struct xp_arena *a, const char *jid)
{
    const char *slash = jid ? strchr(jid, '/') : NULL;
    return jid ? xp_arena_strndup(a, jid,
                                  slash ? (size_t)(slash - jid) : strlen(jid))
               : NULL;
}

/* The archived message as ejabberd keeps it (w->buf) and its time in
 * microseconds: what this account's server added to it (its stanza-id,
 * ejabberd's <archived/>) goes, the archive gives those. */
static bool archive_row(struct ejd_w *w, const xporta_record *rec,
                        const xp_elem **msg, long long *ts)
{
    const xp_elem *m = ejd_archive_unwrap(rec->payload, ts);
    if (!m)
        return false;
    xp_elem *c = xp_elem_clone(&w->a, m);
    if (!c)
        return false;
    for (xp_elem *e = xp_elem_first_element(c), *n; e; e = n) {
        n = xp_elem_next_element(e);
        if ((xp_elem_is(e, "urn:xmpp:sid:0", "stanza-id") ||
             xp_elem_is(e, "urn:xmpp:mam:tmp", "archived")) &&
            xp_streq(xp_elem_attr_ns(e, "", "by"), w->jid))
            xp_elem_unlink(e);
    }
    *msg = c;
    return ejw_text(w, c) == XPORTA_OK;
}

struct found {
    const char *xml;
    bool yes;
};

static xporta_status on_found(void *ud, const struct esql_row *r)
{
    struct found *f = ud;
    if (r->v[0] && strcmp(r->v[0], f->xml) == 0)
        f->yes = true;
    return XPORTA_OK;
}

bool ejw_archive_holds(struct ejd_w *w, const xporta_record *rec)
{
    const xp_elem *m;
    long long ts;
    if (ejd_archive_own_id(rec->key))
        return false; /* ejabberd's own id: found by key, or not there */
    if (w->archive_state == 0) {
        const char *u[1] = {w->user};
        w->archive_state = 1;
        if (ejw_run(w, EQ_ARCHIVE_LAST, 1, u, on_last, w))
            return false;
    }
    if (w->archive_state != 2 || !archive_row(w, rec, &m, &ts))
        return false;
    /* written here before: at its time, or a little later when that
     * microsecond was taken */
    char from[32], to[32];
    snprintf(from, sizeof from, "%lld", ts);
    snprintf(to, sizeof to, "%lld", ts + 1000000);
    struct found f = {w->buf.data, false};
    const char *v[3] = {w->user, from, to};
    bool yes = !ejw_run(w, EQ_ARCHIVE_FIND, 3, v, on_found, &f) && f.yes;
    xp_arena_reset(&w->a);
    return yes;
}

xporta_status ejw_archive(struct ejd_w *w, const xporta_record *rec,
                          bool replace, const char **why)
{
    const xp_elem *m;
    long long ts;
    xporta_status st;
    if (w->archive_state == 0) {
        const char *u[1] = {w->user};
        w->archive_state = 1;
        if ((st = ejw_run(w, EQ_ARCHIVE_LAST, 1, u, on_last, w)))
            return st;
    }
    if (!archive_row(w, rec, &m, &ts)) {
        if (w->e->run->err.status)
            return w->e->run->err.status;
        *why = "an archived message without its message or time";
        return XPORTA_EUNSUPPORTED;
    }
    bool keep_id = ejd_archive_own_id(rec->key);
    if (keep_id)
        ts = strtoll(rec->key, NULL, 10); /* ejabberd's own id */
    else if (ts <= w->last_ts)
        ts = w->last_ts + 1;
    char tsb[32];
    for (;;) {
        snprintf(tsb, sizeof tsb, "%lld", ts);
        if (w->archive_state != 2)
            break;
        const char *v[2] = {w->user, tsb};
        if (keep_id) {
            if (replace && (st = ejw_run(w, EQ_DEL_ARCHIVE, 2, v, NULL, NULL)))
                return st;
            break;
        }
        bool taken = false;
        if ((st = ejw_run(w, EQ_ARCHIVE_HAS, 2, v, on_has, &taken)))
            return st;
        if (!taken)
            break;
        ts++;
    }
    if (ts > w->last_ts)
        w->last_ts = ts;
    /* mod_mam_sql's row: the peer is the other side of the message */
    const char *from = xp_elem_attr_ns(m, "", "from");
    const char *to = xp_elem_attr_ns(m, "", "to");
    char *fb = bare(&w->a, from);
    bool outgoing = fb && strcmp(fb, w->jid) == 0;
    const char *peer = outgoing ? to : from;
    if (!peer)
        peer = outgoing ? w->host : w->jid;
    char *bp = bare(&w->a, peer);
    const char *body = xp_elem_child_text(m, XP_NS_CLIENT, "body");
    if (!bp)
        return ejw_oom(w);
    /* w->buf still holds the message's text (archive_row) */
    const char *v[9] = {w->user,          tsb,    peer, bp,     w->buf.data,
                        body ? body : "", "chat", "",   w->host};
    /* rows go in bulk (PostgreSQL: COPY) until another statement */
    if (!w->bulk) {
        const char *cols = w->e->new_schema
                               ? "username, timestamp, peer, bare_peer, xml, "
                                 "txt, kind, nick, server_host"
                               : "username, timestamp, peer, bare_peer, xml, "
                                 "txt, kind, nick";
        if ((st = w->e->db->ops->bulk_begin(w->e->db, EQ_ADD_ARCHIVE, "archive",
                                            cols, w->e->new_schema ? 9 : 8)))
            return st;
        w->bulk = true;
    }
    st = w->e->db->ops->bulk_row(w->e->db, v);
    xp_arena_reset(&w->a);
    return st;
}

/* ---- MAM preferences
 * ---------------------------------------------------------- */

/* A list of JIDs as {User, Server, Resource} binaries. */
static xporta_status jid_terms(struct ejd_w *w, const xp_elem *list,
                               struct xp_buf *b)
{
    xporta_status st = xp_buf_addc(b, '[');
    bool first = true;
    for (const xp_elem *j = list ? xp_elem_first_element(list) : NULL; !st && j;
         j = xp_elem_next_element(j)) {
        const char *s = xp_elem_text(j);
        const char *at = strchr(s, '@'), *slash = strchr(s, '/');
        if (at && slash && at > slash)
            at = NULL;
        const char *dom = at ? at + 1 : s;
        size_t dl = slash ? (size_t)(slash - dom) : strlen(dom);
        if (!first)
            st = xp_buf_addc(b, ',');
        first = false;
        if (!st)
            st = xp_buf_addc(b, '{');
        if (!st)
            st = et_bin(b, s, at ? (size_t)(at - s) : 0);
        if (!st)
            st = xp_buf_addc(b, ',');
        if (!st)
            st = et_bin(b, dom, dl);
        if (!st)
            st = xp_buf_addc(b, ',');
        if (!st)
            st = et_bin(b, slash ? slash + 1 : "",
                        slash ? strlen(slash + 1) : 0);
        if (!st)
            st = xp_buf_addc(b, '}');
    }
    if (!st)
        st = xp_buf_addc(b, ']');
    if (!st)
        st = xp_buf_addc(b, '\0');
    return st ? ejw_oom(w) : XPORTA_OK;
}

xporta_status ejw_prefs(struct ejd_w *w, const xp_elem *p)
{
    const char *def = xp_elem_attr_ns(p, "", "default");
    if (!def || (strcmp(def, "always") && strcmp(def, "never") &&
                 strcmp(def, "roster")))
        def = "always";
    struct xp_buf a, n;
    xp_buf_init(&a, 16u << 20);
    xp_buf_init(&n, 16u << 20);
    xporta_status st = jid_terms(w, xp_elem_child(p, XP_NS_MAM, "always"), &a);
    if (!st)
        st = jid_terms(w, xp_elem_child(p, XP_NS_MAM, "never"), &n);
    const char *d[1] = {w->user};
    if (!st)
        st = ejw_run(w, EQ_DEL_PREFS, 1, d, NULL, NULL);
    const char *v[4] = {w->user, def, a.data, n.data};
    if (!st)
        st = ejw_run(w, EQ_ADD_PREFS, 4, v, NULL, NULL);
    xp_buf_cleanup(&a);
    xp_buf_cleanup(&n);
    return st;
}
