/*
 * lib/transfer/xfer_twin.c: an offline message and its copy in the archive
 * (xfer_twin.h).
 */
#define _DEFAULT_SOURCE /* timegm */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "xfer_twin.h"

#define NS_DELAY "urn:xmpp:delay"
#define NS_FORWARD "urn:xmpp:forward:0"

/* A XEP-0082 date-time to seconds since 1970 (UTC); false when it is not
 * one. */
static bool stamp_secs(const char *s, long long *out)
{
    int y, mo, d, h, mi, sec, n = 0;
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec,
                     &n) != 6)
        return false;
    const char *p = s + n;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++)
            ;
    long off = 0;
    if (*p == '+' || *p == '-') {
        int oh, om;
        if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2)
            return false;
        off = (oh * 3600L + om * 60L) * (*p == '-' ? -1 : 1);
    } else if (*p != 'Z') {
        return false;
    }
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = sec};
    *out = (long long)timegm(&tm) - off;
    return true;
}

static uint64_t print_of(const char *from, const char *body, long long t)
{
    size_t nf = strcspn(from, "/"); /* the bare JID */
    uint64_t h = xp_hash(from, nf, 0x74776e31u);
    h = xp_hash(body, strlen(body), h);
    return (h ^ ((uint64_t)t * 0x9e3779b97f4a7c15ull)) | 1;
}

/* The message, and the stamp of its delay, of an archive record
 * (<result><forwarded><delay/><message/>) or an offline one
 * (<message><delay/></message>). */
static bool parts(const xporta_record *rec, const xp_elem **msg,
                  const char **stamp)
{
    const xp_elem *p = rec->payload, *m = NULL, *d = NULL;
    if (!p)
        return false;
    if (rec->kind == XPORTA_KIND_ARCHIVE) {
        const xp_elem *fw = xp_elem_child(p, NS_FORWARD, "forwarded");
        if (!fw)
            return false;
        m = xp_elem_child(fw, XP_NS_CLIENT, "message");
        d = xp_elem_child(fw, NS_DELAY, "delay");
    } else if (rec->kind == XPORTA_KIND_OFFLINE) {
        m = p;
        d = xp_elem_child(p, NS_DELAY, "delay");
    }
    if (!m || !d)
        return false;
    *msg = m;
    *stamp = xp_elem_attr_ns(d, NULL, "stamp");
    return *stamp != NULL;
}

static bool fields(const xporta_record *rec, const char **from,
                   const char **body, long long *t)
{
    const xp_elem *m;
    const char *stamp;
    if (!parts(rec, &m, &stamp) || !stamp_secs(stamp, t))
        return false;
    const xp_elem *b = xp_elem_child(m, XP_NS_CLIENT, "body");
    *from = xp_elem_attr_ns(m, NULL, "from");
    *body = b ? xp_elem_text(b) : NULL;
    return *from && *body && **body;
}

bool xfer_twin_add(struct xp_set *archive, const xporta_record *rec, bool *oom)
{
    const char *from, *body;
    long long t;
    *oom = false;
    if (rec->kind != XPORTA_KIND_ARCHIVE || !fields(rec, &from, &body, &t))
        return false;
    if (xp_set_add(archive, print_of(from, body, t)) < 0)
        *oom = true;
    return true;
}

bool xfer_twin_in(const struct xp_set *archive, const xporta_record *rec)
{
    const char *from, *body;
    long long t;
    if (rec->kind != XPORTA_KIND_OFFLINE || !fields(rec, &from, &body, &t))
        return false;
    /* stored offline and archived a moment apart (a second boundary) */
    for (long long dt = -1; dt <= 1; dt++)
        if (xp_set_has(archive, print_of(from, body, t + dt)))
            return true;
    return false;
}
