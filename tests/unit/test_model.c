/* lib/model: element trees, JIDs, kinds and keys, the filter. */
#include "test_util.h"

#include <stdlib.h>
#include <string.h>

#include "model/xp_model.h"

static char *ser(const xp_elem *e)
{
    char *s = NULL;
    assert_int_equal(xporta_elem_to_string(e, &s, NULL), XPORTA_OK);
    return s;
}

static void serialise_namespaces_and_escaping(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    xp_elem *msg = xp_elem_new(&a, XP_NS_CLIENT, "message");
    xp_elem_set_attr(&a, msg, "", "to", "a'b@x");
    xp_elem_set_attr(&a, msg, XP_NS_XML, "lang", "en");
    xp_elem_set_attr(&a, msg, "urn:ext", "flag", "1");
    xp_elem *body = xp_elem_add_text_child(&a, msg, XP_NS_CLIENT, "body",
                                           "1 < 2 & \"3\" > 0\r");
    assert_non_null(body);
    xp_elem *x = xp_elem_add_child(&a, msg, "urn:other", "x");
    xp_elem_add_child(&a, x, "", "plain");
    char *s = ser(msg);
    assert_string_equal(s, "<message xmlns='jabber:client' to='a&apos;b@x' "
                           "xml:lang='en' xmlns:ns1='urn:ext' ns1:flag='1'>"
                           "<body>1 &lt; 2 &amp; \"3\" &gt; 0&#13;</body>"
                           "<x xmlns='urn:other'><plain xmlns=''/></x>"
                           "</message>");
    free(s);
    xp_arena_cleanup(&a);
}

static void equality_ignores_attribute_order_and_blank_text(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    xp_elem *x = xp_elem_new(&a, XP_NS_ROSTER, "item");
    xp_elem_set_attr(&a, x, "", "jid", "romeo@example.net");
    xp_elem_set_attr(&a, x, "", "name", "Romeo");
    xp_elem_add_text(&a, x, "\n  ", 3);
    xp_elem_add_text_child(&a, x, XP_NS_ROSTER, "group", "Friends");
    xp_elem *y = xp_elem_new(&a, XP_NS_ROSTER, "item");
    xp_elem_set_attr(&a, y, "", "name", "Romeo");
    xp_elem_set_attr(&a, y, "", "jid", "romeo@example.net");
    xp_elem_add_text_child(&a, y, XP_NS_ROSTER, "group", "Friends");
    assert_true(xp_elem_equal(x, y));
    assert_true(xp_elem_hash(x) == xp_elem_hash(y));
    xp_elem_set_attr(&a, y, "", "name", "Juliet");
    assert_false(xp_elem_equal(x, y));
    xp_elem_set_attr(&a, y, "", "name", "Romeo");
    xp_elem_add_text_child(&a, y, XP_NS_ROSTER, "group", "Work");
    assert_false(xp_elem_equal(x, y));
    /* Text that is not blank counts. */
    xp_elem *t1 =
        xp_elem_add_text_child(&a, xp_elem_new(&a, "", "r"), "", "t", "a");
    xp_elem *t2 =
        xp_elem_add_text_child(&a, xp_elem_new(&a, "", "r"), "", "t", "b");
    assert_false(xp_elem_equal(t1, t2));
    xp_arena_cleanup(&a);
}

static void clone_is_deep(void **state)
{
    (void)state;
    struct xp_arena a, b;
    xp_arena_init(&a, 0);
    xp_arena_init(&b, 0);
    xp_elem *x = xp_elem_new(&a, "urn:a", "root");
    xp_elem_set_attr(&a, x, "", "k", "v");
    xp_elem_add_text_child(&a, x, "urn:a", "c", "text");
    xp_elem *c = xp_elem_clone(&b, x);
    char *s1 = ser(x);
    xp_arena_cleanup(&a); /* the clone must not depend on it */
    char *s2 = ser(c);
    assert_string_equal(s1, s2);
    free(s1);
    free(s2);
    xp_arena_cleanup(&b);
}

