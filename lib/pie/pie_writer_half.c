/*
 * The XEP-0227 writer: a second writer for a file's second half.
 *
 * convert on two cores (the pass of pie_pass.c) gives the second half of a
 * file its own writer, forked before anything is read: it stands where the
 * first writer will be between two users of one host, and writes into parts
 * of its own (a temporary file for what goes into the main file, one for
 * the rest of that host's file) and into user files of its own (Prosody,
 * the split layout), published only under names nothing has yet.  When the
 * first half reaches the split, xporta_pie_writer_can_join() proves that
 * the first writer is where the second began and that their output cannot
 * clash (the same user, a host file of the same name); then
 * xporta_pie_writer_join() appends the parts in order and takes over the
 * rest.  Freed without a join, the second writer removes what it made.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pie_p.h"
#include "pie_writer_p.h"

struct half_file {
    char *path;
    uint64_t ino;
};
/* A second half that would publish more user files gives up (its list
 * stays a few MiB): the first thread then reads on alone. */
enum { MAX_HALF_FILES = 1 << 16 };

struct pie_half {
    char *host;              /* where it began: the first writer's host */
    struct half_file *files; /* published user files */
    size_t nfiles, capfiles;
    bool joined;
    /* The parts (temporary names) and their lengths on disk, published
     * for xporta_pie_writer_join_ahead on the first writer's thread. */
    char *main_part, *cont_part;
    _Atomic uint64_t main_flushed, cont_flushed;
};

/* The first writer's copy, made ahead, of the beginning of the second's
 * big part: `done` bytes appended to `to` from its length `base`. */
struct pie_ahead {
    const struct pie_half *from; /* only compared */
    struct xp_afile *to;
    uint64_t base, done;
};

static bool host_files(const xporta_pie_writer *w)
{
    return w->dialect == XPORTA_DIALECT_EJABBERD ||
           (w->dialect == XPORTA_DIALECT_STANDARD &&
            (w->flags & XPORTA_PIE_SPLIT));
}

/* A part: a temporary file beside the output (inside it when it is a
 * directory), never published. */
static xporta_status open_part(xporta_pie_writer *w, const xporta_pie_writer *a,
                               struct xp_afile *f)
{
    char *base =
        a->workdir ? xp_path_join(a->workdir, ".part") : xp_strdup(a->path);
    if (!base)
        return xp_fail(&w->err, XPORTA_ENOMEM, "out of memory");
    xporta_status st = xp_afile_open(f, base, &w->err);
    free(base);
    return st;
}

xporta_status xporta_pie_writer_fork(xporta_pie_writer *w, const char *host,
                                     xporta_pie_writer **out)
{
    if (!w || !host || !out || w->half || w->committed || w->keep_part)
        return XPORTA_EINVAL;
    *out = NULL;
    if (w->ahead)
        pie_w_drop_ahead(w); /* for a second half that was not joined */
    xporta_pie_writer *b = pie_w_alloc(w->path, w->dialect, w->flags);
    if (!b)
        return XPORTA_ENOMEM;
    b->half = calloc(1, sizeof *b->half);
    b->host_jid = xp_strdup(host);
    if (b->half)
        b->half->host = xp_strdup(host);
    if (w->workdir)
        b->workdir = xp_strdup(w->workdir);
    if (!b->half || !b->half->host || !b->host_jid ||
        (w->workdir && !b->workdir)) {
        xporta_pie_writer_free(b);
        return XPORTA_ENOMEM;
    }
    b->hold.dir = b->workdir; /* a large group spills there (pie_hold.c) */
    b->in_host = true;
    b->diag = w->diag;
    b->diag_ud = w->diag_ud;
    xporta_status st = XPORTA_OK;
    atomic_init(&b->half->main_flushed, 0);
    atomic_init(&b->half->cont_flushed, 0);
    if (w->dialect != XPORTA_DIALECT_PROSODY) {
        st = open_part(b, w, &b->main);
        b->main.flushed = &b->half->main_flushed;
        if (st == XPORTA_OK && !(b->half->main_part = xp_strdup(b->main.tmp)))
            st = XPORTA_ENOMEM;
    }
    if (st == XPORTA_OK && host_files(w)) {
        st = open_part(b, w, &b->host);
        b->host.flushed = &b->half->cont_flushed;
        if (st == XPORTA_OK && !(b->half->cont_part = xp_strdup(b->host.tmp)))
            st = XPORTA_ENOMEM;
    }
    if (st != XPORTA_OK) {
        xporta_pie_writer_free(b);
        return st;
    }
    *out = b;
    return XPORTA_OK;
}

/* A second half's user file is complete: published only where nothing is
 * yet (the first half may have written the same user), and remembered, to
 * be removed if not joined. */
