/*
 * lib/transfer/xfer_scan.c: pass 1 of a copy.  The source is read once;
 * its account's records are renamed into the target's and sorted: those
 * the target can take go to the spool, the others are counted (and
 * reported) only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../pie/pie.h"
#include "xfer_copy_p.h"

struct scan {
    struct copy *m;
    xporta_pie_writer *w; /* the spool */
    xporta_filter *f;
    bool open_user;
};

/* The source's account: its JID becomes the target's. */
static xporta_status scan_account(void *ud, const char *user)
{
    struct scan *sc = ud;
    struct copy *m = sc->m;
    struct xp_run *run = m->run;
    const struct xfer_copy_opts *o = m->o;
    xporta_status st = xporta_filter_new(&sc->f);
    if (st != XPORTA_OK)
        return xp_fail(&run->err, st, "out of memory");
    st = xporta_filter_rename_account(sc->f, user, m->target);
    for (size_t i = 0; st == XPORTA_OK && i + 1 < o->nrenames; i += 2)
        st = xporta_filter_rename_host(sc->f, o->renames[i], o->renames[i + 1]);
    if (st != XPORTA_OK)
        return xp_fail(&run->err, st, "renaming %s: %s", user,
                       xporta_filter_error(sc->f));
    const char *at = strchr(m->target, '@');
    char local[1100];
    snprintf(local, sizeof local, "%.*s", (int)(at - m->target), m->target);
    if (xporta_pie_writer_begin_host(sc->w, at + 1) != XPORTA_OK ||
        xporta_pie_writer_begin_user(sc->w, local, NULL) != XPORTA_OK)
        return xp_fail(&run->err, pie_writer_status(sc->w), "%s",
                       xporta_pie_writer_error(sc->w));
    sc->open_user = true;
    return XPORTA_OK;
}

/* The target is asked for every private namespace the source uses:
 * without that, the plan could not see what it would overwrite.  "{}name"
 * (no namespace) cannot be asked for: its write fails on its own, reported
 * as that record's. */
static xporta_status want_private(struct copy *m, const char *key)
{
    if (strncmp(key, "{}", 2) == 0 || !m->o->private_ns)
        return XPORTA_OK;
    return xp_strv_add(m->o->private_ns, key) < 0
               ? xp_fail(&m->run->err, XPORTA_ENOMEM, "out of memory")
               : XPORTA_OK;
}

static xporta_status scan_record(void *ud, xporta_record *rec)
{
    struct scan *sc = ud;
    struct copy *m = sc->m;
    struct xp_run *run = m->run;
    bool keep = true;
    if (xporta_filter_record(sc->f, rec, &keep) != XPORTA_OK)
        return xp_fail(&run->err, XPORTA_EFORMAT, "%s:%lu:%lu: %s",
                       rec->file ? rec->file : "", rec->line, rec->col,
                       xporta_filter_error(sc->f));
    if (!keep)
        return XPORTA_OK;
    /* "The account owns its node" is no data (ejabberd lists it for every
     * node, Prosody for none). */
    if (rec->kind == XPORTA_KIND_PEP_AFFILIATIONS && rec->payload &&
        copy_owner_only(rec->payload))
        return XPORTA_OK;
    xporta_import_counts *c = &m->o->counts[rec->kind];
    c->source++;
    if (!(m->tdrv->writable & (1u << rec->kind))) {
        c->not_restorable++;
        return XPORTA_OK;
    }
    const char *why = copy_skip_reason(m, rec);
    if (why) {
        c->skip++;
        copy_act(m, XPORTA_ACTION_SKIP, rec->kind, rec->key, rec->id, why);
        return XPORTA_OK;
    }
    /* Two records under one key: a file that lists a contact twice, or a
     * host rename that maps two JIDs onto one (zed@old and zed@new, after
     * --rename-host old=new).  The target can hold one: the first is
     * written, the second reported, never silently dropped. */
    int fresh = xp_set_add(&m->scanned, xfer_key_hash(rec));
    if (fresh < 0)
        return xp_fail(&run->err, XPORTA_ENOMEM, "out of memory");
    if (fresh == 0) {
        c->skip++;
        copy_act(m, XPORTA_ACTION_SKIP, rec->kind, rec->key, rec->id,
                 "the source has an earlier record under this key (after "
                 "renaming), which is imported");
        return XPORTA_OK;
    }
    if (rec->kind == XPORTA_KIND_PRIVATE &&
        strcmp(rec->key, "{storage:bookmarks}storage") == 0)
        m->src_bookmarks = true;
    if (rec->kind == XPORTA_KIND_VCARD) {
        m->src_vcard = true;
        m->src_vcard_value = xfer_value_hash(rec, m->target);
    }
    if (rec->kind == XPORTA_KIND_PRIVATE) {
        xporta_status st = want_private(m, rec->key);
        if (st != XPORTA_OK)
            return st;
    }
    if (xporta_pie_writer_write(sc->w, rec) != XPORTA_OK)
        return xp_fail(&run->err, pie_writer_status(sc->w), "%s",
                       xporta_pie_writer_error(sc->w));
    return XPORTA_OK;
}

xporta_status copy_scan(struct copy *m)
{
    struct xp_run *run = m->run;
    const struct xfer_copy_opts *o = m->o;
    struct scan sc;
    memset(&sc, 0, sizeof sc);
    sc.m = m;
    struct store *src = NULL;
    struct store_opts so = o->source_opts;
    xporta_status st = store_open(&src, o->source, &so, run);
    if (st == XPORTA_OK) {
        st = xporta_pie_writer_open(&sc.w, o->spool, XPORTA_DIALECT_STANDARD,
                                    XPORTA_PIE_COMPACT | XPORTA_PIE_PRIVATE);
        if (st != XPORTA_OK)
            st = xp_fail(&run->err, st, "%s: cannot write", o->spool);
    }
    if (st == XPORTA_OK) {
        struct store_sink sink = {
            .record = scan_record, .account = scan_account, .ud = &sc};
        st = store_read(src, o->kinds, NULL, &sink);
    }
    if (st == XPORTA_OK && sc.open_user &&
        (xporta_pie_writer_end_user(sc.w) != XPORTA_OK ||
         xporta_pie_writer_end_host(sc.w) != XPORTA_OK))
        st = xp_fail(&run->err, pie_writer_status(sc.w), "%s",
                     xporta_pie_writer_error(sc.w));
    if (st == XPORTA_OK && xporta_pie_writer_commit(sc.w) != XPORTA_OK)
        st = xp_fail(&run->err, pie_writer_status(sc.w), "%s",
                     xporta_pie_writer_error(sc.w));
    xporta_pie_writer_free(sc.w);
    xporta_filter_free(sc.f);
    store_close(src);
    if (st == XPORTA_OK) {
        for (unsigned k = 0; k < XPORTA_KIND_COUNT; k++)
            if (o->counts[k].not_restorable) {
                xp_run_set_state(run, (xporta_kind)k,
                                 XPORTA_STATE_NOT_RESTORABLE);
                xp_run_note(run, (xporta_kind)k, "%s",
                            store_why_not(m->tdrv, (xporta_kind)k));
            }
    }
    return st;
}
