/* xporta convert: read -> filter -> write, between files and dialects. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "convert_p.h"

static const char help[] =
    "Usage: xporta convert [OPTIONS] IN... -o OUT\n"
    "\n"
    "Read XEP-0227 files, keep what you select, and write one output in the\n"
    "dialect you choose.  Several inputs are merged (Prosody's one file per\n"
    "user becomes one file per server); a host that continues in the next\n"
    "input stays one <host>.  Nothing appears under OUT until the whole\n"
    "output is written and synced; an interrupted run leaves nothing behind.\n"
    "\n"
    "Options:\n"
    "  -o, --output OUT        where to write (required); a directory for\n"
    "                          --split and --dialect prosody\n"
    "  --dialect NAME          standard (default): XEP-0227 1.1 as specified;\n"
    "                          prosody: a directory of USER@HOST.xml files as\n"
    "                          prosody-migrator's xep0227 driver reads them;\n"
    "                          ejabberd: OUT plus one OUT_HOST.xml per host, "
    "as\n"
    "                          'ejabberdctl import_piefxis OUT' reads them\n"
    "                          (SCRAM encoded its way, blocklist as its\n"
    "                          'Blocked contacts' privacy list)\n"
    "  --split                 standard dialect in the XInclude layout of\n"
    "                          XEP-0227 §5: OUT/server-data.xml, "
    "OUT/HOST.xml,\n"
    "                          OUT/HOST/USER.xml\n"
    "  --users LIST            keep only these users: NAME or NAME@HOST,\n"
    "                          comma-separated (an unknown one is an error)\n"
    "  --exclude-kinds LIST    drop these kinds (see 'xporta stats --help';\n"
    "                          groups: pep, secrets, mam, rooms)\n"
    "  --only-kinds LIST       keep only these kinds\n"
    "  --rename-host OLD=NEW   move every JID of host OLD to NEW: hosts,\n"
    "                          rosters, subscriptions, blocklists, archive "
    "and\n"
    "                          offline to/from, PEP affiliations (repeatable;\n"
    "                          conference.OLD is a host of its own, but a\n"
    "                          component conference.OLD follows); OLD may\n"
    "                          be invalid: what is written is checked\n"
    "  --strip-secrets         leave out passwords and SCRAM credentials\n"
    "  --compact               no line breaks between elements\n"
    "  --threads N             1: read on one core; 2: split a file between\n"
    "                          two threads (the default for files over 64 MiB\n"
    "                          on a machine with two cores or more; the "
    "output\n"
    "                          is the same either way)\n"
    "  --skip-invalid          leave out what 'xporta check' calls an error\n"
    "                          (a host or user whose name is not valid, a\n"
    "                          record with an invalid JID, ...) with a\n"
    "                          warning, write the rest, and exit with 1;\n"
    "                          without it such input stops the conversion\n"
    "  -f, --force             replace OUT if it is an existing file (and,\n"
    "                          with --dialect ejabberd, its OUT_HOST.xml)\n"
    "  -q, --quiet             only errors\n"
    "  -v, --verbose           also notes about dialect fixes\n"
    "  -h, --help              this text\n"
    "\n"
    "Files that contain credentials are created with mode 0600.\n";

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static void on_diag(const xporta_diag *d, void *ud)
{
    (void)ud;
    if (d->severity == XPORTA_NOTE && cli_verbose < 1)
        return;
    if (cli_verbose < 0 && d->severity != XPORTA_ERROR)
        return;
    cli_print_diag(stderr, d);
}

static void print_diag(struct conv *c, const xporta_diag *d);
static void print_more(struct conv *c, unsigned long more);
static const xporta_pass_ops conv_ops;

int conv_writer_fail(struct conv *c, xporta_pie_reader *r, const char *in)
{
    if (c->second)
        return EXIT_INPUT; /* the first thread will meet it too */
    const char *file;
    unsigned long line, col;
    xporta_pie_reader_position(r, &file, &line, &col);
    cli_error("%s", xporta_pie_writer_error(c->w));
    cli_note("  while reading %s:%lu:%lu", file ? file : in, line, col);
    return EXIT_INPUT;
}

