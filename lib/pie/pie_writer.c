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
 * Layouts.  The standard dialect writes one file, or with XPORTA_PIE_SPLIT
 * the XInclude layout suggested by XEP-0227 §5.  Prosody's is a directory of
 * USER@HOST.xml documents.  ejabberd's is a main file including one host
 * file each.  Directories are built under a temporary name and renamed into
 * place at commit; files get temporary names and are renamed at commit.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pie.h"
#include "pie_p.h"

enum { MAX_PENDING_FILES = 4096 };
#define XP_ASCII_UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

struct pie_half;
struct pie_ahead;
struct pie_lazy;
static xporta_status commit_user_file(xporta_pie_writer *w);
static xporta_status sync_workdir(xporta_pie_writer *w);
static void half_release(xporta_pie_writer *w);
static void drop_ahead(xporta_pie_writer *w);
static void lazy_free(xporta_pie_writer *w);

struct held {
    xporta_record rec;
    struct held *next;
};

/* A host file (split and ejabberd layouts) whose host may continue in a
 * later input: kept unfinished, without its descriptor, until commit. */
struct parked_host {
    char *jid;
    struct xp_afile file;
    bool secret;
};

struct xporta_pie_writer {
    xporta_dialect dialect;
    unsigned flags;
    struct xp_err err;
    char *path;    /* final path */
    char *workdir; /* directory outputs: built here, renamed at commit */
    bool committed;
    uint64_t bytes;

    struct xp_afile main; /* standard single file; split/ejabberd main */
    struct xp_afile host; /* split and ejabberd: the current host's file */
    struct xp_afile user; /* split and Prosody: the current user's file */
    struct xp_afile *out; /* where the current user's data goes */
    bool main_secret, host_secret, user_secret;

    /* Host files finished but not yet renamed (ejabberd layout). */
    struct xp_afile *done;
    size_t ndone, capdone;
    /* Host files not yet closed: a host met again continues its file. */
    struct parked_host *parked;
    size_t nparked, capparked;

    struct xp_buf buf;
    struct xp_arena arena;      /* per record */
    struct xp_arena user_arena; /* held data of the current user */
    char *host_jid;
    char *user_name;
    xp_elem *user_attrs;
    bool in_host, in_user, user_started;
    struct held *creds, **creds_tail;
    struct held *pep, **pep_tail;
    size_t pep_bytes;
    struct held *blocks, **blocks_tail;
    bool privacy_default_seen;
    struct pie_hold hold; /* Prosody: the user's records by container */

    /* Open containers under <user>. */
    const char *cont_ns;
    const char *cont_name;
    char *items_node;
    /* Containers already closed for this user (Prosody reads only the first
     * of each): bit per kind. */
    uint32_t closed_kinds;
    xporta_kind cont_kind;

    struct xp_set users;   /* user@host written so far: no duplicates */
    bool keep_part;        /* pie_writer_keep_part */
    struct pie_half *half; /* a second half's writer (xporta_pie_writer_fork) */
    struct pie_ahead *ahead; /* xporta_pie_writer_join_ahead */
    struct pie_lazy *lazy;   /* user files not synced yet */

    xporta_diag_cb diag;
    void *diag_ud;
};

/* ---- output helpers -------------------------------------------------------
 */

static const char *indent(const xporta_pie_writer *w, int level)
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
static xporta_status flush_buf(xporta_pie_writer *w, struct xp_afile *f)
{
    xporta_status st =
        xp_afile_write(f, w->buf.data ? w->buf.data : "", w->buf.len, &w->err);
    w->bytes += w->buf.len;
    xp_buf_reset(&w->buf);
    return st;
}

static xporta_status emit(xporta_pie_writer *w, struct xp_afile *f,
                          const char *fmt, ...) XP_PRINTF(3, 4);
static xporta_status emit(xporta_pie_writer *w, struct xp_afile *f,
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

static xporta_status emit_attr(xporta_pie_writer *w, struct xp_afile *f,
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
    return flush_buf(w, f);
}

static void note(xporta_pie_writer *w, xporta_severity sev, const char *fmt,
                 ...) XP_PRINTF(3, 4);
static void note(xporta_pie_writer *w, xporta_severity sev, const char *fmt,
                 ...)
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

/* File names made of JID parts: anything but [A-Za-z0-9._@-] becomes %XX,
 * which is also a valid URI escape for the href that names the file. */
static char *safe_name(const char *a, const char *sep, const char *b,
                       const char *suffix)
{
    struct xp_buf out;
    xp_buf_init(&out, 4096);
    const char *parts[] = {a, sep, b, suffix};
    for (size_t i = 0; i < 4; i++) {
        if (!parts[i])
            continue;
        bool literal = i == 1 || i == 3;
        for (const char *p = parts[i]; *p; p++) {
            unsigned char c = (unsigned char)*p;
            bool ok = literal || (c >= 'a' && c <= 'z') ||
                      (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '@' || c == '-';
            /* A leading dot would hide the file (or be "." / ".."). */
            if (!literal && p == parts[i] && c == '.')
                ok = false;
            xporta_status st = ok ? xp_buf_addc(&out, (char)c)
                                  : xp_buf_printf(&out, "%%%02X", c);
            if (st != XPORTA_OK) {
                xp_buf_cleanup(&out);
                return NULL;
            }
        }
    }
    return xp_buf_take(&out);
}

/* ---- containers ------------------------------------------------------------
 */

static xporta_status close_items(xporta_pie_writer *w)
{
    if (!w->items_node)
        return XPORTA_OK;
    free(w->items_node);
    w->items_node = NULL;
    return emit(w, w->out, "%s</items>", indent(w, 4));
}

static xporta_status close_container(xporta_pie_writer *w)
{
    xporta_status st = close_items(w);
    if (st != XPORTA_OK || !w->cont_name)
        return st;
    st = emit(w, w->out, "%s</%s>", indent(w, 3), w->cont_name);
    w->closed_kinds |= 1u << w->cont_kind;
    w->cont_ns = w->cont_name = NULL;
    return st;
}

static xporta_status open_container(xporta_pie_writer *w, xporta_kind kind,
                                    const char *ns, const char *name)
{
    if (w->cont_name && strcmp(w->cont_ns, ns) == 0 &&
        strcmp(w->cont_name, name) == 0)
        return XPORTA_OK;
    xporta_status st = close_container(w);
    if (st != XPORTA_OK)
        return st;
    if (w->dialect == XPORTA_DIALECT_PROSODY && kind != XPORTA_KIND_OTHER &&
        (w->closed_kinds & 1u << kind))
        return xp_fail(&w->err, XPORTA_EINVAL,
                       "%s@%s: %s records are not consecutive; Prosody reads "
                       "only the first <%s xmlns='%s'> of a user",
                       w->user_name, w->host_jid, xporta_kind_name(kind), name,
                       ns);
    st = emit(w, w->out, "%s<%s xmlns='%s'>", indent(w, 3), name, ns);
    w->cont_ns = ns;
    w->cont_name = name;
    w->cont_kind = kind;
    return st;
}

static xporta_status write_elem(xporta_pie_writer *w, const xp_elem *e,
                                int level, const char *scope_ns)
{
    xp_buf_reset(&w->buf);
    xporta_status st = xp_buf_adds(&w->buf, indent(w, level));
    if (st == XPORTA_OK)
        st = xp_elem_serialize(&w->buf, e, scope_ns);
    if (st != XPORTA_OK)
        return xp_fail(&w->err, st, "cannot serialise a record: %s",
                       xporta_strerror(st));
    return flush_buf(w, w->out);
}

/* ---- user start (held until the first non-credential record) ------------ */

static xporta_status hold(xporta_pie_writer *w, struct held ***tail,
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

static xporta_status start_user_tag(xporta_pie_writer *w)
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
        note(w, XPORTA_NOTE,
             "%s@%s: plaintext password left out (ejabberd 23.01 crashes on "
             "a user with both a password and SCRAM)",
             w->user_name, w->host_jid);
        password = NULL;
    }
    bool own_file = w->out == &w->user && w->dialect == XPORTA_DIALECT_STANDARD;
    st = emit(w, w->out, "%s<user", own_file ? "" : indent(w, 2));
    if (st == XPORTA_OK && own_file)
        st = emit(w, w->out, " xmlns='" XP_NS_PIE "'");
    if (st == XPORTA_OK)
        st = emit_attr(w, w->out, "name", w->user_name);
    if (st == XPORTA_OK && password)
        st = emit_attr(w, w->out, "password", password);
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
        st = emit(w, w->out, ">");
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
                note(w, XPORTA_WARNING,
                     "%s@%s: %s credentials left out (ejabberd 23.01 accepts "
                     "only SCRAM-SHA-1, -256 and -512)",
                     w->user_name, w->host_jid, m ? m : "unnamed");
                continue;
            }
            e = pie_scram_double(&w->arena, e);
            if (!e)
                return xp_fail(&w->err, XPORTA_ENOMEM, "out of memory");
        }
        st = write_elem(w, e, 3, XP_NS_PIE);
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

