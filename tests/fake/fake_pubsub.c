/*
 * tests/fake/fake_pubsub.c: the fake server's PEP (XEP-0163 on XEP-0060)
 * and MAM (XEP-0313) handlers, routed by fake_server.c.  The design note is
 * in fake_session.c.
 *
 * PEP follows Prosody 0.12's mod_pep: its node configuration form and
 * defaults (max_items 1, access presence), nodes created with a form or
 * on publish (publish-options then become the configuration; on an
 * existing node they are preconditions), RSM ignored on items.  MAM
 * follows mod_mam: start/end/with, RSM max (default 20, capped per server,
 * 50 by default), after/before, <fin complete> without <count>.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_p.h"
#include "xmpp/xmpp_kinds.h"

/* ---- PEP (XEP-0163 on XEP-0060) -------------------------------------------
 */

enum ftype { F_TEXT, F_BOOL, F_LIST, F_MAX };
enum {
    CF_TITLE,
    CF_DESCRIPTION,
    CF_TYPE,
    CF_MAX_ITEMS,
    CF_PERSIST,
    CF_ACCESS,
    CF_PUBLISH_MODEL,
    CF_SEND_LAST,
    CF_DELIVER_NOTIFICATIONS,
    CF_DELIVER_PAYLOADS,
    CF_NOTIFICATION_TYPE,
    CF_NOTIFY_DELETE,
    CF_NOTIFY_RETRACT,
    CF_COUNT
};
static const char *const access_opts[] = {"authorize", "open",      "presence",
                                          "roster",    "whitelist", NULL};
static const char *const publish_opts[] = {"publishers", "subscribers", "open",
                                           NULL};
static const char *const send_last_opts[] = {"never", "on_sub",
                                             "on_sub_and_presence", NULL};
static const char *const notification_opts[] = {"normal", "headline", NULL};

/* Prosody 0.12's node configuration form (prosody-pep-configure.xml), with
 * mod_pep's defaults. */
static const struct cfield {
    const char *var, *label;
    enum ftype type;
    const char *def;
    const char *const *opts;
} cfields[CF_COUNT] = {
    {"pubsub#title", "Title", F_TEXT, "", NULL},
    {"pubsub#description", "Description", F_TEXT, "", NULL},
    {"pubsub#type",
     "The type of node data, usually specified by the namespace of the "
     "payload (if any)",
     F_TEXT, "", NULL},
    {"pubsub#max_items", "Max # of items to persist", F_MAX, "1", NULL},
    {"pubsub#persist_items", "Persist items to storage", F_BOOL, "1", NULL},
    {"pubsub#access_model", "Specify the subscriber model", F_LIST, "presence",
     access_opts},
    {"pubsub#publish_model", "Specify the publisher model", F_LIST,
     "publishers", publish_opts},
    {"pubsub#send_last_published_item", NULL, F_LIST, "never", send_last_opts},
    {"pubsub#deliver_notifications", "Whether to deliver event notifications",
     F_BOOL, "1", NULL},
    {"pubsub#deliver_payloads",
     "Whether to deliver payloads with event notifications", F_BOOL, "1", NULL},
    {"pubsub#notification_type", "Specify the delivery style for notifications",
     F_LIST, "headline", notification_opts},
    {"pubsub#notify_delete",
     "Whether to notify subscribers when the node is deleted", F_BOOL, "1",
     NULL},
    {"pubsub#notify_retract",
     "Whether to notify subscribers when items are removed from the node",
     F_BOOL, "1", NULL},
};

enum { PEP_MAX_ITEMS = 256 };

struct config {
    const char *v[CF_COUNT];
};

static int cfield_find(const char *var)
{
    for (int i = 0; var && i < CF_COUNT; i++)
        if (strcmp(cfields[i].var, var) == 0)
            return i;
    return -1;
}

