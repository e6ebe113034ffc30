/*
 * lib/base: dependency-free helpers shared by every other layer.
 *
 * Design note.  Everything here is small and boring on purpose: a status
 * with a detail string that keeps the first failure (curl's failf), an arena
 * for per-record allocations (one reset per record keeps the reader's memory
 * flat however large the file), a growable buffer that refuses to grow past
 * a named ceiling, base64, and the durable-file dance (write a temporary
 * file, fsync, rename, fsync the directory).  Nothing here prints or exits.
 */
#ifndef XPORTA_BASE_XP_BASE_H
#define XPORTA_BASE_XP_BASE_H

#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "xporta.h"

#if defined(__GNUC__)
#define XP_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define XP_PRINTF(a, b)
#endif

/* Named ceilings.  Every buffer filled from a file or the network is bounded
 * by one of these, so that hostile input fails cleanly instead of exhausting
 * memory. */
enum {
    XP_MAX_DETAIL = 1024,               /* error detail string */
    XP_MAX_RECORD_BYTES = 64 << 20,     /* one record's element tree */
    XP_MAX_DEPTH = 256,                 /* element nesting */
    XP_MAX_ATTRS = 256,                 /* attributes on one element */
    XP_MAX_INCLUDE_DEPTH = 8,           /* nested XInclude files */
    XP_MAX_USER_SMALL_BYTES = 16 << 20, /* buffered per-user small data */
    XP_MAX_TOKEN_BYTES = 16 << 20,      /* one XML token: a tag with its
                                           attributes, a comment, ... */
};

/* ---- error detail ------------------------------------------------------ */

/* The detail of the first failure on an object.  Later failures (cleanup
 * errors, cascades) never overwrite it. */
struct xp_err {
    xporta_status status;
    char msg[XP_MAX_DETAIL];
};

void xp_err_clear(struct xp_err *e);
/* Records status and message unless an error is already recorded; returns
 * the status that is recorded (the first one). */
xporta_status xp_fail(struct xp_err *e, xporta_status st, const char *fmt, ...)
    XP_PRINTF(3, 4);
xporta_status xp_vfail(struct xp_err *e, xporta_status st, const char *fmt,
                       va_list ap) XP_PRINTF(3, 0);
const char *xp_err_msg(const struct xp_err *e);

/* ---- arena ------------------------------------------------------------- */

/* A bump allocator made of chunks.  xp_arena_reset keeps the first chunk so
 * that a reader reusing one arena per record does no malloc in the steady
 * state.  `limit` (0 = none) caps the bytes handed out between resets. */
struct xp_arena_chunk;
struct xp_arena {
    struct xp_arena_chunk *head;
    size_t used_total;
    size_t limit;
};

void xp_arena_init(struct xp_arena *a, size_t limit);
void xp_arena_reset(struct xp_arena *a);
void xp_arena_cleanup(struct xp_arena *a);
/* NULL when out of memory or over the limit (see xp_arena_over_limit). */
void *xp_arena_alloc(struct xp_arena *a, size_t n);
char *xp_arena_strndup(struct xp_arena *a, const char *s, size_t n);
char *xp_arena_strdup(struct xp_arena *a, const char *s);
char *xp_arena_printf(struct xp_arena *a, const char *fmt, ...) XP_PRINTF(2, 3);
bool xp_arena_over_limit(const struct xp_arena *a, size_t more);

/* ---- bounded growable buffer -------------------------------------------- */

/* curl's dynbuf idea: `max` is mandatory; a failed append frees nothing the
 * caller must track (the buffer stays valid, just not extended). */
struct xp_buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max;
};

void xp_buf_init(struct xp_buf *b, size_t max);
void xp_buf_cleanup(struct xp_buf *b);
void xp_buf_reset(struct xp_buf *b);
/* XPORTA_ENOMEM or XPORTA_ETOOBIG on failure; the buffer is unchanged.
 * Appends that fit are inline (serialising a file is mostly appends). */
xporta_status xp_buf_add_grow(struct xp_buf *b, const void *p, size_t n);
static inline xporta_status xp_buf_add(struct xp_buf *b, const void *p,
                                       size_t n)
{
    if (n < b->cap - b->len && b->len + n <= b->max) {
        if (n)
            memcpy(b->data + b->len, p, n);
        b->len += n;
        b->data[b->len] = '\0';
        return XPORTA_OK;
    }
    return xp_buf_add_grow(b, p, n);
}
static inline xporta_status xp_buf_addc(struct xp_buf *b, char c)
{
    return xp_buf_add(b, &c, 1);
}
static inline xporta_status xp_buf_adds(struct xp_buf *b, const char *s)
{
    return xp_buf_add(b, s, strlen(s));
}
xporta_status xp_buf_printf(struct xp_buf *b, const char *fmt, ...)
    XP_PRINTF(2, 3);
