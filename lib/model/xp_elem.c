/* Element trees: building, reading, serialising, comparing. */
#include <string.h>

#include "xp_model.h"

/* ---- building ----------------------------------------------------------- */

xp_elem *xp_elem_new(struct xp_arena *a, const char *ns, const char *name)
{
    xp_elem *e = xp_arena_alloc(a, sizeof *e);
    if (!e)
        return NULL;
    memset(e, 0, sizeof *e);
    e->ns = ns ? ns : "";
    e->name = name;
    return e;
}

static bool attr_room(struct xp_arena *a, xp_elem *e)
{
    if (e->nattrs < e->attrs_cap)
        return true;
    if (e->nattrs >= XP_MAX_ATTRS)
        return false;
    unsigned cap = e->attrs_cap ? e->attrs_cap * 2 : 4;
    struct xp_attr *n = xp_arena_alloc(a, cap * sizeof *n);
    if (!n)
        return false;
    if (e->nattrs)
        memcpy(n, e->attrs, e->nattrs * sizeof *n);
    e->attrs = n;
    e->attrs_cap = cap;
    return true;
}

bool xp_elem_set_attr_ref(struct xp_arena *a, xp_elem *e, const char *ns,
                          const char *name, const char *value)
{
    if (!ns)
        ns = "";
    for (unsigned i = 0; i < e->nattrs; i++) {
        if (strcmp(e->attrs[i].name, name) == 0 &&
            strcmp(e->attrs[i].ns, ns) == 0) {
            e->attrs[i].value = value;
            return true;
        }
    }
    if (!attr_room(a, e))
        return false;
    e->attrs[e->nattrs].ns = ns;
    e->attrs[e->nattrs].name = name;
    e->attrs[e->nattrs].value = value;
    e->nattrs++;
    return true;
}

bool xp_elem_add_attr_ref(struct xp_arena *a, xp_elem *e, const char *ns,
                          const char *name, const char *value)
{
    if (!attr_room(a, e))
        return false;
    e->attrs[e->nattrs].ns = ns ? ns : "";
    e->attrs[e->nattrs].name = name;
    e->attrs[e->nattrs].value = value;
    e->nattrs++;
    return true;
}

bool xp_elem_set_attr(struct xp_arena *a, xp_elem *e, const char *ns,
                      const char *name, const char *value)
{
    const char *n = xp_arena_strdup(a, name);
    const char *v = xp_arena_strdup(a, value);
    const char *s = ns && *ns ? xp_arena_strdup(a, ns) : "";
    if (!n || !v || !s)
        return false;
    return xp_elem_set_attr_ref(a, e, s, n, v);
}

void xp_elem_remove_attr(xp_elem *e, const char *ns, const char *name)
{
    if (!ns)
        ns = "";
    for (unsigned i = 0; i < e->nattrs; i++) {
        if (strcmp(e->attrs[i].name, name) == 0 &&
            strcmp(e->attrs[i].ns, ns) == 0) {
            memmove(&e->attrs[i], &e->attrs[i + 1],
                    (e->nattrs - i - 1) * sizeof e->attrs[0]);
            e->nattrs--;
            return;
        }
    }
}

void xp_elem_append(xp_elem *parent, xp_elem *child)
{
    child->parent = parent;
    child->next = NULL;
    if (parent->last)
        parent->last->next = child;
    else
        parent->first = child;
    parent->last = child;
}

void xp_elem_unlink(xp_elem *e)
{
    xp_elem *p = e->parent;
    if (!p)
        return;
    xp_elem *prev = NULL;
    for (xp_elem *c = p->first; c; prev = c, c = c->next) {
        if (c != e)
            continue;
        if (prev)
            prev->next = c->next;
        else
            p->first = c->next;
        if (p->last == c)
            p->last = prev;
        break;
    }
    e->parent = NULL;
    e->next = NULL;
}

