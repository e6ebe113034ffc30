/*
 * ejabberd's rooms in its SQL storage (issue 13 part 4), for
 * store_ejabberd.c: the rows of muc_room, muc_registered and the
 * group-chat rows of archive (username = the room's bare JID), read and
 * written through the pure mapping of ejd_room.h.
 *
 * Reading a room: its muc_room.opts with the service's registered nicks
 * (ROOM_CONFIG, VCARD, ROOM_AFFILIATION, ROOM_SUBJECT with the time of
 * the last archived subject change), then its archive, oldest first.
 *
 * Writing a room (merged, never deleting): the room's opts as they are
 * are taken as records first, the imported records replace or join them,
 * and at commit the muc_room row is written again (the full opts term)
 * when a record changed it (made, with ejabberd's defaults, when the room
 * was not there, even without records); an affiliation's nick
 * registers the JID on the service (muc_registered: a JID keeps its first
 * nick); archive rows are added as for an account (ejabberd's own ids
 * kept, other messages at their time, made unique).  A record ejabberd
 * cannot keep (a form value it would refuse) is refused, the room's
 * others go on.
 *
 * The new schema has server_host in the three tables: the virtual host
 * serving the MUC service, taken from the service's rooms already there,
 * else the longest host of users whose subdomain the service is, else
 * the service without its first label (conference.example.org ->
 * example.org).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ejd_map_p.h"
#include "ejd_room.h"

/* The statements (numbers after the accounts' ones). */
enum {
    RQ_LIST = EQ_COUNT + 1,
    RQ_LIST_HOST,
    RQ_OPTS,
    RQ_NICKS,
    RQ_ARC,
    RQ_SUBJ,
    RQ_DEL_ROOM,
    RQ_ADD_ROOM,
    RQ_ADD_NICK,
    RQ_ARC_LAST,
    RQ_ARC_HAS,
    RQ_ARC_FIND,
    RQ_DEL_ARC,
    RQ_ADD_ARC,
    RQ_VHOST_ROOM,
    RQ_VHOSTS,
    RQ_END
};
_Static_assert(RQ_END < ESQL_MAX_STMTS - 1, "room statements fit");

static const char *const q_list =
    "SELECT name, host FROM muc_room ORDER BY host, name";
static const char *const q_list_host = "SELECT name, host FROM muc_room WHERE "
                                       "server_host = $1 ORDER BY host, name";
static const char *const q_opts =
    "SELECT opts FROM muc_room WHERE name = $1 AND host = $2";
static const char *const q_nicks =
    "SELECT jid, nick FROM muc_registered WHERE host = $1 ORDER BY jid";
static const char *const q_arc =
    "SELECT timestamp, peer, bare_peer, xml, txt, kind, nick FROM archive "
    "WHERE username = $1 AND kind = 'groupchat' ORDER BY timestamp, id";
static const char *const q_subj =
    "SELECT max(timestamp) FROM archive WHERE username = $1 AND kind = "
    "'groupchat' AND xml LIKE '%<subject%'";
static const char *const q_del_room =
    "DELETE FROM muc_room WHERE name = $1 AND host = $2";
static const char *const q_add_room[2] = {
    "INSERT INTO muc_room (name, host, opts) VALUES ($1, $2, $3)",
    "INSERT INTO muc_room (name, host, opts, server_host) VALUES ($1, $2, $3, "
    "$4)"};
static const char *const q_add_nick[2] = {
    "INSERT INTO muc_registered (jid, host, nick) VALUES ($1, $2, $3)",
    "INSERT INTO muc_registered (jid, host, nick, server_host) VALUES ($1, "
    "$2, $3, $4)"};
static const char *const q_arc_last =
    "SELECT max(timestamp) FROM archive WHERE username = $1";
static const char *const q_arc_has =
    "SELECT 1 FROM archive WHERE username = $1 AND timestamp = $2";
static const char *const q_arc_find =
    "SELECT xml FROM archive WHERE username = $1 AND timestamp >= $2 AND "
    "timestamp < $3";
static const char *const q_del_arc =
    "DELETE FROM archive WHERE username = $1 AND timestamp = $2";
