/*
 * Prosody's MUC rooms into xporta's room records (prosody_room.h has the
 * design note): the `config` store as the room's configuration form, its
 * affiliations and subject, and `muc_log` as its history.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../pie/pie.h"
#include "prosody_room_p.h"
#include "store.h"

/* _data key <-> muc#roomconfig field, as Prosody's owner form shows them
 * (muc/NAME.lib.lua: get_* and the muc-config-form hooks). */
const struct proom_field proom_fields[] = {
    {"muc#roomconfig_roomname", "name", RF_STR, NULL},
    {"muc#roomconfig_roomdesc", "description", RF_STR, NULL},
    {"muc#roomconfig_lang", "language", RF_STR, NULL},
    {"muc#roomconfig_persistentroom", "persistent", RF_BOOL, NULL},
    {"muc#roomconfig_publicroom", "hidden", RF_NOT, NULL},
    {"muc#roomconfig_membersonly", "members_only", RF_BOOL, NULL},
    {PROOM_OWN_INVITES, "allow_member_invites", RF_BOOL, NULL},
    {"muc#roomconfig_allowinvites", "allow_member_invites", RF_BOOL, NULL},
    {"muc#roomconfig_moderatedroom", "moderated", RF_BOOL, NULL},
    {"muc#roomconfig_changesubject", "changesubject", RF_BOOL, NULL},
    {"muc#roomconfig_whois", "whois", RF_STR, "moderators"},
    {"muc#roomconfig_roomsecret", "password", RF_STR, NULL},
    {"muc#roomconfig_passwordprotectedroom", "password", RF_SET, NULL},
    {"muc#roomconfig_historylength", "history_length", RF_INT, "20"},
    {"muc#roomconfig_defaulthistorymessages", "default_history_messages",
     RF_INT, "20"},
    {"muc#roomconfig_enablearchiving", "archiving", RF_BOOL, "1"},
    {"muc#roomconfig_presencebroadcast", "presence_broadcast", RF_ROLES, NULL},
    {NULL, NULL, RF_STR, NULL},
};

const struct proom_field *proom_field(const char *var)
{
    for (const struct proom_field *f = proom_fields; var && f->var; f++)
        if (strcmp(f->var, var) == 0)
            return f;
    return NULL;
}

bool proom_truthy(const char *v)
{
    return v && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
}

static bool add_field(struct xp_arena *a, xp_elem *x, const char *var,
                      const char *value)
{
    xp_elem *f = xp_elem_add_child(a, x, XP_NS_DATA, "field");
    return f && xp_elem_set_attr(a, f, "", "var", var) &&
           xp_elem_add_text_child(a, f, XP_NS_DATA, "value", value);
}

/* The value Prosody's form shows for `f` (NULL: no field), in `a`. */
const char *proom_form_value(struct xp_arena *a, const struct pv *data,
                             const struct proom_field *f)
{
    const struct pv *v = pv_get_s(data, f->key);
    switch (f->type) {
    case RF_STR:
        if (v && v->t == PV_STR && v->len)
            return v->s;
        return f->def;
    case RF_BOOL:
        if (v && v->t == PV_BOOL)
            return v->b ? "1" : "0";
        if (v && v->t != PV_NIL)
            return "1"; /* Lua: anything but nil and false is true */
        return f->def ? f->def : "0";
    case RF_NOT:
        return v && v->t != PV_NIL && !(v->t == PV_BOOL && !v->b) ? "0" : "1";
    case RF_SET:
        return v && v->t == PV_STR && v->len ? "1" : "0";
    case RF_INT:
        if (v && v->t == PV_NUM)
            return xp_arena_printf(a, "%lld",
                                   v->is_int ? v->i : (long long)v->n);
        return f->def;
    case RF_ROLES:
        return NULL; /* several values: proom_config_form */
    }
    return NULL;
}

