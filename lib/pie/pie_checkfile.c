/*
 * xporta_check_file: one file through a reader and a checker, on one core or
 * on two.
 *
 * Design note.  Parsing is the cost of `xporta check`, and XML cannot be
 * parsed from the middle: a parser started at an arbitrary byte does not
 * know whether it is inside a tag, a comment or a CDATA section, nor which
 * namespaces are in scope.  A XEP-0227 file, though, is a long list of
 * <user> elements under one or a few <host> elements, and what a <user>
 * means depends only on the <server-data> and <host> start tags above it.
 * So a second thread reads the file from a <user> start tag found near the
 * middle, after a copy of those two start tags, while the first thread
 * reads from the start and stops there.
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
 * The result must be what one thread would have printed, in the same order.
 * The second thread therefore holds its diagnostics back (up to a ceiling,
 * past which it gives up) and they are printed after the first half's, with
 * their positions moved from its own numbering to the file's (the first
 * thread learns the line and column of the split tag).  What depends on
 * the first half is settled at the merge: a user of the split host that
 * the first half already had is reported there, in order; notes given once
 * per file are not repeated; and a host that the second half meets again
 * after the first half had it (where one thread would have carried state
 * over) makes the merge give up.
 */
#include <errno.h>
#include <expat.h>
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
    PROBE_MAX = 1 << 20,       /* the root and first host tags are here */
    WINDOW = 1 << 20,          /* bytes searched at a time */
    FORWARD_MAX = 16 << 20,    /* how far past the middle to seek <user */
    HOST_BACK_MAX = 64 << 20,  /* how far back from there to seek <host */
    TAG_MAX = 64 << 10,        /* longest <host> start tag copied */
    LATE_DIAGS_MAX = 100000,   /* second half's diagnostics held back */
    LATE_BYTES_MAX = 16 << 20, /* ... and the bytes they and names take */
    PROGRESS_EVERY = 1024,     /* events between progress calls */
    WAIT_TICK_NS = 100000000,  /* progress while waiting for the second */
};
#define SPLIT_MIN_DEFAULT ((uint64_t)64 << 20)

/* ---- where diagnostics go ------------------------------------------------
 */

struct out {
    const xporta_check_options *o;
    xporta_check_result *res;
};

static void emit(struct out *out, const xporta_diag *d)
{
    if (d->severity == XPORTA_ERROR)
        out->res->errors++;
    else if (d->severity == XPORTA_WARNING)
        out->res->warnings++;
    else
        out->res->notes++;
    if (out->o->diag)
        out->o->diag(d, out->o->diag_userdata);
}

static void emit_cb(const xporta_diag *d, void *ud)
{
    emit(ud, d);
}

/* A diagnostic of the second half, held back until the merge. */
struct late_diag {
    xporta_severity sev;
    unsigned once; /* PIE_ONCE_* when it is a once-per-file note */
    bool main;     /* in the split file (position to be remapped) */
    unsigned long line, col;
    char *file; /* another file (an XInclude), else NULL */
    char *msg;
};

/* A user seen by the second half: the first half may have had it too.  Its
 * report would come after `before` late diagnostics. */
struct late_user {
    char *name; /* "name\0host" */
    unsigned long line, col;
    size_t before;
};

struct half {
    const char *path;
    xporta_pie_reader *r;
    xporta_checker *c;
    unsigned long hosts, users, records;
    /* the second half only */
    bool started; /* past its prefix: at the split <user> or beyond */
    unsigned long first_line, first_col; /* that <user>, in its numbering */
    unsigned once_seen;
    struct late_diag *diags;
    size_t ndiags, capdiags;
    struct late_user *lusers;
    size_t nlusers, caplusers;
    char **hosts_after; /* hosts met after the split host */
    size_t nhosts_after, caphosts_after;
    size_t held_bytes;
    bool overflow; /* held too much: its work will be thrown away */
    xporta_status fatal;
    char *fatal_msg;
    size_t prefix_len;
    atomic_bool *cancel;
    _Atomic uint64_t done; /* bytes of the file read */
    pthread_mutex_t lock;  /* for `finished` */
    pthread_cond_t ended;
    bool finished;
};

