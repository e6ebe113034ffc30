/*
 * One account's records as ejabberd 23.01 keeps them in Mnesia
 * (ejd_mnesia_p.h), in the text `ejabberdctl load` reads.  What each
 * module writes for the same data (docs/research/ejabberd-mnesia.md §2,
 * checked with a client on a real ejabberd):
 *  - passwd {us, password}: {scram, StoredKey, ServerKey, Salt, sha |
 *    sha256 | sha512, Iterations} with the keys and salt as base64 text,
 *    or the plaintext password; one per account (the first SCRAM
 *    credentials, else the plaintext password);
 *  - roster, one record per contact: the item and a pending request of
 *    the same contact are one record (ask in | out | both, askmessage the
 *    request's status);
 *  - vcard and vcard_search (as mod_vcard's make_vcard_search fills it,
 *    lower-cased in ASCII), private_storage per namespace;
 *  - privacy, one record per account: its lists, the default, and
 *    mod_blocking's blocklist as deny items at the head of the default
 *    list ("Blocked contacts", made the default, when there is none);
 *  - offline_msg with #jid{} from/to, the time of the message's <delay/>,
 *    the message as it is (mod_offline keeps its delay);
 *  - archive_msg: ejabberd's MAM id is a decimal number (it calls
 *    binary_to_integer on it); an id of 13-19 digits (ejabberd's own, the
 *    microseconds of its time) is kept with that time, any other (Prosody's
 *    UUIDs) becomes the time of its <delay/> in microseconds, one more
 *    while that is taken in the account; the account's own stanza-id is
 *    left out (the archive gives it);
 *  - archive_prefs; PEP: pubsub_node (node_pep's options, the form's over
 *    them), pubsub_state (the owner's with the item ids, the other
 *    affiliations and subscriptions), pubsub_item (created now, a
 *    microsecond apart in the order they come).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ejd_map_p.h"
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

/* ---- the account ---------------------------------------------------------
 */

struct mn_group {
    const char *name;
    struct mn_group *next;
};

struct mn_contact {
    const char *jid, *name, *sub, *askmessage;
    bool out, in;
    struct mn_group *groups, *last_group;
    struct mn_contact *next;
};

struct mn_list {
    const char *name;
    struct xp_buf items; /* listitem terms, comma-separated */
    struct mn_list *next;
};

struct mn_state {
    const char *jid, *aff; /* aff NULL: none */
    struct xp_buf subs;    /* {State, SubId} terms, comma-separated */
    struct mn_state *next;
};

struct mn_opt {
    const char *name;
    const char *term;
};

#define MN_MAX_OPTS 32

struct mn_node {
    const char *name;
    unsigned number; /* in the batch */
    struct mn_opt opts[MN_MAX_OPTS];
    unsigned nopts;
    struct xp_strv items;
    struct mn_state *states;
    struct mn_node *next;
};

struct mnw {
    struct xp_run *run;
    char *user, *host, *luser, *lhost, *jid;
    struct xp_arena a;  /* the account's */
    struct xp_arena ta; /* one record's */
    struct xp_buf out;  /* the records written so far */
    struct xp_buf tmp;
    uint32_t tables;
    /* credentials */
    char *plain;
    char *scram[4]; /* stored, server, salt, iterations */
    const char *hash;
    /* the roster */
    struct mn_contact *contacts;
    /* privacy */
    struct mn_list *lists;
    char *default_list;
    struct xp_strv blocks;
    /* PEP */
    struct mn_node *nodes, *last_node;
    unsigned node_base, nnodes;
    long long item_ts;
    /* the archive: the microseconds taken */
    struct xp_set stamps;
    uint64_t archive_rows;
};

static xporta_status oom(struct mnw *w)
{
    return xp_fail(&w->run->err, XPORTA_ENOMEM, "out of memory");
}

