/*
 * Prosody's internal storage, the writing half (prosody_fs.c has the
 * design note): one user's stores to temporary names, renamed at commit;
 * archives written once, the old items first, then the new.
 */
#define _GNU_SOURCE /* syncfs(2) */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "prosody_fs_p.h"

/* ---- writing ------------------------------------------------------------ */

void pfs_clear_pending(struct fs *f, bool remove_tmp)
{
    for (size_t i = 0; i < f->np; i++) {
        struct pending *p = &f->p[i];
        if (p->newf)
            fclose(p->newf);
        if (remove_tmp && p->tmp)
            unlink(p->tmp);
        if (p->newpath)
            unlink(p->newpath);
        free(p->path);
        free(p->tmp);
        free(p->store);
        free(p->newpath);
        xp_strv_cleanup(&p->replaced);
    }
    f->np = 0;
}

xporta_status pfs_begin(struct pbe *b, const char *host, const char *user)
{
    struct fs *f = (struct fs *)b;
    pfs_clear_pending(f, true);
    free(f->host);
    free(f->user);
    f->host = xp_strdup(host);
    f->user = xp_strdup(user);
    return f->host && f->user
               ? XPORTA_OK
               : xp_fail(&b->run->err, XPORTA_ENOMEM, "out of memory");
}

/* mkdir with the data directory's owner and 0750. */
static xporta_status mkdir_owned(struct fs *f, const char *path)
{
    if (mkdir(path, 0750) == 0) {
        if (f->chown && chown(path, f->uid, f->gid) != 0)
            return pfs_sys_fail(f, "cannot give to Prosody's user", path);
        return XPORTA_OK;
    }
    return errno == EEXIST ? XPORTA_OK : pfs_sys_fail(f, "cannot create", path);
}

static xporta_status store_dir(struct fs *f, const char *store, char **out)
{
    char *h = pbe_fs_encode(f->host, false);
    char *hdir = h ? xp_path_join(f->dir, h) : NULL;
    char *sdir = hdir && store ? pfs_path_of(f, f->host, store, NULL, NULL)
                 : hdir        ? xp_strdup(hdir)
                               : NULL;
    xporta_status st = sdir ? XPORTA_OK : XPORTA_ENOMEM;
    if (!st && !(st = mkdir_owned(f, hdir)) && store)
        st = mkdir_owned(f, sdir);
    free(h);
    free(hdir);
    if (st) {
        free(sdir);
        return st == XPORTA_ENOMEM
                   ? xp_fail(&f->base.run->err, st, "out of memory")
                   : st;
    }
    *out = sdir;
    return XPORTA_OK;
}

static FILE *create(struct fs *f, const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0)
        return NULL;
    if (f->chown && fchown(fd, f->uid, f->gid) != 0) {
        close(fd);
        unlink(path);
        return NULL;
    }
    FILE *fp = fdopen(fd, "w");
    if (!fp) {
        close(fd);
        unlink(path);
    }
    return fp;
}

static struct pending *add_pending(struct fs *f)
{
    if (f->np == f->pcap) {
        size_t cap = f->pcap ? f->pcap * 2 : 8;
        struct pending *p = realloc(f->p, cap * sizeof *p);
        if (!p)
            return NULL;
        f->p = p;
        f->pcap = cap;
    }
    struct pending *p = &f->p[f->np++];
    memset(p, 0, sizeof *p);
    return p;
}

/* Test builds: XPORTA_TEST_FULL_AFTER=N makes the disk "full" after N
 * bytes written by this process (a test of what ENOSPC leaves behind). */
static bool disk_full(size_t n)
{
    static long long written;
    long long limit = xp_test_hook("XPORTA_TEST_FULL_AFTER");
    written += (long long)n;
    return limit >= 0 && written > limit;
}

