/*
 * xporta_history_new: a XEP-0227 file's messages (each user's archive and
 * offline messages, and the rooms' archives of XEP-0519 components) as a
 * static HTML archive readable offline (job_history_p.h has the design).
 * This file reads the file into spool files; job_history_render.c writes
 * the pages.
 */
#define _GNU_SOURCE /* syncfs */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "job_history_p.h"
#include "jobs_p.h"

/* ---- stamps --------------------------------------------------------------
 */

static long long days_from_civil(long long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

static void civil_from_days(long long z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long yy = (long long)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yy + (*m <= 2));
}

static bool digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* A XEP-0082 date-time into "YYYY-MM-DDTHH:MM:SSZ" (UTC) and its month
 * number; false when it is not one. */
static bool stamp_utc(const char *s, char out[24], uint32_t *month)
{
    int y, mo, d, h, mi, se, oh = 0, om = 0;
    if (!s || strlen(s) < 19 || !digits(s, 4, &y) || s[4] != '-' ||
        !digits(s + 5, 2, &mo) || s[7] != '-' || !digits(s + 8, 2, &d) ||
        s[10] != 'T' || !digits(s + 11, 2, &h) || s[13] != ':' ||
        !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &se))
        return false;
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
        se > 60)
        return false;
    const char *t = s + 19;
    if (*t == '.')
        for (t++; *t >= '0' && *t <= '9'; t++)
            ;
    int sign = 0;
    if (*t == '+' || *t == '-') {
        sign = *t == '+' ? 1 : -1;
        if (!digits(t + 1, 2, &oh) || t[3] != ':' || !digits(t + 4, 2, &om))
            return false;
    } else if (*t != 'Z' && *t != '\0')
        return false;
    long long secs = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
                     h * 3600 + mi * 60 + se - sign * (oh * 3600 + om * 60);
    long long days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    long long rem = secs - days * 86400;
    int yy;
    unsigned mm, dd;
    civil_from_days(days, &yy, &mm, &dd);
    if (yy < 1 || yy > 9999)
        return false;
    snprintf(out, 24, "%04u-%02u-%02uT%02u:%02u:%02uZ", (unsigned)yy % 10000u,
             mm % 100u, dd % 100u, (unsigned)(rem / 3600) % 100u,
             (unsigned)(rem / 60 % 60) % 100u, (unsigned)(rem % 60) % 100u);
    *month = (uint32_t)yy * 12 + mm - 1;
    return true;
}

/* ---- the table of conversations ----------------------------------------- */

static void *grow(void *p, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return p;
    size_t c = *cap ? *cap * 2 : 64;
    void *q = realloc(p, c * size);
    if (q)
        *cap = c;
    return q;
}

static xporta_status oom(struct hist *h)
{
    return xp_fail(&h->r->err, XPORTA_ENOMEM, "out of memory");
}

static xporta_status add_account(struct hist *h, const char *jid, bool rooms)
{
    struct hist_account *a = grow(h->acc, &h->capacc, h->nacc, sizeof *a);
    if (!a)
        return oom(h);
    h->acc = a;
    a += h->nacc;
    memset(a, 0, sizeof *a);
    a->jid = xp_strdup(jid);
    a->rooms = rooms;
    if (!a->jid)
        return oom(h);
    h->nacc++;
    return XPORTA_OK;
}

/* The contact `jid` (bare, as given) of the current account; NULL when out
 * of memory. */
static struct hist_contact *contact(struct hist *h, const char *jid, size_t len)
{
    uint32_t acc = (uint32_t)(h->nacc - 1);
    char key[16];
    snprintf(key, sizeof key, "%u", acc);
    char *j = xp_strndup(jid, len);
    if (!j)
        return NULL;
    for (char *p = j; *p && p < j + len; p++) /* domains and localparts are */
        if (*p >= 'A' && *p <= 'Z')           /* case-folded by servers */
            *p = (char)(*p - 'A' + 'a');
    uint64_t hash = xp_key_hash(key, j), v;
    while (xp_map_get(&h->con_map, hash, &v)) {
        struct hist_contact *c = &h->con[v - 1];
        if (c->account == acc && strcmp(c->jid, j) == 0) {
            free(j);
            return c;
        }
        hash++; /* a collision: probe on */
    }
    struct hist_contact *c = grow(h->con, &h->capcon, h->ncon, sizeof *c);
    if (!c) {
        free(j);
        return NULL;
    }
    h->con = c;
    c += h->ncon;
    memset(c, 0, sizeof *c);
    c->account = acc;
    c->jid = j;
    if (xp_map_put(&h->con_map, hash, h->ncon + 1) < 0) {
        free(j);
        return NULL;
    }
    h->ncon++;
    return c;
}

