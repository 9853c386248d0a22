/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Our emulator binary as built: it says which fork and which QEMU it is,
 * and it finds Debian's firmware (BIOS, NIC option ROMs) without -L.
 */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

static const char *qemu_path(void)
{
    const char *q = g_getenv("VIGILANTE_QEMU");

    g_assert_nonnull(q);
    g_assert_true(g_file_test(q, G_FILE_TEST_IS_EXECUTABLE));
    return q;
}

static void test_version(void)
{
    const char *argv[] = { qemu_path(), "--version", NULL };
    g_autofree char *out = NULL;
    int status;

    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT,
                               NULL, NULL, &out, NULL, &status, NULL));
    g_assert_true(g_spawn_check_wait_status(status, NULL));
    g_assert_true(g_str_has_prefix(out, "QEMU emulator version 7.2."));
    g_assert_nonnull(strstr(out, "(Vigilante-QEMU "));
}

/*
 * Start a PC with the NICs we use, stopped (-S), and quit from the
 * monitor: QEMU loads the BIOS and the option ROMs before that, and exits
 * with an error naming the file when one is missing.
 */
static void test_finds_firmware(void)
{
    const char *argv[] = {
        qemu_path(), "-M", "pc", "-nodefaults", "-display", "none", "-S",
        "-device", "e1000", "-device", "rtl8139", "-device", "virtio-net-pci",
        "-monitor", "stdio", NULL
    };
    g_autoptr(GSubprocess) p = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *out = NULL, *errout = NULL;

    p = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDIN_PIPE |
                          G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                          G_SUBPROCESS_FLAGS_STDERR_PIPE, &err);
    g_assert_no_error(err);
    g_assert_true(g_subprocess_communicate_utf8(p, "quit\n", NULL, &out,
                                                &errout, &err));
    g_assert_no_error(err);
    if (!g_subprocess_get_successful(p)) {
        g_test_message("qemu stderr: %s", errout);
    }
    g_assert_true(g_subprocess_get_successful(p));
    g_assert_null(strstr(errout, "could not load"));
    g_assert_null(strstr(errout, "failed to find romfile"));
}

/* vigilante qmp against a real emulator: a command that returns, one
 * that fails, and the taint switch reported as set on the command line. */
static void test_cli_qmp(gconstpointer cli)
{
    g_autofree char *dir = g_dir_make_tmp("vg-emu-XXXXXX", NULL);
    g_autofree char *sock = g_build_filename(dir, "qmp.sock", NULL);
    g_autofree char *qmparg = g_strdup_printf("unix:%s,server=on,wait=off",
                                              sock);
    const char *argv[] = {
        qemu_path(), "-M", "pc", "-nodefaults", "-display", "none", "-S",
        "-accel", "tcg,taint=on", "-qmp", qmparg, NULL
    };
    g_autoptr(GSubprocess) vm = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *out1 = NULL, *out2 = NULL, *out3 = NULL;
    int st;

    vm = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_NONE, &err);
    g_assert_no_error(err);
    for (int i = 0; i < 200 && !g_file_test(sock, G_FILE_TEST_EXISTS); i++) {
        g_usleep(25 * 1000);
    }
    {
        const char *q[] = { cli, "qmp", sock, "query-taint", NULL };
        g_assert_true(g_spawn_sync(NULL, (char **)q, NULL, G_SPAWN_DEFAULT,
                                   NULL, NULL, &out1, NULL, &st, NULL));
        g_assert_cmpint(WEXITSTATUS(st), ==, 0);
        g_assert_nonnull(strstr(out1, "\"enabled\": true"));
    }
    {
        const char *q[] = { cli, "qmp", sock, "no-such-command", NULL };
        g_assert_true(g_spawn_sync(NULL, (char **)q, NULL, G_SPAWN_DEFAULT,
                                   NULL, NULL, &out2, NULL, &st, NULL));
        g_assert_cmpint(WEXITSTATUS(st), ==, 1);
        g_assert_nonnull(strstr(out2, "CommandNotFound"));
    }
    {
        const char *q[] = { cli, "qmp", sock, "quit", NULL };
        g_assert_true(g_spawn_sync(NULL, (char **)q, NULL, G_SPAWN_DEFAULT,
                                   NULL, NULL, &out3, NULL, &st, NULL));
    }
    g_assert_true(g_subprocess_wait(vm, NULL, &err));
    g_assert_true(g_subprocess_get_successful(vm));
    g_remove(sock);
    g_rmdir(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* argv[1]: the vigilante CLI (meson passes it). */
    g_assert_cmpint(argc, ==, 2);
    g_test_add_data_func("/emulator/cli-qmp", argv[1], test_cli_qmp);
    g_test_add_func("/emulator/version", test_version);
    g_test_add_func("/emulator/finds-firmware", test_finds_firmware);
    return g_test_run();
}
