/* xporta import and xporta migrate: plan, write, verify. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

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
    "                          (default 10; -v lists all)\n"                  \
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
    "                          several (user@host as in the file)\n"
    "  --rename-host OLD=NEW   also rewrite contacts on host OLD to NEW\n"
    "                          (when the whole server moves)\n" PLAN_OPTIONS
    "\n" CLI_ACCOUNT_HELP "\n"
    "Exit status: 0 done and verified; 7 the server refused some records\n"
    "(listed; the rest is in place; run again to retry them); 9 verify\n"
    "found differences; 10 interrupted (run again to resume).\n";

static const char migrate_help[] =
    "Usage: xporta migrate [OPTIONS] OLD NEW\n"
    "\n"
    "Copy a live account (OLD, user@domain) into another (NEW) in one step:\n"
    "export OLD, import into NEW, verify.  With --backup FILE, the export\n"
    "is also kept as a complete XEP-0227 file (history included), for a\n"
    "server-side import or your records.  With --announce, once the copy\n"
    "is verified, the move is announced (see xporta announce --help).\n"
    "\n" PLAN_HELP "\n"
    "Options:\n"
    "  --backup FILE           keep the export of OLD in FILE (mode 0600)\n"
    "  --announce              then announce the move (XEP-0283): OLD says\n"
    "                          where it went, NEW asks the contacts\n"
    "  --moved-access WHO      contacts (default), presence or open; see\n"
    "                          xporta announce --help\n"
    "  --rate N                subscription stanzas per minute (30)\n"
    "  -f, --force             with --backup: replace FILE if it "
    "exists\n" PLAN_OPTIONS "\n"
    "Connection (OLD and NEW each):\n"
    "  --old-host HOST, --new-host HOST    connect there instead of SRV\n"
    "  --old-port PORT, --new-port PORT    with the host; default 5222\n"
    "  --old-cafile FILE, --new-cafile FILE  also trust this CA (PEM)\n"
    "  --cafile FILE           the same CA for both\n"
    "  --old-password-file FILE, --new-password-file FILE\n"
    "  --insecure              do not verify certificates (dangerous)\n"
    "Passwords come from the password files, else XPORTA_OLD_PASSWORD and\n"
    "XPORTA_NEW_PASSWORD, else prompts; never from the command line.  TLS\n"
    "is always required.\n"
    "\n"
    "Exit status as for xporta import.\n";

static xporta_job *running_job;
static void verify_table(xporta_job *job);

static void on_signal(int sig)
{
    (void)sig;
    xporta_job_cancel(running_job);
}

struct ui {
    xporta_job *job;
    bool tty;
    bool live;       /* a \r progress line is on screen */
    bool plan_shown; /* the plan table was printed */
    bool dry_run;
    bool verify_due;       /* the verify table is to be shown */
    bool verify_shown;     /* ... and was, before migrate --announce began */
    xporta_kind last_kind; /* the export's last kind line */
    unsigned max_lines;
    unsigned shown[XPORTA_KIND_COUNT][XPORTA_ACTION_DIFFERS + 1];
    unsigned long hidden;
};

static void clear_live(struct ui *u)
{
    if (u->live) {
        fputs("\r\033[K", stderr);
        u->live = false;
    }
}

static const char *action_name(xporta_action a)
{
    switch (a) {
    case XPORTA_ACTION_ADD:
        return "add";
    case XPORTA_ACTION_REPLACE:
        return "replace";
    case XPORTA_ACTION_SAME:
        return "same";
    case XPORTA_ACTION_CONFLICT:
        return "conflict";
    case XPORTA_ACTION_SKIP:
        return "skip";
    case XPORTA_ACTION_FAILED:
        return "FAILED";
    case XPORTA_ACTION_MISSING:
        return "MISSING";
    case XPORTA_ACTION_DIFFERS:
        return "DIFFERS";
    }
    return "?";
}

static void on_action(void *ud, xporta_action a, xporta_kind k, const char *key,
                      const char *id, const char *why)
{
    struct ui *u = ud;
    if (cli_verbose < 0)
        return;
    /* The plan in full for a dry run or -v; otherwise what needs a look. */
    bool listed =
        a >= XPORTA_ACTION_FAILED || cli_verbose > 0 ||
        (a != XPORTA_ACTION_SAME && (u->dry_run || a != XPORTA_ACTION_ADD));
    if (!listed)
        return;
    if (cli_verbose <= 0 && u->shown[k][a]++ >= u->max_lines) {
        u->hidden++;
        return;
    }
    clear_live(u);
    fprintf(stderr, "  %-8s %-16s %s%s%s%s%s%s\n", action_name(a),
            xporta_kind_name(k), key, id ? " [" : "", id ? id : "",
            id ? "]" : "", why ? ": " : "", why ? why : "");
}

