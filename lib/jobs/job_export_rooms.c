/*
 * Export, with --rooms: the rooms the user is in, as XEP-0519 components
 * after the user (issue 13, item 3).
 *
 * Design note.  The rooms are the user's bookmarks (XEP-0402, XEP-0048)
 * and the ones named; public rooms the user is not in are not the user's
 * data.  For each, as far as the room lets the account read (a client sees
 * no more than its affiliation allows, docs/research/muc-live.md):
 *   - the configuration (owners only: the muc#owner form, as submitted);
 *   - the affiliation lists it may read (with reserved nicks and reasons);
 *   - the history, when the room offers MAM (urn:xmpp:mam:2 in its
 *     disco#info), page by page oldest first, streamed into the file.
 * Rooms are grouped by MUC service, one <component> each.  What a room
 * refuses is a note, never the end of the export.  Interrupted, the export
 * resumes in the user's archive as always and then reads the rooms again
 * (the writer keeps them in a side file that a crash removes).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../pie/pie.h"
#include "../xmpp/xmpp_kinds.h"
#include "job_rooms_p.h"

enum { ROOM_PAGE = 250, ROOM_MAM_TIMEOUT_MS = 120000 };

static xporta_status writer_failed(xporta_job *j, xporta_pie_writer *w)
{
    return xp_fail(&j->r.err, pie_writer_status(w), "%s",
                   xporta_pie_writer_error(w));
}

struct room_mam {
    xporta_job *j;
    xporta_pie_writer *w;
    const char *room, *queryid;
    struct xp_arena *a;
    uint64_t n;
    xporta_status st;
};

static void on_room_result(void *ud, const xp_elem *msg)
{
    struct room_mam *m = ud;
    const char *from = xp_elem_attr_ns(msg, "", "from");
    xporta_record rec;
    if (m->st != XPORTA_OK || !from || !moved_jid_eq(from, m->room) ||
        !xp_mam_result_decode(m->a, msg, m->queryid, &rec))
        return;
    if (xporta_pie_writer_write_room(m->w, &rec) != XPORTA_OK) {
        m->st = writer_failed(m->j, m->w);
        return;
    }
    m->n++;
}

/* The room's whole archive, oldest first. */
static xporta_status room_archive(struct rooms *R, xporta_pie_writer *w,
                                  const char *room)
{
    struct live *l = R->l;
    struct xp_arena a;
    xp_arena_init(&a, (size_t)XP_MAX_RECORD_BYTES * 4);
    struct room_mam m = {R->j, w, room, "room", &a, 0, XPORTA_OK};
    l->on_room_message = on_room_result;
    l->on_room_message_ud = &m;
    char *after = NULL;
    xporta_status st = XPORTA_OK;
    for (;;) {
        struct xp_mam_range q = {NULL, NULL, after, false, ROOM_PAGE};
        struct call *c =
            live_call(l, "set", room, xp_mam_query(&l->arena, m.queryid, &q),
                      ROOM_MAM_TIMEOUT_MS);
        st = live_wait1(l, c);
        if (st == XPORTA_OK && live_fatal(c))
            st = live_fatal_error(l, c, room);
        if (st == XPORTA_OK && m.st != XPORTA_OK)
            st = m.st;
        if (st != XPORTA_OK)
            break;
        if (c->status != XPORTA_OK) {
            xp_run_note(&R->j->r, XPORTA_KIND_ARCHIVE,
                        "%s: its history stopped after %llu message(s): "
                        "%s",
                        room, (unsigned long long)m.n,
                        c->cond ? c->cond : "error");
            break;
        }
        struct xp_mam_fin fin;
        if (xp_mam_fin_decode(c->iq, &fin) != XPORTA_OK || fin.complete ||
            !fin.last || (after && strcmp(after, fin.last) == 0))
            break;
        free(after);
        after = xp_strdup(fin.last);
        xp_arena_reset(&l->arena);
        xp_arena_reset(&a);
        xp_run_progress(&R->j->r, "room history", XPORTA_KIND_ARCHIVE, m.n, 0,
                        -1, 0, room, false);
        if (!after) {
            st = xp_fail(&R->j->r.err, XPORTA_ENOMEM, "out of memory");
            break;
        }
    }
    l->on_room_message = NULL;
    free(after);
    xp_arena_cleanup(&a);
    xp_arena_reset(&l->arena);
    R->j->rc.room_messages += m.n;
    return st;
}

