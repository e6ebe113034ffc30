/*
 * ejabberd's Mnesia tables as text for `ejabberdctl load` (mnesia:
 * load_textfile): what the writer (ejd_mnesia_term.c, ejd_mnesia_write.c,
 * ejd_mnesia_pep.c) and the store driver (store_ejabberd_mnesia.c,
 * store_ejabberd_mnesia_load.c) share, then what the files of each share
 * among themselves.
 *
 * A file is a header, {tables, [{Tab, [{record_name, Tab}, {attributes,
 * [...]}]}, ...]}, then one record per line, each `{Tab, Field, ...}.`,
 * with the arity and field order of ejabberd 23.01's records (docs/research/
 * ejabberd-mnesia.md §2.4).  Binaries hold the raw UTF-8 bytes (the file is
 * read as latin1, one byte per character), with `"`, `\` and control bytes
 * escaped (et_bin).  XML is fxml's {xmlel, Name, Attrs, Children} /
 * {xmlcdata, Text}, a namespace as an xmlns attribute where it differs
 * from the parent's.
 *
 * PEP node indexes (nidx) come from ejabberd's live pubsub_index counter,
 * read only when a batch is about to be loaded: until then a node's index
 * is written as a marker, MN_NIDX_MARK, the node's number in the batch,
 * MN_NIDX_MARK (a byte et_bin never lets through raw), replaced by
 * counter + number at load time.
 */
#ifndef XPORTA_STORE_EJD_MNESIA_P_H
#define XPORTA_STORE_EJD_MNESIA_P_H

#include <sys/types.h>

#include "store.h"

#define MN_NIDX_MARK '\001'

/* The most text an account or a batch may take (an account with a larger
 * archive is refused: import it into ejabberd on SQL). */
#define MN_BUF_MAX ((size_t)1 << 30)

enum mn_table {
    MT_PASSWD,
    MT_ROSTER,
    MT_VCARD,
    MT_VCARD_SEARCH,
    MT_PRIVATE,
    MT_PRIVACY,
    MT_OFFLINE,
    MT_ARCHIVE,
    MT_PREFS,
    MT_PUBSUB_INDEX,
    MT_PUBSUB_NODE,
    MT_PUBSUB_STATE,
    MT_PUBSUB_ITEM,
    MT_COUNT
};

struct mn_table_def {
    const char *name;
    const char *attributes; /* comma-separated, in record order */
};
extern const struct mn_table_def mn_tables[MT_COUNT];

/* The tables that a kind's records go to (a mask of 1 << MT_*). */
uint32_t mn_kind_tables(xporta_kind k);

/* Writes the header naming the tables of `mask`. */
xporta_status mn_header(struct xp_buf *b, uint32_t mask);

/* One account's records, formed as they come and written out whole. */
struct mnw;
/* `node_base`: PEP nodes of the batch before this account (its nodes are
 * numbered from node_base + 1). */
xporta_status mnw_begin(struct mnw **out, const char *host, const char *user,
                        unsigned node_base, struct xp_run *run);
/* XPORTA_EUNSUPPORTED with *why: the record is refused, the others go on. */
xporta_status mnw_record(struct mnw *w, const xporta_record *rec,
                         const char **why);
/* Appends the account's records to `out`; *tables |= the tables used,
 * *nodes += its PEP nodes, *archive_rows += its archived messages. */
xporta_status mnw_finish(struct mnw *w, struct xp_buf *out, uint32_t *tables,
                         unsigned *nodes, uint64_t *archive_rows);
/* Bytes of text the account has so far. */
size_t mnw_size(const struct mnw *w);
void mnw_free(struct mnw *w);

/* ---- inside the writer ------------------------------------------------------
 * ejd_mnesia_term.c: the terms; ejd_mnesia_write.c: the account and the
 * records of each kind; ejd_mnesia_pep.c: PEP.  Calls go write -> pep ->
 * term, write -> term, never back.
 */

struct mn_contact; /* ejd_mnesia_write.c's */
struct mn_list;    /* ejd_mnesia_write.c's */
struct mn_node;    /* ejd_mnesia_pep.c's */

