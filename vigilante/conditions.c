/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QMP interface of condition capture (accel/tcg/taint-cond.c): turning
 * it on and off, and the captured DAG with each load's input bytes
 * placed in the attack's message, for the filter generator.
 */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-vigilante.h"
#include "cpu.h"
#include "hw/core/cpu.h"
#include "hw-taint/taint.h"
#include "hw-taint/input.h"
#include "accel/tcg/taint-cond.h"
#include "vigilante/event-log.h"
#include "vigilante/filter.h"
#include "vigilante/flows.h"
#include "vigilante/frames.h"

void qmp_vigilante_capture_conditions(bool enable, Error **errp)
{
    if (!hw_taint_on) {
        error_setg(errp, "taint tracking is off (-accel tcg,taint=on)");
        return;
    }
    if (enable) {
        taint_cond_start();
    } else {
        taint_cond_stop();
    }
}

/* Where the attack's message is: its frame, and its flow for TCP. */
typedef struct {
    uint64_t event;
    VigilanteFrameInfo fi;
    GPtrArray *flows;
    const VigilanteFlow *flow;
} AttackMessage;

/* The offset in the attack's message of `width` bytes from label l. */
static bool message_offset(const AttackMessage *am, TaintLabel l,
                           unsigned width, uint64_t *out)
{
    VigilanteFrameInfo fi;
    const uint8_t *frame;
    uint64_t event;
    uint32_t off;
    size_t len;

    if (!hw_taint_label_lookup(l, &event, &off)) {
        return false;
    }
    frame = vigilante_event_log_frame(event, &len);
    if (!frame || !vigilante_frame_parse(frame, len, &fi) ||
        off < fi.payload_offset ||
        off + width > fi.payload_offset + fi.payload_len) {
        return false;
    }
    off -= fi.payload_offset;
    if (am->fi.transport == 17) {
        *out = off;
        return event == am->event;
    }
    if (!am->flow) {
        return false;
    }
    for (guint i = 0; i < am->flow->messages->len; i++) {
        const VigilanteMessage *m = &g_array_index(am->flow->messages,
                                                   VigilanteMessage, i);

        if (m->event == event) {
            *out = m->stream_offset + off;
            return true;
        }
    }
    return false;
}

static const char *kind_name(uint8_t kind)
{
    static const char *const names[] = {
        [TAINT_COND_BRANCH] = "branch",
        [TAINT_COND_SELECT] = "select",
        [TAINT_COND_PIN_ADDRESS] = "pin-address",
        [TAINT_COND_PIN_OPAQUE] = "pin-opaque",
    };

    return kind < ARRAY_SIZE(names) ? names[kind] : "unknown";
}

/*
 * The nodes the conditions reach (most of a capture's nodes are values
 * no condition tested: a copy's bytes, a checksum's sums), numbered
 * again in order (each still after its operands): new[i], 0 for the
 * others.  Returns how many are kept, node 0 included.
 */
static size_t reached_nodes(const TaintCondRecord *recs, size_t nr,
                            size_t nn, uint32_t *renum)
{
    size_t kept = 1;

    memset(renum, 0, nn * sizeof(*renum));
    for (size_t i = 0; i < nr; i++) {
        if (recs[i].node && recs[i].node < nn) {
            renum[recs[i].node] = 1;
        }
    }
    for (size_t i = nn; i-- > 1;) {
        const TaintCondNode *n = taint_cond_node(i);

        if (!renum[i]) {
            continue;
        }
        switch (vf_op_shape(n->op)) {
        case VF_SHAPE_BINARY:
            renum[n->b] = 1;
            /* fall through */
        case VF_SHAPE_EXT:
        case VF_SHAPE_UNARY:
            renum[n->a] = 1;
            break;
        default:
            break;
        }
    }
    for (size_t i = 1; i < nn; i++) {
        if (renum[i]) {
            renum[i] = kept++;
        }
    }
    return kept;
}

