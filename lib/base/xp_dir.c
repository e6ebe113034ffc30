/* Directories and locks of the jobs (xp_base.h, "state"). */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* F_OFD_SETLK */
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xp_base.h"

char *xp_state_root(const char *sub)
{
    const char *base = getenv("XDG_STATE_HOME");
    const char *home = getenv("HOME");
    char root[4096];
    if (base && *base == '/') {
        snprintf(root, sizeof root, "%s/xporta/%s", base, sub);
        return xp_strdup(root);
    }
    /* No shared /tmp fallback: another user could have made it first. */
    if (!home || !*home) {
        const struct passwd *pw = getpwuid(getuid());
        home = pw && pw->pw_dir && *pw->pw_dir == '/' ? pw->pw_dir : NULL;
    }
    if (!home)
        return NULL;
    snprintf(root, sizeof root, "%s/.local/state/xporta/%s", home, sub);
    return xp_strdup(root);
}

char *xp_state_dir(const char *what)
{
    char *root = xp_state_root("jobs");
    if (!root)
        return NULL;
    char id[32];
    snprintf(id, sizeof id, "%016llx",
             (unsigned long long)xp_hash(what, strlen(what), 0x1234567u));
    char *dir = xp_path_join(root, id);
    free(root);
    return dir;
}

xporta_status xp_mkdir_p(const char *path, struct xp_err *err)
{
    char *p = xp_strdup(path);
    if (!p)
        return xp_fail(err, XPORTA_ENOMEM, "out of memory");
    for (char *s = strchr(p + 1, '/');; s = strchr(s + 1, '/')) {
        if (s)
            *s = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST) {
            xporta_status st =
                xp_fail(err, XPORTA_EIO, "%s: %s", p, strerror(errno));
            free(p);
            return st;
        }
        if (!s)
            break;
        *s = '/';
    }
    free(p);
    return XPORTA_OK;
}

xporta_status xp_lock(const char *path, int *fd, const char *busy,
                      struct xp_err *err)
{
    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (*fd < 0)
        return xp_fail(err, XPORTA_EIO, "%s: %s", path, strerror(errno));
    /* An open file description's lock (Linux 3.15), not the process's:
     * two holders in one process exclude each other, and closing some
     * other descriptor of the file does not drop it (POSIX F_SETLK does
     * both, which a process running several jobs cannot live with). */
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
#ifdef F_OFD_SETLK
    if (fcntl(*fd, F_OFD_SETLK, &fl) == 0)
        return XPORTA_OK;
#else
    if (fcntl(*fd, F_SETLK, &fl) == 0)
        return XPORTA_OK;
#endif
    int e = errno;
    close(*fd);
    *fd = -1;
    if (e == EACCES || e == EAGAIN)
        return xp_fail(err, XPORTA_ELOCKED, "%s", busy);
    return xp_fail(err, XPORTA_EIO, "%s: lock: %s", path, strerror(e));
}

void xp_unlock(int fd)
{
    if (fd >= 0)
        close(fd);
}

void xp_remove_tree(const char *dir, int depth)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    if (!d)
        return;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char *p = xp_path_join(dir, de->d_name);
        if (!p)
            continue;
        if (unlink(p) != 0 && errno == EISDIR && depth > 0)
            xp_remove_tree(p, depth - 1);
        free(p);
    }
    closedir(d);
    rmdir(dir);
}

char *xp_private_tmpdir(struct xp_err *err)
{
    const char *base = getenv("TMPDIR");
    char *t = xp_path_join(base && *base ? base : "/tmp", "xporta-XXXXXX");
    if (!t) {
        xp_fail(err, XPORTA_ENOMEM, "out of memory");
        return NULL;
    }
    if (!mkdtemp(t)) { /* mode 0700 */
        xp_fail(err, XPORTA_EIO, "%s: %s", t, strerror(errno));
        free(t);
        return NULL;
    }
    return t;
}

char *xp_strcat(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 1;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s%s", a, b);
    return p;
}

long long xp_test_hook(const char *name)
{
#ifdef XPORTA_TEST_HOOKS
    const char *v = getenv(name);
    return v && *v ? atoll(v) : -1;
#else
    (void)name;
    return -1;
#endif
}

/* ---- string lists ---------------------------------------------------------
 */

int xp_strv_add(struct xp_strv *v, const char *s)
{
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->v[i], s) == 0)
            return 0;
    char **list = realloc(v->v, (v->n + 1) * sizeof *list);
    if (!list)
        return -1;
    v->v = list;
    v->v[v->n] = xp_strdup(s);
    if (!v->v[v->n])
        return -1;
    v->n++;
    return 1;
}

bool xp_strv_has(const struct xp_strv *v, const char *s)
{
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->v[i], s) == 0)
            return true;
    return false;
}

void xp_strv_cleanup(struct xp_strv *v)
{
    for (size_t i = 0; i < v->n; i++)
        free(v->v[i]);
    free(v->v);
    v->v = NULL;
    v->n = 0;
}
