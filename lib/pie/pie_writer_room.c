/*
 * The writer's XEP-0519 components: after the hosts,
 *
 *   <component xmlns='urn:xmpp:pie:0#component' jid='conference.HOST'
 *              type='muc'>
 *     <item xmlns='urn:xmpp:pie:0#component' name='ROOM'>
 *       <query xmlns='http://jabber.org/protocol/muc#owner'> the config form
 *       <x xmlns='http://jabber.org/protocol/muc#user'> the affiliations
 *       <message xmlns='jabber:client'> the subject
 *       <archive xmlns='urn:xmpp:pie:0#mam'> the history, oldest first
 *     </item>
 *   </component>
 *
 * A room is written as a user is, one level for one level (the containers
 * come from the kinds' table, pie_w_write_now), into a temporary file that
 * commit appends to the main file of the layout after every host: inputs
 * merged by convert may bring hosts after components, and XEP-0227's schema
 * wants the hosts first.  Each <item> declares its namespace again: the Snikket
 * SDK's importer loses its namespace context after an archived message and
 * would miss a second room that only inherits it (docs/research/xep0519.md,
 * R2).
 *
 * Prosody's dialect is one document per user and has no place for a
 * component; ejabberd's import_piefxis (ejabberd_piefxis.erl, process_el)
 * stops the import with "Unexpected tag" at any element between hosts of
 * its main file that is not a host or an include.  Both leave components
 * out with a warning.
 */
#include <stdlib.h>
#include <string.h>

#include "pie_p.h"
#include "pie_writer_p.h"

void pie_w_room_free(xporta_pie_writer *w)
{
    xp_afile_abort(&w->comps);
    free(w->comp_jid);
    w->comp_jid = NULL;
    xp_set_cleanup(&w->rooms);
}

xporta_status pie_w_append_components(xporta_pie_writer *w)
{
    if (!pie_w_afile_is_open(&w->comps))
        return XPORTA_OK;
    xporta_status st = xp_afile_append(&w->main, &w->comps, 0, &w->err);
    xp_afile_abort(&w->comps);
    return st;
}

static xporta_status ok_here(xporta_pie_writer *w)
{
    if (!w)
        return XPORTA_EINVAL;
    if (w->committed)
        return xp_fail(&w->err, XPORTA_EINVAL, "writer already committed");
    return w->err.status;
}

xporta_status xporta_pie_writer_begin_component(xporta_pie_writer *w,
                                                const char *jid,
                                                const char *type)
{
    xporta_status st = ok_here(w);
    if (st != XPORTA_OK)
        return st;
    if (!jid || w->in_host || w->in_user || w->in_component)
        return xp_fail(&w->err, XPORTA_EINVAL, "component %s begun inside a %s",
                       jid ? jid : "", w->in_component ? "component" : "host");
    free(w->comp_jid);
    w->comp_jid = xp_strdup(jid);
    if (!w->comp_jid)
        return xp_fail(&w->err, XPORTA_ENOMEM, "out of memory");
    w->in_component = true;
    w->comp_skip = false;
    if (w->dialect != XPORTA_DIALECT_STANDARD) {
        w->comp_skip = true;
        pie_w_note(w, XPORTA_WARNING, "component %s left out: %s", jid,
                   w->dialect == XPORTA_DIALECT_PROSODY
                       ? "Prosody's layout (a document per user) has no "
                         "place for XEP-0519 components"
                       : "ejabberd's import_piefxis stops at an element "
                         "other than <host> in its main file");
        return XPORTA_OK;
    }
    if (!pie_w_afile_is_open(&w->comps)) {
        st = xp_afile_open(&w->comps, w->main.path, &w->err);
        if (st != XPORTA_OK)
            return st;
    }
    st =
        pie_w_emit(w, &w->comps, "%s<component xmlns='" XP_NS_PIE_COMPONENT "'",
                   pie_w_indent(w, 1));
    if (st == XPORTA_OK)
        st = pie_w_emit_attr(w, &w->comps, "jid", jid);
    if (st == XPORTA_OK && type && *type)
        st = pie_w_emit_attr(w, &w->comps, "type", type);
    return st == XPORTA_OK ? pie_w_emit(w, &w->comps, ">") : st;
}

