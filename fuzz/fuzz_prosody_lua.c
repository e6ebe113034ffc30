/*
 * Fuzz target: Prosody's Lua data (lib/store/prosody_lua.c), read without
 * Lua.  Whatever the reader accepts, written back and read again, gives
 * the same text (the writer's output is a fixed point); every value that
 * is a stanza converts to an element and back to an equal element.  The
 * second byte picks the form: a .dat file or a .list file.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "store/prosody_value.h"

/* Reads every value of `text`, writing each into `out`; false when the
 * reader refuses the input. */
static bool read_all(const char *text, size_t len, size_t chunk,
                     enum pv_form form, struct xp_buf *out)
{
    struct fuzz_input in = {(const uint8_t *)text, len, 0, chunk};
    struct xp_arena a;
    struct xp_err e = {0};
    struct pv_reader *r;
    xp_arena_init(&a, 1u << 24);
    if (pv_reader_new(&r, "fuzz", fuzz_read, &in, form, &a)) {
        xp_arena_cleanup(&a);
        return false;
    }
    struct pv v;
    xporta_status st;
    bool ok = true;
    while ((st = pv_reader_next(r, &v, &e)) == XPORTA_OK) {
        xp_buf_adds(out, form == PV_DAT ? "return " : "item(");
        if (pv_write_lua(out, &v) != XPORTA_OK)
            ok = false;
        xp_buf_adds(out, form == PV_DAT ? ";\n" : ");\n");
        const char *why;
        xp_elem *el = pv_to_elem(&a, &v, XP_NS_CLIENT, &why);
        struct pv back;
        if (el && pv_from_elem(&a, el, &back)) {
            xp_elem *el2 = pv_to_elem(&a, &back, XP_NS_CLIENT, &why);
            if (!el2 || !xp_elem_equal(el, el2))
                abort(); /* a stanza must survive the round trip */
        }
        xp_arena_reset(&a);
    }
    pv_reader_free(r);
    xp_arena_cleanup(&a);
    return ok && st == XPORTA_ENOTFOUND;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    struct fuzz_input in;
    fuzz_input_init(&in, data + 1, size - 1);
    enum pv_form form = data[0] & 1 ? PV_LIST : PV_DAT;
    struct xp_buf once, twice;
    xp_buf_init(&once, 1u << 26);
    xp_buf_init(&twice, 1u << 26);
    if (read_all((const char *)in.data, in.len, in.chunk, form, &once)) {
        if (!read_all(once.data ? once.data : "", once.len, 7, form, &twice) ||
            once.len != twice.len ||
            (once.len && memcmp(once.data, twice.data, once.len) != 0))
            abort(); /* the writer's output must read back as itself */
    }
    xp_buf_cleanup(&once);
    xp_buf_cleanup(&twice);
    return 0;
}
