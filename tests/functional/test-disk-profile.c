/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Disk-image profiles ([vm] disk=, docs/profiles.md) on the stock Debian
 * guest (scripts/build-debian-image.sh, in build/guests/debian): its
 * qcow2 booted under a throwaway overlay, ready when nginx answers
 * (ready-port=tcp:80), its ready snapshot made with the disk as the
 * snapshot left it, the operator's image unchanged, and a VM restored
 * from the snapshot serving nginx's files from that disk.  Prints how
 * long the snapshot and the restore took.  Also: profiles that get the
 * disk keys wrong are refused.
 *
 * Then the image as a honeypot (`vigilante honeypot`, taint on): real
 * clients (curl, dig, ssh, redis-benchmark) raise no alert; the exploit
 * of the vg-udpd the image carries (--add-service) is trapped, and its
 * SCA verifies against the image's snapshot (`vigilante verify`).  The
 * boot time under taint is printed.  Arguments: --cli=, --exploit=.
 *
 * Skipped when the image has not been built (`make check` builds it).
 */
#include <gio/gio.h>
#include <gio/gunixinputstream.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "guest.h"
#include "host-util.h"
#include "profile.h"
#include "snapshot.h"

#define BIG_SIZE (16 << 20)     /* nginx's /big.bin in the image */

static char *image_dir;
static char *cli_path, *exploit_path;
static char *snap_dir;          /* the profile whose snapshot was made */

static char *image_file(const char *name)
{
    return g_build_filename(image_dir, name, NULL);
}

static char *sha256_file(const char *path)
{
    g_autoptr(GMappedFile) m = g_mapped_file_new(path, FALSE, NULL);

    g_assert_nonnull(m);
    return g_compute_checksum_for_data(G_CHECKSUM_SHA256,
        (const guchar *)g_mapped_file_get_contents(m),
        g_mapped_file_get_length(m));
}

/* Write a profile for the Debian image into @dir; returns its path. */
static char *write_profile(const char *dir, const char *vm_extra,
                           const char *service_extra)
{
    g_autofree char *cmdline = NULL, *kernel = image_file("vmlinuz");
    g_autofree char *initrd = image_file("initrd.img");
    g_autofree char *disk = image_file("disk.qcow2");
    g_autofree char *cmdline_path = image_file("cmdline");
    g_autofree char *text = NULL;
    char *path = g_build_filename(dir, "debian.profile", NULL);

    g_assert_true(g_file_get_contents(cmdline_path, &cmdline, NULL, NULL));
    text = g_strdup_printf(
        "[program]\nname=vg-debian\n"
        "[vm]\nkernel=%s\ninitrd=%s\nappend=%s\ndisk=%s\nmemory=1024\n"
        "nic=virtio-net-pci\n%s"
        "[service]\nports=tcp:80;tcp:22;udp:53;tcp:6379;udp:5001\n"
        "exec-services=tcp:22\nready-timeout=600\n%s"
        "[snapshot]\npath=%s/snap\n",
        kernel, initrd, g_strstrip(cmdline), disk, vm_extra, service_extra,
        dir);
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    return path;
}

/* GET @what over the forward; the response's bytes (status and body). */
static GByteArray *http_get(unsigned port, const char *what)
{
    g_autoptr(GSocketClient) client = g_socket_client_new();
    g_autoptr(GSocketConnection) c = NULL;
    g_autofree char *req = g_strdup_printf("GET %s HTTP/1.0\r\n\r\n", what);
    GByteArray *resp = g_byte_array_new();
    GInputStream *in;
    GOutputStream *out;
    g_autoptr(GError) err = NULL;
    guint8 buf[65536];
    gssize n;

    g_socket_client_set_timeout(client, 60);
    c = g_socket_client_connect_to_host(client, "127.0.0.1", port, NULL,
                                        &err);
    g_assert_no_error(err);
    out = g_io_stream_get_output_stream(G_IO_STREAM(c));
    in = g_io_stream_get_input_stream(G_IO_STREAM(c));
    g_assert_true(g_output_stream_write_all(out, req, strlen(req), NULL,
                                            NULL, &err));
    while ((n = g_input_stream_read(in, buf, sizeof(buf), NULL, &err)) > 0) {
        g_byte_array_append(resp, buf, n);
    }
    g_assert_no_error(err);
    return resp;
}

