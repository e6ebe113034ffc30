/*
 * The migrate job: a live account into another, in one resumable job.
 *
 *   export   the old account into a XEP-0227 file: the --backup file
 *            (every selected kind, the archive included) or, without one,
 *            STATE/export.xml with only the kinds a client can restore.
 *            The export resumes by itself (PATH.part, PATH.part.state).
 *   import   that file into the new account (job_import.c), journaled in
 *            the same state directory, then verified.
 *   rooms    the old address's room affiliations carried to the new one
 *            (job_rooms.c; unless xporta_job_set_rooms(j, false)).
 *
 * The journal marks the export as done only once its file is complete, so
 * a crash anywhere resumes in the right half.  A dry run exports into a
 * private temporary directory and stops after the import's plan.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../transfer/xfer.h"
#include "jobs_p.h"

static char *migrate_header(const xporta_job *j)
{
    struct xp_buf b;
    xp_buf_init(&b, 64 * 1024);
    xporta_status st = xp_buf_printf(
        &b, "migrate 1 from=%s to=%s conflict=%d include=%u kinds=%x backup=%s",
        j->account->jid, j->target->jid, (int)j->conflict, j->include,
        j->kinds & XP_KINDS_ACCOUNT, j->backup ? j->backup : "-");
    if (st != XPORTA_OK) {
        xp_buf_cleanup(&b);
        return NULL;
    }
    for (size_t i = 0; i < b.len; i++)
        if (b.data[i] == '\n')
            b.data[i] = ' ';
    return b.data;
}

/* Exports j->account into `path`; kinds as migrate needs them. */
static xporta_status migrate_export(xporta_job *j, const char *path,
                                    bool everything)
{
    uint32_t kinds = j->kinds;
    char *saved_path = j->path;
    j->r.step = "export";
    j->path = (char *)path;
    if (!everything)
        j->kinds = kinds & job_restorable();
    xporta_status st = export_run(j);
    if (st == XPORTA_ESTANZA && j->export_committed) {
        /* The file is complete; the old server refused some kinds (their
         * notes say which).  What it gave is still worth importing, and the
         * job ends saying what is missing. */
        xp_err_clear(&j->r.err);
        st = XPORTA_OK;
        char *p = j->export_refused;
        size_t n = p ? strlen(p) : 0;
        for (unsigned k = 0; k < XPORTA_KIND_COUNT; k++) {
            if (j->r.kind[k].state != XPORTA_STATE_FAILED)
                continue;
            const char *name = xporta_kind_name((xporta_kind)k);
            char *q = realloc(p, n + strlen(name) + 3);
            if (!q)
                break;
            p = q;
            n += (size_t)sprintf(p + n, "%s%s", n ? ", " : "", name);
        }
        j->export_refused = p;
    }
    j->path = saved_path;
    j->kinds = kinds;
    return st;
}

/* Logs in to the new account and out again: the export before the import
 * may take hours, and a wrong password or an unreachable new server should
 * not wait for it.  (A resumed job whose export is done connects to the new
 * account at once anyway.) */
static xporta_status check_target(xporta_job *j)
{
    struct xp_session *s = NULL;
    xp_run_progress(&j->r, "connect", XPORTA_KIND_COUNT, 0, 0, -1, 0,
                    j->target->jid, true);
    struct xp_session_opts so;
    job_session_opts(j->target, &so);
    xporta_status st = live_connect(&j->r, &so, &s);
    if (s)
        xp_session_close(s);
    return st;
}

