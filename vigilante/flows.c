/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Flows and messages of the event log (flows.h), for SCA generation and
 * QMP query-vigilante-flows.
 */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-vigilante.h"
#include "vigilante/event-log.h"
#include "vigilante/flows.h"

static void flow_free(gpointer p)
{
    VigilanteFlow *fl = p;

    g_array_free(fl->messages, TRUE);
    g_free(fl);
}

static bool same_key(const VigilanteFrameInfo *a, const VigilanteFrameInfo *b)
{
    return a->transport == b->transport && a->src_ip == b->src_ip &&
           a->dst_ip == b->dst_ip && a->src_port == b->src_port &&
           a->dst_port == b->dst_port;
}

const VigilanteFlow *vigilante_flows_find_event(GPtrArray *flows,
                                                const VigilanteFrameInfo *key,
                                                uint64_t event)
{
    const VigilanteFlow *by_seq = NULL;

    for (guint i = flows->len; i > 0; i--) {
        const VigilanteFlow *fl = flows->pdata[i - 1];

        if (!same_key(&fl->key, key)) {
            continue;
        }
        for (guint k = 0; k < fl->messages->len; k++) {
            const VigilanteMessage *m = &g_array_index(fl->messages,
                                                       VigilanteMessage, k);

            if (m->event == event) {
                return fl;
            }
            if (!by_seq && fl->key.transport == 6 && m->seq == key->seq) {
                by_seq = fl;
            }
        }
    }
    return by_seq;
}

/*
 * While building: the flows, and the newest flow of each key, so that a
 * log full of short flows (a worm scanning a honeypot) is grouped in
 * time linear in the frames.
 */
typedef struct {
    GPtrArray *flows;
    GHashTable *newest;         /* FlowKey -> VigilanteFlow */
} Builder;

typedef struct {
    uint32_t src_ip, dst_ip;
    uint16_t src_port, dst_port;
    uint8_t transport;
} FlowKey;

static guint key_hash(gconstpointer k)
{
    const FlowKey *f = k;

    return f->src_ip * 31u + f->dst_ip * 17u + (f->src_port << 16 |
           f->dst_port) + f->transport;
}

static gboolean key_equal(gconstpointer a, gconstpointer b)
{
    const FlowKey *x = a, *y = b;

    return x->src_ip == y->src_ip && x->dst_ip == y->dst_ip &&
           x->src_port == y->src_port && x->dst_port == y->dst_port &&
           x->transport == y->transport;
}

static FlowKey *key_of(const VigilanteFrameInfo *fi)
{
    FlowKey *k = g_new0(FlowKey, 1);

    k->src_ip = fi->src_ip;
    k->dst_ip = fi->dst_ip;
    k->src_port = fi->src_port;
    k->dst_port = fi->dst_port;
    k->transport = fi->transport;
    return k;
}

static VigilanteFlow *flow_new(Builder *b, const VigilanteFrameInfo *fi)
{
    VigilanteFlow *fl = g_new0(VigilanteFlow, 1);

    fl->key = *fi;
    fl->messages = g_array_new(FALSE, FALSE, sizeof(VigilanteMessage));
    g_ptr_array_add(b->flows, fl);
    g_hash_table_replace(b->newest, key_of(fi), fl);
    return fl;
}

static void add_frame(const VigilanteLoggedFrame *f, void *opaque)
{
    Builder *b = opaque;
    VigilanteFrameInfo fi;
    VigilanteFlow *fl;
    VigilanteMessage m;
    g_autofree FlowKey *key = NULL;

    if (!vigilante_frame_parse(f->data, f->len, &fi)) {
        return;
    }
    key = key_of(&fi);
    fl = g_hash_table_lookup(b->newest, key);
    if (fi.transport == 6 && (fi.tcp_flags & VIGILANTE_TCP_SYN)) {
        /*
         * A new connection on the same ports is a new flow (unless the
         * last one never carried data: then it was a retry of it).
         */
        if (!fl || (fl->messages->len > 0 &&
                    (!fl->syn_seen || fl->isn != fi.seq))) {
            fl = flow_new(b, &fi);
        }
        fl->syn_seen = true;
        fl->isn = fi.seq;
        return;
    }
    if (fi.payload_len == 0) {
        return;                 /* a bare ACK, FIN or RST */
    }
    if (!fl) {
        fl = flow_new(b, &fi);
    }
    m = (VigilanteMessage) {
        .event = f->event, .time_us = f->time_us, .nic = f->nic,
        .seq = fi.seq, .data = f->data + fi.payload_offset,
        .len = fi.payload_len,
    };
    if (fi.transport == 6) {
        for (guint i = 0; i < fl->messages->len; i++) {
            VigilanteMessage *old = &g_array_index(fl->messages,
                                                   VigilanteMessage, i);

            if (old->seq == fi.seq) {
                /*
                 * A retransmission; a sender that merged segments into
                 * it carries more: keep the longer copy.
                 */
                if (m.len > old->len) {
                    *old = m;
                }
                return;
            }
        }
    }
    g_array_append_val(fl->messages, m);
}

