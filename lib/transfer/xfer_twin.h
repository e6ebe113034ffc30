/*
 * lib/transfer: an offline message's twin in the archive (xfer_twin.c).
 *
 * Design note.  A user's history imported beside the running server
 * (xfer_bulk_opts.live_account) must add nothing on a second run, but the
 * offline messages of the first run may have been delivered meanwhile,
 * and delivered messages leave the offline store.  Servers archive a
 * message when they store it offline (Prosody's mod_mam and ejabberd's
 * mod_mam both archive for an offline recipient), so the file's archive
 * holds each offline message too, and the first run put it in the
 * target's archive.  An offline message whose twin (the same sender's bare
 * JID and body, stamped within a second) is in the account's archive
 * before the run is taken as delivered, or as readable there, and is not
 * written again.
 */
#ifndef XPORTA_TRANSFER_XFER_TWIN_H
#define XPORTA_TRANSFER_XFER_TWIN_H

#include "../model/xp_model.h"

/* An archive record's print into `archive` (true when it had one; *oom on
 * exhaustion). */
bool xfer_twin_add(struct xp_set *archive, const xporta_record *rec, bool *oom);
/* Whether the offline record `rec` has a twin in `archive`. */
bool xfer_twin_in(const struct xp_set *archive, const xporta_record *rec);

#endif
