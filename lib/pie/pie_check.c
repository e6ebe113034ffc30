/*
 * Validation of a XEP-0227 stream (`xporta check`).
 *
 * Design note.  The reader accepts whatever it can turn into records; the
 * checker looks at the records and says what an importer would trip over:
 * JIDs that are not JIDs, SCRAM values that cannot log anyone in, the same
 * user or item twice, PEP items of a node that has no configuration.  It
 * keeps 64-bit hashes of the keys it must compare (pie_set), never the
 * records, so it runs in bounded memory on files of any size; the archive's
 * id set is capped, past which archive duplicates are no longer checked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pie_check_p.h"

void pie_ck_report(xporta_checker *c, xporta_severity sev, const char *file,
                   unsigned long line, unsigned long col, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (sev == XPORTA_ERROR)
        c->errors++;
    else if (sev == XPORTA_WARNING)
        c->warnings++;
    if (c->cb) {
        xporta_diag d = {sev, file, line, col, msg};
        c->cb(&d, c->ud);
    }
}

xporta_status xporta_checker_new(xporta_checker **out, xporta_diag_cb cb,
                                 void *userdata)
{
    if (!out)
        return XPORTA_EINVAL;
    xporta_checker *c = calloc(1, sizeof *c);
    if (!c)
        return XPORTA_ENOMEM;
    c->cb = cb;
    c->ud = userdata;
    xp_set_init(&c->hosts, 0);
    xp_set_init(&c->users, 0);
    xp_set_init(&c->keys, 0);
    xp_set_init(&c->archive, MAX_ARCHIVE_IDS);
    xp_set_init(&c->pep_conf, 0);
    xp_set_init(&c->pep_items, 0);
    xp_arena_init(&c->scratch, 0);
    pie_ck_room_init(c);
    *out = c;
    return XPORTA_OK;
}

void xporta_checker_free(xporta_checker *c)
{
    if (!c)
        return;
    xp_set_cleanup(&c->hosts);
    xp_set_cleanup(&c->users);
    xp_set_cleanup(&c->keys);
    xp_set_cleanup(&c->archive);
    xp_set_cleanup(&c->pep_conf);
    xp_set_cleanup(&c->pep_items);
    xp_arena_cleanup(&c->scratch);
    pie_ck_room_free(c);
    for (unsigned i = 0; i < c->norphan; i++) {
        free(c->orphan[i].node);
        free(c->orphan[i].file);
    }
    free(c->host);
    free(c->user);
    free(c);
}

void xporta_checker_set_filter(xporta_checker *c, const xporta_filter *f)
{
    if (c)
        c->filter = f;
}

unsigned long xporta_checker_errors(const xporta_checker *c)
{
    return c->errors;
}

unsigned long xporta_checker_warnings(const xporta_checker *c)
{
    return c->warnings;
}

/* ---- per kind -------------------------------------------------------------
 */

void pie_ck_jid_attr(xporta_checker *c, const xporta_record *rec,
                     const char *what, const char *jid, bool bare)
{
    const char *why;
    if (!jid) {
        pie_ck_report(c, XPORTA_ERROR, AT(rec), "%s without a %s",
                      rec->payload->name, what);
        return;
    }
    if (!xporta_jid_is_valid(jid, &why)) {
        pie_ck_report(c, XPORTA_ERROR, AT(rec),
                      "%s '%s' is not a valid JID: %s", what, jid, why);
        return;
    }
    if (bare && strchr(jid, '/'))
        pie_ck_report(c, XPORTA_WARNING, AT(rec),
                      "%s '%s' has a resource; a bare JID was expected", what,
                      jid);
}

/* The memo set of a JID (two slots: a pair of JIDs falling in one set
 * does not evict each other).  Not a general hash: a cheap mix of the
 * length and the first and last eight bytes, where JIDs differ (local
 * part, resource); a poor spread only costs validating again. */
