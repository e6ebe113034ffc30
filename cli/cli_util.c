/* Messages, exit codes, progress and JSON for the xporta command. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

const char *cli_prog = "xporta";
int cli_verbose = 0;

int cli_exit_code(xporta_status st)
{
    /* One table, the library's: the event stream's summary says the same. */
    return xporta_status_exit(st, NULL);
}

static void vmsg(const char *level, const char *fmt, va_list ap)
    CLI_PRINTF(2, 0);
static void vmsg(const char *level, const char *fmt, va_list ap)
{
    fprintf(stderr, "%s: %s", cli_prog, level);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg("error: ", fmt, ap);
    va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
    va_list ap;
    if (cli_verbose < 0)
        return;
    va_start(ap, fmt);
    vmsg("warning: ", fmt, ap);
    va_end(ap);
}

void cli_note(const char *fmt, ...)
{
    va_list ap;
    if (cli_verbose < 0)
        return;
    va_start(ap, fmt);
    vmsg("", fmt, ap);
    va_end(ap);
}

int cli_fail(xporta_status st, const char *detail)
{
    cli_error("%s", detail && *detail ? detail : xporta_strerror(st));
    return cli_exit_code(st);
}

int cli_input_fail(const char *path, xporta_status st, char *msg, size_t cap)
{
    int code = cli_exit_code(st);
    int err = 0;
    struct stat sb;
    if (st == XPORTA_ENOTFOUND) {
        err = ENOENT;
    } else if (st == XPORTA_EIO) {
        /* The library gives no detail for a file it could not open: ask
         * the system again for its reason. */
        int fd = -1;
        if (stat(path, &sb) != 0)
            err = errno;
        else if (S_ISDIR(sb.st_mode))
            err = EISDIR;
        else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
            err = errno;
        if (fd >= 0)
            close(fd);
    }
    if (err == ENOENT || err == ENOTDIR) {
        snprintf(msg, cap, "%s: no such file", path);
        return EXIT_INPUT;
    }
    snprintf(msg, cap, "%s: %s", path,
             err ? strerror(err) : "cannot open the file");
    return code;
}

int cli_bad_option(const char *cmd, char **argv, const char *shortopts)
{
    /* getopt_long leaves optopt 0 for an unknown long option; else it is
     * the option: a long one (known) or a short one that lacks its value,
     * or an unknown short one. */
    const char *arg = optind > 0 ? argv[optind - 1] : "";
    if (optopt == 0)
        return cli_usage_error(cmd, "unknown option '%s'", arg);
    if (strncmp(arg, "--", 2) == 0 && strchr(arg, '='))
        return cli_usage_error(cmd, "option '%.*s' takes no value",
                               (int)strcspn(arg, "="), arg);
    if (strncmp(arg, "--", 2) == 0)
        return cli_usage_error(cmd, "option '%s' needs a value", arg);
    if (optopt < 256 && strchr(shortopts, optopt))
        return cli_usage_error(cmd, "option '-%c' needs a value", optopt);
    return cli_usage_error(cmd, "unknown option '-%c'", optopt);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s %s: ", cli_prog, cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '%s %s --help'.\n", cli_prog, cmd);
    return EXIT_USAGE;
}

void cli_print_diag(FILE *out, const xporta_diag *d)
{
    static const char *const sev[] = {"note", "warning", "error"};
    if (d->file)
        fprintf(out, "%s:", d->file);
    if (d->line)
        fprintf(out, "%lu:%lu:", d->line, d->col);
    fprintf(out, "%s%s: %s\n", d->file || d->line ? " " : "", sev[d->severity],
            d->message);
}

void cli_json_str(FILE *out, const char *s)
{
    /* The library's encoder (xporta_json_quote), as the event stream's. */
    char small[512];
    size_t n = xporta_json_quote(s, small, sizeof small);
    if (n < sizeof small) {
        fwrite(small, 1, n, out);
        return;
    }
    char *big = malloc(n + 1);
    if (!big) {
        fputs("\"\"", out);
        return;
    }
    xporta_json_quote(s, big, n + 1);
    fwrite(big, 1, n, out);
    free(big);
}

