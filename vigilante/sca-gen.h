/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Turning an alert into a self-certifying alert (docs/sca-format.md).
 */
#ifndef VIGILANTE_SCA_GEN_H
#define VIGILANTE_SCA_GEN_H

#include "vigilante/detector.h"
#include "vigilante/vigilante-object.h"

/*
 * Build the SCA of alert `id` from the event log and write it to the
 * object's alert-dir; returns the file's path, or NULL with *errp set.
 * Called with the BQL held.
 */
char *vigilante_sca_write(Vigilante *v, const VigilanteAlertSpec *spec,
                          uint64_t id, Error **errp);

#endif
