/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Replaying an SCA's messages to a VM over its forwarded ports on
 * 127.0.0.1, and the loopback sockets that takes (the test harness uses
 * the same ones).
 */
#ifndef VIGILANTE_REPLAY_H
#define VIGILANTE_REPLAY_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stddef.h>

#include "profile-vm.h"
#include "sca.h"

/*
 * A TCP connection to 127.0.0.1:@port whose sends give up after
 * @send_timeout_s (a guest that stops reading); -1 if refused.
 */
int vg_loopback_tcp_connect(unsigned port, unsigned send_timeout_s);

/* One datagram to 127.0.0.1:@port, from a fresh socket. */
bool vg_loopback_udp_send(unsigned port, const void *p, size_t n);

/*
 * For each of @sca's messages, the index (from 1) of the profile port it
 * goes to, in hport[]; 0 and false when the profile does not serve one
 * (*bad: which message).
 */
bool vg_replay_ports(const VgProfile *p, const Sca *sca, unsigned *hport,
                     guint *bad);

/* How vg_replay() ended. */
typedef enum {
    VG_REPLAY_EVENT,            /* the event arrived */
    VG_REPLAY_TIMEOUT,          /* the deadline passed, or the VM exited */
    VG_REPLAY_ANSWERED,         /* settled: the guest answered */
    VG_REPLAY_QUIET,            /* settled: the emulator went quiet */
    VG_REPLAY_ASLEEP,           /* settled: the guest slept */
    VG_REPLAY_CPU,              /* the emulator ran out of CPU time */
} VgReplayEnd;

/* When vg_replay() may give up before its deadline (0: never). */
typedef struct {
    unsigned settle_ms;         /* see vg_replay() */
    unsigned cpu_ms;            /* CPU time the emulator may use */
} VgReplayJudge;

typedef struct {
    VgReplayEnd end;
    double cpu_ms;              /* the emulator's, since the messages went */
} VgReplayOutcome;

/* What a VM's VG_ANSWERS_GUARD (docs/qmp.md) has counted. */
typedef struct {
    guint64 udp_to_guest;       /* datagrams to the guest */
    guint64 guest_udp;          /* datagrams from the guest */
    guint64 tcp_to_guest;       /* TCP payload bytes to the guest */
    gint64 last_frame_us;       /* when the last frame to it passed */
} VgGuestFrames;

/* The counts of @vm's answers guard; false if it has none. */
bool vg_guest_frames(VgProfileVm *vm, VgGuestFrames *f);

/*
 * When every vCPU of @vm fell asleep (query-vigilante-idle; monotonic
 * µs) if they sleep and it runs, else 0; -1 with @errp set on error.
 */
gint64 vg_guest_asleep_since(VgProfileVm *vm, GError **errp);

/*
 * How long a guest that has a replay's messages sleeps before it is
 * judged done.  A sleeping guest has nothing to run until a timer fires
 * or a frame comes: past the Linux guest's ticks (4 ms) while it settles,
 * short of the TCP timers (40 ms and more).  10, 20 and 40 gave the same
 * filters for the four benchmarked exploits (docs/benchmarks.md).
 */
#define VG_REPLAY_ASLEEP_MS 10

/*
 * Replay @msgs (@sca's messages as they are to be sent, GBytes) to @vm:
 * the TCP messages in order over one fresh connection, the UDP
 * datagrams again every 250 ms (slirp drops a first datagram to a guest
 * it has not heard from), until the QMP event @event arrives or
 * @deadline (monotonic µs) passes, or the emulator exits (see
 * vg_vm_exit_text()).  Returns the event, or NULL.
 *
 * With @judge's settle_ms, give up earlier once the guest is done with
 * the messages without the event: when every vCPU has slept (query-
 * vigilante-idle) for VG_REPLAY_ASLEEP_MS since after the last frame
 * reached the guest, once the VM's answers guard counted all of the
 * messages on their way to it; else settle_ms after it answered every
 * datagram of a round or closed the TCP connection, or after settle_ms
 * in which the emulator was busy under a tenth of the time (TCP, or UDP
 * once the guard saw the datagrams reach the guest's NIC).  A service
 * that is taken over only after it went idle (a sleep, a timer) is then
 * missed.  With its cpu_ms, give up once the emulator has been on a CPU
 * that long since the messages went (a loop the messages sent the guest
 * into costs that, however loaded the host is).  *@out (if not NULL)
 * says how it ended and what CPU time it cost.
 */
JsonNode *vg_replay(VgProfileVm *vm, const Sca *sca, const unsigned *hport,
                    GPtrArray *msgs, const char *event, gint64 deadline,
                    const VgReplayJudge *judge, VgReplayOutcome *out);

#endif
