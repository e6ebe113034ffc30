/* What prosody_room.c and prosody_room_write.c share. */
#ifndef XPORTA_STORE_PROSODY_ROOM_P_H
#define XPORTA_STORE_PROSODY_ROOM_P_H

#include "prosody_room.h"

enum proom_ftype {
    RF_STR,   /* a string; "" is none */
    RF_BOOL,  /* a boolean; absent: false (or the default) */
    RF_NOT,   /* a boolean kept inverted (publicroom <-> hidden) */
    RF_SET,   /* "1" when the key holds a string (passwordprotectedroom) */
    RF_INT,   /* a number; the default is kept as none */
    RF_ROLES, /* list-multi of roles <-> a set table */
};

/* A muc#roomconfig field and the _data key Prosody keeps it under. */
struct proom_field {
    const char *var, *key;
    enum proom_ftype type;
    const char *def; /* what the form shows when the key is absent */
};
extern const struct proom_field proom_fields[]; /* NULL-terminated */
/* Prosody's own field for members' invites (wins over
 * muc#roomconfig_allowinvites when a form has both). */
#define PROOM_OWN_INVITES \
    "{http://prosody.im/protocol/muc}roomconfig_allowmemberinvites"
const struct proom_field *proom_field(const char *var);
bool proom_truthy(const char *v);
/* The value Prosody's form shows for `f` (NULL: none). */
const char *proom_form_value(struct xp_arena *a, const struct pv *data,
                             const struct proom_field *f);

#endif
