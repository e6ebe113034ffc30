/* tests/fake: the in-memory server behind the session API.
 *
 * Every kind is written with the real builders of lib/xmpp/xmpp_kinds.h
 * through xp_session_iq and read back with the real decoders, as the jobs
 * do; then the session's contract (exactly one callback per request, the
 * inflight ceiling, close, disconnects, deadlines), the faults, presence
 * routing between accounts, and the read and export jobs of include/xporta.h
 * against an account seeded from tests/data/full.xml. */
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fake_server.h"
#include "xmpp/xmpp_kinds.h"
#include "xmpp/xmpp_p.h"

#define ALICE "alice@old.example"
#define BOB "bob@old.example"
#define PASS "secret"

static xmpp_ctx_t *ctx;
static struct xp_arena A; /* replies and records of one test */

static int setup(void **state)
{
    (void)state;
    fake_reset();
    xp_arena_init(&A, 0);
    assert_int_equal(fake_add_account(ALICE, PASS), 0);
    assert_int_equal(fake_add_account(BOB, PASS), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    xp_arena_cleanup(&A);
    fake_reset();
    return 0;
}

/* ---- helpers ------------------------------------------------------------- */

/* XML as the stream parser reads it. */
static xp_elem *parse(const char *xml, const char *parent_ns)
{
    xmpp_stanza_t *st = xmpp_stanza_new_from_string(ctx, xml);
    xp_elem *e = NULL;
    assert_non_null(st);
    assert_int_equal(xp_stanza_to_elem(&A, st, parent_ns, &e, NULL), XPORTA_OK);
    xmpp_stanza_release(st);
    return e;
}

static char *ser(const xp_elem *e)
{
    struct xp_buf b;
    xp_buf_init(&b, 1 << 24);
    assert_int_equal(xp_elem_serialize(&b, e, XP_NS_CLIENT), XPORTA_OK);
    char *s = xp_arena_strdup(&A, xp_buf_str(&b));
    xp_buf_cleanup(&b);
    return s;
}

static struct xp_session *open_as(const char *jid, const char *resource)
{
    struct xp_session_opts o;
    struct xp_err err;
    struct xp_session *s = NULL;
    memset(&o, 0, sizeof o);
    o.jid = jid;
    o.password = PASS;
    o.resource = resource;
    xp_err_clear(&err);
    assert_int_equal(xp_session_open(&s, &o, &err), XPORTA_OK);
    return s;
}

/* One reply, copied out of the callback. */
struct reply {
    int calls;
    xporta_status status;
    xp_elem *iq;
    const char *condition, *type, *text;
};

static void on_reply(struct xp_session *s, const struct xp_iq_reply *r,
                     void *ud)
{
    struct reply *out = ud;
    (void)s;
    out->calls++;
    out->status = r->status;
    out->iq = r->iq ? xp_elem_clone(&A, r->iq) : NULL;
    out->condition = r->condition ? xp_arena_strdup(&A, r->condition) : NULL;
    out->type = r->error_type ? xp_arena_strdup(&A, r->error_type) : NULL;
    out->text = r->text ? xp_arena_strdup(&A, r->text) : NULL;
}

/* Sends a request and waits for its answer. */
static struct reply *request(struct xp_session *s, const char *type,
                             const char *to, const xp_elem *payload)
{
    struct reply *r = xp_arena_alloc(&A, sizeof *r);
    memset(r, 0, sizeof *r);
    assert_non_null(payload);
    assert_int_equal(xp_session_iq(s, type, to, payload, 0, on_reply, r),
                     XPORTA_OK);
    assert_int_equal(xp_session_drain(s, 5000), XPORTA_OK);
    assert_int_equal(r->calls, 1);
    return r;
}

static xp_elem *get_ok(struct xp_session *s, const char *to,
                       const xp_elem *payload)
{
    struct reply *r = request(s, "get", to, payload);
    if (r->status != XPORTA_OK)
        fail_msg("get: %s %s", xporta_status_name(r->status),
                 r->condition ? r->condition : "");
    return r->iq;
}

static void set_ok(struct xp_session *s, const xp_elem *payload)
{
    struct reply *r = request(s, "set", NULL, payload);
    if (r->status != XPORTA_OK)
        fail_msg("set: %s %s %s", xporta_status_name(r->status),
                 r->condition ? r->condition : "", r->text ? r->text : "");
}

static void assert_refused(struct reply *r, const char *condition,
                           const char *type)
{
    assert_int_equal(r->status, XPORTA_ESTANZA);
    assert_string_equal(r->condition, condition);
    if (type)
        assert_string_equal(r->type, type);
    assert_non_null(r->iq);
}

/* Records handed to an xp_record_fn, copied. */
enum { MAX_RECS = 64 };
struct recs {
    size_t n;
    xporta_kind kind[MAX_RECS];
    const char *key[MAX_RECS];
    const char *id[MAX_RECS];
    xp_elem *payload[MAX_RECS];
};

static void collect(void *ud, xporta_record *rec)
{
    struct recs *r = ud;
    assert_true(r->n < MAX_RECS);
    r->kind[r->n] = rec->kind;
    r->key[r->n] = xp_arena_strdup(&A, rec->key);
    r->id[r->n] = rec->id ? xp_arena_strdup(&A, rec->id) : NULL;
    r->payload[r->n] = xp_elem_clone(&A, rec->payload);
    r->n++;
}

static const char *form_value(const xp_elem *configure, const char *var)
{
    const xp_elem *x = xp_elem_child(configure, XP_NS_DATA, "x");
    for (const xp_elem *f = xp_elem_first_element(x); f;
         f = xp_elem_next_element(f))
        if (xp_streq(xp_elem_attr_ns(f, "", "var"), var))
            return xp_elem_child_text(f, XP_NS_DATA, "value");
    return NULL;
}

/* Stanzas shown to on_stanza, serialised. */
struct shown {
    size_t n;
    const char *text[32];
    xp_elem *e[32];
    bool answer; /* answer IQ requests with a result */
};

static void on_stanza(struct xp_session *s, const xp_elem *st, void *ud)
{
    struct shown *sh = ud;
    assert_true(sh->n < 32);
    sh->e[sh->n] = xp_elem_clone(&A, st);
    sh->text[sh->n++] = ser(st);
    if (sh->answer && xp_elem_is(st, NULL, "iq")) {
        xp_elem *res = parse("<iq type='result'/>", XP_NS_CLIENT);
        xp_elem_set_attr(&A, res, "", "id", xp_elem_attr_ns(st, "", "id"));
        assert_int_equal(xp_session_send(s, res), XPORTA_OK);
    }
}

/* ---- logging in ---------------------------------------------------------- */

static void login(void **state)
{
    (void)state;
    struct xp_session_opts o;
    struct xp_session *s = NULL;
    struct xp_err err;
    memset(&o, 0, sizeof o);
    o.jid = ALICE;
    o.password = "wrong";
    xp_err_clear(&err);
    assert_int_equal(xp_session_open(&s, &o, &err), XPORTA_EAUTH);
    assert_null(s);
    assert_string_equal(err.msg,
                        "authentication failed for " ALICE ": not-authorized");
    o.jid = "nobody@old.example";
    o.password = PASS;
    xp_err_clear(&err);
    assert_int_equal(xp_session_open(&s, &o, &err), XPORTA_EAUTH);
    o.jid = "alice@elsewhere.example";
    o.host = "127.0.0.1";
    o.port = 1;
    xp_err_clear(&err);
    assert_int_equal(xp_session_open(&s, &o, &err), XPORTA_ENET);
    assert_string_equal(err.msg, "cannot connect to elsewhere.example "
                                 "(127.0.0.1:1): Connection refused");
    o.jid = "alice@old.example/res";
    xp_err_clear(&err);
    assert_int_equal(xp_session_open(&s, &o, &err), XPORTA_EINVAL);

    /* The domain without case; the bound JID is the account's. */
    s = open_as("alice@OLD.Example", NULL);
    assert_string_equal(xp_session_jid(s), ALICE "/xporta-fake");
    assert_string_equal(xp_session_bare(s), ALICE);
    assert_string_equal(xp_session_domain(s), "old.example");
    assert_string_equal(xp_session_error(s), "");
    assert_true(
        xp_session_has_feature(s, "urn:ietf:params:xml:ns:xmpp-bind", "bind"));
    assert_false(xp_session_has_feature(s, "urn:xmpp:nope", "x"));
    struct xp_session *s2 = open_as(ALICE, NULL);
    assert_string_equal(xp_session_jid(s2), ALICE "/xporta-fake-2");
    assert_int_equal(fake_sessions(ALICE), 2);
    xp_session_close(s2);
    assert_int_equal(fake_sessions(ALICE), 1);

    /* The same full JID again replaces the first session (Prosody). */
    s2 = open_as(ALICE, "xporta-fake");
    assert_int_equal(xp_session_run(s, 0), XPORTA_EDISCONNECTED);
    /* The domain as it was typed, as the real session says it. */
    assert_string_equal(xp_session_error(s),
                        "OLD.Example closed the stream: conflict (Replaced "
                        "by new connection)");
    xp_session_close(s);
    xp_session_close(s2);

    /* A refused login. */
    assert_int_equal(fake_fail(ALICE, "login", "not-authorized", 1), 0);
    o.jid = ALICE;
    o.host = NULL;
    xp_err_clear(&err);
    assert_int_equal(xp_session_open(&s, &o, &err), XPORTA_EAUTH);
    assert_int_equal(fake_fail(ALICE, "login", "timeout", 1), 0);
    xp_err_clear(&err);
    assert_int_equal(xp_session_open(&s, &o, &err), XPORTA_ETIMEOUT);
    assert_int_equal(fake_requests(ALICE), 0);
}

/* ---- each kind, written and read back ------------------------------------ */

static void roster(void **state)
{
    (void)state;
    struct xp_session *s = open_as(ALICE, NULL);
    struct shown sh = {.answer = false};
    xp_session_on_stanza(s, on_stanza, &sh);
    xp_elem *item = parse("<item xmlns='jabber:iq:roster' jid='carol@x.example'"
                          " name='Carol' subscription='both'><group>Work"
                          "</group><group>Work</group><group>Friends</group>"
                          "</item>",
                          "");
    set_ok(s, xp_roster_set(&A, item));
    /* The push came before the result, and was answered for us. */
    assert_int_equal(sh.n, 1);
    assert_non_null(strstr(sh.text[0], "type='set'"));
    assert_non_null(strstr(sh.text[0], "carol@x.example"));

    struct recs r = {0};
    xp_elem *iq = get_ok(s, NULL, xp_roster_query(&A));
    assert_int_equal(xp_roster_decode(&A, iq, collect, &r), XPORTA_OK);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.key[0], "carol@x.example");
    /* The client cannot set a subscription: the server keeps none. */
    assert_string_equal(xp_elem_attr_ns(r.payload[0], "", "subscription"),
                        "none");
    assert_string_equal(xp_elem_attr_ns(r.payload[0], "", "name"), "Carol");
    assert_int_equal(fake_count(ALICE, XPORTA_KIND_ROSTER), 1);

    /* Refusals as RFC 6121 §2.3.3 has them. */
    assert_refused(request(s, "set", NULL,
                           parse("<query xmlns='jabber:iq:roster'><item "
                                 "jid='d@x.example'><group>a</group><group>a"
                                 "</group></item></query>",
                                 "")),
                   "bad-request", "modify");
    assert_refused(request(s, "set", NULL,
                           parse("<query xmlns='jabber:iq:roster'><item "
                                 "jid='d@x.example'><group/></item></query>",
                                 "")),
                   "not-acceptable", "modify");
    /* Removal, with its push. */
    set_ok(s, parse("<query xmlns='jabber:iq:roster'><item jid='carol@x."
                    "example' subscription='remove'/></query>",
                    ""));
    assert_int_equal(fake_count(ALICE, XPORTA_KIND_ROSTER), 0);
    assert_non_null(strstr(sh.text[sh.n - 1], "subscription='remove'"));
    assert_refused(request(s, "set", NULL,
                           parse("<query xmlns='jabber:iq:roster'><item "
                                 "jid='carol@x.example' subscription="
                                 "'remove'/></query>",
                                 "")),
                   "item-not-found", "cancel");
    xp_session_close(s);
}

