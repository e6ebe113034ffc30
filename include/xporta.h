/*
 * xporta.h: the public API of libxporta.
 *
 * libxporta moves XMPP account data between XEP-0227 files (urn:xmpp:pie:0)
 * and live accounts.  An account is seen as a stream of records
 * (kind, key, payload): a roster item, a vCard, one PEP item, one archived
 * message.  Records flow one at a time, so a file or archive of any size
 * passes through in bounded memory.
 *
 * Conventions (they hold for every function below):
 *  - Functions return an xporta_status; XPORTA_OK is 0.  The detail of a
 *    failure is kept on the object that failed (xporta_*_error()), the first
 *    failure wins.  The library never prints and never exits.
 *  - Objects have one creator (_open/_new) and one destroyer (_free);
 *    destroying NULL is a no-op.
 *  - Returned `const` pointers are borrowed: valid until the next call on
 *    the same object.  Returned `char *` must be released with xporta_free().
 */
#ifndef XPORTA_H
#define XPORTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define XPORTA_API __attribute__((visibility("default")))
#else
#define XPORTA_API
#endif

#define XPORTA_VERSION "0.1.0"

/* ==== status ============================================================ */

/* Stable forever: new values are only ever appended. */
typedef enum xporta_status {
    XPORTA_OK = 0,
    XPORTA_ENOMEM = 1,         /* allocation failed */
    XPORTA_EINVAL = 2,         /* the caller passed an invalid argument */
    XPORTA_EIO = 3,            /* reading or writing a local file failed */
    XPORTA_EFORMAT = 4,        /* malformed XEP-0227 file, journal or input */
    XPORTA_ETOOBIG = 5,        /* input exceeded a configured limit */
    XPORTA_ENET = 6,           /* could not reach the server */
    XPORTA_ETLS = 7,           /* TLS failed or the certificate is not valid */
    XPORTA_EAUTH = 8,          /* the server rejected the credentials */
    XPORTA_ESTANZA = 9,        /* the server answered with an error stanza */
    XPORTA_ETIMEOUT = 10,      /* no answer before the deadline */
    XPORTA_EUNSUPPORTED = 11,  /* the server or file lacks a needed feature */
    XPORTA_ECANCELED = 12,     /* the operation was canceled */
    XPORTA_ELOCKED = 13,       /* another process holds the job's lock */
    XPORTA_ECONFLICT = 14,     /* data differs where it was expected equal */
    XPORTA_ENOTFOUND = 15,     /* no such user, host, file or item */
    XPORTA_EDISCONNECTED = 16, /* the connection was lost */
} xporta_status;

/* "XPORTA_ETIMEOUT" */
XPORTA_API const char *xporta_status_name(xporta_status st);
/* A generic sentence, e.g. "no answer before the deadline". */
XPORTA_API const char *xporta_strerror(xporta_status st);
/* The exit status xporta(1) gives for `st` (its EXIT STATUS: 0 ok, 2 usage,
 * 3 input, 4 io, 5 network, 6 auth, 7 server, 8 locked, 9 conflict,
 * 10 canceled, 70 internal) and, in *name if not NULL, that word. */
XPORTA_API int xporta_status_exit(xporta_status st, const char **name);
/* `s` as a JSON string, quotes included: RFC 8259 escapes, and valid
 * UTF-8 whatever `s` holds (a byte that does not begin a well-formed
 * sequence is U+FFFD).  Writes at most cap bytes, NUL included, and
 * returns the length the whole needs (as snprintf). */
XPORTA_API size_t xporta_json_quote(const char *s, char *out, size_t cap);

XPORTA_API void xporta_free(void *p);
XPORTA_API const char *xporta_version(void);
/* This library's version and the versions of libstrophe, expat and OpenSSL
 * it runs with, one per line ("NAME VERSION..."), each ending in '\n'.
 * libstrophe tells only its major.minor at run time: its full version is
 * the one the library was compiled against.  Static storage; any thread.
 * (Built with the session layer only.) */
XPORTA_API const char *xporta_version_string(void);

/* ==== diagnostics ======================================================= */

typedef enum xporta_severity {
    XPORTA_NOTE = 0,
    XPORTA_WARNING = 1,
    XPORTA_ERROR = 2,
} xporta_severity;

/* A problem found in input, located in its file.  `file` is NULL when the
 * input has no name; `line`/`col` are 1-based, 0 when unknown.  Valid only
 * during the callback. */
typedef struct xporta_diag {
    xporta_severity severity;
    const char *file;
    unsigned long line;
    unsigned long col;
    const char *message;
} xporta_diag;

typedef void (*xporta_diag_cb)(const xporta_diag *diag, void *userdata);

/* ==== XML elements ====================================================== */

/* A read-only view of an XML element tree (a record's payload).  Text nodes
 * are nodes whose name is NULL.  Namespaces are URIs, never prefixes. */
typedef struct xporta_elem xporta_elem;

/* NULL for a text node. */
XPORTA_API const char *xporta_elem_name(const xporta_elem *e);
/* "" when the element has no namespace. */
XPORTA_API const char *xporta_elem_ns(const xporta_elem *e);
/* The value of an attribute in no namespace, or NULL. */
XPORTA_API const char *xporta_elem_attr(const xporta_elem *e, const char *name);
/* Children in document order; text nodes included. */
XPORTA_API const xporta_elem *xporta_elem_first(const xporta_elem *e);
XPORTA_API const xporta_elem *xporta_elem_next(const xporta_elem *e);
/* First child element with that name and namespace (ns NULL = any). */
XPORTA_API const xporta_elem *
xporta_elem_child(const xporta_elem *e, const char *ns, const char *name);
/* The text of a text node, or the concatenated text children of an
 * element (borrowed; "" when none). */
XPORTA_API const char *xporta_elem_text(const xporta_elem *e);
/* Serialises the tree (namespaces declared where they change).  *out must
 * be released with xporta_free(). */
XPORTA_API xporta_status xporta_elem_to_string(const xporta_elem *e, char **out,
                                               size_t *len);

/* ==== records =========================================================== */

/* Every kind of data XEP-0227 1.1 carries, plus two documented extensions
 * (blocklist, mam-prefs) and OTHER for anything unknown, which is kept
 * verbatim and written back so that nothing is lost silently. */
typedef enum xporta_kind {
    XPORTA_KIND_CREDENTIALS = 0,   /* key: "PLAIN" or the SCRAM mechanism */
    XPORTA_KIND_ROSTER,            /* key: contact bare JID */
    XPORTA_KIND_PENDING,           /* key: requester bare JID */
    XPORTA_KIND_VCARD,             /* key: "vcard" */
    XPORTA_KIND_PRIVATE,           /* key: "{namespace}name" */
    XPORTA_KIND_PRIVACY,           /* key: "list NAME", "default", "active" */
    XPORTA_KIND_BLOCKLIST,         /* key: blocked JID */
    XPORTA_KIND_OFFLINE,           /* key: sequence number "1", "2", ... */
    XPORTA_KIND_PEP_NODE,          /* key: node; payload <configure> */
    XPORTA_KIND_PEP_AFFILIATIONS,  /* key: node */
    XPORTA_KIND_PEP_SUBSCRIPTIONS, /* key: node */
    XPORTA_KIND_PEP_ITEM,          /* key: node, id: item id */
    XPORTA_KIND_ARCHIVE,           /* key: archive id; oldest first */
    XPORTA_KIND_MAM_PREFS,         /* key: "prefs" */
    XPORTA_KIND_OTHER,             /* key: "{namespace}name" of the element */
    /* A room's data (XEP-0519 components, XPORTA_PIE_ROOM_RECORD); numbered
     * after OTHER so that the numbers above, kept in journals and state
     * files, never change.  A room also has VCARD, ARCHIVE and OTHER. */
    XPORTA_KIND_ROOM_CONFIG,      /* key: "config"; payload the muc#roomconfig
                                     <x xmlns='jabber:x:data'> form */
    XPORTA_KIND_ROOM_AFFILIATION, /* key: bare JID; payload the muc#user
                                     <item jid affiliation nick?> */
    XPORTA_KIND_ROOM_SUBJECT,     /* key: "subject"; payload the jabber:client
                                     <message> that set it, with <subject> */
    XPORTA_KIND_COUNT
} xporta_kind;

