/*
 * lib/pie: what the rest of the library (jobs) may use beyond the public
 * reader and writer: a writer whose output survives an interruption, so an
 * export can resume where it stopped.
 */
#ifndef XPORTA_PIE_PIE_H
#define XPORTA_PIE_PIE_H

#include "../model/xp_model.h"

/* Where an interrupted single-user standard file stopped: `offset` bytes
 * of the part file are good, and they end inside <archive> of host/user. */
struct pie_resume {
    uint64_t offset;
    const char *host;
    const char *user;
};

/* A standard-dialect, single-file writer whose temporary file is `part`
 * (a fixed name a later run can find).  Without `resume` the part file is
 * created anew; with it, it is cut to resume->offset and writing continues
 * inside the archive container.  The file is mode 0600 until commit, and
 * stays 0600 with XPORTA_PIE_PRIVATE in flags. */
enum { XPORTA_PIE_PRIVATE = 1u << 8 };
xporta_status pie_writer_open_part(xporta_pie_writer **out, const char *path,
                                   const char *part, unsigned flags,
                                   const struct pie_resume *resume);
/* Flushes and fdatasyncs; *offset receives a point to resume from (it is
 * only meaningful while inside the archive container). */
xporta_status pie_writer_sync(xporta_pie_writer *w, uint64_t *offset);
/* Serialises an archive record exactly as the writer would inside its
 * container, for spooling: bytes appended to out. */
xporta_status pie_writer_format(const xporta_pie_writer *w, struct xp_buf *out,
                                const xporta_record *rec);
/* Appends bytes made by pie_writer_format for `count` records of `kind`. */
xporta_status pie_writer_write_raw(xporta_pie_writer *w, xporta_kind kind,
                                   const char *bytes, size_t n);
/* The status of the writer's first failure (XPORTA_EIO when none is
 * recorded), so that a caller passes the cause on unchanged. */
xporta_status pie_writer_status(const xporta_pie_writer *w);
/* At free, leave the part file in place for a later run (instead of
 * removing it). */
void pie_writer_keep_part(xporta_pie_writer *w, bool keep);

/* One XML element (a stanza kept as text in a database) from `xml`: an
 * element without a namespace declaration is in `default_ns`.  On error,
 * *why says what and *line, *col where (in `xml`). */
xporta_status pie_parse_element(struct xp_arena *a, const char *xml, size_t len,
                                const char *default_ns, xp_elem **out,
                                const char **why, unsigned long *line,
                                unsigned long *col);

/* The version of expat loaded, as XML_ExpatVersion() gives it
 * ("expat_2.5.0"), for xporta_version_string(). */
const char *pie_expat_version(void);

#endif
