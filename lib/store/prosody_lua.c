/*
 * Prosody's Lua data files, read without Lua (prosody_lua_write.c writes
 * them).
 *
 * The reader takes the subset of Lua that util/serialization.lua writes
 * and a person editing a file by hand might: table constructors with
 * `[key] = value`, `name = value` and positional fields separated by `,`
 * or `;`; nil, booleans, numbers (decimal, hex, exponents; `(1/0)`,
 * `(-1/0)`, `(0/0)`), strings in both quotes with every Lua escape, long
 * strings and comments.  Anything else (a name, a call, an operator) is a
 * format error at its line and column: the file is data, never code.
 *
 * It streams: the input is read in blocks, so a .list file of any size is
 * read one item at a time in the memory of its largest item.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prosody_value.h"

#define BLOCK (64 * 1024)
#define MAX_DEPTH 128
/* One string, or one number's text, at most. */
#define MAX_TOKEN (XP_MAX_TOKEN_BYTES)

struct pv_reader {
    const char *name;
    pv_read_fn read;
    void *ud;
    enum pv_form form;
    struct xp_arena *arena;
    char *buf;
    size_t pos, end;
    bool eof;
    int read_errno;
    unsigned long line, col;
    unsigned long wline, wcol; /* where the last word() began */
    bool done;                 /* PV_DAT: the value was returned */
    struct xp_buf tok;
    struct xp_err *err;
};

struct mem_src {
    const char *p;
    size_t left;
};

static long mem_read(void *ud, char *buf, size_t cap)
{
    struct mem_src *m = ud;
    size_t n = m->left < cap ? m->left : cap;
    memcpy(buf, m->p, n);
    m->p += n;
    m->left -= n;
    return (long)n;
}

xporta_status pv_reader_new(struct pv_reader **out, const char *name,
                            pv_read_fn read, void *ud, enum pv_form form,
                            struct xp_arena *arena)
{
    struct pv_reader *r = calloc(1, sizeof *r);
    if (!r || !(r->buf = malloc(BLOCK))) {
        free(r);
        return XPORTA_ENOMEM;
    }
    r->name = name;
    r->read = read;
    r->ud = ud;
    r->form = form;
    r->arena = arena;
    r->line = r->col = 1;
    xp_buf_init(&r->tok, MAX_TOKEN);
    *out = r;
    return XPORTA_OK;
}

void pv_reader_free(struct pv_reader *r)
{
    if (!r)
        return;
    xp_buf_cleanup(&r->tok);
    free(r->buf);
    free(r);
}

/* ---- input ------------------------------------------------------------- */

/* The byte `ahead` places on without taking it, or -1 at the end (ahead
 * is 0 or 1: the buffer keeps the unread tail when it refills). */
static int peek_at(struct pv_reader *r, size_t ahead)
{
    while (r->pos + ahead >= r->end) {
        if (r->eof)
            return -1;
        size_t keep = r->end - r->pos;
        memmove(r->buf, r->buf + r->pos, keep);
        r->pos = 0;
        r->end = keep;
        long n = r->read(r->ud, r->buf + keep, BLOCK - keep);
        if (n < 0) {
            r->read_errno = errno ? errno : EIO;
            r->eof = true;
            return -1;
        }
        if (n == 0)
            r->eof = true;
        r->end += (size_t)n;
    }
    return (unsigned char)r->buf[r->pos + ahead];
}

static int peek(struct pv_reader *r)
{
    return r->pos < r->end ? (unsigned char)r->buf[r->pos] : peek_at(r, 0);
}

static int take(struct pv_reader *r)
{
    int c = peek(r);
    if (c < 0)
        return c;
    r->pos++;
    if (c == '\n') {
        r->line++;
        r->col = 1;
    } else {
        r->col++;
    }
    return c;
}

static xporta_status fail(struct pv_reader *r, const char *fmt, ...)
    XP_PRINTF(2, 3);
/* An error about the word just read, at its start. */
static xporta_status fail_word(struct pv_reader *r, const char *what)
{
    r->line = r->wline;
    r->col = r->wcol;
    return fail(r, "'%s' %s", xp_buf_str(&r->tok), what);
}

