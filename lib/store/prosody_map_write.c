/*
 * xporta's records into Prosody's stores (prosody_store.h): one account
 * at a time.  The key-value stores a record touches are read once into
 * memory, changed there, and set at commit; archive items (history,
 * offline messages, PEP items) go to the backend as they come, which
 * keeps them out of memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "prosody_map_p.h"
#include "scram_keys.h"

enum {
    KV_ACCOUNTS,
    KV_ROSTER,
    KV_VCARD,
    KV_PRIVATE,
    KV_PRIVACY,
    KV_BLOCKLIST,
    KV_PEP,
    KV_PREFS,
    KV_COUNT
};
static const char *const kv_names[KV_COUNT] = {
    "accounts", "roster",    "vcard", "private",
    "privacy",  "blocklist", "pep",   "archive_prefs"};

struct kv {
    struct pv v;
    bool loaded, dirty;
};

struct pmap_w {
    struct pbe *b;
    char *host, *user, *jid;
    struct xp_arena a;  /* the stores' values, for the whole account */
    struct xp_arena ia; /* one archive item */
    struct kv kv[KV_COUNT];
    char *plain; /* a plaintext password, resolved at commit */
    bool scram;  /* SCRAM-SHA-1 credentials were written */
    bool roster_changed;
    long long now;
};

xporta_status pmap_w_begin(struct pmap_w **out, struct pbe *b, const char *host,
                           const char *user)
{
    struct pmap_w *w = calloc(1, sizeof *w);
    if (!w)
        return XPORTA_ENOMEM;
    w->b = b;
    w->host = xp_strdup(host);
    w->user = xp_strdup(user);
    char *at = xp_strcat(user, "@");
    w->jid = at ? xp_strcat(at, host) : NULL;
    free(at);
    xp_arena_init(&w->a, 0);
    xp_arena_init(&w->ia, 0);
    w->now = (long long)time(NULL);
    if (!w->host || !w->user || !w->jid) {
        pmap_w_free(w);
        return XPORTA_ENOMEM;
    }
    xporta_status st = b->ops->begin(b, host, user);
    if (st) {
        pmap_w_free(w);
        return st;
    }
    *out = w;
    return XPORTA_OK;
}

void pmap_w_free(struct pmap_w *w)
{
    if (!w)
        return;
    if (w->b)
        w->b->ops->rollback(w->b);
    xp_arena_cleanup(&w->a);
    xp_arena_cleanup(&w->ia);
    if (w->plain) {
        memset(w->plain, 0, strlen(w->plain));
        free(w->plain);
    }
    free(w->host);
    free(w->user);
    free(w->jid);
    free(w);
}

static xporta_status oom(struct pmap_w *w)
{
    return xp_fail(&w->b->run->err, XPORTA_ENOMEM, "out of memory");
}

/* The store, read on first use (an empty table when the user has none). */
static xporta_status load(struct pmap_w *w, int k, struct pv **out)
{
    struct kv *s = &w->kv[k];
    if (!s->loaded) {
        bool found;
        xporta_status st = w->b->ops->get(w->b, w->host, w->user, kv_names[k],
                                          &w->a, &s->v, &found);
        if (st)
            return st;
        if (!found || s->v.t != PV_TABLE)
            s->v = pv_table();
        s->loaded = true;
    }
    *out = &s->v;
    return XPORTA_OK;
}

static bool sdup(struct pmap_w *w, const char *s, struct pv *out)
{
    return pv_str_dup(&w->a, s, strlen(s), out);
}

/* t[k] as a table, created when absent. */
static struct pv *subtable(struct pmap_w *w, struct pv *t, struct pv k)
{
    const struct pv *v = pv_get(t, &k);
    if (!pv_is_table(v)) {
        if (!pv_set(&w->a, t, k, pv_table()))
            return NULL;
        v = pv_get(t, &k);
    }
    return (struct pv *)v;
}

static struct pv *subtable_s(struct pmap_w *w, struct pv *t, const char *k)
{
    struct pv key;
    if (!sdup(w, k, &key))
        return NULL;
    return subtable(w, t, key);
}

/* ---- SCRAM-SHA-1 -------------------------------------------------------- */

