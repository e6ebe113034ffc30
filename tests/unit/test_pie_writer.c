/* The XEP-0227 writer: round trips in every dialect, durability, modes. */
#include "test_util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const samples[] = {
    "prosody-export.xml", "prosody-export-bob.xml", "ejabberd-export-main.xml",
    "full.xml",           "prosody-pending.xml",    "split/server-data.xml",
};

static void convert(const char *in, const char *out, xporta_dialect d,
                    unsigned flags)
{
    xporta_pie_reader *r = NULL;
    xporta_pie_writer *w = NULL;
    assert_int_equal(xporta_pie_reader_open(&r, in), XPORTA_OK);
    assert_int_equal(xporta_pie_writer_open(&w, out, d, flags), XPORTA_OK);
    xporta_status st = copy_stream(r, w);
    if (st != XPORTA_OK)
        fail_msg("%s -> %s: %s / %s", in, out, xporta_pie_reader_error(r),
                 xporta_pie_writer_error(w));
    st = xporta_pie_writer_commit(w);
    if (st != XPORTA_OK)
        fail_msg("commit %s: %s", out, xporta_pie_writer_error(w));
    xporta_pie_writer_free(w);
    xporta_pie_reader_free(r);
}

static void round_trip_standard_is_exact(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        for (unsigned compact = 0; compact <= 1; compact++) {
            char out[4096];
            snprintf(out, sizeof out, "%s/out-%zu-%u.xml", dir, i, compact);
            convert(data_path(samples[i]), out, XPORTA_DIALECT_STANDARD,
                    compact ? XPORTA_PIE_COMPACT : 0);
            xporta_status st;
            char err[512];
            char *a = digest_file(data_path(samples[i]), &st, err, sizeof err);
            assert_non_null(a);
            char *b = digest_file(out, &st, err, sizeof err);
            if (!b)
                fail_msg("%s: re-read: %s", samples[i], err);
            assert_text_equal(a, b);
            free(a);
            free(b);
        }
    }
    rm_rf(dir);
    free(dir);
}

/* A digest with the layout taken out: "user: record" lines, sorted. */
static int cmp_lines(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *normalize(const char *digest, bool drop_plain)
{
    char *copy = strdup(digest);
    char **lines = NULL;
    size_t n = 0;
    char user[256] = "";
    for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l;
         l = strtok_r(NULL, "\n", &save)) {
        if (strncmp(l, "user ", 5) == 0) {
            snprintf(user, sizeof user, "%.*s", (int)strcspn(l + 5, " "),
                     l + 5);
            continue;
        }
        if (strncmp(l, "record ", 7) != 0)
            continue;
        if (drop_plain && strstr(l, "record credentials [PLAIN]"))
            continue;
        lines = realloc(lines, (n + 1) * sizeof *lines);
        size_t len = strlen(user) + strlen(l) + 3;
        lines[n] = malloc(len);
        snprintf(lines[n], len, "%s: %s", user, l);
        n++;
    }
    qsort(lines, n, sizeof *lines, cmp_lines);
    size_t total = 1;
    for (size_t i = 0; i < n; i++)
        total += strlen(lines[i]) + 1;
    char *out = malloc(total);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        strcat(out, lines[i]);
        strcat(out, "\n");
        free(lines[i]);
    }
    free(lines);
    free(copy);
    return out;
}

static char *digest_dir(const char *dir)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort);
    assert_true(n > 2);
    size_t cap = 1, len = 0;
    char *all = calloc(1, 1);
    for (int i = 0; i < n; i++) {
        if (names[i]->d_name[0] != '.') {
            char p[4096 + 256 + 2]; /* PATH_MAX + NAME_MAX */
            xporta_status st;
            char err[512];
            snprintf(p, sizeof p, "%.4096s/%.256s", dir, names[i]->d_name);
            char *d = digest_file(p, &st, err, sizeof err);
            if (!d)
                fail_msg("%s: %s", p, err);
            cap = len + strlen(d) + 1;
            all = realloc(all, cap);
            strcpy(all + len, d);
            len += strlen(d);
            free(d);
        }
        free(names[i]);
    }
    free(names);
    return all;
}

