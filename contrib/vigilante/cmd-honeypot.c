/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigilante honeypot PROFILE --alert-dir DIR [options]
 *
 * Boot the profile's guest with taint tracking and the detector, keep it
 * serving (action continue: each attack is reported once), and
 * print one line per alert with the SCA written for it.  The profile's
 * ports are forwarded from free ports on 127.0.0.1, printed when the
 * guest is ready; with --tap the NIC is on that tap device instead and
 * clients reach the guest at its own address.  When the profile's ready
 * snapshot exists, each SCA is then minimised by replay against it (which
 * also verifies it), the minimised SCA written beside it, and the filter
 * generated from it (sca-ID.filter).  With --agent each SCA is also
 * submitted to the host's vigilante-agent, which floods it.
 */
#include <gio/gio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "profile.h"
#include "profile-vm.h"
#include "qmp-client.h"
#include "sca-minimise.h"
#include "agent-client.h"
#include "filter-gen.h"
#include "host-util.h"
#include "sca-verify.h"

static volatile sig_atomic_t stop_requested;

static void usage(FILE *out)
{
    fprintf(out,
        "Usage: vigilante honeypot PROFILE --alert-dir DIR [OPTIONS]\n"
        "\n"
        "Boot PROFILE's guest with taint tracking on, keep it serving, and\n"
        "print one line per alert; each alert's self-certifying alert is\n"
        "written to DIR/sca-ID.bin.  Stops on SIGINT or SIGTERM.\n"
        "\n"
        "Options:\n"
        "  --alert-dir DIR   where SCAs go (must exist)\n"
        "  --action A        continue (default: keep serving, report each\n"
        "                    attack once) or pause (stop at the first)\n"
        "  --max-alerts N    stop after N alerts (default: no limit)\n"
        "  --timeout S       stop after S seconds (default: no limit)\n"
        "  --minimise        minimise each SCA by replay against the\n"
        "                    profile's snapshot, written as\n"
        "                    DIR/sca-ID.min.bin, and generate its filter,\n"
        "                    DIR/sca-ID.filter\n"
        "                    (default when a snapshot of the current image\n"
        "                    exists; vigilante snapshot makes it)\n"
        "  --no-minimise     write the tentative SCA only\n"
        "  --agent SOCKET    submit each SCA (the minimised one when\n"
        "                    there is one) to the vigilante-agent whose\n"
        "                    control socket this is, to verify and flood\n"
        "  --tap IFNAME      put the NIC on this existing tap device (a\n"
        "                    bridge port or a namespace's) instead of\n"
        "                    user-mode networking with port forwards;\n"
        "                    clients reach the guest at its own address\n"
        "  --qemu PATH       the emulator (default: $VIGILANTE_QEMU, else\n"
        "                    the one built next to this tool)\n"
        "Exit status: 0 stopped as asked, 1 the guest stopped by itself,\n"
        "2 bad usage, 3 it could not be started.\n");
}

/*
 * The filter of a verified SCA, beside it as sca-ID.filter (the general
 * one, docs/filter-generation.md): one line, with its path or why there
 * is none.
 */
static void filter_alert(guint64 id, const Sca *sca, const char *base,
                         const VgProfile *prof, const char *qemu)
{
    VgGenOptions o = { .qemu = qemu, .general = true, .random_checks = 4 };
    g_autoptr(GError) err = NULL;
    g_autoptr(VgGenResult) r = NULL;
    g_autoptr(GBytes) enc = NULL;
    g_autofree char *out = g_strdup_printf("%s.filter", base);

    if (stop_requested) {
        return;
    }
    r = vg_filter_generate(prof, sca, &o, &err);
    if (r) {
        enc = vf_encode(r->general, &err);
    }
    if (enc && !g_file_set_contents(out, g_bytes_get_data(enc, NULL),
                                    g_bytes_get_size(enc), &err)) {
        g_clear_pointer(&enc, g_bytes_unref);
    }
    if (!enc) {
        printf("alert %" G_GUINT64_FORMAT ": no filter: %s\n", id,
               err->message);
    } else {
        printf("alert %" G_GUINT64_FORMAT ": filter %s: %u condition(s) "
               "(%u in the specific one), %u of %u random variants "
               "verified (%.1f s)\n", id, out, r->stats.general_conditions,
               r->stats.specific_conditions, r->stats.random_verified,
               r->stats.random_tried,
               (r->stats.capture_ms + r->stats.generalise_ms +
                r->stats.validate_ms) / 1e3);
    }
    fflush(stdout);
}

