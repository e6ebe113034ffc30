/*
 * Account options shared by the commands that talk to servers, and the
 * password, which never comes from the command line: a prompt without echo,
 * --password-file, or the XPORTA_PASSWORD environment variable.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"

enum { MAX_PASSWORD = 1024 };

void cli_account_init(struct cli_account *a)
{
    memset(a, 0, sizeof *a);
    a->env = "XPORTA_PASSWORD";
}

int cli_account_option(struct cli_account *a, const char *cmd, int opt,
                       const char *arg)
{
    switch (opt) {
    case CLI_OPT_HOST:
        a->host = arg;
        return 1;
    case CLI_OPT_PORT: {
        char *end;
        long p = strtol(arg, &end, 10);
        if (*end || p < 1 || p > 65535) {
            cli_usage_error(cmd, "bad --port '%s'", arg);
            return -1;
        }
        a->port = (unsigned short)p;
        return 1;
    }
    case CLI_OPT_CAFILE:
        a->cafile = arg;
        return 1;
    case CLI_OPT_INSECURE:
        a->insecure = true;
        return 1;
    case CLI_OPT_PASSWORD_FILE:
        a->password_file = arg;
        return 1;
    default:
        return 0;
    }
}

static void wipe(char *s, size_t n)
{
    volatile char *p = s;
    while (n--)
        *p++ = '\0';
}

/* Reads one line without echo from the terminal. */
static int prompt(const char *jid, char *buf, size_t cap)
{
    FILE *tty = fopen("/dev/tty", "r+");
    if (!tty)
        return -1;
    struct termios old, quiet;
    int fd = fileno(tty);
    bool restore = tcgetattr(fd, &old) == 0;
    if (restore) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        quiet.c_lflag |= ECHONL;
        tcsetattr(fd, TCSAFLUSH, &quiet);
    }
    fprintf(tty, "Password for %s: ", jid);
    fflush(tty);
    char *got = fgets(buf, (int)cap, tty);
    if (restore)
        tcsetattr(fd, TCSAFLUSH, &old);
    fclose(tty);
    if (!got)
        return -1;
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}

static int read_password(const struct cli_account *a, const char *jid,
                         char *buf, size_t cap)
{
    if (a->password_file) {
        FILE *f = fopen(a->password_file, "r");
        if (!f) {
            cli_error("password file for %s: %s: %s", jid, a->password_file,
                      strerror(errno));
            return EXIT_IO;
        }
        if (!fgets(buf, (int)cap, f))
            buf[0] = '\0';
        fclose(f);
        size_t n = strcspn(buf, "\r\n");
        if (n == strlen(buf) && n + 1 == cap) {
            cli_error("password file %s: the password is longer than %d "
                      "bytes",
                      a->password_file, MAX_PASSWORD);
            return EXIT_USAGE;
        }
        buf[n] = '\0';
        if (n == 0) {
            cli_error("password file %s: the first line is empty (the "
                      "password is the file's first line)",
                      a->password_file);
            return EXIT_USAGE;
        }
        return 0;
    }
    const char *env = getenv(a->env);
    if (env) {
        if (strlen(env) >= cap) {
            cli_error("%s is longer than %d bytes", a->env, MAX_PASSWORD);
            return EXIT_USAGE;
        }
        strcpy(buf, env);
        return 0;
    }
    if (!isatty(STDIN_FILENO) && !isatty(STDERR_FILENO)) {
        cli_error("no password for %s: use a password file or %s "
                  "(passwords are never taken from the command line)",
                  jid, a->env);
        return EXIT_USAGE;
    }
    if (prompt(jid, buf, cap) != 0) {
        cli_error("no password for %s", jid);
        return EXIT_USAGE;
    }
    return 0;
}

int cli_account_make(const struct cli_account *a, const char *cmd,
                     const char *jid, xporta_account **out)
{
    *out = NULL;
    if (xporta_account_new(out, jid) != XPORTA_OK) {
        return cli_usage_error(cmd, "'%s' is not an account (user@domain)",
                               jid);
    }
    char pw[MAX_PASSWORD];
    int rc = read_password(a, jid, pw, sizeof pw);
    if (rc) {
        xporta_account_free(*out);
        *out = NULL;
        return rc;
    }
    xporta_status st = xporta_account_set_password(*out, pw);
    wipe(pw, sizeof pw);
    if (st == XPORTA_OK && a->host)
        st = xporta_account_set_server(*out, a->host, a->port);
    if (st == XPORTA_OK && a->cafile) {
        if (access(a->cafile, R_OK) != 0) {
            cli_error("--cafile %s: %s", a->cafile, strerror(errno));
            xporta_account_free(*out);
            *out = NULL;
            return EXIT_IO;
        }
        st = xporta_account_set_cafile(*out, a->cafile);
    }
    if (st != XPORTA_OK) {
        xporta_account_free(*out);
        *out = NULL;
        return EXIT_INTERNAL;
    }
    if (a->insecure) {
        xporta_account_set_insecure(*out, true);
        /* Every time, -q or not (the man page promises it): not
         * cli_warn, which -q silences. */
        fprintf(stderr,
                "%s: warning: --insecure: the server's certificate is NOT "
                "verified; anyone on the path can read %s's data and "
                "password\n",
                cli_prog, jid);
    }
    return 0;
}
