/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The event log organised into flows and messages: a UDP datagram is a
 * message; a TCP connection is a byte stream whose messages are its
 * in-order payloads, each with its offset in the stream.
 */
#ifndef VIGILANTE_FLOWS_H
#define VIGILANTE_FLOWS_H

#include "vigilante/frames.h"

typedef struct VigilanteMessage {
    uint64_t event;             /* input event of the frame */
    int64_t time_us;
    const char *nic;
    uint32_t seq;               /* TCP: sequence number of its first byte */
    uint64_t stream_offset;     /* TCP: offset in the stream; UDP: 0 */
    const uint8_t *data;        /* payload, in the event log's frame */
    size_t len;
} VigilanteMessage;

typedef struct VigilanteFlow {
    VigilanteFrameInfo key;     /* transport, addresses and ports */
    bool syn_seen;              /* TCP: the stream starts at ISN + 1 */
    uint32_t isn;               /* TCP: ISN, else the lowest seq held */
    GArray *messages;           /* of VigilanteMessage, in stream order */
} VigilanteFlow;

/*
 * The flows of the frames the event log holds, in the order of their
 * first frame.  TCP retransmissions count once; a SYN with a new ISN
 * starts a new flow.  Message data points into the log: valid until the
 * next frame is logged (BQL).  Free with g_ptr_array_unref.
 */
GPtrArray *vigilante_flows_build(void);

/*
 * The flow of the frame of input event `event` with this key (if that
 * frame was a retransmission that was not kept, the flow holding its
 * sequence number), or NULL.
 */
const VigilanteFlow *vigilante_flows_find_event(GPtrArray *flows,
                                                const VigilanteFrameInfo *key,
                                                uint64_t event);

#endif
