/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Linux guest under a real libvirtd (started by the test, session
 * mode as nobody: tests/functional/libvirt-session.h), in transient
 * domains that libvirt destroys when the test's connection closes.
 *
 * - honeypot: libvirt's default pc devices (UHCI, balloon) and its own
 *   -accel tcg; taint and the detector switched on from the domain XML
 *   alone (<qemu:commandline> -object vigilante,taint=on); vg-udpd's
 *   exploit pauses the domain and the alert reaches libvirt's client as
 *   a QEMU monitor event.
 * - protect: a domain marking program vg-linux in its <metadata>, NIC
 *   on libvirt's udp (socket) backend; vg-logind's exploit lands, then
 *   `vigilante libvirt protect` adds filter-vigilante and the filter and
 *   the exploit is dropped while benign sessions are served; a second
 *   run changes nothing; an unmarked domain is left alone; bad filters
 *   and URIs are refused.
 * - watch: `vigilante libvirt protect --watch` protects the domain as it
 *   starts, and again after save and restore (a new QEMU process).
 *
 * - agent: a vigilante-agent with [libvirt] uri and an operator's filter
 *   protects a marked domain that starts after it (found at its next
 *   rescan), and lists it with `vigilante agent SOCKET vms`.
 *
 * Needs root (skipped otherwise).  Arguments: --cli=, --exploit=,
 * --agent=.
 */
#include <libvirt/libvirt.h>
#include <libvirt/libvirt-qemu.h>
#include <libvirt/virterror.h>
#include <gio/gunixinputstream.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "guest.h"
#include "libvirt-session.h"
#include "linux-guest.h"
#include "logind-exploit.h"
#include "rawtcp.h"

#define BOOT_TIMEOUT_MS     90000
#define REPLY_TIMEOUT_MS    10000
#define ALERT_TIMEOUT_MS    60000
#define RAW_IP              "10.0.2.3"
#define MARK_DIED           "vg-logind exited"
#define GUEST_MAC           "52:54:00:12:34:56"

static const uint8_t guest_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static VgLibvirtSession *session;
static virConnectPtr conn;
static char *cli_path, *exploit_path, *agent_path;
static char *emulator, *kernel, *initrd;
static char *alert_event;       /* the last VIGILANTE_ALERT, as JSON */

/* ---- domains ----------------------------------------------------------- */

typedef struct DomainSpec {
    const char *name;
    const char *program;        /* <metadata> mark, or NULL */
    guint16 link_local, link_qemu;  /* udp interface, or 0 */
    const char *qemu_args;      /* <qemu:arg> elements, or NULL */
    const char *serial;         /* console log file */
} DomainSpec;

static char *domain_xml(const DomainSpec *d)
{
    GString *x = g_string_new(NULL);

    g_string_append_printf(x,
        "<domain type='qemu' "
        "xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n"
        "  <name>%s</name>\n"
        "  <memory unit='MiB'>256</memory>\n"
        "  <vcpu>1</vcpu>\n", d->name);
    if (d->program) {
        g_string_append_printf(x,
            "  <metadata>\n"
            "    <vigilante:vm xmlns:vigilante='urn:vigilante-qemu:domain:1'>\n"
            "      <vigilante:program name='%s'/>\n"
            "    </vigilante:vm>\n"
            "  </metadata>\n", d->program);
    }
    g_string_append_printf(x,
        "  <os>\n"
        "    <type arch='x86_64' machine='pc'>hvm</type>\n"
        "    <kernel>%s</kernel>\n"
        "    <initrd>%s</initrd>\n"
        "    <cmdline>" VGL_KERNEL_CMDLINE "</cmdline>\n"
        "  </os>\n"
        "  <devices>\n"
        "    <emulator>%s</emulator>\n"
        "    <serial type='file'>\n"
        "      <source path='%s' append='on'/>\n"
        "    </serial>\n", kernel, initrd, emulator, d->serial);
    if (d->link_local) {
        g_string_append_printf(x,
            "    <interface type='udp'>\n"
            "      <mac address='" GUEST_MAC "'/>\n"
            "      <source address='127.0.0.1' port='%u'>\n"
            "        <local address='127.0.0.1' port='%u'/>\n"
            "      </source>\n"
            "      <model type='e1000'/>\n"
            "    </interface>\n", d->link_local, d->link_qemu);
    }
    g_string_append(x, "  </devices>\n");
    if (d->qemu_args) {
        g_string_append_printf(x, "  <qemu:commandline>\n%s"
                               "  </qemu:commandline>\n", d->qemu_args);
    }
    g_string_append(x, "</domain>\n");
    return g_string_free(x, FALSE);
}

