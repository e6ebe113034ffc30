/*
 * Writing one account into ejabberd's SQL storage (ejd_map_p.h), as
 * ejabberd 23.01's own modules write it (the encodings are listed in
 * ejd_map.c).  The account is one savepoint in the store's transaction:
 * all of it, or (ejd_w_free without commit) none of it.
 *
 * Records are applied as they come, each as its module would: a private
 * element replaces the row of its namespace, a privacy list its items, a
 * PEP item its row; offline messages and archive messages are added.
 * Three things wait for the commit, because several records make one row:
 *  - a contact: its roster item and its pending request are one row of
 *    rosterusers (ask I/O/B), read first when the account has one;
 *  - the blocklist: mod_blocking's deny items in the default privacy list
 *    ("Blocked contacts", made the default, when there is none);
 *  - credentials: ejabberd keeps one form per account (SCRAM with one
 *    hash, or a plaintext password): the first SCRAM credentials, else
 *    the plaintext password.
 *
 * Archive ids.  ejabberd's MAM id is the row's timestamp in microseconds.
 * A record whose id is such a number (from ejabberd) keeps it, so clients
 * keep their stanza-ids; another (Prosody's UUIDs) gets the time of its
 * <delay/>, one microsecond later than the previous message when that
 * time is taken, so that the order and the times stay.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ejd_write_p.h"
#include "scram_keys.h"

static xporta_status on_any(void *ud, const struct esql_row *r)
{
    (void)r;
    *(bool *)ud = true;
    return XPORTA_OK;
}

xporta_status ejd_w_begin(struct ejd_w **out, struct ejd *e, const char *host,
                          const char *user)
{
    struct ejd_w *w = calloc(1, sizeof *w);
    if (!w)
        return xp_fail(&e->run->err, XPORTA_ENOMEM, "out of memory");
    w->e = e;
    xp_arena_init(&w->a, 0);
    xp_buf_init(&w->buf, ESQL_MAX_VALUE);
    w->host = xp_strdup(host);
    w->user = xp_strdup(user);
    char *j = xp_strcat(user, "@");
    w->jid = j ? xp_strcat(j, host) : NULL;
    free(j);
    if (!w->host || !w->user || !w->jid) {
        ejd_w_free(w);
        return xp_fail(&e->run->err, XPORTA_ENOMEM, "out of memory");
    }
    /* the default schema holds one domain: --host's, else the first
     * account's, in a database that held no account before (its rows do
     * not say which domain they are: a resumed run must not guess) */
    if (!e->new_schema && !e->host) {
        bool any = false;
        xporta_status st = esql_query(e->db, EQ_COUNT /* its own */,
                                      "SELECT 1 FROM users "
                                      "LIMIT 1",
                                      0, NULL, on_any, &any);
        if (!st && any)
            st = xp_fail(
                &e->run->err, XPORTA_EINVAL,
                "%s: this database already holds accounts, and ejabberd's "
                "default schema does not record their domain: name it with "
                "--host DOMAIN (the host of ejabberd.yml whose sql_database "
                "this is)",
                e->db->where);
        if (!st && !(e->host = xp_strdup(host)))
            st = xp_fail(&e->run->err, XPORTA_ENOMEM, "out of memory");
        if (st) {
            ejd_w_free(w);
            return st;
        }
        e->host_first = true;
    }
    if (!e->new_schema && strcmp(host, e->host) != 0) {
        xporta_status st = xp_fail(
            &e->run->err, XPORTA_EINVAL,
            "%s: this database holds %s (ejabberd's default schema has one "
            "domain per database, and %s %s): rename the host "
            "(--rename-host %s=%s) or import %s into a database of its own",
            e->db->where, e->host, e->host,
            e->host_first ? "came first" : "was named with --host", host,
            e->host, host);
        ejd_w_free(w);
        return st;
    }
    xporta_status st = esql_account_begin(e->db);
    if (st) {
        ejd_w_free(w);
        return st;
    }
    *out = w;
    return XPORTA_OK;
}

