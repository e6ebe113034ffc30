/* Accounts and what every job has in common. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../store/store.h"
#include "../transfer/xfer.h"
#include "../xmpp/xmpp_kinds.h"
#include "jobs_p.h"

/* ---- accounts ----------------------------------------------------------- */

static void wipe(char *s)
{
    if (!s)
        return;
    volatile char *p = s;
    while (*p)
        *p++ = '\0';
}

xporta_status xporta_account_new(xporta_account **out, const char *jid)
{
    const char *why;
    if (!out || !jid)
        return XPORTA_EINVAL;
    *out = NULL;
    struct xp_jid_parts p;
    if (!xporta_jid_is_valid(jid, &why) || !xp_jid_split(jid, &p) || !p.local)
        return XPORTA_EINVAL;
    xporta_account *a = calloc(1, sizeof *a);
    if (!a)
        return XPORTA_ENOMEM;
    /* The bare JID: a resource is the session's business. */
    a->jid = xp_strndup(jid, p.local_len + 1 + p.domain_len);
    if (!a->jid) {
        free(a);
        return XPORTA_ENOMEM;
    }
    *out = a;
    return XPORTA_OK;
}

static xporta_status replace(char **dst, const char *src)
{
    char *copy = src ? xp_strdup(src) : NULL;
    if (src && !copy)
        return XPORTA_ENOMEM;
    free(*dst);
    *dst = copy;
    return XPORTA_OK;
}

xporta_status xporta_account_set_password(xporta_account *a,
                                          const char *password)
{
    if (!a)
        return XPORTA_EINVAL;
    wipe(a->password);
    return replace(&a->password, password);
}

xporta_status xporta_account_set_server(xporta_account *a, const char *host,
                                        unsigned short port)
{
    if (!a)
        return XPORTA_EINVAL;
    a->port = port;
    return replace(&a->host, host);
}

xporta_status xporta_account_set_cafile(xporta_account *a, const char *path)
{
    return a ? replace(&a->cafile, path) : XPORTA_EINVAL;
}

void xporta_account_set_insecure(xporta_account *a, bool insecure)
{
    if (a)
        a->insecure = insecure;
}

const char *xporta_account_jid(const xporta_account *a)
{
    return a ? a->jid : NULL;
}

void xporta_account_free(xporta_account *a)
{
    if (!a)
        return;
    wipe(a->password);
    free(a->password);
    free(a->jid);
    free(a->host);
    free(a->cafile);
    free(a);
}

/* ---- jobs -----------------------------------------------------------------
 */

xporta_job *job_alloc(enum job_type type)
{
    xporta_job *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    j->type = type;
    xp_err_clear(&j->r.err);
    j->kinds = (1u << XPORTA_KIND_COUNT) - 1;
    j->parallel = 4;
    j->verify = true;
    return j;
}

xporta_status xporta_import_new(xporta_job **out, const char *path,
                                xporta_account *target)
{
    if (!out || !target || !path || !*path)
        return XPORTA_EINVAL;
    *out = NULL;
    xporta_job *j = job_alloc(JOB_IMPORT);
    if (!j)
        return XPORTA_ENOMEM;
    j->target = target;
    j->path = xp_strdup(path);
    if (!j->path) {
        free(j);
        return XPORTA_ENOMEM;
    }
    *out = j;
    return XPORTA_OK;
}

xporta_status xporta_migrate_new(xporta_job **out, xporta_account *from,
                                 xporta_account *to)
{
    if (!out || !from || !to)
        return XPORTA_EINVAL;
    *out = NULL;
    xporta_job *j = job_alloc(JOB_MIGRATE);
    if (!j)
        return XPORTA_ENOMEM;
    j->account = from;
    j->target = to;
    j->rooms = true;
    *out = j;
    return XPORTA_OK;
}

