/*
 * Group chats follow the user (issue 13; XEP-0045).
 *
 * Design note.  Only the old account logs in: affiliations are granted
 * by someone with power in the room, and that is the old address; the new
 * one is only named.  The job
 *   1. finds rooms: the old account's bookmarks (XEP-0402's node, XEP-0048
 *      in PEP and in private XML), the rooms the MUC services of its server
 *      list (disco#items on the domain, disco#info for the identity
 *      conference/text, disco#items on each service), and rooms the
 *      caller names (hidden rooms appear nowhere else);
 *   2. reads each room's owner, admin, member and outcast lists and its
 *      disco#info, WINDOW rooms at a time, pipelined; where that does not
 *      show the old address's affiliation and the room is members-only,
 *      bookmarked or named, enters it for a moment without history and
 *      leaves (the self-presence says the affiliation; job_rooms_find.c).
 *      Servers show lists by rank (docs/research/muc-live.md: Prosody
 *      0.12 shows owners all, admins all but the owners, members all in
 *      members-only rooms that show real JIDs; ejabberd 23.01 owners and
 *      admins all, members all in rooms that show real JIDs), so the old
 *      address's affiliation is the highest list naming it, "none" only
 *      when every list but the outcasts' could be read, else "unknown";
 *   3. owner: grants the new address owner; admin: admin, and where only
 *      owners may make admins (XEP-0045 §9.7: the usual case) member,
 *      naming the owners to ask; member, or unknown in a members-only
 *      room that was bookmarked or named: reported with the owners' (or
 *      the room's contact) addresses, and with --notify-owners each owner
 *      gets one short chat message from the old account.
 * Never: a ban lifted (a new address the room bans is reported), an
 * affiliation lowered (a grant is made only when the new address holds
 * less), anything done in a room the old address has no power in.
 * Journal: a grant is journaled once the room confirmed it; one that is
 * gone on a later run was removed by someone, and is not made again.  A
 * message to an owner is journaled (synced) before it is sent: never
 * twice.  Rooms that refuse or cannot be reached are reported and do not
 * stop the others; a lost connection stops the job (run it again).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../transfer/xfer.h"
#include "job_rooms_p.h"

static bool jr_has(const struct rooms *R, bool done, const char *kind,
                   const char *key, const char *id)
{
    if (!R->jr)
        return false;
    return done ? xfer_journal_is_done(R->jr, kind, key, id)
                : xfer_journal_is_started(R->jr, kind, key, id);
}

static xporta_status jr_fail(struct rooms *R)
{
    return xp_fail(&R->j->r.err, xfer_journal_status(R->jr), "%s",
                   xfer_journal_error(R->jr));
}

/* ---- outcomes ----------------------------------------------------------- */

static void report(struct rooms *R, const struct room *r, xporta_room_outcome o,
                   const char *fmt, ...) XP_PRINTF(4, 5);
static void report(struct rooms *R, const struct room *r, xporta_room_outcome o,
                   const char *fmt, ...)
{
    xporta_room_counts *c = &R->j->rc;
    uint64_t *slot[] = {
        [XPORTA_ROOM_GRANTED] = &c->granted,
        [XPORTA_ROOM_PARTIAL] = &c->partial,
        [XPORTA_ROOM_ALREADY] = &c->already,
        [XPORTA_ROOM_ASK] = &c->ask,
        [XPORTA_ROOM_NOTIFIED] = &c->notified,
        [XPORTA_ROOM_REFUSED] = &c->refused,
        [XPORTA_ROOM_NONE] = &c->none,
        [XPORTA_ROOM_UNREACHABLE] = &c->unreachable,
        [XPORTA_ROOM_PLANNED] = &c->planned,
        [XPORTA_ROOM_EARLIER] = &c->earlier,
    };
    (*slot[o])++;
    char why[1024] = "";
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, sizeof why, fmt, ap);
        va_end(ap);
    }
    if (R->j->room_cb)
        R->j->room_cb(R->j->room_ud, r->jid, xp_muc_aff_name(r->old_aff), o,
                      r->owners, fmt ? why : NULL);
}

static const char *owners_hint(const struct room *r)
{
    return r->owners ? r->owners : "the room does not say who";
}

/* One chat message from the old account to each owner, journaled before
 * it leaves. */
