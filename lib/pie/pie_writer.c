/*
 * The streaming XEP-0227 writer.
 *
 * Design note.  Records arrive one at a time and are serialised at once; the
 * writer only remembers which container element is open (<query
 * xmlns='jabber:iq:roster'>, <pubsub><items node>, ...), closing it when the
 * next record belongs elsewhere.  The Prosody dialect is the exception:
 * Prosody's driver reads only the first container of each store under
 * <user>, so there every record but the archive's is serialised into its
 * container's group (pie_hold.c: bounded memory, a large group spills to a
 * file) and the groups are written whole at the end of the user, while the
 * archive streams.  A user's records may then come in any order, split
 * over any number of containers (ejabberd's "Blocked contacts" list, read
 * as blocklist records between the privacy records, was the first case
 * found; a roster in two <query> elements the second).  Three things are
 * held back as element trees, all small:
 *  - credentials, until the first other record of the user, because the
 *    plaintext password is an attribute of <user> (and ejabberd crashes on a
 *    user with both a password and SCRAM, so its dialect drops the password
 *    when SCRAM is present);
 *  - in the Prosody dialect, the user's PEP data: Prosody reads only the
 *    first <pubsub> of each namespace and aborts on a configured node
 *    without <items>, so both pubsub elements are written whole at the end,
 *    items grouped by node;
 *  - in ejabberd's, the blocklist, written at the end of the user as the
 *    "Blocked contacts" privacy list its mod_blocking keeps.
 *
 * The writer's files (their state in pie_writer_p.h):
 *  - this one: the public API, opening to committing, and what each step
 *    does for each dialect;
 *  - pie_writer_xml.c: serialising (output, containers, the <user> start
 *    tag with the held credentials, records);
 *  - pie_writer_dialect.c: Prosody's groups and PEP data, ejabberd's
 *    blocklist, held until the end of a user;
 *  - pie_writer_files.c: the layouts (file names, host files, user files
 *    synced lazily, the working directory);
 *  - pie_writer_half.c: a second writer for a file's second half (convert
 *    on two cores): fork, join, the copy made ahead.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pie.h"
#include "pie_p.h"
#include "pie_writer_p.h"

#define XP_ASCII_UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

/* ---- public API ------------------------------------------------------------
 */

const char *xporta_dialect_name(xporta_dialect d)
{
    switch (d) {
    case XPORTA_DIALECT_STANDARD:
        return "standard";
    case XPORTA_DIALECT_PROSODY:
        return "prosody";
    case XPORTA_DIALECT_EJABBERD:
        return "ejabberd";
    }
    return "unknown";
}

xporta_status xporta_dialect_from_name(const char *name, xporta_dialect *out)
{
    static const xporta_dialect all[] = {XPORTA_DIALECT_STANDARD,
                                         XPORTA_DIALECT_PROSODY,
                                         XPORTA_DIALECT_EJABBERD};
    for (size_t i = 0; i < 3; i++) {
        if (xp_streq(name, xporta_dialect_name(all[i]))) {
            *out = all[i];
            return XPORTA_OK;
        }
    }
    return XPORTA_EINVAL;
}

static xporta_status check_ok(xporta_pie_writer *w);

xporta_pie_writer *pie_w_alloc(const char *path, xporta_dialect dialect,
                               unsigned flags)
{
    xporta_pie_writer *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->dialect = dialect;
    w->flags = flags;
    xp_err_clear(&w->err);
    pie_w_afile_zero(&w->main);
    pie_w_afile_zero(&w->host);
    pie_w_afile_zero(&w->user);
    pie_w_afile_zero(&w->comps);
    xp_buf_init(&w->buf, (size_t)XP_MAX_RECORD_BYTES * 8);
    xp_arena_init(&w->arena, 0);
    xp_arena_init(&w->user_arena, XP_MAX_USER_SMALL_BYTES * 4);
    pie_hold_init(&w->hold, NULL);
    w->creds_tail = &w->creds;
    w->pep_tail = &w->pep;
    w->blocks_tail = &w->blocks;
    xp_set_init(&w->users, 0);
    xp_set_init(&w->rooms, 0);
    w->scope3 = XP_NS_PIE;
    w->path = xp_strdup(path);
    if (!w->path) {
        free(w);
        return NULL;
    }
    return w;
}