xporta_status xporta_pie_writer_begin_room(xporta_pie_writer *w,
                                           const char *name,
                                           const xporta_elem *item)
{
    xporta_status st = ok_here(w);
    if (st != XPORTA_OK)
        return st;
    if (!name || !w->in_component || w->in_room)
        return xp_fail(&w->err, XPORTA_EINVAL, "room %s outside a component",
                       name ? name : "(unnamed)");
    int fresh = xp_set_add(&w->rooms, xp_key_hash(name, w->comp_jid) ^
                                          0x9e3779b97f4a7c15ull);
    if (fresh == 0)
        return xp_fail(&w->err, XPORTA_EINVAL,
                       "room %s@%s would be written twice (it is in more than "
                       "one input?)",
                       name, w->comp_jid);
    if (fresh < 0)
        return xp_fail(&w->err, XPORTA_ENOMEM, "out of memory");
    w->in_room = true;
    if (w->comp_skip)
        return XPORTA_OK;
    w->out = &w->comps;
    w->scope3 = XP_NS_PIE_COMPONENT;
    w->closed_kinds = 0;
    xp_arena_reset(&w->user_arena);
    w->user_name = xp_arena_strdup(&w->user_arena, name);
    if (!w->user_name)
        return xp_fail(&w->err, XPORTA_ENOMEM, "out of memory");
    st = pie_w_emit(w, w->out, "%s<item xmlns='" XP_NS_PIE_COMPONENT "'",
                    pie_w_indent(w, 2));
    if (st == XPORTA_OK)
        st = pie_w_emit_attr(w, w->out, "name", name);
    for (unsigned i = 0; st == XPORTA_OK && item && i < item->nattrs; i++) {
        const struct xp_attr *a = &item->attrs[i];
        if (a->ns[0] != '\0') {
            pie_w_note(w, XPORTA_WARNING,
                       "room %s@%s: attribute {%s}%s left out", name,
                       w->comp_jid, a->ns, a->name);
            continue;
        }
        if (strcmp(a->name, "name") != 0)
            st = pie_w_emit_attr(w, w->out, a->name, a->value);
    }
    return st == XPORTA_OK ? pie_w_emit(w, w->out, ">") : st;
}

xporta_status xporta_pie_writer_write_room(xporta_pie_writer *w,
                                           const xporta_record *rec)
{
    xporta_status st = ok_here(w);
    if (st != XPORTA_OK)
        return st;
    if (!rec || !rec->payload || (unsigned)rec->kind >= XPORTA_KIND_COUNT)
        return xp_fail(&w->err, XPORTA_EINVAL, "invalid record");
    if (!w->in_room)
        return xp_fail(&w->err, XPORTA_EINVAL, "%s record outside a room",
                       xporta_kind_name(rec->kind));
    switch (rec->kind) {
    case XPORTA_KIND_ROOM_CONFIG:
    case XPORTA_KIND_ROOM_AFFILIATION:
    case XPORTA_KIND_ROOM_SUBJECT:
    case XPORTA_KIND_VCARD:
    case XPORTA_KIND_ARCHIVE:
    case XPORTA_KIND_OTHER:
        break;
    default:
        return xp_fail(&w->err, XPORTA_EINVAL, "%s record in a room",
                       xporta_kind_name(rec->kind));
    }
    if (w->comp_skip)
        return XPORTA_OK;
    if (rec->kind == XPORTA_KIND_ROOM_CONFIG) {
        /* A room's password makes the file a secret, as credentials do. */
        for (const xp_elem *f = xp_elem_first_element(rec->payload); f;
             f = xp_elem_next_element(f))
            if (xp_streq(xp_elem_attr_ns(f, "", "var"),
                         "muc#roomconfig_roomsecret") &&
                *xp_elem_text(f))
                w->main_secret = true;
    }
    xp_arena_reset(&w->arena);
    return pie_w_write_now(w, rec);
}

xporta_status xporta_pie_writer_end_room(xporta_pie_writer *w)
{
    xporta_status st = ok_here(w);
    if (st != XPORTA_OK)
        return st;
    if (!w->in_room)
        return xp_fail(&w->err, XPORTA_EINVAL, "end of a room never begun");
    w->in_room = false;
    if (w->comp_skip)
        return XPORTA_OK;
    st = pie_w_close_container(w);
    if (st == XPORTA_OK)
        st = pie_w_emit(w, w->out, "%s</item>", pie_w_indent(w, 2));
    w->scope3 = XP_NS_PIE;
    w->user_name = NULL;
    xp_arena_reset(&w->user_arena);
    return st;
}

xporta_status xporta_pie_writer_end_component(xporta_pie_writer *w)
{
    xporta_status st = ok_here(w);
    if (st != XPORTA_OK)
        return st;
    if (!w->in_component || w->in_room)
        return xp_fail(&w->err, XPORTA_EINVAL,
                       "end of a component never begun");
    w->in_component = false;
    if (w->comp_skip) {
        w->comp_skip = false;
        return XPORTA_OK;
    }
    return pie_w_emit(w, &w->comps, "%s</component>", pie_w_indent(w, 1));
}
