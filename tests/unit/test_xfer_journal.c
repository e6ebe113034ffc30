/* lib/transfer: the job journal (snapshot + journal, lock, torn writes). */
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "transfer/xfer.h"

static struct xfer_journal *open_ok(const char *dir, const char *header,
                                    bool *resumed)
{
    struct xfer_journal *j = NULL;
    struct xp_err err;
    xp_err_clear(&err);
    xporta_status st = xfer_journal_open(&j, dir, header, resumed, &err);
    if (st != XPORTA_OK)
        fail_msg("open %s: %s", dir, xp_err_msg(&err));
    return j;
}

static void steps_survive_a_reopen(void **state)
{
    (void)state;
    char *tmp = make_tmpdir();
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/jobs/abc", tmp); /* created on demand */
    bool resumed = true;
    struct xfer_journal *j = open_ok(dir, "import a.xml alice@x", &resumed);
    assert_false(resumed);
    assert_int_equal(xfer_journal_done(j, "roster", "bob@x", NULL), XPORTA_OK);
    assert_int_equal(
        xfer_journal_done(j, "pep-item", "urn:a b", "id with\nnl%"), XPORTA_OK);
    assert_int_equal(xfer_journal_start(j, "subscribe", "carol@x", NULL),
                     XPORTA_OK);
    assert_int_equal(xfer_journal_done(j, "roster", "bob@x", NULL), XPORTA_OK);
    assert_int_equal(xfer_journal_steps(j), 3);
    xfer_journal_close(j); /* without an explicit sync: close flushes */

    j = open_ok(dir, "import a.xml alice@x", &resumed);
    assert_true(resumed);
    assert_true(xfer_journal_is_done(j, "roster", "bob@x", NULL));
    assert_true(xfer_journal_is_done(j, "pep-item", "urn:a b", "id with\nnl%"));
    assert_false(xfer_journal_is_done(j, "pep-item", "urn:a b", "other"));
    assert_true(xfer_journal_is_started(j, "subscribe", "carol@x", NULL));
    assert_false(xfer_journal_is_done(j, "subscribe", "carol@x", NULL));

    /* Compaction keeps everything and empties the journal. */
    for (int i = 0; i < 200; i++) {
        char key[32];
        snprintf(key, sizeof key, "c%d@x", i);
        assert_int_equal(xfer_journal_done(j, "roster", key, NULL), XPORTA_OK);
    }
    assert_int_equal(xfer_journal_compact(j), XPORTA_OK);
    xfer_journal_close(j);
    char p[4300];
    struct stat sb;
    snprintf(p, sizeof p, "%s/journal", dir);
    assert_int_equal(stat(p, &sb), 0);
    assert_int_equal(sb.st_size, 0);
    snprintf(p, sizeof p, "%s", dir);
    assert_int_equal(stat(p, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);
    j = open_ok(dir, "import a.xml alice@x", &resumed);
    assert_true(xfer_journal_is_done(j, "roster", "c199@x", NULL));
    assert_true(xfer_journal_is_done(j, "roster", "bob@x", NULL));
    assert_int_equal(xfer_journal_steps(j), 203);

    /* Done: the directory goes away. */
    assert_int_equal(xfer_journal_finish(j), XPORTA_OK);
    xfer_journal_close(j);
    assert_int_not_equal(stat(dir, &sb), 0);
    rm_rf(tmp);
    free(tmp);
}

/* A step undone (verify found its work gone) is not done after a reopen,
 * nor after a compaction folds the journal into the snapshot; done again,
 * it is done. */
static void an_undone_step_is_to_do_again(void **state)
{
    (void)state;
    char *tmp = make_tmpdir();
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/job", tmp);
    struct xfer_journal *j = open_ok(dir, "import u", NULL);
    for (int i = 0; i < 50; i++) {
        char key[32];
        snprintf(key, sizeof key, "c%d@x", i);
        assert_int_equal(xfer_journal_done(j, "roster", key, NULL), XPORTA_OK);
    }
    assert_int_equal(xfer_journal_undo(j, "roster", "c7@x", NULL), XPORTA_OK);
    assert_int_equal(xfer_journal_undo(j, "vcard", "never", NULL), XPORTA_OK);
    assert_false(xfer_journal_is_done(j, "roster", "c7@x", NULL));
    xfer_journal_close(j);
    j = open_ok(dir, "import u", NULL);
    assert_false(xfer_journal_is_done(j, "roster", "c7@x", NULL));
    assert_true(xfer_journal_is_done(j, "roster", "c8@x", NULL));
    assert_int_equal(xfer_journal_compact(j), XPORTA_OK);
    xfer_journal_close(j);
    j = open_ok(dir, "import u", NULL);
    assert_false(xfer_journal_is_done(j, "roster", "c7@x", NULL));
    for (int i = 0; i < 50; i++) {
        char key[32];
        snprintf(key, sizeof key, "c%d@x", i);
        assert_int_equal(xfer_journal_is_done(j, "roster", key, NULL), i != 7);
    }
    assert_int_equal(xfer_journal_done(j, "roster", "c7@x", NULL), XPORTA_OK);
    xfer_journal_close(j);
    j = open_ok(dir, "import u", NULL);
    assert_true(xfer_journal_is_done(j, "roster", "c7@x", NULL));
    xfer_journal_close(j);
    rm_rf(tmp);
    free(tmp);
}

static void a_torn_last_line_is_dropped(void **state)
{
    (void)state;
    char *tmp = make_tmpdir();
    struct xfer_journal *j = open_ok(tmp, "job", NULL);
    assert_int_equal(xfer_journal_done(j, "roster", "a@x", NULL), XPORTA_OK);
    xfer_journal_close(j);
    char p[4200];
    snprintf(p, sizeof p, "%s/journal", tmp);
    FILE *f = fopen(p, "a");
    fputs("= roster b@x", f); /* the crash came mid-line */
    fclose(f);
    bool resumed;
    j = open_ok(tmp, "job", &resumed);
    assert_true(xfer_journal_is_done(j, "roster", "a@x", NULL));
    assert_false(xfer_journal_is_done(j, "roster", "b@x", NULL));
    xfer_journal_close(j);

    /* Damage that is not a torn tail is an error, not silently skipped. */
    f = fopen(p, "w");
    fputs("= roster c@x -\nnonsense\n", f);
    fclose(f);
    struct xfer_journal *k = NULL;
    struct xp_err err;
    xp_err_clear(&err);
    assert_int_equal(xfer_journal_open(&k, tmp, "job", NULL, &err),
                     XPORTA_EFORMAT);
    assert_non_null(strstr(xp_err_msg(&err), "journal:2: not a journal step"));
    rm_rf(tmp);
    free(tmp);
}

static void another_jobs_state_is_not_reused(void **state)
{
    (void)state;
    char *tmp = make_tmpdir();
    struct xfer_journal *j = open_ok(tmp, "job one", NULL);
    assert_int_equal(xfer_journal_done(j, "roster", "a@x", NULL), XPORTA_OK);
    xfer_journal_close(j);
    bool resumed = true;
    j = open_ok(tmp, "job two", &resumed);
    assert_false(resumed);
    assert_false(xfer_journal_is_done(j, "roster", "a@x", NULL));
    xfer_journal_close(j);
    rm_rf(tmp);
    free(tmp);
}

static void a_second_process_is_locked_out(void **state)
{
    (void)state;
    char *tmp = make_tmpdir();
    struct xfer_journal *j = open_ok(tmp, "job", NULL);
    pid_t pid = fork();
    if (pid == 0) {
        struct xfer_journal *k = NULL;
        struct xp_err err;
        xp_err_clear(&err);
        xporta_status st = xfer_journal_open(&k, tmp, "job", NULL, &err);
        _exit(st == XPORTA_ELOCKED &&
                      strstr(xp_err_msg(&err), "another xporta is running")
                  ? 0
                  : 1);
    }
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    xfer_journal_close(j);
    rm_rf(tmp);
    free(tmp);
}

static void state_dirs_are_per_job(void **state)
{
    (void)state;
    setenv("XDG_STATE_HOME", "/var/tmp/st", 1);
    char *a = xfer_state_dir("import a.xml alice@x");
    char *b = xfer_state_dir("import b.xml alice@x");
    assert_non_null(strstr(a, "/var/tmp/st/xporta/jobs/"));
    assert_string_not_equal(a, b);
    free(a);
    free(b);
    unsetenv("XDG_STATE_HOME");
}

/* A state directory others can write to (a shared /tmp path someone made
 * first, a careless chmod) is refused, with the fix in the message; a
 * symlink in its place too. */
static void a_state_dir_others_can_write_is_refused(void **state)
{
    (void)state;
    char *tmp = make_tmpdir();
    char dir[4200], link[4200];
    snprintf(dir, sizeof dir, "%s/shared", tmp);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(chmod(dir, 0777), 0);
    struct xfer_journal *k = NULL;
    struct xp_err err;
    xp_err_clear(&err);
    assert_int_equal(xfer_journal_open(&k, dir, "job", NULL, &err), XPORTA_EIO);
    assert_null(k);
    assert_non_null(strstr(xp_err_msg(&err), "chmod 700"));
    assert_int_equal(chmod(dir, 0700), 0);
    snprintf(link, sizeof link, "%s/link", tmp);
    assert_int_equal(symlink(dir, link), 0);
    xp_err_clear(&err);
    assert_int_equal(xfer_journal_open(&k, link, "job", NULL, &err),
                     XPORTA_EIO);
    struct xfer_journal *j = open_ok(dir, "job", NULL); /* now fine */
    xfer_journal_close(j);
    rm_rf(tmp);
    free(tmp);
}

static unsigned mode_of(const char *dir, const char *name)
{
    char p[4300];
    struct stat sb;
    snprintf(p, sizeof p, "%s%s%s", dir, name ? "/" : "", name ? name : "");
    if (stat(p, &sb) != 0)
        fail_msg("%s: missing", p);
    return (unsigned)(sb.st_mode & 07777);
}

/* The journal names the account's contacts: under umask 000 and in a
 * --state-dir the user made 0755, the journal and the snapshot are 0600
 * (also after a compaction, and a journal an older version left 0644),
 * and the directory becomes 0700. */
static void the_state_is_private_whatever_the_umask(void **state)
{
    (void)state;
    mode_t old_mask = umask(0);
    char *tmp = make_tmpdir();
    char dir[4200], made[4200];
    snprintf(dir, sizeof dir, "%s/state", tmp);
    assert_int_equal(mkdir(dir, 0755), 0);
    assert_int_equal(mode_of(dir, NULL), 0755);
    struct xfer_journal *j = open_ok(dir, "job", NULL);
    assert_int_equal(xfer_journal_done_sync(j, "roster", "bob@x", NULL),
                     XPORTA_OK);
    assert_int_equal(mode_of(dir, NULL), 0700);
    assert_int_equal(mode_of(dir, "journal"), 0600);
    assert_int_equal(mode_of(dir, "state"), 0600);
    assert_int_equal(xfer_journal_compact(j), XPORTA_OK);
    assert_int_equal(mode_of(dir, "state"), 0600);
    assert_int_equal(mode_of(dir, "journal"), 0600);
    xfer_journal_close(j);

    /* A journal left readable by an older version is made private. */
    char jp[4300];
    snprintf(jp, sizeof jp, "%s/journal", dir);
    assert_int_equal(chmod(jp, 0644), 0);
    j = open_ok(dir, "job", NULL);
    assert_true(xfer_journal_is_done(j, "roster", "bob@x", NULL));
    assert_int_equal(mode_of(dir, "journal"), 0600);
    xfer_journal_close(j);

    /* A directory made on demand (default state dirs) is 0700 too. */
    snprintf(made, sizeof made, "%s/jobs/new", tmp);
    j = open_ok(made, "job", NULL);
    assert_int_equal(mode_of(made, NULL), 0700);
    assert_int_equal(mode_of(made, "journal"), 0600);
    assert_int_equal(mode_of(made, "state"), 0600);
    xfer_journal_close(j);
    umask(old_mask);
    rm_rf(tmp);
    free(tmp);
}

/* Without XDG_STATE_HOME or HOME, the account's home directory from the
 * password database: never a shared /tmp path. */
static void state_dir_without_home_is_not_in_tmp(void **state)
{
    (void)state;
    char *home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
    unsetenv("XDG_STATE_HOME");
    unsetenv("HOME");
    char *d = xfer_state_dir("import a.xml alice@x");
    if (d) {
        assert_null(strstr(d, "/tmp/xporta-"));
        assert_non_null(strstr(d, "/.local/state/xporta/jobs/"));
    }
    free(d);
    if (home)
        setenv("HOME", home, 1);
    free(home);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(steps_survive_a_reopen),
        cmocka_unit_test(an_undone_step_is_to_do_again),
        cmocka_unit_test(a_torn_last_line_is_dropped),
        cmocka_unit_test(another_jobs_state_is_not_reused),
        cmocka_unit_test(a_second_process_is_locked_out),
        cmocka_unit_test(state_dirs_are_per_job),
        cmocka_unit_test(a_state_dir_others_can_write_is_refused),
        cmocka_unit_test(the_state_is_private_whatever_the_umask),
        cmocka_unit_test(state_dir_without_home_is_not_in_tmp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