static void hex(const unsigned char *p, size_t n, char *out)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[p[i] >> 4];
        out[2 * i + 1] = d[p[i] & 15];
    }
    out[2 * n] = '\0';
}

/* stored_key and server_key (hex) of `password` with `salt`. */
static bool scram_keys(const char *password, const char *salt, size_t salt_len,
                       long iter, char stored[41], char server[41])
{
    unsigned char st[64], sk[64];
    size_t n;
    if (!scram_keys_compute("SCRAM-SHA-1", password,
                            (const unsigned char *)salt, salt_len, iter, st, sk,
                            &n))
        return false;
    hex(st, 20, stored);
    hex(sk, 20, server);
    return true;
}

/* Whether the stored credentials accept `password`. */
static bool accepts(const struct pv *acc, const char *password)
{
    const char *pw = pv_str_at(acc, "password");
    if (pw)
        return strcmp(pw, password) == 0;
    const char *stored = pv_str_at(acc, "stored_key");
    const struct pv *salt = pv_get_s(acc, "salt");
    const struct pv *ic = pv_get_s(acc, "iteration_count");
    char s1[41], s2[41];
    if (!stored || !salt || salt->t != PV_STR || !ic || ic->t != PV_NUM)
        return false;
    long iter = (long)(ic->is_int ? ic->i : (long long)ic->n);
    return iter > 0 && iter <= 10000000 &&
           scram_keys(password, salt->s, salt->len, iter, s1, s2) &&
           strcmp(s1, stored) == 0;
}

bool pmap_w_holds(struct pmap_w *w, const xporta_record *rec)
{
    struct pv *acc;
    if (rec->kind != XPORTA_KIND_CREDENTIALS ||
        !xp_elem_is(rec->payload, XP_NS_PIE, "password") ||
        load(w, KV_ACCOUNTS, &acc))
        return false;
    return accepts(acc, xp_elem_text(rec->payload));
}

static bool set_scram(struct pmap_w *w, struct pv *acc, const char *stored,
                      const char *server, const char *salt, size_t salt_len,
                      long long iter)
{
    struct pv s1, s2, s3;
    pv_set_s(&w->a, acc, "password", pv_nil());
    return sdup(w, stored, &s1) && sdup(w, server, &s2) &&
           pv_str_dup(&w->a, salt, salt_len, &s3) &&
           pv_set_s(&w->a, acc, "stored_key", s1) &&
           pv_set_s(&w->a, acc, "server_key", s2) &&
           pv_set_s(&w->a, acc, "salt", s3) &&
           pv_set_s(&w->a, acc, "iteration_count", pv_int(iter));
}

/* base64 text to lowercase hex of its bytes (SCRAM keys). */
static bool b64_hex(const char *b64, size_t want, char *out)
{
    unsigned char raw[64];
    size_t n;
    size_t len = strlen(b64);
    if (len > 88 || !xp_b64_decode(b64, len, raw, &n) || n != want)
        return false;
    hex(raw, n, out);
    return true;
}

