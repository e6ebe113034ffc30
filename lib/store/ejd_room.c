/*
 * muc_room.opts <-> a room's records (ejd_room.h), following ejabberd
 * 23.01's mod_muc_room: make_opts (the order written), set_opts (what is
 * read back), get_config and set_config (the owner form's fields).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../pie/pie.h"
#include "ejd_room_p.h"

const struct room_opt ejd_room_opts[] = {
    {"title", "muc#roomconfig_roomname", RO_BIN, ""},
    {"description", "muc#roomconfig_roomdesc", RO_BIN, ""},
    {"allow_change_subj", "muc#roomconfig_changesubject", RO_BOOL, "true"},
    {"allow_query_users", "allow_query_users", RO_BOOL, "true"},
    {"allow_private_messages", "allow_private_messages", RO_BOOL, "true"},
    {"allow_private_messages_from_visitors",
     "allow_private_messages_from_visitors", RO_PMV, "anyone"},
    {"allow_visitor_status", "allow_visitor_status", RO_BOOL, "true"},
    {"allow_visitor_nickchange", "allow_visitor_nickchange", RO_BOOL, "true"},
    {"public", "muc#roomconfig_publicroom", RO_BOOL, "true"},
    {"public_list", "public_list", RO_BOOL, "true"},
    {"persistent", "muc#roomconfig_persistentroom", RO_BOOL, "true"},
    {"moderated", "muc#roomconfig_moderatedroom", RO_BOOL, "true"},
    {"members_by_default", "members_by_default", RO_BOOL, "true"},
    {"members_only", "muc#roomconfig_membersonly", RO_BOOL, "false"},
    {"allow_user_invites", "muc#roomconfig_allowinvites", RO_BOOL, "false"},
    {"password_protected", "muc#roomconfig_passwordprotectedroom", RO_BOOL,
     "false"},
    {"captcha_protected", "captcha_protected", RO_BOOL, "false"},
    {"password", "muc#roomconfig_roomsecret", RO_BIN, ""},
    {"anonymous", "muc#roomconfig_whois", RO_WHOIS, "true"},
    {"logging", "muc#roomconfig_enablelogging", RO_BOOL, "false"},
    {"max_users", "muc#roomconfig_maxusers", RO_MAXUSERS, "200"},
    {"allow_voice_requests", "allow_voice_requests", RO_BOOL, "true"},
    {"allow_subscription", "allow_subscription", RO_BOOL, "false"},
    {"mam", "mam", RO_BOOL, "true"},
    {"presence_broadcast", "muc#roomconfig_presencebroadcast", RO_ROLES,
     "[moderator,participant,visitor]"},
    {"voice_request_min_interval", "voice_request_min_interval", RO_INT,
     "1800"},
    {"vcard", NULL, RO_VCARD, "<<>>"},
    {"vcard_xupdate", NULL, RO_FIXED, "undefined"},
    {"pubsub", "muc#roomconfig_pubsub", RO_BIN, ""},
    {"enable_hats", "enable_hats", RO_BOOL, "false"},
    {"lang", "muc#roomconfig_lang", RO_BIN, "en"},
    {"captcha_whitelist", "muc#roomconfig_captcha_whitelist", RO_JIDS, "[]"},
    {"affiliations", NULL, RO_SPECIAL, NULL},
    {"roles", NULL, RO_FIXED, "[]"},
    {"subject", NULL, RO_SPECIAL, NULL},
    {"subject_author", NULL, RO_SPECIAL, NULL},
    {"hats_users", NULL, RO_FIXED, "[]"},
    {"hibernation_time", NULL, RO_FIXED, "undefined"},
    {NULL, NULL, RO_FIXED, NULL},
};
const size_t ejd_room_nopts = sizeof ejd_room_opts / sizeof ejd_room_opts[0];

/* The owner form's order (get_config), for the fields read. */
static const char *const form_order[] = {
    "title",
    "description",
    "lang",
    "persistent",
    "public",
    "public_list",
    "password_protected",
    "password",
    "max_users",
    "anonymous",
    "presence_broadcast",
    "members_only",
    "moderated",
    "members_by_default",
    "allow_change_subj",
    "allow_private_messages",
    "allow_private_messages_from_visitors",
    "allow_query_users",
    "allow_user_invites",
    "allow_visitor_status",
    "allow_visitor_nickchange",
    "allow_voice_requests",
    "allow_subscription",
    "voice_request_min_interval",
    "pubsub",
    "enable_hats",
    "captcha_protected",
    "captcha_whitelist",
    "logging",
    "mam",
    NULL,
};

