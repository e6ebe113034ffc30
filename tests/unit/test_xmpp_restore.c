/* lib/xmpp: the restore builders (xmpp_kinds.h, "Restoring"): the payloads
 * of the IQ sets that put records back into an account.
 *
 * Inputs are records as the decoders make them from the replies captured
 * on Prosody 0.12 and ejabberd 23.01 (tests/data/stanzas), plus synthetic
 * ones (marked so) for what the servers never send: fields a client may
 * not set, malformed entries, deep nesting, a full arena.  Outputs are
 * checked as exact serialised text: what goes on the wire.  Which of
 * these requests each server accepts, and in which order, is
 * tests/integration/restore_live.c. */
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

/* A payload written as XML (its namespaces declared in the text). */
static xp_elem *parse(struct xp_arena *a, const char *xml)
{
    return parse_ns(a, xml, "");
}

/* A captured reply from tests/data/stanzas. */
static xp_elem *load(struct xp_arena *a, const char *name)
{
    char rel[256];
    snprintf(rel, sizeof rel, "stanzas/%s.xml", name);
    char *text = slurp(data_path(rel), NULL);
    if (!text)
        fail_msg("cannot read %s", data_path(rel));
    xp_elem *e = parse_ns(a, text, XP_NS_CLIENT);
    free(text);
    return e;
}

/* The first record a decoder makes of a captured reply (copied). */
struct first {
    struct xp_arena *a;
    xp_elem *payload;
};

static void keep_first(void *ud, xporta_record *rec)
{
    struct first *f = ud;
    if (!f->payload)
        f->payload = xp_elem_clone(f->a, rec->payload);
}

/* The record of kind-specific decoder `dec` for reply `name` whose key
 * attribute `attr` is `value` (NULL: the first). */
struct pick {
    struct xp_arena *a;
    const char *attr, *value;
    xp_elem *payload;
};

static void pick_one(void *ud, xporta_record *rec)
{
    struct pick *p = ud;
    if (!p->payload &&
        (!p->attr ||
         xp_streq(xp_elem_attr_ns(rec->payload, "", p->attr), p->value)))
        p->payload = xp_elem_clone(p->a, rec->payload);
}

static char *ser(const xp_elem *e)
{
    struct xp_buf b;
    xp_buf_init(&b, 1 << 24);
    assert_int_equal(xp_elem_serialize(&b, e, ""), XPORTA_OK);
    char *s = strdup(xp_buf_str(&b));
    xp_buf_cleanup(&b);
    return s;
}

/* The exact text a builder made. */
static void assert_out_at(const xp_elem *got, const char *want,
                          const char *file, int line)
{
    if (!got) {
        print_error("%s:%d: builder returned NULL\n", file, line);
        fail();
    }
    char *g = ser(got);
    if (strcmp(g, want) != 0) {
        print_error("%s:%d: output differs\n  got:  %s\n  want: %s\n", file,
                    line, g, want);
        free(g);
        fail();
    }
    free(g);
}
#define assert_out(got, want) assert_out_at(got, want, __FILE__, __LINE__)

#define NC "http://jabber.org/protocol/pubsub#node_config"
#define PO "http://jabber.org/protocol/pubsub#publish-options"
#define FT(type) \
    "<field var='FORM_TYPE' type='hidden'><value>" type "</value></field>"
#define F(var, value) \
    "<field var='pubsub#" var "'><value>" value "</value></field>"

/* ---- roster -------------------------------------------------------------- */

static void roster_set_keeps_jid_name_groups(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    struct pick p = {&a, "jid", "x1bob@old.localhost", NULL};
    assert_int_equal(
        xp_roster_decode(&a, load(&a, "prosody-roster"), pick_one, &p),
        XPORTA_OK);
    /* subscription='both' goes; the groups stay in the server's order. */
    assert_out(xp_roster_set(&a, p.payload),
               "<query xmlns='jabber:iq:roster'><item "
               "jid='x1bob@old.localhost' name='Bob Example'><group>Work"
               "</group><group>Friends</group></item></query>");
    /* ask='subscribe' is a pending request, not something to set. */
    p.value = "x1frank@old.localhost";
    p.payload = NULL;
    xp_roster_decode(&a, load(&a, "prosody-roster"), pick_one, &p);
    assert_out(xp_roster_set(&a, p.payload),
               "<query xmlns='jabber:iq:roster'><item "
               "jid='x1frank@old.localhost' name='Frank F'/></query>");
    p.value = "x1erin@new.localhost";
    p.payload = NULL;
    xp_roster_decode(&a, load(&a, "ejabberd-roster"), pick_one, &p);
    assert_out(xp_roster_set(&a, p.payload),
               "<query xmlns='jabber:iq:roster'><item "
               "jid='x1erin@new.localhost' name='Erin E'><group>Friends"
               "</group><group>Old</group></item></query>");
    xp_arena_cleanup(&a);
}

