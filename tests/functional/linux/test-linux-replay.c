/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigilante replay on captures of real traffic (docs/replay.md).  The
 * Linux guest runs as a honeypot while tcpdump records its forwarded
 * ports on the host's loopback; clients send benign requests (the
 * profile's benign messages) and the guest's three exploits: the UDP
 * and TCP stack overflows and vg-logind's, whose attack is a session of
 * three TCP messages; last, a request that crashes vg-tcpd without
 * a trap.  The honeypot's own event log is dumped as a second capture.
 * Then:
 *  - replaying tcpdump's capture (ports mapped back with --map) finds
 *    every attack flow with the type the honeypot saw live, its SCA
 *    verified and minimised into the report, flags no benign flow, and
 *    calls the crashing request crashed (the profile's crash-pattern);
 *    the report's page, rendered by Debian's chromium, shows them;
 *  - vg-logind's session, its segments reordered and one sent twice in
 *    a capture of its own, is still reassembled into the attack;
 *  - --session replays vg-logind's flows in capture order through one
 *    VM, and a fresh one after the attack;
 *  - the event log's capture (guest-side addresses, no map), narrowed
 *    with a BPF expression, gives the same verdicts;
 *  - bad input: a capture cut short (the flows before the cut are
 *    replayed, status 1), another link type, no flow for the profile, a
 *    BPF expression that does not compile.
 */
#include <glib/gstdio.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "guest.h"
#include "harness.h"
#include "host-util.h"
#include "linux-guest.h"
#include "logind-exploit.h"
#include "payloads.h"
#include "profile-vm.h"
#include "qmp-client.h"
#include "replay.h"
#include "sca.h"
#include "snapshot.h"

#define BENIGN_PER_PORT 3

/* The profile's ports, in its order. */
enum { P_UDP, P_TCP, P_CTL, P_CTL32, P_LOGIN, N_PORTS };
static const unsigned guest_port[N_PORTS] = {
    VGL_UDP_PORT, VGL_TCP_PORT, VGL_CTL_PORT, VGL_CTL32_PORT, VGL_LOGIN_PORT,
};

static char *cli_path, *exploit_path, *benign_src;
static char *work, *profile_path;
static VgProfile *prof;
static GHashTable *benign_sha;          /* of every benign message sent */
static char *live_type[N_PORTS];        /* the honeypot's alert, by port */
static unsigned fwd[N_PORTS];           /* the capture's host ports */
static char *cap_host, *cap_log;        /* tcpdump's; the event log's */
static char *crash_sha;                 /* of the request that crashes */

static void write_profile(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *kernel = vg_linux_guest_file("vmlinux");
    g_autofree char *initrd = vg_linux_guest_file("initramfs.cpio.gz");
    g_autofree char *text = g_strdup_printf(
        "[program]\nname=vg-linux\n"
        "[vm]\nkernel=%s\ninitrd=%s\nappend=" VGL_KERNEL_CMDLINE "\n"
        "memory=256\nnic=virtio-net-pci\n"
        "[service]\nports=udp:%d;tcp:%d;udp:%d;udp:%d;tcp:%d\n"
        "ready-marker=" VGL_MARK_READY "\nready-timeout=90\n"
        "crash-pattern=exited with status 1(3[2-9]|[45][0-9]), "
        "restarting\n"
        "[snapshot]\npath=%s/snapshot\n", kernel, initrd, VGL_UDP_PORT,
        VGL_TCP_PORT, VGL_CTL_PORT, VGL_CTL32_PORT, VGL_LOGIN_PORT, work);
    double secs;

    profile_path = g_build_filename(work, "linux.profile", NULL);
    g_assert_true(g_file_set_contents(profile_path, text, -1, NULL));
    prof = vg_profile_load(profile_path, &err);
    g_assert_no_error(err);
    g_assert_true(vg_snapshot_make(prof, vg_qemu_path(), &secs, &err));
    g_assert_no_error(err);
    g_test_message("snapshot made in %.1f s", secs);
}

/* Send one TCP session's @parts, read what comes back for a while. */
static void tcp_session(unsigned port, GPtrArray *parts)
{
    int fd = vg_loopback_tcp_connect(port, 2);
    char buf[4096];

    g_assert_cmpint(fd, >=, 0);
    for (guint i = 0; i < parts->len; i++) {
        GBytes *b = parts->pdata[i];
        size_t len;
        const void *d = g_bytes_get_data(b, &len);

        g_assert_cmpint(send(fd, d, len, MSG_NOSIGNAL), ==, (ssize_t)len);
        g_usleep(150 * 1000);   /* each part its own segment */
    }
    shutdown(fd, SHUT_WR);
    for (;;) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };

        if (poll(&pfd, 1, 1000) <= 0 || read(fd, buf, sizeof(buf)) <= 0) {
            break;
        }
    }
    close(fd);
}

