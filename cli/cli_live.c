/* What the live-account commands share: options, progress, the job
 * runner (cli_live.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli_live.h"

static void verify_table(xporta_job *job);

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
    if (u->verify_due && p->step &&
        (strcmp(p->step, "announce") == 0 || strcmp(p->step, "rooms") == 0)) {
        /* migrate's rooms and --announce: the copy's verification comes
         * first. */
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

/* 1: handled; 0: not a common option; -1: bad value (printed). */
int cli_common_option(struct common *c, const char *cmd, int opt,
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
    case O_EVENTS:
        c->json = true;
        return 1;
    default:
        return 0;
    }
}

void cli_common_apply(const struct common *c, xporta_job *job)
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
bool cli_same_account(const char *a, const char *b)
{
    return strcasecmp(a, b) == 0;
}

/* 1: an option of the pair; 0: not; -1: bad value (printed). */
int cli_pair_option(struct cli_account *old_acct, struct cli_account *new_acct,
                    const char *cmd, int opt, const char *arg)
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

void cli_pair_init(struct cli_account *old_acct, struct cli_account *new_acct)
{
    cli_account_init(old_acct);
    cli_account_init(new_acct);
    old_acct->env = "XPORTA_OLD_PASSWORD";
    new_acct->env = "XPORTA_NEW_PASSWORD";
}

int cli_moved_option(struct moved_opts *m, const char *cmd, int opt,
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

/* `follow`: the counts of follow-moves, else those of announce (a
 * follow-moves run that found no request has nothing in either). */
static void moved_summary(xporta_job *job, bool follow)
{
    if (cli_verbose < 0)
        return;
    xporta_moved_counts m;
    xporta_job_moved_counts(job, &m);
    if (follow)
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

/* announce and follow-moves: progress and a line per contact, then the
 * counts. */
xporta_status cli_run_moved_job(xporta_job *job, bool follow, bool json)
{
    struct ui u;
    memset(&u, 0, sizeof u);
    u.job = job;
    u.tty = isatty(STDERR_FILENO) != 0;
    if (json)
        cli_events_on(job);
    xporta_job_set_progress(job, on_progress, &u);
    xporta_job_set_contact_cb(job, on_contact, &u);
    xporta_status st = cli_run_cancellable(job);
    clear_live(&u);
    moved_summary(job, follow);
    return st;
}
/* Runs a prepared import or migrate job and reports; returns the exit
 * code. */
int cli_run_job(xporta_job *job, const struct common *c, const char *what)
{
    struct ui u;
    memset(&u, 0, sizeof u);
    u.job = job;
    u.tty = isatty(STDERR_FILENO) != 0;
    u.dry_run = c->dry_run;
    u.verify_due = !c->dry_run && !c->no_verify;
    u.max_lines = c->max_lines;
    u.last_kind = XPORTA_KIND_COUNT;
    if (c->json)
        cli_events_on(job);
    xporta_job_set_progress(job, on_progress, &u);
    xporta_job_set_action_cb(job, on_action, &u);
    xporta_job_set_contact_cb(job, on_contact, &u);
    if (c->state_dir && xporta_job_set_state_dir(job, c->state_dir))
        return EXIT_INTERNAL;

    double t0 = cli_now();
    xporta_status st = cli_run_cancellable(job);
    clear_live(&u);
    if (u.hidden && cli_verbose >= 0)
        fprintf(stderr, "  (%lu more lines: --max-lines N or -v)\n", u.hidden);
    bool ran =
        st == XPORTA_OK || st == XPORTA_ESTANZA || st == XPORTA_ECONFLICT;
    if (ran && c->dry_run) {
        plan_table(&u);
        cli_rooms_summary(job);
        if (cli_verbose >= 0)
            fprintf(stderr, "%s: dry run: nothing was changed\n", cli_prog);
    } else if (ran) {
        if (!u.plan_shown)
            plan_table(&u);
        if (!c->no_verify && !u.verify_shown)
            verify_table(job);
        cli_rooms_summary(job);
        xporta_moved_counts m;
        xporta_job_moved_counts(job, &m);
        if (m.moved + m.asked + m.already + m.skipped + m.earlier + m.bounced)
            moved_summary(job, false);
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

void cli_common_init(struct common *c)
{
    memset(c, 0, sizeof *c);
    c->parallel = 4;
    c->max_lines = 10;
}