static xporta_status notify(struct rooms *R, struct room *r, const char *what)
{
    struct live *l = R->l;
    char *list = xp_strdup(r->owners);
    if (!list)
        return xp_fail(&R->j->r.err, XPORTA_ENOMEM, "out of memory");
    unsigned sent = 0;
    xporta_status st = XPORTA_OK;
    for (char *save = NULL, *o = strtok_r(list, ", ", &save);
         o && st == XPORTA_OK; o = strtok_r(NULL, ", ", &save)) {
        if (moved_jid_eq(o, R->old) || jr_has(R, false, "notify", o, r->jid))
            continue;
        char body[1024];
        snprintf(body, sizeof body,
                 "Hello, this is %s. I have moved to a new address, %s. "
                 "Could you make %s %s of the room %s? Thank you. (Sent once "
                 "by xporta, the tool that moved my account.)",
                 R->old, R->new_, R->new_, what, r->jid);
        if (xfer_journal_start(R->jr, "notify", o, r->jid) != XPORTA_OK ||
            xfer_journal_sync(R->jr) != XPORTA_OK)
            st = jr_fail(R);
        else if (xp_session_send(l->s, xp_chat_message(&l->arena, o, body)) !=
                 XPORTA_OK)
            st = xp_fail(&R->j->r.err, XPORTA_EDISCONNECTED, "cannot send: %s",
                         xp_session_error(l->s));
        else
            sent++;
    }
    free(list);
    if (st == XPORTA_OK && sent)
        report(R, r, XPORTA_ROOM_NOTIFIED,
               "%s cannot grant it; messaged %u owner(s) (%s) asking to make "
               "%s %s",
               R->old, sent, r->owners, R->new_, what);
    else if (st == XPORTA_OK)
        report(R, r, XPORTA_ROOM_ASK,
               "%s cannot grant it, and its owners (%s) were messaged by an "
               "earlier run",
               R->old, r->owners);
    return st;
}

/* Rooms where the old address has no power: what the user can do. */
static xporta_status powerless(struct rooms *R, struct room *r)
{
    if (r->old_aff == XP_MUC_MEMBER ||
        (r->old_aff == XP_MUC_UNKNOWN && r->members_only &&
         (r->from & (FROM_BOOKMARK | FROM_NAMED)))) {
        if (r->new_aff >= XP_MUC_MEMBER) {
            report(R, r, XPORTA_ROOM_ALREADY, "%s is already %s there", R->new_,
                   xp_muc_aff_name(r->new_aff));
            return XPORTA_OK;
        }
        if (R->j->notify_owners && r->owners && !R->j->dry_run)
            return notify(R, r, "a member");
        report(R, r, XPORTA_ROOM_ASK,
               r->old_aff == XP_MUC_MEMBER
                   ? "%s is a member and cannot grant membership: ask an "
                     "owner (%s) to add %s as a member"
                   : "the room does not show %s its member list: if it "
                     "is a member, ask an owner (%s) to add %s",
               R->old, owners_hint(r), R->new_);
        return XPORTA_OK;
    }
    if (r->old_aff == XP_MUC_OUTCAST)
        report(R, r, XPORTA_ROOM_NONE, "%s is banned there", R->old);
    else
        report(R, r, XPORTA_ROOM_NONE,
               r->old_aff == XP_MUC_NONE
                   ? "%s holds no affiliation there"
                   : "the room does not show %s an affiliation, and anyone "
                     "may join it",
               R->old);
    return XPORTA_OK;
}

static void grant(struct rooms *R, struct room *r, xp_muc_aff aff)
{
    struct live *l = R->l;
    r->granting = aff;
    r->grant =
        live_call(l, "set", r->jid,
                  xp_muc_affiliation_set(&l->arena, R->new_, aff, R->reason),
                  ROOM_TIMEOUT_MS);
}

static char *grant_id(char *buf, size_t n, xp_muc_aff aff)
{
    snprintf(buf, n, "grant %s", xp_muc_aff_name(aff));
    return buf;
}

