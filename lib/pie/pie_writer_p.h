/*
 * The XEP-0227 writer's private header: the writer's state and the helpers
 * its files share, grouped by the file that defines them (pie_writer.c
 * tells what each file is for).  Only lib/pie/pie_writer*.c include it.
 */
#ifndef XPORTA_PIE_PIE_WRITER_P_H
#define XPORTA_PIE_PIE_WRITER_P_H

#include <string.h>

#include "pie_p.h"

struct pie_half;  /* pie_writer_half.c */
struct pie_ahead; /* pie_writer_half.c */
struct pie_lazy;  /* pie_writer_files.c */

/* A record held back until later in the user (credentials; PEP data and
 * ejabberd's blocklist), in the user's arena. */
struct held {
    xporta_record rec;
    struct held *next;
};

/* A host file (split and ejabberd layouts) whose host may continue in a
 * later input: kept unfinished, without its descriptor, until commit. */
struct parked_host {
    char *jid;
    struct xp_afile file;
    bool secret;
};

struct xporta_pie_writer {
    xporta_dialect dialect;
    unsigned flags;
    struct xp_err err;
    char *path;    /* final path */
    char *workdir; /* directory outputs: built here, renamed at commit */
    bool committed;
    uint64_t bytes;

    struct xp_afile main; /* standard single file; split/ejabberd main */
    struct xp_afile host; /* split and ejabberd: the current host's file */
    struct xp_afile user; /* split and Prosody: the current user's file */
    struct xp_afile *out; /* where the current user's data goes */
    bool main_secret, host_secret, user_secret;

    /* Host files finished but not yet renamed (ejabberd layout). */
    struct xp_afile *done;
    size_t ndone, capdone;
    /* Host files not yet closed: a host met again continues its file. */
    struct parked_host *parked;
    size_t nparked, capparked;

    struct xp_buf buf;
    struct xp_arena arena;      /* per record */
    struct xp_arena user_arena; /* held data of the current user */
    char *host_jid;
    char *user_name;
    xp_elem *user_attrs;
    bool in_host, in_user, user_started;
    struct held *creds, **creds_tail;
    struct held *pep, **pep_tail;
    size_t pep_bytes;
    struct held *blocks, **blocks_tail;
    bool privacy_default_seen;
    struct pie_hold hold; /* Prosody: the user's records by container */

    /* Open containers under <user>. */
    const char *cont_ns;
    const char *cont_name;
    char *items_node;
    /* Containers already closed for this user (Prosody reads only the first
     * of each): bit per kind. */
    uint32_t closed_kinds;
    xporta_kind cont_kind;

    struct xp_set users;   /* user@host written so far: no duplicates */
    bool keep_part;        /* pie_writer_keep_part */
    struct pie_half *half; /* a second half's writer (xporta_pie_writer_fork) */
    struct pie_ahead *ahead; /* xporta_pie_writer_join_ahead */
    struct pie_lazy *lazy;   /* user files not synced yet */

    /* XEP-0519 (pie_writer_room.c): the component and room open, whether
     * the dialect leaves them out, and the namespace in scope for a record
     * written as a child of <user> (XP_NS_PIE) or of a room's <item>. */
    char *comp_jid;
    bool in_component, in_room, comp_skip;
    /* Components are written here (a temporary file beside the main one)
     * and appended to the main file at commit, after every host, as
     * XEP-0227's schema orders them, whatever order the inputs came in. */
    struct xp_afile comps;
    const char *scope3;
    struct xp_set rooms; /* room@component written so far */

    xporta_diag_cb diag;
    void *diag_ud;
};

static inline void pie_w_afile_zero(struct xp_afile *f)
{
    memset(f, 0, sizeof *f);
    f->fd = -1;
}

static inline bool pie_w_afile_is_open(const struct xp_afile *f)
{
    return f->fd >= 0;
}

/* pie_writer.c */
xporta_pie_writer *pie_w_alloc(const char *path, xporta_dialect dialect,
                               unsigned flags);

/* pie_writer_xml.c: output and serialisation. */
const char *pie_w_indent(const xporta_pie_writer *w, int level);
/* Writes w->buf to f and empties it. */
xporta_status pie_w_flush_buf(xporta_pie_writer *w, struct xp_afile *f);
xporta_status pie_w_emit(xporta_pie_writer *w, struct xp_afile *f,
                         const char *fmt, ...) XP_PRINTF(3, 4);
xporta_status pie_w_emit_attr(xporta_pie_writer *w, struct xp_afile *f,
                              const char *name, const char *value);
void pie_w_note(xporta_pie_writer *w, xporta_severity sev, const char *fmt, ...)
    XP_PRINTF(3, 4);
xporta_status pie_w_close_items(xporta_pie_writer *w);
xporta_status pie_w_close_container(xporta_pie_writer *w);
xporta_status pie_w_open_container(xporta_pie_writer *w, xporta_kind kind,
                                   const char *ns, const char *name);
xporta_status pie_w_write_elem(xporta_pie_writer *w, const xp_elem *e,
                               int level, const char *scope_ns);
/* Holds a copy of rec at *tail (in the user's arena). */
xporta_status pie_w_hold(xporta_pie_writer *w, struct held ***tail,
                         const xporta_record *rec);
/* The <user> start tag and the held credentials, once. */
xporta_status pie_w_start_user_tag(xporta_pie_writer *w);
/* A record into its container (opened as needed), straight out. */
xporta_status pie_w_write_now(xporta_pie_writer *w, const xporta_record *rec);

/* pie_writer_dialect.c: what Prosody's and ejabberd's dialects hold until
 * the end of a user. */
xporta_status pie_w_prosody_write(xporta_pie_writer *w,
                                  const xporta_record *rec);
xporta_status pie_w_flush_prosody_groups(xporta_pie_writer *w);
xporta_status pie_w_flush_prosody_pep(xporta_pie_writer *w);
xporta_status pie_w_flush_ejabberd_blocks(xporta_pie_writer *w);

/* pie_writer_files.c: the layouts' files. */
xporta_status pie_w_make_workdir(xporta_pie_writer *w);
/* The current host's own file (split and ejabberd layouts): a parked one
 * continued, or a new one included from the main file. */
xporta_status pie_w_open_host_file(xporta_pie_writer *w, const char *jid);
/* The user's own file (Prosody, split layout), becoming w->out. */
xporta_status pie_w_open_user_file(xporta_pie_writer *w, const char *name);
/* Parks the current host file, to be continued or closed at commit. */
xporta_status pie_w_park_host(xporta_pie_writer *w);
xporta_status pie_w_close_host_file(xporta_pie_writer *w);
xporta_status pie_w_commit_user_file(xporta_pie_writer *w);
/* Takes over the user files b has not synced yet. */
xporta_status pie_w_lazy_take_over(xporta_pie_writer *w, xporta_pie_writer *b);
void pie_w_lazy_free(xporta_pie_writer *w);
xporta_status pie_w_sync_workdir(xporta_pie_writer *w);

/* pie_writer_room.c: components and rooms. */
void pie_w_room_free(xporta_pie_writer *w);
/* At commit, before </server-data>: the components into the main file. */
xporta_status pie_w_append_components(xporta_pie_writer *w);

/* pie_writer_half.c: a second half's writer. */
/* Publishes a second half's complete user file, remembering it. */
xporta_status pie_w_half_publish(xporta_pie_writer *w);
void pie_w_half_release(xporta_pie_writer *w);
void pie_w_drop_ahead(xporta_pie_writer *w);

#endif
