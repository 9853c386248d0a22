/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Benchmark helper (not a test): honeyfarm density.  Starts N taint-on
 * honeypots of a service profile from its one ready snapshot, all at
 * once, and reports for each the time from its start to its first
 * answered request; then every honeypot answers REQUESTS benign
 * requests (the profile's benign tcp-PORT-* messages for its first TCP
 * port, one connection each, round-robin), and
 * its memory is broken down:
 *
 *   pss      the emulator's proportional set size (memory shared with
 *            other processes, its code and libraries, counts divided)
 *   ram      resident guest RAM (the emulator's mapping of that size)
 *   tb       resident translated code (the code buffer, rwx)
 *   shadow   shadow memory (query-taint shadow-bytes)
 *   log      the event log (query-taint event-log-bytes)
 *   other    the rest of the emulator's memory
 *
 * and, from the host's MemAvailable before the start, how many such
 * honeypots the host could hold.  loaded_s is the time to the
 * snapshot loaded (paused), ready_s to the first answer.
 *
 *   bench-density [--taint-off] QEMU PROFILE [N [REQUESTS]]
 *
 * (defaults 4 and 200; --taint-off: the same honeypots without taint
 * tracking, for comparison.)
 * The snapshot is made first if the profile's is missing or stale.
 */
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "profile.h"
#include "profile-vm.h"
#include "qmp-client.h"
#include "snapshot.h"
#include "vm.h"

#define MIB (1024.0 * 1024.0)

typedef struct {
    VgProfileVm *vm;
    gint64 started_us, restored_us, ready_us;
    unsigned port;              /* host port of the TCP service */
    unsigned answered;
    guint64 rss, ram, tb, shadow, log;
} Honeypot;

/*
 * One connection to 127.0.0.1:port carrying msg; true when the guest
 * answers.  (TCP: the snapshot VMs' user network is restrict=on, which
 * lets answers through connections from the host but drops datagrams
 * from the guest.)
 */
static bool exchange(unsigned port, GBytes *msg, unsigned timeout_ms)
{
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_port = htons(port) };
    struct timeval tv = { timeout_ms / 1000, timeout_ms % 1000 * 1000 };
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    gsize n;
    const void *data = g_bytes_get_data(msg, &n);
    char reply[2048];
    bool ok;

    if (fd < 0) {
        return false;
    }
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
         send(fd, data, n, MSG_NOSIGNAL) == (ssize_t)n &&
         recv(fd, reply, sizeof(reply), 0) > 0;
    close(fd);
    return ok;
}

/* The profile's benign messages for its first TCP port (*index). */
static GPtrArray *benign_messages(const VgProfile *p, unsigned *index)
{
    for (guint i = 0; i < p->ports->len; i++) {
        const VgProfilePort *pp = &g_array_index(p->ports, VgProfilePort, i);

        if (!strcmp(pp->transport, "tcp")) {
            *index = i;
            return vg_profile_benign_messages(p, "tcp", pp->port);
        }
    }
    return g_ptr_array_new();
}

/*
 * Resident bytes of the emulator (proportional set size: shared pages,
 * such as the emulator's own code, count divided among the processes
 * that share them): all, guest RAM, translated code.
 */
static void resident(GPid pid, guint64 ram_size, Honeypot *h)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/smaps", (int)pid);
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    guint64 size = 0;
    char perms[8] = "";
    enum { OTHER, RAM, TB } kind = OTHER;

    h->rss = h->ram = h->tb = 0;
    if (!g_file_get_contents(path, &text, NULL, NULL)) {
        return;
    }
    lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        unsigned long lo, hi;
        guint64 kb;

        if (sscanf(*l, "%lx-%lx %7s", &lo, &hi, perms) == 3) {
            size = hi - lo;
            /* QEMU maps guest RAM with a little alignment slack */
            kind = size >= ram_size && size <= ram_size + 4 * MIB ? RAM :
                   !strcmp(perms, "rwxp") ? TB : OTHER;
        } else if (sscanf(*l, "Pss: %" G_GUINT64_FORMAT " kB", &kb) == 1) {
            h->rss += kb * 1024;
            if (kind == RAM) {
                h->ram += kb * 1024;
            } else if (kind == TB) {
                h->tb += kb * 1024;
            }
        }
    }
}

static guint64 mem_available(void)
{
    g_autofree char *text = NULL;
    const char *m;

    if (!g_file_get_contents("/proc/meminfo", &text, NULL, NULL) ||
        !(m = strstr(text, "MemAvailable:"))) {
        return 0;
    }
    return g_ascii_strtoull(m + strlen("MemAvailable:"), NULL, 10) * 1024;
}

/* Shadow and event-log memory, from one query-taint. */
static void taint_memory(VgProfileVm *vm, Honeypot *h)
{
    g_autofree char *reply = vg_qmp_command(
        vm->qmp, "{\"execute\": \"query-taint\"}", 5000);

    h->shadow = h->log = 0;
    vg_qmp_get_uint(reply, "shadow-bytes", &h->shadow);
    vg_qmp_get_uint(reply, "event-log-bytes", &h->log);
}