static void send_benign(void)
{
    static const struct { const char *prefix; int port; } kinds[] = {
        { "udp-5001", P_UDP }, { "tcp-5002", P_TCP }, { "tcp-5006", P_LOGIN },
    };

    if (!benign_sha) {
        benign_sha = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                           NULL);
    }
    for (guint k = 0; k < G_N_ELEMENTS(kinds); k++) {
        for (int i = 0; i < BENIGN_PER_PORT; i++) {
            g_autofree char *path = g_strdup_printf("%s/%s-%02d", benign_src,
                                                    kinds[k].prefix, i);
            g_autofree char *data = NULL;
            gsize len;

            g_assert_true(g_file_get_contents(path, &data, &len, NULL));
            g_hash_table_add(benign_sha, g_compute_checksum_for_data(
                                 G_CHECKSUM_SHA256, (guint8 *)data, len));
            if (kinds[k].prefix[0] == 'u') {
                g_assert_true(vg_loopback_udp_send(fwd[kinds[k].port], data,
                                                   len));
            } else {
                g_autoptr(GPtrArray) one = g_ptr_array_new_with_free_func(
                    (GDestroyNotify)g_bytes_unref);

                g_ptr_array_add(one, g_bytes_new(data, len));
                tcp_session(fwd[kinds[k].port], one);
            }
            g_usleep(100 * 1000);
        }
    }
}

/* Run a client; its exit status. */
static int run(const char *const *argv, char **out, char **err)
{
    g_autoptr(GError) e = NULL;
    int status = -1;

    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, 0, NULL, NULL,
                               out, err, &status, &e));
    g_assert_no_error(e);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Until the honeypot reports an alert: its type (the test fails without). */
static char *await_alert(VgProfileVm *vm, void (*fire)(void))
{
    for (int tries = 0; tries < 3; tries++) {
        g_autofree char *ev = NULL;

        fire();
        ev = vg_qmp_wait_event(vm->qmp, "VIGILANTE_ALERT", 15000);
        if (ev) {
            g_autofree char *later = NULL;

            /*
             * The guest carries on (action=continue): the shellcode's
             * own alerts follow; they are not the next exploit's.
             */
            do {
                g_free(later);
                later = vg_qmp_wait_event(vm->qmp, "VIGILANTE_ALERT", 2000);
            } while (later);
            return vg_qmp_get_string(ev, "type");
        }
    }
    g_assert_not_reached();
}

static void fire_udp(void)
{
    g_autofree char *port = g_strdup_printf("%u", fwd[P_UDP]);
    const char *argv[] = { exploit_path, "udp", port, NULL };
    g_autofree char *out = NULL;     /* not into the TAP stream */

    g_assert_cmpint(run(argv, &out, NULL), ==, 0);
}

static void fire_tcp(void)
{
    g_autofree char *port = g_strdup_printf("%u", fwd[P_TCP]);
    const char *argv[] = { exploit_path, "tcp", port, NULL };
    g_autofree char *out = NULL;     /* not into the TAP stream */

    g_assert_cmpint(run(argv, &out, NULL), ==, 0);
}

/* vg-logind's attack as its three lines, each its own message. */
static GPtrArray *login_parts(void)
{
    g_autoptr(GByteArray) s = vgl_login_exploit_stream();
    GPtrArray *parts = g_ptr_array_new_with_free_func(
        (GDestroyNotify)g_bytes_unref);
    guint start = 0;

    for (guint i = 0; i < s->len; i++) {
        if (s->data[i] == '\n' && (parts->len < 2 || i + 1 == s->len)) {
            g_ptr_array_add(parts, g_bytes_new(s->data + start,
                                               i + 1 - start));
            start = i + 1;
        }
    }
    g_assert_cmpuint(parts->len, ==, 3);
    return parts;
}

static void fire_login(void)
{
    g_autoptr(GPtrArray) parts = login_parts();

    tcp_session(fwd[P_LOGIN], parts);
}

