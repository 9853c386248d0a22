/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Self-certifying alerts: encoder, decoder, JSON view.  The layout is
 * specified byte by byte in docs/sca-format.md; keep the two in step.
 */
#include "sca.h"
#include "wire.h"

#include <string.h>

/* ---- helpers ---- */

uint32_t sca_crc32(const uint8_t *p, size_t n)
{
    return wire_crc32(p, n);
}

const char *sca_type_name(ScaType type)
{
    switch (type) {
    case SCA_TYPE_AEC: return "aec";
    case SCA_TYPE_ACE: return "ace";
    case SCA_TYPE_AFA: return "afa";
    case SCA_TYPE_WWW: return "www";
    }
    return "?";
}

const char *sca_transport_name(ScaTransport t)
{
    return t == SCA_TRANSPORT_TCP ? "tcp" : t == SCA_TRANSPORT_UDP ? "udp"
                                                                   : "?";
}

const char *sca_call_name(ScaCall call)
{
    switch (call) {
    case SCA_CALL_NONE: return "none";
    case SCA_CALL_EXECVE: return "execve";
    case SCA_CALL_EXECVEAT: return "execveat";
    }
    return "?";
}

static void message_free(gpointer p)
{
    ScaMessage *m = p;

    g_bytes_unref(m->payload);
    g_free(m);
}

Sca *sca_new(ScaType type, const char *name)
{
    Sca *sca = g_new0(Sca, 1);

    sca->type = type;
    g_strlcpy(sca->name, name ? name : "", sizeof(sca->name));
    sca->messages = g_ptr_array_new_with_free_func(message_free);
    return sca;
}

void sca_free(Sca *sca)
{
    if (sca) {
        g_ptr_array_unref(sca->messages);
        g_free(sca);
    }
}

void sca_add_message(Sca *sca, ScaTransport transport, uint16_t port,
                     const void *payload, size_t len)
{
    ScaMessage *m = g_new0(ScaMessage, 1);

    m->transport = transport;
    m->port = port;
    m->payload = g_bytes_new(payload, len);
    g_ptr_array_add(sca->messages, m);
}

const ScaMessage *sca_message(const Sca *sca, unsigned i)
{
    return i < sca->messages->len ? g_ptr_array_index(sca->messages, i)
                                  : NULL;
}

/* ---- validation (shared by the encoder and the decoder) ----------------- */

#define FAIL(...) \
    do { \
        g_set_error(errp, SCA_ERROR, 0, __VA_ARGS__); \
        return false; \
    } while (0)

bool sca_validate(const Sca *sca, GError **errp)
{
    size_t nlen = strlen(sca->name);
    const ScaMessage *hm;

    if (sca->type < SCA_TYPE_AEC || sca->type > SCA_TYPE_WWW) {
        FAIL("unknown alert type %d", sca->type);
    }
    if (nlen == 0 || nlen > SCA_NAME_MAX) {
        FAIL("program name must have 1 to %d characters", SCA_NAME_MAX);
    }
    for (size_t i = 0; i < nlen; i++) {
        if (!wire_name_ok(&sca->name[i], 1)) {
            FAIL("program name may hold only letters, digits, '.', '_' "
                 "and '-'");
        }
    }
    if (sca->messages->len == 0 || sca->messages->len > SCA_MAX_MESSAGES) {
        FAIL("an SCA has 1 to %d messages, not %u", SCA_MAX_MESSAGES,
             sca->messages->len);
    }
    for (unsigned i = 0; i < sca->messages->len; i++) {
        const ScaMessage *m = sca_message(sca, i);

        if (m->transport != SCA_TRANSPORT_TCP &&
            m->transport != SCA_TRANSPORT_UDP) {
            FAIL("message %u: unknown transport %d", i, m->transport);
        }
        if (m->port == 0) {
            FAIL("message %u: destination port 0", i);
        }
        if (g_bytes_get_size(m->payload) == 0) {
            FAIL("message %u: empty payload", i);
        }
        if (m->transport == SCA_TRANSPORT_UDP &&
            g_bytes_get_size(m->payload) > 65507) {
            FAIL("message %u: a UDP payload holds at most 65507 bytes", i);
        }
    }
    hm = sca_message(sca, sca->hint_message);
    if (!hm) {
        FAIL("hint names message %u of %u", sca->hint_message,
             sca->messages->len);
    }
    if (sca->hint_length == 0 ||
        (uint64_t)sca->hint_offset + sca->hint_length >
        g_bytes_get_size(hm->payload)) {
        FAIL("hint bytes %u+%u lie outside message %u (%zu bytes)",
             sca->hint_offset, sca->hint_length, sca->hint_message,
             g_bytes_get_size(hm->payload));
    }
    if (sca->type == SCA_TYPE_WWW &&
        (sca->hint_length < 4 || sca->hint_length > 8)) {
        FAIL("a WWW hint is a pointer: 4 to 8 bytes, not %u",
             sca->hint_length);
    }
    if (sca->type == SCA_TYPE_ACE) {
        if (sca->code_bits != 16 && sca->code_bits != 32 &&
            sca->code_bits != 64) {
            FAIL("an ACE hint needs a code size of 16, 32 or 64 bits");
        }
    } else if (sca->code_bits != 0) {
        FAIL("only an ACE hint has a code size");
    }
    if (sca->type == SCA_TYPE_AFA) {
        if (sca->call != SCA_CALL_EXECVE && sca->call != SCA_CALL_EXECVEAT) {
            FAIL("an AFA hint needs the call (execve or execveat)");
        }
        if (sca->call_arg > 5) {
            FAIL("argument index %u: calls take at most 6", sca->call_arg);
        }
    } else if (sca->call != SCA_CALL_NONE || sca->call_arg != 0) {
        FAIL("only an AFA hint names a call");
    }
    if (strlen(sca->generator) > SCA_GENERATOR_MAX ||
        !wire_text_ok(sca->generator, strlen(sca->generator))) {
        FAIL("generator text must be printable ASCII");
    }
    return true;
}