static void roster_set_strips_what_a_client_cannot_set(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    /* Synthetic: every server-side attribute, an empty name, empty and
     * repeated groups (RFC 6121 §2.3.3: not-acceptable, bad-request),
     * foreign children. */
    xp_elem *item = parse(
        &a, "<item xmlns='jabber:iq:roster' jid='a@b' name='' "
            "subscription='remove' ask='subscribe' approved='true' "
            "xml:lang='en'><group>G &amp; H</group><group/><group>G &amp; "
            "H</group><note xmlns='urn:x'>n</note><group>Z</group></item>");
    assert_out(xp_roster_set(&a, item),
               "<query xmlns='jabber:iq:roster'><item jid='a@b'><group>G "
               "&amp; H</group><group>Z</group></item></query>");
    /* NULL: nothing to set. */
    assert_null(xp_roster_set(&a, NULL));
    assert_null(xp_roster_set(
        &a, parse(&a, "<item xmlns='jabber:iq:roster' name='no jid'/>")));
    assert_null(xp_roster_set(
        &a, parse(&a, "<item xmlns='jabber:iq:roster' jid=''/>")));
    assert_null(
        xp_roster_set(&a, parse(&a, "<item xmlns='urn:x' jid='a@b'/>")));
    assert_null(xp_roster_set(
        &a, parse(&a, "<query xmlns='jabber:iq:roster' jid='a@b'/>")));
    xp_arena_cleanup(&a);
}

/* A roster item with many groups, most of them the same: the output has
 * each once, in first-seen order, in linear work. */
static void roster_set_many_groups(void **state)
{
    (void)state;
    enum { N = 100000 };
    struct xp_arena a;
    xp_arena_init(&a, 0);
    xp_elem *item = xp_elem_new(&a, XP_NS_ROSTER, "item");
    xp_elem_set_attr(&a, item, "", "jid", "a@b");
    for (int i = 0; i < N; i++) {
        char g[16];
        snprintf(g, sizeof g, "g%d", i % 3);
        xp_elem_add_text_child(&a, item, XP_NS_ROSTER, "group", g);
    }
    assert_out(xp_roster_set(&a, item),
               "<query xmlns='jabber:iq:roster'><item jid='a@b'><group>g0"
               "</group><group>g1</group><group>g2</group></item></query>");
    xp_arena_cleanup(&a);
}

/* ---- vCard, private, blocking, privacy, MAM ------------------------------ */

static void vcard_set_copies_the_vcard(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    static const char *const files[] = {"prosody-vcard", "ejabberd-vcard"};
    for (size_t i = 0; i < 2; i++) {
        struct first f = {&a, NULL};
        assert_int_equal(
            xp_vcard_decode(&a, load(&a, files[i]), keep_first, &f), XPORTA_OK);
        xp_elem *v = xp_vcard_set(&a, f.payload);
        assert_non_null(v);
        assert_ptr_not_equal(v, f.payload); /* a copy */
        assert_true(xp_elem_equal(v, f.payload));
    }
    xp_elem *v = parse(&a, "<vCard xmlns='vcard-temp'><FN>A &amp; B</FN>"
                           "<PHOTO><TYPE>image/png</TYPE><BINVAL>AAAA</BINVAL>"
                           "</PHOTO></vCard>");
    assert_out(xp_vcard_set(&a, v),
               "<vCard xmlns='vcard-temp'><FN>A &amp; B</FN><PHOTO><TYPE>"
               "image/png</TYPE><BINVAL>AAAA</BINVAL></PHOTO></vCard>");
    assert_null(xp_vcard_set(&a, NULL));
    assert_null(xp_vcard_set(&a, parse(&a, "<vcard xmlns='urn:ietf:params:"
                                           "xml:ns:vcard-4.0'/>")));
    xp_arena_cleanup(&a);
}

