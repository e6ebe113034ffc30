/*
 * The middle of `read -> filter -> write`: user selection, kind exclusion,
 * secret stripping and host renaming, applied one record at a time.
 *
 * Host renaming rewrites every JID that belongs to the host: the host itself,
 * user@host and user@host/resource.  Which strings are JIDs is a table, not
 * a guess: attributes that RFC 6120/6121 and the XEPs define as JIDs, plus
 * the text of elements that hold one.  A subdomain (conference.HOST) is a
 * different host; rename it with its own rule.
 */
#include <stdlib.h>
#include <string.h>

#include "xp_model.h"

/* Attributes holding a JID, in any element. */
static const char *const jid_attrs[] = {
    "jid", "from", "to", "by", "publisher", "with", NULL,
};

/* Elements whose text is a JID (XEP-0283 moved, MAM prefs, vCard). */
static const char *const jid_texts[] = {
    "jid", "new-jid", "old-jid", "JABBERID", NULL,
};

enum { MAX_RENAMES = 64, MAX_USERS = 1 << 16 };

struct xporta_filter {
    struct xp_err err;
    uint32_t exclude;
    bool strip;
    struct {
        char *from;
        char *to;
    } renames[MAX_RENAMES];
    size_t nrenames;
    struct {
        char *from; /* user@host */
        char *to;
    } accounts[MAX_RENAMES];
    size_t naccounts;
    char **users;
    bool *seen;
    size_t nusers, capusers;
    struct xp_arena arena; /* rewritten strings, per record */
    bool oom;
};

xporta_status xporta_filter_new(xporta_filter **out)
{
    if (!out)
        return XPORTA_EINVAL;
    xporta_filter *f = calloc(1, sizeof *f);
    if (!f)
        return XPORTA_ENOMEM;
    xp_err_clear(&f->err);
    xp_arena_init(&f->arena, 0);
    *out = f;
    return XPORTA_OK;
}

void xporta_filter_free(xporta_filter *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->nrenames; i++) {
        free(f->renames[i].from);
        free(f->renames[i].to);
    }
    for (size_t i = 0; i < f->naccounts; i++) {
        free(f->accounts[i].from);
        free(f->accounts[i].to);
    }
    for (size_t i = 0; i < f->nusers; i++)
        free(f->users[i]);
    free(f->users);
    free(f->seen);
    xp_arena_cleanup(&f->arena);
    free(f);
}

xporta_status xporta_filter_copy(const xporta_filter *f, xporta_filter **out)
{
    if (!f || !out)
        return XPORTA_EINVAL;
    xporta_status st = xporta_filter_new(out);
    xporta_filter *c = *out;
    if (st != XPORTA_OK)
        return st;
    c->exclude = f->exclude;
    c->strip = f->strip;
    for (size_t i = 0; st == XPORTA_OK && i < f->nrenames; i++)
        st = xporta_filter_rename_host(c, f->renames[i].from, f->renames[i].to);
    for (size_t i = 0; st == XPORTA_OK && i < f->naccounts; i++)
        st = xporta_filter_rename_account(c, f->accounts[i].from,
                                          f->accounts[i].to);
    for (size_t i = 0; st == XPORTA_OK && i < f->nusers; i++)
        st = xporta_filter_add_user(c, f->users[i]);
    if (st != XPORTA_OK) {
        xporta_filter_free(c);
        *out = NULL;
    }
    return st;
}

void xporta_filter_merge_seen(xporta_filter *f, const xporta_filter *from)
{
    for (size_t i = 0; f && from && i < f->nusers && i < from->nusers; i++)
        f->seen[i] = f->seen[i] || from->seen[i];
}

const char *xporta_filter_error(const xporta_filter *f)
{
    return f ? xp_err_msg(&f->err) : "";
}