/* ---- encoding ---- */

/* The first format version with this type. */
static uint8_t sca_min_version(ScaType type)
{
    return type == SCA_TYPE_WWW ? 2 : 1;
}

GBytes *sca_encode(const Sca *sca, GError **errp)
{
    g_autoptr(GByteArray) b = NULL;
    size_t nlen, glen;

    if (!sca_validate(sca, errp)) {
        return NULL;
    }
    b = g_byte_array_new();
    g_byte_array_append(b, (const uint8_t *)SCA_MAGIC, 4);
    wire_put_u8(b, sca_min_version(sca->type));
    wire_put_u8(b, sca->type);
    wire_put_u16(b, 0);                      /* flags */
    wire_put_u32(b, 0);                      /* total length, below */
    wire_put_u32(b, 0);                      /* checksum, below */

    nlen = strlen(sca->name);
    wire_put_u8(b, nlen);
    g_byte_array_append(b, (const uint8_t *)sca->name, nlen);
    g_byte_array_append(b, sca->digest, SCA_DIGEST_SIZE);

    wire_put_u16(b, sca->messages->len);
    for (unsigned i = 0; i < sca->messages->len; i++) {
        const ScaMessage *m = sca_message(sca, i);
        size_t len;
        const uint8_t *data = g_bytes_get_data(m->payload, &len);

        wire_put_u8(b, m->transport);
        wire_put_u16(b, m->port);
        wire_put_u32(b, len);
        g_byte_array_append(b, data, len);
    }

    wire_put_u16(b, sca->hint_message);
    wire_put_u32(b, sca->hint_offset);
    wire_put_u32(b, sca->hint_length);
    wire_put_u8(b, sca->code_bits);
    wire_put_u8(b, sca->call);
    wire_put_u8(b, sca->call_arg);

    glen = strlen(sca->generator);
    wire_put_u8(b, glen);
    g_byte_array_append(b, (const uint8_t *)sca->generator, glen);
    wire_put_u64(b, sca->time);

    if (b->len > SCA_MAX_SIZE) {
        g_set_error(errp, SCA_ERROR, 0, "the SCA would take %u bytes, more "
                    "than the %u allowed", b->len, SCA_MAX_SIZE);
        return NULL;
    }
    wire_set_u32(b, 8, b->len);
    wire_set_u32(b, 12, wire_header_crc(b->data, b->len));
    return g_byte_array_free_to_bytes(g_steal_pointer(&b));
}

/* ---- decoding ---- */

