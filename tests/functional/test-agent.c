/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigilante-agent on one machine: eight agents, each with its own port,
 * certificate and state directory, all with the tiny guest's profile and
 * a warm verifier.
 *
 *   chain      h1 -> ... -> h8.  The Figure-1 honeypot (vigilante
 *              honeypot --agent) detects the attack and submits its SCA
 *              to h1; it arrives verified at h8; the time from the alert
 *              to each hop's verdict is printed.  h5, the far end of a
 *              5-hop chain from the honeypot, protects a tiny-guest VM
 *              (taint off) through its QMP socket: it makes the filter,
 *              installs it (time from the alert printed), and the VM then
 *              drops the attack and variants of it and still serves.
 *   flood      a peer with a valid certificate sends 10,000 forged SCAs
 *              (the genuine one with the hint moved off the bytes that take
 *              control, each different):
 *              none is verified or forwarded, the peer is closed and
 *              banned, and an honest SCA submitted after them still
 *              reaches h8 within 10 s.
 *   outsiders  a client with a certificate from another CA, and one
 *              with none, do not get a link; one that never starts TLS
 *              is dropped after 10 s.
 *   garbage    a peer that sends bytes that are no frame is closed as
 *              malformed; the others' links stay up.
 *   have-flood a peer announces 5,120 digests it does not have: the
 *              agent asks for 1,024 at most, and keeps the link; it
 *              asks 2,048 times for one SCA: it gets it once.
 *   catch-up   h5 killed and its VM replaced by a fresh one (no
 *              filter); an SCA submitted; h5 restarted on its state
 *              directory (SQLite): it remembers the SCAs it had decided
 *              (none verified again), reinstalls its kept filter on the
 *              new VM, which drops the attack, and gets the new SCA from
 *              h4 (have/want), verifies it and passes it on to h8.
 *   mesh       eight other agents in a random connected mesh: an SCA
 *              submitted at one reaches all, and m1's VM gets the filter
 *              and resists (times from the submission printed).
 *
 * Arguments besides GTest's: --cli=PATH --agent=PATH.
 */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "agent-client.h"
#include "fig1-payload.h"
#include "frame.h"
#include "guest.h"
#include "host-util.h"
#include "layout.h"
#include "qmp-client.h"
#include "sca.h"

#define NAGENTS         8
#define WAIT_MS         30000
#define FORGED          10000

static const char *cli_path, *agent_path;
static char *work;              /* certificates, profile, states */
static char *profile;

typedef struct {
    char name[16];
    guint16 port;
    char *conf, *sock, *log;
    const char *vm_qmp;         /* the QMP socket of a VM it protects */
    GSubprocess *proc;
} AgentProc;

/* A protected VM: the tiny guest, taint off, a second QMP socket. */
typedef struct {
    VgGuest *g;
    guint16 port;
    char *qmp;
} ProtectedVm;

static ProtectedVm chain_vm;    /* h5's */
static ProtectedVm mesh_vm;     /* m1's */

static AgentProc agents[2 * NAGENTS];   /* chain h1-h8, mesh m1-m8 */

static void run(const char *const *argv)
{
    g_autofree char *out = NULL;
    g_autoptr(GError) err = NULL;

    if (!vg_run_program(argv, 60000, &out, &err)) {
        g_error("%s: %s %s", argv[0], err ? err->message : "", out);
    }
}

/* A CA (ca-NAME.crt) and a certificate NAME.crt from it. */
static void make_ca(const char *ca)
{
    g_autofree char *key = g_strdup_printf("%s/%s.key", work, ca);
    g_autofree char *crt = g_strdup_printf("%s/%s.crt", work, ca);
    const char *argv[] = {
        "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
        "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", crt,
        "-days", "30", "-subj", "/CN=vigilante test CA", NULL,
    };

    run(argv);
}

static void make_cert(const char *ca, const char *name)
{
    g_autofree char *cakey = g_strdup_printf("%s/%s.key", work, ca);
    g_autofree char *cacrt = g_strdup_printf("%s/%s.crt", work, ca);
    g_autofree char *key = g_strdup_printf("%s/%s.key", work, name);
    g_autofree char *csr = g_strdup_printf("%s/%s.csr", work, name);
    g_autofree char *crt = g_strdup_printf("%s/%s.crt", work, name);
    g_autofree char *subj = g_strdup_printf("/CN=%s", name);
    const char *req[] = {
        "openssl", "req", "-newkey", "ec", "-pkeyopt",
        "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr,
        "-subj", subj, NULL,
    };
    const char *sign[] = {
        "openssl", "x509", "-req", "-in", csr, "-CA", cacrt, "-CAkey", cakey,
        "-CAcreateserial", "-out", crt, "-days", "30", NULL,
    };

    run(req);
    run(sign);
}

