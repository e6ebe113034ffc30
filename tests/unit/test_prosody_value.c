/* lib/store/prosody_value.h: Prosody's Lua data files read without Lua,
 * written as Prosody writes them, and stanzas in preserialize() form. */
#include "test_util.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pie/pie.h"
#include "store/prosody_store.h"
#include "store/prosody_value.h"

#define HOST_DIR "prosody-internal/old%2elocalhost"

/* Reads `text` as `form` and writes every value back in the same form. */
static char *roundtrip(const char *name, const char *text, size_t len,
                       enum pv_form form, size_t chunk, xporta_status *st,
                       char *err, size_t errcap)
{
    struct chunked src = {text, len, 0, chunk};
    struct xp_arena a;
    struct xp_err e = {0};
    struct pv_reader *r;
    struct xp_buf out;
    xp_arena_init(&a, 0);
    xp_buf_init(&out, 1u << 26);
    assert_int_equal(pv_reader_new(&r, name, chunked_read, &src, form, &a),
                     XPORTA_OK);
    struct pv v;
    while ((*st = pv_reader_next(r, &v, &e)) == XPORTA_OK) {
        xp_buf_adds(&out, form == PV_DAT ? "return " : "item(");
        assert_int_equal(pv_write_lua(&out, &v), XPORTA_OK);
        xp_buf_adds(&out, form == PV_DAT ? ";\n" : ");\n");
        xp_arena_reset(&a);
    }
    if (*st == XPORTA_ENOTFOUND)
        *st = XPORTA_OK;
    snprintf(err, errcap, "%s", xp_err_msg(&e));
    pv_reader_free(r);
    xp_arena_cleanup(&a);
    xp_err_clear(&e);
    char *s = xp_buf_take(&out);
    xp_buf_cleanup(&out);
    return s ? s : strdup("");
}

/* Every file the real Prosody wrote comes back byte for byte, whatever
 * the size of the blocks it is read in. */
static void real_files_roundtrip(void **state)
{
    (void)state;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", data_path(HOST_DIR));
    DIR *d = opendir(dir);
    assert_non_null(d);
    unsigned files = 0;
    struct dirent *store;
    while ((store = readdir(d))) {
        if (store->d_name[0] == '.')
            continue;
        char sub[8192];
        snprintf(sub, sizeof sub, "%s/%s", dir, store->d_name);
        DIR *s = opendir(sub);
        assert_non_null(s);
        struct dirent *f;
        while ((f = readdir(s))) {
            size_t n = strlen(f->d_name);
            if (n < 5 || f->d_name[0] == '.')
                continue;
            enum pv_form form =
                strcmp(f->d_name + n - 5, ".list") == 0 ? PV_LIST : PV_DAT;
            char path[12288];
            snprintf(path, sizeof path, "%s/%s", sub, f->d_name);
            size_t len;
            char *text = slurp(path, &len);
            assert_non_null(text);
            static const size_t chunks[] = {1, 2, 7, 4096, 1 << 20};
            for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++) {
                xporta_status st;
                char err[512];
                char *out = roundtrip(path, text, len, form, chunks[c], &st,
                                      err, sizeof err);
                if (st)
                    fail_msg("%s: %s", path, err);
                assert_text_equal(out, text);
                free(out);
            }
            free(text);
            files++;
        }
        closedir(s);
    }
    closedir(d);
    assert_true(files >= 25);
}

static xporta_status parse(const char *text, enum pv_form form,
                           struct xp_arena *a, struct pv *v, char *err,
                           size_t errcap)
{
    struct xp_err e = {0};
    xporta_status st =
        pv_parse_lua(a, "t.dat", text, strlen(text), form, v, &e);
    snprintf(err, errcap, "%s", xp_err_msg(&e));
    xp_err_clear(&e);
    return st;
}

