/*
 * lib/xmpp: group chats (XEP-0045) and the bookmarks that name them
 * (XEP-0402, XEP-0048): requests built and replies decoded as element
 * trees, without a session, so that unit tests drive them directly.
 */
#ifndef XPORTA_XMPP_XMPP_MUC_H
#define XPORTA_XMPP_XMPP_MUC_H

#include "../model/xp_model.h"

#define XP_NS_MUC "http://jabber.org/protocol/muc"
#define XP_NS_MUC_ADMIN "http://jabber.org/protocol/muc#admin"
#define XP_NS_MUC_OWNER "http://jabber.org/protocol/muc#owner"
#define XP_NS_MUC_USER "http://jabber.org/protocol/muc#user"
#define XP_NS_BOOKMARKS2 "urn:xmpp:bookmarks:1"
#define XP_NS_BOOKMARKS "storage:bookmarks"

/* Affiliations in rank order (XEP-0045 §5.2). */
typedef enum xp_muc_aff {
    XP_MUC_UNKNOWN = -1, /* not readable */
    XP_MUC_OUTCAST = 0,
    XP_MUC_NONE,
    XP_MUC_MEMBER,
    XP_MUC_ADMIN,
    XP_MUC_OWNER,
} xp_muc_aff;

/* "owner" -> XP_MUC_OWNER ...; XP_MUC_UNKNOWN for anything else. */
xp_muc_aff xp_muc_aff_parse(const char *s);
/* "owner", "admin", "member", "none", "outcast"; "unknown". */
const char *xp_muc_aff_name(xp_muc_aff a);

/* <query xmlns=muc#admin><item affiliation=AFF/></query>: the list of one
 * affiliation (XEP-0045 §9.5, §10.5, §10.8, §9.1). */
xp_elem *xp_muc_list_query(struct xp_arena *a, xp_muc_aff aff);
/* Calls fn for each <item/> of a muc#admin result: its bare JID (items
 * without one are skipped), affiliation and nick (NULL if none).
 * XPORTA_EFORMAT when the reply holds no muc#admin query. */
xporta_status xp_muc_list_decode(struct xp_arena *a, const xp_elem *iq,
                                 void (*fn)(void *ud, const char *jid,
                                            xp_muc_aff aff, const char *nick),
                                 void *ud);
/* <query xmlns=muc#admin><item affiliation=AFF jid=JID><reason/></item>:
 * sets one affiliation (§10.3, §10.6, §10.7, §9.3).  reason may be NULL. */
xp_elem *xp_muc_affiliation_set(struct xp_arena *a, const char *jid,
                                xp_muc_aff aff, const char *reason);

/* Whether a disco#info reply names an identity of that category (and
 * type, unless NULL), e.g. "conference", "text" for a MUC service or
 * room; *name receives the identity's name when asked. */
bool xp_disco_identity(const xp_elem *iq, const char *category,
                       const char *type, const char **name);
/* Calls fn for each <item jid/> of a disco#items reply (the node and name
 * may be NULL).  XPORTA_EFORMAT when the reply holds no disco#items. */
xporta_status xp_disco_items_each(const xp_elem *iq,
                                  void (*fn)(void *ud, const char *jid,
                                             const char *node,
                                             const char *name),
                                  void *ud);
/* The room's contact addresses in a disco#info reply's muc#roominfo form
 * (muc#roominfo_contactjid), each given to fn. */
void xp_muc_roominfo_contacts(const xp_elem *iq,
                              void (*fn)(void *ud, const char *jid), void *ud);

/* A bookmarked room. */
struct xp_bookmark {
    const char *room; /* bare room JID */
    const char *name; /* may be NULL */
    const char *nick; /* may be NULL */
    bool autojoin;
};
/* Calls fn for each room bookmarked in a reply: a pubsub <items/> of the
 * XEP-0402 node (item id = room JID, <conference xmlns=urn:xmpp:bookmarks:1>)
 * or of the XEP-0048 PEP node, or a private XML (XEP-0049) reply holding
 * <storage xmlns=storage:bookmarks>.  Invalid room JIDs are skipped. */
void xp_bookmarks_decode(struct xp_arena *a, const xp_elem *iq,
                         void (*fn)(void *ud, const struct xp_bookmark *b),
                         void *ud);

