/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * query-vigilante-idle: is the guest done with its input?  The vCPU
 * threads say when they sleep (every vCPU halted with nothing to do) and
 * wake; a guest asleep has nothing to do until a timer or input wakes
 * it.  The verifier asks, rather than watching the emulator's CPU time
 * over a long window, to judge a replay that did not trap: the vCPUs'
 * own sleep is not blurred by the emulator's other threads nor by a
 * loaded host (a preempted vCPU is awake).
 */
#include "qemu/osdep.h"
#include "qapi/qapi-commands-vigilante.h"
#include "hw/core/cpu.h"
#include "sysemu/runstate.h"
#include "vigilante/idle.h"

/* All under the BQL. */
static struct {
    int asleep;                 /* vCPUs sleeping */
    bool all_asleep;
    int64_t since_us;           /* monotonic µs of the last change */
    int64_t awake_us;           /* awake before @since_us */
} idle;

static int nr_vcpus(void)
{
    CPUState *cs;
    int n = 0;

    CPU_FOREACH(cs) {
        n++;
    }
    return n;
}

void vigilante_vcpus_sleep(int n)
{
    bool all;
    int64_t now;

    idle.asleep += n;
    all = idle.asleep >= nr_vcpus();
    if (all == idle.all_asleep) {
        return;
    }
    now = g_get_monotonic_time();
    if (all && idle.since_us) {
        idle.awake_us += now - idle.since_us;
    }
    idle.since_us = now;
    idle.all_asleep = all;
}

VigilanteIdleInfo *qmp_query_vigilante_idle(Error **errp)
{
    VigilanteIdleInfo *info = g_new0(VigilanteIdleInfo, 1);
    int64_t now = g_get_monotonic_time();

    info->running = runstate_is_running();
    info->asleep = idle.all_asleep;
    info->since_us = idle.since_us;
    info->awake_us = idle.awake_us +
                     (!idle.all_asleep && idle.since_us ? now - idle.since_us
                                                        : 0);
    return info;
}
