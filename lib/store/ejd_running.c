/*
 * A running ejabberd on the database about to be written (ejd_sql.h).
 *
 * ejabberd caches rosters, passwords, vCards, private XML, privacy lists
 * and archive preferences for up to an hour, missing entries included
 * (cache_life_time 3600 s, cache_missed true), so what is written under a
 * running ejabberd may stay hidden from its users; and on SQLite its own
 * writes fail at once while another process holds the file (no busy
 * timeout).  So writing is refused while it runs:
 *  - SQLite: a process named beam.smp holds the database file open (the
 *    file's device and inode among /proc/PID/fd): definitive, for what
 *    this user may see of /proc;
 *  - PostgreSQL: other sessions on the database whose client gave no
 *    application name, as ejabberd's driver (p1_pgsql) connects; psql,
 *    pg_dump and xporta name themselves.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ejd_sql.h"

static bool comm_is(long pid, const char *name)
{
    char path[64], comm[64] = "";
    snprintf(path, sizeof path, "/proc/%ld/comm", pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    bool ok = fgets(comm, sizeof comm, f) != NULL;
    fclose(f);
    comm[strcspn(comm, "\n")] = '\0';
    return ok && strcmp(comm, name) == 0;
}

long esql_sqlite_holder(const char *path)
{
    struct stat db;
    if (stat(path, &db) != 0)
        return 0;
    DIR *proc = opendir("/proc");
    if (!proc)
        return 0;
    long found = 0;
    struct dirent *p;
    while (!found && (p = readdir(proc))) {
        char *end;
        long pid = strtol(p->d_name, &end, 10);
        if (*end || pid <= 0 || pid == (long)getpid() ||
            !comm_is(pid, "beam.smp"))
            continue;
        char fds[64];
        snprintf(fds, sizeof fds, "/proc/%ld/fd", pid);
        DIR *d = opendir(fds);
        if (!d)
            continue; /* another user's: not ours to see */
        struct dirent *fd;
        while (!found && (fd = readdir(d))) {
            char link[400];
            struct stat sb;
            snprintf(link, sizeof link, "%s/%s", fds, fd->d_name);
            if (fd->d_name[0] != '.' && stat(link, &sb) == 0 &&
                sb.st_dev == db.st_dev && sb.st_ino == db.st_ino)
                found = pid;
        }
        closedir(d);
    }
    closedir(proc);
    return found;
}

struct sessions {
    long n;
    char first[160];
};

static xporta_status on_session(void *ud, const struct esql_row *r)
{
    struct sessions *s = ud;
    if (!s->n++)
        snprintf(s->first, sizeof s->first, "pid %s, from %s, since %s",
                 r->v[0] ? r->v[0] : "?", r->v[1] ? r->v[1] : "the socket",
                 r->v[2] ? r->v[2] : "?");
    return XPORTA_OK;
}

xporta_status esql_running(struct esql *db, char *why, size_t cap)
{
    *why = '\0';
    if (db->missing)
        return XPORTA_OK;
    if (!db->pg) {
        long pid = esql_sqlite_holder(db->where);
        if (pid)
            snprintf(why, cap, "ejabberd (beam.smp, pid %ld) has %s open", pid,
                     db->where);
        return XPORTA_OK;
    }
    struct sessions s = {0};
    xporta_status st = esql_query(
        db, ESQL_MAX_STMTS - 1,
        "SELECT pid::text, client_addr::text, date_trunc('second', "
        "backend_start)::text FROM pg_stat_activity WHERE datname = "
        "current_database() AND pid <> pg_backend_pid() AND "
        "coalesce(application_name, '') = '' AND backend_type = 'client "
        "backend'",
        0, NULL, on_session, &s);
    if (!st && s.n)
        snprintf(why, cap,
                 "%ld session%s on %s without an application name, as "
                 "ejabberd's connections (%s%s)",
                 s.n, s.n == 1 ? "" : "s", db->where, s.first,
                 s.n > 1 ? ", ..." : "");
    return st;
}
