/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigilante replay PROFILE CAPTURE [options]
 *
 * Replay each flow of a packet capture that is for the profile's ports
 * into a taint-tracking VM restored from the profile's ready snapshot,
 * and say per flow whether it attacks the program: one JSON line each on
 * stdout, a readable line each on stderr.  An attack's SCA is minimised
 * (which verifies it) against the same snapshot.  docs/replay.md.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "commands.h"
#include "filter-gen.h"
#include "filter.h"
#include "host-util.h"
#include "json-views.h"
#include "profile.h"
#include "qmp-client.h"
#include "replay-html.h"
#include "replay.h"
#include "sca-minimise.h"
#include "sca-verify.h"
#include "snapshot.h"

#define MAX_JOBS            8
#define MAX_MAPS            32
#define VERIFY_TIMEOUT_MS   3000
#define CONSOLE_MAX         1024    /* guest console kept per flow */

static volatile sig_atomic_t stop_requested;

static void usage(FILE *out)
{
    fprintf(out,
        "Usage: vigilante replay PROFILE CAPTURE [OPTIONS]\n"
        "\n"
        "Replay every flow in CAPTURE (pcap or pcapng) that goes to one\n"
        "of PROFILE's ports into a taint-tracking VM restored from the\n"
        "profile's ready snapshot (vigilante snapshot): one JSON line per\n"
        "flow on stdout, a readable line per flow and a summary on\n"
        "stderr.  An attack's SCA is minimised and verified.\n"
        "\n"
        "Options:\n"
        "  --filter BPF      only the packets that match BPF (tcpdump's\n"
        "                    syntax)\n"
        "  --map PORT=PPORT  the capture's port PORT is the profile's\n"
        "                    PPORT (a capture taken in front of a NAT or\n"
        "                    of user networking's forwards); repeatable\n"
        "  --jobs N          N VMs replay at once (1-8, default 1)\n"
        "  --timeout S       seconds a flow has to trap after it starts\n"
        "                    (default 3)\n"
        "  --report DIR      write each attack's SCAs there:\n"
        "                    flow-N.sca (as trapped), flow-N.min.sca,\n"
        "                    and index.html, a page of the flows\n"
        "  --filters         with --report: also generate each verified\n"
        "                    SCA's filter, flow-N.filter\n"
        "  --no-minimise     verify the SCAs without minimising them\n"
        "  --session         replay the flows in capture order into one VM\n"
        "                    (for flows that depend on earlier ones); a\n"
        "                    fresh VM after each alert or crash\n"
        "  --qemu PATH       the emulator (default: $VIGILANTE_QEMU, else\n"
        "                    the one built next to this tool)\n"
        "Exit status: 0 every flow replayed, 1 a flow could not be\n"
        "replayed, the capture ended early or has no flow for the\n"
        "profile, 2 bad usage, 3 nothing could be replayed (profile,\n"
        "snapshot, capture, emulator).\n");
}

typedef struct {
    const VgProfile *prof;
    const char *qemu;
    const char *object_fmt;     /* the vigilante object, %s: alert dir */
    VgCapture *cap;
    const char *report;
    char *work;                 /* the VMs' alert directories */
    unsigned timeout_s;
    bool minimise, filters, session;
    gint next;                  /* the next flow to take (atomic) */
    gint vms;                   /* VMs started (atomic): their dirs */
    GMutex lock;                /* the output and the counts below */
    guint done, attacks, unverified, failed;
    gint64 start;
    bool tty;
    GPtrArray *lines;           /* the flows' JSON lines, for the page */
} Replay;

/* The emulator's and guest's last words, for an error. */
static char *vm_last_words(VgProfileVm *vm)
{
    g_autofree char *err = vg_vm_stderr(vm->emu);
    g_autofree char *exit_text = vg_vm_exit_text(vm->emu);

    return g_strdup_printf("%s%s%s", exit_text ? exit_text : "",
                           err && *err ? "; emulator: " : "",
                           err ? g_strstrip(err) : "");
}

