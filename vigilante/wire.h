/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The little-endian wire encoding shared by the SCA and filter formats:
 * a byte-array writer, a bounds-checked reader that names what it was
 * reading when the input ends, CRC-32 and JSON text helpers.  Plain C
 * with glib, built into the emulator and the host tools.
 */
#ifndef VIGILANTE_WIRE_H
#define VIGILANTE_WIRE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

void wire_put_u8(GByteArray *b, uint8_t v);
void wire_put_u16(GByteArray *b, uint16_t v);
void wire_put_u32(GByteArray *b, uint32_t v);
void wire_put_u64(GByteArray *b, uint64_t v);
void wire_set_u32(GByteArray *b, size_t at, uint32_t v);

typedef struct {
    const uint8_t *p;
    size_t left;
    size_t pos;                 /* offset in the input, for messages */
    GQuark domain;              /* of the errors it sets */
} WireReader;

void wire_reader_init(WireReader *r, const uint8_t *p, size_t n,
                      GQuark domain);

/* Each returns false with *errp set ("truncated: WHAT ...") at the end. */
bool wire_take(WireReader *r, size_t n, const uint8_t **out,
               const char *what, GError **errp);
bool wire_get_u8(WireReader *r, uint8_t *v, const char *what, GError **errp);
bool wire_get_u16(WireReader *r, uint16_t *v, const char *what,
                  GError **errp);
bool wire_get_u32(WireReader *r, uint32_t *v, const char *what,
                  GError **errp);
bool wire_get_u64(WireReader *r, uint64_t *v, const char *what,
                  GError **errp);

/*
 * Read a whole file of at most @max bytes (a larger one is refused with
 * "PATH: oversized", domain @domain, before it is read).
 */
char *wire_read_file(const char *path, size_t max, GQuark domain,
                     size_t *len, GError **errp);

/* CRC-32 (IEEE 802.3, as zlib's). */
uint32_t wire_crc32(const uint8_t *p, size_t n);

/*
 * The checksum of a 16-byte-header encoding: every byte but its own
 * four (header bytes 12-15).  @n is at least 16.
 */
uint32_t wire_header_crc(const uint8_t *p, size_t n);

/* Letters, digits, '.', '_', '-': the characters of program names. */
bool wire_name_ok(const char *s, size_t n);

/* Printable ASCII only. */
bool wire_text_ok(const char *s, size_t n);

void wire_append_hex(GString *s, const uint8_t *p, size_t n);

#endif