/*
 * A name that overruns vg-tcpd's name[] through the saved frame pointer
 * and stops there: the copy's own NUL lands in the saved return
 * address's low byte, so the return goes astray with no byte from the
 * network in the program counter, and the service dies of a signal
 * instead of being trapped.
 */
static void fire_crash(void)
{
    g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func(
        (GDestroyNotify)g_bytes_unref);
    GString *s = g_string_new("NAME ");

    for (int i = 0; i < VGL_TCP_RET_OFFSET; i++) {
        g_string_append_c(s, 'A');
    }
    g_string_append_c(s, '\n');
    crash_sha = g_compute_checksum_for_data(G_CHECKSUM_SHA256,
                                            (guint8 *)s->str, s->len);
    g_ptr_array_add(parts, g_string_free_to_bytes(s));
    tcp_session(fwd[P_TCP], parts);
}

/* The honeypot, tcpdump on loopback, the traffic, the two captures. */
static void test_capture(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(VgProfileVm) vm = NULL;
    g_autoptr(GSubprocess) dump = NULL;
    g_autoptr(GDataInputStream) dump_err = NULL;
    g_autofree char *filter = NULL, *cmd = NULL, *reply = NULL;

    write_profile();
    vm = vg_profile_vm_spawn(prof, vg_qemu_path(), &(VgProfileVmOptions) {
        .accel = "tcg,taint=on",
        .object = "vigilante,id=vg0,action=continue,program=vg-linux" },
        &err);
    g_assert_no_error(err);
    g_assert_true(vg_profile_vm_wait_ready(vm, prof, NULL));
    g_assert_true(vg_profile_vm_connect(vm, &err));
    for (int i = 0; i < N_PORTS; i++) {
        fwd[i] = g_array_index(vm->host_ports, unsigned, i);
    }

    cap_host = g_build_filename(work, "host.pcap", NULL);
    filter = g_strdup_printf("port %u or port %u or port %u", fwd[P_UDP],
                             fwd[P_TCP], fwd[P_LOGIN]);
    dump = g_subprocess_new(G_SUBPROCESS_FLAGS_STDERR_PIPE |
                            G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &err,
                            "tcpdump", "-i", "lo", "-n", "-U", "-s", "0",
                            "--immediate-mode",
                            "-w", cap_host, filter, NULL);
    g_assert_no_error(err);
    dump_err = g_data_input_stream_new(g_subprocess_get_stderr_pipe(dump));
    for (;;) {
        g_autofree char *line = vg_next_output_line(dump_err, "tcpdump");

        g_assert_nonnull(line);
        if (strstr(line, "listening on")) {
            break;
        }
    }

    send_benign();
    live_type[P_UDP] = await_alert(vm, fire_udp);
    live_type[P_TCP] = await_alert(vm, fire_tcp);
    live_type[P_LOGIN] = await_alert(vm, fire_login);
    g_test_message("live alerts: udp %s, tcp %s, login %s", live_type[P_UDP],
                   live_type[P_TCP], live_type[P_LOGIN]);
    send_benign();              /* after the attacks too */
    fire_crash();
    g_assert_null(vg_qmp_wait_event(vm->qmp, "VIGILANTE_ALERT", 2000));
    g_assert_nonnull(strstr(vg_vm_serial(vm->emu),
                            "vg-tcpd exited with status 139"));
    g_usleep(500 * 1000);
    g_subprocess_send_signal(dump, SIGINT);
    g_assert_true(g_subprocess_wait(dump, NULL, NULL));

    cap_log = g_build_filename(work, "event-log.pcap", NULL);
    cmd = g_strdup_printf("{\"execute\": \"vigilante-log-dump\", "
                          "\"arguments\": {\"filename\": \"%s\"}}", cap_log);
    reply = vg_qmp_command(vm->qmp, cmd, 10000);
    g_assert_nonnull(reply);
    g_assert_null(strstr(reply, "\"error\""));
    g_assert_true(g_file_test(cap_host, G_FILE_TEST_IS_REGULAR));
    g_assert_true(g_file_test(cap_log, G_FILE_TEST_IS_REGULAR));
}

typedef struct {
    int status;
    char *err;
    GPtrArray *flows;           /* JsonObject of each line */
} Result;

