/*
 * The XEP-0227 writer: serialising.  Everything that turns the writer's
 * state and a record into bytes of the current output (w->out): the
 * indentation (none with XPORTA_PIE_COMPACT), the container under <user>
 * that is open (only one is remembered: the next record that belongs
 * elsewhere closes it), the <user> start tag, which waits for the user's
 * credentials because the plaintext password is one of its attributes,
 * and the records themselves.  What a dialect holds back until the end of
 * a user is pie_writer_dialect.c's; which file w->out is, is
 * pie_writer_files.c's.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pie_p.h"
#include "pie_writer_p.h"

/* ---- output helpers -------------------------------------------------------
 */

const char *pie_w_indent(const xporta_pie_writer *w, int level)
{
    static const char *const lines[] = {
        "\n",         "\n  ",         "\n    ",         "\n      ",
        "\n        ", "\n          ", "\n            ",
    };
    if (w->flags & XPORTA_PIE_COMPACT)
        return "";
    return lines[level < 0 ? 0 : level > 6 ? 6 : level];
}

/* Writes w->buf to f and empties it. */
xporta_status pie_w_flush_buf(xporta_pie_writer *w, struct xp_afile *f)
{
    xporta_status st =
        xp_afile_write(f, w->buf.data ? w->buf.data : "", w->buf.len, &w->err);
    w->bytes += w->buf.len;
    xp_buf_reset(&w->buf);
    return st;
}

xporta_status pie_w_emit(xporta_pie_writer *w, struct xp_afile *f,
                         const char *fmt, ...)
{
    va_list ap;
    char small[512];
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof small)
        return xp_fail(&w->err, XPORTA_EINVAL, "internal: line too long");
    w->bytes += (uint64_t)n;
    return xp_afile_write(f, small, (size_t)n, &w->err);
}

xporta_status pie_w_emit_attr(xporta_pie_writer *w, struct xp_afile *f,
                              const char *name, const char *value)
{
    xp_buf_reset(&w->buf);
    xporta_status st = xp_buf_printf(&w->buf, " %s='", name);
    if (st == XPORTA_OK)
        st = xp_xml_escape_attr(&w->buf, value);
    if (st == XPORTA_OK)
        st = xp_buf_addc(&w->buf, '\'');
    if (st != XPORTA_OK)
        return xp_fail(&w->err, st, "out of memory");
    return pie_w_flush_buf(w, f);
}

void pie_w_note(xporta_pie_writer *w, xporta_severity sev, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    if (!w->diag)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    xporta_diag d = {sev, NULL, 0, 0, msg};
    w->diag(&d, w->diag_ud);
}

/* ---- containers ------------------------------------------------------------
 */

xporta_status pie_w_close_items(xporta_pie_writer *w)
{
    if (!w->items_node)
        return XPORTA_OK;
    free(w->items_node);
    w->items_node = NULL;
    return pie_w_emit(w, w->out, "%s</items>", pie_w_indent(w, 4));
}

xporta_status pie_w_close_container(xporta_pie_writer *w)
{
    xporta_status st = pie_w_close_items(w);
    if (st != XPORTA_OK || !w->cont_name)
        return st;
    st = pie_w_emit(w, w->out, "%s</%s>", pie_w_indent(w, 3), w->cont_name);
    w->closed_kinds |= 1u << w->cont_kind;
    w->cont_ns = w->cont_name = NULL;
    return st;
}

xporta_status pie_w_open_container(xporta_pie_writer *w, xporta_kind kind,
                                   const char *ns, const char *name)
{
    if (w->cont_name && strcmp(w->cont_ns, ns) == 0 &&
        strcmp(w->cont_name, name) == 0)
        return XPORTA_OK;
    xporta_status st = pie_w_close_container(w);
    if (st != XPORTA_OK)
        return st;
    if (w->dialect == XPORTA_DIALECT_PROSODY && kind != XPORTA_KIND_OTHER &&
        (w->closed_kinds & 1u << kind))
        return xp_fail(&w->err, XPORTA_EINVAL,
                       "%s@%s: %s records are not consecutive; Prosody reads "
                       "only the first <%s xmlns='%s'> of a user",
                       w->user_name, w->host_jid, xporta_kind_name(kind), name,
                       ns);
    st = pie_w_emit(w, w->out, "%s<%s xmlns='%s'>", pie_w_indent(w, 3), name,
                    ns);
    w->cont_ns = ns;
    w->cont_name = name;
    w->cont_kind = kind;
    return st;
}

xporta_status pie_w_write_elem(xporta_pie_writer *w, const xp_elem *e,
                               int level, const char *scope_ns)
{
    xp_buf_reset(&w->buf);
    xporta_status st = xp_buf_adds(&w->buf, pie_w_indent(w, level));
    if (st == XPORTA_OK)
        st = xp_elem_serialize(&w->buf, e, scope_ns);
    if (st != XPORTA_OK)
        return xp_fail(&w->err, st, "cannot serialise a record: %s",
                       xporta_strerror(st));
    return pie_w_flush_buf(w, w->out);
}

