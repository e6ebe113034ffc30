/*
 * Erlang terms in ejabberd's SQL values (ejd_term.h): a reader for the
 * data subset of erl_scan/erl_parse, and a writer for what xporta stores.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ejd_term.h"

#define MAX_DEPTH 32
#define MAX_KIDS 100000

struct tp {
    struct xp_arena *a;
    const char *p, *end;
    const char *why;
};

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void skip(struct tp *t)
{
    while (t->p < t->end && is_space(*t->p))
        t->p++;
}

static bool eat(struct tp *t, char c)
{
    skip(t);
    if (t->p < t->end && *t->p == c) {
        t->p++;
        return true;
    }
    return false;
}

static bool bad(struct tp *t, const char *why)
{
    if (!t->why)
        t->why = why;
    return false;
}

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '@';
}

/* A quoted string or atom body up to `q`, escapes resolved, into the
 * arena. */
static bool quoted(struct tp *t, char q, struct xp_buf *b)
{
    while (t->p < t->end && *t->p != q) {
        char c = *t->p++;
        if (c != '\\') {
            if (xp_buf_addc(b, c))
                return bad(t, "out of memory");
            continue;
        }
        if (t->p >= t->end)
            return bad(t, "an escape at the end");
        c = *t->p++;
        int v = -1;
        switch (c) {
        case 'n':
            v = '\n';
            break;
        case 't':
            v = '\t';
            break;
        case 'r':
            v = '\r';
            break;
        case 'b':
            v = '\b';
            break;
        case 'f':
            v = '\f';
            break;
        case 'v':
            v = '\v';
            break;
        case 'e':
            v = 27;
            break;
        case 's':
            v = ' ';
            break;
        case 'd':
            v = 127;
            break;
        default:
            if (c >= '0' && c <= '7') {
                v = c - '0';
                for (int k = 0;
                     k < 2 && t->p < t->end && *t->p >= '0' && *t->p <= '7';
                     k++)
                    v = v * 8 + (*t->p++ - '0');
                if (v > 255)
                    return bad(t, "an octal escape over 255");
            } else {
                v = (unsigned char)c; /* \\ \" \' and the rest */
            }
        }
        if (xp_buf_addc(b, (char)v))
            return bad(t, "out of memory");
    }
    if (t->p >= t->end)
        return bad(t, "a string is not closed");
    t->p++;
    return true;
}

static bool term(struct tp *t, struct eterm *out, unsigned depth);

static bool integer(struct tp *t, long long *out)
{
    bool neg = false;
    if (t->p < t->end && (*t->p == '-' || *t->p == '+'))
        neg = *t->p++ == '-';
    if (t->p >= t->end || *t->p < '0' || *t->p > '9')
        return bad(t, "a number expected");
    long long v = 0;
    while (t->p < t->end && *t->p >= '0' && *t->p <= '9') {
        if (v > (long long)9e17)
            return bad(t, "a number too large");
        v = v * 10 + (*t->p++ - '0');
    }
    *out = neg ? -v : v;
    return true;
}

/* <<"...">>, <<"..."/utf8>>, <<1,2,3>>, <<>> (the "<<" eaten). */
static bool binary(struct tp *t, struct eterm *out)
{
    struct xp_buf b;
    xp_buf_init(&b, 64u << 20);
    bool ok = true;
    if (!eat(t, '>')) {
        do {
            skip(t);
            if (t->p < t->end && *t->p == '"') {
                t->p++;
                ok = quoted(t, '"', &b);
                if (ok && eat(t, '/')) {
                    skip(t);
                    /* the bytes are the text's own: /utf8 changes nothing
                     * for what io_lib printed */
                    while (t->p < t->end && is_alnum(*t->p))
                        t->p++;
                }
            } else {
                long long v;
                ok = integer(t, &v);
                if (ok && (v < 0 || v > 255))
                    ok = bad(t, "a byte over 255");
                if (ok && xp_buf_addc(&b, (char)v))
                    ok = bad(t, "out of memory");
            }
        } while (ok && eat(t, ','));
        if (ok && !(eat(t, '>') && t->p < t->end && *t->p == '>'))
            ok = bad(t, "a binary is not closed");
        if (ok)
            t->p++;
    } else if (t->p < t->end && *t->p == '>') {
        t->p++;
    } else {
        ok = bad(t, "a binary is not closed");
    }
    if (ok) {
        out->t = ET_BIN;
        out->len = b.len;
        out->s = xp_arena_strndup(t->a, b.data ? b.data : "", b.len);
        if (!out->s)
            ok = bad(t, "out of memory");
    }
    xp_buf_cleanup(&b);
    return ok;
}

static bool seq(struct tp *t, struct eterm *out, char close, unsigned depth)
{
    size_t cap = 8, n = 0;
    struct eterm *kids = xp_arena_alloc(t->a, cap * sizeof *kids);
    if (!kids)
        return bad(t, "out of memory");
    if (!eat(t, close)) {
        do {
            if (n == cap) {
                if (cap >= MAX_KIDS)
                    return bad(t, "too many elements");
                struct eterm *k = xp_arena_alloc(t->a, 2 * cap * sizeof *k);
                if (!k)
                    return bad(t, "out of memory");
                memcpy(k, kids, n * sizeof *k);
                kids = k;
                cap *= 2;
            }
            if (!term(t, &kids[n++], depth + 1))
                return false;
        } while (eat(t, ','));
        if (!eat(t, close))
            return bad(t, close == ']' ? "a list is not closed"
                                       : "a tuple is not closed");
    }
    out->t = close == ']' ? ET_LIST : ET_TUPLE;
    out->kids = kids;
    out->n = n;
    return true;
}