static void result_free(Result *r)
{
    g_free(r->err);
    g_ptr_array_unref(r->flows);
    g_free(r);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Result, result_free)

/* vigilante replay PROFILE CAPTURE ARGS...; its lines parsed. */
static Result *replay(const char *capture, const char *const *args)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autofree char *out = NULL;
    g_auto(GStrv) lines = NULL;
    Result *r = g_new0(Result, 1);
    gint64 t0 = g_get_monotonic_time();

    g_ptr_array_add(argv, cli_path);
    g_ptr_array_add(argv, "replay");
    g_ptr_array_add(argv, profile_path);
    g_ptr_array_add(argv, (char *)capture);
    for (int i = 0; args && args[i]; i++) {
        g_ptr_array_add(argv, (char *)args[i]);
    }
    g_ptr_array_add(argv, NULL);
    r->status = run((const char *const *)argv->pdata, &out, &r->err);
    g_test_message("replay of %s: status %d in %.1f s; it said:\n%s",
                   capture, r->status, (g_get_monotonic_time() - t0) / 1e6,
                   r->err);
    r->flows = g_ptr_array_new_with_free_func(
        (GDestroyNotify)json_node_unref);
    lines = g_strsplit(out, "\n", -1);
    for (int i = 0; lines[i]; i++) {
        g_autoptr(GError) err = NULL;
        JsonNode *n;

        if (!*lines[i]) {
            continue;
        }
        n = vg_json_parse(lines[i], &err);
        g_assert_no_error(err);
        g_ptr_array_add(r->flows, n);
    }
    return r;
}

static const char *member(JsonObject *o, const char *name)
{
    return json_object_has_member(o, name)
           ? json_object_get_string_member(o, name) : NULL;
}

static int port_index(unsigned port)
{
    for (int i = 0; i < N_PORTS; i++) {
        if (guest_port[i] == port) {
            return i;
        }
    }
    g_assert_not_reached();
}

/*
 * Every flow of @r: a benign message's flow is benign, the crashing
 * request's crashed (@want_crashes of them), any other an attack with
 * the live type, verified.  Returns the attacks.
 */
static guint check_verdicts(Result *r, bool want_report,
                            guint want_crashes)
{
    guint attacks = 0, crashes = 0;

    g_assert_cmpuint(r->flows->len, >, 0);
    for (guint i = 0; i < r->flows->len; i++) {
        JsonObject *o = json_node_get_object(r->flows->pdata[i]);
        const char *verdict = member(o, "verdict");
        const char *sha = member(o, "sha256");
        int port = port_index(json_object_get_int_member(o, "port"));

        if (g_hash_table_contains(benign_sha, sha)) {
            g_assert_cmpstr(verdict, ==, "benign");
            continue;
        }
        if (!strcmp(sha, crash_sha)) {
            g_assert_cmpstr(verdict, ==, "crashed");
            g_assert_nonnull(strstr(member(o, "reason"), "vg-tcpd exited "
                                    "with status 139"));
            crashes++;
            continue;
        }
        g_assert_cmpstr(verdict, ==, "attack");
        g_assert_cmpstr(json_object_get_string_member(
                            json_object_get_object_member(o, "alert"),
                            "type"), ==, live_type[port]);
        g_assert_true(json_object_get_boolean_member(o, "verified"));
        if (want_report) {
            g_assert_true(g_file_test(member(o, "sca"),
                                      G_FILE_TEST_IS_REGULAR));
            g_assert_true(g_file_test(member(o, "minimised"),
                                      G_FILE_TEST_IS_REGULAR));
        }
        attacks++;
    }
    g_assert_cmpuint(crashes, ==, want_crashes);
    return attacks;
}

/* The hex of the hint's bytes of the SCA at @path, as the page marks them. */
static char *hint_hex(const char *path)
{
    g_autoptr(Sca) sca = sca_load(path, NULL);
    const ScaMessage *m;
    const guint8 *d;
    GString *hex = g_string_new(NULL);

    g_assert_nonnull(sca);
    m = sca_message(sca, sca->hint_message);
    d = (const guint8 *)g_bytes_get_data(m->payload, NULL) + sca->hint_offset;
    for (guint i = 0; i < sca->hint_length; i++) {
        g_string_append_printf(hex, "%02x", d[i]);
    }
    return g_string_free(hex, false);
}

