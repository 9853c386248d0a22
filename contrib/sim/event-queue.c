/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigilante-sim: pending-event queue (binary min-heap on time).
 *
 * Ties are broken by node and kind so that the order of simultaneous
 * events does not depend on the heap's internal layout.
 */
#include <glib.h>

#include "event-queue.h"

static inline bool event_before(const SimEvent *a, const SimEvent *b)
{
    if (a->time != b->time) {
        return a->time < b->time;
    }
    if (a->node != b->node) {
        return a->node < b->node;
    }
    return a->kind < b->kind;
}

void event_queue_init(EventQueue *q)
{
    q->capacity = 1024;
    q->len = 0;
    q->seq_pushed = 0;
    q->heap = g_new(SimEvent, q->capacity);
}

void event_queue_destroy(EventQueue *q)
{
    g_free(q->heap);
    q->heap = NULL;
    q->len = q->capacity = 0;
}

void event_queue_clear(EventQueue *q)
{
    q->len = 0;
    q->seq_pushed = 0;
}

void event_queue_push(EventQueue *q, double time, uint32_t node,
                      uint32_t kind)
{
    SimEvent ev = { time, node, kind };
    uint32_t i;

    if (q->len == q->capacity) {
        q->capacity *= 2;
        q->heap = g_renew(SimEvent, q->heap, q->capacity);
    }
    i = q->len++;
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;

        if (!event_before(&ev, &q->heap[parent])) {
            break;
        }
        q->heap[i] = q->heap[parent];
        i = parent;
    }
    q->heap[i] = ev;
    q->seq_pushed++;
}

bool event_queue_pop(EventQueue *q, SimEvent *ev)
{
    SimEvent last;
    uint32_t i = 0;

    if (q->len == 0) {
        return false;
    }
    *ev = q->heap[0];
    last = q->heap[--q->len];
    for (;;) {
        uint32_t child = 2 * i + 1;

        if (child >= q->len) {
            break;
        }
        if (child + 1 < q->len &&
            event_before(&q->heap[child + 1], &q->heap[child])) {
            child++;
        }
        if (!event_before(&q->heap[child], &last)) {
            break;
        }
        q->heap[i] = q->heap[child];
        i = child;
    }
    if (q->len > 0) {
        q->heap[i] = last;
    }
    return true;
}