/* "roster", "pep-item", "archive", ... */
XPORTA_API const char *xporta_kind_name(xporta_kind k);
/* Accepts the names above.  Returns XPORTA_EINVAL for unknown names. */
XPORTA_API xporta_status xporta_kind_from_name(const char *name,
                                               xporta_kind *out);
/* Parses a comma-separated list of kind names into a bit set
 * (1u << kind).  Group names: "pep" (all pep-*), "secrets" (credentials),
 * "all".  On failure *bad points into `list` at the offending name. */
XPORTA_API xporta_status xporta_kinds_parse(const char *list, uint32_t *set,
                                            const char **bad);

/* One unit of account data.  Borrowed from its producer: valid until the
 * producer's next call. */
typedef struct xporta_record {
    xporta_kind kind;
    const char *key;
    const char *id;        /* PEP item id; NULL for other kinds */
    const char *container; /* OTHER: "{ns}name" of the enclosing element, or
                              NULL when it was a direct child of <user> */
    xporta_elem *payload;
    /* Where the record came from; file NULL when not from a file. */
    const char *file;
    unsigned long line;
    unsigned long col;
    uint64_t bytes; /* size of the element in its source */
} xporta_record;

/* ==== JIDs (RFC 7622) =================================================== */

/* Checks the shape of a JID: localpart@domainpart/resourcepart with the
 * RFC 7622 length limits and forbidden characters.  `why` (may be NULL)
 * receives a static explanation on failure. */
XPORTA_API bool xporta_jid_is_valid(const char *jid, const char **why);
XPORTA_API bool xporta_jid_is_valid_domain(const char *domain,
                                           const char **why);
XPORTA_API bool xporta_jid_is_valid_local(const char *local, const char **why);

/* ==== XEP-0227 reader =================================================== */

typedef struct xporta_pie_reader xporta_pie_reader;

typedef enum xporta_pie_event {
    XPORTA_PIE_HOST = 1, /* a <host> begins: xporta_pie_reader_host */
    XPORTA_PIE_USER,     /* a <user> begins: xporta_pie_reader_user */
    XPORTA_PIE_RECORD,   /* xporta_pie_reader_record */
    XPORTA_PIE_USER_END,
    XPORTA_PIE_HOST_END,
    XPORTA_PIE_EXTRA, /* an unknown element outside any <user>:
                         xporta_pie_reader_record, kind OTHER */
    XPORTA_PIE_END,   /* the document is complete */
    /* XEP-0519: a <component> (a sibling of <host>) begins:
     * xporta_pie_reader_component, xporta_pie_reader_component_type.  Its
     * unknown children come as XPORTA_PIE_EXTRA (container "component"). */
    XPORTA_PIE_COMPONENT,
    /* An <item> of a muc component (or of one without a type), a room:
     * xporta_pie_reader_room (other types' items are XPORTA_PIE_EXTRA).
     * Never a user: its records come as XPORTA_PIE_ROOM_RECORD, so that a
     * consumer that knows only users never takes a room's data for a
     * user's. */
    XPORTA_PIE_ROOM,
    XPORTA_PIE_ROOM_RECORD, /* xporta_pie_reader_record */
    XPORTA_PIE_ROOM_END,
    XPORTA_PIE_COMPONENT_END,
} xporta_pie_event;

/* Returns a count of bytes read into buf (at most cap), 0 at the end, or
 * -1 on error (errno set). */
typedef long (*xporta_read_fn)(void *userdata, char *buf, size_t cap);
/* Opens an XInclude target relative to the including document. */
typedef xporta_status (*xporta_include_fn)(void *userdata, const char *base,
                                           const char *href,
                                           xporta_read_fn *read,
                                           void **read_userdata, char **name);

/* Opens a file.  One file per server, one per user (Prosody's layout) and
 * ejabberd's XInclude layout are all accepted.  Nothing is read until the
 * first xporta_pie_reader_next(). */
XPORTA_API xporta_status xporta_pie_reader_open(xporta_pie_reader **out,
                                                const char *path);
/* Reads from a callback; `name` is used in error messages.  XIncludes are
 * refused unless xporta_pie_reader_set_include() is called. */
XPORTA_API xporta_status xporta_pie_reader_new(xporta_pie_reader **out,
                                               const char *name,
                                               xporta_read_fn read,
                                               void *userdata);
XPORTA_API void xporta_pie_reader_set_include(xporta_pie_reader *r,
                                              xporta_include_fn fn,
                                              void *userdata);
/* Warnings about input that was accepted but repaired or is doubtful
 * (ejabberd's double-base64 SCRAM, Prosody's namespace-less presence, ...). */
XPORTA_API void xporta_pie_reader_set_diag(xporta_pie_reader *r,
                                           xporta_diag_cb cb, void *userdata);
/* Overrides the ceiling on one record's size (default 64 MiB). */
XPORTA_API void xporta_pie_reader_set_max_record(xporta_pie_reader *r,
                                                 size_t bytes);
/* With `on`, an XInclude that cannot be read is reported through the
 * diagnostic callback (as an error) and skipped instead of ending the read;
 * for validation, which wants every problem listed. */
XPORTA_API void xporta_pie_reader_set_keep_going(xporta_pie_reader *r, bool on);

/* Advances to the next event.  Returns XPORTA_OK with *ev set, or an error
 * (XPORTA_EFORMAT with "file:line:col: what was expected", XPORTA_EIO,
 * XPORTA_ETOOBIG, XPORTA_ENOMEM).  After XPORTA_PIE_END or an error, further
 * calls return the same result. */
XPORTA_API xporta_status xporta_pie_reader_next(xporta_pie_reader *r,
                                                xporta_pie_event *ev);
XPORTA_API const char *xporta_pie_reader_host(const xporta_pie_reader *r);
XPORTA_API const char *xporta_pie_reader_user(const xporta_pie_reader *r);
/* The <user> element with its attributes (password removed: it is a
 * credentials record), for writing it back verbatim. */
XPORTA_API const xporta_elem *
xporta_pie_reader_user_elem(const xporta_pie_reader *r);
XPORTA_API xporta_record *xporta_pie_reader_record(xporta_pie_reader *r);
/* The component's jid and type ("muc", "pubsub", ...; "" when the attribute
 * is missing) from XPORTA_PIE_COMPONENT to the next one (NULL before). */
XPORTA_API const char *xporta_pie_reader_component(const xporta_pie_reader *r);
XPORTA_API const char *
xporta_pie_reader_component_type(const xporta_pie_reader *r);
/* The room's name (its localpart: the room is NAME@COMPONENT), and its
 * <item> element with its other attributes, from XPORTA_PIE_ROOM until the
 * next room or user (NULL before). */
XPORTA_API const char *xporta_pie_reader_room(const xporta_pie_reader *r);
XPORTA_API const xporta_elem *
xporta_pie_reader_room_elem(const xporta_pie_reader *r);
/* Where the current event starts. */
XPORTA_API void xporta_pie_reader_position(const xporta_pie_reader *r,
                                           const char **file,
                                           unsigned long *line,
                                           unsigned long *col);