xporta_status pie_writer_open_part(xporta_pie_writer **out, const char *path,
                                   const char *part, unsigned flags,
                                   const struct pie_resume *resume)
{
    if (!out || !path || !part)
        return XPORTA_EINVAL;
    *out = NULL;
    xporta_pie_writer *w =
        pie_w_alloc(path, XPORTA_DIALECT_STANDARD, flags & ~XPORTA_PIE_SPLIT);
    if (!w)
        return XPORTA_ENOMEM;
    *out = w;
    xporta_status st = xp_afile_open_part(
        &w->main, path, part, resume ? (long long)resume->offset : -1, &w->err);
    if (st != XPORTA_OK)
        return st;
    if (!resume)
        return pie_w_emit(
            w, &w->main,
            "<?xml version='1.0' encoding='UTF-8'?>\n<server-data "
            "xmlns='" XP_NS_PIE "'>");
    /* Continue where the earlier run synced: inside <archive> of the user. */
    w->bytes = resume->offset;
    w->host_jid = xp_strdup(resume->host);
    w->user_name = xp_arena_strdup(&w->user_arena, resume->user);
    if (!w->host_jid || !w->user_name)
        return xp_fail(&w->err, XPORTA_ENOMEM, "out of memory");
    w->in_host = w->in_user = w->user_started = true;
    w->out = &w->main;
    const struct xp_kind_info *ki = xp_kind_info(XPORTA_KIND_ARCHIVE);
    w->cont_ns = ki->container_ns;
    w->cont_name = ki->container_name;
    w->cont_kind = XPORTA_KIND_ARCHIVE;
    xp_set_add(&w->users, xp_key_hash(resume->user, NULL));
    return XPORTA_OK;
}

xporta_status pie_writer_sync(xporta_pie_writer *w, uint64_t *offset)
{
    xporta_status st = check_ok(w);
    if (st != XPORTA_OK)
        return st;
    return xp_afile_sync(w->out ? w->out : &w->main, offset, &w->err);
}

xporta_status pie_writer_format(const xporta_pie_writer *w, struct xp_buf *out,
                                const xporta_record *rec)
{
    const struct xp_kind_info *ki = xp_kind_info(rec->kind);
    if (!ki || !ki->container_ns || rec->kind == XPORTA_KIND_PEP_ITEM)
        return XPORTA_EINVAL;
    xporta_status st = xp_buf_adds(out, pie_w_indent(w, 4));
    return st == XPORTA_OK
               ? xp_elem_serialize(out, rec->payload, ki->container_ns)
               : st;
}

xporta_status pie_writer_write_raw(xporta_pie_writer *w, xporta_kind kind,
                                   const char *bytes, size_t n)
{
    xporta_status st = check_ok(w);
    if (st != XPORTA_OK)
        return st;
    const struct xp_kind_info *ki = xp_kind_info(kind);
    if (!w->in_user || !ki || !ki->container_ns)
        return xp_fail(&w->err, XPORTA_EINVAL, "raw records outside a user");
    st = pie_w_start_user_tag(w);
    if (st == XPORTA_OK)
        st =
            pie_w_open_container(w, kind, ki->container_ns, ki->container_name);
    if (st == XPORTA_OK)
        st = pie_w_close_items(w);
    if (st != XPORTA_OK)
        return st;
    w->bytes += n;
    return xp_afile_write(w->out, bytes, n, &w->err);
}

void pie_writer_keep_part(xporta_pie_writer *w, bool keep)
{
    w->keep_part = keep;
}

