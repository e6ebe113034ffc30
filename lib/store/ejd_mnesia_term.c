/*
 * The text of ejabberd's Mnesia load files (ejd_mnesia_p.h): the tables
 * with the attributes ejabberd 23.01 gives them, the header naming them,
 * and the terms the record writers (ejd_mnesia_write.c, ejd_mnesia_pep.c)
 * build their records of: binaries (et_bin), the account's {User, Server},
 * ljid tuples and #jid{} records (user and server lower-cased in ASCII),
 * erlang:timestamp() triples, and XML as fxml's {xmlel, Name, Attrs,
 * Children} / {xmlcdata, Text}, with an xmlns attribute where the namespace
 * is not the parent's (a namespaced attribute gets a prefix declared next
 * to it, a0, a1...).  mnw_end_rec() ends each record and marks its table
 * used.  Knows nothing of the kinds of records.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ejd_mnesia_p.h"
#include "ejd_term.h"

const struct mn_table_def mn_tables[MT_COUNT] = {
    [MT_PASSWD] = {"passwd", "us,password"},
    [MT_ROSTER] = {"roster", "usj,us,jid,name,subscription,ask,groups,"
                             "askmessage,xs"},
    [MT_VCARD] = {"vcard", "us,vcard"},
    [MT_VCARD_SEARCH] = {"vcard_search",
                         "us,user,luser,fn,lfn,family,lfamily,given,lgiven,"
                         "middle,lmiddle,nickname,lnickname,bday,lbday,ctry,"
                         "lctry,locality,llocality,email,lemail,orgname,"
                         "lorgname,orgunit,lorgunit"},
    [MT_PRIVATE] = {"private_storage", "usns,xml"},
    [MT_PRIVACY] = {"privacy", "us,default,lists"},
    [MT_OFFLINE] = {"offline_msg", "us,timestamp,expire,from,to,packet"},
    [MT_ARCHIVE] = {"archive_msg", "us,id,timestamp,peer,bare_peer,packet,"
                                   "nick,type"},
    [MT_PREFS] = {"archive_prefs", "us,default,always,never"},
    [MT_PUBSUB_INDEX] = {"pubsub_index", "index,last,free"},
    [MT_PUBSUB_NODE] = {"pubsub_node", "nodeid,id,parents,type,owners,"
                                       "options"},
    [MT_PUBSUB_STATE] = {"pubsub_state", "stateid,nodeidx,items,affiliation,"
                                         "subscriptions"},
    [MT_PUBSUB_ITEM] = {"pubsub_item", "itemid,nodeidx,creation,modification,"
                                       "payload"},
};

uint32_t mn_kind_tables(xporta_kind k)
{
    switch (k) {
    case XPORTA_KIND_CREDENTIALS:
        return 1u << MT_PASSWD;
    case XPORTA_KIND_ROSTER:
    case XPORTA_KIND_PENDING:
        return 1u << MT_ROSTER;
    case XPORTA_KIND_VCARD:
        return 1u << MT_VCARD | 1u << MT_VCARD_SEARCH;
    case XPORTA_KIND_PRIVATE:
        return 1u << MT_PRIVATE;
    case XPORTA_KIND_PRIVACY:
    case XPORTA_KIND_BLOCKLIST:
        return 1u << MT_PRIVACY;
    case XPORTA_KIND_OFFLINE:
        return 1u << MT_OFFLINE;
    case XPORTA_KIND_ARCHIVE:
        return 1u << MT_ARCHIVE;
    case XPORTA_KIND_MAM_PREFS:
        return 1u << MT_PREFS;
    case XPORTA_KIND_PEP_NODE:
    case XPORTA_KIND_PEP_AFFILIATIONS:
    case XPORTA_KIND_PEP_SUBSCRIPTIONS:
    case XPORTA_KIND_PEP_ITEM:
        return 1u << MT_PUBSUB_INDEX | 1u << MT_PUBSUB_NODE |
               1u << MT_PUBSUB_STATE | 1u << MT_PUBSUB_ITEM;
    default:
        return 0;
    }
}

xporta_status mn_header(struct xp_buf *b, uint32_t mask)
{
    xporta_status st = xp_buf_adds(b, "{tables,[");
    bool first = true;
    for (int t = 0; !st && t < MT_COUNT; t++) {
        if (!(mask & (1u << t)))
            continue;
        st = xp_buf_printf(b, "%s{%s,[{record_name,%s},{attributes,[%s]}]}",
                           first ? "" : ",\n ", mn_tables[t].name,
                           mn_tables[t].name, mn_tables[t].attributes);
        first = false;
    }
    return st ? st : xp_buf_adds(b, "]}.\n");
}

xporta_status mnw_oom(struct mnw *w)
{
    return xp_fail(&w->run->err, XPORTA_ENOMEM, "out of memory");
}

char *mnw_lower_dup(struct xp_arena *a, const char *s, size_t n)
{
    char *o = xp_arena_strndup(a, s, n);
    for (char *p = o; p && *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return o;
}

/* ---- terms ----------------------------------------------------------------
 */