int main(int argc, char **argv)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(VgProfile) p = NULL;
    g_autoptr(GPtrArray) msgs = NULL;
    guint64 n = 4, requests = 200, avail;
    unsigned tcp_index = 0, pending;
    g_autofree Honeypot *hp = NULL;
    gint64 t0, last_ready;
    double secs;
    int status = 0;
    bool taint = true;

    if (argc > 1 && !strcmp(argv[1], "--taint-off")) {
        taint = false;
        argv++;
        argc--;
    }
    if (argc < 3 || argc > 5 ||
        (argc > 3 && !g_ascii_string_to_unsigned(argv[3], 10, 1, 256, &n,
                                                 NULL)) ||
        (argc > 4 && !g_ascii_string_to_unsigned(argv[4], 10, 1, 1000000,
                                                 &requests, NULL))) {
        fprintf(stderr, "usage: bench-density [--taint-off] QEMU PROFILE "
                "[N [REQUESTS]]\n");
        return 2;
    }
    p = vg_profile_load(argv[2], &err);
    if (!p) {
        fprintf(stderr, "bench-density: %s\n", err->message);
        return 1;
    }
    msgs = benign_messages(p, &tcp_index);
    if (!msgs->len) {
        fprintf(stderr, "bench-density: %s has no benign TCP messages\n",
                argv[2]);
        return 1;
    }
    if (!vg_snapshot_check(p, NULL)) {
        fprintf(stderr, "making the ready snapshot...\n");
        if (!vg_snapshot_make(p, argv[1], &secs, &err)) {
            fprintf(stderr, "bench-density: %s\n", err->message);
            return 1;
        }
    }
    avail = mem_available();
    hp = g_new0(Honeypot, n);

    /* All at once, as a honeyfarm would on a burst of traffic. */
    t0 = g_get_monotonic_time();
    for (guint i = 0; i < n; i++) {
        hp[i].started_us = g_get_monotonic_time();
        hp[i].vm = taint ? vg_snapshot_vm_spawn_tainted(
                               p, argv[1], "vigilante,id=vg0,action=continue",
                               &err)
                         : vg_snapshot_vm_spawn(p, argv[1], &err);
        if (!hp[i].vm) {
            fprintf(stderr, "bench-density: honeypot %u: %s\n", i,
                    err->message);
            return 1;
        }
        hp[i].port = g_array_index(hp[i].vm->host_ports, unsigned,
                                   tcp_index);
    }
    for (guint i = 0; i < n; i++) {
        if (!vg_snapshot_vm_restored(hp[i].vm, p, &err)) {
            fprintf(stderr, "bench-density: honeypot %u: %s\n", i,
                    err->message);
            return 1;
        }
        hp[i].restored_us = g_get_monotonic_time();
        if (!vg_profile_vm_run(hp[i].vm, "cont", NULL, &err)) {
            fprintf(stderr, "bench-density: honeypot %u: %s\n", i,
                    err->message);
            return 1;
        }
    }
    /* Ready: the first request answered. */
    for (pending = n; pending && g_get_monotonic_time() - t0 < 120000000;) {
        for (guint i = 0; i < n; i++) {
            if (!hp[i].ready_us &&
                exchange(hp[i].port, g_ptr_array_index(msgs, 0), 200)) {
                hp[i].ready_us = g_get_monotonic_time();
                pending--;
            }
        }
    }
    if (pending) {
        fprintf(stderr, "bench-density: %u honeypot(s) never answered\n",
                pending);
        return 1;
    }
    last_ready = t0;
    for (guint i = 0; i < n; i++) {
        last_ready = MAX(last_ready, hp[i].ready_us);
    }
    printf("%u honeypots of %s (%u MiB, taint %s) from one snapshot: "
           "all ready in %.2f s\n", (unsigned)n, p->name, p->memory_mib,
           taint ? "on" : "off", (last_ready - t0) / 1e6);

    /* Every honeypot answers REQUESTS benign requests, round-robin. */
    for (guint64 r = 0; r < requests; r++) {
        for (guint i = 0; i < n; i++) {
            hp[i].answered += exchange(hp[i].port, g_ptr_array_index(
                msgs, r % msgs->len), 2000);
        }
    }

    printf("\n%-4s %8s %8s %9s %8s %8s %8s %8s %8s %8s\n", "vm",
           "loaded_s", "ready_s",
           "answered", "pss_MiB", "ram", "tb", "shadow", "log", "other");
    {
        Honeypot sum = { 0 };
        double max_ready = 0;

        for (guint i = 0; i < n; i++) {
            Honeypot *h = &hp[i];
            guint64 known;
            double ready = (h->ready_us - h->started_us) / 1e6;

            resident(vg_vm_pid(h->vm->emu), (guint64)p->memory_mib << 20, h);
            taint_memory(h->vm, h);
            known = h->ram + h->tb + h->shadow + h->log;
            printf("%-4u %8.2f %8.2f %5u/%-3u %8.1f %8.1f %8.1f %8.1f %8.1f "
                   "%8.1f\n", i, (h->restored_us - h->started_us) / 1e6,
                   ready, h->answered, (unsigned)requests, h->rss / MIB,
                   h->ram / MIB, h->tb / MIB, h->shadow / MIB, h->log / MIB,
                   (h->rss > known ? h->rss - known : 0) / MIB);
            sum.rss += h->rss;
            sum.ram += h->ram;
            sum.tb += h->tb;
            sum.shadow += h->shadow;
            sum.log += h->log;
            max_ready = MAX(max_ready, ready);
            if (h->answered < requests) {
                status = 1;
            }
        }
        printf("%-4s %8s %8.2f %9s %8.1f %8.1f %8.1f %8.1f %8.1f\n", "mean",
               "", max_ready, "(max)", sum.rss / MIB / n, sum.ram / MIB / n,
               sum.tb / MIB / n, sum.shadow / MIB / n, sum.log / MIB / n);
        printf("\nhost MemAvailable before: %.0f MiB; at %.1f MiB per "
               "honeypot it holds about %u of them\n", avail / MIB,
               sum.rss / MIB / n,
               sum.rss ? (unsigned)(avail / (sum.rss / n)) : 0);
    }
    for (guint i = 0; i < n; i++) {
        vg_profile_vm_free(hp[i].vm);
    }
    return status;
}
