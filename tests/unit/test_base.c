/* lib/base: arena, bounded buffer, base64, integers, durable files. */
#include "test_util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/xp_base.h"

static void arena_reuses_and_limits(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 1000);
    char *p = xp_arena_strdup(&a, "hello");
    assert_string_equal(p, "hello");
    assert_null(xp_arena_alloc(&a, 2000)); /* over the limit */
    xp_arena_reset(&a);
    assert_int_equal(a.used_total, 0);
    assert_non_null(xp_arena_alloc(&a, 900));
    assert_null(xp_arena_alloc(&a, 200));
    xp_arena_cleanup(&a);

    /* Without a limit, big and small allocations interleave. */
    xp_arena_init(&a, 0);
    for (int i = 0; i < 100; i++) {
        char *big = xp_arena_alloc(&a, 40000);
        assert_non_null(big);
        memset(big, 'x', 40000);
        char *small = xp_arena_printf(&a, "n%d", i);
        char want[16];
        snprintf(want, sizeof want, "n%d", i);
        assert_string_equal(small, want);
        assert_int_equal(big[39999], 'x'); /* not overwritten by small */
    }
    xp_arena_cleanup(&a);
}

static void buf_has_a_ceiling(void **state)
{
    (void)state;
    struct xp_buf b;
    xp_buf_init(&b, 10);
    assert_int_equal(xp_buf_adds(&b, "12345"), XPORTA_OK);
    assert_int_equal(xp_buf_adds(&b, "67890"), XPORTA_OK);
    assert_int_equal(xp_buf_addc(&b, 'x'), XPORTA_ETOOBIG);
    assert_string_equal(xp_buf_str(&b), "1234567890"); /* unchanged */
    assert_int_equal(xp_buf_printf(&b, "%d", 1), XPORTA_ETOOBIG);
    xp_buf_reset(&b);
    assert_int_equal(xp_buf_printf(&b, "%s-%d", "a", 42), XPORTA_OK);
    assert_string_equal(xp_buf_str(&b), "a-42");
    char *s = xp_buf_take(&b);
    assert_string_equal(s, "a-42");
    free(s);
    assert_string_equal(xp_buf_str(&b), "");
    xp_buf_cleanup(&b);
}

static void base64_rfc4648_vectors(void **state)
{
    (void)state;
    static const struct {
        const char *raw;
        const char *b64;
    } rows[] = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char enc[32];
        unsigned char dec[32];
        size_t n;
        xp_b64_encode((const unsigned char *)rows[i].raw, strlen(rows[i].raw),
                      enc);
        assert_string_equal(enc, rows[i].b64);
        assert_true(xp_b64_decode(rows[i].b64, strlen(rows[i].b64), dec, &n));
        assert_int_equal(n, strlen(rows[i].raw));
        assert_memory_equal(dec, rows[i].raw, n);
    }
    static const char *const bad[] = {
        "Zg", "Zg=", "Z===", "Zm9v!", "Zg==Zg==", "=Zg="};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        unsigned char dec[32];
        size_t n;
        assert_false(xp_b64_decode(bad[i], strlen(bad[i]), dec, &n));
    }
    unsigned char dec[32];
    size_t n;
    assert_true(xp_b64_decode("Zm9v\nYmFy", 9, dec, &n)); /* whitespace ok */
    assert_int_equal(n, 6);
}

static void uint_parsing(void **state)
{
    (void)state;
    uint64_t v;
    assert_true(xp_parse_uint("0", &v));
    assert_int_equal(v, 0);
    assert_true(xp_parse_uint("4096", &v));
    assert_int_equal(v, 4096);
    assert_true(xp_parse_uint("18446744073709551615", &v));
    assert_false(xp_parse_uint("18446744073709551616", &v));
    assert_false(xp_parse_uint("0100", &v));
    assert_false(xp_parse_uint("", &v));
    assert_false(xp_parse_uint("-1", &v));
    assert_false(xp_parse_uint("12a", &v));
}

static void first_error_wins(void **state)
{
    (void)state;
    struct xp_err e;
    xp_err_clear(&e);
    assert_string_equal(xp_err_msg(&e), "");
    assert_int_equal(xp_fail(&e, XPORTA_EIO, "first %d", 1), XPORTA_EIO);
    assert_int_equal(xp_fail(&e, XPORTA_ENOMEM, "second"), XPORTA_EIO);
    assert_string_equal(xp_err_msg(&e), "first 1");
    assert_string_equal(xporta_status_name(XPORTA_ETIMEOUT), "XPORTA_ETIMEOUT");
    assert_string_equal(xporta_status_name((xporta_status)999),
                        "XPORTA_UNKNOWN");
}

