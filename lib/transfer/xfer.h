/*
 * lib/transfer: what makes a copy safe to interrupt and repeat.
 *
 * The journal (xfer_journal.c) remembers, per job, which steps are done and
 * which non-repeatable steps were started; the diff (xfer_diff.c) compares
 * two sets of records the way a user means "the same data".
 */
#ifndef XPORTA_TRANSFER_XFER_H
#define XPORTA_TRANSFER_XFER_H

#include "../model/xp_model.h"

/* ---- journal ---------------------------------------------------------------
 *
 * A job's state directory holds:
 *   lock     an fcntl write lock: a second run of the same job gets
 *            XPORTA_ELOCKED instead of racing the first;
 *   state    the committed snapshot: a header naming the job, then one line
 *            per step ("= kind key id" done, "+ kind key id" started,
 *            "- kind key id" done no more: to do again);
 *   journal  the steps since the snapshot, appended one line each.
 * Loading reads the snapshot, then replays the journal; a torn last line (a
 * crash in the middle of a write) is dropped, any other damage is an error.
 * Steps are a set, so replaying a journal already folded into the snapshot
 * (a crash between the two) changes nothing.
 *
 * Steps that may be repeated (a roster set, a publish with an item id) are
 * marked done after the server confirmed them; losing the last few marks in
 * a crash only means doing them again.  Steps that must not happen twice
 * (a subscription request to a contact) are journaled as started, and the
 * journal synced, *before* they are sent; on resume a started-but-not-done
 * step is checked against the server instead of being repeated. */

struct xfer_journal;

/* Opens (creating, mode 0700) the state directory `dir` and locks it.
 * `header` describes the job (its arguments); a snapshot with another
 * header is a different job's: the directory is reused from scratch.
 * *resumed tells whether earlier steps were found. */
xporta_status xfer_journal_open(struct xfer_journal **out, const char *dir,
                                const char *header, bool *resumed,
                                struct xp_err *err);
bool xfer_journal_is_done(const struct xfer_journal *j, const char *kind,
                          const char *key, const char *id);
bool xfer_journal_is_started(const struct xfer_journal *j, const char *kind,
                             const char *key, const char *id);
/* Journals a non-repeatable step as started and syncs before returning. */
xporta_status xfer_journal_start(struct xfer_journal *j, const char *kind,
                                 const char *key, const char *id);
/* Journals a step as done (synced in batches, or by xfer_journal_sync). */
xporta_status xfer_journal_done(struct xfer_journal *j, const char *kind,
                                const char *key, const char *id);
/* The same, synced before it returns (for milestones such as "the plan is
 * saved"). */
xporta_status xfer_journal_done_sync(struct xfer_journal *j, const char *kind,
                                     const char *key, const char *id);
/* A done step is to be done again (its work was found undone): "- kind
 * key id", synced; a later xfer_journal_done marks it done anew. */
xporta_status xfer_journal_undo(struct xfer_journal *j, const char *kind,
                                const char *key, const char *id);
xporta_status xfer_journal_sync(struct xfer_journal *j);
/* Folds the journal into a new snapshot (write new, fsync, rename, fsync
 * the directory, then drop the journal). */
xporta_status xfer_journal_compact(struct xfer_journal *j);
/* The job is complete: removes the journal's files and the state
 * directory (unless other files are in it). */
xporta_status xfer_journal_finish(struct xfer_journal *j);
/* Steps recorded so far (done or started), for reports and tests. */
uint64_t xfer_journal_steps(const struct xfer_journal *j);
const char *xfer_journal_error(const struct xfer_journal *j);
/* The status of the journal's first failure (XPORTA_EIO when none is
 * recorded): what a caller passes on. */
xporta_status xfer_journal_status(const struct xfer_journal *j);
/* Releases the lock and frees; the directory stays for a later run. */
void xfer_journal_close(struct xfer_journal *j);

#ifdef XPORTA_TEST_HOOKS
/* Test builds: called after every step this process records, with their
 * count; nonzero means "crash here": the journal drops what it had not
 * synced and fails every later call, so a test can stop a job at each
 * step in-process and resume it. */
extern int (*xfer_journal_test_crash)(unsigned long long step);
#endif

/* The default state directory of a job: $XDG_STATE_HOME/xporta/jobs/ID (or
 * ~/.local/state/...), ID derived from `what` (type and arguments).  Caller
 * frees. */
char *xfer_state_dir(const char *what);
/* Locks the account `jid` for writing, for as long as the job runs: two
 * imports or migrates into one account, whatever their options, would each
 * plan against a target the other is changing.  The lock file lives in
 * $XDG_STATE_HOME/xporta/targets (or ~/.local/state/...); without a home
 * there is no lock.  XPORTA_ELOCKED when another process holds it. */
xporta_status xfer_target_lock(const char *jid, int *fd, struct xp_err *err);
void xfer_target_unlock(int fd);

#endif