static void jid_shapes(void **state)
{
    (void)state;
    static const struct {
        const char *jid;
        bool ok;
    } rows[] = {
        {"juliet@example.com", true},
        {"example.com", true},
        {"juliet@example.com/balcony", true},
        {"juliet@example.com/a/b", true},
        {"[::1]", true},
        {"juliet@example.com.", true},
        {"", false},
        {"@example.com", false},
        {"juliet@", false},
        {"ju liet@example.com", false},
        {"ju\"liet@example.com", false},
        {"juliet@exa mple.com", false},
        {"juliet@example..com", false},
        {"juliet@example.com/", false},
        {"a@b@c", false},
        {"juliet@[::1", false},
        {"\xff@example.com", false},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const char *why = NULL;
        bool ok = xporta_jid_is_valid(rows[i].jid, &why);
        if (ok != rows[i].ok)
            fail_msg("%s: expected %s (%s)", rows[i].jid,
                     rows[i].ok ? "valid" : "invalid", why ? why : "");
        if (!ok)
            assert_non_null(why);
    }
    char long_local[1100];
    memset(long_local, 'a', 1024);
    strcpy(long_local + 1024, "@x");
    assert_false(xporta_jid_is_valid(long_local, NULL));
    assert_true(xporta_jid_is_valid_local("alice", NULL));
    assert_false(xporta_jid_is_valid_local("al/ice", NULL));
}

static void kinds_and_groups(void **state)
{
    (void)state;
    uint32_t set;
    const char *bad = NULL;
    assert_int_equal(xporta_kinds_parse("roster,vcard", &set, &bad), XPORTA_OK);
    assert_int_equal(set, 1u << XPORTA_KIND_ROSTER | 1u << XPORTA_KIND_VCARD);
    assert_int_equal(xporta_kinds_parse("pep", &set, &bad), XPORTA_OK);
    assert_true(set & 1u << XPORTA_KIND_PEP_ITEM);
    assert_true(set & 1u << XPORTA_KIND_PEP_NODE);
    assert_false(set & 1u << XPORTA_KIND_ROSTER);
    assert_int_equal(xporta_kinds_parse("roster,bogus", &set, &bad),
                     XPORTA_EINVAL);
    assert_string_equal(bad, "bogus");
    for (int k = 0; k < XPORTA_KIND_COUNT; k++) {
        xporta_kind back;
        assert_int_equal(
            xporta_kind_from_name(xporta_kind_name((xporta_kind)k), &back),
            XPORTA_OK);
        assert_int_equal(back, k);
    }
}

static void keys_per_kind(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    xporta_record r = {0};

    r.kind = XPORTA_KIND_ROSTER;
    r.payload = xp_elem_new(&a, XP_NS_ROSTER, "item");
    xp_elem_set_attr(&a, r.payload, "", "jid", "romeo@montague.net");
    assert_true(xp_record_derive_key(&a, &r));
    assert_string_equal(r.key, "romeo@montague.net");

    r.kind = XPORTA_KIND_PENDING;
    r.payload = xp_elem_new(&a, XP_NS_CLIENT, "presence");
    xp_elem_set_attr(&a, r.payload, "", "from", "mercutio@montague.net/home");
    assert_true(xp_record_derive_key(&a, &r));
    assert_string_equal(r.key, "mercutio@montague.net");

    r.kind = XPORTA_KIND_PRIVATE;
    r.payload = xp_elem_new(&a, "storage:bookmarks", "storage");
    assert_true(xp_record_derive_key(&a, &r));
    assert_string_equal(r.key, "{storage:bookmarks}storage");

    r.kind = XPORTA_KIND_PRIVACY;
    r.payload = xp_elem_new(&a, XP_NS_PRIVACY, "list");
    xp_elem_set_attr(&a, r.payload, "", "name", "public");
    assert_true(xp_record_derive_key(&a, &r));
    assert_string_equal(r.key, "list public");

    r.kind = XPORTA_KIND_PEP_ITEM;
    r.key = "urn:xmpp:bookmarks:1";
    r.payload = xp_elem_new(&a, XP_NS_PUBSUB, "item");
    xp_elem_set_attr(&a, r.payload, "", "id", "room@muc");
    assert_true(xp_record_derive_key(&a, &r));
    assert_string_equal(r.key, "urn:xmpp:bookmarks:1");
    assert_string_equal(r.id, "room@muc");

    r.kind = XPORTA_KIND_ARCHIVE;
    r.payload = xp_elem_new(&a, XP_NS_MAM, "result");
    assert_false(xp_record_derive_key(&a, &r)); /* no id */
    assert_string_equal(r.key, "");
    assert_int_equal(xp_scram_hash_len("SCRAM-SHA-256"), 32);
    assert_int_equal(xp_scram_hash_len("SCRAM-SHA-1-PLUS"), 0);
    xp_arena_cleanup(&a);
}