static size_t jid_set(const char *jid, size_t n)
{
    uint64_t a = 0, b = 0;
    if (n >= 8) {
        memcpy(&a, jid, 8);
        memcpy(&b, jid + n - 8, 8);
    } else {
        for (size_t i = 0; i < n; i++)
            a = a << 8 | (unsigned char)jid[i];
    }
    uint64_t h = (a * 0xff51afd7ed558ccdull) ^ (b * 0x9e3779b97f4a7c15ull) ^ n;
    h ^= h >> 29;
    h *= 0xc4ceb9fe1a85ec53ull;
    return (size_t)(h >> 58) % (JID_MEMO / 2) * 2;
}

static bool jid_valid(xporta_checker *c, const char *jid, const char **why)
{
    size_t n = strlen(jid);
    size_t set = 0;
    if (n < JID_MEMO_LEN) {
        set = jid_set(jid, n);
        for (size_t k = set; k < set + 2; k++)
            if (c->valid_jid[k].len1 == n + 1 &&
                memcmp(c->valid_jid[k].jid, jid, n) == 0)
                return true;
    }
    if (!xporta_jid_is_valid(jid, why))
        return false;
    if (n < JID_MEMO_LEN) {
        /* The empty slot of the set, else each in turn. */
        size_t k = c->valid_jid[set].len1 == 0 ? set : set + c->jid_turn;
        c->jid_turn ^= 1;
        memcpy(c->valid_jid[k].jid, jid, n + 1);
        c->valid_jid[k].len1 = n + 1;
    }
    return true;
}

/* xp_elem_attr_ns(e, "", name) and xp_elem_child() for the checker's
 * hottest lookups (several per archived message): the same answers,
 * comparing first characters before calling strcmp. */
static const char *attr(const xp_elem *e, const char *name)
{
    if (!e)
        return NULL;
    for (unsigned i = 0; i < e->nattrs; i++) {
        const struct xp_attr *at = &e->attrs[i];
        if (at->ns[0] == '\0' && at->name[0] == name[0] &&
            strcmp(at->name, name) == 0)
            return at->value;
    }
    return NULL;
}

static const xp_elem *child(const xp_elem *e, const char *ns, const char *name)
{
    for (const xp_elem *k = e->first; k; k = k->next)
        if (k->name && k->name[0] == name[0] && strcmp(k->name, name) == 0 &&
            strcmp(k->ns, ns) == 0)
            return k;
    return NULL;
}

static void check_b64(xporta_checker *c, const xporta_record *rec,
                      const char *field, const char *text, size_t want)
{
    size_t n = strlen(text);
    unsigned char *out = xp_arena_alloc(&c->scratch, n / 4 * 3 + 3);
    size_t len;
    if (!out)
        return;
    if (n == 0 || !xp_b64_decode(text, n, out, &len)) {
        pie_ck_report(c, XPORTA_ERROR, AT(rec), "SCRAM %s is not valid base64",
                      field);
        return;
    }
    if (want && len != want)
        pie_ck_report(c, XPORTA_ERROR, AT(rec),
                      "SCRAM %s decodes to %zu bytes; %s needs %zu", field, len,
                      xp_elem_attr_ns(rec->payload, "", "mechanism"), want);
}

static void check_scram(xporta_checker *c, const xporta_record *rec)
{
    const xp_elem *e = rec->payload;
    const char *mech = xp_elem_attr_ns(e, "", "mechanism");
    size_t hlen = xp_scram_hash_len(mech);
    static const char *const fields[] = {"iter-count", "salt", "server-key",
                                         "stored-key"};
    if (!mech) {
        pie_ck_report(c, XPORTA_ERROR, AT(rec),
                      "<scram-credentials> without a mechanism");
        return;
    }
    if (!hlen) {
        bool plus =
            strlen(mech) > 5 && strcmp(mech + strlen(mech) - 5, "-PLUS") == 0;
        pie_ck_report(c, XPORTA_ERROR, AT(rec),
                      "unknown SCRAM mechanism '%s'%s", mech,
                      plus ? " (XEP-0227 names it without -PLUS)" : "");
        return;
    }
    for (size_t i = 0; i < 4; i++) {
        unsigned count = 0;
        const char *text = NULL;
        for (const xp_elem *k = xp_elem_first_element(e); k;
             k = xp_elem_next_element(k)) {
            if (xp_elem_is(k, XP_NS_PIE_SCRAM, fields[i])) {
                count++;
                text = xp_elem_text(k);
            }
        }
        if (count != 1) {
            pie_ck_report(c, XPORTA_ERROR, AT(rec),
                          "%s: <%s> must occur exactly once (found %u)", mech,
                          fields[i], count);
            continue;
        }
        if (i == 0) {
            uint64_t v;
            if (!xp_parse_uint(text, &v) || v == 0 || v > 0xffffffffu)
                pie_ck_report(
                    c, XPORTA_ERROR, AT(rec),
                    "%s: iter-count '%s' is not a positive integer without "
                    "leading zeros",
                    mech, text);
            else if (v < 4096)
                pie_ck_report(
                    c, XPORTA_WARNING, AT(rec),
                    "%s: iter-count %s is below RFC 7677's minimum of 4096",
                    mech, text);
        } else {
            check_b64(c, rec, fields[i], text, i == 1 ? 0 : hlen);
        }
    }
}

