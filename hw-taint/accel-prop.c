/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The switch of the taint engine and how it treats kernel code:
 * -accel tcg,taint=on|off[,taint-kernel=moves|all], or the same
 * properties of the vigilante object (for command lines whose -accel
 * someone else writes, such as libvirt's).
 */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qom/object.h"
#include "hw/qdev-core.h"
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

bool hw_taint_switch(bool on, Error **errp)
{
    static bool registered;

    if (on == hw_taint_on) {
        return true;
    }
    if (phase_check(PHASE_ACCEL_CREATED)) {
        error_setg(errp, "taint can only be switched %s at start-up, "
                   "before the accelerator is set up", on ? "on" : "off");
        return false;
    }
    hw_taint_on = on;
    if (on && !registered) {
        qemu_register_reset(taint_reset, NULL);
        hw_taint_nic_check_register();
        registered = true;
    }
    return true;
}

static bool taint_prop_get(Object *obj, Error **errp)
{
    return hw_taint_on;
}

static void taint_prop_set(Object *obj, bool value, Error **errp)
{
    hw_taint_switch(value, errp);
}

bool hw_taint_kernel_all;

const char *hw_taint_kernel_mode(void)
{
    return hw_taint_kernel_all ? "all" : "moves";
}

/* Read when code is translated: only set before the guest runs. */
bool hw_taint_set_kernel_mode(const char *value, Error **errp)
{
    if (!strcmp(value, "moves")) {
        hw_taint_kernel_all = false;
    } else if (!strcmp(value, "all")) {
        hw_taint_kernel_all = true;
    } else {
        error_setg(errp, "taint-kernel must be 'moves' or 'all', not '%s'",
                   value);
        return false;
    }
    return true;
}

static char *taint_kernel_get(Object *obj, Error **errp)
{
    return g_strdup(hw_taint_kernel_mode());
}

static void taint_kernel_set(Object *obj, const char *value, Error **errp)
{
    hw_taint_set_kernel_mode(value, errp);
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