static char *lower_dup(struct xp_arena *a, const char *s, size_t n)
{
    char *o = xp_arena_strndup(a, s, n);
    for (char *p = o; p && *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return o;
}

xporta_status mnw_begin(struct mnw **out, const char *host, const char *user,
                        unsigned node_base, struct xp_run *run)
{
    struct mnw *w = calloc(1, sizeof *w);
    if (!w)
        return xp_fail(&run->err, XPORTA_ENOMEM, "out of memory");
    w->run = run;
    w->node_base = node_base;
    xp_arena_init(&w->a, 0);
    xp_arena_init(&w->ta, 0);
    xp_buf_init(&w->out, MN_BUF_MAX);
    xp_buf_init(&w->tmp, MN_BUF_MAX);
    xp_set_init(&w->stamps, 0);
    w->user = xp_strdup(user);
    w->host = xp_strdup(host);
    w->luser = lower_dup(&w->a, user, strlen(user));
    w->lhost = lower_dup(&w->a, host, strlen(host));
    char *j = xp_strcat(user, "@");
    w->jid = j ? xp_strcat(j, host) : NULL;
    free(j);
    if (!w->user || !w->host || !w->luser || !w->lhost || !w->jid) {
        mnw_free(w);
        return xp_fail(&run->err, XPORTA_ENOMEM, "out of memory");
    }
    *out = w;
    return XPORTA_OK;
}

void mnw_free(struct mnw *w)
{
    if (!w)
        return;
    for (struct mn_list *l = w->lists; l; l = l->next)
        xp_buf_cleanup(&l->items);
    for (struct mn_node *n = w->nodes; n; n = n->next) {
        xp_strv_cleanup(&n->items);
        for (struct mn_state *s = n->states; s; s = s->next)
            xp_buf_cleanup(&s->subs);
    }
    free(w->plain);
    for (int i = 0; i < 4; i++)
        free(w->scram[i]);
    free(w->default_list);
    xp_strv_cleanup(&w->blocks);
    xp_set_cleanup(&w->stamps);
    xp_buf_cleanup(&w->out);
    xp_buf_cleanup(&w->tmp);
    xp_arena_cleanup(&w->a);
    xp_arena_cleanup(&w->ta);
    free(w->user);
    free(w->host);
    free(w->jid);
    free(w);
}

size_t mnw_size(const struct mnw *w)
{
    return w->out.len;
}

/* ---- terms ----------------------------------------------------------------
 */

static xporta_status bin(struct xp_buf *b, const char *s)
{
    return et_bin(b, s ? s : "", s ? strlen(s) : 0);
}

static xporta_status binn(struct xp_buf *b, const char *s, size_t n)
{
    return et_bin(b, s ? s : "", s ? n : 0);
}

/* {User, Server} of the account, lower-cased (the key of most tables). */
static xporta_status us(struct mnw *w, struct xp_buf *b)
{
    xporta_status st = xp_buf_addc(b, '{');
    if (!st)
        st = bin(b, w->luser);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = bin(b, w->lhost);
    return st ? st : xp_buf_addc(b, '}');
}

/* {User, Server, Resource} of a JID, user and server lower-cased (ASCII:
 * what nodeprep and nameprep do to the JIDs xporta meets); `bare` leaves
 * the resource out. */
static xporta_status ljid(struct mnw *w, struct xp_buf *b, const char *jid,
                          bool bare)
{
    struct xp_jid_parts p;
    if (!jid || !xp_jid_split(jid, &p))
        memset(&p, 0, sizeof p);
    char *u = lower_dup(&w->ta, p.local ? p.local : "", p.local_len);
    char *d = lower_dup(&w->ta, p.domain ? p.domain : "", p.domain_len);
    if (!u || !d)
        return XPORTA_ENOMEM;
    xporta_status st = xp_buf_addc(b, '{');
    if (!st)
        st = bin(b, u);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = bin(b, d);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = binn(b, bare ? "" : p.resource, bare ? 0 : p.resource_len);
    return st ? st : xp_buf_addc(b, '}');
}

/* #jid{user, server, resource, luser, lserver, lresource}. */
static xporta_status jid_rec(struct mnw *w, struct xp_buf *b, const char *jid)
{
    struct xp_jid_parts p;
    if (!jid || !xp_jid_split(jid, &p))
        memset(&p, 0, sizeof p);
    char *u = lower_dup(&w->ta, p.local ? p.local : "", p.local_len);
    char *d = lower_dup(&w->ta, p.domain ? p.domain : "", p.domain_len);
    if (!u || !d)
        return XPORTA_ENOMEM;
    xporta_status st = xp_buf_adds(b, "{jid,");
    if (!st)
        st = binn(b, p.local, p.local_len);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = binn(b, p.domain, p.domain_len);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = binn(b, p.resource, p.resource_len);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = bin(b, u);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = bin(b, d);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = binn(b, p.resource, p.resource_len);
    return st ? st : xp_buf_addc(b, '}');
}

/* erlang:timestamp() of microseconds: {Mega, Sec, Micro}. */
static xporta_status now_term(struct xp_buf *b, long long us)
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
        st = binn(b, name, nlen);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = bin(b, value);
    return st ? st : xp_buf_addc(b, '}');
}

/* The element as fxml's term; its namespace as xmlns where it is not the
 * parent's. */
static xporta_status xml(struct xp_buf *b, const xp_elem *e,
                         const char *parent_ns, unsigned depth)
{
    if (depth > 200)
        return XPORTA_EFORMAT;
    if (!e->name) {
        xporta_status st = xp_buf_adds(b, "{xmlcdata,");
        if (!st)
            st = binn(b, e->text, e->text_len);
        return st ? st : xp_buf_addc(b, '}');
    }
    const char *ns = e->ns ? e->ns : "";
    xporta_status st = xp_buf_adds(b, "{xmlel,");
    if (!st)
        st = bin(b, e->name);
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
            st = xml(b, c, ns, depth + 1);
    }
    return st ? st : xp_buf_adds(b, "]}");
}

static xporta_status nidx(struct xp_buf *b, const struct mn_node *n)
{
    return xp_buf_printf(b, "%c%u%c", MN_NIDX_MARK, n->number, MN_NIDX_MARK);
}

/* The end of a record: its table is used. */
static xporta_status end_rec(struct mnw *w, enum mn_table t, xporta_status st)
{
    if (st == XPORTA_ETOOBIG)
        return xp_fail(&w->run->err, st,
                       "%s: more than 1 GB of records for ejabberd's load: "
                       "import this account into ejabberd on SQL",
                       w->jid);
    if (st)
        return st == XPORTA_ENOMEM ? oom(w)
                                   : xp_fail(&w->run->err, st,
                                             "%s: a record could not be "
                                             "written as a term",
                                             w->jid);
    w->tables |= 1u << t;
    return xp_buf_adds(&w->out, "}.\n") ? oom(w) : XPORTA_OK;
}

/* ---- credentials ----------------------------------------------------------
 */

