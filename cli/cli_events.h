/* --json: the library's job event stream on stdout (cli_events.c;
 * xporta(1), JSON EVENTS). */
#ifndef XPORTA_CLI_EVENTS_H
#define XPORTA_CLI_EVENTS_H

#include "xporta.h"

/* The help line every long command shows for --json. */
#define CLI_JSON_HELP                                                         \
    "  --json                  events as JSON on standard output, one\n"      \
    "                          object per line (start first, summary last;\n" \
    "                          xporta(1), JSON EVENTS); errors still go to\n" \
    "                          standard error, the exit status is the same\n"

/* What --json writes, for --help: the events a command emits (each
 * command strings together the lines that apply to it). */
#define CLI_EV_HEAD                                                       \
    "JSON events (--json): one object per line, each with \"v\": 1 and\n" \
    "\"event\"; xporta(1), JSON EVENTS, documents every field:\n"
#define CLI_EV_START                                                        \
    "  start     command, dry_run, and as the command has them: account,\n" \
    "            target, file, source, store, room, new_room\n"
#define CLI_EV_PROGRESS                                                      \
    "  progress  step, phase, kind, done, total, fraction, rate, elapsed,\n" \
    "            message (a few a second at most)\n"
#define CLI_EV_ITEM                                                         \
    "  item      a record of the plan or a verify problem: action (add,\n"  \
    "            replace, same, conflict, skip, missing, differs), kind,\n" \
    "            key, id, why\n"
#define CLI_EV_REFUSED \
    "  refused   a write the target refused: kind, key, id, why\n"
#define CLI_EV_ACCOUNT                                                   \
    "  account   per account: jid, ok, why, kinds {KIND: source, add,\n" \
    "            same, conflict, replace, skip, written, failed}\n"
#define CLI_EV_CONTACT                                                         \
    "  contact   per contact: jid, outcome (moved, asked, already, skipped,\n" \
    "            earlier, bounced, again, approved, followed, left), why\n"
#define CLI_EV_ROOM                                                         \
    "  room      per room: room, affiliation, outcome (granted, partial,\n" \
    "            already, ask, notified, refused, none, unreachable,\n"     \
    "            planned, earlier), owners, why\n"
#define CLI_EV_NOTE "  note      what, detail: a line of what was done\n"
#define CLI_EV_SUMMARY                                                        \
    "  summary   the last line, whatever happened: command, ok, exit (the\n"  \
    "            exit status), status (its name), error, dry_run, resumed,\n" \
    "            seconds, state_dir, kinds {KIND: state, count, note"
/* The summary's other members, per command (close the line). */
#define CLI_EV_SUMMARY_PLAN                                                 \
    ",\n            source, add, same, conflict, replace, skip, written,\n" \
    "            failed; after a verify also verified, kept, missing,\n"    \
    "            differs, target_only}, verified\n"
#define CLI_EV_SUMMARY_END "},\n"
#define CLI_EV_SUMMARY_SERVER                                                  \
    ",\n            source, add, same, conflict, replace, skip, written,\n"    \
    "            failed}, accounts, accounts_failed, accounts_earlier (done\n" \
    "            by an interrupted run), rooms, rooms_failed, rooms_earlier\n"
#define CLI_EV_SUMMARY_CONTACTS                                        \
    "            contacts {moved, asked, already, skipped, earlier,\n" \
    "            bounced, approved, followed, left}\n"
#define CLI_EV_SUMMARY_ROOMS                                                \
    "            room_outcomes {rooms, granted, partial, already, ask,\n"   \
    "            notified, refused, none, unreachable, planned, earlier,\n" \
    "            services, not_looked}\n"

/* From now on stdout carries the job's events, one JSON object a line,
 * and nothing else; the human report is silenced (errors remain on
 * stderr). */
void cli_events_on(xporta_job *job);

#endif
