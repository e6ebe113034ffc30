/* Helpers shared by the unit tests. */
#ifndef XPORTA_TESTS_TEST_UTIL_H
#define XPORTA_TESTS_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "xporta.h"

/* Path of a file in tests/data (static buffer). */
const char *data_path(const char *name);
/* Reads a whole file; caller frees. */
char *slurp(const char *path, size_t *len);
/* A fresh temporary directory (removed by rm_rf). */
char *make_tmpdir(void);
void rm_rf(const char *path);
void write_file(const char *path, const char *text);

/* A read callback serving a memory buffer `chunk` bytes at a time. */
struct chunked {
    const char *data;
    size_t len;
    size_t pos;
    size_t chunk;
};
long chunked_read(void *ud, char *buf, size_t cap);

/* Reads a whole document and returns a text digest of its events: one line
 * per event, records with kind, key, id and the serialised payload.  NULL
 * (and *st set) on error; the error detail is copied into err. */
char *digest_reader(xporta_pie_reader *r, xporta_status *st, char *err,
                    size_t errcap);
char *digest_file(const char *path, xporta_status *st, char *err,
                  size_t errcap);
char *digest_mem(const char *name, const char *text, size_t chunk,
                 xporta_status *st, char *err, size_t errcap);

/* Copies a reader's whole stream into a writer. */
xporta_status copy_stream(xporta_pie_reader *r, xporta_pie_writer *w);

/* Collects diagnostics as "severity line:col message\n" lines. */
struct diags {
    char *text;
    size_t len;
    unsigned errors, warnings, notes;
};
void diags_cb(const xporta_diag *d, void *ud);
void diags_free(struct diags *d);

/* Like assert_string_equal, but shows the first line that differs. */
void assert_text_equal_at(const char *a, const char *b, const char *file,
                          int line);
#define assert_text_equal(a, b) assert_text_equal_at(a, b, __FILE__, __LINE__)

#endif
