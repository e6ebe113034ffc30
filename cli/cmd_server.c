/* xporta server-import and server-export: a server's own storage, every
 * account at once. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_events.h"
#include "cli_live.h"

enum {
    O_USERS = 1400,
    O_STRIP,
    O_DIALECT,
    O_HOST,
    O_JSON,
    O_OUTPUT = 'o',
};

/* Printed between a command's text and its options. */
static const char stores_help[] =
    "Stores:\n"
    "  prosody:DIR             Prosody's internal storage: its data\n"
    "                          directory (data_path; /var/lib/prosody on\n"
    "                          Debian)\n"
    "  prosody+sqlite:FILE     Prosody's SQL storage on SQLite 3: the\n"
    "                          database file (sql.database, relative to\n"
    "                          data_path: /var/lib/prosody/prosody.sqlite)\n"
    "  prosody+pgsql://USER@HOST[:PORT]/DATABASE\n"
    "  prosody+pgsql:'host=HOST port=PORT dbname=DATABASE user=USER'\n"
    "  prosody+pgsql:DATABASE  Prosody's SQL storage on PostgreSQL (the\n"
    "                          fields of its sql = { } setting); the last\n"
    "                          form uses libpq's defaults (PGHOST, the\n"
    "                          local socket, your user name).  The\n"
    "                          password never goes in the address: libpq\n"
    "                          reads it from ~/.pgpass or the file\n"
    "                          PGPASSFILE names (HOST:PORT:DATABASE:USER:\n"
    "                          PASSWORD, mode 0600), or from PGPASSWORD\n"
    "  ejabberd+sqlite:FILE    ejabberd's SQL storage on SQLite 3 (sql_type:\n"
    "                          sqlite; sql_database in ejabberd.yml)\n"
    "  ejabberd+pgsql://USER@HOST[:PORT]/DATABASE\n"
    "  ejabberd+pgsql:'host=HOST port=PORT dbname=DATABASE user=USER'\n"
    "                          ejabberd's SQL storage on PostgreSQL "
    "(sql_type:\n"
    "                          pgsql), the password as for prosody+pgsql.\n"
    "                          Both schemas: the default one keeps no domain,\n"
    "                          so reading it needs --host; new_sql_schema\n"
    "                          keeps one per row.  ejabberd 23.01 does not\n"
    "                          create its tables: load /usr/share/ejabberd/\n"
    "                          sql/lite.sql or pg.sql (lite.new.sql, "
    "pg.new.sql\n"
    "                          with new_sql_schema) before the first import.\n"
    "  ejabberd+mnesia:CTL     ejabberd's Mnesia storage (its default),\n"
    "                          written only, through the running ejabberd:\n"
    "                          CTL is the ejabberdctl to run (ejabberd+\n"
    "                          mnesia:/usr/sbin/ejabberdctl, as root or as\n"
    "                          the ejabberd user).  ejabberd must run; a few\n"
    "                          accounts per `ejabberdctl load`, then\n"
    "                          clear_cache.  What ejabberd holds is not read\n"
    "                          (every record is planned as add); a kind whose\n"
    "                          module is off is left out, and the archive\n"
    "                          when archive_msg would pass 1.5 GB (Mnesia\n"
    "                          stops at 2 GB: use SQL).  To read Mnesia,\n"
    "                          history and PEP included: ejabberdctl\n"
    "                          --no-timeout export2sql HOST FILE, loaded into\n"
    "                          SQLite (xporta(1), EXAMPLES), then\n"
    "                          ejabberd+sqlite:DB --host HOST\n"
    "  FILE                    a XEP-0227 file (ours, Prosody's or\n"
    "                          ejabberd's, any dialect)\n";