static void filter_renames_every_jid_of_the_host(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    xporta_filter *f = NULL;
    assert_int_equal(xporta_filter_new(&f), XPORTA_OK);
    assert_int_equal(xporta_filter_rename_host(f, "old.example", "new.example"),
                     XPORTA_OK);
    assert_int_equal(xporta_filter_rename_host(f, "OLD.example", "x.example"),
                     XPORTA_EINVAL); /* twice */
    assert_string_equal(xporta_filter_host(f, "old.example"), "new.example");
    assert_string_equal(xporta_filter_host(f, "other.example"),
                        "other.example");

    /* An archived message: to/from/by, delay from; a MUC subdomain stays. */
    xp_elem *res = xp_elem_new(&a, XP_NS_MAM, "result");
    xp_elem_set_attr(&a, res, "", "id", "1");
    xp_elem *fwd = xp_elem_add_child(&a, res, XP_NS_FORWARD, "forwarded");
    xp_elem *delay = xp_elem_add_child(&a, fwd, XP_NS_DELAY, "delay");
    xp_elem_set_attr(&a, delay, "", "from", "old.example");
    xp_elem *m = xp_elem_add_child(&a, fwd, XP_NS_CLIENT, "message");
    xp_elem_set_attr(&a, m, "", "to", "alice@old.example/phone");
    xp_elem_set_attr(&a, m, "", "from", "bob@conference.old.example");
    xp_elem *sid = xp_elem_add_child(&a, m, "urn:xmpp:sid:0", "stanza-id");
    xp_elem_set_attr(&a, sid, "", "by", "alice@old.example");
    xp_elem_set_attr(&a, sid, "", "id", "old.example"); /* not a JID attr */
    xp_elem *moved = xp_elem_add_child(&a, m, XP_NS_MOVED, "moved");
    xp_elem_add_text_child(&a, moved, XP_NS_MOVED, "new-jid",
                           "alice@old.example");
    xporta_record r = {.kind = XPORTA_KIND_ARCHIVE, .key = "1", .payload = res};
    bool keep = false;
    assert_int_equal(xporta_filter_record(f, &r, &keep), XPORTA_OK);
    assert_true(keep);
    char *s = ser(res);
    assert_non_null(strstr(s, "from='new.example'"));
    assert_non_null(strstr(s, "to='alice@new.example/phone'"));
    assert_non_null(strstr(s, "from='bob@conference.old.example'"));
    assert_non_null(strstr(s, "by='alice@new.example'"));
    assert_non_null(strstr(s, "id='old.example'"));
    assert_non_null(strstr(s, "<new-jid>alice@new.example</new-jid>"));
    free(s);

    /* Roster keys follow; privacy values only when type='jid'. */
    xp_elem *item = xp_elem_new(&a, XP_NS_ROSTER, "item");
    xp_elem_set_attr(&a, item, "", "jid", "carol@old.example");
    xporta_record rr = {.kind = XPORTA_KIND_ROSTER,
                        .key = "carol@old.example",
                        .payload = item};
    assert_int_equal(xporta_filter_record(f, &rr, &keep), XPORTA_OK);
    assert_string_equal(rr.key, "carol@new.example");
    xp_elem *list = xp_elem_new(&a, XP_NS_PRIVACY, "list");
    xp_elem *i1 = xp_elem_add_child(&a, list, XP_NS_PRIVACY, "item");
    xp_elem_set_attr(&a, i1, "", "type", "jid");
    xp_elem_set_attr(&a, i1, "", "value", "eve@old.example");
    xp_elem *i2 = xp_elem_add_child(&a, list, XP_NS_PRIVACY, "item");
    xp_elem_set_attr(&a, i2, "", "type", "group");
    xp_elem_set_attr(&a, i2, "", "value", "old.example");
    xporta_record pr = {.kind = XPORTA_KIND_PRIVACY, .payload = list};
    assert_int_equal(xporta_filter_record(f, &pr, &keep), XPORTA_OK);
    assert_string_equal(xp_elem_attr_ns(i1, "", "value"), "eve@new.example");
    assert_string_equal(xp_elem_attr_ns(i2, "", "value"), "old.example");

    /* Exclusion and secrets. */
    xporta_filter_exclude_kinds(f, 1u << XPORTA_KIND_ROSTER);
    assert_int_equal(xporta_filter_record(f, &rr, &keep), XPORTA_OK);
    assert_false(keep);
    xporta_filter_strip_secrets(f, true);
    xporta_record cr = {.kind = XPORTA_KIND_CREDENTIALS, .payload = item};
    assert_int_equal(xporta_filter_record(f, &cr, &keep), XPORTA_OK);
    assert_false(keep);
    xporta_filter_free(f);
    xp_arena_cleanup(&a);
}