static xporta_status credentials(struct pmap_w *w, const xp_elem *p,
                                 const char **why)
{
    struct pv *acc;
    xporta_status st = load(w, KV_ACCOUNTS, &acc);
    if (st)
        return st;
    if (xp_elem_is(p, XP_NS_PIE, "password")) {
        free(w->plain);
        w->plain = xp_strdup(xp_elem_text(p));
        return w->plain ? XPORTA_OK : oom(w);
    }
    const char *mech = xp_elem_attr_ns(p, "", "mechanism");
    if (!xp_streq(mech, "SCRAM-SHA-1")) {
        *why = "Prosody 0.12 keeps SCRAM-SHA-1 credentials only";
        return XPORTA_EUNSUPPORTED;
    }
    const char *salt64 = xp_elem_child_text(p, XP_NS_PIE_SCRAM, "salt");
    const char *iters = xp_elem_child_text(p, XP_NS_PIE_SCRAM, "iter-count");
    char stored[41], server[41];
    unsigned char salt[512];
    size_t salt_len;
    uint64_t iter;
    if (!salt64 || strlen(salt64) > 680 ||
        !xp_b64_decode(salt64, strlen(salt64), salt, &salt_len) || !iters ||
        !xp_parse_uint(iters, &iter) || iter == 0 || iter > 100000000 ||
        !b64_hex(xp_elem_child_text(p, XP_NS_PIE_SCRAM, "stored-key")
                     ? xp_elem_child_text(p, XP_NS_PIE_SCRAM, "stored-key")
                     : "",
                 20, stored) ||
        !b64_hex(xp_elem_child_text(p, XP_NS_PIE_SCRAM, "server-key")
                     ? xp_elem_child_text(p, XP_NS_PIE_SCRAM, "server-key")
                     : "",
                 20, server)) {
        *why = "malformed SCRAM-SHA-1 credentials";
        return XPORTA_EUNSUPPORTED;
    }
    if (w->b->text_only && !pbe_utf8((const char *)salt, salt_len)) {
        /* Prosody uses the salt's bytes as they are; PostgreSQL's TEXT
         * refuses bytes that are not UTF-8, as ejabberd's random salts */
        *why = "the SCRAM salt is binary, and Prosody on PostgreSQL keeps "
               "text only; the account's other data is imported: give it a "
               "new password with prosodyctl adduser";
        return XPORTA_EUNSUPPORTED;
    }
    if (!set_scram(w, acc, stored, server, (const char *)salt, salt_len,
                   (long long)iter))
        return oom(w);
    w->scram = true;
    w->kv[KV_ACCOUNTS].dirty = true;
    return XPORTA_OK;
}

/* A plaintext password is kept as Prosody keeps it, in "password":
 * mod_auth_internal_plain reads it, mod_auth_internal_hashed makes
 * SCRAM-SHA-1 credentials of it at the first login (prosody-migrator
 * imports it the same way).  Alone, it replaces stored credentials that do
 * not accept it; one the account already accepts changes nothing. */
static xporta_status resolve_password(struct pmap_w *w)
{
    struct pv *acc, pw;
    xporta_status st;
    if (!w->plain)
        return XPORTA_OK;
    if ((st = load(w, KV_ACCOUNTS, &acc)))
        return st;
    if (!w->scram && accepts(acc, w->plain))
        return XPORTA_OK;
    if (!sdup(w, w->plain, &pw) || !pv_set_s(&w->a, acc, "password", pw))
        return oom(w);
    static const char *const scram[] = {"stored_key", "server_key", "salt",
                                        "iteration_count"};
    for (size_t i = 0; !w->scram && i < sizeof scram / sizeof scram[0]; i++)
        pv_set_s(&w->a, acc, scram[i], pv_nil());
    w->kv[KV_ACCOUNTS].dirty = true;
    return XPORTA_OK;
}

/* ---- the small kinds ---------------------------------------------------- */

static xporta_status roster_item(struct pmap_w *w, const xp_elem *p)
{
    struct pv *roster, *item;
    struct pv k, s;
    xporta_status st = load(w, KV_ROSTER, &roster);
    if (st)
        return st;
    const char *jid = xp_elem_attr_ns(p, "", "jid");
    const char *name = xp_elem_attr_ns(p, "", "name");
    const char *sub = xp_elem_attr_ns(p, "", "subscription");
    const char *ask = xp_elem_attr_ns(p, "", "ask");
    if (!sdup(w, jid, &k) || !pv_set(&w->a, roster, k, pv_table()) ||
        !(item = (struct pv *)pv_get(roster, &k)))
        return oom(w);
    struct pv *groups = subtable_s(w, item, "groups");
    if (!groups ||
        !sdup(w, sub && strcmp(sub, "remove") != 0 ? sub : "none", &s) ||
        !pv_set_s(&w->a, item, "subscription", s))
        return oom(w);
    if (name && (!sdup(w, name, &s) || !pv_set_s(&w->a, item, "name", s)))
        return oom(w);
    if (xp_streq(ask, "subscribe") &&
        (!sdup(w, "subscribe", &s) || !pv_set_s(&w->a, item, "ask", s)))
        return oom(w);
    for (const xp_elem *g = xp_elem_first_element(p); g;
         g = xp_elem_next_element(g))
        if (xp_elem_is(g, NULL, "group") &&
            (!sdup(w, xp_elem_text(g), &s) ||
             !pv_set(&w->a, groups, s, pv_bool(true))))
            return oom(w);
    w->roster_changed = true;
    return XPORTA_OK;
}