static xporta_status write_all(struct fs *f, FILE *fp, const char *path,
                               const char *s, size_t n)
{
    if (disk_full(n)) {
        errno = ENOSPC;
        return pfs_sys_fail(f, "cannot write", path);
    }
    if (fwrite(s, 1, n, fp) != n)
        return pfs_sys_fail(f, "cannot write", path);
    return XPORTA_OK;
}

xporta_status pfs_set(struct pbe *b, const char *store, const struct pv *v)
{
    struct fs *f = (struct fs *)b;
    char *sdir = NULL;
    /* user "": the host's own store, DATA/HOST/STORE.dat */
    xporta_status st = store_dir(f, *f->user ? store : NULL, &sdir);
    if (st)
        return st;
    free(sdir);
    struct pending *p = add_pending(f);
    if (!p || !(p->path = pfs_path_of(f, f->host, store, f->user, "dat")))
        return xp_fail(&b->run->err, XPORTA_ENOMEM, "out of memory");
    if (v->t == PV_TABLE && v->count == 0)
        return XPORTA_OK; /* datamanager removes an empty store */
    if (!(p->tmp = xp_strcat(p->path, TMP_SUFFIX)))
        return xp_fail(&b->run->err, XPORTA_ENOMEM, "out of memory");
    xp_buf_reset(&f->buf);
    if ((st = xp_buf_adds(&f->buf, "return ")) ||
        (st = pv_write_lua(&f->buf, v)) || (st = xp_buf_adds(&f->buf, ";\n")))
        return xp_fail(&b->run->err, st, "%s: the value is too large", p->path);
    FILE *fp = create(f, p->tmp);
    if (!fp)
        return pfs_sys_fail(f, "cannot create", p->tmp);
    st = write_all(f, fp, p->tmp, f->buf.data, f->buf.len);
    if (fclose(fp) != 0 && !st)
        st = pfs_sys_fail(f, "cannot write", p->tmp);
    return st;
}

static struct pending *archive_pending(struct fs *f, const char *store)
{
    for (size_t i = 0; i < f->np; i++)
        if (f->p[i].store && strcmp(f->p[i].store, store) == 0)
            return &f->p[i];
    char *sdir = NULL;
    if (store_dir(f, store, &sdir))
        return NULL;
    free(sdir);
    struct pending *p = add_pending(f);
    if (!p || !(p->store = xp_strdup(store)) ||
        !(p->path = pfs_path_of(f, f->host, store, f->user, "list")) ||
        !(p->tmp = xp_strcat(p->path, TMP_SUFFIX)) ||
        !(p->newpath = xp_strcat(p->path, NEW_SUFFIX))) {
        xp_fail(&f->base.run->err, XPORTA_ENOMEM, "out of memory");
        return NULL;
    }
    if (!(p->newf = create(f, p->newpath))) {
        pfs_sys_fail(f, "cannot create", p->newpath);
        return NULL;
    }
    return p;
}

/* An item as mod_storage_internal keeps it: the stanza with attr.stamp,
 * and key, when, with beside name and attr. */
static xporta_status item_value(struct fs *f, const struct pitem *it,
                                struct pv *v)
{
    struct xp_arena *a = &f->ia;
    struct pv s;
    char *stamp = pmap_format_time(a, it->when);
    if (!stamp || !pv_from_elem(a, it->stanza, v))
        return XPORTA_ENOMEM;
    struct pv *attr = (struct pv *)pv_get_s(v, "attr");
    if (!attr || !pv_set_s(a, attr, "stamp", pv_str(stamp)) ||
        !pv_str_dup(a, it->with ? it->with : "",
                    strlen(it->with ? it->with : ""), &s) ||
        !pv_set_s(a, v, "with", s) ||
        !pv_str_dup(a, it->key, strlen(it->key), &s) ||
        !pv_set_s(a, v, "key", s) ||
        !pv_set_s(a, v, "when",
                  it->when == (double)(long long)it->when
                      ? pv_int((long long)it->when)
                      : pv_num(it->when)))
        return XPORTA_ENOMEM;
    return XPORTA_OK;
}