#define FILTER_OPTIONS                                                         \
    "  --users LIST            only these accounts (comma-separated:\n"        \
    "                          user@host, or user on any host)\n"              \
    "  --rename-host OLD=NEW   rewrite every JID of host OLD to NEW (the\n"    \
    "                          accounts and their contacts)\n"                 \
    "  --only-kinds KINDS      only these kinds (comma-separated)\n"           \
    "  --exclude-kinds KINDS   leave these kinds out\n"                        \
    "  --strip-secrets         leave out passwords and SCRAM credentials\n"    \
    "  --host DOMAIN           the XMPP domain of an ejabberd SQL source or\n" \
    "                          target in the default schema (which does\n"     \
    "                          not record it; a target needs it once it\n"     \
    "                          holds accounts); new_sql_schema: only that\n"   \
    "                          domain\n" CLI_JSON_HELP                         \
    "  -q, --quiet             only errors\n"                                  \
    "  -v, --verbose           a line per account\n"                           \
    "  -h, --help              this text\n"

static const char import_help[] =
    "Usage: xporta server-import [OPTIONS] SOURCE STORE\n"
    "\n"
    "Put every account of SOURCE into a server's own storage, STORE, with\n"
    "what no client can carry: message archives (with the ids clients\n"
    "know, and their times), stored passwords (SCRAM, so the old passwords\n"
    "keep working), pending subscription requests, offline messages, PEP\n"
    "nodes with their configuration, subscribers and items, rosters,\n"
    "vCards, private XML, privacy lists, blocklists, archive preferences.\n"
    "SOURCE is a XEP-0227 file (from xporta server-export, xporta export,\n"
    "Prosody's migrator or ejabberd's export_piefxis) or another store.\n"
    "\n"
    "The server must be stopped: it keeps online users' data in memory and\n"
    "would write over the import.  xporta refuses to write while it runs\n"
    "and says which process it found.\n"
    "\n"
    "Each account is planned against what STORE already holds, record by\n"
    "record: add (missing), same (already there), conflict (other data\n"
    "under the same key: kept, or replaced with --on-conflict replace).\n"
    "Nothing STORE holds is deleted.  Each account is written as one unit\n"
    "(its files replaced at once, or one SQL transaction): an interruption\n"
    "loses no account and leaves none half written.  The job is journaled:\n"
    "run the same command again and it goes on with the accounts not yet\n"
    "done; a second complete run finds everything \"same\".  An account\n"
    "whose data cannot be read is left out, named with the file and line\n"
    "(or the table and row), and the others go on.\n"
    "\n"
    "Rooms (XEP-0519 components of SOURCE, or its MUC services) go into a\n"
    "Prosody or ejabberd SQL STORE after the accounts, merged and\n"
    "journaled per room the same way: configuration, affiliations with\n"
    "reserved nicks, subject, history.  Prosody deletes room history\n"
    "older than muc_log_expires_after (1 week by default): xporta says so\n"
    "when it writes older messages.\n"
    "\n"
    "Start with --dry-run: it reads both sides, shows the plan per account\n"
    "and changes nothing.\n"
    "\n"
    "Examples:\n"
    "  systemctl stop prosody\n"
    "  xporta server-import --dry-run dump.xml prosody:/var/lib/prosody\n"
    "  xporta server-import dump.xml prosody:/var/lib/prosody\n"
    "  systemctl start prosody\n"
    "  # Prosody on PostgreSQL (sql = { driver = \"PostgreSQL\";\n"
    "  # database = \"prosody\"; username = \"prosody\"; host = ... }),\n"
    "  # the password in ~/.pgpass:\n"
    "  xporta server-import dump.xml \\\n"
    "      prosody+pgsql://prosody@localhost/prosody\n"
    "\n";

static const char import_options[] =
    "\n"
    "Options:\n"
    "  -n, --dry-run           show the plan and change nothing\n"
    "  --on-conflict POLICY    keep (default) or replace\n"
    "  --state-dir DIR         keep the job's journal in DIR (default\n"
    "                          ~/.local/state/xporta/jobs/ID)\n"
    "  --max-lines N           list at most N accounts (default "
    "10)\n" FILTER_OPTIONS "\n"
    "Files xporta creates get the owner of the data directory (when run as\n"
    "root) and the modes of Debian's package: 0750 directories, 0640 files.\n"
    "\n"
    "Exit status: 0 done; 1 some accounts could not be read (named; the\n"
    "others are in place); 3 the source is invalid; 4 a file could not be\n"
    "written (the account being written is left as it was); 7 the store\n"
    "refused some records (listed); 8 the server is running, or another\n"
    "xporta writes to STORE; 10 interrupted (run again to resume).\n"
    "\n" CLI_EV_HEAD CLI_EV_START CLI_EV_PROGRESS CLI_EV_ACCOUNT CLI_EV_REFUSED
        CLI_EV_SUMMARY CLI_EV_SUMMARY_SERVER;

