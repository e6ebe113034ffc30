/*
 * lib/xmpp: requests and replies for each kind of account data.
 *
 * Design note.  These are pure functions: a *_query() builds the payload of
 * an IQ (for xp_session_iq), a *_decode() turns a reply into records.  They
 * never touch the session, so unit tests feed them replies captured from the
 * real servers, and the jobs (export, import) decide the order of requests,
 * how many are in flight and where records go.
 *
 * Records handed to an xp_record_fn are valid only during the call; their
 * payloads live in the arena passed to the decoder or in the reply itself.
 * Keys follow xp_record_derive_key (lib/model), so records from a live
 * account and from a XEP-0227 file compare equal when the data is equal.
 */
#ifndef XPORTA_XMPP_XMPP_KINDS_H
#define XPORTA_XMPP_XMPP_KINDS_H

#include "../model/xp_model.h"

typedef void (*xp_record_fn)(void *userdata, xporta_record *rec);

/* ---- service discovery (XEP-0030) ---------------------------------------- */

xp_elem *xp_disco_info_query(struct xp_arena *a, const char *node);
xp_elem *xp_disco_items_query(struct xp_arena *a, const char *node);
/* True when the disco#info reply <iq> lists <feature var=VAR/>. */
bool xp_disco_has_feature(const xp_elem *iq, const char *var);
/* Calls fn for every <item node=.../> of a disco#items reply whose jid is
 * `owner` (the account's bare JID): the PEP nodes of the account.  Items
 * without a node (ejabberd lists connected resources) are skipped. */
xporta_status xp_disco_pep_nodes(const xp_elem *iq, const char *owner,
                                 void (*fn)(void *ud, const char *node),
                                 void *ud);

/* ---- roster (RFC 6121) and pending subscriptions ----------------------- */

xp_elem *xp_roster_query(struct xp_arena *a);
/* One ROSTER record per <item> (name, groups, subscription, ask and
 * approved kept as the server sent them). */
xporta_status xp_roster_decode(struct xp_arena *a, const xp_elem *iq,
                               xp_record_fn fn, void *ud);
/* A received <presence type='subscribe'> as a PENDING record (bare from,
 * payload such as <nick/> or <status/> kept, to/id dropped).  False for any
 * other stanza. */
bool xp_pending_decode(struct xp_arena *a, const xp_elem *presence,
                       xporta_record *out);

/* ---- vCard-temp (XEP-0054) ---------------------------------------------- */

xp_elem *xp_vcard_query(struct xp_arena *a);
/* A VCARD record unless the vCard is empty (no child elements), which
 * servers return for "no vCard". */
xporta_status xp_vcard_decode(struct xp_arena *a, const xp_elem *iq,
                              xp_record_fn fn, void *ud);

/* ---- private XML storage (XEP-0049) -------------------------------------- */

/* <query xmlns='jabber:iq:private'><NAME xmlns='NS'/></query> */
xp_elem *xp_private_query(struct xp_arena *a, const char *ns, const char *name);
/* A PRIVATE record when the stored element has content (an empty element
 * means nothing is stored). */
xporta_status xp_private_decode(struct xp_arena *a, const xp_elem *iq,
                                xp_record_fn fn, void *ud);
/* The namespaces probed by default: storage:bookmarks, storage:rosternotes,
 * storage:metacontacts, exodus:prefs, storage:imprefs, gajim:prefs (each
 * with its conventional element name), NULL-terminated pairs {ns, name}. */
extern const char *const xp_private_known[][2];

/* ---- blocking (XEP-0191) and privacy lists (XEP-0016) ------------------- */

xp_elem *xp_blocklist_query(struct xp_arena *a);
xporta_status xp_blocklist_decode(struct xp_arena *a, const xp_elem *iq,
                                  xp_record_fn fn, void *ud);
/* The list of lists: PRIVACY records for <default name/> and <active
 * name/> (when set), and list_fn for each list name. */
