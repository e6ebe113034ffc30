/* xporta diff: compare two XEP-0227 files by records. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static const char help[] =
    "Usage: xporta diff [OPTIONS] A B\n"
    "\n"
    "Compare two XEP-0227 files record by record, ignoring order and what\n"
    "servers add on their own: roster items by name and groups (not the\n"
    "subscription, which a client cannot restore), PEP nodes by access model,\n"
    "PEP items by payload (not the publisher), messages without stanza-ids.\n"
    "The account's own JID counts as the same on both sides, so an export\n"
    "from the old server and one from the new can be compared; when each\n"
    "file holds one user, they are compared whatever their names.\n"
    "\n"
    "A or B may also be a live account (user@domain, read over the client\n"
    "protocol with the connection options below): everything an export\n"
    "reads but the archive and pending requests, which are then left out\n"
    "of the comparison (with credentials and offline messages, which no\n"
    "client can read).  For example, after a move:\n"
    "xporta diff backup.xml me@new.example\n"
    "\n"
    "Memory: unlike the other file commands, diff keeps a signature of every\n"
    "record of both sides until the end, about 100 bytes a record: some\n"
    "60 MiB for 600,000 records (a 200 MiB file against its copy).  Leave\n"
    "the archive out (--exclude-kinds archive) to compare big files in\n"
    "little memory.\n"
    "\n"
    "Options:\n"
    "  --only-kinds LIST       compare only these kinds\n"
    "  --exclude-kinds LIST    leave these kinds out (e.g. archive,pending)\n"
    "  --rename-host OLD=NEW   read A's host OLD as NEW (a server move)\n"
    "  --json                  one JSON document on stdout\n"
    "  --max-lines N           list at most N differences per kind (50)\n"
    "  -q, --quiet             only the exit status\n"
    "  -h, --help              this text\n"
    "\n"
    "\n" CLI_ACCOUNT_HELP "\n"
    "Exit status: 0 when the records are the same, 1 when they differ, 3 when\n"
    "a file is missing or cannot be parsed, 4 when it cannot be read (a\n"
    "directory, no permission), 5-7 when an account cannot be read.\n";

struct side {
    char *first_user; /* user@host of the first user */
    unsigned users;
};

struct ctx {
    xporta_diff *d;
    xporta_filter *f;
    uint32_t kinds;
    bool json;
    bool first_line;
    unsigned max_lines;
    unsigned shown[XPORTA_KIND_COUNT];
    unsigned long differences;
    char error[4096]; /* why a side could not be read (for --json) */
};

/* Why a side could not be read: printed, and kept for the JSON document. */
static int side_fail(struct ctx *c, int code, const char *fmt, ...)
    CLI_PRINTF(3, 4);
static int side_fail(struct ctx *c, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->error, sizeof c->error, fmt, ap);
    va_end(ap);
    cli_error("%s", c->error);
    return code;
}

static void on_delta(void *ud, xporta_diff_delta delta, xporta_kind kind,
                     const char *key, const char *id)
{
    struct ctx *c = ud;
    static const char *const what[] = {"", "only in A", "only in B", "differs"};
    c->differences++;
    if (cli_verbose < 0 || c->shown[kind]++ >= c->max_lines)
        return;
    if (c->json) {
        printf("%s\n    {\"kind\": \"%s\", \"delta\": \"%s\", \"key\": ",
               c->first_line ? "" : ",", xporta_kind_name(kind),
               delta == XPORTA_DIFF_ONLY_A   ? "only-a"
               : delta == XPORTA_DIFF_ONLY_B ? "only-b"
                                             : "differs");
        cli_json_str(stdout, key ? key : "");
        printf(", \"id\": ");
        cli_json_str(stdout, id ? id : "");
        printf("}");
        c->first_line = false;
        return;
    }
    printf("%-9s %s %s%s%s%s\n", what[delta], xporta_kind_name(kind),
           key ? key : "(archived message)", id ? " [" : "", id ? id : "",
           id ? "]" : "");
}

