/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Self-certifying alerts (SCAs): the binary format of docs/sca-format.md,
 * its decoder (which rejects every malformed input with a message and
 * never reads out of bounds) and encoder.  Plain C with glib, shared by
 * the emulator (generation) and the host tools (vigilante sca, the
 * verifier; the agent, once it exists); the JSON view is the host's
 * (lib/json-views.c).
 */
#ifndef VIGILANTE_SCA_H
#define VIGILANTE_SCA_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define SCA_MAGIC           "VSCA"
/*
 * Version 2 added type 4 (WWW).  Each type is written in the version
 * that added it (1 for AEC, ACE and AFA, which readers of version 1
 * take), and read only so: one encoding per SCA.
 */
#define SCA_VERSION         2
#define SCA_HEADER_SIZE     16
#define SCA_MAX_SIZE        (1u << 20)      /* whole encoding */
#define SCA_MAX_MESSAGES    64
#define SCA_NAME_MAX        64
#define SCA_GENERATOR_MAX   255
#define SCA_DIGEST_SIZE     32              /* SHA-256 */

typedef enum {
    SCA_TYPE_AEC = 1,
    SCA_TYPE_ACE = 2,
    SCA_TYPE_AFA = 3,
    SCA_TYPE_WWW = 4,           /* write-what-where; version 2 */
} ScaType;

typedef enum {
    SCA_TRANSPORT_TCP = 6,
    SCA_TRANSPORT_UDP = 17,
} ScaTransport;

typedef enum {
    SCA_CALL_NONE = 0,
    SCA_CALL_EXECVE = 1,
    SCA_CALL_EXECVEAT = 2,
} ScaCall;

typedef struct {
    ScaTransport transport;
    uint16_t port;              /* destination port */
    GBytes *payload;            /* application payload, 1 byte at least */
} ScaMessage;

typedef struct {
    char name[SCA_NAME_MAX + 1];            /* service-profile name */
    uint8_t digest[SCA_DIGEST_SIZE];        /* SHA-256 of its image */
    ScaType type;
    GPtrArray *messages;                    /* of ScaMessage, in order */
    /* The verification hint: where the bytes that take control are. */
    uint16_t hint_message;
    uint32_t hint_offset;
    uint32_t hint_length;
    uint8_t code_bits;          /* ACE: 16, 32 or 64 (disassembly); else 0 */
    ScaCall call;               /* AFA: the call */
    uint8_t call_arg;           /* AFA: its argument index (0-based) */
    char generator[SCA_GENERATOR_MAX + 1];
    uint64_t time;              /* generation, seconds since the epoch */
} Sca;

Sca *sca_new(ScaType type, const char *name);
void sca_free(Sca *sca);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Sca, sca_free)

/* Append a message (the payload is copied). */
void sca_add_message(Sca *sca, ScaTransport transport, uint16_t port,
                     const void *payload, size_t len);
const ScaMessage *sca_message(const Sca *sca, unsigned i);

/* Check the fields an encoder relies on; false with *errp set. */
bool sca_validate(const Sca *sca, GError **errp);

/* The binary encoding; NULL with *errp set when sca is not valid. */
GBytes *sca_encode(const Sca *sca, GError **errp);

/* Decode; NULL with *errp set (domain SCA_ERROR) on any malformation. */
Sca *sca_decode(const uint8_t *buf, size_t len, GError **errp);

/* Read and decode a file. */
Sca *sca_load(const char *path, GError **errp);

const char *sca_type_name(ScaType type);
const char *sca_transport_name(ScaTransport t);
const char *sca_call_name(ScaCall call);

/* CRC-32 (IEEE 802.3, as zlib's), the encoding's checksum. */
uint32_t sca_crc32(const uint8_t *p, size_t n);

#define SCA_ERROR (g_quark_from_static_string("vigilante-sca"))

#endif