xp_elem *proom_config_form(struct xp_arena *a, const struct pv *data)
{
    xp_elem *x = xp_elem_new(a, XP_NS_DATA, "x");
    if (!x || !xp_elem_set_attr(a, x, "", "type", "submit"))
        return NULL;
    xp_elem *ft = xp_elem_add_child(a, x, XP_NS_DATA, "field");
    if (!ft || !xp_elem_set_attr(a, ft, "", "var", "FORM_TYPE") ||
        !xp_elem_set_attr(a, ft, "", "type", "hidden") ||
        !xp_elem_add_text_child(a, ft, XP_NS_DATA, "value",
                                XP_NS_MUC_ROOMCONFIG))
        return NULL;
    for (const struct proom_field *f = proom_fields; f->var; f++) {
        if (f->type == RF_ROLES) {
            const struct pv *roles = pv_get_s(data, f->key);
            if (!pv_is_table(roles))
                continue;
            xp_elem *fe = xp_elem_add_child(a, x, XP_NS_DATA, "field");
            if (!fe || !xp_elem_set_attr(a, fe, "", "var", f->var))
                return NULL;
            /* a set { role = true }, in a fixed order */
            static const char *const order[] = {"moderator", "participant",
                                                "visitor"};
            for (size_t i = 0; i < 3; i++) {
                const struct pv *on = pv_get_s(roles, order[i]);
                if (on && !(on->t == PV_BOOL && !on->b) && on->t != PV_NIL &&
                    !xp_elem_add_text_child(a, fe, XP_NS_DATA, "value",
                                            order[i]))
                    return NULL;
            }
            continue;
        }
        const char *val = proom_form_value(a, data, f);
        if (val && !add_field(a, x, f->var, val))
            return NULL;
    }
    return x;
}

/* ---- reading ------------------------------------------------------------ */

struct rr {
    struct pbe *b;
    const char *service, *node, *jid;
    const struct store_sink *sink;
    struct xp_arena ra; /* one record */
};

static xporta_status oom(struct rr *r)
{
    return xp_fail(&r->b->run->err, XPORTA_ENOMEM, "out of memory");
}

static xporta_status emit(struct rr *r, xporta_kind kind, xp_elem *payload,
                          const char *key)
{
    xporta_record rec;
    memset(&rec, 0, sizeof rec);
    rec.kind = kind;
    rec.payload = payload;
    rec.key = key;
    rec.file = r->b->where;
    xporta_status st = r->sink->record(r->sink->ud, &rec);
    xp_arena_reset(&r->ra);
    return st;
}

static const char *const affiliations[] = {"owner", "admin", "member",
                                           "outcast"};

static bool is_affiliation(const struct pv *v)
{
    for (size_t i = 0; v && v->t == PV_STR && i < 4; i++)
        if (strcmp(v->s, affiliations[i]) == 0)
            return true;
    return false;
}

/* restore_room: a top-level key whose host does not begin with "_", with
 * no resource, and a string value. */
static bool affiliation_key(const struct pv *k)
{
    if (k->t != PV_STR || !k->len || k->s[0] == '_' || strchr(k->s, '/'))
        return false;
    const char *at = strchr(k->s, '@');
    return (at ? at[1] : k->s[0]) != '_';
}

static xporta_status affiliation(struct rr *r, const char *jid, const char *aff,
                                 const struct pv *adata)
{
    const struct pv *d = pv_get_s(adata, jid);
    const char *nick = pv_str_at(d, "reserved_nickname");
    xp_elem *it = xp_elem_new(&r->ra, XP_NS_MUC_USER, "item");
    if (!it || !xp_elem_set_attr(&r->ra, it, "", "jid", jid) ||
        !xp_elem_set_attr(&r->ra, it, "", "affiliation", aff) ||
        (nick && *nick && !xp_elem_set_attr(&r->ra, it, "", "nick", nick)))
        return oom(r);
    char *key = xp_arena_printf(&r->ra, "%s", jid);
    return key ? emit(r, XPORTA_KIND_ROOM_AFFILIATION, it, key) : oom(r);
}

