/* xporta serve: the steps of each job type, run in a worker thread, and
 * the library's callbacks turned into event lines.
 *
 * migrate: plan (a dry run) -> run (copy, verify) -> announce (optional)
 * export:  run (the XEP-0227 file; then downloadable)
 * import:  check (the uploaded file) -> plan (a dry run into the account)
 *          -> run
 *
 * The event lines follow the library-wide encoder's shape ("v":1,
 * "event": progress|item|contact|room|note|summary); until that encoder
 * lands (branch events), this file writes them from the callbacks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve_srv.h"

enum { XS_ITEM_LINES = 2000, XS_NOTE_LINES = 200 };

static void emit_buf(struct xs_job *j, struct xs_buf *b)
{
    if (!b->oom)
        xs_emit(j, b->p, b->n);
    xs_buf_free(b);
}

static void on_progress(const xporta_progress *p, void *ud)
{
    struct xs_job *j = ud;
    struct xs_buf b = {0};
    xs_buf_str(&b, "{\"v\":1,\"event\":\"progress\",\"step\":");
    xs_buf_jstr(&b, p->step, 64);
    xs_buf_str(&b, ",\"phase\":");
    xs_buf_jstr(&b, p->phase, 64);
    xs_buf_str(&b, ",\"kind\":");
    xs_buf_jstr(
        &b, p->kind < XPORTA_KIND_COUNT ? xporta_kind_name(p->kind) : NULL, 64);
    xs_buf_printf(&b,
                  ",\"done\":%llu,\"total\":%llu,\"fraction\":%.3f,"
                  "\"rate\":%.1f,\"elapsed\":%.1f,\"message\":",
                  (unsigned long long)p->done, (unsigned long long)p->total,
                  p->fraction, p->rate, p->elapsed);
    xs_buf_jstr(&b, p->message, 512);
    xs_buf_str(&b, "}");
    emit_buf(j, &b);
}

static const char *action_name(xporta_action a)
{
    switch (a) {
    case XPORTA_ACTION_ADD:
        return "add";
    case XPORTA_ACTION_REPLACE:
        return "replace";
    case XPORTA_ACTION_SAME:
        return "same";
    case XPORTA_ACTION_CONFLICT:
        return "conflict";
    case XPORTA_ACTION_SKIP:
        return "skip";
    case XPORTA_ACTION_FAILED:
        return "failed";
    case XPORTA_ACTION_MISSING:
        return "missing";
    case XPORTA_ACTION_DIFFERS:
        return "differs";
    }
    return "other";
}

static void on_action(void *ud, xporta_action action, xporta_kind kind,
                      const char *key, const char *id, const char *why)
{
    struct xs_job *j = ud;
    /* Only what a person acts on is listed one by one past the ceiling:
     * the counts per kind come in the summary. */
    if (j->items >= XS_ITEM_LINES && action != XPORTA_ACTION_FAILED)
        return;
    j->items++;
    struct xs_buf b = {0};
    xs_buf_printf(&b, "{\"v\":1,\"event\":\"%s\",\"action\":\"%s\",\"kind\":",
                  action == XPORTA_ACTION_FAILED ? "refused" : "item",
                  action_name(action));
    xs_buf_jstr(&b, xporta_kind_name(kind), 64);
    xs_buf_str(&b, ",\"key\":");
    xs_buf_jstr(&b, key, 1024);
    xs_buf_str(&b, ",\"id\":");
    xs_buf_jstr(&b, id, 512);
    xs_buf_str(&b, ",\"why\":");
    xs_buf_jstr(&b, why, 1024);
    xs_buf_str(&b, "}");
    emit_buf(j, &b);
}

static const char *contact_name(xporta_contact_outcome o)
{
    static const char *const n[] = {"",        "moved",   "asked",   "already",
                                    "skipped", "earlier", "bounced", "followed",
                                    "left",    "again",   "approved"};
    return (unsigned)o < sizeof n / sizeof n[0] ? n[o] : "other";
}

static void on_contact(void *ud, const char *jid, xporta_contact_outcome o,
                       const char *why)
{
    struct xs_job *j = ud;
    struct xs_buf b = {0};
    xs_buf_str(&b, "{\"v\":1,\"event\":\"contact\",\"jid\":");
    xs_buf_jstr(&b, jid, 1024);
    xs_buf_printf(&b, ",\"outcome\":\"%s\",\"why\":", contact_name(o));
    xs_buf_jstr(&b, why, 1024);
    xs_buf_str(&b, "}");
    emit_buf(j, &b);
}

