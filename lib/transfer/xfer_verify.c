/*
 * lib/transfer/xfer_verify.c: pass 5 of a copy.  The target is read again
 * and compared with the spool the way `xporta diff` compares: a record
 * missing or different on the target is reported, except where the plan
 * kept the target's own on purpose, and is written again by the next run.
 */
#include <string.h>

#include "xfer_copy_p.h"

/* A record verify did not find as written is written again by the next
 * run: its done mark goes from the journal (else "run the same command
 * again" would find it done and verify fail forever). */
static void write_again(struct copy *m, xporta_kind kind, const char *key,
                        const char *id)
{
    struct xfer_journal *jr = m->o->journal;
    if (jr &&
        xfer_journal_undo(jr, xporta_kind_name(kind), key, id) != XPORTA_OK)
        xp_fail(&m->run->err, xfer_journal_status(jr), "%s",
                xfer_journal_error(jr));
}

static void verify_delta(void *ud, xporta_diff_delta delta, xporta_kind kind,
                         const char *key, const char *id)
{
    struct copy *m = ud;
    xporta_import_counts *c = &m->o->counts[kind];
    uint64_t kh = copy_rec_key(kind, key, id);
    switch (delta) {
    case XPORTA_DIFF_ONLY_A:
        if (xp_set_has(&m->kept, kh)) {
            c->kept++; /* an item the target's singleton node kept out */
            break;
        }
        c->missing++;
        write_again(m, kind, key, id);
        if (!xp_set_has(&m->failed, kh))
            copy_act(m, XPORTA_ACTION_MISSING, kind, key, id,
                     "not on the target after the import");
        break;
    case XPORTA_DIFF_ONLY_B:
        c->target_only++;
        break;
    case XPORTA_DIFF_DIFFERS:
        if (xp_set_has(&m->kept, kh)) {
            c->kept++;
        } else if (kind == XPORTA_KIND_VCARD &&
                   (store_quirks(m->tgt) & STORE_VCARD_LINKED)) {
            /* The target keeps one vCard (XEP-0398): the PEP vCard4 item,
             * written after the vCard-temp, is what it shows as both. */
            c->kept++;
            xp_run_note(m->run, kind,
                        "the target keeps vCard-temp and the PEP vCard4 as "
                        "one; it shows the source's vCard4");
        } else {
            c->differs++;
            write_again(m, kind, key, id);
            copy_act(m, XPORTA_ACTION_DIFFERS, kind, key, id,
                     "the target holds other data than the source");
        }
        break;
    }
}

struct verify_ctx {
    struct copy *m;
    xporta_diff *d;
};

/* A comparison that could not keep a record fails the verify, named. */
static xporta_status diff_status(struct copy *m, xporta_status st)
{
    return st == XPORTA_OK
               ? st
               : xp_fail(&m->run->err, st, "verify: %s", xporta_strerror(st));
}

static xporta_status verify_a(struct copy *m, xporta_record *rec, void *ud)
{
    struct verify_ctx *v = ud;
    if (m->tstate[rec->kind] == XPORTA_STATE_UNAVAILABLE ||
        copy_plan_skip(m, rec))
        return XPORTA_OK; /* not written: the target does not offer it */
    return diff_status(m, xporta_diff_add_a(v->d, "", rec, m->target));
}

static xporta_status verify_b(void *ud, xporta_record *rec)
{
    struct verify_ctx *v = ud;
    struct copy *m = v->m;
    if (!(copy_writable(m) & (1u << rec->kind)) || copy_skip_reason(m, rec) ||
        (rec->kind == XPORTA_KIND_PEP_AFFILIATIONS && rec->payload &&
         copy_owner_only(rec->payload)) ||
        copy_plan_skip(m, rec) ||
        m->tstate[rec->kind] == XPORTA_STATE_UNAVAILABLE)
        return XPORTA_OK;
    return diff_status(m, xporta_diff_add_b(v->d, "", rec, m->target));
}

xporta_status copy_verify(struct copy *m)
{
    struct verify_ctx v = {m, NULL};
    if (xporta_diff_new(&v.d, verify_delta, m) != XPORTA_OK)
        return xp_fail(&m->run->err, XPORTA_ENOMEM, "out of memory");
    xporta_status st = copy_spool_each(m, verify_a, &v);
    if (st == XPORTA_OK)
        st = copy_read_target(m, verify_b, &v, "verify");
    if (st == XPORTA_OK)
        st = copy_target_readable(m, "verify");
    if (st == XPORTA_OK) {
        xporta_diff_finish(v.d);
        m->verified = true;
        for (unsigned k = 0; k < XPORTA_KIND_COUNT; k++) {
            xporta_diff_counts dc;
            xporta_diff_get_counts(v.d, (xporta_kind)k, &dc);
            m->o->counts[k].verified = dc.same;
            if (m->o->counts[k].missing || m->o->counts[k].differs)
                m->verified = false;
        }
    }
    xporta_diff_free(v.d);
    return st;
}