/* A VM that has restored the snapshot, paused, with its alert dir. */
static VgProfileVm *warm_vm(Replay *rp, guint n, char **alert_dir,
                            GError **errp)
{
    g_autofree char *object = NULL;
    VgProfileVm *vm;

    *alert_dir = g_strdup_printf("%s/vm-%u", rp->work, n);
    if (g_mkdir_with_parents(*alert_dir, 0700) < 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    "cannot create %s", *alert_dir);
        return NULL;
    }
    object = g_strdup_printf(rp->object_fmt, *alert_dir);
    vm = vg_snapshot_vm_spawn_tainted(rp->prof, rp->qemu, object, errp);
    if (vm && !vg_snapshot_vm_restored(vm, rp->prof, errp)) {
        g_clear_pointer(&vm, vg_profile_vm_free);
    }
    return vm;
}

static void add_str(JsonBuilder *b, const char *name, const char *value)
{
    json_builder_set_member_name(b, name);
    json_builder_add_string_value(b, value);
}

static void add_int(JsonBuilder *b, const char *name, gint64 value)
{
    json_builder_set_member_name(b, name);
    json_builder_add_int_value(b, value);
}

static void add_bool(JsonBuilder *b, const char *name, bool value)
{
    json_builder_set_member_name(b, name);
    json_builder_add_boolean_value(b, value);
}

/* The flow as captured: the first members of its JSON line. */
static void describe_flow(JsonBuilder *b, const VgCaptureFlow *f)
{
    add_int(b, "flow", f->index);
    add_str(b, "transport", f->transport == 6 ? "tcp" : "udp");
    add_str(b, "client", f->client);
    add_str(b, "server", f->server);
    add_int(b, "port", f->port);
    add_int(b, "first-packet", f->first_packet);
    add_int(b, "packets", f->packets);
    add_int(b, "messages", f->messages->len);
    add_int(b, "client-bytes", f->client_bytes);
    add_int(b, "server-bytes", f->server_bytes);
    add_str(b, "sha256", f->sha256);
    if (f->transport == 6) {
        add_bool(b, "start-seen", f->start_seen);
        add_int(b, "retransmitted", f->retransmitted);
        add_int(b, "conflicting", f->conflicting);
        if (f->gap) {
            add_int(b, "gap-at", f->gap_at);
        }
    }
    if (f->cut) {
        add_bool(b, "cut", true);
    }
    if (f->snapped) {
        add_int(b, "snapped", f->snapped);
    }
}

/* Write @sca to the report as flow-N@suffix; its path, or NULL. */
static char *report_sca(Replay *rp, const VgCaptureFlow *f, const Sca *sca,
                        const char *suffix, GError **errp)
{
    g_autoptr(GBytes) enc = sca_encode(sca, errp);
    g_autofree char *path = NULL;

    if (!enc || !rp->report) {
        return NULL;
    }
    path = g_strdup_printf("%s/flow-%u%s", rp->report, f->index, suffix);
    if (!g_file_set_contents(path, g_bytes_get_data(enc, NULL),
                             g_bytes_get_size(enc), errp)) {
        return NULL;
    }
    return g_steal_pointer(&path);
}

/* The filter of a verified SCA, flow-N.filter in the report. */
static void report_filter(Replay *rp, const VgCaptureFlow *f,
                          const Sca *sca, JsonBuilder *b, GString *line)
{
    VgGenOptions o = { .qemu = rp->qemu, .general = true,
                       .random_checks = 4 };
    g_autoptr(GError) err = NULL;
    g_autoptr(VgGenResult) r = vg_filter_generate(rp->prof, sca, &o, &err);
    g_autoptr(GBytes) enc = r ? vf_encode(r->general, &err) : NULL;
    g_autofree char *path = g_strdup_printf("%s/flow-%u.filter", rp->report,
                                            f->index);

    if (enc && !g_file_set_contents(path, g_bytes_get_data(enc, NULL),
                                    g_bytes_get_size(enc), &err)) {
        g_clear_pointer(&enc, g_bytes_unref);
    }
    if (enc) {
        add_str(b, "filter", path);
        add_int(b, "filter-conditions", r->stats.general_conditions);
        g_string_append_printf(line, "; filter %s (%u conditions)", path,
                               r->stats.general_conditions);
    } else {
        add_str(b, "filter-error", err->message);
        g_string_append_printf(line, "; no filter: %s", err->message);
    }
}