struct live_side {
    struct ctx *c;
    bool side_a;
    const char *owner;
    const char *scope;
};

static xporta_status live_record(void *ud, const xporta_record *rec)
{
    struct live_side *ls = ud;
    if (!(ls->c->kinds & (1u << rec->kind)))
        return XPORTA_OK;
    return ls->side_a ? xporta_diff_add_a(ls->c->d, ls->scope, rec, ls->owner)
                      : xporta_diff_add_b(ls->c->d, ls->scope, rec, ls->owner);
}

/* Reads a live account into one side of the diff. */
static int read_account(struct ctx *c, const struct cli_account *acct,
                        const char *jid, bool side_a, struct side *me,
                        const struct side *other)
{
    xporta_account *account = NULL;
    int rc = cli_account_make(acct, "diff", jid, &account);
    if (rc)
        return rc;
    const char *bare = xporta_account_jid(account);
    me->users = 1;
    me->first_user = strdup(bare);
    struct live_side ls = {c, side_a, bare, bare};
    if (!side_a && other->users == 1)
        ls.scope = other->first_user; /* one user against one account */
    xporta_job *job = NULL;
    xporta_status st = xporta_read_new(&job, account, live_record, &ls);
    if (st == XPORTA_OK) {
        if (cli_verbose >= 0 && !c->json)
            fprintf(stderr, "reading %s...\n", bare);
        st = xporta_job_run(job);
        if (st != XPORTA_OK)
            side_fail(c, 0, "%s: %s", bare, xporta_job_error(job));
    } else {
        side_fail(c, 0, "%s: %s", bare, xporta_strerror(st));
    }
    rc = cli_exit_code(st);
    xporta_job_free(job);
    xporta_account_free(account);
    return rc;
}

/* An argument that is no file but looks like user@domain is an account. */
static bool is_account(const char *arg)
{
    struct stat sb;
    return stat(arg, &sb) != 0 && strchr(arg, '@') && !strchr(arg, '/');
}

/* Reads a file into one side of the diff. */
static int read_side(struct ctx *c, const char *path, bool side_a,
                     struct side *me, const struct side *other)
{
    xporta_pie_reader *r = NULL;
    xporta_status st = xporta_pie_reader_open(&r, path);
    if (st != XPORTA_OK) {
        char msg[4096];
        int code = cli_input_fail(path, st, msg, sizeof msg);
        return side_fail(c, code, "%s", msg);
    }
    char scope[1110] = "";
    char owner[1100] = "";
    const char *comp = NULL; /* the component being read, as named */
    int rc = 0;
    for (;;) {
        xporta_pie_event ev;
        st = xporta_pie_reader_next(r, &ev);
        if (st != XPORTA_OK) {
            rc = side_fail(c, cli_exit_code(st), "%s",
                           xporta_pie_reader_error(r));
            break;
        }
        if (ev == XPORTA_PIE_END)
            break;
        if (ev == XPORTA_PIE_USER) {
            const char *host = xporta_pie_reader_host(r);
            if (side_a)
                host = xporta_filter_host(c->f, host);
            snprintf(owner, sizeof owner, "%s@%s", xporta_pie_reader_user(r),
                     host);
            snprintf(scope, sizeof scope, "%s", owner);
            me->users++;
            if (me->users == 1)
                me->first_user = strdup(owner);
            /* One user against one user: the same account. */
            if (!side_a && me->users == 1 && other->users == 1)
                snprintf(scope, sizeof scope, "%s", other->first_user);
            continue;
        }
        if (ev == XPORTA_PIE_COMPONENT) {
            /* Side A's component renamed as convert renames it. */
            comp = xporta_pie_reader_component(r);
            if (side_a && xporta_filter_rename_component(c->f, comp, &comp) !=
                              XPORTA_OK) {
                rc = side_fail(c, EXIT_INTERNAL, "%s",
                               xporta_filter_error(c->f));
                break;
            }
            continue;
        }
        if (ev == XPORTA_PIE_ROOM) {
            /* A room compares with the same room: "room NAME@COMPONENT". */
            snprintf(owner, sizeof owner, "%s@%s", xporta_pie_reader_room(r),
                     comp ? comp : "");
            snprintf(scope, sizeof scope, "room %s", owner);
            continue;
        }
        if (ev != XPORTA_PIE_RECORD && ev != XPORTA_PIE_ROOM_RECORD)
            continue;
        xporta_record *rec = xporta_pie_reader_record(r);
        if (!(c->kinds & (1u << rec->kind)))
            continue;
        if (side_a) {
            bool keep;
            if (xporta_filter_record(c->f, rec, &keep) != XPORTA_OK || !keep)
                continue;
        }
        st = side_a ? xporta_diff_add_a(c->d, scope, rec, owner)
                    : xporta_diff_add_b(c->d, scope, rec, owner);
        if (st != XPORTA_OK) {
            rc = side_fail(c, cli_exit_code(st), "out of memory");
            break;
        }
    }
    xporta_pie_reader_free(r);
    return rc;
}

