/* Running xporta commands in process (see cli_inproc.h).  Failures of the
 * harness itself abort: it serves a fuzz target as well as cmocka. */
#include "cli_inproc.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

struct text {
    char *s;
    size_t len, cap;
};

static void add(struct text *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        t->cap = (t->len + n + 1) * 2;
        t->s = realloc(t->s, t->cap);
        if (!t->s)
            abort();
    }
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
}

static void adds(struct text *t, const char *s)
{
    add(t, s, strlen(s));
}

static void must(bool ok)
{
    if (!ok)
        abort();
}

char *cli_inproc_dir(const char *name)
{
    char path[4096];
    const char *tmp = getenv("TMPDIR");
    if (access("/dev/shm", W_OK) == 0)
        tmp = "/dev/shm";
    snprintf(path, sizeof path, "%s/%s-XXXXXX", tmp && *tmp ? tmp : "/tmp",
             name);
    must(mkdtemp(path) != NULL);
    char *dir = strdup(path);
    must(dir != NULL);
    return dir;
}

void cli_inproc_rm(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return;
    if (S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(path);
        for (struct dirent *e; d && (e = readdir(d));) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char sub[4096];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            cli_inproc_rm(sub);
        }
        if (d)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_file(struct text *t, const char *path)
{
    char buf[65536];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    must(fd >= 0);
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        add(t, buf, (size_t)n);
    must(n == 0);
    close(fd);
}

/* Every file and directory under `path`: name, mode, content. */
static void dump(struct text *t, const char *path, const char *rel)
{
    DIR *d = opendir(path);
    must(d != NULL);
    char **names = NULL;
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        names = realloc(names, (n + 1) * sizeof *names);
        must(names != NULL);
        names[n] = strdup(e->d_name);
        must(names[n++] != NULL);
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; i < n; i++) {
        char full[4096], sub[4096], head[8300];
        struct stat sb;
        snprintf(full, sizeof full, "%s/%s", path, names[i]);
        snprintf(sub, sizeof sub, "%s%s", rel, names[i]);
        must(lstat(full, &sb) == 0);
        snprintf(head, sizeof head, "== %s %o\n", sub,
                 (unsigned)(sb.st_mode & 07777));
        adds(t, head);
        if (S_ISDIR(sb.st_mode)) {
            strcat(sub, "/");
            dump(t, full, sub);
        } else {
            add_file(t, full);
        }
        free(names[i]);
    }
    free(names);
}

/* Neither is a temporary name (mkstemp's six characters), which an error
 * may mention: two runs never share one. */
static void untemp(char *s)
{
    for (char *p = strstr(s, ".tmp-"); p; p = strstr(p + 1, ".tmp-"))
        for (size_t i = 5; i < 11 && p[i] && p[i] != '\n'; i++)
            p[i] = '#';
}

/* The time convert reports ("in 0.0 s") is not part of the output. */
static void untime(char *s)
{
    for (char *p = strstr(s, " in "); p; p = strstr(p + 1, " in ")) {
        char *q = p + 4;
        while ((*q >= '0' && *q <= '9') || *q == '.')
            q++;
        if (q > p + 4 && strncmp(q, " s", 2) == 0)
            memset(p + 4, '#', (size_t)(q - p - 4));
    }
}

static char *take(FILE *f)
{
    struct text t = {0};
    adds(&t, "");
    fflush(f);
    rewind(f);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        add(&t, buf, n);
    fclose(f);
    return t.s;
}

char *cli_inproc_run(const char *dir, cli_inproc_cmd cmd,
                     const char *const *args, unsigned threads,
                     uint64_t split_from, unsigned *used)
{
    static unsigned serial;
    char here[4096], work[4096];
    struct text t = {0};
    char *argv[64];
    int argc = 0;
    snprintf(work, sizeof work, "%s/run-%u", dir, serial++);
    must(mkdir(work, 0700) == 0);
    must(getcwd(here, sizeof here) != NULL);
    must(chdir(work) == 0);
    argv[argc++] = strdup("cmd");
    for (size_t i = 0; args[i] && argc < 60; i++)
        argv[argc++] = strdup(args[i]);
    argv[argc++] = strdup("--threads");
    argv[argc++] = strdup(threads == 1 ? "1" : "2");
    argv[argc] = NULL;
    cli_verbose = 0;
    cli_split_min_bytes = 1;
    cli_split_from = split_from;
    cli_threads_used = 0;

    fflush(stdout);
    fflush(stderr);
    int keep_out = dup(1), keep_err = dup(2);
    FILE *out = tmpfile(), *err = tmpfile();
    must(keep_out >= 0 && keep_err >= 0 && out && err);
    dup2(fileno(out), 1);
    dup2(fileno(err), 2);
    int rc = cmd(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(keep_out, 1);
    dup2(keep_err, 2);
    close(keep_out);
    close(keep_err);
    if (used)
        *used = cli_threads_used;

    char *sout = take(out), *serr = take(err);
    untime(serr);
    untemp(serr);
    char head[64];
    snprintf(head, sizeof head, "exit %d\n-- stdout\n", rc);
    adds(&t, head);
    adds(&t, sout);
    adds(&t, "-- stderr\n");
    adds(&t, serr);
    adds(&t, "-- files\n");
    free(sout);
    free(serr);
    must(chdir(here) == 0);
    dump(&t, work, "");
    cli_inproc_rm(work);
    for (int i = 0; i < argc; i++)
        free(argv[i]);
    return t.s;
}
