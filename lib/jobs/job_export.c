/*
 * The export job: a live account, over the client protocol, into a
 * XEP-0227 file.
 *
 * Design note.  Phases, in the order their records appear in the file:
 *
 *   connect -> discover (disco#info of the server and of the account)
 *   -> roster -> pending (initial presence, priority -1) -> vcard
 *   -> private (known namespaces probed) -> privacy -> blocklist
 *   -> pep (node configurations and affiliations, then items node by node)
 *   -> mam-prefs -> archive
 *
 * Everything but the archive is small: a few requests each, answered in
 * milliseconds.  The archive can hold millions of messages, so it is
 * streamed to the file as it arrives and the export can resume in it.
 *
 * The archive is read over disjoint time ranges with several queries in
 * flight (Prosody answers a page, then idles until the next request; with
 * its default page of 50 and Nagle on, one query at a time gets ~830
 * messages/s where 4 in flight get ~3,700: research/mamperf.md).  Ranges
 * are taken from a queue, oldest first; the oldest unfinished range (the
 * head) writes straight into the file, later ones into spool files that are
 * appended when the head reaches them, so the archive stays in order.
 * Range i covers [b_i, b_i+1 - 1 microsecond]: neighbours neither overlap
 * nor leave a gap, whatever the server's timestamp precision.
 *
 * Resume.  The file is built in PATH.part.  When the archive begins, and
 * then every few seconds, the part file is synced and PATH.part.state
 * records its length, the ranges, the head and the id of the last message
 * written.  A later run with the same account and selection cuts the part
 * file back to that length and continues the head range after that id;
 * later ranges are fetched again.  Nothing is written twice, nothing lost.
 *
 * Lock.  Two exports into the same PATH would write into the same part
 * file; PATH.part.lock (an fcntl lock, held for the whole run) makes the
 * second one stop at once with XPORTA_ELOCKED.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../pie/pie.h"
#include "../xmpp/xmpp_kinds.h"
#include "jobs_p.h"

enum {
    MAM_PAGE = 250, /* asked for; servers cap it (Prosody: 50) */
    MAX_RANGES = 64,
    CHECKPOINT_MS_DEFAULT = 2000, /* how much archive a crash may cost */
    MAM_TIMEOUT_MS = 120000,      /* a page of a big archive can be slow */
};

#define STATE_MAGIC "xporta-export-state 1"

/* Test builds (-DXPORTA_TEST_HOOKS=ON) let the tests crash an export at a
 * chosen point, as kill -9 would, and checkpoint after every page so that
 * every crash point resumes from a different place.  Release builds have
 * neither (xp_test_hook is always -1 there). */
static void hook_crash(uint64_t archived)
{
    long long at = xp_test_hook("XPORTA_TEST_CRASH_AFTER_ARCHIVED");
    if (at >= 0 && archived >= (uint64_t)at)
        raise(SIGKILL);
}

static unsigned hook_checkpoint_ms(void)
{
    long long ms = xp_test_hook("XPORTA_TEST_CHECKPOINT_MS");
    return ms >= 0 ? (unsigned)ms : CHECKPOINT_MS_DEFAULT;
}

enum range_state { R_TODO = 0, R_RUNNING, R_DONE };

struct range {
    struct exp *e;
    char start[40];
    char end[40];
    enum range_state state;
    bool inflight;
    char queryid[16];
    char *after;        /* RSM: the last id received */
    char *last_written; /* the last id that reached the output */
    FILE *spool;
    char *spool_path;
    uint64_t spooled;
};

struct exp {
    xporta_job *j;
    struct live l; /* the account, its session and the small kinds */
    xporta_pie_writer *w;
    char *part;
    char *state_path;

    /* archive */
    struct range ranges[MAX_RANGES];
    unsigned nranges;
    unsigned head;
    unsigned next;
    unsigned running;
    uint64_t archived; /* written to the output */
    uint64_t received; /* received, spooled or written */
    long long count;   /* RSM count when the server gives it, else -1 */
    long long t_first, t_last;
    long long t_written; /* stamp of the newest message written */
    double arch_t0;
    double last_checkpoint;
    struct xp_buf fmt;
    /* planning: the first and last message */
    bool planning;
    long long plan_first, plan_last;
    bool plan_have_first, plan_have_last;
};