/* ---- user start (held until the first non-credential record) ------------ */

xporta_status pie_w_hold(xporta_pie_writer *w, struct held ***tail,
                         const xporta_record *rec)
{
    struct held *h = xp_arena_alloc(&w->user_arena, sizeof *h);
    xp_elem *p = h ? xp_elem_clone(&w->user_arena, rec->payload) : NULL;
    if (!p)
        return xp_fail(&w->err, XPORTA_ETOOBIG,
                       "%s@%s: held data exceeds %d bytes", w->user_name,
                       w->host_jid, XP_MAX_USER_SMALL_BYTES);
    h->rec = *rec;
    h->rec.payload = p;
    h->rec.key = xp_arena_strdup(&w->user_arena, rec->key ? rec->key : "");
    h->rec.id = rec->id ? xp_arena_strdup(&w->user_arena, rec->id) : NULL;
    h->rec.container =
        rec->container ? xp_arena_strdup(&w->user_arena, rec->container) : NULL;
    h->rec.file = NULL;
    h->next = NULL;
    **tail = h;
    *tail = &h->next;
    return XPORTA_OK;
}

xporta_status pie_w_start_user_tag(xporta_pie_writer *w)
{
    const char *password = NULL;
    bool scram = false;
    xporta_status st;

    if (w->user_started)
        return XPORTA_OK;
    w->user_started = true;
    for (struct held *h = w->creds; h; h = h->next) {
        if (xp_elem_is(h->rec.payload, XP_NS_PIE, "password"))
            password = xp_elem_text(h->rec.payload);
        else
            scram = true;
    }
    if (password && scram && w->dialect == XPORTA_DIALECT_EJABBERD) {
        pie_w_note(
            w, XPORTA_NOTE,
            "%s@%s: plaintext password left out (ejabberd 23.01 crashes on "
            "a user with both a password and SCRAM)",
            w->user_name, w->host_jid);
        password = NULL;
    }
    bool own_file = w->out == &w->user && w->dialect == XPORTA_DIALECT_STANDARD;
    st = pie_w_emit(w, w->out, "%s<user", own_file ? "" : pie_w_indent(w, 2));
    if (st == XPORTA_OK && own_file)
        st = pie_w_emit(w, w->out, " xmlns='" XP_NS_PIE "'");
    if (st == XPORTA_OK)
        st = pie_w_emit_attr(w, w->out, "name", w->user_name);
    if (st == XPORTA_OK && password)
        st = pie_w_emit_attr(w, w->out, "password", password);
    if (st == XPORTA_OK && w->user_attrs) {
        /* Extra attributes (Prosody's extended-xep0227 ones) verbatim. */
        xp_elem *tmp = w->user_attrs;
        xp_buf_reset(&w->buf);
        st = xp_elem_serialize(&w->buf, tmp, XP_NS_PIE);
        /* Splice out "<user" ... "/>": keep the attribute text only. */
        if (st == XPORTA_OK && w->buf.len > 7) {
            const char *s = w->buf.data + 5; /* after "<user" */
            size_t n = w->buf.len - 5 - 2;   /* before "/>" */
            w->bytes += n;
            st = xp_afile_write(w->out, s, n, &w->err);
        }
        xp_buf_reset(&w->buf);
    }
    if (st == XPORTA_OK)
        st = pie_w_emit(w, w->out, ">");
    if (password) {
        if (w->out == &w->user)
            w->user_secret = true;
        else if (w->out == &w->host)
            w->host_secret = true;
        else
            w->main_secret = true;
    }
    for (struct held *h = w->creds; st == XPORTA_OK && h; h = h->next) {
        const xp_elem *e = h->rec.payload;
        if (xp_elem_is(e, XP_NS_PIE, "password"))
            continue;
        if (w->dialect == XPORTA_DIALECT_EJABBERD &&
            xp_elem_is(e, XP_NS_PIE_SCRAM, "scram-credentials")) {
            const char *m = xp_elem_attr_ns(e, "", "mechanism");
            if (!xp_streq(m, "SCRAM-SHA-1") && !xp_streq(m, "SCRAM-SHA-256") &&
                !xp_streq(m, "SCRAM-SHA-512")) {
                pie_w_note(
                    w, XPORTA_WARNING,
                    "%s@%s: %s credentials left out (ejabberd 23.01 accepts "
                    "only SCRAM-SHA-1, -256 and -512)",
                    w->user_name, w->host_jid, m ? m : "unnamed");
                continue;
            }
            e = pie_scram_double(&w->arena, e);
            if (!e)
                return xp_fail(&w->err, XPORTA_ENOMEM, "out of memory");
        }
        st = pie_w_write_elem(w, e, 3, XP_NS_PIE);
        if (w->out == &w->user)
            w->user_secret = true;
        else if (w->out == &w->host)
            w->host_secret = true;
        else
            w->main_secret = true;
    }
    w->creds = NULL;
    w->creds_tail = &w->creds;
    return st;
}

