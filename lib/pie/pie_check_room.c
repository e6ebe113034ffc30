/*
 * Validation of XEP-0519 components and their rooms (`xporta check`).
 *
 * A component's jid is a domain and appears once; its type is from XEP-0519's
 * registry (muc, pubsub; another is kept, with a note).  A room is an <item>
 * whose name is a localpart, once per component; its records are checked as
 * a user's are (the same sets, cleared per room): one configuration form of
 * FORM_TYPE muc#roomconfig, affiliations to valid bare JIDs with one of the
 * four affiliations XEP-0045 keeps, each JID once, a subject message with a
 * <subject>, and an archive with unique ids, oldest first (XEP-0227).
 */
#include <stdlib.h>
#include <string.h>

#include "pie_check_p.h"

void pie_ck_room_init(xporta_checker *c)
{
    xp_set_init(&c->components, 0);
    xp_set_init(&c->rooms, 0);
}

void pie_ck_room_free(xporta_checker *c)
{
    xp_set_cleanup(&c->components);
    xp_set_cleanup(&c->rooms);
    free(c->component);
}

/* A <delay stamp> as a string that sorts by time: "YYYY-MM-DDTHH:MM:SS"
 * and the fraction padded to nine digits; false for other forms (a zone
 * offset), which are then not compared. */
static bool sortable_stamp(const char *s, char out[40])
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    size_t i = 0;
    for (; shape[i]; i++) {
        if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
            return false;
        out[i] = s[i];
    }
    const char *p = s + i;
    size_t frac = 0;
    out[i] = '.';
    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9'; p++)
            if (frac < 9)
                out[i + 1 + frac++] = *p;
    }
    while (frac < 9)
        out[i + 1 + frac++] = '0';
    out[i + 10] = '\0';
    return p[0] == 'Z' && p[1] == '\0';
}

static void check_order(xporta_checker *c, const xporta_record *rec)
{
    const xp_elem *fwd =
        xp_elem_child(rec->payload, XP_NS_FORWARD, "forwarded");
    const xp_elem *delay =
        fwd ? xp_elem_child(fwd, XP_NS_DELAY, "delay") : NULL;
    const char *stamp = delay ? xp_elem_attr_ns(delay, "", "stamp") : NULL;
    char now[40];
    if (!stamp || !sortable_stamp(stamp, now))
        return;
    if (c->last_stamp[0] && strcmp(now, c->last_stamp) < 0)
        pie_ck_report(c, XPORTA_WARNING, AT(rec),
                      "archived message of %s is older than the one before it "
                      "(XEP-0227: oldest first)",
                      stamp);
    else
        memcpy(c->last_stamp, now, sizeof now);
}

static void check_config(xporta_checker *c, const xporta_record *rec)
{
    const xp_elem *x = rec->payload;
    const char *type = xp_elem_attr_ns(x, "", "type");
    bool form_type = false;
    if (!xp_streq(type, "submit"))
        pie_ck_report(c, XPORTA_WARNING, AT(rec),
                      "room configuration form of type '%s', not submit",
                      type ? type : "");
    for (const xp_elem *f = xp_elem_first_element(x); f;
         f = xp_elem_next_element(f)) {
        if (!xp_elem_is(f, XP_NS_DATA, "field"))
            continue;
        const char *var = xp_elem_attr_ns(f, "", "var");
        if (!var || !*var) {
            pie_ck_report(c, XPORTA_ERROR, AT(rec),
                          "room configuration field without a var");
            continue;
        }
        const xp_elem *v = xp_elem_child(f, XP_NS_DATA, "value");
        if (strcmp(var, "FORM_TYPE") == 0) {
            form_type = true;
            if (!v || !xp_streq(xp_elem_text(v), XP_NS_MUC_ROOMCONFIG))
                pie_ck_report(c, XPORTA_ERROR, AT(rec),
                              "room configuration FORM_TYPE is '%s', not "
                              "" XP_NS_MUC_ROOMCONFIG,
                              v ? xp_elem_text(v) : "");
        } else if (strcmp(var, "muc#roomconfig_roomsecret") == 0 && v &&
                   *xp_elem_text(v)) {
            pie_ck_report(c, XPORTA_NOTE, AT(rec),
                          "the room's password is in the file in clear "
                          "(XEP-0519 advises encrypting exports)");
        }
    }
    if (!form_type)
        pie_ck_report(c, XPORTA_ERROR, AT(rec),
                      "room configuration form without a FORM_TYPE field");
    pie_ck_unique(c, rec, "room configuration");
}

static void check_affiliation(xporta_checker *c, const xporta_record *rec)
{
    static const char *const affs[] = {"owner", "admin", "member", "outcast",
                                       NULL};
    const xp_elem *e = rec->payload;
    const char *aff = xp_elem_attr_ns(e, "", "affiliation");
    const char *nick = xp_elem_attr_ns(e, "", "nick");
    pie_ck_jid_attr(c, rec, "affiliation jid", xp_elem_attr_ns(e, "", "jid"),
                    true);
    if (xp_streq(aff, "none"))
        pie_ck_report(c, XPORTA_WARNING, AT(rec),
                      "affiliation none of '%s' keeps nothing", rec->key);
    else if (!aff || !pie_ck_oneof(aff, affs))
        pie_ck_report(c, XPORTA_ERROR, AT(rec),
                      "affiliation '%s' is not owner, admin, member or outcast",
                      aff ? aff : "");
    if (nick && !*nick)
        pie_ck_report(c, XPORTA_WARNING, AT(rec), "empty reserved nick of '%s'",
                      rec->key);
    if (*rec->key)
        pie_ck_unique(c, rec, "affiliation of");
}

