/* lib/xmpp: request builders and reply decoders of each kind of account
 * data (xmpp_kinds.h).
 *
 * The replies are real: tests/data/stanzas/<server>-<what>.xml were saved
 * by tests/tools/xp_populate (tests/data/scenarios/capture-*.xml) from
 * Prosody 0.12 and ejabberd 23.01 after fill-<server>.xml filled the
 * account x1alice.  They are read back the way the session reads the
 * stream: libstrophe's parser, then xp_stanza_to_elem.  The few synthetic
 * stanzas below (marked so) cover what the servers never send: missing
 * attributes, foreign nodes, deep nesting. */
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmpp/xmpp_kinds.h"
#include "xmpp/xmpp_p.h"

static xmpp_ctx_t *ctx;

static int setup(void **state)
{
    (void)state;
    ctx = xmpp_ctx_new(NULL, NULL);
    return ctx ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    xmpp_ctx_free(ctx);
    return 0;
}

/* ---- helpers ------------------------------------------------------------- */

/* Parses XML as the stream parser would; parent_ns is the namespace in
 * scope (jabber:client for a stanza, "" for a payload). */
static xp_elem *parse_ns(struct xp_arena *a, const char *xml,
                         const char *parent_ns)
{
    xmpp_stanza_t *st = xmpp_stanza_new_from_string(ctx, xml);
    xp_elem *e = NULL;
    assert_non_null(st);
    assert_int_equal(xp_stanza_to_elem(a, st, parent_ns, &e, NULL), XPORTA_OK);
    xmpp_stanza_release(st);
    return e;
}

static xp_elem *parse(struct xp_arena *a, const char *xml)
{
    return parse_ns(a, xml, XP_NS_CLIENT);
}

/* A captured stanza from tests/data/stanzas. */
static xp_elem *load(struct xp_arena *a, const char *name)
{
    char rel[256];
    snprintf(rel, sizeof rel, "stanzas/%s.xml", name);
    char *text = slurp(data_path(rel), NULL);
    if (!text)
        fail_msg("cannot read %s", data_path(rel));
    xp_elem *e = parse(a, text);
    free(text);
    return e;
}

static char *ser(const xp_elem *e, const char *parent_ns)
{
    struct xp_buf b;
    xp_buf_init(&b, 1 << 24);
    assert_int_equal(xp_elem_serialize(&b, e, parent_ns), XPORTA_OK);
    char *s = strdup(xp_buf_str(&b));
    xp_buf_cleanup(&b);
    return s;
}

/* The payload a builder made, as text. */
static void assert_query(const xp_elem *q, const char *want)
{
    assert_non_null(q);
    char *got = ser(q, "");
    assert_string_equal(got, want);
    free(got);
}

/* Records handed to an xp_record_fn, copied (they live only during the
 * call). */
enum { MAX_RECS = 64 };
struct recs {
    struct xp_arena arena;
    size_t n;
    xporta_kind kind[MAX_RECS];
    const char *key[MAX_RECS];
    const char *id[MAX_RECS];
    xp_elem *payload[MAX_RECS];
};

static void recs_init(struct recs *r)
{
    memset(r, 0, sizeof *r);
    xp_arena_init(&r->arena, 0);
}

static void recs_free(struct recs *r)
{
    xp_arena_cleanup(&r->arena);
}

static void collect(void *ud, xporta_record *rec)
{
    struct recs *r = ud;
    assert_true(r->n < MAX_RECS);
    r->kind[r->n] = rec->kind;
    r->key[r->n] = xp_arena_strdup(&r->arena, rec->key);
    r->id[r->n] = rec->id ? xp_arena_strdup(&r->arena, rec->id) : NULL;
    r->payload[r->n] = xp_elem_clone(&r->arena, rec->payload);
    assert_non_null(r->payload[r->n]);
    r->n++;
}

/* Structural equality with a payload written as XML (attribute order and
 * indentation do not matter); shows both when they differ. */
static void assert_xml_at(const xp_elem *got, const char *want_xml,
                          const char *file, int line)
{
    struct xp_arena a;
    xp_arena_init(&a, 0);
    xp_elem *want = parse_ns(&a, want_xml, "");
    if (!xp_elem_equal(got, want)) {
        char *g = ser(got, ""), *w = ser(want, "");
        print_error("%s:%d: payload differs\n  got:  %s\n  want: %s\n", file,
                    line, g, w);
        free(g);
        free(w);
        xp_arena_cleanup(&a);
        fail();
    }
    xp_arena_cleanup(&a);
}
#define assert_xml(got, want) assert_xml_at(got, want, __FILE__, __LINE__)

static void assert_rec(const struct recs *r, size_t i, xporta_kind kind,
                       const char *key, const char *id)
{
    assert_true(i < r->n);
    assert_int_equal(r->kind[i], kind);
    assert_string_equal(r->key[i], key);
    if (id)
        assert_string_equal(r->id[i], id);
    else
        assert_null(r->id[i]);
}

/* ---- query builders ------------------------------------------------------ */

static void queries_serialise_as_the_xeps_say(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    assert_query(xp_disco_info_query(&a, NULL),
                 "<query xmlns='http://jabber.org/protocol/disco#info'/>");
    assert_query(xp_disco_info_query(&a, "n&1"),
                 "<query xmlns='http://jabber.org/protocol/disco#info' "
                 "node='n&amp;1'/>");
    assert_query(xp_disco_items_query(&a, NULL),
                 "<query xmlns='http://jabber.org/protocol/disco#items'/>");
    assert_query(xp_disco_items_query(&a, "http://jabber.org/protocol/offline"),
                 "<query xmlns='http://jabber.org/protocol/disco#items' "
                 "node='http://jabber.org/protocol/offline'/>");
    assert_query(xp_roster_query(&a), "<query xmlns='jabber:iq:roster'/>");
    assert_query(xp_vcard_query(&a), "<vCard xmlns='vcard-temp'/>");
    assert_query(xp_private_query(&a, "storage:rosternotes", "storage"),
                 "<query xmlns='jabber:iq:private'><storage "
                 "xmlns='storage:rosternotes'/></query>");
    assert_null(xp_private_query(&a, NULL, "storage"));
    assert_query(xp_blocklist_query(&a),
                 "<blocklist xmlns='urn:xmpp:blocking'/>");
    assert_query(xp_privacy_names_query(&a),
                 "<query xmlns='jabber:iq:privacy'/>");
    assert_query(xp_privacy_list_query(&a, "Blocked contacts"),
                 "<query xmlns='jabber:iq:privacy'><list name='Blocked "
                 "contacts'/></query>");
    assert_null(xp_privacy_list_query(&a, NULL));
    assert_query(xp_pep_configure_query(&a, "urn:xmpp:bookmarks:1"),
                 "<pubsub xmlns='http://jabber.org/protocol/pubsub#owner'>"
                 "<configure node='urn:xmpp:bookmarks:1'/></pubsub>");
    assert_query(xp_pep_affiliations_query(&a, "urn:xmpp:bookmarks:1"),
                 "<pubsub xmlns='http://jabber.org/protocol/pubsub#owner'>"
                 "<affiliations node='urn:xmpp:bookmarks:1'/></pubsub>");
    assert_query(xp_pep_items_query(&a, "urn:xmpp:vcard4", 0, NULL),
                 "<pubsub xmlns='http://jabber.org/protocol/pubsub'>"
                 "<items node='urn:xmpp:vcard4'/></pubsub>");
    assert_query(xp_pep_items_query(&a, "urn:xmpp:bookmarks:1", 50, NULL),
                 "<pubsub xmlns='http://jabber.org/protocol/pubsub'>"
                 "<items node='urn:xmpp:bookmarks:1'/><set "
                 "xmlns='http://jabber.org/protocol/rsm'><max>50</max></set>"
                 "</pubsub>");
    assert_query(xp_pep_items_query(&a, "urn:xmpp:bookmarks:1", 1,
                                    "2026-11-23T21:50:13.065915Z"),
                 "<pubsub xmlns='http://jabber.org/protocol/pubsub'>"
                 "<items node='urn:xmpp:bookmarks:1'/><set "
                 "xmlns='http://jabber.org/protocol/rsm'><max>1</max>"
                 "<after>2026-11-23T21:50:13.065915Z</after></set></pubsub>");
    assert_query(xp_pep_items_query(&a, "n", 0, "x"),
                 "<pubsub xmlns='http://jabber.org/protocol/pubsub'>"
                 "<items node='n'/><set "
                 "xmlns='http://jabber.org/protocol/rsm'><after>x</after>"
                 "</set></pubsub>");
    xp_arena_cleanup(&a);
}

/* What goes on the wire: every query survives the conversion to a
 * libstrophe stanza and back unchanged. */
