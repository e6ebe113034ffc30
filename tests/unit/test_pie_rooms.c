/* XEP-0519 components: the reader's events, the writer's round trip in every
 * dialect, the checker's rules at their places, renaming a component. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

static char *digest_text(const char *text)
{
    xporta_status st;
    char err[512] = "";
    char *d = digest_mem("t.xml", text, 7, &st, err, sizeof err);
    if (!d)
        fail_msg("%s", err);
    return d;
}

static void reader_events(void **state)
{
    (void)state;
    xporta_status st;
    char err[512] = "";
    char *d = digest_file(data_path("muc-full.xml"), &st, err, sizeof err);
    assert_non_null(d);
    assert_non_null(strstr(d, "end host\ncomponent conference.example.org "
                              "muc\nroom team "));
    assert_non_null(strstr(d, "room-record room-config [config] id=- in=- "
                              "<x xmlns='jabber:x:data' type='submit'>"));
    assert_non_null(strstr(d, "room-record room-affiliation "
                              "[bob@example.org] id=- in=- <item "
                              "xmlns='http://jabber.org/protocol/muc#user' "
                              "jid='bob@example.org' affiliation='admin' "
                              "nick='bobby'><reason>helps</reason></item>"));
    assert_non_null(strstr(d, "room-record room-subject [subject]"));
    assert_non_null(strstr(d, "room-record vcard [vcard]"));
    assert_non_null(strstr(d, "room-record archive [1796444161596084]"));
    assert_non_null(strstr(d, "room-record other "
                              "[{urn:example:room-extra}custom] id=- in=- "));
    assert_non_null(strstr(d, "end room\nroom empty "));
    assert_non_null(strstr(d, "extra other [{urn:example:component-extra}"
                              "settings] id=- in=component"));
    assert_non_null(strstr(d, "end component\nend\n"));
    /* Never a user record. */
    assert_null(strstr(d, "\nrecord room-"));
    free(d);
}

/* Cheogram before 2026-06-30: <component> in the pie namespace, <user>s. */
static void reader_legacy_cheogram(void **state)
{
    (void)state;
    char *d = digest_text(
        "<server-data xmlns='urn:xmpp:pie:0'><host jid='a.example'><user "
        "name='u'/></host><component jid='muc.a.example' type='muc'><user "
        "name='room'><archive xmlns='urn:xmpp:pie:0#mam'><result "
        "xmlns='urn:xmpp:mam:2' id='1'><forwarded "
        "xmlns='urn:xmpp:forward:0'/></result></archive></user></component>"
        "</server-data>");
    assert_non_null(strstr(d, "component muc.a.example muc\nroom room <item "
                              "xmlns='urn:xmpp:pie:0#component' "
                              "name='room'/>\nroom-record archive [1]"));
    assert_non_null(strstr(d, "end room\nend component\nend\n"));
    free(d);
}

/* A pubsub component's items are not rooms: kept whole. */
static void reader_other_types_kept_whole(void **state)
{
    (void)state;
    char *d =
        digest_text("<server-data xmlns='urn:xmpp:pie:0'><component "
                    "xmlns='urn:xmpp:pie:0#component' jid='pubsub.a.example' "
                    "type='pubsub'><item name='node1'><pubsub "
                    "xmlns='http://jabber.org/protocol/pubsub#owner'/></item>"
                    "</component></server-data>");
    assert_non_null(strstr(d, "component pubsub.a.example pubsub\nextra "
                              "other [{urn:xmpp:pie:0#component}item] id=- "
                              "in=component <item "
                              "xmlns='urn:xmpp:pie:0#component' "
                              "name='node1'><pubsub "));
    assert_null(strstr(d, "\nroom "));
    free(d);
}