static xporta_status credentials(struct mnw *w, const xp_elem *p,
                                 const char **why)
{
    if (xp_elem_is(p, XP_NS_PIE, "password")) {
        free(w->plain);
        w->plain = xp_strdup(xp_elem_text(p));
        return w->plain ? XPORTA_OK : oom(w);
    }
    const char *mech = xp_elem_attr_ns(p, "", "mechanism");
    const char *hash = xp_streq(mech, "SCRAM-SHA-1")     ? "sha"
                       : xp_streq(mech, "SCRAM-SHA-256") ? "sha256"
                       : xp_streq(mech, "SCRAM-SHA-512") ? "sha512"
                                                         : NULL;
    if (!hash) {
        *why = "ejabberd 23.01 keeps SCRAM-SHA-1, -256 and -512 only";
        return XPORTA_EUNSUPPORTED;
    }
    if (w->hash && strcmp(w->hash, hash) != 0) {
        *why = "ejabberd keeps one SCRAM hash per account: the account's "
               "first SCRAM credentials are kept";
        return XPORTA_EUNSUPPORTED;
    }
    const char *sk = xp_elem_child_text(p, XP_NS_PIE_SCRAM, "stored-key");
    const char *svk = xp_elem_child_text(p, XP_NS_PIE_SCRAM, "server-key");
    const char *salt = xp_elem_child_text(p, XP_NS_PIE_SCRAM, "salt");
    const char *ic = xp_elem_child_text(p, XP_NS_PIE_SCRAM, "iter-count");
    uint64_t iter;
    unsigned char raw[128];
    size_t n1, n2, n3;
    size_t want = xp_scram_hash_len(mech);
    if (!sk || !svk || !salt || !ic || !xp_parse_uint(ic, &iter) || iter == 0 ||
        iter > 100000000 || strlen(sk) > 96 || strlen(svk) > 96 ||
        strlen(salt) > 160 || !xp_b64_decode(sk, strlen(sk), raw, &n1) ||
        !xp_b64_decode(svk, strlen(svk), raw, &n2) ||
        !xp_b64_decode(salt, strlen(salt), raw, &n3) || n1 != want ||
        n2 != want || n3 == 0) {
        *why = "malformed SCRAM credentials";
        return XPORTA_EUNSUPPORTED;
    }
    const char *v[4] = {sk, svk, salt, ic};
    for (int i = 0; i < 4; i++) {
        free(w->scram[i]);
        if (!(w->scram[i] = xp_strdup(v[i])))
            return oom(w);
    }
    w->hash = hash;
    return XPORTA_OK;
}

static xporta_status write_passwd(struct mnw *w)
{
    if (!w->hash && !w->plain)
        return XPORTA_OK;
    struct xp_buf *b = &w->out;
    xporta_status st = xp_buf_adds(b, "{passwd,");
    if (!st)
        st = us(w, b);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (w->hash) {
        if (!st)
            st = xp_buf_adds(b, "{scram,");
        for (int i = 0; !st && i < 3; i++) {
            st = bin(b, w->scram[i]);
            if (!st)
                st = xp_buf_addc(b, ',');
        }
        if (!st)
            st = xp_buf_printf(b, "%s,%s}", w->hash, w->scram[3]);
    } else if (!st) {
        st = bin(b, w->plain);
    }
    return end_rec(w, MT_PASSWD, st);
}

/* ---- the roster ------------------------------------------------------------
 */

static struct mn_contact *contact(struct mnw *w, const char *jid)
{
    char *bare = xp_jid_bare(&w->a, jid);
    if (!bare)
        return NULL;
    for (struct mn_contact *c = w->contacts; c; c = c->next)
        if (strcmp(c->jid, bare) == 0)
            return c;
    struct mn_contact *c = xp_arena_alloc(&w->a, sizeof *c);
    if (!c)
        return NULL;
    memset(c, 0, sizeof *c);
    c->jid = bare;
    c->sub = "none";
    c->next = w->contacts;
    w->contacts = c;
    return c;
}

static xporta_status roster_item(struct mnw *w, const xp_elem *p,
                                 const char **why)
{
    const char *jid = xp_elem_attr_ns(p, "", "jid");
    if (!jid) {
        *why = "a roster item without a JID";
        return XPORTA_EUNSUPPORTED;
    }
    struct mn_contact *c = contact(w, jid);
    if (!c)
        return oom(w);
    const char *sub = xp_elem_attr_ns(p, "", "subscription");
    c->sub = xp_streq(sub, "both")   ? "both"
             : xp_streq(sub, "to")   ? "to"
             : xp_streq(sub, "from") ? "from"
                                     : "none";
    c->out = xp_streq(xp_elem_attr_ns(p, "", "ask"), "subscribe");
    const char *name = xp_elem_attr_ns(p, "", "name");
    c->name = name ? xp_arena_strdup(&w->a, name) : NULL;
    c->groups = c->last_group = NULL;
    for (const xp_elem *g = xp_elem_first_element(p); g;
         g = xp_elem_next_element(g)) {
        if (!xp_elem_is(g, XP_NS_ROSTER, "group"))
            continue;
        struct mn_group *n = xp_arena_alloc(&w->a, sizeof *n);
        if (!n || !(n->name = xp_arena_strdup(&w->a, xp_elem_text(g))))
            return oom(w);
        n->next = NULL;
        if (c->last_group)
            c->last_group->next = n;
        else
            c->groups = n;
        c->last_group = n;
    }
    return name && !c->name ? oom(w) : XPORTA_OK;
}

static xporta_status pending(struct mnw *w, const xp_elem *p, const char **why)
{
    const char *from = xp_elem_attr_ns(p, "", "from");
    if (!from) {
        *why = "a subscription request without its sender";
        return XPORTA_EUNSUPPORTED;
    }
    struct mn_contact *c = contact(w, from);
    if (!c)
        return oom(w);
    c->in = true;
    const char *status = xp_elem_child_text(p, XP_NS_CLIENT, "status");
    c->askmessage = xp_arena_strdup(&w->a, status ? status : "");
    return c->askmessage ? XPORTA_OK : oom(w);
}

