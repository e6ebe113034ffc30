/* The XEP-0227 reader: real samples, every chunk size, dialects, errors. */
#include "test_util.h"

#include "base/xp_base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const samples[] = {
    "prosody-export.xml", "prosody-export-bob.xml", "ejabberd-export.xml",
    "full.xml",           "prosody-pending.xml",
};

static char *read_data(const char *name)
{
    char *t = slurp(data_path(name), NULL);
    assert_non_null(t);
    return t;
}

/* Every real sample reads without error, and the events are the same
 * whether the bytes arrive whole or 1..5 bytes at a time. */
static void samples_read_whole_and_chunked(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        char *text = read_data(samples[i]);
        xporta_status st;
        char err[512] = "";
        char *whole =
            digest_mem(samples[i], text, 1 << 20, &st, err, sizeof err);
        if (!whole)
            fail_msg("%s: %s", samples[i], err);
        for (size_t chunk = 1; chunk <= 5; chunk++) {
            char *d = digest_mem(samples[i], text, chunk, &st, err, sizeof err);
            if (!d)
                fail_msg("%s chunk %zu: %s", samples[i], chunk, err);
            assert_text_equal(d, whole);
            free(d);
        }
        free(whole);
        free(text);
    }
}

static void count(const char *digest, const char *needle, int want)
{
    int n = 0;
    for (const char *p = digest; (p = strstr(p, needle)) != NULL; p++)
        n++;
    if (n != want)
        fail_msg("'%s' occurs %d times, want %d in:\n%s", needle, n, want,
                 digest);
}

static void every_kind_of_the_standard(void **state)
{
    (void)state;
    xporta_status st;
    char err[512];
    char *d = digest_file(data_path("full.xml"), &st, err, sizeof err);
    if (!d)
        fail_msg("%s", err);
    count(d, "host capulet.com\n", 1);
    count(d, "user juliet ", 1);
    count(d, "user romeo ", 1);
    /* The plaintext password is a credentials record, its entity decoded. */
    count(d,
          "record credentials [PLAIN] id=- in=- <password "
          "xmlns='urn:xmpp:pie:0'>s3cret&amp;more</password>",
          1);
    count(d, "record credentials [SCRAM-SHA-1]", 1);
    count(d, "record credentials [SCRAM-SHA-256]", 1);
    count(d, "record roster [romeo@montague.net]", 1);
    count(d, "record roster [friar@verona.lit]", 1);
    count(d, "record roster ", 4);
    count(d,
          "record other [{urn:example:roster-extra}annotation] id=- "
          "in={jabber:iq:roster}query",
          1);
    count(d, "record pending [mercutio@montague.net]", 1);
    count(d, "<nick xmlns='http://jabber.org/protocol/nick'>Mercutio</nick>",
          1);
    count(d, "record vcard [vcard]", 1);
    count(d, "Born &lt;in&gt; Verona &amp; raised there", 1); /* CDATA */
    count(d, "record private [{exodus:prefs}exodus]", 1);
    count(d, "record private [{storage:bookmarks}storage]", 1);
    count(d, "record privacy [active]", 1);
    count(d, "record privacy [default]", 1);
    count(d, "record privacy [list public]", 1);
    count(d, "record privacy [list quiet]", 1);
    count(d, "record blocklist [paris@verona.lit]", 1);
    count(d, "record blocklist [spam.example]", 1);
    count(d, "record offline [1]", 1);
    count(d, "record offline [2]", 1);
    count(d, "xml:lang='en'", 1);
    count(d, "☀", 1);
    count(d, "record pep-node [urn:xmpp:bookmarks:1]", 1);
    count(d, "record pep-node [urn:xmpp:moved:1]", 1);
    count(d, "record pep-affiliations [urn:xmpp:bookmarks:1]", 1);
    count(d, "record pep-subscriptions [http://jabber.org/protocol/nick]", 1);
    count(d,
          "record pep-item [urn:xmpp:bookmarks:1] "
          "id=theplay@conference.shakespeare.lit",
          1);
    count(d, "record pep-item [http://jabber.org/protocol/nick] id=current", 1);
    count(d,
          "record other [{http://jabber.org/protocol/pubsub}items] id=- "
          "in={http://jabber.org/protocol/pubsub}pubsub <items "
          "xmlns='http://jabber.org/protocol/pubsub' "
          "node='http://jabber.org/protocol/nick'><retract-note",
          1);
    count(d, "record archive [28482-98726-73623]", 1);
    count(d, "record archive [28482-98726-73624]", 1);
    count(d, "queryid", 0); /* belongs to the query, not the data */
    count(d, "record mam-prefs [prefs]", 1);
    count(d, "record other [{org.qxmpp.export}account-data] id=- in=-", 1);
    count(d, "extra other [{urn:example:host-extra}vendor-note] id=- in=host",
          1);
    count(d,
          "extra other [{urn:example:server-extra}server-note] id=- "
          "in=server-data",
          1);
    count(d, "end user\n", 2);
    free(d);
}

