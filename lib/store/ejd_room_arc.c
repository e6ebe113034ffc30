/*
 * A room's registered nicks (muc_registered) and its archive (the rows of
 * archive with kind groupchat) as xporta's records (ejd_room.h).  The
 * archive's result element is the users' (ejd_map.c), so that a room's
 * history and an account's look the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../pie/pie.h"
#include "ejd_map_p.h"
#include "ejd_room.h"

/* ---- muc_registered ----------------------------------------------------- */

void ejd_nicks_init(struct ejd_nicks *s, struct xp_arena *a)
{
    memset(s, 0, sizeof *s);
    s->a = a;
}

xporta_status ejd_nicks_add(struct ejd_nicks *s, const char *jid,
                            const char *nick, ejd_room_note_fn note, void *ud,
                            bool *added)
{
    *added = false;
    for (size_t i = 0; i < s->n; i++) {
        bool same_jid = strcmp(s->v[i].jid, jid) == 0;
        bool same_nick = strcmp(s->v[i].nick, nick) == 0;
        if (same_jid && same_nick)
            return XPORTA_OK;
        if (same_jid || same_nick) {
            const char *m =
                same_jid
                    ? xp_arena_printf(
                          s->a,
                          "%s keeps its registered nick '%s' on this "
                          "service, not '%s' (ejabberd has one nick "
                          "per service)",
                          jid, s->v[i].nick, nick)
                    : xp_arena_printf(s->a,
                                      "nick '%s' is registered to %s on this "
                                      "service: not registered for %s",
                                      nick, s->v[i].jid, jid);
            if (note && m)
                note(ud, m);
            return m ? XPORTA_OK : XPORTA_ENOMEM;
        }
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        struct ejd_nick *v = xp_arena_alloc(s->a, cap * sizeof *v);
        if (!v)
            return XPORTA_ENOMEM;
        if (s->n)
            memcpy(v, s->v, s->n * sizeof *v);
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n].jid = xp_arena_strdup(s->a, jid);
    s->v[s->n].nick = xp_arena_strdup(s->a, nick);
    if (!s->v[s->n].jid || !s->v[s->n].nick)
        return XPORTA_ENOMEM;
    s->n++;
    *added = true;
    return XPORTA_OK;
}

xporta_status ejd_room_nick_row(struct xp_arena *a, const char *jid,
                                const char *host, const char *nick,
                                struct ejd_nick *out, const char **why)
{
    const char *w = NULL;
    if (!jid || !xporta_jid_is_valid(jid, NULL) || strchr(jid, '/'))
        w = "jid is not a bare JID";
    else if (!nick || !*nick || !xp_xml_text_ok(nick, strlen(nick)))
        w = "an empty nick, or one that is not UTF-8 text";
    if (w) {
        *why = xp_arena_printf(a, "muc_registered of %s: row %s: %s",
                               host ? host : "?", jid ? jid : "(no jid)", w);
        return *why ? XPORTA_EFORMAT : XPORTA_ENOMEM;
    }
    out->jid = jid;
    out->nick = nick;
    return XPORTA_OK;
}

/* ---- archive ------------------------------------------------------------ */

xporta_status ejd_room_subject_time(struct xp_arena *a, const char *room,
                                    xp_elem *subject, long long usec)
{
    char *stamp = ejd_format_usec(a, usec);
    if (!stamp)
        return usec < 0 ? XPORTA_EINVAL : XPORTA_ENOMEM;
    xp_elem *d = xp_elem_child(subject, XP_NS_DELAY, "delay");
    if (!d && !(d = xp_elem_add_child(a, subject, XP_NS_DELAY, "delay")))
        return XPORTA_ENOMEM;
    return xp_elem_set_attr(a, d, "", "from", room) &&
                   xp_elem_set_attr(a, d, "", "stamp", stamp)
               ? XPORTA_OK
               : XPORTA_ENOMEM;
}

static xporta_status arc_bad(struct xp_arena *a, const char *room,
                             const char *ts, const char *what, const char **why)
{
    *why = xp_arena_printf(a, "archive row %s of %s: %s", ts ? ts : "?", room,
                           what);
    return *why ? XPORTA_EFORMAT : XPORTA_ENOMEM;
}

