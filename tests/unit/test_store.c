/* lib/store: the table of drivers and the XEP-0227 file driver, both
 * ways.  The account driver is exercised by test_job_migrate.c (against
 * the fake server) and by the integration tests (the real ones). */
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

struct collect {
    char accounts[512];
    unsigned records;
    unsigned per_kind[XPORTA_KIND_COUNT];
    struct store *copy_to; /* write each record here too */
};

static xporta_status on_account(void *ud, const char *jid)
{
    struct collect *c = ud;
    snprintf(c->accounts + strlen(c->accounts),
             sizeof c->accounts - strlen(c->accounts), "%s;", jid);
    return XPORTA_OK;
}

static xporta_status on_record(void *ud, xporta_record *rec)
{
    struct collect *c = ud;
    c->records++;
    c->per_kind[rec->kind]++;
    return c->copy_to ? store_write(c->copy_to, rec, false) : XPORTA_OK;
}

static unsigned confirmed;
static void on_done(void *ud, xporta_kind kind, const char *key, const char *id,
                    bool ok, const char *why)
{
    (void)ud, (void)kind, (void)key, (void)id, (void)why;
    if (ok)
        confirmed++;
}

static xporta_status read_file(const char *address, const char *user,
                               uint32_t kinds, struct collect *c,
                               struct xp_run *run)
{
    struct store *s = NULL;
    struct store_opts o;
    memset(&o, 0, sizeof o);
    o.user = user;
    memset(c, 0, sizeof *c);
    xporta_status st = store_open(&s, address, &o, run);
    if (st == XPORTA_OK) {
        struct store_sink sink = {
            .record = on_record, .account = on_account, .ud = c};
        st = store_read(s, kinds, NULL, &sink);
    }
    store_close(s);
    return st;
}

static void table(void **state)
{
    (void)state;
    const char *where = NULL;
    assert_ptr_equal(store_driver_find("file:/x.xml", &where),
                     &store_file_driver);
    assert_string_equal(where, "/x.xml");
    assert_ptr_equal(store_driver_find("xmpp:a@b", &where), &store_live_driver);
    assert_string_equal(where, "a@b");
    assert_null(store_driver_find("nosuch:x", &where));
    assert_null(store_driver_find("no-scheme", &where));
    unsigned n = 0;
    for (const struct store_driver *const *d = store_drivers(); *d; d++) {
        assert_non_null((*d)->summary);
        n++;
    }
    assert_int_equal(n, 8);
    assert_ptr_equal(store_driver_find("prosody:/var/lib/prosody", &where),
                     &store_prosody_driver);
    assert_ptr_equal(
        store_driver_find("prosody+pgsql://prosody@localhost/prosody", &where),
        &store_prosody_pgsql_driver);
    assert_string_equal(where, "//prosody@localhost/prosody");
    assert_true(store_prosody_driver.many && !store_file_driver.many);
    assert_ptr_equal(store_driver_find("prosody+sqlite:/p.sqlite", &where),
                     &store_prosody_sqlite_driver);
    assert_string_equal(where, "/p.sqlite");
    assert_ptr_equal(store_driver_find("ejabberd+sqlite:/e.db", &where),
                     &store_ejabberd_sqlite_driver);
    assert_string_equal(where, "/e.db");
    assert_ptr_equal(store_driver_find("ejabberd+pgsql:ejabberd", &where),
                     &store_ejabberd_pgsql_driver);
    assert_true(store_ejabberd_pgsql_driver.many);
    assert_ptr_equal(
        store_driver_find("ejabberd+mnesia:/usr/sbin/ejabberdctl", &where),
        &store_ejabberd_mnesia_driver);
    assert_string_equal(where, "/usr/sbin/ejabberdctl");
    assert_true(store_ejabberd_mnesia_driver.many &&
                store_ejabberd_mnesia_driver.flush_due);
    /* An unknown scheme is the caller's error, named. */
    struct xp_run run;
    memset(&run, 0, sizeof run);
    struct store *s = NULL;
    assert_int_equal(store_open(&s, "nosuch:x", NULL, &run), XPORTA_EINVAL);
    assert_null(s);
    assert_non_null(strstr(xp_err_msg(&run.err), "nosuch:x"));
    /* What a live account cannot take, and why. */
    assert_false(store_live_driver.writable & (1u << XPORTA_KIND_ARCHIVE));
    assert_true(store_live_driver.writable & (1u << XPORTA_KIND_ROSTER));
    assert_non_null(
        strstr(store_why_not(&store_live_driver, XPORTA_KIND_ARCHIVE),
               "server-import"));
}

/* A PostgreSQL address with a password is refused before anything is
 * connected to (no server needed), and so is one libpq cannot read. */
static void pgsql_address(void **state)
{
    (void)state;
    static const char *const refused[] = {
        "prosody+pgsql://prosody:secret@localhost/prosody",
        "prosody+pgsql:host=localhost dbname=prosody password=secret",
        "prosody+pgsql:postgresql://u:p@h:5432/db",
        "prosody+pgsql://u@h/db?password=p",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        struct xp_run run;
        memset(&run, 0, sizeof run);
        struct store *s = NULL;
        assert_int_equal(store_open(&s, refused[i], NULL, &run), XPORTA_EINVAL);
        assert_null(s);
        assert_non_null(strstr(xp_err_msg(&run.err), "~/.pgpass"));
        assert_null(strstr(xp_err_msg(&run.err), "secret"));
    }
    struct xp_run run;
    memset(&run, 0, sizeof run);
    struct store *s = NULL;
    assert_int_equal(store_open(&s, "prosody+pgsql:host='x", NULL, &run),
                     XPORTA_EINVAL);
    assert_non_null(strstr(xp_err_msg(&run.err), "not a PostgreSQL address"));
}

