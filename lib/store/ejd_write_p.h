/* What ejd_write.c (the account, roster, credentials, commit) and
 * ejd_write_kinds.c (the other kinds) share. */
#ifndef XPORTA_STORE_EJD_WRITE_P_H
#define XPORTA_STORE_EJD_WRITE_P_H

#include "ejd_map_p.h"

struct contact {
    char *jid;
    char *nick, *askmessage;
    char sub;      /* B T F N */
    bool out, in;  /* pending out, pending in */
    char **groups; /* NULL-terminated */
    bool dirty;
    bool stored; /* rows of it were in the database (rosterusers or
                  * rostergroups): deleted before it is written */
    struct contact *next;
};

struct ejd_w {
    struct ejd *e;
    char *host, *user, *jid;
    struct xp_arena a;
    struct xp_buf buf;
    /* the roster as read (when a record first needs it) and changed */
    bool roster_loaded;
    struct contact *contacts;
    /* blocklist records, applied at commit */
    struct xp_strv blocks;
    /* credentials */
    char *plain;
    const char *scram_mech;
    char *scram[4]; /* stored (with its prefix), server, salt, iterations */
    /* the archive: the last timestamp written; whether rows were there */
    long long last_ts;
    int archive_state; /* 0 unknown, 1 empty before, 2 had rows */
    bool bulk;         /* archive rows are going in bulk */
    /* PEP: the node whose id is known; item times */
    char *node, *nodeid;
    long long item_ts;
};

/* Before any other statement: the bulk of archive rows ends. */
static inline xporta_status ejw_settle(struct ejd_w *w)
{
    if (!w->bulk)
        return XPORTA_OK;
    w->bulk = false;
    return w->e->db->ops->bulk_end(w->e->db);
}

static inline xporta_status ejw_oom(struct ejd_w *w)
{
    return xp_fail(&w->e->run->err, XPORTA_ENOMEM, "out of memory");
}

static inline xporta_status ejw_run(struct ejd_w *w, int q, int n,
                                    const char *const *v, esql_row_fn fn,
                                    void *ud)
{
    xporta_status st = ejw_settle(w);
    return st ? st : ejd_q(w->e, q, w->host, n, v, fn, ud);
}

/* The element as XML text in w->buf, NUL-terminated (its own namespace
 * declared). */
xporta_status ejw_text(struct ejd_w *w, const xp_elem *e);

/* ejd_write_kinds.c */
xporta_status ejw_vcard(struct ejd_w *w, const xp_elem *p);
xporta_status ejw_private(struct ejd_w *w, const xp_elem *p);
xporta_status ejw_privacy(struct ejd_w *w, const xp_elem *p);
xporta_status ejw_blocks(struct ejd_w *w); /* at commit */
xporta_status ejw_offline(struct ejd_w *w, const xp_elem *p);
xporta_status ejw_archive(struct ejd_w *w, const xporta_record *rec,
                          bool replace, const char **why);
/* Whether the archive holds the message under the id it was given. */
bool ejw_archive_holds(struct ejd_w *w, const xporta_record *rec);
xporta_status ejw_prefs(struct ejd_w *w, const xp_elem *p);
xporta_status ejw_pep(struct ejd_w *w, const xporta_record *rec, bool replace,
                      const char **why);

#endif