static const char export_help[] =
    "Usage: xporta server-export [OPTIONS] STORE -o FILE\n"
    "\n"
    "Write every account of a server's own storage into one XEP-0227 file:\n"
    "credentials (SCRAM and plaintext), rosters with pending requests,\n"
    "vCards, private XML, privacy lists, blocklists, offline messages, PEP\n"
    "nodes (configuration, affiliations, subscribers, items), message\n"
    "archives with their ids and times, archive preferences.  The server\n"
    "may keep running (a user who changes data meanwhile may or may not\n"
    "see the change in the file; from PostgreSQL the file is one\n"
    "snapshot).  FILE appears only when complete.\n"
    "\n"
    "From Prosody and ejabberd's SQL storage it also writes the group\n"
    "chats: each MUC service (a host whose storage has rooms) as a XEP-0519\n"
    "component, each room with its configuration, affiliations and\n"
    "reserved nicks, subject and history.\n"
    "\n"
    "Examples:\n"
    "  xporta server-export prosody:/var/lib/prosody -o dump.xml\n"
    "  PGPASSFILE=/root/prosody.pgpass xporta server-export \\\n"
    "      prosody+pgsql://prosody@db.example.org/prosody -o dump.xml\n"
    "\n";

static const char export_options[] =
    "\n"
    "Options:\n"
    "  -o, --output FILE       the file to write (mode 0600: it holds\n"
    "                          credentials)\n"
    "  --dialect NAME          standard (default), prosody (one file per\n"
    "                          user in a directory) or ejabberd (for\n"
    "                          ejabberdctl import_piefxis)\n"
    "  -f, --force             replace FILE if it exists\n" FILTER_OPTIONS "\n"
    "Exit status: 0 done; 3 an account could not be read (named, with the\n"
    "file and line; no FILE is written); 4 FILE exists or could not be\n"
    "written; 10 interrupted.\n"
    "\n" CLI_EV_HEAD CLI_EV_START CLI_EV_PROGRESS CLI_EV_SUMMARY
        CLI_EV_SUMMARY_SERVER;

struct srv_ui {
    unsigned max_lines;
    unsigned long shown, hidden, failed;
    bool dry_run, tty;
    struct cli_progress prog;
    bool prog_on;
};

static void on_progress(const xporta_progress *p, void *ud)
{
    struct srv_ui *u = ud;
    if (cli_verbose < 0 || !u->tty)
        return;
    if (!u->prog_on) {
        cli_progress_start(&u->prog, "accounts", p->total, 0);
        u->prog_on = true;
    }
    cli_progress_update(&u->prog, p->done, p->message);
}

static void plan_line(const xporta_import_counts *c, char *out, size_t cap)
{
    uint64_t add = 0, same = 0, conflict = 0, replace = 0, skip = 0, failed = 0,
             kept_out = 0;
    for (int k = 0; k < XPORTA_KIND_COUNT; k++) {
        add += c[k].add;
        same += c[k].same;
        conflict += c[k].conflict;
        replace += c[k].replace;
        skip += c[k].skip;
        failed += c[k].failed;
        kept_out += c[k].not_restorable;
    }
    snprintf(out, cap,
             "add %llu, same %llu, conflict %llu, replace %llu, skip %llu%s",
             (unsigned long long)add, (unsigned long long)same,
             (unsigned long long)conflict, (unsigned long long)replace,
             (unsigned long long)(skip + kept_out), "");
    if (failed)
        snprintf(out + strlen(out), cap - strlen(out), ", refused %llu",
                 (unsigned long long)failed);
}

