/* xporta rooms: group-chat affiliations follow the user (XEP-0045); and
 * the room lines and counts that migrate prints too. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_live.h"

static const char *room_outcome_name(xporta_room_outcome o)
{
    switch (o) {
    case XPORTA_ROOM_GRANTED:
        return "granted";
    case XPORTA_ROOM_PARTIAL:
        return "partly";
    case XPORTA_ROOM_ALREADY:
        return "already";
    case XPORTA_ROOM_ASK:
        return "ask";
    case XPORTA_ROOM_NOTIFIED:
        return "notified";
    case XPORTA_ROOM_REFUSED:
        return "REFUSED";
    case XPORTA_ROOM_NONE:
        return "none";
    case XPORTA_ROOM_UNREACHABLE:
        return "UNREAD";
    case XPORTA_ROOM_PLANNED:
        return "would";
    case XPORTA_ROOM_EARLIER:
        return "earlier";
    }
    return "?";
}

void cli_room_line(void *ud, const char *room, const char *affiliation,
                   xporta_room_outcome o, const char *owners, const char *why)
{
    (void)ud;
    (void)owners; /* the why names them where they matter */
    bool problem = o == XPORTA_ROOM_REFUSED || o == XPORTA_ROOM_UNREACHABLE;
    /* Rooms the old address has nothing in: only with -v (a public
     * server lists hundreds). */
    if ((o == XPORTA_ROOM_NONE && cli_verbose < 1) ||
        (cli_verbose < 0 && !problem))
        return;
    fprintf(stderr, "  %-8s %s (%s): %s\n", room_outcome_name(o), room,
            affiliation, why ? why : "");
}

void cli_rooms_summary(const xporta_job *job)
{
    xporta_room_counts c;
    xporta_job_room_counts(job, &c);
    if (cli_verbose < 0 || !c.rooms)
        return;
    fprintf(stderr,
            "%s: rooms: %llu looked at (%llu MUC service(s) listed); "
            "granted %llu, member only %llu, already %llu, to ask %llu, "
            "owners messaged %llu, refused %llu, unreadable %llu, "
            "nothing to carry %llu",
            cli_prog, (unsigned long long)c.rooms,
            (unsigned long long)c.services, (unsigned long long)c.granted,
            (unsigned long long)c.partial, (unsigned long long)c.already,
            (unsigned long long)c.ask, (unsigned long long)c.notified,
            (unsigned long long)c.refused, (unsigned long long)c.unreachable,
            (unsigned long long)c.none);
    if (c.planned)
        fprintf(stderr, ", would grant %llu", (unsigned long long)c.planned);
    if (c.earlier)
        fprintf(stderr, ", removed since an earlier grant %llu",
                (unsigned long long)c.earlier);
    fputc('\n', stderr);
    if (c.not_looked)
        fprintf(stderr,
                "%s: %llu more listed room(s) were not looked at (one run "
                "reads at most 2000): name the ones that matter with --room\n",
                cli_prog, (unsigned long long)c.not_looked);
}

int cli_rooms_option(struct rooms_opts *r, const char *cmd, int opt,
                     const char *arg)
{
    switch (opt) {
    case O_NO_ROOMS:
        r->off = true;
        return 1;
    case O_NOTIFY:
        r->notify = true;
        return 1;
    case O_ROOM:
        if (r->n == sizeof r->v / sizeof r->v[0]) {
            cli_usage_error(cmd, "too many --room");
            return -1;
        }
        r->v[r->n++] = arg;
        return 1;
    }
    return 0;
}

int cli_rooms_apply(const struct rooms_opts *r, const char *cmd,
                    xporta_job *job)
{
    xporta_job_set_rooms(job, !r->off);
    xporta_job_set_notify_owners(job, r->notify);
    for (size_t i = 0; i < r->n; i++)
        if (xporta_job_add_room(job, r->v[i]) != XPORTA_OK)
            return cli_usage_error(cmd,
                                   "--room %s is not a room's address "
                                   "(room@service)",
                                   r->v[i]);
    xporta_job_set_room_cb(job, cli_room_line, NULL);
    return 0;
}