xporta_status pfs_append(struct pbe *b, const char *store,
                         const struct pitem *it, bool replace)
{
    struct fs *f = (struct fs *)b;
    struct pending *p = archive_pending(f, store);
    if (!p)
        return b->run->err.status ? b->run->err.status : XPORTA_ENOMEM;
    struct pitem copy = *it;
    char id[32];
    if (!copy.key) { /* mod_storage_internal's own ids: util.id.medium() */
        static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqr"
                                  "stuvwxyz0123456789-_";
        unsigned char rnd[18];
        int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
        if (fd < 0 || read(fd, rnd, sizeof rnd) != (ssize_t)sizeof rnd) {
            if (fd >= 0)
                close(fd);
            return pfs_sys_fail(f, "cannot read", "/dev/urandom");
        }
        close(fd);
        for (size_t i = 0; i < 18; i++)
            id[i] = b64[rnd[i] & 63];
        id[18] = '\0';
        copy.key = id;
    }
    if (replace && xp_strv_add(&p->replaced, copy.key) < 0)
        return xp_fail(&b->run->err, XPORTA_ENOMEM, "out of memory");
    struct pv v;
    xporta_status st = item_value(f, &copy, &v);
    xp_buf_reset(&f->buf);
    if (!st && !(st = xp_buf_adds(&f->buf, "item(")) &&
        !(st = pv_write_lua(&f->buf, &v)))
        st = xp_buf_adds(&f->buf, ");\n");
    xp_arena_reset(&f->ia);
    if (st)
        return xp_fail(&b->run->err, st, "%s: an item is too large", p->path);
    return write_all(f, p->newf, p->newpath, f->buf.data, f->buf.len);
}

struct filter_ctx {
    struct fs *f;
    struct pending *p;
    FILE *out;
};

static xporta_status keep_unreplaced(void *ud, struct pv *v, struct xp_arena *a)
{
    struct filter_ctx *c = ud;
    const char *key = pv_str_at(v, "key");
    (void)a;
    if (key && xp_strv_has(&c->p->replaced, key))
        return XPORTA_OK;
    xp_buf_reset(&c->f->buf);
    xporta_status st = xp_buf_adds(&c->f->buf, "item(");
    if (!st && !(st = pv_write_lua(&c->f->buf, v)))
        st = xp_buf_adds(&c->f->buf, ");\n");
    if (st)
        return xp_fail(&c->f->base.run->err, st, "out of memory");
    return write_all(c->f, c->out, c->p->tmp, c->f->buf.data, c->f->buf.len);
}

static xporta_status copy_file(struct fs *f, const char *from, FILE *out,
                               const char *to)
{
    FILE *in = fopen(from, "re");
    if (!in)
        return errno == ENOENT ? XPORTA_OK
                               : pfs_sys_fail(f, "cannot read", from);
    char buf[1 << 16];
    size_t n;
    xporta_status st = XPORTA_OK;
    while (!st && (n = fread(buf, 1, sizeof buf, in)) > 0)
        st = write_all(f, out, to, buf, n);
    if (!st && ferror(in))
        st = pfs_sys_fail(f, "cannot read", from);
    fclose(in);
    return st;
}

/* The archive's final file: old items (less the replaced), then new. */
static xporta_status finish_archive(struct fs *f, struct pending *p)
{
    if (fflush(p->newf) != 0 || ferror(p->newf))
        return pfs_sys_fail(f, "cannot write", p->newpath);
    fclose(p->newf);
    p->newf = NULL;
    FILE *out = create(f, p->tmp);
    if (!out)
        return pfs_sys_fail(f, "cannot create", p->tmp);
    xporta_status st;
    if (p->replaced.n) {
        struct filter_ctx c = {f, p, out};
        st = pfs_each_value(f, p->path, keep_unreplaced, &c);
    } else {
        st = copy_file(f, p->path, out, p->tmp);
    }
    if (!st)
        st = copy_file(f, p->newpath, out, p->tmp);
    if (fclose(out) != 0 && !st)
        st = pfs_sys_fail(f, "cannot write", p->tmp);
    unlink(p->newpath);
    free(p->newpath);
    p->newpath = NULL;
    return st;
}