static void afile_zero(struct xp_afile *f)
{
    memset(f, 0, sizeof *f);
    f->fd = -1;
}

static bool afile_open(const struct xp_afile *f)
{
    return f->fd >= 0;
}

static xporta_status make_workdir(xporta_pie_writer *w)
{
    struct stat sb;
    if (lstat(w->path, &sb) == 0) {
        if (!S_ISDIR(sb.st_mode))
            return xp_fail(&w->err, XPORTA_EINVAL,
                           "%s exists and is not a directory", w->path);
        if (rmdir(w->path) != 0) {
            if (errno == ENOTEMPTY || errno == EEXIST)
                return xp_fail(&w->err, XPORTA_EINVAL,
                               "%s exists and is not empty; choose a new "
                               "directory",
                               w->path);
        } else if (mkdir(w->path, 0700) != 0) {
            /* Recreated at once: we only needed to know it was empty. */
        }
    }
    size_t n = strlen(w->path);
    w->workdir = malloc(n + sizeof ".tmp-XXXXXX");
    if (!w->workdir)
        return xp_fail(&w->err, XPORTA_ENOMEM, "out of memory");
    memcpy(w->workdir, w->path, n);
    memcpy(w->workdir + n, ".tmp-XXXXXX", sizeof ".tmp-XXXXXX");
    if (!mkdtemp(w->workdir)) {
        int e = errno;
        free(w->workdir);
        w->workdir = NULL;
        return xp_fail(&w->err, XPORTA_EIO, "%s: cannot create: %s", w->path,
                       strerror(e));
    }
    return XPORTA_OK;
}

static xporta_status check_ok(xporta_pie_writer *w);

