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
        if (c->count)
            h->conversations++;
    }
    for (uint32_t i = 0; i < h->nbk; i++)
        h->sorted[i] = i;
    qsort(h->sorted, h->nbk, sizeof *h->sorted, cmp_bucket);
    for (uint32_t i = 0; i < h->nbk; i++) {
        struct hist_contact *c = &h->con[h->bk[h->sorted[i]].contact];
        if (!c->nmonths++)
            c->first = i;
        h->bk[h->sorted[i]].page0 = (uint32_t)h->pages;
        h->pages += hist_parts(&h->bk[h->sorted[i]]);
    }
    h->csorted = ix;
    return XPORTA_OK;
}

/* ---- pages --------------------------------------------------------------- */

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
        hist_month_title(f, t, sizeof t);
        snprintf(buf, cap, "%s%s", t, l ? "" : " and undated");
    } else {
        char t1[32], t2[32];
        hist_month_title(f, t1, sizeof t1);
        hist_month_title(l, t2, sizeof t2);
        snprintf(buf, cap, "%s to %s", t1, t2);
    }
}

static xporta_status contact_page(struct hist *h, const struct hist_contact *c,
                                  const char *dir)
{
    char path[4096 + 64];
    snprintf(path, sizeof path, "%s/c%u.html", dir, c->order);
    struct hout o;
    xporta_status st = hout_open(&o, path, &h->r->err);
    if (st != XPORTA_OK)
        return st;
    const char *name = hist_name(c);
    hist_head(&o, "../", name);
    hist_crumbs(&o, h, c);
    hout_puts(&o, "<li><a href=\"");
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
        hist_month_file(h, b, 0, f, sizeof f);
        hist_month_title(b->month, t, sizeof t);
        hout_printf(&o, "<li><a href=\"%s\">%s</a> <span>%llu</span></li>\n", f,
                    t, (unsigned long long)b->count);
    }
    if (year != UINT32_MAX)
        hout_puts(&o, "</ul></section>\n");
    hist_foot(&o);
    return hout_close(&o);
}

static void contact_item(struct hout *o, const struct hist *h,
                         const struct hist_contact *c, const char *prefix)
{
    char range[80];
    contact_range(h, c, range, sizeof range);
    hout_printf(o, "<li><a href=\"%sc%u.html\">", prefix, c->order);
    hout_html(o, hist_name(c), strlen(hist_name(c)));
    hout_puts(o, "</a> <span>");
    if (c->name && *c->name) {
        hout_html(o, c->jid, strlen(c->jid));
        hout_puts(o, " &middot; ");
    }
    hout_printf(o, "%llu message%s &middot; %s (%u month%s)</span></li>\n",
                (unsigned long long)c->count, c->count == 1 ? "" : "s", range,
                c->nmonths, c->nmonths == 1 ? "" : "s");
}

static void account_heading(struct hout *o, const struct hist_account *a,
                            const char *tag)
{
    hout_printf(o, "<%s id=\"a%u\">", tag, a->order);
    hout_puts(o, a->rooms ? "Group chats on " : "");
    hout_html(o, a->jid, strlen(a->jid));
    hout_printf(o, "</%s>\n", tag);
}