/* Bytes consumed from the top-level input (for progress). */
XPORTA_API uint64_t xporta_pie_reader_offset(const xporta_pie_reader *r);
XPORTA_API const char *xporta_pie_reader_error(const xporta_pie_reader *r);
XPORTA_API void xporta_pie_reader_free(xporta_pie_reader *r);

/* ==== XEP-0227 writer =================================================== */

typedef enum xporta_dialect {
    /* Standard XEP-0227 1.1, one document. */
    XPORTA_DIALECT_STANDARD = 0,
    /* Prosody 0.12's migrator layout: a directory with one complete document
     * per user named USER@HOST.xml, pending subscriptions in jabber:client,
     * an <items/> for every configured PEP node. */
    XPORTA_DIALECT_PROSODY,
    /* ejabberd 23.01's import_piefxis: a main file including one file per
     * host, SCRAM values base64-encoded twice, the blocklist as the
     * "Blocked contacts" privacy list. */
    XPORTA_DIALECT_EJABBERD,
} xporta_dialect;

XPORTA_API const char *xporta_dialect_name(xporta_dialect d);
XPORTA_API xporta_status xporta_dialect_from_name(const char *name,
                                                  xporta_dialect *out);

/* Flags for xporta_pie_writer_open. */
enum {
    /* `path` is a directory to create; the standard dialect then uses the
     * XInclude layout of XEP-0227 §5 (server-data.xml, HOST.xml,
     * HOST/USER.xml). */
    XPORTA_PIE_SPLIT = 1u << 0,
    /* No line breaks or indentation between elements. */
    XPORTA_PIE_COMPACT = 1u << 1,
    /* Replace files that exist beside `path` (the ejabberd dialect's
     * PATH_HOST.xml); without it they are an error.  (`path` itself is
     * the caller's to check.) */
    XPORTA_PIE_REPLACE = 1u << 2,
};

typedef struct xporta_pie_writer xporta_pie_writer;

/* Nothing appears under `path` until xporta_pie_writer_commit(): output goes
 * to temporary names (a directory output to a temporary sibling directory)
 * and is fsynced and renamed at commit.  Files holding credentials are
 * mode 0600.  A directory output must not exist or be empty. */
XPORTA_API xporta_status xporta_pie_writer_open(xporta_pie_writer **out,
                                                const char *path,
                                                xporta_dialect dialect,
                                                unsigned flags);
/* Notes about dialect conversions (credentials left out for ejabberd, the
 * blocklist turned into a privacy list, ...). */
XPORTA_API void xporta_pie_writer_set_diag(xporta_pie_writer *w,
                                           xporta_diag_cb cb, void *userdata);
XPORTA_API xporta_status xporta_pie_writer_begin_host(xporta_pie_writer *w,
                                                      const char *jid);
/* `user` (may be NULL) supplies extra attributes to keep; `name` wins. */
XPORTA_API xporta_status xporta_pie_writer_begin_user(xporta_pie_writer *w,
                                                      const char *name,
                                                      const xporta_elem *user);
XPORTA_API xporta_status xporta_pie_writer_write(xporta_pie_writer *w,
                                                 const xporta_record *rec);
/* An unknown element outside any user (XPORTA_PIE_EXTRA). */
XPORTA_API xporta_status xporta_pie_writer_write_extra(xporta_pie_writer *w,
                                                       const xporta_elem *e);
XPORTA_API xporta_status xporta_pie_writer_end_user(xporta_pie_writer *w);
XPORTA_API xporta_status xporta_pie_writer_end_host(xporta_pie_writer *w);
/* XEP-0519 components, after the hosts: <component jid type> holding one
 * <item name> per room, whose records (kinds ROOM_*, VCARD, ARCHIVE, OTHER)
 * go through xporta_pie_writer_write_room; xporta_pie_writer_write_extra
 * inside a component and outside a room writes an unknown child of it.
 * Prosody's dialect (one document per user) and ejabberd's (whose
 * import_piefxis stops at an unknown element between hosts) have no place
 * for them: a component is left out there, with a warning, and its calls
 * succeed without writing anything. */
XPORTA_API xporta_status xporta_pie_writer_begin_component(xporta_pie_writer *w,
                                                           const char *jid,
                                                           const char *type);
/* `item` (may be NULL) supplies extra attributes to keep; `name` wins. */
XPORTA_API xporta_status xporta_pie_writer_begin_room(xporta_pie_writer *w,
                                                      const char *name,
                                                      const xporta_elem *item);
XPORTA_API xporta_status xporta_pie_writer_write_room(xporta_pie_writer *w,
                                                      const xporta_record *rec);
XPORTA_API xporta_status xporta_pie_writer_end_room(xporta_pie_writer *w);
XPORTA_API xporta_status xporta_pie_writer_end_component(xporta_pie_writer *w);
XPORTA_API xporta_status xporta_pie_writer_commit(xporta_pie_writer *w);
XPORTA_API const char *xporta_pie_writer_error(const xporta_pie_writer *w);
/* Total bytes written so far. */
XPORTA_API uint64_t xporta_pie_writer_bytes(const xporta_pie_writer *w);
/* Without a commit, removes everything that was written. */
XPORTA_API void xporta_pie_writer_free(xporta_pie_writer *w);
/* For a second thread writing the second half of an input (convert on two
 * cores): a writer that continues `w` from where w will be between two
 * users of `host` (the output's name), into temporary parts of its own.
 * Nothing it writes is in the output unless joined; freed without a join,
 * it removes what it wrote.  It cannot be committed. */
XPORTA_API xporta_status xporta_pie_writer_fork(xporta_pie_writer *w,
                                                const char *host,
                                                xporta_pie_writer **out);
/* Whether `w` is now where `second` began, and what second wrote cannot
 * clash with what w wrote (a user written twice, a host file twice). */
XPORTA_API bool xporta_pie_writer_can_join(const xporta_pie_writer *w,
                                           const xporta_pie_writer *second);
/* Appends what `second` wrote to `w`'s output and takes over where second
 * stands; `second` is then only to be freed.  An error is w's. */
XPORTA_API xporta_status xporta_pie_writer_join(xporta_pie_writer *w,
                                                xporta_pie_writer *second);
/* While `second` still writes (on its thread): appends to `w`'s output
 * what second has written so far of what the join will append, so that the
 * join has less left to do.  Anything done with `w` but the join undoes
 * it (the output is cut back).  Only reads what second publishes. */
XPORTA_API xporta_status xporta_pie_writer_join_ahead(
    xporta_pie_writer *w, const xporta_pie_writer *second);

/* ==== filter (the middle of `read -> filter -> write`) =================== */

typedef struct xporta_filter xporta_filter;

XPORTA_API xporta_status xporta_filter_new(xporta_filter **out);
/* Keeps only these users ("name@host" or "name" for any host); may be
 * called several times.  Without a call, every user is kept. */
XPORTA_API xporta_status xporta_filter_add_user(xporta_filter *f,
                                                const char *user);
XPORTA_API void xporta_filter_exclude_kinds(xporta_filter *f, uint32_t set);
/* Rewrites every JID of host `from` (the host itself, user@host and
 * user@host/resource) to host `to`: hosts, roster items, pending
 * subscriptions, blocklist, privacy items, archive and offline
 * to/from/by, PEP affiliations, subscriptions and publishers.  `to` must
 * be a valid domain; `from` need not be (renaming repairs an invalid
 * host), only not empty. */
XPORTA_API xporta_status xporta_filter_rename_host(xporta_filter *f,
                                                   const char *from,
                                                   const char *to);
/* Rewrites the JIDs of one account (`from`, user@host, with any resource)
 * to `to`, before host renames apply.  For moving one user: contacts on the
 * old host stay where they are. */
XPORTA_API xporta_status xporta_filter_rename_account(xporta_filter *f,
                                                      const char *from,
                                                      const char *to);
