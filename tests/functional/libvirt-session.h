/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A real libvirtd for tests, started without systemd: virtlogd and
 * libvirtd in session mode, run as the unprivileged user "nobody" in a
 * private directory (its config, sockets, logs and the domains' files),
 * so the test needs no system configuration and leaves none behind.
 * Root is needed to switch to that user.
 */
#ifndef VG_LIBVIRT_SESSION_H
#define VG_LIBVIRT_SESSION_H

#include <gio/gio.h>

typedef struct VgLibvirtSession {
    char *dir;                  /* owned by nobody */
    char *uri;                  /* qemu:///session?socket=... */
    GSubprocess *virtlogd, *libvirtd;
} VgLibvirtSession;

/*
 * Start the daemons; NULL with @reason when this host cannot (not root,
 * libvirtd missing).  Fails the test when they do not come up.
 */
VgLibvirtSession *vg_libvirt_session_start(char **reason);

/* Stop the daemons (and so every domain) and remove the directory. */
void vg_libvirt_session_stop(VgLibvirtSession *s);

/*
 * Copy @src into the session's directory (readable by the daemons'
 * user whatever the build tree's permissions); returns the new path.
 */
char *vg_libvirt_session_copy(VgLibvirtSession *s, const char *src);

/* A file in the session's directory that the daemons' user may write. */
char *vg_libvirt_session_file(VgLibvirtSession *s, const char *name);

#endif