static xporta_pie_writer *writer_alloc(const char *path, xporta_dialect dialect,
                                       unsigned flags)
{
    xporta_pie_writer *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->dialect = dialect;
    w->flags = flags;
    xp_err_clear(&w->err);
    afile_zero(&w->main);
    afile_zero(&w->host);
    afile_zero(&w->user);
    xp_buf_init(&w->buf, (size_t)XP_MAX_RECORD_BYTES * 8);
    xp_arena_init(&w->arena, 0);
    xp_arena_init(&w->user_arena, XP_MAX_USER_SMALL_BYTES * 4);
    pie_hold_init(&w->hold, NULL);
    w->creds_tail = &w->creds;
    w->pep_tail = &w->pep;
    w->blocks_tail = &w->blocks;
    xp_set_init(&w->users, 0);
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
        writer_alloc(path, XPORTA_DIALECT_STANDARD, flags & ~XPORTA_PIE_SPLIT);
    if (!w)
        return XPORTA_ENOMEM;
    *out = w;
    xporta_status st = xp_afile_open_part(
        &w->main, path, part, resume ? (long long)resume->offset : -1, &w->err);
    if (st != XPORTA_OK)
        return st;
    if (!resume)
        return emit(w, &w->main,
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
    xporta_status st = xp_buf_adds(out, indent(w, 4));
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
    st = start_user_tag(w);
    if (st == XPORTA_OK)
        st = open_container(w, kind, ki->container_ns, ki->container_name);
    if (st == XPORTA_OK)
        st = close_items(w);
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
    xporta_pie_writer *w = writer_alloc(path, dialect, flags);
    if (!w)
        return XPORTA_ENOMEM;
    *out = w;

    bool dir =
        dialect == XPORTA_DIALECT_PROSODY ||
        (dialect == XPORTA_DIALECT_STANDARD && (flags & XPORTA_PIE_SPLIT));
    if (dir) {
        xporta_status st = make_workdir(w);
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
        return emit(w, &w->main,
                    "<?xml version='1.0' encoding='UTF-8'?>\n<server-data "
                    "xmlns='" XP_NS_PIE "' xmlns:xi='" XP_NS_XINCLUDE "'>");
    }
    xporta_status st = xp_afile_open(&w->main, path, &w->err);
    if (st != XPORTA_OK)
        return st;
    if (dialect == XPORTA_DIALECT_EJABBERD)
        return emit(w, &w->main,
                    "<?xml version='1.0' encoding='UTF-8'?>\n<server-data "
                    "xmlns='" XP_NS_PIE "' xmlns:xi='" XP_NS_XINCLUDE "'>");
    return emit(w, &w->main,
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
        drop_ahead(w);
    return w->err.status;
}

xporta_status xporta_pie_writer_begin_host(xporta_pie_writer *w,
                                           const char *jid)
{
    xporta_status st = check_ok(w);
    if (st != XPORTA_OK)
        return st;
    if (!jid || w->in_host)
        return xp_fail(&w->err, XPORTA_EINVAL,
                       w->in_host ? "host %s begun inside host %s"
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
            st = emit(w, &w->main, "%s<host", indent(w, 1));
            if (st == XPORTA_OK)
                st = emit_attr(w, &w->main, "jid", jid);
            return st == XPORTA_OK ? emit(w, &w->main, ">") : st;
        }
        break;
    case XPORTA_DIALECT_EJABBERD:
        break;
    }
    /* A host met before (inputs merged in any order) continues its file:
     * a second file of the same name would replace the first. */
    for (size_t i = 0; i < w->nparked; i++) {
        if (strcmp(w->parked[i].jid, jid) != 0)
            continue;
        w->host = w->parked[i].file;
        w->host_secret = w->parked[i].secret;
        free(w->parked[i].jid);
        w->parked[i] = w->parked[--w->nparked];
        return xp_afile_resume(&w->host, &w->err);
    }
    /* A file of its own for the host, included from the main file. */
    char *name;
    char *hostpath;
    if (w->dialect == XPORTA_DIALECT_EJABBERD) {
        /* ejabberd names them MAIN_example_com.xml beside the main file. */
        const char *base = strrchr(w->path, '/');
        base = base ? base + 1 : w->path;
        size_t bl = strlen(base);
        if (bl > 4 && strcmp(base + bl - 4, ".xml") == 0)
            bl -= 4;
        char *stem = xp_strndup(base, bl);
        char *h = xp_strdup(jid);
        for (char *p = h; p && *p; p++)
            if (*p == '.')
                *p = '_';
        name = stem && h ? safe_name(stem, "_", h, ".xml") : NULL;
        free(stem);
        free(h);
        char *dir = xp_path_dir(w->path);
        hostpath = dir && name ? xp_path_join(dir, name) : NULL;
        free(dir);
    } else {
        name = safe_name(jid, NULL, NULL, ".xml");
        hostpath = name ? xp_path_join(w->workdir, name) : NULL;
    }
    if (!name || !hostpath) {
        free(name);
        free(hostpath);
        return xp_fail(&w->err, XPORTA_ENOMEM, "out of memory");
    }
    if (w->dialect == XPORTA_DIALECT_EJABBERD &&
        !(w->flags & XPORTA_PIE_REPLACE) && access(hostpath, F_OK) == 0) {
        st = xp_fail(&w->err, XPORTA_EINVAL,
                     "%s exists; use --force (XPORTA_PIE_REPLACE) to replace "
                     "it",
                     hostpath);
        free(name);
        free(hostpath);
        return st;
    }
    st = emit(w, &w->main, "%s<xi:include", indent(w, 1));
    if (st == XPORTA_OK)
        st = emit_attr(w, &w->main, "href", name);
    if (st == XPORTA_OK)
        st = emit(w, &w->main, "/>");
    free(name);
    if (st == XPORTA_OK)
        st = xp_afile_open(&w->host, hostpath, &w->err);
    free(hostpath);
    if (st == XPORTA_OK)
        st = emit(
            w, &w->host,
            "<?xml version='1.0' encoding='UTF-8'?>\n<host xmlns='" XP_NS_PIE
            "' xmlns:xi='" XP_NS_XINCLUDE "'");
    if (st == XPORTA_OK)
        st = emit_attr(w, &w->host, "jid", jid);
    if (st == XPORTA_OK)
        st = emit(w, &w->host, ">");
    w->host_secret = false;
    return st;
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
        note(w, XPORTA_WARNING,
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
    char *file;
    if (w->dialect == XPORTA_DIALECT_PROSODY) {
        /* mod_storage_xep0227 opens jid_join(user, host)..".xml" and lists
         * users as the file names' text before the first '@', both as they
         * are: no escaping (datamanager's %xx is its own storage's). */
        char *fname =
            xp_arena_printf(&w->arena, "%s@%s.xml", name, w->host_jid);
        file = fname ? xp_path_join(w->workdir, fname) : NULL;
    } else {
        char *hdir = safe_name(w->host_jid, NULL, NULL, NULL);
        char *uname = safe_name(name, NULL, NULL, ".xml");
        char *href = hdir && uname ? xp_path_join(hdir, uname) : NULL;
        char *dirpath = hdir ? xp_path_join(w->workdir, hdir) : NULL;
        file = href ? xp_path_join(w->workdir, href) : NULL;
        if (dirpath && mkdir(dirpath, 0700) != 0 && errno != EEXIST)
            st = xp_fail(&w->err, XPORTA_EIO, "%s: mkdir: %s", dirpath,
                         strerror(errno));
        if (st == XPORTA_OK && href) {
            st = emit(w, &w->host, "%s<xi:include", indent(w, 2));
            if (st == XPORTA_OK)
                st = emit_attr(w, &w->host, "href", href);
            if (st == XPORTA_OK)
                st = emit(w, &w->host, "/>");
        }
        free(hdir);
        free(uname);
        free(href);
        free(dirpath);
    }
    if (!file)
        return xp_fail(&w->err, XPORTA_ENOMEM, "out of memory");
    if (st == XPORTA_OK)
        st = xp_afile_open(&w->user, file, &w->err);
    free(file);
    if (st != XPORTA_OK)
        return st;
    w->user_secret = false;
    w->out = &w->user;
    if (w->dialect == XPORTA_DIALECT_PROSODY) {
        st = emit(w, &w->user, "<server-data xmlns='" XP_NS_PIE "'><host");
        if (st == XPORTA_OK)
            st = emit_attr(w, &w->user, "jid", w->host_jid);
        if (st == XPORTA_OK)
            st = emit(w, &w->user, ">");
    } else {
        st = emit(w, &w->user, "<?xml version='1.0' encoding='UTF-8'?>\n");
    }
    return st;
}

static xporta_status write_other(xporta_pie_writer *w, const xporta_record *rec)
{
    const char *c = rec->container;
    if (!c) {
        xporta_status st = close_container(w);
        return st == XPORTA_OK ? write_elem(w, rec->payload, 3, XP_NS_PIE) : st;
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
            xporta_status st = close_items(w);
            if (st == XPORTA_OK)
                st = open_container(w, XPORTA_KIND_OTHER, ki->container_ns,
                                    ki->container_name);
            return st == XPORTA_OK
                       ? write_elem(w, rec->payload, 4, ki->container_ns)
                       : st;
        }
    }
    /* An unknown container: wrap this one record in its own copy. */
    xporta_status st = close_container(w);
    if (st != XPORTA_OK)
        return st;
    xp_elem *wrap = xp_elem_new(&w->arena, ns, name);
    if (!wrap)
        return xp_fail(&w->err, XPORTA_ENOMEM, "out of memory");
    wrap->first = wrap->last = (xp_elem *)rec->payload;
    st = write_elem(w, wrap, 3, XP_NS_PIE);
    return st;
}

static xporta_status write_pep_item(xporta_pie_writer *w,
                                    const xporta_record *rec)
{
    xporta_status st =
        open_container(w, XPORTA_KIND_PEP_ITEM, XP_NS_PUBSUB, "pubsub");
    if (st != XPORTA_OK)
        return st;
    if (!w->items_node || strcmp(w->items_node, rec->key) != 0) {
        st = close_items(w);
        if (st == XPORTA_OK)
            st = emit(w, w->out, "%s<items", indent(w, 4));
        if (st == XPORTA_OK)
            st = emit_attr(w, w->out, "node", rec->key);
        if (st == XPORTA_OK)
            st = emit(w, w->out, ">");
        if (st != XPORTA_OK)
            return st;
        w->items_node = xp_strdup(rec->key);
        if (!w->items_node)
            return xp_fail(&w->err, XPORTA_ENOMEM, "out of memory");
    }
    return write_elem(w, rec->payload, 5, XP_NS_PUBSUB);
}

static xporta_status write_now(xporta_pie_writer *w, const xporta_record *rec)
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
        st = open_container(w, rec->kind, ki->container_ns, ki->container_name);
        if (st == XPORTA_OK)
            st = close_items(w);
        return st == XPORTA_OK ? write_elem(w, payload, 4, ki->container_ns)
                               : st;
    }
    st = close_container(w);
    return st == XPORTA_OK ? write_elem(w, payload, 3, XP_NS_PIE) : st;
}

