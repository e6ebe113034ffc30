/* lib/transfer/xfer_diff.c: what "the same data" means per kind, and the
 * diff engine's reports. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "transfer/xfer_diff.h"

static const char HEAD[] = "<server-data xmlns='urn:xmpp:pie:0'>"
                           "<host jid='a.example'><user name='alice'>";
static const char TAIL[] = "</user></host></server-data>";

/* The signature of the first record of `body` (inside a <user>); owner
 * alice@a.example. */
static void sig(const char *body, uint64_t *key, uint64_t *value)
{
    size_t n = strlen(HEAD) + strlen(body) + strlen(TAIL) + 1;
    char *doc = malloc(n);
    assert_non_null(doc);
    snprintf(doc, n, "%s%s%s", HEAD, body, TAIL);
    struct chunked c = {doc, strlen(doc), 0, 1 << 16};
    xporta_pie_reader *r = NULL;
    assert_int_equal(xporta_pie_reader_new(&r, "t", chunked_read, &c),
                     XPORTA_OK);
    bool found = false;
    for (;;) {
        xporta_pie_event ev;
        assert_int_equal(xporta_pie_reader_next(r, &ev), XPORTA_OK);
        if (ev == XPORTA_PIE_END)
            break;
        if (ev == XPORTA_PIE_RECORD && !found) {
            xporta_record *rec = xporta_pie_reader_record(r);
            *key = xfer_key_hash(rec);
            *value = xfer_value_hash(rec, "alice@a.example");
            found = true;
        }
    }
    assert_true(found);
    xporta_pie_reader_free(r);
    free(doc);
}

static bool same(const char *a, const char *b)
{
    uint64_t ka, va, kb, vb;
    sig(a, &ka, &va);
    sig(b, &kb, &vb);
    assert_true(ka == kb); /* the tests compare one record with itself */
    return xfer_same_value(va, vb);
}

static void roster_is_name_and_groups(void **state)
{
    (void)state;
    const char *a = "<query xmlns='jabber:iq:roster'><item jid='b@x' "
                    "name='Bob' subscription='both'><group>F</group>"
                    "<group>W</group></item></query>";
    /* Subscription and group order do not matter... */
    assert_true(same(a, "<query xmlns='jabber:iq:roster'><item jid='b@x' "
                        "name='Bob' subscription='none'><group>W</group>"
                        "<group>F</group></item></query>"));
    /* ...the name and the groups do. */
    assert_false(same(a, "<query xmlns='jabber:iq:roster'><item jid='b@x' "
                         "name='Robert' subscription='both'><group>F</group>"
                         "<group>W</group></item></query>"));
    assert_false(same(a, "<query xmlns='jabber:iq:roster'><item jid='b@x' "
                         "name='Bob'><group>F</group></item></query>"));
}

static void vcard_fields_in_any_order(void **state)
{
    (void)state;
    const char *a = "<vCard xmlns='vcard-temp'><FN>Alice</FN><N><FAMILY>L"
                    "</FAMILY><GIVEN>A</GIVEN></N><EMAIL><INTERNET/><USERID>"
                    "a@b</USERID></EMAIL></vCard>";
    /* Prosody's rebuild: other order, empty N parts. */
    assert_true(same(a, "<vCard xmlns='vcard-temp'><EMAIL><USERID>a@b"
                        "</USERID><INTERNET/></EMAIL><N><GIVEN>A</GIVEN>"
                        "<FAMILY>L</FAMILY><MIDDLE/><PREFIX/></N>"
                        "<FN>Alice</FN></vCard>"));
    assert_false(same(a, "<vCard xmlns='vcard-temp'><FN>Alicia</FN><N>"
                         "<FAMILY>L</FAMILY><GIVEN>A</GIVEN></N><EMAIL>"
                         "<INTERNET/><USERID>a@b</USERID></EMAIL></vCard>"));
    /* A field's text still counts, and so does a field added. */
    assert_false(same(a, "<vCard xmlns='vcard-temp'><FN>Alice</FN><N>"
                         "<FAMILY>L</FAMILY><GIVEN>A</GIVEN></N><EMAIL>"
                         "<INTERNET/><USERID>a@b</USERID></EMAIL>"
                         "<NOTE>x</NOTE></vCard>"));
}

static void private_children_in_any_order(void **state)
{
    (void)state;
    const char *a =
        "<query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'>"
        "<conference jid='r1@c' name='One'/><conference jid='r2@c' "
        "name='Two'/></storage></query>";
    assert_true(
        same(a, "<query xmlns='jabber:iq:private'><storage "
                "xmlns='storage:bookmarks'><conference jid='r2@c' name='Two'/>"
                "<conference jid='r1@c' name='One'/></storage></query>"));
    assert_false(
        same(a, "<query xmlns='jabber:iq:private'><storage "
                "xmlns='storage:bookmarks'><conference jid='r1@c' name='One'/>"
                "</storage></query>"));
}