static void plan_table(const struct ui *u)
{
    if (cli_verbose < 0)
        return;
    fprintf(stderr, "\n  %-18s %7s %7s %7s %7s %8s %7s\n", "kind", "source",
            "add", "replace", "same", "conflict", "skip");
    for (int k = 0; k < XPORTA_KIND_COUNT; k++) {
        xporta_import_counts c;
        xporta_job_import_counts(u->job, (xporta_kind)k, &c);
        if (!c.source || c.not_restorable)
            continue;
        fprintf(stderr, "  %-18s %7llu %7llu %7llu %7llu %8llu %7llu\n",
                xporta_kind_name((xporta_kind)k), (unsigned long long)c.source,
                (unsigned long long)c.add, (unsigned long long)c.replace,
                (unsigned long long)c.same, (unsigned long long)c.conflict,
                (unsigned long long)c.skip);
    }
    bool header = false;
    for (int k = 0; k < XPORTA_KIND_COUNT; k++) {
        xporta_import_counts c;
        xporta_job_import_counts(u->job, (xporta_kind)k, &c);
        if (!c.not_restorable)
            continue;
        if (!header)
            fprintf(stderr, "  not restorable by a client (kept in the "
                            "file):\n");
        header = true;
        const char *note = xporta_job_note(u->job, (xporta_kind)k);
        fprintf(stderr, "  %-18s %7llu   %s\n",
                xporta_kind_name((xporta_kind)k),
                (unsigned long long)c.not_restorable, note ? note : "");
    }
    for (int k = 0; k < XPORTA_KIND_COUNT; k++) {
        xporta_kind_state s = xporta_job_state(u->job, (xporta_kind)k);
        const char *note = xporta_job_note(u->job, (xporta_kind)k);
        if (s == XPORTA_STATE_UNAVAILABLE && note)
            fprintf(stderr, "  %s: %s\n", xporta_kind_name((xporta_kind)k),
                    note);
    }
    fputc('\n', stderr);
}

static void on_progress(const xporta_progress *p, void *ud)
{
    struct ui *u = ud;
    if (cli_verbose < 0)
        return;
    bool export = p->step && strcmp(p->step, "export") == 0;
    if (u->verify_due && p->step && strcmp(p->step, "announce") == 0) {
        /* migrate --announce: the copy's verification comes first. */
        clear_live(u);
        verify_table(u->job);
        u->verify_due = false;
        u->verify_shown = true;
    }
    if (strcmp(p->phase, "connect") == 0) {
        clear_live(u);
        fprintf(stderr, "connecting to %s...\n", p->message ? p->message : "");
        return;
    }
    if (strcmp(p->phase, "watch") == 0 || strcmp(p->phase, "statement") == 0) {
        clear_live(u);
        if (strcmp(p->phase, "statement") == 0)
            fprintf(stderr,
                    "publishing the moved statement (new address "
                    "%s)...\n",
                    p->message ? p->message : "");
        else
            fprintf(stderr, "%s\n", p->message ? p->message : "");
        return;
    }
    if (export) {
        if (p->kind == XPORTA_KIND_ARCHIVE && p->fraction < 1) {
            if (u->tty) {
                fprintf(stderr, "\rexport: archive: %llu messages\033[K",
                        (unsigned long long)p->done);
                u->live = true;
            }
            return;
        }
        if (p->kind == XPORTA_KIND_COUNT || p->fraction < 1 ||
            u->last_kind == p->kind)
            return;
        u->last_kind = p->kind;
        clear_live(u);
        fprintf(stderr, "export: %s: %llu%s%s\n", p->phase,
                (unsigned long long)p->done, p->message ? ", " : "",
                p->message ? p->message : "");
        return;
    }
    if (strcmp(p->phase, "read") == 0) {
        if (u->tty && p->fraction >= 0 && p->fraction < 1) {
            fprintf(stderr, "\rreading %s: %.0f%%\033[K",
                    p->message ? p->message : "", p->fraction * 100);
            u->live = true;
        }
        return;
    }
    if (strcmp(p->phase, "target") == 0 || strcmp(p->phase, "verify") == 0) {
        clear_live(u);
        fprintf(stderr, "%s %s...\n",
                strcmp(p->phase, "target") == 0 ? "reading" : "verifying",
                p->message ? p->message : "the target");
        return;
    }
    if (strcmp(p->phase, "write") == 0) {
        if (!u->plan_shown) {
            u->plan_shown = true;
            clear_live(u);
            plan_table(u);
        }
        if (p->fraction >= 1) {
            uint64_t written = 0, failed = 0;
            for (int k = 0; k < XPORTA_KIND_COUNT; k++) {
                xporta_import_counts c;
                xporta_job_import_counts(u->job, (xporta_kind)k, &c);
                written += c.written;
                failed += c.failed;
            }
            clear_live(u);
            fprintf(stderr, "wrote %llu records", (unsigned long long)written);
            if (failed)
                fprintf(stderr, " (%llu refused)", (unsigned long long)failed);
            if (p->rate > 0 && p->total)
                fprintf(stderr, ", %.0f/s", p->rate);
            fputc('\n', stderr);
        } else if (u->tty && p->total) {
            fprintf(stderr, "\rwriting: %llu/%llu (%.0f%%), %.0f/s\033[K",
                    (unsigned long long)p->done, (unsigned long long)p->total,
                    p->fraction * 100, p->rate);
            u->live = true;
        }
    }
}

