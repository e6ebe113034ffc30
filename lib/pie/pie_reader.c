/*
 * The streaming XEP-0227 reader.
 *
 * Design note.  expat pushes events; callers want to pull records one at a
 * time.  The handlers therefore build at most one record (an element tree in
 * an arena), queue the events it completes and suspend the parser
 * (XML_StopParser, resumable).  xporta_pie_reader_next() hands out the queue
 * and resumes the parser when it runs dry.  The arena is reset between
 * records, so memory stays at one record plus expat's buffer whatever the
 * size of the file.
 *
 * Documents nest through XInclude (XEP-0227 §5): a <server-data> may include
 * files whose root is <host>, a <host> files whose root is <user>.  Each
 * document has its own parser on a stack; the including parser stays
 * suspended at its <xi:include/> until the included one ends.  The logical
 * level of an element is the level of its document's root plus its depth in
 * that document:
 *
 *   level 0 <server-data>   1 <host>   2 <user>   3 data or container
 *   4 record in a container (or <items node> in a pubsub)   5 PEP <item>
 *
 * XEP-0519 components are siblings of <host>, and a room (a component's
 * <item>) is read like a user, one level for one level:
 *
 *   1 <component jid type>   2 <item name>   3 data or container
 *   (muc#owner <query>, muc#user <x>, the pie#mam <archive>)   4 record
 *
 * with events of their own (XPORTA_PIE_ROOM_RECORD for a room's records), so
 * that a consumer that knows only users never takes a room for one.  Only a
 * muc component's items are rooms (or a component's without a type); other
 * types' (pubsub) are kept whole as unknown children of the component.
 * Cheogram's files before 2026-06-30 wrote the component in the pie
 * namespace with <user name> for rooms: read the same way, with a note.
 *
 * Dialects are fixed here, as records are finished: ejabberd's double-base64
 * SCRAM, Prosody's <presence> without jabber:client, the roster's version
 * attribute, MAM's queryid, ejabberd's blocklist kept as a privacy list.
 */
#include <errno.h>
#include <expat.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pie_p.h"

enum { READ_CHUNK = 64 * 1024 };

/* What the element at level 3 opened. */
enum container {
    C_NONE = 0,
    C_ROSTER,
    C_PRIVATE,
    C_PRIVACY,
    C_BLOCKLIST,
    C_OFFLINE,
    C_PEP_OWNER,
    C_PEP_ITEMS,
    C_ARCHIVE,
    C_ROOM_CONFIG, /* muc#owner <query> of a room */
    C_ROOM_AFFIL,  /* muc#user <x> of a room */
};

enum root { ROOT_SERVER = 0, ROOT_HOST = 1, ROOT_USER = 2 };

/* Per-document attribute-name cache: slots, and entries it holds at most
 * (half full, so that probes stay short). */
enum {
    ATTR_CACHE_BITS = 7,
    ATTR_CACHE = 1 << ATTR_CACHE_BITS,
    ATTR_CACHE_MAX = ATTR_CACHE / 2
};
enum { RECENT_NS = 8 }; /* namespaces remembered by declare_ns */

struct doc {
    XML_Parser parser;
    char *name;
    xporta_read_fn read;
    void *read_ud;
    int fd;    /* >= 0 when we opened the file */
    int base;  /* logical level of this document's root */
    int depth; /* open elements in this document */
    bool suspended;
    bool final_fed;
    bool root_seen;
    uint64_t fed;      /* bytes given to the parser */
    int saved_level;   /* the including document's level, restored at end */
    int skip_level;    /* >= 0: inside an <xi:include> (fallback content) */
    struct nsdecl *ns; /* namespaces in scope */
    size_t nns, capns;
    struct {
        const char *qname;  /* expat's pointer for the attribute name */
        const char *prefix; /* interned strings (they never move) */
        const char *local;
    } attr_cache[ATTR_CACHE];
    unsigned attr_cache_n;
    unsigned long inc_line, inc_col; /* the include that opened it */
    struct doc *outer;
    /* pie_reader_open_split: bytes read before the file's own. */
    char *pre;
    size_t pre_len, pre_pos;
};

/* An interned name: allocated once, never moved (the table holds pointers),
 * so that the guesses below can point at entries. */
struct iname {
    uint64_t h;
    size_t len;
    const char *prefix; /* interned prefix, NULL without one */
    const char *local;  /* the part after the colon */
    bool bad;           /* not a QName: ":x", "x:", "a:b:c" */
    /* Guesses that spare a lookup, checked before being used (on_start):
     * the element name that last followed this one, and the namespace an
     * element of this name last declared with xmlns='...'. */
    struct iname *succ;
    const char *xmlns;
    char str[]; /* the name as written; "prefix\0local" follows it */
};

struct nsdecl {
    const char *prefix; /* interned; "" for the default namespace */
    const char *uri;    /* interned */
    int depth;          /* element depth that declared it */
};

enum { MAX_NAMES = 1 << 14 };

struct qev {
    xporta_pie_event ev;
    xporta_record rec;
    unsigned long line, col; /* where the event happened */
};

struct xporta_pie_reader {
    struct doc *doc; /* top of the include stack */
    int level;       /* open elements in the logical tree */
    struct xp_err err;
    bool ended;
    bool keep_going;
    uint64_t offset; /* bytes consumed from the top-level input */
    size_t max_record;

    xporta_include_fn include;
    void *include_ud;
    xporta_diag_cb diag;
    void *diag_ud;

    /* Pending include (set in a handler, opened by next()). */
    char *inc_href;
    int inc_base;
    unsigned long inc_line, inc_col;

    /* Logical state. */
    char *host;
    bool in_host;
    bool in_user;
    xp_elem *user_elem;
    struct xp_arena user_arena;
    enum container container;
    const char *items_node; /* <items node> in a C_PEP_ITEMS, user_arena */
    bool in_items;
    unsigned long offline_seq;
    bool warned_presence_ns, warned_scram, warned_version, warned_text;

    /* XEP-0519: the component and room being read (the room's <item> is
     * in user_arena: a room and a user are never open together). */
    char *component, *component_type;
    bool in_component, component_legacy, warned_legacy;
    bool in_room;
    xp_elem *room_elem;

    /* Privacy <default>/<active> wait for the end of their <query>: they
     * are dropped if the list they name became blocklist records. */
    xp_elem *privacy_pending[8];
    unsigned n_privacy_pending;
    const char *blocklist_from_privacy; /* name of the list converted */

    /* The text node of the record being built that grows in place (its
     * buffer holds text_cap bytes); NULL after the arena is reset. */
    xp_elem *text_node;
    size_t text_cap;

    /* The record being built. */
    xp_elem *build;      /* current element */
    xp_elem *build_root; /* NULL when not building */
    int build_level;     /* logical level of build_root */
    xporta_kind build_kind;
    const char *build_container;
    bool build_extra;
    unsigned long build_line, build_col;
    int64_t build_start;
    struct xp_arena arena; /* records (reset when the queue is empty) */

    /* Event queue. */
    struct qev *q;
    size_t qhead, qlen, qcap;
    struct qev cur;

    /* Interned names and namespaces (see intern). */
    const char *recent_ns[RECENT_NS];
    unsigned next_recent_ns;
    struct iname **names;
    size_t names_cap, names_n;
    struct iname *last_start; /* name of the last element started */

    /* Splitting (pie_reader_set_split).  The main document's byte index of
     * its last <host>, the point to stop at, and the start tag held there
     * (its name and attributes in one block). */
    int64_t host_at;
    int64_t split_at, split_host_at;
    enum pie_split split;
    unsigned long split_line, split_col;
    char *held;
    const char **held_attrs;
    bool held_ended; /* an empty element: expat ended it at once */
    bool replaying;  /* processing the held tag: position() is its own */
};

/* ---- small helpers --------------------------------------------------------
 */

static void position(const xporta_pie_reader *r, unsigned long *line,
                     unsigned long *col)
{
    if (r->replaying) {
        /* A suspended parser points past the tag it stopped at. */
        *line = r->split_line;
        *col = r->split_col;
    } else if (r->doc && r->doc->parser) {
        *line = (unsigned long)XML_GetCurrentLineNumber(r->doc->parser);
        *col = (unsigned long)XML_GetCurrentColumnNumber(r->doc->parser) + 1;
    } else {
        *line = 0;
        *col = 0;
    }
}

static const char *doc_name(const xporta_pie_reader *r)
{
    return r->doc && r->doc->name ? r->doc->name : "<input>";
}

/* Suspends (or aborts) the current parser if it is running: expat rejects
 * a second stop within one callback. */
static void stop_parser(xporta_pie_reader *r, bool resumable)
{
    XML_ParsingStatus ps;
    if (!r->doc || !r->doc->parser)
        return;
    XML_GetParsingStatus(r->doc->parser, &ps);
    if (ps.parsing == XML_PARSING ||
        (!resumable && ps.parsing == XML_SUSPENDED))
        XML_StopParser(r->doc->parser, resumable ? XML_TRUE : XML_FALSE);
}

/* Records a format error at the current position and stops the parser. */
static void fail_here(xporta_pie_reader *r, xporta_status st, const char *fmt,
                      ...) XP_PRINTF(3, 4);
static void fail_here(xporta_pie_reader *r, xporta_status st, const char *fmt,
                      ...)
{
    char msg[512];
    unsigned long line, col;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    position(r, &line, &col);
    xp_fail(&r->err, st, "%s:%lu:%lu: %s", doc_name(r), line, col, msg);
    stop_parser(r, false);
}

static void diag_here(xporta_pie_reader *r, xporta_severity sev,
                      unsigned long line, unsigned long col, const char *fmt,
                      ...) XP_PRINTF(5, 6);
static void diag_here(xporta_pie_reader *r, xporta_severity sev,
                      unsigned long line, unsigned long col, const char *fmt,
                      ...)
{
    char msg[512];
    va_list ap;
    if (!r->diag)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    xporta_diag d = {sev, doc_name(r), line, col, msg};
    r->diag(&d, r->diag_ud);
}

