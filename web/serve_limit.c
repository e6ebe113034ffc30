/* xporta serve, portal mode: the login rate limits (token buckets), the
 * table of logged-in sessions, and the checks of portal requests.  Pure:
 * no MHD, no threads (the caller holds the server's lock). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "serve_portal.h"

/* ---- token buckets ------------------------------------------------------- */

void xs_buckets_init(struct xs_buckets *t, double burst, double rate)
{
    memset(t, 0, sizeof *t);
    t->burst = burst;
    t->rate = rate;
}

static double level(const struct xs_buckets *t, const struct xs_bucket *b,
                    double now)
{
    double v = b->tokens + (now > b->t ? (now - b->t) * t->rate : 0);
    return v > t->burst ? t->burst : v;
}

static struct xs_bucket *bucket(struct xs_buckets *t, const char *full,
                                double now, bool make)
{
    char key[XS_BUCKET_KEY]; /* a longer key is known by its beginning */
    snprintf(key, sizeof key, "%s", full);
    struct xs_bucket *spare = NULL;
    double spare_level = -1;
    for (size_t i = 0; i < XS_BUCKETS; i++) {
        struct xs_bucket *b = &t->b[i];
        if (b->key[0] && strcmp(b->key, key) == 0)
            return b;
        double l = b->key[0] ? level(t, b, now) : t->burst + 1;
        if (l > spare_level) {
            spare = b;
            spare_level = l;
        }
    }
    if (!make || !spare)
        return NULL;
    snprintf(spare->key, sizeof spare->key, "%s", key);
    spare->tokens = t->burst;
    spare->t = now;
    return spare;
}

bool xs_bucket_take(struct xs_buckets *t, const char *key, double now,
                    double *wait)
{
    struct xs_bucket *b = bucket(t, key, now, true);
    double l = level(t, b, now);
    b->t = now;
    if (l < 1) {
        b->tokens = l;
        if (wait)
            *wait = t->rate > 0 ? (1 - l) / t->rate : 1e9;
        return false;
    }
    b->tokens = l - 1;
    if (wait)
        *wait = 0;
    return true;
}

void xs_bucket_refund(struct xs_buckets *t, const char *key, double now)
{
    struct xs_bucket *b = bucket(t, key, now, false);
    if (!b)
        return;
    b->tokens = level(t, b, now) + 1;
    if (b->tokens > t->burst)
        b->tokens = t->burst;
    b->t = now;
}

/* ---- sessions ------------------------------------------------------------ */

void xs_ptab_init(struct xs_ptab *t, double idle, double lifetime)
{
    memset(t, 0, sizeof *t);
    t->idle = idle;
    t->lifetime = lifetime;
}

static bool expired(const struct xs_ptab *t, const struct xs_psess *s,
                    double now)
{
    return now - s->used > t->idle || now - s->created > t->lifetime;
}

void xs_ptab_remove(struct xs_ptab *t, int i)
{
    if (i < 0 || i >= XS_PSESSIONS)
        return;
    volatile char *w = (volatile char *)&t->s[i];
    for (size_t k = 0; k < sizeof t->s[i]; k++)
        w[k] = 0;
}

unsigned xs_ptab_expire(struct xs_ptab *t, double now)
{
    unsigned n = 0;
    for (int i = 0; i < XS_PSESSIONS; i++)
        if (t->s[i].sid[0] && expired(t, &t->s[i], now)) {
            xs_ptab_remove(t, i);
            n++;
        }
    return n;
}

int xs_ptab_add(struct xs_ptab *t, const char *jid, double now)
{
    xs_ptab_expire(t, now);
    for (int i = 0; i < XS_PSESSIONS; i++) {
        struct xs_psess *s = &t->s[i];
        if (s->sid[0])
            continue;
        if (xs_random_token(s->sid) || xs_random_token(s->csrf)) {
            xs_ptab_remove(t, i);
            return -1;
        }
        snprintf(s->jid, sizeof s->jid, "%s", jid);
        s->created = s->used = now;
        return i;
    }
    return -1;
}

int xs_ptab_find(struct xs_ptab *t, const char *sid, double now)
{
    if (!sid || strlen(sid) != XS_TOKEN_LEN)
        return -1;
    int found = -1;
    for (int i = 0; i < XS_PSESSIONS; i++)
        if (t->s[i].sid[0] && xs_ct_equal(sid, t->s[i].sid))
            found = i;
    if (found < 0)
        return -1;
    if (expired(t, &t->s[found], now)) {
        xs_ptab_remove(t, found);
        return -1;
    }
    t->s[found].used = now;
    return found;
}

