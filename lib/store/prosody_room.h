/*
 * Prosody's MUC rooms as xporta's room records (XEP-0519), both ways
 * (prosody_room.c reads, prosody_room_write.c writes).
 *
 * Design note.  mod_muc keeps a room on its component's host (the MUC
 * service, e.g. conference.example.org) under the room's node:
 *   - key-value store `config`: { _jid, _data = { name, description, ...,
 *     subject, subject_from, subject_time }, _affiliation_data = { [jid] =
 *     { reserved_nickname } }, [bare jid] = "owner"|"admin"|"member"|
 *     "outcast" ... } (room:freeze(); the old format's _affiliations table
 *     is read too);
 *   - archive store `muc_log` (mod_muc_mam): the history, one item per
 *     groupchat message with a body, `with` "message<groupchat", `when` in
 *     whole seconds, the key being the MAM id (stanza-id);
 *   - host-level map `persistent` { [room jid] = true }: the rooms Prosody
 *     restores and lists.
 * A room is a (host, node) with a `config` value; which hosts are MUC
 * services is decided from the data (docs/research/muc-storage.md 1.1), not
 * from Prosody's configuration.  `_data` maps onto the muc#roomconfig form
 * Prosody's owner form shows (muc/NAME.lib.lua, mod_muc_mam.lua): the record
 * is the form a client would see, so that a room read back compares equal.
 */
#ifndef XPORTA_STORE_PROSODY_ROOM_H
#define XPORTA_STORE_PROSODY_ROOM_H

#include "prosody_store.h"

/* Kinds a Prosody room keeps. */
#define PROOM_WRITABLE                                                        \
    ((1u << XPORTA_KIND_ROOM_CONFIG) | (1u << XPORTA_KIND_ROOM_AFFILIATION) | \
     (1u << XPORTA_KIND_ROOM_SUBJECT) | (1u << XPORTA_KIND_ARCHIVE))

/* Why a room's record is better left out (store_driver.room_skip): a
 * history entry without a body, which mod_muc_mam never archives (an
 * ejabberd room's subject changes); NULL: write it. */
const char *proom_skip(const xporta_record *rec);

/* Every room ("node@service", by service, then node). */
xporta_status proom_list(struct pbe *b, struct xp_strv *out);

/* One room's records of `kinds` into `sink` (sink->account with the room's
 * JID first).  *skipped set (may be NULL) and nothing read when the room
 * is a destroyed room's tombstone. */
xporta_status proom_read(struct pbe *b, const char *service, const char *node,
                         uint32_t kinds, const struct store_sink *sink,
                         bool *skipped);

/* The muc#roomconfig form of a room's _data (in `a`). */
xp_elem *proom_config_form(struct xp_arena *a, const struct pv *data);

/* One room being written (config read once, set at commit; history items
 * appended as they come). */
struct proom_w;
xporta_status proom_w_begin(struct proom_w **out, struct pbe *b,
                            const char *service, const char *node);
/* XPORTA_EUNSUPPORTED with *why: a record Prosody cannot keep. */
xporta_status proom_w_record(struct proom_w *w, const xporta_record *rec,
                             bool replace, const char **why);
/* Whether the room already keeps what Prosody can keep of `rec` (a form
 * with fields Prosody has no place for, an affiliation's reason). */
bool proom_w_holds(struct proom_w *w, const xporta_record *rec);
/* The host-level `persistent` map of one service, held between rooms and
 * written by proom_persist_write() (before the backend's flush, when the
 * service changes). */
struct proom_persist {
    char *service;
    struct xp_arena a;
    struct pv map;
    bool dirty;
};
void proom_persist_init(struct proom_persist *p);
xporta_status proom_persist_add(struct proom_persist *p, struct pbe *b,
                                const char *service, const char *jid);
xporta_status proom_persist_write(struct proom_persist *p, struct pbe *b);
void proom_persist_cleanup(struct proom_persist *p);

/* Commits the room and adds it to `p` (its service's `persistent` map)
 * when it is not listed there. */
xporta_status proom_w_commit(struct proom_w *w, struct proom_persist *p);
void proom_w_free(struct proom_w *w);
/* History items written older than a week (muc_log_expires_after). */
unsigned long proom_w_old_items(const struct proom_w *w);

#endif