static xporta_status pending(struct pmap_w *w, const xporta_record *rec)
{
    struct pv *roster, *meta, *pend;
    struct pv k, v, s;
    xporta_status st = load(w, KV_ROSTER, &roster);
    if (st)
        return st;
    xp_elem *e = xp_elem_clone(&w->a, rec->payload);
    if (!e || !(meta = subtable(w, roster, pv_bool(false))) ||
        !(pend = subtable_s(w, meta, "pending")) || !sdup(w, rec->key, &k))
        return oom(w);
    e->ns = XP_NS_CLIENT;
    if (!xp_elem_set_attr(&w->a, e, "", "type", "subscribe") ||
        !xp_elem_set_attr(&w->a, e, "", "to", w->jid) ||
        !pv_from_elem(&w->a, e, &v) || !pv_set(&w->a, pend, k, v))
        return oom(w);
    (void)s;
    w->roster_changed = true;
    return XPORTA_OK;
}

static xporta_status element_store(struct pmap_w *w, int kv,
                                   const xporta_record *rec)
{
    struct pv *t, v, k;
    xporta_status st = load(w, kv, &t);
    if (st)
        return st;
    if (!pv_from_elem(&w->a, rec->payload, &v))
        return oom(w);
    if (kv == KV_VCARD) {
        w->kv[kv].v = v;
    } else {
        /* mod_private's key: "name:namespace" */
        char *key = xp_arena_printf(&w->a, "%s:%s", rec->payload->name,
                                    rec->payload->ns);
        if (!key || !sdup(w, key, &k) || !pv_set(&w->a, t, k, v))
            return oom(w);
    }
    w->kv[kv].dirty = true;
    return XPORTA_OK;
}

static xporta_status privacy(struct pmap_w *w, const xp_elem *p,
                             const char **why)
{
    struct pv *t, *lists, *list, *items, s;
    xporta_status st = load(w, KV_PRIVACY, &t);
    if (st)
        return st;
    const char *name = xp_elem_attr_ns(p, "", "name");
    if (xp_elem_is(p, NULL, "active")) {
        *why = "the active privacy list lasts one session; Prosody keeps "
               "none";
        return XPORTA_EUNSUPPORTED;
    }
    if (xp_elem_is(p, NULL, "default")) {
        if (!name || !sdup(w, name, &s) || !pv_set_s(&w->a, t, "default", s))
            return oom(w);
        w->kv[KV_PRIVACY].dirty = true;
        return XPORTA_OK;
    }
    if (!name || !(lists = subtable_s(w, t, "lists")) || !sdup(w, name, &s) ||
        !pv_set(&w->a, lists, s, pv_table()) ||
        !(list = (struct pv *)pv_get(lists, &s)) ||
        !pv_set_s(&w->a, list, "name", s) ||
        !(items = subtable_s(w, list, "items")))
        return oom(w);
    for (const xp_elem *i = xp_elem_first_element(p); i;
         i = xp_elem_next_element(i)) {
        if (!xp_elem_is(i, NULL, "item"))
            continue;
        struct pv it = pv_table(), v;
        uint64_t order = 0;
        xp_parse_uint(xp_elem_attr_ns(i, "", "order")
                          ? xp_elem_attr_ns(i, "", "order")
                          : "0",
                      &order);
        static const char *const attrs[] = {"type", "value", "action"};
        for (size_t a = 0; a < 3; a++) {
            const char *val = xp_elem_attr_ns(i, "", attrs[a]);
            if (val &&
                (!sdup(w, val, &v) || !pv_set_s(&w->a, &it, attrs[a], v)))
                return oom(w);
        }
        if (!pv_set_s(&w->a, &it, "order", pv_int((long long)order)))
            return oom(w);
        static const char *const what[] = {"message", "iq", "presence-in",
                                           "presence-out"};
        for (size_t k = 0; k < 4; k++)
            if (!pv_set_s(&w->a, &it, what[k],
                          pv_bool(xp_elem_child(i, NULL, what[k]) != NULL)))
                return oom(w);
        if (!pv_push(&w->a, items, it))
            return oom(w);
    }
    w->kv[KV_PRIVACY].dirty = true;
    return XPORTA_OK;
}

