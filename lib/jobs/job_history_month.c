/* The readable history's month pages (cut into parts of HIST_PART_MAX
 * messages when a month holds more) and the search shards written with
 * them (job_history_p.h has the design). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "job_history_p.h"

/* A search shard is closed once it holds this much. */
enum { SHARD_BYTES = 512 * 1024 };
/* The most of a message's text the search index keeps. */
enum { SEARCH_TEXT_MAX = 4096 };
/* A month spool written out of order is sorted in memory up to this size;
 * a larger one is shown in the order of the file. */
#define SORT_MAX ((uint64_t)256 << 20)
/* One spooled message at most (the reader's own ceiling is 64 MiB). */
#define RECORD_MAX ((size_t)128 << 20)

static const char *const month_names[] = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};
static const char *const day_names[] = {"Sunday",    "Monday",   "Tuesday",
                                        "Wednesday", "Thursday", "Friday",
                                        "Saturday"};

void hist_month_title(uint32_t month, char *buf, size_t cap)
{
    if (!month)
        snprintf(buf, cap, "Undated");
    else
        snprintf(buf, cap, "%s %u", month_names[month % 12], month / 12);
}

void hist_month_file(const struct hist *h, const struct hist_bucket *b,
                     uint32_t part, char *buf, size_t cap)
{
    const struct hist_contact *c = &h->con[b->contact];
    char p[16] = "";
    if (part)
        snprintf(p, sizeof p, "-%u", part + 1);
    if (!b->month)
        snprintf(buf, cap, "c%u-undated%s.html", c->order, p);
    else
        snprintf(buf, cap, "c%u-%04u-%02u%s.html", c->order, b->month / 12,
                 b->month % 12 + 1, p);
}

void hist_page_title(const struct hist *h, const struct hist_bucket *b,
                     uint32_t part, char *buf, size_t cap)
{
    char m[32];
    hist_month_title(b->month, m, sizeof m);
    uint32_t n = hist_parts(b);
    if (n > 1)
        snprintf(buf, cap, "%s, %s, part %u of %u",
                 hist_name(&h->con[b->contact]), m, part + 1, n);
    else
        snprintf(buf, cap, "%s, %s", hist_name(&h->con[b->contact]), m);
}

static int weekday(int y, int m, int d)
{
    static const int t[] = {0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4};
    if (m < 3)
        y -= 1;
    return (y + y / 4 - y / 100 + y / 400 + t[m - 1] + d) % 7;
}

/* ---- spool records ------------------------------------------------------- */

struct rec {
    const char *stamp; /* "" when undated */
    char dir;          /* 'o' sent, 'i' received, 'g' in a room */
    const char *sender;
    size_t sender_len;
    const char *text;
    size_t text_len;
    size_t seq;
};

/* Splits one record (NUL-terminated by the caller at its \x1e). */
static bool rec_parse(char *p, size_t n, struct rec *r)
{
    char *f1 = memchr(p, '\x1f', n);
    if (!f1 || (size_t)(f1 - p) + 3 > n || f1[2] != '\x1f')
        return false;
    *f1 = '\0';
    r->stamp = p;
    r->dir = f1[1];
    char *s = f1 + 3;
    char *f3 = memchr(s, '\x1f', n - (size_t)(s - p));
    if (!f3)
        return false;
    r->sender = s;
    r->sender_len = (size_t)(f3 - s);
    r->text = f3 + 1;
    r->text_len = n - (size_t)(r->text - p);
    return true;
}