/* Fields of other servers' forms with an ejabberd option. */
static const struct {
    const char *var, *name;
} aliases[] = {
    {"muc#roomconfig_enablearchiving", "mam"}, /* Prosody's mod_muc_mam */
    {NULL, NULL},
};

const struct room_opt *ejd_room_opt(const char *name, size_t n)
{
    for (const struct room_opt *o = ejd_room_opts; o->name; o++)
        if (strlen(o->name) == n && memcmp(o->name, name, n) == 0)
            return o;
    return NULL;
}

const struct room_opt *ejd_room_opt_var(const char *var)
{
    for (size_t i = 0; aliases[i].var; i++)
        if (strcmp(aliases[i].var, var) == 0)
            return ejd_room_opt(aliases[i].name, strlen(aliases[i].name));
    for (const struct room_opt *o = ejd_room_opts; o->name; o++)
        if (o->var && strcmp(o->var, var) == 0)
            return o;
    return NULL;
}

const char *const ejd_room_roles[] = {"moderator", "participant", "visitor",
                                      NULL};
const char *const ejd_room_pmv[] = {"anyone", "moderators", "nobody", NULL};
const char *const ejd_room_affs[] = {"owner", "admin", "member", "outcast",
                                     NULL};

bool ejd_room_in(const char *const *set, const char *s, size_t n)
{
    for (; *set; set++)
        if (strlen(*set) == n && memcmp(*set, s, n) == 0)
            return true;
    return false;
}

/* ---- reading ----------------------------------------------------------- */

struct rr {
    struct xp_arena *a;
    const char *room;
    const char **why;
    ejd_room_note_fn note;
    void *ud;
};

static xporta_status rr_bad(struct rr *r, const char *what)
{
    if (!what)
        return XPORTA_ENOMEM;
    const char *w =
        xp_arena_printf(r->a, "muc_room.opts of %s: %s", r->room, what);
    *r->why = w ? w : what;
    return w ? XPORTA_EFORMAT : XPORTA_ENOMEM;
}

static void rr_note(struct rr *r, const char *what)
{
    const char *w = xp_arena_printf(r->a, "%s: %s", r->room, what);
    if (r->note && w)
        r->note(r->ud, w);
}

static bool is_bin(const struct eterm *t)
{
    return t->t == ET_BIN;
}

/* {<<"user">>,<<"server">>,<<"resource">>} as a JID. */
static char *ljid(struct xp_arena *a, const struct eterm *t)
{
    if (t->t != ET_TUPLE || t->n != 3 || !is_bin(&t->kids[0]) ||
        !is_bin(&t->kids[1]) || !is_bin(&t->kids[2]) || !t->kids[1].len)
        return NULL;
    const struct eterm *k = t->kids;
    char *j = xp_arena_printf(a, "%s%s%s%s%s", k[0].s, k[0].len ? "@" : "",
                              k[1].s, k[2].len ? "/" : "", k[2].s);
    /* a JID, and no NUL inside a part */
    size_t want = k[0].len + k[1].len + k[2].len + (k[0].len ? 1 : 0) +
                  (k[2].len ? 1 : 0);
    if (!j || strlen(j) != want || !xporta_jid_is_valid(j, NULL))
        return NULL;
    return j;
}

static bool field(struct xp_arena *a, xp_elem *x, const char *var,
                  const char *const *vals, size_t n)
{
    xp_elem *f = xp_elem_add_child(a, x, XP_NS_DATA, "field");
    if (!f || !xp_elem_set_attr(a, f, "", "var", var))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!xp_elem_add_text_child(a, f, XP_NS_DATA, "value", vals[i]))
            return false;
    return true;
}

/* One option as its field; false with *bad set for a value ejabberd would
 * not have written. */