static void round_trip_prosody_keeps_every_record(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        char out[4096];
        snprintf(out, sizeof out, "%s/prosody-%zu", dir, i);
        convert(data_path(samples[i]), out, XPORTA_DIALECT_PROSODY, 0);
        xporta_status st;
        char *a = digest_file(data_path(samples[i]), &st, NULL, 0);
        char *b = digest_dir(out);
        char *na = normalize(a, false), *nb = normalize(b, false);
        assert_text_equal(na, nb);
        free(a);
        free(b);
        free(na);
        free(nb);
    }
    /* Prosody's reader needs: one file per user named USER@HOST.xml, one
     * <pubsub> of each namespace, <items/> for each configured node, an
     * <archive/>, presence in jabber:client. */
    char p[4096];
    snprintf(p, sizeof p, "%s/prosody-4/juliet@example.com.xml", dir);
    char *text = slurp(p, NULL);
    assert_non_null(text);
    assert_non_null(strstr(text, "<server-data xmlns='urn:xmpp:pie:0'><host "
                                 "jid='example.com'>"));
    assert_non_null(strstr(text, "<items node='storage:bookmarks'>"));
    assert_non_null(strstr(text, "<archive xmlns='urn:xmpp:pie:0#mam'/>"));
    assert_non_null(
        strstr(text, "<presence xmlns='jabber:client' type='subscribe'"));
    free(text);
    snprintf(p, sizeof p, "%s/prosody-3/juliet@capulet.com.xml", dir);
    text = slurp(p, NULL);
    assert_non_null(text);
    const char *owner = strstr(text, "pubsub#owner'>");
    assert_non_null(owner);
    assert_null(strstr(owner + 1, "pubsub#owner'>"));
    assert_non_null(strstr(text, "<items node='urn:xmpp:moved:1'>"));
    free(text);
    rm_rf(dir);
    free(dir);
}

/* Issue 15: a valid ejabberd user whose privacy lists come as <default/>,
 * another list, then "Blocked contacts" (or W-D-B, W-B-D) stopped a whole
 * conversion to Prosody: the reader turns "Blocked contacts" into blocklist
 * records between the privacy records, and Prosody's one privacy query must
 * hold them all. */
static void prosody_groups_privacy_around_blocklist(void **state)
{
    (void)state;
    static const char w_list[] =
        "<list name='W'><item type='jid' value='x@y.example' action='allow' "
        "order='1'/></list>";
    static const char b_list[] =
        "<list name='Blocked contacts'><item value='s@e.example' type='jid' "
        "order='0' action='deny'/><item value='t@e.example' type='jid' "
        "order='1' action='deny'/></list>";
    static const char d[] = "<default name='W'/>";
    const char *orders[][3] = {
        {d, w_list, b_list}, {w_list, d, b_list}, {w_list, b_list, d},
        {b_list, w_list, d}, {d, b_list, w_list},
    };
    char *dir = make_tmpdir();
    for (size_t i = 0; i < sizeof orders / sizeof orders[0]; i++) {
        char in[4096], out[4096], text[2048];
        snprintf(in, sizeof in, "%s/in-%zu.xml", dir, i);
        snprintf(out, sizeof out, "%s/prosody-%zu", dir, i);
        snprintf(text, sizeof text,
                 "<host xmlns='urn:xmpp:pie:0' jid='e.example'><user "
                 "name='alice'><query xmlns='jabber:iq:roster'/><query "
                 "xmlns='jabber:iq:privacy'>%s%s%s</query><vCard "
                 "xmlns='vcard-temp'><FN>A</FN></vCard></user></host>\n",
                 orders[i][0], orders[i][1], orders[i][2]);
        write_file(in, text);
        convert(in, out, XPORTA_DIALECT_PROSODY, 0);
        xporta_status st;
        char *a = digest_file(in, &st, NULL, 0);
        char *b = digest_dir(out);
        char *na = normalize(a, false), *nb = normalize(b, false);
        assert_text_equal(na, nb);
        assert_non_null(strstr(na, "blocklist"));
        free(a);
        free(b);
        free(na);
        free(nb);
        char p[8192];
        snprintf(p, sizeof p, "%s/alice@e.example.xml", out);
        char *file = slurp(p, NULL);
        assert_non_null(file);
        const char *q = strstr(file, "jabber:iq:privacy");
        assert_non_null(q);
        assert_null(strstr(q + 1, "jabber:iq:privacy"));
        q = strstr(file, "<blocklist");
        assert_non_null(q);
        assert_null(strstr(q + 1, "<blocklist"));
        free(file);
    }
    rm_rf(dir);
    free(dir);
}

