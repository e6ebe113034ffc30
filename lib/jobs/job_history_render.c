/* The readable history's pages: one per contact and month, one per
 * contact, the index, the search page and its shards (job_history_p.h has
 * the design). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
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

/* "May 2024", or "Undated" */
static void month_title(uint32_t month, char *buf, size_t cap)
{
    if (!month)
        snprintf(buf, cap, "Undated");
    else
        snprintf(buf, cap, "%s %u", month_names[month % 12], month / 12);
}

/* "c3-2024-05" */
static void month_file(const struct hist *h, const struct hist_bucket *b,
                       char *buf, size_t cap)
{
    const struct hist_contact *c = &h->con[b->contact];
    if (!b->month)
        snprintf(buf, cap, "c%u-undated.html", c->order);
    else
        snprintf(buf, cap, "c%u-%04u-%02u.html", c->order, b->month / 12,
                 b->month % 12 + 1);
}

static int weekday(int y, int m, int d)
{
    static const int t[] = {0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4};
    if (m < 3)
        y -= 1;
    return (y + y / 4 - y / 100 + y / 400 + t[m - 1] + d) % 7;
}

/* ---- sorting ------------------------------------------------------------- */

static const struct hist *sort_h; /* qsort has no user pointer */

static int cmp_account(const void *a, const void *b)
{
    const struct hist_account *x = &sort_h->acc[*(const uint32_t *)a];
    const struct hist_account *y = &sort_h->acc[*(const uint32_t *)b];
    if (x->rooms != y->rooms)
        return x->rooms ? 1 : -1;
    int c = strcmp(x->jid, y->jid);
    return c ? c
             : (*(const uint32_t *)a > *(const uint32_t *)b) -
                   (*(const uint32_t *)a < *(const uint32_t *)b);
}

static int cmp_contact(const void *a, const void *b)
{
    const struct hist_contact *x = &sort_h->con[*(const uint32_t *)a];
    const struct hist_contact *y = &sort_h->con[*(const uint32_t *)b];
    if (x->account != y->account)
        return sort_h->acc[x->account].order < sort_h->acc[y->account].order
                   ? -1
                   : 1;
    int c = strcasecmp(hist_name(x), hist_name(y));
    return c ? c : strcmp(x->jid, y->jid);
}

static int cmp_bucket(const void *a, const void *b)
{
    const struct hist_bucket *x = &sort_h->bk[*(const uint32_t *)a];
    const struct hist_bucket *y = &sort_h->bk[*(const uint32_t *)b];
    const struct hist_contact *cx = &sort_h->con[x->contact];
    const struct hist_contact *cy = &sort_h->con[y->contact];
    uint32_t ax = sort_h->acc[cx->account].order;
    uint32_t ay = sort_h->acc[cy->account].order;
    if (ax != ay)
        return ax < ay ? -1 : 1;
    if (cx->order != cy->order)
        return cx->order < cy->order ? -1 : 1;
    /* undated last */
    uint32_t mx = x->month ? x->month : UINT32_MAX;
    uint32_t my = y->month ? y->month : UINT32_MAX;
    return (mx > my) - (mx < my);
}

