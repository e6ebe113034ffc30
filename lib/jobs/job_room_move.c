/*
 * Moving a room the user owns (issue 13; XEP-0045 §10).
 *
 * Design note.  Two sessions: the old account, an owner of OLDROOM, reads
 * it; the new account creates NEWROOM and becomes its owner.
 *   1. read: OLDROOM's owner form, its four affiliation lists (with the
 *      members' reserved nicks, where the server keeps them) and, by
 *      entering it for a moment without history, its subject.  The old
 *      address must be an owner: only owners read the form.
 *   2. create: NEWROOM must not exist (disco#info says item-not-found);
 *      the new account enters it (status 201: created and locked), reads
 *      the new service's form and submits the old values of every field
 *      it offers (xp_muc_config_submit; a field or value it lacks is
 *      reported), which unlocks the room.
 *   3. affiliations: every old one, with the old address and the
 *      addresses in --map mapped to their new ones, one request each,
 *      pipelined; then the subject; then the new account leaves.
 *   4. where NEW (or OLD) bookmarked OLDROOM, NEW bookmarks NEWROOM with
 *      the same name, nick and autojoin (XEP-0402), so its clients join;
 *   5. with --destroy-old, OLDROOM is destroyed with NEWROOM as the
 *      alternate venue (the destroy element's jid attribute): occupants
 *      are told where the room went.
 *   6. verify: NEWROOM's lists and form read back and compared.
 * Every step is journaled once the server confirmed it; a resumed run
 * enters the room it created (a locked room its creator left may have
 * gone: entering makes it again) and goes on.  A NEWROOM that existed
 * before, without this job's journal, is refused: xporta never writes
 * into a room someone else made.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../transfer/xfer.h"
#include "job_rooms_p.h"

enum {
    MOVE_TIMEOUT_MS = 20000,
    ENTER_WAIT_MS = 10000,
    AFF_WINDOW = 16,
};

static const xp_muc_aff move_lists[4] = {XP_MUC_OWNER, XP_MUC_ADMIN,
                                         XP_MUC_MEMBER, XP_MUC_OUTCAST};

struct maff {
    const char *jid, *nick;
    xp_muc_aff aff;
};

struct move {
    xporta_job *j;
    struct xfer_journal *jr;
    struct live lo, ln;
    bool lo_open, ln_open;
    const char *old_room, *new_room;
    struct xp_arena a;
    const xp_elem *old_form; /* in a */
    const char *subject;     /* NULL: none known */
    struct maff *v;
    size_t n, cap;
    /* entering a room */
    const char *enter_room;
    bool entered, created, enter_done;
    const char *enter_error;
    bool got_subject, want_subject;
};

static void note(struct move *m, const char *what, const char *fmt, ...)
    XP_PRINTF(3, 4);
static void note(struct move *m, const char *what, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (m->j->note_cb)
        m->j->note_cb(m->j->note_ud, what, buf);
}

static xporta_status jfail(struct move *m)
{
    return xp_fail(&m->j->r.err, xfer_journal_status(m->jr), "%s",
                   xfer_journal_error(m->jr));
}

static bool jdone(struct move *m, const char *kind, const char *key,
                  const char *id)
{
    return m->jr && xfer_journal_is_done(m->jr, kind, key, id);
}

/* The new address of a JID: the old account's is the new account's; the
 * --map pairs; else itself. */
static const char *mapped(struct move *m, const char *jid)
{
    if (moved_jid_eq(jid, m->j->account->jid))
        return m->j->target->jid;
    for (size_t i = 0; i + 1 < m->j->njid_map; i += 2)
        if (moved_jid_eq(jid, m->j->jid_map[i]))
            return m->j->jid_map[i + 1];
    return jid;
}

static void on_old_item(void *ud, const char *jid, xp_muc_aff aff,
                        const char *nick)
{
    struct move *m = ud;
    (void)aff;
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 32;
        struct maff *v = realloc(m->v, cap * sizeof *v);
        if (!v)
            return;
        m->v = v;
        m->cap = cap;
    }
    m->v[m->n].jid = xp_arena_strdup(&m->a, mapped(m, jid));
    m->v[m->n].nick = nick ? xp_arena_strdup(&m->a, nick) : NULL;
    m->v[m->n].aff = XP_MUC_UNKNOWN; /* set by the caller's list */
    m->n++;
}