/* One account's conversations on a page of its own (aN/index.html). */
static xporta_status account_page(struct hist *h, size_t from, size_t to)
{
    const struct hist_account *a = &h->acc[h->con[h->csorted[from]].account];
    char path[4096];
    snprintf(path, sizeof path, "%s/a%u/index.html", h->tmp, a->order);
    struct hout o;
    xporta_status st = hout_open(&o, path, &h->r->err);
    if (st != XPORTA_OK)
        return st;
    hist_head(&o, "../", a->jid);
    hout_puts(&o, "<header><nav aria-label=\"Breadcrumb\"><ol class=\"crumbs\">"
                  "<li><a href=\"../index.html\">All accounts</a></li><li><a "
                  "href=\"index.html\" aria-current=\"page\">");
    hout_html(&o, a->jid, strlen(a->jid));
    hout_puts(&o, "</a></li></ol></nav>\n<p class=\"tools\"><a href=\"../"
                  "search.html\">Search messages</a></p>\n</header>\n<main "
                  "id=\"main\">\n");
    account_heading(&o, a, "h1");
    hout_puts(&o, "<ul class=\"contacts\">\n");
    for (size_t i = from; i < to; i++)
        if (h->con[h->csorted[i]].order)
            contact_item(&o, h, &h->con[h->csorted[i]], "");
    hout_puts(&o, "</ul>\n");
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
    bool inline_all = h->conversations <= HIST_INDEX_INLINE_MAX;
    if (!inline_all)
        hout_puts(&o, "<ul class=\"contacts\">\n");
    /* contacts in index order: grouped by account, in the accounts' order */
    size_t i = 0;
    while (i < h->ncon && st == XPORTA_OK) {
        uint32_t acc = h->con[h->csorted[i]].account;
        size_t end = i;
        uint64_t convs = 0, msgs = 0;
        for (; end < h->ncon && h->con[h->csorted[end]].account == acc; end++)
            if (h->con[h->csorted[end]].order) {
                convs++;
                msgs += h->con[h->csorted[end]].count;
            }
        const struct hist_account *a = &h->acc[acc];
        if (!convs) {
            i = end;
            continue;
        }
        if (inline_all) {
            hout_printf(&o, "<section aria-labelledby=\"a%u\">", a->order);
            account_heading(&o, a, "h2");
            hout_puts(&o, "<ul class=\"contacts\">\n");
            char prefix[32];
            snprintf(prefix, sizeof prefix, "a%u/", a->order);
            for (size_t k = i; k < end; k++)
                if (h->con[h->csorted[k]].order)
                    contact_item(&o, h, &h->con[h->csorted[k]], prefix);
            hout_puts(&o, "</ul></section>\n");
        } else {
            hout_printf(&o, "<li><a href=\"a%u/index.html\">%s", a->order,
                        a->rooms ? "Group chats on " : "");
            hout_html(&o, a->jid, strlen(a->jid));
            hout_printf(&o,
                        "</a> <span>%llu conversation%s &middot; %llu "
                        "message%s</span></li>\n",
                        (unsigned long long)convs, convs == 1 ? "" : "s",
                        (unsigned long long)msgs, msgs == 1 ? "" : "s");
            st = account_page(h, i, end);
        }
        i = end;
    }
    if (!inline_all)
        hout_puts(&o, "</ul>\n");
    hist_foot(&o);
    xporta_status cst = hout_close(&o);
    return st != XPORTA_OK ? st : cst;
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
    bool first = true;
    for (uint32_t i = 0; i < h->nbk; i++) {
        const struct hist_bucket *b = &h->bk[h->sorted[i]];
        for (uint32_t part = 0; part < hist_parts(b); part++) {
            char f[64], title[1024], href[96];
            hist_month_file(h, b, part, f, sizeof f);
            snprintf(href, sizeof href, "a%u/%s",
                     h->acc[h->con[b->contact].account].order, f);
            hist_page_title(h, b, part, title, sizeof title);
            hout_puts(&o, first ? "[" : ",\n[");
            first = false;
            hout_js(&o, href, strlen(href), sizeof href);
            hout_write(&o, ",", 1);
            hout_js(&o, title, strlen(title), sizeof title);
            hout_write(&o, "]", 1);
        }
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
    if (st == XPORTA_OK && mkdir(sdir, 0700) != 0)
        st = xp_fail(&h->r->err, XPORTA_EIO, "%s: %s", sdir, strerror(errno));
    double t0 = xp_now();
    /* the phase begins (always told: the reading's last report may be
     * recent) */
    if (st == XPORTA_OK)
        xp_run_progress(h->r, "write", XPORTA_KIND_ARCHIVE, 0, h->messages, 0,
                        0, NULL, true);
    for (uint32_t i = 0; st == XPORTA_OK && i < h->nbk; i++) {
        if (h->r->cancel)
            return xp_fail(&h->r->err, XPORTA_ECANCELED, "interrupted");
        const struct hist_bucket *b = &h->bk[h->sorted[i]];
        const struct hist_contact *c = &h->con[b->contact];
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/a%u", h->tmp, h->acc[c->account].order);
        if (i == c->first) {
            if (mkdir(dir, 0700) != 0 && errno != EEXIST)
                st = xp_fail(&h->r->err, XPORTA_EIO, "%s: %s", dir,
                             strerror(errno));
            else
                st = contact_page(h, c, dir);
        }
        if (st == XPORTA_OK)
            st = hist_month_page(h, i, dir);
        double el = xp_now() - t0;
        xp_run_progress(
            h->r, "write", XPORTA_KIND_ARCHIVE, h->written, h->messages,
            h->messages ? (double)h->written / (double)h->messages : -1,
            el > 0 ? (double)h->written / el : 0, NULL, false);
    }
    if (st == XPORTA_OK)
        st = hist_shard_close(h);
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