static void queries_survive_the_stanza_conversion(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    xp_elem *qs[] = {
        xp_disco_items_query(&a, "n"),
        xp_roster_query(&a),
        xp_private_query(&a, "exodus:prefs", "exodus"),
        xp_privacy_list_query(&a, "work"),
        xp_pep_configure_query(&a, "urn:xmpp:bookmarks:1"),
        xp_pep_items_query(&a, "urn:xmpp:bookmarks:1", 10, "last-id"),
    };
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        xp_elem *iq = xp_elem_new(&a, XP_NS_CLIENT, "iq");
        xp_elem_set_attr(&a, iq, "", "type", "get");
        xp_elem_append(iq, qs[i]);
        xmpp_stanza_t *st = NULL;
        assert_int_equal(xp_stanza_from_elem(ctx, iq, XP_STREAM_NS, &st),
                         XPORTA_OK);
        xp_elem *back = NULL;
        assert_int_equal(xp_stanza_to_elem(&a, st, XP_STREAM_NS, &back, NULL),
                         XPORTA_OK);
        xmpp_stanza_release(st);
        assert_true(xp_elem_equal(back, iq));
    }
    xp_arena_cleanup(&a);
}

/* ---- service discovery --------------------------------------------------- */

static void disco_features_of_both_servers(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    xp_elem *p = load(&a, "prosody-disco-info");
    xp_elem *e = load(&a, "ejabberd-disco-info");
    assert_true(xp_disco_has_feature(p, XP_NS_BLOCKING));
    assert_true(xp_disco_has_feature(p, "vcard-temp"));
    assert_false(xp_disco_has_feature(p, XP_NS_PRIVACY)); /* 0.12: none */
    assert_false(xp_disco_has_feature(p, "http://jabber.org/protocol/offline"));
    assert_true(xp_disco_has_feature(e, XP_NS_PRIVACY));
    assert_true(xp_disco_has_feature(e, "http://jabber.org/protocol/offline"));
    assert_true(xp_disco_has_feature(
        e, "http://jabber.org/protocol/pubsub#publish-options"));
    /* A form field's var is not a feature. */
    assert_false(xp_disco_has_feature(e, "FORM_TYPE"));
    assert_false(xp_disco_has_feature(e, "urn:xmpp:nothing"));
    assert_false(
        xp_disco_has_feature(load(&a, "prosody-roster"), XP_NS_BLOCKING));
    xp_arena_cleanup(&a);
}

struct nodes {
    size_t n;
    char names[16][64];
};

static void add_node(void *ud, const char *node)
{
    struct nodes *ns = ud;
    assert_true(ns->n < 16);
    snprintf(ns->names[ns->n++], 64, "%s", node);
}

static void disco_pep_nodes_of_both_servers(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    static const char *const prosody[] = {
        "urn:xmpp:vcard4",
        "urn:xmpp:bookmarks:1",
        "urn:xmpp:moved:1",
        "urn:xmpp:avatar:data",
        "storage:bookmarks",
        "urn:xmpp:avatar:metadata",
        "http://jabber.org/protocol/nick",
        "urn:xmpp:omemo:2:devices",
    };
    /* ejabberd also lists the connected resource, without a node. */
    static const char *const ejabberd[] = {
        "http://jabber.org/protocol/nick",
        "urn:xmpp:avatar:data",
        "urn:xmpp:avatar:metadata",
        "urn:xmpp:bookmarks:1",
        "urn:xmpp:moved:1",
        "urn:xmpp:omemo:2:devices",
        "urn:xmpp:vcard4",
    };
    struct nodes ns = {0};
    assert_int_equal(xp_disco_pep_nodes(load(&a, "prosody-disco-items"),
                                        "x1alice@old.localhost", add_node, &ns),
                     XPORTA_OK);
    assert_int_equal(ns.n, 8);
    for (size_t i = 0; i < ns.n; i++)
        assert_string_equal(ns.names[i], prosody[i]);

    memset(&ns, 0, sizeof ns);
    xp_elem *iq = load(&a, "ejabberd-disco-items");
    assert_int_equal(
        xp_disco_pep_nodes(iq, "X1Alice@New.Localhost", add_node, &ns),
        XPORTA_OK);
    assert_int_equal(ns.n, 7);
    for (size_t i = 0; i < ns.n; i++)
        assert_string_equal(ns.names[i], ejabberd[i]);

    /* Another owner's items are not the account's nodes. */
    memset(&ns, 0, sizeof ns);
    assert_int_equal(xp_disco_pep_nodes(iq, "bob@new.localhost", add_node, &ns),
                     XPORTA_OK);
    assert_int_equal(ns.n, 0);
    assert_int_equal(xp_disco_pep_nodes(load(&a, "ejabberd-vcard"),
                                        "x1alice@new.localhost", add_node, &ns),
                     XPORTA_EFORMAT);

    /* Synthetic: items without jid or with an empty node are skipped. */
    memset(&ns, 0, sizeof ns);
    iq = parse(&a, "<iq type='result'><query "
                   "xmlns='http://jabber.org/protocol/disco#items'>"
                   "<item node='no-jid'/><item jid='a@b' node=''/>"
                   "<item jid='a@b' node='ok'/><other jid='a@b' node='x'/>"
                   "</query></iq>");
    assert_int_equal(xp_disco_pep_nodes(iq, "a@b", add_node, &ns), XPORTA_OK);
    assert_int_equal(ns.n, 1);
    assert_string_equal(ns.names[0], "ok");
    xp_arena_cleanup(&a);
}

/* ---- roster and pending subscriptions ------------------------------------ */

/* tmpl with every "DOM" replaced by dom. */
static void with_dom(char *out, size_t cap, const char *tmpl, const char *dom)
{
    size_t n = 0, dl = strlen(dom);
    for (const char *p = tmpl; *p && n + dl + 1 < cap;) {
        if (strncmp(p, "DOM", 3) == 0) {
            memcpy(out + n, dom, dl);
            n += dl;
            p += 3;
        } else {
            out[n++] = *p++;
        }
    }
    out[n] = '\0';
}

static void check_roster(const char *file, const char *dom)
{
    struct xp_arena a;
    struct recs r;
    char want[512], key[128];
    xp_arena_init(&a, 0);
    recs_init(&r);
    assert_int_equal(xp_roster_decode(&a, load(&a, file), collect, &r),
                     XPORTA_OK);
    assert_int_equal(r.n, 5);
    /* Servers order rosters their own way: look items up by key. */
    static const struct {
        const char *user, *xml;
    } items[] = {
        {"x1bob", "<item xmlns='jabber:iq:roster' jid='x1bob@DOM' "
                  "subscription='both' name='Bob Example'><group>Friends"
                  "</group><group>Work</group></item>"},
        {"x1carol", "<item xmlns='jabber:iq:roster' jid='x1carol@DOM' "
                    "subscription='to' name='Carol C'><group>Work</group>"
                    "</item>"},
        {"x1dave", "<item xmlns='jabber:iq:roster' jid='x1dave@DOM' "
                   "subscription='from' name='Dave D'><group>Family</group>"
                   "</item>"},
        {"x1erin", "<item xmlns='jabber:iq:roster' jid='x1erin@DOM' "
                   "subscription='none' name='Erin E'><group>Friends</group>"
                   "<group>Old</group></item>"},
        {"x1frank", "<item xmlns='jabber:iq:roster' jid='x1frank@DOM' "
                    "subscription='none' ask='subscribe' name='Frank F'/>"},
    };
    for (size_t i = 0; i < 5; i++) {
        snprintf(key, sizeof key, "%s@%s", items[i].user, dom);
        size_t k = 0;
        while (k < r.n && strcmp(r.key[k], key) != 0)
            k++;
        assert_rec(&r, k, XPORTA_KIND_ROSTER, key, NULL);
        with_dom(want, sizeof want, items[i].xml, dom);
        /* Prosody orders groups its own way too: compare as sets. */
        xp_elem *got = r.payload[k];
        xp_elem *w = parse_ns(&a, want, "");
        assert_int_equal(got->nattrs, w->nattrs);
        for (unsigned at = 0; at < w->nattrs; at++)
            assert_string_equal(xp_elem_attr_ns(got, "", w->attrs[at].name),
                                w->attrs[at].value);
        size_t ng = 0, nw = 0;
        for (xp_elem *g = xp_elem_first_element(got); g;
             g = xp_elem_next_element(g), ng++) {
            bool found = false;
            for (xp_elem *x = xp_elem_first_element(w); x && !found;
                 x = xp_elem_next_element(x))
                found = xp_elem_equal(g, x);
            assert_true(found);
        }
        for (xp_elem *x = xp_elem_first_element(w); x;
             x = xp_elem_next_element(x))
            nw++;
        assert_int_equal(ng, nw);
    }
    recs_free(&r);
    xp_arena_cleanup(&a);
}

