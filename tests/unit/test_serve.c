/* web/ (xporta serve): the pure parts.  The token, the cookie and bearer
 * parsing, the Host and write checks (Origin, Fetch Metadata, CSRF), the
 * JSON request parser with its ceilings, JSON strings written safely, and
 * errors in words. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "serve_p.h"

static void token_is_random_base64url(void **state)
{
    (void)state;
    char a[XS_TOKEN_LEN + 1], b[XS_TOKEN_LEN + 1];
    assert_int_equal(xs_random_token(a), 0);
    assert_int_equal(xs_random_token(b), 0);
    assert_int_equal(strlen(a), 43);
    assert_string_not_equal(a, b);
    assert_int_equal(
        strspn(
            a,
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        43);
}

static void compare_is_exact(void **state)
{
    (void)state;
    assert_true(xs_ct_equal("abc", "abc"));
    assert_false(xs_ct_equal("abc", "abd"));
    assert_false(xs_ct_equal("abc", "abcd"));
    assert_false(xs_ct_equal("abcd", "abc"));
    assert_false(xs_ct_equal("", "abc"));
    assert_false(xs_ct_equal(NULL, "abc"));
    assert_true(xs_ct_equal("", ""));
}

static void cookies_and_bearer(void **state)
{
    (void)state;
    char v[64];
    assert_true(
        xs_cookie_get("a=1; xporta_sid=XYZ; b=2", "xporta_sid", v, sizeof v));
    assert_string_equal(v, "XYZ");
    assert_true(xs_cookie_get("xporta_sid=Q", "xporta_sid", v, sizeof v));
    assert_string_equal(v, "Q");
    assert_false(xs_cookie_get("my_xporta_sid=Q", "xporta_sid", v, sizeof v));
    assert_false(xs_cookie_get("xporta_sidx=Q", "xporta_sid", v, sizeof v));
    assert_false(xs_cookie_get(NULL, "xporta_sid", v, sizeof v));
    /* a cookie planted by another app on 127.0.0.1 comes first */
    assert_true(xs_cookie_nth("xporta_sid=planted; xporta_sid=REAL",
                              "xporta_sid", 1, v, sizeof v));
    assert_string_equal(v, "REAL");
    assert_false(
        xs_cookie_nth("xporta_sid=planted", "xporta_sid", 1, v, sizeof v));
    assert_false(xs_cookie_get("xporta_sid=0123456789", "xporta_sid", v,
                               5)); /* too long */
    assert_string_equal(xs_bearer("Bearer T0K"), "T0K");
    assert_string_equal(xs_bearer("bearer  T0K"), "T0K");
    assert_null(xs_bearer("Basic eDp5"));
    assert_null(xs_bearer("Bearer "));
    assert_null(xs_bearer(NULL));
}

static void host_check(void **state)
{
    (void)state;
    assert_true(xs_host_ok("127.0.0.1:8080", 8080));
    assert_true(xs_host_ok("localhost:8080", 8080));
    assert_false(xs_host_ok("127.0.0.1:8081", 8080));
    assert_false(xs_host_ok("127.0.0.1", 8080));
    assert_false(xs_host_ok("evil.example:8080", 8080));
    assert_false(xs_host_ok("127.0.0.1:8080.evil.example", 8080));
    assert_false(xs_host_ok(NULL, 8080));
}

