/*
 * The kind codecs (lib/xmpp/xmpp_kinds.h) against real servers.
 *
 *   kinds_live SERVERS_SCRIPT SERVERS_DIR XP_POPULATE SCENARIO_DIR
 *
 * On Prosody and on ejabberd (tests/servers, started by the CTest fixture
 * "servers"): creates fresh accounts with names unique to this run
 * (RUN-alice ... RUN-grace, so the test can be re-run on the same
 * servers), fills RUN-alice with tests/data/scenarios/fill-<server>.xml
 * through xp_populate, then reads every kind back over a session with the
 * *_query builders and *_decode decoders and checks the exact content.
 * The filled accounts stay behind (their names and password are printed)
 * for whoever wants a populated account.  Exits 77 (skipped) when the
 * servers are not installed, 1 when a check failed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xmpp/xmpp_kinds.h"
#include "xmpp/xmpp_p.h"
#include "xp_tools.h"

static int failures, checks;
static xmpp_ctx_t *xctx;
static struct xpt_vars vars; /* servers.env, plus this run's names */

#define CHECK(cond, ...) check((cond), #cond, __VA_ARGS__)

static void check(bool ok, const char *expr, const char *fmt, ...)
    XP_PRINTF(3, 4);
static void check(bool ok, const char *expr, const char *fmt, ...)
{
    va_list ap;
    checks++;
    printf("%s ", ok ? "ok  " : "FAIL");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    if (!ok) {
        printf("   [%s]", expr);
        failures++;
    }
    printf("\n");
    fflush(stdout);
}

/* tmpl with {NAME} replaced from vars (into the arena). */
static const char *expand(struct xp_arena *a, const char *tmpl)
{
    struct xp_buf b;
    xp_buf_init(&b, 1 << 20);
    for (const char *p = tmpl; *p;) {
        const char *close = *p == '{' ? strchr(p, '}') : NULL;
        if (close) {
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)(close - p - 1), p + 1);
            const char *v = xpt_vars_get(&vars, name);
            if (v) {
                xp_buf_adds(&b, v);
                p = close + 1;
                continue;
            }
        }
        xp_buf_addc(&b, *p++);
    }
    const char *s = xp_arena_strdup(a, xp_buf_str(&b));
    xp_buf_cleanup(&b);
    return s;
}

/* XML text -> tree, as the session would read it. */
static xp_elem *parse(struct xp_arena *a, const char *xml)
{
    xmpp_stanza_t *st = xmpp_stanza_new_from_string(xctx, xml);
    xp_elem *e = NULL;
    if (!st || xp_stanza_to_elem(a, st, "", &e, NULL) != XPORTA_OK) {
        fprintf(stderr, "kinds_live: cannot parse %s\n", xml);
        exit(2);
    }
    xmpp_stanza_release(st);
    return e;
}

static const char *ser(struct xp_arena *a, const xp_elem *e)
{
    struct xp_buf b;
    xp_buf_init(&b, 1 << 24);
    if (!e || xp_elem_serialize(&b, e, "") != XPORTA_OK)
        xp_buf_adds(&b, "(none)");
    const char *s = xp_arena_strdup(a, xp_buf_str(&b));
    xp_buf_cleanup(&b);
    return s;
}

/* Equal up to the order of child elements (rosters: group order is the
 * server's). */
static bool equal_unordered(const xp_elem *x, const xp_elem *y)
{
    if (!x || !y || !xp_elem_is(x, y->ns, y->name) || x->nattrs != y->nattrs)
        return false;
    for (unsigned i = 0; i < y->nattrs; i++)
        if (!xp_streq(xp_elem_attr_ns(x, y->attrs[i].ns, y->attrs[i].name),
                      y->attrs[i].value))
            return false;
    size_t nx = 0, ny = 0;
    for (const xp_elem *c = xp_elem_first_element(x); c;
         c = xp_elem_next_element(c), nx++) {
        bool found = false;
        for (const xp_elem *d = xp_elem_first_element(y); d && !found;
             d = xp_elem_next_element(d))
            found = xp_elem_equal(c, d);
        if (!found)
            return false;
    }
    for (const xp_elem *d = xp_elem_first_element(y); d;
         d = xp_elem_next_element(d))
        ny++;
    return nx == ny;
}

/* ---- records ------------------------------------------------------------- */

enum { MAX_RECS = 64 };
struct recs {
    struct xp_arena arena;
    size_t n;
    xporta_kind kind[MAX_RECS];
    const char *key[MAX_RECS];
    const char *id[MAX_RECS];
    xp_elem *payload[MAX_RECS];
    size_t nlists;
    const char *lists[16];
};

static void collect(void *ud, xporta_record *rec)
{
    struct recs *r = ud;
    if (r->n == MAX_RECS)
        return;
    r->kind[r->n] = rec->kind;
    r->key[r->n] = xp_arena_strdup(&r->arena, rec->key);
    r->id[r->n] = rec->id ? xp_arena_strdup(&r->arena, rec->id) : NULL;
    r->payload[r->n] = xp_elem_clone(&r->arena, rec->payload);
    r->n++;
}

static void collect_list(void *ud, const char *name)
{
    struct recs *r = ud;
    if (r->nlists < 16)
        r->lists[r->nlists++] = xp_arena_strdup(&r->arena, name);
}

