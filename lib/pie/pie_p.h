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

/* Splitting a file between two readers (pie_pass.c).
 *
 * The first reader reads the file from its start and is told where the
 * second takes over: the byte offset of a <user> start tag, and of the
 * <host> start tag that contains it.  When its parser reaches the first
 * start tag at or past that offset, it checks that this is that <user>, a
 * child of that <host>, outside any record; if so it holds the tag (the
 * reader then returns XPORTA_PIE_END and reports PIE_SPLIT_REACHED, with
 * the tag's line and column), else it reads on as if no split had been set
 * (PIE_SPLIT_MISSED).  pie_reader_split_resume() processes the held tag and
 * lets the reader read on to the end.
 *
 * The second reader reads `prefix` (the root and host start tags, copied
 * from the file) and then the file from the split offset. */
enum pie_split {
    PIE_SPLIT_NONE = 0,
    PIE_SPLIT_ARMED,
    PIE_SPLIT_REACHED,
    PIE_SPLIT_MISSED,
};
void pie_reader_set_split(xporta_pie_reader *r, uint64_t split_at,
                          uint64_t host_at);
enum pie_split pie_reader_split(const xporta_pie_reader *r, unsigned long *line,
                                unsigned long *col);
xporta_status pie_reader_split_resume(xporta_pie_reader *r);
xporta_status pie_reader_open_split(xporta_pie_reader **out, const char *path,
                                    const char *prefix, size_t prefix_len,
                                    uint64_t offset);
/* Where to split a regular file of `size` bytes open on `fd`: the first
 * "<user" at or past `from`, the "<host" above it, and `prefix` (malloc'd:
 * the root's start tag and that host's, copied from the file) for the
 * second reader.  False when nothing usable was found (pie_split.c). */
struct pie_plan {
    uint64_t split, host_at;
    char *prefix;
    size_t prefix_len;
};
bool pie_plan_split(int fd, uint64_t size, uint64_t from, struct pie_plan *pl);
/* A place of the second half in the file's numbering: the split tag is at
 * (first_line, first_col) there and at (at_line, at_col) in the file. */
void pie_split_remap(unsigned long first_line, unsigned long first_col,
                     unsigned long at_line, unsigned long at_col,
                     unsigned long *line, unsigned long *col);
/* The reader's errors read "FILE:LINE:COL: message" when they have a place
 * (the first ":N:N: " ends the file name): its parts, or false. */
bool pie_error_place(const char *m, size_t *file_len, unsigned long *line,
                     unsigned long *col, const char **text);
/* res->fatal_msg in its parts (fatal_file, _line, _col, _text). */
void pie_split_fatal(xporta_check_result *res);
/* Notes a reader gives once per file, so that a split file's second half
 * does not repeat them: the bits of those it gave so far. */
enum { PIE_ONCE_VERSION = 1, PIE_ONCE_TEXT = 2 };
unsigned pie_reader_once_notes(const xporta_pie_reader *r);

/* The checker's sets, for merging the halves of a split file. */
bool pie_checker_has_host(const xporta_checker *c, const char *host);
bool pie_checker_has_user(const xporta_checker *c, const char *user,
                          const char *host);

/* Bytes held per group until the end of a user (pie_hold.c): the Prosody
 * writer keeps each container's records together here.  A group holds at
 * most PIE_HOLD_MEM bytes in memory; past that it moves to a spill file in
 * `dir` (unlinked at once, reused for the next user). */
enum { PIE_HOLD_GROUPS = 8, PIE_HOLD_MEM = 1 << 20 };
struct pie_hold_group {
    struct xp_buf mem;
    int fd;           /* spill file, -1 until needed */
    uint64_t spilled; /* its length */
};
struct pie_hold {
    const char *dir;
    struct pie_hold_group g[PIE_HOLD_GROUPS];
};
void pie_hold_init(struct pie_hold *h, const char *dir);
xporta_status pie_hold_add(struct pie_hold *h, unsigned group, const void *p,
                           size_t n, struct xp_err *err);
/* Bytes held in a group. */
uint64_t pie_hold_size(const struct pie_hold *h, unsigned group);
/* Writes a group out (spilled bytes first, in the order they came) and
 * empties it. */
xporta_status pie_hold_drain(struct pie_hold *h, unsigned group,
                             struct xp_afile *out, struct xp_err *err);
/* Empties every group (a new user). */
void pie_hold_clear(struct pie_hold *h);
void pie_hold_cleanup(struct pie_hold *h);

#endif
