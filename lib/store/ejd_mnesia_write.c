/*
 * One account's records as ejabberd 23.01 keeps them in Mnesia
 * (ejd_mnesia_p.h), in the text `ejabberdctl load` reads: the account
 * (mnw_begin .. mnw_finish), each record sent to its kind's writer
 * (mnw_record), the terms from ejd_mnesia_term.c, PEP in ejd_mnesia_pep.c.
 * vCards, private XML, offline and archived messages and the archive's
 * preferences are written as they come; credentials, the roster, privacy
 * and PEP nodes are gathered and written at the account's end
 * (mnw_finish).  What each module writes for the same data
 * (docs/research/ejabberd-mnesia.md §2, checked with a client on a real
 * ejabberd):
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
 *  - archive_prefs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ejd_map_p.h"
#include "ejd_mnesia_p.h"

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
    w->luser = mnw_lower_dup(&w->a, user, strlen(user));
    w->lhost = mnw_lower_dup(&w->a, host, strlen(host));
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
    mnw_pep_free(w);
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

/* ---- credentials ----------------------------------------------------------
 */

static xporta_status credentials(struct mnw *w, const xp_elem *p,
                                 const char **why)
{
    if (xp_elem_is(p, XP_NS_PIE, "password")) {
        free(w->plain);
        w->plain = xp_strdup(xp_elem_text(p));
        return w->plain ? XPORTA_OK : mnw_oom(w);
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
            return mnw_oom(w);
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
        st = mnw_us(w, b);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (w->hash) {
        if (!st)
            st = xp_buf_adds(b, "{scram,");
        for (int i = 0; !st && i < 3; i++) {
            st = mnw_bin(b, w->scram[i]);
            if (!st)
                st = xp_buf_addc(b, ',');
        }
        if (!st)
            st = xp_buf_printf(b, "%s,%s}", w->hash, w->scram[3]);
    } else if (!st) {
        st = mnw_bin(b, w->plain);
    }
    return mnw_end_rec(w, MT_PASSWD, st);
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
        return mnw_oom(w);
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
            return mnw_oom(w);
        n->next = NULL;
        if (c->last_group)
            c->last_group->next = n;
        else
            c->groups = n;
        c->last_group = n;
    }
    return name && !c->name ? mnw_oom(w) : XPORTA_OK;
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
        return mnw_oom(w);
    c->in = true;
    const char *status = xp_elem_child_text(p, XP_NS_CLIENT, "status");
    c->askmessage = xp_arena_strdup(&w->a, status ? status : "");
    return c->askmessage ? XPORTA_OK : mnw_oom(w);
}