bool pie_ck_oneof(const char *v, const char *const *set)
{
    for (; *set; set++)
        if (strcmp(v, *set) == 0)
            return true;
    return false;
}

static void check_roster(xporta_checker *c, const xporta_record *rec)
{
    static const char *const subs[] = {"none", "to", "from", "both", NULL};
    const xp_elem *e = rec->payload;
    const char *sub = xp_elem_attr_ns(e, "", "subscription");
    const char *ask = xp_elem_attr_ns(e, "", "ask");
    pie_ck_jid_attr(c, rec, "roster item jid", xp_elem_attr_ns(e, "", "jid"),
                    true);
    if (sub && !pie_ck_oneof(sub, subs))
        pie_ck_report(
            c, XPORTA_ERROR, AT(rec),
            "roster item subscription '%s' is not none, to, from or both", sub);
    if (ask && strcmp(ask, "subscribe") != 0)
        pie_ck_report(c, XPORTA_ERROR, AT(rec),
                      "roster item ask '%s' is not subscribe", ask);
    for (const xp_elem *g = xp_elem_first_element(e); g;
         g = xp_elem_next_element(g))
        if (xp_elem_is(g, XP_NS_ROSTER, "group") && !*xp_elem_text(g))
            pie_ck_report(c, XPORTA_WARNING, AT(rec),
                          "empty roster group name");
}

static void check_privacy(xporta_checker *c, const xporta_record *rec)
{
    static const char *const types[] = {"jid", "group", "subscription", NULL};
    static const char *const actions[] = {"allow", "deny", NULL};
    const xp_elem *e = rec->payload;
    if (!xp_elem_attr_ns(e, "", "name")) {
        if (!xp_elem_is(e, NULL, "list"))
            return; /* <default/> / <active/> without name: declines */
        pie_ck_report(c, XPORTA_ERROR, AT(rec), "privacy list without a name");
        return;
    }
    if (!xp_elem_is(e, NULL, "list"))
        return;
    struct xp_set orders;
    xp_set_init(&orders, 0);
    for (const xp_elem *it = xp_elem_first_element(e); it;
         it = xp_elem_next_element(it)) {
        const char *type = xp_elem_attr_ns(it, "", "type");
        const char *action = xp_elem_attr_ns(it, "", "action");
        const char *order = xp_elem_attr_ns(it, "", "order");
        uint64_t o;
        if (type && !pie_ck_oneof(type, types))
            pie_ck_report(c, XPORTA_ERROR, AT(rec),
                          "privacy item type '%s' is unknown", type);
        if (!action || !pie_ck_oneof(action, actions))
            pie_ck_report(c, XPORTA_ERROR, AT(rec),
                          "privacy item action must be allow or deny");
        if (!order || !xp_parse_uint(order, &o))
            pie_ck_report(c, XPORTA_ERROR, AT(rec),
                          "privacy item order '%s' is not an unsigned integer",
                          order ? order : "");
        else if (xp_set_add(&orders, o + 1) == 0)
            pie_ck_report(c, XPORTA_ERROR, AT(rec),
                          "privacy item order %s used twice", order);
        if (type && strcmp(type, "jid") == 0)
            pie_ck_jid_attr(c, rec, "privacy item value",
                            xp_elem_attr_ns(it, "", "value"), false);
    }
    xp_set_cleanup(&orders);
}

