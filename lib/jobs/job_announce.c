/*
 * XEP-0283 Moved: the moving account's side (announce).
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
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../transfer/xfer.h"
#include "job_moved_p.h"

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
        return xp_fail(&j->r.err, XPORTA_ENOMEM, "out of memory");
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
    return xp_fail(&j->r.err, XPORTA_ESTANZA, "%s: %s%s%s", what,
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
            return xp_fail(&j->r.err, XPORTA_ENOMEM, "out of memory");
        size_t n = 0;
        for (; i < r->n && n < 200; i++) {
            if (!(r->v[i].sub & SUB_TO))
                continue;
            xp_elem *a = xp_elem_add_child(&l->arena, affs, XP_NS_PUBSUB_OWNER,
                                           "affiliation");
            if (!a || !xp_elem_set_attr(&l->arena, a, "", "jid", r->v[i].jid) ||
                !xp_elem_set_attr(&l->arena, a, "", "affiliation", "member"))
                return xp_fail(&j->r.err, XPORTA_ENOMEM, "out of memory");
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
    xp_run_progress(&j->r, "statement", XPORTA_KIND_COUNT, 0, 0, -1, 0, new_jid,
                    true);
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
    const struct contact *c = bare ? moved_roster_find(a->old_r, bare) : NULL;
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
        xp_fail(&a->j->r.err, xfer_journal_status(a->jr), "%s",
                xfer_journal_error(a->jr));
        return;
    }
    if (rate_limit_condition(cond)) {
        a->rate_limited = true;
        a->last_bounce = xp_now();
        const char **v = realloc(a->retry, (a->nretry + 1) * sizeof *v);
        if (v) {
            a->retry = v;
            a->retry[a->nretry++] = c->jid;
        }
    } else {
        moved_report(a->j, c->jid, XPORTA_CONTACT_BOUNCED,
                     "the server refused the request: %s",
                     cond ? cond : "error");
    }
}

/* Waits, keeping the session alive, until `t` (xp_now() seconds). */
static xporta_status wait_until(struct ann *a, double t)
{
    while (xp_now() < t) {
        if (a->j->r.cancel)
            return xp_fail(&a->j->r.err, XPORTA_ECANCELED,
                           "interrupted; run the same command again to "
                           "resume (no request is sent twice)");
        double left = (t - xp_now()) * 1000;
        xporta_status st =
            xp_session_run(a->l->s, left > 200 ? 200 : (unsigned)left + 1);
        if (st == XPORTA_EDISCONNECTED)
            return xp_fail(&a->j->r.err, st, "connection lost: %s",
                           xp_session_error(a->l->s));
        if (a->j->r.err.status != XPORTA_OK)
            return a->j->r.err.status;
    }
    return XPORTA_OK;
}

/* Sends one presence stanza at the rate allowed. */
static xporta_status send_paced(struct ann *a, xp_elem *p)
{
    if (!p)
        return xp_fail(&a->j->r.err, XPORTA_ENOMEM, "out of memory");
    xporta_status st = wait_until(a, a->next_at);
    if (st != XPORTA_OK)
        return st;
    st = xp_session_send(a->l->s, p);
    if (st != XPORTA_OK)
        return xp_fail(&a->j->r.err, st, "cannot send: %s",
                       xp_session_error(a->l->s));
    double now = xp_now();
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
        xp_fail(&sd->a->j->r.err, xfer_journal_status(sd->a->jr), "%s",
                xfer_journal_error(sd->a->jr));
}

