/* The checks every request of xporta serve goes through: the token, the
 * session cookie, Host, and for writes Origin, Fetch Metadata and the CSRF
 * header (docs/research/serve.md, 3.4 and 4.6). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "serve_p.h"

int xs_random_token(char out[XS_TOKEN_LEN + 1])
{
    static const char b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char r[33];
    size_t got = 0;
    while (got < 32) {
        ssize_t n = getrandom(r + got, 32 - got, 0);
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    r[32] = 0;
    size_t o = 0;
    for (size_t i = 0; i < 33 && o < XS_TOKEN_LEN; i += 3) {
        unsigned v = (unsigned)r[i] << 16 |
                     (unsigned)(i + 1 < 33 ? r[i + 1] : 0) << 8 |
                     (unsigned)(i + 2 < 33 ? r[i + 2] : 0);
        for (int k = 3; k >= 0 && o < XS_TOKEN_LEN; k--)
            out[o++] = b64[(v >> (6 * k)) & 63];
    }
    out[XS_TOKEN_LEN] = '\0';
    volatile unsigned char *w = r;
    for (size_t i = 0; i < sizeof r; i++)
        w[i] = 0;
    return 0;
}

bool xs_ct_equal(const char *a, const char *b)
{
    if (!a || !b)
        return false;
    size_t la = strlen(a), lb = strlen(b);
    unsigned char d = la != lb;
    for (size_t i = 0; i < lb; i++)
        d |= (unsigned char)(a[i < la ? i : 0] ^ b[i]);
    return d == 0;
}

bool xs_cookie_get(const char *h, const char *name, char *out, size_t cap)
{
    return xs_cookie_nth(h, name, 0, out, cap);
}

bool xs_cookie_nth(const char *h, const char *name, unsigned nth, char *out,
                   size_t cap)
{
    size_t nl = strlen(name);
    while (h && *h) {
        while (*h == ' ' || *h == '\t' || *h == ';')
            h++;
        const char *end = strchr(h, ';');
        size_t len = end ? (size_t)(end - h) : strlen(h);
        if (len > nl && strncmp(h, name, nl) == 0 && h[nl] == '=') {
            size_t vl = len - nl - 1;
            while (vl > 0 && (h[nl + 1 + vl - 1] == ' '))
                vl--;
            if (nth > 0) {
                nth--;
                h = end;
                continue;
            }
            if (vl + 1 > cap)
                return false;
            memcpy(out, h + nl + 1, vl);
            out[vl] = '\0';
            return true;
        }
        h = end;
    }
    return false;
}

const char *xs_bearer(const char *a)
{
    if (!a || strncasecmp(a, "Bearer ", 7) != 0)
        return NULL;
    a += 7;
    while (*a == ' ')
        a++;
    return *a ? a : NULL;
}

bool xs_host_ok(const char *host, unsigned port)
{
    if (!host)
        return false;
    char want[32];
    snprintf(want, sizeof want, "127.0.0.1:%u", port);
    if (strcmp(host, want) == 0)
        return true;
    snprintf(want, sizeof want, "localhost:%u", port);
    return strcasecmp(host, want) == 0;
}

const char *xs_write_check(const char *host, const char *origin,
                           const char *fetch_site, const char *csrf_sent,
                           const char *csrf_expected, bool bearer)
{
    if (fetch_site && strcmp(fetch_site, "same-origin") != 0)
        return "this request came from another site";
    if (origin) {
        char want[300];
        snprintf(want, sizeof want, "http://%s", host ? host : "");
        if (!host || strcasecmp(origin, want) != 0)
            return "this request came from another site";
    } else if (!bearer) {
        return "this request did not say where it came from (no Origin)";
    }
    if (bearer)
        return NULL;
    if (!csrf_sent || !csrf_expected || !xs_ct_equal(csrf_sent, csrf_expected))
        return "this request lacks the page's X-Xporta-CSRF value";
    return NULL;
}

bool xs_json_type(const char *ct)
{
    if (!ct)
        return false;
    while (*ct == ' ')
        ct++;
    size_t n = strlen("application/json");
    if (strncasecmp(ct, "application/json", n) != 0)
        return false;
    ct += n;
    while (*ct == ' ')
        ct++;
    return *ct == '\0' || *ct == ';';
}

uint64_t xs_parse_size(const char *s)
{
    if (!s || !isdigit((unsigned char)*s))
        return 0;
    char *e;
    unsigned long long v = strtoull(s, &e, 10);
    uint64_t mul = 1;
    switch (*e) {
    case '\0':
        break;
    case 'k':
    case 'K':
        mul = 1024;
        e++;
        break;
    case 'm':
    case 'M':
        mul = 1024ull * 1024;
        e++;
        break;
    case 'g':
    case 'G':
        mul = 1024ull * 1024 * 1024;
        e++;
        break;
    default:
        return 0;
    }
    if (*e == 'i' || *e == 'B')
        e += *e == 'i' && e[1] == 'B' ? 2 : 1;
    if (*e || v == 0 || v > UINT64_MAX / mul)
        return 0;
    return (uint64_t)v * mul;
}

void xs_safe_name(const char *in, char *out, size_t cap)
{
    size_t o = 0;
    const char *base = in ? strrchr(in, '/') : NULL;
    in = base ? base + 1 : in;
    for (; in && *in && o + 1 < cap; in++) {
        unsigned char c = (unsigned char)*in;
        if (isalnum(c) || c == '.' || c == '-' || c == '_' || c == ' ' ||
            c == '@' || c == '+')
            out[o++] = (char)c;
    }
    out[o] = '\0';
    if (o == 0 || out[0] == '.')
        snprintf(out, cap, "upload.xml");
}
