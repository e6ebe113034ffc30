/* xporta_history_new through the public API: what it counts, its progress,
 * and that a canceled or failed run leaves nothing at the output nor
 * beside it.  (tests/cli/history.sh checks the pages themselves,
 * tests/browser/history.test.js opens them in Chromium.) */
#include "test_util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static unsigned entries(const char *dir)
{
    DIR *d = opendir(dir);
    unsigned n = 0;
    struct dirent *de;
    assert_non_null(d);
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

struct seen {
    unsigned calls;
    bool read, write, done;
    uint64_t last_done;
    xporta_job *cancel_in; /* cancel at the first "write" */
};

static void on_progress(const xporta_progress *p, void *ud)
{
    struct seen *s = ud;
    s->calls++;
    assert_string_equal(p->step, "history");
    assert_int_equal(p->kind, XPORTA_KIND_ARCHIVE);
    if (!strcmp(p->phase, "read"))
        s->read = true;
    if (!strcmp(p->phase, "write")) {
        s->write = true;
        if (s->cancel_in)
            xporta_job_cancel(s->cancel_in);
    }
    if (!strcmp(p->phase, "done"))
        s->done = true;
    s->last_done = p->done;
}

static void counts_and_progress(void **state)
{
    (void)state;
    char *tmp = make_tmpdir();
    char out[4096];
    snprintf(out, sizeof out, "%s/h", tmp);
    xporta_job *j = NULL;
    assert_int_equal(xporta_history_new(&j, data_path("history.xml"), out),
                     XPORTA_OK);
    struct seen s = {0};
    xporta_job_set_progress(j, on_progress, &s);
    assert_int_equal(xporta_job_run(j), XPORTA_OK);
    uint64_t m, c, p;
    xporta_job_history_counts(j, &m, &c, &p);
    assert_int_equal(m, 9);
    assert_int_equal(c, 4);
    assert_int_equal(p, 5);
    assert_int_equal(xporta_job_count(j, XPORTA_KIND_ARCHIVE), 9);
    assert_true(s.read && s.done);
    assert_int_equal(s.last_done, 9);
    xporta_job_free(j);
    assert_int_equal(entries(tmp), 1); /* h, nothing else */
    rm_rf(tmp);
    free(tmp);
}

static void canceled_leaves_nothing(void **state)
{
    (void)state;
    char *tmp = make_tmpdir();
    char out[4096];
    snprintf(out, sizeof out, "%s/h", tmp);
    xporta_job *j = NULL;
    assert_int_equal(xporta_history_new(&j, data_path("history.xml"), out),
                     XPORTA_OK);
    struct seen s = {.cancel_in = j};
    xporta_job_set_progress(j, on_progress, &s);
    assert_int_equal(xporta_job_run(j), XPORTA_ECANCELED);
    assert_true(s.write);
    assert_int_equal(entries(tmp), 0);
    /* run again: it completes */
    s.cancel_in = NULL;
    assert_int_equal(xporta_job_run(j), XPORTA_OK);
    assert_int_equal(entries(tmp), 1);
    xporta_job_free(j);
    rm_rf(tmp);
    free(tmp);
}

static void failures(void **state)
{
    (void)state;
    char *tmp = make_tmpdir();
    char out[4096], in[4096];
    snprintf(out, sizeof out, "%s/h", tmp);
    xporta_job *j = NULL;
    assert_int_equal(xporta_history_new(NULL, "a", "b"), XPORTA_EINVAL);
    assert_int_equal(xporta_history_new(&j, "", "b"), XPORTA_EINVAL);
    assert_int_equal(xporta_history_new(&j, "a", NULL), XPORTA_EINVAL);
    assert_null(j);
    /* a file cut in the middle of the archive */
    size_t len;
    char *text = slurp(data_path("history.xml"), &len);
    assert_non_null(text);
    snprintf(in, sizeof in, "%s/cut.xml", tmp);
    text[len * 2 / 3] = '\0';
    write_file(in, text);
    free(text);
    assert_int_equal(xporta_history_new(&j, in, out), XPORTA_OK);
    assert_int_equal(xporta_job_run(j), XPORTA_EFORMAT);
    assert_non_null(strstr(xporta_job_error(j), "cut.xml"));
    xporta_job_free(j);
    assert_int_equal(entries(tmp), 1); /* cut.xml only */
    /* a directory that is not a history is left alone */
    snprintf(out, sizeof out, "%s/mine", tmp);
    assert_int_equal(mkdir(out, 0700), 0);
    snprintf(in, sizeof in, "%s/mine/keep", tmp);
    write_file(in, "keep");
    assert_int_equal(xporta_history_new(&j, data_path("history.xml"), out),
                     XPORTA_OK);
    assert_int_equal(xporta_job_run(j), XPORTA_ECONFLICT);
    xporta_job_free(j);
    assert_int_equal(entries(out), 1);
    assert_int_equal(entries(tmp), 2);
    rm_rf(tmp);
    free(tmp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(counts_and_progress),
        cmocka_unit_test(canceled_leaves_nothing),
        cmocka_unit_test(failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
