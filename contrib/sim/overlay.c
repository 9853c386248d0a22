/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigilante-sim: Pastry-style overlay neighbour sets.
 */
#include <glib.h>

#include "overlay.h"
#include "rng.h"

typedef struct RankedId {
    uint64_t id;
    uint32_t host;
} RankedId;

static int compare_ranked(const void *a, const void *b)
{
    const RankedId *x = a, *y = b;

    return x->id < y->id ? -1 : x->id > y->id;
}

static int compare_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return x < y ? -1 : x > y;
}

/* First rank whose ID is >= value. */
static uint32_t lower_bound(const RankedId *r, uint32_t n, uint64_t value)
{
    uint32_t lo = 0, hi = n;

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;

        if (r[mid].id < value) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/*
 * Routing table of the node at rank `self`: appends the ranks of its
 * entries to out[] and returns how many.
 */
static uint32_t routing_table(const RankedId *r, uint32_t n, uint32_t self,
                              uint32_t b, uint32_t *out)
{
    uint64_t id = r[self].id;
    uint32_t digits = 64 / b, count = 0;
    uint64_t digit_mask = (1ULL << b) - 1;

    for (uint32_t row = 0; row < digits; row++) {
        uint32_t shift = 64 - (row + 1) * b;
        uint64_t low_mask = shift ? (1ULL << shift) - 1 : 0;
        uint64_t own_digit = (id >> shift) & digit_mask;
        uint64_t prefix = id & ~((digit_mask << shift) | low_mask);
        uint64_t own_lo = prefix | (own_digit << shift);
        uint32_t own_first = lower_bound(r, n, own_lo);
        uint32_t own_end = own_lo + low_mask == UINT64_MAX ? n :
                           lower_bound(r, n, own_lo + low_mask + 1);

        for (uint64_t d = 0; d <= digit_mask; d++) {
            uint64_t lo = prefix | (d << shift);
            uint64_t point = lo | (id & low_mask);
            uint32_t first, end, at, best;

            if (d == own_digit) {
                continue;
            }
            first = lower_bound(r, n, lo);
            end = lo + low_mask == UINT64_MAX ? n :
                  lower_bound(r, n, lo + low_mask + 1);
            if (first == end) {
                continue;
            }
            /* Closest ID to the constrained point within the range. */
            at = lower_bound(r, n, point);
            if (at >= end) {
                best = end - 1;
            } else if (at == first) {
                best = first;
            } else {
                best = point - r[at - 1].id <= r[at].id - point ? at - 1 : at;
            }
            out[count++] = best;
        }
        /* Nobody else shares the next digit: deeper rows are empty. */
        if (own_end - own_first <= 1) {
            break;
        }
    }
    return count;
}

Overlay *overlay_new(const OverlayParams *p, uint32_t n, uint64_t seed)
{
    Overlay *o = g_new0(Overlay, 1);
    RankedId *ranked = g_new(RankedId, n);
    uint32_t max_degree = (64 / p->b) * ((1u << p->b) - 1) + p->leaf_set;
    uint32_t *scratch = g_new(uint32_t, max_degree);
    uint32_t half = MIN(p->leaf_set / 2, (n - 1) / 2);
    GArray *links = g_array_sized_new(FALSE, FALSE, sizeof(uint32_t),
                                      (size_t)n * 24);
    uint32_t *by_rank_start = g_new(uint32_t, n + 1);
    SimRng rng;
    bool unique;

    o->n = n;
    o->b = p->b;
    o->leaf_set = p->leaf_set;
    o->id = g_new(uint64_t, n);
    sim_rng_seed(&rng, sim_seed_derive(seed, 0x1d5));
    do {
        for (uint32_t h = 0; h < n; h++) {
            ranked[h].id = sim_rng_next(&rng);
            ranked[h].host = h;
        }
        qsort(ranked, n, sizeof(*ranked), compare_ranked);
        /* IDs are certified unique; redraw on the (unlikely) clash. */
        unique = true;
        for (uint32_t i = 1; i < n; i++) {
            unique = unique && ranked[i].id != ranked[i - 1].id;
        }
    } while (!unique);
    for (uint32_t i = 0; i < n; i++) {
        o->id[ranked[i].host] = ranked[i].id;
    }

    /* Neighbour ranks of each rank, deduplicated. */
    for (uint32_t self = 0; self < n; self++) {
        uint32_t count = routing_table(ranked, n, self, p->b, scratch);
        uint32_t unique_count = 0;

        for (uint32_t k = 1; k <= half; k++) {
            scratch[count++] = (self + k) % n;
            scratch[count++] = (self + n - k) % n;
        }
        /* With an odd n - 1 the leaf set takes one more on one side. */
        if (n - 1 < p->leaf_set && (n - 1) % 2) {
            scratch[count++] = (self + half + 1) % n;
        }
        qsort(scratch, count, sizeof(uint32_t), compare_u32);
        by_rank_start[self] = links->len;
        for (uint32_t k = 0; k < count; k++) {
            if (scratch[k] != self &&
                (unique_count == 0 || scratch[k] != scratch[k - 1])) {
                uint32_t host = ranked[scratch[k]].host;

                g_array_append_val(links, host);
                unique_count++;
            }
        }
    }
    by_rank_start[n] = links->len;

    /* Reorder the lists from rank order into host order. */
    o->nbr_start = g_new(uint32_t, n + 1);
    o->nbr = g_new(uint32_t, links->len);
    o->nbr_start[0] = 0;
    {
        uint32_t *rank_of = g_new(uint32_t, n);

        for (uint32_t i = 0; i < n; i++) {
            rank_of[ranked[i].host] = i;
        }
        for (uint32_t h = 0; h < n; h++) {
            uint32_t rk = rank_of[h];
            uint32_t len = by_rank_start[rk + 1] - by_rank_start[rk];

            memcpy(&o->nbr[o->nbr_start[h]],
                   &g_array_index(links, uint32_t, by_rank_start[rk]),
                   len * sizeof(uint32_t));
            o->nbr_start[h + 1] = o->nbr_start[h] + len;
        }
        g_free(rank_of);
    }

    g_array_free(links, TRUE);
    g_free(by_rank_start);
    g_free(scratch);
    g_free(ranked);
    return o;
}

void overlay_free(Overlay *o)
{
    if (!o) {
        return;
    }
    g_free(o->id);
    g_free(o->nbr_start);
    g_free(o->nbr);
    g_free(o);
}
