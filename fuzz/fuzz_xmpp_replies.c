/*
 * Fuzz target: the XMPP reply decoders (lib/xmpp/xmpp_kinds.h, xmpp_mam.c)
 * and the stanza conversion under them (xp_stanza_to_elem).
 *
 * Input: one stanza's XML text, read the way the session reads the stream
 * (libstrophe's parser, then xp_stanza_to_elem with jabber:client in
 * scope).  A first byte with bit 0x80 or 0x40 set is not XML but a
 * selector and is skipped: 0x80 bounds the conversion arena to
 * 512 << (bits 0-2) bytes, 0x40 the decoders' arena to 256 << (bits 3-5)
 * bytes, so that every "over the limit" path is reached; without them the
 * arenas have the limits of production (the session's XP_MAX_RECORD_BYTES,
 * the export's four times that).  Any text starting with '<' or whitespace
 * is therefore an input as is, e.g. the replies in tests/data/stanzas.
 *
 * Every decoder and the XEP-0283 helpers run on every stanza; every record
 * they hand out goes through what export and migrate do with it: a copy
 * (the key must derive the same), serialisation, the restore builder of
 * its kind and the conversion back into a libstrophe stanza.
 *
 * Oracle: no crash, no sanitizer report, no leak; the conversion fails only
 * with ETOOBIG and a detail; a converted tree turned back into a stanza and
 * converted again is equal to itself; records carry a payload and a key;
 * a page of PEP items is either complete or says where to continue; the
 * moved helpers return bare, valid JIDs or NULL.
 *
 * The libstrophe context is the one piece of state kept between runs (it
 * holds no per-input data): libstrophe 0.12.2 routes expat's allocations
 * through the first context that ever creates a parser, a process-global,
 * so a context per input would leave it pointing at a freed one.  It is
 * freed at exit.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xmpp/xmpp_kinds.h"
#include "xmpp/xmpp_p.h"

#define CHECK(cond)  \
    do {             \
        if (!(cond)) \
            abort(); \
    } while (0)

#define NODE_CONFIG "http://jabber.org/protocol/pubsub#node_config"
#define PUBLISH_OPTIONS "http://jabber.org/protocol/pubsub#publish-options"

static xmpp_ctx_t *ctx;

static void free_ctx(void)
{
    xmpp_ctx_free(ctx);
    ctx = NULL;
}

struct run {
    struct xp_arena scratch; /* copies and restore payloads, per record */
    unsigned records;
};

/* Sends a payload as the session would: as a libstrophe stanza inside an
 * <iq> (jabber:client in scope), and serialised as a file keeps it. */
static void send_payload(const xp_elem *p)
{
    if (!p)
        return;
    xmpp_stanza_t *st = NULL;
    xporta_status rc = xp_stanza_from_elem(ctx, p, XP_NS_CLIENT, &st);
    /* Builders wrap a record in a few levels: a record at the bottom of
     * the converted tree may end up too deep to send. */
    CHECK(rc == XPORTA_OK || rc == XPORTA_ETOOBIG);
    CHECK((rc == XPORTA_OK) == (st != NULL));
    if (st)
        xmpp_stanza_release(st);
    struct xp_buf b;
    xp_buf_init(&b, 1 << 26);
    rc = xp_elem_serialize(&b, p, "");
    CHECK(rc == XPORTA_OK);
    xp_buf_cleanup(&b);
}

/* The IQ sets an import makes of a record (xmpp_kinds.h, "Restoring"). */
static void restore(struct xp_arena *a, const xporta_record *rec)
{
    const xp_elem *p = rec->payload;
    switch (rec->kind) {
    case XPORTA_KIND_ROSTER:
        send_payload(xp_roster_set(a, p));
        break;
    case XPORTA_KIND_VCARD:
        send_payload(xp_vcard_set(a, p));
        break;
    case XPORTA_KIND_PRIVATE:
        send_payload(xp_private_set(a, p));
        break;
    case XPORTA_KIND_BLOCKLIST: {
        const char *jid = xp_elem_attr_ns(p, "", "jid");
        send_payload(xp_block_set(a, &jid, 1));
        break;
    }
    case XPORTA_KIND_PRIVACY:
        if (xp_elem_is(p, XP_NS_PRIVACY, "list"))
            send_payload(xp_privacy_list_set(a, p));
        else
            send_payload(xp_privacy_default_set(a,
                                                xp_elem_attr_ns(p, "", "name"),
                                                xp_streq(p->name, "active")));
        break;
    case XPORTA_KIND_PEP_NODE:
        for (int level = XP_PEP_CONFIG_FULL; level <= XP_PEP_CONFIG_ACCESS;
             level++) {
            xp_elem *form = xp_pep_config_form(a, p, (enum xp_pep_config)level,
                                               NODE_CONFIG);
            send_payload(xp_pep_create(a, rec->key, form));
            if (form)
                send_payload(xp_pep_configure_set(a, rec->key, form));
        }
        break;
    case XPORTA_KIND_PEP_ITEM:
        send_payload(xp_pep_publish(a, rec->key, p, NULL));
        break;
    case XPORTA_KIND_PEP_AFFILIATIONS:
        send_payload(xp_pep_affiliations_set(a, rec->key, p));
        break;
    case XPORTA_KIND_MAM_PREFS:
        send_payload(xp_mam_prefs_set(a, p));
        break;
    default:
        break; /* what a client cannot write, or nothing to build */
    }
}