/* The state of an SCA at an agent ("verified"...), or NULL. */
static char *sca_state(AgentProc *ag, const char *digest, gint64 *decided)
{
    g_autofree char *r = vg_agent_request(ag->sock, "scas", NULL);
    g_autoptr(JsonNode) root = r ? vg_json_parse(r, NULL) : NULL;
    JsonArray *arr;

    if (!root) {
        return NULL;
    }
    arr = json_object_get_array_member(json_node_get_object(root), "scas");
    for (guint i = 0; i < json_array_get_length(arr); i++) {
        JsonObject *o = json_array_get_object_element(arr, i);

        if (!strcmp(json_object_get_string_member(o, "digest"), digest)) {
            if (decided) {
                *decided = json_object_get_int_member(o, "decided-us");
            }
            return g_strdup(json_object_get_string_member(o, "state"));
        }
    }
    return NULL;
}

static bool wait_state(AgentProc *ag, const char *digest, const char *state,
                       guint ms, gint64 *decided)
{
    gint64 end = g_get_monotonic_time() + ms * 1000;

    do {
        g_autofree char *s = sca_state(ag, digest, decided);

        if (s && !strcmp(s, state)) {
            return true;
        }
        g_usleep(20000);
    } while (g_get_monotonic_time() < end);
    return false;
}

static bool wait_log(AgentProc *ag, const char *text, guint ms)
{
    gint64 end = g_get_monotonic_time() + ms * 1000;

    do {
        g_autofree char *log = NULL;

        if (g_file_get_contents(ag->log, &log, NULL, NULL) &&
            strstr(log, text)) {
            return true;
        }
        g_usleep(100000);
    } while (g_get_monotonic_time() < end);
    return false;
}

static guint64 counter(AgentProc *ag, const char *name)
{
    g_autofree char *r = vg_agent_request(ag->sock, "status", NULL);
    guint64 v = G_MAXUINT64;

    g_autofree char *key = g_strdup_printf("counters.%s", name);

    g_assert_nonnull(r);
    g_assert_true(vg_qmp_get_uint(r, key, &v));
    return v;
}

static int open_links(AgentProc *ag)
{
    g_autofree char *r = vg_agent_request(ag->sock, "peers", NULL);
    int n = 0;

    if (!r) {
        return -1;
    }
    for (const char *p = r; (p = strstr(p, "\"state\":\"open\"")); p++) {
        n++;
    }
    return n;
}

static void write_conf(AgentProc *ag, const int *peers, int npeers)
{
    g_autoptr(GString) s = g_string_new(NULL);

    g_string_append_printf(s, "[agent]\nname=%s\ncertificate=%s.crt\n"
                           "key=%s.key\nca=ca.crt\nlisten=127.0.0.1:%u\n"
                           "state-dir=state-%s\nqemu=%s\n", ag->name,
                           ag->name, ag->name, ag->port, ag->name,
                           vg_qemu_path());
    if (npeers) {
        g_string_append(s, "[peers]\nconnect=");
        for (int i = 0; i < npeers; i++) {
            g_string_append_printf(s, "127.0.0.1:%u;", agents[peers[i]].port);
        }
        g_string_append(s, "\n");
    }
    /* Fig-1 verifies in ~30 ms; a forged SCA holds a verifier this long. */
    g_string_append_printf(s, "[verify]\nprofiles=%s\ntimeout-ms=2000\n",
                           profile);
    if (ag->vm_qmp) {
        g_string_append_printf(s, "[vm tiny]\nqmp=%s\nprograms=tiny-fig1\n"
                               "netdevs=n0\n", ag->vm_qmp);
    }
    g_assert_true(g_file_set_contents(ag->conf, s->str, -1, NULL));
}

/* An agent must not outlive a test that failed half-way. */
static void die_with_parent(gpointer opaque)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
}

static void agent_start(AgentProc *ag, bool keep_state)
{
    g_autoptr(GSubprocessLauncher) l =
        g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDERR_MERGE);
    g_autoptr(GError) err = NULL;
    g_autofree char *state = g_strdup_printf("%s/state-%s", work, ag->name);

    if (!keep_state) {
        vg_dir_remove(state);
    }
    /* The child truncates it, maybe after the test has read it again. */
    g_unlink(ag->log);
    g_subprocess_launcher_set_stdout_file_path(l, ag->log);
    g_subprocess_launcher_set_child_setup(l, die_with_parent, NULL, NULL);
    ag->proc = g_subprocess_launcher_spawn(l, &err, agent_path, "--config",
                                           ag->conf, NULL);
    g_assert_no_error(err);
}