void ejd_w_free(struct ejd_w *w)
{
    if (!w)
        return;
    if (w->bulk)
        ejw_settle(w); /* its rows go with the savepoint */
    if (w->e && w->e->db->in_account)
        esql_account_undo(w->e->db);
    free(w->node);
    free(w->nodeid);
    for (struct contact *c = w->contacts, *n; c; c = n) {
        n = c->next;
        free(c->jid);
        free(c->nick);
        free(c->askmessage);
        for (char **g = c->groups; g && *g; g++)
            free(*g);
        free(c->groups);
        free(c);
    }
    xp_strv_cleanup(&w->blocks);
    free(w->plain);
    for (int i = 0; i < 4; i++)
        free(w->scram[i]);
    xp_arena_cleanup(&w->a);
    xp_buf_cleanup(&w->buf);
    free(w->host);
    free(w->user);
    free(w->jid);
    free(w);
}

/* ---- the roster ------------------------------------------------------------
 */

static struct contact *find(struct ejd_w *w, const char *jid, bool make)
{
    for (struct contact *c = w->contacts; c; c = c->next)
        if (strcmp(c->jid, jid) == 0)
            return c;
    if (!make)
        return NULL;
    struct contact *c = calloc(1, sizeof *c);
    if (!c || !(c->jid = xp_strdup(jid))) {
        free(c);
        return NULL;
    }
    c->sub = 'N';
    c->next = w->contacts;
    w->contacts = c;
    return c;
}

static bool add_group(struct contact *c, const char *g)
{
    size_t n = 0;
    while (c->groups && c->groups[n])
        n++;
    char **v = realloc(c->groups, (n + 2) * sizeof *v);
    if (!v)
        return false;
    c->groups = v;
    v[n] = xp_strdup(g);
    v[n + 1] = NULL;
    return v[n] != NULL;
}

static xporta_status on_old_contact(void *ud, const struct esql_row *r)
{
    struct ejd_w *w = ud;
    struct contact *c = r->v[0] ? find(w, r->v[0], true) : NULL;
    if (!c)
        return r->v[0] ? ejw_oom(w) : XPORTA_OK;
    c->stored = true;
    const char *ask = r->v[3] && *r->v[3] ? r->v[3] : "N";
    c->sub = r->v[2] && *r->v[2] ? r->v[2][0] : 'N';
    c->out = strchr("OBS", *ask) != NULL;
    c->in = strchr("IB", *ask) != NULL;
    if ((r->v[1] && !(c->nick = xp_strdup(r->v[1]))) ||
        (r->v[4] && !(c->askmessage = xp_strdup(r->v[4]))))
        return ejw_oom(w);
    return XPORTA_OK;
}

static xporta_status on_old_group(void *ud, const struct esql_row *r)
{
    struct ejd_w *w = ud;
    struct contact *c = r->v[0] ? find(w, r->v[0], true) : NULL;
    if (!c || (r->v[1] && !add_group(c, r->v[1])))
        return ejw_oom(w);
    c->stored = true;
    return XPORTA_OK;
}

static xporta_status load_roster(struct ejd_w *w)
{
    if (w->roster_loaded)
        return XPORTA_OK;
    w->roster_loaded = true;
    const char *v[1] = {w->user};
    xporta_status st = ejw_run(w, EQ_ROSTER, 1, v, on_old_contact, w);
    return st ? st : ejw_run(w, EQ_GROUPS, 1, v, on_old_group, w);
}

static xporta_status roster_item(struct ejd_w *w, const xp_elem *p)
{
    const char *jid = xp_elem_attr_ns(p, "", "jid");
    const char *sub = xp_elem_attr_ns(p, "", "subscription");
    xporta_status st = load_roster(w);
    if (st)
        return st;
    struct contact *c = jid ? find(w, jid, true) : NULL;
    if (!c)
        return ejw_oom(w);
    c->sub = xp_streq(sub, "both")   ? 'B'
             : xp_streq(sub, "to")   ? 'T'
             : xp_streq(sub, "from") ? 'F'
                                     : 'N';
    c->out = xp_streq(xp_elem_attr_ns(p, "", "ask"), "subscribe");
    free(c->nick);
    const char *name = xp_elem_attr_ns(p, "", "name");
    c->nick = xp_strdup(name ? name : "");
    for (char **g = c->groups; g && *g; g++)
        free(*g);
    free(c->groups);
    c->groups = NULL;
    for (const xp_elem *g = xp_elem_first_element(p); g;
         g = xp_elem_next_element(g))
        if (xp_elem_is(g, XP_NS_ROSTER, "group") &&
            !add_group(c, xp_elem_text(g)))
            return ejw_oom(w);
    c->dirty = true;
    return c->nick ? XPORTA_OK : ejw_oom(w);
}