static void recs_reset(struct recs *r)
{
    xp_arena_cleanup(&r->arena);
    memset(r, 0, sizeof *r);
    xp_arena_init(&r->arena, 0);
}

static const xp_elem *find(const struct recs *r, xporta_kind kind,
                           const char *key, const char *id)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->kind[i] == kind && xp_streq(r->key[i], key) &&
            (!id || xp_streq(r->id[i], id)))
            return r->payload[i];
    return NULL;
}

/* ---- a session, one request at a time ------------------------------------ */

struct reply {
    bool done;
    xporta_status status;
    char condition[64];
    struct xp_arena arena;
    xp_elem *iq;
};

static void on_reply(struct xp_session *s, const struct xp_iq_reply *r,
                     void *ud)
{
    struct reply *rep = ud;
    (void)s;
    rep->done = true;
    rep->status = r->status;
    snprintf(rep->condition, sizeof rep->condition, "%s",
             r->condition ? r->condition : "");
    if (r->iq)
        rep->iq = xp_elem_clone(&rep->arena, r->iq);
}

/* Sends one IQ, waits; the reply lives until the next ask on `rep`. */
static const xp_elem *ask(struct xp_session *s, struct reply *rep,
                          const char *type, const char *to,
                          const xp_elem *payload)
{
    xp_arena_cleanup(&rep->arena);
    memset(rep, 0, sizeof *rep);
    xp_arena_init(&rep->arena, 0);
    rep->status = xp_session_iq(s, type, to, payload, 30000, on_reply, rep);
    if (rep->status != XPORTA_OK)
        return NULL;
    /* Short turns, not xp_session_drain: with libstrophe 0.12.2, when a
     * burst from the server (a MAM page from Prosody) leaves its tail in
     * OpenSSL's buffer, the wait for the socket outlasts the data, and a
     * long wait ends only at the IQ deadline. */
    for (int i = 0; i < 2000 && !rep->done; i++)
        xp_session_run(s, 20);
    return rep->done && rep->status == XPORTA_OK ? rep->iq : NULL;
}

/* Stanzas pushed to the verifying session. */
struct inbox {
    struct xp_arena arena;
    const char *queryid;
    size_t npending;
    xp_elem *pending[8];
    size_t nmessages; /* plain messages (an offline one would show here) */
    size_t narchived;
    const char *bodies[64];
};

static void on_stanza(struct xp_session *s, const xp_elem *st, void *ud)
{
    struct inbox *in = ud;
    xporta_record rec;
    (void)s;
    if (in->queryid &&
        xp_mam_result_decode(&in->arena, st, in->queryid, &rec)) {
        const xp_elem *fwd =
            xp_elem_child(rec.payload, XP_NS_FORWARD, "forwarded");
        const xp_elem *msg = xp_elem_child(fwd, XP_NS_CLIENT, "message");
        const char *body = xp_elem_child_text(msg, XP_NS_CLIENT, "body");
        if (in->narchived < 64)
            in->bodies[in->narchived] = body ? body : "";
        in->narchived++;
        return;
    }
    if (xp_pending_decode(&in->arena, st, &rec)) {
        if (in->npending < 8)
            in->pending[in->npending++] = rec.payload;
        return;
    }
    if (xp_elem_is(st, XP_NS_CLIENT, "message") &&
        xp_elem_child(st, XP_NS_CLIENT, "body"))
        in->nmessages++;
}

/* ---- what each server should hold ---------------------------------------- */

struct server {
    const char *name;   /* prosody | ejabberd */
    const char *prefix; /* PROSODY | EJABBERD in servers.env */
    bool privacy;       /* XEP-0016 */
    bool xep0013;       /* flexible offline retrieval */
    bool aff_all;       /* every PEP node lists its owner */
    const char *const *nodes;
    size_t nnodes;
    const char *pending; /* the decoded request */
};

static const char *const prosody_nodes[] = {
    "urn:xmpp:bookmarks:1",
    "urn:xmpp:avatar:data",
    "urn:xmpp:avatar:metadata",
    "http://jabber.org/protocol/nick",
    "urn:xmpp:vcard4",
    "urn:xmpp:omemo:2:devices",
    "urn:xmpp:moved:1",
    /* mod_bookmarks mirrors XEP-0402 into XEP-0048's node */
    "storage:bookmarks",
};
static const char *const ejabberd_nodes[] = {
    "urn:xmpp:bookmarks:1",     "urn:xmpp:avatar:data",
    "urn:xmpp:avatar:metadata", "http://jabber.org/protocol/nick",
    "urn:xmpp:vcard4",          "urn:xmpp:omemo:2:devices",
    "urn:xmpp:moved:1",
};

static const struct server servers[] = {
    {"prosody", "PROSODY", false, false, false, prosody_nodes, 8,
     /* Prosody keeps the whole request */
     "<presence xmlns='jabber:client' type='subscribe' from='{G}' "
     "xml:lang='en'><status>Hi Alice, it is Grace</status><nick "
     "xmlns='http://jabber.org/protocol/nick'>Grace H.</nick></presence>"},
    {"ejabberd", "EJABBERD", true, true, true, ejabberd_nodes, 7,
     /* ejabberd keeps the status text only */
     "<presence xmlns='jabber:client' type='subscribe' from='{G}'><status "
     "xml:lang='en'>Hi Alice, it is Grace</status></presence>"},
};