static void private_set_wraps_one_element(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    struct first f = {&a, NULL};
    xp_private_decode(&a, load(&a, "prosody-private-exodus"), keep_first, &f);
    assert_out(xp_private_set(&a, f.payload),
               "<query xmlns='jabber:iq:private'><exodus "
               "xmlns='exodus:prefs'><defaultnick>Ally</defaultnick>"
               "</exodus></query>");
    f.payload = NULL;
    xp_private_decode(&a, load(&a, "ejabberd-private-rosternotes"), keep_first,
                      &f);
    assert_out(xp_private_set(&a, f.payload),
               "<query xmlns='jabber:iq:private'><storage "
               "xmlns='storage:rosternotes'><note "
               "mdate='2024-02-03T04:05:06Z' jid='x1bob@new.localhost' "
               "cdate='2024-01-02T03:04:05Z'>Met at the conference</note>"
               "</storage></query>");
    /* Prosody's XEP-0048 view of the XEP-0402 bookmarks: as read. */
    f.payload = NULL;
    xp_private_decode(&a, load(&a, "prosody-private-bookmarks"), keep_first,
                      &f);
    xp_elem *q = xp_private_set(&a, f.payload);
    assert_non_null(q);
    assert_true(xp_elem_equal(xp_elem_first_element(q), f.payload));
    /* An attribute alone is content. */
    assert_out(xp_private_set(&a, parse(&a, "<p xmlns='urn:x' v='1'/>")),
               "<query xmlns='jabber:iq:private'><p xmlns='urn:x' v='1'/>"
               "</query>");
    /* NULL: nothing stored (an empty storage:bookmarks would make
     * Prosody's mod_bookmarks purge the XEP-0402 node), no namespace, the
     * private namespace itself, a text node. */
    assert_null(xp_private_set(&a, NULL));
    assert_null(
        xp_private_set(&a, parse(&a, "<storage xmlns='storage:bookmarks'/>")));
    assert_null(xp_private_set(
        &a, parse(&a, "<storage xmlns='storage:bookmarks'>  </storage>")));
    assert_null(xp_private_set(&a, parse(&a, "<x><y/></x>")));
    assert_null(xp_private_set(
        &a, parse(&a, "<query xmlns='jabber:iq:private'><y/></query>")));
    xp_elem *text = xp_elem_new(&a, "", NULL);
    text->text = "t";
    text->text_len = 1;
    assert_null(xp_private_set(&a, text));
    xp_arena_cleanup(&a);
}

static void block_set_lists_the_jids(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    const char *jids[] = {"spam@spam.example", NULL, "", "troll@x&y"};
    assert_out(xp_block_set(&a, jids, 4),
               "<block xmlns='urn:xmpp:blocking'><item "
               "jid='spam@spam.example'/><item jid='troll@x&amp;y'/></block>");
    /* XEP-0191 §3.3: a block without items is an error. */
    assert_null(xp_block_set(&a, jids, 0));
    assert_null(xp_block_set(&a, jids + 1, 2));
    assert_null(xp_block_set(&a, NULL, 3));
    xp_arena_cleanup(&a);
}

static void privacy_list_set_of_ejabberd(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    struct first f = {&a, NULL};
    assert_int_equal(
        xp_privacy_list_decode(&a, load(&a, "ejabberd-privacy-list-work"),
                               keep_first, &f),
        XPORTA_OK);
    assert_out(xp_privacy_list_set(&a, f.payload),
               "<query xmlns='jabber:iq:privacy'><list name='work'><item "
               "type='jid' value='x1frank@new.localhost' action='deny' "
               "order='1'><presence-in/><message/></item><item "
               "type='group' value='Work' action='allow' order='2'/><item "
               "type='subscription' value='none' action='deny' order='3'>"
               "<iq/></item><item action='allow' order='4'/></list></query>");
    xp_arena_cleanup(&a);
}

static void privacy_list_set_strips_and_refuses(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    /* Synthetic: items without action or order go, unknown attributes
     * and children go, the stanza kinds stay. */
    xp_elem *list = parse(
        &a, "<list xmlns='jabber:iq:privacy' name='l' x='1'><item "
            "action='deny' order='1' type='jid' value='a@b' extra='e'>"
            "<message/><iq/><presence-in/><presence-out/><other/><message "
            "xmlns='urn:x'/></item><item order='2'/><item action='allow'/>"
            "<note xmlns='urn:x' action='allow' order='3'/></list>");
    assert_out(xp_privacy_list_set(&a, list),
               "<query xmlns='jabber:iq:privacy'><list name='l'><item "
               "type='jid' value='a@b' action='deny' order='1'><message/>"
               "<iq/><presence-in/><presence-out/></item></list></query>");
    /* XEP-0016 §2.6: a list without items removes the list. */
    assert_null(xp_privacy_list_set(
        &a, parse(&a, "<list xmlns='jabber:iq:privacy' name='l'/>")));
    assert_null(xp_privacy_list_set(
        &a, parse(&a, "<list xmlns='jabber:iq:privacy' name='l'><item "
                      "order='1'/></list>")));
    assert_null(xp_privacy_list_set(
        &a, parse(&a, "<list xmlns='jabber:iq:privacy'><item action='allow' "
                      "order='1'/></list>")));
    assert_null(xp_privacy_list_set(
        &a, parse(&a, "<default xmlns='jabber:iq:privacy' name='l'/>")));
    assert_null(xp_privacy_list_set(&a, NULL));
    xp_arena_cleanup(&a);
}

