/*
 * xporta's room records into Prosody's MUC stores (prosody_room.h has the
 * design note): one room at a time, merged into what the room holds (a
 * field, an affiliation or a subject the record does not name stays as it
 * is; nothing is ever deleted).  The config is read once, changed in
 * memory and set at commit; history items go to muc_log as they come.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "prosody_room_p.h"

struct proom_w {
    struct pbe *b;
    char *service, *node, *jid;
    struct xp_arena a;  /* the config, for the whole room */
    struct xp_arena ia; /* one history item */
    struct pv cfg;
    bool found, dirty;
    long long now;
    unsigned long old_items;
};

static xporta_status oom(struct proom_w *w)
{
    return xp_fail(&w->b->run->err, XPORTA_ENOMEM, "out of memory");
}

xporta_status proom_w_begin(struct proom_w **out, struct pbe *b,
                            const char *service, const char *node)
{
    struct proom_w *w = calloc(1, sizeof *w);
    if (!w)
        return xp_fail(&b->run->err, XPORTA_ENOMEM, "out of memory");
    w->b = b;
    xp_arena_init(&w->a, 0);
    xp_arena_init(&w->ia, 0);
    w->now = (long long)time(NULL);
    w->service = xp_strdup(service);
    w->node = xp_strdup(node);
    char *at = xp_strcat(node, "@");
    w->jid = at ? xp_strcat(at, service) : NULL;
    free(at);
    xporta_status st = w->service && w->node && w->jid ? XPORTA_OK : oom(w);
    if (!st)
        st = b->ops->get(b, service, node, "config", &w->a, &w->cfg, &w->found);
    if (!st && (!w->found || w->cfg.t != PV_TABLE)) {
        w->cfg = pv_table();
        w->found = false;
    }
    if (!st)
        st = b->ops->begin(b, service, node);
    if (st) {
        w->b = NULL; /* nothing begun to roll back */
        proom_w_free(w);
        return st;
    }
    *out = w;
    return XPORTA_OK;
}

void proom_w_free(struct proom_w *w)
{
    if (!w)
        return;
    if (w->b)
        w->b->ops->rollback(w->b);
    xp_arena_cleanup(&w->a);
    xp_arena_cleanup(&w->ia);
    free(w->service);
    free(w->node);
    free(w->jid);
    free(w);
}

unsigned long proom_w_old_items(const struct proom_w *w)
{
    return w ? w->old_items : 0;
}

static bool sdup(struct proom_w *w, const char *s, struct pv *out)
{
    return pv_str_dup(&w->a, s, strlen(s), out);
}

/* cfg[k] as a table, created when absent. */
static struct pv *subtable(struct proom_w *w, struct pv *t, const char *k)
{
    const struct pv *v = pv_get_s(t, k);
    if (!pv_is_table(v)) {
        struct pv key;
        if (!sdup(w, k, &key) || !pv_set(&w->a, t, key, pv_table()))
            return NULL;
        v = pv_get_s(t, k);
    }
    return (struct pv *)v;
}

static bool set_s(struct proom_w *w, struct pv *t, const char *k, struct pv v)
{
    struct pv key;
    return sdup(w, k, &key) && pv_set(&w->a, t, key, v);
}

static bool set_str(struct proom_w *w, struct pv *t, const char *k,
                    const char *s)
{
    struct pv v;
    return sdup(w, s, &v) && set_s(w, t, k, v);
}

/* ---- the configuration form --------------------------------------------- */

static const char *field_value(const xp_elem *f)
{
    const xp_elem *v = xp_elem_child(f, XP_NS_DATA, "value");
    return v ? xp_elem_text(v) : "";
}

