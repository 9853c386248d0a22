/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The wire encoding helpers of the SCA and filter formats (see wire.h). */
#include "wire.h"

#include <glib/gstdio.h>
#include <string.h>

void wire_put_u8(GByteArray *b, uint8_t v)
{
    g_byte_array_append(b, &v, 1);
}

void wire_put_u16(GByteArray *b, uint16_t v)
{
    uint8_t le[2] = { v, v >> 8 };

    g_byte_array_append(b, le, 2);
}

void wire_put_u32(GByteArray *b, uint32_t v)
{
    uint8_t le[4] = { v, v >> 8, v >> 16, v >> 24 };

    g_byte_array_append(b, le, 4);
}

void wire_put_u64(GByteArray *b, uint64_t v)
{
    wire_put_u32(b, (uint32_t)v);
    wire_put_u32(b, (uint32_t)(v >> 32));
}

void wire_set_u32(GByteArray *b, size_t at, uint32_t v)
{
    b->data[at] = v;
    b->data[at + 1] = v >> 8;
    b->data[at + 2] = v >> 16;
    b->data[at + 3] = v >> 24;
}

void wire_reader_init(WireReader *r, const uint8_t *p, size_t n,
                      GQuark domain)
{
    r->p = p;
    r->left = n;
    r->pos = 0;
    r->domain = domain;
}

bool wire_take(WireReader *r, size_t n, const uint8_t **out,
               const char *what, GError **errp)
{
    if (r->left < n) {
        g_set_error(errp, r->domain, 0, "truncated: %s needs %zu bytes at "
                    "offset %zu, %zu left", what, n, r->pos, r->left);
        return false;
    }
    *out = r->p;
    r->p += n;
    r->left -= n;
    r->pos += n;
    return true;
}

bool wire_get_u8(WireReader *r, uint8_t *v, const char *what, GError **errp)
{
    const uint8_t *p;

    if (!wire_take(r, 1, &p, what, errp)) {
        return false;
    }
    *v = p[0];
    return true;
}

bool wire_get_u16(WireReader *r, uint16_t *v, const char *what,
                  GError **errp)
{
    const uint8_t *p;

    if (!wire_take(r, 2, &p, what, errp)) {
        return false;
    }
    *v = p[0] | p[1] << 8;
    return true;
}

bool wire_get_u32(WireReader *r, uint32_t *v, const char *what,
                  GError **errp)
{
    const uint8_t *p;

    if (!wire_take(r, 4, &p, what, errp)) {
        return false;
    }
    *v = p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
    return true;
}

bool wire_get_u64(WireReader *r, uint64_t *v, const char *what,
                  GError **errp)
{
    uint32_t lo, hi;

    if (!wire_get_u32(r, &lo, what, errp) ||
        !wire_get_u32(r, &hi, what, errp)) {
        return false;
    }
    *v = (uint64_t)hi << 32 | lo;
    return true;
}

char *wire_read_file(const char *path, size_t max, GQuark domain,
                     size_t *len, GError **errp)
{
    char *data = NULL;
    gsize n;
    GStatBuf st;

    if (g_stat(path, &st) == 0 && (uint64_t)st.st_size > max) {
        g_set_error(errp, domain, 0, "%s: oversized (%lld bytes, at most "
                    "%zu)", path, (long long)st.st_size, max);
        return NULL;
    }
    if (!g_file_get_contents(path, &data, &n, errp)) {
        return NULL;
    }
    *len = n;
    return data;
}

static uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int b = 0; b < 8; b++) {
            crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
        }
    }
    return crc;
}

uint32_t wire_crc32(const uint8_t *p, size_t n)
{
    return ~crc32_update(0xffffffffu, p, n);
}

uint32_t wire_header_crc(const uint8_t *p, size_t n)
{
    uint32_t crc = crc32_update(0xffffffffu, p, 12);

    return ~crc32_update(crc, p + 16, n - 16);
}

bool wire_name_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!g_ascii_isalnum(s[i]) && s[i] != '.' && s[i] != '_' &&
            s[i] != '-') {
            return false;
        }
    }
    return true;
}

bool wire_text_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] < 0x20 || s[i] > 0x7e) {
            return false;
        }
    }
    return true;
}

void wire_append_hex(GString *s, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        g_string_append_printf(s, "%02x", p[i]);
    }
}
