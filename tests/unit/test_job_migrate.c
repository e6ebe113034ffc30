/* lib/jobs + lib/transfer + lib/store: whole migrations in C, against the
 * in-memory server of tests/fake (no network).  The source account is
 * tests/data/full.xml's juliet, loaded as a server-side import would; the
 * target is a fresh account on another server.
 *
 *  - a migrate moves every kind a client can write, and verifies;
 *  - a dry run plans and changes nothing;
 *  - a conflict is kept, or replaced when asked;
 *  - a migrate stopped at each journal step (the journal "crashes": what
 *    it had not synced is lost) and run again ends with exactly the
 *    target of an undisturbed run, re-sending at most the writes whose
 *    marks were lost;
 *  - a wrong password on the new account fails before anything is read;
 *  - every allocation failing in turn (the Nth, for every N) ends in an
 *    error or in the right result, never in a crash or a leak. */
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

#include "alloc_fail.h"
#include "fake_server.h"
#include "transfer/xfer.h"

#define OLD "juliet@capulet.com"
#define NEW "juliet@new.example"

struct env {
    char *dir;
    char state[4096];
};

static void seed(void)
{
    fake_reset();
    assert_int_equal(fake_load_pie_file(data_path("full.xml")), 0);
    assert_int_equal(fake_add_account(OLD, "old-pass"), 0);
    assert_int_equal(fake_add_account(NEW, "new-pass"), 0);
}

static int setup(void **state)
{
    struct env *e = calloc(1, sizeof *e);
    e->dir = make_tmpdir();
    snprintf(e->state, sizeof e->state, "%s/state", e->dir);
    /* The target accounts' locks live under the state home: a private
     * one, so that another run of these tests (another build) is not
     * "another xporta writing into" the same account. */
    assert_int_equal(setenv("XDG_STATE_HOME", e->dir, 1), 0);
    *state = e;
    seed();
    return 0;
}

static int teardown(void **state)
{
    struct env *e = *state;
    rm_rf(e->dir);
    free(e->dir);
    free(e);
    fake_reset();
    return 0;
}

/* A migrate job from OLD to NEW with the given new password. */
static xporta_job *migrate_job(struct env *e, const char *new_pass,
                               xporta_account **a, xporta_account **b)
{
    xporta_job *j = NULL;
    assert_int_equal(xporta_account_new(a, OLD), XPORTA_OK);
    assert_int_equal(xporta_account_new(b, NEW), XPORTA_OK);
    assert_int_equal(xporta_account_set_password(*a, "old-pass"), XPORTA_OK);
    assert_int_equal(xporta_account_set_password(*b, new_pass), XPORTA_OK);
    assert_int_equal(xporta_migrate_new(&j, *a, *b), XPORTA_OK);
    assert_int_equal(xporta_job_set_state_dir(j, e->state), XPORTA_OK);
    return j;
}

static char last_error[1024], last_failed[1024];
static xporta_job *current_job; /* the job run_migrate_alloc is running */

static void on_action(void *ud, xporta_action a, xporta_kind k, const char *key,
                      const char *id, const char *why)
{
    (void)ud;
    if (a == XPORTA_ACTION_FAILED || a == XPORTA_ACTION_MISSING ||
        a == XPORTA_ACTION_DIFFERS)
        snprintf(last_failed, sizeof last_failed, "%s %s%s%s: %s",
                 xporta_kind_name(k), key, id ? " " : "", id ? id : "",
                 why ? why : "");
}

/* What an event stream held (events_tell_the_job). */
struct events {
    unsigned lines, items, refused, progress, other;
    unsigned actions; /* calls of the caller's action callback */
    unsigned progress_calls;
    char first[256], last[16384];
    bool bad; /* a line that is no object, or a NUL inside */
};

static void count_event(void *ud, const char *line, size_t len)
{
    struct events *ev = ud;
    if (len != strlen(line) || line[0] != '{' || line[len - 1] != '}' ||
        strncmp(line, "{\"event\":\"", 10) != 0 || !strstr(line, ",\"v\":1,"))
        ev->bad = true;
    if (!ev->lines++)
        snprintf(ev->first, sizeof ev->first, "%s", line);
    snprintf(ev->last, sizeof ev->last, "%s", line);
    if (strncmp(line, "{\"event\":\"item\"", 15) == 0)
        ev->items++;
    else if (strncmp(line, "{\"event\":\"refused\"", 18) == 0)
        ev->refused++;
    else if (strncmp(line, "{\"event\":\"progress\"", 19) == 0)
        ev->progress++;
    else
        ev->other++;
}

