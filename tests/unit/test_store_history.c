/* The live history rules: which stores take a user's archive and offline
 * messages beside the running server (lib/store/store_history.c), and
 * how an offline message is known by its copy in the archive
 * (lib/transfer/xfer_twin.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xp_base.h"
#include "test_util.h"
#include "transfer/xfer_twin.h"

static void expect(const char *store, xporta_kind k, bool ok,
                   const char *needle)
{
    const char *why = "unset";
    xporta_status st = xporta_store_live_check(store, k, &why);
    if (ok) {
        assert_int_equal(st, XPORTA_OK);
        assert_null(why);
        return;
    }
    assert_int_equal(st, XPORTA_EUNSUPPORTED);
    assert_non_null(why);
    if (!strstr(why, needle))
        fail_msg("%s: '%s' lacks '%s'", store, why, needle);
}

static void test_stores(void **state)
{
    (void)state;
    const xporta_kind A = XPORTA_KIND_ARCHIVE, O = XPORTA_KIND_OFFLINE;
    expect("prosody:/var/lib/prosody", A, true, NULL);
    expect("prosody:/var/lib/prosody", O, true, NULL);
    expect("prosody:/var/lib/prosody", XPORTA_KIND_ROSTER, false,
           "client protocol");
    expect("prosody+sqlite:/x.sqlite", A, false, "busy timeout");
    expect("prosody+sqlite:/x.sqlite", O, false, "busy timeout");
    expect("prosody+pgsql:prosody", A, false, "mod_storage_sql.lua:154");
    expect("prosody+pgsql:prosody", O, false, "only with the archive");
    expect("ejabberd+sqlite:/e.db", A, false, "ejabberd_sql.erl");
    expect("ejabberd+sqlite:/e.db", O, false, "busy timeout");
    expect("ejabberd+pgsql:ejabberd", A, true, NULL);
    expect("ejabberd+pgsql:ejabberd", O, false, "mod_offline.erl");
    expect("ejabberd+mnesia:/usr/sbin/ejabberdctl", A, false, "Mnesia");
    expect("ejabberd+mnesia:/usr/sbin/ejabberdctl", O, false, "Mnesia");
    expect("file:/tmp/a.xml", A, false, "not a server's storage");
    expect("xmpp:a@b.example", A, false, "not a server's storage");
    expect("/tmp/a.xml", A, false, "not a server's storage");
    const char *why = NULL;
    assert_int_equal(xporta_store_live_check(NULL, A, &why), XPORTA_EINVAL);
    assert_int_equal(
        xporta_store_live_check("prosody:/x", XPORTA_KIND_COUNT, &why),
        XPORTA_EINVAL);
}

static const char ARCH[] =
    "<archive xmlns='urn:xmpp:pie:0#mam'>"
    "<result xmlns='urn:xmpp:mam:2' id='a1'><forwarded "
    "xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' "
    "stamp='2021-03-02T08:00:00.600Z'/><message xmlns='jabber:client' "
    "from='peer@old.example/phone' to='u@old.example' "
    "type='chat'><body>hello</body></message></forwarded></result>"
    "</archive>";

/* Whether the offline message `msg` (a <message> with its delay) is the
 * twin of the archived message ARCH. */
static bool twin(const char *msg)
{
    char doc[4096];
    snprintf(doc, sizeof doc,
             "<server-data xmlns='urn:xmpp:pie:0'><host jid='old.example'>"
             "<user name='u'><offline-messages>%s</offline-messages>%s"
             "</user></host></server-data>",
             msg, ARCH);
    struct chunked c = {doc, strlen(doc), 0, 1 << 16};
    xporta_pie_reader *r = NULL;
    assert_int_equal(xporta_pie_reader_new(&r, "t", chunked_read, &c),
                     XPORTA_OK);
    struct xp_set archive;
    xp_set_init(&archive, 0);
    /* first pass: the archive's prints */
    for (;;) {
        xporta_pie_event ev;
        assert_int_equal(xporta_pie_reader_next(r, &ev), XPORTA_OK);
        if (ev == XPORTA_PIE_END)
            break;
        if (ev != XPORTA_PIE_RECORD)
            continue;
        xporta_record *rec = xporta_pie_reader_record(r);
        bool oom = false;
        assert_int_equal(xfer_twin_add(&archive, rec, &oom),
                         rec->kind == XPORTA_KIND_ARCHIVE);
        assert_false(oom);
    }
    xporta_pie_reader_free(r);
    /* second pass: the offline record against them */
    c.pos = 0;
    assert_int_equal(xporta_pie_reader_new(&r, "t", chunked_read, &c),
                     XPORTA_OK);
    bool found = false, is = false;
    for (;;) {
        xporta_pie_event ev;
        assert_int_equal(xporta_pie_reader_next(r, &ev), XPORTA_OK);
        if (ev == XPORTA_PIE_END)
            break;
        if (ev == XPORTA_PIE_RECORD) {
            xporta_record *rec = xporta_pie_reader_record(r);
            if (rec->kind == XPORTA_KIND_OFFLINE) {
                found = true;
                is = xfer_twin_in(&archive, rec);
            } else { /* an archived message is never an offline one */
                assert_false(xfer_twin_in(&archive, rec));
            }
        }
    }
    xporta_pie_reader_free(r);
    xp_set_cleanup(&archive);
    assert_true(found);
    return is;
}

#define OFF(from, stamp, body)                                           \
    "<message xmlns='jabber:client' from='" from "' to='u@old.example' " \
    "type='chat'><delay xmlns='urn:xmpp:delay' stamp='" stamp "'/>"      \
    "<body>" body "</body></message>"

static void test_twins(void **state)
{
    (void)state;
    /* stored offline and archived a moment apart, any resource */
    assert_true(
        twin(OFF("peer@old.example/phone", "2021-03-02T08:00:01Z", "hello")));
    assert_true(twin(
        OFF("peer@old.example/laptop", "2021-03-02T08:00:00.100Z", "hello")));
    assert_true(
        twin(OFF("peer@old.example", "2021-03-02T10:00:00+02:00", "hello")));
    assert_true(
        twin(OFF("peer@old.example", "2021-03-02T07:59:59.9Z", "hello")));
    /* another time, body or sender: a message of its own */
    assert_false(
        twin(OFF("peer@old.example/phone", "2021-03-02T08:00:03Z", "hello")));
    assert_false(
        twin(OFF("peer@old.example/phone", "2021-03-02T08:00:01Z", "hello!")));
    assert_false(
        twin(OFF("other@old.example/phone", "2021-03-02T08:00:01Z", "hello")));
    /* no delay, no stamp that parses: never a twin (it is written) */
    assert_false(twin("<message xmlns='jabber:client' "
                      "from='peer@old.example' to='u@old.example'>"
                      "<body>hello</body></message>"));
    assert_false(twin(OFF("peer@old.example", "yesterday", "hello")));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stores),
        cmocka_unit_test(test_twins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