/* The value as stored, or NULL when the field does not take it. */
static const char *cnorm(int i, const char *v)
{
    uint64_t n;
    switch (cfields[i].type) {
    case F_TEXT:
        return v;
    case F_BOOL:
        if (strcmp(v, "1") == 0 || strcmp(v, "true") == 0)
            return "1";
        if (strcmp(v, "0") == 0 || strcmp(v, "false") == 0)
            return "0";
        return NULL;
    case F_MAX:
        if (strcmp(v, "max") == 0)
            return v;
        return xp_parse_uint(v, &n) && n >= 1 && n <= PEP_MAX_ITEMS ? v : NULL;
    case F_LIST:
        for (size_t k = 0; cfields[i].opts[k]; k++)
            if (strcmp(v, cfields[i].opts[k]) == 0)
                return cfields[i].opts[k];
        return NULL;
    }
    return NULL;
}

static void config_defaults(struct config *cf)
{
    for (int i = 0; i < CF_COUNT; i++)
        cf->v[i] = cfields[i].def;
}

/* Applies a submitted form; returns the error condition or NULL.  Unknown
 * fields are ignored, as Prosody's data forms do. */
static const char *config_apply(struct config *cf, const xp_elem *x,
                                const char *form_type)
{
    if (!x || xp_streq(fk_attr(x, "type"), "cancel"))
        return NULL;
    for (const xp_elem *f = xp_elem_first_element(x); f;
         f = xp_elem_next_element(f)) {
        const char *var = fk_attr(f, "var");
        const char *v = xp_elem_child_text(f, XP_NS_DATA, "value");
        if (!xp_elem_is(f, XP_NS_DATA, "field"))
            continue;
        if (xp_streq(var, "FORM_TYPE")) {
            if (form_type && v && strcmp(v, form_type) != 0)
                return "bad-request";
            continue;
        }
        int i = cfield_find(var);
        if (i < 0 || (!v && cfields[i].type != F_TEXT))
            continue;
        const char *n = cnorm(i, v ? v : "");
        if (!n)
            return "not-acceptable";
        cf->v[i] = n;
    }
    return NULL;
}

static xp_elem *config_form(struct xp_arena *a, const struct config *cf,
                            bool full)
{
    xp_elem *x = xp_elem_new(a, XP_NS_DATA, "x");
    xp_elem *ft = x ? xp_elem_add_child(a, x, XP_NS_DATA, "field") : NULL;
    if (!ft || !xp_elem_set_attr(a, x, "", "type", full ? "form" : "submit") ||
        !xp_elem_set_attr(a, ft, "", "type", "hidden") ||
        !xp_elem_set_attr(a, ft, "", "var", "FORM_TYPE") ||
        !xp_elem_add_text_child(a, ft, XP_NS_DATA, "value", FORM_NODE_CONFIG))
        return NULL;
    static const char *const types[] = {"text-single", "boolean", "list-single",
                                        "text-single"};
    for (int i = 0; i < CF_COUNT; i++) {
        const struct cfield *d = &cfields[i];
        xp_elem *f = xp_elem_add_child(a, x, XP_NS_DATA, "field");
        if (!f || !xp_elem_set_attr(a, f, "", "var", d->var))
            return NULL;
        if (full &&
            ((d->label && !xp_elem_set_attr(a, f, "", "label", d->label)) ||
             !xp_elem_set_attr(a, f, "", "type", types[d->type])))
            return NULL;
        if (full && d->type == F_MAX) {
            xp_elem *val = xp_elem_add_child(
                a, f, "http://jabber.org/protocol/xdata-validate", "validate");
            xp_elem *range =
                val ? xp_elem_add_child(a, val, val->ns, "range") : NULL;
            if (!range ||
                !xp_elem_set_attr(a, val, "", "datatype",
                                  "pubsub:integer-or-max") ||
                !xp_elem_set_attr(a, range, "", "min", "1") ||
                !xp_elem_set_attr(a, range, "", "max", "256"))
                return NULL;
        }
        for (size_t k = 0; full && d->opts && d->opts[k]; k++) {
            xp_elem *o = xp_elem_add_child(a, f, XP_NS_DATA, "option");
            if (!o || !xp_elem_set_attr(a, o, "", "label", d->opts[k]) ||
                !xp_elem_add_text_child(a, o, XP_NS_DATA, "value", d->opts[k]))
                return NULL;
        }
        if (*cf->v[i] &&
            !xp_elem_add_text_child(a, f, XP_NS_DATA, "value", cf->v[i]))
            return NULL;
    }
    return x;
}