/* Runs a migrate; with `fail_alloc` N, the Nth allocation of the run
 * fails (*fired says whether it came). */
static xporta_status run_migrate_alloc(struct env *e, bool dry, bool *verified,
                                       unsigned long long fail_alloc,
                                       bool *fired)
{
    xporta_account *a, *b;
    xporta_job *j = migrate_job(e, "new-pass", &a, &b);
    xporta_job_set_dry_run(j, dry);
    xporta_job_set_action_cb(j, on_action, NULL);
    /* With the event stream on, so that its allocations fail too. */
    struct events ev;
    memset(&ev, 0, sizeof ev);
    xporta_job_set_event_cb(j, count_event, &ev);
    if (fail_alloc)
        alloc_fail_arm(fail_alloc);
    current_job = j;
    xporta_status st = xporta_job_run(j);
    current_job = NULL;
    if (fail_alloc) {
        alloc_fail_disarm();
        *fired = alloc_fail_fired();
        /* The failure is in the detail, whatever status it became. */
        if (*fired && st != XPORTA_OK && !xporta_job_error(j)[0])
            fail_msg("allocation %llu: %s without a detail", fail_alloc,
                     xporta_strerror(st));
    }
    snprintf(last_error, sizeof last_error, "%s", xporta_job_error(j));
    assert_false(ev.bad);
    if (!fail_alloc || !*fired) /* else an event may be lost */
        assert_non_null(strstr(ev.last, "{\"event\":\"summary\""));
    if (verified)
        *verified = xporta_job_verified(j);
    xporta_job_free(j);
    xporta_account_free(a);
    xporta_account_free(b);
    return st;
}

static xporta_status run_migrate(struct env *e, bool dry, bool *verified)
{
    return run_migrate_alloc(e, dry, verified, 0, NULL);
}

static unsigned long writes(void)
{
    static const char *const sets[] = {
        "roster set",     "vcard set",         "private set",
        "privacy set",    "block set",         "pep publish set",
        "pep create set", "pep configure set", "pep affiliations set",
        "mam prefs set",
    };
    unsigned long n = 0;
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
        n += fake_requests_of(NEW, sets[i]);
    return n;
}

/* ---- tests ----------------------------------------------------------------
 */

static void migrate_moves_everything(void **state)
{
    struct env *e = *state;
    bool verified = false;
    assert_int_equal(run_migrate(e, false, &verified), XPORTA_OK);
    assert_true(verified);
    /* What a client can write arrived, as it was (with the new JID). */
    assert_int_equal(fake_count(NEW, XPORTA_KIND_ROSTER),
                     fake_count(OLD, XPORTA_KIND_ROSTER));
    assert_true(fake_count(NEW, XPORTA_KIND_ROSTER) >= 4);
    char *vcard = fake_get(NEW, XPORTA_KIND_VCARD, "vcard", NULL);
    assert_non_null(vcard);
    assert_non_null(strstr(vcard, "Juliet Capulet"));
    free(vcard);
    char *bm =
        fake_get(NEW, XPORTA_KIND_PRIVATE, "{storage:bookmarks}storage", NULL);
    assert_non_null(bm);
    assert_non_null(strstr(bm, "theplay@conference.shakespeare.lit"));
    free(bm);
    assert_int_equal(fake_count(NEW, XPORTA_KIND_BLOCKLIST),
                     fake_count(OLD, XPORTA_KIND_BLOCKLIST));
    /* What only a server can write stayed behind. */
    assert_int_equal(fake_count(NEW, XPORTA_KIND_ARCHIVE), 0);
    /* Done and verified: no state left to resume. */
    FILE *f = fopen(e->state, "r");
    assert_null(f);
    /* A second run finds everything in place and writes nothing. */
    unsigned long before = writes();
    assert_int_equal(run_migrate(e, false, &verified), XPORTA_OK);
    assert_true(verified);
    assert_int_equal(writes(), before);
}