static bool hold(struct half *h, size_t bytes)
{
    h->held_bytes += bytes;
    if (h->held_bytes > LATE_BYTES_MAX || h->ndiags >= LATE_DIAGS_MAX)
        h->overflow = true;
    return !h->overflow;
}

static bool grow(void **arr, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return true;
    size_t c = *cap ? *cap * 2 : 64;
    void *p = realloc(*arr, c * size);
    if (!p)
        return false;
    *arr = p;
    *cap = c;
    return true;
}

static void late_diag_cb(const xporta_diag *d, void *ud)
{
    struct half *h = ud;
    unsigned once = pie_reader_once_notes(h->r) & ~h->once_seen;
    h->once_seen |= once;
    if (!h->started || h->overflow)
        return; /* the prefix: the first half reports on those tags */
    bool main = d->file && strcmp(d->file, h->path) == 0;
    char *msg = xp_strdup(d->message ? d->message : "");
    char *file = main || !d->file ? NULL : xp_strdup(d->file);
    if (!msg || (d->file && !main && !file) ||
        !hold(h, strlen(msg) + (file ? strlen(file) : 0) + 2) ||
        !grow((void **)&h->diags, &h->capdiags, h->ndiags, sizeof *h->diags)) {
        h->overflow = true;
        free(msg);
        free(file);
        return;
    }
    h->diags[h->ndiags++] = (struct late_diag){
        d->severity, once, main, d->line, d->col, file, msg,
    };
}

static void half_free(struct half *h)
{
    xporta_checker_free(h->c);
    xporta_pie_reader_free(h->r);
    for (size_t i = 0; i < h->ndiags; i++) {
        free(h->diags[i].msg);
        free(h->diags[i].file);
    }
    free(h->diags);
    for (size_t i = 0; i < h->nlusers; i++)
        free(h->lusers[i].name);
    free(h->lusers);
    for (size_t i = 0; i < h->nhosts_after; i++)
        free(h->hosts_after[i]);
    free(h->hosts_after);
    free(h->fatal_msg);
}

static void count(struct half *h, xporta_pie_event ev)
{
    if (ev == XPORTA_PIE_HOST)
        h->hosts++;
    else if (ev == XPORTA_PIE_USER)
        h->users++;
    else if (ev == XPORTA_PIE_RECORD)
        h->records++;
}

/* ---- the second half -------------------------------------------------------
 */

/* What depends on the first half: hosts after the split host (it may have
 * had them: then the merge gives up). */
static void note_late_event(struct half *h, xporta_pie_event ev)
{
    if (ev == XPORTA_PIE_HOST && h->hosts > 1) {
        char *host = xp_strdup(xporta_pie_reader_host(h->r));
        if (!host || !hold(h, strlen(host) + 1) ||
            !grow((void **)&h->hosts_after, &h->caphosts_after, h->nhosts_after,
                  sizeof *h->hosts_after)) {
            free(host);
            h->overflow = true;
            return;
        }
        h->hosts_after[h->nhosts_after++] = host;
    }
}