/* What the form asks of the field Prosody keeps under f->key. */
static bool apply_field(struct proom_w *w, struct pv *data,
                        const struct proom_field *f, const xp_elem *fe)
{
    const char *val = field_value(fe);
    switch (f->type) {
    case RF_STR:
        if (!*val || (f->def && strcmp(val, f->def) == 0))
            return set_s(w, data, f->key, pv_nil());
        return set_str(w, data, f->key, val);
    case RF_BOOL:
        if (strcmp(f->key, "archiving") == 0) /* mod_muc_mam keeps false */
            return set_s(w, data, f->key, pv_bool(proom_truthy(val)));
        return set_s(w, data, f->key,
                     proom_truthy(val) ? pv_bool(true) : pv_nil());
    case RF_NOT:
        return set_s(w, data, f->key,
                     proom_truthy(val) ? pv_nil() : pv_bool(true));
    case RF_SET:
        return true; /* follows the password */
    case RF_INT: {
        char *end;
        long long n = strtoll(val, &end, 10);
        if (!*val || *end || n < 0 || (f->def && n == atoll(f->def)))
            return set_s(w, data, f->key, pv_nil());
        return set_s(w, data, f->key, pv_int(n));
    }
    case RF_ROLES: {
        struct pv set = pv_table();
        for (const xp_elem *v = xp_elem_first_element(fe); v;
             v = xp_elem_next_element(v)) {
            const char *role = xp_elem_text(v);
            if (xp_elem_is(v, XP_NS_DATA, "value") &&
                (strcmp(role, "moderator") == 0 ||
                 strcmp(role, "participant") == 0 ||
                 strcmp(role, "visitor") == 0) &&
                !set_s(w, &set, role, pv_bool(true)))
                return false;
        }
        return set_s(w, data, f->key, set);
    }
    }
    return true;
}

/* Whether the form names Prosody's own invite field (which then wins over
 * muc#roomconfig_allowinvites). */
static bool has_own_invites(const xp_elem *x)
{
    for (const xp_elem *f = xp_elem_first_element(x); f;
         f = xp_elem_next_element(f))
        if (xp_streq(xp_elem_attr_ns(f, "", "var"), PROOM_OWN_INVITES))
            return true;
    return false;
}

/* Fields the form takes into account (the others Prosody has no place
 * for, or derives: persistence, password protection). */
static const struct proom_field *mapped(const xp_elem *x, const xp_elem *fe)
{
    if (!xp_elem_is(fe, XP_NS_DATA, "field"))
        return NULL;
    const struct proom_field *f = proom_field(xp_elem_attr_ns(fe, "", "var"));
    if (!f || f->type == RF_SET || strcmp(f->key, "persistent") == 0)
        return NULL;
    if (strcmp(f->var, "muc#roomconfig_allowinvites") == 0 &&
        has_own_invites(x))
        return NULL;
    return f;
}

static struct pv *room_data(struct proom_w *w)
{
    struct pv *data = subtable(w, &w->cfg, "_data");
    if (data && !set_s(w, data, "persistent", pv_bool(true)))
        return NULL;
    return data;
}

static xporta_status config(struct proom_w *w, const xporta_record *rec,
                            const char **why)
{
    const xp_elem *x = rec->payload;
    if (!xp_elem_is(x, XP_NS_DATA, "x")) {
        *why = "a room configuration that is not a data form";
        return XPORTA_EUNSUPPORTED;
    }
    struct pv *data = room_data(w);
    if (!data)
        return oom(w);
    for (const xp_elem *fe = xp_elem_first_element(x); fe;
         fe = xp_elem_next_element(fe)) {
        const struct proom_field *f = mapped(x, fe);
        if (f && !apply_field(w, data, f, fe))
            return oom(w);
    }
    w->dirty = true;
    return XPORTA_OK;
}

/* Whether the set table `have` (absent: Prosody's default, every role)
 * holds exactly the roles of the list-multi field `fe`. */
static bool roles_equal(const struct pv *have, const xp_elem *fe)
{
    static const char *const roles[] = {"moderator", "participant", "visitor"};
    for (size_t i = 0; i < 3; i++) {
        bool want = false;
        for (const xp_elem *v = xp_elem_first_element(fe); v;
             v = xp_elem_next_element(v))
            if (xp_elem_is(v, XP_NS_DATA, "value") &&
                strcmp(xp_elem_text(v), roles[i]) == 0)
                want = true;
        const struct pv *on =
            pv_is_table(have) ? pv_get_s(have, roles[i]) : NULL;
        bool got = pv_is_table(have)
                       ? on && on->t != PV_NIL && !(on->t == PV_BOOL && !on->b)
                       : true;
        if (want != got)
            return false;
    }
    return true;
}