static void prosody_dialect_is_repaired(void **state)
{
    (void)state;
    xporta_pie_reader *r = NULL;
    struct diags ds = {0};
    assert_int_equal(
        xporta_pie_reader_open(&r, data_path("prosody-pending.xml")),
        XPORTA_OK);
    xporta_pie_reader_set_diag(r, diags_cb, &ds);
    xporta_status st;
    char *d = digest_reader(r, &st, NULL, 0);
    assert_non_null(d);
    /* <presence> without a namespace is a jabber:client stanza. */
    count(
        d,
        "record pending [mercutio@example.com] id=- in=- <presence "
        "xmlns='jabber:client' type='subscribe' from='mercutio@example.com'/>",
        1);
    /* Prosody's extended attributes stay on <user>. */
    count(d,
          "xmlns:ns1='http://prosody.im/protocol/extended-xep0227' "
          "ns1:updated='1700000000'",
          1);
    count(d, "version", 0);
    /* The UUID salt is Prosody's normal form, not double encoding. */
    count(d, "<salt>ZmM0ZGY4YTctOWZjZi00ODQ3LWI3ODEtMmU4NTg0NDViNmJh</salt>",
          1);
    assert_non_null(strstr(ds.text, "without xmlns='jabber:client'"));
    assert_non_null(strstr(ds.text, "roster version attribute ignored"));
    assert_int_equal(ds.errors, 0);
    free(d);
    diags_free(&ds);
    xporta_pie_reader_free(r);
}

static void ejabberd_dialect_is_repaired(void **state)
{
    (void)state;
    xporta_status st;
    char err[512];
    char *d = digest_file(data_path("ejabberd-export-main.xml"), &st, err,
                          sizeof err);
    if (!d)
        fail_msg("%s", err);
    /* Double-base64 SCRAM decoded once more: raw 20-byte keys. */
    count(d, "<salt>HMKRYgfJEG2FGRvrakJMpA==</salt>", 1);
    count(d, "<server-key>Af3aBo+bJdqV/M3PH06FpBvuXKQ=</server-key>", 1);
    count(d, "<stored-key>VSRl3Myocw5wEq7drQ3gqNeZ2qo=</stored-key>", 1);
    /* The "Blocked contacts" privacy list is the blocklist. */
    count(d,
          "record blocklist [spammer@example.org] id=- in=- <item "
          "xmlns='urn:xmpp:blocking' jid='spammer@example.org'/>",
          1);
    count(d, "record privacy", 0);
    count(d, "record offline [1]", 1);
    count(d, "record offline [2]", 1);
    count(d, "user bob ", 1);
    /* The main file and the host file alone give the same records. */
    char *host =
        digest_file(data_path("ejabberd-export.xml"), &st, err, sizeof err);
    if (!host)
        fail_msg("%s", err);
    assert_text_equal(d, host);
    free(host);
    free(d);
}

