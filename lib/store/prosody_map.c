/*
 * Prosody's stores as xporta's records (prosody_store.h): the read side,
 * and what both sides share (times, node configurations).
 *
 * Every mapping below follows what Prosody 0.12's modules keep, read from
 * their sources and from data a real server wrote (tests/data/
 * prosody-internal): mod_auth_internal_hashed (accounts), rostermanager
 * (roster, with pending requests under [false]), mod_vcard (vcard),
 * mod_private (private, keyed "name:namespace"), mod_privacy_lists
 * (privacy), mod_blocklist (blocklist), mod_offline (the "offline"
 * archive), mod_pep (pep: node configuration, affiliations, subscribers;
 * items in the "pep_NODE" archives, keyed by item id, with the
 * publisher), mod_mam (archive, archive_prefs).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "prosody_map_p.h"
#include "store.h"

/* ---- times ------------------------------------------------------------- */

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant's
 * days_from_civil): timegm() without _DEFAULT_SOURCE. */
static long long days_from_civil(long long y, int m, int d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

bool pmap_parse_time(const char *s, double *out)
{
    struct tm tm = {0};
    int n = 0;
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
                     &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6)
        return false;
    const char *p = s + n;
    double frac = 0;
    if (*p == '.') {
        double scale = 0.1;
        p++;
        if (*p < '0' || *p > '9')
            return false;
        while (*p >= '0' && *p <= '9') {
            frac += (*p++ - '0') * scale;
            scale /= 10;
        }
    }
    long off = 0;
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int hh, mm;
        if (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2)
            return false;
        off = (hh * 3600L + mm * 60L) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return false;
    }
    if (*p || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
        tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
        return false;
    long long t = days_from_civil(tm.tm_year, tm.tm_mon, tm.tm_mday) * 86400 +
                  tm.tm_hour * 3600LL + tm.tm_min * 60LL + tm.tm_sec;
    *out = (double)t - (double)off + frac;
    return true;
}

char *pmap_format_time(struct xp_arena *a, double t)
{
    time_t s = (time_t)t;
    struct tm tm;
    char buf[40];
    if (!gmtime_r(&s, &tm) ||
        !strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm))
        return NULL;
    return xp_arena_strdup(a, buf);
}

/* ---- node configuration ------------------------------------------------ */

/* pubsub.lib.lua's node_config_form: the field, the key in the stored
 * config, its type. */
const struct pmap_field pmap_node_fields[] = {
    {"pubsub#title", "title", PF_STR},
    {"pubsub#description", "description", PF_STR},
    {"pubsub#type", "payload_type", PF_STR},
    {"pubsub#max_items", "max_items", PF_MAX},
    {"pubsub#persist_items", "persist_items", PF_BOOL},
    {"pubsub#access_model", "access_model", PF_STR},
    {"pubsub#publish_model", "publish_model", PF_STR},
    {"pubsub#send_last_published_item", "send_last_published_item", PF_STR},
    {"pubsub#deliver_notifications", "notify_items", PF_BOOL},
    {"pubsub#deliver_payloads", "include_payload", PF_BOOL},
    {"pubsub#notification_type", "notification_type", PF_STR},
    {"pubsub#notify_delete", "notify_delete", PF_BOOL},
    {"pubsub#notify_retract", "notify_retract", PF_BOOL},
    {NULL, NULL, PF_STR},
};

/* ---- the stores ---------------------------------------------------------- */

bool pmap_known_store(const char *store)
{
    static const char *const known[] = {
        "accounts",
        "roster",
        "vcard",
        "private",
        "privacy",
        "blocklist",
        "pep",
        "archive",
        "archive_prefs",
        "offline",
        /* mod_muc's rooms (prosody_room.c) */
        "config",
        "persistent",
        "muc_log",
    };
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (strcmp(store, known[i]) == 0)
            return true;
    return strncmp(store, "pep_", 4) == 0;
}

/* ---- reading ----------------------------------------------------------- */

struct rd {
    struct pbe *b;
    const char *host, *user, *jid;
    uint32_t kinds;
    const struct store_sink *sink;
    struct xp_arena a;  /* the store being read */
    struct xp_arena ra; /* the record being built, reset after each */
    unsigned long seq;  /* offline messages: 1, 2, ... */
    const char *node;   /* pep items: the node */
    const char *store;
};