/* ---- Prosody: one container of each store per user ---------------------- */

/* The groups of records held until the end of a Prosody user, in the order
 * they are written there: direct children of <user> first, then one
 * container each. */
enum {
    HOLD_DIRECT,
    HOLD_ROSTER,
    HOLD_PRIVATE,
    HOLD_PRIVACY,
    HOLD_BLOCKLIST,
    HOLD_OFFLINE,
    HOLD_COUNT
};
static const xporta_kind hold_kind[HOLD_COUNT] = {
    [HOLD_DIRECT] = XPORTA_KIND_OTHER,
    [HOLD_ROSTER] = XPORTA_KIND_ROSTER,
    [HOLD_PRIVATE] = XPORTA_KIND_PRIVATE,
    [HOLD_PRIVACY] = XPORTA_KIND_PRIVACY,
    [HOLD_BLOCKLIST] = XPORTA_KIND_BLOCKLIST,
    [HOLD_OFFLINE] = XPORTA_KIND_OFFLINE,
};

/* The kind whose container an "other" record sat in (it goes back there),
 * or XPORTA_KIND_OTHER for none or an unknown one. */
static xporta_kind container_kind(const char *c)
{
    for (unsigned k = 0; c && k < XPORTA_KIND_COUNT; k++) {
        const struct xp_kind_info *ki = xp_kind_info((xporta_kind)k);
        size_t nl = ki->container_ns ? strlen(ki->container_ns) : 0;
        if (ki->container_ns && c[0] == '{' &&
            strncmp(c + 1, ki->container_ns, nl) == 0 && c[nl + 1] == '}' &&
            strcmp(c + nl + 2, ki->container_name) == 0)
            return (xporta_kind)k;
    }
    return XPORTA_KIND_OTHER;
}

static bool pep_kind(xporta_kind k)
{
    return k == XPORTA_KIND_PEP_NODE || k == XPORTA_KIND_PEP_AFFILIATIONS ||
           k == XPORTA_KIND_PEP_SUBSCRIPTIONS || k == XPORTA_KIND_PEP_ITEM;
}

/* Serialises e at `level` into a group. */
static xporta_status hold_elem(xporta_pie_writer *w, unsigned group,
                               const xp_elem *e, int level, const char *scope)
{
    xp_buf_reset(&w->buf);
    xporta_status st = xp_buf_adds(&w->buf, indent(w, level));
    if (st == XPORTA_OK)
        st = xp_elem_serialize(&w->buf, e, scope);
    if (st != XPORTA_OK)
        return xp_fail(&w->err, st, "cannot serialise a record: %s",
                       xporta_strerror(st));
    st = pie_hold_add(&w->hold, group, w->buf.data, w->buf.len, &w->err);
    xp_buf_reset(&w->buf);
    return st;
}

/* Where a record of a Prosody user goes: the archive (and what sat in it)
 * straight out, PEP with the PEP data, anything else into its group. */
static xporta_status prosody_write(xporta_pie_writer *w,
                                   const xporta_record *rec)
{
    xporta_kind where = rec->kind;
    if (rec->kind == XPORTA_KIND_OTHER)
        where = container_kind(rec->container);
    if (pep_kind(where))
        return hold(w, &w->pep_tail, rec);
    xporta_status st;
    if (where == XPORTA_KIND_ARCHIVE) {
        st = start_user_tag(w);
        if (st != XPORTA_OK || rec->kind == XPORTA_KIND_ARCHIVE)
            return st == XPORTA_OK ? write_now(w, rec) : st;
        st = open_container(w, XPORTA_KIND_ARCHIVE, XP_NS_PIE_MAM, "archive");
        return st == XPORTA_OK ? write_elem(w, rec->payload, 4, XP_NS_PIE_MAM)
                               : st;
    }
    for (unsigned g = HOLD_DIRECT + 1; g < HOLD_COUNT; g++) {
        if (hold_kind[g] != where)
            continue;
        const struct xp_kind_info *ki = xp_kind_info(where);
        return hold_elem(w, g, rec->payload, 4, ki->container_ns);
    }
    /* A direct child of <user>: vCard, pending presence, MAM preferences,
     * credentials after the archive began, an unknown element (one in an
     * unknown container in a copy of it). */
    const xp_elem *e = rec->payload;
    if (rec->kind == XPORTA_KIND_CREDENTIALS)
        w->user_secret = true;
    if (rec->kind == XPORTA_KIND_OTHER && rec->container) {
        const char *c = rec->container;
        const char *close = c[0] == '{' ? strchr(c, '}') : NULL;
        if (!close)
            return xp_fail(&w->err, XPORTA_EINVAL, "bad container name '%s'",
                           c);
        const char *ns =
            xp_arena_strndup(&w->arena, c + 1, (size_t)(close - c - 1));
        xp_elem *wrap = ns ? xp_elem_new(&w->arena, ns, close + 1) : NULL;
        if (!wrap)
            return xp_fail(&w->err, XPORTA_ENOMEM, "out of memory");
        wrap->first = wrap->last = (xp_elem *)rec->payload;
        e = wrap;
    }
    return hold_elem(w, HOLD_DIRECT, e, 3, XP_NS_PIE);
}

/* Prosody: the held groups, each in one container. */
static xporta_status flush_prosody_groups(xporta_pie_writer *w)
{
    xporta_status st = close_container(w);
    for (unsigned g = 0; st == XPORTA_OK && g < HOLD_COUNT; g++) {
        uint64_t n = pie_hold_size(&w->hold, g);
        if (n == 0)
            continue;
        const struct xp_kind_info *ki = xp_kind_info(hold_kind[g]);
        if (g != HOLD_DIRECT)
            st = emit(w, w->out, "%s<%s xmlns='%s'>", indent(w, 3),
                      ki->container_name, ki->container_ns);
        w->bytes += n;
        if (st == XPORTA_OK)
            st = pie_hold_drain(&w->hold, g, w->out, &w->err);
        if (st == XPORTA_OK && g != HOLD_DIRECT) {
            st = emit(w, w->out, "%s</%s>", indent(w, 3), ki->container_name);
            w->closed_kinds |= 1u << hold_kind[g];
        }
    }
    return st;
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
    xp_arena_reset(&w->arena);

    if (rec->kind == XPORTA_KIND_CREDENTIALS) {
        if (w->user_started && w->dialect == XPORTA_DIALECT_PROSODY &&
            !xp_elem_is(rec->payload, XP_NS_PIE, "password"))
            return prosody_write(w, rec);
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
            st = close_container(w);
            if (st == XPORTA_OK)
                st = write_elem(w, e, 3, XP_NS_PIE);
            if (w->out == &w->user)
                w->user_secret = true;
            else if (w->out == &w->host)
                w->host_secret = true;
            else
                w->main_secret = true;
            return st;
        }
        return hold(w, &w->creds_tail, rec);
    }
    if (w->dialect == XPORTA_DIALECT_PROSODY)
        return prosody_write(w, rec);
    if (w->dialect == XPORTA_DIALECT_EJABBERD &&
        rec->kind == XPORTA_KIND_BLOCKLIST)
        return hold(w, &w->blocks_tail, rec);
    if (rec->kind == XPORTA_KIND_PRIVACY && xp_streq(rec->key, "default"))
        w->privacy_default_seen = true;

    st = start_user_tag(w);
    if (st != XPORTA_OK)
        return st;
    return write_now(w, rec);
}

