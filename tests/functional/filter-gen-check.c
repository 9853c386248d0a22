/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Checks shared by the filter-generation tests (filter-gen-check.h).
 */
#include <string.h>

#include "filter-gen-check.h"
#include "harness.h"

gsize vg_longest_common(const guint8 *a, gsize na, const guint8 *b, gsize nb)
{
    g_autofree guint32 *prev = g_new0(guint32, nb + 1);
    g_autofree guint32 *cur = g_new0(guint32, nb + 1);
    gsize best = 0;

    for (gsize i = 1; i <= na; i++) {
        for (gsize j = 1; j <= nb; j++) {
            cur[j] = a[i - 1] == b[j - 1] ? prev[j - 1] + 1 : 0;
            best = MAX(best, cur[j]);
        }
        memcpy(prev, cur, (nb + 1) * sizeof(*cur));
    }
    return best;
}

void vg_check_variants(const VgGenResult *r, VgVerifier *v, const Sca *sca,
                       GPtrArray *variants, gsize max_common)
{
    g_autoptr(GBytes) orig = vg_gen_message(sca);
    bool udp = r->general->transport == VF_TRANSPORT_UDP;
    gsize worst = 0;

    for (guint i = 0; i < variants->len; i++) {
        gsize len;
        const guint8 *d = g_bytes_get_data(variants->pdata[i], &len);
        g_autoptr(Sca) s = vg_gen_sca_with_message(sca, d, len);
        VgVerdict vd = vg_verifier_verify(v, s, 10000);
        gsize common = vg_longest_common(d, len,
                                         g_bytes_get_data(orig, NULL),
                                         g_bytes_get_size(orig));

        /* A working exploit: it takes control of the program. */
        if (vd.kind != VG_VERDICT_VERIFIED) {
            g_test_message("variant %u: %s", i, vd.reason ? vd.reason : "?");
        }
        g_assert_cmpint(vd.kind, ==, VG_VERDICT_VERIFIED);
        vg_verdict_clear(&vd);
        if (vf_eval(r->general, d, len, udp) != VF_MATCH) {
            g_autofree char *conds = vg_gen_describe(r->general,
                                                     r->general_conds);
            g_autofree char *hex = g_strnfill(len * 2, '0');

            for (gsize k = 0; k < len; k++) {
                g_snprintf(hex + 2 * k, 3, "%02x", d[k]);
            }
            g_test_message("variant %u is not matched: %s\nthe general "
                           "filter:\n%s", i, hex, conds);
        }
        g_assert_cmpint(vf_eval(r->general, d, len, udp), ==, VF_MATCH);
        worst = MAX(worst, common);
    }
    g_test_message("%u variants: all verify, the general filter matches "
                   "all; at most %zu consecutive bytes in common with the "
                   "SCA's message", variants->len, worst);
    g_assert_cmpuint(worst, <=, max_common);
}

void vg_check_benign(const VgGenResult *r, GPtrArray *benign)
{
    bool udp = r->general->transport == VF_TRANSPORT_UDP;

    for (guint i = 0; i < benign->len; i++) {
        gsize len;
        const guint8 *d = g_bytes_get_data(benign->pdata[i], &len);

        g_assert_cmpint(vf_eval(r->general, d, len, udp), !=, VF_MATCH);
        if (!r->stats.specific_too_big) {
            g_assert_cmpint(vf_eval(r->specific, d, len, udp), !=,
                            VF_MATCH);
        }
    }
    g_test_message("%u benign messages: none matched", benign->len);
}

void vg_check_filter(const VgGenResult *r, const VgProfile *p,
                     const Sca *sca, GPtrArray *variants, gsize max_common,
                     GPtrArray *benign)
{
    g_autoptr(VgVerifier) v = vg_verifier_new(p, vg_qemu_path());
    g_autoptr(GError) err = NULL;

    g_assert_true(vg_verifier_wait_ready(v, &err));
    g_assert_no_error(err);
    vg_check_variants(r, v, sca, variants, max_common);
    vg_check_benign(r, benign);
}

static void log_line(const char *line, void *opaque)
{
    g_test_message("%s", line);
}

GPtrArray *vg_messages_new(void)
{
    return g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
}

VgGenResult *vg_generate_logged(const VgProfile *p, const Sca *sca)
{
    VgGenOptions o = {
        .qemu = vg_qemu_path(), .general = true, .random_checks = 4,
        .progress = log_line,
    };
    g_autoptr(GError) err = NULL;
    VgGenResult *r = vg_filter_generate(p, sca, &o, &err);

    g_assert_no_error(err);
    g_assert_nonnull(r);
    g_test_message("specific: %u conditions of %u captured, capture %.0f "
                   "ms; general: %u conditions (%u dropped, %u widened, %u "
                   "summarised) by %u replays, %.0f ms; random variants "
                   "verified %u of %u", r->stats.specific_conditions,
                   r->stats.captured, r->stats.capture_ms,
                   r->stats.general_conditions, r->stats.dropped,
                   r->stats.widened, r->stats.summarised, r->stats.replays,
                   r->stats.generalise_ms, r->stats.random_verified,
                   r->stats.random_tried);
    g_test_message("captured: %u of other code, %u reading bytes outside "
                   "the message, %u pins of the hint alone, %u pinned deep",
                   r->stats.other_code, r->stats.outside,
                   r->stats.hint_pins, r->stats.pinned_deep);
    g_assert_cmpuint(r->stats.general_conditions, >, 0);
    g_assert_cmpuint(r->stats.general_conditions, <=,
                     r->stats.specific_conditions);
    /* Random messages satisfying the general filter are attacks too. */
    g_assert_cmpuint(r->stats.random_verified, ==, r->stats.random_tried);
    return r;
}
