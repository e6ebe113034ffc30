/*
 * xporta serve: the web front-end's internals (web/).  Like cli/, web/
 * includes only <xporta.h> from the library, plus <microhttpd.h> (the only
 * place that may: scripts/check-layers.sh).
 *
 * serve_json.c and serve_auth.c are pure (no MHD, no threads): the unit
 * tests (tests/unit/test_serve.c) link them alone.
 */
#ifndef XPORTA_WEB_SERVE_P_H
#define XPORTA_WEB_SERVE_P_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "serve.h"
#include "xporta.h"

/* ---- a growable text buffer, and JSON written into it (serve_json.c) ---- */

struct xs_buf {
    char *p;
    size_t n, cap;
    bool oom;
};
void xs_buf_add(struct xs_buf *b, const char *s, size_t n);
void xs_buf_str(struct xs_buf *b, const char *s);
void xs_buf_printf(struct xs_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A JSON string, quoted and escaped; NULL gives null.  At most `max`
 * bytes of `s` (cut at a UTF-8 boundary). */
void xs_buf_jstr(struct xs_buf *b, const char *s, size_t max);
/* Wipes and frees. */
void xs_buf_free(struct xs_buf *b);

/* ---- JSON requests: one object, members nested at most two deep -------- */

enum {
    XS_JSON_MAX_MEMBERS = 32,
    XS_JSON_MAX_KEY = 48,
    XS_JSON_MAX_BODY = 16384
};
enum xs_jtype { XS_J_STR = 1, XS_J_NUM, XS_J_BOOL, XS_J_NULL };
struct xs_jv {
    char key[XS_JSON_MAX_KEY]; /* "old.jid": the path, dotted */
    enum xs_jtype type;
    const char *str; /* XS_J_STR: NUL-terminated, in the pool */
    size_t len;
    double num;
    bool b;
};
struct xs_json {
    struct xs_jv v[XS_JSON_MAX_MEMBERS];
    size_t n;
    char *pool; /* decoded strings (wiped by xs_json_free: passwords) */
    size_t pool_len, pool_cap;
    char error[96]; /* why a body was refused, in words */
};
/* 0, or -1 with j->error set.  Refuses arrays, duplicate keys, invalid
 * UTF-8 escapes, nesting deeper than 2, more than XS_JSON_MAX_MEMBERS
 * members, bodies over XS_JSON_MAX_BODY. */
int xs_json_parse(struct xs_json *j, const char *s, size_t len);
/* The string at `key`, or NULL (absent, or not a string). */
const char *xs_json_str(const struct xs_json *j, const char *key);
/* The number at `key` when it is an integer in [0, max]; else `dflt`. */
long xs_json_int(const struct xs_json *j, const char *key, long max, long dflt);
bool xs_json_bool(const struct xs_json *j, const char *key, bool dflt);
void xs_json_free(struct xs_json *j);

/* ---- tokens, cookies, the checks of every request (serve_auth.c) ------- */

enum { XS_TOKEN_LEN = 43 }; /* 32 random bytes, base64url without padding */
/* 0, or -1 when the system gave no randomness. */
int xs_random_token(char out[XS_TOKEN_LEN + 1]);
/* Compares in time that depends only on the lengths. */
bool xs_ct_equal(const char *a, const char *b);
/* The value of cookie `name` in a Cookie header, into out (at most cap-1
 * bytes; a longer value is not taken).  False when absent. */
bool xs_cookie_get(const char *header, const char *name, char *out, size_t cap);
/* The nth (from 0) cookie of that name: another app on 127.0.0.1 may set
 * one with a longer Path, which the browser sends first. */
bool xs_cookie_nth(const char *header, const char *name, unsigned nth,
                   char *out, size_t cap);
/* "Bearer TOKEN" -> TOKEN (a pointer into header), else NULL. */
const char *xs_bearer(const char *authorization);
/* Host is 127.0.0.1:PORT or localhost:PORT (DNS rebinding). */
bool xs_host_ok(const char *host, unsigned port);
/* What a write (POST, PUT, DELETE) must carry.  NULL when allowed, else
 * the reason in words.  `bearer`: authenticated by the Authorization
 * header (a script), which a page of another origin cannot send without a
 * CORS preflight that serve never grants: then the Origin and the CSRF
 * header are not required, but an Origin or Sec-Fetch-Site that is there
 * must still be right. */
const char *xs_write_check(const char *host, const char *origin,
                           const char *fetch_site, const char *csrf_sent,
                           const char *csrf_expected, bool bearer);
/* application/json (with an optional charset parameter) */
bool xs_json_type(const char *content_type);
/* A display name for an uploaded file: printable ASCII without path
 * characters, at most cap-1 bytes; "upload.xml" when nothing is left. */
void xs_safe_name(const char *in, char *out, size_t cap);

/* ---- errors in words (serve_words.c) ----------------------------------- */

/* A sentence for people: what went wrong in a step of a job.  `detail` is
 * xporta_job_error(); `old_jid`/`new_jid` name the sides (NULL when the job
 * has one account). */
void xs_words(char *out, size_t cap, xporta_status st, const char *detail,
              const char *old_jid, const char *new_jid);

#endif
