/*
 * tests/fake/fake_store.c: the fake server's state (servers, accounts,
 * stored records, faults, counters), seeding and inspection (the functions
 * of fake_server.h).  The design note is in fake_session.c.
 *
 * Records are kept as canonical XML text (fk_text), one malloc'd string
 * each, in per-kind lists: replacing or removing one frees it at once, and
 * a dump is the list as it stands.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fake_p.h"
#include "xmpp/xmpp_kinds.h"

static struct {
    xmpp_ctx_t *ctx;
    struct fk_server *servers;
    struct fk_account *accounts;
} g;

/* Prosody 0.12 with the modules the jobs use; pubsub#... as mod_pep. */
static const char *const default_features[] = {
    "http://jabber.org/protocol/disco#info",
    "http://jabber.org/protocol/disco#items",
    "jabber:iq:roster",
    "jabber:iq:private",
    "jabber:iq:privacy",
    "vcard-temp",
    "urn:xmpp:blocking",
    "urn:xmpp:ping",
    "urn:xmpp:mam:2",
    "msgoffline",
    "jabber:iq:version",
    "jabber:iq:last",
    "urn:xmpp:carbons:2",
    "http://jabber.org/protocol/pubsub",
    "http://jabber.org/protocol/pubsub#publish",
    "http://jabber.org/protocol/pubsub#publish-options",
    "http://jabber.org/protocol/pubsub#create-nodes",
    "http://jabber.org/protocol/pubsub#create-and-configure",
    "http://jabber.org/protocol/pubsub#config-node",
    "http://jabber.org/protocol/pubsub#retrieve-items",
    "http://jabber.org/protocol/pubsub#retract-items",
    "http://jabber.org/protocol/pubsub#delete-nodes",
    "http://jabber.org/protocol/pubsub#modify-affiliations",
    "http://jabber.org/protocol/pubsub#retrieve-affiliations",
    "http://jabber.org/protocol/pubsub#persistent-items",
    "http://jabber.org/protocol/pubsub#auto-create",
    "http://jabber.org/protocol/pubsub#access-open",
    "http://jabber.org/protocol/pubsub#access-presence",
    "http://jabber.org/protocol/pubsub#access-whitelist",
    "http://jabber.org/protocol/pubsub#item-ids",
    "{urn:ietf:params:xml:ns:xmpp-sasl}mechanisms",
    "{urn:ietf:params:xml:ns:xmpp-bind}bind",
    "{urn:ietf:params:xml:ns:xmpp-session}session",
    "{urn:xmpp:features:rosterver}ver",
    "{urn:xmpp:sm:3}sm",
    "{urn:xmpp:csi:0}csi",
};

enum { MAM_MAX_DEFAULT = 50 };

/* ---- XML ------------------------------------------------------------------
 */

xmpp_ctx_t *fk_ctx(void)
{
    if (!g.ctx)
        g.ctx = xmpp_ctx_new(NULL, NULL);
    return g.ctx;
}

xp_elem *fk_parse(struct xp_arena *a, const char *xml, const char *parent_ns)
{
    xmpp_ctx_t *ctx = fk_ctx();
    xmpp_stanza_t *st = ctx ? xmpp_stanza_new_from_string(ctx, xml) : NULL;
    xp_elem *e = NULL;
    if (!st)
        return NULL;
    if (xp_stanza_to_elem(a, st, parent_ns, &e, NULL) != XPORTA_OK)
        e = NULL;
    xmpp_stanza_release(st);
    return e;
}

static int attr_cmp(const void *pa, const void *pb)
{
    const struct xp_attr *a = pa, *b = pb;
    int c = strcmp(a->ns, b->ns);
    return c ? c : strcmp(a->name, b->name);
}

/* Sorts attributes and drops whitespace between elements (the payloads
 * are small test data: recursion is fine here). */