/*
 * The report's page as Debian's chromium renders it (the DOM after
 * parsing, serialised by the browser): a row per flow with its verdict,
 * and per attack a section whose marked bytes are its SCA's hint.
 */
static void check_page(const char *report, Result *r)
{
    g_autofree char *page = g_build_filename(report, "index.html", NULL);
    g_autofree char *url = g_filename_to_uri(page, NULL, NULL);
    g_autofree char *dom = NULL, *err = NULL;
    const char *argv[] = { "/usr/bin/timeout", "120", "chromium",
                           "--headless", "--no-sandbox", "--disable-gpu",
                           "--dump-dom", url, NULL };

    g_assert_cmpint(run(argv, &dom, &err), ==, 0);
    g_assert_nonnull(strstr(dom, "<table id=\"flows\"><thead>"));
    g_assert_nonnull(strstr(dom, "<tbody>"));
    for (guint i = 0; i < r->flows->len; i++) {
        JsonObject *o = json_node_get_object(r->flows->pdata[i]);
        gint64 flow = json_object_get_int_member(o, "flow");
        g_autofree char *row = g_strdup_printf(
            "<tr class=\"%s\" id=\"row-%" G_GINT64_FORMAT "\">",
            member(o, "verdict"), flow);
        g_autofree char *head = g_strdup_printf(
            "<section class=\"sca\" id=\"flow-%" G_GINT64_FORMAT "\">",
            flow);
        g_autofree char *want = NULL;
        const char *sec, *end, *p;
        GString *marked;

        g_assert_nonnull(strstr(dom, row));
        if (strcmp(member(o, "verdict"), "attack")) {
            g_assert_null(strstr(dom, head));
            continue;
        }
        sec = strstr(dom, head);
        g_assert_nonnull(sec);
        end = strstr(sec, "</section>");
        g_assert_nonnull(end);
        marked = g_string_new(NULL);
        for (p = strstr(sec, "<mark class=\"hint\">"); p && p < end;
             p = strstr(p + 1, "<mark class=\"hint\">")) {
            g_string_append_len(marked, p + strlen("<mark class=\"hint\">"),
                                2);
        }
        want = hint_hex(member(o, "sca"));
        g_assert_cmpstr(marked->str, ==, want);
        g_string_free(marked, true);
    }
}

static char *map_arg(int port)
{
    return g_strdup_printf("%u=%u", fwd[port], guest_port[port]);
}

static void test_host_capture(void)
{
    g_autofree char *m0 = map_arg(P_UDP), *m1 = map_arg(P_TCP);
    g_autofree char *m4 = map_arg(P_LOGIN);
    g_autofree char *report = g_build_filename(work, "report", NULL);
    const char *args[] = { "--map", m0, "--map", m1, "--map", m4,
                           "--jobs", "2", "--report", report, NULL };
    g_autoptr(Result) r = replay(cap_host, args);
    guint benign = 2 * 3 * BENIGN_PER_PORT;

    /* 1: the crash is reported as a flow that did not trap. */
    g_assert_cmpint(r->status, ==, 1);
    /* Each exploit at least once (a datagram may have been sent again). */
    g_assert_cmpuint(check_verdicts(r, true, 1), >=, 3);
    g_assert_cmpuint(r->flows->len, >=, benign + 3 + 1);
    g_assert_nonnull(strstr(r->err, "attack(s), 1 not replayed or "
                                    "crashed"));
    g_assert_nonnull(strstr(r->err, "crashed a service, not trapped: "));
    check_page(report, r);
}

/*
 * --session: vg-logind's flows in capture order through one VM; the
 * attack ends that VM, the flows after it go on in a second one.
 */
static void test_session(void)
{
    g_autofree char *m4 = map_arg(P_LOGIN);
    g_autofree char *bpf = g_strdup_printf("tcp port %u", fwd[P_LOGIN]);
    const char *args[] = { "--map", m4, "--filter", bpf, "--session",
                           "--no-minimise", NULL };
    g_autoptr(Result) r = replay(cap_host, args);
    g_autofree char *vms = NULL;
    gint64 last = 0;
    guint attacks;

    g_assert_cmpint(r->status, ==, 0);
    /* Once, unless the exploit had to be sent again (await_alert). */
    attacks = check_verdicts(r, false, 0);
    g_assert_cmpuint(attacks, >=, 1);
    g_assert_cmpuint(r->flows->len, ==, 2 * BENIGN_PER_PORT + attacks);
    for (guint i = 0; i < r->flows->len; i++) {
        gint64 flow = json_object_get_int_member(
            json_node_get_object(r->flows->pdata[i]), "flow");

        g_assert_cmpint(flow, >, last);         /* in capture order */
        last = flow;
    }
    /* Benign flows follow the attacks: each attack ended a VM. */
    vms = g_strdup_printf("one session, %u VM(s)", attacks + 1);
    g_assert_nonnull(strstr(r->err, vms));
}

