/*
 * Prosody's values as JSON, the way util/json.lua writes them: what
 * mod_storage_sql keeps in the "value" column of type "json".  A table
 * whose keys are exactly 1..n is an array; any other is an object whose
 * string keys are its fields, its other keys (false, numbers) a "__hash"
 * list of key, value, key, value, and its positional items, when it has
 * string keys too, an "__array".  Reading takes any valid JSON.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prosody_value.h"

#define MAX_DEPTH 128

struct jr {
    struct xp_arena *a;
    const char *p, *end, *start;
    struct xp_err *err;
    struct xp_buf s;
};

static xporta_status jfail(struct jr *r, const char *what)
{
    return xp_fail(r->err, XPORTA_EFORMAT, "JSON at byte %zu: %s",
                   (size_t)(r->p - r->start), what);
}

static void ws(struct jr *r)
{
    while (r->p < r->end &&
           (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

static bool lit(struct jr *r, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, w, n) != 0)
        return false;
    r->p += n;
    return true;
}

static int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static xporta_status string(struct jr *r, struct pv *out)
{
    xp_buf_reset(&r->s);
    r->p++; /* the quote */
    for (;;) {
        if (r->p >= r->end)
            return jfail(r, "a string is not closed");
        char c = *r->p++;
        if (c == '"')
            break;
        if ((unsigned char)c < 0x20)
            return jfail(r, "a control character in a string");
        if (c != '\\') {
            if (xp_buf_addc(&r->s, c))
                return jfail(r, "a string is too long");
            continue;
        }
        if (r->p >= r->end)
            return jfail(r, "a string is not closed");
        c = *r->p++;
        static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
        const char *k = strchr(from, c);
        if (k && c) {
            if (xp_buf_addc(&r->s, to[k - from]))
                return jfail(r, "a string is too long");
            continue;
        }
        if (c != 'u' || r->end - r->p < 4)
            return jfail(r, "a bad escape in a string");
        int cp = hex4(r->p);
        if (cp < 0)
            return jfail(r, "a bad \\u escape");
        r->p += 4;
        unsigned long full = (unsigned long)cp;
        if (cp >= 0xD800 && cp <= 0xDBFF && r->end - r->p >= 6 &&
            r->p[0] == '\\' && r->p[1] == 'u') {
            int lo = hex4(r->p + 2);
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                full = 0x10000 + (((unsigned long)cp - 0xD800) << 10) +
                       ((unsigned long)lo - 0xDC00);
                r->p += 6;
            }
        }
        if (!pv_add_utf8(&r->s, full))
            return jfail(r, "a string is too long");
    }
    if (!pv_str_dup(r->a, xp_buf_str(&r->s), r->s.len, out))
        return xp_fail(r->err, XPORTA_ENOMEM, "out of memory");
    return XPORTA_OK;
}

static xporta_status number(struct jr *r, struct pv *out)
{
    const char *s = r->p;
    bool fl = false;
    while (r->p < r->end && strchr("+-0123456789.eE", *r->p)) {
        if (*r->p == '.' || *r->p == 'e' || *r->p == 'E')
            fl = true;
        r->p++;
    }
    char buf[64];
    size_t n = (size_t)(r->p - s);
    if (n == 0 || n >= sizeof buf)
        return jfail(r, "a bad number");
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *e;
    if (!fl) {
        long long i = strtoll(buf, &e, 10);
        if (*e == '\0') {
            *out = pv_int(i);
            return XPORTA_OK;
        }
    }
    double d = strtod(buf, &e);
    if (*e)
        return jfail(r, "a bad number");
    *out = pv_num(d);
    return XPORTA_OK;
}

static xporta_status value(struct jr *r, struct pv *out, unsigned depth);

