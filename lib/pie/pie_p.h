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

/* A set of 64-bit hashes (pie_set.c): the checker's memory for duplicate
 * detection.  Exact strings are not kept, so a 64-bit collision could report
 * a false duplicate; with n keys the chance is about n^2 / 2^65. */
struct pie_set {
    uint64_t *slots;
    size_t cap;
    size_t n;
    size_t max; /* 0 = unbounded */
};
void pie_set_init(struct pie_set *s, size_t max);
void pie_set_clear(struct pie_set *s);
void pie_set_cleanup(struct pie_set *s);
/* 1 = added, 0 = already present, -1 = out of memory or over max. */
int pie_set_add(struct pie_set *s, uint64_t h);
bool pie_set_has(const struct pie_set *s, uint64_t h);
uint64_t pie_key_hash(const char *a, const char *b);

#endif
