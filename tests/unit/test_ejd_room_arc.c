/* lib/store/ejd_room.h, the rest of test_ejd_room.c: registered nicks,
 * the room archive and io_lib's binaries, against rows captured from a
 * real ejabberd 23.01 (tests/data/ejabberd-rooms), and a room read from
 * ejabberd's rows as a XEP-0519 file. */
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

/* ---- muc_registered ----------------------------------------------------- */

static void registered_nicks(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    size_t len;
    char *rows = data("muc_registered.txt", &len);
    char *jid = rows, *host = strchr(jid, '\t');
    assert_non_null(host);
    *host++ = '\0';
    char *nick = strchr(host, '\t');
    *nick++ = '\0';
    nick[strcspn(nick, "\n")] = '\0';
    struct ejd_nick n;
    const char *why = NULL;
    assert_int_equal(ejd_room_nick_row(&a, jid, host, nick, &n, &why),
                     XPORTA_OK);
    assert_string_equal(n.nick, "caro");
    assert_int_equal(ejd_room_nick_row(&a, "a@b/c", MUC, "x", &n, &why),
                     XPORTA_EFORMAT);
    assert_string_equal(why, "muc_registered of " MUC
                             ": row a@b/c: jid is not a bare JID");
    assert_int_equal(ejd_room_nick_row(&a, "a@b", MUC, "", &n, &why),
                     XPORTA_EFORMAT);

    struct ejd_nicks s;
    ejd_nicks_init(&s, &a);
    struct got g = {0};
    bool added;
    assert_int_equal(ejd_nicks_add(&s, jid, nick, on_note, &g, &added),
                     XPORTA_OK);
    assert_true(added);
    assert_int_equal(ejd_nicks_add(&s, jid, nick, on_note, &g, &added),
                     XPORTA_OK);
    assert_false(added);
    assert_string_equal(g.notes, "");
    ejd_nicks_add(&s, jid, "carol2", on_note, &g, &added);
    assert_false(added);
    assert_non_null(strstr(g.notes, "keeps its registered nick 'caro'"));
    ejd_nicks_add(&s, "eve@x", "caro", on_note, &g, &added);
    assert_false(added);
    assert_non_null(strstr(g.notes, "nick 'caro' is registered to carol"));
    ejd_nicks_add(&s, "eve@x", "eve", on_note, &g, &added);
    assert_true(added);
    assert_int_equal(s.n, 2);
    free(rows);
    xp_arena_cleanup(&a);
}

/* ---- archive ------------------------------------------------------------ */

/* username, timestamp, peer, bare_peer, xml, txt, kind, nick */
static int split_row(char *line, char **col)
{
    int n = 0;
    for (char *p = line; n < 8; n++) {
        col[n] = p;
        char *t = strchr(p, '\t');
        if (!t)
            return n + 1;
        *t = '\0';
        p = t + 1;
    }
    return n;
}

static void real_archive(void **state)
{
    (void)state;
    size_t len;
    char *rows = data("archive.tsv", &len);
    int seen = 0;
    for (char *line = rows, *nl; line && *line; line = nl) {
        nl = strchr(line, '\n');
        if (nl)
            *nl++ = '\0';
        char *c[8] = {0};
        assert_int_equal(split_row(line, c), 8);
        struct xp_arena a;
        xp_arena_init(&a, 0);
        struct ejd_room_arc row = {c[1],         c[2], c[3], c[4],
                                   strlen(c[4]), c[5], c[6], c[7]};
        xp_elem *res;
        const char *why = NULL;
        assert_int_equal(ejd_room_arc_read(&a, c[0], &row, &res, &why),
                         XPORTA_OK);
        assert_string_equal(xp_elem_attr_ns(res, "", "id"), c[1]);
        long long usec;
        const xp_elem *m = ejd_archive_unwrap(res, &usec);
        assert_non_null(m);
        assert_int_equal(usec, strtoll(c[1], NULL, 10));
        char *from = xp_arena_printf(&a, "%s/%s", c[0], c[7]);
        assert_string_equal(xp_elem_attr_ns(m, "", "from"), from);
        assert_null(xp_elem_attr_ns(m, "", "to"));
        const xp_elem *x = xp_elem_child(m, XP_NS_MUC_USER, "x");
        assert_string_equal(
            xp_elem_attr_ns(xp_elem_child(x, XP_NS_MUC_USER, "item"), "",
                            "jid"),
            c[2]);
        if (!seen)
            assert_non_null(xp_elem_child(m, XP_NS_CLIENT, "subject"));

        /* and back: the row ejabberd wrote */
        xporta_record rec;
        memset(&rec, 0, sizeof rec);
        rec.kind = XPORTA_KIND_ARCHIVE;
        rec.payload = res;
        rec.key = c[1];
        struct ejd_room_arc back;
        bool own;
        assert_int_equal(
            ejd_room_arc_write(&a, c[0], &rec, &back, &usec, &own, &why),
            XPORTA_OK);
        assert_true(own);
        assert_string_equal(back.timestamp, c[1]);
        assert_string_equal(back.peer, c[2]);
        assert_string_equal(back.bare_peer, c[3]);
        assert_string_equal(back.txt, c[5]);
        assert_string_equal(back.kind, "groupchat");
        assert_string_equal(back.nick, c[7]);
        xp_elem *orig, *again;
        unsigned long l, co;
        assert_int_equal(
            pie_parse_element(&a, c[4], strlen(c[4]), "", &orig, &why, &l, &co),
            XPORTA_OK);
        assert_int_equal(pie_parse_element(&a, back.xml, back.xml_len, "",
                                           &again, &why, &l, &co),
                         XPORTA_OK);
        assert_true(xp_elem_equal(orig, again));
        xp_arena_cleanup(&a);
        seen++;
    }
    assert_int_equal(seen, 4);
    free(rows);
}