static xporta_status read_config(struct rr *r, const struct pv *cfg,
                                 uint32_t kinds)
{
    const struct pv *data = pv_get_s(cfg, "_data");
    struct pv empty = pv_table();
    if (!pv_is_table(data))
        data = &empty;
    xporta_status st = XPORTA_OK;
    if (kinds & (1u << XPORTA_KIND_ROOM_CONFIG)) {
        xp_elem *x = proom_config_form(&r->ra, data);
        if (!x)
            return oom(r);
        st = emit(r, XPORTA_KIND_ROOM_CONFIG, x, "config");
    }
    if (!st && (kinds & (1u << XPORTA_KIND_ROOM_AFFILIATION))) {
        const struct pv *adata = pv_get_s(cfg, "_affiliation_data");
        for (const struct pv_field *f = cfg->first; !st && f; f = f->next)
            if (affiliation_key(&f->k) && is_affiliation(&f->v))
                st = affiliation(r, f->k.s, f->v.s, adata);
        /* the old format */
        const struct pv *old = pv_get_s(cfg, "_affiliations");
        for (const struct pv_field *f = pv_is_table(old) ? old->first : NULL;
             !st && f; f = f->next)
            if (f->k.t == PV_STR && is_affiliation(&f->v) &&
                !pv_get(cfg, &f->k))
                st = affiliation(r, f->k.s, f->v.s, adata);
    }
    const char *subject = pv_str_at(data, "subject");
    if (!st && subject && *subject &&
        (kinds & (1u << XPORTA_KIND_ROOM_SUBJECT))) {
        const char *from = pv_str_at(data, "subject_from");
        const struct pv *when = pv_get_s(data, "subject_time");
        xp_elem *m = xp_elem_new(&r->ra, XP_NS_CLIENT, "message");
        if (!m || !xp_elem_set_attr(&r->ra, m, "", "type", "groupchat") ||
            !xp_elem_set_attr(&r->ra, m, "", "from", from ? from : r->jid) ||
            !xp_elem_add_text_child(&r->ra, m, XP_NS_CLIENT, "subject",
                                    subject))
            return oom(r);
        if (when && when->t == PV_NUM) {
            char *stamp = pmap_format_time(
                &r->ra, when->is_int ? (double)when->i : when->n);
            xp_elem *d = xp_elem_add_child(&r->ra, m, XP_NS_DELAY, "delay");
            if (!stamp || !d ||
                !xp_elem_set_attr(&r->ra, d, "", "stamp", stamp))
                return oom(r);
        }
        st = emit(r, XPORTA_KIND_ROOM_SUBJECT, m, "subject");
    }
    return st;
}

static xporta_status on_item(void *ud, const struct pitem *it)
{
    struct rr *r = ud;
    if (it->with && strncmp(it->with, "message<", 8) != 0)
        return XPORTA_OK; /* not what mod_muc_mam shows */
    xp_elem *s = it->stanza;
    xp_elem_remove_attr(s, "", "stamp"); /* the internal storage's */
    xp_elem_remove_attr(s, "", "stamp_legacy");
    char *stamp = pmap_format_time(&r->ra, it->when);
    xp_elem *res = xp_elem_new(&r->ra, XP_NS_MAM, "result");
    xp_elem *fw =
        res ? xp_elem_add_child(&r->ra, res, XP_NS_FORWARD, "forwarded") : NULL;
    xp_elem *d =
        fw ? xp_elem_add_child(&r->ra, fw, XP_NS_DELAY, "delay") : NULL;
    if (!stamp || !d || !xp_elem_set_attr(&r->ra, res, "", "id", it->key) ||
        !xp_elem_set_attr(&r->ra, d, "", "stamp", stamp))
        return oom(r);
    xp_elem_append(fw, s);
    return emit(r, XPORTA_KIND_ARCHIVE, res, it->key);
}

xporta_status proom_read(struct pbe *b, const char *service, const char *node,
                         uint32_t kinds, const struct store_sink *sink,
                         bool *skipped)
{
    struct rr r = {.b = b, .service = service, .node = node, .sink = sink};
    struct xp_arena a;
    xp_arena_init(&a, 0);
    xp_arena_init(&r.ra, 0);
    char *jid = xp_arena_printf(&a, "%s@%s", node, service);
    r.jid = jid;
    struct pv cfg;
    bool found = false;
    if (skipped)
        *skipped = false;
    xporta_status st = jid ? XPORTA_OK : oom(&r);
    if (!st)
        st = b->ops->get(b, service, node, "config", &a, &cfg, &found);
    const struct pv *data = found ? pv_get_s(&cfg, "_data") : NULL;
    if (!st && data && pv_get_s(data, "destroyed")) {
        if (skipped)
            *skipped = true; /* a tombstone: no room to move */
    } else if (!st) {
        if (sink->account)
            st = sink->account(sink->ud, jid);
        if (!st && found) /* no room yet: no configuration either */
            st = read_config(&r, &cfg, kinds);
        if (!st && (kinds & (1u << XPORTA_KIND_ARCHIVE)))
            st = b->ops->items(b, service, node, "muc_log", on_item, &r);
    }
    if (st && !b->run->err.status)
        xp_fail(&b->run->err, st, "%s: reading room %s failed", b->where,
                jid ? jid : node);
    xp_arena_cleanup(&r.ra);
    xp_arena_cleanup(&a);
    return st;
}

xporta_status proom_list(struct pbe *b, struct xp_strv *out)
{
    if (!b->ops->rooms)
        return XPORTA_OK;
    return b->ops->rooms(b, out);
}