bool xp_elem_add_text(struct xp_arena *a, xp_elem *e, const char *s, size_t n)
{
    xp_elem *t = e->last;
    if (n == 0)
        return true;
    if (t && !t->name) {
        char *joined = xp_arena_alloc(a, t->text_len + n + 1);
        if (!joined)
            return false;
        memcpy(joined, t->text, t->text_len);
        memcpy(joined + t->text_len, s, n);
        joined[t->text_len + n] = '\0';
        t->text = joined;
        t->text_len += n;
        return true;
    }
    t = xp_elem_new(a, "", NULL);
    if (!t)
        return false;
    char *copy = xp_arena_strndup(a, s, n);
    if (!copy)
        return false;
    t->text = copy;
    t->text_len = n;
    xp_elem_append(e, t);
    return true;
}

xp_elem *xp_elem_add_child(struct xp_arena *a, xp_elem *parent, const char *ns,
                           const char *name)
{
    xp_elem *c = xp_elem_new(a, ns, name);
    if (c)
        xp_elem_append(parent, c);
    return c;
}

xp_elem *xp_elem_add_text_child(struct xp_arena *a, xp_elem *parent,
                                const char *ns, const char *name,
                                const char *text)
{
    xp_elem *c = xp_elem_add_child(a, parent, ns, name);
    if (c && text && !xp_elem_add_text(a, c, text, strlen(text)))
        return NULL;
    return c;
}

xp_elem *xp_elem_clone(struct xp_arena *a, const xp_elem *e)
{
    xp_elem *c;
    if (!e->name) {
        c = xp_elem_new(a, "", NULL);
        if (!c)
            return NULL;
        c->text = xp_arena_strndup(a, e->text, e->text_len);
        c->text_len = e->text_len;
        return c->text ? c : NULL;
    }
    /* A failed copy of the namespace must not read as "no namespace"
     * (xp_elem_new takes NULL for ""): fail instead. */
    const char *ns = xp_arena_strdup(a, e->ns);
    const char *name = ns ? xp_arena_strdup(a, e->name) : NULL;
    c = name ? xp_elem_new(a, ns, name) : NULL;
    if (!c)
        return NULL;
    for (unsigned i = 0; i < e->nattrs; i++)
        if (!xp_elem_set_attr(a, c, e->attrs[i].ns, e->attrs[i].name,
                              e->attrs[i].value))
            return NULL;
    for (const xp_elem *k = e->first; k; k = k->next) {
        xp_elem *kc = xp_elem_clone(a, k);
        if (!kc)
            return NULL;
        xp_elem_append(c, kc);
    }
    return c;
}

/* ---- reading ------------------------------------------------------------ */

const char *xp_elem_attr_ns(const xp_elem *e, const char *ns, const char *name)
{
    if (!e)
        return NULL;
    if (!ns)
        ns = "";
    for (unsigned i = 0; i < e->nattrs; i++) {
        const struct xp_attr *at = &e->attrs[i];
        if (at->name[0] == name[0] && strcmp(at->name, name) == 0 &&
            at->ns[0] == ns[0] && strcmp(at->ns, ns) == 0)
            return at->value;
    }
    return NULL;
}

bool xp_elem_is(const xp_elem *e, const char *ns, const char *name)
{
    return e && e->name && strcmp(e->name, name) == 0 &&
           (!ns || strcmp(e->ns, ns) == 0);
}

xp_elem *xp_elem_child(const xp_elem *e, const char *ns, const char *name)
{
    if (!e)
        return NULL;
    for (xp_elem *c = e->first; c; c = c->next)
        if (xp_elem_is(c, ns, name))
            return c;
    return NULL;
}

xp_elem *xp_elem_first_element(const xp_elem *e)
{
    if (!e)
        return NULL;
    for (xp_elem *c = e->first; c; c = c->next)
        if (c->name)
            return c;
    return NULL;
}

xp_elem *xp_elem_next_element(const xp_elem *e)
{
    for (xp_elem *c = e->next; c; c = c->next)
        if (c->name)
            return c;
    return NULL;
}

