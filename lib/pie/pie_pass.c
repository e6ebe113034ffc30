/*
 * A pass over one file through a reader and a checker, on one core or on
 * two: xporta_check_file, and the caller's own loop for stats and convert.
 *
 * Design note.  Parsing is the cost of reading a XEP-0227 file, and XML
 * cannot be parsed from the middle: a parser started at an arbitrary byte
 * does not know whether it is inside a tag, a comment or a CDATA section,
 * nor which namespaces are in scope.  A XEP-0227 file, though, is a long
 * list of <user> elements under one or a few <host> elements, and what a
 * <user> means depends only on the <server-data> and <host> start tags above
 * it.  So a second thread reads the file from a <user> start tag found near
 * the middle (pie_split.c), after a copy of those two start tags, while the
 * first thread reads from the start and stops there.
 *
 * Finding "<user" by searching bytes is only a guess (the text could sit in
 * a comment or a CDATA section, or under another host); the first thread's
 * parser is the proof.  When it reaches the first start tag at or past the
 * split point, it checks that this is the <user> at exactly that byte, a
 * child of the <host> whose tag the second thread was given, outside any
 * record.  If not, the first thread simply reads on to the end and the
 * second thread's work is thrown away: slower, never wrong.  The same
 * happens when the second half cannot be merged exactly (see below).
 *
 * The result must be what one thread would have produced, in the same
 * order.  The second thread therefore holds back what it would deliver
 * (diagnostics, up to a ceiling past which it gives up, and the caller's
 * marks) and it is delivered after the first half's, with positions moved
 * from its own numbering to the file's (the first thread learns the line
 * and column of the split tag).  What depends on the first half is settled
 * at the merge: a user of the split host that the first half already had
 * is reported there, in order (or, when the caller acts on the checker's
 * diagnostics itself, makes the merge give up); notes given once per file
 * are not repeated; and a host that the second half meets again after the
 * first half had it (where one thread would have carried state over) makes
 * the merge give up.  A caller with state of its own (stats' counts,
 * convert's writer) has it forked for the second half, compared at the
 * split (`can_join`), and joined: see xporta_pass_ops in xporta.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pie_p.h"

enum {
    LATE_DIAGS_MAX = 100000,   /* second half's diagnostics held back */
    LATE_BYTES_MAX = 16 << 20, /* ... and the bytes all its items take */
    PROGRESS_EVERY = 1024,     /* events between progress calls */
    WAIT_TICK_NS = 50000000,   /* progress (and work) while waiting */
};
#define SPLIT_MIN_DEFAULT ((uint64_t)64 << 20)

/* Something the second half delivers, held until the merge. */
enum late_kind {
    LATE_DIAG, /* a diagnostic */
    LATE_USER, /* a user new to the second half: the first may have had it */
    LATE_MARK, /* the caller's mark */
};
struct late {
    unsigned char kind;
    unsigned char sev;
    bool main;     /* DIAG: in the split file (position to be remapped) */
    unsigned once; /* DIAG: PIE_ONCE_* when it is a once-per-file note */
    unsigned long line, col;
    char *file; /* DIAG: another file (an XInclude), else NULL */
    char *text; /* DIAG: the message; USER: "name\0host" */
    uint64_t mark;
};

struct pass;

struct xporta_pass {
    struct pass *pass;
    bool second;
    const char *path;
    xporta_pie_reader *r;
    xporta_checker *c;
    void *state; /* the caller's */
    unsigned long hosts, users, records, components, rooms;
    unsigned long events;
    bool ended; /* first half: the end came from a merge */
    /* the second half only */
    bool started; /* past its prefix: at the split <user> or beyond */
    unsigned long first_line, first_col; /* that <user>, in its numbering */
    unsigned once_seen;
    struct late *items;
    size_t nitems, capitems, ndiags;
    bool mark_open;     /* the last item is a mark that may grow */
    char **hosts_after; /* hosts met after the split host */
    size_t nhosts_after, caphosts_after;
    size_t held_bytes;
    bool overflow; /* held too much: its work will be thrown away */
    xporta_status fatal;
    char *fatal_msg;
    size_t prefix_len;
    int run_rc;
    _Atomic uint64_t done; /* bytes of the file read */
    pthread_mutex_t lock;  /* for `finished` */
    pthread_cond_t ended_cond;
    bool finished;
};