/* The name a component (XEP-0519, `jid`) gets in the output: a rename of
 * its own, else, when it is a subdomain of a renamed host (conference.OLD
 * with OLD renamed to NEW), the same subdomain of the new name (written to
 * buf; NULL when it does not fit), else `jid`. */
XPORTA_API const char *xporta_filter_component(const xporta_filter *f,
                                               const char *jid, char *buf,
                                               size_t cap);
/* Renames a component as xporta_filter_component names it, from now on for
 * every JID of it in the records too (room@component/nick), as if it had
 * been given as a host rename; *to receives the new name (valid while f
 * lives).  Nothing to do when it keeps its name. */
XPORTA_API xporta_status xporta_filter_rename_component(xporta_filter *f,
                                                        const char *jid,
                                                        const char **to);
/* Drops credentials (passwords and SCRAM secrets). */
XPORTA_API void xporta_filter_strip_secrets(xporta_filter *f, bool on);
/* The name the host gets in the output. */
XPORTA_API const char *xporta_filter_host(const xporta_filter *f,
                                          const char *host);
XPORTA_API bool xporta_filter_keep_user(const xporta_filter *f,
                                        const char *host, const char *user);
/* Applies kind exclusions and renames to one record in place; *keep says
 * whether to write it.  The rewritten strings live until the next call. */
XPORTA_API xporta_status xporta_filter_record(xporta_filter *f,
                                              xporta_record *rec, bool *keep);
/* Users named in add_user that were never seen (call at the end). */
XPORTA_API const char *xporta_filter_unseen_user(const xporta_filter *f,
                                                 size_t i);
/* A copy of the settings, for a second thread reading the same input
 * (convert on two cores); the users named in add_user start unseen. */
XPORTA_API xporta_status xporta_filter_copy(const xporta_filter *f,
                                            xporta_filter **out);
/* The users `from` saw count as seen by `f` too. */
XPORTA_API void xporta_filter_merge_seen(xporta_filter *f,
                                         const xporta_filter *from);
XPORTA_API const char *xporta_filter_error(const xporta_filter *f);
XPORTA_API void xporta_filter_free(xporta_filter *f);

/* ==== validation (`xporta check`) ======================================== */

typedef struct xporta_checker xporta_checker;

/* Validates a stream of reader events beyond what the reader needs to
 * proceed: JID shapes, SCRAM fields, duplicate users and items, PEP items
 * without a node configuration.  Problems go to `cb`. */
XPORTA_API xporta_status xporta_checker_new(xporta_checker **out,
                                            xporta_diag_cb cb, void *userdata);
XPORTA_API xporta_status xporta_checker_event(xporta_checker *c,
                                              xporta_pie_reader *r,
                                              xporta_pie_event ev);
/* Checks what `f` makes of the input rather than the input itself (what
 * `xporta convert` writes): hosts under the names xporta_filter_host gives
 * them.  Records are checked as they are when they reach
 * xporta_checker_event, so apply xporta_filter_record to them first.  `f`
 * must outlive the checker's use of it; NULL checks the input as read. */
XPORTA_API void xporta_checker_set_filter(xporta_checker *c,
                                          const xporta_filter *f);
XPORTA_API unsigned long xporta_checker_errors(const xporta_checker *c);
XPORTA_API unsigned long xporta_checker_warnings(const xporta_checker *c);
XPORTA_API void xporta_checker_free(xporta_checker *c);

/* A whole file, the way `xporta check` reads it: a reader (keep-going, so
 * that unreadable XIncludes are reported and skipped) and a checker, with
 * the reader's own diagnostics counted too.  Diagnostics and progress are
 * delivered in file order, on the calling thread.
 *
 * On a large regular file (split_min_bytes, 64 MiB by default) and when
 * `threads` allows it, a second thread checks the second half, from the
 * first <user> past the middle; the result is the same as with one thread
 * (the halves are proved to meet exactly at that <user>, and when they
 * cannot be, the first thread reads on alone). */
typedef struct {
    xporta_diag_cb diag;
    void *diag_userdata;
    /* Bytes of the file read so far, now and then. */
    void (*progress)(uint64_t done, void *userdata);
    void *progress_userdata;
    unsigned threads;         /* 0: 2 on a machine with several cores */
    uint64_t split_min_bytes; /* 0: 64 MiB */
    uint64_t split_from;      /* where to seek the split; 0: the middle */
} xporta_check_options;

typedef struct {
    unsigned long hosts, users, records;
    unsigned long errors, warnings, notes; /* diagnostics delivered */
    /* Reading stopped early: the status and "FILE:LINE:COL: message", and
     * the same in parts (line 0 when the error has no place). */
    xporta_status fatal;
    char fatal_msg[1024];
    char fatal_file[1024];
    unsigned long fatal_line, fatal_col;
    char fatal_text[1024];
    unsigned threads; /* 2 when the halves were checked apart */
    /* XEP-0519 components and their rooms (their records are in records);
     * the second half of a split file gives up at a component, so a file
     * with components is read by one thread from there on. */
    unsigned long components, rooms;
} xporta_check_result;

/* XPORTA_ENOTFOUND or XPORTA_EIO when the file cannot be opened, else
 * XPORTA_OK with *res filled in (res->fatal tells whether it was read to
 * the end). */
XPORTA_API xporta_status xporta_check_file(const char *path,
                                           const xporta_check_options *opt,
                                           xporta_check_result *res);

/* ==== one file on one core or two (check, stats, convert) ================ */

/* A pass reads one file through a reader and a checker, the way
 * xporta_check_file() does, for a caller that does more with the events
 * (stats counts them, convert writes them): its loop calls
 * xporta_pass_next() where it would call xporta_pie_reader_next().
 *
 * On a large file (as xporta_check_file decides) a second thread reads the
 * second half, from a <user> near the middle, with a second copy of the
 * caller's state that `fork` makes, running the caller's own loop (`run`).
 * Whatever that half delivers (diagnostics, and marks the caller places
 * among them) is held back.  When the first half reaches the split point,
 * its parser proves that the halves meet exactly there, the caller's
 * `can_join` says whether its first state is now what the second started
 * from, and then the held items are delivered in order, `join` hands the
 * second state's results to the first, and xporta_pass_next() returns
 * XPORTA_PIE_END: the caller's loop never sees the difference.  Otherwise
 * the second half's work is thrown away (`drop`) and the first thread reads
 * on alone.  Either way the caller sees what one thread would have seen. */
typedef struct xporta_pass xporta_pass;

typedef struct {
    /* State for a second half that starts between two users of `host`
     * (as the file names it), reading through `second`; NULL declines.
     * Called on the calling thread before anything is read. */
    void *(*fork)(void *first, const char *host, xporta_pass *second);
    /* Reads the second half on its own thread: xporta_pass_next() until
     * XPORTA_PIE_END.  Nonzero when it stopped before that (an error, or
     * something a second half cannot do): the first thread reads on. */
    int (*run)(void *second);
    /* Whether `first`, at the split point, is in the state `second`
     * started from.  Must change nothing. */
    bool (*can_join)(const void *first, const void *second);
    /* A mark of the second half (xporta_pass_mark), in its place. */
    void (*replay)(void *first, void *second, uint64_t mark);
    /* `first` takes over what `second` did; then `drop` frees it. */
    void (*join)(void *first, void *second);
    /* Frees a second state: after `join`, or unused (undoing its work). */
    void (*drop)(void *second);
    /* May be NULL.  Called now and then on the first half's thread once it
     * has reached the split point, while the second half still runs (and
     * once more when it has ended): work the join can do ahead, reading only
     * what the second half publishes for it; anything `first` does next
     * but the join must undo it. */
    void (*wait)(void *first, void *second);
    /* May be NULL.  A record, before the checker sees it, on the half's
     * thread with the half's state (`first` or what fork made): false
     * leaves it unchecked (a caller that checks only what it writes filters
     * records here, and keeps the outcome for its loop). */
    bool (*record)(void *state, xporta_record *rec);
} xporta_pass_ops;