/* The configuration as a submitted form: every field's var and values. */
static xp_elem *config_record(struct xp_arena *a, const xp_elem *form)
{
    xp_elem *x = xp_elem_new(a, XP_NS_DATA, "x");
    if (!x || !xp_elem_set_attr(a, x, "", "type", "submit"))
        return NULL;
    for (const xp_elem *f = xp_elem_first_element(form); f;
         f = xp_elem_next_element(f)) {
        const char *var = xp_elem_attr_ns(f, "", "var");
        if (!xp_elem_is(f, XP_NS_DATA, "field") || !var ||
            xp_streq(xp_elem_attr_ns(f, "", "type"), "fixed"))
            continue;
        xp_elem *nf = xp_elem_add_child(a, x, XP_NS_DATA, "field");
        if (!nf || !xp_elem_set_attr(a, nf, "", "var", var))
            return NULL;
        bool any = false;
        for (const xp_elem *v = xp_elem_first_element(f); v;
             v = xp_elem_next_element(v))
            if (xp_elem_is(v, XP_NS_DATA, "value")) {
                any = true;
                if (!xp_elem_add_text_child(a, nf, XP_NS_DATA, "value",
                                            xp_elem_text(v)))
                    return NULL;
            }
        /* Prosody leaves an unset boolean without a value: false. */
        if (!any && xp_streq(xp_elem_attr_ns(f, "", "type"), "boolean") &&
            !xp_elem_add_text_child(a, nf, XP_NS_DATA, "value", "0"))
            return NULL;
    }
    return x;
}

struct aff_sink {
    struct xp_arena *a;
    xporta_pie_writer *w;
    xp_muc_aff list;
    xporta_status st;
    struct xp_set seen;
};

static void on_aff(void *ud, const char *jid, xp_muc_aff aff, const char *nick)
{
    struct aff_sink *s = ud;
    (void)aff;
    if (s->st != XPORTA_OK || xp_set_add(&s->seen, moved_jid_key(jid)) != 1)
        return;
    xp_elem *it = xp_elem_new(s->a, XP_NS_MUC_USER, "item");
    if (!it || !xp_elem_set_attr(s->a, it, "", "jid", jid) ||
        !xp_elem_set_attr(s->a, it, "", "affiliation",
                          xp_muc_aff_name(s->list)) ||
        (nick && !xp_elem_set_attr(s->a, it, "", "nick", nick))) {
        s->st = XPORTA_ENOMEM;
        return;
    }
    xporta_record rec;
    memset(&rec, 0, sizeof rec);
    rec.kind = XPORTA_KIND_ROOM_AFFILIATION;
    rec.key = jid;
    rec.payload = it;
    s->st = xporta_pie_writer_write_room(s->w, &rec);
}