static bool config_holds(struct proom_w *w, const xporta_record *rec)
{
    const struct pv *data = pv_get_s(&w->cfg, "_data");
    struct pv empty = pv_table();
    if (!pv_is_table(data))
        data = &empty;
    const xp_elem *x = rec->payload;
    bool same = xp_elem_is(x, XP_NS_DATA, "x");
    for (const xp_elem *fe = same ? xp_elem_first_element(x) : NULL; same && fe;
         fe = xp_elem_next_element(fe)) {
        const struct proom_field *f = mapped(x, fe);
        if (!f)
            continue;
        if (f->type == RF_ROLES) {
            same = roles_equal(pv_get_s(data, f->key), fe);
            continue;
        }
        const char *have = proom_form_value(&w->ia, data, f);
        const char *want = field_value(fe);
        if (f->type == RF_BOOL || f->type == RF_NOT)
            same = proom_truthy(have) == proom_truthy(want);
        else if (f->type == RF_INT)
            same = atoll(have ? have : "0") ==
                   atoll(*want ? want : (f->def ? f->def : "0"));
        else
            same = xp_streq(have ? have : "",
                            *want ? want : (f->def ? f->def : ""));
    }
    xp_arena_reset(&w->ia);
    return same;
}

/* ---- affiliations and the subject --------------------------------------- */

static const char *affiliation_of(const xp_elem *it)
{
    const char *aff = xp_elem_attr_ns(it, "", "affiliation");
    static const char *const ok[] = {"owner", "admin", "member", "outcast"};
    for (size_t i = 0; aff && i < 4; i++)
        if (strcmp(aff, ok[i]) == 0)
            return ok[i];
    return NULL;
}

static xporta_status affiliation(struct proom_w *w, const xporta_record *rec,
                                 const char **why)
{
    const xp_elem *it = rec->payload;
    const char *aff = affiliation_of(it);
    const char *jid = xp_elem_attr_ns(it, "", "jid");
    char *bare = jid ? xp_jid_bare(&w->a, jid) : NULL;
    if (!aff || !bare || !*bare) {
        *why = "an affiliation Prosody does not keep (owner, admin, member "
               "or outcast of a JID)";
        return XPORTA_EUNSUPPORTED;
    }
    if (!room_data(w) || !set_str(w, &w->cfg, bare, aff))
        return oom(w);
    const char *nick = xp_elem_attr_ns(it, "", "nick");
    struct pv *adata = subtable(w, &w->cfg, "_affiliation_data");
    if (!adata)
        return oom(w);
    if (nick && *nick) {
        struct pv *d = subtable(w, adata, bare);
        if (!d || !set_str(w, d, "reserved_nickname", nick))
            return oom(w);
    }
    w->dirty = true;
    return XPORTA_OK;
}

static bool affiliation_holds(struct proom_w *w, const xporta_record *rec)
{
    const xp_elem *it = rec->payload;
    const char *jid = xp_elem_attr_ns(it, "", "jid");
    char *bare = jid ? xp_jid_bare(&w->ia, jid) : NULL;
    const char *aff = affiliation_of(it);
    const char *nick = xp_elem_attr_ns(it, "", "nick");
    bool same = bare && aff && xp_streq(pv_str_at(&w->cfg, bare), aff);
    if (same) {
        const struct pv *d =
            pv_get_s(pv_get_s(&w->cfg, "_affiliation_data"), bare);
        const char *have = pv_str_at(d, "reserved_nickname");
        same = !nick || !*nick || xp_streq(have, nick);
    }
    xp_arena_reset(&w->ia);
    return same; /* the reason: Prosody keeps none */
}

