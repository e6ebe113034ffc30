/*
 * The store driver for ejabberd's Mnesia storage (Debian's default):
 * "ejabberd+mnesia:CTL", CTL the ejabberdctl to run (a path, or a name
 * looked up in PATH; empty: ejabberdctl).  Written through ejabberd
 * itself: `ejabberdctl load FILE` (mnesia:load_textfile on the running
 * node) merges a file of records into its tables in one transaction
 * (docs/research/ejabberd-mnesia.md, the facts and the pitfalls;
 * ejd_mnesia_p.h, the format).
 *
 * Writes: write_begin() .. write_end() form one account's records
 * (ejd_mnesia_write.c) and add them to the batch; flush() loads the batch
 * (a file of a few accounts, in a directory of its own inside the node's
 * Mnesia directory, which the node can read even under systemd's
 * PrivateTmp) and only when `load` exited 0 confirms the batch's records.
 * The engine journals accounts only after flush() (xfer_bulk.c), so a
 * re-run loads nothing twice (offline_msg is a bag: a second load would
 * deliver a message twice).  flush_due() asks for a flush once a batch
 * holds MN_BATCH_ACCOUNTS accounts or MN_BATCH_BYTES of text (the node
 * needs ~40 times a file's size while loading it).  close() runs
 * `ejabberdctl clear_cache` after the last load: ejabberd caches
 * passwords, rosters, private XML and privacy lists.
 *
 * Before the first account (select or write_begin): ejabberd must run
 * (`status`), its tables are listed (`mnesia_info`; a kind whose table is
 * missing is left out: load would make it a RAM table, lost at the next
 * restart), and archive_msg must be on disc and stay under the dets limit
 * of 2 GB (~980 bytes a message: the archive is refused past 1.5 GB, with
 * the SQL route named).  PEP node indexes are taken above the live
 * pubsub_index counter, read (`dump_table`) right before each load; the
 * batch ends with the counter's new value.
 *
 * Read: write only.  The target is not read (a plan counts every record
 * as "add", the run says so); a whole-store read (server-export) is
 * refused, naming `ejabberdctl export_piefxis`.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ejd_ctl.h"
#include "ejd_mnesia_p.h"
#include "ejd_term.h"
#include "store.h"

#define MN_BATCH_ACCOUNTS 10
#define MN_BATCH_BYTES (4u << 20)
#define MN_ARCHIVE_LIMIT 1500000000LL /* bytes of archive_msg on disc */
#define MN_BYTES_PER_MESSAGE 980
#define MN_CTL_TIMEOUT 120    /* seconds: status, mnesia_info, dump_table */
#define MN_LOAD_TIMEOUT 14400 /* seconds: one batch */

struct confirm {
    xporta_kind kind;
    const char *key, *id;
    struct confirm *next;
};

struct mstore {
    struct store base;
    char *ctl;
    char *host, *user; /* selected */
    bool checked;
    const char *refused[XPORTA_KIND_COUNT]; /* kinds left out, why */
    char why[XPORTA_KIND_COUNT][200];
    long long archive_bytes; /* archive_msg on disc */
    uint64_t archive_rows;   /* planned in this run */
    char *dir;               /* for the files, the node's */
    uid_t dir_uid;
    gid_t dir_gid;
    /* the account being written */
    struct mnw *w;
    store_done_fn done;
    void *done_ud;
    struct confirm *afirst, *alast;
    /* the batch */
    struct xp_buf batch;
    uint32_t tables;
    unsigned nodes;
    size_t accounts;
    struct xp_arena ca; /* confirmations */
    struct confirm *first, *last;
    unsigned files;
    bool loaded; /* since the last clear_cache */
    char note[512];
    /* accounts ejabberd had before this run (registered_users, per host
     * as it comes): their offline messages and PEP nodes are not loaded
     * again, since what is there is not read (duplicates otherwise) */
    struct xp_strv hosts_asked;
    struct xp_set had;
    bool existing; /* the account being written is one of them */
};

/* skip() knows no store: the one being written (one per process). */
static struct mstore *current;

static const char *why_not(xporta_kind k)
{
    (void)k;
    return "ejabberd 23.01 has no table for it";
}

static const char *mn_skip(const xporta_record *rec)
{
    return current ? current->refused[rec->kind] : NULL;
}

