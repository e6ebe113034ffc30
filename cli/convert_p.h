/*
 * xporta convert's state, shared by cmd_convert.c (hosts and users, the two
 * halves) and cmd_convert_room.c (XEP-0519 components and rooms).
 */
#ifndef XPORTA_CLI_CONVERT_P_H
#define XPORTA_CLI_CONVERT_P_H

#include "cli.h"

/* A checker error, held until it is known whether what it concerns is
 * written (a user left out by --users has no say). */
struct held_diag {
    char *file;
    unsigned long line, col;
    char *msg;
};
enum { MAX_HELD = 8 };
struct held_diags {
    struct held_diag d[MAX_HELD];
    unsigned n;
    unsigned long more; /* past MAX_HELD: counted only */
};

struct conv {
    xporta_pie_writer *w;
    xporta_filter *f;
    bool skip_invalid;
    unsigned long invalid;       /* errors in what was to be written */
    struct held_diags held;      /* the checker's errors on the current event */
    struct held_diags host_held; /* ... on the current input host */
    char *host;                  /* host open in the writer */
    char *pending_host; /* seen in the input, begun at its first user */
    bool in_user;
    uint64_t users, records, dropped;
    /* Reading a file on two threads (see the end of this file). */
    unsigned threads;
    xporta_pass *p;
    bool second; /* the second half's: prints nothing, holds what it says */
    bool skip_host;
    /* The user being read is written; the record just read is written
     * (conv_record filters it before the checker sees it: what is checked
     * is what is written), or the filter failed on it. */
    bool keep_user, keep_rec, rec_failed;
    const char *in;
    struct cli_progress *prog, no_progress;
    uint64_t done_before;
    xporta_status join_failed;
    bool big_part; /* the join copies the second half's output */
    /* XEP-0519: inside a component (left out: skip_comp), the room being
     * read is written (keep_room). */
    bool in_comp, skip_comp, keep_room;
};

void drop_held(struct held_diags *h);
int conv_writer_fail(struct conv *c, xporta_pie_reader *r, const char *in);
/* What `xporta check` calls an error, in something to be written: stops
 * the conversion (EXIT_INPUT), or with --skip-invalid is left out with a
 * warning (0). */
int conv_report_invalid(struct conv *c, struct held_diags *h, const char *what,
                        const char *in, struct cli_progress *prog);
/* A component's events (cmd_convert_room.c); `bad`: the checker found an
 * error in this one. */
int conv_component(struct conv *c, xporta_pie_reader *r, xporta_pie_event ev,
                   bool bad);

#endif