static char *roundtrip(const char *in, xporta_dialect dialect, struct diags *ds)
{
    char *dir = make_tmpdir();
    char out[1024];
    snprintf(out, sizeof out, "%s/out.xml", dir);
    xporta_pie_reader *r = NULL;
    xporta_pie_writer *w = NULL;
    assert_int_equal(xporta_pie_reader_open(&r, in), XPORTA_OK);
    assert_int_equal(xporta_pie_writer_open(&w, out, dialect, 0), XPORTA_OK);
    xporta_pie_writer_set_diag(w, diags_cb, ds);
    assert_int_equal(copy_stream(r, w), XPORTA_OK);
    assert_int_equal(xporta_pie_writer_commit(w), XPORTA_OK);
    xporta_pie_writer_free(w);
    xporta_pie_reader_free(r);
    char *d = NULL;
    if (dialect == XPORTA_DIALECT_STANDARD) {
        xporta_status st;
        char err[512];
        d = digest_file(out, &st, err, sizeof err);
        assert_non_null(d);
    }
    rm_rf(dir);
    free(dir);
    return d;
}

static void writer_round_trip(void **state)
{
    (void)state;
    static const char *const samples[] = {"muc-full.xml", "muc-cheogram.xml"};
    for (size_t i = 0; i < 2; i++) {
        xporta_status st;
        char err[512];
        struct diags ds = {0};
        char *want = digest_file(data_path(samples[i]), &st, err, sizeof err);
        char *got =
            roundtrip(data_path(samples[i]), XPORTA_DIALECT_STANDARD, &ds);
        assert_text_equal(got, want);
        assert_int_equal(ds.warnings, 0);
        free(want);
        free(got);
        diags_free(&ds);
    }
}

static void writer_dialects_leave_components_out(void **state)
{
    (void)state;
    xporta_dialect ds_[] = {XPORTA_DIALECT_EJABBERD, XPORTA_DIALECT_PROSODY};
    for (size_t i = 0; i < 2; i++) {
        struct diags ds = {0};
        free(roundtrip(data_path("muc-full.xml"), ds_[i], &ds));
        assert_non_null(strstr(ds.text, "component conference.example.org "
                                        "left out"));
        diags_free(&ds);
    }
}

static void writer_refuses_misplaced_calls(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char out[1024];
    snprintf(out, sizeof out, "%s/x.xml", dir);
    xporta_pie_writer *w = NULL;
    assert_int_equal(
        xporta_pie_writer_open(&w, out, XPORTA_DIALECT_STANDARD, 0), XPORTA_OK);
    assert_int_equal(xporta_pie_writer_begin_room(w, "r", NULL), XPORTA_EINVAL);
    xporta_pie_writer_free(w);
    assert_int_equal(
        xporta_pie_writer_open(&w, out, XPORTA_DIALECT_STANDARD, 0), XPORTA_OK);
    assert_int_equal(xporta_pie_writer_begin_component(w, "c.example", "muc"),
                     XPORTA_OK);
    assert_int_equal(xporta_pie_writer_begin_room(w, "r", NULL), XPORTA_OK);
    assert_int_equal(xporta_pie_writer_end_room(w), XPORTA_OK);
    assert_int_equal(xporta_pie_writer_begin_room(w, "r", NULL),
                     XPORTA_EINVAL); /* twice */
    xporta_pie_writer_free(w);
    rm_rf(dir);
    free(dir);
}

static struct diags check_text(const char *text)
{
    struct diags ds = {0};
    struct chunked c = {text, strlen(text), 0, 5};
    xporta_pie_reader *r = NULL;
    xporta_checker *k = NULL;
    assert_int_equal(xporta_pie_reader_new(&r, "t.xml", chunked_read, &c),
                     XPORTA_OK);
    assert_int_equal(xporta_checker_new(&k, diags_cb, &ds), XPORTA_OK);
    for (;;) {
        xporta_pie_event ev;
        assert_int_equal(xporta_pie_reader_next(r, &ev), XPORTA_OK);
        xporta_checker_event(k, r, ev);
        if (ev == XPORTA_PIE_END)
            break;
    }
    xporta_checker_free(k);
    xporta_pie_reader_free(r);
    return ds;
}