static xporta_status write_roster(struct mnw *w)
{
    struct xp_buf *b = &w->out;
    xporta_status st = XPORTA_OK;
    for (struct mn_contact *c = w->contacts; !st && c; c = c->next) {
        st = xp_buf_adds(b, "{roster,{");
        if (!st)
            st = bin(b, w->luser);
        if (!st)
            st = xp_buf_addc(b, ',');
        if (!st)
            st = bin(b, w->lhost);
        if (!st)
            st = xp_buf_addc(b, ',');
        if (!st)
            st = ljid(w, b, c->jid, true);
        if (!st)
            st = xp_buf_adds(b, "},");
        if (!st)
            st = us(w, b);
        if (!st)
            st = xp_buf_addc(b, ',');
        if (!st)
            st = ljid(w, b, c->jid, true);
        if (!st)
            st = xp_buf_addc(b, ',');
        if (!st)
            st = bin(b, c->name);
        if (!st)
            st = xp_buf_printf(b, ",%s,%s,[", c->sub,
                               c->in && c->out ? "both"
                               : c->in         ? "in"
                               : c->out        ? "out"
                                               : "none");
        for (struct mn_group *g = c->groups; !st && g; g = g->next) {
            st = bin(b, g->name);
            if (!st && g->next)
                st = xp_buf_addc(b, ',');
        }
        if (!st)
            st = xp_buf_adds(b, "],");
        if (!st)
            st = bin(b, c->askmessage);
        if (!st)
            st = xp_buf_adds(b, ",[]");
        st = end_rec(w, MT_ROSTER, st);
    }
    return st;
}

/* ---- vCard, private XML ----------------------------------------------------
 */

static const char *path_text(const xp_elem *v, const char *a, const char *b)
{
    const xp_elem *e = xp_elem_child(v, XP_NS_VCARD, a);
    if (e && b)
        e = xp_elem_child(e, XP_NS_VCARD, b);
    return e ? xp_elem_text(e) : "";
}

static xporta_status vcard(struct mnw *w, const xp_elem *p)
{
    struct xp_buf *b = &w->out;
    xporta_status st = xp_buf_adds(b, "{vcard,");
    if (!st)
        st = us(w, b);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = xml(b, p, "", 0);
    if ((st = end_rec(w, MT_VCARD, st)))
        return st;
    const char *email = path_text(p, "EMAIL", "USERID");
    if (!*email)
        email = path_text(p, "EMAIL", NULL);
    const char *f[11] = {
        path_text(p, "FN", NULL),
        path_text(p, "N", "FAMILY"),
        path_text(p, "N", "GIVEN"),
        path_text(p, "N", "MIDDLE"),
        path_text(p, "NICKNAME", NULL),
        path_text(p, "BDAY", NULL),
        path_text(p, "ADR", "CTRY"),
        path_text(p, "ADR", "LOCALITY"),
        email,
        path_text(p, "ORG", "ORGNAME"),
        path_text(p, "ORG", "ORGUNIT"),
    };
    st = xp_buf_adds(b, "{vcard_search,");
    if (!st)
        st = us(w, b);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st) /* user: {User, LServer} */
        st = xp_buf_addc(b, '{');
    if (!st)
        st = bin(b, w->user);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = bin(b, w->lhost);
    if (!st)
        st = xp_buf_adds(b, "},");
    if (!st)
        st = bin(b, w->luser);
    for (int i = 0; !st && i < 11; i++) {
        char *l = lower_dup(&w->ta, f[i], strlen(f[i]));
        if (!l)
            return oom(w);
        st = xp_buf_addc(b, ',');
        if (!st)
            st = bin(b, f[i]);
        if (!st)
            st = xp_buf_addc(b, ',');
        if (!st)
            st = bin(b, l);
    }
    return end_rec(w, MT_VCARD_SEARCH, st);
}

static xporta_status private_xml(struct mnw *w, const xp_elem *p)
{
    struct xp_buf *b = &w->out;
    xporta_status st = xp_buf_adds(b, "{private_storage,{");
    if (!st)
        st = bin(b, w->luser);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = bin(b, w->lhost);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = bin(b, p->ns ? p->ns : "");
    if (!st)
        st = xp_buf_adds(b, "},");
    if (!st)
        st = xml(b, p, "", 0);
    return end_rec(w, MT_PRIVATE, st);
}

/* ---- privacy lists and the blocklist ----------------------------------------
 */

static struct mn_list *list(struct mnw *w, const char *name)
{
    struct mn_list **pp = &w->lists;
    for (; *pp; pp = &(*pp)->next)
        if (strcmp((*pp)->name, name) == 0)
            return *pp;
    struct mn_list *l = xp_arena_alloc(&w->a, sizeof *l);
    if (!l || !(l->name = xp_arena_strdup(&w->a, name)))
        return NULL;
    xp_buf_init(&l->items, MN_BUF_MAX);
    l->next = NULL;
    *pp = l;
    return l;
}

static xporta_status listitem(struct mnw *w, struct xp_buf *b, const char *type,
                              const char *value, bool allow,
                              unsigned long long order, const bool m[5])
{
    xporta_status st =
        xp_buf_printf(b, "%s{listitem,%s,", b->len ? "," : "", type);
    if (st)
        return st;
    if (strcmp(type, "jid") == 0)
        st = ljid(w, b, value, false);
    else if (strcmp(type, "group") == 0)
        st = bin(b, value);
    else if (strcmp(type, "subscription") == 0)
        st = xp_buf_adds(b, xp_streq(value, "both")   ? "both"
                            : xp_streq(value, "to")   ? "to"
                            : xp_streq(value, "from") ? "from"
                                                      : "none");
    else
        st = xp_buf_adds(b, "none");
    if (!st)
        st = xp_buf_printf(b, ",%s,%llu,%s,%s,%s,%s,%s}",
                           allow ? "allow" : "deny", order,
                           m[0] ? "true" : "false", m[1] ? "true" : "false",
                           m[2] ? "true" : "false", m[3] ? "true" : "false",
                           m[4] ? "true" : "false");
    return st;
}

