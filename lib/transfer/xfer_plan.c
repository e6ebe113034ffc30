/*
 * lib/transfer/xfer_plan.c: passes 2 and 3 of a copy.  The target is read
 * into a map from record identity to value signature, and the spool is
 * streamed against it: one action per record.  The plan is kept in
 * STATE/plan so that a resumed run carries out the same one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xfer_copy_p.h"

#define PLAN_MAGIC "xporta-import-plan 1"

/* The identity of a PEP node, whatever the record's kind. */
static uint64_t node_key(const char *node)
{
    return xp_key_hash("\x01node", node);
}

static xporta_status target_sink(void *ud, xporta_record *rec)
{
    struct copy *m = ud;
    if (rec->kind == XPORTA_KIND_PEP_AFFILIATIONS && rec->payload &&
        copy_owner_only(rec->payload))
        return XPORTA_OK;
    if (xp_map_put(&m->tmap, xfer_key_hash(rec),
                   xfer_value_hash(rec, m->target)) < 0)
        return xp_fail(&m->run->err, XPORTA_ENOMEM, "out of memory");
    uint64_t flags = 0, nk = node_key(rec->key);
    if (rec->kind == XPORTA_KIND_PEP_NODE) {
        xp_map_get(&m->nodes, nk, &flags);
        if (rec->payload &&
            xp_streq(xp_form_value(rec->payload, "pubsub#max_items"), "1"))
            flags |= NODE_SINGLETON;
        if (xp_map_put(&m->nodes, nk, flags) < 0)
            return xp_fail(&m->run->err, XPORTA_ENOMEM, "out of memory");
    } else if (rec->kind == XPORTA_KIND_PEP_ITEM) {
        xp_map_get(&m->nodes, nk, &flags);
        if (xp_map_put(&m->nodes, nk, flags | NODE_HAS_ITEM) < 0)
            return xp_fail(&m->run->err, XPORTA_ENOMEM, "out of memory");
    } else if (rec->kind == XPORTA_KIND_MAM_PREFS) {
        m->t_prefs_trivial = rec->payload && copy_prefs_trivial(rec->payload);
    }
    return XPORTA_OK;
}

static bool vcard_linked(const char *node)
{
    return strcmp(node, "urn:xmpp:avatar:data") == 0 ||
           strcmp(node, "urn:xmpp:avatar:metadata") == 0 ||
           strcmp(node, "urn:xmpp:vcard4") == 0;
}

