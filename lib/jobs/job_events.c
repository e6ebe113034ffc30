/* The job event stream (xporta_job_set_event_cb; xporta(1), JSON EVENTS):
 * one JSON object per event, from one encoder (lib/base/xp_json.c) that
 * the CLI's --json and xporta serve both read.
 *
 * While a job with an event callback runs, its progress, action, account,
 * contact, room and note callbacks are wrapped: each wrapper writes the
 * event, then calls the caller's own callback, if any.  The job types call
 * their callbacks as before, so every type gets the stream without a line
 * of its own; start and summary come from xporta_job_run. */
#include <string.h>

#include "jobs_p.h"

static void emit(xporta_job *j)
{
    size_t len = 0;
    const char *line = xp_json_end(&j->ev.w, &len);
    if (line)
        j->ev.cb(j->ev.ud, line, len);
}

static void begin(xporta_job *j, const char *event)
{
    xp_json_begin(&j->ev.w);
    xp_json_str(&j->ev.w, "event", event);
    xp_json_num(&j->ev.w, "v", 1);
}

static const char *command_name(enum job_type t)
{
    switch (t) {
    case JOB_EXPORT:
        return "export";
    case JOB_IMPORT:
        return "import";
    case JOB_MIGRATE:
        return "migrate";
    case JOB_READ:
        return "read";
    case JOB_ANNOUNCE:
        return "announce";
    case JOB_FOLLOW:
        return "follow-moves";
    case JOB_SERVER_IMPORT:
        return "server-import";
    case JOB_SERVER_EXPORT:
        return "server-export";
    case JOB_ROOMS:
        return "rooms";
    case JOB_ROOM_MOVE:
        return "room-move";
    case JOB_HISTORY:
        return "history";
    }
    return "?";
}

const char *job_action_name(xporta_action a)
{
    static const char *const names[] = {
        [XPORTA_ACTION_ADD] = "add",
        [XPORTA_ACTION_REPLACE] = "replace",
        [XPORTA_ACTION_SAME] = "same",
        [XPORTA_ACTION_CONFLICT] = "conflict",
        [XPORTA_ACTION_SKIP] = "skip",
        [XPORTA_ACTION_FAILED] = "failed",
        [XPORTA_ACTION_MISSING] = "missing",
        [XPORTA_ACTION_DIFFERS] = "differs",
    };
    return (unsigned)a < sizeof names / sizeof names[0] && names[a] ? names[a]
                                                                    : "?";
}

static const char *contact_name(xporta_contact_outcome o)
{
    static const char *const names[] = {
        [XPORTA_CONTACT_MOVED] = "moved",
        [XPORTA_CONTACT_ASKED] = "asked",
        [XPORTA_CONTACT_ALREADY] = "already",
        [XPORTA_CONTACT_SKIPPED] = "skipped",
        [XPORTA_CONTACT_EARLIER] = "earlier",
        [XPORTA_CONTACT_BOUNCED] = "bounced",
        [XPORTA_CONTACT_FOLLOWED] = "followed",
        [XPORTA_CONTACT_LEFT] = "left",
        [XPORTA_CONTACT_AGAIN] = "again",
        [XPORTA_CONTACT_APPROVED] = "approved",
    };
    return (unsigned)o < sizeof names / sizeof names[0] && names[o] ? names[o]
                                                                    : "?";
}

static const char *room_name(xporta_room_outcome o)
{
    static const char *const names[] = {
        [XPORTA_ROOM_GRANTED] = "granted",
        [XPORTA_ROOM_PARTIAL] = "partial",
        [XPORTA_ROOM_ALREADY] = "already",
        [XPORTA_ROOM_ASK] = "ask",
        [XPORTA_ROOM_NOTIFIED] = "notified",
        [XPORTA_ROOM_REFUSED] = "refused",
        [XPORTA_ROOM_NONE] = "none",
        [XPORTA_ROOM_UNREACHABLE] = "unreachable",
        [XPORTA_ROOM_PLANNED] = "planned",
        [XPORTA_ROOM_EARLIER] = "earlier",
    };
    return (unsigned)o < sizeof names / sizeof names[0] && names[o] ? names[o]
                                                                    : "?";
}