static void on_check(const xporta_diag *d, void *ud)
{
    struct held_diags *h = &((struct conv *)ud)->held;
    if (d->severity != XPORTA_ERROR)
        return;
    if (h->n == MAX_HELD) {
        h->more++;
        return;
    }
    struct held_diag *x = &h->d[h->n++];
    x->file = d->file ? strdup(d->file) : NULL;
    x->line = d->line;
    x->col = d->col;
    x->msg = strdup(d->message ? d->message : "");
}

void drop_held(struct held_diags *h)
{
    for (unsigned i = 0; i < h->n; i++) {
        free(h->d[i].file);
        free(h->d[i].msg);
    }
    h->n = 0;
    h->more = 0;
}

static void move_held(struct held_diags *to, struct held_diags *from)
{
    drop_held(to);
    *to = *from;
    from->n = 0;
    from->more = 0;
}

/* What `xporta check` calls an error, in something to be written: stops
 * the conversion (EXIT_INPUT), or with --skip-invalid is left out with a
 * warning (0). */
int conv_report_invalid(struct conv *c, struct held_diags *h, const char *what,
                        const char *in, struct cli_progress *prog)
{
    cli_progress_end(prog);
    for (unsigned i = 0; i < h->n; i++) {
        char msg[2048];
        const char *text = h->d[i].msg ? h->d[i].msg : "(out of memory)";
        xporta_diag d = {XPORTA_ERROR, h->d[i].file, h->d[i].line, h->d[i].col,
                         text};
        if (c->skip_invalid) {
            snprintf(msg, sizeof msg, "%s; %s left out (--skip-invalid)", text,
                     what);
            d.severity = XPORTA_WARNING;
            d.message = msg;
        }
        if (!c->skip_invalid || cli_verbose >= 0)
            print_diag(c, &d);
    }
    if (h->more && (!c->skip_invalid || cli_verbose >= 0))
        print_more(c, h->more);
    c->invalid += h->n + h->more;
    drop_held(h);
    if (c->skip_invalid || c->second)
        return c->skip_invalid ? 0 : EXIT_INPUT;
    cli_note("  'xporta check %s' lists every problem; --skip-invalid "
             "leaves them out",
             in);
    return EXIT_INPUT;
}

static int ensure_host(struct conv *c, xporta_pie_reader *r, const char *in)
{
    if (!c->pending_host)
        return 0;
    if (c->host && strcmp(c->host, c->pending_host) == 0) {
        free(c->pending_host);
        c->pending_host = NULL;
        return 0;
    }
    if (c->host && xporta_pie_writer_end_host(c->w) != XPORTA_OK)
        return conv_writer_fail(c, r, in);
    free(c->host);
    c->host = c->pending_host;
    c->pending_host = NULL;
    if (xporta_pie_writer_begin_host(c->w, c->host) != XPORTA_OK)
        return conv_writer_fail(c, r, in);
    return 0;
}

static void on_progress(uint64_t done, void *ud)
{
    struct conv *c = ud;
    cli_progress_update(c->prog, c->done_before + done, NULL);
}

static int convert_loop(struct conv *c, const char *in,
                        struct cli_progress *prog);
static uint64_t split_point(const struct conv *c, const char *in,
                            uint64_t asked);

