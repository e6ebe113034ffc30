/*
 * Reading Prosody's tables on PostgreSQL (prosody_pgsql_p.h): every query
 * streams its rows (libpq's single-row mode) with each column capped by
 * the server; a user's key-value rows come in one query and are held
 * until another user is read or this one is written (the copy engine
 * reads a target user's stores twice: to plan, then to change them).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../pie/pie.h"
#include "prosody_pgsql_p.h"

struct users_ctx {
    struct xp_strv *out, *rejects;
};

static xporta_status on_user(struct pg *p, const PGresult *r, void *ud)
{
    struct users_ctx *u = ud;
    size_t hl, ul;
    const char *host = pgb_capped(r, 0, &hl), *user = pgb_capped(r, 2, &ul);
    bool good = host && user && pbe_sql_account_ok(host, user);
    char *item = good ? xp_arena_printf(&p->ia, "%s@%s", user, host)
                      : xp_arena_printf(&p->ia,
                                        "%s: table prosody, host '%.64s', "
                                        "user '%.64s'%s",
                                        p->base.where, host ? host : "(long)",
                                        user ? user : "(long)",
                                        host && user ? "" : " (too long)");
    if (!item || xp_strv_add(good ? u->out : u->rejects, item) < 0)
        return pgb_oom(p);
    xp_arena_reset(&p->ia);
    return XPORTA_OK;
}

xporta_status pgb_users(struct pbe *b, struct xp_strv *out,
                        struct xp_strv *rejects)
{
    struct pg *p = (struct pg *)b;
    if (p->no_kv)
        return xp_fail(&b->run->err, XPORTA_EFORMAT,
                       "%s: not Prosody's database: it has no table "
                       "\"prosody\" (mod_storage_sql makes it when Prosody "
                       "first starts on it)",
                       b->where);
    struct users_ctx u = {out, rejects};
    return pgb_rows(p, Q_USERS, 0, NULL, on_user, &u, "reading the accounts");
}

static xporta_status on_room(struct pg *p, const PGresult *r, void *ud)
{
    size_t hl, ul;
    const char *host = pgb_capped(r, 0, &hl), *user = pgb_capped(r, 2, &ul);
    char *item =
        host && user ? xp_arena_printf(&p->ia, "%s@%s", user, host) : NULL;
    if (host && user && (!item || xp_strv_add(ud, item) < 0))
        return pgb_oom(p);
    xp_arena_reset(&p->ia);
    return XPORTA_OK;
}

/* mod_muc's rooms: (host, node) of every `config` store. */
xporta_status pgb_rooms(struct pbe *b, struct xp_strv *out)
{
    struct pg *p = (struct pg *)b;
    if (p->no_kv)
        return XPORTA_OK;
    return pgb_rows(p, Q_ROOMS, 0, NULL, on_room, out, "reading the rooms");
}

void pgb_forget(struct pg *p)
{
    free(p->c_host);
    free(p->c_user);
    p->c_host = p->c_user = NULL;
    p->c_first = NULL;
    p->c_tail = &p->c_first;
    p->c_bytes = 0;
    xp_arena_reset(&p->ca);
}

static const char *hold(struct pg *p, const char *s, size_t n)
{
    return s ? xp_arena_strndup(&p->ca, s, n) : NULL;
}

static xporta_status on_kv(struct pg *p, const PGresult *r, void *ud)
{
    (void)ud;
    size_t sl, kl, tl, vl;
    const char *store = pgb_capped(r, 0, &sl), *key = pgb_capped(r, 2, &kl),
               *type = pgb_capped(r, 4, &tl), *value = pgb_capped(r, 6, &vl);
    p->c_bytes += sl + kl + tl + vl;
    if (!store) /* not the name of a store Prosody keeps */
        return XPORTA_OK;
    if (p->c_bytes > PG_MAX_KV)
        return XPORTA_ETOOBIG; /* load() says what */
    struct kvrow *k = xp_arena_alloc(&p->ca, sizeof *k);
    if (!k || !(k->store = hold(p, store, sl)) ||
        (key && !(k->key = hold(p, key, kl))) ||
        (type && !(k->type = hold(p, type, tl))) ||
        (value && !(k->value = hold(p, value, vl))))
        return pgb_oom(p);
    if (!key)
        k->key = NULL;
    if (!type)
        k->type = NULL;
    if (!value)
        k->value = NULL;
    k->len = vl;
    k->next = NULL;
    *p->c_tail = k;
    p->c_tail = &k->next;
    return XPORTA_OK;
}