static void dry_run_changes_nothing(void **state)
{
    struct env *e = *state;
    char *before = fake_dump(NEW);
    xporta_account *a, *b;
    xporta_job *j = migrate_job(e, "new-pass", &a, &b);
    xporta_job_set_dry_run(j, true);
    assert_int_equal(xporta_job_run(j), XPORTA_OK);
    xporta_import_counts c;
    xporta_job_import_counts(j, XPORTA_KIND_ROSTER, &c);
    assert_int_equal(c.add, fake_count(OLD, XPORTA_KIND_ROSTER));
    assert_int_equal(c.written, 0);
    assert_null(xporta_job_state_dir(j));
    xporta_job_free(j);
    xporta_account_free(a);
    xporta_account_free(b);
    char *after = fake_dump(NEW);
    assert_string_equal(before, after);
    assert_int_equal(writes(), 0);
    free(before);
    free(after);
}

static void conflict_kept_or_replaced(void **state)
{
    struct env *e = *state;
    assert_int_equal(fake_put(NEW, XPORTA_KIND_VCARD, NULL,
                              "<vCard xmlns='vcard-temp'><FN>Someone "
                              "else</FN></vCard>"),
                     0);
    assert_int_equal(run_migrate(e, false, NULL), XPORTA_OK);
    char *v = fake_get(NEW, XPORTA_KIND_VCARD, "vcard", NULL);
    assert_non_null(strstr(v, "Someone else"));
    free(v);

    xporta_account *a, *b;
    xporta_job *j = migrate_job(e, "new-pass", &a, &b);
    xporta_job_set_on_conflict(j, XPORTA_CONFLICT_REPLACE);
    assert_int_equal(xporta_job_run(j), XPORTA_OK);
    xporta_import_counts c;
    xporta_job_import_counts(j, XPORTA_KIND_VCARD, &c);
    assert_int_equal(c.replace, 1);
    xporta_job_free(j);
    xporta_account_free(a);
    xporta_account_free(b);
    v = fake_get(NEW, XPORTA_KIND_VCARD, "vcard", NULL);
    assert_non_null(strstr(v, "Juliet Capulet"));
    free(v);
}

static void wrong_new_password_fails_first(void **state)
{
    struct env *e = *state;
    xporta_account *a, *b;
    xporta_job *j = migrate_job(e, "wrong", &a, &b);
    assert_int_equal(xporta_job_run(j), XPORTA_EAUTH);
    assert_non_null(strstr(xporta_job_error(j), NEW));
    /* Nothing was read from the old account, nothing kept to resume. */
    assert_int_equal(fake_requests(OLD), 0);
    assert_null(xporta_job_state_dir(j));
    xporta_job_free(j);
    xporta_account_free(a);
    xporta_account_free(b);
}

/* An import of the file itself, a record refused by the target: the job
 * says so, the rest is in place, and a rerun writes only that one. */
static void import_refused_then_retried(void **state)
{
    struct env *e = *state;
    xporta_account *b;
    xporta_job *j = NULL;
    assert_int_equal(xporta_account_new(&b, NEW), XPORTA_OK);
    assert_int_equal(xporta_account_set_password(b, "new-pass"), XPORTA_OK);
    assert_int_equal(xporta_import_new(&j, data_path("full.xml"), b),
                     XPORTA_OK);
    assert_int_equal(xporta_job_set_user(j, OLD), XPORTA_OK);
    assert_int_equal(xporta_job_set_state_dir(j, e->state), XPORTA_OK);
    assert_int_equal(fake_fail(NEW, "vcard set", "not-acceptable", 1), 0);
    xporta_status st = xporta_job_run(j);
    if (st != XPORTA_ESTANZA)
        fail_msg("import: %s: %s", xporta_strerror(st), xporta_job_error(j));
    assert_non_null(strstr(xporta_job_error(j), "refused 1 record"));
    assert_int_equal(xporta_job_state(j, XPORTA_KIND_VCARD),
                     XPORTA_STATE_FAILED);
    assert_int_equal(fake_count(NEW, XPORTA_KIND_ROSTER),
                     fake_count(OLD, XPORTA_KIND_ROSTER));
    unsigned long before = writes();
    st = xporta_job_run(j);
    if (st != XPORTA_OK)
        fail_msg("rerun: %s: %s", xporta_strerror(st), xporta_job_error(j));
    assert_true(xporta_job_resumed(j));
    assert_true(xporta_job_verified(j));
    assert_int_equal(writes(), before + 1);
    char *v = fake_get(NEW, XPORTA_KIND_VCARD, "vcard", NULL);
    assert_non_null(strstr(v, "Juliet Capulet"));
    free(v);
    xporta_job_free(j);
    xporta_account_free(b);
}

