/*
 * Fuzz target: a room's options as ejabberd keeps them in muc_room.opts
 * (lib/store/ejd_room.c).  Whatever the reader accepts, the writer takes
 * (every record it made), writes as opts, and that text read and written
 * again is the same text (a fixed point); a refusal always says why.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/ejd_room.h"

#define ROOM "room@conference.example.org"

static xporta_status take(void *ud, const xporta_record *rec)
{
    const char *why = NULL;
    xporta_status st = ejd_room_w_add(ud, rec, &why);
    if (st && st != XPORTA_ENOMEM)
        abort(); /* the writer takes what the reader makes */
    return st;
}

/* opts -> records -> opts into `out`; false when the reader refused. */
static bool once(struct xp_arena *a, const char *text, size_t len,
                 struct xp_buf *out)
{
    struct ejd_room_w w;
    ejd_room_w_init(&w, a, ROOM);
    const char *why = NULL;
    xporta_status st =
        ejd_room_read_opts(a, ROOM, text, len, NULL, 0, take, NULL, &w, &why);
    if (st == XPORTA_EFORMAT && !why)
        abort(); /* a refusal says why */
    if (st)
        return false;
    why = NULL;
    st = ejd_room_w_opts(&w, out, NULL, NULL, &why);
    if (st && st != XPORTA_ENOMEM)
        abort(); /* what was read is written */
    return st == XPORTA_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20))
        return 0;
    struct xp_arena a;
    xp_arena_init(&a, 1u << 26);
    struct xp_buf one, two, three;
    xp_buf_init(&one, 1u << 26);
    xp_buf_init(&two, 1u << 26);
    xp_buf_init(&three, 1u << 26);
    if (once(&a, (const char *)data, size, &one)) {
        if (!once(&a, one.data, one.len, &two))
            abort(); /* what is written reads back */
        if (!once(&a, two.data, two.len, &three) || two.len != three.len ||
            memcmp(two.data, three.data, two.len) != 0) {
            fprintf(stderr, "%.*s\n%.*s\n", (int)two.len, two.data,
                    (int)three.len, three.data);
            abort(); /* and is a fixed point */
        }
    }
    xp_buf_cleanup(&one);
    xp_buf_cleanup(&two);
    xp_buf_cleanup(&three);
    xp_arena_cleanup(&a);
    return 0;
}