/* ---- entering a room ------------------------------------------------------
 */

static bool from_room(struct move *m, const xp_elem *st)
{
    const char *from = xp_elem_attr_ns(st, "", "from");
    size_t n = strlen(m->enter_room);
    return from && strncmp(from, m->enter_room, n) == 0 &&
           (from[n] == '/' || from[n] == 0);
}

static void enter_presence(void *ud, const xp_elem *p)
{
    struct move *m = ud;
    if (!m->enter_room || !from_room(m, p) || m->entered)
        return;
    const char *type = xp_elem_attr_ns(p, "", "type");
    if (xp_streq(type, "error")) {
        const xp_elem *err = xp_elem_child(p, NULL, "error");
        const char *cond = "error";
        for (const xp_elem *e = err ? xp_elem_first_element(err) : NULL; e;
             e = xp_elem_next_element(e))
            if (xp_streq(e->ns, XP_NS_STANZAS) && strcmp(e->name, "text") != 0)
                cond = e->name;
        m->enter_error = xp_arena_strdup(&m->a, cond);
        m->enter_done = true;
        return;
    }
    if (type || !xp_muc_has_status(p, "110"))
        return;
    m->entered = true;
    m->created = xp_muc_has_status(p, "201");
}

static void enter_message(void *ud, const xp_elem *msg)
{
    struct move *m = ud;
    if (!m->enter_room || !m->want_subject || !from_room(m, msg))
        return;
    const char *s = xp_muc_subject_of(msg);
    if (s) {
        m->subject = *s ? xp_arena_strdup(&m->a, s) : NULL;
        m->got_subject = true;
    }
}

/* Enters `room` as the account of `l`; waits for the self-presence (and,
 * with `subject`, the subject that follows it, at most a few seconds). */
static xporta_status enter(struct move *m, struct live *l, const char *room,
                           bool subject)
{
    m->enter_room = room;
    m->want_subject = subject;
    m->entered = m->created = m->enter_done = m->got_subject = false;
    m->enter_error = NULL;
    l->on_presence = enter_presence;
    l->on_presence_ud = m;
    l->on_room_message = enter_message;
    l->on_room_message_ud = m;
    /* A password-protected room asks its owners for it too (Prosody). */
    const char *secret = m->old_form
                             ? xp_form_field_values(&m->a, m->old_form,
                                                    "muc#roomconfig_roomsecret")
                             : NULL;
    xporta_status st = xp_session_send(
        l->s, xp_muc_join_password(&l->arena, room, l->local,
                                   secret && *secret ? secret : NULL));
    double deadline = xp_now() + ENTER_WAIT_MS / 1000.0, sub_deadline = 0;
    while (st == XPORTA_OK) {
        if (m->enter_done)
            break;
        if (m->entered && !subject)
            break;
        if (m->entered && subject) {
            if (!sub_deadline)
                sub_deadline = xp_now() + 3;
            if (m->got_subject || xp_now() > sub_deadline)
                break;
        }
        if (xp_now() > deadline) {
            st = xp_fail(&m->j->r.err, XPORTA_ETIMEOUT,
                         "%s did not let %s in within %d s", room, l->bare,
                         ENTER_WAIT_MS / 1000);
            break;
        }
        if (live_cancelled(l))
            st = xp_fail(&m->j->r.err, XPORTA_ECANCELED,
                         "interrupted; run the same command again to resume");
        else if (xp_session_run(l->s, 200) == XPORTA_EDISCONNECTED)
            st = xp_fail(&m->j->r.err, XPORTA_EDISCONNECTED,
                         "connection lost: %s; run the same command again "
                         "to resume",
                         xp_session_error(l->s));
    }
    l->on_presence = NULL;
    l->on_room_message = NULL;
    m->enter_room = NULL;
    if (st == XPORTA_OK && m->enter_error)
        st =
            xp_fail(&m->j->r.err, XPORTA_ESTANZA, "%s refused to let %s in: %s",
                    room, l->bare, m->enter_error);
    return st;
}

