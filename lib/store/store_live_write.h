/* lib/store: the write half of the account driver (store_live_write.c).
 * Private to lib/store. */
#ifndef XPORTA_STORE_STORE_LIVE_WRITE_H
#define XPORTA_STORE_STORE_LIVE_WRITE_H

#include "store.h"
#include "store_live.h"

struct op;

struct lwrite {
    struct live *l;
    store_done_fn done;
    void *done_ud;
    struct op *ops; /* request slots: the window */
    unsigned nops;
    unsigned inflight;
    struct xp_set failed_nodes; /* live_node_key of nodes not created */
    bool partial_config;        /* a node kept fewer settings than the source */
};

xporta_status lwrite_begin(struct lwrite *w, struct live *l, unsigned window,
                           store_done_fn done, void *ud);
/* Sends the record's requests (waiting for a free slot first). */
xporta_status lwrite_record(struct lwrite *w, const xporta_record *rec,
                            bool replace);
/* Runs the session for at most `ms`; cancel and a lost connection stop. */
xporta_status lwrite_poll(struct lwrite *w, unsigned ms);
/* Runs until at most `max` writes are in flight. */
xporta_status lwrite_poll_to(struct lwrite *w, unsigned max);
xporta_status lwrite_end(struct lwrite *w);
void lwrite_cleanup(struct lwrite *w);

#endif