xp_elem *xp_privacy_names_query(struct xp_arena *a);
xporta_status
xp_privacy_names_decode(struct xp_arena *a, const xp_elem *iq, xp_record_fn fn,
                        void (*list_fn)(void *ud, const char *name), void *ud);
xp_elem *xp_privacy_list_query(struct xp_arena *a, const char *name);
xporta_status xp_privacy_list_decode(struct xp_arena *a, const xp_elem *iq,
                                     xp_record_fn fn, void *ud);

/* ---- PEP (XEP-0163 on XEP-0060) ------------------------------------------ */

/* <pubsub xmlns='...#owner'><configure node=NODE/></pubsub> */
xp_elem *xp_pep_configure_query(struct xp_arena *a, const char *node);
/* A PEP_NODE record: <configure node> with the server's form. */
xporta_status xp_pep_configure_decode(struct xp_arena *a, const xp_elem *iq,
                                      const char *node, xp_record_fn fn,
                                      void *ud);
xp_elem *xp_pep_affiliations_query(struct xp_arena *a, const char *node);
xporta_status xp_pep_affiliations_decode(struct xp_arena *a, const xp_elem *iq,
                                         const char *node, xp_record_fn fn,
                                         void *ud);
/* Items of a node, paged with RSM when `after` is set or max > 0
 * (XEP-0060 §6.5.4 + XEP-0059). */
xp_elem *xp_pep_items_query(struct xp_arena *a, const char *node, unsigned max,
                            const char *after);
/* PEP_ITEM records (key: node, id: item id).  *last receives the RSM
 * <last/> (arena string) or NULL; *complete is true when the server says
 * so or sent no RSM set (no paging). */
xporta_status xp_pep_items_decode(struct xp_arena *a, const xp_elem *iq,
                                  const char *node, xp_record_fn fn, void *ud,
                                  const char **last, bool *complete);

/* ---- MAM (XEP-0313, urn:xmpp:mam:2) ---------------------------------------
 */

xp_elem *xp_mam_prefs_query(struct xp_arena *a);
xporta_status xp_mam_prefs_decode(struct xp_arena *a, const xp_elem *iq,
                                  xp_record_fn fn, void *ud);

struct xp_mam_range {
    const char *start; /* XEP-0082 date-time or NULL */
    const char *end;   /* inclusive, or NULL */
    const char *after; /* RSM: continue after this archive id, or NULL */
    bool before_last;  /* RSM <before/>: the last page (newest) instead */
    unsigned max;      /* page size asked for */
};
/* <query xmlns='urn:xmpp:mam:2' queryid=QID> with a data form for the
 * range and an RSM set. */
xp_elem *xp_mam_query(struct xp_arena *a, const char *queryid,
                      const struct xp_mam_range *range);
/* A result <message> of query QID as an ARCHIVE record (the <result>
 * without its queryid); false when the stanza is anything else. */
bool xp_mam_result_decode(struct xp_arena *a, const xp_elem *message,
                          const char *queryid, xporta_record *out);
struct xp_mam_fin {
    bool complete;
    const char *first; /* RSM ids, or NULL */
    const char *last;
    long long count; /* RSM <count/>, -1 when absent (Prosody) */
};
/* Reads the <fin/> of the final IQ result. */
xporta_status xp_mam_fin_decode(const xp_elem *iq, struct xp_mam_fin *fin);
/* The <delay stamp> of an ARCHIVE record's payload, as seconds since the
 * epoch and microseconds; false when missing or unparsable. */
bool xp_mam_stamp(const xp_elem *result, long long *secs, long *usecs);

/* Restoring (import): payloads for the IQ sets that put a record into an
 * account.  Each takes a record's payload as the reader (file) or the
 * decoders (live) produce it.  What a client cannot set is left out: a
 * roster item's subscription, ask and approved (RFC 6121: presence
 * negotiates them); PEP publishers. */

/* <query xmlns='jabber:iq:roster'><item jid name><group/>...</item></query>
 * An empty name, empty groups and repeated groups are dropped. */