static void fail_alloc(xporta_pie_reader *r);

/* ---- names and namespaces --------------------------------------------------
 *
 * expat runs without namespace processing (it costs it about 8% more work to
 * expand every name); we resolve prefixes ourselves, which is cheap because
 * XEP-0227 files declare few namespaces and nearly all elements simply
 * inherit the default one.  Names repeat millions of times while the
 * distinct ones are few: each qualified name is interned once, already split
 * into prefix and local part, and elements share the interned strings.
 */

static uint64_t name_hash(const char *s, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
        s += 8;
        n -= 8;
    }
    /* The tail byte by byte: a variable-length memcpy is a library call. */
    uint64_t w = 0;
    for (size_t i = 0; i < n; i++)
        w |= (uint64_t)(unsigned char)s[i] << (8 * i);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 29);
}

/* expat (without namespace processing) has checked that a name is an XML
 * Name; after a colon the local part must also start like one (XML
 * Namespaces: an NCName), or it could not be written back as is. */
static bool name_start_ok(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    if (u[0] < 0x80)
        return (u[0] >= 'a' && u[0] <= 'z') || (u[0] >= 'A' && u[0] <= 'Z') ||
               u[0] == '_';
    unsigned cp = 0;
    if ((u[0] & 0xe0) == 0xc0)
        cp = (u[0] & 0x1fu) << 6 | (u[1] & 0x3fu);
    else if ((u[0] & 0xf0) == 0xe0)
        cp = (u[0] & 0x0fu) << 12 | (u[1] & 0x3fu) << 6 | (u[2] & 0x3fu);
    else
        return true; /* planes above the BMP are all NameStartChars */
    return cp != 0xb7 && !(cp >= 0x300 && cp <= 0x36f) &&
           !(cp >= 0x203f && cp <= 0x2040);
}

/* True when intern() would refuse any name, even a known one (the table is
 * at its ceiling): the guesses are then not used either, so that hostile
 * input takes the same path as without them. */
static bool names_full(const xporta_pie_reader *r)
{
    return r->names_cap >= MAX_NAMES && r->names_n * 2 >= r->names_cap;
}

/* Returns the interned entry for s[0..n), or NULL when the table is full
 * (callers fall back to copies) or memory ran out (*oom). */
static struct iname *intern(xporta_pie_reader *r, const char *s, size_t n,
                            bool *oom)
{
    uint64_t h = name_hash(s, n);
    if (r->names_n * 2 >= r->names_cap) {
        if (r->names_cap >= MAX_NAMES)
            return NULL;
        size_t cap = r->names_cap ? r->names_cap * 2 : 256;
        struct iname **t = calloc(cap, sizeof *t);
        if (!t) {
            *oom = true;
            return NULL;
        }
        for (size_t i = 0; i < r->names_cap; i++) {
            if (!r->names[i])
                continue;
            size_t j = r->names[i]->h & (cap - 1);
            while (t[j])
                j = (j + 1) & (cap - 1);
            t[j] = r->names[i];
        }
        free(r->names);
        r->names = t;
        r->names_cap = cap;
    }
    size_t i = h & (r->names_cap - 1);
    while (r->names[i]) {
        struct iname *e = r->names[i];
        if (e->h == h && e->len == n && memcmp(e->str, s, n) == 0)
            return e;
        i = (i + 1) & (r->names_cap - 1);
    }
    /* "prefix:local" is kept twice: whole, and split as "prefix\0local". */
    const char *colon = memchr(s, ':', n);
    bool bad = colon && (colon == s || colon == s + n - 1 ||
                         memchr(colon + 1, ':', n - (size_t)(colon - s) - 1) ||
                         !name_start_ok(colon + 1));
    struct iname *e = malloc(sizeof *e + (colon ? 2 * n + 2 : n + 1));
    if (!e) {
        *oom = true;
        return NULL;
    }
    memcpy(e->str, s, n);
    e->str[n] = '\0';
    e->h = h;
    e->len = n;
    e->prefix = NULL;
    e->local = e->str;
    e->bad = bad;
    e->succ = NULL;
    e->xmlns = NULL;
    r->names[i] = e;
    r->names_n++;
    if (colon) {
        char *split = e->str + n + 1;
        memcpy(split, s, n + 1);
        split[colon - s] = '\0';
        e->local = split + (colon - s) + 1;
        /* The prefix itself is interned too, so lookups compare pointers
         * (entries never move: e stays valid if the table grows). */
        struct iname *p = intern(r, split, (size_t)(colon - s), oom);
        e->prefix = p ? p->str : split;
    }
    return e;
}

/* Whether the NUL-terminated s is the interned name e. */
static bool iname_is(const struct iname *e, const char *s)
{
    return s[0] == e->str[0] && strcmp(s, e->str) == 0;
}

static bool prefix_eq(const char *a, const char *b)
{
    return a == b || (a[0] == b[0] && strcmp(a, b) == 0);
}

/* The namespace bound to `prefix` ("" = the default) in the current
 * document, or NULL when the prefix is not declared. */
static const char *lookup_ns(const struct doc *d, const char *prefix)
{
    if (prefix[0] == 'x' && strcmp(prefix, "xml") == 0)
        return XP_NS_XML;
    for (size_t i = d->nns; i-- > 0;)
        if (prefix_eq(d->ns[i].prefix, prefix))
            return d->ns[i].uri;
    return prefix[0] == '\0' ? "" : NULL;
}

static bool is_xmlns(const char *a)
{
    return a[0] == 'x' && a[1] == 'm' && a[2] == 'l' && a[3] == 'n' &&
           a[4] == 's' && (a[5] == '\0' || a[5] == ':');
}

/* Records the xmlns declarations of an element (pushed at its depth).
 * `elem`, when known, is the element's interned name: it remembers the
 * default namespace the element declared last time. */
static bool declare_ns(xporta_pie_reader *r, const char **attrs,
                       struct iname *elem)
{
    struct doc *d = r->doc;
    for (size_t i = 0; attrs[i]; i += 2) {
        const char *a = attrs[i];
        if (!is_xmlns(a))
            continue;
        bool oom = false;
        const char *prefix = "";
        if (a[5] == ':') {
            struct iname *p = intern(r, a + 6, strlen(a + 6), &oom);
            if (!p) {
                fail_here(r, oom ? XPORTA_ENOMEM : XPORTA_ETOOBIG,
                          "too many distinct names");
                return false;
            }
            prefix = p->str;
            if (attrs[i + 1][0] == '\0') {
                fail_here(r, XPORTA_EFORMAT,
                          "prefix '%s' bound to an empty namespace", prefix);
                return false;
            }
        }
        /* Records redeclare the same few namespaces each time (every
         * archived message declares six): an element usually declares what
         * it declared last time, else remember the last ones. */
        const char *uri = NULL;
        const char *v = attrs[i + 1];
        bool by_elem = elem && prefix[0] == '\0' && !names_full(r);
        if (by_elem && elem->xmlns && strcmp(elem->xmlns, v) == 0)
            uri = elem->xmlns;
        for (unsigned k = 0; !uri && k < RECENT_NS; k++) {
            const char *c = r->recent_ns[k];
            if (c && c[0] == v[0] && strcmp(c, v) == 0) {
                uri = c;
                break;
            }
        }
        if (!uri) {
            struct iname *u = intern(r, v, strlen(v), &oom);
            if (!u) {
                fail_here(r, oom ? XPORTA_ENOMEM : XPORTA_ETOOBIG,
                          "too many distinct namespaces");
                return false;
            }
            uri = u->str;
            r->recent_ns[r->next_recent_ns] = uri;
            r->next_recent_ns = (r->next_recent_ns + 1) % RECENT_NS;
        }
        if (by_elem)
            elem->xmlns = uri;
        if (d->nns == d->capns) {
            size_t cap = d->capns ? d->capns * 2 : 16;
            if (cap > XP_MAX_DEPTH * 4) {
                fail_here(r, XPORTA_ETOOBIG, "too many namespace declarations");
                return false;
            }
            struct nsdecl *n = realloc(d->ns, cap * sizeof *n);
            if (!n) {
                fail_here(r, XPORTA_ENOMEM, "out of memory");
                return false;
            }
            d->ns = n;
            d->capns = cap;
        }
        d->ns[d->nns].prefix = prefix;
        d->ns[d->nns].uri = uri;
        d->ns[d->nns].depth = d->depth;
        d->nns++;
    }
    return true;
}

static void undeclare_ns(struct doc *d)
{
    while (d->nns > 0 && d->ns[d->nns - 1].depth >= d->depth)
        d->nns--;
}

/* The prefix and local part of qname, from its interned entry e; without
 * one (e NULL: *oom when memory ran out, else the table is full), from
 * copies that live with the record. */
static bool split_qname(xporta_pie_reader *r, const char *qname,
                        const struct iname *e, bool oom, const char **prefix,
                        const char **local)
{
    if (e && e->bad) {
        fail_here(r, XPORTA_EFORMAT,
                  "'%s' is not a valid qualified name (XML namespaces "
                  "allow one colon, between a prefix and a name)",
                  qname);
        return false;
    }
    if (e) {
        *local = e->local;
        *prefix = e->prefix ? e->prefix : "";
        return true;
    }
    if (oom) {
        fail_here(r, XPORTA_ENOMEM, "out of memory");
        return false;
    }
    /* Table full (hostile input). */
    const char *colon = strchr(qname, ':');
    if (colon && (colon == qname || !colon[1] || strchr(colon + 1, ':') ||
                  !name_start_ok(colon + 1))) {
        fail_here(r, XPORTA_EFORMAT, "'%s' is not a valid qualified name",
                  qname);
        return false;
    }
    *local = xp_arena_strdup(&r->arena, colon ? colon + 1 : qname);
    *prefix = colon
                  ? xp_arena_strndup(&r->arena, qname, (size_t)(colon - qname))
                  : "";
    if (!*local || !*prefix) {
        fail_alloc(r);
        return false;
    }
    return true;
}

