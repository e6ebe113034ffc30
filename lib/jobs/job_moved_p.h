/*
 * lib/jobs: what XEP-0283's two sides share (job_moved.c): rosters read
 * from a live account, and the per-contact report.  The design note of
 * announce is in job_announce.c, follow's in job_follow.c.  Private to
 * lib/jobs.
 */
#ifndef XPORTA_JOBS_JOB_MOVED_P_H
#define XPORTA_JOBS_JOB_MOVED_P_H

#include "jobs_p.h"

enum {
    SUB_TO = 1,
    SUB_FROM = 2,
    SUB_BOTH = 3,
    BATCH = 32,
    FLUSH_TIMEOUT_MS = 15000,
    RETRY_PAUSE_MS = 61000, /* one mod_pres_counter interval */
    SLOW_RATE = 4,          /* per minute, after a rate-limit bounce */
    MAX_ROUNDS = 4,
};

struct contact {
    const char *jid;
    unsigned sub;
    bool ask;
    const xp_elem *item; /* the roster item (name, groups) */
};

struct roster {
    struct contact *v;
    size_t n;
    struct xp_arena arena;
    struct xp_map index; /* hash of the JID -> position + 1 */
    /* pending subscription requests (follow) */
    const xp_elem **pending;
    size_t npending;
};

/* JIDs compared as RFC 7622 says (domain without case, localpart after
 * ASCII case folding, resource exact; job_moved.c says why ASCII): the key
 * of the roster index, and the comparison. */
uint64_t moved_jid_key(const char *jid);
bool moved_jid_eq(const char *a, const char *b);
void moved_roster_init(struct roster *r);
void moved_roster_cleanup(struct roster *r);
struct contact *moved_roster_find(const struct roster *r, const char *jid);
unsigned moved_parse_sub(const char *s);
const char *moved_sub_name(unsigned sub);
/* Opens a session on `account` and reads its roster (and pending requests
 * with `pending`).  The job's per-kind states are left as they were. */
xporta_status moved_read_roster(xporta_job *j, struct live *l,
                                const xporta_account *account, struct roster *r,
                                bool pending);
/* Counts a contact's outcome and tells the job's contact callback. */
void moved_report(xporta_job *j, const char *jid, xporta_contact_outcome o,
                  const char *fmt, ...) XP_PRINTF(4, 5);

#endif
