/* xporta serve: start, wait for a signal, stop cleanly.
 *
 * One MHD daemon with its internal polling thread (every HTTP callback runs
 * there, so nothing in them blocks for long), one worker thread per step
 * of a job.  The main thread waits for SIGINT/SIGTERM with sigtimedwait and
 * meanwhile beats the heart of the parked event streams (a suspended
 * connection never notices a closed tab) and drops passwords held too
 * long.  To stop: quiesce (no new connections), cancel and join the
 * workers (their jobs stay resumable), end and resume every stream, wait
 * until they are gone, stop the daemon. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "serve_srv.h"

enum { XS_HEARTBEAT = 15 };

__attribute__((format(printf, 2, 0))) static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
    struct xs_server *s = cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    /* MHD's messages carry no secrets; a query string could: cut it. */
    char *q = strchr(line, '?');
    if (q)
        snprintf(q, sizeof line - (size_t)(q - line), "?...\n");
    size_t n = strlen(line);
    fprintf(s->err, "xporta serve: %s%s", line,
            n && line[n - 1] == '\n' ? "" : "\n");
}

static int mkdirs(const char *path)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s", path);
    for (char *s = strchr(p + 1, '/');; s = strchr(s + 1, '/')) {
        if (s)
            *s = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST)
            return -1;
        if (!s)
            return 0;
        *s = '/';
    }
}

/* STATE/serve; part files a crash left in uploads/ are removed. */
static int make_root(struct xs_server *s, const char *state_dir)
{
    const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    if (state_dir && strlen(state_dir) > sizeof s->root - 16)
        return -1;
    if (state_dir)
        snprintf(s->root, sizeof s->root, "%s/serve", state_dir);
    else if (xdg && *xdg == '/')
        snprintf(s->root, sizeof s->root, "%s/xporta/serve", xdg);
    else if (home && *home == '/')
        snprintf(s->root, sizeof s->root, "%s/.local/state/xporta/serve", home);
    else
        return -1;
    char p[PATH_MAX + 16];
    snprintf(p, sizeof p, "%s/jobs", s->root);
    if (mkdirs(p))
        return -1;
    snprintf(p, sizeof p, "%s/uploads", s->root);
    if (mkdirs(p))
        return -1;
    chmod(s->root, 0700);
    DIR *d = opendir(p);
    if (d) {
        struct dirent *e;
        char f[PATH_MAX + 300];
        while ((e = readdir(d))) {
            size_t n = strlen(e->d_name);
            if (n > 5 && strcmp(e->d_name + n - 5, ".part") == 0) {
                snprintf(f, sizeof f, "%s/%s", p, e->d_name);
                unlink(f);
            }
        }
        closedir(d);
    }
    return 0;
}

int xs_serve(const struct xs_options *o, FILE *out, FILE *err)
{
    static struct xs_server s; /* one per process */
    memset(&s, 0, sizeof s);
    s.err = err;
    s.max_upload = o->max_upload;
    s.max_jobs = o->max_jobs ? o->max_jobs : 2;
    s.cafile = o->cafile;
    s.insecure = o->insecure;
    pthread_mutex_init(&s.mu, NULL);
    if (o->listen) {
        int rc = xs_portal_init(&s, o, err);
        if (rc) {
            xs_portal_free(&s);
            return rc;
        }
    }
    if (make_root(&s, o->state_dir)) {
        fprintf(err, "xporta serve: cannot make the state directory %s: %s\n",
                s.root[0] ? s.root : "(no $HOME)", strerror(errno));
        return 4;
    }
    if (xs_random_token(s.token)) {
        fprintf(err, "xporta serve: the system gave no randomness\n");
        return 70;
    }
    pthread_mutex_lock(&s.mu);
    xs_jobs_load(&s);
    pthread_mutex_unlock(&s.mu);

    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(o->port);
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    const struct sockaddr *where = (const struct sockaddr *)&a;
    bool v6 = false;
    if (s.portal)
        where = xs_portal_addr(&s, &v6);
    s.d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ITC |
            MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
            (v6 ? MHD_USE_IPv6 : 0),
        0, NULL, NULL, xs_access, &s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, &s,
        MHD_OPTION_SOCK_ADDR, where, MHD_OPTION_NOTIFY_COMPLETED, xs_completed,
        &s, MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_CONNECTION_LIMIT,
        256u, MHD_OPTION_END);
    if (!s.d) {
        fprintf(err, "xporta serve: cannot listen on %s (in use?)\n",
                o->listen ? o->listen : "127.0.0.1");
        xs_jobs_free(&s);
        xs_portal_free(&s);
        return 4;
    }
    s.port = MHD_get_daemon_info(s.d, MHD_DAEMON_INFO_BIND_PORT)->port;
    if (s.portal) {
        xs_portal_started(&s, out); /* no token in a portal */
    } else {
        /* The one place the token is ever written. */
        fprintf(out, "http://127.0.0.1:%u/?token=%s\n", s.port, s.token);
        fflush(out);
    }

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    struct timespec tick = {1, 0};
    time_t last_beat = time(NULL);
    for (;;) {
        int sig = sigtimedwait(&set, NULL, &tick);
        if (sig == SIGINT || sig == SIGTERM)
            break;
        if (s.portal) {
            pthread_mutex_lock(&s.mu);
            xs_portal_sweep(&s);
            pthread_mutex_unlock(&s.mu);
        }
        if (time(NULL) - last_beat >= XS_HEARTBEAT) {
            last_beat = time(NULL);
            pthread_mutex_lock(&s.mu);
            xs_jobs_wake(&s);
            xs_jobs_expire(&s);
            pthread_mutex_unlock(&s.mu);
        }
    }

    fprintf(err, "xporta serve: stopping (running steps stop at a safe "
                 "point and can be resumed)\n");
    MHD_socket lsock = MHD_quiesce_daemon(s.d);
    xs_jobs_stop(&s);
    if (s.portal)
        xs_portal_stop(&s);
    for (int i = 0; i < 300; i++) {
        pthread_mutex_lock(&s.mu);
        xs_jobs_wake(&s);
        unsigned left = s.streams;
        pthread_mutex_unlock(&s.mu);
        if (!left)
            break;
        struct timespec ms10 = {0, 10 * 1000 * 1000};
        nanosleep(&ms10, NULL);
    }
    MHD_stop_daemon(s.d);
    if (lsock != MHD_INVALID_SOCKET)
        close(lsock);
    xs_jobs_free(&s);
    xs_portal_free(&s);
    volatile char *w = s.token;
    for (size_t i = 0; i < sizeof s.token; i++)
        w[i] = 0;
    pthread_mutex_destroy(&s.mu);
    return 0;
}
