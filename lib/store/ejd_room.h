/*
 * ejabberd 23.01's rooms in SQL as xporta's room records (XEP-0519): pure
 * functions over the rows of muc_room, muc_registered and the group-chat
 * rows of archive, for the ejabberd store to call.  Nothing here touches a
 * database; the caller reads and writes the rows (docs/research/
 * ejabberd-rooms.md has the mapping as measured on a real ejabberd).
 *
 * muc_room.opts is the room's option list as misc:term_to_expr printed it
 * (both SQL schemas write the same text; Mnesia keeps the same list as a
 * native term, with {subscribers, [...]} added):
 *   - each option with a field in ejabberd's owner form becomes that field
 *     of the ROOM_CONFIG form (muc#roomconfig_roomname for title, ...);
 *   - affiliations become ROOM_AFFILIATION items (with their reasons);
 *   - subject and subject_author become ROOM_SUBJECT (ejabberd keeps no
 *     time for it: the archive's subject rows have it);
 *   - vcard (the room's vCard, XML text) becomes a VCARD record.
 * Written back, every option is present in make_opts order, so that no
 * option falls back to the #config{} record defaults (which are not
 * default_room_options): persistent is always true, mam true unless the
 * form says otherwise.
 *
 * Registered nicks are per MUC service in ejabberd (muc_registered: jid,
 * host = service, nick), per room in XEP-0519 (the nick of an affiliation
 * item).  Read: a JID's registered nick of the room's service is the nick
 * of each of its affiliation items in that service's rooms.  Written: the
 * nick of an affiliation item registers that JID on the room's service;
 * the first nick of a JID in a service stays, and a nick registered to
 * another JID stays with it (both noted, not errors).
 */
#ifndef XPORTA_STORE_EJD_ROOM_H
#define XPORTA_STORE_EJD_ROOM_H

#include "ejd_term.h"

/* A room's record, borrowed until the callback returns. */
typedef xporta_status (*ejd_room_record_fn)(void *ud, const xporta_record *rec);
/* Something that does not map (not an error), e.g. "option hats_users is
 * not carried: ejabberd's hats have no place in XEP-0519". */
typedef void (*ejd_room_note_fn)(void *ud, const char *what);

/* A registered nick of one MUC service (a muc_registered row). */
struct ejd_nick {
    const char *jid; /* bare, as ejabberd keeps it (lower case) */
    const char *nick;
};

/* ---- muc_room.opts -> records ------------------------------------------ */

/* Reads the opts of room `room` ("name@service").  Calls `fn` with, in
 * this order: ROOM_CONFIG (key "config", payload <x xmlns='jabber:x:data'
 * type='submit'> with FORM_TYPE and one field per option, in the owner
 * form's order); VCARD (key "vcard") when the room has a vCard; one
 * ROOM_AFFILIATION per affiliation in opts' order (key the bare JID,
 * payload <item xmlns=muc#user jid affiliation [nick]>[<reason/>]), the
 * nick from `nicks` (the service's muc_registered rows; may be NULL); and
 * ROOM_SUBJECT (key "subject", <message type='groupchat' from='room/author'>
 * with one <subject xml:lang?> per language) when the subject is not
 * empty.  Options that do not map are passed to `note` (may be NULL).
 * Malformed opts: XPORTA_EFORMAT with *why = "muc_room.opts of ROOM: WHAT"
 * (in `a`); a status of `fn` is returned as it is.  Records and strings
 * are allocated in `a`. */
xporta_status ejd_room_read_opts(struct xp_arena *a, const char *room,
                                 const char *opts, size_t len,
                                 const struct ejd_nick *nicks, size_t nnicks,
                                 ejd_room_record_fn fn, ejd_room_note_fn note,
                                 void *ud, const char **why);

/* ejabberd keeps no time for the subject in opts, but archives the
 * message that set it: with the time of the room's last archived message
 * that has a <subject> (its timestamp, microseconds), this adds <delay
 * xmlns='urn:xmpp:delay' from=ROOM stamp=...> to a ROOM_SUBJECT payload
 * (as a joiner gets it).  The writer ignores the delay. */
xporta_status ejd_room_subject_time(struct xp_arena *a, const char *room,
                                    xp_elem *subject, long long usec);

/* ---- records -> muc_room.opts ------------------------------------------ */

struct ejd_room_aff {
    const char *jid; /* bare, lower case */
    const char *affiliation, *reason, *nick;
};

