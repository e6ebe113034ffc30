/*
 * Durable output files.
 *
 * A file appears under its final name only when it is complete: we write to
 * a temporary name in the same directory (rename is atomic only within one
 * file system), fsync the data, rename, then fsync the directory so that the
 * rename itself survives a crash (Redis' fsyncFileDir; isync forgets this).
 * The temporary file is created 0600, so secrets never sit in a readable
 * file even for a moment; a file without secrets is relaxed at commit.
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* sync_file_range */
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xp_base.h"

enum { AFILE_BUFFER = 256 * 1024 };

char *xp_path_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return xp_strdup(".");
    if (slash == path)
        return xp_strdup("/");
    return xp_strndup(path, (size_t)(slash - path));
}

char *xp_path_join(const char *dir, const char *name)
{
    size_t dl = strlen(dir), nl = strlen(name);
    bool slash = dl > 0 && dir[dl - 1] != '/';
    char *p = malloc(dl + nl + 2);
    if (!p)
        return NULL;
    memcpy(p, dir, dl);
    if (slash)
        p[dl++] = '/';
    memcpy(p + dl, name, nl + 1);
    return p;
}

xporta_status xp_fsync_dir_of(const char *path, struct xp_err *err)
{
    char *dir = xp_path_dir(path);
    if (!dir)
        return xp_fail(err, XPORTA_ENOMEM, "out of memory");
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        xporta_status st =
            xp_fail(err, XPORTA_EIO, "%s: %s", dir, strerror(errno));
        free(dir);
        return st;
    }
    /* Some file systems refuse fsync on directories (EINVAL); the rename
     * is then as durable as that file system makes it. */
    if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS) {
        xporta_status st =
            xp_fail(err, XPORTA_EIO, "%s: fsync: %s", dir, strerror(errno));
        close(fd);
        free(dir);
        return st;
    }
    close(fd);
    free(dir);
    return XPORTA_OK;
}

xporta_status xp_afile_open(struct xp_afile *f, const char *path,
                            struct xp_err *err)
{
    size_t n = strlen(path);
    f->fd = -1;
    f->tmp = NULL;
    f->written = 0;
    f->flushed = NULL;
    xp_buf_init(&f->out, AFILE_BUFFER * 2);
    /* The file is written under a new name and renamed over `path` at
     * commit: that would replace a device, a pipe or a socket (as root,
     * -o /dev/null would leave a regular file in its place). */
    struct stat sb;
    if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
        f->path = NULL;
        return xp_fail(err, XPORTA_EINVAL,
                       "%s is not a regular file (%s): xporta writes a new "
                       "file and renames it into place, which would replace "
                       "it; give the name of a file",
                       path,
                       S_ISDIR(sb.st_mode)    ? "a directory"
                       : S_ISCHR(sb.st_mode)  ? "a character device"
                       : S_ISBLK(sb.st_mode)  ? "a block device"
                       : S_ISFIFO(sb.st_mode) ? "a pipe"
                                              : "a socket or other");
    }
    f->path = xp_strdup(path);
    f->tmp = malloc(n + sizeof ".tmp-XXXXXX");
    if (!f->path || !f->tmp) {
        free(f->path);
        free(f->tmp);
        f->path = f->tmp = NULL;
        return xp_fail(err, XPORTA_ENOMEM, "out of memory");
    }
    memcpy(f->tmp, path, n);
    memcpy(f->tmp + n, ".tmp-XXXXXX", sizeof ".tmp-XXXXXX");
    /* mkstemp creates the file 0600. */
    f->fd = mkstemp(f->tmp);
    if (f->fd < 0) {
        xporta_status st = xp_fail(err, XPORTA_EIO, "%s: cannot create: %s",
                                   path, strerror(errno));
        free(f->path);
        free(f->tmp);
        f->path = f->tmp = NULL;
        return st;
    }
    return XPORTA_OK;
}

