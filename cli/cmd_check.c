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
    "  -q, --quiet    print only errors\n"
    "  -v, --verbose  also print notes\n"
    "  -h, --help     this text\n"
    "\n"
    "Exit status: 0 when no file has errors (warnings allowed), 1 when some\n"
    "file has errors, 3 when a file cannot be parsed at all.\n";

struct ctx {
    bool json;
    bool first_diag;
    unsigned long notes;
    const char *file;
};

static void on_diag(const xporta_diag *d, void *ud)
{
    struct ctx *c = ud;
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

/* Reader diagnostics of severity error (skipped XIncludes) count as
 * errors of the file. */
struct counting {
    struct ctx *ctx;
    unsigned long errors;
    unsigned long warnings;
};

static void on_reader_diag(const xporta_diag *d, void *ud)
{
    struct counting *k = ud;
    if (d->severity == XPORTA_ERROR)
        k->errors++;
    else if (d->severity == XPORTA_WARNING)
        k->warnings++;
    on_diag(d, k->ctx);
}

static int check_file(struct ctx *c, const char *path, bool *bad_input,
                      bool first_file)
{
    xporta_pie_reader *r = NULL;
    xporta_checker *chk = NULL;
    struct counting k = {c, 0, 0};
    unsigned long hosts = 0, users = 0, records = 0;
    xporta_status st;
    struct cli_progress prog;
    struct stat sb;
    const char *fatal = NULL;

    c->file = path;
    if (c->json) {
        printf("%s\n  {\"file\": ", first_file ? "" : ",");
        cli_json_str(stdout, path);
        printf(", \"diagnostics\": [");
        c->first_diag = true;
    }
    st = xporta_pie_reader_open(&r, path);
    if (st != XPORTA_OK) {
        xporta_diag d = {XPORTA_ERROR, path, 0, 0,
                         st == XPORTA_ENOTFOUND ? "no such file"
                                                : "cannot open the file"};
        on_diag(&d, c);
        *bad_input = true;
        if (c->json)
            printf("\n  ], \"ok\": false, \"errors\": 1, \"warnings\": 0}");
        return 1;
    }
    xporta_pie_reader_set_keep_going(r, true);
    xporta_pie_reader_set_diag(r, on_reader_diag, &k);
    st = xporta_checker_new(&chk, on_diag, c);
    if (st != XPORTA_OK) {
        xporta_pie_reader_free(r);
        return -1;
    }
    cli_progress_start(
        &prog, path, stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0, 8u << 20);
    for (;;) {
        xporta_pie_event ev;
        st = xporta_pie_reader_next(r, &ev);
        if (st != XPORTA_OK) {
            fatal = xporta_pie_reader_error(r);
            break;
        }
        xporta_checker_event(chk, r, ev);
        if (ev == XPORTA_PIE_HOST)
            hosts++;
        else if (ev == XPORTA_PIE_USER)
            users++;
        else if (ev == XPORTA_PIE_RECORD)
            records++;
        else if (ev == XPORTA_PIE_END)
            break;
        if ((records & 1023) == 0)
            cli_progress_update(&prog, xporta_pie_reader_offset(r), NULL);
    }
    cli_progress_end(&prog);
    unsigned long errors = xporta_checker_errors(chk) + k.errors;
    unsigned long warnings = xporta_checker_warnings(chk) + k.warnings;
    if (fatal) {
        /* The detail already reads "file:line:col: message". */
        xporta_diag d = {XPORTA_ERROR, NULL, 0, 0, fatal};
        if (c->json) {
            on_diag(&d, c);
        } else {
            printf("%s: error: %s\n", cli_prog, fatal);
        }
        errors++;
        *bad_input = true;
    }
    if (c->json) {
        printf("\n  ], \"ok\": %s, \"errors\": %lu, \"warnings\": %lu, "
               "\"hosts\": %lu, \"users\": %lu, \"records\": %lu}",
               errors ? "false" : "true", errors, warnings, hosts, users,
               records);
    } else if (cli_verbose >= 0) {
        printf("%s: %s: %lu host%s, %lu user%s, %lu records; %lu error%s, "
               "%lu warning%s",
               path, errors ? "FAILED" : "ok", hosts, hosts == 1 ? "" : "s",
               users, users == 1 ? "" : "s", records, errors,
               errors == 1 ? "" : "s", warnings, warnings == 1 ? "" : "s");
        if (c->notes && cli_verbose < 1)
            printf(" (%lu note%s, -v shows them)", c->notes,
                   c->notes == 1 ? "" : "s");
        printf("\n");
    }
    c->notes = 0;
    xporta_checker_free(chk);
    xporta_pie_reader_free(r);
    return errors ? 1 : 0;
}

int cmd_check(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct ctx c = {0};
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "qvh", opts, NULL)) != -1) {
        switch (opt) {
        case 'j':
            c.json = true;
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
            return cli_usage_error("check", "unknown option");
        }
    }
    if (optind >= argc)
        return cli_usage_error("check", "no FILE given");
    bool bad_input = false;
    int worst = 0;
    if (c.json)
        printf("{\"files\": [");
    for (int i = optind; i < argc; i++) {
        int rc = check_file(&c, argv[i], &bad_input, i == optind);
        if (rc < 0)
            return EXIT_INTERNAL;
        if (rc > worst)
            worst = rc;
    }
    if (c.json)
        printf("\n]}\n");
    if (bad_input)
        return EXIT_INPUT;
    return worst ? EXIT_PROBLEMS : EXIT_OK;
}