static bool term(struct tp *t, struct eterm *out, unsigned depth)
{
    memset(out, 0, sizeof *out);
    if (depth > MAX_DEPTH)
        return bad(t, "nested too deeply");
    skip(t);
    if (t->p >= t->end)
        return bad(t, "a term expected");
    char c = *t->p;
    if (c == '<' && t->p + 1 < t->end && t->p[1] == '<') {
        t->p += 2;
        return binary(t, out);
    }
    if (c == '[') {
        t->p++;
        return seq(t, out, ']', depth);
    }
    if (c == '{') {
        t->p++;
        return seq(t, out, '}', depth);
    }
    if (c == '"' || c == '\'') {
        struct xp_buf b;
        xp_buf_init(&b, 64u << 20);
        t->p++;
        bool ok = quoted(t, c, &b);
        if (ok) {
            out->t = c == '"' ? ET_BIN : ET_ATOM;
            out->len = b.len;
            out->s = xp_arena_strndup(t->a, b.data ? b.data : "", b.len);
            ok = out->s || bad(t, "out of memory");
        }
        xp_buf_cleanup(&b);
        return ok;
    }
    if (c == '-' || c == '+' || (c >= '0' && c <= '9')) {
        out->t = ET_INT;
        return integer(t, &out->i);
    }
    if (c >= 'a' && c <= 'z') {
        const char *s = t->p;
        while (t->p < t->end && is_alnum(*t->p))
            t->p++;
        out->t = ET_ATOM;
        out->len = (size_t)(t->p - s);
        out->s = xp_arena_strndup(t->a, s, out->len);
        return out->s || bad(t, "out of memory");
    }
    return bad(t, "not an Erlang data term");
}

bool et_parse(struct xp_arena *a, const char *text, size_t len,
              struct eterm *out, const char **why)
{
    struct tp t = {a, text, text + len, NULL};
    bool ok = term(&t, out, 0);
    if (ok) {
        skip(&t);
        if (t.p < t.end && *t.p == '.')
            t.p++;
        skip(&t);
        if (t.p != t.end)
            ok = bad(&t, "text after the term");
    }
    *why = t.why;
    return ok;
}

bool et_is_atom(const struct eterm *t, const char *name)
{
    return t && t->t == ET_ATOM && strcmp(t->s, name) == 0;
}

xporta_status et_atom(struct xp_buf *b, const char *atom)
{
    bool plain = atom[0] >= 'a' && atom[0] <= 'z';
    for (const char *p = atom; plain && *p; p++)
        plain = is_alnum(*p);
    if (plain)
        return xp_buf_adds(b, atom);
    xporta_status st = xp_buf_addc(b, '\'');
    for (const char *p = atom; !st && *p; p++) {
        if (*p == '\'' || *p == '\\')
            st = xp_buf_addc(b, '\\');
        if (!st)
            st = xp_buf_addc(b, *p);
    }
    return st ? st : xp_buf_addc(b, '\'');
}

xporta_status et_bin(struct xp_buf *b, const char *s, size_t n)
{
    xporta_status st = xp_buf_adds(b, "<<\"");
    for (size_t i = 0; !st && i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            st = xp_buf_addc(b, '\\');
            if (!st)
                st = xp_buf_addc(b, (char)c);
        } else if (c < 32 || c == 127) {
            st = xp_buf_printf(b, "\\%03o", c);
        } else {
            st = xp_buf_addc(b, (char)c);
        }
    }
    return st ? st : xp_buf_adds(b, "\">>");
}

/* io_lib's printable latin-1 (io_lib:printable_latin1_list), and the
 * escape it prints for the control characters among them (0: none). */
static char latin1_escape(unsigned char c, bool *printable)
{
    static const char esc[][2] = {{'\n', 'n'}, {'\r', 'r'}, {'\t', 't'},
                                  {'\v', 'v'}, {'\b', 'b'}, {'\f', 'f'},
                                  {27, 'e'},   {'"', '"'},  {'\\', '\\'}};
    for (size_t i = 0; i < sizeof esc / sizeof esc[0]; i++)
        if ((unsigned char)esc[i][0] == c) {
            *printable = true;
            return esc[i][1];
        }
    *printable = (c >= 32 && c <= 126) || c >= 160;
    return 0;
}

xporta_status et_bin_print(struct xp_buf *b, const char *s, size_t n)
{
    bool all = true;
    for (size_t i = 0; all && i < n; i++)
        latin1_escape((unsigned char)s[i], &all);
    xporta_status st = xp_buf_adds(b, all && n ? "<<\"" : "<<");
    for (size_t i = 0; !st && i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        bool p;
        char e = latin1_escape(c, &p);
        if (!all)
            st = xp_buf_printf(b, i ? ",%u" : "%u", c);
        else if (e)
            st = xp_buf_printf(b, "\\%c", e);
        else
            st = xp_buf_addc(b, (char)c);
    }
    return st ? st : xp_buf_adds(b, all && n ? "\">>" : ">>");
}