static void on_account(void *ud, const char *jid, xporta_status st,
                       const char *why, const xporta_import_counts *counts)
{
    struct srv_ui *u = ud;
    if (u->prog_on)
        cli_progress_end(&u->prog), u->prog_on = false;
    if (st != XPORTA_OK) {
        u->failed++;
        cli_error("%s: left out: %s", jid, why ? why : xporta_strerror(st));
        return;
    }
    if (cli_verbose < 0 || (!u->dry_run && cli_verbose < 1))
        return;
    if (cli_verbose < 1 && u->shown >= u->max_lines) {
        u->hidden++;
        return;
    }
    char line[256];
    plan_line(counts, line, sizeof line);
    fprintf(stderr, "  %-32s %s\n", jid, line);
    u->shown++;
}

static void on_action(void *ud, xporta_action a, xporta_kind kind,
                      const char *key, const char *id, const char *why)
{
    (void)ud;
    if (a == XPORTA_ACTION_FAILED && cli_verbose >= 0)
        cli_warn("%s %s%s%s refused: %s", xporta_kind_name(kind),
                 key ? key : "", id ? " " : "", id ? id : "", why ? why : "?");
}

static void kinds_table(xporta_job *job, bool dry_run)
{
    if (cli_verbose < 0)
        return;
    fprintf(stderr, "  %-18s %9s %9s %9s %9s %9s %9s\n", "kind", "source",
            dry_run ? "to add" : "written", "same", "conflict", "replaced",
            "left out");
    for (int k = 0; k < XPORTA_KIND_COUNT; k++) {
        xporta_import_counts c;
        xporta_job_import_counts(job, (xporta_kind)k, &c);
        if (!c.source)
            continue;
        fprintf(stderr, "  %-18s %9llu %9llu %9llu %9llu %9llu %9llu\n",
                xporta_kind_name((xporta_kind)k), (unsigned long long)c.source,
                (unsigned long long)(dry_run ? c.add : c.written),
                (unsigned long long)c.same, (unsigned long long)c.conflict,
                (unsigned long long)c.replace,
                (unsigned long long)(c.skip + c.not_restorable + c.failed));
    }
}

/* --users a,b,c */
static int add_users(xporta_job *job, const char *cmd, const char *list)
{
    char *copy = strdup(list), *save = NULL;
    int rc = copy ? 0 : EXIT_INTERNAL;
    for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t && !rc;
         t = strtok_r(NULL, ",", &save))
        if (xporta_job_add_user(job, t) != XPORTA_OK)
            rc = cli_usage_error(cmd, "bad --users entry '%s'", t);
    free(copy);
    return rc;
}

static int add_renames(xporta_job *job, const char *cmd, char **renames,
                       size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char from[1024];
        const char *eq = strchr(renames[i], '=');
        snprintf(from, sizeof from, "%.*s", (int)(eq - renames[i]), renames[i]);
        if (xporta_job_rename_host(job, from, eq + 1) != XPORTA_OK)
            return cli_usage_error(cmd, "bad --rename-host '%s'", renames[i]);
    }
    return 0;
}

struct srv_opts {
    struct common c;
    const char *users;
    char *renames[32];
    size_t nrenames;
    bool strip, force, json;
    const char *host;
    const char *output, *dialect;
};

/* 1 handled, 0 not ours, -1 bad (printed). */
static int srv_option(struct srv_opts *o, const char *cmd, int opt,
                      const char *arg)
{
    switch (opt) {
    case O_USERS:
        o->users = arg;
        return 1;
    case O_RENAME:
        if (o->nrenames == sizeof o->renames / sizeof o->renames[0]) {
            cli_usage_error(cmd, "too many --rename-host");
            return -1;
        }
        if (!strchr(arg, '=')) {
            cli_usage_error(cmd, "--rename-host takes OLD=NEW");
            return -1;
        }
        o->renames[o->nrenames++] = (char *)arg;
        return 1;
    case O_STRIP:
        o->strip = true;
        return 1;
    case O_HOST:
        o->host = arg;
        return 1;
    case O_JSON:
        o->json = true;
        return 1;
    default:
        return cli_common_option(&o->c, cmd, opt, arg);
    }
}