static void durable_file_appears_only_at_commit(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char path[4096];
    snprintf(path, sizeof path, "%s/out.xml", dir);
    struct xp_err err;
    struct xp_afile f;
    struct stat sb;
    xp_err_clear(&err);

    assert_int_equal(xp_afile_open(&f, path, &err), XPORTA_OK);
    assert_int_equal(xp_afile_puts(&f, "secret", &err), XPORTA_OK);
    assert_int_not_equal(stat(path, &sb), 0); /* not there yet */
    assert_int_equal(xp_afile_commit(&f, true, &err), XPORTA_OK);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    size_t n;
    char *text = slurp(path, &n);
    assert_string_equal(text, "secret");
    free(text);

    /* Without secrets the file gets the usual mode; big writes go through. */
    mode_t old = umask(022);
    assert_int_equal(xp_afile_open(&f, path, &err), XPORTA_OK);
    char *big = malloc(1 << 20);
    memset(big, 'a', 1 << 20);
    assert_int_equal(xp_afile_write(&f, big, 1 << 20, &err), XPORTA_OK);
    assert_int_equal(xp_afile_commit(&f, false, &err), XPORTA_OK);
    umask(old);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0644);
    assert_int_equal(sb.st_size, 1 << 20);
    free(big);

    /* Abort leaves the previous version and no temporary behind. */
    assert_int_equal(xp_afile_open(&f, path, &err), XPORTA_OK);
    assert_int_equal(xp_afile_puts(&f, "half", &err), XPORTA_OK);
    xp_afile_abort(&f);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_size, 1 << 20);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "test $(ls -A %s | wc -l) -eq 1", dir);
    assert_int_equal(system(cmd), 0);

    /* A directory that does not exist fails cleanly. */
    snprintf(path, sizeof path, "%s/missing/out.xml", dir);
    xp_err_clear(&err);
    assert_int_equal(xp_afile_open(&f, path, &err), XPORTA_EIO);
    assert_non_null(strstr(xp_err_msg(&err), "missing/out.xml"));
    rm_rf(dir);
    free(dir);
}

/* Removal keeps every other member findable, whatever the collisions:
 * checked against a plain array model, with keys chosen to pile up in a
 * few home slots (the low bits decide them). */
static void set_remove_keeps_the_rest(void **state)
{
    (void)state;
    struct xp_set s;
    xp_set_init(&s, 0);
    enum { N = 600 };
    uint64_t keys[N];
    bool in[N];
    for (unsigned i = 0; i < N; i++) {
        /* clusters: many keys share their low 4 bits, and wrap around */
        keys[i] = ((uint64_t)(i * 2654435761u) << 8) | (i % 7) | 0x8000u;
        assert_int_equal(xp_set_add(&s, keys[i]), 1);
        in[i] = true;
    }
    for (unsigned round = 0; round < 3; round++)
        for (unsigned i = round; i < N; i += 3 + round) {
            assert_int_equal(xp_set_remove(&s, keys[i]), in[i]);
            in[i] = false;
            for (unsigned k = 0; k < N; k++)
                if (xp_set_has(&s, keys[k]) != in[k])
                    fail_msg("after removing %u, key %u: %d", i, k, !in[k]);
        }
    size_t n = 0;
    for (unsigned k = 0; k < N; k++)
        n += in[k];
    assert_int_equal(s.n, n);
    assert_false(xp_set_remove(&s, 12345)); /* never there */
    /* Removed keys can come back. */
    assert_int_equal(xp_set_add(&s, keys[0]), 1);
    assert_true(xp_set_has(&s, keys[0]));
    xp_set_cleanup(&s);
}

static void map_keeps_values_across_growth(void **state)
{
    (void)state;
    struct xp_map m;
    xp_map_init(&m);
    uint64_t v = 99;
    assert_false(xp_map_get(&m, 5, &v));
    assert_int_equal(v, 99);
    /* Key 0 is legal (it shares a slot marker with 1 by design). */
    for (uint64_t k = 1; k <= 5000; k++)
        assert_int_equal(xp_map_put(&m, k * 0x9e3779b97f4a7c15ull, k), 1);
    assert_int_equal(m.n, 5000);
    assert_int_equal(xp_map_put(&m, 7 * 0x9e3779b97f4a7c15ull, 70), 0);
    assert_int_equal(m.n, 5000);
    for (uint64_t k = 1; k <= 5000; k++) {
        assert_true(xp_map_get(&m, k * 0x9e3779b97f4a7c15ull, &v));
        assert_int_equal(v, k == 7 ? 70 : k);
    }
    assert_false(xp_map_get(&m, 12345, NULL));
    xp_map_cleanup(&m);
    assert_false(xp_map_get(&m, 1, NULL));
}

/* Two holders in one process exclude each other, and closing a third
 * descriptor of the file keeps the lock (a job server runs several jobs
 * in one process: fcntl's process-wide locks would let a second job on
 * the same account in, and drop the first's lock when anyone closed the
 * file). */
static void locks_exclude_within_a_process(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char path[4096];
    snprintf(path, sizeof path, "%s/a.lock", dir);
    struct xp_err err;
    xp_err_clear(&err);
    int a = -1, b = -1;
    assert_int_equal(xp_lock(path, &a, "busy", &err), XPORTA_OK);
    assert_int_equal(xp_lock(path, &b, "busy", &err), XPORTA_ELOCKED);
    assert_string_equal(err.msg, "busy");
    assert_int_equal(b, -1);
    int other = open(path, O_RDONLY);
    assert_true(other >= 0);
    close(other);
    xp_err_clear(&err);
    assert_int_equal(xp_lock(path, &b, "busy", &err), XPORTA_ELOCKED);
    xp_unlock(a);
    xp_err_clear(&err);
    assert_int_equal(xp_lock(path, &b, "busy", &err), XPORTA_OK);
    xp_unlock(b);
    unlink(path);
    rmdir(dir);
    free(dir);
}