static void canon(xp_elem *e)
{
    bool elements = false;
    if (!e->name)
        return;
    if (e->nattrs > 1)
        qsort(e->attrs, e->nattrs, sizeof *e->attrs, attr_cmp);
    for (const xp_elem *c = e->first; c; c = c->next)
        elements = elements || c->name != NULL;
    for (xp_elem *c = e->first; c;) {
        xp_elem *next = c->next;
        if (!c->name && elements && xp_is_blank(c->text, c->text_len))
            xp_elem_unlink(c);
        else
            canon(c);
        c = next;
    }
}

char *fk_text(const xp_elem *e)
{
    struct xp_arena a;
    struct xp_buf b;
    char *out = NULL;
    xp_arena_init(&a, 0);
    xp_buf_init(&b, XP_MAX_RECORD_BYTES);
    xp_elem *c = e ? xp_elem_clone(&a, e) : NULL;
    if (c) {
        canon(c);
        if (xp_elem_serialize(&b, c, "") == XPORTA_OK)
            out = xp_buf_take(&b);
    }
    xp_buf_cleanup(&b);
    xp_arena_cleanup(&a);
    return out;
}

/* ---- servers and accounts ----------------------------------------------- */

struct fk_server *fk_server_find(const char *domain, size_t len)
{
    for (struct fk_server *s = g.servers; s; s = s->next)
        if (xp_domain_eq(domain, len, s->domain))
            return s;
    return NULL;
}

bool fk_server_has(const struct fk_server *srv, const char *feature)
{
    for (size_t i = 0; srv && i < srv->nfeatures; i++)
        if (strcmp(srv->features[i], feature) == 0)
            return true;
    return false;
}

struct fk_account *fk_account_find(const char *jid)
{
    struct xp_jid_parts p;
    char bare[3072];
    if (!jid || !xp_jid_split(jid, &p) || !p.local)
        return NULL;
    size_t n = p.local_len + 1 + p.domain_len;
    if (n >= sizeof bare)
        return NULL;
    memcpy(bare, jid, n);
    bare[n] = '\0';
    for (struct fk_account *a = g.accounts; a; a = a->next)
        if (xp_jid_eq(a->bare, bare))
            return a;
    return NULL;
}

static int add_feature(struct fk_server *s, const char *f)
{
    if (fk_server_has(s, f))
        return 0;
    char **v = realloc(s->features, (s->nfeatures + 1) * sizeof *v);
    if (!v)
        return -1;
    s->features = v;
    if (!(v[s->nfeatures] = xp_strdup(f)))
        return -1;
    s->nfeatures++;
    return 0;
}

static struct fk_server *server_get(const char *domain, size_t len)
{
    struct fk_server *s = fk_server_find(domain, len);
    if (s)
        return s;
    s = calloc(1, sizeof *s);
    if (!s || !(s->domain = xp_strndup(domain, len))) {
        free(s);
        return NULL;
    }
    s->mam_max = MAM_MAX_DEFAULT;
    s->next = g.servers;
    g.servers = s;
    for (size_t i = 0; i < sizeof default_features / sizeof default_features[0];
         i++)
        if (add_feature(s, default_features[i]) != 0)
            return NULL;
    return s;
}

static void list_free(struct fk_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].key);
        free(l->v[i].id);
        free(l->v[i].text);
        free(l->v[i].with);
    }
    free(l->v);
    memset(l, 0, sizeof *l);
}

static void faults_free(struct fk_account *a)
{
    for (size_t i = 0; i < a->nfaults; i++) {
        free(a->faults[i].what);
        free(a->faults[i].condition);
        free(a->faults[i].text);
    }
    free(a->faults);
    a->faults = NULL;
    a->nfaults = 0;
    a->disconnect_after = -1;
}

static void account_free(struct fk_account *a)
{
    for (struct fk_conn *c = a->conns; c;) {
        struct fk_conn *next = c->next;
        fk_conn_drop(c, NULL, "the fake server was reset");
        c->acct = NULL;
        c->next = NULL;
        c = next;
    }
    for (unsigned k = 0; k < XPORTA_KIND_COUNT; k++)
        list_free(&a->data[k]);
    for (size_t i = 0; i < a->ncounts; i++)
        free(a->counts[i].what);
    free(a->counts);
    faults_free(a);
    free(a->privacy_default);
    free(a->bare);
    free(a->password);
    free(a);
}

