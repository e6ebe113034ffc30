/* web/ (xporta serve, portal mode): the pure parts.  The login rate
 * limiter (token buckets per key), the session table (add, find,
 * idle and absolute expiry, remove, full), the portal's write check, the
 * public URL, X-Forwarded-For, login JIDs and the keyed hash for logs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "serve_portal.h"

static struct xs_buckets buckets; /* big: not on the stack */
static struct xs_ptab tab;

static void bucket_burst_then_refill(void **state)
{
    (void)state;
    xs_buckets_init(&buckets, 5, 1.0 / 60);
    double wait = -1;
    for (int i = 0; i < 5; i++)
        assert_true(xs_bucket_take(&buckets, "1.2.3.4", 1000, &wait));
    assert_false(xs_bucket_take(&buckets, "1.2.3.4", 1000, &wait));
    assert_true(wait > 59 && wait <= 60);
    /* another key is not limited */
    assert_true(xs_bucket_take(&buckets, "5.6.7.8", 1000, NULL));
    /* 30 s later: still nothing; 60 s after the last try: one more */
    assert_false(xs_bucket_take(&buckets, "1.2.3.4", 1030, &wait));
    assert_true(wait > 29 && wait <= 30);
    assert_true(xs_bucket_take(&buckets, "1.2.3.4", 1090, NULL));
    assert_false(xs_bucket_take(&buckets, "1.2.3.4", 1090, NULL));
    /* a long pause refills only up to the burst */
    for (int i = 0; i < 5; i++)
        assert_true(xs_bucket_take(&buckets, "1.2.3.4", 100000, NULL));
    assert_false(xs_bucket_take(&buckets, "1.2.3.4", 100000, NULL));
}

static void bucket_refund_of_a_success(void **state)
{
    (void)state;
    xs_buckets_init(&buckets, 3, 1.0 / 60);
    /* successes give their attempt back: never limited */
    for (int i = 0; i < 20; i++) {
        assert_true(xs_bucket_take(&buckets, "a@b", 10, NULL));
        xs_bucket_refund(&buckets, "a@b", 10);
    }
    /* failures are not refunded */
    for (int i = 0; i < 3; i++)
        assert_true(xs_bucket_take(&buckets, "a@b", 10, NULL));
    assert_false(xs_bucket_take(&buckets, "a@b", 10, NULL));
    /* a refund never lifts a bucket over its burst */
    xs_bucket_refund(&buckets, "c@d", 10); /* unknown: nothing */
    xs_bucket_take(&buckets, "c@d", 10, NULL);
    for (int i = 0; i < 5; i++)
        xs_bucket_refund(&buckets, "c@d", 10);
    for (int i = 0; i < 3; i++)
        assert_true(xs_bucket_take(&buckets, "c@d", 10, NULL));
    assert_false(xs_bucket_take(&buckets, "c@d", 10, NULL));
}

static void bucket_table_full_forgets_the_fullest(void **state)
{
    (void)state;
    xs_buckets_init(&buckets, 2, 1.0 / 60);
    char key[32];
    /* the limited key survives a flood of new keys that each used less */
    assert_true(xs_bucket_take(&buckets, "limited", 0, NULL));
    assert_true(xs_bucket_take(&buckets, "limited", 0, NULL));
    for (int i = 0; i < 3 * XS_BUCKETS; i++) {
        snprintf(key, sizeof key, "k%d", i);
        assert_true(xs_bucket_take(&buckets, key, 1, NULL));
    }
    assert_false(xs_bucket_take(&buckets, "limited", 1, NULL));
    /* a key longer than the table keeps is cut, still limited */
    char longk[300];
    memset(longk, 'x', sizeof longk - 1);
    longk[sizeof longk - 1] = '\0';
    assert_true(xs_bucket_take(&buckets, longk, 2, NULL));
    assert_true(xs_bucket_take(&buckets, longk, 2, NULL));
    assert_false(xs_bucket_take(&buckets, longk, 2, NULL));
}

