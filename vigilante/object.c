/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * -object vigilante,id=ID[,aec=on|off][,ace=on|off][,afa=on|off]
 *                   [,www=on|off]
 *                   [,action=pause|quit|continue][,log-frames=N]
 *                   [,exec-services=tcp:PORT;udp:PORT...]
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
#include "sysemu/sysemu.h"
#include "sysemu/tcg.h"
#include "qemu/accel.h"
#include "hw/qdev-core.h"
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
    case VIGILANTE_ALERT_TYPE_WWW:
        return v->www;
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

/*
 * The detector sees only what the taint engine sees, and that runs only
 * under TCG: refuse another accelerator rather than watch nothing.
 */
static bool vigilante_check_accel(Vigilante *v, Error **errp)
{
    if (!tcg_enabled()) {
        error_setg(errp, "the vigilante detector needs TCG with taint on "
                   "(-accel tcg,taint=on or -object vigilante,taint=on), "
                   "but this machine runs under %s; filter-vigilante "
                   "works under any accelerator", current_accel_name());
        return false;
    }
    if (v->taint_asked && !hw_taint_enabled()) {
        error_setg(errp, "the vigilante object asks for taint=on but the "
                   "accelerator's taint=off turned it off");
        return false;
    }
    return true;
}

static void vigilante_machine_done(Notifier *n, void *data)
{
    Error *err = NULL;

    if (the_detector && !vigilante_check_accel(the_detector, &err)) {
        error_report_err(err);
        exit(1);
    }
}

static Notifier machine_done_notifier = { .notify = vigilante_machine_done };

