/* xporta serve: the history view.  An export's messages, written by the
 * library's history job (xporta history) into STATE/serve/jobs/ID/history/,
 * served as they are under /history/ID/: static pages that escape every
 * message and load only their own files (serve's CSP holds for them too).
 * A path is taken only if made of safe characters, without "..", and
 * opened without following links. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "serve_srv.h"

static bool safe_path(const char *p)
{
    if (strlen(p) > 200 || p[0] == '/' || strstr(p, "..") || strstr(p, "//"))
        return false;
    for (; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.' ||
              *p == '/'))
            return false;
    return true;
}

static const char *type_of(const char *p)
{
    const char *dot = strrchr(p, '.');
    if (dot && strcmp(dot, ".html") == 0)
        return "text/html; charset=utf-8";
    if (dot && strcmp(dot, ".css") == 0)
        return "text/css; charset=utf-8";
    if (dot && strcmp(dot, ".js") == 0)
        return "text/javascript; charset=utf-8";
    return NULL;
}

enum MHD_Result xs_history_file(struct xs_server *s, struct MHD_Connection *c,
                                const char *rest)
{
    char id[XS_ID_LEN + 1], file[256];
    size_t n = strcspn(rest, "/");
    if (n != XS_ID_LEN || rest[n] != '/')
        return xs_send_error(c, MHD_HTTP_NOT_FOUND, "there is no such history");
    memcpy(id, rest, n);
    id[n] = '\0';
    snprintf(file, sizeof file, "%s",
             rest[n + 1] ? rest + n + 1 : "index.html");
    size_t fl = strlen(file);
    if (fl && file[fl - 1] == '/' && fl + 10 < sizeof file)
        strcat(file, "index.html");
    const char *type = type_of(file);
    if (!safe_path(id) || !safe_path(file) || !type)
        return xs_send_error(c, MHD_HTTP_NOT_FOUND, "there is nothing here");
    char path[PATH_MAX + 300];
    bool ready = false;
    pthread_mutex_lock(&s->mu);
    struct xs_job *j = xs_job_find(s, id);
    if (j && j->type == XS_EXPORT &&
        !(j->state == XS_RUNNING && strcmp(j->stage, "history") == 0)) {
        snprintf(path, sizeof path, "%s/history/%s", j->dir, file);
        ready = true;
    }
    pthread_mutex_unlock(&s->mu);
    int fd = ready ? open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1;
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        return xs_send_error(c, MHD_HTTP_NOT_FOUND,
                             "there is no such page (make the history first)");
    }
    struct MHD_Response *r =
        MHD_create_response_from_fd64((uint64_t)st.st_size, fd);
    if (!r) {
        close(fd);
        return MHD_NO;
    }
    xs_headers(r, true);
    MHD_add_response_header(r, "Content-Type", type);
    enum MHD_Result ok = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ok;
}