/* The live-account reading (requests, small kinds) is in job_live.c. */

/* ---- the archive: state file ------------------------------------------- */

static xporta_status save_state(struct exp *e)
{
    uint64_t offset;
    if (pie_writer_sync(e->w, &offset) != XPORTA_OK)
        return xp_fail(&e->l.run->err, pie_writer_status(e->w), "%s",
                       xporta_pie_writer_error(e->w));
    struct xp_buf b;
    xp_buf_init(&b, 1 << 20);
    xporta_status st = xp_buf_printf(
        &b,
        STATE_MAGIC "\njid %s\nkinds %x\nsince %s\nuntil %s\noffset %llu\n"
                    "host %s\nuser %s\narchived %llu\nfirst %lld\nlast %lld\n"
                    "ranges %u\nhead %u\nafter %s\n",
        e->l.bare, e->j->kinds, e->j->since ? e->j->since : "-",
        e->j->until ? e->j->until : "-", (unsigned long long)offset,
        e->l.domain, e->l.local, (unsigned long long)e->archived, e->t_first,
        e->t_last, e->nranges, e->head,
        e->head < e->nranges && e->ranges[e->head].last_written
            ? e->ranges[e->head].last_written
            : "-");
    for (unsigned i = 0; st == XPORTA_OK && i < e->nranges; i++)
        st = xp_buf_printf(&b, "range %s %s\n", e->ranges[i].start,
                           e->ranges[i].end);
    for (unsigned k = 0; st == XPORTA_OK && k < XPORTA_KIND_COUNT; k++)
        if (k != XPORTA_KIND_ARCHIVE && e->l.run->kind[k].state)
            st = xp_buf_printf(
                &b, "kind %u %u %llu %s\n", k, e->l.run->kind[k].state,
                (unsigned long long)e->l.run->kind[k].count,
                e->l.run->kind[k].note ? e->l.run->kind[k].note : "");
    if (st != XPORTA_OK) {
        xp_buf_cleanup(&b);
        return xp_fail(&e->l.run->err, st, "state: out of memory");
    }
    struct xp_afile f;
    st = xp_afile_open(&f, e->state_path, &e->l.run->err);
    if (st == XPORTA_OK)
        st = xp_afile_write(&f, b.data, b.len, &e->l.run->err);
    if (st == XPORTA_OK)
        st = xp_afile_commit(&f, true, &e->l.run->err);
    else
        xp_afile_abort(&f);
    xp_buf_cleanup(&b);
    e->last_checkpoint = xp_now();
    return st;
}

struct saved {
    bool valid;
    unsigned long long offset, archived;
    long long first, last;
    unsigned nranges, head;
    char after[512];
    char start[MAX_RANGES][40], end[MAX_RANGES][40];
};

