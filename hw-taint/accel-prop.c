/*
 * -accel tcg,taint=on|off: the switch of the taint engine.
 */
#include "qemu/osdep.h"
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
        reset_registered = true;
    }
}

void hw_taint_accel_class_init(ObjectClass *oc)
{
    object_class_property_add_bool(oc, "taint", taint_prop_get,
                                   taint_prop_set);
    object_class_property_set_description(oc, "taint",
        "Track data from virtual NICs through the guest (dynamic dataflow "
        "analysis); forces single-threaded TCG");
}