/* Hand an SCA file to the host agent: one line with its answer. */
static void submit_alert(guint64 id, const char *path, const char *agent)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *data = NULL, *reply = NULL;
    g_autoptr(GBytes) enc = NULL;
    gsize len;

    if (!agent || !path) {
        return;
    }
    if (g_file_get_contents(path, &data, &len, &err)) {
        enc = g_bytes_new_take(g_steal_pointer(&data), len);
        reply = vg_agent_submit(agent, enc, &err);
    }
    if (reply) {
        printf("alert %" G_GUINT64_FORMAT ": submitted to the agent: %s\n",
               id, reply);
    } else {
        printf("alert %" G_GUINT64_FORMAT ": not submitted to the agent: "
               "%s\n", id, err->message);
    }
    fflush(stdout);
}

/*
 * Minimise the SCA of an alert against the profile's snapshot: one line,
 * with the minimised SCA's path, or why there is none (an SCA that does
 * not verify is worth a look: the detector and the replay disagree).
 */
static void minimise_alert(const char *ev, const VgProfile *prof,
                           const char *qemu, const char *agent)
{
    g_autofree char *path = vg_qmp_get_string(ev, "sca");
    g_autofree char *data = NULL, *out = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(Sca) sca = NULL, min = NULL;
    g_autoptr(GBytes) enc = NULL;
    VgMinimiseStats st;
    guint64 id = 0;
    gsize len;
    gint64 t0 = g_get_monotonic_time();

    vg_qmp_get_uint(ev, "id", &id);
    if (!path) {
        return;
    }
    if (g_file_get_contents(path, &data, &len, &err)) {
        sca = sca_decode((const uint8_t *)data, len, &err);
    }
    if (!sca) {
        printf("alert %" G_GUINT64_FORMAT ": not minimised: %s\n", id,
               err->message);
        fflush(stdout);
        return;
    }
    vg_sca_minimise_cancel_on(&stop_requested);
    min = vg_sca_minimise(prof, qemu, sca, 3000, &st, &err);
    if (min) {
        enc = sca_encode(min, &err);
    }
    if (enc) {
        g_autofree char *base = g_strndup(path, strlen(path) -
                                          (g_str_has_suffix(path, ".bin")
                                           ? 4 : 0));

        out = g_strdup_printf("%s.min.bin", base);
        if (!g_file_set_contents(out, g_bytes_get_data(enc, NULL),
                                 g_bytes_get_size(enc), &err)) {
            g_clear_pointer(&out, g_free);
        }
    }
    if (!out) {
        printf("alert %" G_GUINT64_FORMAT ": not minimised: %s\n", id,
               err ? err->message : "?");
        fflush(stdout);
        submit_alert(id, path, agent);
    } else {
        g_autofree char *base = g_strndup(path, strlen(path) -
                                          (g_str_has_suffix(path, ".bin")
                                           ? 4 : 0));

        printf("alert %" G_GUINT64_FORMAT ": verified and minimised: %s, "
               "%zu -> %zu bytes, %u message(s) dropped, %u byte(s) filled "
               "(%u replays, %.1f s%s)\n", id, out, len,
               g_bytes_get_size(enc), st.messages_dropped, st.bytes_filled,
               st.replays, (g_get_monotonic_time() - t0) / 1e6,
               stop_requested ? "; cut short by the stop request" : "");
        fflush(stdout);
        submit_alert(id, out, agent);
        filter_alert(id, min, base, prof, qemu);
    }
    fflush(stdout);
}

/* One line for an alert event. */
static void print_alert(const char *ev)
{
    g_autofree char *type = vg_qmp_get_string(ev, "type");
    g_autofree char *insn = vg_qmp_get_string(ev, "insn");
    g_autofree char *sca = vg_qmp_get_string(ev, "sca");
    g_autofree char *sca_err = vg_qmp_get_string(ev, "sca-error");
    guint64 id = 0, pc = 0, target = 0;

    vg_qmp_get_uint(ev, "id", &id);
    vg_qmp_get_uint(ev, "pc", &pc);
    vg_qmp_get_uint(ev, "target", &target);
    printf("alert %" G_GUINT64_FORMAT ": %s at pc 0x%" G_GINT64_MODIFIER "x"
           " (%s), target 0x%" G_GINT64_MODIFIER "x; %s%s\n", id,
           type ? type : "?", pc, insn ? insn : "?", target,
           sca ? "SCA " : "no SCA: ", sca ? sca : sca_err ? sca_err : "?");
    fflush(stdout);
}

