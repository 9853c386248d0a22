/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigilante-sim: one worm outbreak against Vigilante's defence.
 *
 * A SimWorld holds what all runs share (topology, overlay); an
 * OutbreakRun holds one thread's per-run state and is reused across
 * runs.  The model itself is split over worm.c (scanning and
 * infection), flood.c (SCA dissemination and verification) and
 * outbreak.c (the event loop).
 */
#ifndef SIM_OUTBREAK_H
#define SIM_OUTBREAK_H

#include <stdbool.h>
#include <stdint.h>

#include "event-queue.h"
#include "overlay.h"
#include "params.h"
#include "rng.h"
#include "topology.h"

typedef struct SimWorld {
    SimParams params;
    Topology *topo;
    Overlay *overlay;
} SimWorld;

/* Build the topology and the overlay for p->model.hosts hosts. */
SimWorld *sim_world_new(const SimParams *p);
void sim_world_free(SimWorld *w);

typedef struct OutbreakSample {
    double time;
    uint32_t infected;          /* vulnerable hosts infected */
    uint32_t protected_hosts;   /* hosts holding a verified SCA */
    uint32_t detections;        /* detectors that caught a probe */
} OutbreakSample;

typedef void (*OutbreakSampleFn)(const OutbreakSample *s, void *opaque);

typedef struct OutbreakResult {
    uint32_t hosts;
    uint32_t vulnerable;
    uint32_t detectors;
    uint32_t malicious;
    uint32_t infected;              /* vulnerable hosts infected in the end */
    uint32_t protected_hosts;       /* hosts that verified or made an SCA */
    uint32_t protected_vulnerable;
    uint32_t detections;
    double infected_fraction;       /* infected / vulnerable */
    double first_detection;         /* first probe at a detector; NAN if none */
    double first_sca;               /* first SCA ready; NAN if none */
    double end_time;                /* last state change */
    uint64_t probes;                /* probes that hit an unresolved host */
    uint64_t messages;              /* SCA messages put on overlay links */
    uint64_t messages_lost;         /* ... of which congestion dropped */
    bool horizon_reached;           /* stopped by max_time */
} OutbreakResult;

/* Host state bits. */
enum {
    HOST_VULNERABLE = 1 << 0,
    HOST_DETECTOR   = 1 << 1,
    HOST_MALICIOUS  = 1 << 2,
    HOST_INFECTED   = 1 << 3,
    HOST_PROTECTED  = 1 << 4,   /* has a verified SCA: immune */
    HOST_PROBED     = 1 << 5,   /* detector generating an SCA */
};

/* Event kinds. */
enum {
    EV_SCA_READY,               /* detector finished generating its SCA */
    EV_SCA_ARRIVAL,             /* first copy of the SCA reaches a host */
    EV_SCA_VERIFIED,            /* host finished verifying the SCA */
};

typedef struct OutbreakRun {
    const SimWorld *world;
    const ModelParams *model;
    SimRng rng;                 /* dynamics: probes, losses */
    EventQueue queue;
    double now;

    uint8_t *state;             /* HOST_* bits per host */
    double *first_arrival;      /* earliest scheduled SCA arrival per host */
    uint32_t *perm;             /* scratch for random placements */

    /*
     * Hosts a probe can still change: susceptible vulnerable hosts and
     * detectors that have not caught the worm yet.  Probes at anything
     * else are no-ops, so only probes at these are simulated.
     */
    uint32_t *unresolved;
    uint32_t *unresolved_pos;   /* index in unresolved[], or UINT32_MAX */
    uint32_t n_unresolved;

    /* Fake-SCA DoS: each host's verification backlog (fluid queue). */
    double *backlog;            /* seconds of queued verification work */
    double *backlog_time;       /* when backlog was last brought up to date */
    uint32_t *infected_in;      /* infected hosts with a link to this one */

    OutbreakResult res;
} OutbreakRun;

OutbreakRun *outbreak_run_new(const SimWorld *w);
void outbreak_run_free(OutbreakRun *r);

/*
 * Simulate one outbreak with model parameters m (m->hosts must match
 * the world).  run_seed selects the placement of vulnerable, initially
 * infected, malicious and detector hosts and the worm's randomness.
 * If sample_fn is set it is called every sample_interval seconds of
 * simulated time and once at the end.
 */
void outbreak_simulate(OutbreakRun *r, const ModelParams *m,
                       uint64_t run_seed, double sample_interval,
                       OutbreakSampleFn sample_fn, void *opaque,
                       OutbreakResult *result);

/* worm.c */
void worm_place_hosts(OutbreakRun *r, uint64_t run_seed);
double worm_probe_rate(const OutbreakRun *r);
void worm_probe(OutbreakRun *r);
void worm_resolve(OutbreakRun *r, uint32_t host);

/* flood.c */
void flood_reset(OutbreakRun *r);
void flood_forward(OutbreakRun *r, uint32_t from);
void flood_on_ready(OutbreakRun *r, uint32_t detector);
void flood_on_arrival(OutbreakRun *r, uint32_t host, double time);
void flood_on_verified(OutbreakRun *r, uint32_t host);
void flood_note_infection(OutbreakRun *r, uint32_t host);

#endif