static xporta_status opt_field(struct rr *r, xp_elem *x,
                               const struct room_opt *o, const struct eterm *v)
{
    const char *one[1];
    char num[32];
    switch (o->t) {
    case RO_BOOL:
    case RO_WHOIS:
        if (!et_is_atom(v, "true") && !et_is_atom(v, "false"))
            return rr_bad(
                r, xp_arena_printf(r->a, "%s is not true or false", o->name));
        if (o->t == RO_WHOIS)
            one[0] = et_is_atom(v, "true") ? "moderators" : "anyone";
        else
            one[0] = et_is_atom(v, "true") ? "1" : "0";
        break;
    case RO_BIN:
        if (!is_bin(v) || strlen(v->s) != v->len)
            return rr_bad(r,
                          xp_arena_printf(r->a, "%s is not a binary", o->name));
        if (!xp_xml_text_ok(v->s, v->len))
            return rr_bad(
                r, xp_arena_printf(r->a, "%s is not UTF-8 text", o->name));
        one[0] = v->s;
        break;
    case RO_INT:
    case RO_MAXUSERS:
        if (o->t == RO_MAXUSERS && et_is_atom(v, "none")) {
            one[0] = "none";
            break;
        }
        if (v->t != ET_INT || v->i < 0)
            return rr_bad(r, xp_arena_printf(r->a,
                                             "%s is not a non-negative integer",
                                             o->name));
        snprintf(num, sizeof num, "%lld", v->i);
        one[0] = num;
        break;
    case RO_PMV:
        if (v->t != ET_ATOM || !ejd_room_in(ejd_room_pmv, v->s, v->len))
            return rr_bad(r, xp_arena_printf(
                                 r->a, "%s is not anyone, moderators or nobody",
                                 o->name));
        one[0] = v->s;
        break;
    case RO_ROLES:
    case RO_JIDS: {
        if (v->t != ET_LIST)
            return rr_bad(r,
                          xp_arena_printf(r->a, "%s is not a list", o->name));
        const char **vals = xp_arena_alloc(r->a, (v->n + 1) * sizeof *vals);
        if (!vals)
            return XPORTA_ENOMEM;
        for (size_t i = 0; i < v->n; i++) {
            const struct eterm *k = &v->kids[i];
            if (o->t == RO_ROLES && k->t == ET_ATOM &&
                ejd_room_in(ejd_room_roles, k->s, k->len))
                vals[i] = k->s;
            else if (o->t == RO_JIDS && (vals[i] = ljid(r->a, k)) != NULL)
                continue;
            else
                return rr_bad(
                    r, xp_arena_printf(r->a, "%s holds something not a %s",
                                       o->name,
                                       o->t == RO_ROLES ? "role" : "JID"));
        }
        return field(r->a, x, o->var, vals, v->n) ? XPORTA_OK : XPORTA_ENOMEM;
    }
    default:
        return XPORTA_OK;
    }
    return field(r->a, x, o->var, one, 1) ? XPORTA_OK : XPORTA_ENOMEM;
}

static xporta_status emit(struct rr *r, ejd_room_record_fn fn, xporta_kind kind,
                          const char *key, xp_elem *p)
{
    xporta_record rec;
    memset(&rec, 0, sizeof rec);
    rec.kind = kind;
    rec.key = key;
    rec.payload = p;
    return fn(r->ud, &rec);
}

static const char *nick_of(const struct ejd_nick *nicks, size_t n,
                           const char *jid)
{
    for (size_t i = 0; i < n; i++)
        if (nicks[i].jid && strcmp(nicks[i].jid, jid) == 0)
            return nicks[i].nick;
    return NULL;
}

static xporta_status affiliation(struct rr *r, const struct eterm *t,
                                 const struct ejd_nick *nicks, size_t nnicks,
                                 ejd_room_record_fn fn)
{
    /* {LJID, {Aff, Reason}}, or {LJID, Aff} as older rooms have it */
    const struct eterm *aff = NULL, *reason = NULL;
    char *jid = t->t == ET_TUPLE && t->n == 2 ? ljid(r->a, &t->kids[0]) : NULL;
    if (jid) {
        aff = &t->kids[1];
        if (aff->t == ET_TUPLE && aff->n == 2) {
            reason = &aff->kids[1];
            aff = &aff->kids[0];
        }
    }
    if (!jid || aff->t != ET_ATOM ||
        !ejd_room_in(ejd_room_affs, aff->s, aff->len) ||
        (reason && !is_bin(reason)) ||
        (reason && !xp_xml_text_ok(reason->s, reason->len)))
        return rr_bad(r, "an affiliation that is not {{User,Server,Resource},"
                         "{owner|admin|member|outcast,Reason}}");
    xp_elem *it = xp_elem_new(r->a, XP_NS_MUC_USER, "item");
    const char *nick = nick_of(nicks, nnicks, jid);
    if (!it || !xp_elem_set_attr(r->a, it, "", "affiliation", aff->s) ||
        !xp_elem_set_attr(r->a, it, "", "jid", jid) ||
        (nick && !xp_elem_set_attr(r->a, it, "", "nick", nick)) ||
        (reason && reason->len &&
         !xp_elem_add_text_child(r->a, it, XP_NS_MUC_USER, "reason",
                                 reason->s)))
        return XPORTA_ENOMEM;
    return emit(r, fn, XPORTA_KIND_ROOM_AFFILIATION, jid, it);
}