static virDomainPtr start_domain(const DomainSpec *d)
{
    g_autofree char *xml = domain_xml(d);
    virDomainPtr dom = virDomainCreateXML(conn, xml,
                                          VIR_DOMAIN_START_AUTODESTROY);

    if (!dom) {
        g_test_message("domain XML:\n%s", xml);
        g_test_message("libvirt: %s", virGetLastErrorMessage());
    }
    g_assert_nonnull(dom);
    return dom;
}

static char *serial_text(const char *path)
{
    char *text = NULL;

    if (!g_file_get_contents(path, &text, NULL, NULL)) {
        return g_strdup("");
    }
    return text;
}

static guint count(const char *hay, const char *needle)
{
    guint n = 0;

    for (const char *p = hay; (p = strstr(p, needle)); p++) {
        n++;
    }
    return n;
}

/* Wait until the console log holds @marker @n times. */
static void wait_serial(const char *path, const char *marker, guint n,
                        guint timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + timeout_ms * 1000LL;

    for (;;) {
        g_autofree char *text = serial_text(path);

        if (count(text, marker) >= n) {
            return;
        }
        if (g_get_monotonic_time() > deadline) {
            g_test_message("no '%s' (x%u) in the console log:\n%s", marker,
                           n, text);
            g_assert_not_reached();
        }
        g_usleep(100 * 1000);
    }
}

static guint deaths(const char *serial)
{
    g_autofree char *text = serial_text(serial);

    return count(text, MARK_DIED);
}

static char *monitor(virDomainPtr dom, const char *cmd)
{
    char *reply = NULL;

    g_assert_cmpint(virDomainQemuMonitorCommand(dom, cmd, &reply, 0), ==, 0);
    g_test_message("%s -> %.400s", cmd, reply);
    return reply;
}

/* ---- vg-logind through the udp link ------------------------------------ */

static guint16 next_sport = 31000;

static void raw_open(RawTcp *t, const DomainSpec *d)
{
    g_autoptr(GError) err = NULL;

    g_assert_true(raw_tcp_open_udp(t, d->link_local, d->link_qemu, RAW_IP,
                                   VGL_GUEST_IP, guest_mac, next_sport++,
                                   VGL_LOGIN_PORT, REPLY_TIMEOUT_MS, &err));
    g_assert_no_error(err);
}

static void assert_serving(const DomainSpec *d)
{
    static const char req[] = "HELLO\nLOGIN alice " VGL_LOGIN_PASSWORD
                              "\nNOTE lunch\nQUIT\n";
    RawTcp t;

    raw_open(&t, d);
    raw_tcp_send(&t, req, 0, strlen(req), NULL);
    g_assert_true(raw_tcp_wait(&t, "NOTED lunch\nBYE\n", REPLY_TIMEOUT_MS));
    raw_tcp_close(&t);
}

/* Send the exploit in one segment; FALSE when the guest never saw it. */
static void send_exploit(const DomainSpec *d)
{
    g_autoptr(GByteArray) exploit = vgl_login_exploit_stream();
    RawTcp t;

    raw_open(&t, d);
    raw_tcp_send(&t, exploit->data, 0, exploit->len, NULL);
    raw_tcp_pump(&t, 1500);
    g_test_message("guest replied: %s", t.rx->str);
    raw_tcp_close(&t);
}

static char *write_filter(void)
{
    g_autofree char *b64 = vgl_login_filter_base64();
    gsize len;
    g_autofree guchar *enc = g_base64_decode(b64, &len);
    char *path = vg_libvirt_session_file(session, "logind.vf");
    g_autoptr(GError) err = NULL;

    g_file_set_contents(path, (const char *)enc, len, &err);
    g_assert_no_error(err);
    return path;
}

/*
 * Run the CLI; its exit status, and its stdout (@out) or, when @out is
 * NULL, its stderr in @err_out.
 */