static void test_snapshot_and_restore(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *dir = g_dir_make_tmp("vg-disk-XXXXXX", &err);
    g_autofree char *path = NULL, *before = NULL, *after = NULL;
    g_autofree char *disk = image_file("disk.qcow2");
    g_autofree char *snap_disk = NULL;
    g_autofree char *qemu = g_strdup(vg_qemu_path());
    g_autoptr(VgProfile) p = NULL;
    g_autoptr(VgProfileVm) vm = NULL;
    g_autoptr(GByteArray) index = NULL, big = NULL;
    double secs = 0;
    gint64 t0;
    unsigned http;

    g_assert_no_error(err);
    path = write_profile(dir, "", "ready-port=tcp:80\n");
    p = vg_profile_load(path, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(p->disk_format, ==, "qcow2");
    g_assert_null(p->ready_marker);
    g_assert_cmpuint(p->ready_port, ==, 80);
    before = sha256_file(disk);

    g_assert_true(vg_snapshot_make(p, qemu, &secs, &err));
    g_assert_no_error(err);
    g_test_message("snapshot made in %.1f s (boot to nginx answering, "
                   "then saved)", secs);
    g_assert_true(vg_snapshot_check(p, &err));
    g_assert_no_error(err);
    snap_disk = g_strdup_printf("%s.disk.qcow2", p->snapshot);
    g_assert_true(g_file_test(snap_disk, G_FILE_TEST_IS_REGULAR));
    after = sha256_file(disk);
    g_assert_cmpstr(before, ==, after);

    /* Restored and running: nginx serves from the snapshot's disk. */
    t0 = g_get_monotonic_time();
    vm = vg_snapshot_vm_spawn(p, qemu, &err);
    g_assert_no_error(err);
    g_assert_true(vg_snapshot_vm_restored(vm, p, &err));
    g_assert_no_error(err);
    g_test_message("restored (paused) in %.2f s",
                   (g_get_monotonic_time() - t0) / 1e6);
    g_assert_true(vg_profile_vm_run(vm, "cont", NULL, &err));
    g_assert_no_error(err);
    http = g_array_index(vm->host_ports, unsigned, 0);
    index = http_get(http, "/");
    g_test_message("restore to first answer: %.2f s",
                   (g_get_monotonic_time() - t0) / 1e6);
    g_assert_cmpuint(index->len, >, 12);
    g_assert_true(!memcmp(index->data, "HTTP/1.1 200", 12));
    big = http_get(http, "/big.bin");
    g_assert_true(!memcmp(big->data, "HTTP/1.1 200", 12));
    g_assert_cmpuint(big->len, >, BIG_SIZE);
    g_clear_pointer(&vm, vg_profile_vm_free);

    /* Restoring changed neither the image nor the snapshot's disk. */
    g_free(after);
    after = sha256_file(disk);
    g_assert_cmpstr(before, ==, after);
    snap_dir = g_steal_pointer(&dir);
}

/* Run a client to completion; its stdout, or NULL when it failed. */
static char *client(const char *const *argv)
{
    g_autofree char *out = NULL, *errs = NULL;
    g_autoptr(GError) err = NULL;
    int status;

    g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                 &out, &errs, &status, &err);
    g_assert_no_error(err);
    g_test_message("%s: %.200s%s", argv[0], out, errs);
    return g_spawn_check_wait_status(status, NULL) ? g_steal_pointer(&out)
                                                   : NULL;
}

/* Read the honeypot's output until it holds @needle, or @timeout_s. */
static bool wait_output(int fd, GString *buf, const char *needle,
                        unsigned timeout_s)
{
    gint64 deadline = g_get_monotonic_time() + timeout_s * G_USEC_PER_SEC;

    while (!strstr(buf->str, needle)) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        char chunk[1024];
        gssize r;

        if (g_get_monotonic_time() > deadline) {
            return false;
        }
        if (poll(&p, 1, 100) <= 0) {
            continue;
        }
        r = read(fd, chunk, sizeof(chunk));
        if (r <= 0) {
            return strstr(buf->str, needle) != NULL;
        }
        g_string_append_len(buf, chunk, r);
    }
    return true;
}

/* The host port the honeypot forwards to guest port "PROTO PORT". */
static char *forward(const char *said, const char *guest)
{
    g_autofree char *key = g_strdup_printf("%s -> 127.0.0.1:", guest);
    const char *at = strstr(said, key);

    g_assert_nonnull(at);
    return g_strndup(at + strlen(key), strspn(at + strlen(key),
                                              "0123456789"));
}