/* A node's configuration: 1; 0 when the node does not exist (the
 * defaults); -1 when it cannot be read (out of memory). */
static int config_load(struct xp_arena *a, struct fk_account *acct,
                       const char *node, struct config *cf)
{
    config_defaults(cf);
    const struct fk_entry *e = fk_find(acct, XPORTA_KIND_PEP_NODE, node, NULL);
    if (!e)
        return 0;
    xp_elem *c = fk_load(a, e);
    if (!c)
        return -1;
    config_apply(cf, xp_elem_child(c, XP_NS_DATA, "x"), NULL);
    return 1;
}

static int config_store(struct xp_arena *a, struct fk_account *acct,
                        const char *node, const struct config *cf)
{
    xp_elem *c = xp_elem_new(a, XP_NS_PUBSUB_OWNER, "configure");
    xp_elem *x = c ? config_form(a, cf, false) : NULL;
    if (!x || !xp_elem_set_attr(a, c, "", "node", node))
        return -1;
    xp_elem_append(c, x);
    return fk_store(acct, XPORTA_KIND_PEP_NODE, node, NULL, c) ? 0 : -1;
}

int fk_pep_store_node(struct fk_account *acct, const char *node,
                      const xp_elem *form)
{
    struct xp_arena a;
    struct config cf;
    xp_arena_init(&a, 0);
    int rc = !node || !*node || config_load(&a, acct, node, &cf) < 0 ||
                     config_apply(&cf, form, NULL)
                 ? -1
                 : config_store(&a, acct, node, &cf);
    xp_arena_cleanup(&a);
    return rc;
}

void fk_pep_trim(struct fk_account *acct, const char *node)
{
    struct xp_arena a;
    struct config cf;
    uint64_t max;
    xp_arena_init(&a, 0);
    bool limited = config_load(&a, acct, node, &cf) > 0 &&
                   xp_parse_uint(cf.v[CF_MAX_ITEMS], &max);
    xp_arena_cleanup(&a);
    if (!limited)
        return; /* "max" */
    struct fk_list *l = &acct->data[XPORTA_KIND_PEP_ITEM];
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++)
        n += strcmp(l->v[i].key, node) == 0;
    for (size_t i = 0; n > max && i < l->n;) {
        if (strcmp(l->v[i].key, node) == 0) {
            fk_remove(acct, XPORTA_KIND_PEP_ITEM, &l->v[i]);
            n--;
        } else {
            i++;
        }
    }
}

/* The affiliation of `jid` with a node ("none" when not listed). */
static const char *affiliation(struct fk_req *r, const char *node,
                               const char *jid)
{
    const struct fk_entry *e =
        fk_find(r->acct, XPORTA_KIND_PEP_AFFILIATIONS, node, NULL);
    xp_elem *affs = e ? fk_load(r->a, e) : NULL;
    for (const xp_elem *f = xp_elem_first_element(affs); f;
         f = xp_elem_next_element(f))
        if (xp_jid_eq(fk_attr(f, "jid"), jid))
            return fk_attr(f, "affiliation");
    return "none";
}

/* May the requester read another account's node?  Prosody 0.12 answers
 * <forbidden/> when not (see xporta.h, xporta_moved_access). */
static bool pep_may_read(struct fk_req *r, const char *node,
                         const struct config *cf)
{
    const char *aff = affiliation(r, node, r->self->bare);
    const char *am = cf->v[CF_ACCESS];
    bool member = xp_streq(aff, "member") || xp_streq(aff, "publisher") ||
                  xp_streq(aff, "owner");
    if (xp_streq(aff, "outcast"))
        return false;
    if (strcmp(am, "open") == 0 || member)
        return true;
    if (strcmp(am, "presence") == 0 || strcmp(am, "roster") == 0) {
        return fk_has_from(r->a, r->acct, r->self->bare);
    }
    return false;
}

