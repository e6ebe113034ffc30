/*
 * lib/transfer: comparing two sets of records (xfer_diff.c).
 *
 * Used by `xporta diff`, by import's plan (source against the target as it
 * is) and by verify (source against the target read back).
 */
#ifndef XPORTA_TRANSFER_XFER_DIFF_H
#define XPORTA_TRANSFER_XFER_DIFF_H

#include "../model/xp_model.h"

/* The identity of a record: kind, key and id. */
uint64_t xfer_key_hash(const xporta_record *rec);
/* What "the same data" means for the record's kind, with `owner` (the
 * account's bare JID, or NULL) read as "self" wherever a JID appears. */
uint64_t xfer_value_hash(const xporta_record *rec, const char *owner);
/* The value hash of a record that states nothing to compare (a PEP node
 * configuration without an access model: the server's defaults).  It is
 * the same as any value. */
#define XFER_ANY_VALUE 0u
static inline bool xfer_same_value(uint64_t a, uint64_t b)
{
    return a == b || a == XFER_ANY_VALUE || b == XFER_ANY_VALUE;
}

#endif