/* Reads PATH.part.state; valid only when it describes this very export. */
static void load_state(struct exp *e, xporta_job *j, struct saved *sv)
{
    memset(sv, 0, sizeof *sv);
    FILE *f = fopen(e->state_path, "r");
    if (!f)
        return;
    char line[1024];
    unsigned nr = 0;
    bool ok = fgets(line, sizeof line, f) &&
              strncmp(line, STATE_MAGIC, strlen(STATE_MAGIC)) == 0;
    while (ok && fgets(line, sizeof line, f)) {
        char key[32], a[512], b[512];
        line[strcspn(line, "\n")] = '\0';
        a[0] = b[0] = '\0';
        int n = sscanf(line, "%31s %511s %511s", key, a, b);
        if (n < 2)
            continue;
        if (strcmp(key, "jid") == 0)
            ok = strcmp(a, j->account->jid) == 0;
        else if (strcmp(key, "kinds") == 0)
            ok = strtoul(a, NULL, 16) == j->kinds;
        else if (strcmp(key, "since") == 0)
            ok = strcmp(a, j->since ? j->since : "-") == 0;
        else if (strcmp(key, "until") == 0)
            ok = strcmp(a, j->until ? j->until : "-") == 0;
        else if (strcmp(key, "offset") == 0)
            sv->offset = strtoull(a, NULL, 10);
        else if (strcmp(key, "archived") == 0)
            sv->archived = strtoull(a, NULL, 10);
        else if (strcmp(key, "first") == 0)
            sv->first = strtoll(a, NULL, 10);
        else if (strcmp(key, "last") == 0)
            sv->last = strtoll(a, NULL, 10);
        else if (strcmp(key, "ranges") == 0)
            sv->nranges = (unsigned)strtoul(a, NULL, 10);
        else if (strcmp(key, "head") == 0)
            sv->head = (unsigned)strtoul(a, NULL, 10);
        else if (strcmp(key, "after") == 0)
            snprintf(sv->after, sizeof sv->after, "%s", a);
        else if (strcmp(key, "range") == 0 && n == 3 && nr < MAX_RANGES) {
            /* Dates fit in 39 characters; anything longer is damage. */
            if (strlen(a) >= sizeof sv->start[nr] ||
                strlen(b) >= sizeof sv->end[nr]) {
                ok = false;
                continue;
            }
            memcpy(sv->start[nr], a, strlen(a) + 1);
            memcpy(sv->end[nr], b, strlen(b) + 1);
            nr++;
        } else if (strcmp(key, "kind") == 0 && n >= 3) {
            unsigned k, state;
            unsigned long long count;
            int used = 0;
            if (sscanf(line, "kind %u %u %llu %n", &k, &state, &count, &used) >=
                    3 &&
                k < XPORTA_KIND_COUNT && state <= XPORTA_STATE_FAILED) {
                j->r.kind[k].state = (xporta_kind_state)state;
                j->r.kind[k].count = count;
                if (used > 0 && line[used])
                    xp_run_note(&j->r, (xporta_kind)k, "%s", line + used);
            }
        }
    }
    fclose(f);
    sv->valid = ok && sv->nranges >= 1 && sv->nranges == nr &&
                sv->head <= sv->nranges && sv->offset > 0;
    if (!sv->valid) {
        /* Someone else's or a damaged state: the counts are not ours. */
        for (unsigned k = 0; k < XPORTA_KIND_COUNT; k++) {
            j->r.kind[k].state = XPORTA_STATE_NOT_ASKED;
            j->r.kind[k].count = 0;
            free(j->r.kind[k].note);
            j->r.kind[k].note = NULL;
        }
    }
}

/* ---- the archive: queries ----------------------------------------------- */

static void range_page(struct xp_session *s, const struct xp_iq_reply *r,
                       void *ud);

static void range_send(struct exp *e, struct range *r)
{
    struct xp_mam_range q = {strcmp(r->start, "-") ? r->start : NULL,
                             strcmp(r->end, "-") ? r->end : NULL, r->after,
                             false, MAM_PAGE};
    struct xp_arena a;
    xp_arena_init(&a, 0);
    xp_elem *query = xp_mam_query(&a, r->queryid, &q);
    xporta_status st = query ? xp_session_iq(e->l.s, "set", NULL, query,
                                             MAM_TIMEOUT_MS, range_page, r)
                             : XPORTA_ENOMEM;
    xp_arena_cleanup(&a);
    if (st != XPORTA_OK) {
        xp_fail(&e->l.run->err, st, "archive: cannot send a query: %s",
                xporta_strerror(st));
        return;
    }
    r->inflight = true;
}

static struct exp *range_exp(struct range *r);

static void start_ranges(struct exp *e)
{
    while (e->l.run->err.status == XPORTA_OK && e->running < e->j->parallel &&
           e->next < e->nranges) {
        struct range *r = &e->ranges[e->next++];
        if (r->state != R_TODO)
            continue;
        r->state = R_RUNNING;
        e->running++;
        range_send(e, r);
    }
}

