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
    "pep-subscriptions pep-item archive mam-prefs other room-config\n"
    "room-affiliation room-subject.\n"
    "\n"
    "Rooms of XEP-0519 components (group chats) are counted per room and per\n"
    "component, apart from the users: their kinds are the room-* ones and\n"
    "vcard, archive and other.\n"
    "\n"
    "Options:\n"
    "  --json          one JSON document on stdout\n"
    "  --summary       hosts and totals only, no line per user\n"
    "  --threads N     1: read on one core; 2: split a file between two\n"
    "                  threads (the default for files over 64 MiB on a\n"
    "                  machine with two cores or more; the output is the\n"
    "                  same either way)\n"
    "  -q, --quiet     no progress\n"
    "  -h, --help      this text\n"
    "\n"
    "What 'xporta check' calls an error (a name or JID that is not valid, a\n"
    "duplicate, ...) is printed on stderr and the exit status is 1; the\n"
    "records are counted all the same.\n";

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

static void print_kinds_text(FILE *out, const struct counts *c)
{
    bool first = true;
    char b[32];
    for (int k = 0; k < XPORTA_KIND_COUNT; k++) {
        if (!c->n[k])
            continue;
        fprintf(out, "%s%s %llu", first ? "" : ", ",
                xporta_kind_name((xporta_kind)k), (unsigned long long)c->n[k]);
        first = false;
    }
    if (first)
        fprintf(out, "no data");
    fprintf(out, " (%s)\n", cli_bytes(total_bytes(c), b, sizeof b));
}