static const char AFF_HEAD[] =
    "<pubsub xmlns='http://jabber.org/protocol/pubsub#owner'>"
    "<affiliations node='n'>";
static const char AFF_TAIL[] = "</affiliations></pubsub>";

static bool same_aff(const char *a, const char *b)
{
    char x[1024], y[1024];
    snprintf(x, sizeof x, "%s%s%s", AFF_HEAD, a, AFF_TAIL);
    snprintf(y, sizeof y, "%s%s%s", AFF_HEAD, b, AFF_TAIL);
    return same(x, y);
}

static void affiliations_without_the_owner(void **state)
{
    (void)state;
    /* ejabberd lists the owner, Prosody does not. */
    assert_true(same_aff(
        "<affiliation jid='alice@a.example' affiliation='owner'/>", ""));
    assert_true(
        same_aff("<affiliation jid='alice@a.example' affiliation='owner'/>"
                 "<affiliation jid='b@x' affiliation='member'/>"
                 "<affiliation jid='c@x' affiliation='publisher'/>",
                 "<affiliation jid='c@x' affiliation='publisher'/>"
                 "<affiliation jid='b@x' affiliation='member'/>"));
    assert_false(same_aff("<affiliation jid='b@x' affiliation='member'/>",
                          "<affiliation jid='b@x' affiliation='outcast'/>"));
    /* Someone else as owner is data. */
    assert_false(same_aff("<affiliation jid='z@x' affiliation='owner'/>", ""));
}

#define NODE_CONFIG(am, max)                                         \
    "<pubsub xmlns='http://jabber.org/protocol/pubsub#owner'>"       \
    "<configure node='n'><x xmlns='jabber:x:data' type='form'>"      \
    "<field var='FORM_TYPE' type='hidden'><value>"                   \
    "http://jabber.org/protocol/pubsub#node_config</value></field>"  \
    "<field var='pubsub#access_model'><value>" am "</value></field>" \
    "<field var='pubsub#max_items'><value>" max "</value></field>"   \
    "</x></configure></pubsub>"

static void pep_node_is_its_access_model(void **state)
{
    (void)state;
    assert_true(
        same(NODE_CONFIG("whitelist", "1"), NODE_CONFIG("whitelist", "max")));
    assert_false(
        same(NODE_CONFIG("whitelist", "1"), NODE_CONFIG("presence", "1")));
    /* A form without an access model (Prosody's migrator writes bare
     * forms) states nothing: whatever the server chose is the same. */
    const char *bare =
        "<pubsub xmlns='http://jabber.org/protocol/pubsub#owner'>"
        "<configure node='n'><x xmlns='jabber:x:data' type='submit'>"
        "<field var='FORM_TYPE' type='hidden'><value>"
        "http://jabber.org/protocol/pubsub#node_config</value></field>"
        "</x></configure></pubsub>";
    assert_true(same(bare, NODE_CONFIG("presence", "1")));
    assert_true(same(NODE_CONFIG("open", "1"), bare));
    assert_true(same(NODE_CONFIG("open", "1"), NODE_CONFIG("", "1")));
}

struct seen {
    char lines[8][256];
    unsigned n;
};

/* Times to the second (ejabberd keeps microseconds, Prosody seconds), and
 * an offline message's <delay/> wherever the server put it. */
static void times_to_the_second(void **state)
{
    (void)state;
    const char *a =
        "<archive xmlns='urn:xmpp:pie:0#mam'><result xmlns='urn:xmpp:mam:2' "
        "id='1'><forwarded xmlns='urn:xmpp:forward:0'><delay "
        "xmlns='urn:xmpp:delay' stamp='2026-12-05T02:16:02.483137Z'/>"
        "<message xmlns='jabber:client' type='chat'><body>x</body></message>"
        "</forwarded></result></archive>";
    assert_true(
        same(a, "<archive xmlns='urn:xmpp:pie:0#mam'><result "
                "xmlns='urn:xmpp:mam:2' id='1'><forwarded "
                "xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' "
                "stamp='2026-12-05T02:16:02Z'/><message xmlns='jabber:client' "
                "type='chat'><body>x</body></message></forwarded></result>"
                "</archive>"));
    assert_false(
        same(a, "<archive xmlns='urn:xmpp:pie:0#mam'><result "
                "xmlns='urn:xmpp:mam:2' id='1'><forwarded "
                "xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' "
                "stamp='2026-12-05T02:16:03Z'/><message xmlns='jabber:client' "
                "type='chat'><body>x</body></message></forwarded></result>"
                "</archive>"));
    const char *o =
        "<offline-messages><message xmlns='jabber:client' type='chat'>"
        "<delay xmlns='urn:xmpp:delay' from='a.example' "
        "stamp='2026-12-05T02:16:01.298341Z'>Offline Storage</delay>"
        "<body>away</body></message></offline-messages>";
    assert_true(same(o, "<offline-messages><message xmlns='jabber:client' "
                        "type='chat'><body>away</body><delay "
                        "xmlns='urn:xmpp:delay' from='a.example' "
                        "stamp='2026-12-05T02:16:01Z'>Offline Storage</delay>"
                        "</message></offline-messages>"));
    assert_false(same(o, "<offline-messages><message xmlns='jabber:client' "
                         "type='chat'><body>back</body><delay "
                         "xmlns='urn:xmpp:delay' from='a.example' "
                         "stamp='2026-12-05T02:16:01Z'>Offline Storage</delay>"
                         "</message></offline-messages>"));
}

