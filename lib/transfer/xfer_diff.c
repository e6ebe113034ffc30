/*
 * Comparing records the way a user means "the same data".
 *
 * Design note.  Two exports of one account from two servers never match
 * byte for byte: servers add annotations (stanza-id, PEP publishers), order
 * things their own way, fill node configuration forms with their own
 * fields, and the account's own JID differs after a move.  A record is
 * therefore reduced to a signature: a 64-bit hash of its identity (kind,
 * key, id) and one of its value, where the value keeps only what matters
 * for the kind (a roster item's name and groups, not the subscription a
 * client cannot restore; a PEP node's access model, not every field of the
 * server's form) and the account's own JID reads as "self".  Equal
 * signatures mean the same data.
 *
 * Side A is held as signatures (16 bytes a record, plus the key text for
 * all but archived messages, so reports can name what differs); side B is
 * streamed against it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xfer_diff.h"

/* Attributes holding JIDs (as in lib/model's filter). */
static const char *const jid_attrs[] = {
    "jid", "from", "to", "by", "publisher", "with", NULL,
};

static bool in_list(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return true;
    return false;
}

/* Server annotations that say nothing about the data. */
static bool noise(const xp_elem *e)
{
    return xp_elem_is(e, "urn:xmpp:sid:0", "stanza-id") ||
           xp_elem_is(e, "urn:xmpp:mam:tmp", "archived");
}

static uint64_t hash_str(const char *s, uint64_t h)
{
    return xp_hash(s, strlen(s), h);
}

/* A JID value, with the owner's (bare or full) replaced by a marker. */
static uint64_t hash_jid(const char *v, const char *owner, uint64_t h)
{
    size_t n = owner ? strlen(owner) : 0;
    if (n && strncmp(v, owner, n) == 0 && (v[n] == '\0' || v[n] == '/'))
        return hash_str(v + n, hash_str("\x01self", h));
    return hash_str(v, h);
}

/* A XEP-0082 time to the second: servers keep different precisions
 * (ejabberd microseconds, Prosody seconds), which says nothing about the
 * data. */
static uint64_t hash_stamp(const char *v, uint64_t h)
{
    char buf[64];
    const char *dot = strchr(v, '.');
    if (!dot || strlen(v) >= sizeof buf)
        return hash_str(v, h);
    const char *end = dot + 1;
    while (*end >= '0' && *end <= '9')
        end++;
    snprintf(buf, sizeof buf, "%.*s%s", (int)(dot - v), v, end);
    return hash_str(buf, h);
}

static bool significant(const xp_elem *n)
{
    return n->name || !xp_is_blank(n->text, n->text_len);
}

/* Order-insensitive for attributes, whitespace-insensitive for text
 * between elements; noise elements skipped; with `unordered`, children are
 * a multiset (vCard-temp fields, which servers reorder: Prosody keeps
 * vCards as vCard4 and writes them back in its own order).  Recursion is
 * bounded by the reader's and session's depth ceilings. */
enum {
    UNORDERED = 1,  /* children as a multiset */
    SKIP_EMPTY = 2, /* elements without attributes or content do not count */
};

static bool empty_elem(const xp_elem *e)
{
    if (!e->name || e->nattrs)
        return false;
    for (const xp_elem *c = e->first; c; c = c->next)
        if (significant(c))
            return false;
    return true;
}