const char *cli_bytes(uint64_t n, char *buf, size_t cap)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)n;
    size_t u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, cap, "%llu B", (unsigned long long)n);
    else
        snprintf(buf, cap, "%.1f %s", v, units[u]);
    return buf;
}

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void cli_progress_start(struct cli_progress *p, const char *label,
                        uint64_t total, uint64_t min_total)
{
    p->on = cli_verbose >= 0 && isatty(STDERR_FILENO) &&
            (total == 0 || total >= min_total);
    p->total = total;
    p->start = p->last = cli_now();
    snprintf(p->label, sizeof p->label, "%s", label);
}

void cli_progress_update(struct cli_progress *p, uint64_t done,
                         const char *extra)
{
    char a[32], b[32], r[32];
    if (!p->on)
        return;
    double now = cli_now();
    if (now - p->last < 0.25)
        return;
    p->last = now;
    double rate = now > p->start ? (double)done / (now - p->start) : 0;
    cli_bytes((uint64_t)rate, r, sizeof r);
    if (p->total && done <= p->total)
        fprintf(stderr, "\r%s: %s of %s (%.0f%%), %s/s%s%s\033[K", p->label,
                cli_bytes(done, a, sizeof a), cli_bytes(p->total, b, sizeof b),
                100.0 * (double)done / (double)p->total, r, extra ? ", " : "",
                extra ? extra : "");
    else
        fprintf(stderr, "\r%s: %s, %s/s%s%s\033[K", p->label,
                cli_bytes(done, a, sizeof a), r, extra ? ", " : "",
                extra ? extra : "");
    fflush(stderr);
}

void cli_progress_end(struct cli_progress *p)
{
    if (p->on)
        fputs("\r\033[K", stderr);
    p->on = false;
}

int cli_parse_kinds(const char *cmd, const char *list, uint32_t *set)
{
    const char *bad = NULL;
    if (xporta_kinds_parse(list, set, &bad) == XPORTA_OK)
        return 0;
    fprintf(stderr, "%s %s: unknown kind '%.*s'; kinds are:", cli_prog, cmd,
            bad ? (int)strcspn(bad, ",") : 0, bad ? bad : "");
    for (int k = 0; k < XPORTA_KIND_COUNT; k++)
        fprintf(stderr, " %s", xporta_kind_name((xporta_kind)k));
    fprintf(stderr, " (groups: pep, secrets, mam, all)\n");
    return EXIT_USAGE;
}

void cli_catch_interrupts(void (*handler)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

static bool interrupt_tty;

static void exit_interrupted(int sig)
{
    static const char clear[] = "\r\033[K";
    static const char msg[] = ": interrupted\n";
    (void)sig;
    /* Only async-signal-safe calls: write(2) and _exit(2). */
    if (interrupt_tty && write(STDERR_FILENO, clear, sizeof clear - 1) < 0)
        _exit(EXIT_CANCELED);
    if (write(STDERR_FILENO, cli_prog, strlen(cli_prog)) < 0 ||
        write(STDERR_FILENO, msg, sizeof msg - 1) < 0)
        _exit(EXIT_CANCELED);
    _exit(EXIT_CANCELED);
}

void cli_exit_on_interrupt(void)
{
    interrupt_tty = isatty(STDERR_FILENO);
    cli_catch_interrupts(exit_interrupted);
}

static xporta_job *running_job;

static void cancel_running_job(int sig)
{
    (void)sig;
    xporta_job_cancel(running_job);
}

xporta_status cli_run_cancellable(xporta_job *job)
{
    running_job = job;
    cli_catch_interrupts(cancel_running_job);
    xporta_status st = xporta_job_run(job);
    running_job = NULL;
    return st;
}

uint64_t cli_split_min_bytes, cli_split_from;
unsigned cli_threads_used;

int cli_parse_threads(const char *cmd, const char *arg, unsigned *threads)
{
    if (strcmp(arg, "1") == 0)
        *threads = 1;
    else if (strcmp(arg, "2") == 0)
        *threads = 2;
    else
        return cli_usage_error(cmd, "--threads takes 1 or 2");
    return 0;
}

void cli_pass_options(xporta_pass_options *o, unsigned threads)
{
    memset(o, 0, sizeof *o);
    o->check.threads = threads;
    o->check.split_min_bytes = cli_split_min_bytes;
    o->check.split_from = cli_split_from;
}