static const char *const q_add_arc[2] = {
    "INSERT INTO archive (username, timestamp, peer, bare_peer, xml, txt, "
    "kind, nick) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    "INSERT INTO archive (username, timestamp, peer, bare_peer, xml, txt, "
    "kind, nick, server_host) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"};
static const char *const q_vhost_room =
    "SELECT server_host FROM muc_room WHERE host = $1 LIMIT 1";
static const char *const q_vhosts = "SELECT DISTINCT server_host FROM users";

static xporta_status oom(struct ejd *e)
{
    return xp_fail(&e->run->err, XPORTA_ENOMEM, "out of memory");
}

/* ---- the list ------------------------------------------------------------ */

static xporta_status on_room(void *ud, const struct esql_row *r)
{
    struct xp_strv *out = ud;
    if (r->n < 2 || !r->v[0] || !r->v[1])
        return XPORTA_OK;
    size_t n = strlen(r->v[0]) + strlen(r->v[1]) + 2;
    char *jid = malloc(n);
    if (!jid)
        return XPORTA_ENOMEM;
    snprintf(jid, n, "%s@%s", r->v[0], r->v[1]);
    int added = xp_strv_add(out, jid);
    free(jid);
    return added < 0 ? XPORTA_ENOMEM : XPORTA_OK;
}

xporta_status ejd_rooms(struct ejd *e, struct xp_strv *out)
{
    if (e->db->missing)
        return XPORTA_OK;
    bool one = e->new_schema && e->host;
    const char *v[1] = {e->host};
    xporta_status st =
        esql_query(e->db, one ? RQ_LIST_HOST : RQ_LIST,
                   one ? q_list_host : q_list, one ? 1 : 0, v, on_room, out);
    if (st == XPORTA_ENOMEM && !e->run->err.status)
        return oom(e);
    return st;
}

/* ---- reading a room ------------------------------------------------------ */

struct rr {
    struct ejd *e;
    const char *room;
    uint32_t kinds;
    const struct store_sink *sink;
    struct xp_arena *a;
    struct ejd_nick *nicks;
    size_t nnicks, cap;
    const char *opts;
    size_t optslen;
    bool found;
    long long subj_us;
    const char *why;
};

static xporta_status on_opts(void *ud, const struct esql_row *r)
{
    struct rr *x = ud;
    if (!r->v[0])
        return XPORTA_OK;
    x->opts = xp_arena_strndup(x->a, r->v[0], r->len[0]);
    x->optslen = r->len[0];
    x->found = true;
    return x->opts ? XPORTA_OK : oom(x->e);
}

static xporta_status on_nick(void *ud, const struct esql_row *r)
{
    struct rr *x = ud;
    struct ejd_nick n;
    const char *why = NULL;
    const char *service = strchr(x->room, '@') + 1;
    /* the row's values go with the row: kept in the arena */
    const char *jid = r->v[0] ? xp_arena_strdup(x->a, r->v[0]) : NULL;
    const char *nick = r->v[1] ? xp_arena_strdup(x->a, r->v[1]) : NULL;
    if ((r->v[0] && !jid) || (r->v[1] && !nick))
        return oom(x->e);
    xporta_status st = ejd_room_nick_row(x->a, jid, service, nick, &n, &why);
    if (st == XPORTA_EFORMAT)
        return xp_fail(&x->e->run->err, st, "%s: %s", x->e->db->where, why);
    if (st)
        return oom(x->e);
    if (x->nnicks == x->cap) {
        size_t cap = x->cap ? 2 * x->cap : 16;
        struct ejd_nick *v = xp_arena_alloc(x->a, cap * sizeof *v);
        if (!v)
            return oom(x->e);
        if (x->nnicks)
            memcpy(v, x->nicks, x->nnicks * sizeof *v);
        x->nicks = v;
        x->cap = cap;
    }
    x->nicks[x->nnicks++] = n;
    return XPORTA_OK;
}

static xporta_status on_subj(void *ud, const struct esql_row *r)
{
    struct rr *x = ud;
    if (r->v[0])
        x->subj_us = strtoll(r->v[0], NULL, 10);
    return XPORTA_OK;
}

static void on_note(void *ud, const char *what)
{
    struct rr *x = ud;
    xp_run_note(x->e->run, XPORTA_KIND_ROOM_CONFIG, "%s", what);
}

static xporta_status on_rec(void *ud, const xporta_record *rec)
{
    struct rr *x = ud;
    if (!(x->kinds & (1u << rec->kind)))
        return XPORTA_OK;
    xporta_record r = *rec;
    r.file = x->e->db->where;
    if (r.kind == XPORTA_KIND_ROOM_SUBJECT && x->subj_us > 0 &&
        ejd_room_subject_time(x->a, x->room, (xp_elem *)r.payload, x->subj_us))
        return oom(x->e);
    return x->sink->record(x->sink->ud, &r);
}

static xporta_status on_arc(void *ud, const struct esql_row *r)
{
    struct rr *x = ud;
    struct ejd_room_arc row = {
        .timestamp = r->v[0],
        .peer = r->v[1],
        .bare_peer = r->v[2],
        .xml = r->v[3],
        .xml_len = r->v[3] ? r->len[3] : 0,
        .txt = r->v[4],
        .kind = r->v[5],
        .nick = r->v[6],
    };
    struct xp_arena ra;
    xp_arena_init(&ra, 0);
    xp_elem *p = NULL;
    const char *why = NULL;
    xporta_status st = ejd_room_arc_read(&ra, x->room, &row, &p, &why);
    if (st == XPORTA_EFORMAT)
        st = xp_fail(&x->e->run->err, st, "%s: %s", x->e->db->where, why);
    else if (st)
        st = oom(x->e);
    if (!st) {
        xporta_record rec;
        memset(&rec, 0, sizeof rec);
        rec.kind = XPORTA_KIND_ARCHIVE;
        rec.key = row.timestamp;
        rec.payload = p;
        rec.file = x->e->db->where;
        st = x->sink->record(x->sink->ud, &rec);
    }
    xp_arena_cleanup(&ra);
    return st;
}

#define ROOM_OPTS_KINDS                                                       \
    ((1u << XPORTA_KIND_ROOM_CONFIG) | (1u << XPORTA_KIND_ROOM_AFFILIATION) | \
     (1u << XPORTA_KIND_ROOM_SUBJECT) | (1u << XPORTA_KIND_VCARD))

xporta_status ejd_room_read(struct ejd *e, const char *service,
                            const char *name, uint32_t kinds,
                            const struct store_sink *sink)
{
    struct xp_arena a;
    xp_arena_init(&a, 0);
    struct rr x = {.e = e, .kinds = kinds, .sink = sink, .a = &a};
    x.room = xp_arena_printf(&a, "%s@%s", name, service);
    if (!x.room) {
        xp_arena_cleanup(&a);
        return oom(e);
    }
    xporta_status st = XPORTA_OK;
    if (sink->account)
        st = sink->account(sink->ud, x.room);
    const char *v[2] = {name, service};
    if (!st && !e->db->missing && (kinds & ROOM_OPTS_KINDS)) {
        st = esql_query(e->db, RQ_OPTS, q_opts, 2, v, on_opts, &x);
        if (!st && x.found)
            st = esql_query(e->db, RQ_NICKS, q_nicks, 1, &v[1], on_nick, &x);
        if (!st && x.found && (kinds & (1u << XPORTA_KIND_ROOM_SUBJECT)))
            st = esql_query(e->db, RQ_SUBJ, q_subj, 1, &x.room, on_subj, &x);
        const char *why = NULL;
        if (!st && x.found) {
            st = ejd_room_read_opts(&a, x.room, x.opts, x.optslen, x.nicks,
                                    x.nnicks, on_rec, on_note, &x, &why);
            if (st == XPORTA_EFORMAT && why)
                st = xp_fail(&e->run->err, st, "%s: %s", e->db->where, why);
            else if (st == XPORTA_ENOMEM && !e->run->err.status)
                st = oom(e);
        }
    }
    if (!st && !e->db->missing && (kinds & (1u << XPORTA_KIND_ARCHIVE)))
        st = esql_query(e->db, RQ_ARC, q_arc, 1, &x.room, on_arc, &x);
    if (st && !e->run->err.status)
        xp_fail(&e->run->err, st, "%s: reading room %s failed", e->db->where,
                x.room);
    xp_arena_cleanup(&a);
    return st;
}

/* ---- writing a room ------------------------------------------------------ */

struct ejd_rw {
    struct ejd *e;
    struct xp_arena a;  /* the room's records, for as long as it is written */
    struct xp_arena ta; /* one record's */
    struct xp_buf buf;
    const char *service, *name, *room, *vhost;
    struct ejd_room_w w; /* the room as it is, then with the records */
    bool had, dirty;
    struct ejd_nicks nicks; /* the service's registered nicks */
    long long last_ts;
    int arc_state; /* 0 unknown, 1 empty before, 2 had rows */
};

static void rw_note(void *ud, const char *what)
{
    struct ejd_rw *w = ud;
    xp_run_note(w->e->run, XPORTA_KIND_ROOM_CONFIG, "%s", what);
}

static xporta_status seed(void *ud, const xporta_record *rec)
{
    struct ejd_rw *w = ud;
    const char *why = NULL;
    xporta_status st = ejd_room_w_add(&w->w, rec, &why);
    return st == XPORTA_EUNSUPPORTED ? XPORTA_OK : st;
}

static xporta_status seed_nick(void *ud, const struct esql_row *r)
{
    struct ejd_rw *w = ud;
    bool added;
    if (!r->v[0] || !r->v[1])
        return XPORTA_OK;
    return ejd_nicks_add(&w->nicks, r->v[0], r->v[1], NULL, NULL, &added);
}

struct vh {
    struct xp_arena *a;
    const char *service, *best;
};

static xporta_status first_col(void *ud, const struct esql_row *r)
{
    struct vh *h = ud;
    if (!h->best && r->v[0] && !(h->best = xp_arena_strdup(h->a, r->v[0])))
        return XPORTA_ENOMEM;
    return XPORTA_OK;
}

static xporta_status on_vhost(void *ud, const struct esql_row *r)
{
    struct vh *h = ud;
    const char *v = r->v[0];
    size_t n = v ? strlen(v) : 0, sn = strlen(h->service);
    if (!n || n >= sn || h->service[sn - n - 1] != '.' ||
        strcmp(h->service + sn - n, v) != 0 ||
        (h->best && strlen(h->best) >= n))
        return XPORTA_OK;
    h->best = xp_arena_strdup(h->a, v);
    return h->best ? XPORTA_OK : XPORTA_ENOMEM;
}

/* The new schema's server_host for the service. */
static xporta_status find_vhost(struct ejd_rw *w)
{
    struct ejd *e = w->e;
    struct vh h = {&w->a, w->service, NULL};
    xporta_status st = esql_query(e->db, RQ_VHOST_ROOM, q_vhost_room, 1,
                                  &w->service, first_col, &h);
    if (!st && h.best) {
        w->vhost = h.best;
        return XPORTA_OK;
    }
    if (!st && e->host) {
        struct esql_row row = {.n = 1, .v = (const char *const *)&e->host};
        st = on_vhost(&h, &row);
    }
    if (!st && !h.best)
        st = esql_query(e->db, RQ_VHOSTS, q_vhosts, 0, NULL, on_vhost, &h);
    if (st)
        return e->run->err.status ? st : oom(e);
    const char *dot = strchr(w->service, '.');
    w->vhost = h.best ? h.best : dot ? dot + 1 : w->service;
    return XPORTA_OK;
}

xporta_status ejd_rw_begin(struct ejd_rw **out, struct ejd *e,
                           const char *service, const char *name)
{
    struct ejd_rw *w = calloc(1, sizeof *w);
    if (!w)
        return oom(e);
    w->e = e;
    xp_arena_init(&w->a, 0);
    xp_arena_init(&w->ta, 0);
    xp_buf_init(&w->buf, ESQL_MAX_VALUE);
    w->service = xp_arena_strdup(&w->a, service);
    w->name = xp_arena_strdup(&w->a, name);
    w->room = xp_arena_printf(&w->a, "%s@%s", name, service);
    ejd_nicks_init(&w->nicks, &w->a);
    xporta_status st = w->room && w->service && w->name ? XPORTA_OK : oom(e);
    if (!st) {
        ejd_room_w_init(&w->w, &w->a, w->room);
        st = esql_account_begin(e->db);
    }
    struct rr x = {.e = e, .room = w->room, .a = &w->a};
    const char *v[2] = {name, service};
    if (!st)
        st = esql_query(e->db, RQ_OPTS, q_opts, 2, v, on_opts, &x);
    if (!st)
        st = esql_query(e->db, RQ_NICKS, q_nicks, 1, &v[1], seed_nick, w);
    const char *why = NULL;
    if (!st && x.found) {
        w->had = true;
        st = ejd_room_read_opts(&w->a, w->room, x.opts, x.optslen, w->nicks.v,
                                w->nicks.n, seed, NULL, w, &why);
        if (st == XPORTA_EFORMAT && why)
            st = xp_fail(&e->run->err, st, "%s: %s", e->db->where, why);
    }
    if (!st && e->new_schema)
        st = find_vhost(w);
    if (st) {
        if (!e->run->err.status)
            oom(e);
        ejd_rw_free(w);
        return st;
    }
    *out = w;
    return XPORTA_OK;
}

void ejd_rw_free(struct ejd_rw *w)
{
    if (!w)
        return;
    if (w->e->db->in_account)
        esql_account_undo(w->e->db);
    xp_buf_cleanup(&w->buf);
    xp_arena_cleanup(&w->ta);
    xp_arena_cleanup(&w->a);
    free(w);
}

/* `rec` applied to a copy of the room (in `a`), its opts composed in
 * w->buf: XPORTA_EUNSUPPORTED or XPORTA_EFORMAT with *why when ejabberd
 * could not keep it. */
static xporta_status with_record(struct ejd_rw *w, struct xp_arena *a,
                                 const xporta_record *rec,
                                 struct ejd_room_w *out, const char **why)
{
    *out = w->w;
    out->a = a;
    if (w->w.naffs) {
        out->affs = xp_arena_alloc(a, w->w.naffs * sizeof *out->affs);
        if (!out->affs)
            return oom(w->e);
        memcpy(out->affs, w->w.affs, w->w.naffs * sizeof *out->affs);
        out->capaffs = w->w.naffs;
    }
    xporta_status st = ejd_room_w_add(out, rec, why);
    xp_buf_reset(&w->buf);
    return st ? st : ejd_room_w_opts(out, &w->buf, NULL, NULL, why);
}

/* The room's opts as they stand, in w->buf. */
static xporta_status opts_now(struct ejd_rw *w, const char **why)
{
    xp_buf_reset(&w->buf);
    return ejd_room_w_opts(&w->w, &w->buf, NULL, NULL, why);
}

/* ---- the room's archive -- */

static xporta_status on_last(void *ud, const struct esql_row *r)
{
    struct ejd_rw *w = ud;
    w->arc_state = r->v[0] ? 2 : 1;
    return XPORTA_OK;
}

static xporta_status on_has(void *ud, const struct esql_row *r)
{
    (void)r;
    *(bool *)ud = true;
    return XPORTA_OK;
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

static xporta_status arc_state(struct ejd_rw *w)
{
    if (w->arc_state)
        return XPORTA_OK;
    w->arc_state = 1;
    return esql_query(w->e->db, RQ_ARC_LAST, q_arc_last, 1, &w->room, on_last,
                      w);
}

static bool arc_holds(struct ejd_rw *w, const xporta_record *rec)
{
    struct ejd_room_arc row;
    long long ts;
    bool own;
    const char *why;
    if (ejd_archive_own_id(rec->key) || arc_state(w) || w->arc_state != 2)
        return false; /* an own id is found by key, or is not there */
    bool yes = false;
    if (!ejd_room_arc_write(&w->ta, w->room, rec, &row, &ts, &own, &why)) {
        char from[32], to[32];
        snprintf(from, sizeof from, "%lld", ts);
        snprintf(to, sizeof to, "%lld", ts + 1000000);
        struct found f = {row.xml, false};
        const char *v[3] = {w->room, from, to};
        yes = !esql_query(w->e->db, RQ_ARC_FIND, q_arc_find, 3, v, on_found,
                          &f) &&
              f.yes;
    }
    xp_arena_reset(&w->ta);
    return yes;
}

static xporta_status arc_write(struct ejd_rw *w, const xporta_record *rec,
                               bool replace, const char **why)
{
    struct ejd_room_arc row;
    long long ts;
    bool own;
    xporta_status st = arc_state(w);
    if (st)
        return st;
    st = ejd_room_arc_write(&w->ta, w->room, rec, &row, &ts, &own, why);
    if (st == XPORTA_EFORMAT)
        st = XPORTA_EUNSUPPORTED;
    if (st)
        return st == XPORTA_ENOMEM ? oom(w->e) : st;
    if (!own && ts <= w->last_ts)
        ts = w->last_ts + 1;
    struct esql *db = w->e->db;
    char tsb[32];
    for (;;) {
        snprintf(tsb, sizeof tsb, "%lld", ts);
        if (w->arc_state != 2)
            break;
        const char *v[2] = {w->room, tsb};
        if (own) {
            if (replace &&
                (st = esql_query(db, RQ_DEL_ARC, q_del_arc, 2, v, NULL, NULL)))
                return st;
            break;
        }
        bool taken = false;
        if ((st = esql_query(db, RQ_ARC_HAS, q_arc_has, 2, v, on_has, &taken)))
            return st;
        if (!taken)
            break;
        ts++;
    }
    if (ts > w->last_ts)
        w->last_ts = ts;
    const char *v[9] = {w->room, tsb,         row.peer, row.bare_peer, row.xml,
                        row.txt, "groupchat", row.nick, w->vhost};
    int ns = w->e->new_schema;
    st = esql_query(db, RQ_ADD_ARC, q_add_arc[ns], ns ? 9 : 8, v, NULL, NULL);
    xp_arena_reset(&w->ta);
    return st;
}

/* ---- records -- */

xporta_status ejd_rw_record(struct ejd_rw *w, const xporta_record *rec,
                            bool replace, const char **why)
{
    if (rec->kind == XPORTA_KIND_ARCHIVE)
        return arc_write(w, rec, replace, why);
    struct ejd_room_w next;
    /* an affiliation (checked by ejd_room_w_add: a JID ejabberd keeps) goes
     * in place: a copy per record would make a room of many members
     * quadratic in memory */
    xporta_status st = rec->kind == XPORTA_KIND_ROOM_AFFILIATION
                           ? (next = w->w, ejd_room_w_add(&next, rec, why))
                           : with_record(w, &w->a, rec, &next, why);
    if (st == XPORTA_EFORMAT)
        return XPORTA_EUNSUPPORTED; /* refused, with *why */
    if (st == XPORTA_ENOMEM)
        return oom(w->e);
    if (st)
        return st;
    w->w = next;
    w->dirty = true;
    return XPORTA_OK;
}

bool ejd_rw_holds(struct ejd_rw *w, const xporta_record *rec)
{
    if (rec->kind == XPORTA_KIND_ARCHIVE)
        return arc_holds(w, rec);
    if (!w->had)
        return false;
    const char *why = NULL;
    struct ejd_room_w next;
    bool yes = false;
    if (!opts_now(w, &why)) {
        size_t n = w->buf.len;
        char *before = xp_arena_strndup(&w->ta, w->buf.data, n);
        yes = before && !with_record(w, &w->ta, rec, &next, &why) &&
              w->buf.len == n && memcmp(before, w->buf.data, n) == 0;
    }
    xp_arena_reset(&w->ta);
    return yes;
}

xporta_status ejd_rw_commit(struct ejd_rw *w)
{
    struct ejd *e = w->e;
    struct esql *db = e->db;
    int ns = e->new_schema;
    const char *why = NULL;
    xporta_status st = XPORTA_OK;
    if (w->dirty || !w->had) { /* a room without records is made too */
        xp_buf_reset(&w->buf);
        st = ejd_room_w_opts(&w->w, &w->buf, rw_note, w, &why);
        if (st == XPORTA_EFORMAT)
            return xp_fail(&e->run->err, st, "%s: %s", db->where, why);
        if (!st)
            st = xp_buf_addc(&w->buf, '\0');
        if (st)
            return e->run->err.status ? st : oom(e);
        const char *v[4] = {w->name, w->service, w->buf.data, w->vhost};
        if (w->had)
            st = esql_query(db, RQ_DEL_ROOM, q_del_room, 2, v, NULL, NULL);
        if (!st)
            st = esql_query(db, RQ_ADD_ROOM, q_add_room[ns], ns ? 4 : 3, v,
                            NULL, NULL);
        for (size_t i = 0; !st && i < w->w.naffs; i++) {
            const struct ejd_room_aff *f = &w->w.affs[i];
            bool added = false;
            if (!f->nick || !*f->nick)
                continue;
            st = ejd_nicks_add(&w->nicks, f->jid, f->nick, rw_note, w, &added);
            const char *nv[4] = {f->jid, w->service, f->nick, w->vhost};
            if (!st && added)
                st = esql_query(db, RQ_ADD_NICK, q_add_nick[ns], ns ? 4 : 3, nv,
                                NULL, NULL);
        }
    }
    if (!st)
        st = esql_account_end(db);
    if (st && !e->run->err.status)
        oom(e);
    return st;
}