/* <presence to=ROOM/NICK><x xmlns=muc><history maxstanzas=0/></x>: enters
 * a room without its history (XEP-0045 §7.2, §7.2.13); with `leave`,
 * <presence type=unavailable to=ROOM/NICK/>. */
xp_elem *xp_muc_join(struct xp_arena *a, const char *room, const char *nick,
                     bool leave);
/* xp_muc_join for a password-protected room: <password/> in the <x/>
 * (XEP-0045 §7.2.6); password NULL is xp_muc_join. */
xp_elem *xp_muc_join_password(struct xp_arena *a, const char *room,
                              const char *nick, const char *password);
/* An occupant's presence from a room: its muc#user <item/>'s affiliation
 * and real JID (bare; NULL when the room hides it), and whether it is the
 * account's own (status 110).  False when the presence carries no
 * muc#user item. */
bool xp_muc_presence_item(struct xp_arena *a, const xp_elem *presence,
                          xp_muc_aff *aff, const char **jid, bool *self);

/* ---- a room's owner (XEP-0045 §10) ----------------------------------------
 */

/* <query xmlns=muc#owner/>: the configuration form (get). */
xp_elem *xp_muc_owner_query(struct xp_arena *a);
/* The form (<x xmlns=jabber:x:data>) of a muc#owner reply, or NULL. */
const xp_elem *xp_muc_owner_form(const xp_elem *iq);
/* <query xmlns=muc#owner><x type=submit>FIELDS</x></query> carrying the
 * fields of `want` (a form of var -> values; every <field/> with a var)
 * that `offered` (the new room's form) has, FORM_TYPE first.  A field
 * `offered` lacks, or a list value it does not offer, is left out and
 * given to skipped(ud, var, why).  A boolean `want` left without a value
 * (Prosody's way of saying false) is sent as "0".  Affiliation lists in
 * the form (muc#roomconfig_roomowners, _roomadmins) are never sent: they
 * go as affiliations. */
xp_elem *xp_muc_config_submit(
    struct xp_arena *a, const xp_elem *want, const xp_elem *offered,
    void (*skipped)(void *ud, const char *var, const char *why), void *ud);
/* The other server's name of a room setting ("mam" for
 * "muc#roomconfig_enablearchiving" and back), or NULL. */
const char *xp_muc_config_alias(const char *var);
/* Two xp_form_field_values strings hold the same values, in any order. */
bool xp_form_values_equal(const char *a, const char *b);
/* The values of field `var` of a form as one string ("a,b" for several),
 * "" for a field without a value, NULL when there is no such field. */
const char *xp_form_field_values(struct xp_arena *a, const xp_elem *form,
                                 const char *var);
/* <query xmlns=muc#owner><destroy jid=ALT><reason>...</reason></destroy>:
 * XEP-0045 §10.9 (the alternate venue is the jid attribute; alt and
 * reason may be NULL). */
xp_elem *xp_muc_destroy(struct xp_arena *a, const char *alt,
                        const char *reason);
/* <message type=groupchat to=ROOM><subject>SUBJECT</subject></message>. */
xp_elem *xp_muc_subject_set(struct xp_arena *a, const char *room,
                            const char *subject);
/* The subject a room sends on entry: a groupchat message with <subject/>
 * and no <body/> (XEP-0045 §7.2.15); NULL for any other message.  An
 * empty subject reads as "". */
const char *xp_muc_subject_of(const xp_elem *message);
/* Whether an occupant presence carries muc#user <status code=CODE/>. */
bool xp_muc_has_status(const xp_elem *presence, const char *code);
/* The muc#admin <item jid affiliation nick?/> of one affiliation (as
 * xp_muc_affiliation_set, with the member's reserved nick). */
xp_elem *xp_muc_affiliation_set_nick(struct xp_arena *a, const char *jid,
                                     xp_muc_aff aff, const char *nick,
                                     const char *reason);

/* <pubsub><create node=urn:xmpp:bookmarks:1/><configure> as XEP-0402 §3
 * asks (persist_items, max_items max, send_last_published_item never,
 * access_model whitelist): a node made by a publish keeps one item on
 * ejabberd 23.01, which refuses max_items as a publish option. */
xp_elem *xp_bookmarks_node_create(struct xp_arena *a);

/* <message type=chat to=TO><body>BODY</body></message>. */
xp_elem *xp_chat_message(struct xp_arena *a, const char *to, const char *body);

#endif
