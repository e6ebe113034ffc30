/* --json: one JSON object per line on stdout for each event of a long
 * command (xporta(1), JSON EVENTS).  Scripts (and, later, xporta serve's
 * page) read the same stream.  Strings go through cli_json_str. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_events.h"

void cli_ev_begin(struct cli_ev *j, FILE *f, const char *event)
{
    j->f = f;
    j->depth = 0;
    j->first[0] = false;
    fputs("{\"event\":", f);
    cli_json_str(f, event);
}

/* The separator and the key of the next member. */
static void key(struct cli_ev *j, const char *k)
{
    if (!j->first[j->depth])
        fputc(',', j->f);
    j->first[j->depth] = false;
    cli_json_str(j->f, k);
    fputc(':', j->f);
}

void cli_ev_str(struct cli_ev *j, const char *k, const char *value)
{
    if (!value)
        return;
    key(j, k);
    cli_json_str(j->f, value);
}

void cli_ev_num(struct cli_ev *j, const char *k, unsigned long long n)
{
    key(j, k);
    fprintf(j->f, "%llu", n);
}

void cli_ev_real(struct cli_ev *j, const char *k, double x)
{
    key(j, k);
    fprintf(j->f, "%.3f", x);
}

void cli_ev_bool(struct cli_ev *j, const char *k, bool b)
{
    key(j, k);
    fputs(b ? "true" : "false", j->f);
}

void cli_ev_open(struct cli_ev *j, const char *k)
{
    if (j->depth + 1 >= CLI_EV_DEPTH)
        return;
    key(j, k);
    fputc('{', j->f);
    j->first[++j->depth] = true;
}

void cli_ev_close(struct cli_ev *j)
{
    if (j->depth) {
        fputc('}', j->f);
        j->depth--;
    }
}

void cli_ev_end(struct cli_ev *j)
{
    while (j->depth)
        cli_ev_close(j);
    fputs("}\n", j->f);
    fflush(j->f);
}

void cli_ev_counts(struct cli_ev *j, const char *key,
                   const xporta_import_counts *c, bool all_kinds,
                   xporta_job *job)
{
    cli_ev_open(j, key);
    for (int k = 0; k < XPORTA_KIND_COUNT; k++) {
        xporta_import_counts one;
        if (job)
            xporta_job_import_counts(job, (xporta_kind)k, &one);
        else
            one = c[k];
        if (!one.source && !all_kinds)
            continue;
        cli_ev_open(j, xporta_kind_name((xporta_kind)k));
        cli_ev_num(j, "source", one.source);
        cli_ev_num(j, "add", one.add);
        cli_ev_num(j, "same", one.same);
        cli_ev_num(j, "conflict", one.conflict);
        cli_ev_num(j, "replace", one.replace);
        cli_ev_num(j, "skip", one.skip + one.not_restorable);
        cli_ev_num(j, "written", one.written);
        cli_ev_num(j, "failed", one.failed);
        cli_ev_close(j);
    }
    cli_ev_close(j);
}
