/*
 * What every table's rows go through when ejabberd's SQL storage is read
 * (ejd_read_p.h): naming a row ejabberd could not have written, building a
 * record, parsing a column's XML, running a statement for the account.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../pie/pie.h"
#include "ejd_read_p.h"

bool rd_wants(const struct rd *r, xporta_kind k)
{
    return r->kinds & (1u << k);
}

xporta_status rd_oom(struct rd *r)
{
    return xp_fail(&r->e->run->err, XPORTA_ENOMEM, "out of memory");
}

/* The column that names a row of each table an account has many rows in
 * (numbers unquoted); the others hold one row per account. */
static const struct {
    const char *table, *name;
    int col;
    bool number;
} row_keys[] = {
    {"rostergroups", "jid", 0, false},
    {"rosterusers", "jid", 0, false},
    {"private_storage", "namespace", 0, false},
    {"privacy_list", "name", 0, false},
    {"spool", "seq", 1, true},
    {"archive", "timestamp", 0, true},
    {"pubsub_node", "node", 0, false},
    {"pubsub_node_option", "name", 0, false},
    {"pubsub_state", "jid", 0, false},
    {"pubsub_item", "itemid", 0, false},
};

/* A row ejabberd could not have written: its table, the row by its key
 * (a node's rows also by nodeid), the account (and node). */
xporta_status rd_bad(struct rd *r, const struct esql_row *row, const char *what)
{
    char key[200] = "";
    bool node = r->node && strncmp(r->table, "pubsub_", 7) == 0 &&
                strcmp(r->table, "pubsub_node") != 0;
    size_t k = 0;
    if (node)
        k = (size_t)snprintf(key, sizeof key, ", nodeid %s", r->nodeid);
    for (size_t i = 0; row && i < sizeof row_keys / sizeof *row_keys; i++) {
        const char *v =
            row_keys[i].col < row->n ? row->v[row_keys[i].col] : NULL;
        if (strcmp(row_keys[i].table, r->table) == 0 && v && k < sizeof key)
            snprintf(key + k, sizeof key - k,
                     row_keys[i].number ? ", %s %.80s" : ", %s '%.80s'",
                     row_keys[i].name, v);
    }
    return xp_fail(&r->e->run->err, XPORTA_EFORMAT,
                   "%s: table %s%s (%s%s%s): %s", r->e->db->where, r->table,
                   key, r->jid, node ? ", node " : "", node ? r->node : "",
                   what);
}

xporta_status rd_emit(struct rd *r, xporta_kind kind, xp_elem *payload,
                      const char *key)
{
    xporta_record rec;
    memset(&rec, 0, sizeof rec);
    rec.kind = kind;
    rec.payload = payload;
    rec.key = key;
    rec.file = r->e->db->where;
    if (!key || kind == XPORTA_KIND_PEP_ITEM)
        xp_record_derive_key(&r->ra, &rec);
    if (kind == XPORTA_KIND_PEP_ITEM)
        rec.key = key;
    if (!rec.key || !*rec.key)
        return xp_fail(&r->e->run->err, XPORTA_EFORMAT,
                       "%s: table %s: a %s of %s without a key",
                       r->e->db->where, r->table, xp_kind_info(kind)->name,
                       r->jid);
    xporta_status st = r->sink->record(r->sink->ud, &rec);
    xp_arena_reset(&r->ra);
    return st;
}

const char *rd_col(const struct esql_row *row, int i)
{
    return i < row->n ? row->v[i] : NULL;
}

/* XML text of a column as an element (`ns` for one without xmlns). */
xporta_status rd_parse(struct rd *r, const struct esql_row *row, int i,
                       const char *ns, xp_elem **out)
{
    const char *xml = rd_col(row, i);
    if (!xml)
        return rd_bad(r, row, "no XML");
    const char *p = xml;
    while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
        p++;
    if (*p != '<')
        return rd_bad(r, row,
                      "not XML text (a compressed archive row, mod_mam's "
                      "compress_xml: true? xporta cannot read those)");
    const char *why;
    unsigned long line, c;
    xporta_status st =
        pie_parse_element(&r->ra, xml, row->len[i], ns, out, &why, &line, &c);
    if (st == XPORTA_ENOMEM)
        return rd_oom(r);
    if (st) {
        char msg[300];
        snprintf(msg, sizeof msg, "its XML does not parse (%s, at %lu:%lu)",
                 why ? why : "?", line, c);
        return rd_bad(r, row, msg);
    }
    return XPORTA_OK;
}

xporta_status rd_q(struct rd *r, int qid, const char *table, int n,
                   const char *const *vals, esql_row_fn fn)
{
    r->table = table;
    return ejd_q(r->e, qid, r->host, n, vals, fn, r);
}

xporta_status rd_q_user(struct rd *r, int qid, const char *table,
                        esql_row_fn fn)
{
    const char *v[1] = {r->user};
    return rd_q(r, qid, table, 1, v, fn);
}