static void on_note(void *ud, const char *what, const char *detail)
{
    struct xs_job *j = ud;
    if (j->items >= XS_ITEM_LINES)
        return;
    j->items++;
    struct xs_buf b = {0};
    xs_buf_str(&b, "{\"v\":1,\"event\":\"note\",\"what\":");
    xs_buf_jstr(&b, what, 64);
    xs_buf_str(&b, ",\"detail\":");
    xs_buf_jstr(&b, detail, 1024);
    xs_buf_str(&b, "}");
    emit_buf(j, &b);
}

static void on_room(void *ud, const char *room, const char *aff,
                    xporta_room_outcome o, const char *owners, const char *why)
{
    struct xs_job *j = ud;
    struct xs_buf b = {0};
    xs_buf_str(&b, "{\"v\":1,\"event\":\"room\",\"room\":");
    xs_buf_jstr(&b, room, 1024);
    xs_buf_str(&b, ",\"affiliation\":");
    xs_buf_jstr(&b, aff, 64);
    xs_buf_printf(&b, ",\"outcome\":%d,\"owners\":", (int)o);
    xs_buf_jstr(&b, owners, 1024);
    xs_buf_str(&b, ",\"why\":");
    xs_buf_jstr(&b, why, 1024);
    xs_buf_str(&b, "}");
    emit_buf(j, &b);
}

static const char *kstate_name(xporta_kind_state s)
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
    return "other";
}

/* {"v":1,"event":"summary",...}: the counts per kind after a step. */
static void summary(struct xs_job *j, xporta_job *lj, const char *step,
                    xporta_status st, bool import_counts)
{
    struct xs_buf b = {0};
    xs_buf_str(&b, "{\"v\":1,\"event\":\"summary\",\"step\":");
    xs_buf_jstr(&b, step, 64);
    xs_buf_printf(&b, ",\"status\":\"%s\",\"error\":",
                  st == XPORTA_OK ? "ok" : xporta_status_name(st));
    xs_buf_jstr(&b, st == XPORTA_OK ? NULL : xporta_job_error(lj), 1024);
    xs_buf_printf(&b, ",\"resumed\":%s,\"verified\":%s,\"kinds\":{",
                  xporta_job_resumed(lj) ? "true" : "false",
                  import_counts && xporta_job_verified(lj) ? "true" : "false");
    bool first = true;
    for (int k = 0; k < XPORTA_KIND_COUNT; k++) {
        xporta_kind_state ks = xporta_job_state(lj, (xporta_kind)k);
        xporta_import_counts c;
        memset(&c, 0, sizeof c);
        if (import_counts)
            xporta_job_import_counts(lj, (xporta_kind)k, &c);
        uint64_t count = xporta_job_count(lj, (xporta_kind)k);
        if (ks == XPORTA_STATE_NOT_ASKED && !c.source && !count)
            continue;
        xs_buf_printf(&b, "%s\"%s\":{\"state\":\"%s\",\"count\":%llu",
                      first ? "" : ",", xporta_kind_name((xporta_kind)k),
                      kstate_name(ks), (unsigned long long)count);
        first = false;
        if (import_counts)
            xs_buf_printf(
                &b,
                ",\"source\":%llu,\"add\":%llu,\"replace\":%llu,"
                "\"same\":%llu,\"conflict\":%llu,\"skip\":%llu,"
                "\"not_restorable\":%llu,\"written\":%llu,"
                "\"failed\":%llu,\"verified\":%llu,\"kept\":%llu,"
                "\"missing\":%llu,\"differs\":%llu",
                (unsigned long long)c.source, (unsigned long long)c.add,
                (unsigned long long)c.replace, (unsigned long long)c.same,
                (unsigned long long)c.conflict, (unsigned long long)c.skip,
                (unsigned long long)c.not_restorable,
                (unsigned long long)c.written, (unsigned long long)c.failed,
                (unsigned long long)c.verified, (unsigned long long)c.kept,
                (unsigned long long)c.missing, (unsigned long long)c.differs);
        xs_buf_str(&b, ",\"note\":");
        xs_buf_jstr(&b, xporta_job_note(lj, (xporta_kind)k), 512);
        xs_buf_str(&b, "}");
    }
    xs_buf_str(&b, "}");
    if (strcmp(step, "announce") == 0) {
        xporta_moved_counts m;
        xporta_job_moved_counts(lj, &m);
        xs_buf_printf(
            &b,
            ",\"contacts\":{\"moved\":%llu,\"asked\":%llu,"
            "\"already\":%llu,\"skipped\":%llu,\"earlier\":%llu,"
            "\"bounced\":%llu,\"approved\":%llu}",
            (unsigned long long)m.moved, (unsigned long long)m.asked,
            (unsigned long long)m.already, (unsigned long long)m.skipped,
            (unsigned long long)m.earlier, (unsigned long long)m.bounced,
            (unsigned long long)m.approved);
    }
    xs_buf_str(&b, "}");
    emit_buf(j, &b);
}