static xporta_status spool_path(struct hist *h, size_t b, char *buf, size_t cap)
{
    if ((size_t)snprintf(buf, cap, "%s/%zu", h->spool, b) >= cap)
        return xp_fail(&h->r->err, XPORTA_EINVAL, "path too long");
    return XPORTA_OK;
}

/* Closes the least recently used spool file. */
static void close_lru(struct hist *h)
{
    unsigned best = 0;
    for (unsigned i = 1; i < h->open_fds; i++)
        if (h->bk[h->open[i]].used < h->bk[h->open[best]].used)
            best = i;
    struct hist_bucket *k = &h->bk[h->open[best]];
    close(k->fd);
    k->fd = -1;
    h->open[best] = h->open[--h->open_fds];
}

static void close_spools(struct hist *h)
{
    for (unsigned i = 0; i < h->open_fds; i++) {
        close(h->bk[h->open[i]].fd);
        h->bk[h->open[i]].fd = -1;
    }
    h->open_fds = 0;
}

static xporta_status bucket(struct hist *h, struct hist_contact *c,
                            uint32_t month, struct hist_bucket **out)
{
    uint64_t key = ((uint64_t)(c - h->con) << 20) | month, v;
    size_t b;
    if (xp_map_get(&h->bk_map, key, &v))
        b = v - 1;
    else {
        struct hist_bucket *n = grow(h->bk, &h->capbk, h->nbk, sizeof *n);
        if (!n)
            return oom(h);
        h->bk = n;
        b = h->nbk;
        memset(&n[b], 0, sizeof n[b]);
        n[b].contact = (uint32_t)(c - h->con);
        n[b].month = month;
        n[b].fd = -1;
        if (xp_map_put(&h->bk_map, key, b + 1) < 0)
            return oom(h);
        h->nbk++;
    }
    struct hist_bucket *k = &h->bk[b];
    if (k->fd < 0) {
        if (h->open_fds >= sizeof h->open / sizeof h->open[0])
            close_lru(h);
        char path[4096];
        xporta_status st = spool_path(h, b, path, sizeof path);
        if (st != XPORTA_OK)
            return st;
        k->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (k->fd < 0)
            return xp_fail(&h->r->err, XPORTA_EIO, "%s: %s", path,
                           strerror(errno));
        h->open[h->open_fds++] = (uint32_t)b;
    }
    k->used = ++h->clock;
    *out = k;
    return XPORTA_OK;
}

/* ---- messages ------------------------------------------------------------
 */

/* The bare part of a JID (its length). */
static size_t bare_len(const char *jid)
{
    const char *slash = strchr(jid, '/');
    return slash ? (size_t)(slash - jid) : strlen(jid);
}

static bool same_bare(const char *jid, const char *bare)
{
    size_t n = bare_len(jid);
    return n == strlen(bare) && strncasecmp(jid, bare, n) == 0;
}

/* One message: its stamp from `delay` (the archive's <forwarded> or the
 * offline message's own). `room` is the room's JID for a room's archive. */