static void leave(struct live *l, const char *room)
{
    xp_session_send(l->s, xp_muc_join(&l->arena, room, l->local, true));
}

/* ---- the steps ------------------------------------------------------------
 */

static xporta_status call_ok(struct move *m, struct live *l, struct call *c,
                             const char *what)
{
    xporta_status st = live_wait1(l, c);
    if (st != XPORTA_OK)
        return st;
    if (live_fatal(c))
        return live_fatal_error(l, c, what);
    if (c->status != XPORTA_OK)
        return xp_fail(&m->j->r.err, XPORTA_ESTANZA, "%s: %s%s%s", what,
                       c->cond ? c->cond : "error", c->text ? ": " : "",
                       c->text ? c->text : "");
    return XPORTA_OK;
}

static xporta_status read_old(struct move *m)
{
    struct live *l = &m->lo;
    xp_run_progress(&m->j->r, "read", XPORTA_KIND_COUNT, 0, 0, -1, 0,
                    m->old_room, true);
    struct call *c = live_call(l, "get", m->old_room,
                               xp_muc_owner_query(&l->arena), MOVE_TIMEOUT_MS);
    xporta_status st = call_ok(m, l, c, "the old room's configuration");
    if (st == XPORTA_ESTANZA && xp_streq(c->cond, "forbidden"))
        return xp_fail(&m->j->r.err, XPORTA_ESTANZA,
                       "%s is not an owner of %s: only owners can move a "
                       "room (xporta rooms carries affiliations)",
                       l->bare, m->old_room);
    if (st != XPORTA_OK)
        return st;
    const xp_elem *form = xp_muc_owner_form(c->iq);
    m->old_form = form ? xp_elem_clone(&m->a, form) : NULL;
    if (!m->old_form)
        return xp_fail(&m->j->r.err, XPORTA_ESTANZA,
                       "%s sent no configuration form", m->old_room);
    for (int k = 0; k < 4; k++) {
        size_t before = m->n;
        c = live_call(l, "get", m->old_room,
                      xp_muc_list_query(&l->arena, move_lists[k]),
                      MOVE_TIMEOUT_MS);
        st = call_ok(m, l, c, "the old room's affiliations");
        if (st == XPORTA_OK &&
            xp_muc_list_decode(&m->a, c->iq, on_old_item, m) != XPORTA_OK)
            st = xp_fail(&m->j->r.err, XPORTA_ESTANZA,
                         "%s: a list reply without its query", m->old_room);
        if (st != XPORTA_OK)
            return st;
        for (size_t i = before; i < m->n; i++)
            m->v[i].aff = move_lists[k];
        xp_arena_reset(&l->arena);
    }
    st = enter(m, l, m->old_room, true);
    if (st == XPORTA_OK) {
        leave(l, m->old_room);
    } else if (st == XPORTA_ESTANZA || st == XPORTA_ETIMEOUT) {
        /* The subject is what entering gives; a room that will not let
         * its owner in keeps it, and the move goes on without. */
        note(m, "REFUSED", "the subject was not read: %s", m->j->r.err.msg);
        xp_err_clear(&m->j->r.err);
        m->subject = NULL;
        st = XPORTA_OK;
    }
    return st;
}

static void skipped_field(void *ud, const char *var, const char *why)
{
    struct move *m = ud;
    m->j->mc_fields_skipped++;
    note(m, "not-offered", "%s: %s", var, why);
}

