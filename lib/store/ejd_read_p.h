/*
 * What the parts of the reader of ejabberd's SQL storage share: the state
 * of one account being read (ejd_read.c: the account and its kinds;
 * ejd_read_pep.c: PEP) and the helpers every table's rows go through
 * (ejd_read_util.c: naming a bad row, building a record, parsing XML).
 */
#ifndef XPORTA_STORE_EJD_READ_P_H
#define XPORTA_STORE_EJD_READ_P_H

#include "ejd_map_p.h"

struct rd {
    struct ejd *e;
    const char *host, *user, *jid;
    uint32_t kinds;
    const struct store_sink *sink;
    struct xp_arena a;  /* what is gathered for the table being read */
    struct xp_arena ra; /* the record being built */
    const char *table;  /* for messages */
    unsigned long seq;  /* offline messages: 1, 2, ... */
    /* rostergroups: (jid, group) pairs in jid order */
    struct group {
        const char *jid, *grp;
    } * groups;
    size_t ngroups, capgroups;
    /* privacy lists as read: the list being built */
    xp_elem *list;
    const char *list_name, *def;
    bool list_is_blocklist;
    /* PEP */
    const char *node, *nodeid;
    xp_elem *form, *affs, *subs;
};

/* ejd_read_util.c */
bool rd_wants(const struct rd *r, xporta_kind k);
xporta_status rd_oom(struct rd *r);
/* A row ejabberd could not have written: its table, the row by its key,
 * the account (and node). */
xporta_status rd_bad(struct rd *r, const struct esql_row *row,
                     const char *what);
xporta_status rd_emit(struct rd *r, xporta_kind kind, xp_elem *payload,
                      const char *key);
const char *rd_col(const struct esql_row *row, int i);
/* XML text of a column as an element (`ns` for one without xmlns). */
xporta_status rd_parse(struct rd *r, const struct esql_row *row, int i,
                       const char *ns, xp_elem **out);
xporta_status rd_q(struct rd *r, int qid, const char *table, int n,
                   const char *const *vals, esql_row_fn fn);
xporta_status rd_q_user(struct rd *r, int qid, const char *table,
                        esql_row_fn fn);

/* ejd_read_pep.c: the account's PEP nodes. */
xporta_status rd_pep(struct rd *r);

#endif
