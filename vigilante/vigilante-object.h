/*
 * The vigilante QOM object (see object.c for its properties).
 */
#ifndef VIGILANTE_OBJECT_H
#define VIGILANTE_OBJECT_H

#include "qom/object.h"
#include "sysemu/runstate.h"
#include "vigilante/detector.h"

#define TYPE_VIGILANTE "vigilante"
OBJECT_DECLARE_SIMPLE_TYPE(Vigilante, VIGILANTE)

struct Vigilante {
    Object parent_obj;

    bool aec, ace, afa;
    VigilanteAction action;
    uint32_t log_frames;        /* event log capacity, frames */
    char *alert_dir;            /* where SCAs go, or NULL */
    char *program;              /* program name in SCAs */
    uint8_t program_digest[32];

    uint64_t nalerts;
    GHashTable *reported;       /* (type, pc) keys, for action=continue */
    bool stopping;              /* an alert asked to pause or quit */
    bool warned_no_taint;
    VMChangeStateEntry *vmse;
};

/* The one vigilante object, or NULL. */
Vigilante *vigilante_get(void);

#endif