static xporta_status sort_all(struct hist *h)
{
    size_t n = h->nacc > h->ncon ? h->nacc : h->ncon;
    uint32_t *ix = malloc((n ? n : 1) * sizeof *ix);
    h->sorted = malloc((h->nbk ? h->nbk : 1) * sizeof *h->sorted);
    if (!ix || !h->sorted) {
        free(ix);
        return xp_fail(&h->r->err, XPORTA_ENOMEM, "out of memory");
    }
    sort_h = h;
    for (uint32_t i = 0; i < h->nacc; i++)
        ix[i] = i;
    qsort(ix, h->nacc, sizeof *ix, cmp_account);
    for (uint32_t i = 0; i < h->nacc; i++)
        h->acc[ix[i]].order = i + 1;
    for (uint32_t i = 0; i < h->ncon; i++)
        ix[i] = i;
    qsort(ix, h->ncon, sizeof *ix, cmp_contact);
    uint32_t prev = UINT32_MAX, k = 0;
    for (uint32_t i = 0; i < h->ncon; i++) {
        struct hist_contact *c = &h->con[ix[i]];
        if (c->account != prev)
            k = 0, prev = c->account;
        c->order = c->count ? ++k : 0;
    }
    for (uint32_t i = 0; i < h->nbk; i++)
        h->sorted[i] = i;
    qsort(h->sorted, h->nbk, sizeof *h->sorted, cmp_bucket);
    for (uint32_t i = 0; i < h->nbk; i++) {
        struct hist_contact *c = &h->con[h->bk[h->sorted[i]].contact];
        if (!c->nmonths++)
            c->first = i;
    }
    h->csorted = ix;
    return XPORTA_OK;
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

struct page {
    struct hist *h;
    struct hout *o;
    const struct hist_contact *c;
    uint32_t pageno;
    uint64_t n; /* messages on the page */
    char day[11];
};

static void shard_row(struct page *pg, const struct rec *r, const char *sender,
                      size_t slen);

static void page_message(struct page *pg, const struct rec *r)
{
    struct hout *o = pg->o;
    const char *sender;
    size_t slen;
    if (r->dir == 'o')
        sender = "Me", slen = 2;
    else if (r->dir == 'g' && r->sender_len)
        sender = r->sender, slen = r->sender_len;
    else
        sender = hist_name(pg->c), slen = strlen(sender);
    if (strncmp(pg->day, r->stamp, 10) != 0 || (!*r->stamp && !pg->n)) {
        if (pg->n)
            hout_puts(o, "</ol></section>\n");
        if (*r->stamp) {
            int y = atoi(r->stamp), m = atoi(r->stamp + 5),
                d = atoi(r->stamp + 8);
            hout_printf(o,
                        "<section aria-labelledby=\"d%.10s\"><h2 "
                        "id=\"d%.10s\">%s %d %s %d</h2>\n<ol>\n",
                        r->stamp, r->stamp, day_names[weekday(y, m, d)], d,
                        month_names[(m - 1) % 12], y);
        } else
            hout_puts(o, "<section aria-labelledby=\"dundated\"><h2 "
                         "id=\"dundated\">Without a date</h2>\n<ol>\n");
        snprintf(pg->day, sizeof pg->day, "%.10s", r->stamp);
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
    return st != XPORTA_OK ? st : pg->o->st;
}

/* ---- search shards -------------------------------------------------------
 * search/sN.js: XH_shard(N, [[page, message, "stamp", "sender", "text"],
 * ...]); search/meta.js: XH_meta({shards: N, pages: [[href, title], ...]}).
 * Scripts, not JSON: a page opened from file:// may load a script beside it
 * but may not fetch() a file. */

static xporta_status shard_close(struct hist *h)
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
            pg->o->st = h->shard.st; /* fails the page too */
            hout_abort(&h->shard);
            return;
        }
        hout_printf(&h->shard, "XH_shard(%u,[\n", h->nshards++);
        h->shard_open = true;
        h->shard_rows = 0;
    }
    struct hout *s = &h->shard;
    hout_printf(s, "%s[%u,%llu,\"%.10s %.5s\",", h->shard_rows ? ",\n" : "",
                pg->pageno, (unsigned long long)pg->n, r->stamp,
                *r->stamp ? r->stamp + 11 : "");
    hout_js(s, sender, slen, 256);
    hout_write(s, ",", 1);
    hout_js(s, r->text, r->text_len, SEARCH_TEXT_MAX);
    hout_write(s, "]", 1);
    h->shard_rows++;
    if (s->st != XPORTA_OK)
        pg->o->st = s->st;
    else if (lseek(s->fd, 0, SEEK_CUR) + (off_t)s->b.len >= SHARD_BYTES)
        shard_close(h);
}

/* ---- pages --------------------------------------------------------------- */

static void page_title(const struct hist *h, const struct hist_bucket *b,
                       char *buf, size_t cap)
{
    char m[32];
    month_title(b->month, m, sizeof m);
    snprintf(buf, cap, "%s, %s", hist_name(&h->con[b->contact]), m);
}

