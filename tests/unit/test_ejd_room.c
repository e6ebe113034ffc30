/* lib/store/ejd_room.h: ejabberd's rooms (muc_room.opts, muc_registered,
 * the group-chat rows of archive) as room records, against rows captured
 * from a real ejabberd 23.01 (tests/data/ejabberd-rooms: the rooms made by
 * tests/integration/muc_rooms.py setup, the .form files the owner form its
 * probe read back). */
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/xp_model.h"
#include "pie/pie.h"
#include "store/ejd_map_p.h"
#include "store/ejd_room.h"

#define MUC "conference.new.localhost"
#define TEAM "team@" MUC

struct got {
    struct xp_arena *a;
    xporta_record recs[32];
    size_t n;
    char notes[4096];
};

static xporta_status on_rec(void *ud, const xporta_record *rec)
{
    struct got *g = ud;
    assert_true(g->n < 32);
    g->recs[g->n] = *rec;
    g->recs[g->n].payload = xp_elem_clone(g->a, rec->payload);
    g->recs[g->n].key = xp_arena_strdup(g->a, rec->key);
    g->n++;
    return XPORTA_OK;
}

static void on_note(void *ud, const char *what)
{
    struct got *g = ud;
    size_t n = strlen(g->notes);
    snprintf(g->notes + n, sizeof g->notes - n, "%s\n", what);
}

static char *data(const char *name, size_t *len)
{
    char path[256];
    snprintf(path, sizeof path, "ejabberd-rooms/%s", name);
    char *s = slurp(data_path(path), len);
    assert_non_null(s);
    return s;
}

static char *xml(const xp_elem *e)
{
    struct xp_buf b;
    xp_buf_init(&b, 1u << 20);
    assert_int_equal(xp_elem_serialize(&b, e, ""), XPORTA_OK);
    char *s = strndup(b.data, b.len);
    xp_buf_cleanup(&b);
    return s;
}

static void read_room(struct xp_arena *a, const char *file, const char *room,
                      struct got *g, const struct ejd_nick *nicks, size_t nn)
{
    size_t len;
    char *opts = data(file, &len);
    const char *why = NULL;
    memset(g, 0, sizeof *g);
    g->a = a;
    assert_int_equal(ejd_room_read_opts(a, room, opts, len, nicks, nn, on_rec,
                                        on_note, g, &why),
                     XPORTA_OK);
    free(opts);
}

/* The form read from opts is the owner form the server showed (but for
 * the FORM_TYPE's place, which is the same). */
static void form_is(const xp_elem *x, const char *file)
{
    size_t len;
    char *want = data(file, &len);
    struct xp_buf b;
    xp_buf_init(&b, 1u << 20);
    for (const xp_elem *f = xp_elem_first_element(x); f;
         f = xp_elem_next_element(f)) {
        xp_buf_adds(&b, xp_elem_attr_ns(f, "", "var"));
        bool any = false;
        for (const xp_elem *v = xp_elem_first_element(f); v;
             v = xp_elem_next_element(v)) {
            xp_buf_printf(&b, "\t%s", xp_elem_text(v));
            any = true;
        }
        if (!any)
            xp_buf_adds(&b, "\t");
        xp_buf_addc(&b, '\n');
    }
    xp_buf_addc(&b, '\0');
    assert_text_equal(b.data, want);
    xp_buf_cleanup(&b);
    free(want);
}

