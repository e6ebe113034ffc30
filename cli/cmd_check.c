/* xporta check: validate XEP-0227 files. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static const char help[] =
    "Usage: xporta check [OPTIONS] FILE...\n"
    "\n"
    "Validate XEP-0227 files as Prosody, ejabberd and xporta write them:\n"
    "structure, JIDs (RFC 7622), SCRAM credentials, duplicate users and\n"
    "items, PEP items without a node configuration, and XIncludes that point\n"
    "nowhere.  Every problem is printed as FILE:LINE:COL: SEVERITY: MESSAGE.\n"
    "Known dialect quirks (ejabberd's double-base64 SCRAM, Prosody's\n"
    "namespace-less <presence>) are accepted and shown as notes with -v.\n"
    "\n"
    "Options:\n"
    "  --json         one JSON document on stdout instead of text\n"
    "  --threads N    1: read on one core; 2: split a file between two\n"
    "                 threads (the default for files over 64 MiB on a\n"
    "                 machine with two cores or more; the output is the\n"
    "                 same either way)\n"
    "  -q, --quiet    print only errors\n"
    "  -v, --verbose  also print notes\n"
    "  -h, --help     this text\n"
    "\n"
    "Exit status: 0 when no file has errors (warnings allowed), 1 when some\n"
    "file has errors, 3 when a file (or a file it includes) is missing or\n"
    "cannot be parsed, 4 when a file cannot be read (a directory, no\n"
    "permission, ...).\n";

struct ctx {
    bool json;
    unsigned threads;
    bool first_diag;
    unsigned long notes;
    const char *file;
    int fault; /* the exit code of the first file that cannot be read */
};

/* The first fault wins: its exit code is the command's. */
static void set_fault(struct ctx *c, int code)
{
    if (!c->fault)
        c->fault = code;
}

static void on_diag(const xporta_diag *d, void *ud)
{
    struct ctx *c = ud;
    /* An XInclude that cannot be read is reported and skipped (so that
     * every other problem is listed too), but the input is incomplete: bad
     * input, as convert and stats, which stop there, say. */
    if (d->severity == XPORTA_ERROR &&
        strncmp(d->message, "XInclude '", 10) == 0)
        set_fault(c, EXIT_INPUT);
    if (c->json) {
        static const char *const sev[] = {"note", "warning", "error"};
        printf("%s\n    {\"severity\": \"%s\", \"file\": ",
               c->first_diag ? "" : ",", sev[d->severity]);
        cli_json_str(stdout, d->file ? d->file : c->file);
        printf(", \"line\": %lu, \"col\": %lu, \"message\": ", d->line, d->col);
        cli_json_str(stdout, d->message);
        printf("}");
        c->first_diag = false;
        return;
    }
    if (d->severity == XPORTA_NOTE) {
        c->notes++;
        if (cli_verbose < 1)
            return;
    }
    if (d->severity == XPORTA_WARNING && cli_verbose < 0)
        return;
    cli_print_diag(stdout, d);
}

static void on_progress(uint64_t done, void *ud)
{
    cli_progress_update(ud, done, NULL);
}

