/* --json: one JSON object per line on stdout for each event of a long
 * command (xporta(1), JSON EVENTS).  The library writes the objects
 * (xporta_job_set_event_cb), the same ones xporta serve reads; the CLI only
 * puts them on stdout. */
#include <stdio.h>

#include "cli.h"
#include "cli_events.h"

static void on_event(void *ud, const char *line, size_t len)
{
    FILE *f = ud;
    fwrite(line, 1, len, f);
    fputc('\n', f);
    fflush(f); /* a reader sees each event as it happens */
}

void cli_events_on(xporta_job *job)
{
    cli_verbose = -1; /* stderr keeps the errors only */
    xporta_job_set_event_cb(job, on_event, stdout);
}