static const char *const roster_want[] = {
    "<item xmlns='jabber:iq:roster' jid='{B}' subscription='both' "
    "name='Bob Example'><group>Friends</group><group>Work</group></item>",
    "<item xmlns='jabber:iq:roster' jid='{C}' subscription='to' "
    "name='Carol C'><group>Work</group></item>",
    "<item xmlns='jabber:iq:roster' jid='{D}' subscription='from' "
    "name='Dave D'><group>Family</group></item>",
    "<item xmlns='jabber:iq:roster' jid='{E}' subscription='none' "
    "name='Erin E'><group>Friends</group><group>Old</group></item>",
    "<item xmlns='jabber:iq:roster' jid='{F}' subscription='none' "
    "ask='subscribe' name='Frank F'/>",
};

#define PNG                                                                    \
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA" \
    "60e6kgAAAABJRU5ErkJggg=="
#define PNG_SHA1 "c7a9c45fd419815a5ab1998503a9f03514c0e229"

/* Items of each node: {node, id, payload} */
static const char *const items_want[][3] = {
    {"urn:xmpp:bookmarks:1", "room1@{MUC}",
     "<item xmlns='http://jabber.org/protocol/pubsub' id='room1@{MUC}'>"
     "<conference xmlns='urn:xmpp:bookmarks:1' name='Room 1' autojoin='true'>"
     "<nick>Ally</nick></conference></item>"},
    {"urn:xmpp:bookmarks:1", "room2@{MUC}",
     "<item xmlns='http://jabber.org/protocol/pubsub' id='room2@{MUC}'>"
     "<conference xmlns='urn:xmpp:bookmarks:1' name='Room 2' autojoin='true'>"
     "<nick>Ally</nick></conference></item>"},
    {"urn:xmpp:avatar:data", PNG_SHA1,
     "<item xmlns='http://jabber.org/protocol/pubsub' id='" PNG_SHA1 "'>"
     "<data xmlns='urn:xmpp:avatar:data'>" PNG "</data></item>"},
    {"urn:xmpp:avatar:metadata", PNG_SHA1,
     "<item xmlns='http://jabber.org/protocol/pubsub' id='" PNG_SHA1 "'>"
     "<metadata xmlns='urn:xmpp:avatar:metadata'><info bytes='70' id='" PNG_SHA1
     "' type='image/png' width='1' height='1'/></metadata></item>"},
    {"http://jabber.org/protocol/nick", "current",
     "<item xmlns='http://jabber.org/protocol/pubsub' id='current'><nick "
     "xmlns='http://jabber.org/protocol/nick'>Ally</nick></item>"},
    {"urn:xmpp:vcard4", "current",
     "<item xmlns='http://jabber.org/protocol/pubsub' id='current'><vcard "
     "xmlns='urn:ietf:params:xml:ns:vcard-4.0'><fn><text>Alice Liddell</text>"
     "</fn><n><surname>Liddell</surname><given>Alice</given></n><nickname>"
     "<text>Ally</text></nickname><email><text>alice@example.org</text>"
     "</email><note><text>filled by xp_populate</text></note></vcard></item>"},
    {"urn:xmpp:omemo:2:devices", "current",
     "<item xmlns='http://jabber.org/protocol/pubsub' id='current'><devices "
     "xmlns='urn:xmpp:omemo:2'><device id='31415' label='Phone'/><device "
     "id='27182'/></devices></item>"},
    {"urn:xmpp:moved:1", "current",
     "<item xmlns='http://jabber.org/protocol/pubsub' id='current'><moved "
     "xmlns='urn:xmpp:moved:1'><new-jid>alice@elsewhere.example</new-jid>"
     "</moved></item>"},
    /* Prosody's mirror of the bookmarks (XEP-0048 in PEP) */
    {"storage:bookmarks", "current",
     "<item xmlns='http://jabber.org/protocol/pubsub' id='current'><storage "
     "xmlns='storage:bookmarks'><conference jid='room1@{MUC}' name='Room 1' "
     "autojoin='true'><nick>Ally</nick></conference><conference "
     "jid='room2@{MUC}' name='Room 2' autojoin='true'><nick>Ally</nick>"
     "</conference></storage></item>"},
};

/* Node configuration fields checked: {node, var, value} */
static const char *const config_want[][3] = {
    {"urn:xmpp:bookmarks:1", "pubsub#access_model", "whitelist"},
    {"urn:xmpp:bookmarks:1", "pubsub#max_items", "max"},
    {"urn:xmpp:bookmarks:1", "pubsub#persist_items", "1"},
    {"urn:xmpp:bookmarks:1", "pubsub#send_last_published_item", "never"},
    {"urn:xmpp:omemo:2:devices", "pubsub#access_model", "open"},
    {"urn:xmpp:moved:1", "pubsub#access_model", "open"},
};

static const char *field_value(const xp_elem *configure, const char *var)
{
    const xp_elem *x = xp_elem_child(configure, XP_NS_DATA, "x");
    for (const xp_elem *f = xp_elem_first_element(x); f;
         f = xp_elem_next_element(f))
        if (xp_streq(xp_elem_attr_ns(f, "", "var"), var))
            return xp_elem_child_text(f, XP_NS_DATA, "value");
    return NULL;
}

