/*
 * Group chats (XEP-0045) and bookmarks (XEP-0402, XEP-0048): requests and
 * replies as element trees.  Replies are untrusted: items without the
 * attribute they are known by are skipped, JIDs are checked for shape.
 */
#include <string.h>

#include "xmpp_kinds.h"
#include "xmpp_muc.h"
#include "xmpp_p.h"

static const char *const aff_names[] = {"outcast", "none", "member", "admin",
                                        "owner"};

xp_muc_aff xp_muc_aff_parse(const char *s)
{
    for (int i = 0; s && i < (int)(sizeof aff_names / sizeof *aff_names); i++)
        if (strcmp(s, aff_names[i]) == 0)
            return (xp_muc_aff)i;
    return XP_MUC_UNKNOWN;
}

const char *xp_muc_aff_name(xp_muc_aff a)
{
    return a >= XP_MUC_OUTCAST && a <= XP_MUC_OWNER ? aff_names[a] : "unknown";
}

static const char *attr_set(const xp_elem *e, const char *name)
{
    const char *v = xp_elem_attr_ns(e, "", name);
    return v && *v ? v : NULL;
}

xp_elem *xp_muc_list_query(struct xp_arena *a, xp_muc_aff aff)
{
    xp_elem *q = xp_elem_new(a, XP_NS_MUC_ADMIN, "query");
    xp_elem *it = q ? xp_elem_add_child(a, q, XP_NS_MUC_ADMIN, "item") : NULL;
    if (!it ||
        !xp_elem_set_attr(a, it, "", "affiliation", xp_muc_aff_name(aff)))
        return NULL;
    return q;
}

xporta_status xp_muc_list_decode(struct xp_arena *a, const xp_elem *iq,
                                 void (*fn)(void *ud, const char *jid,
                                            xp_muc_aff aff, const char *nick),
                                 void *ud)
{
    const xp_elem *q = xp_elem_child(iq, XP_NS_MUC_ADMIN, "query");
    if (!q)
        return XPORTA_EFORMAT;
    for (const xp_elem *it = xp_elem_first_element(q); it;
         it = xp_elem_next_element(it)) {
        const char *jid = attr_set(it, "jid");
        if (!xp_elem_is(it, XP_NS_MUC_ADMIN, "item") || !jid ||
            !xporta_jid_is_valid(jid, NULL))
            continue;
        const char *bare = xp_jid_bare(a, jid);
        if (!bare)
            return XPORTA_ENOMEM;
        fn(ud, bare, xp_muc_aff_parse(attr_set(it, "affiliation")),
           attr_set(it, "nick"));
    }
    return XPORTA_OK;
}

xp_elem *xp_muc_affiliation_set(struct xp_arena *a, const char *jid,
                                xp_muc_aff aff, const char *reason)
{
    return xp_muc_affiliation_set_nick(a, jid, aff, NULL, reason);
}

xp_elem *xp_muc_affiliation_set_nick(struct xp_arena *a, const char *jid,
                                     xp_muc_aff aff, const char *nick,
                                     const char *reason)
{
    xp_elem *q = xp_elem_new(a, XP_NS_MUC_ADMIN, "query");
    xp_elem *it = q ? xp_elem_add_child(a, q, XP_NS_MUC_ADMIN, "item") : NULL;
    if (!it ||
        !xp_elem_set_attr(a, it, "", "affiliation", xp_muc_aff_name(aff)) ||
        !xp_elem_set_attr(a, it, "", "jid", jid) ||
        (nick && !xp_elem_set_attr(a, it, "", "nick", nick)))
        return NULL;
    if (reason &&
        !xp_elem_add_text_child(a, it, XP_NS_MUC_ADMIN, "reason", reason))
        return NULL;
    return q;
}

bool xp_disco_identity(const xp_elem *iq, const char *category,
                       const char *type, const char **name)
{
    const xp_elem *q = xp_elem_child(iq, XP_NS_DISCO_INFO, "query");
    for (const xp_elem *e = xp_elem_first_element(q); e;
         e = xp_elem_next_element(e)) {
        if (!xp_elem_is(e, XP_NS_DISCO_INFO, "identity") ||
            !xp_streq(xp_elem_attr_ns(e, "", "category"), category) ||
            (type && !xp_streq(xp_elem_attr_ns(e, "", "type"), type)))
            continue;
        if (name)
            *name = attr_set(e, "name");
        return true;
    }
    return false;
}

