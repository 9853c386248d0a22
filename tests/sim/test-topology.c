/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigilante-sim: topology generator tests.
 */
#include <glib.h>
#include <string.h>

#include "params.h"
#include "rng.h"
#include "topology.h"

static void test_paper_router_count(void)
{
    SimParams p;
    Topology *t;

    sim_params_init_defaults(&p);
    t = topology_new(&p.topo, 1000, 1);
    /* 10 transit domains x 5 routers, each with 10 stubs of 10. */
    g_assert_cmpuint(t->n_routers, ==, 5050);
    g_assert_cmpuint(t->n_transit, ==, 50);
    g_assert_cmpuint(t->n_stubs, ==, 500);
    /* At least a spanning tree per domain plus the domain links. */
    g_assert_cmpuint(t->n_links, >=, 5050 - 1);
    topology_free(t);
}

static void test_configurable_sizes(void)
{
    SimParams p;
    Topology *t;

    sim_params_init_defaults(&p);
    p.topo.transit_domains = 3;
    p.topo.transit_routers = 2;
    p.topo.stubs_per_transit = 4;
    p.topo.stub_routers = 5;
    t = topology_new(&p.topo, 100, 1);
    g_assert_cmpuint(t->n_routers, ==, 3 * 2 * (1 + 4 * 5));
    topology_free(t);
}

static void test_hosts_on_stub_routers(void)
{
    SimParams p;
    Topology *t;
    uint32_t *per_router;
    uint32_t used = 0;

    sim_params_init_defaults(&p);
    t = topology_new(&p.topo, 50000, 3);
    per_router = g_new0(uint32_t, t->n_routers);
    for (uint32_t h = 0; h < t->n_hosts; h++) {
        g_assert_cmpuint(t->host_router[h], >=, t->n_transit);
        g_assert_cmpuint(t->host_router[h], <, t->n_routers);
        per_router[t->host_router[h]]++;
    }
    for (uint32_t r = t->n_transit; r < t->n_routers; r++) {
        used += per_router[r] > 0;
    }
    /* 50000 hosts over 5000 stub routers: nearly all get some. */
    g_assert_cmpuint(used, >, 4900);
    g_free(per_router);
    topology_free(t);
}

static void test_delays_are_sane(void)
{
    SimParams p;
    Topology *t;
    SimRng rng;
    double sum = 0.0;

    sim_params_init_defaults(&p);
    t = topology_new(&p.topo, 20000, 5);
    sim_rng_seed(&rng, 11);
    for (uint32_t i = 0; i < 20000; i++) {
        uint32_t a = sim_rng_below(&rng, t->n_hosts);
        uint32_t b = sim_rng_below(&rng, t->n_hosts);
        double d = topology_host_delay(t, a, b);

        g_assert_cmpfloat(d, ==, topology_host_delay(t, b, a));
        if (a == b) {
            g_assert_cmpfloat(d, ==, 0.0);
            continue;
        }
        /* Two LAN links at least, and well under a second. */
        g_assert_cmpfloat(d, >=, 2 * p.topo.lan_delay - 1e-12);
        g_assert_cmpfloat(d, <, 1.0);
        if (t->host_router[a] == t->host_router[b]) {
            g_assert_cmpfloat(d, ==, 2 * p.topo.lan_delay);
        }
        sum += d;
    }
    /* Wide-area one-way delays: tens of milliseconds on average. */
    g_assert_cmpfloat(sum / 20000, >, 0.010);
    g_assert_cmpfloat(sum / 20000, <, 0.200);

    /* Scaling link delays scales route delays. */
    {
        Topology *t2;
        uint32_t a = 0, b = 1;

        p.topo.delay_scale = 2.0;
        t2 = topology_new(&p.topo, 20000, 5);
        g_assert_cmpuint(t2->host_router[a], ==, t->host_router[a]);
        g_assert_cmpfloat_with_epsilon(
            topology_host_delay(t2, a, b) - 2 * p.topo.lan_delay,
            2 * (topology_host_delay(t, a, b) - 2 * p.topo.lan_delay), 1e-6);
        topology_free(t2);
    }
    topology_free(t);
}

static void test_same_seed_same_topology(void)
{
    SimParams p;
    Topology *a, *b, *c;
    size_t nt;

    sim_params_init_defaults(&p);
    a = topology_new(&p.topo, 10000, 9);
    b = topology_new(&p.topo, 10000, 9);
    c = topology_new(&p.topo, 10000, 10);
    nt = (size_t)a->n_transit * a->n_transit;
    g_assert_cmpmem(a->transit_delay, nt * sizeof(float),
                    b->transit_delay, nt * sizeof(float));
    g_assert_cmpmem(a->host_router, 10000 * sizeof(uint32_t),
                    b->host_router, 10000 * sizeof(uint32_t));
    g_assert_true(memcmp(a->transit_delay, c->transit_delay,
                         nt * sizeof(float)) != 0);
    topology_free(a);
    topology_free(b);
    topology_free(c);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sim/topology/paper-router-count",
                    test_paper_router_count);
    g_test_add_func("/sim/topology/configurable", test_configurable_sizes);
    g_test_add_func("/sim/topology/hosts-on-stubs",
                    test_hosts_on_stub_routers);
    g_test_add_func("/sim/topology/delays", test_delays_are_sane);
    g_test_add_func("/sim/topology/seeded", test_same_seed_same_topology);
    return g_test_run();
}
