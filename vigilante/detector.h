/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The detector: the vigilante object's policies and the alert path that
 * the taint engine's sink checks call.
 */
#ifndef VIGILANTE_DETECTOR_H
#define VIGILANTE_DETECTOR_H

#include "qapi/qapi-types-vigilante.h"
#include "hw-taint/shadow-mem.h"
#include "vigilante/sca.h"

/* Is there a vigilante object, with this policy on? */
bool vigilante_policy_enabled(VigilanteAlertType type);

typedef struct VigilanteAlertSpec {
    VigilanteAlertType type;
    uint64_t pc;                /* instruction about to run */
    const char *insn;           /* its disassembly */
    uint64_t target;            /* see VIGILANTE_ALERT */
    const TaintLabel *labels;   /* dirty bytes involved, address order */
    size_t nlabels;
    /*
     * What makes two alerts the same attack, for action=continue (with
     * the type): the trap's pc, or for ace a hash of the dirty code,
     * which lands at a new address with each receive buffer.
     */
    uint64_t site;
    uint8_t code_bits;          /* ace, www: 16, 32 or 64 (the mode) */
    ScaCall afa_call;           /* afa: the call */
} VigilanteAlertSpec;

/*
 * The write-what-where policy (placed.c): do the `width` input bytes
 * labelled first, first + 1, ... spell addr, give or take a field
 * offset?  False when they cannot be read back (the frame has left the
 * event log, or log-frames is 0).  Takes the BQL when not held.
 */
bool vigilante_address_chosen(uint64_t addr, TaintLabel first,
                              unsigned width);

/* Has an alert asked the VM to pause or quit, which has not happened yet? */
bool vigilante_stopping(void);

/*
 * Report an infection attempt (emits VIGILANTE_ALERT, logs it, and
 * carries out the action).  Returns true when the guest must not go on:
 * the caller leaves the CPU loop before the attack takes effect.
 * Called from the vCPU thread; takes the BQL itself.
 */
bool vigilante_alert(const VigilanteAlertSpec *spec);

#endif