/* Whether XML can carry the element: Lua strings and JSON can hold any
 * byte, a XEP-0227 file cannot. */
static bool tree_ok(const xp_elem *e, unsigned depth)
{
    if (depth > 256)
        return false;
    if (!e->name)
        return xp_xml_text_ok(e->text, e->text_len);
    for (unsigned i = 0; i < e->nattrs; i++)
        if (!xp_xml_text_ok(e->attrs[i].value, strlen(e->attrs[i].value)))
            return false;
    for (const xp_elem *c = e->first; c; c = c->next)
        if (!tree_ok(c, depth + 1))
            return false;
    return true;
}

static xporta_status emit(struct rd *r, xporta_kind kind, xp_elem *payload,
                          const char *key)
{
    if (!tree_ok(payload, 0))
        return xp_fail(&r->b->run->err, XPORTA_EFORMAT,
                       "%s: %s of %s: text XML cannot carry (not UTF-8, or a "
                       "control character)",
                       r->b->where, xp_kind_info(kind)->name, r->jid);
    xporta_record rec;
    memset(&rec, 0, sizeof rec);
    rec.kind = kind;
    rec.payload = payload;
    rec.key = key;
    rec.file = r->b->where;
    if (key == NULL || kind == XPORTA_KIND_PEP_ITEM)
        xp_record_derive_key(&r->ra, &rec);
    if (kind == XPORTA_KIND_PEP_ITEM)
        rec.key = key;
    if (!rec.key || !*rec.key)
        return xp_fail(&r->b->run->err, XPORTA_EFORMAT,
                       "%s: %s of %s: a record without a key", r->b->where,
                       xp_kind_info(kind)->name, r->jid);
    xporta_status st = r->sink->record(r->sink->ud, &rec);
    xp_arena_reset(&r->ra);
    return st;
}

static bool wants(const struct rd *r, xporta_kind k)
{
    return r->kinds & (1u << k);
}

static xporta_status oom(struct rd *r)
{
    return xp_fail(&r->b->run->err, XPORTA_ENOMEM, "out of memory");
}

/* A store's value that is not what the module writes. */
static xporta_status bad(struct rd *r, const char *store, const char *what)
{
    return xp_fail(&r->b->run->err, XPORTA_EFORMAT, "%s: store %s of %s: %s",
                   r->b->where, store, r->jid, what);
}

static xporta_status get(struct rd *r, const char *store, struct pv *v,
                         bool *found)
{
    return r->b->ops->get(r->b, r->host, r->user, store, &r->a, v, found);
}

static char *hex_to_b64(struct xp_arena *a, const char *hex)
{
    size_t n = strlen(hex) / 2;
    unsigned char raw[128];
    if (strlen(hex) % 2 || n > sizeof raw)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return NULL;
        raw[i] = (unsigned char)v;
    }
    char *out = xp_arena_alloc(a, xp_b64_encoded_len(n) + 1);
    if (out)
        xp_b64_encode(raw, n, out);
    return out;
}