static void *second_half(void *arg)
{
    struct half *h = arg;
    uint64_t n = 0;
    for (;;) {
        xporta_pie_event ev;
        if (atomic_load_explicit(h->cancel, memory_order_relaxed) ||
            h->overflow)
            break;
        xporta_status st = xporta_pie_reader_next(h->r, &ev);
        if (st != XPORTA_OK) {
            h->fatal = st;
            h->fatal_msg = xp_strdup(xporta_pie_reader_error(h->r));
            break;
        }
        bool new_user = false;
        const char *user = NULL, *host = xporta_pie_reader_host(h->r);
        unsigned long line = 0, col = 0;
        if (ev == XPORTA_PIE_USER) {
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
        xporta_checker_event(h->c, h->r, ev);
        count(h, ev);
        note_late_event(h, ev);
        if (new_user) {
            size_t ulen = strlen(user), hlen = strlen(host);
            char *name = malloc(ulen + hlen + 2);
            if (name) {
                memcpy(name, user, ulen + 1);
                memcpy(name + ulen + 1, host, hlen + 1);
            }
            if (!name || !hold(h, ulen + hlen + 2) ||
                !grow((void **)&h->lusers, &h->caplusers, h->nlusers,
                      sizeof *h->lusers)) {
                free(name);
                h->overflow = true;
            } else {
                h->lusers[h->nlusers++] =
                    (struct late_user){name, line, col, h->ndiags};
            }
        }
        if (ev == XPORTA_PIE_END)
            break;
        if (++n % PROGRESS_EVERY == 0) {
            uint64_t off = xporta_pie_reader_offset(h->r);
            atomic_store_explicit(&h->done,
                                  off > h->prefix_len ? off - h->prefix_len : 0,
                                  memory_order_relaxed);
        }
    }
    pthread_mutex_lock(&h->lock);
    h->finished = true;
    pthread_cond_signal(&h->ended);
    pthread_mutex_unlock(&h->lock);
    return NULL;
}

/* A position of the second half, in the file's numbering: the split tag is
 * at (first_line, first_col) there and at (line, col) in the file. */
static void remap(const struct half *h, unsigned long at_line,
                  unsigned long at_col, unsigned long *line, unsigned long *col)
{
    if (*line < h->first_line)
        return; /* not after the split: cannot happen, left as it is */
    if (*line == h->first_line)
        *col = at_col + (*col >= h->first_col ? *col - h->first_col : 0);
    *line = at_line + (*line - h->first_line);
}

/* The reader's errors read "FILE:LINE:COL: message" when they have a
 * place (the first ":N:N: " ends the file name): its parts, or false. */
static bool error_place(const char *m, size_t *file_len, unsigned long *line,
                        unsigned long *col, const char **text)
{
    for (const char *p = strchr(m, ':'); p; p = strchr(p + 1, ':')) {
        char *end;
        if (p[1] < '0' || p[1] > '9')
            continue;
        *line = strtoul(p + 1, &end, 10);
        if (end[0] != ':' || end[1] < '0' || end[1] > '9')
            continue;
        *col = strtoul(end + 1, &end, 10);
        if (end[0] != ':' || end[1] != ' ')
            continue;
        *file_len = (size_t)(p - m);
        *text = end + 2;
        return true;
    }
    return false;
}

/* The second half's fatal error, its place in the split file remapped. */
static void remap_fatal(const struct half *h, unsigned long at_line,
                        unsigned long at_col, char *out, size_t cap)
{
    const char *m = h->fatal_msg ? h->fatal_msg : "";
    size_t flen;
    unsigned long line, col;
    const char *text;
    if (error_place(m, &flen, &line, &col, &text) && flen == strlen(h->path) &&
        strncmp(m, h->path, flen) == 0) {
        remap(h, at_line, at_col, &line, &col);
        snprintf(out, cap, "%s:%lu:%lu: %s", h->path, line, col, text);
    } else {
        snprintf(out, cap, "%s", m);
    }
}

/* The fatal error in its parts, for callers that print places their way. */
static void split_fatal(xporta_check_result *res)
{
    const char *m = res->fatal_msg, *text;
    size_t flen;
    if (error_place(m, &flen, &res->fatal_line, &res->fatal_col, &text)) {
        snprintf(res->fatal_file, sizeof res->fatal_file, "%.*s", (int)flen, m);
        snprintf(res->fatal_text, sizeof res->fatal_text, "%s", text);
    } else {
        res->fatal_line = res->fatal_col = 0;
        snprintf(res->fatal_text, sizeof res->fatal_text, "%s", m);
    }
}

/* ---- finding where to split ------------------------------------------------
 */

struct probe {
    XML_Parser p;
    int depth;
    int64_t root_at, root_len, host_at, host_len;
    bool root_is_host;
    bool bad;
};

static void XMLCALL probe_start(void *ud, const char *name, const char **attrs)
{
    struct probe *pr = ud;
    (void)attrs;
    pr->depth++;
    int64_t at = (int64_t)XML_GetCurrentByteIndex(pr->p);
    int64_t len = XML_GetCurrentByteCount(pr->p);
    if (pr->depth == 1) {
        pr->root_at = at;
        pr->root_len = len;
        pr->root_is_host = strcmp(name, "host") == 0;
        if (pr->root_is_host || strcmp(name, "server-data") != 0) {
            pr->bad = !pr->root_is_host;
            XML_StopParser(pr->p, XML_FALSE);
        }
    } else if (pr->depth == 2 && strcmp(name, "host") == 0) {
        pr->host_at = at;
        pr->host_len = len;
        XML_StopParser(pr->p, XML_FALSE);
    }
}

static void XMLCALL probe_end(void *ud, const char *name)
{
    struct probe *pr = ud;
    (void)name;
    if (--pr->depth == 0) /* the root ended without a <host> */
        XML_StopParser(pr->p, XML_FALSE);
}

static bool read_at(int fd, char *buf, size_t n, uint64_t off)
{
    while (n > 0) {
        ssize_t got = pread(fd, buf, n, (off_t)off);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return false;
        buf += got;
        n -= (size_t)got;
        off += (uint64_t)got;
    }
    return true;
}

/* The root's start tag, and the first <host>'s when the root has one. */
static bool probe_root(int fd, uint64_t size, char *buf, struct probe *pr)
{
    memset(pr, 0, sizeof *pr);
    pr->root_at = pr->host_at = -1;
    pr->p = XML_ParserCreate(NULL);
    if (!pr->p)
        return false;
    XML_SetUserData(pr->p, pr);
    XML_SetElementHandler(pr->p, probe_start, probe_end);
    XML_SetParamEntityParsing(pr->p, XML_PARAM_ENTITY_PARSING_NEVER);
    /* Feeds the first MiB until the tags are found: the handlers stop the
     * parser then, which makes XML_Parse fail; what was found stays. */
    for (uint64_t off = 0; off < size && off < PROBE_MAX;) {
        size_t n = size - off < WINDOW ? (size_t)(size - off) : WINDOW;
        if (n > PROBE_MAX - off)
            n = (size_t)(PROBE_MAX - off);
        if (!read_at(fd, buf, n, off) ||
            XML_Parse(pr->p, buf, (int)n, XML_FALSE) != XML_STATUS_OK)
            break;
        off += n;
    }
    XML_ParserFree(pr->p);
    pr->p = NULL;
    return !pr->bad && pr->root_at >= 0 &&
           (pr->root_is_host || pr->host_at >= 0);
}

static bool tag_delim(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '>' ||
           c == '/';
}

/* The first "<NAME" + delimiter at or after `from` (searching at most
 * `max` bytes), or -1. */
static int64_t find_forward(int fd, uint64_t size, char *buf, uint64_t from,
                            uint64_t max, const char *pat)
{
    size_t plen = strlen(pat);
    uint64_t end = from + max < size ? from + max : size;
    for (uint64_t off = from; off + plen < end;) {
        size_t n = end - off < WINDOW ? (size_t)(end - off) : WINDOW;
        if (!read_at(fd, buf, n, off))
            return -1;
        for (size_t i = 0; i + plen < n; i++) {
            char *hit = memchr(buf + i, '<', n - plen - i);
            if (!hit)
                break;
            i = (size_t)(hit - buf);
            if (memcmp(hit, pat, plen) == 0 && tag_delim(hit[plen]))
                return (int64_t)(off + i);
        }
        if (n <= plen + 1)
            break;
        off += n - plen; /* overlap: a match across windows */
    }
    return -1;
}

/* The last "<NAME" + delimiter that starts before `before` and at or after
 * `floor`, searching at most `max` bytes back, or -1. */
static int64_t find_backward(int fd, char *buf, uint64_t before, uint64_t floor,
                             uint64_t max, const char *pat)
{
    size_t plen = strlen(pat);
    uint64_t lowest = before > max ? before - max : 0;
    if (lowest < floor)
        lowest = floor;
    uint64_t hi = before; /* exclusive end of the next window */
    while (hi > lowest) {
        uint64_t lo = hi - lowest > WINDOW ? hi - WINDOW : lowest;
        /* read plen bytes past hi too, for a match that starts before hi */
        size_t n = (size_t)(hi - lo) + plen;
        if (!read_at(fd, buf, n, lo))
            return -1;
        for (size_t i = (size_t)(hi - lo); i-- > 0;) {
            if (buf[i] == '<' && memcmp(buf + i, pat, plen) == 0 &&
                tag_delim(buf[i + plen]))
                return (int64_t)(lo + i);
        }
        hi = lo;
    }
    return -1;
}

/* The length of the start tag at `at` (up to and with its '>'), or 0 when
 * it is longer than TAG_MAX, ends the file or is an empty element. */
static size_t tag_length(int fd, uint64_t size, char *buf, uint64_t at)
{
    size_t n = size - at < TAG_MAX ? (size_t)(size - at) : TAG_MAX;
    if (!read_at(fd, buf, n, at))
        return 0;
    char quote = 0;
    for (size_t i = 1; i < n; i++) {
        char c = buf[i];
        if (quote) {
            if (c == quote)
                quote = 0;
        } else if (c == '"' || c == '\'') {
            quote = c;
        } else if (c == '<') {
            return 0;
        } else if (c == '>') {
            return buf[i - 1] == '/' ? 0 : i + 1;
        }
    }
    return 0;
}

struct plan {
    uint64_t split, host_at;
    char *prefix;
    size_t prefix_len;
};

static bool plan_split(int fd, uint64_t size, uint64_t from, struct plan *pl)
{
    struct probe pr;
    char *buf = malloc(WINDOW + TAG_MAX);
    bool ok = false;
    memset(pl, 0, sizeof *pl);
    if (!buf)
        return false;
    if (!probe_root(fd, size, buf, &pr))
        goto done;
    uint64_t root_end = (uint64_t)(pr.root_at + pr.root_len);
    uint64_t floor =
        pr.root_is_host ? root_end : (uint64_t)(pr.host_at + pr.host_len);
    if (from < floor)
        from = floor;
    int64_t split = find_forward(fd, size, buf, from, FORWARD_MAX, "<user");
    if (split < 0)
        goto done;
    uint64_t host_at, host_len = 0;
    if (pr.root_is_host) {
        host_at = (uint64_t)pr.root_at;
    } else {
        int64_t h = find_backward(fd, buf, (uint64_t)split, root_end,
                                  HOST_BACK_MAX, "<host");
        host_at = h >= 0 ? (uint64_t)h : (uint64_t)pr.host_at;
        host_len = tag_length(fd, size, buf, host_at);
        if (host_len == 0 || host_at + host_len > (uint64_t)split)
            goto done;
    }
    pl->prefix_len = (size_t)root_end + host_len;
    pl->prefix = malloc(pl->prefix_len);
    if (!pl->prefix || !read_at(fd, pl->prefix, (size_t)root_end, 0) ||
        (host_len &&
         !read_at(fd, pl->prefix + root_end, (size_t)host_len, host_at)))
        goto done;
    pl->split = (uint64_t)split;
    pl->host_at = host_at;
    ok = true;
done:
    if (!ok) {
        free(pl->prefix);
        pl->prefix = NULL;
    }
    free(buf);
    return ok;
}

/* ---- the whole file
 * ----------------------------------------------------------
 */

static void progress(const xporta_check_options *o, const struct half *a,
                     struct half *b)
{
    if (!o->progress)
        return;
    uint64_t done = xporta_pie_reader_offset(a->r);
    if (b)
        done += atomic_load_explicit(&b->done, memory_order_relaxed);
    o->progress(done, o->progress_userdata);
}

/* Reads on until the end, a fatal error, or the split point. */
static xporta_status read_on(struct half *a, const xporta_check_options *o,
                             struct half *b)
{
    for (;;) {
        xporta_pie_event ev;
        xporta_status st = xporta_pie_reader_next(a->r, &ev);
        if (st != XPORTA_OK)
            return st;
        if (ev == XPORTA_PIE_END &&
            pie_reader_split(a->r, NULL, NULL) == PIE_SPLIT_REACHED)
            return XPORTA_OK;
        xporta_checker_event(a->c, a->r, ev);
        count(a, ev);
        if (ev == XPORTA_PIE_END)
            return XPORTA_OK;
        if (((a->records + a->users) % PROGRESS_EVERY) == 0)
            progress(o, a, b);
    }
}

/* Waits for the second half, reporting progress meanwhile. */
static void wait_for(struct half *b, const xporta_check_options *o,
                     struct half *a, pthread_t tid)
{
    pthread_mutex_lock(&b->lock);
    while (!b->finished) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += WAIT_TICK_NS;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&b->ended, &b->lock, &until);
        if (!b->finished) {
            pthread_mutex_unlock(&b->lock);
            progress(o, a, b);
            pthread_mutex_lock(&b->lock);
        }
    }
    pthread_mutex_unlock(&b->lock);
    pthread_join(tid, NULL);
}

