/* Status names and sentences, and the error-detail helpers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xp_base.h"

static const struct {
    const char *name;
    const char *text;
} status_table[] = {
    [XPORTA_OK] = {"XPORTA_OK", "success"},
    [XPORTA_ENOMEM] = {"XPORTA_ENOMEM", "out of memory"},
    [XPORTA_EINVAL] = {"XPORTA_EINVAL", "invalid argument"},
    [XPORTA_EIO] = {"XPORTA_EIO", "reading or writing a local file failed"},
    [XPORTA_EFORMAT] = {"XPORTA_EFORMAT", "malformed input"},
    [XPORTA_ETOOBIG] = {"XPORTA_ETOOBIG", "input exceeds a limit"},
    [XPORTA_ENET] = {"XPORTA_ENET", "could not reach the server"},
    [XPORTA_ETLS] = {"XPORTA_ETLS", "TLS failed"},
    [XPORTA_EAUTH] = {"XPORTA_EAUTH", "the server rejected the credentials"},
    [XPORTA_ESTANZA] = {"XPORTA_ESTANZA", "the server returned an error"},
    [XPORTA_ETIMEOUT] = {"XPORTA_ETIMEOUT", "no answer before the deadline"},
    [XPORTA_EUNSUPPORTED] = {"XPORTA_EUNSUPPORTED", "not supported"},
    [XPORTA_ECANCELED] = {"XPORTA_ECANCELED", "canceled"},
    [XPORTA_ELOCKED] = {"XPORTA_ELOCKED", "locked by another process"},
    [XPORTA_ECONFLICT] = {"XPORTA_ECONFLICT", "conflicting data"},
    [XPORTA_ENOTFOUND] = {"XPORTA_ENOTFOUND", "not found"},
    [XPORTA_EDISCONNECTED] = {"XPORTA_EDISCONNECTED", "connection lost"},
};

#define NSTATUS (sizeof status_table / sizeof status_table[0])

const char *xporta_status_name(xporta_status st)
{
    if ((unsigned)st >= NSTATUS || !status_table[st].name)
        return "XPORTA_UNKNOWN";
    return status_table[st].name;
}

const char *xporta_strerror(xporta_status st)
{
    if ((unsigned)st >= NSTATUS || !status_table[st].text)
        return "unknown status";
    return status_table[st].text;
}

void xporta_free(void *p)
{
    free(p);
}

const char *xporta_version(void)
{
    return XPORTA_VERSION;
}

void xp_err_clear(struct xp_err *e)
{
    e->status = XPORTA_OK;
    e->msg[0] = '\0';
}

xporta_status xp_vfail(struct xp_err *e, xporta_status st, const char *fmt,
                       va_list ap)
{
    if (e->status != XPORTA_OK)
        return e->status;
    e->status = st;
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    return st;
}

xporta_status xp_fail(struct xp_err *e, xporta_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    st = xp_vfail(e, st, fmt, ap);
    va_end(ap);
    return st;
}

const char *xp_err_msg(const struct xp_err *e)
{
    if (e->status == XPORTA_OK)
        return "";
    if (e->msg[0] == '\0')
        return xporta_strerror(e->status);
    return e->msg;
}

int xporta_status_exit(xporta_status st, const char **name)
{
    /* xporta(1), EXIT STATUS: what a script (or a page) can act on. */
    static const struct {
        xporta_status st;
        int code;
        const char *name;
    } table[] = {
        {XPORTA_OK, 0, "ok"},
        {XPORTA_EINVAL, 2, "usage"},
        {XPORTA_EFORMAT, 3, "input"},
        {XPORTA_ETOOBIG, 3, "input"},
        {XPORTA_ENOTFOUND, 3, "input"},
        {XPORTA_EIO, 4, "io"},
        {XPORTA_ENET, 5, "network"},
        {XPORTA_ETLS, 5, "network"},
        {XPORTA_ETIMEOUT, 5, "network"},
        {XPORTA_EDISCONNECTED, 5, "network"},
        {XPORTA_EAUTH, 6, "auth"},
        {XPORTA_ESTANZA, 7, "server"},
        {XPORTA_EUNSUPPORTED, 7, "server"},
        {XPORTA_ELOCKED, 8, "locked"},
        {XPORTA_ECONFLICT, 9, "conflict"},
        {XPORTA_ECANCELED, 10, "canceled"},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (table[i].st == st) {
            if (name)
                *name = table[i].name;
            return table[i].code;
        }
    if (name)
        *name = "internal";
    return 70;
}