static void privacy_default_and_active(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    assert_out(xp_privacy_default_set(&a, "work", false),
               "<query xmlns='jabber:iq:privacy'><default name='work'/>"
               "</query>");
    assert_out(xp_privacy_default_set(&a, "Blocked contacts", true),
               "<query xmlns='jabber:iq:privacy'><active name='Blocked "
               "contacts'/></query>");
    /* Declining the default (no name) is not a restore. */
    assert_null(xp_privacy_default_set(&a, NULL, false));
    assert_null(xp_privacy_default_set(&a, "", true));
    xp_arena_cleanup(&a);
}

static void mam_prefs_set_of_both_servers(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    struct first f = {&a, NULL};
    xp_mam_prefs_decode(&a, load(&a, "prosody-mam-prefs"), keep_first, &f);
    assert_out(xp_mam_prefs_set(&a, f.payload),
               "<prefs xmlns='urn:xmpp:mam:2' default='always'><always><jid>"
               "x1bob@old.localhost</jid></always><never><jid>"
               "x1erin@old.localhost</jid></never></prefs>");
    f.payload = NULL;
    xp_mam_prefs_decode(&a, load(&a, "ejabberd-mam-prefs"), keep_first, &f);
    assert_out(xp_mam_prefs_set(&a, f.payload),
               "<prefs xmlns='urn:xmpp:mam:2' default='always'><always><jid>"
               "x1bob@new.localhost</jid></always><never><jid>"
               "x1erin@new.localhost</jid></never></prefs>");
    /* Synthetic: both lists always (a set replaces them), empty and
     * foreign entries dropped, lists merged, other attributes dropped. */
    assert_out(
        xp_mam_prefs_set(
            &a, parse(&a, "<prefs xmlns='urn:xmpp:mam:2' default='roster' "
                          "x='1'><never><jid/><jid>a@b</jid><other>c@d"
                          "</other></never><never><jid>e@f</jid></never>"
                          "<note xmlns='urn:x'/></prefs>")),
        "<prefs xmlns='urn:xmpp:mam:2' default='roster'><always/><never>"
        "<jid>a@b</jid><jid>e@f</jid></never></prefs>");
    assert_null(xp_mam_prefs_set(
        &a, parse(&a, "<prefs xmlns='urn:xmpp:mam:2'><always/></prefs>")));
    assert_null(xp_mam_prefs_set(
        &a, parse(&a, "<prefs xmlns='urn:xmpp:mam:1' default='always'/>")));
    assert_null(xp_mam_prefs_set(&a, NULL));
    xp_arena_cleanup(&a);
}

/* ---- PEP ----------------------------------------------------------------- */

/* The <configure> record of a captured reply. */
static xp_elem *configure_of(struct xp_arena *a, const char *file)
{
    struct first f = {a, NULL};
    assert_int_equal(xp_pep_configure_decode(a, load(a, file),
                                             "urn:xmpp:bookmarks:1", keep_first,
                                             &f),
                     XPORTA_OK);
    assert_non_null(f.payload);
    return f.payload;
}

static void pep_config_form_of_prosody(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    xp_elem *c = configure_of(&a, "prosody-pep-configure");
    /* Title and description have no value in Prosody's form: left out;
     * the list fields' <option>s are not values. */
    assert_out(
        xp_pep_config_form(&a, c, XP_PEP_CONFIG_FULL, NC),
        "<x xmlns='jabber:x:data' type='submit'>" FT(NC)
            F("access_model", "whitelist") F("max_items", "max")
                F("persist_items", "1") F("send_last_published_item", "never")
                    F("publish_model", "publishers") F("notify_delete", "1")
                        F("notify_retract", "1") F("deliver_notifications", "1")
                            F("deliver_payloads", "1") "</x>");
    assert_out(xp_pep_config_form(&a, c, XP_PEP_CONFIG_SAFE, PO),
               "<x xmlns='jabber:x:data' type='submit'>" FT(PO)
                   F("access_model", "whitelist") F("max_items", "max")
                       F("persist_items", "1") "</x>");
    assert_out(xp_pep_config_form(&a, c, XP_PEP_CONFIG_ACCESS, PO),
               "<x xmlns='jabber:x:data' type='submit'>" FT(PO)
                   F("access_model", "whitelist") "</x>");
    xp_arena_cleanup(&a);
}

static void pep_config_form_of_ejabberd(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    xp_elem *c = configure_of(&a, "ejabberd-pep-configure");
    /* ejabberd's own fields (itemreply, max_payload_size, purge_offline,
     * ...) are not carried; its notify_config is. */
    assert_out(
        xp_pep_config_form(&a, c, XP_PEP_CONFIG_FULL, NC),
        "<x xmlns='jabber:x:data' type='submit'>" FT(NC)
            F("access_model", "whitelist") F("max_items", "max")
                F("persist_items", "1") F("send_last_published_item", "never")
                    F("publish_model", "publishers") F("notify_config", "0")
                        F("notify_delete", "0") F("notify_retract", "0")
                            F("deliver_notifications", "1")
                                F("deliver_payloads", "1") "</x>");
    assert_out(xp_pep_config_form(&a, c, XP_PEP_CONFIG_SAFE, NC),
               "<x xmlns='jabber:x:data' type='submit'>" FT(NC)
                   F("access_model", "whitelist") F("max_items", "max")
                       F("persist_items", "1") "</x>");
    assert_out(xp_pep_config_form(&a, c, XP_PEP_CONFIG_ACCESS, NC),
               "<x xmlns='jabber:x:data' type='submit'>" FT(NC)
                   F("access_model", "whitelist") "</x>");
    xp_arena_cleanup(&a);
}

