/*
 * Is a Prosody running on this storage?  Prosody caches the rosters and
 * PEP nodes of users who are online and writes them back over whatever
 * was put under it, so an import must not write under a running server.
 *
 * Every process whose command is Prosody's (`prosody`, or `lua5.x
 * /usr/bin/prosody`) is looked at: its configuration file (--config FILE,
 * else Debian's /etc/prosody/prosody.cfg.lua) names its data directory
 * (data_path, default /var/lib/prosody) and, with SQL storage, its
 * database.  A configuration that cannot be read counts as naming the
 * storage: better a refusal that says why than a corrupted server.
 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "prosody_store.h"

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

/* The string value of `name = "..."` in a Lua config (first one). */
static char *config_string(const char *text, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = text; (p = strstr(p, name)); p += n) {
        if (p > text && (isalnum((unsigned char)p[-1]) || p[-1] == '_'))
            continue;
        const char *q = p + n;
        while (*q == ' ' || *q == '\t')
            q++;
        if (*q != '=')
            continue;
        q++;
        while (*q == ' ' || *q == '\t')
            q++;
        if (*q != '"' && *q != '\'')
            continue;
        char quote = *q++;
        const char *end = strchr(q, quote);
        if (!end)
            return NULL;
        return xp_strndup(q, (size_t)(end - q));
    }
    return NULL;
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

long pbe_running_prosody(const char *path, char **config)
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
        if (uses(text, path)) {
            found = strtol(e->d_name, NULL, 10);
            *config = xp_strdup(cfg);
        }
        free(text);
    }
    free(args);
    closedir(d);
    return found;
}