/* "__array" and "__hash" fold into the table they belong to. */
static xporta_status special(struct jr *r, struct pv *t, const struct pv *k,
                             const struct pv *v)
{
    if (k->len == 7 && memcmp(k->s, "__array", 7) == 0 && v->t == PV_TABLE) {
        for (size_t i = 1; i <= v->seq; i++)
            if (!pv_set(r->a, t, pv_int((long long)i),
                        *pv_get_i(v, (long long)i)))
                return xp_fail(r->err, XPORTA_ENOMEM, "out of memory");
        return XPORTA_OK;
    }
    if (k->len == 6 && memcmp(k->s, "__hash", 6) == 0 && v->t == PV_TABLE) {
        for (size_t i = 1; i + 1 <= v->seq; i += 2) {
            const struct pv *hk = pv_get_i(v, (long long)i);
            const struct pv *hv = pv_get_i(v, (long long)i + 1);
            if (hk->t == PV_TABLE || hk->t == PV_NIL)
                return jfail(r, "a __hash key that cannot be a key");
            if (!pv_set(r->a, t, *hk, *hv))
                return xp_fail(r->err, XPORTA_ENOMEM, "out of memory");
        }
        return XPORTA_OK;
    }
    return pv_set(r->a, t, *k, *v)
               ? XPORTA_OK
               : xp_fail(r->err, XPORTA_ENOMEM, "out of memory");
}

static xporta_status value(struct jr *r, struct pv *out, unsigned depth)
{
    xporta_status st;
    if (depth > MAX_DEPTH)
        return jfail(r, "nested too deep");
    ws(r);
    if (r->p >= r->end)
        return jfail(r, "a value expected");
    switch (*r->p) {
    case '"':
        return string(r, out);
    case '{': {
        r->p++;
        *out = pv_table();
        ws(r);
        if (r->p < r->end && *r->p == '}') {
            r->p++;
            return XPORTA_OK;
        }
        for (;;) {
            struct pv k, v;
            ws(r);
            if (r->p >= r->end || *r->p != '"')
                return jfail(r, "a key expected");
            if ((st = string(r, &k)))
                return st;
            ws(r);
            if (r->p >= r->end || *r->p++ != ':')
                return jfail(r, "':' expected");
            if ((st = value(r, &v, depth + 1)) ||
                (st = special(r, out, &k, &v)))
                return st;
            ws(r);
            if (r->p < r->end && *r->p == ',') {
                r->p++;
                continue;
            }
            if (r->p < r->end && *r->p == '}') {
                r->p++;
                return XPORTA_OK;
            }
            return jfail(r, "',' or '}' expected");
        }
    }
    case '[': {
        r->p++;
        *out = pv_table();
        ws(r);
        if (r->p < r->end && *r->p == ']') {
            r->p++;
            return XPORTA_OK;
        }
        for (long long i = 1;; i++) {
            struct pv v;
            if ((st = value(r, &v, depth + 1)))
                return st;
            /* null keeps its place: the next item is i + 1 */
            if (v.t != PV_NIL && !pv_set(r->a, out, pv_int(i), v))
                return xp_fail(r->err, XPORTA_ENOMEM, "out of memory");
            ws(r);
            if (r->p < r->end && *r->p == ',') {
                r->p++;
                continue;
            }
            if (r->p < r->end && *r->p == ']') {
                r->p++;
                return XPORTA_OK;
            }
            return jfail(r, "',' or ']' expected");
        }
    }
    default:
        if (lit(r, "true")) {
            *out = pv_bool(true);
            return XPORTA_OK;
        }
        if (lit(r, "false")) {
            *out = pv_bool(false);
            return XPORTA_OK;
        }
        if (lit(r, "null")) {
            *out = pv_nil();
            return XPORTA_OK;
        }
        return number(r, out);
    }
}

xporta_status pv_parse_json(struct xp_arena *a, const char *text, size_t len,
                            struct pv *v, struct xp_err *err)
{
    struct jr r = {a, text, text + len, text, err, {0}};
    xp_buf_init(&r.s, XP_MAX_TOKEN_BYTES);
    xporta_status st = value(&r, v, 0);
    if (!st) {
        ws(&r);
        if (r.p != r.end)
            st = jfail(&r, "text after the value");
    }
    xp_buf_cleanup(&r.s);
    return st;
}

