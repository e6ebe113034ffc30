/*
 * Prosody's values (prosody_value.h): building, reading, and the stanza
 * form of util.stanza's preserialize().
 */
#include <string.h>

#include "prosody_value.h"

struct pv pv_nil(void)
{
    struct pv v = {0};
    return v;
}

struct pv pv_bool(bool b)
{
    struct pv v = {.t = PV_BOOL, .b = b};
    return v;
}

struct pv pv_int(long long i)
{
    struct pv v = {.t = PV_NUM, .is_int = true, .i = i, .n = (double)i};
    return v;
}

struct pv pv_num(double n)
{
    struct pv v = {.t = PV_NUM, .n = n};
    return v;
}

struct pv pv_strn(const char *s, size_t n)
{
    struct pv v = {.t = PV_STR, .s = s, .len = n};
    return v;
}

struct pv pv_str(const char *s)
{
    return pv_strn(s, strlen(s));
}

bool pv_str_dup(struct xp_arena *a, const char *s, size_t n, struct pv *out)
{
    char *c = xp_arena_strndup(a, s, n);
    if (!c)
        return false;
    *out = pv_strn(c, n);
    return true;
}

struct pv pv_table(void)
{
    struct pv v = {.t = PV_TABLE};
    return v;
}

bool pv_key_eq(const struct pv *a, const struct pv *b)
{
    if (a->t != b->t)
        return false;
    switch (a->t) {
    case PV_NIL:
        return true;
    case PV_BOOL:
        return a->b == b->b;
    case PV_NUM:
        if (a->is_int && b->is_int)
            return a->i == b->i;
        return a->n == b->n;
    case PV_STR:
        return a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
    case PV_TABLE:
        return a == b;
    }
    return false;
}

static struct pv_field *find(const struct pv *t, const struct pv *k)
{
    if (!t || t->t != PV_TABLE)
        return NULL;
    for (struct pv_field *f = t->first; f; f = f->next)
        if (pv_key_eq(&f->k, k))
            return f;
    return NULL;
}

static bool is_int_key(const struct pv *k, long long *i)
{
    if (k->t != PV_NUM)
        return false;
    if (k->is_int) {
        *i = k->i;
        return true;
    }
    /* A float key with an integer value is that integer (Lua 5.3+). */
    if (k->n >= -9007199254740992.0 && k->n <= 9007199254740992.0 &&
        k->n == (double)(long long)k->n) {
        *i = (long long)k->n;
        return true;
    }
    return false;
}

bool pv_set(struct xp_arena *a, struct pv *t, struct pv k, struct pv v)
{
    long long ik = 0;
    bool isint = is_int_key(&k, &ik);
    if (isint)
        k = pv_int(ik);
    /* Appending t[#t+1] needs no search unless keys were set out of
     * order. */
    struct pv_field *f = NULL;
    if (!(isint && ik == (long long)t->seq + 1 && !t->sparse))
        f = find(t, &k);
    if (f) {
        if (v.t != PV_NIL) {
            f->v = v;
            return true;
        }
        struct pv_field **pp = &t->first, *prev = NULL;
        while (*pp != f) {
            prev = *pp;
            pp = &(*pp)->next;
        }
        *pp = f->next;
        if (t->last == f)
            t->last = prev;
        t->count--;
        if (isint && ik >= 1 && (size_t)ik <= t->seq) {
            if ((size_t)ik < t->seq)
                t->sparse = true;
            t->seq = (size_t)ik - 1;
        }
        return true;
    }
    if (v.t == PV_NIL)
        return true;
    f = xp_arena_alloc(a, sizeof *f);
    if (!f)
        return false;
    f->k = k;
    f->v = v;
    f->next = NULL;
    if (t->last)
        t->last->next = f;
    else
        t->first = f;
    t->last = f;
    t->count++;
    if (isint && ik == (long long)t->seq + 1) {
        t->seq++;
        while (t->sparse && find(t, &(struct pv){.t = PV_NUM,
                                                 .is_int = true,
                                                 .i = (long long)t->seq + 1}))
            t->seq++;
    } else if (isint && ik > (long long)t->seq + 1) {
        t->sparse = true;
    }
    return true;
}

bool pv_set_s(struct xp_arena *a, struct pv *t, const char *k, struct pv v)
{
    return pv_set(a, t, pv_str(k), v);
}

size_t pv_len(const struct pv *t)
{
    return t && t->t == PV_TABLE ? t->seq : 0;
}

bool pv_push(struct xp_arena *a, struct pv *t, struct pv v)
{
    return pv_set(a, t, pv_int((long long)t->seq + 1), v);
}

const struct pv *pv_get(const struct pv *t, const struct pv *k)
{
    struct pv_field *f = find(t, k);
    return f ? &f->v : NULL;
}

const struct pv *pv_get_s(const struct pv *t, const char *k)
{
    struct pv key = pv_str(k);
    return pv_get(t, &key);
}

const struct pv *pv_get_i(const struct pv *t, long long i)
{
    struct pv key = pv_int(i);
    return pv_get(t, &key);
}

const struct pv *pv_get_b(const struct pv *t, bool b)
{
    struct pv key = pv_bool(b);
    return pv_get(t, &key);
}

const char *pv_str_at(const struct pv *t, const char *k)
{
    const struct pv *v = pv_get_s(t, k);
    return v && v->t == PV_STR ? v->s : NULL;
}

bool pv_is_table(const struct pv *v)
{
    return v && v->t == PV_TABLE;
}