xporta_status mnw_bin(struct xp_buf *b, const char *s)
{
    return et_bin(b, s ? s : "", s ? strlen(s) : 0);
}

xporta_status mnw_binn(struct xp_buf *b, const char *s, size_t n)
{
    return et_bin(b, s ? s : "", s ? n : 0);
}

/* {User, Server} of the account, lower-cased (the key of most tables). */
xporta_status mnw_us(struct mnw *w, struct xp_buf *b)
{
    xporta_status st = xp_buf_addc(b, '{');
    if (!st)
        st = mnw_bin(b, w->luser);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = mnw_bin(b, w->lhost);
    return st ? st : xp_buf_addc(b, '}');
}

/* {User, Server, Resource} of a JID, user and server lower-cased (ASCII:
 * what nodeprep and nameprep do to the JIDs xporta meets); `bare` leaves
 * the resource out. */
xporta_status mnw_ljid(struct mnw *w, struct xp_buf *b, const char *jid,
                       bool bare)
{
    struct xp_jid_parts p;
    if (!jid || !xp_jid_split(jid, &p))
        memset(&p, 0, sizeof p);
    char *u = mnw_lower_dup(&w->ta, p.local ? p.local : "", p.local_len);
    char *d = mnw_lower_dup(&w->ta, p.domain ? p.domain : "", p.domain_len);
    if (!u || !d)
        return XPORTA_ENOMEM;
    xporta_status st = xp_buf_addc(b, '{');
    if (!st)
        st = mnw_bin(b, u);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = mnw_bin(b, d);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = mnw_binn(b, bare ? "" : p.resource, bare ? 0 : p.resource_len);
    return st ? st : xp_buf_addc(b, '}');
}

/* #jid{user, server, resource, luser, lserver, lresource}. */
xporta_status mnw_jid_rec(struct mnw *w, struct xp_buf *b, const char *jid)
{
    struct xp_jid_parts p;
    if (!jid || !xp_jid_split(jid, &p))
        memset(&p, 0, sizeof p);
    char *u = mnw_lower_dup(&w->ta, p.local ? p.local : "", p.local_len);
    char *d = mnw_lower_dup(&w->ta, p.domain ? p.domain : "", p.domain_len);
    if (!u || !d)
        return XPORTA_ENOMEM;
    xporta_status st = xp_buf_adds(b, "{jid,");
    if (!st)
        st = mnw_binn(b, p.local, p.local_len);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = mnw_binn(b, p.domain, p.domain_len);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = mnw_binn(b, p.resource, p.resource_len);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = mnw_bin(b, u);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = mnw_bin(b, d);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = mnw_binn(b, p.resource, p.resource_len);
    return st ? st : xp_buf_addc(b, '}');
}

