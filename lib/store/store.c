/* The table of store drivers, and the calls that dispatch through it. */
#include <stdlib.h>
#include <string.h>

#include "store.h"

/* One line per driver: the order is the order of `--help`. */
static const struct store_driver *const drivers[] = {
    &store_file_driver,            /* file: */
    &store_live_driver,            /* xmpp: */
    &store_prosody_driver,         /* prosody: */
    &store_prosody_sqlite_driver,  /* prosody+sqlite: */
    &store_prosody_pgsql_driver,   /* prosody+pgsql: */
    &store_ejabberd_sqlite_driver, /* ejabberd+sqlite: */
    &store_ejabberd_pgsql_driver,  /* ejabberd+pgsql: */
    &store_ejabberd_mnesia_driver, /* ejabberd+mnesia: */
    NULL,
};

const struct store_driver *const *store_drivers(void)
{
    return drivers;
}

const struct store_driver *store_driver_find(const char *address,
                                             const char **where)
{
    const char *colon = strchr(address, ':');
    if (!colon)
        return NULL;
    size_t n = (size_t)(colon - address);
    for (size_t i = 0; drivers[i]; i++)
        if (strlen(drivers[i]->scheme) == n &&
            strncmp(drivers[i]->scheme, address, n) == 0) {
            *where = colon + 1;
            return drivers[i];
        }
    return NULL;
}

xporta_status store_open(struct store **out, const char *address,
                         const struct store_opts *o, struct xp_run *run)
{
    const char *where = NULL;
    const struct store_driver *d = store_driver_find(address, &where);
    *out = NULL;
    if (!d)
        return xp_fail(&run->err, XPORTA_EINVAL, "%s: no such kind of store",
                       address);
    xporta_status st = d->open(out, where, o, run);
    if (*out) {
        (*out)->drv = d;
        (*out)->run = run;
    }
    return st;
}

void store_close(struct store *s)
{
    if (s)
        s->drv->close(s);
}

const char *store_why_not(const struct store_driver *d, xporta_kind k)
{
    return d->why_not ? d->why_not(k) : "this store cannot hold this kind";
}

const char *store_skip(const struct store_driver *d, const xporta_record *rec)
{
    return d->skip ? d->skip(rec) : NULL;
}

xporta_status store_read(struct store *s, uint32_t kinds,
                         const struct xp_strv *private_ns,
                         const struct store_sink *sink)
{
    return s->drv->read(s, kinds, private_ns, sink);
}

bool store_unreadable(const struct store *s, xporta_kind kind, const char *key)
{
    return s->drv->unreadable && s->drv->unreadable(s, kind, key);
}

unsigned store_quirks(const struct store *s)
{
    return s->drv->quirks ? s->drv->quirks(s) : 0;
}

xporta_status store_write_begin(struct store *s, store_done_fn done, void *ud)
{
    if (!s->drv->write_begin)
        return xp_fail(&s->run->err, XPORTA_EINVAL,
                       "this store cannot be written to");
    return s->drv->write_begin(s, done, ud);
}

xporta_status store_write(struct store *s, const xporta_record *rec,
                          bool replace)
{
    return s->drv->write(s, rec, replace);
}

xporta_status store_poll(struct store *s, unsigned ms)
{
    return s->drv->poll ? s->drv->poll(s, ms) : s->run->err.status;
}

size_t store_pending(const struct store *s)
{
    return s->drv->pending ? s->drv->pending(s) : 0;
}

xporta_status store_write_end(struct store *s)
{
    return s->drv->write_end ? s->drv->write_end(s) : s->run->err.status;
}

xporta_status store_select(struct store *s, const char *jid)
{
    if (!s->drv->select)
        return xp_fail(&s->run->err, XPORTA_EINVAL,
                       "a %s: store holds one account", s->drv->scheme);
    return s->drv->select(s, jid);
}

bool store_has_rooms(const struct store *s)
{
    return s && s->drv->select_room;
}

xporta_status store_select_room(struct store *s, const char *room)
{
    if (!s->drv->select_room)
        return xp_fail(&s->run->err, XPORTA_EUNSUPPORTED,
                       "a %s: store keeps no rooms", s->drv->scheme);
    return s->drv->select_room(s, room);
}

bool store_holds(struct store *s, const xporta_record *rec)
{
    return s->drv->holds && s->drv->holds(s, rec);
}

xporta_status store_flush(struct store *s)
{
    return s->drv->flush ? s->drv->flush(s) : XPORTA_OK;
}

bool store_flush_due(const struct store *s)
{
    return s->drv->flush_due && s->drv->flush_due(s);
}

bool store_is_multi(const struct store *s)
{
    return s->drv->many;
}
