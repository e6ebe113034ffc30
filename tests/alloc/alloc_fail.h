/* Allocation-failure injection for the tests that link with
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc (tests/alloc): every
 * allocation the library makes goes through these wrappers, and the Nth
 * one after alloc_fail_arm(N) fails, as expat's tests do.  Allocations of
 * shared libraries (libc's own, expat's parser, libstrophe) are not
 * wrapped. */
#ifndef XPORTA_TESTS_ALLOC_FAIL_H
#define XPORTA_TESTS_ALLOC_FAIL_H

#include <stdbool.h>

/* From now on, the `n`th allocation fails (and only it). */
void alloc_fail_arm(unsigned long long n);
/* Stops failing; returns the allocations counted since the arm. */
unsigned long long alloc_fail_disarm(void);
/* Whether the armed failure happened. */
bool alloc_fail_fired(void);
/* While suspended, allocations are neither counted nor failed: the fake
 * server (tests/fake) suspends around its own work, which stands for
 * another process. */
void alloc_fail_suspend(bool on);

#endif
