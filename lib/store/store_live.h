/*
 * lib/store: a live account over the client protocol, as the jobs that talk
 * to one directly use it (the export's archive, announce, follow), and as
 * the account driver (store_live_driver.c) is built on it.  Private to
 * lib/store and lib/jobs.
 */
#ifndef XPORTA_STORE_STORE_LIVE_H
#define XPORTA_STORE_STORE_LIVE_H

#include "../model/xp_model.h"
#include "../xmpp/xmpp.h"
#include "../xmpp/xmpp_kinds.h"

/* One session on one account, with the requests that read its small kinds.
 * Records go to `sink`; messages that are not replies (MAM results) go to
 * `on_message`. */
struct live;

struct call {
    struct live *e;
    bool done;
    xporta_status status;
    xp_elem *iq; /* the reply, in e->arena */
    const char *cond, *text;
};

struct live {
    struct xp_run *run; /* errors, cancel, progress, per-kind report */
    struct xp_session *s;
    struct xp_arena arena; /* replies and records of the current phase */
    struct xp_arena calls; /* struct call, alive until close */
    char *bare;
    const char *domain;
    char *local;
    bool f_mam;              /* the account offers urn:xmpp:mam:2 */
    bool f_vcard_conversion; /* vCard-temp and PEP vCard4 are one (0398) */
    bool failed_kind;        /* a kind was refused by the server */
    uint32_t kinds;
    /* private XML to ask for besides the known namespaces ("{ns}name") */
    const struct xp_strv *private_ns;
    xporta_status (*sink)(void *ud, xporta_record *rec);
    void *sink_ud;
    void (*on_message)(void *ud, const xp_elem *msg);
    void *on_message_ud;
    /* messages from anyone else (a room's subject), kept apart: they
     * never reach on_message, so nobody can inject archive results */
    void (*on_room_message)(void *ud, const xp_elem *msg);
    void *on_room_message_ud;
    /* every presence received outside the pending collection */
    void (*on_presence)(void *ud, const xp_elem *presence);
    void *on_presence_ud;
    const char *presence_status; /* the status of our initial presence */
    /* PEP nodes whose configuration or items could not be read
     * (live_node_key) */
    struct xp_set bad_nodes;
    /* pending subscription requests, collected after initial presence */
    bool collecting;
    xp_elem **pending;
    size_t npending;
};

typedef xporta_status (*live_decode_fn)(struct xp_arena *a, const xp_elem *iq,
                                        xp_record_fn fn, void *ud);

/* Opens a session for the account (detail of failures in run->err). */
xporta_status live_connect(struct xp_run *run,
                           const struct xp_session_opts *account,
                           struct xp_session **out);
/* Connects, logs in and discovers what the account offers. */
xporta_status live_open(struct live *e, struct xp_run *run,
                        const struct xp_session_opts *account, uint32_t kinds);
void live_close(struct live *e);
/* Reads every wanted kind but the archive, in file order, into the sink. */
xporta_status live_read_small(struct live *e);

bool live_cancelled(struct live *e);
uint64_t live_node_key(const char *node);
bool live_want(struct live *e, xporta_kind k);
struct call *live_call(struct live *e, const char *type, const char *to,
                       const xp_elem *payload, unsigned timeout);
xporta_status live_wait(struct live *e, struct call **c, size_t n);
xporta_status live_wait1(struct live *e, struct call *c);
bool live_not_offered(const struct call *c);
bool live_fatal(const struct call *c);
xporta_status live_fatal_error(struct live *e, const struct call *c,
                               const char *what);
void live_kind_failed(struct live *e, xporta_kind k, const struct call *c);
void live_kind_unavailable(struct live *e, xporta_kind k, const char *why);
void live_put(void *ud, xporta_record *rec);
void live_phase(struct live *e, xporta_kind k);
void live_phase_done(struct live *e, xporta_kind k);
xporta_status live_fetch_simple(struct live *e, xporta_kind k,
                                const xp_elem *query, live_decode_fn decode,
                                bool not_found_is_empty);

#endif