static xporta_status fail(struct pv_reader *r, const char *fmt, ...)
{
    if (r->read_errno)
        return xp_fail(r->err, XPORTA_EIO, "%s: %s", r->name,
                       strerror(r->read_errno));
    char what[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return xp_fail(r->err, XPORTA_EFORMAT, "%s:%lu:%lu: %s", r->name, r->line,
                   r->col, what);
}

/* A read error seen by peek(), or OK. */
static xporta_status io_status(struct pv_reader *r)
{
    return r->read_errno ? fail(r, "read error") : XPORTA_OK;
}

/* Takes `c` if it is next (an error then points at what is there). */
static bool expect(struct pv_reader *r, int c)
{
    if (peek(r) != c)
        return false;
    take(r);
    return true;
}

static bool is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
           c == '\v';
}

static bool is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* `[` followed by `=`* and `[`: the level, else -1 (consumes only then).
 * Called with r at the first `[`, which the caller has taken. */
static int long_bracket(struct pv_reader *r)
{
    /* Needs lookahead over '=' signs: they are rare, read them one by one
     * and give up (an error for the caller) if no second '[' follows. */
    int level = 0;
    while (peek(r) == '=') {
        take(r);
        level++;
    }
    if (peek(r) != '[')
        return level == 0 ? -1 : -2;
    take(r);
    return level;
}

/* Reads a long string's body after its opening bracket into r->tok. */
static xporta_status long_string(struct pv_reader *r, int level)
{
    xp_buf_reset(&r->tok);
    if (peek(r) == '\r' || peek(r) == '\n') { /* first newline skipped */
        int c = take(r);
        int d = peek(r);
        if ((d == '\r' || d == '\n') && d != c)
            take(r);
    }
    for (;;) {
        int c = take(r);
        if (c < 0)
            return fail(r, "a long string or comment is not closed");
        if (c == ']') {
            int n = 0;
            while (n < level && peek(r) == '=') {
                take(r);
                n++;
            }
            if (n == level && peek(r) == ']') {
                take(r);
                return XPORTA_OK;
            }
            if (xp_buf_addc(&r->tok, ']'))
                return fail(r, "a string is too long");
            for (int i = 0; i < n; i++)
                if (xp_buf_addc(&r->tok, '='))
                    return fail(r, "a string is too long");
            continue;
        }
        if (xp_buf_addc(&r->tok, (char)c))
            return fail(r, "a string is too long");
    }
}

/* Skips whitespace and comments. */
static xporta_status skip(struct pv_reader *r)
{
    for (;;) {
        int c = peek(r);
        if (is_space(c)) {
            take(r);
            continue;
        }
        if (c != '-' || peek_at(r, 1) != '-')
            return io_status(r);
        take(r);
        take(r);
        if (peek(r) == '[') {
            take(r);
            int level = long_bracket(r);
            if (level >= 0) {
                xporta_status st = long_string(r, level);
                if (st)
                    return st;
                continue;
            }
        }
        while ((c = peek(r)) >= 0 && c != '\n')
            take(r);
    }
}

/* ---- tokens ------------------------------------------------------------ */

