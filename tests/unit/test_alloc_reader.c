/* Allocation failures in the XEP-0227 reader: for every N, the Nth
 * allocation fails; the reader must then either report an error (and
 * leak nothing: ASan and valgrind watch) or deliver exactly what an
 * undisturbed read delivers.  Files: a whole standard file, and
 * ejabberd's main file with XIncludes. */
#include "test_util.h"

#include <stdio.h>
#include <string.h>

#include "alloc_fail.h"

/* Reads the file; returns the status and counts events and records. */
static xporta_status read_all(const char *path, unsigned long *records,
                              unsigned long *events)
{
    xporta_pie_reader *r = NULL;
    *records = *events = 0;
    xporta_status st = xporta_pie_reader_open(&r, path);
    while (st == XPORTA_OK) {
        xporta_pie_event ev;
        st = xporta_pie_reader_next(r, &ev);
        if (st != XPORTA_OK || ev == XPORTA_PIE_END)
            break;
        (*events)++;
        if (ev == XPORTA_PIE_RECORD)
            (*records)++;
    }
    xporta_pie_reader_free(r);
    return st;
}

static void every_allocation(const char *name)
{
    const char *path = data_path(name);
    unsigned long want_rec, want_ev, rec, ev;
    assert_int_equal(read_all(path, &want_rec, &want_ev), XPORTA_OK);
    assert_true(want_rec > 0);
    unsigned long long n;
    unsigned long failed = 0;
    for (n = 1;; n++) {
        alloc_fail_arm(n);
        xporta_status st = read_all(path, &rec, &ev);
        alloc_fail_disarm();
        if (!alloc_fail_fired()) {
            assert_int_equal(st, XPORTA_OK);
            break;
        }
        if (st == XPORTA_OK) {
            /* Survived the failure: then nothing may be missing. */
            assert_int_equal(rec, want_rec);
            assert_int_equal(ev, want_ev);
        } else {
            failed++;
        }
    }
    /* The loop must really have reached the reader's allocations. */
    assert_true(n > 10);
    assert_true(failed > 0);
    print_message("%s: %llu allocations, each failed once (%lu errors)\n", name,
                  n - 1, failed);
}

static void full_file(void **state)
{
    (void)state;
    every_allocation("full.xml");
}

static void ejabberd_xinclude(void **state)
{
    (void)state;
    every_allocation("ejabberd-export-main.xml");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(full_file),
        cmocka_unit_test(ejabberd_xinclude),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