static xporta_status read_accounts(struct rd *r)
{
    struct pv v;
    bool found;
    xporta_status st = get(r, "accounts", &v, &found);
    if (st || !found)
        return st;
    const char *pw = pv_str_at(&v, "password");
    const char *sk = pv_str_at(&v, "stored_key");
    const char *svk = pv_str_at(&v, "server_key");
    const struct pv *salt = pv_get_s(&v, "salt");
    const struct pv *ic = pv_get_s(&v, "iteration_count");
    if (pw) {
        xp_elem *e = xp_elem_new(&r->ra, XP_NS_PIE, "password");
        if (!e || !xp_elem_add_text(&r->ra, e, pw, strlen(pw)))
            return oom(r);
        if ((st = emit(r, XPORTA_KIND_CREDENTIALS, e, NULL)))
            return st;
    }
    if (sk || svk || salt || ic) {
        if (!sk || !svk || !salt || salt->t != PV_STR || !ic || ic->t != PV_NUM)
            return bad(r, "accounts", "incomplete SCRAM credentials");
        char *sk64 = hex_to_b64(&r->ra, sk), *svk64 = hex_to_b64(&r->ra, svk);
        char *salt64 =
            xp_arena_alloc(&r->ra, xp_b64_encoded_len(salt->len) + 1);
        if (!sk64 || !svk64)
            return bad(r, "accounts", "a SCRAM key that is not hexadecimal");
        if (!salt64)
            return oom(r);
        xp_b64_encode((const unsigned char *)salt->s, salt->len, salt64);
        xp_elem *e = xp_elem_new(&r->ra, XP_NS_PIE_SCRAM, "scram-credentials");
        char iter[32];
        snprintf(iter, sizeof iter, "%lld",
                 ic->is_int ? ic->i : (long long)ic->n);
        if (!e ||
            !xp_elem_set_attr(&r->ra, e, "", "mechanism", "SCRAM-SHA-1") ||
            !xp_elem_add_text_child(&r->ra, e, XP_NS_PIE_SCRAM, "iter-count",
                                    iter) ||
            !xp_elem_add_text_child(&r->ra, e, XP_NS_PIE_SCRAM, "salt",
                                    salt64) ||
            !xp_elem_add_text_child(&r->ra, e, XP_NS_PIE_SCRAM, "server-key",
                                    svk64) ||
            !xp_elem_add_text_child(&r->ra, e, XP_NS_PIE_SCRAM, "stored-key",
                                    sk64))
            return oom(r);
        if ((st = emit(r, XPORTA_KIND_CREDENTIALS, e, NULL)))
            return st;
    }
    return XPORTA_OK;
}

static xporta_status read_roster(struct rd *r)
{
    struct pv v;
    bool found;
    xporta_status st = get(r, "roster", &v, &found);
    if (st || !found)
        return st;
    if (!pv_is_table(&v))
        return bad(r, "roster", "not a table");
    for (const struct pv_field *f = v.first; f && wants(r, XPORTA_KIND_ROSTER);
         f = f->next) {
        if (f->k.t != PV_STR)
            continue; /* [false]: the version and the pending requests */
        const struct pv *it = &f->v;
        if (!pv_is_table(it))
            return bad(r, "roster", "an item that is not a table");
        xp_elem *e = xp_elem_new(&r->ra, XP_NS_ROSTER, "item");
        const char *sub = pv_str_at(it, "subscription");
        const char *name = pv_str_at(it, "name");
        const char *ask = pv_str_at(it, "ask");
        if (!e || !xp_elem_set_attr(&r->ra, e, "", "jid", f->k.s) ||
            !xp_elem_set_attr(&r->ra, e, "", "subscription",
                              sub ? sub : "none") ||
            (name && !xp_elem_set_attr(&r->ra, e, "", "name", name)) ||
            (ask && !xp_elem_set_attr(&r->ra, e, "", "ask", ask)))
            return oom(r);
        const struct pv *groups = pv_get_s(it, "groups");
        if (pv_is_table(groups))
            for (const struct pv_field *g = groups->first; g; g = g->next)
                if (g->k.t == PV_STR &&
                    !xp_elem_add_text_child(&r->ra, e, XP_NS_ROSTER, "group",
                                            g->k.s))
                    return oom(r);
        if ((st = emit(r, XPORTA_KIND_ROSTER, e, NULL)))
            return st;
    }
    if (!wants(r, XPORTA_KIND_PENDING))
        return XPORTA_OK;
    const struct pv *meta = pv_get_b(&v, false);
    const struct pv *pending = meta ? pv_get_s(meta, "pending") : NULL;
    if (!pv_is_table(pending))
        return XPORTA_OK;
    for (const struct pv_field *f = pending->first; f; f = f->next) {
        if (f->k.t != PV_STR)
            continue;
        xp_elem *e = NULL;
        const char *why;
        if (pv_is_table(&f->v)) {
            e = pv_to_elem(&r->ra, &f->v, XP_NS_CLIENT, &why);
            if (!e && why)
                return bad(r, "roster", why);
        } else {
            e = xp_elem_new(&r->ra, XP_NS_CLIENT, "presence");
            if (e && !xp_elem_set_attr(&r->ra, e, "", "type", "subscribe"))
                e = NULL;
        }
        if (!e)
            return oom(r);
        if (!xp_elem_attr_ns(e, "", "from") &&
            !xp_elem_set_attr(&r->ra, e, "", "from", f->k.s))
            return oom(r);
        xp_elem_remove_attr(e, "", "to");
        if ((st = emit(r, XPORTA_KIND_PENDING, e, NULL)))
            return st;
    }
    return XPORTA_OK;
}

