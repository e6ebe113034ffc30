/*
 * lib/store/store_live_write.c: writing records into a live account, the
 * write half of the account driver.
 *
 * Design note.  Each record becomes one IQ set, a few for a PEP node; up
 * to `window` are in flight at once (pipelining: a round trip per record
 * would make a roster of thousands take minutes).  A request slot (struct
 * op) owns a copy of its record until the server answers; then `done`
 * tells the engine, which journals it.  A PEP node goes through steps
 * until the server accepts one: created with its whole configuration,
 * then with the fields every server takes, then with the access model
 * alone, then (only when the source names no access model) bare; a node
 * that exists already is configured instead.  An item whose node could not
 * be created with the source's access model is not published: it could be
 * readable by more people than in the source.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../xmpp/xmpp_kinds.h"
#include "store_live_write.h"

#define FORM_NODE_CONFIG "http://jabber.org/protocol/pubsub#node_config"

enum {
    WRITE_TIMEOUT_MS = 60000,
};

/* The steps a PEP node goes through until the server accepts one. */
enum node_step {
    N_CREATE_FULL,
    N_CREATE_SAFE,
    N_CREATE_ACCESS,
    N_CREATE_BARE,
    N_CONF_FULL,
    N_CONF_SAFE,
    N_CONF_ACCESS,
    N_GIVE_UP,
};

struct op {
    struct lwrite *w;
    bool busy;
    xporta_kind kind;
    bool replace; /* configure the node the target has */
    char *key, *id;
    xp_elem *payload;
    enum node_step step;
    bool max_relaxed; /* pubsub#max_items N asked as "max" instead */
    struct xp_arena arena; /* the record, for the op's life */
    struct xp_arena req;   /* the request of the current attempt */
};

static void op_sent(struct xp_session *s, const struct xp_iq_reply *r,
                    void *ud);
static void op_finish(struct op *o, bool ok, const struct xp_iq_reply *r,
                      const char *why);

static xporta_status op_request(struct op *o, const xp_elem *payload)
{
    struct lwrite *w = o->w;
    if (!payload && xp_arena_over_limit(&o->req, 1 << 16))
        return xp_fail(&w->l->run->err, XPORTA_ENOMEM, "%s %s: out of memory",
                       xporta_kind_name(o->kind), o->key);
    if (!payload) {
        /* The builders refuse what the protocol cannot carry (a private
         * element in no namespace, a roster item without a JID). */
        op_finish(o, false, NULL,
                  "this record cannot be written by a client as it is");
        return XPORTA_OK;
    }
    xporta_status st = xp_session_iq(w->l->s, "set", NULL, payload,
                                     WRITE_TIMEOUT_MS, op_sent, o);
    if (st != XPORTA_OK)
        return xp_fail(&w->l->run->err, st, "%s %s: cannot send: %s",
                       xporta_kind_name(o->kind), o->key, xporta_strerror(st));
    return XPORTA_OK;
}

/* Sends the node's next configuration attempt.  Levels whose form would be
 * empty are passed over. */
static xporta_status node_send(struct op *o)
{
    static const enum xp_pep_config level[] = {
        [N_CREATE_FULL] = XP_PEP_CONFIG_FULL,
        [N_CREATE_SAFE] = XP_PEP_CONFIG_SAFE,
        [N_CREATE_ACCESS] = XP_PEP_CONFIG_ACCESS,
        [N_CONF_FULL] = XP_PEP_CONFIG_FULL,
        [N_CONF_SAFE] = XP_PEP_CONFIG_SAFE,
        [N_CONF_ACCESS] = XP_PEP_CONFIG_ACCESS,
    };
    while (o->step < N_GIVE_UP) {
        if (o->step == N_CREATE_BARE) {
            /* The server's defaults, only for a node whose access model
             * the source does not say: never a weaker access model. */
            if (xp_form_value(o->payload, "pubsub#access_model")) {
                o->step = N_GIVE_UP;
                break;
            }
            return op_request(o, xp_pep_create(&o->req, o->key, NULL));
        }
        const xp_elem *form = xp_pep_config_form(
            &o->req, o->payload, level[o->step], FORM_NODE_CONFIG);
        if (!form) {
            o->step = o->step == N_CONF_ACCESS ? N_GIVE_UP : o->step + 1;
            continue;
        }
        if (o->step < N_CREATE_BARE)
            return op_request(o, xp_pep_create(&o->req, o->key, form));
        return op_request(o, xp_pep_configure_set(&o->req, o->key, form));
    }
    return XPORTA_OK; /* nothing sent: o->step is N_GIVE_UP */
}