static int run_cli(const char *const *args, char **out, char **err_out)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autoptr(GError) err = NULL;
    int status;

    g_ptr_array_add(argv, cli_path);
    for (const char *const *a = args; *a; a++) {
        g_ptr_array_add(argv, (gpointer)*a);
    }
    g_ptr_array_add(argv, NULL);
    g_spawn_sync(NULL, (char **)argv->pdata, NULL,
                 out ? G_SPAWN_STDERR_TO_DEV_NULL : G_SPAWN_STDOUT_TO_DEV_NULL,
                 NULL, NULL, out, out ? NULL : err_out, &status, &err);
    g_assert_no_error(err);
    g_test_message("vigilante %s %s: %s", args[0], args[1],
                   out ? *out : *err_out);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int cli(const char *const *args, char **out)
{
    return run_cli(args, out, NULL);
}

static int cli_err(const char *const *args, char **err_out)
{
    return run_cli(args, NULL, err_out);
}

static void udp_link(DomainSpec *d)
{
    do {
        d->link_local = vg_free_port(TRUE);
        d->link_qemu = vg_free_port(TRUE);
    } while (d->link_local == d->link_qemu);
}

/* ---- honeypot ---------------------------------------------------------- */

static void on_monitor_event(virConnectPtr c, virDomainPtr dom,
                             const char *event, long long seconds,
                             unsigned int micros, const char *details,
                             void *opaque)
{
    g_free(alert_event);
    alert_event = g_strdup(details ? details : "{}");
}

static void wake(int timer, void *opaque)
{
}

static void test_honeypot(void)
{
    g_autofree char *serial = vg_libvirt_session_file(session, "hp.log");
    guint16 udp = vg_free_port(TRUE);
    g_autofree char *args = g_strdup_printf(
        "    <qemu:arg value='-object'/>\n"
        "    <qemu:arg value='vigilante,id=vg,taint=on'/>\n"
        "    <qemu:arg value='-netdev'/>\n"
        "    <qemu:arg value='user,id=hn0,hostfwd=udp:127.0.0.1:%u-"
        VGL_GUEST_IP ":%u'/>\n"
        "    <qemu:arg value='-device'/>\n"
        "    <qemu:arg value='virtio-net-pci,netdev=hn0,bus=pci.0,"
        "addr=0x9'/>\n", udp, VGL_UDP_PORT);
    DomainSpec d = { .name = "vg-honeypot", .qemu_args = args,
                     .serial = serial };
    g_autofree char *taint = NULL, *port = g_strdup_printf("%u", udp);
    g_autofree char *out = NULL;
    g_autoptr(GError) err = NULL;
    const char *argv[] = { exploit_path, "udp", port, NULL };
    virDomainPtr dom;
    gint64 deadline;
    int cb, timer, state = 0, reason = 0;

    cb = virConnectDomainQemuMonitorEventRegister(conn, NULL,
                                                  "VIGILANTE_ALERT",
                                                  on_monitor_event, NULL,
                                                  NULL, 0);
    g_assert_cmpint(cb, >=, 0);
    dom = start_domain(&d);
    wait_serial(serial, VGL_MARK_READY, 1, BOOT_TIMEOUT_MS);
    taint = monitor(dom, "{\"execute\": \"query-taint\"}");
    g_assert_nonnull(strstr(taint, "\"enabled\":true"));

    vg_run_program(argv, 30000, &out, &err);
    timer = virEventAddTimeout(100, wake, NULL, NULL);
    deadline = g_get_monotonic_time() + ALERT_TIMEOUT_MS * 1000LL;
    while (!alert_event && g_get_monotonic_time() < deadline) {
        virEventRunDefaultImpl();
    }
    g_test_message("alert through libvirt: %s", alert_event);
    g_assert_nonnull(alert_event);
    g_assert_nonnull(strstr(alert_event, "\"aec\""));
    /*
     * The alert can reach us before libvirtd has handled the STOP event
     * that the pause sends after it: wait a little for the state.
     */
    deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    for (;;) {
        g_assert_cmpint(virDomainGetState(dom, &state, &reason, 0), ==, 0);
        if (state == VIR_DOMAIN_PAUSED ||
            g_get_monotonic_time() >= deadline) {
            break;
        }
        virEventRunDefaultImpl();
    }
    virEventRemoveTimeout(timer);
    g_assert_cmpint(state, ==, VIR_DOMAIN_PAUSED);

    virConnectDomainQemuMonitorEventDeregister(conn, cb);
    virDomainDestroy(dom);
    virDomainFree(dom);
}