/* A target that says yes and keeps nothing: verify reads it back, finds
 * the record missing, names it, and the job fails. */
static void verify_catches_a_lost_write(void **state)
{
    struct env *e = *state;
    assert_int_equal(fake_fail(NEW, "vcard set", "lost", 1), 0);
    last_failed[0] = '\0';
    bool verified = true;
    xporta_status st = run_migrate(e, false, &verified);
    assert_int_equal(st, XPORTA_ECONFLICT);
    assert_false(verified);
    assert_non_null(strstr(last_error, "1 record(s) missing"));
    assert_non_null(strstr(last_failed, "vcard"));
    assert_non_null(strstr(last_failed, "not on the target"));
    assert_null(fake_get(NEW, XPORTA_KIND_VCARD, "vcard", NULL));
    /* Run again: the vCard, journaled as written, is written again, alone,
     * and now verify finds it. */
    unsigned long before = writes();
    assert_int_equal(run_migrate(e, false, &verified), XPORTA_OK);
    assert_true(verified);
    assert_int_equal(writes(), before + 1);
    char *v = fake_get(NEW, XPORTA_KIND_VCARD, "vcard", NULL);
    assert_non_null(v);
    assert_non_null(strstr(v, "Juliet Capulet"));
    free(v);
}

/* ---- a stop at every journal step -----------------------------------------
 */

#ifdef XPORTA_TEST_HOOKS
/* Steps of the current run (the journal counts those of the process).
 * At step crash_at the journal "crashes" or, with cancel_mode, the job is
 * cancelled as Ctrl-C would (it stops at its next safe point). */
static unsigned long long crash_at, steps_seen;
static bool cancel_mode;

static int crash_hook(unsigned long long step)
{
    (void)step;
    steps_seen++;
    if (!crash_at || steps_seen != crash_at)
        return 0;
    if (!cancel_mode)
        return 1;
    xporta_job_cancel(current_job);
    return 0;
}

static void stop_at_every_step(void **state)
{
    struct env *e = *state;
    /* The undisturbed run: its target, its writes, its steps. */
    xfer_journal_test_crash = crash_hook;
    crash_at = 0;
    steps_seen = 0;
    assert_int_equal(run_migrate(e, false, NULL), XPORTA_OK);
    unsigned long long steps = steps_seen;
    unsigned long full_writes = writes();
    char *want = fake_dump(NEW);
    assert_true(steps > 5);
    for (unsigned long long n = 1; n <= 2 * steps; n++) {
        cancel_mode = n > steps;
        seed();
        rm_rf(e->state);
        crash_at = cancel_mode ? n - steps : n;
        steps_seen = 0;
        bool verified = false;
        xporta_status st = run_migrate(e, false, NULL);
        unsigned long long steps1 = steps_seen;
        unsigned long w1 = writes();
        /* "Crashed" at that step, or interrupted soon after it (a cancel
         * after the last step finds the job done). */
        if (cancel_mode)
            assert_true(st == XPORTA_ECANCELED || st == XPORTA_OK);
        else
            assert_int_equal(st, XPORTA_EIO);
        crash_at = 0;
        st = run_migrate(e, false, &verified);
        if (st != XPORTA_OK)
            fail_msg("resume after %s at step %llu: %s",
                     cancel_mode ? "a cancel" : "a crash", crash_at,
                     last_error);
        assert_true(verified);
        char *got = fake_dump(NEW);
        assert_text_equal(want, got);
        free(got);
        /* Nothing written twice but what the crash took from the journal
         * (marks are synced every 64).  After a cancel the journal is
         * whole: the resumed run writes none of the records it holds (its
         * first three steps are the export's start and end and the
         * plan). */
        assert_true(writes() <= full_writes + 64);
        if (cancel_mode)
            assert_true(writes() - w1 <=
                        full_writes - (steps1 > 3 ? steps1 - 3 : 0));
    }
    cancel_mode = false;
    xfer_journal_test_crash = NULL;
    free(want);
}
#else
static void stop_at_every_step(void **state)
{
    (void)state;
    skip(); /* needs the journal's crash hook: -DXPORTA_TEST_HOOKS=ON */
}
#endif

/* ---- every allocation failing in turn -------------------------------------
 */