/* Always NUL-terminated (returns "" for an empty, never-grown buffer). */
const char *xp_buf_str(const struct xp_buf *b);
/* Hands the storage to the caller (must free()); the buffer becomes empty. */
char *xp_buf_take(struct xp_buf *b);

/* ---- strings ------------------------------------------------------------ */

char *xp_strdup(const char *s);
char *xp_strndup(const char *s, size_t n);
bool xp_streq(const char *a, const char *b); /* NULL-safe */
bool xp_is_blank(const char *s, size_t n);   /* only XML whitespace */
/* Parses a non-negative decimal without sign or leading zeros ("0" is ok). */
bool xp_parse_uint(const char *s, uint64_t *out);
/* FNV-1a, for hashing keys. */
uint64_t xp_hash(const void *p, size_t n, uint64_t seed);

/* ---- base64 (RFC 4648, standard alphabet, padding required) -------------- */

size_t xp_b64_encoded_len(size_t n);
/* Writes NUL-terminated text into out (xp_b64_encoded_len(n) + 1 bytes). */
void xp_b64_encode(const unsigned char *in, size_t n, char *out);
/* Strict: whitespace is skipped, anything else outside the alphabet, bad
 * padding or a length not a multiple of 4 fails.  out must hold n/4*3 bytes.
 * Returns false on invalid input. */
bool xp_b64_decode(const char *in, size_t n, unsigned char *out,
                   size_t *outlen);

/* ---- sets of hashes (xp_set.c) ------------------------------------------- */

/* A set of 64-bit hashes: memory for duplicate detection and "already
 * done" checks without keeping the keys.  A 64-bit collision could make two
 * keys look equal; with n keys the chance is about n^2 / 2^65. */
struct xp_set {
    uint64_t *slots;
    size_t cap;
    size_t n;
    size_t max; /* 0 = unbounded */
};
void xp_set_init(struct xp_set *s, size_t max);
void xp_set_clear(struct xp_set *s);
void xp_set_cleanup(struct xp_set *s);
/* 1 = added, 0 = already present, -1 = out of memory or over max. */
int xp_set_add(struct xp_set *s, uint64_t h);
bool xp_set_has(const struct xp_set *s, uint64_t h);
/* true when h was there (and is no more). */
bool xp_set_remove(struct xp_set *s, uint64_t h);
uint64_t xp_key_hash(const char *a, const char *b);

/* A map from 64-bit hashes to 64-bit values (the same table as xp_set,
 * with a value per slot). */
struct xp_map {
    uint64_t *keys;
    uint64_t *vals;
    size_t cap;
    size_t n;
};
void xp_map_init(struct xp_map *m);
void xp_map_cleanup(struct xp_map *m);
/* 1 = added, 0 = replaced the value, -1 = out of memory. */
int xp_map_put(struct xp_map *m, uint64_t key, uint64_t val);
bool xp_map_get(const struct xp_map *m, uint64_t key, uint64_t *val);

/* ---- files -------------------------------------------------------------- */

/* An output file written under a temporary name in the same directory and
 * made visible only by xp_afile_commit (fsync, rename, fsync directory).
 * Created 0600; at commit, `mode` is applied (0600 when the content holds
 * secrets, else 0644 masked by the umask). */
struct xp_afile {
    int fd;
    char *path;
    char *tmp;
    struct xp_buf out; /* write-behind buffer */
    uint64_t written;
    /* When set: the length of the temporary file, stored after every write
     * to it, for a reader on another thread. */
    _Atomic uint64_t *flushed;
};

xporta_status xp_afile_open(struct xp_afile *f, const char *path,
                            struct xp_err *err);
/* Like xp_afile_open, but the temporary file has a fixed name, `part`, so a
 * later run can find it again: with resume_at >= 0 it is reopened and cut
 * back to that length (what an earlier run synced), else created anew. */
xporta_status xp_afile_open_part(struct xp_afile *f, const char *path,
                                 const char *part, long long resume_at,
                                 struct xp_err *err);