/* A live line on a terminal while rooms are read. */
static void rooms_progress(const xporta_progress *p, void *ud)
{
    bool *live = ud;
    if (cli_verbose < 0 || !isatty(STDERR_FILENO))
        return;
    if (strcmp(p->phase, "rooms") == 0 && p->total) {
        fprintf(stderr, "\rrooms: %llu of %llu: %s\033[K",
                (unsigned long long)p->done, (unsigned long long)p->total,
                p->message ? p->message : "");
        *live = true;
    } else if (*live) {
        fputs("\r\033[K", stderr);
        *live = false;
    }
}

static void rooms_line(void *ud, const char *room, const char *affiliation,
                       xporta_room_outcome o, const char *owners,
                       const char *why)
{
    bool *live = ud;
    if (*live) {
        fputs("\r\033[K", stderr);
        *live = false;
    }
    cli_room_line(NULL, room, affiliation, o, owners, why);
}

static const char rooms_help[] =
    "Usage: xporta rooms [OPTIONS] OLD NEW\n"
    "\n"
    "Take your group chats along (XEP-0045): in every room where OLD is an\n"
    "owner or admin, OLD gives NEW the same affiliation; where OLD is only\n"
    "a member, you learn whom to ask.  xporta migrate does this by itself\n"
    "after the copy (--no-rooms to skip); run this command on its own when\n"
    "you moved another way, or again later.  Only OLD logs in: run it while\n"
    "OLD still exists.\n"
    "\n"
    "The rooms come from OLD's bookmarks (XEP-0402 and XEP-0048; migrate\n"
    "copies them to NEW), from the rooms listed by the MUC services of\n"
    "OLD's server, and from --room.  Hidden rooms nobody bookmarked appear\n"
    "nowhere: name them.  For each room xporta reads the owner, admin,\n"
    "member and outcast lists, as far as the room lets OLD, and then:\n"
    "  owner    NEW becomes an owner;\n"
    "  admin    NEW becomes an admin; where only owners may make admins\n"
    "           (the usual rule), a member, and the owners are named;\n"
    "  member   reported with the owners' addresses (or the room's\n"
    "           contact), to ask them; --notify-owners sends each owner\n"
    "           one short message from OLD, once;\n"
    "Nothing else changes: no ban is lifted (a room that bans NEW is\n"
    "reported), no affiliation is lowered, no room where OLD has no power\n"
    "is touched.  Grants are journaled: a grant that an owner removed\n"
    "afterwards is not made again, and no owner is messaged twice.\n"
    "\n"
    "Options:\n"
    "  -n, --dry-run           show what would be granted; change nothing\n"
    "  --room ROOM             also look at this room (room@service);\n"
    "                          repeatable\n"
    "  --notify-owners         message the owners of rooms where OLD cannot\n"
    "                          grant (default: only list them)\n"
    "  --state-dir DIR         where the journal is kept\n"
    "  -q, --quiet             only problems\n" CLI_JSON_HELP
    "  -v, --verbose           also the rooms OLD has nothing in\n"
    "  -h, --help              this text\n"
    "\n" CLI_ACCOUNT_HELP
    "(The connection and password are OLD's; NEW is only named.)\n"
    "\n"
    "Output: a line per room, \"granted\", \"partly\" (member only), "
    "\"already\",\n"
    "\"ask\", \"notified\", \"REFUSED\", \"UNREAD\" (the room could not be "
    "read),\n"
    "\"would\" (dry run), \"earlier\" (removed since a grant), \"none\" "
    "(with -v:\n"
    "nothing to carry), then the counts.\n"
    "\n"
    "Rooms that do not exist (stale bookmarks) count as nothing to carry;\n"
    "rooms that cannot be read now (their server is down) are listed as\n"
    "UNREAD: run the command again later.\n"
    "\n"
    "Exit status: 0 done; 7 some rooms refused the new address (listed; the\n"
    "others are done); 10 interrupted (run again).\n";