static void allocation_failures(void **state)
{
    struct env *e = *state;
    unsigned long long n, failed = 0;
    char *want = NULL;
    /* Every allocation (under valgrind, 30 times slower: the first 50 and
     * then one in 13, which the ASan run has covered one by one). */
    unsigned long long stride = RUNNING_ON_VALGRIND ? 13 : 1;
    for (n = 1;; n += n < 50 ? 1 : stride) {
        seed();
        rm_rf(e->state);
        bool fired = false;
        xporta_status st = run_migrate_alloc(e, false, NULL, n, &fired);
        if (!fired) {
            assert_int_equal(st, XPORTA_OK);
            want = fake_dump(NEW);
            break;
        }
        if (st != XPORTA_OK) {
            failed++;
            /* The failure is reported, and a rerun completes. */
            st = run_migrate(e, false, NULL);
            if (st != XPORTA_OK)
                fail_msg("allocation %llu failed; the rerun: %s (%s)", n,
                         last_error, last_failed);
        }
    }
    assert_true(failed > (RUNNING_ON_VALGRIND ? 50u : 100u));
    print_message("migrate: %llu allocations, %llu runs failed cleanly\n", n,
                  failed);
    free(want);
}

static void count_action(void *ud, xporta_action a, xporta_kind k,
                         const char *key, const char *id, const char *why)
{
    (void)a, (void)k, (void)key, (void)id, (void)why;
    ((struct events *)ud)->actions++;
}

static void count_progress(const xporta_progress *p, void *ud)
{
    (void)p;
    ((struct events *)ud)->progress_calls++;
}

/* The event stream: one JSON object a line, start first and summary
 * last, an item per planned record; the job's own callbacks keep being
 * called as without it. */
static void events_tell_the_job(void **state)
{
    struct env *e = *state;
    struct events ev;
    memset(&ev, 0, sizeof ev);
    xporta_account *a, *b;
    xporta_job *j = migrate_job(e, "new-pass", &a, &b);
    xporta_job_set_dry_run(j, true);
    xporta_job_set_action_cb(j, count_action, &ev);
    xporta_job_set_progress(j, count_progress, &ev);
    xporta_job_set_event_cb(j, count_event, &ev);
    assert_int_equal(xporta_job_run(j), XPORTA_OK);
    assert_false(ev.bad);
    assert_non_null(strstr(ev.first, "{\"event\":\"start\",\"v\":1,\"command\":"
                                     "\"migrate\",\"dry_run\":true"));
    assert_non_null(strstr(ev.last,
                           "{\"event\":\"summary\",\"v\":1,\"command\":"
                           "\"migrate\",\"ok\":true,\"exit\":0"));
    /* An item per planned record, and the caller heard of each too. */
    uint64_t planned = 0;
    for (int k = 0; k < XPORTA_KIND_COUNT; k++) {
        xporta_import_counts c;
        xporta_job_import_counts(j, (xporta_kind)k, &c);
        planned += c.add + c.same + c.conflict + c.replace + c.skip;
    }
    assert_true(planned > 0);
    assert_int_equal(ev.items, planned);
    assert_int_equal(ev.actions, planned);
    assert_int_equal(ev.refused, 0);
    assert_int_equal(ev.progress, ev.progress_calls);
    /* The summary counts what the plan counted. */
    xporta_import_counts r;
    xporta_job_import_counts(j, XPORTA_KIND_ROSTER, &r);
    char want[128];
    snprintf(want, sizeof want,
             "\"roster\":{\"state\":\"done\",\"count\":%llu,\"source\":%llu,"
             "\"add\":%llu,",
             (unsigned long long)xporta_job_count(j, XPORTA_KIND_ROSTER),
             (unsigned long long)r.source, (unsigned long long)r.add);
    assert_non_null(strstr(ev.last, want));

    /* Again, for real and without events: the callbacks are the caller's
     * once more, and the stream stays off. */
    xporta_job_set_event_cb(j, NULL, NULL);
    xporta_job_set_dry_run(j, false);
    unsigned lines = ev.lines;
    ev.actions = 0;
    assert_int_equal(xporta_job_run(j), XPORTA_OK);
    assert_int_equal(ev.lines, lines);
    assert_true(ev.actions >= planned);
    xporta_job_free(j);
    xporta_account_free(a);
    xporta_account_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(migrate_moves_everything, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(dry_run_changes_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(conflict_kept_or_replaced, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(wrong_new_password_fails_first, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(import_refused_then_retried, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(verify_catches_a_lost_write, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(stop_at_every_step, setup, teardown),
        cmocka_unit_test_setup_teardown(allocation_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(events_tell_the_job, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