xporta_status pie_w_half_publish(xporta_pie_writer *w)
{
    struct pie_half *h = w->half;
    if (h->nfiles == h->capfiles) {
        size_t cap = h->capfiles ? h->capfiles * 2 : 64;
        struct half_file *f =
            cap <= MAX_HALF_FILES ? realloc(h->files, cap * sizeof *f) : NULL;
        if (!f)
            return xp_fail(&w->err, XPORTA_ETOOBIG,
                           "too many user files for a second half");
        h->files = f;
        h->capfiles = cap;
    }
    struct half_file *f = &h->files[h->nfiles];
    f->path = xp_strdup(w->user.path);
    xporta_status st = f->path
                           ? xp_afile_publish_new(&w->user, &f->ino, &w->err)
                           : xp_fail(&w->err, XPORTA_ENOMEM, "out of memory");
    if (st == XPORTA_OK)
        h->nfiles++;
    else
        free(f->path);
    return st;
}

static bool parked_has(const xporta_pie_writer *w, const char *jid)
{
    for (size_t i = 0; i < w->nparked; i++)
        if (strcmp(w->parked[i].jid, jid) == 0)
            return true;
    return false;
}

bool xporta_pie_writer_can_join(const xporta_pie_writer *w,
                                const xporta_pie_writer *second)
{
    const xporta_pie_writer *b = second;
    const struct pie_half *h = b ? b->half : NULL;
    if (!w || !h || w->half || w->committed || w->keep_part ||
        w->err.status != XPORTA_OK || b->err.status != XPORTA_OK ||
        b->in_user || w->dialect != b->dialect || w->flags != b->flags)
        return false;
    /* Where the second began: inside its host, between two users. */
    if (!w->in_host || w->in_user || !w->host_jid ||
        strcmp(w->host_jid, h->host) != 0 ||
        (host_files(w) && !pie_w_afile_is_open(&w->host)))
        return false;
    /* Nothing the second wrote may clash with what the first did. */
    for (size_t i = 0; i < b->users.cap; i++)
        if (b->users.slots[i] && xp_set_has(&w->users, b->users.slots[i]))
            return false;
    for (size_t i = 0; i < b->nparked; i++)
        if (strcmp(b->parked[i].jid, h->host) != 0 &&
            parked_has(w, b->parked[i].jid))
            return false;
    if (b->in_host && strcmp(b->host_jid, h->host) != 0 &&
        parked_has(w, b->host_jid))
        return false;
    return true;
}

/* The host files: the rest of the split host's appended to the first
 * writer's, the second writer's other hosts taken over. */
static xporta_status join_hosts(xporta_pie_writer *w, xporta_pie_writer *b)
{
    const char *split_host = b->half->host;
    struct xp_afile *cont = NULL;
    bool secret = false;
    bool current = b->in_host && strcmp(b->host_jid, split_host) == 0;
    if (current) {
        cont = &b->host;
        secret = b->host_secret;
    }
    for (size_t i = 0; !current && i < b->nparked; i++) {
        if (strcmp(b->parked[i].jid, split_host) == 0) {
            cont = &b->parked[i].file;
            secret = b->parked[i].secret;
        }
    }
    if (!cont)
        return xp_fail(&w->err, XPORTA_EINVAL, "internal: no part for %s",
                       split_host);
    uint64_t skip = w->ahead && w->ahead->to == &w->host ? w->ahead->done : 0;
    xporta_status st = xp_afile_append(&w->host, cont, skip, &w->err);
    xp_afile_abort(cont);
    w->host_secret = w->host_secret || secret;
    if (st == XPORTA_OK && !current) {
        /* The second writer left that host: so does the first. */
        st = pie_w_park_host(w);
        if (st == XPORTA_OK && b->in_host) {
            w->host = b->host;
            w->host_secret = b->host_secret;
            pie_w_afile_zero(&b->host);
        }
    }
    for (size_t i = 0; st == XPORTA_OK && i < b->nparked; i++) {
        if (strcmp(b->parked[i].jid, split_host) == 0)
            continue;
        if (w->nparked == w->capparked) {
            size_t cap = w->capparked ? w->capparked * 2 : 4;
            struct parked_host *p = realloc(w->parked, cap * sizeof *p);
            if (!p)
                return xp_fail(&w->err, XPORTA_ENOMEM, "out of memory");
            w->parked = p;
            w->capparked = cap;
        }
        w->parked[w->nparked++] = b->parked[i];
        b->parked[i].jid = NULL;
        pie_w_afile_zero(&b->parked[i].file);
    }
    return st;
}

