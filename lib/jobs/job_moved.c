/*
 * XEP-0283 Moved: the moving account's side (announce) and the contact's
 * side (follow).
 *
 * Design note.  Announce
 *   1. reads the old account's roster and publishes the moved statement on
 *      it (node urn:xmpp:moved:1, item "current", access model presence or
 *      open): created with its configuration, or reconfigured when the node
 *      exists, then published.  Journaled once the server confirmed it.
 *   2. reads the new account's roster, then for each old contact, by the
 *      old roster's subscription (the old account's point of view):
 *        both, to  subscribe with <moved/> (the contact approved the old
 *              address, so their server or client can verify the move);
 *        from  plain subscribe (the contact never approved the old address:
 *              a <moved/> would be ignored; they see an ordinary request);
 *        none  plain subscribe if the old account had asked, else nothing.
 *      Contacts who followed the old address (from, both) and ask to follow
 *      the new one are approved, by this run or a later one (pre-approval,
 *      RFC 6121 §3.4, would do it at once, but ejabberd 23.01 lacks it and
 *      Prosody 0.12's leaves the two rosters disagreeing).
 *      What the new account already has is not asked again; a contact
 *      missing from its roster is added first with the old name and groups.
 *   Subscription stanzas go out at --rate per minute (ejabberd's
 *   mod_pres_counter bounces more than 5 a minute by default).  Each
 *   contact's requests are journaled as started, synced, *before* they are
 *   sent: a resumed run never sends them twice.  A bounce (a presence
 *   error from the contact's address) is journaled too, and that contact is
 *   asked again after a pause at a slower rate, or by the next run.
 *   Finally a ping to each contact's server flushes the bounces in flight
 *   (servers answer in order on one connection).
 *
 * Follow (the contact's side, for servers without mod_auto_moved) reads the
 * roster and the pending subscription requests (and, with --watch, those
 * that arrive), and follows a request from NEW only when all of this holds
 * (XEP-0283 §4.3): it names an old JID (<moved><old-jid/>), or, for a
 * request without one (ejabberd drops it from requests stored while the
 * contact was offline), an old contact's statement names the requester;
 * the old JID is in the roster with "from" or "both"; the old account's
 * statement, fetched by us, names NEW (a <gone/> error with an xmpp: URI
 * counts as one).  Then: NEW is added with the old name and groups,
 * approved, asked back if the old subscription was "both", and with
 * --remove-old the old item is removed.  Everything else is left pending
 * for the user, with the reason.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../transfer/xfer.h"
#include "jobs_p.h"

enum {
    SUB_TO = 1,
    SUB_FROM = 2,
    SUB_BOTH = 3,
    BATCH = 32,
    FLUSH_TIMEOUT_MS = 15000,
    RETRY_PAUSE_MS = 61000, /* one mod_pres_counter interval */
    SLOW_RATE = 4,          /* per minute, after a rate-limit bounce */
    MAX_ROUNDS = 4,
};

/* ---- rosters ---------------------------------------------------------------
 */

struct contact {
    const char *jid;
    unsigned sub;
    bool ask;
    const xp_elem *item; /* the roster item (name, groups) */
};

struct roster {
    struct contact *v;
    size_t n;
    struct xp_arena arena;
    struct xp_map index; /* hash of the JID -> position + 1 */
    /* pending subscription requests (follow) */
    const xp_elem **pending;
    size_t npending;
};

static void roster_init(struct roster *r)
{
    memset(r, 0, sizeof *r);
    xp_arena_init(&r->arena, 0);
    xp_map_init(&r->index);
}

static void roster_cleanup(struct roster *r)
{
    free(r->v);
    free(r->pending);
    xp_arena_cleanup(&r->arena);
    xp_map_cleanup(&r->index);
}

static uint64_t jid_key(const char *jid)
{
    return xp_key_hash("\x02jid", jid);
}

static struct contact *roster_find(const struct roster *r, const char *jid)
{
    uint64_t at;
    if (!jid || !xp_map_get(&r->index, jid_key(jid), &at))
        return NULL;
    return &r->v[at - 1];
}

static unsigned parse_sub(const char *s)
{
    if (xp_streq(s, "both"))
        return SUB_BOTH;
    if (xp_streq(s, "to"))
        return SUB_TO;
    if (xp_streq(s, "from"))
        return SUB_FROM;
    return 0;
}

static const char *sub_name(unsigned sub)
{
    static const char *const names[] = {"none", "to", "from", "both"};
    return names[sub & 3];
}

struct roster_sink {
    struct roster *r;
    xporta_job *j;
};