static xporta_status create_new(struct move *m)
{
    struct live *l = &m->ln;
    xp_run_progress(&m->j->r, "create", XPORTA_KIND_COUNT, 0, 0, -1, 0,
                    m->new_room, true);
    bool ours = jdone(m, "room", m->new_room, "created");
    struct call *c =
        live_call(l, "get", m->new_room, xp_disco_info_query(&l->arena, NULL),
                  MOVE_TIMEOUT_MS);
    xporta_status st = live_wait1(l, c);
    if (st != XPORTA_OK)
        return st;
    if (live_fatal(c))
        return live_fatal_error(l, c, m->new_room);
    if (c->status == XPORTA_OK && !ours)
        return xp_fail(&m->j->r.err, XPORTA_ECONFLICT,
                       "%s exists already: xporta moves a room into a new "
                       "one only (choose another name)",
                       m->new_room);
    if (c->status == XPORTA_ESTANZA && !xp_streq(c->cond, "item-not-found") &&
        !ours)
        return xp_fail(&m->j->r.err, XPORTA_ESTANZA,
                       "%s cannot be made: %s%s%s", m->new_room, c->cond,
                       c->text ? ": " : "", c->text ? c->text : "");
    xp_arena_reset(&l->arena);
    if (m->j->dry_run) {
        note(m, "would", "create %s as %s and carry %zu affiliation(s)%s",
             m->new_room, l->bare, m->n, m->subject ? " and the subject" : "");
        return XPORTA_OK;
    }
    st = enter(m, l, m->new_room, false);
    if (st != XPORTA_OK)
        return st;
    if (!m->created && !ours) {
        leave(l, m->new_room);
        return xp_fail(&m->j->r.err, XPORTA_ECONFLICT,
                       "%s was made by someone else meanwhile", m->new_room);
    }
    if (m->created && m->jr &&
        xfer_journal_done_sync(m->jr, "room", m->new_room, "created") !=
            XPORTA_OK)
        return jfail(m);
    m->j->mc_created = true;
    /* A room made again (a locked room its creator left goes away) needs
     * its form again. */
    if (!m->created && jdone(m, "room", m->new_room, "configured"))
        return XPORTA_OK;
    c = live_call(l, "get", m->new_room, xp_muc_owner_query(&l->arena),
                  MOVE_TIMEOUT_MS);
    st = call_ok(m, l, c, "the new room's configuration form");
    const xp_elem *offered = st == XPORTA_OK ? xp_muc_owner_form(c->iq) : NULL;
    if (st == XPORTA_OK && !offered)
        st = xp_fail(&m->j->r.err, XPORTA_ESTANZA,
                     "%s sent no configuration form", m->new_room);
    if (st != XPORTA_OK)
        return st;
    xp_elem *submit =
        xp_muc_config_submit(&l->arena, m->old_form, offered, skipped_field, m);
    const xp_elem *x = submit ? xp_elem_child(submit, XP_NS_DATA, "x") : NULL;
    for (const xp_elem *f = x ? xp_elem_first_element(x) : NULL; f;
         f = xp_elem_next_element(f))
        m->j->mc_fields++;
    if (m->j->mc_fields)
        m->j->mc_fields--; /* FORM_TYPE */
    c = live_call(l, "set", m->new_room, submit, MOVE_TIMEOUT_MS);
    st = call_ok(m, l, c, "the new room's configuration");
    if (st == XPORTA_OK && m->jr &&
        xfer_journal_done_sync(m->jr, "room", m->new_room, "configured") !=
            XPORTA_OK)
        st = jfail(m);
    xp_arena_reset(&l->arena);
    return st;
}

static xporta_status carry_affiliations(struct move *m)
{
    struct live *l = &m->ln;
    xp_run_progress(&m->j->r, "affiliations", XPORTA_KIND_COUNT, 0, m->n, 0, 0,
                    m->new_room, true);
    xporta_status st = XPORTA_OK;
    for (size_t from = 0; st == XPORTA_OK && from < m->n; from += AFF_WINDOW) {
        size_t to = from + AFF_WINDOW < m->n ? from + AFF_WINDOW : m->n;
        struct call *c[AFF_WINDOW];
        size_t k = 0;
        for (size_t i = from; i < to; i++) {
            struct maff *a = &m->v[i];
            c[i - from] = NULL;
            if (moved_jid_eq(a->jid, l->bare) ||
                jdone(m, "aff", a->jid, xp_muc_aff_name(a->aff)))
                continue;
            if (m->j->dry_run) {
                note(m, "would", "make %s %s%s%s", a->jid,
                     xp_muc_aff_name(a->aff), a->nick ? ", nick " : "",
                     a->nick ? a->nick : "");
                continue;
            }
            c[i - from] =
                live_call(l, "set", m->new_room,
                          xp_muc_affiliation_set_nick(&l->arena, a->jid, a->aff,
                                                      a->nick, NULL),
                          MOVE_TIMEOUT_MS);
            k++;
        }
        if (!k)
            continue;
        st = live_wait(l, c, to - from);
        for (size_t i = from; st == XPORTA_OK && i < to; i++) {
            struct call *ci = c[i - from];
            if (!ci)
                continue;
            if (live_fatal(ci))
                return live_fatal_error(l, ci, m->new_room);
            struct maff *a = &m->v[i];
            if (ci->status == XPORTA_OK) {
                m->j->mc_affiliations++;
                if (m->jr &&
                    xfer_journal_done(m->jr, "aff", a->jid,
                                      xp_muc_aff_name(a->aff)) != XPORTA_OK)
                    st = jfail(m);
            } else {
                m->j->mc_affiliations_failed++;
                note(m, "REFUSED", "%s as %s: %s%s%s", a->jid,
                     xp_muc_aff_name(a->aff), ci->cond ? ci->cond : "error",
                     ci->text ? ": " : "", ci->text ? ci->text : "");
            }
        }
        xp_arena_reset(&l->arena);
    }
    if (st == XPORTA_OK && m->jr && xfer_journal_sync(m->jr) != XPORTA_OK)
        st = jfail(m);
    return st;
}