static xporta_status privacy(struct mnw *w, const xp_elem *p)
{
    const char *name = xp_elem_attr_ns(p, "", "name");
    if (xp_elem_is(p, XP_NS_PRIVACY, "active"))
        return XPORTA_OK; /* a session's, not stored */
    if (!name)
        return XPORTA_OK;
    if (xp_elem_is(p, XP_NS_PRIVACY, "default")) {
        free(w->default_list);
        w->default_list = xp_strdup(name);
        return w->default_list ? XPORTA_OK : oom(w);
    }
    struct mn_list *l = list(w, name);
    if (!l)
        return oom(w);
    xp_buf_reset(&l->items);
    xporta_status st = XPORTA_OK;
    for (const xp_elem *it = xp_elem_first_element(p); !st && it;
         it = xp_elem_next_element(it)) {
        if (!xp_elem_is(it, XP_NS_PRIVACY, "item"))
            continue;
        const char *type = xp_elem_attr_ns(it, "", "type");
        const char *value = xp_elem_attr_ns(it, "", "value");
        const char *order = xp_elem_attr_ns(it, "", "order");
        const char *t = !type                            ? "none"
                        : xp_streq(type, "jid")          ? "jid"
                        : xp_streq(type, "group")        ? "group"
                        : xp_streq(type, "subscription") ? "subscription"
                                                         : NULL;
        uint64_t ord;
        if (!t || !order || !xp_parse_uint(order, &ord))
            continue; /* the checker reports what is not XEP-0016 */
        static const char *const what[] = {"iq", "message", "presence-in",
                                           "presence-out"};
        bool m[5] = {true, false, false, false, false};
        for (int k = 0; k < 4; k++)
            if (xp_elem_child(it, XP_NS_PRIVACY, what[k]))
                m[0] = false, m[k + 1] = true;
        st = listitem(w, &l->items, t, value,
                      xp_streq(xp_elem_attr_ns(it, "", "action"), "allow"),
                      (unsigned long long)ord, m);
    }
    return st ? oom(w) : XPORTA_OK;
}

static xporta_status write_privacy(struct mnw *w)
{
    if (!w->lists && !w->default_list && !w->blocks.n)
        return XPORTA_OK;
    const char *def = w->default_list;
    if (!def && w->blocks.n)
        def = XP_EJABBERD_BLOCKLIST;
    if (w->blocks.n) {
        /* mod_blocking: deny items, order 0, every stanza, at the head of
         * the default list */
        struct mn_list *l = list(w, def);
        if (!l)
            return oom(w);
        struct xp_buf head;
        xp_buf_init(&head, MN_BUF_MAX);
        static const bool all[5] = {true, false, false, false, false};
        xporta_status st = XPORTA_OK;
        for (size_t i = 0; !st && i < w->blocks.n; i++)
            st = listitem(w, &head, "jid", w->blocks.v[i], false, 0, all);
        if (!st && l->items.len)
            st = xp_buf_addc(&head, ',');
        if (!st && l->items.len)
            st = xp_buf_add(&head, l->items.data, l->items.len);
        if (st) {
            xp_buf_cleanup(&head);
            return oom(w);
        }
        xp_buf_cleanup(&l->items);
        l->items = head;
    }
    struct xp_buf *b = &w->out;
    xporta_status st = xp_buf_adds(b, "{privacy,");
    if (!st)
        st = us(w, b);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = def ? bin(b, def) : xp_buf_adds(b, "none");
    if (!st)
        st = xp_buf_adds(b, ",[");
    for (struct mn_list *l = w->lists; !st && l; l = l->next) {
        st = xp_buf_addc(b, '{');
        if (!st)
            st = bin(b, l->name);
        if (!st)
            st = xp_buf_adds(b, ",[");
        if (!st && l->items.len)
            st = xp_buf_add(b, l->items.data, l->items.len);
        if (!st)
            st = xp_buf_adds(b, l->next ? "]}," : "]}");
    }
    if (!st)
        st = xp_buf_addc(b, ']');
    return end_rec(w, MT_PRIVACY, st);
}

/* ---- offline messages, the archive, its preferences -------------------------
 */

static long long now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (long long)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static xporta_status offline(struct mnw *w, const xp_elem *p)
{
    long long ts = 0;
    for (const xp_elem *d = xp_elem_first_element(p); d;
         d = xp_elem_next_element(d))
        if (xp_elem_is(d, XP_NS_DELAY, "delay") &&
            ejd_parse_usec(xp_elem_attr_ns(d, "", "stamp"), &ts))
            break;
    if (!ts)
        ts = now_us();
    const char *from = xp_elem_attr_ns(p, "", "from");
    const char *to = xp_elem_attr_ns(p, "", "to");
    struct xp_buf *b = &w->out;
    xporta_status st = xp_buf_adds(b, "{offline_msg,");
    if (!st)
        st = us(w, b);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = now_term(b, ts);
    if (!st)
        st = xp_buf_adds(b, ",never,");
    if (!st)
        st = jid_rec(w, b, from ? from : w->host);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = jid_rec(w, b, to ? to : w->jid);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = xml(b, p, "", 0);
    return end_rec(w, MT_OFFLINE, st);
}

static bool all_digits(const char *s, size_t min, size_t max)
{
    size_t n = 0;
    for (; s && s[n]; n++)
        if (s[n] < '0' || s[n] > '9')
            return false;
    return n >= min && n <= max;
}