/* Decides a room; sends its grant when there is one to make. */
static xporta_status decide(struct rooms *R, struct room *r)
{
    r->grant = NULL;
    if (r->missing) {
        /* A stale bookmark, most likely: nothing to carry. */
        report(R, r, XPORTA_ROOM_NONE, "the room does not exist (any more)");
        return XPORTA_OK;
    }
    if (r->error) {
        report(R, r, XPORTA_ROOM_UNREACHABLE,
               "%s; run xporta rooms again later", r->error);
        return XPORTA_OK;
    }
    if (r->old_aff != XP_MUC_OWNER && r->old_aff != XP_MUC_ADMIN)
        return powerless(R, r);
    xp_muc_aff want = r->old_aff;
    if (r->new_aff != XP_MUC_UNKNOWN && r->new_aff >= want) {
        report(R, r, XPORTA_ROOM_ALREADY, "%s is already %s there", R->new_,
               xp_muc_aff_name(r->new_aff));
        return XPORTA_OK;
    }
    if (r->new_aff == XP_MUC_OUTCAST) {
        report(R, r, XPORTA_ROOM_REFUSED,
               "%s is banned there; xporta lifts no ban (an owner can)",
               R->new_);
        return XPORTA_OK;
    }
    char id[32], mid[32];
    /* An admin's grant may have been a membership (only owners make
     * admins): removed since, it is not made again either. */
    if (jr_has(R, true, "room", r->jid, grant_id(id, sizeof id, want)) ||
        (want == XP_MUC_ADMIN && r->new_aff < XP_MUC_MEMBER &&
         jr_has(R, true, "room", r->jid,
                grant_id(mid, sizeof mid, XP_MUC_MEMBER)))) {
        report(R, r, XPORTA_ROOM_EARLIER,
               "granted %s by an earlier run and removed since by someone "
               "in the room: not granted again",
               xp_muc_aff_name(want));
        return XPORTA_OK;
    }
    if (R->j->dry_run) {
        report(R, r, XPORTA_ROOM_PLANNED, "would make %s %s%s", R->new_,
               xp_muc_aff_name(want),
               want == XP_MUC_ADMIN
                   ? " (or a member, where only owners may make admins)"
                   : "");
        return XPORTA_OK;
    }
    grant(R, r, want);
    return XPORTA_OK;
}

static bool refused_for_rank(const struct call *c)
{
    return c->status == XPORTA_ESTANZA && (xp_streq(c->cond, "not-allowed") ||
                                           xp_streq(c->cond, "forbidden") ||
                                           xp_streq(c->cond, "not-authorized"));
}

/* A grant's answer; an admin refused admin tries member.  *again is set
 * when a second grant went out. */
static xporta_status granted(struct rooms *R, struct room *r, bool *again)
{
    struct call *c = r->grant;
    *again = false;
    r->grant = NULL;
    if (!c)
        return R->j->r.err.status ? R->j->r.err.status : XPORTA_ENOMEM;
    if (c->status == XPORTA_ENOMEM || c->status == XPORTA_ECANCELED ||
        c->status == XPORTA_EDISCONNECTED)
        return live_fatal_error(R->l, c, r->jid);
    char id[32];
    if (c->status == XPORTA_OK) {
        if (xfer_journal_done(R->jr, "room", r->jid,
                              grant_id(id, sizeof id, r->granting)) !=
            XPORTA_OK)
            return jr_fail(R);
        if (r->granting == r->old_aff)
            report(R, r, XPORTA_ROOM_GRANTED, "%s is %s there now", R->new_,
                   xp_muc_aff_name(r->granting));
        else
            report(R, r, XPORTA_ROOM_PARTIAL,
                   "%s is a member there now; only an owner may make it "
                   "an admin: ask an owner (%s)",
                   R->new_, owners_hint(r));
        return XPORTA_OK;
    }
    if (r->granting == XP_MUC_ADMIN && refused_for_rank(c)) {
        if (r->new_aff >= XP_MUC_MEMBER) {
            report(R, r, XPORTA_ROOM_PARTIAL,
                   "%s is already a member there; only an owner may make it "
                   "an admin: ask an owner (%s)",
                   R->new_, owners_hint(r));
            return XPORTA_OK;
        }
        grant(R, r, XP_MUC_MEMBER);
        *again = true;
        return XPORTA_OK;
    }
    if (r->granting == XP_MUC_MEMBER && refused_for_rank(c) &&
        !(r->readable & (1u << XP_MUC_OWNER))) {
        /* Prosody shows admins no owner list, and refuses an admin any
         * change to an owner: the new address may be one already. */
        report(R, r, XPORTA_ROOM_ASK,
               "the room refused to make %s an admin or a member; %s, an "
               "admin, cannot see the owners: %s may be one already, else "
               "ask an owner",
               R->new_, R->old, R->new_);
        return XPORTA_OK;
    }
    report(R, r, XPORTA_ROOM_REFUSED, "the room refused to make %s %s: %s%s%s",
           R->new_, xp_muc_aff_name(r->granting),
           c->status == XPORTA_ETIMEOUT ? "no answer"
           : c->cond                    ? c->cond
                                        : "error",
           c->text ? ": " : "", c->text ? c->text : "");
    return XPORTA_OK;
}