static void agent_stop(AgentProc *ag, int sig)
{
    if (ag->proc) {
        g_subprocess_send_signal(ag->proc, sig);
        g_subprocess_wait(ag->proc, NULL, NULL);
        g_clear_object(&ag->proc);
    }
}

/* Up: the verifier ready and `links` links open. */
static void wait_up(AgentProc *ag, int links)
{
    gint64 end = g_get_monotonic_time() + WAIT_MS * 1000ll;

    for (;;) {
        g_autofree char *r = vg_agent_request(ag->sock, "status", NULL);

        if (r && strstr(r, "\"state\":\"ready\"") && open_links(ag) >= links) {
            return;
        }
        if (g_get_monotonic_time() > end) {
            g_autofree char *log = NULL;

            g_file_get_contents(ag->log, &log, NULL, NULL);
            g_error("%s not up: %s\n%s", ag->name, r ? r : "no reply", log);
        }
        g_usleep(50000);
    }
}

static void agent_init(int i, const char *prefix, int n)
{
    AgentProc *ag = &agents[i];

    g_snprintf(ag->name, sizeof(ag->name), "%s%d", prefix, n);
    ag->port = vg_local_free_port(false);
    ag->conf = g_strdup_printf("%s/%s.conf", work, ag->name);
    ag->sock = g_strdup_printf("%s/state-%s/control.sock", work, ag->name);
    ag->log = g_strdup_printf("%s/%s.log", work, ag->name);
    make_cert("ca", ag->name);
}

/* The genuine SCA, with `time` set: another digest, still verifiable. */
static GBytes *variant(const Sca *genuine, guint64 time, int hint_shift)
{
    g_autoptr(GBytes) enc = sca_encode(genuine, NULL);
    g_autoptr(Sca) s = sca_decode(g_bytes_get_data(enc, NULL),
                                  g_bytes_get_size(enc), NULL);
    GBytes *enc2;

    s->time = time;
    s->hint_offset += hint_shift;
    enc2 = sca_encode(s, NULL);
    g_assert_nonnull(enc2);
    return enc2;
}

static char *digest_of(GBytes *enc)
{
    return g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, enc);
}

static Sca *genuine;
static char *chain_digest;      /* the honeypot's SCA */
static int silent_fd = -1;      /* a TCP client that never starts TLS */

static void vm_start(ProtectedVm *pv)
{
    g_autofree char *elf = vg_build_file("tests/guests/tiny/tiny-guest.elf");
    g_autofree char *netdev = NULL, *qmp = NULL;
    guint8 req[64];
    char reply[64];
    size_t len;

    pv->port = vg_free_port(TRUE);
    netdev = g_strdup_printf("user,id=n0,hostfwd=udp:127.0.0.1:%u-"
                             TINY_IP_ADDR ":%u", pv->port,
                             TINY_UDP_FIG1_PORT);
    qmp = g_strdup_printf("unix:%s,server=on,wait=off", pv->qmp);
    {
        const char *args[] = {
            "-accel", "tcg", "-m", "32", "-kernel", elf, "-netdev", netdev,
            "-device", "e1000,netdev=n0,romfile=", "-qmp", qmp, NULL,
        };

        pv->g = vg_guest_start(args, TINY_MARK_READY, 30000);
    }
    len = fig1_build_benign(req, sizeof(req), "hello");
    g_assert_cmpint(vg_udp_exchange_retry(pv->port, req, len, reply,
                                          sizeof(reply), 200, 5000), >, 0);
}

/*
 * The protected VM against the attack and variants of it (other return
 * targets and filler): none lands, each is dropped by a filter; benign
 * requests are still answered.
 */
static void vm_resists(ProtectedVm *pv)
{
    static const struct {
        uint32_t delta;
        guint8 filler;
    } variants[] = { { 0, 0 }, { 4, 0x41 }, { 12, 0xfe }, { 40, 0x90 } };
    g_autofree char *q = NULL;
    guint64 hits = 0;

    for (gsize i = 0; i < G_N_ELEMENTS(variants); i++) {
        guint8 req[FIG1_ATTACK_LEN];
        size_t len = fig1_build_attack(req, fig1_default_target() +
                                       variants[i].delta);
        g_autofree char *ev = NULL;

        if (variants[i].filler) {
            memset(req + TINY_FIG1_BUF_SIZE, variants[i].filler, 4);
        }
        g_assert_cmpint(vg_udp_exchange(pv->port, req, len, NULL, 0, 0),
                        ==, 0);
        if (i == 0) {
            /* Later drop events may be throttled: the hits count them. */
            ev = vg_qmp_wait_event(pv->g->qmp,
                                   "VIGILANTE_FILTER_DROP", 5000);
            if (!ev) {
                q = vg_qmp_command(pv->g->qmp, "{\"execute\": "
                                   "\"query-vigilante-filters\"}", 5000);
                g_test_message("not dropped; the VM's filters: %s", q);
            }
            g_assert_nonnull(ev);
        }
    }
    g_assert_false(vg_vm_wait_serial(pv->g->vm, TINY_MARK_PWNED, 1000));
    q = vg_qmp_command(pv->g->qmp,
                       "{\"execute\": \"query-vigilante-filters\"}", 5000);
    g_assert_true(vg_qmp_get_uint(q, "return.filters.0.hits", &hits));
    g_assert_cmpuint(hits, ==, G_N_ELEMENTS(variants));
    for (int i = 0; i < 100; i++) {
        g_autofree char *text = g_strdup_printf("request %d", i);
        guint8 req[64];
        char reply[64];
        size_t len = fig1_build_benign(req, sizeof(req), text);

        g_assert_cmpint(vg_udp_exchange_retry(pv->port, req, len, reply,
                                              sizeof(reply), 200, 5000), >, 0);
    }
}