static const char rooms_events[] = "\n" CLI_EV_HEAD CLI_EV_START CLI_EV_PROGRESS
    CLI_EV_ROOM CLI_EV_SUMMARY CLI_EV_SUMMARY_END CLI_EV_SUMMARY_ROOMS;

int cmd_rooms(int argc, char **argv)
{
    static const struct option opts[] = {
        {"dry-run", no_argument, NULL, 'n'},
        {"room", required_argument, NULL, O_ROOM},
        {"notify-owners", no_argument, NULL, O_NOTIFY},
        {"state-dir", required_argument, NULL, O_STATE},
        {"json", no_argument, NULL, O_EVENTS},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        CLI_ACCOUNT_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    struct cli_account acct;
    struct rooms_opts ro;
    memset(&ro, 0, sizeof ro);
    const char *state_dir = NULL;
    bool dry = false, json = false;
    int opt, rc;
    cli_account_init(&acct);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "nqvh", opts, NULL)) != -1) {
        rc = cli_account_option(&acct, "rooms", opt, optarg);
        if (rc == 0)
            rc = cli_rooms_option(&ro, "rooms", opt, optarg);
        if (rc < 0)
            return EXIT_USAGE;
        if (rc > 0)
            continue;
        switch (opt) {
        case 'n':
            dry = true;
            break;
        case O_STATE:
            state_dir = optarg;
            break;
        case O_EVENTS:
            json = true;
            break;
        case 'q':
            cli_verbose = -1;
            break;
        case 'v':
            cli_verbose = 1;
            break;
        case 'h':
            fputs(rooms_help, stdout);
            fputs(rooms_events, stdout);
            return EXIT_OK;
        default:
            return cli_usage_error("rooms", "unknown option");
        }
    }
    if (argc - optind != 2)
        return cli_usage_error("rooms", "expected OLD NEW (two addresses)");
    const char *old_jid = argv[optind], *new_jid = argv[optind + 1];
    if (cli_same_account(old_jid, new_jid))
        return cli_usage_error("rooms", "OLD and NEW are the same account");
    xporta_account *from = NULL, *to = NULL;
    if (xporta_account_new(&to, new_jid) != XPORTA_OK)
        return cli_usage_error("rooms", "NEW (%s) is not an account's address",
                               new_jid);
    rc = cli_account_make(&acct, "rooms", old_jid, &from);
    if (rc) {
        xporta_account_free(to);
        return rc;
    }
    xporta_job *job = NULL;
    if (xporta_rooms_new(&job, from, to) != XPORTA_OK) {
        xporta_account_free(from);
        xporta_account_free(to);
        return EXIT_INTERNAL;
    }
    xporta_job_set_dry_run(job, dry);
    if (state_dir && xporta_job_set_state_dir(job, state_dir) != XPORTA_OK)
        rc = EXIT_INTERNAL;
    if (!rc)
        rc = cli_rooms_apply(&ro, "rooms", job);
    bool live = false;
    if (!rc) {
        if (json)
            cli_events_on(job);
        xporta_job_set_progress(job, rooms_progress, &live);
        xporta_job_set_room_cb(job, rooms_line, &live);
        xporta_status st = cli_run_cancellable(job);
        if (live)
            fputs("\r\033[K", stderr);
        cli_rooms_summary(job);
        if (dry && cli_verbose >= 0 && st == XPORTA_OK)
            fprintf(stderr, "%s: dry run: nothing was changed\n", cli_prog);
        if (st != XPORTA_OK)
            cli_error("%s", xporta_job_error(job));
        rc = cli_exit_code(st);
    }
    xporta_job_free(job);
    xporta_account_free(from);
    xporta_account_free(to);
    return rc;
}

