/* xporta export: a live account into a XEP-0227 file. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cli_events.h"

static const char help[] =
    "Usage: xporta export [OPTIONS] ACCOUNT -o FILE\n"
    "\n"
    "Copy everything a live account holds that a client can read into one\n"
    "standard XEP-0227 file: roster (names, groups, subscriptions), pending\n"
    "subscription requests, vCard, private XML, privacy lists, blocklist,\n"
    "every PEP node with its configuration and items (bookmarks, avatar,\n"
    "nick, vCard4, OMEMO keys, ...), MAM preferences and the whole message\n"
    "archive.  ACCOUNT is user@domain.\n"
    "\n"
    "The file appears only when the export is complete (mode 0600: it is\n"
    "your private data).  Until then it grows in FILE.part; if the export is\n"
    "interrupted (Ctrl-C, lost connection, crash), running the same command\n"
    "again resumes in the archive where it stopped.\n"
    "\n"
    "Options:\n"
    "  -o, --output FILE       where to write (required)\n"
    "  --only-kinds KINDS      export only these kinds (comma-separated)\n"
    "  --exclude-kinds KINDS   leave these kinds out (e.g. archive)\n"
    "  --since DATE            archive: messages from DATE on\n"
    "  --until DATE            archive: messages up to DATE\n"
    "                          (DATE as 2026-01-31T00:00:00Z)\n"
    "  --private-ns NS         also look for private XML in namespace NS\n"
    "                          (repeatable; the usual ones are always tried)\n"
    "  --parallel N            archive queries in flight (1-16, default 4)\n"
    "  --rooms                 also the group chats you are in (your\n"
    "                          bookmarks): each room's history where it\n"
    "                          offers MAM, and its configuration and\n"
    "                          affiliations as far as it shows them to you,\n"
    "                          as XEP-0519 components after your account\n"
    "  --room ROOM             also this room (room@service; repeatable;\n"
    "                          implies --rooms)\n"
    "  -f, --force             replace FILE if it exists\n"
    "  -q, --quiet             only errors\n" CLI_JSON_HELP
    "  -h, --help              this text\n"
    "\n" CLI_ACCOUNT_HELP "\n"
    "Kinds a client cannot read (stored credentials, offline messages) are\n"
    "listed in the summary as not available; they need a server-side export.\n"
    "\n" CLI_EV_HEAD CLI_EV_START CLI_EV_PROGRESS CLI_EV_SUMMARY "};\n"
    "            with --rooms also room_archives, room_messages\n";

struct ui {
    bool tty;
    const char *last_phase;
    bool live;
};

static void on_progress(const xporta_progress *p, void *ud)
{
    struct ui *u = ud;
    if (cli_verbose < 0)
        return;
    if (p->kind == XPORTA_KIND_ARCHIVE && p->fraction < 1 && u->tty) {
        char rate[32] = "";
        if (p->rate > 0)
            snprintf(rate, sizeof rate, ", %.0f messages/s", p->rate);
        if (p->fraction >= 0)
            fprintf(stderr, "\rarchive: %llu messages (%.0f%%)%s\033[K",
                    (unsigned long long)p->done, p->fraction * 100, rate);
        else
            fprintf(stderr, "\rarchive: %llu messages%s\033[K",
                    (unsigned long long)p->done, rate);
        u->live = true;
        return;
    }
    if (u->live) {
        fputs("\r\033[K", stderr);
        u->live = false;
    }
    if (strcmp(p->phase, "connect") == 0) {
        fprintf(stderr, "connecting...\n");
        return;
    }
    /* One line per kind as it completes. */
    if (p->kind == XPORTA_KIND_COUNT || p->fraction < 1)
        return;
    if (p->kind == XPORTA_KIND_ARCHIVE && p->rate > 0)
        fprintf(stderr, "%s: %llu messages, %.0f messages/s\n", p->phase,
                (unsigned long long)p->done, p->rate);
    else if (p->message && strncmp(p->message, "not available", 13) == 0)
        fprintf(stderr, "%s: %s\n", p->phase, p->message);
    else
        fprintf(stderr, "%s: %llu%s%s\n", p->phase, (unsigned long long)p->done,
                p->message ? ", " : "", p->message ? p->message : "");
}