static xporta_status blocklist(struct pmap_w *w, const char *jid)
{
    struct pv *t, *meta, k;
    xporta_status st = load(w, KV_BLOCKLIST, &t);
    if (st)
        return st;
    if (!(meta = subtable(w, t, pv_bool(false))) || !sdup(w, jid, &k) ||
        !pv_set(&w->a, t, k, pv_int(w->now)) ||
        (!pv_get_s(meta, "created") &&
         !pv_set_s(&w->a, meta, "created", pv_int(w->now))) ||
        !pv_set_s(&w->a, meta, "modified", pv_int(w->now)))
        return oom(w);
    w->kv[KV_BLOCKLIST].dirty = true;
    return XPORTA_OK;
}

static xporta_status prefs(struct pmap_w *w, const xp_elem *p)
{
    struct pv t = pv_table(), s;
    const char *def = xp_elem_attr_ns(p, "", "default");
    struct pv dv = xp_streq(def, "never")    ? pv_bool(false)
                   : xp_streq(def, "roster") ? pv_str("roster")
                                             : pv_bool(true);
    if (!pv_set(&w->a, &t, pv_bool(false), dv))
        return oom(w);
    for (const xp_elem *l = xp_elem_first_element(p); l;
         l = xp_elem_next_element(l)) {
        bool always = xp_elem_is(l, NULL, "always");
        if (!always && !xp_elem_is(l, NULL, "never"))
            continue;
        for (const xp_elem *j = xp_elem_first_element(l); j;
             j = xp_elem_next_element(j))
            if (xp_elem_is(j, NULL, "jid") &&
                (!sdup(w, xp_elem_text(j), &s) ||
                 !pv_set(&w->a, &t, s, pv_bool(always))))
                return oom(w);
    }
    w->kv[KV_PREFS].v = t;
    w->kv[KV_PREFS].loaded = w->kv[KV_PREFS].dirty = true;
    return XPORTA_OK;
}

/* ---- PEP ---------------------------------------------------------------- */

static struct pv *pep_node(struct pmap_w *w, const char *node)
{
    struct pv *pep, *n, s;
    if (load(w, KV_PEP, &pep) || !(n = subtable_s(w, pep, node)))
        return NULL;
    if (!pv_get_s(n, "name") &&
        (!sdup(w, node, &s) || !pv_set_s(&w->a, n, "name", s)))
        return NULL;
    if (!subtable_s(w, n, "config") || !subtable_s(w, n, "affiliations") ||
        !subtable_s(w, n, "subscribers"))
        return NULL;
    w->kv[KV_PEP].dirty = true;
    return n;
}

static xporta_status node_config(struct pmap_w *w, const xporta_record *rec)
{
    struct pv *n = pep_node(w, rec->key), cfg = pv_table(), s;
    if (!n)
        return w->b->run->err.status ? w->b->run->err.status : oom(w);
    const xp_elem *x = xp_elem_child(rec->payload, XP_NS_DATA, "x");
    for (const xp_elem *f = xp_elem_first_element(x); f;
         f = xp_elem_next_element(f)) {
        const char *var = xp_elem_attr_ns(f, "", "var");
        const char *val = xp_elem_child_text(f, XP_NS_DATA, "value");
        const struct pmap_field *pf = pmap_node_fields;
        while (pf->var && !xp_streq(pf->var, var))
            pf++;
        if (!pf->var || !val)
            continue; /* FORM_TYPE, and what Prosody has no place for */
        struct pv v;
        uint64_t num;
        if (pf->type == PF_BOOL)
            v = pv_bool(strcmp(val, "1") == 0 || strcmp(val, "true") == 0);
        else if (pf->type == PF_MAX && xp_parse_uint(val, &num))
            v = pv_int((long long)num);
        else if (!sdup(w, val, &v))
            return oom(w);
        if (!pv_set_s(&w->a, &cfg, pf->key, v))
            return oom(w);
    }
    (void)s;
    return pv_set_s(&w->a, n, "config", cfg) ? XPORTA_OK : oom(w);
}