xporta_status migrate_run(xporta_job *j)
{
    xporta_status st;
    if (strcmp(j->account->jid, j->target->jid) == 0 &&
        xp_streq(j->account->host, j->target->host) &&
        j->account->port == j->target->port)
        return xp_fail(&j->r.err, XPORTA_EINVAL,
                       "the old and the new account are the same (%s)",
                       j->account->jid);
    if (j->dry_run) {
        char *dir = xp_private_tmpdir(&j->r.err);
        if (!dir)
            return j->r.err.status;
        char *file = xp_path_join(dir, "export.xml");
        char *spool = xp_path_join(dir, "source.xml");
        if (!file || !spool)
            st = xp_fail(&j->r.err, XPORTA_ENOMEM, "out of memory");
        else
            st = check_target(j);
        if (st == XPORTA_OK)
            st = migrate_export(j, file, false);
        if (st == XPORTA_OK) {
            /* The export's per-kind states belong to the report of the
             * export; the import starts from a clean slate. */
            xp_run_reset_kinds(&j->r);
            j->r.step = "import";
            st = job_copy_file(j, file, NULL, spool);
        }
        if (st == XPORTA_OK && j->rooms)
            st = rooms_after_migrate(j, NULL);
        free(file);
        free(spool);
        xp_remove_tree(dir, 0);
        free(dir);
        return st;
    }

    char *header = migrate_header(j);
    if (!header)
        return xp_fail(&j->r.err, XPORTA_ENOMEM, "out of memory");
    char *file = NULL, *spool = NULL;
    struct xfer_journal *jr = NULL;
    st = job_journal_open(j, header, NULL, &jr);
    if (st == XPORTA_OK) {
        file = j->backup ? xp_strdup(j->backup)
                         : xp_path_join(j->state_dir_used, "export.xml");
        spool = xp_path_join(j->state_dir_used, "source.xml");
        if (!file || !spool)
            st = xp_fail(&j->r.err, XPORTA_ENOMEM, "out of memory");
    }
    bool exported = st == XPORTA_OK &&
                    xfer_journal_is_done(jr, "phase", "export", NULL) &&
                    access(file, R_OK) == 0;
    /* An existing backup is the user's, unless this job began writing it
     * (journaled before the export started). */
    if (st == XPORTA_OK && !exported && j->backup && !j->backup_replace &&
        !xfer_journal_is_started(jr, "phase", "export", NULL) &&
        access(file, F_OK) == 0)
        st = xp_fail(&j->r.err, XPORTA_EINVAL,
                     "%s exists; use --force to replace it", file);
    if (st == XPORTA_OK && !exported)
        st = check_target(j);
    if (st == XPORTA_OK && !exported &&
        xfer_journal_start(jr, "phase", "export", NULL) != XPORTA_OK)
        st = xp_fail(&j->r.err, xfer_journal_status(jr), "%s",
                     xfer_journal_error(jr));
    if (st == XPORTA_OK && !exported) {
        st = migrate_export(j, file, j->backup != NULL);
        if (st == XPORTA_OK &&
            xfer_journal_done_sync(jr, "phase", "export", NULL) != XPORTA_OK)
            st = xp_fail(&j->r.err, xfer_journal_status(jr), "%s",
                         xfer_journal_error(jr));
    } else if (st == XPORTA_OK) {
        j->resumed = true;
    }
    if (st == XPORTA_OK) {
        /* The export's per-kind states belong to the report of the
         * export; the import starts from a clean slate. */
        xp_run_reset_kinds(&j->r);
        j->r.step = "import";
        st = job_copy_file(j, file, jr, spool);
    }
    if (st == XPORTA_OK)
        st = job_copy_outcome(j);
    /* Before the announce: the rooms need the old account's powers, which
     * last as long as it does, and the contacts who follow find the new
     * address already in the rooms. */
    xporta_status rooms_st = XPORTA_OK;
    if (st == XPORTA_OK && j->rooms) {
        rooms_st = rooms_after_migrate(j, jr);
        /* A room that refused is reported; the move goes on.  A lost
         * connection stops it (run again: the rest is done). */
        if (rooms_st == XPORTA_ESTANZA) {
            xp_err_clear(&j->r.err);
        } else {
            st = rooms_st;
            rooms_st = XPORTA_OK;
        }
    }
    if (st == XPORTA_OK && j->announce)
        st = announce_after_migrate(j, jr);
    if (st == XPORTA_OK) {
        job_copy_forget(j);
        if (!j->backup)
            unlink(file);

        if (xfer_journal_finish(jr) != XPORTA_OK)
            st = xp_fail(&j->r.err, xfer_journal_status(jr), "%s",
                         xfer_journal_error(jr));
    } else if (jr && file &&
               !xfer_journal_is_done(jr, "phase", "export", NULL)) {
        /* Stopped before the export wrote anything (a wrong password, an
         * existing --backup): nothing to resume.  The export's start is
         * then its only step. */
        bool began = xfer_journal_is_started(jr, "phase", "export", NULL);
        char *part = xp_strcat(file, ".part");
        if (part && access(part, F_OK) != 0 &&
            (!began || access(file, F_OK) != 0))
            job_forget_unstarted(j, jr, began ? 1 : 0);
        free(part);
    }
    xfer_journal_close(jr);
    free(file);
    free(spool);
    free(header);
    if (st == XPORTA_OK && rooms_st != XPORTA_OK)
        st = xp_fail(&j->r.err, rooms_st,
                     "moved and verified; %llu room(s) refused to take the "
                     "new address (each reported)",
                     (unsigned long long)j->rc.refused);
    if (st == XPORTA_OK && j->export_refused)
        st = xp_fail(&j->r.err, XPORTA_ESTANZA,
                     "moved and verified, except what the old server "
                     "refused to give: %s (the export's states say why)",
                     j->export_refused);
    return st;
}