static unsigned count_of(const char *text, const char *what)
{
    unsigned n = 0;
    for (const char *p = strstr(text, what); p; p = strstr(p + 1, what))
        n++;
    return n;
}

/* Issue 15: any order and split of a Prosody user's records converts, each
 * store in one container (Prosody reads only the first): a roster in two
 * <query> elements stopped the conversion ("roster records are not
 * consecutive"), and an unknown element in a <pubsub> came out as a first
 * <pubsub> that hid the PEP data.  Every kind here comes in two pieces,
 * with the archive in between, and the offline messages (1.5 MB) pass
 * PIE_HOLD_MEM and go through the spill file. */
static void prosody_groups_every_split_kind(void **state)
{
    (void)state;
    static const char arch[] =
        "<archive xmlns='urn:xmpp:pie:0#mam'><result xmlns='urn:xmpp:mam:2' "
        "id='a%d'><forwarded xmlns='urn:xmpp:forward:0'><delay "
        "xmlns='urn:xmpp:delay' stamp='2020-01-01T00:00:0%dZ'/><message "
        "xmlns='jabber:client' from='b@e.example' "
        "to='alice@e.example'><body>m%d</body></message></forwarded></result>"
        "</archive>";
    static const char *const piece[2] = {
        "<query xmlns='jabber:iq:roster'><item jid='b@e.example' "
        "subscription='both'/></query>"
        "<query xmlns='jabber:iq:private'><a xmlns='urn:a'/></query>"
        "<query xmlns='jabber:iq:privacy'><list name='W'><item type='jid' "
        "value='x@y.example' action='allow' order='1'/></list></query>"
        "<blocklist xmlns='urn:xmpp:blocking'><item jid='s@e.example'/>"
        "</blocklist>"
        "<pubsub xmlns='http://jabber.org/protocol/pubsub#owner'><configure "
        "node='n1'/><strange xmlns='urn:s'/></pubsub>"
        "<pubsub xmlns='http://jabber.org/protocol/pubsub'><items "
        "node='n1'><item id='i1'><x xmlns='urn:x'/></item></items></pubsub>"
        "<presence xmlns='jabber:client' type='subscribe' "
        "from='p@e.example'/>",
        "<query xmlns='jabber:iq:roster'><item jid='c@e.example' "
        "subscription='to'/><odd xmlns='urn:odd'/></query>"
        "<query xmlns='jabber:iq:private'><b xmlns='urn:b'/></query>"
        "<query xmlns='jabber:iq:privacy'><default name='W'/></query>"
        "<blocklist xmlns='urn:xmpp:blocking'><item jid='t@e.example'/>"
        "</blocklist>"
        "<pubsub xmlns='http://jabber.org/protocol/pubsub'><items "
        "node='n1'><item id='i2'><x xmlns='urn:x'/></item></items><items "
        "node='n2'><item id='j1'><y xmlns='urn:y'/></item></items></pubsub>"
        "<pubsub xmlns='http://jabber.org/protocol/pubsub#owner'><configure "
        "node='n2'/></pubsub>"
        "<vCard xmlns='vcard-temp'><FN>A</FN></vCard>"
        "<prefs xmlns='urn:xmpp:mam:2' default='always'/>"
        "<unknown xmlns='urn:u'><deep/></unknown>",
    };
    char *dir = make_tmpdir();
    char in[4096], out[4096], p[8192];
    snprintf(in, sizeof in, "%s/in.xml", dir);
    snprintf(out, sizeof out, "%s/prosody", dir);
    FILE *f = fopen(in, "w");
    assert_non_null(f);
    fprintf(f, "<server-data xmlns='urn:xmpp:pie:0'><host jid='e.example'>"
               "<user name='alice' password='pw'>");
    for (int half = 0; half < 2; half++) {
        fputs(piece[half], f);
        fprintf(f, "<offline-messages>");
        for (int i = 0; i < 1500; i++)
            fprintf(f,
                    "<message xmlns='jabber:client' from='b@e.example' "
                    "id='o%d-%d'><body>%0900d</body></message>",
                    half, i, i);
        fprintf(f, "</offline-messages>");
        fprintf(f, arch, half, half, half);
    }
    fprintf(f, "<scram-credentials xmlns='urn:xmpp:pie:0#scram' "
               "mechanism='SCRAM-SHA-1'><iter-count>4096</iter-count>"
               "<salt>c2FsdA==</salt><server-key>"
               "AAAAAAAAAAAAAAAAAAAAAAAAAAA=</server-key><stored-key>"
               "AAAAAAAAAAAAAAAAAAAAAAAAAAA=</stored-key></scram-credentials>");
    fprintf(f, "</user></host></server-data>\n");
    assert_int_equal(fclose(f), 0);

    convert(in, out, XPORTA_DIALECT_PROSODY, 0);
    xporta_status st;
    char *a = digest_file(in, &st, NULL, 0);
    char *b = digest_dir(out);
    char *na = normalize(a, false), *nb = normalize(b, false);
    assert_text_equal(na, nb);
    free(a);
    free(b);
    free(na);
    free(nb);
    snprintf(p, sizeof p, "%s/alice@e.example.xml", out);
    char *text = slurp(p, NULL);
    assert_non_null(text);
    static const char *const once[] = {
        "<query xmlns='jabber:iq:roster'>",
        "<query xmlns='jabber:iq:private'>",
        "<query xmlns='jabber:iq:privacy'>",
        "<blocklist xmlns='urn:xmpp:blocking'>",
        "<offline-messages xmlns='urn:xmpp:pie:0'>",
        "<archive xmlns='urn:xmpp:pie:0#mam'>",
        "<pubsub xmlns='http://jabber.org/protocol/pubsub#owner'>",
        "<pubsub xmlns='http://jabber.org/protocol/pubsub'>",
        "<items node='n1'>",
        "<items node='n2'>",
        "password='pw'",
        "<scram-credentials",
    };
    for (size_t i = 0; i < sizeof once / sizeof once[0]; i++)
        if (count_of(text, once[i]) != 1)
            fail_msg("%s occurs %u times", once[i], count_of(text, once[i]));
    /* The unknown element of the owner's pubsub is inside the one that
     * holds the configuration, which Prosody reads. */
    const char *owner = strstr(
        text, "<pubsub xmlns='http://jabber.org/protocol/pubsub#owner'>");
    const char *strange = strstr(text, "<strange xmlns='urn:s'/>");
    assert_non_null(strange);
    assert_true(owner && owner < strange);
    assert_true(strstr(owner, "<configure node='n2'/>") <
                strstr(owner, "</pubsub>"));
    assert_true(strange < strstr(owner, "</pubsub>"));
    free(text);
    /* Nothing but the user's file: the spill file went with the writer. */
    struct dirent **names;
    int n = scandir(out, &names, NULL, alphasort);
    assert_int_equal(n, 3);
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    rm_rf(dir);
    free(dir);
}

