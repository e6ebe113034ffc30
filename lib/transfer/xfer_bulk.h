/*
 * lib/transfer: the copy engine for whole stores (xfer_bulk.c).
 *
 * Design note.  xfer_copy() moves one account through five passes and a
 * spool, which a live server needs (writes in dependency order, pipelined,
 * read back).  A server's own storage is different: it takes an account's
 * data in one transaction, a thousand accounts must go in seconds, and the
 * spool would write a 400 MB archive twice more.  So a copy between whole
 * stores is one stream:
 *
 *   the source is read once, account after account; for each account
 *     - the target's records of it are read into a map (identity -> value
 *       signature, as xporta diff compares them);
 *     - each source record is renamed and filtered, and planned against the
 *       map: add, same, conflict (kept or replaced);
 *     - what is to be written is handed to the target at once, which holds
 *       the small kinds in memory and streams archives into place;
 *     - at the account's end the target commits it as one unit and the
 *       journal records it done.
 *
 * Every account is idempotent: a second run finds everything "same".  The
 * journal only saves the time of reading accounts that are done: an
 * account committed whose journal line was lost is planned again, found
 * the same, and written no more.  Journal lines are written only after
 * the target made the accounts they name durable (store_flush), so no line
 * ever claims an account the target does not have: a SQL store rolls back
 * what it did not flush when it is closed, after an error and on a Ctrl-C
 * too (an interrupted run flushes what is complete first).  A source
 * account that cannot be read is dropped whole and reported; the others
 * go on.
 */
#ifndef XPORTA_TRANSFER_XFER_BULK_H
#define XPORTA_TRANSFER_XFER_BULK_H

#include "../store/store.h"
#include "xfer.h"

/* An account's outcome: `st` OK (with its counts) or why it failed. */
typedef void (*xfer_account_fn)(void *ud, const char *jid, xporta_status st,
                                const char *why,
                                const xporta_import_counts *counts);

struct xfer_bulk_opts {
    const char *source, *target; /* store addresses */
    const char *source_domain;   /* store_opts.domain of the source */
    const char *target_domain;   /* ... and of the target */
    uint32_t kinds;
    xporta_conflict conflict;
    xporta_filter *filter; /* users, kinds, renames, secrets (the caller's) */
    bool dry_run;
    struct xfer_journal *journal; /* NULL: no resuming (dry runs) */
    xporta_import_counts *counts; /* totals, [XPORTA_KIND_COUNT] */
    xporta_action_cb action;
    void *action_ud;
    xfer_account_fn account;
    void *account_ud;
    /* Live history (store_opts.live): the source's one account (the only
     * one the filter keeps) is written as this account of the target,
     * its JIDs renamed as import renames them; the target's server runs,
     * so it is opened live and committed without a journal. */
    const char *live_account;
};

struct xfer_bulk_result {
    uint64_t accounts, done_before, failed;
    /* the rooms of the MUC services, copied after the accounts when both
     * stores keep rooms (store_driver.select_room), journaled as "room" */
    uint64_t rooms, rooms_before, rooms_failed;
};

/* The kinds only rooms have: with none of them asked for, rooms stay. */
#define XFER_ROOM_KINDS                                                       \
    ((1u << XPORTA_KIND_ROOM_CONFIG) | (1u << XPORTA_KIND_ROOM_AFFILIATION) | \
     (1u << XPORTA_KIND_ROOM_SUBJECT))

xporta_status xfer_bulk(struct xp_run *run, const struct xfer_bulk_opts *o,
                        struct xfer_bulk_result *res);

#endif
