/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SCA minimisation by replay (sca-minimise.c): fewer messages, and the
 * bytes not needed to take control replaced by a filler.
 */
#ifndef VIGILANTE_SCA_MINIMISE_H
#define VIGILANTE_SCA_MINIMISE_H

#include <signal.h>

#include "sca-verify.h"

typedef struct {
    unsigned replays;           /* verifications run */
    unsigned messages_dropped;
    unsigned bytes_filled;      /* payload bytes replaced by the filler */
} VgMinimiseStats;

/*
 * Once *flag is non-zero (a signal handler may set it), a running
 * minimisation stops trying and returns what it has, which verifies.
 */
void vg_sca_minimise_cancel_on(volatile sig_atomic_t *flag);

/*
 * A minimised copy of sca that still verifies against the profile's
 * snapshot; NULL with *errp set if sca itself does not verify.
 */
Sca *vg_sca_minimise(const VgProfile *p, const char *qemu, const Sca *sca,
                     unsigned timeout_ms, VgMinimiseStats *stats,
                     GError **errp);

#endif