static void vcard(void **state)
{
    (void)state;
    struct xp_session *s = open_as(ALICE, NULL);
    struct recs r = {0};
    /* None yet: an empty vCard, no record (as Prosody). */
    xp_elem *iq = get_ok(s, NULL, xp_vcard_query(&A));
    assert_int_equal(xp_vcard_decode(&A, iq, collect, &r), XPORTA_OK);
    assert_int_equal(r.n, 0);
    xp_elem *v = parse("<vCard xmlns='vcard-temp'><FN>Alice</FN><NICKNAME>Al"
                       "</NICKNAME></vCard>",
                       "");
    set_ok(s, xp_vcard_set(&A, v));
    iq = get_ok(s, NULL, xp_vcard_query(&A));
    assert_int_equal(xp_vcard_decode(&A, iq, collect, &r), XPORTA_OK);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.key[0], "vcard");
    assert_true(xp_elem_equal(r.payload[0], v));
    /* Another account's vCard, from that account. */
    struct xp_session *b = open_as(BOB, NULL);
    iq = get_ok(b, ALICE, xp_vcard_query(&A));
    assert_string_equal(xp_elem_attr_ns(iq, "", "from"), ALICE);
    assert_true(xp_elem_equal(xp_elem_child(iq, XP_NS_VCARD, "vCard"), v));
    xp_session_close(b);
    xp_session_close(s);
}