xporta_status xporta_filter_add_user(xporta_filter *f, const char *user)
{
    if (!f || !user || !*user)
        return XPORTA_EINVAL;
    if (f->nusers == f->capusers) {
        size_t cap = f->capusers ? f->capusers * 2 : 8;
        if (cap > MAX_USERS)
            return xp_fail(&f->err, XPORTA_ETOOBIG, "too many users selected");
        char **u = realloc(f->users, cap * sizeof *u);
        if (!u)
            return xp_fail(&f->err, XPORTA_ENOMEM, "out of memory");
        f->users = u;
        bool *s = realloc(f->seen, cap * sizeof *s);
        if (!s)
            return xp_fail(&f->err, XPORTA_ENOMEM, "out of memory");
        f->seen = s;
        f->capusers = cap;
    }
    f->users[f->nusers] = xp_strdup(user);
    if (!f->users[f->nusers])
        return xp_fail(&f->err, XPORTA_ENOMEM, "out of memory");
    f->seen[f->nusers] = false;
    f->nusers++;
    return XPORTA_OK;
}

void xporta_filter_exclude_kinds(xporta_filter *f, uint32_t set)
{
    f->exclude |= set;
}

void xporta_filter_strip_secrets(xporta_filter *f, bool on)
{
    f->strip = on;
}

xporta_status xporta_filter_rename_host(xporta_filter *f, const char *from,
                                        const char *to)
{
    const char *why;
    if (!f || !from || !to)
        return XPORTA_EINVAL;
    /* `from` may be invalid: renaming is how an invalid host is repaired
     * (the checker then sees the new name). */
    if (!*from)
        return xp_fail(&f->err, XPORTA_EINVAL, "rename =%s: no host to rename",
                       to);
    if (!xporta_jid_is_valid_domain(to, &why))
        return xp_fail(&f->err, XPORTA_EINVAL, "rename %s=%s: %s", from, to,
                       why);
    if (f->nrenames == MAX_RENAMES)
        return xp_fail(&f->err, XPORTA_ETOOBIG, "too many host renames");
    for (size_t i = 0; i < f->nrenames; i++)
        if (xp_domain_eq(from, strlen(from), f->renames[i].from))
            return xp_fail(&f->err, XPORTA_EINVAL, "host %s is renamed twice",
                           from);
    f->renames[f->nrenames].from = xp_strdup(from);
    f->renames[f->nrenames].to = xp_strdup(to);
    if (!f->renames[f->nrenames].from || !f->renames[f->nrenames].to) {
        free(f->renames[f->nrenames].from); /* the one that worked */
        free(f->renames[f->nrenames].to);
        f->renames[f->nrenames].from = f->renames[f->nrenames].to = NULL;
        return xp_fail(&f->err, XPORTA_ENOMEM, "out of memory");
    }
    f->nrenames++;
    return XPORTA_OK;
}

xporta_status xporta_filter_rename_account(xporta_filter *f, const char *from,
                                           const char *to)
{
    struct xp_jid_parts a, b;
    if (!f || !from || !to || !xporta_jid_is_valid(from, NULL) ||
        !xporta_jid_is_valid(to, NULL) || !xp_jid_split(from, &a) ||
        !xp_jid_split(to, &b) || !a.local || !b.local || a.resource ||
        b.resource)
        return f ? xp_fail(&f->err, XPORTA_EINVAL,
                           "rename %s=%s: both must be user@host",
                           from ? from : "", to ? to : "")
                 : XPORTA_EINVAL;
    if (f->naccounts == MAX_RENAMES)
        return xp_fail(&f->err, XPORTA_ETOOBIG, "too many account renames");
    f->accounts[f->naccounts].from = xp_strdup(from);
    f->accounts[f->naccounts].to = xp_strdup(to);
    if (!f->accounts[f->naccounts].from || !f->accounts[f->naccounts].to) {
        free(f->accounts[f->naccounts].from); /* the one that worked */
        free(f->accounts[f->naccounts].to);
        f->accounts[f->naccounts].from = f->accounts[f->naccounts].to = NULL;
        return xp_fail(&f->err, XPORTA_ENOMEM, "out of memory");
    }
    f->naccounts++;
    return XPORTA_OK;
}