/* Beside the running Prosody (store_opts.live).  mod_storage_internal
 * appends an item by opening the .list file, seeking to its end and
 * writing there (util/datamanager.lua:231-256), with no lock: an append of
 * ours between its seek and its write would be overwritten in the middle
 * (integration.store_live saw it: a file Prosody could no longer read).
 * So xporta never writes into a file Prosody may be writing: the old items
 * and the new go to a file of its own, renamed over the old one
 * (Prosody's next append opens the new file).  An append Prosody had begun
 * on the old file lands there; so the old file is watched until no process
 * holds it open any more, and what grew in it since it was copied is
 * Prosody's new items, added again the same way (a few rounds at most). */

/* Whether a process other than this one holds the file (dev, ino) open. */
static bool held_open(dev_t dev, ino_t ino)
{
    DIR *proc = opendir("/proc");
    if (!proc)
        return false;
    bool held = false;
    struct dirent *e;
    while (!held && (e = readdir(proc))) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end || pid <= 0 || pid == (long)getpid())
            continue;
        char dir[64];
        snprintf(dir, sizeof dir, "/proc/%ld/fd", pid);
        DIR *d = opendir(dir);
        if (!d)
            continue; /* another user's: not ours to see */
        struct dirent *fd;
        while (!held && (fd = readdir(d))) {
            char path[320];
            struct stat st;
            if (fd->d_name[0] == '.')
                continue;
            snprintf(path, sizeof path, "%s/%s", dir, fd->d_name);
            held = stat(path, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
        }
        closedir(d);
    }
    closedir(proc);
    return held;
}

/* Bytes [from, end) of fd into `path` (created, replacing). */
static xporta_status copy_tail(struct fs *f, int fd, off_t from,
                               const char *path)
{
    FILE *out = create(f, path);
    if (!out)
        return pfs_sys_fail(f, "cannot create", path);
    char buf[1 << 16];
    xporta_status st = XPORTA_OK;
    for (;;) {
        ssize_t n = pread(fd, buf, sizeof buf, from);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            st = pfs_sys_fail(f, "cannot read", path);
        if (n <= 0)
            break;
        from += n;
        if ((st = write_all(f, out, path, buf, (size_t)n)))
            break;
    }
    if (fclose(out) != 0 && !st)
        st = pfs_sys_fail(f, "cannot write", path);
    return st;
}

enum { LIVE_ROUNDS_SECONDS = 120 };

