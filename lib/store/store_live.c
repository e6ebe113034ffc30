/*
 * lib/store/store_live.c: a live account, the primitives every use of it
 * shares (the account driver of store_live_driver.c, the export's archive,
 * announce and follow).
 *
 * Requests go out through live_call() and are waited for with live_wait();
 * a struct call stays valid until the session closes, so a wait abandoned
 * by a cancel never leaves a callback writing into freed memory.  Opening
 * a live account connects, logs in and asks what the account and its
 * server offer (discovery); stanzas that are not replies are sorted by
 * on_stanza: pending subscription requests while they are being collected,
 * other presences and archive results to the callbacks the user of the
 * account set.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../xmpp/xmpp_kinds.h"
#include "store_live.h"

bool live_cancelled(struct live *e)
{
    return e->run->cancel != 0;
}

uint64_t live_node_key(const char *node)
{
    return xp_key_hash("\x01node", node);
}

bool live_want(struct live *e, xporta_kind k)
{
    return (e->kinds & (1u << k)) != 0;
}

/* ---- requests ------------------------------------------------------------ */

static void call_done(struct xp_session *s, const struct xp_iq_reply *r,
                      void *ud)
{
    struct call *c = ud;
    (void)s;
    c->done = true;
    c->status = r->status;
    if (r->iq)
        c->iq = xp_elem_clone(&c->e->arena, r->iq);
    if (r->condition)
        c->cond = xp_arena_strdup(&c->e->arena, r->condition);
    if (r->text)
        c->text = xp_arena_strdup(&c->e->arena, r->text);
    if (r->iq && !c->iq)
        c->status = XPORTA_ENOMEM;
}

struct call *live_call(struct live *e, const char *type, const char *to,
                       const xp_elem *payload, unsigned timeout)
{
    struct call *c = xp_arena_alloc(&e->calls, sizeof *c);
    if (!c) {
        xp_fail(&e->run->err, XPORTA_ENOMEM, "out of memory");
        return NULL;
    }
    memset(c, 0, sizeof *c);
    c->e = e;
    if (!payload) {
        /* The request's builder ran out of its arena: never send an
         * empty request in its place. */
        c->done = true;
        c->status = XPORTA_ENOMEM;
        xp_fail(&e->run->err, XPORTA_ENOMEM, "out of memory");
        return c;
    }
    xporta_status st =
        xp_session_iq(e->s, type, to, payload, timeout, call_done, c);
    if (st != XPORTA_OK) {
        c->done = true;
        c->status = st;
    }
    return c;
}

/* Runs the loop until every call is done.  Cancel and a lost connection
 * end the wait (the calls complete later, at close). */
xporta_status live_wait(struct live *e, struct call **c, size_t n)
{
    for (;;) {
        bool all = true;
        for (size_t i = 0; i < n; i++)
            if (c[i] && !c[i]->done)
                all = false;
        if (all) /* a call that could not be made (NULL) left an error */
            return e->run->err.status;
        if (live_cancelled(e))
            return xp_fail(&e->run->err, XPORTA_ECANCELED,
                           "interrupted; run the same command again to "
                           "resume");
        xporta_status st = xp_session_run(e->s, 100);
        if (st == XPORTA_EDISCONNECTED)
            return xp_fail(&e->run->err, st,
                           "connection lost: %s; run the same command again "
                           "to resume",
                           xp_session_error(e->s));
    }
}

xporta_status live_wait1(struct live *e, struct call *c)
{
    return c ? live_wait(e, &c, 1) : e->run->err.status;
}

/* An error stanza that means "this server does not do that". */
bool live_not_offered(const struct call *c)
{
    return c->status == XPORTA_ESTANZA &&
           (xp_streq(c->cond, "feature-not-implemented") ||
            xp_streq(c->cond, "service-unavailable"));
}

/* Fatal for the job: the connection is unusable. */
bool live_fatal(const struct call *c)
{
    return c->status == XPORTA_ETIMEOUT || c->status == XPORTA_EDISCONNECTED ||
           c->status == XPORTA_ENOMEM || c->status == XPORTA_ECANCELED;
}