/* Group chats (job_rooms.c, job_room_move.c). */
xporta_status xporta_rooms_new(xporta_job **out, xporta_account *old,
                               xporta_account *new_)
{
    if (!out || !old || !new_)
        return XPORTA_EINVAL;
    *out = NULL;
    xporta_job *j = job_alloc(JOB_ROOMS);
    if (!j)
        return XPORTA_ENOMEM;
    j->account = old;
    j->target = new_;
    *out = j;
    return XPORTA_OK;
}

/* A bare room JID (local@service); `service_ok`: a service alone too. */
static bool room_jid(const char *s, bool service_ok)
{
    struct xp_jid_parts p;
    return s && xporta_jid_is_valid(s, NULL) && xp_jid_split(s, &p) &&
           !p.resource && (p.local_len > 0 || service_ok);
}

xporta_status xporta_room_move_new(xporta_job **out, xporta_account *old,
                                   xporta_account *new_, const char *old_room,
                                   const char *new_room)
{
    if (!out || !old || !new_ || !room_jid(old_room, false) ||
        !room_jid(new_room, true))
        return XPORTA_EINVAL;
    *out = NULL;
    xporta_job *j = job_alloc(JOB_ROOM_MOVE);
    if (!j)
        return XPORTA_ENOMEM;
    j->account = old;
    j->target = new_;
    j->old_room = xp_strdup(old_room);
    /* A service alone: the old room's name there. */
    if (strchr(new_room, '@')) {
        j->new_room = xp_strdup(new_room);
    } else {
        size_t local = (size_t)(strchr(old_room, '@') - old_room);
        j->new_room = malloc(local + strlen(new_room) + 2);
        if (j->new_room)
            sprintf(j->new_room, "%.*s@%s", (int)local, old_room, new_room);
    }
    if (!j->old_room || !j->new_room) {
        xporta_job_free(j);
        return XPORTA_ENOMEM;
    }
    *out = j;
    return XPORTA_OK;
}

xporta_status xporta_history_new(xporta_job **out, const char *pie_path,
                                 const char *outdir)
{
    if (!out || !pie_path || !*pie_path || !outdir || !*outdir)
        return XPORTA_EINVAL;
    *out = NULL;
    xporta_job *j = job_alloc(JOB_HISTORY);
    if (!j)
        return XPORTA_ENOMEM;
    j->path = xp_strdup(pie_path);
    j->outdir = xp_strdup(outdir);
    /* "dir/" and "dir" are the same directory: its temporary sibling is
     * named after "dir" */
    if (j->outdir)
        for (size_t n = strlen(j->outdir); n > 1 && j->outdir[n - 1] == '/';)
            j->outdir[--n] = '\0';
    if (!j->path || !j->outdir) {
        xporta_job_free(j);
        return XPORTA_ENOMEM;
    }
    *out = j;
    return XPORTA_OK;
}

void xporta_job_history_counts(const xporta_job *j, uint64_t *messages,
                               uint64_t *conversations, uint64_t *pages)
{
    if (messages)
        *messages = j ? j->hist_messages : 0;
    if (conversations)
        *conversations = j ? j->hist_conversations : 0;
    if (pages)
        *pages = j ? j->hist_pages : 0;
}

/* A store address: a known "SCHEME:" prefix, else a file's path. */
static char *store_address(const char *s)
{
    const char *where;
    if (store_driver_find(s, &where))
        return xp_strdup(s);
    return xp_strcat("file:", s);
}

xporta_status xporta_server_import_new(xporta_job **out, const char *source,
                                       const char *target)
{
    if (!out || !source || !*source || !target || !*target)
        return XPORTA_EINVAL;
    *out = NULL;
    xporta_job *j = job_alloc(JOB_SERVER_IMPORT);
    if (!j)
        return XPORTA_ENOMEM;
    j->source = store_address(source);
    j->target_store = store_address(target);
    if (!j->source || !j->target_store) {
        xporta_job_free(j);
        return XPORTA_ENOMEM;
    }
    *out = j;
    return XPORTA_OK;
}

