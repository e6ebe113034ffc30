#include "test_util.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *data_path(const char *name)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", XPORTA_TEST_DATA, name);
    return buf;
}

char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (n + 4096 > cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

char *make_tmpdir(void)
{
    char tmpl[] = "/tmp/xporta-test-XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

void rm_rf(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return;
    if (S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *de;
        while (d && (de = readdir(d)) != NULL) {
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                continue;
            char sub[4096];
            snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
            rm_rf(sub);
        }
        if (d)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

long chunked_read(void *ud, char *buf, size_t cap)
{
    struct chunked *c = ud;
    size_t n = c->len - c->pos;
    if (n > c->chunk)
        n = c->chunk;
    if (n > cap)
        n = cap;
    memcpy(buf, c->data + c->pos, n);
    c->pos += n;
    return (long)n;
}

struct sbuf {
    char *p;
    size_t n, cap;
};

static void sadd(struct sbuf *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void sadd(struct sbuf *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (s->n + (size_t)k + 1 > s->cap) {
        s->cap = (s->n + (size_t)k + 1) * 2;
        s->p = realloc(s->p, s->cap);
    }
    va_start(ap, fmt);
    vsnprintf(s->p + s->n, (size_t)k + 1, fmt, ap);
    va_end(ap);
    s->n += (size_t)k;
}

char *digest_reader(xporta_pie_reader *r, xporta_status *st, char *err,
                    size_t errcap)
{
    struct sbuf s = {0};
    sadd(&s, "%s", "");
    for (;;) {
        xporta_pie_event ev;
        *st = xporta_pie_reader_next(r, &ev);
        if (*st != XPORTA_OK) {
            if (err)
                snprintf(err, errcap, "%s", xporta_pie_reader_error(r));
            free(s.p);
            return NULL;
        }
        switch (ev) {
        case XPORTA_PIE_HOST:
            sadd(&s, "host %s\n", xporta_pie_reader_host(r));
            break;
        case XPORTA_PIE_USER: {
            char *u = NULL;
            xporta_elem_to_string(xporta_pie_reader_user_elem(r), &u, NULL);
            sadd(&s, "user %s %s\n", xporta_pie_reader_user(r), u);
            free(u);
            break;
        }
        case XPORTA_PIE_COMPONENT:
            sadd(&s, "component %s %s\n", xporta_pie_reader_component(r),
                 xporta_pie_reader_component_type(r));
            break;
        case XPORTA_PIE_ROOM: {
            char *u = NULL;
            xporta_elem_to_string(xporta_pie_reader_room_elem(r), &u, NULL);
            sadd(&s, "room %s %s\n", xporta_pie_reader_room(r), u);
            free(u);
            break;
        }
        case XPORTA_PIE_ROOM_END:
            sadd(&s, "end room\n");
            break;
        case XPORTA_PIE_COMPONENT_END:
            sadd(&s, "end component\n");
            break;
        case XPORTA_PIE_RECORD:
        case XPORTA_PIE_ROOM_RECORD:
        case XPORTA_PIE_EXTRA: {
            const xporta_record *rec = xporta_pie_reader_record(r);
            char *p = NULL;
            xporta_elem_to_string(rec->payload, &p, NULL);
            /* One line per event: payload line breaks become "\n". */
            for (char *q = p; *q; q++)
                if (*q == '\n')
                    *q = '|';
            sadd(&s, "%s %s [%s] id=%s in=%s %s\n",
                 ev == XPORTA_PIE_EXTRA         ? "extra"
                 : ev == XPORTA_PIE_ROOM_RECORD ? "room-record"
                                                : "record",
                 xporta_kind_name(rec->kind), rec->key, rec->id ? rec->id : "-",
                 rec->container ? rec->container : "-", p);
            free(p);
            break;
        }
        case XPORTA_PIE_USER_END:
            sadd(&s, "end user\n");
            break;
        case XPORTA_PIE_HOST_END:
            sadd(&s, "end host\n");
            break;
        case XPORTA_PIE_END:
            sadd(&s, "end\n");
            return s.p;
        }
    }
}

char *digest_file(const char *path, xporta_status *st, char *err, size_t errcap)
{
    xporta_pie_reader *r = NULL;
    *st = xporta_pie_reader_open(&r, path);
    if (*st != XPORTA_OK) {
        if (err)
            snprintf(err, errcap, "cannot open %s", path);
        return NULL;
    }
    char *d = digest_reader(r, st, err, errcap);
    xporta_pie_reader_free(r);
    return d;
}

char *digest_mem(const char *name, const char *text, size_t chunk,
                 xporta_status *st, char *err, size_t errcap)
{
    struct chunked c = {text, strlen(text), 0, chunk};
    xporta_pie_reader *r = NULL;
    *st = xporta_pie_reader_new(&r, name, chunked_read, &c);
    if (*st != XPORTA_OK)
        return NULL;
    char *d = digest_reader(r, st, err, errcap);
    xporta_pie_reader_free(r);
    return d;
}

xporta_status copy_stream(xporta_pie_reader *r, xporta_pie_writer *w)
{
    for (;;) {
        xporta_pie_event ev;
        xporta_status st = xporta_pie_reader_next(r, &ev);
        if (st != XPORTA_OK)
            return st;
        switch (ev) {
        case XPORTA_PIE_HOST:
            st = xporta_pie_writer_begin_host(w, xporta_pie_reader_host(r));
            break;
        case XPORTA_PIE_USER:
            st = xporta_pie_writer_begin_user(w, xporta_pie_reader_user(r),
                                              xporta_pie_reader_user_elem(r));
            break;
        case XPORTA_PIE_RECORD:
            st = xporta_pie_writer_write(w, xporta_pie_reader_record(r));
            break;
        case XPORTA_PIE_EXTRA:
            st = xporta_pie_writer_write_extra(
                w, xporta_pie_reader_record(r)->payload);
            break;
        case XPORTA_PIE_USER_END:
            st = xporta_pie_writer_end_user(w);
            break;
        case XPORTA_PIE_COMPONENT:
            st = xporta_pie_writer_begin_component(
                w, xporta_pie_reader_component(r),
                xporta_pie_reader_component_type(r));
            break;
        case XPORTA_PIE_ROOM:
            st = xporta_pie_writer_begin_room(w, xporta_pie_reader_room(r),
                                              xporta_pie_reader_room_elem(r));
            break;
        case XPORTA_PIE_ROOM_RECORD:
            st = xporta_pie_writer_write_room(w, xporta_pie_reader_record(r));
            break;
        case XPORTA_PIE_ROOM_END:
            st = xporta_pie_writer_end_room(w);
            break;
        case XPORTA_PIE_COMPONENT_END:
            st = xporta_pie_writer_end_component(w);
            break;
        case XPORTA_PIE_HOST_END:
            st = xporta_pie_writer_end_host(w);
            break;
        case XPORTA_PIE_END:
            return XPORTA_OK;
        }
        if (st != XPORTA_OK)
            return st;
    }
}

void diags_cb(const xporta_diag *d, void *ud)
{
    struct diags *ds = ud;
    static const char *const sev[] = {"note", "warning", "error"};
    char line[1024];
    int n = snprintf(line, sizeof line, "%s %lu:%lu %s\n", sev[d->severity],
                     d->line, d->col, d->message);
    ds->text = realloc(ds->text, ds->len + (size_t)n + 1);
    memcpy(ds->text + ds->len, line, (size_t)n + 1);
    ds->len += (size_t)n;
    if (d->severity == XPORTA_ERROR)
        ds->errors++;
    else if (d->severity == XPORTA_WARNING)
        ds->warnings++;
    else
        ds->notes++;
}

void diags_free(struct diags *d)
{
    free(d->text);
    memset(d, 0, sizeof *d);
}

void assert_text_equal_at(const char *a, const char *b, const char *file,
                          int line)
{
    if (strcmp(a, b) == 0)
        return;
    size_t i = 0, ln = 1, start = 0;
    while (a[i] && a[i] == b[i]) {
        if (a[i] == '\n') {
            ln++;
            start = i + 1;
        }
        i++;
    }
    size_t ea = strcspn(a + start, "\n"), eb = strcspn(b + start, "\n");
    print_error("%s:%d: texts differ at line %zu:\n  - %.*s\n  + %.*s\n", file,
                line, ln, (int)ea, a + start, (int)eb, b + start);
    _fail(file, line);
}