/* The node of the request's first child, which must exist. */
static const char *pep_node(struct fk_req *r, const char *ns, const char *name,
                            struct config *cf, bool must_exist)
{
    const xp_elem *c = xp_elem_child(r->q, ns, name);
    const char *node = fk_attr_set(c, "node");
    if (!node) {
        fk_fail_app(r, "bad-request", "nodeid-required");
        return NULL;
    }
    int found = config_load(r->a, r->acct, node, cf);
    if (found < 0 || (!found && must_exist)) {
        fk_fail(r, found ? "internal-server-error" : "item-not-found", NULL);
        return NULL;
    }
    return node;
}

bool fk_pep_items(struct fk_req *r)
{
    struct config cf;
    const char *node = pep_node(r, XP_NS_PUBSUB, "items", &cf, true);
    if (!node)
        return !r->cond;
    if (r->scope == S_ACCOUNT && !pep_may_read(r, node, &cf))
        return fk_fail(r, "forbidden", NULL);
    const xp_elem *items = xp_elem_child(r->q, XP_NS_PUBSUB, "items");
    xp_elem *p = fk_add(r, r->res, XP_NS_PUBSUB, "pubsub");
    xp_elem *out = p ? fk_add(r, p, XP_NS_PUBSUB, "items") : NULL;
    fk_set(r, out, "node", node);
    const xp_elem *want = xp_elem_first_element(items);
    if (want) { /* particular items (Prosody ignores RSM here) */
        size_t found = 0;
        for (; want && out; want = xp_elem_next_element(want)) {
            const char *id = fk_attr_set(want, "id");
            const struct fk_entry *e =
                id ? fk_find(r->acct, XPORTA_KIND_PEP_ITEM, node, id) : NULL;
            if (e) {
                fk_append(r, out, fk_load(r->a, e));
                found++;
            }
        }
        if (!found)
            fk_fail(r, "item-not-found", NULL);
        return !r->cond;
    }
    const struct fk_list *l = &r->acct->data[XPORTA_KIND_PEP_ITEM];
    uint64_t max = 0, n = 0, skip = 0;
    if (fk_attr(items, "max_items") &&
        !xp_parse_uint(fk_attr(items, "max_items"), &max))
        return fk_fail(r, "bad-request", "max_items");
    for (size_t i = 0; i < l->n; i++)
        n += strcmp(l->v[i].key, node) == 0;
    if (max && n > max)
        skip = n - max;
    for (size_t i = 0; out && i < l->n; i++) {
        if (strcmp(l->v[i].key, node) != 0)
            continue;
        if (skip) {
            skip--;
            continue;
        }
        fk_append(r, out, fk_load(r->a, &l->v[i]));
    }
    return !r->cond;
}