/* One room's records being gathered (everything is copied into `a`). */
struct ejd_room_w {
    struct xp_arena *a;
    const char *room;
    const xp_elem *form, *vcard, *subject;
    struct ejd_room_aff *affs;
    size_t naffs, capaffs;
};

void ejd_room_w_init(struct ejd_room_w *w, struct xp_arena *a,
                     const char *room);
/* Takes a ROOM_CONFIG, ROOM_AFFILIATION (a later one for the same JID
 * replaces the earlier), ROOM_SUBJECT or VCARD record.  ARCHIVE goes to
 * ejd_room_arc_write, and other kinds have no place in muc_room:
 * XPORTA_EUNSUPPORTED with *why.  A payload that is not what the kind
 * says: XPORTA_EFORMAT with *why. */
xporta_status ejd_room_w_add(struct ejd_room_w *w, const xporta_record *rec,
                             const char **why);
/* The full opts term, as ejabberd 23.01 writes it, appended to `out`.
 * Form fields without an ejabberd option, and values replaced (a
 * non-persistent room made persistent), go to `note`.  A field value
 * ejabberd would refuse (a boolean "maybe", a role list with "admin"):
 * XPORTA_EFORMAT with *why naming the room and the field. */
xporta_status ejd_room_w_opts(const struct ejd_room_w *w, struct xp_buf *out,
                              ejd_room_note_fn note, void *ud,
                              const char **why);

/* ---- muc_registered ----------------------------------------------------- */

/* A MUC service's registered nicks being written. */
struct ejd_nicks {
    struct xp_arena *a;
    struct ejd_nick *v;
    size_t n, cap;
};
void ejd_nicks_init(struct ejd_nicks *s, struct xp_arena *a);
/* Registers a nick (an existing row read from the service, or an
 * affiliation's): a JID keeps its first nick, a nick its first JID; a
 * conflict goes to `note` and the pair is not added.  *added says whether
 * a row is to be written. */
xporta_status ejd_nicks_add(struct ejd_nicks *s, const char *jid,
                            const char *nick, ejd_room_note_fn note, void *ud,
                            bool *added);
/* A muc_registered row (jid, host, nick) checked: jid a bare JID, nick not
 * empty.  XPORTA_EFORMAT with *why "muc_registered of SERVICE: ..." */
xporta_status ejd_room_nick_row(struct xp_arena *a, const char *jid,
                                const char *host, const char *nick,
                                struct ejd_nick *out, const char **why);

/* ---- the room's archive (archive rows with kind groupchat) ------------ */

/* An archive row of a room: username = the room's bare JID. */
struct ejd_room_arc {
    const char *timestamp; /* microseconds: the MAM id */
    const char *peer;      /* the occupant's real full JID */
    const char *bare_peer;
    const char *xml; /* the message as the occupant sent it */
    size_t xml_len;
    const char *txt;  /* the body, for full-text search */
    const char *kind; /* "groupchat" */
    const char *nick;
};

/* A row -> an ARCHIVE payload as XEP-0519 keeps it: <result id=timestamp>
 * <forwarded><delay stamp/><message from='room/nick' type='groupchat'>,
 * the stored `to` removed and <x xmlns=muc#user><item jid=peer/></x> added
 * (the real JID ejabberd shows to moderators and in non-anonymous rooms).
 * A bad row: XPORTA_EFORMAT, *why "archive row TIMESTAMP of ROOM: ...". */
xporta_status ejd_room_arc_read(struct xp_arena *a, const char *room,
                                const struct ejd_room_arc *row, xp_elem **out,
                                const char **why);
/* An ARCHIVE record -> a row (strings in `a`): the timestamp is the
 * record's key when it is ejabberd's own id (*own_id true), else the
 * delay's time (the caller makes it unique in the room, as the users'
 * writer does); nick the resource of from='room/nick'; peer the <x><item
 * jid> of muc#user when there is one, else room/nick; xml the message with
 * that <x> and the room's stanza-id removed, from = peer, to = room; txt
 * the body or "".  XPORTA_EUNSUPPORTED with *why for a record without a
 * message, time or nick. */
xporta_status ejd_room_arc_write(struct xp_arena *a, const char *room,
                                 const xporta_record *rec,
                                 struct ejd_room_arc *row, long long *usec,
                                 bool *own_id, const char **why);

#endif