struct mnw {
    struct xp_run *run;
    char *user, *host, *luser, *lhost, *jid;
    struct xp_arena a;  /* the account's */
    struct xp_arena ta; /* one record's */
    struct xp_buf out;  /* the records written so far */
    struct xp_buf tmp;
    uint32_t tables;
    /* credentials */
    char *plain;
    char *scram[4]; /* stored, server, salt, iterations */
    const char *hash;
    /* the roster */
    struct mn_contact *contacts;
    /* privacy */
    struct mn_list *lists;
    char *default_list;
    struct xp_strv blocks;
    /* PEP */
    struct mn_node *nodes, *last_node;
    unsigned node_base, nnodes;
    long long item_ts;
    /* the archive: the microseconds taken */
    struct xp_set stamps;
    uint64_t archive_rows;
};

/* ejd_mnesia_term.c */
xporta_status mnw_oom(struct mnw *w);
char *mnw_lower_dup(struct xp_arena *a, const char *s, size_t n);
long long mnw_now_us(void);
xporta_status mnw_bin(struct xp_buf *b, const char *s);
xporta_status mnw_binn(struct xp_buf *b, const char *s, size_t n);
xporta_status mnw_us(struct mnw *w, struct xp_buf *b);
xporta_status mnw_ljid(struct mnw *w, struct xp_buf *b, const char *jid,
                       bool bare);
xporta_status mnw_jid_rec(struct mnw *w, struct xp_buf *b, const char *jid);
xporta_status mnw_now_term(struct xp_buf *b, long long us);
xporta_status mnw_xml(struct xp_buf *b, const xp_elem *e, const char *parent_ns,
                      unsigned depth);
xporta_status mnw_end_rec(struct mnw *w, enum mn_table t, xporta_status st);

/* ejd_mnesia_pep.c: the records of each PEP kind; the account's nodes
 * written at its end; what they hold freed. */
xporta_status mnw_pep_node(struct mnw *w, const xp_elem *p);
xporta_status mnw_pep_states(struct mnw *w, const xp_elem *p, bool affs);
xporta_status mnw_pep_item(struct mnw *w, const xporta_record *rec);
xporta_status mnw_pep_write(struct mnw *w);
void mnw_pep_free(struct mnw *w);

/* ---- inside the store driver ------------------------------------------------
 * store_ejabberd_mnesia.c: the driver's calls; store_ejabberd_mnesia_load.c:
 * the checks before the first account, loading a batch.  Calls go from the
 * first to the second, never back.
 */

#define MN_CTL_TIMEOUT 120 /* seconds: status, mnesia_info, dump_table */

struct ejd_ctl_out; /* ejd_ctl.h */

struct confirm {
    xporta_kind kind;
    const char *key, *id;
    struct confirm *next;
};

struct mstore {
    struct store base;
    char *ctl;
    char *host, *user; /* selected */
    bool checked;
    const char *refused[XPORTA_KIND_COUNT]; /* kinds left out, why */
    char why[XPORTA_KIND_COUNT][200];
    long long archive_bytes; /* archive_msg on disc */
    uint64_t archive_rows;   /* planned in this run */
    char *dir;               /* for the files, the node's */
    uid_t dir_uid;
    gid_t dir_gid;
    /* the account being written */
    struct mnw *w;
    store_done_fn done;
    void *done_ud;
    struct confirm *afirst, *alast;
    /* the batch */
    struct xp_buf batch;
    uint32_t tables;
    unsigned nodes;
    size_t accounts;
    struct xp_arena ca; /* confirmations */
    struct confirm *first, *last;
    unsigned files;
    bool loaded; /* since the last clear_cache */
    char note[512];
    /* accounts ejabberd had before this run (registered_users, per host
     * as it comes): their offline messages and PEP nodes are not loaded
     * again, since what is there is not read (duplicates otherwise) */
    struct xp_strv hosts_asked;
    struct xp_set had;
    bool existing; /* the account being written is one of them */
};

/* The store being written (skip() knows no store; one per process). */
extern struct mstore *mnw_store_current;

/* Adds `text` to the run's note (once). */
void mnw_store_note(struct mstore *s, const char *text);
/* Runs `ejabberdctl ARGS` (ejd_ctl_run); the output is the caller's
 * (ejd_ctl_out_free). */
xporta_status mnw_store_ctl(struct mstore *s, const char *const *args,
                            unsigned timeout, struct ejd_ctl_out *out);
/* The checks before the first account, once. */
xporta_status mnw_store_check(struct mstore *s);
/* The driver's flush(): the batch loaded, its records confirmed. */
xporta_status mnw_store_flush(struct store *st);

#endif