/* The TCP header of an Ethernet frame's IPv4 packet, and its payload. */
static const u_char *tcp_of(const struct pcap_pkthdr *h, const u_char *d,
                            const u_char **payload, unsigned *len)
{
    const u_char *ip = d + 14, *tcp;

    if (h->caplen < 54 || ip[9] != 6) {
        return NULL;
    }
    tcp = ip + (ip[0] & 15) * 4;
    *payload = tcp + (tcp[12] >> 4) * 4;
    *len = (ip[2] << 8 | ip[3]) - (*payload - ip);
    return tcp;
}

/* The client port of vg-logind's attack session (its note of N's). */
static unsigned login_client(void)
{
    char ebuf[PCAP_ERRBUF_SIZE];
    pcap_t *in = pcap_open_offline(cap_host, ebuf);
    struct pcap_pkthdr *h;
    const u_char *d, *payload, *tcp;
    unsigned len, client = 0;

    g_assert_nonnull(in);
    g_assert_cmpint(pcap_datalink(in), ==, DLT_EN10MB);
    while (!client && pcap_next_ex(in, &h, &d) == 1) {
        if ((tcp = tcp_of(h, d, &payload, &len)) &&
            (unsigned)(tcp[2] << 8 | tcp[3]) == fwd[P_LOGIN] &&
            g_strstr_len((const char *)payload, len, "NNNNNNNNNNNNNNNN")) {
            client = tcp[0] << 8 | tcp[1];
        }
    }
    pcap_close(in);
    g_assert_cmpuint(client, !=, 0);
    return client;
}

/*
 * vg-logind's attack session alone, its client's data segments in
 * reverse order and the first of them again at the end.
 */
static char *reordered_login(void)
{
    char ebuf[PCAP_ERRBUF_SIZE];
    unsigned client = login_client();
    pcap_t *in = pcap_open_offline(cap_host, ebuf);
    pcap_dumper_t *out;
    g_autoptr(GPtrArray) data = g_ptr_array_new_with_free_func(
        (GDestroyNotify)g_bytes_unref);
    char *path = g_build_filename(work, "login-reordered.pcap", NULL);
    struct pcap_pkthdr *h;
    const u_char *d, *payload, *tcp;
    unsigned len;

    out = pcap_dump_open(in, path);
    while (pcap_next_ex(in, &h, &d) == 1) {
        if (!(tcp = tcp_of(h, d, &payload, &len)) ||
            (unsigned)(tcp[0] << 8 | tcp[1]) != client ||
            (unsigned)(tcp[2] << 8 | tcp[3]) != fwd[P_LOGIN]) {
            continue;
        }
        if (len) {
            g_ptr_array_add(data, g_bytes_new(h, sizeof(*h)));
            g_ptr_array_add(data, g_bytes_new(d, h->caplen));
        } else if (!data->len) {
            pcap_dump((u_char *)out, (const void *)h, d);   /* handshake */
        }
    }
    g_assert_cmpuint(data->len, ==, 6);     /* three segments */
    for (int i = data->len - 2; i >= 0; i -= 2) {
        pcap_dump((u_char *)out, g_bytes_get_data(data->pdata[i], NULL),
                  g_bytes_get_data(data->pdata[i + 1], NULL));
    }
    pcap_dump((u_char *)out, g_bytes_get_data(data->pdata[0], NULL),
              g_bytes_get_data(data->pdata[1], NULL));
    pcap_dump_close(out);
    pcap_close(in);
    return path;
}

static void test_reordered(void)
{
    g_autofree char *path = reordered_login();
    g_autofree char *m4 = map_arg(P_LOGIN);
    const char *args[] = { "--map", m4, NULL };
    g_autoptr(Result) r = replay(path, args);
    JsonObject *o;

    g_assert_cmpint(r->status, ==, 0);
    g_assert_cmpuint(r->flows->len, ==, 1);
    o = json_node_get_object(r->flows->pdata[0]);
    g_assert_cmpint(json_object_get_int_member(o, "retransmitted"), ==, 1);
    g_assert_true(json_object_get_boolean_member(o, "start-seen"));
    g_assert_cmpuint(check_verdicts(r, false, 0), ==, 1);
}

