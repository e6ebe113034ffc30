/* The job journal: see xfer.h for the design. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../base/xp_base.h"
#include "xfer.h"

#define SNAPSHOT_MAGIC "xporta-journal 1"

enum {
    MAX_LINE = 8192, /* one step */
    SYNC_EVERY = 64, /* done marks between syncs */
    COMPACT_EVERY = 50000,
};

struct xfer_journal {
    char *dir;
    char *header;
    int lock_fd;
    FILE *journal;
    struct xp_set done;
    struct xp_set started;
    uint64_t steps;    /* recorded by this and earlier runs */
    uint64_t appended; /* lines in the journal file */
    unsigned unsynced;
    long synced_len; /* the journal file's length at the last sync */
    bool dead;       /* test builds: "crashed" (xfer_journal_test_crash) */
    struct xp_err err;
};

#ifdef XPORTA_TEST_HOOKS
#include <signal.h>
int (*xfer_journal_test_crash)(unsigned long long step);

/* Test builds stop dead (as kill -9 would) after N steps recorded by this
 * run: the resume tests try every N.  In-process tests set
 * xfer_journal_test_crash instead: the journal then loses what was not
 * synced, as a crash would, and fails from then on. */
static void hook_step(struct xfer_journal *j)
{
    static long long count;
    static unsigned long long in_process;
    const char *v = getenv("XPORTA_TEST_STOP_AFTER_STEPS");
    if (v && *v && ++count >= atoll(v))
        raise(SIGKILL);
    if (xfer_journal_test_crash && xfer_journal_test_crash(++in_process)) {
        if (j->journal) {
            fflush(j->journal);
            if (ftruncate(fileno(j->journal), j->synced_len) != 0)
                j->synced_len = 0;
        }
        j->dead = true;
    }
}
#define DEAD_CHECK(j)                                                    \
    do {                                                                 \
        if ((j)->dead)                                                   \
            return xp_fail(&(j)->err, XPORTA_EIO,                        \
                           "%s/journal: stopped by the test", (j)->dir); \
    } while (0)
#else
static void hook_step(struct xfer_journal *j)
{
    (void)j;
}
#define DEAD_CHECK(j) ((void)0)
#endif

static uint64_t step_hash(const char *kind, const char *key, const char *id)
{
    uint64_t h = xp_key_hash(kind, key);
    return xp_hash(id ? id : "", id ? strlen(id) : 0,
                   h ^ 0x632be59bd9b4e019ull);
}

/* Keys may hold anything but are written one per field: %-escape spaces,
 * line breaks and '%'. */
static xporta_status put_escaped(struct xp_buf *b, const char *s)
{
    if (!s || !*s)
        return xp_buf_addc(b, '-');
    if (strcmp(s, "-") == 0)
        return xp_buf_adds(b, "%2D");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        xporta_status st = c <= ' ' || c == '%' || c == 0x7f
                               ? xp_buf_printf(b, "%%%02X", c)
                               : xp_buf_addc(b, (char)c);
        if (st != XPORTA_OK)
            return st;
    }
    return XPORTA_OK;
}

static bool unescape(char *s)
{
    if (strcmp(s, "-") == 0) {
        s[0] = '\0';
        return true;
    }
    char *o = s;
    for (char *p = s; *p; p++) {
        if (*p != '%') {
            *o++ = *p;
            continue;
        }
        unsigned v;
        if (!p[1] || !p[2] || sscanf(p + 1, "%2x", &v) != 1)
            return false;
        *o++ = (char)v;
        p += 2;
    }
    *o = '\0';
    return true;
}

static xporta_status format_step(struct xp_buf *b, char op, const char *kind,
                                 const char *key, const char *id)
{
    xporta_status st = xp_buf_printf(b, "%c ", op);
    if (st == XPORTA_OK)
        st = put_escaped(b, kind);
    if (st == XPORTA_OK)
        st = xp_buf_addc(b, ' ');
    if (st == XPORTA_OK)
        st = put_escaped(b, key);
    if (st == XPORTA_OK)
        st = xp_buf_addc(b, ' ');
    if (st == XPORTA_OK)
        st = put_escaped(b, id);
    if (st == XPORTA_OK)
        st = xp_buf_addc(b, '\n');
    return st;
}

static char *path_in(const struct xfer_journal *j, const char *name)
{
    return xp_path_join(j->dir, name);
}

