/*
 * The event log: copies of the frames the NICs delivered to the guest,
 * with their input event ids, in a bounded ring.
 */
#ifndef VIGILANTE_EVENT_LOG_H
#define VIGILANTE_EVENT_LOG_H

#include "qapi/error.h"

/* Start recording into a ring of `capacity` frames (0: stop). */
void vigilante_event_log_start(uint32_t capacity);

/* Write the frames held, oldest first, as a pcap file (Ethernet). */
bool vigilante_event_log_dump_pcap(const char *filename, Error **errp);

#endif
