/*
 * Bytes held per group until the end of a user (the Prosody writer's
 * grouping, pie_writer_dialect.c).
 *
 * Design note.  Prosody's XEP-0227 driver reads only the first container
 * of each store under <user> (get_child), so the Prosody dialect writes
 * each container once per user, whatever order or split the records came
 * in.  A user's records other than the archive are serialised as they
 * arrive and kept here by container; the writer puts each group out at the
 * end of the user.  Memory stays bounded however much a user holds: a
 * group past PIE_HOLD_MEM bytes moves to a spill file of its own, created
 * in the writer's working directory and unlinked at once (so nothing is
 * left behind, whatever happens), truncated and reused for the next user.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pie_p.h"

void pie_hold_init(struct pie_hold *h, const char *dir)
{
    memset(h, 0, sizeof *h);
    h->dir = dir;
    for (size_t i = 0; i < PIE_HOLD_GROUPS; i++) {
        xp_buf_init(&h->g[i].mem, PIE_HOLD_MEM);
        h->g[i].fd = -1;
    }
}

static xporta_status spill(struct pie_hold *h, struct pie_hold_group *g,
                           const char *p, size_t n, struct xp_err *err)
{
    if (g->fd < 0) {
        if (!h->dir)
            return xp_fail(err, XPORTA_EINVAL,
                           "internal: no directory to hold data in");
        char *path = xp_path_join(h->dir, ".hold-XXXXXX");
        if (!path)
            return xp_fail(err, XPORTA_ENOMEM, "out of memory");
        g->fd = mkstemp(path);
        int e = errno;
        if (g->fd >= 0)
            unlink(path);
        free(path);
        if (g->fd < 0)
            return xp_fail(err, XPORTA_EIO, "%s: cannot hold a user's data: %s",
                           h->dir, strerror(e));
    }
    while (n > 0) {
        ssize_t k = pwrite(g->fd, p, n, (off_t)g->spilled);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return xp_fail(err, XPORTA_EIO, "%s: cannot hold a user's data: %s",
                           h->dir, k < 0 ? strerror(errno) : "short write");
        g->spilled += (uint64_t)k;
        p += k;
        n -= (size_t)k;
    }
    return XPORTA_OK;
}

xporta_status pie_hold_add(struct pie_hold *h, unsigned group, const void *p,
                           size_t n, struct xp_err *err)
{
    struct pie_hold_group *g = &h->g[group];
    if (g->mem.len + n <= PIE_HOLD_MEM) {
        if (xp_buf_add(&g->mem, p, n) != XPORTA_OK)
            return xp_fail(err, XPORTA_ENOMEM, "out of memory");
        return XPORTA_OK;
    }
    xporta_status st = spill(h, g, g->mem.data, g->mem.len, err);
    if (st != XPORTA_OK)
        return st;
    xp_buf_reset(&g->mem);
    if (n > PIE_HOLD_MEM)
        return spill(h, g, p, n, err);
    if (xp_buf_add(&g->mem, p, n) != XPORTA_OK)
        return xp_fail(err, XPORTA_ENOMEM, "out of memory");
    return XPORTA_OK;
}

uint64_t pie_hold_size(const struct pie_hold *h, unsigned group)
{
    return h->g[group].spilled + h->g[group].mem.len;
}

static void forget(struct pie_hold_group *g)
{
    if (g->spilled && ftruncate(g->fd, 0) != 0) {
        /* Overwritten from offset 0 next time; the length is ours. */
    }
    g->spilled = 0;
    xp_buf_reset(&g->mem);
}

xporta_status pie_hold_drain(struct pie_hold *h, unsigned group,
                             struct xp_afile *out, struct xp_err *err)
{
    struct pie_hold_group *g = &h->g[group];
    xporta_status st = XPORTA_OK;
    if (g->spilled) {
        enum { CHUNK = 64 << 10 };
        char *chunk = malloc(CHUNK);
        if (!chunk)
            return xp_fail(err, XPORTA_ENOMEM, "out of memory");
        for (uint64_t off = 0; st == XPORTA_OK && off < g->spilled;) {
            size_t want = g->spilled - off < CHUNK ? (size_t)(g->spilled - off)
                                                   : (size_t)CHUNK;
            ssize_t k = pread(g->fd, chunk, want, (off_t)off);
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0)
                st = xp_fail(err, XPORTA_EIO, "%s: cannot read held data: %s",
                             h->dir, k < 0 ? strerror(errno) : "end of file");
            else
                st = xp_afile_write(out, chunk, (size_t)k, err);
            off += k > 0 ? (uint64_t)k : 0;
        }
        free(chunk);
    }
    if (st == XPORTA_OK && g->mem.len)
        st = xp_afile_write(out, g->mem.data, g->mem.len, err);
    forget(g);
    return st;
}

void pie_hold_clear(struct pie_hold *h)
{
    for (size_t i = 0; i < PIE_HOLD_GROUPS; i++)
        forget(&h->g[i]);
}

void pie_hold_cleanup(struct pie_hold *h)
{
    for (size_t i = 0; i < PIE_HOLD_GROUPS; i++) {
        xp_buf_cleanup(&h->g[i].mem);
        if (h->g[i].fd >= 0)
            close(h->g[i].fd);
        h->g[i].fd = -1;
        h->g[i].spilled = 0;
    }
}
