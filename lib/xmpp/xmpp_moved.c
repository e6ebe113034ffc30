/*
 * lib/xmpp/xmpp_moved.c: XEP-0283 Moved on the wire: the statement OLD
 * publishes, its node's configuration, the subscription requests that
 * carry <moved/>, and what a contact reads back to verify a move (the
 * statement, its publisher, the node's metadata).  Declared in
 * xmpp_kinds.h with the other kinds' builders and decoders.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmpp_kinds.h"
#include "xmpp_p.h"

/* ---- XEP-0283 Moved --------------------------------------------------------
 */

xp_elem *xp_moved_item(struct xp_arena *a, const char *new_jid)
{
    xp_elem *item = xp_elem_new(a, XP_NS_PUBSUB, "item");
    if (!item || !xp_elem_set_attr(a, item, "", "id", "current"))
        return NULL;
    xp_elem *m = xp_elem_add_child(a, item, XP_NS_MOVED, "moved");
    if (!m || !xp_elem_add_text_child(a, m, XP_NS_MOVED, "new-jid", new_jid))
        return NULL;
    return item;
}

/* The statement's node: only the owner publishes (a node left open to
 * publishers would let anyone write a statement in the old account's
 * name), and the items show who published them where the server can
 * (ejabberd's itemreply; Prosody ignores the field and names the publisher
 * in the last item it sends a new subscriber), so that contacts can check
 * the statement is the owner's. */
static xp_elem *moved_form(struct xp_arena *a, const char *access_model)
{
    static const char *const fields[][2] = {
        {"FORM_TYPE", "http://jabber.org/protocol/pubsub#node_config"},
        {"pubsub#access_model", NULL},
        {"pubsub#persist_items", "true"},
        {"pubsub#max_items", "1"},
        {"pubsub#publish_model", "publishers"},
        {"pubsub#itemreply", "publisher"},
        {"pubsub#send_last_published_item", "on_sub_and_presence"},
    };
    xp_elem *x = xp_elem_new(a, XP_NS_DATA, "x");
    if (!x || !xp_elem_set_attr(a, x, "", "type", "submit"))
        return NULL;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        xp_elem *f = xp_elem_add_child(a, x, XP_NS_DATA, "field");
        if (!f || !xp_elem_set_attr(a, f, "", "var", fields[i][0]) ||
            (i == 0 && !xp_elem_set_attr(a, f, "", "type", "hidden")) ||
            !xp_elem_add_text_child(a, f, XP_NS_DATA, "value",
                                    fields[i][1] ? fields[i][1] : access_model))
            return NULL;
    }
    return x;
}

xp_elem *xp_moved_create(struct xp_arena *a, const char *access_model)
{
    xp_elem *form = moved_form(a, access_model);
    return form ? xp_pep_create(a, XP_NS_MOVED, form) : NULL;
}

xp_elem *xp_moved_configure(struct xp_arena *a, const char *access_model)
{
    xp_elem *form = moved_form(a, access_model);
    return form ? xp_pep_configure_set(a, XP_NS_MOVED, form) : NULL;
}

xp_elem *xp_moved_query(struct xp_arena *a)
{
    xp_elem *items = NULL;
    xp_elem *p = xp_new_with_node(a, XP_NS_PUBSUB, "pubsub", "items",
                                  XP_NS_MOVED, &items);
    xp_elem *item =
        p ? xp_elem_add_child(a, items, XP_NS_PUBSUB, "item") : NULL;
    if (!item || !xp_elem_set_attr(a, item, "", "id", "current"))
        return NULL;
    return p;
}

xp_elem *xp_moved_subscribe(struct xp_arena *a, const char *jid,
                            bool unsubscribe)
{
    xp_elem *sub = NULL;
    xp_elem *p = xp_new_with_node(a, XP_NS_PUBSUB, "pubsub",
                                  unsubscribe ? "unsubscribe" : "subscribe",
                                  XP_NS_MOVED, &sub);
    if (!p || !jid || !xp_elem_set_attr(a, sub, "", "jid", jid))
        return NULL;
    return p;
}

/* A bare JID from user@domain[/resource], or NULL. */
static const char *bare_or_null(struct xp_arena *a, const char *jid)
{
    if (!jid || !xporta_jid_is_valid(jid, NULL))
        return NULL;
    return xp_jid_bare(a, jid);
}

/* The <item id='current'> of `items` (pubsub or pubsub#event, as `items`)
 * holding a <moved><new-jid/>: the statement (XEP-0283 publishes it under
 * that id; a notification may carry another item of the node). */
static bool moved_item(struct xp_arena *a, const xp_elem *items,
                       struct xp_moved_statement *out)
{
    if (!items || !xp_streq(xporta_elem_attr(items, "node"), XP_NS_MOVED))
        return false;
    for (const xp_elem *item = xp_elem_first_element(items); item;
         item = xp_elem_next_element(item)) {
        const xp_elem *m =
            xp_elem_is(item, items->ns, "item") &&
                    xp_streq(xporta_elem_attr(item, "id"), "current")
                ? xp_elem_child(item, XP_NS_MOVED, "moved")
                : NULL;
        const char *nj =
            m ? xp_elem_child_text(m, XP_NS_MOVED, "new-jid") : NULL;
        if (!nj)
            continue;
        out->new_jid = bare_or_null(a, nj);
        const char *pub = xporta_elem_attr(item, "publisher");
        if (pub) {
            out->publisher = bare_or_null(a, pub);
            if (!out->publisher)
                out->publisher = "";
        }
        return out->new_jid != NULL;
    }
    return false;
}