static void pep_config_form_untrusted(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    /* Synthetic, as a XEP-0227 file carries it (type='submit', fields
     * without values): the first field of a name counts, empty values
     * go, several values stay, title and description come last. */
    xp_elem *c = parse(
        &a, "<configure xmlns='http://jabber.org/protocol/pubsub#owner' "
            "node='n'><x xmlns='jabber:x:data' type='submit'>"
            "<field var='pubsub#title'><value>T &amp; U</value></field>"
            "<field var='pubsub#access_model'/>"
            "<field var='pubsub#access_model'><value>open</value></field>"
            "<field var='pubsub#max_items'><value/><value>10</value>"
            "<value>20</value></field>"
            "<field var='pubsub#notify_sub' type='boolean'><value>true"
            "</value></field>"
            "<field var='pubsub#description'><value></value></field>"
            "<field var='pubsub#type'><value>urn:x</value></field>"
            "<other var='pubsub#persist_items'><value>1</value></other>"
            "<field var='pubsub#persist_items' xmlns='urn:x'><value>1</value>"
            "</field></x></configure>");
    assert_out(
        xp_pep_config_form(&a, c, XP_PEP_CONFIG_FULL, NC),
        "<x xmlns='jabber:x:data' type='submit'>" FT(
            NC) "<field var='pubsub#max_items'><value>10</value><value>20"
                "</value></field>" F("notify_sub", "true")
                    F("title", "T &amp; U") "</x>");
    /* access_model's first field has no value: nothing for ACCESS. */
    assert_null(xp_pep_config_form(&a, c, XP_PEP_CONFIG_ACCESS, NC));
    /* NULL: no record, no form, no form type, an unknown level. */
    assert_null(xp_pep_config_form(&a, NULL, XP_PEP_CONFIG_FULL, NC));
    assert_null(xp_pep_config_form(
        &a,
        parse(&a, "<configure xmlns='http://jabber.org/protocol/pubsub#owner'"
                  " node='n'/>"),
        XP_PEP_CONFIG_FULL, NC));
    assert_null(xp_pep_config_form(&a, c, XP_PEP_CONFIG_FULL, NULL));
    assert_null(xp_pep_config_form(&a, c, XP_PEP_CONFIG_FULL, ""));
    assert_null(xp_pep_config_form(&a, c, (enum xp_pep_config)7, NC));
    xp_arena_cleanup(&a);
}

static void pep_create_and_configure(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    xp_elem *c = configure_of(&a, "ejabberd-pep-configure");
    xp_elem *form = xp_pep_config_form(&a, c, XP_PEP_CONFIG_ACCESS, NC);
    assert_out(xp_pep_create(&a, "urn:xmpp:bookmarks:1", form),
               "<pubsub xmlns='http://jabber.org/protocol/pubsub'><create "
               "node='urn:xmpp:bookmarks:1'/><configure><x "
               "xmlns='jabber:x:data' type='submit'>" FT(NC)
                   F("access_model", "whitelist") "</x></configure>"
                                                  "</pubsub>");
    /* The server's defaults. */
    assert_out(xp_pep_create(&a, "n&m", NULL),
               "<pubsub xmlns='http://jabber.org/protocol/pubsub'><create "
               "node='n&amp;m'/></pubsub>");
    assert_out(xp_pep_configure_set(&a, "urn:xmpp:bookmarks:1", form),
               "<pubsub xmlns='http://jabber.org/protocol/pubsub#owner'>"
               "<configure node='urn:xmpp:bookmarks:1'><x "
               "xmlns='jabber:x:data' type='submit'>" FT(NC)
                   F("access_model", "whitelist") "</x></configure>"
                                                  "</pubsub>");
    /* The form is copied, not moved. */
    assert_null(form->parent);
    assert_null(xp_pep_create(&a, NULL, form));
    assert_null(xp_pep_create(&a, "", form));
    assert_null(xp_pep_create(&a, "n", c)); /* not a data form */
    assert_null(xp_pep_configure_set(&a, "n", NULL));
    assert_null(xp_pep_configure_set(&a, NULL, form));
    assert_null(xp_pep_configure_set(&a, "n", c));
    xp_arena_cleanup(&a);
}

