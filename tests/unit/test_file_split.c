/* `xporta stats` and `xporta convert` (every dialect): one thread, and two
 * threads split at every possible point, must exit the same, print the
 * same on stdout and stderr and write the same files, byte for byte, and
 * nothing else.  The commands run in process (cli/ is linked in), with the
 * CLI's split knobs set as the tests of check set xporta_check_file's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cli_inproc.h"
#include "test_util.h"

static char *dir;          /* the runs' (cli_inproc_dir) */
static unsigned long runs; /* two-thread runs, for XPORTA_TEST_SHOW */

struct text {
    char *s;
    size_t len, cap;
};

static void add(struct text *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        t->cap = (t->len + n + 1) * 2;
        t->s = realloc(t->s, t->cap);
        assert_non_null(t->s);
    }
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
}

static void adds(struct text *t, const char *s)
{
    add(t, s, strlen(s));
}

/* For every place a split can be (the first "<user" at or past the place
 * sought: so each "<user" of the first input is one), two threads do
 * what one does.  Returns how many really ran on two. */
static unsigned long every_split(cli_inproc_cmd cmd, const char *const *args,
                                 const char *first_input)
{
    size_t len;
    char *data = slurp(first_input, &len);
    assert_non_null(data);
    unsigned used;
    char *want = cli_inproc_run(dir, cmd, args, 1, 0, &used);
    assert_int_equal(used, 1);
    unsigned long split = 0;
    for (size_t at = 1; at + 5 <= len; at++) {
        if (memcmp(data + at, "<user", 5) != 0)
            continue;
        char *got = cli_inproc_run(dir, cmd, args, 2, at, &used);
        runs++;
        if (strcmp(got, want) != 0) {
            fprintf(stderr, "split at byte %zu differs:", at);
            for (size_t i = 0; args[i]; i++)
                fprintf(stderr, " %s", args[i]);
            fprintf(stderr, "\n");
            if (getenv("XPORTA_TEST_SHOW"))
                fprintf(stderr, "--- one thread:\n%s--- two:\n%s", want, got);
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

/* ---- inputs ----------------------------------------------------------------
 */

/* juliet of full.xml (every kind there is), as user `name`. */
static void add_user(struct text *t, const char *name)
{
    static char *body;
    static size_t body_len;
    if (!body) {
        char *full = slurp(data_path("full.xml"), NULL);
        assert_non_null(full);
        char *a = strstr(full, "    <user name='juliet'");
        char *b = a ? strstr(a, "\n    </user>") : NULL;
        assert_non_null(b);
        a += strlen("    <user name='juliet'");
        b += strlen("\n    </user>");
        body_len = (size_t)(b - a);
        body = malloc(body_len);
        memcpy(body, a, body_len);
        free(full);
    }
    adds(t, "\n    <user name='");
    adds(t, name);
    adds(t, "'");
    add(t, body, body_len);
}

static void add_empty_user(struct text *t, const char *name)
{
    adds(t, "\n    <user name='");
    adds(t, name);
    adds(t, "'/>");
}

static char *write_input(const char *name, const char *text)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    write_file(path, text);
    return strdup(path);
}

/* Two hosts of users with every kind, extensions between them: valid. */
static char *many_users(void)
{
    struct text t = {0};
    char name[32];
    adds(&t, "<?xml version='1.0' encoding='UTF-8'?>\n"
             "<server-data xmlns='urn:xmpp:pie:0'>\n  <host "
             "jid='capulet.com'>");
    for (int i = 0; i < 10; i++) {
        snprintf(name, sizeof name, "u%02d", i);
        if (i % 4 == 3)
            add_empty_user(&t, name);
        else
            add_user(&t, name);
        if (i == 6)
            adds(&t, "\n    <vendor-note xmlns='urn:example:host-extra'/>");
    }
    adds(&t, "\n  </host>\n  <host jid='montague.net'>");
    for (int i = 0; i < 5; i++) {
        snprintf(name, sizeof name, "r%d", i);
        add_user(&t, name);
    }
    adds(&t, "\n  </host>\n  <server-note xmlns='urn:example:x'/>\n"
             "</server-data>\n");
    char *path = write_input("many.xml", t.s);
    free(t.s);
    return path;
}

/* What --skip-invalid leaves out, in both halves; a user twice, far
 * apart; a host that is not valid, with users. */
static char *invalid_users(void)
{
    struct text t = {0};
    adds(&t,
         "<server-data xmlns='urn:xmpp:pie:0'>\n  <host jid='capulet.com'>");
    add_user(&t, "a");
    add_user(&t, "bad name");
    add_user(&t, "b");
    adds(&t, "\n    <user name='c'><query xmlns='jabber:iq:roster'>"
             "<item jid='bad jid' subscription='none'/>"
             "<item jid='ok@capulet.com' subscription='none'/></query>"
             "</user>");
    add_user(&t, "d");
    add_empty_user(&t, "e");
    add_user(&t, "a");
    adds(&t, "\n  </host>\n  <host jid='bad host'>");
    add_user(&t, "f");
    add_empty_user(&t, "g");
    adds(&t, "\n  </host>\n  <host jid='montague.net'>");
    add_user(&t, "h");
    add_empty_user(&t, "i");
    add_user(&t, "k");
    add_user(&t, "l");
    adds(&t, "\n    <user name='m'><query xmlns='jabber:iq:roster'>"
             "<item jid='@@@' subscription='none'/></query></user>");
    add_user(&t, "n");
    adds(&t, "\n  </host>\n</server-data>\n");
    char *path = write_input("invalid.xml", t.s);
    free(t.s);
    return path;
}

/* Two hosts that --rename-host makes one, with or without users of the
 * same name. */
static char *two_hosts(const char *file, bool clash)
{
    struct text t = {0};
    adds(&t, "<server-data xmlns='urn:xmpp:pie:0'>\n  <host jid='x.example'>");
    add_user(&t, "a");
    add_empty_user(&t, "b");
    add_user(&t, "c");
    adds(&t, "\n  </host>\n  <host jid='y.example'>");
    add_user(&t, clash ? "b" : "d");
    add_user(&t, "e");
    add_empty_user(&t, "f");
    adds(&t, "\n  </host>\n</server-data>\n");
    char *path = write_input(file, t.s);
    free(t.s);
    return path;
}

/* ---- the tests -------------------------------------------------------------
 */

static const char *const stats_variants[][3] = {
    {NULL},
    {"--json", NULL},
    {"--summary", NULL},
    {"--json", "--summary", NULL},
};

static const char *const convert_variants[][6] = {
    {"-o", "out.xml", NULL},
    {"-o", "out", "--split", NULL},
    {"-o", "out.xml", "--dialect", "ejabberd", NULL},
    {"-o", "out", "--dialect", "prosody", NULL},
    {"-o", "out.xml", "--skip-invalid", "-v", NULL},
    {"-o", "out", "--dialect", "prosody", "--skip-invalid", NULL},
    {"-o", "out.xml", "--dialect", "ejabberd", "--skip-invalid", NULL},
};

/* args = variant + inputs. */
static unsigned long try_all(cli_inproc_cmd cmd, const char *const *variant,
                             const char *const *inputs)
{
    const char *args[32];
    size_t n = 0;
    for (size_t i = 0; variant[i]; i++)
        args[n++] = variant[i];
    for (size_t i = 0; inputs[i]; i++)
        args[n++] = inputs[i];
    args[n] = NULL;
    unsigned long got = every_split(cmd, args, inputs[0]);
    if (getenv("XPORTA_TEST_SHOW")) {
        fprintf(stderr, "%lu splits (of %lu runs so far):", got, runs);
        for (size_t i = 0; args[i]; i++)
            fprintf(stderr, " %s", args[i]);
        fprintf(stderr, "\n");
    }
    return got;
}

static const char *const samples[] = {
    "prosody-export.xml",
    "prosody-export-bob.xml",
    "ejabberd-export.xml",
    "ejabberd-export-main.xml",
    "full.xml",
    "prosody-pending.xml",
    "bad/semantic.xml",
    "bad/invalid-jids.xml",
    "bad/malformed.xml",
    "bad/missing-include.xml",
    "bad/doctype.xml",
    "bad/wrong-root.xml",
    "split/server-data.xml",
    "split/capulet.com.xml",
    "split/montague.net.xml",
};

static void real_samples(void **state)
{
    (void)state;
    unsigned long split = 0;
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        char *path = strdup(data_path(samples[i]));
        const char *inputs[] = {path, NULL};
        for (size_t v = 0; v < 4; v++)
            split += try_all(cmd_stats, stats_variants[v], inputs);
        for (size_t v = 0; v < 7; v++)
            split += try_all(cmd_convert, convert_variants[v], inputs);
        free(path);
    }
    assert_true(split > 20);
}

/* XEP-0519 components after the hosts: the second half gives them up, so
 * a split past the middle never runs on two threads, and every output is
 * the one thread's (stats per room, convert in every dialect, renamed). */
static void components(void **state)
{
    (void)state;
    struct text t = {0};
    char name[32];
    size_t len;
    char *full = slurp(data_path("muc-full.xml"), &len);
    assert_non_null(full);
    const char *comp = strstr(full, "  <component");
    const char *end = strstr(full, "</server-data>");
    assert_non_null(comp);
    assert_non_null(end);
    adds(&t, "<?xml version='1.0' encoding='UTF-8'?>\n"
             "<server-data xmlns='urn:xmpp:pie:0'>\n  <host "
             "jid='example.org'>");
    for (int i = 0; i < 8; i++) {
        snprintf(name, sizeof name, "u%02d", i);
        add_user(&t, name);
    }
    adds(&t, "\n  </host>\n");
    add(&t, comp, (size_t)(end - comp));
    adds(&t, "</server-data>\n");
    char *path = write_input("rooms.xml", t.s);
    free(t.s);
    free(full);
    const char *inputs[] = {path, NULL};
    const char *renamed[] = {"-o", "out.xml", "--rename-host",
                             "example.org=new.example", NULL};
    unsigned long split = 0;
    for (size_t v = 0; v < 4; v++)
        split += try_all(cmd_stats, stats_variants[v], inputs);
    for (size_t v = 0; v < 7; v++)
        split += try_all(cmd_convert, convert_variants[v], inputs);
    split += try_all(cmd_convert, renamed, inputs);
    assert_int_equal(split, 0);
    free(path);
}

static void many(void **state)
{
    (void)state;
    char *path = many_users();
    const char *inputs[] = {path, NULL};
    unsigned long split = 0, n;
    for (size_t v = 0; v < 4; v++) {
        n = try_all(cmd_stats, stats_variants[v], inputs);
        assert_true(n >= 10); /* nearly every user: a split */
        split += n;
    }
    for (size_t v = 0; v < 7; v++) {
        n = try_all(cmd_convert, convert_variants[v], inputs);
        assert_true(n >= 10);
        split += n;
    }
    /* Options that change what is written and when a host begins. */
    static const char *const more[][8] = {
        {"-o", "out.xml", "--users", "u02,u09@capulet.com,r3", NULL},
        {"-o", "out", "--dialect", "prosody", "--users", "u05,r0", NULL},
        {"-o", "out.xml", "--compact", "--strip-secrets", "--exclude-kinds",
         "archive", NULL},
        {"-o", "out.xml", "--dialect", "ejabberd", "--rename-host",
         "montague.net=capulet.com", NULL},
    };
    for (size_t v = 0; v < sizeof more / sizeof more[0]; v++)
        split += try_all(cmd_convert, more[v], inputs);
    /* Several inputs: the host goes on in the next one. */
    char *full = strdup(data_path("full.xml"));
    const char *two[] = {path, full, NULL};
    for (size_t v = 0; v < 7; v++)
        split += try_all(cmd_convert, convert_variants[v], two);
    free(full);
    free(path);
    assert_true(split > 200);
}

static void invalid(void **state)
{
    (void)state;
    char *path = invalid_users();
    const char *inputs[] = {path, NULL};
    unsigned long split = 0;
    for (size_t v = 0; v < 4; v++)
        split += try_all(cmd_stats, stats_variants[v], inputs);
    for (size_t v = 0; v < 7; v++)
        split += try_all(cmd_convert, convert_variants[v], inputs);
    free(path);
    assert_true(split > 30);
}

/* A host met again: one thread carries what it knew of the host over,
 * two threads could not (they give up, or the halves are independent). */
static void host_again(void **state)
{
    (void)state;
    struct text t = {0};
    adds(&t, "<server-data xmlns='urn:xmpp:pie:0'>\n  <host jid='a.example'>");
    add_user(&t, "a");
    add_empty_user(&t, "b");
    adds(&t, "\n  </host>\n  <host jid='b.example'>");
    add_user(&t, "a");
    adds(&t, "\n  </host>\n  <host jid='a.example'>");
    add_user(&t, "c");
    add_empty_user(&t, "d");
    add_user(&t, "e");
    add_user(&t, "f");
    adds(&t, "\n  </host>\n</server-data>\n");
    char *path = write_input("again.xml", t.s);
    free(t.s);
    const char *inputs[] = {path, NULL};
    unsigned long split = 0;
    for (size_t v = 0; v < 4; v++)
        split += try_all(cmd_stats, stats_variants[v], inputs);
    for (size_t v = 0; v < 7; v++)
        split += try_all(cmd_convert, convert_variants[v], inputs);
    free(path);
    assert_true(split > 15); /* in the host met again, after its first user */
}

static void renamed_hosts(void **state)
{
    (void)state;
    unsigned long split = 0;
    for (int clash = 0; clash < 2; clash++) {
        char *path = two_hosts(clash ? "clash.xml" : "join.xml", clash);
        const char *inputs[] = {path, NULL};
        static const char *const variants[][8] = {
            {"-o", "out.xml", "--rename-host", "y.example=x.example", NULL},
            {"-o", "out", "--split", "--rename-host", "y.example=x.example",
             NULL},
            {"-o", "out.xml", "--dialect", "ejabberd", "--rename-host",
             "y.example=x.example", NULL},
            {"-o", "out", "--dialect", "prosody", "--rename-host",
             "y.example=x.example", NULL},
        };
        for (size_t v = 0; v < 4; v++)
            split += try_all(cmd_convert, variants[v], inputs);
        free(path);
    }
    assert_true(split > 8);
}

/* Prosody's dialect holds a user's records by container; a group past
 * 1 MiB spills to a file in the writer's working directory, in the second
 * half's writer too.  And --rename-host repairs an invalid host: what is
 * checked is what is written, in both halves. */
static void big_groups_renamed(void **state)
{
    (void)state;
    struct text t = {0};
    char line[160];
    adds(&t, "<?xml version='1.0' encoding='UTF-8'?>\n"
             "<server-data xmlns='urn:xmpp:pie:0'>\n  <host jid='bad host'>");
    for (int u = 0; u < 4; u++) {
        snprintf(line, sizeof line, "\n    <user name='u%d'>", u);
        adds(&t, line);
        adds(&t, "\n      <query xmlns='jabber:iq:roster'>");
        int n = u >= 2 ? 14000 : 3; /* ~1.4 MiB: past the spill */
        for (int i = 0; i < n; i++) {
            snprintf(line, sizeof line,
                     "\n        <item jid='contact%05d@bad host' "
                     "subscription='both' name='Contact number %d'/>",
                     i, i);
            adds(&t, line);
        }
        adds(&t, "\n      </query>");
        adds(&t, "\n      <vCard xmlns='vcard-temp'><FN>U</FN></vCard>");
        adds(&t, "\n    </user>");
    }
    adds(&t, "\n  </host>\n</server-data>\n");
    char *path = write_input("big.xml", t.s);
    free(t.s);
    const char *inputs[] = {path, NULL};
    static const char *const variants[][8] = {
        {"-o", "out", "--dialect", "prosody", "--rename-host",
         "bad host=x.example", NULL},
        {"-o", "out.xml", "--rename-host", "bad host=x.example", NULL},
    };
    unsigned long split = 0;
    for (size_t v = 0; v < 2; v++)
        split += try_all(cmd_convert, variants[v], inputs);
    assert_true(split >= 6);
    /* And it converted: nothing refused, the big roster whole. */
    unsigned used;
    char *got = cli_inproc_run(
        dir, cmd_convert,
        (const char *[]){"-o", "out", "--dialect", "prosody", "--rename-host",
                         "bad host=x.example", path, NULL},
        2, 0, &used);
    assert_int_equal(used, 2);
    assert_true(strncmp(got, "exit 0\n", 7) == 0);
    const char *u3 = strstr(got, "== out/u3@x.example.xml ");
    assert_non_null(u3);
    assert_non_null(strstr(u3, "jid='contact13999@x.example'"));
    free(got);
    free(path);
}

static int setup(void **state)
{
    (void)state;
    dir = cli_inproc_dir("xporta-split");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cli_inproc_rm(dir);
    free(dir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(many),          cmocka_unit_test(invalid),
        cmocka_unit_test(renamed_hosts), cmocka_unit_test(host_again),
        cmocka_unit_test(real_samples),  cmocka_unit_test(big_groups_renamed),
        cmocka_unit_test(components),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