struct pass {
    xporta_pass_options o;
    void *first;
    struct xporta_pass a, b;
    bool split;   /* the second half runs, or ran and was not yet settled */
    bool sync_ok; /* b's lock and condition exist */
    pthread_t tid;
    atomic_bool cancel;
    xporta_check_result res; /* counts of what was delivered, the fatal */
};

/* ---- delivering and holding ------------------------------------------------
 */

static void emit(struct pass *ps, const xporta_diag *d)
{
    if (d->severity == XPORTA_ERROR)
        ps->res.errors++;
    else if (d->severity == XPORTA_WARNING)
        ps->res.warnings++;
    else
        ps->res.notes++;
    if (ps->o.check.diag)
        ps->o.check.diag(d, ps->o.check.diag_userdata);
}

static bool hold(struct xporta_pass *h, size_t bytes)
{
    h->held_bytes += bytes;
    if (h->held_bytes > LATE_BYTES_MAX || h->ndiags >= LATE_DIAGS_MAX)
        h->overflow = true;
    return !h->overflow;
}

static struct late *push(struct xporta_pass *h, size_t bytes)
{
    if (h->nitems == h->capitems) {
        size_t c = h->capitems ? h->capitems * 2 : 64;
        struct late *p = realloc(h->items, c * sizeof *p);
        if (!p) {
            h->overflow = true;
            return NULL;
        }
        h->items = p;
        h->capitems = c;
    }
    if (!hold(h, bytes + sizeof(struct late)))
        return NULL;
    struct late *l = &h->items[h->nitems++];
    memset(l, 0, sizeof *l);
    h->mark_open = false;
    return l;
}

static void hold_diag(struct xporta_pass *h, const xporta_diag *d,
                      unsigned once)
{
    if (!h->started || h->overflow)
        return; /* the prefix: the first half reports on those tags */
    bool main = d->file && strcmp(d->file, h->path) == 0;
    char *msg = xp_strdup(d->message ? d->message : "");
    char *file = main || !d->file ? NULL : xp_strdup(d->file);
    struct late *l = NULL;
    if (msg && (!d->file || main || file))
        l = push(h, strlen(msg) + (file ? strlen(file) : 0) + 2);
    if (!l) {
        h->overflow = true;
        free(msg);
        free(file);
        return;
    }
    h->ndiags++;
    l->kind = LATE_DIAG;
    l->sev = (unsigned char)d->severity;
    l->once = once;
    l->main = main;
    l->line = d->line;
    l->col = d->col;
    l->file = file;
    l->text = msg;
}

/* The reader's diagnostics: the first half's at once, the second's held
 * (without the once-per-file notes the first half gives anyway). */
static void reader_diag(const xporta_diag *d, void *ud)
{
    struct xporta_pass *h = ud;
    if (!h->second) {
        emit(h->pass, d);
        return;
    }
    unsigned once = pie_reader_once_notes(h->r) & ~h->once_seen;
    h->once_seen |= once;
    hold_diag(h, d, once);
}

/* The checker's: where the options say; the second half's prefix (the
 * copied host tag) is the first half's to report. */
static void checker_diag(const xporta_diag *d, void *ud)
{
    struct xporta_pass *h = ud;
    const xporta_pass_options *o = &h->pass->o;
    if (o->check_diag) {
        if (!h->second || (h->started && h->state))
            o->check_diag(d, h->second ? h->state : h->pass->first);
    } else if (!h->second) {
        emit(h->pass, d);
    } else {
        hold_diag(h, d, 0);
    }
}