static xporta_status add_utf8(struct pv_reader *r, unsigned long cp)
{
    return pv_add_utf8(&r->tok, cp) ? XPORTA_OK
                                    : fail(r, "a string is too long");
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static xporta_status escape(struct pv_reader *r)
{
    int c = take(r);
    int out = -1;
    switch (c) {
    case 'a':
        out = '\a';
        break;
    case 'b':
        out = '\b';
        break;
    case 'f':
        out = '\f';
        break;
    case 'n':
        out = '\n';
        break;
    case 'r':
        out = '\r';
        break;
    case 't':
        out = '\t';
        break;
    case 'v':
        out = '\v';
        break;
    case '\\':
        out = '\\';
        break;
    case '"':
        out = '"';
        break;
    case '\'':
        out = '\'';
        break;
    case '\n':
        out = '\n';
        break;
    case '\r':
        if (peek(r) == '\n')
            take(r);
        out = '\n';
        break;
    case 'x': {
        int h1 = hexval(take(r)), h2 = hexval(take(r));
        if (h1 < 0 || h2 < 0)
            return fail(r, "\\x needs two hexadecimal digits");
        out = h1 * 16 + h2;
        break;
    }
    case 'z':
        while (is_space(peek(r)))
            take(r);
        return XPORTA_OK;
    case 'u': {
        unsigned long cp = 0;
        int digits = 0, h;
        if (!expect(r, '{'))
            return fail(r, "\\u needs {");
        while ((h = hexval(peek(r))) >= 0) {
            take(r);
            cp = cp * 16 + (unsigned long)h;
            if (++digits > 8 || cp > 0x7FFFFFFFul)
                return fail(r, "\\u{...} is too large");
        }
        if (!digits || take(r) != '}')
            return fail(r, "\\u{...} is malformed");
        if (cp > 0x10FFFF)
            return fail(r, "\\u{...} is beyond Unicode");
        return add_utf8(r, cp);
    }
    default:
        if (is_digit(c)) {
            int v = c - '0';
            for (int i = 0; i < 2 && is_digit(peek(r)); i++)
                v = v * 10 + (take(r) - '0');
            if (v > 255)
                return fail(r, "a decimal escape is over 255");
            out = v;
            break;
        }
        return fail(r, c < 0 ? "a string is not closed"
                             : "an unknown escape in a string");
    }
    return xp_buf_addc(&r->tok, (char)out) ? fail(r, "a string is too long")
                                           : XPORTA_OK;
}

/* A quoted string's body (the quote taken) into r->tok. */
static xporta_status quoted(struct pv_reader *r, int q)
{
    xp_buf_reset(&r->tok);
    for (;;) {
        int c = peek(r);
        if (c < 0 || c == '\n' || c == '\r')
            return fail(r, "a string is not closed");
        take(r);
        if (c == q)
            return XPORTA_OK;
        if (c == '\\') {
            xporta_status st = escape(r);
            if (st)
                return st;
            continue;
        }
        if (xp_buf_addc(&r->tok, (char)c))
            return fail(r, "a string is too long");
    }
}

static xporta_status token_str(struct pv_reader *r, struct pv *v)
{
    if (!pv_str_dup(r->arena, xp_buf_str(&r->tok), r->tok.len, v))
        return xp_fail(r->err, XPORTA_ENOMEM, "%s: out of memory", r->name);
    return XPORTA_OK;
}

/* A number's text (sign handled by the caller) into a value. */
static xporta_status number(struct pv_reader *r, bool neg, struct pv *v)
{
    xp_buf_reset(&r->tok);
    int c;
    bool hex = false, is_float = false;
    if (neg && xp_buf_addc(&r->tok, '-'))
        return fail(r, "a number is too long");
    while ((c = peek(r)) >= 0) {
        bool ok = is_digit(c) || c == '.' || (hex && hexval(c) >= 0) ||
                  c == 'x' || c == 'X';
        if (!hex && (c == 'e' || c == 'E'))
            ok = true;
        if (hex && (c == 'p' || c == 'P'))
            ok = true;
        if ((c == '+' || c == '-') && r->tok.len > 0) {
            char last = r->tok.data[r->tok.len - 1];
            ok = last == 'e' || last == 'E' ||
                 (hex && (last == 'p' || last == 'P'));
        }
        if (!ok)
            break;
        if (c == 'x' || c == 'X')
            hex = true;
        if (c == '.' || (!hex && (c == 'e' || c == 'E')) || c == 'p' ||
            c == 'P')
            is_float = true;
        take(r);
        if (xp_buf_addc(&r->tok, (char)c) || r->tok.len > 64)
            return fail(r, "a number is too long");
    }
    const char *s = xp_buf_str(&r->tok);
    char *end;
    if (is_alpha(peek(r)))
        return fail(r, "a malformed number '%s%c'", s, (char)peek(r));
    errno = 0;
    if (!is_float) {
        long long i = strtoll(s, &end, 0);
        if (*end == '\0' && end != s && errno == 0) {
            *v = pv_int(i);
            return XPORTA_OK;
        }
    }
    errno = 0;
    double d = strtod(s, &end);
    if (*end != '\0' || end == s)
        return fail(r, "a malformed number '%s'", s);
    *v = pv_num(d);
    return XPORTA_OK;
}

static xporta_status value(struct pv_reader *r, struct pv *v, unsigned depth);

static bool word_is(struct pv_reader *r, const char *w)
{
    return strcmp(xp_buf_str(&r->tok), w) == 0;
}

static xporta_status word(struct pv_reader *r)
{
    xp_buf_reset(&r->tok);
    r->wline = r->line;
    r->wcol = r->col;
    while (is_alpha(peek(r)) || is_digit(peek(r))) {
        if (xp_buf_addc(&r->tok, (char)take(r)) || r->tok.len > 64)
            return fail(r, "a name is too long");
    }
    return XPORTA_OK;
}

/* `(1/0)`, `(-1/0)`, `(0/0)` and a parenthesised literal. */
static xporta_status paren(struct pv_reader *r, struct pv *v, unsigned depth)
{
    xporta_status st = value(r, v, depth);
    if (st || (st = skip(r)))
        return st;
    if (peek(r) == '/') {
        take(r);
        struct pv d;
        if ((st = skip(r)) || (st = value(r, &d, depth)) || (st = skip(r)))
            return st;
        if (v->t != PV_NUM || d.t != PV_NUM || d.n != 0 ||
            (v->n != 1 && v->n != -1 && v->n != 0))
            return fail(r, "only (1/0), (-1/0) and (0/0) may divide");
        *v = pv_num(v->n == 0  ? (double)NAN
                    : v->n > 0 ? (double)INFINITY
                               : -(double)INFINITY);
    }
    if (!expect(r, ')'))
        return fail(r, "')' expected");
    return XPORTA_OK;
}

static xporta_status table(struct pv_reader *r, struct pv *t, unsigned depth)
{
    xporta_status st;
    long long next_pos = 1;
    *t = pv_table();
    for (;;) {
        if ((st = skip(r)))
            return st;
        int c = peek(r);
        if (c == '}') {
            take(r);
            return XPORTA_OK;
        }
        if (c < 0)
            return fail(r, "the file ends inside a table");
        struct pv k, v;
        if (c == '[') {
            take(r);
            int lb = long_bracket(r);
            if (lb >= 0) { /* a long string as a positional value */
                if ((st = long_string(r, lb)) || (st = token_str(r, &v)))
                    return st;
                k = pv_int(next_pos++);
                goto have_value;
            }
            if (lb == -2)
                return fail(r, "a malformed long bracket");
            if ((st = skip(r)) || (st = value(r, &k, depth + 1)) ||
                (st = skip(r)))
                return st;
            if (!expect(r, ']'))
                return fail(r, "']' expected");
            if (k.t == PV_NIL || (k.t == PV_NUM && isnan(k.n)) ||
                k.t == PV_TABLE)
                return fail(r,
                            "a table key that Lua refuses or that is a table");
            if ((st = skip(r)))
                return st;
            if (!expect(r, '='))
                return fail(r, "'=' expected");
        } else if (is_alpha(c)) {
            if ((st = word(r)))
                return st;
            if (word_is(r, "nil") || word_is(r, "true") ||
                word_is(r, "false")) {
                v = word_is(r, "nil")    ? pv_nil()
                    : word_is(r, "true") ? pv_bool(true)
                                         : pv_bool(false);
                k = pv_int(next_pos++);
                goto have_value;
            }
            if ((st = skip(r)))
                return st;
            if (take(r) != '=')
                return fail(r, "'=' expected after the name '%s'",
                            xp_buf_str(&r->tok));
            if ((st = token_str(r, &k)))
                return st;
        } else {
            k = pv_int(next_pos++);
        }
        if ((st = value(r, &v, depth + 1)))
            return st;
have_value:
        if (!pv_set(r->arena, t, k, v))
            return xp_fail(r->err, XPORTA_ENOMEM, "%s: out of memory", r->name);
        if ((st = skip(r)))
            return st;
        c = peek(r);
        if (c == ',' || c == ';') {
            take(r);
        } else if (c != '}') {
            return fail(r, c < 0 ? "the file ends inside a table"
                                 : "',', ';' or '}' expected");
        }
    }
}

static xporta_status value(struct pv_reader *r, struct pv *v, unsigned depth)
{
    if (depth > MAX_DEPTH)
        return fail(r, "tables nested too deep");
    xporta_status st = skip(r);
    if (st)
        return st;
    int c = peek(r);
    if (c == '{') {
        take(r);
        return table(r, v, depth + 1);
    }
    if (c == '"' || c == '\'') {
        take(r);
        if ((st = quoted(r, c)))
            return st;
        return token_str(r, v);
    }
    if (c == '[') {
        take(r);
        int lb = long_bracket(r);
        if (lb < 0)
            return fail(r, "a value expected");
        if ((st = long_string(r, lb)))
            return st;
        return token_str(r, v);
    }
    if (c == '(') {
        take(r);
        return paren(r, v, depth + 1);
    }
    if (c == '-') {
        take(r);
        if ((st = skip(r)))
            return st;
        if (!is_digit(peek(r)) && peek(r) != '.')
            return fail(r, "a number expected after '-'");
        return number(r, true, v);
    }
    if (is_digit(c) || c == '.')
        return number(r, false, v);
    if (is_alpha(c)) {
        if ((st = word(r)))
            return st;
        if (word_is(r, "nil"))
            *v = pv_nil();
        else if (word_is(r, "true"))
            *v = pv_bool(true);
        else if (word_is(r, "false"))
            *v = pv_bool(false);
        else
            return fail_word(r, "is not data (only literals and tables "
                                "are read)");
        return XPORTA_OK;
    }
    return fail(r, c < 0 ? "the file ends where a value was expected"
                         : "a value expected");
}

xporta_status pv_reader_next(struct pv_reader *r, struct pv *v,
                             struct xp_err *err)
{
    xporta_status st;
    r->err = err;
    if ((st = skip(r)))
        return st;
    if (r->form == PV_DAT) {
        if (r->done) {
            if (peek(r) >= 0)
                return fail(r, "text after the value");
            return XPORTA_ENOTFOUND;
        }
        if ((st = word(r)))
            return st;
        if (!word_is(r, "return")) {
            r->line = r->wline;
            r->col = r->wcol;
            return fail(r, "'return' expected");
        }
        if ((st = value(r, v, 0)) || (st = skip(r)))
            return st;
        if (peek(r) == ';')
            take(r);
        r->done = true;
        if ((st = skip(r)))
            return st;
        if (peek(r) >= 0)
            return fail(r, "text after the value");
        return XPORTA_OK;
    }
    if (peek(r) < 0)
        return r->read_errno ? io_status(r) : XPORTA_ENOTFOUND;
    if ((st = word(r)))
        return st;
    if (!word_is(r, "item")) {
        r->line = r->wline;
        r->col = r->wcol;
        return fail(r, "'item(' expected");
    }
    if ((st = skip(r)))
        return st;
    int c = peek(r);
    if (c == '{') { /* item{...} is the same call */
        take(r);
        if ((st = table(r, v, 1)))
            return st;
    } else {
        if (!expect(r, '('))
            return fail(r, "'(' expected after item");
        if ((st = value(r, v, 0)) || (st = skip(r)))
            return st;
        if (!expect(r, ')'))
            return fail(r, "')' expected");
    }
    if ((st = skip(r)))
        return st;
    if (peek(r) == ';')
        take(r);
    return XPORTA_OK;
}

xporta_status pv_parse_lua(struct xp_arena *a, const char *name,
                           const char *text, size_t len, enum pv_form form,
                           struct pv *v, struct xp_err *err)
{
    struct mem_src m = {text, len};
    struct pv_reader *r;
    xporta_status st = pv_reader_new(&r, name, mem_read, &m, form, a);
    if (st)
        return xp_fail(err, st, "out of memory");
    st = pv_reader_next(r, v, err);
    if (!st && form == PV_DAT) {
        struct pv rest;
        xporta_status e = pv_reader_next(r, &rest, err);
        if (e != XPORTA_ENOTFOUND)
            st = e ? e : XPORTA_EFORMAT;
    }
    pv_reader_free(r);
    return st;
}