const char *xporta_filter_host(const xporta_filter *f, const char *host)
{
    for (size_t i = 0; f && host && i < f->nrenames; i++)
        if (xp_domain_eq(host, strlen(host), f->renames[i].from))
            return f->renames[i].to;
    return host;
}

const char *xporta_filter_component(const xporta_filter *f, const char *jid,
                                    char *buf, size_t cap)
{
    if (!f || !jid)
        return jid;
    size_t n = strlen(jid);
    for (size_t i = 0; i < f->nrenames; i++)
        if (xp_domain_eq(jid, n, f->renames[i].from))
            return f->renames[i].to;
    /* conference.OLD with OLD renamed: the longest renamed parent wins. */
    const char *best = NULL;
    size_t best_len = 0, pre = 0;
    for (size_t i = 0; i < f->nrenames; i++) {
        size_t fl = strlen(f->renames[i].from);
        if (fl + 1 < n && jid[n - fl - 1] == '.' &&
            xp_ascii_ieq(jid + n - fl, f->renames[i].from, fl) &&
            fl > best_len) {
            best = f->renames[i].to;
            best_len = fl;
            pre = n - fl; /* "conference." */
        }
    }
    if (!best)
        return jid;
    if (pre + strlen(best) + 1 > cap)
        return NULL;
    memcpy(buf, jid, pre);
    strcpy(buf + pre, best);
    return buf;
}

xporta_status xporta_filter_rename_component(xporta_filter *f, const char *jid,
                                             const char **to)
{
    char buf[1024];
    if (!f || !jid || !to)
        return XPORTA_EINVAL;
    const char *name = xporta_filter_component(f, jid, buf, sizeof buf);
    *to = jid;
    if (!name)
        return xp_fail(&f->err, XPORTA_ETOOBIG,
                       "component %s: its new name is too long", jid);
    if (name != buf) {
        *to = name; /* its own rule, or no rename */
        return XPORTA_OK;
    }
    xporta_status st = xporta_filter_rename_host(f, jid, buf);
    if (st == XPORTA_OK)
        *to = f->renames[f->nrenames - 1].to;
    return st;
}

bool xporta_filter_keep_user(const xporta_filter *f, const char *host,
                             const char *user)
{
    if (!f || f->nusers == 0)
        return true;
    xporta_filter *mf = (xporta_filter *)f; /* `seen` is bookkeeping */
    bool keep = false;
    for (size_t i = 0; i < f->nusers; i++) {
        const char *sel = f->users[i];
        const char *at = strchr(sel, '@');
        bool match;
        if (at) {
            size_t ul = (size_t)(at - sel);
            /* localparts without ASCII case (RFC 7622 maps them to lower
             * case; beyond ASCII they must be written as the file has
             * them), like domains */
            match = strlen(user) == ul && xp_ascii_ieq(sel, user, ul) && host &&
                    xp_domain_eq(at + 1, strlen(at + 1), host);
        } else {
            match = strlen(sel) == strlen(user) &&
                    xp_ascii_ieq(sel, user, strlen(user));
        }
        if (match) {
            mf->seen[i] = true;
            keep = true;
        }
    }
    return keep;
}

const char *xporta_filter_unseen_user(const xporta_filter *f, size_t i)
{
    for (size_t k = 0; f && k < f->nusers; k++) {
        if (f->seen[k])
            continue;
        if (i-- == 0)
            return f->users[k];
    }
    return NULL;
}

/* Case-insensitive (ASCII) comparison of n bytes with a NUL-terminated s. */
static bool part_eq(const char *a, size_t n, const char *s)
{
    return xp_domain_eq(a, n, s);
}

/* The new form of `jid` if it is renamed, else NULL.  Account renames
 * (user@host -> other@where) come first: the account's own JID, with any
 * resource; then host renames. */