/* One room: what the account may read of it. */
static xporta_status export_room(struct rooms *R, xporta_pie_writer *w,
                                 const char *room)
{
    struct live *l = R->l;
    static const xp_muc_aff order[4] = {XP_MUC_OWNER, XP_MUC_ADMIN,
                                        XP_MUC_MEMBER, XP_MUC_OUTCAST};
    struct call *c[6];
    c[0] = live_call(l, "get", room, xp_disco_info_query(&l->arena, NULL),
                     ROOM_MAM_TIMEOUT_MS);
    c[1] = live_call(l, "get", room, xp_muc_owner_query(&l->arena),
                     ROOM_MAM_TIMEOUT_MS);
    for (int k = 0; k < 4; k++)
        c[2 + k] =
            live_call(l, "get", room, xp_muc_list_query(&l->arena, order[k]),
                      ROOM_MAM_TIMEOUT_MS);
    xporta_status st = live_wait(l, c, 6);
    for (int k = 0; st == XPORTA_OK && k < 6; k++)
        if (live_fatal(c[k]))
            st = live_fatal_error(l, c[k], room);
    if (st != XPORTA_OK)
        return st;
    if (c[0]->status != XPORTA_OK) {
        xp_run_note(&R->j->r, XPORTA_KIND_ARCHIVE, "%s: not read: %s", room,
                    c[0]->cond ? c[0]->cond : "error");
        xp_arena_reset(&l->arena);
        return XPORTA_OK;
    }
    bool mam = xp_disco_has_feature(c[0]->iq, XP_NS_MAM);
    const char *at = strchr(room, '@');
    char *name = xp_strndup(room, (size_t)(at - room));
    if (!name)
        return xp_fail(&R->j->r.err, XPORTA_ENOMEM, "out of memory");
    if (xporta_pie_writer_begin_room(w, name, NULL) != XPORTA_OK)
        st = writer_failed(R->j, w);
    free(name);
    struct xp_arena a;
    xp_arena_init(&a, 0);
    const xp_elem *form =
        c[1]->status == XPORTA_OK ? xp_muc_owner_form(c[1]->iq) : NULL;
    if (st == XPORTA_OK && form) {
        xporta_record rec;
        memset(&rec, 0, sizeof rec);
        rec.kind = XPORTA_KIND_ROOM_CONFIG;
        rec.key = "config";
        rec.payload = config_record(&a, form);
        st =
            rec.payload ? xporta_pie_writer_write_room(w, &rec) : XPORTA_ENOMEM;
    }
    struct aff_sink s = {&a, w, XP_MUC_OWNER, st, {0}};
    xp_set_init(&s.seen, 0);
    for (int k = 0; s.st == XPORTA_OK && k < 4; k++) {
        if (c[2 + k]->status != XPORTA_OK || !c[2 + k]->iq)
            continue;
        s.list = order[k];
        xp_muc_list_decode(&a, c[2 + k]->iq, on_aff, &s);
    }
    xp_set_cleanup(&s.seen);
    if (s.st == XPORTA_ENOMEM)
        st = xp_fail(&R->j->r.err, XPORTA_ENOMEM, "out of memory");
    else if (s.st != XPORTA_OK)
        st = writer_failed(R->j, w);
    xp_arena_cleanup(&a);
    xp_arena_reset(&l->arena);
    if (st == XPORTA_OK && mam) {
        R->j->rc.room_archives++;
        st = room_archive(R, w, room);
    } else if (st == XPORTA_OK) {
        xp_run_note(&R->j->r, XPORTA_KIND_ARCHIVE,
                    "%s keeps no history a client may read (no MAM)", room);
    }
    if (st == XPORTA_OK && xporta_pie_writer_end_room(w) != XPORTA_OK)
        st = writer_failed(R->j, w);
    return st;
}

static int by_service(const void *x, const void *y)
{
    const struct room *a = x, *b = y;
    const char *sa = strchr(a->jid, '@'), *sb = strchr(b->jid, '@');
    int c = strcmp(sa, sb);
    return c ? c : strcmp(a->jid, b->jid);
}

xporta_status export_rooms(xporta_job *j, struct live *l, xporta_pie_writer *w)
{
    struct rooms R;
    memset(&R, 0, sizeof R);
    R.j = j;
    R.l = l;
    R.old = l->bare;
    R.new_ = l->bare;
    xp_arena_init(&R.a, 0);
    xp_map_init(&R.index);
    xporta_status st = XPORTA_OK;
    for (size_t i = 0; st == XPORTA_OK && i < j->room_names.n; i++)
        if (!rooms_add(&R, j->room_names.v[i], FROM_NAMED))
            st = xp_fail(&j->r.err, XPORTA_ENOMEM, "out of memory");
    if (st == XPORTA_OK)
        st = rooms_read_bookmarks(&R);
    if (st == XPORTA_OK && R.n)
        qsort(R.v, R.n, sizeof *R.v, by_service);
    const char *service = NULL;
    for (size_t i = 0; st == XPORTA_OK && i < R.n; i++) {
        const char *s = strchr(R.v[i].jid, '@') + 1;
        if (!service || strcmp(service, s) != 0) {
            if (service && xporta_pie_writer_end_component(w) != XPORTA_OK)
                st = writer_failed(j, w);
            service = s;
            if (st == XPORTA_OK &&
                xporta_pie_writer_begin_component(w, s, "muc") != XPORTA_OK)
                st = writer_failed(j, w);
        }
        if (st != XPORTA_OK)
            break;
        j->rc.rooms++;
        xp_run_progress(&j->r, "rooms", XPORTA_KIND_COUNT, i, R.n,
                        (double)i / (double)R.n, 0, R.v[i].jid, true);
        st = export_room(&R, w, R.v[i].jid);
    }
    if (st == XPORTA_OK && service &&
        xporta_pie_writer_end_component(w) != XPORTA_OK)
        st = writer_failed(j, w);
    free(R.v);
    xp_map_cleanup(&R.index);
    xp_arena_cleanup(&R.a);
    return st;
}