xporta_status xporta_pie_writer_join(xporta_pie_writer *w,
                                     xporta_pie_writer *second)
{
    xporta_pie_writer *b = second;
    if (!xporta_pie_writer_can_join(w, b))
        return w ? xp_fail(&w->err, XPORTA_EINVAL, "writers cannot be joined")
                 : XPORTA_EINVAL;
    xporta_status st = XPORTA_OK;
    if (w->ahead && w->ahead->from != b->half)
        pie_w_drop_ahead(w);
    uint64_t skip = w->ahead && w->ahead->to == &w->main ? w->ahead->done : 0;
    if (pie_w_afile_is_open(&b->main))
        st = xp_afile_append(&w->main, &b->main, skip, &w->err);
    xp_afile_abort(&b->main);
    if (st == XPORTA_OK && host_files(w))
        st = join_hosts(w, b);
    free(w->ahead); /* used: nothing to undo */
    w->ahead = NULL;
    for (size_t i = 0; st == XPORTA_OK && i < b->users.cap; i++)
        if (b->users.slots[i] && xp_set_add(&w->users, b->users.slots[i]) < 0)
            st = xp_fail(&w->err, XPORTA_ENOMEM, "out of memory");
    /* The user files it published are the output's now, to be synced. */
    b->half->joined = true;
    if (st == XPORTA_OK)
        st = pie_w_lazy_take_over(w, b);
    w->bytes += b->bytes;
    w->main_secret = w->main_secret || b->main_secret;
    if (st == XPORTA_OK) {
        free(w->host_jid);
        w->host_jid = b->host_jid;
        b->host_jid = NULL;
        w->in_host = b->in_host;
    }
    return st;
}

/* A second writer goes: without a join, what it made goes too (a user
 * file only if it is still the one it published). */
void pie_w_half_release(xporta_pie_writer *w)
{
    struct pie_half *h = w->half;
    for (size_t i = 0; i < h->nfiles; i++) {
        struct stat sb;
        const char *path = h->files[i].path;
        if (!h->joined && lstat(path, &sb) == 0 &&
            (uint64_t)sb.st_ino == h->files[i].ino) {
            unlink(path);
            char *dir = xp_path_dir(path);
            /* A host directory of the split layout, if it made it. */
            if (dir && w->workdir && strcmp(dir, w->workdir) != 0)
                rmdir(dir);
            free(dir);
        }
        free(h->files[i].path);
    }
    free(h->files);
    free(h->host);
    free(h->main_part);
    free(h->cont_part);
    free(h);
    w->half = NULL;
    /* The directory is the first writer's. */
    free(w->workdir);
    w->workdir = NULL;
}

/* Appends what the second writer has flushed so far of the part the join
 * will append (the main file's, or the split host's file's), while it still
 * writes: the join then has only the rest to copy. */
xporta_status xporta_pie_writer_join_ahead(xporta_pie_writer *w,
                                           const xporta_pie_writer *second)
{
    const struct pie_half *h = second ? second->half : NULL;
    if (!w || !h || w->half || w->committed || w->err.status != XPORTA_OK ||
        !w->in_host || w->in_user || !w->host_jid ||
        strcmp(w->host_jid, h->host) != 0 ||
        w->dialect == XPORTA_DIALECT_PROSODY)
        return XPORTA_OK; /* no join, or nothing big to append */
    struct xp_afile *to = host_files(w) ? &w->host : &w->main;
    const char *part = host_files(w) ? h->cont_part : h->main_part;
    const _Atomic uint64_t *flushed =
        host_files(w) ? &h->cont_flushed : &h->main_flushed;
    if (w->ahead && (w->ahead->from != h || w->ahead->to != to))
        pie_w_drop_ahead(w);
    if (!pie_w_afile_is_open(to) || !part || w->err.status != XPORTA_OK)
        return w->err.status;
    if (!w->ahead) {
        w->ahead = calloc(1, sizeof *w->ahead);
        if (!w->ahead)
            return xp_fail(&w->err, XPORTA_ENOMEM, "out of memory");
        w->ahead->from = h;
        w->ahead->to = to;
        w->ahead->base = to->written;
    }
    uint64_t avail = atomic_load_explicit(flushed, memory_order_acquire);
    if (avail <= w->ahead->done)
        return XPORTA_OK;
    uint64_t before = to->written;
    xporta_status st =
        xp_afile_append_range(to, part, w->ahead->done, avail, &w->err);
    w->ahead->done += to->written - before;
    return st;
}

/* The join did not come: the copy made ahead goes. */
void pie_w_drop_ahead(xporta_pie_writer *w)
{
    struct pie_ahead *a = w->ahead;
    w->ahead = NULL;
    if (w->err.status == XPORTA_OK)
        xp_afile_truncate(a->to, a->base, &w->err);
    free(a);
}