xporta_status xp_disco_items_each(const xp_elem *iq,
                                  void (*fn)(void *ud, const char *jid,
                                             const char *node,
                                             const char *name),
                                  void *ud)
{
    const xp_elem *q = xp_elem_child(iq, XP_NS_DISCO_ITEMS, "query");
    if (!q)
        return XPORTA_EFORMAT;
    for (const xp_elem *it = xp_elem_first_element(q); it;
         it = xp_elem_next_element(it)) {
        const char *jid = attr_set(it, "jid");
        if (xp_elem_is(it, XP_NS_DISCO_ITEMS, "item") && jid &&
            xporta_jid_is_valid(jid, NULL))
            fn(ud, jid, attr_set(it, "node"), attr_set(it, "name"));
    }
    return XPORTA_OK;
}

void xp_muc_roominfo_contacts(const xp_elem *iq,
                              void (*fn)(void *ud, const char *jid), void *ud)
{
    const xp_elem *q = xp_elem_child(iq, XP_NS_DISCO_INFO, "query");
    for (const xp_elem *x = xp_elem_first_element(q); x;
         x = xp_elem_next_element(x)) {
        if (!xp_elem_is(x, XP_NS_DATA, "x"))
            continue;
        for (const xp_elem *f = xp_elem_first_element(x); f;
             f = xp_elem_next_element(f)) {
            if (!xp_elem_is(f, XP_NS_DATA, "field") ||
                !xp_streq(xp_elem_attr_ns(f, "", "var"),
                          "muc#roominfo_contactjid"))
                continue;
            for (const xp_elem *v = xp_elem_first_element(f); v;
                 v = xp_elem_next_element(v)) {
                const char *jid = xp_elem_text(v);
                if (xp_elem_is(v, XP_NS_DATA, "value") && *jid &&
                    xporta_jid_is_valid(jid, NULL))
                    fn(ud, jid);
            }
        }
    }
}

static bool truthy(const char *v)
{
    return xp_streq(v, "true") || xp_streq(v, "1");
}

/* A room JID: bare, with a local part. */
static bool room_jid_ok(const char *jid)
{
    struct xp_jid_parts p;
    return jid && xporta_jid_is_valid(jid, NULL) && xp_jid_split(jid, &p) &&
           p.local_len > 0 && p.resource_len == 0 && !p.resource;
}

/* XEP-0048's <storage/>: <conference jid autojoin name><nick/>. */
static void storage_decode(const xp_elem *storage,
                           void (*fn)(void *ud, const struct xp_bookmark *b),
                           void *ud)
{
    for (const xp_elem *c = xp_elem_first_element(storage); c;
         c = xp_elem_next_element(c)) {
        const char *jid = attr_set(c, "jid");
        if (!xp_elem_is(c, XP_NS_BOOKMARKS, "conference") || !room_jid_ok(jid))
            continue;
        struct xp_bookmark b = {jid, attr_set(c, "name"),
                                xp_elem_child_text(c, XP_NS_BOOKMARKS, "nick"),
                                truthy(xp_elem_attr_ns(c, "", "autojoin"))};
        if (b.nick && !*b.nick)
            b.nick = NULL;
        fn(ud, &b);
    }
}

void xp_bookmarks_decode(struct xp_arena *a, const xp_elem *iq,
                         void (*fn)(void *ud, const struct xp_bookmark *b),
                         void *ud)
{
    (void)a;
    const xp_elem *q = xp_elem_child(iq, XP_NS_PRIVATE, "query");
    if (q) {
        const xp_elem *s = xp_elem_child(q, XP_NS_BOOKMARKS, "storage");
        if (s)
            storage_decode(s, fn, ud);
        return;
    }
    const xp_elem *ps = xp_elem_child(iq, XP_NS_PUBSUB, "pubsub");
    const xp_elem *items = ps ? xp_elem_child(ps, XP_NS_PUBSUB, "items") : NULL;
    for (const xp_elem *it = xp_elem_first_element(items); it;
         it = xp_elem_next_element(it)) {
        if (!xp_elem_is(it, XP_NS_PUBSUB, "item"))
            continue;
        const xp_elem *c = xp_elem_child(it, XP_NS_BOOKMARKS2, "conference");
        const char *id = attr_set(it, "id");
        if (c && room_jid_ok(id)) {
            struct xp_bookmark b = {
                id, attr_set(c, "name"),
                xp_elem_child_text(c, XP_NS_BOOKMARKS2, "nick"),
                truthy(xp_elem_attr_ns(c, "", "autojoin"))};
            if (b.nick && !*b.nick)
                b.nick = NULL;
            fn(ud, &b);
            continue;
        }
        const xp_elem *s = xp_elem_child(it, XP_NS_BOOKMARKS, "storage");
        if (s)
            storage_decode(s, fn, ud);
    }
}