VigilanteConditions *qmp_query_vigilante_conditions(uint64_t event,
                                                    Error **errp)
{
    g_autofree uint32_t *renum = NULL;
    g_autoptr(GPtrArray) flows = NULL;
    VigilanteConditions *vc;
    VigilanteConditionNodeList **ntail;
    VigilanteConditionList **ctail;
    const TaintCondRecord *recs;
    AttackMessage am = { .event = event };
    const uint8_t *frame;
    size_t nn, nr, len;

    if (!hw_taint_on) {
        error_setg(errp, "taint tracking is off (-accel tcg,taint=on)");
        return NULL;
    }
    frame = vigilante_event_log_frame(event, &len);
    if (!frame || !vigilante_frame_parse(frame, len, &am.fi)) {
        error_setg(errp, "input event %" PRIu64 " is not a UDP or TCP frame "
                   "of the event log", event);
        return NULL;
    }
    if (am.fi.transport == 6) {
        flows = vigilante_flows_build();
        am.flow = vigilante_flows_find_event(flows, &am.fi, event);
    }
    nn = taint_cond_node_count();
    recs = taint_cond_records(&nr);

    vc = g_new0(VigilanteConditions, 1);
    vc->transport = g_strdup(am.fi.transport == 17 ? "udp" : "tcp");
    vc->port = am.fi.dst_port;
    vc->truncated = taint_cond_truncated();
    vc->stale = taint_cond_stale();
    if (first_cpu) {
        CPUX86State *env = &X86_CPU(first_cpu)->env;

        vc->cr3 = env->cr[3];
        vc->user = (env->hflags & HF_CPL_MASK) == 3;
    }
    renum = g_new(uint32_t, MAX(nn, 1));
    reached_nodes(recs, nr, nn, renum);
    ntail = &vc->nodes;
    for (size_t i = 0; i < nn; i++) {
        const TaintCondNode *n = taint_cond_node(i);
        VigilanteConditionNode *out;
        uint64_t off;

        if (i && !renum[i]) {
            continue;
        }
        out = g_new0(VigilanteConditionNode, 1);

        /* Node 0 is "concrete", never an operand: kept so indexes agree. */
        out->op = g_strdup(i ? vf_op_name(n->op) : "none");
        switch (i ? vf_op_shape(n->op) : VF_SHAPE_NONE) {
        case VF_SHAPE_LEN:
            /* A received length: the datagram's, or just a number. */
            if (am.fi.transport != 17 || n->val != am.fi.payload_len) {
                g_free(out->op);
                out->op = g_strdup(vf_op_name(VF_OP_CONST));
                out->has_value = true;
                out->value = n->val;
            }
            break;
        case VF_SHAPE_CONST:
            out->has_value = true;
            out->value = n->val;
            break;
        case VF_SHAPE_LOAD:
            out->has_width = true;
            out->width = n->width;
            if (message_offset(&am, n->val, n->width, &off)) {
                out->has_offset = true;
                out->offset = off;
            }
            break;
        case VF_SHAPE_EXT:
            out->has_width = true;
            out->width = n->width;
            out->has_a = true;
            out->a = renum[n->a];
            break;
        case VF_SHAPE_UNARY:
            out->has_a = true;
            out->a = renum[n->a];
            break;
        case VF_SHAPE_BINARY:
            out->has_a = out->has_b = true;
            out->a = renum[n->a];
            out->b = renum[n->b];
            break;
        default:
            break;
        }
        QAPI_LIST_APPEND(ntail, out);
    }
    ctail = &vc->conditions;
    for (size_t i = 0; i < nr; i++) {
        VigilanteCondition *c = g_new0(VigilanteCondition, 1);

        c->node = recs[i].node < nn ? renum[recs[i].node] : 0;
        c->kind = g_strdup(kind_name(recs[i].kind));
        c->user = recs[i].user;
        c->pc = recs[i].pc;
        c->cr3 = recs[i].cr3;
        QAPI_LIST_APPEND(ctail, c);
    }
    return vc;
}