/* Wait for an SCA's filter to be installed on the agent's VM. */
static gint64 wait_protected(AgentProc *ag, const char *digest, guint ms)
{
    gint64 end = g_get_monotonic_time() + ms * 1000ll;

    do {
        g_autofree char *r = vg_agent_request(ag->sock, "scas", NULL);
        g_autoptr(JsonNode) root = r ? vg_json_parse(r, NULL) : NULL;
        JsonArray *arr = root ? json_object_get_array_member(
            json_node_get_object(root), "scas") : NULL;

        for (guint i = 0; arr && i < json_array_get_length(arr); i++) {
            JsonObject *o = json_array_get_object_element(arr, i);

            if (!strcmp(json_object_get_string_member(o, "digest"), digest) &&
                json_object_get_int_member(o, "protected-us")) {
                return json_object_get_int_member(o, "protected-us");
            }
        }
        g_usleep(50000);
    } while (g_get_monotonic_time() < end);
    return 0;
}

static void setup_once(void)
{
    g_autofree char *elf = vg_build_file("tests/guests/tiny/tiny-guest.elf");
    g_autofree char *text = NULL;
    const char *snap[] = { cli_path, "snapshot", NULL, "--qemu",
                           vg_qemu_path(), NULL };

    work = g_dir_make_tmp("vg-agent-test-XXXXXX", NULL);
    profile = g_build_filename(work, "tiny.profile", NULL);
    text = g_strdup_printf(
        "[program]\nname=tiny-fig1\n[vm]\nkernel=%s\nmemory=32\nnic=e1000\n"
        "taint-kernel=all\n[service]\nports=udp:4444;udp:7;udp:4446\n"
        "ready-marker=VG-READY\n[snapshot]\npath=%s/snapshot\n", elf, work);
    g_assert_true(g_file_set_contents(profile, text, -1, NULL));
    snap[2] = profile;
    run(snap);
    make_ca("ca");
    make_ca("other-ca");
    make_cert("other-ca", "outsider");
    make_cert("ca", "rogue");
    make_cert("ca", "babbler");
    chain_vm.qmp = g_build_filename(work, "chain-vm.qmp", NULL);
    vm_start(&chain_vm);
    for (int i = 0; i < NAGENTS; i++) {
        agent_init(i, "h", i + 1);
    }
    agents[4].vm_qmp = chain_vm.qmp;
    for (int i = 0; i < NAGENTS; i++) {
        int next = i + 1;

        write_conf(&agents[i], &next, i + 1 < NAGENTS ? 1 : 0);
        agent_start(&agents[i], false);
    }
    for (int i = 0; i < NAGENTS; i++) {
        wait_up(&agents[i], (i > 0) + (i + 1 < NAGENTS));
    }
}