typedef struct {
    /* Delivery of the reader's and checker's diagnostics and of
     * xporta_pass_diag()'s, progress, threads and where to split: as for
     * xporta_check_file. */
    xporta_check_options check;
    bool keep_going; /* xporta_pie_reader_set_keep_going */
    /* When set, the checker's diagnostics go here instead, at once, on the
     * half's own thread, with the half's state as userdata (`first`, or
     * what fork made). */
    xporta_diag_cb check_diag;
    /* NULL: the second half is only checked (xporta_check_file). */
    const xporta_pass_ops *ops;
    /* May be NULL: hosts are checked as it renames them (as
     * xporta_checker_set_filter); only its renames are read. */
    const xporta_filter *filter;
} xporta_pass_options;

/* Opens `path` (statuses as xporta_pie_reader_open) and, when it splits,
 * starts the second thread; *out is the first half. */
XPORTA_API xporta_status xporta_pass_open(xporta_pass **out, const char *path,
                                          const xporta_pass_options *opt,
                                          void *first);
/* xporta_pie_reader_next() and the checker.  On the first half, the end of
 * the file may come from the second half's reader (joined): the reader's
 * accessors are then not to be used. */
XPORTA_API xporta_status xporta_pass_next(xporta_pass *p, xporta_pie_event *ev);
XPORTA_API xporta_pie_reader *xporta_pass_reader(const xporta_pass *p);
/* True for the second half: what it does must wait (xporta_pass_diag,
 * xporta_pass_mark) or be undone by `drop`. */
XPORTA_API bool xporta_pass_is_second(const xporta_pass *p);
/* Delivers a diagnostic now (first half) or in its place (second half;
 * a position in the file is renumbered). */
XPORTA_API void xporta_pass_diag(xporta_pass *p, const xporta_diag *d);
/* Second half: `replay` gets `mark` at this place.  With `extend`, when
 * nothing was held since the previous mark, that one takes the new value
 * instead (for marks that only grow, such as the length of held text). */
XPORTA_API void xporta_pass_mark(xporta_pass *p, uint64_t mark, bool extend);
/* Counts, diagnostics delivered, the error that stopped reading, threads. */
XPORTA_API void xporta_pass_result(const xporta_pass *p,
                                   xporta_check_result *res);
/* The first half: stops the second (if running) and frees both. */
XPORTA_API void xporta_pass_free(xporta_pass *p);

/* ==== comparing records (`xporta diff`, verify) =========================== */

/* Records compare by identity (kind, key, id) and by what "the same data"
 * means for their kind: a roster item's name and groups (not the
 * subscription), a PEP node's access model, a PEP item's payload (not its
 * publisher), a message without server annotations (stanza-id); the
 * account's own JID (`owner`) reads the same on both sides. */
typedef struct xporta_diff xporta_diff;
typedef enum xporta_diff_delta {
    XPORTA_DIFF_ONLY_A = 1,
    XPORTA_DIFF_ONLY_B,
    XPORTA_DIFF_DIFFERS,
} xporta_diff_delta;
/* key and id are NULL for archived messages only in A (not kept). */
typedef void (*xporta_diff_cb)(void *userdata, xporta_diff_delta delta,
                               xporta_kind kind, const char *key,
                               const char *id);
typedef struct xporta_diff_counts {
    uint64_t same, differ, only_a, only_b;
} xporta_diff_counts;

XPORTA_API xporta_status xporta_diff_new(xporta_diff **out, xporta_diff_cb cb,
                                         void *userdata);
/* Every record of side A first, then side B.  `scope` keeps users of
 * multi-user files apart ("" for one account against another); `owner` is
 * the account's bare JID. */
XPORTA_API xporta_status xporta_diff_add_a(xporta_diff *d, const char *scope,
                                           const xporta_record *rec,
                                           const char *owner);
XPORTA_API xporta_status xporta_diff_add_b(xporta_diff *d, const char *scope,
                                           const xporta_record *rec,
                                           const char *owner);
/* Reports what was only in A; then the counts are final. */
XPORTA_API void xporta_diff_finish(xporta_diff *d);
XPORTA_API void xporta_diff_get_counts(const xporta_diff *d, xporta_kind k,
                                       xporta_diff_counts *out);
XPORTA_API void xporta_diff_free(xporta_diff *d);

/* ==== live accounts ======================================================= */

/* How to reach and log in to an account.  Certificates are verified unless
 * xporta_account_set_insecure() says otherwise. */
typedef struct xporta_account xporta_account;

/* `jid` is user@domain (a resource is ignored). */
XPORTA_API xporta_status xporta_account_new(xporta_account **out,
                                            const char *jid);
/* Copied; wiped from memory when the account is freed. */
XPORTA_API xporta_status xporta_account_set_password(xporta_account *a,
                                                     const char *password);
/* Connect to host:port instead of resolving the domain (port 0: 5222). */
XPORTA_API xporta_status xporta_account_set_server(xporta_account *a,
                                                   const char *host,
                                                   unsigned short port);
/* Trust this CA certificate (PEM file) in addition to the system's. */
XPORTA_API xporta_status xporta_account_set_cafile(xporta_account *a,
                                                   const char *path);
/* Skip certificate verification.  For tests and emergencies only. */
XPORTA_API void xporta_account_set_insecure(xporta_account *a, bool insecure);
XPORTA_API const char *xporta_account_jid(const xporta_account *a);
XPORTA_API void xporta_account_free(xporta_account *a);

/* ==== jobs ==================================================================
 */

/* Long work (export, and later import, migrate, announce) is a job: set it
 * up, run it, read its summary.  A job interrupted by cancel, a signal, a
 * crash or a lost connection resumes when it is run again with the same
 * arguments. */
typedef struct xporta_job xporta_job;

typedef struct xporta_progress {
    const char *step;    /* "export", "import" (migrate runs both) */
    const char *phase;   /* "connect", "discover", a kind name, "read",
                            "target", "plan", "write", "verify", "done" */
    xporta_kind kind;    /* the kind, or XPORTA_KIND_COUNT */
    uint64_t done;       /* items so far in this phase */
    uint64_t total;      /* 0 when unknown */
    double fraction;     /* 0..1 when it can be estimated, else -1 */
    double rate;         /* items per second in this phase */
    double elapsed;      /* seconds since the job started */
    const char *message; /* a line for people, or NULL */
} xporta_progress;

typedef void (*xporta_progress_cb)(const xporta_progress *p, void *userdata);

/* Exports a live account into a standard XEP-0227 file at `path`: every
 * kind a client can read (roster, pending subscription requests, vCard,
 * private XML, privacy lists, blocklist, PEP nodes with configuration,
 * affiliations and items, MAM preferences and the whole MAM archive).
 * Nothing appears at `path` until the export is complete; meanwhile it
 * is built in PATH.part, and an interrupted export run again resumes from
 * the last archive page written.  The account is borrowed. */
XPORTA_API xporta_status xporta_export_new(xporta_job **out,
                                           xporta_account *account,
                                           const char *path);
/* Which kinds to include (bit set of 1u << kind; default all). */
XPORTA_API void xporta_job_set_kinds(xporta_job *j, uint32_t kinds);
/* Also probe this private XML namespace ("ns" or "{ns}name"). */
XPORTA_API xporta_status xporta_job_add_private_ns(xporta_job *j,
                                                   const char *ns);
/* Only archived messages from `since` to `until` (XEP-0082 date-times,
 * either may be NULL). */