static xporta_status carry_subject(struct move *m)
{
    struct live *l = &m->ln;
    if (!m->subject || m->j->dry_run ||
        jdone(m, "room", m->new_room, "subject"))
        return XPORTA_OK;
    /* Sent as an occupant; the room reflects it once it took it. */
    m->enter_room = m->new_room;
    m->want_subject = true;
    m->got_subject = false;
    l->on_room_message = enter_message;
    l->on_room_message_ud = m;
    const char *want = m->subject;
    xporta_status st =
        xp_session_send(l->s, xp_muc_subject_set(&l->arena, m->new_room, want));
    double deadline = xp_now() + ENTER_WAIT_MS / 1000.0;
    while (st == XPORTA_OK && !m->got_subject && xp_now() < deadline)
        if (xp_session_run(l->s, 200) == XPORTA_EDISCONNECTED)
            st = XPORTA_EDISCONNECTED;
    l->on_room_message = NULL;
    m->enter_room = NULL;
    if (st != XPORTA_OK)
        return xp_fail(&m->j->r.err, XPORTA_EDISCONNECTED,
                       "connection lost: %s", xp_session_error(l->s));
    if (!m->got_subject || !xp_streq(m->subject, want)) {
        note(m, "REFUSED", "the subject did not come back from %s",
             m->new_room);
        m->subject = want;
        return XPORTA_OK;
    }
    m->j->mc_subject = true;
    if (m->jr && xfer_journal_done_sync(m->jr, "room", m->new_room,
                                        "subject") != XPORTA_OK)
        return jfail(m);
    return XPORTA_OK;
}

static xporta_status destroy_old(struct move *m)
{
    struct live *l = &m->lo;
    if (!m->j->destroy_old || jdone(m, "room", m->old_room, "destroyed"))
        return XPORTA_OK;
    if (m->j->dry_run) {
        note(m, "would", "destroy %s, pointing its occupants to %s",
             m->old_room, m->new_room);
        return XPORTA_OK;
    }
    char reason[600];
    snprintf(reason, sizeof reason, "This room moved to %s", m->new_room);
    struct call *c = live_call(l, "set", m->old_room,
                               xp_muc_destroy(&l->arena, m->new_room, reason),
                               MOVE_TIMEOUT_MS);
    xporta_status st = call_ok(m, l, c, "destroying the old room");
    if (st == XPORTA_OK) {
        m->j->mc_destroyed = true;
        note(m, "destroyed", "%s; its occupants were pointed to %s",
             m->old_room, m->new_room);
        if (m->jr && xfer_journal_done_sync(m->jr, "room", m->old_room,
                                            "destroyed") != XPORTA_OK)
            st = jfail(m);
    }
    return st;
}

/* ---- the new room in NEW's bookmarks ------------------------------------ */

struct bm_find {
    struct move *m;
    const char *room;
    struct xp_bookmark found;
    bool has, has_new;
    bool no_node; /* the account has no XEP-0402 node yet */
};

