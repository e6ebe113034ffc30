/* xporta import and xporta migrate: plan, write, verify. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_live.h"

#define PLAN_HELP                                                             \
    "How it works: xporta first reads the target account and compares it\n"   \
    "with the source, record by record, and plans one action per record:\n"   \
    "  add       the target lacks it: it is written;\n"                       \
    "  same      the target already has the same data: left alone;\n"         \
    "  conflict  the target has other data under the same key (a contact\n"   \
    "            with another name, another vCard): kept as the target has\n" \
    "            it, or replaced with --on-conflict replace;\n"               \
    "  skip      left out on purpose: OMEMO keys and the moved notice\n"      \
    "            belong to the old account; the active privacy list is\n"     \
    "            chosen per session.\n"                                       \
    "Nothing on the target that the source does not mention is deleted or\n"  \
    "changed, so running the same command twice changes nothing the second\n" \
    "time.  What a client cannot write (stored credentials, pending\n"        \
    "subscription requests, offline messages, the message archive) is\n"      \
    "listed; a server-side import of the file carries it.\n"                  \
    "\n"                                                                      \
    "Writes are journaled.  If the job stops (Ctrl-C, lost connection,\n"     \
    "crash), run the same command again: it resumes where it stopped,\n"      \
    "without writing anything twice.  At the end the target is read back\n"   \
    "and compared with the source (verify).\n"

#define PLAN_OPTIONS                                                          \
    "  -n, --dry-run           show the plan and change nothing\n"            \
    "  --on-conflict POLICY    keep (default) or replace\n"                   \
    "  --only-kinds KINDS      import only these kinds (comma-separated)\n"   \
    "  --exclude-kinds KINDS   leave these kinds out\n"                       \
    "  --include-omemo         also copy OMEMO device lists and bundles\n"    \
    "  --include-moved         also copy the urn:xmpp:moved:1 node\n"         \
    "  --no-verify             do not read the target back at the end\n"      \
    "  --state-dir DIR         keep the job's journal in DIR (default\n"      \
    "                          ~/.local/state/xporta/jobs/ID)\n"              \
    "  --parallel N            requests in flight: 8 x N (1-16, default 4)\n" \
    "  --max-lines N           list at most N records per kind and action\n"  \
    "                          (default 10; -v lists all)\n" CLI_JSON_HELP    \
    "  -q, --quiet             only errors\n"                                 \
    "  -v, --verbose           list every planned record\n"                   \
    "  -h, --help              this text\n"

static const char import_help[] =
    "Usage: xporta import [OPTIONS] FILE ACCOUNT\n"
    "\n"
    "Put one user's data from a XEP-0227 file into a live account: roster\n"
    "(names and groups), vCard, private XML, privacy lists, blocklist, PEP\n"
    "nodes with their configuration, affiliations and items (bookmarks,\n"
    "avatar, nick, ...), MAM preferences.  FILE may come from xporta\n"
    "export, Prosody's migrator or ejabberd's export_piefxis; the user's\n"
    "own JID is rewritten to ACCOUNT's wherever it appears.\n"
    "\n" PLAN_HELP "\n"
    "Options:\n"
    "  --user JID              the user to import from a file holding\n"
    "                          several: user@host as in the file, or\n"
    "                          just user if no other host has one\n"
    "  --rename-host OLD=NEW   also rewrite contacts on host OLD to NEW\n"
    "                          (when the whole server moves)\n" PLAN_OPTIONS
    "\n" CLI_ACCOUNT_HELP "\n"
    "Exit status: 0 done and verified; 7 the server refused some records\n"
    "(listed; the rest is in place; run again to retry them); 9 verify\n"
    "found differences; 10 interrupted (run again to resume).\n";
static const char import_events[] =
    "\n" CLI_EV_HEAD CLI_EV_START CLI_EV_PROGRESS CLI_EV_ITEM CLI_EV_REFUSED
        CLI_EV_SUMMARY CLI_EV_SUMMARY_PLAN;

static const char migrate_help[] =
    "Usage: xporta migrate [OPTIONS] OLD NEW\n"
    "\n"
    "Copy a live account (OLD, user@domain) into another (NEW) in one step:\n"
    "export OLD, import into NEW, verify.  With --backup FILE, the export\n"
    "is also kept as a complete XEP-0227 file (history included), for a\n"
    "server-side import or your records.  With --announce, once the copy\n"
    "is verified, the move is announced (see xporta announce --help).\n"
    "Group chats follow: where OLD is owner or admin, NEW gets the same\n"
    "affiliation (see xporta rooms --help).\n"
    "\n"
    "NEW must exist: create it on the new server first (xporta logs in to\n"
    "it before it reads anything from OLD).  Start with --dry-run: it reads\n"
    "both accounts, shows what would be added, kept and skipped, and\n"
    "changes nothing.  Then run the same command without it.\n"
    "\n"
    "Examples:\n"
    "  xporta migrate alice@old.example alice@new.example --dry-run\n"
    "  xporta migrate alice@old.example alice@new.example \\\n"
    "      --backup alice.xml --announce\n"
    "\n" PLAN_HELP "\n"
    "Options:\n"
    "  --backup FILE           keep the export of OLD in FILE (mode 0600)\n"
    "  --announce              then announce the move (XEP-0283): OLD says\n"
    "                          where it went, NEW asks the contacts\n"
    "  --moved-access WHO      contacts (default), presence or open; see\n"
    "                          xporta announce --help\n"
    "  --rate N                subscription stanzas per minute (30)\n"
    "  --no-rooms              leave the group chats: by default, in every\n"
    "                          room where OLD is owner or admin, NEW gets\n"
    "                          the same affiliation, and rooms where OLD is\n"
    "                          a member are listed with their owners (see\n"
    "                          xporta rooms --help)\n"
    "  --room ROOM             also look at this room (room@service)\n"
    "  --notify-owners         message the owners of rooms where OLD can\n"
    "                          grant nothing, asking them to add NEW\n"
    "  -f, --force             with --backup: replace FILE if it "
    "exists\n";
static const char migrate_help2[] =
    PLAN_OPTIONS "\n" PAIR_HELP "\n"
                 "Exit status as for xporta import.\n";
static const char migrate_events[] =
    "\n" CLI_EV_HEAD CLI_EV_START CLI_EV_PROGRESS CLI_EV_ITEM CLI_EV_REFUSED
        CLI_EV_CONTACT CLI_EV_ROOM CLI_EV_SUMMARY CLI_EV_SUMMARY_PLAN
    "            and contacts (with --announce) and room_outcomes (unless\n"
    "            --no-rooms) as for xporta announce and xporta rooms\n";

int cmd_import(int argc, char **argv)
{
    static const struct option opts[] = {
        COMMON_OPTIONS,
        {"user", required_argument, NULL, O_USER},
        {"rename-host", required_argument, NULL, O_RENAME},
        CLI_ACCOUNT_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    struct cli_account acct;
    struct common c;
    const char *user = NULL;
    const char *renames[32];
    size_t nrenames = 0;
    int opt, rc;
    cli_account_init(&acct);
    cli_common_init(&c);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "nqvh", opts, NULL)) != -1) {
        rc = cli_account_option(&acct, "import", opt, optarg);
        if (rc == 0)
            rc = cli_common_option(&c, "import", opt, optarg);
        if (rc < 0)
            return EXIT_USAGE;
        if (rc > 0)
            continue;
        switch (opt) {
        case O_USER:
            user = optarg;
            break;
        case O_RENAME:
            if (nrenames == sizeof renames / sizeof renames[0])
                return cli_usage_error("import", "too many --rename-host");
            if (!strchr(optarg, '='))
                return cli_usage_error("import", "--rename-host takes OLD=NEW");
            renames[nrenames++] = optarg;
            break;
        case 'h':
            fputs(import_help, stdout);
            fputs(import_events, stdout);
            return EXIT_OK;
        default:
            return cli_usage_error("import", "unknown option");
        }
    }
    if (argc - optind != 2)
        return cli_usage_error("import", "expected FILE ACCOUNT");
    const char *file = argv[optind], *jid = argv[optind + 1];
    if (access(file, R_OK) != 0) {
        cli_error("%s: cannot read", file);
        return EXIT_INPUT;
    }
    xporta_account *account = NULL;
    rc = cli_account_make(&acct, "import", jid, &account);
    if (rc)
        return rc;
    xporta_job *job = NULL;
    if (xporta_import_new(&job, file, account) != XPORTA_OK) {
        xporta_account_free(account);
        return EXIT_INTERNAL;
    }
    cli_common_apply(&c, job);
    rc = 0;
    if (user && xporta_job_set_user(job, user) != XPORTA_OK)
        rc = cli_usage_error("import", "--user %s is not a JID", user);
    for (size_t i = 0; !rc && i < nrenames; i++) {
        char from[1024];
        const char *eq = strchr(renames[i], '=');
        snprintf(from, sizeof from, "%.*s", (int)(eq - renames[i]), renames[i]);
        if (xporta_job_rename_host(job, from, eq + 1) != XPORTA_OK)
            rc =
                cli_usage_error("import", "bad --rename-host '%s'", renames[i]);
    }
    if (!rc)
        rc = cli_run_job(job, &c, "import");
    xporta_job_free(job);
    xporta_account_free(account);
    return rc;
}

int cmd_migrate(int argc, char **argv)
{
    static const struct option opts[] = {
        COMMON_OPTIONS,
        {"backup", required_argument, NULL, O_BACKUP},
        {"force", no_argument, NULL, 'f'},
        {"cafile", required_argument, NULL, CLI_OPT_CAFILE},
        {"insecure", no_argument, NULL, CLI_OPT_INSECURE},
        PAIR_OPTIONS,
        {"announce", no_argument, NULL, O_ANNOUNCE},
        {"moved-access", required_argument, NULL, O_ACCESS},
        {"rate", required_argument, NULL, O_RATE},
        ROOMS_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    struct rooms_opts ro;
    memset(&ro, 0, sizeof ro);
    struct cli_account old_acct, new_acct;
    struct common c;
    struct moved_opts mo = {false, XPORTA_MOVED_CONTACTS, 0};
    const char *backup = NULL;
    bool force = false;
    int opt, rc;
    cli_pair_init(&old_acct, &new_acct);
    cli_common_init(&c);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "nfqvh", opts, NULL)) != -1) {
        rc = cli_pair_option(&old_acct, &new_acct, "migrate", opt, optarg);
        if (rc == 0)
            rc = cli_moved_option(&mo, "migrate", opt, optarg);
        if (rc == 0)
            rc = cli_rooms_option(&ro, "migrate", opt, optarg);
        if (rc == 0)
            rc = cli_common_option(&c, "migrate", opt, optarg);
        if (rc < 0)
            return EXIT_USAGE;
        if (rc > 0)
            continue;
        switch (opt) {
        case O_BACKUP:
            backup = optarg;
            break;
        case 'f':
            force = true;
            break;
        case 'h':
            fputs(migrate_help, stdout);
            fputs(migrate_help2, stdout);
            fputs(migrate_events, stdout);
            return EXIT_OK;
        default:
            return cli_usage_error("migrate", "unknown option");
        }
    }
    if (argc - optind != 2)
        return cli_usage_error("migrate", "expected OLD NEW (two accounts)");
    const char *old_jid = argv[optind], *new_jid = argv[optind + 1];
    if (cli_same_account(old_jid, new_jid))
        return cli_usage_error("migrate", "OLD and NEW are the same account");
    xporta_account *from = NULL, *to = NULL;
    rc = cli_account_make(&old_acct, "migrate", old_jid, &from);
    if (rc)
        return rc;
    rc = cli_account_make(&new_acct, "migrate", new_jid, &to);
    if (rc) {
        xporta_account_free(from);
        return rc;
    }
    xporta_job *job = NULL;
    if (xporta_migrate_new(&job, from, to) != XPORTA_OK) {
        xporta_account_free(from);
        xporta_account_free(to);
        return EXIT_INTERNAL;
    }
    cli_common_apply(&c, job);
    xporta_job_set_announce(job, mo.announce);
    xporta_job_set_moved_access(job, mo.access);
    xporta_job_set_rate(job, mo.rate);
    if (backup && !c.dry_run && xporta_job_set_backup(job, backup, force))
        rc = EXIT_INTERNAL;
    if (!rc)
        rc = cli_rooms_apply(&ro, "migrate", job);
    if (!rc)
        rc = cli_run_job(job, &c, "migrate");
    xporta_job_free(job);
    xporta_account_free(from);
    xporta_account_free(to);
    return rc;
}
