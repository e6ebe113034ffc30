/* Kinds, record keys, and JID shape checks. */
#include <string.h>

#include "xp_model.h"

/* One row per kind: its name and where it lives inside <user>. */
static const struct xp_kind_info kinds[XPORTA_KIND_COUNT] = {
    [XPORTA_KIND_CREDENTIALS] = {"credentials", NULL, NULL},
    [XPORTA_KIND_ROSTER] = {"roster", XP_NS_ROSTER, "query"},
    [XPORTA_KIND_PENDING] = {"pending", NULL, NULL},
    [XPORTA_KIND_VCARD] = {"vcard", NULL, NULL},
    [XPORTA_KIND_PRIVATE] = {"private", XP_NS_PRIVATE, "query"},
    [XPORTA_KIND_PRIVACY] = {"privacy", XP_NS_PRIVACY, "query"},
    [XPORTA_KIND_BLOCKLIST] = {"blocklist", XP_NS_BLOCKING, "blocklist"},
    [XPORTA_KIND_OFFLINE] = {"offline", XP_NS_PIE, "offline-messages"},
    [XPORTA_KIND_PEP_NODE] = {"pep-node", XP_NS_PUBSUB_OWNER, "pubsub"},
    [XPORTA_KIND_PEP_AFFILIATIONS] = {"pep-affiliations", XP_NS_PUBSUB_OWNER,
                                      "pubsub"},
    [XPORTA_KIND_PEP_SUBSCRIPTIONS] = {"pep-subscriptions", XP_NS_PUBSUB_OWNER,
                                       "pubsub"},
    [XPORTA_KIND_PEP_ITEM] = {"pep-item", XP_NS_PUBSUB, "pubsub"},
    [XPORTA_KIND_ARCHIVE] = {"archive", XP_NS_PIE_MAM, "archive"},
    [XPORTA_KIND_MAM_PREFS] = {"mam-prefs", NULL, NULL},
    [XPORTA_KIND_OTHER] = {"other", NULL, NULL},
    /* Inside a room's <item> (XEP-0519). */
    [XPORTA_KIND_ROOM_CONFIG] = {"room-config", XP_NS_MUC_OWNER, "query"},
    [XPORTA_KIND_ROOM_AFFILIATION] = {"room-affiliation", XP_NS_MUC_USER, "x"},
    [XPORTA_KIND_ROOM_SUBJECT] = {"room-subject", NULL, NULL},
};

const struct xp_kind_info *xp_kind_info(xporta_kind k)
{
    if ((unsigned)k >= XPORTA_KIND_COUNT)
        return NULL;
    return &kinds[k];
}

const char *xporta_kind_name(xporta_kind k)
{
    const struct xp_kind_info *i = xp_kind_info(k);
    return i ? i->name : "unknown";
}

xporta_status xporta_kind_from_name(const char *name, xporta_kind *out)
{
    for (unsigned k = 0; k < XPORTA_KIND_COUNT; k++) {
        if (strcmp(kinds[k].name, name) == 0) {
            *out = (xporta_kind)k;
            return XPORTA_OK;
        }
    }
    return XPORTA_EINVAL;
}

static const struct {
    const char *name;
    uint32_t set;
} kind_groups[] = {
    {"pep", 1u << XPORTA_KIND_PEP_NODE | 1u << XPORTA_KIND_PEP_AFFILIATIONS |
                1u << XPORTA_KIND_PEP_SUBSCRIPTIONS |
                1u << XPORTA_KIND_PEP_ITEM},
    {"secrets", 1u << XPORTA_KIND_CREDENTIALS},
    {"mam", 1u << XPORTA_KIND_ARCHIVE},
    {"rooms", 1u << XPORTA_KIND_ROOM_CONFIG |
                  1u << XPORTA_KIND_ROOM_AFFILIATION |
                  1u << XPORTA_KIND_ROOM_SUBJECT},
    {"all", (1u << XPORTA_KIND_COUNT) - 1},
};

