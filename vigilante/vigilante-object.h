/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The vigilante QOM object (see object.c for its properties).
 */
#ifndef VIGILANTE_OBJECT_H
#define VIGILANTE_OBJECT_H

#include "qom/object.h"
#include "sysemu/runstate.h"
#include "vigilante/detector.h"
#include "vigilante/exec-services.h"

#define TYPE_VIGILANTE "vigilante"
OBJECT_DECLARE_SIMPLE_TYPE(Vigilante, VIGILANTE)

struct Vigilante {
    Object parent_obj;

    bool aec, ace, afa, www;
    bool taint_asked;           /* taint=on given to this object */
    VigilanteAction action;
    uint32_t log_frames;        /* event log capacity, frames */
    char *alert_dir;            /* where SCAs go, or NULL */
    char *program;              /* program name in SCAs */
    uint8_t program_digest[32];
    char *exec_services_text;   /* as set, for qom-get */
    VigilanteService *exec_services;
    size_t n_exec_services;
    uint64_t afa_by_design;     /* execs let through by exec-services */

    uint64_t nalerts;
    /* action=continue: what has been reported (see alert.c) */
    GHashTable *reported;       /* (type, site) keys */
    GHashTable *reported_events;    /* input events named by alerts */
    GHashTable *folded_hits;    /* (type, site, first label) folded */
    uint64_t alerts_folded;
    GQueue *recent;             /* the last alerts, VigilanteAlertRecord */
    GPtrArray *acknowledged;    /* VigilanteAlertRecord, by the operator */
    bool stopping;              /* an alert asked to pause or quit */
    bool warned_no_taint;
    VMChangeStateEntry *vmse;
};

/* What an alert was, for vigilante-acknowledge (alert.c). */
typedef struct VigilanteAlertRecord {
    uint64_t id;
    uint64_t key;               /* type and site */
    GArray *events;             /* uint64_t input events of its labels */
} VigilanteAlertRecord;

void vigilante_alert_record_free(gpointer record);

/* The one vigilante object, or NULL. */
Vigilante *vigilante_get(void);

#endif