static xporta_status plan_record(struct copy *m, xporta_record *rec, void *ud)
{
    (void)ud;
    xporta_import_counts *c = &m->o->counts[rec->kind];
    uint64_t kh = xfer_key_hash(rec), tv = 0, flags = 0;
    bool there = xp_map_get(&m->tmap, kh, &tv);
    xporta_action a;
    const char *why = copy_plan_skip(m, rec);
    if (why) {
        a = XPORTA_ACTION_SKIP;
    } else if (store_unreadable(m->tgt, rec->kind, rec->key)) {
        a = XPORTA_ACTION_CONFLICT;
        why = "the target's node could not be read: left as it is";
    } else if (m->tstate[rec->kind] == XPORTA_STATE_UNAVAILABLE) {
        a = XPORTA_ACTION_SKIP;
        why = "the target server does not offer this kind";
    } else if (rec->kind == XPORTA_KIND_PEP_ITEM && m->vcard_kept &&
               vcard_linked(rec->key) &&
               !(there &&
                 xfer_same_value(tv, xfer_value_hash(rec, m->target)))) {
        /* Both servers keep the avatar and vCard4 together with the
         * vCard-temp (Prosody's mod_vcard_legacy, ejabberd's mod_avatar):
         * publishing them would change the vCard that is kept. */
        a = XPORTA_ACTION_CONFLICT;
        why = "the target keeps this with its vCard, which is kept";
    } else if (!there) {
        a = XPORTA_ACTION_ADD;
        if (rec->kind == XPORTA_KIND_PEP_ITEM &&
            xp_map_get(&m->nodes, node_key(rec->key), &flags) &&
            (flags & (NODE_SINGLETON | NODE_HAS_ITEM)) ==
                (NODE_SINGLETON | NODE_HAS_ITEM)) {
            /* Publishing would push out the item the target has. */
            a = XPORTA_ACTION_CONFLICT;
            why = "the node keeps one item and the target has its own";
        }
    } else if (xfer_same_value(tv, xfer_value_hash(rec, m->target))) {
        a = XPORTA_ACTION_SAME;
    } else if (rec->kind == XPORTA_KIND_MAM_PREFS && m->t_prefs_trivial) {
        a = XPORTA_ACTION_ADD;
        why = "replaces the server's default preferences";
    } else {
        a = XPORTA_ACTION_CONFLICT;
        why = "the target has other data under this key";
    }
    if (a == XPORTA_ACTION_CONFLICT &&
        m->o->conflict == XPORTA_CONFLICT_REPLACE)
        a = XPORTA_ACTION_REPLACE;
    switch (a) {
    case XPORTA_ACTION_ADD:
        c->add++;
        break;
    case XPORTA_ACTION_REPLACE:
        c->replace++;
        break;
    case XPORTA_ACTION_SAME:
        c->same++;
        break;
    case XPORTA_ACTION_CONFLICT:
        c->conflict++;
        if (xp_set_add(&m->kept, kh) < 0)
            return xp_fail(&m->run->err, XPORTA_ENOMEM, "out of memory");
        break;
    default:
        c->skip++;
        break;
    }
    if ((a == XPORTA_ACTION_ADD || a == XPORTA_ACTION_REPLACE) &&
        xp_map_put(&m->to_write, kh, (uint64_t)a) < 0)
        return xp_fail(&m->run->err, XPORTA_ENOMEM, "out of memory");
    if (a == XPORTA_ACTION_SKIP &&
        m->tstate[rec->kind] == XPORTA_STATE_UNAVAILABLE)
        xp_run_note(m->run, rec->kind, "%s", why);
    copy_act(m, a, rec->kind, rec->key, rec->id, why);
    return XPORTA_OK;
}

/* STATE/plan: the counts, then the records to write and the conflicts
 * kept, by identity hash. */
xporta_status copy_plan_save(struct copy *m)
{
    char *path = xp_path_join(m->o->state_dir, "plan");
    if (!path)
        return xp_fail(&m->run->err, XPORTA_ENOMEM, "out of memory");
    struct xp_buf b;
    xp_buf_init(&b, (size_t)256 << 20);
    xporta_status st = xp_buf_printf(&b, "%s\n", PLAN_MAGIC);
    for (unsigned k = 0; st == XPORTA_OK && k < XPORTA_KIND_COUNT; k++) {
        const xporta_import_counts *c = &m->o->counts[k];
        st = xp_buf_printf(
            &b, "c %u %llu %llu %llu %llu %llu %llu %u %llu\n", k,
            (unsigned long long)c->add, (unsigned long long)c->replace,
            (unsigned long long)c->same, (unsigned long long)c->conflict,
            (unsigned long long)c->skip, (unsigned long long)c->not_restorable,
            (unsigned)m->tstate[k], (unsigned long long)c->source);
    }
    for (size_t i = 0; st == XPORTA_OK && i < m->to_write.cap; i++)
        if (m->to_write.keys[i])
            st = xp_buf_printf(&b, "w %016llx %u\n",
                               (unsigned long long)m->to_write.keys[i],
                               (unsigned)m->to_write.vals[i]);
    for (size_t i = 0; st == XPORTA_OK && i < m->kept.cap; i++)
        if (m->kept.slots[i])
            st = xp_buf_printf(&b, "k %016llx\n",
                               (unsigned long long)m->kept.slots[i]);
    for (size_t i = 0;
         st == XPORTA_OK && m->o->private_ns && i < m->o->private_ns->n; i++)
        st = xp_buf_printf(&b, "p %s\n", m->o->private_ns->v[i]);
    if (st == XPORTA_OK && m->src_bookmarks)
        st = xp_buf_printf(&b, "b 1\n");
    if (st == XPORTA_OK)
        st = xp_buf_printf(&b, "end\n");
    if (st != XPORTA_OK) {
        xp_buf_cleanup(&b);
        free(path);
        return xp_fail(&m->run->err, st, "plan: out of memory");
    }
    struct xp_afile f;
    st = xp_afile_open(&f, path, &m->run->err);
    if (st == XPORTA_OK)
        st = xp_afile_write(&f, b.data, b.len, &m->run->err);
    if (st == XPORTA_OK)
        st = xp_afile_commit(&f, true, &m->run->err);
    else
        xp_afile_abort(&f);
    xp_buf_cleanup(&b);
    free(path);
    return st;
}