bool fk_pep_publish(struct fk_req *r)
{
    struct config cf;
    const char *node = pep_node(r, XP_NS_PUBSUB, "publish", &cf, false);
    if (!node)
        return !r->cond;
    bool exists = fk_find(r->self, XPORTA_KIND_PEP_NODE, node, NULL) != NULL;
    const xp_elem *pub = xp_elem_child(r->q, XP_NS_PUBSUB, "publish");
    const xp_elem *item = xp_elem_first_element(pub);
    if (!xp_elem_is(item, XP_NS_PUBSUB, "item") || xp_elem_next_element(item))
        return fk_fail_app(r, "bad-request", "item-required");
    if (!xp_elem_first_element(item))
        return fk_fail_app(r, "bad-request", "payload-required");
    const xp_elem *opts = xp_elem_child(
        xp_elem_child(r->q, XP_NS_PUBSUB, "publish-options"), XP_NS_DATA, "x");
    if (!exists) { /* auto-create, with the options as its configuration */
        const char *cond = config_apply(&cf, opts, FORM_PUBLISH_OPTIONS);
        if (cond)
            return fk_fail(r, cond, NULL);
        if (config_store(r->a, r->self, node, &cf) != 0)
            return fk_fail(r, "internal-server-error", "out of memory");
    } else if (opts) { /* options are preconditions */
        for (const xp_elem *f = xp_elem_first_element(opts); f;
             f = xp_elem_next_element(f)) {
            int i = cfield_find(fk_attr(f, "var"));
            const char *v = xp_elem_child_text(f, XP_NS_DATA, "value");
            const char *n = i >= 0 && v ? cnorm(i, v) : NULL;
            if (i >= 0 && (!n || strcmp(n, cf.v[i]) != 0))
                return fk_fail_app(r, "conflict", "precondition-not-met");
        }
    }
    char idbuf[48];
    const char *id = fk_attr_set(item, "id");
    if (!id) {
        fk_new_id(r->self, "fk-item-", idbuf, sizeof idbuf);
        id = idbuf;
    }
    xp_elem *copy = xp_elem_clone(r->a, item);
    if (!copy || !xp_elem_set_attr(r->a, copy, "", "id", id))
        return fk_fail(r, "internal-server-error", "out of memory");
    xp_elem_remove_attr(copy, "", "publisher");
    if (!fk_store(r->self, XPORTA_KIND_PEP_ITEM, node, id, copy))
        return fk_fail(r, "internal-server-error", "out of memory");
    fk_pep_trim(r->self, node);
    xp_elem *p = fk_add(r, r->res, XP_NS_PUBSUB, "pubsub");
    xp_elem *out = p ? fk_add(r, p, XP_NS_PUBSUB, "publish") : NULL;
    fk_set(r, out, "node", node);
    fk_set(r, out ? fk_add(r, out, XP_NS_PUBSUB, "item") : NULL, "id", id);
    return !r->cond;
}

bool fk_pep_create(struct fk_req *r)
{
    struct config cf;
    const char *node = pep_node(r, XP_NS_PUBSUB, "create", &cf, false);
    if (!node)
        return !r->cond;
    if (fk_find(r->self, XPORTA_KIND_PEP_NODE, node, NULL))
        return fk_fail(r, "conflict", NULL);
    const xp_elem *x = xp_elem_child(
        xp_elem_child(r->q, XP_NS_PUBSUB, "configure"), XP_NS_DATA, "x");
    const char *cond = config_apply(&cf, x, FORM_NODE_CONFIG);
    if (cond)
        return fk_fail(r, cond, NULL);
    if (config_store(r->a, r->self, node, &cf) != 0)
        fk_fail(r, "internal-server-error", "out of memory");
    return !r->cond;
}

bool fk_pep_retract(struct fk_req *r)
{
    struct config cf;
    const char *node = pep_node(r, XP_NS_PUBSUB, "retract", &cf, true);
    const xp_elem *ret = xp_elem_child(r->q, XP_NS_PUBSUB, "retract");
    if (!node)
        return !r->cond;
    if (!xp_elem_first_element(ret))
        return fk_fail_app(r, "bad-request", "item-required");
    for (const xp_elem *it = xp_elem_first_element(ret); it;
         it = xp_elem_next_element(it)) {
        const char *id = fk_attr_set(it, "id");
        struct fk_entry *e =
            id ? fk_find(r->self, XPORTA_KIND_PEP_ITEM, node, id) : NULL;
        if (!e)
            return fk_fail(r, "item-not-found", NULL);
        fk_remove(r->self, XPORTA_KIND_PEP_ITEM, e);
    }
    return !r->cond;
}

bool fk_pep_configure_get(struct fk_req *r)
{
    struct config cf;
    const char *node = pep_node(r, XP_NS_PUBSUB_OWNER, "configure", &cf, true);
    if (!node)
        return !r->cond;
    xp_elem *p = fk_add(r, r->res, XP_NS_PUBSUB_OWNER, "pubsub");
    xp_elem *c = p ? fk_add(r, p, XP_NS_PUBSUB_OWNER, "configure") : NULL;
    fk_set(r, c, "node", node);
    if (c)
        fk_append(r, c, config_form(r->a, &cf, true));
    return !r->cond;
}

