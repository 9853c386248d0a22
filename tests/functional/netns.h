/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A network of the test's own: the calling process moves into a new
 * network namespace (root only) holding loopback and one tap device with
 * a host address.  Emulators started after it open the tap by name; the
 * namespace and the tap go when the test exits.
 */
#ifndef VG_NETNS_H
#define VG_NETNS_H

#include <glib.h>

/* E.g. vg_private_tap_network("vgtap0", "10.0.2.2/24", &err). */
gboolean vg_private_tap_network(const char *tap, const char *host_cidr,
                                GError **errp);

#endif
