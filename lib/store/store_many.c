/*
 * What the drivers of servers' storage share (store.h, "for the drivers of
 * servers' storage"): an account's address split for select(), the
 * writes of one account confirmed together at its commit, and the outcome
 * of each account (or room) of a whole read.  Apart from
 * store.c, which calls the drivers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

xporta_status store_split_account(const char *jid, char **user, char **host,
                                  struct xp_run *run)
{
    free(*user);
    free(*host);
    *user = *host = NULL;
    if (!jid)
        return XPORTA_OK;
    const char *at = strrchr(jid, '@');
    if (!at || at == jid || !at[1] || strchr(at + 1, '/'))
        return xp_fail(&run->err, XPORTA_EINVAL,
                       "%s: not an account (user@host)", jid);
    *user = xp_strndup(jid, (size_t)(at - jid));
    *host = xp_strdup(at + 1);
    return *user && *host ? XPORTA_OK
                          : xp_fail(&run->err, XPORTA_ENOMEM, "out of memory");
}

void store_confirms_init(struct store_confirms *c)
{
    xp_arena_init(&c->a, 0);
    c->first = c->last = NULL;
}

xporta_status store_confirms_add(struct store_confirms *c,
                                 const xporta_record *rec, struct xp_run *run)
{
    struct store_confirm *n = xp_arena_alloc(&c->a, sizeof *n);
    if (!n || !(n->key = xp_arena_strdup(&c->a, rec->key ? rec->key : "")) ||
        (rec->id && !(n->id = xp_arena_strdup(&c->a, rec->id))))
        return xp_fail(&run->err, XPORTA_ENOMEM, "out of memory");
    if (!rec->id)
        n->id = NULL;
    n->kind = rec->kind;
    n->next = NULL;
    if (c->last)
        c->last->next = n;
    else
        c->first = n;
    c->last = n;
    return XPORTA_OK;
}

void store_confirms_send(struct store_confirms *c, store_done_fn done, void *ud)
{
    for (struct store_confirm *n = c->first; done && n; n = n->next)
        done(ud, n->kind, n->key, n->id, true, NULL);
    store_confirms_reset(c);
}

void store_confirms_reset(struct store_confirms *c)
{
    c->first = c->last = NULL;
    xp_arena_reset(&c->a);
}

void store_confirms_cleanup(struct store_confirms *c)
{
    xp_arena_cleanup(&c->a);
    c->first = c->last = NULL;
}

xporta_status store_read_outcome(struct xp_run *run,
                                 const struct store_sink *sink, const char *jid,
                                 xporta_status r, bool soft)
{
    if (r && soft && sink->account_end) {
        char why[XP_MAX_DETAIL];
        snprintf(why, sizeof why, "%s", xp_err_msg(&run->err));
        xp_err_clear(&run->err);
        sink->account_end(sink->ud, jid, r, why);
        return run->err.status; /* the sink stops at a failed account */
    }
    if (r)
        return r;
    if (sink->account_end)
        sink->account_end(sink->ud, jid, XPORTA_OK, NULL);
    return run->err.status; /* the sink could not take the account */
}