xporta_status xporta_pie_writer_open(xporta_pie_writer **out, const char *path,
                                     xporta_dialect dialect, unsigned flags)
{
    if (!out || !path || !*path)
        return XPORTA_EINVAL;
    *out = NULL;
    xporta_pie_writer *w = pie_w_alloc(path, dialect, flags);
    if (!w)
        return XPORTA_ENOMEM;
    *out = w;

    bool dir =
        dialect == XPORTA_DIALECT_PROSODY ||
        (dialect == XPORTA_DIALECT_STANDARD && (flags & XPORTA_PIE_SPLIT));
    if (dir) {
        xporta_status st = pie_w_make_workdir(w);
        if (st != XPORTA_OK)
            return st;
        w->hold.dir = w->workdir;
        if (dialect == XPORTA_DIALECT_PROSODY)
            return XPORTA_OK;
        char *main = xp_path_join(w->workdir, "server-data.xml");
        if (!main)
            return xp_fail(&w->err, XPORTA_ENOMEM, "out of memory");
        st = xp_afile_open(&w->main, main, &w->err);
        free(main);
        if (st != XPORTA_OK)
            return st;
        return pie_w_emit(
            w, &w->main,
            "<?xml version='1.0' encoding='UTF-8'?>\n<server-data "
            "xmlns='" XP_NS_PIE "' xmlns:xi='" XP_NS_XINCLUDE "'>");
    }
    xporta_status st = xp_afile_open(&w->main, path, &w->err);
    if (st != XPORTA_OK)
        return st;
    if (dialect == XPORTA_DIALECT_EJABBERD)
        return pie_w_emit(
            w, &w->main,
            "<?xml version='1.0' encoding='UTF-8'?>\n<server-data "
            "xmlns='" XP_NS_PIE "' xmlns:xi='" XP_NS_XINCLUDE "'>");
    return pie_w_emit(w, &w->main,
                      "<?xml version='1.0' encoding='UTF-8'?>\n<server-data "
                      "xmlns='" XP_NS_PIE "'>");
}

void xporta_pie_writer_set_diag(xporta_pie_writer *w, xporta_diag_cb cb,
                                void *userdata)
{
    w->diag = cb;
    w->diag_ud = userdata;
}

static xporta_status check_ok(xporta_pie_writer *w)
{
    if (!w)
        return XPORTA_EINVAL;
    if (w->committed)
        return xp_fail(&w->err, XPORTA_EINVAL, "writer already committed");
    if (w->ahead)
        pie_w_drop_ahead(w);
    return w->err.status;
}

xporta_status xporta_pie_writer_begin_host(xporta_pie_writer *w,
                                           const char *jid)
{
    xporta_status st = check_ok(w);
    if (st != XPORTA_OK)
        return st;
    if (!jid || w->in_host || w->in_component)
        return xp_fail(&w->err, XPORTA_EINVAL,
                       w->in_host        ? "host %s begun inside host %s"
                       : w->in_component ? "host %s begun inside a component"
                                         : "host without a name",
                       jid ? jid : "", w->host_jid ? w->host_jid : "");
    free(w->host_jid);
    w->host_jid = xp_strdup(jid);
    if (!w->host_jid)
        return xp_fail(&w->err, XPORTA_ENOMEM, "out of memory");
    w->in_host = true;

    switch (w->dialect) {
    case XPORTA_DIALECT_PROSODY:
        return XPORTA_OK; /* each user file carries its own <host> */
    case XPORTA_DIALECT_STANDARD:
        if (!(w->flags & XPORTA_PIE_SPLIT)) {
            st = pie_w_emit(w, &w->main, "%s<host", pie_w_indent(w, 1));
            if (st == XPORTA_OK)
                st = pie_w_emit_attr(w, &w->main, "jid", jid);
            return st == XPORTA_OK ? pie_w_emit(w, &w->main, ">") : st;
        }
        break;
    case XPORTA_DIALECT_EJABBERD:
        break;
    }
    return pie_w_open_host_file(w, jid);
}