static void add_note(struct mstore *s, const char *text)
{
    if (strstr(s->note, text))
        return;
    size_t n = strlen(s->note);
    snprintf(s->note + n, sizeof s->note - n, "%s%s", n ? "; " : "", text);
    xp_run_note(s->base.run, XPORTA_KIND_OTHER, "%s", s->note);
}

/* Runs `ejabberdctl ARGS`; *ok: it exited 0.  The output is the caller's
 * (ejd_ctl_out_free). */
static xporta_status ctl(struct mstore *s, const char *const *args,
                         unsigned timeout, struct ejd_ctl_out *out)
{
    return ejd_ctl_run(s->ctl, args, timeout, out, &s->base.run->err);
}

/* ---- checks before the first account -------------------------------------
 */

/* `{key,` in the output: the text after it. */
static const char *after(const char *text, const char *key)
{
    const char *p = strstr(text, key);
    return p ? p + strlen(key) : NULL;
}

/* The tables of `mnesia_info` ({tables,[a,b,...]}) as a mask of ours. */
static uint32_t tables_of(const char *text)
{
    const char *p = after(text, "{tables,[");
    uint32_t mask = 0;
    while (p && *p && *p != ']') {
        while (*p == ' ' || *p == '\n' || *p == ',' || *p == '\t')
            p++;
        const char *e = p;
        while (*e && *e != ',' && *e != ']' && *e != ' ' && *e != '\n')
            e++;
        for (int t = 0; t < MT_COUNT; t++)
            if (strlen(mn_tables[t].name) == (size_t)(e - p) &&
                strncmp(mn_tables[t].name, p, (size_t)(e - p)) == 0)
                mask |= 1u << t;
        p = e;
    }
    return mask;
}

static const char *module_of(int t)
{
    switch (t) {
    case MT_PASSWD:
        return "auth_method: mnesia";
    case MT_ROSTER:
        return "mod_roster";
    case MT_VCARD:
    case MT_VCARD_SEARCH:
        return "mod_vcard";
    case MT_PRIVATE:
        return "mod_private";
    case MT_PRIVACY:
        return "mod_privacy";
    case MT_OFFLINE:
        return "mod_offline";
    case MT_ARCHIVE:
    case MT_PREFS:
        return "mod_mam";
    default:
        return "mod_pubsub";
    }
}

/* The node's Mnesia directory: a directory of ours inside it. */
static xporta_status make_dir(struct mstore *s, const char *info)
{
    struct xp_run *run = s->base.run;
    const char *p = after(info, "{directory,\"");
    const char *e = p ? strchr(p, '"') : NULL;
    if (!p || !e || *p != '/')
        return xp_fail(&run->err, XPORTA_EFORMAT,
                       "%s mnesia_info: no Mnesia directory in its answer",
                       s->ctl);
    char *spool = xp_strndup(p, (size_t)(e - p));
    char *tmpl = spool ? xp_strcat(spool, "/xporta-load-XXXXXX") : NULL;
    struct stat sb;
    xporta_status st = XPORTA_OK;
    if (!tmpl)
        st = xp_fail(&run->err, XPORTA_ENOMEM, "out of memory");
    else if (stat(spool, &sb) != 0 || !mkdtemp(tmpl))
        st = xp_fail(&run->err, XPORTA_EIO,
                     "%s: cannot make a directory for the files ejabberd "
                     "loads in its Mnesia directory: %s (run xporta as root "
                     "or as ejabberd's user)",
                     spool, strerror(errno));
    if (!st) {
        s->dir = tmpl;
        tmpl = NULL;
        s->dir_uid = sb.st_uid;
        s->dir_gid = sb.st_gid;
        /* the node's user reads and writes it (dump_table), no one else */
        if (geteuid() == 0 && chown(s->dir, sb.st_uid, sb.st_gid) != 0)
            st = xp_fail(&run->err, XPORTA_EIO, "%s: chown: %s", s->dir,
                         strerror(errno));
    }
    free(tmpl);
    free(spool);
    return st;
}

