/* JSON for xporta serve: answers written into a buffer, and requests read
 * with ceilings (a flat object, nested at most two deep, no arrays). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve_p.h"

static void wipe(void *p, size_t n)
{
    volatile unsigned char *v = p;
    while (n--)
        *v++ = 0;
}

static bool grow(struct xs_buf *b, size_t more)
{
    if (b->oom)
        return false;
    if (b->n + more + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + more + 1)
        cap *= 2;
    char *p = malloc(cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    if (b->p) {
        memcpy(p, b->p, b->n);
        wipe(b->p, b->cap);
        free(b->p);
    }
    b->p = p;
    b->cap = cap;
    return true;
}

void xs_buf_add(struct xs_buf *b, const char *s, size_t n)
{
    if (!grow(b, n))
        return;
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

void xs_buf_str(struct xs_buf *b, const char *s)
{
    xs_buf_add(b, s, strlen(s));
}

void xs_buf_printf(struct xs_buf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof tmp) {
        xs_buf_add(b, tmp, (size_t)n);
        return;
    }
    if (!grow(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)n;
}

void xs_buf_jstr(struct xs_buf *b, const char *s, size_t max)
{
    if (!s) {
        xs_buf_str(b, "null");
        return;
    }
    size_t n = strlen(s);
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    xs_buf_add(b, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char u[8];
        if (c == '"')
            esc = "\\\"";
        else if (c == '\\')
            esc = "\\\\";
        else if (c == '\n')
            esc = "\\n";
        else if (c == '\r')
            esc = "\\r";
        else if (c == '\t')
            esc = "\\t";
        else if (c < 0x20 || c == 0x7f || c == '<' || c == '>' || c == '&') {
            /* < > & escaped too: a line is safe wherever it lands. */
            snprintf(u, sizeof u, "\\u%04x", c);
            esc = u;
        }
        if (esc) {
            xs_buf_add(b, s + i - run, run);
            run = 0;
            xs_buf_str(b, esc);
        } else {
            run++;
        }
    }
    xs_buf_add(b, s + n - run, run);
    xs_buf_add(b, "\"", 1);
}

void xs_buf_free(struct xs_buf *b)
{
    if (b->p) {
        wipe(b->p, b->cap);
        free(b->p);
    }
    memset(b, 0, sizeof *b);
}

/* ---- the parser ---------------------------------------------------------- */

struct jp {
    const char *s, *end;
    struct xs_json *j;
};

