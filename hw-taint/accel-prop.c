/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * -accel tcg,taint=on|off[,taint-kernel=moves|all]: the switch of the
 * taint engine, and how it treats kernel code.
 */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qom/object.h"
#include "sysemu/reset.h"
#include "hw-taint/taint.h"

/*
 * A reset leaves guest RAM as it was, but its old contents are garbage to
 * the new boot: without this, a rebooted guest that writes code over a
 * former receive buffer with the CPU (which cleans nothing until taint
 * propagation exists) would raise false ACE alerts.
 */
static void taint_reset(void *opaque)
{
    taint_shadow_reset();
}

static bool taint_prop_get(Object *obj, Error **errp)
{
    return hw_taint_on;
}

static void taint_prop_set(Object *obj, bool value, Error **errp)
{
    static bool reset_registered;

    hw_taint_on = value;
    if (value && !reset_registered) {
        qemu_register_reset(taint_reset, NULL);
        hw_taint_nic_check_register();
        reset_registered = true;
    }
}

bool hw_taint_kernel_all;

static char *taint_kernel_get(Object *obj, Error **errp)
{
    return g_strdup(hw_taint_kernel_all ? "all" : "moves");
}

/* Read when code is translated: only set before the guest runs. */
static void taint_kernel_set(Object *obj, const char *value, Error **errp)
{
    if (!strcmp(value, "moves")) {
        hw_taint_kernel_all = false;
    } else if (!strcmp(value, "all")) {
        hw_taint_kernel_all = true;
    } else {
        error_setg(errp, "taint-kernel must be 'moves' or 'all', not '%s'",
                   value);
    }
}

void hw_taint_accel_class_init(ObjectClass *oc)
{
    object_class_property_add_bool(oc, "taint", taint_prop_get,
                                   taint_prop_set);
    object_class_property_set_description(oc, "taint",
        "Track data from virtual NICs through the guest (dynamic dataflow "
        "analysis); forces single-threaded TCG");
    object_class_property_add_str(oc, "taint-kernel", taint_kernel_get,
                                  taint_kernel_set);
    object_class_property_set_description(oc, "taint-kernel",
        "In kernel code, keep the labels only of data moved (moves, the "
        "default) or also of what is computed (all: for guests whose "
        "services run in the kernel)");
}
