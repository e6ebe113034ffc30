/*
 * Prosody's stored data, as values: the Lua tables its storage modules keep.
 *
 * Design note.  Prosody keeps a user's data per store ("roster",
 * "accounts", "pep_urn:xmpp:bookmarks:1", ...) as Lua values: tables of
 * strings, numbers, booleans and more tables, with stanzas in the form
 * util.stanza's preserialize() gives them ({name=, attr={}, child, ...}).
 * The internal storage writes them as Lua source (util/serialization.lua,
 * `return {...};` in .dat files, one `item({...});` per archive item in
 * .list files); the SQL storage as JSON (util/json.lua) or as XML text.
 *
 * A `struct pv` is such a value, allocated from an arena.  A table keeps
 * its fields in order, positional ones with integer keys 1..n, so that a
 * value read and written again comes out as Prosody wrote it.  The Lua
 * reader (prosody_lua.c) accepts data only: table constructors and
 * literals, never a name, a call (but the `item(...)` of a .list file) or
 * an operator (but the `(1/0)` forms the serialiser writes for infinities
 * and NaN).  Nothing is ever run.
 */
#ifndef XPORTA_STORE_PROSODY_VALUE_H
#define XPORTA_STORE_PROSODY_VALUE_H

#include "../model/xp_model.h"

enum pv_type { PV_NIL = 0, PV_BOOL, PV_NUM, PV_STR, PV_TABLE };

struct pv_field;

struct pv {
    enum pv_type t;
    bool b;      /* PV_BOOL */
    bool is_int; /* PV_NUM: an integer (i), else a float (n) */
    long long i;
    double n;
    const char *s; /* PV_STR (NUL-terminated; may hold NULs: see len) */
    size_t len;
    struct pv_field *first, *last; /* PV_TABLE, in order */
    size_t count;
    size_t seq;  /* PV_TABLE: t[1..seq] are set */
    bool sparse; /* PV_TABLE: an integer key beyond seq+1 was set */
};

struct pv_field {
    struct pv k, v;
    struct pv_field *next;
};

/* ---- building (from the arena; NULL / false on exhaustion) ------------- */

struct pv pv_nil(void);
struct pv pv_bool(bool b);
struct pv pv_int(long long i);
struct pv pv_num(double n);
/* Strings are borrowed; pv_str_dup copies into the arena. */
struct pv pv_str(const char *s);
struct pv pv_strn(const char *s, size_t n);
bool pv_str_dup(struct xp_arena *a, const char *s, size_t n, struct pv *out);
struct pv pv_table(void);
/* Sets t[k] = v (replacing an existing key; a nil v removes it). */
bool pv_set(struct xp_arena *a, struct pv *t, struct pv k, struct pv v);
bool pv_set_s(struct xp_arena *a, struct pv *t, const char *k, struct pv v);
/* Appends v at index #t+1. */
bool pv_push(struct xp_arena *a, struct pv *t, struct pv v);

/* Appends the UTF-8 encoding of code point `cp` (<= 0x10FFFF); false when
 * the buffer is full. */
bool pv_add_utf8(struct xp_buf *b, unsigned long cp);

/* ---- reading ----------------------------------------------------------- */

bool pv_key_eq(const struct pv *a, const struct pv *b);
/* t[k], or NULL (also when t is not a table). */
const struct pv *pv_get(const struct pv *t, const struct pv *k);
const struct pv *pv_get_s(const struct pv *t, const char *k);
const struct pv *pv_get_i(const struct pv *t, long long i);
const struct pv *pv_get_b(const struct pv *t, bool b);
/* The string t[k], or NULL when it is absent or not a string. */
const char *pv_str_at(const struct pv *t, const char *k);
bool pv_is_table(const struct pv *v);
/* The length of the sequence t[1..n] (Lua's border from 1). */
size_t pv_len(const struct pv *t);

/* ---- Lua source (prosody_lua.c) --------------------------------------- */

struct pv_reader;
typedef long (*pv_read_fn)(void *ud, char *buf, size_t cap); /* <0: errno */

enum pv_form {
    PV_DAT,  /* `return VALUE;` (a .dat file) */
    PV_LIST, /* `item(VALUE);` repeated (a .list file) */
};

/* Reads `name` (used in errors) through `read`.  Values come from
 * `arena`: a caller reading a long list resets it between items. */
xporta_status pv_reader_new(struct pv_reader **out, const char *name,
                            pv_read_fn read, void *ud, enum pv_form form,
                            struct xp_arena *arena);
/* The next value: XPORTA_OK with *v set, XPORTA_ENOTFOUND at the end (for
 * PV_DAT after the one value), or XPORTA_EFORMAT with the detail
 * "NAME:LINE:COL: what" in `err` (XPORTA_EIO for a read error). */
xporta_status pv_reader_next(struct pv_reader *r, struct pv *v,
                             struct xp_err *err);
void pv_reader_free(struct pv_reader *r);
/* One value from memory (a whole .dat file's text). */
xporta_status pv_parse_lua(struct xp_arena *a, const char *name,
                           const char *text, size_t len, enum pv_form form,
                           struct pv *v, struct xp_err *err);

/* Appends `v` as util/serialization.lua writes it (tab indentation,
 * quoted keys, positional items first); the .dat and .list wrappers are
 * the caller's ("return ", ";\n" / "item(", ");\n"). */
xporta_status pv_write_lua(struct xp_buf *out, const struct pv *v);

/* ---- JSON as util/json.lua writes it (prosody_json.c) ------------------ */

/* Tables with only 1..n keys are arrays; other keys than strings go to a
 * "__hash" list of key, value pairs, positional items with string keys to
 * "__array". */
xporta_status pv_parse_json(struct xp_arena *a, const char *text, size_t len,
                            struct pv *v, struct xp_err *err);
xporta_status pv_write_json(struct xp_buf *out, const struct pv *v);

/* ---- stanzas ----------------------------------------------------------- */

/* An element as preserialize() gives it: {name=, attr={xmlns=...}, ...}.
 * xmlns is set as Prosody's own parser sets it (util/xmppstream.lua): on
 * every element outside jabber:client, and on everything inside such an
 * element.  Namespaced attributes are "NS\1name" (xml:lang stays
 * "xml:lang"). */
bool pv_from_elem(struct xp_arena *a, const xp_elem *e, struct pv *out);
/* The reverse; an element without xmlns is in `parent_ns`
 * ("jabber:client" for a stanza).  NULL when `v` is not such a table
 * (`*why` says what) or on exhaustion (`*why` NULL). */
xp_elem *pv_to_elem(struct xp_arena *a, const struct pv *v,
                    const char *parent_ns, const char **why);

#endif
