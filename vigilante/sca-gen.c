/*
 * SCA generation.  The alert's first dirty byte names an input event and
 * an offset; the event log holds that frame; its UDP datagram, or the
 * payloads of its TCP connection up to and including the segment, become
 * the SCA's messages (application payloads, so that a verifier can replay
 * TCP messages over a fresh connection), and the run of consecutive
 * dirty bytes from that offset becomes the hint.
 *
 * This is the tentative SCA of the paper: nothing is minimised yet (that
 * needs replays from a ready snapshot, which the verifier brings).
 */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "hw-taint/input.h"
#include "vigilante/event-log.h"
#include "vigilante/frames.h"
#include "vigilante/sca.h"
#include "vigilante/sca-gen.h"

typedef struct {
    const VigilanteFrameInfo *key;      /* the attacking segment */
    GArray *segments;                   /* of Segment */
} FlowWalk;

typedef struct {
    uint32_t seq;
    const uint8_t *data;
    size_t len;
} Segment;

/* Collect the flow's data segments, each sequence number once. */
static void collect_segment(uint64_t event, const uint8_t *data, size_t len,
                            void *opaque)
{
    FlowWalk *w = opaque;
    VigilanteFrameInfo fi;

    if (!vigilante_frame_parse(data, len, &fi) || fi.transport != 6 ||
        fi.payload_len == 0 || fi.src_ip != w->key->src_ip ||
        fi.dst_ip != w->key->dst_ip || fi.src_port != w->key->src_port ||
        fi.dst_port != w->key->dst_port ||
        (int32_t)(fi.seq - w->key->seq) > 0) {
        return;
    }
    for (guint i = 0; i < w->segments->len; i++) {
        if (g_array_index(w->segments, Segment, i).seq == fi.seq) {
            return;             /* a retransmission */
        }
    }
    g_array_append_val(w->segments, ((Segment) {
        fi.seq, data + fi.payload_offset, fi.payload_len }));
}

static gint segment_order(gconstpointer a, gconstpointer b)
{
    int32_t d = ((const Segment *)a)->seq - ((const Segment *)b)->seq;

    return d < 0 ? -1 : d > 0;
}

/* The TCP messages of the attacking connection; returns the hint's. */
static unsigned add_tcp_messages(Sca *sca, const VigilanteFrameInfo *fi)
{
    FlowWalk w = { fi, g_array_new(FALSE, FALSE, sizeof(Segment)) };
    guint first;

    vigilante_event_log_foreach(collect_segment, &w);
    g_array_sort(w.segments, segment_order);
    /* At most SCA_MAX_MESSAGES, the attacking one last. */
    first = w.segments->len > SCA_MAX_MESSAGES
            ? w.segments->len - SCA_MAX_MESSAGES : 0;
    for (guint i = first; i < w.segments->len; i++) {
        const Segment *s = &g_array_index(w.segments, Segment, i);

        sca_add_message(sca, SCA_TRANSPORT_TCP, fi->dst_port, s->data,
                        s->len);
    }
    g_array_free(w.segments, TRUE);
    return sca->messages->len - 1;
}

static ScaType sca_type(VigilanteAlertType t)
{
    switch (t) {
    case VIGILANTE_ALERT_TYPE_ACE:
        return SCA_TYPE_ACE;
    case VIGILANTE_ALERT_TYPE_AFA:
        return SCA_TYPE_AFA;
    default:
        return SCA_TYPE_AEC;
    }
}

char *vigilante_sca_write(Vigilante *v, const VigilanteAlertSpec *spec,
                          uint64_t id, Error **errp)
{
    g_autoptr(Sca) sca = NULL;
    g_autoptr(GError) gerr = NULL;
    g_autoptr(GBytes) enc = NULL;
    g_autofree char *path = NULL;
    VigilanteFrameInfo fi;
    const uint8_t *frame;
    uint64_t event, e;
    uint32_t offset, o;
    size_t flen, run = 1;

    if (!spec->nlabels ||
        !hw_taint_label_lookup(spec->labels[0], &event, &offset)) {
        error_setg(errp, "the dirty bytes' frame has left the input record");
        return NULL;
    }
    /* The hint: consecutive bytes of the same frame from the first. */
    while (run < spec->nlabels &&
           hw_taint_label_lookup(spec->labels[run], &e, &o) &&
           e == event && o == offset + run) {
        run++;
    }
    frame = vigilante_event_log_frame(event, &flen);
    if (!frame) {
        error_setg(errp, "frame of input event %" PRIu64 " is not in the "
                   "event log", event);
        return NULL;
    }
    if (!vigilante_frame_parse(frame, flen, &fi)) {
        error_setg(errp, "input event %" PRIu64 " is not an IPv4 UDP or "
                   "TCP frame", event);
        return NULL;
    }
    if (offset < fi.payload_offset ||
        offset + run > fi.payload_offset + fi.payload_len) {
        error_setg(errp, "the dirty bytes lie in the headers of input "
                   "event %" PRIu64 ", not in its payload", event);
        return NULL;
    }

    sca = sca_new(sca_type(spec->type), v->program);
    memcpy(sca->digest, v->program_digest, sizeof(sca->digest));
    if (fi.transport == 17) {
        sca_add_message(sca, SCA_TRANSPORT_UDP, fi.dst_port,
                        frame + fi.payload_offset, fi.payload_len);
        sca->hint_message = 0;
    } else {
        sca->hint_message = add_tcp_messages(sca, &fi);
    }
    sca->hint_offset = offset - fi.payload_offset;
    sca->hint_length = run;
    if (spec->type == VIGILANTE_ALERT_TYPE_ACE) {
        sca->code_bits = spec->code_bits;
    }
    if (spec->type == VIGILANTE_ALERT_TYPE_AFA) {
        sca->call = spec->afa_call;
        sca->call_arg = spec->afa_call == SCA_CALL_EXECVEAT ? 1 : 0;
    }
    g_snprintf(sca->generator, sizeof(sca->generator),
               "vigilante-qemu alert %" PRIu64, id);
    sca->time = g_get_real_time() / G_USEC_PER_SEC;

    enc = sca_encode(sca, &gerr);
    if (!enc) {
        error_setg(errp, "%s", gerr->message);
        return NULL;
    }
    path = g_strdup_printf("%s/sca-%" PRIu64 ".bin", v->alert_dir, id);
    if (!g_file_set_contents(path, g_bytes_get_data(enc, NULL),
                             g_bytes_get_size(enc), &gerr)) {
        error_setg(errp, "%s", gerr->message);
        return NULL;
    }
    return g_steal_pointer(&path);
}