xp_elem *xp_muc_join(struct xp_arena *a, const char *room, const char *nick,
                     bool leave)
{
    xp_elem *p = xp_elem_new(a, XP_NS_CLIENT, "presence");
    char *to = p ? xp_arena_printf(a, "%s/%s", room, nick) : NULL;
    if (!to || !xp_elem_set_attr_ref(a, p, "", "to", to))
        return NULL;
    if (leave)
        return xp_elem_set_attr(a, p, "", "type", "unavailable") ? p : NULL;
    xp_elem *x = xp_elem_add_child(a, p, XP_NS_MUC, "x");
    xp_elem *h = x ? xp_elem_add_child(a, x, XP_NS_MUC, "history") : NULL;
    if (!h || !xp_elem_set_attr(a, h, "", "maxstanzas", "0"))
        return NULL;
    return p;
}

xp_elem *xp_muc_join_password(struct xp_arena *a, const char *room,
                              const char *nick, const char *password)
{
    xp_elem *p = xp_muc_join(a, room, nick, false);
    xp_elem *x = p ? xp_elem_child(p, XP_NS_MUC, "x") : NULL;
    if (!x || (password &&
               !xp_elem_add_text_child(a, x, XP_NS_MUC, "password", password)))
        return NULL;
    return p;
}

bool xp_muc_presence_item(struct xp_arena *a, const xp_elem *presence,
                          xp_muc_aff *aff, const char **jid, bool *self)
{
    const xp_elem *x = xp_elem_child(presence, XP_NS_MUC_USER, "x");
    const xp_elem *item = x ? xp_elem_child(x, XP_NS_MUC_USER, "item") : NULL;
    if (!item)
        return false;
    *aff = xp_muc_aff_parse(attr_set(item, "affiliation"));
    const char *real = attr_set(item, "jid");
    *jid =
        real && xporta_jid_is_valid(real, NULL) ? xp_jid_bare(a, real) : NULL;
    *self = false;
    for (const xp_elem *s = xp_elem_first_element(x); s;
         s = xp_elem_next_element(s))
        if (xp_elem_is(s, XP_NS_MUC_USER, "status") &&
            xp_streq(xp_elem_attr_ns(s, "", "code"), "110"))
            *self = true;
    return true;
}

xp_elem *xp_muc_owner_query(struct xp_arena *a)
{
    return xp_elem_new(a, XP_NS_MUC_OWNER, "query");
}

const xp_elem *xp_muc_owner_form(const xp_elem *iq)
{
    const xp_elem *q = xp_elem_child(iq, XP_NS_MUC_OWNER, "query");
    return q ? xp_elem_child(q, XP_NS_DATA, "x") : NULL;
}

static const xp_elem *form_field(const xp_elem *form, const char *var)
{
    for (const xp_elem *f = xp_elem_first_element(form); f;
         f = xp_elem_next_element(f))
        if (xp_elem_is(f, XP_NS_DATA, "field") &&
            xp_streq(xp_elem_attr_ns(f, "", "var"), var))
            return f;
    return NULL;
}

const char *xp_form_field_values(struct xp_arena *a, const xp_elem *form,
                                 const char *var)
{
    const xp_elem *f = form_field(form, var);
    if (!f)
        return NULL;
    const char *out = "";
    for (const xp_elem *v = xp_elem_first_element(f); v;
         v = xp_elem_next_element(v))
        if (xp_elem_is(v, XP_NS_DATA, "value"))
            out = *out ? xp_arena_printf(a, "%s,%s", out, xp_elem_text(v))
                       : xp_arena_strdup(a, xp_elem_text(v));
    return out;
}