/* Check, minimise (or verify) and report the SCA of an alert. */
static void handle_alert(Replay *rp, const VgCaptureFlow *f, const char *ev,
                         JsonBuilder *b, GString *line, bool *verified)
{
    g_autofree char *type = vg_qmp_get_string(ev, "type");
    g_autofree char *insn = vg_qmp_get_string(ev, "insn");
    g_autofree char *sca_path = vg_qmp_get_string(ev, "sca");
    g_autofree char *sca_err = vg_qmp_get_string(ev, "sca-error");
    g_autofree char *saved = NULL, *min_path = NULL, *why = NULL;
    g_autoptr(Sca) sca = NULL, min = NULL;
    g_autoptr(GError) err = NULL;
    guint64 pc = 0, target = 0;
    VgMinimiseStats st = { 0 };

    vg_qmp_get_uint(ev, "pc", &pc);
    vg_qmp_get_uint(ev, "target", &target);
    add_str(b, "verdict", "attack");
    json_builder_set_member_name(b, "alert");
    json_builder_begin_object(b);
    add_str(b, "type", type ? type : "?");
    add_int(b, "pc", pc);
    add_str(b, "insn", insn ? insn : "?");
    add_int(b, "target", target);
    json_builder_end_object(b);
    g_string_append_printf(line, "attack: %s at pc 0x%" G_GINT64_MODIFIER
                           "x (%s)", type ? type : "?", pc,
                           insn ? insn : "?");

    sca = sca_path ? sca_load(sca_path, &err) : NULL;
    if (sca) {
        saved = report_sca(rp, f, sca, ".sca", &err);
    }
    if (!sca) {
        why = g_strdup(sca_path ? err->message
                       : sca_err ? sca_err : "the alert has no SCA");
    } else if (saved || !err) {
        if (saved) {
            add_str(b, "sca", saved);
        }
        if (rp->minimise) {
            min = vg_sca_minimise(rp->prof, rp->qemu, sca, VERIFY_TIMEOUT_MS,
                                  &st, &err);
            if (!min) {
                why = g_strdup(err->message);
            }
        } else {
            VgVerdict v = vg_verify(rp->prof, rp->qemu, sca,
                                    VERIFY_TIMEOUT_MS);

            if (v.kind != VG_VERDICT_VERIFIED) {
                why = g_strdup(v.reason ? v.reason : "not verified");
            }
            vg_verdict_clear(&v);
        }
    } else {
        why = g_strdup(err->message);
    }
    *verified = !why;
    add_bool(b, "verified", !why);
    if (why) {
        add_str(b, "reason", why);
        g_string_append_printf(line, "; SCA not verified: %s", why);
        return;
    }
    g_string_append(line, "; SCA verified");
    if (min) {
        g_clear_error(&err);
        min_path = report_sca(rp, f, min, ".min.sca", &err);
        if (min_path) {
            add_str(b, "minimised", min_path);
        }
        g_string_append_printf(line, ", minimised (%u byte(s) filled, %u "
                               "message(s) dropped, %u replay(s))",
                               st.bytes_filled, st.messages_dropped,
                               st.replays);
    }
    if (rp->filters && !stop_requested) {
        report_filter(rp, f, min ? min : sca, b, line);
    }
}

/*
 * The console line where the profile's crash-pattern says a service
 * died of a signal, or NULL.
 */
static char *service_died(const VgProfile *p, const char *console)
{
    g_autoptr(GMatchInfo) m = NULL;
    const char *from, *to;
    int start, end;

    if (!p->crash_pattern ||
        !g_regex_match(p->crash_pattern, console, 0, &m) ||
        !g_match_info_fetch_pos(m, 0, &start, &end)) {
        return NULL;
    }
    for (from = console + start; from > console && from[-1] != '\n';
         from--) {
        continue;
    }
    to = strchr(console + end, '\n');
    return g_strndup(from, to ? (size_t)(to - from) : strlen(from));
}

/* What the guest printed on its console since @before bytes. */
static char *console_since(VgProfileVm *vm, size_t before)
{
    const char *all = vg_vm_serial(vm->emu);
    size_t n = all ? strlen(all) : 0;
    const char *since = n >= before ? all + before : all;
    size_t len = all ? strlen(since) : 0;

    if (len > CONSOLE_MAX) {
        since += len - CONSOLE_MAX;
    }
    return g_strstrip(g_strdup(all ? since : ""));
}