/* The user's key-value rows, held (one query for all its stores). */
static xporta_status load(struct pg *p, const char *host, const char *user)
{
    if (p->c_host && strcmp(p->c_host, host) == 0 &&
        strcmp(p->c_user, user) == 0)
        return XPORTA_OK;
    pgb_forget(p);
    const char *vals[2] = {host, user};
    xporta_status st =
        pgb_rows(p, Q_KV, 2, vals, on_kv, NULL, "reading a store");
    if (st == XPORTA_ETOOBIG)
        st = xp_fail(&p->base.run->err, XPORTA_EFORMAT,
                     "%s: table prosody, %s@%s: more than xporta's ceiling "
                     "of key-value data for one user (64 MiB)",
                     p->base.where, user, host);
    if (!st &&
        (!(p->c_host = xp_strdup(host)) || !(p->c_user = xp_strdup(user))))
        st = pgb_oom(p);
    if (st)
        pgb_forget(p);
    return st;
}

xporta_status pgb_get(struct pbe *b, const char *host, const char *user,
                      const char *store, struct xp_arena *a, struct pv *out,
                      bool *found)
{
    struct pg *p = (struct pg *)b;
    *found = false;
    *out = pv_table();
    if (p->no_kv)
        return XPORTA_OK;
    xporta_status st = load(p, host, user);
    for (const struct kvrow *k = p->c_first; k && !st; k = k->next) {
        if (strcmp(k->store, store) != 0)
            continue;
        const char *why = "a column over xporta's ceiling";
        *found = true;
        st = k->key && k->type && k->value
                 ? pbe_sql_kv_row(a, out, k->key, k->type, k->value, k->len,
                                  &why)
                 : XPORTA_EFORMAT;
        if (st == XPORTA_ENOMEM)
            st = pgb_oom(p);
        else if (st)
            st = xp_fail(&b->run->err, st,
                         "%s: table prosody, %s@%s store %s key '%.200s': %s",
                         b->where, user, host, store,
                         k->key ? k->key : "(long)", why ? why : "unreadable");
    }
    return st;
}

struct stores_ctx {
    const char *host, *user;
    struct xp_strv *out;
};

static xporta_status on_store(struct pg *p, const PGresult *r, void *ud)
{
    struct stores_ctx *c = ud;
    size_t len;
    const char *name = pgb_capped(r, 0, &len);
    if (!name)
        return xp_fail(&p->base.run->err, XPORTA_EFORMAT,
                       "%s: table prosodyarchive, %s@%s: a store name of %zu "
                       "bytes, over xporta's ceiling",
                       p->base.where, c->user, c->host, len);
    return xp_strv_add(c->out, name) < 0 ? pgb_oom(p) : XPORTA_OK;
}

xporta_status pgb_stores(struct pbe *b, const char *host, const char *user,
                         struct xp_strv *out)
{
    struct pg *p = (struct pg *)b;
    if (p->no_archive)
        return XPORTA_OK;
    const char *vals[2] = {host, user};
    struct stores_ctx c = {host, user, out};
    return pgb_rows(p, Q_STORES, 2, vals, on_store, &c, "reading the archives");
}

struct items_ctx {
    const char *host, *user, *store;
    pitem_fn fn;
    void *ud;
    struct xp_arena a;
};

static xporta_status on_item(struct pg *p, const PGresult *r, void *ud)
{
    struct items_ctx *c = ud;
    size_t kl, wl, tl, vl;
    struct pitem it = {0};
    it.key = pgb_capped(r, 0, &kl);
    it.with = pgb_capped(r, 3, &wl);
    const char *type = pgb_capped(r, 5, &tl), *text = pgb_capped(r, 7, &vl);
    const char *sort_id = PQgetvalue(r, 0, 9);
    it.when = (double)strtoll(PQgetvalue(r, 0, 2), NULL, 10);
    const char *why = "not a stanza";
    unsigned long line = 0, col = 0;
    xporta_status st = XPORTA_OK;
    if (!it.key || !it.with || !type || !text)
        why = "a column over xporta's ceiling";
    if (!it.key || !it.with || !type || !text || strcmp(type, "xml") != 0 ||
        (st = pie_parse_element(&c->a, text, vl, XP_NS_CLIENT, &it.stanza, &why,
                                &line, &col)))
        return xp_fail(
            &p->base.run->err, st == XPORTA_ENOMEM ? st : XPORTA_EFORMAT,
            "%s: table prosodyarchive, sort_id %s (%s@%s, "
            "store %s)%s%lu%s%lu: %s",
            p->base.where, sort_id, c->user, c->host, c->store,
            line ? ", value at " : "", line, line ? ":" : "", col, why);
    st = c->fn(c->ud, &it);
    xp_arena_reset(&c->a);
    return st;
}

xporta_status pgb_items(struct pbe *b, const char *host, const char *user,
                        const char *store, pitem_fn fn, void *ud)
{
    struct pg *p = (struct pg *)b;
    if (p->no_archive)
        return XPORTA_OK;
    struct items_ctx c = {host, user, store, fn, ud, {0}};
    xp_arena_init(&c.a, 0);
    const char *vals[3] = {host, user, store};
    xporta_status st =
        pgb_rows(p, Q_ITEMS, 3, vals, on_item, &c, "reading an archive");
    xp_arena_cleanup(&c.a);
    return st;
}