static int convert_one(struct conv *c, const char *in, uint64_t done_before,
                       struct cli_progress *prog)
{
    xporta_pass_options po;
    cli_pass_options(&po, c->threads);
    po.check.diag = on_diag;
    po.check.progress = on_progress;
    po.check.progress_userdata = c;
    po.check_diag = on_check;
    po.ops = &conv_ops;
    /* What is checked is what is written: hosts and records renamed
     * (--rename-host repairs an invalid host). */
    po.filter = c->f;
    po.check.split_from = split_point(c, in, po.check.split_from);
    c->in = in;
    c->prog = prog;
    c->done_before = done_before;
    c->skip_host = false;
    xporta_status st = xporta_pass_open(&c->p, in, &po, c);
    if (st == XPORTA_ENOMEM)
        return EXIT_INTERNAL;
    if (st != XPORTA_OK) {
        char msg[4096];
        int code = cli_input_fail(in, st, msg, sizeof msg);
        cli_error("%s", msg);
        return code;
    }
    int rc = convert_loop(c, in, prog);
    xporta_check_result res;
    xporta_pass_result(c->p, &res);
    if (res.threads > cli_threads_used)
        cli_threads_used = res.threads;
    drop_held(&c->held);
    drop_held(&c->host_held);
    xporta_pass_free(c->p);
    c->p = NULL;
    if (rc == 0 && c->join_failed != XPORTA_OK)
        rc = cli_fail(c->join_failed, xporta_pie_writer_error(c->w));
    return rc;
}

/* Reads the file, or the second half of it, to its end; an exit code. */
static int convert_loop(struct conv *c, const char *in,
                        struct cli_progress *prog)
{
    xporta_pie_reader *r = xporta_pass_reader(c->p);
    xporta_status st;
    int rc = 0;
    /* c->skip_host: a host left out (--skip-invalid), with its users. */
    c->keep_user = false;
    for (;;) {
        xporta_pie_event ev;
        if (interrupted) {
            rc = EXIT_CANCELED;
            break;
        }
        /* The checker validates every event (it keeps state across
         * them); its errors count where what they concern is written. */
        drop_held(&c->held);
        st = xporta_pass_next(c->p, &ev);
        if (st != XPORTA_OK && (interrupted || c->second)) {
            rc = interrupted ? EXIT_CANCELED /* the read ended for it */
                             : EXIT_INPUT;   /* the first thread reads it */
            break;
        }
        if (st != XPORTA_OK) {
            cli_progress_end(prog);
            rc = cli_fail(st, xporta_pie_reader_error(r));
            break;
        }
        if (ev == XPORTA_PIE_END)
            break;
        bool bad = c->held.n || c->held.more;
        if (ev == XPORTA_PIE_HOST) {
            c->skip_host = false;
            if (bad)
                move_held(&c->host_held, &c->held);
            else
                drop_held(&c->host_held);
        } else if (ev == XPORTA_PIE_HOST_END) {
            c->skip_host = false;
            drop_held(&c->host_held);
        } else if (c->skip_host) {
            continue;
        }
        switch (ev) {
        case XPORTA_PIE_HOST: {
            const char *h = xporta_filter_host(c->f, xporta_pie_reader_host(r));
            free(c->pending_host);
            c->pending_host = strdup(h);
            if (!c->pending_host)
                rc = EXIT_INTERNAL;
            break;
        }
        case XPORTA_PIE_USER:
            c->keep_user = xporta_filter_keep_user(
                c->f, xporta_pie_reader_host(r), xporta_pie_reader_user(r));
            if (!c->keep_user)
                break;
            if (c->host_held.n || c->host_held.more) {
                rc = conv_report_invalid(c, &c->host_held,
                                         "host with its users", in, prog);
                c->skip_host = true;
                c->keep_user = false;
                break;
            }
            if (bad) {
                rc = conv_report_invalid(c, &c->held, "user", in, prog);
                c->keep_user = false;
                break;
            }
            rc = ensure_host(c, r, in);
            if (rc)
                break;
            if (xporta_pie_writer_begin_user(c->w, xporta_pie_reader_user(r),
                                             xporta_pie_reader_user_elem(r)) !=
                XPORTA_OK)
                rc = conv_writer_fail(c, r, in);
            c->users++;
            break;
        case XPORTA_PIE_RECORD: {
            if (!c->keep_user)
                break;
            xporta_record *rec = xporta_pie_reader_record(r);
            if (c->rec_failed) {
                if (!c->second)
                    cli_error("%s", xporta_filter_error(c->f));
                rc = EXIT_INTERNAL;
                break;
            }
            if (!c->keep_rec) {
                c->dropped++;
                break;
            }
            if (bad) {
                rc = conv_report_invalid(c, &c->held, "record", in, prog);
                break;
            }
            if (xporta_pie_writer_write(c->w, rec) != XPORTA_OK)
                rc = conv_writer_fail(c, r, in);
            c->records++;
            break;
        }
        case XPORTA_PIE_COMPONENT:
        case XPORTA_PIE_ROOM:
        case XPORTA_PIE_ROOM_RECORD:
        case XPORTA_PIE_ROOM_END:
        case XPORTA_PIE_COMPONENT_END:
            rc = conv_component(c, r, ev, bad);
            break;
        case XPORTA_PIE_EXTRA: {
            xporta_record *rec = xporta_pie_reader_record(r);
            bool keep;
            if (c->skip_comp)
                break;
            rc = c->in_comp ? 0 : ensure_host(c, r, in);
            if (rc)
                break;
            if (xporta_filter_record(c->f, rec, &keep) != XPORTA_OK || !keep)
                break;
            if (bad) {
                rc = conv_report_invalid(c, &c->held, "element", in, prog);
                break;
            }
            if (xporta_pie_writer_write_extra(c->w, rec->payload) != XPORTA_OK)
                rc = conv_writer_fail(c, r, in);
            break;
        }
        case XPORTA_PIE_USER_END:
            if (c->keep_user && xporta_pie_writer_end_user(c->w) != XPORTA_OK)
                rc = conv_writer_fail(c, r, in);
            c->keep_user = false;
            break;
        case XPORTA_PIE_HOST_END:
            /* The host stays open: the next input may continue it. */
            break;
        default:
            break;
        }
        if (rc)
            break;
    }
    return rc;
}

