/* xporta history: a XEP-0227 file's messages as web pages, readable
 * offline. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char help[] =
    "Usage: xporta history [OPTIONS] FILE -o DIR\n"
    "\n"
    "Write the messages of a XEP-0227 file (each account's archive and\n"
    "offline messages, and the history of the rooms it holds) as web pages\n"
    "in DIR that any browser opens from disk, offline, years from now:\n"
    "  DIR/index.html          every account's contacts, with their counts\n"
    "                          and months\n"
    "  DIR/aN/cM.html          one contact's months\n"
    "  DIR/aN/cM-YYYY-MM.html  one month of one conversation, by day\n"
    "  DIR/search.html         search the words of every message\n"
    "The pages load nothing from the network and run no code from the\n"
    "messages: text is shown as text, links open only when clicked.\n"
    "\n"
    "DIR appears only when it is complete (it is built beside it, in\n"
    "DIR.tmp-XXXXXX).  A history written earlier at DIR is replaced;\n"
    "anything else there is left alone and the command fails.  The file is\n"
    "read once, in little memory, whatever its size.\n"
    "\n"
    "Options:\n"
    "  -o, --output DIR        where to write (required)\n"
    "  -q, --quiet             only errors\n"
    "  -h, --help              this text\n"
    "\n"
    "Example:\n"
    "  xporta export me@old.example -o me.xml\n"
    "  xporta history me.xml -o my-history\n"
    "  xdg-open my-history/index.html\n";

struct ui {
    bool tty;
    bool live;
};

static void on_progress(const xporta_progress *p, void *ud)
{
    struct ui *u = ud;
    if (cli_verbose < 0 || !u->tty)
        return;
    if (strcmp(p->phase, "read") == 0)
        fprintf(stderr, "\rreading: %llu messages (%.0f%%)\033[K",
                (unsigned long long)p->done,
                p->fraction >= 0 ? p->fraction * 100 : 0);
    else if (strcmp(p->phase, "write") == 0)
        fprintf(stderr, "\rwriting: %llu of %llu messages\033[K",
                (unsigned long long)p->done, (unsigned long long)p->total);
    else {
        if (u->live)
            fputs("\r\033[K", stderr);
        u->live = false;
        return;
    }
    u->live = true;
}

int cmd_history(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL;
    int opt;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
        switch (opt) {
        case 'o':
            out = optarg;
            break;
        case 'q':
            cli_verbose = -1;
            break;
        case 'h':
            fputs(help, stdout);
            return EXIT_OK;
        default:
            return cli_bad_option("history", argv, "o:qh");
        }
    }
    if (optind >= argc)
        return cli_usage_error("history", "no FILE given");
    if (optind + 1 < argc)
        return cli_usage_error("history", "one FILE at a time");
    if (!out || !*out)
        return cli_usage_error("history", "no output given (-o DIR)");
    const char *file = argv[optind];
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        char msg[1024];
        int rc = cli_input_fail(file, XPORTA_EIO, msg, sizeof msg);
        cli_error("%s", msg);
        return rc;
    }
    close(fd);
    xporta_job *job = NULL;
    xporta_status st = xporta_history_new(&job, file, out);
    if (st != XPORTA_OK)
        return cli_fail(st, xporta_strerror(st));
    struct ui u = {.tty = isatty(2) != 0};
    xporta_job_set_progress(job, on_progress, &u);
    st = cli_run_cancellable(job);
    if (u.live)
        fputs("\r\033[K", stderr);
    int rc;
    if (st != XPORTA_OK) {
        rc = cli_fail(st, xporta_job_error(job));
    } else {
        uint64_t msgs, convs, pages;
        xporta_job_history_counts(job, &msgs, &convs, &pages);
        if (cli_verbose >= 0)
            printf("%s: %llu messages, %llu conversations, %llu month "
                   "pages; open %s/index.html\n",
                   out, (unsigned long long)msgs, (unsigned long long)convs,
                   (unsigned long long)pages, out);
        rc = EXIT_OK;
    }
    xporta_job_free(job);
    return rc;
}