static void verify_table(xporta_job *job)
{
    if (cli_verbose < 0)
        return;
    fprintf(stderr, "\n  %-18s %7s %7s %7s %7s %7s %7s  %s\n", "verify",
            "written", "failed", "same", "kept", "missing", "differs",
            "target's own");
    for (int k = 0; k < XPORTA_KIND_COUNT; k++) {
        xporta_import_counts c;
        xporta_job_import_counts(job, (xporta_kind)k, &c);
        if (!c.source || c.not_restorable)
            continue;
        fprintf(stderr, "  %-18s %7llu %7llu %7llu %7llu %7llu %7llu  %llu\n",
                xporta_kind_name((xporta_kind)k), (unsigned long long)c.written,
                (unsigned long long)c.failed, (unsigned long long)c.verified,
                (unsigned long long)c.kept, (unsigned long long)c.missing,
                (unsigned long long)c.differs,
                (unsigned long long)c.target_only);
    }
    fputc('\n', stderr);
}

struct common {
    xporta_conflict conflict;
    uint32_t only, exclude;
    unsigned include;
    bool dry_run, no_verify;
    const char *state_dir;
    unsigned parallel;
    unsigned max_lines;
};

enum {
    O_DRY = 256,
    O_CONFLICT,
    O_ONLY,
    O_EXCLUDE,
    O_OMEMO,
    O_MOVED,
    O_NO_VERIFY,
    O_STATE,
    O_PARALLEL,
    O_MAX_LINES,
    O_USER,
    O_RENAME,
    O_BACKUP,
    O_ANNOUNCE,
    O_ACCESS,
    O_RATE,
    O_WATCH,
    O_REMOVE_OLD,
    /* migrate: the account options of OLD (base + CLI_OPT_x - CLI_OPT_HOST)
     * and NEW */
    O_OLD_BASE = 1100,
    O_NEW_BASE = 1200,
};

#define COMMON_OPTIONS                                         \
    {"dry-run", no_argument, NULL, 'n'},                       \
        {"on-conflict", required_argument, NULL, O_CONFLICT},  \
        {"only-kinds", required_argument, NULL, O_ONLY},       \
        {"exclude-kinds", required_argument, NULL, O_EXCLUDE}, \
        {"include-omemo", no_argument, NULL, O_OMEMO},         \
        {"include-moved", no_argument, NULL, O_MOVED},         \
        {"no-verify", no_argument, NULL, O_NO_VERIFY},         \
        {"state-dir", required_argument, NULL, O_STATE},       \
        {"parallel", required_argument, NULL, O_PARALLEL},     \
        {"max-lines", required_argument, NULL, O_MAX_LINES},   \
        {"quiet", no_argument, NULL, 'q'},                     \
        {"verbose", no_argument, NULL, 'v'},                   \
    {                                                          \
        "help", no_argument, NULL, 'h'                         \
    }

