/*
 * A room's records -> muc_room.opts (ejd_room.h), as ejabberd 23.01's
 * make_opts writes it.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ejd_room_p.h"

/* ---- writing ----------------------------------------------------------- */

void ejd_room_w_init(struct ejd_room_w *w, struct xp_arena *a, const char *room)
{
    memset(w, 0, sizeof *w);
    w->a = a;
    w->room = room;
}

/* The bare JID in ejabberd's case (ASCII letters lowered, as jid:tolower
 * does for them), from `a`. */
static char *lower_bare(struct xp_arena *a, const char *jid)
{
    char *b = jid ? xp_jid_bare(a, jid) : NULL;
    for (char *p = b; p && *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return b;
}

static xporta_status w_bad(const struct ejd_room_w *w, const char **why,
                           xporta_status st, const char *what)
{
    const char *m =
        what ? xp_arena_printf(w->a, "room %s: %s", w->room, what) : NULL;
    *why = m ? m : "out of memory";
    return m ? st : XPORTA_ENOMEM;
}

static xporta_status add_aff(struct ejd_room_w *w, const xp_elem *p,
                             const char **why)
{
    const char *jid = xp_elem_attr_ns(p, "", "jid");
    const char *aff = xp_elem_attr_ns(p, "", "affiliation");
    const char *why_jid;
    if (!xp_elem_is(p, XP_NS_MUC_USER, "item") || !jid || !aff ||
        !xporta_jid_is_valid(jid, &why_jid) ||
        !ejd_room_in(ejd_room_affs, aff, strlen(aff)))
        return w_bad(w, why, XPORTA_EFORMAT,
                     xp_arena_printf(w->a,
                                     "affiliation of %s: not a muc#user "
                                     "<item> with a JID and an affiliation "
                                     "owner, admin, member or outcast",
                                     jid ? jid : "(no jid)"));
    struct ejd_room_aff n = {lower_bare(w->a, jid), xp_arena_strdup(w->a, aff),
                             xp_elem_child_text(p, XP_NS_MUC_USER, "reason"),
                             xp_elem_attr_ns(p, "", "nick")};
    if (!n.jid || !n.affiliation)
        return XPORTA_ENOMEM;
    n.reason = n.reason ? xp_arena_strdup(w->a, n.reason) : "";
    n.nick = n.nick && *n.nick ? xp_arena_strdup(w->a, n.nick) : NULL;
    if (!n.reason)
        return XPORTA_ENOMEM;
    for (size_t i = 0; i < w->naffs; i++)
        if (strcmp(w->affs[i].jid, n.jid) == 0) {
            w->affs[i] = n;
            return XPORTA_OK;
        }
    if (w->naffs == w->capaffs) {
        size_t cap = w->capaffs ? w->capaffs * 2 : 16;
        struct ejd_room_aff *v = xp_arena_alloc(w->a, cap * sizeof *v);
        if (!v)
            return XPORTA_ENOMEM;
        if (w->naffs)
            memcpy(v, w->affs, w->naffs * sizeof *v);
        w->affs = v;
        w->capaffs = cap;
    }
    w->affs[w->naffs++] = n;
    return XPORTA_OK;
}

xporta_status ejd_room_w_add(struct ejd_room_w *w, const xporta_record *rec,
                             const char **why)
{
    const xp_elem *p = rec->payload;
    const xp_elem **slot = NULL;
    const char *ns = NULL, *name = NULL;
    switch (rec->kind) {
    case XPORTA_KIND_ROOM_AFFILIATION:
        return p ? add_aff(w, p, why)
                 : w_bad(w, why, XPORTA_EFORMAT, "an empty affiliation");
    case XPORTA_KIND_ROOM_CONFIG:
        slot = &w->form, ns = XP_NS_DATA, name = "x";
        break;
    case XPORTA_KIND_ROOM_SUBJECT:
        slot = &w->subject, ns = XP_NS_CLIENT, name = "message";
        break;
    case XPORTA_KIND_VCARD:
        slot = &w->vcard, ns = XP_NS_VCARD, name = "vCard";
        break;
    default:
        return w_bad(w, why, XPORTA_EUNSUPPORTED,
                     xp_arena_printf(w->a,
                                     "a %s record has no place in ejabberd's "
                                     "muc_room",
                                     xp_kind_info(rec->kind)->name));
    }
    if (!p || !xp_elem_is(p, ns, name))
        return w_bad(w, why, XPORTA_EFORMAT,
                     xp_arena_printf(w->a, "a %s record that is not {%s}%s",
                                     xp_kind_info(rec->kind)->name, ns, name));
    *slot = xp_elem_clone(w->a, p);
    return *slot ? XPORTA_OK : XPORTA_ENOMEM;
}

/* An LJID term for a JID. */
static xporta_status ljid_term(struct xp_buf *b, const char *jid)
{
    struct xp_jid_parts p;
    if (!xp_jid_split(jid, &p))
        return XPORTA_EFORMAT;
    char tmp[3][1024];
    const char *src[3] = {p.local, p.domain, p.resource};
    size_t len[3] = {p.local ? p.local_len : 0, p.domain_len,
                     p.resource ? p.resource_len : 0};
    xporta_status st = xp_buf_addc(b, '{');
    for (int i = 0; !st && i < 3; i++) {
        if (len[i] >= sizeof tmp[i])
            return XPORTA_EFORMAT;
        for (size_t k = 0; k < len[i]; k++) {
            char c = src[i][k];
            tmp[i][k] =
                i < 2 && c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
        }
        if (i)
            st = xp_buf_addc(b, ',');
        if (!st)
            st = et_bin_print(b, tmp[i], len[i]);
    }
    return st ? st : xp_buf_addc(b, '}');
}

static bool parse_bool(const char *v, bool *out)
{
    if (xp_streq(v, "1") || xp_streq(v, "true"))
        return *out = true, true;
    if (xp_streq(v, "0") || xp_streq(v, "false"))
        return *out = false, true;
    return false;
}

static bool digits(const char *v)
{
    if (!v || !*v || strlen(v) > 9)
        return false;
    for (; *v; v++)
        if (*v < '0' || *v > '9')
            return false;
    return true;
}

/* A field's value as the option's Erlang text (into b); false when
 * ejabberd's form would refuse it. */
static xporta_status field_term(const struct room_opt *o, const xp_elem *f,
                                struct xp_buf *b)
{
    const xp_elem *first = xp_elem_child(f, XP_NS_DATA, "value");
    const char *v = first ? xp_elem_text(first) : "";
    bool yes;
    switch (o->t) {
    case RO_BOOL:
        return parse_bool(v, &yes) ? xp_buf_adds(b, yes ? "true" : "false")
                                   : XPORTA_EFORMAT;
    case RO_WHOIS:
        if (strcmp(v, "moderators") && strcmp(v, "anyone"))
            return XPORTA_EFORMAT;
        return xp_buf_adds(b, *v == 'm' ? "true" : "false");
    case RO_BIN:
        return et_bin_print(b, v, strlen(v));
    case RO_MAXUSERS:
    case RO_INT:
        if (o->t == RO_MAXUSERS && strcmp(v, "none") == 0)
            return xp_buf_adds(b, "none");
        return digits(v) ? xp_buf_printf(b, "%ld", strtol(v, NULL, 10))
                         : XPORTA_EFORMAT;
    case RO_PMV:
        return ejd_room_in(ejd_room_pmv, v, strlen(v)) ? xp_buf_adds(b, v)
                                                       : XPORTA_EFORMAT;
    case RO_ROLES:
    case RO_JIDS: {
        xporta_status st = xp_buf_addc(b, '[');
        bool any = false;
        for (const xp_elem *e = xp_elem_first_element(f); !st && e;
             e = xp_elem_next_element(e)) {
            if (!xp_elem_is(e, XP_NS_DATA, "value"))
                continue;
            const char *s = xp_elem_text(e);
            if (any)
                st = xp_buf_addc(b, ',');
            any = true;
            if (st)
                break;
            if (o->t == RO_ROLES)
                st = ejd_room_in(ejd_room_roles, s, strlen(s))
                         ? xp_buf_adds(b, s)
                         : XPORTA_EFORMAT;
            else
                st = xporta_jid_is_valid(s, NULL) ? ljid_term(b, s)
                                                  : XPORTA_EFORMAT;
        }
        return st ? st : xp_buf_addc(b, ']');
    }
    default:
        return XPORTA_EFORMAT;
    }
}

#define NOPTS 64

static void w_note(const struct ejd_room_w *w, ejd_room_note_fn note, void *ud,
                   const char *what)
{
    const char *m =
        what ? xp_arena_printf(w->a, "%s: %s", w->room, what) : NULL;
    if (note && m)
        note(ud, m);
}

/* Each option's Erlang text from the form (NULL: the default). */
static xporta_status form_terms(const struct ejd_room_w *w, const char **val,
                                ejd_room_note_fn note, void *ud,
                                const char **why)
{
    struct xp_buf b;
    xp_buf_init(&b, 1u << 24);
    xporta_status st = XPORTA_OK;
    for (const xp_elem *f = w->form ? xp_elem_first_element(w->form) : NULL;
         !st && f; f = xp_elem_next_element(f)) {
        const char *var = xp_elem_attr_ns(f, "", "var");
        if (!xp_elem_is(f, XP_NS_DATA, "field") || !var ||
            strcmp(var, "FORM_TYPE") == 0)
            continue;
        const struct room_opt *o = ejd_room_opt_var(var);
        if (!o) {
            w_note(w, note, ud,
                   xp_arena_printf(w->a,
                                   "field %s has no ejabberd option: not "
                                   "carried",
                                   var));
            continue;
        }
        xp_buf_reset(&b);
        st = field_term(o, f, &b);
        if (st == XPORTA_EFORMAT) {
            const char *v = xp_elem_child_text(f, XP_NS_DATA, "value");
            st = w_bad(w, why, XPORTA_EFORMAT,
                       xp_arena_printf(w->a,
                                       "field %s: '%s' is not a value "
                                       "ejabberd's %s takes",
                                       var, v ? v : "", o->name));
        } else if (!st && !(val[o - ejd_room_opts] =
                                xp_arena_strndup(w->a, b.data, b.len))) {
            st = XPORTA_ENOMEM;
        }
    }
    xp_buf_cleanup(&b);
    return st;
}

static xporta_status special(const struct ejd_room_w *w, const char *name,
                             struct xp_buf *b)
{
    xporta_status st = XPORTA_OK;
    if (strcmp(name, "affiliations") == 0) {
        st = xp_buf_addc(b, '[');
        for (size_t i = 0; !st && i < w->naffs; i++) {
            const struct ejd_room_aff *f = &w->affs[i];
            if (i)
                st = xp_buf_addc(b, ',');
            if (!st)
                st = xp_buf_addc(b, '{');
            if (!st)
                st = ljid_term(b, f->jid);
            if (!st)
                st = xp_buf_printf(b, ",{%s,", f->affiliation);
            if (!st)
                st = et_bin_print(b, f->reason, strlen(f->reason));
            if (!st)
                st = xp_buf_adds(b, "}}");
        }
        return st ? st : xp_buf_addc(b, ']');
    }
    const xp_elem *m = w->subject;
    if (strcmp(name, "subject") == 0) {
        st = xp_buf_addc(b, '[');
        bool any = false;
        for (const xp_elem *s = m ? xp_elem_first_element(m) : NULL; !st && s;
             s = xp_elem_next_element(s)) {
            if (!xp_elem_is(s, XP_NS_CLIENT, "subject"))
                continue;
            const char *lang = xp_elem_attr_ns(s, XP_NS_XML, "lang");
            const char *text = xp_elem_text(s);
            if (!*text)
                continue; /* an empty subject is no subject */
            st = xp_buf_adds(b, any ? ",{text," : "{text,");
            any = true;
            if (!st)
                st = et_bin_print(b, lang ? lang : "", lang ? strlen(lang) : 0);
            if (!st)
                st = xp_buf_addc(b, ',');
            if (!st)
                st = et_bin_print(b, text, strlen(text));
            if (!st)
                st = xp_buf_addc(b, '}');
        }
        return st ? st : xp_buf_addc(b, ']');
    }
    /* subject_author: the nick of from='room/nick' */
    const char *from = m ? xp_elem_attr_ns(m, "", "from") : NULL;
    const char *slash = from ? strchr(from, '/') : NULL;
    size_t rl = strlen(w->room);
    if (slash && (size_t)(slash - from) == rl &&
        xp_ascii_ieq(from, w->room, rl))
        return et_bin_print(b, slash + 1, strlen(slash + 1));
    return xp_buf_adds(b, "<<>>");
}

/* vcard_xupdate as set_vcard_xupdate computes it when a room with a vCard
 * is loaded (mod_vcard_xupdate:compute_hash): the SHA-1 of the photo in
 * hex, external for a photo by URL, <<>> without one. */
static xporta_status xupdate(const xp_elem *vcard, struct xp_buf *b)
{
    const xp_elem *ph = xp_elem_child(vcard, XP_NS_VCARD, "PHOTO");
    const char *bin = ph ? xp_elem_child_text(ph, XP_NS_VCARD, "BINVAL") : NULL;
    const char *ext = ph ? xp_elem_child_text(ph, XP_NS_VCARD, "EXTVAL") : NULL;
    size_t n = bin ? strlen(bin) : 0, len = 0;
    unsigned char *raw = n ? malloc(n / 4 * 3 + 3) : NULL;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    xporta_status st;
    if (raw && xp_b64_decode(bin, n, raw, &len) && len &&
        EVP_Digest(raw, len, md, &mdlen, EVP_sha1(), NULL)) {
        st = xp_buf_adds(b, "<<\"");
        for (unsigned i = 0; !st && i < mdlen; i++)
            st = xp_buf_printf(b, "%02x", md[i]);
        if (!st)
            st = xp_buf_adds(b, "\">>");
    } else if ((!bin || !*bin) && ext && *ext) {
        st = xp_buf_adds(b, "external");
    } else {
        st = xp_buf_adds(b, "<<>>");
    }
    free(raw);
    return st;
}

xporta_status ejd_room_w_opts(const struct ejd_room_w *w, struct xp_buf *out,
                              ejd_room_note_fn note, void *ud, const char **why)
{
    const char *val[NOPTS] = {0};
    if (ejd_room_nopts > NOPTS)
        return XPORTA_EINVAL; /* the table outgrew this array */
    xporta_status st = form_terms(w, val, note, ud, why);
    if (st)
        return st;
    size_t ipers = (size_t)(ejd_room_opt("persistent", 10) - ejd_room_opts);
    size_t ipp =
        (size_t)(ejd_room_opt("password_protected", 18) - ejd_room_opts);
    size_t ipw = (size_t)(ejd_room_opt("password", 8) - ejd_room_opts);
    if (val[ipers] && strcmp(val[ipers], "true")) {
        w_note(w, note, ud,
               "a temporary room: written persistent (ejabberd keeps only "
               "persistent rooms)");
        val[ipers] = NULL;
    }
    if (!val[ipp] && val[ipw] && strcmp(val[ipw], "<<>>"))
        val[ipp] = "true"; /* a form without the field (Prosody's) */
    st = xp_buf_addc(out, '[');
    for (const struct room_opt *o = ejd_room_opts; !st && o->name; o++) {
        st = xp_buf_printf(out, "%s{%s,", o == ejd_room_opts ? "" : ",",
                           o->name);
        const char *v = val[o - ejd_room_opts];
        if (st)
            break;
        if (o->t == RO_SPECIAL) {
            st = special(w, o->name, out);
        } else if (o->t == RO_VCARD && w->vcard) {
            struct xp_buf x;
            xp_buf_init(&x, 1u << 24);
            st = xp_elem_serialize(&x, w->vcard, "");
            if (!st)
                st = et_bin_print(out, x.data, x.len);
            xp_buf_cleanup(&x);
        } else if (strcmp(o->name, "vcard_xupdate") == 0 && w->vcard) {
            st = xupdate(w->vcard, out);
        } else if (v) {
            st = xp_buf_adds(out, v);
        } else if (o->t == RO_BIN) {
            st = et_bin_print(out, o->def, strlen(o->def));
        } else {
            st = xp_buf_adds(out, o->def);
        }
        if (!st)
            st = xp_buf_addc(out, '}');
    }
    if (!st)
        st = xp_buf_addc(out, ']');
    if (st == XPORTA_EFORMAT)
        return w_bad(w, why, st, "a JID ejabberd cannot keep");
    return st;
}