static void roster_of_both_servers(void **state)
{
    (void)state;
    check_roster("prosody-roster", "old.localhost");
    check_roster("ejabberd-roster", "new.localhost");
}

static void roster_skips_items_without_jid(void **state)
{
    (void)state;
    struct xp_arena a;
    struct recs r;
    xp_arena_init(&a, 0);
    recs_init(&r);
    /* Synthetic. */
    xp_elem *iq = parse(&a, "<iq type='result'><query xmlns='jabber:iq:roster' "
                            "ver='3'><item name='no jid'/><item jid=''/>"
                            "<group>stray</group><item jid='a@b'/></query>"
                            "</iq>");
    assert_int_equal(xp_roster_decode(&a, iq, collect, &r), XPORTA_OK);
    assert_int_equal(r.n, 1);
    assert_rec(&r, 0, XPORTA_KIND_ROSTER, "a@b", NULL);
    assert_xml(r.payload[0], "<item xmlns='jabber:iq:roster' jid='a@b'/>");
    /* No <query>: not a roster. */
    assert_int_equal(
        xp_roster_decode(&a, parse(&a, "<iq type='result'/>"), collect, &r),
        XPORTA_EFORMAT);
    recs_free(&r);
    xp_arena_cleanup(&a);
}

static void pending_requests_of_both_servers(void **state)
{
    (void)state;
    struct xp_arena a;
    xporta_record rec;
    xp_arena_init(&a, 0);
    /* Prosody keeps the whole request (since 0.11): status and nick. */
    assert_true(xp_pending_decode(&a, load(&a, "prosody-pending"), &rec));
    assert_int_equal(rec.kind, XPORTA_KIND_PENDING);
    assert_string_equal(rec.key, "x1grace@old.localhost");
    assert_xml(rec.payload,
               "<presence xmlns='jabber:client' type='subscribe' "
               "from='x1grace@old.localhost' xml:lang='en'><status>Hi Alice, "
               "it is Grace</status><nick "
               "xmlns='http://jabber.org/protocol/nick'>Grace H.</nick>"
               "</presence>");
    /* ejabberd keeps only the status text. */
    assert_true(xp_pending_decode(&a, load(&a, "ejabberd-pending"), &rec));
    assert_string_equal(rec.key, "x1grace@new.localhost");
    assert_xml(rec.payload,
               "<presence xmlns='jabber:client' type='subscribe' "
               "from='x1grace@new.localhost'><status xml:lang='en'>Hi Alice, "
               "it is Grace</status></presence>");
    xp_arena_cleanup(&a);
}

static void pending_rejects_other_stanzas(void **state)
{
    (void)state;
    struct xp_arena a;
    xporta_record rec;
    xp_arena_init(&a, 0);
    /* Synthetic. */
    assert_false(xp_pending_decode(
        &a, parse(&a, "<presence from='a@b/r' type='subscribed'/>"), &rec));
    assert_false(
        xp_pending_decode(&a, parse(&a, "<presence from='a@b/r'/>"), &rec));
    assert_false(
        xp_pending_decode(&a, parse(&a, "<presence type='subscribe'/>"), &rec));
    assert_false(xp_pending_decode(
        &a, parse(&a, "<presence type='subscribe' from=''/>"), &rec));
    assert_false(xp_pending_decode(
        &a, parse(&a, "<message type='subscribe' from='a@b'/>"), &rec));
    assert_false(xp_pending_decode(
        &a,
        parse_ns(&a,
                 "<presence xmlns='urn:other' type='subscribe' from='a@b'/>",
                 ""),
        &rec));
    assert_false(xp_pending_decode(&a, NULL, &rec));
    /* A full JID is reduced to the bare one; id and to go. */
    assert_true(xp_pending_decode(
        &a,
        parse(&a, "<presence type='subscribe' from='a@b/phone' id='x1' "
                  "to='me@b'/>"),
        &rec));
    assert_string_equal(rec.key, "a@b");
    assert_xml(rec.payload, "<presence xmlns='jabber:client' "
                            "type='subscribe' from='a@b'/>");
    xp_arena_cleanup(&a);
}

/* The copy of the presence's payload climbs back up instead of recursing:
 * nesting far deeper than any stack would take. */
static void pending_copies_deep_payloads_without_recursion(void **state)
{
    (void)state;
    enum { DEPTH = 200000 };
    struct xp_arena a;
    xporta_record rec;
    xp_arena_init(&a, 0);
    xp_elem *p = xp_elem_new(&a, XP_NS_CLIENT, "presence");
    xp_elem_set_attr(&a, p, "", "type", "subscribe");
    xp_elem_set_attr(&a, p, "", "from", "deep@example.com");
    xp_elem *e = p;
    for (int i = 0; i < DEPTH; i++)
        e = xp_elem_add_child(&a, e, "urn:deep", "d");
    xp_elem_add_text(&a, e, "bottom", 6);
    xp_elem_add_child(&a, p, "urn:deep", "sibling");
    assert_true(xp_pending_decode(&a, p, &rec));
    int depth = 0;
    const xp_elem *c = xp_elem_first_element(rec.payload);
    assert_ptr_not_equal(c, xp_elem_first_element(p)); /* a copy */
    while (xp_elem_first_element(c)) {
        c = xp_elem_first_element(c);
        depth++;
    }
    assert_int_equal(depth, DEPTH - 1);
    assert_string_equal(xp_elem_text(c), "bottom");
    assert_non_null(xp_elem_child(rec.payload, "urn:deep", "sibling"));
    xp_arena_cleanup(&a);
}

/* ---- vCard --------------------------------------------------------------- */

static void vcard_of_both_servers(void **state)
{
    (void)state;
    static const char *const files[] = {"prosody-vcard", "ejabberd-vcard"};
    for (size_t i = 0; i < 2; i++) {
        struct xp_arena a;
        struct recs r;
        xp_arena_init(&a, 0);
        recs_init(&r);
        xp_elem *iq = load(&a, files[i]);
        assert_int_equal(xp_vcard_decode(&a, iq, collect, &r), XPORTA_OK);
        assert_int_equal(r.n, 1);
        assert_rec(&r, 0, XPORTA_KIND_VCARD, "vcard", NULL);
        xp_elem *v = r.payload[0];
        assert_true(xp_elem_equal(v, xp_elem_child(iq, XP_NS_VCARD, "vCard")));
        assert_string_equal(xp_elem_child_text(v, XP_NS_VCARD, "FN"),
                            "Alice Liddell");
        assert_string_equal(xp_elem_child_text(v, XP_NS_VCARD, "NICKNAME"),
                            "Ally");
        xp_elem *photo = xp_elem_child(v, XP_NS_VCARD, "PHOTO");
        assert_string_equal(xp_elem_child_text(photo, XP_NS_VCARD, "TYPE"),
                            "image/png");
        assert_int_equal(
            strlen(xp_elem_child_text(photo, XP_NS_VCARD, "BINVAL")), 96);
        recs_free(&r);
        xp_arena_cleanup(&a);
    }
}

static void vcard_none(void **state)
{
    (void)state;
    struct xp_arena a;
    struct recs r;
    xp_arena_init(&a, 0);
    recs_init(&r);
    /* Both servers answer an empty <vCard/> for "none". */
    assert_int_equal(
        xp_vcard_decode(&a, load(&a, "prosody-vcard-none"), collect, &r),
        XPORTA_OK);
    assert_int_equal(
        xp_vcard_decode(&a, load(&a, "ejabberd-vcard-none"), collect, &r),
        XPORTA_OK);
    /* Synthetic: an empty result (older servers), whitespace only. */
    assert_int_equal(
        xp_vcard_decode(&a, parse(&a, "<iq type='result'/>"), collect, &r),
        XPORTA_OK);
    assert_int_equal(
        xp_vcard_decode(&a,
                        parse(&a, "<iq type='result'><vCard "
                                  "xmlns='vcard-temp'>  </vCard></iq>"),
                        collect, &r),
        XPORTA_OK);
    assert_int_equal(r.n, 0);
    /* Something else entirely. */
    assert_int_equal(
        xp_vcard_decode(&a, load(&a, "prosody-roster"), collect, &r),
        XPORTA_EFORMAT);
    recs_free(&r);
    xp_arena_cleanup(&a);
}

/* ---- private XML storage ------------------------------------------------- */

