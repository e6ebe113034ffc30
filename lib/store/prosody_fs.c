/*
 * Prosody's internal storage (the Debian default): a backend for
 * prosody_store.h.
 *
 * The layout is util/datamanager.lua's: DATA/HOST/STORE/USER.dat holds a
 * key-value store as `return VALUE;`, DATA/HOST/STORE/USER.list an archive
 * store as one `item(VALUE);` per item, every name percent-encoded (host
 * and user: every byte but ASCII letters and digits; store: the same but
 * '_').  Values are read without Lua (prosody_lua.c).
 *
 * Writing one user: each store is written to a temporary name in its own
 * directory and renamed over the old file at commit (what datamanager does
 * itself); an archive store is written once, the old items first (without
 * the replaced ones), then the new ones.  Nothing is synced per user: the
 * caller calls pbe_fs_flush() (syncfs) before it records users as done,
 * which costs one sync per batch instead of one per file.  New files and
 * directories get the owner of the data directory (when run as root) and
 * the modes of Debian's package: 0750 directories, 0640 files.
 */
#define _GNU_SOURCE /* syncfs(2): one sync for a batch of users */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "prosody_store.h"

#define TMP_SUFFIX ".xporta-tmp"
#define NEW_SUFFIX ".xporta-new"
#define MAX_DAT (64u << 20) /* one .dat file */

struct pending {
    char *path;  /* the final name */
    char *tmp;   /* what becomes it (NULL: remove `path`) */
    char *store; /* archive stores: the store; else NULL */
    struct xp_strv replaced;
    FILE *newf; /* archive stores: the new items so far */
    char *newpath;
};

struct fs {
    struct pbe base;
    char *dir;
    bool write;
    uid_t uid;
    gid_t gid;
    bool chown;
    /* the user being written */
    char *host, *user;
    struct pending *p;
    size_t np, pcap;
    struct xp_buf buf;
    struct xp_arena ia;
};

/* ---- names -------------------------------------------------------------- */

static bool alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9');
}

char *pbe_fs_encode(const char *s, bool store)
{
    size_t n = strlen(s);
    char *out = malloc(3 * n + 1), *o = out;
    if (!out)
        return NULL;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (alnum(*p) || (store && *p == '_'))
            *o++ = (char)*p;
        else
            o += sprintf(o, "%%%02x", *p);
    }
    *o = '\0';
    return out;
}