/* A key-value store holding one element (vcard) or elements by key. */
static xporta_status read_elements(struct rd *r, const char *store,
                                   xporta_kind kind)
{
    struct pv v;
    bool found;
    xporta_status st = get(r, store, &v, &found);
    if (st || !found)
        return st;
    const char *why;
    if (kind == XPORTA_KIND_VCARD) {
        xp_elem *e = pv_to_elem(&r->ra, &v, XP_NS_VCARD, &why);
        if (!e)
            return why ? bad(r, store, why) : oom(r);
        return emit(r, kind, e, NULL);
    }
    if (!pv_is_table(&v))
        return bad(r, store, "not a table");
    for (const struct pv_field *f = v.first; f; f = f->next) {
        xp_elem *e = pv_to_elem(&r->ra, &f->v, "", &why);
        if (!e)
            return why ? bad(r, store, why) : oom(r);
        if ((st = emit(r, kind, e, NULL)))
            return st;
    }
    return XPORTA_OK;
}

static xporta_status read_privacy(struct rd *r)
{
    struct pv v;
    bool found;
    xporta_status st = get(r, "privacy", &v, &found);
    if (st || !found)
        return st;
    const struct pv *lists = pv_get_s(&v, "lists");
    const char *def = pv_str_at(&v, "default");
    if (pv_is_table(lists))
        for (const struct pv_field *f = lists->first; f; f = f->next) {
            const struct pv *l = &f->v;
            const char *name = pv_str_at(l, "name");
            if (!name && f->k.t == PV_STR)
                name = f->k.s;
            if (!name)
                return bad(r, "privacy", "a list without a name");
            xp_elem *e = xp_elem_new(&r->ra, XP_NS_PRIVACY, "list");
            if (!e || !xp_elem_set_attr(&r->ra, e, "", "name", name))
                return oom(r);
            const struct pv *items = pv_get_s(l, "items");
            size_t n = pv_len(items);
            for (size_t i = 1; i <= n; i++) {
                const struct pv *it = pv_get_i(items, (long long)i);
                xp_elem *ie =
                    xp_elem_add_child(&r->ra, e, XP_NS_PRIVACY, "item");
                const struct pv *order = pv_get_s(it, "order");
                char ord[32];
                snprintf(ord, sizeof ord, "%lld",
                         order && order->t == PV_NUM
                             ? (order->is_int ? order->i : (long long)order->n)
                             : 0LL);
                const char *ty = pv_str_at(it, "type");
                const char *va = pv_str_at(it, "value");
                const char *ac = pv_str_at(it, "action");
                if (!ie ||
                    (ty && !xp_elem_set_attr(&r->ra, ie, "", "type", ty)) ||
                    (va && !xp_elem_set_attr(&r->ra, ie, "", "value", va)) ||
                    !xp_elem_set_attr(&r->ra, ie, "", "action",
                                      ac ? ac : "deny") ||
                    !xp_elem_set_attr(&r->ra, ie, "", "order", ord))
                    return oom(r);
                static const char *const what[] = {
                    "message", "iq", "presence-in", "presence-out"};
                for (size_t w = 0; w < 4; w++) {
                    const struct pv *b = pv_get_s(it, what[w]);
                    if (b && b->t == PV_BOOL && b->b &&
                        !xp_elem_add_child(&r->ra, ie, XP_NS_PRIVACY, what[w]))
                        return oom(r);
                }
            }
            if ((st = emit(r, XPORTA_KIND_PRIVACY, e, NULL)))
                return st;
        }
    if (def) {
        xp_elem *e = xp_elem_new(&r->ra, XP_NS_PRIVACY, "default");
        if (!e || !xp_elem_set_attr(&r->ra, e, "", "name", def))
            return oom(r);
        return emit(r, XPORTA_KIND_PRIVACY, e, NULL);
    }
    return XPORTA_OK;
}