/* Asks one old contact for a subscription of the new address. */
static xporta_status ask_contact(struct ann *a, const struct contact *c,
                                 bool again)
{
    xporta_job *j = a->j;
    const struct contact *now = moved_roster_find(a->new_r, c->jid);
    unsigned have = now ? now->sub : 0;
    /* Contacts who approved the old address (to, both) get the notice;
     * one who only followed it (from) gets a plain request, the only way
     * to learn of the new address; one the old address had asked, too.
     * Those who then ask back are approved by approve_followers. */
    bool want = c->sub != 0 || c->ask;
    bool moved = (c->sub & SUB_TO) != 0;
    if (!want) {
        moved_report(j, c->jid, XPORTA_CONTACT_SKIPPED,
                     "no subscription either way with the old address");
        return XPORTA_OK;
    }
    if ((have & SUB_TO) || (now && now->ask)) {
        moved_report(j, c->jid, XPORTA_CONTACT_ALREADY,
                     "the new address already %s",
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
        moved_report(j, c->jid, XPORTA_CONTACT_EARLIER,
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
        return xp_fail(&j->r.err, xfer_journal_status(a->jr), "%s",
                       xfer_journal_error(a->jr));
    st = send_paced(
        a, xp_presence(ar, "subscribe", c->jid, moved ? a->old_jid : NULL));
    /* Done once the server has handled it: a ping behind it is answered
     * after (one stream, in order). */
    if (st == XPORTA_OK) {
        struct sent *sd = xp_arena_alloc(&a->l->calls, sizeof *sd);
        char *jid = sd ? xp_arena_strdup(&a->l->calls, c->jid) : NULL;
        char *sid = sd ? xp_arena_strdup(&a->l->calls, id) : NULL;
        if (!jid || !sid)
            return xp_fail(&j->r.err, XPORTA_ENOMEM, "out of memory");
        sd->a = a;
        sd->jid = jid;
        sd->id = sid;
        st = xp_session_iq(a->l->s, "get", a->l->domain,
                           xp_elem_new(ar, "urn:xmpp:ping", "ping"), 0,
                           sent_done, sd);
        if (st != XPORTA_OK)
            st = xp_fail(&j->r.err, st, "cannot send: %s",
                         xp_session_error(a->l->s));
    }
    if (st != XPORTA_OK)
        return st;
    if (again)
        moved_report(j, c->jid, XPORTA_CONTACT_AGAIN,
                     "asked again, slower (the server had refused it for going "
                     "too fast)");
    else if (moved)
        moved_report(j, c->jid, XPORTA_CONTACT_MOVED,
                     "asked with the moved notice (old subscription %s)",
                     moved_sub_name(c->sub));
    else
        moved_report(
            j, c->jid, XPORTA_CONTACT_ASKED, "asked without the notice: %s",
            c->sub ? "they never approved the old address, only followed "
                     "it"
                   : "the old address had asked them");
    xp_run_progress(&j->r, "announce", XPORTA_KIND_COUNT,
                    j->mc.moved + j->mc.asked, a->old_r->n, -1, a->rate, c->jid,
                    false);
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
        if (moved_jid_eq(c->jid, a->old_jid) ||
            moved_jid_eq(c->jid, a->j->target->jid))
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
        xp_run_progress(&a->j->r, "announce", XPORTA_KIND_COUNT, 0, a->nretry,
                        -1, a->rate,
                        "the server limits subscription requests: waiting a "
                        "minute, then slower",
                        true);
        st = wait_until(a, a->last_bounce + RETRY_PAUSE_MS / 1000.0);
        const char **again = a->retry;
        size_t n = a->nretry;
        a->retry = NULL;
        a->nretry = 0;
        a->next_at = xp_now();
        for (size_t i = 0; i < n && st == XPORTA_OK; i++)
            st = ask_contact(a, moved_roster_find(a->old_r, again[i]), true);
        free(again);
        if (st == XPORTA_OK)
            st = flush_bounces(a);
    }
    for (size_t i = 0; i < a->nretry; i++)
        moved_report(a->j, a->retry[i], XPORTA_CONTACT_BOUNCED,
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
        const struct contact *c = moved_roster_find(a->old_r, from);
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
static xporta_status announce_into(xporta_job *j, struct xfer_journal *jr)
{
    struct roster old_r, new_r;
    moved_roster_init(&old_r);
    moved_roster_init(&new_r);
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
        return xp_fail(&j->r.err, XPORTA_ENOMEM, "out of memory");
    snprintf(stmt, n, "%s access=%u", j->target->jid,
             (unsigned)j->moved_access);
    j->r.step = "announce";
    xporta_status st = moved_read_roster(j, &l, j->account, &old_r, false);
    open = true;
    if (st == XPORTA_OK &&
        !xfer_journal_is_done(jr, "moved", "statement", stmt)) {
        st = publish_statement(j, &l, j->target->jid, &old_r);
        if (st == XPORTA_OK &&
            xfer_journal_done_sync(jr, "moved", "statement", stmt) != XPORTA_OK)
            st = xp_fail(&j->r.err, xfer_journal_status(jr), "%s",
                         xfer_journal_error(jr));
    }
    free(stmt);
    live_close(&l);
    open = false;
    if (st == XPORTA_OK) {
        st = moved_read_roster(j, &l, j->target, &new_r, true);
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
        a.next_at = xp_now();
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
                     : xp_fail(&j->r.err, xfer_journal_status(jr), "%s",
                               xfer_journal_error(jr));
        if (open)
            live_close(&l); /* callbacks may still use `a` */
        open = false;
        free(a.retry);
        xp_arena_cleanup(&a.scratch);
    }
    if (open)
        live_close(&l);
    moved_roster_cleanup(&old_r);
    moved_roster_cleanup(&new_r);
    if (st == XPORTA_OK && j->mc.bounced)
        st = xp_fail(&j->r.err, XPORTA_ESTANZA,
                     "%llu request(s) bounced, each reported with its contact; "
                     "running the "
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
        return xp_fail(&j->r.err, XPORTA_ENOMEM, "out of memory");
    char *dir = xp_state_dir(header);
    xporta_status st;
    if (!dir) {
        st = announce_into(j, fallback);
    } else {
        struct xfer_journal *jr = NULL;
        st = xfer_journal_open(&jr, dir, header, NULL, &j->r.err);
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
        return xp_fail(&j->r.err, XPORTA_EINVAL,
                       "the old and the new address are the same (%s)",
                       j->account->jid);
    char *header = announce_header(j);
    if (!header)
        return xp_fail(&j->r.err, XPORTA_ENOMEM, "out of memory");
    struct xfer_journal *jr = NULL;
    xporta_status st = job_journal_open(j, header, &j->resumed, &jr);
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