static xporta_status pending(struct ejd_w *w, const xp_elem *p)
{
    const char *from = xp_elem_attr_ns(p, "", "from");
    xporta_status st = load_roster(w);
    if (st)
        return st;
    struct contact *c = from ? find(w, from, true) : NULL;
    if (!c)
        return ejw_oom(w);
    c->in = true;
    const char *status = xp_elem_child_text(p, XP_NS_CLIENT, "status");
    free(c->askmessage);
    c->askmessage = xp_strdup(status ? status : "");
    c->dirty = true;
    return c->askmessage ? XPORTA_OK : ejw_oom(w);
}

/* The changed contacts: the rows of those the database had are deleted
 * (one statement each), then every changed contact's rosterusers row goes
 * in one bulk append (PostgreSQL: COPY) and its rostergroups rows in
 * another, instead of a statement per row: an imported account's roster
 * is mostly new contacts.  The numbers EQ_ADD_CONTACT and EQ_ADD_GROUP
 * name these appends (their statements are not run otherwise). */
static xporta_status write_contacts(struct ejd_w *w)
{
    xporta_status st = ejw_settle(w);
    bool any = false;
    for (struct contact *c = w->contacts; !st && c; c = c->next) {
        if (!c->dirty)
            continue;
        any = true;
        if (!c->stored)
            continue;
        const char *del[2] = {w->user, c->jid};
        st = ejw_run(w, EQ_DEL_CONTACT, 2, del, NULL, NULL);
        if (!st)
            st = ejw_run(w, EQ_DEL_CONTACT_GROUPS, 2, del, NULL, NULL);
    }
    if (st || !any)
        return st;
    struct esql *db = w->e->db;
    bool hs = w->e->new_schema;
    st = db->ops->bulk_begin(
        db, EQ_ADD_CONTACT, "rosterusers",
        hs ? "username, jid, nick, subscription, ask, askmessage, server, "
             "subscribe, type, server_host"
           : "username, jid, nick, subscription, ask, askmessage, server, "
             "subscribe, type",
        hs ? 10 : 9);
    for (struct contact *c = w->contacts; !st && c; c = c->next) {
        if (!c->dirty)
            continue;
        char sub[2] = {c->sub, 0};
        char ask[2] = {c->out && c->in ? 'B'
                       : c->out        ? 'O'
                       : c->in         ? 'I'
                                       : 'N',
                       0};
        const char *add[10] = {
            w->user, c->jid, c->nick ? c->nick : "",
            sub,     ask,    c->askmessage ? c->askmessage : "",
            "N",     "",     "item",
            w->host};
        st = db->ops->bulk_row(db, add);
    }
    xporta_status end = db->ops->bulk_end(db);
    if (!st)
        st = end;
    if (st)
        return st;
    bool groups = false;
    for (struct contact *c = w->contacts; !st && c; c = c->next) {
        if (!c->dirty)
            continue;
        for (char **g = c->groups; !st && g && *g; g++) {
            if (!groups) {
                st = db->ops->bulk_begin(db, EQ_ADD_GROUP, "rostergroups",
                                         hs ? "username, jid, grp, server_host"
                                            : "username, jid, grp",
                                         hs ? 4 : 3);
                groups = !st;
            }
            const char *gv[4] = {w->user, c->jid, *g, w->host};
            if (!st)
                st = db->ops->bulk_row(db, gv);
        }
    }
    if (groups) {
        end = db->ops->bulk_end(db);
        if (!st)
            st = end;
    }
    return st;
}

/* ---- credentials ------------------------------------------------------------
 */