int cmd_convert(int argc, char **argv)
{
    enum {
        O_DIALECT = 256,
        O_SPLIT,
        O_USERS,
        O_EXCLUDE,
        O_ONLY,
        O_RENAME,
        O_STRIP,
        O_COMPACT,
        O_SKIP_INVALID,
        O_THREADS
    };
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"dialect", required_argument, NULL, O_DIALECT},
        {"split", no_argument, NULL, O_SPLIT},
        {"users", required_argument, NULL, O_USERS},
        {"exclude-kinds", required_argument, NULL, O_EXCLUDE},
        {"only-kinds", required_argument, NULL, O_ONLY},
        {"rename-host", required_argument, NULL, O_RENAME},
        {"strip-secrets", no_argument, NULL, O_STRIP},
        {"compact", no_argument, NULL, O_COMPACT},
        {"skip-invalid", no_argument, NULL, O_SKIP_INVALID},
        {"threads", required_argument, NULL, O_THREADS},
        {"force", no_argument, NULL, 'f'},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL;
    xporta_dialect dialect = XPORTA_DIALECT_STANDARD;
    unsigned flags = 0;
    bool force = false;
    uint32_t exclude = 0, only = 0;
    struct conv c = {0};
    int opt, rc = 0;

    if (xporta_filter_new(&c.f) != XPORTA_OK)
        return EXIT_INTERNAL;
    optind = 1;
    opterr = 0; /* cli_bad_option says it once */
    while ((opt = getopt_long(argc, argv, "o:fqvh", opts, NULL)) != -1) {
        switch (opt) {
        case 'o':
            if (out)
                rc = cli_usage_error("convert",
                                     "-o given twice ('%s', '%s'): one "
                                     "output per run",
                                     out, optarg);
            out = optarg;
            break;
        case O_DIALECT:
            if (xporta_dialect_from_name(optarg, &dialect) != XPORTA_OK)
                rc = cli_usage_error("convert",
                                     "unknown dialect '%s' (standard, prosody, "
                                     "ejabberd)",
                                     optarg);
            break;
        case O_SPLIT:
            flags |= XPORTA_PIE_SPLIT;
            break;
        case O_USERS: {
            /* An empty list (an unset variable) must not mean "everyone". */
            if (strspn(optarg, ", ") == strlen(optarg)) {
                rc = cli_usage_error("convert", "--users names no user");
                break;
            }
            char *list = strdup(optarg);
            for (char *save = NULL,
                      *u = list ? strtok_r(list, ",", &save) : NULL;
                 u; u = strtok_r(NULL, ",", &save))
                if (xporta_filter_add_user(c.f, u) != XPORTA_OK)
                    rc =
                        cli_usage_error("convert", "bad --users entry '%s'", u);
            free(list);
            break;
        }
        case O_EXCLUDE:
            rc = cli_parse_kinds("convert", optarg, &exclude);
            break;
        case O_ONLY:
            rc = cli_parse_kinds("convert", optarg, &only);
            break;
        case O_RENAME: {
            const char *eq = strchr(optarg, '=');
            char *from = eq ? strndup(optarg, (size_t)(eq - optarg)) : NULL;
            if (!eq || !from ||
                xporta_filter_rename_host(c.f, from, eq + 1) != XPORTA_OK)
                rc = cli_usage_error("convert", "bad --rename-host '%s'%s%s",
                                     optarg, eq ? ": " : " (want OLD=NEW)",
                                     eq ? xporta_filter_error(c.f) : "");
            free(from);
            break;
        }
        case O_STRIP:
            xporta_filter_strip_secrets(c.f, true);
            break;
        case O_COMPACT:
            flags |= XPORTA_PIE_COMPACT;
            break;
        case O_SKIP_INVALID:
            c.skip_invalid = true;
            break;
        case O_THREADS:
            rc = cli_parse_threads("convert", optarg, &c.threads);
            break;
        case 'f':
            force = true;
            break;
        case 'q':
            cli_verbose = -1;
            break;
        case 'v':
            cli_verbose = 1;
            break;
        case 'h':
            fputs(help, stdout);
            xporta_filter_free(c.f);
            return EXIT_OK;
        default:
            rc = cli_bad_option("convert", argv, "o:fqvh");
        }
        if (rc) {
            xporta_filter_free(c.f);
            return rc;
        }
    }
    if (only)
        exclude |= ~only & ((1u << XPORTA_KIND_COUNT) - 1);
    xporta_filter_exclude_kinds(c.f, exclude);
    if (!out || optind >= argc) {
        xporta_filter_free(c.f);
        return cli_usage_error("convert", out ? "no input file given"
                                              : "no output given (-o OUT)");
    }
    if ((flags & XPORTA_PIE_SPLIT) && dialect != XPORTA_DIALECT_STANDARD) {
        xporta_filter_free(c.f);
        return cli_usage_error("convert",
                               "--split is for the standard dialect "
                               "(prosody already writes a directory)");
    }
    /* The same file under another name (./in.xml, a link) counts too. */
    struct stat sb, ob;
    bool out_exists = stat(out, &ob) == 0;
    for (int i = optind; i < argc; i++) {
        if (strcmp(argv[i], out) == 0 ||
            (out_exists && stat(argv[i], &sb) == 0 && sb.st_dev == ob.st_dev &&
             sb.st_ino == ob.st_ino)) {
            xporta_filter_free(c.f);
            return cli_usage_error("convert", "%s is both input and output",
                                   argv[i]);
        }
    }

    bool dir_out =
        (flags & XPORTA_PIE_SPLIT) || dialect == XPORTA_DIALECT_PROSODY;
    if (!dir_out && out_exists && S_ISDIR(ob.st_mode)) {
        xporta_filter_free(c.f);
        cli_error("%s is a directory; give a file name (or --split for a "
                  "directory)",
                  out);
        return EXIT_USAGE;
    }
    if (!dir_out && out_exists && !force) {
        xporta_filter_free(c.f);
        cli_error("%s exists; use --force to replace it", out);
        return EXIT_USAGE;
    }
    if (force)
        flags |= XPORTA_PIE_REPLACE;
    c.big_part =
        !(flags & XPORTA_PIE_SPLIT) && dialect != XPORTA_DIALECT_PROSODY;
    xporta_status st = xporta_pie_writer_open(&c.w, out, dialect, flags);
    if (st != XPORTA_OK) {
        rc = cli_fail(st, c.w ? xporta_pie_writer_error(c.w) : NULL);
        xporta_pie_writer_free(c.w);
        xporta_filter_free(c.f);
        return rc;
    }
    xporta_pie_writer_set_diag(c.w, on_diag, NULL);

    cli_catch_interrupts(on_signal);

    uint64_t total = 0, done = 0;
    for (int i = optind; i < argc; i++)
        if (stat(argv[i], &sb) == 0)
            total += (uint64_t)sb.st_size;
    struct cli_progress prog;
    cli_progress_start(&prog, "convert", total, 8u << 20);
    double t0 = cli_now();
    for (int i = optind; i < argc && rc == 0; i++) {
        rc = convert_one(&c, argv[i], done, &prog);
        if (stat(argv[i], &sb) == 0)
            done += (uint64_t)sb.st_size;
    }
    cli_progress_end(&prog);
    if (rc == 0 && c.host && xporta_pie_writer_end_host(c.w) != XPORTA_OK)
        rc = cli_fail(XPORTA_EINVAL, xporta_pie_writer_error(c.w));
    const char *missing = xporta_filter_unseen_user(c.f, 0);
    if (rc == 0 && missing) {
        for (size_t i = 0; (missing = xporta_filter_unseen_user(c.f, i)); i++)
            cli_error("user '%s' (from --users) is not in the input", missing);
        rc = EXIT_INPUT;
    }
    if (rc == 0 && xporta_pie_writer_commit(c.w) != XPORTA_OK)
        rc = cli_fail(XPORTA_EIO, xporta_pie_writer_error(c.w));
    if (rc == 0 && cli_verbose >= 0) {
        char b[32];
        double secs = cli_now() - t0;
        fprintf(stderr,
                "%s: wrote %s (%s): %llu user%s, %llu records (%s) in %.1f s",
                cli_prog, out, xporta_dialect_name(dialect),
                (unsigned long long)c.users, c.users == 1 ? "" : "s",
                (unsigned long long)c.records,
                cli_bytes(xporta_pie_writer_bytes(c.w), b, sizeof b), secs);
        if (c.dropped)
            fprintf(stderr, "; %llu records left out as asked",
                    (unsigned long long)c.dropped);
        fprintf(stderr, "\n");
    }
    if (rc == 0 && c.invalid) {
        cli_warn("left out what %lu error%s concern%s (--skip-invalid); "
                 "'xporta check' lists them",
                 c.invalid, c.invalid == 1 ? "" : "s",
                 c.invalid == 1 ? "s" : "");
        rc = EXIT_PROBLEMS;
    } else if (rc == EXIT_CANCELED) {
        cli_error("interrupted; nothing was written to %s", out);
    }
    xporta_pie_writer_free(c.w);
    xporta_filter_free(c.f);
    free(c.host);
    free(c.pending_host);
    return rc;
}

