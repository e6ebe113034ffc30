/* The checker: each rule reported once, where it happens. */
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct diags check_reader(xporta_pie_reader *r, const char *name)
{
    struct diags ds = {0};
    xporta_checker *c = NULL;
    xporta_pie_reader_set_diag(r, diags_cb, &ds);
    xporta_pie_reader_set_keep_going(r, true);
    assert_int_equal(xporta_checker_new(&c, diags_cb, &ds), XPORTA_OK);
    for (;;) {
        xporta_pie_event ev;
        xporta_status st = xporta_pie_reader_next(r, &ev);
        if (st != XPORTA_OK)
            fail_msg("%s: %s", name, xporta_pie_reader_error(r));
        xporta_checker_event(c, r, ev);
        if (ev == XPORTA_PIE_END)
            break;
    }
    xporta_checker_free(c);
    xporta_pie_reader_free(r);
    return ds;
}

static struct diags check(const char *name)
{
    xporta_pie_reader *r = NULL;
    assert_int_equal(xporta_pie_reader_open(&r, data_path(name)), XPORTA_OK);
    return check_reader(r, name);
}

static struct diags check_mem(const char *name, struct chunked *c)
{
    xporta_pie_reader *r = NULL;
    assert_int_equal(xporta_pie_reader_new(&r, name, chunked_read, c),
                     XPORTA_OK);
    return check_reader(r, name);
}

static void real_samples_are_clean(void **state)
{
    (void)state;
    static const char *const ok[] = {
        "prosody-export.xml",       "prosody-export-bob.xml",
        "ejabberd-export-main.xml", "full.xml",
        "prosody-pending.xml",      "split/server-data.xml"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        struct diags ds = check(ok[i]);
        if (ds.errors || ds.warnings) {
            fprintf(stderr, "%s", ds.text);
            fail_msg("%s has errors or warnings", ok[i]);
        }
        diags_free(&ds);
    }
}

static void every_rule_fires_at_its_place(void **state)
{
    (void)state;
    struct diags ds = check("bad/semantic.xml");
    static const char *const want[] = {
        "error 2:3 host 'bad host' is not a valid domain",
        "error 3:5 user name 'al ice' is not a valid localpart",
        "error 4:7 unknown SCRAM mechanism 'SCRAM-SHA-1-PLUS' (XEP-0227 names "
        "it without -PLUS)",
        "error 7:7 SCRAM-SHA-1: iter-count '0100' is not a positive integer",
        "error 7:7 SCRAM salt is not valid base64",
        "error 7:7 SCRAM server-key decodes to 3 bytes; SCRAM-SHA-1 needs 20",
        "error 7:7 SCRAM-SHA-1: <stored-key> must occur exactly once (found 2)",
        "error 15:9 roster item subscription 'sideways' is not none, to, from "
        "or both",
        "error 16:9 roster item 'bob@example.com' occurs twice",
        "error 17:9 roster item jid '@nohost' is not a valid JID",
        "error 17:9 roster item ask 'maybe' is not subscribe",
        "error 18:9 item without a roster item jid",
        "error 20:7 pending <presence> has type 'subscribed', not subscribe",
        "error 21:40 private XML <plain> has no namespace of its own",
        "error 23:44 PEP node 'orphan' item '1' occurs twice",
        "warning 23:30 PEP node 'orphan' has items but no configuration",
        "error 26:9 archived message without a <delay stamp>",
        "error 26:9 archived message to 'bad jid'",
        "error 27:9 archive id 'a' occurs twice",
        "error 27:9 archived message without <forwarded",
        "error 30:5 user 'al ice@bad host' occurs twice",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(ds.text, want[i])) {
            fprintf(stderr, "%s", ds.text);
            fail_msg("missing '%s'", want[i]);
        }
    assert_int_equal(ds.errors, 21);
    assert_int_equal(ds.warnings, 1);
    diags_free(&ds);
}

static void dangling_includes_are_listed(void **state)
{
    (void)state;
    struct diags ds = check("bad/missing-include.xml");
    assert_int_equal(ds.errors, 1);
    assert_non_null(strstr(ds.text, "error 2:3 XInclude 'nowhere.xml' cannot "
                                    "be read: no such file; skipped"));
    diags_free(&ds);
}

/* The checker remembers JIDs it found valid: whatever it remembers, every
 * invalid JID is reported, each time it occurs, the empty one included. */