const char *xp_elem_text(const xp_elem *e)
{
    if (!e)
        return "";
    if (!e->name)
        return e->text;
    for (const xp_elem *c = e->first; c; c = c->next)
        if (!c->name)
            return c->text;
    return "";
}

const char *xp_elem_child_text(const xp_elem *e, const char *ns,
                               const char *name)
{
    xp_elem *c = xp_elem_child(e, ns, name);
    return c ? xp_elem_text(c) : NULL;
}

void xp_elem_rename_ns(xp_elem *e, const char *from, const char *to)
{
    if (!e->name)
        return;
    if (strcmp(e->ns, from) == 0)
        e->ns = to;
    for (xp_elem *c = e->first; c; c = c->next)
        xp_elem_rename_ns(c, from, to);
}

/* Public read-only accessors. */
const char *xporta_elem_name(const xporta_elem *e)
{
    return e ? e->name : NULL;
}

const char *xporta_elem_ns(const xporta_elem *e)
{
    return e ? e->ns : "";
}

const char *xporta_elem_attr(const xporta_elem *e, const char *name)
{
    return xp_elem_attr_ns(e, "", name);
}

const xporta_elem *xporta_elem_first(const xporta_elem *e)
{
    return e ? e->first : NULL;
}

const xporta_elem *xporta_elem_next(const xporta_elem *e)
{
    return e ? e->next : NULL;
}

const xporta_elem *xporta_elem_child(const xporta_elem *e, const char *ns,
                                     const char *name)
{
    return xp_elem_child(e, ns, name);
}

const char *xporta_elem_text(const xporta_elem *e)
{
    return xp_elem_text(e);
}

xporta_status xporta_elem_to_string(const xporta_elem *e, char **out,
                                    size_t *len)
{
    struct xp_buf b;
    if (!e || !out)
        return XPORTA_EINVAL;
    xp_buf_init(&b, SIZE_MAX / 2);
    xporta_status st = xp_elem_serialize(&b, e, "");
    if (st != XPORTA_OK) {
        xp_buf_cleanup(&b);
        return st;
    }
    if (len)
        *len = b.len;
    *out = xp_buf_take(&b);
    return *out ? XPORTA_OK : XPORTA_ENOMEM;
}

/* ---- serialising -------------------------------------------------------- */

/* What each byte becomes: 0 itself, else the index of its escape; one
 * table for text, one for attribute values (single-quoted). */
static const char *const escapes[] = {
    NULL, "&amp;", "&lt;", "&gt;", "&#13;", "&apos;", "&#9;", "&#10;",
};
static const unsigned char text_esc[256] = {
    ['&'] = 1,
    ['<'] = 2,
    ['>'] = 3,
    ['\r'] = 4,
};
static const unsigned char attr_esc[256] = {
    ['&'] = 1, ['<'] = 2, ['\''] = 5, ['\t'] = 6, ['\n'] = 7, ['\r'] = 4,
};

/* Copies runs that need no escape whole (most text has none at all). */
static xporta_status escape(struct xp_buf *out, const char *s, size_t n,
                            const unsigned char *table)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char k = table[p[i]];
        if (!k)
            continue;
        xporta_status st = xp_buf_add(out, s + run, i - run);
        if (st == XPORTA_OK)
            st = xp_buf_adds(out, escapes[k]);
        if (st != XPORTA_OK)
            return st;
        run = i + 1;
    }
    return xp_buf_add(out, s + run, n - run);
}

xporta_status xp_xml_escape_text(struct xp_buf *out, const char *s, size_t n)
{
    return escape(out, s, n, text_esc);
}

xporta_status xp_xml_escape_attr(struct xp_buf *out, const char *s)
{
    return escape(out, s, strlen(s), attr_esc);
}

