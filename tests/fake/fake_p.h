/*
 * tests/fake internals shared by the session (fake_session.c), the
 * server's request handlers (fake_server.c) and its state (fake_store.c).
 *
 * The seam is the wire: a session hands the server each stanza as the text
 * libstrophe would have sent, and the server hands back text for the
 * session to parse as it would have received it (fk_conn_deliver).  Stored
 * data is kept as canonical XML text, one string per record, and parsed
 * again when a reply needs it.
 */
#ifndef XPORTA_TESTS_FAKE_P_H
#define XPORTA_TESTS_FAKE_P_H

#include "fake_server.h"
#include "xmpp/xmpp_p.h"

/* ---- state ----------------------------------------------------------------
 */

/* One stored record.  Archive entries also keep their stamp and the other
 * party (bare) for MAM filters. */
struct fk_entry {
    char *key;
    char *id; /* PEP item id, else NULL */
    char *text;
    long long secs;
    long usecs;
    char *with;
};

struct fk_list {
    struct fk_entry *v;
    size_t n, cap;
};

struct fk_fault {
    char *what;
    char *condition;
    char *text; /* or NULL */
    unsigned left;
    bool forever;
};

struct fk_count {
    char *what;
    unsigned long n;
};

struct fk_server {
    char *domain;
    char **features; /* disco#info vars and "{ns}name" stream features */
    size_t nfeatures;
    unsigned mam_max;
    struct fk_server *next;
};

struct fk_conn;

struct fk_account {
    struct fk_server *srv;
    char *bare;
    char *password;
    struct fk_list data[XPORTA_KIND_COUNT];
    char *privacy_default;
    unsigned long roster_ver;
    unsigned long requests;
    struct fk_count *counts;
    size_t ncounts;
    struct fk_fault *faults;
    size_t nfaults;
    long disconnect_after; /* -1: none */
    unsigned long seq;     /* made-up ids */
    struct fk_conn *conns;
    struct fk_account *next;
};

/* One connection as the server sees it; lives inside struct xp_session. */
struct fk_conn {
    struct fk_account *acct; /* NULL once cut off (fake_reset) */
    char *full;
    bool available;    /* sent initial presence */
    char *active_list; /* XEP-0016 active list of this session */
    struct fk_conn *next;
};

/* ---- fake_store.c ----------------------------------------------------------
 */

/* The libstrophe context used to write and parse stanzas (made on first
 * use, freed by fake_reset). */
xmpp_ctx_t *fk_ctx(void);
/* Parses XML text the way the stream parser reads it; NULL when it is
 * malformed or over the ceilings. */
xp_elem *fk_parse(struct xp_arena *a, const char *xml, const char *parent_ns);
/* Canonical text of a payload (attributes sorted, whitespace between
 * elements dropped); malloc'd, NULL when out of memory. */
char *fk_text(const xp_elem *e);

struct fk_server *fk_server_find(const char *domain, size_t len);
bool fk_server_has(const struct fk_server *srv, const char *feature);
/* The account of a bare or full JID, or NULL. */
struct fk_account *fk_account_find(const char *jid);

/* Stored records: keys of roster, pending and blocklist compare as JIDs. */
struct fk_entry *fk_find(struct fk_account *acct, xporta_kind k,
                         const char *key, const char *id);
/* Stores a payload under (key, id): replaces the entry in place, or
 * appends (archive entries: in stamp order; PEP items: always at the end,
 * `newest`).  Returns the entry or NULL when out of memory. */
struct fk_entry *fk_store(struct fk_account *acct, xporta_kind k,
                          const char *key, const char *id,
                          const xp_elem *payload);
void fk_remove(struct fk_account *acct, xporta_kind k, struct fk_entry *e);
xp_elem *fk_load(struct xp_arena *a, const struct fk_entry *e);
/* A fault of the account matching `what`, consumed, or NULL. */
const struct fk_fault *fk_fault_take(struct fk_account *acct, const char *what);
void fk_count_request(struct fk_account *acct, const char *what);
/* A fresh id ("fk-" and a counter) for archive entries and PEP items. */
void fk_new_id(struct fk_account *acct, const char *prefix, char *buf,
               size_t cap);