static void vigilante_complete(UserCreatable *uc, Error **errp)
{
    Vigilante *v = VIGILANTE(uc);

    if (the_detector) {
        error_setg(errp, "only one vigilante object can exist ('%s' does)",
                   object_get_canonical_path_component(OBJECT(the_detector)));
        return;
    }
    /* On the command line the accelerator comes later: check it then. */
    if (phase_check(PHASE_ACCEL_CREATED)) {
        if (!vigilante_check_accel(v, errp)) {
            return;
        }
    } else {
        qemu_add_machine_init_done_notifier(&machine_done_notifier);
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
VIGILANTE_BOOL_PROP(www)

/* taint=on is -accel tcg,taint=on for command lines libvirt writes. */
static bool get_taint(Object *obj, Error **errp)
{
    return hw_taint_enabled();
}

static void set_taint(Object *obj, bool value, Error **errp)
{
    if (hw_taint_switch(value, errp)) {
        VIGILANTE(obj)->taint_asked = value;
    }
}

static char *get_taint_kernel(Object *obj, Error **errp)
{
    return g_strdup(hw_taint_kernel_mode());
}

static void set_taint_kernel(Object *obj, const char *value, Error **errp)
{
    if (phase_check(PHASE_ACCEL_CREATED)) {
        error_setg(errp, "taint-kernel can only be set at start-up");
        return;
    }
    hw_taint_set_kernel_mode(value, errp);
}

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

static char *get_alert_dir(Object *obj, Error **errp)
{
    return g_strdup(VIGILANTE(obj)->alert_dir);
}

static void set_alert_dir(Object *obj, const char *value, Error **errp)
{
    Vigilante *v = VIGILANTE(obj);

    if (value[0] && !g_file_test(value, G_FILE_TEST_IS_DIR)) {
        error_setg(errp, "alert-dir '%s' is not a directory", value);
        return;
    }
    g_free(v->alert_dir);
    v->alert_dir = value[0] ? g_strdup(value) : NULL;
}

static char *get_program(Object *obj, Error **errp)
{
    return g_strdup(VIGILANTE(obj)->program);
}

static void set_program(Object *obj, const char *value, Error **errp)
{
    Vigilante *v = VIGILANTE(obj);
    size_t n = strlen(value);

    if (n == 0 || n > 64 ||
        strspn(value, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                      "0123456789._-") != n) {
        error_setg(errp, "program must be 1 to 64 letters, digits, '.', "
                   "'_' or '-'");
        return;
    }
    g_free(v->program);
    v->program = g_strdup(value);
}

static char *get_program_digest(Object *obj, Error **errp)
{
    Vigilante *v = VIGILANTE(obj);
    GString *s = g_string_new(NULL);

    for (int i = 0; i < 32; i++) {
        g_string_append_printf(s, "%02x", v->program_digest[i]);
    }
    return g_string_free(s, FALSE);
}

static void set_program_digest(Object *obj, const char *value, Error **errp)
{
    Vigilante *v = VIGILANTE(obj);
    uint8_t d[32];

    if (strlen(value) != 64) {
        error_setg(errp, "program-digest must be 64 hex digits (SHA-256)");
        return;
    }
    for (int i = 0; i < 32; i++) {
        int hi = g_ascii_xdigit_value(value[2 * i]);
        int lo = g_ascii_xdigit_value(value[2 * i + 1]);

        if (hi < 0 || lo < 0) {
            error_setg(errp, "program-digest must be 64 hex digits (SHA-256)");
            return;
        }
        d[i] = hi << 4 | lo;
    }
    memcpy(v->program_digest, d, sizeof(d));
}

static char *get_exec_services(Object *obj, Error **errp)
{
    return g_strdup(VIGILANTE(obj)->exec_services_text);
}

/* Under the BQL, like the alert path that reads the list. */
static void set_exec_services(Object *obj, const char *value, Error **errp)
{
    Vigilante *v = VIGILANTE(obj);
    VigilanteService *svc;
    size_t n;

    if (!vigilante_exec_services_parse(value, &svc, &n, errp)) {
        return;
    }
    g_free(v->exec_services);
    g_free(v->exec_services_text);
    v->exec_services = svc;
    v->n_exec_services = n;
    v->exec_services_text = g_strdup(value);
}

static void get_afa_by_design(Object *obj, Visitor *visitor,
                              const char *name, void *opaque, Error **errp)
{
    uint64_t value = VIGILANTE(obj)->afa_by_design;

    visit_type_uint64(visitor, name, &value, errp);
}

static void get_alerts_folded(Object *obj, Visitor *visitor,
                              const char *name, void *opaque, Error **errp)
{
    uint64_t value = VIGILANTE(obj)->alerts_folded;

    visit_type_uint64(visitor, name, &value, errp);
}

static void vigilante_instance_init(Object *obj)
{
    Vigilante *v = VIGILANTE(obj);

    v->aec = v->ace = v->afa = v->www = true;
    v->action = VIGILANTE_ACTION_PAUSE;
    v->log_frames = DEFAULT_LOG_FRAMES;
    v->program = g_strdup("guest");
    v->exec_services_text = g_strdup("");
    v->reported = g_hash_table_new_full(g_int64_hash, g_int64_equal,
                                        g_free, NULL);
    v->reported_events = g_hash_table_new_full(g_int64_hash, g_int64_equal,
                                               g_free, NULL);
    v->folded_hits = g_hash_table_new_full(g_int64_hash, g_int64_equal,
                                           g_free, NULL);
    v->recent = g_queue_new();
    v->acknowledged = g_ptr_array_new_with_free_func(
        vigilante_alert_record_free);
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
    g_hash_table_destroy(v->reported_events);
    g_hash_table_destroy(v->folded_hits);
    g_queue_free_full(v->recent, vigilante_alert_record_free);
    g_ptr_array_free(v->acknowledged, TRUE);
    g_free(v->alert_dir);
    g_free(v->program);
    g_free(v->exec_services);
    g_free(v->exec_services_text);
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
    object_class_property_add_bool(oc, "www", get_www, set_www);
    object_class_property_set_description(oc, "www",
        "Trap jumps through bytes stored through an address copied from "
        "input (write-what-where)");
    object_class_property_add_bool(oc, "taint", get_taint, set_taint);
    object_class_property_set_description(oc, "taint",
        "Switch the taint engine on, as -accel tcg,taint=on does (at "
        "start-up only)");
    object_class_property_add_str(oc, "taint-kernel", get_taint_kernel,
                                  set_taint_kernel);
    object_class_property_set_description(oc, "taint-kernel",
        "As -accel tcg,taint-kernel=: moves (default) or all");
    object_class_property_add_enum(oc, "action", "VigilanteAction",
                                   &VigilanteAction_lookup,
                                   get_action, set_action);
    object_class_property_set_description(oc, "action",
        "On an alert: pause, quit or continue");
    object_class_property_add(oc, "log-frames", "uint32", get_log_frames,
                              set_log_frames, NULL, NULL);
    object_class_property_set_description(oc, "log-frames",
        "How many of the last received frames the event log keeps");
    object_class_property_add_str(oc, "alert-dir", get_alert_dir,
                                  set_alert_dir);
    object_class_property_set_description(oc, "alert-dir",
        "Directory for the self-certifying alerts (sca-ID.bin)");
    object_class_property_add_str(oc, "program", get_program, set_program);
    object_class_property_set_description(oc, "program",
        "The protected program's name in SCAs");
    object_class_property_add_str(oc, "program-digest", get_program_digest,
                                  set_program_digest);
    object_class_property_set_description(oc, "program-digest",
        "SHA-256 of the program's image (hex) in SCAs");
    object_class_property_add_str(oc, "exec-services", get_exec_services,
                                  set_exec_services);
    object_class_property_set_description(oc, "exec-services",
        "Services that run commands by design, e.g. tcp:22;udp:5007: "
        "an execve of a path from their messages is no AFA alert");
    object_class_property_add(oc, "afa-by-design", "uint64",
                              get_afa_by_design, NULL, NULL, NULL);
    object_class_property_set_description(oc, "afa-by-design",
        "How many execve calls exec-services let through");
    object_class_property_add(oc, "alerts-folded", "uint64",
                              get_alerts_folded, NULL, NULL, NULL);
    object_class_property_set_description(oc, "alerts-folded",
        "action=continue: trap hits folded into an alert already raised "
        "for the same input events");
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