static xporta_status subject(struct proom_w *w, const xporta_record *rec,
                             const char **why)
{
    const xp_elem *m = rec->payload;
    const xp_elem *s = xp_elem_child(m, XP_NS_CLIENT, "subject");
    if (!s) {
        *why = "a subject message without a <subject>";
        return XPORTA_EUNSUPPORTED;
    }
    struct pv *data = room_data(w);
    const char *from = xp_elem_attr_ns(m, "", "from");
    const xp_elem *d = xp_elem_child(m, XP_NS_DELAY, "delay");
    double when = (double)w->now;
    if (d)
        pmap_parse_time(xp_elem_attr_ns(d, "", "stamp"), &when);
    if (!data || !set_str(w, data, "subject", xp_elem_text(s)) ||
        !set_str(w, data, "subject_from", from && *from ? from : w->jid) ||
        !set_s(w, data, "subject_time", pv_int((long long)when)))
        return oom(w);
    w->dirty = true;
    return XPORTA_OK;
}

static bool subject_holds(struct proom_w *w, const xporta_record *rec)
{
    const struct pv *data = pv_get_s(&w->cfg, "_data");
    const xp_elem *s = xp_elem_child(rec->payload, XP_NS_CLIENT, "subject");
    return s && xp_streq(pv_str_at(data, "subject"), xp_elem_text(s));
}

/* ---- history ------------------------------------------------------------ */

const char *proom_skip(const xporta_record *rec)
{
    if (rec->kind != XPORTA_KIND_ARCHIVE || !rec->payload)
        return NULL;
    const xp_elem *fw = xp_elem_child(rec->payload, XP_NS_FORWARD, "forwarded");
    const xp_elem *msg = fw ? xp_elem_child(fw, XP_NS_CLIENT, "message") : NULL;
    if (msg && !xp_elem_child(msg, XP_NS_CLIENT, "body"))
        return "a room message without a body: Prosody's room history keeps "
               "only those (a subject change is the room's subject)";
    return NULL;
}

static xporta_status history(struct proom_w *w, const xporta_record *rec,
                             bool replace, const char **why)
{
    const xp_elem *fw = xp_elem_child(rec->payload, XP_NS_FORWARD, "forwarded");
    const xp_elem *msg = fw ? xp_elem_child(fw, XP_NS_CLIENT, "message") : NULL;
    const xp_elem *delay = fw ? xp_elem_child(fw, XP_NS_DELAY, "delay") : NULL;
    struct pitem it = {.key = rec->key, .with = "message<groupchat"};
    if (!msg || !delay ||
        !pmap_parse_time(xp_elem_attr_ns(delay, "", "stamp"), &it.when)) {
        *why = "a room message without a message or a valid time";
        return XPORTA_EUNSUPPORTED;
    }
    if (!xp_elem_child(msg, XP_NS_CLIENT, "body")) {
        /* mod_muc_mam archives groupchat messages with a body only (a
         * subject change is the room's subject) */
        *why = "a room message without a body (Prosody's room history "
               "keeps only those)";
        return XPORTA_EUNSUPPORTED;
    }
    xp_elem *s = xp_elem_clone(&w->ia, msg);
    if (!s || !xp_elem_set_attr(&w->ia, s, "", "type", "groupchat"))
        return oom(w);
    s->ns = XP_NS_CLIENT;
    /* what Prosody adds when it sends the item (stanza-id, delay) */
    for (xp_elem *c = s->first, *next; c; c = next) {
        next = c->next;
        if (xp_elem_is(c, "urn:xmpp:sid:0", "stanza-id") ||
            xp_elem_is(c, XP_NS_DELAY, "delay"))
            xp_elem_unlink(c);
    }
    it.stanza = s;
    long long secs = (long long)it.when;
    if ((double)secs > it.when)
        secs--; /* whole seconds, as os.time() (prosody_map_write.c) */
    it.when = (double)secs;
    if (secs < w->now - 7 * 86400)
        w->old_items++;
    xporta_status st = w->b->ops->append(w->b, "muc_log", &it, replace);
    xp_arena_reset(&w->ia);
    if (!st && !w->found)
        w->dirty = true; /* a room with history only gets its config */
    return st;
}

/* ---- dispatch and commit ------------------------------------------------- */