static void archive_jids_are_all_checked(void **state)
{
    (void)state;
    size_t cap = 1 << 20, len = 0;
    char *doc = malloc(cap);
    len += (size_t)snprintf(doc + len, cap - len,
                            "<server-data xmlns='urn:xmpp:pie:0'><host "
                            "jid='x.example'><user name='a'>\n<archive "
                            "xmlns='urn:xmpp:pie:0#mam'>\n");
    for (int i = 0; i < 400; i++) {
        /* 200 distinct JIDs, more than the checker remembers. */
        char to[64];
        if (i == 0 || i == 399)
            to[0] = '\0';
        else if (i == 300 || i == 301)
            strcpy(to, "bad jid");
        else
            snprintf(to, sizeof to, "contact%d@x.example/r%d", i % 100, i % 2);
        len += (size_t)snprintf(
            doc + len, cap - len,
            "<result xmlns='urn:xmpp:mam:2' id='m%d'><forwarded "
            "xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' "
            "stamp='2024-01-01T00:00:00Z'/><message xmlns='jabber:client' "
            "to='%s' from='a@x.example'><body>%d</body></message></forwarded>"
            "</result>\n",
            i, to, i);
    }
    len += (size_t)snprintf(doc + len, cap - len,
                            "</archive></user></host></server-data>\n");
    struct chunked c = {doc, len, 0, 4096};
    struct diags ds = check_mem("jids", &c);
    static const char *const want[] = {
        "error 3:1 archived message to '': empty JID",
        "error 303:1 archived message to 'bad jid'",
        "error 304:1 archived message to 'bad jid'",
        "error 402:1 archived message to '': empty JID",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(ds.text, want[i])) {
            fprintf(stderr, "%s", ds.text);
            fail_msg("missing '%s'", want[i]);
        }
    assert_int_equal(ds.errors, 4);
    assert_int_equal(ds.warnings, 0);
    diags_free(&ds);
    free(doc);
}

/* Issue 15: with a filter, the checker checks what the filter makes of the
 * input (convert checks what it writes): a host renamed from an invalid
 * name to a valid one is fine, JIDs renamed by xporta_filter_record too;
 * what the rename leaves alone is still an error. */
static void a_filter_renames_before_the_check(void **state)
{
    (void)state;
    static const char doc[] =
        "<server-data xmlns='urn:xmpp:pie:0'><host jid='bad host'><user "
        "name='a'>\n<query xmlns='jabber:iq:roster'><item jid='b@bad host'/>"
        "<item jid='@@@'/></query></user></host></server-data>\n";
    for (int renamed = 0; renamed <= 1; renamed++) {
        xporta_filter *f = NULL;
        assert_int_equal(xporta_filter_new(&f), XPORTA_OK);
        if (renamed)
            assert_int_equal(
                xporta_filter_rename_host(f, "bad host", "good.example"),
                XPORTA_OK);
        struct chunked ch = {doc, sizeof doc - 1, 0, 4096};
        xporta_pie_reader *r = NULL;
        assert_int_equal(xporta_pie_reader_new(&r, "doc", chunked_read, &ch),
                         XPORTA_OK);
        struct diags ds = {0};
        xporta_checker *c = NULL;
        assert_int_equal(xporta_checker_new(&c, diags_cb, &ds), XPORTA_OK);
        xporta_checker_set_filter(c, f);
        for (;;) {
            xporta_pie_event ev;
            assert_int_equal(xporta_pie_reader_next(r, &ev), XPORTA_OK);
            bool keep = true;
            if (ev == XPORTA_PIE_RECORD)
                assert_int_equal(
                    xporta_filter_record(f, xporta_pie_reader_record(r), &keep),
                    XPORTA_OK);
            xporta_checker_event(c, r, ev);
            if (ev == XPORTA_PIE_END)
                break;
        }
        if (renamed) {
            assert_null(strstr(ds.text, "bad host"));
            assert_non_null(strstr(ds.text, "'@@@' is not a valid JID"));
            assert_int_equal(ds.errors, 1);
        } else {
            assert_non_null(strstr(ds.text, "host 'bad host' is not a valid"));
            assert_non_null(strstr(ds.text, "'b@bad host' is not a valid"));
            assert_int_equal(ds.errors, 3);
        }
        diags_free(&ds);
        xporta_checker_free(c);
        xporta_pie_reader_free(r);
        xporta_filter_free(f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(real_samples_are_clean),
        cmocka_unit_test(every_rule_fires_at_its_place),
        cmocka_unit_test(dangling_includes_are_listed),
        cmocka_unit_test(archive_jids_are_all_checked),
        cmocka_unit_test(a_filter_renames_before_the_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
