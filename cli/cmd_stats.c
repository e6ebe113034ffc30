/* xporta stats: what XEP-0227 files hold, per host and user. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static const char help[] =
    "Usage: xporta stats [OPTIONS] FILE...\n"
    "\n"
    "Count the records in XEP-0227 files per host and per user, by kind,\n"
    "with their size in the file.  Kinds: credentials roster pending vcard\n"
    "private privacy blocklist offline pep-node pep-affiliations\n"
    "pep-subscriptions pep-item archive mam-prefs other.\n"
    "\n"
    "Options:\n"
    "  --json          one JSON document on stdout\n"
    "  --summary       hosts and totals only, no line per user\n"
    "  -q, --quiet     no progress\n"
    "  -h, --help      this text\n"
    "\n"
    "What 'xporta check' calls an error (a name or JID that is not valid, a\n"
    "duplicate, ...) is printed on stderr and the exit status is 1; the\n"
    "records are counted all the same.\n";

static void on_check(const xporta_diag *d, void *ud)
{
    unsigned long *errors = ud;
    if (d->severity != XPORTA_ERROR)
        return;
    (*errors)++;
    cli_print_diag(stderr, d);
}

struct counts {
    uint64_t n[XPORTA_KIND_COUNT];
    uint64_t bytes[XPORTA_KIND_COUNT];
    uint64_t users;
};

static void add(struct counts *to, const struct counts *from)
{
    for (int k = 0; k < XPORTA_KIND_COUNT; k++) {
        to->n[k] += from->n[k];
        to->bytes[k] += from->bytes[k];
    }
    to->users += from->users;
}

static uint64_t total_bytes(const struct counts *c)
{
    uint64_t t = 0;
    for (int k = 0; k < XPORTA_KIND_COUNT; k++)
        t += c->bytes[k];
    return t;
}

static void print_kinds_text(const struct counts *c)
{
    bool first = true;
    char b[32];
    for (int k = 0; k < XPORTA_KIND_COUNT; k++) {
        if (!c->n[k])
            continue;
        printf("%s%s %llu", first ? "" : ", ", xporta_kind_name((xporta_kind)k),
               (unsigned long long)c->n[k]);
        first = false;
    }
    if (first)
        printf("no data");
    printf(" (%s)\n", cli_bytes(total_bytes(c), b, sizeof b));
}

static void print_kinds_json(const struct counts *c)
{
    bool first = true;
    printf("{");
    for (int k = 0; k < XPORTA_KIND_COUNT; k++) {
        if (!c->n[k])
            continue;
        printf("%s\"%s\": {\"count\": %llu, \"bytes\": %llu}",
               first ? "" : ", ", xporta_kind_name((xporta_kind)k),
               (unsigned long long)c->n[k], (unsigned long long)c->bytes[k]);
        first = false;
    }
    printf("}");
}

static void print_table(const struct counts *c)
{
    char b[32];
    printf("  %-18s %12s %12s\n", "kind", "records", "bytes");
    for (int k = 0; k < XPORTA_KIND_COUNT; k++) {
        if (!c->n[k])
            continue;
        printf("  %-18s %12llu %12s\n", xporta_kind_name((xporta_kind)k),
               (unsigned long long)c->n[k],
               cli_bytes(c->bytes[k], b, sizeof b));
    }
}

/* Ends the JSON document after an error, so that it stays valid JSON:
 * the host being read (if any) and the list of hosts are closed, and the
 * error is the document's "error". */
static void json_abort(bool in_host, const char *error)
{
    if (in_host)
        printf("\n  ]}");
    printf("\n], \"error\": ");
    cli_json_str(stdout, error ? error : "");
    printf("}\n");
}

