/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Service profiles: [service] exec-services is parsed, must name ports
 * the profile serves, and is handed to the vigilante object as one
 * option value; malformed lists are refused with a reason.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "profile.h"

static char *dir;

/* A profile with this [service] body, over a one-byte kernel file. */
static VgProfile *load(const char *service, GError **errp)
{
    g_autofree char *kernel = g_build_filename(dir, "kernel", NULL);
    g_autofree char *path = g_build_filename(dir, "p.profile", NULL);
    g_autofree char *text = g_strdup_printf(
        "[program]\nname=t\n[vm]\nkernel=kernel\nmemory=32\n"
        "[service]\nready-marker=R\n%s\n", service);

    g_assert_true(g_file_set_contents(kernel, "k", 1, NULL));
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    return vg_profile_load(path, errp);
}

/* A profile with this [vm] body (no kernel key unless given). */
static VgProfile *load_vm(const char *vm, GError **errp)
{
    g_autofree char *path = g_build_filename(dir, "d.profile", NULL);
    g_autofree char *text = g_strdup_printf(
        "[program]\nname=t\n[vm]\nmemory=32\n%s\n"
        "[service]\nready-marker=R\nports=tcp:80\n", vm);

    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    return vg_profile_load(path, errp);
}

/*
 * [vm] disk: the format from the file's header, kernel optional with a
 * disk (firmware boot), the disk part of the program's digest.
 */
static void test_disk(void)
{
    static const char qcow2_head[] = { 'Q', 'F', 'I', (char)0xfb, 0, 0, 0, 3 };
    g_autofree char *raw = g_build_filename(dir, "disk.raw", NULL);
    g_autofree char *qcow = g_build_filename(dir, "disk.qcow2", NULL);
    g_autofree char *kernel = g_build_filename(dir, "kernel", NULL);
    g_autoptr(GError) err = NULL;
    g_autoptr(VgProfile) a = NULL, b = NULL, c = NULL, d = NULL;
    g_autofree char *ha = NULL, *hb = NULL;
    VgProfile *bad;

    g_assert_true(g_file_set_contents(raw, "bootsector", -1, NULL));
    g_assert_true(g_file_set_contents(qcow, qcow2_head, sizeof(qcow2_head),
                                      NULL));
    g_assert_true(g_file_set_contents(kernel, "k", 1, NULL));

    a = load_vm("disk=disk.raw", &err);
    g_assert_no_error(err);
    g_assert_null(a->kernel);
    g_assert_cmpstr(a->disk_format, ==, "raw");
    g_assert_true(g_str_has_suffix(a->disk, "/disk.raw"));
    b = load_vm("disk=disk.qcow2\nkernel=kernel", &err);
    g_assert_no_error(err);
    g_assert_cmpstr(b->disk_format, ==, "qcow2");
    g_assert_nonnull(b->kernel);

    /* The disk is part of the identity: another disk, another digest. */
    ha = vg_profile_digest_hex(a);
    g_assert_true(g_file_set_contents(raw, "bootsector2", -1, NULL));
    c = load_vm("disk=disk.raw", &err);
    g_assert_no_error(err);
    hb = vg_profile_digest_hex(c);
    g_assert_cmpstr(ha, !=, hb);

    bad = load_vm("initrd=kernel\ndisk=disk.raw", &err);
    g_assert_null(bad);
    g_assert_nonnull(strstr(err->message, "initrd needs [vm] kernel"));
    g_clear_error(&err);
    bad = load_vm("", &err);
    g_assert_null(bad);
    g_assert_nonnull(strstr(err->message, "kernel is missing"));
    g_clear_error(&err);
    bad = load_vm("disk=nothere.qcow2", &err);
    g_assert_null(bad);
    g_assert_nonnull(strstr(err->message, "is not a file"));
    g_clear_error(&err);
    d = load_vm("disk=disk.raw\nkernel=kernel", &err);
    g_assert_no_error(err);
    g_unlink(raw);
    g_unlink(qcow);
}

static void test_exec_services(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(VgProfile) p = load("ports=tcp:22;udp:53;udp:5007\n"
                                  "exec-services=tcp:22;udp:5007", &err);
    g_autofree char *opt = NULL;

    g_assert_no_error(err);
    g_assert_cmpuint(p->exec_services->len, ==, 2);
    opt = vg_profile_exec_services(p);
    g_assert_cmpstr(opt, ==, "tcp:22;udp:5007");
}

