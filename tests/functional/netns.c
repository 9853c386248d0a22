/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A private network namespace with one tap device (see netns.h). */
#include "netns.h"
#include "harness.h"

#include <errno.h>
#include <sched.h>

static gboolean ip(GError **errp, const char *const *args)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autofree char *out = NULL;
    gboolean ok;

    g_ptr_array_add(argv, (gpointer)"ip");
    for (int i = 0; args[i]; i++) {
        g_ptr_array_add(argv, (gpointer)args[i]);
    }
    g_ptr_array_add(argv, NULL);
    ok = vg_run_program((const char *const *)argv->pdata, 10000, &out, errp);
    if (!ok && errp && *errp) {
        g_prefix_error(errp, "ip %s %s: %s", args[0], args[1],
                       out ? out : "");
    }
    return ok;
}

gboolean vg_private_tap_network(const char *tap, const char *host_cidr,
                                GError **errp)
{
    const char *lo_up[] = { "link", "set", "lo", "up", NULL };
    const char *add[] = { "tuntap", "add", "dev", tap, "mode", "tap", NULL };
    const char *addr[] = { "addr", "add", host_cidr, "dev", tap, NULL };
    const char *up[] = { "link", "set", tap, "up", NULL };

    if (unshare(CLONE_NEWNET) < 0) {
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "unshare(CLONE_NEWNET): %s", g_strerror(errno));
        return FALSE;
    }
    return ip(errp, lo_up) && ip(errp, add) && ip(errp, addr) &&
           ip(errp, up);
}
