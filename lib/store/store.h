/*
 * lib/store: where account data lives, behind one interface.
 *
 * Design note.  A store holds accounts' records, (kind, key, id, payload),
 * and a driver knows one kind of store: a XEP-0227 file, a live account
 * over the client protocol; next, the servers' own storage.  The copy
 * engine (lib/transfer) sees only this interface: it reads a source,
 * reads what the target holds, writes batches and waits for their
 * confirmation.  Adding a store is one file that fills a struct
 * store_driver and one line in the table of store.c.
 *
 * Every driver reports into the struct xp_run it was opened with (the
 * first error, cancel, progress, per-kind states and notes), so a status
 * a driver returns reaches the user unchanged with its detail.
 *
 * Writes are asynchronous: write() queues a record and returns; the
 * driver calls the `done` function given to write_begin() once the store
 * confirmed it (or refused it, with the reason), from inside write() or
 * poll().  A write the driver could not finish for a reason that stops
 * the whole job (a lost connection) sets run->err and is never confirmed:
 * the engine does not journal it, so the next run writes it again.
 */
#ifndef XPORTA_STORE_STORE_H
#define XPORTA_STORE_STORE_H

#include "../model/xp_model.h"

struct store;
struct store_driver;

/* Where records go when a store is read. */
struct store_sink {
    xporta_status (*record)(void *ud, xporta_record *rec);
    /* The account the following records belong to (user@host), before its
     * first record.  May be NULL. */
    xporta_status (*account)(void *ud, const char *jid);
    /* Stores of many accounts: the account's records are complete (`st`
     * OK), or it could not be read (`why`: where and why) and what came
     * of it must be dropped; the read goes on with the next account.  May
     * be NULL (a failed account then ends the read). */
    void (*account_end)(void *ud, const char *jid, xporta_status st,
                        const char *why);
    void *ud;
};

/* How a write ended: `ok`, or refused for `why` (the store's reason, for
 * the user). */
typedef void (*store_done_fn)(void *ud, xporta_kind kind, const char *key,
                              const char *id, bool ok, const char *why);

/* Options of store_open; each driver reads the ones that concern it. */
struct store_opts {
    /* file, as a source: the account to read (user@host or user; NULL:
     * the only one, an error when there are several). */
    const char *user;
    /* file, as a target: the one account written (user@host). */
    const char *account;
    /* ejabberd: the domain of a database in the default schema, which
     * does not record it (with new_sql_schema: only that domain). */
    const char *domain;
    unsigned file_flags; /* xporta_pie_writer flags, e.g. compact+private */
    /* live: how to log in */
    const char *password, *host, *cafile;
    unsigned short port;
    bool insecure;
    /* writes in flight at most (0: the driver's default) */
    unsigned window;
    /* the store is opened to be written (a server's storage then checks
     * that the server is not running) */
    bool target;
    /* ... beside its running server: only the archive and offline
     * messages of one account (store_history_refusal() said yes), not
     * refused for the server running, written so that the server's own
     * writes are never lost (prosody_fs_write.c: live_archive) */
    bool live;
};

/* What a store's quirks mean for the engine. */
enum {
    /* vCard-temp and the PEP vCard4/avatar are one (XEP-0398): a vCard
     * the target keeps keeps them too. */
    STORE_VCARD_LINKED = 1u << 0,
};