static bool decode_body(WireReader *r, Sca *sca, GError **errp)
{
    const uint8_t *p;
    uint8_t nlen, glen, u8;
    uint16_t count;

    if (!wire_get_u8(r, &nlen, "program name length", errp) ||
        !wire_take(r, nlen, &p, "program name", errp)) {
        return false;
    }
    if (nlen == 0 || nlen > SCA_NAME_MAX) {
        FAIL("program name length %u (1 to %d)", nlen, SCA_NAME_MAX);
    }
    memcpy(sca->name, p, nlen);
    sca->name[nlen] = '\0';
    if (strlen(sca->name) != nlen) {
        FAIL("program name holds a zero byte");
    }
    if (!wire_take(r, SCA_DIGEST_SIZE, &p, "program digest", errp)) {
        return false;
    }
    memcpy(sca->digest, p, SCA_DIGEST_SIZE);

    if (!wire_get_u16(r, &count, "message count", errp)) {
        return false;
    }
    if (count == 0 || count > SCA_MAX_MESSAGES) {
        FAIL("message count %u (1 to %d)", count, SCA_MAX_MESSAGES);
    }
    for (unsigned i = 0; i < count; i++) {
        uint8_t transport;
        uint16_t port;
        uint32_t len;

        if (!wire_get_u8(r, &transport, "message transport", errp) ||
            !wire_get_u16(r, &port, "message port", errp) ||
            !wire_get_u32(r, &len, "message length", errp)) {
            return false;
        }
        if (len > r->left) {
            FAIL("truncated: message %u says %u bytes, %zu left", i, len,
                 r->left);
        }
        wire_take(r, len, &p, "message payload", errp);
        sca_add_message(sca, transport, port, p, len);
    }

    if (!wire_get_u16(r, &sca->hint_message, "hint message", errp) ||
        !wire_get_u32(r, &sca->hint_offset, "hint offset", errp) ||
        !wire_get_u32(r, &sca->hint_length, "hint length", errp) ||
        !wire_get_u8(r, &sca->code_bits, "hint code size", errp) ||
        !wire_get_u8(r, &u8, "hint call", errp) ||
        !wire_get_u8(r, &sca->call_arg, "hint call argument", errp)) {
        return false;
    }
    sca->call = u8;

    if (!wire_get_u8(r, &glen, "generator length", errp) ||
        !wire_take(r, glen, &p, "generator", errp)) {
        return false;
    }
    memcpy(sca->generator, p, glen);
    sca->generator[glen] = '\0';
    if (strlen(sca->generator) != glen) {
        FAIL("generator text holds a zero byte");
    }
    if (!wire_get_u64(r, &sca->time, "generation time", errp)) {
        return false;
    }
    if (r->left) {
        FAIL("%zu bytes after the end of the SCA", r->left);
    }
    return true;
}

Sca *sca_decode(const uint8_t *buf, size_t len, GError **errp)
{
    g_autoptr(Sca) sca = NULL;
    WireReader r;
    uint32_t total, crc;
    uint16_t flags;

    if (len < SCA_HEADER_SIZE) {
        g_set_error(errp, SCA_ERROR, 0, "truncated: %zu bytes, the header "
                    "alone takes %d", len, SCA_HEADER_SIZE);
        return NULL;
    }
    if (memcmp(buf, SCA_MAGIC, 4) != 0) {
        g_set_error(errp, SCA_ERROR, 0, "not an SCA (bad magic)");
        return NULL;
    }
    if (buf[4] < 1 || buf[4] > SCA_VERSION) {
        g_set_error(errp, SCA_ERROR, 0, "SCA version %u, this reader knows "
                    "versions 1 to %d", buf[4], SCA_VERSION);
        return NULL;
    }
    flags = buf[6] | buf[7] << 8;
    total = buf[8] | buf[9] << 8 | buf[10] << 16 | (uint32_t)buf[11] << 24;
    crc = buf[12] | buf[13] << 8 | buf[14] << 16 | (uint32_t)buf[15] << 24;
    if (total > SCA_MAX_SIZE || len > SCA_MAX_SIZE) {
        g_set_error(errp, SCA_ERROR, 0, "oversized: an SCA takes at most %u "
                    "bytes", SCA_MAX_SIZE);
        return NULL;
    }
    if (total != len) {
        g_set_error(errp, SCA_ERROR, 0, "%s: the header says %u bytes, "
                    "there are %zu", total > len ? "truncated" : "too long",
                    total, len);
        return NULL;
    }
    if (flags != 0) {
        g_set_error(errp, SCA_ERROR, 0, "unknown flags 0x%04x", flags);
        return NULL;
    }
    if (wire_header_crc(buf, len) != crc) {
        g_set_error(errp, SCA_ERROR, 0, "corrupted: checksum mismatch");
        return NULL;
    }
    /* One encoding per SCA: each type in the version that added it. */
    if (buf[5] >= SCA_TYPE_AEC && buf[5] <= SCA_TYPE_WWW &&
        buf[4] != sca_min_version(buf[5])) {
        g_set_error(errp, SCA_ERROR, 0, "SCA version %u with type %u: "
                    "that type is written as version %u", buf[4], buf[5],
                    sca_min_version(buf[5]));
        return NULL;
    }
    sca = sca_new(buf[5], "");
    wire_reader_init(&r, buf + SCA_HEADER_SIZE, len - SCA_HEADER_SIZE,
                     SCA_ERROR);
    r.pos = SCA_HEADER_SIZE;
    if (!decode_body(&r, sca, errp) || !sca_validate(sca, errp)) {
        return NULL;
    }
    return g_steal_pointer(&sca);
}

Sca *sca_load(const char *path, GError **errp)
{
    size_t len;
    g_autofree char *data = wire_read_file(path, SCA_MAX_SIZE, SCA_ERROR,
                                           &len, errp);

    return data ? sca_decode((const uint8_t *)data, len, errp) : NULL;
}