static void summary(xporta_job *job, const char *jid, const char *out,
                    double secs)
{
    char b[32];
    struct stat sb;
    if (cli_verbose < 0)
        return;
    fprintf(stderr, "%s: exported %s to %s (%s) in %.1f s%s\n", cli_prog, jid,
            out,
            stat(out, &sb) == 0 ? cli_bytes((uint64_t)sb.st_size, b, sizeof b)
                                : "?",
            secs,
            xporta_job_resumed(job) ? ", resuming an interrupted export" : "");
    xporta_room_counts rc;
    xporta_job_room_counts(job, &rc);
    if (rc.rooms)
        fprintf(stderr,
                "%s: rooms: %llu written, %llu with their history (%llu "
                "message(s))\n",
                cli_prog, (unsigned long long)rc.rooms,
                (unsigned long long)rc.room_archives,
                (unsigned long long)rc.room_messages);
}

static void table(xporta_job *job)
{
    if (cli_verbose < 0)
        return;
    fprintf(stderr, "  %-18s %10s\n", "kind", "records");
    for (int k = 0; k < XPORTA_KIND_COUNT; k++) {
        xporta_kind_state s = xporta_job_state(job, (xporta_kind)k);
        const char *note = xporta_job_note(job, (xporta_kind)k);
        if (s == XPORTA_STATE_NOT_ASKED)
            continue;
        if (s == XPORTA_STATE_DONE)
            fprintf(stderr, "  %-18s %10llu%s%s\n",
                    xporta_kind_name((xporta_kind)k),
                    (unsigned long long)xporta_job_count(job, (xporta_kind)k),
                    note ? "   " : "", note ? note : "");
        else
            fprintf(stderr, "  %-18s %10s   %s%s\n",
                    xporta_kind_name((xporta_kind)k), "-",
                    s == XPORTA_STATE_FAILED ? "FAILED: " : "",
                    note ? note : "");
    }
}

