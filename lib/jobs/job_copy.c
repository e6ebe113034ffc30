/*
 * lib/jobs/job_copy.c: what import and migrate share: the copy engine
 * set up for a job (a XEP-0227 file into a live account), its outcome,
 * the job's state directory and the files kept there.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../transfer/xfer_copy.h"
#include "jobs_p.h"

enum {
    WINDOW_PER_PARALLEL = 8, /* writes in flight per --parallel step */
};

uint32_t job_restorable(void)
{
    return store_live_driver.writable;
}

static char *prefixed(const char *scheme, const char *rest)
{
    size_t n = strlen(scheme) + strlen(rest) + 2;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s:%s", scheme, rest);
    return s;
}

xporta_status job_copy_file(xporta_job *j, const char *source,
                            struct xfer_journal *jr, const char *spool)
{
    struct xfer_copy_opts o;
    memset(&o, 0, sizeof o);
    char *src = prefixed(store_file_driver.scheme, source);
    char *dst = prefixed(store_live_driver.scheme, j->target->jid);
    if (!src || !dst) {
        free(src);
        free(dst);
        return xp_fail(&j->r.err, XPORTA_ENOMEM, "out of memory");
    }
    o.source = src;
    o.source_opts.user = j->user;
    o.target = dst;
    o.target_opts.password = j->target->password ? j->target->password : "";
    o.target_opts.host = j->target->host;
    o.target_opts.port = j->target->port;
    o.target_opts.cafile = j->target->cafile;
    o.target_opts.insecure = j->target->insecure;
    o.target_opts.window = j->parallel * WINDOW_PER_PARALLEL;
    o.target_jid = j->target->jid;
    o.kinds = j->kinds;
    o.conflict = j->conflict;
    o.include = j->include;
    o.renames = j->renames;
    o.nrenames = j->nrenames;
    o.verify = j->verify;
    o.private_ns = &j->private_ns;
    o.counts = j->ic;
    o.action = j->action;
    o.action_ud = j->action_ud;
    o.journal = jr;
    o.state_dir = j->state_dir_used;
    o.spool = spool;
    struct xfer_copy_result res;
    xporta_status st = xfer_copy(&j->r, &o, &res);
    if (res.resumed)
        j->resumed = true;
    j->verified = res.verified;
    free(src);
    free(dst);
    return st;
}

xporta_status job_copy_outcome(xporta_job *j)
{
    return xfer_copy_outcome(&j->r, j->ic, j->verify && !j->dry_run);
}

/* Removes the files of the job in its state directory: the known names,
 * and the temporary names a crash may leave (NAME.tmp-XXXXXX, NAME.part,
 * NAME.part.state, NAME.part.spoolN).  Nothing else: a --state-dir may be
 * a directory of the user's. */
void job_copy_forget(xporta_job *j)
{
    static const char *const names[] = {"plan", "source.xml", "export.xml"};
    if (!j->state_dir_used)
        return;
    DIR *d = opendir(j->state_dir_used);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        bool ours = false;
        for (size_t i = 0; i < 3 && !ours; i++) {
            size_t n = strlen(names[i]);
            ours = strncmp(e->d_name, names[i], n) == 0 &&
                   (e->d_name[n] == '\0' ||
                    strncmp(e->d_name + n, ".tmp-", 5) == 0 ||
                    strncmp(e->d_name + n, ".part", 5) == 0);
        }
        if (!ours)
            continue;
        char *p = xp_path_join(j->state_dir_used, e->d_name);
        if (p)
            unlink(p);
        free(p);
    }
    if (d)
        closedir(d);
}

void job_forget_unstarted(xporta_job *j, struct xfer_journal *jr,
                          uint64_t steps)
{
    if (!jr || xfer_journal_steps(jr) > steps)
        return;
    job_copy_forget(j);
    if (xfer_journal_finish(jr) != XPORTA_OK)
        return; /* the directory stays; a later run reuses it */
    free(j->state_dir_used);
    j->state_dir_used = NULL;
}

xporta_status job_journal_open(xporta_job *j, const char *header, bool *resumed,
                               struct xfer_journal **jr)
{
    *jr = NULL;
    free(j->state_dir_used);
    j->state_dir_used =
        j->state_dir ? xp_strdup(j->state_dir) : xp_state_dir(header);
    if (!j->state_dir_used)
        return xp_fail(
            &j->r.err, XPORTA_EINVAL,
            "no state directory: set HOME or give one with --state-dir");
    return xfer_journal_open(jr, j->state_dir_used, header, resumed, &j->r.err);
}