/* Does list field `f` offer `value` as an option?  A field without
 * options takes anything (text, or a list whose options the server did
 * not send). */
static bool option_offered(const xp_elem *f, const char *value)
{
    bool any = false;
    for (const xp_elem *o = xp_elem_first_element(f); o;
         o = xp_elem_next_element(o)) {
        if (!xp_elem_is(o, XP_NS_DATA, "option"))
            continue;
        any = true;
        if (xp_streq(xp_elem_child_text(o, XP_NS_DATA, "value"), value))
            return true;
    }
    return !any;
}

/* The same setting under the other server's name. */
static const char *const config_aliases[][2] = {
    /* ejabberd 23.01's archiving switch, Prosody 0.12's (mod_muc_mam) */
    {"mam", "muc#roomconfig_enablearchiving"},
};

const char *xp_muc_config_alias(const char *var)
{
    for (size_t i = 0; i < sizeof config_aliases / sizeof *config_aliases; i++)
        for (int k = 0; k < 2; k++)
            if (xp_streq(var, config_aliases[i][k]))
                return config_aliases[i][1 - k];
    return NULL;
}

bool xp_form_values_equal(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    /* As sets of comma-separated values: a list-multi's order is the
     * server's. */
    for (int pass = 0; pass < 2; pass++) {
        const char *x = pass ? b : a, *y = pass ? a : b;
        for (const char *p = x; *p;) {
            size_t n = strcspn(p, ",");
            bool found = false;
            for (const char *q = y; *q && !found;) {
                size_t m = strcspn(q, ",");
                found = m == n && strncmp(p, q, n) == 0;
                q += m + (q[m] == ',');
            }
            if (!found)
                return false;
            p += n + (p[n] == ',');
        }
    }
    return true;
}

xp_elem *xp_muc_config_submit(
    struct xp_arena *a, const xp_elem *want, const xp_elem *offered,
    void (*skipped)(void *ud, const char *var, const char *why), void *ud)
{
    xp_elem *q = xp_elem_new(a, XP_NS_MUC_OWNER, "query");
    xp_elem *x = q ? xp_elem_add_child(a, q, XP_NS_DATA, "x") : NULL;
    xp_elem *ft = x ? xp_elem_add_child(a, x, XP_NS_DATA, "field") : NULL;
    if (!ft || !xp_elem_set_attr(a, x, "", "type", "submit") ||
        !xp_elem_set_attr(a, ft, "", "var", "FORM_TYPE") ||
        !xp_elem_set_attr(a, ft, "", "type", "hidden") ||
        !xp_elem_add_text_child(a, ft, XP_NS_DATA, "value",
                                "http://jabber.org/protocol/muc#roomconfig"))
        return NULL;
    for (const xp_elem *f = xp_elem_first_element(want); f;
         f = xp_elem_next_element(f)) {
        const char *var = attr_set(f, "var");
        if (!xp_elem_is(f, XP_NS_DATA, "field") || !var ||
            strcmp(var, "FORM_TYPE") == 0 ||
            strcmp(var, "muc#roomconfig_roomowners") == 0 ||
            strcmp(var, "muc#roomconfig_roomadmins") == 0 ||
            xp_streq(attr_set(f, "type"), "fixed"))
            continue;
        const xp_elem *o = form_field(offered, var);
        const char *alias = xp_muc_config_alias(var);
        if (!o && alias && (o = form_field(offered, alias)) != NULL)
            var = alias;
        if (!o) {
            skipped(ud, var, "the new service does not offer it");
            continue;
        }
        xp_elem *nf = xp_elem_add_child(a, x, XP_NS_DATA, "field");
        if (!nf || !xp_elem_set_attr(a, nf, "", "var", var))
            return NULL;
        bool values = false;
        for (const xp_elem *v = xp_elem_first_element(f); v;
             v = xp_elem_next_element(v)) {
            if (!xp_elem_is(v, XP_NS_DATA, "value"))
                continue;
            const char *t = xp_elem_text(v);
            const char *type = attr_set(o, "type");
            if ((xp_streq(type, "list-single") ||
                 xp_streq(type, "list-multi")) &&
                !option_offered(o, t)) {
                skipped(ud, var,
                        xp_arena_printf(a,
                                        "the new service does not offer "
                                        "the value '%s'",
                                        t));
                continue;
            }
            if (!xp_elem_add_text_child(a, nf, XP_NS_DATA, "value", t))
                return NULL;
            values = true;
        }
        if (!values && xp_streq(attr_set(f, "type"), "boolean") &&
            !xp_elem_add_text_child(a, nf, XP_NS_DATA, "value", "0"))
            return NULL;
        if (!values && !nf->first)
            xp_elem_unlink(nf); /* nothing to say: the new default */
    }
    return q;
}