/* Appends the head's spool to the file; the head then writes directly. */
static void drain_spool(struct exp *e, struct range *r)
{
    if (!r->spool)
        return;
    char buf[65536];
    size_t n;
    if (fflush(r->spool) != 0 || fseek(r->spool, 0, SEEK_SET) != 0) {
        xp_fail(&e->l.run->err, XPORTA_EIO, "%s: %s", r->spool_path,
                strerror(errno));
        return;
    }
    while ((n = fread(buf, 1, sizeof buf, r->spool)) > 0) {
        if (pie_writer_write_raw(e->w, XPORTA_KIND_ARCHIVE, buf, n) !=
            XPORTA_OK) {
            xp_fail(&e->l.run->err, pie_writer_status(e->w), "%s",
                    xporta_pie_writer_error(e->w));
            return;
        }
    }
    if (ferror(r->spool)) {
        xp_fail(&e->l.run->err, XPORTA_EIO, "%s: read error", r->spool_path);
        return;
    }
    e->archived += r->spooled;
    e->l.run->kind[XPORTA_KIND_ARCHIVE].count += r->spooled;
    hook_crash(e->archived);
    fclose(r->spool);
    r->spool = NULL;
    unlink(r->spool_path);
}

static void advance_head(struct exp *e)
{
    while (e->head < e->nranges && e->ranges[e->head].state == R_DONE &&
           !e->ranges[e->head].spool)
        e->head++;
    if (e->head < e->nranges) {
        struct range *h = &e->ranges[e->head];
        drain_spool(e, h);
        if (h->state == R_DONE && !h->spool &&
            e->l.run->err.status == XPORTA_OK)
            advance_head(e);
    }
}

static void range_page(struct xp_session *s, const struct xp_iq_reply *reply,
                       void *ud)
{
    struct range *r = ud;
    struct exp *e = range_exp(r);
    (void)s;
    r->inflight = false;
    if (e->l.run->err.status != XPORTA_OK)
        return;
    if (reply->status != XPORTA_OK) {
        if (reply->status == XPORTA_ESTANZA)
            xp_fail(&e->l.run->err, XPORTA_ESTANZA,
                    "archive: the server refused a query (%s to %s): %s%s%s",
                    r->start, r->end, reply->condition, reply->text ? ": " : "",
                    reply->text ? reply->text : "");
        else
            xp_fail(&e->l.run->err, reply->status,
                    "archive: %s; run the same command again to resume",
                    reply->status == XPORTA_ETIMEOUT ? "no answer to a query"
                                                     : "connection lost");
        return;
    }
    struct xp_mam_fin fin;
    if (xp_mam_fin_decode(reply->iq, &fin) != XPORTA_OK) {
        xp_fail(&e->l.run->err, XPORTA_EFORMAT,
                "archive: a reply without <fin/>");
        return;
    }
    if (fin.count >= 0 && e->count < 0 && r == &e->ranges[0] && !r->after)
        e->count = fin.count;
    /* The page's results came before this reply (one stream, in order);
     * RSM <last/> says where the next page starts. */
    if (fin.complete || !fin.last) {
        r->state = R_DONE;
        e->running--;
    } else {
        if (!r->after || strcmp(r->after, fin.last) != 0) {
            free(r->after);
            r->after = xp_strdup(fin.last);
        }
        range_send(e, r);
    }
    if (r->state == R_DONE) {
        advance_head(e);
        start_ranges(e);
    }
}