/* ---- the run ------------------------------------------------------------- */

static const char *users[] = {"alice", "bob",   "carol", "dave",
                              "erin",  "frank", "grace"};

static bool fill(const struct server *srv, const char *script,
                 const char *populate, const char *scenarios, const char *run,
                 const char *pass)
{
    char env[4096], scen[4096], argbuf[8][256];
    char *argv[16];
    int n = 0;
    snprintf(env, sizeof env, "%s/servers.env",
             xpt_vars_get(&vars, "SERVERS_DIR"));
    for (size_t i = 0; i < 7; i++) {
        char user[128];
        snprintf(user, sizeof user, "%s-%s", run, users[i]);
        char *add[] = {(char *)"bash",
                       (char *)script,
                       (char *)"adduser",
                       (char *)srv->name,
                       user,
                       (char *)pass,
                       NULL};
        int rc = xpt_run(add);
        if (rc != 0) {
            CHECK(false, "%s: adduser %s: exit %d", srv->name, user, rc);
            return false;
        }
    }
    snprintf(scen, sizeof scen, "%s/fill-%s.xml", scenarios, srv->name);
    argv[n++] = (char *)populate;
    argv[n++] = env;
    argv[n++] = scen;
    for (size_t i = 0; i < 7; i++) {
        char upper[16];
        size_t k = 0;
        for (; users[i][k]; k++)
            upper[k] = (char)(users[i][k] - 'a' + 'A');
        upper[k] = '\0';
        snprintf(argbuf[i], sizeof argbuf[i], "%s=%s-%s", upper, run, users[i]);
        argv[n++] = argbuf[i];
    }
    snprintf(argbuf[7], sizeof argbuf[7], "PASS=%s", pass);
    argv[n++] = argbuf[7];
    argv[n] = NULL;
    int rc = xpt_run(argv);
    CHECK(rc == 0, "%s: xp_populate %s: exit %d", srv->name, scen, rc);
    return rc == 0;
}

static void check_roster(struct xp_session *s, const struct server *srv,
                         struct xp_arena *a)
{
    struct reply rep = {0};
    struct recs r = {0};
    recs_reset(&r);
    const xp_elem *iq = ask(s, &rep, "get", NULL, xp_roster_query(a));
    xporta_status st = iq ? xp_roster_decode(a, iq, collect, &r) : rep.status;
    CHECK(st == XPORTA_OK && r.n == 5, "%s: roster: %s, %zu items", srv->name,
          xporta_status_name(st), r.n);
    for (size_t i = 0; i < 5; i++) {
        xp_elem *want = parse(a, expand(a, roster_want[i]));
        const char *jid = xp_elem_attr_ns(want, "", "jid");
        const xp_elem *got = find(&r, XPORTA_KIND_ROSTER, jid, NULL);
        CHECK(equal_unordered(got, want), "%s: roster %s (%s): %s", srv->name,
              jid, xp_elem_attr_ns(want, "", "subscription"), ser(a, got));
    }
    xp_arena_cleanup(&rep.arena);
    xp_arena_cleanup(&r.arena);
}

static void check_vcard(struct xp_session *s, const struct server *srv,
                        struct xp_arena *a)
{
    struct reply rep = {0};
    struct recs r = {0};
    recs_reset(&r);
    const xp_elem *iq = ask(s, &rep, "get", NULL, xp_vcard_query(a));
    xporta_status st = iq ? xp_vcard_decode(a, iq, collect, &r) : rep.status;
    const xp_elem *v = find(&r, XPORTA_KIND_VCARD, "vcard", NULL);
    const xp_elem *n = xp_elem_child(v, XP_NS_VCARD, "N");
    const xp_elem *email = xp_elem_child(v, XP_NS_VCARD, "EMAIL");
    const xp_elem *photo = xp_elem_child(v, XP_NS_VCARD, "PHOTO");
    CHECK(
        st == XPORTA_OK && r.n == 1 &&
            xp_streq(xp_elem_child_text(v, XP_NS_VCARD, "FN"),
                     "Alice Liddell") &&
            xp_streq(xp_elem_child_text(n, XP_NS_VCARD, "FAMILY"), "Liddell") &&
            xp_streq(xp_elem_child_text(n, XP_NS_VCARD, "GIVEN"), "Alice") &&
            xp_streq(xp_elem_child_text(v, XP_NS_VCARD, "NICKNAME"), "Ally") &&
            xp_streq(xp_elem_child_text(email, XP_NS_VCARD, "USERID"),
                     "alice@example.org") &&
            xp_elem_child(email, XP_NS_VCARD, "INTERNET") &&
            xp_streq(xp_elem_child_text(photo, XP_NS_VCARD, "TYPE"),
                     "image/png") &&
            xp_streq(xp_elem_child_text(photo, XP_NS_VCARD, "BINVAL"), PNG),
        "%s: vCard: %s, %zu record(s): %.160s...", srv->name,
        xporta_status_name(st), r.n, ser(a, v));
    xp_arena_cleanup(&rep.arena);
    xp_arena_cleanup(&r.arena);
}

struct node_list {
    size_t n;
    const char *names[32];
    struct xp_arena *a;
};