/* The namespace of a name with this prefix.  `attr`: an unprefixed
 * attribute is in no namespace, not the default one. */
static bool bind_ns(xporta_pie_reader *r, const char *prefix, bool attr,
                    const char **ns)
{
    if (attr && prefix[0] == '\0') {
        *ns = "";
        return true;
    }
    *ns = lookup_ns(r->doc, prefix);
    if (!*ns) {
        fail_here(r, XPORTA_EFORMAT, "prefix '%s' is not declared", prefix);
        return false;
    }
    return true;
}

/* Resolves an attribute's qualified name into namespace and local part.
 *
 * expat hands attribute names out of its own table of attribute ids, so the
 * same name arrives as the same pointer for the life of a parser: a small
 * pointer-keyed cache skips hashing for them (element names, copied into
 * expat's tag buffers, have no such identity: see on_start). */
static bool resolve_attr(xporta_pie_reader *r, const char *qname,
                         const char **ns, const char **local)
{
    const char *prefix;
    struct doc *d = r->doc;
    /* Open addressing on the pointer.  expat packs the names side by side
     * ("to\0from\0type\0id"): a multiplicative hash spreads them. */
    size_t slot = (size_t)(((uint32_t)(uintptr_t)qname * 2654435761u) >>
                           (32 - ATTR_CACHE_BITS));
    while (d->attr_cache[slot].qname && d->attr_cache[slot].qname != qname)
        slot = (slot + 1) & (ATTR_CACHE - 1);
    if (d->attr_cache[slot].qname) {
        prefix = d->attr_cache[slot].prefix;
        *local = d->attr_cache[slot].local;
    } else {
        bool oom = false;
        struct iname *e = intern(r, qname, strlen(qname), &oom);
        if (!split_qname(r, qname, e, oom, &prefix, local))
            return false;
        if (e && d->attr_cache_n < ATTR_CACHE_MAX) {
            d->attr_cache_n++;
            d->attr_cache[slot].qname = qname;
            d->attr_cache[slot].prefix = prefix;
            d->attr_cache[slot].local = *local;
        }
    }
    return bind_ns(r, prefix, true, ns);
}

/* Resolves the name of a starting element.  Documents repeat the same
 * sequences of elements (an archive: result, forwarded, delay, message,
 * body, ...), so the name that followed the previous element last time is
 * tried before hashing: `guess`, found by on_start (which needs it earlier,
 * for declare_ns), or NULL. */
static bool resolve_start(xporta_pie_reader *r, const char *qname,
                          struct iname *guess, const char **ns,
                          const char **local)
{
    bool oom = false;
    const char *prefix;
    struct iname *e = guess;
    if (!e || names_full(r)) {
        e = intern(r, qname, strlen(qname), &oom);
        if (e && r->last_start)
            r->last_start->succ = e;
    }
    r->last_start = e;
    if (e && !e->bad) { /* the usual case, without a call */
        *local = e->local;
        prefix = e->prefix ? e->prefix : "";
    } else if (!split_qname(r, qname, e, oom, &prefix, local)) {
        return false;
    }
    return bind_ns(r, prefix, false, ns);
}

static bool is_pie_ns(const char *ns)
{
    return strcmp(ns, XP_NS_PIE) == 0 || strcmp(ns, XP_NS_PIE_OLD) == 0;
}

static bool queue_push(xporta_pie_reader *r, xporta_pie_event ev,
                       const xporta_record *rec)
{
    if (r->qhead + r->qlen == r->qcap) {
        if (r->qhead > 0) {
            memmove(r->q, r->q + r->qhead, r->qlen * sizeof *r->q);
            r->qhead = 0;
        } else {
            size_t cap = r->qcap ? r->qcap * 2 : 16;
            struct qev *q = realloc(r->q, cap * sizeof *q);
            if (!q) {
                fail_here(r, XPORTA_ENOMEM, "out of memory");
                return false;
            }
            r->q = q;
            r->qcap = cap;
        }
    }
    struct qev *e = &r->q[r->qhead + r->qlen++];
    memset(e, 0, sizeof *e);
    e->ev = ev;
    if (rec)
        e->rec = *rec;
    if (rec && rec->line) {
        e->line = rec->line;
        e->col = rec->col;
    } else {
        /* In a start handler expat points at the tag itself. */
        position(r, &e->line, &e->col);
    }
    stop_parser(r, true);
    return true;
}

/* ---- building records -----------------------------------------------------
 */

/* Builds an element of the current record the simple way, one allocation
 * per piece: for what new_elem's single block does not cover. */
static xp_elem *new_elem_pieces(xporta_pie_reader *r, const char *ns,
                                const char *local, const char **attrs)
{
    xp_elem *e = xp_elem_new(&r->arena, ns, local);
    if (!e) {
        fail_alloc(r);
        return NULL;
    }
    for (size_t i = 0; attrs[i]; i += 2) {
        const char *ans, *an;
        if (is_xmlns(attrs[i]))
            continue;
        if (!resolve_attr(r, attrs[i], &ans, &an))
            return NULL;
        const char *av = xp_arena_strdup(&r->arena, attrs[i + 1]);
        if (!av || !xp_elem_add_attr_ref(&r->arena, e, ans, an, av)) {
            fail_alloc(r);
            return NULL;
        }
    }
    return e;
}

/* Builds an element of the current record; NULL after recording why.
 *
 * Elements are built by the hundred thousand, so each one is a single
 * arena block: the element, its attribute array (exactly as long as
 * needed; the model grows it elsewhere if someone adds one) and the
 * attribute values.  More attributes than the model allows, or a block the
 * arena refuses, go the piecewise way, which fails where it always did. */
static xp_elem *new_elem(xporta_pie_reader *r, const char *ns,
                         const char *local, const char **attrs)
{
    size_t len[XP_MAX_ATTRS];
    size_t n = 0, bytes = 0;
    for (size_t i = 0; attrs[i]; i += 2) {
        if (is_xmlns(attrs[i]))
            continue;
        if (n == XP_MAX_ATTRS)
            return new_elem_pieces(r, ns, local, attrs);
        len[n] = strlen(attrs[i + 1]);
        bytes += len[n++] + 1;
    }
    xp_elem *e =
        xp_arena_alloc(&r->arena, sizeof *e + n * sizeof *e->attrs + bytes);
    if (!e)
        return new_elem_pieces(r, ns, local, attrs);
    memset(e, 0, sizeof *e);
    e->ns = ns;
    e->name = local;
    e->attrs = n ? (struct xp_attr *)(e + 1) : NULL;
    e->attrs_cap = (unsigned)n;
    char *v = (char *)(e + 1) + n * sizeof *e->attrs;
    for (size_t i = 0; attrs[i]; i += 2) {
        if (is_xmlns(attrs[i]))
            continue;
        struct xp_attr *at = &e->attrs[e->nattrs];
        if (!resolve_attr(r, attrs[i], &at->ns, &at->name))
            return NULL;
        size_t l = len[e->nattrs++];
        memcpy(v, attrs[i + 1], l + 1);
        at->value = v;
        v += l + 1;
    }
    return e;
}

static void fail_alloc(xporta_pie_reader *r)
{
    if (xp_arena_over_limit(&r->arena, 0) || r->arena.used_total > 0)
        fail_here(r, XPORTA_ETOOBIG,
                  "a single record is larger than %zu bytes (or memory ran "
                  "out)",
                  r->max_record);
    else
        fail_here(r, XPORTA_ENOMEM, "out of memory");
}

static void begin_build(xporta_pie_reader *r, xporta_kind kind,
                        const char *container, bool extra, const char *ns,
                        const char *local, const char **attrs)
{
    xp_elem *e = new_elem(r, ns, local, attrs);
    if (!e)
        return;
    r->build = r->build_root = e;
    r->text_node = NULL;
    r->build_level = r->level - 1; /* the logical level of e */
    r->build_kind = kind;
    r->build_container = container;
    r->build_extra = extra;
    position(r, &r->build_line, &r->build_col);
    r->build_start = XML_GetCurrentByteIndex(r->doc->parser);
}

/* Converts ejabberd's blocklist-as-privacy-list into blocklist records when
 * it means exactly "block these JIDs": every item is a deny on a JID that
 * applies to all stanzas (no <message/>, <iq/>, ... children). */
static bool privacy_is_blocklist(const xp_elem *list)
{
    const char *name = xp_elem_attr_ns(list, "", "name");
    if (!xp_streq(name, XP_EJABBERD_BLOCKLIST))
        return false;
    for (const xp_elem *it = xp_elem_first_element(list); it;
         it = xp_elem_next_element(it)) {
        if (!xp_elem_is(it, XP_NS_PRIVACY, "item") ||
            !xp_streq(xp_elem_attr_ns(it, "", "type"), "jid") ||
            !xp_streq(xp_elem_attr_ns(it, "", "action"), "deny") ||
            !xp_elem_attr_ns(it, "", "value") || xp_elem_first_element(it))
            return false;
    }
    return true;
}

static void emit_record(xporta_pie_reader *r, xporta_record *rec)
{
    /* A record missing its key attribute keeps the data with key "": the
     * checker reports it. */
    xp_record_derive_key(&r->arena, rec);
    queue_push(r,
               r->build_extra ? XPORTA_PIE_EXTRA
               : r->in_room   ? XPORTA_PIE_ROOM_RECORD
                              : XPORTA_PIE_RECORD,
               rec);
}