static xporta_status credentials(struct ejd_w *w, const xp_elem *p,
                                 const char **why)
{
    if (xp_elem_is(p, XP_NS_PIE, "password")) {
        free(w->plain);
        w->plain = xp_strdup(xp_elem_text(p));
        return w->plain ? XPORTA_OK : ejw_oom(w);
    }
    const char *mech = xp_elem_attr_ns(p, "", "mechanism");
    const char *prefix = xp_streq(mech, "SCRAM-SHA-1")     ? ""
                         : xp_streq(mech, "SCRAM-SHA-256") ? "sha256:"
                         : xp_streq(mech, "SCRAM-SHA-512") ? "sha512:"
                                                           : NULL;
    if (!prefix) {
        *why = "ejabberd 23.01 keeps SCRAM-SHA-1, -256 and -512 only";
        return XPORTA_EUNSUPPORTED;
    }
    if (w->scram_mech && strcmp(w->scram_mech, mech) != 0) {
        *why = "ejabberd keeps one SCRAM hash per account: the account's "
               "first SCRAM credentials are kept";
        return XPORTA_EUNSUPPORTED;
    }
    const char *sk = xp_elem_child_text(p, XP_NS_PIE_SCRAM, "stored-key");
    const char *svk = xp_elem_child_text(p, XP_NS_PIE_SCRAM, "server-key");
    const char *salt = xp_elem_child_text(p, XP_NS_PIE_SCRAM, "salt");
    const char *ic = xp_elem_child_text(p, XP_NS_PIE_SCRAM, "iter-count");
    uint64_t iter;
    unsigned char raw[128];
    size_t n1, n2, n3;
    size_t want = xp_scram_hash_len(mech);
    if (!sk || !svk || !salt || !ic || !xp_parse_uint(ic, &iter) || iter == 0 ||
        strlen(sk) > 96 || strlen(svk) > 96 || strlen(salt) > 160 ||
        !xp_b64_decode(sk, strlen(sk), raw, &n1) ||
        !xp_b64_decode(svk, strlen(svk), raw, &n2) ||
        !xp_b64_decode(salt, strlen(salt), raw, &n3) || n1 != want ||
        n2 != want || n3 == 0) {
        *why = "malformed SCRAM credentials";
        return XPORTA_EUNSUPPORTED;
    }
    for (int i = 0; i < 4; i++)
        free(w->scram[i]);
    w->scram[0] = xp_strcat(prefix, sk);
    w->scram[1] = xp_strdup(svk);
    w->scram[2] = xp_strdup(salt);
    w->scram[3] = xp_strdup(ic);
    w->scram_mech = xp_streq(mech, "SCRAM-SHA-1")     ? "SCRAM-SHA-1"
                    : xp_streq(mech, "SCRAM-SHA-256") ? "SCRAM-SHA-256"
                                                      : "SCRAM-SHA-512";
    for (int i = 0; i < 4; i++)
        if (!w->scram[i])
            return ejw_oom(w);
    return XPORTA_OK;
}

struct stored_pw {
    struct ejd_w *w;
    bool found;
    char *v[4];
};

static xporta_status on_stored_pw(void *ud, const struct esql_row *r)
{
    struct stored_pw *s = ud;
    s->found = true;
    for (int i = 0; i < 4; i++)
        if (r->v[i] && !s->v[i] && !(s->v[i] = xp_strdup(r->v[i])))
            return ejw_oom(s->w);
    return XPORTA_OK;
}

/* Whether stored credentials (users row) accept `password`. */
static bool accepts(char *const v[4], const char *password)
{
    if (!v[0])
        return false;
    if ((!v[1] || !*v[1]) && (!v[2] || !*v[2]))
        return strcmp(v[0], password) == 0;
    const char *sk = v[0], *mech = "SCRAM-SHA-1";
    if (strncmp(sk, "sha256:", 7) == 0)
        sk += 7, mech = "SCRAM-SHA-256";
    else if (strncmp(sk, "sha512:", 7) == 0)
        sk += 7, mech = "SCRAM-SHA-512";
    unsigned char salt[128], want[128], st[64], sv[64];
    size_t sl, wl, n;
    uint64_t iter;
    return v[2] && v[3] && strlen(v[2]) <= 160 && strlen(sk) <= 160 &&
           xp_b64_decode(v[2], strlen(v[2]), salt, &sl) &&
           xp_b64_decode(sk, strlen(sk), want, &wl) &&
           xp_parse_uint(v[3], &iter) && iter > 0 && iter <= 10000000 &&
           scram_keys_compute(mech, password, salt, sl, (long)iter, st, sv,
                              &n) &&
           n == wl && memcmp(st, want, n) == 0;
}

static xporta_status load_password(struct ejd_w *w, struct stored_pw *s)
{
    memset(s, 0, sizeof *s);
    s->w = w;
    const char *v[1] = {w->user};
    return ejw_run(w, EQ_PASSWORD, 1, v, on_stored_pw, s);
}

static void drop_password(struct stored_pw *s)
{
    for (int i = 0; i < 4; i++)
        free(s->v[i]);
}

