/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The record of input events that labels refer to.
 */
#ifndef HW_TAINT_INPUT_H
#define HW_TAINT_INPUT_H

#include "hw-taint/shadow-mem.h"

/* How many of the latest input events the record keeps. */
#define HW_TAINT_INPUT_EVENTS_KEPT 65536

/*
 * Map a label to the input event and the byte offset in it (a placed
 * label: its address's byte); false when the event has left the record.
 */
bool hw_taint_label_lookup(TaintLabel label, uint64_t *event,
                           uint32_t *offset);

/* The labels of input event `event` (first, len), while it is recorded. */
bool hw_taint_event_labels(uint64_t event, TaintLabel *first, uint32_t *len);

/* How often labels have wrapped: a label names one byte per wrap. */
uint64_t hw_taint_label_wraps(void);

uint64_t hw_taint_input_events(void);
uint64_t hw_taint_input_bytes(void);

#endif