static xporta_status add_message(struct hist *h, const xporta_elem *msg,
                                 const xporta_elem *delay, const char *room)
{
    const xporta_elem *body = xporta_elem_child(msg, "jabber:client", "body");
    if (!body)
        body = xporta_elem_child(msg, NULL, "body");
    if (!body) { /* receipts, chat states, markers: nothing to read */
        h->skipped++;
        return XPORTA_OK;
    }
    if (!delay)
        delay = xporta_elem_child(msg, "urn:xmpp:delay", "delay");
    char stamp[24] = "";
    uint32_t month = 0;
    if (!delay || !stamp_utc(xporta_elem_attr(delay, "stamp"), stamp, &month))
        stamp[0] = '\0', month = 0;
    const char *from = xporta_elem_attr(msg, "from");
    const char *to = xporta_elem_attr(msg, "to");
    const char *type = xporta_elem_attr(msg, "type");
    const char *me = h->acc[h->nacc - 1].jid;
    const char *peer, *sender = "";
    char dir;
    if (room) {
        peer = room, dir = 'g';
        if (from && strchr(from, '/'))
            sender = strchr(from, '/') + 1;
    } else if (from && same_bare(from, me)) {
        peer = to ? to : "", dir = 'o';
    } else {
        peer = from ? from : (to ? to : ""), dir = 'i';
        if (xp_streq(type, "groupchat") && from && strchr(from, '/'))
            sender = strchr(from, '/') + 1, dir = 'g';
    }
    size_t plen = bare_len(peer);
    if (!plen)
        peer = "unknown", plen = 7;
    struct hist_contact *c = contact(h, peer, plen);
    if (!c)
        return oom(h);
    struct hist_bucket *k;
    xporta_status st = bucket(h, c, month, &k);
    if (st != XPORTA_OK)
        return st;
    const char *text = xporta_elem_text(body);
    struct xp_buf line;
    xp_buf_init(&line, SIZE_MAX / 2);
    xp_buf_adds(&line, stamp);
    xp_buf_addc(&line, '\x1f');
    xp_buf_addc(&line, dir);
    xp_buf_addc(&line, '\x1f');
    xp_buf_adds(&line, sender);
    xp_buf_addc(&line, '\x1f');
    xp_buf_adds(&line, text);
    st = xp_buf_addc(&line, '\x1e');
    if (st != XPORTA_OK) {
        xp_buf_cleanup(&line);
        return oom(h);
    }
    /* \x1e and \x1f cannot occur in XML text: they separate safely. */
    size_t off = 0;
    while (off < line.len) {
        ssize_t w = write(k->fd, line.data + off, line.len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            xp_buf_cleanup(&line);
            return xp_fail(&h->r->err, XPORTA_EIO, "%s: spool: %s", h->spool,
                           w < 0 ? strerror(errno) : "short write");
        }
        off += (size_t)w;
    }
    k->bytes += line.len;
    xp_buf_cleanup(&line);
    if (strcmp(stamp, k->last) < 0)
        k->unsorted = true;
    else
        memcpy(k->last, stamp, sizeof k->last);
    if (month)
        k->days |= 1u << ((stamp[8] - '0') * 10 + (stamp[9] - '0'));
    k->count++;
    c->count++;
    h->messages++;
    return XPORTA_OK;
}

static xporta_status add_record(struct hist *h, xporta_record *rec,
                                const char *room)
{
    const xporta_elem *e = rec->payload;
    switch (rec->kind) {
    case XPORTA_KIND_ARCHIVE: {
        const xporta_elem *fw =
            xporta_elem_child(e, "urn:xmpp:forward:0", "forwarded");
        const xporta_elem *msg =
            fw ? xporta_elem_child(fw, "jabber:client", "message") : NULL;
        if (!msg) {
            h->skipped++;
            return XPORTA_OK;
        }
        return add_message(
            h, msg, xporta_elem_child(fw, "urn:xmpp:delay", "delay"), room);
    }
    case XPORTA_KIND_OFFLINE:
        if (!xp_streq(xporta_elem_name(e), "message") || room)
            return XPORTA_OK;
        return add_message(h, e, NULL, NULL);
    case XPORTA_KIND_ROSTER: {
        const char *name = xporta_elem_attr(e, "name");
        if (room || !name || !*name || !rec->key)
            return XPORTA_OK;
        struct hist_contact *c = contact(h, rec->key, strlen(rec->key));
        if (!c)
            return oom(h);
        if (!c->name && !(c->name = xp_strdup(name)))
            return oom(h);
        return XPORTA_OK;
    }
    default:
        return XPORTA_OK;
    }
}