static void add_node(void *ud, const char *node)
{
    struct node_list *l = ud;
    if (l->n < 32)
        l->names[l->n++] = xp_arena_strdup(l->a, node);
}

static void check_pep(struct xp_session *s, const struct server *srv,
                      struct xp_arena *a)
{
    struct reply rep = {0};
    struct recs r = {0};
    struct node_list nodes = {0, {0}, a};
    const char *bare = xp_session_bare(s);
    recs_reset(&r);

    const xp_elem *iq =
        ask(s, &rep, "get", bare, xp_disco_items_query(a, NULL));
    xporta_status st =
        iq ? xp_disco_pep_nodes(iq, bare, add_node, &nodes) : rep.status;
    bool all = st == XPORTA_OK && nodes.n == srv->nnodes;
    for (size_t i = 0; all && i < srv->nnodes; i++) {
        bool found = false;
        for (size_t k = 0; k < nodes.n; k++)
            found |= strcmp(nodes.names[k], srv->nodes[i]) == 0;
        all = found;
    }
    CHECK(all, "%s: disco#items: %s, %zu PEP nodes (want %zu)", srv->name,
          xporta_status_name(st), nodes.n, srv->nnodes);

    size_t affiliations = 0, pages = 0;
    bool aff_where = true;
    for (size_t i = 0; i < nodes.n; i++) {
        const char *node = nodes.names[i];
        iq = ask(s, &rep, "get", bare, xp_pep_configure_query(a, node));
        st =
            iq ? xp_pep_configure_decode(a, iq, node, collect, &r) : rep.status;
        CHECK(st == XPORTA_OK && find(&r, XPORTA_KIND_PEP_NODE, node, NULL),
              "%s: configure %s: %s %s", srv->name, node,
              xporta_status_name(st), rep.condition);
        iq = ask(s, &rep, "get", bare, xp_pep_affiliations_query(a, node));
        st = iq ? xp_pep_affiliations_decode(a, iq, node, collect, &r)
                : rep.status;
        CHECK(st == XPORTA_OK, "%s: affiliations %s: %s %s", srv->name, node,
              xporta_status_name(st), rep.condition);
        if (find(&r, XPORTA_KIND_PEP_AFFILIATIONS, node, NULL)) {
            affiliations++;
            aff_where &= srv->aff_all || strcmp(node, "storage:bookmarks") == 0;
        }
        /* Items one at a time, to page where the server pages. */
        const char *after = NULL;
        bool complete = false;
        for (int page = 0; page < 20 && !complete; page++, pages++) {
            iq = ask(s, &rep, "get", bare,
                     xp_pep_items_query(a, node, 1, after));
            const char *last = NULL;
            st = iq ? xp_pep_items_decode(a, iq, node, collect, &r, &last,
                                          &complete)
                    : rep.status;
            if (st != XPORTA_OK)
                break;
            after = last ? xp_arena_strdup(a, last) : NULL;
        }
        CHECK(st == XPORTA_OK && complete, "%s: items %s: %s", srv->name, node,
              xporta_status_name(st));
    }
    printf("note %s: %zu item requests for %zu nodes\n", srv->name, pages,
           nodes.n);

    /* The content, node by node. */
    size_t want_items = 0;
    for (size_t i = 0; i < sizeof items_want / sizeof items_want[0]; i++) {
        bool has_node = false;
        for (size_t k = 0; k < srv->nnodes; k++)
            has_node |= strcmp(srv->nodes[k], items_want[i][0]) == 0;
        if (!has_node)
            continue;
        want_items++;
        const char *id = expand(a, items_want[i][1]);
        const xp_elem *got =
            find(&r, XPORTA_KIND_PEP_ITEM, items_want[i][0], id);
        xp_elem *want = parse(a, expand(a, items_want[i][2]));
        /* The mirror lists the rooms in the server's order. */
        bool same = strcmp(items_want[i][0], "storage:bookmarks") == 0
                        ? got && got->nattrs == 1 &&
                              xp_elem_is(got, want->ns, want->name) &&
                              xp_streq(xp_elem_attr_ns(got, "", "id"), id) &&
                              equal_unordered(xp_elem_first_element(got),
                                              xp_elem_first_element(want))
                        : xp_elem_equal(got, want);
        CHECK(same, "%s: item %s/%s: %.200s", srv->name, items_want[i][0], id,
              ser(a, got));
    }
    size_t nitems = 0;
    for (size_t i = 0; i < r.n; i++)
        nitems += r.kind[i] == XPORTA_KIND_PEP_ITEM;
    CHECK(nitems == want_items, "%s: %zu PEP items (want %zu)", srv->name,
          nitems, want_items);
    for (size_t i = 0; i < sizeof config_want / sizeof config_want[0]; i++) {
        const xp_elem *c =
            find(&r, XPORTA_KIND_PEP_NODE, config_want[i][0], NULL);
        const char *v = field_value(c, config_want[i][1]);
        CHECK(xp_streq(v, config_want[i][2]), "%s: %s %s = %s", srv->name,
              config_want[i][0], config_want[i][1], v ? v : "(none)");
    }
    /* ejabberd lists the owner of every node; Prosody only of the node
     * mod_bookmarks created (in the others the owner is implicit). */
    bool owner_ok = true;
    for (size_t i = 0; i < r.n; i++) {
        if (r.kind[i] != XPORTA_KIND_PEP_AFFILIATIONS)
            continue;
        const xp_elem *aff = xp_elem_first_element(r.payload[i]);
        owner_ok &=
            xp_jid_eq(xp_elem_attr_ns(aff, "", "jid"), bare) &&
            xp_streq(xp_elem_attr_ns(aff, "", "affiliation"), "owner") &&
            !xp_elem_next_element(aff);
    }
    size_t want_aff = srv->aff_all ? nodes.n : 1;
    CHECK(owner_ok && aff_where && affiliations == want_aff,
          "%s: affiliations: %zu nodes list the owner (want %zu)", srv->name,
          affiliations, want_aff);
    xp_arena_cleanup(&rep.arena);
    xp_arena_cleanup(&r.arena);
}

