/* What prosody_map.c and prosody_map_write.c share. */
#ifndef XPORTA_STORE_PROSODY_MAP_P_H
#define XPORTA_STORE_PROSODY_MAP_P_H

#include "prosody_store.h"

enum pmap_ftype { PF_STR, PF_BOOL, PF_MAX };

/* A node configuration field and its key in Prosody's stored config. */
struct pmap_field {
    const char *var, *key;
    enum pmap_ftype type;
};
extern const struct pmap_field pmap_node_fields[]; /* NULL-terminated */

#endif