void fake_reset(void)
{
    while (g.accounts) {
        struct fk_account *next = g.accounts->next;
        account_free(g.accounts);
        g.accounts = next;
    }
    while (g.servers) {
        struct fk_server *next = g.servers->next;
        for (size_t i = 0; i < g.servers->nfeatures; i++)
            free(g.servers->features[i]);
        free(g.servers->features);
        free(g.servers->domain);
        free(g.servers);
        g.servers = next;
    }
    if (g.ctx)
        xmpp_ctx_free(g.ctx);
    g.ctx = NULL;
}

int fake_add_server(const char *domain)
{
    return domain && *domain && server_get(domain, strlen(domain)) ? 0 : -1;
}

int fake_add_feature(const char *domain, const char *feature)
{
    struct fk_server *s = domain ? fk_server_find(domain, strlen(domain)) : 0;
    return s && feature ? add_feature(s, feature) : -1;
}

int fake_remove_feature(const char *domain, const char *feature)
{
    struct fk_server *s = domain ? fk_server_find(domain, strlen(domain)) : 0;
    if (!s || !feature)
        return -1;
    size_t fl = strlen(feature);
    for (size_t i = 0; i < s->nfeatures;) {
        const char *f = s->features[i];
        bool in_ns = feature[0] != '{' && f[0] == '{' &&
                     strncmp(f + 1, feature, fl) == 0 && f[fl + 1] == '}';
        if (strcmp(f, feature) == 0 || in_ns) {
            free(s->features[i]);
            memmove(&s->features[i], &s->features[i + 1],
                    (s->nfeatures - i - 1) * sizeof *s->features);
            s->nfeatures--;
        } else {
            i++;
        }
    }
    return 0;
}

int fake_set_mam_max(const char *domain, unsigned max)
{
    struct fk_server *s = domain ? fk_server_find(domain, strlen(domain)) : 0;
    if (!s || max == 0)
        return -1;
    s->mam_max = max;
    return 0;
}

static struct fk_account *account_get(const char *jid)
{
    struct xp_jid_parts p;
    struct fk_account *a = fk_account_find(jid);
    if (a)
        return a;
    if (!jid || !xp_jid_split(jid, &p) || !p.local || !p.local_len ||
        p.resource)
        return NULL;
    struct fk_server *s = server_get(p.domain, p.domain_len);
    if (!s)
        return NULL;
    a = calloc(1, sizeof *a);
    if (!a || !(a->bare = xp_strdup(jid)) || !(a->password = xp_strdup(""))) {
        if (a) {
            free(a->bare);
            free(a);
        }
        return NULL;
    }
    a->srv = s;
    a->disconnect_after = -1;
    a->next = g.accounts;
    g.accounts = a;
    return a;
}

int fake_add_account(const char *jid, const char *password)
{
    struct fk_account *a = account_get(jid);
    char *pw = password ? xp_strdup(password) : NULL;
    if (!a || !pw) {
        free(pw);
        return -1;
    }
    free(a->password);
    a->password = pw;
    return 0;
}

bool fake_has_account(const char *jid)
{
    return fk_account_find(jid) != NULL;
}

/* ---- stored records ----------------------------------------------------- */

static bool key_eq(xporta_kind k, const char *a, const char *b)
{
    if (k == XPORTA_KIND_ROSTER || k == XPORTA_KIND_PENDING ||
        k == XPORTA_KIND_BLOCKLIST)
        return xp_jid_eq(a, b);
    return strcmp(a, b) == 0;
}

struct fk_entry *fk_find(struct fk_account *acct, xporta_kind k,
                         const char *key, const char *id)
{
    struct fk_list *l = &acct->data[k];
    for (size_t i = 0; i < l->n; i++) {
        struct fk_entry *e = &l->v[i];
        if (key_eq(k, e->key, key) &&
            (id ? e->id && strcmp(e->id, id) == 0 : !e->id))
            return e;
    }
    return NULL;
}