/* Applies one line; false when it is not a step. */
static bool apply_line(struct xfer_journal *j, char *line)
{
    char *save = NULL;
    char *op = strtok_r(line, " ", &save);
    char *kind = strtok_r(NULL, " ", &save);
    char *key = strtok_r(NULL, " ", &save);
    char *id = strtok_r(NULL, " ", &save);
    if (!op || !kind || !key || !id || strtok_r(NULL, " ", &save) ||
        op[1] != '\0' || (op[0] != '=' && op[0] != '+' && op[0] != '-'))
        return false;
    if (!unescape(kind) || !unescape(key) || !unescape(id))
        return false;
    uint64_t h = step_hash(kind, key, *id ? id : NULL);
    if (op[0] == '-') {
        xp_set_remove(&j->done, h); /* a step to do again */
        return true;
    }
    if (xp_set_add(op[0] == '=' ? &j->done : &j->started, h) == 1)
        j->steps++;
    return true;
}

/* Reads a file of steps.  `torn_ok`: a last line without its newline is a
 * crash in the middle of an append, dropped; in a snapshot it is damage. */
static xporta_status load_file(struct xfer_journal *j, const char *path,
                               bool snapshot, bool torn_ok, bool *header_ok)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return errno == ENOENT ? XPORTA_OK
                               : xp_fail(&j->err, XPORTA_EIO, "%s: %s", path,
                                         strerror(errno));
    char *line = malloc(MAX_LINE);
    unsigned long n = 0;
    xporta_status st = XPORTA_OK;
    if (!line) {
        fclose(f);
        return xp_fail(&j->err, XPORTA_ENOMEM, "out of memory");
    }
    while (fgets(line, MAX_LINE, f)) {
        n++;
        size_t len = strlen(line);
        bool complete = len > 0 && line[len - 1] == '\n';
        if (!complete) {
            if (torn_ok && fgetc(f) == EOF)
                break; /* the torn tail of a crash */
            st = xp_fail(&j->err, XPORTA_EFORMAT,
                         "%s:%lu: line too long or cut short", path, n);
            break;
        }
        line[len - 1] = '\0';
        if (snapshot && n == 1) {
            if (strcmp(line, SNAPSHOT_MAGIC) != 0) {
                st = xp_fail(&j->err, XPORTA_EFORMAT,
                             "%s: not an xporta journal", path);
                break;
            }
            continue;
        }
        if (snapshot && n == 2) {
            *header_ok = strncmp(line, "job ", 4) == 0 &&
                         strcmp(line + 4, j->header) == 0;
            if (!*header_ok)
                break;
            continue;
        }
        if (!apply_line(j, line)) {
            st = xp_fail(&j->err, XPORTA_EFORMAT, "%s:%lu: not a journal step",
                         path, n);
            break;
        }
    }
    free(line);
    fclose(f);
    return st;
}

static xporta_status open_journal_file(struct xfer_journal *j)
{
    char *p = path_in(j, "journal");
    if (!p)
        return xp_fail(&j->err, XPORTA_ENOMEM, "out of memory");
    /* 0600, like everything in the job's directory: the steps name the
     * account's contacts.  fchmod: a journal an older version left 0644. */
    int fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd >= 0 && fchmod(fd, 0600) != 0) {
        close(fd);
        fd = -1;
    }
    j->journal = fd >= 0 ? fdopen(fd, "a") : NULL;
    if (!j->journal && fd >= 0) {
        int e = errno;
        close(fd);
        errno = e;
    }
    if (j->journal && fseek(j->journal, 0, SEEK_END) == 0)
        j->synced_len = ftell(j->journal);
    xporta_status st =
        j->journal ? XPORTA_OK
                   : xp_fail(&j->err, XPORTA_EIO, "%s: %s", p, strerror(errno));
    free(p);
    return st;
}