xporta_status xporta_server_export_new(xporta_job **out, const char *source,
                                       const char *path, xporta_dialect d)
{
    if (!out || !source || !*source || !path || !*path ||
        (unsigned)d > XPORTA_DIALECT_EJABBERD)
        return XPORTA_EINVAL;
    *out = NULL;
    xporta_job *j = job_alloc(JOB_SERVER_EXPORT);
    if (!j)
        return XPORTA_ENOMEM;
    j->source = store_address(source);
    j->path = xp_strdup(path);
    j->dialect = d;
    if (!j->source || !j->path) {
        xporta_job_free(j);
        return XPORTA_ENOMEM;
    }
    *out = j;
    return XPORTA_OK;
}

xporta_status xporta_job_add_user(xporta_job *j, const char *user)
{
    if (!j || !user || !*user)
        return XPORTA_EINVAL;
    return xp_strv_add(&j->users, user) < 0 ? XPORTA_ENOMEM : XPORTA_OK;
}

xporta_status xporta_job_set_domain(xporta_job *j, const char *domain)
{
    if (!j || !domain || !xporta_jid_is_valid_domain(domain, NULL))
        return XPORTA_EINVAL;
    char *d = xp_strdup(domain);
    if (!d)
        return XPORTA_ENOMEM;
    free(j->domain);
    j->domain = d;
    return XPORTA_OK;
}

void xporta_job_set_strip_secrets(xporta_job *j, bool on)
{
    if (j)
        j->strip_secrets = on;
}

void xporta_job_set_account_cb(xporta_job *j, xporta_account_cb cb,
                               void *userdata)
{
    if (!j)
        return;
    j->account_cb = cb;
    j->account_ud = userdata;
}

void xporta_job_accounts(const xporta_job *j, uint64_t *copied,
                         uint64_t *failed, uint64_t *done_before)
{
    if (copied)
        *copied = j ? j->accounts : 0;
    if (failed)
        *failed = j ? j->accounts_failed : 0;
    if (done_before)
        *done_before = j ? j->accounts_before : 0;
}

void xporta_job_server_rooms(const xporta_job *j, uint64_t *copied,
                             uint64_t *failed, uint64_t *done_before)
{
    if (copied)
        *copied = j ? j->rooms_copied : 0;
    if (failed)
        *failed = j ? j->rooms_failed : 0;
    if (done_before)
        *done_before = j ? j->rooms_before : 0;
}

const char *xporta_store_scheme(size_t i, const char **summary, bool *server)
{
    const struct store_driver *const *d = store_drivers();
    for (size_t k = 0; d[k]; k++) {
        if (k != i)
            continue;
        if (summary)
            *summary = d[k]->summary;
        if (server)
            *server = d[k]->many;
        return d[k]->scheme;
    }
    return NULL;
}

xporta_status xporta_read_new(xporta_job **out, xporta_account *account,
                              xporta_record_cb cb, void *userdata)
{
    if (!out || !account || !cb)
        return XPORTA_EINVAL;
    *out = NULL;
    xporta_job *j = job_alloc(JOB_READ);
    if (!j)
        return XPORTA_ENOMEM;
    j->account = account;
    j->record_cb = cb;
    j->record_ud = userdata;
    *out = j;
    return XPORTA_OK;
}

xporta_status xporta_announce_new(xporta_job **out, xporta_account *old,
                                  xporta_account *new_)
{
    if (!out || !old || !new_)
        return XPORTA_EINVAL;
    *out = NULL;
    xporta_job *j = job_alloc(JOB_ANNOUNCE);
    if (!j)
        return XPORTA_ENOMEM;
    j->account = old;
    j->target = new_;
    *out = j;
    return XPORTA_OK;
}

