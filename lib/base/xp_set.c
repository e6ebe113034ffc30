/* An open-addressing set of 64-bit hashes (0 marks an empty slot). */
#include <stdlib.h>
#include <string.h>

#include "xp_base.h"

void xp_set_init(struct xp_set *s, size_t max)
{
    s->slots = NULL;
    s->cap = 0;
    s->n = 0;
    s->max = max;
}

void xp_set_clear(struct xp_set *s)
{
    /* Shrink big tables so one huge user does not pin memory for the next. */
    if (s->cap > 1024) {
        free(s->slots);
        s->slots = NULL;
        s->cap = 0;
    } else if (s->slots) {
        memset(s->slots, 0, s->cap * sizeof *s->slots);
    }
    s->n = 0;
}

void xp_set_cleanup(struct xp_set *s)
{
    free(s->slots);
    s->slots = NULL;
    s->cap = 0;
    s->n = 0;
}

static void put(uint64_t *slots, size_t cap, uint64_t h)
{
    size_t i = (size_t)h & (cap - 1);
    while (slots[i])
        i = (i + 1) & (cap - 1);
    slots[i] = h;
}

int xp_set_add(struct xp_set *s, uint64_t h)
{
    if (h == 0)
        h = 1;
    if (xp_set_has(s, h))
        return 0;
    if (s->max && s->n >= s->max)
        return -1;
    if ((s->n + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        uint64_t *slots = calloc(cap, sizeof *slots);
        if (!slots)
            return -1;
        for (size_t i = 0; i < s->cap; i++)
            if (s->slots[i])
                put(slots, cap, s->slots[i]);
        free(s->slots);
        s->slots = slots;
        s->cap = cap;
    }
    put(s->slots, s->cap, h);
    s->n++;
    return 1;
}

bool xp_set_has(const struct xp_set *s, uint64_t h)
{
    if (h == 0)
        h = 1;
    if (!s->cap)
        return false;
    size_t i = (size_t)h & (s->cap - 1);
    while (s->slots[i]) {
        if (s->slots[i] == h)
            return true;
        i = (i + 1) & (s->cap - 1);
    }
    return false;
}

uint64_t xp_key_hash(const char *a, const char *b)
{
    uint64_t h = xp_hash(a ? a : "", a ? strlen(a) : 0, 0x9e3779b97f4a7c15ull);
    h = xp_hash("\0", 1, h);
    if (b)
        h = xp_hash(b, strlen(b), h);
    return h;
}