static void xinclude_layout_of_the_spec(void **state)
{
    (void)state;
    xporta_status st;
    char err[512];
    char *d =
        digest_file(data_path("split/server-data.xml"), &st, err, sizeof err);
    if (!d)
        fail_msg("%s", err);
    assert_string_equal(
        d,
        "host capulet.com\n"
        "user juliet <user xmlns='urn:xmpp:pie:0' name='juliet'/>\n"
        "record roster [romeo@montague.net] id=- in=- <item "
        "xmlns='jabber:iq:roster' jid='romeo@montague.net' subscription='both' "
        "name='Romeo'/>\n"
        "record vcard [vcard] id=- in=- <vCard xmlns='vcard-temp'><FN>Juliet "
        "Capulet</FN></vCard>\n"
        "end user\n"
        "user nurse <user xmlns='urn:xmpp:pie:0' name='nurse'/>\n"
        "end user\n"
        "end host\n"
        "host montague.net\n"
        "user romeo <user xmlns='urn:xmpp:pie:0' name='romeo'/>\n"
        "record roster [juliet@capulet.com] id=- in=- <item "
        "xmlns='jabber:iq:roster' jid='juliet@capulet.com' "
        "subscription='both'/>\n"
        "end user\n"
        "end host\n"
        "end\n");
    free(d);
}

static void expect_error(const char *name, xporta_status want,
                         const char *fragment)
{
    xporta_status st;
    char err[1024] = "";
    char *d = digest_file(data_path(name), &st, err, sizeof err);
    if (d)
        fail_msg("%s: read without error", name);
    if (st != want)
        fail_msg("%s: status %s, want %s (%s)", name, xporta_status_name(st),
                 xporta_status_name(want), err);
    if (!strstr(err, fragment))
        fail_msg("%s: error '%s' lacks '%s'", name, err, fragment);
}

static void errors_name_file_line_and_column(void **state)
{
    (void)state;
    expect_error("bad/malformed.xml", XPORTA_EFORMAT, "bad/malformed.xml:6:");
    expect_error("bad/malformed.xml", XPORTA_EFORMAT, "mismatched tag");
    expect_error("bad/wrong-root.xml", XPORTA_EFORMAT,
                 "wrong-root.xml:2:1: expected <server-data "
                 "xmlns='urn:xmpp:pie:0'> (or <host>), found <server "
                 "xmlns=urn:example:not-pie>");
    expect_error("bad/doctype.xml", XPORTA_EFORMAT,
                 "doctype.xml:2:16: a DOCTYPE is not allowed");
    expect_error("bad/missing-include.xml", XPORTA_ENOTFOUND,
                 "missing-include.xml:2:3: XInclude 'nowhere.xml' cannot be "
                 "read: no such file");
    expect_error("split/capulet.com/juliet.xml", XPORTA_EFORMAT,
                 "juliet.xml:1:1: expected <server-data");
}

static void keep_going_skips_a_missing_include(void **state)
{
    (void)state;
    xporta_pie_reader *r = NULL;
    struct diags ds = {0};
    assert_int_equal(
        xporta_pie_reader_open(&r, data_path("bad/missing-include.xml")),
        XPORTA_OK);
    xporta_pie_reader_set_keep_going(r, true);
    xporta_pie_reader_set_diag(r, diags_cb, &ds);
    xporta_status st;
    char *d = digest_reader(r, &st, NULL, 0);
    assert_non_null(d);
    count(d, "user alice", 1);
    assert_int_equal(ds.errors, 1);
    assert_non_null(strstr(ds.text, "error 2:3 XInclude 'nowhere.xml'"));
    free(d);
    diags_free(&ds);
    xporta_pie_reader_free(r);
}

