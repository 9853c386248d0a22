/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The write-what-where policy's test: is the address of a store one the
 * attacker chose?  The taint engine asks only when every significant byte
 * of the address is dirty; the answer is yes when those bytes, read from
 * the frame that delivered them, spell the address (little-endian) give
 * or take a field offset.  A pointer copied from a message passes; an
 * index scaled into a table, a hash bucket, a buffer advanced by a
 * length from the message do not: their values are not the bytes their
 * labels name.  See docs/taint-engine.md, "Write-what-where".
 */
#include "qemu/osdep.h"
#include "qemu/main-loop.h"
#include "hw-taint/input.h"
#include "vigilante/detector.h"
#include "vigilante/event-log.h"

/* How far from the spelled pointer a store may land (p->field). */
#define PLACED_NEAR 4096

static bool spelled_value(TaintLabel first, unsigned width, uint64_t *out)
{
    uint64_t event, e;
    uint32_t off, o;
    const uint8_t *frame;
    size_t len;

    if (!hw_taint_label_lookup(first, &event, &off) ||
        !hw_taint_label_lookup(first + width - 1, &e, &o) ||
        e != event || o != off + width - 1) {
        return false;
    }
    frame = vigilante_event_log_frame(event, &len);
    if (!frame || off + width > len) {
        return false;
    }
    *out = 0;
    for (unsigned i = 0; i < width; i++) {
        *out |= (uint64_t)frame[off + i] << (8 * i);
    }
    return true;
}

bool vigilante_address_chosen(uint64_t addr, TaintLabel first,
                              unsigned width)
{
    uint64_t mask = width >= 8 ? UINT64_MAX : (1ull << (8 * width)) - 1;
    bool locked = qemu_mutex_iothread_locked();
    uint64_t spelled, d;
    bool ok;

    if (!width || width > 8 || taint_label_placed(first)) {
        return false;
    }
    /* The input record and the log change under the main loop's lock. */
    if (!locked) {
        qemu_mutex_lock_iothread();
    }
    ok = spelled_value(first, width, &spelled);
    if (!locked) {
        qemu_mutex_unlock_iothread();
    }
    if (!ok) {
        return false;
    }
    d = (addr - spelled) & mask;
    return d <= PLACED_NEAR || ((-d) & mask) <= PLACED_NEAR;
}
