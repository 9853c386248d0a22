/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SCA minimisation (sca-minimise.h) by replay in snapshot VMs: drop the
 * messages that are not needed (the shortest suffix of the message list
 * that still verifies, as the paper's suffix search), then replace runs
 * of bytes that are not needed to take control (the worm's code,
 * fillers) with innocuous ones, keeping each change only if the SCA
 * still verifies.  The trials run on VMs rewound in place to the
 * snapshot and are judged once the guest is done with them (a settling,
 * rewinding verifier); the result is verified on a fresh VM at the end.
 */
#include "sca-minimise.h"

#include <string.h>

/* An innocuous byte: printable, not a separator, not a terminator. */
#define FILLER 'A'

/*
 * A trial that neither verifies nor settles runs to its timeout, so
 * trials wait only a few times as long as the original SCA took from
 * replay to trap (most trials fail), within the caller's limit.
 */
#define TRIAL_FACTOR     4
#define TRIAL_MIN_MS     1000
#define TRIAL_SETTLE_MS  150

static volatile sig_atomic_t *cancel_flag;

void vg_sca_minimise_cancel_on(volatile sig_atomic_t *flag)
{
    cancel_flag = flag;
}

static bool verifies(VgVerifier *vf, const Sca *sca,
                     unsigned timeout_ms, unsigned *replays)
{
    VgVerdict v;
    bool ok;

    if (cancel_flag && *cancel_flag) {
        return false;           /* keep what verified so far */
    }
    v = vg_verifier_verify(vf, sca, timeout_ms);
    ok = v.kind == VG_VERDICT_VERIFIED;
    (*replays)++;
    vg_verdict_clear(&v);
    return ok;
}

/* Verify the original; on success, the timeout for the trials. */
static unsigned trial_timeout(VgVerifier *vf,
                              const Sca *sca, unsigned timeout_ms,
                              unsigned *replays, GError **errp)
{
    VgVerdict v;
    unsigned t = 0;

    if (!timeout_ms) {
        g_set_error(errp, SCA_ERROR, 0, "a timeout of 0 ms cannot verify");
        return 0;
    }
    v = vg_verifier_verify(vf, sca, timeout_ms);
    (*replays)++;
    if (v.kind == VG_VERDICT_VERIFIED) {
        t = MAX(TRIAL_MIN_MS,
                TRIAL_FACTOR * (unsigned)(v.total_ms - v.restore_ms));
        t = MIN(t, timeout_ms);
    } else {
        g_set_error(errp, SCA_ERROR, 0, "%s: %s",
                    v.kind == VG_VERDICT_ERROR
                    ? "the SCA could not be verified"
                    : "the SCA does not verify, nothing to minimise",
                    v.reason ? v.reason : "?");
    }
    vg_verdict_clear(&v);
    return t;
}

static Sca *copy_sca(const Sca *sca)
{
    g_autoptr(GBytes) b = sca_encode(sca, NULL);

    return b ? sca_decode(g_bytes_get_data(b, NULL), g_bytes_get_size(b),
                          NULL) : NULL;
}

/* The SCA without its first `drop` messages. */
static Sca *suffix(const Sca *sca, unsigned drop)
{
    Sca *s = copy_sca(sca);

    g_ptr_array_remove_range(s->messages, 0, drop);
    s->hint_message -= drop;
    return s;
}

/* Replace payload bytes [from, to) of message i with the filler. */
static void fill(Sca *sca, unsigned i, size_t from, size_t to)
{
    ScaMessage *m = g_ptr_array_index(sca->messages, i);
    size_t len;
    uint8_t *p = g_memdup2(g_bytes_get_data(m->payload, &len),
                           g_bytes_get_size(m->payload));

    memset(p + from, FILLER, to - from);
    g_bytes_unref(m->payload);
    m->payload = g_bytes_new_take(p, len);
}

/* Is any byte of [from, to) of message i not the filler already? */
static bool fillable(const Sca *sca, unsigned i, size_t from, size_t to)
{
    const uint8_t *p = g_bytes_get_data(sca_message(sca, i)->payload, NULL);

    for (size_t k = from; k < to; k++) {
        if (p[k] != FILLER) {
            return true;
        }
    }
    return false;
}

/* Try filling [from, to); on failure, split it, down to `min` bytes. */
static void fill_range(Sca **sca, unsigned i, size_t from, size_t to,
                       size_t min, VgVerifier *vf,
                       unsigned timeout_ms, unsigned *replays)
{
    g_autoptr(Sca) trial = NULL;

    if (from >= to || !fillable(*sca, i, from, to)) {
        return;
    }
    /* Never touch the hint: those bytes are the claim. */
    if (i == (*sca)->hint_message && from < (*sca)->hint_offset +
        (*sca)->hint_length && to > (*sca)->hint_offset) {
        if (to - from <= min) {
            return;
        }
    } else {
        trial = copy_sca(*sca);
        fill(trial, i, from, to);
        if (verifies(vf, trial, timeout_ms, replays)) {
            sca_free(*sca);
            *sca = g_steal_pointer(&trial);
            return;
        }
        if (to - from <= min) {
            return;
        }
    }
    fill_range(sca, i, from, from + (to - from) / 2, min, vf,
               timeout_ms, replays);
    fill_range(sca, i, from + (to - from) / 2, to, min, vf, timeout_ms,
               replays);
}

Sca *vg_sca_minimise(const VgProfile *p, const char *qemu, const Sca *sca,
                     unsigned timeout_ms, VgMinimiseStats *stats,
                     GError **errp)
{
    g_autoptr(VgVerifier) vf = vg_verifier_new(p, qemu);
    VgMinimiseStats st = { 0 };
    g_autoptr(Sca) unfilled = NULL;
    Sca *best;

    timeout_ms = trial_timeout(vf, sca, timeout_ms, &st.replays, errp);
    if (!timeout_ms) {
        return NULL;
    }
    /*
     * The trials (most fail) on VMs rewound in place and judged once the
     * guest is done with them (sca-verify.h); what they find is checked
     * on a fresh VM at the end.
     */
    vg_verifier_set_rewind(vf, !p->disk);
    vg_verifier_set_settle(vf, TRIAL_SETTLE_MS);
    /* Suffix search: the fewest last messages that still take control. */
    best = copy_sca(sca);
    for (unsigned drop = sca->hint_message; drop > 0; drop--) {
        g_autoptr(Sca) s = suffix(sca, drop);

        if (verifies(vf, s, timeout_ms, &st.replays)) {
            sca_free(best);
            best = g_steal_pointer(&s);
            break;
        }
    }
    st.messages_dropped = sca->messages->len - best->messages->len;

    /* Fillers: halves of each message, down to 8-byte runs. */
    unfilled = copy_sca(best);
    for (unsigned i = 0; i < best->messages->len; i++) {
        size_t len = g_bytes_get_size(sca_message(best, i)->payload);

        fill_range(&best, i, 0, len, 8, vf, timeout_ms, &st.replays);
    }
    for (unsigned i = 0; i < best->messages->len; i++) {
        const uint8_t *a = g_bytes_get_data(sca_message(best, i)->payload,
                                            NULL);
        const uint8_t *b = g_bytes_get_data(sca_message(unfilled, i)->payload,
                                            NULL);
        size_t len = g_bytes_get_size(sca_message(best, i)->payload);

        for (size_t k = 0; k < len; k++) {
            st.bytes_filled += a[k] != b[k];
        }
    }
    if (st.messages_dropped || st.bytes_filled) {
        /* As every SCA is verified: a VM of its own, restored afresh. */
        g_autoptr(Sca) check = copy_sca(best);
        VgVerdict v = vg_verify(p, qemu, check, timeout_ms);

        st.replays++;
        if (v.kind != VG_VERDICT_VERIFIED) {
            sca_free(best);
            best = copy_sca(sca);
            st.messages_dropped = st.bytes_filled = 0;
        }
        vg_verdict_clear(&v);
    }
    if (stats) {
        *stats = st;
    }
    return best;
}