void xporta_pass_diag(xporta_pass *p, const xporta_diag *d)
{
    if (!p || !d)
        return;
    if (p->second)
        hold_diag(p, d, 0);
    else
        emit(p->pass, d);
}

void xporta_pass_mark(xporta_pass *p, uint64_t mark, bool extend)
{
    if (!p || !p->second || p->overflow)
        return;
    if (extend && p->mark_open) {
        p->items[p->nitems - 1].mark = mark;
        return;
    }
    struct late *l = push(p, 0);
    if (!l)
        return;
    l->kind = LATE_MARK;
    l->mark = mark;
    p->mark_open = extend; /* only a mark that may grow grows */
}

static void half_free(struct xporta_pass *h)
{
    xporta_checker_free(h->c);
    xporta_pie_reader_free(h->r);
    h->c = NULL;
    h->r = NULL;
    for (size_t i = 0; i < h->nitems; i++) {
        free(h->items[i].text);
        free(h->items[i].file);
    }
    free(h->items);
    h->items = NULL;
    h->nitems = h->capitems = h->ndiags = 0;
    for (size_t i = 0; i < h->nhosts_after; i++)
        free(h->hosts_after[i]);
    free(h->hosts_after);
    h->hosts_after = NULL;
    h->nhosts_after = 0;
    free(h->fatal_msg);
    h->fatal_msg = NULL;
}

static void count(struct xporta_pass *h, xporta_pie_event ev)
{
    h->events++;
    if (ev == XPORTA_PIE_HOST)
        h->hosts++;
    else if (ev == XPORTA_PIE_USER)
        h->users++;
    else if (ev == XPORTA_PIE_RECORD || ev == XPORTA_PIE_ROOM_RECORD)
        h->records++;
    else if (ev == XPORTA_PIE_COMPONENT)
        h->components++;
    else if (ev == XPORTA_PIE_ROOM)
        h->rooms++;
}

/* ---- the second half -------------------------------------------------------
 */

/* What depends on the first half: hosts after the split host (it may have
 * had them: then the merge gives up), and users (it may have had them). */
static void note_late_host(struct xporta_pass *h)
{
    char *host = xp_strdup(xporta_pie_reader_host(h->r));
    if (!host || !hold(h, strlen(host) + 1 + sizeof host)) {
        free(host);
        h->overflow = true;
        return;
    }
    if (h->nhosts_after == h->caphosts_after) {
        size_t c = h->caphosts_after ? h->caphosts_after * 2 : 16;
        char **p = realloc(h->hosts_after, c * sizeof *p);
        if (!p) {
            free(host);
            h->overflow = true;
            return;
        }
        h->hosts_after = p;
        h->caphosts_after = c;
    }
    h->hosts_after[h->nhosts_after++] = host;
}

static void note_late_user(struct xporta_pass *h, const char *user,
                           const char *host, unsigned long line,
                           unsigned long col)
{
    size_t ulen = strlen(user), hlen = strlen(host);
    char *name = malloc(ulen + hlen + 2);
    struct late *l = name ? push(h, ulen + hlen + 2) : NULL;
    if (!l) {
        free(name);
        h->overflow = true;
        return;
    }
    memcpy(name, user, ulen + 1);
    memcpy(name + ulen + 1, host, hlen + 1);
    l->kind = LATE_USER;
    l->line = line;
    l->col = col;
    l->text = name;
}

/* The checker sees an event; a record only if the caller's `record` op
 * keeps it for checking. */
static void check_event(struct xporta_pass *h, xporta_pie_event ev)
{
    const xporta_pass_ops *ops = h->pass->o.ops;
    void *state = h->second ? h->state : h->pass->first;
    if ((ev == XPORTA_PIE_RECORD || ev == XPORTA_PIE_ROOM_RECORD) && ops &&
        ops->record && state &&
        !ops->record(state, xporta_pie_reader_record(h->r)))
        return;
    xporta_checker_event(h->c, h->r, ev);
}