static xporta_status write_roster(struct mnw *w)
{
    struct xp_buf *b = &w->out;
    xporta_status st = XPORTA_OK;
    for (struct mn_contact *c = w->contacts; !st && c; c = c->next) {
        st = xp_buf_adds(b, "{roster,{");
        if (!st)
            st = mnw_bin(b, w->luser);
        if (!st)
            st = xp_buf_addc(b, ',');
        if (!st)
            st = mnw_bin(b, w->lhost);
        if (!st)
            st = xp_buf_addc(b, ',');
        if (!st)
            st = mnw_ljid(w, b, c->jid, true);
        if (!st)
            st = xp_buf_adds(b, "},");
        if (!st)
            st = mnw_us(w, b);
        if (!st)
            st = xp_buf_addc(b, ',');
        if (!st)
            st = mnw_ljid(w, b, c->jid, true);
        if (!st)
            st = xp_buf_addc(b, ',');
        if (!st)
            st = mnw_bin(b, c->name);
        if (!st)
            st = xp_buf_printf(b, ",%s,%s,[", c->sub,
                               c->in && c->out ? "both"
                               : c->in         ? "in"
                               : c->out        ? "out"
                                               : "none");
        for (struct mn_group *g = c->groups; !st && g; g = g->next) {
            st = mnw_bin(b, g->name);
            if (!st && g->next)
                st = xp_buf_addc(b, ',');
        }
        if (!st)
            st = xp_buf_adds(b, "],");
        if (!st)
            st = mnw_bin(b, c->askmessage);
        if (!st)
            st = xp_buf_adds(b, ",[]");
        st = mnw_end_rec(w, MT_ROSTER, st);
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
        st = mnw_us(w, b);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = mnw_xml(b, p, "", 0);
    if ((st = mnw_end_rec(w, MT_VCARD, st)))
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
        st = mnw_us(w, b);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st) /* user: {User, LServer} */
        st = xp_buf_addc(b, '{');
    if (!st)
        st = mnw_bin(b, w->user);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = mnw_bin(b, w->lhost);
    if (!st)
        st = xp_buf_adds(b, "},");
    if (!st)
        st = mnw_bin(b, w->luser);
    for (int i = 0; !st && i < 11; i++) {
        char *l = mnw_lower_dup(&w->ta, f[i], strlen(f[i]));
        if (!l)
            return mnw_oom(w);
        st = xp_buf_addc(b, ',');
        if (!st)
            st = mnw_bin(b, f[i]);
        if (!st)
            st = xp_buf_addc(b, ',');
        if (!st)
            st = mnw_bin(b, l);
    }
    return mnw_end_rec(w, MT_VCARD_SEARCH, st);
}

static xporta_status private_xml(struct mnw *w, const xp_elem *p)
{
    struct xp_buf *b = &w->out;
    xporta_status st = xp_buf_adds(b, "{private_storage,{");
    if (!st)
        st = mnw_bin(b, w->luser);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = mnw_bin(b, w->lhost);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = mnw_bin(b, p->ns ? p->ns : "");
    if (!st)
        st = xp_buf_adds(b, "},");
    if (!st)
        st = mnw_xml(b, p, "", 0);
    return mnw_end_rec(w, MT_PRIVATE, st);
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
        st = mnw_ljid(w, b, value, false);
    else if (strcmp(type, "group") == 0)
        st = mnw_bin(b, value);
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
        return w->default_list ? XPORTA_OK : mnw_oom(w);
    }
    struct mn_list *l = list(w, name);
    if (!l)
        return mnw_oom(w);
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
    return st ? mnw_oom(w) : XPORTA_OK;
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
            return mnw_oom(w);
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
            return mnw_oom(w);
        }
        xp_buf_cleanup(&l->items);
        l->items = head;
    }
    struct xp_buf *b = &w->out;
    xporta_status st = xp_buf_adds(b, "{privacy,");
    if (!st)
        st = mnw_us(w, b);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = def ? mnw_bin(b, def) : xp_buf_adds(b, "none");
    if (!st)
        st = xp_buf_adds(b, ",[");
    for (struct mn_list *l = w->lists; !st && l; l = l->next) {
        st = xp_buf_addc(b, '{');
        if (!st)
            st = mnw_bin(b, l->name);
        if (!st)
            st = xp_buf_adds(b, ",[");
        if (!st && l->items.len)
            st = xp_buf_add(b, l->items.data, l->items.len);
        if (!st)
            st = xp_buf_adds(b, l->next ? "]}," : "]}");
    }
    if (!st)
        st = xp_buf_addc(b, ']');
    return mnw_end_rec(w, MT_PRIVACY, st);
}

/* ---- offline messages, the archive, its preferences -------------------------
 */