/* ---- the second half of a file, on a thread of its own -------------------
 *
 * xporta_pass (see xporta.h) runs convert_loop over the second half of a
 * large file with a second conv: its own filter and writer (the writer's
 * fork writes into parts that are appended in order when the halves join),
 * and nothing printed: what it would print is held by the pass and printed
 * in its place, or thrown away with its work if the halves cannot be
 * joined (the first thread then reads on and says it all itself).
 */

/* Where to seek the split.  When the join copies the second half's output
 * (one file, or ejabberd's host file), the first half does that copy while
 * the second still writes, so it gets a little less to read. */
static uint64_t split_point(const struct conv *c, const char *in,
                            uint64_t asked)
{
    enum { FIRST_PERCENT = 46 };
    struct stat sb;
    if (asked || !c->big_part || stat(in, &sb) != 0)
        return asked; /* 0: the middle */
    return (uint64_t)sb.st_size / 100 * FIRST_PERCENT;
}

static void print_diag(struct conv *c, const xporta_diag *d)
{
    if (c->second)
        xporta_pass_diag(c->p, d); /* printed by on_diag, which agrees */
    else
        cli_print_diag(stderr, d);
}

static void print_more(struct conv *c, unsigned long more)
{
    if (c->second)
        xporta_pass_mark(c->p, more, false);
    else
        fprintf(stderr, "%s: ... and %lu more error%s there\n", cli_prog, more,
                more == 1 ? "" : "s");
}