static xporta_status check(struct mstore *s)
{
    if (s->checked)
        return XPORTA_OK;
    struct xp_run *run = s->base.run;
    struct ejd_ctl_out o;
    char tail[300];
    const char *status[] = {"status", NULL};
    xporta_status st = ctl(s, status, MN_CTL_TIMEOUT, &o);
    if (st)
        return st;
    if (o.exit_code != 0) {
        st = xp_fail(&run->err, XPORTA_ENOTFOUND,
                     "ejabberd must run for a Mnesia import: start it "
                     "(systemctl start ejabberd, or ejabberdctl start), then "
                     "run the same command again (%s status: %s)",
                     s->ctl, ejd_ctl_tail(&o, tail, sizeof tail));
        ejd_ctl_out_free(&o);
        return st;
    }
    ejd_ctl_out_free(&o);
    const char *info[] = {"mnesia_info", NULL};
    if ((st = ctl(s, info, MN_CTL_TIMEOUT, &o)))
        return st;
    if (o.exit_code != 0) {
        st = xp_fail(&run->err, XPORTA_EIO, "%s mnesia_info failed: %s", s->ctl,
                     ejd_ctl_tail(&o, tail, sizeof tail));
        ejd_ctl_out_free(&o);
        return st;
    }
    uint32_t have = tables_of(o.text);
    st = make_dir(s, o.text);
    ejd_ctl_out_free(&o);
    if (st)
        return st;
    /* a kind whose tables are missing is left out */
    for (int k = 0; k < XPORTA_KIND_COUNT; k++) {
        uint32_t need = mn_kind_tables((xporta_kind)k);
        for (int t = 0; need && t < MT_COUNT; t++) {
            if (!(need & (1u << t)) || (have & (1u << t)))
                continue;
            snprintf(s->why[k], sizeof s->why[k],
                     "ejabberd has no %s table (%s is off): enable it and "
                     "restart ejabberd",
                     mn_tables[t].name, module_of(t));
            s->refused[k] = s->why[k];
            if (k == XPORTA_KIND_ARCHIVE)
                add_note(s, "archive: refused - ejabberd on Mnesia without "
                            "mod_mam's archive_msg table: enable mod_mam and "
                            "restart ejabberd, or switch ejabberd to SQL "
                            "(sql_type sqlite|pgsql, default_db: sql) and "
                            "import into ejabberd+sqlite:FILE or "
                            "ejabberd+pgsql:DB");
            break;
        }
    }
    if (have & (1u << MT_ARCHIVE)) {
        const char *ti[] = {"mnesia_table_info", "archive_msg", NULL};
        if ((st = ctl(s, ti, MN_CTL_TIMEOUT, &o)))
            return st;
        const char *type = after(o.text, "{storage_type,");
        const char *mem = after(o.text, "{memory,");
        if (o.exit_code != 0 || !type) {
            st = xp_fail(&run->err, XPORTA_EIO,
                         "%s mnesia_table_info archive_msg failed: %s", s->ctl,
                         ejd_ctl_tail(&o, tail, sizeof tail));
            ejd_ctl_out_free(&o);
            return st;
        }
        bool disc_only = strncmp(type, "disc_only_copies", 16) == 0;
        if (strncmp(type, "ram_copies", 10) == 0) {
            s->refused[XPORTA_KIND_ARCHIVE] =
                "ejabberd's archive_msg table is in RAM only (made by an "
                "earlier load while mod_mam was off): lost at the next "
                "restart";
            add_note(s, "archive: refused - archive_msg is a RAM table: "
                        "enable mod_mam, remove the table (ejabberdctl "
                        "delete_mnesia archive_msg... or restart) and "
                        "restart ejabberd, or switch ejabberd to SQL "
                        "(ejabberd+sqlite:FILE, ejabberd+pgsql:DB)");
        }
        /* disc_only: bytes of the file; disc_copies: words */
        s->archive_bytes =
            mem ? strtoll(mem, NULL, 10) * (disc_only ? 1 : 8) : 0;
        ejd_ctl_out_free(&o);
    }
    s->checked = true;
    current = s;
    return XPORTA_OK;
}

/* ---- the driver ------------------------------------------------------------
 */