static void real_team_room(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    struct ejd_nick nicks[] = {{"carol@new.localhost", "caro"}};
    struct got g;
    read_room(&a, "team.opts", TEAM, &g, nicks, 1);
    assert_int_equal(g.n, 7);
    assert_int_equal(g.recs[0].kind, XPORTA_KIND_ROOM_CONFIG);
    assert_string_equal(g.recs[0].key, "config");
    form_is(g.recs[0].payload, "team.form");
    static const char *const affs[] = {
        "<item xmlns='http://jabber.org/protocol/muc#user' "
        "affiliation='owner' jid='alice@new.localhost'/>",
        "<item xmlns='http://jabber.org/protocol/muc#user' "
        "affiliation='admin' jid='bob@new.localhost'><reason>helps</reason>"
        "</item>",
        "<item xmlns='http://jabber.org/protocol/muc#user' "
        "affiliation='member' jid='carol@new.localhost' nick='caro'>"
        "<reason>team member</reason></item>",
        "<item xmlns='http://jabber.org/protocol/muc#user' "
        "affiliation='outcast' jid='dave@new.localhost'><reason>spammer"
        "</reason></item>",
        "<item xmlns='http://jabber.org/protocol/muc#user' "
        "affiliation='member' jid='eve@other.example'/>",
    };
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(g.recs[1 + i].kind, XPORTA_KIND_ROOM_AFFILIATION);
        char *s = xml(g.recs[1 + i].payload);
        assert_string_equal(s, affs[i]);
        free(s);
    }
    assert_string_equal(g.recs[3].key, "carol@new.localhost");
    assert_int_equal(g.recs[6].kind, XPORTA_KIND_ROOM_SUBJECT);
    char *s = xml(g.recs[6].payload);
    assert_string_equal(s, "<message xmlns='jabber:client' type='groupchat' "
                           "from='team@conference.new.localhost/Alice'>"
                           "<subject>Sprint 42 planning</subject></message>");
    free(s);
    /* the roles kept for bob, carol and eve do not map */
    assert_non_null(strstr(g.notes, "roles"));
    xp_arena_cleanup(&a);
}

static void real_secret_room(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    struct got g;
    read_room(&a, "secret.opts", "secret@" MUC, &g, NULL, 0);
    assert_int_equal(g.n, 2); /* the form, alice; no subject */
    form_is(g.recs[0].payload, "secret.form");
    assert_string_equal(g.notes, "");
    xp_arena_cleanup(&a);
}

/* Read and written back: the bytes ejabberd wrote (team's roles, which
 * do not map, written empty). */
static void roundtrip(const char *file, const char *room, const char *fix)
{
    struct xp_arena a;
    xp_arena_init(&a, 0);
    struct ejd_nick nicks[] = {{"carol@new.localhost", "caro"}};
    struct got g;
    read_room(&a, file, room, &g, nicks, 1);
    struct ejd_room_w w;
    ejd_room_w_init(&w, &a, room);
    const char *why = NULL;
    for (size_t i = 0; i < g.n; i++)
        assert_int_equal(ejd_room_w_add(&w, &g.recs[i], &why), XPORTA_OK);
    struct xp_buf out;
    xp_buf_init(&out, 1u << 20);
    struct got n = {0};
    assert_int_equal(ejd_room_w_opts(&w, &out, on_note, &n, &why), XPORTA_OK);
    xp_buf_addc(&out, '\0');
    size_t len;
    char *want = data(file, &len);
    if (fix) { /* the roles as they were */
        char *r = strstr(want, "{roles,[");
        char *e = strstr(want, "]},{subject,");
        assert_true(r && e && r < e);
        memmove(r + strlen(fix), e + 2, strlen(e + 2) + 1);
        memcpy(r, fix, strlen(fix));
    }
    assert_string_equal(out.data, want);
    assert_string_equal(n.notes, "");
    free(want);
    xp_buf_cleanup(&out);
    xp_arena_cleanup(&a);
}

static void roundtrip_real(void **state)
{
    (void)state;
    roundtrip("secret.opts", "secret@" MUC, NULL);
    roundtrip("team.opts", TEAM, "{roles,[]}");
}

static xporta_record rec_of(struct xp_arena *a, xporta_kind k, const char *text)
{
    xporta_record r;
    memset(&r, 0, sizeof r);
    r.kind = k;
    const char *why;
    unsigned long l, c;
    assert_int_equal(
        pie_parse_element(a, text, strlen(text), "", &r.payload, &why, &l, &c),
        XPORTA_OK);
    assert_true(xp_record_derive_key(a, &r) || k == XPORTA_KIND_VCARD);
    return r;
}

