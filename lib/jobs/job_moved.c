/*
 * lib/jobs/job_moved.c: XEP-0283 Moved, what announce (job_announce.c) and
 * follow (job_follow.c) share: the rosters they read and the report of
 * each contact's outcome.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job_moved_p.h"

/* ---- rosters ---------------------------------------------------------------
 */

void moved_roster_init(struct roster *r)
{
    memset(r, 0, sizeof *r);
    xp_arena_init(&r->arena, 0);
    xp_map_init(&r->index);
}

void moved_roster_cleanup(struct roster *r)
{
    free(r->v);
    free(r->pending);
    xp_arena_cleanup(&r->arena);
    xp_map_cleanup(&r->index);
}

/* JIDs compare as RFC 7622 says: the domainpart without case (and without
 * a trailing dot, §3.2), the localpart after case mapping (§3.3), the
 * resourcepart exactly.  Full PRECIS (the UsernameCaseMapped profile)
 * needs Unicode tables xporta does not carry: the localpart's case is
 * folded for ASCII only, and the domain's likewise (IDNA labels are
 * compared as sent).  What it folds PRECIS folds too, so two JIDs taken
 * for one are one; two that differ only in non-ASCII case are taken for
 * two, which can leave a move unfollowed but never follows a wrong one. */
static char *jid_fold(const char *jid, char *buf, size_t cap)
{
    size_t n = strlen(jid);
    char *out = n < cap ? buf : malloc(n + 1);
    if (!out)
        return NULL;
    const char *slash = strchr(jid, '/');
    size_t end = slash ? (size_t)(slash - jid) : n; /* the bare part */
    size_t k = 0;
    for (size_t i = 0; i < end; i++) {
        char c = jid[i];
        out[k++] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    if (k > 1 && out[k - 1] == '.' && out[k - 2] != '@')
        k--; /* "example.org." is "example.org" */
    memcpy(out + k, jid + end, n - end + 1); /* the resource as it is */
    return out;
}

uint64_t moved_jid_key(const char *jid)
{
    char buf[512];
    char *f = jid_fold(jid, buf, sizeof buf);
    /* Out of memory: the key of the JID as written (found when spelled
     * alike). */
    uint64_t h = xp_key_hash("\x02jid", f ? f : jid);
    if (f != buf)
        free(f);
    return h;
}

bool moved_jid_eq(const char *a, const char *b)
{
    if (!a || !b)
        return false;
    char ba[512], bb[512];
    char *fa = jid_fold(a, ba, sizeof ba);
    char *fb = jid_fold(b, bb, sizeof bb);
    bool eq = fa && fb ? strcmp(fa, fb) == 0 : strcmp(a, b) == 0;
    if (fa != ba)
        free(fa);
    if (fb != bb)
        free(fb);
    return eq;
}

struct contact *moved_roster_find(const struct roster *r, const char *jid)
{
    uint64_t at;
    if (!jid || !xp_map_get(&r->index, moved_jid_key(jid), &at))
        return NULL;
    return &r->v[at - 1];
}

unsigned moved_parse_sub(const char *s)
{
    if (xp_streq(s, "both"))
        return SUB_BOTH;
    if (xp_streq(s, "to"))
        return SUB_TO;
    if (xp_streq(s, "from"))
        return SUB_FROM;
    return 0;
}

const char *moved_sub_name(unsigned sub)
{
    static const char *const names[] = {"none", "to", "from", "both"};
    return names[sub & 3];
}

struct roster_sink {
    struct roster *r;
    xporta_job *j;
};

static xporta_status moved_roster_sink(void *ud, xporta_record *rec)
{
    struct roster_sink *rs = ud;
    struct roster *r = rs->r;
    if (rec->kind == XPORTA_KIND_PENDING) {
        const xp_elem **v = realloc(r->pending, (r->npending + 1) * sizeof *v);
        xp_elem *copy = v ? xp_elem_clone(&r->arena, rec->payload) : NULL;
        if (v)
            r->pending = v;
        if (!copy)
            return xp_fail(&rs->j->r.err, XPORTA_ENOMEM, "out of memory");
        r->pending[r->npending++] = copy;
        return XPORTA_OK;
    }
    if (rec->kind != XPORTA_KIND_ROSTER || !rec->key)
        return XPORTA_OK;
    struct contact *v = realloc(r->v, (r->n + 1) * sizeof *v);
    if (!v)
        return xp_fail(&rs->j->r.err, XPORTA_ENOMEM, "out of memory");
    r->v = v;
    struct contact *c = &r->v[r->n];
    c->jid = xp_arena_strdup(&r->arena, rec->key);
    c->item = xp_elem_clone(&r->arena, rec->payload);
    c->sub = moved_parse_sub(xporta_elem_attr(rec->payload, "subscription"));
    c->ask = xp_streq(xporta_elem_attr(rec->payload, "ask"), "subscribe");
    if (!c->jid || !c->item ||
        xp_map_put(&r->index, moved_jid_key(c->jid), r->n + 1) < 0)
        return xp_fail(&rs->j->r.err, XPORTA_ENOMEM, "out of memory");
    r->n++;
    return XPORTA_OK;
}

/* Opens a session on `account` and reads its roster (and pending requests
 * with `pending`).  The job's per-kind states are left as they were. */
xporta_status moved_read_roster(xporta_job *j, struct live *l,
                                const xporta_account *account, struct roster *r,
                                bool pending)
{
    uint32_t kinds = 1u << XPORTA_KIND_ROSTER;
    if (pending)
        kinds |= 1u << XPORTA_KIND_PENDING;
    struct xp_session_opts so;
    job_session_opts(account, &so);
    xporta_status st = live_open(l, &j->r, &so, kinds);
    struct roster_sink rs = {r, j};
    if (st == XPORTA_OK) {
        l->sink = moved_roster_sink;
        l->sink_ud = &rs;
        l->presence_status = "xporta: moving to a new address";
        st = live_read_small(l);
    }
    if (st == XPORTA_OK &&
        j->r.kind[XPORTA_KIND_ROSTER].state == XPORTA_STATE_FAILED)
        st = xp_fail(&j->r.err, XPORTA_ESTANZA, "%s: the roster: %s",
                     account->jid,
                     j->r.kind[XPORTA_KIND_ROSTER].note
                         ? j->r.kind[XPORTA_KIND_ROSTER].note
                         : "could not be read");
    for (unsigned k = 0; k < XPORTA_KIND_COUNT; k++) {
        j->r.kind[k].state = XPORTA_STATE_NOT_ASKED;
        j->r.kind[k].count = 0;
        free(j->r.kind[k].note);
        j->r.kind[k].note = NULL;
    }
    return st;
}

void moved_report(xporta_job *j, const char *jid, xporta_contact_outcome o,
                  const char *fmt, ...)
{
    uint64_t *slot[] = {
        [XPORTA_CONTACT_MOVED] = &j->mc.moved,
        [XPORTA_CONTACT_ASKED] = &j->mc.asked,
        [XPORTA_CONTACT_ALREADY] = &j->mc.already,
        [XPORTA_CONTACT_SKIPPED] = &j->mc.skipped,
        [XPORTA_CONTACT_EARLIER] = &j->mc.earlier,
        [XPORTA_CONTACT_BOUNCED] = &j->mc.bounced,
        [XPORTA_CONTACT_FOLLOWED] = &j->mc.followed,
        [XPORTA_CONTACT_LEFT] = &j->mc.left,
        [XPORTA_CONTACT_AGAIN] = NULL,
        [XPORTA_CONTACT_APPROVED] = &j->mc.approved,
    };
    if ((unsigned)o < sizeof slot / sizeof slot[0] && slot[o])
        (*slot[o])++;
    if (!j->contact_cb)
        return;
    char why[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    j->contact_cb(j->contact_ud, jid, o, why);
}