static void private_of_both_servers(void **state)
{
    (void)state;
    static const char *const servers[] = {"prosody", "ejabberd"};
    static const char *const doms[] = {"old.localhost", "new.localhost"};
    for (size_t i = 0; i < 2; i++) {
        struct xp_arena a;
        struct recs r;
        char name[64], want[512];
        xp_arena_init(&a, 0);
        recs_init(&r);
        snprintf(name, sizeof name, "%s-private-rosternotes", servers[i]);
        assert_int_equal(xp_private_decode(&a, load(&a, name), collect, &r),
                         XPORTA_OK);
        snprintf(name, sizeof name, "%s-private-exodus", servers[i]);
        assert_int_equal(xp_private_decode(&a, load(&a, name), collect, &r),
                         XPORTA_OK);
        snprintf(name, sizeof name, "%s-private-none", servers[i]);
        assert_int_equal(xp_private_decode(&a, load(&a, name), collect, &r),
                         XPORTA_OK);
        assert_int_equal(r.n, 2);
        assert_rec(&r, 0, XPORTA_KIND_PRIVATE, "{storage:rosternotes}storage",
                   NULL);
        snprintf(want, sizeof want,
                 "<storage xmlns='storage:rosternotes'><note jid='x1bob@%s' "
                 "cdate='2024-01-02T03:04:05Z' mdate='2024-02-03T04:05:06Z'>"
                 "Met at the conference</note></storage>",
                 doms[i]);
        assert_xml(r.payload[0], want);
        assert_rec(&r, 1, XPORTA_KIND_PRIVATE, "{exodus:prefs}exodus", NULL);
        assert_xml(r.payload[1], "<exodus xmlns='exodus:prefs'><defaultnick>"
                                 "Ally</defaultnick></exodus>");
        recs_free(&r);
        xp_arena_cleanup(&a);
    }
}

static void private_bookmarks_mirrored_by_prosody_only(void **state)
{
    (void)state;
    struct xp_arena a;
    struct recs r;
    xp_arena_init(&a, 0);
    recs_init(&r);
    /* ejabberd 23.01 does not mirror XEP-0402 into XEP-0048. */
    assert_int_equal(xp_private_decode(&a,
                                       load(&a, "ejabberd-private-bookmarks"),
                                       collect, &r),
                     XPORTA_OK);
    assert_int_equal(r.n, 0);
    /* Prosody's mod_bookmarks does. */
    assert_int_equal(xp_private_decode(&a,
                                       load(&a, "prosody-private-bookmarks"),
                                       collect, &r),
                     XPORTA_OK);
    assert_int_equal(r.n, 1);
    assert_rec(&r, 0, XPORTA_KIND_PRIVATE, "{storage:bookmarks}storage", NULL);
    assert_xml(r.payload[0],
               "<storage xmlns='storage:bookmarks'><conference "
               "jid='room2@conference.old.localhost' autojoin='true' "
               "name='Room 2'><nick>Ally</nick></conference><conference "
               "jid='room1@conference.old.localhost' autojoin='true' "
               "name='Room 1'><nick>Ally</nick></conference></storage>");
    /* Synthetic: attributes alone are content; no <query> is no answer. */
    assert_int_equal(
        xp_private_decode(&a,
                          parse(&a, "<iq type='result'><query "
                                    "xmlns='jabber:iq:private'><p xmlns='x:y' "
                                    "on='1'/></query></iq>"),
                          collect, &r),
        XPORTA_OK);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.key[1], "{x:y}p");
    assert_int_equal(
        xp_private_decode(&a, load(&a, "prosody-vcard"), collect, &r),
        XPORTA_EFORMAT);
    recs_free(&r);
    xp_arena_cleanup(&a);
}

static void private_known_namespaces(void **state)
{
    (void)state;
    size_t n = 0;
    bool exodus = false, rosternotes = false;
    while (xp_private_known[n][0]) {
        assert_non_null(xp_private_known[n][1]);
        exodus |= strcmp(xp_private_known[n][0], "exodus:prefs") == 0 &&
                  strcmp(xp_private_known[n][1], "exodus") == 0;
        rosternotes |=
            strcmp(xp_private_known[n][0], "storage:rosternotes") == 0 &&
            strcmp(xp_private_known[n][1], "storage") == 0;
        n++;
    }
    assert_int_equal(n, 6);
    assert_null(xp_private_known[n][1]);
    assert_true(exodus && rosternotes);
    assert_string_equal(xp_private_known[0][0], "storage:bookmarks");
}

/* ---- blocking and privacy ------------------------------------------------ */

static void blocklist_of_both_servers(void **state)
{
    (void)state;
    static const char *const files[] = {"prosody-blocklist",
                                        "ejabberd-blocklist"};
    static const char *const keys[][2] = {
        {"spam@spam.example", "troll@old.localhost"},
        {"troll@new.localhost", "spam@spam.example"},
    };
    for (size_t i = 0; i < 2; i++) {
        struct xp_arena a;
        struct recs r;
        char want[256];
        xp_arena_init(&a, 0);
        recs_init(&r);
        assert_int_equal(
            xp_blocklist_decode(&a, load(&a, files[i]), collect, &r),
            XPORTA_OK);
        assert_int_equal(r.n, 2);
        for (size_t k = 0; k < 2; k++) {
            assert_rec(&r, k, XPORTA_KIND_BLOCKLIST, keys[i][k], NULL);
            snprintf(want, sizeof want,
                     "<item xmlns='urn:xmpp:blocking' jid='%s'/>", keys[i][k]);
            assert_xml(r.payload[k], want);
        }
        recs_free(&r);
        xp_arena_cleanup(&a);
    }
}

static void blocklist_skips_items_without_jid(void **state)
{
    (void)state;
    struct xp_arena a;
    struct recs r;
    xp_arena_init(&a, 0);
    recs_init(&r);
    /* Synthetic. */
    assert_int_equal(
        xp_blocklist_decode(&a,
                            parse(&a, "<iq type='result'><blocklist "
                                      "xmlns='urn:xmpp:blocking'><item/>"
                                      "<item jid='x@y'/><jid>z@y</jid>"
                                      "</blocklist></iq>"),
                            collect, &r),
        XPORTA_OK);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.key[0], "x@y");
    assert_int_equal(
        xp_blocklist_decode(&a, parse(&a, "<iq type='result'/>"), collect, &r),
        XPORTA_EFORMAT);
    recs_free(&r);
    xp_arena_cleanup(&a);
}

/* The names decoder hands records and list names to one userdata. */
struct names {
    struct recs r; /* first: collect() takes a struct names as its recs */
    struct nodes lists;
};

static void add_list(void *ud, const char *name)
{
    add_node(&((struct names *)ud)->lists, name);
}

static void privacy_names_of_ejabberd(void **state)
{
    (void)state;
    struct xp_arena a;
    struct names nm;
    struct recs *rp = &nm.r;
    xp_arena_init(&a, 0);
    memset(&nm, 0, sizeof nm);
    recs_init(rp);
    /* <active/> without a name, and the blocklist's default: no record. */
    assert_int_equal(xp_privacy_names_decode(&a,
                                             load(&a, "ejabberd-privacy-names"),
                                             collect, add_list, &nm),
                     XPORTA_OK);
    assert_int_equal(nm.r.n, 0);
    assert_int_equal(nm.lists.n, 2);
    assert_string_equal(nm.lists.names[0], "work");
    assert_string_equal(nm.lists.names[1], "Blocked contacts");
    struct recs r;
    recs_init(&r);

    /* 'work' as default and active. */
    assert_int_equal(
        xp_privacy_names_decode(&a, load(&a, "ejabberd-privacy-names-default"),
                                collect, NULL, &r),
        XPORTA_OK);
    assert_int_equal(r.n, 2);
    assert_rec(&r, 0, XPORTA_KIND_PRIVACY, "active", NULL);
    assert_xml(r.payload[0], "<active xmlns='jabber:iq:privacy' name='work'/>");
    assert_rec(&r, 1, XPORTA_KIND_PRIVACY, "default", NULL);
    assert_xml(r.payload[1],
               "<default xmlns='jabber:iq:privacy' name='work'/>");
    /* Prosody 0.12 has no privacy lists: an error, no <query>. */
    assert_int_equal(xp_privacy_names_decode(&a,
                                             load(&a, "prosody-privacy-names"),
                                             collect, NULL, &r),
                     XPORTA_EFORMAT);
    recs_free(&r);
    recs_free(rp);
    xp_arena_cleanup(&a);
}

