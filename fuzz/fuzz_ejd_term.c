/*
 * Fuzz target: the Erlang terms ejabberd keeps in SQL (lib/store/
 * ejd_term.c: pubsub_node_option.val, archive_prefs.always/never), read
 * without Erlang.  Whatever the reader accepts, printed back (atoms and
 * binaries with the store's own writers et_atom/et_bin, the rest as
 * io_lib:print would) and read again, gives an equal term, and the
 * printed text is a fixed point.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/ejd_term.h"

/* false: a term the writers cannot print (an atom with a NUL byte, which
 * no ejabberd writes and et_atom takes as a C string) */
static bool print(struct xp_buf *b, const struct eterm *t)
{
    switch (t->t) {
    case ET_ATOM:
        if (strlen(t->s) != t->len)
            return false;
        return et_atom(b, t->s) == XPORTA_OK;
    case ET_INT:
        return xp_buf_printf(b, "%lld", t->i) == XPORTA_OK;
    case ET_BIN:
        return et_bin(b, t->s, t->len) == XPORTA_OK;
    case ET_LIST:
    case ET_TUPLE:
        if (xp_buf_addc(b, t->t == ET_LIST ? '[' : '{'))
            return false;
        for (size_t i = 0; i < t->n; i++)
            if ((i && xp_buf_addc(b, ',')) || !print(b, &t->kids[i]))
                return false;
        return xp_buf_addc(b, t->t == ET_LIST ? ']' : '}') == XPORTA_OK;
    }
    return false;
}

static bool equal(const struct eterm *a, const struct eterm *b)
{
    if (a->t != b->t)
        return false;
    switch (a->t) {
    case ET_ATOM:
    case ET_BIN:
        return a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
    case ET_INT:
        return a->i == b->i;
    case ET_LIST:
    case ET_TUPLE:
        if (a->n != b->n)
            return false;
        for (size_t i = 0; i < a->n; i++)
            if (!equal(&a->kids[i], &b->kids[i]))
                return false;
        return true;
    }
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20))
        return 0;
    struct xp_arena a;
    xp_arena_init(&a, 1u << 26);
    struct eterm t, back;
    const char *why = NULL;
    struct xp_buf once, twice;
    xp_buf_init(&once, 1u << 26);
    xp_buf_init(&twice, 1u << 26);
    if (et_parse(&a, (const char *)data, size, &t, &why)) {
        if (print(&once, &t)) {
            if (!et_parse(&a, once.data, once.len, &back, &why) ||
                !equal(&t, &back)) {
                fprintf(stderr, "printed: %.*s\n", (int)once.len, once.data);
                abort(); /* what is printed must read back the same */
            }
            if (!print(&twice, &back) || twice.len != once.len ||
                memcmp(once.data, twice.data, once.len) != 0)
                abort(); /* and print the same */
        }
    } else if (!why) {
        abort(); /* a refusal always says why */
    }
    xp_buf_cleanup(&once);
    xp_buf_cleanup(&twice);
    xp_arena_cleanup(&a);
    return 0;
}