struct store_driver {
    const char *scheme;  /* addresses are "SCHEME:WHERE" */
    bool many;           /* a server's storage: many accounts, written one
                            by one (select, holds, flush below) */
    const char *summary; /* one line, for --help */
    /* Opens the store at `where` (a path, an account's JID, ...). */
    xporta_status (*open)(struct store **out, const char *where,
                          const struct store_opts *o, struct xp_run *run);
    void (*close)(struct store *s);
    /* What the driver knows without opening a store (a copy plans its
     * scan of the source before it opens the target):
     *  - the kinds that write() can store (the others stay in the source);
     *  - why kind `k` is not writable, for the user (may be NULL);
     *  - why a record it could take is better left out (NULL: write it;
     *    the function may be NULL). */
    uint32_t writable;
    const char *(*why_not)(xporta_kind k);
    const char *(*skip)(const xporta_record *rec);
    /* Streams the records of `kinds` (with the private XML namespaces
     * `private_ns` besides the ones the driver knows) to `sink`.  Kinds it
     * cannot read are reported in run->kind[] (UNAVAILABLE, FAILED). */
    xporta_status (*read)(struct store *s, uint32_t kinds,
                          const struct xp_strv *private_ns,
                          const struct store_sink *sink);
    /* Whether the last read could not read the data under (kind, key)
     * (a PEP node whose configuration or items the server refused): a plan
     * must not take it for empty.  May be NULL. */
    bool (*unreadable)(const struct store *s, xporta_kind kind,
                       const char *key);
    unsigned (*quirks)(const struct store *s); /* STORE_* */
    xporta_status (*write_begin)(struct store *s, store_done_fn done, void *ud);
    xporta_status (*write)(struct store *s, const xporta_record *rec,
                           bool replace);
    /* Runs for at most `ms` waiting for confirmations. */
    xporta_status (*poll)(struct store *s, unsigned ms);
    size_t (*pending)(const struct store *s); /* writes not yet confirmed */
    /* After the last write: a file is committed, notes are set. */
    xporta_status (*write_end)(struct store *s);
    /* Stores of many accounts (a server's storage); NULL for the others:
     *  - select: the account that read() and write_begin() .. write_end()
     *    concern from now on (NULL: read() reads every account, with
     *    account_end() after each); selecting drops the writes of an
     *    account not yet write_end()ed (the file driver has select for
     *    reading every account only);
     *  - holds: whether the account already holds `rec` in effect though
     *    it reads back differently or under another key (a plaintext
     *    password that its stored SCRAM credentials accept; what the store
     *    keeps of a record it cannot keep whole, an archived message under
     *    the id the store gave it);
     *  - flush: makes every account written so far durable (before the
     *    caller journals them as done). */
    xporta_status (*select)(struct store *s, const char *jid);
    bool (*holds)(struct store *s, const xporta_record *rec);
    xporta_status (*flush)(struct store *s);
    /* Whether the store would have flush() called now (a batch of
     * accounts is full); may be NULL. */
    bool (*flush_due)(const struct store *s);
    /* Rooms of a server's MUC services (XEP-0519 components); NULL (and
     * room_writable 0) in a driver that keeps none:
     *  - select_room: the room ("name@service") that read() and
     *    write_begin() .. write_end() concern from now on, as select() an
     *    account (select() goes back to accounts; either drops a room not
     *    yet write_end()ed); NULL: read() streams every room, each as an
     *    account: sink->account(room JID) before its records,
     *    account_end() after (a room that cannot be read is reported
     *    there), the rooms of a service together.  A room's records are
     *    of kinds ROOM_* and ARCHIVE (its history: key the MAM id, oldest
     *    first), VCARD and OTHER; holds() (what the store keeps of a form,
     *    an affiliation's reason it drops) and flush() work as for
     *    accounts.  The file driver has it for reading (its components).
     *  - room_writable: the kinds write() can store for a room;
     *  - room_skip: as skip, for a room's records (may be NULL), e.g. a
     *    history entry the server's room archive never keeps. */
    xporta_status (*select_room)(struct store *s, const char *room);
    uint32_t room_writable;
    const char *(*room_skip)(const xporta_record *rec);
};

/* Every driver's store starts with this. */
struct store {
    const struct store_driver *drv;
    struct xp_run *run;
};

