/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Protecting a running VM with vulnerability filters, whatever reaches
 * its QMP monitor (libvirt's passthrough, or the monitor's own socket):
 * a filter-vigilante netdev filter on each named netdev, and every
 * filter of the VM's programs installed (vigilante-filter-add with the
 * encoding inline, so the emulator needs no access to our files).  What
 * is there already (query-vigilante-filters) is left alone, so one call
 * serves a first install, a VM that was restarted (a new emulator has
 * nothing) and a new filter.
 */
#ifndef VIGILANTE_VM_PROTECT_H
#define VIGILANTE_VM_PROTECT_H

#include <glib.h>
#include <json-glib/json-glib.h>

/* A filter to install: its encoding, program and identity. */
typedef struct VgProtectFilter {
    char *origin;               /* the file it was read from, or its SCA */
    char *program;
    char *id;                   /* "vf-" and the digest's first 32 hex */
    char *sha256;               /* hex, of the encoding */
    char *base64;               /* the encoding */
} VgProtectFilter;

/* A filter from its encoding (validated, docs/filter-format.md). */
VgProtectFilter *vg_protect_filter_new(GBytes *encoding, const char *origin,
                                       GError **errp);
/* Read and validate a filter file. */
VgProtectFilter *vg_protect_filter_load(const char *path, GError **errp);
void vg_protect_filter_free(VgProtectFilter *f);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VgProtectFilter, vg_protect_filter_free)

/*
 * Run QMP command @execute with @arguments (a JSON object, consumed; or
 * NULL) on the VM's monitor; its "return" value, or NULL with @errp.
 */
typedef JsonNode *(*VgMonitorFn)(void *opaque, const char *execute,
                                 JsonNode *arguments, GError **errp);

/*
 * Guard @netdevs (NULL-terminated; none is fine when the VM was started
 * with its own filter-vigilante) for @programs and install those of
 * @filters whose program is one of @programs.  Appends one line per
 * action to @log ("netdev n0: filter-vigilante added", "filter vf-...
 * (nginx, ORIGIN) installed") and the ids of the filters it installed to
 * @installed (g_strdup'd; may be NULL).  FALSE with @errp when a command
 * fails, or the emulator is no Vigilante-QEMU.
 */
gboolean vg_protect_vm(VgMonitorFn monitor, void *opaque,
                       char *const *programs, char *const *netdevs,
                       VgProtectFilter *const *filters, guint n_filters,
                       GString *log, GPtrArray *installed, GError **errp);

#define VG_PROTECT_ERROR (g_quark_from_static_string("vigilante-vm-protect"))

#endif