/* The honeypot, its attack, its SCA through h1 to h8. */
static void test_chain(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GSubprocess) proc = NULL;
    g_autoptr(GDataInputStream) in = NULL;
    g_autofree char *alerts = g_build_filename(work, "alerts", NULL);
    g_autofree char *ready = NULL, *a1 = NULL, *sub = NULL, *digest = NULL;
    g_autofree char *data = NULL;
    guint8 req[FIG1_ATTACK_LEN];
    gint64 alert_us, decided;
    const char *p;
    guint64 port;
    gsize len;

    g_mkdir(alerts, 0700);
    proc = g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE, &err, cli_path,
                            "honeypot", profile, "--alert-dir", alerts,
                            "--max-alerts", "1", "--timeout", "120",
                            "--no-minimise", "--agent", agents[0].sock,
                            "--qemu", vg_qemu_path(), NULL);
    g_assert_no_error(err);
    in = g_data_input_stream_new(g_subprocess_get_stdout_pipe(proc));
    ready = vg_next_output_line(in, "honeypot");
    g_assert_nonnull(ready);
    p = strstr(ready, "udp 4444 -> 127.0.0.1:");
    g_assert_nonnull(p);
    port = g_ascii_strtoull(strchr(p, ':') + 1, NULL, 10);
    len = fig1_build_attack(req, fig1_default_target());
    g_assert_cmpint(vg_udp_exchange(port, req, len, NULL, 0, 0), ==, 0);
    a1 = vg_next_output_line(in, "honeypot");
    alert_us = g_get_real_time();
    g_assert_nonnull(a1);
    g_test_message("%s", a1);
    g_assert_true(g_str_has_prefix(a1, "alert 1: aec"));
    sub = vg_next_output_line(in, "honeypot");
    g_assert_nonnull(sub);
    g_test_message("%s", sub);
    g_assert_true(g_str_has_prefix(sub, "alert 1: submitted to the agent: "));
    digest = vg_qmp_get_string(strchr(sub, '{'), "digest");
    chain_digest = g_strdup(digest);
    g_assert_nonnull(digest);
    g_assert_true(g_subprocess_wait_check(proc, NULL, &err));

    g_assert_true(g_file_get_contents(strstr(a1, "SCA ") + 4, &data, &len,
                                      NULL));
    genuine = sca_decode((const uint8_t *)data, len, &err);
    g_assert_no_error(err);

    for (int i = 0; i < NAGENTS; i++) {
        g_assert_true(wait_state(&agents[i], digest, "verified", WAIT_MS,
                                 &decided));
        g_test_message("hop %d (%s): verified %.0f ms after the alert", i,
                       agents[i].name, (decided - alert_us) / 1000.0);
    }
    /* Each forwarded it once, the last to no one. */
    g_assert_cmpuint(counter(&agents[NAGENTS - 1], "duplicates"), ==, 0);

    /* h5 made the filter and installed it on its VM, which resists. */
    decided = wait_protected(&agents[4], digest, 120000);
    g_assert_cmpint(decided, >, 0);
    g_test_message("h5 (5 hops from the honeypot): filter installed on its "
                   "VM %.0f ms after the alert", (decided - alert_us) / 1000.0);
    g_assert_cmpuint(counter(&agents[4], "filters"), ==, 1);
    g_assert_cmpuint(counter(&agents[3], "filters"), ==, 0);
    vm_resists(&chain_vm);
}

/* A TLS client: NULL when the handshake fails. */
static SSL *tls_connect(guint16 port, const char *name, int *fd_out)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    g_autofree char *ca = g_build_filename(work, "ca.crt", NULL);
    SSL *ssl;
    int fd = vg_tcp_connect(port, 5000);
    struct timeval tv = { .tv_sec = 5 };

    g_assert_cmpint(fd, >=, 0);
    /* Never hang on an agent that stopped reading or answering. */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    SSL_CTX_load_verify_locations(ctx, ca, NULL);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    if (name) {
        g_autofree char *crt = g_strdup_printf("%s/%s.crt", work, name);
        g_autofree char *key = g_strdup_printf("%s/%s.key", work, name);

        g_assert_cmpint(SSL_CTX_use_certificate_file(ctx, crt,
                                                     SSL_FILETYPE_PEM), ==, 1);
        g_assert_cmpint(SSL_CTX_use_PrivateKey_file(ctx, key,
                                                    SSL_FILETYPE_PEM), ==, 1);
    }
    ssl = SSL_new(ctx);
    SSL_CTX_free(ctx);
    SSL_set_fd(ssl, fd);
    /* TLS 1.3: a refused client certificate shows at the first read. */
    if (SSL_connect(ssl) != 1) {
        goto refused;
    }
    {
        g_autoptr(GBytes) hello = vga_frame_hello(name ? name : "anon");
        char buf[64];
        int r;

        SSL_write(ssl, g_bytes_get_data(hello, NULL),
                  g_bytes_get_size(hello));
        r = SSL_read(ssl, buf, sizeof(buf));
        if (r <= 0) {
            goto refused;
        }
    }
    *fd_out = fd;
    return ssl;

refused:
    ERR_clear_error();
    SSL_free(ssl);
    close(fd);
    return NULL;
}