static xporta_status read_blocklist(struct rd *r)
{
    struct pv v;
    bool found;
    xporta_status st = get(r, "blocklist", &v, &found);
    if (st || !found)
        return st;
    for (const struct pv_field *f = v.first; f; f = f->next) {
        if (f->k.t != PV_STR)
            continue;
        xp_elem *e = xp_elem_new(&r->ra, XP_NS_BLOCKING, "item");
        if (!e || !xp_elem_set_attr(&r->ra, e, "", "jid", f->k.s))
            return oom(r);
        if ((st = emit(r, XPORTA_KIND_BLOCKLIST, e, NULL)))
            return st;
    }
    return XPORTA_OK;
}

static xporta_status read_prefs(struct rd *r)
{
    struct pv v;
    bool found;
    xporta_status st = get(r, "archive_prefs", &v, &found);
    if (st || !found)
        return st;
    xp_elem *e = xp_elem_new(&r->ra, XP_NS_MAM, "prefs");
    const struct pv *def = pv_get_b(&v, false);
    const char *d = !def                               ? "always"
                    : def->t == PV_STR                 ? def->s
                    : def->t == PV_BOOL && def->b == 0 ? "never"
                                                       : "always";
    if (!e || !xp_elem_set_attr(&r->ra, e, "", "default", d))
        return oom(r);
    xp_elem *always = xp_elem_add_child(&r->ra, e, XP_NS_MAM, "always");
    xp_elem *never = xp_elem_add_child(&r->ra, e, XP_NS_MAM, "never");
    if (!always || !never)
        return oom(r);
    for (const struct pv_field *f = v.first; f; f = f->next)
        if (f->k.t == PV_STR && f->v.t == PV_BOOL &&
            !xp_elem_add_text_child(&r->ra, f->v.b ? always : never, XP_NS_MAM,
                                    "jid", f->k.s))
            return oom(r);
    return emit(r, XPORTA_KIND_MAM_PREFS, e, NULL);
}