static void limits_hold(void **state)
{
    (void)state;
    /* One record over the ceiling fails as too big, not out of memory. */
    size_t n = 300000;
    char *big = malloc(n + 512);
    int off = sprintf(big, "<server-data xmlns='urn:xmpp:pie:0'><host "
                           "jid='x.example'><user name='a'><vCard "
                           "xmlns='vcard-temp'><PHOTO><BINVAL>");
    memset(big + off, 'A', n);
    strcpy(big + off + n,
           "</BINVAL></PHOTO></vCard></user></host></server-data>");
    struct chunked c = {big, strlen(big), 0, 4096};
    xporta_pie_reader *r = NULL;
    assert_int_equal(xporta_pie_reader_new(&r, "big", chunked_read, &c),
                     XPORTA_OK);
    xporta_pie_reader_set_max_record(r, 100000);
    xporta_status st;
    char err[512];
    assert_null(digest_reader(r, &st, err, sizeof err));
    assert_int_equal(st, XPORTA_ETOOBIG);
    assert_non_null(strstr(err, "big:1:"));
    xporta_pie_reader_free(r);

    /* Within the default ceiling the same input is fine. */
    c.pos = 0;
    assert_int_equal(xporta_pie_reader_new(&r, "big", chunked_read, &c),
                     XPORTA_OK);
    char *d = digest_reader(r, &st, err, sizeof err);
    assert_non_null(d);
    free(d);
    xporta_pie_reader_free(r);
    free(big);

    /* Nesting deeper than the limit is refused. */
    size_t depth = 400;
    char *deep = malloc(depth * 8 + 256);
    char *p = deep + sprintf(deep, "<server-data xmlns='urn:xmpp:pie:0'><host "
                                   "jid='x'><user name='a'>");
    for (size_t i = 0; i < depth; i++)
        p += sprintf(p, "<a>");
    for (size_t i = 0; i < depth; i++)
        p += sprintf(p, "</a>");
    strcpy(p, "</user></host></server-data>");
    d = digest_mem("deep", deep, 1 << 20, &st, err, sizeof err);
    assert_null(d);
    assert_int_equal(st, XPORTA_ETOOBIG);
    assert_non_null(strstr(err, "nested deeper"));
    free(deep);
}

/* A file whose third line holds a start tag with one attribute of `n`
 * bytes. */
static void write_long_attr(const char *path, size_t n)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("<server-data xmlns='urn:xmpp:pie:0'>\n  <host jid='x.example'>\n"
          "    <user name='a'><vCard xmlns='vcard-temp' photo='",
          f);
    char block[65536];
    memset(block, 'A', sizeof block);
    for (size_t left = n; left > 0;) {
        size_t k = left < sizeof block ? left : sizeof block;
        assert_int_equal(fwrite(block, 1, k, f), k);
        left -= k;
    }
    fputs("'/></user>\n  </host>\n</server-data>\n", f);
    assert_int_equal(fclose(f), 0);
}

/* Issue 15: expat 2.5 parses an unfinished token again at every feed, so
 * one 64 MiB attribute took `check` about 35 s.  A token over the ceiling
 * now fails at once, where it starts; a large one below it reads in linear
 * time. */
static void one_huge_token_fails_fast(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char path[4096];
    snprintf(path, sizeof path, "%s/token.xml", dir);
    write_long_attr(path, 20u << 20);
    xporta_pie_reader *r = NULL;
    xporta_status st;
    char err[512];
    assert_int_equal(xporta_pie_reader_open(&r, path), XPORTA_OK);
    assert_null(digest_reader(r, &st, err, sizeof err));
    assert_int_equal(st, XPORTA_ETOOBIG);
    char want[4200];
    snprintf(want, sizeof want, "%s:3:20: one XML token", path);
    if (!strstr(err, want))
        fail_msg("got '%s', want '%s'", err, want);
    /* Fast: it stopped reading soon after the ceiling, not at the end of
     * the token (expat 2.5 re-parses a growing token from its start, so
     * reading on is what cost time; timings are in BENCHMARKS.md). */
    uint64_t at = xporta_pie_reader_offset(r);
    if (at > (uint64_t)XP_MAX_TOKEN_BYTES + (2u << 20))
        fail_msg("read %llu bytes before refusing the token",
                 (unsigned long long)at);
    xporta_pie_reader_free(r);

    /* 12 MiB, under the ceiling: read whole. */
    write_long_attr(path, 12u << 20);
    assert_int_equal(xporta_pie_reader_open(&r, path), XPORTA_OK);
    char *d = digest_reader(r, &st, err, sizeof err);
    if (!d)
        fail_msg("%s", err);
    free(d);
    xporta_pie_reader_free(r);
    rm_rf(dir);
    free(dir);
}

/* Text in many pieces (expat gives one per line): a 1 MB vCard photo in
 * 76-character lines reads whole.  Each piece used to copy the text so far,
 * and about 100 KB of photo ran past the 64 MiB ceiling of a record. */