xporta_status xporta_pie_writer_begin_user(xporta_pie_writer *w,
                                           const char *name,
                                           const xporta_elem *user)
{
    xporta_status st = check_ok(w);
    if (st != XPORTA_OK)
        return st;
    if (!w->in_host || w->in_user || !name)
        return xp_fail(&w->err, XPORTA_EINVAL, "user %s outside a host",
                       name ? name : "(unnamed)");
    if (w->dialect == XPORTA_DIALECT_PROSODY &&
        (!*name || strpbrk(name, "@/") || strchr(w->host_jid, '/')))
        /* Prosody takes the user from the file name USER@HOST.xml as it
         * is: these cannot be written so that it reads them back. */
        return xp_fail(&w->err, XPORTA_EINVAL,
                       "user '%s' of host '%s' cannot be named as Prosody "
                       "reads it (USER@HOST.xml with no '@' or '/' in the "
                       "user, no '/' in the host)",
                       name, w->host_jid);
    if (w->dialect == XPORTA_DIALECT_PROSODY && strpbrk(name, XP_ASCII_UPPER))
        /* Measured on Prosody 0.12: prosody-migrator creates the account
         * as the file names it, and a login, mapped to lower case, never
         * reaches it.  (Beyond ASCII, letters are not checked.) */
        pie_w_note(
            w, XPORTA_WARNING,
            "%s@%s: Prosody's import keeps the upper-case letters of the "
            "name, and nobody can log in to it (logins are mapped to lower "
            "case); rename the user first",
            name, w->host_jid);
    int fresh = xp_set_add(&w->users, xp_key_hash(name, w->host_jid));
    if (fresh == 0)
        return xp_fail(&w->err, XPORTA_EINVAL,
                       "user %s@%s would be written twice (it is in more than "
                       "one input?)",
                       name, w->host_jid);
    if (fresh < 0)
        return xp_fail(&w->err, XPORTA_ENOMEM, "out of memory");
    xp_arena_reset(&w->user_arena);
    w->user_name = xp_arena_strdup(&w->user_arena, name);
    w->user_attrs = NULL;
    if (user) {
        /* Keep only attributes other than name and password. */
        xp_elem *u = xp_elem_new(&w->user_arena, XP_NS_PIE, "user");
        for (unsigned i = 0; u && i < user->nattrs; i++) {
            const struct xp_attr *a = &user->attrs[i];
            if (a->ns[0] == '\0' && (strcmp(a->name, "name") == 0 ||
                                     strcmp(a->name, "password") == 0))
                continue;
            if (!xp_elem_set_attr(&w->user_arena, u, a->ns, a->name, a->value))
                u = NULL;
        }
        if (!u)
            return xp_fail(&w->err, XPORTA_ENOMEM, "out of memory");
        if (u->nattrs)
            w->user_attrs = u;
    }
    if (!w->user_name)
        return xp_fail(&w->err, XPORTA_ENOMEM, "out of memory");
    w->in_user = true;
    w->user_started = false;
    w->closed_kinds = 0;
    w->creds = w->pep = w->blocks = NULL;
    w->creds_tail = &w->creds;
    w->pep_tail = &w->pep;
    w->blocks_tail = &w->blocks;
    w->pep_bytes = 0;
    w->privacy_default_seen = false;
    pie_hold_clear(&w->hold);

    bool own_file = w->dialect == XPORTA_DIALECT_PROSODY ||
                    (w->dialect == XPORTA_DIALECT_STANDARD &&
                     (w->flags & XPORTA_PIE_SPLIT));
    if (!own_file) {
        w->out = w->dialect == XPORTA_DIALECT_EJABBERD ? &w->host : &w->main;
        return XPORTA_OK;
    }
    return pie_w_open_user_file(w, name);
}

