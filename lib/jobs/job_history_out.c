/* The readable history's output files: buffered writes, HTML and
 * JavaScript escaping, links in message bodies, the head of every page. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "job_history_p.h"

enum { HOUT_FLUSH = 64 * 1024 };

const char *hist_name(const struct hist_contact *c)
{
    return c->name && *c->name ? c->name : c->jid;
}

xporta_status hout_open(struct hout *o, const char *path, struct xp_err *err)
{
    memset(o, 0, sizeof *o);
    o->err = err;
    xp_buf_init(&o->b, 4 * HOUT_FLUSH);
    o->path = xp_strdup(path);
    if (!o->path) {
        o->fd = -1;
        return o->st = xp_fail(err, XPORTA_ENOMEM, "out of memory");
    }
    o->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (o->fd < 0)
        return o->st =
                   xp_fail(err, XPORTA_EIO, "%s: %s", path, strerror(errno));
    return XPORTA_OK;
}

static void hout_flush(struct hout *o)
{
    size_t off = 0;
    while (o->st == XPORTA_OK && off < o->b.len) {
        ssize_t w = write(o->fd, o->b.data + off, o->b.len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            o->st = xp_fail(o->err, XPORTA_EIO, "%s: %s", o->path,
                            w < 0 ? strerror(errno) : "short write");
        else
            off += (size_t)w;
    }
    xp_buf_reset(&o->b);
}

void hout_write(struct hout *o, const char *p, size_t n)
{
    if (o->st != XPORTA_OK || !n)
        return;
    if (o->b.len + n > HOUT_FLUSH)
        hout_flush(o);
    if (o->st != XPORTA_OK)
        return;
    if (n >= HOUT_FLUSH) { /* straight through */
        while (n && o->st == XPORTA_OK) {
            ssize_t w = write(o->fd, p, n);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                o->st = xp_fail(o->err, XPORTA_EIO, "%s: %s", o->path,
                                w < 0 ? strerror(errno) : "short write");
            else
                p += w, n -= (size_t)w;
        }
        return;
    }
    if (xp_buf_add(&o->b, p, n) != XPORTA_OK)
        o->st = xp_fail(o->err, XPORTA_ENOMEM, "out of memory");
}

void hout_puts(struct hout *o, const char *s)
{
    hout_write(o, s, strlen(s));
}

void hout_printf(struct hout *o, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    hout_write(o, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

void hout_html(struct hout *o, const char *s, size_t n)
{
    size_t from = 0;
    for (size_t i = 0; i < n; i++) {
        const char *rep = NULL;
        switch (s[i]) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        default:
            continue;
        }
        hout_write(o, s + from, i - from);
        hout_puts(o, rep);
        from = i + 1;
    }
    hout_write(o, s + from, n - from);
}

/* The length of an http(s) URL starting at s (0 if none). */
static size_t url_len(const char *s, size_t n)
{
    size_t p;
    if (n > 8 && strncasecmp(s, "https://", 8) == 0)
        p = 8;
    else if (n > 7 && strncasecmp(s, "http://", 7) == 0)
        p = 7;
    else
        return 0;
    size_t start = p;
    while (p < n && (unsigned char)s[p] > ' ' && !strchr("<>\"'`", s[p]))
        p++;
    /* trailing punctuation belongs to the sentence */
    while (p > start && strchr(".,;:!?)]}", s[p - 1]))
        p--;
    return p > start ? p : 0;
}

void hout_body(struct hout *o, const char *s, size_t n)
{
    size_t from = 0;
    for (size_t i = 0; i < n; i++) {
        if ((s[i] != 'h' && s[i] != 'H') ||
            (i > 0 && ((s[i - 1] >= 'a' && s[i - 1] <= 'z') ||
                       (s[i - 1] >= 'A' && s[i - 1] <= 'Z'))))
            continue;
        size_t u = url_len(s + i, n - i);
        if (!u)
            continue;
        hout_html(o, s + from, i - from);
        hout_puts(o, "<a href=\"");
        hout_html(o, s + i, u);
        hout_puts(o, "\" rel=\"noopener noreferrer nofollow\">");
        hout_html(o, s + i, u);
        hout_puts(o, "</a>");
        i += u - 1;
        from = i + 1;
    }
    hout_html(o, s + from, n - from);
}

void hout_js(struct hout *o, const char *s, size_t n, size_t max)
{
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--; /* not inside a UTF-8 sequence */
    }
    hout_write(o, "\"", 1);
    size_t from = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char rep[8];
        size_t skip = 1;
        if (c == '"' || c == '\\')
            snprintf(rep, sizeof rep, "\\%c", c);
        else if (c < 0x20 || c == '<' || c == '>' || c == 0x7f)
            snprintf(rep, sizeof rep, "\\u%04x", c);
        else if (c == 0xE2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
                 ((unsigned char)s[i + 2] == 0xA8 ||
                  (unsigned char)s[i + 2] == 0xA9)) {
            /* U+2028 and U+2029 end a line in older JavaScript */
            snprintf(rep, sizeof rep, "\\u%04x",
                     (unsigned char)s[i + 2] == 0xA8 ? 0x2028 : 0x2029);
            skip = 3;
        } else
            continue;
        hout_write(o, s + from, i - from);
        hout_puts(o, rep);
        i += skip - 1;
        from = i + 1;
    }
    hout_write(o, s + from, n - from);
    hout_write(o, "\"", 1);
}

