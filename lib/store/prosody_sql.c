/*
 * What Prosody's SQL storage (mod_storage_sql) looks like whatever the
 * database: values as its serialize() writes them and deserialize() reads
 * them, the item keys it makes, the user names it could have written.
 * Shared by prosody_sqlite.c and prosody_pgsql.c.
 */
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../pie/pie.h"
#include "prosody_store.h"

/* A column's value as Prosody's deserialize() reads it. */
xporta_status pbe_sql_value(struct xp_arena *a, const char *type,
                            const char *text, size_t len, struct pv *out,
                            const char **why)
{
    *why = NULL;
    if (strcmp(type, "string") == 0)
        return pv_str_dup(a, text, len, out) ? XPORTA_OK : XPORTA_ENOMEM;
    if (strcmp(type, "boolean") == 0) {
        if (strcmp(text, "true") != 0 && strcmp(text, "false") != 0) {
            *why = "a boolean that is neither true nor false";
            return XPORTA_EFORMAT;
        }
        *out = pv_bool(text[0] == 't');
        return XPORTA_OK;
    }
    if (strcmp(type, "number") == 0) {
        char *end;
        long long i = strtoll(text, &end, 10);
        if (*end == '\0' && end != text) {
            *out = pv_int(i);
            return XPORTA_OK;
        }
        double d = strtod(text, &end);
        if (*end || end == text) {
            *why = "a number that is not a number";
            return XPORTA_EFORMAT;
        }
        *out = pv_num(d);
        return XPORTA_OK;
    }
    if (strcmp(type, "json") == 0) {
        struct xp_err e = {0};
        xporta_status st = pv_parse_json(a, text, len, out, &e);
        if (st)
            *why =
                st == XPORTA_ENOMEM ? NULL : xp_arena_strdup(a, xp_err_msg(&e));
        return st;
    }
    if (strcmp(type, "xml") == 0) {
        xp_elem *e;
        unsigned long line, col;
        xporta_status st =
            pie_parse_element(a, text, len, XP_NS_CLIENT, &e, why, &line, &col);
        if (!st && !pv_from_elem(a, e, out))
            st = XPORTA_ENOMEM;
        return st;
    }
    *why = "a value of an unknown type";
    return XPORTA_EFORMAT;
}

/* A value as Prosody's serialize() keeps it: its type and text. */
xporta_status pbe_sql_text(struct xp_buf *b, const struct pv *v,
                           const char **type)
{
    xp_buf_reset(b);
    switch (v->t) {
    case PV_STR:
        *type = "string";
        return xp_buf_add(b, v->s, v->len);
    case PV_BOOL:
        *type = "boolean";
        return xp_buf_adds(b, v->b ? "true" : "false");
    case PV_NUM:
        *type = "number";
        return v->is_int ? xp_buf_printf(b, "%lld", v->i)
                         : xp_buf_printf(b, "%.14g", v->n);
    case PV_TABLE:
        *type = "json";
        return pv_write_json(b, v);
    default:
        return XPORTA_EINVAL;
    }
}

bool pbe_sql_uuid(char out[37])
{
    unsigned char r[16];
    if (RAND_bytes(r, sizeof r) != 1)
        return false;
    r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
    r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
    snprintf(out, 37,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x",
             r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10],
             r[11], r[12], r[13], r[14], r[15]);
    return true;
}

bool pbe_utf8(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        unsigned c = *p++;
        if (c < 0x80) {
            if (!c)
                return false;
            continue;
        }
        unsigned need, min;
        if (c >= 0xc2 && c <= 0xdf)
            need = 1, min = 0x80, c &= 0x1f;
        else if (c >= 0xe0 && c <= 0xef)
            need = 2, min = 0x800, c &= 0x0f;
        else if (c >= 0xf0 && c <= 0xf4)
            need = 3, min = 0x10000, c &= 0x07;
        else
            return false;
        if ((size_t)(end - p) < need)
            return false;
        for (unsigned i = 0; i < need; i++, p++) {
            if ((*p & 0xc0) != 0x80)
                return false;
            c = (c << 6) | (*p & 0x3f);
        }
        if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
            return false;
    }
    return true;
}

bool pbe_sql_account_ok(const char *host, const char *user)
{
    return *user && !strpbrk(user, "@/\"&'<>: ") && *host &&
           !strpbrk(host, "@/");
}

xporta_status pbe_sql_kv_row(struct xp_arena *a, struct pv *t, const char *key,
                             const char *type, const char *text, size_t len,
                             const char **why)
{
    struct pv v, k;
    xporta_status st = pbe_sql_value(a, type, text, len, &v, why);
    if (st)
        return st;
    if (*key)
        return pv_str_dup(a, key, strlen(key), &k) && pv_set(a, t, k, v)
                   ? XPORTA_OK
                   : XPORTA_ENOMEM;
    if (v.t == PV_TABLE) /* the keys that are not strings */
        for (const struct pv_field *f = v.first; f; f = f->next)
            if (!pv_set(a, t, f->k, f->v))
                return XPORTA_ENOMEM;
    return XPORTA_OK;
}

xporta_status pbe_sql_kv_rows(struct xp_arena *a, const struct pv *v,
                              xporta_status (*row)(void *ud, const char *key,
                                                   const struct pv *val),
                              void *ud)
{
    struct pv extra = pv_table();
    xporta_status st = XPORTA_OK;
    for (const struct pv_field *f = v->first; f && !st; f = f->next) {
        if (f->k.t == PV_STR && f->k.len && !memchr(f->k.s, '\0', f->k.len))
            st = row(ud, f->k.s, &f->v);
        else if (!pv_set(a, &extra, f->k, f->v))
            st = XPORTA_ENOMEM;
    }
    if (!st && extra.count)
        st = row(ud, "", &extra);
    return st;
}