static void checker_rules_at_their_places(void **state)
{
    (void)state;
    struct diags ds = check_text(
        "<server-data xmlns='urn:xmpp:pie:0'>\n"
        "<component xmlns='urn:xmpp:pie:0#component' jid='bad..domain'>\n"
        "<item name='a b'/>\n"
        "<item name='r'>\n"
        "<query xmlns='http://jabber.org/protocol/muc#owner'><x "
        "xmlns='jabber:x:data' type='form'><field var='FORM_TYPE'><value>"
        "urn:x</value></field><field/></x></query>\n"
        "<x xmlns='http://jabber.org/protocol/muc#user'>\n"
        "<item jid='a@example.org' affiliation='king'/>\n"
        "<item jid='a@example.org' affiliation='member'/>\n"
        "<item jid='not a jid' affiliation='owner'/>\n"
        "</x>\n"
        "<message xmlns='jabber:client'><body>x</body></message>\n"
        "<archive xmlns='urn:xmpp:pie:0#mam'>\n"
        "<result xmlns='urn:xmpp:mam:2' id='1'><forwarded "
        "xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' "
        "stamp='2026-01-02T10:00:00Z'/><message xmlns='jabber:client'/>"
        "</forwarded></result>\n"
        "<result xmlns='urn:xmpp:mam:2' id='1'><forwarded "
        "xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' "
        "stamp='2026-01-01T10:00:00.5Z'/><message xmlns='jabber:client'/>"
        "</forwarded></result>\n"
        "</archive></item>\n"
        "<item name='r'/>\n"
        "</component></server-data>\n");
    const char *want[] = {
        "error 2:1 component 'bad..domain' is not a valid domain",
        "warning 2:1 component 'bad..domain' without a type",
        "error 3:1 room name 'a b' is not a valid localpart",
        "warning 5:53 room configuration form of type 'form', not submit",
        "error 5:53 room configuration FORM_TYPE is 'urn:x'",
        "error 5:53 room configuration field without a var",
        "error 7:1 affiliation 'king' is not owner, admin, member or outcast",
        "error 8:1 affiliation of 'a@example.org' occurs twice",
        "error 9:1 affiliation jid 'not a jid' is not a valid JID",
        "error 11:1 room <message> without a <subject>",
        "error 14:1 archive id '1' occurs twice",
        "warning 14:1 archived message of 2026-01-01T10:00:00.5Z is older",
        "error 16:1 room 'r@bad..domain' occurs twice",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(ds.text, want[i]))
            fail_msg("missing \"%s\" in:\n%s", want[i], ds.text);
    diags_free(&ds);
    ds = check_text("<server-data xmlns='urn:xmpp:pie:0'><component "
                    "xmlns='urn:xmpp:pie:0#component' jid='muc.example' "
                    "type='muc'><item name='ok'/></component></server-data>");
    assert_int_equal(ds.errors, 0);
    assert_int_equal(ds.warnings, 0);
    diags_free(&ds);
}

static void filter_renames_components(void **state)
{
    (void)state;
    xporta_filter *f = NULL;
    char buf[256];
    const char *to;
    assert_int_equal(xporta_filter_new(&f), XPORTA_OK);
    assert_int_equal(xporta_filter_rename_host(f, "old.example", "new.example"),
                     XPORTA_OK);
    assert_string_equal(
        xporta_filter_component(f, "conference.old.example", buf, sizeof buf),
        "conference.new.example");
    assert_string_equal(
        xporta_filter_component(f, "old.example.org", buf, sizeof buf),
        "old.example.org");
    assert_string_equal(
        xporta_filter_component(f, "xold.example", buf, sizeof buf),
        "xold.example");
    assert_int_equal(
        xporta_filter_rename_component(f, "conference.old.example", &to),
        XPORTA_OK);
    assert_string_equal(to, "conference.new.example");
    /* From now on the records' JIDs of it follow. */
    assert_string_equal(xporta_filter_host(f, "conference.old.example"),
                        "conference.new.example");
    assert_int_equal(xporta_filter_rename_component(f, "muc.other", &to),
                     XPORTA_OK);
    assert_string_equal(to, "muc.other");
    xporta_filter_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reader_events),
        cmocka_unit_test(reader_legacy_cheogram),
        cmocka_unit_test(reader_other_types_kept_whole),
        cmocka_unit_test(writer_round_trip),
        cmocka_unit_test(writer_dialects_leave_components_out),
        cmocka_unit_test(writer_refuses_misplaced_calls),
        cmocka_unit_test(checker_rules_at_their_places),
        cmocka_unit_test(filter_renames_components),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