xporta_status xporta_follow_new(xporta_job **out, xporta_account *account)
{
    if (!out || !account)
        return XPORTA_EINVAL;
    *out = NULL;
    xporta_job *j = job_alloc(JOB_FOLLOW);
    if (!j)
        return XPORTA_ENOMEM;
    j->account = account;
    *out = j;
    return XPORTA_OK;
}

void xporta_job_set_announce(xporta_job *j, bool on)
{
    if (j)
        j->announce = on;
}

void xporta_job_set_moved_access(xporta_job *j, xporta_moved_access access)
{
    if (j && (unsigned)access <= XPORTA_MOVED_OPEN)
        j->moved_access = access;
}

void xporta_job_set_rate(xporta_job *j, unsigned per_minute)
{
    if (j)
        j->rate = per_minute;
}

void xporta_job_set_contact_cb(xporta_job *j, xporta_contact_cb cb,
                               void *userdata)
{
    if (!j)
        return;
    j->contact_cb = cb;
    j->contact_ud = userdata;
}

void xporta_job_moved_counts(const xporta_job *j, xporta_moved_counts *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    if (j)
        *out = j->mc;
}

void xporta_job_set_watch(xporta_job *j, bool on)
{
    if (j)
        j->watch = on;
}

void xporta_job_set_remove_old(xporta_job *j, bool on)
{
    if (j)
        j->remove_old = on;
}

xporta_status xporta_job_set_user(xporta_job *j, const char *jid)
{
    if (!j || (jid && !xporta_jid_is_valid(jid, NULL)))
        return XPORTA_EINVAL;
    return replace(&j->user, jid);
}

xporta_status xporta_job_rename_host(xporta_job *j, const char *from,
                                     const char *to)
{
    if (!j || !from || !to || !xporta_jid_is_valid_domain(from, NULL) ||
        !xporta_jid_is_valid_domain(to, NULL))
        return XPORTA_EINVAL;
    char **list = realloc(j->renames, (j->nrenames + 2) * sizeof *list);
    if (!list)
        return XPORTA_ENOMEM;
    j->renames = list;
    list[j->nrenames] = xp_strdup(from);
    list[j->nrenames + 1] = xp_strdup(to);
    if (!list[j->nrenames] || !list[j->nrenames + 1]) {
        free(list[j->nrenames]);
        free(list[j->nrenames + 1]);
        return XPORTA_ENOMEM;
    }
    j->nrenames += 2;
    return XPORTA_OK;
}

xporta_status xporta_job_set_backup(xporta_job *j, const char *path,
                                    bool replace_file)
{
    if (!j)
        return XPORTA_EINVAL;
    j->backup_replace = replace_file;
    return replace(&j->backup, path);
}

void xporta_job_set_dry_run(xporta_job *j, bool on)
{
    if (j)
        j->dry_run = on;
}

void xporta_job_set_on_conflict(xporta_job *j, xporta_conflict c)
{
    if (j)
        j->conflict = c;
}

void xporta_job_set_include(xporta_job *j, unsigned flags)
{
    if (j)
        j->include = flags;
}

xporta_status xporta_job_set_state_dir(xporta_job *j, const char *dir)
{
    return j ? replace(&j->state_dir, dir) : XPORTA_EINVAL;
}

const char *xporta_job_state_dir(const xporta_job *j)
{
    return j ? j->state_dir_used : NULL;
}

void xporta_job_set_verify(xporta_job *j, bool on)
{
    if (j)
        j->verify = on;
}

void xporta_job_set_action_cb(xporta_job *j, xporta_action_cb cb,
                              void *userdata)
{
    if (!j)
        return;
    j->action = cb;
    j->action_ud = userdata;
}

void xporta_job_import_counts(const xporta_job *j, xporta_kind k,
                              xporta_import_counts *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    if (j && (unsigned)k < XPORTA_KIND_COUNT)
        *out = j->ic[k];
}

bool xporta_job_verified(const xporta_job *j)
{
    return j && j->verified;
}

