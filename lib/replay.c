/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Replay over loopback sockets (replay.h).
 */
#include "replay.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "qmp-client.h"
#include "snapshot.h"

static struct sockaddr_in loopback(unsigned port)
{
    return (struct sockaddr_in) {
        .sin_family = AF_INET,
        .sin_port = htons(port),
        .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
    };
}

int vg_loopback_tcp_connect(unsigned port, unsigned send_timeout_s)
{
    struct sockaddr_in a = loopback(port);
    struct timeval tv = { .tv_sec = send_timeout_s };
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0) {
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

bool vg_loopback_udp_send(unsigned port, const void *p, size_t n)
{
    struct sockaddr_in a = loopback(port);
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    bool ok;

    if (fd < 0) {
        return false;
    }
    ok = sendto(fd, p, n, 0, (struct sockaddr *)&a, sizeof(a)) == (ssize_t)n;
    close(fd);
    return ok;
}

bool vg_replay_ports(const VgProfile *p, const Sca *sca, unsigned *hport,
                     guint *bad)
{
    for (guint i = 0; i < sca->messages->len; i++) {
        const ScaMessage *m = sca_message(sca, i);
        const char *t = sca_transport_name(m->transport);

        hport[i] = 0;
        for (guint k = 0; k < p->ports->len; k++) {
            const VgProfilePort *pp = &g_array_index(p->ports,
                                                     VgProfilePort, k);

            if (pp->port == m->port && !strcmp(pp->transport, t)) {
                hport[i] = k + 1;
            }
        }
        if (!hport[i]) {
            *bad = i;
            return false;
        }
    }
    return true;
}

/* Watching for the guest to be done with a replay's messages. */
typedef struct {
    gint64 t;
    guint64 cpu;
} CpuSample;

typedef struct {
    unsigned settle_ms;
    int tcp_fd;
    bool watch;                 /* the VM counts the guest's frames */
    VgGuestFrames base;         /* the counts before the round went */
    guint64 tcp_base;           /* TCP bytes to the guest before round 0 */
    unsigned udp_sent;          /* datagrams of this round */
    size_t tcp_sent;            /* bytes sent on the connection */
    bool delivered;             /* a round's datagrams reached the NIC */
    bool arrived;               /* and the TCP messages too */
    gint64 answered_at;         /* when the guest was done; 0: not yet */
    bool ask_idle;              /* the VM answers query-vigilante-idle */
    GPid pid;
    GArray *cpu;                /* CpuSample since the messages went */
} Settle;

bool vg_guest_frames(VgProfileVm *vm, VgGuestFrames *f)
{
    g_autoptr(JsonNode) r = vg_qmp_execute(vm->qmp, "query-vigilante-filters",
                                           NULL, 2000, NULL);
    JsonArray *guards;

    if (!r || !JSON_NODE_HOLDS_OBJECT(r)) {
        return false;
    }
    guards = json_object_get_array_member(json_node_get_object(r), "guards");
    for (guint i = 0; guards && i < json_array_get_length(guards); i++) {
        JsonObject *g = json_array_get_object_element(guards, i);

        if (g && !g_strcmp0(json_object_get_string_member_with_default(
                                g, "id", ""), VG_ANSWERS_GUARD)) {
            f->udp_to_guest = json_object_get_int_member_with_default(
                g, "udp-to-guest", 0);
            f->guest_udp = json_object_get_int_member_with_default(
                g, "guest-udp", 0);
            f->tcp_to_guest = json_object_get_int_member_with_default(
                g, "tcp-bytes-to-guest", 0);
            f->last_frame_us = json_object_get_int_member_with_default(
                g, "last-frame-us", 0);
            return true;
        }
    }
    return false;
}

gint64 vg_guest_asleep_since(VgProfileVm *vm, GError **errp)
{
    g_autoptr(JsonNode) r = vg_qmp_execute(vm->qmp, "query-vigilante-idle",
                                           NULL, 2000, errp);
    JsonObject *o;

    if (!r || !JSON_NODE_HOLDS_OBJECT(r)) {
        return -1;
    }
    o = json_node_get_object(r);
    if (!json_object_get_boolean_member_with_default(o, "running", false) ||
        !json_object_get_boolean_member_with_default(o, "asleep", false)) {
        return 0;
    }
    return json_object_get_int_member_with_default(o, "since-us", 0);
}

/*
 * Before a round is sent: the guard's counts, so that what the round's
 * messages cause is counted however fast the guest is.
 */
static void settle_before_round(Settle *st, VgProfileVm *vm, int round)
{
    st->watch = st->settle_ms && vg_guest_frames(vm, &st->base);
    if (round == 0) {
        st->tcp_base = st->base.tcp_to_guest;
    }
}

/*
 * Has the emulator been busy (on a CPU, or runnable and waiting for
 * one: a loaded host does not make a busy guest look quiet) under a
 * tenth of the last settle_ms?  A sliding window over samples taken at
 * each call.
 */
static bool cpu_quiet(Settle *st, gint64 now)
{
    CpuSample cur = { now, vg_process_busy_ns(st->pid) };
    gint64 span = st->settle_ms * 1000LL;

    if (!cur.cpu) {
        return false;
    }
    if (st->cpu->len &&
        cur.cpu < g_array_index(st->cpu, CpuSample, st->cpu->len - 1).cpu) {
        /* a thread ended and took its time with it: start again */
        g_array_set_size(st->cpu, 0);
    }
    g_array_append_val(st->cpu, cur);
    for (guint i = st->cpu->len - 1; i-- > 0;) {
        CpuSample *old = &g_array_index(st->cpu, CpuSample, i);

        if (now - old->t >= span) {
            bool quiet = (cur.cpu - old->cpu) * 10 <
                         (guint64)(now - old->t) * 1000;

            g_array_remove_range(st->cpu, 0, i);
            return quiet;
        }
    }
    return false;
}

/*
 * When every vCPU fell asleep, if they sleep; 0 otherwise, and from the
 * start if the emulator does not know the command (not ours: the other
 * criteria judge).
 */
static gint64 asleep_since(Settle *st, VgProfileVm *vm)
{
    g_autoptr(GError) err = NULL;
    gint64 since;

    if (!st->ask_idle || !st->watch) {
        return 0;
    }
    since = vg_guest_asleep_since(vm, &err);
    if (g_error_matches(err, VG_QMP_ERROR, VG_QMP_ERROR_COMMAND_NOT_FOUND)) {
        st->ask_idle = false;
    }
    return MAX(since, 0);
}

/* Has the guest been done with the messages for settle_ms? */
static bool settled(Settle *st, VgProfileVm *vm, bool has_tcp,
                    VgReplayEnd *end)
{
    gint64 now = g_get_monotonic_time();
    /* asked first: a frame that comes after is seen below */
    gint64 slept = asleep_since(st, vm);
    VgGuestFrames f = { 0 };
    bool counted = false;
    uint8_t buf[2048];
    ssize_t n;

    if (st->watch && vg_guest_frames(vm, &f)) {
        counted = true;
        st->delivered |= f.udp_to_guest - st->base.udp_to_guest >=
                         st->udp_sent;
        /* (a TCP session whose connection failed never arrives) */
        st->arrived = st->delivered && (!has_tcp || st->tcp_fd >= 0) &&
                      f.tcp_to_guest - st->tcp_base >= st->tcp_sent;
        if (st->udp_sent && f.guest_udp - st->base.guest_udp >=
            st->udp_sent && !st->answered_at) {
            st->answered_at = now;
        }
    }
    do {
        n = st->tcp_fd >= 0 ? recv(st->tcp_fd, buf, sizeof(buf),
                                   MSG_DONTWAIT) : -1;
    } while (n > 0);
    if (st->tcp_fd >= 0 && (n == 0 || (errno != EAGAIN &&
                                       errno != EWOULDBLOCK &&
                                       errno != EINTR)) &&
        !st->answered_at) {
        st->answered_at = now;  /* closed or reset: the service is done */
    }
    if (st->answered_at && now - st->answered_at >= st->settle_ms * 1000LL) {
        *end = VG_REPLAY_ANSWERED;
        return true;
    }
    /*
     * Asleep since after the last frame reached the guest, all of the
     * messages among them: a frame wakes the guest, so it slept after it
     * had them and did what they asked.
     */
    if (counted && st->arrived && slept && slept >= f.last_frame_us &&
        now - slept >= VG_REPLAY_ASLEEP_MS * 1000LL) {
        *end = VG_REPLAY_ASLEEP;
        return true;
    }
    /* Quiet counts once the datagrams are known to have arrived. */
    if ((has_tcp || st->delivered) && st->pid && cpu_quiet(st, now)) {
        *end = VG_REPLAY_QUIET;
        return true;
    }
    return false;
}

#define REPLAY_RESEND_MS 250
#define REPLAY_SLICE_MS 10

/* The emulator's CPU time since the messages went. */
typedef struct {
    GPid pid;
    guint64 last;               /* the threads' sum when last read */
    guint64 spent;              /* ns since the first reading */
} CpuSpent;

/* Read again; a thread that ended takes its time out of the sum. */
static guint64 cpu_spent(CpuSpent *c)
{
    guint64 now = c->pid ? vg_process_cpu_ns(c->pid) : 0;

    if (now && c->last && now > c->last) {
        c->spent += now - c->last;
    }
    c->last = now ? now : c->last;
    return c->spent;
}

JsonNode *vg_replay(VgProfileVm *vm, const Sca *sca, const unsigned *hport,
                    GPtrArray *msgs, const char *event, gint64 deadline,
                    const VgReplayJudge *judge, VgReplayOutcome *out)
{
    unsigned settle_ms = judge ? judge->settle_ms : 0;
    unsigned cpu_ms = judge ? judge->cpu_ms : 0;
    CpuSpent cpu = { .pid = vg_vm_pid(vm->emu) };
    JsonNode *ev = NULL;
    bool has_tcp = false;
    VgReplayEnd how = VG_REPLAY_TIMEOUT;
    Settle st = {
        .settle_ms = settle_ms,
        .tcp_fd = -1,
        .pid = vg_vm_pid(vm->emu),
        .ask_idle = true,
        .cpu = g_array_new(false, false, sizeof(CpuSample)),
    };

    for (guint i = 0; i < msgs->len; i++) {
        if (sca_message(sca, i)->transport == SCA_TRANSPORT_TCP) {
            /* One connection, to the first TCP message's port. */
            has_tcp = true;
            st.tcp_fd = vg_loopback_tcp_connect(
                g_array_index(vm->host_ports, unsigned, hport[i] - 1), 1);
            break;
        }
    }
    for (int round = 0; !ev && g_get_monotonic_time() < deadline; round++) {
        gint64 resend = g_get_monotonic_time() + REPLAY_RESEND_MS * 1000LL;
        unsigned udp_sent = 0;

        if (round == 0 || !has_tcp) {
            settle_before_round(&st, vm, round);
        }
        if (round == 0) {
            cpu_spent(&cpu);
        }
        for (guint i = 0; i < msgs->len && (round == 0 || !has_tcp); i++) {
            const ScaMessage *m = sca_message(sca, i);
            unsigned host = g_array_index(vm->host_ports, unsigned,
                                          hport[i] - 1);
            size_t len;
            const uint8_t *data = g_bytes_get_data(msgs->pdata[i], &len);

            if (m->transport == SCA_TRANSPORT_UDP) {
                udp_sent += vg_loopback_udp_send(host, data, len);
            } else if (st.tcp_fd >= 0) {
                if (send(st.tcp_fd, data, len, MSG_NOSIGNAL) !=
                    (ssize_t)len) {
                    break;      /* reset by the guest: the verdict decides */
                }
                st.tcp_sent += len;
            }
        }
        if (round == 0 || !has_tcp) {
            /*
             * The CPU window runs on across UDP resends (a datagram once
             * delivered stays delivered).
             */
            st.udp_sent = udp_sent;
        }
        do {
            ev = vg_qmp_next_event(vm->qmp, event,
                                   settle_ms || cpu_ms ? REPLAY_SLICE_MS
                                                       : REPLAY_RESEND_MS);
            if (!ev && !vg_vm_running(vm->emu)) {
                goto out;       /* the caller says how it ended */
            }
            if (!ev && ((settle_ms && settled(&st, vm, has_tcp, &how)) ||
                        (cpu_ms &&
                         cpu_spent(&cpu) >= cpu_ms * 1000000ULL))) {
                if (how == VG_REPLAY_TIMEOUT) {
                    how = VG_REPLAY_CPU;
                }
                /* an event the queries met on the way */
                ev = vg_qmp_next_event(vm->qmp, event, 0);
                goto out;
            }
        } while (!ev && g_get_monotonic_time() < MIN(resend, deadline));
    }
out:
    g_array_free(st.cpu, true);
    if (st.tcp_fd >= 0) {
        close(st.tcp_fd);
    }
    if (out) {
        out->end = ev ? VG_REPLAY_EVENT : how;
        out->cpu_ms = cpu_spent(&cpu) / 1e6;
    }
    return ev;
}
