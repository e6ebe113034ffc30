/* Helpers shared by the test tools; see xp_tools.h. */
#include "xp_tools.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void xpt_vars_init(struct xpt_vars *v)
{
    memset(v, 0, sizeof *v);
}

void xpt_vars_free(struct xpt_vars *v)
{
    for (size_t i = 0; i < v->n; i++) {
        free(v->names[i]);
        free(v->values[i]);
    }
    free(v->names);
    free(v->values);
    memset(v, 0, sizeof *v);
}

bool xpt_vars_set(struct xpt_vars *v, const char *name, const char *value)
{
    char *val = strdup(value);
    if (!val)
        return false;
    for (size_t i = 0; i < v->n; i++) {
        if (strcmp(v->names[i], name) == 0) {
            free(v->values[i]);
            v->values[i] = val;
            return true;
        }
    }
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 32;
        char **n = realloc(v->names, cap * sizeof *n);
        if (n)
            v->names = n;
        char **vals = n ? realloc(v->values, cap * sizeof *vals) : NULL;
        if (!vals) {
            free(val);
            return false;
        }
        v->values = vals;
        v->cap = cap;
    }
    v->names[v->n] = strdup(name);
    if (!v->names[v->n]) {
        free(val);
        return false;
    }
    v->values[v->n++] = val;
    return true;
}

const char *xpt_vars_get(const struct xpt_vars *v, const char *name)
{
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->names[i], name) == 0)
            return v->values[i];
    return NULL;
}

/* Undoes sh quoting: '...' verbatim, "..." with \ escapes, \c outside. */
static void unquote(const char *in, char *out)
{
    char q = 0;
    for (; *in; in++) {
        if (q == '\'') {
            if (*in == '\'')
                q = 0;
            else
                *out++ = *in;
        } else if (q == '"') {
            if (*in == '"')
                q = 0;
            else if (*in == '\\' && in[1])
                *out++ = *++in;
            else
                *out++ = *in;
        } else if (*in == '\'' || *in == '"') {
            q = *in;
        } else if (*in == '\\' && in[1]) {
            *out++ = *++in;
        } else {
            *out++ = *in;
        }
    }
    *out = '\0';
}

bool xpt_vars_load_env(struct xpt_vars *v, const char *path, char *err,
                       size_t cap)
{
    FILE *f = fopen(path, "r");
    char line[4096];
    if (!f) {
        snprintf(err, cap, "cannot read %s: %s", path, strerror(errno));
        return false;
    }
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *eq = strchr(line, '=');
        if (line[0] == '#' || !eq || eq == line)
            continue;
        *eq = '\0';
        char value[sizeof line];
        unquote(eq + 1, value);
        bool ok = xpt_vars_set(v, line, value);
        if (ok && strncmp(line, "XPORTA_", 7) == 0 && line[7])
            ok = xpt_vars_set(v, line + 7, value);
        if (!ok) {
            fclose(f);
            snprintf(err, cap, "out of memory");
            return false;
        }
    }
    fclose(f);
    return true;
}

int xpt_run(char *const argv[])
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        execvp(argv[0], argv);
        fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return -1;
}

long long xpt_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