int cmd_export(int argc, char **argv)
{
    enum {
        O_ONLY = 256,
        O_EXCLUDE,
        O_SINCE,
        O_UNTIL,
        O_PRIVATE,
        O_PARALLEL,
        O_ROOMS,
        O_ROOM1,
        O_JSON
    };
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"only-kinds", required_argument, NULL, O_ONLY},
        {"exclude-kinds", required_argument, NULL, O_EXCLUDE},
        {"since", required_argument, NULL, O_SINCE},
        {"until", required_argument, NULL, O_UNTIL},
        {"private-ns", required_argument, NULL, O_PRIVATE},
        {"parallel", required_argument, NULL, O_PARALLEL},
        {"rooms", no_argument, NULL, O_ROOMS},
        {"room", required_argument, NULL, O_ROOM1},
        {"force", no_argument, NULL, 'f'},
        {"json", no_argument, NULL, O_JSON},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        CLI_ACCOUNT_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    struct cli_account acct;
    const char *out = NULL, *since = NULL, *until = NULL;
    const char *private_ns[64];
    size_t nprivate = 0;
    uint32_t only = 0, exclude = 0;
    unsigned parallel = 4;
    bool force = false, rooms = false, json = false;
    const char *room_names[64];
    size_t nrooms = 0;
    int opt, rc;
    cli_account_init(&acct);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "o:fqvh", opts, NULL)) != -1) {
        rc = cli_account_option(&acct, "export", opt, optarg);
        if (rc < 0)
            return EXIT_USAGE;
        if (rc > 0)
            continue;
        switch (opt) {
        case 'o':
            out = optarg;
            break;
        case O_ONLY:
            if (cli_parse_kinds("export", optarg, &only))
                return EXIT_USAGE;
            break;
        case O_EXCLUDE:
            if (cli_parse_kinds("export", optarg, &exclude))
                return EXIT_USAGE;
            break;
        case O_SINCE:
            since = optarg;
            break;
        case O_UNTIL:
            until = optarg;
            break;
        case O_PRIVATE:
            if (nprivate == sizeof private_ns / sizeof private_ns[0])
                return cli_usage_error("export", "too many --private-ns");
            private_ns[nprivate++] = optarg;
            break;
        case O_PARALLEL: {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (*end || n < 1 || n > 16)
                return cli_usage_error("export", "--parallel takes 1 to 16");
            parallel = (unsigned)n;
            break;
        }
        case O_ROOMS:
            rooms = true;
            break;
        case O_ROOM1:
            if (nrooms == sizeof room_names / sizeof room_names[0])
                return cli_usage_error("export", "too many --room");
            room_names[nrooms++] = optarg;
            rooms = true;
            break;
        case 'f':
            force = true;
            break;
        case O_JSON:
            json = true;
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
            return cli_usage_error("export", "unknown option");
        }
    }
    if (optind >= argc)
        return cli_usage_error("export", "no ACCOUNT given");
    if (optind + 1 < argc)
        return cli_usage_error("export", "one ACCOUNT at a time");
    if (!out)
        return cli_usage_error("export", "no output given (-o FILE)");
    struct stat sb;
    if (stat(out, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        cli_error("%s is a directory; give a file name", out);
        return EXIT_USAGE;
    }
    if (stat(out, &sb) == 0 && !force) {
        cli_error("%s exists; use --force to replace it", out);
        return EXIT_USAGE;
    }
    const char *jid = argv[optind];
    xporta_account *account = NULL;
    rc = cli_account_make(&acct, "export", jid, &account);
    if (rc)
        return rc;

    xporta_job *job = NULL;
    if (xporta_export_new(&job, account, out) != XPORTA_OK) {
        xporta_account_free(account);
        return EXIT_INTERNAL;
    }
    uint32_t kinds = only ? only : (1u << XPORTA_KIND_COUNT) - 1;
    xporta_job_set_kinds(job, kinds & ~exclude);
    xporta_job_set_parallel(job, parallel);
    if (xporta_job_set_range(job, since, until) != XPORTA_OK) {
        xporta_job_free(job);
        xporta_account_free(account);
        return cli_usage_error("export", "--since/--until take a date such as "
                                         "2026-01-31T00:00:00Z");
    }
    for (size_t i = 0; i < nprivate; i++) {
        if (xporta_job_add_private_ns(job, private_ns[i]) != XPORTA_OK) {
            xporta_job_free(job);
            xporta_account_free(account);
            return cli_usage_error("export", "bad --private-ns '%s'",
                                   private_ns[i]);
        }
    }
    xporta_job_set_rooms(job, rooms);
    for (size_t i = 0; i < nrooms; i++) {
        if (xporta_job_add_room(job, room_names[i]) != XPORTA_OK) {
            xporta_job_free(job);
            xporta_account_free(account);
            return cli_usage_error("export",
                                   "--room %s is not a room (room@service)",
                                   room_names[i]);
        }
    }
    struct ui u = {isatty(STDERR_FILENO) != 0, NULL, false};
    if (json)
        cli_events_on(job);
    xporta_job_set_progress(job, on_progress, &u);

    double t0 = cli_now();
    xporta_status st = cli_run_cancellable(job);
    if (u.live)
        fputs("\r\033[K", stderr);
    if (st == XPORTA_OK || st == XPORTA_ESTANZA) {
        if (stat(out, &sb) == 0) {
            summary(job, jid, out, cli_now() - t0);
            table(job);
        }
    }
    if (st != XPORTA_OK) {
        cli_error("%s", xporta_job_error(job));
        if (st == XPORTA_ECANCELED || st == XPORTA_ETIMEOUT ||
            st == XPORTA_EDISCONNECTED) {
            char part[4096];
            snprintf(part, sizeof part, "%s.part", out);
            if (access(part, F_OK) == 0)
                cli_note("the partial export is kept in %s", part);
        }
    }
    rc = cli_exit_code(st);
    xporta_job_free(job);
    xporta_account_free(account);
    return rc;
}