static void values_and_escapes(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    struct pv v;
    char err[256];
    const char *text =
        "-- a comment\n--[==[ a long\n comment ]==]\n"
        "return { 'single', \"\\65\\x42\\u{e9}\\z   \n  c\\0d\",\n"
        "  [==[\nlong ]] string]==], n = -12, [\"fl\"] = 1.5e3, h = 0x1F,\n"
        "  [false] = { version = 15 }, [2.0] = 'two', big = (1/0),\n"
        "  small = (-1/0), nan = (0/0), t = true, f = false, x = nil };";
    if (parse(text, PV_DAT, &a, &v, err, sizeof err))
        fail_msg("%s", err);
    assert_int_equal(pv_len(&v), 3);
    assert_string_equal(pv_get_i(&v, 1)->s, "single");
    const struct pv *s2 = pv_get_i(&v, 2); /* [2.0] replaced item 2 */
    assert_string_equal(s2->s, "two");
    assert_string_equal(pv_get_i(&v, 3)->s, "long ]] string");
    assert_true(pv_get_s(&v, "n")->is_int);
    assert_int_equal(pv_get_s(&v, "n")->i, -12);
    assert_true(pv_get_s(&v, "fl")->n == 1500.0);
    assert_int_equal(pv_get_s(&v, "h")->i, 31);
    assert_int_equal(pv_get_s(pv_get_b(&v, false), "version")->i, 15);
    assert_true(isinf(pv_get_s(&v, "big")->n) && pv_get_s(&v, "big")->n > 0);
    assert_true(isinf(pv_get_s(&v, "small")->n));
    assert_true(isnan(pv_get_s(&v, "nan")->n));
    assert_true(pv_get_s(&v, "t")->b);
    assert_null(pv_get_s(&v, "x"));

    /* The escapes, and a NUL inside a string. */
    assert_int_equal(parse("return \"\\65\\x42\\u{e9}\\z   \n  c\\0d\";",
                           PV_DAT, &a, &v, err, sizeof err),
                     XPORTA_OK);
    assert_int_equal(v.len, 7);
    assert_memory_equal(v.s,
                        "AB\xc3\xa9"
                        "c\0d",
                        7);

    /* Written as serialization.lua writes it: decimal escapes for bytes
     * outside printable ASCII, named ones for the rest. */
    struct xp_buf out;
    xp_buf_init(&out, 1 << 20);
    struct pv t = pv_table();
    assert_true(pv_push(&a, &t, pv_strn("a\"'\\\n\t\x01\xc3\xa9", 9)));
    assert_true(pv_set_s(&a, &t, "k", pv_int(7)));
    assert_true(pv_set(&a, &t, pv_bool(false), pv_num(0.5)));
    assert_true(pv_set_s(&a, &t, "e", pv_table()));
    assert_int_equal(pv_write_lua(&out, &t), XPORTA_OK);
    assert_string_equal(xp_buf_str(&out),
                        "{\n\t\"a\\\"\\'\\\\\\n\\t\\001\\195\\169\";\n"
                        "\t[\"k\"] = 7;\n\t[false] = 0.5;\n\t[\"e\"] = {};\n}");
    xp_buf_cleanup(&out);
    xp_arena_cleanup(&a);
}

/* Code is refused, where it is, and so is everything malformed. */
static void refuses_code_and_damage(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        enum pv_form form;
        const char *error;
    } bad[] = {
        {"return os.execute('rm -rf /');", PV_DAT,
         "t.dat:1:8: 'os' is not data"},
        {"return { a = b };", PV_DAT, "t.dat:1:14: 'b' is not data"},
        {"return { a = 1 } .. 'x';", PV_DAT, "t.dat:1:18: text after"},
        {"return (2/0);", PV_DAT, "only (1/0)"},
        {"return {\n\t[\"a\"] = \"unterminated;\n};", PV_DAT,
         "t.dat:2:24: a string is not closed"},
        {"return {\n\t[\"a\"] = 1;\n", PV_DAT,
         "t.dat:3:1: the file ends inside a table"},
        {"return {[nil] = 1};", PV_DAT, "a table key that Lua refuses"},
        {"return '\\300';", PV_DAT, "a decimal escape is over 255"},
        {"return '\\q';", PV_DAT, "an unknown escape"},
        {"x = 1", PV_DAT, "t.dat:1:1: 'return' expected"},
        {"item({});\nitem({}, 2);", PV_LIST, "t.dat:2:8: ')' expected"},
        {"item({});\nprint('x');", PV_LIST, "t.dat:2:1: 'item(' expected"},
        {"return 12abc;", PV_DAT, "a malformed number"},
        {"return [==[ open", PV_DAT, "a long string or comment is not closed"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct xp_arena a;
        xp_arena_init(&a, 0);
        struct pv v;
        char err[256];
        xporta_status st =
            parse(bad[i].text, bad[i].form, &a, &v, err, sizeof err);
        if (bad[i].form == PV_LIST && st == XPORTA_OK) {
            /* the first item is fine: the error is in a later one */
            struct xp_err e = {0};
            struct chunked src = {bad[i].text, strlen(bad[i].text), 0, 3};
            struct pv_reader *r;
            assert_int_equal(
                pv_reader_new(&r, "t.dat", chunked_read, &src, PV_LIST, &a),
                XPORTA_OK);
            while ((st = pv_reader_next(r, &v, &e)) == XPORTA_OK)
                ;
            snprintf(err, sizeof err, "%s", xp_err_msg(&e));
            xp_err_clear(&e);
            pv_reader_free(r);
        }
        if (st != XPORTA_EFORMAT || !strstr(err, bad[i].error))
            fail_msg("input %zu: status %d, '%s' (wanted '%s')", i, st, err,
                     bad[i].error);
        xp_arena_cleanup(&a);
    }
    /* Nesting has a ceiling. */
    char deep[1200] = "return ";
    for (int i = 0; i < 300; i++)
        strcat(deep, "{");
    struct xp_arena a;
    xp_arena_init(&a, 0);
    struct pv v;
    char err[256];
    assert_int_equal(parse(deep, PV_DAT, &a, &v, err, sizeof err),
                     XPORTA_EFORMAT);
    assert_non_null(strstr(err, "nested too deep"));
    xp_arena_cleanup(&a);
}