xporta_status live_fatal_error(struct live *e, const struct call *c,
                               const char *what)
{
    if (c->status == XPORTA_ETIMEOUT)
        return xp_fail(&e->run->err, XPORTA_ETIMEOUT,
                       "%s: no answer from the server; run the same command "
                       "again to resume",
                       what);
    if (c->status == XPORTA_EDISCONNECTED)
        return xp_fail(&e->run->err, XPORTA_EDISCONNECTED,
                       "%s: connection lost (%s); run the same command again "
                       "to resume",
                       what, xp_session_error(e->s));
    return xp_fail(&e->run->err, c->status, "%s: %s", what,
                   xporta_strerror(c->status));
}

void live_kind_failed(struct live *e, xporta_kind k, const struct call *c)
{
    xp_run_set_state(e->run, k, XPORTA_STATE_FAILED);
    xp_run_note(e->run, k, "the server refused: %s%s%s",
                c->cond ? c->cond : "error", c->text ? ": " : "",
                c->text ? c->text : "");
    e->failed_kind = true;
}

void live_kind_unavailable(struct live *e, xporta_kind k, const char *why)
{
    xp_run_set_state(e->run, k, XPORTA_STATE_UNAVAILABLE);
    if (why)
        xp_run_note(e->run, k, "not available on this server (%s)", why);
    else
        xp_run_note(e->run, k, "not available on this server");
}

/* ---- records --------------------------------------------------------------
 */

void live_put(void *ud, xporta_record *rec)
{
    struct live *e = ud;
    if (e->run->err.status != XPORTA_OK)
        return;
    if (e->sink(e->sink_ud, rec) != XPORTA_OK)
        return;
    e->run->kind[rec->kind].count++;
}

void live_phase(struct live *e, xporta_kind k)
{
    xp_run_progress(e->run, xporta_kind_name(k), k, 0, 0, -1, 0, NULL, true);
}

void live_phase_done(struct live *e, xporta_kind k)
{
    if (e->run->kind[k].state == XPORTA_STATE_NOT_ASKED)
        xp_run_set_state(e->run, k, XPORTA_STATE_DONE);
    xp_run_progress(e->run, xporta_kind_name(k), k, e->run->kind[k].count,
                    e->run->kind[k].count, 1, 0, e->run->kind[k].note, true);
}

/* One request, one reply decoded into records. */
xporta_status live_fetch_simple(struct live *e, xporta_kind k,
                                const xp_elem *query, live_decode_fn decode,
                                bool not_found_is_empty)
{
    if (!live_want(e, k))
        return XPORTA_OK;
    live_phase(e, k);
    struct call *c = live_call(e, "get", NULL, query, 0);
    xporta_status st = live_wait1(e, c);
    if (st != XPORTA_OK)
        return st;
    if (live_fatal(c))
        return live_fatal_error(e, c, xporta_kind_name(k));
    if (live_not_offered(c)) {
        live_kind_unavailable(e, k, c->cond);
    } else if (c->status == XPORTA_ESTANZA) {
        if (not_found_is_empty && xp_streq(c->cond, "item-not-found"))
            xp_run_set_state(e->run, k, XPORTA_STATE_DONE);
        else
            live_kind_failed(e, k, c);
    } else if (decode(&e->arena, c->iq, live_put, e) != XPORTA_OK) {
        xp_run_set_state(e->run, k, XPORTA_STATE_FAILED);
        xp_run_note(e->run, k, "the server's answer could not be read");
        e->failed_kind = true;
    }
    live_phase_done(e, k);
    xp_arena_reset(&e->arena);
    return e->run->err.status;
}

/* ---- discovery --------------------------------------------------------------
 */