static void pep_publish_of_both_servers(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    static const char *const files[] = {"prosody-pep-items-metadata",
                                        "ejabberd-pep-items-metadata"};
    for (size_t i = 0; i < 2; i++) {
        struct first f = {&a, NULL};
        const char *last;
        bool complete;
        assert_int_equal(xp_pep_items_decode(&a, load(&a, files[i]),
                                             "urn:xmpp:avatar:metadata",
                                             keep_first, &f, &last, &complete),
                         XPORTA_OK);
        xp_elem *p =
            xp_pep_publish(&a, "urn:xmpp:avatar:metadata", f.payload, NULL);
        assert_non_null(p);
        const xp_elem *item = xp_elem_first_element(xp_elem_first_element(p));
        assert_true(xp_elem_equal(item, f.payload));
    }
    xp_elem *c = configure_of(&a, "ejabberd-pep-configure");
    struct first f = {&a, NULL};
    const char *last;
    bool complete;
    xp_pep_items_decode(&a, load(&a, "ejabberd-pep-items-bookmarks"),
                        "urn:xmpp:bookmarks:1", keep_first, &f, &last,
                        &complete);
    assert_out(
        xp_pep_publish(&a, "urn:xmpp:bookmarks:1", f.payload,
                       xp_pep_config_form(&a, c, XP_PEP_CONFIG_SAFE, PO)),
        "<pubsub xmlns='http://jabber.org/protocol/pubsub'><publish "
        "node='urn:xmpp:bookmarks:1'><item "
        "id='room1@conference.new.localhost'><conference "
        "xmlns='urn:xmpp:bookmarks:1' autojoin='true' name='Room 1'><nick>"
        "Ally</nick></conference></item></publish><publish-options><x "
        "xmlns='jabber:x:data' type='submit'>" FT(PO)
            F("access_model", "whitelist") F("max_items", "max")
                F("persist_items", "1") "</x></publish-options></pubsub>");
    xp_arena_cleanup(&a);
}

static void pep_publish_strips_the_publisher(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    /* Synthetic: an item as a file or an event carries it. */
    xp_elem *item = parse(
        &a, "<item xmlns='http://jabber.org/protocol/pubsub' id='current' "
            "publisher='old@example.org/phone' x='1'>\n  <nick "
            "xmlns='http://jabber.org/protocol/nick'>Ally</nick>\n</item>");
    assert_out(
        xp_pep_publish(&a, "http://jabber.org/protocol/nick", item, NULL),
        "<pubsub xmlns='http://jabber.org/protocol/pubsub'><publish "
        "node='http://jabber.org/protocol/nick'><item id='current'>"
        "<nick xmlns='http://jabber.org/protocol/nick'>Ally</nick>"
        "</item></publish></pubsub>");
    item = parse(&a, "<item xmlns='http://jabber.org/protocol/pubsub#event' "
                     "publisher='a@b'><x xmlns='urn:x'>t</x></item>");
    assert_out(xp_pep_publish(&a, "n", item, NULL),
               "<pubsub xmlns='http://jabber.org/protocol/pubsub'><publish "
               "node='n'><item><x xmlns='urn:x'>t</x></item></publish>"
               "</pubsub>");
    assert_null(xp_pep_publish(&a, NULL, item, NULL));
    assert_null(xp_pep_publish(&a, "", item, NULL));
    assert_null(xp_pep_publish(&a, "n", NULL, NULL));
    assert_null(
        xp_pep_publish(&a, "n", parse(&a, "<item xmlns='urn:x'/>"), NULL));
    assert_null(xp_pep_publish(&a, "n", item, item)); /* not a form */
    xp_arena_cleanup(&a);
}

static void pep_affiliations_set_leaves_owners(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    /* ejabberd lists only the owner: nothing to set. */
    struct first f = {&a, NULL};
    assert_int_equal(
        xp_pep_affiliations_decode(&a, load(&a, "ejabberd-pep-affiliations"),
                                   "urn:xmpp:bookmarks:1", keep_first, &f),
        XPORTA_OK);
    assert_non_null(f.payload);
    assert_null(xp_pep_affiliations_set(&a, "urn:xmpp:bookmarks:1", f.payload));
    /* Synthetic: members, publishers and outcasts stay; owners and
     * malformed entries go. */
    xp_elem *aff = parse(
        &a, "<affiliations xmlns='http://jabber.org/protocol/pubsub#owner' "
            "node='n'><affiliation jid='me@old' affiliation='owner'/>"
            "<affiliation jid='bob@x' affiliation='member' x='1'/>"
            "<affiliation jid='' affiliation='member'/><affiliation "
            "affiliation='member'/><affiliation jid='c@x'/><affiliation "
            "jid='eve@x' affiliation='outcast'/><other jid='d@x' "
            "affiliation='member'/><affiliation jid='p@x' "
            "affiliation='publisher'/></affiliations>");
    assert_out(xp_pep_affiliations_set(&a, "n", aff),
               "<pubsub xmlns='http://jabber.org/protocol/pubsub#owner'>"
               "<affiliations node='n'><affiliation jid='bob@x' "
               "affiliation='member'/><affiliation jid='eve@x' "
               "affiliation='outcast'/><affiliation jid='p@x' "
               "affiliation='publisher'/></affiliations></pubsub>");
    assert_null(xp_pep_affiliations_set(&a, NULL, aff));
    assert_null(xp_pep_affiliations_set(&a, "", aff));
    assert_null(xp_pep_affiliations_set(&a, "n", NULL));
    xp_arena_cleanup(&a);
}

