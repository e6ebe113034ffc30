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

bool xp_set_remove(struct xp_set *s, uint64_t h)
{
    if (h == 0)
        h = 1;
    if (!s->cap)
        return false;
    size_t mask = s->cap - 1, i = (size_t)h & mask;
    while (s->slots[i] && s->slots[i] != h)
        i = (i + 1) & mask;
    if (!s->slots[i])
        return false;
    /* Backward-shift deletion: every later member of the same run that
     * could live at the hole moves into it, so that lookups, which stop
     * at the first empty slot, still find them (no tombstones). */
    for (size_t j = i;;) {
        j = (j + 1) & mask;
        if (!s->slots[j])
            break;
        size_t home = (size_t)s->slots[j] & mask;
        bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
        if (stays)
            continue;
        s->slots[i] = s->slots[j];
        i = j;
    }
    s->slots[i] = 0;
    s->n--;
    return true;
}

uint64_t xp_key_hash(const char *a, const char *b)
{
    uint64_t h = xp_hash(a ? a : "", a ? strlen(a) : 0, 0x9e3779b97f4a7c15ull);
    h = xp_hash("\0", 1, h);
    if (b)
        h = xp_hash(b, strlen(b), h);
    return h;
}

/* ---- maps ------------------------------------------------------------------
 */

void xp_map_init(struct xp_map *m)
{
    memset(m, 0, sizeof *m);
}

void xp_map_cleanup(struct xp_map *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

static size_t map_slot(const struct xp_map *m, uint64_t key)
{
    size_t i = (size_t)key & (m->cap - 1);
    while (m->keys[i] && m->keys[i] != key)
        i = (i + 1) & (m->cap - 1);
    return i;
}

bool xp_map_get(const struct xp_map *m, uint64_t key, uint64_t *val)
{
    if (key == 0)
        key = 1;
    if (!m->cap)
        return false;
    size_t i = map_slot(m, key);
    if (!m->keys[i])
        return false;
    if (val)
        *val = m->vals[i];
    return true;
}

int xp_map_put(struct xp_map *m, uint64_t key, uint64_t val)
{
    if (key == 0)
        key = 1;
    if ((m->n + 1) * 2 > m->cap) {
        struct xp_map g;
        g.cap = m->cap ? m->cap * 2 : 64;
        g.n = 0;
        g.keys = calloc(g.cap, sizeof *g.keys);
        g.vals = calloc(g.cap, sizeof *g.vals);
        if (!g.keys || !g.vals) {
            free(g.keys);
            free(g.vals);
            return -1;
        }
        for (size_t i = 0; i < m->cap; i++)
            if (m->keys[i]) {
                size_t s = map_slot(&g, m->keys[i]);
                g.keys[s] = m->keys[i];
                g.vals[s] = m->vals[i];
                g.n++;
            }
        free(m->keys);
        free(m->vals);
        *m = g;
    }
    size_t i = map_slot(m, key);
    int added = m->keys[i] == 0;
    m->keys[i] = key;
    m->vals[i] = val;
    m->n += (size_t)added;
    return added;
}