static const char *state_name(xporta_kind_state s)
{
    switch (s) {
    case XPORTA_STATE_NOT_ASKED:
        return "not-asked";
    case XPORTA_STATE_DONE:
        return "done";
    case XPORTA_STATE_UNAVAILABLE:
        return "unavailable";
    case XPORTA_STATE_FAILED:
        return "failed";
    case XPORTA_STATE_NOT_RESTORABLE:
        return "not-restorable";
    }
    return "?";
}

/* The plan and what was written, as server-import's "account" had them
 * (skip counts what a client cannot restore too). */
static void plan_counts(struct xp_json *w, const xporta_import_counts *c)
{
    xp_json_num(w, "source", c->source);
    xp_json_num(w, "add", c->add);
    xp_json_num(w, "same", c->same);
    xp_json_num(w, "conflict", c->conflict);
    xp_json_num(w, "replace", c->replace);
    xp_json_num(w, "skip", c->skip + c->not_restorable);
    xp_json_num(w, "written", c->written);
    xp_json_num(w, "failed", c->failed);
}

/* ---- the wrappers ------------------------------------------------------- */

static void on_progress(const xporta_progress *p, void *ud)
{
    xporta_job *j = ud;
    struct xp_json *w = &j->ev.w;
    begin(j, "progress");
    xp_json_str(w, "step", p->step);
    xp_json_str(w, "phase", p->phase);
    xp_json_num(w, "done", p->done);
    xp_json_num(w, "total", p->total);
    if (p->fraction >= 0)
        xp_json_double(w, "fraction", p->fraction);
    xp_json_double(w, "rate", p->rate);
    xp_json_double(w, "elapsed", p->elapsed);
    xp_json_str(w, "message", p->message);
    if ((unsigned)p->kind < XPORTA_KIND_COUNT)
        xp_json_str(w, "kind", xporta_kind_name(p->kind));
    emit(j);
    if (j->ev.progress)
        j->ev.progress(p, j->ev.progress_ud);
}

static bool server_job(const xporta_job *j)
{
    return j->type == JOB_SERVER_IMPORT || j->type == JOB_SERVER_EXPORT;
}

static void on_action(void *ud, xporta_action a, xporta_kind kind,
                      const char *key, const char *id, const char *why)
{
    xporta_job *j = ud;
    struct xp_json *w = &j->ev.w;
    /* A refused write is "refused"; the server-side copies plan every
     * record of every account (archives included): their plan is in the
     * "account" events, not a line per record. */
    if (a == XPORTA_ACTION_FAILED || !server_job(j)) {
        begin(j, a == XPORTA_ACTION_FAILED ? "refused" : "item");
        if (a != XPORTA_ACTION_FAILED)
            xp_json_str(w, "action", job_action_name(a));
        xp_json_str(w, "kind", xporta_kind_name(kind));
        xp_json_str(w, "key", key);
        xp_json_str(w, "id", id);
        xp_json_str(w, "why", why);
        emit(j);
    }
    if (j->ev.action)
        j->ev.action(j->ev.action_ud, a, kind, key, id, why);
}

static void on_account(void *ud, const char *jid, xporta_status st,
                       const char *why, const xporta_import_counts *counts)
{
    xporta_job *j = ud;
    struct xp_json *w = &j->ev.w;
    begin(j, "account");
    xp_json_str(w, "jid", jid);
    xp_json_bool(w, "ok", st == XPORTA_OK);
    xp_json_str(w, "why",
                st != XPORTA_OK ? (why ? why : xporta_strerror(st)) : NULL);
    if (st == XPORTA_OK && counts) {
        xp_json_open(w, "kinds");
        for (int k = 0; k < XPORTA_KIND_COUNT; k++) {
            if (!counts[k].source)
                continue;
            xp_json_open(w, xporta_kind_name((xporta_kind)k));
            plan_counts(w, &counts[k]);
            xp_json_close(w);
        }
        xp_json_close(w);
    }
    emit(j);
    if (j->ev.account)
        j->ev.account(j->ev.account_ud, jid, st, why, counts);
}