static void check_subject(xporta_checker *c, const xporta_record *rec)
{
    const xp_elem *e = rec->payload;
    const char *from = xp_elem_attr_ns(e, "", "from");
    if (!xp_elem_child(e, XP_NS_CLIENT, "subject"))
        pie_ck_report(c, XPORTA_ERROR, AT(rec),
                      "room <message> without a <subject> (a room's "
                      "jabber:client message is its subject)");
    if (from)
        pie_ck_jid_attr(c, rec, "subject from", from, false);
    pie_ck_unique(c, rec, "room subject");
}

static void room_record(xporta_checker *c, const xporta_record *rec)
{
    switch (rec->kind) {
    case XPORTA_KIND_ROOM_CONFIG:
        check_config(c, rec);
        break;
    case XPORTA_KIND_ROOM_AFFILIATION:
        check_affiliation(c, rec);
        break;
    case XPORTA_KIND_ROOM_SUBJECT:
        check_subject(c, rec);
        break;
    case XPORTA_KIND_VCARD:
        pie_ck_unique(c, rec, "vCard");
        break;
    case XPORTA_KIND_ARCHIVE:
        pie_ck_archive(c, rec);
        check_order(c, rec);
        break;
    default:
        pie_ck_report(c, XPORTA_NOTE, AT(rec),
                      "unknown element %s%s%s in a room kept as is", rec->key,
                      rec->container ? " in " : "",
                      rec->container ? rec->container : "");
        break;
    }
}

static void begin_component(xporta_checker *c, xporta_pie_reader *r)
{
    static const char *const types[] = {"muc", "pubsub", NULL};
    const char *file, *why;
    unsigned long line, col;
    const char *jid = xporta_pie_reader_component(r);
    const char *type = xporta_pie_reader_component_type(r);
    char buf[1024];
    xporta_pie_reader_position(r, &file, &line, &col);
    if (c->filter && *jid) {
        const char *to =
            xporta_filter_component(c->filter, jid, buf, sizeof buf);
        jid = to ? to : jid;
    }
    if (!*jid)
        pie_ck_report(c, XPORTA_ERROR, file, line, col,
                      "<component> without a jid");
    else if (!xporta_jid_is_valid_domain(jid, &why))
        pie_ck_report(c, XPORTA_ERROR, file, line, col,
                      "component '%s' is not a valid domain: %s", jid, why);
    else if (xp_set_add(&c->components, xp_key_hash(jid, NULL)) == 0)
        pie_ck_report(c, XPORTA_WARNING, file, line, col,
                      "component '%s' appears a second time; its rooms are "
                      "checked as part of one component",
                      jid);
    if (!*type)
        pie_ck_report(c, XPORTA_WARNING, file, line, col,
                      "component '%s' without a type (XEP-0519: muc, pubsub)",
                      jid);
    else if (!pie_ck_oneof(type, types))
        pie_ck_report(c, XPORTA_NOTE, file, line, col,
                      "component '%s' of type '%s' (not in XEP-0519's "
                      "registry) kept as is",
                      jid, type);
    else if (strcmp(type, "pubsub") == 0)
        pie_ck_report(c, XPORTA_NOTE, file, line, col,
                      "pubsub component '%s' kept as is (xporta reads the "
                      "items of muc components as rooms)",
                      jid);
    free(c->component);
    c->component = xp_strdup(jid);
}

static void begin_room(xporta_checker *c, xporta_pie_reader *r)
{
    const char *file, *why;
    unsigned long line, col;
    const char *name = xporta_pie_reader_room(r);
    const char *comp = c->component ? c->component : "";
    xporta_pie_reader_position(r, &file, &line, &col);
    if (!name || !*name)
        pie_ck_report(c, XPORTA_ERROR, file, line, col,
                      "room of component '%s' without a name", comp);
    else if (!xporta_jid_is_valid_local(name, &why))
        pie_ck_report(c, XPORTA_ERROR, file, line, col,
                      "room name '%s' is not a valid localpart: %s", name, why);
    else if (xp_set_add(&c->rooms, xp_key_hash(name, comp)) == 0)
        pie_ck_report(c, XPORTA_ERROR, file, line, col,
                      "room '%s@%s' occurs twice", name, comp);
    xp_set_clear(&c->keys);
    xp_set_clear(&c->archive);
    c->archive_capped = false;
    c->last_stamp[0] = '\0';
    c->in_room = true;
}

void pie_ck_room_event(xporta_checker *c, xporta_pie_reader *r,
                       xporta_pie_event ev)
{
    xporta_record *rec;
    switch (ev) {
    case XPORTA_PIE_COMPONENT:
        begin_component(c, r);
        break;
    case XPORTA_PIE_ROOM:
        begin_room(c, r);
        break;
    case XPORTA_PIE_ROOM_RECORD:
        rec = xporta_pie_reader_record(r);
        if (rec)
            room_record(c, rec);
        break;
    case XPORTA_PIE_ROOM_END:
        c->in_room = false;
        break;
    default:
        break;
    }
}
