/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The labels of a guest access, found through its TLB entry (see
 * taint-tlb.c): for code that runs just after the access, while the
 * entry is valid.
 */
#ifndef ACCEL_TCG_TAINT_TLB_H
#define ACCEL_TCG_TAINT_TLB_H

#include "hw-taint/shadow-mem.h"

/* What the entries of pages without a label page point at. */
extern const TaintLabel taint_tlb_clean_labels[TAINT_PAGE_SIZE + 8];

/* The labels of the byte at addr, just accessed with mmu_idx. */
static inline const TaintLabel *taint_tlb_labels(CPUArchState *env,
                                                 target_ulong addr,
                                                 int mmu_idx)
{
    uintptr_t i = tlb_index(env, mmu_idx, addr);

    return (const TaintLabel *)(env_tlb(env)->d[mmu_idx].fulltlb[i]
                                .taint_delta + ((uintptr_t)addr << 2));
}

/* Are these labels in a label page (not the clean ones)? */
static inline bool taint_tlb_labels_paged(const TaintLabel *l)
{
    return (uintptr_t)l - (uintptr_t)taint_tlb_clean_labels >=
           sizeof(taint_tlb_clean_labels);
}

#endif
