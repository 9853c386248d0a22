/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the filter decoder (vigilante/filter.c): any input
 * must be rejected cleanly or decode into a filter that re-encodes to the
 * same bytes, evaluates without fault on any message (the input itself,
 * whole and as a prefix), and prints as text that compiles back to a
 * filter with the same verdicts.  Built with clang
 * -fsanitize=fuzzer,address,undefined; run by tests/fuzz/meson.build.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json-views.h"
#include "filter.h"
#include "filter-text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    GError *err = NULL;
    VfFilter *f = vf_decode(data, size, &err), *back;
    GBytes *again;
    char *text;

    if (!f) {
        if (!err || !err->message[0]) {
            abort();            /* every rejection says why */
        }
        g_error_free(err);
        return 0;
    }
    again = vf_encode(f, NULL);
    if (!again || g_bytes_get_size(again) != size ||
        memcmp(g_bytes_get_data(again, NULL), data, size) != 0) {
        abort();                /* decode and encode must agree */
    }
    g_free(vg_json_line(vg_filter_to_json(f)));
    text = vf_to_text(f);
    back = vf_compile(text, NULL);
    if (!back) {
        abort();                /* the printed text must compile */
    }
    for (size_t len = 0; len <= size; len += 1 + len / 2) {
        for (int complete = 0; complete < 2; complete++) {
            if (vf_eval(f, data, len, complete) !=
                vf_eval(back, data, len, complete)) {
                abort();        /* and mean the same */
            }
        }
    }
    vf_free(back);
    g_free(text);
    g_bytes_unref(again);
    vf_free(f);
    return 0;
}