bool fk_pep_configure_set(struct fk_req *r)
{
    struct config cf;
    const char *node = pep_node(r, XP_NS_PUBSUB_OWNER, "configure", &cf, true);
    if (!node)
        return !r->cond;
    const xp_elem *x = xp_elem_child(
        xp_elem_child(r->q, XP_NS_PUBSUB_OWNER, "configure"), XP_NS_DATA, "x");
    if (!x)
        return fk_fail(r, "bad-request", "a data form is expected");
    const char *cond = config_apply(&cf, x, FORM_NODE_CONFIG);
    if (cond)
        return fk_fail(r, cond, NULL);
    if (config_store(r->a, r->self, node, &cf) != 0)
        return fk_fail(r, "internal-server-error", "out of memory");
    fk_pep_trim(r->self, node);
    return !r->cond;
}

bool fk_pep_affiliations_get(struct fk_req *r)
{
    struct config cf;
    const char *node =
        pep_node(r, XP_NS_PUBSUB_OWNER, "affiliations", &cf, true);
    if (!node)
        return !r->cond;
    const struct fk_entry *e =
        fk_find(r->self, XPORTA_KIND_PEP_AFFILIATIONS, node, NULL);
    xp_elem *p = fk_add(r, r->res, XP_NS_PUBSUB_OWNER, "pubsub");
    if (e && p)
        fk_append(r, p, fk_load(r->a, e));
    else if (p)
        fk_set(r, fk_add(r, p, XP_NS_PUBSUB_OWNER, "affiliations"), "node",
               node);
    return !r->cond;
}

bool fk_pep_affiliations_set(struct fk_req *r)
{
    static const char *const affs[] = {"owner",  "publisher", "publish-only",
                                       "member", "none",      "outcast",
                                       NULL};
    struct config cf;
    const char *node =
        pep_node(r, XP_NS_PUBSUB_OWNER, "affiliations", &cf, true);
    if (!node)
        return !r->cond;
    const struct fk_entry *e =
        fk_find(r->self, XPORTA_KIND_PEP_AFFILIATIONS, node, NULL);
    xp_elem *cur = e ? fk_load(r->a, e)
                     : xp_elem_new(r->a, XP_NS_PUBSUB_OWNER, "affiliations");
    fk_set(r, cur, "node", node);
    const xp_elem *in = xp_elem_child(r->q, XP_NS_PUBSUB_OWNER, "affiliations");
    for (const xp_elem *f = xp_elem_first_element(in); f && cur && !r->cond;
         f = xp_elem_next_element(f)) {
        const char *jid = fk_attr_set(f, "jid"),
                   *aff = fk_attr_set(f, "affiliation");
        size_t k = 0;
        while (affs[k] && !xp_streq(aff, affs[k]))
            k++;
        if (!xp_elem_is(f, XP_NS_PUBSUB_OWNER, "affiliation") || !jid ||
            !affs[k])
            return fk_fail(r, "bad-request", NULL);
        for (xp_elem *o = xp_elem_first_element(cur); o;
             o = xp_elem_next_element(o))
            if (xp_jid_eq(fk_attr(o, "jid"), jid)) {
                xp_elem_unlink(o);
                break;
            }
        if (strcmp(aff, "none") != 0) {
            xp_elem *n = fk_add(r, cur, XP_NS_PUBSUB_OWNER, "affiliation");
            fk_set(r, n, "jid", jid);
            fk_set(r, n, "affiliation", aff);
        }
    }
    if (r->cond || !cur)
        return !r->cond;
    struct fk_entry *old =
        fk_find(r->self, XPORTA_KIND_PEP_AFFILIATIONS, node, NULL);
    if (!xp_elem_first_element(cur)) {
        if (old)
            fk_remove(r->self, XPORTA_KIND_PEP_AFFILIATIONS, old);
    } else if (!fk_store(r->self, XPORTA_KIND_PEP_AFFILIATIONS, node, NULL,
                         cur)) {
        fk_fail(r, "internal-server-error", "out of memory");
    }
    return !r->cond;
}