static xporta_status node_set(struct pmap_w *w, const xporta_record *rec,
                              bool affiliations)
{
    struct pv *n = pep_node(w, rec->key), t = pv_table(), k, v;
    if (!n)
        return w->b->run->err.status ? w->b->run->err.status : oom(w);
    for (const xp_elem *e = xp_elem_first_element(rec->payload); e;
         e = xp_elem_next_element(e)) {
        const char *jid = xp_elem_attr_ns(e, "", "jid");
        const char *val = xp_elem_attr_ns(
            e, "", affiliations ? "affiliation" : "subscription");
        if (!jid || !val)
            continue;
        if (!affiliations && strcmp(val, "subscribed") != 0)
            continue;
        if (!sdup(w, jid, &k) ||
            (affiliations ? !sdup(w, val, &v) : ((v = pv_bool(true)), false)) ||
            !pv_set(&w->a, &t, k, v))
            return oom(w);
    }
    return pv_set_s(&w->a, n, affiliations ? "affiliations" : "subscribers", t)
               ? XPORTA_OK
               : oom(w);
}

/* ---- archive items ------------------------------------------------------ */

/* Prosody keeps an item's time in whole seconds: mod_mam and mod_offline
 * pass os.time(), and 0.12's util.datetime formats `when` with os.date,
 * which under Lua 5.4 fails on a number with a fraction ("number has no
 * integer representation"): every MAM query and offline delivery that
 * met such an item would die.  ejabberd's times carry microseconds. */
static xporta_status append(struct pmap_w *w, const char *store,
                            struct pitem *it, bool replace)
{
    long long secs = (long long)it->when;
    if ((double)secs > it->when)
        secs--; /* floor, before 1970 too */
    it->when = (double)secs;
    xporta_status st = w->b->ops->append(w->b, store, it, replace);
    xp_arena_reset(&w->ia);
    return st;
}

static xporta_status pep_item(struct pmap_w *w, const xporta_record *rec,
                              bool replace, const char **why)
{
    const xp_elem *payload = xp_elem_first_element(rec->payload);
    if (!payload) {
        *why = "an item without a payload (Prosody keeps none)";
        return XPORTA_EUNSUPPORTED;
    }
    if (!pep_node(w, rec->key))
        return w->b->run->err.status ? w->b->run->err.status : oom(w);
    const char *pub = xp_elem_attr_ns(rec->payload, "", "publisher");
    struct pitem it = {.key = rec->id,
                       .when = (double)w->now,
                       .with = pub ? pub : w->jid,
                       .stanza = xp_elem_clone(&w->ia, payload)};
    char *store = xp_arena_printf(&w->ia, "pep_%s", rec->key);
    if (!it.stanza || !store)
        return oom(w);
    return append(w, store, &it, replace);
}

static xporta_status archived(struct pmap_w *w, const xporta_record *rec,
                              bool replace, const char **why)
{
    const xp_elem *fw = xp_elem_child(rec->payload, XP_NS_FORWARD, "forwarded");
    const xp_elem *msg = fw ? xp_elem_first_element(fw) : NULL;
    while (msg && xp_elem_is(msg, XP_NS_DELAY, "delay"))
        msg = xp_elem_next_element(msg);
    const xp_elem *delay = fw ? xp_elem_child(fw, XP_NS_DELAY, "delay") : NULL;
    struct pitem it = {.key = rec->key};
    if (!msg || !delay ||
        !pmap_parse_time(xp_elem_attr_ns(delay, "", "stamp"), &it.when)) {
        *why = "an archived message without a message or a valid time";
        return XPORTA_EUNSUPPORTED;
    }
    it.stanza = xp_elem_clone(&w->ia, msg);
    if (!it.stanza)
        return oom(w);
    it.stanza->ns = XP_NS_CLIENT;
    /* mod_mam's "with": the other party's bare JID */
    const char *from = xp_elem_attr_ns(msg, "", "from");
    const char *to = xp_elem_attr_ns(msg, "", "to");
    char *fb = from ? xp_jid_bare(&w->ia, from) : NULL;
    char *tb = to ? xp_jid_bare(&w->ia, to) : NULL;
    bool outgoing = fb && strcasecmp(fb, w->jid) == 0;
    it.with = outgoing ? (tb ? tb : "") : (fb ? fb : (tb ? tb : ""));
    return append(w, "archive", &it, replace);
}

