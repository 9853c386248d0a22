/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigilante-sim: statistics of the generated network and overlay.
 */
#include <glib.h>
#include <math.h>

#include "event-queue.h"
#include "netstats.h"
#include "rng.h"

#define DELAY_SAMPLES 200000

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

void netstats_compute(const SimWorld *w, uint32_t source, double verify_time,
                      uint64_t seed, NetStats *out)
{
    const Topology *t = w->topo;
    const Overlay *o = w->overlay;
    uint32_t n = o->n;
    double *done_at = g_new(double, n);
    uint32_t *hops = g_new0(uint32_t, n);
    double *order = g_new(double, n);
    double sum = 0.0;
    uint64_t links = 0;
    EventQueue q;
    SimEvent ev;
    SimRng rng;

    *out = (NetStats) { .min_degree = UINT32_MAX };
    sim_rng_seed(&rng, sim_seed_derive(seed, 0x57a7));
    for (uint32_t i = 0; i < DELAY_SAMPLES; i++) {
        double d = topology_host_delay(t, sim_rng_below(&rng, n),
                                       sim_rng_below(&rng, n));

        sum += d;
        out->max_host_delay = MAX(out->max_host_delay, d);
    }
    out->mean_host_delay = sum / DELAY_SAMPLES;

    sum = 0.0;
    for (uint32_t h = 0; h < n; h++) {
        uint32_t degree = overlay_degree(o, h);
        const uint32_t *nbr = overlay_neighbours(o, h);

        out->min_degree = MIN(out->min_degree, degree);
        out->max_degree = MAX(out->max_degree, degree);
        links += degree;
        for (uint32_t k = 0; k < degree; k++) {
            sum += topology_host_delay(t, h, nbr[k]);
        }
    }
    out->mean_degree = (double)links / n;
    out->mean_link_delay = links ? sum / links : 0.0;

    /* Unhindered flood: earliest verification time, Dijkstra style. */
    for (uint32_t h = 0; h < n; h++) {
        done_at[h] = INFINITY;
    }
    event_queue_init(&q);
    done_at[source] = 0.0;
    event_queue_push(&q, 0.0, source, 0);
    while (event_queue_pop(&q, &ev)) {
        const uint32_t *nbr = overlay_neighbours(o, ev.node);

        if (ev.time != done_at[ev.node]) {
            continue;
        }
        order[out->reached++] = ev.time;
        out->max_hops = MAX(out->max_hops, hops[ev.node]);
        for (uint32_t k = 0; k < overlay_degree(o, ev.node); k++) {
            double at = ev.time + topology_host_delay(t, ev.node, nbr[k]) +
                        verify_time;

            if (at < done_at[nbr[k]]) {
                done_at[nbr[k]] = at;
                hops[nbr[k]] = hops[ev.node] + 1;
                event_queue_push(&q, at, nbr[k], 0);
            }
        }
    }
    qsort(order, out->reached, sizeof(double), compare_double);
    out->flood_time = order[out->reached - 1];
    out->median_flood_time = order[out->reached / 2];
    event_queue_destroy(&q);
    g_free(done_at);
    g_free(hops);
    g_free(order);
}