/* ---- what every builder shares ------------------------------------------- */

/* One of each, from the captured replies. */
static size_t build_all(struct xp_arena *a, xp_elem **out, size_t cap,
                        const xp_elem *const *in)
{
    const char *jids[] = {"spam@spam.example", "troll@new.localhost"};
    xp_elem *form = xp_pep_config_form(a, in[5], XP_PEP_CONFIG_FULL, NC);
    xp_elem *opts = xp_pep_config_form(a, in[5], XP_PEP_CONFIG_SAFE, PO);
    xp_elem *all[] = {
        xp_roster_set(a, in[0]),
        xp_vcard_set(a, in[1]),
        xp_private_set(a, in[2]),
        xp_block_set(a, jids, 2),
        xp_privacy_list_set(a, in[3]),
        xp_privacy_default_set(a, "work", false),
        xp_mam_prefs_set(a, in[4]),
        form,
        /* (without the form they would build something else) */
        form ? xp_pep_create(a, "urn:xmpp:bookmarks:1", form) : NULL,
        xp_pep_configure_set(a, "urn:xmpp:bookmarks:1", form),
        opts ? xp_pep_publish(a, "urn:xmpp:bookmarks:1", in[6], opts) : NULL,
        xp_pep_affiliations_set(a, "urn:xmpp:bookmarks:1", in[7]),
    };
    size_t n = sizeof all / sizeof all[0];
    assert_true(n <= cap);
    memcpy(out, all, sizeof all);
    return n;
}

static void load_inputs(struct xp_arena *a, const xp_elem **in)
{
    struct first f[5] = {{a, NULL}, {a, NULL}, {a, NULL}, {a, NULL}, {a, NULL}};
    struct pick p = {a, "jid", "x1bob@new.localhost", NULL};
    xp_roster_decode(a, load(a, "ejabberd-roster"), pick_one, &p);
    xp_vcard_decode(a, load(a, "ejabberd-vcard"), keep_first, &f[0]);
    xp_private_decode(a, load(a, "ejabberd-private-exodus"), keep_first, &f[1]);
    xp_privacy_list_decode(a, load(a, "ejabberd-privacy-list-work"), keep_first,
                           &f[2]);
    xp_mam_prefs_decode(a, load(a, "ejabberd-mam-prefs"), keep_first, &f[3]);
    const char *last;
    bool complete;
    xp_pep_items_decode(a, load(a, "ejabberd-pep-items-bookmarks"),
                        "urn:xmpp:bookmarks:1", keep_first, &f[4], &last,
                        &complete);
    in[0] = p.payload;
    in[1] = f[0].payload;
    in[2] = f[1].payload;
    in[3] = f[2].payload;
    in[4] = f[3].payload;
    in[5] = configure_of(a, "ejabberd-pep-configure");
    in[6] = f[4].payload;
    in[7] = parse(a, "<affiliations "
                     "xmlns='http://jabber.org/protocol/pubsub#owner' "
                     "node='urn:xmpp:bookmarks:1'><affiliation "
                     "jid='bob@new.localhost' affiliation='member'/>"
                     "</affiliations>");
    for (size_t i = 0; i < 8; i++)
        assert_non_null(in[i]);
}

/* What goes on the wire: every payload survives the conversion to a
 * libstrophe stanza inside an <iq type='set'> and back unchanged. */
static void restores_survive_the_stanza_conversion(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    const xp_elem *in[8];
    load_inputs(&a, in);
    xp_elem *out[16];
    size_t n = build_all(&a, out, 16, in);
    for (size_t i = 0; i < n; i++) {
        assert_non_null(out[i]);
        xp_elem *iq = xp_elem_new(&a, XP_NS_CLIENT, "iq");
        xp_elem_set_attr(&a, iq, "", "type", "set");
        xp_elem_append(iq, xp_elem_clone(&a, out[i]));
        xmpp_stanza_t *st = NULL;
        assert_int_equal(xp_stanza_from_elem(ctx, iq, XP_STREAM_NS, &st),
                         XPORTA_OK);
        xp_elem *back = NULL;
        assert_int_equal(xp_stanza_to_elem(&a, st, XP_STREAM_NS, &back, NULL),
                         XPORTA_OK);
        xmpp_stanza_release(st);
        assert_true(xp_elem_equal(back, iq));
    }
    /* The inputs are left as they were (copies, never moves). */
    const xp_elem *again[8];
    load_inputs(&a, again);
    for (size_t i = 0; i < 8; i++)
        assert_true(xp_elem_equal(in[i], again[i]));
    xp_arena_cleanup(&a);
}