static void long_text_in_lines_reads_whole(void **state)
{
    (void)state;
    size_t lines = 14000, n = 0;
    char *doc = malloc(lines * 77 + 512);
    assert_non_null(doc);
    n += (size_t)sprintf(doc, "<server-data xmlns='urn:xmpp:pie:0'><host "
                              "jid='x.example'><user name='a'><vCard "
                              "xmlns='vcard-temp'><PHOTO><BINVAL>");
    for (size_t i = 0; i < lines; i++) {
        memset(doc + n, 'A' + (char)(i % 26), 76);
        n += 76;
        doc[n++] = '\n';
    }
    strcpy(doc + n, "</BINVAL></PHOTO></vCard></user></host></server-data>");
    xporta_status st;
    char err[512];
    char *d = digest_mem("photo", doc, 65536, &st, err, sizeof err);
    if (!d)
        fail_msg("%s", err);
    assert_non_null(strstr(d, "ZZZZ"));
    assert_true(strlen(d) > lines * 76);
    free(d);
    free(doc);
}

static void truncated_input_is_an_error_at_every_cut(void **state)
{
    (void)state;
    char *text = read_data("prosody-pending.xml");
    size_t n = strlen(text);
    while (n > 0 && (text[n - 1] == '\n'))
        n--;
    for (size_t cut = 0; cut < n; cut += 7) {
        char save = text[cut];
        text[cut] = '\0';
        xporta_status st;
        char err[512];
        char *d = digest_mem("cut", text, 3, &st, err, sizeof err);
        if (d)
            fail_msg("input cut at %zu of %zu read without error", cut, n);
        assert_int_equal(st, XPORTA_EFORMAT);
        text[cut] = save;
    }
    free(text);
}

/* Prefixes are resolved as namespaces (the reader does it, not expat). */
static void namespaces_by_prefix(void **state)
{
    (void)state;
    static const char doc[] =
        "<p:server-data xmlns:p='urn:xmpp:pie:0' "
        "xmlns:r='jabber:iq:roster'><p:host jid='x.example'>"
        "<p:user name='a' xmlns:e='urn:ext' e:flag='1'>"
        "<r:query><r:item jid='b@x.example' xml:lang='en'/></r:query>"
        "<vCard xmlns='vcard-temp'><FN>A</FN><x xmlns=''>plain</x></vCard>"
        "<other xmlns='urn:o' xmlns:q='urn:q'><q:deep q:attr='v'/></other>"
        "</p:user></p:host></p:server-data>";
    xporta_status st;
    char err[512];
    char *d = digest_mem("ns", doc, 3, &st, err, sizeof err);
    if (!d)
        fail_msg("%s", err);
    count(d,
          "user a <user xmlns='urn:xmpp:pie:0' name='a' xmlns:ns1='urn:ext' "
          "ns1:flag='1'/>",
          1);
    count(d,
          "record roster [b@x.example] id=- in=- <item "
          "xmlns='jabber:iq:roster' jid='b@x.example' xml:lang='en'/>",
          1);
    count(d,
          "<vCard xmlns='vcard-temp'><FN>A</FN><x xmlns=''>plain</x></vCard>",
          1);
    count(d,
          "record other [{urn:o}other] id=- in=- <other xmlns='urn:o'><deep "
          "xmlns='urn:q' xmlns:ns1='urn:q' ns1:attr='v'/></other>",
          1);
    free(d);

    d = digest_mem("undeclared",
                   "<server-data xmlns='urn:xmpp:pie:0'><host jid='x'>"
                   "<user name='a'><z:thing/></user></host></server-data>",
                   7, &st, err, sizeof err);
    assert_null(d);
    assert_int_equal(st, XPORTA_EFORMAT);
    assert_non_null(strstr(err, "undeclared:1:"));
    assert_non_null(strstr(err, "prefix 'z' is not declared"));
}

static void positions_point_at_records(void **state)
{
    (void)state;
    xporta_pie_reader *r = NULL;
    assert_int_equal(xporta_pie_reader_open(&r, data_path("full.xml")),
                     XPORTA_OK);
    bool saw = false;
    for (;;) {
        xporta_pie_event ev;
        assert_int_equal(xporta_pie_reader_next(r, &ev), XPORTA_OK);
        if (ev == XPORTA_PIE_END)
            break;
        if (ev != XPORTA_PIE_RECORD)
            continue;
        const xporta_record *rec = xporta_pie_reader_record(r);
        if (rec->kind == XPORTA_KIND_ROSTER &&
            strcmp(rec->key, "nurse@capulet.com") == 0) {
            assert_int_equal(rec->line, 23);
            assert_int_equal(rec->col, 9);
            assert_true(rec->bytes > 50 && rec->bytes < 100);
            saw = true;
        }
    }
    assert_true(saw);
    assert_int_equal(xporta_pie_reader_offset(r), 7103); /* the whole file */
    xporta_pie_reader_free(r);
}

