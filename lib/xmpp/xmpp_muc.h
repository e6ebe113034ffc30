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
/* An occupant's presence from a room: its muc#user <item/>'s affiliation
 * and real JID (bare; NULL when the room hides it), and whether it is the
 * account's own (status 110).  False when the presence carries no
 * muc#user item. */
bool xp_muc_presence_item(struct xp_arena *a, const xp_elem *presence,
                          xp_muc_aff *aff, const char **jid, bool *self);

/* <message type=chat to=TO><body>BODY</body></message>. */
xp_elem *xp_chat_message(struct xp_arena *a, const char *to, const char *body);

#endif
