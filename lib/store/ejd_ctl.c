/*
 * Running ejabberdctl (ejd_ctl.h): posix_spawn with the arguments as they
 * are, stdin from /dev/null, stdout and stderr into one pipe read with
 * poll() until the child closes it or the time limit passes.
 */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ejd_ctl.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void ejd_ctl_out_free(struct ejd_ctl_out *out)
{
    free(out->text);
    memset(out, 0, sizeof *out);
}

xporta_status ejd_ctl_run(const char *ctl, const char *const *args,
                          unsigned timeout_s, struct ejd_ctl_out *out,
                          struct xp_err *err)
{
    memset(out, 0, sizeof *out);
    size_t n = 0;
    while (args[n])
        n++;
    char **argv = calloc(n + 2, sizeof *argv);
    out->text = malloc(EJD_CTL_MAX_OUTPUT + 1);
    if (!argv || !out->text) {
        free(argv);
        ejd_ctl_out_free(out);
        return xp_fail(err, XPORTA_ENOMEM, "out of memory");
    }
    argv[0] = (char *)ctl;
    for (size_t i = 0; i < n; i++)
        argv[i + 1] = (char *)args[i];
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        free(argv);
        ejd_ctl_out_free(out);
        return xp_fail(err, XPORTA_EIO, "pipe: %s", strerror(errno));
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    /* its own process group: a time limit kills what it started too */
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&at, 0);
    pid_t pid;
    int rc = posix_spawnp(&pid, ctl, &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    free(argv);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        ejd_ctl_out_free(out);
        return xp_fail(err, rc == ENOENT ? XPORTA_ENOTFOUND : XPORTA_EIO,
                       "%s: cannot run it: %s", ctl, strerror(rc));
    }
    double end = now_s() + (double)timeout_s;
    char chunk[8192];
    for (;;) {
        double left = end - now_s();
        if (left <= 0) {
            out->timed_out = true;
            kill(-pid, SIGKILL);
            break;
        }
        struct pollfd p = {.fd = fds[0], .events = POLLIN};
        int pr = poll(&p, 1, left > 1.0 ? 1000 : (int)(left * 1000) + 1);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            continue;
        ssize_t r = read(fds[0], chunk, sizeof chunk);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        size_t room = EJD_CTL_MAX_OUTPUT - out->len;
        size_t take = (size_t)r < room ? (size_t)r : room;
        memcpy(out->text + out->len, chunk, take);
        out->len += take;
        if (take < (size_t)r)
            out->truncated = true;
    }
    close(fds[0]);
    out->text[out->len] = '\0';
    int ws = 0;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
        ;
    out->exit_code = !out->timed_out && WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
    return XPORTA_OK;
}

const char *ejd_ctl_tail(const struct ejd_ctl_out *out, char *buf, size_t cap)
{
    /* the first line of an exception (its reason) or the last line */
    const char *t = out->text ? out->text : "";
    const char *exc = strstr(t, "** exception");
    const char *start = exc, *end = NULL;
    if (!start) {
        end = t + strlen(t);
        while (end > t && (end[-1] == '\n' || end[-1] == ' '))
            end--;
        start = end;
        while (start > t && start[-1] != '\n')
            start--;
    } else {
        end = strchr(start, '\n');
        if (!end)
            end = start + strlen(start);
    }
    size_t n = (size_t)(end - start);
    if (n >= cap)
        n = cap - 1;
    memcpy(buf, start, n);
    buf[n] = '\0';
    return n ? buf : "(no output)";
}