static void on_bm(void *ud, const struct xp_bookmark *b)
{
    struct bm_find *f = ud;
    if (moved_jid_eq(b->room, f->m->new_room))
        f->has_new = true;
    if (!f->has && moved_jid_eq(b->room, f->room)) {
        f->has = true;
        f->found.room = xp_arena_strdup(&f->m->a, b->room);
        f->found.name = b->name ? xp_arena_strdup(&f->m->a, b->name) : NULL;
        f->found.nick = b->nick ? xp_arena_strdup(&f->m->a, b->nick) : NULL;
        f->found.autojoin = b->autojoin;
    }
}

/* The XEP-0402 bookmarks of the account of `l` into `f`. */
static xporta_status read_bookmarks(struct move *m, struct live *l,
                                    struct bm_find *f)
{
    struct call *c =
        live_call(l, "get", l->bare,
                  xp_pep_items_query(&l->arena, XP_NS_BOOKMARKS2, 0, NULL),
                  MOVE_TIMEOUT_MS);
    xporta_status st = live_wait1(l, c);
    if (st == XPORTA_OK && live_fatal(c))
        st = live_fatal_error(l, c, "bookmarks");
    if (st == XPORTA_OK && c->status == XPORTA_OK && c->iq)
        xp_bookmarks_decode(&m->a, c->iq, on_bm, f);
    if (st == XPORTA_OK && l == &m->ln)
        f->no_node =
            c->status == XPORTA_ESTANZA && xp_streq(c->cond, "item-not-found");
    xp_arena_reset(&l->arena);
    return st;
}

/* Where NEW (or OLD) bookmarked the old room, NEW gets a bookmark of the
 * new one with the same name, nick and autojoin: its clients join it.  The
 * old bookmark stays (nothing on the account is deleted); clients drop it
 * when they follow the destroy. */
static xporta_status bookmark_new(struct move *m)
{
    struct live *l = &m->ln;
    if (jdone(m, "room", m->new_room, "bookmark"))
        return XPORTA_OK;
    struct bm_find f;
    memset(&f, 0, sizeof f);
    f.m = m;
    f.room = m->old_room;
    xporta_status st = read_bookmarks(m, l, &f);
    bool new_has_new = f.has_new, no_node = f.no_node;
    if (st == XPORTA_OK && !f.has)
        st = read_bookmarks(m, &m->lo, &f);
    if (st != XPORTA_OK || !f.has)
        return st; /* not a bookmarked room: nothing to point */
    if (new_has_new) {
        note(m, "bookmark", "%s has %s bookmarked already", l->bare,
             m->new_room);
        return XPORTA_OK;
    }
    if (m->j->dry_run) {
        note(m, "would", "bookmark %s for %s%s%s%s", m->new_room, l->bare,
             f.found.nick ? " with the nick " : "",
             f.found.nick ? f.found.nick : "",
             f.found.autojoin ? ", joined automatically" : "");
        return XPORTA_OK;
    }
    struct xp_arena *a = &l->arena;
    xp_elem *it = xp_elem_new(a, XP_NS_PUBSUB, "item");
    xp_elem *conf =
        it ? xp_elem_add_child(a, it, XP_NS_BOOKMARKS2, "conference") : NULL;
    if (!conf || !xp_elem_set_attr(a, it, "", "id", m->new_room) ||
        !xp_elem_set_attr(a, conf, "", "autojoin",
                          f.found.autojoin ? "true" : "false") ||
        (f.found.name &&
         !xp_elem_set_attr(a, conf, "", "name", f.found.name)) ||
        (f.found.nick && !xp_elem_add_text_child(a, conf, XP_NS_BOOKMARKS2,
                                                 "nick", f.found.nick)))
        return xp_fail(&m->j->r.err, XPORTA_ENOMEM, "out of memory");
    if (no_node) {
        /* Made by a publish, ejabberd's node would keep one item (and it
         * refuses max_items as a publish option): each bookmark would
         * replace the last.  XEP-0402 §3's node configuration first. */
        struct call *cc = live_call(l, "set", NULL, xp_bookmarks_node_create(a),
                                    MOVE_TIMEOUT_MS);
        st = live_wait1(l, cc);
        if (st == XPORTA_OK && live_fatal(cc))
            st = live_fatal_error(l, cc, "the bookmarks node");
        /* A refusal is no end: the publish below makes the node as the
         * server does. */
        if (st != XPORTA_OK)
            return st;
    }
    struct call *c =
        live_call(l, "set", NULL, xp_pep_publish(a, XP_NS_BOOKMARKS2, it, NULL),
                  MOVE_TIMEOUT_MS);
    st = live_wait1(l, c);
    if (st == XPORTA_OK && live_fatal(c))
        st = live_fatal_error(l, c, "the new bookmark");
    if (st == XPORTA_OK && c->status != XPORTA_OK) {
        note(m, "REFUSED", "bookmarking %s for %s: %s", m->new_room, l->bare,
             c->cond ? c->cond : "error");
        xp_arena_reset(a);
        return XPORTA_OK;
    }
    if (st == XPORTA_OK) {
        note(m, "bookmark", "%s bookmarked for %s%s%s", m->new_room, l->bare,
             f.found.nick ? " with the nick " : "",
             f.found.nick ? f.found.nick : "");
        if (m->jr && xfer_journal_done_sync(m->jr, "room", m->new_room,
                                            "bookmark") != XPORTA_OK)
            st = jfail(m);
    }
    xp_arena_reset(a);
    return st;
}

