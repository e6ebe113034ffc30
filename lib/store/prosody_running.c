/*
 * Is a Prosody running on this storage?  Prosody caches the rosters and
 * PEP nodes of users who are online and writes them back over whatever
 * was put under it, so an import must not write under a running server.
 *
 * Every process whose command is Prosody's (`prosody`, or `lua5.x
 * /usr/bin/prosody`) is looked at: its configuration file (--config FILE,
 * else Debian's /etc/prosody/prosody.cfg.lua) names its data directory
 * (data_path, default /var/lib/prosody) and, with SQL storage, its
 * database: a file for SQLite, or for PostgreSQL (sql = { driver =
 * "PostgreSQL" }) a database name on a host and port, compared with the
 * one xporta connected to (both on this machine, or names with an address
 * in common, count as one server).  A configuration that cannot be read
 * counts as naming the storage: better a refusal that says why than a
 * corrupted server.
 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "prosody_store.h"

/* What is looked for: a data directory or SQLite file (path), or a
 * PostgreSQL database. */
struct target {
    const char *path;
    const char *db, *host, *port;
};

#define DEFAULT_CONFIG "/etc/prosody/prosody.cfg.lua"
#define DEFAULT_DATA "/var/lib/prosody"

/* argv of a process, NUL-separated, in `buf`; the count of bytes. */
static size_t cmdline(const char *pid, char *buf, size_t cap)
{
    char path[300];
    snprintf(path, sizeof path, "/proc/%.255s/cmdline", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    return (size_t)n;
}

static bool is_prosody(const char *arg)
{
    const char *base = strrchr(arg, '/');
    base = base ? base + 1 : arg;
    return strcmp(base, "prosody") == 0;
}

/* Whether `p` is inside a Lua line comment (a "--" earlier on its line;
 * strings are not looked at). */
static bool commented(const char *text, const char *p)
{
    const char *line = p;
    while (line > text && line[-1] != '\n')
        line--;
    for (const char *q = line; q + 1 < p; q++)
        if (q[0] == '-' && q[1] == '-')
            return true;
    return false;
}

/* The value of `name = "..."` or `name = 123` in [text, end) (first one
 * outside comments). */
static char *config_value(const char *text, const char *end, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = text; p < end && (p = strstr(p, name)) && p < end;
         p += n) {
        if ((p > text && (isalnum((unsigned char)p[-1]) || p[-1] == '_')) ||
            commented(text, p))
            continue;
        const char *q = p + n;
        while (*q == ' ' || *q == '\t')
            q++;
        if (*q != '=' || q[1] == '=')
            continue;
        q++;
        while (*q == ' ' || *q == '\t')
            q++;
        if (isdigit((unsigned char)*q)) {
            const char *e = q;
            while (isdigit((unsigned char)*e))
                e++;
            return xp_strndup(q, (size_t)(e - q));
        }
        if (*q != '"' && *q != '\'')
            continue;
        char quote = *q++;
        const char *e = strchr(q, quote);
        if (!e || e > end)
            return NULL;
        return xp_strndup(q, (size_t)(e - q));
    }
    return NULL;
}

static char *config_string(const char *text, const char *name)
{
    return config_value(text, text + strlen(text), name);
}

static char *read_config(const char *path)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return NULL;
    char *buf = malloc(1 << 20);
    size_t n = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
    fclose(f);
    if (buf)
        buf[n] = '\0';
    return buf;
}

static bool same_file(const char *a, const char *b)
{
    char ra[PATH_MAX], rb[PATH_MAX];
    if (!realpath(a, ra) || !realpath(b, rb))
        return strcmp(a, b) == 0;
    return strcmp(ra, rb) == 0;
}

/* Whether the configuration `text` (NULL: unreadable) uses `path`. */
static bool uses(const char *text, const char *path)
{
    if (!text)
        return true;
    char *data = config_string(text, "data_path");
    const char *dir = data ? data : DEFAULT_DATA;
    bool hit = same_file(dir, path);
    char *db = hit ? NULL : config_string(text, "database");
    if (db) {
        char *full = db[0] == '/' ? xp_strdup(db) : xp_path_join(dir, db);
        hit = full && same_file(full, path);
        free(full);
    }
    free(db);
    free(data);
    return hit;
}

/* PostgreSQL's defaults, as libpq applies them. */
static const char *pg_port(const char *port)
{
    return port && *port ? port : "5432";
}