/* 1: handled; 0: not a common option; -1: bad value (printed). */
static int common_option(struct common *c, const char *cmd, int opt,
                         const char *arg)
{
    char *end;
    long n;
    switch (opt) {
    case 'n':
        c->dry_run = true;
        return 1;
    case O_CONFLICT:
        if (strcmp(arg, "keep") == 0)
            c->conflict = XPORTA_CONFLICT_KEEP;
        else if (strcmp(arg, "replace") == 0)
            c->conflict = XPORTA_CONFLICT_REPLACE;
        else
            return cli_usage_error(cmd, "--on-conflict takes keep or replace"),
                   -1;
        return 1;
    case O_ONLY:
        return cli_parse_kinds(cmd, arg, &c->only) ? -1 : 1;
    case O_EXCLUDE:
        return cli_parse_kinds(cmd, arg, &c->exclude) ? -1 : 1;
    case O_OMEMO:
        c->include |= XPORTA_INCLUDE_OMEMO;
        return 1;
    case O_MOVED:
        c->include |= XPORTA_INCLUDE_MOVED;
        return 1;
    case O_NO_VERIFY:
        c->no_verify = true;
        return 1;
    case O_STATE:
        c->state_dir = arg;
        return 1;
    case O_PARALLEL:
        n = strtol(arg, &end, 10);
        if (*end || n < 1 || n > 16)
            return cli_usage_error(cmd, "--parallel takes 1 to 16"), -1;
        c->parallel = (unsigned)n;
        return 1;
    case O_MAX_LINES:
        n = strtol(arg, &end, 10);
        if (*end || n < 0)
            return cli_usage_error(cmd, "--max-lines takes a number"), -1;
        c->max_lines = (unsigned)n;
        return 1;
    case 'q':
        cli_verbose = -1;
        return 1;
    case 'v':
        cli_verbose = 1;
        return 1;
    default:
        return 0;
    }
}

static void common_apply(const struct common *c, xporta_job *job)
{
    uint32_t kinds = c->only ? c->only : (1u << XPORTA_KIND_COUNT) - 1;
    xporta_job_set_kinds(job, kinds & ~c->exclude);
    xporta_job_set_on_conflict(job, c->conflict);
    xporta_job_set_include(job, c->include);
    xporta_job_set_dry_run(job, c->dry_run);
    xporta_job_set_verify(job, !c->no_verify);
    xporta_job_set_parallel(job, c->parallel);
}

/* OLD and NEW name one account (JIDs compare case-insensitively, as
 * servers fold them). */
static bool same_account(const char *a, const char *b)
{
    return strcasecmp(a, b) == 0;
}

/* The connection options of two accounts (migrate, announce). */
#define ACCOUNT_PAIR(prefix, base)                                \
    {prefix "host", required_argument, NULL, base},               \
        {prefix "port", required_argument, NULL, base + 1},       \
        {prefix "cafile", required_argument, NULL, base + 2},     \
    {                                                             \
        prefix "password-file", required_argument, NULL, base + 4 \
    }
#define PAIR_OPTIONS                                       \
    {"cafile", required_argument, NULL, CLI_OPT_CAFILE},   \
        {"insecure", no_argument, NULL, CLI_OPT_INSECURE}, \
        ACCOUNT_PAIR("old-", O_OLD_BASE), ACCOUNT_PAIR("new-", O_NEW_BASE)
#define PAIR_HELP                                                            \
    "Connection (OLD and NEW each):\n"                                       \
    "  --old-host HOST, --new-host HOST    connect there instead of SRV\n"   \
    "  --old-port PORT, --new-port PORT    with the host; default 5222\n"    \
    "  --old-cafile FILE, --new-cafile FILE  also trust this CA (PEM)\n"     \
    "  --cafile FILE           the same CA for both\n"                       \
    "  --old-password-file FILE, --new-password-file FILE\n"                 \
    "  --insecure              do not verify certificates (dangerous)\n"     \
    "Passwords come from the password files, else XPORTA_OLD_PASSWORD and\n" \
    "XPORTA_NEW_PASSWORD, else prompts; never from the command line.  TLS\n" \
    "is always required.\n"