/* The users row: SCRAM if any came, else the plaintext password (unless
 * the row already accepts it). */
static xporta_status write_password(struct ejd_w *w)
{
    if (!w->scram_mech && !w->plain)
        return XPORTA_OK;
    const char *v[5];
    if (w->scram_mech) {
        v[0] = w->user;
        memcpy(v + 1, w->scram, 4 * sizeof *v);
    } else {
        struct stored_pw s;
        xporta_status st = load_password(w, &s);
        bool same = !st && s.found && accepts(s.v, w->plain);
        drop_password(&s);
        if (st || same)
            return st;
        v[0] = w->user;
        v[1] = w->plain;
        v[2] = v[3] = "";
        v[4] = "0";
    }
    const char *d[1] = {w->user};
    xporta_status st = ejw_run(w, EQ_DEL_PASSWORD, 1, d, NULL, NULL);
    return st ? st : ejw_run(w, EQ_ADD_PASSWORD, 5, v, NULL, NULL);
}

bool ejd_w_holds(struct ejd_w *w, const xporta_record *rec)
{
    if (rec->kind == XPORTA_KIND_ARCHIVE)
        return ejw_archive_holds(w, rec);
    if (rec->kind == XPORTA_KIND_PENDING) {
        /* rosterusers keeps the requester and the status text only */
        const char *from = xp_elem_attr_ns(rec->payload, "", "from");
        const char *status =
            xp_elem_child_text(rec->payload, XP_NS_CLIENT, "status");
        struct contact *c =
            from && !load_roster(w) ? find(w, from, false) : NULL;
        return c && c->in &&
               strcmp(c->askmessage ? c->askmessage : "",
                      status ? status : "") == 0;
    }
    if (rec->kind != XPORTA_KIND_CREDENTIALS ||
        !xp_elem_is(rec->payload, XP_NS_PIE, "password"))
        return false;
    struct stored_pw s;
    bool yes = !load_password(w, &s) && s.found &&
               accepts(s.v, xp_elem_text(rec->payload));
    drop_password(&s);
    return yes;
}

/* ---- records, commit ------------------------------------------------------
 */

xporta_status ejd_w_record(struct ejd_w *w, const xporta_record *rec,
                           bool replace, const char **why)
{
    const xp_elem *p = rec->payload;
    switch (rec->kind) {
    case XPORTA_KIND_CREDENTIALS:
        return credentials(w, p, why);
    case XPORTA_KIND_ROSTER:
        return roster_item(w, p);
    case XPORTA_KIND_PENDING:
        return pending(w, p);
    case XPORTA_KIND_VCARD:
        return ejw_vcard(w, p);
    case XPORTA_KIND_PRIVATE:
        return ejw_private(w, p);
    case XPORTA_KIND_PRIVACY:
        if (xp_elem_is(p, XP_NS_PRIVACY, "active"))
            return XPORTA_OK; /* a session's, not stored */
        return ejw_privacy(w, p);
    case XPORTA_KIND_BLOCKLIST: {
        const char *jid = xp_elem_attr_ns(p, "", "jid");
        if (!jid) {
            *why = "a blocklist item without a JID";
            return XPORTA_EUNSUPPORTED;
        }
        return xp_strv_add(&w->blocks, jid) < 0 ? ejw_oom(w) : XPORTA_OK;
    }
    case XPORTA_KIND_OFFLINE:
        return ejw_offline(w, p);
    case XPORTA_KIND_ARCHIVE:
        return ejw_archive(w, rec, replace, why);
    case XPORTA_KIND_MAM_PREFS:
        return ejw_prefs(w, p);
    case XPORTA_KIND_PEP_NODE:
    case XPORTA_KIND_PEP_AFFILIATIONS:
    case XPORTA_KIND_PEP_SUBSCRIPTIONS:
    case XPORTA_KIND_PEP_ITEM:
        return ejw_pep(w, rec, replace, why);
    default:
        *why = "ejabberd 23.01 has no table for it";
        return XPORTA_EUNSUPPORTED;
    }
}

xporta_status ejd_w_commit(struct ejd_w *w)
{
    xporta_status st = ejw_settle(w);
    if (!st)
        st = write_password(w);
    if (!st)
        st = write_contacts(w);
    if (!st)
        st = ejw_blocks(w);
    if (!st)
        st = esql_account_end(w->e->db);
    return st;
}