xporta_status xporta_pie_writer_write_extra(xporta_pie_writer *w,
                                            const xporta_elem *e)
{
    xporta_status st = check_ok(w);
    if (st != XPORTA_OK)
        return st;
    if (!e || w->in_user)
        return xp_fail(&w->err, XPORTA_EINVAL, "extra element inside a user");
    if (w->dialect == XPORTA_DIALECT_PROSODY)
        return XPORTA_OK; /* no place for it: one document per user */
    struct xp_afile *f = &w->main;
    int level = 1;
    if (w->in_host) {
        level = 2;
        if (afile_open(&w->host))
            f = &w->host;
    }
    xp_buf_reset(&w->buf);
    st = xp_buf_adds(&w->buf, indent(w, level));
    if (st == XPORTA_OK)
        st = xp_elem_serialize(&w->buf, e, XP_NS_PIE);
    if (st != XPORTA_OK)
        return xp_fail(&w->err, st, "cannot serialise an element");
    return flush_buf(w, f);
}

/* A held PEP record's pubsub element: the owner's (configuration,
 * affiliations, subscriptions, what else sat there) or the items'. */
static bool in_owner_pubsub(const struct held *h)
{
    xporta_kind k = h->rec.kind == XPORTA_KIND_OTHER
                        ? container_kind(h->rec.container)
                        : h->rec.kind;
    return k != XPORTA_KIND_PEP_ITEM;
}

/* Prosody: both pubsub elements whole, with an <items/> for every node. */
static xporta_status flush_prosody_pep(xporta_pie_writer *w)
{
    xporta_status st = XPORTA_OK;
    bool any_owner = false;
    for (struct held *h = w->pep; h; h = h->next)
        if (in_owner_pubsub(h))
            any_owner = true;
    if (!w->pep)
        return XPORTA_OK;
    st = close_container(w);
    if (any_owner) {
        st = open_container(w, XPORTA_KIND_PEP_NODE, XP_NS_PUBSUB_OWNER,
                            "pubsub");
        for (struct held *h = w->pep; st == XPORTA_OK && h; h = h->next)
            if (in_owner_pubsub(h))
                st = write_elem(w, h->rec.payload, 4, XP_NS_PUBSUB_OWNER);
        if (st == XPORTA_OK)
            st = close_container(w);
    }
    if (st != XPORTA_OK)
        return st;
    st = open_container(w, XPORTA_KIND_PEP_ITEM, XP_NS_PUBSUB, "pubsub");
    /* Items grouped by node, in first-seen order; configured nodes without
     * items get an empty <items/> (Prosody's migrator asserts otherwise).
     * What else sat in an <items> follows, in its own copy of it. */
    for (struct held *n = w->pep; st == XPORTA_OK && n; n = n->next) {
        const char *node = n->rec.key;
        bool first = n->rec.kind != XPORTA_KIND_OTHER;
        for (struct held *p = w->pep; first && p != n; p = p->next)
            if (p->rec.kind != XPORTA_KIND_OTHER && xp_streq(p->rec.key, node))
                first = false;
        if (!first)
            continue;
        st = emit(w, w->out, "%s<items", indent(w, 4));
        if (st == XPORTA_OK)
            st = emit_attr(w, w->out, "node", node);
        if (st == XPORTA_OK)
            st = emit(w, w->out, ">");
        for (struct held *i = n; st == XPORTA_OK && i; i = i->next)
            if (i->rec.kind == XPORTA_KIND_PEP_ITEM &&
                xp_streq(i->rec.key, node))
                st = write_elem(w, i->rec.payload, 5, XP_NS_PUBSUB);
        if (st == XPORTA_OK)
            st = emit(w, w->out, "%s</items>", indent(w, 4));
    }
    for (struct held *h = w->pep; st == XPORTA_OK && h; h = h->next)
        if (!in_owner_pubsub(h) && h->rec.kind == XPORTA_KIND_OTHER)
            st = write_elem(w, h->rec.payload, 4, XP_NS_PUBSUB);
    return st == XPORTA_OK ? close_container(w) : st;
}

/* ejabberd: the blocklist as the privacy list its mod_blocking keeps. */
static xporta_status flush_ejabberd_blocks(xporta_pie_writer *w)
{
    if (!w->blocks)
        return XPORTA_OK;
    xporta_status st = close_container(w);
    if (st == XPORTA_OK)
        st = emit(w, w->out, "%s<query xmlns='" XP_NS_PRIVACY "'>",
                  indent(w, 3));
    if (st == XPORTA_OK && !w->privacy_default_seen)
        st = emit(w, w->out, "%s<default name='" XP_EJABBERD_BLOCKLIST "'/>",
                  indent(w, 4));
    if (st == XPORTA_OK)
        st = emit(w, w->out, "%s<list name='" XP_EJABBERD_BLOCKLIST "'>",
                  indent(w, 4));
    unsigned order = 0;
    for (struct held *h = w->blocks; st == XPORTA_OK && h; h = h->next) {
        const char *jid = xp_elem_attr_ns(h->rec.payload, "", "jid");
        if (!jid)
            continue;
        st = emit(w, w->out, "%s<item", indent(w, 5));
        if (st == XPORTA_OK)
            st = emit_attr(w, w->out, "value", jid);
        if (st == XPORTA_OK)
            st = emit(w, w->out, " type='jid' order='%u' action='deny'/>",
                      order++);
    }
    if (st == XPORTA_OK)
        st = emit(w, w->out, "%s</list>%s</query>", indent(w, 4), indent(w, 3));
    return st;
}