static xporta_status make_acct(struct xs_job *j, const struct xs_acct *in,
                               xporta_account **out)
{
    xporta_account *a = NULL;
    xporta_status st = xporta_account_new(&a, in->jid);
    if (st == XPORTA_OK && in->password)
        st = xporta_account_set_password(a, in->password);
    if (st == XPORTA_OK && in->host[0])
        st = xporta_account_set_server(a, in->host, in->port);
    if (st == XPORTA_OK && j->srv->cafile)
        st = xporta_account_set_cafile(a, j->srv->cafile);
    if (st == XPORTA_OK)
        xporta_account_set_insecure(a, j->srv->insecure);
    if (st != XPORTA_OK) {
        xporta_account_free(a);
        a = NULL;
    }
    *out = a;
    return st;
}

/* The library job becomes cancellable (DELETE, shutdown); false when serve
 * is already stopping. */
static bool attach(struct xs_job *j, xporta_job *lj)
{
    pthread_mutex_lock(&j->srv->mu);
    j->lj = lj;
    bool stopping = j->srv->stopping;
    pthread_mutex_unlock(&j->srv->mu);
    if (stopping && lj)
        xporta_job_cancel(lj);
    return !stopping;
}

static void detach(struct xs_job *j)
{
    pthread_mutex_lock(&j->srv->mu);
    j->lj = NULL;
    pthread_mutex_unlock(&j->srv->mu);
}

static void hook(struct xs_job *j, xporta_job *lj)
{
    xporta_job_set_progress(lj, on_progress, j);
    xporta_job_set_action_cb(lj, on_action, j);
    xporta_job_set_contact_cb(lj, on_contact, j);
    xporta_job_set_note_cb(lj, on_note, j);
    xporta_job_set_room_cb(lj, on_room, j);
}

/* Runs a library job made for this step; the summary; words on failure. */
static xporta_status run_lj(struct xs_job *j, xporta_job *lj, const char *step,
                            bool import_counts, char *msg, size_t cap,
                            const char *old_jid, const char *new_jid)
{
    hook(j, lj);
    attach(j, lj);
    xporta_status st = xporta_job_run(lj);
    detach(j);
    summary(j, lj, step, st, import_counts);
    if (st != XPORTA_OK)
        xs_words(msg, cap, st, xporta_job_error(lj), old_jid, new_jid);
    else if (import_counts && !xporta_job_verified(lj) &&
             strcmp(step, "run") == 0)
        snprintf(msg, cap,
                 "Copied, but the read-back found differences: "
                 "see the report below.");
    return st;
}

static void job_path(struct xs_job *j, const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", j->dir, name);
}

static void on_diag(const xporta_diag *d, void *ud)
{
    struct xs_job *j = ud;
    if (d->severity == XPORTA_NOTE || j->items >= XS_NOTE_LINES)
        return;
    j->items++;
    char where[64];
    snprintf(where, sizeof where, "line %lu, column %lu: ", d->line, d->col);
    struct xs_buf b = {0};
    xs_buf_printf(&b, "{\"v\":1,\"event\":\"note\",\"what\":\"%s\",\"detail\":",
                  d->severity == XPORTA_ERROR ? "error" : "warning");
    char text[1200];
    snprintf(text, sizeof text, "%s%s", d->line ? where : "", d->message);
    xs_buf_jstr(&b, text, 1024);
    xs_buf_str(&b, "}");
    emit_buf(j, &b);
}

static void on_bytes(uint64_t done, void *ud)
{
    struct xs_job *j = ud;
    double now = xs_now();
    if (now - j->last_progress < 0.25)
        return;
    j->last_progress = now;
    struct xs_buf b = {0};
    xs_buf_printf(&b,
                  "{\"v\":1,\"event\":\"progress\",\"step\":\"check\","
                  "\"phase\":\"read\",\"kind\":null,\"done\":%llu,"
                  "\"total\":%llu,\"fraction\":%.3f}",
                  (unsigned long long)done, (unsigned long long)j->file_size,
                  j->file_size ? (double)done / (double)j->file_size : -1.0);
    emit_buf(j, &b);
}