static void check_private(struct xp_session *s, const struct server *srv,
                          struct xp_arena *a)
{
    struct reply rep = {0};
    struct recs r = {0};
    recs_reset(&r);
    xporta_status st = XPORTA_OK;
    for (size_t i = 0; xp_private_known[i][0] && st == XPORTA_OK; i++) {
        const xp_elem *iq = ask(s, &rep, "get", NULL,
                                xp_private_query(a, xp_private_known[i][0],
                                                 xp_private_known[i][1]));
        st = iq ? xp_private_decode(a, iq, collect, &r) : rep.status;
    }
    bool mirror = strcmp(srv->name, "prosody") == 0;
    CHECK(st == XPORTA_OK && r.n == (mirror ? 3u : 2u),
          "%s: private: %s, %zu records (XEP-0048 bookmarks mirrored: %s)",
          srv->name, xporta_status_name(st), r.n, mirror ? "yes" : "no");
    const xp_elem *notes =
        find(&r, XPORTA_KIND_PRIVATE, "{storage:rosternotes}storage", NULL);
    CHECK(xp_elem_equal(
              notes,
              parse(a, expand(a, "<storage xmlns='storage:rosternotes'><note "
                                 "jid='{B}' cdate='2024-01-02T03:04:05Z' "
                                 "mdate='2024-02-03T04:05:06Z'>Met at the "
                                 "conference</note></storage>"))),
          "%s: private rosternotes: %s", srv->name, ser(a, notes));
    const xp_elem *ex =
        find(&r, XPORTA_KIND_PRIVATE, "{exodus:prefs}exodus", NULL);
    CHECK(xp_elem_equal(ex, parse(a, "<exodus xmlns='exodus:prefs'>"
                                     "<defaultnick>Ally</defaultnick>"
                                     "</exodus>")),
          "%s: private exodus:prefs: %s", srv->name, ser(a, ex));
    if (mirror) {
        const xp_elem *bm =
            find(&r, XPORTA_KIND_PRIVATE, "{storage:bookmarks}storage", NULL);
        size_t n = 0;
        for (const xp_elem *c = xp_elem_first_element(bm); c;
             c = xp_elem_next_element(c))
            n += xp_elem_is(c, "storage:bookmarks", "conference");
        CHECK(n == 2, "%s: private storage:bookmarks mirrors 2 rooms: %s",
              srv->name, ser(a, bm));
    }
    xp_arena_cleanup(&rep.arena);
    xp_arena_cleanup(&r.arena);
}

static void check_blocking_privacy(struct xp_session *s,
                                   const struct server *srv, struct xp_arena *a)
{
    struct reply rep = {0};
    struct recs r = {0};
    recs_reset(&r);
    const xp_elem *iq = ask(s, &rep, "get", NULL, xp_blocklist_query(a));
    xporta_status st =
        iq ? xp_blocklist_decode(a, iq, collect, &r) : rep.status;
    const char *troll = expand(a, "troll@{DOMAIN}");
    CHECK(st == XPORTA_OK && r.n == 2 &&
              find(&r, XPORTA_KIND_BLOCKLIST, "spam@spam.example", NULL) &&
              find(&r, XPORTA_KIND_BLOCKLIST, troll, NULL),
          "%s: blocklist: %s, %zu items", srv->name, xporta_status_name(st),
          r.n);

    recs_reset(&r);
    iq = ask(s, &rep, "get", NULL, xp_privacy_names_query(a));
    if (!srv->privacy) {
        CHECK(!iq && rep.status == XPORTA_ESTANZA &&
                  strcmp(rep.condition, "service-unavailable") == 0,
              "%s: no privacy lists: %s %s", srv->name,
              xporta_status_name(rep.status), rep.condition);
        xp_arena_cleanup(&rep.arena);
        xp_arena_cleanup(&r.arena);
        return;
    }
    st = iq ? xp_privacy_names_decode(a, iq, collect, collect_list, &r)
            : rep.status;
    /* The default is mod_blocking's list: the blocklist carries it. */
    CHECK(st == XPORTA_OK && r.n == 0 && r.nlists == 2,
          "%s: privacy names: %s, %zu records, %zu lists", srv->name,
          xporta_status_name(st), r.n, r.nlists);
    for (size_t i = 0; i < r.nlists; i++) {
        struct recs l = {0};
        recs_reset(&l);
        const char *name = r.lists[i];
        iq = ask(s, &rep, "get", NULL, xp_privacy_list_query(a, name));
        st = iq ? xp_privacy_list_decode(a, iq, collect, &l) : rep.status;
        if (strcmp(name, XP_EJABBERD_BLOCKLIST) == 0) {
            CHECK(st == XPORTA_OK && l.n == 0,
                  "%s: privacy list '%s' is the blocklist: %s, %zu records",
                  srv->name, name, xporta_status_name(st), l.n);
        } else {
            const xp_elem *got =
                find(&l, XPORTA_KIND_PRIVACY, "list work", NULL);
            xp_elem *want = parse(
                a, expand(a, "<list xmlns='jabber:iq:privacy' name='work'>"
                             "<item type='jid' value='{F}' action='deny' "
                             "order='1'><presence-in/><message/></item>"
                             "<item type='group' value='Work' action='allow' "
                             "order='2'/><item type='subscription' "
                             "value='none' action='deny' order='3'><iq/>"
                             "</item><item action='allow' order='4'/>"
                             "</list>"));
            CHECK(st == XPORTA_OK && l.n == 1 && equal_unordered(got, want),
                  "%s: privacy list '%s': %s", srv->name, name, ser(a, got));
        }
        xp_arena_cleanup(&l.arena);
    }
    xp_arena_cleanup(&rep.arena);
    xp_arena_cleanup(&r.arena);
}