xporta_status xporta_pie_writer_write(xporta_pie_writer *w,
                                      const xporta_record *rec)
{
    xporta_status st = check_ok(w);
    if (st != XPORTA_OK)
        return st;
    if (!rec || !rec->payload || (unsigned)rec->kind >= XPORTA_KIND_COUNT)
        return xp_fail(&w->err, XPORTA_EINVAL, "invalid record");
    if (!w->in_user)
        return xp_fail(&w->err, XPORTA_EINVAL, "%s record outside a user",
                       xporta_kind_name(rec->kind));
    if (rec->kind > XPORTA_KIND_OTHER)
        return xp_fail(&w->err, XPORTA_EINVAL, "%s record in a user",
                       xporta_kind_name(rec->kind));
    xp_arena_reset(&w->arena);

    if (rec->kind == XPORTA_KIND_CREDENTIALS) {
        if (w->user_started && w->dialect == XPORTA_DIALECT_PROSODY &&
            !xp_elem_is(rec->payload, XP_NS_PIE, "password"))
            return pie_w_prosody_write(w, rec);
        if (w->user_started) {
            if (xp_elem_is(rec->payload, XP_NS_PIE, "password"))
                return xp_fail(&w->err, XPORTA_EINVAL,
                               "%s@%s: a plaintext password must come before "
                               "the user's other records",
                               w->user_name, w->host_jid);
            /* SCRAM after other data: still a direct child of <user>. */
            const xp_elem *e = rec->payload;
            if (w->dialect == XPORTA_DIALECT_EJABBERD)
                e = pie_scram_double(&w->arena, e);
            if (!e)
                return xp_fail(&w->err, XPORTA_ENOMEM, "out of memory");
            st = pie_w_close_container(w);
            if (st == XPORTA_OK)
                st = pie_w_write_elem(w, e, 3, XP_NS_PIE);
            if (w->out == &w->user)
                w->user_secret = true;
            else if (w->out == &w->host)
                w->host_secret = true;
            else
                w->main_secret = true;
            return st;
        }
        return pie_w_hold(w, &w->creds_tail, rec);
    }
    if (w->dialect == XPORTA_DIALECT_PROSODY)
        return pie_w_prosody_write(w, rec);
    if (w->dialect == XPORTA_DIALECT_EJABBERD &&
        rec->kind == XPORTA_KIND_BLOCKLIST)
        return pie_w_hold(w, &w->blocks_tail, rec);
    if (rec->kind == XPORTA_KIND_PRIVACY && xp_streq(rec->key, "default"))
        w->privacy_default_seen = true;

    st = pie_w_start_user_tag(w);
    if (st != XPORTA_OK)
        return st;
    return pie_w_write_now(w, rec);
}

xporta_status xporta_pie_writer_write_extra(xporta_pie_writer *w,
                                            const xporta_elem *e)
{
    xporta_status st = check_ok(w);
    if (st != XPORTA_OK)
        return st;
    if (!e || w->in_user || w->in_room)
        return xp_fail(&w->err, XPORTA_EINVAL, "extra element inside a %s",
                       w->in_room ? "room" : "user");
    if (w->dialect == XPORTA_DIALECT_PROSODY || w->comp_skip)
        return XPORTA_OK; /* no place for it: one document per user */
    struct xp_afile *f = &w->main;
    int level = 1;
    const char *scope = XP_NS_PIE;
    if (w->in_component) {
        level = 2;
        scope = XP_NS_PIE_COMPONENT;
        f = &w->comps; /* pie_writer_room.c */
    } else if (w->in_host) {
        level = 2;
        if (pie_w_afile_is_open(&w->host))
            f = &w->host;
    }
    xp_buf_reset(&w->buf);
    st = xp_buf_adds(&w->buf, pie_w_indent(w, level));
    if (st == XPORTA_OK)
        st = xp_elem_serialize(&w->buf, e, scope);
    if (st != XPORTA_OK)
        return xp_fail(&w->err, st, "cannot serialise an element");
    return pie_w_flush_buf(w, f);
}