/* ---- stanzas ----------------------------------------------------------- */

/* Strings are copied: the value outlives the element. */
static bool from_elem(struct xp_arena *a, const xp_elem *e, bool inside,
                      struct pv *out)
{
    struct pv t = pv_table(), attr = pv_table(), s;
    bool foreign = inside || !xp_streq(e->ns, XP_NS_CLIENT);
    if (!pv_str_dup(a, e->name, strlen(e->name), &s) ||
        !pv_set_s(a, &t, "name", s))
        return false;
    if (foreign && (!pv_str_dup(a, e->ns, strlen(e->ns), &s) ||
                    !pv_set_s(a, &attr, "xmlns", s)))
        return false;
    for (unsigned i = 0; i < e->nattrs; i++) {
        const struct xp_attr *at = &e->attrs[i];
        const char *k = at->name;
        if (xp_streq(at->ns, XP_NS_XML))
            k = xp_arena_printf(a, "xml:%s", at->name);
        else if (at->ns && *at->ns)
            k = xp_arena_printf(a, "%s\1%s", at->ns, at->name);
        else
            k = xp_arena_strdup(a, k);
        if (!k || !pv_str_dup(a, at->value, strlen(at->value), &s) ||
            !pv_set_s(a, &attr, k, s))
            return false;
    }
    if (!pv_set_s(a, &t, "attr", attr))
        return false;
    for (const xp_elem *c = e->first; c; c = c->next) {
        struct pv cv;
        if (c->name) {
            if (!from_elem(a, c, foreign, &cv))
                return false;
        } else if (!pv_str_dup(a, c->text, c->text_len, &cv)) {
            return false;
        }
        if (!pv_push(a, &t, cv))
            return false;
    }
    *out = t;
    return true;
}

bool pv_from_elem(struct xp_arena *a, const xp_elem *e, struct pv *out)
{
    return from_elem(a, e, false, out);
}

static bool attr_to_elem(struct xp_arena *a, xp_elem *el, const struct pv *k,
                         const struct pv *v, const char **why)
{
    if (k->t != PV_STR || v->t != PV_STR) {
        *why = "an attribute that is not a string";
        return false;
    }
    if (strcmp(k->s, "xmlns") == 0)
        return true;
    if (!xp_xml_text_ok(v->s, v->len) || memchr(v->s, '\0', v->len)) {
        *why = "an attribute value XML cannot carry";
        return false;
    }
    const char *sep = memchr(k->s, '\1', k->len);
    if (!sep)
        sep = memchr(k->s, '|', k->len); /* deserialize() takes both */
    const char *ns = "", *name = k->s;
    if (sep) {
        ns = xp_arena_strndup(a, k->s, (size_t)(sep - k->s));
        if (!ns)
            return false;
        name = sep + 1;
    } else if (strncmp(k->s, "xml:", 4) == 0) {
        ns = XP_NS_XML;
        name = k->s + 4;
    }
    if ((sep && (!*ns || !xp_xml_text_ok(ns, strlen(ns)))) ||
        !xp_xml_ncname_ok(name) ||
        strlen(name) != k->len - (size_t)(name - k->s) ||
        (!*ns && strncmp(name, "xmlns", 5) == 0)) {
        *why = "an attribute name XML cannot carry";
        return false;
    }
    return xp_elem_set_attr(a, el, ns, name, v->s);
}

xp_elem *pv_to_elem(struct xp_arena *a, const struct pv *v,
                    const char *parent_ns, const char **why)
{
    *why = NULL;
    const char *name = pv_str_at(v, "name");
    const struct pv *attr = pv_get_s(v, "attr");
    if (!pv_is_table(v) || !name || !*name) {
        *why = "an element without a name";
        return NULL;
    }
    if (attr && attr->t != PV_TABLE) {
        *why = "an element whose attr is not a table";
        return NULL;
    }
    const char *ns = attr ? pv_str_at(attr, "xmlns") : NULL;
    if (!xp_xml_ncname_ok(name) || (ns && !xp_xml_text_ok(ns, strlen(ns)))) {
        *why = "an element name or namespace XML cannot carry";
        return NULL;
    }
    xp_elem *el = xp_elem_new(a, ns ? ns : parent_ns, name);
    if (!el)
        return NULL;
    if (attr)
        for (const struct pv_field *f = attr->first; f; f = f->next)
            if (!attr_to_elem(a, el, &f->k, &f->v, why))
                return NULL;
    size_t n = pv_len(v);
    for (size_t i = 1; i <= n; i++) {
        const struct pv *c = pv_get_i(v, (long long)i);
        if (!c) /* a hole in the array part: nothing to carry */
            continue;
        if (c->t == PV_STR) {
            if (!xp_xml_text_ok(c->s, c->len)) {
                *why = "text XML cannot carry (not UTF-8, or a control "
                       "character)";
                return NULL;
            }
            if (!xp_elem_add_text(a, el, c->s, c->len))
                return NULL;
        } else if (c->t == PV_TABLE) {
            xp_elem *ce = pv_to_elem(a, c, el->ns, why);
            if (!ce)
                return NULL;
            xp_elem_append(el, ce);
        } else {
            *why = "a child that is neither an element nor text";
            return NULL;
        }
    }
    return el;
}

/* ---- text --------------------------------------------------------------- */

bool pv_add_utf8(struct xp_buf *b, unsigned long cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return xp_buf_add(b, u, n) == XPORTA_OK;
}
