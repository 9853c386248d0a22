/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A profile's guest in an emulator (profile-vm.h).
 */
#include "profile-vm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "host-util.h"


void vg_profile_vm_free(VgProfileVm *vm)
{
    bool asked = false;

    if (!vm) {
        return;
    }
    if (vm->qmp) {
        g_autoptr(JsonNode) r = vg_qmp_execute(vm->qmp, "quit", NULL, 2000,
                                               NULL);

        vg_qmp_close(vm->qmp);
        asked = true;
    }
    if (vm->emu) {
        /* Asked to quit: a second to do so cleanly, then it is killed. */
        if (asked) {
            vg_vm_wait_exit(vm->emu, 1000);
        }
        vg_vm_stop(vm->emu);
    }
    if (vm->work) {
        vg_dir_remove(vm->work);
    }
    g_free(vm->work);
    g_free(vm->sock);
    g_free(vm->log);
    if (vm->host_ports) {
        g_array_free(vm->host_ports, TRUE);
    }
    g_free(vm);
}

/* Is a host port already forwarded (ports are per VM, TCP or UDP)? */
static bool port_taken(const GArray *ports, unsigned port)
{
    for (guint i = 0; i < ports->len; i++) {
        if (g_array_index(ports, unsigned, i) == port) {
            return true;
        }
    }
    return false;
}

VgProfileVm *vg_profile_vm_spawn(const VgProfile *p, const char *qemu,
                                 const VgProfileVmOptions *o, GError **errp)
{
    g_autoptr(VgProfileVm) vm = g_new0(VgProfileVm, 1);
    g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GString) net = g_string_new("user,id=n0");
    int incoming = -1;

    vm->work = g_dir_make_tmp("vg-vm-XXXXXX", errp);
    if (!vm->work) {
        return NULL;
    }
    vm->sock = g_build_filename(vm->work, "qmp.sock", NULL);
    vm->log = g_build_filename(vm->work, "emulator.log", NULL);
    vm->host_ports = g_array_new(FALSE, TRUE, sizeof(unsigned));
    if (o->restrict_net) {
        g_string_append(net, ",restrict=on");
    }
    if (o->tap) {
        g_string_printf(net, "tap,id=n0,ifname=%s,script=no,downscript=no",
                        o->tap);
    }
    for (guint i = 0; i < p->ports->len && !o->tap; i++) {
        const VgProfilePort *pp = &g_array_index(p->ports, VgProfilePort, i);
        bool udp = !strcmp(pp->transport, "udp");
        unsigned host = vg_local_free_port(udp);

        /*
         * The kernel may hand out a port just released again: two
         * forwards on one port make the emulator refuse to start.
         */
        for (int tries = 0; tries < 32 && port_taken(vm->host_ports, host);
             tries++) {
            host = vg_local_free_port(udp);
        }
        g_array_append_val(vm->host_ports, host);
        g_string_append_printf(net, ",hostfwd=%s:127.0.0.1:%u-:%u",
                               pp->transport, host, pp->port);
    }

#define ARG(...) g_ptr_array_add(args, g_strdup_printf(__VA_ARGS__))
    ARG("%s", qemu);
    ARG("-nodefaults"); ARG("-display"); ARG("none"); ARG("-no-reboot");
    ARG("-accel"); ARG("%s", o->accel);
    ARG("-m"); ARG("%u", p->memory_mib);
    if (p->kernel) {
        ARG("-kernel"); ARG("%s", p->kernel);
    }
    if (p->disk) {
        const char *disk = o->disk ? o->disk : p->disk;
        const char *fmt = o->disk ? "qcow2" : p->disk_format;

        ARG("-drive");
        ARG("file=%s,format=%s,if=virtio%s", disk, fmt,
            o->disk_writable ? "" : ",snapshot=on");
    }
    if (p->initrd) {
        ARG("-initrd"); ARG("%s", p->initrd);
    }
    if (p->append) {
        ARG("-append"); ARG("%s", p->append);
    }
    if (p->cpu) {
        ARG("-cpu"); ARG("%s", p->cpu);
    }
    ARG("-serial"); ARG("stdio");
    ARG("-qmp"); ARG("unix:%s,server=on,wait=off", vm->sock);
    ARG("-netdev"); ARG("%s", net->str);
    ARG("-device"); ARG("%s,netdev=n0,romfile=", p->nic);
    if (o->object) {
        ARG("-object"); ARG("%s", o->object);
    }
    if (o->incoming) {
        /*
         * The stream read from the file itself: through "exec:cat" a
         * shell, cat and a pipe cost about a sixth of a restore.
         */
        incoming = open(o->incoming, O_RDONLY | O_CLOEXEC);
        if (incoming < 0) {
            g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                        "%s: %s", o->incoming, g_strerror(errno));
            return NULL;
        }
        ARG("-S");
        ARG("-incoming"); ARG("fd:3");
    }
#undef ARG
    g_ptr_array_add(args, NULL);

    vm->emu = vg_vm_spawn_with_fd((const char *const *)args->pdata, vm->log,
                                  incoming, errp);
    if (!vm->emu) {
        return NULL;
    }
    return g_steal_pointer(&vm);
}