static xporta_status second_next(struct xporta_pass *h, xporta_pie_event *ev)
{
    if (atomic_load_explicit(&h->pass->cancel, memory_order_relaxed) ||
        h->overflow)
        return XPORTA_ECANCELED;
    xporta_status st = xporta_pie_reader_next(h->r, ev);
    if (st != XPORTA_OK) {
        if (h->fatal == XPORTA_OK) {
            h->fatal = st;
            h->fatal_msg = xp_strdup(xporta_pie_reader_error(h->r));
        }
        return st;
    }
    if (*ev == XPORTA_PIE_COMPONENT) {
        /* XEP-0519 components follow the hosts: the second half gives them
         * up, and the first half reads on alone from the split point (a
         * component's rooms are not users the merge knows how to join). */
        h->overflow = true;
        return XPORTA_ECANCELED;
    }
    bool new_user = false;
    const char *user = NULL, *host = xporta_pie_reader_host(h->r);
    unsigned long line = 0, col = 0;
    if (*ev == XPORTA_PIE_USER) {
        const char *file;
        user = xporta_pie_reader_user(h->r);
        xporta_pie_reader_position(h->r, &file, &line, &col);
        if (!h->started) {
            h->started = true;
            h->first_line = line;
            h->first_col = col;
        }
        new_user = user && host && !pie_checker_has_user(h->c, user, host);
    }
    check_event(h, *ev);
    count(h, *ev);
    if (*ev == XPORTA_PIE_HOST && h->hosts > 1)
        note_late_host(h);
    if (new_user)
        note_late_user(h, user, host, line, col);
    if (h->events % PROGRESS_EVERY == 0) {
        uint64_t off = xporta_pie_reader_offset(h->r);
        atomic_store_explicit(&h->done,
                              off > h->prefix_len ? off - h->prefix_len : 0,
                              memory_order_relaxed);
    }
    return XPORTA_OK;
}

/* xporta_check_file's second half: events through the checker only. */
static int check_run(void *ud)
{
    struct xporta_pass *h = ud;
    for (;;) {
        xporta_pie_event ev;
        xporta_status st = second_next(h, &ev);
        if (st == XPORTA_ECANCELED)
            return 1;
        if (st != XPORTA_OK || ev == XPORTA_PIE_END)
            return 0; /* a fatal error is merged like a diagnostic */
    }
}

static void *second_thread(void *arg)
{
    struct xporta_pass *h = arg;
    const xporta_pass_ops *ops = h->pass->o.ops;
    h->run_rc = ops ? ops->run(h->state) : check_run(h);
    pthread_mutex_lock(&h->lock);
    h->finished = true;
    pthread_cond_signal(&h->ended_cond);
    pthread_mutex_unlock(&h->lock);
    return NULL;
}

/* ---- positions -------------------------------------------------------------
 */

static void remap(const struct xporta_pass *h, unsigned long at_line,
                  unsigned long at_col, unsigned long *line, unsigned long *col)
{
    pie_split_remap(h->first_line, h->first_col, at_line, at_col, line, col);
}

/* The second half's fatal error, its place in the split file remapped. */
static void remap_fatal(const struct xporta_pass *h, unsigned long at_line,
                        unsigned long at_col, char *out, size_t cap)
{
    const char *m = h->fatal_msg ? h->fatal_msg : "";
    size_t flen;
    unsigned long line, col;
    const char *text;
    if (pie_error_place(m, &flen, &line, &col, &text) &&
        flen == strlen(h->path) && strncmp(m, h->path, flen) == 0) {
        remap(h, at_line, at_col, &line, &col);
        snprintf(out, cap, "%s:%lu:%lu: %s", h->path, line, col, text);
    } else {
        snprintf(out, cap, "%s", m);
    }
}

/* ---- the first half and the merge ------------------------------------------
 */

