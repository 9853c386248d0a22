/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A packet capture (pcap or pcapng, read with libpcap) turned into the
 * flows a service profile's program would have received: UDP datagrams
 * by (client, server) pair, TCP streams reassembled in sequence order.
 * For `vigilante replay` (docs/replay.md).
 */
#ifndef VIGILANTE_CAPTURE_H
#define VIGILANTE_CAPTURE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "profile.h"

#define VG_CAPTURE_ERROR (vg_capture_error_quark())
GQuark vg_capture_error_quark(void);

typedef enum {
    VG_CAPTURE_ERROR_OPEN,      /* not a capture libpcap reads */
    VG_CAPTURE_ERROR_LINKTYPE,  /* a link type without IP in it */
    VG_CAPTURE_ERROR_FILTER,    /* a BPF expression that does not compile */
} VgCaptureError;

/* Per flow, what a replay may not send as captured. */
#define VG_FLOW_MAX_BYTES       (1u << 20)  /* client bytes kept */
#define VG_FLOW_MAX_DATAGRAMS   64          /* an SCA's message limit */

typedef struct {
    guint index;                /* from 1, in order of the first packet */
    uint8_t transport;          /* 6 TCP, 17 UDP */
    char *client, *server;      /* "ADDR:PORT", as captured */
    uint16_t port;              /* the profile's port it is for */
    guint first_packet;         /* its first packet's number (from 1) */
    double first_time;          /* that packet's time, seconds */
    guint packets;              /* of this flow, both directions */
    /* What the client sent: the datagrams, or the stream (one GBytes). */
    GPtrArray *messages;
    guint64 client_bytes;       /* as captured, before any cut */
    guint64 server_bytes;       /* the other direction, for the record */
    bool start_seen;            /* TCP: the client's SYN is in the capture */
    guint retransmitted;        /* TCP segments carrying bytes seen before */
    guint conflicting;          /* of those, with other bytes (first wins) */
    bool gap;                   /* TCP: bytes missing; the stream stops */
    guint64 gap_at;             /* there (a stream offset) */
    bool cut;                   /* beyond VG_FLOW_MAX_*: the rest dropped */
    guint snapped;              /* packets cut short by the snap length */
    char sha256[65];            /* of the client's bytes as replayed */
} VgCaptureFlow;

typedef struct {
    char *linktype;             /* libpcap's name for it */
    guint packets;              /* read (that passed the BPF filter) */
    guint in_flows;             /* packets of the flows below */
    guint not_ip;               /* not IPv4/IPv6 UDP or TCP */
    guint malformed;            /* headers that do not fit */
    guint fragments;            /* IP fragments: not reassembled */
    guint other_ports;          /* UDP or TCP, for no port of the profile */
    /*
     * Reading stopped early (a truncated or damaged file): why; the
     * flows read before it are kept.
     */
    char *stopped;
    GPtrArray *flows;           /* VgCaptureFlow, by index */
} VgCapture;

/* A capture port to read as one of the profile's (a NAT's forward). */
typedef struct {
    uint16_t from, to;
} VgPortMap;

/*
 * Read @path: the packets that pass @bpf (NULL: all), UDP or TCP to one
 * of @p's ports (after @map, @nmap entries), as flows.  NULL and *errp
 * only when nothing can be read at all.
 */
VgCapture *vg_capture_read(const char *path, const char *bpf,
                           const VgProfile *p, const VgPortMap *map,
                           guint nmap, GError **errp);
void vg_capture_free(VgCapture *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VgCapture, vg_capture_free)

#endif