static void finish_build(xporta_pie_reader *r)
{
    xp_elem *e = r->build_root;
    xporta_record rec;
    memset(&rec, 0, sizeof rec);
    rec.kind = r->build_kind;
    rec.container = r->build_container;
    rec.payload = e;
    rec.file = r->doc->name;
    rec.line = r->build_line;
    rec.col = r->build_col;
    int64_t end = XML_GetCurrentByteIndex(r->doc->parser);
    if (end >= r->build_start)
        rec.bytes = (uint64_t)(end - r->build_start) +
                    (uint64_t)XML_GetCurrentByteCount(r->doc->parser);
    r->build = r->build_root = NULL;

    switch (rec.kind) {
    case XPORTA_KIND_CREDENTIALS:
        if (pie_scram_normalize(&r->arena, e) && !r->warned_scram) {
            r->warned_scram = true;
            diag_here(r, XPORTA_NOTE, rec.line, rec.col,
                      "SCRAM values were base64-encoded twice (ejabberd); "
                      "decoded to the standard form");
        }
        break;
    case XPORTA_KIND_PENDING:
    case XPORTA_KIND_OFFLINE:
        /* Prosody writes <presence> without xmlns='jabber:client', so it
         * lands in the pie namespace; stanzas belong in jabber:client. */
        if (is_pie_ns(e->ns) || e->ns[0] == '\0') {
            const char *old = e->ns;
            xp_elem_rename_ns(e, old, XP_NS_CLIENT);
            if (!r->warned_presence_ns) {
                r->warned_presence_ns = true;
                diag_here(r, XPORTA_NOTE, rec.line, rec.col,
                          "<%s> without xmlns='jabber:client' (Prosody) read "
                          "as jabber:client",
                          e->name);
            }
        }
        if (rec.kind == XPORTA_KIND_PENDING) {
            /* ejabberd adds to='the user': redundant, and a different
             * account's JID after a move. */
            const char *to = xp_elem_attr_ns(e, "", "to");
            const char *user = xp_elem_attr_ns(r->user_elem, "", "name");
            struct xp_jid_parts p;
            if (to && user && r->host && xp_jid_split(to, &p) && p.local &&
                p.local_len == strlen(user) &&
                strncmp(p.local, user, p.local_len) == 0 &&
                xp_domain_eq(p.domain, p.domain_len, r->host) && !p.resource)
                xp_elem_remove_attr(e, "", "to");
        }
        if (rec.kind == XPORTA_KIND_OFFLINE) {
            rec.key = xp_arena_printf(&r->arena, "%lu", ++r->offline_seq);
            if (!rec.key) {
                fail_alloc(r);
                return;
            }
        }
        break;
    case XPORTA_KIND_ARCHIVE:
        /* queryid belongs to the query that fetched it, not to the data.
         * (Looked for first: nearly every result is without one.) */
        for (unsigned i = 0; i < e->nattrs; i++)
            if (e->attrs[i].name[0] == 'q') {
                xp_elem_remove_attr(e, "", "queryid");
                break;
            }
        break;
    case XPORTA_KIND_PEP_ITEM:
        rec.key = r->items_node;
        break;
    case XPORTA_KIND_PRIVACY:
        if (xp_elem_is(e, NULL, "list") && privacy_is_blocklist(e)) {
            r->blocklist_from_privacy = XP_EJABBERD_BLOCKLIST;
            diag_here(r, XPORTA_NOTE, rec.line, rec.col,
                      "privacy list '%s' (ejabberd's blocklist) read as "
                      "blocklist entries",
                      XP_EJABBERD_BLOCKLIST);
            for (xp_elem *it = xp_elem_first_element(e); it;
                 it = xp_elem_next_element(it)) {
                xporta_record b = rec;
                xp_elem *item = xp_elem_new(&r->arena, XP_NS_BLOCKING, "item");
                if (!item ||
                    !xp_elem_set_attr_ref(&r->arena, item, "", "jid",
                                          xp_elem_attr_ns(it, "", "value"))) {
                    fail_alloc(r);
                    return;
                }
                b.kind = XPORTA_KIND_BLOCKLIST;
                b.payload = item;
                b.bytes = 0;
                emit_record(r, &b);
            }
            return;
        }
        if (!xp_elem_is(e, NULL, "list") && r->n_privacy_pending < 8) {
            /* <default>/<active>: hold until the list kinds are known. */
            xp_elem *copy = xp_elem_clone(&r->user_arena, e);
            if (!copy) {
                fail_alloc(r);
                return;
            }
            r->privacy_pending[r->n_privacy_pending++] = copy;
            return;
        }
        break;
    default:
        break;
    }
    emit_record(r, &rec);
}

static void flush_privacy(xporta_pie_reader *r)
{
    for (unsigned i = 0; i < r->n_privacy_pending; i++) {
        xp_elem *e = r->privacy_pending[i];
        const char *name = xp_elem_attr_ns(e, "", "name");
        if (r->blocklist_from_privacy &&
            xp_streq(name, r->blocklist_from_privacy))
            continue;
        xporta_record rec;
        memset(&rec, 0, sizeof rec);
        rec.kind = XPORTA_KIND_PRIVACY;
        rec.payload = e;
        rec.file = r->doc->name;
        xp_record_derive_key(&r->arena, &rec);
        queue_push(r, XPORTA_PIE_RECORD, &rec);
    }
    r->n_privacy_pending = 0;
    r->blocklist_from_privacy = NULL;
}

/* ---- structure ----------------------------------------------------------- */

static const char *attr_plain(const char **attrs, const char *name)
{
    for (size_t i = 0; attrs[i]; i += 2)
        if (strcmp(attrs[i], name) == 0)
            return attrs[i + 1];
    return NULL;
}

static void start_include(xporta_pie_reader *r, const char **attrs,
                          int child_level)
{
    const char *href = attr_plain(attrs, "href");
    if (!href || !*href) {
        fail_here(r, XPORTA_EFORMAT, "<xi:include> without href");
        return;
    }
    if (attr_plain(attrs, "xpointer") ||
        (attr_plain(attrs, "parse") &&
         strcmp(attr_plain(attrs, "parse"), "xml") != 0)) {
        fail_here(r, XPORTA_EFORMAT,
                  "<xi:include> with parse or xpointer is not supported "
                  "(XEP-0227 §5 allows neither)");
        return;
    }
    r->inc_href = xp_strdup(href);
    if (!r->inc_href) {
        fail_here(r, XPORTA_ENOMEM, "out of memory");
        return;
    }
    r->inc_base = child_level;
    r->doc->skip_level = r->level - 1;
    position(r, &r->inc_line, &r->inc_col);
    stop_parser(r, true);
}

static void begin_host(xporta_pie_reader *r, const char **attrs)
{
    const char *jid = attr_plain(attrs, "jid");
    if (!jid) {
        fail_here(r, XPORTA_EFORMAT, "<host> without the jid attribute");
        return;
    }
    free(r->host);
    r->host = xp_strdup(jid);
    if (!r->host) {
        fail_here(r, XPORTA_ENOMEM, "out of memory");
        return;
    }
    r->in_host = true;
    if (!r->doc->outer)
        r->host_at = (int64_t)XML_GetCurrentByteIndex(r->doc->parser);
    queue_push(r, XPORTA_PIE_HOST, NULL);
}

static void begin_user(xporta_pie_reader *r, const char *ns, const char **attrs)
{
    const char *name = attr_plain(attrs, "name");
    if (!name) {
        fail_here(r, XPORTA_EFORMAT, "<user> without the name attribute");
        return;
    }
    if (!r->in_host) {
        fail_here(r, XPORTA_EFORMAT,
                  "<user> outside a <host>: give the file that includes "
                  "this one");
        return;
    }
    xp_arena_reset(&r->user_arena);
    xp_elem *u = xp_elem_new(&r->user_arena, ns, "user");
    const char *password = NULL;
    for (size_t i = 0; u && attrs[i]; i += 2) {
        const char *ans, *alocal;
        if (is_xmlns(attrs[i]))
            continue;
        if (!resolve_attr(r, attrs[i], &ans, &alocal))
            return;
        if (ans[0] == '\0' && strcmp(alocal, "password") == 0) {
            password = attrs[i + 1];
            continue;
        }
        if (!xp_elem_set_attr(&r->user_arena, u, ans, alocal, attrs[i + 1]))
            u = NULL;
    }
    if (!u) {
        fail_here(r, XPORTA_ENOMEM, "out of memory");
        return;
    }
    r->user_elem = u;
    r->room_elem = NULL;
    r->in_user = true;
    r->offline_seq = 0;
    r->container = C_NONE;
    r->warned_presence_ns = r->warned_scram = false;
    queue_push(r, XPORTA_PIE_USER, NULL);
    if (password) {
        /* The plaintext password becomes a credentials record, so that
         * filters and kind selection treat every secret alike. */
        xp_elem *pw = xp_elem_new(&r->arena, XP_NS_PIE, "password");
        xporta_record rec;
        if (!pw ||
            !xp_elem_add_text(&r->arena, pw, password, strlen(password))) {
            fail_here(r, XPORTA_ENOMEM, "out of memory");
            return;
        }
        memset(&rec, 0, sizeof rec);
        rec.kind = XPORTA_KIND_CREDENTIALS;
        rec.payload = pw;
        rec.file = r->doc->name;
        position(r, &rec.line, &rec.col);
        xp_record_derive_key(&r->arena, &rec);
        queue_push(r, XPORTA_PIE_RECORD, &rec);
    }
}

static bool is_component(const char *ns, const char *local, bool *legacy)
{
    if (strcmp(local, "component") != 0)
        return false;
    *legacy = is_pie_ns(ns);
    return *legacy || strcmp(ns, XP_NS_PIE_COMPONENT) == 0;
}

