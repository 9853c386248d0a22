/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * make-filter-seeds [--text] DIR: well-formed filters for the decoder's
 * fuzzer (encoded), or with --text for the compiler's (as text), covering
 * every operation, both transports, let bindings and character constants.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "filter-text.h"

static const char *const seeds[] = {
    "program tiny-fig1\nscope udp 4444\n"
    "require u8[0] == '1' && len > 68\n",
    "program vg-linux\n"
    "digest 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"
    "scope tcp 5006\ngenerator seeds\n"
    "let n = be16[2] + le16[4] * 3\n"
    "require (n & 0xff) != 7 && n >=s -5\n"
    "require sext8(u8[9]) <s 0 && zext16(le32[10]) <= 0x8000\n",
    "program p\nscope udp 53\n"
    "require ((be32[0] ^ le32[4]) >> 3 | ~u8[1] << 2) == 0x10\n"
    "require -le64[8] - be64[16] >>s 1 != 0 && len >= 24\n"
    "require sext16(zext32(u8[3])) >s sext32(1) && '\\x41' == 65\n",
};

static void write_file(const char *dir, const char *name, const void *p,
                       gsize n)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *path = g_build_filename(dir, name, NULL);

    if (!g_file_set_contents(path, p, n, &err)) {
        fprintf(stderr, "make-filter-seeds: %s\n", err->message);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    bool text = argc == 3 && strcmp(argv[1], "--text") == 0;
    const char *dir = argv[argc - 1];

    if (argc != 2 && !text) {
        fprintf(stderr, "usage: make-filter-seeds [--text] DIR\n");
        return 2;
    }
    g_mkdir_with_parents(dir, 0755);
    for (unsigned i = 0; i < G_N_ELEMENTS(seeds); i++) {
        g_autoptr(GError) err = NULL;
        g_autoptr(VfFilter) f = vf_compile(seeds[i], &err);
        g_autoptr(GBytes) b = NULL;
        g_autofree char *name = g_strdup_printf("seed-%u", i);

        if (!f || !(b = vf_encode(f, &err))) {
            fprintf(stderr, "make-filter-seeds: seed %u: %s\n", i,
                    err->message);
            return 1;
        }
        if (text) {
            write_file(dir, name, seeds[i], strlen(seeds[i]));
        } else {
            write_file(dir, name, g_bytes_get_data(b, NULL),
                       g_bytes_get_size(b));
        }
    }
    return 0;
}
