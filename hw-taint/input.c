/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Input events: each frame a virtual NIC delivers to the guest gets an
 * event id and a run of labels, one per byte, handed out consecutively so
 * that a label alone names the frame and the offset in it.  A ring keeps
 * the recent frames' label runs to map a label back to (event, offset).
 */
#include "qemu/osdep.h"
#include "qemu/iov.h"
#include "qemu/timer.h"
#include "hw-taint/taint.h"
#include "hw-taint/input.h"

#define INPUT_RING_SIZE HW_TAINT_INPUT_EVENTS_KEPT

typedef struct InputRun {
    uint64_t event;
    TaintLabel first;
    uint32_t len;
} InputRun;

static InputRun ring[INPUT_RING_SIZE];
static uint64_t nevents;            /* also the next event id - 1 */
static uint64_t nbytes;
static TaintLabel next_label = 1;
static uint64_t label_wraps;        /* times next_label went back to 1 */
static HWTaintInputObserver *observer;

void hw_taint_set_input_observer(HWTaintInputObserver *fn)
{
    observer = fn;
}

TaintLabel hw_taint_input_frame(const char *nic, const struct iovec *iov,
                                int iovcnt)
{
    size_t size;
    InputRun *r;

    if (!hw_taint_on) {
        return 0;
    }
    size = iov_size(iov, iovcnt);
    if (size == 0) {
        return 0;
    }
    /*
     * Keep a frame's labels contiguous: skip to 1 instead of wrapping
     * through 0 in the middle of it (or into the placed bit).
     */
    if ((uint64_t)next_label + size >= TAINT_LABEL_PLACED) {
        next_label = 1;
        label_wraps++;
    }
    r = &ring[nevents % INPUT_RING_SIZE];
    r->event = ++nevents;
    r->first = next_label;
    r->len = size;
    next_label += size;
    nbytes += size;
    if (observer) {
        observer(r->event, nic, iov, iovcnt);
    }
    return r->first;
}

TaintLabel hw_taint_input_buf(const char *nic, const void *buf, size_t size)
{
    struct iovec iov = { .iov_base = (void *)buf, .iov_len = size };

    return hw_taint_input_frame(nic, &iov, 1);
}

bool hw_taint_label_lookup(TaintLabel label, uint64_t *event,
                           uint32_t *offset)
{
    label = taint_label_input(label);
    /* Newest first: recent input is what an alert is about. */
    for (uint64_t i = 0; i < MIN(nevents, INPUT_RING_SIZE); i++) {
        const InputRun *r = &ring[(nevents - 1 - i) % INPUT_RING_SIZE];

        if (label >= r->first && label - r->first < r->len) {
            *event = r->event;
            *offset = label - r->first;
            return true;
        }
    }
    return false;
}

bool hw_taint_event_labels(uint64_t event, TaintLabel *first, uint32_t *len)
{
    const InputRun *r;

    if (!event || event > nevents || nevents - event >= INPUT_RING_SIZE) {
        return false;
    }
    r = &ring[(event - 1) % INPUT_RING_SIZE];
    *first = r->first;
    *len = r->len;
    return r->event == event;
}

uint64_t hw_taint_label_wraps(void)
{
    return label_wraps;
}

uint64_t hw_taint_input_events(void)
{
    return nevents;
}

uint64_t hw_taint_input_bytes(void)
{
    return nbytes;
}