/* Reads NEWROOM back as its owner: every carried affiliation, every
 * submitted field. */
static void verify_new(struct move *m)
{
    struct live *l = &m->ln;
    xp_run_progress(&m->j->r, "verify", XPORTA_KIND_COUNT, 0, 0, -1, 0,
                    m->new_room, true);
    size_t old_n = m->n;
    for (int k = 0; k < 4; k++) {
        struct call *c = live_call(l, "get", m->new_room,
                                   xp_muc_list_query(&l->arena, move_lists[k]),
                                   MOVE_TIMEOUT_MS);
        if (call_ok(m, l, c, "reading the new room back") != XPORTA_OK)
            return;
        size_t before = m->n;
        xp_muc_list_decode(&m->a, c->iq, on_old_item, m);
        for (size_t i = before; i < m->n; i++)
            m->v[i].aff = move_lists[k];
        xp_arena_reset(&l->arena);
    }
    for (size_t i = 0; i < old_n; i++) {
        bool found = false;
        for (size_t k = old_n; k < m->n && !found; k++)
            found = moved_jid_eq(m->v[i].jid, m->v[k].jid) &&
                    m->v[i].aff == m->v[k].aff;
        if (!found) {
            m->j->mc_differs++;
            note(m, "DIFFERS", "%s is not %s in %s", m->v[i].jid,
                 xp_muc_aff_name(m->v[i].aff), m->new_room);
        }
    }
    m->n = old_n;
    struct call *c = live_call(l, "get", m->new_room,
                               xp_muc_owner_query(&l->arena), MOVE_TIMEOUT_MS);
    if (call_ok(m, l, c, "reading the new room's form back") != XPORTA_OK)
        return;
    const xp_elem *now = xp_muc_owner_form(c->iq);
    for (const xp_elem *f = xp_elem_first_element(m->old_form); f;
         f = xp_elem_next_element(f)) {
        const char *var = xp_elem_attr_ns(f, "", "var");
        const char *type = xp_elem_attr_ns(f, "", "type");
        if (!var || xp_streq(var, "FORM_TYPE") || xp_streq(type, "fixed") ||
            xp_streq(var, "muc#roomconfig_roomowners") ||
            xp_streq(var, "muc#roomconfig_roomadmins"))
            continue;
        const char *was = xp_form_field_values(&m->a, m->old_form, var);
        const char *is = now ? xp_form_field_values(&m->a, now, var) : NULL;
        const char *alias = xp_muc_config_alias(var);
        if (!is && now && alias)
            is = xp_form_field_values(&m->a, now, alias);
        if (!is)
            continue; /* not offered: reported when submitted */
        bool boolean = xp_streq(type, "boolean");
        if (boolean) {
            was = (xp_streq(was, "1") || xp_streq(was, "true")) ? "1" : "0";
            is = (xp_streq(is, "1") || xp_streq(is, "true")) ? "1" : "0";
        }
        if (!xp_form_values_equal(was, is)) {
            m->j->mc_differs++;
            note(m, "DIFFERS", "%s: '%s' in the old room, '%s' in the new", var,
                 was, is);
        }
    }
    xp_arena_reset(&l->arena);
}

