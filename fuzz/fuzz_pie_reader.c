/*
 * Fuzz target: the XEP-0227 reader and the checker.
 * Oracle: no crash, no sanitizer report, no leak; an error always carries a
 * position; after an error or the end, next() keeps returning the same.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"

static void ignore_diag(const xporta_diag *d, void *ud)
{
    (void)ud;
    if (!d->message)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in;
    xporta_pie_reader *r = NULL;
    xporta_checker *c = NULL;
    fuzz_input_init(&in, data, size);
    if (xporta_pie_reader_new(&r, "fuzz", fuzz_read, &in) != XPORTA_OK)
        return 0;
    xporta_pie_reader_set_include(r, fuzz_include, NULL);
    xporta_pie_reader_set_diag(r, ignore_diag, NULL);
    xporta_pie_reader_set_keep_going(r, size && (data[0] & 0x40));
    xporta_pie_reader_set_max_record(r, 1 << 20);
    xporta_checker_new(&c, ignore_diag, NULL);
    for (unsigned steps = 0; steps < 1000000; steps++) {
        xporta_pie_event ev;
        xporta_status st = xporta_pie_reader_next(r, &ev);
        if (st != XPORTA_OK) {
            const char *e = xporta_pie_reader_error(r);
            /* Every error names where it happened. */
            if (st == XPORTA_EFORMAT && !strchr(e, ':'))
                abort();
            if (xporta_pie_reader_next(r, &ev) != st)
                abort();
            break;
        }
        xporta_checker_event(c, r, ev);
        if (ev == XPORTA_PIE_RECORD || ev == XPORTA_PIE_EXTRA ||
            ev == XPORTA_PIE_ROOM_RECORD) {
            xporta_record *rec = xporta_pie_reader_record(r);
            char *s = NULL;
            if (!rec || !rec->payload || !rec->key)
                abort();
            if (xporta_elem_to_string(rec->payload, &s, NULL) == XPORTA_OK)
                xporta_free(s);
        }
        if (ev == XPORTA_PIE_END) {
            if (xporta_pie_reader_next(r, &ev) != XPORTA_OK ||
                ev != XPORTA_PIE_END)
                abort();
            break;
        }
    }
    xporta_checker_free(c);
    xporta_pie_reader_free(r);
    return 0;
}