xporta_status xporta_export_new(xporta_job **out, xporta_account *account,
                                const char *path)
{
    if (!out || !account || !path || !*path)
        return XPORTA_EINVAL;
    *out = NULL;
    xporta_job *j = job_alloc(JOB_EXPORT);
    if (!j)
        return XPORTA_ENOMEM;
    j->account = account;
    j->path = xp_strdup(path);
    if (!j->path) {
        free(j);
        return XPORTA_ENOMEM;
    }
    *out = j;
    return XPORTA_OK;
}

void xporta_job_set_kinds(xporta_job *j, uint32_t kinds)
{
    if (!j)
        return;
    j->kinds = kinds & ((1u << XPORTA_KIND_COUNT) - 1);
}

xporta_status xporta_job_add_private_ns(xporta_job *j, const char *ns)
{
    if (!j || !ns || !*ns)
        return XPORTA_EINVAL;
    char *key;
    if (ns[0] == '{') {
        const char *close = strchr(ns, '}');
        if (!close || close == ns + 1 || !close[1])
            return XPORTA_EINVAL;
        key = xp_strdup(ns);
    } else {
        /* Without an element name, "query" is XEP-0049's usual choice;
         * servers store by namespace, so the name rarely matters. */
        size_t n = strlen(ns);
        key = malloc(n + sizeof "{}query");
        if (key)
            snprintf(key, n + sizeof "{}query", "{%s}query", ns);
    }
    int added = key ? xp_strv_add(&j->private_ns, key) : -1;
    free(key);
    return added < 0 ? XPORTA_ENOMEM : XPORTA_OK;
}

xporta_status xporta_job_set_range(xporta_job *j, const char *since,
                                   const char *until)
{
    long long s;
    if (!j)
        return XPORTA_EINVAL;
    if ((since && !xp_datetime_parse(since, &s, NULL)) ||
        (until && !xp_datetime_parse(until, &s, NULL)))
        return XPORTA_EINVAL;
    if (replace(&j->since, since) != XPORTA_OK ||
        replace(&j->until, until) != XPORTA_OK)
        return XPORTA_ENOMEM;
    return XPORTA_OK;
}

void xporta_job_set_parallel(xporta_job *j, unsigned n)
{
    if (!j)
        return;
    j->parallel = n < 1 ? 1 : n > 16 ? 16 : n;
}

void xporta_job_set_progress(xporta_job *j, xporta_progress_cb cb,
                             void *userdata)
{
    if (!j)
        return;
    j->r.progress = cb;
    j->r.progress_ud = userdata;
}

/* xporta_read_new: the account's small kinds into the caller's callback,
 * through the account driver of lib/store. */
static xporta_status read_sink(void *ud, xporta_record *rec)
{
    xporta_job *j = ud;
    xporta_status st = j->record_cb(j->record_ud, rec);
    if (st != XPORTA_OK)
        return xp_fail(&j->r.err, st, "stopped by the caller: %s",
                       xporta_strerror(st));
    return XPORTA_OK;
}

static xporta_status read_run(xporta_job *j)
{
    uint32_t kinds =
        j->kinds & ~((1u << XPORTA_KIND_ARCHIVE) | (1u << XPORTA_KIND_PENDING));
    struct live l;
    struct xp_session_opts so;
    job_session_opts(j->account, &so);
    xporta_status st = live_open(&l, &j->r, &so, kinds);
    if (st == XPORTA_OK) {
        l.private_ns = &j->private_ns;
        l.sink = read_sink;
        l.sink_ud = j;
        st = live_read_small(&l);
    }
    live_close(&l);
    if (st == XPORTA_OK && l.failed_kind)
        st = xp_fail(&j->r.err, XPORTA_ESTANZA,
                     "the server refused some kinds (their states say which)");
    return st;
}

/* The job types: how each runs.  `step` names it in progress reports
 * (NULL: the job names its own steps, as migrate does); `writes` jobs
 * hold the target account's lock while they run, unless dry. */
