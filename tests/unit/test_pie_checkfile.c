/* xporta_check_file: one thread, and two threads split at every possible
 * point, must say exactly the same things in the same order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

struct seen {
    char *text;
    size_t len, cap;
    unsigned long progress_calls;
    uint64_t last_done;
};

static void add(struct seen *s, const char *line)
{
    size_t n = strlen(line);
    if (s->len + n + 1 > s->cap) {
        s->cap = (s->len + n + 1) * 2;
        s->text = realloc(s->text, s->cap);
        assert_non_null(s->text);
    }
    memcpy(s->text + s->len, line, n + 1);
    s->len += n;
}

static void on_diag(const xporta_diag *d, void *ud)
{
    char line[2048];
    snprintf(line, sizeof line, "%d %s:%lu:%lu %s\n", (int)d->severity,
             d->file ? d->file : "-", d->line, d->col, d->message);
    add(ud, line);
}

static void on_progress(uint64_t done, void *ud)
{
    struct seen *s = ud;
    s->progress_calls++;
    s->last_done = done;
}

/* Everything xporta_check_file said, as text. */
static char *run(const char *path, unsigned threads, uint64_t from,
                 unsigned *used)
{
    struct seen s = {0};
    xporta_check_result res;
    xporta_check_options o = {
        .diag = on_diag,
        .diag_userdata = &s,
        .progress = on_progress,
        .progress_userdata = &s,
        .threads = threads,
        .split_min_bytes = 1,
        .split_from = from,
    };
    add(&s, "");
    assert_int_equal(xporta_check_file(path, &o, &res), XPORTA_OK);
    char tail[1400];
    snprintf(tail, sizeof tail,
             "hosts %lu users %lu records %lu errors %lu warnings %lu notes "
             "%lu fatal %d %s\n",
             res.hosts, res.users, res.records, res.errors, res.warnings,
             res.notes, (int)res.fatal, res.fatal_msg);
    add(&s, tail);
    if (used)
        *used = res.threads;
    return s.text;
}

static bool at_user(const char *data, size_t len, size_t i)
{
    return i + 5 <= len && memcmp(data + i, "<user", 5) == 0;
}

/* For every place the split can be sought from, the result equals one
 * thread's; returns how many of them were really split.  The split goes to
 * the first "<user" at or after that place, so trying each "<user" (and the
 * byte after it, and the start) tries every split there can be. */
static unsigned long every_split(const char *path)
{
    size_t len;
    char *data = slurp(path, &len);
    assert_non_null(data);
    char *want = run(path, 1, 0, NULL);
    unsigned long split = 0;
    for (uint64_t from = 1; from < len; from++) {
        unsigned used = 0;
        if (from > 1 && !at_user(data, len, from) &&
            !at_user(data, len, from - 1))
            continue;
        char *got = run(path, 2, from, &used);
        if (strcmp(got, want) != 0) {
            fprintf(stderr, "%s split from byte %llu differs\n", path,
                    (unsigned long long)from);
            assert_text_equal(got, want);
        }
        if (used == 2)
            split++;
        free(got);
    }
    free(want);
    free(data);
    return split;
}

static void real_samples(void **state)
{
    (void)state;
    static const char *const files[] = {
        "prosody-export.xml",
        "prosody-export-bob.xml",
        "ejabberd-export.xml",
        "ejabberd-export-main.xml",
        "full.xml",
        "prosody-pending.xml",
        "bad/semantic.xml",
        "bad/malformed.xml",
        "bad/missing-include.xml",
        "bad/doctype.xml",
        "bad/wrong-root.xml",
        "split/server-data.xml",
        "split/capulet.com.xml",
        "split/montague.net.xml",
    };
    unsigned long split = 0;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        split += every_split(data_path(files[i]));
    /* The multi-user samples really were split, at many places. */
    assert_true(split > 20);
}