static void private_xml(void **state)
{
    (void)state;
    struct xp_session *s = open_as(ALICE, NULL);
    struct recs r = {0};
    xp_elem *bm = parse("<storage xmlns='storage:bookmarks'><conference "
                        "jid='room@muc.example' autojoin='true'/></storage>",
                        "");
    set_ok(s, xp_private_set(&A, bm));
    xp_elem *iq =
        get_ok(s, NULL, xp_private_query(&A, "storage:bookmarks", "storage"));
    assert_int_equal(xp_private_decode(&A, iq, collect, &r), XPORTA_OK);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.key[0], "{storage:bookmarks}storage");
    assert_true(xp_elem_equal(r.payload[0], bm));
    /* Nothing stored: the empty element back, no record. */
    iq =
        get_ok(s, NULL, xp_private_query(&A, "storage:rosternotes", "storage"));
    assert_int_equal(xp_private_decode(&A, iq, collect, &r), XPORTA_OK);
    assert_int_equal(r.n, 1);
    assert_refused(request(s, "get", NULL,
                           parse("<query xmlns='jabber:iq:private'><x "
                                 "xmlns='jabber:iq:private'/></query>",
                                 "")),
                   "not-acceptable", "modify");
    xp_session_close(s);
}

static void privacy(void **state)
{
    (void)state;
    struct xp_session *s = open_as(ALICE, NULL);
    struct recs r = {0};
    xp_elem *list = parse("<list xmlns='jabber:iq:privacy' name='work'><item "
                          "type='jid' value='x@y.example' action='deny' "
                          "order='1'><message/></item><item action='allow' "
                          "order='2'/></list>",
                          "");
    set_ok(s, xp_privacy_list_set(&A, list));
    set_ok(s, xp_privacy_default_set(&A, "work", false));
    assert_refused(
        request(s, "set", NULL, xp_privacy_default_set(&A, "nope", false)),
        "item-not-found", "cancel");

    const char *names[4];
    size_t nnames = 0;
    xp_elem *iq = get_ok(s, NULL, xp_privacy_names_query(&A));
    const xp_elem *q = xp_elem_child(iq, XP_NS_PRIVACY, "query");
    for (const xp_elem *c = xp_elem_first_element(q); c;
         c = xp_elem_next_element(c))
        if (xp_elem_is(c, XP_NS_PRIVACY, "list"))
            names[nnames++] = xp_elem_attr_ns(c, "", "name");
    assert_int_equal(xp_privacy_names_decode(&A, iq, collect, NULL, &r),
                     XPORTA_OK);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.key[0], "default");
    assert_int_equal(nnames, 1);
    assert_string_equal(names[0], "work");

    iq = get_ok(s, NULL, xp_privacy_list_query(&A, "work"));
    assert_int_equal(xp_privacy_list_decode(&A, iq, collect, &r), XPORTA_OK);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.key[1], "list work");
    assert_true(xp_elem_equal(r.payload[1], list));
    /* In use: cannot be removed. */
    assert_refused(request(s, "set", NULL,
                           parse("<query xmlns='jabber:iq:privacy'><list "
                                 "name='work'/></query>",
                                 "")),
                   "conflict", "cancel");
    /* Prosody 0.12 has no privacy lists. */
    assert_int_equal(fake_remove_feature("old.example", XP_NS_PRIVACY), 0);
    assert_refused(request(s, "get", NULL, xp_privacy_names_query(&A)),
                   "service-unavailable", "cancel");
    xp_session_close(s);
}

static void blocklist(void **state)
{
    (void)state;
    struct xp_session *s = open_as(ALICE, NULL);
    struct recs r = {0};
    const char *jids[] = {"spam@spam.example", "troll@old.example"};
    set_ok(s, xp_block_set(&A, jids, 2));
    set_ok(s, xp_block_set(&A, jids, 1)); /* again: no duplicate */
    xp_elem *iq = get_ok(s, NULL, xp_blocklist_query(&A));
    assert_int_equal(xp_blocklist_decode(&A, iq, collect, &r), XPORTA_OK);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.key[0], "spam@spam.example");
    assert_string_equal(r.key[1], "troll@old.example");
    set_ok(s, parse("<unblock xmlns='urn:xmpp:blocking'><item "
                    "jid='spam@spam.example'/></unblock>",
                    ""));
    assert_int_equal(fake_count(ALICE, XPORTA_KIND_BLOCKLIST), 1);
    xp_session_close(s);
}

static void pep_node_list(void *ud, const char *node)
{
    struct recs *r = ud;
    r->key[r->n++] = xp_arena_strdup(&A, node);
}

