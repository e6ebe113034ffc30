/*
 * Fuzz target: read -> write -> read gives the same records.
 * Whatever the reader accepts, the writer must write (standard dialect) and
 * the reader must read back as the same hosts, users and records.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_util.h"

struct sbuf {
    char *p;
    size_t n;
};

static void add(struct sbuf *s, const char *a, const char *b)
{
    size_t la = strlen(a), lb = b ? strlen(b) : 0;
    s->p = realloc(s->p, s->n + la + lb + 2);
    memcpy(s->p + s->n, a, la);
    if (b)
        memcpy(s->p + s->n + la, b, lb);
    s->n += la + lb;
    s->p[s->n++] = '\n';
    s->p[s->n] = '\0';
}

/* Reads everything; optionally copies it into w.  Returns the digest or
 * NULL when the input is not accepted. */
static char *digest(xporta_pie_reader *r, xporta_pie_writer *w, bool *werr)
{
    struct sbuf s = {calloc(1, 1), 0};
    for (unsigned steps = 0; steps < 1000000; steps++) {
        xporta_pie_event ev;
        xporta_status st = xporta_pie_reader_next(r, &ev), ws = XPORTA_OK;
        if (st != XPORTA_OK) {
            free(s.p);
            return NULL;
        }
        char *p = NULL;
        xporta_record *rec = NULL;
        switch (ev) {
        case XPORTA_PIE_HOST:
            add(&s, "host ", xporta_pie_reader_host(r));
            if (w)
                ws = xporta_pie_writer_begin_host(w, xporta_pie_reader_host(r));
            break;
        case XPORTA_PIE_USER:
            xporta_elem_to_string(xporta_pie_reader_user_elem(r), &p, NULL);
            add(&s, "user ", p);
            if (w)
                ws = xporta_pie_writer_begin_user(
                    w, xporta_pie_reader_user(r),
                    xporta_pie_reader_user_elem(r));
            break;
        case XPORTA_PIE_COMPONENT:
            add(&s, "component ", xporta_pie_reader_component(r));
            add(&s, "type ", xporta_pie_reader_component_type(r));
            if (w)
                ws = xporta_pie_writer_begin_component(
                    w, xporta_pie_reader_component(r),
                    xporta_pie_reader_component_type(r));
            break;
        case XPORTA_PIE_ROOM:
            xporta_elem_to_string(xporta_pie_reader_room_elem(r), &p, NULL);
            add(&s, "room ", p);
            if (w)
                ws = xporta_pie_writer_begin_room(
                    w, xporta_pie_reader_room(r),
                    xporta_pie_reader_room_elem(r));
            break;
        case XPORTA_PIE_ROOM_END:
            add(&s, "end room", NULL);
            if (w)
                ws = xporta_pie_writer_end_room(w);
            break;
        case XPORTA_PIE_COMPONENT_END:
            add(&s, "end component", NULL);
            if (w)
                ws = xporta_pie_writer_end_component(w);
            break;
        case XPORTA_PIE_RECORD:
        case XPORTA_PIE_ROOM_RECORD:
        case XPORTA_PIE_EXTRA:
            rec = xporta_pie_reader_record(r);
            xporta_elem_to_string(rec->payload, &p, NULL);
            add(&s, xporta_kind_name(rec->kind), rec->key);
            add(&s, rec->id ? rec->id : "-", rec->container);
            add(&s, "", p);
            if (w && ev == XPORTA_PIE_RECORD)
                ws = xporta_pie_writer_write(w, rec);
            else if (w && ev == XPORTA_PIE_ROOM_RECORD)
                ws = xporta_pie_writer_write_room(w, rec);
            else if (w)
                ws = xporta_pie_writer_write_extra(w, rec->payload);
            break;
        case XPORTA_PIE_USER_END:
            add(&s, "end user", NULL);
            if (w)
                ws = xporta_pie_writer_end_user(w);
            break;
        case XPORTA_PIE_HOST_END:
            add(&s, "end host", NULL);
            if (w)
                ws = xporta_pie_writer_end_host(w);
            break;
        case XPORTA_PIE_END:
            return s.p;
        }
        xporta_free(p);
        if (ws != XPORTA_OK) {
            *werr = true;
            w = NULL; /* keep reading; the caller decides */
        }
    }
    free(s.p);
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[256];
    if (!path[0])
        snprintf(path, sizeof path, "%s/xporta-fuzz-%d.xml",
                 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
    struct fuzz_input in;
    xporta_pie_reader *r = NULL;
    xporta_pie_writer *w = NULL;
    bool werr = false;
    fuzz_input_init(&in, data, size);
    if (xporta_pie_reader_new(&r, "fuzz", fuzz_read, &in) != XPORTA_OK)
        return 0;
    xporta_pie_reader_set_include(r, fuzz_include, NULL);
    xporta_pie_reader_set_max_record(r, 1 << 20);
    if (xporta_pie_writer_open(&w, path, XPORTA_DIALECT_STANDARD,
                               size && (data[0] & 0x40) ? XPORTA_PIE_COMPACT
                                                        : 0) != XPORTA_OK)
        abort();
    char *a = digest(r, w, &werr);
    xporta_pie_reader_free(r);
    if (!a || werr) {
        /* Input refused, or a duplicate user (which the writer rightly
         * refuses): nothing to compare.  The writer removes its file. */
        const char *e = xporta_pie_writer_error(w);
        if (a && !strstr(e, "written twice"))
            abort();
        xporta_pie_writer_free(w);
        free(a);
        return 0;
    }
    if (xporta_pie_writer_commit(w) != XPORTA_OK)
        abort();
    xporta_pie_writer_free(w);
    if (xporta_pie_reader_open(&r, path) != XPORTA_OK)
        abort();
    char *b = digest(r, NULL, &werr);
    xporta_pie_reader_free(r);
    unlink(path);
    if (!b || strcmp(a, b) != 0) {
        fprintf(stderr, "round trip differs:\n--- first\n%s--- second\n%s", a,
                b ? b : "(not readable)\n");
        abort();
    }
    free(a);
    free(b);
    return 0;
}
