/* lib/xmpp: group chats (XEP-0045) and the bookmarks that name them
 * (XEP-0402, XEP-0048): the builders and decoders of xmpp_muc.h.
 *
 * The replies are real: tests/data/stanzas/<server>-muc-*.xml were saved
 * by tests/tools/xp_populate (tests/data/scenarios/capture-muc.xml) from
 * Prosody 0.12 and ejabberd 23.01, in the rooms of
 * docs/research/muc-live.md (boss and uowner owners, umember a member
 * with the reserved nick "memb", uoutcast banned; mo-any is members-only
 * and shows real JIDs).  They are read back the way the session reads the
 * stream: libstrophe's parser, then xp_stanza_to_elem.  The stanzas
 * written inline are synthetic (marked so): what the servers never send,
 * missing or malformed attributes, JIDs of the wrong shape, junk. */
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmpp/xmpp_kinds.h"
#include "xmpp/xmpp_muc.h"
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

/* Parses a stanza as the stream parser would (jabber:client in scope). */
static xp_elem *parse(struct xp_arena *a, const char *xml)
{
    xmpp_stanza_t *st = xmpp_stanza_new_from_string(ctx, xml);
    xp_elem *e = NULL;
    assert_non_null(st);
    assert_int_equal(xp_stanza_to_elem(a, st, XP_NS_CLIENT, &e, NULL),
                     XPORTA_OK);
    xmpp_stanza_release(st);
    return e;
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

/* e serialised with parent_ns in scope ("" for a payload, jabber:client
 * for a stanza), compared with want. */
static void assert_ser_at(const xp_elem *e, const char *parent_ns,
                          const char *want, const char *file, int line)
{
    struct xp_buf b;
    if (!e) {
        print_error("%s:%d: the builder returned NULL\n", file, line);
        fail();
    }
    xp_buf_init(&b, 1 << 20);
    assert_int_equal(xp_elem_serialize(&b, e, parent_ns), XPORTA_OK);
    if (strcmp(xp_buf_str(&b), want) != 0) {
        print_error("%s:%d: serialised differently\n  got:  %s\n  want: %s\n",
                    file, line, xp_buf_str(&b), want);
        xp_buf_cleanup(&b);
        fail();
    }
    xp_buf_cleanup(&b);
}
#define assert_payload(e, want) assert_ser_at(e, "", want, __FILE__, __LINE__)
#define assert_stanza(e, want) \
    assert_ser_at(e, XP_NS_CLIENT, want, __FILE__, __LINE__)

/* Every callback writes one line here; tests compare the whole text. */
struct seen {
    char text[4096];
    size_t n;
};

static void seen_add(struct seen *s, const char *fmt, ...) XP_PRINTF(2, 3);
static void seen_add(struct seen *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t len = strlen(s->text);
    int w = vsnprintf(s->text + len, sizeof s->text - len, fmt, ap);
    va_end(ap);
    assert_true(w >= 0 && (size_t)w < sizeof s->text - len - 1);
    strcat(s->text, "\n");
    s->n++;
}

static const char *or_null(const char *s)
{
    return s ? s : "(null)";
}

static void on_list(void *ud, const char *jid, xp_muc_aff aff, const char *nick)
{
    seen_add(ud, "%s %s %s", jid, xp_muc_aff_name(aff), or_null(nick));
}

static void on_items(void *ud, const char *jid, const char *node,
                     const char *name)
{
    seen_add(ud, "%s|%s|%s", jid, or_null(node), or_null(name));
}

static void on_contact(void *ud, const char *jid)
{
    seen_add(ud, "%s", jid);
}

static void on_bookmark(void *ud, const struct xp_bookmark *b)
{
    seen_add(ud, "%s|%s|%s|%s", b->room, or_null(b->name), or_null(b->nick),
             b->autojoin ? "autojoin" : "-");
}

/* What a decoder reported, one line per call. */
static const char *list_of(struct xp_arena *a, const xp_elem *iq,
                           xporta_status want)
{
    static struct seen s;
    memset(&s, 0, sizeof s);
    assert_int_equal(xp_muc_list_decode(a, iq, on_list, &s), want);
    return s.text;
}

static const char *items_of(const xp_elem *iq, xporta_status want)
{
    static struct seen s;
    memset(&s, 0, sizeof s);
    assert_int_equal(xp_disco_items_each(iq, on_items, &s), want);
    return s.text;
}

static const char *contacts_of(const xp_elem *iq)
{
    static struct seen s;
    memset(&s, 0, sizeof s);
    xp_muc_roominfo_contacts(iq, on_contact, &s);
    return s.text;
}

static const char *bookmarks_of(struct xp_arena *a, const xp_elem *iq)
{
    static struct seen s;
    memset(&s, 0, sizeof s);
    xp_bookmarks_decode(a, iq, on_bookmark, &s);
    return s.text;
}

/* ---- affiliations -------------------------------------------------------- */

static void affiliation_names_round_trip(void **state)
{
    (void)state;
    static const char *const names[] = {"outcast", "none", "member", "admin",
                                        "owner"};
    for (int i = XP_MUC_OUTCAST; i <= XP_MUC_OWNER; i++) {
        assert_string_equal(xp_muc_aff_name((xp_muc_aff)i), names[i]);
        assert_int_equal(xp_muc_aff_parse(names[i]), i);
        assert_int_equal(xp_muc_aff_parse(xp_muc_aff_name((xp_muc_aff)i)), i);
    }
    /* Rank order (XEP-0045 §5.2): decisions compare affiliations. */
    assert_true(XP_MUC_OUTCAST < XP_MUC_NONE && XP_MUC_NONE < XP_MUC_MEMBER &&
                XP_MUC_MEMBER < XP_MUC_ADMIN && XP_MUC_ADMIN < XP_MUC_OWNER);
    assert_true(XP_MUC_UNKNOWN < XP_MUC_OUTCAST);
    assert_string_equal(xp_muc_aff_name(XP_MUC_UNKNOWN), "unknown");
    assert_string_equal(xp_muc_aff_name((xp_muc_aff)5), "unknown");
    assert_string_equal(xp_muc_aff_name((xp_muc_aff)-7), "unknown");
    assert_int_equal(xp_muc_aff_parse("unknown"), XP_MUC_UNKNOWN);
    /* Exact, case-sensitive names only (XEP-0045's enumeration). */
    static const char *const bad[] = {"",       "Owner",     "OWNER",
                                      "owner ", " member",   "owners",
                                      "own",    "moderator", "participant"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(xp_muc_aff_parse(bad[i]), XP_MUC_UNKNOWN);
    assert_int_equal(xp_muc_aff_parse(NULL), XP_MUC_UNKNOWN);
}

/* ---- builders ------------------------------------------------------------ */

static void builders_serialise_as_the_xep_says(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    assert_payload(xp_muc_list_query(&a, XP_MUC_OWNER),
                   "<query xmlns='http://jabber.org/protocol/muc#admin'>"
                   "<item affiliation='owner'/></query>");
    assert_payload(xp_muc_list_query(&a, XP_MUC_ADMIN),
                   "<query xmlns='http://jabber.org/protocol/muc#admin'>"
                   "<item affiliation='admin'/></query>");
    assert_payload(xp_muc_list_query(&a, XP_MUC_MEMBER),
                   "<query xmlns='http://jabber.org/protocol/muc#admin'>"
                   "<item affiliation='member'/></query>");
    assert_payload(xp_muc_list_query(&a, XP_MUC_OUTCAST),
                   "<query xmlns='http://jabber.org/protocol/muc#admin'>"
                   "<item affiliation='outcast'/></query>");

    assert_payload(
        xp_muc_affiliation_set(&a, "alice@new.example", XP_MUC_OWNER,
                               "alice@old.example moved to alice@new.example"),
        "<query xmlns='http://jabber.org/protocol/muc#admin'>"
        "<item affiliation='owner' jid='alice@new.example'>"
        "<reason>alice@old.example moved to alice@new.example</reason>"
        "</item></query>");
    assert_payload(
        xp_muc_affiliation_set(&a, "alice@new.example", XP_MUC_MEMBER, NULL),
        "<query xmlns='http://jabber.org/protocol/muc#admin'>"
        "<item affiliation='member' jid='alice@new.example'/>"
        "</query>");
    /* Text and attribute values are escaped. */
    assert_payload(xp_muc_affiliation_set(&a, "o'brien@new.example",
                                          XP_MUC_ADMIN, "<moved> & \"gone\""),
                   "<query xmlns='http://jabber.org/protocol/muc#admin'>"
                   "<item affiliation='admin' jid='o&apos;brien@new.example'>"
                   "<reason>&lt;moved&gt; &amp; \"gone\"</reason>"
                   "</item></query>");

    assert_stanza(
        xp_muc_join(&a, "mo-any@conference.old.localhost", "memb", false),
        "<presence to='mo-any@conference.old.localhost/memb'>"
        "<x xmlns='http://jabber.org/protocol/muc'>"
        "<history maxstanzas='0'/></x></presence>");
    assert_stanza(
        xp_muc_join(&a, "mo-any@conference.old.localhost", "memb", true),
        "<presence to='mo-any@conference.old.localhost/memb' "
        "type='unavailable'/>");
    /* A nick may hold anything a resource may. */
    assert_stanza(xp_muc_join(&a, "r@c.example", "Zoë & co/2", false),
                  "<presence to='r@c.example/Zoë &amp; co/2'>"
                  "<x xmlns='http://jabber.org/protocol/muc'>"
                  "<history maxstanzas='0'/></x></presence>");

    assert_stanza(xp_chat_message(&a, "boss@old.localhost",
                                  "Please add me <new@x> & thanks"),
                  "<message type='chat' to='boss@old.localhost'>"
                  "<body>Please add me &lt;new@x&gt; &amp; thanks</body>"
                  "</message>");
    xp_arena_cleanup(&a);
}

/* What goes on the wire: each built element survives the conversion to a
 * libstrophe stanza and back unchanged. */
static void builders_survive_the_stanza_conversion(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    xp_elem *payloads[] = {
        xp_muc_list_query(&a, XP_MUC_MEMBER),
        xp_muc_affiliation_set(&a, "n@new.example", XP_MUC_ADMIN, "moved"),
    };
    for (size_t i = 0; i < sizeof payloads / sizeof *payloads; i++) {
        xp_elem *iq = xp_elem_new(&a, XP_NS_CLIENT, "iq");
        xp_elem_set_attr(&a, iq, "", "type", "get");
        xp_elem_append(iq, payloads[i]);
        xmpp_stanza_t *st = NULL;
        assert_int_equal(xp_stanza_from_elem(ctx, iq, XP_STREAM_NS, &st),
                         XPORTA_OK);
        xp_elem *back = NULL;
        assert_int_equal(xp_stanza_to_elem(&a, st, XP_STREAM_NS, &back, NULL),
                         XPORTA_OK);
        xmpp_stanza_release(st);
        assert_true(xp_elem_equal(back, iq));
    }
    xp_elem *stanzas[] = {
        xp_muc_join(&a, "r@c.example", "nick", false),
        xp_muc_join(&a, "r@c.example", "nick", true),
        xp_chat_message(&a, "o@example", "hi & bye"),
    };
    for (size_t i = 0; i < sizeof stanzas / sizeof *stanzas; i++) {
        xmpp_stanza_t *st = NULL;
        assert_non_null(stanzas[i]);
        assert_int_equal(
            xp_stanza_from_elem(ctx, stanzas[i], XP_STREAM_NS, &st), XPORTA_OK);
        xp_elem *back = NULL;
        assert_int_equal(xp_stanza_to_elem(&a, st, XP_STREAM_NS, &back, NULL),
                         XPORTA_OK);
        xmpp_stanza_release(st);
        assert_true(xp_elem_equal(back, stanzas[i]));
    }
    xp_arena_cleanup(&a);
}

/* ---- affiliation lists --------------------------------------------------- */

static void lists_of_both_servers(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    /* Prosody gives the reserved nick, ejabberd the reason (which the
     * decoder does not need); both give bare JIDs. */
    assert_string_equal(list_of(&a, load(&a, "prosody-muc-owners"), XPORTA_OK),
                        "boss@old.localhost owner (null)\n"
                        "uowner@old.localhost owner co\n");
    assert_string_equal(list_of(&a, load(&a, "ejabberd-muc-owners"), XPORTA_OK),
                        "boss@new.localhost owner (null)\n"
                        "uowner@new.localhost owner (null)\n");
    assert_string_equal(list_of(&a, load(&a, "prosody-muc-members"), XPORTA_OK),
                        "umember@old.localhost member memb\n");
    assert_string_equal(
        list_of(&a, load(&a, "ejabberd-muc-members"), XPORTA_OK),
        "umember@new.localhost member (null)\n");
    assert_string_equal(
        list_of(&a, load(&a, "prosody-muc-outcasts"), XPORTA_OK),
        "uoutcast@old.localhost outcast (null)\n");
    assert_string_equal(
        list_of(&a, load(&a, "ejabberd-muc-outcasts"), XPORTA_OK),
        "uoutcast@new.localhost outcast (null)\n");
    xp_arena_cleanup(&a);
}

static void list_refused(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    /* Prosody's refusal carries only the error. */
    xp_elem *p = load(&a, "prosody-muc-forbidden");
    assert_string_equal(xp_elem_attr_ns(p, "", "type"), "error");
    assert_string_equal(list_of(&a, p, XPORTA_EFORMAT), "");
    /* ejabberd's echoes the request: a muc#admin query whose item has no
     * jid, so nothing is reported (callers look at the IQ's type first:
     * the error is what counts). */
    xp_elem *e = load(&a, "ejabberd-muc-forbidden");
    assert_string_equal(xp_elem_attr_ns(e, "", "type"), "error");
    assert_string_equal(list_of(&a, e, XPORTA_OK), "");
    /* Not a list at all. */
    assert_string_equal(
        list_of(&a, load(&a, "prosody-muc-room-info"), XPORTA_EFORMAT), "");
    xp_arena_cleanup(&a);
}

static void list_skips_what_is_malformed(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    /* Synthetic. */
    xp_elem *iq = parse(
        &a,
        "<iq type='result' from='r@c.example'>"
        "<query xmlns='http://jabber.org/protocol/muc#admin'>"
        "<item affiliation='owner'/>"                     /* no jid */
        "<item affiliation='owner' jid=''/>"              /* empty */
        "<item affiliation='owner' jid='a@b@c.example'/>" /* invalid */
        "<item affiliation='owner' jid='@c.example'/>"    /* empty local */
        "<item affiliation='owner' jid='x@'/>"            /* no domain */
        "<item affiliation='owner' jid='x@c.example/'/>"  /* empty resource */
        "<item affiliation='owner' jid='sp ace@c.example'/>"
        "<item xmlns='urn:other' affiliation='owner' jid='ns@c.example'/>"
        "<other affiliation='owner' jid='other@c.example'/>"
        "<junk><item affiliation='owner' jid='deep@c.example'/></junk>"
        "<item affiliation='owner' jid='Full@C.example/phone'/>" /* bare */
        "<item affiliation='member' jid='m@c.example' nick=''/>"
        "<item affiliation='moderator' jid='odd@c.example' nick='n'/>"
        "<item jid='noaff@c.example'><item jid='inner@c.example'/></item>"
        "<item affiliation='admin' jid='c.example'/>" /* a domain JID */
        "</query></iq>");
    assert_string_equal(list_of(&a, iq, XPORTA_OK),
                        "Full@C.example owner (null)\n"
                        "m@c.example member (null)\n"
                        "odd@c.example unknown n\n"
                        "noaff@c.example unknown (null)\n"
                        "c.example admin (null)\n");
    /* An empty list; a query in another namespace is none. */
    assert_string_equal(
        list_of(&a,
                parse(&a,
                      "<iq type='result'><query "
                      "xmlns='http://jabber.org/protocol/muc#admin'/></iq>"),
                XPORTA_OK),
        "");
    assert_string_equal(
        list_of(&a,
                parse(&a, "<iq type='result'><query "
                          "xmlns='http://jabber.org/protocol/muc#owner'><item "
                          "affiliation='owner' jid='o@c.example'/></query>"
                          "</iq>"),
                XPORTA_EFORMAT),
        "");
    xp_arena_cleanup(&a);
}

/* ---- discovery ----------------------------------------------------------- */

static void identities_of_services_and_rooms(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    const char *name = "unset";
    assert_true(xp_disco_identity(load(&a, "prosody-muc-service-info"),
                                  "conference", "text", &name));
    assert_string_equal(name, "Prosody Chatrooms");
    assert_true(xp_disco_identity(load(&a, "ejabberd-muc-service-info"),
                                  "conference", "text", &name));
    assert_string_equal(name, "Chatrooms");
    /* A room answers to anyone (unone is not in mo-any) with the same
     * identity; the features say members-only. */
    xp_elem *pr = load(&a, "prosody-muc-room-info");
    xp_elem *er = load(&a, "ejabberd-muc-room-info");
    assert_true(xp_disco_identity(pr, "conference", "text", &name));
    assert_string_equal(name, "Room mo-any");
    assert_true(xp_disco_identity(er, "conference", NULL, &name));
    assert_string_equal(name, "Room mo-any");
    assert_true(xp_disco_identity(er, "conference", "text", NULL));
    assert_true(xp_disco_has_feature(pr, "muc_membersonly"));
    assert_true(xp_disco_has_feature(er, "muc_membersonly"));
    assert_true(xp_disco_has_feature(pr, "muc_nonanonymous"));
    assert_false(xp_disco_has_feature(er, "muc_open"));
    /* Another category or type, a server, a reply that is no disco#info. */
    name = "unset";
    assert_false(xp_disco_identity(pr, "pubsub", NULL, &name));
    assert_false(xp_disco_identity(pr, "conference", "irc", &name));
    assert_string_equal(name, "unset");
    assert_false(xp_disco_identity(load(&a, "prosody-disco-info"), "conference",
                                   NULL, NULL));
    assert_true(xp_disco_identity(load(&a, "ejabberd-disco-info"), "server",
                                  "im", NULL));
    assert_false(xp_disco_identity(load(&a, "prosody-muc-service-items"),
                                   "conference", NULL, NULL));
    assert_false(xp_disco_identity(load(&a, "ejabberd-muc-forbidden"),
                                   "conference", NULL, NULL));

    /* Synthetic: identities without a name, with an empty one, in another
     * namespace, without a category. */
    xp_elem *iq = parse(
        &a, "<iq type='result'><query "
            "xmlns='http://jabber.org/protocol/disco#info'>"
            "<identity xmlns='urn:other' category='conference' type='text' "
            "name='foreign'/>"
            "<identity type='text' name='no category'/>"
            "<x><identity category='conference' type='text' name='deep'/></x>"
            "<identity category='conference' type='text' name=''/>"
            "</query></iq>");
    name = "unset";
    assert_true(xp_disco_identity(iq, "conference", "text", &name));
    assert_null(name);
    iq = parse(&a, "<iq type='result'><query "
                   "xmlns='http://jabber.org/protocol/disco#info'>"
                   "<identity category='conference' type='text'/></query>"
                   "</iq>");
    name = "unset";
    assert_true(xp_disco_identity(iq, "conference", "text", &name));
    assert_null(name);
    xp_arena_cleanup(&a);
}

static void items_of_domains_and_services(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    assert_string_equal(
        items_of(load(&a, "prosody-muc-domain-items"), XPORTA_OK),
        "conference.old.localhost|(null)|(null)\n");
    assert_string_equal(
        items_of(load(&a, "ejabberd-muc-domain-items"), XPORTA_OK),
        "conference.new.localhost|(null)|(null)\n"
        "pubsub.new.localhost|(null)|(null)\n");
    /* Prosody lists public rooms only, to their owner too. */
    assert_string_equal(
        items_of(load(&a, "prosody-muc-service-items"), XPORTA_OK),
        "mo-any@conference.old.localhost|(null)|Room mo-any\n"
        "open-mod@conference.old.localhost|(null)|Room open-mod\n");
    /* ejabberd lists hidden rooms to their owner, and adds the occupants
     * to the name: the JID names the room, not the name. */
    assert_string_equal(
        items_of(load(&a, "ejabberd-muc-service-items"), XPORTA_OK),
        "mo-any@conference.new.localhost|(null)|Room mo-any (0)\n"
        "mo-mod@conference.new.localhost|(null)|Room mo-mod (private, 0)\n"
        "open-any@conference.new.localhost|(null)|Room open-any (private, "
        "0)\n"
        "open-mod@conference.new.localhost|(null)|Room open-mod (0)\n");
    /* PEP nodes of an account carry a node. */
    assert_string_equal(
        items_of(load(&a, "prosody-disco-items"), XPORTA_OK),
        "x1alice@old.localhost|urn:xmpp:vcard4|(null)\n"
        "x1alice@old.localhost|urn:xmpp:bookmarks:1|(null)\n"
        "x1alice@old.localhost|urn:xmpp:moved:1|(null)\n"
        "x1alice@old.localhost|urn:xmpp:avatar:data|(null)\n"
        "x1alice@old.localhost|storage:bookmarks|(null)\n"
        "x1alice@old.localhost|urn:xmpp:avatar:metadata|(null)\n"
        "x1alice@old.localhost|http://jabber.org/protocol/nick|(null)\n"
        "x1alice@old.localhost|urn:xmpp:omemo:2:devices|(null)\n");
    /* No disco#items in the reply. */
    assert_string_equal(
        items_of(load(&a, "prosody-muc-forbidden"), XPORTA_EFORMAT), "");
    assert_string_equal(
        items_of(load(&a, "ejabberd-muc-service-info"), XPORTA_EFORMAT), "");

    /* Synthetic: items without a jid, with an invalid one, elsewhere. */
    xp_elem *iq = parse(&a, "<iq type='result'><query "
                            "xmlns='http://jabber.org/protocol/disco#items'>"
                            "<item name='no jid'/>"
                            "<item jid='' name='empty'/>"
                            "<item jid='a@b@c.example' name='invalid'/>"
                            "<item jid='@c.example'/>"
                            "<item xmlns='urn:other' jid='ns@c.example'/>"
                            "<room jid='other@c.example'/>"
                            "<junk><item jid='deep@c.example'/></junk>"
                            "<item jid='r@c.example' node='' name=''/>"
                            "<item jid='r@c.example/nick' node='n' name='x'/>"
                            "</query></iq>");
    assert_string_equal(items_of(iq, XPORTA_OK), "r@c.example|(null)|(null)\n"
                                                 "r@c.example/nick|n|x\n");
    xp_arena_cleanup(&a);
}

static void roominfo_contacts(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    /* Neither server offers muc#roominfo_contactjid
     * (docs/research/muc-live.md §3). */
    assert_string_equal(contacts_of(load(&a, "prosody-muc-room-info")), "");
    assert_string_equal(contacts_of(load(&a, "ejabberd-muc-room-info")), "");
    assert_string_equal(contacts_of(load(&a, "ejabberd-muc-service-info")), "");
    assert_string_equal(contacts_of(load(&a, "prosody-muc-forbidden")), "");

    /* Synthetic: a room that names its contacts (XEP-0045 §15.5.4), some
     * of them malformed, and look-alikes elsewhere. */
    xp_elem *iq = parse(
        &a,
        "<iq type='result'><query "
        "xmlns='http://jabber.org/protocol/disco#info'>"
        "<identity category='conference' type='text'/>"
        "<x xmlns='jabber:x:data' type='result'>"
        "<field var='FORM_TYPE' type='hidden'><value>"
        "http://jabber.org/protocol/muc#roominfo</value></field>"
        "<field var='muc#roominfo_contactjid' type='jid-multi'>"
        "<value>owner1@c.example</value><value/><value>a@b@c</value>"
        "<value>owner2@c.example</value><other>x@c.example</other>"
        "<value xmlns='urn:other'>ns@c.example</value>"
        "</field>"
        "<field var='muc#roominfo_description'><value>o@c.example</value>"
        "</field>"
        "<field var='muc#roominfo_contactjid' xmlns='urn:other'>"
        "<value>foreign@c.example</value></field>"
        "</x>"
        "<x xmlns='urn:other'><field var='muc#roominfo_contactjid'>"
        "<value>notaform@c.example</value></field></x>"
        "<field var='muc#roominfo_contactjid'><value>loose@c.example</value>"
        "</field>"
        "</query></iq>");
    assert_string_equal(contacts_of(iq), "owner1@c.example\n"
                                         "owner2@c.example\n");
    xp_arena_cleanup(&a);
}

/* ---- bookmarks ----------------------------------------------------------- */

static void bookmarks_in_their_three_homes(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    /* XEP-0402, both servers alike. */
    assert_string_equal(
        bookmarks_of(&a, load(&a, "prosody-muc-bookmarks2")),
        "mo-any@conference.old.localhost|Team room|memb|autojoin\n"
        "open-mod@conference.old.localhost|(null)|m2|-\n");
    assert_string_equal(
        bookmarks_of(&a, load(&a, "ejabberd-muc-bookmarks2")),
        "mo-any@conference.new.localhost|Team room|memb|autojoin\n"
        "open-mod@conference.new.localhost|(null)|m2|-\n");
    /* XEP-0048: Prosody mirrors them into PEP and private XML; ejabberd
     * into neither (no node; an empty storage). */
    assert_string_equal(
        bookmarks_of(&a, load(&a, "prosody-muc-pep-bookmarks")),
        "open-mod@conference.old.localhost|(null)|m2|-\n"
        "mo-any@conference.old.localhost|Team room|memb|autojoin\n");
    assert_string_equal(
        bookmarks_of(&a, load(&a, "prosody-muc-private-bookmarks")),
        "open-mod@conference.old.localhost|(null)|m2|-\n"
        "mo-any@conference.old.localhost|Team room|memb|autojoin\n");
    assert_string_equal(
        bookmarks_of(&a, load(&a, "ejabberd-muc-pep-bookmarks")), "");
    assert_string_equal(
        bookmarks_of(&a, load(&a, "ejabberd-muc-private-bookmarks")), "");
    /* The captures of test_xmpp_kinds (account x1alice). */
    assert_string_equal(
        bookmarks_of(&a, load(&a, "ejabberd-pep-items-bookmarks")),
        "room1@conference.new.localhost|Room 1|Ally|autojoin\n"
        "room2@conference.new.localhost|Room 2|Ally|autojoin\n");
    assert_string_equal(
        bookmarks_of(&a, load(&a, "prosody-private-bookmarks")),
        "room2@conference.old.localhost|Room 2|Ally|autojoin\n"
        "room1@conference.old.localhost|Room 1|Ally|autojoin\n");
    /* Replies that hold no bookmarks. */
    assert_string_equal(bookmarks_of(&a, load(&a, "prosody-muc-owners")), "");
    assert_string_equal(bookmarks_of(&a, load(&a, "prosody-pep-items-vcard4")),
                        "");
    xp_arena_cleanup(&a);
}

static void bookmarks_skip_what_is_malformed(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    /* Synthetic: XEP-0402 items whose id is no room JID, conferences in
     * the wrong place, odd autojoin values, empty nicks. */
    xp_elem *iq = parse(
        &a,
        "<iq type='result'><pubsub xmlns='http://jabber.org/protocol/pubsub'>"
        "<items node='urn:xmpp:bookmarks:1'>"
        "<item><conference xmlns='urn:xmpp:bookmarks:1'/></item>" /* no id */
        "<item id=''><conference xmlns='urn:xmpp:bookmarks:1'/></item>"
        "<item id='conference.c.example'>" /* a service, not a room */
        "<conference xmlns='urn:xmpp:bookmarks:1'/></item>"
        "<item id='r@c.example/nick'>" /* a full JID */
        "<conference xmlns='urn:xmpp:bookmarks:1'/></item>"
        "<item id='r@c.example/'><conference xmlns='urn:xmpp:bookmarks:1'/>"
        "</item>"
        "<item id='a@b@c.example'><conference xmlns='urn:xmpp:bookmarks:1'/>"
        "</item>"
        "<item id='current'><conference xmlns='urn:xmpp:bookmarks:1'/></item>"
        "<item id='nobody@c.example'/>" /* no conference */
        "<item id='wrongns@c.example'><conference xmlns='storage:bookmarks'/>"
        "</item>"
        "<item id='deep@c.example'><x><conference "
        "xmlns='urn:xmpp:bookmarks:1'/></x></item>"
        "<other id='other@c.example'><conference "
        "xmlns='urn:xmpp:bookmarks:1'/></other>"
        "<item id='one@c.example'><conference xmlns='urn:xmpp:bookmarks:1' "
        "autojoin='1' name=''><nick/></conference></item>"
        "<item id='two@c.example'><conference xmlns='urn:xmpp:bookmarks:1' "
        "autojoin='yes' name='Two'><nick>n2</nick><extensions><x "
        "xmlns='urn:other'/></extensions></conference></item>"
        "<item id='three@c.example'><conference xmlns='urn:xmpp:bookmarks:1' "
        "autojoin='TRUE'><nick xmlns='urn:other'>foreign</nick></conference>"
        "</item>"
        "</items></pubsub></iq>");
    assert_string_equal(bookmarks_of(&a, iq), "one@c.example|(null)|(null)|"
                                              "autojoin\n"
                                              "two@c.example|Two|n2|-\n"
                                              "three@c.example|(null)|(null)|"
                                              "-\n");

    /* Synthetic: XEP-0048 storage with conferences that name no room. */
    static const char storage[] =
        "<storage xmlns='storage:bookmarks'>"
        "<conference autojoin='true' name='no jid'/>"
        "<conference jid=''/>"
        "<conference jid='c.example'/>"
        "<conference jid='r@c.example/nick'/>"
        "<conference jid='a@b@c.example'/>"
        "<conference xmlns='urn:xmpp:bookmarks:1' jid='ns@c.example'/>"
        "<url url='http://example.com' name='not a room'/>"
        "<x><conference jid='deep@c.example'/></x>"
        "<conference jid='ok@c.example' autojoin='true' name='OK'>"
        "<nick>me</nick><password>secret</password></conference>"
        "<conference jid='quiet@c.example' autojoin='false'><nick/>"
        "</conference>"
        "</storage>";
    char xml[2048];
    snprintf(xml, sizeof xml,
             "<iq type='result'><query xmlns='jabber:iq:private'>%s</query>"
             "</iq>",
             storage);
    assert_string_equal(bookmarks_of(&a, parse(&a, xml)),
                        "ok@c.example|OK|me|autojoin\n"
                        "quiet@c.example|(null)|(null)|-\n");
    snprintf(xml, sizeof xml,
             "<iq type='result'><pubsub "
             "xmlns='http://jabber.org/protocol/pubsub'><items "
             "node='storage:bookmarks'><item id='current'>%s</item></items>"
             "</pubsub></iq>",
             storage);
    assert_string_equal(bookmarks_of(&a, parse(&a, xml)),
                        "ok@c.example|OK|me|autojoin\n"
                        "quiet@c.example|(null)|(null)|-\n");
    /* Private XML holding something else, storage in another namespace. */
    assert_string_equal(
        bookmarks_of(&a, parse(&a, "<iq type='result'><query "
                                   "xmlns='jabber:iq:private'><storage "
                                   "xmlns='storage:rosternotes'><conference "
                                   "jid='r@c.example'/></storage></query>"
                                   "</iq>")),
        "");
    /* A pubsub reply without items. */
    assert_string_equal(
        bookmarks_of(&a, parse(&a, "<iq type='result'><pubsub "
                                   "xmlns='http://jabber.org/protocol/pubsub'/>"
                                   "</iq>")),
        "");
    xp_arena_cleanup(&a);
}

/* ---- presences from a room ----------------------------------------------- */

static void presences_of_both_servers(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    static const struct {
        const char *file, *jid;
        xp_muc_aff aff;
        bool self;
    } cases[] = {
        /* uowner, in the room when umember enters: mo-any shows real JIDs
         * (full in the presence, bare from the decoder). */
        {"prosody-muc-presence-occupant", "uowner@old.localhost", XP_MUC_OWNER,
         false},
        {"ejabberd-muc-presence-occupant", "uowner@new.localhost", XP_MUC_OWNER,
         false},
        /* umember's own presence: status 110 (and 100). */
        {"prosody-muc-presence-self", "umember@old.localhost", XP_MUC_MEMBER,
         true},
        {"ejabberd-muc-presence-self", "umember@new.localhost", XP_MUC_MEMBER,
         true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        xp_muc_aff aff = XP_MUC_UNKNOWN;
        const char *jid = NULL;
        bool self = !cases[i].self;
        assert_true(xp_muc_presence_item(&a, load(&a, cases[i].file), &aff,
                                         &jid, &self));
        assert_int_equal(aff, cases[i].aff);
        assert_string_equal(jid, cases[i].jid);
        assert_int_equal(self, cases[i].self);
    }
    /* Stanzas that are no room presence. */
    xp_muc_aff aff;
    const char *jid;
    bool self;
    assert_false(xp_muc_presence_item(&a, load(&a, "prosody-muc-owners"), &aff,
                                      &jid, &self));
    assert_false(xp_muc_presence_item(&a, load(&a, "ejabberd-pending"), &aff,
                                      &jid, &self));
    xp_arena_cleanup(&a);
}

static void presence_skips_what_is_malformed(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    xp_muc_aff aff;
    const char *jid;
    bool self;
    /* Synthetic throughout. */
    static const char *const none[] = {
        /* no muc#user payload */
        "<presence from='r@c.example/n'/>",
        /* the join's payload, not the room's */
        "<presence from='r@c.example/n'><x "
        "xmlns='http://jabber.org/protocol/muc'><item affiliation='owner' "
        "jid='o@c.example'/></x></presence>",
        /* muc#user without an item (an invitation, say) */
        "<presence from='r@c.example/n'><x "
        "xmlns='http://jabber.org/protocol/muc#user'><status code='110'/>"
        "</x></presence>",
        /* the item nested deeper */
        "<presence from='r@c.example/n'><x "
        "xmlns='http://jabber.org/protocol/muc#user'><junk><item "
        "affiliation='owner' jid='o@c.example'/></junk></x></presence>",
        /* the item in another namespace */
        "<presence from='r@c.example/n'><x "
        "xmlns='http://jabber.org/protocol/muc#user'><item xmlns='urn:other' "
        "affiliation='owner' jid='o@c.example'/></x></presence>",
    };
    for (size_t i = 0; i < sizeof none / sizeof *none; i++)
        assert_false(
            xp_muc_presence_item(&a, parse(&a, none[i]), &aff, &jid, &self));

    /* A room that hides real JIDs: no jid. */
    jid = "unset";
    assert_true(xp_muc_presence_item(
        &a,
        parse(&a, "<presence from='r@c.example/n'><x "
                  "xmlns='http://jabber.org/protocol/muc#user'><item "
                  "affiliation='admin' role='moderator'/></x></presence>"),
        &aff, &jid, &self));
    assert_int_equal(aff, XP_MUC_ADMIN);
    assert_null(jid);
    assert_false(self);
    /* Invalid and empty JIDs count as hidden; an unknown affiliation is
     * unknown; status 110 only from muc#user's own <status/>. */
    static const struct {
        const char *xml;
        xp_muc_aff aff;
        bool self;
    } odd[] = {
        {"<presence from='r@c.example/n'><x "
         "xmlns='http://jabber.org/protocol/muc#user'><item "
         "affiliation='owner' jid='a@b@c.example/x'/><status code='110'/>"
         "</x></presence>",
         XP_MUC_OWNER, true},
        {"<presence from='r@c.example/n'><x "
         "xmlns='http://jabber.org/protocol/muc#user'><item "
         "affiliation='god' jid=''/><status code='1100'/><status/>"
         "<status xmlns='urn:other' code='110'/></x></presence>",
         XP_MUC_UNKNOWN, false},
        {"<presence from='r@c.example/n'><x "
         "xmlns='http://jabber.org/protocol/muc#user'><item/><item "
         "affiliation='owner' jid='second@c.example'/></x><status "
         "code='110'/></presence>",
         XP_MUC_UNKNOWN, false},
    };
    for (size_t i = 0; i < sizeof odd / sizeof *odd; i++) {
        jid = "unset";
        self = !odd[i].self;
        assert_true(
            xp_muc_presence_item(&a, parse(&a, odd[i].xml), &aff, &jid, &self));
        assert_int_equal(aff, odd[i].aff);
        assert_null(jid);
        assert_int_equal(self, odd[i].self);
    }
    /* A real JID given bare stays bare. */
    assert_true(xp_muc_presence_item(
        &a,
        parse(&a, "<presence from='r@c.example/n'><x "
                  "xmlns='http://jabber.org/protocol/muc#user'><item "
                  "affiliation='none' jid='Bare@C.example'/></x></presence>"),
        &aff, &jid, &self));
    assert_int_equal(aff, XP_MUC_NONE);
    assert_string_equal(jid, "Bare@C.example");
    xp_arena_cleanup(&a);
}

/* ---- a room's owner: the form, destroy, subject (room-move) -------------- */

static void skipped_line(void *ud, const char *var, const char *why)
{
    seen_add(ud, "%s: %s", var, why);
}

static void config_carried_field_by_field(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    /* Synthetic: an old room's form (Prosody's shape: a boolean it never
     * set has no value) and the new service's (ejabberd's names). */
    const xp_elem *old = xp_muc_owner_form(parse(
        &a, "<iq type='result'><query "
            "xmlns='http://jabber.org/protocol/muc#owner'><x "
            "xmlns='jabber:x:data' type='form'>"
            "<field var='FORM_TYPE' type='hidden'><value>"
            "http://jabber.org/protocol/muc#roomconfig</value></field>"
            "<field var='muc#roomconfig_roomname' type='text-single'>"
            "<value>Tea &amp; co</value></field>"
            "<field var='muc#roomconfig_moderatedroom' type='boolean'/>"
            "<field var='muc#roomconfig_whois' type='list-single'>"
            "<value>anyone</value></field>"
            "<field var='muc#roomconfig_presencebroadcast' type='list-multi'>"
            "<value>moderator</value><value>ghost</value></field>"
            "<field var='muc#roomconfig_enablearchiving' type='boolean'>"
            "<value>1</value></field>"
            "<field var='muc#roomconfig_roomowners' type='jid-multi'>"
            "<value>a@b.example</value></field>"
            "<field var='x-prosody#only' type='boolean'><value>1</value>"
            "</field><field type='fixed'><value>Header</value></field>"
            "</x></query></iq>"));
    const xp_elem *offered = xp_muc_owner_form(parse(
        &a, "<iq type='result'><query "
            "xmlns='http://jabber.org/protocol/muc#owner'><x "
            "xmlns='jabber:x:data' type='form'>"
            "<field var='muc#roomconfig_roomname' type='text-single'/>"
            "<field var='muc#roomconfig_moderatedroom' type='boolean'>"
            "<value>1</value></field>"
            "<field var='muc#roomconfig_whois' type='list-single'>"
            "<option><value>moderators</value></option>"
            "<option><value>anyone</value></option></field>"
            "<field var='muc#roomconfig_presencebroadcast' type='list-multi'>"
            "<option><value>moderator</value></option>"
            "<option><value>participant</value></option></field>"
            "<field var='mam' type='boolean'/>"
            "<field var='muc#roomconfig_roomowners' type='jid-multi'/>"
            "</x></query></iq>"));
    assert_non_null(old);
    assert_non_null(offered);
    struct seen sk = {"", 0};
    xp_elem *q = xp_muc_config_submit(&a, old, offered, skipped_line, &sk);
    assert_payload(
        q, "<query xmlns='http://jabber.org/protocol/muc#owner'><x "
           "xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' "
           "type='hidden'><value>http://jabber.org/protocol/muc#roomconfig"
           "</value></field><field var='muc#roomconfig_roomname'><value>Tea "
           "&amp; co</value></field><field "
           "var='muc#roomconfig_moderatedroom'><value>0</value></field><field "
           "var='muc#roomconfig_whois'><value>anyone</value></field><field "
           "var='muc#roomconfig_presencebroadcast'><value>moderator</value>"
           "</field><field var='mam'><value>1</value></field></x></query>");
    assert_string_equal(sk.text,
                        "muc#roomconfig_presencebroadcast: the new service "
                        "does not offer the value 'ghost'\n"
                        "x-prosody#only: the new service does not offer it\n");
    /* The values of a field, and equal as sets. */
    assert_string_equal(
        xp_form_field_values(&a, old, "muc#roomconfig_presencebroadcast"),
        "moderator,ghost");
    assert_string_equal(
        xp_form_field_values(&a, old, "muc#roomconfig_moderatedroom"), "");
    assert_null(xp_form_field_values(&a, old, "nope"));
    assert_true(xp_form_values_equal("a,b,c", "c,a,b"));
    assert_true(xp_form_values_equal("", ""));
    assert_false(xp_form_values_equal("a,b", "a"));
    assert_false(xp_form_values_equal("a", "a,b"));
    assert_false(xp_form_values_equal("ab", "a"));
    assert_false(xp_form_values_equal(NULL, ""));
    assert_string_equal(xp_muc_config_alias("mam"),
                        "muc#roomconfig_enablearchiving");
    assert_string_equal(xp_muc_config_alias("muc#roomconfig_enablearchiving"),
                        "mam");
    assert_null(xp_muc_config_alias("muc#roomconfig_roomname"));
    xp_arena_cleanup(&a);
}

static void owner_requests(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    assert_payload(xp_muc_owner_query(&a),
                   "<query xmlns='http://jabber.org/protocol/muc#owner'/>");
    assert_payload(
        xp_muc_destroy(&a, "new@conference.new.example", "Moved <here>"),
        "<query xmlns='http://jabber.org/protocol/muc#owner'><destroy "
        "jid='new@conference.new.example'><reason>Moved &lt;here&gt;"
        "</reason></destroy></query>");
    assert_payload(xp_muc_destroy(&a, NULL, NULL),
                   "<query xmlns='http://jabber.org/protocol/muc#owner'>"
                   "<destroy/></query>");
    assert_stanza(xp_muc_subject_set(&a, "r@c.example", "Fika & tea"),
                  "<message type='groupchat' to='r@c.example'><subject>Fika "
                  "&amp; tea</subject></message>");
    assert_stanza(xp_muc_join_password(&a, "r@c.example", "me", "s3cret"),
                  "<presence to='r@c.example/me'><x "
                  "xmlns='http://jabber.org/protocol/muc'><history "
                  "maxstanzas='0'/><password>s3cret</password></x>"
                  "</presence>");
    assert_payload(xp_muc_affiliation_set_nick(&a, "c@d.example", XP_MUC_MEMBER,
                                               "caro", NULL),
                   "<query xmlns='http://jabber.org/protocol/muc#admin'><item "
                   "affiliation='member' jid='c@d.example' nick='caro'/>"
                   "</query>");
    /* No form in a reply: NULL. */
    assert_null(xp_muc_owner_form(parse(&a, "<iq type='result'/>")));
    xp_arena_cleanup(&a);
}

static void subjects_and_statuses(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    /* Synthetic, as both servers send them on entry. */
    assert_string_equal(
        xp_muc_subject_of(parse(&a, "<message type='groupchat' "
                                    "from='r@c.example/n'><subject>Hi "
                                    "all</subject></message>")),
        "Hi all");
    assert_string_equal(
        xp_muc_subject_of(parse(&a, "<message type='groupchat' "
                                    "from='r@c.example'><subject/></message>")),
        "");
    /* A message with a body is a message, whatever it carries. */
    assert_null(xp_muc_subject_of(
        parse(&a, "<message type='groupchat'><subject>x</subject><body>y"
                  "</body></message>")));
    assert_null(xp_muc_subject_of(
        parse(&a, "<message type='chat'><subject>x</subject></message>")));
    xp_elem *p =
        parse(&a, "<presence from='r@c.example/me'><x "
                  "xmlns='http://jabber.org/protocol/muc#user'><item "
                  "affiliation='owner' role='moderator'/><status code='110'/>"
                  "<status code='201'/></x></presence>");
    assert_true(xp_muc_has_status(p, "201"));
    assert_true(xp_muc_has_status(p, "110"));
    assert_false(xp_muc_has_status(p, "100"));
    assert_false(xp_muc_has_status(parse(&a, "<presence/>"), "110"));
    xp_arena_cleanup(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(affiliation_names_round_trip),
        cmocka_unit_test(builders_serialise_as_the_xep_says),
        cmocka_unit_test(builders_survive_the_stanza_conversion),
        cmocka_unit_test(lists_of_both_servers),
        cmocka_unit_test(list_refused),
        cmocka_unit_test(list_skips_what_is_malformed),
        cmocka_unit_test(identities_of_services_and_rooms),
        cmocka_unit_test(items_of_domains_and_services),
        cmocka_unit_test(roominfo_contacts),
        cmocka_unit_test(bookmarks_in_their_three_homes),
        cmocka_unit_test(bookmarks_skip_what_is_malformed),
        cmocka_unit_test(presences_of_both_servers),
        cmocka_unit_test(presence_skips_what_is_malformed),
        cmocka_unit_test(config_carried_field_by_field),
        cmocka_unit_test(owner_requests),
        cmocka_unit_test(subjects_and_statuses),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