/* Issue 15: Prosody's mod_storage_xep0227 opens USER@HOST.xml with the
 * JID's parts as they are and lists users as the file names' text before
 * the first '@'; the writer used to escape them ('élève' became
 * %C3%A9l%C3%A8ve@..., a user Prosody then created under that name).  What
 * cannot be written that way is refused, not renamed. */
static void prosody_names_files_as_prosody_reads_them(void **state)
{
    (void)state;
    static const char *const names[] = {
        "\xc3\xa9l\xc3\xa8ve", /* élève */
        "p%41q.r+s~t!",        /* '%' stays '%': Prosody decodes nothing */
        ".dot",                /* a leading dot: Prosody lists it too */
    };
    char *dir = make_tmpdir();
    char in[4096], out[4096], p[8192];
    snprintf(in, sizeof in, "%s/in.xml", dir);
    snprintf(out, sizeof out, "%s/prosody", dir);
    FILE *f = fopen(in, "w");
    assert_non_null(f);
    fprintf(f, "<host xmlns='urn:xmpp:pie:0' jid='x.example'>");
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        fprintf(f,
                "<user name='%s'><vCard xmlns='vcard-temp'><FN>%zu</FN>"
                "</vCard></user>",
                names[i], i);
    fprintf(f, "</host>\n");
    assert_int_equal(fclose(f), 0);
    convert(in, out, XPORTA_DIALECT_PROSODY, 0);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(p, sizeof p, "%s/%s@x.example.xml", out, names[i]);
        char *text = slurp(p, NULL);
        if (!text)
            fail_msg("no file %s", p);
        char want[256];
        snprintf(want, sizeof want, "<user name='%s'>", names[i]);
        assert_non_null(strstr(text, want));
        free(text);
    }
    struct dirent **list;
    int n = scandir(out, &list, NULL, alphasort);
    assert_int_equal(n, 2 + 3);
    for (int i = 0; i < n; i++)
        free(list[i]);
    free(list);

    /* A user name with '@' or '/' (not a localpart; convert's check stops
     * it first) has no file name Prosody would read back. */
    static const char *const unnameable[] = {"a@b", "a/b", ""};
    for (size_t i = 0; i < sizeof unnameable / sizeof unnameable[0]; i++) {
        xporta_pie_writer *w = NULL;
        snprintf(p, sizeof p, "%s/bad-%zu", dir, i);
        assert_int_equal(
            xporta_pie_writer_open(&w, p, XPORTA_DIALECT_PROSODY, 0),
            XPORTA_OK);
        assert_int_equal(xporta_pie_writer_begin_host(w, "x.example"),
                         XPORTA_OK);
        assert_int_equal(xporta_pie_writer_begin_user(w, unnameable[i], NULL),
                         XPORTA_EINVAL);
        assert_non_null(
            strstr(xporta_pie_writer_error(w), "cannot be named as Prosody"));
        xporta_pie_writer_free(w);
        struct stat sb;
        assert_int_not_equal(stat(p, &sb), 0);
    }
    rm_rf(dir);
    free(dir);
}

