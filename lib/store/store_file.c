/*
 * lib/store/store_file.c: the XEP-0227 file driver ("file:PATH").
 *
 * As a source it reads one account of a file in any dialect lib/pie reads
 * (ours, Prosody's one file per user, ejabberd's main file with its
 * XIncludes): the one named by the `user` option (user@host, or a bare
 * user name when it is unique), or the only one.  A file with several
 * accounts and no choice is an error that lists them, so nobody imports
 * the wrong account by accident.
 *
 * As a target it writes one account (the `account` option) into a new
 * standard file, published at write_end (temporary name, fsync, rename):
 * a failed job leaves no half file.  Every write is confirmed at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "../pie/pie.h"
#include "store.h"

struct fstore {
    struct store base;
    char *path;
    char *user;    /* source: --user */
    char *account; /* target */
    bool all;      /* source: every account (store_select(NULL)) */
    bool rooms;    /* source: every room instead (store_select_room(NULL)) */
    bool noted;    /* the "rooms not read" note is this store's */
    unsigned flags;
    xporta_pie_writer *w;
    store_done_fn done;
    void *done_ud;
};

static xporta_status fs_open(struct store **out, const char *where,
                             const struct store_opts *o, struct xp_run *run)
{
    struct fstore *f = calloc(1, sizeof *f);
    if (!f)
        return xp_fail(&run->err, XPORTA_ENOMEM, "out of memory");
    f->base.run = run;
    *out = &f->base;
    f->path = xp_strdup(where);
    f->user = o && o->user ? xp_strdup(o->user) : NULL;
    f->account = o && o->account ? xp_strdup(o->account) : NULL;
    f->flags = o ? o->file_flags : 0;
    if (!f->path || (o && o->user && !f->user) ||
        (o && o->account && !f->account))
        return xp_fail(&run->err, XPORTA_ENOMEM, "out of memory");
    return XPORTA_OK;
}

static void fs_close(struct store *s)
{
    struct fstore *f = (struct fstore *)s;
    xporta_pie_writer_free(f->w); /* removes what was not committed */
    free(f->path);
    free(f->user);
    free(f->account);
    free(f);
}

/* ---- reading ------------------------------------------------------------ */

struct scan {
    struct fstore *f;
    const struct store_sink *sink;
    uint32_t kinds;
    char user[3100]; /* user@host of the chosen user (RFC 7622: 3071) */
    bool in_user, chosen;
    unsigned users;
    char also[256]; /* a second user that --user NAME (no host) matches */
    char others[5][256];
    unsigned long rooms; /* XEP-0519 rooms passed over (not accounts) */
    char room[3100];     /* rooms: the one being read (name@component) */
    bool in_room, muc;   /* muc: the component holds rooms */
};

/* Whether the file's user `local`@`host` is --user `want`: user@host
 * (the host in any case), or a bare user name on any host. */
static bool user_wanted(const char *local, const char *host, const char *want)
{
    const char *at = strchr(want, '@');
    size_t n = at ? (size_t)(at - want) : strlen(want);
    if (strlen(local) != n || strncmp(local, want, n) != 0)
        return false;
    return !at || strcasecmp(host, at + 1) == 0;
}

static xporta_status scan_user(struct scan *sc, xporta_pie_reader *r)
{
    char u[3100];
    if (sc->f->all) {
        snprintf(sc->user, sizeof sc->user, "%s@%s", xporta_pie_reader_user(r),
                 xporta_pie_reader_host(r));
        sc->users++;
        sc->chosen = sc->in_user = true;
        return sc->sink->account ? sc->sink->account(sc->sink->ud, sc->user)
                                 : XPORTA_OK;
    }
    const char *want = sc->f->user;
    snprintf(u, sizeof u, "%s@%s", xporta_pie_reader_user(r),
             xporta_pie_reader_host(r));
    if (sc->users < 5)
        snprintf(sc->others[sc->users], sizeof sc->others[0], "%.255s", u);
    sc->users++;
    bool wanted = want && user_wanted(xporta_pie_reader_user(r),
                                      xporta_pie_reader_host(r), want);
    if (wanted && sc->chosen && !sc->also[0])
        snprintf(sc->also, sizeof sc->also, "%.255s", u);
    if (sc->chosen || !(want ? wanted : sc->users == 1))
        return XPORTA_OK;
    sc->chosen = sc->in_user = true;
    snprintf(sc->user, sizeof sc->user, "%s", u);
    return sc->sink->account ? sc->sink->account(sc->sink->ud, sc->user)
                             : XPORTA_OK;
}