/* Writes out what is buffered and fdatasyncs; *offset (may be NULL)
 * receives the file's length, a point a later run can resume from. */
xporta_status xp_afile_sync(struct xp_afile *f, uint64_t *offset,
                            struct xp_err *err);
/* Closes without removing a part file (it stays for a later run). */
void xp_afile_keep(struct xp_afile *f);
xporta_status xp_afile_write(struct xp_afile *f, const void *p, size_t n,
                             struct xp_err *err);
xporta_status xp_afile_puts(struct xp_afile *f, const char *s,
                            struct xp_err *err);
xporta_status xp_afile_commit(struct xp_afile *f, bool secret,
                              struct xp_err *err);
/* The two halves of commit, for several files published together: finish
 * flushes, sets the mode, fsyncs and closes; publish renames into place and
 * fsyncs the directory. */
xporta_status xp_afile_finish(struct xp_afile *f, bool secret,
                              struct xp_err *err);
xporta_status xp_afile_publish(struct xp_afile *f, struct xp_err *err);
/* Writes out what is buffered and closes the descriptor, keeping the
 * temporary file for xp_afile_resume (a writer with many files open at
 * once, one at a time). */
xporta_status xp_afile_suspend(struct xp_afile *f, struct xp_err *err);
/* Reopens a suspended file to append to it. */
xporta_status xp_afile_resume(struct xp_afile *f, struct xp_err *err);
/* Removes the temporary file unless committed.  Safe to call twice. */
void xp_afile_abort(struct xp_afile *f);
/* Publishes a finished (or lazily finished) file only if nothing has its name
 * yet (a hard link, then the temporary name goes): XPORTA_ECONFLICT if
 * something does.  *ino receives the file's inode, to remove it later only
 * if it is still this file.  The directory is the caller's to sync. */
xporta_status xp_afile_publish_new(struct xp_afile *f, uint64_t *ino,
                                   struct xp_err *err);
/* Appends the content of `src` (open or suspended, not finished) to `dst`,
 * from byte `from` of it. */
xporta_status xp_afile_append(struct xp_afile *dst, struct xp_afile *src,
                              uint64_t from, struct xp_err *err);
/* Appends bytes [from, to) of the file at `path` to `dst` (flushed first). */
xporta_status xp_afile_append_range(struct xp_afile *dst, const char *path,
                                    uint64_t from, uint64_t to,
                                    struct xp_err *err);
/* Cuts `f` back to `len` bytes (what it held before an append). */
xporta_status xp_afile_truncate(struct xp_afile *f, uint64_t len,
                                struct xp_err *err);

/* Finishes a file without waiting for its data to reach the disk
 * (writeback is started): for files published inside a directory that is
 * synced as a whole later.  `secret` as for xp_afile_finish.  The
 * descriptor is handed to the caller (*fd: fsync and close it later); the
 * temporary name stays in f->tmp for publishing. */
xporta_status xp_afile_finish_lazy(struct xp_afile *f, bool secret, int *fd,
                                   struct xp_err *err);
/* Renames a lazily finished file into place; the directory is the caller's
 * to sync. */
xporta_status xp_afile_publish_lazy(struct xp_afile *f, struct xp_err *err);
/* fsync a file (or directory) by name. */
xporta_status xp_fsync_path(const char *path, struct xp_err *err);
/* fsync the directory that holds `path` (so a rename inside it is durable). */
xporta_status xp_fsync_dir_of(const char *path, struct xp_err *err);
/* dirname/basename without modifying the argument; caller frees. */
char *xp_path_dir(const char *path);
char *xp_path_join(const char *dir, const char *name);

/* ---- runs (xp_run.c) ------------------------------------------------------
 *
 * What every long operation (a job, a store reading an account, the copy
 * engine) reports to whoever runs it: the first error, a cancel flag the
 * caller may set from a signal handler, progress, and per kind a state, a
 * count and a note.  Lower layers fill it in; the job that owns it turns it
 * into the public xporta_job_* answers.  One struct shared downwards keeps
 * every arrow pointing down (before, the stores called back up into the
 * job layer for the same things). */
struct xp_run {
    struct xp_err err;
    volatile sig_atomic_t cancel;
    xporta_progress_cb progress;
    void *progress_ud;
    double t0;
    double last_progress;
    const char *step; /* "export", "import", ... for progress */
    struct {
        xporta_kind_state state;
        uint64_t count;
        char *note;
    } kind[XPORTA_KIND_COUNT];
};

