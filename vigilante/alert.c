/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Alerts: the QMP event, the log line, and the action.
 */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "qapi/qapi-events-vigilante.h"
#include "qapi/qapi-commands-vigilante.h"
#include "sysemu/runstate.h"
#include "hw-taint/input.h"
#include "vigilante/vigilante-object.h"
#include "vigilante/sca-gen.h"
#include "vigilante/event-log.h"

#define ALERT_MAX_LABELS 64
/* How many of the last alerts vigilante-acknowledge can name. */
#define ALERT_RECENT 64

/*
 * The alert's dirty bytes as (input event, offset), each label looked up
 * once; event 0 (offset 0) where the event has left the input record.
 */
typedef struct {
    uint64_t *events;
    uint32_t *offsets;
    size_t n;
} ResolvedLabels;

static void resolve_labels(const VigilanteAlertSpec *spec, ResolvedLabels *r)
{
    r->n = spec->nlabels;
    r->events = g_new0(uint64_t, MAX(r->n, 1));
    r->offsets = g_new0(uint32_t, MAX(r->n, 1));
    for (size_t i = 0; i < r->n; i++) {
        if (!hw_taint_label_lookup(spec->labels[i], &r->events[i],
                                   &r->offsets[i])) {
            r->events[i] = 0;
            r->offsets[i] = 0;
        }
    }
}

static void resolved_labels_clear(ResolvedLabels *r)
{
    g_free(r->events);
    g_free(r->offsets);
}

static VigilanteLabelList *label_list(const ResolvedLabels *r)
{
    VigilanteLabelList *head = NULL, **tail = &head;

    for (size_t i = 0; i < r->n && i < ALERT_MAX_LABELS; i++) {
        VigilanteLabel *l = g_new0(VigilanteLabel, 1);

        l->event = r->events[i];
        l->offset = r->offsets[i];
        QAPI_LIST_APPEND(tail, l);
    }
    return head;
}

/* Where event went, for the log line: "tcp:22", "other", "gone". */
static void append_dest(GString *out, uint64_t event)
{
    VigilanteFrameDest d;

    if (!vigilante_event_dest(event, &d)) {
        g_string_append(out, " (gone)");
    } else if (!d.transport) {
        g_string_append(out, " (other)");
    } else {
        g_string_append_printf(out, " (%s:%u)",
                               d.transport == 6 ? "tcp" : "udp", d.port);
    }
}

/*
 * "event:first-last (tcp:22)" runs, so that a copied buffer reads as one
 * range and each names the service its frame went to.
 */
static void append_runs(GString *out, VigilanteLabelList *labels)
{
    VigilanteLabelList *l = labels;

    while (l) {
        VigilanteLabelList *end = l;

        while (end->next && end->next->value->event == l->value->event &&
               end->next->value->offset == end->value->offset + 1) {
            end = end->next;
        }
        g_string_append_printf(out, "%s%" PRIu64 ":%u", out->len ? " " : "",
                               l->value->event, l->value->offset);
        if (end != l) {
            g_string_append_printf(out, "-%u", end->value->offset);
        }
        append_dest(out, l->value->event);
        l = end->next;
    }
}

static void log_alert(Vigilante *v, const VigilanteAlertSpec *spec,
                      VigilanteLabelList *labels)
{
    g_autoptr(GString) where = g_string_new(NULL);

    append_runs(where, labels);
    warn_report("vigilante: alert %" PRIu64 ": %s at pc 0x%" PRIx64
                " (%s), target 0x%" PRIx64 ", %zu dirty byte(s) from "
                "event:offset %s%s; action %s",
                v->nalerts, VigilanteAlertType_str(spec->type), spec->pc,
                spec->insn, spec->target, spec->nlabels, where->str,
                spec->nlabels > ALERT_MAX_LABELS ? " ..." : "",
                VigilanteAction_str(v->action));
}