static void progress(struct pass *ps, bool with_b)
{
    if (!ps->o.check.progress)
        return;
    uint64_t done = xporta_pie_reader_offset(ps->a.r);
    if (with_b)
        done += atomic_load_explicit(&ps->b.done, memory_order_relaxed);
    ps->o.check.progress(done, ps->o.check.progress_userdata);
}

/* Waits for the second half, reporting progress meanwhile.  At the split
 * point the caller's `wait` may do work ahead: it runs before each wait and
 * once more at the end. */
static void wait_for(struct pass *ps, bool at_split)
{
    struct xporta_pass *b = &ps->b;
    const xporta_pass_ops *ops = ps->o.ops;
    bool work = at_split && ops && ops->wait && b->state;
    if (work)
        ops->wait(ps->first, b->state);
    pthread_mutex_lock(&b->lock);
    while (!b->finished) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += WAIT_TICK_NS;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&b->ended_cond, &b->lock, &until);
        if (!b->finished) {
            pthread_mutex_unlock(&b->lock);
            progress(ps, true);
            if (work)
                ops->wait(ps->first, b->state);
            pthread_mutex_lock(&b->lock);
        }
    }
    pthread_mutex_unlock(&b->lock);
    pthread_join(ps->tid, NULL);
    if (work)
        ops->wait(ps->first, b->state);
}

/* Stops the second half (if it runs) and forgets it, undoing its work. */
static void settle(struct pass *ps, bool cancel)
{
    if (!ps->split)
        return;
    if (cancel)
        atomic_store(&ps->cancel, true);
    wait_for(ps, false);
    ps->split = false;
    if (ps->b.state && ps->o.ops)
        ps->o.ops->drop(ps->b.state);
    ps->b.state = NULL;
    half_free(&ps->b);
}

/* Can the second half stand for the rest of the file? */
static bool mergeable(const struct pass *ps)
{
    const struct xporta_pass *a = &ps->a, *b = &ps->b;
    if (b->overflow || !b->started || b->run_rc != 0)
        return false;
    if (ps->o.ops && b->fatal != XPORTA_OK)
        return false; /* the caller's loop stopped on it: read it again */
    for (size_t i = 0; i < b->nhosts_after; i++)
        if (pie_checker_has_host(a->c, b->hosts_after[i]))
            return false;
    /* A caller that acts on the checker's diagnostics would have acted on
     * "occurs twice". */
    for (size_t i = 0; ps->o.check_diag && i < b->nitems; i++) {
        const struct late *l = &b->items[i];
        if (l->kind == LATE_USER &&
            pie_checker_has_user(a->c, l->text, l->text + strlen(l->text) + 1))
            return false;
    }
    return !ps->o.ops || ps->o.ops->can_join(ps->first, b->state);
}

static void merge(struct pass *ps)
{
    struct xporta_pass *a = &ps->a, *b = &ps->b;
    unsigned long at_line, at_col;
    unsigned a_once = pie_reader_once_notes(a->r);
    char msg[768];
    pie_reader_split(a->r, &at_line, &at_col);
    for (size_t i = 0; i < b->nitems; i++) {
        const struct late *l = &b->items[i];
        if (l->kind == LATE_MARK) {
            ps->o.ops->replay(ps->first, b->state, l->mark);
            continue;
        }
        unsigned long line = l->line, col = l->col;
        if (l->kind == LATE_USER) {
            const char *host = l->text + strlen(l->text) + 1;
            if (!pie_checker_has_user(a->c, l->text, host))
                continue;
            remap(b, at_line, at_col, &line, &col);
            snprintf(msg, sizeof msg, "user '%s@%s' occurs twice", l->text,
                     host);
            xporta_diag d = {XPORTA_ERROR, b->path, line, col, msg};
            emit(ps, &d);
            continue;
        }
        if (l->once & a_once)
            continue;
        if (l->main)
            remap(b, at_line, at_col, &line, &col);
        xporta_diag d = {(xporta_severity)l->sev, l->main ? b->path : l->file,
                         line, col, l->text};
        emit(ps, &d);
    }
    if (b->fatal != XPORTA_OK) {
        ps->res.fatal = b->fatal;
        remap_fatal(b, at_line, at_col, ps->res.fatal_msg,
                    sizeof ps->res.fatal_msg);
    }
    if (ps->o.ops)
        ps->o.ops->join(ps->first, b->state);
    a->hosts += b->hosts - 1;
    a->users += b->users;
    a->records += b->records;
    a->components += b->components; /* 0: the second half gives them up */
    a->rooms += b->rooms;
    ps->res.threads = 2;
}