static void begin_component(xporta_pie_reader *r, bool legacy,
                            const char **attrs)
{
    const char *jid = attr_plain(attrs, "jid");
    const char *type = attr_plain(attrs, "type");
    free(r->component);
    free(r->component_type);
    /* A missing jid is the checker's to report; "" keeps the rooms. */
    r->component = xp_strdup(jid ? jid : "");
    r->component_type = xp_strdup(type ? type : "");
    if (!r->component || !r->component_type) {
        fail_here(r, XPORTA_ENOMEM, "out of memory");
        return;
    }
    r->in_component = true;
    r->component_legacy = legacy;
    if (legacy && !r->warned_legacy) {
        unsigned long line, col;
        r->warned_legacy = true;
        position(r, &line, &col);
        diag_here(r, XPORTA_NOTE, line, col,
                  "<component> in the XEP-0227 namespace with <user> rooms "
                  "(Cheogram before 2026-06-30) read as XEP-0519's "
                  "urn:xmpp:pie:0#component with <item>s");
    }
    queue_push(r, XPORTA_PIE_COMPONENT, NULL);
}

static void begin_room(xporta_pie_reader *r, const char **attrs)
{
    const char *name = attr_plain(attrs, "name");
    xp_arena_reset(&r->user_arena);
    r->user_elem = NULL;
    /* A legacy <user> room too: the element as XEP-0519 names it. */
    xp_elem *it = xp_elem_new(&r->user_arena, XP_NS_PIE_COMPONENT, "item");
    if (it &&
        !xp_elem_set_attr(&r->user_arena, it, "", "name", name ? name : ""))
        it = NULL;
    for (size_t i = 0; it && attrs[i]; i += 2) {
        const char *ans, *alocal;
        if (is_xmlns(attrs[i]))
            continue;
        if (!resolve_attr(r, attrs[i], &ans, &alocal))
            return;
        if (ans[0] == '\0' && strcmp(alocal, "name") == 0)
            continue;
        if (!xp_elem_set_attr(&r->user_arena, it, ans, alocal, attrs[i + 1]))
            it = NULL;
    }
    if (!it) {
        fail_here(r, XPORTA_ENOMEM, "out of memory");
        return;
    }
    r->room_elem = it;
    r->in_room = true;
    r->container = C_NONE;
    queue_push(r, XPORTA_PIE_ROOM, NULL);
}

/* Level 3: a child of a room's <item>. */
static void start_room_child(xporta_pie_reader *r, const char *ns,
                             const char *local, const char **attrs)
{
    if (strcmp(local, "query") == 0 && strcmp(ns, XP_NS_MUC_OWNER) == 0) {
        r->container = C_ROOM_CONFIG;
    } else if (strcmp(local, "x") == 0 && strcmp(ns, XP_NS_MUC_USER) == 0) {
        r->container = C_ROOM_AFFIL;
    } else if (strcmp(local, "archive") == 0 &&
               strcmp(ns, XP_NS_PIE_MAM) == 0) {
        r->container = C_ARCHIVE;
    } else {
        xporta_kind kind = XPORTA_KIND_OTHER;
        if (strcmp(local, "message") == 0 && strcmp(ns, XP_NS_CLIENT) == 0)
            kind = XPORTA_KIND_ROOM_SUBJECT;
        else if (strcmp(local, "vCard") == 0 && strcmp(ns, XP_NS_VCARD) == 0)
            kind = XPORTA_KIND_VCARD;
        begin_build(r, kind, NULL, false, ns, local, attrs);
    }
}

/* Level 3: a child of <user>. */
static void start_user_child(xporta_pie_reader *r, const char *ns,
                             const char *local, const char **attrs)
{
    static const struct {
        const char *ns;
        const char *name;
        enum container c;
    } containers[] = {
        {XP_NS_ROSTER, "query", C_ROSTER},
        {XP_NS_PRIVATE, "query", C_PRIVATE},
        {XP_NS_PRIVACY, "query", C_PRIVACY},
        {XP_NS_BLOCKING, "blocklist", C_BLOCKLIST},
        {XP_NS_PIE, "offline-messages", C_OFFLINE},
        {XP_NS_PIE_OLD, "offline-messages", C_OFFLINE},
        {XP_NS_PUBSUB_OWNER, "pubsub", C_PEP_OWNER},
        {XP_NS_PUBSUB, "pubsub", C_PEP_ITEMS},
        {XP_NS_PIE_MAM, "archive", C_ARCHIVE},
    };
    static const struct {
        const char *ns;
        const char *name;
        xporta_kind kind;
    } singles[] = {
        {XP_NS_PIE_SCRAM, "scram-credentials", XPORTA_KIND_CREDENTIALS},
        {XP_NS_CLIENT, "presence", XPORTA_KIND_PENDING},
        {XP_NS_PIE, "presence", XPORTA_KIND_PENDING},
        {XP_NS_PIE_OLD, "presence", XPORTA_KIND_PENDING},
        {"", "presence", XPORTA_KIND_PENDING},
        {XP_NS_VCARD, "vCard", XPORTA_KIND_VCARD},
        {XP_NS_MAM, "prefs", XPORTA_KIND_MAM_PREFS},
    };
    for (size_t i = 0; i < sizeof containers / sizeof containers[0]; i++) {
        if (strcmp(ns, containers[i].ns) == 0 &&
            strcmp(local, containers[i].name) == 0) {
            r->container = containers[i].c;
            if (r->container == C_ROSTER && !r->warned_version &&
                (attr_plain(attrs, "version") || attr_plain(attrs, "ver"))) {
                unsigned long line, col;
                r->warned_version = true;
                position(r, &line, &col);
                diag_here(r, XPORTA_NOTE, line, col,
                          "roster version attribute ignored (it is server "
                          "state, meaningless elsewhere)");
            }
            return;
        }
    }
    for (size_t i = 0; i < sizeof singles / sizeof singles[0]; i++) {
        if (strcmp(ns, singles[i].ns) == 0 &&
            strcmp(local, singles[i].name) == 0) {
            begin_build(r, singles[i].kind, NULL, false, ns, local, attrs);
            return;
        }
    }
    begin_build(r, XPORTA_KIND_OTHER, NULL, false, ns, local, attrs);
}

static const char *container_clark(enum container c)
{
    switch (c) {
    case C_ROSTER:
        return "{" XP_NS_ROSTER "}query";
    case C_PRIVATE:
        return "{" XP_NS_PRIVATE "}query";
    case C_PRIVACY:
        return "{" XP_NS_PRIVACY "}query";
    case C_BLOCKLIST:
        return "{" XP_NS_BLOCKING "}blocklist";
    case C_OFFLINE:
        return "{" XP_NS_PIE "}offline-messages";
    case C_PEP_OWNER:
        return "{" XP_NS_PUBSUB_OWNER "}pubsub";
    case C_PEP_ITEMS:
        return "{" XP_NS_PUBSUB "}pubsub";
    case C_ARCHIVE:
        return "{" XP_NS_PIE_MAM "}archive";
    case C_ROOM_CONFIG:
        return "{" XP_NS_MUC_OWNER "}query";
    case C_ROOM_AFFIL:
        return "{" XP_NS_MUC_USER "}x";
    case C_NONE:
        break;
    }
    return NULL;
}

/* Level 4: a child of a container. */
static void start_container_child(xporta_pie_reader *r, const char *ns,
                                  const char *local, const char **attrs)
{
    xporta_kind kind = XPORTA_KIND_OTHER;
    switch (r->container) {
    case C_ROSTER:
        if (strcmp(ns, XP_NS_ROSTER) == 0 && strcmp(local, "item") == 0)
            kind = XPORTA_KIND_ROSTER;
        break;
    case C_PRIVATE:
        kind = XPORTA_KIND_PRIVATE;
        break;
    case C_PRIVACY:
        if (strcmp(ns, XP_NS_PRIVACY) == 0 &&
            (strcmp(local, "list") == 0 || strcmp(local, "default") == 0 ||
             strcmp(local, "active") == 0))
            kind = XPORTA_KIND_PRIVACY;
        break;
    case C_BLOCKLIST:
        if (strcmp(ns, XP_NS_BLOCKING) == 0 && strcmp(local, "item") == 0)
            kind = XPORTA_KIND_BLOCKLIST;
        break;
    case C_OFFLINE:
        if (strcmp(local, "message") == 0 &&
            (strcmp(ns, XP_NS_CLIENT) == 0 || is_pie_ns(ns)))
            kind = XPORTA_KIND_OFFLINE;
        break;
    case C_PEP_OWNER:
        if (strcmp(ns, XP_NS_PUBSUB_OWNER) == 0) {
            if (strcmp(local, "configure") == 0)
                kind = XPORTA_KIND_PEP_NODE;
            else if (strcmp(local, "affiliations") == 0)
                kind = XPORTA_KIND_PEP_AFFILIATIONS;
            else if (strcmp(local, "subscriptions") == 0)
                kind = XPORTA_KIND_PEP_SUBSCRIPTIONS;
        }
        break;
    case C_PEP_ITEMS:
        if (strcmp(ns, XP_NS_PUBSUB) == 0 && strcmp(local, "items") == 0) {
            const char *node = attr_plain(attrs, "node");
            if (!node) {
                fail_here(r, XPORTA_EFORMAT,
                          "<items> without the node attribute");
                return;
            }
            r->items_node = xp_arena_strdup(&r->user_arena, node);
            if (!r->items_node) {
                fail_here(r, XPORTA_ENOMEM, "out of memory");
                return;
            }
            r->in_items = true;
            return;
        }
        break;
    case C_ARCHIVE:
        if (strcmp(local, "result") == 0 &&
            strncmp(ns, "urn:xmpp:mam:", 13) == 0)
            kind = XPORTA_KIND_ARCHIVE;
        break;
    case C_ROOM_CONFIG:
        if (strcmp(ns, XP_NS_DATA) == 0 && strcmp(local, "x") == 0)
            kind = XPORTA_KIND_ROOM_CONFIG;
        break;
    case C_ROOM_AFFIL:
        if (strcmp(ns, XP_NS_MUC_USER) == 0 && strcmp(local, "item") == 0)
            kind = XPORTA_KIND_ROOM_AFFILIATION;
        break;
    case C_NONE:
        break;
    }
    begin_build(r, kind,
                kind == XPORTA_KIND_OTHER ? container_clark(r->container)
                                          : NULL,
                false, ns, local, attrs);
}

