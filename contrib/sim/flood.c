/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigilante-sim: SCA dissemination over the overlay.
 *
 * A host that holds a verified SCA (or a detector whose SCA is ready)
 * sends it once over each of its overlay links, unless it is malicious
 * or infected.  A link's delay is the topology route delay between the
 * two hosts, stretched by congestion; congestion may also drop the
 * message.  A receiving host verifies the first copy it gets (later
 * copies are duplicates and cannot be verified sooner), becomes immune
 * when verification completes and then forwards it.  An infection that
 * happens before then wins.
 *
 * Congestion: delay and loss grow linearly with the infected fraction
 * (the talk's reading of RIPE measurements during Slammer).
 *
 * Fake-SCA DoS: every infected host sends fake SCAs over each of its
 * links at fake_sca_rate, capped by the per-link rate limit.  A host
 * verifies SCAs one at a time, so fakes build a FIFO backlog; the real
 * SCA waits for the fakes queued ahead of it, i.e. its verification
 * time grows linearly with the number of SCAs received.  Fakes fail
 * verification and are not forwarded.  The backlog is kept as a fluid
 * queue, updated whenever the number of infected in-neighbours changes.
 */
#include <glib.h>
#include <math.h>

#include "outbreak.h"

static double fake_rate_per_link(const ModelParams *m)
{
    double rate = m->fake_sca_rate;

    if (m->link_rate_limit > 0.0) {
        rate = MIN(rate, m->link_rate_limit);
    }
    return rate;
}

static bool dos_enabled(const ModelParams *m)
{
    return fake_rate_per_link(m) > 0.0 && m->verify_time > 0.0;
}

static void backlog_update(OutbreakRun *r, uint32_t host, double t)
{
    const ModelParams *m = r->model;
    double load = r->infected_in[host] * fake_rate_per_link(m) *
                  m->verify_time;
    double work = r->backlog[host] +
                  (load - 1.0) * (t - r->backlog_time[host]);

    r->backlog[host] = MAX(work, 0.0);
    r->backlog_time[host] = t;
}

void flood_note_infection(OutbreakRun *r, uint32_t host)
{
    const Overlay *o = r->world->overlay;
    const uint32_t *nbr = overlay_neighbours(o, host);
    uint32_t degree = overlay_degree(o, host);

    if (!dos_enabled(r->model)) {
        return;
    }
    for (uint32_t k = 0; k < degree; k++) {
        backlog_update(r, nbr[k], r->now);
        r->infected_in[nbr[k]]++;
    }
}

void flood_reset(OutbreakRun *r)
{
    uint32_t n = r->model->hosts;

    for (uint32_t h = 0; h < n; h++) {
        r->first_arrival[h] = INFINITY;
    }
    if (!dos_enabled(r->model)) {
        return;
    }
    if (!r->backlog) {
        r->backlog = g_new(double, n);
        r->backlog_time = g_new(double, n);
        r->infected_in = g_new(uint32_t, n);
    }
    for (uint32_t h = 0; h < n; h++) {
        r->backlog[h] = 0.0;
        r->backlog_time[h] = 0.0;
        r->infected_in[h] = 0;
    }
    for (uint32_t h = 0; h < n; h++) {
        if (r->state[h] & HOST_INFECTED) {
            flood_note_infection(r, h);
        }
    }
}

void flood_forward(OutbreakRun *r, uint32_t from)
{
    const ModelParams *m = r->model;
    const Overlay *o = r->world->overlay;
    const Topology *t = r->world->topo;
    const uint32_t *nbr = overlay_neighbours(o, from);
    uint32_t degree = overlay_degree(o, from);
    double infected = (double)r->res.infected / m->vulnerable;
    double stretch = 1.0 + m->congestion_delay * infected;
    double loss = m->congestion_loss * infected;

    r->res.messages += degree;
    for (uint32_t k = 0; k < degree; k++) {
        uint32_t to = nbr[k];
        double arrival;

        /* Nothing a copy could change there: skip the event. */
        if (r->state[to] & (HOST_INFECTED | HOST_PROTECTED)) {
            continue;
        }
        if (loss > 0.0 && sim_rng_uniform(&r->rng) < loss) {
            r->res.messages_lost++;
            continue;
        }
        arrival = r->now + topology_host_delay(t, from, to) * stretch;
        if (arrival < r->first_arrival[to]) {
            r->first_arrival[to] = arrival;
            event_queue_push(&r->queue, arrival, to, EV_SCA_ARRIVAL);
        }
    }
}

static void protect_and_forward(OutbreakRun *r, uint32_t host)
{
    r->state[host] |= HOST_PROTECTED;
    r->res.protected_hosts++;
    if (r->state[host] & HOST_VULNERABLE) {
        r->res.protected_vulnerable++;
    }
    worm_resolve(r, host);
    if (!(r->state[host] & HOST_MALICIOUS)) {
        flood_forward(r, host);
    }
}

void flood_on_ready(OutbreakRun *r, uint32_t detector)
{
    if (isnan(r->res.first_sca)) {
        r->res.first_sca = r->now;
    }
    /* Already immune through someone else's SCA: it forwarded that. */
    if (r->state[detector] & HOST_PROTECTED) {
        return;
    }
    protect_and_forward(r, detector);
}

void flood_on_arrival(OutbreakRun *r, uint32_t host, double time)
{
    double wait = 0.0;

    /* A superseded copy, or the host's fate is already sealed. */
    if (time != r->first_arrival[host] ||
        (r->state[host] & (HOST_INFECTED | HOST_PROTECTED))) {
        return;
    }
    if (dos_enabled(r->model)) {
        backlog_update(r, host, time);
        wait = r->backlog[host];
        r->backlog[host] += r->model->verify_time;
    }
    event_queue_push(&r->queue, time + wait + r->model->verify_time, host,
                     EV_SCA_VERIFIED);
}

void flood_on_verified(OutbreakRun *r, uint32_t host)
{
    if (r->state[host] & (HOST_INFECTED | HOST_PROTECTED)) {
        return;
    }
    protect_and_forward(r, host);
}
