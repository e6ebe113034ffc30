/*
 * lib/jobs: the rooms job's parts (job_rooms.c: deciding and granting;
 * job_rooms_find.c: finding the rooms and what the old address is in
 * them).  The design note is in job_rooms.c.  Private to lib/jobs.
 */
#ifndef XPORTA_JOBS_JOB_ROOMS_P_H
#define XPORTA_JOBS_JOB_ROOMS_P_H

#include "../xmpp/xmpp_muc.h"
#include "job_moved_p.h"

enum {
    ROOMS_MAX = 2000,  /* rooms looked at in one run */
    SERVICES_MAX = 64, /* items of the domain asked whether they are MUC */
    WINDOW = 8,        /* rooms read at once (5 requests each) */
    ROOM_TIMEOUT_MS = 20000,
    FROM_BOOKMARK = 1,
    FROM_LISTED = 2,
    FROM_NAMED = 4,
    NLISTS = 4,
};

struct room {
    const char *jid;
    const char *nick; /* the bookmark's */
    unsigned from;
    xp_muc_aff old_aff, new_aff;
    xp_muc_aff old_seen, new_seen; /* highest list naming them */
    bool old_banned, new_banned;
    unsigned readable; /* 1 << affiliation, per list read */
    bool members_only;
    char *owners;      /* "a, b" (arena), NULL when unknown */
    const char *error; /* could not be read: why */
    struct call *c[NLISTS + 1];
    struct call *grant;
    xp_muc_aff granting;
    /* the join probe */
    enum { PROBE_NONE, PROBE_SENT, PROBE_IN, PROBE_DONE } probe;
    const char *probe_nick;
    bool probe_retried;
};

struct rooms {
    xporta_job *j;
    struct xfer_journal *jr;
    struct live *l;
    const char *old, *new_;
    struct xp_arena a; /* rooms and their strings */
    struct room *v;
    size_t n, cap;
    struct xp_map index; /* moved_jid_key(room) -> position + 1 */
    char reason[600];
};

/* The journal, absent in a dry run. */
/* Adds a room (once; `from` says where it was found); NULL past the
 * ceiling (counted) or out of memory. */
struct room *rooms_add(struct rooms *R, const char *jid, unsigned from);
/* The old account's bookmarks, in their three homes. */
xporta_status rooms_read_bookmarks(struct rooms *R);
/* The rooms the old server's MUC services list. */
xporta_status rooms_read_services(struct rooms *R);
/* Sends the requests that read rooms [from, to): four lists and
 * disco#info each. */
void rooms_read_window(struct rooms *R, size_t from, size_t to);
/* After the window's replies: the room's lists, owners and affiliations. */
xporta_status rooms_decode(struct rooms *R, struct room *r);
/* Rooms of [from, to) that hide the old address's affiliation in a
 * members-only room: entered for a moment to learn it. */
xporta_status rooms_join_probe(struct rooms *R, size_t from, size_t to);

#endif