/* 1: an option of the pair; 0: not; -1: bad value (printed). */
static int pair_option(struct cli_account *old_acct,
                       struct cli_account *new_acct, const char *cmd, int opt,
                       const char *arg)
{
    if (opt == CLI_OPT_CAFILE || opt == CLI_OPT_INSECURE) {
        cli_account_option(old_acct, cmd, opt, arg);
        cli_account_option(new_acct, cmd, opt, arg);
        return 1;
    }
    if (opt >= O_OLD_BASE && opt < O_OLD_BASE + 5)
        return cli_account_option(old_acct, cmd,
                                  opt - O_OLD_BASE + CLI_OPT_HOST, arg);
    if (opt >= O_NEW_BASE && opt < O_NEW_BASE + 5)
        return cli_account_option(new_acct, cmd,
                                  opt - O_NEW_BASE + CLI_OPT_HOST, arg);
    return 0;
}

static void pair_init(struct cli_account *old_acct,
                      struct cli_account *new_acct)
{
    cli_account_init(old_acct);
    cli_account_init(new_acct);
    old_acct->env = "XPORTA_OLD_PASSWORD";
    new_acct->env = "XPORTA_NEW_PASSWORD";
}

struct moved_opts {
    bool announce;
    xporta_moved_access access;
    unsigned rate;
};

static int moved_option(struct moved_opts *m, const char *cmd, int opt,
                        const char *arg)
{
    char *end;
    long n;
    switch (opt) {
    case O_ANNOUNCE:
        m->announce = true;
        return 1;
    case O_ACCESS:
        if (strcmp(arg, "contacts") == 0)
            m->access = XPORTA_MOVED_CONTACTS;
        else if (strcmp(arg, "presence") == 0)
            m->access = XPORTA_MOVED_PRESENCE;
        else if (strcmp(arg, "open") == 0)
            m->access = XPORTA_MOVED_OPEN;
        else
            return cli_usage_error(cmd, "--moved-access takes contacts, "
                                        "presence or open"),
                   -1;
        return 1;
    case O_RATE:
        n = strtol(arg, &end, 10);
        if (*end || n < 1 || n > 6000)
            return cli_usage_error(cmd, "--rate takes 1 to 6000 (requests "
                                        "per minute)"),
                   -1;
        m->rate = (unsigned)n;
        return 1;
    default:
        return 0;
    }
}

#define MOVED_HELP                                                            \
    "  --moved-access WHO      who may read where you went: contacts\n"       \
    "                          (default: the contacts who had approved the\n" \
    "                          old address, the ones who verify), presence\n" \
    "                          (XEP-0283's advice; on ejabberd 23.01 the\n"   \
    "                          contacts you did not follow back cannot\n"     \
    "                          verify) or open (for servers that verify\n"    \
    "                          moves themselves: Prosody's mod_auto_moved)\n" \
    "  --rate N                subscription stanzas per minute (default\n"    \
    "                          30; after a bounce for sending too fast,\n"    \
    "                          4: ejabberd allows 5 a minute by default)\n"

static const char *outcome_name(xporta_contact_outcome o)
{
    switch (o) {
    case XPORTA_CONTACT_MOVED:
        return "moved";
    case XPORTA_CONTACT_ASKED:
        return "asked";
    case XPORTA_CONTACT_ALREADY:
        return "already";
    case XPORTA_CONTACT_SKIPPED:
        return "skipped";
    case XPORTA_CONTACT_EARLIER:
        return "earlier";
    case XPORTA_CONTACT_BOUNCED:
        return "BOUNCED";
    case XPORTA_CONTACT_FOLLOWED:
        return "followed";
    case XPORTA_CONTACT_LEFT:
        return "left";
    case XPORTA_CONTACT_AGAIN:
        return "again";
    case XPORTA_CONTACT_APPROVED:
        return "approved";
    }
    return "?";
}

static void on_contact(void *ud, const char *jid, xporta_contact_outcome o,
                       const char *why)
{
    struct ui *u = ud;
    if (cli_verbose < 0 && o != XPORTA_CONTACT_BOUNCED)
        return;
    clear_live(u);
    fprintf(stderr, "  %-8s %s: %s\n", outcome_name(o), jid, why);
}

static void moved_summary(xporta_job *job)
{
    if (cli_verbose < 0)
        return;
    xporta_moved_counts m;
    xporta_job_moved_counts(job, &m);
    if (m.followed || m.left)
        fprintf(stderr,
                "%s: %llu move(s) followed, %llu request(s) left for "
                "you\n",
                cli_prog, (unsigned long long)m.followed,
                (unsigned long long)m.left);
    else
        fprintf(stderr,
                "%s: contacts asked: %llu with the moved notice, %llu "
                "without; %llu already asked or subscribed, %llu "
                "asked earlier, %llu with nothing to ask, %llu bounced; "
                "followers approved: %llu\n",
                cli_prog, (unsigned long long)m.moved,
                (unsigned long long)m.asked, (unsigned long long)m.already,
                (unsigned long long)m.earlier, (unsigned long long)m.skipped,
                (unsigned long long)m.bounced, (unsigned long long)m.approved);
}

