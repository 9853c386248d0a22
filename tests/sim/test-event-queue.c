/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigilante-sim: event queue tests.
 */
#include <glib.h>

#include "event-queue.h"
#include "rng.h"

static void test_pops_in_time_order(void)
{
    EventQueue q;
    SimEvent ev;
    SimRng rng;
    double last = -1.0;
    uint32_t popped = 0;

    sim_rng_seed(&rng, 42);
    event_queue_init(&q);
    for (uint32_t i = 0; i < 20000; i++) {
        /* Coarse times so that many events tie. */
        event_queue_push(&q, sim_rng_below(&rng, 500) / 10.0, i, i % 3);
    }
    g_assert_cmpuint(q.len, ==, 20000);
    while (event_queue_pop(&q, &ev)) {
        g_assert_cmpfloat(ev.time, >=, last);
        last = ev.time;
        popped++;
    }
    g_assert_cmpuint(popped, ==, 20000);
    g_assert_true(event_queue_empty(&q));
    event_queue_destroy(&q);
}

static void test_ties_broken_by_node(void)
{
    EventQueue q;
    SimEvent ev;

    event_queue_init(&q);
    event_queue_push(&q, 1.0, 7, 0);
    event_queue_push(&q, 1.0, 3, 0);
    event_queue_push(&q, 0.5, 9, 0);
    event_queue_push(&q, 1.0, 5, 0);
    g_assert_true(event_queue_pop(&q, &ev));
    g_assert_cmpuint(ev.node, ==, 9);
    g_assert_true(event_queue_pop(&q, &ev));
    g_assert_cmpuint(ev.node, ==, 3);
    g_assert_true(event_queue_pop(&q, &ev));
    g_assert_cmpuint(ev.node, ==, 5);
    g_assert_true(event_queue_pop(&q, &ev));
    g_assert_cmpuint(ev.node, ==, 7);
    g_assert_false(event_queue_pop(&q, &ev));
    event_queue_destroy(&q);
}

static void test_rng_below_is_uniform(void)
{
    SimRng rng;
    uint32_t counts[10] = { 0 };

    sim_rng_seed(&rng, 7);
    for (uint32_t i = 0; i < 100000; i++) {
        uint32_t v = sim_rng_below(&rng, 10);

        g_assert_cmpuint(v, <, 10);
        counts[v]++;
    }
    for (uint32_t i = 0; i < 10; i++) {
        /* Expected 10000, standard deviation about 95. */
        g_assert_cmpuint(counts[i], >, 9500);
        g_assert_cmpuint(counts[i], <, 10500);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sim/event-queue/time-order", test_pops_in_time_order);
    g_test_add_func("/sim/event-queue/ties", test_ties_broken_by_node);
    g_test_add_func("/sim/rng/below-uniform", test_rng_below_is_uniform);
    return g_test_run();
}
