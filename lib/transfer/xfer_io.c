/*
 * lib/transfer/xfer_io.c: the copy engine's two streams besides the
 * source: its spool (a XEP-0227 file of its own, read once per pass) and
 * the target store, read before the plan and again to verify.
 */
#include <stdlib.h>
#include <string.h>

#include "../pie/pie.h"
#include "xfer_copy_p.h"

xporta_status copy_spool_each(struct copy *m, copy_record_fn fn, void *ud)
{
    struct xp_run *run = m->run;
    const char *spool = m->o->spool;
    xporta_pie_reader *r = NULL;
    xporta_status st = xporta_pie_reader_open(&r, spool);
    if (st != XPORTA_OK)
        return xp_fail(&run->err, st, "%s: %s", spool, xporta_strerror(st));
    while (st == XPORTA_OK && run->err.status == XPORTA_OK) {
        if (run->cancel) {
            st = xp_fail(&run->err, XPORTA_ECANCELED,
                         "interrupted; run the same command again to resume");
            break;
        }
        xporta_pie_event ev;
        st = xporta_pie_reader_next(r, &ev);
        if (st != XPORTA_OK) {
            st = xp_fail(&run->err, st, "%s", xporta_pie_reader_error(r));
            break;
        }
        if (ev == XPORTA_PIE_END)
            break;
        if (ev == XPORTA_PIE_RECORD)
            st = fn(m, xporta_pie_reader_record(r), ud);
    }
    xporta_pie_reader_free(r);
    if (st != XPORTA_OK && run->err.status == XPORTA_OK)
        xp_fail(&run->err, st, "%s: %s", spool, xporta_strerror(st));
    return st != XPORTA_OK ? st : run->err.status;
}

xporta_status copy_target_open(struct copy *m)
{
    if (m->tgt)
        return XPORTA_OK;
    struct store_opts so = m->o->target_opts;
    xporta_status st = store_open(&m->tgt, m->o->target, &so, m->run);
    if (st != XPORTA_OK) {
        store_close(m->tgt);
        m->tgt = NULL;
    }
    return st;
}

/* What to read of the target: the kinds copied, and the node
 * configurations whenever items are (a publish into a node that keeps one
 * item replaces the target's). */
static uint32_t target_kinds(const struct copy *m)
{
    uint32_t k = copy_writable(m);
    if (k & (1u << XPORTA_KIND_PEP_ITEM))
        k |= 1u << XPORTA_KIND_PEP_NODE;
    return k;
}

xporta_status copy_read_target(struct copy *m,
                               xporta_status (*sink)(void *, xporta_record *),
                               void *sink_ud, const char *phase)
{
    struct xp_run *run = m->run;
    struct {
        xporta_kind_state state;
        uint64_t count;
        char *note;
    } saved[XPORTA_KIND_COUNT];
    for (unsigned k = 0; k < XPORTA_KIND_COUNT; k++) {
        saved[k].state = run->kind[k].state;
        saved[k].count = run->kind[k].count;
        saved[k].note = run->kind[k].note;
        run->kind[k].state = XPORTA_STATE_NOT_ASKED;
        run->kind[k].note = NULL;
    }
    xporta_status st = copy_target_open(m);
    if (st == XPORTA_OK) {
        xp_run_progress(run, phase, XPORTA_KIND_COUNT, 0, 0, -1, 0, m->target,
                        true);
        struct store_sink s = {.record = sink, .ud = sink_ud};
        st = store_read(m->tgt, target_kinds(m), m->o->private_ns, &s);
    }
    for (unsigned k = 0; k < XPORTA_KIND_COUNT; k++) {
        m->tstate[k] = run->kind[k].state;
        free(m->tnote[k]);
        m->tnote[k] = run->kind[k].note; /* taken over */
        run->kind[k].state = saved[k].state;
        run->kind[k].count = saved[k].count;
        run->kind[k].note = saved[k].note;
    }
    return st;
}

xporta_status copy_target_readable(struct copy *m, const char *what)
{
    for (unsigned k = 0; k < XPORTA_KIND_COUNT; k++)
        if ((copy_writable(m) & (1u << k)) &&
            m->tstate[k] == XPORTA_STATE_FAILED)
            return xp_fail(&m->run->err, XPORTA_ESTANZA,
                           "%s: the target's %s could not be read%s%s; "
                           "nothing was changed by this step",
                           what, xporta_kind_name((xporta_kind)k),
                           m->tnote[k] ? ": " : "",
                           m->tnote[k] ? m->tnote[k] : "");
    return XPORTA_OK;
}