static xporta_status set_account(struct mstore *s, const char *jid)
{
    free(s->host);
    free(s->user);
    s->host = s->user = NULL;
    if (!jid)
        return XPORTA_OK;
    const char *at = strrchr(jid, '@');
    if (!at || at == jid || !at[1] || strchr(at + 1, '/'))
        return xp_fail(&s->base.run->err, XPORTA_EINVAL,
                       "%s: not an account (user@host)", jid);
    s->user = xp_strndup(jid, (size_t)(at - jid));
    s->host = xp_strdup(at + 1);
    return s->user && s->host
               ? XPORTA_OK
               : xp_fail(&s->base.run->err, XPORTA_ENOMEM, "out of memory");
}

static xporta_status ms_select(struct store *st, const char *jid)
{
    struct mstore *s = (struct mstore *)st;
    mnw_free(s->w); /* an account not ended is dropped */
    s->w = NULL;
    s->afirst = s->alast = NULL;
    xporta_status r = set_account(s, jid);
    return !r && jid ? check(s) : r;
}

static xporta_status ms_read(struct store *st, uint32_t kinds,
                             const struct xp_strv *private_ns,
                             const struct store_sink *sink)
{
    struct mstore *s = (struct mstore *)st;
    (void)kinds;
    (void)private_ns;
    (void)sink;
    if (!s->user)
        return xp_fail(
            &st->run->err, XPORTA_EUNSUPPORTED,
            "ejabberd+mnesia is written only: to read ejabberd's Mnesia "
            "data, export it with ejabberd (ejabberdctl export_piefxis DIR: "
            "accounts, rosters with pending requests, vCards, private XML, "
            "privacy lists and the blocklist, offline messages; not the MAM "
            "archive nor PEP) and give xporta that file, or move ejabberd "
            "to SQL first and read ejabberd+sqlite:FILE or ejabberd+pgsql:DB");
    /* the planner's read of the target: nothing (every record "add") */
    add_note(s, "ejabberd+mnesia is written only: what ejabberd already "
                "holds was not read, so every record was planned as \"add\" "
                "(ejabberd's load merges: a record under the same key "
                "replaces the one there; a roster item, privacy lists, a "
                "PEP node are written whole)");
    return XPORTA_OK;
}

/* The accounts ejabberd has on `host`, asked once per host. */
static xporta_status ask_users(struct mstore *s, const char *host)
{
    if (xp_strv_has(&s->hosts_asked, host))
        return XPORTA_OK;
    const char *args[] = {"registered_users", host, NULL};
    struct ejd_ctl_out o;
    xporta_status r = ctl(s, args, MN_CTL_TIMEOUT, &o);
    if (!r && (o.exit_code != 0 || o.truncated)) {
        char tail[300];
        r = xp_fail(&s->base.run->err, XPORTA_ESTANZA,
                    "%s registered_users %s failed: %s", s->ctl, host,
                    o.truncated ? "too many accounts to list"
                                : ejd_ctl_tail(&o, tail, sizeof tail));
    }
    for (char *line = r ? NULL : o.text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (*line && xp_set_add(&s->had, xp_key_hash(line, host)) < 0)
            r = xp_fail(&s->base.run->err, XPORTA_ENOMEM, "out of memory");
    }
    ejd_ctl_out_free(&o);
    if (!r && xp_strv_add(&s->hosts_asked, host) < 0)
        r = xp_fail(&s->base.run->err, XPORTA_ENOMEM, "out of memory");
    return r;
}

static xporta_status ms_write_begin(struct store *st, store_done_fn done,
                                    void *ud)
{
    struct mstore *s = (struct mstore *)st;
    if (!s->user)
        return xp_fail(&st->run->err, XPORTA_EINVAL,
                       "no account selected to write");
    xporta_status r = check(s);
    if (!r)
        r = ask_users(s, s->host);
    if (r)
        return r;
    s->existing = xp_set_has(&s->had, xp_key_hash(s->user, s->host));
    s->done = done;
    s->done_ud = ud;
    s->afirst = s->alast = NULL;
    mnw_free(s->w);
    s->w = NULL;
    return mnw_begin(&s->w, s->host, s->user, s->nodes, st->run);
}

static void refuse(struct mstore *s, const xporta_record *rec, const char *why)
{
    if (s->done)
        s->done(s->done_ud, rec->kind, rec->key, rec->id, false, why);
}

