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
#include "vigilante/event-log.h"

#include <pcap/pcap.h>

typedef VigilanteLoggedFrame LoggedFrame;

static LoggedFrame *frames;
static uint32_t capacity;
static uint64_t nlogged;

static void record_frame(uint64_t event, const char *nic,
                         const struct iovec *iov, int iovcnt)
{
    LoggedFrame *f = &frames[nlogged % capacity];

    g_free(f->data);
    f->event = event;
    f->time_us = g_get_real_time();
    g_strlcpy(f->nic, nic ? nic : "", sizeof(f->nic));
    f->len = iov_size(iov, iovcnt);
    f->data = g_malloc(f->len);
    iov_to_buf(iov, iovcnt, 0, f->data, f->len);
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
    if (n) {
        hw_taint_set_input_observer(record_frame);
    }
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