static int cmp_rec(const void *a, const void *b)
{
    const struct rec *x = a, *y = b;
    int c = strcmp(x->stamp, y->stamp);
    return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

/* ---- a month's pages ----------------------------------------------------- */

struct page {
    struct hist *h;
    uint32_t i; /* in h->sorted */
    const struct hist_bucket *b;
    const struct hist_contact *c;
    const char *dir;
    uint32_t parts, part;
    bool counting;      /* the first pass over a month cut in parts */
    uint64_t first[32]; /* a part of it: day d's first message (0-based) */
    struct hout o;
    bool open;
    uint64_t n; /* messages so far in the month */
    char day[11];
};

static uint32_t day_part(const struct page *pg, unsigned d)
{
    return pg->parts > 1 ? (uint32_t)(pg->first[d] / HIST_PART_MAX) : 0;
}

static xporta_status part_open(struct page *pg)
{
    struct hist *h = pg->h;
    const struct hist_bucket *b = pg->b;
    const struct hist_contact *c = pg->c;
    char file[64], path[4096], title[1024], m[32];
    hist_month_file(h, b, pg->part, file, sizeof file);
    snprintf(path, sizeof path, "%s/%s", pg->dir, file);
    hist_page_title(h, b, pg->part, title, sizeof title);
    hist_month_title(b->month, m, sizeof m);
    struct hout *o = &pg->o;
    xporta_status st = hout_open(o, path, &h->r->err);
    if (st != XPORTA_OK) {
        hout_abort(o);
        return st;
    }
    pg->open = true;
    pg->day[0] = '\0';
    hist_head(o, "../", title);
    hist_crumbs(o, h, c);
    hout_puts(o, "<li><a href=\"");
    hout_printf(o, "c%u.html\">", c->order);
    hout_html(o, hist_name(c), strlen(hist_name(c)));
    hout_printf(o,
                "</a></li><li><a href=\"%s\" aria-current=\"page\">%s"
                "</a></li></ol></nav>\n",
                file, m);
    hout_puts(o, "<p class=\"tools\"><a href=\"../search.html\">Search "
                 "messages</a></p>\n</header>\n<main id=\"main\">\n<h1>");
    hout_html(o, title, strlen(title));
    hout_puts(o, "</h1>\n<p class=\"sub\">");
    hout_html(o, c->jid, strlen(c->jid));
    hout_printf(o, " &middot; %llu message%s &middot; ",
                (unsigned long long)b->count, b->count == 1 ? "" : "s");
    const char *acc = h->acc[c->account].jid;
    hout_html(o, acc, strlen(acc));
    hout_puts(o, "</p>\n<nav aria-label=\"Months\" class=\"pager\">");
    char f[64], t[32];
    if (pg->part > 0) {
        hist_month_file(h, b, pg->part - 1, f, sizeof f);
        hout_printf(o, "<a href=\"%s\" rel=\"prev\">&larr; Part %u</a> ", f,
                    pg->part);
    } else if (pg->i > c->first) {
        const struct hist_bucket *p = &h->bk[h->sorted[pg->i - 1]];
        hist_month_file(h, p, 0, f, sizeof f);
        hist_month_title(p->month, t, sizeof t);
        hout_printf(o, "<a href=\"%s\" rel=\"prev\">&larr; %s</a> ", f, t);
    }
    if (pg->part + 1 < pg->parts) {
        hist_month_file(h, b, pg->part + 1, f, sizeof f);
        hout_printf(o, "<a href=\"%s\" rel=\"next\">Part %u &rarr;</a>", f,
                    pg->part + 2);
    } else if (pg->i + 1 < c->first + c->nmonths) {
        const struct hist_bucket *n = &h->bk[h->sorted[pg->i + 1]];
        hist_month_file(h, n, 0, f, sizeof f);
        hist_month_title(n->month, t, sizeof t);
        hout_printf(o, "<a href=\"%s\" rel=\"next\">%s &rarr;</a>", f, t);
    }
    hout_puts(o, "</nav>\n");
    if (b->days) {
        hout_puts(o, "<nav aria-label=\"Days\" class=\"days\"><ul>");
        for (unsigned d = 1; d <= 31; d++) {
            if (!(b->days & (1u << d)))
                continue;
            uint32_t dp = day_part(pg, d);
            f[0] = '\0';
            if (dp != pg->part)
                hist_month_file(h, b, dp, f, sizeof f);
            hout_printf(o,
                        "<li><a href=\"%s#d%04u-%02u-%02u\" aria-label=\"%u "
                        "%s\">%u</a></li>",
                        f, b->month / 12, b->month % 12 + 1, d, d,
                        month_names[b->month % 12], d);
        }
        hout_puts(o, "</ul></nav>\n");
    }
    return o->st;
}

static xporta_status part_close(struct page *pg)
{
    if (!pg->open)
        return XPORTA_OK;
    pg->open = false;
    if (pg->day[0])
        hout_puts(&pg->o, "</ol></section>\n");
    hist_foot(&pg->o);
    return hout_close(&pg->o);
}

static void shard_row(struct page *pg, const struct rec *r, const char *sender,
                      size_t slen);

static void page_message(struct page *pg, const struct rec *r)
{
    if (pg->counting) {
        if (*r->stamp) {
            unsigned d = (unsigned)atoi(r->stamp + 8) & 31;
            if (pg->first[d] == UINT64_MAX)
                pg->first[d] = pg->n;
        }
        pg->n++;
        return;
    }
    if (pg->n && pg->n % HIST_PART_MAX == 0 && pg->o.st == XPORTA_OK) {
        part_close(pg);
        pg->part++;
        if (part_open(pg) != XPORTA_OK)
            return;
    }
    struct hout *o = &pg->o;
    if (o->st != XPORTA_OK)
        return;
    const char *sender;
    size_t slen;
    if (r->dir == 'o')
        sender = "Me", slen = 2;
    else if (r->dir == 'g' && r->sender_len)
        sender = r->sender, slen = r->sender_len;
    else
        sender = hist_name(pg->c), slen = strlen(sender);
    const char *key = *r->stamp ? r->stamp : "-";
    if (strncmp(pg->day, key, 10) != 0) {
        if (pg->day[0])
            hout_puts(o, "</ol></section>\n");
        if (*r->stamp) {
            int y = atoi(r->stamp), m = atoi(r->stamp + 5),
                d = atoi(r->stamp + 8);
            /* a day begun in the part before goes on under its heading
             * again (the days' links lead to where it began) */
            bool cont =
                pg->part > 0 && !pg->day[0] && pg->first[d & 31] < pg->n;
            const char *sfx = cont ? "-c" : "";
            hout_printf(
                o,
                "<section aria-labelledby=\"d%.10s%s\"><h2 "
                "id=\"d%.10s%s\">%s %d %s %d%s</h2>\n<ol>\n",
                r->stamp, sfx, r->stamp, sfx, day_names[weekday(y, m, d)], d,
                month_names[(m - 1) % 12], y, cont ? " (continued)" : "");
        } else
            hout_puts(o, "<section aria-labelledby=\"dundated\"><h2 "
                         "id=\"dundated\">Without a date</h2>\n<ol>\n");
        snprintf(pg->day, sizeof pg->day, "%.10s", key);
    }
    pg->n++;
    hout_printf(o, "<li id=\"m%llu\" class=\"%c\">", (unsigned long long)pg->n,
                r->dir == 'o' ? 'o' : 'i');
    if (*r->stamp)
        hout_printf(o, "<time datetime=\"%s\">%.5s</time> ", r->stamp,
                    r->stamp + 11);
    hout_puts(o, "<b>");
    hout_html(o, sender, slen);
    hout_puts(o, "</b><p>");
    hout_body(o, r->text, r->text_len);
    hout_puts(o, "</p></li>\n");
    shard_row(pg, r, sender, slen);
    pg->h->written++;
}

/* Every message of bucket `b` in time order, into page_message. */
static xporta_status page_messages(struct page *pg, size_t b)
{
    struct hist *h = pg->h;
    struct hist_bucket *k = &h->bk[b];
    char path[4096];
    snprintf(path, sizeof path, "%s/%zu", h->spool, b);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return xp_fail(&h->r->err, XPORTA_EIO, "%s: %s", path, strerror(errno));
    bool sort = k->unsorted && k->bytes <= SORT_MAX;
    struct xp_buf buf;
    xp_buf_init(&buf, sort ? SORT_MAX + 1 : RECORD_MAX);
    struct rec *recs = NULL;
    size_t nrecs = 0, cap = 0, seq = 0, start = 0;
    xporta_status st = XPORTA_OK;
    char chunk[64 * 1024];
    for (;;) {
        ssize_t got = read(fd, chunk, sizeof chunk);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            st = xp_fail(&h->r->err, XPORTA_EIO, "%s: %s", path,
                         strerror(errno));
            break;
        }
        if (got == 0)
            break;
        if ((st = xp_buf_add(&buf, chunk, (size_t)got)) != XPORTA_OK) {
            st = xp_fail(&h->r->err, st, "%s: a message too large", path);
            break;
        }
        char *end;
        while ((end = memchr(buf.data + start, '\x1e', buf.len - start))) {
            *end = '\0';
            struct rec r;
            if (rec_parse(buf.data + start, (size_t)(end - buf.data) - start,
                          &r)) {
                r.seq = seq++;
                if (!sort)
                    page_message(pg, &r);
                else {
                    if (nrecs == cap) {
                        size_t nc = cap ? cap * 2 : 256;
                        struct rec *nr = realloc(recs, nc * sizeof *nr);
                        if (!nr) {
                            st = xp_fail(&h->r->err, XPORTA_ENOMEM,
                                         "out of memory");
                            break;
                        }
                        recs = nr, cap = nc;
                    }
                    /* offsets: the buffer may move as it grows */
                    r.stamp = (const char *)(r.stamp - buf.data);
                    r.sender = (const char *)(r.sender - buf.data);
                    r.text = (const char *)(r.text - buf.data);
                    recs[nrecs++] = r;
                }
            }
            start = (size_t)(end - buf.data) + 1;
        }
        if (st != XPORTA_OK)
            break;
        if (!sort && start) { /* keep only the unfinished record */
            memmove(buf.data, buf.data + start, buf.len - start);
            buf.len -= start;
            start = 0;
        }
    }
    close(fd);
    if (st == XPORTA_OK && sort) {
        for (size_t i = 0; i < nrecs; i++) {
            recs[i].stamp = buf.data + (size_t)recs[i].stamp;
            recs[i].sender = buf.data + (size_t)recs[i].sender;
            recs[i].text = buf.data + (size_t)recs[i].text;
        }
        qsort(recs, nrecs, sizeof *recs, cmp_rec);
        for (size_t i = 0; i < nrecs; i++)
            page_message(pg, &recs[i]);
    }
    free(recs);
    xp_buf_cleanup(&buf);
    return st != XPORTA_OK ? st : pg->o.st;
}

