/*
 * -accel tcg,taint=on|off: the switch of the taint engine.
 */
#include "qemu/osdep.h"
#include "qom/object.h"
#include "hw-taint/taint.h"

static bool taint_prop_get(Object *obj, Error **errp)
{
    return hw_taint_on;
}

static void taint_prop_set(Object *obj, bool value, Error **errp)
{
    hw_taint_on = value;
}

void hw_taint_accel_class_init(ObjectClass *oc)
{
    object_class_property_add_bool(oc, "taint", taint_prop_get,
                                   taint_prop_set);
    object_class_property_set_description(oc, "taint",
        "Track data from virtual NICs through the guest (dynamic dataflow "
        "analysis); forces single-threaded TCG");
}
