/*
 * lib/transfer/xfer_write.c: pass 4 of a copy.  The spool is streamed once
 * per stage; the planned records go to the target store, which pipelines
 * them, and each one the store confirms is journaled as done.  A record a
 * journal already holds is counted, not written again.
 */
#include <stdio.h>
#include <string.h>

#include "xfer_copy_p.h"

/* The order of writes (the servers' interplays, research by restore_live):
 *   1. roster, vCard, private XML (bookmarks before any PEP node: Prosody
 *      converts them into XEP-0402 items and would delete items a later
 *      legacy set lacks), privacy lists, PEP nodes, MAM preferences;
 *   2. the default privacy list, PEP items, PEP affiliations;
 *   3. the blocklist, last: ejabberd keeps it inside the default privacy
 *      list, and a default chosen after a block would unblock those JIDs. */
static int stage_of(const xporta_record *rec)
{
    switch (rec->kind) {
    case XPORTA_KIND_PRIVACY:
        return strcmp(rec->key, "default") == 0 ? 2 : 1;
    case XPORTA_KIND_PEP_ITEM:
    case XPORTA_KIND_PEP_AFFILIATIONS:
        return 2;
    case XPORTA_KIND_BLOCKLIST:
        return 3;
    default:
        return 1;
    }
}

/* Writes per second in this run (what an earlier run wrote is not). */
static double write_rate(const struct copy *m, double elapsed)
{
    return elapsed > 0 ? (double)(m->done - m->done_before) / elapsed : 0;
}

/* The store confirmed (or refused) a write. */
static void write_done(void *ud, xporta_kind kind, const char *key,
                       const char *id, bool ok, const char *why)
{
    struct copy *m = ud;
    struct xp_run *run = m->run;
    xporta_import_counts *c = &m->o->counts[kind];
    m->done++;
    if (ok) {
        c->written++;
        if (m->o->journal &&
            xfer_journal_done(m->o->journal, xporta_kind_name(kind), key, id) !=
                XPORTA_OK)
            xp_fail(&run->err, xfer_journal_status(m->o->journal), "%s",
                    xfer_journal_error(m->o->journal));
        return;
    }
    c->failed++;
    if (xp_set_add(&m->failed, copy_rec_key(kind, key, id)) < 0)
        xp_fail(&run->err, XPORTA_ENOMEM, "out of memory");
    xp_run_set_state(run, kind, XPORTA_STATE_FAILED);
    if (!run->kind[kind].note)
        xp_run_note(run, kind, "%s", why);
    copy_act(m, XPORTA_ACTION_FAILED, kind, key, id, why);
}

/* Runs the target until at most `max` writes are unconfirmed. */
static xporta_status drain_to(struct copy *m, size_t max)
{
    struct xp_run *run = m->run;
    while (store_pending(m->tgt) > max && run->err.status == XPORTA_OK) {
        if (run->cancel)
            return xp_fail(&run->err, XPORTA_ECANCELED,
                           "interrupted; run the same command again to "
                           "resume");
        xporta_status st = store_poll(m->tgt, 100);
        if (st != XPORTA_OK)
            return st;
        double el = xp_now() - m->t_write;
        double f = m->total ? (double)m->done / (double)m->total : -1;
        xp_run_progress(run, "write", XPORTA_KIND_COUNT, m->done, m->total,
                        f >= 1 ? 0.999 : f, write_rate(m, el), NULL, false);
    }
    return run->err.status;
}

static xporta_status write_record(struct copy *m, xporta_record *rec, void *ud)
{
    int stage = *(int *)ud;
    if (stage_of(rec) != stage)
        return XPORTA_OK;
    uint64_t a;
    if (!xp_map_get(&m->to_write, xfer_key_hash(rec), &a))
        return XPORTA_OK;
    if (xfer_journal_is_done(m->o->journal, xporta_kind_name(rec->kind),
                             rec->key, rec->id)) {
        m->o->counts[rec->kind].written++;
        m->done++;
        m->done_before++;
        return XPORTA_OK;
    }
    size_t window = m->o->target_opts.window ? m->o->target_opts.window : 1;
    xporta_status st = drain_to(m, window - 1);
    if (st == XPORTA_OK)
        st = store_write(m->tgt, rec, a == XPORTA_ACTION_REPLACE);
    return st;
}

xporta_status copy_write(struct copy *m)
{
    struct xp_run *run = m->run;
    xporta_status st = copy_target_open(m);
    if (st == XPORTA_OK)
        st = store_write_begin(m->tgt, write_done, m);
    if (st != XPORTA_OK)
        return st;
    m->total = m->to_write.n;
    m->done = m->done_before = 0;
    m->t_write = xp_now();
    xp_run_progress(run, "write", XPORTA_KIND_COUNT, 0, m->total, 0, 0, NULL,
                    true);
    for (int stage = 1; st == XPORTA_OK && stage <= 3; stage++) {
        st = copy_spool_each(m, write_record, &stage);
        if (st == XPORTA_OK)
            st = drain_to(m, 0);
        if (st == XPORTA_OK && xfer_journal_sync(m->o->journal) != XPORTA_OK)
            st = xp_fail(&run->err, xfer_journal_status(m->o->journal), "%s",
                         xfer_journal_error(m->o->journal));
    }
    if (st == XPORTA_OK)
        st = store_write_end(m->tgt);
    double el = xp_now() - m->t_write;
    xp_run_progress(run, "write", XPORTA_KIND_COUNT, m->done, m->total, 1,
                    write_rate(m, el), NULL, true);
    return st;
}