static void test_flood(void)
{
    int fd, sent = 0;
    SSL *ssl;
    g_autoptr(GBytes) honest = NULL;
    g_autofree char *digest = NULL;
    guint64 verified0 = counter(&agents[0], "verified");
    guint64 seen1 = counter(&agents[1], "seen");
    gint64 t0, decided;

    g_assert_nonnull(genuine);
    ssl = tls_connect(agents[0].port, "rogue", &fd);
    g_assert_nonnull(ssl);
    for (int i = 0; i < FORGED; i++) {
        g_autoptr(GBytes) forged = variant(genuine, 1000 + i, -1 - i % 7);
        g_autoptr(GBytes) f = vga_frame_sca(forged);

        if (SSL_write(ssl, g_bytes_get_data(f, NULL),
                      g_bytes_get_size(f)) <= 0) {
            break;
        }
        sent++;
    }
    g_test_message("forged SCAs written before the link went: %d", sent);
    t0 = g_get_monotonic_time();
    honest = variant(genuine, 42, 0);
    digest = digest_of(honest);
    g_free(vg_agent_submit(agents[0].sock, honest, NULL));
    g_assert_true(wait_state(&agents[NAGENTS - 1], digest, "verified", 10000,
                             &decided));
    g_test_message("honest SCA at h8 %.0f ms after it was submitted",
                   (g_get_monotonic_time() - t0) / 1000.0);
    /* The flooder is closed and banned; nothing forged went further. */
    g_assert_true(wait_log(&agents[0], "closed: penalised", WAIT_MS));
    g_test_message("h1: %" G_GUINT64_FORMAT " forged SCAs refused after a "
                   "replay, %" G_GUINT64_FORMAT " dropped by the rate limit",
                   counter(&agents[0], "refused"),
                   counter(&agents[0], "rate-limited"));
    g_assert_cmpuint(counter(&agents[0], "verified"), ==, verified0 + 1);
    g_assert_cmpuint(counter(&agents[1], "seen"), ==, seen1 + 1);
    g_assert_cmpuint(counter(&agents[0], "refused"), >=, 3);
    g_assert_cmpuint(counter(&agents[0], "refused"), <=, 3 + 20);
    SSL_free(ssl);
    close(fd);
    /* Banned: a new link from the same key is not kept. */
    ssl = tls_connect(agents[0].port, "rogue", &fd);
    g_assert_null(ssl);
}

static void test_outsiders(void)
{
    int fd;
    g_autofree char *log = NULL;

    g_assert_null(tls_connect(agents[1].port, "outsider", &fd));
    g_assert_null(tls_connect(agents[1].port, NULL, &fd));
    g_assert_true(g_file_get_contents(agents[1].log, &log, NULL, NULL));
    g_assert_nonnull(strstr(log, "refused: TLS handshake"));
    g_assert_cmpint(open_links(&agents[1]), ==, 2);
    /* One that never starts TLS: dropped later (checked in catch-up). */
    silent_fd = vg_tcp_connect(agents[3].port, 5000);
    g_assert_cmpint(silent_fd, >=, 0);
}