static xporta_status live_archive(struct fs *f, struct pending *p)
{
    if (fflush(p->newf) != 0 || ferror(p->newf))
        return pfs_sys_fail(f, "cannot write", p->newpath);
    fclose(p->newf);
    p->newf = NULL;
    xporta_status st = XPORTA_OK;
    /* Each round carries only what Prosody appended during the last one,
     * so rounds shrink as soon as its messages pause; a busy machine (a
     * slow copy, a slow /proc walk) needs more of them than a quiet one.
     * Never give up silently: Prosody's late items are in newpath (they
     * are nowhere else: the old file is unlinked), so they are kept. */
    struct timespec t0, tn;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int round = 0; !st; round++) {
        clock_gettime(CLOCK_MONOTONIC, &tn);
        if (round > 0 && tn.tv_sec - t0.tv_sec >= LIVE_ROUNDS_SECONDS) {
            char keep[PATH_MAX];
            snprintf(keep, sizeof keep, "%s.xporta-late-%ld", p->path,
                     (long)getpid());
            if (rename(p->newpath, keep) == 0)
                st = xp_fail(&f->base.run->err, XPORTA_ELOCKED,
                             "%s: Prosody kept writing to it for %d s; "
                             "what it wrote last is kept in %s (append "
                             "it to the file while Prosody is stopped); "
                             "run the same command again (nothing is "
                             "added twice)",
                             p->path, LIVE_ROUNDS_SECONDS, keep);
            else
                st = pfs_sys_fail(f, "cannot keep Prosody's last items in",
                                  keep);
            break;
        }
        /* the old items, then the new, into a file of our own */
        int old = open(p->path, O_RDONLY | O_CLOEXEC);
        if (old < 0 && errno != ENOENT)
            return pfs_sys_fail(f, "cannot read", p->path);
        FILE *out = create(f, p->tmp);
        if (!out) {
            st = pfs_sys_fail(f, "cannot create", p->tmp);
            if (old >= 0)
                close(old);
            break;
        }
        off_t copied = 0;
        char buf[1 << 16];
        for (ssize_t n; old >= 0 && !st;) {
            n = read(old, buf, sizeof buf);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                st = pfs_sys_fail(f, "cannot read", p->path);
            if (n <= 0)
                break;
            copied += n;
            st = write_all(f, out, p->tmp, buf, (size_t)n);
        }
        if (!st)
            st = copy_file(f, p->newpath, out, p->tmp);
        if (!st && (fflush(out) != 0 || fsync(fileno(out)) != 0))
            st = pfs_sys_fail(f, "cannot write", p->tmp);
        struct stat mine;
        if (!st && fstat(fileno(out), &mine) != 0)
            st = pfs_sys_fail(f, "cannot write", p->tmp);
        if (fclose(out) != 0 && !st)
            st = pfs_sys_fail(f, "cannot write", p->tmp);
        /* no old file: link() fails if Prosody created one meanwhile */
        if (!st && old < 0) {
            if (link(p->tmp, p->path) != 0) {
                if (errno != EEXIST)
                    st = pfs_sys_fail(f, "cannot create", p->path);
                unlink(p->tmp);
                continue; /* Prosody's file came first: again, with it */
            }
            unlink(p->tmp);
        } else if (!st && rename(p->tmp, p->path) != 0) {
            st = pfs_sys_fail(f, "cannot replace", p->path);
        }
        if (st) {
            if (old >= 0)
                close(old);
            unlink(p->tmp);
            break;
        }
        if (old < 0)
            break;
        /* Prosody's appends that had begun on the old file end there */
        struct stat os;
        if (fstat(old, &os) != 0) {
            close(old);
            st = pfs_sys_fail(f, "cannot read", p->path);
            break;
        }
        struct timespec ms = {0, 10 * 1000 * 1000};
        for (int i = 0; i < 500 && (i < 2 || held_open(os.st_dev, os.st_ino));
             i++)
            nanosleep(&ms, NULL);
        struct stat now, there;
        if (fstat(old, &now) != 0) {
            close(old);
            st = pfs_sys_fail(f, "cannot read", p->path);
            break;
        }
        if (stat(p->path, &there) != 0 || there.st_ino != mine.st_ino ||
            there.st_dev != mine.st_dev) {
            close(old);
            st = xp_fail(&f->base.run->err, XPORTA_ELOCKED,
                         "%s: Prosody rewrote the archive while xporta "
                         "wrote it (an expiry or a quota); run the same "
                         "command again: what is there already is not "
                         "added twice",
                         p->path);
            break;
        }
        if (now.st_size <= copied) {
            close(old);
            break; /* nothing came after the copy */
        }
        /* Prosody's items, written to the old file after our copy: they
         * are what the next round adds */
        st = copy_tail(f, old, copied, p->newpath);
        close(old);
    }
    unlink(p->newpath);
    free(p->newpath);
    p->newpath = NULL;
    free(p->tmp); /* renamed into place, or removed */
    p->tmp = NULL;
    return st;
}