static void privacy_lists_of_ejabberd(void **state)
{
    (void)state;
    struct xp_arena a;
    struct recs r;
    xp_arena_init(&a, 0);
    recs_init(&r);
    assert_int_equal(
        xp_privacy_list_decode(&a, load(&a, "ejabberd-privacy-list-work"),
                               collect, &r),
        XPORTA_OK);
    assert_int_equal(r.n, 1);
    assert_rec(&r, 0, XPORTA_KIND_PRIVACY, "list work", NULL);
    assert_xml(r.payload[0],
               "<list xmlns='jabber:iq:privacy' name='work'>"
               "<item type='jid' value='x1frank@new.localhost' action='deny' "
               "order='1'><presence-in/><message/></item>"
               "<item type='group' value='Work' action='allow' order='2'/>"
               "<item type='subscription' value='none' action='deny' "
               "order='3'><iq/></item>"
               "<item action='allow' order='4'/></list>");
    /* mod_blocking's list is the blocklist, read through XEP-0191. */
    assert_int_equal(
        xp_privacy_list_decode(&a, load(&a, "ejabberd-privacy-list-blocked"),
                               collect, &r),
        XPORTA_OK);
    assert_int_equal(r.n, 1);
    recs_free(&r);
    xp_arena_cleanup(&a);
}

static void privacy_list_keeps_wellformed_items(void **state)
{
    (void)state;
    struct xp_arena a;
    struct recs r;
    xp_arena_init(&a, 0);
    recs_init(&r);
    /* Synthetic: items without action or order are dropped; a "Blocked
     * contacts" list that is not blocklist-shaped stays a list. */
    assert_int_equal(
        xp_privacy_list_decode(
            &a,
            parse(&a, "<iq type='result'><query xmlns='jabber:iq:privacy'>"
                      "<list name='Blocked contacts'><item action='deny' "
                      "order='1' type='jid' value='a@b'><message/></item>"
                      "<item order='2'/><item action='allow'/></list></query>"
                      "</iq>"),
            collect, &r),
        XPORTA_OK);
    assert_int_equal(r.n, 1);
    assert_rec(&r, 0, XPORTA_KIND_PRIVACY, "list Blocked contacts", NULL);
    assert_xml(r.payload[0],
               "<list xmlns='jabber:iq:privacy' name='Blocked contacts'>"
               "<item action='deny' order='1' type='jid' value='a@b'>"
               "<message/></item></list>");
    /* No list, or a list without a name: unusable. */
    assert_int_equal(
        xp_privacy_list_decode(&a,
                               parse(&a, "<iq type='result'><query "
                                         "xmlns='jabber:iq:privacy'/></iq>"),
                               collect, &r),
        XPORTA_EFORMAT);
    assert_int_equal(xp_privacy_list_decode(
                         &a,
                         parse(&a, "<iq type='result'><query "
                                   "xmlns='jabber:iq:privacy'><list/></query>"
                                   "</iq>"),
                         collect, &r),
                     XPORTA_EFORMAT);
    recs_free(&r);
    xp_arena_cleanup(&a);
}

/* ---- PEP ----------------------------------------------------------------- */

static const char *field_value(const xp_elem *configure, const char *var)
{
    const xp_elem *x = xp_elem_child(configure, XP_NS_DATA, "x");
    for (const xp_elem *f = xp_elem_first_element(x); f;
         f = xp_elem_next_element(f))
        if (xp_streq(xp_elem_attr_ns(f, "", "var"), var))
            return xp_elem_child_text(f, XP_NS_DATA, "value");
    return NULL;
}

static void pep_configure_of_both_servers(void **state)
{
    (void)state;
    static const char *const files[] = {"prosody-pep-configure",
                                        "ejabberd-pep-configure"};
    for (size_t i = 0; i < 2; i++) {
        struct xp_arena a;
        struct recs r;
        xp_arena_init(&a, 0);
        recs_init(&r);
        xp_elem *iq = load(&a, files[i]);
        assert_int_equal(xp_pep_configure_decode(&a, iq, "urn:xmpp:bookmarks:1",
                                                 collect, &r),
                         XPORTA_OK);
        assert_int_equal(r.n, 1);
        assert_rec(&r, 0, XPORTA_KIND_PEP_NODE, "urn:xmpp:bookmarks:1", NULL);
        xp_elem *c = r.payload[0];
        /* The server's form as it came (type='form'). */
        assert_true(xp_elem_equal(
            c, xp_elem_child(xp_elem_child(iq, XP_NS_PUBSUB_OWNER, "pubsub"),
                             XP_NS_PUBSUB_OWNER, "configure")));
        assert_true(xp_elem_is(c, XP_NS_PUBSUB_OWNER, "configure"));
        assert_string_equal(
            xp_elem_attr_ns(xp_elem_child(c, XP_NS_DATA, "x"), "", "type"),
            "form");
        assert_string_equal(field_value(c, "pubsub#access_model"), "whitelist");
        assert_string_equal(field_value(c, "pubsub#max_items"), "max");
        assert_string_equal(field_value(c, "pubsub#send_last_published_item"),
                            "never");
        /* A reply about another node is not this node's. */
        assert_int_equal(
            xp_pep_configure_decode(&a, iq, "urn:xmpp:vcard4", collect, &r),
            XPORTA_EFORMAT);
        recs_free(&r);
        xp_arena_cleanup(&a);
    }
}

static void pep_configure_without_node_attribute(void **state)
{
    (void)state;
    struct xp_arena a;
    struct recs r;
    xp_arena_init(&a, 0);
    recs_init(&r);
    /* Synthetic: the key comes from the request then. */
    xp_elem *iq =
        parse(&a, "<iq type='result'><pubsub "
                  "xmlns='http://jabber.org/protocol/pubsub#owner'><configure>"
                  "<x xmlns='jabber:x:data' type='form'><field var='a'>"
                  "<value>1</value></field></x></configure></pubsub></iq>");
    assert_int_equal(xp_pep_configure_decode(&a, iq, "n", collect, &r),
                     XPORTA_OK);
    assert_int_equal(r.n, 1);
    assert_rec(&r, 0, XPORTA_KIND_PEP_NODE, "n", NULL);
    assert_xml(r.payload[0],
               "<configure xmlns='http://jabber.org/protocol/pubsub#owner' "
               "node='n'><x xmlns='jabber:x:data' type='form'><field var='a'>"
               "<value>1</value></field></x></configure>");
    /* An error reply has no <configure>. */
    assert_int_equal(
        xp_pep_configure_decode(&a, load(&a, "prosody-pep-configure-none"),
                                "no-such-node", collect, &r),
        XPORTA_EFORMAT);
    recs_free(&r);
    xp_arena_cleanup(&a);
}

static void pep_affiliations_of_both_servers(void **state)
{
    (void)state;
    struct xp_arena a;
    struct recs r;
    xp_arena_init(&a, 0);
    recs_init(&r);
    /* Prosody 0.12 lists nobody (the owner is implicit in PEP). */
    assert_int_equal(
        xp_pep_affiliations_decode(&a, load(&a, "prosody-pep-affiliations"),
                                   "urn:xmpp:bookmarks:1", collect, &r),
        XPORTA_OK);
    assert_int_equal(r.n, 0);
    assert_int_equal(
        xp_pep_affiliations_decode(&a, load(&a, "ejabberd-pep-affiliations"),
                                   "urn:xmpp:bookmarks:1", collect, &r),
        XPORTA_OK);
    assert_int_equal(r.n, 1);
    assert_rec(&r, 0, XPORTA_KIND_PEP_AFFILIATIONS, "urn:xmpp:bookmarks:1",
               NULL);
    assert_xml(r.payload[0],
               "<affiliations xmlns='http://jabber.org/protocol/pubsub#owner' "
               "node='urn:xmpp:bookmarks:1'><affiliation "
               "jid='x1alice@new.localhost' affiliation='owner'/>"
               "</affiliations>");
    /* Synthetic: entries without jid or affiliation are dropped. */
    assert_int_equal(
        xp_pep_affiliations_decode(
            &a,
            parse(&a, "<iq type='result'><pubsub "
                      "xmlns='http://jabber.org/protocol/pubsub#owner'>"
                      "<affiliations node='n'><affiliation jid='a@b'/>"
                      "<affiliation affiliation='member'/><affiliation "
                      "jid='c@d' affiliation='member'/></affiliations>"
                      "</pubsub></iq>"),
            "n", collect, &r),
        XPORTA_OK);
    assert_int_equal(r.n, 2);
    assert_xml(r.payload[1],
               "<affiliations xmlns='http://jabber.org/protocol/pubsub#owner' "
               "node='n'><affiliation jid='c@d' affiliation='member'/>"
               "</affiliations>");
    assert_int_equal(
        xp_pep_affiliations_decode(&a, load(&a, "ejabberd-pep-affiliations"),
                                   "other", collect, &r),
        XPORTA_EFORMAT);
    recs_free(&r);
    xp_arena_cleanup(&a);
}