static const char *value_of(const xp_elem *x, const char *var)
{
    for (const xp_elem *f = xp_elem_first_element(x); f;
         f = xp_elem_next_element(f))
        if (xp_streq(xp_elem_attr_ns(f, "", "var"), var))
            return xp_elem_child_text(f, XP_NS_DATA, "value");
    return NULL;
}

/* Records from elsewhere (a Prosody room, a file): every option written,
 * persistent and mam true, fields ejabberd has no option for noted. */
static void write_from_other_server(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    struct ejd_room_w w;
    ejd_room_w_init(&w, &a, "r@" MUC);
    const char *why = NULL;
    xporta_record recs[] = {
        rec_of(&a, XPORTA_KIND_ROOM_CONFIG,
               "<x xmlns='jabber:x:data' type='submit'>"
               "<field var='FORM_TYPE'><value>http://jabber.org/protocol/"
               "muc#roomconfig</value></field>"
               "<field var='muc#roomconfig_roomname'><value>Caf\xc3\xa9 "
               "\xe2\x82\xac</value></field>"
               "<field var='muc#roomconfig_persistentroom'><value>0</value>"
               "</field>"
               "<field var='muc#roomconfig_roomsecret'><value>pw</value>"
               "</field>"
               "<field var='muc#roomconfig_whois'><value>anyone</value>"
               "</field>"
               "<field var='muc#roomconfig_historylength'><value>30</value>"
               "</field>"
               "<field var='muc#roomconfig_enablearchiving'><value>1</value>"
               "</field>"
               "<field var='muc#roomconfig_presencebroadcast'><value>"
               "moderator</value></field></x>"),
        rec_of(&a, XPORTA_KIND_ROOM_AFFILIATION,
               "<item xmlns='http://jabber.org/protocol/muc#user' "
               "affiliation='owner' jid='Alice@Example.org/x' nick='A'/>"),
        rec_of(&a, XPORTA_KIND_ROOM_AFFILIATION,
               "<item xmlns='http://jabber.org/protocol/muc#user' "
               "affiliation='outcast' jid='spam@bad.example'><reason>"
               "say \"no\"</reason></item>"),
        rec_of(&a, XPORTA_KIND_ROOM_SUBJECT,
               "<message xmlns='jabber:client' type='groupchat' "
               "from='r@conference.new.localhost/Boss'><subject>Hi"
               "</subject><subject xml:lang='de'>Hallo</subject></message>"),
        rec_of(&a, XPORTA_KIND_VCARD,
               "<vCard xmlns='vcard-temp'><FN>R</FN></vCard>"),
    };
    for (size_t i = 0; i < sizeof recs / sizeof recs[0]; i++)
        assert_int_equal(ejd_room_w_add(&w, &recs[i], &why), XPORTA_OK);
    xporta_record other = recs[4];
    other.kind = XPORTA_KIND_ROSTER;
    assert_int_equal(ejd_room_w_add(&w, &other, &why), XPORTA_EUNSUPPORTED);
    assert_non_null(strstr(why, "r@conference.new.localhost"));
    struct xp_buf out;
    xp_buf_init(&out, 1u << 20);
    struct got n = {0};
    assert_int_equal(ejd_room_w_opts(&w, &out, on_note, &n, &why), XPORTA_OK);
    xp_buf_addc(&out, '\0');
    assert_string_equal(
        out.data,
        "[{title,<<67,97,102,195,169,32,226,130,172>>},{description,<<>>},"
        "{allow_change_subj,true},{allow_query_users,true},"
        "{allow_private_messages,true},"
        "{allow_private_messages_from_visitors,anyone},"
        "{allow_visitor_status,true},{allow_visitor_nickchange,true},"
        "{public,true},{public_list,true},{persistent,true},"
        "{moderated,true},{members_by_default,true},{members_only,false},"
        "{allow_user_invites,false},{password_protected,true},"
        "{captcha_protected,false},{password,<<\"pw\">>},"
        "{anonymous,false},{logging,false},{max_users,200},"
        "{allow_voice_requests,true},{allow_subscription,false},"
        "{mam,true},{presence_broadcast,[moderator]},"
        "{voice_request_min_interval,1800},"
        "{vcard,<<\"<vCard xmlns='vcard-temp'><FN>R</FN></vCard>\">>},"
        "{vcard_xupdate,<<>>},{pubsub,<<>>},{enable_hats,false},"
        "{lang,<<\"en\">>},{captcha_whitelist,[]},"
        "{affiliations,[{{<<\"alice\">>,<<\"example.org\">>,<<>>},"
        "{owner,<<>>}},{{<<\"spam\">>,<<\"bad.example\">>,<<>>},"
        "{outcast,<<\"say \\\"no\\\"\">>}}]},{roles,[]},"
        "{subject,[{text,<<>>,<<\"Hi\">>},{text,<<\"de\">>,"
        "<<\"Hallo\">>}]},{subject_author,<<\"Boss\">>},{hats_users,[]},"
        "{hibernation_time,undefined}]");
    assert_non_null(strstr(n.notes, "muc#roomconfig_historylength"));
    assert_non_null(strstr(n.notes, "temporary room"));
    assert_int_equal(w.naffs, 2);
    assert_string_equal(w.affs[0].nick, "A");

    /* and read back: the same room */
    struct got g;
    memset(&g, 0, sizeof g);
    g.a = &a;
    assert_int_equal(ejd_room_read_opts(&a, "r@" MUC, out.data, out.len - 1,
                                        NULL, 0, on_rec, on_note, &g, &why),
                     XPORTA_OK);
    assert_int_equal(g.n, 5); /* config, vcard, 2 affiliations, subject */
    assert_int_equal(g.recs[1].kind, XPORTA_KIND_VCARD);
    assert_true(xp_elem_equal(g.recs[1].payload, recs[4].payload));
    assert_true(xp_elem_equal(g.recs[4].payload, recs[3].payload));
    assert_string_equal(value_of(g.recs[0].payload, "muc#roomconfig_roomname"),
                        "Caf\xc3\xa9 \xe2\x82\xac");
    assert_string_equal(
        value_of(g.recs[0].payload, "muc#roomconfig_roomsecret"), "pw");
    xp_buf_cleanup(&out);
    xp_arena_cleanup(&a);
}