void pie_ck_archive(xporta_checker *c, const xporta_record *rec)
{
    const xp_elem *e = rec->payload;
    const xp_elem *fwd = child(e, XP_NS_FORWARD, "forwarded");
    const char *id = attr(e, "id");
    if (!id)
        pie_ck_report(c, XPORTA_ERROR, AT(rec),
                      "archived message without an id");
    if (id && !c->archive_capped) {
        int added = xp_set_add(&c->archive, xp_key_hash(id, NULL));
        if (added == 0)
            pie_ck_report(c, XPORTA_ERROR, AT(rec),
                          "archive id '%s' occurs twice", id);
        else if (added < 0) {
            c->archive_capped = true;
            pie_ck_report(
                c, XPORTA_NOTE, AT(rec),
                "more than %d archived messages: duplicate ids are no "
                "longer checked for this user",
                MAX_ARCHIVE_IDS);
        }
    }

    if (!fwd) {
        pie_ck_report(
            c, XPORTA_ERROR, AT(rec),
            "archived message without <forwarded xmlns='urn:xmpp:forward:0'>");
        return;
    }
    const xp_elem *delay = child(fwd, XP_NS_DELAY, "delay");
    if (!attr(delay, "stamp"))
        pie_ck_report(c, XPORTA_ERROR, AT(rec),
                      "archived message without a <delay stamp> (its date)");
    const xp_elem *msg = child(fwd, XP_NS_CLIENT, "message");
    if (!msg) {
        pie_ck_report(c, XPORTA_ERROR, AT(rec),
                      "archived result without a jabber:client <message>");
        return;
    }
    const char *to = attr(msg, "to");
    const char *from = attr(msg, "from");
    const char *why;
    if (to && !jid_valid(c, to, &why))
        pie_ck_report(c, XPORTA_ERROR, AT(rec), "archived message to '%s': %s",
                      to, why);
    if (from && !jid_valid(c, from, &why))
        pie_ck_report(c, XPORTA_ERROR, AT(rec),
                      "archived message from '%s': %s", from, why);
}

void pie_ck_unique(xporta_checker *c, const xporta_record *rec,
                   const char *what)
{
    char kind[4] = {(char)('A' + rec->kind), 0, 0, 0};
    uint64_t h = xp_key_hash(kind, rec->key);
    if (rec->id)
        h = xp_hash(rec->id, strlen(rec->id), h ^ 0x5bd1e995u);
    if (xp_set_add(&c->keys, h) == 0) {
        if (rec->id)
            pie_ck_report(c, XPORTA_ERROR, AT(rec),
                          "%s '%s' item '%s' occurs twice", what, rec->key,
                          rec->id);
        else
            pie_ck_report(c, XPORTA_ERROR, AT(rec), "%s '%s' occurs twice",
                          what, rec->key);
    }
}

