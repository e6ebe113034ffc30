/* --json: the event stream of long commands (cli_events.c; xporta(1),
 * JSON EVENTS).  One object per line on stdout: {"event":"NAME",...}. */
#ifndef XPORTA_CLI_EVENTS_H
#define XPORTA_CLI_EVENTS_H

#include <stdbool.h>
#include <stdio.h>

#include "xporta.h"

enum { CLI_EV_DEPTH = 4 };

struct cli_ev {
    FILE *f;
    unsigned depth;
    bool first[CLI_EV_DEPTH];
};

/* {"event":EVENT ... */
void cli_ev_begin(struct cli_ev *j, FILE *f, const char *event);
/* Members; a NULL string is left out. */
void cli_ev_str(struct cli_ev *j, const char *key, const char *value);
void cli_ev_num(struct cli_ev *j, const char *key, unsigned long long n);
void cli_ev_real(struct cli_ev *j, const char *key, double x);
void cli_ev_bool(struct cli_ev *j, const char *key, bool b);
/* A nested object, until cli_ev_close. */
void cli_ev_open(struct cli_ev *j, const char *key);
void cli_ev_close(struct cli_ev *j);
/* ...} and a newline, flushed. */
void cli_ev_end(struct cli_ev *j);
/* KEY: {kind: {source, add, same, conflict, replace, skip, written,
 * failed}} for the kinds with records: from `c` (an array of
 * XPORTA_KIND_COUNT), or from the job's counts when job is not NULL. */
void cli_ev_counts(struct cli_ev *j, const char *key,
                   const xporta_import_counts *c, bool all_kinds,
                   xporta_job *job);

#endif
