/* Arena, bounded buffer and string helpers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xp_base.h"

/* ---- arena ------------------------------------------------------------- */

struct xp_arena_chunk {
    struct xp_arena_chunk *next;
    size_t size;
    size_t used;
    max_align_t data[]; /* aligned payload */
};

enum { ARENA_CHUNK = 16 * 1024 };

void xp_arena_init(struct xp_arena *a, size_t limit)
{
    a->head = NULL;
    a->used_total = 0;
    a->limit = limit;
}

void xp_arena_reset(struct xp_arena *a)
{
    struct xp_arena_chunk *c = a->head;
    /* Keep the last chunk in the list (the first one allocated) when it has
     * the default size: the steady state then allocates nothing. */
    while (c && c->next) {
        struct xp_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    if (c && c->size != ARENA_CHUNK) {
        free(c);
        c = NULL;
    }
    if (c)
        c->used = 0;
    a->head = c;
    a->used_total = 0;
}

void xp_arena_cleanup(struct xp_arena *a)
{
    struct xp_arena_chunk *c = a->head;
    while (c) {
        struct xp_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
    a->used_total = 0;
}

bool xp_arena_over_limit(const struct xp_arena *a, size_t more)
{
    return a->limit &&
           (a->used_total > a->limit || more > a->limit - a->used_total);
}

void *xp_arena_alloc(struct xp_arena *a, size_t n)
{
    const size_t align = sizeof(max_align_t);
    size_t need = (n + align - 1) / align * align;
    struct xp_arena_chunk *c = a->head;

    if (need < n || xp_arena_over_limit(a, need))
        return NULL;
    if (!c || c->size - c->used < need) {
        size_t size = need > ARENA_CHUNK ? need : ARENA_CHUNK;
        c = malloc(sizeof *c + size);
        if (!c)
            return NULL;
        c->size = size;
        c->used = 0;
        c->next = a->head;
        /* A chunk for one huge request goes behind the current one so that
         * the current chunk's free space keeps being used. */
        if (a->head && size > ARENA_CHUNK &&
            a->head->size - a->head->used >= align) {
            c->next = a->head->next;
            a->head->next = c;
            c->used = need;
            a->used_total += need;
            return c->data;
        }
        a->head = c;
    }
    void *p = (char *)c->data + c->used;
    c->used += need;
    a->used_total += need;
    return p;
}

char *xp_arena_strndup(struct xp_arena *a, const char *s, size_t n)
{
    char *p = xp_arena_alloc(a, n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *xp_arena_strdup(struct xp_arena *a, const char *s)
{
    return xp_arena_strndup(a, s, strlen(s));
}

char *xp_arena_printf(struct xp_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *p = xp_arena_alloc(a, (size_t)n + 1);
    if (!p)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

/* ---- bounded buffer ----------------------------------------------------- */

void xp_buf_init(struct xp_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void xp_buf_cleanup(struct xp_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void xp_buf_reset(struct xp_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static xporta_status buf_reserve(struct xp_buf *b, size_t n)
{
    if (n > b->max || b->len > b->max - n)
        return XPORTA_ETOOBIG;
    size_t need = b->len + n + 1;
    if (need <= b->cap)
        return XPORTA_OK;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return XPORTA_ENOMEM;
    b->data = p;
    b->cap = cap;
    return XPORTA_OK;
}

xporta_status xp_buf_add_grow(struct xp_buf *b, const void *p, size_t n)
{
    xporta_status st = buf_reserve(b, n);
    if (st != XPORTA_OK)
        return st;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return XPORTA_OK;
}

xporta_status xp_buf_printf(struct xp_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return XPORTA_EINVAL;
    xporta_status st = buf_reserve(b, (size_t)n);
    if (st != XPORTA_OK)
        return st;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return XPORTA_OK;
}

const char *xp_buf_str(const struct xp_buf *b)
{
    return b->data ? b->data : "";
}

char *xp_buf_take(struct xp_buf *b)
{
    char *p = b->data;
    if (!p)
        p = calloc(1, 1);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}

/* ---- strings ------------------------------------------------------------ */

char *xp_strndup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *xp_strdup(const char *s)
{
    return s ? xp_strndup(s, strlen(s)) : NULL;
}

bool xp_streq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

bool xp_is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            return false;
    }
    return true;
}

bool xp_parse_uint(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    if (!s || !*s)
        return false;
    if (s[0] == '0' && s[1] != '\0')
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

uint64_t xp_hash(const void *p, size_t n, uint64_t seed)
{
    /* Eight bytes per round (a multiply-xorshift mix): keys here are ids
     * and JIDs hashed by the million, never stored on disk. */
    const unsigned char *s = p;
    uint64_t h = seed ^ 0x9e3779b97f4a7c15ull ^ (n * 0xff51afd7ed558ccdull);
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
        s += 8;
        n -= 8;
    }
    /* The tail goes through a zeroed buffer byte by byte: a variable-length
     * memcpy would be a library call for a few bytes. */
    unsigned char tail[8] = {0};
    for (size_t i = 0; i < n; i++)
        tail[i] = s[i];
    uint64_t w;
    memcpy(&w, tail, 8);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 29);
}

/* ---- base64 ------------------------------------------------------------- */

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t xp_b64_encoded_len(size_t n)
{
    return (n + 2) / 3 * 4;
}

void xp_b64_encode(const unsigned char *in, size_t n, char *out)
{
    size_t i = 0, o = 0;
    for (; i + 2 < n; i += 3) {
        unsigned v =
            (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
        out[o++] = b64chars[v >> 18 & 63];
        out[o++] = b64chars[v >> 12 & 63];
        out[o++] = b64chars[v >> 6 & 63];
        out[o++] = b64chars[v & 63];
    }
    if (i < n) {
        unsigned v = (unsigned)in[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)in[i + 1] << 8;
        out[o++] = b64chars[v >> 18 & 63];
        out[o++] = b64chars[v >> 12 & 63];
        out[o++] = i + 1 < n ? b64chars[v >> 6 & 63] : '=';
        out[o++] = '=';
    }
    out[o] = '\0';
}

static int b64val(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

bool xp_b64_decode(const char *in, size_t n, unsigned char *out, size_t *outlen)
{
    unsigned quad[4];
    size_t q = 0, o = 0, pad = 0;
    for (size_t i = 0; i < n; i++) {
        char c = in[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
            continue;
        if (pad && c != '=')
            return false; /* data after padding */
        if (c == '=') {
            if (q < 2)
                return false;
            pad++;
            quad[q++] = 0;
        } else {
            int v = b64val(c);
            if (v < 0)
                return false;
            quad[q++] = (unsigned)v;
        }
        if (q == 4) {
            unsigned v = quad[0] << 18 | quad[1] << 12 | quad[2] << 6 | quad[3];
            out[o++] = (unsigned char)(v >> 16);
            if (pad < 2)
                out[o++] = (unsigned char)(v >> 8 & 0xff);
            if (pad < 1)
                out[o++] = (unsigned char)(v & 0xff);
            q = 0;
        }
        if (pad > 2)
            return false;
    }
    if (q != 0)
        return false;
    *outlen = o;
    return true;
}