/* ---- protect ----------------------------------------------------------- */

static void test_protect(void)
{
    g_autofree char *serial = vg_libvirt_session_file(session, "p.log");
    g_autofree char *serial2 = vg_libvirt_session_file(session, "u.log");
    g_autofree char *filter = write_filter();
    g_autofree char *bad = vg_libvirt_session_file(session, "bad.vf");
    g_autofree char *out = NULL, *out2 = NULL, *errs = NULL, *q = NULL;
    DomainSpec d = { .name = "vg-protected", .program = "vg-linux",
                     .serial = serial };
    DomainSpec u = { .name = "vg-unmarked", .serial = serial2 };
    virDomainPtr dom, other;

    udp_link(&d);
    dom = start_domain(&d);
    other = start_domain(&u);
    wait_serial(serial, VGL_MARK_READY, 1, BOOT_TIMEOUT_MS);

    /* Unprotected, the exploit lands: vg-logind dies. */
    assert_serving(&d);
    send_exploit(&d);
    wait_serial(serial, MARK_DIED, 1, REPLY_TIMEOUT_MS);
    assert_serving(&d);

    {
        const char *args[] = { "libvirt", "protect", "--connect",
                               session->uri, filter, NULL };

        g_assert_cmpint(cli(args, &out), ==, 0);
        g_assert_nonnull(strstr(out, "vg-protected: netdev hostnet0: "
                                     "filter-vigilante added"));
        g_assert_nonnull(strstr(out, "(vg-linux, "));
        g_assert_nonnull(strstr(out, "vg-unmarked: no vigilante metadata"));
        /* Again: everything is there already. */
        g_assert_cmpint(cli(args, &out2), ==, 0);
        g_assert_nonnull(strstr(out2, "vg-protected: already protected"));
    }
    q = monitor(dom, "{\"execute\": \"query-vigilante-filters\"}");
    g_assert_nonnull(strstr(q, "\"netdev\":\"hostnet0\""));
    g_assert_cmpuint(count(q, "\"program\":\"vg-linux\""), ==, 1);
    {
        g_autofree char *q2 = monitor(other, "{\"execute\": "
                                      "\"query-vigilante-filters\"}");

        g_assert_nonnull(strstr(q2, "\"guards\":[]"));
    }

    /* Protected: dropped, and benign sessions still served. */
    send_exploit(&d);
    assert_serving(&d);
    g_assert_cmpuint(deaths(serial), ==, 1);
    for (int i = 0; i < 5; i++) {
        assert_serving(&d);
    }

    /* Bad input. */
    {
        const char *args[] = { "libvirt", "protect", "--connect",
                               session->uri, bad, NULL };
        const char *nouri[] = { "libvirt", "list", "--connect",
                                "qemu:///session?socket=/nonexistent", NULL };
        g_autofree char *e2 = NULL;

        g_file_set_contents(bad, "not a filter", -1, NULL);
        g_assert_cmpint(cli_err(args, &errs), ==, 3);
        g_assert_nonnull(strstr(errs, "bad.vf"));
        g_assert_cmpint(cli_err(nouri, &e2), ==, 3);
        g_assert_nonnull(strstr(e2, "cannot connect"));
    }
    {
        const char *args[] = { "libvirt", "list", "--connect", session->uri,
                               NULL };
        g_autofree char *l = NULL;

        g_assert_cmpint(cli(args, &l), ==, 0);
        g_assert_nonnull(strstr(l, "vg-protected running vg-linux"));
        g_assert_nonnull(strstr(l, "vg-unmarked running -"));
    }
    virDomainDestroy(other);
    virDomainFree(other);
    virDomainDestroy(dom);
    virDomainFree(dom);
}

/* ---- watch ------------------------------------------------------------- */