static xporta_status wait_grants(struct rooms *R, size_t from, size_t to)
{
    for (int round = 0; round < 2; round++) {
        struct call *c[WINDOW];
        size_t n = 0;
        for (size_t i = from; i < to; i++)
            if (R->v[i].grant)
                c[n++] = R->v[i].grant;
        if (!n)
            return XPORTA_OK;
        xporta_status st = live_wait(R->l, c, n);
        for (size_t i = from; st == XPORTA_OK && i < to; i++) {
            bool again = false;
            if (R->v[i].grant)
                st = granted(R, &R->v[i], &again);
        }
        if (st != XPORTA_OK)
            return st;
    }
    return XPORTA_OK;
}

static xporta_status walk_rooms(struct rooms *R)
{
    xporta_job *j = R->j;
    xporta_status st = XPORTA_OK;
    for (size_t from = 0; st == XPORTA_OK && from < R->n; from += WINDOW) {
        size_t to = from + WINDOW < R->n ? from + WINDOW : R->n;
        xp_run_progress(&j->r, "rooms", XPORTA_KIND_COUNT, from, R->n,
                        (double)from / (double)R->n, 0, R->v[from].jid, false);
        rooms_read_window(R, from, to);
        struct call *c[WINDOW * (NLISTS + 1)];
        size_t n = 0;
        for (size_t i = from; i < to; i++)
            for (int k = 0; k <= NLISTS; k++)
                c[n++] = R->v[i].c[k];
        st = live_wait(R->l, c, n);
        for (size_t i = from; st == XPORTA_OK && i < to; i++) {
            j->rc.rooms++;
            st = rooms_decode(R, &R->v[i]);
        }
        if (st == XPORTA_OK)
            st = rooms_join_probe(R, from, to);
        for (size_t i = from; st == XPORTA_OK && i < to; i++)
            st = decide(R, &R->v[i]);
        if (st == XPORTA_OK)
            st = wait_grants(R, from, to);
        xp_arena_reset(&R->l->arena);
    }
    if (st == XPORTA_OK && R->jr && xfer_journal_sync(R->jr) != XPORTA_OK)
        st = jr_fail(R);
    return st;
}

/* The whole step, in journal `jr`. */
static xporta_status rooms_into(xporta_job *j, struct xfer_journal *jr)
{
    struct rooms R;
    memset(&R, 0, sizeof R);
    R.j = j;
    R.jr = jr;
    R.old = j->account->jid;
    R.new_ = j->target->jid;
    memset(&j->rc, 0, sizeof j->rc);
    snprintf(R.reason, sizeof R.reason, "%s moved to %s", R.old, R.new_);
    xp_arena_init(&R.a, 0);
    xp_map_init(&R.index);
    struct live l;
    j->r.step = "rooms";
    struct xp_session_opts so;
    job_session_opts(j->account, &so);
    xporta_status st = live_open(&l, &j->r, &so, 0);
    R.l = &l;
    for (size_t i = 0; st == XPORTA_OK && i < j->room_names.n; i++)
        if (!rooms_add(&R, j->room_names.v[i], FROM_NAMED))
            st = xp_fail(&j->r.err, XPORTA_ENOMEM, "out of memory");
    if (st == XPORTA_OK)
        st = rooms_read_bookmarks(&R);
    if (st == XPORTA_OK)
        st = rooms_read_services(&R);
    if (st == XPORTA_OK)
        st = walk_rooms(&R);
    if (st == XPORTA_OK)
        xp_run_progress(&j->r, "done", XPORTA_KIND_COUNT, R.n, R.n, 1, 0, NULL,
                        true);
    live_close(&l);
    free(R.v);
    xp_map_cleanup(&R.index);
    xp_arena_cleanup(&R.a);
    /* A room that cannot be read (its server is down, a bookmark of a
     * dead server) is reported, not a failure: the user can do nothing
     * about it now.  A room that refused a grant is. */
    if (st == XPORTA_OK && j->rc.refused)
        st = xp_fail(&j->r.err, XPORTA_ESTANZA,
                     "%llu room(s) refused the new address, each reported; "
                     "the rest is done",
                     (unsigned long long)j->rc.refused);
    return st;
}

static char *rooms_header(const xporta_job *j)
{
    size_t n = strlen(j->account->jid) + strlen(j->target->jid) + 32;
    char *h = malloc(n);
    if (h)
        snprintf(h, n, "rooms 1 old=%s new=%s", j->account->jid,
                 j->target->jid);
    return h;
}