xporta_status xporta_pie_writer_end_user(xporta_pie_writer *w)
{
    xporta_status st = check_ok(w);
    if (st != XPORTA_OK)
        return st;
    if (!w->in_user)
        return xp_fail(&w->err, XPORTA_EINVAL, "end of a user never begun");
    st = start_user_tag(w);
    if (st == XPORTA_OK && w->dialect == XPORTA_DIALECT_PROSODY)
        st = flush_prosody_groups(w);
    if (st == XPORTA_OK && w->dialect == XPORTA_DIALECT_PROSODY)
        st = flush_prosody_pep(w);
    if (st == XPORTA_OK && w->dialect == XPORTA_DIALECT_EJABBERD)
        st = flush_ejabberd_blocks(w);
    if (st == XPORTA_OK && w->dialect == XPORTA_DIALECT_PROSODY &&
        !(w->closed_kinds & 1u << XPORTA_KIND_ARCHIVE) &&
        !(w->cont_name && w->cont_kind == XPORTA_KIND_ARCHIVE)) {
        /* Prosody's migrator asserts on a user without an archive. */
        st = close_container(w);
        if (st == XPORTA_OK)
            st = emit(w, w->out, "%s<archive xmlns='" XP_NS_PIE_MAM "'/>",
                      indent(w, 3));
    }
    if (st == XPORTA_OK)
        st = close_container(w);
    if (st == XPORTA_OK)
        st = emit(w, w->out, "%s</user>", indent(w, 2));
    if (st != XPORTA_OK)
        return st;
    w->in_user = false;
    if (w->out == &w->user) {
        if (w->dialect == XPORTA_DIALECT_PROSODY)
            st = emit(w, &w->user, "</host></server-data>\n");
        else
            st = emit(w, &w->user, "\n");
        /* Inside the working directory: visible only after commit. */
        if (st == XPORTA_OK)
            st = commit_user_file(w);
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
    if (!afile_open(&w->host))
        return emit(w, &w->main, "%s</host>", indent(w, 1));
    /* Closed at commit: a later input may continue this host. */
    if (w->nparked == w->capparked) {
        size_t cap = w->capparked ? w->capparked * 2 : 4;
        if (cap > MAX_PENDING_FILES)
            return xp_fail(&w->err, XPORTA_ETOOBIG, "too many hosts");
        struct parked_host *p = realloc(w->parked, cap * sizeof *p);
        if (!p)
            return xp_fail(&w->err, XPORTA_ENOMEM, "out of memory");
        w->parked = p;
        w->capparked = cap;
    }
    struct parked_host *p = &w->parked[w->nparked];
    p->jid = xp_strdup(w->host_jid);
    if (!p->jid)
        return xp_fail(&w->err, XPORTA_ENOMEM, "out of memory");
    st = xp_afile_suspend(&w->host, &w->err);
    p->file = w->host;
    p->secret = w->host_secret;
    w->nparked++;
    afile_zero(&w->host);
    if (w->host_secret)
        w->main_secret = true;
    return st;
}

/* Ends a host file parked by end_host: ejabberd's are renamed at commit
 * with the main file, split ones now (inside the working directory). */
static xporta_status close_host_file(xporta_pie_writer *w)
{
    xporta_status st = emit(w, &w->host, "\n</host>\n");
    if (st != XPORTA_OK)
        return st;
    if (w->dialect == XPORTA_DIALECT_EJABBERD) {
        /* Renamed at commit, with the main file. */
        if (w->ndone == w->capdone) {
            size_t cap = w->capdone ? w->capdone * 2 : 4;
            if (cap > MAX_PENDING_FILES)
                return xp_fail(&w->err, XPORTA_ETOOBIG, "too many hosts");
            struct xp_afile *d = realloc(w->done, cap * sizeof *d);
            if (!d)
                return xp_fail(&w->err, XPORTA_ENOMEM, "out of memory");
            w->done = d;
            w->capdone = cap;
        }
        st = xp_afile_finish(&w->host, w->host_secret, &w->err);
        if (w->host_secret)
            w->main_secret = true;
        w->done[w->ndone++] = w->host;
        afile_zero(&w->host);
        return st;
    }
    st = xp_afile_commit(&w->host, w->host_secret, &w->err);
    if (w->host_secret)
        w->main_secret = true;
    afile_zero(&w->host);
    return st;
}

xporta_status xporta_pie_writer_commit(xporta_pie_writer *w)
{
    xporta_status st = check_ok(w);
    if (st != XPORTA_OK)
        return st;
    if (w->half)
        return xp_fail(&w->err, XPORTA_EINVAL, "a second half is joined");
    if (w->in_user || w->in_host)
        return xp_fail(&w->err, XPORTA_EINVAL, "commit with a %s still open",
                       w->in_user ? "user" : "host");
    while (w->nparked > 0) {
        struct parked_host *p = &w->parked[--w->nparked];
        w->host = p->file;
        w->host_secret = p->secret;
        free(p->jid);
        afile_zero(&p->file);
        st = xp_afile_resume(&w->host, &w->err);
        if (st == XPORTA_OK)
            st = close_host_file(w);
        if (st != XPORTA_OK)
            return st;
    }
    if (afile_open(&w->main)) {
        st = emit(w, &w->main, "\n</server-data>\n");
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
        st = sync_workdir(w);
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
        half_release(w);
    free(w->ahead);
    lazy_free(w);
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
    free(w);
}

/* ---- a second writer for a file's second half -----------------------------
 *
 * convert on two cores (the pass of pie_pass.c) gives the second half of a
 * file its own writer, forked before anything is read: it stands where the
 * first writer will be between two users of one host, and writes into parts
 * of its own (a temporary file for what goes into the main file, one for
 * the rest of that host's file) and into user files of its own (Prosody,
 * the split layout), published only under names nothing has yet.  When the
 * first half reaches the split, xporta_pie_writer_can_join() proves that
 * the first writer is where the second began and that their output cannot
 * clash (the same user, a host file of the same name); then
 * xporta_pie_writer_join() appends the parts in order and takes over the
 * rest.  Freed without a join, the second writer removes what it made.
 */

struct half_file {
    char *path;
    uint64_t ino;
};
/* A second half that would publish more user files gives up (its list
 * stays a few MiB): the first thread then reads on alone. */
enum { MAX_HALF_FILES = 1 << 16 };

struct pie_half {
    char *host;              /* where it began: the first writer's host */
    struct half_file *files; /* published user files */
    size_t nfiles, capfiles;
    bool joined;
    /* The parts (temporary names) and their lengths on disk, published
     * for xporta_pie_writer_join_ahead on the first writer's thread. */
    char *main_part, *cont_part;
    _Atomic uint64_t main_flushed, cont_flushed;
};

/* The first writer's copy, made ahead, of the beginning of the second's
 * big part: `done` bytes appended to `to` from its length `base`. */
struct pie_ahead {
    const struct pie_half *from; /* only compared */
    struct xp_afile *to;
    uint64_t base, done;
};

static bool host_files(const xporta_pie_writer *w)
{
    return w->dialect == XPORTA_DIALECT_EJABBERD ||
           (w->dialect == XPORTA_DIALECT_STANDARD &&
            (w->flags & XPORTA_PIE_SPLIT));
}

/* A part: a temporary file beside the output (inside it when it is a
 * directory), never published. */
static xporta_status open_part(xporta_pie_writer *w, const xporta_pie_writer *a,
                               struct xp_afile *f)
{
    char *base =
        a->workdir ? xp_path_join(a->workdir, ".part") : xp_strdup(a->path);
    if (!base)
        return xp_fail(&w->err, XPORTA_ENOMEM, "out of memory");
    xporta_status st = xp_afile_open(f, base, &w->err);
    free(base);
    return st;
}

xporta_status xporta_pie_writer_fork(xporta_pie_writer *w, const char *host,
                                     xporta_pie_writer **out)
{
    if (!w || !host || !out || w->half || w->committed || w->keep_part)
        return XPORTA_EINVAL;
    *out = NULL;
    if (w->ahead)
        drop_ahead(w); /* for a second half that was not joined */
    xporta_pie_writer *b = writer_alloc(w->path, w->dialect, w->flags);
    if (!b)
        return XPORTA_ENOMEM;
    b->half = calloc(1, sizeof *b->half);
    b->host_jid = xp_strdup(host);
    if (b->half)
        b->half->host = xp_strdup(host);
    if (w->workdir)
        b->workdir = xp_strdup(w->workdir);
    if (!b->half || !b->half->host || !b->host_jid ||
        (w->workdir && !b->workdir)) {
        xporta_pie_writer_free(b);
        return XPORTA_ENOMEM;
    }
    b->hold.dir = b->workdir; /* a large group spills there (pie_hold.c) */
    b->in_host = true;
    b->diag = w->diag;
    b->diag_ud = w->diag_ud;
    xporta_status st = XPORTA_OK;
    atomic_init(&b->half->main_flushed, 0);
    atomic_init(&b->half->cont_flushed, 0);
    if (w->dialect != XPORTA_DIALECT_PROSODY) {
        st = open_part(b, w, &b->main);
        b->main.flushed = &b->half->main_flushed;
        if (st == XPORTA_OK && !(b->half->main_part = xp_strdup(b->main.tmp)))
            st = XPORTA_ENOMEM;
    }
    if (st == XPORTA_OK && host_files(w)) {
        st = open_part(b, w, &b->host);
        b->host.flushed = &b->half->cont_flushed;
        if (st == XPORTA_OK && !(b->half->cont_part = xp_strdup(b->host.tmp)))
            st = XPORTA_ENOMEM;
    }
    if (st != XPORTA_OK) {
        xporta_pie_writer_free(b);
        return st;
    }
    *out = b;
    return XPORTA_OK;
}

/* ---- user files: synced lazily ---------------------------------------------
 *
 * User files (Prosody's, the split layout's) live in the working directory,
 * which appears under the output's name only at commit.  So each is closed
 * with its writeback started, renamed in without waiting, and synced when
 * LAZY_MAX newer ones have followed it (by then it is usually on disk), the
 * rest and the directories at commit, before the rename: the same promise
 * as syncing each at once (nothing appears before all is synced), without
 * two waits for the disk per user.
 */

enum { LAZY_MAX = 64 };

struct pie_lazy {
    int fds[LAZY_MAX]; /* open, to be synced and closed */
    size_t head, n;
};

static int lazy_take(struct pie_lazy *l)
{
    int fd = l->fds[l->head];
    l->head = (l->head + 1) % LAZY_MAX;
    l->n--;
    return fd;
}

static xporta_status lazy_sync_oldest(xporta_pie_writer *w)
{
    int fd = lazy_take(w->lazy);
    int bad = fsync(fd) != 0 ? errno : 0;
    if (close(fd) != 0 && !bad)
        bad = errno;
    if (bad && bad != EINVAL && bad != EROFS)
        return xp_fail(&w->err, XPORTA_EIO, "%s: sync of a user file: %s",
                       w->workdir ? w->workdir : w->path, strerror(bad));
    return XPORTA_OK;
}

/* Takes `fd`. */
static xporta_status lazy_add(xporta_pie_writer *w, int fd)
{
    if (!w->lazy && !(w->lazy = calloc(1, sizeof *w->lazy))) {
        close(fd);
        return xp_fail(&w->err, XPORTA_ENOMEM, "out of memory");
    }
    struct pie_lazy *l = w->lazy;
    xporta_status st = l->n == LAZY_MAX ? lazy_sync_oldest(w) : XPORTA_OK;
    l->fds[(l->head + l->n) % LAZY_MAX] = fd;
    l->n++;
    return st;
}

static void lazy_free(xporta_pie_writer *w)
{
    while (w->lazy && w->lazy->n)
        close(lazy_take(w->lazy));
    free(w->lazy);
    w->lazy = NULL;
}

/* Before the working directory is renamed into place: every user file in
 * it and every directory synced. */
static xporta_status sync_workdir(xporta_pie_writer *w)
{
    xporta_status st = XPORTA_OK;
    while (st == XPORTA_OK && w->lazy && w->lazy->n)
        st = lazy_sync_oldest(w);
    DIR *d = st == XPORTA_OK ? opendir(w->workdir) : NULL;
    for (struct dirent *e; d && st == XPORTA_OK && (e = readdir(d));) {
        struct stat sb;
        char *sub =
            e->d_name[0] != '.' ? xp_path_join(w->workdir, e->d_name) : NULL;
        if (sub && lstat(sub, &sb) == 0 && S_ISDIR(sb.st_mode))
            st = xp_fsync_path(sub, &w->err); /* the split layout's hosts */
        free(sub);
    }
    if (d)
        closedir(d);
    return st == XPORTA_OK ? xp_fsync_path(w->workdir, &w->err) : st;
}

/* A user file is complete.  The second half's are published only where
 * nothing is yet (the first half may have written the same user), and
 * remembered, to be removed if not joined. */
static xporta_status commit_user_file(xporta_pie_writer *w)
{
    struct pie_half *h = w->half;
    int fd = -1;
    xporta_status st =
        xp_afile_finish_lazy(&w->user, w->user_secret, &fd, &w->err);
    if (st == XPORTA_OK && !h) {
        st = xp_afile_publish_lazy(&w->user, &w->err);
    } else if (st == XPORTA_OK) {
        if (h->nfiles == h->capfiles) {
            size_t cap = h->capfiles ? h->capfiles * 2 : 64;
            struct half_file *f = cap <= MAX_HALF_FILES
                                      ? realloc(h->files, cap * sizeof *f)
                                      : NULL;
            if (!f) {
                close(fd);
                return xp_fail(&w->err, XPORTA_ETOOBIG,
                               "too many user files for a second half");
            }
            h->files = f;
            h->capfiles = cap;
        }
        struct half_file *f = &h->files[h->nfiles];
        f->path = xp_strdup(w->user.path);
        st = f->path ? xp_afile_publish_new(&w->user, &f->ino, &w->err)
                     : xp_fail(&w->err, XPORTA_ENOMEM, "out of memory");
        if (st == XPORTA_OK)
            h->nfiles++;
        else
            free(f->path);
    }
    if (st != XPORTA_OK) {
        if (fd >= 0)
            close(fd);
        return st;
    }
    return lazy_add(w, fd);
}

static bool parked_has(const xporta_pie_writer *w, const char *jid)
{
    for (size_t i = 0; i < w->nparked; i++)
        if (strcmp(w->parked[i].jid, jid) == 0)
            return true;
    return false;
}

bool xporta_pie_writer_can_join(const xporta_pie_writer *w,
                                const xporta_pie_writer *second)
{
    const xporta_pie_writer *b = second;
    const struct pie_half *h = b ? b->half : NULL;
    if (!w || !h || w->half || w->committed || w->keep_part ||
        w->err.status != XPORTA_OK || b->err.status != XPORTA_OK ||
        b->in_user || w->dialect != b->dialect || w->flags != b->flags)
        return false;
    /* Where the second began: inside its host, between two users. */
    if (!w->in_host || w->in_user || !w->host_jid ||
        strcmp(w->host_jid, h->host) != 0 ||
        (host_files(w) && !afile_open(&w->host)))
        return false;
    /* Nothing the second wrote may clash with what the first did. */
    for (size_t i = 0; i < b->users.cap; i++)
        if (b->users.slots[i] && xp_set_has(&w->users, b->users.slots[i]))
            return false;
    for (size_t i = 0; i < b->nparked; i++)
        if (strcmp(b->parked[i].jid, h->host) != 0 &&
            parked_has(w, b->parked[i].jid))
            return false;
    if (b->in_host && strcmp(b->host_jid, h->host) != 0 &&
        parked_has(w, b->host_jid))
        return false;
    return true;
}

/* Parks the first writer's current host file, as end_host does. */
static xporta_status park_host(xporta_pie_writer *w)
{
    if (w->nparked == w->capparked) {
        size_t cap = w->capparked ? w->capparked * 2 : 4;
        if (cap > MAX_PENDING_FILES)
            return xp_fail(&w->err, XPORTA_ETOOBIG, "too many hosts");
        struct parked_host *p = realloc(w->parked, cap * sizeof *p);
        if (!p)
            return xp_fail(&w->err, XPORTA_ENOMEM, "out of memory");
        w->parked = p;
        w->capparked = cap;
    }
    struct parked_host *p = &w->parked[w->nparked];
    p->jid = xp_strdup(w->host_jid);
    if (!p->jid)
        return xp_fail(&w->err, XPORTA_ENOMEM, "out of memory");
    xporta_status st = xp_afile_suspend(&w->host, &w->err);
    p->file = w->host;
    p->secret = w->host_secret;
    w->nparked++;
    afile_zero(&w->host);
    return st;
}

/* The host files: the rest of the split host's appended to the first
 * writer's, the second writer's other hosts taken over. */
static xporta_status join_hosts(xporta_pie_writer *w, xporta_pie_writer *b)
{
    const char *split_host = b->half->host;
    struct xp_afile *cont = NULL;
    bool secret = false;
    bool current = b->in_host && strcmp(b->host_jid, split_host) == 0;
    if (current) {
        cont = &b->host;
        secret = b->host_secret;
    }
    for (size_t i = 0; !current && i < b->nparked; i++) {
        if (strcmp(b->parked[i].jid, split_host) == 0) {
            cont = &b->parked[i].file;
            secret = b->parked[i].secret;
        }
    }
    if (!cont)
        return xp_fail(&w->err, XPORTA_EINVAL, "internal: no part for %s",
                       split_host);
    uint64_t skip = w->ahead && w->ahead->to == &w->host ? w->ahead->done : 0;
    xporta_status st = xp_afile_append(&w->host, cont, skip, &w->err);
    xp_afile_abort(cont);
    w->host_secret = w->host_secret || secret;
    if (st == XPORTA_OK && !current) {
        /* The second writer left that host: so does the first. */
        st = park_host(w);
        if (st == XPORTA_OK && b->in_host) {
            w->host = b->host;
            w->host_secret = b->host_secret;
            afile_zero(&b->host);
        }
    }
    for (size_t i = 0; st == XPORTA_OK && i < b->nparked; i++) {
        if (strcmp(b->parked[i].jid, split_host) == 0)
            continue;
        if (w->nparked == w->capparked) {
            size_t cap = w->capparked ? w->capparked * 2 : 4;
            struct parked_host *p = realloc(w->parked, cap * sizeof *p);
            if (!p)
                return xp_fail(&w->err, XPORTA_ENOMEM, "out of memory");
            w->parked = p;
            w->capparked = cap;
        }
        w->parked[w->nparked++] = b->parked[i];
        b->parked[i].jid = NULL;
        afile_zero(&b->parked[i].file);
    }
    return st;
}

xporta_status xporta_pie_writer_join(xporta_pie_writer *w,
                                     xporta_pie_writer *second)
{
    xporta_pie_writer *b = second;
    if (!xporta_pie_writer_can_join(w, b))
        return w ? xp_fail(&w->err, XPORTA_EINVAL, "writers cannot be joined")
                 : XPORTA_EINVAL;
    xporta_status st = XPORTA_OK;
    if (w->ahead && w->ahead->from != b->half)
        drop_ahead(w);
    uint64_t skip = w->ahead && w->ahead->to == &w->main ? w->ahead->done : 0;
    if (afile_open(&b->main))
        st = xp_afile_append(&w->main, &b->main, skip, &w->err);
    xp_afile_abort(&b->main);
    if (st == XPORTA_OK && host_files(w))
        st = join_hosts(w, b);
    free(w->ahead); /* used: nothing to undo */
    w->ahead = NULL;
    for (size_t i = 0; st == XPORTA_OK && i < b->users.cap; i++)
        if (b->users.slots[i] && xp_set_add(&w->users, b->users.slots[i]) < 0)
            st = xp_fail(&w->err, XPORTA_ENOMEM, "out of memory");
    /* The user files it published are the output's now, to be synced. */
    b->half->joined = true;
    while (st == XPORTA_OK && b->lazy && b->lazy->n)
        st = lazy_add(w, lazy_take(b->lazy));
    w->bytes += b->bytes;
    w->main_secret = w->main_secret || b->main_secret;
    if (st == XPORTA_OK) {
        free(w->host_jid);
        w->host_jid = b->host_jid;
        b->host_jid = NULL;
        w->in_host = b->in_host;
    }
    return st;
}

/* A second writer goes: without a join, what it made goes too (a user
 * file only if it is still the one it published). */
static void half_release(xporta_pie_writer *w)
{
    struct pie_half *h = w->half;
    for (size_t i = 0; i < h->nfiles; i++) {
        struct stat sb;
        const char *path = h->files[i].path;
        if (!h->joined && lstat(path, &sb) == 0 &&
            (uint64_t)sb.st_ino == h->files[i].ino) {
            unlink(path);
            char *dir = xp_path_dir(path);
            /* A host directory of the split layout, if it made it. */
            if (dir && w->workdir && strcmp(dir, w->workdir) != 0)
                rmdir(dir);
            free(dir);
        }
        free(h->files[i].path);
    }
    free(h->files);
    free(h->host);
    free(h->main_part);
    free(h->cont_part);
    free(h);
    w->half = NULL;
    /* The directory is the first writer's. */
    free(w->workdir);
    w->workdir = NULL;
}

/* Appends what the second writer has flushed so far of the part the join
 * will append (the main file's, or the split host's file's), while it still
 * writes: the join then has only the rest to copy. */
xporta_status xporta_pie_writer_join_ahead(xporta_pie_writer *w,
                                           const xporta_pie_writer *second)
{
    const struct pie_half *h = second ? second->half : NULL;
    if (!w || !h || w->half || w->committed || w->err.status != XPORTA_OK ||
        !w->in_host || w->in_user || !w->host_jid ||
        strcmp(w->host_jid, h->host) != 0 ||
        w->dialect == XPORTA_DIALECT_PROSODY)
        return XPORTA_OK; /* no join, or nothing big to append */
    struct xp_afile *to = host_files(w) ? &w->host : &w->main;
    const char *part = host_files(w) ? h->cont_part : h->main_part;
    const _Atomic uint64_t *flushed =
        host_files(w) ? &h->cont_flushed : &h->main_flushed;
    if (w->ahead && (w->ahead->from != h || w->ahead->to != to))
        drop_ahead(w);
    if (!afile_open(to) || !part || w->err.status != XPORTA_OK)
        return w->err.status;
    if (!w->ahead) {
        w->ahead = calloc(1, sizeof *w->ahead);
        if (!w->ahead)
            return xp_fail(&w->err, XPORTA_ENOMEM, "out of memory");
        w->ahead->from = h;
        w->ahead->to = to;
        w->ahead->base = to->written;
    }
    uint64_t avail = atomic_load_explicit(flushed, memory_order_acquire);
    if (avail <= w->ahead->done)
        return XPORTA_OK;
    uint64_t before = to->written;
    xporta_status st =
        xp_afile_append_range(to, part, w->ahead->done, avail, &w->err);
    w->ahead->done += to->written - before;
    return st;
}

/* The join did not come: the copy made ahead goes. */
static void drop_ahead(xporta_pie_writer *w)
{
    struct pie_ahead *a = w->ahead;
    w->ahead = NULL;
    if (w->err.status == XPORTA_OK)
        xp_afile_truncate(a->to, a->base, &w->err);
    free(a);
}