static void check_record(xporta_checker *c, const xporta_record *rec)
{
    const xp_elem *e = rec->payload;
    switch (rec->kind) {
    case XPORTA_KIND_CREDENTIALS:
        if (xp_elem_is(e, XP_NS_PIE, "password")) {
            pie_ck_report(
                c, XPORTA_NOTE, AT(rec),
                "plaintext password present (XEP-0227 discourages it)");
            if (!*xp_elem_text(e))
                pie_ck_report(c, XPORTA_WARNING, AT(rec), "empty password");
        } else {
            check_scram(c, rec);
        }
        pie_ck_unique(c, rec, "credentials");
        break;
    case XPORTA_KIND_ROSTER:
        check_roster(c, rec);
        if (*rec->key)
            pie_ck_unique(c, rec, "roster item");
        break;
    case XPORTA_KIND_PENDING: {
        const char *type = xp_elem_attr_ns(e, "", "type");
        pie_ck_jid_attr(c, rec, "subscription request from",
                        xp_elem_attr_ns(e, "", "from"), false);
        if (!xp_streq(type, "subscribe"))
            pie_ck_report(c, XPORTA_ERROR, AT(rec),
                          "pending <presence> has type '%s', not subscribe",
                          type ? type : "");
        break;
    }
    case XPORTA_KIND_VCARD:
        pie_ck_unique(c, rec, "vCard");
        break;
    case XPORTA_KIND_PRIVATE:
        if (!e->ns[0] || strcmp(e->ns, XP_NS_PRIVATE) == 0)
            pie_ck_report(
                c, XPORTA_ERROR, AT(rec),
                "private XML <%s> has no namespace of its own (XEP-0049 "
                "stores by namespace)",
                e->name);
        pie_ck_unique(c, rec, "private XML");
        break;
    case XPORTA_KIND_PRIVACY:
        check_privacy(c, rec);
        if (*rec->key)
            pie_ck_unique(c, rec, "privacy");
        break;
    case XPORTA_KIND_BLOCKLIST:
        pie_ck_jid_attr(c, rec, "blocked jid", xp_elem_attr_ns(e, "", "jid"),
                        false);
        if (*rec->key)
            pie_ck_unique(c, rec, "blocklist entry");
        break;
    case XPORTA_KIND_OFFLINE:
        if (!xp_elem_attr_ns(e, "", "from"))
            pie_ck_report(c, XPORTA_WARNING, AT(rec),
                          "offline message without a from (ejabberd's importer "
                          "refuses it)");
        break;
    case XPORTA_KIND_PEP_NODE:
    case XPORTA_KIND_PEP_AFFILIATIONS:
    case XPORTA_KIND_PEP_SUBSCRIPTIONS:
        if (!*rec->key) {
            pie_ck_report(c, XPORTA_ERROR, AT(rec), "<%s> without a node",
                          e->name);
            break;
        }
        if (rec->kind == XPORTA_KIND_PEP_NODE)
            xp_set_add(&c->pep_conf, xp_key_hash(rec->key, NULL));
        pie_ck_unique(c, rec, xporta_kind_name(rec->kind));
        break;
    case XPORTA_KIND_PEP_ITEM:
        if (!rec->id) {
            pie_ck_report(c, XPORTA_ERROR, AT(rec),
                          "PEP item of node '%s' has no id", rec->key);
            break;
        }
        pie_ck_unique(c, rec, "PEP node");
        if (xp_set_add(&c->pep_items, xp_key_hash(rec->key, NULL)) == 1 &&
            c->norphan < 16) {
            unsigned i = c->norphan++;
            c->orphan[i].node = xp_strdup(rec->key);
            c->orphan[i].file = xp_strdup(rec->file ? rec->file : "");
            c->orphan[i].line = rec->line;
            c->orphan[i].col = rec->col;
        }
        break;
    case XPORTA_KIND_ARCHIVE:
        pie_ck_archive(c, rec);
        break;
    case XPORTA_KIND_MAM_PREFS: {
        const char *def = xp_elem_attr_ns(e, "", "default");
        static const char *const defs[] = {"roster", "always", "never", NULL};
        if (def && !pie_ck_oneof(def, defs))
            pie_ck_report(
                c, XPORTA_ERROR, AT(rec),
                "MAM preference default '%s' is not roster, always or never",
                def);
        break;
    }
    case XPORTA_KIND_OTHER:
        pie_ck_report(c, XPORTA_NOTE, AT(rec),
                      "unknown element %s%s%s kept as is", rec->key,
                      rec->container ? " in " : "",
                      rec->container ? rec->container : "");
        break;
    case XPORTA_KIND_ROOM_CONFIG:
    case XPORTA_KIND_ROOM_AFFILIATION:
    case XPORTA_KIND_ROOM_SUBJECT:
        /* Not produced inside a user (the reader makes them in rooms). */
        pie_ck_report(c, XPORTA_ERROR, AT(rec), "%s record outside a room",
                      xporta_kind_name(rec->kind));
        break;
    case XPORTA_KIND_COUNT:
        break;
    }
}