static xporta_status ms_write(struct store *st, const xporta_record *rec,
                              bool replace)
{
    struct mstore *s = (struct mstore *)st;
    (void)replace; /* load replaces a record under the same key */
    if (!s->w)
        return xp_fail(&st->run->err, XPORTA_EINVAL, "write without begin");
    if (s->refused[rec->kind]) {
        refuse(s, rec, s->refused[rec->kind]);
        return XPORTA_OK;
    }
    if (s->existing && (rec->kind == XPORTA_KIND_OFFLINE ||
                        rec->kind == XPORTA_KIND_PEP_NODE ||
                        rec->kind == XPORTA_KIND_PEP_AFFILIATIONS ||
                        rec->kind == XPORTA_KIND_PEP_SUBSCRIPTIONS ||
                        rec->kind == XPORTA_KIND_PEP_ITEM)) {
        refuse(s, rec,
               "the account was on ejabberd before this import, and xporta "
               "does not read Mnesia: its offline messages would arrive twice "
               "and its PEP nodes be made again; left out (import into a new "
               "account, or through ejabberd on SQL)");
        return XPORTA_OK;
    }
    if (rec->kind == XPORTA_KIND_ARCHIVE &&
        s->archive_bytes +
                (long long)(s->archive_rows + 1) * MN_BYTES_PER_MESSAGE >
            MN_ARCHIVE_LIMIT) {
        add_note(s, "archive: refused past ~1.5 GB - Mnesia's archive_msg "
                    "stops at 2 GB (~980 bytes a message); switch ejabberd to "
                    "SQL (sql_type sqlite|pgsql, default_db: sql) and import "
                    "into ejabberd+sqlite:FILE or ejabberd+pgsql:DB");
        refuse(s, rec,
               "Mnesia's archive_msg would pass 1.5 GB (its limit is 2 GB): "
               "use ejabberd on SQL for this archive");
        return XPORTA_OK;
    }
    const char *why = NULL;
    xporta_status r = mnw_record(s->w, rec, &why);
    if (r == XPORTA_EUNSUPPORTED) {
        refuse(s, rec, why);
        return XPORTA_OK;
    }
    if (r)
        return r;
    if (rec->kind == XPORTA_KIND_ARCHIVE)
        s->archive_rows++;
    struct confirm *c = xp_arena_alloc(&s->ca, sizeof *c);
    if (!c || !(c->key = xp_arena_strdup(&s->ca, rec->key ? rec->key : "")) ||
        (rec->id && !(c->id = xp_arena_strdup(&s->ca, rec->id))))
        return xp_fail(&st->run->err, XPORTA_ENOMEM, "out of memory");
    if (!rec->id)
        c->id = NULL;
    c->kind = rec->kind;
    c->next = NULL;
    if (s->alast)
        s->alast->next = c;
    else
        s->afirst = c;
    s->alast = c;
    return XPORTA_OK;
}

static size_t ms_pending(const struct store *st)
{
    const struct mstore *s = (const struct mstore *)st;
    size_t n = 0;
    for (const struct confirm *c = s->first; c; c = c->next)
        n++;
    return n;
}

static xporta_status ms_write_end(struct store *st)
{
    struct mstore *s = (struct mstore *)st;
    if (!s->w)
        return st->run->err.status;
    xporta_status r = st->run->err.status;
    if (!r)
        r = mnw_finish(s->w, &s->batch, &s->tables, &s->nodes, &(uint64_t){0});
    mnw_free(s->w);
    s->w = NULL;
    if (r)
        return r;
    /* confirmed when the batch is loaded */
    if (s->afirst) {
        if (s->last)
            s->last->next = s->afirst;
        else
            s->first = s->afirst;
        s->last = s->alast;
    }
    s->afirst = s->alast = NULL;
    s->accounts++;
    return XPORTA_OK;
}

static bool ms_holds(struct store *st, const xporta_record *rec)
{
    (void)st;
    (void)rec;
    return false;
}

static bool ms_flush_due(const struct store *st)
{
    const struct mstore *s = (const struct mstore *)st;
    return s->accounts >= MN_BATCH_ACCOUNTS || s->batch.len >= MN_BATCH_BYTES;
}

/* pubsub_index's node counter: last and free ids ({pubsub_index, node,
 * Last, Free}); none yet: 0 and []. */
