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
 * Skipped when the image has not been built (`make check` builds it).
 */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "harness.h"
#include "host-util.h"
#include "profile.h"
#include "snapshot.h"

#define BIG_SIZE (16 << 20)     /* nginx's /big.bin in the image */

static char *image_dir;

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
        "[service]\nports=tcp:80;tcp:22\nready-timeout=600\n%s"
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
    vg_dir_remove(dir);
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
    return g_test_run();
}