/*
 * Replay flow @f into @vm (restored, paused or, in a session, running;
 * NULL when it could not be started: @vm_err) and print its lines.
 * True if @vm can take a session's next flow (no alert, no crash).
 */
static bool replay_flow(Replay *rp, const VgCaptureFlow *f, VgProfileVm *vm,
                        const GError *vm_err)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = NULL, ev = NULL;
    g_autoptr(GString) line = g_string_new(NULL);
    g_autoptr(GError) err = NULL;
    g_autoptr(Sca) msgs = sca_new(SCA_TYPE_AEC, rp->prof->name);
    g_autoptr(GPtrArray) payloads = g_ptr_array_new_with_free_func(
        (GDestroyNotify)g_bytes_unref);
    g_autofree char *text = NULL, *console = NULL, *died = NULL;
    unsigned hport[SCA_MAX_MESSAGES];
    bool failed = false, attack = false, verified = false;
    size_t before = 0;
    guint bad;

    json_builder_begin_object(b);
    describe_flow(b, f);
    g_string_printf(line, "flow %u: %s %s -> %s (%s %u): ", f->index,
                    f->transport == 6 ? "tcp" : "udp", f->client, f->server,
                    f->transport == 6 ? "tcp" : "udp", f->port);
    for (guint i = 0; i < f->messages->len; i++) {
        size_t len;
        const void *d = g_bytes_get_data(f->messages->pdata[i], &len);

        sca_add_message(msgs, f->transport == 6 ? SCA_TRANSPORT_TCP
                        : SCA_TRANSPORT_UDP, f->port, d, len);
        g_ptr_array_add(payloads, g_bytes_ref(f->messages->pdata[i]));
    }
    if (!f->messages->len) {
        add_str(b, "verdict", "empty");
        g_string_append(line, "nothing from the client to replay");
    } else if (!vm) {
        failed = true;
        add_str(b, "verdict", "error");
        add_str(b, "reason", vm_err->message);
        g_string_append_printf(line, "not replayed: %s", vm_err->message);
    } else if (!vg_replay_ports(rp->prof, msgs, hport, &bad) ||
               !vg_profile_vm_run(vm, "cont", NULL, &err)) {
        g_autofree char *why = err ? g_strdup(err->message)
                               : g_strdup("no such port in the profile");

        failed = true;
        add_str(b, "verdict", "error");
        add_str(b, "reason", why);
        g_string_append_printf(line, "not replayed: %s", why);
    } else {
        const char *all = vg_vm_serial(vm->emu);

        before = all ? strlen(all) : 0;
        ev = vg_replay(vm, msgs, hport, payloads, "VIGILANTE_ALERT",
                       g_get_monotonic_time() +
                       rp->timeout_s * G_USEC_PER_SEC, NULL, NULL);
        console = console_since(vm, before);
        died = service_died(rp->prof, console);
        if (ev) {
            g_autofree char *ev_text = vg_json_to_string(ev);

            attack = true;
            handle_alert(rp, f, ev_text, b, line, &verified);
        } else if (!vg_vm_running(vm->emu) ||
                   strstr(console, "Kernel panic")) {
            g_autofree char *how = vm_last_words(vm);

            failed = true;
            add_str(b, "verdict", "crashed");
            add_str(b, "reason", how);
            g_string_append_printf(line, "crashed the guest, not trapped: "
                                   "%s", how);
        } else if (died) {
            failed = true;
            add_str(b, "verdict", "crashed");
            add_str(b, "reason", died);
            g_string_append_printf(line, "crashed a service, not trapped: "
                                   "%s", died);
        } else {
            add_str(b, "verdict", "benign");
            g_string_append(line, "benign");
        }
        if (*console) {
            add_str(b, "console", console);
            g_string_append_printf(line, " (the guest said: %s)",
                                   strchr(console, '\n')
                                   ? strrchr(console, '\n') + 1 : console);
        }
    }
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    text = json_generator_to_data(gen, NULL);

    g_mutex_lock(&rp->lock);
    rp->done++;
    rp->attacks += attack;
    rp->unverified += attack && !verified;
    rp->failed += failed;
    if (rp->tty) {
        fputs("\r\033[K", stderr);
    }
    printf("%s\n", text);
    fflush(stdout);
    if (rp->lines) {
        g_ptr_array_add(rp->lines, g_strdup(text));
    }
    fprintf(stderr, "%s\n", line->str);
    if (rp->tty) {
        fprintf(stderr, "replay: %u of %u flows, %u attack(s), %.0f s",
                rp->done, rp->cap->flows->len, rp->attacks,
                (g_get_monotonic_time() - rp->start) / 1e6);
    }
    fflush(stderr);
    g_mutex_unlock(&rp->lock);
    return vm && !attack && !failed;
}

