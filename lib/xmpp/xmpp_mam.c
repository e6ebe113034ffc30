/*
 * MAM (XEP-0313, urn:xmpp:mam:2) requests and results, and XEP-0082 dates.
 *
 * A query is an IQ set carrying a data form for the time range and an RSM
 * set for paging; the messages themselves arrive as <message> stanzas, each
 * wrapping a <result queryid id><forwarded><delay/><message/></forwarded>,
 * before the IQ result that carries <fin> with the RSM ids of the page.
 */
#include <stdio.h>
#include <string.h>

#include "xmpp_kinds.h"

static xp_elem *field(struct xp_arena *a, xp_elem *x, const char *var,
                      const char *type, const char *value)
{
    xp_elem *f = xp_elem_add_child(a, x, XP_NS_DATA, "field");
    if (!f || !xp_elem_set_attr(a, f, "", "var", var))
        return NULL;
    if (type && !xp_elem_set_attr(a, f, "", "type", type))
        return NULL;
    if (!xp_elem_add_text_child(a, f, XP_NS_DATA, "value", value))
        return NULL;
    return f;
}

xp_elem *xp_mam_prefs_query(struct xp_arena *a)
{
    return xp_elem_new(a, XP_NS_MAM, "prefs");
}

xporta_status xp_mam_prefs_decode(struct xp_arena *a, const xp_elem *iq,
                                  xp_record_fn fn, void *ud)
{
    xp_elem *prefs = xp_elem_child(iq, XP_NS_MAM, "prefs");
    if (!prefs)
        return XPORTA_EFORMAT;
    xporta_record rec;
    memset(&rec, 0, sizeof rec);
    rec.kind = XPORTA_KIND_MAM_PREFS;
    rec.payload = prefs;
    xp_record_derive_key(a, &rec);
    fn(ud, &rec);
    return XPORTA_OK;
}

xp_elem *xp_mam_query(struct xp_arena *a, const char *queryid,
                      const struct xp_mam_range *r)
{
    xp_elem *q = xp_elem_new(a, XP_NS_MAM, "query");
    if (!q || (queryid && !xp_elem_set_attr(a, q, "", "queryid", queryid)))
        return NULL;
    if (r->start || r->end) {
        xp_elem *x = xp_elem_add_child(a, q, XP_NS_DATA, "x");
        if (!x || !xp_elem_set_attr(a, x, "", "type", "submit") ||
            !field(a, x, "FORM_TYPE", "hidden", XP_NS_MAM))
            return NULL;
        if (r->start && !field(a, x, "start", NULL, r->start))
            return NULL;
        if (r->end && !field(a, x, "end", NULL, r->end))
            return NULL;
    }
    xp_elem *set = xp_elem_add_child(a, q, XP_NS_RSM, "set");
    char max[16];
    snprintf(max, sizeof max, "%u", r->max ? r->max : 250);
    if (!set || !xp_elem_add_text_child(a, set, XP_NS_RSM, "max", max))
        return NULL;
    if (r->after &&
        !xp_elem_add_text_child(a, set, XP_NS_RSM, "after", r->after))
        return NULL;
    if (r->before_last && !xp_elem_add_child(a, set, XP_NS_RSM, "before"))
        return NULL;
    return q;
}

bool xp_mam_result_decode(struct xp_arena *a, const xp_elem *message,
                          const char *queryid, xporta_record *out)
{
    if (!xp_elem_is(message, NULL, "message"))
        return false;
    const xp_elem *res = xp_elem_child(message, XP_NS_MAM, "result");
    if (!res)
        return false;
    const char *qid = xp_elem_attr_ns(res, "", "queryid");
    if (queryid && !xp_streq(qid, queryid))
        return false;
    if (!xp_elem_attr_ns(res, "", "id") ||
        !xp_elem_child(res, XP_NS_FORWARD, "forwarded"))
        return false;
    /* The record is the <result> as XEP-0227 stores it: without the
     * queryid, which belongs to this query only. */
    xp_elem *copy = xp_elem_clone(a, res);
    if (!copy)
        return false;
    xp_elem_remove_attr(copy, "", "queryid");
    copy->parent = NULL;
    copy->next = NULL;
    memset(out, 0, sizeof *out);
    out->kind = XPORTA_KIND_ARCHIVE;
    out->payload = copy;
    return xp_record_derive_key(a, out);
}

xporta_status xp_mam_fin_decode(const xp_elem *iq, struct xp_mam_fin *fin)
{
    memset(fin, 0, sizeof *fin);
    fin->count = -1;
    const xp_elem *f = xp_elem_child(iq, XP_NS_MAM, "fin");
    if (!f)
        return XPORTA_EFORMAT;
    fin->complete = xp_streq(xp_elem_attr_ns(f, "", "complete"), "true") ||
                    xp_streq(xp_elem_attr_ns(f, "", "complete"), "1");
    const xp_elem *set = xp_elem_child(f, XP_NS_RSM, "set");
    if (set) {
        fin->first = xp_elem_child_text(set, XP_NS_RSM, "first");
        fin->last = xp_elem_child_text(set, XP_NS_RSM, "last");
        const char *count = xp_elem_child_text(set, XP_NS_RSM, "count");
        uint64_t n;
        if (count && xp_parse_uint(count, &n) && n < (1ull << 62))
            fin->count = (long long)n;
        if (fin->first && !*fin->first)
            fin->first = NULL;
        if (fin->last && !*fin->last)
            fin->last = NULL;
    }
    return XPORTA_OK;
}

bool xp_mam_stamp(const xp_elem *result, long long *secs, long *usecs)
{
    const xp_elem *fwd = xp_elem_child(result, XP_NS_FORWARD, "forwarded");
    const xp_elem *delay = xp_elem_child(fwd, XP_NS_DELAY, "delay");
    const char *stamp = xp_elem_attr_ns(delay, "", "stamp");
    return stamp && xp_datetime_parse(stamp, secs, usecs);
}

/* ---- XEP-0082 dates ---------------------------------------------------------
 */

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil). */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3u : 9u)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

static bool digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

bool xp_datetime_parse(const char *s, long long *secs, long *usecs)
{
    int y, mo, d, h, mi, se;
    if (!s || strlen(s) < 20 || !digits(s, 4, &y) || s[4] != '-' ||
        !digits(s + 5, 2, &mo) || s[7] != '-' || !digits(s + 8, 2, &d) ||
        s[10] != 'T' || !digits(s + 11, 2, &h) || s[13] != ':' ||
        !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &se))
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return false;
    const char *p = s + 19;
    long frac = 0;
    if (*p == '.') {
        int n = 0;
        p++;
        while (*p >= '0' && *p <= '9') {
            if (n < 6) {
                frac = frac * 10 + (*p - '0');
                n++;
            }
            p++;
        }
        if (n == 0)
            return false;
        while (n++ < 6)
            frac *= 10;
    }
    long long off = 0;
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om))
            return false;
        off = (oh * 3600LL + om * 60LL) * (*p == '+' ? 1 : -1);
        p += 6;
    } else {
        return false;
    }
    if (*p)
        return false;
    *secs = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400LL +
            h * 3600LL + mi * 60LL + se - off;
    if (usecs)
        *usecs = frac;
    return true;
}

void xp_datetime_format(long long secs, char *buf, size_t cap)
{
    long long days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    long long rem = secs - days * 86400;
    /* civil_from_days */
    long long z = days + 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long y = (long long)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    snprintf(buf, cap, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ", y, m, d,
             rem / 3600, rem / 60 % 60, rem % 60);
}