/* Can the second half stand for the rest of the file? */
static bool mergeable(const struct half *a, const struct half *b)
{
    if (b->overflow || !b->started)
        return false;
    for (size_t i = 0; i < b->nhosts_after; i++)
        if (pie_checker_has_host(a->c, b->hosts_after[i]))
            return false;
    return true;
}

static void merge(struct out *out, const struct half *a, const struct half *b)
{
    unsigned long at_line, at_col;
    unsigned a_once = pie_reader_once_notes(a->r);
    size_t u = 0;
    char msg[768];
    pie_reader_split(a->r, &at_line, &at_col);
    for (size_t i = 0; i <= b->ndiags; i++) {
        for (; u < b->nlusers && b->lusers[u].before <= i; u++) {
            const struct late_user *lu = &b->lusers[u];
            const char *host = lu->name + strlen(lu->name) + 1;
            if (!pie_checker_has_user(a->c, lu->name, host))
                continue;
            unsigned long line = lu->line, col = lu->col;
            remap(b, at_line, at_col, &line, &col);
            snprintf(msg, sizeof msg, "user '%s@%s' occurs twice", lu->name,
                     host);
            xporta_diag d = {XPORTA_ERROR, b->path, line, col, msg};
            emit(out, &d);
        }
        if (i == b->ndiags)
            break;
        const struct late_diag *ld = &b->diags[i];
        if (ld->once & a_once)
            continue;
        xporta_diag d = {ld->sev, ld->main ? b->path : ld->file, ld->line,
                         ld->col, ld->msg};
        if (ld->main)
            remap(b, at_line, at_col, &d.line, &d.col);
        emit(out, &d);
    }
    if (b->fatal != XPORTA_OK) {
        out->res->fatal = b->fatal;
        remap_fatal(b, at_line, at_col, out->res->fatal_msg,
                    sizeof out->res->fatal_msg);
    }
}

