/*
 * lib/store/store_live_driver.c: the account driver ("xmpp:USER@HOST"): a
 * live account over the client protocol, read with store_live_read.c and
 * written with store_live_write.c.
 *
 * What a client can write back is a subset of what it can read: stored
 * credentials, pending subscription requests, offline messages and the
 * archive belong to the server (and to the contacts); writable() says
 * which, and why_not() says why for the others.  The session opens with
 * the store (connect, log in, discover), so a wrong password fails before
 * anything is planned.
 */
#include <stdlib.h>
#include <string.h>

#include "../xmpp/xmpp_kinds.h"
#include "store_live_write.h"

enum {
    WINDOW_DEFAULT = 32, /* writes in flight */
};

/* What a client can write back. */
#define RESTORABLE                                                         \
    ((1u << XPORTA_KIND_ROSTER) | (1u << XPORTA_KIND_VCARD) |              \
     (1u << XPORTA_KIND_PRIVATE) | (1u << XPORTA_KIND_PRIVACY) |           \
     (1u << XPORTA_KIND_BLOCKLIST) | (1u << XPORTA_KIND_PEP_NODE) |        \
     (1u << XPORTA_KIND_PEP_AFFILIATIONS) | (1u << XPORTA_KIND_PEP_ITEM) | \
     (1u << XPORTA_KIND_MAM_PREFS))

struct lstore {
    struct store base;
    struct live l;
    struct lwrite w;
    unsigned window;
    char *jid, *password, *host, *cafile;
};

static xporta_status ls_open(struct store **out, const char *where,
                             const struct store_opts *o, struct xp_run *run)
{
    struct lstore *s = calloc(1, sizeof *s);
    if (!s)
        return xp_fail(&run->err, XPORTA_ENOMEM, "out of memory");
    s->base.run = run;
    *out = &s->base;
    s->window = o && o->window ? o->window : WINDOW_DEFAULT;
    struct xp_session_opts so;
    memset(&so, 0, sizeof so);
    so.jid = where;
    if (o) {
        so.password = o->password;
        so.host = o->host;
        so.port = o->port;
        so.cafile = o->cafile;
        so.insecure = o->insecure;
    }
    return live_open(&s->l, run, &so, 0);
}

static void ls_close(struct store *st)
{
    struct lstore *s = (struct lstore *)st;
    live_close(&s->l); /* pending callbacks complete here */
    lwrite_cleanup(&s->w);
    free(s);
}

static const char *ls_why_not(xporta_kind k)
{
    switch (k) {
    case XPORTA_KIND_CREDENTIALS:
        return "a client cannot set stored credentials; the target's "
               "password is the one you log in with";
    case XPORTA_KIND_PENDING:
        return "subscription requests come from the contacts; with XEP-0283 "
               "(xporta announce) they follow the move";
    case XPORTA_KIND_PEP_SUBSCRIPTIONS:
        return "subscriptions belong to the subscribers";
    case XPORTA_KIND_OFFLINE:
    case XPORTA_KIND_ARCHIVE:
        return "only the server can store messages; they stay in the file "
               "(xporta server-import carries them into the server's storage)";
    case XPORTA_KIND_OTHER:
        return "unknown to xporta; kept in the file";
    default:
        return "a client cannot write this kind";
    }
}

static xporta_status ls_read(struct store *st, uint32_t kinds,
                             const struct xp_strv *private_ns,
                             const struct store_sink *sink)
{
    struct lstore *s = (struct lstore *)st;
    s->l.kinds = kinds;
    s->l.private_ns = private_ns;
    s->l.sink = sink->record;
    s->l.sink_ud = sink->ud;
    s->l.failed_kind = false;
    xp_set_clear(&s->l.bad_nodes);
    xporta_status st2 = XPORTA_OK;
    if (sink->account)
        st2 = sink->account(sink->ud, s->l.bare);
    return st2 == XPORTA_OK ? live_read_small(&s->l) : st2;
}

static bool ls_unreadable(const struct store *st, xporta_kind kind,
                          const char *key)
{
    const struct lstore *s = (const struct lstore *)st;
    bool pep = kind == XPORTA_KIND_PEP_NODE || kind == XPORTA_KIND_PEP_ITEM ||
               kind == XPORTA_KIND_PEP_AFFILIATIONS ||
               kind == XPORTA_KIND_PEP_SUBSCRIPTIONS;
    return pep && xp_set_has(&s->l.bad_nodes, live_node_key(key));
}

static const char *ls_skip(const xporta_record *rec)
{
    if (rec->kind == XPORTA_KIND_PRIVACY && strcmp(rec->key, "active") == 0)
        return "the active privacy list is chosen per session";
    if (rec->kind == XPORTA_KIND_PRIVATE && rec->payload &&
        !xp_elem_has_content(rec->payload))
        return "empty: there is nothing to store";
    return NULL;
}

static unsigned ls_quirks(const struct store *st)
{
    const struct lstore *s = (const struct lstore *)st;
    return s->l.f_vcard_conversion ? STORE_VCARD_LINKED : 0;
}

static xporta_status ls_write_begin(struct store *st, store_done_fn done,
                                    void *ud)
{
    struct lstore *s = (struct lstore *)st;
    return lwrite_begin(&s->w, &s->l, s->window, done, ud);
}

static xporta_status ls_write(struct store *st, const xporta_record *rec,
                              bool replace)
{
    return lwrite_record(&((struct lstore *)st)->w, rec, replace);
}

static xporta_status ls_poll(struct store *st, unsigned ms)
{
    return lwrite_poll(&((struct lstore *)st)->w, ms);
}

static size_t ls_pending(const struct store *st)
{
    return ((const struct lstore *)st)->w.inflight;
}

static xporta_status ls_write_end(struct store *st)
{
    return lwrite_end(&((struct lstore *)st)->w);
}

const struct store_driver store_live_driver = {
    .scheme = "xmpp",
    .summary = "a live account, over the client protocol (what a client "
               "can read and write)",
    .open = ls_open,
    .close = ls_close,
    .writable = RESTORABLE,
    .why_not = ls_why_not,
    .read = ls_read,
    .unreadable = ls_unreadable,
    .skip = ls_skip,
    .quirks = ls_quirks,
    .write_begin = ls_write_begin,
    .write = ls_write,
    .poll = ls_poll,
    .pending = ls_pending,
    .write_end = ls_write_end,
};