/* The one JSON encoder: escapes, and valid UTF-8 whatever the input. */
static void json_strings_are_valid_utf8(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"plain", "\"plain\""},
        {"a\"b\\c\n\t\r\x01", "\"a\\\"b\\\\c\\n\\t\\r\\u0001\""},
        {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", /* 2, 3, 4 bytes */
         "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\""},
        {"a\xffz", "\"a\\ufffdz\""},         /* not a lead byte */
        {"a\xc3", "\"a\\ufffd\""},           /* cut short at the end */
        {"\xc0\xaf", "\"\\ufffd\""},         /* overlong '/' */
        {"\xe0\x80\xaf!", "\"\\ufffd!\""},   /* overlong, 3 bytes */
        {"\xed\xa0\x80x", "\"\\ufffdx\""},   /* a UTF-16 surrogate */
        {"\xf4\x90\x80\x80", "\"\\ufffd\""}, /* past U+10FFFF */
        {"\xe2\x82 ok", "\"\\ufffd ok\""},   /* lead + 1 of 2 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[64];
        size_t n = xporta_json_quote(cases[i].in, out, sizeof out);
        assert_string_equal(out, cases[i].out);
        assert_int_equal(n, strlen(cases[i].out));
    }
    /* As snprintf: the length it needs, the start when it is cut. */
    char small[4];
    assert_int_equal(xporta_json_quote("hello", small, sizeof small), 7);
    assert_string_equal(small, "\"he");
    assert_int_equal(xporta_json_quote(NULL, NULL, 0), 2);
}

static void json_objects_nest_and_cut(void **state)
{
    (void)state;
    struct xp_json w;
    memset(&w, 0, sizeof w);
    size_t len = 0;
    xp_json_begin(&w);
    xp_json_str(&w, "event", "summary");
    xp_json_num(&w, "n", 18446744073709551615ull);
    xp_json_str(&w, "left out", NULL);
    xp_json_double(&w, "x", 0.1235);
    xp_json_double(&w, "y", -2.5);
    xp_json_open(&w, "kinds");
    xp_json_open(&w, "roster");
    xp_json_bool(&w, "ok", true);
    const char *line = xp_json_end(&w, &len); /* closes what is open */
    assert_string_equal(line,
                        "{\"event\":\"summary\",\"n\":18446744073709551615,"
                        "\"x\":0.124,\"y\":-2.500,\"kinds\":{\"roster\":"
                        "{\"ok\":true}}}");
    assert_int_equal(len, strlen(line));
    /* A string past the ceiling is cut at a character, and marked. */
    size_t big = XP_JSON_STR_MAX + 10;
    char *s = malloc(big + 1);
    for (size_t i = 0; i < big; i += 2)
        memcpy(s + i, "\xc3\xa9", 2);
    s[big] = '\0';
    xp_json_begin(&w);
    xp_json_str(&w, "s", s);
    line = xp_json_end(&w, &len);
    assert_non_null(line);
    assert_int_equal(len, strlen("{\"s\":\"\"}") + XP_JSON_STR_MAX + 3);
    assert_non_null(strstr(line, "\xc3\xa9\xe2\x80\xa6\"}"));
    free(s);
    /* Objects deeper than the encoder takes are dropped, not half-made. */
    xp_json_begin(&w);
    for (int i = 0; i < XP_JSON_DEPTH + 1; i++)
        xp_json_open(&w, "a");
    assert_null(xp_json_end(&w, &len));
    xp_json_cleanup(&w);
    /* The exit statuses the summary reports are xporta(1)'s. */
    const char *name;
    assert_int_equal(xporta_status_exit(XPORTA_OK, &name), 0);
    assert_string_equal(name, "ok");
    assert_int_equal(xporta_status_exit(XPORTA_ETIMEOUT, &name), 5);
    assert_string_equal(name, "network");
    assert_int_equal(xporta_status_exit(XPORTA_ENOMEM, &name), 70);
    assert_string_equal(name, "internal");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(arena_reuses_and_limits),
        cmocka_unit_test(buf_has_a_ceiling),
        cmocka_unit_test(base64_rfc4648_vectors),
        cmocka_unit_test(uint_parsing),
        cmocka_unit_test(first_error_wins),
        cmocka_unit_test(durable_file_appears_only_at_commit),
        cmocka_unit_test(map_keeps_values_across_growth),
        cmocka_unit_test(set_remove_keeps_the_rest),
        cmocka_unit_test(locks_exclude_within_a_process),
        cmocka_unit_test(json_strings_are_valid_utf8),
        cmocka_unit_test(json_objects_nest_and_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