void vigilante_alert_record_free(gpointer record)
{
    VigilanteAlertRecord *r = record;

    g_array_free(r->events, TRUE);
    g_free(r);
}

/*
 * The distinct input events of all the alert's dirty bytes; 0 stands for
 * bytes whose event has left the input record.
 */
static GArray *label_events(const ResolvedLabels *r)
{
    GArray *events = g_array_new(FALSE, FALSE, sizeof(uint64_t));

    for (size_t i = 0; i < r->n; i++) {
        uint64_t event = r->events[i];
        bool seen = false;

        for (guint k = 0; k < events->len && !seen; k++) {
            seen = g_array_index(events, uint64_t, k) == event;
        }
        if (!seen) {
            g_array_append_val(events, event);
        }
    }
    return events;
}

/* Has the operator acknowledged this trap for all of these events? */
static bool acknowledged(Vigilante *v, uint64_t key, GArray *events)
{
    for (guint i = 0; i < v->acknowledged->len; i++) {
        VigilanteAlertRecord *r = g_ptr_array_index(v->acknowledged, i);
        bool all = r->key == key && events->len > 0;

        for (guint k = 0; k < events->len && all; k++) {
            uint64_t e = g_array_index(events, uint64_t, k);
            bool found = false;

            for (guint j = 0; j < r->events->len && !found; j++) {
                found = g_array_index(r->events, uint64_t, j) == e;
            }
            all = found;
        }
        if (all) {
            return true;
        }
    }
    return false;
}

static void remember(Vigilante *v, uint64_t id, uint64_t key, GArray *events)
{
    VigilanteAlertRecord *r = g_new0(VigilanteAlertRecord, 1);

    r->id = id;
    r->key = key;
    r->events = events;
    g_queue_push_tail(v->recent, r);
    if (g_queue_get_length(v->recent) > ALERT_RECENT) {
        vigilante_alert_record_free(g_queue_pop_head(v->recent));
    }
}

void qmp_vigilante_acknowledge(uint64_t id, Error **errp)
{
    Vigilante *v = vigilante_get();

    if (!v) {
        error_setg(errp, "there is no vigilante object");
        return;
    }
    for (GList *l = v->recent->head; l; l = l->next) {
        VigilanteAlertRecord *r = l->data;

        if (r->id == id) {
            g_queue_delete_link(v->recent, l);
            g_ptr_array_add(v->acknowledged, r);
            return;
        }
    }
    error_setg(errp, "no alert %" PRIu64 " among the last %d", id,
               ALERT_RECENT);
}

/* Bounds on the action=continue memory; past them it starts afresh. */
#define REPORTED_MAX 65536

static void set_add(GHashTable *set, uint64_t v)
{
    if (g_hash_table_size(set) >= REPORTED_MAX) {
        g_hash_table_remove_all(set);
    }
    g_hash_table_add(set, g_memdup2(&v, sizeof(v)));
}

/*
 * action=continue reports each attack once: a trap hit whose dirty bytes
 * all come from input events that an alert already named (the exploit's
 * AEC, then an ACE for each block of its shellcode) is folded into that
 * alert; the same exploit arriving again is new input, and reported.
 * Hits none of whose bytes can be mapped to an event any more fall back
 * to one report per trap (type and site).
 */
static bool already_reported(Vigilante *v, uint64_t key, GArray *events)
{
    bool any = false;

    for (guint i = 0; i < events->len; i++) {
        uint64_t e = g_array_index(events, uint64_t, i);

        if (e) {
            if (!g_hash_table_contains(v->reported_events, &e)) {
                return false;
            }
            any = true;
        }
    }
    return any || g_hash_table_contains(v->reported, &key);
}

static void mark_reported(Vigilante *v, uint64_t key, GArray *events)
{
    set_add(v->reported, key);
    for (guint i = 0; i < events->len; i++) {
        uint64_t e = g_array_index(events, uint64_t, i);

        if (e) {
            set_add(v->reported_events, e);
        }
    }
}

