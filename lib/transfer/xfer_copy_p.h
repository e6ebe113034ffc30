/*
 * lib/transfer: the state of one copy, shared by the engine's passes
 * (xfer_copy.h has the design note).  Private to the engine.
 */
#ifndef XPORTA_TRANSFER_XFER_COPY_P_H
#define XPORTA_TRANSFER_XFER_COPY_P_H

#include "xfer_copy.h"
#include "xfer_diff.h"

/* Flags kept per PEP node of the target. */
enum {
    NODE_SINGLETON = 1, /* max_items 1: a publish replaces what is there */
    NODE_HAS_ITEM = 2,
};

struct copy {
    struct xp_run *run;
    const struct xfer_copy_opts *o;
    const char *target;              /* the target's bare JID */
    const struct store_driver *tdrv; /* the target's driver */
    struct store *tgt; /* open from the first pass that needs it */
    /* pass 1 */
    bool src_bookmarks; /* the source has private storage:bookmarks */
    bool src_vcard;
    uint64_t src_vcard_value;
    /* pass 2 */
    struct xp_map tmap;  /* key hash -> value hash */
    struct xp_map nodes; /* node key hash -> NODE_* */
    bool t_prefs_trivial;
    bool vcard_kept; /* the target's own vCard stays */
    xporta_kind_state tstate[XPORTA_KIND_COUNT];
    char *tnote[XPORTA_KIND_COUNT]; /* why, for kinds that failed */
    /* pass 3 */
    struct xp_map to_write; /* key hash -> XPORTA_ACTION_ADD or _REPLACE */
    struct xp_set kept;     /* conflicts left as the target has them */
    struct xp_set scanned;  /* key hashes of the records spooled */
    struct xp_set failed;
    /* pass 4 */
    uint64_t total, done;
    uint64_t done_before; /* of `done`: journaled by an earlier run */
    double t_write;
    /* pass 5 */
    bool verified;
};

/* ---- xfer_policy.c: what is copied, and small helpers -------------------- */

void copy_act(struct copy *m, xporta_action a, xporta_kind k, const char *key,
              const char *id, const char *why);
bool copy_is_pep_kind(xporta_kind k);
/* Affiliations that say only "the account owns its node". */
bool copy_owner_only(const xp_elem *affiliations);
/* Why a record is left out on purpose (by the engine's rules and the
 * target's), or NULL. */
const char *copy_skip_reason(const struct copy *m, const xporta_record *rec);
/* Records the scan could not judge alone (needs the whole source). */
const char *copy_plan_skip(const struct copy *m, const xporta_record *rec);
/* MAM preferences that are only the server's default. */
bool copy_prefs_trivial(const xp_elem *prefs);
uint64_t copy_rec_key(xporta_kind kind, const char *key, const char *id);
/* The kinds the target can take, of those asked for. */
uint32_t copy_writable(const struct copy *m);

/* ---- xfer_io.c: the spool and the target ------------------------------- */

typedef xporta_status (*copy_record_fn)(struct copy *m, xporta_record *rec,
                                        void *ud);
/* Streams the spool's records to fn. */
xporta_status copy_spool_each(struct copy *m, copy_record_fn fn, void *ud);
/* Opens the target store unless it is open. */
xporta_status copy_target_open(struct copy *m);
/* Reads the target's writable kinds into `sink`.  The run's per-kind
 * states are the copy's, so the reading's are kept apart (tstate). */
xporta_status copy_read_target(struct copy *m,
                               xporta_status (*sink)(void *, xporta_record *),
                               void *sink_ud, const char *phase);
/* A kind of the target that could not be read would look empty: stop. */
xporta_status copy_target_readable(struct copy *m, const char *what);

/* ---- the passes ------------------------------------------------------------
 */
xporta_status copy_scan(struct copy *m);      /* xfer_scan.c */
xporta_status copy_plan(struct copy *m);      /* xfer_plan.c */
xporta_status copy_plan_save(struct copy *m); /* xfer_plan.c */
bool copy_plan_load(struct copy *m);          /* xfer_plan.c */
xporta_status copy_write(struct copy *m);     /* xfer_write.c */
xporta_status copy_verify(struct copy *m);    /* xfer_verify.c */

#endif