static void second_writer_diag(const xporta_diag *d, void *ud)
{
    xporta_pass_diag(((struct conv *)ud)->p, d);
}

static int conv_run(void *second)
{
    struct conv *b = second;
    return convert_loop(b, b->in, b->prog);
}

static void conv_drop(void *second)
{
    struct conv *b = second;
    xporta_pie_writer_free(b->w);
    xporta_filter_free(b->f);
    drop_held(&b->held);
    drop_held(&b->host_held);
    free(b->host);
    free(b->pending_host);
    free(b);
}

static void *conv_fork(void *first, const char *host, xporta_pass *second)
{
    const struct conv *a = first;
    struct conv *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->second = true;
    b->p = second;
    b->skip_invalid = a->skip_invalid;
    b->in = a->in;
    b->prog = &b->no_progress;
    /* Between two users of the host, begun in the writer. */
    if (xporta_filter_copy(a->f, &b->f) != XPORTA_OK ||
        !(b->host = strdup(xporta_filter_host(b->f, host))) ||
        xporta_pie_writer_fork(a->w, b->host, &b->w) != XPORTA_OK) {
        conv_drop(b);
        return NULL;
    }
    xporta_pie_writer_set_diag(b->w, second_writer_diag, b);
    return b;
}

/* The first half is where a second half begins: in its host, not left
 * out, nothing pending that would begin another host. */