xporta_status xp_afile_open_part(struct xp_afile *f, const char *path,
                                 const char *part, long long resume_at,
                                 struct xp_err *err)
{
    f->fd = -1;
    f->written = 0;
    f->flushed = NULL;
    xp_buf_init(&f->out, AFILE_BUFFER * 2);
    f->path = xp_strdup(path);
    f->tmp = xp_strdup(part);
    if (!f->path || !f->tmp) {
        free(f->path);
        free(f->tmp);
        f->path = f->tmp = NULL;
        return xp_fail(err, XPORTA_ENOMEM, "out of memory");
    }
    int flags = O_WRONLY | O_CLOEXEC | O_CREAT | (resume_at < 0 ? O_TRUNC : 0);
    f->fd = open(part, flags, 0600);
    if (f->fd >= 0 && fchmod(f->fd, 0600) != 0) {
        close(f->fd);
        f->fd = -1;
    }
    if (f->fd >= 0 && resume_at >= 0) {
        struct stat sb;
        if (fstat(f->fd, &sb) != 0 || sb.st_size < resume_at ||
            ftruncate(f->fd, (off_t)resume_at) != 0 ||
            lseek(f->fd, (off_t)resume_at, SEEK_SET) != (off_t)resume_at) {
            close(f->fd);
            f->fd = -1;
            errno = errno ? errno : EINVAL;
        }
        f->written = (uint64_t)resume_at;
    }
    if (f->fd < 0) {
        xporta_status st = xp_fail(err, XPORTA_EIO, "%s: cannot open: %s", part,
                                   strerror(errno));
        free(f->path);
        free(f->tmp);
        f->path = f->tmp = NULL;
        return st;
    }
    return XPORTA_OK;
}

void xp_afile_keep(struct xp_afile *f)
{
    if (f->fd >= 0) {
        close(f->fd);
        f->fd = -1;
    }
    free(f->tmp);
    free(f->path);
    f->tmp = f->path = NULL;
    xp_buf_cleanup(&f->out);
}

static xporta_status afile_flush(struct xp_afile *f, struct xp_err *err)
{
    size_t off = 0;
    while (off < f->out.len) {
        ssize_t w = write(f->fd, f->out.data + off, f->out.len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return xp_fail(err, XPORTA_EIO, "%s: write: %s", f->path,
                           strerror(errno));
        }
        off += (size_t)w;
    }
    xp_buf_reset(&f->out);
    if (f->flushed)
        atomic_store_explicit(f->flushed, f->written, memory_order_release);
    return XPORTA_OK;
}

xporta_status xp_afile_write(struct xp_afile *f, const void *p, size_t n,
                             struct xp_err *err)
{
    if (f->fd < 0)
        return xp_fail(err, XPORTA_EINVAL, "write to a closed file");
    f->written += n;
    if (f->out.len + n > AFILE_BUFFER) {
        xporta_status st = afile_flush(f, err);
        if (st != XPORTA_OK)
            return st;
    }
    if (n >= AFILE_BUFFER) {
        /* Large payloads go straight to the file. */
        const char *s = p;
        while (n > 0) {
            ssize_t w = write(f->fd, s, n);
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                return xp_fail(err, XPORTA_EIO, "%s: write: %s", f->path,
                               strerror(errno));
            }
            s += w;
            n -= (size_t)w;
        }
        if (f->flushed)
            atomic_store_explicit(f->flushed, f->written, memory_order_release);
        return XPORTA_OK;
    }
    if (xp_buf_add(&f->out, p, n) != XPORTA_OK)
        return xp_fail(err, XPORTA_ENOMEM, "out of memory");
    return XPORTA_OK;
}

xporta_status xp_afile_sync(struct xp_afile *f, uint64_t *offset,
                            struct xp_err *err)
{
    if (f->fd < 0)
        return xp_fail(err, XPORTA_EINVAL, "sync of a closed file");
    xporta_status st = afile_flush(f, err);
    if (st != XPORTA_OK)
        return st;
    if (fdatasync(f->fd) != 0)
        return xp_fail(err, XPORTA_EIO, "%s: fdatasync: %s", f->tmp,
                       strerror(errno));
    if (offset)
        *offset = f->written;
    return XPORTA_OK;
}

xporta_status xp_afile_puts(struct xp_afile *f, const char *s,
                            struct xp_err *err)
{
    return xp_afile_write(f, s, strlen(s), err);
}

