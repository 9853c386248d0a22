/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The event log: copies of the frames the NICs delivered to the guest,
 * with their input event ids, in a bounded ring.
 */
#ifndef VIGILANTE_EVENT_LOG_H
#define VIGILANTE_EVENT_LOG_H

#include "qapi/error.h"

/*
 * Start recording into a ring of `capacity` frames (0: no copies), and
 * the destination of every input event (below).
 */
void vigilante_event_log_start(uint32_t capacity);

/* Where an input event's frame went, if it was IPv4 UDP or TCP. */
typedef struct VigilanteFrameDest {
    uint8_t transport;          /* 6 TCP, 17 UDP; 0 anything else */
    uint16_t port;              /* destination port */
    uint16_t payload_offset;    /* where the message starts in the frame */
    uint16_t payload_len;       /* and its length (no Ethernet padding) */
} VigilanteFrameDest;

/*
 * The destination of input event `event`, for the last 65,536 events
 * (as far back as labels can be looked up), whatever log-frames is;
 * false for older or unknown events.  Needs the BQL.
 */
bool vigilante_event_dest(uint64_t event, VigilanteFrameDest *out);

/* Host memory the log holds (frames, their records, destinations). */
uint64_t vigilante_event_log_bytes(void);

/* Is the log recording? */
bool vigilante_event_log_active(void);

/*
 * The logged frame of input event `event`, or NULL (not logged, or
 * overwritten since).  Valid until the next frame is logged (BQL).
 */
const uint8_t *vigilante_event_log_frame(uint64_t event, size_t *len);

/* A frame held in the log. */
typedef struct VigilanteLoggedFrame {
    uint64_t event;
    int64_t time_us;            /* host real time of receipt */
    char nic[32];               /* the NIC's QOM id or model */
    size_t len;
    uint8_t *data;
} VigilanteLoggedFrame;

/* Call fn on every frame held, oldest first. */
typedef void VigilanteFrameFn(const VigilanteLoggedFrame *f, void *opaque);
void vigilante_event_log_foreach(VigilanteFrameFn *fn, void *opaque);

/* Write the frames held, oldest first, as a pcap file (Ethernet). */
bool vigilante_event_log_dump_pcap(const char *filename, Error **errp);

#endif