static uint64_t hash_tree(const xp_elem *e, const char *owner, unsigned mode)
{
    if (!e->name)
        return xp_hash(e->text, e->text_len, 7);
    uint64_t h = hash_str(e->name, 1);
    h = hash_str(e->ns, h);
    uint64_t ah = 0;
    for (unsigned i = 0; i < e->nattrs; i++) {
        const struct xp_attr *a = &e->attrs[i];
        uint64_t x = hash_str(a->name, 3);
        x = hash_str(a->ns, x);
        bool jid = a->ns[0] == '\0' &&
                   (in_list(a->name, jid_attrs) ||
                    (strcmp(a->name, "value") == 0 &&
                     xp_streq(xp_elem_attr_ns(e, "", "type"), "jid")));
        if (jid)
            x = hash_jid(a->value, owner, x);
        else if (strcmp(a->name, "stamp") == 0 && a->ns[0] == '\0' &&
                 xp_streq(e->ns, XP_NS_DELAY))
            x = hash_stamp(a->value, x);
        else
            x = hash_str(a->value, x);
        ah += x;
    }
    h ^= ah * 31;
    bool jid_text = strcmp(e->name, "jid") == 0 ||
                    strcmp(e->name, "new-jid") == 0 ||
                    strcmp(e->name, "old-jid") == 0;
    uint64_t set = 0;
    for (const xp_elem *c = e->first; c; c = c->next) {
        if (!significant(c) || noise(c) ||
            ((mode & SKIP_EMPTY) && empty_elem(c)))
            continue;
        uint64_t ch = !c->name && jid_text ? hash_jid(c->text, owner, 7)
                                           : hash_tree(c, owner, mode);
        if (mode & UNORDERED)
            set += xp_hash(&ch, sizeof ch, 19);
        else
            h = h * 1099511628211ull ^ ch;
    }
    return (mode & UNORDERED) ? h ^ (set * 0x9e3779b97f4a7c15ull) : h;
}

/* XEP-0004 field value of a node configuration. */
static const char *form_value(const xp_elem *configure, const char *var)
{
    const xp_elem *x = xp_elem_child(configure, XP_NS_DATA, "x");
    for (const xp_elem *f = xp_elem_first_element(x); f;
         f = xp_elem_next_element(f))
        if (xp_elem_is(f, XP_NS_DATA, "field") &&
            xp_streq(xp_elem_attr_ns(f, "", "var"), var))
            return xp_elem_child_text(f, XP_NS_DATA, "value");
    return NULL;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static uint64_t value_hash(const xporta_record *rec, const char *owner);

uint64_t xfer_value_hash(const xporta_record *rec, const char *owner)
{
    /* XFER_ANY_VALUE only where a record states nothing to compare. */
    if (rec->kind == XPORTA_KIND_PEP_NODE) {
        const char *am = rec->payload
                             ? form_value(rec->payload, "pubsub#access_model")
                             : NULL;
        if (!am || !*am)
            return XFER_ANY_VALUE; /* Prosody's migrator writes none */
    }
    uint64_t h = value_hash(rec, owner);
    return h != XFER_ANY_VALUE ? h : 1;
}

static uint64_t value_hash(const xporta_record *rec, const char *owner)
{
    const xp_elem *p = rec->payload;
    switch (rec->kind) {
    case XPORTA_KIND_ROSTER: {
        /* What a client can restore: the name and the groups (a set). */
        uint64_t h = hash_str(xp_elem_attr_ns(p, "", "name")
                                  ? xp_elem_attr_ns(p, "", "name")
                                  : "",
                              11);
        const char *groups[256];
        size_t n = 0;
        for (const xp_elem *g = xp_elem_first_element(p); g && n < 256;
             g = xp_elem_next_element(g))
            if (xp_elem_is(g, NULL, "group"))
                groups[n++] = xp_elem_text(g);
        qsort(groups, n, sizeof groups[0], cmp_str);
        for (size_t i = 0; i < n; i++)
            if (i == 0 || strcmp(groups[i], groups[i - 1]) != 0)
                h = hash_str(groups[i], h * 31);
        return h;
    }
    case XPORTA_KIND_PEP_NODE: {
        /* Servers fill the form with their own fields and defaults; the
         * access model is what protects the data. */
        return hash_str(form_value(p, "pubsub#access_model"), 13);
    }
    case XPORTA_KIND_PEP_AFFILIATIONS: {
        /* A set of (jid, affiliation), the account's own "owner" entry
         * left out: ejabberd lists it for every node, Prosody for none. */
        uint64_t set = 0;
        for (const xp_elem *a = xp_elem_first_element(p); a;
             a = xp_elem_next_element(a)) {
            const char *jid = xp_elem_attr_ns(a, "", "jid");
            const char *aff = xp_elem_attr_ns(a, "", "affiliation");
            if (xp_streq(aff, "owner") && jid && owner &&
                hash_jid(jid, owner, 0) == hash_jid(owner, owner, 0))
                continue;
            uint64_t x = hash_tree(a, owner, 0);
            set += xp_hash(&x, sizeof x, 23);
        }
        return set;
    }
    case XPORTA_KIND_VCARD:
        /* vCard-temp fields in any order, empty ones not counted (Prosody
         * rebuilds vCards from vCard4 and adds empty N parts). */
        return hash_tree(p, owner, UNORDERED | SKIP_EMPTY);
    case XPORTA_KIND_PRIVATE:
        /* Prosody returns the rooms of storage:bookmarks in a different
         * order from one read to the next. */
        return hash_tree(p, owner, UNORDERED);
    case XPORTA_KIND_OFFLINE:
        /* A stored message: where the server put its <delay/> among the
         * children is its own (ejabberd before the body, Prosody after). */
        return hash_tree(p, owner, UNORDERED);
    case XPORTA_KIND_PEP_ITEM: {
        /* The item's payload, not who published it. */
        uint64_t h = 17;
        for (const xp_elem *c = p->first; c; c = c->next)
            if (significant(c))
                h = h * 1099511628211ull ^ hash_tree(c, owner, 0);
        return h;
    }
    default:
        return hash_tree(p, owner, 0);
    }
}

uint64_t xfer_key_hash(const xporta_record *rec)
{
    uint64_t h = xp_hash(&rec->kind, sizeof rec->kind, 5);
    h = hash_str(rec->key ? rec->key : "", h);
    return hash_str(rec->id ? rec->id : "", h * 31);
}

/* ---- the diff -------------------------------------------------------------
 */

struct entry {
    uint64_t key;
    uint64_t value;
    char *label; /* "[scope: ]key" NUL "id" or "" NUL (NULL for archived
                    messages) */
    bool has_id;
    xporta_kind kind;
    bool seen;
};

struct xporta_diff {
    struct entry *slots;
    size_t cap, n;
    unsigned flags;
    xporta_diff_counts counts[XPORTA_KIND_COUNT];
    xporta_diff_cb fn;
    void *ud;
    bool oom;
};

xporta_status xporta_diff_new(xporta_diff **out, xporta_diff_cb cb, void *ud)
{
    if (!out)
        return XPORTA_EINVAL;
    xporta_diff *d = calloc(1, sizeof *d);
    if (!d)
        return XPORTA_ENOMEM;
    d->fn = cb;
    d->ud = ud;
    *out = d;
    return XPORTA_OK;
}

void xporta_diff_free(xporta_diff *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->cap; i++)
        free(d->slots[i].label);
    free(d->slots);
    free(d);
}