static xporta_status step_check(struct xs_job *j, char *msg, size_t cap)
{
    char path[PATH_MAX + 16];
    job_path(j, "upload.xml", path, sizeof path);
    xporta_check_options o;
    memset(&o, 0, sizeof o);
    o.diag = on_diag;
    o.diag_userdata = j;
    o.progress = on_bytes;
    o.progress_userdata = j;
    o.threads = 1;
    xporta_check_result r;
    memset(&r, 0, sizeof r);
    xporta_status st = xporta_check_file(path, &o, &r);
    struct xs_buf b = {0};
    xs_buf_printf(&b,
                  "{\"v\":1,\"event\":\"summary\",\"step\":\"check\","
                  "\"status\":\"%s\",\"hosts\":%lu,\"users\":%lu,"
                  "\"records\":%lu,\"errors\":%lu,\"warnings\":%lu,\"error\":",
                  st == XPORTA_OK && r.fatal == XPORTA_OK && !r.errors
                      ? "ok"
                      : "problems",
                  r.hosts, r.users, r.records, r.errors, r.warnings);
    xs_buf_jstr(&b, r.fatal != XPORTA_OK ? r.fatal_text : NULL, 1024);
    xs_buf_str(&b, "}");
    emit_buf(j, &b);
    if (st != XPORTA_OK) {
        xs_words(msg, cap, st, "the uploaded file could not be opened", NULL,
                 NULL);
        return st;
    }
    if (r.fatal != XPORTA_OK) {
        xs_words(msg, cap, XPORTA_EFORMAT, r.fatal_text, NULL, NULL);
        return XPORTA_EFORMAT;
    }
    if (r.errors) {
        snprintf(msg, cap,
                 "The file has %lu problem%s (listed below): it "
                 "cannot be imported as it is.",
                 r.errors, r.errors == 1 ? "" : "s");
        return XPORTA_EFORMAT;
    }
    if (r.users == 0) {
        snprintf(msg, cap, "The file holds no account.");
        return XPORTA_EFORMAT;
    }
    snprintf(msg, cap,
             "The file is valid: %lu account%s, %lu record%s. Now "
             "say which account to import it into.",
             r.users, r.users == 1 ? "" : "s", r.records,
             r.records == 1 ? "" : "s");
    return XPORTA_OK;
}

xporta_status xs_run_step(struct xs_job *j, const char *step, struct xs_acct *a,
                          struct xs_acct *b, char *msg, size_t cap, char *next,
                          size_t ncap)
{
    bool dry = strcmp(step, "plan") == 0;
    if (j->type == XS_IMPORT && strcmp(step, "check") == 0) {
        xporta_status st = step_check(j, msg, cap);
        if (st == XPORTA_OK)
            snprintf(next, ncap, "plan");
        return st;
    }
    xporta_account *x = NULL, *y = NULL;
    xporta_job *lj = NULL;
    xporta_status st = make_acct(j, a, &x);
    if (st == XPORTA_OK && j->type == XS_MIGRATE)
        st = make_acct(j, b, &y);
    char path[PATH_MAX + 16];
    if (st != XPORTA_OK) {
        xs_words(msg, cap, st, "an account address is not valid", NULL, NULL);
        goto out;
    }
    switch (j->type) {
    case XS_MIGRATE:
        if (strcmp(step, "announce") == 0) {
            st = xporta_announce_new(&lj, x, y);
        } else {
            st = xporta_migrate_new(&lj, x, y);
            if (st == XPORTA_OK) {
                xporta_job_set_dry_run(lj, dry);
                xporta_job_set_verify(lj, true);
            }
        }
        break;
    case XS_EXPORT:
        job_path(j, "export.xml", path, sizeof path);
        st = xporta_export_new(&lj, x, path);
        break;
    case XS_IMPORT:
        job_path(j, "upload.xml", path, sizeof path);
        st = xporta_import_new(&lj, path, x);
        if (st == XPORTA_OK) {
            xporta_job_set_dry_run(lj, dry);
            xporta_job_set_verify(lj, true);
        }
        break;
    }
    if (st != XPORTA_OK) {
        xs_words(msg, cap, st, NULL, NULL, NULL);
        goto out;
    }
    st = run_lj(j, lj, step, j->type != XS_EXPORT && strcmp(step, "announce"),
                msg, cap, a->jid, j->type == XS_MIGRATE ? b->jid : NULL);
    if (st == XPORTA_OK) {
        if (dry) {
            snprintf(next, ncap, "run");
            if (!msg[0])
                snprintf(msg, cap,
                         "This is the plan: nothing was changed yet.");
        } else if (j->type == XS_MIGRATE && strcmp(step, "run") == 0) {
            snprintf(next, ncap, "announce");
            if (!msg[0])
                snprintf(msg, cap,
                         "Your account was copied and checked. You "
                         "can now tell your contacts where you moved.");
        } else if (!msg[0]) {
            snprintf(msg, cap, "%s",
                     j->type == XS_EXPORT ? "Your data is ready to download."
                     : strcmp(step, "announce") == 0
                         ? "Your contacts were told where you moved."
                         : "Done: the file was imported and checked.");
        }
    }
out:
    xporta_job_free(lj);
    xporta_account_free(x);
    xporta_account_free(y);
    return st;
}