static void on_record(void *ud, xporta_record *rec)
{
    struct run *r = ud;
    CHECK(rec->kind < XPORTA_KIND_COUNT);
    CHECK(rec->payload && rec->payload->name && rec->key);
    CHECK(rec->kind != XPORTA_KIND_PEP_ITEM || rec->id);
    r->records++;

    /* The copy export keeps (and a file gives back) is the same record. */
    xp_elem *copy = xp_elem_clone(&r->scratch, rec->payload);
    if (copy) {
        CHECK(xp_elem_equal(copy, rec->payload));
        CHECK(xp_elem_hash(copy) == xp_elem_hash(rec->payload));
        xporta_record again;
        memset(&again, 0, sizeof again);
        again.kind = rec->kind;
        again.payload = copy;
        if (rec->kind == XPORTA_KIND_PEP_ITEM)
            again.key = rec->key; /* the producer's: the node */
        if (xp_record_derive_key(&r->scratch, &again)) {
            CHECK(strcmp(again.key, rec->key) == 0);
            CHECK(xp_streq(again.id, rec->id));
        }
    }
    struct xp_buf b;
    xp_buf_init(&b, 1 << 26);
    CHECK(xp_elem_serialize(&b, rec->payload, "") == XPORTA_OK);
    xp_buf_cleanup(&b);

    restore(&r->scratch, rec);
    xp_arena_reset(&r->scratch);
}

static void on_name(void *ud, const char *name)
{
    (void)ud;
    CHECK(name && *name);
}

/* The node a PEP reply is about, when it names one. */
static const char *reply_node(const xp_elem *iq)
{
    static const char *const ns[] = {XP_NS_PUBSUB, XP_NS_PUBSUB_OWNER};
    for (size_t i = 0; i < 2; i++) {
        const xp_elem *p = xp_elem_child(iq, ns[i], "pubsub");
        for (const xp_elem *c = xp_elem_first_element(p); c;
             c = xp_elem_next_element(c)) {
            const char *n = xp_elem_attr_ns(c, "", "node");
            if (n && *n)
                return n;
        }
    }
    return "urn:xmpp:bookmarks:1";
}

static void check_bare_jid(const char *jid)
{
    if (jid)
        CHECK(*jid && !strchr(jid, '/') && xporta_jid_is_valid(jid, NULL));
}

