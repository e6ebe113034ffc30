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
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "prosody_fs_p.h"

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

/* DATA/HOST/STORE[/USER.EXT], DATA/HOST/STORE.EXT for user "" */
char *pfs_path_of(const struct fs *f, const char *host, const char *store,
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
            if (u && !*u && ext) /* a host's own store (user nil) */
                snprintf(out, n, "%s/%s/%s.%s", f->dir, h, s, ext);
            else if (u)
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

xporta_status pfs_sys_fail(struct fs *f, const char *what, const char *path)
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

xporta_status pfs_users(struct pbe *b, struct xp_strv *out,
                        struct xp_strv *rejects)
{
    struct fs *f = (struct fs *)b;
    DIR *d = opendir(f->dir);
    if (!d)
        return pfs_sys_fail(f, "cannot read", f->dir);
    struct dirent *e;
    xporta_status st = XPORTA_OK;
    while (!st && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char *host = pbe_fs_decode(e->d_name);
        char *acc = host ? pfs_path_of(f, host, "accounts", NULL, NULL) : NULL;
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

xporta_status pfs_get(struct pbe *b, const char *host, const char *user,
                      const char *store, struct xp_arena *a, struct pv *out,
                      bool *found)
{
    struct fs *f = (struct fs *)b;
    char *path = pfs_path_of(f, host, store, user, "dat");
    size_t len = 0;
    *found = false;
    if (!path)
        return xp_fail(&b->run->err, XPORTA_ENOMEM, "out of memory");
    errno = 0;
    char *text = slurp(f, path, &len);
    xporta_status st = XPORTA_OK;
    if (!text) {
        if (errno != ENOENT)
            st = pfs_sys_fail(f, "cannot read", path);
    } else {
        st = pv_parse_lua(a, path, text, len, PV_DAT, out, &b->run->err);
        *found = st == XPORTA_OK;
    }
    free(text);
    free(path);
    return st;
}

xporta_status pfs_stores(struct pbe *b, const char *host, const char *user,
                         struct xp_strv *out)
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
xporta_status pfs_each_value(struct fs *f, const char *path,
                             xporta_status (*fn)(void *, struct pv *,
                                                 struct xp_arena *),
                             void *ud)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? XPORTA_OK
                               : pfs_sys_fail(f, "cannot read", path);
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

xporta_status pfs_items(struct pbe *b, const char *host, const char *user,
                        const char *store, pitem_fn fn, void *ud)
{
    struct fs *f = (struct fs *)b;
    char *path = pfs_path_of(f, host, store, user, "list");
    if (!path)
        return xp_fail(&b->run->err, XPORTA_ENOMEM, "out of memory");
    struct items_ctx c = {f, path, fn, ud, 0};
    xporta_status st = pfs_each_value(f, path, one_item, &c);
    free(path);
    return st;
}

xporta_status pfs_all_stores(struct pbe *b, struct xp_strv *out)
{
    struct fs *f = (struct fs *)b;
    DIR *d = opendir(f->dir);
    struct dirent *h;
    xporta_status st = XPORTA_OK;
    while (d && !st && (h = readdir(d))) {
        if (h->d_name[0] == '.')
            continue;
        char *hdir = xp_path_join(f->dir, h->d_name);
        DIR *hd = hdir ? opendir(hdir) : NULL;
        struct dirent *e;
        while (hd && !st && (e = readdir(hd))) {
            /* a host's own store is a file: STORE.dat (mod_muc's
             * persistent) */
            size_t n = strlen(e->d_name);
            if (n > 4 && strcmp(e->d_name + n - 4, ".dat") == 0)
                e->d_name[n - 4] = '\0';
            char *name = e->d_name[0] == '.' ? NULL : pbe_fs_decode(e->d_name);
            if (name && xp_strv_add(out, name) < 0)
                st = XPORTA_ENOMEM;
            free(name);
        }
        if (hd)
            closedir(hd);
        free(hdir);
    }
    if (d)
        closedir(d);
    return st ? xp_fail(&b->run->err, st, "out of memory") : XPORTA_OK;
}

/* Every room: DATA/HOST/config/NODE.dat (mod_muc's rooms; a user's host
 * has no `config` store). */
xporta_status pfs_rooms(struct pbe *b, struct xp_strv *out)
{
    struct fs *f = (struct fs *)b;
    DIR *d = opendir(f->dir);
    if (!d)
        return pfs_sys_fail(f, "cannot read", f->dir);
    struct dirent *e;
    xporta_status st = XPORTA_OK;
    while (!st && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char *host = pbe_fs_decode(e->d_name);
        char *cdir = host ? pfs_path_of(f, host, "config", NULL, NULL) : NULL;
        DIR *cd = cdir ? opendir(cdir) : NULL;
        struct dirent *u;
        while (cd && !st && (u = readdir(cd))) {
            size_t n = strlen(u->d_name);
            if (u->d_name[0] == '.' || n < 5 ||
                strcmp(u->d_name + n - 4, ".dat") != 0)
                continue;
            u->d_name[n - 4] = '\0';
            char *node = pbe_fs_decode(u->d_name);
            char *jid = node && *node
                            ? xp_arena_printf(&f->ia, "%s@%s", node, host)
                            : NULL;
            if (node && *node && (!jid || xp_strv_add(out, jid) < 0))
                st = XPORTA_ENOMEM;
            free(node);
        }
        if (cd)
            closedir(cd);
        free(cdir);
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
