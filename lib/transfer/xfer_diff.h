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

#endif