/* Makes room at index `at` (0..n). */
static struct fk_entry *list_insert(struct fk_list *l, size_t at)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        struct fk_entry *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return NULL;
        l->v = v;
        l->cap = cap;
    }
    memmove(&l->v[at + 1], &l->v[at], (l->n - at) * sizeof *l->v);
    l->n++;
    memset(&l->v[at], 0, sizeof *l->v);
    return &l->v[at];
}

void fk_remove(struct fk_account *acct, xporta_kind k, struct fk_entry *e)
{
    struct fk_list *l = &acct->data[k];
    size_t i = (size_t)(e - l->v);
    free(e->key);
    free(e->id);
    free(e->text);
    free(e->with);
    memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof *l->v);
    l->n--;
}

struct fk_entry *fk_store(struct fk_account *acct, xporta_kind k,
                          const char *key, const char *id,
                          const xp_elem *payload)
{
    char *text = fk_text(payload);
    if (!text)
        return NULL;
    struct fk_entry *e = fk_find(acct, k, key, id);
    if (e && k == XPORTA_KIND_PEP_ITEM) {
        fk_remove(acct, k, e); /* a republished item is the newest */
        e = NULL;
    }
    if (e) {
        free(e->text);
        e->text = text;
        return e;
    }
    e = list_insert(&acct->data[k], acct->data[k].n);
    if (!e || !(e->key = xp_strdup(key)) || (id && !(e->id = xp_strdup(id)))) {
        free(text);
        if (e)
            fk_remove(acct, k, e);
        return NULL;
    }
    e->text = text;
    return e;
}

xp_elem *fk_load(struct xp_arena *a, const struct fk_entry *e)
{
    return fk_parse(a, e->text, "");
}

/* ---- faults and counters ---------------------------------------------------
 */

static bool is_iq_request(const char *what)
{
    return strncmp(what, "presence ", 9) != 0 && strcmp(what, "login") != 0;
}

const struct fk_fault *fk_fault_take(struct fk_account *acct, const char *what)
{
    for (size_t i = 0; i < acct->nfaults; i++) {
        struct fk_fault *f = &acct->faults[i];
        if (!f->forever && f->left == 0)
            continue;
        if (strcmp(f->what, what) != 0 &&
            !(strcmp(f->what, "*") == 0 && is_iq_request(what)))
            continue;
        if (!f->forever)
            f->left--;
        return f;
    }
    return NULL;
}

void fk_count_request(struct fk_account *acct, const char *what)
{
    acct->requests++;
    for (size_t i = 0; i < acct->ncounts; i++) {
        if (strcmp(acct->counts[i].what, what) == 0) {
            acct->counts[i].n++;
            return;
        }
    }
    struct fk_count *v = realloc(acct->counts, (acct->ncounts + 1) * sizeof *v);
    if (!v)
        return;
    acct->counts = v;
    if ((v[acct->ncounts].what = xp_strdup(what))) {
        v[acct->ncounts].n = 1;
        acct->ncounts++;
    }
}

void fk_new_id(struct fk_account *acct, const char *prefix, char *buf,
               size_t cap)
{
    snprintf(buf, cap, "%s%lu", prefix, ++acct->seq);
}

int fake_fail(const char *jid, const char *what, const char *condition,
              unsigned times)
{
    struct fk_account *a = fk_account_find(jid);
    if (!a || !what || !condition || !*condition)
        return -1;
    struct fk_fault *v = realloc(a->faults, (a->nfaults + 1) * sizeof *v);
    if (!v)
        return -1;
    a->faults = v;
    struct fk_fault *f = &v[a->nfaults];
    memset(f, 0, sizeof *f);
    const char *colon = strstr(condition, ": ");
    f->what = xp_strdup(what);
    f->condition = colon ? xp_strndup(condition, (size_t)(colon - condition))
                         : xp_strdup(condition);
    f->text = colon ? xp_strdup(colon + 2) : NULL;
    f->left = times;
    f->forever = times == 0;
    if (!f->what || !f->condition || (colon && !f->text)) {
        free(f->what);
        free(f->condition);
        free(f->text);
        return -1;
    }
    a->nfaults++;
    return 0;
}