xporta_status xp_afile_suspend(struct xp_afile *f, struct xp_err *err)
{
    if (f->fd < 0)
        return xp_fail(err, XPORTA_EINVAL, "suspend of a closed file");
    xporta_status st = afile_flush(f, err);
    if (st != XPORTA_OK)
        return st;
    int fd = f->fd;
    f->fd = -1;
    xp_buf_cleanup(&f->out);
    if (close(fd) != 0)
        return xp_fail(err, XPORTA_EIO, "%s: close: %s", f->tmp,
                       strerror(errno));
    return XPORTA_OK;
}

xporta_status xp_afile_resume(struct xp_afile *f, struct xp_err *err)
{
    if (f->fd >= 0 || !f->tmp)
        return xp_fail(err, XPORTA_EINVAL, "resume of a file not suspended");
    f->fd = open(f->tmp, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (f->fd < 0)
        return xp_fail(err, XPORTA_EIO, "%s: cannot reopen: %s", f->tmp,
                       strerror(errno));
    xp_buf_init(&f->out, AFILE_BUFFER * 2);
    return XPORTA_OK;
}

xporta_status xp_afile_finish(struct xp_afile *f, bool secret,
                              struct xp_err *err)
{
    if (f->fd < 0)
        return xp_fail(err, XPORTA_EINVAL, "finish of a closed file");
    xporta_status st = afile_flush(f, err);
    if (st != XPORTA_OK)
        return st;
    if (!secret) {
        mode_t mask = umask(0);
        umask(mask);
        if (fchmod(f->fd, 0666 & ~mask) != 0)
            return xp_fail(err, XPORTA_EIO, "%s: chmod: %s", f->tmp,
                           strerror(errno));
    }
    if (fsync(f->fd) != 0)
        return xp_fail(err, XPORTA_EIO, "%s: fsync: %s", f->tmp,
                       strerror(errno));
    int fd = f->fd;
    f->fd = -1;
    if (close(fd) != 0)
        return xp_fail(err, XPORTA_EIO, "%s: close: %s", f->tmp,
                       strerror(errno));
    xp_buf_cleanup(&f->out);
    return XPORTA_OK;
}

xporta_status xp_afile_publish(struct xp_afile *f, struct xp_err *err)
{
    if (!f->tmp || f->fd >= 0)
        return xp_fail(err, XPORTA_EINVAL, "publish of an unfinished file");
    if (rename(f->tmp, f->path) != 0)
        return xp_fail(err, XPORTA_EIO, "%s: rename: %s", f->path,
                       strerror(errno));
    free(f->tmp);
    f->tmp = NULL;
    xporta_status st = xp_fsync_dir_of(f->path, err);
    free(f->path);
    f->path = NULL;
    return st;
}

xporta_status xp_afile_commit(struct xp_afile *f, bool secret,
                              struct xp_err *err)
{
    xporta_status st = xp_afile_finish(f, secret, err);
    return st == XPORTA_OK ? xp_afile_publish(f, err) : st;
}

void xp_afile_abort(struct xp_afile *f)
{
    if (f->fd >= 0) {
        close(f->fd);
        f->fd = -1;
    }
    if (f->tmp) {
        unlink(f->tmp);
        free(f->tmp);
        f->tmp = NULL;
    }
    free(f->path);
    f->path = NULL;
    xp_buf_cleanup(&f->out);
}

xporta_status xp_afile_publish_new(struct xp_afile *f, uint64_t *ino,
                                   struct xp_err *err)
{
    struct stat sb;
    if (!f->tmp || f->fd >= 0)
        return xp_fail(err, XPORTA_EINVAL, "publish of an unfinished file");
    if (link(f->tmp, f->path) != 0)
        return xp_fail(err, errno == EEXIST ? XPORTA_ECONFLICT : XPORTA_EIO,
                       "%s: %s", f->path, strerror(errno));
    if (lstat(f->path, &sb) != 0 || unlink(f->tmp) != 0)
        return xp_fail(err, XPORTA_EIO, "%s: %s", f->path, strerror(errno));
    *ino = (uint64_t)sb.st_ino;
    free(f->tmp);
    f->tmp = NULL;
    free(f->path);
    f->path = NULL;
    return XPORTA_OK;
}

xporta_status xp_afile_publish_lazy(struct xp_afile *f, struct xp_err *err)
{
    if (!f->tmp || f->fd >= 0)
        return xp_fail(err, XPORTA_EINVAL, "publish of an unfinished file");
    if (rename(f->tmp, f->path) != 0)
        return xp_fail(err, XPORTA_EIO, "%s: rename: %s", f->path,
                       strerror(errno));
    free(f->tmp);
    f->tmp = NULL;
    free(f->path);
    f->path = NULL;
    return XPORTA_OK;
}

xporta_status xp_afile_append_range(struct xp_afile *dst, const char *path,
                                    uint64_t from, uint64_t to,
                                    struct xp_err *err)
{
    enum { CHUNK = 1 << 20 };
    if (dst->fd < 0)
        return xp_fail(err, XPORTA_EINVAL, "append to a closed file");
    xporta_status st = afile_flush(dst, err);
    if (st != XPORTA_OK || from >= to)
        return st;
    /* read and write: copy_file_range was slower here (ext4 without
     * reflinks splices page by page) and refuses O_APPEND targets. */
    int in = open(path, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return xp_fail(err, XPORTA_EIO, "%s: %s", path, strerror(errno));
    char *buf = malloc(CHUNK);
    if (!buf) {
        close(in);
        return xp_fail(err, XPORTA_ENOMEM, "out of memory");
    }
    while (from < to) {
        size_t want = to - from < CHUNK ? (size_t)(to - from) : CHUNK;
        ssize_t n = pread(in, buf, want, (off_t)from);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            st = xp_fail(err, XPORTA_EIO, "%s: %s", path, strerror(errno));
            break;
        }
        if (n == 0)
            break;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(dst->fd, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                st = xp_fail(err, XPORTA_EIO, "%s: write: %s", dst->path,
                             strerror(errno));
                break;
            }
            off += w;
        }
        if (st != XPORTA_OK)
            break;
        dst->written += (uint64_t)n;
        from += (uint64_t)n;
    }
    free(buf);
    close(in);
    return st;
}

