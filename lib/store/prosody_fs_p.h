/*
 * What the two halves of the internal storage backend share
 * (prosody_fs.c reads, prosody_fs_write.c writes).
 */
#ifndef XPORTA_STORE_PROSODY_FS_P_H
#define XPORTA_STORE_PROSODY_FS_P_H

#include <stdio.h>
#include <sys/types.h>

#include "prosody_store.h"

#define TMP_SUFFIX ".xporta-tmp"
#define NEW_SUFFIX ".xporta-new"
#define MAX_DAT (64u << 20) /* one .dat file */

struct pending {
    char *path;  /* the final name */
    char *tmp;   /* what becomes it (NULL: remove `path`) */
    char *store; /* archive stores: the store; else NULL */
    struct xp_strv replaced;
    FILE *newf; /* archive stores: the new items so far */
    char *newpath;
};

struct fs {
    struct pbe base;
    char *dir;
    bool write;
    uid_t uid;
    gid_t gid;
    bool chown;
    /* the user being written */
    char *host, *user;
    struct pending *p;
    size_t np, pcap;
    struct xp_buf buf;
    struct xp_arena ia;
};

/* DATA/HOST/STORE[/USER.EXT] (malloc'd; NULL on exhaustion) */
char *pfs_path_of(const struct fs *f, const char *host, const char *store,
                  const char *user, const char *ext);
/* The system's error for `path`, recorded as the run's. */
xporta_status pfs_sys_fail(struct fs *f, const char *what, const char *path);
/* Reads the .list file `path` item by item into `fn`. */
xporta_status pfs_each_value(struct fs *f, const char *path,
                             xporta_status (*fn)(void *, struct pv *,
                                                 struct xp_arena *),
                             void *ud);

/* the reading half of struct pbe_ops (prosody_fs.c) */
xporta_status pfs_users(struct pbe *b, struct xp_strv *out,
                        struct xp_strv *rejects);
xporta_status pfs_get(struct pbe *b, const char *host, const char *user,
                      const char *store, struct xp_arena *a, struct pv *out,
                      bool *found);
xporta_status pfs_stores(struct pbe *b, const char *host, const char *user,
                         struct xp_strv *out);
xporta_status pfs_items(struct pbe *b, const char *host, const char *user,
                        const char *store, pitem_fn fn, void *ud);
xporta_status pfs_all_stores(struct pbe *b, struct xp_strv *out);
xporta_status pfs_rooms(struct pbe *b, struct xp_strv *out);

/* prosody_fs_write.c: the writing half, the table and pbe_fs_open() */
void pfs_clear_pending(struct fs *f, bool remove_tmp);
xporta_status pfs_begin(struct pbe *b, const char *host, const char *user);
xporta_status pfs_set(struct pbe *b, const char *store, const struct pv *v);
xporta_status pfs_append(struct pbe *b, const char *store,
                         const struct pitem *it, bool replace);
xporta_status pfs_commit(struct pbe *b);
void pfs_rollback(struct pbe *b);

#endif
