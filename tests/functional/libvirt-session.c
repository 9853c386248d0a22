/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <unistd.h>

#include "libvirt-session.h"

#define NOBODY 65534
#define START_TIMEOUT_MS 30000

/* A directory (or file) of the session, owned by the daemons' user. */
static char *owned(VgLibvirtSession *s, const char *rel, int mode)
{
    char *path = g_build_filename(s->dir, rel, NULL);

    if (mode) {
        g_assert_cmpint(g_mkdir_with_parents(path, mode), ==, 0);
        g_assert_cmpint(chmod(path, mode), ==, 0);
        g_assert_cmpint(chown(path, NOBODY, NOBODY), ==, 0);
    }
    return path;
}

static GSubprocess *spawn_daemon(VgLibvirtSession *s, const char *program)
{
    g_autoptr(GSubprocessLauncher) l =
        g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_NONE);
    g_autofree char *home = g_build_filename(s->dir, "home", NULL);
    g_autofree char *run = g_build_filename(s->dir, "run", NULL);
    g_autofree char *config = g_build_filename(home, ".config", NULL);
    g_autofree char *cache = g_build_filename(home, ".cache", NULL);
    g_autofree char *log = g_strdup_printf("%s/%s.out", s->dir, program);
    g_autofree char *path = g_find_program_in_path(program);
    g_autoptr(GError) err = NULL;
    const char *const env[] = {
        "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL,
    };
    GSubprocess *p;

    g_subprocess_launcher_set_environ(l, (char **)env);
    g_subprocess_launcher_setenv(l, "HOME", home, TRUE);
    g_subprocess_launcher_setenv(l, "XDG_RUNTIME_DIR", run, TRUE);
    g_subprocess_launcher_setenv(l, "XDG_CONFIG_HOME", config, TRUE);
    g_subprocess_launcher_setenv(l, "XDG_CACHE_HOME", cache, TRUE);
    g_subprocess_launcher_set_cwd(l, s->dir);
    g_subprocess_launcher_set_stdout_file_path(l, log);
    g_subprocess_launcher_set_stderr_file_path(l, log);
    p = g_subprocess_launcher_spawn(l, &err, "setpriv", "--reuid=65534",
                                    "--regid=65534", "--clear-groups",
                                    /* they go when a failed test does */
                                    "--pdeathsig", "SIGTERM",
                                    "--", path, NULL);
    g_assert_no_error(err);
    return p;
}

VgLibvirtSession *vg_libvirt_session_start(char **reason)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *libvirtd = g_find_program_in_path("libvirtd");
    g_autofree char *virtlogd = g_find_program_in_path("virtlogd");
    g_autofree char *qemu_conf = NULL, *sock = NULL, *logsock = NULL;
    VgLibvirtSession *s;
    gint64 deadline;

    if (geteuid() != 0) {
        *reason = g_strdup("needs root (to run libvirtd as nobody)");
        return NULL;
    }
    if (!libvirtd || !virtlogd) {
        *reason = g_strdup("libvirtd or virtlogd is not installed "
                           "(scripts/install-deps.sh installs them)");
        return NULL;
    }
    s = g_new0(VgLibvirtSession, 1);
    s->dir = g_dir_make_tmp("vg-libvirt-XXXXXX", &err);
    g_assert_no_error(err);
    g_assert_cmpint(chmod(s->dir, 0755), ==, 0);
    g_assert_cmpint(chown(s->dir, NOBODY, NOBODY), ==, 0);
    g_free(owned(s, "home", 0700));
    g_free(owned(s, "home/.config", 0700));
    g_free(owned(s, "home/.config/libvirt", 0700));
    g_free(owned(s, "home/.cache", 0700));
    g_free(owned(s, "run", 0700));
    g_free(owned(s, "files", 0755));
    /* The domains' console logs go through virtlogd (the default). */
    qemu_conf = owned(s, "home/.config/libvirt/qemu.conf", 0);
    g_file_set_contents(qemu_conf, "stdio_handler = \"logd\"\n", -1, &err);
    g_assert_no_error(err);
    g_assert_cmpint(chown(qemu_conf, NOBODY, NOBODY), ==, 0);

    s->virtlogd = spawn_daemon(s, "virtlogd");
    s->libvirtd = spawn_daemon(s, "libvirtd");
    sock = g_build_filename(s->dir, "run/libvirt/libvirt-sock", NULL);
    logsock = g_build_filename(s->dir, "run/libvirt/virtlogd-sock", NULL);
    deadline = g_get_monotonic_time() + START_TIMEOUT_MS * 1000LL;
    while (!g_file_test(sock, G_FILE_TEST_EXISTS) ||
           !g_file_test(logsock, G_FILE_TEST_EXISTS)) {
        if (g_get_monotonic_time() > deadline ||
            !g_subprocess_get_identifier(s->libvirtd)) {
            g_autofree char *out = NULL;
            g_autofree char *log = g_build_filename(s->dir, "libvirtd.out",
                                                    NULL);

            g_file_get_contents(log, &out, NULL, NULL);
            g_test_message("libvirtd did not come up: %s", out ? out : "");
            g_assert_not_reached();
        }
        g_usleep(50 * 1000);
    }
    s->uri = g_strdup_printf("qemu:///session?socket=%s", sock);
    g_test_message("libvirt session: %s", s->uri);
    return s;
}

static int remove_one(const char *path, const struct stat *st, int flag,
                      struct FTW *ftw)
{
    return remove(path) < 0 ? -1 : 0;
}

static void stop_daemon(GSubprocess *p)
{
    if (p) {
        g_subprocess_send_signal(p, SIGTERM);
        g_subprocess_wait(p, NULL, NULL);
        g_object_unref(p);
    }
}

void vg_libvirt_session_stop(VgLibvirtSession *s)
{
    if (!s) {
        return;
    }
    stop_daemon(s->libvirtd);
    stop_daemon(s->virtlogd);
    /* Domains a failed test left behind run from the session's files. */
    {
        g_autofree char *cmd = g_strdup_printf(
            "pkill -KILL -u %d -f %s/files/", NOBODY, s->dir);

        if (system(cmd) < 0) {
            g_test_message("could not run pkill");
        }
    }
    nftw(s->dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    g_free(s->dir);
    g_free(s->uri);
    g_free(s);
}

char *vg_libvirt_session_copy(VgLibvirtSession *s, const char *src)
{
    g_autofree char *base = g_path_get_basename(src);
    g_autoptr(GFile) from = g_file_new_for_path(src);
    char *path = vg_libvirt_session_file(s, base);
    g_autoptr(GFile) to = g_file_new_for_path(path);
    g_autoptr(GError) err = NULL;

    g_file_copy(from, to, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, &err);
    g_assert_no_error(err);
    g_assert_cmpint(chmod(path, 0755), ==, 0);
    return path;
}

char *vg_libvirt_session_file(VgLibvirtSession *s, const char *name)
{
    return g_build_filename(s->dir, "files", name, NULL);
}