xporta_status hout_close(struct hout *o)
{
    if (o->fd >= 0) {
        hout_flush(o);
        if (close(o->fd) != 0 && o->st == XPORTA_OK)
            o->st =
                xp_fail(o->err, XPORTA_EIO, "%s: %s", o->path, strerror(errno));
        o->fd = -1;
    }
    xp_buf_cleanup(&o->b);
    free(o->path);
    o->path = NULL;
    return o->st;
}

void hout_abort(struct hout *o)
{
    if (o->fd >= 0)
        close(o->fd);
    o->fd = -1;
    xp_buf_cleanup(&o->b);
    free(o->path);
    o->path = NULL;
}

/* Nothing is loaded but this directory's own style sheet and script; no
 * image, font, frame, connection or form goes anywhere else.  On a page
 * opened from disk 'self' is the files beside it in Chromium (measured);
 * file: says the same for browsers whose 'self' on a file: page (an opaque
 * origin in CSP 3) would match nothing.  Neither reaches the network. */
#define HIST_CSP                                                              \
    "default-src 'none'; script-src 'self' file:; style-src 'self' file:; "   \
    "img-src 'none'; font-src 'none'; connect-src 'none'; media-src 'none'; " \
    "object-src 'none'; frame-src 'none'; base-uri 'none'; form-action "      \
    "'self'"

void hist_head(struct hout *o, const char *root, const char *title)
{
    hout_puts(o, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta "
                 "charset=\"utf-8\">\n<meta http-equiv=\"Content-Security-"
                 "Policy\" content=\"" HIST_CSP "\">\n<meta name=\"referrer\" "
                 "content=\"no-referrer\">\n<meta name=\"viewport\" "
                 "content=\"width=device-width, initial-scale=1\">\n<title>");
    hout_html(o, title, strlen(title));
    hout_printf(o,
                "</title>\n<link rel=\"stylesheet\" href=\"%shistory.css\">\n"
                "<script src=\"%shistory.js\" defer></script>\n</head>\n"
                "<body>\n<a class=\"skip\" href=\"#main\">Skip to the "
                "messages</a>\n",
                root, root);
}

void hist_crumbs(struct hout *o, const struct hist *h,
                 const struct hist_contact *c)
{
    hout_puts(o,
              "<header><nav aria-label=\"Breadcrumb\"><ol class=\"crumbs\">");
    if (h->conversations <= HIST_INDEX_INLINE_MAX) {
        hout_puts(o, "<li><a href=\"../index.html\">All conversations</a>"
                     "</li>");
        return;
    }
    const char *jid = h->acc[c->account].jid;
    hout_puts(o, "<li><a href=\"../index.html\">All accounts</a></li><li><a "
                 "href=\"index.html\">");
    hout_html(o, jid, strlen(jid));
    hout_puts(o, "</a></li>");
}

void hist_foot(struct hout *o)
{
    hout_puts(o, "</main>\n<footer><p>Written by xporta history. Times are "
                 "UTC. Nothing on these pages is loaded from the network."
                 "</p></footer>\n</body></html>\n");
}