static xporta_status read_pep(struct rd *r)
{
    struct pv v;
    bool found;
    xporta_status st = get(r, "pep", &v, &found);
    if (st || !found)
        return st;
    for (const struct pv_field *f = v.first; f; f = f->next) {
        if (f->k.t != PV_STR)
            continue;
        const char *node = f->k.s;
        const struct pv *cfg = pv_get_s(&f->v, "config");
        if (wants(r, XPORTA_KIND_PEP_NODE)) {
            xp_elem *c = xp_elem_new(&r->ra, XP_NS_PUBSUB_OWNER, "configure");
            xp_elem *x =
                c ? xp_elem_add_child(&r->ra, c, XP_NS_DATA, "x") : NULL;
            xp_elem *ft =
                x ? xp_elem_add_child(&r->ra, x, XP_NS_DATA, "field") : NULL;
            if (!ft || !xp_elem_set_attr(&r->ra, c, "", "node", node) ||
                !xp_elem_set_attr(&r->ra, x, "", "type", "submit") ||
                !xp_elem_set_attr(&r->ra, ft, "", "var", "FORM_TYPE") ||
                !xp_elem_set_attr(&r->ra, ft, "", "type", "hidden") ||
                !xp_elem_add_text_child(
                    &r->ra, ft, XP_NS_DATA, "value",
                    "http://jabber.org/protocol/pubsub#node_config"))
                return oom(r);
            for (const struct pmap_field *pf = pmap_node_fields; pf->var;
                 pf++) {
                const struct pv *cv = pv_get_s(cfg, pf->key);
                char num[32];
                const char *val = NULL;
                if (!cv)
                    continue;
                if (cv->t == PV_STR)
                    val = cv->s;
                else if (cv->t == PV_BOOL)
                    val = cv->b ? "1" : "0";
                else if (cv->t == PV_NUM) {
                    snprintf(num, sizeof num, "%lld",
                             cv->is_int ? cv->i : (long long)cv->n);
                    val = num;
                }
                if (!val)
                    continue;
                xp_elem *fe = xp_elem_add_child(&r->ra, x, XP_NS_DATA, "field");
                if (!fe || !xp_elem_set_attr(&r->ra, fe, "", "var", pf->var) ||
                    !xp_elem_add_text_child(&r->ra, fe, XP_NS_DATA, "value",
                                            val))
                    return oom(r);
            }
            if ((st = emit(r, XPORTA_KIND_PEP_NODE, c, NULL)))
                return st;
        }
        const struct pv *affs = pv_get_s(&f->v, "affiliations");
        if (wants(r, XPORTA_KIND_PEP_AFFILIATIONS) && pv_is_table(affs) &&
            affs->count) {
            xp_elem *e =
                xp_elem_new(&r->ra, XP_NS_PUBSUB_OWNER, "affiliations");
            if (!e || !xp_elem_set_attr(&r->ra, e, "", "node", node))
                return oom(r);
            for (const struct pv_field *a = affs->first; a; a = a->next) {
                if (a->k.t != PV_STR || a->v.t != PV_STR)
                    continue;
                xp_elem *ae = xp_elem_add_child(&r->ra, e, XP_NS_PUBSUB_OWNER,
                                                "affiliation");
                if (!ae || !xp_elem_set_attr(&r->ra, ae, "", "jid", a->k.s) ||
                    !xp_elem_set_attr(&r->ra, ae, "", "affiliation", a->v.s))
                    return oom(r);
            }
            if ((st = emit(r, XPORTA_KIND_PEP_AFFILIATIONS, e, NULL)))
                return st;
        }
        const struct pv *subs = pv_get_s(&f->v, "subscribers");
        if (wants(r, XPORTA_KIND_PEP_SUBSCRIPTIONS) && pv_is_table(subs) &&
            subs->count) {
            xp_elem *e =
                xp_elem_new(&r->ra, XP_NS_PUBSUB_OWNER, "subscriptions");
            if (!e || !xp_elem_set_attr(&r->ra, e, "", "node", node))
                return oom(r);
            for (const struct pv_field *s = subs->first; s; s = s->next) {
                if (s->k.t != PV_STR)
                    continue;
                xp_elem *se = xp_elem_add_child(&r->ra, e, XP_NS_PUBSUB_OWNER,
                                                "subscription");
                if (!se || !xp_elem_set_attr(&r->ra, se, "", "jid", s->k.s) ||
                    !xp_elem_set_attr(&r->ra, se, "", "subscription",
                                      "subscribed"))
                    return oom(r);
            }
            if ((st = emit(r, XPORTA_KIND_PEP_SUBSCRIPTIONS, e, NULL)))
                return st;
        }
    }
    return XPORTA_OK;
}

/* An archive item's stanza loses what the storage added to it. */
static void strip_stamp(xp_elem *e)
{
    xp_elem_remove_attr(e, "", "stamp");
    xp_elem_remove_attr(e, "", "stamp_legacy");
}

static xporta_status on_item(void *ud, const struct pitem *it)
{
    struct rd *r = ud;
    xp_elem *s = it->stanza;
    strip_stamp(s);
    xp_elem *payload;
    xporta_kind kind;
    const char *key = NULL;
    char seq[32];
    char *stamp = pmap_format_time(&r->ra, it->when);
    if (!stamp)
        return oom(r);
    if (strcmp(r->store, "archive") == 0) {
        kind = XPORTA_KIND_ARCHIVE;
        payload = xp_elem_new(&r->ra, XP_NS_MAM, "result");
        xp_elem *fw = payload ? xp_elem_add_child(&r->ra, payload,
                                                  XP_NS_FORWARD, "forwarded")
                              : NULL;
        xp_elem *d =
            fw ? xp_elem_add_child(&r->ra, fw, XP_NS_DELAY, "delay") : NULL;
        if (!d || !xp_elem_set_attr(&r->ra, payload, "", "id", it->key) ||
            !xp_elem_set_attr(&r->ra, d, "", "stamp", stamp))
            return oom(r);
        xp_elem_append(fw, s);
    } else if (strcmp(r->store, "offline") == 0) {
        kind = XPORTA_KIND_OFFLINE;
        payload = s;
        xp_elem *d = xp_elem_add_child(&r->ra, s, XP_NS_DELAY, "delay");
        if (!d || !xp_elem_set_attr(&r->ra, d, "", "from", r->host) ||
            !xp_elem_set_attr(&r->ra, d, "", "stamp", stamp) ||
            !xp_elem_add_text(&r->ra, d, "Offline Storage", 15))
            return oom(r);
        snprintf(seq, sizeof seq, "%lu", ++r->seq);
        key = seq;
    } else {
        kind = XPORTA_KIND_PEP_ITEM;
        payload = xp_elem_new(&r->ra, XP_NS_PUBSUB, "item");
        if (!payload || !xp_elem_set_attr(&r->ra, payload, "", "id", it->key))
            return oom(r);
        if (it->with && *it->with && strcmp(it->with, r->jid) != 0 &&
            !xp_elem_set_attr(&r->ra, payload, "", "publisher", it->with))
            return oom(r);
        xp_elem_append(payload, s);
        key = r->node;
    }
    return emit(r, kind, payload, key);
}