bool xp_moved_statement(struct xp_arena *a, const xp_elem *stanza,
                        struct xp_moved_statement *out)
{
    memset(out, 0, sizeof *out);
    if (!stanza)
        return false;
    if (xp_elem_is(stanza, NULL, "message")) {
        const xp_elem *ev = xp_elem_child(stanza, XP_NS_PUBSUB_EVENT, "event");
        return moved_item(
            a, ev ? xp_elem_child(ev, XP_NS_PUBSUB_EVENT, "items") : NULL, out);
    }
    if (xp_streq(xporta_elem_attr(stanza, "type"), "error")) {
        /* <gone xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>xmpp:JID</gone> */
        const xp_elem *err = xp_elem_child(stanza, NULL, "error");
        const xp_elem *gone =
            err ? xp_elem_child(err, XP_NS_STANZAS, "gone") : NULL;
        const char *uri = gone ? xp_elem_text(gone) : NULL;
        if (!uri || strncmp(uri, "xmpp:", 5) != 0)
            return false;
        char buf[3100];
        size_t n = strcspn(uri + 5, "?#");
        if (n >= sizeof buf)
            return false;
        memcpy(buf, uri + 5, n);
        buf[n] = '\0';
        out->new_jid = bare_or_null(a, buf);
        out->gone = out->new_jid != NULL;
        return out->gone;
    }
    const xp_elem *p = xp_elem_child(stanza, XP_NS_PUBSUB, "pubsub");
    return moved_item(a, p ? xp_elem_child(p, XP_NS_PUBSUB, "items") : NULL,
                      out);
}

const char *xp_moved_new_jid(struct xp_arena *a, const xp_elem *iq)
{
    struct xp_moved_statement st;
    return xp_moved_statement(a, iq, &st) ? st.new_jid : NULL;
}

const char *xp_pubsub_meta(const xp_elem *iq, const char *var)
{
    const xp_elem *q = iq ? xp_elem_child(iq, XP_NS_DISCO_INFO, "query") : NULL;
    for (const xp_elem *x = q ? xp_elem_first_element(q) : NULL; x;
         x = xp_elem_next_element(x)) {
        if (!xp_elem_is(x, XP_NS_DATA, "x") ||
            !xp_streq(xporta_elem_attr(x, "type"), "result"))
            continue;
        const char *ft = NULL, *val = NULL;
        for (const xp_elem *f = xp_elem_first_element(x); f;
             f = xp_elem_next_element(f)) {
            if (!xp_elem_is(f, XP_NS_DATA, "field"))
                continue;
            const char *v = xporta_elem_attr(f, "var");
            if (xp_streq(v, "FORM_TYPE"))
                ft = xp_elem_child_text(f, XP_NS_DATA, "value");
            else if (xp_streq(v, var) && !val)
                val = xp_elem_child_text(f, XP_NS_DATA, "value");
        }
        if (xp_streq(ft, "http://jabber.org/protocol/pubsub#meta-data"))
            return val;
    }
    return NULL;
}

xp_elem *xp_presence(struct xp_arena *a, const char *type, const char *to,
                     const char *old_jid)
{
    xp_elem *p = xp_elem_new(a, XP_NS_CLIENT, "presence");
    if (!p || (type && !xp_elem_set_attr(a, p, "", "type", type)) ||
        (to && !xp_elem_set_attr(a, p, "", "to", to)))
        return NULL;
    if (old_jid) {
        xp_elem *m = xp_elem_add_child(a, p, XP_NS_MOVED, "moved");
        if (!m ||
            !xp_elem_add_text_child(a, m, XP_NS_MOVED, "old-jid", old_jid))
            return NULL;
    }
    return p;
}

/* What is wrong with an <old-jid> that is not the bare JID of an
 * account, or NULL. */
static const char *old_jid_problem(struct xp_arena *a, const char *s)
{
    if (!*s)
        return "the old JID is empty";
    if (xp_ascii_ieq(s, "xmpp:", 5))
        return "the old JID is an xmpp: URI, not a JID";
    size_t ats = 0;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
            return "the old JID contains white space";
        if (c < 0x20 || c == 0x7f)
            return "the old JID contains a control character";
        ats += c == '@';
    }
    if (strchr(s, '/'))
        return "the old JID is a full JID (with a resource); it must be bare";
    if (ats > 1)
        return "the old JID has more than one '@'";
    if (ats == 0)
        return "the old JID has no localpart (it names a server, not an "
               "account)";
    const char *why = NULL;
    if (!xporta_jid_is_valid(s, &why)) {
        const char *msg = xp_arena_printf(a, "the old JID is not valid: %s",
                                          why ? why : "malformed");
        return msg ? msg : "the old JID is not valid";
    }
    return NULL;
}

const char *xp_moved_notice(struct xp_arena *a, const xp_elem *presence,
                            const char **why)
{
    *why = NULL;
    const xp_elem *m =
        presence ? xp_elem_child(presence, XP_NS_MOVED, "moved") : NULL;
    if (!m)
        return NULL;
    const char *old = xp_elem_child_text(m, XP_NS_MOVED, "old-jid");
    if (!old) {
        *why = "it has no <old-jid>";
        return NULL;
    }
    /* The old JID MUST be bare (§4.2); anything else is not a move. */
    *why = old_jid_problem(a, old);
    return *why ? NULL : xp_jid_bare(a, old);
}

const char *xp_moved_old_jid(struct xp_arena *a, const xp_elem *presence)
{
    const char *why;
    return xp_moved_notice(a, presence, &why);
}