xporta_status rooms_after_migrate(xporta_job *j, struct xfer_journal *fallback)
{
    /* Its own journal, as `xporta rooms OLD NEW` keeps it: grants removed
     * later and owners messaged count for that command too. */
    char *header = rooms_header(j);
    if (!header)
        return xp_fail(&j->r.err, XPORTA_ENOMEM, "out of memory");
    /* Beside migrate's, under --state-dir; else where `xporta rooms`
     * keeps it. */
    char *dir = j->dry_run     ? NULL
                : j->state_dir ? xp_path_join(j->state_dir, "rooms")
                               : xp_state_dir(header);
    xporta_status st;
    if (!dir) {
        st = rooms_into(j, fallback);
    } else {
        struct xfer_journal *jr = NULL;
        st = xfer_journal_open(&jr, dir, header, NULL, &j->r.err);
        if (st == XPORTA_OK)
            st = rooms_into(j, jr);
        if (jr && xfer_journal_steps(jr) == 0)
            xfer_journal_finish(jr); /* nothing granted: no directory */
        xfer_journal_close(jr);
    }
    free(dir);
    free(header);
    return st;
}

xporta_status rooms_run(xporta_job *j)
{
    if (moved_jid_eq(j->account->jid, j->target->jid))
        return xp_fail(&j->r.err, XPORTA_EINVAL,
                       "the old and the new address are the same (%s)",
                       j->account->jid);
    if (j->dry_run)
        return rooms_into(j, NULL);
    char *header = rooms_header(j);
    if (!header)
        return xp_fail(&j->r.err, XPORTA_ENOMEM, "out of memory");
    struct xfer_journal *jr = NULL;
    xporta_status st = job_journal_open(j, header, &j->resumed, &jr);
    if (st == XPORTA_OK)
        st = rooms_into(j, jr);
    /* The journal stays: it keeps grants removed since and owners
     * messaged from happening twice. */
    if (st != XPORTA_OK || xfer_journal_steps(jr) == 0)
        job_forget_unstarted(j, jr, 0);
    xfer_journal_close(jr);
    free(header);
    return st;
}

/* ---- the API ------------------------------------------------------------- */

void xporta_job_set_rooms(xporta_job *j, bool on)
{
    if (j)
        j->rooms = on;
}

xporta_status xporta_job_add_room(xporta_job *j, const char *room)
{
    struct xp_jid_parts p;
    if (!j || !room || !xporta_jid_is_valid(room, NULL) ||
        !xp_jid_split(room, &p) || !p.local_len || p.resource)
        return XPORTA_EINVAL;
    return xp_strv_add(&j->room_names, room) < 0 ? XPORTA_ENOMEM : XPORTA_OK;
}

void xporta_job_set_notify_owners(xporta_job *j, bool on)
{
    if (j)
        j->notify_owners = on;
}

void xporta_job_set_room_cb(xporta_job *j, xporta_room_cb cb, void *userdata)
{
    if (!j)
        return;
    j->room_cb = cb;
    j->room_ud = userdata;
}

void xporta_job_room_counts(const xporta_job *j, xporta_room_counts *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    if (j)
        *out = j->rc;
}

/* ---- the API ------------------------------------------------------------- */

void xporta_job_set_destroy_old(xporta_job *j, bool on)
{
    if (j)
        j->destroy_old = on;
}

xporta_status xporta_job_map_jid(xporta_job *j, const char *from,
                                 const char *to)
{
    if (!j || !from || !to || !xporta_jid_is_valid(from, NULL) ||
        !xporta_jid_is_valid(to, NULL))
        return XPORTA_EINVAL;
    char **v = realloc(j->jid_map, (j->njid_map + 2) * sizeof *v);
    if (!v)
        return XPORTA_ENOMEM;
    j->jid_map = v;
    v[j->njid_map] = xp_strdup(from);
    v[j->njid_map + 1] = xp_strdup(to);
    j->njid_map += 2;
    return v[j->njid_map - 2] && v[j->njid_map - 1] ? XPORTA_OK : XPORTA_ENOMEM;
}

void xporta_job_set_note_cb(xporta_job *j, xporta_note_cb cb, void *userdata)
{
    if (!j)
        return;
    j->note_cb = cb;
    j->note_ud = userdata;
}

void xporta_job_room_move_counts(const xporta_job *j,
                                 xporta_room_move_counts *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    if (!j)
        return;
    out->fields = j->mc_fields;
    out->fields_skipped = j->mc_fields_skipped;
    out->affiliations = j->mc_affiliations;
    out->affiliations_failed = j->mc_affiliations_failed;
    out->differs = j->mc_differs;
    out->created = j->mc_created;
    out->subject = j->mc_subject;
    out->destroyed = j->mc_destroyed;
}