static void archive_from_a_file(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    /* as muc-full.xml has it: an id that is not ejabberd's, a stanza-id of
     * the old room */
    xporta_record rec =
        rec_of(&a, XPORTA_KIND_ARCHIVE,
               "<result xmlns='urn:xmpp:mam:2' id='abc'><forwarded "
               "xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' "
               "stamp='2026-11-30T10:00:10Z'/><message xmlns='jabber:client' "
               "type='groupchat' from='team@conference.new.localhost/bobby' "
               "id='g2'><body>Hi</body><stanza-id xmlns='urn:xmpp:sid:0' "
               "by='team@conference.new.localhost' id='abc'/></message>"
               "</forwarded></result>");
    struct ejd_room_arc row;
    long long usec;
    bool own;
    const char *why = NULL;
    assert_int_equal(
        ejd_room_arc_write(&a, TEAM, &rec, &row, &usec, &own, &why), XPORTA_OK);
    assert_false(own);
    assert_int_equal(usec, 1796032810000000LL);
    assert_string_equal(row.timestamp, "1796032810000000");
    assert_string_equal(row.nick, "bobby");
    assert_string_equal(row.peer, TEAM "/bobby");
    assert_string_equal(row.bare_peer, TEAM);
    assert_string_equal(row.txt, "Hi");
    assert_string_equal(row.xml,
                        "<message xmlns='jabber:client' type='groupchat' "
                        "from='team@conference.new.localhost/bobby' id='g2' "
                        "to='team@conference.new.localhost'><body>Hi</body>"
                        "</message>");
    /* read back: no real JID was known, none is shown */
    xp_elem *res;
    assert_int_equal(ejd_room_arc_read(&a, TEAM, &row, &res, &why), XPORTA_OK);
    long long us2;
    const xp_elem *m2 = ejd_archive_unwrap(res, &us2);
    assert_null(xp_elem_child(m2, XP_NS_MUC_USER, "x"));
    assert_string_equal(xp_elem_attr_ns(m2, "", "from"), TEAM "/bobby");
    /* a file's indentation does not go into the row */
    xporta_record r3 = rec_of(
        &a, XPORTA_KIND_ARCHIVE,
        "<result xmlns='urn:xmpp:mam:2' id='1796032810000001'><forwarded "
        "xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' "
        "stamp='2026-11-30T10:00:10Z'/><message xmlns='jabber:client' "
        "from='" TEAM "/A'>\n  <body>x</body>\n  <x "
        "xmlns='http://jabber.org/protocol/muc#user'><item "
        "jid='a@b/c'/></x>\n</message></forwarded></result>");
    assert_int_equal(ejd_room_arc_write(&a, TEAM, &r3, &row, &usec, &own, &why),
                     XPORTA_OK);
    assert_true(own);
    assert_string_equal(row.peer, "a@b/c");
    assert_string_equal(row.xml, "<message xmlns='jabber:client' from='a@b/c' "
                                 "to='" TEAM "'><body>x</body></message>");
    /* not from an occupant; no time */
    xporta_record r2 = rec_of(
        &a, XPORTA_KIND_ARCHIVE,
        "<result xmlns='urn:xmpp:mam:2' id='x'><forwarded "
        "xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' "
        "stamp='2026-11-30T10:00:10Z'/><message xmlns='jabber:client' "
        "from='someone@else'><body>Hi</body></message></forwarded></result>");
    assert_int_equal(ejd_room_arc_write(&a, TEAM, &r2, &row, &usec, &own, &why),
                     XPORTA_EUNSUPPORTED);
    assert_non_null(strstr(why, "not from an occupant"));
    /* bad rows */
    struct ejd_room_arc bad = {"12x", "a@b/c", "a@b",       "<message/>",
                               10,    "",      "groupchat", "n"};
    xp_elem *out;
    assert_int_equal(ejd_room_arc_read(&a, TEAM, &bad, &out, &why),
                     XPORTA_EFORMAT);
    assert_string_equal(why, "archive row 12x of " TEAM
                             ": a timestamp that is not microseconds");
    bad.timestamp = "1796032810000000";
    bad.xml = "x\x01";
    bad.xml_len = 2;
    assert_int_equal(ejd_room_arc_read(&a, TEAM, &bad, &out, &why),
                     XPORTA_EFORMAT);
    assert_non_null(strstr(why, "compress_xml"));
    bad.xml = "<message><body>";
    bad.xml_len = strlen(bad.xml);
    assert_int_equal(ejd_room_arc_read(&a, TEAM, &bad, &out, &why),
                     XPORTA_EFORMAT);
    assert_non_null(strstr(why, "does not parse"));
    bad.xml = "<iq/>";
    bad.xml_len = 5;
    assert_int_equal(ejd_room_arc_read(&a, TEAM, &bad, &out, &why),
                     XPORTA_EFORMAT);
    bad.kind = "chat";
    assert_int_equal(ejd_room_arc_read(&a, TEAM, &bad, &out, &why),
                     XPORTA_EFORMAT);
    assert_non_null(strstr(why, "groupchat"));
    xp_arena_cleanup(&a);
}