static void pep(void **state)
{
    (void)state;
    struct xp_session *s = open_as(ALICE, NULL);
    struct recs r = {0};
    xp_elem *conf = parse(
        "<configure xmlns='http://jabber.org/protocol/pubsub#owner' "
        "node='urn:example:n'><x xmlns='jabber:x:data' type='form'><field "
        "var='pubsub#access_model'><value>whitelist</value></field><field "
        "var='pubsub#max_items'><value>1</value></field><field "
        "var='pubsub#title'><value>Notes</value></field></x></configure>",
        "");
    xp_elem *form = xp_pep_config_form(&A, conf, XP_PEP_CONFIG_FULL,
                                       "http://jabber.org/protocol/"
                                       "pubsub#node_config");
    set_ok(s, xp_pep_create(&A, "urn:example:n", form));
    assert_refused(
        request(s, "set", NULL, xp_pep_create(&A, "urn:example:n", NULL)),
        "conflict", "cancel");
    for (int i = 1; i <= 2; i++) {
        char xml[200];
        snprintf(xml, sizeof xml,
                 "<item xmlns='http://jabber.org/protocol/pubsub' id='i%d' "
                 "publisher='someone@else'><note xmlns='urn:example:n'>%d"
                 "</note></item>",
                 i, i);
        set_ok(s, xp_pep_publish(&A, "urn:example:n", parse(xml, ""), NULL));
    }
    /* A node created by a publish, with the server's defaults. */
    set_ok(s, xp_pep_publish(&A, "urn:example:auto",
                             parse("<item xmlns='http://jabber.org/protocol/"
                                   "pubsub' id='a'><x xmlns='urn:example:"
                                   "auto'/></item>",
                                   ""),
                             NULL));

    xp_elem *iq = get_ok(s, ALICE, xp_disco_items_query(&A, NULL));
    assert_int_equal(xp_disco_pep_nodes(iq, ALICE, pep_node_list, &r),
                     XPORTA_OK);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.key[0], "urn:example:n");
    assert_string_equal(r.key[1], "urn:example:auto");
    r.n = 0;

    iq = get_ok(s, NULL, xp_pep_configure_query(&A, "urn:example:n"));
    assert_int_equal(
        xp_pep_configure_decode(&A, iq, "urn:example:n", collect, &r),
        XPORTA_OK);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.key[0], "urn:example:n");
    assert_string_equal(form_value(r.payload[0], "pubsub#access_model"),
                        "whitelist");
    assert_string_equal(form_value(r.payload[0], "pubsub#title"), "Notes");
    assert_string_equal(form_value(r.payload[0], "pubsub#persist_items"), "1");

    /* max_items 1: only the latest item is kept. */
    const char *last = NULL;
    bool complete = false;
    iq = get_ok(s, NULL, xp_pep_items_query(&A, "urn:example:n", 0, NULL));
    assert_int_equal(xp_pep_items_decode(&A, iq, "urn:example:n", collect, &r,
                                         &last, &complete),
                     XPORTA_OK);
    assert_true(complete);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.kind[1], XPORTA_KIND_PEP_ITEM);
    assert_string_equal(r.id[1], "i2");
    assert_null(xp_elem_attr_ns(r.payload[1], "", "publisher"));

    /* Affiliations: the owner is not listed (Prosody). */
    iq = get_ok(s, NULL, xp_pep_affiliations_query(&A, "urn:example:n"));
    assert_int_equal(
        xp_pep_affiliations_decode(&A, iq, "urn:example:n", collect, &r),
        XPORTA_OK);
    assert_int_equal(r.n, 2);
    xp_elem *affs =
        parse("<affiliations xmlns='http://jabber.org/protocol/pubsub#owner' "
              "node='urn:example:n'><affiliation jid='" BOB
              "' affiliation='member'/><affiliation jid='" ALICE
              "' affiliation='owner'/></affiliations>",
              "");
    set_ok(s, xp_pep_affiliations_set(&A, "urn:example:n", affs));
    iq = get_ok(s, NULL, xp_pep_affiliations_query(&A, "urn:example:n"));
    assert_int_equal(
        xp_pep_affiliations_decode(&A, iq, "urn:example:n", collect, &r),
        XPORTA_OK);
    assert_int_equal(r.n, 3);
    assert_int_equal(r.kind[2], XPORTA_KIND_PEP_AFFILIATIONS);

    /* Whitelist: the member may read, a stranger may not. */
    struct xp_session *b = open_as(BOB, NULL);
    iq = get_ok(b, ALICE, xp_pep_items_query(&A, "urn:example:n", 0, NULL));
    assert_string_equal(xp_elem_attr_ns(iq, "", "from"), ALICE);
    assert_int_equal(fake_add_account("eve@old.example", PASS), 0);
    struct xp_session *e = open_as("eve@old.example", NULL);
    assert_refused(request(e, "get", ALICE,
                           xp_pep_items_query(&A, "urn:example:n", 0, NULL)),
                   "forbidden", "auth");
    xp_session_close(e);
    xp_session_close(b);

    /* Configure: access model changed; publish-options must match. */
    xp_elem *open_form = parse(
        "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>"
        "http://jabber.org/protocol/pubsub#node_config</value></field><field "
        "var='pubsub#access_model'><value>open</value></field></x>",
        "");
    set_ok(s, xp_pep_configure_set(&A, "urn:example:n", open_form));
    xp_elem *bad_form = parse(
        "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>"
        "http://jabber.org/protocol/pubsub#node_config</value></field><field "
        "var='pubsub#max_items'><value>100000</value></field></x>",
        "");
    assert_refused(request(s, "set", NULL,
                           xp_pep_configure_set(&A, "urn:example:n", bad_form)),
                   "not-acceptable", "modify");
    xp_elem *opts = parse(
        "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>"
        "http://jabber.org/protocol/pubsub#publish-options</value></field>"
        "<field var='pubsub#access_model'><value>presence</value></field>"
        "</x>",
        "");
    struct reply *rp = request(
        s, "set", NULL,
        xp_pep_publish(&A, "urn:example:n",
                       parse("<item xmlns='http://jabber.org/protocol/pubsub' "
                             "id='i3'><note xmlns='urn:example:n'/></item>",
                             ""),
                       opts));
    assert_refused(rp, "conflict", "cancel");
    assert_non_null(strstr(ser(rp->iq), "precondition-not-met"));

    /* Unknown nodes. */
    assert_refused(
        request(s, "get", NULL, xp_pep_configure_query(&A, "urn:example:none")),
        "item-not-found", "cancel");
    assert_refused(request(s, "get", NULL,
                           xp_pep_items_query(&A, "urn:example:none", 0, 0)),
                   "item-not-found", "cancel");
    /* Moved (XEP-0283): a statement another account reads. */
    set_ok(s, xp_moved_create(&A, "open"));
    set_ok(s, xp_pep_publish(&A, XP_NS_MOVED, xp_moved_item(&A, BOB), NULL));
    b = open_as(BOB, NULL);
    iq = get_ok(b, ALICE, xp_moved_query(&A));
    assert_string_equal(xp_moved_new_jid(&A, iq), BOB);
    xp_session_close(b);
    assert_int_equal(fake_count(ALICE, XPORTA_KIND_PEP_NODE), 3);
    assert_int_equal(fake_count(ALICE, XPORTA_KIND_PEP_ITEM), 3);
    xp_session_close(s);
}

/* ---- MAM ------------------------------------------------------------------
 */

struct mam {
    struct recs r;
    const char *qid;
};

static void on_mam(struct xp_session *s, const xp_elem *st, void *ud)
{
    struct mam *m = ud;
    xporta_record rec;
    (void)s;
    assert_string_equal(xp_elem_attr_ns(st, "", "to"), ALICE "/xporta-fake");
    if (xp_mam_result_decode(&A, st, m->qid, &rec))
        collect(&m->r, &rec);
}

static struct xp_mam_fin mam_page(struct xp_session *s, struct mam *m,
                                  const struct xp_mam_range *range)
{
    struct xp_mam_fin fin;
    m->r.n = 0;
    xp_elem *iq = request(s, "set", NULL, xp_mam_query(&A, m->qid, range))->iq;
    assert_non_null(iq);
    assert_string_equal(xp_elem_attr_ns(iq, "", "type"), "result");
    assert_int_equal(xp_mam_fin_decode(iq, &fin), XPORTA_OK);
    return fin;
}

