/*
 * What ejd_room.c (reading muc_room.opts) and ejd_room_write.c (writing
 * it) share: ejabberd's room options and their owner-form fields.
 */
#ifndef XPORTA_STORE_EJD_ROOM_P_H
#define XPORTA_STORE_EJD_ROOM_P_H

#include "ejd_room.h"

enum ro_type {
    RO_BOOL,
    RO_BIN,
    RO_INT,
    RO_PMV,      /* allow_private_messages_from_visitors: an atom */
    RO_WHOIS,    /* anonymous: true <-> "moderators" */
    RO_MAXUSERS, /* an integer or none */
    RO_ROLES,    /* presence_broadcast: a list of roles */
    RO_JIDS,     /* captcha_whitelist: a list of LJIDs */
    RO_VCARD,    /* the room's vCard: a VCARD record */
    RO_FIXED,    /* written as `def`, not carried */
    RO_SPECIAL   /* affiliations, subject, subject_author */
};

struct room_opt {
    const char *name, *var;
    enum ro_type t;
    const char *def;
};
/* make_opts order; `var` the owner form's field (get_config), `def` the
 * value written when the records do not say (the #config{} default, but
 * persistent and mam); NULL-terminated. */
extern const struct room_opt ejd_room_opts[];
extern const size_t ejd_room_nopts; /* with the terminator */

const struct room_opt *ejd_room_opt(const char *name, size_t n);
/* By form field (other servers' names too), NULL when ejabberd has none. */
const struct room_opt *ejd_room_opt_var(const char *var);

extern const char *const ejd_room_roles[]; /* moderator ... */
extern const char *const ejd_room_pmv[];   /* anyone, moderators, nobody */
extern const char *const ejd_room_affs[];  /* owner ... outcast */
/* Whether s[0..n) is one of the NULL-terminated set. */
bool ejd_room_in(const char *const *set, const char *s, size_t n);

#endif
