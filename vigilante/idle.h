/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * When the vCPUs sleep (vigilante/idle.c, query-vigilante-idle).
 */
#ifndef VIGILANTE_IDLE_H
#define VIGILANTE_IDLE_H

/*
 * @n vCPUs start sleeping (halted, nothing to do), or with a negative
 * @n wake up.  Called by the vCPU threads with the BQL held.
 */
void vigilante_vcpus_sleep(int n);

#endif