/* vcard_xupdate as ejabberd computes it when it loads the room. */
static void vcard_hash(void **state)
{
    (void)state;
    static const struct {
        const char *vcard, *want;
    } cases[] = {
        {"<vCard xmlns='vcard-temp'><PHOTO><TYPE>image/png</TYPE><BINVAL>"
         "iVBORw0KGgo=</BINVAL></PHOTO></vCard>",
         "{vcard_xupdate,<<\"4caece539b039b16e16206ea2478f8c5ffb2ca05\">>}"},
        {"<vCard xmlns='vcard-temp'><PHOTO><EXTVAL>http://x/y</EXTVAL>"
         "</PHOTO></vCard>",
         "{vcard_xupdate,external}"},
        {"<vCard xmlns='vcard-temp'><PHOTO><BINVAL>!!</BINVAL></PHOTO>"
         "</vCard>",
         "{vcard_xupdate,<<>>}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct xp_arena a;
        xp_arena_init(&a, 0);
        struct ejd_room_w w;
        ejd_room_w_init(&w, &a, TEAM);
        const char *why = NULL;
        xporta_record r = rec_of(&a, XPORTA_KIND_VCARD, cases[i].vcard);
        assert_int_equal(ejd_room_w_add(&w, &r, &why), XPORTA_OK);
        struct xp_buf out;
        xp_buf_init(&out, 1u << 20);
        assert_int_equal(ejd_room_w_opts(&w, &out, NULL, NULL, &why),
                         XPORTA_OK);
        xp_buf_addc(&out, '\0');
        assert_non_null(strstr(out.data, cases[i].want));
        xp_buf_cleanup(&out);
        xp_arena_cleanup(&a);
    }
}

/* photo.xml (a room in a XEP-0227 file) written as opts: the bytes the
 * real ejabberd wrote back after it loaded that row and its owner
 * submitted the form unchanged (photo.opts). */
static void file_to_ejabberds_bytes(void **state)
{
    (void)state;
    xporta_pie_reader *r;
    assert_int_equal(
        xporta_pie_reader_open(&r, data_path("ejabberd-rooms/photo.xml")),
        XPORTA_OK);
    struct xp_arena a;
    xp_arena_init(&a, 0);
    struct ejd_room_w w;
    ejd_room_w_init(&w, &a, "photo@" MUC);
    xporta_pie_event ev;
    const char *why = NULL;
    size_t arch = 0;
    while (xporta_pie_reader_next(r, &ev) == XPORTA_OK &&
           ev != XPORTA_PIE_END) {
        if (ev != XPORTA_PIE_ROOM_RECORD)
            continue;
        xporta_record *rec = xporta_pie_reader_record(r);
        if (rec->kind == XPORTA_KIND_ARCHIVE) {
            struct ejd_room_arc row;
            long long us;
            bool own;
            assert_int_equal(ejd_room_arc_write(&a, "photo@" MUC, rec, &row,
                                                &us, &own, &why),
                             XPORTA_OK);
            arch++;
            continue;
        }
        assert_int_equal(ejd_room_w_add(&w, rec, &why), XPORTA_OK);
    }
    assert_int_equal(arch, 2);
    struct xp_buf out;
    xp_buf_init(&out, 1u << 20);
    struct got n = {0};
    assert_int_equal(ejd_room_w_opts(&w, &out, on_note, &n, &why), XPORTA_OK);
    xp_buf_addc(&out, '\0');
    size_t len;
    char *want = data("photo.opts", &len);
    assert_string_equal(out.data, want);
    assert_string_equal(n.notes, "photo@" MUC ": field "
                                 "muc#roomconfig_historylength has no "
                                 "ejabberd option: not carried\n");
    free(want);
    xp_buf_cleanup(&out);
    xp_arena_cleanup(&a);
    xporta_pie_reader_free(r);
}

static void write_refuses_bad_values(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "<field var='muc#roomconfig_membersonly'><value>maybe</value></field>",
        "<field var='muc#roomconfig_maxusers'><value>-1</value></field>",
        "<field var='muc#roomconfig_whois'><value>all</value></field>",
        "<field var='muc#roomconfig_presencebroadcast'><value>admin</value>"
        "</field>",
        "<field var='allow_private_messages_from_visitors'><value>x</value>"
        "</field>",
        "<field var='voice_request_min_interval'><value>1e3</value></field>",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct xp_arena a;
        xp_arena_init(&a, 0);
        char text[512];
        snprintf(text, sizeof text, "<x xmlns='jabber:x:data'>%s</x>", bad[i]);
        struct ejd_room_w w;
        ejd_room_w_init(&w, &a, TEAM);
        const char *why = NULL;
        xporta_record r = rec_of(&a, XPORTA_KIND_ROOM_CONFIG, text);
        assert_int_equal(ejd_room_w_add(&w, &r, &why), XPORTA_OK);
        struct xp_buf out;
        xp_buf_init(&out, 1u << 20);
        assert_int_equal(ejd_room_w_opts(&w, &out, NULL, NULL, &why),
                         XPORTA_EFORMAT);
        assert_non_null(strstr(why, "room " TEAM ": field "));
        xp_buf_cleanup(&out);
        xp_arena_cleanup(&a);
    }
    struct xp_arena a;
    xp_arena_init(&a, 0);
    struct ejd_room_w w;
    ejd_room_w_init(&w, &a, TEAM);
    const char *why = NULL;
    xporta_record r =
        rec_of(&a, XPORTA_KIND_ROOM_AFFILIATION,
               "<item xmlns='http://jabber.org/protocol/muc#user' "
               "affiliation='none' jid='x@y'/>");
    assert_int_equal(ejd_room_w_add(&w, &r, &why), XPORTA_EFORMAT);
    assert_non_null(strstr(why, "affiliation of x@y"));
    xp_arena_cleanup(&a);
}