/* ---- records --------------------------------------------------------------
 */

static xporta_status write_other(xporta_pie_writer *w, const xporta_record *rec)
{
    const char *c = rec->container;
    if (!c) {
        xporta_status st = pie_w_close_container(w);
        return st == XPORTA_OK ? pie_w_write_elem(w, rec->payload, 3, w->scope3)
                               : st;
    }
    /* "{ns}name" */
    const char *close = c[0] == '{' ? strchr(c, '}') : NULL;
    if (!close)
        return xp_fail(&w->err, XPORTA_EINVAL, "bad container name '%s'", c);
    const char *ns =
        xp_arena_strndup(&w->arena, c + 1, (size_t)(close - c - 1));
    const char *name = close + 1;
    if (!ns)
        return xp_fail(&w->err, XPORTA_ENOMEM, "out of memory");
    /* Keep ns/name alive while the container is open: intern known ones. */
    for (unsigned k = 0; k < XPORTA_KIND_COUNT; k++) {
        const struct xp_kind_info *ki = xp_kind_info((xporta_kind)k);
        if (ki->container_ns && strcmp(ki->container_ns, ns) == 0 &&
            strcmp(ki->container_name, name) == 0) {
            xporta_status st = pie_w_close_items(w);
            if (st == XPORTA_OK)
                st = pie_w_open_container(w, XPORTA_KIND_OTHER,
                                          ki->container_ns, ki->container_name);
            return st == XPORTA_OK
                       ? pie_w_write_elem(w, rec->payload, 4, ki->container_ns)
                       : st;
        }
    }
    /* An unknown container: wrap this one record in its own copy. */
    xporta_status st = pie_w_close_container(w);
    if (st != XPORTA_OK)
        return st;
    xp_elem *wrap = xp_elem_new(&w->arena, ns, name);
    if (!wrap)
        return xp_fail(&w->err, XPORTA_ENOMEM, "out of memory");
    wrap->first = wrap->last = (xp_elem *)rec->payload;
    st = pie_w_write_elem(w, wrap, 3, w->scope3);
    return st;
}

static xporta_status write_pep_item(xporta_pie_writer *w,
                                    const xporta_record *rec)
{
    xporta_status st =
        pie_w_open_container(w, XPORTA_KIND_PEP_ITEM, XP_NS_PUBSUB, "pubsub");
    if (st != XPORTA_OK)
        return st;
    if (!w->items_node || strcmp(w->items_node, rec->key) != 0) {
        st = pie_w_close_items(w);
        if (st == XPORTA_OK)
            st = pie_w_emit(w, w->out, "%s<items", pie_w_indent(w, 4));
        if (st == XPORTA_OK)
            st = pie_w_emit_attr(w, w->out, "node", rec->key);
        if (st == XPORTA_OK)
            st = pie_w_emit(w, w->out, ">");
        if (st != XPORTA_OK)
            return st;
        w->items_node = xp_strdup(rec->key);
        if (!w->items_node)
            return xp_fail(&w->err, XPORTA_ENOMEM, "out of memory");
    }
    return pie_w_write_elem(w, rec->payload, 5, XP_NS_PUBSUB);
}

xporta_status pie_w_write_now(xporta_pie_writer *w, const xporta_record *rec)
{
    const struct xp_kind_info *ki = xp_kind_info(rec->kind);
    const xp_elem *payload = rec->payload;
    xporta_status st;

    switch (rec->kind) {
    case XPORTA_KIND_OTHER:
        return write_other(w, rec);
    case XPORTA_KIND_PEP_ITEM:
        if (!rec->key || !*rec->key)
            return xp_fail(&w->err, XPORTA_EINVAL, "PEP item without a node");
        return write_pep_item(w, rec);
    case XPORTA_KIND_PENDING:
        if (w->dialect == XPORTA_DIALECT_EJABBERD &&
            !xp_elem_attr_ns(payload, "", "to")) {
            /* ejabberd routes the request to the user: it needs a to. */
            xp_elem *c = xp_elem_clone(&w->arena, payload);
            char *to =
                xp_arena_printf(&w->arena, "%s@%s", w->user_name, w->host_jid);
            if (!c || !to || !xp_elem_set_attr_ref(&w->arena, c, "", "to", to))
                return xp_fail(&w->err, XPORTA_ENOMEM, "out of memory");
            payload = c;
        }
        break;
    default:
        break;
    }
    if (ki->container_name) {
        st = pie_w_open_container(w, rec->kind, ki->container_ns,
                                  ki->container_name);
        if (st == XPORTA_OK)
            st = pie_w_close_items(w);
        return st == XPORTA_OK
                   ? pie_w_write_elem(w, payload, 4, ki->container_ns)
                   : st;
    }
    st = pie_w_close_container(w);
    return st == XPORTA_OK ? pie_w_write_elem(w, payload, 3, w->scope3) : st;
}
