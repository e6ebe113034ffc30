/* lib/store/prosody_room*.c: Prosody's MUC rooms as XEP-0519 room records
 * and back, through the store driver (select_room), on the internal
 * storage in a temporary data directory. */
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pie/pie.h"
#include "store/store.h"

#define MUC "conference%%2eold%%2elocalhost"

static const char team_dat[] =
    "return {\n"
    "\t[\"bob@old.localhost\"] = \"admin\";\n"
    "\t[\"_jid\"] = \"team@conference.old.localhost\";\n"
    "\t[\"alice@old.localhost\"] = \"owner\";\n"
    "\t[\"_affiliation_data\"] = { [\"carol@old.localhost\"] = { "
    "[\"reserved_nickname\"] = \"caro\"; }; };\n"
    "\t[\"dave@old.localhost\"] = \"outcast\";\n"
    "\t[\"_data\"] = {\n"
    "\t\t[\"members_only\"] = true; [\"name\"] = \"Team Room\";\n"
    "\t\t[\"description\"] = \"Weekly\"; [\"language\"] = \"en\";\n"
    "\t\t[\"subject_from\"] = \"team@conference.old.localhost/Alice\";\n"
    "\t\t[\"subject\"] = \"Sprint 42\"; [\"subject_time\"] = 1796444144;\n"
    "\t\t[\"history_length\"] = 30; [\"whois\"] = \"anyone\";\n"
    "\t\t[\"hidden\"] = true; [\"archiving\"] = false;\n"
    "\t\t[\"password\"] = \"s3cret\"; [\"occupant_id_salt\"] = \"x\";\n"
    "\t\t[\"presence_broadcast\"] = { [\"moderator\"] = true; };\n"
    "\t\t[\"persistent\"] = true;\n"
    "\t};\n"
    "\t[\"carol@old.localhost\"] = \"member\";\n"
    "\t[\"_x@old.localhost/res\"] = \"owner\";\n"
    "};\n";

/* the old format (_affiliations), and a destroyed room's tombstone */
static const char old_dat[] =
    "return { [\"jid\"] = \"old@conference.old.localhost\"; [\"_data\"] = { "
    "[\"persistent\"] = true; }; [\"_affiliations\"] = { "
    "[\"erin@old.localhost\"] = \"owner\"; }; };\n";
static const char gone_dat[] =
    "return { [\"_data\"] = { [\"destroyed\"] = true; [\"locked\"] = 1; }; "
    "};\n";

static const char team_list[] =
    "item({ { \"hello\"; [\"name\"] = \"body\"; [\"attr\"] = {}; }; "
    "[\"name\"] = \"message\"; [\"when\"] = 1796444144; [\"key\"] = \"k1\"; "
    "[\"attr\"] = { [\"type\"] = \"groupchat\"; [\"from\"] = "
    "\"team@conference.old.localhost/Alice\"; [\"stamp\"] = "
    "\"2026-12-05T04:15:44Z\"; }; [\"with\"] = \"message<groupchat\"; });\n";

static char *make_data(void)
{
    char *dir = make_tmpdir(), p[4200];
    snprintf(p, sizeof p, "%s/" MUC, dir);
    mkdir(p, 0750);
    snprintf(p, sizeof p, "%s/" MUC "/config", dir);
    mkdir(p, 0750);
    snprintf(p, sizeof p, "%s/" MUC "/muc_log", dir);
    mkdir(p, 0750);
    snprintf(p, sizeof p, "%s/" MUC "/config/team.dat", dir);
    write_file(p, team_dat);
    snprintf(p, sizeof p, "%s/" MUC "/config/old.dat", dir);
    write_file(p, old_dat);
    snprintf(p, sizeof p, "%s/" MUC "/config/gone.dat", dir);
    write_file(p, gone_dat);
    snprintf(p, sizeof p, "%s/" MUC "/muc_log/team.list", dir);
    write_file(p, team_list);
    return dir;
}

/* Records as "ROOM kind key payload" lines. */
struct got {
    struct xp_buf text;
    char room[256];
};

static xporta_status got_room(void *ud, const char *jid)
{
    struct got *g = ud;
    snprintf(g->room, sizeof g->room, "%s", jid);
    return xp_buf_printf(&g->text, "room %s\n", jid);
}

static xporta_status got_record(void *ud, xporta_record *rec)
{
    struct got *g = ud;
    xp_buf_printf(&g->text, "%s %s ", xporta_kind_name(rec->kind), rec->key);
    xp_elem_serialize(&g->text, rec->payload, "");
    return xp_buf_adds(&g->text, "\n");
}