XPORTA_API xporta_status xporta_job_set_range(xporta_job *j, const char *since,
                                              const char *until);
/* Archive queries in flight at once (1..16, default 4). */
XPORTA_API void xporta_job_set_parallel(xporta_job *j, unsigned n);
XPORTA_API void xporta_job_set_progress(xporta_job *j, xporta_progress_cb cb,
                                        void *userdata);
/* Runs to the end.  XPORTA_ECANCELED after xporta_job_cancel(); the
 * detail is in xporta_job_error(). */
XPORTA_API xporta_status xporta_job_run(xporta_job *j);
/* Asks a running job to stop at the next safe point.  Async-signal-safe. */
XPORTA_API void xporta_job_cancel(xporta_job *j);
XPORTA_API const char *xporta_job_error(const xporta_job *j);

/* ---- import and migrate ----------------------------------------------------
 *
 * Import puts one user's records from a XEP-0227 file into a live account;
 * migrate exports a live account and imports it into another in one job.
 * Both plan first: they read the target, compare it with the source record
 * by record (as xporta_diff does) and decide an action per record:
 *   ADD       the target lacks it: written;
 *   SAME      the target has the same data: nothing to do;
 *   CONFLICT  the target has other data under the same key: kept as it is
 *             (XPORTA_CONFLICT_KEEP, the default) or replaced;
 *   SKIP      left out on purpose (OMEMO and moved:1 PEP nodes belong to
 *             the old account's devices and identity; a privacy list's
 *             "active" marker belongs to a session);
 * and kinds a client cannot restore (credentials, pending requests, PEP
 * subscriptions, offline messages, the archive, unknown elements) are
 * counted and stay in the file for a server-side import.  Nothing on the
 * target that the source does not mention is ever deleted or changed.
 * A dry run stops after the plan.  Otherwise the writes are pipelined, each
 * is journaled once the server confirmed it, and a job interrupted at any
 * point resumes from its journal when run again with the same arguments.
 * Afterwards the target is read back and compared with the source
 * (verify). */
typedef enum xporta_conflict {
    XPORTA_CONFLICT_KEEP = 0,
    XPORTA_CONFLICT_REPLACE,
} xporta_conflict;

typedef enum xporta_action {
    XPORTA_ACTION_ADD = 1,
    XPORTA_ACTION_REPLACE, /* a conflict resolved in the source's favour */
    XPORTA_ACTION_SAME,
    XPORTA_ACTION_CONFLICT, /* kept as the target has it */
    XPORTA_ACTION_SKIP,
    XPORTA_ACTION_FAILED,  /* the server refused the write: `why` says why */
    XPORTA_ACTION_MISSING, /* verify: not on the target afterwards */
    XPORTA_ACTION_DIFFERS, /* verify: on the target, with other data */
} xporta_action;

/* Called for each planned action (the plan, for dry runs and reports), each
 * refused write, and each problem verify finds.  `id` is the PEP item id or
 * NULL; `why` a short explanation or NULL.  Valid during the call only. */
typedef void (*xporta_action_cb)(void *userdata, xporta_action action,
                                 xporta_kind kind, const char *key,
                                 const char *id, const char *why);

/* Per kind, after xporta_job_run(). */
typedef struct xporta_import_counts {
    uint64_t source; /* records of the kind in the source */
    uint64_t add, replace, same, conflict, skip; /* the plan */
    uint64_t not_restorable; /* records a client cannot write */
    uint64_t written;        /* confirmed by the server (this run and the
                                interrupted ones before it) */
    uint64_t failed;         /* refused by the server */
    /* verify */
    uint64_t verified;    /* on the target as in the source */
    uint64_t kept;        /* different on purpose (conflicts kept) */
    uint64_t missing;     /* not on the target */
    uint64_t differs;     /* on the target, unexpectedly different */
    uint64_t target_only; /* the target's own records, left alone */
} xporta_import_counts;

/* Imports the records of one user of the file at `path` into `target`
 * (borrowed).  The user's own JID is rewritten to the target's wherever it
 * appears; contacts keep theirs. */
XPORTA_API xporta_status xporta_import_new(xporta_job **out, const char *path,
                                           xporta_account *target);
/* Copies `from` into `to` (both borrowed): export, import, verify. */
XPORTA_API xporta_status xporta_migrate_new(xporta_job **out,
                                            xporta_account *from,
                                            xporta_account *to);
/* Import: which user of a file holding several (user@host). */
XPORTA_API xporta_status xporta_job_set_user(xporta_job *j, const char *jid);
/* Import: also rewrite the JIDs of host `from` to host `to` (for moving a
 * whole server, where the contacts move too). */
XPORTA_API xporta_status xporta_job_rename_host(xporta_job *j, const char *from,
                                                const char *to);
/* Migrate: keep the export as a XEP-0227 file at `path` (every kind, the
 * archive included) instead of a temporary one.  An existing file is an
 * error unless `replace` (or it is this job's own, from an interrupted
 * run). */
XPORTA_API xporta_status xporta_job_set_backup(xporta_job *j, const char *path,
                                               bool replace);
/* Reads a live account as records, as export would but without the
 * archive and the pending requests (which change the account's state: an
 * export reads them), into `cb`; for comparing an account with a file
 * (xporta diff).  Records are valid during the call; a non-OK return stops
 * the job with that status. */
typedef xporta_status (*xporta_record_cb)(void *userdata,
                                          const xporta_record *rec);
XPORTA_API xporta_status xporta_read_new(xporta_job **out,
                                         xporta_account *account,
                                         xporta_record_cb cb, void *userdata);
/* Plan only: read both sides, report the actions, change nothing. */
XPORTA_API void xporta_job_set_dry_run(xporta_job *j, bool on);
XPORTA_API void xporta_job_set_on_conflict(xporta_job *j, xporta_conflict c);
enum {
    XPORTA_INCLUDE_OMEMO = 1u << 0, /* OMEMO device lists and bundles */
    XPORTA_INCLUDE_MOVED = 1u << 1, /* the urn:xmpp:moved:1 node */
};
XPORTA_API void xporta_job_set_include(xporta_job *j, unsigned flags);
/* Where the job keeps its journal (default: a directory under
 * $XDG_STATE_HOME/xporta/jobs named after the job's arguments). */
XPORTA_API xporta_status xporta_job_set_state_dir(xporta_job *j,
                                                  const char *dir);
/* The state directory in use (after run; NULL for a dry run). */
XPORTA_API const char *xporta_job_state_dir(const xporta_job *j);
/* Skip the read-back at the end (default: verify). */
XPORTA_API void xporta_job_set_verify(xporta_job *j, bool on);
XPORTA_API void xporta_job_set_action_cb(xporta_job *j, xporta_action_cb cb,
                                         void *userdata);
XPORTA_API void xporta_job_import_counts(const xporta_job *j, xporta_kind k,
                                         xporta_import_counts *out);
/* True when verify ran and found every written or unchanged record on the
 * target as planned. */
XPORTA_API bool xporta_job_verified(const xporta_job *j);

/* ---- whole servers --------------------------------------------------------
 *
 * A server's own storage, read and written directly: every account, with
 * what no client can reach (the archive with its ids, passwords, pending
 * subscription requests, offline messages).  A store is named by an
 * address "SCHEME:WHERE": "prosody:/var/lib/prosody" is Prosody's internal
 * storage; a XEP-0227 file is named by its path (or "file:PATH").
 * xporta_store_scheme() lists the schemes. */

/* The i-th kind of store (from 0): its scheme, a line for --help in
 * *summary, and whether it is a server's storage (*server); NULL past the
 * last. */
XPORTA_API const char *xporta_store_scheme(size_t i, const char **summary,
                                           bool *server);