/* "</name>" */
static xporta_status serialize_close(struct xp_buf *out, const char *name)
{
    size_t n = strlen(name);
    if (out->len + n + 4 <= out->cap && out->len + n + 3 <= out->max) {
        char *d = out->data + out->len;
        d[0] = '<';
        d[1] = '/';
        memcpy(d + 2, name, n);
        d[n + 2] = '>';
        d[n + 3] = '\0';
        out->len += n + 3;
        return XPORTA_OK;
    }
    xporta_status st = xp_buf_add(out, "</", 2);
    if (st == XPORTA_OK)
        st = xp_buf_add(out, name, n);
    return st == XPORTA_OK ? xp_buf_addc(out, '>') : st;
}

static xporta_status serialize_open(struct xp_buf *out, const xp_elem *e,
                                    const char *parent_ns)
{
    xporta_status st = xp_buf_addc(out, '<');
    if (st == XPORTA_OK)
        st = xp_buf_adds(out, e->name);
    if (st == XPORTA_OK && e->ns != parent_ns &&
        strcmp(e->ns, parent_ns) != 0) {
        st = xp_buf_adds(out, " xmlns='");
        if (st == XPORTA_OK)
            st = xp_xml_escape_attr(out, e->ns);
        if (st == XPORTA_OK)
            st = xp_buf_addc(out, '\'');
    }
    unsigned prefixes = 0;
    for (unsigned i = 0; st == XPORTA_OK && i < e->nattrs; i++) {
        const struct xp_attr *at = &e->attrs[i];
        st = xp_buf_addc(out, ' ');
        if (st != XPORTA_OK)
            break;
        if (at->ns[0] == '\0') {
            st = xp_buf_adds(out, at->name);
        } else if (strcmp(at->ns, XP_NS_XML) == 0) {
            st = xp_buf_printf(out, "xml:%s", at->name);
        } else {
            /* A prefix of our own, declared on this element. */
            prefixes++;
            st = xp_buf_printf(out, "xmlns:ns%u='", prefixes);
            if (st == XPORTA_OK)
                st = xp_xml_escape_attr(out, at->ns);
            if (st == XPORTA_OK)
                st = xp_buf_printf(out, "' ns%u:%s", prefixes, at->name);
        }
        if (st == XPORTA_OK)
            st = xp_buf_adds(out, "='");
        if (st == XPORTA_OK)
            st = xp_xml_escape_attr(out, at->value);
        if (st == XPORTA_OK)
            st = xp_buf_addc(out, '\'');
    }
    return st;
}

xporta_status xp_elem_serialize(struct xp_buf *out, const xp_elem *e,
                                const char *parent_ns)
{
    /* Iterative walk: payloads come from untrusted input, and nesting depth
     * must not turn into C stack depth. */
    const xp_elem *n = e;
    xporta_status st;
    if (!e->name)
        return xp_xml_escape_text(out, e->text, e->text_len);
    for (;;) {
        const char *scope = n->parent && n != e ? n->parent->ns : parent_ns;
        if (!n->name) {
            st = xp_xml_escape_text(out, n->text, n->text_len);
        } else {
            st = serialize_open(out, n, scope);
            if (st == XPORTA_OK && n->first) {
                st = xp_buf_addc(out, '>');
                if (st != XPORTA_OK)
                    return st;
                n = n->first;
                continue;
            }
            if (st == XPORTA_OK)
                st = xp_buf_adds(out, "/>");
        }
        if (st != XPORTA_OK)
            return st;
        /* Climb until a sibling exists, closing elements on the way. */
        while (n != e && !n->next) {
            n = n->parent;
            st = serialize_close(out, n->name);
            if (st != XPORTA_OK)
                return st;
        }
        if (n == e)
            return XPORTA_OK;
        n = n->next;
    }
}

/* ---- equality ----------------------------------------------------------- */

static bool significant(const xp_elem *n)
{
    return n->name || !xp_is_blank(n->text, n->text_len);
}

static const xp_elem *next_significant(const xp_elem *n)
{
    while (n && !significant(n))
        n = n->next;
    return n;
}