static void mam(void **state)
{
    (void)state;
    struct recs r = {0};
    char stamp[40], id[16], msg[200];
    for (int i = 0; i < 7; i++) {
        xp_datetime_format(1700000000LL + i * 3600, stamp, sizeof stamp);
        snprintf(id, sizeof id, "m%d", i);
        snprintf(msg, sizeof msg,
                 "<message from='%s/phone' to='%s' type='chat'><body>%d"
                 "</body></message>",
                 i % 2 ? BOB : ALICE, i % 2 ? ALICE : "carol@x.example", i);
        assert_int_equal(fake_archive_add(ALICE, id, stamp, msg), 0);
    }
    /* Out of order: kept in stamp order. */
    assert_int_equal(fake_archive_add(ALICE, "early", "2001-01-01T00:00:00Z",
                                      "<message from='" BOB "' to='" ALICE
                                      "'><body>first</body></message>"),
                     0);
    assert_int_equal(fake_set_mam_max("old.example", 3), 0);
    struct xp_session *s = open_as(ALICE, NULL);
    struct mam m = {.qid = "q1"};
    xp_session_on_stanza(s, on_mam, &m);

    /* Preferences. */
    xp_elem *iq = get_ok(s, NULL, xp_mam_prefs_query(&A));
    assert_int_equal(xp_mam_prefs_decode(&A, iq, collect, &r), XPORTA_OK);
    assert_string_equal(xp_elem_attr_ns(r.payload[0], "", "default"), "always");
    xp_elem *prefs = parse("<prefs xmlns='urn:xmpp:mam:2' default='roster'>"
                           "<always><jid>" BOB "</jid></always></prefs>",
                           "");
    set_ok(s, xp_mam_prefs_set(&A, prefs));
    iq = get_ok(s, NULL, xp_mam_prefs_query(&A));
    assert_int_equal(xp_mam_prefs_decode(&A, iq, collect, &r), XPORTA_OK);
    assert_true(xp_elem_equal(r.payload[1], xp_mam_prefs_set(&A, prefs)));

    /* Paging forward with RSM, 3 at a time (the server's cap). */
    struct xp_mam_range all = {NULL, NULL, NULL, false, 250};
    const char *order[8] = {"early", "m0", "m1", "m2", "m3", "m4", "m5", "m6"};
    size_t seen = 0;
    for (int page = 0;; page++) {
        struct xp_mam_fin fin = mam_page(s, &m, &all);
        for (size_t i = 0; i < m.r.n; i++) {
            assert_int_equal(m.r.kind[i], XPORTA_KIND_ARCHIVE);
            assert_string_equal(m.r.key[i], order[seen++]);
        }
        assert_int_equal(fin.count, -1); /* no <count> (Prosody) */
        if (fin.complete) {
            assert_int_equal(page, 2);
            break;
        }
        assert_string_equal(fin.last, m.r.key[m.r.n - 1]);
        all.after = xp_arena_strdup(&A, fin.last);
    }
    assert_int_equal(seen, 8);
    long long secs;
    long usecs;
    assert_true(xp_mam_stamp(m.r.payload[0], &secs, &usecs));

    /* A time range (end inclusive) and the last page (<before/>). */
    char start[40], end[40];
    xp_datetime_format(1700000000LL + 3600, start, sizeof start);
    xp_datetime_format(1700000000LL + 3 * 3600, end, sizeof end);
    struct xp_mam_range range = {start, end, NULL, false, 10};
    struct xp_mam_fin fin = mam_page(s, &m, &range);
    assert_true(fin.complete);
    assert_int_equal(m.r.n, 3);
    assert_string_equal(m.r.key[0], "m1");
    assert_string_equal(m.r.key[2], "m3");
    struct xp_mam_range newest = {NULL, NULL, NULL, true, 1};
    fin = mam_page(s, &m, &newest);
    assert_int_equal(m.r.n, 1);
    assert_string_equal(m.r.key[0], "m6");
    assert_false(fin.complete);
    /* The message inside is the one archived. */
    const xp_elem *fwd =
        xp_elem_child(m.r.payload[0], XP_NS_FORWARD, "forwarded");
    const xp_elem *inner = xp_elem_child(fwd, XP_NS_CLIENT, "message");
    assert_string_equal(xp_elem_child_text(inner, XP_NS_CLIENT, "body"), "6");

    struct xp_mam_range bad = {NULL, NULL, "no-such-id", false, 10};
    assert_refused(request(s, "set", NULL, xp_mam_query(&A, "q1", &bad)),
                   "item-not-found", "cancel");
    struct xp_mam_range bad_date = {"yesterday", NULL, NULL, false, 10};
    assert_refused(request(s, "set", NULL, xp_mam_query(&A, "q1", &bad_date)),
                   "bad-request", "modify");
    xp_session_close(s);
}

/* ---- presence ---------------------------------------------------------------
 */

static void pending_on_initial_presence(void **state)
{
    (void)state;
    assert_int_equal(fake_add_pending(ALICE, "grace@old.example/phone",
                                      "Hi Alice, it is Grace"),
                     0);
    struct xp_session *s = open_as(ALICE, NULL);
    struct shown sh = {.answer = false};
    xp_session_on_stanza(s, on_stanza, &sh);
    xp_elem *p =
        parse("<presence><priority>-1</priority></presence>", XP_NS_CLIENT);
    assert_int_equal(xp_session_send(s, p), XPORTA_OK);
    /* The ping behind the presence is answered after the replay. */
    xp_elem *iq =
        get_ok(s, "old.example", xp_elem_new(&A, "urn:xmpp:ping", "ping"));
    assert_string_equal(xp_elem_attr_ns(iq, "", "from"), "old.example");
    assert_int_equal(sh.n, 1);
    xporta_record rec;
    assert_true(xp_pending_decode(&A, sh.e[0], &rec));
    assert_string_equal(rec.key, "grace@old.example");
    assert_string_equal(xp_elem_child_text(rec.payload, XP_NS_CLIENT, "status"),
                        "Hi Alice, it is Grace");
    /* Once per session: a second presence replays nothing. */
    assert_int_equal(xp_session_send(s, p), XPORTA_OK);
    get_ok(s, "old.example", xp_elem_new(&A, "urn:xmpp:ping", "ping"));
    assert_int_equal(sh.n, 1);
    /* Prosody has no XEP-0013 offline node. */
    assert_refused(
        request(s, "get", ALICE, xp_disco_items_query(&A, XP_NS_OFFLINE)),
        "item-not-found", "cancel");
    xp_session_close(s);
}

static const char *roster_sub(const char *jid, const char *contact)
{
    char *t = fake_get(jid, XPORTA_KIND_ROSTER, contact, NULL);
    if (!t)
        return "absent";
    const char *sub = strstr(t, "subscription='");
    char *v = xp_arena_strndup(&A, sub + 14, strcspn(sub + 14, "'"));
    if (strstr(t, "ask='subscribe'"))
        v = xp_arena_printf(&A, "%s+ask", v);
    free(t);
    return v;
}

