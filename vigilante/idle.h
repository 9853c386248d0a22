/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * When the vCPUs sleep (vigilante/idle.c, query-vigilante-idle).
 */
#ifndef VIGILANTE_IDLE_H
#define VIGILANTE_IDLE_H

/*
 * A vCPU thread starts sleeping (halted or stopped, nothing to do), or
 * wakes up: one vCPU (a thread per vCPU), or all of them (one thread
 * running them in turn).  Called with the BQL held.
 */
void vigilante_vcpu_sleeps(bool asleep);
void vigilante_vcpus_all_sleep(bool asleep);

#endif
