/*
 * lib/transfer/xfer_copy.c: the copy engine's passes in order (the design
 * note is in xfer_copy.h), and how a copy came out.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xfer_copy_p.h"

static void copy_init(struct copy *m, struct xp_run *run,
                      const struct xfer_copy_opts *o)
{
    memset(m, 0, sizeof *m);
    m->run = run;
    m->o = o;
    m->target = o->target_jid;
    xp_map_init(&m->tmap);
    xp_map_init(&m->nodes);
    xp_map_init(&m->to_write);
    xp_set_init(&m->kept, 0);
    xp_set_init(&m->scanned, 0);
    xp_set_init(&m->failed, 0);
}

static void copy_cleanup(struct copy *m)
{
    store_close(m->tgt);
    m->tgt = NULL;
    xp_map_cleanup(&m->tmap);
    xp_map_cleanup(&m->nodes);
    xp_map_cleanup(&m->to_write);
    xp_set_cleanup(&m->kept);
    xp_set_cleanup(&m->scanned);
    xp_set_cleanup(&m->failed);
    for (unsigned k = 0; k < XPORTA_KIND_COUNT; k++)
        free(m->tnote[k]);
}

/* The kinds' final states and notes. */
static void settle_states(struct copy *m)
{
    struct xp_run *run = m->run;
    for (unsigned k = 0; k < XPORTA_KIND_COUNT; k++) {
        xporta_import_counts *c = &m->o->counts[k];
        if (run->kind[k].state != XPORTA_STATE_NOT_ASKED)
            continue;
        if (m->tstate[k] == XPORTA_STATE_UNAVAILABLE &&
            (c->skip || c->add || c->conflict || c->same)) {
            xp_run_set_state(run, (xporta_kind)k, XPORTA_STATE_UNAVAILABLE);
            xp_run_note(run, (xporta_kind)k,
                        "the target server does not offer it; the records "
                        "stay in the file");
        } else if (c->add || c->replace || c->same || c->conflict || c->skip) {
            xp_run_set_state(run, (xporta_kind)k, XPORTA_STATE_DONE);
        }
    }
}

xporta_status xfer_copy(struct xp_run *run, const struct xfer_copy_opts *o,
                        struct xfer_copy_result *res)
{
    struct copy m;
    copy_init(&m, run, o);
    memset(res, 0, sizeof *res);
    const char *where;
    m.tdrv = store_driver_find(o->target, &where);
    if (!m.tdrv)
        return xp_fail(&run->err, XPORTA_EINVAL, "%s: no such kind of store",
                       o->target);
    xporta_status st = XPORTA_OK;
    struct xfer_journal *jr = o->journal;
    /* Counts are this run's (a job object may be run again); a saved plan
     * brings its own. */
    memset(o->counts, 0, sizeof *o->counts * XPORTA_KIND_COUNT);
    bool planned = jr && xfer_journal_is_done(jr, "phase", "plan", NULL) &&
                   access(o->spool, R_OK) == 0 && copy_plan_load(&m);
    if (!planned) {
        memset(o->counts, 0, sizeof *o->counts * XPORTA_KIND_COUNT);
        st = copy_plan(&m);
        if (st == XPORTA_OK && jr) {
            st = copy_plan_save(&m);
            if (st == XPORTA_OK &&
                xfer_journal_done_sync(jr, "phase", "plan", NULL) != XPORTA_OK)
                st = xp_fail(&run->err, xfer_journal_status(jr), "%s",
                             xfer_journal_error(jr));
        }
    } else {
        res->resumed = true;
    }
    if (st == XPORTA_OK && jr) {
        st = copy_write(&m);
        if (st == XPORTA_OK && o->verify)
            st = copy_verify(&m);
    }
    res->verified = m.verified;
    settle_states(&m);
    copy_cleanup(&m);
    return st;
}

xporta_status xfer_copy_outcome(struct xp_run *run,
                                const xporta_import_counts *counts, bool verify)
{
    uint64_t failed = 0, missing = 0, differs = 0;
    for (unsigned k = 0; k < XPORTA_KIND_COUNT; k++) {
        failed += counts[k].failed;
        missing += counts[k].missing;
        differs += counts[k].differs;
    }
    if (failed)
        return xp_fail(
            &run->err, XPORTA_ESTANZA,
            "the target refused %llu record(s), each reported as "
            "a failed action; the rest is in place.  Running the same "
            "command again retries only those",
            (unsigned long long)failed);
    if (verify && (missing || differs))
        return xp_fail(&run->err, XPORTA_ECONFLICT,
                       "verify: %llu record(s) missing and %llu different "
                       "on the target, each reported as an action; running "
                       "the same command again writes them again",
                       (unsigned long long)missing,
                       (unsigned long long)differs);
    return XPORTA_OK;
}