static xporta_status subject(struct rr *r, const struct eterm *subj,
                             const struct eterm *author, ejd_room_record_fn fn)
{
    if (author && (!is_bin(author) || !xp_xml_text_ok(author->s, author->len)))
        return rr_bad(r, "subject_author is not a binary");
    if (!subj || (subj->t == ET_BIN && !subj->len))
        return XPORTA_OK;
    /* [{text, Lang, Text}], or a plain binary (set_opts takes both) */
    struct eterm one[3];
    struct eterm wrap = {.t = ET_TUPLE, .kids = one, .n = 3};
    struct eterm list = {.t = ET_LIST, .kids = &wrap, .n = 1};
    if (subj->t == ET_BIN) {
        one[0] = (struct eterm){.t = ET_ATOM, .s = "text", .len = 4};
        one[1] = (struct eterm){.t = ET_BIN, .s = "", .len = 0};
        one[2] = *subj;
        subj = &list;
    }
    if (subj->t != ET_LIST)
        return rr_bad(r, "subject is not a list of {text,Lang,Text}");
    if (!subj->n)
        return XPORTA_OK;
    xp_elem *m = xp_elem_new(r->a, XP_NS_CLIENT, "message");
    if (!m || !xp_elem_set_attr(r->a, m, "", "type", "groupchat"))
        return XPORTA_ENOMEM;
    const char *from = author && author->len
                           ? xp_arena_printf(r->a, "%s/%s", r->room, author->s)
                           : r->room;
    if (!from || !xp_elem_set_attr(r->a, m, "", "from", from))
        return XPORTA_ENOMEM;
    for (size_t i = 0; i < subj->n; i++) {
        const struct eterm *k = &subj->kids[i];
        if (k->t != ET_TUPLE || k->n != 3 || !et_is_atom(&k->kids[0], "text") ||
            !is_bin(&k->kids[1]) || !is_bin(&k->kids[2]) ||
            !xp_xml_text_ok(k->kids[2].s, k->kids[2].len))
            return rr_bad(r, "subject is not a list of {text,Lang,Text}");
        xp_elem *s = xp_elem_add_text_child(r->a, m, XP_NS_CLIENT, "subject",
                                            k->kids[2].s);
        if (!s || (k->kids[1].len &&
                   !xp_elem_set_attr(r->a, s, XP_NS_XML, "lang", k->kids[1].s)))
            return XPORTA_ENOMEM;
    }
    return emit(r, fn, XPORTA_KIND_ROOM_SUBJECT, "subject", m);
}

/* An option that is not carried: noted when it holds something. */
static void fixed(struct rr *r, const char *name, const struct eterm *v)
{
    if (strcmp(name, "hats_users") == 0 && v->t == ET_LIST && v->n)
        rr_note(r, "hats (hats_users) are not carried: XEP-0519 has no "
                   "place for them");
    else if (strcmp(name, "roles") == 0 && v->t == ET_LIST && v->n)
        rr_note(r, "roles kept for a restart (roles) are not carried: "
                   "occupants get their role from their affiliation");
    else if (strcmp(name, "subscribers") == 0 && v->t == ET_LIST && v->n)
        rr_note(r, "MucSub subscribers are not carried");
}

/* Whether the owner form would not show the option's value: the password
 * of a room that is not password-protected (get_config shows it empty),
 * and the
 * captcha and logging options, which it shows only when captchas and
 * mod_muc_log are configured, while they are off. */
static bool hidden(const struct room_opt *o, const struct eterm *v,
                   const struct eterm *const *byopt)
{
    if (strcmp(o->name, "password") == 0) {
        const struct eterm *pp =
            byopt[ejd_room_opt("password_protected", 18) - ejd_room_opts];
        return !pp || !et_is_atom(pp, "true");
    }
    if (strcmp(o->name, "captcha_protected") == 0 ||
        strcmp(o->name, "logging") == 0)
        return et_is_atom(v, "false");
    if (strcmp(o->name, "captcha_whitelist") == 0)
        return v->t == ET_LIST && !v->n;
    return false;
}

