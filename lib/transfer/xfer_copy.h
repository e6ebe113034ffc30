/*
 * lib/transfer: the copy engine (xfer_copy.c and its passes).
 *
 * Design note.  One account's records go from a source store into a target
 * store that may already hold data, in five passes, each one stream:
 *
 *   1. scan    (xfer_scan.c) the source is read once.  Its records are
 *              renamed (the source account's JID becomes the target's;
 *              other JIDs stay unless a host rename says otherwise) and
 *              sorted: records the target can take go to a spool (a
 *              compact XEP-0227 file in the state directory); skipped and
 *              unwritable ones are only counted.  Later passes read the
 *              spool, never a source that may hold gigabytes of archive.
 *   2. target  (xfer_plan.c) the target's writable kinds are read into a
 *              map from record identity to value signature (xfer_diff.h:
 *              "the same data" as xporta diff means it).
 *   3. plan    (xfer_plan.c) the spool is streamed against the map: one
 *              action per record (add, same, conflict kept or replaced,
 *              skip).  With a journal the plan is saved (STATE/plan)
 *              before anything is written, so a resumed run carries out
 *              the same plan although the target has changed under it.
 *   4. write   (xfer_write.c) the spool is streamed once per stage (what
 *              others depend on first); the target store pipelines the
 *              writes, and each one is journaled as done once the store
 *              confirmed it.  Every write may be repeated, so a crash
 *              between a confirmation and its journal line costs one
 *              repeat, never a duplicate.
 *   5. verify  (xfer_verify.c) the target is read again and diffed with
 *              the spool.
 *
 * Without a journal only passes 1-3 run (a dry run).  The engine knows no
 * protocol: the stores (lib/store) do.  Everything is reported into the
 * run (errors with their detail, progress, per-kind states and notes) and
 * into the caller's counts and action callback.
 */
#ifndef XPORTA_TRANSFER_XFER_COPY_H
#define XPORTA_TRANSFER_XFER_COPY_H

#include "../store/store.h"
#include "xfer.h"

struct xfer_copy_opts {
    /* the two stores: addresses and options (store.h) */
    const char *source;
    struct store_opts source_opts;
    const char *target;
    struct store_opts target_opts;
    const char *target_jid; /* the account written (user@host) */
    /* what to copy and how */
    uint32_t kinds;
    xporta_conflict conflict;
    unsigned include;     /* XPORTA_INCLUDE_* */
    char *const *renames; /* host renames: from, to, from, to, ... */
    size_t nrenames;
    bool verify;
    /* private XML namespaces to ask the target for ("{ns}name"); the scan
     * adds the source's.  The caller's list. */
    struct xp_strv *private_ns;
    /* where the results go */
    xporta_import_counts *counts; /* [XPORTA_KIND_COUNT] */
    xporta_action_cb action;
    void *action_ud;
    /* resumable runs: the journal, and the directory of STATE/plan */
    struct xfer_journal *journal; /* NULL: plan only (dry run) */
    const char *state_dir;
    const char *spool; /* the spool file's path */
};

struct xfer_copy_result {
    bool resumed;  /* the plan of an earlier run was carried on */
    bool verified; /* verify ran and found every record on the target */
};

/* Copies one account from o->source into o->target (see the note). */
xporta_status xfer_copy(struct xp_run *run, const struct xfer_copy_opts *o,
                        struct xfer_copy_result *res);
/* How a copy that ran to the end came out: refused records and verify
 * problems as a status with its detail. */
xporta_status xfer_copy_outcome(struct xp_run *run,
                                const xporta_import_counts *counts,
                                bool verify);

#endif