xporta_status proom_w_record(struct proom_w *w, const xporta_record *rec,
                             bool replace, const char **why)
{
    *why = NULL;
    if (!rec->payload)
        return XPORTA_EINVAL;
    switch (rec->kind) {
    case XPORTA_KIND_ROOM_CONFIG:
        return config(w, rec, why);
    case XPORTA_KIND_ROOM_AFFILIATION:
        return affiliation(w, rec, why);
    case XPORTA_KIND_ROOM_SUBJECT:
        return subject(w, rec, why);
    case XPORTA_KIND_ARCHIVE:
        return history(w, rec, replace, why);
    default:
        *why = "Prosody keeps no such data of a room";
        return XPORTA_EUNSUPPORTED;
    }
}

bool proom_w_holds(struct proom_w *w, const xporta_record *rec)
{
    if (!rec->payload)
        return false;
    switch (rec->kind) {
    case XPORTA_KIND_ROOM_CONFIG:
        return config_holds(w, rec);
    case XPORTA_KIND_ROOM_AFFILIATION:
        return affiliation_holds(w, rec);
    case XPORTA_KIND_ROOM_SUBJECT:
        return subject_holds(w, rec);
    default:
        return false;
    }
}

/* ---- the services' `persistent` maps ------------------------------------ */

/* One service's map at a time (rooms of a service come together): read
 * once, added to in memory, written when the service changes and before
 * every flush, so that a room is listed before the journal calls it done
 * (a map written per room would make an import quadratic in rooms). */
void proom_persist_init(struct proom_persist *p)
{
    memset(p, 0, sizeof *p);
    xp_arena_init(&p->a, 0);
}

void proom_persist_cleanup(struct proom_persist *p)
{
    xp_arena_cleanup(&p->a);
    free(p->service);
    p->service = NULL;
}

xporta_status proom_persist_write(struct proom_persist *p, struct pbe *b)
{
    if (!p->dirty)
        return XPORTA_OK;
    xporta_status st = b->ops->begin(b, p->service, "");
    if (!st)
        st = b->ops->set(b, "persistent", &p->map);
    if (!st)
        st = b->ops->commit(b);
    if (st)
        b->ops->rollback(b);
    else
        p->dirty = false;
    return st;
}

xporta_status proom_persist_add(struct proom_persist *p, struct pbe *b,
                                const char *service, const char *jid)
{
    xporta_status st = XPORTA_OK;
    if (!xp_streq(p->service, service)) {
        if ((st = proom_persist_write(p, b)))
            return st;
        free(p->service);
        xp_arena_reset(&p->a);
        bool found = false;
        if (!(p->service = xp_strdup(service)))
            return xp_fail(&b->run->err, XPORTA_ENOMEM, "out of memory");
        st = b->ops->get(b, service, "", "persistent", &p->a, &p->map, &found);
        if (st) {
            free(p->service);
            p->service = NULL;
            return st;
        }
        if (!found || p->map.t != PV_TABLE)
            p->map = pv_table();
    }
    const struct pv *have = pv_get_s(&p->map, jid);
    if (have && have->t == PV_BOOL && have->b)
        return XPORTA_OK;
    struct pv key;
    if (!pv_str_dup(&p->a, jid, strlen(jid), &key) ||
        !pv_set(&p->a, &p->map, key, pv_bool(true)))
        return xp_fail(&b->run->err, XPORTA_ENOMEM, "out of memory");
    p->dirty = true;
    return XPORTA_OK;
}

xporta_status proom_w_commit(struct proom_w *w, struct proom_persist *p)
{
    xporta_status st = XPORTA_OK;
    if (!w->found)
        w->dirty = true; /* a room of the source arrives, even empty */
    if (w->dirty) {
        struct pv *data = room_data(w);
        if (!data || !set_str(w, &w->cfg, "_jid", w->jid) ||
            !subtable(w, &w->cfg, "_affiliation_data"))
            return oom(w);
        st = w->b->ops->set(w->b, "config", &w->cfg);
    }
    if (!st)
        st = w->b->ops->commit(w->b);
    if (st)
        return st;
    struct pbe *b = w->b;
    w->b = NULL; /* nothing left to roll back */
    /* a room Prosody would not restore is no room: listed (now or before) */
    return proom_persist_add(p, b, w->service, w->jid);
}