/* Runs a prepared import or migrate job and reports; returns the exit
 * code. */
static int run_job(xporta_job *job, const struct common *c, const char *what)
{
    struct ui u;
    memset(&u, 0, sizeof u);
    u.job = job;
    u.tty = isatty(STDERR_FILENO) != 0;
    u.dry_run = c->dry_run;
    u.verify_due = !c->dry_run && !c->no_verify;
    u.max_lines = c->max_lines;
    u.last_kind = XPORTA_KIND_COUNT;
    xporta_job_set_progress(job, on_progress, &u);
    xporta_job_set_action_cb(job, on_action, &u);
    xporta_job_set_contact_cb(job, on_contact, &u);
    if (c->state_dir && xporta_job_set_state_dir(job, c->state_dir))
        return EXIT_INTERNAL;

    running_job = job;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    double t0 = cli_now();
    xporta_status st = xporta_job_run(job);
    running_job = NULL;
    clear_live(&u);
    if (u.hidden && cli_verbose >= 0)
        fprintf(stderr, "  (%lu more lines: --max-lines N or -v)\n", u.hidden);
    bool ran =
        st == XPORTA_OK || st == XPORTA_ESTANZA || st == XPORTA_ECONFLICT;
    if (ran && c->dry_run) {
        plan_table(&u);
        if (cli_verbose >= 0)
            fprintf(stderr, "%s: dry run: nothing was changed\n", cli_prog);
    } else if (ran) {
        if (!u.plan_shown)
            plan_table(&u);
        if (!c->no_verify && !u.verify_shown)
            verify_table(job);
        xporta_moved_counts m;
        xporta_job_moved_counts(job, &m);
        if (m.moved + m.asked + m.already + m.skipped + m.earlier + m.bounced)
            moved_summary(job);
        if (cli_verbose >= 0)
            fprintf(stderr, "%s: %s %s in %.1f s%s%s\n", cli_prog, what,
                    st == XPORTA_OK ? "done" : "finished with problems",
                    cli_now() - t0,
                    xporta_job_resumed(job) ? ", resuming an earlier run" : "",
                    st == XPORTA_OK && !c->no_verify
                        ? "; verified: every record is on the target"
                        : "");
    }
    if (st != XPORTA_OK) {
        cli_error("%s", xporta_job_error(job));
        const char *dir = xporta_job_state_dir(job);
        if (dir && (st == XPORTA_ECANCELED || st == XPORTA_ETIMEOUT ||
                    st == XPORTA_EDISCONNECTED || st == XPORTA_ENET))
            cli_note("the job's journal is in %s; run the same command "
                     "again to resume",
                     dir);
    }
    return cli_exit_code(st);
}

static void common_init(struct common *c)
{
    memset(c, 0, sizeof *c);
    c->parallel = 4;
    c->max_lines = 10;
}

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
    common_init(&c);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "nqvh", opts, NULL)) != -1) {
        rc = cli_account_option(&acct, "import", opt, optarg);
        if (rc == 0)
            rc = common_option(&c, "import", opt, optarg);
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
    common_apply(&c, job);
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
        rc = run_job(job, &c, "import");
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
        {NULL, 0, NULL, 0},
    };
    struct cli_account old_acct, new_acct;
    struct common c;
    struct moved_opts mo = {false, XPORTA_MOVED_CONTACTS, 0};
    const char *backup = NULL;
    bool force = false;
    int opt, rc;
    pair_init(&old_acct, &new_acct);
    common_init(&c);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "nfqvh", opts, NULL)) != -1) {
        rc = pair_option(&old_acct, &new_acct, "migrate", opt, optarg);
        if (rc == 0)
            rc = moved_option(&mo, "migrate", opt, optarg);
        if (rc == 0)
            rc = common_option(&c, "migrate", opt, optarg);
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
            return EXIT_OK;
        default:
            return cli_usage_error("migrate", "unknown option");
        }
    }
    if (argc - optind != 2)
        return cli_usage_error("migrate", "expected OLD NEW (two accounts)");
    const char *old_jid = argv[optind], *new_jid = argv[optind + 1];
    if (same_account(old_jid, new_jid))
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
    common_apply(&c, job);
    xporta_job_set_announce(job, mo.announce);
    xporta_job_set_moved_access(job, mo.access);
    xporta_job_set_rate(job, mo.rate);
    if (backup && !c.dry_run && xporta_job_set_backup(job, backup, force))
        rc = EXIT_INTERNAL;
    if (!rc)
        rc = run_job(job, &c, "migrate");
    xporta_job_free(job);
    xporta_account_free(from);
    xporta_account_free(to);
    return rc;
}