/* Files made to catch each thing the merge must get right. */
static const char *const crafted[] = {
    /* duplicates on both sides of every split, errors in both halves,
     * once-per-file notes and warnings on both sides, several users on one
     * line with a multi-byte character before them */
    "<?xml version='1.0' encoding='UTF-8'?>\n"
    "<!-- <user name='in-a-comment'> -->\n"
    "<server-data xmlns='urn:xmpp:pie:0'\n"
    "   xmlns:xi='http://www.w3.org/2001/XInclude'>\n"
    "  <host jid='example.com'>\n"
    "    <user name='a'><query xmlns='jabber:iq:roster' ver='1'>"
    "<item jid='x@example.com' subscription='both'/></query></user>\n"
    "    <user name='b'>stray text<query xmlns='jabber:iq:roster' "
    "version='2'><item jid='bad jid' subscription='none'/></query></user>\n"
    "    <user name='\xc3\xa4'/><user name='c'/><user name='a'/>"
    "<user name='b'/>\n"
    "    <user\n      name='bad user'\n      password='pw'>more text</user>\n"
    "    <user name='c'><query xmlns='jabber:iq:roster' ver='3'/></user>\n"
    "    <user name='d'><![CDATA[ <user name='in-cdata'> ]]></user>\n"
    "    <user name='e'><archive xmlns='urn:xmpp:pie:0#mam'>"
    "<result xmlns='urn:xmpp:mam:2' id='1'/><result xmlns='urn:xmpp:mam:2' "
    "id='1'/></archive></user>\n"
    "  </host>\n"
    "</server-data>\n",
    /* hosts: a second host (new), then the first again: users then carry
     * over, which only one thread can see */
    "<server-data xmlns='urn:xmpp:pie:0'>\n"
    "  <host jid='one.example'><user name='a'/><user name='b'/></host>\n"
    "  <host jid='two.example'><user name='a'/><user name='c'/></host>\n"
    "  <host jid='one.example'><user name='b'/><user name='c'/></host>\n"
    "  <host jid='bad host'><user name='z'/></host>\n"
    "</server-data>\n",
    /* a root <host> (ejabberd's per-host file), CRLF line ends */
    "<host xmlns='urn:xmpp:pie:0' jid='example.org'>\r\n"
    "  <user name='a'/>\r\n  <user name='b'>\r\n  </user>\r\n"
    "  <user name='a'/>\r\n  <user name='c'/>\r\n</host>\r\n",
    /* a format error late in the file: the fatal message must be the same
     * place whichever thread finds it */
    "<server-data xmlns='urn:xmpp:pie:0'>\n"
    "  <host jid='example.com'>\n"
    "    <user name='a'/>\n    <user name='b'/>\n    <user name='c'/>\n"
    "    <user name='d'><query xmlns='jabber:iq:roster'></querx></user>\n"
    "  </host>\n</server-data>\n",
    /* a file that ends too early */
    "<server-data xmlns='urn:xmpp:pie:0'><host jid='example.com'>"
    "<user name='a'/><user name='b'/><user name='c'/>",
    /* a <user> the reader refuses, wherever the split falls (the held tag
     * is then processed again by the first thread, at its own place) */
    "<server-data xmlns='urn:xmpp:pie:0'>\n<host jid='example.com'>\n"
    "    <user name='a'/>\n    <user name='b'/>\n    <user nom='c'>"
    "<query xmlns='jabber:iq:roster'/></user>\n"
    "    <user name='d'/>\n</host></server-data>\n",
    /* prefixed pie elements: the search for "<user" finds nothing */
    "<p:server-data xmlns:p='urn:xmpp:pie:0'><p:host jid='example.com'>"
    "<p:user name='a'/><p:user name='a'/></p:host></p:server-data>",
    /* an element between users, and users in an unknown element */
    "<server-data xmlns='urn:xmpp:pie:0'><host jid='example.com'>"
    "<user name='a'/><other xmlns='urn:example'><user name='a'/></other>"
    "<user name='b'/><user name='a'/></host><extra xmlns='urn:x'/>"
    "</server-data>",
};

static void crafted_files(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char path[512];
    unsigned long split = 0;
    for (size_t i = 0; i < sizeof crafted / sizeof crafted[0]; i++) {
        snprintf(path, sizeof path, "%s/crafted-%zu.xml", dir, i);
        write_file(path, crafted[i]);
        unsigned long n = every_split(path);
        if (i == 0 || i == 2 || i == 3 || i == 5)
            assert_true(n > 0);
        split += n;
    }
    assert_true(split > 20);
    rm_rf(dir);
    free(dir);
}

/* The one-thread answers themselves, for the first crafted file: the merge
 * is compared against these, so they had better be right. */
static void sequential_answers(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/c.xml", dir);
    write_file(path, crafted[0]);
    char *got = run(path, 1, 0, NULL);
    assert_non_null(strstr(got, "user 'a@example.com' occurs twice"));
    assert_non_null(strstr(got, "user 'b@example.com' occurs twice"));
    assert_non_null(strstr(got, "user 'c@example.com' occurs twice"));
    assert_non_null(strstr(got, ":9:5 user name 'bad user' is not a valid"));
    assert_non_null(strstr(got, "roster version attribute ignored"));
    assert_null(strstr(strstr(got, "roster version") + 1, "roster version"));
    assert_non_null(strstr(got, "text outside any record ignored"));
    assert_null(strstr(got, "in-a-comment"));
    assert_null(strstr(got, "in-cdata"));
    assert_non_null(strstr(got, "hosts 1 users 10 "));
    free(got);
    rm_rf(dir);
    free(dir);
}

static void errors(void **state)
{
    (void)state;
    xporta_check_result res;
    assert_int_equal(xporta_check_file("/nonexistent/x.xml", NULL, &res),
                     XPORTA_ENOTFOUND);
    assert_int_equal(xporta_check_file(NULL, NULL, &res), XPORTA_EINVAL);
    /* without options: no callbacks, counts still right */
    assert_int_equal(
        xporta_check_file(data_path("bad/semantic.xml"), NULL, &res),
        XPORTA_OK);
    assert_true(res.errors > 5);
    assert_int_equal(res.users, 2);
    assert_int_equal(res.fatal, XPORTA_OK);
    assert_int_equal(res.threads, 1); /* small: not split by default */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sequential_answers),
        cmocka_unit_test(crafted_files),
        cmocka_unit_test(real_samples),
        cmocka_unit_test(errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