xporta_status ejd_room_arc_read(struct xp_arena *a, const char *room,
                                const struct ejd_room_arc *row, xp_elem **out,
                                const char **why)
{
    const char *ts = row->timestamp;
    char *end = NULL;
    long long usec = ts ? strtoll(ts, &end, 10) : -1;
    if (!ts || end == ts || *end || usec < 0)
        return arc_bad(a, room, ts, "a timestamp that is not microseconds",
                       why);
    if (row->kind && strcmp(row->kind, "groupchat") != 0)
        return arc_bad(a, room, ts, "kind is not groupchat", why);
    if (!row->nick || !*row->nick)
        return arc_bad(a, room, ts, "no nick", why);
    const char *p = row->xml;
    while (p && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r'))
        p++;
    if (!p || *p != '<')
        return arc_bad(a, room, ts,
                       "not XML text (mod_mam's compress_xml: true? xporta "
                       "cannot read those)",
                       why);
    xp_elem *m;
    const char *pw;
    unsigned long line, col;
    xporta_status st = pie_parse_element(a, row->xml, row->xml_len,
                                         XP_NS_CLIENT, &m, &pw, &line, &col);
    if (st == XPORTA_ENOMEM)
        return st;
    if (st || !xp_elem_is(m, XP_NS_CLIENT, "message"))
        return arc_bad(a, room, ts,
                       st ? xp_arena_printf(a, "its XML does not parse (%s)",
                                            pw ? pw : "?")
                          : "its XML is not a message",
                       why);
    /* as mod_mam's maybe_update_from_to shows it */
    const char *from = xp_arena_printf(a, "%s/%s", room, row->nick);
    if (!from || !xp_elem_set_attr(a, m, "", "from", from))
        return XPORTA_ENOMEM;
    xp_elem_remove_attr(m, "", "to");
    /* a peer in the room itself is what a writer put for a sender whose
     * real JID it did not know (ejd_room_arc_write): none */
    struct xp_jid_parts jp;
    size_t rl = strlen(room);
    bool known = row->peer && *row->peer && xp_jid_split(row->peer, &jp) &&
                 !((jp.local ? (size_t)(jp.domain + jp.domain_len - jp.local)
                             : jp.domain_len) == rl &&
                   xp_ascii_ieq(jp.local ? jp.local : jp.domain, room, rl));
    if (known) {
        xp_elem *x = xp_elem_add_child(a, m, XP_NS_MUC_USER, "x");
        xp_elem *it =
            x ? xp_elem_add_child(a, x, XP_NS_MUC_USER, "item") : NULL;
        if (!it || !xp_elem_set_attr(a, it, "", "jid", row->peer))
            return XPORTA_ENOMEM;
    }
    *out = ejd_archive_result(a, ts, usec, m);
    return *out ? XPORTA_OK : XPORTA_ENOMEM;
}

xporta_status ejd_room_arc_write(struct xp_arena *a, const char *room,
                                 const xporta_record *rec,
                                 struct ejd_room_arc *row, long long *usec,
                                 bool *own_id, const char **why)
{
    memset(row, 0, sizeof *row);
    const xp_elem *m0 = ejd_archive_unwrap(rec->payload, usec);
    const char *key = rec->key ? rec->key : "?";
    if (!m0) {
        *why = xp_arena_printf(a,
                               "room %s: archived message %s without its "
                               "message or time",
                               room, key);
        return *why ? XPORTA_EUNSUPPORTED : XPORTA_ENOMEM;
    }
    const char *from = xp_elem_attr_ns(m0, "", "from");
    const char *slash = from ? strchr(from, '/') : NULL;
    size_t rl = strlen(room);
    if (!slash || (size_t)(slash - from) != rl ||
        !xp_ascii_ieq(from, room, rl) || !slash[1]) {
        *why = xp_arena_printf(a,
                               "room %s: archived message %s is not from "
                               "an occupant (from='%s')",
                               room, key, from ? from : "");
        return *why ? XPORTA_EUNSUPPORTED : XPORTA_ENOMEM;
    }
    xp_elem *m = xp_elem_clone(a, m0);
    if (!m)
        return XPORTA_ENOMEM;
    for (xp_elem *e = m->first, *n; e; e = n) { /* a file's indentation */
        n = e->next;
        if (!e->name && strspn(e->text, " \t\r\n") == e->text_len)
            xp_elem_unlink(e);
    }
    row->nick = xp_arena_strdup(a, slash + 1);
    const char *real = NULL;
    for (xp_elem *e = xp_elem_first_element(m), *n; e; e = n) {
        n = xp_elem_next_element(e);
        const xp_elem *it = xp_elem_is(e, XP_NS_MUC_USER, "x")
                                ? xp_elem_child(e, XP_NS_MUC_USER, "item")
                                : NULL;
        const char *j = it ? xp_elem_attr_ns(it, "", "jid") : NULL;
        if (j && xporta_jid_is_valid(j, NULL)) {
            real = xp_arena_strdup(a, j);
            xp_elem_unlink(e); /* mod_mam strips it (strip_x_jid_tags) */
        } else if (xp_elem_is(e, "urn:xmpp:sid:0", "stanza-id") &&
                   xp_streq(xp_elem_attr_ns(e, "", "by"), room)) {
            xp_elem_unlink(e);
        }
    }
    row->peer = real ? real : xp_arena_printf(a, "%s/%s", room, row->nick);
    row->bare_peer = row->peer ? xp_jid_bare(a, row->peer) : NULL;
    if (!row->nick || !row->peer || !row->bare_peer ||
        !xp_elem_set_attr(a, m, "", "from", row->peer) ||
        !xp_elem_set_attr(a, m, "", "to", room))
        return XPORTA_ENOMEM;
    struct xp_buf b;
    xp_buf_init(&b, 1u << 26);
    xporta_status st = xp_elem_serialize(&b, m, "");
    row->xml = st ? NULL : xp_arena_strndup(a, b.data, b.len);
    row->xml_len = b.len;
    xp_buf_cleanup(&b);
    if (st)
        return st;
    const char *body = xp_elem_child_text(m, XP_NS_CLIENT, "body");
    row->txt = xp_arena_strdup(a, body ? body : "");
    row->kind = "groupchat";
    *own_id = ejd_archive_own_id(rec->key);
    if (*own_id)
        *usec = strtoll(rec->key, NULL, 10);
    row->timestamp = xp_arena_printf(a, "%lld", *usec);
    return row->xml && row->txt && row->timestamp ? XPORTA_OK : XPORTA_ENOMEM;
}
