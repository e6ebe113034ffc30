/*
 * The checker's state and the helpers its files share (pie_check.c: users,
 * pie_check_room.c: XEP-0519 components and rooms).
 */
#ifndef XPORTA_PIE_PIE_CHECK_P_H
#define XPORTA_PIE_PIE_CHECK_P_H

#include "pie_p.h"

enum { MAX_ARCHIVE_IDS = 2 * 1000 * 1000, JID_MEMO = 128, JID_MEMO_LEN = 96 };

struct xporta_checker {
    xporta_diag_cb cb;
    void *ud;
    unsigned long errors, warnings;
    struct xp_set hosts;     /* host JIDs */
    struct xp_set users;     /* users (name and host) seen */
    struct xp_set keys;      /* (kind, key, id) of the current user */
    struct xp_set archive;   /* archive ids of the current user */
    struct xp_set pep_conf;  /* configured nodes of the current user */
    struct xp_set pep_items; /* nodes with items of the current user */
    bool archive_capped;
    struct xp_arena scratch;
    /* JIDs found valid, by hash (a slot keeps the last one that fell in
     * it): an archive names the same few JIDs over and over, and validating
     * each again is the checker's largest cost. */
    struct {
        size_t len1; /* length + 1; 0 = empty slot */
        char jid[JID_MEMO_LEN];
    } valid_jid[JID_MEMO];
    unsigned jid_turn;
    char *host;
    char *user;
    const xporta_filter *filter; /* hosts checked as it renames them */
    /* First place a node had items without configuration: reported at the
     * end of the user. */
    struct {
        char *node;
        char *file;
        unsigned long line, col;
    } orphan[16];
    unsigned norphan;
    /* XEP-0519 (pie_check_room.c). */
    struct xp_set components; /* component JIDs */
    struct xp_set rooms;      /* (room, component) seen */
    char *component;          /* as checked (renamed by the filter) */
    bool in_room;
    char last_stamp[40]; /* the room's last archived <delay stamp>, sortable */
};

#define AT(rec) (rec)->file, (rec)->line, (rec)->col

void pie_ck_report(xporta_checker *c, xporta_severity sev, const char *file,
                   unsigned long line, unsigned long col, const char *fmt, ...)
    XP_PRINTF(6, 7);
void pie_ck_jid_attr(xporta_checker *c, const xporta_record *rec,
                     const char *what, const char *jid, bool bare);
bool pie_ck_oneof(const char *v, const char *const *set);
void pie_ck_archive(xporta_checker *c, const xporta_record *rec);
void pie_ck_unique(xporta_checker *c, const xporta_record *rec,
                   const char *what);

/* pie_check_room.c: the events of components and rooms. */
void pie_ck_room_event(xporta_checker *c, xporta_pie_reader *r,
                       xporta_pie_event ev);
void pie_ck_room_init(xporta_checker *c);
void pie_ck_room_free(xporta_checker *c);

#endif
