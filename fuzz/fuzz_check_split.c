/*
 * Fuzz target: xporta_check_file on two threads against one thread.
 * Oracle: the same diagnostics, counts and fatal error whatever the input
 * and wherever the split is sought (the first two bytes choose where);
 * no crash, no sanitizer report, no leak.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xporta.h"

struct text {
    char *s;
    size_t len, cap;
};

static void add(struct text *t, const char *s)
{
    size_t n = strlen(s);
    if (t->len + n + 1 > t->cap) {
        t->cap = (t->len + n + 1) * 2;
        t->s = realloc(t->s, t->cap);
        if (!t->s)
            abort();
    }
    memcpy(t->s + t->len, s, n + 1);
    t->len += n;
}

static void on_diag(const xporta_diag *d, void *ud)
{
    char line[1200];
    snprintf(line, sizeof line, "%d %s:%lu:%lu %s\n", (int)d->severity,
             d->file ? d->file : "-", d->line, d->col, d->message);
    add(ud, line);
}

static char *run(const char *path, unsigned threads, uint64_t from)
{
    struct text t = {0};
    xporta_check_result res;
    xporta_check_options o = {
        .diag = on_diag,
        .diag_userdata = &t,
        .threads = threads,
        .split_min_bytes = 1,
        .split_from = from,
    };
    add(&t, "");
    if (xporta_check_file(path, &o, &res) != XPORTA_OK)
        abort();
    char tail[1300];
    snprintf(tail, sizeof tail, "%lu %lu %lu %lu %lu %lu %d %s\n", res.hosts,
             res.users, res.records, res.errors, res.warnings, res.notes,
             (int)res.fatal, res.fatal_msg);
    add(&t, tail);
    return t.s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A directory of our own, empty between inputs (XIncludes find nothing
 * there), in $TMPDIR; removed at exit. */
static char dir[4096];
static char path[4200];

static void remove_dir(void)
{
    unlink(path);
    rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    if (!path[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/xporta-fuzz-split-XXXXXX",
                 tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(dir))
            abort();
        snprintf(path, sizeof path, "%s/in.xml", dir);
        atexit(remove_dir);
    }
    uint64_t from = 1 + ((uint64_t)data[0] << 8 | data[1]) % (size - 1);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data + 2, 1, size - 2, f) != size - 2 || fclose(f) != 0)
        abort();
    char *one = run(path, 1, 0);
    char *two = run(path, 2, from);
    if (strcmp(one, two) != 0) {
        fprintf(stderr,
                "split from %llu differs:\n--- one thread\n%s--- two\n%s",
                (unsigned long long)from, one, two);
        abort();
    }
    free(one);
    free(two);
    unlink(path);
    return 0;
}