static const struct {
    enum job_type type;
    const char *step;
    bool writes;
    xporta_status (*run)(xporta_job *j);
} job_types[] = {
    {JOB_EXPORT, "export", false, export_run},
    {JOB_IMPORT, "import", true, import_run},
    {JOB_MIGRATE, NULL, true, migrate_run},
    {JOB_READ, "read", false, read_run},
    {JOB_ANNOUNCE, NULL, false, announce_run},
    {JOB_FOLLOW, NULL, false, follow_run},
    {JOB_ROOMS, "rooms", false, rooms_run},
    {JOB_ROOM_MOVE, "room-move", false, room_move_run},
    {JOB_SERVER_IMPORT, "server-import", false, server_import_run},
    {JOB_SERVER_EXPORT, "server-export", false, server_export_run},
    {JOB_HISTORY, "history", false, history_run},
};

xporta_status xporta_job_run(xporta_job *j)
{
    if (!j)
        return XPORTA_EINVAL;
    j->r.t0 = xp_now();
    j->r.cancel = 0;
    /* A job object may be run again (after an interruption). */
    xp_err_clear(&j->r.err);
    xp_run_reset_kinds(&j->r);
    j->verified = false;
    j->resumed = false;
    free(j->export_refused);
    j->export_refused = NULL;
    for (size_t i = 0; i < sizeof job_types / sizeof job_types[0]; i++) {
        if (job_types[i].type != j->type)
            continue;
        if (job_types[i].step)
            j->r.step = job_types[i].step;
        job_events_start(j);
        /* One writer per target account (a dry run only reads). */
        int lock = -1;
        xporta_status st = XPORTA_OK;
        if (job_types[i].writes && !j->dry_run)
            st = xfer_target_lock(j->target->jid, &lock, &j->r.err);
        if (st == XPORTA_OK)
            st = job_types[i].run(j);
        xfer_target_unlock(lock);
        job_events_end(j, st);
        return st;
    }
    return XPORTA_EINVAL;
}

void xporta_job_cancel(xporta_job *j)
{
    if (j)
        j->r.cancel = 1;
}

const char *xporta_job_error(const xporta_job *j)
{
    return j ? xp_err_msg(&j->r.err) : "";
}

xporta_kind_state xporta_job_state(const xporta_job *j, xporta_kind k)
{
    if (!j || (unsigned)k >= XPORTA_KIND_COUNT)
        return XPORTA_STATE_NOT_ASKED;
    return j->r.kind[k].state;
}

uint64_t xporta_job_count(const xporta_job *j, xporta_kind k)
{
    if (!j || (unsigned)k >= XPORTA_KIND_COUNT)
        return 0;
    return j->r.kind[k].count;
}

const char *xporta_job_note(const xporta_job *j, xporta_kind k)
{
    if (!j || (unsigned)k >= XPORTA_KIND_COUNT)
        return NULL;
    return j->r.kind[k].note;
}

bool xporta_job_resumed(const xporta_job *j)
{
    return j && j->resumed;
}

void xporta_job_free(xporta_job *j)
{
    if (!j)
        return;
    xp_run_cleanup(&j->r);
    xp_strv_cleanup(&j->private_ns);
    free(j->path);
    free(j->since);
    free(j->until);
    free(j->user);
    for (size_t i = 0; i < j->nrenames; i++)
        free(j->renames[i]);
    free(j->renames);
    free(j->domain);
    free(j->backup);
    free(j->state_dir);
    free(j->state_dir_used);
    free(j->export_refused);
    free(j->outdir);
    free(j->source);
    free(j->target_store);
    xp_strv_cleanup(&j->users);
    xp_strv_cleanup(&j->room_names);
    free(j->old_room);
    free(j->new_room);
    xp_json_cleanup(&j->ev.w);
    for (size_t i = 0; i < j->njid_map; i++)
        free(j->jid_map[i]);
    free(j->jid_map);
    free(j);
}
