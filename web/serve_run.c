/* xporta serve: the steps of each job type, run in a worker thread, and
 * the library's callbacks turned into event lines.
 *
 * migrate: plan (a dry run) -> run (copy, verify) -> announce (optional)
 * export:  run (the XEP-0227 file; then downloadable)
 * import:  check (the uploaded file) -> plan (a dry run into the account)
 *          -> run
 *
 * The job's log holds the library's own event lines (xporta_job_set_event_cb,
 * xporta(1) JSON EVENTS: what `xporta CMD --json` prints), serve's "stage"
 * lines between the steps, and for the check of an upload (not a library
 * job) lines of the same shape. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "serve_srv.h"

enum { XS_ITEM_LINES = 2000, XS_NOTE_LINES = 200 };

static void emit_buf(struct xs_job *j, struct xs_buf *b)
{
    if (!b->oom)
        xs_emit(j, b->p, b->n);
    xs_buf_free(b);
}

/* The library's event stream, line by line into the job's log.  Items
 * (one per planned record) stop at a ceiling past which only the counts of
 * the summary tell; refusals, contacts and the rest always go in. */
static void on_line(void *ud, const char *line, size_t len)
{
    struct xs_job *j = ud;
    static const char item[] = "{\"event\":\"item\"";
    if (len >= sizeof item - 1 && memcmp(line, item, sizeof item - 1) == 0 &&
        j->items++ >= XS_ITEM_LINES)
        return;
    xs_emit(j, line, len);
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

/* Runs a library job made for this step; the summary; words on failure. */
static xporta_status run_lj(struct xs_job *j, xporta_job *lj, const char *step,
                            bool import_counts, char *msg, size_t cap,
                            const char *old_jid, const char *new_jid)
{
    xporta_job_set_event_cb(lj, on_line, j);
    attach(j, lj);
    xporta_status st = xporta_job_run(lj);
    detach(j);
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
    xs_buf_printf(&b, "{\"event\":\"note\",\"v\":1,\"what\":\"%s\",\"detail\":",
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
                  "{\"event\":\"progress\",\"v\":1,\"step\":\"check\","
                  "\"phase\":\"read\",\"done\":%llu,\"total\":%llu,"
                  "\"fraction\":%.3f}",
                  (unsigned long long)done, (unsigned long long)j->file_size,
                  j->file_size ? (double)done / (double)j->file_size : 0.0);
    emit_buf(j, &b);
}

static xporta_status step_check(struct xs_job *j, char *msg, size_t cap)
{
    char path[PATH_MAX + 16];
    job_path(j, "upload.xml", path, sizeof path);
    /* The upload is on disk before anything is built on it (synced here,
     * not in the HTTP thread). */
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        fdatasync(fd);
        close(fd);
    }
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
    /* The shape of the library's summary (xporta(1), JSON EVENTS), with the
     * counts xporta check prints. */
    bool good = st == XPORTA_OK && r.fatal == XPORTA_OK && !r.errors;
    struct xs_buf b = {0};
    xs_buf_printf(&b,
                  "{\"event\":\"summary\",\"v\":1,\"command\":\"check\","
                  "\"ok\":%s,\"status\":\"%s\",\"hosts\":%lu,\"users\":%lu,"
                  "\"records\":%lu,\"errors\":%lu,\"warnings\":%lu",
                  good ? "true" : "false", good ? "ok" : "problems", r.hosts,
                  r.users, r.records, r.errors, r.warnings);
    if (r.fatal != XPORTA_OK) {
        xs_buf_str(&b, ",\"error\":");
        xs_buf_jstr(&b, r.fatal_text, 1024);
    }
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

/* An export's messages as the static archive `xporta history` writes, in
 * the job's directory (history/), served under /history/ID/. */
static xporta_status step_history(struct xs_job *j, char *msg, size_t cap)
{
    char in[PATH_MAX + 16], out[PATH_MAX + 16];
    job_path(j, "export.xml", in, sizeof in);
    job_path(j, "history", out, sizeof out);
    xporta_job *lj = NULL;
    xporta_status st = xporta_history_new(&lj, in, out);
    if (st != XPORTA_OK) {
        xs_words(msg, cap, st, NULL, NULL, NULL);
        return st;
    }
    xporta_job_set_event_cb(lj, on_line, j);
    attach(j, lj);
    st = xporta_job_run(lj);
    detach(j);
    if (st != XPORTA_OK) {
        xs_words(msg, cap, st, xporta_job_error(lj), NULL, NULL);
    } else {
        uint64_t messages = 0, conversations = 0, pages = 0;
        xporta_job_history_counts(lj, &messages, &conversations, &pages);
        snprintf(msg, cap,
                 "Your history is ready to read: %llu message%s in %llu "
                 "conversation%s.",
                 (unsigned long long)messages, messages == 1 ? "" : "s",
                 (unsigned long long)conversations,
                 conversations == 1 ? "" : "s");
    }
    xporta_job_free(lj);
    return st;
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
    if (j->type == XS_EXPORT && strcmp(step, "history") == 0)
        return step_history(j, msg, cap);
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
                         : "The file was imported and checked.");
        }
    }
    /* A portal with --store: the history too (serve_portal.c). */
    if (st == XPORTA_OK && j->type == XS_IMPORT && j->srv->portal)
        st = xs_portal_history(j, dry, on_line, msg, cap);
out:
    xporta_job_free(lj);
    xporta_account_free(x);
    xporta_account_free(y);
    return st;
}
