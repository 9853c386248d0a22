/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SCA generation.  The alert's first dirty byte names an input event and
 * an offset; the event log holds that frame; its UDP datagram, or the
 * messages of its TCP connection (flows.c) up to and including the
 * segment, become
 * the SCA's messages (application payloads, so that a verifier can replay
 * TCP messages over a fresh connection), and the run of consecutive
 * dirty bytes from that offset, within the payload, becomes the hint
 * (for ACE, the detector follows the run past the translated block; for
 * AFA, the path's dirty bytes, with or without a terminator).
 *
 * This is the tentative SCA of the paper: nothing is minimised yet (that
 * needs replays from a ready snapshot, which the verifier brings).
 */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "hw-taint/input.h"
#include "vigilante/event-log.h"
#include "vigilante/flows.h"
#include "vigilante/frames.h"
#include "vigilante/sca.h"
#include "vigilante/sca-gen.h"

/*
 * The TCP messages of the attacking connection up to and including the
 * attacking segment (at most SCA_MAX_MESSAGES, the attack last), the
 * attacking one exactly as the alert's frame carried it (the hint's
 * offset is into that frame).  Returns the hint's message index, or -1.
 */
static int add_tcp_messages(Sca *sca, const VigilanteFrameInfo *fi,
                            uint64_t event, const uint8_t *frame)
{
    g_autoptr(GPtrArray) flows = vigilante_flows_build();
    const VigilanteFlow *fl = vigilante_flows_find_event(flows, fi, event);
    guint end = 0, first;

    if (!fl) {
        return -1;
    }
    while (end < fl->messages->len &&
           (int32_t)(g_array_index(fl->messages, VigilanteMessage,
                                   end).seq - fi->seq) < 0) {
        end++;
    }
    /* [0, end) come before the attack; then the attack itself. */
    first = end + 1 > SCA_MAX_MESSAGES ? end + 1 - SCA_MAX_MESSAGES : 0;
    for (guint i = first; i < end; i++) {
        const VigilanteMessage *m = &g_array_index(fl->messages,
                                                   VigilanteMessage, i);

        sca_add_message(sca, SCA_TRANSPORT_TCP, fi->dst_port, m->data,
                        m->len);
    }
    sca_add_message(sca, SCA_TRANSPORT_TCP, fi->dst_port,
                    frame + fi->payload_offset, fi->payload_len);
    return sca->messages->len - 1;
}

static ScaType sca_type(VigilanteAlertType t)
{
    switch (t) {
    case VIGILANTE_ALERT_TYPE_ACE:
        return SCA_TYPE_ACE;
    case VIGILANTE_ALERT_TYPE_AFA:
        return SCA_TYPE_AFA;
    case VIGILANTE_ALERT_TYPE_WWW:
        return SCA_TYPE_WWW;    /* the hint: the pointer's bytes */
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
        offset >= fi.payload_offset + fi.payload_len) {
        error_setg(errp, "the dirty bytes lie in the headers of input "
                   "event %" PRIu64 ", not in its payload", event);
        return NULL;
    }
    /*
     * WWW: the pointer the program stored through, whole (its first
     * byte's label leads the target's; a narrow store, %hn, placed
     * fewer bytes than the pointer has).
     */
    if (spec->type == VIGILANTE_ALERT_TYPE_WWW) {
        run = spec->code_bits == 64 ? 8 : 4;
    }
    /* A run followed through memory may go on into the frame's padding. */
    run = MIN(run, fi.payload_offset + fi.payload_len - offset);

    sca = sca_new(sca_type(spec->type), v->program);
    memcpy(sca->digest, v->program_digest, sizeof(sca->digest));
    if (fi.transport == 17) {
        sca_add_message(sca, SCA_TRANSPORT_UDP, fi.dst_port,
                        frame + fi.payload_offset, fi.payload_len);
        sca->hint_message = 0;
    } else {
        int hint = add_tcp_messages(sca, &fi, event, frame);

        if (hint < 0) {
            error_setg(errp, "the TCP connection of input event %" PRIu64
                       " is not in the event log", event);
            return NULL;
        }
        sca->hint_message = hint;
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