static bool attrs_equal(const xp_elem *a, const xp_elem *b)
{
    if (a->nattrs != b->nattrs)
        return false;
    for (unsigned i = 0; i < a->nattrs; i++) {
        const char *v = xp_elem_attr_ns(b, a->attrs[i].ns, a->attrs[i].name);
        if (!v || strcmp(v, a->attrs[i].value) != 0)
            return false;
    }
    return true;
}

bool xp_elem_equal(const xp_elem *a, const xp_elem *b)
{
    if (!a || !b)
        return a == b;
    if (!a->name || !b->name) {
        if (a->name || b->name)
            return false;
        return a->text_len == b->text_len &&
               memcmp(a->text, b->text, a->text_len) == 0;
    }
    if (strcmp(a->name, b->name) != 0 || strcmp(a->ns, b->ns) != 0 ||
        !attrs_equal(a, b))
        return false;
    const xp_elem *x = next_significant(a->first);
    const xp_elem *y = next_significant(b->first);
    while (x && y) {
        if (!xp_elem_equal(x, y))
            return false;
        x = next_significant(x->next);
        y = next_significant(y->next);
    }
    return !x && !y;
}

uint64_t xp_elem_hash(const xp_elem *e)
{
    if (!e->name)
        return xp_hash(e->text, e->text_len, 7);
    uint64_t h = xp_hash(e->name, strlen(e->name), 1);
    h = xp_hash(e->ns, strlen(e->ns), h);
    /* Attributes are a set: combine their hashes order-independently. */
    uint64_t ah = 0;
    for (unsigned i = 0; i < e->nattrs; i++) {
        uint64_t x = xp_hash(e->attrs[i].name, strlen(e->attrs[i].name), 3);
        x = xp_hash(e->attrs[i].ns, strlen(e->attrs[i].ns), x);
        x = xp_hash(e->attrs[i].value, strlen(e->attrs[i].value), x);
        ah += x;
    }
    h ^= ah * 31;
    for (const xp_elem *c = e->first; c; c = c->next)
        if (significant(c))
            h = h * 1099511628211ull ^ xp_elem_hash(c);
    return h;
}

bool xp_elem_has_content(const xp_elem *e)
{
    if (e->nattrs > 0)
        return true;
    for (const xp_elem *c = e->first; c; c = c->next)
        if (c->name || !xp_is_blank(c->text, c->text_len))
            return true;
    return false;
}

const char *xp_form_value(const xp_elem *parent, const char *var)
{
    const xp_elem *x = xp_elem_child(parent, XP_NS_DATA, "x");
    for (const xp_elem *f = x ? xp_elem_first_element(x) : NULL; f;
         f = xp_elem_next_element(f))
        if (xp_elem_is(f, XP_NS_DATA, "field") &&
            xp_streq(xporta_elem_attr(f, "var"), var))
            return xp_elem_child_text(f, XP_NS_DATA, "value");
    return NULL;
}

bool xp_xml_text_ok(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        if (c < 0x80) {
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
                return false;
            i++;
            continue;
        }
        size_t len = (c & 0xe0) == 0xc0 && c >= 0xc2   ? 2
                     : (c & 0xf0) == 0xe0              ? 3
                     : (c & 0xf8) == 0xf0 && c <= 0xf4 ? 4
                                                       : 0;
        if (!len || i + len > n)
            return false;
        unsigned long cp = c & (0x7f >> len);
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i + k] & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe ||
            cp == 0xffff)
            return false;
        i += len;
    }
    return true;
}

bool xp_xml_ncname_ok(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    if (!*p || (*p >= '0' && *p <= '9') || *p == '-' || *p == '.')
        return false;
    for (; *p; p++) {
        unsigned c = *p;
        bool ok = c >= 0x80 || (c >= 'a' && c <= 'z') ||
                  (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-' || c == '.';
        if (!ok)
            return false;
    }
    return xp_xml_text_ok(s, strlen(s));
}
