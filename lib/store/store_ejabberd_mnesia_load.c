/*
 * ejabberd+mnesia (store_ejabberd_mnesia.c): the checks before the first
 * account, and loading a batch.
 *
 * Before the first account (select or write_begin): ejabberd must run
 * (`status`), its tables are listed (`mnesia_info`; a kind whose table is
 * missing is left out: load would make it a RAM table, lost at the next
 * restart), and archive_msg must be on disc and stay under the dets limit
 * of 2 GB (~980 bytes a message: the archive is refused past 1.5 GB, with
 * the SQL route named).
 *
 * flush() writes the batch as a file (a few accounts, in a directory of
 * its own inside the node's Mnesia directory, which the node can read even
 * under systemd's PrivateTmp), has ejabberd load it and only when `load`
 * exited 0 confirms the batch's records; a file whose load failed is kept.
 * PEP node indexes are taken above the live pubsub_index counter, read
 * (`dump_table`) right before each load; the batch ends with the counter's
 * new value.
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

#define MN_LOAD_TIMEOUT 14400 /* seconds: one batch */

/* skip() knows no store: the one being written (one per process). */
struct mstore *mnw_store_current;

void mnw_store_note(struct mstore *s, const char *text)
{
    if (strstr(s->note, text))
        return;
    size_t n = strlen(s->note);
    snprintf(s->note + n, sizeof s->note - n, "%s%s", n ? "; " : "", text);
    xp_run_note(s->base.run, XPORTA_KIND_OTHER, "%s", s->note);
}

/* Runs `ejabberdctl ARGS`; *ok: it exited 0.  The output is the caller's
 * (ejd_ctl_out_free). */
xporta_status mnw_store_ctl(struct mstore *s, const char *const *args,
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

xporta_status mnw_store_check(struct mstore *s)
{
    if (s->checked)
        return XPORTA_OK;
    struct xp_run *run = s->base.run;
    struct ejd_ctl_out o;
    char tail[300];
    const char *status[] = {"status", NULL};
    xporta_status st = mnw_store_ctl(s, status, MN_CTL_TIMEOUT, &o);
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
    if ((st = mnw_store_ctl(s, info, MN_CTL_TIMEOUT, &o)))
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
                mnw_store_note(
                    s, "archive: refused - ejabberd on Mnesia without "
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
        if ((st = mnw_store_ctl(s, ti, MN_CTL_TIMEOUT, &o)))
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
            mnw_store_note(s, "archive: refused - archive_msg is a RAM table: "
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
    mnw_store_current = s;
    return XPORTA_OK;
}

/* ---- a batch: its file, its load ------------------------------------------
 */

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
    xporta_status st = mnw_store_ctl(s, args, MN_CTL_TIMEOUT, &o);
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

xporta_status mnw_store_flush(struct store *st)
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
        r = mnw_store_ctl(s, args, MN_LOAD_TIMEOUT, &o);
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