static int check_file(struct ctx *c, const char *path, bool first_file)
{
    xporta_check_result res;
    struct cli_progress prog;
    struct stat sb;

    c->file = path;
    if (c->json) {
        printf("%s\n  {\"file\": ", first_file ? "" : ",");
        cli_json_str(stdout, path);
        printf(", \"diagnostics\": [");
        c->first_diag = true;
    }
    cli_progress_start(
        &prog, path, stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0, 8u << 20);
    xporta_check_options opt = {
        .diag = on_diag,
        .diag_userdata = c,
        .progress = on_progress,
        .progress_userdata = &prog,
        .threads = c->threads,
        .split_min_bytes = cli_split_min_bytes,
        .split_from = cli_split_from,
    };
    xporta_status st = xporta_check_file(path, &opt, &res);
    if (st == XPORTA_OK && res.threads > cli_threads_used)
        cli_threads_used = res.threads;
    cli_progress_end(&prog);
    if (st == XPORTA_ENOMEM || st == XPORTA_EINVAL)
        return -1;
    if (st != XPORTA_OK) {
        char msg[4096];
        int code = cli_input_fail(path, st, msg, sizeof msg);
        /* The message without "PATH: ", which the diagnostic names. */
        size_t skip = strlen(path) + 2;
        xporta_diag d = {XPORTA_ERROR, path, 0, 0,
                         strlen(msg) > skip ? msg + skip : msg};
        on_diag(&d, c);
        set_fault(c, code);
        if (c->json)
            printf("\n  ], \"ok\": false, \"errors\": 1, \"warnings\": 0}");
        return 1;
    }
    unsigned long errors = res.errors, warnings = res.warnings;
    if (res.fatal != XPORTA_OK) {
        /* Where the file could not be read further, like any other error
         * (a message without a place names the file). */
        xporta_diag d = {XPORTA_ERROR, res.fatal_line ? res.fatal_file : path,
                         res.fatal_line, res.fatal_col, res.fatal_text};
        if (c->json)
            on_diag(&d, c);
        else
            cli_print_diag(stdout, &d);
        errors++;
        set_fault(c, res.fatal == XPORTA_EIO      ? EXIT_IO
                     : res.fatal == XPORTA_ENOMEM ? EXIT_INTERNAL
                                                  : EXIT_INPUT);
    }
    if (c->json) {
        printf("\n  ], \"ok\": %s, \"errors\": %lu, \"warnings\": %lu, "
               "\"hosts\": %lu, \"users\": %lu, \"records\": %lu",
               errors ? "false" : "true", errors, warnings, res.hosts,
               res.users, res.records);
        if (res.components)
            printf(", \"components\": %lu, \"rooms\": %lu", res.components,
                   res.rooms);
        printf("}");
    } else if (cli_verbose >= 0) {
        printf("%s: %s: %lu host%s, %lu user%s, ", path,
               errors ? "FAILED" : "ok", res.hosts, res.hosts == 1 ? "" : "s",
               res.users, res.users == 1 ? "" : "s");
        if (res.components)
            printf("%lu component%s, %lu room%s, ", res.components,
                   res.components == 1 ? "" : "s", res.rooms,
                   res.rooms == 1 ? "" : "s");
        printf("%lu record%s; %lu error%s, %lu warning%s", res.records,
               res.records == 1 ? "" : "s", errors, errors == 1 ? "" : "s",
               warnings, warnings == 1 ? "" : "s");
        if (c->notes && cli_verbose < 1)
            printf(" (%lu note%s, -v shows them)", c->notes,
                   c->notes == 1 ? "" : "s");
        printf("\n");
    }
    c->notes = 0;
    return errors ? 1 : 0;
}

int cmd_check(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"threads", required_argument, NULL, 't'},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct ctx c = {0};
    int opt;
    optind = 1;
    opterr = 0;              /* cli_bad_option says it once */
    cli_exit_on_interrupt(); /* it only reads: nothing to clean up */
    while ((opt = getopt_long(argc, argv, "qvh", opts, NULL)) != -1) {
        switch (opt) {
        case 'j':
            c.json = true;
            break;
        case 't':
            if (cli_parse_threads("check", optarg, &c.threads))
                return EXIT_USAGE;
            break;
        case 'q':
            cli_verbose = -1;
            break;
        case 'v':
            cli_verbose = 1;
            break;
        case 'h':
            fputs(help, stdout);
            return EXIT_OK;
        default:
            return cli_bad_option("check", argv, "qvh");
        }
    }
    if (optind >= argc)
        return cli_usage_error("check", "no FILE given");
    int worst = 0;
    if (c.json)
        printf("{\"files\": [");
    for (int i = optind; i < argc; i++) {
        int rc = check_file(&c, argv[i], i == optind);
        if (rc < 0)
            return EXIT_INTERNAL;
        if (rc > worst)
            worst = rc;
    }
    if (c.json)
        printf("\n]}\n");
    if (c.fault)
        return c.fault;
    return worst ? EXIT_PROBLEMS : EXIT_OK;
}