/* After the whole file: exactly one account was chosen. */
static xporta_status scan_outcome(struct scan *sc)
{
    struct xp_run *run = sc->f->base.run;
    const char *source = sc->f->path, *want = sc->f->user;
    if (!sc->chosen)
        return want ? xp_fail(&run->err, XPORTA_ENOTFOUND,
                              "%s: no user %s in this file", source, want)
                    : xp_fail(&run->err, XPORTA_EINVAL,
                              "%s: no user in this file", source);
    if (sc->also[0])
        return xp_fail(&run->err, XPORTA_EINVAL,
                       "%s: --user %s names several users (%s, %s): give it "
                       "as user@host",
                       source, want, sc->user, sc->also);
    if (!want && sc->users > 1) {
        char list[1400] = "";
        for (unsigned i = 0; i < sc->users && i < 5; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                     i ? ", " : "", sc->others[i]);
        return xp_fail(&run->err, XPORTA_EINVAL,
                       "%s holds %u users (%s%s): choose one with --user",
                       source, sc->users, list, sc->users > 5 ? ", ..." : "");
    }
    return XPORTA_OK;
}

/* Every room (store_select_room(NULL)): a muc component's items, each
 * as an account "name@component". */
static xporta_status scan_room(struct scan *sc, xporta_pie_reader *r,
                               xporta_pie_event ev)
{
    const struct store_sink *sink = sc->sink;
    switch (ev) {
    case XPORTA_PIE_COMPONENT: {
        const char *type = xporta_pie_reader_component_type(r);
        sc->muc = !type || !*type || strcmp(type, "muc") == 0;
        return XPORTA_OK;
    }
    case XPORTA_PIE_ROOM:
        if (!sc->muc)
            return XPORTA_OK;
        snprintf(sc->room, sizeof sc->room, "%s@%s", xporta_pie_reader_room(r),
                 xporta_pie_reader_component(r));
        sc->in_room = true;
        return sink->account ? sink->account(sink->ud, sc->room) : XPORTA_OK;
    case XPORTA_PIE_ROOM_RECORD: {
        xporta_record *rec = xporta_pie_reader_record(r);
        if (!sc->in_room || !(sc->kinds & (1u << rec->kind)))
            return XPORTA_OK;
        return sink->record(sink->ud, rec);
    }
    case XPORTA_PIE_ROOM_END:
        if (sc->in_room && sink->account_end)
            sink->account_end(sink->ud, sc->room, XPORTA_OK, NULL);
        sc->in_room = false;
        return sc->f->base.run->err.status;
    default:
        return XPORTA_OK;
    }
}

static xporta_status fs_read(struct store *s, uint32_t kinds,
                             const struct xp_strv *private_ns,
                             const struct store_sink *sink)
{
    struct fstore *f = (struct fstore *)s;
    struct xp_run *run = s->run;
    (void)private_ns; /* a file holds every namespace */
    struct scan sc;
    memset(&sc, 0, sizeof sc);
    sc.f = f;
    sc.sink = sink;
    sc.kinds = kinds;
    uint64_t size = 0;
    struct stat sb;
    if (stat(f->path, &sb) == 0)
        size = (uint64_t)sb.st_size;
    xporta_pie_reader *r = NULL;
    xporta_status st = xporta_pie_reader_open(&r, f->path);
    if (st != XPORTA_OK && stat(f->path, &sb) == 0 && S_ISDIR(sb.st_mode))
        return xp_fail(&run->err, st,
                       "%s: a directory, but not of XEP-0227 files "
                       "(USER@HOST.xml, as Prosody's migrator writes); a "
                       "server's data directory is named by its kind, e.g. "
                       "prosody:%s",
                       f->path, f->path);
    if (st != XPORTA_OK)
        return xp_fail(&run->err, st, "%s: %s", f->path,
                       st == XPORTA_ENOTFOUND ? "no such file"
                                              : xporta_strerror(st));
    while (st == XPORTA_OK) {
        if (run->cancel) {
            st = xp_fail(&run->err, XPORTA_ECANCELED, "interrupted");
            break;
        }
        xporta_pie_event ev;
        st = xporta_pie_reader_next(r, &ev);
        if (st != XPORTA_OK) {
            st = xp_fail(&run->err, st, "%s", xporta_pie_reader_error(r));
            break;
        }
        if (ev == XPORTA_PIE_END)
            break;
        if (f->rooms) { /* every room instead of the accounts */
            st = scan_room(&sc, r, ev);
            continue;
        }
        if (ev == XPORTA_PIE_USER) {
            st = scan_user(&sc, r);
            continue;
        }
        if (ev == XPORTA_PIE_USER_END) {
            if (f->all && sc.in_user && sink->account_end)
                sink->account_end(sink->ud, sc.user, XPORTA_OK, NULL);
            sc.in_user = false;
            if (run->err.status) /* the sink stopped the read */
                st = run->err.status;
            continue;
        }
        if (ev == XPORTA_PIE_ROOM)
            sc.rooms++;
        if (ev == XPORTA_PIE_RECORD && sc.in_user) {
            xporta_record *rec = xporta_pie_reader_record(r);
            if (kinds & (1u << rec->kind))
                st = sink->record(sink->ud, rec);
        }
        if (size)
            xp_run_progress(run, "read", XPORTA_KIND_COUNT,
                            xporta_pie_reader_offset(r), size,
                            (double)xporta_pie_reader_offset(r) / (double)size,
                            0, f->path, false);
    }
    if (st == XPORTA_OK && !f->all && !f->rooms)
        st = scan_outcome(&sc);
    if (st == XPORTA_OK && f->rooms && f->noted) {
        /* they were read after all */
        free(run->kind[XPORTA_KIND_OTHER].note);
        run->kind[XPORTA_KIND_OTHER].note = NULL;
        f->noted = false;
    }
    if (st == XPORTA_OK && sc.rooms && !run->kind[XPORTA_KIND_OTHER].note &&
        (f->noted = true))
        xp_run_note(run, XPORTA_KIND_OTHER,
                    "%s: %lu room%s (XEP-0519 components) not read: rooms "
                    "are not accounts; they stay in the file",
                    f->path, sc.rooms, sc.rooms == 1 ? "" : "s");
    xporta_pie_reader_free(r);
    return st;
}