double xp_now(void); /* monotonic seconds */
/* Reports progress (throttled to a few calls per second unless `force`). */
void xp_run_progress(struct xp_run *r, const char *phase, xporta_kind kind,
                     uint64_t done, uint64_t total, double fraction,
                     double rate, const char *message, bool force);
void xp_run_note(struct xp_run *r, xporta_kind k, const char *fmt, ...)
    XP_PRINTF(3, 4);
void xp_run_set_state(struct xp_run *r, xporta_kind k, xporta_kind_state st);
/* Every kind back to "not asked", without notes. */
void xp_run_reset_kinds(struct xp_run *r);
void xp_run_cleanup(struct xp_run *r);

/* ---- state, locks and directories (xp_dir.c) ------------------------------
 */

/* $XDG_STATE_HOME/xporta/SUB, or ~/.local/state/xporta/SUB (the home from
 * the password database without HOME); NULL without either.  Caller
 * frees. */
char *xp_state_root(const char *sub);
/* The default state directory of a job: STATE_ROOT/jobs/ID, ID derived
 * from `what` (the job's type and arguments).  Caller frees. */
char *xp_state_dir(const char *what);
/* mkdir -p with mode 0700. */
xporta_status xp_mkdir_p(const char *path, struct xp_err *err);
/* Takes an fcntl write lock on `path` (created 0600) for as long as *fd
 * stays open: an open file description's lock on Linux, so that another
 * holder in the same process is refused too.  XPORTA_ELOCKED with the
 * message `busy` when someone holds it. */
xporta_status xp_lock(const char *path, int *fd, const char *busy,
                      struct xp_err *err);
void xp_unlock(int fd);
/* Removes the plain files of `dir`, its subdirectories `depth` levels
 * down, and the directory itself (best effort: for directories we made). */
void xp_remove_tree(const char *dir, int depth);
/* A new private (0700) directory under $TMPDIR or /tmp; caller frees. */
char *xp_private_tmpdir(struct xp_err *err);

/* a followed by b, in a new string (caller frees). */
char *xp_strcat(const char *a, const char *b);

/* Test builds (-DXPORTA_TEST_HOOKS=ON): the number in the environment
 * variable `name`, or -1 when it is not set.  Always -1 in releases, so
 * crash points and shortened timers never reach users. */
long long xp_test_hook(const char *name);

/* A list of distinct strings. */
struct xp_strv {
    char **v;
    size_t n;
};
/* 1 = added, 0 = already there, -1 = out of memory. */
int xp_strv_add(struct xp_strv *v, const char *s);
bool xp_strv_has(const struct xp_strv *v, const char *s);
void xp_strv_cleanup(struct xp_strv *v);

/* ---- JSON (xp_json.c) ------------------------------------------------------
 *
 * One JSON object at a time into a growing buffer: the job event stream's
 * encoder.  Strings are always valid UTF-8 (U+FFFD for bytes that are not)
 * and cut after XP_JSON_STR_MAX bytes (with U+2026).  Out of memory, the
 * object is lost (xp_json_end returns NULL), never half-written. */
enum { XP_JSON_DEPTH = 4, XP_JSON_STR_MAX = 16384 };
struct xp_json {
    char *buf;
    size_t len, cap;
    bool oom;
    unsigned depth;
    bool first[XP_JSON_DEPTH];
};
/* s as a JSON string with its quotes, at most `limit` bytes of it, into out
 * (NUL-terminated, cut to cap); returns the length it needs, as snprintf. */
size_t xp_json_quote(const char *s, size_t limit, char *out, size_t cap);
/* x with three decimals, whatever the locale. */
size_t xp_json_real(double x, char *out, size_t cap);
void xp_json_begin(struct xp_json *w); /* "{" */
/* Members; a NULL string is left out. */
void xp_json_str(struct xp_json *w, const char *key, const char *value);
void xp_json_num(struct xp_json *w, const char *key, uint64_t n);
void xp_json_double(struct xp_json *w, const char *key, double x);
void xp_json_bool(struct xp_json *w, const char *key, bool b);
void xp_json_open(struct xp_json *w, const char *key); /* a nested object */
void xp_json_close(struct xp_json *w);
/* Closes what is open; the object (NUL-terminated) or NULL. */
const char *xp_json_end(struct xp_json *w, size_t *len);
void xp_json_cleanup(struct xp_json *w);

#endif