static void file_source_chooses_one_account(void **state)
{
    (void)state;
    char addr[4200];
    snprintf(addr, sizeof addr, "file:%s", data_path("full.xml"));
    struct collect c;
    struct xp_run run;
    /* Two users and no choice: refused, with their names. */
    memset(&run, 0, sizeof run);
    assert_int_equal(read_file(addr, NULL, ~0u, &c, &run), XPORTA_EINVAL);
    assert_non_null(strstr(xp_err_msg(&run.err), "juliet@capulet.com"));
    assert_non_null(strstr(xp_err_msg(&run.err), "--user"));
    /* By user@host, and by a bare name. */
    memset(&run, 0, sizeof run);
    assert_int_equal(read_file(addr, "juliet@CAPULET.com", ~0u, &c, &run),
                     XPORTA_OK);
    assert_string_equal(c.accounts, "juliet@capulet.com;");
    assert_true(c.per_kind[XPORTA_KIND_ROSTER] >= 4);
    unsigned all = c.records;
    memset(&run, 0, sizeof run);
    assert_int_equal(
        read_file(addr, "juliet", 1u << XPORTA_KIND_ROSTER, &c, &run),
        XPORTA_OK);
    assert_int_equal(c.records, c.per_kind[XPORTA_KIND_ROSTER]);
    assert_true(c.records < all);
    /* Nobody by that name. */
    memset(&run, 0, sizeof run);
    assert_int_equal(read_file(addr, "nobody", ~0u, &c, &run),
                     XPORTA_ENOTFOUND);
    /* A missing file is named. */
    memset(&run, 0, sizeof run);
    assert_int_equal(read_file("file:/nonexistent/x.xml", NULL, ~0u, &c, &run),
                     XPORTA_ENOTFOUND);
    assert_non_null(strstr(xp_err_msg(&run.err), "/nonexistent/x.xml"));
}

static void file_target_round_trip(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char src[4200], dst[4200];
    snprintf(src, sizeof src, "file:%s", data_path("full.xml"));
    snprintf(dst, sizeof dst, "file:%s/out.xml", dir);
    struct xp_run run;
    memset(&run, 0, sizeof run);
    struct store *out = NULL;
    struct store_opts o;
    memset(&o, 0, sizeof o);
    o.account = "jules@new.example";
    assert_int_equal(store_open(&out, dst, &o, &run), XPORTA_OK);
    confirmed = 0;
    assert_int_equal(store_write_begin(out, on_done, NULL), XPORTA_OK);
    /* Copy juliet's records through the driver. */
    struct store *in = NULL;
    struct store_opts io;
    memset(&io, 0, sizeof io);
    io.user = "juliet@capulet.com";
    struct collect c;
    memset(&c, 0, sizeof c);
    c.copy_to = out;
    assert_int_equal(store_open(&in, src, &io, &run), XPORTA_OK);
    struct store_sink sink = {
        .record = on_record, .account = on_account, .ud = &c};
    assert_int_equal(store_read(in, ~0u, NULL, &sink), XPORTA_OK);
    store_close(in);
    /* Nothing is visible before write_end; everything after. */
    char path[4200];
    snprintf(path, sizeof path, "%s/out.xml", dir);
    FILE *f = fopen(path, "r");
    assert_null(f);
    assert_int_equal(store_pending(out), 0);
    assert_int_equal(confirmed, c.records);
    assert_int_equal(store_write_end(out), XPORTA_OK);
    store_close(out);
    struct collect back;
    assert_int_equal(read_file(dst, NULL, ~0u, &back, &run), XPORTA_OK);
    assert_string_equal(back.accounts, "jules@new.example;");
    assert_int_equal(back.records, c.records);
    for (unsigned k = 0; k < XPORTA_KIND_COUNT; k++)
        assert_int_equal(back.per_kind[k], c.per_kind[k]);
    rm_rf(dir);
    free(dir);
}

static void file_target_needs_an_account(void **state)
{
    (void)state;
    struct xp_run run;
    memset(&run, 0, sizeof run);
    struct store *out = NULL;
    assert_int_equal(store_open(&out, "file:/tmp/never.xml", NULL, &run),
                     XPORTA_OK);
    assert_int_equal(store_write_begin(out, on_done, NULL), XPORTA_EINVAL);
    assert_non_null(strstr(xp_err_msg(&run.err), "user@host"));
    store_close(out);
}

/* A file with XEP-0519 rooms: import reads its users as before, never a
 * room (whose records would otherwise land in the last user), and says the
 * rooms stay in the file. */
static void file_source_passes_rooms_over(void **state)
{
    (void)state;
    char addr[4200];
    snprintf(addr, sizeof addr, "file:%s", data_path("muc-cheogram.xml"));
    struct collect c;
    struct xp_run run;
    memset(&run, 0, sizeof run);
    assert_int_equal(read_file(addr, NULL, ~0u, &c, &run), XPORTA_OK);
    assert_string_equal(c.accounts, "alice@example.org;");
    assert_int_equal(c.records, 2); /* the roster item, one message */
    assert_int_equal(c.per_kind[XPORTA_KIND_ARCHIVE], 1);
    assert_non_null(run.kind[XPORTA_KIND_OTHER].note);
    assert_non_null(
        strstr(run.kind[XPORTA_KIND_OTHER].note, "2 rooms (XEP-0519"));
    xp_run_cleanup(&run);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(table),
        cmocka_unit_test(pgsql_address),
        cmocka_unit_test(file_source_chooses_one_account),
        cmocka_unit_test(file_target_round_trip),
        cmocka_unit_test(file_target_needs_an_account),
        cmocka_unit_test(file_source_passes_rooms_over),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