/* The key (with the scope of multi-user files in front) and the id, as
 * two strings in one allocation. */
static char *label_of(const char *scope, const xporta_record *rec)
{
    if (rec->kind == XPORTA_KIND_ARCHIVE)
        return NULL;
    const char *sc = scope && *scope ? scope : "";
    const char *key = rec->key ? rec->key : "";
    const char *id = rec->id ? rec->id : "";
    size_t n = strlen(sc) + 2 + strlen(key) + 1 + strlen(id) + 1;
    char *s = malloc(n);
    if (s) {
        int k = snprintf(s, n, "%s%s%s", sc, *sc ? ": " : "", key);
        memcpy(s + k + 1, id, strlen(id) + 1);
    }
    return s;
}

static struct entry *find(xporta_diff *d, uint64_t key)
{
    if (!d->cap)
        return NULL;
    size_t i = (size_t)key & (d->cap - 1);
    while (d->slots[i].key) {
        if (d->slots[i].key == key)
            return &d->slots[i];
        i = (i + 1) & (d->cap - 1);
    }
    return NULL;
}

static bool grow(xporta_diff *d)
{
    size_t cap = d->cap ? d->cap * 2 : 1024;
    struct entry *t = calloc(cap, sizeof *t);
    if (!t)
        return false;
    for (size_t i = 0; i < d->cap; i++) {
        if (!d->slots[i].key)
            continue;
        size_t j = (size_t)d->slots[i].key & (cap - 1);
        while (t[j].key)
            j = (j + 1) & (cap - 1);
        t[j] = d->slots[i];
    }
    free(d->slots);
    d->slots = t;
    d->cap = cap;
    return true;
}

