/*
 * SCRAM credential values between dialects.
 *
 * XEP-0227 1.1 wants salt, server-key and stored-key as base64 of the raw
 * bytes.  ejabberd 23.01 keeps them as base64 text internally and encodes
 * that text again on export (and decodes once on import).  Detection is by
 * length, which is exact for the keys: a key of the mechanism's hash length
 * is 28 base64 characters for SHA-1; double-encoded it decodes to those 28
 * characters of base64 text, which decode to 20 bytes.  The salt has no
 * fixed length, so it follows the keys' verdict.
 */
#include <string.h>

#include "pie_p.h"

/* Decodes `text` once; NULL unless valid base64.  Result NUL-terminated. */
static unsigned char *decode(struct xp_arena *a, const char *text, size_t *len)
{
    size_t n = strlen(text);
    unsigned char *out = xp_arena_alloc(a, n / 4 * 3 + 4);
    if (!out || !xp_b64_decode(text, n, out, len))
        return NULL;
    out[*len] = '\0';
    return out;
}

/* True when `text` is base64 of base64 of exactly `raw_len` bytes (or, with
 * raw_len 0, of any length). */
static bool is_double(struct xp_arena *a, const char *text, size_t raw_len,
                      const char **inner)
{
    size_t n1, n2;
    unsigned char *once = decode(a, text, &n1);
    if (!once || n1 == 0)
        return false;
    unsigned char *twice = decode(a, (const char *)once, &n2);
    if (!twice || (raw_len && n2 != raw_len))
        return false;
    *inner = (const char *)once;
    return true;
}

static bool set_text(struct xp_arena *a, xp_elem *e, const char *text)
{
    e->first = e->last = NULL;
    return xp_elem_add_text(a, e, text, strlen(text));
}

bool pie_scram_normalize(struct xp_arena *a, xp_elem *scram)
{
    size_t hlen = xp_scram_hash_len(xp_elem_attr_ns(scram, "", "mechanism"));
    xp_elem *sk = xp_elem_child(scram, XP_NS_PIE_SCRAM, "server-key");
    xp_elem *st = xp_elem_child(scram, XP_NS_PIE_SCRAM, "stored-key");
    xp_elem *salt = xp_elem_child(scram, XP_NS_PIE_SCRAM, "salt");
    const char *sk_in, *st_in, *salt_in;
    size_t n;

    if (!hlen || !sk || !st || !salt)
        return false;
    /* Standard values decode to the hash length directly. */
    if (decode(a, xp_elem_text(sk), &n) && n == hlen)
        return false;
    if (!is_double(a, xp_elem_text(sk), hlen, &sk_in) ||
        !is_double(a, xp_elem_text(st), hlen, &st_in) ||
        !is_double(a, xp_elem_text(salt), 0, &salt_in))
        return false;
    return set_text(a, sk, sk_in) && set_text(a, st, st_in) &&
           set_text(a, salt, salt_in);
}

static const char *encode_text(struct xp_arena *a, const char *text)
{
    size_t n = strlen(text);
    char *out = xp_arena_alloc(a, xp_b64_encoded_len(n) + 1);
    if (out)
        xp_b64_encode((const unsigned char *)text, n, out);
    return out;
}

xp_elem *pie_scram_double(struct xp_arena *a, const xp_elem *scram)
{
    xp_elem *c = xp_elem_clone(a, scram);
    if (!c)
        return NULL;
    static const char *const names[] = {"salt", "server-key", "stored-key"};
    for (size_t i = 0; i < 3; i++) {
        xp_elem *e = xp_elem_child(c, XP_NS_PIE_SCRAM, names[i]);
        if (!e)
            continue;
        const char *twice = encode_text(a, xp_elem_text(e));
        if (!twice || !set_text(a, e, twice))
            return NULL;
    }
    return c;
}
