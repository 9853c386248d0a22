/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Protected VMs found through libvirt.  A domain says which programs it
 * runs in its <metadata> (docs/libvirt.md):
 *
 *   <vigilante:vm xmlns:vigilante="urn:vigilante-qemu:domain:1">
 *     <vigilante:program name="nginx"/>
 *   </vigilante:vm>
 *
 * Protecting it (vm-protect.h) goes through libvirt's QEMU monitor
 * passthrough (libvirt-qemu), with the netdevs of its interfaces; being
 * idempotent, the same call serves a first install, a domain that was
 * restarted, restored or migrated in, and a new filter.
 */
#ifndef VIGILANTE_LIBVIRT_VMS_H
#define VIGILANTE_LIBVIRT_VMS_H

#include <glib.h>
#include <libvirt/libvirt.h>

#include "vm-protect.h"

#define VG_LIBVIRT_NS_URI "urn:vigilante-qemu:domain:1"

#define VG_LIBVIRT_ERROR (vg_libvirt_error_quark())
GQuark vg_libvirt_error_quark(void);

/*
 * The programs @dom marks in its metadata (NULL-terminated, g_strfreev),
 * or NULL when it has no vigilante metadata (not protected).
 */
char **vg_libvirt_domain_programs(virDomainPtr dom, GError **errp);

/*
 * The QEMU netdev ids of @dom's interfaces (libvirt names them "host"
 * and the interface's alias), from its live XML.
 */
char **vg_libvirt_domain_netdevs(virDomainPtr dom, GError **errp);

/*
 * Protect running domain @dom with those of @filters whose program it
 * marks.  Appends one line per action to @log ("netdev hostnet0: guard
 * added", "filter vf-... (nginx) installed"), and the ids of the
 * filters installed to @installed (may be NULL).  FALSE with @errp when a
 * monitor command fails; a domain without metadata is no error (nothing
 * to do).
 */
gboolean vg_libvirt_protect_domain(virDomainPtr dom,
                                   VgProtectFilter *const *filters,
                                   guint n_filters, GString *log,
                                   GPtrArray *installed, GError **errp);

#endif
