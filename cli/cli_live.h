/* The commands that run jobs on live accounts (import, migrate, announce,
 * follow-moves): their shared options, progress display and job runner
 * (cli_live.c). */
#ifndef XPORTA_CLI_LIVE_H
#define XPORTA_CLI_LIVE_H

#include <getopt.h>

#include "cli.h"
#include "cli_events.h"

/* getopt codes of the long options without a short form. */
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
    O_NO_ROOMS,
    O_NOTIFY,
    O_ROOM,
    O_DESTROY_OLD,
    O_MAP,
    O_EVENTS, /* --json */
    /* migrate: the account options of OLD (base + CLI_OPT_x - CLI_OPT_HOST)
     * and NEW */
    O_OLD_BASE = 1100,
    O_NEW_BASE = 1200,
};

/* The options of import and migrate (COMMON_OPTIONS). */
struct common {
    xporta_conflict conflict;
    uint32_t only, exclude;
    unsigned include;
    bool dry_run, no_verify;
    const char *state_dir;
    unsigned parallel;
    unsigned max_lines;
    bool json;
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
        {"json", no_argument, NULL, O_EVENTS},                 \
        {"quiet", no_argument, NULL, 'q'},                     \
        {"verbose", no_argument, NULL, 'v'},                   \
    {                                                          \
        "help", no_argument, NULL, 'h'                         \
    }

void cli_common_init(struct common *c);
/* 1: handled; 0: not a common option; -1: bad value (printed). */
int cli_common_option(struct common *c, const char *cmd, int opt,
                      const char *arg);
void cli_common_apply(const struct common *c, xporta_job *job);

/* OLD and NEW name one account. */
bool cli_same_account(const char *a, const char *b);

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
int cli_pair_option(struct cli_account *old_acct, struct cli_account *new_acct,
                    const char *cmd, int opt, const char *arg);
void cli_pair_init(struct cli_account *old_acct, struct cli_account *new_acct);

struct moved_opts {
    bool announce;
    xporta_moved_access access;
    unsigned rate;
};

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

/* 1: handled; 0: not a Moved option; -1: bad value (printed). */
int cli_moved_option(struct moved_opts *m, const char *cmd, int opt,
                     const char *arg);

/* Runs an import or migrate job: progress, the plan and verify tables, a
 * closing line (with `what`, "import" or "migrate"); returns the exit
 * code. */
int cli_run_job(xporta_job *job, const struct common *c, const char *what);
/* Runs an announce or follow-moves job (`follow`): progress, a line per
 * contact, the counts.  Ctrl-C cancels cleanly. */
/* `json`: the events on stdout instead (--json). */
xporta_status cli_run_moved_job(xporta_job *job, bool follow, bool json);

/* Group chats (cmd_rooms.c): the options migrate shares with rooms. */
struct rooms_opts {
    bool off, notify;
    const char *v[64];
    size_t n;
};
#define ROOMS_OPTIONS                                   \
    {"no-rooms", no_argument, NULL, O_NO_ROOMS},        \
        {"notify-owners", no_argument, NULL, O_NOTIFY}, \
    {                                                   \
        "room", required_argument, NULL, O_ROOM         \
    }
/* 1: handled; 0: not a rooms option; -1: bad value (printed). */
int cli_rooms_option(struct rooms_opts *r, const char *cmd, int opt,
                     const char *arg);
/* Gives the job the options and the room printer; an exit code. */
int cli_rooms_apply(const struct rooms_opts *r, const char *cmd,
                    xporta_job *job);
void cli_room_line(void *ud, const char *room, const char *affiliation,
                   xporta_room_outcome o, const char *owners, const char *why);
/* The counts, when rooms were looked at. */
void cli_rooms_summary(const xporta_job *job);

#endif
