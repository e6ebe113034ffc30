/*
 * lib/jobs: xporta_history_new, the readable history (job_history*.c).
 * Private to lib/jobs.
 *
 * Design note.  The job reads a XEP-0227 file once, keeping only a table
 * of conversations (account, contact, month: a count and a spool file) and
 * the roster's names; each message is appended to its month's spool file
 * in the output's temporary directory, with a bounded number of spool
 * files open at once.  Then each month is rendered into one HTML page, in
 * time order (a spool written out of order, the offline messages before
 * the archive, is sorted in memory: one conversation's month), the search
 * shards are written as the pages are, and the whole directory is synced
 * and renamed into place.  Memory grows with the number of conversations
 * and months, never with the number of messages.
 */
#ifndef XPORTA_JOBS_JOB_HISTORY_P_H
#define XPORTA_JOBS_JOB_HISTORY_P_H

#include <stdbool.h>
#include <stdint.h>

#include "../base/xp_base.h"

/* A buffered output file (the library never uses stdio to write). */
struct hout {
    int fd;
    struct xp_buf b;
    struct xp_err *err;
    xporta_status st; /* the first failure: later writes do nothing */
    char *path;
};

xporta_status hout_open(struct hout *o, const char *path, struct xp_err *err);
void hout_write(struct hout *o, const char *p, size_t n);
void hout_puts(struct hout *o, const char *s);
void hout_printf(struct hout *o, const char *fmt, ...) XP_PRINTF(2, 3);
/* Text as HTML (& < > " ' escaped): for element content and attributes. */
void hout_html(struct hout *o, const char *s, size_t n);
/* A message body: HTML-escaped, http(s) URLs as links that open only on
 * click (rel="noopener noreferrer nofollow"). */
void hout_body(struct hout *o, const char *s, size_t n);
/* A JavaScript string literal, quotes included (at most `max` bytes of s,
 * cut on a UTF-8 boundary). */
void hout_js(struct hout *o, const char *s, size_t n, size_t max);
/* Flushes and closes; the first failure of the file's life, or OK. */
xporta_status hout_close(struct hout *o);
void hout_abort(struct hout *o);

/* ---- the state of a run (job_history.c reads, job_history_render.c
 * writes) ---- */

struct hist_account {
    char *jid;      /* the user's JID, or a MUC component's */
    bool rooms;     /* a component: its contacts are rooms */
    uint32_t order; /* 1-based, after sorting: the directory aN */
};

struct hist_contact {
    uint32_t account;
    char *jid;
    char *name; /* the roster's name, or NULL */
    uint64_t count;
    uint32_t order;          /* 1-based within its account, after sorting: cN */
    uint32_t first, nmonths; /* its pages in hist.sorted */
};

struct hist_bucket {
    uint32_t contact;
    uint32_t month; /* year * 12 + month - 1; 0 undated */
    uint64_t count;
    uint64_t bytes;
    char last[24]; /* the latest stamp appended, to know if in order */
    bool unsorted;
    int fd;         /* open spool, or -1 */
    uint64_t used;  /* for closing the least recently used */
    uint32_t days;  /* bit d set: a message on day d of the month */
    uint32_t page0; /* its first page's number (search/meta.js) */
};

struct hist {
    struct xp_run *r;
    const char *source; /* the file's name for the pages */
    char *tmp;          /* the output being built */
    char *spool;        /* tmp/.spool */
    struct hist_account *acc;
    size_t nacc, capacc;
    struct hist_contact *con;
    size_t ncon, capcon;
    struct hist_bucket *bk;
    size_t nbk, capbk;
    struct xp_map con_map; /* hash(account, jid) -> contact + 1 */
    struct xp_map bk_map;  /* contact << 20 | month -> bucket + 1 */
    /* the buckets whose spool file is open: at most 64 at once (the least
     * recently used is closed, and reopened to append) */
    uint32_t open[64];
    unsigned open_fds;
    uint64_t clock;
    uint64_t messages, skipped;
    uint64_t conversations, pages; /* after rendering */
    /* rendering */
    uint32_t *sorted;  /* bucket numbers in page order */
    uint32_t *csorted; /* contact numbers in index order */
    uint64_t written;  /* messages rendered */
    struct hout shard;
    bool shard_open;
    unsigned nshards;
    uint64_t shard_rows;
};

/* A month of more messages than this is cut into parts, pages of their
 * own (a page of 100,000 messages takes seconds to show). */
enum { HIST_PART_MAX = 500 };
static inline uint32_t hist_parts(const struct hist_bucket *b)
{
    return b->count > HIST_PART_MAX
               ? (uint32_t)((b->count + HIST_PART_MAX - 1) / HIST_PART_MAX)
               : 1;
}
/* "May 2024", or "Undated" */
void hist_month_title(uint32_t month, char *buf, size_t cap);
/* "c3-2024-05.html", "c3-2024-05-2.html" for its second part (0-based
 * part 1). */
void hist_month_file(const struct hist *h, const struct hist_bucket *b,
                     uint32_t part, char *buf, size_t cap);
/* "Romeo, May 2024", "Romeo, May 2024, part 2 of 3" */
void hist_page_title(const struct hist *h, const struct hist_bucket *b,
                     uint32_t part, char *buf, size_t cap);
/* Writes the pages of hist.sorted[i] into `dir`, and their messages into
 * the search shards (job_history_month.c). */
xporta_status hist_month_page(struct hist *h, uint32_t i, const char *dir);
/* Ends the search shard being written. */
xporta_status hist_shard_close(struct hist *h);

/* The index lists every conversation up to this many; beyond (a whole
 * server's file), it lists the accounts, each with a page of its own. */
enum { HIST_INDEX_INLINE_MAX = 1000 };
/* The opening of a contact's or month's breadcrumb: <header>, <nav>, the
 * index (and the account's page when the index lists accounts). */
void hist_crumbs(struct hout *o, const struct hist *h,
                 const struct hist_contact *c);

/* Renders every page, the search shards and the index into h->tmp
 * (job_history_render.c). */
xporta_status hist_render(struct hist *h);
/* The display name of a contact. */
const char *hist_name(const struct hist_contact *c);

/* The assets written beside the pages (job_history_assets.c). */
extern const char hist_css[];
extern const char hist_js[];

/* The <head> of every page, with the CSP; `root` is "" or "../". */
void hist_head(struct hout *o, const char *root, const char *title);
void hist_foot(struct hout *o);

#endif