xp_elem *xp_muc_destroy(struct xp_arena *a, const char *alt, const char *reason)
{
    xp_elem *q = xp_elem_new(a, XP_NS_MUC_OWNER, "query");
    xp_elem *d = q ? xp_elem_add_child(a, q, XP_NS_MUC_OWNER, "destroy") : NULL;
    if (!d || (alt && !xp_elem_set_attr(a, d, "", "jid", alt)) ||
        (reason &&
         !xp_elem_add_text_child(a, d, XP_NS_MUC_OWNER, "reason", reason)))
        return NULL;
    return q;
}

xp_elem *xp_muc_subject_set(struct xp_arena *a, const char *room,
                            const char *subject)
{
    xp_elem *m = xp_elem_new(a, XP_NS_CLIENT, "message");
    if (!m || !xp_elem_set_attr(a, m, "", "type", "groupchat") ||
        !xp_elem_set_attr(a, m, "", "to", room) ||
        !xp_elem_add_text_child(a, m, XP_NS_CLIENT, "subject", subject))
        return NULL;
    return m;
}

const char *xp_muc_subject_of(const xp_elem *message)
{
    if (!xp_streq(xp_elem_attr_ns(message, "", "type"), "groupchat") ||
        xp_elem_child(message, NULL, "body"))
        return NULL;
    const xp_elem *s = xp_elem_child(message, NULL, "subject");
    return s ? xp_elem_text(s) : NULL;
}

bool xp_muc_has_status(const xp_elem *presence, const char *code)
{
    const xp_elem *x = xp_elem_child(presence, XP_NS_MUC_USER, "x");
    for (const xp_elem *s = x ? xp_elem_first_element(x) : NULL; s;
         s = xp_elem_next_element(s))
        if (xp_elem_is(s, XP_NS_MUC_USER, "status") &&
            xp_streq(xp_elem_attr_ns(s, "", "code"), code))
            return true;
    return false;
}

xp_elem *xp_bookmarks_node_create(struct xp_arena *a)
{
    static const char *const fields[][2] = {
        {"FORM_TYPE", "http://jabber.org/protocol/pubsub#node_config"},
        {"pubsub#persist_items", "true"},
        {"pubsub#max_items", "max"},
        {"pubsub#send_last_published_item", "never"},
        {"pubsub#access_model", "whitelist"},
    };
    xp_elem *x = xp_elem_new(a, XP_NS_DATA, "x");
    if (!x || !xp_elem_set_attr(a, x, "", "type", "submit"))
        return NULL;
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        xp_elem *f = xp_elem_add_child(a, x, XP_NS_DATA, "field");
        if (!f || !xp_elem_set_attr(a, f, "", "var", fields[i][0]) ||
            (i == 0 && !xp_elem_set_attr(a, f, "", "type", "hidden")) ||
            !xp_elem_add_text_child(a, f, XP_NS_DATA, "value", fields[i][1]))
            return NULL;
    }
    return xp_pep_create(a, XP_NS_BOOKMARKS2, x);
}

xp_elem *xp_chat_message(struct xp_arena *a, const char *to, const char *body)
{
    xp_elem *m = xp_elem_new(a, XP_NS_CLIENT, "message");
    if (!m || !xp_elem_set_attr(a, m, "", "type", "chat") ||
        !xp_elem_set_attr(a, m, "", "to", to) ||
        !xp_elem_add_text_child(a, m, XP_NS_CLIENT, "body", body))
        return NULL;
    return m;
}