int cmd_diff(int argc, char **argv)
{
    enum { O_KINDS = 256, O_EXCLUDE, O_RENAME, O_JSON, O_MAX };
    static const struct option opts[] = {
        {"only-kinds", required_argument, NULL, O_KINDS},
        {"kinds", required_argument, NULL, O_KINDS}, /* old name */
        {"exclude-kinds", required_argument, NULL, O_EXCLUDE},
        {"rename-host", required_argument, NULL, O_RENAME},
        {"json", no_argument, NULL, O_JSON},
        {"max-lines", required_argument, NULL, O_MAX},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        CLI_ACCOUNT_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    struct cli_account acct;
    cli_account_init(&acct);
    struct ctx c;
    memset(&c, 0, sizeof c);
    c.kinds = (1u << XPORTA_KIND_COUNT) - 1;
    c.max_lines = 50;
    c.first_line = true;
    uint32_t exclude = 0;
    int opt, rc = 0;
    if (xporta_filter_new(&c.f) != XPORTA_OK)
        return EXIT_INTERNAL;
    optind = 1;
    opterr = 0;              /* cli_bad_option says it once */
    cli_exit_on_interrupt(); /* it only reads: nothing to clean up */
    while ((opt = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        int ar = cli_account_option(&acct, "diff", opt, optarg);
        if (ar < 0) {
            xporta_filter_free(c.f);
            return EXIT_USAGE;
        }
        if (ar > 0)
            continue;
        switch (opt) {
        case O_KINDS:
            rc = cli_parse_kinds("diff", optarg, &c.kinds);
            break;
        case O_EXCLUDE:
            rc = cli_parse_kinds("diff", optarg, &exclude);
            break;
        case O_RENAME: {
            const char *eq = strchr(optarg, '=');
            char *from = eq ? strndup(optarg, (size_t)(eq - optarg)) : NULL;
            if (!eq || !from ||
                xporta_filter_rename_host(c.f, from, eq + 1) != XPORTA_OK)
                rc = cli_usage_error("diff", "bad --rename-host '%s'", optarg);
            free(from);
            break;
        }
        case O_JSON:
            c.json = true;
            break;
        case O_MAX: {
            char *end;
            errno = 0;
            unsigned long v = strtoul(optarg, &end, 10);
            if (!*optarg || *end || errno || v > 1000000000 ||
                optarg[strspn(optarg, " ")] == '-')
                rc = cli_usage_error("diff",
                                     "--max-lines takes a number (0 and up), "
                                     "not '%s'",
                                     optarg);
            c.max_lines = (unsigned)v;
            break;
        }
        case 'q':
            cli_verbose = -1;
            break;
        case 'h':
            fputs(help, stdout);
            xporta_filter_free(c.f);
            return EXIT_OK;
        default:
            rc = cli_bad_option("diff", argv, "qh");
        }
        if (rc) {
            xporta_filter_free(c.f);
            return rc;
        }
    }
    c.kinds &= ~exclude;
    if (argc - optind != 2) {
        xporta_filter_free(c.f);
        return cli_usage_error("diff", "give two files, A and B");
    }
    bool live_a = is_account(argv[optind]);
    bool live_b = is_account(argv[optind + 1]);
    if (live_a && live_b) {
        xporta_filter_free(c.f);
        return cli_usage_error("diff", "compare an account with a file, not "
                                       "two accounts (export one first)");
    }
    /* What a client cannot read from a live account (the read leaves out
     * the archive and the pending requests, see xporta_read_new) would
     * show as "only in" the file: it is not compared. */
    const uint32_t unread =
        (1u << XPORTA_KIND_ARCHIVE) | (1u << XPORTA_KIND_PENDING) |
        (1u << XPORTA_KIND_CREDENTIALS) | (1u << XPORTA_KIND_OFFLINE);
    if ((live_a || live_b) && (c.kinds & unread)) {
        if (cli_verbose >= 0 && !c.json)
            cli_note("a live account is compared without its archive, "
                     "pending requests, credentials and offline messages "
                     "(a client cannot read them there)");
        c.kinds &= ~unread;
    }
    if (xporta_diff_new(&c.d, on_delta, &c) != XPORTA_OK) {
        xporta_filter_free(c.f);
        return EXIT_INTERNAL;
    }
    struct side a = {0}, b = {0};
    if (c.json)
        printf("{\"differences\": [");
    rc = live_a ? read_account(&c, &acct, argv[optind], true, &a, &b)
                : read_side(&c, argv[optind], true, &a, &b);
    if (!rc)
        rc = live_b ? read_account(&c, &acct, argv[optind + 1], false, &b, &a)
                    : read_side(&c, argv[optind + 1], false, &b, &a);
    if (!rc)
        xporta_diff_finish(c.d);
    if (!rc && c.json) {
        printf("\n], \"kinds\": {");
        bool first = true;
        for (int k = 0; k < XPORTA_KIND_COUNT; k++) {
            xporta_diff_counts n;
            xporta_diff_get_counts(c.d, (xporta_kind)k, &n);
            if (!n.same && !n.differ && !n.only_a && !n.only_b)
                continue;
            printf("%s\"%s\": {\"same\": %llu, \"differ\": %llu, \"only_a\": "
                   "%llu, \"only_b\": %llu}",
                   first ? "" : ", ", xporta_kind_name((xporta_kind)k),
                   (unsigned long long)n.same, (unsigned long long)n.differ,
                   (unsigned long long)n.only_a, (unsigned long long)n.only_b);
            first = false;
        }
        printf("}, \"same\": %s}\n", c.differences ? "false" : "true");
    } else if (rc && c.json) {
        /* Still one valid JSON document: the differences so far, and why
         * the comparison stopped. */
        printf("\n], \"error\": ");
        cli_json_str(stdout, c.error[0] ? c.error
                                        : "the comparison stopped (see the "
                                          "messages on stderr)");
        printf("}\n");
    } else if (!rc && cli_verbose >= 0) {
        printf("%-18s %10s %10s %10s %10s\n", "kind", "same", "differ",
               "only in A", "only in B");
        for (int k = 0; k < XPORTA_KIND_COUNT; k++) {
            xporta_diff_counts n;
            xporta_diff_get_counts(c.d, (xporta_kind)k, &n);
            if (!n.same && !n.differ && !n.only_a && !n.only_b)
                continue;
            printf("%-18s %10llu %10llu %10llu %10llu\n",
                   xporta_kind_name((xporta_kind)k), (unsigned long long)n.same,
                   (unsigned long long)n.differ, (unsigned long long)n.only_a,
                   (unsigned long long)n.only_b);
        }
        printf("%s\n", c.differences ? "they differ" : "same records");
    }
    xporta_diff_free(c.d);
    xporta_filter_free(c.f);
    free(a.first_user);
    free(b.first_user);
    if (rc)
        return rc;
    return c.differences ? EXIT_PROBLEMS : EXIT_OK;
}