static void check_items(const char *file, const char *node, const char *dom,
                        size_t want_n)
{
    struct xp_arena a;
    struct recs r;
    const char *last = "junk";
    bool complete = false;
    char want[512], id[128];
    xp_arena_init(&a, 0);
    recs_init(&r);
    assert_int_equal(xp_pep_items_decode(&a, load(&a, file), node, collect, &r,
                                         &last, &complete),
                     XPORTA_OK);
    assert_null(last);
    assert_true(complete);
    assert_int_equal(r.n, want_n);
    if (strcmp(node, "urn:xmpp:bookmarks:1") == 0) {
        for (int k = 0; k < 2; k++) {
            snprintf(id, sizeof id, "room%d@conference.%s", k + 1, dom);
            assert_rec(&r, (size_t)k, XPORTA_KIND_PEP_ITEM, node, id);
            snprintf(want, sizeof want,
                     "<item xmlns='http://jabber.org/protocol/pubsub' id='%s'>"
                     "<conference xmlns='urn:xmpp:bookmarks:1' autojoin='true' "
                     "name='Room %d'><nick>Ally</nick></conference></item>",
                     id, k + 1);
            assert_xml(r.payload[k], want);
        }
    } else if (strcmp(node, "urn:xmpp:avatar:metadata") == 0) {
        assert_rec(&r, 0, XPORTA_KIND_PEP_ITEM, node,
                   "c7a9c45fd419815a5ab1998503a9f03514c0e229");
        assert_xml(r.payload[0],
                   "<item xmlns='http://jabber.org/protocol/pubsub' "
                   "id='c7a9c45fd419815a5ab1998503a9f03514c0e229'><metadata "
                   "xmlns='urn:xmpp:avatar:metadata'><info bytes='70' "
                   "id='c7a9c45fd419815a5ab1998503a9f03514c0e229' "
                   "type='image/png' width='1' height='1'/></metadata></item>");
    } else {
        assert_rec(&r, 0, XPORTA_KIND_PEP_ITEM, node, "current");
        assert_xml(r.payload[0],
                   "<item xmlns='http://jabber.org/protocol/pubsub' "
                   "id='current'><vcard "
                   "xmlns='urn:ietf:params:xml:ns:vcard-4.0'><fn><text>Alice "
                   "Liddell</text></fn><n><surname>Liddell</surname><given>"
                   "Alice</given></n><nickname><text>Ally</text></nickname>"
                   "<email><text>alice@example.org</text></email><note><text>"
                   "filled by xp_populate</text></note></vcard></item>");
    }
    recs_free(&r);
    xp_arena_cleanup(&a);
}

static void pep_items_of_both_servers(void **state)
{
    (void)state;
    static const char *const servers[] = {"prosody", "ejabberd"};
    static const char *const doms[] = {"old.localhost", "new.localhost"};
    for (size_t i = 0; i < 2; i++) {
        char f[64];
        snprintf(f, sizeof f, "%s-pep-items-bookmarks", servers[i]);
        check_items(f, "urn:xmpp:bookmarks:1", doms[i], 2);
        snprintf(f, sizeof f, "%s-pep-items-metadata", servers[i]);
        check_items(f, "urn:xmpp:avatar:metadata", doms[i], 1);
        snprintf(f, sizeof f, "%s-pep-items-vcard4", servers[i]);
        check_items(f, "urn:xmpp:vcard4", doms[i], 1);
    }
    /* Prosody 0.12 ignores RSM on PEP items: everything, no <set>. */
    check_items("prosody-pep-items-rsm1", "urn:xmpp:bookmarks:1",
                "old.localhost", 2);
}

/* ejabberd pages with RSM: <set> before <items>, ids are timestamps, count
 * and index tell when the node is done. */
static void pep_items_paged_by_ejabberd(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        size_t n;
        const char *id;
        const char *last;
        bool complete;
    } pages[] = {
        {"ejabberd-pep-items-rsm1", 1, "room1@conference.new.localhost",
         "2026-11-23T21:50:13.065915Z", false},
        {"ejabberd-pep-items-rsm2", 1, "room2@conference.new.localhost",
         "2026-11-23T21:50:13.074061Z", true},
        {"ejabberd-pep-items-rsm3", 0, NULL, NULL, true},
    };
    for (size_t i = 0; i < 3; i++) {
        struct xp_arena a;
        struct recs r;
        const char *last = NULL;
        bool complete = !pages[i].complete;
        xp_arena_init(&a, 0);
        recs_init(&r);
        assert_int_equal(xp_pep_items_decode(&a, load(&a, pages[i].file),
                                             "urn:xmpp:bookmarks:1", collect,
                                             &r, &last, &complete),
                         XPORTA_OK);
        assert_int_equal(r.n, pages[i].n);
        if (pages[i].id)
            assert_rec(&r, 0, XPORTA_KIND_PEP_ITEM, "urn:xmpp:bookmarks:1",
                       pages[i].id);
        if (pages[i].last)
            assert_string_equal(last, pages[i].last);
        else
            assert_null(last);
        assert_int_equal(complete, pages[i].complete);
        recs_free(&r);
        xp_arena_cleanup(&a);
    }
}

static void pep_items_untrusted(void **state)
{
    (void)state;
    struct xp_arena a;
    struct recs r;
    const char *last;
    bool complete;
    xp_arena_init(&a, 0);
    recs_init(&r);
    /* Synthetic: items without id are skipped; a <set> whose count is not
     * reached yet (or that has none) asks for more. */
    xp_elem *iq = parse(
        &a,
        "<iq type='result'><pubsub xmlns='http://jabber.org/protocol/pubsub'>"
        "<items node='n'><item><x xmlns='u:x'/></item><item id=''/>"
        "<item id='i1'/><retract id='i2'/></items><set "
        "xmlns='http://jabber.org/protocol/rsm'><first>i1</first>"
        "<last>i1</last></set></pubsub></iq>");
    assert_int_equal(
        xp_pep_items_decode(&a, iq, "n", collect, &r, &last, &complete),
        XPORTA_OK);
    assert_int_equal(r.n, 1);
    assert_rec(&r, 0, XPORTA_KIND_PEP_ITEM, "n", "i1");
    assert_string_equal(last, "i1");
    assert_false(complete);
    /* Another node's items, or no <items>, are not an answer. */
    assert_int_equal(
        xp_pep_items_decode(&a, iq, "m", collect, &r, &last, &complete),
        XPORTA_EFORMAT);
    assert_null(last);
    assert_int_equal(xp_pep_items_decode(&a, load(&a, "prosody-vcard"), "n",
                                         collect, &r, &last, &complete),
                     XPORTA_EFORMAT);
    /* A count smaller than the index must not read as complete by
     * wrapping around. */
    iq = parse(&a, "<iq type='result'><pubsub "
                   "xmlns='http://jabber.org/protocol/pubsub'><items node='n'>"
                   "<item id='z'/></items><set "
                   "xmlns='http://jabber.org/protocol/rsm'><count>1</count>"
                   "<first index='5'>z</first><last>z</last></set></pubsub>"
                   "</iq>");
    assert_int_equal(
        xp_pep_items_decode(&a, iq, "n", collect, &r, &last, &complete),
        XPORTA_OK);
    assert_false(complete);
    recs_free(&r);
    xp_arena_cleanup(&a);
}

/* ---- XEP-0283 Moved ------------------------------------------------------
 * Synthetic stanzas, shaped as XEP-0283 1.0's examples. */

