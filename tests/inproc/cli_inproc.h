/*
 * Runs an xporta command in process, the way tests/unit/test_file_split.c
 * and fuzz/fuzz_file_split.c compare one thread with two: everything the
 * command did, as one text.
 */
#ifndef XPORTA_TESTS_CLI_INPROC_H
#define XPORTA_TESTS_CLI_INPROC_H

#include <stdint.h>

typedef int (*cli_inproc_cmd)(int argc, char **argv);

/* A directory for the runs: on tmpfs when there is one (convert syncs),
 * else in $TMPDIR.  Caller frees; remove it with cli_inproc_rm. */
char *cli_inproc_dir(const char *name);
void cli_inproc_rm(const char *path);

/* Runs `cmd` with `args` (NULL-terminated) and --threads, in a fresh
 * directory under `dir` (outputs named relative to it are the same every
 * time), the split sought from `split_from` (0: the library's default)
 * with no minimum size.  Returns its exit code, stdout, stderr (with the
 * time convert reports and temporary names masked) and every file left in that
 * directory with its mode and content; *used gets how many threads read a file.
 */
char *cli_inproc_run(const char *dir, cli_inproc_cmd cmd,
                     const char *const *args, unsigned threads,
                     uint64_t split_from, unsigned *used);

#endif