bool vg_profile_vm_connect(VgProfileVm *vm, GError **errp)
{
    g_autofree char *log = NULL;

    if (vm->qmp) {
        return true;
    }
    vm->qmp = vg_qmp_connect(vm->sock, VG_QMP_TIMEOUT_MS, errp);
    if (vm->qmp) {
        return true;
    }
    /* What the emulator said, if anything, is the likeliest reason. */
    log = vg_vm_stderr(vm->emu);
    if (*g_strstrip(log)) {
        size_t n = strlen(log);

        g_prefix_error(errp, "emulator: %s; ", n > 400 ? log + n - 400 : log);
    }
    return false;
}

bool vg_profile_vm_wait_serial(VgProfileVm *vm, const char *marker,
                               unsigned timeout_s,
                               volatile sig_atomic_t *stop)
{
    gint64 deadline = g_get_monotonic_time() + timeout_s * G_USEC_PER_SEC;

    while (g_get_monotonic_time() < deadline && !(stop && *stop)) {
        if (vg_vm_wait_serial(vm->emu, marker, 200)) {
            return true;
        }
        if (!vg_vm_running(vm->emu)) {
            return false;       /* it has exited */
        }
    }
    return false;
}

/*
 * Has slirp a connection to the guest's @guest_port in ESTABLISHED?
 * ("info usernet": one line per socket, "  TCP[STATE]  FD  SRC-ADDR
 * SRC-PORT  DST-ADDR  DST-PORT ...").
 */
static bool guest_accepted(VgProfileVm *vm, unsigned guest_port)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonNode) r = NULL;
    g_auto(GStrv) lines = NULL;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "command-line");
    json_builder_add_string_value(b, "info usernet");
    json_builder_end_object(b);
    r = vg_qmp_execute(vm->qmp, "human-monitor-command",
                       json_builder_get_root(b), VG_QMP_TIMEOUT_MS, NULL);
    if (!r || !JSON_NODE_HOLDS_VALUE(r)) {
        return false;
    }
    lines = g_strsplit(json_node_get_string(r), "\n", -1);
    for (char **l = lines; *l; l++) {
        char state[32], src[64], dst[64];
        unsigned fd, sport, dport;

        if (sscanf(*l, " TCP[%31[^]]] %u %63s %u %63s %u", state, &fd, src,
                   &sport, dst, &dport) == 6 &&
            !strcmp(state, "ESTABLISHED") && dport == guest_port) {
            return true;
        }
    }
    return false;
}

/*
 * Does the guest accept a connection to @guest_port through the forward
 * from @host_port?  slirp accepts on the host side at once; the guest's
 * side shows in its socket table.
 */
static bool port_answers(VgProfileVm *vm, unsigned host_port,
                         unsigned guest_port)
{
    g_autoptr(GSocketClient) client = g_socket_client_new();
    g_autoptr(GSocketConnection) c = NULL;

    g_socket_client_set_timeout(client, 1);
    c = g_socket_client_connect_to_host(client, "127.0.0.1", host_port,
                                        NULL, NULL);
    if (!c) {
        return false;
    }
    for (int i = 0; i < 10; i++) {
        if (guest_accepted(vm, guest_port)) {
            return true;
        }
        g_usleep(100 * 1000);
    }
    return false;
}

bool vg_profile_vm_wait_ready(VgProfileVm *vm, const VgProfile *p,
                              volatile sig_atomic_t *stop)
{
    gint64 deadline;
    unsigned host = 0;

    if (p->ready_marker) {
        return vg_profile_vm_wait_serial(vm, p->ready_marker,
                                         p->ready_timeout_s, stop);
    }
    for (guint i = 0; i < p->ports->len && i < vm->host_ports->len; i++) {
        const VgProfilePort *pp = &g_array_index(p->ports, VgProfilePort, i);

        if (pp->port == p->ready_port && !strcmp(pp->transport, "tcp")) {
            host = g_array_index(vm->host_ports, unsigned, i);
        }
    }
    if (!host || !vg_profile_vm_connect(vm, NULL)) {
        return false;           /* no forward (tap) or no QMP */
    }
    deadline = g_get_monotonic_time() + p->ready_timeout_s * G_USEC_PER_SEC;
    while (g_get_monotonic_time() < deadline && !(stop && *stop)) {
        if (port_answers(vm, host, p->ready_port)) {
            return true;
        }
        if (!vg_vm_running(vm->emu)) {
            return false;
        }
        g_usleep(250 * 1000);
    }
    return false;
}

bool vg_profile_vm_run(VgProfileVm *vm, const char *command,
                       JsonNode *arguments, GError **errp)
{
    g_autoptr(JsonNode) reply = vg_qmp_execute(vm->qmp, command, arguments,
                                               VG_QMP_TIMEOUT_MS, errp);

    return reply != NULL;
}

char *vg_profile_vm_wait_status(VgProfileVm *vm, const char *query,
                                const char *const *want,
                                unsigned timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + timeout_ms * 1000LL;

    while (g_get_monotonic_time() < deadline) {
        g_autoptr(JsonNode) reply = vg_qmp_execute(vm->qmp, query, NULL,
                                                   VG_QMP_TIMEOUT_MS, NULL);
        JsonNode *st = reply ? vg_json_lookup(reply, "status") : NULL;
        const char *s = st && JSON_NODE_HOLDS_VALUE(st)
                        ? json_node_get_string(st) : NULL;

        for (int i = 0; s && want[i]; i++) {
            if (!strcmp(s, want[i])) {
                return g_strdup(s);
            }
        }
        if (!reply) {
            return NULL;
        }
        g_usleep(5000);
    }
    return NULL;
}