int fake_disconnect_after(const char *jid, unsigned n)
{
    struct fk_account *a = fk_account_find(jid);
    if (!a)
        return -1;
    a->disconnect_after = (long)n;
    return 0;
}

int fake_kill(const char *jid)
{
    struct fk_account *a = fk_account_find(jid);
    if (!a)
        return -1;
    for (struct fk_conn *c = a->conns; c; c = c->next)
        fk_conn_drop(c, "system-shutdown", "killed by the test");
    return 0;
}

int fake_clear_faults(const char *jid)
{
    struct fk_account *a = fk_account_find(jid);
    if (!a)
        return -1;
    faults_free(a);
    return 0;
}

unsigned long fake_requests(const char *jid)
{
    struct fk_account *a = fk_account_find(jid);
    return a ? a->requests : 0;
}

unsigned long fake_requests_of(const char *jid, const char *what)
{
    struct fk_account *a = fk_account_find(jid);
    for (size_t i = 0; a && what && i < a->ncounts; i++)
        if (strcmp(a->counts[i].what, what) == 0)
            return a->counts[i].n;
    return 0;
}

unsigned fake_sessions(const char *jid)
{
    struct fk_account *a = fk_account_find(jid);
    unsigned n = 0;
    for (struct fk_conn *c = a ? a->conns : NULL; c; c = c->next)
        n++;
    return n;
}

/* ---- the archive ------------------------------------------------------------
 */

/* Stores a <result id><forwarded><delay stamp/><message/></forwarded>
 * </result> in stamp order (after the entries with the same stamp). */
static int archive_put(struct fk_account *acct, xp_elem *result)
{
    struct xp_arena a;
    long long secs;
    long usecs;
    int rc = -1;
    const char *id = xp_elem_attr_ns(result, "", "id");
    const xp_elem *fwd = xp_elem_child(result, XP_NS_FORWARD, "forwarded");
    const xp_elem *msg = xp_elem_child(fwd, XP_NS_CLIENT, "message");
    if (!id || !*id || !msg || !xp_mam_stamp(result, &secs, &usecs))
        return -1;
    xp_arena_init(&a, 0);
    xp_elem_remove_attr(result, "", "queryid");
    const char *from = xp_elem_attr_ns(msg, "", "from");
    const char *to = xp_elem_attr_ns(msg, "", "to");
    const char *bfrom = from ? xp_jid_bare(&a, from) : NULL;
    const char *other = bfrom && xp_jid_eq(bfrom, acct->bare) ? to : from;
    char *with = other ? xp_jid_bare(&a, other) : NULL;
    struct fk_entry *old = fk_find(acct, XPORTA_KIND_ARCHIVE, id, NULL);
    if (old)
        fk_remove(acct, XPORTA_KIND_ARCHIVE, old);
    struct fk_list *l = &acct->data[XPORTA_KIND_ARCHIVE];
    size_t at = l->n;
    while (at > 0 && (l->v[at - 1].secs > secs || (l->v[at - 1].secs == secs &&
                                                   l->v[at - 1].usecs > usecs)))
        at--;
    char *text = fk_text(result);
    struct fk_entry *e = text ? list_insert(l, at) : NULL;
    if (e) {
        e->text = text;
        e->secs = secs;
        e->usecs = usecs;
        e->key = xp_strdup(id);
        e->with = xp_strdup(with ? with : "");
        rc = e->key && e->with ? 0 : -1;
        if (rc != 0)
            fk_remove(acct, XPORTA_KIND_ARCHIVE, e);
    } else {
        free(text);
    }
    xp_arena_cleanup(&a);
    return rc;
}

