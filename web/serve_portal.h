/* xporta serve, portal mode (--listen): the pure parts (serve_limit.c: no
 * MHD, no threads; tests/unit/test_serve_portal.c links them alone) and
 * the hooks the server calls (serve_portal.c). */
#ifndef XPORTA_WEB_SERVE_PORTAL_H
#define XPORTA_WEB_SERVE_PORTAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "serve_p.h"

/* ---- login rate limits: token buckets by key (an IP, a JID) ------------ */

enum { XS_BUCKETS = 512, XS_BUCKET_KEY = 264 }; /* a JID fits */
struct xs_bucket {
    char key[XS_BUCKET_KEY];
    double tokens, t;
};
struct xs_buckets {
    struct xs_bucket b[XS_BUCKETS];
    double burst; /* attempts at once */
    double rate;  /* attempts regained per second */
};
void xs_buckets_init(struct xs_buckets *t, double burst, double rate);
/* Takes one attempt for `key` at time `now`: true when allowed; false
 * when the bucket is empty, with *wait the seconds until the next attempt
 * is allowed.  A full table forgets the bucket nearest to full (a key it
 * forgets starts full again: the table is a ceiling, not a guarantee). */
bool xs_bucket_take(struct xs_buckets *t, const char *key, double now,
                    double *wait);
/* Gives back the attempt a success took. */
void xs_bucket_refund(struct xs_buckets *t, const char *key, double now);

/* ---- the sessions of logged-in accounts ------------------------------- */

enum { XS_PSESSIONS = 256 };
struct xs_psess {
    char sid[XS_TOKEN_LEN + 1], csrf[XS_TOKEN_LEN + 1];
    char jid[256]; /* bare, lower-case domain as typed: the owner */
    double created, used;
};
struct xs_ptab {
    struct xs_psess s[XS_PSESSIONS];
    double idle;     /* seconds unused before a session ends */
    double lifetime; /* seconds after the login, at most */
};
void xs_ptab_init(struct xs_ptab *t, double idle, double lifetime);
/* A new session for `jid`: its index, or -1 (no randomness, or every slot
 * holds a live session). */
int xs_ptab_add(struct xs_ptab *t, const char *jid, double now);
/* The live session the cookie value `sid` names (constant time per
 * slot), marked used at `now`; -1 when none or expired (then removed). */
int xs_ptab_find(struct xs_ptab *t, const char *sid, double now);
void xs_ptab_remove(struct xs_ptab *t, int i);
/* Ends every expired session; returns how many. */
unsigned xs_ptab_expire(struct xs_ptab *t, double now);

/* ---- checks ------------------------------------------------------------ */

/* A write in portal mode: Origin must be exactly `public_origin`
 * (scheme://host[:port] of --public-url), Sec-Fetch-Site same-origin when
 * sent, and (with a session) the CSRF header.  NULL or words. */
const char *xs_portal_write_check(const char *public_origin, const char *origin,
                                  const char *fetch_site, const char *csrf_sent,
                                  const char *csrf_expected);
/* "https://portal.example/xporta" -> origin "https://portal.example",
 * host "portal.example", *secure.  -1 when not an http(s) URL. */
int xs_public_url(const char *url, char *origin, size_t ocap, char *host,
                  size_t hcap, bool *secure);
/* The client of a request behind the trusted proxy: the last address of
 * X-Forwarded-For (the one the proxy added), into out.  False when there
 * is none that looks like an address. */
bool xs_forwarded_for(const char *xff, char *out, size_t cap);
/* A bare JID as a login may name it: local@domain, no resource, no
 * spaces or controls; into out with the domain lower-cased.  False when
 * it is not one. */
bool xs_login_jid(const char *in, char *out, size_t cap);
/* A keyed hash (SipHash-2-4) of `s` as 16 hex digits: how a JID goes into
 * a log. */
void xs_keyed_hash(const unsigned char key[16], const char *s, char out[17]);

#endif