static void test_honeypot(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *profile = NULL, *alerts = NULL, *key = NULL;
    g_autofree char *http = NULL, *ssh = NULL, *dns = NULL, *redis = NULL;
    g_autofree char *udp = NULL, *url = NULL, *sca = NULL, *out = NULL;
    g_autoptr(GString) said = g_string_new(NULL);
    g_autoptr(GSubprocess) hp = NULL;
    int fd;

    if (!snap_dir) {
        g_test_skip("the snapshot test did not run");
        return;
    }
    profile = g_build_filename(snap_dir, "debian.profile", NULL);
    alerts = g_build_filename(snap_dir, "alerts", NULL);
    key = image_file("id_ed25519");
    g_assert_cmpint(g_mkdir(alerts, 0755), ==, 0);
    hp = g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE, &err, cli_path,
                          "honeypot", profile, "--alert-dir", alerts,
                          "--no-minimise", "--max-alerts", "1",
                          "--timeout", "600", NULL);
    g_assert_no_error(err);
    fd = g_unix_input_stream_get_fd(
        G_UNIX_INPUT_STREAM(g_subprocess_get_stdout_pipe(hp)));
    g_assert_true(wait_output(fd, said, " ready in ", 600));
    g_assert_true(wait_output(fd, said, "\n", 5));
    g_test_message("%s", said->str);
    http = forward(said->str, "tcp 80");
    ssh = forward(said->str, "tcp 22");
    dns = forward(said->str, "udp 53");
    redis = forward(said->str, "tcp 6379");
    udp = forward(said->str, "udp 5001");

    /* Real clients: answered, and no alert. */
    url = g_strdup_printf("http://127.0.0.1:%s/", http);
    {
        const char *curl[] = { "curl", "-s", "-o", "/dev/null", "-w",
                               "%{http_code}", "--max-time", "30", url,
                               NULL };
        const char *dig[] = { "dig", "+short", "+time=5", "+tries=3", "-p",
                              dns, "@127.0.0.1", "vg.test", "A", NULL };
        const char *sshc[] = { "ssh", "-i", key, "-p", ssh,
                               "-o", "StrictHostKeyChecking=no",
                               "-o", "UserKnownHostsFile=/dev/null",
                               "-o", "BatchMode=yes", "-o",
                               "ConnectTimeout=30", "root@127.0.0.1",
                               "uname", "-n", NULL };
        const char *bench[] = { "redis-benchmark", "-h", "127.0.0.1", "-p",
                                redis, "-n", "500", "-c", "4", "-q", "-t",
                                "ping,set,get", NULL };
        g_autofree char *o1 = client(curl), *o2 = client(dig);
        g_autofree char *o3 = client(sshc), *o4 = client(bench);

        g_assert_cmpstr(o1, ==, "200");
        g_assert_nonnull(o2);
        g_assert_cmpuint(strlen(g_strstrip(o2)), >, 0);
        g_assert_nonnull(o3);
        g_assert_cmpstr(g_strstrip(o3), ==, "vg-debian");
        g_assert_nonnull(o4);
    }
    g_assert_false(wait_output(fd, said, "alert ", 2));

    /* The exploit: vg-udpd may still be starting, so try a few times. */
    for (int i = 0; i < 10 && !strstr(said->str, "alert 1: "); i++) {
        const char *argv[] = { exploit_path, "udp", udp, NULL };
        g_autofree char *o = client(argv);

        wait_output(fd, said, "alert 1: ", 3);
    }
    g_assert_true(wait_output(fd, said, "stopped after 1 alert(s)", 60));
    g_test_message("%s", said->str);
    g_assert_nonnull(strstr(said->str, "alert 1: aec at pc "));
    sca = g_build_filename(alerts, "sca-1.bin", NULL);
    g_assert_true(g_file_test(sca, G_FILE_TEST_IS_REGULAR));
    g_subprocess_wait(hp, NULL, NULL);

    /* Any host can check it: replayed in the image's snapshot. */
    {
        const char *argv[] = { cli_path, "verify", profile, sca, NULL };

        out = client(argv);
        g_assert_nonnull(out);
        g_assert_nonnull(strstr(out, "\"verified\""));
    }
    vg_dir_remove(alerts);
    vg_dir_remove(snap_dir);
}

static void expect_refused(const char *vm_extra, const char *service_extra,
                           const char *why)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *dir = g_dir_make_tmp("vg-disk-XXXXXX", &err);
    g_autofree char *path = write_profile(dir, vm_extra, service_extra);
    g_autoptr(VgProfile) p = vg_profile_load(path, &err);

    g_assert_null(p);
    g_assert_nonnull(err);
    g_test_message("%s", err->message);
    g_assert_nonnull(strstr(err->message, why));
    vg_dir_remove(dir);
}

static void test_refused(void)
{
    /* The later disk= key wins in a key file: a missing image. */
    expect_refused("disk=/nonexistent.qcow2\n", "ready-port=tcp:80\n",
                   "is not a file");
    expect_refused("", "ready-port=tcp:8080\n", "is not one of the ports");
    expect_refused("", "ready-port=udp:80\n", "is not tcp:PORT");
    expect_refused("", "", "ready-marker or ready-port is missing");
}

int main(int argc, char **argv)
{
    const char *src = g_getenv("VIGILANTE_SOURCE_ROOT");
    g_autofree char *stamp = NULL;

    g_test_init(&argc, &argv, NULL);
    cli_path = g_strdup(vg_arg_value(argc, argv, "--cli="));
    exploit_path = g_strdup(vg_arg_value(argc, argv, "--exploit="));
    g_assert_nonnull(cli_path);
    g_assert_nonnull(exploit_path);
    image_dir = g_build_filename(src ? src : ".", "build", "guests",
                                 "debian", NULL);
    stamp = image_file(".stamp");
    if (!g_file_test(stamp, G_FILE_TEST_EXISTS)) {
        g_test_message("no Debian image in %s (make check builds it)",
                       image_dir);
        return 77;
    }
    g_test_add_func("/disk-profile/refused", test_refused);
    g_test_add_func("/disk-profile/snapshot-and-restore",
                    test_snapshot_and_restore);
    g_test_add_func("/disk-profile/honeypot", test_honeypot);
    return g_test_run();
}
