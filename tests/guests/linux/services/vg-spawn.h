/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What vg-spawnd and its host-side test share: the port, the child's
 * path, and the remote shell's stream cipher.
 */
#ifndef VG_SPAWN_H
#define VG_SPAWN_H

#include <stddef.h>
#include <stdint.h>

#define VG_SPAWND_PORT  5007
#define VG_CHILD_PATH   "/sbin/vg-child"
#define VG_SPAWN_KEY    0x5eed1e55u

/*
 * Encrypt or decrypt n bytes (the same operation): a keystream word per
 * four bytes, the data gathered into a word and scattered back a byte at
 * a time from shifts, as OpenSSH's chacha20 (U8TO32/U32TO8) does.
 */
static inline void vg_spawn_crypt(char *out, const uint8_t *in, size_t n)
{
    uint32_t x = VG_SPAWN_KEY;

    for (size_t i = 0; i < n; i += 4) {
        size_t m = n - i < 4 ? n - i : 4;
        uint32_t w = 0;

        x = ((x << 7) | (x >> 25)) + 0x9e3779b9u;
        for (size_t k = 0; k < m; k++) {
            w |= (uint32_t)in[i + k] << (8 * k);
        }
        w ^= x;
        for (size_t k = 0; k < m; k++) {
            out[i + k] = (char)(w >> (8 * k));
        }
    }
}

#endif
