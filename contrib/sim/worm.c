/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigilante-sim: scanning worm (SI epidemic) and host placement.
 *
 * Each infected host probes addresses chosen uniformly among all
 * hosts, at a rate beta * hosts / vulnerable so that, without a
 * defence, the infected population I follows the paper's equation
 * dI/dt = beta I (1 - I/N) with N the number of vulnerable hosts.
 * The probes of all infected hosts together form a Poisson process;
 * only probes at hosts whose fate they decide (unresolved hosts) are
 * drawn, with rate beta * I * unresolved / N.  A probe at a detector
 * is caught (detectors are never infected) and the detector's SCA is
 * ready sca_delay seconds later.
 */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "outbreak.h"

static void unresolved_add(OutbreakRun *r, uint32_t host)
{
    r->unresolved_pos[host] = r->n_unresolved;
    r->unresolved[r->n_unresolved++] = host;
}

void worm_resolve(OutbreakRun *r, uint32_t host)
{
    uint32_t pos = r->unresolved_pos[host];
    uint32_t last;

    if (pos == UINT32_MAX) {
        return;
    }
    last = r->unresolved[--r->n_unresolved];
    r->unresolved[pos] = last;
    r->unresolved_pos[last] = pos;
    r->unresolved_pos[host] = UINT32_MAX;
}

static uint32_t count_of(double fraction, uint32_t n)
{
    return (uint32_t)MIN((double)n, floor(fraction * n + 0.5));
}

void worm_place_hosts(OutbreakRun *r, uint64_t run_seed)
{
    const ModelParams *m = r->model;
    uint32_t n = m->hosts;
    uint32_t n_malicious = count_of(m->malicious_fraction, n);
    uint32_t n_detectors, eligible;
    SimRng roles, detectors;

    /*
     * Detectors come from their own stream, walked in the same order
     * for every detector fraction: for a given run the detector sets
     * of a sweep are nested, which keeps the curve free of needless
     * noise (common random numbers).
     */
    sim_rng_seed(&roles, sim_seed_derive(run_seed, 1));
    sim_rng_seed(&detectors, sim_seed_derive(run_seed, 2));
    memset(r->state, 0, n);
    r->n_unresolved = 0;

    for (uint32_t i = 0; i < n; i++) {
        r->perm[i] = i;
    }
    sim_rng_shuffle(&roles, r->perm, n);
    for (uint32_t i = 0; i < m->vulnerable; i++) {
        r->state[r->perm[i]] |= HOST_VULNERABLE;
    }
    for (uint32_t i = 0; i < m->initial_infected; i++) {
        r->state[r->perm[i]] |= HOST_INFECTED;
    }

    sim_rng_shuffle(&roles, r->perm, n);
    for (uint32_t i = 0; i < n_malicious; i++) {
        r->state[r->perm[i]] |= HOST_MALICIOUS;
    }

    /*
     * Detectors are honest hosts unless asked otherwise: a malicious
     * host would not report what it detects.  The count is a fraction
     * of all hosts, capped by the hosts eligible.
     */
    eligible = n - m->initial_infected;
    if (!m->malicious_detectors) {
        for (uint32_t h = 0; h < n; h++) {
            if ((r->state[h] & (HOST_MALICIOUS | HOST_INFECTED)) ==
                HOST_MALICIOUS) {
                eligible--;
            }
        }
    }
    n_detectors = MIN(count_of(m->detector_fraction, n), eligible);
    for (uint32_t i = 0; i < n; i++) {
        r->perm[i] = i;
    }
    sim_rng_shuffle(&detectors, r->perm, n);
    for (uint32_t i = 0, placed = 0; placed < n_detectors; i++) {
        uint8_t s = r->state[r->perm[i]];

        if (!(s & HOST_INFECTED) &&
            (m->malicious_detectors || !(s & HOST_MALICIOUS))) {
            r->state[r->perm[i]] |= HOST_DETECTOR;
            placed++;
        }
    }

    for (uint32_t h = 0; h < n; h++) {
        uint8_t s = r->state[h];

        r->unresolved_pos[h] = UINT32_MAX;
        if ((s & HOST_DETECTOR) ||
            ((s & HOST_VULNERABLE) && !(s & HOST_INFECTED))) {
            unresolved_add(r, h);
        }
    }

    r->res.hosts = n;
    r->res.vulnerable = m->vulnerable;
    r->res.detectors = n_detectors;
    r->res.malicious = n_malicious;
    r->res.infected = m->initial_infected;
}

double worm_probe_rate(const OutbreakRun *r)
{
    const ModelParams *m = r->model;

    return m->beta * r->res.infected * (double)r->n_unresolved / m->vulnerable;
}

void worm_probe(OutbreakRun *r)
{
    uint32_t target = r->unresolved[sim_rng_below(&r->rng, r->n_unresolved)];

    r->res.probes++;
    worm_resolve(r, target);
    if (r->state[target] & HOST_DETECTOR) {
        r->state[target] |= HOST_PROBED;
        if (r->res.detections++ == 0) {
            r->res.first_detection = r->now;
        }
        event_queue_push(&r->queue, r->now + r->model->sca_delay, target,
                         EV_SCA_READY);
        return;
    }
    r->state[target] |= HOST_INFECTED;
    r->res.infected++;
    flood_note_infection(r, target);
}