/* A stanza as Prosody keeps it, and back. */
static void stanzas(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    char err[256];
    struct pv v;
    const char *text =
        "item({\n\t{\n\t\t\"hi\";\n\t\t[\"name\"] = \"body\";\n"
        "\t\t[\"attr\"] = {};\n\t};\n\t{\n\t\t[\"name\"] = \"x\";\n"
        "\t\t[\"attr\"] = {\n\t\t\t[\"xmlns\"] = \"urn:x\";\n"
        "\t\t\t[\"urn:y\\001a\"] = \"1\";\n\t\t};\n\t\t{\n"
        "\t\t\t[\"name\"] = \"y\";\n\t\t\t[\"attr\"] = {\n"
        "\t\t\t\t[\"xmlns\"] = \"urn:x\";\n\t\t\t};\n\t\t};\n\t};\n"
        "\t[\"name\"] = \"message\";\n\t[\"attr\"] = {\n"
        "\t\t[\"xml:lang\"] = \"en\";\n\t\t[\"to\"] = \"a@b\";\n\t};\n});\n";
    assert_int_equal(parse(text, PV_LIST, &a, &v, err, sizeof err), XPORTA_OK);
    const char *why;
    xp_elem *e = pv_to_elem(&a, &v, XP_NS_CLIENT, &why);
    assert_non_null(e);
    struct xp_buf x;
    xp_buf_init(&x, 1 << 20);
    assert_int_equal(xp_elem_serialize(&x, e, ""), XPORTA_OK);
    assert_non_null(strstr(xp_buf_str(&x), "<body>hi</body>"));
    assert_non_null(strstr(xp_buf_str(&x), "xml:lang='en'"));
    assert_non_null(strstr(xp_buf_str(&x), "<x xmlns='urn:x'"));
    assert_string_equal(
        xp_elem_attr_ns(xp_elem_child(e, "urn:x", "x"), "urn:y", "a"), "1");
    /* back: the same element */
    struct pv back;
    assert_true(pv_from_elem(&a, e, &back));
    xp_elem *e2 = pv_to_elem(&a, &back, XP_NS_CLIENT, &why);
    assert_non_null(e2);
    assert_true(xp_elem_equal(e, e2));
    /* xmlns on every element under a foreign one, as Prosody's parser */
    const struct pv *y = pv_get_i(pv_get_i(&back, 2), 1);
    assert_string_equal(pv_str_at(pv_get_s(y, "attr"), "xmlns"), "urn:x");
    assert_null(pv_str_at(pv_get_s(&back, "attr"), "xmlns"));
    /* not a stanza */
    struct pv notes = pv_table();
    assert_null(pv_to_elem(&a, &notes, XP_NS_CLIENT, &why));
    assert_non_null(why);
    xp_buf_cleanup(&x);
    xp_arena_cleanup(&a);
}