/* Writes the snapshot (every recorded step) and drops the journal. */
static xporta_status write_snapshot(struct xfer_journal *j)
{
    /* The sets hold hashes only; the snapshot is rebuilt from the journal
     * lines it replaces, appended to the old snapshot. */
    char *snap = path_in(j, "state");
    char *jpath = path_in(j, "journal");
    struct xp_afile f;
    xporta_status st = snap && jpath
                           ? xp_afile_open(&f, snap, &j->err)
                           : xp_fail(&j->err, XPORTA_ENOMEM, "out of memory");
    if (st == XPORTA_OK) {
        struct xp_buf head;
        xp_buf_init(&head, MAX_LINE * 2);
        st = xp_buf_printf(&head, SNAPSHOT_MAGIC "\njob %s\n", j->header);
        if (st == XPORTA_OK)
            st = xp_afile_write(&f, head.data, head.len, &j->err);
        xp_buf_cleanup(&head);
        /* Old snapshot lines (after its header), then the journal. */
        const char *parts[2] = {snap, jpath};
        char *line = malloc(MAX_LINE);
        for (int i = 0; st == XPORTA_OK && i < 2 && line; i++) {
            FILE *in = fopen(parts[i], "r");
            if (!in)
                continue;
            unsigned long n = 0;
            while (st == XPORTA_OK && fgets(line, MAX_LINE, in)) {
                n++;
                size_t len = strlen(line);
                if (i == 0 && n <= 2)
                    continue;
                if (!len || line[len - 1] != '\n')
                    break; /* torn tail */
                st = xp_afile_write(&f, line, len, &j->err);
            }
            fclose(in);
        }
        if (!line)
            st = xp_fail(&j->err, XPORTA_ENOMEM, "out of memory");
        free(line);
        if (st == XPORTA_OK) /* secret: stays 0600, whatever the umask */
            st = xp_afile_commit(&f, true, &j->err);
        else
            xp_afile_abort(&f);
    }
    if (st == XPORTA_OK) {
        if (j->journal)
            fclose(j->journal);
        j->journal = NULL;
        unlink(jpath);
        j->appended = 0;
        st = open_journal_file(j);
    }
    free(snap);
    free(jpath);
    return st;
}