static xporta_status discover(struct live *e)
{
    xp_run_progress(e->run, "discover", XPORTA_KIND_COUNT, 0, 0, -1, 0, NULL,
                    true);
    struct call *c[2];
    c[0] =
        live_call(e, "get", e->bare, xp_disco_info_query(&e->arena, NULL), 0);
    c[1] =
        live_call(e, "get", e->domain, xp_disco_info_query(&e->arena, NULL), 0);
    xporta_status st = live_wait(e, c, 2);
    if (st != XPORTA_OK)
        return st;
    for (int i = 0; i < 2; i++)
        if (live_fatal(c[i]))
            return live_fatal_error(e, c[i], "service discovery");
    /* MAM is a feature of the account (XEP-0313 §7); some servers also
     * list it on the domain. */
    e->f_mam = (c[0]->iq && xp_disco_has_feature(c[0]->iq, XP_NS_MAM)) ||
               (c[1]->iq && xp_disco_has_feature(c[1]->iq, XP_NS_MAM));
    /* XEP-0398: the server keeps vCard-temp and the PEP vCard4/avatar
     * nodes as one (Prosody's mod_vcard_legacy). */
    for (int i = 0; i < 2; i++)
        if (c[i]->iq &&
            xp_disco_has_feature(c[i]->iq, "urn:xmpp:pep-vcard-conversion:0"))
            e->f_vcard_conversion = true;
    xp_arena_reset(&e->arena);
    return XPORTA_OK;
}

static void on_stanza(struct xp_session *s, const xp_elem *stanza, void *ud)
{
    struct live *e = ud;
    (void)s;
    const char *from = xp_elem_attr_ns(stanza, "", "from");
    if (xp_elem_is(stanza, NULL, "presence")) {
        if (!e->collecting) {
            if (e->on_presence)
                e->on_presence(e->on_presence_ud, stanza);
            return;
        }
        if (!xp_streq(xp_elem_attr_ns(stanza, "", "type"), "subscribe"))
            return;
        xporta_record rec;
        if (!xp_pending_decode(&e->arena, stanza, &rec))
            return;
        for (size_t i = 0; i < e->npending; i++)
            if (xp_streq(xp_elem_attr_ns(e->pending[i], "", "from"),
                         xp_elem_attr_ns(rec.payload, "", "from")))
                return; /* the same request twice */
        xp_elem **v = realloc(e->pending, (e->npending + 1) * sizeof *v);
        if (!v) {
            xp_fail(&e->run->err, XPORTA_ENOMEM, "out of memory");
            return;
        }
        e->pending = v;
        e->pending[e->npending++] = rec.payload;
        return;
    }
    if (!xp_elem_is(stanza, NULL, "message"))
        return;
    /* Archive results come from the account itself (XEP-0313 §4); anyone
     * else sending such a message is trying to inject history. */
    if (from && !xp_streq(from, e->bare)) {
        if (e->on_room_message)
            e->on_room_message(e->on_room_message_ud, stanza);
        return;
    }
    if (e->on_message)
        e->on_message(e->on_message_ud, stanza);
}

xporta_status live_connect(struct xp_run *run,
                           const struct xp_session_opts *account,
                           struct xp_session **out)
{
    struct xp_session_opts o = *account;
    if (!o.password)
        o.password = "";
    return xp_session_open(out, &o, &run->err);
}

xporta_status live_open(struct live *e, struct xp_run *run,
                        const struct xp_session_opts *account, uint32_t kinds)
{
    memset(e, 0, sizeof *e);
    e->run = run;
    e->kinds = kinds;
    xp_arena_init(&e->arena, (size_t)XP_MAX_RECORD_BYTES * 4);
    xp_arena_init(&e->calls, 0);
    xp_set_init(&e->bad_nodes, 0);
    e->bare = xp_strdup(account->jid);
    if (!e->bare)
        return xp_fail(&run->err, XPORTA_ENOMEM, "out of memory");
    char *at = strchr(e->bare, '@');
    e->local = xp_strndup(e->bare, (size_t)(at - e->bare));
    e->domain = at + 1;
    if (!e->local)
        return xp_fail(&run->err, XPORTA_ENOMEM, "out of memory");
    xp_run_progress(run, "connect", XPORTA_KIND_COUNT, 0, 0, -1, 0,
                    account->jid, true);
    xporta_status st = live_connect(run, account, &e->s);
    if (st != XPORTA_OK)
        return st;
    xp_session_on_stanza(e->s, on_stanza, e);
    return discover(e);
}

void live_close(struct live *e)
{
    if (e->s)
        xp_session_close(e->s);
    e->s = NULL;
    free(e->pending);
    free(e->bare);
    free(e->local);
    e->pending = NULL;
    e->bare = e->local = NULL;
    xp_arena_cleanup(&e->arena);
    xp_arena_cleanup(&e->calls);
    xp_set_cleanup(&e->bad_nodes);
}