#define SRV_OPTIONS                                            \
    {"users", required_argument, NULL, O_USERS},               \
        {"rename-host", required_argument, NULL, O_RENAME},    \
        {"only-kinds", required_argument, NULL, O_ONLY},       \
        {"exclude-kinds", required_argument, NULL, O_EXCLUDE}, \
        {"strip-secrets", no_argument, NULL, O_STRIP},         \
        {"host", required_argument, NULL, O_HOST},             \
        {"json", no_argument, NULL, O_JSON},                   \
        {"quiet", no_argument, NULL, 'q'},                     \
        {"verbose", no_argument, NULL, 'v'},                   \
    {                                                          \
        "help", no_argument, NULL, 'h'                         \
    }

static int run(xporta_job *job, struct srv_opts *o, const char *cmd)
{
    struct srv_ui u = {.max_lines = o->c.max_lines,
                       .dry_run = o->c.dry_run,
                       .tty = isatty(STDERR_FILENO) != 0};
    if (o->json)
        cli_events_on(job);
    int rc = o->users ? add_users(job, cmd, o->users) : 0;
    if (!rc)
        rc = add_renames(job, cmd, o->renames, o->nrenames);
    if (!rc && o->host && xporta_job_set_domain(job, o->host) != XPORTA_OK)
        rc = cli_usage_error(cmd, "--host takes a domain ('%s' is not one)",
                             o->host);
    if (rc)
        return rc;
    uint32_t kinds = o->c.only ? o->c.only : (1u << XPORTA_KIND_COUNT) - 1;
    xporta_job_set_kinds(job, kinds & ~o->c.exclude);
    xporta_job_set_on_conflict(job, o->c.conflict);
    xporta_job_set_dry_run(job, o->c.dry_run);
    xporta_job_set_strip_secrets(job, o->strip);
    xporta_job_set_progress(job, on_progress, &u);
    xporta_job_set_account_cb(job, on_account, &u);
    xporta_job_set_action_cb(job, on_action, &u);
    if (o->c.state_dir && xporta_job_set_state_dir(job, o->c.state_dir))
        return EXIT_INTERNAL;
    double t0 = cli_now();
    xporta_status st = cli_run_cancellable(job);
    if (u.prog_on)
        cli_progress_end(&u.prog);
    if (u.hidden && cli_verbose >= 0)
        fprintf(stderr, "  (%lu more accounts: --max-lines N or -v)\n",
                u.hidden);
    uint64_t copied, failed, before;
    xporta_job_accounts(job, &copied, &failed, &before);
    if (st == XPORTA_OK || st == XPORTA_ESTANZA ||
        (failed && strcmp(cmd, "server-import") == 0)) {
        kinds_table(job, o->c.dry_run);
        char more[64] = "";
        if (before)
            snprintf(more, sizeof more, " (and %llu by an earlier run)",
                     (unsigned long long)before);
        if (cli_verbose >= 0)
            fprintf(stderr, "%s: %s: %llu accounts%s%s in %.1f s%s\n", cli_prog,
                    cmd, (unsigned long long)copied,
                    o->c.dry_run ? " planned" : "", more, cli_now() - t0,
                    o->c.dry_run ? "; dry run: nothing was changed" : "");
        uint64_t rooms, rooms_failed, rooms_before;
        xporta_job_server_rooms(job, &rooms, &rooms_failed, &rooms_before);
        if ((rooms || rooms_before || rooms_failed) && cli_verbose >= 0)
            fprintf(stderr,
                    "%s: %s: %llu rooms%s (%llu by an earlier run, %llu "
                    "left out)\n",
                    cli_prog, cmd, (unsigned long long)rooms,
                    o->c.dry_run ? " planned" : "",
                    (unsigned long long)rooms_before,
                    (unsigned long long)rooms_failed);
    }
    const char *other = xporta_job_note(job, XPORTA_KIND_OTHER);
    if (other && cli_verbose >= 0)
        cli_note("%s", other);
    const char *rnote = xporta_job_note(job, XPORTA_KIND_ROOM_CONFIG);
    if (rnote && cli_verbose >= 0)
        cli_note("%s", rnote);
    if (st != XPORTA_OK) {
        cli_error("%s", xporta_job_error(job));
        const char *dir = xporta_job_state_dir(job);
        if (dir && st == XPORTA_ECANCELED)
            cli_note("the job's journal is in %s; run the same command "
                     "again to resume",
                     dir);
    }
    int rc2 =
        st == XPORTA_EFORMAT && failed && strcmp(cmd, "server-import") == 0
            ? EXIT_PROBLEMS /* the others are in place */
            : cli_exit_code(st);
    return rc2;
}