/* mod_storage_sql's JSON: util/json.lua's conventions both ways. */
static void json(void **state)
{
    (void)state;
    struct xp_arena a;
    struct xp_err e = {0};
    struct xp_buf out;
    xp_arena_init(&a, 0);
    xp_buf_init(&out, 1 << 20);
    /* the roster's [false] entry, as Prosody writes it */
    const char *text = "{\"__hash\":[false,{\"pending\":{},\"version\":15}],"
                       "\"x\":\"\\u00e9\\ud83d\\ude00\\n\",\"n\":[1,2.5,null,"
                       "true]}";
    struct pv v;
    assert_int_equal(pv_parse_json(&a, text, strlen(text), &v, &e), XPORTA_OK);
    const struct pv *meta = pv_get_b(&v, false);
    assert_non_null(meta);
    assert_int_equal(pv_get_s(meta, "version")->i, 15);
    assert_true(pv_is_table(pv_get_s(meta, "pending")));
    assert_string_equal(pv_str_at(&v, "x"), "\xc3\xa9\xf0\x9f\x98\x80\n");
    const struct pv *n = pv_get_s(&v, "n");
    assert_true(pv_get_i(n, 2)->n == 2.5);
    assert_null(pv_get_i(n, 3)); /* null keeps its place */
    assert_true(pv_get_i(n, 4)->b);
    /* written back: the same value */
    assert_int_equal(pv_write_json(&out, &v), XPORTA_OK);
    struct pv back;
    assert_int_equal(pv_parse_json(&a, out.data, out.len, &back, &e),
                     XPORTA_OK);
    assert_int_equal(pv_get_s(pv_get_b(&back, false), "version")->i, 15);
    assert_non_null(strstr(xp_buf_str(&out), "\"__hash\":[false,{"));
    /* a table with items and names keeps both */
    struct pv t = pv_table();
    assert_true(pv_push(&a, &t, pv_str("child")));
    assert_true(pv_set_s(&a, &t, "name", pv_str("body")));
    xp_buf_reset(&out);
    assert_int_equal(pv_write_json(&out, &t), XPORTA_OK);
    assert_string_equal(xp_buf_str(&out),
                        "{\"name\":\"body\",\"__array\":[\"child\"]}");
    xp_buf_reset(&out);
    struct pv arr = pv_table();
    assert_true(pv_push(&a, &arr, pv_int(1)));
    assert_true(pv_push(&a, &arr, pv_bool(false)));
    assert_int_equal(pv_write_json(&out, &arr), XPORTA_OK);
    assert_string_equal(xp_buf_str(&out), "[1,false]");
    /* damage */
    static const char *const bad[] = {"{\"a\":}", "[1,",       "\"\\x\"",
                                      "{} 1",     "{\"a\" 1}", "tru"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        xp_err_clear(&e);
        assert_int_equal(pv_parse_json(&a, bad[i], strlen(bad[i]), &v, &e),
                         XPORTA_EFORMAT);
        assert_non_null(strstr(xp_err_msg(&e), "JSON at byte"));
    }
    xp_buf_cleanup(&out);
    xp_arena_cleanup(&a);
}

/* Stanzas kept as text (mod_storage_sql's "xml" values). */
static void elements_from_text(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    xp_elem *e;
    const char *why;
    unsigned long line, col;
    const char *msg = "<message to='a@b' xml:lang='en'><body>hi &amp; "
                      "bye</body><x xmlns='urn:x' xmlns:p='urn:p' "
                      "p:q='1'><y/></x></message>";
    assert_int_equal(pie_parse_element(&a, msg, strlen(msg), XP_NS_CLIENT, &e,
                                       &why, &line, &col),
                     XPORTA_OK);
    assert_string_equal(e->ns, XP_NS_CLIENT);
    assert_string_equal(xp_elem_child_text(e, XP_NS_CLIENT, "body"),
                        "hi & bye");
    assert_string_equal(xp_elem_attr_ns(e, XP_NS_XML, "lang"), "en");
    xp_elem *x = xp_elem_child(e, "urn:x", "x");
    assert_non_null(xp_elem_child(x, "urn:x", "y"));
    assert_string_equal(xp_elem_attr_ns(x, "urn:p", "q"), "1");
    /* and the value Prosody's internal storage would keep */
    struct pv v;
    assert_true(pv_from_elem(&a, e, &v));
    assert_null(pv_str_at(pv_get_s(&v, "attr"), "xmlns"));
    static const char *const bad[] = {
        "<a>", "<a/><b/>", "text", "<!DOCTYPE a [<!ENTITY e 'x'>]><a>&e;</a>",
        ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(pie_parse_element(&a, bad[i], strlen(bad[i]),
                                           XP_NS_CLIENT, &e, &why, &line, &col),
                         XPORTA_EFORMAT);
        assert_non_null(why);
    }
    xp_arena_cleanup(&a);
}

/* Times as XEP-0082 writes them, as Prosody reads and writes them. */
static void times(void **state)
{
    (void)state;
    double t;
    assert_true(pmap_parse_time("1970-01-01T00:00:00Z", &t) && t == 0);
    assert_true(pmap_parse_time("2026-12-04T22:54:04Z", &t) &&
                t == 1796424844.0);
    assert_true(pmap_parse_time("2026-12-04T23:54:04.5+01:00", &t) &&
                t == 1796424844.5);
    assert_true(pmap_parse_time("1469-07-21T00:32:29Z", &t) && t < 0);
    assert_false(pmap_parse_time("2026-13-01T00:00:00Z", &t));
    assert_false(pmap_parse_time("2026-12-04 22:54:04", &t));
    assert_false(pmap_parse_time("2026-12-04T22:54:04", &t));
    struct xp_arena a;
    xp_arena_init(&a, 0);
    assert_string_equal(pmap_format_time(&a, 1796424844.9),
                        "2026-12-04T22:54:04Z");
    xp_arena_cleanup(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(real_files_roundtrip),
        cmocka_unit_test(values_and_escapes),
        cmocka_unit_test(refuses_code_and_damage),
        cmocka_unit_test(stanzas),
        cmocka_unit_test(json),
        cmocka_unit_test(elements_from_text),
        cmocka_unit_test(times),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