static void test_garbage(void)
{
    int fd;
    SSL *ssl = tls_connect(agents[2].port, "babbler", &fd);
    static const char junk[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    char buf[512];
    int r, total = 0;
    g_autoptr(VgaDecoder) d = vga_decoder_new();
    VgaFrame f;
    bool closed = false;

    g_assert_nonnull(ssl);
    SSL_write(ssl, junk, sizeof(junk) - 1);
    /* Its hello, then a close frame that says why. */
    while ((r = SSL_read(ssl, buf, sizeof(buf))) > 0) {
        total += r;
        vga_decoder_feed(d, buf, r);
        while (vga_decoder_next(d, &f, NULL) == 1) {
            if (f.type == VGA_FRAME_CLOSE) {
                g_test_message("close: %s: %s",
                               vga_close_reason_name(f.reason),
                               f.reason_text);
                g_assert_cmpint(f.reason, ==, VGA_CLOSE_MALFORMED);
                g_assert_nonnull(strstr(f.reason_text, "bad magic"));
                closed = true;
            }
            vga_frame_clear(&f);
        }
    }
    g_assert_true(closed);
    SSL_free(ssl);
    close(fd);
    g_assert_cmpint(open_links(&agents[2]), ==, 2);
}

/*
 * A peer that announces more than it has: five have frames of 1,024
 * random digests.  The agent asks for 1,024 at most (one frame's worth
 * outstanding per link) and says so; the link stays up.
 */
static void test_have_flood(void)
{
    int fd;
    SSL *ssl = tls_connect(agents[2].port, "babbler", &fd);
    g_autoptr(VgaDecoder) d = vga_decoder_new();
    g_autofree uint8_t *digests = g_malloc(VGA_MAX_DIGESTS * 32);
    g_autofree char *peers = NULL;
    unsigned wanted = 0;
    guint64 max_wanted = 0;
    char buf[16384];
    int r;

    g_assert_nonnull(ssl);
    for (int f = 0; f < 5; f++) {
        g_autoptr(GBytes) have = NULL;

        for (int i = 0; i < VGA_MAX_DIGESTS * 32; i++) {
            digests[i] = g_random_int_range(0, 256);
        }
        have = vga_frame_digests(VGA_FRAME_HAVE, digests, VGA_MAX_DIGESTS);
        g_assert_cmpint(SSL_write(ssl, g_bytes_get_data(have, NULL),
                                  g_bytes_get_size(have)), >, 0);
    }
    /* Its wants, until 1,024 have come (or the read times out). */
    while (wanted < VGA_MAX_DIGESTS &&
           (r = SSL_read(ssl, buf, sizeof(buf))) > 0) {
        VgaFrame f;

        vga_decoder_feed(d, buf, r);
        while (vga_decoder_next(d, &f, NULL) == 1) {
            if (f.type == VGA_FRAME_WANT) {
                wanted += f.ndigests;
            }
            vga_frame_clear(&f);
        }
    }
    g_assert_cmpuint(wanted, ==, VGA_MAX_DIGESTS);
    g_assert_true(wait_log(&agents[2], "digest(s) not asked for", WAIT_MS));
    peers = vg_agent_request(agents[2].sock, "peers", NULL);
    g_assert_nonnull(peers);
    for (const char *p = peers; (p = strstr(p, "\"wanted\":")); p++) {
        max_wanted = MAX(max_wanted, g_ascii_strtoull(p + 9, NULL, 10));
    }
    g_test_message("asked for %u of the 5,120 announced; %" G_GUINT64_FORMAT
                   " wants outstanding on the link", wanted, max_wanted);
    g_assert_cmpuint(max_wanted, ==, VGA_MAX_DIGESTS);
    g_assert_cmpint(open_links(&agents[2]), ==, 3);

    /* Asked for the same SCA 2,048 times: it comes once. */
    {
        struct timeval tv = { .tv_sec = 1 };
        unsigned scas = 0;

        for (int i = 0; i < VGA_MAX_DIGESTS; i++) {
            for (int k = 0; k < 32; k++) {
                digests[32 * i + k] = g_ascii_xdigit_value(
                    chain_digest[2 * k]) << 4 |
                    g_ascii_xdigit_value(chain_digest[2 * k + 1]);
            }
        }
        for (int f = 0; f < 2; f++) {
            g_autoptr(GBytes) want = vga_frame_digests(
                VGA_FRAME_WANT, digests, VGA_MAX_DIGESTS);

            g_assert_cmpint(SSL_write(ssl, g_bytes_get_data(want, NULL),
                                      g_bytes_get_size(want)), >, 0);
        }
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        while ((r = SSL_read(ssl, buf, sizeof(buf))) > 0) {
            VgaFrame f;

            vga_decoder_feed(d, buf, r);
            while (vga_decoder_next(d, &f, NULL) == 1) {
                scas += f.type == VGA_FRAME_SCA;
                vga_frame_clear(&f);
            }
        }
        g_test_message("2,048 wants of one SCA: %u sent", scas);
        g_assert_cmpuint(scas, ==, 1);
    }
    SSL_free(ssl);
    close(fd);
}

static void test_catch_up(void)
{
    AgentProc *h5 = &agents[4];
    g_autoptr(GBytes) sca = variant(genuine, 4242, 0);
    g_autofree char *digest = digest_of(sca);
    g_autofree char *log = NULL;

    agent_stop(h5, SIGKILL);
    /* Its VM restarted meanwhile: a new emulator, no filter. */
    vg_guest_stop(chain_vm.g);
    vm_start(&chain_vm);
    g_free(vg_agent_submit(agents[0].sock, sca, NULL));
    g_assert_true(wait_state(&agents[3], digest, "verified", WAIT_MS, NULL));
    g_usleep(500000);
    g_assert_false(wait_state(&agents[5], digest, "verified", 100, NULL));
    agent_start(h5, true);
    g_assert_true(wait_log(h5, "installed", WAIT_MS));
    vm_resists(&chain_vm);
    g_assert_true(wait_state(h5, digest, "verified", WAIT_MS, NULL));
    g_assert_true(wait_state(&agents[NAGENTS - 1], digest, "verified",
                             WAIT_MS, NULL));
    g_assert_true(g_file_get_contents(h5->log, &log, NULL, NULL));
    g_assert_nonnull(strstr(log, "catching up"));
    /* The silent TCP client of test_outsiders got no link. */
    g_assert_true(wait_log(&agents[3], "no TLS handshake in 10 s", WAIT_MS));
    close(silent_fd);
    g_assert_nonnull(strstr(log, "reloaded"));
    /* It remembers what it had verified: nothing of it verified again. */
    g_assert_nonnull(strstr(log, "SCA(s) remembered, 0 to verify again"));
}

/* Hops from `from` to each node of the mesh (its links, symmetric). */
static void mesh_hops(bool adj[NAGENTS][NAGENTS], int from, int *hops)
{
    int queue[NAGENTS], head = 0, tail = 0;

    for (int i = 0; i < NAGENTS; i++) {
        hops[i] = -1;
    }
    hops[from] = 0;
    queue[tail++] = from;
    while (head < tail) {
        int u = queue[head++];

        for (int v = 0; v < NAGENTS; v++) {
            if (adj[u][v] && hops[v] < 0) {
                hops[v] = hops[u] + 1;
                queue[tail++] = v;
            }
        }
    }
}

/*
 * A random mesh of eight (each links to up to two earlier ones: connected,
 * seeded).  An SCA submitted at m6 is verified at all; m1 protects a VM
 * of its own, which gets the filter and resists.  Times are from the
 * submission.
 */
static void test_mesh(void)
{
    GRand *rng = g_rand_new_with_seed(5);
    g_autoptr(GBytes) sca = variant(genuine, 777, 0);
    g_autofree char *digest = digest_of(sca);
    int links[NAGENTS] = { 0 }, hops[NAGENTS];
    bool adj[NAGENTS][NAGENTS] = { { false } };
    const int source = 5;
    gint64 t0, protected;

    mesh_vm.qmp = g_build_filename(work, "mesh-vm.qmp", NULL);
    vm_start(&mesh_vm);
    for (int i = 0; i < NAGENTS; i++) {
        agent_init(NAGENTS + i, "m", i + 1);
    }
    agents[NAGENTS].vm_qmp = mesh_vm.qmp;
    for (int i = 0; i < NAGENTS; i++) {
        int peers[2], n = 0;

        if (i > 0) {
            peers[n++] = NAGENTS + g_rand_int_range(rng, 0, i);
        }
        if (i > 1) {
            int q = NAGENTS + g_rand_int_range(rng, 0, i);

            if (q != peers[0]) {
                peers[n++] = q;
            }
        }
        for (int k = 0; k < n; k++) {
            links[i]++;
            links[peers[k] - NAGENTS]++;
            adj[i][peers[k] - NAGENTS] = adj[peers[k] - NAGENTS][i] = true;
        }
        write_conf(&agents[NAGENTS + i], peers, n);
        agent_start(&agents[NAGENTS + i], false);
    }
    mesh_hops(adj, source, hops);
    for (int i = 0; i < NAGENTS; i++) {
        wait_up(&agents[NAGENTS + i], links[i]);
    }
    t0 = g_get_real_time();
    g_free(vg_agent_submit(agents[NAGENTS + source].sock, sca, NULL));
    for (int i = 0; i < NAGENTS; i++) {
        gint64 decided;

        g_assert_true(wait_state(&agents[NAGENTS + i], digest, "verified",
                                 WAIT_MS, &decided));
        g_test_message("%s: %d link(s), %d hop(s) from m%d: verified %.0f ms "
                       "after the submission", agents[NAGENTS + i].name,
                       links[i], hops[i], source + 1, (decided - t0) / 1000.0);
    }
    protected = wait_protected(&agents[NAGENTS], digest, 120000);
    g_assert_cmpint(protected, >, 0);
    g_test_message("m1 (%d hop(s) from m%d): filter installed on its VM "
                   "%.0f ms after the submission", hops[0], source + 1,
                   (protected - t0) / 1000.0);
    vm_resists(&mesh_vm);
    g_rand_free(rng);
}

int main(int argc, char **argv)
{
    int status;

    for (int i = 1; i < argc; i++) {
        if (g_str_has_prefix(argv[i], "--cli=")) {
            cli_path = argv[i] + 6;
        } else if (g_str_has_prefix(argv[i], "--agent=")) {
            agent_path = argv[i] + 8;
        }
    }
    g_test_init(&argc, &argv, NULL);
    g_assert_nonnull(cli_path);
    g_assert_nonnull(agent_path);
    signal(SIGPIPE, SIG_IGN);
    setup_once();
    g_test_add_func("/agent/chain", test_chain);
    g_test_add_func("/agent/flood", test_flood);
    g_test_add_func("/agent/outsiders", test_outsiders);
    g_test_add_func("/agent/garbage", test_garbage);
    g_test_add_func("/agent/have-flood", test_have_flood);
    g_test_add_func("/agent/catch-up", test_catch_up);
    g_test_add_func("/agent/mesh", test_mesh);
    status = g_test_run();
    for (int i = 0; i < 2 * NAGENTS; i++) {
        agent_stop(&agents[i], SIGTERM);
    }
    vg_guest_stop(chain_vm.g);
    vg_guest_stop(mesh_vm.g);
    if (!status) {
        vg_dir_remove(work);
    }
    return status;
}