int fk_archive(struct fk_account *acct, const char *id, const char *stamp,
               const xp_elem *message)
{
    char idbuf[48], now[40];
    struct xp_arena a;
    long long secs;
    if (!id) {
        do
            fk_new_id(acct, "fk-mam-", idbuf, sizeof idbuf);
        while (fk_find(acct, XPORTA_KIND_ARCHIVE, idbuf, NULL));
        id = idbuf;
    }
    if (!stamp || !*stamp) {
        xp_datetime_format((long long)time(NULL), now, sizeof now);
        stamp = now;
    }
    if (!xp_datetime_parse(stamp, &secs, NULL) ||
        !xp_elem_is(message, NULL, "message"))
        return -1;
    xp_arena_init(&a, 0);
    xp_elem *r = xp_elem_new(&a, XP_NS_MAM, "result");
    xp_elem *f = r ? xp_elem_add_child(&a, r, XP_NS_FORWARD, "forwarded") : 0;
    xp_elem *d = f ? xp_elem_add_child(&a, f, XP_NS_DELAY, "delay") : NULL;
    xp_elem *m = d ? xp_elem_clone(&a, message) : NULL;
    int rc = -1;
    if (m && xp_elem_set_attr(&a, r, "", "id", id) &&
        xp_elem_set_attr(&a, d, "", "stamp", stamp)) {
        if (!m->ns[0])
            m->ns = XP_NS_CLIENT;
        xp_elem_append(f, m);
        rc = archive_put(acct, r);
    }
    xp_arena_cleanup(&a);
    return rc;
}

/* ---- seeding --------------------------------------------------------------
 */

int fk_store_record(struct fk_account *acct, const xporta_record *rec)
{
    xp_elem *p = rec->payload;
    const char *v;
    if (!p || !p->name)
        return -1;
    switch (rec->kind) {
    case XPORTA_KIND_CREDENTIALS:
        if (strcmp(rec->key, "PLAIN") == 0) {
            char *pw = xp_strdup(xp_elem_text(p));
            if (!pw)
                return -1;
            free(acct->password);
            acct->password = pw;
        }
        return 0;
    case XPORTA_KIND_ROSTER:
    case XPORTA_KIND_PENDING:
    case XPORTA_KIND_VCARD:
    case XPORTA_KIND_PRIVATE:
    case XPORTA_KIND_BLOCKLIST:
    case XPORTA_KIND_MAM_PREFS:
        if (!rec->key || !*rec->key)
            return -1;
        if (rec->kind == XPORTA_KIND_ROSTER)
            acct->roster_ver++;
        return fk_store(acct, rec->kind, rec->key, NULL, p) ? 0 : -1;
    case XPORTA_KIND_PRIVACY:
        if (strcmp(p->name, "default") == 0) {
            v = xp_elem_attr_ns(p, "", "name");
            free(acct->privacy_default);
            acct->privacy_default = v && *v ? xp_strdup(v) : NULL;
            return 0;
        }
        if (strcmp(p->name, "list") != 0)
            return 0; /* <active/> belongs to a session */
        return fk_store(acct, rec->kind, rec->key, NULL, p) ? 0 : -1;
    case XPORTA_KIND_PEP_NODE:
        return fk_pep_store_node(acct, rec->key,
                                 xp_elem_child(p, XP_NS_DATA, "x"));
    case XPORTA_KIND_PEP_AFFILIATIONS: {
        if (!fk_find(acct, XPORTA_KIND_PEP_NODE, rec->key, NULL) &&
            fk_pep_store_node(acct, rec->key, NULL) != 0)
            return -1;
        /* The account owns its nodes: only the others are kept. */
        for (xp_elem *c = xp_elem_first_element(p); c;) {
            xp_elem *next = xp_elem_next_element(c);
            if (xp_streq(xp_elem_attr_ns(c, "", "affiliation"), "owner") &&
                xp_jid_eq(xp_elem_attr_ns(c, "", "jid"), acct->bare))
                xp_elem_unlink(c);
            c = next;
        }
        if (!xp_elem_first_element(p))
            return 0;
        return fk_store(acct, rec->kind, rec->key, NULL, p) ? 0 : -1;
    }
    case XPORTA_KIND_PEP_ITEM:
        if (!rec->key || !rec->id)
            return -1;
        if (!fk_find(acct, XPORTA_KIND_PEP_NODE, rec->key, NULL) &&
            fk_pep_store_node(acct, rec->key, NULL) != 0)
            return -1;
        xp_elem_rename_ns(p, XP_NS_PUBSUB_EVENT, XP_NS_PUBSUB);
        if (!fk_store(acct, rec->kind, rec->key, rec->id, p))
            return -1;
        fk_pep_trim(acct, rec->key);
        return 0;
    case XPORTA_KIND_ARCHIVE:
        return archive_put(acct, p);
    default:
        return 0; /* not kept (see fake_load_pie) */
    }
}

