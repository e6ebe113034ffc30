/*
 * Prosody's Lua data written as util/serialization.lua writes it (its
 * default preset): tab indentation, every key quoted in brackets, the
 * sequence 1..n first without keys, strings with decimal escapes for every
 * byte outside printable ASCII.  What prosody_lua.c reads back as itself.
 */
#include <math.h>
#include <string.h>

#include "prosody_value.h"

#define MAX_DEPTH 128

/* ---- writing ----------------------------------------------------------- */

static xporta_status write_str(struct xp_buf *out, const char *s, size_t n)
{
    static const char named[] = "\a\b\f\n\r\t\v\\\"'";
    static const char letter[] = "abfnrtv\\\"'";
    xporta_status st = xp_buf_addc(out, '"');
    size_t run = 0;
    for (size_t i = 0; i < n && !st; i++) {
        unsigned char c = (unsigned char)s[i];
        bool plain = c >= 32 && c < 127 && c != '"' && c != '\'' && c != '\\';
        if (plain) {
            run++;
            continue;
        }
        if (run)
            st = xp_buf_add(out, s + i - run, run);
        run = 0;
        if (st)
            break;
        const char *p = c ? strchr(named, c) : NULL;
        if (p)
            st = xp_buf_printf(out, "\\%c", letter[p - named]);
        else
            st = xp_buf_printf(out, "\\%03u", c);
    }
    if (!st && run)
        st = xp_buf_add(out, s + n - run, run);
    return st ? st : xp_buf_addc(out, '"');
}

static xporta_status write_num(struct xp_buf *out, const struct pv *v)
{
    if (v->is_int)
        return xp_buf_printf(out, "%lld", v->i);
    if (isnan(v->n))
        return xp_buf_adds(out, "(0/0)");
    if (isinf(v->n))
        return xp_buf_adds(out, v->n > 0 ? "(1/0)" : "(-1/0)");
    if (v->n == 0 && signbit(v->n))
        return xp_buf_adds(out, "-0.0"); /* "-0" would read back as 0 */
    return xp_buf_printf(out, "%.18g", v->n);
}

static xporta_status write_value(struct xp_buf *out, const struct pv *v,
                                 unsigned d);

static xporta_status indent(struct xp_buf *out, unsigned d)
{
    xporta_status st = XPORTA_OK;
    for (unsigned i = 0; i < d && !st; i++)
        st = xp_buf_addc(out, '\t');
    return st;
}

static xporta_status write_field(struct xp_buf *out, const struct pv_field *f,
                                 bool positional, unsigned d)
{
    xporta_status st = xp_buf_addc(out, '\n');
    if (!st)
        st = indent(out, d);
    if (!st && !positional) {
        st = xp_buf_addc(out, '[');
        if (!st)
            st = write_value(out, &f->k, d + 1);
        if (!st)
            st = xp_buf_adds(out, "] = ");
    }
    if (!st)
        st = write_value(out, &f->v, d + 1);
    return st ? st : xp_buf_addc(out, ';');
}

static const struct pv_field *pv_field_i(const struct pv *t, long long i)
{
    for (const struct pv_field *f = t->first; f; f = f->next)
        if (f->k.t == PV_NUM && f->k.is_int && f->k.i == i)
            return f;
    return NULL; /* not reached: t->seq says it is there */
}

static xporta_status write_table(struct xp_buf *out, const struct pv *t,
                                 unsigned d)
{
    if (d > MAX_DEPTH)
        return XPORTA_ETOOBIG;
    xporta_status st = xp_buf_addc(out, '{');
    if (st || !t->first)
        return st ? st : xp_buf_addc(out, '}');
    /* As serialization.lua: the sequence 1..n without keys, in order,
     * then every other key. */
    size_t n = t->seq, seen = 0;
    bool ordered = true;
    for (const struct pv_field *f = t->first; f && ordered; f = f->next)
        if (f->k.t == PV_NUM && f->k.is_int && f->k.i >= 1 &&
            (size_t)f->k.i <= n)
            ordered = (size_t)f->k.i == ++seen;
    if (ordered) { /* the usual case: one pass */
        for (const struct pv_field *f = t->first; f && !st; f = f->next)
            if (f->k.t == PV_NUM && f->k.is_int && f->k.i >= 1 &&
                (size_t)f->k.i <= n)
                st = write_field(out, f, true, d);
    } else {
        for (size_t i = 1; i <= n && !st; i++)
            st = write_field(out, pv_field_i(t, (long long)i), true, d);
    }
    for (const struct pv_field *f = t->first; f && !st; f = f->next) {
        bool pos = f->k.t == PV_NUM && f->k.is_int && f->k.i >= 1 &&
                   (size_t)f->k.i <= n;
        if (!pos)
            st = write_field(out, f, false, d);
    }
    if (!st) {
        /* the last ';' becomes ";\n" and the closing brace is indented */
        st = xp_buf_addc(out, '\n');
        if (!st)
            st = indent(out, d - 1);
    }
    return st ? st : xp_buf_addc(out, '}');
}

static xporta_status write_value(struct xp_buf *out, const struct pv *v,
                                 unsigned d)
{
    switch (v->t) {
    case PV_NIL:
        return xp_buf_adds(out, "nil");
    case PV_BOOL:
        return xp_buf_adds(out, v->b ? "true" : "false");
    case PV_NUM:
        return write_num(out, v);
    case PV_STR:
        return write_str(out, v->s, v->len);
    case PV_TABLE:
        return write_table(out, v, d);
    }
    return XPORTA_EINVAL;
}

xporta_status pv_write_lua(struct xp_buf *out, const struct pv *v)
{
    return write_value(out, v, 1);
}
