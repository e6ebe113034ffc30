/*
 * Where to split a file between two readers (see pie_pass.c): a <user>
 * start tag near the middle, the <host> start tag above it and the root's,
 * found by searching bytes.  Only a guess: the first reader's parser proves
 * it when it gets there.  And how places in the second half map to the
 * file's.
 */
#include <errno.h>
#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pie_p.h"

enum {
    PROBE_MAX = 1 << 20,      /* the root and first host tags are here */
    WINDOW = 1 << 20,         /* bytes searched at a time */
    FORWARD_MAX = 16 << 20,   /* how far past the middle to seek <user */
    HOST_BACK_MAX = 64 << 20, /* how far back from there to seek <host */
    TAG_MAX = 64 << 10,       /* longest <host> start tag copied */
};

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

bool pie_plan_split(int fd, uint64_t size, uint64_t from, struct pie_plan *pl)
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

/* ---- places across the split ----------------------------------------------
 */

void pie_split_remap(unsigned long first_line, unsigned long first_col,
                     unsigned long at_line, unsigned long at_col,
                     unsigned long *line, unsigned long *col)
{
    if (*line < first_line)
        return; /* not after the split: cannot happen, left as it is */
    if (*line == first_line)
        *col = at_col + (*col >= first_col ? *col - first_col : 0);
    *line = at_line + (*line - first_line);
}

bool pie_error_place(const char *m, size_t *file_len, unsigned long *line,
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

void pie_split_fatal(xporta_check_result *res)
{
    const char *m = res->fatal_msg, *text;
    size_t flen;
    if (pie_error_place(m, &flen, &res->fatal_line, &res->fatal_col, &text)) {
        snprintf(res->fatal_file, sizeof res->fatal_file, "%.*s", (int)flen, m);
        snprintf(res->fatal_text, sizeof res->fatal_text, "%s", text);
    } else {
        res->fatal_line = res->fatal_col = 0;
        snprintf(res->fatal_text, sizeof res->fatal_text, "%s", m);
    }
}