struct mem {
    const char *p;
    size_t left;
};

static long mem_read(void *ud, char *buf, size_t cap)
{
    struct mem *m = ud;
    size_t n = m->left < cap ? m->left : cap;
    memcpy(buf, m->p, n);
    m->p += n;
    m->left -= n;
    return (long)n;
}

static int load(xporta_pie_reader *r)
{
    struct fk_account *acct = NULL;
    xporta_pie_event ev;
    char jid[3072];
    int rc = 0;
    for (;;) {
        if (xporta_pie_reader_next(r, &ev) != XPORTA_OK) {
            rc = -1;
            break;
        }
        if (ev == XPORTA_PIE_END)
            break;
        if (ev == XPORTA_PIE_USER) {
            snprintf(jid, sizeof jid, "%s@%s", xporta_pie_reader_user(r),
                     xporta_pie_reader_host(r));
            acct = account_get(jid);
            if (!acct)
                rc = -1;
        } else if (ev == XPORTA_PIE_USER_END) {
            acct = NULL;
        } else if (ev == XPORTA_PIE_RECORD && acct &&
                   fk_store_record(acct, xporta_pie_reader_record(r)) != 0) {
            rc = -1;
        }
    }
    xporta_pie_reader_free(r);
    return rc;
}

int fake_load_pie(const char *xml)
{
    struct mem m = {xml, xml ? strlen(xml) : 0};
    xporta_pie_reader *r = NULL;
    if (!xml || xporta_pie_reader_new(&r, "fake", mem_read, &m) != XPORTA_OK)
        return -1;
    return load(r);
}

int fake_load_pie_file(const char *path)
{
    xporta_pie_reader *r = NULL;
    if (!path || xporta_pie_reader_open(&r, path) != XPORTA_OK) {
        xporta_pie_reader_free(r);
        return -1;
    }
    return load(r);
}

int fake_put(const char *jid, xporta_kind kind, const char *node,
             const char *xml)
{
    struct fk_account *acct = fk_account_find(jid);
    struct xp_arena a;
    xporta_record rec;
    int rc = -1;
    if (!acct || !xml || (unsigned)kind >= XPORTA_KIND_COUNT)
        return -1;
    xp_arena_init(&a, 0);
    memset(&rec, 0, sizeof rec);
    rec.kind = kind;
    rec.key = node;
    rec.payload =
        fk_parse(&a, xml, kind == XPORTA_KIND_PENDING ? XP_NS_CLIENT : "");
    if (rec.payload && (kind != XPORTA_KIND_PEP_ITEM || node) &&
        xp_record_derive_key(&a, &rec))
        rc = fk_store_record(acct, &rec);
    xp_arena_cleanup(&a);
    return rc;
}

int fake_add_pending(const char *jid, const char *from, const char *status)
{
    struct fk_account *acct = fk_account_find(jid);
    struct xp_arena a;
    int rc = -1;
    if (!acct || !from)
        return -1;
    xp_arena_init(&a, 0);
    xp_elem *p = xp_presence(&a, "subscribe", NULL, NULL);
    char *bare = xp_jid_bare(&a, from);
    if (p && bare && xp_elem_set_attr(&a, p, "", "from", bare) &&
        (!status ||
         xp_elem_add_text_child(&a, p, XP_NS_CLIENT, "status", status)))
        rc = fk_store(acct, XPORTA_KIND_PENDING, bare, NULL, p) ? 0 : -1;
    xp_arena_cleanup(&a);
    return rc;
}