static void write_check(void **state)
{
    (void)state;
    const char *h = "127.0.0.1:8080", *o = "http://127.0.0.1:8080";
    /* The page's own fetch. */
    assert_null(xs_write_check(h, o, "same-origin", "C", "C", false));
    assert_null(xs_write_check(h, o, NULL, "C", "C", false));
    /* Another port of 127.0.0.1 is the same site, not the same origin. */
    assert_non_null(xs_write_check(h, "http://127.0.0.1:9999", "same-site", "C",
                                   "C", false));
    assert_non_null(xs_write_check(h, o, "same-site", "C", "C", false));
    assert_non_null(xs_write_check(h, o, "cross-site", "C", "C", false));
    assert_non_null(xs_write_check(h, "null", NULL, "C", "C", false));
    assert_non_null(
        xs_write_check(h, "https://127.0.0.1:8080", NULL, "C", "C", false));
    /* No Origin, no CSRF header, a wrong one. */
    assert_non_null(xs_write_check(h, NULL, NULL, "C", "C", false));
    assert_non_null(xs_write_check(h, o, "same-origin", NULL, "C", false));
    assert_non_null(xs_write_check(h, o, "same-origin", "D", "C", false));
    assert_non_null(xs_write_check(h, o, "same-origin", "C", NULL, false));
    /* A script with the bearer token: no Origin needed, but a wrong one
     * still refused. */
    assert_null(xs_write_check(h, NULL, NULL, NULL, NULL, true));
    assert_non_null(
        xs_write_check(h, "http://evil.example", NULL, NULL, NULL, true));
    assert_non_null(xs_write_check(h, NULL, "cross-site", NULL, NULL, true));
}

static void content_types_and_sizes(void **state)
{
    (void)state;
    assert_true(xs_json_type("application/json"));
    assert_true(xs_json_type("application/json; charset=utf-8"));
    assert_false(xs_json_type("application/jsonx"));
    assert_false(xs_json_type("application/x-www-form-urlencoded"));
    assert_false(xs_json_type("text/plain"));
    assert_false(xs_json_type(NULL));
    assert_int_equal(xs_parse_size("4G"), 4ull << 30);
    assert_int_equal(xs_parse_size("512M"), 512ull << 20);
    assert_int_equal(xs_parse_size("1MiB"), 1ull << 20);
    assert_int_equal(xs_parse_size("100"), 100);
    assert_int_equal(xs_parse_size("0"), 0);
    assert_int_equal(xs_parse_size("-1"), 0);
    assert_int_equal(xs_parse_size("12X"), 0);
    assert_int_equal(xs_parse_size("99999999999999999999G"), 0);
    char n[32];
    xs_safe_name("../../etc/passwd", n, sizeof n);
    assert_string_equal(n, "passwd");
    xs_safe_name("my <file>.xml", n, sizeof n);
    assert_string_equal(n, "my file.xml");
    xs_safe_name("..", n, sizeof n);
    assert_string_equal(n, "upload.xml");
    xs_safe_name(NULL, n, sizeof n);
    assert_string_equal(n, "upload.xml");
}

