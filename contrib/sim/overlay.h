/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigilante-sim: Pastry-style overlay neighbour sets.
 *
 * Every host gets a random 64-bit node ID (a certified random ID in
 * Vigilante).  Its neighbours are its leaf set (the l/2 numerically
 * closest IDs on each side) and its routing table.  As in secure
 * Pastry's constrained routing table, the entry in row r, column d is
 * the node closest to the point obtained by replacing digit r of the
 * host's own ID with d, among the nodes sharing the first r digits and
 * having digit d: the ID alone fixes the neighbour set, so an attacker
 * cannot make more hosts point at it.
 */
#ifndef SIM_OVERLAY_H
#define SIM_OVERLAY_H

#include <stdint.h>

#include "params.h"

typedef struct Overlay {
    uint32_t n;
    uint32_t b;
    uint32_t leaf_set;
    uint64_t *id;               /* node ID of each host */
    uint32_t *nbr_start;        /* n + 1 offsets into nbr */
    uint32_t *nbr;              /* outgoing neighbour links, by host */
} Overlay;

Overlay *overlay_new(const OverlayParams *p, uint32_t n, uint64_t seed);
void overlay_free(Overlay *o);

static inline uint32_t overlay_degree(const Overlay *o, uint32_t node)
{
    return o->nbr_start[node + 1] - o->nbr_start[node];
}

static inline const uint32_t *overlay_neighbours(const Overlay *o,
                                                 uint32_t node)
{
    return &o->nbr[o->nbr_start[node]];
}

#endif