static void moved_builders_serialise_as_the_xep_says(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    assert_query(xp_moved_item(&a, "new@b.example"),
                 "<item xmlns='http://jabber.org/protocol/pubsub' "
                 "id='current'><moved xmlns='urn:xmpp:moved:1'><new-jid>"
                 "new@b.example</new-jid></moved></item>");
    const char *form =
        "<x xmlns='jabber:x:data' type='submit'>"
        "<field var='FORM_TYPE' type='hidden'><value>"
        "http://jabber.org/protocol/pubsub#node_config</value></field>"
        "<field var='pubsub#access_model'><value>presence</value></field>"
        "<field var='pubsub#persist_items'><value>true</value></field>"
        "<field var='pubsub#max_items'><value>1</value></field>"
        /* Only the owner publishes, and the items say who did. */
        "<field var='pubsub#publish_model'><value>publishers</value></field>"
        "<field var='pubsub#itemreply'><value>publisher</value></field>"
        "<field var='pubsub#send_last_published_item'><value>"
        "on_sub_and_presence</value></field></x>";
    char want[1536];
    snprintf(want, sizeof want,
             "<pubsub xmlns='http://jabber.org/protocol/pubsub'>"
             "<create node='urn:xmpp:moved:1'/><configure>%s</configure>"
             "</pubsub>",
             form);
    assert_query(xp_moved_create(&a, "presence"), want);
    snprintf(want, sizeof want,
             "<pubsub xmlns='http://jabber.org/protocol/pubsub#owner'>"
             "<configure node='urn:xmpp:moved:1'>%s</configure></pubsub>",
             form);
    assert_query(xp_moved_configure(&a, "presence"), want);
    assert_query(xp_moved_query(&a),
                 "<pubsub xmlns='http://jabber.org/protocol/pubsub'>"
                 "<items node='urn:xmpp:moved:1'><item id='current'/>"
                 "</items></pubsub>");
    assert_query(xp_moved_subscribe(&a, "bob@c.example/x", false),
                 "<pubsub xmlns='http://jabber.org/protocol/pubsub'>"
                 "<subscribe node='urn:xmpp:moved:1' jid='bob@c.example/x'/>"
                 "</pubsub>");
    assert_query(xp_moved_subscribe(&a, "bob@c.example/x", true),
                 "<pubsub xmlns='http://jabber.org/protocol/pubsub'>"
                 "<unsubscribe node='urn:xmpp:moved:1' jid='bob@c.example/x'/>"
                 "</pubsub>");
    /* Presences are stanzas: serialised inside jabber:client. */
    char *got =
        ser(xp_presence(&a, "subscribe", "bob@c.example", "old@a.example"),
            XP_NS_CLIENT);
    assert_string_equal(got, "<presence type='subscribe' to='bob@c.example'>"
                             "<moved xmlns='urn:xmpp:moved:1'><old-jid>"
                             "old@a.example</old-jid></moved></presence>");
    free(got);
    got =
        ser(xp_presence(&a, "subscribed", "bob@c.example", NULL), XP_NS_CLIENT);
    assert_string_equal(got,
                        "<presence type='subscribed' to='bob@c.example'/>");
    free(got);
    xp_arena_cleanup(&a);
}

static void moved_statement_decoded_and_forgeries_refused(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    /* The statement, as a PEP service returns it. */
    const char *nj = xp_moved_new_jid(
        &a, parse(&a, "<iq type='result' from='old@a.example' id='1'>"
                      "<pubsub xmlns='http://jabber.org/protocol/pubsub'>"
                      "<items node='urn:xmpp:moved:1'><item id='current'>"
                      "<moved xmlns='urn:xmpp:moved:1'><new-jid>"
                      "new@b.example/phone</new-jid></moved></item>"
                      "</items></pubsub></iq>"));
    assert_non_null(nj);
    assert_string_equal(nj, "new@b.example"); /* bare */
    /* A closed account's <gone/> with an xmpp: URI counts (§4.3). */
    nj = xp_moved_new_jid(
        &a, parse(&a, "<iq type='error' from='old@a.example' id='2'>"
                      "<error type='cancel'><gone "
                      "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>"
                      "xmpp:new@b.example?message</gone></error></iq>"));
    assert_non_null(nj);
    assert_string_equal(nj, "new@b.example");
    /* Not statements: another URI scheme, another node, a malformed JID,
     * an empty result, any other error. */
    assert_null(xp_moved_new_jid(
        &a, parse(&a, "<iq type='error' id='3'><error type='cancel'><gone "
                      "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>"
                      "https://b.example/</gone></error></iq>")));
    assert_null(xp_moved_new_jid(
        &a, parse(&a, "<iq type='result' id='4'>"
                      "<pubsub xmlns='http://jabber.org/protocol/pubsub'>"
                      "<items node='urn:example:other'><item id='current'>"
                      "<moved xmlns='urn:xmpp:moved:1'><new-jid>"
                      "new@b.example</new-jid></moved></item>"
                      "</items></pubsub></iq>")));
    assert_null(xp_moved_new_jid(
        &a, parse(&a, "<iq type='result' id='5'>"
                      "<pubsub xmlns='http://jabber.org/protocol/pubsub'>"
                      "<items node='urn:xmpp:moved:1'><item id='current'>"
                      "<moved xmlns='urn:xmpp:moved:1'><new-jid>"
                      "@@bad</new-jid></moved></item></items></pubsub></iq>")));
    assert_null(xp_moved_new_jid(
        &a, parse(&a, "<iq type='result' id='6'>"
                      "<pubsub xmlns='http://jabber.org/protocol/pubsub'>"
                      "<items node='urn:xmpp:moved:1'/></pubsub></iq>")));
    assert_null(xp_moved_new_jid(
        &a, parse(&a, "<iq type='error' id='7'><error type='cancel'>"
                      "<item-not-found "
                      "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
                      "</error></iq>")));
    assert_null(xp_moved_new_jid(&a, NULL));

    /* The notification in a subscription request. */
    const char *old = xp_moved_old_jid(
        &a, parse(&a, "<presence type='subscribe' from='new@b.example' "
                      "to='bob@c.example'><moved xmlns='urn:xmpp:moved:1'>"
                      "<old-jid>old@a.example</old-jid></moved></presence>"));
    assert_non_null(old);
    assert_string_equal(old, "old@a.example");
    /* A full JID is not a move (the old JID MUST be bare); nor is a
     * request without <moved/>, or <moved/> in another namespace. */
    assert_null(xp_moved_old_jid(
        &a, parse(&a, "<presence type='subscribe'><moved "
                      "xmlns='urn:xmpp:moved:1'><old-jid>old@a.example/r"
                      "</old-jid></moved></presence>")));
    assert_null(
        xp_moved_old_jid(&a, parse(&a, "<presence type='subscribe'/>")));
    assert_null(xp_moved_old_jid(
        &a, parse(&a, "<presence type='subscribe'><moved "
                      "xmlns='urn:xmpp:moved:0'><old-jid>old@a.example"
                      "</old-jid></moved></presence>")));
    assert_null(xp_moved_old_jid(&a, NULL));
    xp_arena_cleanup(&a);
}

/* Who published a statement, as the servers say it (replies captured on
 * Prosody 0.12.3 and ejabberd 23.01 of tests/servers, ids shortened):
 * ejabberd names the publisher (a full JID) in replies when the node's
 * pubsub#itemreply is "publisher"; Prosody never in replies, but in the
 * last item it sends a new subscriber; and Prosody tells those subscribed
 * to the owner's presence the node's publish model. */