/*
 * One VM after another, each restored before its flow is taken (warm),
 * until the flows run out.
 */
static gpointer worker(gpointer opaque)
{
    Replay *rp = opaque;

    for (;;) {
        g_autoptr(GError) err = NULL;
        g_autofree char *alert_dir = NULL;
        VgProfileVm *vm = stop_requested ? NULL
                          : warm_vm(rp, g_atomic_int_add(&rp->vms, 1),
                                    &alert_dir, &err);
        guint i = g_atomic_int_add(&rp->next, 1);

        if (stop_requested || i >= rp->cap->flows->len) {
            g_clear_pointer(&vm, vg_profile_vm_free);
            break;
        }
        replay_flow(rp, rp->cap->flows->pdata[i], vm, err);
        g_clear_pointer(&vm, vg_profile_vm_free);
        if (alert_dir) {
            vg_dir_remove(alert_dir);
        }
    }
    return NULL;
}

/*
 * --session: the flows in capture order into one VM, so that a flow
 * meets the state the earlier ones left; after an alert or a crash the
 * rest go on in a VM restored afresh.
 */
static gpointer session_worker(gpointer opaque)
{
    Replay *rp = opaque;
    g_autofree char *alert_dir = NULL;
    VgProfileVm *vm = NULL;

    for (guint i = 0; i < rp->cap->flows->len && !stop_requested; i++) {
        g_autoptr(GError) err = NULL;

        if (!vm) {
            if (alert_dir) {
                vg_dir_remove(alert_dir);
                g_clear_pointer(&alert_dir, g_free);
            }
            vm = warm_vm(rp, g_atomic_int_add(&rp->vms, 1), &alert_dir,
                         &err);
        }
        if (!replay_flow(rp, rp->cap->flows->pdata[i], vm, err)) {
            g_clear_pointer(&vm, vg_profile_vm_free);
        }
    }
    g_clear_pointer(&vm, vg_profile_vm_free);
    if (alert_dir) {
        vg_dir_remove(alert_dir);
    }
    return NULL;
}

static bool parse_map(const char *s, VgPortMap *m)
{
    g_auto(GStrv) parts = g_strsplit(s, "=", 2);
    guint64 a, b;

    if (g_strv_length(parts) != 2 ||
        !g_ascii_string_to_unsigned(parts[0], 10, 1, 65535, &a, NULL) ||
        !g_ascii_string_to_unsigned(parts[1], 10, 1, 65535, &b, NULL)) {
        return false;
    }
    m->from = a;
    m->to = b;
    return true;
}

/* The run in a line (and its skipped packets), for stderr and the page. */
static char *summary(const Replay *rp, const char *capture)
{
    const VgCapture *c = rp->cap;
    GString *s = g_string_new(NULL);

    g_string_append_printf(s, "%s: %u packet(s) (%s), %u in %u flow(s) "
                           "for %s; %u flow(s) replayed in %.1f s: %u "
                           "attack(s)", capture, c->packets,
                           c->linktype ? c->linktype : "?", c->in_flows,
                           c->flows->len, rp->prof->name, rp->done,
                           (g_get_monotonic_time() - rp->start) / 1e6,
                           rp->attacks);
    if (rp->session) {
        g_string_append_printf(s, "; one session, %d VM(s)", rp->vms);
    }
    if (rp->unverified) {
        g_string_append_printf(s, " (%u not verified)", rp->unverified);
    }
    if (rp->failed) {
        g_string_append_printf(s, ", %u not replayed or crashed",
                               rp->failed);
    }
    if (c->fragments || c->malformed) {
        g_string_append_printf(s, "; skipped %u IP fragment(s) (not "
                               "reassembled) and %u malformed packet(s)",
                               c->fragments, c->malformed);
    }
    if (c->stopped) {
        g_string_append_printf(s, "; the capture ends early, %s",
                               c->stopped);
    }
    return g_string_free(s, false);
}