static void subscriptions(void **state)
{
    (void)state;
    struct xp_session *a = open_as(ALICE, NULL);
    struct xp_session *b = open_as(BOB, NULL);
    struct shown sa = {.answer = true}, sb = {.answer = false};
    xp_session_on_stanza(a, on_stanza, &sa);
    xp_session_on_stanza(b, on_stanza, &sb);
    xp_elem *online = parse("<presence/>", XP_NS_CLIENT);
    assert_int_equal(xp_session_send(b, online), XPORTA_OK);
    assert_int_equal(xp_session_run(b, 0), XPORTA_OK);

    /* Alice asks Bob, with a XEP-0283 notice. */
    assert_int_equal(xp_session_send(a, xp_presence(&A, "subscribe", BOB,
                                                    "alice@older.example")),
                     XPORTA_OK);
    assert_int_equal(xp_session_run(a, 0), XPORTA_OK);
    assert_string_equal(roster_sub(ALICE, BOB), "none+ask");
    assert_int_equal(fake_count(BOB, XPORTA_KIND_PENDING), 1);
    assert_int_equal(xp_session_run(b, 0), XPORTA_OK);
    assert_int_equal(sb.n, 1); /* Bob is online: shown now */
    assert_string_equal(xp_moved_old_jid(&A, sb.e[0]), "alice@older.example");

    /* Bob approves: both rosters follow (RFC 6121 §3.1). */
    assert_int_equal(
        xp_session_send(b, xp_presence(&A, "subscribed", ALICE, NULL)),
        XPORTA_OK);
    assert_int_equal(xp_session_run(b, 0), XPORTA_OK);
    assert_int_equal(xp_session_run(a, 0), XPORTA_OK);
    assert_string_equal(roster_sub(ALICE, BOB), "to");
    assert_string_equal(roster_sub(BOB, ALICE), "from");
    assert_int_equal(fake_count(BOB, XPORTA_KIND_PENDING), 0);

    /* Asked again: approved already, the server answers for Bob. */
    assert_int_equal(
        xp_session_send(a, xp_presence(&A, "unsubscribe", BOB, NULL)),
        XPORTA_OK);
    assert_int_equal(xp_session_run(a, 0), XPORTA_OK);
    assert_string_equal(roster_sub(ALICE, BOB), "none");
    assert_string_equal(roster_sub(BOB, ALICE), "none");

    /* A bounce for a domain nobody serves; a refused request. */
    size_t before = sa.n;
    assert_int_equal(xp_session_send(a, xp_presence(&A, "subscribe",
                                                    "x@nowhere.example", 0)),
                     XPORTA_OK);
    /* (The server reads what was sent when the session runs.) */
    assert_int_equal(xp_session_run(a, 0), XPORTA_OK);
    assert_int_equal(
        fake_fail(ALICE, "presence subscribe", "policy-violation: too fast", 1),
        0);
    assert_int_equal(xp_session_send(a, xp_presence(&A, "subscribe", BOB, 0)),
                     XPORTA_OK);
    assert_int_equal(xp_session_run(a, 0), XPORTA_OK);
    bool nowhere = false, too_fast = false;
    for (size_t i = before; i < sa.n; i++) {
        nowhere |= strstr(sa.text[i], "remote-server-not-found") != NULL;
        too_fast |= strstr(sa.text[i], "policy-violation") != NULL &&
                    strstr(sa.text[i], "too fast") != NULL;
    }
    assert_true(nowhere);
    assert_true(too_fast);
    xp_session_close(b);
    xp_session_close(a);
}

/* ---- discovery and unknown requests ---------------------------------------
 */

static void discovery(void **state)
{
    (void)state;
    struct xp_session *s = open_as(ALICE, NULL);
    xp_elem *dom = get_ok(s, "old.example", xp_disco_info_query(&A, NULL));
    xp_elem *acc = get_ok(s, ALICE, xp_disco_info_query(&A, NULL));
    assert_string_equal(xp_elem_attr_ns(dom, "", "from"), "old.example");
    assert_true(xp_disco_has_feature(dom, XP_NS_BLOCKING));
    assert_true(xp_disco_has_feature(dom, "http://jabber.org/protocol/"
                                          "pubsub#publish-options"));
    assert_true(xp_disco_has_feature(acc, XP_NS_MAM));
    assert_false(xp_disco_has_feature(acc, XP_NS_BLOCKING));
    assert_non_null(strstr(ser(acc), "type='pep'"));
    assert_int_equal(fake_remove_feature("old.example", XP_NS_MAM), 0);
    acc = get_ok(s, ALICE, xp_disco_info_query(&A, NULL));
    assert_false(xp_disco_has_feature(acc, XP_NS_MAM));
    assert_refused(request(s, "get", NULL, xp_mam_prefs_query(&A)),
                   "service-unavailable", "cancel");

    /* Unknown payloads; other servers. */
    assert_refused(
        request(s, "get", NULL, xp_elem_new(&A, "urn:example:what", "query")),
        "service-unavailable", "cancel");
    struct reply *r = request(s, "get", "elsewhere.example",
                              xp_elem_new(&A, "urn:xmpp:ping", "ping"));
    assert_refused(r, "remote-server-not-found", "cancel");
    assert_string_equal(xp_elem_attr_ns(r->iq, "", "from"),
                        "elsewhere.example");
    assert_refused(request(s, "get", "nobody@old.example", xp_vcard_query(&A)),
                   "service-unavailable", "cancel");
    assert_true(xp_session_bytes_out(s) > 0);
    assert_true(xp_session_bytes_in(s) > xp_session_bytes_out(s));
    xp_session_close(s);
}

/* ---- the session's contract and faults -------------------------------------
 */

static void on_count(struct xp_session *s, const struct xp_iq_reply *r,
                     void *ud)
{
    int *counts = ud; /* [0] calls, [1..] per status */
    (void)s;
    counts[0]++;
    counts[1 + r->status]++;
}

static void inflight_ceiling(void **state)
{
    (void)state;
    struct xp_session *s = open_as(ALICE, NULL);
    int counts[1 + 32] = {0};
    for (int i = 0; i < XP_MAX_INFLIGHT; i++)
        assert_int_equal(xp_session_iq(s, "get", NULL, xp_vcard_query(&A), 0,
                                       on_count, counts),
                         XPORTA_OK);
    assert_int_equal(xp_session_inflight(s), XP_MAX_INFLIGHT);
    assert_int_equal(
        xp_session_iq(s, "get", NULL, xp_vcard_query(&A), 0, on_count, counts),
        XPORTA_ETOOBIG);
    assert_int_equal(xp_session_iq(s, "put", NULL, NULL, 0, on_count, counts),
                     XPORTA_EINVAL);
    assert_int_equal(counts[0], 0); /* nothing before the loop runs */
    assert_int_equal(xp_session_drain(s, 5000), XPORTA_OK);
    assert_int_equal(counts[0], XP_MAX_INFLIGHT);
    assert_int_equal(counts[1 + XPORTA_OK], XP_MAX_INFLIGHT);
    assert_int_equal(xp_session_inflight(s), 0);
    assert_int_equal(fake_requests(ALICE), XP_MAX_INFLIGHT);
    assert_int_equal(fake_requests_of(ALICE, "vcard get"), XP_MAX_INFLIGHT);

    /* Closing with requests in flight: each completes once, disconnected;
     * what was sent still reaches the server. */
    memset(counts, 0, sizeof counts);
    xp_elem *v = parse("<vCard xmlns='vcard-temp'><FN>A</FN></vCard>", "");
    assert_int_equal(xp_session_iq(s, "set", NULL, v, 0, on_count, counts),
                     XPORTA_OK);
    assert_int_equal(
        xp_session_iq(s, "get", NULL, xp_vcard_query(&A), 0, on_count, counts),
        XPORTA_OK);
    xp_session_close(s);
    assert_int_equal(counts[0], 2);
    assert_int_equal(counts[1 + XPORTA_EDISCONNECTED], 2);
    assert_int_equal(fake_count(ALICE, XPORTA_KIND_VCARD), 1);
}