static void end_user(xporta_checker *c)
{
    for (unsigned i = 0; i < c->norphan; i++) {
        if (!xp_set_has(&c->pep_conf, xp_key_hash(c->orphan[i].node, NULL)))
            pie_ck_report(
                c, XPORTA_WARNING, c->orphan[i].file, c->orphan[i].line,
                c->orphan[i].col,
                "PEP node '%s' has items but no configuration (XEP-0227 "
                "requires one; importers will use defaults)",
                c->orphan[i].node);
        free(c->orphan[i].node);
        free(c->orphan[i].file);
    }
    c->norphan = 0;
}

xporta_status xporta_checker_event(xporta_checker *c, xporta_pie_reader *r,
                                   xporta_pie_event ev)
{
    const char *file;
    unsigned long line, col;
    const char *why;
    xporta_record *rec;

    xp_arena_reset(&c->scratch);
    switch (ev) {
    case XPORTA_PIE_HOST: {
        const char *host = xporta_pie_reader_host(r);
        if (c->filter)
            host = xporta_filter_host(c->filter, host);
        xporta_pie_reader_position(r, &file, &line, &col);
        if (!xporta_jid_is_valid_domain(host, &why))
            pie_ck_report(c, XPORTA_ERROR, file, line, col,
                          "host '%s' is not a valid domain: %s", host, why);
        if (xp_set_add(&c->hosts, xp_key_hash(host, NULL)) == 0)
            pie_ck_report(
                c, XPORTA_WARNING, file, line, col,
                "host '%s' appears a second time; its users are checked "
                "as part of one host",
                host);
        free(c->host);
        c->host = xp_strdup(host);
        break;
    }
    case XPORTA_PIE_USER: {
        const char *user = xporta_pie_reader_user(r);
        xporta_pie_reader_position(r, &file, &line, &col);
        if (!xporta_jid_is_valid_local(user, &why))
            pie_ck_report(c, XPORTA_ERROR, file, line, col,
                          "user name '%s' is not a valid localpart: %s", user,
                          why);
        if (xp_set_add(&c->users, xp_key_hash(user, c->host)) == 0)
            pie_ck_report(c, XPORTA_ERROR, file, line, col,
                          "user '%s@%s' occurs twice", user,
                          c->host ? c->host : "");
        xp_set_clear(&c->keys);
        xp_set_clear(&c->archive);
        xp_set_clear(&c->pep_conf);
        xp_set_clear(&c->pep_items);
        c->archive_capped = false;
        free(c->user);
        c->user = xp_strdup(user);
        break;
    }
    case XPORTA_PIE_RECORD:
        rec = xporta_pie_reader_record(r);
        if (rec)
            check_record(c, rec);
        break;
    case XPORTA_PIE_COMPONENT:
    case XPORTA_PIE_ROOM:
    case XPORTA_PIE_ROOM_RECORD:
    case XPORTA_PIE_ROOM_END:
    case XPORTA_PIE_COMPONENT_END:
        pie_ck_room_event(c, r, ev);
        break;
    case XPORTA_PIE_EXTRA:
        rec = xporta_pie_reader_record(r);
        if (rec && xp_streq(rec->container, "component"))
            pie_ck_report(c, XPORTA_NOTE, AT(rec),
                          "unknown element %s in component '%s' kept as is",
                          rec->key, c->component ? c->component : "");
        else if (rec)
            pie_ck_report(c, XPORTA_NOTE, AT(rec),
                          "unknown element %s outside any user kept as is",
                          rec->key);
        break;
    case XPORTA_PIE_USER_END:
        end_user(c);
        break;
    case XPORTA_PIE_HOST_END:
    case XPORTA_PIE_END:
        break;
    }
    return XPORTA_OK;
}

bool pie_checker_has_host(const xporta_checker *c, const char *host)
{
    return xp_set_has(&c->hosts, xp_key_hash(host, NULL));
}

bool pie_checker_has_user(const xporta_checker *c, const char *user,
                          const char *host)
{
    return xp_set_has(&c->users, xp_key_hash(user, host));
}