xporta_status xfer_journal_open(struct xfer_journal **out, const char *dir,
                                const char *header, bool *resumed,
                                struct xp_err *err)
{
    *out = NULL;
    if (resumed)
        *resumed = false;
    struct xfer_journal *j = calloc(1, sizeof *j);
    if (!j)
        return xp_fail(err, XPORTA_ENOMEM, "out of memory");
    xp_err_clear(&j->err);
    j->lock_fd = -1;
    xp_set_init(&j->done, 0);
    xp_set_init(&j->started, 0);
    j->dir = xp_strdup(dir);
    j->header = xp_strdup(header);
    if (!j->dir || !j->header || strchr(header, '\n')) {
        xfer_journal_close(j);
        return xp_fail(err, XPORTA_EINVAL, "bad journal header");
    }
    /* mkdir -p with 0700: the state may name accounts and contacts. */
    xporta_status mst = xp_mkdir_p(j->dir, err);
    if (mst != XPORTA_OK) {
        xfer_journal_close(j);
        return mst;
    }
    /* Ours alone: the journal and spool name accounts and hold their data,
     * and a directory others can write to could be swapped under us. */
    struct stat dsb;
    if (lstat(j->dir, &dsb) != 0 || !S_ISDIR(dsb.st_mode) ||
        dsb.st_uid != geteuid() || (dsb.st_mode & 022) != 0) {
        xporta_status st =
            xp_fail(err, XPORTA_EIO,
                    "%s: the state directory must be a directory of yours that "
                    "others cannot write to (chmod 700)",
                    dir);
        xfer_journal_close(j);
        return st;
    }
    /* And nobody else's to look into: a --state-dir the user made 0755
     * is made 0700 (its files are 0600 too).  Through a descriptor, so
     * that what is changed is what was checked. */
    if ((dsb.st_mode & 077) != 0) {
        int dfd = open(j->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct stat fsb;
        const char *why = NULL;
        if (dfd < 0 || fstat(dfd, &fsb) != 0)
            why = strerror(errno);
        else if (fsb.st_dev != dsb.st_dev || fsb.st_ino != dsb.st_ino)
            why = "it was replaced while being checked";
        else if (fchmod(dfd, 0700) != 0)
            why = strerror(errno);
        if (dfd >= 0)
            close(dfd);
        if (why) {
            xporta_status st =
                xp_fail(err, XPORTA_EIO,
                        "%s: cannot make it private (chmod 700): %s", dir, why);
            xfer_journal_close(j);
            return st;
        }
    }
    char *lock = path_in(j, "lock");
    char busy[4200];
    snprintf(busy, sizeof busy, "another xporta is running this job (%s)", dir);
    xporta_status lst = lock ? xp_lock(lock, &j->lock_fd, busy, err)
                             : xp_fail(err, XPORTA_ENOMEM, "out of memory");
    free(lock);
    if (lst != XPORTA_OK) {
        xfer_journal_close(j);
        return lst;
    }
    char *snap = path_in(j, "state");
    char *jpath = path_in(j, "journal");
    bool header_ok = false;
    xporta_status st = snap && jpath ? XPORTA_OK : XPORTA_ENOMEM;
    struct stat sb;
    bool have_snapshot = snap && stat(snap, &sb) == 0;
    if (st == XPORTA_OK && have_snapshot)
        st = load_file(j, snap, true, false, &header_ok);
    if (st == XPORTA_OK && have_snapshot && !header_ok) {
        /* Another job's leftovers (or an older xporta's): start over. */
        xp_set_clear(&j->done);
        xp_set_clear(&j->started);
        j->steps = 0;
        unlink(snap);
        unlink(jpath);
    } else if (st == XPORTA_OK) {
        if (!have_snapshot) {
            /* A journal without a snapshot belongs to nobody we know. */
            unlink(jpath);
        } else {
            st = load_file(j, jpath, false, true, &header_ok);
        }
    }
    if (st == XPORTA_OK && !have_snapshot) {
        /* The snapshot names the job from its very first step on. */
        st = write_snapshot(j);
    }
    if (st == XPORTA_OK && !j->journal)
        st = open_journal_file(j);
    free(snap);
    free(jpath);
    if (st != XPORTA_OK) {
        xp_fail(err, st, "%s", xp_err_msg(&j->err));
        xfer_journal_close(j);
        return st;
    }
    if (resumed)
        *resumed = j->steps > 0;
    *out = j;
    return XPORTA_OK;
}

static xporta_status append(struct xfer_journal *j, char op, const char *kind,
                            const char *key, const char *id, bool sync_now)
{
    DEAD_CHECK(j);
    struct xp_buf b;
    xp_buf_init(&b, MAX_LINE);
    xporta_status st = format_step(&b, op, kind, key, id);
    if (st != XPORTA_OK) {
        xp_buf_cleanup(&b);
        return xp_fail(&j->err, st, "journal: a key longer than %d bytes",
                       MAX_LINE);
    }
    if (fwrite(b.data, 1, b.len, j->journal) != b.len) {
        xp_buf_cleanup(&b);
        return xp_fail(&j->err, XPORTA_EIO, "%s/journal: %s", j->dir,
                       strerror(errno));
    }
    xp_buf_cleanup(&b);
    j->appended++;
    if (sync_now || ++j->unsynced >= SYNC_EVERY)
        st = xfer_journal_sync(j);
    if (st == XPORTA_OK && j->appended >= COMPACT_EVERY)
        st = write_snapshot(j);
    return st;
}

bool xfer_journal_is_done(const struct xfer_journal *j, const char *kind,
                          const char *key, const char *id)
{
    return xp_set_has(&j->done, step_hash(kind, key, id));
}

bool xfer_journal_is_started(const struct xfer_journal *j, const char *kind,
                             const char *key, const char *id)
{
    return xp_set_has(&j->started, step_hash(kind, key, id));
}

xporta_status xfer_journal_start(struct xfer_journal *j, const char *kind,
                                 const char *key, const char *id)
{
    uint64_t h = step_hash(kind, key, id);
    if (xp_set_has(&j->started, h))
        return XPORTA_OK;
    xporta_status st = append(j, '+', kind, key, id, true);
    if (st == XPORTA_OK && xp_set_add(&j->started, h) == 1)
        j->steps++;
    if (st == XPORTA_OK)
        hook_step(j);
    return st;
}

static xporta_status mark_done(struct xfer_journal *j, const char *kind,
                               const char *key, const char *id, bool sync)
{
    uint64_t h = step_hash(kind, key, id);
    if (xp_set_has(&j->done, h))
        return XPORTA_OK;
    xporta_status st = append(j, '=', kind, key, id, sync);
    if (st == XPORTA_OK && xp_set_add(&j->done, h) == 1)
        j->steps++;
    if (st == XPORTA_OK)
        hook_step(j);
    return st;
}

xporta_status xfer_journal_undo(struct xfer_journal *j, const char *kind,
                                const char *key, const char *id)
{
    uint64_t h = step_hash(kind, key, id);
    if (!xp_set_has(&j->done, h))
        return XPORTA_OK;
    /* Rare (verify found the step's work undone): synced at once. */
    xporta_status st = append(j, '-', kind, key, id, true);
    if (st == XPORTA_OK)
        xp_set_remove(&j->done, h);
    return st;
}

xporta_status xfer_journal_done(struct xfer_journal *j, const char *kind,
                                const char *key, const char *id)
{
    return mark_done(j, kind, key, id, false);
}

xporta_status xfer_journal_done_sync(struct xfer_journal *j, const char *kind,
                                     const char *key, const char *id)
{
    return mark_done(j, kind, key, id, true);
}

xporta_status xfer_journal_sync(struct xfer_journal *j)
{
    if (!j->journal)
        return XPORTA_OK;
    DEAD_CHECK(j);
    if (fflush(j->journal) != 0 || fdatasync(fileno(j->journal)) != 0)
        return xp_fail(&j->err, XPORTA_EIO, "%s/journal: %s", j->dir,
                       strerror(errno));
    j->unsynced = 0;
    j->synced_len = ftell(j->journal);
    return XPORTA_OK;
}

xporta_status xfer_journal_compact(struct xfer_journal *j)
{
    xporta_status st = xfer_journal_sync(j);
    return st == XPORTA_OK ? write_snapshot(j) : st;
}

xporta_status xfer_journal_finish(struct xfer_journal *j)
{
    const char *names[] = {"journal", "state", "lock"};
    DEAD_CHECK(j);
    if (j->journal) {
        fclose(j->journal);
        j->journal = NULL;
    }
    for (size_t i = 0; i < 3; i++) {
        char *p = path_in(j, names[i]);
        if (p)
            unlink(p);
        free(p);
    }
    /* A --state-dir the user named may hold files of their own: it stays. */
    if (rmdir(j->dir) != 0 && errno != ENOENT && errno != ENOTEMPTY &&
        errno != EEXIST)
        return xp_fail(&j->err, XPORTA_EIO, "%s: %s", j->dir, strerror(errno));
    return XPORTA_OK;
}

uint64_t xfer_journal_steps(const struct xfer_journal *j)
{
    return j->steps;
}

xporta_status xfer_journal_status(const struct xfer_journal *j)
{
    return j->err.status != XPORTA_OK ? j->err.status : XPORTA_EIO;
}

const char *xfer_journal_error(const struct xfer_journal *j)
{
    return xp_err_msg(&j->err);
}

void xfer_journal_close(struct xfer_journal *j)
{
    if (!j)
        return;
    if (j->journal) {
        fflush(j->journal);
        fclose(j->journal);
    }
    xp_unlock(j->lock_fd);
    xp_set_cleanup(&j->done);
    xp_set_cleanup(&j->started);
    free(j->dir);
    free(j->header);
    free(j);
}

char *xfer_state_dir(const char *what)
{
    return xp_state_dir(what);
}

xporta_status xfer_target_lock(const char *jid, int *fd, struct xp_err *err)
{
    *fd = -1;
    char *root = xp_state_root("targets");
    if (!root)
        return XPORTA_OK; /* the job itself says there is no state */
    xporta_status st = xp_mkdir_p(root, err);
    /* The account's name when it is short and plain, else a hash of it. */
    char name[96];
    size_t n = strlen(jid);
    bool plain = n > 0 && n < 64;
    for (size_t i = 0; plain && i < n; i++)
        plain = (jid[i] >= 'a' && jid[i] <= 'z') ||
                (jid[i] >= '0' && jid[i] <= '9') || strchr("@.-_", jid[i]);
    if (plain)
        snprintf(name, sizeof name, "%s.lock", jid);
    else
        snprintf(name, sizeof name, "%016llx.lock",
                 (unsigned long long)xp_hash(jid, n, 0x1234567u));
    char *path = st == XPORTA_OK ? xp_path_join(root, name) : NULL;
    free(root);
    if (st != XPORTA_OK)
        return st;
    if (!path)
        return xp_fail(err, XPORTA_ENOMEM, "out of memory");
    char busy[4200];
    snprintf(busy, sizeof busy,
             "another xporta is writing into %s (an import or migrate); let "
             "it end first",
             jid);
    st = xp_lock(path, fd, busy, err);
    free(path);
    return st;
}

void xfer_target_unlock(int fd)
{
    xp_unlock(fd);
}