static void on_note(void *ud, const char *what, const char *detail)
{
    (void)ud;
    bool problem = strcmp(what, "REFUSED") == 0 || strcmp(what, "DIFFERS") == 0;
    if (cli_verbose < 0 && !problem)
        return;
    fprintf(stderr, "  %-11s %s\n", what, detail);
}

static const char room_move_help[] =
    "Usage: xporta room-move [OPTIONS] OLD NEW OLDROOM NEWROOM\n"
    "\n"
    "Take a room you own to your new server: NEW creates NEWROOM (a room\n"
    "address, or only a MUC service: then the same name there) with\n"
    "OLDROOM's configuration, affiliations and subject, read by OLD, which\n"
    "must be an owner of OLDROOM.\n"
    "  configuration  the owner form, field by field: fields and values\n"
    "                 the new service does not offer are listed\n"
    "                 (\"not-offered\"), the rest carried;\n"
    "  affiliations   owners, admins, members (with their reserved nicks\n"
    "                 where the server keeps them) and outcasts; OLD\n"
    "                 becomes NEW, and each --map OLDJID=NEWJID too;\n"
    "  subject        set by NEW in the new room.\n"
    "With --destroy-old, OLDROOM is then destroyed with NEWROOM as its\n"
    "alternate venue, so that the clients in it follow.  The history stays:\n"
    "a client cannot write a room's archive (a server-side import can).\n"
    "NEWROOM must not exist; xporta never writes into a room someone else\n"
    "made.  Each step is journaled once the server confirmed it: run the\n"
    "same command again after an interruption, or later (with\n"
    "--destroy-old, once everybody knows).  At the end the new room is\n"
    "read back and compared (\"DIFFERS\" lines).\n"
    "\n"
    "Example:\n"
    "  xporta room-move alice@old.example alice@new.example \\\n"
    "      team@conference.old.example conference.new.example --dry-run\n"
    "\n"
    "Options:\n"
    "  -n, --dry-run           read OLDROOM and say what would happen\n"
    "  --destroy-old           destroy OLDROOM, pointing to NEWROOM\n"
    "  --map OLDJID=NEWJID     a member who moved too; repeatable\n"
    "  --no-verify             do not read the new room back\n"
    "  --state-dir DIR         where the journal is kept\n"
    "  -q, --quiet             only problems\n" CLI_JSON_HELP
    "  -h, --help              this text\n"
    "\n" PAIR_HELP "\n"
    "Exit status: 0 done; 7 refused (by a room: the reason is printed) or\n"
    "differences found; 9 NEWROOM exists already; 10 interrupted.\n"
    "\n" CLI_EV_HEAD CLI_EV_START CLI_EV_PROGRESS CLI_EV_NOTE CLI_EV_SUMMARY
    "},\n"
    "            room_move {fields, fields_skipped, affiliations,\n"
    "            affiliations_failed, differs, created, subject, destroyed},\n"
    "            verified (unless --no-verify or --dry-run)\n";