static char *read_rooms(const char *address, const char *room)
{
    struct xp_run run;
    memset(&run, 0, sizeof run);
    struct store *s = NULL;
    assert_int_equal(store_open(&s, address, NULL, &run), XPORTA_OK);
    assert_true(store_has_rooms(s));
    assert_int_equal(store_select_room(s, room), XPORTA_OK);
    struct got g;
    memset(&g, 0, sizeof g);
    xp_buf_init(&g.text, 1u << 20);
    struct store_sink sink = {
        .record = got_record, .account = got_room, .ud = &g};
    assert_int_equal(store_read(s, ~0u, NULL, &sink), XPORTA_OK);
    store_close(s);
    xp_run_cleanup(&run);
    char *t = xp_buf_take(&g.text);
    xp_buf_cleanup(&g.text);
    return t ? t : strdup("");
}

/* _data as Prosody's owner form shows it; affiliations (new and old
 * format) with reserved nicks; the subject; muc_log as MAM results; the
 * tombstone left out. */
static void reads_rooms(void **state)
{
    (void)state;
    char *dir = make_data(), addr[4200];
    snprintf(addr, sizeof addr, "prosody:%s", dir);
    char *t = read_rooms(addr, NULL);
    const char *want[] = {
        "room old@conference.old.localhost\n",
        "room-affiliation erin@old.localhost <item "
        "xmlns='http://jabber.org/protocol/muc#user' jid='erin@old.localhost' "
        "affiliation='owner'/>",
        "room team@conference.old.localhost\n",
        "<field var='muc#roomconfig_roomname'><value>Team Room</value></field>",
        "<field var='muc#roomconfig_publicroom'><value>0</value></field>",
        "<field var='muc#roomconfig_membersonly'><value>1</value></field>",
        "<field var='muc#roomconfig_whois'><value>anyone</value></field>",
        "<field var='muc#roomconfig_roomsecret'><value>s3cret</value></field>",
        "<field "
        "var='muc#roomconfig_passwordprotectedroom'><value>1</value></field>",
        "<field var='muc#roomconfig_historylength'><value>30</value></field>",
        "<field var='muc#roomconfig_defaulthistorymessages'><value>20</value>",
        "<field var='muc#roomconfig_enablearchiving'><value>0</value></field>",
        "<field var='muc#roomconfig_presencebroadcast'><value>moderator</"
        "value></field>",
        "jid='carol@old.localhost' affiliation='member' nick='caro'/>",
        "jid='dave@old.localhost' affiliation='outcast'/>",
        "room-subject subject <message xmlns='jabber:client' type='groupchat' "
        "from='team@conference.old.localhost/Alice'><subject>Sprint "
        "42</subject><delay xmlns='urn:xmpp:delay' "
        "stamp='2026-12-05T04:15:44Z'/></message>",
        "archive k1 <result xmlns='urn:xmpp:mam:2' id='k1'><forwarded "
        "xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' "
        "stamp='2026-12-05T04:15:44Z'/><message xmlns='jabber:client' "
        "type='groupchat' from='team@conference.old.localhost/Alice'><body>"
        "hello</body></message></forwarded></result>",
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        if (!strstr(t, want[i]))
            fail_msg("missing %s in\n%s", want[i], t);
    assert_null(strstr(t, "gone@"));    /* the tombstone */
    assert_null(strstr(t, "_x@"));      /* not an affiliation key */
    assert_null(strstr(t, "occupant")); /* the salt stays */
    free(t);
    rm_rf(dir);
    free(dir);
}

static void on_done(void *ud, xporta_kind kind, const char *key, const char *id,
                    bool ok, const char *why)
{
    (void)id;
    struct xp_buf *b = ud;
    xp_buf_printf(b, "%s %s %s %s\n", xporta_kind_name(kind), key,
                  ok ? "ok" : "refused", why ? why : "");
}

static xporta_record *rec_of(struct xp_arena *a, xporta_kind kind,
                             const char *key, const char *xml)
{
    xporta_record *r = xp_arena_alloc(a, sizeof *r);
    memset(r, 0, sizeof *r);
    r->kind = kind;
    r->key = key;
    const char *why;
    unsigned long line, col;
    assert_int_equal(pie_parse_element(a, xml, strlen(xml), "jabber:client",
                                       &r->payload, &why, &line, &col),
                     XPORTA_OK);
    return r;
}

/* An ejabberd-made room into Prosody: the fields that map arrive, the
 * others are dropped, yet a second run finds it held (holds()); a message
 * without a body is refused with the reason; the room is listed in
 * `persistent`; old history is noted (muc_log_expires_after). */
static void writes_rooms(void **state)
{
    (void)state;
    char *dir = make_tmpdir(), addr[4200], p[4300];
    snprintf(addr, sizeof addr, "prosody:%s", dir);
    struct xp_arena a;
    xp_arena_init(&a, 0);
    xporta_record *recs[] = {
        rec_of(&a, XPORTA_KIND_ROOM_CONFIG, "config",
               "<x xmlns='jabber:x:data' type='submit'>"
               "<field var='FORM_TYPE'><value>http://jabber.org/protocol/"
               "muc#roomconfig</value></field>"
               "<field var='muc#roomconfig_roomname'><value>Ej</value></field>"
               "<field var='muc#roomconfig_publicroom'><value>0</value></field>"
               "<field var='muc#roomconfig_persistentroom'><value>0</value>"
               "</field><field var='muc#roomconfig_maxusers'><value>200</value>"
               "</field><field var='muc#roomconfig_allowinvites'><value>1"
               "</value></field><field var='muc#roomconfig_historylength'>"
               "<value>20</value></field><field "
               "var='muc#roomconfig_presencebroadcast'><value>participant"
               "</value><value>moderator</value></field></x>"),
        rec_of(&a, XPORTA_KIND_ROOM_AFFILIATION, "bob@new.localhost",
               "<item xmlns='http://jabber.org/protocol/muc#user' "
               "jid='bob@new.localhost' affiliation='admin' nick='bobby'>"
               "<reason>helps</reason></item>"),
        rec_of(&a, XPORTA_KIND_ROOM_SUBJECT, "subject",
               "<message type='groupchat' from='ej@conference.new.localhost/B'>"
               "<subject>Hi</subject><delay xmlns='urn:xmpp:delay' "
               "stamp='2025-01-01T00:00:00Z'/></message>"),
        rec_of(
            &a, XPORTA_KIND_ARCHIVE, "1735689600000000",
            "<result xmlns='urn:xmpp:mam:2' id='1735689600000000'><forwarded "
            "xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' "
            "stamp='2025-01-01T00:00:00.5Z'/><message xmlns='jabber:client' "
            "type='groupchat' from='ej@conference.new.localhost/B'><body>"
            "old</body></message></forwarded></result>"),
        rec_of(
            &a, XPORTA_KIND_ARCHIVE, "1735689600000001",
            "<result xmlns='urn:xmpp:mam:2' id='1735689600000001'><forwarded "
            "xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' "
            "stamp='2025-01-01T00:00:01Z'/><message xmlns='jabber:client' "
            "type='groupchat' from='ej@conference.new.localhost/B'><subject>"
            "Hi</subject></message></forwarded></result>"),
    };
    struct xp_run run;
    memset(&run, 0, sizeof run);
    struct store *s = NULL;
    struct store_opts o = {.target = true};
    assert_int_equal(store_open(&s, addr, &o, &run), XPORTA_OK);
    assert_true(s->drv->room_writable & (1u << XPORTA_KIND_ROOM_CONFIG));
    /* the engine leaves a bodiless room message out before writing */
    assert_non_null(s->drv->room_skip(recs[4]));
    assert_null(s->drv->room_skip(recs[3]));
    struct xp_buf done;
    xp_buf_init(&done, 1u << 16);
    assert_int_equal(store_select_room(s, "ej@conference.new.localhost"),
                     XPORTA_OK);
    assert_int_equal(store_write_begin(s, on_done, &done), XPORTA_OK);
    for (size_t i = 0; i < sizeof recs / sizeof *recs; i++)
        assert_int_equal(store_write(s, recs[i], false), XPORTA_OK);
    assert_int_equal(store_write_end(s), XPORTA_OK);
    assert_non_null(strstr(xp_buf_str(&done), "archive 1735689600000001 "
                                              "refused a room message without "
                                              "a body"));
    assert_non_null(strstr(xp_buf_str(&done), "room-config config ok"));
    assert_non_null(run.kind[XPORTA_KIND_ROOM_CONFIG].note);
    assert_non_null(strstr(run.kind[XPORTA_KIND_ROOM_CONFIG].note,
                           "muc_log_expires_after"));
    /* held: a second run writes nothing */
    assert_int_equal(store_select_room(s, "ej@conference.new.localhost"),
                     XPORTA_OK);
    assert_int_equal(store_write_begin(s, on_done, &done), XPORTA_OK);
    for (size_t i = 0; i < 3; i++)
        assert_true(store_holds(s, recs[i]));
    assert_int_equal(store_write_end(s), XPORTA_OK);
    /* the service's `persistent` map is written before the flush */
    assert_int_equal(store_flush(s), XPORTA_OK);
    store_close(s);
    xp_run_cleanup(&run);

    snprintf(p, sizeof p, "%s/conference%%2enew%%2elocalhost/config/ej.dat",
             dir);
    size_t len;
    char *cfg = slurp(p, &len);
    assert_non_null(cfg);
    const char *want[] = {
        "[\"name\"] = \"Ej\";",
        "[\"hidden\"] = true;",
        "[\"persistent\"] = true;", /* always: Prosody restores it */
        "[\"allow_member_invites\"] = true;",
        "[\"bob@new.localhost\"] = \"admin\";",
        "[\"reserved_nickname\"] = \"bobby\";",
        "[\"subject_time\"] = 1735689600;",
        "[\"_jid\"] = \"ej@conference.new.localhost\";",
        "[\"participant\"] = true;",
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        if (!strstr(cfg, want[i]))
            fail_msg("missing %s in\n%s", want[i], cfg);
    assert_null(strstr(cfg, "history_length")); /* the default */
    assert_null(strstr(cfg, "200"));            /* no place for maxusers */
    free(cfg);
    snprintf(p, sizeof p, "%s/conference%%2enew%%2elocalhost/persistent.dat",
             dir);
    char *pers = slurp(p, &len);
    assert_non_null(pers);
    assert_non_null(strstr(pers, "[\"ej@conference.new.localhost\"] = true;"));
    free(pers);
    snprintf(p, sizeof p, "%s/conference%%2enew%%2elocalhost/muc_log/ej.list",
             dir);
    char *list = slurp(p, &len);
    assert_non_null(list);
    assert_non_null(strstr(list, "[\"when\"] = 1735689600;"));
    assert_non_null(strstr(list, "[\"with\"] = \"message<groupchat\";"));
    assert_non_null(strstr(list, "[\"key\"] = \"1735689600000000\";"));
    assert_null(strstr(list, "1735689600000001"));
    free(list);

    /* read back: what the form keeps */
    char *t = read_rooms(addr, "ej@conference.new.localhost");
    assert_non_null(strstr(
        t, "<field var='muc#roomconfig_persistentroom'><value>1</value>"));
    assert_non_null(strstr(t, "nick='bobby'"));
    free(t);
    xp_buf_cleanup(&done);
    xp_arena_cleanup(&a);
    rm_rf(dir);
    free(dir);
}

/* The file driver reads a file's rooms for server-import: a muc (or
 * untyped) component's items, each as an account "name@component"; a
 * pubsub component's items are not rooms; the users are not read then. */
static void file_rooms(void **state)
{
    (void)state;
    char *dir = make_tmpdir(), path[4200], addr[4300];
    snprintf(path, sizeof path, "%s/f.xml", dir);
    write_file(path,
               "<server-data xmlns='urn:xmpp:pie:0'><host jid='e.org'>"
               "<user name='alice'/></host>"
               "<component xmlns='urn:xmpp:pie:0#component' jid='muc.e.org' "
               "type='muc'><item name='r1'><x "
               "xmlns='http://jabber.org/protocol/muc#user'><item "
               "jid='alice@e.org' affiliation='owner'/></x></item>"
               "<item name='r2'/></component>"
               "<component xmlns='urn:xmpp:pie:0#component' "
               "jid='pubsub.e.org' type='pubsub'><item name='n1'/>"
               "</component></server-data>");
    snprintf(addr, sizeof addr, "file:%s", path);
    char *t = read_rooms(addr, NULL);
    assert_string_equal(t, "room r1@muc.e.org\n"
                           "room-affiliation alice@e.org <item "
                           "xmlns='http://jabber.org/protocol/muc#user' "
                           "jid='alice@e.org' affiliation='owner'/>\n"
                           "room r2@muc.e.org\n");
    free(t);
    rm_rf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_rooms),
        cmocka_unit_test(writes_rooms),
        cmocka_unit_test(file_rooms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