static void on_contact(void *ud, const char *jid, xporta_contact_outcome o,
                       const char *why)
{
    xporta_job *j = ud;
    begin(j, "contact");
    xp_json_str(&j->ev.w, "jid", jid);
    xp_json_str(&j->ev.w, "outcome", contact_name(o));
    xp_json_str(&j->ev.w, "why", why);
    emit(j);
    if (j->ev.contact)
        j->ev.contact(j->ev.contact_ud, jid, o, why);
}

static void on_room(void *ud, const char *room, const char *affiliation,
                    xporta_room_outcome o, const char *owners, const char *why)
{
    xporta_job *j = ud;
    begin(j, "room");
    xp_json_str(&j->ev.w, "room", room);
    xp_json_str(&j->ev.w, "affiliation", affiliation);
    xp_json_str(&j->ev.w, "outcome", room_name(o));
    xp_json_str(&j->ev.w, "owners", owners);
    xp_json_str(&j->ev.w, "why", why);
    emit(j);
    if (j->ev.room)
        j->ev.room(j->ev.room_ud, room, affiliation, o, owners, why);
}

static void on_note(void *ud, const char *what, const char *detail)
{
    xporta_job *j = ud;
    begin(j, "note");
    xp_json_str(&j->ev.w, "what", what);
    xp_json_str(&j->ev.w, "detail", detail);
    emit(j);
    if (j->ev.note)
        j->ev.note(j->ev.note_ud, what, detail);
}

/* ---- start and summary -------------------------------------------------- */

void job_events_start(xporta_job *j)
{
    if (!j->ev.cb)
        return;
    j->ev.t0 = xp_now();
    /* The caller's callbacks, called by the wrappers until the end. */
    j->ev.progress = j->r.progress;
    j->ev.progress_ud = j->r.progress_ud;
    j->ev.action = j->action;
    j->ev.action_ud = j->action_ud;
    j->ev.account = j->account_cb;
    j->ev.account_ud = j->account_ud;
    j->ev.contact = j->contact_cb;
    j->ev.contact_ud = j->contact_ud;
    j->ev.room = j->room_cb;
    j->ev.room_ud = j->room_ud;
    j->ev.note = j->note_cb;
    j->ev.note_ud = j->note_ud;
    j->r.progress = on_progress;
    j->r.progress_ud = j;
    j->action = on_action;
    j->action_ud = j;
    j->account_cb = on_account;
    j->account_ud = j;
    j->contact_cb = on_contact;
    j->contact_ud = j;
    j->room_cb = on_room;
    j->room_ud = j;
    j->note_cb = on_note;
    j->note_ud = j;
    j->ev.wrapped = true;

    struct xp_json *w = &j->ev.w;
    begin(j, "start");
    xp_json_str(w, "command", command_name(j->type));
    xp_json_bool(w, "dry_run", j->dry_run);
    xp_json_str(w, "account", j->account ? j->account->jid : NULL);
    xp_json_str(w, "target", j->target ? j->target->jid : NULL);
    xp_json_str(w, "file", j->path);
    xp_json_str(w, "source", j->source);
    xp_json_str(w, "store", j->target_store);
    xp_json_str(w, "room", j->old_room);
    xp_json_str(w, "new_room", j->new_room);
    emit(j);
}