static gint by_seq(gconstpointer a, gconstpointer b, gpointer isn)
{
    uint32_t base = GPOINTER_TO_UINT(isn);
    uint32_t x = ((const VigilanteMessage *)a)->seq - base;
    uint32_t y = ((const VigilanteMessage *)b)->seq - base;

    return x < y ? -1 : x > y;
}

GPtrArray *vigilante_flows_build(void)
{
    GPtrArray *flows = g_ptr_array_new_with_free_func(flow_free);
    Builder b = {
        flows, g_hash_table_new_full(key_hash, key_equal, g_free, NULL),
    };

    vigilante_event_log_foreach(add_frame, &b);
    g_hash_table_destroy(b.newest);
    for (guint i = 0; i < flows->len; i++) {
        VigilanteFlow *fl = flows->pdata[i];

        if (fl->key.transport != 6 || !fl->messages->len) {
            continue;
        }
        if (!fl->syn_seen) {
            /*
             * The start has left the log: count from the lowest sequence
             * number held (compared modulo 2^32 to the first).
             */
            uint32_t low = g_array_index(fl->messages, VigilanteMessage,
                                         0).seq;

            for (guint k = 1; k < fl->messages->len; k++) {
                uint32_t q = g_array_index(fl->messages, VigilanteMessage,
                                           k).seq;

                if ((int32_t)(q - low) < 0) {
                    low = q;
                }
            }
            fl->isn = low - 1;
        }
        g_array_sort_with_data(fl->messages, by_seq,
                               GUINT_TO_POINTER(fl->isn + 1));
        for (guint k = 0; k < fl->messages->len; k++) {
            VigilanteMessage *m = &g_array_index(fl->messages,
                                                 VigilanteMessage, k);

            m->stream_offset = (uint32_t)(m->seq - fl->isn - 1);
        }
    }
    return flows;
}

static char *endpoint(uint32_t ip, uint16_t port)
{
    return g_strdup_printf("%u.%u.%u.%u:%u", ip >> 24, (ip >> 16) & 0xff,
                           (ip >> 8) & 0xff, ip & 0xff, port);
}

VigilanteFlowInfoList *qmp_query_vigilante_flows(Error **errp)
{
    g_autoptr(GPtrArray) flows = NULL;
    VigilanteFlowInfoList *head = NULL, **tail = &head;

    if (!vigilante_event_log_active()) {
        error_setg(errp, "the event log is off (needs a vigilante object "
                   "with log-frames > 0 and -accel tcg,taint=on)");
        return NULL;
    }
    flows = vigilante_flows_build();
    for (guint i = 0; i < flows->len; i++) {
        const VigilanteFlow *fl = flows->pdata[i];
        VigilanteFlowInfo *info = g_new0(VigilanteFlowInfo, 1);
        VigilanteMessageInfoList **mtail = &info->messages;

        info->transport = g_strdup(fl->key.transport == 6 ? "tcp" : "udp");
        info->source = endpoint(fl->key.src_ip, fl->key.src_port);
        info->destination = endpoint(fl->key.dst_ip, fl->key.dst_port);
        info->start_seen = fl->key.transport != 6 || fl->syn_seen;
        for (guint k = 0; k < fl->messages->len; k++) {
            const VigilanteMessage *m = &g_array_index(fl->messages,
                                                       VigilanteMessage, k);
            VigilanteMessageInfo *mi = g_new0(VigilanteMessageInfo, 1);

            mi->event = m->event;
            mi->time_us = m->time_us;
            mi->nic = g_strdup(m->nic);
            mi->length = m->len;
            if (fl->key.transport == 6) {
                mi->has_stream_offset = true;
                mi->stream_offset = m->stream_offset;
            }
            QAPI_LIST_APPEND(mtail, mi);
        }
        QAPI_LIST_APPEND(tail, info);
    }
    return head;
}