static int hexv(int c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

char *pbe_fs_decode(const char *s)
{
    char *out = malloc(strlen(s) + 1), *o = out;
    if (!out)
        return NULL;
    for (const char *p = s; *p; p++) {
        if (*p == '%') {
            int h = hexv(p[1]), l = h >= 0 ? hexv(p[2]) : -1;
            if (l < 0) {
                free(out);
                return NULL;
            }
            *o++ = (char)(h * 16 + l);
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    if (memchr(out, '\0', (size_t)(o - out)) != NULL) {
        free(out);
        return NULL;
    }
    return out;
}

/* DATA/HOST/STORE[/USER.EXT] */
static char *path_of(const struct fs *f, const char *host, const char *store,
                     const char *user, const char *ext)
{
    char *h = pbe_fs_encode(host, false), *s = pbe_fs_encode(store, true);
    char *u = user ? pbe_fs_encode(user, false) : NULL;
    char *out = NULL;
    if (h && s && (u || !user)) {
        size_t n = strlen(f->dir) + strlen(h) + strlen(s) +
                   (u ? strlen(u) : 0) + (ext ? strlen(ext) : 0) + 8;
        out = malloc(n);
        if (out) {
            if (u)
                snprintf(out, n, "%s/%s/%s/%s.%s", f->dir, h, s, u, ext);
            else
                snprintf(out, n, "%s/%s/%s", f->dir, h, s);
        }
    }
    free(h);
    free(s);
    free(u);
    return out;
}

static xporta_status sys_fail(struct fs *f, const char *what, const char *path)
{
    int e = errno;
    return xp_fail(&f->base.run->err, XPORTA_EIO, "%s %s: %s", what, path,
                   strerror(e));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* user@host by host, then user: a file written from them has each host
 * once. */
static int cmp_jid(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    const char *hx = strrchr(x, '@'), *hy = strrchr(y, '@');
    int c = strcmp(hx, hy);
    if (c)
        return c;
    size_t nx = (size_t)(hx - x), ny = (size_t)(hy - y);
    c = memcmp(x, y, nx < ny ? nx : ny);
    return c ? c : (nx > ny) - (nx < ny);
}

/* ---- reading ------------------------------------------------------------ */

static xporta_status fs_users(struct pbe *b, struct xp_strv *out,
                              struct xp_strv *rejects)
{
    struct fs *f = (struct fs *)b;
    DIR *d = opendir(f->dir);
    if (!d)
        return sys_fail(f, "cannot read", f->dir);
    struct dirent *e;
    xporta_status st = XPORTA_OK;
    while (!st && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char *host = pbe_fs_decode(e->d_name);
        char *acc = host ? path_of(f, host, "accounts", NULL, NULL) : NULL;
        DIR *ad = acc ? opendir(acc) : NULL;
        struct dirent *u;
        while (ad && !st && (u = readdir(ad))) {
            size_t n = strlen(u->d_name);
            if (u->d_name[0] == '.' || n < 5 ||
                strcmp(u->d_name + n - 4, ".dat") != 0)
                continue;
            u->d_name[n - 4] = '\0';
            char *user = pbe_fs_decode(u->d_name);
            if (!user || !*user || strpbrk(user, "@/\"&'<>: ") ||
                strlen(user) > 1023) {
                /* reported, and left out: the others go on */
                char *why =
                    xp_arena_printf(&f->ia, "%s/%s.dat", acc, u->d_name);
                if (!why || xp_strv_add(rejects, why) < 0)
                    st = XPORTA_ENOMEM;
                free(user);
                continue;
            }
            char *jid = xp_arena_printf(&f->ia, "%s@%s", user, host);
            if (!jid || xp_strv_add(out, jid) < 0)
                st = XPORTA_ENOMEM;
            free(user);
        }
        if (ad)
            closedir(ad);
        free(acc);
        free(host);
        xp_arena_reset(&f->ia);
    }
    closedir(d);
    if (st)
        return xp_fail(&b->run->err, st, "out of memory");
    if (out->n)
        qsort(out->v, out->n, sizeof *out->v, cmp_jid);
    return XPORTA_OK;
}

/* The whole file, NUL-terminated; NULL with errno (ENOENT: none). */
static char *slurp(struct fs *f, const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat sb;
    char *s = NULL;
    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
        (uint64_t)sb.st_size <= MAX_DAT &&
        (s = malloc((size_t)sb.st_size + 1))) {
        size_t got = 0;
        ssize_t n;
        while (got < (size_t)sb.st_size &&
               (n = read(fd, s + got, (size_t)sb.st_size - got)) > 0)
            got += (size_t)n;
        s[got] = '\0';
        *len = got;
    } else if (fstat(fd, &sb) == 0 && !S_ISREG(sb.st_mode)) {
        errno = EISDIR;
    } else if (!errno || (uint64_t)sb.st_size > MAX_DAT) {
        errno = EFBIG;
    }
    (void)f;
    int e = errno;
    close(fd);
    errno = e;
    return s;
}

static xporta_status fs_get(struct pbe *b, const char *host, const char *user,
                            const char *store, struct xp_arena *a,
                            struct pv *out, bool *found)
{
    struct fs *f = (struct fs *)b;
    char *path = path_of(f, host, store, user, "dat");
    size_t len = 0;
    *found = false;
    if (!path)
        return xp_fail(&b->run->err, XPORTA_ENOMEM, "out of memory");
    errno = 0;
    char *text = slurp(f, path, &len);
    xporta_status st = XPORTA_OK;
    if (!text) {
        if (errno != ENOENT)
            st = sys_fail(f, "cannot read", path);
    } else {
        st = pv_parse_lua(a, path, text, len, PV_DAT, out, &b->run->err);
        *found = st == XPORTA_OK;
    }
    free(text);
    free(path);
    return st;
}

static xporta_status fs_stores(struct pbe *b, const char *host,
                               const char *user, struct xp_strv *out)
{
    struct fs *f = (struct fs *)b;
    char *h = pbe_fs_encode(host, false), *u = pbe_fs_encode(user, false);
    char *hdir = h ? xp_path_join(f->dir, h) : NULL;
    DIR *d = hdir ? opendir(hdir) : NULL;
    xporta_status st = XPORTA_OK;
    struct dirent *e;
    if (!u || !hdir)
        st = XPORTA_ENOMEM;
    while (d && !st && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char *list =
            xp_arena_printf(&f->ia, "%s/%s/%s.list", hdir, e->d_name, u);
        struct stat sb;
        if (!list) {
            st = XPORTA_ENOMEM;
        } else if (stat(list, &sb) == 0 && S_ISREG(sb.st_mode)) {
            char *name = pbe_fs_decode(e->d_name);
            if (!name || xp_strv_add(out, name) < 0)
                st = XPORTA_ENOMEM;
            free(name);
        }
        xp_arena_reset(&f->ia);
    }
    if (d)
        closedir(d);
    free(h);
    free(u);
    free(hdir);
    if (st)
        return xp_fail(&b->run->err, st, "out of memory");
    if (out->n)
        qsort(out->v, out->n, sizeof *out->v, cmp_str);
    return XPORTA_OK;
}

static long fd_read(void *ud, char *buf, size_t cap)
{
    ssize_t n = read(*(int *)ud, buf, cap);
    return n < 0 ? -1 : (long)n;
}

/* Reads `path` item by item: `fn` gets each item's value. */
static xporta_status each_value(struct fs *f, const char *path,
                                xporta_status (*fn)(void *, struct pv *,
                                                    struct xp_arena *),
                                void *ud)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? XPORTA_OK : sys_fail(f, "cannot read", path);
    struct xp_arena a;
    struct pv_reader *r;
    xp_arena_init(&a, 0);
    xporta_status st = pv_reader_new(&r, path, fd_read, &fd, PV_LIST, &a);
    struct pv v;
    while (!st &&
           (st = pv_reader_next(r, &v, &f->base.run->err)) == XPORTA_OK) {
        st = fn(ud, &v, &a);
        xp_arena_reset(&a);
    }
    if (st == XPORTA_ENOTFOUND)
        st = XPORTA_OK;
    pv_reader_free(r);
    xp_arena_cleanup(&a);
    close(fd);
    return st;
}

struct items_ctx {
    struct fs *f;
    const char *path;
    pitem_fn fn;
    void *ud;
    unsigned long n;
};

static xporta_status one_item(void *ud, struct pv *v, struct xp_arena *a)
{
    struct items_ctx *c = ud;
    struct pitem it = {0};
    const char *why;
    c->n++;
    it.key = pv_str_at(v, "key");
    it.with = pv_str_at(v, "with");
    const struct pv *when = pv_get_s(v, "when");
    it.stanza = pv_to_elem(a, v, XP_NS_CLIENT, &why);
    if (!it.stanza)
        return why ? xp_fail(&c->f->base.run->err, XPORTA_EFORMAT,
                             "%s: item %lu: %s", c->path, c->n, why)
                   : xp_fail(&c->f->base.run->err, XPORTA_ENOMEM,
                             "out of memory");
    if (when && when->t == PV_NUM) {
        it.when = when->is_int ? (double)when->i : when->n;
    } else if (!pmap_parse_time(xp_elem_attr_ns(it.stanza, "", "stamp"),
                                &it.when)) {
        return xp_fail(&c->f->base.run->err, XPORTA_EFORMAT,
                       "%s: item %lu: no time (neither when nor stamp)",
                       c->path, c->n);
    }
    char num[32];
    if (!it.key) { /* archive:find() numbers items without a key */
        snprintf(num, sizeof num, "%lu", c->n);
        it.key = num;
    }
    if (!it.with)
        it.with = "";
    return c->fn(c->ud, &it);
}

static xporta_status fs_items(struct pbe *b, const char *host, const char *user,
                              const char *store, pitem_fn fn, void *ud)
{
    struct fs *f = (struct fs *)b;
    char *path = path_of(f, host, store, user, "list");
    if (!path)
        return xp_fail(&b->run->err, XPORTA_ENOMEM, "out of memory");
    struct items_ctx c = {f, path, fn, ud, 0};
    xporta_status st = each_value(f, path, one_item, &c);
    free(path);
    return st;
}

/* ---- writing ------------------------------------------------------------ */

static void clear_pending(struct fs *f, bool remove_tmp)
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

static xporta_status fs_begin(struct pbe *b, const char *host, const char *user)
{
    struct fs *f = (struct fs *)b;
    clear_pending(f, true);
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
            return sys_fail(f, "cannot give to Prosody's user", path);
        return XPORTA_OK;
    }
    return errno == EEXIST ? XPORTA_OK : sys_fail(f, "cannot create", path);
}

static xporta_status store_dir(struct fs *f, const char *store, char **out)
{
    char *h = pbe_fs_encode(f->host, false);
    char *hdir = h ? xp_path_join(f->dir, h) : NULL;
    char *sdir = hdir ? path_of(f, f->host, store, NULL, NULL) : NULL;
    xporta_status st = sdir ? XPORTA_OK : XPORTA_ENOMEM;
    if (!st && !(st = mkdir_owned(f, hdir)))
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

static xporta_status write_all(struct fs *f, FILE *fp, const char *path,
                               const char *s, size_t n)
{
    if (fwrite(s, 1, n, fp) != n)
        return sys_fail(f, "cannot write", path);
    return XPORTA_OK;
}

static xporta_status fs_set(struct pbe *b, const char *store,
                            const struct pv *v)
{
    struct fs *f = (struct fs *)b;
    char *sdir = NULL;
    xporta_status st = store_dir(f, store, &sdir);
    if (st)
        return st;
    free(sdir);
    struct pending *p = add_pending(f);
    if (!p || !(p->path = path_of(f, f->host, store, f->user, "dat")))
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
        return sys_fail(f, "cannot create", p->tmp);
    st = write_all(f, fp, p->tmp, f->buf.data, f->buf.len);
    if (fclose(fp) != 0 && !st)
        st = sys_fail(f, "cannot write", p->tmp);
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
        !(p->path = path_of(f, f->host, store, f->user, "list")) ||
        !(p->tmp = xp_strcat(p->path, TMP_SUFFIX)) ||
        !(p->newpath = xp_strcat(p->path, NEW_SUFFIX))) {
        xp_fail(&f->base.run->err, XPORTA_ENOMEM, "out of memory");
        return NULL;
    }
    if (!(p->newf = create(f, p->newpath))) {
        sys_fail(f, "cannot create", p->newpath);
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

static xporta_status fs_append(struct pbe *b, const char *store,
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
            return sys_fail(f, "cannot read", "/dev/urandom");
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
        return errno == ENOENT ? XPORTA_OK : sys_fail(f, "cannot read", from);
    char buf[1 << 16];
    size_t n;
    xporta_status st = XPORTA_OK;
    while (!st && (n = fread(buf, 1, sizeof buf, in)) > 0)
        st = write_all(f, out, to, buf, n);
    if (!st && ferror(in))
        st = sys_fail(f, "cannot read", from);
    fclose(in);
    return st;
}

/* The archive's final file: old items (less the replaced), then new. */
static xporta_status finish_archive(struct fs *f, struct pending *p)
{
    if (fflush(p->newf) != 0 || ferror(p->newf))
        return sys_fail(f, "cannot write", p->newpath);
    fclose(p->newf);
    p->newf = NULL;
    FILE *out = create(f, p->tmp);
    if (!out)
        return sys_fail(f, "cannot create", p->tmp);
    xporta_status st;
    if (p->replaced.n) {
        struct filter_ctx c = {f, p, out};
        st = each_value(f, p->path, keep_unreplaced, &c);
    } else {
        st = copy_file(f, p->path, out, p->tmp);
    }
    if (!st)
        st = copy_file(f, p->newpath, out, p->tmp);
    if (fclose(out) != 0 && !st)
        st = sys_fail(f, "cannot write", p->tmp);
    unlink(p->newpath);
    free(p->newpath);
    p->newpath = NULL;
    return st;
}

static xporta_status fs_commit(struct pbe *b)
{
    struct fs *f = (struct fs *)b;
    xporta_status st = XPORTA_OK;
    for (size_t i = 0; !st && i < f->np; i++)
        if (f->p[i].store)
            st = finish_archive(f, &f->p[i]);
    /* Every new file is complete: now they replace the old ones. */
    for (size_t i = 0; !st && i < f->np; i++) {
        struct pending *p = &f->p[i];
        if (p->tmp ? rename(p->tmp, p->path) != 0
                   : (unlink(p->path) != 0 && errno != ENOENT))
            st = sys_fail(f, "cannot replace", p->path);
        else {
            free(p->tmp);
            p->tmp = NULL;
        }
    }
    clear_pending(f, true);
    return st;
}

static void fs_rollback(struct pbe *b)
{
    clear_pending((struct fs *)b, true);
}

xporta_status pbe_fs_flush(struct pbe *b)
{
    struct fs *f = (struct fs *)b;
    int fd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || syncfs(fd) != 0) {
        xporta_status st = sys_fail(f, "cannot sync", f->dir);
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
    clear_pending(f, true);
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
    .users = fs_users,
    .get = fs_get,
    .stores = fs_stores,
    .items = fs_items,
    .begin = fs_begin,
    .set = fs_set,
    .append = fs_append,
    .commit = fs_commit,
    .rollback = fs_rollback,
    .flush = pbe_fs_flush,
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