static void faults(void **state)
{
    (void)state;
    struct xp_session *s = open_as(ALICE, NULL);
    xp_elem *v = parse("<vCard xmlns='vcard-temp'><FN>A</FN></vCard>", "");
    assert_int_equal(
        fake_fail(ALICE, "vcard set", "not-acceptable: too big", 1), 0);
    struct reply *r = request(s, "set", NULL, xp_vcard_set(&A, v));
    assert_refused(r, "not-acceptable", "modify");
    assert_string_equal(r->text, "too big");
    set_ok(s, xp_vcard_set(&A, v)); /* once only */
    assert_int_equal(fake_fail(ALICE, "*", "resource-constraint", 1), 0);
    assert_refused(request(s, "get", NULL, xp_roster_query(&A)),
                   "resource-constraint", "wait");

    /* No answer: the deadline passes without waiting for it. */
    assert_int_equal(fake_fail(ALICE, "roster get", "no-answer", 1), 0);
    int counts[1 + 32] = {0};
    time_t t0 = time(NULL);
    assert_int_equal(
        xp_session_iq(s, "get", NULL, xp_roster_query(&A), 0, on_count, counts),
        XPORTA_OK);
    assert_int_equal(xp_session_drain(s, 1000), XPORTA_ETIMEOUT);
    assert_int_equal(counts[0], 0);
    assert_int_equal(xp_session_drain(s, XP_IQ_TIMEOUT_MS), XPORTA_OK);
    assert_int_equal(counts[1 + XPORTA_ETIMEOUT], 1);
    assert_true(time(NULL) - t0 < 10);

    /* The connection drops at the third request from now. */
    memset(counts, 0, sizeof counts);
    assert_int_equal(fake_disconnect_after(ALICE, 2), 0);
    unsigned long before = fake_requests(ALICE);
    for (int i = 0; i < 4; i++)
        assert_int_equal(xp_session_iq(s, "get", NULL, xp_vcard_query(&A), 0,
                                       on_count, counts),
                         XPORTA_OK);
    assert_int_equal(xp_session_run(s, 100), XPORTA_EDISCONNECTED);
    assert_int_equal(counts[1 + XPORTA_OK], 2);
    assert_int_equal(counts[1 + XPORTA_EDISCONNECTED], 2);
    assert_int_equal(fake_requests(ALICE), before + 2);
    assert_non_null(strstr(xp_session_error(s), "connection to old.example "
                                                "lost"));
    assert_int_equal(
        xp_session_iq(s, "get", NULL, xp_vcard_query(&A), 0, on_count, counts),
        XPORTA_EDISCONNECTED);
    assert_int_equal(xp_session_run(s, 0), XPORTA_EDISCONNECTED);
    assert_int_equal(xp_session_drain(s, 0), XPORTA_OK);
    xp_session_close(s);

    /* Once: the next session works; fake_kill ends it. */
    s = open_as(ALICE, NULL);
    get_ok(s, NULL, xp_vcard_query(&A));
    assert_int_equal(fake_kill(ALICE), 0);
    assert_int_equal(xp_session_run(s, 0), XPORTA_EDISCONNECTED);
    assert_string_equal(xp_session_error(s),
                        "old.example closed the stream: system-shutdown "
                        "(killed by the test)");
    xp_session_close(s);
    /* fake_reset cuts open sessions off. */
    s = open_as(ALICE, NULL);
    fake_reset();
    assert_int_equal(xp_session_run(s, 0), XPORTA_EDISCONNECTED);
    xp_session_close(s);
}

/* ---- seeding and inspection ---------------------------------------------- */

static void seeding(void **state)
{
    (void)state;
    assert_int_equal(fake_load_pie_file(data_path("full.xml")), 0);
    const char *j = "juliet@capulet.com";
    assert_true(fake_has_account(j));
    assert_int_equal(fake_count(j, XPORTA_KIND_ROSTER), 4);
    assert_int_equal(fake_count(j, XPORTA_KIND_PENDING), 1);
    assert_int_equal(fake_count(j, XPORTA_KIND_VCARD), 1);
    assert_int_equal(fake_count(j, XPORTA_KIND_PRIVATE), 2);
    assert_int_equal(fake_count(j, XPORTA_KIND_PRIVACY), 3); /* + default */
    assert_int_equal(fake_count(j, XPORTA_KIND_BLOCKLIST), 2);
    assert_int_equal(fake_count(j, XPORTA_KIND_PEP_NODE), 3);
    assert_int_equal(fake_count(j, XPORTA_KIND_PEP_AFFILIATIONS), 0);
    assert_int_equal(fake_count(j, XPORTA_KIND_PEP_ITEM), 3);
    assert_int_equal(fake_count(j, XPORTA_KIND_ARCHIVE), 2);
    assert_int_equal(fake_count(j, XPORTA_KIND_MAM_PREFS), 1);
    char *d = fake_get(j, XPORTA_KIND_PRIVACY, "default", NULL);
    assert_string_equal(d,
                        "<default xmlns='jabber:iq:privacy' name='public'/>");
    free(d);
    d = fake_get(j, XPORTA_KIND_ROSTER, "Romeo@Montague.net", NULL);
    assert_non_null(d);
    free(d);
    assert_null(fake_get(j, XPORTA_KIND_ROSTER, "nobody@x", NULL));

    /* The dump is canonical: loading the same data twice dumps the same. */
    char *d1 = fake_dump(j);
    fake_reset();
    assert_int_equal(fake_load_pie_file(data_path("full.xml")), 0);
    char *d2 = fake_dump(j);
    assert_text_equal(d1, d2);
    assert_non_null(strstr(d1, "pep-item urn:xmpp:bookmarks:1 "
                               "theplay@conference.shakespeare.lit: "));
    assert_non_null(strstr(d1, "privacy default: "));
    free(d1);
    free(d2);
    /* The password of the file. */
    struct xp_session_opts o;
    struct xp_session *s = NULL;
    memset(&o, 0, sizeof o);
    o.jid = j;
    o.password = "s3cret&more";
    assert_int_equal(xp_session_open(&s, &o, NULL), XPORTA_OK);
    xp_session_close(s);

    assert_int_equal(fake_put(j, XPORTA_KIND_PEP_ITEM, "urn:example:new",
                              "<item xmlns='http://jabber.org/protocol/pubsub'"
                              " id='x'><y xmlns='urn:example:new'/></item>"),
                     0);
    assert_int_equal(fake_count(j, XPORTA_KIND_PEP_NODE), 4);
    assert_int_equal(fake_put(j, XPORTA_KIND_ROSTER, NULL, "<item/>"), -1);
    assert_int_equal(fake_put("no@body", XPORTA_KIND_VCARD, NULL,
                              "<vCard xmlns='vcard-temp'/>"),
                     -1);
    assert_int_equal(fake_load_pie("<server-data xmlns='urn:xmpp:pie:0'>"), -1);
}

/* ---- jobs against the fake -------------------------------------------------
 */

struct seen {
    unsigned count[XPORTA_KIND_COUNT];
    char keys[4096];
};

/* juliet of tests/data/full.xml, without her default privacy list: with
 * one, reading privacy lists hands live_put the list-name collector's
 * userdata (xp_privacy_names_decode has one userdata for both callbacks;
 * see the report of this helper). */