/* Loads STATE/plan; false when it is missing or incomplete. */
bool copy_plan_load(struct copy *m)
{
    char *path = xp_path_join(m->o->state_dir, "plan");
    FILE *f = path ? fopen(path, "r") : NULL;
    free(path);
    if (!f)
        return false;
    char line[9000];
    bool ok = fgets(line, sizeof line, f) &&
              strncmp(line, PLAN_MAGIC, strlen(PLAN_MAGIC)) == 0;
    bool end = false;
    while (ok && !end && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        unsigned k, a, ts;
        unsigned long long h, v[7];
        if (strcmp(line, "end") == 0) {
            end = true;
        } else if (sscanf(line, "c %u %llu %llu %llu %llu %llu %llu %u %llu",
                          &k, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &ts,
                          &v[6]) == 9 &&
                   k < XPORTA_KIND_COUNT && ts <= XPORTA_STATE_NOT_RESTORABLE) {
            xporta_import_counts *c = &m->o->counts[k];
            c->source = v[6];
            c->add = v[0];
            c->replace = v[1];
            c->same = v[2];
            c->conflict = v[3];
            c->skip = v[4];
            c->not_restorable = v[5];
            m->tstate[k] = (xporta_kind_state)ts;
            if (c->not_restorable) {
                xp_run_set_state(m->run, (xporta_kind)k,
                                 XPORTA_STATE_NOT_RESTORABLE);
                xp_run_note(m->run, (xporta_kind)k, "%s",
                            store_why_not(m->tdrv, (xporta_kind)k));
            }
        } else if (sscanf(line, "w %llx %u", &h, &a) == 2 &&
                   (a == XPORTA_ACTION_ADD || a == XPORTA_ACTION_REPLACE)) {
            ok = xp_map_put(&m->to_write, h, a) >= 0;
        } else if (sscanf(line, "k %llx", &h) == 1) {
            ok = xp_set_add(&m->kept, h) >= 0;
        } else if (strcmp(line, "b 1") == 0) {
            m->src_bookmarks = true;
        } else if (strncmp(line, "p ", 2) == 0) {
            ok = xp_strv_add(m->o->private_ns, line + 2) >= 0;
        } else {
            ok = false;
        }
    }
    fclose(f);
    if (!(ok && end)) {
        memset(m->o->counts, 0, sizeof *m->o->counts * XPORTA_KIND_COUNT);
        xp_map_cleanup(&m->to_write);
        xp_set_clear(&m->kept);
    }
    return ok && end;
}

/* Scans `source` into the spool, reads the target and plans. */
xporta_status copy_plan(struct copy *m)
{
    xporta_status st = copy_scan(m);
    if (st == XPORTA_OK)
        st = copy_read_target(m, target_sink, m, "target");
    if (st == XPORTA_OK)
        st = copy_target_readable(m, "cannot plan");
    if (st == XPORTA_OK) {
        xporta_record v;
        memset(&v, 0, sizeof v);
        v.kind = XPORTA_KIND_VCARD;
        v.key = "vcard";
        uint64_t tv;
        m->vcard_kept = m->src_vcard &&
                        m->o->conflict == XPORTA_CONFLICT_KEEP &&
                        xp_map_get(&m->tmap, xfer_key_hash(&v), &tv) &&
                        tv != m->src_vcard_value;
        xp_run_progress(m->run, "plan", XPORTA_KIND_COUNT, 0, 0, -1, 0, NULL,
                        true);
        st = copy_spool_each(m, plan_record, NULL);
    }
    xp_map_cleanup(&m->tmap);
    xp_map_cleanup(&m->nodes);
    return st;
}