static void json_requests(void **state)
{
    (void)state;
    struct xs_json j;
    const char *body =
        "{\"type\":\"migrate\",\"old\":{\"jid\":\"a@x\",\"password\":"
        "\"p\\u00e9\\ud83d\\ude00\\\"\",\"port\":5222},"
        "\"new\":{\"jid\":\"b@y\"},\"dry\":true,\"n\":null}";
    assert_int_equal(xs_json_parse(&j, body, strlen(body)), 0);
    assert_string_equal(xs_json_str(&j, "type"), "migrate");
    assert_string_equal(xs_json_str(&j, "old.jid"), "a@x");
    assert_string_equal(xs_json_str(&j, "old.password"),
                        "p\xc3\xa9\xf0\x9f\x98\x80\"");
    assert_int_equal(xs_json_int(&j, "old.port", 65535, 0), 5222);
    assert_int_equal(xs_json_int(&j, "old.port", 100, 7), 7); /* over max */
    assert_string_equal(xs_json_str(&j, "new.jid"), "b@y");
    assert_true(xs_json_bool(&j, "dry", false));
    assert_null(xs_json_str(&j, "n"));
    assert_null(xs_json_str(&j, "old"));
    assert_null(xs_json_str(&j, "missing"));
    xs_json_free(&j);

    static const char *const bad[] = {
        "",
        "[]",
        "{\"a\":[1]}",
        "{\"a\":1,\"a\":2}",
        "{\"a\":{\"b\":{\"c\":1}}}",
        "{\"a\":\"\\ud800\"}",
        "{\"a\":\"\\u0000\"}",
        "{\"a\":\"x\ny\"}",
        "{\"a\":1} x",
        "{\"a\"1}",
        "{\"a\":}",
        "{\"a\":\"x",
        "{\"a.b\":1}",
        "{\"a\":tru}",
        "{\"a\":\"\\q\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(xs_json_parse(&j, bad[i], strlen(bad[i])), -1);
        assert_true(j.error[0] != '\0');
        xs_json_free(&j);
    }
    /* Ceilings: members, key length, body size. */
    char big[XS_JSON_MAX_BODY + 64];
    size_t n = 0;
    n += (size_t)sprintf(big + n, "{");
    for (int i = 0; i < XS_JSON_MAX_MEMBERS + 1; i++)
        n += (size_t)sprintf(big + n, "%s\"k%d\":1", i ? "," : "", i);
    n += (size_t)sprintf(big + n, "}");
    assert_int_equal(xs_json_parse(&j, big, n), -1);
    xs_json_free(&j);
    char key[128];
    snprintf(key, sizeof key, "{\"%060d\":1}", 0);
    assert_int_equal(xs_json_parse(&j, key, strlen(key)), -1);
    xs_json_free(&j);
    memset(big, ' ', sizeof big);
    big[0] = '{';
    big[XS_JSON_MAX_BODY] = '}';
    assert_int_equal(xs_json_parse(&j, big, XS_JSON_MAX_BODY + 1), -1);
    xs_json_free(&j);
    assert_int_equal(xs_json_parse(&j, big, XS_JSON_MAX_BODY), -1); /* no } */
    xs_json_free(&j);
}

static void json_strings_written_safely(void **state)
{
    (void)state;
    struct xs_buf b = {0};
    xs_buf_jstr(&b, "a\"b\\c\n<script>&\x01", 100);
    assert_string_equal(b.p,
                        "\"a\\\"b\\\\c\\n\\u003cscript\\u003e\\u0026\\u0001\"");
    xs_buf_free(&b);
    xs_buf_jstr(&b, "\xc3\xa9\xc3\xa9", 3); /* cut at a character */
    assert_string_equal(b.p, "\"\xc3\xa9\"");
    xs_buf_free(&b);
    xs_buf_jstr(&b, NULL, 10);
    assert_string_equal(b.p, "null");
    xs_buf_free(&b);
}

static void errors_in_words(void **state)
{
    (void)state;
    char w[512];
    xs_words(w, sizeof w, XPORTA_EAUTH,
             "authentication failed for b@new.example: not-authorized",
             "a@old.example", "b@new.example");
    assert_non_null(strstr(w, "The new server refused the password"));
    xs_words(w, sizeof w, XPORTA_EAUTH,
             "authentication failed for a@old.example: not-authorized",
             "a@old.example", "b@new.example");
    assert_non_null(strstr(w, "The old server refused the password"));
    xs_words(w, sizeof w, XPORTA_ENET, NULL, "a@x", NULL);
    assert_non_null(strstr(w, "could not be reached"));
    xs_words(w, sizeof w, XPORTA_ELOCKED, "x", NULL, NULL);
    assert_non_null(strstr(w, "already running"));
    assert_null(strstr(w, "XPORTA_"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(token_is_random_base64url),
        cmocka_unit_test(compare_is_exact),
        cmocka_unit_test(cookies_and_bearer),
        cmocka_unit_test(host_check),
        cmocka_unit_test(write_check),
        cmocka_unit_test(content_types_and_sizes),
        cmocka_unit_test(json_requests),
        cmocka_unit_test(json_strings_written_safely),
        cmocka_unit_test(errors_in_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