/* The first start tag of the main document at or past the split point: is
 * it the <user> there, a child of the <host> at split_host_at, outside any
 * record?  Then it is held (copied, and the parser suspended before it is
 * processed) and the reader reports PIE_SPLIT_REACHED; else the split point
 * was not where it seemed and the reader goes on as if none was set. */
static bool split_hold(xporta_pie_reader *r, const char *full,
                       const char **attrs)
{
    struct doc *d = r->doc;
    int64_t at = (int64_t)XML_GetCurrentByteIndex(d->parser);
    if (at < r->split_at)
        return false;
    r->split = PIE_SPLIT_MISSED;
    if (at != r->split_at || r->level != 2 || !r->in_host || r->in_user ||
        r->build_root || d->skip_level >= 0 || r->inc_href ||
        r->host_at != r->split_host_at || strcmp(full, "user") != 0 ||
        r->err.status != XPORTA_OK)
        return false;
    size_t n = 0, bytes = strlen(full) + 1;
    while (attrs[n])
        bytes += strlen(attrs[n++]) + 1;
    char *held = malloc(bytes);
    const char **held_attrs = malloc((n + 1) * sizeof *held_attrs);
    if (!held || !held_attrs) {
        free(held);
        free(held_attrs);
        return false; /* read on: slower, still right */
    }
    char *p = held;
    p += strlen(strcpy(p, full)) + 1;
    for (size_t i = 0; i < n; i++) {
        held_attrs[i] = p;
        p += strlen(strcpy(p, attrs[i])) + 1;
    }
    held_attrs[n] = NULL;
    r->held = held;
    r->held_attrs = held_attrs;
    position(r, &r->split_line, &r->split_col);
    r->split = PIE_SPLIT_REACHED;
    stop_parser(r, true);
    return true;
}

static void XMLCALL on_start(void *ud, const char *full, const char **attrs)
{
    xporta_pie_reader *r = ud;
    struct doc *d = r->doc;
    int level = r->level;
    const char *local;
    const char *ns;

    if (r->split == PIE_SPLIT_ARMED && !d->outer && split_hold(r, full, attrs))
        return;
    d->depth++;
    r->level++;
    if (r->doc->skip_level >= 0)
        return;
    if (r->level > XP_MAX_DEPTH) {
        fail_here(r, XPORTA_ETOOBIG, "elements nested deeper than %d",
                  XP_MAX_DEPTH);
        return;
    }
    struct iname *prev = r->last_start;
    struct iname *guess =
        prev && prev->succ && !names_full(r) && iname_is(prev->succ, full)
            ? prev->succ
            : NULL;
    if (!declare_ns(r, attrs, guess) ||
        !resolve_start(r, full, guess, &ns, &local))
        return;
    if (r->build_root) {
        xp_elem *e = new_elem(r, ns, local, attrs);
        if (!e)
            return;
        xp_elem_append(r->build, e);
        r->build = e;
        return;
    }
    if (d->depth == 1) {
        /* The root of a document: it must match where it is included. */
        static const char *const want[] = {"server-data", "host", "user"};
        if (!d->outer && is_pie_ns(ns) && strcmp(local, "host") == 0) {
            /* ejabberd's host file read on its own. */
            d->base = ROOT_HOST;
            level = ROOT_HOST;
            r->level = level + 1;
        }
        if (!is_pie_ns(ns) || strcmp(local, want[d->base]) != 0) {
            if (d->outer)
                fail_here(r, XPORTA_EFORMAT,
                          "expected <%s xmlns='urn:xmpp:pie:0'> as the root "
                          "of an included file, found <%s>",
                          want[d->base], local);
            else
                fail_here(r, XPORTA_EFORMAT,
                          "expected <server-data xmlns='urn:xmpp:pie:0'> "
                          "(or <host>), found <%s%s%s>",
                          local, *ns ? " xmlns=" : "", ns);
            return;
        }
        d->root_seen = true;
    }
    switch (level) {
    case 0:
        return; /* <server-data> */
    case 1: {
        bool legacy;
        if (strcmp(ns, XP_NS_XINCLUDE) == 0 && strcmp(local, "include") == 0)
            start_include(r, attrs, ROOT_HOST);
        else if (is_pie_ns(ns) && strcmp(local, "host") == 0)
            begin_host(r, attrs);
        else if (d->depth > 1 && is_component(ns, local, &legacy))
            begin_component(r, legacy, attrs);
        else
            begin_build(r, XPORTA_KIND_OTHER, "server-data", true, ns, local,
                        attrs);
        return;
    }
    case 2:
        if (r->in_component) {
            /* Items of a muc component (or one without a type) are rooms;
             * another type's are kept whole, as unknown children. */
            bool muc =
                !*r->component_type || strcmp(r->component_type, "muc") == 0;
            if (muc && (strcmp(ns, XP_NS_PIE_COMPONENT) == 0
                            ? strcmp(local, "item") == 0
                            : r->component_legacy && is_pie_ns(ns) &&
                                  strcmp(local, "user") == 0))
                begin_room(r, attrs);
            else
                begin_build(r, XPORTA_KIND_OTHER, "component", true, ns, local,
                            attrs);
        } else if (d->depth == 1) {
            begin_user(r, ns, attrs); /* root of an included user file */
        } else if (strcmp(ns, XP_NS_XINCLUDE) == 0 &&
                   strcmp(local, "include") == 0) {
            start_include(r, attrs, ROOT_USER);
        } else if (is_pie_ns(ns) && strcmp(local, "user") == 0) {
            begin_user(r, ns, attrs);
        } else {
            begin_build(r, XPORTA_KIND_OTHER, "host", true, ns, local, attrs);
        }
        return;
    case 3:
        if (r->in_room)
            start_room_child(r, ns, local, attrs);
        else
            start_user_child(r, ns, local, attrs);
        return;
    case 4:
        start_container_child(r, ns, local, attrs);
        return;
    case 5:
        if (r->in_items) {
            if (strcmp(ns, XP_NS_PUBSUB) == 0 && strcmp(local, "item") == 0) {
                begin_build(r, XPORTA_KIND_PEP_ITEM, NULL, false, ns, local,
                            attrs);
            } else {
                /* Unknown content of <items>: keep it wrapped in its
                 * <items node> so the writer can put it back. */
                begin_build(r, XPORTA_KIND_OTHER, container_clark(C_PEP_ITEMS),
                            false, XP_NS_PUBSUB, "items",
                            (const char *[]){"node", r->items_node, NULL});
                if (r->build_root) {
                    xp_elem *e = new_elem(r, ns, local, attrs);
                    if (!e)
                        return;
                    xp_elem_append(r->build_root, e);
                    r->build = e; /* the record ends with e */
                }
            }
            return;
        }
        break;
    default:
        break;
    }
    fail_here(r, XPORTA_EFORMAT, "unexpected <%s> at nesting level %d", local,
              level);
}

static void XMLCALL on_end(void *ud, const char *full)
{
    xporta_pie_reader *r = ud;
    struct doc *d = r->doc;
    (void)full;
    if (r->split == PIE_SPLIT_REACHED) {
        /* The held tag was an empty element: expat ends it even when its
         * start suspended the parser.  Held too. */
        r->held_ended = true;
        return;
    }
    undeclare_ns(d);
    d->depth--;
    r->level--;
    int level = r->level; /* level of the element that ends */

    if (r->doc->skip_level >= 0) {
        if (level == r->doc->skip_level)
            r->doc->skip_level = -1;
        return;
    }
    if (r->build_root) {
        if (level == r->build_level)
            finish_build(r);
        else if (r->build && r->build->parent)
            r->build = r->build->parent;
        return;
    }
    switch (level) {
    case 1:
        if (r->in_host) {
            r->in_host = false;
            queue_push(r, XPORTA_PIE_HOST_END, NULL);
        } else if (r->in_component) {
            r->in_component = false;
            queue_push(r, XPORTA_PIE_COMPONENT_END, NULL);
        }
        break;
    case 2:
        if (r->in_user) {
            r->in_user = false;
            queue_push(r, XPORTA_PIE_USER_END, NULL);
        } else if (r->in_room) {
            r->in_room = false;
            queue_push(r, XPORTA_PIE_ROOM_END, NULL);
        }
        break;
    case 3:
        if (r->container == C_PRIVACY)
            flush_privacy(r);
        r->container = C_NONE;
        break;
    case 4:
        if (r->in_items) {
            r->in_items = false;
            r->items_node = NULL;
        }
        break;
    default:
        break;
    }
}

/* xp_elem_add_text, with a new text node and its text in one block. */
static bool add_text(xporta_pie_reader *r, xp_elem *e, const char *s, size_t n)
{
    if (n == 0)
        return true;
    xp_elem *last = e->last;
    if (last && !last->name) {
        /* Text comes in pieces (one per line, one per feed): its buffer
         * grows geometrically.  A copy per piece was quadratic: a 300 KB
         * vCard photo in 76-character lines ran past the 64 MiB ceiling
         * of a record. */
        size_t len = last->text_len;
        if (last != r->text_node || len + n + 1 > r->text_cap) {
            size_t cap = (len + n + 1) * 2;
            if (cap < 256)
                cap = 256;
            char *buf = xp_arena_alloc(&r->arena, cap);
            if (!buf) { /* near the ceiling: exactly what it needs */
                cap = len + n + 1;
                buf = xp_arena_alloc(&r->arena, cap);
            }
            if (!buf)
                return false;
            memcpy(buf, last->text, len);
            last->text = buf;
            r->text_node = last;
            r->text_cap = cap;
        }
        char *buf = (char *)(uintptr_t)last->text; /* ours: text_node */
        memcpy(buf + len, s, n);
        buf[len + n] = '\0';
        last->text_len = len + n;
        return true;
    }
    xp_elem *t = xp_arena_alloc(&r->arena, sizeof *t + n + 1);
    if (!t)
        return false;
    memset(t, 0, sizeof *t);
    t->ns = "";
    char *copy = (char *)(t + 1);
    memcpy(copy, s, n);
    copy[n] = '\0';
    t->text = copy;
    t->text_len = n;
    xp_elem_append(e, t);
    return true;
}