xporta_status xporta_pie_writer_end_user(xporta_pie_writer *w)
{
    xporta_status st = check_ok(w);
    if (st != XPORTA_OK)
        return st;
    if (!w->in_user)
        return xp_fail(&w->err, XPORTA_EINVAL, "end of a user never begun");
    st = pie_w_start_user_tag(w);
    if (st == XPORTA_OK && w->dialect == XPORTA_DIALECT_PROSODY)
        st = pie_w_flush_prosody_groups(w);
    if (st == XPORTA_OK && w->dialect == XPORTA_DIALECT_PROSODY)
        st = pie_w_flush_prosody_pep(w);
    if (st == XPORTA_OK && w->dialect == XPORTA_DIALECT_EJABBERD)
        st = pie_w_flush_ejabberd_blocks(w);
    if (st == XPORTA_OK && w->dialect == XPORTA_DIALECT_PROSODY &&
        !(w->closed_kinds & 1u << XPORTA_KIND_ARCHIVE) &&
        !(w->cont_name && w->cont_kind == XPORTA_KIND_ARCHIVE)) {
        /* Prosody's migrator asserts on a user without an archive. */
        st = pie_w_close_container(w);
        if (st == XPORTA_OK)
            st = pie_w_emit(w, w->out, "%s<archive xmlns='" XP_NS_PIE_MAM "'/>",
                            pie_w_indent(w, 3));
    }
    if (st == XPORTA_OK)
        st = pie_w_close_container(w);
    if (st == XPORTA_OK)
        st = pie_w_emit(w, w->out, "%s</user>", pie_w_indent(w, 2));
    if (st != XPORTA_OK)
        return st;
    w->in_user = false;
    if (w->out == &w->user) {
        if (w->dialect == XPORTA_DIALECT_PROSODY)
            st = pie_w_emit(w, &w->user, "</host></server-data>\n");
        else
            st = pie_w_emit(w, &w->user, "\n");
        /* Inside the working directory: visible only after commit. */
        if (st == XPORTA_OK)
            st = pie_w_commit_user_file(w);
        if (w->user_secret)
            w->main_secret = true;
    }
    xp_arena_reset(&w->user_arena);
    w->creds = w->pep = w->blocks = NULL;
    w->creds_tail = &w->creds;
    w->pep_tail = &w->pep;
    w->blocks_tail = &w->blocks;
    w->user_name = NULL;
    return st;
}

xporta_status xporta_pie_writer_end_host(xporta_pie_writer *w)
{
    xporta_status st = check_ok(w);
    if (st != XPORTA_OK)
        return st;
    if (!w->in_host || w->in_user)
        return xp_fail(&w->err, XPORTA_EINVAL, "end of a host never begun");
    w->in_host = false;
    if (w->dialect == XPORTA_DIALECT_PROSODY)
        return XPORTA_OK;
    if (!pie_w_afile_is_open(&w->host))
        return pie_w_emit(w, &w->main, "%s</host>", pie_w_indent(w, 1));
    /* Closed at commit: a later input may continue this host. */
    st = pie_w_park_host(w);
    if (w->host_secret)
        w->main_secret = true;
    return st;
}