static void archive_result(struct exp *e, const xp_elem *msg)
{
    /* Which query?  queryid "r<N>" (ranges) or "p0"/"p1" (planning). */
    const xp_elem *res = xp_elem_child(msg, XP_NS_MAM, "result");
    const char *qid = res ? xp_elem_attr_ns(res, "", "queryid") : NULL;
    if (!qid)
        return;
    xporta_record rec;
    if (qid[0] == 'p' && e->planning) {
        long long secs;
        long usecs;
        if (!xp_mam_result_decode(&e->l.arena, msg, qid, &rec) ||
            !xp_mam_stamp(rec.payload, &secs, &usecs))
            return;
        if (qid[1] == '0' && !e->plan_have_first) {
            e->plan_first = secs;
            e->plan_have_first = true;
        } else if (qid[1] == '1') {
            e->plan_last = secs;
            e->plan_have_last = true;
        }
        return;
    }
    if (qid[0] != 'r')
        return;
    unsigned i = (unsigned)strtoul(qid + 1, NULL, 10);
    if (i >= e->nranges || strcmp(e->ranges[i].queryid, qid) != 0 ||
        e->ranges[i].state != R_RUNNING)
        return;
    struct range *r = &e->ranges[i];
    struct xp_arena a;
    xp_arena_init(&a, 0);
    if (!xp_mam_result_decode(&a, msg, qid, &rec)) {
        xp_arena_cleanup(&a);
        return;
    }
    free(r->after);
    r->after = xp_strdup(rec.key);
    long long secs;
    long usecs;
    if (i == e->head) {
        live_put(&e->l, &rec);
        e->archived++;
        hook_crash(e->archived);
        free(r->last_written);
        r->last_written = xp_strdup(rec.key);
        if (xp_mam_stamp(rec.payload, &secs, &usecs))
            e->t_written = secs;
    } else {
        if (!r->spool) {
            r->spool = fopen(r->spool_path, "w+");
            if (!r->spool) {
                xp_fail(&e->l.run->err, XPORTA_EIO, "%s: %s", r->spool_path,
                        strerror(errno));
                xp_arena_cleanup(&a);
                return;
            }
        }
        xp_buf_reset(&e->fmt);
        if (pie_writer_format(e->w, &e->fmt, &rec) != XPORTA_OK ||
            fwrite(e->fmt.data, 1, e->fmt.len, r->spool) != e->fmt.len) {
            xp_fail(&e->l.run->err, XPORTA_EIO, "%s: cannot spool",
                    r->spool_path);
            xp_arena_cleanup(&a);
            return;
        }
        r->spooled++;
        free(r->last_written);
        r->last_written = xp_strdup(rec.key);
    }
    e->received++;
    xp_arena_cleanup(&a);
}

static struct exp *range_exp(struct range *r)
{
    return r->e;
}

/* ---- the archive: planning and running ---------------------------------- */

static void plan_ranges(struct exp *e, long long t0, long long t1)
{
    unsigned want_n = e->j->parallel <= 1 ? 1 : e->j->parallel * 4;
    if (want_n > MAX_RANGES)
        want_n = MAX_RANGES;
    long long span = t1 - t0 + 1;
    if (span < (long long)want_n)
        want_n = span > 0 ? (unsigned)span : 1;
    e->nranges = want_n;
    for (unsigned i = 0; i < want_n; i++) {
        struct range *r = &e->ranges[i];
        long long b = t0 + span * (long long)i / (long long)want_n;
        long long b1 = t0 + span * (long long)(i + 1) / (long long)want_n;
        /* The first range has no lower bound and the last no upper one
         * (unless the user set them): a message stamped outside the span
         * the planning saw (archives are not always in time order, e.g.
         * after an import) still lands in a range. */
        if (i == 0)
            snprintf(r->start, sizeof r->start, "%s",
                     e->j->since ? e->j->since : "-");
        else
            xp_datetime_format(b, r->start, sizeof r->start);
        if (i + 1 == want_n) {
            snprintf(r->end, sizeof r->end, "%s",
                     e->j->until ? e->j->until : "-");
        } else {
            /* End one microsecond before the next range begins. */
            char t[32];
            xp_datetime_format(b1 - 1, t, sizeof t);
            t[strlen(t) - 1] = '\0'; /* drop the Z */
            snprintf(r->end, sizeof r->end, "%s.999999Z", t);
        }
    }
}

/* Asks for the oldest and the newest message of the range the user chose:
 * the span to cut into ranges (Prosody gives no count, and not all
 * servers implement the metadata query). */