static void ejabberd_dialect_encodes_its_way(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char out[4096], host[4096];
    snprintf(out, sizeof out, "%s/export.xml", dir);
    snprintf(host, sizeof host, "%s/export_capulet_com.xml", dir);
    struct diags ds = {0};
    xporta_pie_reader *r = NULL;
    xporta_pie_writer *w = NULL;
    assert_int_equal(xporta_pie_reader_open(&r, data_path("full.xml")),
                     XPORTA_OK);
    assert_int_equal(
        xporta_pie_writer_open(&w, out, XPORTA_DIALECT_EJABBERD, 0), XPORTA_OK);
    xporta_pie_writer_set_diag(w, diags_cb, &ds);
    assert_int_equal(copy_stream(r, w), XPORTA_OK);
    struct stat sb;
    assert_int_not_equal(stat(host, &sb), 0); /* nothing before commit */
    assert_int_equal(xporta_pie_writer_commit(w), XPORTA_OK);
    xporta_pie_writer_free(w);
    xporta_pie_reader_free(r);

    char *main = slurp(out, NULL);
    assert_non_null(
        strstr(main, "<xi:include href='export_capulet_com.xml'/>"));
    free(main);
    char *text = slurp(host, NULL);
    /* base64("0pXWGK0GZJ6TR73AIUN3ITYtA1g=") */
    assert_non_null(
        strstr(text, "<server-key>MHBYV0dLMEdaSjZUUjczQUlVTjNJVFl0QTFnPQ==</"
                     "server-key>"));
    assert_null(strstr(text, "password="));
    assert_non_null(strstr(text, "<list name='Blocked contacts'>"));
    assert_non_null(strstr(text, "value='paris@verona.lit' type='jid' "
                                 "order='0' action='deny'"));
    assert_non_null(strstr(ds.text, "plaintext password left out"));
    assert_int_equal(stat(host, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    free(text);

    /* Read back: every record but the dropped password. */
    xporta_status st;
    char err[512];
    char *a = digest_file(data_path("full.xml"), &st, NULL, 0);
    char *b = digest_file(out, &st, err, sizeof err);
    if (!b)
        fail_msg("%s", err);
    char *na = normalize(a, true), *nb = normalize(b, true);
    assert_text_equal(na, nb);
    free(a);
    free(b);
    free(na);
    free(nb);
    diags_free(&ds);
    rm_rf(dir);
    free(dir);
}

static void split_layout_reads_back(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char out[2048], main[4096];
    snprintf(out, sizeof out, "%s/split", dir);
    convert(data_path("full.xml"), out, XPORTA_DIALECT_STANDARD,
            XPORTA_PIE_SPLIT);
    snprintf(main, sizeof main, "%s/server-data.xml", out);
    xporta_status st;
    char err[512];
    char *a = digest_file(data_path("full.xml"), &st, NULL, 0);
    char *b = digest_file(main, &st, err, sizeof err);
    if (!b)
        fail_msg("%s", err);
    assert_text_equal(a, b);
    free(a);
    free(b);
    char p[4096];
    struct stat sb;
    snprintf(p, sizeof p, "%s/capulet.com/juliet.xml", out);
    assert_int_equal(stat(p, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600); /* holds credentials */
    snprintf(p, sizeof p, "%s/capulet.com/romeo.xml", out);
    assert_int_equal(stat(p, &sb), 0);
    /* A second run into the same, now non-empty, directory is refused. */
    xporta_pie_writer *w = NULL;
    assert_int_equal(xporta_pie_writer_open(&w, out, XPORTA_DIALECT_STANDARD,
                                            XPORTA_PIE_SPLIT),
                     XPORTA_EINVAL);
    assert_non_null(strstr(xporta_pie_writer_error(w), "not empty"));
    xporta_pie_writer_free(w);
    rm_rf(dir);
    free(dir);
}

static void nothing_appears_without_commit(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    static const struct {
        xporta_dialect d;
        unsigned flags;
    } modes[] = {
        {XPORTA_DIALECT_STANDARD, 0},
        {XPORTA_DIALECT_STANDARD, XPORTA_PIE_SPLIT},
        {XPORTA_DIALECT_PROSODY, 0},
        {XPORTA_DIALECT_EJABBERD, 0},
    };
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        char out[4096];
        snprintf(out, sizeof out, "%s/out%zu", dir, i);
        xporta_pie_reader *r = NULL;
        xporta_pie_writer *w = NULL;
        assert_int_equal(xporta_pie_reader_open(&r, data_path("full.xml")),
                         XPORTA_OK);
        assert_int_equal(
            xporta_pie_writer_open(&w, out, modes[i].d, modes[i].flags),
            XPORTA_OK);
        /* Stop half way, as an interrupted conversion would. */
        for (int k = 0; k < 12; k++) {
            xporta_pie_event ev;
            assert_int_equal(xporta_pie_reader_next(r, &ev), XPORTA_OK);
            if (ev == XPORTA_PIE_HOST)
                xporta_pie_writer_begin_host(w, xporta_pie_reader_host(r));
            else if (ev == XPORTA_PIE_USER)
                xporta_pie_writer_begin_user(w, xporta_pie_reader_user(r),
                                             NULL);
            else if (ev == XPORTA_PIE_RECORD)
                xporta_pie_writer_write(w, xporta_pie_reader_record(r));
        }
        xporta_pie_writer_free(w);
        xporta_pie_reader_free(r);
    }
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "test -z \"$(ls -A %s)\"", dir);
    assert_int_equal(system(cmd), 0);
    rm_rf(dir);
    free(dir);
}

static void modes_follow_secrets(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char out[4096];
    struct stat sb;
    mode_t old = umask(022);
    snprintf(out, sizeof out, "%s/no-secrets.xml", dir);
    xporta_pie_writer *w = NULL;
    assert_int_equal(
        xporta_pie_writer_open(&w, out, XPORTA_DIALECT_STANDARD, 0), XPORTA_OK);
    assert_int_equal(xporta_pie_writer_begin_host(w, "example.com"), XPORTA_OK);
    assert_int_equal(xporta_pie_writer_begin_user(w, "alice", NULL), XPORTA_OK);
    assert_int_equal(xporta_pie_writer_end_user(w), XPORTA_OK);
    assert_int_equal(xporta_pie_writer_end_host(w), XPORTA_OK);
    assert_int_equal(xporta_pie_writer_commit(w), XPORTA_OK);
    xporta_pie_writer_free(w);
    assert_int_equal(stat(out, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0644);

    snprintf(out, sizeof out, "%s/secrets.xml", dir);
    convert(data_path("prosody-export.xml"), out, XPORTA_DIALECT_STANDARD, 0);
    assert_int_equal(stat(out, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    umask(old);
    rm_rf(dir);
    free(dir);
}

static void misuse_is_refused(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char out[4096];
    snprintf(out, sizeof out, "%s/x.xml", dir);
    xporta_pie_writer *w = NULL;
    xporta_pie_reader *r = NULL;
    assert_int_equal(xporta_pie_reader_open(&r, data_path("full.xml")),
                     XPORTA_OK);
    xporta_record *password = NULL, *roster = NULL;
    /* Find a record to misuse: the first one is the password. */
    for (;;) {
        xporta_pie_event ev;
        assert_int_equal(xporta_pie_reader_next(r, &ev), XPORTA_OK);
        if (ev == XPORTA_PIE_RECORD) {
            password = xporta_pie_reader_record(r);
            break;
        }
    }
    assert_int_equal(
        xporta_pie_writer_open(&w, out, XPORTA_DIALECT_STANDARD, 0), XPORTA_OK);
    assert_int_equal(xporta_pie_writer_write(w, password), XPORTA_EINVAL);
    assert_non_null(strstr(xporta_pie_writer_error(w), "outside a user"));
    xporta_pie_writer_free(w);
    (void)roster;
    xporta_pie_reader_free(r);
    assert_int_equal(xporta_pie_writer_open(&w, "", XPORTA_DIALECT_STANDARD, 0),
                     XPORTA_EINVAL);
    rm_rf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip_standard_is_exact),
        cmocka_unit_test(round_trip_prosody_keeps_every_record),
        cmocka_unit_test(prosody_groups_privacy_around_blocklist),
        cmocka_unit_test(prosody_groups_every_split_kind),
        cmocka_unit_test(prosody_names_files_as_prosody_reads_them),
        cmocka_unit_test(ejabberd_dialect_encodes_its_way),
        cmocka_unit_test(split_layout_reads_back),
        cmocka_unit_test(nothing_appears_without_commit),
        cmocka_unit_test(modes_follow_secrets),
        cmocka_unit_test(misuse_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