static xporta_status read_counter(struct mstore *s, long long *last,
                                  struct xp_buf *free_ids)
{
    struct xp_run *run = s->base.run;
    char *path = xp_path_join(s->dir, "pubsub_index.txt");
    if (!path)
        return xp_fail(&run->err, XPORTA_ENOMEM, "out of memory");
    unlink(path);
    const char *args[] = {"dump_table", path, "pubsub_index", NULL};
    struct ejd_ctl_out o;
    char tail[300];
    xporta_status st = ctl(s, args, MN_CTL_TIMEOUT, &o);
    if (!st && o.exit_code != 0)
        st = xp_fail(&run->err, XPORTA_EIO,
                     "%s dump_table %s pubsub_index failed: %s", s->ctl, path,
                     ejd_ctl_tail(&o, tail, sizeof tail));
    ejd_ctl_out_free(&o);
    char *text = NULL;
    size_t len = 0;
    FILE *f = st ? NULL : fopen(path, "r");
    if (!st && !f)
        st = xp_fail(&run->err, XPORTA_EIO, "%s: %s", path, strerror(errno));
    if (f) {
        struct xp_buf b;
        xp_buf_init(&b, 64u << 20);
        char chunk[4096];
        size_t n;
        while (!st && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
            if (xp_buf_add(&b, chunk, n))
                st = xp_fail(&run->err, XPORTA_ETOOBIG,
                             "%s: too big for a pubsub_index table", path);
        fclose(f);
        len = b.len;
        text = xp_buf_take(&b);
        xp_buf_cleanup(&b);
    }
    unlink(path);
    free(path);
    *last = 0;
    const char *p = text ? strstr(text, "{pubsub_index,node,") : NULL;
    if (!st && p) {
        /* the record: up to its closing brace (integers and a list) */
        const char *e = p;
        int depth = 0;
        for (; e < text + len; e++) {
            if (*e == '{')
                depth++;
            else if (*e == '}' && --depth == 0)
                break;
        }
        struct xp_arena a;
        xp_arena_init(&a, 0);
        struct eterm t;
        const char *why = NULL;
        if (e >= text + len ||
            !et_parse(&a, p, (size_t)(e - p + 1), &t, &why) ||
            t.t != ET_TUPLE || t.n != 4 || t.kids[2].t != ET_INT ||
            t.kids[3].t != ET_LIST) {
            st = xp_fail(&run->err, XPORTA_EFORMAT,
                         "ejabberd's pubsub_index record is not {pubsub_index,"
                         "node,Last,Free}: %s",
                         why ? why : "another shape");
        } else {
            *last = t.kids[2].i;
            for (size_t i = 0; !st && i < t.kids[3].n; i++) {
                const struct eterm *k = &t.kids[3].kids[i];
                if (k->t != ET_INT)
                    continue;
                if (k->i > *last)
                    *last = k->i; /* never reused: above every free id */
                if (xp_buf_printf(free_ids, "%s%lld", free_ids->len ? "," : "",
                                  k->i))
                    st = xp_fail(&run->err, XPORTA_ENOMEM, "out of memory");
            }
        }
        xp_arena_cleanup(&a);
    }
    free(text);
    return st;
}

/* The batch as a file, the node indexes in place: base + number. */
static xporta_status write_file(struct mstore *s, const char *path,
                                long long base, const struct xp_buf *free_ids)
{
    struct xp_run *run = s->base.run;
    struct xp_buf head;
    xp_buf_init(&head, MN_BUF_MAX);
    uint32_t tables = s->tables | (s->nodes ? 1u << MT_PUBSUB_INDEX : 0);
    xporta_status st = mn_header(&head, tables);
    int fd =
        st ? -1 : open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (!st && fd < 0)
        st = xp_fail(&run->err, XPORTA_EIO, "%s: %s", path, strerror(errno));
    FILE *f = fd < 0 ? NULL : fdopen(fd, "w");
    if (fd >= 0 && !f) {
        close(fd);
        st = xp_fail(&run->err, XPORTA_EIO, "%s: %s", path, strerror(errno));
    }
    if (f) {
        fwrite(head.data, 1, head.len, f);
        const char *p = s->batch.data ? s->batch.data : "";
        const char *end = p + s->batch.len;
        while (p < end) {
            const char *m = memchr(p, MN_NIDX_MARK, (size_t)(end - p));
            if (!m) {
                fwrite(p, 1, (size_t)(end - p), f);
                break;
            }
            fwrite(p, 1, (size_t)(m - p), f);
            char *stop;
            unsigned long n = strtoul(m + 1, &stop, 10);
            char num[32];
            fwrite(
                num, 1,
                (size_t)snprintf(num, sizeof num, "%lld", base + (long long)n),
                f);
            p = stop + 1; /* past the closing mark */
        }
        if (s->nodes) {
            struct xp_buf t;
            xp_buf_init(&t, MN_BUF_MAX);
            if (xp_buf_printf(&t, "{pubsub_index,node,%lld,[%s]}.\n",
                              base + (long long)s->nodes,
                              free_ids->data ? free_ids->data : ""))
                st = xp_fail(&run->err, XPORTA_ENOMEM, "out of memory");
            else
                fwrite(t.data, 1, t.len, f);
            xp_buf_cleanup(&t);
        }
        if (ferror(f) | (fflush(f) != 0) | (fsync(fileno(f)) != 0))
            st =
                xp_fail(&run->err, XPORTA_EIO, "%s: %s", path, strerror(errno));
        if (geteuid() == 0 && !st &&
            fchown(fileno(f), s->dir_uid, s->dir_gid) != 0)
            st = xp_fail(&run->err, XPORTA_EIO, "%s: chown: %s", path,
                         strerror(errno));
        if (fclose(f) != 0 && !st)
            st =
                xp_fail(&run->err, XPORTA_EIO, "%s: %s", path, strerror(errno));
    }
    xp_buf_cleanup(&head);
    return st;
}

static void drop_batch(struct mstore *s)
{
    xp_buf_reset(&s->batch);
    s->tables = 0;
    s->nodes = 0;
    s->accounts = 0;
    s->first = s->last = NULL;
    if (!s->w) /* no account in progress holds confirmations there */
        xp_arena_reset(&s->ca);
}

static xporta_status ms_flush(struct store *st)
{
    struct mstore *s = (struct mstore *)st;
    struct xp_run *run = st->run;
    if (!s->accounts)
        return XPORTA_OK;
    long long base = 0;
    struct xp_buf free_ids;
    xp_buf_init(&free_ids, MN_BUF_MAX);
    xporta_status r = s->nodes ? read_counter(s, &base, &free_ids) : XPORTA_OK;
    char name[64];
    snprintf(name, sizeof name, "batch-%u.txt", ++s->files);
    char *path = xp_path_join(s->dir, name);
    if (!r && !path)
        r = xp_fail(&run->err, XPORTA_ENOMEM, "out of memory");
    if (!r)
        r = write_file(s, path, base, &free_ids);
    xp_buf_cleanup(&free_ids);
    if (!r) {
        const char *args[] = {"--no-timeout", "load", path, NULL};
        struct ejd_ctl_out o;
        char tail[400];
        double t0 = xp_now();
        r = ctl(s, args, MN_LOAD_TIMEOUT, &o);
        if (!r && o.exit_code != 0)
            r = xp_fail(&run->err, XPORTA_EIO,
                        "%s load %s failed (exit %d%s): %s.  ejabberd loads "
                        "a file in one transaction: nothing of its %zu "
                        "accounts was written; the file is kept for a look "
                        "(it holds password hashes: remove it after)",
                        s->ctl, path, o.exit_code,
                        o.timed_out ? ", time limit" : "",
                        ejd_ctl_tail(&o, tail, sizeof tail), s->accounts);
        ejd_ctl_out_free(&o);
        if (!r) {
            s->loaded = true;
            unlink(path);
            xp_run_progress(run, "load", XPORTA_KIND_COUNT, s->files, 0, -1, 0,
                            "ejabberdctl load", false);
            (void)t0;
        }
    }
    free(path);
    if (r)
        return r;
    /* committed: the batch's records are written */
    struct confirm *c = s->first;
    store_done_fn done = s->done;
    void *ud = s->done_ud;
    for (; done && c; c = c->next)
        done(ud, c->kind, c->key, c->id, true, NULL);
    drop_batch(s);
    return XPORTA_OK;
}

static void ms_close(struct store *st)
{
    struct mstore *s = (struct mstore *)st;
    if (s->loaded) {
        /* ejabberd's caches (passwords, rosters, private, privacy) */
        const char *args[] = {"clear_cache", NULL};
        struct ejd_ctl_out o;
        char tail[300];
        if (ctl(s, args, MN_CTL_TIMEOUT, &o) || o.exit_code != 0) {
            char why[400];
            snprintf(why, sizeof why,
                     "%s clear_cache failed (%s): run it yourself, or users "
                     "who tried to log in before the import are refused "
                     "until ejabberd's caches expire",
                     s->ctl,
                     o.text ? ejd_ctl_tail(&o, tail, sizeof tail)
                            : xp_err_msg(&st->run->err));
            add_note(s, why);
        }
        ejd_ctl_out_free(&o);
    }
    if (s->dir)
        rmdir(s->dir); /* a file kept after a failed load keeps it */
    if (current == s)
        current = NULL;
    mnw_free(s->w);
    xp_strv_cleanup(&s->hosts_asked);
    xp_set_cleanup(&s->had);
    xp_buf_cleanup(&s->batch);
    xp_arena_cleanup(&s->ca);
    free(s->dir);
    free(s->ctl);
    free(s->host);
    free(s->user);
    free(s);
}

static xporta_status ms_open(struct store **out, const char *where,
                             const struct store_opts *o, struct xp_run *run)
{
    struct mstore *s = calloc(1, sizeof *s);
    if (!s)
        return xp_fail(&run->err, XPORTA_ENOMEM, "out of memory");
    s->base.run = run;
    xp_arena_init(&s->ca, 0);
    xp_buf_init(&s->batch, MN_BUF_MAX);
    xp_set_init(&s->had, 0);
    xporta_status st = XPORTA_OK;
    if (!(s->ctl = xp_strdup(where && *where ? where : "ejabberdctl")))
        st = xp_fail(&run->err, XPORTA_ENOMEM, "out of memory");
    else if (strchr(s->ctl, '/') && access(s->ctl, X_OK) != 0)
        st = xp_fail(&run->err, XPORTA_ENOTFOUND,
                     "%s: %s (ejabberd+mnesia:CTL names ejabberdctl, e.g. "
                     "ejabberd+mnesia:/usr/sbin/ejabberdctl)",
                     s->ctl, strerror(errno));
    if (!st && o && o->account)
        st = set_account(s, o->account);
    if (st) {
        ms_close(&s->base);
        return st;
    }
    *out = &s->base;
    return XPORTA_OK;
}

/* What ejabberd 23.01 keeps in Mnesia and this store writes. */
#define MN_WRITABLE                                                         \
    ((1u << XPORTA_KIND_CREDENTIALS) | (1u << XPORTA_KIND_ROSTER) |         \
     (1u << XPORTA_KIND_PENDING) | (1u << XPORTA_KIND_VCARD) |              \
     (1u << XPORTA_KIND_PRIVATE) | (1u << XPORTA_KIND_PRIVACY) |            \
     (1u << XPORTA_KIND_BLOCKLIST) | (1u << XPORTA_KIND_OFFLINE) |          \
     (1u << XPORTA_KIND_PEP_NODE) | (1u << XPORTA_KIND_PEP_AFFILIATIONS) |  \
     (1u << XPORTA_KIND_PEP_SUBSCRIPTIONS) | (1u << XPORTA_KIND_PEP_ITEM) | \
     (1u << XPORTA_KIND_ARCHIVE) | (1u << XPORTA_KIND_MAM_PREFS))

const struct store_driver store_ejabberd_mnesia_driver = {
    .scheme = "ejabberd+mnesia",
    .many = true,
    .summary = "ejabberd's Mnesia storage (its default), written through the "
               "running ejabberd: ejabberd+mnesia:/usr/sbin/ejabberdctl "
               "(write only)",
    .open = ms_open,
    .close = ms_close,
    .writable = MN_WRITABLE,
    .why_not = why_not,
    .skip = mn_skip,
    .read = ms_read,
    .write_begin = ms_write_begin,
    .write = ms_write,
    .pending = ms_pending,
    .write_end = ms_write_end,
    .select = ms_select,
    .holds = ms_holds,
    .flush = ms_flush,
    .flush_due = ms_flush_due,
};
