/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Event log: every frame registered as an input event is copied into a
 * ring of the last N frames, so that an alert's labels (event, offset)
 * can be turned back into the messages that caused it, and the traffic
 * can be exported for analysis (pcap).
 */
#include "qemu/osdep.h"
#include "qemu/iov.h"
#include "qapi/qapi-commands-vigilante.h"
#include "hw-taint/taint.h"
#include "hw-taint/input.h"
#include "vigilante/event-log.h"
#include "vigilante/exec-services.h"
#include "vigilante/frames.h"

#include <pcap/pcap.h>

typedef VigilanteLoggedFrame LoggedFrame;

static LoggedFrame *frames;
static uint32_t capacity;
static uint64_t nlogged;
static uint64_t held_bytes;     /* of the frames in the ring */
static uint64_t ndests;         /* destinations recorded */

/*
 * Where each of the last DEST_RING input events went, kept after its
 * copy has left the frame ring: as many events as hw-taint's input record
 * can map labels to, so that a label that can be looked up can also be
 * attributed to a service (exec-services).
 */
#define DEST_RING HW_TAINT_INPUT_EVENTS_KEPT
static struct {
    uint64_t event;             /* 0: empty */
    VigilanteFrameDest dest;
} *dests;

static void record_dest(uint64_t event, const uint8_t *data, size_t len)
{
    VigilanteFrameInfo fi;
    VigilanteFrameDest d = { 0 };

    if (vigilante_frame_parse(data, len, &fi)) {
        d.transport = fi.transport;
        d.port = fi.dst_port;
        d.payload_offset = fi.payload_offset;
        d.payload_len = fi.payload_len;
    }
    dests[event % DEST_RING].event = event;
    dests[event % DEST_RING].dest = d;
    ndests++;
    if (d.transport) {
        vigilante_exec_services_note(event, &d);
    }
}

static void record_frame(uint64_t event, const char *nic,
                         const struct iovec *iov, int iovcnt)
{
    size_t len = iov_size(iov, iovcnt);
    LoggedFrame *f;
    uint8_t *data;

    if (!frames) {
        data = g_malloc(len);
        iov_to_buf(iov, iovcnt, 0, data, len);
        record_dest(event, data, len);
        g_free(data);
        return;
    }
    f = &frames[nlogged % capacity];
    held_bytes -= f->data ? f->len : 0;
    g_free(f->data);
    f->event = event;
    f->time_us = g_get_real_time();
    g_strlcpy(f->nic, nic ? nic : "", sizeof(f->nic));
    f->len = len;
    f->data = g_malloc(f->len);
    held_bytes += f->len;
    iov_to_buf(iov, iovcnt, 0, f->data, f->len);
    record_dest(event, f->data, f->len);
    nlogged++;
}

void vigilante_event_log_start(uint32_t n)
{
    hw_taint_set_input_observer(NULL);
    for (uint32_t i = 0; frames && i < capacity; i++) {
        g_free(frames[i].data);
    }
    g_free(frames);
    frames = n ? g_new0(LoggedFrame, n) : NULL;
    capacity = n;
    nlogged = 0;
    held_bytes = 0;
    if (!dests) {
        dests = g_malloc0(sizeof(*dests) * DEST_RING);
    }
    hw_taint_set_input_observer(record_frame);
}

bool vigilante_event_dest(uint64_t event, VigilanteFrameDest *out)
{
    if (!dests || !event || dests[event % DEST_RING].event != event) {
        return false;
    }
    *out = dests[event % DEST_RING].dest;
    return true;
}

uint64_t vigilante_event_log_bytes(void)
{
    /* Arrays are zeroed allocations: only entries used take memory. */
    return held_bytes +
           MIN(nlogged, (uint64_t)capacity) * sizeof(LoggedFrame) +
           (dests ? MIN(ndests, (uint64_t)DEST_RING) * sizeof(*dests) : 0);
}

bool vigilante_event_log_active(void)
{
    return frames != NULL;
}

void vigilante_event_log_foreach(VigilanteFrameFn *fn, void *opaque)
{
    uint64_t held = MIN(nlogged, (uint64_t)capacity);

    for (uint64_t i = nlogged - held; i < nlogged; i++) {
        const LoggedFrame *f = &frames[i % capacity];

        fn(f, opaque);
    }
}

const uint8_t *vigilante_event_log_frame(uint64_t event, size_t *len)
{
    uint64_t held = MIN(nlogged, (uint64_t)capacity);

    /* Newest first: an alert's frame is usually recent. */
    for (uint64_t i = nlogged; i > nlogged - held; i--) {
        const LoggedFrame *f = &frames[(i - 1) % capacity];

        if (f->event == event) {
            *len = f->len;
            return f->data;
        }
    }
    return NULL;
}

bool vigilante_event_log_dump_pcap(const char *filename, Error **errp)
{
    uint64_t held = MIN(nlogged, (uint64_t)capacity);
    pcap_t *p;
    pcap_dumper_t *d;

    if (!frames) {
        error_setg(errp, "the event log is off (needs a vigilante object "
                   "with log-frames > 0 and -accel tcg,taint=on)");
        return false;
    }
    p = pcap_open_dead(DLT_EN10MB, 65535);
    if (!p) {
        error_setg(errp, "libpcap: cannot open a pcap handle");
        return false;
    }
    d = pcap_dump_open(p, filename);
    if (!d) {
        error_setg(errp, "cannot write '%s': %s", filename, pcap_geterr(p));
        pcap_close(p);
        return false;
    }
    for (uint64_t i = nlogged - held; i < nlogged; i++) {
        const LoggedFrame *f = &frames[i % capacity];
        struct pcap_pkthdr h = {
            .ts = { .tv_sec = f->time_us / G_USEC_PER_SEC,
                    .tv_usec = f->time_us % G_USEC_PER_SEC },
            .caplen = f->len,
            .len = f->len,
        };

        pcap_dump((u_char *)d, &h, f->data);
    }
    pcap_dump_close(d);
    pcap_close(p);
    return true;
}

void qmp_vigilante_log_dump(const char *filename, Error **errp)
{
    vigilante_event_log_dump_pcap(filename, errp);
}
