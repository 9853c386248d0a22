/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the filter compiler (vigilante/filter-text.c):
 * any text must be refused with a reason or compile into a valid filter
 * that encodes, decodes and prints.  Built like fuzz-filter.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "filter-text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = g_strndup((const char *)data, size);
    GError *err = NULL;
    VfFilter *f = vf_compile(text, &err), *back;
    GBytes *enc;

    g_free(text);
    if (!f) {
        if (!err || !err->message[0]) {
            abort();
        }
        g_error_free(err);
        return 0;
    }
    enc = vf_encode(f, NULL);
    if (!enc) {
        abort();                /* a compiled filter is a valid one */
    }
    back = vf_decode(g_bytes_get_data(enc, NULL), g_bytes_get_size(enc),
                     NULL);
    if (!back) {
        abort();
    }
    text = vf_to_text(back);
    g_free(text);
    vf_eval(back, data, size, true);
    vf_eval(back, data, size, false);
    vf_free(back);
    g_bytes_unref(enc);
    vf_free(f);
    return 0;
}