bool vigilante_stopping(void)
{
    Vigilante *v = vigilante_get();

    return v && v->stopping;
}

/* Called with the BQL held. */
static bool alert_locked(Vigilante *v, const VigilanteAlertSpec *spec)
{
    uint64_t key = ((uint64_t)spec->type << 62) ^ spec->site;
    /* A hit that was folded before (a hot loop): no lookups again. */
    uint64_t hit = key ^ ((spec->nlabels ? spec->labels[0] : 0) *
                          0x9e3779b97f4a7c15ull);
    bool cont = v->action == VIGILANTE_ACTION_CONTINUE;
    VigilanteLabelList *labels;
    ResolvedLabels resolved;
    GArray *events;
    g_autofree char *sca = NULL;
    Error *err = NULL;

    if (v->stopping) {
        return true;            /* reported already; the VM is stopping */
    }
    if (cont && g_hash_table_contains(v->folded_hits, &hit)) {
        v->alerts_folded++;
        return false;
    }
    resolve_labels(spec, &resolved);
    if (spec->type == VIGILANTE_ALERT_TYPE_AFA &&
        vigilante_exec_services_cover(v->exec_services, v->n_exec_services,
                                      spec->labels, resolved.events,
                                      resolved.offsets, resolved.n)) {
        /* A command service running a command: what it is for. */
        if (!v->afa_by_design++) {
            info_report("vigilante: execve of a path from an exec service "
                        "(%s) is by design, not reported",
                        v->exec_services_text);
        }
        resolved_labels_clear(&resolved);
        return false;
    }
    events = label_events(&resolved);
    if (acknowledged(v, key, events) ||
        (cont && already_reported(v, key, events))) {
        if (cont) {
            set_add(v->folded_hits, hit);
            v->alerts_folded++;
        }
        g_array_free(events, TRUE);
        resolved_labels_clear(&resolved);
        return false;
    }
    labels = label_list(&resolved);
    resolved_labels_clear(&resolved);
    if (cont) {
        mark_reported(v, key, events);
    }
    v->nalerts++;
    remember(v, v->nalerts, key, events);
    log_alert(v, spec, labels);
    if (v->alert_dir) {
        sca = vigilante_sca_write(v, spec, v->nalerts, &err);
        if (sca) {
            info_report("vigilante: alert %" PRIu64 ": SCA written to %s",
                        v->nalerts, sca);
        } else {
            warn_report("vigilante: alert %" PRIu64 ": no SCA: %s",
                        v->nalerts, error_get_pretty(err));
        }
    }
    qapi_event_send_vigilante_alert(v->nalerts, spec->type, spec->pc,
                                    spec->insn, spec->target, labels,
                                    v->action, !!sca, sca, !!err,
                                    err ? error_get_pretty(err) : NULL);
    qapi_free_VigilanteLabelList(labels);
    error_free(err);

    switch (v->action) {
    case VIGILANTE_ACTION_PAUSE:
        v->stopping = true;
        qemu_system_vmstop_request_prepare();
        qemu_system_vmstop_request(RUN_STATE_PAUSED);
        return true;
    case VIGILANTE_ACTION_QUIT:
        v->stopping = true;
        qemu_system_shutdown_request(SHUTDOWN_CAUSE_HOST_ERROR);
        return true;
    default:
        return false;
    }
}

bool vigilante_alert(const VigilanteAlertSpec *spec)
{
    bool locked = qemu_mutex_iothread_locked();
    Vigilante *v;
    bool stop = false;

    if (!locked) {
        qemu_mutex_lock_iothread();
    }
    v = vigilante_get();
    if (v && vigilante_policy_enabled(spec->type)) {
        stop = alert_locked(v, spec);
    }
    if (!locked) {
        qemu_mutex_unlock_iothread();
    }
    return stop;
}