static void sessions_add_find_remove(void **state)
{
    (void)state;
    xs_ptab_init(&tab, 1800, 43200);
    int a = xs_ptab_add(&tab, "alice@example.org", 100);
    int b = xs_ptab_add(&tab, "bob@example.org", 100);
    assert_true(a >= 0 && b >= 0 && a != b);
    assert_int_equal(strlen(tab.s[a].sid), XS_TOKEN_LEN);
    assert_int_equal(strlen(tab.s[a].csrf), XS_TOKEN_LEN);
    assert_string_not_equal(tab.s[a].sid, tab.s[b].sid);
    assert_string_not_equal(tab.s[a].sid, tab.s[a].csrf);
    char sid[XS_TOKEN_LEN + 1];
    memcpy(sid, tab.s[a].sid, sizeof sid);
    assert_int_equal(xs_ptab_find(&tab, sid, 200), a);
    assert_string_equal(tab.s[a].jid, "alice@example.org");
    /* a wrong, short or missing value finds nothing */
    char wrong[XS_TOKEN_LEN + 1];
    memcpy(wrong, sid, sizeof wrong);
    wrong[5] = wrong[5] == 'A' ? 'B' : 'A';
    assert_int_equal(xs_ptab_find(&tab, wrong, 200), -1);
    assert_int_equal(xs_ptab_find(&tab, "abc", 200), -1);
    assert_int_equal(xs_ptab_find(&tab, NULL, 200), -1);
    assert_int_equal(xs_ptab_find(&tab, "", 200), -1);
    /* logout */
    xs_ptab_remove(&tab, a);
    assert_int_equal(xs_ptab_find(&tab, sid, 201), -1);
    assert_int_equal(tab.s[a].jid[0], '\0');
    xs_ptab_remove(&tab, -1); /* no session: nothing */
    xs_ptab_remove(&tab, XS_PSESSIONS);
}

static void sessions_expire(void **state)
{
    (void)state;
    xs_ptab_init(&tab, 100, 1000);
    int a = xs_ptab_add(&tab, "a@x", 0);
    char sid[XS_TOKEN_LEN + 1];
    memcpy(sid, tab.s[a].sid, sizeof sid);
    /* use keeps it alive ... */
    for (double t = 90; t < 990; t += 90)
        assert_int_equal(xs_ptab_find(&tab, sid, t), a);
    /* ... until its lifetime */
    assert_int_equal(xs_ptab_find(&tab, sid, 1001), -1);
    assert_int_equal(tab.s[a].sid[0], '\0');
    /* idle too long */
    a = xs_ptab_add(&tab, "a@x", 2000);
    memcpy(sid, tab.s[a].sid, sizeof sid);
    assert_int_equal(xs_ptab_find(&tab, sid, 2101), -1);
    /* the sweep */
    xs_ptab_add(&tab, "b@x", 3000);
    xs_ptab_add(&tab, "c@x", 3050);
    assert_int_equal(xs_ptab_expire(&tab, 3120), 1);
    assert_int_equal(xs_ptab_expire(&tab, 3200), 1);
    assert_int_equal(xs_ptab_expire(&tab, 3300), 0);
}

static void sessions_full(void **state)
{
    (void)state;
    xs_ptab_init(&tab, 100, 1000);
    for (int i = 0; i < XS_PSESSIONS; i++)
        assert_true(xs_ptab_add(&tab, "a@x", 10) >= 0);
    /* every slot live: refused, none ended for it */
    assert_int_equal(xs_ptab_add(&tab, "b@x", 20), -1);
    /* once they expire, there is room */
    assert_true(xs_ptab_add(&tab, "b@x", 200) >= 0);
}

static void portal_write_check(void **state)
{
    (void)state;
    const char *o = "https://portal.example";
    assert_null(xs_portal_write_check(o, o, "same-origin", "c", "c"));
    assert_null(
        xs_portal_write_check(o, "HTTPS://Portal.Example", NULL, "c", "c"));
    assert_non_null(xs_portal_write_check(o, "https://evil.example",
                                          "same-origin", "c", "c"));
    assert_non_null(
        xs_portal_write_check(o, "http://portal.example", NULL, "c", "c"));
    assert_non_null(
        xs_portal_write_check(o, "https://portal.example:444", NULL, "c", "c"));
    assert_non_null(xs_portal_write_check(o, NULL, NULL, "c", "c"));
    assert_non_null(xs_portal_write_check(o, o, "same-site", "c", "c"));
    assert_non_null(xs_portal_write_check(o, o, NULL, NULL, "c"));
    assert_non_null(xs_portal_write_check(o, o, NULL, "d", "c"));
    /* the login: no session, no CSRF value yet; the Origin still */
    assert_null(xs_portal_write_check(o, o, NULL, NULL, NULL));
    assert_non_null(xs_portal_write_check(o, "null", NULL, NULL, NULL));
}