static void summary_kinds(xporta_job *j)
{
    struct xp_json *w = &j->ev.w;
    bool plan =
        j->type == JOB_IMPORT || j->type == JOB_MIGRATE || server_job(j);
    bool verify = (j->type == JOB_IMPORT || j->type == JOB_MIGRATE) &&
                  j->verify && !j->dry_run;
    xp_json_open(w, "kinds");
    for (int k = 0; k < XPORTA_KIND_COUNT; k++) {
        const xporta_import_counts *c = &j->ic[k];
        xporta_kind_state s = j->r.kind[k].state;
        const char *note = j->r.kind[k].note;
        if (s == XPORTA_STATE_NOT_ASKED && !c->source && !note &&
            !j->r.kind[k].count)
            continue;
        uint64_t count = j->r.kind[k].count;
        if (plan && s == XPORTA_STATE_NOT_ASKED && c->source) {
            /* The copies keep no state per kind of their own (a migrate's
             * is its export's, reset by the steps after it): each kind
             * read was copied as far as its counts say, and counts the
             * records on the target (the file, for server-export). */
            s = c->not_restorable ? XPORTA_STATE_NOT_RESTORABLE
                : c->failed       ? XPORTA_STATE_FAILED
                                  : XPORTA_STATE_DONE;
            count =
                j->type == JOB_SERVER_EXPORT ? c->source : c->written + c->same;
        }
        xp_json_open(w, xporta_kind_name((xporta_kind)k));
        xp_json_str(w, "state", state_name(s));
        xp_json_num(w, "count", count);
        xp_json_str(w, "note", note);
        if (plan)
            plan_counts(w, c);
        if (verify && c->source && !c->not_restorable) {
            xp_json_num(w, "verified", c->verified);
            xp_json_num(w, "kept", c->kept);
            xp_json_num(w, "missing", c->missing);
            xp_json_num(w, "differs", c->differs);
            xp_json_num(w, "target_only", c->target_only);
        }
        xp_json_close(w);
    }
    xp_json_close(w);
}

static void summary_contacts(xporta_job *j)
{
    struct xp_json *w = &j->ev.w;
    const xporta_moved_counts *m = &j->mc;
    xp_json_open(w, "contacts");
    xp_json_num(w, "moved", m->moved);
    xp_json_num(w, "asked", m->asked);
    xp_json_num(w, "already", m->already);
    xp_json_num(w, "skipped", m->skipped);
    xp_json_num(w, "earlier", m->earlier);
    xp_json_num(w, "bounced", m->bounced);
    xp_json_num(w, "approved", m->approved);
    xp_json_num(w, "followed", m->followed);
    xp_json_num(w, "left", m->left);
    xp_json_close(w);
}

static void summary_rooms(xporta_job *j)
{
    struct xp_json *w = &j->ev.w;
    const xporta_room_counts *c = &j->rc;
    xp_json_open(w, "room_outcomes");
    xp_json_num(w, "rooms", c->rooms);
    xp_json_num(w, "granted", c->granted);
    xp_json_num(w, "partial", c->partial);
    xp_json_num(w, "already", c->already);
    xp_json_num(w, "ask", c->ask);
    xp_json_num(w, "notified", c->notified);
    xp_json_num(w, "refused", c->refused);
    xp_json_num(w, "none", c->none);
    xp_json_num(w, "unreachable", c->unreachable);
    xp_json_num(w, "planned", c->planned);
    xp_json_num(w, "earlier", c->earlier);
    xp_json_num(w, "services", c->services);
    xp_json_num(w, "not_looked", c->not_looked);
    xp_json_close(w);
}

static void summary_room_move(xporta_job *j)
{
    struct xp_json *w = &j->ev.w;
    xp_json_open(w, "room_move");
    xp_json_num(w, "fields", j->mc_fields);
    xp_json_num(w, "fields_skipped", j->mc_fields_skipped);
    xp_json_num(w, "affiliations", j->mc_affiliations);
    xp_json_num(w, "affiliations_failed", j->mc_affiliations_failed);
    xp_json_num(w, "differs", j->mc_differs);
    xp_json_bool(w, "created", j->mc_created);
    xp_json_bool(w, "subject", j->mc_subject);
    xp_json_bool(w, "destroyed", j->mc_destroyed);
    xp_json_close(w);
}