static const char *rename_jid(xporta_filter *f, const char *jid)
{
    struct xp_jid_parts p;
    if (!xp_jid_split(jid, &p))
        return NULL;
    for (size_t i = 0; p.local && i < f->naccounts; i++) {
        const char *from = f->accounts[i].from;
        const char *at = strchr(from, '@');
        if (!at || (size_t)(at - from) != p.local_len ||
            strncmp(from, p.local, p.local_len) != 0 ||
            !part_eq(p.domain, p.domain_len, at + 1))
            continue;
        const char *s = xp_arena_printf(
            &f->arena, "%s%s%.*s", f->accounts[i].to, p.resource ? "/" : "",
            (int)p.resource_len, p.resource ? p.resource : "");
        if (!s)
            f->oom = true;
        return s;
    }
    for (size_t i = 0; i < f->nrenames; i++) {
        if (!xp_domain_eq(p.domain, p.domain_len, f->renames[i].from))
            continue;
        const char *s =
            xp_arena_printf(&f->arena, "%.*s%s%s%s%.*s", (int)p.local_len,
                            p.local ? p.local : "", p.local ? "@" : "",
                            f->renames[i].to, p.resource ? "/" : "",
                            (int)p.resource_len, p.resource ? p.resource : "");
        if (!s)
            f->oom = true;
        return s;
    }
    return NULL;
}

static bool in_list(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return true;
    return false;
}

/* Walks the tree iteratively (input depth must not become stack depth). */
static bool rename_tree(xporta_filter *f, xp_elem *root)
{
    xp_elem *n = root;
    while (n) {
        if (n->name) {
            for (unsigned i = 0; i < n->nattrs; i++) {
                struct xp_attr *a = &n->attrs[i];
                bool is_jid =
                    a->ns[0] == '\0' &&
                    (in_list(a->name, jid_attrs) ||
                     (strcmp(a->name, "value") == 0 &&
                      xp_streq(xp_elem_attr_ns(n, "", "type"), "jid")));
                if (!is_jid)
                    continue;
                const char *nv = rename_jid(f, a->value);
                if (nv)
                    a->value = nv;
            }
            if (in_list(n->name, jid_texts) && n->first && !n->first->name &&
                !n->first->next) {
                const char *nv = rename_jid(f, n->first->text);
                if (nv) {
                    n->first->text = nv;
                    n->first->text_len = strlen(nv);
                }
            }
        }
        if (n->name && n->first) {
            n = n->first;
            continue;
        }
        while (n != root && !n->next)
            n = n->parent;
        if (n == root)
            break;
        n = n->next;
    }
    return !f->oom;
}

xporta_status xporta_filter_record(xporta_filter *f, xporta_record *rec,
                                   bool *keep)
{
    if (!f || !rec || !keep)
        return XPORTA_EINVAL;
    xp_arena_reset(&f->arena);
    f->oom = false;
    *keep = false;
    if (f->exclude & (1u << rec->kind))
        return XPORTA_OK;
    if (f->strip && rec->kind == XPORTA_KIND_CREDENTIALS)
        return XPORTA_OK;
    *keep = true;
    if ((f->nrenames == 0 && f->naccounts == 0) || !rec->payload)
        return XPORTA_OK;
    if (!rename_tree(f, rec->payload))
        return xp_fail(&f->err, XPORTA_ENOMEM, "out of memory");
    /* Keys made of JIDs follow the rename. */
    if (rec->kind == XPORTA_KIND_ROSTER || rec->kind == XPORTA_KIND_PENDING ||
        rec->kind == XPORTA_KIND_BLOCKLIST ||
        rec->kind == XPORTA_KIND_ROOM_AFFILIATION) {
        const char *id = rec->id;
        if (!xp_record_derive_key(&f->arena, rec))
            rec->key = "";
        rec->id = id;
    }
    return XPORTA_OK;
}