/* io_lib:print's binaries, as erl printed them. */
static void binaries_as_io_lib(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        size_t n;
        const char *out;
    } cases[] = {
        {"a\"b\\c", 5, "<<\"a\\\"b\\\\c\">>"},
        {"a\nb\tc\rd", 7, "<<\"a\\nb\\tc\\rd\">>"},
        {"caf\xc3\xa9", 5, "<<\"caf\xc3\xa9\">>"},
        {"x\x7f", 2, "<<120,127>>"},
        {"x\x07", 2, "<<120,7>>"},
        {"x\x1b\x0b\x08\x0c", 5, "<<\"x\\e\\v\\b\\f\">>"},
        {"\xa0\xff", 2, "<<\"\xa0\xff\">>"},
        {"", 0, "<<>>"},
        {"x\x9f", 2, "<<120,159>>"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct xp_buf b;
        xp_buf_init(&b, 1024);
        assert_int_equal(et_bin_print(&b, cases[i].in, cases[i].n), XPORTA_OK);
        xp_buf_addc(&b, '\0');
        assert_string_equal(b.data, cases[i].out);
        /* and read back */
        struct xp_arena a;
        xp_arena_init(&a, 0);
        struct eterm t;
        const char *why;
        assert_true(et_parse(&a, b.data, b.len - 1, &t, &why));
        assert_int_equal(t.t, ET_BIN);
        assert_int_equal(t.len, cases[i].n);
        assert_memory_equal(t.s, cases[i].in, cases[i].n);
        xp_arena_cleanup(&a);
        xp_buf_cleanup(&b);
    }
}

/* The real team room (its opts, carol's registered nick, its archive
 * rows) as room records written by xporta's XEP-0227 writer: the file
 * checks without a problem and reads back as the same records. */