static xporta_status roster_sink(void *ud, xporta_record *rec)
{
    struct roster_sink *rs = ud;
    struct roster *r = rs->r;
    if (rec->kind == XPORTA_KIND_PENDING) {
        const xp_elem **v = realloc(r->pending, (r->npending + 1) * sizeof *v);
        xp_elem *copy = v ? xp_elem_clone(&r->arena, rec->payload) : NULL;
        if (v)
            r->pending = v;
        if (!copy)
            return xp_fail(&rs->j->err, XPORTA_ENOMEM, "out of memory");
        r->pending[r->npending++] = copy;
        return XPORTA_OK;
    }
    if (rec->kind != XPORTA_KIND_ROSTER || !rec->key)
        return XPORTA_OK;
    struct contact *v = realloc(r->v, (r->n + 1) * sizeof *v);
    if (!v)
        return xp_fail(&rs->j->err, XPORTA_ENOMEM, "out of memory");
    r->v = v;
    struct contact *c = &r->v[r->n];
    c->jid = xp_arena_strdup(&r->arena, rec->key);
    c->item = xp_elem_clone(&r->arena, rec->payload);
    c->sub = parse_sub(xporta_elem_attr(rec->payload, "subscription"));
    c->ask = xp_streq(xporta_elem_attr(rec->payload, "ask"), "subscribe");
    if (!c->jid || !c->item ||
        xp_map_put(&r->index, jid_key(c->jid), r->n + 1) < 0)
        return xp_fail(&rs->j->err, XPORTA_ENOMEM, "out of memory");
    r->n++;
    return XPORTA_OK;
}

/* Opens a session on `account` and reads its roster (and pending requests
 * with `pending`).  The job's per-kind states are left as they were. */
static xporta_status read_roster(xporta_job *j, struct live *l,
                                 const xporta_account *account,
                                 struct roster *r, bool pending)
{
    uint32_t kinds = 1u << XPORTA_KIND_ROSTER;
    if (pending)
        kinds |= 1u << XPORTA_KIND_PENDING;
    xporta_status st = live_open(l, j, account, kinds);
    struct roster_sink rs = {r, j};
    if (st == XPORTA_OK) {
        l->sink = roster_sink;
        l->sink_ud = &rs;
        l->presence_status = "xporta: moving to a new address";
        st = live_read_small(l);
    }
    if (st == XPORTA_OK &&
        j->kind[XPORTA_KIND_ROSTER].state == XPORTA_STATE_FAILED)
        st = xp_fail(
            &j->err, XPORTA_ESTANZA, "%s: the roster: %s", account->jid,
            j->kind[XPORTA_KIND_ROSTER].note ? j->kind[XPORTA_KIND_ROSTER].note
                                             : "could not be read");
    for (unsigned k = 0; k < XPORTA_KIND_COUNT; k++) {
        j->kind[k].state = XPORTA_STATE_NOT_ASKED;
        j->kind[k].count = 0;
        free(j->kind[k].note);
        j->kind[k].note = NULL;
    }
    return st;
}

static void report(xporta_job *j, const char *jid, xporta_contact_outcome o,
                   const char *fmt, ...) XP_PRINTF(4, 5);

