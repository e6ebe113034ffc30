/*
 * Fuzz target: `xporta stats` and `xporta convert` on two threads against
 * one thread, the commands run in process (tests/inproc).  The first byte
 * chooses the command and its options (every dialect and layout, invalid
 * input left out, users kept, hosts renamed), the next two where the split
 * is sought; the rest is the file.  Oracle: the same exit code, stdout,
 * stderr and files written, byte for byte; no crash, no sanitizer report,
 * no leak.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_inproc.h"

static const struct variant {
    cli_inproc_cmd cmd;
    const char *args[8];
} variants[] = {
    {cmd_stats, {NULL}},
    {cmd_stats, {"--json", NULL}},
    {cmd_stats, {"--summary", NULL}},
    {cmd_convert, {"-o", "out.xml", NULL}},
    {cmd_convert, {"-o", "out", "--split", NULL}},
    {cmd_convert, {"-o", "out.xml", "--dialect", "ejabberd", NULL}},
    {cmd_convert, {"-o", "out", "--dialect", "prosody", NULL}},
    {cmd_convert, {"-o", "out.xml", "--skip-invalid", "-v", NULL}},
    {cmd_convert,
     {"-o", "out", "--dialect", "prosody", "--skip-invalid", NULL}},
    {cmd_convert,
     {"-o", "out.xml", "--dialect", "ejabberd", "--skip-invalid", NULL}},
    {cmd_convert, {"-o", "out.xml", "--users", "a,b@a.example,u1", NULL}},
    {cmd_convert,
     {"-o", "out", "--split", "--rename-host", "b.example=a.example", NULL}},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A directory of our own for the input and the runs; removed at exit. */
static char *dir;
static char path[4200];

static void remove_dir(void)
{
    cli_inproc_rm(dir);
    free(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    if (!dir) {
        dir = cli_inproc_dir("xporta-fuzz-files");
        snprintf(path, sizeof path, "%s/in.xml", dir);
        atexit(remove_dir);
    }
    const struct variant *v =
        &variants[data[0] % (sizeof variants / sizeof variants[0])];
    uint64_t from = 1 + ((uint64_t)data[1] << 8 | data[2]) % (size - 3);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data + 3, 1, size - 3, f) != size - 3 || fclose(f) != 0)
        abort();
    const char *args[16];
    size_t n = 0;
    for (size_t i = 0; v->args[i]; i++)
        args[n++] = v->args[i];
    args[n++] = path;
    args[n] = NULL;
    unsigned used;
    char *one = cli_inproc_run(dir, v->cmd, args, 1, 0, NULL);
    char *two = cli_inproc_run(dir, v->cmd, args, 2, from, &used);
    if (getenv("XPORTA_FUZZ_SHOW"))
        fprintf(stderr, "%s threads %u from %llu\n%s", args[0], used,
                (unsigned long long)from, one);
    if (strcmp(one, two) != 0) {
        fprintf(stderr,
                "split from %llu differs:\n--- one thread\n%s--- two\n%s",
                (unsigned long long)from, one, two);
        abort();
    }
    free(one);
    free(two);
    return 0;
}