/* The month page of sorted[i]. */
static xporta_status month_page(struct hist *h, uint32_t i, const char *dir)
{
    struct hist_bucket *b = &h->bk[h->sorted[i]];
    const struct hist_contact *c = &h->con[b->contact];
    const struct hist_account *a = &h->acc[c->account];
    char file[64], path[4096], title[1024], m[32];
    month_file(h, b, file, sizeof file);
    snprintf(path, sizeof path, "%s/%s", dir, file);
    page_title(h, b, title, sizeof title);
    month_title(b->month, m, sizeof m);
    struct hout o;
    xporta_status st = hout_open(&o, path, &h->r->err);
    if (st != XPORTA_OK)
        return st;
    hist_head(&o, "../", title);
    hout_puts(&o, "<header><nav aria-label=\"Breadcrumb\"><ol class=\"crumbs\">"
                  "<li><a href=\"../index.html\">All conversations</a></li>"
                  "<li><a href=\"");
    hout_printf(&o, "c%u.html\">", c->order);
    hout_html(&o, hist_name(c), strlen(hist_name(c)));
    hout_printf(&o,
                "</a></li><li><a href=\"%s\" aria-current=\"page\">%s"
                "</a></li></ol></nav>\n",
                file, m);
    hout_puts(&o, "<p class=\"tools\"><a href=\"../search.html\">Search "
                  "messages</a></p>\n</header>\n<main id=\"main\">\n<h1>");
    hout_html(&o, title, strlen(title));
    hout_puts(&o, "</h1>\n<p class=\"sub\">");
    hout_html(&o, c->jid, strlen(c->jid));
    hout_printf(&o, " &middot; %llu message%s &middot; ",
                (unsigned long long)b->count, b->count == 1 ? "" : "s");
    hout_html(&o, a->jid, strlen(a->jid));
    hout_puts(&o, "</p>\n");
    /* the month's neighbours and days */
    hout_puts(&o, "<nav aria-label=\"Months\" class=\"pager\">");
    if (i > c->first) {
        char f[64], t[32];
        month_file(h, &h->bk[h->sorted[i - 1]], f, sizeof f);
        month_title(h->bk[h->sorted[i - 1]].month, t, sizeof t);
        hout_printf(&o, "<a href=\"%s\" rel=\"prev\">&larr; %s</a> ", f, t);
    }
    if (i + 1 < c->first + c->nmonths) {
        char f[64], t[32];
        month_file(h, &h->bk[h->sorted[i + 1]], f, sizeof f);
        month_title(h->bk[h->sorted[i + 1]].month, t, sizeof t);
        hout_printf(&o, "<a href=\"%s\" rel=\"next\">%s &rarr;</a>", f, t);
    }
    hout_puts(&o, "</nav>\n");
    if (b->days) {
        hout_puts(&o, "<nav aria-label=\"Days\" class=\"days\"><ul>");
        for (unsigned d = 1; d <= 31; d++)
            if (b->days & (1u << d))
                hout_printf(&o,
                            "<li><a href=\"#d%04u-%02u-%02u\" aria-label=\"%u "
                            "%s\">%u</a></li>",
                            b->month / 12, b->month % 12 + 1, d, d,
                            month_names[b->month % 12], d);
        hout_puts(&o, "</ul></nav>\n");
    }
    struct page pg = {.h = h, .o = &o, .c = c, .pageno = i};
    st = page_messages(&pg, h->sorted[i]);
    if (st != XPORTA_OK) {
        hout_abort(&o);
        return st;
    }
    if (pg.n)
        hout_puts(&o, "</ol></section>\n");
    hist_foot(&o);
    return hout_close(&o);
}

/* "2024-01 to 2024-12" for a contact. */
static void contact_range(const struct hist *h, const struct hist_contact *c,
                          char *buf, size_t cap)
{
    uint32_t f = h->bk[h->sorted[c->first]].month;
    uint32_t l = h->bk[h->sorted[c->first + c->nmonths - 1]].month;
    if (!f)
        snprintf(buf, cap, "undated");
    else if (!l || l == f) {
        char t[32];
        month_title(f, t, sizeof t);
        snprintf(buf, cap, "%s%s", t, l ? "" : " and undated");
    } else {
        char t1[32], t2[32];
        month_title(f, t1, sizeof t1);
        month_title(l, t2, sizeof t2);
        snprintf(buf, cap, "%s to %s", t1, t2);
    }
}

