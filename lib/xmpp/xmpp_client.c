/*
 * lib/xmpp/xmpp_client.c: the client half of a stream, whatever carries
 * it: the table of IQ requests in flight, and what happens to a stanza
 * received (xmpp_p.h, "The client").
 *
 * Design note.  The real session (xmpp_session.c: libstrophe and a
 * socket) and the tests' fake (tests/fake: a server in memory) differ only
 * in how stanzas travel.  What a client does with them (ids, deadlines,
 * accepting a reply only from the addressee, showing requests and pushes,
 * answering what nobody answered) is this file, shared, so the fake runs
 * the very code the real session runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmpp_p.h"

void xp_client_init(struct xp_client *c, struct xp_session *s, xmpp_ctx_t *ctx,
                    const char *id_prefix,
                    void (*send)(struct xp_session *s, xmpp_stanza_t *st),
                    bool (*online)(const struct xp_session *s))
{
    memset(c, 0, sizeof *c);
    c->s = s;
    c->ctx = ctx;
    c->send = send;
    c->online = online;
    snprintf(c->id_prefix, sizeof c->id_prefix, "%s", id_prefix);
    xp_arena_init(&c->arena, XP_MAX_RECORD_BYTES);
}

void xp_client_cleanup(struct xp_client *c)
{
    for (size_t i = 0; i < XP_MAX_INFLIGHT; i++)
        free(c->pending[i].to);
    xp_arena_cleanup(&c->arena);
}

/* ---- requests in flight -------------------------------------------------- */

static void release_slot(struct xp_client *c, struct xp_pending *p)
{
    free(p->to);
    p->to = NULL;
    p->used = false;
    c->inflight--;
}

static struct xp_pending *find_pending(struct xp_client *c, const char *id)
{
    for (size_t i = 0; i < XP_MAX_INFLIGHT; i++)
        if (c->pending[i].used && strcmp(c->pending[i].id, id) == 0)
            return &c->pending[i];
    return NULL;
}

/* Completes p without a reply stanza (timeout, disconnect). */
static void complete_empty(struct xp_client *c, struct xp_pending *p,
                           xporta_status st)
{
    xp_iq_cb cb = p->cb;
    void *ud = p->userdata;
    struct xp_iq_reply r;
    memset(&r, 0, sizeof r);
    r.status = st;
    release_slot(c, p);
    c->completed++;
    cb(c->s, &r, ud);
}

void xp_client_fail_all(struct xp_client *c, xporta_status st)
{
    for (size_t i = 0; i < XP_MAX_INFLIGHT && c->inflight; i++)
        if (c->pending[i].used)
            complete_empty(c, &c->pending[i], st);
}

void xp_client_expire(struct xp_client *c, uint64_t now)
{
    for (size_t i = 0; i < XP_MAX_INFLIGHT && c->inflight; i++)
        if (c->pending[i].used && c->pending[i].deadline <= now)
            complete_empty(c, &c->pending[i], XPORTA_ETIMEOUT);
}

uint64_t xp_client_next_deadline(const struct xp_client *c)
{
    uint64_t next = UINT64_MAX;
    for (size_t i = 0; i < XP_MAX_INFLIGHT; i++)
        if (c->pending[i].used && c->pending[i].deadline < next)
            next = c->pending[i].deadline;
    return next;
}

xporta_status xp_client_iq(struct xp_client *c, const char *type,
                           const char *to, const xp_elem *payload,
                           uint64_t deadline, xp_iq_cb cb, void *userdata,
                           xmpp_stanza_t **out)
{
    *out = NULL;
    if (c->inflight >= XP_MAX_INFLIGHT)
        return XPORTA_ETOOBIG;
    struct xp_pending *p = NULL;
    for (size_t i = 0; i < XP_MAX_INFLIGHT && !p; i++)
        if (!c->pending[i].used)
            p = &c->pending[i];
    snprintf(p->id, sizeof p->id, "%s-%llu", c->id_prefix,
             (unsigned long long)++c->seq);
    xmpp_stanza_t *iq = xmpp_iq_new(c->ctx, type, p->id);
    xmpp_stanza_t *child = NULL;
    xporta_status st = iq ? XPORTA_OK : XPORTA_ENOMEM;
    if (st == XPORTA_OK && to && xmpp_stanza_set_to(iq, to) != XMPP_EOK)
        st = XPORTA_ENOMEM;
    if (st == XPORTA_OK && payload) {
        st = xp_stanza_from_elem(c->ctx, payload, XP_NS_CLIENT, &child);
        if (st == XPORTA_OK &&
            xmpp_stanza_add_child_ex(iq, child, 0) != XMPP_EOK) {
            xmpp_stanza_release(child);
            st = XPORTA_ENOMEM;
        }
    }
    p->to = to ? xp_strdup(to) : NULL;
    if (st == XPORTA_OK && to && !p->to)
        st = XPORTA_ENOMEM;
    if (st != XPORTA_OK) {
        free(p->to);
        p->to = NULL;
        if (iq)
            xmpp_stanza_release(iq);
        return st;
    }
    p->used = true;
    p->cb = cb;
    p->userdata = userdata;
    p->deadline = deadline;
    c->inflight++;
    *out = iq;
    return XPORTA_OK;
}

void xp_client_unsend(struct xp_client *c, xmpp_stanza_t *iq)
{
    const char *id = xmpp_stanza_get_id(iq);
    struct xp_pending *p = id ? find_pending(c, id) : NULL;
    if (p)
        release_slot(c, p);
}

