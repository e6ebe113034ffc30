/* xporta serve: a job's events as server-sent events.  A stream reads the
 * job's log from the line after Last-Event-ID, then parks (suspends its
 * connection) until the worker appends a line or the heartbeat wakes it.
 * The rules (docs/research/serve.md 1.2): the check "nothing to send" and
 * the suspend happen under srv->mu, which the producer holds to resume; a
 * stream leaves the parked list before it is resumed; nothing stays
 * suspended when the daemon stops. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "serve_srv.h"

enum {
    /* Streams open at once, of 256 connections: the rest stay for pages
     * and the API (a suspended stream holds its connection). */
    XS_STREAMS_MAX = 64,
    /* A line of the log fits (strings are cut at 16 KiB). */
    XS_SSE_BLOCK = 65536
};

void xs_wake_locked(struct xs_job *j, bool ping)
{
    struct xs_stream *s = j->parked;
    j->parked = NULL;
    while (s) {
        struct xs_stream *next = s->next_parked;
        s->next_parked = NULL;
        s->parked = false;
        s->ping = ping;
        MHD_resume_connection(s->c);
        s = next;
    }
}

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    struct xs_stream *st = cls;
    struct xs_job *j = st->j;
    struct xs_server *s = j->srv;
    ssize_t n = 0;
    pthread_mutex_lock(&s->mu);
    if (s->stopping || j->deleted || j->ev_fd < 0) {
        n = MHD_CONTENT_READER_END_OF_STREAM;
    } else if (st->next <= j->nlines) {
        off_t from = j->offs[st->next - 1];
        off_t to = st->next < j->nlines ? j->offs[st->next] : j->end;
        size_t len = (size_t)(to - from); /* with its newline */
        int h = snprintf(buf, max,
                         "id: %llu\ndata: ", (unsigned long long)st->next);
        if (h > 0 && (size_t)h + len + 1 <= max &&
            pread(j->ev_fd, buf + h, len, from) == (ssize_t)len) {
            buf[(size_t)h + len] = '\n'; /* the line's own \n, then this */
            n = (ssize_t)((size_t)h + len + 1);
        } else {
            n = snprintf(buf, max, ": a line too long was left out\n\n");
        }
        st->next++;
    } else if (j->state != XS_RUNNING) {
        n = MHD_CONTENT_READER_END_OF_STREAM;
    } else if (st->ping) {
        st->ping = false;
        n = snprintf(buf, max, ": keep-alive\n\n");
    } else {
        st->parked = true;
        st->next_parked = j->parked;
        j->parked = st;
        MHD_suspend_connection(st->c);
        n = 0;
    }
    pthread_mutex_unlock(&s->mu);
    return n;
}

static void sse_free(void *cls)
{
    struct xs_stream *st = cls;
    struct xs_server *s = st->j->srv;
    pthread_mutex_lock(&s->mu);
    if (st->parked) /* not expected: streams are resumed before a stop */
        for (struct xs_stream **p = &st->j->parked; *p; p = &(*p)->next_parked)
            if (*p == st) {
                *p = st->next_parked;
                break;
            }
    s->streams--;
    pthread_mutex_unlock(&s->mu);
    free(st);
}

/* Under srv->mu.  NULL with *code 204 when there is nothing to stream (a
 * job at rest, its log sent): EventSource then stops reconnecting. */
struct MHD_Response *xs_sse_response(struct xs_job *j, struct MHD_Connection *c,
                                     uint64_t after, int *code)
{
    if (after > j->nlines) /* an id from the future (or a forged one) */
        after = j->nlines;
    if (after >= j->nlines && j->state != XS_RUNNING) {
        *code = MHD_HTTP_NO_CONTENT;
        return NULL;
    }
    if (j->srv->streams >= XS_STREAMS_MAX) { /* each holds a connection */
        *code = MHD_HTTP_SERVICE_UNAVAILABLE;
        return NULL;
    }
    struct xs_stream *st = calloc(1, sizeof *st);
    if (!st) {
        *code = MHD_HTTP_INTERNAL_SERVER_ERROR;
        return NULL;
    }
    st->j = j;
    st->c = c;
    st->next = after + 1;
    struct MHD_Response *r = MHD_create_response_from_callback(
        MHD_SIZE_UNKNOWN, XS_SSE_BLOCK, sse_read, st, sse_free);
    if (!r) {
        free(st);
        *code = MHD_HTTP_INTERNAL_SERVER_ERROR;
        return NULL;
    }
    j->srv->streams++;
    *code = MHD_HTTP_OK;
    return r;
}