static const char announce_help[] =
    "Usage: xporta announce [OPTIONS] OLD NEW\n"
    "\n"
    "Tell your contacts that OLD moved to NEW (XEP-0283 Moved), after the\n"
    "data was copied (xporta migrate, which can also do this with\n"
    "--announce):\n"
    "  1. OLD publishes a moved statement naming NEW (PEP node\n"
    "     urn:xmpp:moved:1).  Keep OLD alive until your contacts followed.\n"
    "  2. NEW asks each contact of OLD for a subscription, as OLD had it:\n"
    "     contacts who had approved OLD (subscription to or both) get the\n"
    "     request with the moved notice, which their server or client can\n"
    "     verify against the statement and accept by itself (xporta\n"
    "     follow-moves does it for servers that do not); contacts who only\n"
    "     followed OLD (from) get a plain request;\n"
    "     contacts OLD had asked get a plain request.  Names and groups\n"
    "     come along.  What NEW already has is not asked again.\n"
    "  3. Contacts who followed OLD (from, both) and ask to follow NEW are\n"
    "     approved.  They ask when they accept the move, so run announce\n"
    "     again later (a day, a week): it approves those who asked since,\n"
    "     and asks nobody twice.\n"
    "Each contact is asked at most once: requests are journaled before\n"
    "they are sent, so an interrupted or repeated run never sends one\n"
    "twice.  Requests go out at --rate per minute; servers limit them\n"
    "(ejabberd: 5 a minute by default), and a request bounced for going\n"
    "too fast is sent again after a pause, slower.\n"
    "\n"
    "Options:\n" MOVED_HELP
    "  --state-dir DIR         where the journal is kept\n"
    "  -q, --quiet             only errors and bounces\n"
    "  -h, --help              this text\n"
    "\n" PAIR_HELP "\n"
    "Exit status: 0 done; 7 a server refused the statement or some requests\n"
    "bounced (listed; run again to retry them); 10 interrupted.\n";

int cmd_announce(int argc, char **argv)
{
    static const struct option opts[] = {
        {"moved-access", required_argument, NULL, O_ACCESS},
        {"rate", required_argument, NULL, O_RATE},
        {"state-dir", required_argument, NULL, O_STATE},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        PAIR_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    struct cli_account old_acct, new_acct;
    struct moved_opts mo = {true, XPORTA_MOVED_CONTACTS, 0};
    const char *state_dir = NULL;
    int opt, rc;
    pair_init(&old_acct, &new_acct);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "qvh", opts, NULL)) != -1) {
        rc = pair_option(&old_acct, &new_acct, "announce", opt, optarg);
        if (rc == 0)
            rc = moved_option(&mo, "announce", opt, optarg);
        if (rc < 0)
            return EXIT_USAGE;
        if (rc > 0)
            continue;
        switch (opt) {
        case O_STATE:
            state_dir = optarg;
            break;
        case 'q':
            cli_verbose = -1;
            break;
        case 'v':
            cli_verbose = 1;
            break;
        case 'h':
            fputs(announce_help, stdout);
            return EXIT_OK;
        default:
            return cli_usage_error("announce", "unknown option");
        }
    }
    if (argc - optind != 2)
        return cli_usage_error("announce", "expected OLD NEW (two accounts)");
    if (same_account(argv[optind], argv[optind + 1]))
        return cli_usage_error("announce", "OLD and NEW are the same account");
    xporta_account *from = NULL, *to = NULL;
    rc = cli_account_make(&old_acct, "announce", argv[optind], &from);
    if (rc)
        return rc;
    rc = cli_account_make(&new_acct, "announce", argv[optind + 1], &to);
    if (rc) {
        xporta_account_free(from);
        return rc;
    }
    xporta_job *job = NULL;
    if (xporta_announce_new(&job, from, to) != XPORTA_OK) {
        xporta_account_free(from);
        xporta_account_free(to);
        return EXIT_INTERNAL;
    }
    xporta_job_set_moved_access(job, mo.access);
    xporta_job_set_rate(job, mo.rate);
    if (state_dir)
        xporta_job_set_state_dir(job, state_dir);
    struct ui u;
    memset(&u, 0, sizeof u);
    u.job = job;
    u.tty = isatty(STDERR_FILENO) != 0;
    xporta_job_set_progress(job, on_progress, &u);
    xporta_job_set_contact_cb(job, on_contact, &u);
    running_job = job;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    xporta_status st = xporta_job_run(job);
    running_job = NULL;
    clear_live(&u);
    moved_summary(job);
    if (st != XPORTA_OK)
        cli_error("%s", xporta_job_error(job));
    rc = cli_exit_code(st);
    xporta_job_free(job);
    xporta_account_free(from);
    xporta_account_free(to);
    return rc;
}