/* Only "every account" (NULL) is a choice here: a file is read whole. */
static xporta_status fs_select(struct store *s, const char *jid)
{
    struct fstore *f = (struct fstore *)s;
    if (jid)
        return xp_fail(&s->run->err, XPORTA_EINVAL,
                       "%s: a file is read whole, not account by account",
                       f->path);
    f->all = true;
    f->rooms = false;
    return XPORTA_OK;
}

static xporta_status fs_select_room(struct store *s, const char *room)
{
    struct fstore *f = (struct fstore *)s;
    if (room)
        return xp_fail(&s->run->err, XPORTA_EINVAL,
                       "%s: a file is read whole, not room by room", f->path);
    f->rooms = true;
    return XPORTA_OK;
}

/* ---- writing -------------------------------------------------------------
 */

static xporta_status fs_write_begin(struct store *s, store_done_fn done,
                                    void *ud)
{
    struct fstore *f = (struct fstore *)s;
    struct xp_run *run = s->run;
    f->done = done;
    f->done_ud = ud;
    const char *at = f->account ? strchr(f->account, '@') : NULL;
    if (!at)
        return xp_fail(&run->err, XPORTA_EINVAL,
                       "%s: writing a file needs the account (user@host)",
                       f->path);
    xporta_status st = xporta_pie_writer_open(
        &f->w, f->path, XPORTA_DIALECT_STANDARD, f->flags);
    if (st != XPORTA_OK)
        return xp_fail(&run->err, st, "%s: cannot write", f->path);
    char local[1100];
    snprintf(local, sizeof local, "%.*s", (int)(at - f->account), f->account);
    if (xporta_pie_writer_begin_host(f->w, at + 1) != XPORTA_OK ||
        xporta_pie_writer_begin_user(f->w, local, NULL) != XPORTA_OK)
        return xp_fail(&run->err, pie_writer_status(f->w), "%s",
                       xporta_pie_writer_error(f->w));
    return XPORTA_OK;
}

static xporta_status fs_write(struct store *s, const xporta_record *rec,
                              bool replace)
{
    struct fstore *f = (struct fstore *)s;
    (void)replace; /* a new file holds nothing to replace */
    if (xporta_pie_writer_write(f->w, rec) != XPORTA_OK)
        return xp_fail(&s->run->err, pie_writer_status(f->w), "%s",
                       xporta_pie_writer_error(f->w));
    if (f->done)
        f->done(f->done_ud, rec->kind, rec->key, rec->id, true, NULL);
    return XPORTA_OK;
}

static xporta_status fs_write_end(struct store *s)
{
    struct fstore *f = (struct fstore *)s;
    if (s->run->err.status != XPORTA_OK)
        return s->run->err.status;
    if (xporta_pie_writer_end_user(f->w) != XPORTA_OK ||
        xporta_pie_writer_end_host(f->w) != XPORTA_OK ||
        xporta_pie_writer_commit(f->w) != XPORTA_OK)
        return xp_fail(&s->run->err, pie_writer_status(f->w), "%s",
                       xporta_pie_writer_error(f->w));
    return XPORTA_OK;
}

const struct store_driver store_file_driver = {
    .scheme = "file",
    .summary = "a XEP-0227 file (ours, Prosody's or ejabberd's): one account "
               "of it, or all of them for server-import",
    .open = fs_open,
    .close = fs_close,
    .writable = (1u << XPORTA_KIND_COUNT) - 1,
    .read = fs_read,
    .write_begin = fs_write_begin,
    .write = fs_write,
    .write_end = fs_write_end,
    .select = fs_select,
    .select_room = fs_select_room,
};