/* Damaged opts: refused, saying which room and what. */
static void malformed_opts(void **state)
{
    (void)state;
    static const struct {
        const char *opts, *what;
    } bad[] = {
        {"[{title,<<\"x\">>}", "not an Erlang term"},
        {"{title,<<\"x\">>}", "not a list of {Option, Value}"},
        {"[{title,<<\"x\">>,1}]", "not a list of {Option, Value}"},
        {"[{title,x}]", "title is not a binary"},
        {"[{public,yes}]", "public is not true or false"},
        {"[{max_users,-3}]", "max_users is not a non-negative integer"},
        {"[{presence_broadcast,[king]}]",
         "presence_broadcast holds something not a role"},
        {"[{allow_private_messages_from_visitors,all}]", "anyone, moderators"},
        {"[{affiliations,x}]", "affiliations is not a list"},
        {"[{affiliations,[{{<<\"a\">>,<<\"b\">>,<<>>},{king,<<>>}}]}]",
         "an affiliation that is not"},
        {"[{affiliations,[{{<<\"a\">>,<<>>,<<>>},owner}]}]",
         "an affiliation that is not"},
        {"[{subject,[{text,<<>>}]}]", "subject is not a list"},
        {"[{subject_author,1}]", "subject_author is not a binary"},
        {"[{vcard,<<\"<x>\">>}]", "vcard is not a vCard"},
        {"[{title,<<255>>}]", "title is not UTF-8 text"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct xp_arena a;
        xp_arena_init(&a, 0);
        struct got g;
        memset(&g, 0, sizeof g);
        g.a = &a;
        const char *why = NULL;
        assert_int_equal(ejd_room_read_opts(&a, TEAM, bad[i].opts,
                                            strlen(bad[i].opts), NULL, 0,
                                            on_rec, on_note, &g, &why),
                         XPORTA_EFORMAT);
        assert_non_null(why);
        if (strncmp(why, "muc_room.opts of " TEAM ": ",
                    17 + strlen(TEAM) + 2) ||
            !strstr(why, bad[i].what))
            fail_msg("%s: %s", bad[i].opts, why);
        xp_arena_cleanup(&a);
    }
    /* older rooms' {LJID, Aff}, a plain-binary subject and options ejabberd
     * 23.01 does not know are read */
    struct xp_arena a;
    xp_arena_init(&a, 0);
    struct got g;
    memset(&g, 0, sizeof g);
    g.a = &a;
    const char *ok = "[{affiliations,[{{<<\"a\">>,<<\"b\">>,<<>>},owner}]},"
                     "{subject,<<\"s\">>},{frobnicate,1},"
                     "{hats_users,[x]},{subscribers,[x]}]";
    const char *why = NULL;
    assert_int_equal(ejd_room_read_opts(&a, TEAM, ok, strlen(ok), NULL, 0,
                                        on_rec, on_note, &g, &why),
                     XPORTA_OK);
    assert_int_equal(g.n, 3);
    assert_non_null(strstr(g.notes, "frobnicate"));
    assert_non_null(strstr(g.notes, "hats"));
    assert_non_null(strstr(g.notes, "MucSub"));
    xp_arena_cleanup(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(real_team_room),
        cmocka_unit_test(real_secret_room),
        cmocka_unit_test(roundtrip_real),
        cmocka_unit_test(write_from_other_server),
        cmocka_unit_test(vcard_hash),
        cmocka_unit_test(file_to_ejabberds_bytes),
        cmocka_unit_test(write_refuses_bad_values),
        cmocka_unit_test(malformed_opts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
