/* xporta convert: XEP-0519 components and their rooms.
 *
 * A component ends the host open in the writer (it is written after the
 * hosts) and is renamed with its host: conference.OLD becomes conference.NEW
 * when OLD is renamed to NEW, from then on in every JID of its rooms'
 * records too (xporta_filter_rename_component).  Rooms go through the same
 * filter and checker as users' records; --skip-invalid leaves out a
 * component, a room or a record that `xporta check` calls invalid. */
#include <stdlib.h>
#include <string.h>

#include "convert_p.h"

static int begin_component(struct conv *c, xporta_pie_reader *r, bool bad)
{
    const char *to;
    free(c->pending_host); /* a host without users stays out, as before */
    c->pending_host = NULL;
    if (c->host) {
        if (xporta_pie_writer_end_host(c->w) != XPORTA_OK)
            return conv_writer_fail(c, r, c->in);
        free(c->host);
        c->host = NULL;
    }
    c->in_comp = true;
    c->skip_comp = false;
    if (bad) {
        c->skip_comp = true;
        return conv_report_invalid(c, &c->held, "component with its rooms",
                                   c->in, c->prog);
    }
    const char *jid = xporta_pie_reader_component(r);
    bool own = strcmp(xporta_filter_host(c->f, jid), jid) != 0;
    if (xporta_filter_rename_component(c->f, jid, &to) != XPORTA_OK) {
        cli_error("%s", xporta_filter_error(c->f));
        return EXIT_INTERNAL;
    }
    if (!own && strcmp(to, jid) != 0 && cli_verbose >= 0) {
        cli_progress_end(c->prog);
        cli_note("component %s renamed to %s with its host; the users' JIDs "
                 "of it before it in %s were not (--rename-host %s=%s renames "
                 "them too)",
                 jid, to, c->in, jid, to);
    }
    if (xporta_pie_writer_begin_component(
            c->w, to, xporta_pie_reader_component_type(r)) != XPORTA_OK)
        return conv_writer_fail(c, r, c->in);
    return 0;
}

int conv_component(struct conv *c, xporta_pie_reader *r, xporta_pie_event ev,
                   bool bad)
{
    int rc = 0;
    switch (ev) {
    case XPORTA_PIE_COMPONENT:
        return begin_component(c, r, bad);
    case XPORTA_PIE_ROOM:
        c->keep_room = false;
        if (c->skip_comp)
            break;
        if (bad)
            return conv_report_invalid(c, &c->held, "room", c->in, c->prog);
        c->keep_room = true;
        if (xporta_pie_writer_begin_room(c->w, xporta_pie_reader_room(r),
                                         xporta_pie_reader_room_elem(r)) !=
            XPORTA_OK)
            return conv_writer_fail(c, r, c->in);
        break;
    case XPORTA_PIE_ROOM_RECORD:
        if (!c->keep_room)
            break;
        if (c->rec_failed) {
            cli_error("%s", xporta_filter_error(c->f));
            return EXIT_INTERNAL;
        }
        if (!c->keep_rec) {
            c->dropped++;
            break;
        }
        if (bad)
            return conv_report_invalid(c, &c->held, "record", c->in, c->prog);
        if (xporta_pie_writer_write_room(c->w, xporta_pie_reader_record(r)) !=
            XPORTA_OK)
            return conv_writer_fail(c, r, c->in);
        c->records++;
        break;
    case XPORTA_PIE_ROOM_END:
        if (c->keep_room && xporta_pie_writer_end_room(c->w) != XPORTA_OK)
            rc = conv_writer_fail(c, r, c->in);
        c->keep_room = false;
        break;
    case XPORTA_PIE_COMPONENT_END:
        if (!c->skip_comp && xporta_pie_writer_end_component(c->w) != XPORTA_OK)
            rc = conv_writer_fail(c, r, c->in);
        c->in_comp = c->skip_comp = false;
        break;
    default:
        break;
    }
    return rc;
}