static uint64_t scoped_key(const char *scope, const xporta_record *rec)
{
    uint64_t h = xfer_key_hash(rec);
    if (scope && *scope)
        h ^= xp_hash(scope, strlen(scope), 0x51ed27f3ull) * 3;
    return h | 1; /* 0 marks an empty slot */
}

/* Records that say nothing: PEP affiliations naming only the account as
 * the owner of its node (ejabberd lists them for every node, Prosody for
 * none). */
static bool no_data(const xporta_record *rec, const char *owner)
{
    if (rec->kind != XPORTA_KIND_PEP_AFFILIATIONS || !rec->payload)
        return false;
    for (const xp_elem *a = xp_elem_first_element(rec->payload); a;
         a = xp_elem_next_element(a)) {
        const char *jid = xp_elem_attr_ns(a, "", "jid");
        if (!xp_streq(xp_elem_attr_ns(a, "", "affiliation"), "owner") || !jid ||
            !owner || hash_jid(jid, owner, 0) != hash_jid(owner, owner, 0))
            return false;
    }
    return true;
}

xporta_status xporta_diff_add_a(xporta_diff *d, const char *scope,
                                const xporta_record *rec, const char *owner)
{
    if (no_data(rec, owner))
        return XPORTA_OK;
    uint64_t key = scoped_key(scope, rec);
    struct entry *e = find(d, key);
    if (e) {
        /* The same record twice on one side: the last one counts. */
        e->value = xfer_value_hash(rec, owner);
        return XPORTA_OK;
    }
    if ((d->n + 1) * 2 > d->cap && !grow(d))
        return XPORTA_ENOMEM;
    size_t i = (size_t)key & (d->cap - 1);
    while (d->slots[i].key)
        i = (i + 1) & (d->cap - 1);
    e = &d->slots[i];
    e->key = key;
    e->value = xfer_value_hash(rec, owner);
    e->kind = rec->kind;
    e->label = label_of(scope, rec);
    e->has_id = rec->id != NULL;
    if (rec->kind != XPORTA_KIND_ARCHIVE && !e->label)
        return XPORTA_ENOMEM;
    d->n++;
    return XPORTA_OK;
}

/* Reports a record of side B, its key scoped as side A's are. */
static void report_b(xporta_diff *d, xporta_diff_delta delta, const char *scope,
                     const xporta_record *rec)
{
    if (!d->fn)
        return;
    char *label = scope && *scope ? label_of(scope, rec) : NULL;
    d->fn(d->ud, delta, rec->kind, label ? label : rec->key, rec->id);
    free(label);
}

xporta_status xporta_diff_add_b(xporta_diff *d, const char *scope,
                                const xporta_record *rec, const char *owner)
{
    if (no_data(rec, owner))
        return XPORTA_OK;
    uint64_t key = scoped_key(scope, rec);
    struct entry *e = find(d, key);
    xporta_diff_counts *c = &d->counts[rec->kind];
    if (!e) {
        c->only_b++;
        report_b(d, XPORTA_DIFF_ONLY_B, scope, rec);
        return XPORTA_OK;
    }
    if (e->seen)
        return XPORTA_OK; /* a duplicate on side B */
    e->seen = true;
    if (xfer_same_value(e->value, xfer_value_hash(rec, owner))) {
        c->same++;
    } else {
        c->differ++;
        report_b(d, XPORTA_DIFF_DIFFERS, scope, rec);
    }
    return XPORTA_OK;
}

void xporta_diff_finish(xporta_diff *d)
{
    for (size_t i = 0; i < d->cap; i++) {
        struct entry *e = &d->slots[i];
        if (!e->key || e->seen)
            continue;
        d->counts[e->kind].only_a++;
        if (d->fn)
            d->fn(d->ud, XPORTA_DIFF_ONLY_A, e->kind, e->label,
                  e->label && e->has_id ? e->label + strlen(e->label) + 1
                                        : NULL);
    }
}

void xporta_diff_get_counts(const xporta_diff *d, xporta_kind k,
                            xporta_diff_counts *out)
{
    if ((unsigned)k >= XPORTA_KIND_COUNT) {
        memset(out, 0, sizeof *out);
        return;
    }
    *out = d->counts[k];
}