/* Every account of `source` (a server's storage or a XEP-0227 file, any
 * dialect) into the server storage `target`: merged with what is there,
 * never deleting; each account committed as a unit, journaled, resumable
 * and idempotent; refused while the target's server runs. */
XPORTA_API xporta_status xporta_server_import_new(xporta_job **out,
                                                  const char *source,
                                                  const char *target);
/* Every account of the server storage `source` into a new XEP-0227 file
 * (`path`, written to a temporary name and renamed when complete). */
XPORTA_API xporta_status xporta_server_export_new(xporta_job **out,
                                                  const char *source,
                                                  const char *path,
                                                  xporta_dialect dialect);
/* Server import and export: only these accounts ("user@host", or "user"
 * on any host); may be called several times. */
XPORTA_API xporta_status xporta_job_add_user(xporta_job *j, const char *user);
/* Server import and export: the XMPP domain of a source that does not
 * record it (an ejabberd SQL database in the default schema holds one
 * domain); with ejabberd's new_sql_schema, only that domain is read. */
XPORTA_API xporta_status xporta_job_set_domain(xporta_job *j,
                                               const char *domain);
/* Server import and export: leave passwords and SCRAM secrets out. */
XPORTA_API void xporta_job_set_strip_secrets(xporta_job *j, bool on);
/* Server import: called when an account is done (`status` OK, with its
 * counts) or dropped (`why`: what could not be read, where). */
typedef void (*xporta_account_cb)(void *userdata, const char *jid,
                                  xporta_status status, const char *why,
                                  const xporta_import_counts *counts);
XPORTA_API void xporta_job_set_account_cb(xporta_job *j, xporta_account_cb cb,
                                          void *userdata);
/* Server import and export, after run: accounts copied, dropped, and (of
 * the copied) done by an earlier, interrupted run. */
XPORTA_API void xporta_job_accounts(const xporta_job *j, uint64_t *copied,
                                    uint64_t *failed, uint64_t *done_before);
/* Server import and export, after run: the rooms of the MUC services
 * (XEP-0519 components) copied, dropped, done by an earlier run. */
XPORTA_API void xporta_job_server_rooms(const xporta_job *j, uint64_t *copied,
                                        uint64_t *failed,
                                        uint64_t *done_before);

/* ---- XEP-0283 Moved ------------------------------------------------------
 *
 * Announce: the old account publishes where it moved (a PEP statement,
 * node urn:xmpp:moved:1), then the new account asks each old contact for a
 * subscription, with the <moved/> notice where the contact had approved the
 * old address, so that their server or client can verify and follow.
 * Each contact is asked at most once, across interruptions and reruns.
 * Follow: the contact's side; a request from a new address is approved
 * only after the old address's statement confirms it. */
typedef enum xporta_contact_outcome {
    XPORTA_CONTACT_MOVED = 1, /* asked with the moved notice */
    XPORTA_CONTACT_ASKED,     /* asked without it */
    XPORTA_CONTACT_ALREADY,   /* the new address has the subscription */
    XPORTA_CONTACT_SKIPPED,   /* nothing to ask (no subscription either way) */
    XPORTA_CONTACT_EARLIER,   /* asked by an earlier run */
    XPORTA_CONTACT_BOUNCED,   /* the request came back with an error */
    XPORTA_CONTACT_FOLLOWED,  /* follow: a verified move, approved */
    XPORTA_CONTACT_LEFT,      /* follow: not verified, left for the user */
    XPORTA_CONTACT_AGAIN,     /* asked again after a rate-limit bounce */
    XPORTA_CONTACT_APPROVED,  /* announce: their request to follow the new
                                 address approved (they followed the old) */
} xporta_contact_outcome;
typedef void (*xporta_contact_cb)(void *userdata, const char *jid,
                                  xporta_contact_outcome outcome,
                                  const char *why);
typedef struct xporta_moved_counts {
    uint64_t moved, asked, already, skipped, earlier, bounced;
    uint64_t approved;
    uint64_t followed, left;
} xporta_moved_counts;

/* Announces the move of `old` to `new_` (both borrowed). */
XPORTA_API xporta_status xporta_announce_new(xporta_job **out,
                                             xporta_account *old,
                                             xporta_account *new_);
/* Migrate: announce after a verified import. */
XPORTA_API void xporta_job_set_announce(xporta_job *j, bool on);
/* Who may read the moved statement.  XEP-0283 advises the presence access
 * model so that only contacts learn the new address; but the contacts who
 * verify a move are those who had approved the old address, and with
 * "presence" the ones not also followed back cannot read it (measured:
 * ejabberd 23.01 not-authorized, Prosody 0.12 forbidden).  CONTACTS (the
 * default) makes exactly them members of a whitelist node. */
typedef enum xporta_moved_access {
    XPORTA_MOVED_CONTACTS = 0, /* whitelist: the contacts who verify */
    XPORTA_MOVED_PRESENCE,     /* presence, those contacts as members */
    XPORTA_MOVED_OPEN,         /* anyone (servers that verify moves
                                  themselves, e.g. Prosody's mod_auto_moved) */
} xporta_moved_access;
XPORTA_API void xporta_job_set_moved_access(xporta_job *j,
                                            xporta_moved_access access);
/* Subscription stanzas per minute (default 30; after a bounce for sending
 * too fast, 4). */
XPORTA_API void xporta_job_set_rate(xporta_job *j, unsigned per_minute);
XPORTA_API void xporta_job_set_contact_cb(xporta_job *j, xporta_contact_cb cb,
                                          void *userdata);
XPORTA_API void xporta_job_moved_counts(const xporta_job *j,
                                        xporta_moved_counts *out);
/* Follows verified moves of `account`'s contacts (borrowed). */
XPORTA_API xporta_status xporta_follow_new(xporta_job **out,
                                           xporta_account *account);
/* Follow: keep running and handle requests as they arrive, until
 * xporta_job_cancel(). */
XPORTA_API void xporta_job_set_watch(xporta_job *j, bool on);
/* Follow: remove the old address from the roster once followed. */
XPORTA_API void xporta_job_set_remove_old(xporta_job *j, bool on);

/* ---- group chats (XEP-0045) ------------------------------------------------
 *
 * Rooms follow the user: the old account finds the rooms it belongs to
 * (its bookmarks, XEP-0402 and XEP-0048; the rooms its server's MUC
 * services list; rooms named by the caller), reads each room's owner,
 * admin, member and outcast lists as far as the room lets it, and where
 * the old address is owner or admin it grants the new address the same
 * affiliation (an admin who may not make admins makes it a member).  Where
 * it is only a member, the room is reported with its owners' addresses
 * (and, if asked, the old account sends each owner a short message).
 * Nothing else changes: no ban is lifted, nobody loses an affiliation.
 * Only the old account logs in; the new address is only named.  Grants
 * are journaled: one that an owner removed afterwards is not made again,
 * and no owner is messaged twice. */
typedef enum xporta_room_outcome {
    XPORTA_ROOM_GRANTED = 1, /* the new address has the old one's
                                affiliation now */
    XPORTA_ROOM_PARTIAL,     /* only membership: an admin may not make
                                admins (why names the owners to ask) */
    XPORTA_ROOM_ALREADY,     /* the new address already had it */
    XPORTA_ROOM_ASK,         /* the old address cannot grant: ask the
                                owners (in `owners`, when known) */
    XPORTA_ROOM_NOTIFIED,    /* like ASK, and the owners were messaged */
    XPORTA_ROOM_REFUSED,     /* the room refused the grant (why) */
    XPORTA_ROOM_NONE,        /* no affiliation to carry (or banned) */
    XPORTA_ROOM_UNREACHABLE, /* the room could not be read (why) */
    XPORTA_ROOM_PLANNED,     /* dry run: would be granted */
    XPORTA_ROOM_EARLIER,     /* granted by an earlier run and since
                                removed by someone: left so */
} xporta_room_outcome;
/* One call per room looked at.  `affiliation` is the old address's
 * ("owner", "admin", "member", "outcast", "none", or "unknown" when the
 * room does not show it); `owners` a comma-separated list or NULL. */