xporta_status xporta_kinds_parse(const char *list, uint32_t *set,
                                 const char **bad)
{
    uint32_t s = 0;
    const char *p = list;
    if (!list)
        return XPORTA_EINVAL;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char name[64];
        bool found = false;
        if (n == 0 || n >= sizeof name) {
            if (bad)
                *bad = p;
            return XPORTA_EINVAL;
        }
        memcpy(name, p, n);
        name[n] = '\0';
        xporta_kind k;
        if (xporta_kind_from_name(name, &k) == XPORTA_OK) {
            s |= 1u << k;
            found = true;
        }
        for (size_t g = 0;
             !found && g < sizeof kind_groups / sizeof kind_groups[0]; g++) {
            if (strcmp(kind_groups[g].name, name) == 0) {
                s |= kind_groups[g].set;
                found = true;
            }
        }
        if (!found) {
            if (bad)
                *bad = p;
            return XPORTA_EINVAL;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    *set = s;
    return XPORTA_OK;
}

size_t xp_scram_hash_len(const char *m)
{
    static const struct {
        const char *name;
        size_t len;
    } mechs[] = {
        {"SCRAM-SHA-1", 20},   {"SCRAM-SHA-224", 28}, {"SCRAM-SHA-256", 32},
        {"SCRAM-SHA-384", 48}, {"SCRAM-SHA-512", 64},
    };
    for (size_t i = 0; m && i < sizeof mechs / sizeof mechs[0]; i++)
        if (strcmp(mechs[i].name, m) == 0)
            return mechs[i].len;
    return 0;
}

static const char *clark(struct xp_arena *a, const xp_elem *e)
{
    return xp_arena_printf(a, "{%s}%s", e->ns, e->name);
}

bool xp_record_derive_key(struct xp_arena *a, xporta_record *rec)
{
    const xp_elem *p = rec->payload;
    const char *key = NULL;
    rec->id = NULL;
    if (!p) {
        rec->key = "";
        return false;
    }
    switch (rec->kind) {
    case XPORTA_KIND_CREDENTIALS:
        key = xp_elem_is(p, XP_NS_PIE_SCRAM, "scram-credentials")
                  ? xp_elem_attr_ns(p, "", "mechanism")
                  : "PLAIN";
        break;
    case XPORTA_KIND_ROSTER:
    case XPORTA_KIND_BLOCKLIST:
        key = xp_elem_attr_ns(p, "", "jid");
        break;
    case XPORTA_KIND_PENDING: {
        const char *from = xp_elem_attr_ns(p, "", "from");
        key = from ? xp_jid_bare(a, from) : NULL;
        break;
    }
    case XPORTA_KIND_VCARD:
        key = "vcard";
        break;
    case XPORTA_KIND_MAM_PREFS:
        key = "prefs";
        break;
    case XPORTA_KIND_PRIVATE:
    case XPORTA_KIND_OTHER:
        key = p->name ? clark(a, p) : "";
        break;
    case XPORTA_KIND_PRIVACY:
        if (xp_elem_is(p, NULL, "list")) {
            const char *n = xp_elem_attr_ns(p, "", "name");
            key = n ? xp_arena_printf(a, "list %s", n) : NULL;
        } else {
            key = p->name;
        }
        break;
    case XPORTA_KIND_PEP_NODE:
    case XPORTA_KIND_PEP_AFFILIATIONS:
    case XPORTA_KIND_PEP_SUBSCRIPTIONS:
        key = xp_elem_attr_ns(p, "", "node");
        break;
    case XPORTA_KIND_PEP_ITEM:
        /* The node is not on <item>: the producer sets rec->key. */
        rec->id = xp_elem_attr_ns(p, "", "id");
        return rec->key != NULL && rec->id != NULL;
    case XPORTA_KIND_ARCHIVE:
        key = xp_elem_attr_ns(p, "", "id");
        break;
    case XPORTA_KIND_OFFLINE:
        return rec->key != NULL;
    case XPORTA_KIND_ROOM_CONFIG:
        key = "config";
        break;
    case XPORTA_KIND_ROOM_AFFILIATION: {
        const char *jid = xp_elem_attr_ns(p, "", "jid");
        key = jid ? xp_jid_bare(a, jid) : NULL;
        break;
    }
    case XPORTA_KIND_ROOM_SUBJECT:
        key = "subject";
        break;
    case XPORTA_KIND_COUNT:
        break;
    }
    rec->key = key ? key : "";
    return key != NULL;
}

/* ---- JIDs --------------------------------------------------------------- */

bool xp_jid_split(const char *jid, struct xp_jid_parts *p)
{
    const char *slash = strchr(jid, '/');
    size_t bare_len = slash ? (size_t)(slash - jid) : strlen(jid);
    const char *at = memchr(jid, '@', bare_len);
    memset(p, 0, sizeof *p);
    if (at) {
        p->local = jid;
        p->local_len = (size_t)(at - jid);
        p->domain = at + 1;
        p->domain_len = bare_len - p->local_len - 1;
    } else {
        p->domain = jid;
        p->domain_len = bare_len;
    }
    if (slash) {
        p->resource = slash + 1;
        p->resource_len = strlen(slash + 1);
    }
    return p->domain_len > 0;
}

char *xp_jid_bare(struct xp_arena *a, const char *jid)
{
    const char *slash = strchr(jid, '/');
    return xp_arena_strndup(a, jid,
                            slash ? (size_t)(slash - jid) : strlen(jid));
}

bool xp_ascii_ieq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z')
            x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (char)(y - 'A' + 'a');
        if (x != y)
            return false;
    }
    return true;
}

bool xp_domain_eq(const char *a, size_t alen, const char *b)
{
    return alen == strlen(b) && xp_ascii_ieq(a, b, alen);
}