static void ws(struct jp *p)
{
    while (p->s < p->end &&
           (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r'))
        p->s++;
}

static int fail(struct jp *p, const char *why)
{
    snprintf(p->j->error, sizeof p->j->error, "%s", why);
    return -1;
}

static int hex4(const char *s, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* A string into the pool; *out points at it. */
static int string(struct jp *p, const char **out, size_t *len)
{
    if (p->s >= p->end || *p->s != '"')
        return fail(p, "a string was expected");
    p->s++;
    char *d = p->j->pool + p->j->pool_len, *start = d;
    while (p->s < p->end && *p->s != '"') {
        unsigned char c = (unsigned char)*p->s++;
        if (c < 0x20)
            return fail(p, "a control character in a string");
        if (c != '\\') {
            *d++ = (char)c;
            continue;
        }
        if (p->s >= p->end)
            return fail(p, "the body ends inside a string");
        c = (unsigned char)*p->s++;
        switch (c) {
        case '"':
        case '\\':
        case '/':
            *d++ = (char)c;
            break;
        case 'b':
            *d++ = '\b';
            break;
        case 'f':
            *d++ = '\f';
            break;
        case 'n':
            *d++ = '\n';
            break;
        case 'r':
            *d++ = '\r';
            break;
        case 't':
            *d++ = '\t';
            break;
        case 'u': {
            unsigned u, lo;
            if (p->end - p->s < 4 || hex4(p->s, &u))
                return fail(p, "a bad \\u escape");
            p->s += 4;
            if (u >= 0xD800 && u <= 0xDBFF) {
                if (p->end - p->s < 6 || p->s[0] != '\\' || p->s[1] != 'u' ||
                    hex4(p->s + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                    return fail(p, "a lone surrogate in a \\u escape");
                p->s += 6;
                u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
            } else if (u >= 0xDC00 && u <= 0xDFFF) {
                return fail(p, "a lone surrogate in a \\u escape");
            }
            if (u == 0)
                return fail(p, "a NUL character in a string");
            if (u < 0x80) {
                *d++ = (char)u;
            } else if (u < 0x800) {
                *d++ = (char)(0xC0 | (u >> 6));
                *d++ = (char)(0x80 | (u & 0x3F));
            } else if (u < 0x10000) {
                *d++ = (char)(0xE0 | (u >> 12));
                *d++ = (char)(0x80 | ((u >> 6) & 0x3F));
                *d++ = (char)(0x80 | (u & 0x3F));
            } else {
                *d++ = (char)(0xF0 | (u >> 18));
                *d++ = (char)(0x80 | ((u >> 12) & 0x3F));
                *d++ = (char)(0x80 | ((u >> 6) & 0x3F));
                *d++ = (char)(0x80 | (u & 0x3F));
            }
            break;
        }
        default:
            return fail(p, "a bad escape in a string");
        }
    }
    if (p->s >= p->end)
        return fail(p, "the body ends inside a string");
    p->s++;
    *d++ = '\0';
    *len = (size_t)(d - start) - 1;
    p->j->pool_len += *len + 1;
    *out = start;
    return 0;
}

static int object(struct jp *p, const char *prefix, int depth);

static int member(struct jp *p, const char *prefix, int depth)
{
    const char *k;
    size_t klen;
    if (string(p, &k, &klen))
        return -1;
    char path[XS_JSON_MAX_KEY];
    int n =
        snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "", k);
    if (n < 0 || (size_t)n >= sizeof path || strchr(k, '.'))
        return fail(p, "a member name is too long or has a dot");
    p->j->pool_len -= klen + 1; /* keys are not kept */
    ws(p);
    if (p->s >= p->end || *p->s != ':')
        return fail(p, "':' was expected");
    p->s++;
    ws(p);
    if (p->s < p->end && *p->s == '{') {
        if (depth >= 2)
            return fail(p, "objects are nested too deep");
        return object(p, path, depth + 1);
    }
    if (p->s < p->end && *p->s == '[')
        return fail(p, "arrays are not accepted");
    for (size_t i = 0; i < p->j->n; i++)
        if (strcmp(p->j->v[i].key, path) == 0)
            return fail(p, "a member appears twice");
    if (p->j->n >= XS_JSON_MAX_MEMBERS)
        return fail(p, "too many members");
    struct xs_jv *v = &p->j->v[p->j->n];
    memset(v, 0, sizeof *v);
    memcpy(v->key, path, (size_t)n + 1);
    if (p->s < p->end && *p->s == '"') {
        v->type = XS_J_STR;
        if (string(p, &v->str, &v->len))
            return -1;
    } else if (p->end - p->s >= 4 && memcmp(p->s, "true", 4) == 0) {
        v->type = XS_J_BOOL;
        v->b = true;
        p->s += 4;
    } else if (p->end - p->s >= 5 && memcmp(p->s, "false", 5) == 0) {
        v->type = XS_J_BOOL;
        p->s += 5;
    } else if (p->end - p->s >= 4 && memcmp(p->s, "null", 4) == 0) {
        v->type = XS_J_NULL;
        p->s += 4;
    } else {
        char num[32];
        size_t m = 0;
        while (p->s < p->end && m < sizeof num - 1 &&
               strchr("0123456789+-.eE", *p->s))
            num[m++] = *p->s++;
        num[m] = '\0';
        char *e;
        v->num = strtod(num, &e);
        if (m == 0 || *e || m == sizeof num - 1)
            return fail(p, "a value was expected");
        v->type = XS_J_NUM;
    }
    p->j->n++;
    return 0;
}

static int object(struct jp *p, const char *prefix, int depth)
{
    if (p->s >= p->end || *p->s != '{')
        return fail(p, "a JSON object was expected");
    p->s++;
    ws(p);
    if (p->s < p->end && *p->s == '}') {
        p->s++;
        return 0;
    }
    for (;;) {
        ws(p);
        if (member(p, prefix, depth))
            return -1;
        ws(p);
        if (p->s < p->end && *p->s == ',') {
            p->s++;
            continue;
        }
        if (p->s < p->end && *p->s == '}') {
            p->s++;
            return 0;
        }
        return fail(p, "',' or '}' was expected");
    }
}

int xs_json_parse(struct xs_json *j, const char *s, size_t len)
{
    memset(j, 0, sizeof *j);
    if (len > XS_JSON_MAX_BODY) {
        snprintf(j->error, sizeof j->error, "the request is too big");
        return -1;
    }
    j->pool = malloc(len + 1);
    j->pool_cap = len + 1;
    if (!j->pool) {
        snprintf(j->error, sizeof j->error, "out of memory");
        return -1;
    }
    struct jp p = {s, s + len, j};
    ws(&p);
    if (object(&p, "", 1))
        return -1;
    ws(&p);
    if (p.s != p.end)
        return fail(&p, "something follows the object");
    return 0;
}

static const struct xs_jv *find(const struct xs_json *j, const char *key)
{
    for (size_t i = 0; i < j->n; i++)
        if (strcmp(j->v[i].key, key) == 0)
            return &j->v[i];
    return NULL;
}

const char *xs_json_str(const struct xs_json *j, const char *key)
{
    const struct xs_jv *v = find(j, key);
    return v && v->type == XS_J_STR ? v->str : NULL;
}

long xs_json_int(const struct xs_json *j, const char *key, long max, long dflt)
{
    const struct xs_jv *v = find(j, key);
    if (!v || v->type != XS_J_NUM || v->num < 0 || v->num > (double)max ||
        v->num != (double)(long)v->num)
        return dflt;
    return (long)v->num;
}

bool xs_json_bool(const struct xs_json *j, const char *key, bool dflt)
{
    const struct xs_jv *v = find(j, key);
    return v && v->type == XS_J_BOOL ? v->b : dflt;
}

void xs_json_free(struct xs_json *j)
{
    if (j->pool) {
        wipe(j->pool, j->pool_cap);
        free(j->pool);
    }
    memset(j, 0, sizeof *j);
}