static xporta_status open_half(struct half *h, const char *path,
                               struct out *out, const struct plan *pl)
{
    xporta_status st = pl ? pie_reader_open_split(&h->r, path, pl->prefix,
                                                  pl->prefix_len, pl->split)
                          : xporta_pie_reader_open(&h->r, path);
    if (st != XPORTA_OK)
        return st;
    xporta_pie_reader_set_keep_going(h->r, true);
    if (pl) {
        xporta_pie_reader_set_diag(h->r, late_diag_cb, h);
        return xporta_checker_new(&h->c, late_diag_cb, h);
    }
    xporta_pie_reader_set_diag(h->r, emit_cb, out);
    return xporta_checker_new(&h->c, emit_cb, out);
}

static unsigned cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 1 ? 2 : 1;
}

xporta_status xporta_check_file(const char *path,
                                const xporta_check_options *opt,
                                xporta_check_result *res)
{
    static const xporta_check_options none;
    const xporta_check_options *o = opt ? opt : &none;
    struct out out = {o, res};
    struct half a = {0}, b = {0};
    struct plan pl = {0};
    atomic_bool cancel = false;
    bool split = false;
    pthread_t tid;
    struct stat sb;

    if (!path || !res)
        return XPORTA_EINVAL;
    memset(res, 0, sizeof *res);
    res->threads = 1;
    a.path = b.path = path;
    xporta_status st = open_half(&a, path, &out, NULL);
    if (st != XPORTA_OK) {
        half_free(&a);
        return st;
    }

    unsigned threads = o->threads ? o->threads : cores();
    uint64_t min = o->split_min_bytes ? o->split_min_bytes : SPLIT_MIN_DEFAULT;
    int fd = threads > 1 ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    if (fd >= 0 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
        (uint64_t)sb.st_size >= min) {
        uint64_t size = (uint64_t)sb.st_size;
        uint64_t from = o->split_from ? o->split_from : size / 2;
        split = from < size && plan_split(fd, size, from, &pl);
    }
    if (fd >= 0)
        close(fd);
    if (split) {
        b.cancel = &cancel;
        b.prefix_len = pl.prefix_len;
        split = open_half(&b, path, &out, &pl) == XPORTA_OK &&
                pthread_mutex_init(&b.lock, NULL) == 0;
        if (split && pthread_cond_init(&b.ended, NULL) != 0) {
            pthread_mutex_destroy(&b.lock);
            split = false;
        }
        if (split && pthread_create(&tid, NULL, second_half, &b) != 0) {
            pthread_cond_destroy(&b.ended);
            pthread_mutex_destroy(&b.lock);
            split = false;
        }
        if (split)
            pie_reader_set_split(a.r, pl.split, pl.host_at);
    }
    free(pl.prefix);

    st = read_on(&a, o, split ? &b : NULL);
    if (split) {
        bool reached = st == XPORTA_OK &&
                       pie_reader_split(a.r, NULL, NULL) == PIE_SPLIT_REACHED;
        if (!reached)
            atomic_store(&cancel, true);
        wait_for(&b, o, &a, tid);
        pthread_cond_destroy(&b.ended);
        pthread_mutex_destroy(&b.lock);
        if (reached && mergeable(&a, &b)) {
            res->threads = 2;
            merge(&out, &a, &b);
            res->hosts = a.hosts + b.hosts - 1;
            res->users = a.users + b.users;
            res->records = a.records + b.records;
            progress(o, &a, &b);
            goto done;
        }
        if (reached) {
            st = pie_reader_split_resume(a.r);
            if (st == XPORTA_OK)
                st = read_on(&a, o, NULL);
        }
    }
    res->hosts = a.hosts;
    res->users = a.users;
    res->records = a.records;
    if (st != XPORTA_OK) {
        res->fatal = st;
        snprintf(res->fatal_msg, sizeof res->fatal_msg, "%s",
                 xporta_pie_reader_error(a.r));
    }
    progress(o, &a, NULL);
done:
    if (res->fatal != XPORTA_OK)
        split_fatal(res);
    half_free(&a);
    half_free(&b);
    return XPORTA_OK;
}
