/* lib/jobs on a live account, against the in-memory server of tests/fake:
 *
 *  - follow-moves compares JIDs as RFC 7622 does (the roster index and the
 *    equality of lib/jobs/job_moved.c): a move whose old JID differs from
 *    the roster's only in case is the same contact;
 *  - export reports the end of each kind once: the PEP items' last node
 *    was announced as done by its own progress report and again by the
 *    kind's end (the CLI printed "pep-item: N" twice). */
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fake_server.h"
#include "jobs/job_moved_p.h"

/* ---- JIDs ---------------------------------------------------------------- */

static void jids_compare_as_rfc7622_says(void **state)
{
    (void)state;
    /* The localpart and the domainpart without (ASCII) case, a trailing
     * dot of the domain dropped. */
    assert_true(moved_jid_eq("alice@old.example", "Alice@OLD.Example"));
    assert_true(moved_jid_eq("ALICE@old.example", "alice@old.example."));
    assert_true(moved_jid_eq("old.example", "OLD.EXAMPLE"));
    assert_int_equal(moved_jid_key("Alice@Old.Example"),
                     moved_jid_key("alice@old.example"));
    /* The resource exactly. */
    assert_true(moved_jid_eq("a@b.example/Phone", "A@B.example/Phone"));
    assert_false(moved_jid_eq("a@b.example/Phone", "a@b.example/phone"));
    assert_false(moved_jid_key("a@b.example/Phone") ==
                 moved_jid_key("a@b.example/phone"));
    /* Different JIDs stay different. */
    assert_false(moved_jid_eq("alice@old.example", "alice@old.example2"));
    assert_false(moved_jid_eq("alice@old.example", "alicia@old.example"));
    assert_false(moved_jid_eq("alice@old.example", NULL));
    /* Non-ASCII is compared as written (no Unicode tables): the safe way
     * (a move left to the user, never a wrong one followed). */
    assert_true(
        moved_jid_eq("\xc3\xa9lise@b.example", "\xc3\xa9lise@B.example"));
    assert_false(
        moved_jid_eq("\xc3\xa9lise@b.example", "\xc3\x89lise@b.example"));
    /* Longer than the stack buffer: the same answers. */
    char a[1200], b[1200];
    memset(a, 'x', 1000);
    memcpy(a + 1000, "@B.example", 11);
    memset(b, 'X', 1000);
    memcpy(b + 1000, "@b.example", 11);
    assert_true(moved_jid_eq(a, b));
    assert_int_equal(moved_jid_key(a), moved_jid_key(b));
}

/* The roster lookup of follow-moves (and announce): a request naming the
 * old address in another case finds the contact. */
static void roster_lookup_ignores_case(void **state)
{
    (void)state;
    struct roster r;
    moved_roster_init(&r);
    static const char *const jids[] = {"alice@old.example", "bob@b.example"};
    r.v = calloc(2, sizeof *r.v);
    assert_non_null(r.v);
    for (size_t i = 0; i < 2; i++) {
        r.v[i].jid = jids[i];
        r.v[i].sub = SUB_BOTH;
        assert_true(xp_map_put(&r.index, moved_jid_key(jids[i]), i + 1) >= 0);
    }
    r.n = 2;
    struct contact *c = moved_roster_find(&r, "Alice@OLD.example");
    assert_non_null(c);
    assert_string_equal(c->jid, "alice@old.example");
    c = moved_roster_find(&r, "BOB@b.EXAMPLE");
    assert_non_null(c);
    assert_string_equal(c->jid, "bob@b.example");
    assert_null(moved_roster_find(&r, "carol@old.example"));
    assert_null(moved_roster_find(&r, "alice@old.example/r"));
    moved_roster_cleanup(&r);
}

/* ---- export's progress --------------------------------------------------- */

struct seen {
    unsigned done[XPORTA_KIND_COUNT]; /* reports of a kind at fraction 1 */
};

static void slow_progress(const xporta_progress *p, void *ud)
{
    struct seen *s = ud;
    if (p->kind < XPORTA_KIND_COUNT && p->fraction >= 1)
        s->done[p->kind]++;
    /* Reports are throttled to one per 0.25 s unless forced: a slow
     * reader (a terminal, a busy server) lets every one of them through.
     * Slow down where it matters, the PEP items. */
    if (p->kind == XPORTA_KIND_PEP_ITEM) {
        struct timespec ts = {0, 300 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

static void export_reports_each_kind_done_once(void **state)
{
    (void)state;
    const char *j = "alice@old.example";
    fake_reset();
    assert_int_equal(fake_add_account(j, "pw"), 0);
    static const char *const nodes[] = {"urn:example:a", "urn:example:b",
                                        "urn:example:c"};
    char xml[256];
    for (size_t i = 0; i < 3; i++) {
        snprintf(xml, sizeof xml,
                 "<item xmlns='http://jabber.org/protocol/pubsub' id='i%zu'>"
                 "<x xmlns='%s'>%zu</x></item>",
                 i, nodes[i], i);
        assert_int_equal(fake_put(j, XPORTA_KIND_PEP_ITEM, nodes[i], xml), 0);
    }
    char *dir = make_tmpdir();
    char path[4096];
    snprintf(path, sizeof path, "%s/out.xml", dir);
    xporta_account *acct = NULL;
    xporta_job *job = NULL;
    assert_int_equal(xporta_account_new(&acct, j), XPORTA_OK);
    assert_int_equal(xporta_account_set_password(acct, "pw"), XPORTA_OK);
    assert_int_equal(xporta_export_new(&job, acct, path), XPORTA_OK);
    xporta_job_set_kinds(job, (1u << XPORTA_KIND_PEP_NODE) |
                                  (1u << XPORTA_KIND_PEP_ITEM) |
                                  (1u << XPORTA_KIND_ROSTER));
    struct seen seen;
    memset(&seen, 0, sizeof seen);
    xporta_job_set_progress(job, slow_progress, &seen);
    xporta_status st = xporta_job_run(job);
    if (st != XPORTA_OK)
        fail_msg("export: %s", xporta_job_error(job));
    assert_int_equal(xporta_job_count(job, XPORTA_KIND_PEP_ITEM), 3);
    assert_int_equal(seen.done[XPORTA_KIND_PEP_ITEM], 1);
    assert_int_equal(seen.done[XPORTA_KIND_ROSTER], 1);
    xporta_job_free(job);
    xporta_account_free(acct);
    rm_rf(dir);
    free(dir);
    fake_reset();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(jids_compare_as_rfc7622_says),
        cmocka_unit_test(roster_lookup_ignores_case),
        cmocka_unit_test(export_reports_each_kind_done_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
