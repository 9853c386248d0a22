/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigilante-sim: Pastry-style overlay tests.  The routing table is
 * checked against a brute-force search over all node IDs.
 */
#include <glib.h>
#include <string.h>

#include "overlay.h"
#include "params.h"

typedef struct IdHost {
    uint64_t id;
    uint32_t host;
} IdHost;

static int compare_id(const void *a, const void *b)
{
    const IdHost *x = a, *y = b;

    return x->id < y->id ? -1 : x->id > y->id;
}

static bool has_neighbour(const Overlay *o, uint32_t node, uint32_t other)
{
    const uint32_t *nbr = overlay_neighbours(o, node);

    for (uint32_t k = 0; k < overlay_degree(o, node); k++) {
        if (nbr[k] == other) {
            return true;
        }
    }
    return false;
}

static Overlay *make_overlay(uint32_t b, uint32_t l, uint32_t n,
                             uint64_t seed)
{
    OverlayParams p = { .b = b, .leaf_set = l };

    return overlay_new(&p, n, seed);
}

static void check_neighbour_lists(const Overlay *o)
{
    uint8_t *seen = g_new0(uint8_t, o->n);

    for (uint32_t h = 0; h < o->n; h++) {
        const uint32_t *nbr = overlay_neighbours(o, h);

        for (uint32_t k = 0; k < overlay_degree(o, h); k++) {
            g_assert_cmpuint(nbr[k], <, o->n);
            g_assert_cmpuint(nbr[k], !=, h);
            g_assert_cmpuint(seen[nbr[k]], ==, 0);
            seen[nbr[k]] = 1;
        }
        for (uint32_t k = 0; k < overlay_degree(o, h); k++) {
            seen[nbr[k]] = 0;
        }
    }
    g_free(seen);
}

static void check_leaf_sets(const Overlay *o)
{
    IdHost *sorted = g_new(IdHost, o->n);
    uint32_t half = o->leaf_set / 2;

    for (uint32_t h = 0; h < o->n; h++) {
        sorted[h] = (IdHost) { o->id[h], h };
    }
    qsort(sorted, o->n, sizeof(IdHost), compare_id);
    for (uint32_t i = 0; i < o->n; i++) {
        for (uint32_t k = 1; k <= half; k++) {
            g_assert_true(has_neighbour(o, sorted[i].host,
                                        sorted[(i + k) % o->n].host));
            g_assert_true(has_neighbour(o, sorted[i].host,
                                        sorted[(i + o->n - k) % o->n].host));
        }
    }
    g_free(sorted);
}

/* Brute force: the constrained routing table entry (row, digit). */
static void check_routing_table(const Overlay *o, uint32_t node)
{
    uint32_t b = o->b;
    uint64_t mask = (1ULL << b) - 1;
    uint64_t id = o->id[node];

    for (uint32_t row = 0; row < 64 / b; row++) {
        uint32_t shift = 64 - (row + 1) * b;

        for (uint64_t d = 0; d <= mask; d++) {
            uint64_t point = (id & ~(mask << shift)) | (d << shift);
            uint64_t best_dist = UINT64_MAX;
            uint32_t best = UINT32_MAX;

            if (d == ((id >> shift) & mask)) {
                continue;
            }
            for (uint32_t h = 0; h < o->n; h++) {
                uint64_t x = o->id[h], dist;

                /* Same first `row` digits and digit d at `row`. */
                if ((x >> shift) != (point >> shift)) {
                    continue;
                }
                dist = x > point ? x - point : point - x;
                if (dist < best_dist) {
                    best_dist = dist;
                    best = h;
                }
            }
            if (best != UINT32_MAX) {
                g_assert_true(has_neighbour(o, node, best));
            }
        }
    }
}

static void check_connected(const Overlay *o)
{
    uint8_t *seen = g_new0(uint8_t, o->n);
    uint32_t *queue = g_new(uint32_t, o->n);
    uint32_t head = 0, tail = 0;

    seen[0] = 1;
    queue[tail++] = 0;
    while (head < tail) {
        uint32_t u = queue[head++];
        const uint32_t *nbr = overlay_neighbours(o, u);

        for (uint32_t k = 0; k < overlay_degree(o, u); k++) {
            if (!seen[nbr[k]]) {
                seen[nbr[k]] = 1;
                queue[tail++] = nbr[k];
            }
        }
    }
    g_assert_cmpuint(tail, ==, o->n);
    g_free(seen);
    g_free(queue);
}

static void test_paper_overlay(void)
{
    Overlay *o = make_overlay(1, 32, 4000, 3);
    uint64_t links = o->nbr_start[o->n];

    check_neighbour_lists(o);
    check_leaf_sets(o);
    for (uint32_t node = 0; node < 40; node++) {
        check_routing_table(o, node * 97);
    }
    check_connected(o);
    /* Leaf set plus about log2(n) rows, minus overlaps. */
    g_assert_cmpfloat((double)links / o->n, >, 32.0);
    g_assert_cmpfloat((double)links / o->n, <, 32.0 + 20.0);
    overlay_free(o);
}

static void test_other_digit_size(void)
{
    Overlay *o = make_overlay(4, 16, 3000, 4);

    check_neighbour_lists(o);
    check_leaf_sets(o);
    for (uint32_t node = 0; node < 30; node++) {
        check_routing_table(o, node * 89);
    }
    check_connected(o);
    overlay_free(o);
}

static void test_tiny_overlay(void)
{
    /* Fewer nodes than the leaf set: everyone knows everyone. */
    Overlay *o = make_overlay(1, 32, 9, 5);

    for (uint32_t h = 0; h < 9; h++) {
        g_assert_cmpuint(overlay_degree(o, h), ==, 8);
    }
    check_neighbour_lists(o);
    overlay_free(o);
}

static void test_seeded(void)
{
    Overlay *a = make_overlay(1, 32, 5000, 8);
    Overlay *b = make_overlay(1, 32, 5000, 8);
    Overlay *c = make_overlay(1, 32, 5000, 9);

    g_assert_cmpmem(a->id, 5000 * sizeof(uint64_t),
                    b->id, 5000 * sizeof(uint64_t));
    g_assert_cmpmem(a->nbr, a->nbr_start[5000] * sizeof(uint32_t),
                    b->nbr, b->nbr_start[5000] * sizeof(uint32_t));
    g_assert_true(memcmp(a->id, c->id, 5000 * sizeof(uint64_t)) != 0);
    overlay_free(a);
    overlay_free(b);
    overlay_free(c);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sim/overlay/paper-b1-l32", test_paper_overlay);
    g_test_add_func("/sim/overlay/b4-l16", test_other_digit_size);
    g_test_add_func("/sim/overlay/tiny", test_tiny_overlay);
    g_test_add_func("/sim/overlay/seeded", test_seeded);
    return g_test_run();
}
