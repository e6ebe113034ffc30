/* xporta announce and xporta follow-moves: XEP-0283 Moved. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli_live.h"

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
    "  -q, --quiet             only errors and bounces\n" CLI_JSON_HELP
    "  -h, --help              this text\n"
    "\n" PAIR_HELP "\n"
    "Exit status: 0 done; 7 a server refused the statement or some requests\n"
    "bounced (listed; run again to retry them); 10 interrupted.\n"
    "\n" CLI_EV_HEAD CLI_EV_START CLI_EV_PROGRESS CLI_EV_CONTACT CLI_EV_SUMMARY
        CLI_EV_SUMMARY_END CLI_EV_SUMMARY_CONTACTS;

int cmd_announce(int argc, char **argv)
{
    static const struct option opts[] = {
        {"moved-access", required_argument, NULL, O_ACCESS},
        {"rate", required_argument, NULL, O_RATE},
        {"state-dir", required_argument, NULL, O_STATE},
        {"json", no_argument, NULL, O_EVENTS},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        PAIR_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    struct cli_account old_acct, new_acct;
    struct moved_opts mo = {true, XPORTA_MOVED_CONTACTS, 0};
    const char *state_dir = NULL;
    bool json = false;
    int opt, rc;
    cli_pair_init(&old_acct, &new_acct);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "qvh", opts, NULL)) != -1) {
        rc = cli_pair_option(&old_acct, &new_acct, "announce", opt, optarg);
        if (rc == 0)
            rc = cli_moved_option(&mo, "announce", opt, optarg);
        if (rc < 0)
            return EXIT_USAGE;
        if (rc > 0)
            continue;
        switch (opt) {
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
            fputs(announce_help, stdout);
            return EXIT_OK;
        default:
            return cli_usage_error("announce", "unknown option");
        }
    }
    if (argc - optind != 2)
        return cli_usage_error("announce", "expected OLD NEW (two accounts)");
    if (cli_same_account(argv[optind], argv[optind + 1]))
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
    xporta_status st = cli_run_moved_job(job, false, json);
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
    "  -q, --quiet             only errors\n" CLI_JSON_HELP
    "  -h, --help              this text\n"
    "\n" CLI_ACCOUNT_HELP "\n" CLI_EV_HEAD CLI_EV_START CLI_EV_PROGRESS
        CLI_EV_CONTACT CLI_EV_SUMMARY CLI_EV_SUMMARY_END CLI_EV_SUMMARY_CONTACTS
    "            (with --watch, Ctrl-C ends it: ok, exit 0)\n";

int cmd_follow(int argc, char **argv)
{
    static const struct option opts[] = {
        {"watch", no_argument, NULL, O_WATCH},
        {"remove-old", no_argument, NULL, O_REMOVE_OLD},
        {"json", no_argument, NULL, O_EVENTS},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        CLI_ACCOUNT_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    struct cli_account acct;
    bool watch = false, remove_old = false, json = false;
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
        case O_EVENTS:
            json = true;
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
    xporta_status st = cli_run_moved_job(job, true, json);
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