/* The drivers (store.c: the table). */
extern const struct store_driver store_file_driver;
extern const struct store_driver store_live_driver;
extern const struct store_driver store_prosody_driver;
extern const struct store_driver store_prosody_sqlite_driver;
extern const struct store_driver store_prosody_pgsql_driver;
extern const struct store_driver store_ejabberd_sqlite_driver;
extern const struct store_driver store_ejabberd_pgsql_driver;
extern const struct store_driver store_ejabberd_mnesia_driver;

/* The driver for an address "SCHEME:WHERE" (*where set past the colon),
 * or NULL. */
const struct store_driver *store_driver_find(const char *address,
                                             const char **where);
/* The drivers, for --help: NULL-terminated. */
const struct store_driver *const *store_drivers(void);

/* Opens the store an address names ("file:/tmp/a.xml",
 * "xmpp:alice@example.org").  Unknown scheme: XPORTA_EINVAL. */
xporta_status store_open(struct store **out, const char *address,
                         const struct store_opts *o, struct xp_run *run);
void store_close(struct store *s);

/* Thin wrappers over the driver's functions. */
const char *store_why_not(const struct store_driver *d, xporta_kind k);
const char *store_skip(const struct store_driver *d, const xporta_record *rec);
xporta_status store_read(struct store *s, uint32_t kinds,
                         const struct xp_strv *private_ns,
                         const struct store_sink *sink);
bool store_unreadable(const struct store *s, xporta_kind kind, const char *key);
unsigned store_quirks(const struct store *s);
xporta_status store_write_begin(struct store *s, store_done_fn done, void *ud);
xporta_status store_write(struct store *s, const xporta_record *rec,
                          bool replace);
xporta_status store_poll(struct store *s, unsigned ms);
size_t store_pending(const struct store *s);
xporta_status store_write_end(struct store *s);
/* Many-account stores (see select/holds/flush above); a single-account
 * store refuses select() other than of its account. */
xporta_status store_select(struct store *s, const char *jid);
bool store_holds(struct store *s, const xporta_record *rec);
xporta_status store_flush(struct store *s);
bool store_flush_due(const struct store *s);
/* (store_many.c) After one account (or room) of a driver's whole read:
 * its outcome `r`
 * through sink->account_end.  With `soft` (r is what the driver reports
 * and reads on from: damaged data), the run's detail goes with it and the
 * read goes on; any other failure stops the read.  Returns the status to
 * stop with (the sink's own failure too), or XPORTA_OK. */
xporta_status store_read_outcome(struct xp_run *run,
                                 const struct store_sink *sink, const char *jid,
                                 xporta_status r, bool soft);
/* Rooms (see select_room above): whether the store has them, and the
 * choice of one (NULL: every room). */
bool store_has_rooms(const struct store *s);
xporta_status store_select_room(struct store *s, const char *room);
/* Whether the store is a server's storage (the driver's `many`). */
bool store_is_multi(const struct store *s);

/* (store_history.c) Why the store at `address` cannot take `kind` of
 * one account while its server runs (a sentence with the evidence), or
 * NULL when it can. */
const char *store_history_refusal(const char *address, xporta_kind kind);

/* ---- for the drivers of servers' storage --------------------------------- */

/* "user@host" split for select() (NULL: both NULL); EINVAL naming it when
 * it is not an account. */
xporta_status store_split_account(const char *jid, char **user, char **host,
                                  struct xp_run *run);

/* The writes of one account, confirmed together when it is committed. */
struct store_confirm {
    xporta_kind kind;
    const char *key, *id;
    struct store_confirm *next;
};
struct store_confirms {
    struct xp_arena a;
    struct store_confirm *first, *last;
};
void store_confirms_init(struct store_confirms *c);
xporta_status store_confirms_add(struct store_confirms *c,
                                 const xporta_record *rec, struct xp_run *run);
/* Each to `done` as written (when `done` is set), then forgotten. */
void store_confirms_send(struct store_confirms *c, store_done_fn done,
                         void *ud);
void store_confirms_reset(struct store_confirms *c);
void store_confirms_cleanup(struct store_confirms *c);

#endif