static xporta_status contact_page(struct hist *h, const struct hist_contact *c,
                                  const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/c%u.html", dir, c->order);
    struct hout o;
    xporta_status st = hout_open(&o, path, &h->r->err);
    if (st != XPORTA_OK)
        return st;
    const char *name = hist_name(c);
    hist_head(&o, "../", name);
    hout_puts(&o, "<header><nav aria-label=\"Breadcrumb\"><ol class=\"crumbs\">"
                  "<li><a href=\"../index.html\">All conversations</a></li>"
                  "<li><a href=\"");
    hout_printf(&o, "c%u.html\" aria-current=\"page\">", c->order);
    hout_html(&o, name, strlen(name));
    hout_puts(&o, "</a></li></ol></nav>\n<p class=\"tools\"><a href=\"../"
                  "search.html\">Search messages</a></p>\n</header>\n"
                  "<main id=\"main\">\n<h1>");
    hout_html(&o, name, strlen(name));
    hout_puts(&o, "</h1>\n<p class=\"sub\">");
    hout_html(&o, c->jid, strlen(c->jid));
    hout_printf(&o, " &middot; %llu message%s</p>\n",
                (unsigned long long)c->count, c->count == 1 ? "" : "s");
    uint32_t year = UINT32_MAX;
    for (uint32_t i = c->first; i < c->first + c->nmonths; i++) {
        const struct hist_bucket *b = &h->bk[h->sorted[i]];
        uint32_t y = b->month ? b->month / 12 : 0;
        if (y != year) {
            if (year != UINT32_MAX)
                hout_puts(&o, "</ul></section>\n");
            if (y)
                hout_printf(&o,
                            "<section aria-labelledby=\"y%u\"><h2 id=\"y%u\">"
                            "%u</h2><ul class=\"months\">\n",
                            y, y, y);
            else
                hout_puts(&o, "<section aria-labelledby=\"y0\"><h2 id=\"y0\">"
                              "Without a date</h2><ul class=\"months\">\n");
            year = y;
        }
        char f[64], t[32];
        month_file(h, b, f, sizeof f);
        month_title(b->month, t, sizeof t);
        hout_printf(&o, "<li><a href=\"%s\">%s</a> <span>%llu</span></li>\n", f,
                    t, (unsigned long long)b->count);
    }
    if (year != UINT32_MAX)
        hout_puts(&o, "</ul></section>\n");
    hist_foot(&o);
    return hout_close(&o);
}

static xporta_status index_page(struct hist *h)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/index.html", h->tmp);
    struct hout o;
    xporta_status st = hout_open(&o, path, &h->r->err);
    if (st != XPORTA_OK)
        return st;
    hist_head(&o, "", "Message history");
    char when[32] = "";
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm))
        strftime(when, sizeof when, "%Y-%m-%d", &tm);
    hout_puts(&o, "<header><p class=\"tools\"><a href=\"search.html\">Search "
                  "messages</a></p></header>\n<main id=\"main\">\n<h1>Message "
                  "history</h1>\n<p class=\"sub\">");
    hout_printf(&o, "%llu messages from ", (unsigned long long)h->messages);
    hout_html(&o, h->source, strlen(h->source));
    hout_printf(&o, ", written %s.</p>\n", when);
    if (!h->messages)
        hout_puts(&o, "<p>The file holds no messages.</p>\n");
    /* contacts in index order: grouped by account, in the accounts' order */
    uint32_t acc = UINT32_MAX;
    for (size_t i = 0; i < h->ncon; i++) {
        const struct hist_contact *c = &h->con[h->csorted[i]];
        if (!c->order)
            continue;
        const struct hist_account *a = &h->acc[c->account];
        if (c->account != acc) {
            if (acc != UINT32_MAX)
                hout_puts(&o, "</ul></section>\n");
            acc = c->account;
            hout_printf(&o, "<section aria-labelledby=\"a%u\"><h2 id=\"a%u\">",
                        a->order, a->order);
            hout_puts(&o, a->rooms ? "Group chats on " : "");
            hout_html(&o, a->jid, strlen(a->jid));
            hout_puts(&o, "</h2>\n<ul class=\"contacts\">\n");
        }
        char range[80];
        contact_range(h, c, range, sizeof range);
        hout_printf(&o, "<li><a href=\"a%u/c%u.html\">", a->order, c->order);
        hout_html(&o, hist_name(c), strlen(hist_name(c)));
        hout_puts(&o, "</a> <span>");
        if (c->name && *c->name) {
            hout_html(&o, c->jid, strlen(c->jid));
            hout_puts(&o, " &middot; ");
        }
        hout_printf(&o, "%llu message%s &middot; %s (%u month%s)</span></li>\n",
                    (unsigned long long)c->count, c->count == 1 ? "" : "s",
                    range, c->nmonths, c->nmonths == 1 ? "" : "s");
    }
    if (acc != UINT32_MAX)
        hout_puts(&o, "</ul></section>\n");
    hist_foot(&o);
    return hout_close(&o);
}