static const char follow_help[] =
    "Usage: xporta follow-moves [OPTIONS] ACCOUNT\n"
    "\n"
    "Follow your contacts who moved to a new address (XEP-0283 Moved), for\n"
    "servers that do not do it themselves.  For each pending subscription\n"
    "request (and, with --watch, each one that arrives), xporta checks:\n"
    "  - the request names an old address (<moved/>), or one of your\n"
    "    contacts has published a moved statement naming the requester\n"
    "    (ejabberd drops the notice from requests stored while you were\n"
    "    offline);\n"
    "  - you had approved the old address (subscription from or both);\n"
    "  - the old address's statement, fetched now, names the requester.\n"
    "Only then is the new address approved, added with the old name and\n"
    "groups, and asked back if you were subscribed to the old one.\n"
    "Anything unverified stays pending for you to answer, and the reason\n"
    "is printed: nothing is accepted on an unverified claim.\n"
    "\n"
    "Options:\n"
    "  --watch                 keep running and handle requests as they\n"
    "                          arrive (Ctrl-C ends)\n"
    "  --remove-old            remove the old address from the roster once\n"
    "                          followed\n"
    "  -q, --quiet             only errors\n"
    "  -h, --help              this text\n"
    "\n" CLI_ACCOUNT_HELP;

int cmd_follow(int argc, char **argv)
{
    static const struct option opts[] = {
        {"watch", no_argument, NULL, O_WATCH},
        {"remove-old", no_argument, NULL, O_REMOVE_OLD},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        CLI_ACCOUNT_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    struct cli_account acct;
    bool watch = false, remove_old = false;
    int opt, rc;
    cli_account_init(&acct);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        rc = cli_account_option(&acct, "follow-moves", opt, optarg);
        if (rc < 0)
            return EXIT_USAGE;
        if (rc > 0)
            continue;
        switch (opt) {
        case O_WATCH:
            watch = true;
            break;
        case O_REMOVE_OLD:
            remove_old = true;
            break;
        case 'q':
            cli_verbose = -1;
            break;
        case 'h':
            fputs(follow_help, stdout);
            return EXIT_OK;
        default:
            return cli_usage_error("follow-moves", "unknown option");
        }
    }
    if (argc - optind != 1)
        return cli_usage_error("follow-moves", "expected one ACCOUNT");
    xporta_account *account = NULL;
    rc = cli_account_make(&acct, "follow-moves", argv[optind], &account);
    if (rc)
        return rc;
    xporta_job *job = NULL;
    if (xporta_follow_new(&job, account) != XPORTA_OK) {
        xporta_account_free(account);
        return EXIT_INTERNAL;
    }
    xporta_job_set_watch(job, watch);
    xporta_job_set_remove_old(job, remove_old);
    struct ui u;
    memset(&u, 0, sizeof u);
    u.job = job;
    u.tty = isatty(STDERR_FILENO) != 0;
    xporta_job_set_progress(job, on_progress, &u);
    xporta_job_set_contact_cb(job, on_contact, &u);
    running_job = job;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    xporta_status st = xporta_job_run(job);
    running_job = NULL;
    clear_live(&u);
    moved_summary(job);
    /* --watch ends with Ctrl-C: that is its normal end. */
    if (st == XPORTA_ECANCELED && watch)
        st = XPORTA_OK;
    if (st != XPORTA_OK)
        cli_error("%s", xporta_job_error(job));
    rc = cli_exit_code(st);
    xporta_job_free(job);
    xporta_account_free(account);
    return rc;
}
