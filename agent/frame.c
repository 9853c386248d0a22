/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The agents' frames: encoding, and an incremental decoder that checks
 * every field before a frame is handed out (docs/agent-protocol.md).
 */
#include <string.h>

#include "frame.h"
#include "sca.h"

GQuark vga_frame_error_quark(void)
{
    return g_quark_from_static_string("vga-frame-error-quark");
}

#define MAGIC0 'V'
#define MAGIC1 'G'

void vga_frame_clear(VgaFrame *f)
{
    g_clear_pointer(&f->payload, g_bytes_unref);
    g_clear_pointer(&f->name, g_free);
    g_clear_pointer(&f->reason_text, g_free);
    f->digests = NULL;
    f->ndigests = 0;
}

size_t vga_frame_max_payload(VgaFrameType type)
{
    switch (type) {
    case VGA_FRAME_HELLO:
        return 2 + VGA_MAX_NAME;
    case VGA_FRAME_SCA:
        return SCA_MAX_SIZE;
    case VGA_FRAME_HAVE:
    case VGA_FRAME_WANT:
        return VGA_MAX_DIGESTS * VGA_DIGEST_SIZE;
    case VGA_FRAME_CLOSE:
        return 2 + VGA_MAX_REASON;
    }
    return 0;
}

const char *vga_frame_type_name(VgaFrameType type)
{
    switch (type) {
    case VGA_FRAME_HELLO:
        return "hello";
    case VGA_FRAME_SCA:
        return "sca";
    case VGA_FRAME_HAVE:
        return "have";
    case VGA_FRAME_WANT:
        return "want";
    case VGA_FRAME_CLOSE:
        return "close";
    }
    return "unknown";
}

const char *vga_close_reason_name(VgaCloseReason reason)
{
    static const char *const names[] = {
        [VGA_CLOSE_NORMAL] = "normal",
        [VGA_CLOSE_MALFORMED] = "malformed",
        [VGA_CLOSE_PROTOCOL] = "protocol",
        [VGA_CLOSE_PENALISED] = "penalised",
        [VGA_CLOSE_OVERLOAD] = "overload",
        [VGA_CLOSE_DUPLICATE] = "duplicate",
    };

    return (unsigned)reason < G_N_ELEMENTS(names) ? names[reason] : "unknown";
}

static GBytes *frame(VgaFrameType type, const void *a, size_t alen,
                     const void *b, size_t blen)
{
    size_t len = alen + blen;
    uint8_t *buf = g_malloc(VGA_HEADER_SIZE + len);

    g_assert(len <= vga_frame_max_payload(type));
    buf[0] = MAGIC0;
    buf[1] = MAGIC1;
    buf[2] = VGA_PROTO_VERSION;
    buf[3] = type;
    buf[4] = len >> 24;
    buf[5] = len >> 16;
    buf[6] = len >> 8;
    buf[7] = len;
    if (alen) {
        memcpy(buf + VGA_HEADER_SIZE, a, alen);
    }
    if (blen) {
        memcpy(buf + VGA_HEADER_SIZE + alen, b, blen);
    }
    return g_bytes_new_take(buf, VGA_HEADER_SIZE + len);
}

GBytes *vga_frame_hello(const char *name)
{
    static const uint8_t flags[2];

    return frame(VGA_FRAME_HELLO, flags, 2, name,
                 MIN(strlen(name), VGA_MAX_NAME));
}

GBytes *vga_frame_sca(GBytes *encoding)
{
    return frame(VGA_FRAME_SCA, g_bytes_get_data(encoding, NULL),
                 g_bytes_get_size(encoding), NULL, 0);
}

GBytes *vga_frame_digests(VgaFrameType type, const uint8_t *digests,
                          unsigned n)
{
    g_assert(type == VGA_FRAME_HAVE || type == VGA_FRAME_WANT);
    g_assert(n >= 1 && n <= VGA_MAX_DIGESTS);
    return frame(type, digests, (size_t)n * VGA_DIGEST_SIZE, NULL, 0);
}

GBytes *vga_frame_close(VgaCloseReason reason, const char *text)
{
    uint8_t code[2] = { reason >> 8, reason };

    return frame(VGA_FRAME_CLOSE, code, 2, text,
                 text ? MIN(strlen(text), VGA_MAX_REASON) : 0);
}

struct VgaDecoder {
    GByteArray *buf;
    bool failed;
};

VgaDecoder *vga_decoder_new(void)
{
    VgaDecoder *d = g_new0(VgaDecoder, 1);

    d->buf = g_byte_array_new();
    return d;
}

void vga_decoder_free(VgaDecoder *d)
{
    if (d) {
        g_byte_array_unref(d->buf);
        g_free(d);
    }
}