static xporta_status move_into(struct move *m)
{
    xporta_job *j = m->j;
    struct xp_session_opts so;
    job_session_opts(j->account, &so);
    j->r.step = "room-move";
    xporta_status st = live_open(&m->lo, &j->r, &so, 0);
    m->lo_open = true;
    if (st == XPORTA_OK) {
        job_session_opts(j->target, &so);
        st = live_open(&m->ln, &j->r, &so, 0);
        m->ln_open = true;
    }
    if (st == XPORTA_OK && jdone(m, "room", m->old_room, "destroyed")) {
        note(m, "done", "%s moved to %s and was destroyed by an earlier run",
             m->old_room, m->new_room);
        return XPORTA_OK;
    }
    if (st == XPORTA_OK)
        st = read_old(m);
    if (st == XPORTA_OK)
        note(m, "read",
             "%s: %zu affiliation(s), %s subject, configuration form read",
             m->old_room, m->n, m->subject ? "a" : "no");
    if (st == XPORTA_OK)
        st = create_new(m);
    if (st == XPORTA_OK)
        st = carry_affiliations(m);
    if (st == XPORTA_OK)
        st = carry_subject(m);
    if (st == XPORTA_OK && !j->dry_run)
        leave(&m->ln, m->new_room);
    if (st == XPORTA_OK)
        st = bookmark_new(m);
    if (st == XPORTA_OK)
        st = destroy_old(m);
    if (st == XPORTA_OK && !j->dry_run && j->verify)
        verify_new(m);
    if (st == XPORTA_OK && !j->dry_run)
        xp_session_drain(m->ln.s, 2000); /* the leave goes out */
    return st;
}

xporta_status room_move_run(xporta_job *j)
{
    struct move m;
    memset(&m, 0, sizeof m);
    m.j = j;
    m.old_room = j->old_room;
    m.new_room = j->new_room;
    j->mc_fields = j->mc_fields_skipped = j->mc_affiliations = 0;
    j->mc_affiliations_failed = j->mc_differs = 0;
    j->mc_created = j->mc_subject = j->mc_destroyed = false;
    if (moved_jid_eq(m.old_room, m.new_room))
        return xp_fail(&j->r.err, XPORTA_EINVAL,
                       "the old and the new room are the same (%s)",
                       m.old_room);
    xp_arena_init(&m.a, 0);
    char *header = NULL;
    xporta_status st = XPORTA_OK;
    if (!j->dry_run) {
        size_t n = strlen(m.old_room) + strlen(m.new_room) +
                   strlen(j->account->jid) + strlen(j->target->jid) + 64;
        header = malloc(n);
        if (!header)
            st = xp_fail(&j->r.err, XPORTA_ENOMEM, "out of memory");
        else
            snprintf(header, n, "room-move 1 old=%s new=%s as=%s,%s",
                     m.old_room, m.new_room, j->account->jid, j->target->jid);
        if (st == XPORTA_OK)
            st = job_journal_open(j, header, &j->resumed, &m.jr);
    }
    if (st == XPORTA_OK)
        st = move_into(&m);
    if (m.ln_open)
        live_close(&m.ln);
    if (m.lo_open)
        live_close(&m.lo);
    /* The journal stays: run again, the command finds the room it made
     * and checks it (and destroys the old one, if asked now). */
    if (m.jr) {
        if (st != XPORTA_OK)
            job_forget_unstarted(j, m.jr, 0);
        xfer_journal_close(m.jr);
    }
    free(header);
    free(m.v);
    xp_arena_cleanup(&m.a);
    if (st == XPORTA_OK && (j->mc_affiliations_failed || j->mc_differs))
        st = xp_fail(&j->r.err, XPORTA_ESTANZA,
                     "the room moved, but %llu affiliation(s) were refused "
                     "and %llu difference(s) found (each reported)",
                     (unsigned long long)j->mc_affiliations_failed,
                     (unsigned long long)j->mc_differs);
    return st;
}