static void XMLCALL on_text(void *ud, const char *s, int len)
{
    xporta_pie_reader *r = ud;
    if (r->doc->skip_level >= 0)
        return;
    if (r->build) {
        if (!add_text(r, r->build, s, (size_t)len))
            fail_alloc(r);
        return;
    }
    if (!r->warned_text && !xp_is_blank(s, (size_t)len)) {
        unsigned long line, col;
        r->warned_text = true;
        position(r, &line, &col);
        diag_here(r, XPORTA_WARNING, line, col,
                  "text outside any record ignored");
    }
}

static void XMLCALL on_doctype(void *ud, const char *name, const char *sysid,
                               const char *pubid, int has_internal)
{
    (void)name;
    (void)sysid;
    (void)pubid;
    (void)has_internal;
    /* No DTDs: they bring entity expansion (and its attacks) and XEP-0227
     * files never need one. */
    fail_here(ud, XPORTA_EFORMAT, "a DOCTYPE is not allowed in XEP-0227 files");
}

static void XMLCALL on_entity(void *ud, const char *name, int is_param,
                              const char *value, int value_len,
                              const char *base, const char *sysid,
                              const char *pubid, const char *notation)
{
    (void)name;
    (void)is_param;
    (void)value;
    (void)value_len;
    (void)base;
    (void)sysid;
    (void)pubid;
    (void)notation;
    fail_here(ud, XPORTA_EFORMAT, "entity declarations are not allowed");
}

/* ---- documents ------------------------------------------------------------
 */

static long read_fd(void *ud, char *buf, size_t cap)
{
    int fd = *(int *)ud;
    for (;;) {
        ssize_t n = read(fd, buf, cap);
        if (n < 0 && errno == EINTR)
            continue;
        return (long)n;
    }
}

/* A document opened by pie_reader_open_split: the prefix, then the file
 * from where its descriptor stands. */
static long read_split(void *ud, char *buf, size_t cap)
{
    struct doc *d = ud;
    if (d->pre_pos < d->pre_len) {
        size_t n = d->pre_len - d->pre_pos;
        if (n > cap)
            n = cap;
        memcpy(buf, d->pre + d->pre_pos, n);
        d->pre_pos += n;
        return (long)n;
    }
    return read_fd(&d->fd, buf, cap);
}

static struct doc *doc_new(xporta_pie_reader *r, const char *name,
                           xporta_read_fn read, void *ud, int fd, int base)
{
    struct doc *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->fd = fd;
    d->base = base;
    d->skip_level = -1;
    d->read = read;
    d->read_ud = ud;
    d->name = xp_strdup(name ? name : "<input>");
    d->parser = XML_ParserCreate(NULL);
    if (!d->name || !d->parser) {
        if (d->parser)
            XML_ParserFree(d->parser);
        free(d->name);
        free(d);
        return NULL;
    }
    if (fd >= 0) {
        d->read = read_fd;
        d->read_ud = &d->fd;
    }
    XML_SetUserData(d->parser, r);
    XML_SetElementHandler(d->parser, on_start, on_end);
    XML_SetCharacterDataHandler(d->parser, on_text);
    XML_SetStartDoctypeDeclHandler(d->parser, on_doctype);
    XML_SetEntityDeclHandler(d->parser, on_entity);
    XML_SetParamEntityParsing(d->parser, XML_PARAM_ENTITY_PARSING_NEVER);
    return d;
}

static void doc_free(struct doc *d)
{
    if (!d)
        return;
    if (d->parser)
        XML_ParserFree(d->parser);
    if (d->fd >= 0)
        close(d->fd);
    free(d->pre);
    free(d->ns);
    free(d->name);
    free(d);
}

static xporta_status include_file(void *ud, const char *base, const char *href,
                                  xporta_read_fn *read, void **read_ud,
                                  char **name)
{
    (void)ud;
    (void)read;
    (void)read_ud;
    if (href[0] == '/' || strstr(href, "://")) {
        *name = NULL;
        return XPORTA_EUNSUPPORTED;
    }
    char *dir = xp_path_dir(base);
    *name = dir ? xp_path_join(dir, href) : NULL;
    free(dir);
    return *name ? XPORTA_OK : XPORTA_ENOMEM;
}

/* A directory opens, and fails only at the first read: closed at once
 * with errno EISDIR, the local I/O error it is.  True when it was one. */
static bool refuse_dir(int fd)
{
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return false;
    close(fd);
    errno = EISDIR;
    return true;
}
static xporta_status open_include(xporta_pie_reader *r)
{
    char *href = r->inc_href;
    xporta_read_fn read = NULL;
    void *read_ud = NULL;
    char *name = NULL;
    int fd = -1;
    xporta_status st;
    r->inc_href = NULL;

    unsigned depth = 0;
    for (struct doc *d = r->doc; d; d = d->outer)
        depth++;
    if (depth > XP_MAX_INCLUDE_DEPTH) {
        free(href);
        return xp_fail(&r->err, XPORTA_ETOOBIG,
                       "%s:%lu:%lu: includes nested deeper than %d",
                       doc_name(r), r->inc_line, r->inc_col,
                       XP_MAX_INCLUDE_DEPTH);
    }
    if (r->include) {
        st = r->include(r->include_ud, r->doc->name, href, &read, &read_ud,
                        &name);
    } else if (r->doc->fd >= 0 || r->doc->outer) {
        st = include_file(NULL, r->doc->name, href, &read, &read_ud, &name);
        if (st == XPORTA_OK) {
            fd = open(name, O_RDONLY | O_CLOEXEC);
            if (fd < 0) {
                st = errno == ENOENT ? XPORTA_ENOTFOUND : XPORTA_EIO;
            } else if (refuse_dir(fd)) {
                fd = -1;
                st = XPORTA_EIO;
            }
        }
    } else {
        st = XPORTA_EUNSUPPORTED;
    }
    if (st != XPORTA_OK) {
        const char *why = st == XPORTA_ENOTFOUND ? "no such file"
                          : st == XPORTA_EUNSUPPORTED
                              ? "only relative file names can be included"
                              : strerror(errno);
        if (r->keep_going && st != XPORTA_ENOMEM) {
            diag_here(r, XPORTA_ERROR, r->inc_line, r->inc_col,
                      "XInclude '%s' cannot be read: %s; skipped", href, why);
            free(href);
            free(name);
            return XPORTA_OK;
        }
        /* An include that is not allowed is bad input like any other
         * (not a refusal by a server). */
        if (st == XPORTA_EUNSUPPORTED)
            st = XPORTA_EFORMAT;
        st =
            xp_fail(&r->err, st, "%s:%lu:%lu: XInclude '%s' cannot be read: %s",
                    doc_name(r), r->inc_line, r->inc_col, href, why);
        free(href);
        free(name);
        return st;
    }
    struct doc *d = doc_new(r, name, read, read_ud, fd, r->inc_base);
    free(name);
    free(href);
    if (!d) {
        if (fd >= 0)
            close(fd);
        return xp_fail(&r->err, XPORTA_ENOMEM, "out of memory");
    }
    d->inc_line = r->inc_line;
    d->inc_col = r->inc_col;
    d->outer = r->doc;
    d->saved_level = r->level;
    /* The included root sits where the include element was; the include
     * element itself is not part of the logical tree. */
    r->level = r->inc_base;
    r->doc = d;
    return XPORTA_OK;
}

static xporta_status expat_error(xporta_pie_reader *r)
{
    if (r->err.status != XPORTA_OK)
        return r->err.status;
    enum XML_Error code = XML_GetErrorCode(r->doc->parser);
    unsigned long line, col;
    position(r, &line, &col);
    return xp_fail(&r->err, XPORTA_EFORMAT, "%s:%lu:%lu: %s", doc_name(r), line,
                   col, XML_ErrorString(code));
}

/* The current document has been parsed completely. */
static xporta_status doc_done(xporta_pie_reader *r)
{
    struct doc *d = r->doc;
    if (!d->root_seen)
        return xp_fail(&r->err, XPORTA_EFORMAT, "%s: empty document",
                       doc_name(r));
    if (!d->outer) {
        r->ended = true;
        return queue_push(r, XPORTA_PIE_END, NULL) ? XPORTA_OK : r->err.status;
    }
    r->doc = d->outer;
    r->level = d->saved_level;
    doc_free(d);
    return XPORTA_OK;
}