/* ---- search shards -------------------------------------------------------
 * search/sN.js: XH_shard(N, [[page, message, "stamp", "sender", "text"],
 * ...]); search/meta.js: XH_meta({shards: N, pages: [[href, title], ...]}).
 * Scripts, not JSON: a page opened from file:// may load a script beside it
 * but may not fetch() a file. */

xporta_status hist_shard_close(struct hist *h)
{
    if (!h->shard_open)
        return XPORTA_OK;
    hout_puts(&h->shard, "]);\n");
    h->shard_open = false;
    return hout_close(&h->shard);
}

static void shard_row(struct page *pg, const struct rec *r, const char *sender,
                      size_t slen)
{
    struct hist *h = pg->h;
    if (!h->shard_open) {
        char path[4096];
        snprintf(path, sizeof path, "%s/search/s%u.js", h->tmp, h->nshards);
        if (hout_open(&h->shard, path, &h->r->err) != XPORTA_OK) {
            pg->o.st = h->shard.st; /* fails the page too */
            hout_abort(&h->shard);
            return;
        }
        hout_printf(&h->shard, "XH_shard(%u,[\n", h->nshards++);
        h->shard_open = true;
        h->shard_rows = 0;
    }
    struct hout *s = &h->shard;
    hout_printf(s, "%s[%u,%llu,\"%.10s %.5s\",", h->shard_rows ? ",\n" : "",
                pg->b->page0 + pg->part, (unsigned long long)pg->n, r->stamp,
                *r->stamp ? r->stamp + 11 : "");
    hout_js(s, sender, slen, 256);
    hout_write(s, ",", 1);
    hout_js(s, r->text, r->text_len, SEARCH_TEXT_MAX);
    hout_write(s, "]", 1);
    h->shard_rows++;
    if (s->st != XPORTA_OK)
        pg->o.st = s->st;
    else if (lseek(s->fd, 0, SEEK_CUR) + (off_t)s->b.len >= SHARD_BYTES)
        hist_shard_close(h);
}

xporta_status hist_month_page(struct hist *h, uint32_t i, const char *dir)
{
    struct page *pg = calloc(1, sizeof *pg);
    if (!pg)
        return xp_fail(&h->r->err, XPORTA_ENOMEM, "out of memory");
    pg->h = h;
    pg->i = i;
    pg->b = &h->bk[h->sorted[i]];
    pg->c = &h->con[pg->b->contact];
    pg->dir = dir;
    pg->parts = hist_parts(pg->b);
    pg->o.fd = -1;
    xporta_status st = XPORTA_OK;
    if (pg->parts > 1) { /* where each day begins, for the days' links */
        for (unsigned d = 0; d < 32; d++)
            pg->first[d] = UINT64_MAX;
        pg->counting = true;
        st = page_messages(pg, h->sorted[i]);
        pg->counting = false;
        pg->n = 0;
    }
    if (st == XPORTA_OK)
        st = part_open(pg);
    if (st == XPORTA_OK)
        st = page_messages(pg, h->sorted[i]);
    if (st == XPORTA_OK)
        st = part_close(pg);
    else if (pg->open)
        hout_abort(&pg->o);
    free(pg);
    return st;
}