static xporta_status search_files(struct hist *h)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/search.html", h->tmp);
    struct hout o;
    xporta_status st = hout_open(&o, path, &h->r->err);
    if (st != XPORTA_OK)
        return st;
    hist_head(&o, "", "Search messages");
    hout_puts(&o,
              "<header><nav aria-label=\"Breadcrumb\"><ol class=\"crumbs\">"
              "<li><a href=\"index.html\">All conversations</a></li><li><a "
              "href=\"search.html\" aria-current=\"page\">Search</a></li>"
              "</ol></nav></header>\n<main id=\"main\">\n<h1>Search "
              "messages</h1>\n<form id=\"search\" role=\"search\" "
              "action=\"search.html\"><label for=\"q\">Words to find</label> "
              "<input id=\"q\" name=\"q\" type=\"search\" required "
              "autocomplete=\"off\"> <button type=\"submit\">Search</button>"
              "</form>\n<p id=\"status\" role=\"status\" "
              "aria-live=\"polite\"><noscript>Searching needs JavaScript; "
              "the pages can be read without it.</noscript></p>\n<ol "
              "id=\"results\" aria-label=\"Results\"></ol>\n");
    hist_foot(&o);
    if ((st = hout_close(&o)) != XPORTA_OK)
        return st;
    snprintf(path, sizeof path, "%s/search/meta.js", h->tmp);
    if ((st = hout_open(&o, path, &h->r->err)) != XPORTA_OK)
        return st;
    hout_printf(&o, "XH_meta({\"shards\":%u,\"pages\":[\n", h->nshards);
    for (uint32_t i = 0; i < h->nbk; i++) {
        const struct hist_bucket *b = &h->bk[h->sorted[i]];
        char f[64], title[1024], href[96];
        month_file(h, b, f, sizeof f);
        snprintf(href, sizeof href, "a%u/%s",
                 h->acc[h->con[b->contact].account].order, f);
        page_title(h, b, title, sizeof title);
        hout_puts(&o, i ? ",\n[" : "[");
        hout_js(&o, href, strlen(href), sizeof href);
        hout_write(&o, ",", 1);
        hout_js(&o, title, strlen(title), sizeof title);
        hout_write(&o, "]", 1);
    }
    hout_puts(&o, "]});\n");
    return hout_close(&o);
}

static xporta_status asset(struct hist *h, const char *name, const char *text)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", h->tmp, name);
    struct hout o;
    xporta_status st = hout_open(&o, path, &h->r->err);
    if (st != XPORTA_OK)
        return st;
    hout_puts(&o, text);
    return hout_close(&o);
}

xporta_status hist_render(struct hist *h)
{
    xporta_status st = sort_all(h);
    char sdir[4096];
    snprintf(sdir, sizeof sdir, "%s/search", h->tmp);
    if (st == XPORTA_OK && mkdir(sdir, 0755) != 0)
        st = xp_fail(&h->r->err, XPORTA_EIO, "%s: %s", sdir, strerror(errno));
    double t0 = xp_now();
    for (uint32_t i = 0; st == XPORTA_OK && i < h->nbk; i++) {
        if (h->r->cancel)
            return xp_fail(&h->r->err, XPORTA_ECANCELED, "interrupted");
        const struct hist_bucket *b = &h->bk[h->sorted[i]];
        const struct hist_contact *c = &h->con[b->contact];
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/a%u", h->tmp, h->acc[c->account].order);
        if (i == c->first) {
            if (mkdir(dir, 0755) != 0 && errno != EEXIST)
                st = xp_fail(&h->r->err, XPORTA_EIO, "%s: %s", dir,
                             strerror(errno));
            else
                st = contact_page(h, c, dir);
            h->conversations++;
        }
        if (st == XPORTA_OK)
            st = month_page(h, i, dir);
        h->pages++;
        double el = xp_now() - t0;
        xp_run_progress(
            h->r, "write", XPORTA_KIND_ARCHIVE, h->written, h->messages,
            h->messages ? (double)h->written / (double)h->messages : -1,
            el > 0 ? (double)h->written / el : 0, NULL, false);
    }
    if (st == XPORTA_OK)
        st = shard_close(h);
    else if (h->shard_open)
        hout_abort(&h->shard);
    if (st == XPORTA_OK)
        st = index_page(h);
    if (st == XPORTA_OK)
        st = search_files(h);
    if (st == XPORTA_OK)
        st = asset(h, "history.css", hist_css);
    if (st == XPORTA_OK)
        st = asset(h, "history.js", hist_js);
    return st;
}