/* Reads the whole file into the spool. */
static xporta_status hist_read(struct hist *h, xporta_pie_reader *rd,
                               uint64_t size)
{
    xporta_pie_event ev;
    xporta_status st;
    const char *component = NULL;
    char *room = NULL;
    double t0 = xp_now();
    while ((st = xporta_pie_reader_next(rd, &ev)) == XPORTA_OK &&
           ev != XPORTA_PIE_END) {
        if (h->r->cancel) {
            st = xp_fail(&h->r->err, XPORTA_ECANCELED, "interrupted");
            break;
        }
        switch (ev) {
        case XPORTA_PIE_USER: {
            char *jid = xp_strdup(xporta_pie_reader_user(rd));
            char *full = jid ? xp_strcat(jid, "@") : NULL;
            char *both =
                full ? xp_strcat(full, xporta_pie_reader_host(rd)) : NULL;
            st = both ? add_account(h, both, false) : oom(h);
            free(jid);
            free(full);
            free(both);
            break;
        }
        case XPORTA_PIE_COMPONENT:
            component = xporta_pie_reader_component(rd);
            st = add_account(h, component ? component : "rooms", true);
            break;
        case XPORTA_PIE_ROOM: {
            free(room);
            char *local = xp_strcat(xporta_pie_reader_room(rd), "@");
            room = local ? xp_strcat(local, h->acc[h->nacc - 1].jid) : NULL;
            free(local);
            if (!room)
                st = oom(h);
            break;
        }
        case XPORTA_PIE_RECORD:
            if (h->nacc && !h->acc[h->nacc - 1].rooms)
                st = add_record(h, xporta_pie_reader_record(rd), NULL);
            break;
        case XPORTA_PIE_ROOM_RECORD:
            if (room && h->nacc && h->acc[h->nacc - 1].rooms)
                st = add_record(h, xporta_pie_reader_record(rd), room);
            break;
        default:
            break;
        }
        if (st != XPORTA_OK)
            break;
        uint64_t off = xporta_pie_reader_offset(rd);
        double el = xp_now() - t0;
        xp_run_progress(h->r, "read", XPORTA_KIND_ARCHIVE, h->messages, 0,
                        size ? (double)off / (double)size : -1,
                        el > 0 ? (double)h->messages / el : 0, NULL, false);
    }
    free(room);
    if (st != XPORTA_OK && h->r->err.status == XPORTA_OK)
        st = xp_fail(&h->r->err, st, "%s", xporta_pie_reader_error(rd));
    close_spools(h);
    return st;
}

/* ---- the run ------------------------------------------------------------- */

static const char marker[] = ".xporta-history";

/* What is at `dir` now: 0 nothing, 1 an empty directory or an earlier
 * history (replaced), -1 something else (refused). */
static int existing(const char *dir)
{
    struct stat sb;
    if (lstat(dir, &sb) != 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(sb.st_mode))
        return -1;
    char *m = xp_path_join(dir, marker);
    bool ours = m && access(m, F_OK) == 0;
    free(m);
    if (ours)
        return 1;
    /* an empty directory: the rename replaces it */
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *de;
    int empty = 0;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
            empty = -1;
            break;
        }
    closedir(d);
    return empty;
}

static void hist_free(struct hist *h)
{
    close_spools(h);
    for (size_t i = 0; i < h->nacc; i++)
        free(h->acc[i].jid);
    for (size_t i = 0; i < h->ncon; i++) {
        free(h->con[i].jid);
        free(h->con[i].name);
    }
    free(h->acc);
    free(h->con);
    free(h->bk);
    free(h->sorted);
    free(h->csorted);
    xp_map_cleanup(&h->con_map);
    xp_map_cleanup(&h->bk_map);
    if (h->tmp)
        xp_remove_tree(h->tmp, 3);
    free(h->tmp);
    free(h->spool);
}