/* Runs the parser until at least one event is queued or the input ends. */
static xporta_status pump(xporta_pie_reader *r)
{
    while (r->qlen == 0 && !r->ended) {
        struct doc *d = r->doc;
        enum XML_Status xs;
        if (r->err.status != XPORTA_OK)
            return r->err.status;
        if (r->split == PIE_SPLIT_REACHED)
            return XPORTA_OK;
        if (r->inc_href) {
            xporta_status st = open_include(r);
            if (st != XPORTA_OK)
                return st;
            continue;
        }
        if (d->suspended) {
            d->suspended = false;
            xs = XML_ResumeParser(d->parser);
        } else if (d->final_fed) {
            xporta_status st = doc_done(r);
            if (st != XPORTA_OK)
                return st;
            continue;
        } else {
            /* expat 2.5 parses an unfinished token again from its start at
             * every feed: one huge token (a 64 MiB attribute) took half a
             * minute in 64 KiB feeds.  The parser's position is the start
             * of that token, so its size so far is known: past the ceiling
             * it is an error, and below it the feeds grow with it (the
             * work stays linear). */
            size_t chunk = READ_CHUNK;
            XML_Index at = XML_GetCurrentByteIndex(d->parser);
            if (at >= 0 && d->fed > (uint64_t)at) {
                uint64_t token = d->fed - (uint64_t)at;
                if (token > XP_MAX_TOKEN_BYTES) {
                    unsigned long line, col;
                    position(r, &line, &col);
                    return xp_fail(&r->err, XPORTA_ETOOBIG,
                                   "%s:%lu:%lu: one XML token (a tag with its "
                                   "attributes, a comment, ...) is over %d "
                                   "MiB",
                                   doc_name(r), line, col,
                                   XP_MAX_TOKEN_BYTES >> 20);
                }
                if (token > chunk)
                    chunk = (size_t)token;
                if (token + chunk > XP_MAX_TOKEN_BYTES + READ_CHUNK)
                    chunk = (size_t)(XP_MAX_TOKEN_BYTES + READ_CHUNK - token);
            }
            void *buf = XML_GetBuffer(d->parser, (int)chunk);
            if (!buf)
                return xp_fail(&r->err, XPORTA_ENOMEM, "out of memory");
            long n = d->read(d->read_ud, buf, chunk);
            if (n < 0)
                return xp_fail(&r->err, XPORTA_EIO, "%s: read: %s", doc_name(r),
                               strerror(errno));
            if (!d->outer)
                r->offset += (uint64_t)n;
            d->fed += (uint64_t)n;
            d->final_fed = n == 0;
            xs = XML_ParseBuffer(d->parser, (int)n, n == 0);
        }
        if (xs == XML_STATUS_ERROR)
            return expat_error(r);
        if (r->err.status != XPORTA_OK)
            return r->err.status;
        if (xs == XML_STATUS_SUSPENDED)
            d->suspended = true;
    }
    return r->err.status;
}

/* ---- public API -----------------------------------------------------------
 */

static xporta_pie_reader *reader_alloc(void)
{
    xporta_pie_reader *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->max_record = XP_MAX_RECORD_BYTES;
    xp_arena_init(&r->arena, r->max_record);
    xp_arena_init(&r->user_arena, XP_MAX_USER_SMALL_BYTES);
    xp_err_clear(&r->err);
    return r;
}

xporta_status xporta_pie_reader_open(xporta_pie_reader **out, const char *path)
{
    if (!out || !path)
        return XPORTA_EINVAL;
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? XPORTA_ENOTFOUND : XPORTA_EIO;
    if (refuse_dir(fd))
        return XPORTA_EIO;
    xporta_pie_reader *r = reader_alloc();
    struct doc *d = r ? doc_new(r, path, NULL, NULL, fd, ROOT_SERVER) : NULL;
    if (!d) {
        close(fd);
        free(r);
        return XPORTA_ENOMEM;
    }
    r->doc = d;
    *out = r;
    return XPORTA_OK;
}

xporta_status xporta_pie_reader_new(xporta_pie_reader **out, const char *name,
                                    xporta_read_fn read, void *userdata)
{
    if (!out || !read)
        return XPORTA_EINVAL;
    *out = NULL;
    xporta_pie_reader *r = reader_alloc();
    struct doc *d =
        r ? doc_new(r, name, read, userdata, -1, ROOT_SERVER) : NULL;
    if (!d) {
        free(r);
        return XPORTA_ENOMEM;
    }
    r->doc = d;
    *out = r;
    return XPORTA_OK;
}

void xporta_pie_reader_set_include(xporta_pie_reader *r, xporta_include_fn fn,
                                   void *userdata)
{
    r->include = fn;
    r->include_ud = userdata;
}

void xporta_pie_reader_set_diag(xporta_pie_reader *r, xporta_diag_cb cb,
                                void *userdata)
{
    r->diag = cb;
    r->diag_ud = userdata;
}

void xporta_pie_reader_set_max_record(xporta_pie_reader *r, size_t bytes)
{
    r->max_record = bytes;
    r->arena.limit = bytes;
}

void xporta_pie_reader_set_keep_going(xporta_pie_reader *r, bool on)
{
    r->keep_going = on;
}

xporta_status xporta_pie_reader_next(xporta_pie_reader *r, xporta_pie_event *ev)
{
    if (!r || !ev)
        return XPORTA_EINVAL;
    if (r->err.status != XPORTA_OK)
        return r->err.status;
    if (r->qlen == 0 && r->ended) {
        *ev = XPORTA_PIE_END;
        return XPORTA_OK;
    }
    if (r->qlen == 0 && !r->build_root) {
        xp_arena_reset(&r->arena);
        r->text_node = NULL;
    }
    xporta_status st = pump(r);
    if (r->qlen == 0 && st == XPORTA_OK && r->split == PIE_SPLIT_REACHED) {
        *ev = XPORTA_PIE_END;
        return XPORTA_OK;
    }
    if (r->qlen == 0)
        return st != XPORTA_OK
                   ? st
                   : xp_fail(&r->err, XPORTA_EFORMAT,
                             "%s: unexpected end of input", doc_name(r));
    r->cur = r->q[r->qhead];
    r->qhead++;
    r->qlen--;
    if (r->qlen == 0)
        r->qhead = 0;
    *ev = r->cur.ev;
    return XPORTA_OK;
}

const char *xporta_pie_reader_host(const xporta_pie_reader *r)
{
    return r->host;
}

const char *xporta_pie_reader_user(const xporta_pie_reader *r)
{
    return r->user_elem ? xp_elem_attr_ns(r->user_elem, "", "name") : NULL;
}

const xporta_elem *xporta_pie_reader_user_elem(const xporta_pie_reader *r)
{
    return r->user_elem;
}

xporta_record *xporta_pie_reader_record(xporta_pie_reader *r)
{
    if (r->cur.ev != XPORTA_PIE_RECORD && r->cur.ev != XPORTA_PIE_EXTRA &&
        r->cur.ev != XPORTA_PIE_ROOM_RECORD)
        return NULL;
    return &r->cur.rec;
}

const char *xporta_pie_reader_component(const xporta_pie_reader *r)
{
    return r->component;
}

const char *xporta_pie_reader_component_type(const xporta_pie_reader *r)
{
    return r->component ? r->component_type : NULL;
}

const char *xporta_pie_reader_room(const xporta_pie_reader *r)
{
    return r->room_elem ? xp_elem_attr_ns(r->room_elem, "", "name") : NULL;
}

const xporta_elem *xporta_pie_reader_room_elem(const xporta_pie_reader *r)
{
    return r->room_elem;
}

void xporta_pie_reader_position(const xporta_pie_reader *r, const char **file,
                                unsigned long *line, unsigned long *col)
{
    *file = r->cur.rec.file ? r->cur.rec.file : doc_name(r);
    *line = r->cur.line;
    *col = r->cur.col;
}

uint64_t xporta_pie_reader_offset(const xporta_pie_reader *r)
{
    return r->offset;
}

const char *xporta_pie_reader_error(const xporta_pie_reader *r)
{
    return r ? xp_err_msg(&r->err) : "";
}

void xporta_pie_reader_free(xporta_pie_reader *r)
{
    if (!r)
        return;
    while (r->doc) {
        struct doc *outer = r->doc->outer;
        doc_free(r->doc);
        r->doc = outer;
    }
    for (size_t i = 0; i < r->names_cap; i++)
        free(r->names[i]);
    free(r->names);
    free(r->q);
    free(r->host);
    free(r->component);
    free(r->component_type);
    free(r->inc_href);
    free(r->held);
    free(r->held_attrs);
    xp_arena_cleanup(&r->arena);
    xp_arena_cleanup(&r->user_arena);
    free(r);
}

/* ---- splitting (lib/pie internal, see pie_p.h) ----------------------------
 */

xporta_status pie_reader_open_split(xporta_pie_reader **out, const char *path,
                                    const char *prefix, size_t prefix_len,
                                    uint64_t offset)
{
    xporta_status st = xporta_pie_reader_open(out, path);
    if (st != XPORTA_OK)
        return st;
    struct doc *d = (*out)->doc;
    d->pre = malloc(prefix_len ? prefix_len : 1);
    if (!d->pre) {
        xporta_pie_reader_free(*out);
        *out = NULL;
        return XPORTA_ENOMEM;
    }
    memcpy(d->pre, prefix, prefix_len);
    d->pre_len = prefix_len;
    if (lseek(d->fd, (off_t)offset, SEEK_SET) < 0) {
        xporta_pie_reader_free(*out);
        *out = NULL;
        return XPORTA_EIO;
    }
    d->read = read_split;
    d->read_ud = d;
    return XPORTA_OK;
}

void pie_reader_set_split(xporta_pie_reader *r, uint64_t split_at,
                          uint64_t host_at)
{
    r->split_at = (int64_t)split_at;
    r->split_host_at = (int64_t)host_at;
    r->split = PIE_SPLIT_ARMED;
}

enum pie_split pie_reader_split(const xporta_pie_reader *r, unsigned long *line,
                                unsigned long *col)
{
    if (line)
        *line = r->split_line;
    if (col)
        *col = r->split_col;
    return r->split;
}

xporta_status pie_reader_split_resume(xporta_pie_reader *r)
{
    if (r->split != PIE_SPLIT_REACHED)
        return XPORTA_OK;
    r->split = PIE_SPLIT_NONE;
    /* The parser is suspended just after the held tag: process it now, as
     * expat would have, at the tag's position. */
    r->replaying = true;
    on_start(r, r->held, r->held_attrs);
    r->replaying = false;
    if (r->held_ended)
        on_end(r, r->held);
    free(r->held);
    free(r->held_attrs);
    r->held = NULL;
    r->held_attrs = NULL;
    return r->err.status;
}

unsigned pie_reader_once_notes(const xporta_pie_reader *r)
{
    return (r->warned_version ? PIE_ONCE_VERSION : 0u) |
           (r->warned_text ? PIE_ONCE_TEXT : 0u);
}
