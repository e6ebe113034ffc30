/*
 * lib/transfer/xfer_policy.c: what the copy engine copies, and the small
 * helpers its passes share.  Rules that hold whatever the stores: OMEMO
 * keys and a moved notice belong to the old account; "the account owns
 * its node" is no data.  What a target cannot take, or takes badly, its
 * driver says (store_driver: writable, why_not, skip).
 */
#include <string.h>

#include "xfer_copy_p.h"

void copy_act(struct copy *m, xporta_action a, xporta_kind k, const char *key,
              const char *id, const char *why)
{
    if (m->o->action)
        m->o->action(m->o->action_ud, a, k, key, id, why);
}

bool copy_is_pep_kind(xporta_kind k)
{
    return k == XPORTA_KIND_PEP_NODE || k == XPORTA_KIND_PEP_ITEM ||
           k == XPORTA_KIND_PEP_AFFILIATIONS ||
           k == XPORTA_KIND_PEP_SUBSCRIPTIONS;
}

static bool is_omemo_node(const char *node)
{
    return strncmp(node, "eu.siacs.conversations.axolotl.", 31) == 0 ||
           strncmp(node, "urn:xmpp:omemo:", 15) == 0;
}

/* Affiliations that say only "the account owns its node" (ejabberd lists
 * them for every node, Prosody for none). */
bool copy_owner_only(const xp_elem *affiliations)
{
    for (const xp_elem *a = xp_elem_first_element(affiliations); a;
         a = xp_elem_next_element(a))
        if (!xp_streq(xporta_elem_attr(a, "affiliation"), "owner"))
            return false;
    return true;
}

const char *copy_skip_reason(const struct copy *m, const xporta_record *rec)
{
    unsigned include = m->o->include;
    if (copy_is_pep_kind(rec->kind)) {
        if (is_omemo_node(rec->key) && !(include & XPORTA_INCLUDE_OMEMO))
            return "OMEMO keys belong to the old account's devices "
                   "(--include-omemo to copy them)";
        if (strcmp(rec->key, XP_NS_MOVED) == 0 &&
            !(include & XPORTA_INCLUDE_MOVED))
            return "the moved notice belongs to the old account "
                   "(--include-moved to copy it)";
    }
    return store_skip(m->tdrv, rec);
}

const char *copy_plan_skip(const struct copy *m, const xporta_record *rec)
{
    if (m->src_bookmarks && copy_is_pep_kind(rec->kind) &&
        strcmp(rec->key, "storage:bookmarks") == 0)
        return "both servers build this node from the private "
               "storage:bookmarks, which is imported";
    return NULL;
}

bool copy_prefs_trivial(const xp_elem *prefs)
{
    /* default='never' is a choice (archiving off), not a default. */
    if (xp_streq(xporta_elem_attr(prefs, "default"), "never"))
        return false;
    for (const xp_elem *c = xp_elem_first_element(prefs); c;
         c = xp_elem_next_element(c))
        if (xp_elem_first_element(c))
            return false;
    return true;
}

uint64_t copy_rec_key(xporta_kind kind, const char *key, const char *id)
{
    xporta_record r;
    memset(&r, 0, sizeof r);
    r.kind = kind;
    r.key = key;
    r.id = id;
    return xfer_key_hash(&r);
}

uint32_t copy_writable(const struct copy *m)
{
    return m->tdrv->writable & m->o->kinds;
}