static void check_mam(struct xp_session *s, const struct server *srv,
                      struct xp_arena *a, struct inbox *in)
{
    struct reply rep = {0};
    struct recs r = {0};
    recs_reset(&r);
    const xp_elem *iq = ask(s, &rep, "get", NULL, xp_mam_prefs_query(a));
    xporta_status st =
        iq ? xp_mam_prefs_decode(a, iq, collect, &r) : rep.status;
    const xp_elem *prefs = find(&r, XPORTA_KIND_MAM_PREFS, "prefs", NULL);
    CHECK(st == XPORTA_OK &&
              xp_elem_equal(prefs,
                            parse(a, expand(a, "<prefs xmlns='urn:xmpp:mam:2' "
                                               "default='always'><always><jid>"
                                               "{B}</jid></always><never><jid>"
                                               "{E}</jid></never></prefs>"))),
          "%s: MAM prefs: %s", srv->name, ser(a, prefs));

    /* The archive, 10 at a time. */
    struct xp_mam_range range = {NULL, NULL, NULL, false, 10};
    struct xp_mam_fin fin = {0};
    in->queryid = "kinds-live";
    in->narchived = 0;
    for (int page = 0; page < 10; page++) {
        iq = ask(s, &rep, "set", NULL, xp_mam_query(a, in->queryid, &range));
        st = iq ? xp_mam_fin_decode(iq, &fin) : rep.status;
        if (st != XPORTA_OK || fin.complete || !fin.last)
            break;
        range.after = xp_arena_strdup(a, fin.last);
    }
    in->queryid = NULL;
    bool bodies = in->narchived == 21;
    for (size_t i = 0; bodies && i < 20; i++) {
        char want[64];
        snprintf(want, sizeof want, "%s to %s %zu", i % 2 ? "bob" : "alice",
                 i % 2 ? "alice" : "bob", i / 2 + 1);
        bodies = xp_streq(in->bodies[i], want);
    }
    bodies = bodies && xp_streq(in->bodies[20], "while you were away");
    CHECK(st == XPORTA_OK && fin.complete && bodies,
          "%s: archive: %s, %zu messages, complete %d", srv->name,
          xporta_status_name(st), in->narchived, fin.complete);
    xp_arena_cleanup(&rep.arena);
    xp_arena_cleanup(&r.arena);
}

/* Pending requests come after the initial presence.  Offline messages must
 * stay stored: Prosody keeps them for a negative priority; ejabberd
 * re-sends pending requests only for a priority >= 0 but keeps offline
 * messages once the client has looked at the XEP-0013 node. */
static void check_pending(struct xp_session *s, const struct server *srv,
                          struct xp_arena *a, struct inbox *in)
{
    struct reply rep = {0};
    const char *bare = xp_session_bare(s);
    const char *offline = "http://jabber.org/protocol/offline";
    size_t stored = 0;
    if (srv->xep0013) {
        const xp_elem *iq =
            ask(s, &rep, "get", bare, xp_disco_items_query(a, offline));
        const xp_elem *q = xp_elem_child(iq, XP_NS_DISCO_ITEMS, "query");
        for (const xp_elem *it = xp_elem_first_element(q); it;
             it = xp_elem_next_element(it))
            stored++;
        CHECK(stored == 1, "%s: XEP-0013: %zu offline message(s) stored",
              srv->name, stored);
    }
    xp_elem *p = xp_elem_new(a, XP_NS_CLIENT, "presence");
    xp_elem_add_text_child(a, p, XP_NS_CLIENT, "priority",
                           srv->xep0013 ? "0" : "-1");
    xp_session_send(s, p);
    for (int i = 0; i < 50 && in->npending == 0; i++)
        xp_session_run(s, 100);
    xp_session_run(s, 500); /* anything else that comes, comes now */
    const char *want = expand(a, srv->pending);
    CHECK(in->npending == 1 && xp_elem_equal(in->pending[0], parse(a, want)),
          "%s: pending request: %zu, %s", srv->name, in->npending,
          in->npending ? ser(a, in->pending[0]) : "(none)");
    CHECK(in->nmessages == 0, "%s: offline messages not delivered: %zu",
          srv->name, in->nmessages);
    if (srv->xep0013) {
        const xp_elem *iq =
            ask(s, &rep, "get", bare, xp_disco_items_query(a, offline));
        const xp_elem *q = xp_elem_child(iq, XP_NS_DISCO_ITEMS, "query");
        size_t after = 0;
        for (const xp_elem *it = xp_elem_first_element(q); it;
             it = xp_elem_next_element(it))
            after++;
        CHECK(after == stored, "%s: XEP-0013: still %zu stored after presence",
              srv->name, after);
    }
    xp_arena_cleanup(&rep.arena);
}