static xporta_status plan(struct exp *e)
{
    struct xp_mam_range first = {e->j->since, e->j->until, NULL, false, 1};
    struct xp_mam_range last = {e->j->since, e->j->until, NULL, true, 1};
    e->planning = true;
    struct call *c[2];
    c[0] = live_call(&e->l, "set", NULL,
                     xp_mam_query(&e->l.arena, "p0", &first), MAM_TIMEOUT_MS);
    c[1] = live_call(&e->l, "set", NULL, xp_mam_query(&e->l.arena, "p1", &last),
                     MAM_TIMEOUT_MS);
    xporta_status st = live_wait(&e->l, c, 2);
    e->planning = false;
    if (st != XPORTA_OK)
        return st;
    for (int i = 0; i < 2; i++) {
        if (live_fatal(c[i]))
            return live_fatal_error(&e->l, c[i], "archive");
        if (c[i]->status == XPORTA_ESTANZA) {
            if (live_not_offered(c[i]))
                live_kind_unavailable(&e->l, XPORTA_KIND_ARCHIVE, c[i]->cond);
            else
                live_kind_failed(&e->l, XPORTA_KIND_ARCHIVE, c[i]);
            return XPORTA_OK;
        }
    }
    struct xp_mam_fin fin;
    if (xp_mam_fin_decode(c[0]->iq, &fin) == XPORTA_OK)
        e->count = fin.count;
    xp_arena_reset(&e->l.arena);
    if (!e->plan_have_first || !e->plan_have_last) {
        e->nranges = 0; /* an empty archive */
        return XPORTA_OK;
    }
    e->t_first = e->plan_first;
    e->t_last = e->plan_last;
    plan_ranges(e, e->plan_first, e->plan_last);
    return XPORTA_OK;
}

static void archive_progress(struct exp *e, bool force)
{
    double frac = -1;
    if (e->count > 0)
        frac = (double)e->received / (double)e->count;
    else if (e->t_last > e->t_first)
        frac = (double)(e->t_written - e->t_first) /
               (double)(e->t_last - e->t_first);
    if (frac > 1)
        frac = 1;
    double secs = xp_now() - e->arch_t0;
    xp_run_progress(e->l.run, "archive", XPORTA_KIND_ARCHIVE, e->received,
                    e->count > 0 ? (uint64_t)e->count : 0, frac,
                    secs > 0 ? (double)e->received / secs : 0, NULL, force);
}

static void free_ranges(struct exp *e)
{
    for (unsigned i = 0; i < MAX_RANGES; i++) {
        struct range *r = &e->ranges[i];
        if (r->spool) {
            fclose(r->spool);
            r->spool = NULL;
        }
        if (r->spool_path) {
            unlink(r->spool_path);
            free(r->spool_path);
            r->spool_path = NULL;
        }
        free(r->after);
        free(r->last_written);
        r->after = r->last_written = NULL;
    }
}

