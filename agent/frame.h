/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The agents' wire framing (docs/agent-protocol.md): an 8-byte header
 * (magic "VG", version, type, payload length, big-endian) and a payload
 * whose size and shape depend on the type.  The decoder is incremental
 * (bytes in as TLS yields them, whole frames out) and refuses anything
 * malformed with a reason, so that the link can be closed with it.
 */
#ifndef VIGILANTE_AGENT_FRAME_H
#define VIGILANTE_AGENT_FRAME_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define VGA_PROTO_VERSION   1
#define VGA_HEADER_SIZE     8
#define VGA_DIGEST_SIZE     32          /* SHA-256 of an SCA's encoding */
#define VGA_MAX_DIGESTS     1024        /* per have/want frame */
#define VGA_MAX_NAME        64          /* hello: the agent's name */
#define VGA_MAX_REASON      256         /* close: the reason's text */

/* Refusals: code 0, the message says why. */
#define VGA_FRAME_ERROR vga_frame_error_quark()
GQuark vga_frame_error_quark(void);

typedef enum {
    VGA_FRAME_HELLO = 1,
    VGA_FRAME_SCA = 2,
    VGA_FRAME_HAVE = 3,
    VGA_FRAME_WANT = 4,
    VGA_FRAME_CLOSE = 5,
} VgaFrameType;

/* Reasons in a close frame. */
typedef enum {
    VGA_CLOSE_NORMAL = 0,       /* shutting down */
    VGA_CLOSE_MALFORMED = 1,    /* a frame the decoder refused */
    VGA_CLOSE_PROTOCOL = 2,     /* a valid frame out of place */
    VGA_CLOSE_PENALISED = 3,    /* too many SCAs that did not verify */
    VGA_CLOSE_OVERLOAD = 4,     /* the peer outran its queue */
    VGA_CLOSE_DUPLICATE = 5,    /* already linked to that node */
} VgaCloseReason;

typedef struct {
    VgaFrameType type;
    GBytes *payload;            /* the payload as received */
    /* Decoded, by type: */
    char *name;                 /* hello */
    const uint8_t *digests;     /* have, want: into payload */
    unsigned ndigests;
    VgaCloseReason reason;      /* close */
    char *reason_text;          /* close */
} VgaFrame;

void vga_frame_clear(VgaFrame *f);

/* The largest payload a frame of this type may carry (0: unknown type). */
size_t vga_frame_max_payload(VgaFrameType type);
const char *vga_frame_type_name(VgaFrameType type);
const char *vga_close_reason_name(VgaCloseReason reason);

/* Encoders: a whole frame, header and payload. */
GBytes *vga_frame_hello(const char *name);
GBytes *vga_frame_sca(GBytes *encoding);
GBytes *vga_frame_digests(VgaFrameType type, const uint8_t *digests,
                          unsigned n);
GBytes *vga_frame_close(VgaCloseReason reason, const char *text);

typedef struct VgaDecoder VgaDecoder;

VgaDecoder *vga_decoder_new(void);
void vga_decoder_free(VgaDecoder *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VgaDecoder, vga_decoder_free)
/* Append received bytes. */
void vga_decoder_feed(VgaDecoder *d, const void *data, size_t len);
/*
 * The next whole frame: 1 and *out filled, 0 when more bytes are
 * needed, -1 with *errp set when the stream is malformed (the decoder
 * then refuses everything: close the link).
 */
int vga_decoder_next(VgaDecoder *d, VgaFrame *out, GError **errp);
/* Bytes buffered and not yet a frame (a truncated stream at EOF). */
size_t vga_decoder_pending(const VgaDecoder *d);

#endif