void job_events_end(xporta_job *j, xporta_status st)
{
    if (!j->ev.wrapped)
        return;
    j->r.progress = j->ev.progress;
    j->r.progress_ud = j->ev.progress_ud;
    j->action = j->ev.action;
    j->action_ud = j->ev.action_ud;
    j->account_cb = j->ev.account;
    j->account_ud = j->ev.account_ud;
    j->contact_cb = j->ev.contact;
    j->contact_ud = j->ev.contact_ud;
    j->room_cb = j->ev.room;
    j->room_ud = j->ev.room_ud;
    j->note_cb = j->ev.note;
    j->note_ud = j->ev.note_ud;
    j->ev.wrapped = false;

    /* What xporta(1) exits with for this outcome: follow --watch ends by
     * a cancel, its normal end; server-import with accounts left out
     * (named in their "account" events) has the others in place. */
    bool ok = st == XPORTA_OK ||
              (j->type == JOB_FOLLOW && j->watch && st == XPORTA_ECANCELED);
    const char *status;
    int code = xporta_status_exit(ok ? XPORTA_OK : st, &status);
    if (j->type == JOB_SERVER_IMPORT && st == XPORTA_EFORMAT &&
        j->accounts_failed) {
        code = 1;
        status = "problems";
    }
    struct xp_json *w = &j->ev.w;
    begin(j, "summary");
    xp_json_str(w, "command", command_name(j->type));
    xp_json_bool(w, "ok", ok);
    xp_json_num(w, "exit", (uint64_t)code);
    const char *error = xp_err_msg(&j->r.err);
    xp_json_str(w, "error",
                ok                ? NULL
                : error && *error ? error
                                  : xporta_strerror(st));
    xp_json_bool(w, "dry_run", j->dry_run);
    if (server_job(j)) {
        xp_json_num(w, "accounts", j->accounts);
        xp_json_num(w, "accounts_failed", j->accounts_failed);
        xp_json_num(w, "accounts_earlier", j->accounts_before);
        xp_json_num(w, "rooms", j->rooms_copied);
        xp_json_num(w, "rooms_failed", j->rooms_failed);
        xp_json_num(w, "rooms_earlier", j->rooms_before);
    }
    xp_json_double(w, "seconds", xp_now() - j->ev.t0);
    xp_json_str(w, "state_dir", j->state_dir_used);
    xp_json_str(w, "status", status);
    xp_json_bool(w, "resumed", j->resumed);
    if ((j->type == JOB_IMPORT || j->type == JOB_MIGRATE) && j->verify &&
        !j->dry_run)
        xp_json_bool(w, "verified", j->verified);
    /* room-move reads the new room back (DIFFERS notes): a job that ended
     * well read it back and found it as planned. */
    if (j->type == JOB_ROOM_MOVE && j->verify && !j->dry_run)
        xp_json_bool(w, "verified", st == XPORTA_OK && !j->mc_differs);
    if (j->type == JOB_EXPORT && j->rooms) {
        xp_json_num(w, "room_archives", j->rc.room_archives);
        xp_json_num(w, "room_messages", j->rc.room_messages);
    }
    if (j->type == JOB_ANNOUNCE || j->type == JOB_FOLLOW ||
        (j->type == JOB_MIGRATE && j->announce))
        summary_contacts(j);
    if (j->type == JOB_ROOMS || (j->type == JOB_MIGRATE && j->rooms))
        summary_rooms(j);
    if (j->type == JOB_ROOM_MOVE)
        summary_room_move(j);
    summary_kinds(j);
    emit(j);
}

void xporta_job_set_event_cb(xporta_job *j, xporta_event_cb cb, void *userdata)
{
    if (!j || j->ev.wrapped)
        return;
    j->ev.cb = cb;
    j->ev.ud = userdata;
}