/* Read the watcher's output until it holds @needle @n times. */
static void wait_output(int fd, GString *buf, const char *needle, guint n)
{
    gint64 deadline = g_get_monotonic_time() + 30000 * 1000LL;

    while (count(buf->str, needle) < n) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        char chunk[1024];
        gssize r;

        if (g_get_monotonic_time() > deadline) {
            g_test_message("watcher said:\n%s", buf->str);
            g_assert_not_reached();
        }
        if (poll(&p, 1, 100) <= 0) {
            continue;
        }
        r = read(fd, chunk, sizeof(chunk));
        g_assert_cmpint(r, >, 0);
        g_string_append_len(buf, chunk, r);
    }
}

static void test_watch(void)
{
    g_autofree char *serial = vg_libvirt_session_file(session, "w.log");
    g_autofree char *filter = write_filter();
    g_autofree char *saved = vg_libvirt_session_file(session, "saved.img");
    g_autoptr(GString) said = g_string_new(NULL);
    g_autoptr(GError) err = NULL;
    DomainSpec d = { .name = "vg-watched", .program = "vg-linux",
                     .serial = serial };
    const char *installed = "vg-watched: filter ";
    g_autoptr(GSubprocess) w = NULL;
    virDomainPtr dom;
    int fd;

    udp_link(&d);
    w = g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE, &err, cli_path,
                         "libvirt", "protect", "--watch", "--connect",
                         session->uri, filter, NULL);
    g_assert_no_error(err);
    fd = g_unix_input_stream_get_fd(
        G_UNIX_INPUT_STREAM(g_subprocess_get_stdout_pipe(w)));
    wait_output(fd, said, "watching for domains that start", 1);

    /* Protected as it starts. */
    dom = start_domain(&d);
    wait_output(fd, said, installed, 1);
    wait_serial(serial, VGL_MARK_READY, 1, BOOT_TIMEOUT_MS);
    send_exploit(&d);
    assert_serving(&d);
    g_assert_cmpuint(deaths(serial), ==, 0);

    /* Saved and restored: a new QEMU, protected again. */
    g_assert_cmpint(virDomainSave(dom, saved), ==, 0);
    virDomainFree(dom);
    g_assert_cmpint(virDomainRestore(conn, saved), ==, 0);
    dom = virDomainLookupByName(conn, d.name);
    g_assert_nonnull(dom);
    wait_output(fd, said, installed, 2);
    send_exploit(&d);
    assert_serving(&d);
    g_assert_cmpuint(deaths(serial), ==, 0);

    g_subprocess_send_signal(w, SIGTERM);
    wait_output(fd, said, "stopped", 1);
    g_subprocess_wait(w, NULL, &err);
    g_assert_no_error(err);
    g_assert_true(g_subprocess_get_if_exited(w));
    g_assert_cmpint(g_subprocess_get_exit_status(w), ==, 0);
    g_test_message("watcher said:\n%s", said->str);
    virDomainDestroy(dom);
    virDomainFree(dom);
}

/* ---- agent ------------------------------------------------------------- */

static void openssl(const char *const *argv)
{
    g_autofree char *out = NULL;
    g_autoptr(GError) err = NULL;

    if (!vg_run_program(argv, 60000, &out, &err)) {
        g_error("openssl: %s %s", err ? err->message : "", out);
    }
}