int fake_archive_add(const char *jid, const char *id, const char *stamp,
                     const char *message)
{
    struct fk_account *acct = fk_account_find(jid);
    struct xp_arena a;
    int rc = -1;
    if (!acct || !message)
        return -1;
    xp_arena_init(&a, 0);
    xp_elem *m = fk_parse(&a, message, XP_NS_CLIENT);
    if (m)
        rc = fk_archive(acct, id, stamp, m);
    xp_arena_cleanup(&a);
    return rc;
}

/* ---- inspection ------------------------------------------------------------
 */

size_t fake_count(const char *jid, xporta_kind kind)
{
    struct fk_account *a = fk_account_find(jid);
    if (!a || (unsigned)kind >= XPORTA_KIND_COUNT)
        return 0;
    return a->data[kind].n +
           (kind == XPORTA_KIND_PRIVACY && a->privacy_default ? 1 : 0);
}

static char *default_text(const struct fk_account *a)
{
    struct xp_buf b;
    xp_buf_init(&b, 1 << 20);
    (void)xp_buf_adds(&b, "<default xmlns='" XP_NS_PRIVACY "' name='");
    (void)xp_xml_escape_attr(&b, a->privacy_default);
    (void)xp_buf_adds(&b, "'/>");
    char *s = xp_buf_take(&b);
    xp_buf_cleanup(&b);
    return s;
}

char *fake_get(const char *jid, xporta_kind kind, const char *key,
               const char *id)
{
    struct fk_account *a = fk_account_find(jid);
    if (!a || !key || (unsigned)kind >= XPORTA_KIND_COUNT)
        return NULL;
    if (kind == XPORTA_KIND_PRIVACY && strcmp(key, "default") == 0)
        return a->privacy_default ? default_text(a) : NULL;
    const struct fk_entry *e = fk_find(a, kind, key, id);
    return e ? xp_strdup(e->text) : NULL;
}

static const struct fk_list *sort_list;

/* Keys sorted; PEP items (one key per node) keep their publish order. */
static int entry_cmp(const void *pa, const void *pb)
{
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    int c = strcmp(sort_list->v[a].key, sort_list->v[b].key);
    return c ? c : (a > b) - (a < b);
}

char *fake_dump(const char *jid)
{
    struct fk_account *a = fk_account_find(jid);
    struct xp_buf b;
    if (!a)
        return NULL;
    xp_buf_init(&b, (size_t)1 << 30);
    for (unsigned k = 0; k < XPORTA_KIND_COUNT; k++) {
        const struct fk_list *l = &a->data[k];
        size_t *order = malloc((l->n ? l->n : 1) * sizeof *order);
        if (!order) {
            xp_buf_cleanup(&b);
            return NULL;
        }
        for (size_t i = 0; i < l->n; i++)
            order[i] = i;
        sort_list = l;
        if (k != XPORTA_KIND_ARCHIVE)
            qsort(order, l->n, sizeof *order, entry_cmp);
        for (size_t i = 0; i < l->n; i++) {
            const struct fk_entry *e = &l->v[order[i]];
            (void)xp_buf_printf(&b, "%s %s%s%s: %s\n",
                                xporta_kind_name((xporta_kind)k), e->key,
                                e->id ? " " : "", e->id ? e->id : "", e->text);
        }
        free(order);
        if (k == XPORTA_KIND_PRIVACY && a->privacy_default) {
            char *d = default_text(a);
            (void)xp_buf_printf(&b, "privacy default: %s\n", d ? d : "");
            free(d);
        }
    }
    char *s = xp_strdup(xp_buf_str(&b));
    xp_buf_cleanup(&b);
    return s;
}