xporta_status ejd_room_read_opts(struct xp_arena *a, const char *room,
                                 const char *text, size_t len,
                                 const struct ejd_nick *nicks, size_t nnicks,
                                 ejd_room_record_fn fn, ejd_room_note_fn note,
                                 void *ud, const char **why)
{
    struct rr r = {a, room, why, note, ud};
    struct eterm t;
    const char *pw;
    if (!et_parse(a, text, len, &t, &pw))
        return rr_bad(&r, xp_arena_printf(a, "not an Erlang term (%s)", pw));
    if (t.t != ET_LIST)
        return rr_bad(&r, "not a list of {Option, Value}");
    const struct eterm *byopt[sizeof ejd_room_opts / sizeof ejd_room_opts[0]] =
        {0};
    for (size_t i = 0; i < t.n; i++) {
        const struct eterm *k = &t.kids[i];
        if (k->t != ET_TUPLE || k->n != 2 || k->kids[0].t != ET_ATOM)
            return rr_bad(&r, "not a list of {Option, Value}");
        const struct room_opt *o = ejd_room_opt(k->kids[0].s, k->kids[0].len);
        if (o)
            byopt[o - ejd_room_opts] = &k->kids[1];
        else if (strcmp(k->kids[0].s, "subscribers") == 0)
            fixed(&r, "subscribers", &k->kids[1]);
        else
            rr_note(&r, xp_arena_printf(a,
                                        "option %s is unknown to ejabberd "
                                        "23.01 (it drops it too)",
                                        k->kids[0].s));
    }
    xp_elem *x = xp_elem_new(a, XP_NS_DATA, "x");
    const char *ft[1] = {XP_NS_MUC_ROOMCONFIG};
    if (!x || !xp_elem_set_attr(a, x, "", "type", "submit") ||
        !field(a, x, "FORM_TYPE", ft, 1))
        return XPORTA_ENOMEM;
    xporta_status st = XPORTA_OK;
    for (size_t i = 0; !st && form_order[i]; i++) {
        const struct room_opt *o =
            ejd_room_opt(form_order[i], strlen(form_order[i]));
        const struct eterm *v = byopt[o - ejd_room_opts];
        static const struct eterm none = {.t = ET_BIN, .s = "", .len = 0};
        if (v && hidden(o, v, byopt)) {
            if (strcmp(o->name, "password") != 0)
                continue;
            v = &none; /* shown empty */
        }
        if (v)
            st = opt_field(&r, x, o, v);
    }
    for (const struct room_opt *o = ejd_room_opts; !st && o->name; o++)
        if (o->t == RO_FIXED && byopt[o - ejd_room_opts])
            fixed(&r, o->name, byopt[o - ejd_room_opts]);
    if (!st)
        st = emit(&r, fn, XPORTA_KIND_ROOM_CONFIG, "config", x);
    const struct eterm *vc = byopt[ejd_room_opt("vcard", 5) - ejd_room_opts];
    if (!st && vc && (!is_bin(vc) || strlen(vc->s) != vc->len))
        st = rr_bad(&r, "vcard is not a binary");
    if (!st && vc && vc->len) {
        xp_elem *e;
        unsigned long l, c;
        if (pie_parse_element(a, vc->s, vc->len, XP_NS_VCARD, &e, &pw, &l,
                              &c) ||
            !xp_elem_is(e, XP_NS_VCARD, "vCard"))
            st = rr_bad(&r, "vcard is not a vCard's XML");
        else
            st = emit(&r, fn, XPORTA_KIND_VCARD, "vcard", e);
    }
    const struct eterm *al =
        byopt[ejd_room_opt("affiliations", 12) - ejd_room_opts];
    if (!st && al && al->t != ET_LIST)
        st = rr_bad(&r, "affiliations is not a list");
    for (size_t i = 0; !st && al && i < al->n; i++)
        st = affiliation(&r, &al->kids[i], nicks, nnicks, fn);
    if (!st)
        st = subject(&r, byopt[ejd_room_opt("subject", 7) - ejd_room_opts],
                     byopt[ejd_room_opt("subject_author", 14) - ejd_room_opts],
                     fn);
    return st;
}