static void print_kinds_json(FILE *out, const struct counts *c)
{
    bool first = true;
    fprintf(out, "{");
    for (int k = 0; k < XPORTA_KIND_COUNT; k++) {
        if (!c->n[k])
            continue;
        fprintf(out, "%s\"%s\": {\"count\": %llu, \"bytes\": %llu}",
                first ? "" : ", ", xporta_kind_name((xporta_kind)k),
                (unsigned long long)c->n[k], (unsigned long long)c->bytes[k]);
        first = false;
    }
    fprintf(out, "}");
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

/* Where the checker's errors go, in file order: counted and printed. */
struct sink {
    unsigned long errors;
    struct cli_progress *prog;
};

static void on_check(const xporta_diag *d, void *ud)
{
    struct sink *k = ud;
    if (d->severity != XPORTA_ERROR)
        return;
    k->errors++;
    cli_progress_end(k->prog);
    cli_print_diag(stderr, d);
}

static void on_progress(uint64_t done, void *ud)
{
    cli_progress_update(ud, done, NULL);
}

/* Reading one file, or (on a thread of its own) the second half of one,
 * whose text is held in memory until the pass replays it in its place. */
struct stats {
    xporta_pass *p;
    bool json, summary;
    const char *path;
    FILE *out; /* stdout, or the held text */
    struct cli_progress *prog;
    struct counts all, host, user;
    uint64_t hosts;
    const char *host_jid;
    bool first_user, in_host;
    /* the second half */
    bool second;
    bool in_split_host;      /* still in the host it began in */
    struct counts split_end; /* that host's counts from here, at its end */
    char *held;
    size_t held_len;
    uint64_t replayed;
    /* XEP-0519 components (never in a second half: it gives them up).  In
     * JSON they are held until the hosts' list is closed. */
    struct counts comp, room, rooms_all;
    uint64_t components;
    const char *comp_jid;
    bool in_comp, first_room;
    FILE *cj;
    char *cj_buf;
    size_t cj_len;
};

/* Marks of the second half: the split host's end (printed with both
 * halves' counts), or how far its text goes (plus one). */
enum { SPLIT_HOST_END = 0 };

static void print_host_end(const struct stats *s, FILE *out,
                           const struct counts *host)
{
    if (s->json) {
        fprintf(out,
                "\n  ], \"user_count\": %llu, \"bytes\": %llu, \"kinds\": ",
                (unsigned long long)host->users,
                (unsigned long long)total_bytes(host));
        print_kinds_json(out, host);
        fprintf(out, "}");
    } else {
        if (!s->second)
            cli_progress_end(s->prog);
        fprintf(out, "  host %s: %llu user%s: ", s->host_jid ? s->host_jid : "",
                (unsigned long long)host->users, host->users == 1 ? "" : "s");
        print_kinds_text(out, host);
    }
}

/* After printing: the second half marks how far its text goes. */
static void printed(struct stats *s)
{
    if (!s->second)
        return;
    fflush(s->out);
    xporta_pass_mark(s->p, (uint64_t)s->held_len + 1, true);
}

/* A component's events (the first half only). */
static void stats_component(struct stats *s, xporta_pie_reader *r,
                            xporta_pie_event ev)
{
    FILE *out = stdout;
    if (s->json && !s->cj) {
        s->cj = open_memstream(&s->cj_buf, &s->cj_len);
        if (!s->cj)
            return;
    }
    if (s->json)
        out = s->cj;
    switch (ev) {
    case XPORTA_PIE_COMPONENT:
        memset(&s->comp, 0, sizeof s->comp);
        s->comp_jid = xporta_pie_reader_component(r);
        s->in_comp = true;
        s->first_room = true;
        if (s->json) {
            fprintf(out, "%s\n  {\"jid\": ", s->components ? "," : "");
            cli_json_str(out, s->comp_jid);
            fprintf(out, ", \"type\": ");
            cli_json_str(out, xporta_pie_reader_component_type(r));
            fprintf(out, ", \"file\": ");
            cli_json_str(out, s->path);
            fprintf(out, ", \"rooms\": [");
        } else {
            cli_progress_end(s->prog);
            fprintf(out, "%s (%s): component, type %s\n", s->comp_jid, s->path,
                    xporta_pie_reader_component_type(r));
        }
        s->components++;
        break;
    case XPORTA_PIE_ROOM:
        memset(&s->room, 0, sizeof s->room);
        s->room.users = 1;
        break;
    case XPORTA_PIE_ROOM_RECORD: {
        const xporta_record *rec = xporta_pie_reader_record(r);
        s->room.n[rec->kind]++;
        s->room.bytes[rec->kind] += rec->bytes;
        break;
    }
    case XPORTA_PIE_ROOM_END:
        if (!s->summary) {
            const char *name = xporta_pie_reader_room(r);
            if (s->json) {
                fprintf(out, "%s\n    {\"name\": ", s->first_room ? "" : ",");
                cli_json_str(out, name);
                fprintf(out, ", \"bytes\": %llu, \"kinds\": ",
                        (unsigned long long)total_bytes(&s->room));
                print_kinds_json(out, &s->room);
                fprintf(out, "}");
            } else {
                cli_progress_end(s->prog);
                fprintf(out, "  room %s@%s: ", name, s->comp_jid);
                print_kinds_text(out, &s->room);
            }
        }
        s->first_room = false;
        add(&s->comp, &s->room);
        break;
    case XPORTA_PIE_COMPONENT_END:
        if (s->json) {
            fprintf(out,
                    "\n  ], \"room_count\": %llu, \"bytes\": %llu, "
                    "\"kinds\": ",
                    (unsigned long long)s->comp.users,
                    (unsigned long long)total_bytes(&s->comp));
            print_kinds_json(out, &s->comp);
            fprintf(out, "}");
        } else {
            cli_progress_end(s->prog);
            fprintf(out, "  component %s: %llu room%s: ", s->comp_jid,
                    (unsigned long long)s->comp.users,
                    s->comp.users == 1 ? "" : "s");
            print_kinds_text(out, &s->comp);
        }
        s->in_comp = false;
        add(&s->rooms_all, &s->comp);
        break;
    default:
        break;
    }
}

/* Reads the file, or a half of it, to its end; an exit code. */
static int stats_run(void *ud)
{
    struct stats *s = ud;
    xporta_pie_reader *r = xporta_pass_reader(s->p);
    FILE *out = s->out;
    for (;;) {
        xporta_pie_event ev;
        xporta_status st = xporta_pass_next(s->p, &ev);
        if (st != XPORTA_OK) {
            if (s->second)
                return EXIT_INPUT; /* the first thread will read it */
            cli_progress_end(s->prog);
            if (s->json)
                json_abort(s->in_host, xporta_pie_reader_error(r));
            return cli_fail(st, xporta_pie_reader_error(r));
        }
        if (ev == XPORTA_PIE_END)
            break;
        switch (ev) {
        case XPORTA_PIE_HOST:
            memset(&s->host, 0, sizeof s->host);
            s->host_jid = xporta_pie_reader_host(r);
            if (s->json) {
                fprintf(out, "%s\n  {\"jid\": ", s->hosts ? "," : "");
                cli_json_str(out, s->host_jid);
                fprintf(out, ", \"file\": ");
                cli_json_str(out, s->path);
                fprintf(out, ", \"users\": [");
            } else {
                if (!s->second)
                    cli_progress_end(s->prog);
                fprintf(out, "%s (%s)\n", s->host_jid, s->path);
            }
            printed(s);
            s->hosts++;
            s->first_user = true;
            s->in_host = true;
            break;
        case XPORTA_PIE_USER:
            memset(&s->user, 0, sizeof s->user);
            s->user.users = 1;
            break;
        case XPORTA_PIE_COMPONENT:
        case XPORTA_PIE_ROOM:
        case XPORTA_PIE_ROOM_RECORD:
        case XPORTA_PIE_ROOM_END:
        case XPORTA_PIE_COMPONENT_END:
            stats_component(s, r, ev);
            break;
        case XPORTA_PIE_RECORD:
        case XPORTA_PIE_EXTRA: {
            const xporta_record *rec = xporta_pie_reader_record(r);
            struct counts *c = ev == XPORTA_PIE_RECORD ? &s->user
                               : s->in_comp            ? &s->comp
                                                       : &s->host;
            c->n[rec->kind]++;
            c->bytes[rec->kind] += rec->bytes;
            break;
        }
        case XPORTA_PIE_USER_END:
            if (!s->summary) {
                const char *name = xporta_pie_reader_user(r);
                if (s->json) {
                    fprintf(out,
                            "%s\n    {\"name\": ", s->first_user ? "" : ",");
                    cli_json_str(out, name);
                    fprintf(out, ", \"bytes\": %llu, \"kinds\": ",
                            (unsigned long long)total_bytes(&s->user));
                    print_kinds_json(out, &s->user);
                    fprintf(out, "}");
                } else {
                    if (!s->second)
                        cli_progress_end(s->prog);
                    fprintf(out, "  %s@%s: ", name,
                            s->host_jid ? s->host_jid : "");
                    print_kinds_text(out, &s->user);
                }
                printed(s);
            }
            s->first_user = false;
            add(&s->host, &s->user);
            break;
        case XPORTA_PIE_HOST_END:
            if (s->in_split_host) {
                /* The first half has the rest of this host's counts. */
                s->split_end = s->host;
                s->in_split_host = false;
                xporta_pass_mark(s->p, SPLIT_HOST_END, false);
            } else {
                print_host_end(s, out, &s->host);
                printed(s);
            }
            s->in_host = false;
            add(&s->all, &s->host);
            break;
        default:
            break;
        }
    }
    if (s->second)
        fflush(s->out);
    return 0;
}

/* ---- the second half (see xporta_pass_ops) --------------------------------
 */

static void *stats_fork(void *first, const char *host, xporta_pass *second)
{
    const struct stats *a = first;
    struct stats *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->out = open_memstream(&b->held, &b->held_len);
    if (!b->out) {
        free(b);
        return NULL;
    }
    b->p = second;
    b->json = a->json;
    b->summary = a->summary;
    b->path = a->path;
    /* Between two users of `host`, after the first half's. */
    b->host_jid = host;
    b->hosts = 1;
    b->in_host = true;
    b->first_user = false;
    b->second = true;
    b->in_split_host = true;
    return b;
}

static bool stats_can_join(const void *first, const void *second)
{
    const struct stats *a = first;
    (void)second;
    /* Inside the host, past a user when a comma depends on it. */
    return a->in_host && (!a->json || a->summary || !a->first_user);
}

static void stats_replay(void *first, void *second, uint64_t mark)
{
    struct stats *a = first, *b = second;
    if (mark == SPLIT_HOST_END) {
        struct counts both = a->host;
        add(&both, &b->split_end);
        print_host_end(a, stdout, &both);
        return;
    }
    uint64_t upto = mark - 1;
    if (!a->json)
        cli_progress_end(a->prog);
    fwrite(b->held + b->replayed, 1, (size_t)(upto - b->replayed), stdout);
    b->replayed = upto;
}

static void stats_join(void *first, void *second)
{
    struct stats *a = first;
    const struct stats *b = second;
    add(&a->all, &a->host); /* the split host ended in the second half */
    add(&a->all, &b->all);
    a->hosts += b->hosts - 1;
    a->host = b->host;
    a->user = b->user;
    a->first_user = b->first_user;
    a->in_host = b->in_host;
    a->host_jid = NULL; /* the second half's reader goes */
}

static void stats_drop(void *second)
{
    struct stats *b = second;
    fclose(b->out);
    free(b->held);
    free(b);
}

static const xporta_pass_ops stats_ops = {
    stats_fork, stats_run,  stats_can_join, stats_replay,
    stats_join, stats_drop, NULL,           NULL,
};

int cmd_stats(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"summary", no_argument, NULL, 's'},
        {"threads", required_argument, NULL, 't'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct stats s = {0};
    unsigned threads = 0;
    int opt;
    optind = 1;
    opterr = 0;              /* cli_bad_option says it once */
    cli_exit_on_interrupt(); /* it only reads: nothing to clean up */
    while ((opt = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        switch (opt) {
        case 'j':
            s.json = true;
            break;
        case 's':
            s.summary = true;
            break;
        case 't':
            if (cli_parse_threads("stats", optarg, &threads))
                return EXIT_USAGE;
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

    struct sink k = {0};
    if (s.json)
        printf("{\"hosts\": [");
    for (int i = optind; i < argc; i++) {
        const char *path = argv[i];
        struct stat sb;
        struct cli_progress prog;
        cli_progress_start(&prog, path,
                           stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0,
                           8u << 20);
        k.prog = &prog;
        s.path = path;
        s.out = stdout;
        s.prog = &prog;
        s.host_jid = NULL;
        s.first_user = true;
        s.in_host = false;
        xporta_pass_options po;
        cli_pass_options(&po, threads);
        po.check.diag = on_check;
        po.check.diag_userdata = &k;
        po.check.progress = on_progress;
        po.check.progress_userdata = &prog;
        po.ops = &stats_ops;
        xporta_status st = xporta_pass_open(&s.p, path, &po, &s);
        if (st == XPORTA_ENOMEM)
            return EXIT_INTERNAL;
        if (st != XPORTA_OK) {
            char msg[4096];
            int rc = cli_input_fail(path, st, msg, sizeof msg);
            cli_progress_end(&prog);
            cli_error("%s", msg);
            if (s.json)
                json_abort(false, msg);
            return rc;
        }
        int rc = stats_run(&s);
        xporta_check_result res;
        xporta_pass_result(s.p, &res);
        if (res.threads > cli_threads_used)
            cli_threads_used = res.threads;
        xporta_pass_free(s.p);
        cli_progress_end(&prog);
        if (rc) {
            if (s.cj)
                fclose(s.cj);
            free(s.cj_buf);
            return rc;
        }
    }
    if (s.json) {
        printf(
            "\n], \"host_count\": %llu, \"user_count\": %llu, \"bytes\": %llu, "
            "\"errors\": %lu, \"kinds\": ",
            (unsigned long long)s.hosts, (unsigned long long)s.all.users,
            (unsigned long long)total_bytes(&s.all), k.errors);
        print_kinds_json(stdout, &s.all);
        if (s.components) {
            if (s.cj)
                fclose(s.cj);
            printf(", \"components\": [%s\n], \"component_count\": %llu, "
                   "\"room_count\": %llu, \"room_bytes\": %llu, "
                   "\"room_kinds\": ",
                   s.cj_buf ? s.cj_buf : "", (unsigned long long)s.components,
                   (unsigned long long)s.rooms_all.users,
                   (unsigned long long)total_bytes(&s.rooms_all));
            print_kinds_json(stdout, &s.rooms_all);
        }
        printf("}\n");
    } else {
        printf("total: %llu host%s, %llu user%s\n", (unsigned long long)s.hosts,
               s.hosts == 1 ? "" : "s", (unsigned long long)s.all.users,
               s.all.users == 1 ? "" : "s");
        print_table(&s.all);
        if (s.components) {
            printf("rooms: %llu component%s, %llu room%s\n",
                   (unsigned long long)s.components,
                   s.components == 1 ? "" : "s",
                   (unsigned long long)s.rooms_all.users,
                   s.rooms_all.users == 1 ? "" : "s");
            print_table(&s.rooms_all);
        }
    }
    if (s.cj && !s.components)
        fclose(s.cj);
    free(s.cj_buf);
    if (k.errors) {
        cli_warn("%lu error%s found (as 'xporta check' reports them); an "
                 "importer would trip over %s",
                 k.errors, k.errors == 1 ? "" : "s",
                 k.errors == 1 ? "it" : "them");
        return EXIT_PROBLEMS;
    }
    return EXIT_OK;
}