static void on_delta(void *ud, xporta_diff_delta d, xporta_kind k,
                     const char *key, const char *id)
{
    struct seen *s = ud;
    if (s->n < 8)
        snprintf(s->lines[s->n++], sizeof s->lines[0], "%d %s %s [%s]", d,
                 xporta_kind_name(k), key ? key : "-", id ? id : "-");
}

static void feed(xporta_diff *d, bool side_a, const char *body)
{
    size_t n = strlen(HEAD) + strlen(body) + strlen(TAIL) + 1;
    char *doc = malloc(n);
    assert_non_null(doc);
    snprintf(doc, n, "%s%s%s", HEAD, body, TAIL);
    struct chunked c = {doc, strlen(doc), 0, 1 << 16};
    xporta_pie_reader *r = NULL;
    assert_int_equal(xporta_pie_reader_new(&r, "t", chunked_read, &c),
                     XPORTA_OK);
    for (;;) {
        xporta_pie_event ev;
        assert_int_equal(xporta_pie_reader_next(r, &ev), XPORTA_OK);
        if (ev == XPORTA_PIE_END)
            break;
        if (ev != XPORTA_PIE_RECORD)
            continue;
        xporta_record *rec = xporta_pie_reader_record(r);
        assert_int_equal(side_a
                             ? xporta_diff_add_a(d, "", rec, "alice@a.example")
                             : xporta_diff_add_b(d, "", rec, "alice@a.example"),
                         XPORTA_OK);
    }
    xporta_pie_reader_free(r);
    free(doc);
}

static void diff_reports_key_and_id_apart(void **state)
{
    (void)state;
    struct seen s;
    memset(&s, 0, sizeof s);
    xporta_diff *d = NULL;
    assert_int_equal(xporta_diff_new(&d, on_delta, &s), XPORTA_OK);
    const char *pep_a =
        "<pubsub xmlns='http://jabber.org/protocol/pubsub'>"
        "<items node='urn:xmpp:bookmarks:1'>"
        "<item id='r1@c'><conference xmlns='urn:xmpp:bookmarks:1'/></item>"
        "<item id='r2@c'><conference xmlns='urn:xmpp:bookmarks:1'/></item>"
        "</items></pubsub>";
    const char *pep_b =
        "<pubsub xmlns='http://jabber.org/protocol/pubsub'>"
        "<items node='urn:xmpp:bookmarks:1'>"
        "<item id='r2@c'><conference xmlns='urn:xmpp:bookmarks:1' "
        "name='x'/></item>"
        "<item id='r3@c'><conference xmlns='urn:xmpp:bookmarks:1'/></item>"
        "</items></pubsub>";
    feed(d, true, pep_a);
    /* Only "alice owns her node": no record at all. */
    feed(d, true,
         "<pubsub xmlns='http://jabber.org/protocol/pubsub#owner'>"
         "<affiliations node='urn:xmpp:bookmarks:1'><affiliation "
         "jid='alice@a.example' affiliation='owner'/></affiliations>"
         "</pubsub>");
    feed(d, false, pep_b);
    xporta_diff_finish(d);
    xporta_diff_counts c;
    xporta_diff_get_counts(d, XPORTA_KIND_PEP_ITEM, &c);
    assert_int_equal(c.same, 0);
    assert_int_equal(c.differ, 1);
    assert_int_equal(c.only_a, 1);
    assert_int_equal(c.only_b, 1);
    xporta_diff_get_counts(d, XPORTA_KIND_PEP_AFFILIATIONS, &c);
    assert_int_equal(c.same + c.differ + c.only_a + c.only_b, 0);
    assert_int_equal(s.n, 3);
    /* In the order found: B's records, then what only A has. */
    assert_string_equal(s.lines[0], "3 pep-item urn:xmpp:bookmarks:1 [r2@c]");
    assert_string_equal(s.lines[1], "2 pep-item urn:xmpp:bookmarks:1 [r3@c]");
    assert_string_equal(s.lines[2], "1 pep-item urn:xmpp:bookmarks:1 [r1@c]");
    xporta_diff_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(roster_is_name_and_groups),
        cmocka_unit_test(vcard_fields_in_any_order),
        cmocka_unit_test(private_children_in_any_order),
        cmocka_unit_test(affiliations_without_the_owner),
        cmocka_unit_test(pep_node_is_its_access_model),
        cmocka_unit_test(diff_reports_key_and_id_apart),
        cmocka_unit_test(times_to_the_second),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