static const char *seed_juliet(void)
{
    const char *j = "juliet@capulet.com";
    assert_int_equal(fake_load_pie_file(data_path("full.xml")), 0);
    /* Two lists and the default: reading the default once handed the
     * list-name collector to the record sink (store_live_read.c). */
    assert_int_equal(fake_count(j, XPORTA_KIND_PRIVACY), 3);
    return j;
}

static xporta_status on_record(void *ud, const xporta_record *rec)
{
    struct seen *s = ud;
    s->count[rec->kind]++;
    size_t n = strlen(s->keys);
    snprintf(s->keys + n, sizeof s->keys - n, "%s %s%s%s\n",
             xporta_kind_name(rec->kind), rec->key, rec->id ? " " : "",
             rec->id ? rec->id : "");
    return XPORTA_OK;
}

static void read_job(void **state)
{
    (void)state;
    const char *j = seed_juliet();
    xporta_account *acct = NULL;
    xporta_job *job = NULL;
    struct seen seen;
    memset(&seen, 0, sizeof seen);
    assert_int_equal(xporta_account_new(&acct, j), XPORTA_OK);
    assert_int_equal(xporta_account_set_password(acct, "s3cret&more"),
                     XPORTA_OK);
    assert_int_equal(xporta_read_new(&job, acct, on_record, &seen), XPORTA_OK);
    xporta_status st = xporta_job_run(job);
    if (st != XPORTA_OK)
        fail_msg("read: %s", xporta_job_error(job));
    assert_int_equal(seen.count[XPORTA_KIND_ROSTER], 4);
    assert_int_equal(seen.count[XPORTA_KIND_PENDING], 0); /* not read */
    assert_int_equal(seen.count[XPORTA_KIND_VCARD], 1);
    assert_int_equal(seen.count[XPORTA_KIND_PRIVATE], 2);
    assert_int_equal(seen.count[XPORTA_KIND_PRIVACY], 3);
    assert_non_null(strstr(seen.keys, "privacy default\n"));
    assert_int_equal(seen.count[XPORTA_KIND_BLOCKLIST], 2);
    assert_int_equal(seen.count[XPORTA_KIND_PEP_NODE], 3);
    assert_int_equal(seen.count[XPORTA_KIND_PEP_ITEM], 3);
    assert_int_equal(seen.count[XPORTA_KIND_MAM_PREFS], 1);
    assert_int_equal(seen.count[XPORTA_KIND_ARCHIVE], 0); /* not read */
    assert_non_null(strstr(seen.keys, "roster romeo@montague.net\n"));
    assert_non_null(strstr(seen.keys, "privacy list quiet\n"));
    assert_non_null(strstr(seen.keys, "private {exodus:prefs}exodus\n"));
    assert_non_null(strstr(seen.keys, "pep-item http://jabber.org/protocol/"
                                      "nick current\n"));
    assert_non_null(strstr(seen.keys, "mam-prefs prefs\n"));
    /* Reading changes nothing. */
    assert_int_equal(fake_requests_of(j, "roster set"), 0);
    assert_int_equal(fake_sessions(j), 0);
    xporta_job_free(job);
    xporta_account_free(acct);
}

static void export_job(void **state)
{
    (void)state;
    const char *j = seed_juliet();
    assert_int_equal(fake_set_mam_max("capulet.com", 2), 0);
    char stamp[40], msg[200];
    for (int i = 0; i < 9; i++) {
        xp_datetime_format(1500000000LL + i * 86400, stamp, sizeof stamp);
        snprintf(msg, sizeof msg,
                 "<message from='romeo@montague.net/a' to='%s'><body>%d"
                 "</body></message>",
                 j, i);
        assert_int_equal(fake_archive_add(j, NULL, stamp, msg), 0);
    }
    char *dir = make_tmpdir();
    char path[4096];
    snprintf(path, sizeof path, "%s/out.xml", dir);
    xporta_account *acct = NULL;
    xporta_job *job = NULL;
    assert_int_equal(xporta_account_new(&acct, j), XPORTA_OK);
    assert_int_equal(xporta_account_set_password(acct, "s3cret&more"),
                     XPORTA_OK);
    assert_int_equal(xporta_export_new(&job, acct, path), XPORTA_OK);
    xporta_status st = xporta_job_run(job);
    if (st != XPORTA_OK)
        fail_msg("export: %s", xporta_job_error(job));
    assert_int_equal(xporta_job_count(job, XPORTA_KIND_ARCHIVE), 11);
    assert_int_equal(xporta_job_count(job, XPORTA_KIND_PENDING), 1);
    xporta_job_free(job);
    xporta_account_free(acct);

    /* The file holds the archive in order, and what was seeded. */
    xporta_pie_reader *r = NULL;
    assert_int_equal(xporta_pie_reader_open(&r, path), XPORTA_OK);
    xporta_pie_event ev;
    unsigned archive = 0, roster = 0;
    long long prev = 0;
    while (xporta_pie_reader_next(r, &ev) == XPORTA_OK &&
           ev != XPORTA_PIE_END) {
        if (ev != XPORTA_PIE_RECORD)
            continue;
        xporta_record *rec = xporta_pie_reader_record(r);
        if (rec->kind == XPORTA_KIND_ROSTER)
            roster++;
        if (rec->kind == XPORTA_KIND_ARCHIVE) {
            long long secs;
            long usecs;
            assert_true(xp_mam_stamp(rec->payload, &secs, &usecs));
            assert_true(secs >= prev);
            prev = secs;
            archive++;
        }
    }
    assert_int_equal(ev, XPORTA_PIE_END);
    xporta_pie_reader_free(r);
    assert_int_equal(archive, 11);
    assert_int_equal(roster, 4);
    rm_rf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(login, setup, teardown),
        cmocka_unit_test_setup_teardown(roster, setup, teardown),
        cmocka_unit_test_setup_teardown(vcard, setup, teardown),
        cmocka_unit_test_setup_teardown(private_xml, setup, teardown),
        cmocka_unit_test_setup_teardown(privacy, setup, teardown),
        cmocka_unit_test_setup_teardown(blocklist, setup, teardown),
        cmocka_unit_test_setup_teardown(pep, setup, teardown),
        cmocka_unit_test_setup_teardown(mam, setup, teardown),
        cmocka_unit_test_setup_teardown(pending_on_initial_presence, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(subscriptions, setup, teardown),
        cmocka_unit_test_setup_teardown(discovery, setup, teardown),
        cmocka_unit_test_setup_teardown(inflight_ceiling, setup, teardown),
        cmocka_unit_test_setup_teardown(faults, setup, teardown),
        cmocka_unit_test_setup_teardown(seeding, setup, teardown),
        cmocka_unit_test_setup_teardown(read_job, setup, teardown),
        cmocka_unit_test_setup_teardown(export_job, setup, teardown),
    };
    ctx = xmpp_ctx_new(NULL, NULL);
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    xmpp_ctx_free(ctx);
    return rc;
}