static void op_finish(struct op *o, bool ok, const struct xp_iq_reply *r,
                      const char *why_not)
{
    struct lwrite *w = o->w;
    char why[600] = "";
    if (!ok && why_not)
        snprintf(why, sizeof why, "%s", why_not);
    else if (!ok)
        snprintf(why, sizeof why, "the server refused: %s%s%s",
                 r && r->condition ? r->condition : "error",
                 r && r->text ? ": " : "", r && r->text ? r->text : "");
    if (!ok && o->kind == XPORTA_KIND_PEP_NODE &&
        xp_set_add(&w->failed_nodes, live_node_key(o->key)) < 0)
        xp_fail(&w->l->run->err, XPORTA_ENOMEM, "out of memory");
    w->inflight--;
    o->busy = false;
    w->done(w->done_ud, o->kind, o->key, o->id, ok, ok ? NULL : why);
}

static void op_release(struct op *o)
{
    o->w->inflight--;
    o->busy = false;
}

/* A node configuration's pubsub#max_items of more than one, made "max"
 * (XEP-0060 §16.4.4: as many as the server allows).  False when there is
 * none to change. */
static bool max_items_to_max(struct op *o)
{
    const xp_elem *x = xp_elem_child(o->payload, XP_NS_DATA, "x");
    for (xp_elem *f = x ? xp_elem_first_element(x) : NULL; f;
         f = xp_elem_next_element(f)) {
        if (!xp_elem_is(f, XP_NS_DATA, "field") ||
            !xp_streq(xporta_elem_attr(f, "var"), "pubsub#max_items"))
            continue;
        xp_elem *v = xp_elem_child(f, XP_NS_DATA, "value");
        const char *t = v ? xp_elem_text(v) : NULL;
        if (!t || !*t || strcmp(t, "1") == 0 || strcmp(t, "max") == 0)
            return false;
        xp_elem_unlink(v);
        return xp_elem_add_text_child(&o->arena, f, XP_NS_DATA, "value",
                                      "max") != NULL;
    }
    return false;
}

static void op_sent(struct xp_session *s, const struct xp_iq_reply *r, void *ud)
{
    struct op *o = ud;
    struct lwrite *w = o->w;
    (void)s;
    if (r->status == XPORTA_OK) {
        op_finish(o, true, r, NULL);
        return;
    }
    if (r->status != XPORTA_ESTANZA) {
        /* Timeout, lost connection, cancel: the job stops; the write is
         * not journaled, so the next run does it again. */
        if (w->l->run->err.status == XPORTA_OK)
            xp_fail(&w->l->run->err, r->status, "%s %s: %s%s%s",
                    xporta_kind_name(o->kind), o->key,
                    xporta_strerror(r->status), r->text ? ": " : "",
                    r->text ? r->text : "");
        op_release(o);
        return;
    }
    if (o->kind != XPORTA_KIND_PEP_NODE || w->l->run->err.status != XPORTA_OK) {
        op_finish(o, false, r, NULL);
        return;
    }
    /* A node: configure the one the target already has, or step down to
     * fewer settings; but first ask for as many items as the server
     * allows: Prosody 0.12 takes at most 256, so the 1,000 of an ejabberd
     * node made the whole form fail, and the step down left a node that
     * keeps one item, where every bookmark replaced the last. */
    if (!xp_streq(r->condition, "conflict") && !o->max_relaxed &&
        max_items_to_max(o)) {
        o->max_relaxed = true;
    } else if (o->step < N_CONF_FULL && xp_streq(r->condition, "conflict")) {
        o->step = N_CONF_FULL;
    } else if (o->step == N_CREATE_BARE) {
        o->step = N_GIVE_UP;
    } else {
        o->step++;
        w->partial_config = true;
    }
    xp_arena_reset(&o->req);
    if (o->step < N_GIVE_UP && node_send(o) != XPORTA_OK) {
        op_release(o);
        return;
    }
    if (o->step >= N_GIVE_UP)
        op_finish(o, false, r, NULL);
}