bool fk_pep_delete(struct fk_req *r)
{
    struct config cf;
    const char *node = pep_node(r, XP_NS_PUBSUB_OWNER, "delete", &cf, true);
    if (!node)
        return !r->cond;
    const xporta_kind kinds[] = {XPORTA_KIND_PEP_ITEM,
                                 XPORTA_KIND_PEP_AFFILIATIONS,
                                 XPORTA_KIND_PEP_NODE};
    for (size_t k = 0; k < 3; k++) {
        struct fk_list *l = &r->self->data[kinds[k]];
        for (size_t i = l->n; i-- > 0;)
            if (strcmp(l->v[i].key, node) == 0)
                fk_remove(r->self, kinds[k], &l->v[i]);
    }
    return !r->cond;
}

/* ---- MAM (XEP-0313) --------------------------------------------------------
 */

static xp_elem *prefs_default(struct xp_arena *a)
{
    xp_elem *p = xp_elem_new(a, XP_NS_MAM, "prefs");
    if (!p || !xp_elem_set_attr(a, p, "", "default", "always") ||
        !xp_elem_add_child(a, p, XP_NS_MAM, "always") ||
        !xp_elem_add_child(a, p, XP_NS_MAM, "never"))
        return NULL;
    return p;
}

bool fk_mam_prefs_get(struct fk_req *r)
{
    const struct fk_entry *e =
        fk_find(r->self, XPORTA_KIND_MAM_PREFS, "prefs", NULL);
    fk_append(r, r->res, e ? fk_load(r->a, e) : prefs_default(r->a));
    return !r->cond;
}

bool fk_mam_prefs_set(struct fk_req *r)
{
    const char *def = fk_attr(r->q, "default");
    if (!xp_streq(def, "always") && !xp_streq(def, "never") &&
        !xp_streq(def, "roster"))
        return fk_fail(r, "bad-request",
                       "default must be always, never or roster");
    /* Stored as the server shows it: both lists, JIDs only. */
    xp_elem *p = xp_mam_prefs_set(r->a, r->q);
    if (!p || !fk_store(r->self, XPORTA_KIND_MAM_PREFS, "prefs", NULL, p))
        return fk_fail(r, "internal-server-error", "out of memory");
    fk_append(r, r->res, xp_elem_clone(r->a, p));
    return !r->cond;
}

struct mam_filter {
    bool have_start, have_end;
    long long start_s, end_s;
    long start_us, end_us;
    const char *with;
};

static bool mam_match(const struct mam_filter *f, const struct fk_entry *e)
{
    if (f->have_start && (e->secs < f->start_s ||
                          (e->secs == f->start_s && e->usecs < f->start_us)))
        return false;
    if (f->have_end &&
        (e->secs > f->end_s || (e->secs == f->end_s && e->usecs > f->end_us)))
        return false;
    return !f->with || xp_jid_eq(f->with, e->with);
}

static bool mam_form(struct fk_req *r, struct mam_filter *f)
{
    const xp_elem *x = xp_elem_child(r->q, XP_NS_DATA, "x");
    memset(f, 0, sizeof *f);
    for (const xp_elem *fl = xp_elem_first_element(x); fl;
         fl = xp_elem_next_element(fl)) {
        const char *var = fk_attr(fl, "var");
        const char *v = xp_elem_child_text(fl, XP_NS_DATA, "value");
        if (!v || !var)
            continue;
        if (strcmp(var, "FORM_TYPE") == 0 && strcmp(v, XP_NS_MAM) != 0) {
            fk_fail(r, "bad-request", "unexpected FORM_TYPE");
            return false;
        }
        bool ok = true;
        if (strcmp(var, "start") == 0)
            ok = f->have_start =
                xp_datetime_parse(v, &f->start_s, &f->start_us);
        else if (strcmp(var, "end") == 0)
            ok = f->have_end = xp_datetime_parse(v, &f->end_s, &f->end_us);
        else if (strcmp(var, "with") == 0)
            f->with = v;
        if (!ok) {
            fk_fail(r, "bad-request", "invalid timestamp");
            return false;
        }
    }
    return true;
}