/* A full arena makes a builder return NULL, at every point it can fail. */
static void restores_fail_cleanly_when_the_arena_is_full(void **state)
{
    (void)state;
    struct xp_arena in_a;
    xp_arena_init(&in_a, 0);
    const xp_elem *in[8];
    load_inputs(&in_a, in);
    /* How much each needs, then every smaller limit. */
    struct xp_arena wa, a;
    xp_arena_init(&wa, 0);
    xp_elem *want[16];
    size_t n = build_all(&wa, want, 16, in);
    size_t total = wa.used_total;
    size_t nulls = 0;
    for (size_t limit = 1; limit < total; limit += 7) {
        xp_arena_init(&a, limit);
        xp_elem *got[16];
        build_all(&a, got, 16, in);
        for (size_t i = 0; i < n; i++) {
            if (!got[i]) {
                nulls++;
                continue;
            }
            /* What was built is whole. */
            char *g = ser(got[i]), *w = ser(want[i]);
            assert_string_equal(g, w);
            free(g);
            free(w);
        }
        xp_arena_cleanup(&a);
    }
    assert_true(nulls > 0);
    xp_arena_cleanup(&wa);
    xp_arena_cleanup(&in_a);
}

/* Copies climb back up instead of recursing: payloads nested far deeper
 * than any stack would take. */
static void restores_copy_deep_payloads_without_recursion(void **state)
{
    (void)state;
    enum { DEPTH = 100000 };
    struct xp_arena a;
    xp_arena_init(&a, 0);
    xp_elem *item = xp_elem_new(&a, XP_NS_PUBSUB, "item");
    xp_elem_set_attr(&a, item, "", "id", "deep");
    xp_elem *vcard = xp_elem_new(&a, XP_NS_VCARD, "vCard");
    xp_elem *stored = xp_elem_new(&a, "urn:deep", "d");
    xp_elem *roots[] = {item, vcard, stored};
    for (size_t r = 0; r < 3; r++) {
        xp_elem *e = roots[r];
        for (int i = 0; i < DEPTH; i++)
            e = xp_elem_add_child(&a, e, "urn:deep", "d");
        xp_elem_add_text(&a, e, "bottom", 6);
    }
    xp_elem *out[] = {
        xp_elem_first_element(
            xp_elem_first_element(xp_pep_publish(&a, "n", item, NULL))),
        xp_vcard_set(&a, vcard),
        xp_elem_first_element(xp_private_set(&a, stored)),
    };
    int want[] = {DEPTH, DEPTH, DEPTH};
    for (size_t r = 0; r < 3; r++) {
        assert_non_null(out[r]);
        assert_ptr_not_equal(out[r], roots[r]);
        int depth = 0;
        const xp_elem *c = out[r];
        while (xp_elem_first_element(c)) {
            c = xp_elem_first_element(c);
            depth++;
        }
        assert_int_equal(depth, want[r]);
        assert_string_equal(xp_elem_text(c), "bottom");
    }
    xp_arena_cleanup(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(roster_set_keeps_jid_name_groups),
        cmocka_unit_test(roster_set_strips_what_a_client_cannot_set),
        cmocka_unit_test(roster_set_many_groups),
        cmocka_unit_test(vcard_set_copies_the_vcard),
        cmocka_unit_test(private_set_wraps_one_element),
        cmocka_unit_test(block_set_lists_the_jids),
        cmocka_unit_test(privacy_list_set_of_ejabberd),
        cmocka_unit_test(privacy_list_set_strips_and_refuses),
        cmocka_unit_test(privacy_default_and_active),
        cmocka_unit_test(mam_prefs_set_of_both_servers),
        cmocka_unit_test(pep_config_form_of_prosody),
        cmocka_unit_test(pep_config_form_of_ejabberd),
        cmocka_unit_test(pep_config_form_untrusted),
        cmocka_unit_test(pep_create_and_configure),
        cmocka_unit_test(pep_publish_of_both_servers),
        cmocka_unit_test(pep_publish_strips_the_publisher),
        cmocka_unit_test(pep_affiliations_set_leaves_owners),
        cmocka_unit_test(restores_survive_the_stanza_conversion),
        cmocka_unit_test(restores_fail_cleanly_when_the_arena_is_full),
        cmocka_unit_test(restores_copy_deep_payloads_without_recursion),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