static xporta_status archive(struct mnw *w, const xporta_record *rec,
                             const char **why)
{
    const xp_elem *fw = xp_elem_child(rec->payload, XP_NS_FORWARD, "forwarded");
    const xp_elem *d = fw ? xp_elem_child(fw, XP_NS_DELAY, "delay") : NULL;
    const xp_elem *m = fw ? xp_elem_child(fw, XP_NS_CLIENT, "message") : NULL;
    long long ts;
    if (!m || !d || !ejd_parse_usec(xp_elem_attr_ns(d, "", "stamp"), &ts)) {
        *why = "an archived message without its message or time";
        return XPORTA_EUNSUPPORTED;
    }
    bool keep_id = all_digits(rec->key, 13, 19);
    if (keep_id)
        ts = strtoll(rec->key, NULL, 10); /* ejabberd's own id: its time */
    int fresh;
    while ((fresh = xp_set_add(&w->stamps, (uint64_t)ts)) == 0 && !keep_id)
        ts++;
    if (fresh < 0)
        return oom(w);
    if (fresh == 0) { /* the same id twice: once is enough */
        *why = "an archived message under an id already written";
        return XPORTA_EUNSUPPORTED;
    }
    /* the message as ejabberd keeps it: what this account's server added
     * (its stanza-id, <archived/>) goes, the archive gives those */
    xp_elem *c = xp_elem_clone(&w->ta, m);
    if (!c)
        return oom(w);
    for (xp_elem *e = xp_elem_first_element(c), *n; e; e = n) {
        n = xp_elem_next_element(e);
        if ((xp_elem_is(e, "urn:xmpp:sid:0", "stanza-id") ||
             xp_elem_is(e, "urn:xmpp:mam:tmp", "archived")) &&
            xp_streq(xp_elem_attr_ns(e, "", "by"), w->jid))
            xp_elem_unlink(e);
    }
    /* the peer is the other side of the message */
    const char *from = xp_elem_attr_ns(c, "", "from");
    const char *to = xp_elem_attr_ns(c, "", "to");
    char *fb = from ? xp_jid_bare(&w->ta, from) : NULL;
    bool outgoing = fb && xp_ascii_ieq(fb, w->jid, strlen(w->jid) + 1);
    const char *peer = outgoing ? to : from;
    if (!peer)
        peer = outgoing ? w->host : w->jid;
    char id[32];
    snprintf(id, sizeof id, "%lld", ts);
    struct xp_buf *b = &w->out;
    xporta_status st = xp_buf_adds(b, "{archive_msg,");
    if (!st)
        st = us(w, b);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = bin(b, id);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = now_term(b, ts);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = ljid(w, b, peer, false);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = ljid(w, b, peer, true);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = xml(b, c, "", 0);
    if (!st)
        st = xp_buf_adds(b, ",<<>>,chat");
    w->archive_rows++;
    return end_rec(w, MT_ARCHIVE, st);
}

static xporta_status jid_list(struct mnw *w, struct xp_buf *b,
                              const xp_elem *list)
{
    xporta_status st = xp_buf_addc(b, '[');
    bool first = true;
    for (const xp_elem *j = list ? xp_elem_first_element(list) : NULL; !st && j;
         j = xp_elem_next_element(j)) {
        if (!first)
            st = xp_buf_addc(b, ',');
        first = false;
        if (!st)
            st = ljid(w, b, xp_elem_text(j), false);
    }
    return st ? st : xp_buf_addc(b, ']');
}

static xporta_status prefs(struct mnw *w, const xp_elem *p)
{
    const char *def = xp_elem_attr_ns(p, "", "default");
    if (!def || (strcmp(def, "always") && strcmp(def, "never") &&
                 strcmp(def, "roster")))
        def = "always";
    struct xp_buf *b = &w->out;
    xporta_status st = xp_buf_adds(b, "{archive_prefs,");
    if (!st)
        st = us(w, b);
    if (!st)
        st = xp_buf_printf(b, ",%s,", def);
    if (!st)
        st = jid_list(w, b, xp_elem_child(p, XP_NS_MAM, "always"));
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = jid_list(w, b, xp_elem_child(p, XP_NS_MAM, "never"));
    return end_rec(w, MT_PREFS, st);
}

/* ---- PEP ------------------------------------------------------------------
 */

/* node_pep's options in 23.01 (what ejabberd writes for a node it makes). */
static const struct mn_opt pep_defaults[] = {
    {"access_model", "presence"},
    {"deliver_notifications", "true"},
    {"deliver_payloads", "true"},
    {"itemreply", "none"},
    {"max_items", "1"},
    {"max_payload_size", "250000"},
    {"notification_type", "headline"},
    {"notify_config", "false"},
    {"notify_delete", "false"},
    {"notify_retract", "false"},
    {"persist_items", "true"},
    {"presence_based_delivery", "true"},
    {"publish_model", "publishers"},
    {"purge_offline", "false"},
    {"roster_groups_allowed", "[]"},
    {"send_last_published_item", "on_sub_and_presence"},
    {"subscribe", "true"},
};

static struct mn_node *node(struct mnw *w, const char *name)
{
    for (struct mn_node *n = w->nodes; n; n = n->next)
        if (strcmp(n->name, name) == 0)
            return n;
    struct mn_node *n = xp_arena_alloc(&w->a, sizeof *n);
    if (!n)
        return NULL;
    memset(n, 0, sizeof *n);
    if (!(n->name = xp_arena_strdup(&w->a, name)))
        return NULL;
    n->number = w->node_base + ++w->nnodes;
    for (size_t i = 0; i < sizeof pep_defaults / sizeof *pep_defaults; i++)
        n->opts[n->nopts++] = pep_defaults[i];
    if (w->last_node)
        w->last_node->next = n;
    else
        w->nodes = n;
    w->last_node = n;
    return n;
}

static void set_opt(struct mn_node *n, const char *name, const char *term)
{
    for (unsigned i = 0; i < n->nopts; i++)
        if (strcmp(n->opts[i].name, name) == 0) {
            n->opts[i].term = term;
            return;
        }
    if (n->nopts < MN_MAX_OPTS)
        n->opts[n->nopts++] = (struct mn_opt){name, term};
}