static void as_a_xep0519_file(void **state)
{
    (void)state;
    struct xp_arena a;
    xp_arena_init(&a, 0);
    struct ejd_nick nicks[] = {{"carol@new.localhost", "caro"}};
    struct got g;
    read_room(&a, "team.opts", TEAM, &g, nicks, 1);
    size_t len;
    char *rows = data("archive.tsv", &len);
    for (char *line = rows, *nl; line && *line; line = nl) {
        nl = strchr(line, '\n');
        if (nl)
            *nl++ = '\0';
        char *c[8] = {0};
        assert_int_equal(split_row(line, c), 8);
        if (strcmp(c[0], TEAM) != 0)
            continue;
        struct ejd_room_arc row = {c[1],         c[2], c[3], c[4],
                                   strlen(c[4]), c[5], c[6], c[7]};
        const char *why;
        assert_true(g.n < 32);
        xporta_record *r = &g.recs[g.n++];
        memset(r, 0, sizeof *r);
        r->kind = XPORTA_KIND_ARCHIVE;
        r->key = xp_arena_strdup(&a, c[1]);
        assert_int_equal(ejd_room_arc_read(&a, TEAM, &row, &r->payload, &why),
                         XPORTA_OK);
    }
    free(rows);
    assert_int_equal(g.n, 7 + 3);
    /* the subject's time: the archived message that set it (the first row) */
    assert_int_equal(g.recs[6].kind, XPORTA_KIND_ROOM_SUBJECT);
    long long t0;
    assert_non_null(xp_elem_child(ejd_archive_unwrap(g.recs[7].payload, &t0),
                                  XP_NS_CLIENT, "subject"));
    assert_int_equal(ejd_room_subject_time(&a, TEAM, g.recs[6].payload,
                                           strtoll(g.recs[7].key, NULL, 10)),
                     XPORTA_OK);
    const xp_elem *dl = xp_elem_child(g.recs[6].payload, XP_NS_DELAY, "delay");
    assert_non_null(dl);
    assert_string_equal(xp_elem_attr_ns(dl, "", "stamp"),
                        "2026-12-05T05:46:13.713785Z");

    char *dir = make_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/rooms.xml", dir);
    xporta_pie_writer *w;
    assert_int_equal(
        xporta_pie_writer_open(&w, path, XPORTA_DIALECT_STANDARD, 0),
        XPORTA_OK);
    assert_int_equal(xporta_pie_writer_begin_component(w, MUC, "muc"),
                     XPORTA_OK);
    assert_int_equal(xporta_pie_writer_begin_room(w, "team", NULL), XPORTA_OK);
    for (size_t i = 0; i < g.n; i++)
        assert_int_equal(xporta_pie_writer_write_room(w, &g.recs[i]),
                         XPORTA_OK);
    assert_int_equal(xporta_pie_writer_end_room(w), XPORTA_OK);
    assert_int_equal(xporta_pie_writer_end_component(w), XPORTA_OK);
    assert_int_equal(xporta_pie_writer_commit(w), XPORTA_OK);
    xporta_pie_writer_free(w);

    xporta_pie_reader *r;
    assert_int_equal(xporta_pie_reader_open(&r, path), XPORTA_OK);
    struct diags d = {0};
    xporta_checker *ck;
    assert_int_equal(xporta_checker_new(&ck, diags_cb, &d), XPORTA_OK);
    xporta_pie_event ev;
    size_t seen = 0;
    while (xporta_pie_reader_next(r, &ev) == XPORTA_OK &&
           ev != XPORTA_PIE_END) {
        assert_int_equal(xporta_checker_event(ck, r, ev), XPORTA_OK);
        if (ev != XPORTA_PIE_ROOM_RECORD)
            continue;
        const xporta_record *rec = xporta_pie_reader_record(r);
        bool found = false;
        for (size_t i = 0; i < g.n && !found; i++)
            found = g.recs[i].kind == rec->kind &&
                    strcmp(g.recs[i].key, rec->key) == 0 &&
                    xp_elem_equal(g.recs[i].payload, rec->payload);
        if (!found)
            fail_msg("not written as read: %s %s", xporta_kind_name(rec->kind),
                     rec->key);
        seen++;
    }
    assert_int_equal(ev, XPORTA_PIE_END);
    assert_int_equal(seen, g.n);
    if (xporta_checker_errors(ck) || xporta_checker_warnings(ck))
        fail_msg("%s", d.text);
    xporta_checker_free(ck);
    xporta_pie_reader_free(r);
    diags_free(&d);
    rm_rf(dir);
    free(dir);
    xp_arena_cleanup(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(registered_nicks),
        cmocka_unit_test(real_archive),
        cmocka_unit_test(archive_from_a_file),
        cmocka_unit_test(binaries_as_io_lib),
        cmocka_unit_test(as_a_xep0519_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
