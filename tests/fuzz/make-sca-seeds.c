/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * make-sca-seeds DIR: write well-formed SCAs of each type into DIR, the
 * fuzzer's starting corpus (valid headers and checksums are hard to
 * guess from nothing).
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>

#include "sca.h"

static void write_seed(const char *dir, const char *name, Sca *sca)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GBytes) b = sca_encode(sca, &err);
    g_autofree char *path = g_build_filename(dir, name, NULL);

    if (!b || !g_file_set_contents(path, g_bytes_get_data(b, NULL),
                                   g_bytes_get_size(b), &err)) {
        fprintf(stderr, "make-sca-seeds: %s\n", err->message);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    static const ScaType types[] = {
        SCA_TYPE_AEC, SCA_TYPE_ACE, SCA_TYPE_AFA, SCA_TYPE_WWW,
    };

    if (argc != 2) {
        fprintf(stderr, "usage: make-sca-seeds DIR\n");
        return 2;
    }
    g_mkdir_with_parents(argv[1], 0755);
    for (unsigned i = 0; i < G_N_ELEMENTS(types); i++) {
        g_autoptr(Sca) sca = sca_new(types[i], "seed-program");
        g_autofree char *name = g_strdup_printf("seed-%s",
                                                sca_type_name(types[i]));

        sca_add_message(sca, SCA_TRANSPORT_TCP, 5002, "HELLO\n", 6);
        sca_add_message(sca, SCA_TRANSPORT_UDP, 4444, "1AAAAAAAAAAAAAAA", 16);
        sca->hint_message = 1;
        sca->hint_offset = 4;
        sca->hint_length = 4;
        sca->code_bits = types[i] == SCA_TYPE_ACE ? 64 : 0;
        sca->call = types[i] == SCA_TYPE_AFA ? SCA_CALL_EXECVE : SCA_CALL_NONE;
        g_strlcpy(sca->generator, "make-sca-seeds", sizeof(sca->generator));
        write_seed(argv[1], name, sca);
    }
    return 0;
}