/* The option's term from a form field's values (NULL: left as it is). */
static const char *option_term(struct mnw *w, const struct ejd_opt *o,
                               const xp_elem *field)
{
    const xp_elem *val = xp_elem_child(field, XP_NS_DATA, "value");
    const char *s = val ? xp_elem_text(val) : NULL;
    struct xp_buf *b = &w->tmp;
    xp_buf_reset(b);
    xporta_status st = XPORTA_OK;
    switch (o->type) {
    case EO_BOOL:
        if (!s)
            return NULL;
        st = xp_buf_adds(b, xp_streq(s, "1") || xp_streq(s, "true") ? "true"
                                                                    : "false");
        break;
    case EO_INT: {
        uint64_t n;
        if (xp_streq(s, "max"))
            st = xp_buf_adds(b, "max");
        else if (s && xp_parse_uint(s, &n))
            st = xp_buf_printf(b, "%llu", (unsigned long long)n);
        else
            return NULL;
        break;
    }
    case EO_ATOM:
        if (!s || !*s)
            return NULL;
        st = et_atom(b, s);
        break;
    case EO_BIN:
        if (!s)
            return NULL;
        st = bin(b, s);
        break;
    case EO_BINS:
        st = xp_buf_addc(b, '[');
        for (const xp_elem *v = xp_elem_first_element(field); !st && v;
             v = xp_elem_next_element(v)) {
            if (!xp_elem_is(v, XP_NS_DATA, "value"))
                continue;
            if (b->len > 1)
                st = xp_buf_addc(b, ',');
            if (!st)
                st = bin(b, xp_elem_text(v));
        }
        if (!st)
            st = xp_buf_addc(b, ']');
        break;
    }
    return st ? NULL : xp_arena_strndup(&w->a, b->data, b->len);
}

static xporta_status node_config(struct mnw *w, const xp_elem *p)
{
    const char *name = xp_elem_attr_ns(p, "", "node");
    if (!name)
        return XPORTA_OK;
    struct mn_node *n = node(w, name);
    if (!n)
        return oom(w);
    const xp_elem *x = xp_elem_child(p, XP_NS_DATA, "x");
    for (const xp_elem *f = x ? xp_elem_first_element(x) : NULL; f;
         f = xp_elem_next_element(f)) {
        const char *var = xp_elem_attr_ns(f, "", "var");
        const struct ejd_opt *o = ejd_node_opts;
        while (o->name && !xp_streq(o->var, var))
            o++;
        if (!o->name)
            continue;
        const char *t = option_term(w, o, f);
        if (t)
            set_opt(n, o->name, t);
    }
    return XPORTA_OK;
}

static struct mn_state *state(struct mnw *w, struct mn_node *n, const char *jid)
{
    for (struct mn_state *s = n->states; s; s = s->next)
        if (strcmp(s->jid, jid) == 0)
            return s;
    struct mn_state *s = xp_arena_alloc(&w->a, sizeof *s);
    if (!s || !(s->jid = xp_arena_strdup(&w->a, jid)))
        return NULL;
    s->aff = NULL;
    xp_buf_init(&s->subs, MN_BUF_MAX);
    s->next = n->states;
    n->states = s;
    return s;
}

static xporta_status node_states(struct mnw *w, const xp_elem *p, bool affs)
{
    const char *name = xp_elem_attr_ns(p, "", "node");
    if (!name)
        return XPORTA_OK;
    struct mn_node *n = node(w, name);
    if (!n)
        return oom(w);
    for (const xp_elem *e = xp_elem_first_element(p); e;
         e = xp_elem_next_element(e)) {
        const char *jid = xp_elem_attr_ns(e, "", "jid");
        if (!jid || xp_ascii_ieq(jid, w->jid, strlen(w->jid) + 1))
            continue; /* the owner's state is the node's */
        if (affs) {
            const char *a = xp_elem_attr_ns(e, "", "affiliation");
            const char *aff = xp_streq(a, "owner")          ? "owner"
                              : xp_streq(a, "publisher")    ? "publisher"
                              : xp_streq(a, "publish-only") ? "publish_only"
                              : xp_streq(a, "member")       ? "member"
                              : xp_streq(a, "outcast")      ? "outcast"
                                                            : NULL;
            if (!aff)
                continue;
            struct mn_state *s = state(w, n, jid);
            if (!s)
                return oom(w);
            s->aff = aff;
        } else {
            const char *sub = xp_elem_attr_ns(e, "", "subscription");
            const char *code = xp_streq(sub, "subscribed")     ? "subscribed"
                               : xp_streq(sub, "pending")      ? "pending"
                               : xp_streq(sub, "unconfigured") ? "unconfigured"
                                                               : NULL;
            if (!code)
                continue;
            struct mn_state *s = state(w, n, jid);
            if (!s)
                return oom(w);
            const char *subid = xp_elem_attr_ns(e, "", "subid");
            char made[40];
            if (!subid || !*subid) {
                /* ejabberd's subids are random; one is made */
                snprintf(made, sizeof made, "%016llx",
                         (unsigned long long)now_us() * 2654435761u ^
                             (unsigned long long)(uintptr_t)s);
                subid = made;
            }
            xporta_status st =
                xp_buf_printf(&s->subs, "%s{%s,", s->subs.len ? "," : "", code);
            if (!st)
                st = bin(&s->subs, subid);
            if (!st)
                st = xp_buf_addc(&s->subs, '}');
            if (st)
                return oom(w);
        }
    }
    return XPORTA_OK;
}

static xporta_status pep_item(struct mnw *w, const xporta_record *rec)
{
    const xp_elem *p = rec->payload;
    const char *id = xp_elem_attr_ns(p, "", "id");
    if (!id || !rec->key)
        return XPORTA_OK;
    struct mn_node *n = node(w, rec->key);
    if (!n)
        return oom(w);
    if (!xp_strv_has(&n->items, id) && xp_strv_add(&n->items, id) < 0)
        return oom(w);
    /* items in the order they come: now, a microsecond apart */
    if (!w->item_ts)
        w->item_ts = now_us();
    long long t = w->item_ts++;
    const char *pub = xp_elem_attr_ns(p, "", "publisher");
    struct xp_buf *b = &w->out;
    xporta_status st = xp_buf_adds(b, "{pubsub_item,{");
    if (!st)
        st = bin(b, id);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = nidx(b, n);
    if (!st)
        st = xp_buf_adds(b, "},");
    if (!st)
        st = nidx(b, n);
    if (!st)
        st = xp_buf_adds(b, ",{");
    if (!st)
        st = now_term(b, t);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = ljid(w, b, w->jid, true);
    if (!st)
        st = xp_buf_adds(b, "},{");
    if (!st)
        st = now_term(b, t);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = ljid(w, b, pub ? pub : w->jid, false);
    if (!st)
        st = xp_buf_adds(b, "},[");
    bool comma = false;
    for (const xp_elem *c = xp_elem_first_element(p); !st && c;
         c = xp_elem_next_element(c)) {
        if (comma)
            st = xp_buf_addc(b, ',');
        comma = true;
        if (!st)
            st = xml(b, c, "", 0);
    }
    if (!st)
        st = xp_buf_addc(b, ']');
    return end_rec(w, MT_PUBSUB_ITEM, st);
}