/* Sends one result <message> per entry, before the IQ result. */
static bool mam_send(struct fk_req *r, const struct fk_entry *e,
                     const char *qid, const char *from)
{
    xp_elem *m = xp_elem_new(r->a, XP_NS_CLIENT, "message");
    xp_elem *res = m ? fk_load(r->a, e) : NULL;
    if (!res || !xp_elem_set_attr(r->a, m, "", "to", r->c->full) ||
        (from && !xp_elem_set_attr(r->a, m, "", "from", from)) ||
        (qid && !xp_elem_set_attr(r->a, res, "", "queryid", qid)))
        return fk_fail(r, "internal-server-error", "out of memory");
    xp_elem_append(m, res);
    fk_conn_deliver(r->c, m);
    return !r->cond;
}

bool fk_mam_query(struct fk_req *r)
{
    struct mam_filter f;
    if (!mam_form(r, &f))
        return !r->cond;
    const xp_elem *set_in = xp_elem_child(r->q, XP_NS_RSM, "set");
    const char *smax = xp_elem_child_text(set_in, XP_NS_RSM, "max");
    const char *after = xp_elem_child_text(set_in, XP_NS_RSM, "after");
    const char *before = xp_elem_child_text(set_in, XP_NS_RSM, "before");
    uint64_t max = 20; /* Prosody's default page */
    if (smax && !xp_parse_uint(smax, &max))
        return fk_fail(r, "bad-request", "invalid max");
    if (max > r->srv->mam_max)
        max = r->srv->mam_max;
    const struct fk_list *l = &r->self->data[XPORTA_KIND_ARCHIVE];
    /* The window of the archive the page is cut from: [lo, hi). */
    size_t lo = 0, hi = l->n;
    const char *anchor = after && *after     ? after
                         : before && *before ? before
                                             : NULL;
    if (anchor) {
        size_t i = 0;
        while (i < l->n && strcmp(l->v[i].key, anchor) != 0)
            i++;
        if (i == l->n)
            return fk_fail(r, "item-not-found", NULL);
        if (anchor == after)
            lo = i + 1;
        else
            hi = i;
    }
    size_t *page = calloc(max ? max : 1, sizeof *page);
    size_t n = 0;
    bool more = false;
    if (!page)
        return fk_fail(r, "internal-server-error", "out of memory");
    if (before) { /* the last page of the window, in time order */
        size_t i = hi;
        while (i > lo && n < max) {
            if (mam_match(&f, &l->v[--i]))
                page[n++] = i;
        }
        while (i > lo && !more)
            more = mam_match(&f, &l->v[--i]);
        for (size_t k = 0; k < n / 2; k++) {
            size_t t = page[k];
            page[k] = page[n - 1 - k];
            page[n - 1 - k] = t;
        }
    } else {
        size_t i = lo;
        for (; i < hi && n < max; i++)
            if (mam_match(&f, &l->v[i]))
                page[n++] = i;
        for (; i < hi && !more; i++)
            more = mam_match(&f, &l->v[i]);
    }
    const char *qid = fk_attr(r->q, "queryid");
    const char *from = fk_attr(r->res, "from");
    for (size_t k = 0; k < n && !r->cond; k++)
        mam_send(r, &l->v[page[k]], qid, from);
    xp_elem *fin = fk_add(r, r->res, XP_NS_MAM, "fin");
    xp_elem *rsm = fin ? fk_add(r, fin, XP_NS_RSM, "set") : NULL;
    if (!more)
        fk_set(r, fin, "complete", "true");
    if (rsm && n &&
        (!xp_elem_add_text_child(r->a, rsm, XP_NS_RSM, "first",
                                 l->v[page[0]].key) ||
         !xp_elem_add_text_child(r->a, rsm, XP_NS_RSM, "last",
                                 l->v[page[n - 1]].key)))
        fk_fail(r, "internal-server-error", "out of memory");
    free(page);
    return !r->cond;
}
