/*
 * The xporta command: shared helpers for the subcommands.
 *
 * Front-ends include only <xporta.h>.  All printing goes through these
 * helpers; the library itself never prints.
 */
#ifndef XPORTA_CLI_CLI_H
#define XPORTA_CLI_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "xporta.h"

#if defined(__GNUC__)
#define CLI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CLI_PRINTF(a, b)
#endif

/* Exit codes: stable, documented in xporta(1). */
enum {
    EXIT_OK = 0,
    EXIT_PROBLEMS = 1,  /* check found errors; verify/diff found differences */
    EXIT_USAGE = 2,     /* bad command line */
    EXIT_INPUT = 3,     /* input file invalid, missing or too big */
    EXIT_IO = 4,        /* local file could not be read or written */
    EXIT_NET = 5,       /* server unreachable, TLS failure, timeout */
    EXIT_AUTH = 6,      /* credentials rejected */
    EXIT_SERVER = 7,    /* the server refused a request or lacks a feature */
    EXIT_LOCKED = 8,    /* another xporta runs the same job */
    EXIT_CONFLICT = 9,  /* conflicting data (see --on-conflict) */
    EXIT_CANCELED = 10, /* interrupted; run the same command to resume */
    EXIT_INTERNAL = 70, /* a bug or out of memory */
};

int cli_exit_code(xporta_status st);

extern const char *cli_prog;
extern int cli_verbose; /* -1 quiet, 0 normal, 1 verbose */

void cli_error(const char *fmt, ...) CLI_PRINTF(1, 2);
void cli_warn(const char *fmt, ...) CLI_PRINTF(1, 2);
void cli_note(const char *fmt, ...) CLI_PRINTF(1, 2);
/* A status with the object's detail: "xporta: error: DETAIL". */
int cli_fail(xporta_status st, const char *detail);
int cli_usage_error(const char *cmd, const char *fmt, ...) CLI_PRINTF(2, 3);
/* After getopt_long returned '?' (with opterr = 0, so that getopt printed
 * nothing): one message naming the option, unknown or without its value;
 * returns EXIT_USAGE.  `shortopts` is the optstring given to getopt_long. */
int cli_bad_option(const char *cmd, char **argv, const char *shortopts);
/* An input file the library could not open (`st` from opening it): writes
 * "PATH: REASON" to msg, with the system's reason, and returns the exit
 * code: 3 when there is no such file, 4 when it cannot be read (a
 * directory, no permission, ...). */
int cli_input_fail(const char *path, xporta_status st, char *msg, size_t cap);

/* Prints a diagnostic as "file:line:col: severity: message". */
void cli_print_diag(FILE *out, const xporta_diag *d);

/* JSON output helpers (strings are escaped, UTF-8 passed through). */
void cli_json_str(FILE *out, const char *s);

/* Human-readable sizes and counts. */
const char *cli_bytes(uint64_t n, char *buf, size_t cap);

/* A progress line on stderr, only when stderr is a terminal and the work is
 * big enough to be worth watching.  `total` may be 0 (unknown). */
struct cli_progress {
    bool on;
    uint64_t total;
    double start;
    double last;
    char label[64];
};
void cli_progress_start(struct cli_progress *p, const char *label,
                        uint64_t total, uint64_t min_total);
void cli_progress_update(struct cli_progress *p, uint64_t done,
                         const char *extra);
void cli_progress_end(struct cli_progress *p);
double cli_now(void);

/* Ctrl-C, TERM and HUP call `handler` (which may only set a flag or cancel
 * a job). */
void cli_catch_interrupts(void (*handler)(int));
/* For commands that only read (check, stats, diff): Ctrl-C, TERM and HUP
 * clear the progress line and exit at once with EXIT_CANCELED. */
void cli_exit_on_interrupt(void);
/* Runs a job; Ctrl-C (and TERM, HUP) cancels it cleanly: the job stops at
 * a safe point and keeps what lets the same command resume. */
xporta_status cli_run_cancellable(xporta_job *job);

/* --threads 1|2 (check, stats, convert); returns 0 or EXIT_USAGE. */
int cli_parse_threads(const char *cmd, const char *arg, unsigned *threads);
/* Where those commands split a file, for the tests that run them in
 * process (0: the library's defaults), and the most threads a file was
 * read with since the tests last cleared it. */
extern uint64_t cli_split_min_bytes, cli_split_from;
extern unsigned cli_threads_used;
/* Options for xporta_pass_open with --threads and the knobs above. */
void cli_pass_options(xporta_pass_options *o, unsigned threads);

/* Parses "a,b,c" kinds with a clear error; returns 0 or EXIT_USAGE. */
int cli_parse_kinds(const char *cmd, const char *list, uint32_t *set);

/* Account options (cli_account.c): --host, --port, --cafile, --insecure,
 * --password-file.  Option codes for getopt_long tables: */
enum {
    CLI_OPT_HOST = 1000,
    CLI_OPT_PORT,
    CLI_OPT_CAFILE,
    CLI_OPT_INSECURE,
    CLI_OPT_PASSWORD_FILE,
};
#define CLI_ACCOUNT_OPTIONS                                             \
    {"host", required_argument, NULL, CLI_OPT_HOST},                    \
        {"port", required_argument, NULL, CLI_OPT_PORT},                \
        {"cafile", required_argument, NULL, CLI_OPT_CAFILE},            \
        {"insecure", no_argument, NULL, CLI_OPT_INSECURE},              \
    {                                                                   \
        "password-file", required_argument, NULL, CLI_OPT_PASSWORD_FILE \
    }
#define CLI_ACCOUNT_HELP                                                      \
    "Connection:\n"                                                           \
    "  --host HOST             connect to HOST instead of the domain's SRV\n" \
    "                          records (for servers without DNS, or tests)\n" \
    "  --port PORT             with --host; default 5222\n"                   \
    "  --cafile FILE           also trust this CA certificate (PEM)\n"        \
    "  --insecure              do not verify the server's certificate\n"      \
    "                          (dangerous; a warning is printed)\n"           \
    "  --password-file FILE    read the password from FILE's first line\n"    \
    "The password comes from --password-file, else XPORTA_PASSWORD, else a\n" \
    "prompt; never from the command line.  TLS is always required.\n"

struct cli_account {
    const char *env; /* where a password may come from (XPORTA_PASSWORD) */
    const char *host;
    unsigned short port;
    const char *cafile;
    bool insecure;
    const char *password_file;
};
void cli_account_init(struct cli_account *a);
/* 1: the option was an account option; 0: not; -1: bad value (printed). */
int cli_account_option(struct cli_account *a, const char *cmd, int opt,
                       const char *arg);
/* Builds the account and asks for its password; 0 or an exit code. */
int cli_account_make(const struct cli_account *a, const char *cmd,
                     const char *jid, xporta_account **out);

/* Subcommands. */
int cmd_check(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_announce(int argc, char **argv);
int cmd_follow(int argc, char **argv);
int cmd_rooms(int argc, char **argv);
int cmd_room_move(int argc, char **argv);
int cmd_server_import(int argc, char **argv);
int cmd_server_export(int argc, char **argv);
int cmd_history(int argc, char **argv);

#endif