static xporta_status fetch_archive(struct exp *e, const struct saved *sv)
{
    if (!live_want(&e->l, XPORTA_KIND_ARCHIVE))
        return XPORTA_OK;
    live_phase(&e->l, XPORTA_KIND_ARCHIVE);
    e->count = -1;
    e->arch_t0 = xp_now();
    xporta_status st;
    if (sv && sv->valid) {
        e->nranges = sv->nranges;
        e->head = sv->head;
        e->archived = sv->archived;
        e->received = sv->archived;
        e->t_first = sv->first;
        e->t_last = sv->last;
        e->l.run->kind[XPORTA_KIND_ARCHIVE].count = sv->archived;
        for (unsigned i = 0; i < sv->nranges; i++) {
            memcpy(e->ranges[i].start, sv->start[i], sizeof sv->start[i]);
            memcpy(e->ranges[i].end, sv->end[i], sizeof sv->end[i]);
            e->ranges[i].state = i < sv->head ? R_DONE : R_TODO;
        }
        if (strcmp(sv->after, "-") != 0 && e->head < e->nranges) {
            e->ranges[e->head].after = xp_strdup(sv->after);
            e->ranges[e->head].last_written = xp_strdup(sv->after);
        }
    } else {
        if (!e->l.f_mam) {
            live_kind_unavailable(&e->l, XPORTA_KIND_ARCHIVE,
                                  "no urn:xmpp:mam:2");
            if (live_want(&e->l, XPORTA_KIND_MAM_PREFS) &&
                e->l.run->kind[XPORTA_KIND_MAM_PREFS].state ==
                    XPORTA_STATE_DONE &&
                e->l.run->kind[XPORTA_KIND_MAM_PREFS].count == 0)
                live_kind_unavailable(&e->l, XPORTA_KIND_MAM_PREFS,
                                      "no urn:xmpp:mam:2");
            return XPORTA_OK;
        }
        st = plan(e);
        if (st != XPORTA_OK ||
            e->l.run->kind[XPORTA_KIND_ARCHIVE].state != XPORTA_STATE_NOT_ASKED)
            return st;
        if (e->nranges == 0) {
            live_phase_done(&e->l, XPORTA_KIND_ARCHIVE);
            return XPORTA_OK;
        }
    }
    for (unsigned i = 0; i < e->nranges; i++) {
        struct range *r = &e->ranges[i];
        r->e = e;
        snprintf(r->queryid, sizeof r->queryid, "r%u", i);
        size_t n = strlen(e->part) + 32;
        r->spool_path = malloc(n);
        if (!r->spool_path)
            return xp_fail(&e->l.run->err, XPORTA_ENOMEM, "out of memory");
        snprintf(r->spool_path, n, "%s.spool%u", e->part, i);
    }
    /* Open <archive> now, so that the state's offset is inside it. */
    if (pie_writer_write_raw(e->w, XPORTA_KIND_ARCHIVE, "", 0) != XPORTA_OK)
        return xp_fail(&e->l.run->err, pie_writer_status(e->w), "%s",
                       xporta_pie_writer_error(e->w));
    st = save_state(e);
    if (st != XPORTA_OK)
        return st;
    e->next = e->head;
    start_ranges(e);
    while (e->l.run->err.status == XPORTA_OK && e->head < e->nranges) {
        if (live_cancelled(&e->l))
            return xp_fail(&e->l.run->err, XPORTA_ECANCELED,
                           "export interrupted; run the same command again to "
                           "resume");
        st = xp_session_run(e->l.s, 100);
        if (st == XPORTA_EDISCONNECTED)
            return xp_fail(&e->l.run->err, st,
                           "connection lost: %s; run the same command again "
                           "to resume",
                           xp_session_error(e->l.s));
        archive_progress(e, false);
        if ((xp_now() - e->last_checkpoint) * 1000 >= hook_checkpoint_ms() &&
            e->l.run->err.status == XPORTA_OK) {
            st = save_state(e);
            if (st != XPORTA_OK)
                return st;
        }
    }
    if (e->l.run->err.status != XPORTA_OK)
        return e->l.run->err.status;
    archive_progress(e, true);
    live_phase_done(&e->l, XPORTA_KIND_ARCHIVE);
    return XPORTA_OK;
}

/* ---- the job ---------------------------------------------------------------
 */

static xporta_status run_phases(struct exp *e, const struct saved *sv)
{
    if (!sv->valid) {
        xporta_status st = live_read_small(&e->l);
        if (st != XPORTA_OK)
            return st;
    }
    return fetch_archive(e, sv);
}

/* Records of the small kinds and the head range go straight to the file. */
static xporta_status export_sink(void *ud, xporta_record *rec)
{
    struct exp *e = ud;
    if (xporta_pie_writer_write(e->w, rec) != XPORTA_OK)
        return xp_fail(&e->l.run->err, pie_writer_status(e->w), "%s",
                       xporta_pie_writer_error(e->w));
    return XPORTA_OK;
}

static void export_message(void *ud, const xp_elem *msg)
{
    archive_result(ud, msg);
}