static void test_agent(void)
{
    g_autofree char *serial = vg_libvirt_session_file(session, "a.log");
    g_autofree char *filter = write_filter();
    g_autofree char *dir = vg_libvirt_session_file(session, "agent");
    g_autofree char *conf = g_build_filename(dir, "a.conf", NULL);
    g_autofree char *log = g_build_filename(dir, "a.log", NULL);
    g_autofree char *sock = g_build_filename(dir, "state", "control.sock",
                                             NULL);
    g_autofree char *text = NULL, *said = NULL, *vms = NULL;
    g_autofree char *key = g_build_filename(dir, "a.key", NULL);
    g_autofree char *crt = g_build_filename(dir, "a.crt", NULL);
    const char *mkcert[] = {
        "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
        "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", crt,
        "-days", "2", "-subj", "/CN=a", NULL,
    };
    DomainSpec d = { .name = "vg-agent-protected", .program = "vg-linux",
                     .serial = serial };
    g_autoptr(GSubprocessLauncher) l =
        g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDERR_MERGE);
    g_autoptr(GSubprocess) agent = NULL;
    g_autoptr(GError) err = NULL;
    gint64 deadline;
    virDomainPtr dom;

    g_mkdir_with_parents(dir, 0700);
    openssl(mkcert);
    /* Its own certificate as the CA: no peers here. */
    text = g_strdup_printf("[agent]\nname=a\ncertificate=a.crt\nkey=a.key\n"
                           "ca=a.crt\nstate-dir=state\n"
                           "[protect]\nfilters=%s\nrescan-seconds=1\n"
                           "[libvirt]\nuri=%s\n", filter, session->uri);
    g_assert_true(g_file_set_contents(conf, text, -1, NULL));
    g_subprocess_launcher_set_stdout_file_path(l, log);
    agent = g_subprocess_launcher_spawn(l, &err, agent_path, "--config",
                                        conf, NULL);
    g_assert_no_error(err);

    /* A domain that starts after the agent: protected at a rescan. */
    udp_link(&d);
    dom = start_domain(&d);
    deadline = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;
    do {
        g_clear_pointer(&said, g_free);
        g_usleep(200000);
        g_file_get_contents(log, &said, NULL, NULL);
    } while (!(said && strstr(said, "vm vg-agent-protected: filter ")) &&
             g_get_monotonic_time() < deadline);
    g_test_message("agent said:\n%s", said);
    g_assert_nonnull(strstr(said, "vm vg-agent-protected: filter "));
    g_assert_nonnull(strstr(said, "netdev hostnet0: filter-vigilante "
                                  "added"));
    wait_serial(serial, VGL_MARK_READY, 1, BOOT_TIMEOUT_MS);
    send_exploit(&d);
    assert_serving(&d);
    g_assert_cmpuint(deaths(serial), ==, 0);
    {
        const char *args[] = { "agent", sock, "vms", NULL };

        g_assert_cmpint(cli(args, &vms), ==, 0);
        g_assert_nonnull(strstr(vms, "\"name\":\"vg-agent-protected\""));
        g_assert_nonnull(strstr(vms, "\"state\":\"protected\""));
    }
    g_subprocess_send_signal(agent, SIGTERM);
    g_assert_true(g_subprocess_wait_check(agent, NULL, &err));
    g_assert_no_error(err);
    virDomainDestroy(dom);
    virDomainFree(dom);
}

static void quiet_errors(void *opaque, virErrorPtr e)
{
}

static char *skip_reason;

static void test_skipped(void)
{
    g_test_skip(skip_reason);
}

int main(int argc, char **argv)
{
    g_autofree char *reason = NULL;
    int rc;

    g_test_init(&argc, &argv, NULL);
    cli_path = g_strdup(vg_arg_value(argc, argv, "--cli="));
    exploit_path = g_strdup(vg_arg_value(argc, argv, "--exploit="));
    agent_path = g_strdup(vg_arg_value(argc, argv, "--agent="));
    g_assert_nonnull(cli_path);
    g_assert_nonnull(exploit_path);
    g_assert_nonnull(agent_path);
    session = vg_libvirt_session_start(&reason);
    if (!session) {
        skip_reason = g_steal_pointer(&reason);
        g_test_add_func("/libvirt/skipped", test_skipped);
        return g_test_run();
    }
    virSetErrorFunc(NULL, quiet_errors);
    g_assert_cmpint(virEventRegisterDefaultImpl(), ==, 0);
    conn = virConnectOpen(session->uri);
    g_assert_nonnull(conn);
    emulator = vg_libvirt_session_copy(session, vg_qemu_path());
    {
        g_autofree char *k = vg_linux_guest_file("vmlinuz");
        g_autofree char *i = vg_linux_guest_file("initramfs.cpio.gz");

        kernel = vg_libvirt_session_copy(session, k);
        initrd = vg_libvirt_session_copy(session, i);
    }
    g_test_add_func("/libvirt/honeypot", test_honeypot);
    g_test_add_func("/libvirt/protect", test_protect);
    g_test_add_func("/libvirt/watch", test_watch);
    g_test_add_func("/libvirt/agent", test_agent);
    rc = g_test_run();
    virConnectClose(conn);
    vg_libvirt_session_stop(session);
    return rc;
}