xporta_status xporta_pie_writer_commit(xporta_pie_writer *w)
{
    xporta_status st = check_ok(w);
    if (st != XPORTA_OK)
        return st;
    if (w->half)
        return xp_fail(&w->err, XPORTA_EINVAL, "a second half is joined");
    if (w->in_user || w->in_host || w->in_component)
        return xp_fail(&w->err, XPORTA_EINVAL, "commit with a %s still open",
                       w->in_user   ? "user"
                       : w->in_host ? "host"
                                    : "component");
    while (w->nparked > 0) {
        struct parked_host *p = &w->parked[--w->nparked];
        w->host = p->file;
        w->host_secret = p->secret;
        free(p->jid);
        pie_w_afile_zero(&p->file);
        st = xp_afile_resume(&w->host, &w->err);
        if (st == XPORTA_OK)
            st = pie_w_close_host_file(w);
        if (st != XPORTA_OK)
            return st;
    }
    if (pie_w_afile_is_open(&w->main)) {
        st = pie_w_append_components(w);
        if (st == XPORTA_OK)
            st = pie_w_emit(w, &w->main, "\n</server-data>\n");
        if (st != XPORTA_OK)
            return st;
        /* The main file of a layout holds no secrets itself. */
        bool secret =
            (w->main_secret &&
             !(w->dialect == XPORTA_DIALECT_EJABBERD || w->workdir)) ||
            (w->flags & XPORTA_PIE_PRIVATE);
        st = xp_afile_finish(&w->main, secret, &w->err);
        if (st != XPORTA_OK)
            return st;
        for (size_t i = 0; i < w->ndone; i++) {
            st = xp_afile_publish(&w->done[i], &w->err);
            if (st != XPORTA_OK)
                return st;
        }
        st = xp_afile_publish(&w->main, &w->err);
        if (st != XPORTA_OK)
            return st;
    }
    if (w->workdir) {
        st = pie_w_sync_workdir(w);
        if (st != XPORTA_OK)
            return st;
        if (!w->main_secret) {
            mode_t mask = umask(0);
            umask(mask);
            chmod(w->workdir, 0777 & ~mask);
        }
        if (rename(w->workdir, w->path) != 0)
            return xp_fail(&w->err, XPORTA_EIO, "%s: rename: %s", w->path,
                           strerror(errno));
        free(w->workdir);
        w->workdir = NULL;
        w->hold.dir = NULL;
        st = xp_fsync_dir_of(w->path, &w->err);
        if (st != XPORTA_OK)
            return st;
    }
    w->committed = true;
    return XPORTA_OK;
}

const char *xporta_pie_writer_error(const xporta_pie_writer *w)
{
    return w ? xp_err_msg(&w->err) : "";
}

xporta_status pie_writer_status(const xporta_pie_writer *w)
{
    return w && w->err.status != XPORTA_OK ? w->err.status : XPORTA_EIO;
}

uint64_t xporta_pie_writer_bytes(const xporta_pie_writer *w)
{
    return w ? w->bytes : 0;
}

void xporta_pie_writer_free(xporta_pie_writer *w)
{
    if (!w)
        return;
    if (w->half)
        pie_w_half_release(w);
    free(w->ahead);
    pie_w_lazy_free(w);
    if (w->keep_part && !w->committed)
        xp_afile_keep(&w->main);
    else
        xp_afile_abort(&w->main);
    xp_afile_abort(&w->host);
    xp_afile_abort(&w->user);
    for (size_t i = 0; i < w->ndone; i++) {
        if (w->done[i].tmp)
            unlink(w->done[i].tmp);
        xp_afile_abort(&w->done[i]);
    }
    free(w->done);
    for (size_t i = 0; i < w->nparked; i++) {
        xp_afile_abort(&w->parked[i].file);
        free(w->parked[i].jid);
    }
    free(w->parked);
    if (w->workdir && !w->committed)
        xp_remove_tree(w->workdir, 2); /* FILE.xml, HOST/USER.xml */
    free(w->workdir);
    free(w->path);
    free(w->host_jid);
    free(w->items_node);
    xp_buf_cleanup(&w->buf);
    xp_arena_cleanup(&w->arena);
    xp_arena_cleanup(&w->user_arena);
    pie_hold_cleanup(&w->hold);
    xp_set_cleanup(&w->users);
    pie_w_room_free(w);
    free(w);
}