static xporta_status pep_state(struct mnw *w, struct mn_node *n,
                               const char *jid, const char *aff,
                               const struct xp_strv *items,
                               const struct xp_buf *subs)
{
    struct xp_buf *b = &w->out;
    xporta_status st = xp_buf_adds(b, "{pubsub_state,{");
    if (!st)
        st = ljid(w, b, jid, false);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = nidx(b, n);
    if (!st)
        st = xp_buf_adds(b, "},");
    if (!st)
        st = nidx(b, n);
    if (!st)
        st = xp_buf_adds(b, ",[");
    for (size_t i = 0; !st && items && i < items->n; i++) {
        if (i)
            st = xp_buf_addc(b, ',');
        if (!st)
            st = bin(b, items->v[i]);
    }
    if (!st)
        st = xp_buf_printf(b, "],%s,[", aff);
    if (!st && subs && subs->len)
        st = xp_buf_add(b, subs->data, subs->len);
    if (!st)
        st = xp_buf_addc(b, ']');
    return end_rec(w, MT_PUBSUB_STATE, st);
}

static xporta_status write_pep(struct mnw *w)
{
    struct xp_buf *b = &w->out;
    xporta_status st = XPORTA_OK;
    for (struct mn_node *n = w->nodes; !st && n; n = n->next) {
        st = xp_buf_adds(b, "{pubsub_node,{");
        if (!st)
            st = ljid(w, b, w->jid, true);
        if (!st)
            st = xp_buf_addc(b, ',');
        if (!st)
            st = bin(b, n->name);
        if (!st)
            st = xp_buf_adds(b, "},");
        if (!st)
            st = nidx(b, n);
        if (!st)
            st = xp_buf_adds(b, ",[],<<\"pep\">>,[");
        if (!st)
            st = ljid(w, b, w->jid, true);
        if (!st)
            st = xp_buf_adds(b, "],[");
        for (unsigned i = 0; !st && i < n->nopts; i++)
            st = xp_buf_printf(b, "%s{%s,%s}", i ? "," : "", n->opts[i].name,
                               n->opts[i].term);
        if (!st)
            st = xp_buf_addc(b, ']');
        if ((st = end_rec(w, MT_PUBSUB_NODE, st)))
            break;
        st = pep_state(w, n, w->jid, "owner", &n->items, NULL);
        for (struct mn_state *s = n->states; !st && s; s = s->next)
            st = pep_state(w, n, s->jid, s->aff ? s->aff : "none", NULL,
                           &s->subs);
    }
    return st;
}

/* ---- records, the end ------------------------------------------------------
 */

xporta_status mnw_record(struct mnw *w, const xporta_record *rec,
                         const char **why)
{
    const xp_elem *p = rec->payload;
    xp_arena_reset(&w->ta);
    switch (rec->kind) {
    case XPORTA_KIND_CREDENTIALS:
        return credentials(w, p, why);
    case XPORTA_KIND_ROSTER:
        return roster_item(w, p, why);
    case XPORTA_KIND_PENDING:
        return pending(w, p, why);
    case XPORTA_KIND_VCARD:
        return vcard(w, p);
    case XPORTA_KIND_PRIVATE:
        return private_xml(w, p);
    case XPORTA_KIND_PRIVACY:
        return privacy(w, p);
    case XPORTA_KIND_BLOCKLIST: {
        const char *jid = xp_elem_attr_ns(p, "", "jid");
        if (!jid) {
            *why = "a blocklist item without a JID";
            return XPORTA_EUNSUPPORTED;
        }
        return xp_strv_add(&w->blocks, jid) < 0 ? oom(w) : XPORTA_OK;
    }
    case XPORTA_KIND_OFFLINE:
        return offline(w, p);
    case XPORTA_KIND_ARCHIVE:
        return archive(w, rec, why);
    case XPORTA_KIND_MAM_PREFS:
        return prefs(w, p);
    case XPORTA_KIND_PEP_NODE:
        return node_config(w, p);
    case XPORTA_KIND_PEP_AFFILIATIONS:
        return node_states(w, p, true);
    case XPORTA_KIND_PEP_SUBSCRIPTIONS:
        return node_states(w, p, false);
    case XPORTA_KIND_PEP_ITEM:
        return pep_item(w, rec);
    default:
        *why = "ejabberd 23.01 has no table for it";
        return XPORTA_EUNSUPPORTED;
    }
}

xporta_status mnw_finish(struct mnw *w, struct xp_buf *out, uint32_t *tables,
                         unsigned *nodes, uint64_t *archive_rows)
{
    xporta_status st = write_passwd(w);
    if (!st)
        st = write_roster(w);
    if (!st)
        st = write_privacy(w);
    if (!st)
        st = write_pep(w);
    if (st)
        return st;
    if (xp_buf_add(out, w->out.data ? w->out.data : "", w->out.len))
        return oom(w);
    *tables |= w->tables;
    *nodes += w->nnodes;
    *archive_rows += w->archive_rows;
    return XPORTA_OK;
}
