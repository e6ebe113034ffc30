/*
 * xporta: move XMPP accounts between servers without losing anything.
 *
 * One row per subcommand; each lives in cmd_<name>.c and parses its own
 * options (git's command table).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"check", cmd_check,
     "validate XEP-0227 files (file:line:col for each problem)"},
    {"stats", cmd_stats, "count what XEP-0227 files hold, per host and user"},
    {"convert", cmd_convert,
     "filter, merge, split and translate XEP-0227 files between dialects"},
    {"diff", cmd_diff,
     "compare two XEP-0227 files record by record (ignoring server noise)"},
    {"export", cmd_export,
     "copy a live account, history included, into a XEP-0227 file"},
    {"import", cmd_import,
     "put a XEP-0227 file's data into a live account (plan, resume, verify)"},
    {"migrate", cmd_migrate,
     "copy a live account into another in one step, verified"},
    {"announce", cmd_announce,
     "tell your contacts you moved (XEP-0283): they can follow"},
    {"follow-moves", cmd_follow,
     "follow contacts who moved, after checking their statement"},
    {"rooms", cmd_rooms,
     "group chats follow: your new address gets your powers in your rooms"},
    {"room-move", cmd_room_move,
     "take a room you own to your new server (configuration, members)"},
    {"server-export", cmd_server_export,
     "a server's own storage (every account, history included) to a file"},
    {"server-import", cmd_server_import,
     "every account of a file or store into a server's own storage"},
    {"serve", cmd_serve,
     "the web migrator on 127.0.0.1: move, download, import in a browser"},
    {"history", cmd_history,
     "a XEP-0227 file's messages as web pages, readable offline"},
};

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: %s COMMAND [OPTIONS] [ARGS]\n"
            "\n"
            "Move XMPP accounts between servers with nothing lost: XEP-0227\n"
            "(urn:xmpp:pie:0) files in the Prosody and ejabberd dialects.\n"
            "\n"
            "Commands:\n",
            cli_prog);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-13s %s\n", commands[i].name, commands[i].summary);
    fprintf(out,
            "\n"
            "Start here (moving one account to a new server):\n"
            "  1. create the new account on the new server;\n"
            "  2. %s migrate OLD@old.example NEW@new.example --dry-run\n"
            "     reads both accounts and shows the plan; changes nothing;\n"
            "  3. %s migrate OLD@old.example NEW@new.example \\\n"
            "         --backup me.xml --announce\n"
            "     copies, verifies, keeps a complete backup (history\n"
            "     included) and tells your contacts where you went.\n"
            "Just a backup: %s export ME@example.org -o me.xml\n"
            "\n"
            "Options:\n"
            "  -h, --help     this text\n"
            "  -V, --version  the versions of xporta and of the libraries it\n"
            "                 runs with (libstrophe, expat, OpenSSL)\n"
            "\n"
            "'%s COMMAND --help' explains a command; 'man xporta' has it all.\n"
            "Exit codes: 0 ok, 1 problems found, 2 usage, 3 bad input, 4 I/O,\n"
            "5 network, 6 authentication, 7 server refused, 8 locked,\n"
            "9 conflict, 10 interrupted (run again to resume), 70 internal.\n",
            cli_prog, cli_prog, cli_prog, cli_prog);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
        strcmp(cmd, "help") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        /* The command's version, then the library's and those it runs
         * with (the library may be a shared one of another version). */
        printf("xporta %s\n%s", XPORTA_VERSION, xporta_version_string());
        return EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(cmd, commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "%s: '%s' is not a command.\n\n", cli_prog, cmd);
    usage(stderr);
    return EXIT_USAGE;
}