xporta_status xp_afile_append(struct xp_afile *dst, struct xp_afile *src,
                              uint64_t from, struct xp_err *err)
{
    if (!src->tmp)
        return xp_fail(err, XPORTA_EINVAL, "append from a closed file");
    xporta_status st = src->fd >= 0 ? afile_flush(src, err) : XPORTA_OK;
    return st == XPORTA_OK
               ? xp_afile_append_range(dst, src->tmp, from, UINT64_MAX, err)
               : st;
}

xporta_status xp_afile_truncate(struct xp_afile *f, uint64_t len,
                                struct xp_err *err)
{
    if (f->fd < 0)
        return xp_fail(err, XPORTA_EINVAL, "truncate of a closed file");
    xporta_status st = afile_flush(f, err);
    if (st != XPORTA_OK)
        return st;
    if (ftruncate(f->fd, (off_t)len) != 0 ||
        lseek(f->fd, (off_t)len, SEEK_SET) < 0)
        return xp_fail(err, XPORTA_EIO, "%s: truncate: %s", f->path,
                       strerror(errno));
    f->written = len;
    return XPORTA_OK;
}

xporta_status xp_afile_finish_lazy(struct xp_afile *f, bool secret, int *fd,
                                   struct xp_err *err)
{
    if (f->fd < 0)
        return xp_fail(err, XPORTA_EINVAL, "finish of a closed file");
    xporta_status st = afile_flush(f, err);
    if (st != XPORTA_OK)
        return st;
    if (!secret) {
        mode_t mask = umask(0);
        umask(mask);
        if (fchmod(f->fd, 0666 & ~mask) != 0)
            return xp_fail(err, XPORTA_EIO, "%s: chmod: %s", f->tmp,
                           strerror(errno));
    }
#ifdef __linux__
    /* Start writing it out now, so that the fsync later finds it done. */
    (void)sync_file_range(f->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
#endif
    *fd = f->fd;
    f->fd = -1;
    xp_buf_cleanup(&f->out);
    return XPORTA_OK;
}

xporta_status xp_fsync_path(const char *path, struct xp_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return xp_fail(err, XPORTA_EIO, "%s: %s", path, strerror(errno));
    /* As for directories in xp_fsync_dir_of: some refuse (EINVAL). */
    if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS) {
        xporta_status st =
            xp_fail(err, XPORTA_EIO, "%s: fsync: %s", path, strerror(errno));
        close(fd);
        return st;
    }
    close(fd);
    return XPORTA_OK;
}