static xporta_status read_archive(struct rd *r, const char *store,
                                  const char *node)
{
    r->store = store;
    r->node = node;
    return r->b->ops->items(r->b, r->host, r->user, store, on_item, r);
}

xporta_status pmap_read(struct pbe *b, const char *host, const char *user,
                        uint32_t kinds, const struct store_sink *sink)
{
    struct rd r = {
        .b = b, .host = host, .user = user, .kinds = kinds, .sink = sink};
    xp_arena_init(&r.a, 0);
    xp_arena_init(&r.ra, 0);
    char *jid = xp_strcat(user, "@");
    char *full = jid ? xp_strcat(jid, host) : NULL;
    free(jid);
    r.jid = full;
    xporta_status st = full ? XPORTA_OK : XPORTA_ENOMEM;
    struct xp_strv stores = {0};
    if (!st && sink->account)
        st = sink->account(sink->ud, full);
#define STEP(kind, call)            \
    do {                            \
        if (!st && wants(&r, kind)) \
            st = (call);            \
        xp_arena_reset(&r.a);       \
    } while (0)
    STEP(XPORTA_KIND_CREDENTIALS, read_accounts(&r));
    if (!st &&
        (wants(&r, XPORTA_KIND_ROSTER) || wants(&r, XPORTA_KIND_PENDING)))
        st = read_roster(&r);
    xp_arena_reset(&r.a);
    STEP(XPORTA_KIND_VCARD, read_elements(&r, "vcard", XPORTA_KIND_VCARD));
    STEP(XPORTA_KIND_PRIVATE,
         read_elements(&r, "private", XPORTA_KIND_PRIVATE));
    STEP(XPORTA_KIND_PRIVACY, read_privacy(&r));
    STEP(XPORTA_KIND_BLOCKLIST, read_blocklist(&r));
    if (!st && (kinds & ((1u << XPORTA_KIND_PEP_NODE) |
                         (1u << XPORTA_KIND_PEP_AFFILIATIONS) |
                         (1u << XPORTA_KIND_PEP_SUBSCRIPTIONS))))
        st = read_pep(&r);
    xp_arena_reset(&r.a);
    if (!st)
        st = b->ops->stores(b, host, user, &stores);
    for (size_t i = 0; !st && i < stores.n; i++) {
        const char *s = stores.v[i];
        if (strncmp(s, "pep_", 4) == 0 && wants(&r, XPORTA_KIND_PEP_ITEM))
            st = read_archive(&r, s, s + 4);
    }
    STEP(XPORTA_KIND_OFFLINE, xp_strv_has(&stores, "offline")
                                  ? read_archive(&r, "offline", NULL)
                                  : XPORTA_OK);
    STEP(XPORTA_KIND_ARCHIVE, xp_strv_has(&stores, "archive")
                                  ? read_archive(&r, "archive", NULL)
                                  : XPORTA_OK);
    STEP(XPORTA_KIND_MAM_PREFS, read_prefs(&r));
#undef STEP
    if (st && !b->run->err.status)
        xp_fail(&b->run->err, st, "%s: reading %s failed", b->where, full);
    xp_strv_cleanup(&stores);
    xp_arena_cleanup(&r.a);
    xp_arena_cleanup(&r.ra);
    free(full);
    return st;
}