typedef void (*xporta_room_cb)(void *userdata, const char *room,
                               const char *affiliation,
                               xporta_room_outcome outcome, const char *owners,
                               const char *why);
typedef struct xporta_room_counts {
    uint64_t rooms; /* looked at */
    uint64_t granted, partial, already, ask, notified, refused, none,
        unreachable, planned, earlier;
    uint64_t services;   /* MUC services of the old server listed */
    uint64_t not_looked; /* rooms past the ceiling of one run (2,000):
                            name the ones that matter with add_room */
    uint64_t room_archives, room_messages; /* export: histories written */
} xporta_room_counts;
/* Carries `old`'s room affiliations to `new_` (both borrowed; only `old`
 * needs a password). */
XPORTA_API xporta_status xporta_rooms_new(xporta_job **out, xporta_account *old,
                                          xporta_account *new_);
/* Migrate: carry the room affiliations after a verified import (default
 * on).  Export: also write the rooms the user is in (bookmarked or added
 * with xporta_job_add_room) as XEP-0519 components: their history where
 * the room offers MAM, and the configuration and affiliation lists as far
 * as the room shows them to the account (default off). */
XPORTA_API void xporta_job_set_rooms(xporta_job *j, bool on);
/* Rooms and migrate: also look at this room (a bare room JID; may be
 * called several times), e.g. a hidden room nobody bookmarked. */
XPORTA_API xporta_status xporta_job_add_room(xporta_job *j, const char *room);
/* Rooms and migrate: message the owners of rooms where the old address
 * cannot grant (default off). */
XPORTA_API void xporta_job_set_notify_owners(xporta_job *j, bool on);
XPORTA_API void xporta_job_set_room_cb(xporta_job *j, xporta_room_cb cb,
                                       void *userdata);
XPORTA_API void xporta_job_room_counts(const xporta_job *j,
                                       xporta_room_counts *out);

/* ---- moving a room ---------------------------------------------------------
 *
 * A room the old account owns, recreated by the new account: the same
 * configuration (the owner form, field by field; fields and values the
 * new service does not offer are reported), the same affiliations (the
 * old address, and any mapped with xporta_job_map_jid, replaced by their
 * new ones; members' reserved nicks kept where the server keeps them) and
 * the subject.  The new room must not exist yet.  Optionally the old room
 * is destroyed with the new one as its alternate venue, so that clients
 * in it follow.  A client cannot write a room's history: a server-side
 * import does.  Journaled: run again, it goes on where it stopped. */
XPORTA_API xporta_status xporta_room_move_new(xporta_job **out,
                                              xporta_account *old,
                                              xporta_account *new_,
                                              const char *old_room,
                                              const char *new_room);
/* Room move: destroy the old room once the new one is ready. */
XPORTA_API void xporta_job_set_destroy_old(xporta_job *j, bool on);
/* Room move: this member moved too (its affiliation goes to `to`). */
XPORTA_API xporta_status xporta_job_map_jid(xporta_job *j, const char *from,
                                            const char *to);
/* What the job did or would do, a line at a time: `what` is a word
 * ("read", "would", "not-offered", "REFUSED", "destroyed", "DIFFERS"). */
typedef void (*xporta_note_cb)(void *userdata, const char *what,
                               const char *detail);
XPORTA_API void xporta_job_set_note_cb(xporta_job *j, xporta_note_cb cb,
                                       void *userdata);
typedef struct xporta_room_move_counts {
    uint64_t fields;         /* configuration fields carried */
    uint64_t fields_skipped; /* not offered by the new service */
    uint64_t affiliations, affiliations_failed;
    uint64_t differs; /* found by the read-back */
    bool created, subject, destroyed;
} xporta_room_move_counts;
XPORTA_API void xporta_job_room_move_counts(const xporta_job *j,
                                            xporta_room_move_counts *out);

/* ---- readable history -----------------------------------------------------
 *
 * Writes the messages of the XEP-0227 file at `pie_path` (each user's
 * archive and offline messages, and the archives of the rooms of its
 * XEP-0519 components) as a static HTML archive in the directory `outdir`:
 * index.html (per account, the contacts with their counts and months),
 * aN/cM.html (a contact's months), aN/cM-YYYY-MM.html (one month, a heading
 * per day), search.html with its index in search/sN.js, history.css and
 * history.js.  It opens from disk in any browser, needs no network and
 * loads nothing but its own files (a Content-Security-Policy in every
 * page); message text is escaped, links open only on click.  The file is
 * read once, in bounded memory (messages are spooled per contact and
 * month inside the new directory).  Nothing appears at `outdir` until the
 * archive is complete: it is built in OUTDIR.tmp-XXXXXX and renamed; an
 * earlier history at `outdir` is replaced, anything else there refused
 * (XPORTA_ECONFLICT).  Progress: phase "read" (messages found), then
 * "write" (messages written, of the total). */
XPORTA_API xporta_status xporta_history_new(xporta_job **out,
                                            const char *pie_path,
                                            const char *outdir);
/* After xporta_job_run(): messages written, conversations (contacts and
 * rooms with messages) and month pages. */
XPORTA_API void xporta_job_history_counts(const xporta_job *j,
                                          uint64_t *messages,
                                          uint64_t *conversations,
                                          uint64_t *pages);

/* After run: what happened to each kind. */
typedef enum xporta_kind_state {
    XPORTA_STATE_NOT_ASKED = 0,  /* excluded by the caller */
    XPORTA_STATE_DONE,           /* copied (count may be 0) */
    XPORTA_STATE_UNAVAILABLE,    /* the server does not offer it */
    XPORTA_STATE_FAILED,         /* an error; see the note */
    XPORTA_STATE_NOT_RESTORABLE, /* import: a client cannot write it */
} xporta_kind_state;
XPORTA_API xporta_kind_state xporta_job_state(const xporta_job *j,
                                              xporta_kind k);
XPORTA_API uint64_t xporta_job_count(const xporta_job *j, xporta_kind k);
/* Why a kind is unavailable or failed, or other remarks; NULL if none. */
XPORTA_API const char *xporta_job_note(const xporta_job *j, xporta_kind k);
/* True when this run continued an interrupted one. */
XPORTA_API bool xporta_job_resumed(const xporta_job *j);

/* ---- events ----------------------------------------------------------------
 *
 * Every job can report what it does as a stream of JSON objects, one per
 * event: the CLI's --json and xporta serve's page read the same stream.
 * `line` is one object (no newline; NUL-terminated; valid UTF-8 always: a
 * byte that is not becomes U+FFFD), valid during the call only.  Calls come
 * on the thread running xporta_job_run(): "start" first, "summary" last,
 * whatever happens in between, for every job type.  The other callbacks
 * (progress, action, contact, room, note, account) keep being called as
 * well; the stream is an additional consumer.  Each object has "v":1 and
 * "event": start, progress, item, refused, account, contact, room, note,
 * summary; xporta(1), JSON EVENTS, documents every field.  Fields may be
 * added; none changes its meaning while "v" stays 1. */
typedef void (*xporta_event_cb)(void *userdata, const char *line, size_t len);
XPORTA_API void xporta_job_set_event_cb(xporta_job *j, xporta_event_cb cb,
                                        void *userdata);
XPORTA_API void xporta_job_free(xporta_job *j);

#ifdef __cplusplus
}
#endif
#endif