static bool check_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t len;
        if (c < 0x80)
            len = 1;
        else if ((c & 0xe0) == 0xc0 && c >= 0xc2)
            len = 2;
        else if ((c & 0xf0) == 0xe0)
            len = 3;
        else if ((c & 0xf8) == 0xf0 && c <= 0xf4)
            len = 4;
        else
            return false;
        if (i + len > n)
            return false;
        for (size_t k = 1; k < len; k++)
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
        i += len;
    }
    return true;
}

/* RFC 7622 §3.3.1 forbids these in a localpart (plus spaces and controls);
 * a domainpart also cannot hold brackets or a backslash.  Comparisons, not
 * strchr: JIDs are checked millions of times in a large archive. */
static bool local_forbidden(unsigned char c)
{
    return c <= 0x20 || c == 0x7f || c == '"' || c == '&' || c == '\'' ||
           c == '/' || c == ':' || c == '<' || c == '>' || c == '@';
}

static bool domain_forbidden(unsigned char c)
{
    return local_forbidden(c) || c == '[' || c == ']' || c == '\\';
}

static bool local_ok(const char *s, size_t n, const char **why)
{
    if (n == 0) {
        *why = "empty localpart";
        return false;
    }
    if (n > 1023) {
        *why = "localpart longer than 1023 bytes";
        return false;
    }
    unsigned high = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        high |= c;
        if (local_forbidden(c)) {
            *why = "localpart contains a forbidden character";
            return false;
        }
    }
    if ((high & 0x80) && !check_utf8((const unsigned char *)s, n)) {
        *why = "localpart is not valid UTF-8";
        return false;
    }
    return true;
}

static bool domain_ok(const char *s, size_t n, const char **why)
{
    if (n == 0) {
        *why = "empty domainpart";
        return false;
    }
    if (n > 1023) {
        *why = "domainpart longer than 1023 bytes";
        return false;
    }
    if (s[0] == '[') {
        /* An IPv6 literal. */
        if (s[n - 1] != ']') {
            *why = "unterminated IPv6 literal";
            return false;
        }
        for (size_t i = 1; i + 1 < n; i++)
            if (!strchr("0123456789abcdefABCDEF:.", s[i])) {
                *why = "invalid IPv6 literal";
                return false;
            }
        return true;
    }
    if (s[n - 1] == '.')
        n--; /* a trailing dot is stripped (RFC 7622 §3.2) */
    size_t label = 0;
    unsigned high = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        high |= c;
        if (c == '.') {
            if (label == 0) {
                *why = "domainpart has an empty label";
                return false;
            }
            label = 0;
            continue;
        }
        if (domain_forbidden(c)) {
            *why = "domainpart contains a forbidden character";
            return false;
        }
        if (++label > 63) {
            *why = "domainpart label longer than 63 bytes";
            return false;
        }
    }
    if (label == 0) {
        *why = "domainpart has an empty label";
        return false;
    }
    if ((high & 0x80) && !check_utf8((const unsigned char *)s, n)) {
        *why = "domainpart is not valid UTF-8";
        return false;
    }
    return true;
}

bool xporta_jid_is_valid_local(const char *local, const char **why)
{
    const char *w = NULL;
    bool ok = local && local_ok(local, strlen(local), &w);
    if (!local)
        w = "missing localpart";
    if (why)
        *why = w;
    return ok;
}

bool xporta_jid_is_valid_domain(const char *domain, const char **why)
{
    const char *w = NULL;
    bool ok = domain && domain_ok(domain, strlen(domain), &w);
    if (!domain)
        w = "missing domainpart";
    if (why)
        *why = w;
    return ok;
}

bool xporta_jid_is_valid(const char *jid, const char **why)
{
    struct xp_jid_parts p;
    const char *w = NULL;
    bool ok = false;
    if (!jid || !*jid) {
        w = "empty JID";
        goto out;
    }
    xp_jid_split(jid, &p);
    if (p.local && !local_ok(p.local, p.local_len, &w))
        goto out;
    if (!domain_ok(p.domain, p.domain_len, &w))
        goto out;
    if (p.resource) {
        if (p.resource_len == 0 || p.resource_len > 1023) {
            w = p.resource_len ? "resourcepart longer than 1023 bytes"
                               : "empty resourcepart";
            goto out;
        }
        for (size_t i = 0; i < p.resource_len; i++)
            if ((unsigned char)p.resource[i] < 0x20 || p.resource[i] == 0x7f) {
                w = "resourcepart contains a control character";
                goto out;
            }
        if (!check_utf8((const unsigned char *)p.resource, p.resource_len)) {
            w = "resourcepart is not valid UTF-8";
            goto out;
        }
    }
    ok = true;
out:
    if (why)
        *why = w;
    return ok;
}