/* The reader guesses an element's name and namespace from the previous
 * ones (documents repeat themselves): the guesses must never stick when
 * the document changes its mind. */
static void repeated_names_are_not_assumed(void **state)
{
    (void)state;
    static const char doc[] =
        "<server-data xmlns='urn:xmpp:pie:0'><host jid='x.example'>"
        "<user name='a'>"
        "<other xmlns='urn:o1'><a/><ab/></other>"
        "<other xmlns='urn:o1'><a/><ab/></other>"
        "<other xmlns='urn:o2'><a/><abc/><a xmlns='urn:o3'/></other>"
        "<other xmlns='urn:o1'><a/><a/><ab/></other>"
        "<x:other xmlns:x='urn:o1'><x:a/></x:other>"
        "</user></host></server-data>";
    xporta_status st;
    char err[512];
    char *d = digest_mem("guess", doc, 5, &st, err, sizeof err);
    if (!d)
        fail_msg("%s", err);
    count(d, "<other xmlns='urn:o1'><a/><ab/></other>", 2);
    count(d, "<other xmlns='urn:o2'><a/><abc/><a xmlns='urn:o3'/></other>", 1);
    count(d, "<other xmlns='urn:o1'><a/><a/><ab/></other>", 1);
    count(d, "<other xmlns='urn:o1'><a/></other>", 1);
    free(d);
}

/* Elements are built in one block up to the model's 256 attributes; past
 * that, the record is refused as before. */
static void attributes_up_to_the_limit(void **state)
{
    (void)state;
    for (int n = 255; n <= 257; n++) {
        char doc[16384];
        size_t len = (size_t)snprintf(
            doc, sizeof doc,
            "<server-data xmlns='urn:xmpp:pie:0'><host jid='x.example'>"
            "<user name='a'><other xmlns='urn:o'><e xmlns:p='urn:p'");
        for (int i = 0; i < n; i++)
            len += (size_t)snprintf(doc + len, sizeof doc - len, " %s%d='%d'",
                                    i % 2 ? "p:a" : "a", i, i * 7);
        len += (size_t)snprintf(doc + len, sizeof doc - len,
                                "/></other></user></host></server-data>");
        xporta_status st;
        char err[512];
        char *d = digest_mem("attrs", doc, 4096, &st, err, sizeof err);
        if (n > 256) {
            assert_null(d);
            assert_int_equal(st, XPORTA_ETOOBIG);
            continue;
        }
        if (!d)
            fail_msg("%s", err);
        count(d, " a0='0'", 1);
        count(d, " ns1:a1='7'", 1);
        char last[32];
        snprintf(last, sizeof last, "a%d='%d'/>", n - 1, (n - 1) * 7);
        count(d, last, 1);
        free(d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(samples_read_whole_and_chunked),
        cmocka_unit_test(every_kind_of_the_standard),
        cmocka_unit_test(prosody_dialect_is_repaired),
        cmocka_unit_test(ejabberd_dialect_is_repaired),
        cmocka_unit_test(xinclude_layout_of_the_spec),
        cmocka_unit_test(errors_name_file_line_and_column),
        cmocka_unit_test(keep_going_skips_a_missing_include),
        cmocka_unit_test(limits_hold),
        cmocka_unit_test(one_huge_token_fails_fast),
        cmocka_unit_test(long_text_in_lines_reads_whole),
        cmocka_unit_test(truncated_input_is_an_error_at_every_cut),
        cmocka_unit_test(namespaces_by_prefix),
        cmocka_unit_test(positions_point_at_records),
        cmocka_unit_test(repeated_names_are_not_assumed),
        cmocka_unit_test(attributes_up_to_the_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