static xporta_status publish(struct hist *h, const char *out)
{
    struct xp_err *err = &h->r->err;
    xp_remove_tree(h->spool, 0);
    char *m = xp_path_join(h->tmp, marker);
    struct hout o;
    xporta_status st = m ? hout_open(&o, m, err) : oom(h);
    free(m);
    if (st != XPORTA_OK)
        return st;
    hout_puts(&o, "xporta history " XPORTA_VERSION "\n");
    if ((st = hout_close(&o)) != XPORTA_OK)
        return st;
    int fd = open(h->tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || syncfs(fd) != 0) {
        st = xp_fail(err, XPORTA_EIO, "%s: %s", h->tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
        return st;
    }
    close(fd);
    /* mkdtemp made it 0700: the messages are private (files 0600) */
    char *old = NULL;
    switch (existing(out)) {
    case 1:
        old = xp_strcat(out, ".old-XXXXXX");
        if (!old || !mkdtemp(old) || rename(out, old) != 0) {
            st = old ? xp_fail(err, XPORTA_EIO, "%s: %s", out, strerror(errno))
                     : oom(h);
            free(old);
            return st;
        }
        break;
    case -1:
        return xp_fail(err, XPORTA_ECONFLICT,
                       "%s exists and is not a history xporta wrote: "
                       "choose another directory",
                       out);
    default:
        break;
    }
    if (rename(h->tmp, out) != 0) {
        st = xp_fail(err, XPORTA_EIO, "%s: %s", out, strerror(errno));
        if (old)
            rename(old, out); /* put the earlier one back */
    } else {
        free(h->tmp);
        h->tmp = NULL;
        st = xp_fsync_dir_of(out, err);
    }
    if (old && st == XPORTA_OK)
        xp_remove_tree(old, 3);
    free(old);
    return st;
}

xporta_status history_run(xporta_job *j)
{
    struct hist h;
    memset(&h, 0, sizeof h);
    h.r = &j->r;
    xp_map_init(&h.con_map);
    xp_map_init(&h.bk_map);
    xporta_status st = XPORTA_OK;
    if (existing(j->outdir) < 0) {
        st = xp_fail(&j->r.err, XPORTA_ECONFLICT,
                     "%s exists and is not a history xporta wrote: choose "
                     "another directory",
                     j->outdir);
        hist_free(&h);
        return st;
    }
    /* every path inside the output fits the buffers of job_history*.c */
    if (strlen(j->outdir) > 3500) {
        st = xp_fail(&j->r.err, XPORTA_EINVAL, "%.64s...: path too long",
                     j->outdir);
        hist_free(&h);
        return st;
    }
    const char *base = strrchr(j->path, '/');
    h.source = base ? base + 1 : j->path;
    xporta_pie_reader *rd = NULL;
    st = xporta_pie_reader_open(&rd, j->path);
    if (st != XPORTA_OK) {
        xp_fail(&j->r.err, st, "%s: %s", j->path,
                rd ? xporta_pie_reader_error(rd) : xporta_strerror(st));
        xporta_pie_reader_free(rd);
        hist_free(&h);
        return st;
    }
    struct stat sb;
    uint64_t size = stat(j->path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
    h.tmp = xp_strcat(j->outdir, ".tmp-XXXXXX");
    if (!h.tmp || !mkdtemp(h.tmp)) {
        st = h.tmp ? xp_fail(&j->r.err, XPORTA_EIO, "%s: %s", j->outdir,
                             strerror(errno))
                   : oom(&h);
        free(h.tmp);
        h.tmp = NULL;
    } else {
        h.spool = xp_path_join(h.tmp, ".spool");
        if (!h.spool)
            st = oom(&h);
        else if (mkdir(h.spool, 0700) != 0)
            st = xp_fail(&j->r.err, XPORTA_EIO, "%s: %s", h.spool,
                         strerror(errno));
    }
    if (st == XPORTA_OK)
        st = hist_read(&h, rd, size);
    xporta_pie_reader_free(rd);
    j->r.kind[XPORTA_KIND_ARCHIVE].count = h.messages;
    if (st == XPORTA_OK)
        st = hist_render(&h);
    if (st == XPORTA_OK && h.r->cancel)
        st = xp_fail(&j->r.err, XPORTA_ECANCELED, "interrupted");
    if (st == XPORTA_OK)
        st = publish(&h, j->outdir);
    j->hist_messages = h.written;
    j->hist_conversations = h.conversations;
    j->hist_pages = h.pages;
    if (st == XPORTA_OK)
        xp_run_progress(&j->r, "done", XPORTA_KIND_ARCHIVE, h.messages,
                        h.messages, 1, 0, NULL, true);
    hist_free(&h);
    return st;
}