xp_elem *xp_roster_set(struct xp_arena *a, const xp_elem *item);
/* <vCard xmlns='vcard-temp'> as is (a set replaces the whole vCard). */
xp_elem *xp_vcard_set(struct xp_arena *a, const xp_elem *vcard);
/* <query xmlns='jabber:iq:private'>STORED</query>; NULL for an element
 * without content or namespace (an empty storage:bookmarks would make
 * Prosody purge the XEP-0402 bookmarks). */
xp_elem *xp_private_set(struct xp_arena *a, const xp_elem *stored);
/* <block xmlns='urn:xmpp:blocking'><item jid/>...</block> */
xp_elem *xp_block_set(struct xp_arena *a, const char *const *jids, size_t n);
/* <query xmlns='jabber:iq:privacy'><list .../></query> */
xp_elem *xp_privacy_list_set(struct xp_arena *a, const xp_elem *list);
/* <query xmlns='jabber:iq:privacy'><default name/></query>, or <active/>;
 * NULL for a NULL or empty name (declining the default is not offered). */
xp_elem *xp_privacy_default_set(struct xp_arena *a, const char *name,
                                bool active);
/* <prefs xmlns='urn:xmpp:mam:2' default><always/><never/></prefs>: the
 * default kept, both lists present, holding the non-empty <jid/>s. */
xp_elem *xp_mam_prefs_set(struct xp_arena *a, const xp_elem *prefs);

/* PEP node configuration to carry over, from a PEP_NODE record's form.
 * Servers accept different subsets (ejabberd 23.01 refuses unknown
 * publish-options; forms differ between servers), so callers step down:
 *   XP_PEP_CONFIG_FULL   the fields a node's protection and size depend on:
 *                        access_model, max_items, persist_items,
 *                        send_last_published_item, publish_model,
 *                        notify_*, deliver_*, title, description;
 *   XP_PEP_CONFIG_SAFE   access_model, max_items, persist_items;
 *   XP_PEP_CONFIG_ACCESS access_model only.
 * Fields come in the order of the FULL list; the first field of a name
 * wins; several values are kept, empty values dropped.  Fields without a
 * value in the record are left out.  Returns a
 * <x xmlns='jabber:x:data' type='submit'> with FORM_TYPE `form_type`
 * (pubsub#node_config or pubsub#publish-options), or NULL when the record
 * has none of the fields or the level is unknown. */
enum xp_pep_config {
    XP_PEP_CONFIG_FULL,
    XP_PEP_CONFIG_SAFE,
    XP_PEP_CONFIG_ACCESS
};
xp_elem *xp_pep_config_form(struct xp_arena *a, const xp_elem *configure,
                            enum xp_pep_config level, const char *form_type);
/* <pubsub><create node/><configure>FORM</configure></pubsub>; with form
 * NULL a bare <create/> (the server's defaults). */
xp_elem *xp_pep_create(struct xp_arena *a, const char *node,
                       const xp_elem *form);
/* <pubsub xmlns='...#owner'><configure node>FORM</configure></pubsub> */
xp_elem *xp_pep_configure_set(struct xp_arena *a, const char *node,
                              const xp_elem *form);
/* <pubsub><publish node><item id>PAYLOAD</item></publish>
 * [<publish-options>OPTIONS</publish-options>]</pubsub>, the item being a
 * PEP_ITEM record's payload (pubsub or pubsub#event namespace); only its id
 * attribute is kept (not the publisher). */
xp_elem *xp_pep_publish(struct xp_arena *a, const char *node,
                        const xp_elem *item, const xp_elem *options);
/* <pubsub xmlns='...#owner'><affiliations node><affiliation/>...</...>
 * with the affiliations of a PEP_AFFILIATIONS record except owners (the
 * account owns its nodes on any server); NULL when none are left. */
xp_elem *xp_pep_affiliations_set(struct xp_arena *a, const char *node,
                                 const xp_elem *affiliations);

/* ---- XEP-0283 Moved (urn:xmpp:moved:1) --------------------------------------
 */

/* The statement the old account publishes: a PEP_ITEM payload
 * <item id='current'><moved><new-jid>NEW</new-jid></moved></item>. */
