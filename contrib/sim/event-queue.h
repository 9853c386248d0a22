/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigilante-sim: pending-event queue (binary min-heap on time).
 */
#ifndef SIM_EVENT_QUEUE_H
#define SIM_EVENT_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct SimEvent {
    double time;
    uint32_t node;
    uint32_t kind;
} SimEvent;

typedef struct EventQueue {
    SimEvent *heap;
    uint32_t len;
    uint32_t capacity;
    uint64_t seq_pushed;        /* statistics: events ever pushed */
} EventQueue;

void event_queue_init(EventQueue *q);
void event_queue_destroy(EventQueue *q);
void event_queue_clear(EventQueue *q);
void event_queue_push(EventQueue *q, double time, uint32_t node,
                      uint32_t kind);
/* Remove the earliest event into *ev; false if the queue is empty. */
bool event_queue_pop(EventQueue *q, SimEvent *ev);

static inline bool event_queue_empty(const EventQueue *q)
{
    return q->len == 0;
}

/* Time of the earliest event; the queue must not be empty. */
static inline double event_queue_peek_time(const EventQueue *q)
{
    return q->heap[0].time;
}

#endif