int cmd_stats(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"summary", no_argument, NULL, 's'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool json = false, summary = false;
    int opt;
    optind = 1;
    opterr = 0;              /* cli_bad_option says it once */
    cli_exit_on_interrupt(); /* it only reads: nothing to clean up */
    while ((opt = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        switch (opt) {
        case 'j':
            json = true;
            break;
        case 's':
            summary = true;
            break;
        case 'q':
            cli_verbose = -1;
            break;
        case 'h':
            fputs(help, stdout);
            return EXIT_OK;
        default:
            return cli_bad_option("stats", argv, "qh");
        }
    }
    if (optind >= argc)
        return cli_usage_error("stats", "no FILE given");

    struct counts all = {0};
    uint64_t hosts = 0;
    unsigned long errors = 0;
    if (json)
        printf("{\"hosts\": [");
    for (int i = optind; i < argc; i++) {
        const char *path = argv[i];
        xporta_pie_reader *r = NULL;
        xporta_status st = xporta_pie_reader_open(&r, path);
        if (st != XPORTA_OK) {
            char msg[4096];
            int rc = cli_input_fail(path, st, msg, sizeof msg);
            cli_error("%s", msg);
            if (json)
                json_abort(false, msg);
            return rc;
        }
        xporta_checker *chk = NULL;
        if (xporta_checker_new(&chk, on_check, &errors) != XPORTA_OK) {
            xporta_pie_reader_free(r);
            return EXIT_INTERNAL;
        }
        struct stat sb;
        struct cli_progress prog;
        cli_progress_start(&prog, path,
                           stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0,
                           8u << 20);
        struct counts host = {0}, user = {0};
        const char *host_jid = NULL;
        unsigned long n = 0;
        bool first_user = true, in_host = false;
        for (;;) {
            xporta_pie_event ev;
            st = xporta_pie_reader_next(r, &ev);
            if (st != XPORTA_OK) {
                cli_progress_end(&prog);
                if (json)
                    json_abort(in_host, xporta_pie_reader_error(r));
                int rc = cli_fail(st, xporta_pie_reader_error(r));
                xporta_checker_free(chk);
                xporta_pie_reader_free(r);
                return rc;
            }
            if (ev == XPORTA_PIE_END)
                break;
            unsigned long before = errors;
            xporta_checker_event(chk, r, ev);
            if (errors != before)
                cli_progress_end(&prog);
            if ((++n & 1023) == 0)
                cli_progress_update(&prog, xporta_pie_reader_offset(r), NULL);
            switch (ev) {
            case XPORTA_PIE_HOST:
                memset(&host, 0, sizeof host);
                host_jid = xporta_pie_reader_host(r);
                if (json) {
                    printf("%s\n  {\"jid\": ", hosts ? "," : "");
                    cli_json_str(stdout, host_jid);
                    printf(", \"file\": ");
                    cli_json_str(stdout, path);
                    printf(", \"users\": [");
                } else {
                    cli_progress_end(&prog);
                    printf("%s (%s)\n", host_jid, path);
                }
                hosts++;
                first_user = true;
                in_host = true;
                break;
            case XPORTA_PIE_USER:
                memset(&user, 0, sizeof user);
                user.users = 1;
                break;
            case XPORTA_PIE_RECORD:
            case XPORTA_PIE_EXTRA: {
                const xporta_record *rec = xporta_pie_reader_record(r);
                struct counts *c = ev == XPORTA_PIE_RECORD ? &user : &host;
                c->n[rec->kind]++;
                c->bytes[rec->kind] += rec->bytes;
                break;
            }
            case XPORTA_PIE_USER_END:
                if (!summary) {
                    const char *name = xporta_pie_reader_user(r);
                    if (json) {
                        printf("%s\n    {\"name\": ", first_user ? "" : ",");
                        cli_json_str(stdout, name);
                        printf(", \"bytes\": %llu, \"kinds\": ",
                               (unsigned long long)total_bytes(&user));
                        print_kinds_json(&user);
                        printf("}");
                    } else {
                        cli_progress_end(&prog);
                        printf("  %s@%s: ", name, host_jid ? host_jid : "");
                        print_kinds_text(&user);
                    }
                }
                first_user = false;
                add(&host, &user);
                break;
            case XPORTA_PIE_HOST_END:
                if (json) {
                    printf("\n  ], \"user_count\": %llu, \"bytes\": %llu, "
                           "\"kinds\": ",
                           (unsigned long long)host.users,
                           (unsigned long long)total_bytes(&host));
                    print_kinds_json(&host);
                    printf("}");
                    in_host = false;
                } else {
                    cli_progress_end(&prog);
                    printf("  host %s: %llu user%s: ", host_jid ? host_jid : "",
                           (unsigned long long)host.users,
                           host.users == 1 ? "" : "s");
                    print_kinds_text(&host);
                }
                add(&all, &host);
                break;
            default:
                break;
            }
        }
        cli_progress_end(&prog);
        xporta_checker_free(chk);
        xporta_pie_reader_free(r);
    }
    if (json) {
        printf(
            "\n], \"host_count\": %llu, \"user_count\": %llu, \"bytes\": %llu, "
            "\"errors\": %lu, \"kinds\": ",
            (unsigned long long)hosts, (unsigned long long)all.users,
            (unsigned long long)total_bytes(&all), errors);
        print_kinds_json(&all);
        printf("}\n");
    } else {
        printf("total: %llu host%s, %llu user%s\n", (unsigned long long)hosts,
               hosts == 1 ? "" : "s", (unsigned long long)all.users,
               all.users == 1 ? "" : "s");
        print_table(&all);
    }
    if (errors) {
        cli_warn("%lu error%s found (as 'xporta check' reports them); an "
                 "importer would trip over %s",
                 errors, errors == 1 ? "" : "s", errors == 1 ? "it" : "them");
        return EXIT_PROBLEMS;
    }
    return EXIT_OK;
}