/* ---- writing ------------------------------------------------------------ */

static xporta_status wstr(struct xp_buf *o, const char *s, size_t n)
{
    xporta_status st = xp_buf_addc(o, '"');
    for (size_t i = 0; i < n && !st; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            st = xp_buf_printf(o, "\\%c", c);
        else if (c < 0x20)
            st = xp_buf_printf(o, "\\u%04x", c);
        else
            st = xp_buf_addc(o, (char)c);
    }
    return st ? st : xp_buf_addc(o, '"');
}

static xporta_status wval(struct xp_buf *o, const struct pv *v, unsigned d);

static bool is_positional(const struct pv *t, const struct pv_field *f)
{
    return f->k.t == PV_NUM && f->k.is_int && f->k.i >= 1 &&
           (size_t)f->k.i <= t->seq;
}

static xporta_status wtable(struct xp_buf *o, const struct pv *t, unsigned d)
{
    if (d > MAX_DEPTH)
        return XPORTA_ETOOBIG;
    xporta_status st;
    if (t->count && t->count == t->seq) { /* an array */
        st = xp_buf_addc(o, '[');
        for (size_t i = 1; i <= t->seq && !st; i++) {
            if (i > 1)
                st = xp_buf_addc(o, ',');
            if (!st)
                st = wval(o, pv_get_i(t, (long long)i), d + 1);
        }
        return st ? st : xp_buf_addc(o, ']');
    }
    bool first = true, hash = false;
    st = xp_buf_addc(o, '{');
    for (const struct pv_field *f = t->first; f && !st; f = f->next) {
        if (f->k.t != PV_STR || is_positional(t, f)) {
            hash |= !is_positional(t, f);
            continue;
        }
        if (!first)
            st = xp_buf_addc(o, ',');
        first = false;
        if (!st)
            st = wstr(o, f->k.s, f->k.len);
        if (!st)
            st = xp_buf_addc(o, ':');
        if (!st)
            st = wval(o, &f->v, d + 1);
    }
    if (!st && hash) {
        st = xp_buf_adds(o, first ? "\"__hash\":[" : ",\"__hash\":[");
        first = false;
        bool f1 = true;
        for (const struct pv_field *f = t->first; f && !st; f = f->next) {
            if (f->k.t == PV_STR || is_positional(t, f))
                continue;
            if (!f1)
                st = xp_buf_addc(o, ',');
            f1 = false;
            if (!st)
                st = wval(o, &f->k, d + 1);
            if (!st)
                st = xp_buf_addc(o, ',');
            if (!st)
                st = wval(o, &f->v, d + 1);
        }
        if (!st)
            st = xp_buf_addc(o, ']');
    }
    if (!st && t->seq) {
        st = xp_buf_adds(o, first ? "\"__array\":[" : ",\"__array\":[");
        for (size_t i = 1; i <= t->seq && !st; i++) {
            if (i > 1)
                st = xp_buf_addc(o, ',');
            if (!st)
                st = wval(o, pv_get_i(t, (long long)i), d + 1);
        }
        if (!st)
            st = xp_buf_addc(o, ']');
    }
    return st ? st : xp_buf_addc(o, '}');
}

static xporta_status wval(struct xp_buf *o, const struct pv *v, unsigned d)
{
    switch (v->t) {
    case PV_NIL:
        return xp_buf_adds(o, "null");
    case PV_BOOL:
        return xp_buf_adds(o, v->b ? "true" : "false");
    case PV_NUM:
        if (v->is_int)
            return xp_buf_printf(o, "%lld", v->i);
        if (!isfinite(v->n))
            return XPORTA_EINVAL; /* JSON has no infinities */
        return xp_buf_printf(o, "%.17g", v->n);
    case PV_STR:
        return wstr(o, v->s, v->len);
    case PV_TABLE:
        return wtable(o, v, d);
    }
    return XPORTA_EINVAL;
}

xporta_status pv_write_json(struct xp_buf *out, const struct pv *v)
{
    return wval(out, v, 0);
}