int cmd_room_move(int argc, char **argv)
{
    static const struct option opts[] = {
        {"dry-run", no_argument, NULL, 'n'},
        {"destroy-old", no_argument, NULL, O_DESTROY_OLD},
        {"map", required_argument, NULL, O_MAP},
        {"no-verify", no_argument, NULL, O_NO_VERIFY},
        {"state-dir", required_argument, NULL, O_STATE},
        {"json", no_argument, NULL, O_EVENTS},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        PAIR_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    struct cli_account old_acct, new_acct;
    const char *state_dir = NULL, *maps[64];
    size_t nmaps = 0;
    bool dry = false, destroy = false, verify = true, json = false;
    int opt, rc;
    cli_pair_init(&old_acct, &new_acct);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "nqh", opts, NULL)) != -1) {
        rc = cli_pair_option(&old_acct, &new_acct, "room-move", opt, optarg);
        if (rc < 0)
            return EXIT_USAGE;
        if (rc > 0)
            continue;
        switch (opt) {
        case 'n':
            dry = true;
            break;
        case O_DESTROY_OLD:
            destroy = true;
            break;
        case O_MAP:
            if (nmaps == sizeof maps / sizeof maps[0] || !strchr(optarg, '='))
                return cli_usage_error("room-move",
                                       "--map takes OLDJID=NEWJID (at most "
                                       "64)");
            maps[nmaps++] = optarg;
            break;
        case O_NO_VERIFY:
            verify = false;
            break;
        case O_EVENTS:
            json = true;
            break;
        case O_STATE:
            state_dir = optarg;
            break;
        case 'q':
            cli_verbose = -1;
            break;
        case 'h':
            fputs(room_move_help, stdout);
            return EXIT_OK;
        default:
            return cli_usage_error("room-move", "unknown option");
        }
    }
    if (argc - optind != 4)
        return cli_usage_error("room-move", "expected OLD NEW OLDROOM NEWROOM");
    const char *const *a = (const char *const *)argv + optind;
    if (cli_same_account(a[0], a[1]))
        return cli_usage_error("room-move", "OLD and NEW are the same account");
    xporta_account *from = NULL, *to = NULL;
    rc = cli_account_make(&old_acct, "room-move", a[0], &from);
    if (rc)
        return rc;
    rc = cli_account_make(&new_acct, "room-move", a[1], &to);
    if (rc) {
        xporta_account_free(from);
        return rc;
    }
    xporta_job *job = NULL;
    if (xporta_room_move_new(&job, from, to, a[2], a[3]) != XPORTA_OK) {
        xporta_account_free(from);
        xporta_account_free(to);
        return cli_usage_error("room-move",
                               "OLDROOM must be room@service and NEWROOM "
                               "room@service or a service");
    }
    xporta_job_set_dry_run(job, dry);
    xporta_job_set_destroy_old(job, destroy);
    xporta_job_set_verify(job, verify);
    if (json)
        cli_events_on(job);
    xporta_job_set_note_cb(job, on_note, NULL);
    for (size_t i = 0; !rc && i < nmaps; i++) {
        char from_jid[1024];
        const char *eq = strchr(maps[i], '=');
        snprintf(from_jid, sizeof from_jid, "%.*s", (int)(eq - maps[i]),
                 maps[i]);
        if (xporta_job_map_jid(job, from_jid, eq + 1) != XPORTA_OK)
            rc = cli_usage_error("room-move", "bad --map '%s'", maps[i]);
    }
    if (!rc && state_dir &&
        xporta_job_set_state_dir(job, state_dir) != XPORTA_OK)
        rc = EXIT_INTERNAL;
    if (!rc) {
        xporta_status st = cli_run_cancellable(job);
        xporta_room_move_counts c;
        xporta_job_room_move_counts(job, &c);
        if (cli_verbose >= 0 && (st == XPORTA_OK || st == XPORTA_ESTANZA))
            fprintf(
                stderr,
                "%s: %sroom-move: %llu configuration field(s) carried, %llu "
                "not offered; %llu affiliation(s) set, %llu refused; "
                "subject %s; old room %s; %llu difference(s)\n",
                cli_prog, dry ? "dry run, nothing changed: " : "",
                (unsigned long long)c.fields,
                (unsigned long long)c.fields_skipped,
                (unsigned long long)c.affiliations,
                (unsigned long long)c.affiliations_failed,
                c.subject ? "set" : "not set",
                c.destroyed ? "destroyed" : "kept",
                (unsigned long long)c.differs);
        if (st != XPORTA_OK)
            cli_error("%s", xporta_job_error(job));
        rc = cli_exit_code(st);
    }
    xporta_job_free(job);
    xporta_account_free(from);
    xporta_account_free(to);
    return rc;
}