void vga_decoder_feed(VgaDecoder *d, const void *data, size_t len)
{
    if (!d->failed) {
        g_byte_array_append(d->buf, data, len);
    }
}

size_t vga_decoder_pending(const VgaDecoder *d)
{
    return d->buf->len;
}

/* Printable ASCII only: names and reasons end up in logs. */
static char *printable(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] < 0x20 || p[i] > 0x7e) {
            return NULL;
        }
    }
    return g_strndup((const char *)p, n);
}

static bool parse_payload(VgaFrame *f, GError **errp)
{
    size_t n;
    const uint8_t *p = g_bytes_get_data(f->payload, &n);

    switch (f->type) {
    case VGA_FRAME_HELLO:
        if (n < 3 || p[0] || p[1]) {
            g_set_error(errp, VGA_FRAME_ERROR, 0,
                        "hello: %s", n < 3 ? "no name" : "unknown flags");
            return false;
        }
        f->name = printable(p + 2, n - 2);
        if (!f->name) {
            g_set_error(errp, VGA_FRAME_ERROR, 0,
                        "hello: the name is not printable ASCII");
            return false;
        }
        return true;
    case VGA_FRAME_SCA:
        if (n == 0) {
            g_set_error(errp, VGA_FRAME_ERROR, 0,
                        "sca: empty");
            return false;
        }
        return true;            /* decoded by the SCA decoder later */
    case VGA_FRAME_HAVE:
    case VGA_FRAME_WANT:
        if (n == 0 || n % VGA_DIGEST_SIZE) {
            g_set_error(errp, VGA_FRAME_ERROR, 0,
                        "%s: %zu bytes is not a whole number of digests",
                        vga_frame_type_name(f->type), n);
            return false;
        }
        f->digests = p;
        f->ndigests = n / VGA_DIGEST_SIZE;
        return true;
    case VGA_FRAME_CLOSE:
        if (n < 2) {
            g_set_error(errp, VGA_FRAME_ERROR, 0,
                        "close: no reason code");
            return false;
        }
        f->reason = (VgaCloseReason)(p[0] << 8 | p[1]);
        f->reason_text = printable(p + 2, n - 2);
        if (!f->reason_text) {
            g_set_error(errp, VGA_FRAME_ERROR, 0,
                        "close: the reason is not printable ASCII");
            return false;
        }
        return true;
    }
    g_assert_not_reached();
}

int vga_decoder_next(VgaDecoder *d, VgaFrame *out, GError **errp)
{
    const uint8_t *h = d->buf->data;
    size_t len, max;

    memset(out, 0, sizeof(*out));
    if (d->failed) {
        g_set_error(errp, VGA_FRAME_ERROR, 0,
                    "the stream was already malformed");
        return -1;
    }
    /* Refuse a bad header as soon as its bytes are in. */
    if ((d->buf->len >= 1 && h[0] != MAGIC0) ||
        (d->buf->len >= 2 && h[1] != MAGIC1)) {
        g_set_error(errp, VGA_FRAME_ERROR, 0,
                    "bad magic");
        goto fail;
    }
    if (d->buf->len >= 3 && h[2] != VGA_PROTO_VERSION) {
        g_set_error(errp, VGA_FRAME_ERROR, 0,
                    "protocol version %u (this agent speaks %u)", h[2],
                    VGA_PROTO_VERSION);
        goto fail;
    }
    if (d->buf->len >= 4 && !vga_frame_max_payload(h[3])) {
        g_set_error(errp, VGA_FRAME_ERROR, 0,
                    "unknown frame type %u", h[3]);
        goto fail;
    }
    if (d->buf->len < VGA_HEADER_SIZE) {
        return 0;
    }
    len = (size_t)h[4] << 24 | (size_t)h[5] << 16 | (size_t)h[6] << 8 | h[7];
    max = vga_frame_max_payload(h[3]);
    if (len > max) {
        g_set_error(errp, VGA_FRAME_ERROR, 0,
                    "%s frame of %zu bytes (at most %zu)",
                    vga_frame_type_name(h[3]), len, max);
        goto fail;
    }
    if (d->buf->len < VGA_HEADER_SIZE + len) {
        return 0;
    }
    out->type = h[3];
    out->payload = g_bytes_new(h + VGA_HEADER_SIZE, len);
    g_byte_array_remove_range(d->buf, 0, VGA_HEADER_SIZE + len);
    if (!parse_payload(out, errp)) {
        vga_frame_clear(out);
        goto fail;
    }
    return 1;

fail:
    d->failed = true;
    g_byte_array_set_size(d->buf, 0);
    return -1;
}