/* The first half has reached the split point: merge the second, or go on
 * reading alone.  *merged tells which. */
static xporta_status at_split(struct pass *ps, bool *merged)
{
    wait_for(ps, true);
    *merged = mergeable(ps);
    if (*merged) {
        merge(ps);
        progress(ps, true);
    }
    ps->split = false; /* settled below */
    if (ps->b.state && ps->o.ops)
        ps->o.ops->drop(ps->b.state);
    ps->b.state = NULL;
    xporta_status fatal = ps->b.fatal;
    half_free(&ps->b);
    if (*merged)
        return ps->o.ops ? XPORTA_OK : fatal;
    return pie_reader_split_resume(ps->a.r);
}

static xporta_status first_next(struct pass *ps, xporta_pie_event *ev)
{
    struct xporta_pass *a = &ps->a;
    if (a->ended) {
        *ev = XPORTA_PIE_END;
        return ps->res.fatal;
    }
    for (;;) {
        xporta_status st = xporta_pie_reader_next(a->r, ev);
        if (st == XPORTA_OK && *ev == XPORTA_PIE_END && ps->split &&
            pie_reader_split(a->r, NULL, NULL) == PIE_SPLIT_REACHED) {
            bool merged;
            st = at_split(ps, &merged);
            if (merged) {
                a->ended = true;
                *ev = XPORTA_PIE_END;
                return st;
            }
            if (st == XPORTA_OK)
                continue; /* the held <user>, read by this thread after all */
        }
        if (st != XPORTA_OK) {
            settle(ps, true);
            ps->res.fatal = st;
            snprintf(ps->res.fatal_msg, sizeof ps->res.fatal_msg, "%s",
                     xporta_pie_reader_error(a->r));
            return st;
        }
        if (ps->split && pie_reader_split(a->r, NULL, NULL) == PIE_SPLIT_MISSED)
            settle(ps, true); /* its work cannot be used: stop it now */
        check_event(a, *ev);
        count(a, *ev);
        if (*ev == XPORTA_PIE_END)
            progress(ps, false);
        else if (a->events % PROGRESS_EVERY == 0)
            progress(ps, ps->split);
        return XPORTA_OK;
    }
}

xporta_status xporta_pass_next(xporta_pass *p, xporta_pie_event *ev)
{
    if (!p || !ev)
        return XPORTA_EINVAL;
    return p->second ? second_next(p, ev) : first_next(p->pass, ev);
}

/* ---- opening ---------------------------------------------------------------
 */

static xporta_status open_half(struct pass *ps, struct xporta_pass *h,
                               const char *path, const struct pie_plan *pl)
{
    h->pass = ps;
    h->path = path;
    h->second = pl != NULL;
    xporta_status st = pl ? pie_reader_open_split(&h->r, path, pl->prefix,
                                                  pl->prefix_len, pl->split)
                          : xporta_pie_reader_open(&h->r, path);
    if (st != XPORTA_OK)
        return st;
    xporta_pie_reader_set_keep_going(h->r, ps->o.keep_going);
    xporta_pie_reader_set_diag(h->r, reader_diag, h);
    st = xporta_checker_new(&h->c, checker_diag, h);
    if (st == XPORTA_OK)
        xporta_checker_set_filter(h->c, ps->o.filter);
    return st;
}

static unsigned cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 1 ? 2 : 1;
}