static void filter_renames_one_account(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    xporta_filter *f = NULL;
    assert_int_equal(xporta_filter_new(&f), XPORTA_OK);
    assert_int_equal(xporta_filter_rename_account(f, "alice@old.example",
                                                  "alice2@new.example"),
                     XPORTA_OK);
    assert_int_equal(xporta_filter_rename_account(f, "old.example", "x@y"),
                     XPORTA_EINVAL);
    xp_elem *m = xp_elem_new(&a, XP_NS_CLIENT, "message");
    xp_elem_set_attr(&a, m, "", "from", "alice@old.example/phone");
    xp_elem_set_attr(&a, m, "", "to", "bob@old.example");
    xporta_record r = {.kind = XPORTA_KIND_OFFLINE, .key = "1", .payload = m};
    bool keep;
    assert_int_equal(xporta_filter_record(f, &r, &keep), XPORTA_OK);
    /* The account moves; its contact on the old host stays there. */
    assert_string_equal(xp_elem_attr_ns(m, "", "from"),
                        "alice2@new.example/phone");
    assert_string_equal(xp_elem_attr_ns(m, "", "to"), "bob@old.example");
    xporta_filter_free(f);
    xp_arena_cleanup(&a);
}

static void filter_selects_users(void **state)
{
    (void)state;
    xporta_filter *f = NULL;
    assert_int_equal(xporta_filter_new(&f), XPORTA_OK);
    assert_true(xporta_filter_keep_user(f, "a.example", "anyone"));
    xporta_filter_add_user(f, "alice");
    xporta_filter_add_user(f, "bob@b.example");
    xporta_filter_add_user(f, "carol@c.example");
    assert_true(xporta_filter_keep_user(f, "a.example", "alice"));
    assert_true(xporta_filter_keep_user(f, "z.example", "alice"));
    assert_false(xporta_filter_keep_user(f, "a.example", "bob"));
    assert_true(xporta_filter_keep_user(f, "B.example", "bob"));
    /* localparts compare without ASCII case, like domains */
    assert_true(xporta_filter_keep_user(f, "a.example", "Alice"));
    assert_true(xporta_filter_keep_user(f, "b.example", "BOB"));
    assert_false(xporta_filter_keep_user(f, "a.example", "alic"));
    assert_false(xporta_filter_keep_user(f, "a.example", "alicex"));
    assert_string_equal(xporta_filter_unseen_user(f, 0), "carol@c.example");
    assert_null(xporta_filter_unseen_user(f, 1));
    xporta_filter_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(serialise_namespaces_and_escaping),
        cmocka_unit_test(equality_ignores_attribute_order_and_blank_text),
        cmocka_unit_test(clone_is_deep),
        cmocka_unit_test(jid_shapes),
        cmocka_unit_test(kinds_and_groups),
        cmocka_unit_test(keys_per_kind),
        cmocka_unit_test(filter_renames_every_jid_of_the_host),
        cmocka_unit_test(filter_renames_one_account),
        cmocka_unit_test(filter_selects_users),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