/* erlang:timestamp() of microseconds: {Mega, Sec, Micro}. */
xporta_status mnw_now_term(struct xp_buf *b, long long us)
{
    return xp_buf_printf(b, "{%lld,%lld,%lld}", us / 1000000000000LL,
                         us / 1000000 % 1000000, us % 1000000);
}

static xporta_status attr_term(struct xp_buf *b, bool *first, const char *name,
                               size_t nlen, const char *value)
{
    xporta_status st = xp_buf_adds(b, *first ? "{" : ",{");
    *first = false;
    if (!st)
        st = mnw_binn(b, name, nlen);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = mnw_bin(b, value);
    return st ? st : xp_buf_addc(b, '}');
}

/* The element as fxml's term; its namespace as xmlns where it is not the
 * parent's. */
xporta_status mnw_xml(struct xp_buf *b, const xp_elem *e, const char *parent_ns,
                      unsigned depth)
{
    if (depth > 200)
        return XPORTA_EFORMAT;
    if (!e->name) {
        xporta_status st = xp_buf_adds(b, "{xmlcdata,");
        if (!st)
            st = mnw_binn(b, e->text, e->text_len);
        return st ? st : xp_buf_addc(b, '}');
    }
    const char *ns = e->ns ? e->ns : "";
    xporta_status st = xp_buf_adds(b, "{xmlel,");
    if (!st)
        st = mnw_bin(b, e->name);
    if (!st)
        st = xp_buf_adds(b, ",[");
    bool first = true;
    if (!st && strcmp(ns, parent_ns ? parent_ns : "") != 0)
        st = attr_term(b, &first, "xmlns", 5, ns);
    unsigned prefixes = 0;
    for (unsigned i = 0; !st && i < e->nattrs; i++) {
        const struct xp_attr *a = &e->attrs[i];
        const char *ans = a->ns ? a->ns : "";
        if (strcmp(a->name, "xmlns") == 0 ||
            strcmp(ans, "http://www.w3.org/2000/xmlns/") == 0)
            continue;
        if (!*ans) {
            st = attr_term(b, &first, a->name, strlen(a->name), a->value);
        } else {
            char name[512];
            if (strcmp(ans, XP_NS_XML) == 0) {
                snprintf(name, sizeof name, "xml:%s", a->name);
            } else {
                char decl[32];
                snprintf(decl, sizeof decl, "xmlns:a%u", prefixes);
                st = attr_term(b, &first, decl, strlen(decl), ans);
                snprintf(name, sizeof name, "a%u:%s", prefixes++, a->name);
            }
            if (!st)
                st = attr_term(b, &first, name, strlen(name), a->value);
        }
    }
    if (!st)
        st = xp_buf_adds(b, "],[");
    bool comma = false;
    for (const xp_elem *c = e->first; !st && c; c = c->next) {
        if (comma)
            st = xp_buf_addc(b, ',');
        comma = true;
        if (!st)
            st = mnw_xml(b, c, ns, depth + 1);
    }
    return st ? st : xp_buf_adds(b, "]}");
}

/* The end of a record: its table is used. */
xporta_status mnw_end_rec(struct mnw *w, enum mn_table t, xporta_status st)
{
    if (st == XPORTA_ETOOBIG)
        return xp_fail(&w->run->err, st,
                       "%s: more than 1 GB of records for ejabberd's load: "
                       "import this account into ejabberd on SQL",
                       w->jid);
    if (st)
        return st == XPORTA_ENOMEM ? mnw_oom(w)
                                   : xp_fail(&w->run->err, st,
                                             "%s: a record could not be "
                                             "written as a term",
                                             w->jid);
    w->tables |= 1u << t;
    return xp_buf_adds(&w->out, "}.\n") ? mnw_oom(w) : XPORTA_OK;
}

/* The time now in microseconds. */
long long mnw_now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (long long)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}