/* Settings not to carry over.  persist_items false: Prosody 0.12 reports
 * it for nodes whose items it keeps all the same, and ejabberd, told so,
 * drops items and refuses its own mirror of private bookmarks into the
 * node (mod_private publishes with persist_items true: "conflict"). */
static void drop_unsafe_fields(xp_elem *configure)
{
    xp_elem *x = xp_elem_child(configure, XP_NS_DATA, "x");
    for (xp_elem *f = x ? xp_elem_first_element(x) : NULL; f;) {
        xp_elem *next = xp_elem_next_element(f);
        const char *v = xp_elem_child_text(f, XP_NS_DATA, "value");
        if (xp_elem_is(f, XP_NS_DATA, "field") &&
            xp_streq(xporta_elem_attr(f, "var"), "pubsub#persist_items") && v &&
            (strcmp(v, "0") == 0 || strcmp(v, "false") == 0))
            xp_elem_unlink(f);
        f = next;
    }
}

/* The first request for a record. */
static xporta_status op_start(struct op *o)
{
    struct xp_arena *a = &o->req;
    const xp_elem *p = o->payload;
    switch (o->kind) {
    case XPORTA_KIND_ROSTER:
        return op_request(o, xp_roster_set(a, p));
    case XPORTA_KIND_VCARD:
        return op_request(o, xp_vcard_set(a, p));
    case XPORTA_KIND_PRIVATE:
        return op_request(o, xp_private_set(a, p));
    case XPORTA_KIND_PRIVACY:
        if (strcmp(o->key, "default") == 0)
            return op_request(o, xp_privacy_default_set(
                                     a, xporta_elem_attr(p, "name"), false));
        return op_request(o, xp_privacy_list_set(a, p));
    case XPORTA_KIND_BLOCKLIST: {
        const char *jid = o->key;
        return op_request(o, xp_block_set(a, &jid, 1));
    }
    case XPORTA_KIND_PEP_NODE:
        drop_unsafe_fields(o->payload);
        o->step = o->replace ? N_CONF_FULL : N_CREATE_FULL;
        xporta_status st = node_send(o);
        if (st == XPORTA_OK && o->step >= N_GIVE_UP)
            op_finish(o, true, NULL, NULL); /* nothing to configure */
        return st;
    case XPORTA_KIND_PEP_AFFILIATIONS: {
        xp_elem *set = xp_pep_affiliations_set(a, o->key, p);
        /* NULL: nothing but malformed entries (owner-only records are
         * skipped by the scan). */
        return op_request(o, set);
    }
    case XPORTA_KIND_PEP_ITEM:
        return op_request(o, xp_pep_publish(a, o->key, p, NULL));
    case XPORTA_KIND_MAM_PREFS:
        return op_request(o, xp_mam_prefs_set(a, p));
    default:
        return xp_fail(&o->w->l->run->err, XPORTA_EINVAL, "%s: not restorable",
                       xporta_kind_name(o->kind));
    }
}

