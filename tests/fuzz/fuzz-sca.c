/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the SCA decoder (vigilante/sca.c): any input must
 * be rejected cleanly or decode into an alert that re-encodes to the same
 * bytes.  Built with clang -fsanitize=fuzzer,address,undefined; run by
 * tests/fuzz/meson.build for a bounded time from seeds made by
 * make-sca-seeds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json-views.h"
#include "sca.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    GError *err = NULL;
    Sca *sca = sca_decode(data, size, &err);
    GBytes *again;

    if (!sca) {
        if (!err || !err->message[0]) {
            abort();            /* every rejection says why */
        }
        g_error_free(err);
        return 0;
    }
    again = sca_encode(sca, NULL);
    if (!again || g_bytes_get_size(again) != size ||
        memcmp(g_bytes_get_data(again, NULL), data, size) != 0) {
        abort();                /* decode and encode must agree */
    }
    g_free(vg_json_line(vg_sca_to_json(sca)));
    g_bytes_unref(again);
    sca_free(sca);
    return 0;
}