int cmd_server_import(int argc, char **argv)
{
    static const struct option opts[] = {
        {"dry-run", no_argument, NULL, 'n'},
        {"on-conflict", required_argument, NULL, O_CONFLICT},
        {"state-dir", required_argument, NULL, O_STATE},
        {"max-lines", required_argument, NULL, O_MAX_LINES},
        SRV_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    struct srv_opts o;
    memset(&o, 0, sizeof o);
    cli_common_init(&o.c);
    int opt, rc;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "nqvh", opts, NULL)) != -1) {
        if (opt == 'h') {
            fputs(import_help, stdout);
            fputs(stores_help, stdout);
            fputs(import_options, stdout);
            return EXIT_OK;
        }
        if (opt == '?')
            return cli_bad_option("server-import", argv, "nqvh");
        rc = srv_option(&o, "server-import", opt, optarg);
        if (rc < 0)
            return EXIT_USAGE;
        if (rc == 0)
            return cli_usage_error("server-import", "unknown option");
    }
    if (argc - optind != 2)
        return cli_usage_error("server-import", "expected SOURCE STORE");
    xporta_job *job = NULL;
    if (xporta_server_import_new(&job, argv[optind], argv[optind + 1]) !=
        XPORTA_OK)
        return EXIT_INTERNAL;
    rc = run(job, &o, "server-import");
    xporta_job_free(job);
    return rc;
}

int cmd_server_export(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, O_OUTPUT},
        {"dialect", required_argument, NULL, O_DIALECT},
        {"force", no_argument, NULL, 'f'},
        SRV_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    struct srv_opts o;
    memset(&o, 0, sizeof o);
    cli_common_init(&o.c);
    int opt, rc;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "o:fqvh", opts, NULL)) != -1) {
        if (opt == 'h') {
            fputs(export_help, stdout);
            fputs(stores_help, stdout);
            fputs(export_options, stdout);
            return EXIT_OK;
        }
        if (opt == '?')
            return cli_bad_option("server-export", argv, "o:fqvh");
        if (opt == O_OUTPUT) {
            if (o.output)
                return cli_usage_error("server-export", "-o given twice");
            o.output = optarg;
            continue;
        }
        if (opt == O_DIALECT) {
            o.dialect = optarg;
            continue;
        }
        if (opt == 'f') {
            o.force = true;
            continue;
        }
        rc = srv_option(&o, "server-export", opt, optarg);
        if (rc < 0)
            return EXIT_USAGE;
        if (rc == 0)
            return cli_usage_error("server-export", "unknown option");
    }
    if (argc - optind != 1 || !o.output)
        return cli_usage_error("server-export", "expected STORE -o FILE");
    xporta_dialect d = XPORTA_DIALECT_STANDARD;
    if (o.dialect && xporta_dialect_from_name(o.dialect, &d) != XPORTA_OK)
        return cli_usage_error("server-export", "unknown dialect '%s'",
                               o.dialect);
    if (!o.force && access(o.output, F_OK) == 0) {
        cli_error("%s exists (-f to replace it)", o.output);
        return EXIT_IO;
    }
    xporta_job *job = NULL;
    if (xporta_server_export_new(&job, argv[optind], o.output, d) != XPORTA_OK)
        return EXIT_INTERNAL;
    rc = run(job, &o, "server-export");
    xporta_job_free(job);
    return rc;
}