xporta_status pfs_commit(struct pbe *b)
{
    struct fs *f = (struct fs *)b;
    xporta_status st = XPORTA_OK;
    if (b->live) {
        for (size_t i = 0; !st && i < f->np; i++)
            st = f->p[i].store ? live_archive(f, &f->p[i])
                               : xp_fail(&b->run->err, XPORTA_EINVAL,
                                         "%s: not written beside a running "
                                         "Prosody",
                                         f->p[i].path);
        pfs_clear_pending(f, true);
        return st;
    }
    for (size_t i = 0; !st && i < f->np; i++)
        if (f->p[i].store)
            st = finish_archive(f, &f->p[i]);
    /* Every new file is complete: now they replace the old ones. */
    for (size_t i = 0; !st && i < f->np; i++) {
        struct pending *p = &f->p[i];
        if (p->tmp ? rename(p->tmp, p->path) != 0
                   : (unlink(p->path) != 0 && errno != ENOENT))
            st = pfs_sys_fail(f, "cannot replace", p->path);
        else {
            free(p->tmp);
            p->tmp = NULL;
        }
    }
    pfs_clear_pending(f, true);
    return st;
}

void pfs_rollback(struct pbe *b)
{
    pfs_clear_pending((struct fs *)b, true);
}

xporta_status pbe_fs_flush(struct pbe *b)
{
    struct fs *f = (struct fs *)b;
    int fd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || syncfs(fd) != 0) {
        xporta_status st = pfs_sys_fail(f, "cannot sync", f->dir);
        if (fd >= 0)
            close(fd);
        return st;
    }
    close(fd);
    return XPORTA_OK;
}

static void fs_close(struct pbe *b)
{
    struct fs *f = (struct fs *)b;
    pfs_clear_pending(f, true);
    free(f->p);
    free(f->host);
    free(f->user);
    free(f->dir);
    xp_buf_cleanup(&f->buf);
    xp_arena_cleanup(&f->ia);
    free(f);
}

static const struct pbe_ops fs_ops = {
    .close = fs_close,
    .users = pfs_users,
    .get = pfs_get,
    .stores = pfs_stores,
    .items = pfs_items,
    .begin = pfs_begin,
    .set = pfs_set,
    .append = pfs_append,
    .commit = pfs_commit,
    .rollback = pfs_rollback,
    .flush = pbe_fs_flush,
    .all_stores = pfs_all_stores,
    .rooms = pfs_rooms,
    .running = pbe_running_at_where,
};

xporta_status pbe_fs_open(struct pbe **out, const char *dir, bool write,
                          struct xp_run *run)
{
    struct stat sb;
    if (stat(dir, &sb) != 0)
        return xp_fail(&run->err,
                       errno == ENOENT ? XPORTA_ENOTFOUND : XPORTA_EIO,
                       "%s: %s (Prosody's data directory, data_path in "
                       "prosody.cfg.lua; /var/lib/prosody on Debian)",
                       dir, strerror(errno));
    if (!S_ISDIR(sb.st_mode))
        return xp_fail(&run->err, XPORTA_EINVAL,
                       "%s: not a directory (Prosody's internal storage is a "
                       "directory; for SQLite use prosody+sqlite:FILE)",
                       dir);
    if (write && access(dir, W_OK) != 0)
        return xp_fail(&run->err, XPORTA_EIO, "%s: %s", dir, strerror(errno));
    struct fs *f = calloc(1, sizeof *f);
    if (!f || !(f->dir = xp_strdup(dir))) {
        free(f);
        return xp_fail(&run->err, XPORTA_ENOMEM, "out of memory");
    }
    size_t n = strlen(f->dir);
    while (n > 1 && f->dir[n - 1] == '/')
        f->dir[--n] = '\0';
    f->base.ops = &fs_ops;
    f->base.run = run;
    f->base.where = f->dir;
    f->write = write;
    f->uid = sb.st_uid;
    f->gid = sb.st_gid;
    f->chown = geteuid() == 0 && (sb.st_uid != 0 || sb.st_gid != 0);
    xp_buf_init(&f->buf, 256u << 20);
    xp_arena_init(&f->ia, 0);
    *out = &f->base;
    return XPORTA_OK;
}