static void run_server(const struct server *srv, const char *script,
                       const char *populate, const char *scenarios,
                       const char *run, const char *pass)
{
    char key[64], jid[256];
    struct xp_arena a;
    snprintf(key, sizeof key, "%s_DOMAIN", srv->prefix);
    const char *domain = xpt_vars_get(&vars, key);
    snprintf(key, sizeof key, "%s_PORT", srv->prefix);
    const char *port = xpt_vars_get(&vars, key);
    snprintf(key, sizeof key, "%s_MUC", srv->prefix);
    const char *muc = xpt_vars_get(&vars, key);
    if (!domain || !port || !muc) {
        CHECK(false, "%s: servers.env lacks the domain, port or MUC",
              srv->name);
        return;
    }
    xpt_vars_set(&vars, "DOMAIN", domain);
    xpt_vars_set(&vars, "MUC", muc);
    static const char *const letters[] = {"A", "B", "C", "D", "E", "F", "G"};
    for (size_t i = 0; i < 7; i++) {
        snprintf(jid, sizeof jid, "%s-%s@%s", run, users[i], domain);
        xpt_vars_set(&vars, letters[i], jid);
    }
    if (!fill(srv, script, populate, scenarios, run, pass))
        return;

    struct xp_session_opts o;
    struct xp_session *s = NULL;
    struct xp_err err;
    memset(&o, 0, sizeof o);
    o.jid = xpt_vars_get(&vars, "A");
    o.password = pass;
    o.host = "127.0.0.1";
    o.port = (unsigned short)atoi(port);
    o.cafile = xpt_vars_get(&vars, "TEST_CAFILE");
    o.resource = "verify";
    xp_err_clear(&err);
    xporta_status st = xp_session_open(&s, &o, &err);
    CHECK(st == XPORTA_OK, "%s: login as %s: %s %s", srv->name, o.jid,
          xporta_status_name(st), xp_err_msg(&err));
    if (!s)
        return;
    struct inbox in;
    memset(&in, 0, sizeof in);
    xp_arena_init(&in.arena, 0);
    xp_session_on_stanza(s, on_stanza, &in);
    xp_arena_init(&a, 0);

    check_roster(s, srv, &a);
    check_vcard(s, srv, &a);
    check_pep(s, srv, &a);
    check_private(s, srv, &a);
    check_blocking_privacy(s, srv, &a);
    check_mam(s, srv, &a, &in);
    check_pending(s, srv, &a, &in);

    xp_session_close(s);
    xp_arena_cleanup(&in.arena);
    xp_arena_cleanup(&a);
    printf("note %s: filled account %s (password %s)\n", srv->name,
           xpt_vars_get(&vars, "A"), pass);
}

static bool installed(void)
{
    return (access("/usr/bin/prosody", X_OK) == 0 ||
            access("/usr/local/bin/prosody", X_OK) == 0) &&
           (access("/usr/sbin/ejabberdctl", X_OK) == 0 ||
            access("/usr/bin/ejabberdctl", X_OK) == 0);
}

int main(int argc, char **argv)
{
    char err[512], env[4096], run[48], pass[64];
    if (argc != 5) {
        fprintf(stderr, "usage: kinds_live SERVERS_SCRIPT SERVERS_DIR "
                        "XP_POPULATE SCENARIO_DIR\n");
        return 2;
    }
    if (!installed()) {
        printf("skip: prosody and ejabberd are needed\n");
        return 77;
    }
    snprintf(env, sizeof env, "%s/servers.env", argv[2]);
    xpt_vars_init(&vars);
    if (!xpt_vars_load_env(&vars, env, err, sizeof err)) {
        fprintf(stderr,
                "kinds_live: %s (the servers.start fixture did not "
                "run?)\n",
                err);
        return 1;
    }
    setenv("XPORTA_SERVERS_DIR", argv[2], 1);
    /* Names unique to this run: the test can run again on the same
     * servers. */
    snprintf(run, sizeof run, "k%lx%lx", (unsigned long)time(NULL),
             (unsigned long)getpid());
    snprintf(pass, sizeof pass, "pw-%s", run);
    xctx = xmpp_ctx_new(NULL, NULL);
    for (size_t i = 0; i < sizeof servers / sizeof servers[0]; i++)
        run_server(&servers[i], argv[1], argv[3], argv[4], run, pass);
    xmpp_ctx_free(xctx);
    xpt_vars_free(&vars);
    printf("%d checks, %d failed\n", checks, failures);
    return failures ? 1 : 0;
}
