/*
 * lib/pie private header: shared between the reader, writer and checker.
 * Only lib/pie includes <expat.h>; nothing here mentions it.
 */
#ifndef XPORTA_PIE_PIE_P_H
#define XPORTA_PIE_PIE_P_H

#include "../model/xp_model.h"

/* SCRAM value normalisation (pie_scram.c).
 *
 * ejabberd 23.01 writes each SCRAM value base64-encoded twice (it keeps the
 * keys as base64 text and encodes that text again).  A key is recognised as
 * double-encoded when one decode yields base64 text whose own decode has the
 * mechanism's hash length; the salt of such a credential is then decoded
 * once more too (it went through the same encoder).  Returns true when the
 * element was rewritten.  Strings come from the arena. */
bool pie_scram_normalize(struct xp_arena *a, xp_elem *scram);
/* Encodes the values of a (standard) scram element a second time, for
 * ejabberd's importer, into a new element. */
xp_elem *pie_scram_double(struct xp_arena *a, const xp_elem *scram);

#endif
