/*
 * Helpers shared by the test tools (xp_populate) and the integration tests
 * that drive them: variables read from servers.env, and running a command.
 */
#ifndef XPORTA_TESTS_XP_TOOLS_H
#define XPORTA_TESTS_XP_TOOLS_H

#include <stdbool.h>
#include <stddef.h>

/* A set of NAME=VALUE variables (later settings replace earlier ones). */
struct xpt_vars {
    char **names;
    char **values;
    size_t n, cap;
};

void xpt_vars_init(struct xpt_vars *v);
void xpt_vars_free(struct xpt_vars *v);
/* false when out of memory. */
bool xpt_vars_set(struct xpt_vars *v, const char *name, const char *value);
const char *xpt_vars_get(const struct xpt_vars *v, const char *name);

/* Reads servers.env (KEY=VALUE lines written by tests/servers/xporta-servers,
 * values possibly shell-quoted) into v: each KEY as is, and a key
 * XPORTA_NAME also as NAME (XPORTA_PROSODY_DOMAIN -> PROSODY_DOMAIN).
 * false with a message in err (cap bytes) when the file cannot be read. */
bool xpt_vars_load_env(struct xpt_vars *v, const char *path, char *err,
                       size_t cap);

/* Runs argv[0] (searched in PATH) and waits; returns its exit status, 128+N
 * when killed by signal N, or -1 when it could not be started. */
int xpt_run(char *const argv[]);

/* Milliseconds of a monotonic clock. */
long long xpt_now_ms(void);

#endif
