/*
 * ejabberd's Mnesia tables as text for `ejabberdctl load` (mnesia:
 * load_textfile): what the writer (ejd_mnesia_write.c) and the store driver
 * (store_ejabberd_mnesia.c) share.
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

#endif