/* The second half up to its first <user>: the copied host tag. */
static bool start_second(struct pass *ps, const char *path,
                         const struct pie_plan *pl)
{
    struct xporta_pass *b = &ps->b;
    xporta_pie_event ev;
    b->prefix_len = pl->prefix_len;
    if (open_half(ps, b, path, pl) != XPORTA_OK ||
        xporta_pie_reader_next(b->r, &ev) != XPORTA_OK || ev != XPORTA_PIE_HOST)
        return false;
    xporta_checker_event(b->c, b->r, ev);
    count(b, ev);
    if (ps->o.ops) {
        b->state = ps->o.ops->fork(ps->first, xporta_pie_reader_host(b->r), b);
        if (!b->state)
            return false;
    }
    if (pthread_mutex_init(&b->lock, NULL) != 0)
        return false;
    if (pthread_cond_init(&b->ended_cond, NULL) != 0) {
        pthread_mutex_destroy(&b->lock);
        return false;
    }
    ps->sync_ok = true;
    if (pthread_create(&ps->tid, NULL, second_thread, b) != 0)
        return false;
    ps->split = true;
    return true;
}

xporta_status xporta_pass_open(xporta_pass **out, const char *path,
                               const xporta_pass_options *opt, void *first)
{
    if (!out || !path)
        return XPORTA_EINVAL;
    *out = NULL;
    struct pass *ps = calloc(1, sizeof *ps);
    if (!ps)
        return XPORTA_ENOMEM;
    if (opt)
        ps->o = *opt;
    ps->first = first;
    atomic_init(&ps->cancel, false);
    ps->res.threads = 1;
    xporta_status st = open_half(ps, &ps->a, path, NULL);
    if (st != XPORTA_OK) {
        half_free(&ps->a);
        free(ps);
        return st;
    }
    *out = &ps->a;

    const xporta_check_options *o = &ps->o.check;
    unsigned threads = o->threads ? o->threads : cores();
    uint64_t min = o->split_min_bytes ? o->split_min_bytes : SPLIT_MIN_DEFAULT;
    struct pie_plan pl = {0};
    struct stat sb;
    bool planned = false;
    int fd = threads > 1 ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    if (fd >= 0 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
        (uint64_t)sb.st_size >= min) {
        uint64_t size = (uint64_t)sb.st_size;
        uint64_t from = o->split_from ? o->split_from : size / 2;
        planned = from < size && pie_plan_split(fd, size, from, &pl);
    }
    if (fd >= 0)
        close(fd);
    if (planned && start_second(ps, path, &pl)) {
        pie_reader_set_split(ps->a.r, pl.split, pl.host_at);
    } else if (planned) {
        if (ps->b.state && ps->o.ops)
            ps->o.ops->drop(ps->b.state);
        ps->b.state = NULL;
        half_free(&ps->b);
    }
    free(pl.prefix);
    return XPORTA_OK;
}

xporta_pie_reader *xporta_pass_reader(const xporta_pass *p)
{
    return p ? p->r : NULL;
}

bool xporta_pass_is_second(const xporta_pass *p)
{
    return p && p->second;
}

void xporta_pass_result(const xporta_pass *p, xporta_check_result *res)
{
    if (!p || !res)
        return;
    const struct pass *ps = p->pass;
    *res = ps->res;
    res->hosts = ps->a.hosts;
    res->users = ps->a.users;
    res->records = ps->a.records;
    res->components = ps->a.components;
    res->rooms = ps->a.rooms;
    if (res->fatal != XPORTA_OK)
        pie_split_fatal(res);
}

void xporta_pass_free(xporta_pass *p)
{
    if (!p || p->second)
        return;
    struct pass *ps = p->pass;
    settle(ps, true);
    if (ps->sync_ok) {
        pthread_cond_destroy(&ps->b.ended_cond);
        pthread_mutex_destroy(&ps->b.lock);
    }
    half_free(&ps->a);
    half_free(&ps->b);
    free(ps);
}