int vigilante_cmd_honeypot(int argc, char **argv)
{
    const char *alert_dir = NULL, *action = "continue", *qemu_opt = NULL;
    const char *tap = NULL, *agent = NULL;
    guint64 max_alerts = 0, timeout_s = 0, nalerts = 0;
    int minimise = -1;          /* -1: when the snapshot exists */
    g_autoptr(VgProfile) prof = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(VgProfileVm) vm = NULL;
    g_autoptr(GString) ports = g_string_new(NULL);
    g_autofree char *qemu = NULL, *digest = NULL, *object = NULL;
    g_autofree char *exec_services = NULL, *accel = NULL;
    const char *profile_path = NULL;
    gint64 start, deadline;
    int status = VIGILANTE_EXIT_OK;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_value = i + 1 < argc;

        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return VIGILANTE_EXIT_OK;
        } else if (!strcmp(a, "--alert-dir") && has_value) {
            alert_dir = argv[++i];
        } else if (!strcmp(a, "--action") && has_value) {
            action = argv[++i];
        } else if (!strcmp(a, "--minimise")) {
            minimise = 1;
        } else if (!strcmp(a, "--no-minimise")) {
            minimise = 0;
        } else if (!strcmp(a, "--tap") && has_value) {
            tap = argv[++i];
        } else if (!strcmp(a, "--agent") && has_value) {
            agent = argv[++i];
        } else if (!strcmp(a, "--qemu") && has_value) {
            qemu_opt = argv[++i];
        } else if (!strcmp(a, "--max-alerts") && has_value) {
            if (!g_ascii_string_to_unsigned(argv[++i], 10, 1, G_MAXUINT32,
                                            &max_alerts, NULL)) {
                usage(stderr);
                return VIGILANTE_EXIT_USAGE;
            }
        } else if (!strcmp(a, "--timeout") && has_value) {
            if (!g_ascii_string_to_unsigned(argv[++i], 10, 1, 86400 * 365,
                                            &timeout_s, NULL)) {
                usage(stderr);
                return VIGILANTE_EXIT_USAGE;
            }
        } else if (a[0] != '-' && !profile_path) {
            profile_path = a;
        } else {
            usage(stderr);
            return VIGILANTE_EXIT_USAGE;
        }
    }
    if (!profile_path || !alert_dir ||
        (strcmp(action, "continue") && strcmp(action, "pause"))) {
        usage(stderr);
        return VIGILANTE_EXIT_USAGE;
    }
    /* It goes into -netdev: no commas or other options smuggled in. */
    if (tap && (!*tap || strlen(tap) > 15 ||
                strspn(tap, "abcdefghijklmnopqrstuvwxyz"
                            "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                            "0123456789_.-") != strlen(tap))) {
        fprintf(stderr, "vigilante honeypot: --tap '%s': an interface name "
                "has 1 to 15 letters, digits, '_', '.' or '-'\n", tap);
        return VIGILANTE_EXIT_USAGE;
    }
    if (!g_file_test(alert_dir, G_FILE_TEST_IS_DIR)) {
        fprintf(stderr, "vigilante honeypot: %s is not a directory\n",
                alert_dir);
        return VIGILANTE_EXIT_USAGE;
    }
    prof = vg_profile_load(profile_path, &err);
    if (!prof) {
        fprintf(stderr, "vigilante honeypot: %s\n", err->message);
        return VIGILANTE_EXIT_ERROR;
    }
    if (tap && !prof->ready_marker) {
        fprintf(stderr, "vigilante honeypot: --tap: %s has no ready-marker, "
                "and its ready-port can only be probed through user-mode "
                "networking's forwards\n", profile_path);
        return VIGILANTE_EXIT_USAGE;
    }
    if (minimise < 0) {
        minimise = vg_snapshot_check(prof, NULL);
    } else if (minimise && !vg_snapshot_check(prof, &err)) {
        fprintf(stderr, "vigilante honeypot: --minimise needs the ready "
                "snapshot: %s\n", err->message);
        return VIGILANTE_EXIT_USAGE;
    }
    qemu = vg_find_qemu(qemu_opt);
    digest = vg_profile_digest_hex(prof);
    exec_services = vg_profile_exec_services(prof);
    accel = g_strdup_printf("tcg,taint=on,taint-kernel=%s",
                            prof->taint_kernel);
    object = g_strdup_printf("vigilante,id=vg0,action=%s,alert-dir=%s,"
                             "program=%s,program-digest=%s%s%s", action,
                             alert_dir, prof->name, digest,
                             *exec_services ? ",exec-services=" : "",
                             exec_services);

    vg_stop_on_signals(&stop_requested);
    start = g_get_monotonic_time();
    vm = vg_profile_vm_spawn(prof, qemu, &(VgProfileVmOptions) {
                                 .accel = accel, .object = object,
                                 .tap = tap },
                             &err);
    if (!vm) {
        fprintf(stderr, "vigilante honeypot: %s: %s\n", qemu, err->message);
        return VIGILANTE_EXIT_ERROR;
    }
    for (guint i = 0; i < prof->ports->len; i++) {
        const VgProfilePort *p = &g_array_index(prof->ports, VgProfilePort, i);

        if (tap) {
            g_string_append_printf(ports, "%s%s %u", i ? ", " : "",
                                   p->transport, p->port);
        } else {
            g_string_append_printf(ports, "%s%s %u -> 127.0.0.1:%u",
                                   i ? "; " : "", p->transport, p->port,
                                   g_array_index(vm->host_ports, unsigned,
                                                 i));
        }
    }
    if (tap) {
        g_string_append_printf(ports, " at the guest's address on tap %s",
                               tap);
    }
    if (!vg_profile_vm_wait_ready(vm, prof, &stop_requested)) {
        g_autofree char *text = NULL, *how = NULL;

        if (stop_requested) {
            return VIGILANTE_EXIT_OK;
        }
        text = vg_vm_stderr(vm->emu);
        how = prof->ready_marker
              ? g_strdup_printf("\"%s\"", prof->ready_marker)
              : g_strdup_printf("tcp:%u answering", prof->ready_port);
        fprintf(stderr, "vigilante honeypot: %s did not become ready "
                "(%s within %u s)%s%s\n", prof->name, how,
                prof->ready_timeout_s, text && text[0] ? "; emulator: " : "",
                text ? text : "");
        return VIGILANTE_EXIT_ERROR;
    }
    if (!vg_profile_vm_connect(vm, &err)) {
        fprintf(stderr, "vigilante honeypot: QMP: %s\n", err->message);
        return VIGILANTE_EXIT_ERROR;
    }
    printf("honeypot: %s ready in %.2f s (taint on, action %s%s); %s\n",
           prof->name, (g_get_monotonic_time() - start) / 1e6, action,
           minimise ? ", SCAs minimised" : "", ports->str);
    fflush(stdout);

    deadline = timeout_s ? g_get_monotonic_time() +
                           (gint64)timeout_s * G_USEC_PER_SEC : 0;
    while (!stop_requested && (!max_alerts || nalerts < max_alerts) &&
           (!deadline || g_get_monotonic_time() < deadline)) {
        g_autofree char *ev = vg_qmp_wait_event(vm->qmp, "VIGILANTE_ALERT",
                                                200);

        if (ev) {
            print_alert(ev);
            if (minimise) {
                minimise_alert(ev, prof, qemu, agent);
            } else if (agent) {
                g_autofree char *path = vg_qmp_get_string(ev, "sca");
                guint64 id = 0;

                vg_qmp_get_uint(ev, "id", &id);
                submit_alert(id, path, agent);
            }
            nalerts++;
        } else if (!vg_vm_running(vm->emu)) {
            fprintf(stderr, "vigilante honeypot: the emulator exited\n");
            status = VIGILANTE_EXIT_FAILED;
            break;
        }
    }
    g_clear_pointer(&vm, vg_profile_vm_free);     /* quits the emulator */
    printf("honeypot: stopped after %" G_GUINT64_FORMAT " alert(s)\n",
           nalerts);
    return status;
}