static bool conv_first_ready(const struct conv *a)
{
    return !a->skip_host && !a->host_held.n && !a->host_held.more &&
           (!a->pending_host ||
            (a->host && strcmp(a->pending_host, a->host) == 0));
}

static bool conv_can_join(const void *first, const void *second)
{
    const struct conv *a = first, *b = second;
    return conv_first_ready(a) && xporta_pie_writer_can_join(a->w, b->w);
}

static void conv_replay(void *first, void *second, uint64_t mark)
{
    (void)second;
    print_more(first, (unsigned long)mark);
}

static void conv_join(void *first, void *second)
{
    struct conv *a = first, *b = second;
    xporta_status st = xporta_pie_writer_join(a->w, b->w);
    if (st != XPORTA_OK && a->join_failed == XPORTA_OK)
        a->join_failed = st;
    xporta_filter_merge_seen(a->f, b->f);
    a->invalid += b->invalid;
    a->users += b->users;
    a->records += b->records;
    a->dropped += b->dropped;
    free(a->host);
    a->host = b->host;
    b->host = NULL;
    free(a->pending_host);
    a->pending_host = b->pending_host;
    b->pending_host = NULL;
    a->skip_host = b->skip_host;
    move_held(&a->host_held, &b->host_held);
}

/* While the second half writes: its big part appended ahead. */
static void conv_wait(void *first, void *second)
{
    struct conv *a = first;
    const struct conv *b = second; /* b->w only: set before it ran */
    if (conv_first_ready(a))
        xporta_pie_writer_join_ahead(a->w, b->w);
}

/* A record of a user to write is filtered (kinds, renames) before the
 * checker sees it; one left out is not checked. */
static bool conv_record(void *state, xporta_record *rec)
{
    struct conv *c = state;
    c->keep_rec = true;
    c->rec_failed = false;
    if (!c->keep_user && !c->keep_room)
        return true;
    if (xporta_filter_record(c->f, rec, &c->keep_rec) != XPORTA_OK) {
        c->rec_failed = true;
        return false;
    }
    return c->keep_rec;
}

static const xporta_pass_ops conv_ops = {
    conv_fork, conv_run,  conv_can_join, conv_replay,
    conv_join, conv_drop, conv_wait,     conv_record,
};