static xporta_status offline(struct mnw *w, const xp_elem *p)
{
    long long ts = 0;
    for (const xp_elem *d = xp_elem_first_element(p); d;
         d = xp_elem_next_element(d))
        if (xp_elem_is(d, XP_NS_DELAY, "delay") &&
            ejd_parse_usec(xp_elem_attr_ns(d, "", "stamp"), &ts))
            break;
    if (!ts)
        ts = mnw_now_us();
    const char *from = xp_elem_attr_ns(p, "", "from");
    const char *to = xp_elem_attr_ns(p, "", "to");
    struct xp_buf *b = &w->out;
    xporta_status st = xp_buf_adds(b, "{offline_msg,");
    if (!st)
        st = mnw_us(w, b);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = mnw_now_term(b, ts);
    if (!st)
        st = xp_buf_adds(b, ",never,");
    if (!st)
        st = mnw_jid_rec(w, b, from ? from : w->host);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = mnw_jid_rec(w, b, to ? to : w->jid);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = mnw_xml(b, p, "", 0);
    return mnw_end_rec(w, MT_OFFLINE, st);
}

static xporta_status archive(struct mnw *w, const xporta_record *rec,
                             const char **why)
{
    long long ts;
    const xp_elem *m = ejd_archive_unwrap(rec->payload, &ts);
    if (!m) {
        *why = "an archived message without its message or time";
        return XPORTA_EUNSUPPORTED;
    }
    bool keep_id = ejd_archive_own_id(rec->key);
    if (keep_id)
        ts = strtoll(rec->key, NULL, 10); /* ejabberd's own id: its time */
    int fresh;
    while ((fresh = xp_set_add(&w->stamps, (uint64_t)ts)) == 0 && !keep_id)
        ts++;
    if (fresh < 0)
        return mnw_oom(w);
    if (fresh == 0) { /* the same id twice: once is enough */
        *why = "an archived message under an id already written";
        return XPORTA_EUNSUPPORTED;
    }
    /* the message as ejabberd keeps it: what this account's server added
     * (its stanza-id, <archived/>) goes, the archive gives those */
    xp_elem *c = xp_elem_clone(&w->ta, m);
    if (!c)
        return mnw_oom(w);
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
        st = mnw_us(w, b);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = mnw_bin(b, id);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = mnw_now_term(b, ts);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = mnw_ljid(w, b, peer, false);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = mnw_ljid(w, b, peer, true);
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = mnw_xml(b, c, "", 0);
    if (!st)
        st = xp_buf_adds(b, ",<<>>,chat");
    w->archive_rows++;
    return mnw_end_rec(w, MT_ARCHIVE, st);
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
            st = mnw_ljid(w, b, xp_elem_text(j), false);
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
        st = mnw_us(w, b);
    if (!st)
        st = xp_buf_printf(b, ",%s,", def);
    if (!st)
        st = jid_list(w, b, xp_elem_child(p, XP_NS_MAM, "always"));
    if (!st)
        st = xp_buf_addc(b, ',');
    if (!st)
        st = jid_list(w, b, xp_elem_child(p, XP_NS_MAM, "never"));
    return mnw_end_rec(w, MT_PREFS, st);
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
        return xp_strv_add(&w->blocks, jid) < 0 ? mnw_oom(w) : XPORTA_OK;
    }
    case XPORTA_KIND_OFFLINE:
        return offline(w, p);
    case XPORTA_KIND_ARCHIVE:
        return archive(w, rec, why);
    case XPORTA_KIND_MAM_PREFS:
        return prefs(w, p);
    case XPORTA_KIND_PEP_NODE:
        return mnw_pep_node(w, p);
    case XPORTA_KIND_PEP_AFFILIATIONS:
        return mnw_pep_states(w, p, true);
    case XPORTA_KIND_PEP_SUBSCRIPTIONS:
        return mnw_pep_states(w, p, false);
    case XPORTA_KIND_PEP_ITEM:
        return mnw_pep_item(w, rec);
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
        st = mnw_pep_write(w);
    if (st)
        return st;
    if (xp_buf_add(out, w->out.data ? w->out.data : "", w->out.len))
        return mnw_oom(w);
    *tables |= w->tables;
    *nodes += w->nnodes;
    *archive_rows += w->archive_rows;
    return XPORTA_OK;
}