static void decode_all(struct xp_arena *a, const xp_elem *iq, struct run *r)
{
    xporta_status st;

    /* What the session does with an error reply. */
    struct xp_iq_reply reply;
    memset(&reply, 0, sizeof reply);
    xp_iq_error_parse(iq, &reply);
    CHECK(reply.error_type && reply.condition && *reply.condition);

    (void)xp_disco_has_feature(iq, XP_NS_MAM);
    (void)xp_disco_has_feature(iq, "urn:xmpp:pep-vcard-conversion:0");
    /* The owner is the account the reply went to. */
    const char *to = xp_elem_attr_ns(iq, "", "to");
    const char *owner = to ? xp_jid_bare(a, to) : NULL;
    (void)xp_disco_pep_nodes(iq, owner, on_name, r);
    (void)xp_disco_pep_nodes(iq, NULL, on_name, r);
    xp_arena_reset(a);

    static xporta_status (*const simple[])(struct xp_arena *, const xp_elem *,
                                           xp_record_fn, void *) = {
        xp_roster_decode,    xp_vcard_decode,        xp_private_decode,
        xp_blocklist_decode, xp_privacy_list_decode, xp_mam_prefs_decode,
    };
    for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++) {
        (void)simple[i](a, iq, on_record, r);
        xp_arena_reset(a);
    }
    (void)xp_privacy_names_decode(a, iq, on_record, on_name, r);
    xp_arena_reset(a);

    const char *node = reply_node(iq);
    (void)xp_pep_configure_decode(a, iq, node, on_record, r);
    xp_arena_reset(a);
    (void)xp_pep_affiliations_decode(a, iq, node, on_record, r);
    xp_arena_reset(a);
    const char *last = NULL;
    bool complete = false;
    st = xp_pep_items_decode(a, iq, node, on_record, r, &last, &complete);
    if (st == XPORTA_OK) {
        /* Export pages on with `last` until complete: never neither. */
        CHECK(complete || last);
        CHECK(!last || *last);
    }
    xp_arena_reset(a);

    struct xp_mam_fin fin;
    if (xp_mam_fin_decode(iq, &fin) == XPORTA_OK) {
        CHECK(fin.count >= -1);
        CHECK(!fin.first || *fin.first);
        CHECK(!fin.last || *fin.last);
    }
    const xp_elem *res = xp_elem_child(iq, XP_NS_MAM, "result");
    const char *qids[] = {NULL,
                          res ? xp_elem_attr_ns(res, "", "queryid") : NULL};
    for (size_t i = 0; i < 2; i++) {
        xporta_record rec;
        if (xp_mam_result_decode(a, iq, qids[i], &rec)) {
            long long secs;
            long usecs = -1;
            if (xp_mam_stamp(rec.payload, &secs, &usecs))
                CHECK(usecs >= 0 && usecs < 1000000);
            on_record(r, &rec);
        }
        xp_arena_reset(a);
    }

    xporta_record pending;
    if (xp_pending_decode(a, iq, &pending)) {
        CHECK(pending.kind == XPORTA_KIND_PENDING);
        on_record(r, &pending);
    }
    xp_arena_reset(a);

    check_bare_jid(xp_moved_new_jid(a, iq));
    xp_arena_reset(a);
    check_bare_jid(xp_moved_old_jid(a, iq));
    xp_arena_reset(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t conv_limit = XP_MAX_RECORD_BYTES;
    size_t dec_limit = (size_t)XP_MAX_RECORD_BYTES * 4;
    if (size && (data[0] & 0xC0)) {
        if (data[0] & 0x80)
            conv_limit = (size_t)512 << (data[0] & 7);
        if (data[0] & 0x40)
            dec_limit = (size_t)256 << ((data[0] >> 3) & 7);
        data++;
        size--;
    }
    if (!ctx) {
        ctx = xmpp_ctx_new(NULL, NULL);
        CHECK(ctx);
        atexit(free_ctx);
    }
    char *text = malloc(size + 1);
    CHECK(text);
    memcpy(text, data, size);
    text[size] = '\0';
    xmpp_stanza_t *st = xmpp_stanza_new_from_string(ctx, text);
    free(text);
    if (!st)
        return 0; /* not well-formed: the stream would have ended */

    struct xp_arena conv, back, dec;
    struct xp_err err;
    struct run r;
    xp_elem *iq = NULL;
    xp_arena_init(&conv, conv_limit);
    xp_arena_init(&back, 0);
    xp_arena_init(&dec, dec_limit);
    xp_arena_init(&r.scratch, dec_limit);
    r.records = 0;
    xp_err_clear(&err);

    xporta_status rc = xp_stanza_to_elem(&conv, st, XP_NS_CLIENT, &iq, &err);
    xmpp_stanza_release(st);
    if (rc != XPORTA_OK) {
        /* Too big, too deep or too many attributes, and it says so. */
        CHECK(rc == XPORTA_ETOOBIG && !iq && err.status == rc && err.msg[0]);
        goto out;
    }
    CHECK(iq && iq->name);

    /* What the session sends is what it would read back. */
    xmpp_stanza_t *again = NULL;
    CHECK(xp_stanza_from_elem(ctx, iq, XP_NS_CLIENT, &again) == XPORTA_OK);
    xp_elem *iq2 = NULL;
    CHECK(xp_stanza_to_elem(&back, again, XP_NS_CLIENT, &iq2, NULL) ==
          XPORTA_OK);
    xmpp_stanza_release(again);
    CHECK(xp_elem_equal(iq, iq2));
    xp_arena_cleanup(&back);

    decode_all(&dec, iq, &r);
out:
    xp_arena_cleanup(&r.scratch);
    xp_arena_cleanup(&dec);
    xp_arena_cleanup(&back);
    xp_arena_cleanup(&conv);
    return 0;
}
