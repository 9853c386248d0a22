/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigilante-sim: the event loop of one outbreak.
 *
 * Two sources of change race: the worm's next effective probe (a
 * Poisson process whose rate changes with every event, redrawn after
 * each one, which is exact because it is memoryless) and the queue of
 * SCA events.  The run ends when nothing can change any more: no
 * pending SCA events and no unresolved host left (every vulnerable
 * host is then infected or immune), or at max_time if one is set.
 */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "outbreak.h"

SimWorld *sim_world_new(const SimParams *p)
{
    SimWorld *w = g_new0(SimWorld, 1);

    w->params = *p;
    w->topo = topology_new(&p->topo, p->model.hosts, p->seed);
    w->overlay = overlay_new(&p->overlay, p->model.hosts, p->seed);
    return w;
}

void sim_world_free(SimWorld *w)
{
    if (!w) {
        return;
    }
    topology_free(w->topo);
    overlay_free(w->overlay);
    g_free(w);
}

OutbreakRun *outbreak_run_new(const SimWorld *w)
{
    OutbreakRun *r = g_new0(OutbreakRun, 1);
    uint32_t n = w->params.model.hosts;

    r->world = w;
    event_queue_init(&r->queue);
    r->state = g_new(uint8_t, n);
    r->first_arrival = g_new(double, n);
    r->perm = g_new(uint32_t, n);
    r->unresolved = g_new(uint32_t, n);
    r->unresolved_pos = g_new(uint32_t, n);
    return r;
}

void outbreak_run_free(OutbreakRun *r)
{
    if (!r) {
        return;
    }
    event_queue_destroy(&r->queue);
    g_free(r->state);
    g_free(r->first_arrival);
    g_free(r->perm);
    g_free(r->unresolved);
    g_free(r->unresolved_pos);
    g_free(r->backlog);
    g_free(r->backlog_time);
    g_free(r->infected_in);
    g_free(r);
}

static void emit_sample(const OutbreakRun *r, double time,
                        OutbreakSampleFn fn, void *opaque)
{
    OutbreakSample s = {
        .time = time,
        .infected = r->res.infected,
        .protected_hosts = r->res.protected_hosts,
        .detections = r->res.detections,
    };

    fn(&s, opaque);
}

static void dispatch(OutbreakRun *r, const SimEvent *ev)
{
    switch (ev->kind) {
    case EV_SCA_READY:
        flood_on_ready(r, ev->node);
        break;
    case EV_SCA_ARRIVAL:
        flood_on_arrival(r, ev->node, ev->time);
        break;
    case EV_SCA_VERIFIED:
        flood_on_verified(r, ev->node);
        break;
    default:
        g_assert_not_reached();
    }
}

void outbreak_simulate(OutbreakRun *r, const ModelParams *m,
                       uint64_t run_seed, double sample_interval,
                       OutbreakSampleFn sample_fn, void *opaque,
                       OutbreakResult *result)
{
    double next_sample = 0.0;

    g_assert(m->hosts == r->world->params.model.hosts);
    r->model = m;
    memset(&r->res, 0, sizeof(r->res));
    r->res.first_detection = NAN;
    r->res.first_sca = NAN;
    r->now = 0.0;
    event_queue_clear(&r->queue);
    sim_rng_seed(&r->rng, sim_seed_derive(run_seed, 3));
    worm_place_hosts(r, run_seed);
    flood_reset(r);

    for (;;) {
        double rate = worm_probe_rate(r);
        double t_probe = rate > 0.0 ?
                         r->now + sim_rng_exponential(&r->rng, rate) :
                         INFINITY;
        double t_event = event_queue_empty(&r->queue) ? INFINITY :
                         event_queue_peek_time(&r->queue);
        double t = MIN(t_probe, t_event);
        SimEvent ev;

        if (isinf(t)) {
            break;
        }
        if (m->max_time > 0.0 && t > m->max_time) {
            r->res.horizon_reached = true;
            break;
        }
        while (sample_fn && sample_interval > 0.0 && next_sample <= t) {
            emit_sample(r, next_sample, sample_fn, opaque);
            next_sample += sample_interval;
        }
        r->now = t;
        r->res.end_time = t;
        if (t_probe <= t_event) {
            worm_probe(r);
        } else {
            event_queue_pop(&r->queue, &ev);
            dispatch(r, &ev);
        }
    }
    if (sample_fn) {
        emit_sample(r, r->res.horizon_reached ? m->max_time : r->now,
                    sample_fn, opaque);
    }
    r->res.infected_fraction = (double)r->res.infected / m->vulnerable;
    *result = r->res;
}