static void test_no_exec_services(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(VgProfile) p = load("ports=tcp:22", &err);
    g_autofree char *opt = NULL;

    g_assert_no_error(err);
    g_assert_cmpuint(p->exec_services->len, ==, 0);
    opt = vg_profile_exec_services(p);
    g_assert_cmpstr(opt, ==, "");
}

static void test_taint_kernel(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(VgProfile) dflt = load("ports=tcp:22", &err);
    VgProfile *bad;

    g_assert_no_error(err);
    g_assert_cmpstr(dflt->taint_kernel, ==, "moves");
    bad = load("ports=tcp:22\n[vm]\ntaint-kernel=some", &err);
    g_assert_null(bad);
    g_assert_nonnull(strstr(err->message, "taint-kernel"));
}

static void test_bad_exec_services(void)
{
    static const char *bad[] = {
        "exec-services=tcp:23",         /* not served */
        "exec-services=udp:22",         /* other transport */
        "exec-services=tcp:",
        "exec-services=tcp:65536",
        "exec-services=ssh:22",
        "exec-services=22",
    };

    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) err = NULL;
        g_autofree char *body = g_strdup_printf("ports=tcp:22\n%s", bad[i]);
        VgProfile *p = load(body, &err);

        g_assert_null(p);
        g_assert_nonnull(err);
        g_test_message("%s: %s", bad[i], err->message);
        g_assert_nonnull(strstr(err->message, "exec-services"));
    }
}

/* [service] benign: one port's messages, by file-name prefix. */
static void test_benign_messages(void)
{
    static const char *const files[] = {
        "udp-53-00", "udp-53-01", "tcp-53-00", "udp-530-00", "notes.txt",
    };
    g_autofree char *bdir = g_build_filename(dir, "benign", NULL);
    g_autoptr(GError) err = NULL;
    g_autoptr(VgProfile) p = NULL;
    g_autoptr(GPtrArray) udp53 = NULL, tcp53 = NULL, udp530 = NULL;
    g_autoptr(GPtrArray) tcp80 = NULL;

    g_assert_cmpint(g_mkdir(bdir, 0700), ==, 0);
    for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
        g_autofree char *f = g_build_filename(bdir, files[i], NULL);

        g_assert_true(g_file_set_contents(f, files[i], -1, NULL));
    }
    p = load("ports=udp:53;tcp:53;udp:530\nbenign=benign", &err);
    g_assert_no_error(err);
    udp53 = vg_profile_benign_messages(p, "udp", 53);
    tcp53 = vg_profile_benign_messages(p, "tcp", 53);
    udp530 = vg_profile_benign_messages(p, "udp", 530);
    tcp80 = vg_profile_benign_messages(p, "tcp", 80);
    g_assert_cmpuint(udp53->len, ==, 2);
    g_assert_cmpuint(tcp53->len, ==, 1);
    g_assert_cmpuint(udp530->len, ==, 1);
    g_assert_cmpuint(tcp80->len, ==, 0);
    g_assert_cmpuint(g_bytes_get_size(tcp53->pdata[0]), ==,
                     strlen("tcp-53-00"));
    for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
        g_autofree char *f = g_build_filename(bdir, files[i], NULL);

        g_unlink(f);
    }
    g_rmdir(bdir);
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    dir = g_dir_make_tmp("vg-profile-XXXXXX", NULL);
    g_test_add_func("/profile/exec-services", test_exec_services);
    g_test_add_func("/profile/disk", test_disk);
    g_test_add_func("/profile/no-exec-services", test_no_exec_services);
    g_test_add_func("/profile/bad-exec-services", test_bad_exec_services);
    g_test_add_func("/profile/taint-kernel", test_taint_kernel);
    g_test_add_func("/profile/benign-messages", test_benign_messages);
    ret = g_test_run();
    {
        g_autofree char *k = g_build_filename(dir, "kernel", NULL);
        g_autofree char *p = g_build_filename(dir, "p.profile", NULL);

        g_unlink(k);
        g_unlink(p);
        g_rmdir(dir);
    }
    return ret;
}
