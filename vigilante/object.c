/*
 * -object vigilante,id=ID[,aec=on|off][,ace=on|off][,afa=on|off]
 *                   [,action=pause|quit|continue][,log-frames=N]
 *
 * The detector's configuration as a QOM object, so that it can also be
 * created, inspected and changed over QMP (object-add, qom-get, qom-set).
 * At most one exists.
 */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-visit-vigilante.h"
#include "qemu/error-report.h"
#include "qom/object_interfaces.h"
#include "sysemu/runstate.h"
#include "qapi/visitor.h"
#include "hw-taint/taint.h"
#include "vigilante/event-log.h"
#include "vigilante/vigilante-object.h"

#define DEFAULT_LOG_FRAMES 4096

static Vigilante *the_detector;

Vigilante *vigilante_get(void)
{
    return the_detector;
}

bool vigilante_policy_enabled(VigilanteAlertType type)
{
    Vigilante *v = the_detector;

    if (!v) {
        return false;
    }
    switch (type) {
    case VIGILANTE_ALERT_TYPE_AEC:
        return v->aec;
    case VIGILANTE_ALERT_TYPE_ACE:
        return v->ace;
    case VIGILANTE_ALERT_TYPE_AFA:
        return v->afa;
    default:
        return false;
    }
}

/* A new run after a paused alert may raise alerts again. */
static void vigilante_vm_state_change(void *opaque, bool running,
                                      RunState state)
{
    Vigilante *v = opaque;

    if (!running) {
        return;
    }
    v->stopping = false;
    if (!hw_taint_enabled() && !v->warned_no_taint) {
        warn_report("vigilante: taint tracking is off, nothing will be "
                    "detected (use -accel tcg,taint=on)");
        v->warned_no_taint = true;
    }
}

/*
 * The vCPU thread reads the object without the BQL (policy checks on the
 * translation path), so it lives until the emulator exits: turn its
 * policies off instead of deleting it.
 */
static bool vigilante_can_be_deleted(UserCreatable *uc)
{
    return false;
}

static void vigilante_complete(UserCreatable *uc, Error **errp)
{
    Vigilante *v = VIGILANTE(uc);

    if (the_detector) {
        error_setg(errp, "only one vigilante object can exist ('%s' does)",
                   object_get_canonical_path_component(OBJECT(the_detector)));
        return;
    }
    the_detector = v;
    v->vmse = qemu_add_vm_change_state_handler(vigilante_vm_state_change, v);
    vigilante_event_log_start(v->log_frames);
}

#define VIGILANTE_BOOL_PROP(field)                                   \
    static bool get_##field(Object *obj, Error **errp)               \
    {                                                                \
        return VIGILANTE(obj)->field;                                \
    }                                                                \
    static void set_##field(Object *obj, bool value, Error **errp)   \
    {                                                                \
        VIGILANTE(obj)->field = value;                               \
    }

VIGILANTE_BOOL_PROP(aec)
VIGILANTE_BOOL_PROP(ace)
VIGILANTE_BOOL_PROP(afa)

static int get_action(Object *obj, Error **errp)
{
    return VIGILANTE(obj)->action;
}

static void set_action(Object *obj, int value, Error **errp)
{
    VIGILANTE(obj)->action = value;
}

static void get_log_frames(Object *obj, Visitor *visitor, const char *name,
                           void *opaque, Error **errp)
{
    uint32_t value = VIGILANTE(obj)->log_frames;

    visit_type_uint32(visitor, name, &value, errp);
}

static void set_log_frames(Object *obj, Visitor *visitor, const char *name,
                           void *opaque, Error **errp)
{
    Vigilante *v = VIGILANTE(obj);
    uint32_t value;

    if (!visit_type_uint32(visitor, name, &value, errp)) {
        return;
    }
    if (the_detector == v) {
        error_setg(errp, "log-frames can only be set when creating the "
                   "object");
        return;
    }
    v->log_frames = value;
}

static void vigilante_instance_init(Object *obj)
{
    Vigilante *v = VIGILANTE(obj);

    v->aec = v->ace = v->afa = true;
    v->action = VIGILANTE_ACTION_PAUSE;
    v->log_frames = DEFAULT_LOG_FRAMES;
    v->reported = g_hash_table_new_full(g_int64_hash, g_int64_equal,
                                        g_free, NULL);
}

static void vigilante_instance_finalize(Object *obj)
{
    Vigilante *v = VIGILANTE(obj);

    if (the_detector == v) {
        the_detector = NULL;
    }
    if (v->vmse) {
        qemu_del_vm_change_state_handler(v->vmse);
    }
    g_hash_table_destroy(v->reported);
}

static void vigilante_class_init(ObjectClass *oc, void *data)
{
    UserCreatableClass *ucc = USER_CREATABLE_CLASS(oc);

    ucc->complete = vigilante_complete;
    ucc->can_be_deleted = vigilante_can_be_deleted;
    object_class_property_add_bool(oc, "aec", get_aec, set_aec);
    object_class_property_set_description(oc, "aec",
        "Trap dirty data about to be loaded into the program counter");
    object_class_property_add_bool(oc, "ace", get_ace, set_ace);
    object_class_property_set_description(oc, "ace",
        "Trap dirty bytes about to be executed");
    object_class_property_add_bool(oc, "afa", get_afa, set_afa);
    object_class_property_set_description(oc, "afa",
        "Trap dangerous calls with dirty arguments");
    object_class_property_add_enum(oc, "action", "VigilanteAction",
                                   &VigilanteAction_lookup,
                                   get_action, set_action);
    object_class_property_set_description(oc, "action",
        "On an alert: pause, quit or continue");
    object_class_property_add(oc, "log-frames", "uint32", get_log_frames,
                              set_log_frames, NULL, NULL);
    object_class_property_set_description(oc, "log-frames",
        "How many of the last received frames the event log keeps");
}

static const TypeInfo vigilante_info = {
    .name = TYPE_VIGILANTE,
    .parent = TYPE_OBJECT,
    .instance_size = sizeof(Vigilante),
    .instance_init = vigilante_instance_init,
    .instance_finalize = vigilante_instance_finalize,
    .class_init = vigilante_class_init,
    .interfaces = (InterfaceInfo[]) {
        { TYPE_USER_CREATABLE },
        { }
    },
};

static void vigilante_register_types(void)
{
    type_register_static(&vigilante_info);
}

type_init(vigilante_register_types);