/* ---- checks -------------------------------------------------------------- */

const char *xs_portal_write_check(const char *public_origin, const char *origin,
                                  const char *fetch_site, const char *csrf_sent,
                                  const char *csrf_expected)
{
    if (fetch_site && strcmp(fetch_site, "same-origin") != 0)
        return "this request came from another site";
    if (!origin)
        return "this request did not say where it came from (no Origin)";
    if (strcasecmp(origin, public_origin) != 0)
        return "this request came from another site";
    if (!csrf_expected)
        return NULL; /* the login: no session yet */
    if (!csrf_sent || !xs_ct_equal(csrf_sent, csrf_expected))
        return "this request lacks the page's X-Xporta-CSRF value";
    return NULL;
}

int xs_public_url(const char *url, char *origin, size_t ocap, char *host,
                  size_t hcap, bool *secure)
{
    size_t skip;
    if (strncasecmp(url, "https://", 8) == 0) {
        *secure = true;
        skip = 8;
    } else if (strncasecmp(url, "http://", 7) == 0) {
        *secure = false;
        skip = 7;
    } else {
        return -1;
    }
    size_t hl = strcspn(url + skip, "/?#");
    if (hl == 0 || hl >= hcap || skip + hl >= ocap)
        return -1;
    for (size_t i = 0; i < hl; i++) {
        unsigned char c = (unsigned char)url[skip + i];
        if (c <= ' ' || c == '@' || c >= 0x7f)
            return -1;
    }
    memcpy(host, url + skip, hl);
    host[hl] = '\0';
    memcpy(origin, url, skip + hl);
    origin[skip + hl] = '\0';
    for (char *p = origin; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return 0;
}

bool xs_forwarded_for(const char *xff, char *out, size_t cap)
{
    if (!xff)
        return false;
    const char *last = strrchr(xff, ',');
    last = last ? last + 1 : xff;
    while (*last == ' ' || *last == '\t')
        last++;
    size_t n = strcspn(last, " \t");
    if (n == 0 || n >= cap || last[n + strspn(last + n, " \t")] != '\0')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)last[i]) && last[i] != '.' &&
            last[i] != ':')
            return false;
    memcpy(out, last, n);
    out[n] = '\0';
    return true;
}

bool xs_login_jid(const char *in, char *out, size_t cap)
{
    if (!in)
        return false;
    size_t n = strlen(in);
    const char *at = strchr(in, '@');
    if (n == 0 || n >= cap || n > 255 || !at || at == in || !at[1] ||
        strchr(at + 1, '@') || strchr(in, '/'))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c <= ' ' || c == 0x7f || c == '"' || c == '&' || c == '\'' ||
            c == ':' || c == '<' || c == '>')
            return false;
    }
    size_t local = (size_t)(at - in);
    memcpy(out, in, n + 1);
    for (size_t i = local + 1; i < n; i++)
        out[i] = (char)tolower((unsigned char)out[i]);
    return true;
}

/* ---- SipHash-2-4 (Aumasson, Bernstein), for JIDs in logs ------------------
 */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND           \
    do {                   \
        v0 += v1;          \
        v1 = ROTL(v1, 13); \
        v1 ^= v0;          \
        v0 = ROTL(v0, 32); \
        v2 += v3;          \
        v3 = ROTL(v3, 16); \
        v3 ^= v2;          \
        v0 += v3;          \
        v3 = ROTL(v3, 21); \
        v3 ^= v0;          \
        v2 += v1;          \
        v1 = ROTL(v1, 17); \
        v1 ^= v2;          \
        v2 = ROTL(v2, 32); \
    } while (0)

static uint64_t le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

void xs_keyed_hash(const unsigned char key[16], const char *s, char out[17])
{
    const unsigned char *m = (const unsigned char *)s;
    size_t len = strlen(s);
    uint64_t k0 = le64(key), k1 = le64(key + 8);
    uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
    uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t mi = le64(m + i);
        v3 ^= mi;
        SIPROUND;
        SIPROUND;
        v0 ^= mi;
    }
    uint64_t b = (uint64_t)len << 56;
    for (size_t k = 0; i + k < len; k++)
        b |= (uint64_t)m[i + k] << (8 * k);
    v3 ^= b;
    SIPROUND;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    uint64_t h = v0 ^ v1 ^ v2 ^ v3;
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}
