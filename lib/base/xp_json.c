/* JSON writing, the one implementation: the job event stream
 * (lib/jobs/job_events.c) and the CLI's JSON output (xporta_json_quote)
 * share it.  RFC 8259 text, always valid UTF-8: a byte that does not start
 * a well-formed UTF-8 sequence becomes U+FFFD. */
#include <math.h> /* isfinite, a macro */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xp_base.h"

/* The length of the well-formed UTF-8 sequence at p (1..4), or 0 (never
 * reads past the string's NUL: it is no continuation byte). */
static size_t utf8_len(const unsigned char *p)
{
    unsigned c = p[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c < 0xe0)
        return (p[1] & 0xc0) == 0x80 ? 2 : 0;
    if (c >= 0xe0 && c < 0xf0) {
        unsigned lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
        return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 ? 3 : 0;
    }
    if (c >= 0xf0 && c < 0xf5) {
        unsigned lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
        return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 &&
                       (p[3] & 0xc0) == 0x80
                   ? 4
                   : 0;
    }
    return 0;
}

/* Bytes of an ill-formed sequence to replace by one U+FFFD: the lead and
 * the continuation bytes after it (at most 3). */
static size_t bad_len(const unsigned char *p)
{
    size_t k = 1;
    if (p[0] >= 0xc0)
        while (k < 4 && (p[k] & 0xc0) == 0x80)
            k++;
    return k;
}

size_t xp_json_quote(const char *s, size_t limit, char *out, size_t cap)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    const unsigned char *start = p;
    size_t n = 0;
#define PUT(str, len)                   \
    do {                                \
        size_t l_ = (len);              \
        if (n + l_ < cap)               \
            memcpy(out + n, (str), l_); \
        n += l_;                        \
    } while (0)
    PUT("\"", 1);
    while (*p) {
        if ((size_t)(p - start) >= limit) {
            PUT("\xe2\x80\xa6", 3); /* U+2026: cut here */
            break;
        }
        unsigned c = *p;
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            PUT(esc, 2);
            p++;
        } else if (c == '\n' || c == '\r' || c == '\t') {
            PUT(c == '\n' ? "\\n" : c == '\r' ? "\\r" : "\\t", 2);
            p++;
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            PUT(esc, 6);
            p++;
        } else {
            size_t k = utf8_len(p);
            if (k) {
                PUT(p, k);
                p += k;
            } else {
                PUT("\\ufffd", 6);
                p += bad_len(p);
            }
        }
    }
    PUT("\"", 1);
#undef PUT
    if (cap)
        out[n < cap ? n : cap - 1] = '\0';
    return n;
}

size_t xporta_json_quote(const char *s, char *out, size_t cap)
{
    return xp_json_quote(s, (size_t)-1, out, cap);
}

size_t xp_json_real(double x, char *out, size_t cap)
{
    /* Three decimals, whatever the locale: thousandths as an integer. */
    if (!isfinite(x))
        x = 0;
    if (x > 9e15)
        x = 9e15;
    if (x < -9e15)
        x = -9e15;
    long long m = (long long)(x * 1000.0 + (x < 0 ? -0.5 : 0.5));
    unsigned long long a =
        m < 0 ? (unsigned long long)-m : (unsigned long long)m;
    int w = snprintf(out, cap, "%s%llu.%03llu", m < 0 ? "-" : "", a / 1000,
                     a % 1000);
    return w < 0 ? 0 : (size_t)w;
}

/* ---- objects ------------------------------------------------------------ */

static void grow(struct xp_json *w, size_t more)
{
    if (w->oom || w->len + more + 1 <= w->cap)
        return;
    size_t cap = w->cap ? w->cap : 256;
    while (cap < w->len + more + 1)
        cap *= 2;
    char *b = realloc(w->buf, cap);
    if (!b) {
        w->oom = true;
        return;
    }
    w->buf = b;
    w->cap = cap;
}

static void raw(struct xp_json *w, const char *s, size_t n)
{
    grow(w, n);
    if (w->oom)
        return;
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

static void quoted(struct xp_json *w, const char *s)
{
    size_t n = xp_json_quote(s, XP_JSON_STR_MAX, NULL, 0);
    grow(w, n);
    if (w->oom)
        return;
    xp_json_quote(s, XP_JSON_STR_MAX, w->buf + w->len, n + 1);
    w->len += n;
}

void xp_json_begin(struct xp_json *w)
{
    w->len = 0;
    w->oom = false;
    w->depth = 0;
    w->first[0] = true;
    raw(w, "{", 1);
}

static void key(struct xp_json *w, const char *k)
{
    if (!w->first[w->depth])
        raw(w, ",", 1);
    w->first[w->depth] = false;
    quoted(w, k);
    raw(w, ":", 1);
}

void xp_json_str(struct xp_json *w, const char *k, const char *value)
{
    if (!value)
        return;
    key(w, k);
    quoted(w, value);
}

void xp_json_num(struct xp_json *w, const char *k, uint64_t n)
{
    char b[32];
    key(w, k);
    raw(w, b, (size_t)snprintf(b, sizeof b, "%llu", (unsigned long long)n));
}

void xp_json_double(struct xp_json *w, const char *k, double x)
{
    char b[48];
    key(w, k);
    raw(w, b, xp_json_real(x, b, sizeof b));
}

void xp_json_bool(struct xp_json *w, const char *k, bool b)
{
    key(w, k);
    raw(w, b ? "true" : "false", b ? 4 : 5);
}

void xp_json_open(struct xp_json *w, const char *k)
{
    if (w->depth + 1 >= XP_JSON_DEPTH) {
        w->oom = true; /* a bug: never emitted half-nested */
        return;
    }
    key(w, k);
    raw(w, "{", 1);
    w->first[++w->depth] = true;
}

void xp_json_close(struct xp_json *w)
{
    if (w->depth) {
        raw(w, "}", 1);
        w->depth--;
    }
}

const char *xp_json_end(struct xp_json *w, size_t *len)
{
    while (w->depth)
        xp_json_close(w);
    raw(w, "}", 1);
    if (w->oom)
        return NULL;
    *len = w->len;
    return w->buf;
}

void xp_json_cleanup(struct xp_json *w)
{
    free(w->buf);
    memset(w, 0, sizeof *w);
}