static void test_event_log(void)
{
    const char *args[] = { "--filter", "udp port 5001 or tcp port 5006",
                           "--jobs", "2", "--no-minimise", NULL };
    g_autoptr(Result) r = replay(cap_log, args);

    g_assert_cmpint(r->status, ==, 0);
    g_assert_cmpuint(check_verdicts(r, false, 0), >=, 2);
}

static void test_bad_input(void)
{
    g_autofree char *data = NULL;
    g_autofree char *cut = g_build_filename(work, "cut.pcap", NULL);
    g_autofree char *usb = g_build_filename(work, "usb.pcap", NULL);
    g_autofree char *m0 = map_arg(P_UDP);
    gsize len;
    guint first_two = 0;

    /* Cut short: the first UDP flows still replayed, status 1. */
    {
        char ebuf[PCAP_ERRBUF_SIZE];
        pcap_t *in = pcap_open_offline(cap_host, ebuf);
        struct pcap_pkthdr *h;
        const u_char *d;
        long off = 24;

        /* Up to the middle of the third UDP packet. */
        while (pcap_next_ex(in, &h, &d) == 1) {
            bool is_udp = h->caplen > 34 && d[23] == 17;

            if (is_udp && ++first_two == 3) {
                off += 16 + h->caplen / 2;
                break;
            }
            off += 16 + h->caplen;
        }
        pcap_close(in);
        g_assert_true(g_file_get_contents(cap_host, &data, &len, NULL));
        g_assert_cmpuint(off, <, len);
        g_assert_true(g_file_set_contents(cut, data, off, NULL));
    }
    {
        const char *args[] = { "--map", m0, "--filter", "udp",
                               "--no-minimise", NULL };
        g_autoptr(Result) r = replay(cut, args);

        g_assert_cmpint(r->status, ==, 1);
        g_assert_nonnull(strstr(r->err, "ends early"));
        g_assert_cmpuint(r->flows->len, >=, 1);
        g_assert_cmpuint(check_verdicts(r, false, 0), ==, 0);
    }
    /* No flow for the profile: the forwards' ports without --map. */
    {
        g_autoptr(Result) r = replay(cap_host, NULL);

        g_assert_cmpint(r->status, ==, 1);
        g_assert_nonnull(strstr(r->err, "is for vg-linux's ports"));
        g_assert_cmpuint(r->flows->len, ==, 0);
    }
    /* Another link type. */
    {
        pcap_t *dead = pcap_open_dead(DLT_USB_LINUX, 65535);
        pcap_dumper_t *d = pcap_dump_open(dead, usb);
        g_autoptr(Result) r = NULL;

        pcap_dump_close(d);
        pcap_close(dead);
        r = replay(usb, NULL);
        g_assert_cmpint(r->status, ==, 3);
        g_assert_nonnull(strstr(r->err, "link type"));
    }
    /* A filter that does not compile. */
    {
        const char *args[] = { "--filter", "port and", NULL };
        g_autoptr(Result) r = replay(cap_host, args);

        g_assert_cmpint(r->status, ==, 2);
        g_assert_nonnull(strstr(r->err, "filter"));
    }
}

int main(int argc, char **argv)
{
    int rc;

    g_test_init(&argc, &argv, NULL);
    cli_path = g_strdup(vg_arg_value(argc, argv, "--cli="));
    exploit_path = g_strdup(vg_arg_value(argc, argv, "--exploit="));
    benign_src = g_strdup(vg_arg_value(argc, argv, "--benign="));
    work = g_dir_make_tmp("vg-linux-replay-XXXXXX", NULL);
    g_test_add_func("/linux-replay/capture", test_capture);
    g_test_add_func("/linux-replay/host-capture", test_host_capture);
    g_test_add_func("/linux-replay/reordered", test_reordered);
    g_test_add_func("/linux-replay/session", test_session);
    g_test_add_func("/linux-replay/event-log", test_event_log);
    g_test_add_func("/linux-replay/bad-input", test_bad_input);
    rc = g_test_run();
    vg_dir_remove(work);
    return rc;
}
