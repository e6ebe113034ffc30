/* The wrappers of alloc_fail.h. */
#include "alloc_fail.h"

#include <stddef.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);

static unsigned long long count, fail_at;
static bool armed, fired, suspended;

void alloc_fail_suspend(bool on)
{
    suspended = on;
}

void alloc_fail_arm(unsigned long long n)
{
    count = 0;
    fail_at = n;
    armed = true;
    fired = false;
}

unsigned long long alloc_fail_disarm(void)
{
    armed = false;
    return count;
}

bool alloc_fail_fired(void)
{
    return fired;
}

static bool fail_now(void)
{
    if (!armed || suspended)
        return false;
    if (++count != fail_at)
        return false;
    fired = true;
    return true;
}

void *__wrap_malloc(size_t n)
{
    return fail_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return fail_now() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
    return fail_now() ? NULL : __real_realloc(p, n);
}