static void moved_statement_publisher_and_publish_model(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    struct xp_moved_statement ms;
    /* ejabberd, itemreply publisher: the owner, and a forger's item. */
    assert_true(xp_moved_statement(
        &a,
        parse(&a, "<iq id='1' type='result' to='e1-bob@new.localhost/probe' "
                  "xml:lang='en' from='e1-alice@new.localhost'><pubsub "
                  "xmlns='http://jabber.org/protocol/pubsub'><items "
                  "node='urn:xmpp:moved:1'><item id='current' "
                  "publisher='e1-alice@new.localhost/xporta-df177c34'><moved "
                  "xmlns='urn:xmpp:moved:1'><new-jid>e1-new@new2.localhost"
                  "</new-jid></moved></item></items></pubsub></iq>"),
        &ms));
    assert_string_equal(ms.new_jid, "e1-new@new2.localhost");
    assert_string_equal(ms.publisher, "e1-alice@new.localhost"); /* bare */
    assert_false(ms.gone);
    /* Prosody's reply: no publisher. */
    assert_true(xp_moved_statement(
        &a,
        parse(&a, "<iq id='2' type='result' to='p1-bob@old.localhost/probe' "
                  "from='p1-alice@old.localhost'><pubsub "
                  "xmlns='http://jabber.org/protocol/pubsub'><items "
                  "node='urn:xmpp:moved:1'><item id='current'><moved "
                  "xmlns='urn:xmpp:moved:1'><new-jid>p1-grace@old.localhost"
                  "</new-jid></moved></item></items></pubsub></iq>"),
        &ms));
    assert_string_equal(ms.new_jid, "p1-grace@old.localhost");
    assert_null(ms.publisher);
    /* Prosody's last item for a new subscriber: the forger is named. */
    assert_true(xp_moved_statement(
        &a,
        parse(&a, "<message id='n' type='headline' "
                  "to='p1-carol@old.localhost/probe' "
                  "from='p1-alice@old.localhost'><event "
                  "xmlns='http://jabber.org/protocol/pubsub#event'><items "
                  "node='urn:xmpp:moved:1'><item id='current' "
                  "publisher='p1-grace@old.localhost'><moved "
                  "xmlns='urn:xmpp:moved:1'><new-jid>p1-grace@old.localhost"
                  "</new-jid></moved></item></items></event></message>"),
        &ms));
    assert_string_equal(ms.new_jid, "p1-grace@old.localhost");
    assert_string_equal(ms.publisher, "p1-grace@old.localhost");
    /* A publisher that is no JID is someone, unnamed (""). */
    assert_true(xp_moved_statement(
        &a,
        parse(&a, "<message from='o@a.example'><event "
                  "xmlns='http://jabber.org/protocol/pubsub#event'><items "
                  "node='urn:xmpp:moved:1'><item id='current' "
                  "publisher='@@'><moved xmlns='urn:xmpp:moved:1'><new-jid>"
                  "n@b.example</new-jid></moved></item></items></event>"
                  "</message>"),
        &ms));
    assert_string_equal(ms.publisher, "");
    /* An event of another node, or no statement: nothing. */
    assert_false(xp_moved_statement(
        &a,
        parse(&a, "<message from='o@a.example'><event "
                  "xmlns='http://jabber.org/protocol/pubsub#event'><items "
                  "node='urn:example:x'><item id='current' publisher='o@a."
                  "example'><moved xmlns='urn:xmpp:moved:1'><new-jid>"
                  "n@b.example</new-jid></moved></item></items></event>"
                  "</message>"),
        &ms));
    assert_null(ms.new_jid);
    assert_null(ms.publisher);
    /* Another item of the node is not the statement (and its publisher
     * vouches for nothing). */
    assert_false(xp_moved_statement(
        &a,
        parse(&a, "<message from='o@a.example'><event "
                  "xmlns='http://jabber.org/protocol/pubsub#event'><items "
                  "node='urn:xmpp:moved:1'><item id='x' publisher='o@a."
                  "example'><moved xmlns='urn:xmpp:moved:1'><new-jid>"
                  "n@b.example</new-jid></moved></item></items></event>"
                  "</message>"),
        &ms));
    assert_null(ms.publisher);
    assert_false(xp_moved_statement(&a, NULL, &ms));
    /* <gone/>: the server's own word. */
    assert_true(xp_moved_statement(
        &a,
        parse(&a, "<iq type='error' id='3'><error type='cancel'><gone "
                  "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>"
                  "xmpp:new@b.example</gone></error></iq>"),
        &ms));
    assert_true(ms.gone);
    assert_null(ms.publisher);

    /* Prosody's disco#info on the node, for a contact subscribed to the
     * owner's presence, after the owner opened it to publishers. */
    const xp_elem *info = parse(
        &a, "<iq id='4' type='result' to='p1-bob@old.localhost/probe' "
            "from='p1-alice@old.localhost'><query "
            "xmlns='http://jabber.org/protocol/disco#info' "
            "node='urn:xmpp:moved:1'><identity category='pubsub' "
            "type='leaf'/><x xmlns='jabber:x:data' type='result'><field "
            "type='hidden' var='FORM_TYPE'><value>"
            "http://jabber.org/protocol/pubsub#meta-data</value></field>"
            "<field type='text-single' var='pubsub#title'/><field "
            "type='text-single' var='pubsub#description'/><field "
            "type='text-single' var='pubsub#type'/><field "
            "type='text-single' var='pubsub#access_model'><value>whitelist"
            "</value></field><field type='text-single' "
            "var='pubsub#publish_model'><value>open</value></field></x>"
            "</query></iq>");
    assert_string_equal(xp_pubsub_meta(info, "pubsub#publish_model"), "open");
    assert_string_equal(xp_pubsub_meta(info, "pubsub#access_model"),
                        "whitelist");
    assert_null(xp_pubsub_meta(info, "pubsub#owner"));
    /* Another form's fields do not count; ejabberd's answer has none. */
    assert_null(xp_pubsub_meta(
        parse(&a, "<iq type='result' id='5'><query "
                  "xmlns='http://jabber.org/protocol/disco#info'><x "
                  "xmlns='jabber:x:data' type='result'><field "
                  "var='FORM_TYPE'><value>urn:example:other</value></field>"
                  "<field var='pubsub#publish_model'><value>publishers"
                  "</value></field></x></query></iq>"),
        "pubsub#publish_model"));
    assert_null(xp_pubsub_meta(
        parse(&a, "<iq id='6' type='result' from='e1-alice@new.localhost'>"
                  "<query xmlns='http://jabber.org/protocol/disco#info' "
                  "node='urn:xmpp:moved:1'><identity category='pubsub' "
                  "type='pep'/><identity category='pubsub' type='leaf'/>"
                  "<feature var='http://jabber.org/protocol/pubsub'/>"
                  "</query></iq>"),
        "pubsub#publish_model"));
    assert_null(xp_pubsub_meta(NULL, "pubsub#publish_model"));
    xp_arena_cleanup(&a);
}

/* A notice whose old JID is no account's bare JID says what is wrong with
 * it (follow-moves reports "malformed moved notice", not "no notice"). */
static void moved_notice_malformed_says_why(void **state)
{
    (void)state;
    static const struct {
        const char *old_jid; /* NULL: no <old-jid> element */
        const char *why;     /* a word of the reason */
    } cases[] = {
        {"old@a.example/phone", "full JID"},
        {"@a.example", "empty localpart"},
        {"old@", "empty domainpart"},
        {"old@a@b.example", "more than one '@'"},
        {"xmpp:old@a.example", "xmpp: URI"},
        {"XMPP:old@a.example", "xmpp: URI"},
        {" old@a.example", "white space"},
        {"old@a.example\n", "white space"},
        {"old @a.example", "white space"},
        {"a.example", "no localpart"},
        {"", "empty"},
        {NULL, "no <old-jid>"},
    };
    struct xp_arena a;
    xp_arena_init(&a, 0);
    char xml[512];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (cases[i].old_jid)
            snprintf(xml, sizeof xml,
                     "<presence type='subscribe'><moved "
                     "xmlns='urn:xmpp:moved:1'><old-jid>%s</old-jid></moved>"
                     "</presence>",
                     cases[i].old_jid);
        else
            snprintf(xml, sizeof xml,
                     "<presence type='subscribe'><moved "
                     "xmlns='urn:xmpp:moved:1'/></presence>");
        const char *why = NULL;
        const char *old = xp_moved_notice(&a, parse(&a, xml), &why);
        if (old || !why || !strstr(why, cases[i].why))
            fail_msg("case %zu (%s): old %s, why %s", i,
                     cases[i].old_jid ? cases[i].old_jid : "none",
                     old ? old : "NULL", why ? why : "NULL");
        assert_null(xp_moved_old_jid(&a, parse(&a, xml)));
    }
    /* No notice at all: no reason; a good one: the JID, no reason. */
    const char *why = "x";
    assert_null(
        xp_moved_notice(&a, parse(&a, "<presence type='subscribe'/>"), &why));
    assert_null(why);
    const char *old = xp_moved_notice(
        &a,
        parse(&a, "<presence type='subscribe'><moved "
                  "xmlns='urn:xmpp:moved:1'><old-jid>Old@A.example</old-jid>"
                  "</moved></presence>"),
        &why);
    assert_non_null(old);
    assert_string_equal(old, "Old@A.example");
    assert_null(why);
    xp_arena_cleanup(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(queries_serialise_as_the_xeps_say),
        cmocka_unit_test(queries_survive_the_stanza_conversion),
        cmocka_unit_test(disco_features_of_both_servers),
        cmocka_unit_test(disco_pep_nodes_of_both_servers),
        cmocka_unit_test(roster_of_both_servers),
        cmocka_unit_test(roster_skips_items_without_jid),
        cmocka_unit_test(pending_requests_of_both_servers),
        cmocka_unit_test(pending_rejects_other_stanzas),
        cmocka_unit_test(pending_copies_deep_payloads_without_recursion),
        cmocka_unit_test(vcard_of_both_servers),
        cmocka_unit_test(vcard_none),
        cmocka_unit_test(private_of_both_servers),
        cmocka_unit_test(private_bookmarks_mirrored_by_prosody_only),
        cmocka_unit_test(private_known_namespaces),
        cmocka_unit_test(blocklist_of_both_servers),
        cmocka_unit_test(blocklist_skips_items_without_jid),
        cmocka_unit_test(privacy_names_of_ejabberd),
        cmocka_unit_test(privacy_lists_of_ejabberd),
        cmocka_unit_test(privacy_list_keeps_wellformed_items),
        cmocka_unit_test(pep_configure_of_both_servers),
        cmocka_unit_test(pep_configure_without_node_attribute),
        cmocka_unit_test(pep_affiliations_of_both_servers),
        cmocka_unit_test(pep_items_of_both_servers),
        cmocka_unit_test(pep_items_paged_by_ejabberd),
        cmocka_unit_test(pep_items_untrusted),
        cmocka_unit_test(moved_builders_serialise_as_the_xep_says),
        cmocka_unit_test(moved_statement_decoded_and_forgeries_refused),
        cmocka_unit_test(moved_statement_publisher_and_publish_model),
        cmocka_unit_test(moved_notice_malformed_says_why),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