xporta_status lwrite_begin(struct lwrite *w, struct live *l, unsigned window,
                           store_done_fn done, void *ud)
{
    w->l = l;
    w->done = done;
    w->done_ud = ud;
    if (w->ops)
        return XPORTA_OK;
    xp_set_init(&w->failed_nodes, 0);
    w->ops = calloc(window, sizeof *w->ops);
    if (!w->ops)
        return xp_fail(&l->run->err, XPORTA_ENOMEM, "out of memory");
    w->nops = window;
    for (unsigned i = 0; i < w->nops; i++) {
        w->ops[i].w = w;
        xp_arena_init(&w->ops[i].arena, (size_t)XP_MAX_RECORD_BYTES * 2);
        xp_arena_init(&w->ops[i].req, (size_t)XP_MAX_RECORD_BYTES * 2);
    }
    return XPORTA_OK;
}

xporta_status lwrite_record(struct lwrite *w, const xporta_record *rec,
                            bool replace)
{
    struct xp_run *run = w->l->run;
    xporta_status st = lwrite_poll_to(w, w->nops - 1);
    if (st != XPORTA_OK)
        return st;
    struct op *o = NULL;
    for (unsigned i = 0; i < w->nops && !o; i++)
        if (!w->ops[i].busy)
            o = &w->ops[i];
    if (!o)
        return xp_fail(&run->err, XPORTA_EINVAL, "no free request slot");
    xp_arena_reset(&o->arena);
    xp_arena_reset(&o->req);
    o->kind = rec->kind;
    o->replace = replace;
    o->max_relaxed = false;
    o->key = xp_arena_strdup(&o->arena, rec->key);
    o->id = rec->id ? xp_arena_strdup(&o->arena, rec->id) : NULL;
    o->payload = xp_elem_clone(&o->arena, rec->payload);
    if (!o->key || (rec->id && !o->id) || !o->payload)
        return xp_fail(&run->err, XPORTA_ENOMEM, "out of memory");
    o->busy = true;
    w->inflight++;
    if ((rec->kind == XPORTA_KIND_PEP_ITEM ||
         rec->kind == XPORTA_KIND_PEP_AFFILIATIONS) &&
        xp_set_has(&w->failed_nodes, live_node_key(rec->key))) {
        /* Published into a node the server made its own way, the item
         * could be readable by more people than in the source. */
        op_finish(o, false, NULL,
                  "not published: its node could not be created with the "
                  "source's access model");
        return XPORTA_OK;
    }
    st = op_start(o);
    if (st != XPORTA_OK)
        op_release(o);
    return st;
}

xporta_status lwrite_poll(struct lwrite *w, unsigned ms)
{
    struct xp_run *run = w->l->run;
    if (run->cancel)
        return xp_fail(&run->err, XPORTA_ECANCELED,
                       "interrupted; run the same command again to resume");
    xporta_status st = xp_session_run(w->l->s, ms);
    if (st == XPORTA_EDISCONNECTED)
        return xp_fail(&run->err, st,
                       "connection lost: %s; run the same command again to "
                       "resume",
                       xp_session_error(w->l->s));
    return run->err.status;
}

xporta_status lwrite_poll_to(struct lwrite *w, unsigned max)
{
    while (w->inflight > max && w->l->run->err.status == XPORTA_OK) {
        xporta_status st = lwrite_poll(w, 100);
        if (st != XPORTA_OK)
            return st;
    }
    return w->l->run->err.status;
}

xporta_status lwrite_end(struct lwrite *w)
{
    if (w->l && w->l->run->err.status == XPORTA_OK && w->partial_config)
        xp_run_note(w->l->run, XPORTA_KIND_PEP_NODE,
                    "the target refused part of some nodes' configuration; "
                    "they keep what it accepted (verify compares the access "
                    "model)");
    return w->l ? w->l->run->err.status : XPORTA_OK;
}

void lwrite_cleanup(struct lwrite *w)
{
    for (unsigned i = 0; i < w->nops; i++) {
        xp_arena_cleanup(&w->ops[i].arena);
        xp_arena_cleanup(&w->ops[i].req);
    }
    free(w->ops);
    if (w->ops)
        xp_set_cleanup(&w->failed_nodes);
    memset(w, 0, sizeof *w);
}
