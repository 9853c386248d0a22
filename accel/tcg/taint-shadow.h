/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The shadow of a CPU value, as the propagation pass computes it inline:
 * one 64-bit word per value, whatever the value's width.
 *
 *   bits  0..7   which bytes of the value are dirty (bit i: byte i)
 *   bits 32..63  the label of byte 0; byte i's label is that plus i
 *
 * Labels are consecutive per input byte, so a value loaded from adjacent
 * bytes of one frame is exact; values combined from several places keep
 * the labels of the first dirty operand (documented imprecision).  Only
 * the mask says whether anything is dirty: a word with mask 0 is clean
 * whatever its label bits.
 */
#ifndef ACCEL_TCG_TAINT_SHADOW_H
#define ACCEL_TCG_TAINT_SHADOW_H

#include "hw-taint/shadow-mem.h"

#define TAINT_SH_MASK 0xffull

static inline unsigned taint_sh_mask(uint64_t sh)
{
    return sh & TAINT_SH_MASK;
}

static inline TaintLabel taint_sh_label(uint64_t sh, unsigned i)
{
    TaintLabel l;

    if (!(sh >> i & 1)) {
        return 0;
    }
    l = (TaintLabel)(sh >> 32) + i;
    return l ? l : 1;
}

/* Encode n (<= 8) byte labels, lowest address first. */
static inline uint64_t taint_sh_from_labels(const TaintLabel *l, unsigned n)
{
    unsigned mask = 0;
    TaintLabel base = 0;

    for (unsigned i = 0; i < n; i++) {
        if (l[i]) {
            if (!mask) {
                base = l[i] - i;
            }
            mask |= 1u << i;
        }
    }
    return (uint64_t)base << 32 | mask;
}

/* Decode into n (<= 8) byte labels. */
static inline void taint_sh_to_labels(uint64_t sh, TaintLabel *l, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        l[i] = taint_sh_label(sh, i);
    }
}

#endif