static xporta_status offline(struct pmap_w *w, const xporta_record *rec)
{
    struct pitem it = {.with = "", .when = (double)w->now};
    it.stanza = xp_elem_clone(&w->ia, rec->payload);
    if (!it.stanza)
        return oom(w);
    it.stanza->ns = XP_NS_CLIENT;
    /* The server's "Offline Storage" delay becomes the item's time; mod_
     * offline adds it again when it delivers the message. */
    for (xp_elem *d = it.stanza->first; d; d = d->next) {
        if (!xp_elem_is(d, XP_NS_DELAY, "delay"))
            continue;
        const char *by = xp_elem_attr_ns(d, "", "from");
        double t;
        if ((!by || xp_streq(by, w->host)) &&
            pmap_parse_time(xp_elem_attr_ns(d, "", "stamp"), &t)) {
            it.when = t;
            xp_elem_unlink(d);
            break;
        }
    }
    return append(w, "offline", &it, false);
}

/* ---- dispatch and commit ------------------------------------------------- */

xporta_status pmap_w_record(struct pmap_w *w, const xporta_record *rec,
                            bool replace, const char **why)
{
    *why = NULL;
    const xp_elem *p = rec->payload;
    if (!p)
        return XPORTA_EINVAL;
    switch (rec->kind) {
    case XPORTA_KIND_CREDENTIALS:
        return credentials(w, p, why);
    case XPORTA_KIND_ROSTER:
        return roster_item(w, p);
    case XPORTA_KIND_PENDING:
        return pending(w, rec);
    case XPORTA_KIND_VCARD:
        return element_store(w, KV_VCARD, rec);
    case XPORTA_KIND_PRIVATE:
        return element_store(w, KV_PRIVATE, rec);
    case XPORTA_KIND_PRIVACY:
        return privacy(w, p, why);
    case XPORTA_KIND_BLOCKLIST:
        return blocklist(w, rec->key);
    case XPORTA_KIND_OFFLINE:
        return offline(w, rec);
    case XPORTA_KIND_PEP_NODE:
        return node_config(w, rec);
    case XPORTA_KIND_PEP_AFFILIATIONS:
        return node_set(w, rec, true);
    case XPORTA_KIND_PEP_SUBSCRIPTIONS:
        return node_set(w, rec, false);
    case XPORTA_KIND_PEP_ITEM:
        return pep_item(w, rec, replace, why);
    case XPORTA_KIND_ARCHIVE:
        return archived(w, rec, replace, why);
    case XPORTA_KIND_MAM_PREFS:
        return prefs(w, p);
    default:
        *why = "Prosody has no store for it";
        return XPORTA_EUNSUPPORTED;
    }
}

xporta_status pmap_w_commit(struct pmap_w *w)
{
    xporta_status st = resolve_password(w);
    if (!st && w->roster_changed) {
        /* A new roster version, so that clients holding the old one fetch
         * it again (XEP-0237). */
        struct pv *roster, *meta;
        if ((st = load(w, KV_ROSTER, &roster)))
            return st;
        if (!(meta = subtable(w, roster, pv_bool(false))) ||
            !subtable_s(w, meta, "pending"))
            return oom(w);
        const struct pv *ver = pv_get_s(meta, "version");
        long long v = ver && ver->t == PV_NUM
                          ? (ver->is_int ? ver->i : (long long)ver->n)
                          : 0;
        if (!pv_set_s(&w->a, meta, "version", pv_int(v + 1)))
            return oom(w);
        w->kv[KV_ROSTER].dirty = true;
    }
    for (int k = 0; !st && k < KV_COUNT; k++)
        if (w->kv[k].dirty)
            st = w->b->ops->set(w->b, kv_names[k], &w->kv[k].v);
    if (!st)
        st = w->b->ops->commit(w->b);
    if (!st)
        w->b = NULL; /* nothing left to roll back */
    return st;
}