static void report(xporta_job *j, const char *jid, xporta_contact_outcome o,
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

/* ---- announce: the statement ------------------------------------------------
 */

/* One owner request on the old account for the statement, waited for.
 * OK when the server accepted it.  A refusal is the job's error, "WHAT:
 * condition: text"; or, when the caller has another way (refused not
 * NULL), only *refused is set and nothing is recorded.  A lost session is
 * the session's error. */
static xporta_status statement_set(xporta_job *j, struct live *l,
                                   const xp_elem *payload, bool *refused,
                                   const char *what)
{
    if (refused)
        *refused = false;
    if (!payload)
        return xp_fail(&j->err, XPORTA_ENOMEM, "out of memory");
    struct call *c = live_call(l, "set", NULL, payload, 0);
    xporta_status st = live_wait1(l, c);
    if (st != XPORTA_OK)
        return st;
    if (live_fatal(c))
        return live_fatal_error(l, c, "moved statement");
    if (c->status == XPORTA_OK)
        return XPORTA_OK;
    if (refused) {
        *refused = true;
        return XPORTA_ESTANZA;
    }
    return xp_fail(&j->err, XPORTA_ESTANZA, "%s: %s%s%s", what,
                   c->cond ? c->cond : "error", c->text ? ": " : "",
                   c->text ? c->text : "");
}

/* The contacts who verify a move are those who approved the old account
 * (its "to" and "both" contacts).  With the whitelist they are the readers;
 * with the presence model, the "to"-only ones could not read without it
 * (Prosody honours the membership there, ejabberd does not). */
static xporta_status grant_readers(xporta_job *j, struct live *l,
                                   const struct roster *r)
{
    size_t i = 0;
    while (i < r->n) {
        xp_elem *affs =
            xp_elem_new(&l->arena, XP_NS_PUBSUB_OWNER, "affiliations");
        if (!affs ||
            !xp_elem_set_attr(&l->arena, affs, "", "node", XP_NS_MOVED))
            return xp_fail(&j->err, XPORTA_ENOMEM, "out of memory");
        size_t n = 0;
        for (; i < r->n && n < 200; i++) {
            if (!(r->v[i].sub & SUB_TO))
                continue;
            xp_elem *a = xp_elem_add_child(&l->arena, affs, XP_NS_PUBSUB_OWNER,
                                           "affiliation");
            if (!a || !xp_elem_set_attr(&l->arena, a, "", "jid", r->v[i].jid) ||
                !xp_elem_set_attr(&l->arena, a, "", "affiliation", "member"))
                return xp_fail(&j->err, XPORTA_ENOMEM, "out of memory");
            n++;
        }
        if (!n)
            break;
        xporta_status st = statement_set(
            j, l, xp_pep_affiliations_set(&l->arena, XP_NS_MOVED, affs), NULL,
            "the old server refused to let contacts read the moved statement "
            "(--moved-access open avoids this)");
        if (st != XPORTA_OK)
            return st;
        xp_arena_reset(&l->arena);
    }
    return XPORTA_OK;
}

/* Publishes the moved statement on the old account (session l). */
static xporta_status publish_statement(xporta_job *j, struct live *l,
                                       const char *new_jid,
                                       const struct roster *r)
{
    static const char *const models[] = {"whitelist", "presence", "open"};
    const char *am = models[j->moved_access];
    job_progress(j, "statement", XPORTA_KIND_COUNT, 0, 0, -1, 0, new_jid, true);
    bool refused = false;
    xporta_status st =
        statement_set(j, l, xp_moved_create(&l->arena, am), &refused,
                      "the old server refused to create the moved node");
    if (refused) {
        /* The node exists (an earlier move, or a server that creates nodes
         * on its own): give it the access model asked for. */
        char what[128];
        snprintf(what, sizeof what,
                 "the old server refused the moved node's configuration "
                 "(access model %s)",
                 am);
        st = statement_set(j, l, xp_moved_configure(&l->arena, am), NULL, what);
    }
    if (st != XPORTA_OK)
        return st;
    const xp_elem *item = xp_moved_item(&l->arena, new_jid);
    st = statement_set(
        j, l, item ? xp_pep_publish(&l->arena, XP_NS_MOVED, item, NULL) : NULL,
        NULL, "the old server refused the moved statement");
    if (st != XPORTA_OK)
        return st;
    xp_arena_reset(&l->arena);
    return j->moved_access == XPORTA_MOVED_OPEN ? XPORTA_OK
                                                : grant_readers(j, l, r);
}

/* ---- announce: the requests
 * --------------------------------------------------
 */

struct ann {
    xporta_job *j;
    struct xfer_journal *jr;
    struct live *l;
    struct roster *old_r, *new_r;
    const char *old_jid;
    double rate;    /* stanzas per minute */
    double next_at; /* when the next stanza may go */
    double last_bounce;
    bool rate_limited; /* a bounce said "too many" */
    /* contacts to ask again (bounced in this run) */
    const char **retry;
    size_t nretry;
    struct xp_arena scratch;
};

static bool rate_limit_condition(const char *cond)
{
    return xp_streq(cond, "policy-violation") ||
           xp_streq(cond, "resource-constraint") ||
           xp_streq(cond, "not-acceptable");
}

/* The attempt number for a contact: 1 + the bounces journaled. */
static unsigned attempt_of(struct ann *a, const char *jid)
{
    unsigned k = 1;
    char id[16];
    for (;;) {
        snprintf(id, sizeof id, "%u", k);
        if (!xfer_journal_is_done(a->jr, "bounce", jid, id))
            return k;
        k++;
    }
}

/* A presence error from a contact: the request bounced. */
static void ann_presence(void *ud, const xp_elem *p)
{
    struct ann *a = ud;
    if (!xp_streq(xporta_elem_attr(p, "type"), "error"))
        return;
    const char *from = xporta_elem_attr(p, "from");
    const char *bare = from ? xp_jid_bare(&a->scratch, from) : NULL;
    const struct contact *c = bare ? roster_find(a->old_r, bare) : NULL;
    if (!c)
        return;
    unsigned k = attempt_of(a, c->jid);
    char id[16];
    snprintf(id, sizeof id, "%u", k);
    if (!xfer_journal_is_started(a->jr, "announce", c->jid, id))
        return; /* not ours, or already counted */
    const xp_elem *err = xp_elem_child(p, NULL, "error");
    const char *cond = NULL;
    for (const xp_elem *e = err ? xp_elem_first_element(err) : NULL; e;
         e = xp_elem_next_element(e))
        if (xp_streq(e->ns, XP_NS_STANZAS) && strcmp(e->name, "text") != 0) {
            cond = e->name;
            break;
        }
    if (xfer_journal_done_sync(a->jr, "bounce", c->jid, id) != XPORTA_OK) {
        xp_fail(&a->j->err, XPORTA_EIO, "%s", xfer_journal_error(a->jr));
        return;
    }
    if (rate_limit_condition(cond)) {
        a->rate_limited = true;
        a->last_bounce = job_now();
        const char **v = realloc(a->retry, (a->nretry + 1) * sizeof *v);
        if (v) {
            a->retry = v;
            a->retry[a->nretry++] = c->jid;
        }
    } else {
        report(a->j, c->jid, XPORTA_CONTACT_BOUNCED,
               "the server refused the request: %s", cond ? cond : "error");
    }
}

/* Waits, keeping the session alive, until `t` (job_now() seconds). */
static xporta_status wait_until(struct ann *a, double t)
{
    while (job_now() < t) {
        if (a->j->cancel)
            return xp_fail(&a->j->err, XPORTA_ECANCELED,
                           "interrupted; run the same command again to "
                           "resume (no request is sent twice)");
        double left = (t - job_now()) * 1000;
        xporta_status st =
            xp_session_run(a->l->s, left > 200 ? 200 : (unsigned)left + 1);
        if (st == XPORTA_EDISCONNECTED)
            return xp_fail(&a->j->err, st, "connection lost: %s",
                           xp_session_error(a->l->s));
        if (a->j->err.status != XPORTA_OK)
            return a->j->err.status;
    }
    return XPORTA_OK;
}

/* Sends one presence stanza at the rate allowed. */
static xporta_status send_paced(struct ann *a, xp_elem *p)
{
    if (!p)
        return xp_fail(&a->j->err, XPORTA_ENOMEM, "out of memory");
    xporta_status st = wait_until(a, a->next_at);
    if (st != XPORTA_OK)
        return st;
    st = xp_session_send(a->l->s, p);
    if (st != XPORTA_OK)
        return xp_fail(&a->j->err, st, "cannot send: %s",
                       xp_session_error(a->l->s));
    double now = job_now();
    a->next_at = (a->next_at > now ? a->next_at : now) + 60.0 / a->rate;
    return XPORTA_OK;
}

static void roster_set_done(struct xp_session *s, const struct xp_iq_reply *r,
                            void *ud)
{
    (void)s;
    (void)r;
    (void)ud; /* a refusal shows in the report of the import, not here */
}

struct sent {
    struct ann *a;
    const char *jid, *id;
};

static void sent_done(struct xp_session *s, const struct xp_iq_reply *r,
                      void *ud)
{
    struct sent *sd = ud;
    (void)s;
    if (r->status != XPORTA_OK && r->status != XPORTA_ESTANZA)
        return; /* no answer: the next run asks the server */
    if (sd->a->jr &&
        xfer_journal_done(sd->a->jr, "announce", sd->jid, sd->id) != XPORTA_OK)
        xp_fail(&sd->a->j->err, XPORTA_EIO, "%s",
                xfer_journal_error(sd->a->jr));
}

/* Asks one old contact for a subscription of the new address. */
static xporta_status ask_contact(struct ann *a, const struct contact *c,
                                 bool again)
{
    xporta_job *j = a->j;
    const struct contact *now = roster_find(a->new_r, c->jid);
    unsigned have = now ? now->sub : 0;
    /* Contacts who approved the old address (to, both) get the notice;
     * one who only followed it (from) gets a plain request, the only way
     * to learn of the new address; one the old address had asked, too.
     * Those who then ask back are approved by approve_followers. */
    bool want = c->sub != 0 || c->ask;
    bool moved = (c->sub & SUB_TO) != 0;
    if (!want) {
        report(j, c->jid, XPORTA_CONTACT_SKIPPED,
               "no subscription either way with the old address");
        return XPORTA_OK;
    }
    if ((have & SUB_TO) || (now && now->ask)) {
        report(j, c->jid, XPORTA_CONTACT_ALREADY, "the new address already %s",
               (have & SUB_TO) ? "has their approval" : "asked them");
        return XPORTA_OK;
    }
    unsigned k = attempt_of(a, c->jid);
    char id[16];
    snprintf(id, sizeof id, "%u", k);
    /* Journaled as started before anything is sent, as done once the
     * server has handled it.  A start without its done is a run that
     * stopped in between: the new roster shows no request (it was checked
     * above), so it never left and is sent now. */
    if (xfer_journal_is_done(a->jr, "announce", c->jid, id)) {
        report(j, c->jid, XPORTA_CONTACT_EARLIER,
               "asked by an earlier run (never twice)");
        return XPORTA_OK;
    }
    struct xp_arena *ar = &a->scratch;
    xp_arena_reset(ar);
    /* The item first, so the request shows the old name and groups. */
    if (!now) {
        xp_elem *set = xp_roster_set(ar, c->item);
        if (set)
            xp_session_iq(a->l->s, "set", NULL, set, 0, roster_set_done, NULL);
    }
    xporta_status st = xfer_journal_start(a->jr, "announce", c->jid, id);
    if (st != XPORTA_OK)
        return xp_fail(&j->err, XPORTA_EIO, "%s", xfer_journal_error(a->jr));
    st = send_paced(
        a, xp_presence(ar, "subscribe", c->jid, moved ? a->old_jid : NULL));
    /* Done once the server has handled it: a ping behind it is answered
     * after (one stream, in order). */
    if (st == XPORTA_OK) {
        struct sent *sd = xp_arena_alloc(&a->l->calls, sizeof *sd);
        char *jid = sd ? xp_arena_strdup(&a->l->calls, c->jid) : NULL;
        char *sid = sd ? xp_arena_strdup(&a->l->calls, id) : NULL;
        if (!jid || !sid)
            return xp_fail(&j->err, XPORTA_ENOMEM, "out of memory");
        sd->a = a;
        sd->jid = jid;
        sd->id = sid;
        st = xp_session_iq(a->l->s, "get", a->l->domain,
                           xp_elem_new(ar, "urn:xmpp:ping", "ping"), 0,
                           sent_done, sd);
        if (st != XPORTA_OK)
            st = xp_fail(&j->err, st, "cannot send: %s",
                         xp_session_error(a->l->s));
    }
    if (st != XPORTA_OK)
        return st;
    if (again)
        report(j, c->jid, XPORTA_CONTACT_AGAIN,
               "asked again, slower (the server had refused it for going "
               "too fast)");
    else if (moved)
        report(j, c->jid, XPORTA_CONTACT_MOVED,
               "asked with the moved notice (old subscription %s)",
               sub_name(c->sub));
    else
        report(j, c->jid, XPORTA_CONTACT_ASKED, "asked without the notice: %s",
               c->sub ? "they never approved the old address, only followed "
                        "it"
                      : "the old address had asked them");
    job_progress(j, "announce", XPORTA_KIND_COUNT, j->mc.moved + j->mc.asked,
                 a->old_r->n, -1, a->rate, c->jid, false);
    return XPORTA_OK;
}

/* A ping to every contact's server: their answers come after any bounce of
 * what was sent before (one connection, in order). */
static xporta_status flush_bounces(struct ann *a)
{
    struct xp_set seen;
    xp_set_init(&seen, 0);
    struct call *calls[BATCH];
    size_t n = 0;
    xporta_status st = XPORTA_OK;
    for (size_t i = 0; i <= a->old_r->n && st == XPORTA_OK; i++) {
        if (i < a->old_r->n) {
            const char *dom = strchr(a->old_r->v[i].jid, '@');
            dom = dom ? dom + 1 : a->old_r->v[i].jid;
            if (xp_set_add(&seen, xp_key_hash("dom", dom)) != 1)
                continue;
            calls[n++] =
                live_call(a->l, "get", dom,
                          xp_elem_new(&a->l->arena, "urn:xmpp:ping", "ping"),
                          FLUSH_TIMEOUT_MS);
        }
        if (n == BATCH || (i == a->old_r->n && n)) {
            st = live_wait(a->l, calls, n);
            n = 0;
        }
    }
    xp_set_cleanup(&seen);
    xp_arena_reset(&a->l->arena);
    return st;
}

static xporta_status ask_all(struct ann *a)
{
    xporta_status st = XPORTA_OK;
    for (size_t i = 0; i < a->old_r->n && st == XPORTA_OK; i++) {
        const struct contact *c = &a->old_r->v[i];
        if (xp_streq(c->jid, a->old_jid) || xp_streq(c->jid, a->j->target->jid))
            continue;
        st = ask_contact(a, c, false);
    }
    if (st == XPORTA_OK)
        st = flush_bounces(a);
    /* Contacts whose request bounced for sending too fast: again, slower,
     * after the server's interval. */
    for (unsigned round = 0; st == XPORTA_OK && a->nretry && round < MAX_ROUNDS;
         round++) {
        if (a->rate > SLOW_RATE)
            a->rate = SLOW_RATE;
        job_progress(a->j, "announce", XPORTA_KIND_COUNT, 0, a->nretry, -1,
                     a->rate,
                     "the server limits subscription requests: waiting a "
                     "minute, then slower",
                     true);
        st = wait_until(a, a->last_bounce + RETRY_PAUSE_MS / 1000.0);
        const char **again = a->retry;
        size_t n = a->nretry;
        a->retry = NULL;
        a->nretry = 0;
        a->next_at = job_now();
        for (size_t i = 0; i < n && st == XPORTA_OK; i++)
            st = ask_contact(a, roster_find(a->old_r, again[i]), true);
        free(again);
        if (st == XPORTA_OK)
            st = flush_bounces(a);
    }
    for (size_t i = 0; i < a->nretry; i++)
        report(a->j, a->retry[i], XPORTA_CONTACT_BOUNCED,
               "the server still limits subscription requests; run again "
               "later (use a lower --rate)");
    return st;
}

/* Contacts who followed the old address and now ask to follow the new
 * one (after a move, or answering our request): approved, as the old
 * address had approved them.  Pre-approval (RFC 6121 §3.4) would do this
 * by itself, but neither Prosody 0.12 nor ejabberd 23.01 offers it, so a
 * later run of announce approves those who asked meanwhile. */
static xporta_status approve_followers(struct ann *a)
{
    xporta_status st = XPORTA_OK;
    for (size_t i = 0; i < a->new_r->npending && st == XPORTA_OK; i++) {
        const char *from = xporta_elem_attr(a->new_r->pending[i], "from");
        const struct contact *c = roster_find(a->old_r, from);
        if (!c || !(c->sub & SUB_FROM))
            continue; /* not ours to decide: left for the user */
        st =
            send_paced(a, xp_presence(&a->scratch, "subscribed", c->jid, NULL));
        if (st == XPORTA_OK) {
            a->j->mc.approved++;
            if (a->j->contact_cb)
                a->j->contact_cb(a->j->contact_ud, c->jid,
                                 XPORTA_CONTACT_APPROVED,
                                 "asked to follow the new address, as they "
                                 "followed the old one: approved");
        }
    }
    return st;
}

/* Both steps; `jr` is the job's journal (announce's own, or migrate's). */
xporta_status announce_into(xporta_job *j, struct xfer_journal *jr)
{
    struct roster old_r, new_r;
    roster_init(&old_r);
    roster_init(&new_r);
    struct live l;
    memset(&l, 0, sizeof l);
    bool open = false;
    memset(&j->mc, 0, sizeof j->mc);

    /* The journal is per (OLD, NEW): whom it asked counts whatever the
     * options of a later run.  The statement is journaled with its access
     * model, so that a run with another one publishes it again. */
    size_t n = strlen(j->target->jid) + 32;
    char *stmt = malloc(n);
    if (!stmt)
        return xp_fail(&j->err, XPORTA_ENOMEM, "out of memory");
    snprintf(stmt, n, "%s access=%u", j->target->jid,
             (unsigned)j->moved_access);
    j->step = "announce";
    xporta_status st = read_roster(j, &l, j->account, &old_r, false);
    open = true;
    if (st == XPORTA_OK &&
        !xfer_journal_is_done(jr, "moved", "statement", stmt)) {
        st = publish_statement(j, &l, j->target->jid, &old_r);
        if (st == XPORTA_OK &&
            xfer_journal_done_sync(jr, "moved", "statement", stmt) != XPORTA_OK)
            st = xp_fail(&j->err, XPORTA_EIO, "%s", xfer_journal_error(jr));
    }
    free(stmt);
    live_close(&l);
    open = false;
    if (st == XPORTA_OK) {
        st = read_roster(j, &l, j->target, &new_r, true);
        open = true;
    }
    if (st == XPORTA_OK) {
        struct ann a;
        memset(&a, 0, sizeof a);
        a.j = j;
        a.jr = jr;
        a.l = &l;
        a.old_r = &old_r;
        a.new_r = &new_r;
        a.old_jid = j->account->jid;
        a.rate = j->rate ? j->rate : 30;
        a.next_at = job_now();
        xp_arena_init(&a.scratch, (size_t)XP_MAX_RECORD_BYTES * 2);
        l.on_presence = ann_presence;
        l.on_presence_ud = &a;
        st = approve_followers(&a);
        if (st == XPORTA_OK)
            st = ask_all(&a);
        l.on_presence = NULL;
        if (st == XPORTA_OK)
            st = xfer_journal_sync(jr) == XPORTA_OK
                     ? XPORTA_OK
                     : xp_fail(&j->err, XPORTA_EIO, "%s",
                               xfer_journal_error(jr));
        if (open)
            live_close(&l); /* callbacks may still use `a` */
        open = false;
        free(a.retry);
        xp_arena_cleanup(&a.scratch);
    }
    if (open)
        live_close(&l);
    roster_cleanup(&old_r);
    roster_cleanup(&new_r);
    if (st == XPORTA_OK && j->mc.bounced)
        st = xp_fail(&j->err, XPORTA_ESTANZA,
                     "%llu request(s) bounced (listed above); running the "
                     "same command again asks those contacts again",
                     (unsigned long long)j->mc.bounced);
    return st;
}

static char *announce_header(const xporta_job *j)
{
    size_t n = strlen(j->account->jid) + strlen(j->target->jid) + 64;
    char *h = malloc(n);
    if (h)
        snprintf(h, n, "announce 2 old=%s new=%s", j->account->jid,
                 j->target->jid);
    return h;
}

xporta_status announce_after_migrate(xporta_job *j,
                                     struct xfer_journal *fallback)
{
    /* Not migrate's journal, which goes when the migrate ends: the
     * contacts asked now must count as "asked earlier" for the announce
     * the user runs days later, or those who declined are asked again. */
    char *header = announce_header(j);
    if (!header)
        return xp_fail(&j->err, XPORTA_ENOMEM, "out of memory");
    char *dir = xfer_state_dir(header);
    xporta_status st;
    if (!dir) {
        st = announce_into(j, fallback);
    } else {
        struct xfer_journal *jr = NULL;
        st = xfer_journal_open(&jr, dir, header, NULL, &j->err);
        if (st == XPORTA_OK)
            st = announce_into(j, jr);
        if (st != XPORTA_OK && jr && xfer_journal_steps(jr) == 0)
            xfer_journal_finish(jr); /* nothing was asked: no directory */
        xfer_journal_close(jr);
    }
    free(dir);
    free(header);
    return st;
}

xporta_status announce_run(xporta_job *j)
{
    if (strcmp(j->account->jid, j->target->jid) == 0)
        return xp_fail(&j->err, XPORTA_EINVAL,
                       "the old and the new address are the same (%s)",
                       j->account->jid);
    char *header = announce_header(j);
    if (!header)
        return xp_fail(&j->err, XPORTA_ENOMEM, "out of memory");
    free(j->state_dir_used);
    j->state_dir_used =
        j->state_dir ? xp_strdup(j->state_dir) : xfer_state_dir(header);
    struct xfer_journal *jr = NULL;
    xporta_status st =
        j->state_dir_used
            ? xfer_journal_open(&jr, j->state_dir_used, header, &j->resumed,
                                &j->err)
            : xp_fail(
                  &j->err, XPORTA_EINVAL,
                  "no state directory: set HOME or give one with --state-dir");
    if (st == XPORTA_OK)
        st = announce_into(j, jr);
    /* The journal stays: it is what keeps a later run from asking anyone
     * twice (a rerun reports them as asked earlier).  Unless the run
     * stopped before recording anything (a wrong password). */
    if (st != XPORTA_OK)
        job_forget_unstarted(j, jr, 0);
    xfer_journal_close(jr);
    free(header);
    return st;
}

/* ---- follow
 * -------------------------------------------------------------------
 */

struct fol {
    xporta_job *j;
    struct live *l;
    struct roster *r;
    struct xp_arena scratch;
    /* new JID (hash) -> position + 1 in r of the old contact whose
     * statement names it; filled on demand for requests without <moved/> */
    struct xp_map by_new;
    bool scanned;
    /* requests that arrived while watching */
    xp_elem **queue;
    size_t nqueue;
    struct xp_set handled; /* requesters already followed or reported */
};

/* Fetches the old account's statement: the new JID it names, or NULL with
 * *why set. */
static const char *fetch_statement(struct fol *f, const char *old_jid,
                                   const char **why)
{
    struct call *c =
        live_call(f->l, "get", old_jid, xp_moved_query(&f->l->arena), 0);
    if (live_wait1(f->l, c) != XPORTA_OK) {
        *why = "interrupted";
        return NULL;
    }
    const char *nj = c->iq ? xp_moved_new_jid(&f->scratch, c->iq) : NULL;
    if (!nj) {
        *why = c->status == XPORTA_OK ? "the old address has no moved statement"
               : c->cond              ? c->cond
                                      : xporta_strerror(c->status);
    }
    return nj;
}

/* Reads every from/both contact's statement, so that a request without
 * <moved/> can be matched to the old contact who names the requester. */
static xporta_status scan_statements(struct fol *f)
{
    f->scanned = true;
    struct call *calls[BATCH];
    size_t at[BATCH];
    size_t n = 0;
    xporta_status st = XPORTA_OK;
    for (size_t i = 0; i <= f->r->n && st == XPORTA_OK; i++) {
        if (i < f->r->n) {
            if (!(f->r->v[i].sub & SUB_FROM))
                continue;
            at[n] = i;
            calls[n++] = live_call(f->l, "get", f->r->v[i].jid,
                                   xp_moved_query(&f->l->arena), 0);
        }
        if (n == BATCH || (i == f->r->n && n)) {
            st = live_wait(f->l, calls, n);
            for (size_t k = 0; st == XPORTA_OK && k < n; k++) {
                const char *nj =
                    calls[k]->iq ? xp_moved_new_jid(&f->scratch, calls[k]->iq)
                                 : NULL;
                if (nj && xp_map_put(&f->by_new, jid_key(nj), at[k] + 1) < 0)
                    st = xp_fail(&f->j->err, XPORTA_ENOMEM, "out of memory");
            }
            xp_arena_reset(&f->l->arena);
            n = 0;
        }
    }
    return st;
}

static xporta_status send_now(struct fol *f, xp_elem *p)
{
    if (!p)
        return xp_fail(&f->j->err, XPORTA_ENOMEM, "out of memory");
    xporta_status st = xp_session_send(f->l->s, p);
    return st == XPORTA_OK ? st
                           : xp_fail(&f->j->err, st, "cannot send: %s",
                                     xp_session_error(f->l->s));
}

/* One subscription request: follow it, or leave it with the reason. */
static xporta_status follow_one(struct fol *f, const xp_elem *presence)
{
    xporta_job *j = f->j;
    xp_arena_reset(&f->scratch);
    const char *from = xporta_elem_attr(presence, "from");
    const char *req = from ? xp_jid_bare(&f->scratch, from) : NULL;
    if (!req || xp_set_has(&f->handled, jid_key(req)))
        return XPORTA_OK;
    xp_set_add(&f->handled, jid_key(req));
    const char *old = xp_moved_old_jid(&f->scratch, presence);
    const struct contact *oc = NULL;
    if (old) {
        oc = roster_find(f->r, old);
    } else {
        if (!f->scanned) {
            xporta_status st = scan_statements(f);
            if (st != XPORTA_OK)
                return st;
        }
        uint64_t at;
        if (!xp_map_get(&f->by_new, jid_key(req), &at)) {
            report(j, req, XPORTA_CONTACT_LEFT,
                   "an ordinary request: no moved notice, and none of your "
                   "contacts says they moved there; left for you to answer");
            return XPORTA_OK;
        }
        oc = &f->r->v[at - 1];
        old = oc->jid;
    }
    if (!oc || !(oc->sub & SUB_FROM)) {
        report(j, req, XPORTA_CONTACT_LEFT,
               "claims to be %s, whom you never approved (%s); left for you "
               "to answer",
               old, oc ? sub_name(oc->sub) : "not in your roster");
        return XPORTA_OK;
    }
    const char *why = NULL;
    const char *nj = fetch_statement(f, old, &why);
    if (!nj) {
        if (j->cancel || j->err.status != XPORTA_OK)
            return j->err.status ? j->err.status : XPORTA_ECANCELED;
        report(j, req, XPORTA_CONTACT_LEFT,
               "claims to be %s, but %s does not confirm it (%s); left for "
               "you to answer",
               old, old, why);
        return XPORTA_OK;
    }
    if (strcmp(nj, req) != 0) {
        report(j, req, XPORTA_CONTACT_LEFT,
               "claims to be %s, but %s says it moved to %s; left for you to "
               "answer",
               old, old, nj);
        return XPORTA_OK;
    }
    /* Verified: the new address gets what the old one had. */
    struct xp_arena *ar = &f->scratch;
    const struct contact *known = roster_find(f->r, req);
    if (!known) {
        xp_elem *item = xp_elem_clone(ar, oc->item);
        if (item) {
            xp_elem_remove_attr(item, "", "subscription");
            xp_elem_remove_attr(item, "", "ask");
            xp_elem_set_attr(ar, item, "", "jid", req);
        }
        struct call *c = live_call(f->l, "set", NULL,
                                   item ? xp_roster_set(ar, item) : NULL, 0);
        xporta_status st = live_wait1(f->l, c);
        if (st != XPORTA_OK)
            return st;
    }
    xporta_status st = send_now(f, xp_presence(ar, "subscribed", req, NULL));
    if (st == XPORTA_OK && (oc->sub & SUB_TO) &&
        !(known && (known->sub & SUB_TO)))
        st = send_now(f, xp_presence(ar, "subscribe", req, NULL));
    if (st == XPORTA_OK && j->remove_old) {
        xp_elem *q = xp_elem_new(ar, XP_NS_ROSTER, "query");
        xp_elem *it = q ? xp_elem_add_child(ar, q, XP_NS_ROSTER, "item") : NULL;
        if (it && xp_elem_set_attr(ar, it, "", "jid", old) &&
            xp_elem_set_attr(ar, it, "", "subscription", "remove")) {
            struct call *c = live_call(f->l, "set", NULL, q, 0);
            st = live_wait1(f->l, c);
        }
    }
    if (st != XPORTA_OK)
        return st;
    const char *name = xporta_elem_attr(oc->item, "name");
    report(j, req, XPORTA_CONTACT_FOLLOWED,
           "verified move from %s%s%s%s: approved%s%s", old, name ? " (\"" : "",
           name ? name : "", name ? "\")" : "",
           (oc->sub & SUB_TO) ? ", asked back" : "",
           j->remove_old ? ", old address removed" : "");
    return XPORTA_OK;
}

static void fol_presence(void *ud, const xp_elem *p)
{
    struct fol *f = ud;
    if (!xp_streq(xporta_elem_attr(p, "type"), "subscribe"))
        return;
    xp_elem **v = realloc(f->queue, (f->nqueue + 1) * sizeof *v);
    xp_elem *copy = v ? xp_elem_clone(&f->r->arena, p) : NULL;
    if (v)
        f->queue = v;
    if (copy)
        f->queue[f->nqueue++] = copy;
}

xporta_status follow_run(xporta_job *j)
{
    struct roster r;
    roster_init(&r);
    struct live l;
    memset(&l, 0, sizeof l);
    memset(&j->mc, 0, sizeof j->mc);
    j->step = "follow";
    xporta_status st = read_roster(j, &l, j->account, &r, true);
    struct fol f;
    memset(&f, 0, sizeof f);
    f.j = j;
    f.l = &l;
    f.r = &r;
    xp_arena_init(&f.scratch, 0);
    xp_map_init(&f.by_new);
    xp_set_init(&f.handled, 0);
    for (size_t i = 0; st == XPORTA_OK && i < r.npending; i++)
        st = follow_one(&f, r.pending[i]);
    if (st == XPORTA_OK && j->watch) {
        /* Stay available (priority -1: no message is delivered to us) and
         * handle requests as they come, until cancelled. */
        l.on_presence = fol_presence;
        l.on_presence_ud = &f;
        xp_elem *p = xp_elem_new(&f.scratch, XP_NS_CLIENT, "presence");
        if (!p || !xp_elem_add_text_child(&f.scratch, p, XP_NS_CLIENT,
                                          "priority", "-1"))
            st = xp_fail(&j->err, XPORTA_ENOMEM, "out of memory");
        else
            st = send_now(&f, p);
        job_progress(j, "watch", XPORTA_KIND_COUNT, 0, 0, -1, 0,
                     "waiting for subscription requests (Ctrl-C ends)", true);
        while (st == XPORTA_OK && !j->cancel) {
            st = xp_session_run(l.s, 200);
            if (st == XPORTA_EDISCONNECTED) {
                st = xp_fail(&j->err, st, "connection lost: %s",
                             xp_session_error(l.s));
                break;
            }
            st = XPORTA_OK;
            while (st == XPORTA_OK && f.nqueue) {
                xp_elem *next = f.queue[0];
                memmove(f.queue, f.queue + 1, (f.nqueue - 1) * sizeof *f.queue);
                f.nqueue--;
                st = follow_one(&f, next);
            }
        }
        l.on_presence = NULL;
    }
    live_close(&l);
    free(f.queue);
    xp_arena_cleanup(&f.scratch);
    xp_map_cleanup(&f.by_new);
    xp_set_cleanup(&f.handled);
    roster_cleanup(&r);
    return st;
}