xporta_status export_run(xporta_job *j)
{
    struct exp e;
    memset(&e, 0, sizeof e);
    e.j = j;
    int lock_fd = -1;
    char *lock_path = xp_strcat(j->path, ".part.lock");
    xp_buf_init(&e.fmt, (size_t)XP_MAX_RECORD_BYTES * 2);
    e.part = xp_strcat(j->path, ".part");
    e.state_path = xp_strcat(j->path, ".part.state");
    xporta_status st = XPORTA_OK;
    j->export_committed = false;
    struct saved sv;
    memset(&sv, 0, sizeof sv);
    for (unsigned k = 0; k < XPORTA_KIND_COUNT; k++) {
        j->r.kind[k].state = XPORTA_STATE_NOT_ASKED;
        j->r.kind[k].count = 0;
    }
    if (!e.part || !e.state_path || !lock_path) {
        st = xp_fail(&j->r.err, XPORTA_ENOMEM, "out of memory");
        goto out;
    }
    /* Before anything reads or cuts the part file. */
    char busy[4200];
    snprintf(busy, sizeof busy, "another xporta is exporting into %s now",
             j->path);
    st = xp_lock(lock_path, &lock_fd, busy, &j->r.err);
    if (st != XPORTA_OK)
        goto out;
    load_state(&e, j, &sv);
    j->resumed = sv.valid;

    struct xp_session_opts so;
    job_session_opts(j->account, &so);
    st = live_open(&e.l, &j->r, &so, j->kinds);
    e.l.private_ns = &j->private_ns;
    if (st != XPORTA_OK)
        goto out;
    e.l.sink = export_sink;
    e.l.sink_ud = &e;
    e.l.on_message = export_message;
    e.l.on_message_ud = &e;

    struct pie_resume resume = {sv.offset, e.l.domain, e.l.local};
    st = pie_writer_open_part(&e.w, j->path, e.part, XPORTA_PIE_PRIVATE,
                              sv.valid ? &resume : NULL);
    if (st != XPORTA_OK) {
        st = xp_fail(&j->r.err, st, "%s",
                     e.w ? xporta_pie_writer_error(e.w) : "cannot write");
        goto out;
    }
    /* Keep the part file across interruptions once the archive began. */
    pie_writer_keep_part(e.w, true);
    if (!sv.valid) {
        unlink(e.state_path);
        if (xporta_pie_writer_begin_host(e.w, e.l.domain) != XPORTA_OK ||
            xporta_pie_writer_begin_user(e.w, e.l.local, NULL) != XPORTA_OK) {
            st = xp_fail(&j->r.err, pie_writer_status(e.w), "%s",
                         xporta_pie_writer_error(e.w));
            goto out;
        }
    }
    st = run_phases(&e, &sv);
    if (st != XPORTA_OK)
        goto out;
    /* After the host, the rooms the user is in (export --rooms,
     * job_export_rooms.c: its failures are recorded there). */
    bool rooms = j->type == JOB_EXPORT && j->rooms;
    if (xporta_pie_writer_end_user(e.w) != XPORTA_OK ||
        xporta_pie_writer_end_host(e.w) != XPORTA_OK ||
        (rooms && (st = export_rooms(j, &e.l, e.w)) != XPORTA_OK) ||
        xporta_pie_writer_commit(e.w) != XPORTA_OK) {
        if (st == XPORTA_OK)
            st = xp_fail(&j->r.err, pie_writer_status(e.w), "%s",
                         xporta_pie_writer_error(e.w));
        goto out;
    }
    unlink(e.state_path);
    xp_run_progress(&j->r, "done", XPORTA_KIND_COUNT, 0, 0, 1, 0, NULL, true);
    j->export_committed = true;
    if (e.l.failed_kind)
        st = xp_fail(&j->r.err, XPORTA_ESTANZA,
                     "the file is complete, but the server refused some "
                     "kinds (their states say which)");
out:
    live_close(&e.l);
    if (e.w && !sv.valid && e.nranges == 0 && st != XPORTA_OK)
        pie_writer_keep_part(e.w, false); /* nothing worth resuming */
    xporta_pie_writer_free(e.w);
    if (lock_fd >= 0) {
        unlink(lock_path); /* still ours: removed before it is released */
        xp_unlock(lock_fd);
    }
    free(lock_path);
    free_ranges(&e);
    free(e.part);
    free(e.state_path);
    xp_buf_cleanup(&e.fmt);
    return st;
}