static void public_url_forwarded_jid_hash(void **state)
{
    (void)state;
    char origin[300], host[256];
    bool secure;
    assert_int_equal(xs_public_url("https://Portal.example:8443/xporta/",
                                   origin, sizeof origin, host, sizeof host,
                                   &secure),
                     0);
    assert_string_equal(origin, "https://portal.example:8443");
    assert_string_equal(host, "Portal.example:8443");
    assert_true(secure);
    assert_int_equal(xs_public_url("http://[::1]:8080", origin, sizeof origin,
                                   host, sizeof host, &secure),
                     0);
    assert_string_equal(host, "[::1]:8080");
    assert_false(secure);
    assert_int_equal(xs_public_url("ftp://x", origin, sizeof origin, host,
                                   sizeof host, &secure),
                     -1);
    assert_int_equal(xs_public_url("https://", origin, sizeof origin, host,
                                   sizeof host, &secure),
                     -1);
    assert_int_equal(xs_public_url("https://u@evil", origin, sizeof origin,
                                   host, sizeof host, &secure),
                     -1);

    char ip[64];
    assert_true(xs_forwarded_for("203.0.113.9, 198.51.100.1", ip, sizeof ip));
    assert_string_equal(ip, "198.51.100.1");
    assert_true(xs_forwarded_for("2001:db8::1", ip, sizeof ip));
    assert_string_equal(ip, "2001:db8::1");
    assert_false(xs_forwarded_for("1.2.3.4, evil host", ip, sizeof ip));
    assert_false(xs_forwarded_for("", ip, sizeof ip));
    assert_false(xs_forwarded_for(NULL, ip, sizeof ip));

    char jid[256];
    assert_true(xs_login_jid("Me@Example.ORG", jid, sizeof jid));
    assert_string_equal(jid, "Me@example.org");
    assert_false(xs_login_jid("me@example.org/phone", jid, sizeof jid));
    assert_false(xs_login_jid("example.org", jid, sizeof jid));
    assert_false(xs_login_jid("@example.org", jid, sizeof jid));
    assert_false(xs_login_jid("me@", jid, sizeof jid));
    assert_false(xs_login_jid("a@b@c", jid, sizeof jid));
    assert_false(xs_login_jid("m\"e@x", jid, sizeof jid));
    assert_false(xs_login_jid("m<e@x", jid, sizeof jid));
    assert_false(xs_login_jid("m e@x", jid, sizeof jid));

    /* SipHash-2-4's reference vector: key 00..0f, message 00..0e */
    unsigned char key[16];
    char msg[16], h[17];
    for (int i = 0; i < 16; i++)
        key[i] = (unsigned char)i;
    for (int i = 0; i < 15; i++)
        msg[i] = (char)(i + 1); /* 01..0f: strings hold no NUL */
    msg[15] = '\0';
    xs_keyed_hash(key, "", h);
    assert_string_equal(h, "726fdb47dd0e0e31"); /* vector 0, read as LE */
    xs_keyed_hash(key, msg, h);
    assert_int_equal(strlen(h), 16);
    char h2[17];
    key[0] ^= 1;
    xs_keyed_hash(key, msg, h2);
    assert_string_not_equal(h, h2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bucket_burst_then_refill),
        cmocka_unit_test(bucket_refund_of_a_success),
        cmocka_unit_test(bucket_table_full_forgets_the_fullest),
        cmocka_unit_test(sessions_add_find_remove),
        cmocka_unit_test(sessions_expire),
        cmocka_unit_test(sessions_full),
        cmocka_unit_test(portal_write_check),
        cmocka_unit_test(public_url_forwarded_jid_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
