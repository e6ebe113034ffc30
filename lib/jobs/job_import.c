/*
 * lib/jobs/job_import.c: `xporta import FILE ACCOUNT`: one user of a
 * XEP-0227 file into a live account, with the copy engine
 * (lib/transfer/xfer_copy.h has the passes: scan, target, plan, write,
 * verify).  This file names the job in its journal, opens its state
 * directory, and cleans up when it is done.  A dry run plans with the
 * spool in a private temporary directory and writes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../transfer/xfer.h"
#include "jobs_p.h"

/* The header that names an import in its journal: what it reads, where it
 * writes, and every option that changes the plan. */
static char *import_header(const xporta_job *j)
{
    struct stat sb;
    char *real = realpath(j->path, NULL);
    if (stat(j->path, &sb) != 0)
        memset(&sb, 0, sizeof sb);
    struct xp_buf b;
    xp_buf_init(&b, 64 * 1024);
    xporta_status st = xp_buf_printf(
        &b,
        "import 1 source=%s size=%llu mtime=%lld.%09ld user=%s target=%s "
        "conflict=%d include=%u kinds=%x",
        real ? real : j->path, (unsigned long long)sb.st_size,
        (long long)sb.st_mtim.tv_sec, (long)sb.st_mtim.tv_nsec,
        j->user ? j->user : "-", j->target->jid, (int)j->conflict, j->include,
        j->kinds & XP_KINDS_ACCOUNT);
    for (size_t i = 0; st == XPORTA_OK && i + 1 < j->nrenames; i += 2)
        st = xp_buf_printf(&b, " rename=%s=%s", j->renames[i],
                           j->renames[i + 1]);
    free(real);
    if (st != XPORTA_OK) {
        xp_buf_cleanup(&b);
        return NULL;
    }
    for (size_t i = 0; i < b.len; i++)
        if (b.data[i] == '\n')
            b.data[i] = ' ';
    return b.data; /* NUL-terminated by xp_buf_printf */
}

xporta_status import_run(xporta_job *j)
{
    xporta_status st;
    if (j->dry_run) {
        char *dir = xp_private_tmpdir(&j->r.err);
        if (!dir)
            return j->r.err.status;
        char *spool = xp_path_join(dir, "source.xml");
        st = spool ? job_copy_file(j, j->path, NULL, spool)
                   : xp_fail(&j->r.err, XPORTA_ENOMEM, "out of memory");
        free(spool);
        xp_remove_tree(dir, 0);
        free(dir);
        return st;
    }
    char *header = import_header(j);
    if (!header)
        return xp_fail(&j->r.err, XPORTA_ENOMEM, "out of memory");
    struct xfer_journal *jr = NULL;
    char *spool = NULL;
    st = job_journal_open(j, header, NULL, &jr);
    if (st == XPORTA_OK) {
        spool = xp_path_join(j->state_dir_used, "source.xml");
        if (!spool)
            st = xp_fail(&j->r.err, XPORTA_ENOMEM, "out of memory");
    }
    if (st == XPORTA_OK)
        st = job_copy_file(j, j->path, jr, spool);
    if (st == XPORTA_OK)
        st = job_copy_outcome(j);
    if (st == XPORTA_OK) {
        /* Done and verified: nothing to resume. */
        job_copy_forget(j);
        if (xfer_journal_finish(jr) != XPORTA_OK)
            st = xp_fail(&j->r.err, xfer_journal_status(jr), "%s",
                         xfer_journal_error(jr));
    } else {
        /* Stopped before the plan was saved: nothing to resume. */
        job_forget_unstarted(j, jr, 0);
    }
    xfer_journal_close(jr);
    free(spool);
    free(header);
    return st;
}
