/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * query-vigilante-idle: is the guest done with its input?  The vCPU
 * threads say when they sleep (every vCPU halted with nothing to do) and
 * wake (QEMU patch 0023); a guest asleep with no block request in flight
 * has nothing to do until a timer or input wakes it.  The verifier asks,
 * rather than watching the emulator's CPU time over a long window, to
 * judge a replay that did not trap: the vCPUs' own sleep is not blurred
 * by the emulator's other threads nor by a loaded host (a preempted vCPU
 * is awake).
 */
#include "qemu/osdep.h"
#include "qapi/qapi-commands-vigilante.h"
#include "block/block_int.h"
#include "hw/core/cpu.h"
#include "sysemu/runstate.h"
#include "vigilante/idle.h"

/* All under the BQL. */
static struct {
    int asleep;                 /* vCPUs sleeping */
    bool all_asleep;
    int64_t since_us;           /* monotonic µs of the last change */
    int64_t awake_us;           /* not all asleep, before @since_us */
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

static void vcpus_asleep(int n)
{
    bool all = n >= nr_vcpus();
    int64_t now = g_get_monotonic_time();

    idle.asleep = n;
    if (all == idle.all_asleep && idle.since_us) {
        return;
    }
    if (all && idle.since_us) {
        idle.awake_us += now - idle.since_us;
    }
    idle.since_us = now;
    idle.all_asleep = all;
}

void vigilante_vcpu_sleeps(bool asleep)
{
    vcpus_asleep(idle.asleep + (asleep ? 1 : -1));
}

void vigilante_vcpus_all_sleep(bool asleep)
{
    vcpus_asleep(asleep ? nr_vcpus() : 0);
}

/* A guest waiting for its disk is not done, though its vCPUs sleep. */
static bool block_requests_in_flight(void)
{
    BdrvNextIterator it;
    BlockDriverState *bs;

    for (bs = bdrv_first(&it); bs; bs = bdrv_next(&it)) {
        if (qatomic_read(&bs->in_flight)) {
            bdrv_next_cleanup(&it);
            return true;
        }
    }
    return false;
}

VigilanteIdleInfo *qmp_query_vigilante_idle(Error **errp)
{
    VigilanteIdleInfo *info = g_new0(VigilanteIdleInfo, 1);
    int64_t now = g_get_monotonic_time();

    if (!idle.since_us) {
        vcpus_asleep(idle.asleep);      /* start counting here */
    }
    info->running = runstate_is_running();
    info->asleep = idle.all_asleep && !block_requests_in_flight();
    info->since_us = idle.since_us;
    info->awake_us = idle.awake_us +
                     (!idle.all_asleep ? now - idle.since_us : 0);
    return info;
}