int vigilante_cmd_replay(int argc, char **argv)
{
    const char *profile_path = NULL, *capture = NULL, *bpf = NULL;
    const char *qemu_opt = NULL, *report = NULL;
    VgPortMap map[MAX_MAPS];
    guint nmap = 0;
    guint64 jobs = 1, timeout_s = 3;
    bool minimise = true, filters = false, session = false;
    g_autoptr(GError) err = NULL;
    g_autoptr(VgProfile) prof = NULL;
    g_autofree char *qemu = NULL, *digest = NULL, *exec_services = NULL;
    g_autofree char *object_fmt = NULL, *sum = NULL;
    GThread *threads[MAX_JOBS];
    Replay rp = { 0 };
    int status, status_page = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_value = i + 1 < argc;

        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return VIGILANTE_EXIT_OK;
        } else if (!strcmp(a, "--filter") && has_value) {
            bpf = argv[++i];
        } else if (!strcmp(a, "--map") && has_value) {
            if (nmap == MAX_MAPS || !parse_map(argv[++i], &map[nmap++])) {
                fprintf(stderr, "vigilante replay: --map wants PORT=PPORT "
                        "(at most %d): '%s'\n", MAX_MAPS, argv[i]);
                return VIGILANTE_EXIT_USAGE;
            }
        } else if (!strcmp(a, "--jobs") && has_value) {
            if (!g_ascii_string_to_unsigned(argv[++i], 10, 1, MAX_JOBS,
                                            &jobs, NULL)) {
                fprintf(stderr, "vigilante replay: --jobs wants 1 to %d: "
                        "'%s'\n", MAX_JOBS, argv[i]);
                return VIGILANTE_EXIT_USAGE;
            }
        } else if (!strcmp(a, "--timeout") && has_value) {
            if (!g_ascii_string_to_unsigned(argv[++i], 10, 1, 600,
                                            &timeout_s, NULL)) {
                fprintf(stderr, "vigilante replay: --timeout wants 1 to "
                        "600 seconds: '%s'\n", argv[i]);
                return VIGILANTE_EXIT_USAGE;
            }
        } else if (!strcmp(a, "--report") && has_value) {
            report = argv[++i];
        } else if (!strcmp(a, "--filters")) {
            filters = true;
        } else if (!strcmp(a, "--no-minimise")) {
            minimise = false;
        } else if (!strcmp(a, "--session")) {
            session = true;
        } else if (!strcmp(a, "--qemu") && has_value) {
            qemu_opt = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "vigilante replay: unknown option or missing "
                    "value: %s\n", a);
            usage(stderr);
            return VIGILANTE_EXIT_USAGE;
        } else if (!profile_path) {
            profile_path = a;
        } else if (!capture) {
            capture = a;
        } else {
            fprintf(stderr, "vigilante replay: unexpected argument: %s\n",
                    a);
            return VIGILANTE_EXIT_USAGE;
        }
    }
    if (!profile_path || !capture) {
        usage(stderr);
        return VIGILANTE_EXIT_USAGE;
    }
    if (session && jobs > 1) {
        fprintf(stderr, "vigilante replay: --session replays in one VM at "
                "a time; it takes no --jobs\n");
        return VIGILANTE_EXIT_USAGE;
    }
    if (filters && !report) {
        fprintf(stderr, "vigilante replay: --filters needs --report DIR\n");
        return VIGILANTE_EXIT_USAGE;
    }
    if (report && g_mkdir_with_parents(report, 0755) < 0) {
        fprintf(stderr, "vigilante replay: cannot create %s: %s\n", report,
                g_strerror(errno));
        return VIGILANTE_EXIT_ERROR;
    }
    prof = vg_profile_load(profile_path, &err);
    if (!prof) {
        fprintf(stderr, "vigilante replay: %s\n", err->message);
        return VIGILANTE_EXIT_ERROR;
    }
    if (!vg_snapshot_check(prof, &err)) {
        fprintf(stderr, "vigilante replay: %s (make it with vigilante "
                "snapshot %s)\n", err->message, profile_path);
        return VIGILANTE_EXIT_ERROR;
    }
    rp.cap = vg_capture_read(capture, bpf, prof, map, nmap, &err);
    if (!rp.cap) {
        fprintf(stderr, "vigilante replay: %s\n", err->message);
        return g_error_matches(err, VG_CAPTURE_ERROR,
                               VG_CAPTURE_ERROR_FILTER)
               ? VIGILANTE_EXIT_USAGE : VIGILANTE_EXIT_ERROR;
    }
    if (rp.cap->stopped) {
        fprintf(stderr, "vigilante replay: %s ends early, %s; replaying "
                "the flows before it\n", capture, rp.cap->stopped);
    }
    if (!rp.cap->flows->len) {
        g_autofree char *ports = g_strdup("");

        for (guint i = 0; i < prof->ports->len; i++) {
            const VgProfilePort *p = &g_array_index(prof->ports,
                                                    VgProfilePort, i);
            g_autofree char *old = ports;

            ports = g_strdup_printf("%s%s%s %u", old, i ? ", " : "",
                                    p->transport, p->port);
        }
        fprintf(stderr, "vigilante replay: none of the %u packet(s) in %s "
                "is for %s's ports (%s)%s\n", rp.cap->packets, capture,
                prof->name, ports,
                nmap ? "" : "; --map names a capture's port for one");
        vg_capture_free(rp.cap);
        return VIGILANTE_EXIT_FAILED;
    }

    qemu = vg_find_qemu(qemu_opt);
    digest = vg_profile_digest_hex(prof);
    exec_services = vg_profile_exec_services(prof);
    /* action=pause: one alert per flow, the first. */
    object_fmt = g_strdup_printf("vigilante,id=vg0,action=pause,"
                                 "alert-dir=%%s,program=%s,"
                                 "program-digest=%s%s%s", prof->name,
                                 digest, *exec_services ? ",exec-services="
                                 : "", exec_services);
    rp.prof = prof;
    rp.qemu = qemu;
    rp.object_fmt = object_fmt;
    rp.report = report;
    rp.lines = report ? g_ptr_array_new_with_free_func(g_free) : NULL;
    rp.timeout_s = timeout_s;
    rp.minimise = minimise;
    rp.filters = filters;
    rp.session = session;
    rp.work = g_dir_make_tmp("vg-replay-XXXXXX", &err);
    rp.tty = isatty(STDERR_FILENO);
    rp.start = g_get_monotonic_time();
    if (!rp.work) {
        fprintf(stderr, "vigilante replay: %s\n", err->message);
        vg_capture_free(rp.cap);
        return VIGILANTE_EXIT_ERROR;
    }
    g_mutex_init(&rp.lock);
    vg_stop_on_signals(&stop_requested);
    vg_sca_minimise_cancel_on(&stop_requested);
    jobs = session ? 1 : MIN(jobs, rp.cap->flows->len);
    for (guint i = 0; i < jobs; i++) {
        threads[i] = g_thread_new("replay", session ? session_worker
                                  : worker, &rp);
    }
    for (guint i = 0; i < jobs; i++) {
        g_thread_join(threads[i]);
    }
    if (rp.tty) {
        fputs("\r\033[K", stderr);
    }
    sum = summary(&rp, capture);
    fprintf(stderr, "replay: %s\n", sum);
    if (rp.lines && !vg_replay_html_write(report, capture, prof->name, sum,
                                          rp.lines, &err)) {
        fprintf(stderr, "vigilante replay: the report's page: %s\n",
                err->message);
        status_page = VIGILANTE_EXIT_ERROR;
    } else if (rp.lines) {
        fprintf(stderr, "replay: report in %s/index.html\n", report);
    }
    status = status_page ? status_page
             : rp.failed || rp.cap->stopped || stop_requested ||
               rp.done < rp.cap->flows->len
             ? VIGILANTE_EXIT_FAILED : VIGILANTE_EXIT_OK;
    if (stop_requested) {
        fprintf(stderr, "replay: stopped as asked after %u of %u flows\n",
                rp.done, rp.cap->flows->len);
    }
    vg_dir_remove(rp.work);
    g_free(rp.work);
    g_mutex_clear(&rp.lock);
    g_clear_pointer(&rp.lines, g_ptr_array_unref);
    vg_capture_free(rp.cap);
    return status;
}
