/*
 * The XEP-0227 writer: the layouts' files.
 *
 * Layouts.  The standard dialect writes one file, or with XPORTA_PIE_SPLIT
 * the XInclude layout suggested by XEP-0227 §5.  Prosody's is a directory of
 * USER@HOST.xml documents.  ejabberd's is a main file including one host
 * file each.  Directories are built under a temporary name and renamed into
 * place at commit; files get temporary names and are renamed at commit.
 *
 * Here: the names of host and user files, their opening, a host's file
 * parked until commit (a host met again continues it), and the user files,
 * published into the working directory as each is complete and synced
 * lazily.  The single files (the standard one, a layout's main file) are
 * opened and committed by pie_writer.c.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pie_p.h"
#include "pie_writer_p.h"

enum { MAX_PENDING_FILES = 4096 };

/* File names made of JID parts: anything but [A-Za-z0-9._@-] becomes %XX,
 * which is also a valid URI escape for the href that names the file. */
static char *safe_name(const char *a, const char *sep, const char *b,
                       const char *suffix)
{
    struct xp_buf out;
    xp_buf_init(&out, 4096);
    const char *parts[] = {a, sep, b, suffix};
    for (size_t i = 0; i < 4; i++) {
        if (!parts[i])
            continue;
        bool literal = i == 1 || i == 3;
        for (const char *p = parts[i]; *p; p++) {
            unsigned char c = (unsigned char)*p;
            bool ok = literal || (c >= 'a' && c <= 'z') ||
                      (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '@' || c == '-';
            /* A leading dot would hide the file (or be "." / ".."). */
            if (!literal && p == parts[i] && c == '.')
                ok = false;
            xporta_status st = ok ? xp_buf_addc(&out, (char)c)
                                  : xp_buf_printf(&out, "%%%02X", c);
            if (st != XPORTA_OK) {
                xp_buf_cleanup(&out);
                return NULL;
            }
        }
    }
    return xp_buf_take(&out);
}

/* The working directory a directory layout is built in, beside the output
 * (which must not exist, or be an empty directory). */
xporta_status pie_w_make_workdir(xporta_pie_writer *w)
{
    struct stat sb;
    if (lstat(w->path, &sb) == 0) {
        if (!S_ISDIR(sb.st_mode))
            return xp_fail(&w->err, XPORTA_EINVAL,
                           "%s exists and is not a directory", w->path);
        if (rmdir(w->path) != 0) {
            if (errno == ENOTEMPTY || errno == EEXIST)
                return xp_fail(&w->err, XPORTA_EINVAL,
                               "%s exists and is not empty; choose a new "
                               "directory",
                               w->path);
        } else if (mkdir(w->path, 0700) != 0) {
            /* Recreated at once: we only needed to know it was empty. */
        }
    }
    size_t n = strlen(w->path);
    w->workdir = malloc(n + sizeof ".tmp-XXXXXX");
    if (!w->workdir)
        return xp_fail(&w->err, XPORTA_ENOMEM, "out of memory");
    memcpy(w->workdir, w->path, n);
    memcpy(w->workdir + n, ".tmp-XXXXXX", sizeof ".tmp-XXXXXX");
    if (!mkdtemp(w->workdir)) {
        int e = errno;
        free(w->workdir);
        w->workdir = NULL;
        return xp_fail(&w->err, XPORTA_EIO, "%s: cannot create: %s", w->path,
                       strerror(e));
    }
    return XPORTA_OK;
}

/* ---- host files (split and ejabberd layouts) ------------------------------
 */

xporta_status pie_w_open_host_file(xporta_pie_writer *w, const char *jid)
{
    xporta_status st;
    /* A host met before (inputs merged in any order) continues its file:
     * a second file of the same name would replace the first. */
    for (size_t i = 0; i < w->nparked; i++) {
        if (strcmp(w->parked[i].jid, jid) != 0)
            continue;
        w->host = w->parked[i].file;
        w->host_secret = w->parked[i].secret;
        free(w->parked[i].jid);
        w->parked[i] = w->parked[--w->nparked];
        return xp_afile_resume(&w->host, &w->err);
    }
    /* A file of its own for the host, included from the main file. */
    char *name;
    char *hostpath;
    if (w->dialect == XPORTA_DIALECT_EJABBERD) {
        /* ejabberd names them MAIN_example_com.xml beside the main file. */
        const char *base = strrchr(w->path, '/');
        base = base ? base + 1 : w->path;
        size_t bl = strlen(base);
        if (bl > 4 && strcmp(base + bl - 4, ".xml") == 0)
            bl -= 4;
        char *stem = xp_strndup(base, bl);
        char *h = xp_strdup(jid);
        for (char *p = h; p && *p; p++)
            if (*p == '.')
                *p = '_';
        name = stem && h ? safe_name(stem, "_", h, ".xml") : NULL;
        free(stem);
        free(h);
        char *dir = xp_path_dir(w->path);
        hostpath = dir && name ? xp_path_join(dir, name) : NULL;
        free(dir);
    } else {
        name = safe_name(jid, NULL, NULL, ".xml");
        hostpath = name ? xp_path_join(w->workdir, name) : NULL;
    }
    if (!name || !hostpath) {
        free(name);
        free(hostpath);
        return xp_fail(&w->err, XPORTA_ENOMEM, "out of memory");
    }
    if (w->dialect == XPORTA_DIALECT_EJABBERD &&
        !(w->flags & XPORTA_PIE_REPLACE) && access(hostpath, F_OK) == 0) {
        st = xp_fail(&w->err, XPORTA_EINVAL,
                     "%s exists; use --force (XPORTA_PIE_REPLACE) to replace "
                     "it",
                     hostpath);
        free(name);
        free(hostpath);
        return st;
    }
    st = pie_w_emit(w, &w->main, "%s<xi:include", pie_w_indent(w, 1));
    if (st == XPORTA_OK)
        st = pie_w_emit_attr(w, &w->main, "href", name);
    if (st == XPORTA_OK)
        st = pie_w_emit(w, &w->main, "/>");
    free(name);
    if (st == XPORTA_OK)
        st = xp_afile_open(&w->host, hostpath, &w->err);
    free(hostpath);
    if (st == XPORTA_OK)
        st = pie_w_emit(
            w, &w->host,
            "<?xml version='1.0' encoding='UTF-8'?>\n<host xmlns='" XP_NS_PIE
            "' xmlns:xi='" XP_NS_XINCLUDE "'");
    if (st == XPORTA_OK)
        st = pie_w_emit_attr(w, &w->host, "jid", jid);
    if (st == XPORTA_OK)
        st = pie_w_emit(w, &w->host, ">");
    w->host_secret = false;
    return st;
}

/* A host's file stays open until commit, without its descriptor: a later
 * input (or the second half's writer, at a join) may continue it. */
xporta_status pie_w_park_host(xporta_pie_writer *w)
{
    if (w->nparked == w->capparked) {
        size_t cap = w->capparked ? w->capparked * 2 : 4;
        if (cap > MAX_PENDING_FILES)
            return xp_fail(&w->err, XPORTA_ETOOBIG, "too many hosts");
        struct parked_host *p = realloc(w->parked, cap * sizeof *p);
        if (!p)
            return xp_fail(&w->err, XPORTA_ENOMEM, "out of memory");
        w->parked = p;
        w->capparked = cap;
    }
    struct parked_host *p = &w->parked[w->nparked];
    p->jid = xp_strdup(w->host_jid);
    if (!p->jid)
        return xp_fail(&w->err, XPORTA_ENOMEM, "out of memory");
    xporta_status st = xp_afile_suspend(&w->host, &w->err);
    p->file = w->host;
    p->secret = w->host_secret;
    w->nparked++;
    pie_w_afile_zero(&w->host);
    return st;
}

/* Ends a parked host file: ejabberd's are renamed at commit
 * with the main file, split ones now (inside the working directory). */
xporta_status pie_w_close_host_file(xporta_pie_writer *w)
{
    xporta_status st = pie_w_emit(w, &w->host, "\n</host>\n");
    if (st != XPORTA_OK)
        return st;
    if (w->dialect == XPORTA_DIALECT_EJABBERD) {
        /* Renamed at commit, with the main file. */
        if (w->ndone == w->capdone) {
            size_t cap = w->capdone ? w->capdone * 2 : 4;
            if (cap > MAX_PENDING_FILES)
                return xp_fail(&w->err, XPORTA_ETOOBIG, "too many hosts");
            struct xp_afile *d = realloc(w->done, cap * sizeof *d);
            if (!d)
                return xp_fail(&w->err, XPORTA_ENOMEM, "out of memory");
            w->done = d;
            w->capdone = cap;
        }
        st = xp_afile_finish(&w->host, w->host_secret, &w->err);
        if (w->host_secret)
            w->main_secret = true;
        w->done[w->ndone++] = w->host;
        pie_w_afile_zero(&w->host);
        return st;
    }
    st = xp_afile_commit(&w->host, w->host_secret, &w->err);
    if (w->host_secret)
        w->main_secret = true;
    pie_w_afile_zero(&w->host);
    return st;
}

/* ---- user files (Prosody, split layout) -----------------------------------
 */

xporta_status pie_w_open_user_file(xporta_pie_writer *w, const char *name)
{
    xporta_status st = XPORTA_OK;
    char *file;
    if (w->dialect == XPORTA_DIALECT_PROSODY) {
        /* mod_storage_xep0227 opens jid_join(user, host)..".xml" and lists
         * users as the file names' text before the first '@', both as they
         * are: no escaping (datamanager's %xx is its own storage's). */
        char *fname =
            xp_arena_printf(&w->arena, "%s@%s.xml", name, w->host_jid);
        file = fname ? xp_path_join(w->workdir, fname) : NULL;
    } else {
        char *hdir = safe_name(w->host_jid, NULL, NULL, NULL);
        char *uname = safe_name(name, NULL, NULL, ".xml");
        char *href = hdir && uname ? xp_path_join(hdir, uname) : NULL;
        char *dirpath = hdir ? xp_path_join(w->workdir, hdir) : NULL;
        file = href ? xp_path_join(w->workdir, href) : NULL;
        if (dirpath && mkdir(dirpath, 0700) != 0 && errno != EEXIST)
            st = xp_fail(&w->err, XPORTA_EIO, "%s: mkdir: %s", dirpath,
                         strerror(errno));
        if (st == XPORTA_OK && href) {
            st = pie_w_emit(w, &w->host, "%s<xi:include", pie_w_indent(w, 2));
            if (st == XPORTA_OK)
                st = pie_w_emit_attr(w, &w->host, "href", href);
            if (st == XPORTA_OK)
                st = pie_w_emit(w, &w->host, "/>");
        }
        free(hdir);
        free(uname);
        free(href);
        free(dirpath);
    }
    if (!file)
        return xp_fail(&w->err, XPORTA_ENOMEM, "out of memory");
    if (st == XPORTA_OK)
        st = xp_afile_open(&w->user, file, &w->err);
    free(file);
    if (st != XPORTA_OK)
        return st;
    w->user_secret = false;
    w->out = &w->user;
    if (w->dialect == XPORTA_DIALECT_PROSODY) {
        st =
            pie_w_emit(w, &w->user, "<server-data xmlns='" XP_NS_PIE "'><host");
        if (st == XPORTA_OK)
            st = pie_w_emit_attr(w, &w->user, "jid", w->host_jid);
        if (st == XPORTA_OK)
            st = pie_w_emit(w, &w->user, ">");
    } else {
        st =
            pie_w_emit(w, &w->user, "<?xml version='1.0' encoding='UTF-8'?>\n");
    }
    return st;
}

/* ---- user files: synced lazily ---------------------------------------------
 *
 * User files (Prosody's, the split layout's) live in the working directory,
 * which appears under the output's name only at commit.  So each is closed
 * with its writeback started, renamed in without waiting, and synced when
 * LAZY_MAX newer ones have followed it (by then it is usually on disk), the
 * rest and the directories at commit, before the rename: the same promise
 * as syncing each at once (nothing appears before all is synced), without
 * two waits for the disk per user.
 */

enum { LAZY_MAX = 64 };

struct pie_lazy {
    int fds[LAZY_MAX]; /* open, to be synced and closed */
    size_t head, n;
};

static int lazy_take(struct pie_lazy *l)
{
    int fd = l->fds[l->head];
    l->head = (l->head + 1) % LAZY_MAX;
    l->n--;
    return fd;
}

static xporta_status lazy_sync_oldest(xporta_pie_writer *w)
{
    int fd = lazy_take(w->lazy);
    int bad = fsync(fd) != 0 ? errno : 0;
    if (close(fd) != 0 && !bad)
        bad = errno;
    if (bad && bad != EINVAL && bad != EROFS)
        return xp_fail(&w->err, XPORTA_EIO, "%s: sync of a user file: %s",
                       w->workdir ? w->workdir : w->path, strerror(bad));
    return XPORTA_OK;
}

/* Takes `fd`. */
static xporta_status lazy_add(xporta_pie_writer *w, int fd)
{
    if (!w->lazy && !(w->lazy = calloc(1, sizeof *w->lazy))) {
        close(fd);
        return xp_fail(&w->err, XPORTA_ENOMEM, "out of memory");
    }
    struct pie_lazy *l = w->lazy;
    xporta_status st = l->n == LAZY_MAX ? lazy_sync_oldest(w) : XPORTA_OK;
    l->fds[(l->head + l->n) % LAZY_MAX] = fd;
    l->n++;
    return st;
}

void pie_w_lazy_free(xporta_pie_writer *w)
{
    while (w->lazy && w->lazy->n)
        close(lazy_take(w->lazy));
    free(w->lazy);
    w->lazy = NULL;
}

/* Before the working directory is renamed into place: every user file in
 * it and every directory synced. */
xporta_status pie_w_sync_workdir(xporta_pie_writer *w)
{
    xporta_status st = XPORTA_OK;
    while (st == XPORTA_OK && w->lazy && w->lazy->n)
        st = lazy_sync_oldest(w);
    DIR *d = st == XPORTA_OK ? opendir(w->workdir) : NULL;
    for (struct dirent *e; d && st == XPORTA_OK && (e = readdir(d));) {
        struct stat sb;
        char *sub =
            e->d_name[0] != '.' ? xp_path_join(w->workdir, e->d_name) : NULL;
        if (sub && lstat(sub, &sb) == 0 && S_ISDIR(sb.st_mode))
            st = xp_fsync_path(sub, &w->err); /* the split layout's hosts */
        free(sub);
    }
    if (d)
        closedir(d);
    return st == XPORTA_OK ? xp_fsync_path(w->workdir, &w->err) : st;
}

/* A user file is complete: published in the working directory, or by a
 * second half's writer (pie_w_half_publish), and synced later. */
xporta_status pie_w_commit_user_file(xporta_pie_writer *w)
{
    int fd = -1;
    xporta_status st =
        xp_afile_finish_lazy(&w->user, w->user_secret, &fd, &w->err);
    if (st == XPORTA_OK)
        st = w->half ? pie_w_half_publish(w)
                     : xp_afile_publish_lazy(&w->user, &w->err);
    if (st != XPORTA_OK) {
        if (fd >= 0)
            close(fd);
        return st;
    }
    return lazy_add(w, fd);
}

xporta_status pie_w_lazy_take_over(xporta_pie_writer *w, xporta_pie_writer *b)
{
    xporta_status st = XPORTA_OK;
    while (st == XPORTA_OK && b->lazy && b->lazy->n)
        st = lazy_add(w, lazy_take(b->lazy));
    return st;
}