/* Stores a record as a server-side import would (fake_put, fake_load_pie). */
int fk_store_record(struct fk_account *acct, const xporta_record *rec);
/* Archives a message (id NULL: made up; stamp NULL or "": now); the other
 * party, for MAM's 'with', is worked out from from/to. */
int fk_archive(struct fk_account *acct, const char *id, const char *stamp,
               const xp_elem *message);

/* ---- fake_server.c: stanzas from clients, IQ routing ------------------- */

#define NS_PING "urn:xmpp:ping"
#define NS_PUBSUB_ERRORS "http://jabber.org/protocol/pubsub#errors"
#define FORM_NODE_CONFIG "http://jabber.org/protocol/pubsub#node_config"
#define FORM_PUBLISH_OPTIONS "http://jabber.org/protocol/pubsub#publish-options"

/* One stanza from the client of `c`, as text. */
void fk_handle(struct fk_conn *c, const char *xml);

/* Who an IQ request is for. */
enum fk_scope { S_SELF = 1, S_ACCOUNT = 2, S_DOMAIN = 4 };

/* One IQ request being answered.  A handler appends its payload to `res`
 * or sets `cond` (fk_fail) and returns false. */
struct fk_req {
    struct fk_conn *c;
    struct fk_account *self; /* the requester */
    struct fk_account *acct; /* the addressee account (S_SELF: self) */
    struct fk_server *srv;   /* the addressee's server */
    enum fk_scope scope;
    const xp_elem *q; /* the payload */
    struct xp_arena *a;
    xp_elem *res; /* the result <iq> */
    const char *cond;
    const char *text;
    const char *app; /* an application condition in pubsub#errors */
};

const char *fk_attr(const xp_elem *e, const char *name);
/* An attribute that is there and not empty, or NULL. */
const char *fk_attr_set(const xp_elem *e, const char *name);
/* Sets the error (the first one wins); returns false. */
bool fk_fail(struct fk_req *r, const char *cond, const char *text);
bool fk_fail_app(struct fk_req *r, const char *cond, const char *app);
/* Building the answer; out of memory becomes internal-server-error. */
xp_elem *fk_add(struct fk_req *r, xp_elem *parent, const char *ns,
                const char *name);
void fk_set(struct fk_req *r, xp_elem *e, const char *name, const char *v);
void fk_append(struct fk_req *r, xp_elem *parent, xp_elem *child);
/* Does `jid` have a subscription to the account's presence (from, both)? */
bool fk_has_from(struct xp_arena *a, struct fk_account *acct, const char *jid);

/* ---- fake_pubsub.c: PEP and MAM ----------------------------------------- */

bool fk_pep_items(struct fk_req *r);
bool fk_pep_publish(struct fk_req *r);
bool fk_pep_create(struct fk_req *r);
bool fk_pep_retract(struct fk_req *r);
bool fk_pep_configure_get(struct fk_req *r);
bool fk_pep_configure_set(struct fk_req *r);
bool fk_pep_affiliations_get(struct fk_req *r);
bool fk_pep_affiliations_set(struct fk_req *r);
bool fk_pep_delete(struct fk_req *r);
bool fk_mam_prefs_get(struct fk_req *r);
bool fk_mam_prefs_set(struct fk_req *r);
bool fk_mam_query(struct fk_req *r);
/* A PEP node's stored configuration with the defaults filled in, or -1 when
 * the form is not acceptable (fake_store.c seeds nodes with it). */
int fk_pep_store_node(struct fk_account *acct, const char *node,
                      const xp_elem *form);
/* Drops a node's oldest items beyond its max_items. */
void fk_pep_trim(struct fk_account *acct, const char *node);

/* ---- fake_session.c --------------------------------------------------------
 */

/* Queues a stanza for the session of `c` (dropped unless it is online). */
void fk_conn_deliver(struct fk_conn *c, const xp_elem *stanza);
/* The server ends the connection: the session stops sending, and once what
 * was queued before is delivered it is closed.  With a condition, as a
 * stream error ("DOMAIN closed the stream: CONDITION (TEXT)"), else as a
 * lost connection ("connection to DOMAIN lost: TEXT"). */
void fk_conn_drop(struct fk_conn *c, const char *condition, const char *text);

#endif