xp_elem *xp_moved_item(struct xp_arena *a, const char *new_jid);
/* <pubsub><create node='urn:xmpp:moved:1'/><configure>{access_model,
 * persist_items, max_items 1, publish_model publishers, itemreply
 * publisher, send_last_published_item on_sub_and_presence}</configure>
 * </pubsub>, and the owner's configure set of the same form (for a node
 * that exists). */
xp_elem *xp_moved_create(struct xp_arena *a, const char *access_model);
xp_elem *xp_moved_configure(struct xp_arena *a, const char *access_model);
/* <pubsub><items node='urn:xmpp:moved:1'><item id='current'/></items>. */
xp_elem *xp_moved_query(struct xp_arena *a);
/* <pubsub><subscribe node='urn:xmpp:moved:1' jid=JID/></pubsub>, or with
 * `unsubscribe` the <unsubscribe/> of the same. */
xp_elem *xp_moved_subscribe(struct xp_arena *a, const char *jid,
                            bool unsubscribe);
/* A statement as received: from a result of xp_moved_query, from a pubsub
 * event (<message><event><items node='urn:xmpp:moved:1'><item>), or from a
 * <gone/> error whose text is an xmpp: URI (XEP-0283 §4.3). */
struct xp_moved_statement {
    const char *new_jid; /* bare; NULL when the stanza names none */
    /* Who published the item (its `publisher` attribute, XEP-0060), bare;
     * "" when the attribute is there but holds no JID; NULL when the
     * server does not say.  Prosody 0.12 says it in event notifications
     * only, ejabberd 23.01 in replies and events when the node's
     * pubsub#itemreply is "publisher" (a full JID there). */
    const char *publisher;
    bool gone; /* from a <gone/> error: the old server's own word */
};
/* Fills `out` (all NULL/false when the stanza is no statement); true when
 * it names a new JID. */
bool xp_moved_statement(struct xp_arena *a, const xp_elem *stanza,
                        struct xp_moved_statement *out);
/* The new JID of a statement (xp_moved_statement's new_jid): NULL when
 * the reply names none. */
const char *xp_moved_new_jid(struct xp_arena *a, const xp_elem *iq);
/* The value of field `var` (e.g. "pubsub#publish_model") in the
 * pubsub#meta-data form of a disco#info reply about a node (XEP-0060
 * §5.4); NULL when the reply has no such form or field.  Prosody 0.12
 * sends the form (access and publish model) to those subscribed to the
 * owner's presence; ejabberd 23.01 sends none for PEP nodes. */
const char *xp_pubsub_meta(const xp_elem *iq, const char *var);
/* <presence type='TYPE' to='TO'> with, for a subscribe, the
 * <moved><old-jid>OLD</old-jid></moved> notification when old_jid is set. */
xp_elem *xp_presence(struct xp_arena *a, const char *type, const char *to,
                     const char *old_jid);
/* The <old-jid> of a subscription request's <moved/>, bare.  NULL with
 * *why NULL when the request has no <moved/>; NULL with *why saying what
 * is wrong when the notice is malformed (no <old-jid>, a full JID, an
 * xmpp: URI, white space, two '@', an empty part, ...): XEP-0283 §4.2
 * wants the bare JID of an account. */
const char *xp_moved_notice(struct xp_arena *a, const xp_elem *presence,
                            const char **why);
/* xp_moved_notice without the reason: NULL for no notice or a malformed
 * one. */
const char *xp_moved_old_jid(struct xp_arena *a, const xp_elem *presence);

/* ---- dates (XEP-0082) ------------------------------------------------------
 */

/* Parses "YYYY-MM-DDThh:mm:ss[.frac](Z|±hh:mm)". */
bool xp_datetime_parse(const char *s, long long *secs, long *usecs);
/* Formats UTC seconds as "YYYY-MM-DDThh:mm:ssZ" into buf (>= 21 bytes). */
void xp_datetime_format(long long secs, char *buf, size_t cap);

#endif