static bool local_host(const char *h)
{
    return !h || !*h || h[0] == '/' || strcmp(h, "localhost") == 0 ||
           strncmp(h, "127.", 4) == 0 || strcmp(h, "::1") == 0;
}

/* Whether two host names are one server: both this machine, the same
 * name, or names with an address in common. */
static bool same_host(const char *a, const char *b)
{
    if (local_host(a) && local_host(b))
        return true;
    if (!a || !b)
        return false;
    if (strcasecmp(a, b) == 0)
        return true;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ra = NULL,
                    *rb = NULL;
    bool same = false;
    if (getaddrinfo(a, NULL, &hints, &ra) == 0 &&
        getaddrinfo(b, NULL, &hints, &rb) == 0)
        for (struct addrinfo *x = ra; x && !same; x = x->ai_next)
            for (struct addrinfo *y = rb; y && !same; y = y->ai_next)
                same = x->ai_addrlen == y->ai_addrlen &&
                       memcmp(x->ai_addr, y->ai_addr, x->ai_addrlen) == 0;
    if (ra)
        freeaddrinfo(ra);
    if (rb)
        freeaddrinfo(rb);
    return same;
}

/* Whether the configuration `text` has a PostgreSQL sql table naming this
 * database on this server.  Every table with driver = "PostgreSQL" counts
 * (global or per host, sql = { } or a variable); one without a database
 * counts as this one. */
static bool uses_pg(const char *text, const struct target *t)
{
    if (!text)
        return true;
    bool hit = false;
    for (const char *p = text; !hit && (p = strstr(p, "PostgreSQL")); p++) {
        if (commented(text, p))
            continue;
        /* the table around it: from the '{' before to its '}' */
        const char *open = p, *close = p;
        int depth = 0;
        while (open > text) {
            open--;
            if (*open == '}')
                depth++;
            else if (*open == '{' && depth-- == 0)
                break;
        }
        depth = 0;
        while (*close && (*close != '}' || depth-- > 0)) {
            if (*close == '{')
                depth++;
            close++;
        }
        if (*open != '{')
            continue;
        char *driver = config_value(open, close, "driver");
        bool pg = driver && strcmp(driver, "PostgreSQL") == 0;
        free(driver);
        if (!pg)
            continue;
        char *db = config_value(open, close, "database");
        char *host = config_value(open, close, "host");
        char *port = config_value(open, close, "port");
        hit = (!db || strcmp(db, t->db) == 0) &&
              strcmp(pg_port(port), pg_port(t->port)) == 0 &&
              same_host(host, t->host);
        free(db);
        free(host);
        free(port);
    }
    return hit;
}

static long running(const struct target *t, char **config)
{
    *config = NULL;
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    struct dirent *e;
    long found = 0;
    char *args = malloc(8192);
    while (args && !found && (e = readdir(d))) {
        if (!isdigit((unsigned char)e->d_name[0]) ||
            strtol(e->d_name, NULL, 10) == (long)getpid())
            continue;
        size_t n = cmdline(e->d_name, args, 8192);
        bool prosody = false;
        const char *cfg = DEFAULT_CONFIG;
        for (size_t i = 0, k = 0; i < n; i += strlen(args + i) + 1, k++) {
            const char *a = args + i;
            if (k <= 1 && is_prosody(a))
                prosody = true;
            if ((strcmp(a, "--config") == 0 || strcmp(a, "-c") == 0) &&
                i + strlen(a) + 1 < n)
                cfg = a + strlen(a) + 1;
            else if (strncmp(a, "--config=", 9) == 0)
                cfg = a + 9;
        }
        if (!prosody)
            continue;
        char *text = read_config(cfg);
        if (t->path ? uses(text, t->path) : uses_pg(text, t)) {
            found = strtol(e->d_name, NULL, 10);
            *config = xp_strdup(cfg);
        }
        free(text);
    }
    free(args);
    closedir(d);
    return found;
}

long pbe_running_prosody(const char *path, char **config)
{
    struct target t = {.path = path};
    return running(&t, config);
}

long pbe_running_prosody_pg(const char *db, const char *host, const char *port,
                            char **config)
{
    struct target t = {.db = db ? db : "", .host = host, .port = port};
    return running(&t, config);
}

long pbe_running_at_where(struct pbe *b, char **config)
{
    return pbe_running_prosody(b->where, config);
}