void xp_client_note_sent(struct xp_client *c, const xp_elem *stanza)
{
    if (!c->answering_id || strcmp(stanza->name, "iq") != 0)
        return;
    const char *type = xp_elem_attr_ns(stanza, "", "type");
    const char *id = xp_elem_attr_ns(stanza, "", "id");
    if (type && id && strcmp(id, c->answering_id) == 0 &&
        (strcmp(type, "result") == 0 || strcmp(type, "error") == 0))
        c->answered = true;
}

/* ---- received stanzas --------------------------------------------------- */

static void send_iq_answer(struct xp_client *c, const char *id, const char *to,
                           bool unavailable)
{
    xmpp_stanza_t *iq =
        xmpp_iq_new(c->ctx, unavailable ? "error" : "result", id);
    if (!iq)
        return;
    if (to)
        xmpp_stanza_set_to(iq, to);
    if (unavailable) {
        xmpp_stanza_t *error = xmpp_stanza_new(c->ctx);
        xmpp_stanza_t *cond = xmpp_stanza_new(c->ctx);
        if (error && cond) {
            xmpp_stanza_set_name(error, "error");
            xmpp_stanza_set_type(error, "cancel");
            xmpp_stanza_set_name(cond, "service-unavailable");
            xmpp_stanza_set_ns(cond, XP_NS_STANZAS);
            xmpp_stanza_add_child_ex(error, cond, 0);
            xmpp_stanza_add_child_ex(iq, error, 0);
        } else {
            if (error)
                xmpp_stanza_release(error);
            if (cond)
                xmpp_stanza_release(cond);
            xmpp_stanza_release(iq);
            return;
        }
    }
    c->send(c->s, iq);
    xmpp_stanza_release(iq);
}

static bool is_roster_query(xmpp_stanza_t *st)
{
    return xmpp_stanza_get_child_by_name_and_ns(st, "query", XP_NS_ROSTER) !=
           NULL;
}

static void show(struct xp_client *c, xmpp_stanza_t *st)
{
    xp_elem *e = NULL;
    if (!c->on_stanza)
        return;
    if (xp_stanza_to_elem(&c->arena, st, XP_NS_CLIENT, &e, NULL) == XPORTA_OK)
        c->on_stanza(c->s, e, c->on_stanza_ud);
    xp_arena_reset(&c->arena);
}

static void handle_request(struct xp_client *c, xmpp_stanza_t *st,
                           const char *type, const char *id, const char *from)
{
    /* RFC 6121 §2.1.6: a roster push comes from the account (no 'from', or
     * the bare JID); a roster set from anyone else is a spoof, not shown. */
    bool roster = strcmp(type, "set") == 0 && is_roster_query(st);
    bool push = roster && (!from || xp_jid_eq(from, xp_session_bare(c->s)));
    if (!roster || push) {
        c->answering_id = id;
        c->answered = false;
        show(c, st);
        c->answering_id = NULL;
    }
    if (!id || c->answered || !c->online(c->s))
        return;
    /* RFC 6120 §8.2.3: every get or set is answered; one nobody handled
     * gets service-unavailable (RFC 6120 §8.4), a roster push a result
     * (RFC 6121 §2.1.6). */
    send_iq_answer(c, id, from, !push);
}

static void handle_reply(struct xp_client *c, xmpp_stanza_t *st, bool is_error,
                         const char *id, const char *from)
{
    struct xp_pending *p = id ? find_pending(c, id) : NULL;
    if (!p || !xp_iq_from_ok(p->to, from, xp_session_jid(c->s),
                             xp_session_bare(c->s), xp_session_domain(c->s)))
        return; /* unsolicited, late or spoofed: never answered (§8.2.3) */
    xp_iq_cb cb = p->cb;
    void *ud = p->userdata;
    release_slot(c, p);
    c->completed++;

    struct xp_iq_reply r;
    struct xp_err cerr;
    xp_elem *iq = NULL;
    memset(&r, 0, sizeof r);
    xp_err_clear(&cerr);
    r.status = xp_stanza_to_elem(&c->arena, st, XP_NS_CLIENT, &iq, &cerr);
    if (r.status != XPORTA_OK) {
        r.text = cerr.msg;
    } else {
        r.iq = iq;
        if (is_error) {
            r.status = XPORTA_ESTANZA;
            xp_iq_error_parse(iq, &r);
        }
    }
    cb(c->s, &r, ud);
    xp_arena_reset(&c->arena);
}

void xp_client_receive(struct xp_client *c, xmpp_stanza_t *st)
{
    const char *name = xmpp_stanza_get_name(st);
    const char *ns = xmpp_stanza_get_ns(st);
    if (!name || (ns && strcmp(ns, XP_NS_CLIENT) != 0))
        return; /* stream-level elements are the transport's business */
    if (strcmp(name, "iq") != 0) {
        if (strcmp(name, "message") == 0 || strcmp(name, "presence") == 0)
            show(c, st);
        return;
    }
    const char *type = xmpp_stanza_get_type(st);
    const char *id = xmpp_stanza_get_id(st);
    const char *from = xmpp_stanza_get_from(st);
    if (!type)
        return;
    if (strcmp(type, "result") == 0 || strcmp(type, "error") == 0)
        handle_reply(c, st, type[0] == 'e', id, from);
    else if (strcmp(type, "get") == 0 || strcmp(type, "set") == 0)
        handle_request(c, st, type, id, from);
}

bool xp_features_has(const struct xp_buf *features, const char *ns,
                     const char *name)
{
    const char *lines = xp_buf_str(features);
    size_t nl = strlen(ns), nn = strlen(name);
    for (const char *p = lines; *p;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (len == nl + nn + 2 && p[0] == '{' && memcmp(p + 1, ns, nl) == 0 &&
            p[nl + 1] == '}' && memcmp(p + nl + 2, name, nn) == 0)
            return true;
        p += len + (eol != NULL);
    }
    return false;
}
