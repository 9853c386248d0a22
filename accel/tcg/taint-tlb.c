/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Loads in generated code find their labels without a helper call.
 *
 * Every full TLB entry records, as taint_delta, a host address such that
 * the labels of the guest byte at v are at taint_delta + v * 4: in the
 * label page of the entry's RAM page, or in a page of clean labels.  A
 * qemu_ld has just made its page's entry valid, so the code after it
 * (taint_tlb_gen_ld()) indexes the TLB as QEMU's fast path does, reads
 * the labels and builds the value's shadow inline.
 *
 * Invariant: every valid entry (main and victim tables, all MMU indexes,
 * all vCPUs) that maps guest RAM points at its page's label page, if the
 * page has one.  Kept by taint_tlb_fill(), when QEMU fills an entry
 * (under the TLB's lock), and by page_changed(), when shadow memory gives
 * a page a label page or takes it away (under the shadow's lock, from a
 * vCPU store or a device's DMA): each entry mapping that page is pointed
 * again under its TLB's lock, as tlb_reset_dirty() marks entries for
 * dirty tracking.  Shadow memory frees a label page it took away only in
 * taint_shadow_reclaim(), between TBs, so code reading it meanwhile
 * reads clean labels.  Labels are written before a DMA completes, so a
 * guest that sees the device's completion also sees the new pointer.
 *
 * The same scan sets TLB_TAINT on the entries of a page that gets a
 * label page, for a vCPU in clean mode (taint-mode.c): its next load
 * there switches it to dirty mode, however soon after the DMA it comes.
 *
 * The fast path leaves loads that cross a page to QEMU's slow path, which
 * splits them in two and reads the page after; it hands generated code
 * the whole load's shadow in X86CPU.taint_split_ld
 * (taint_tlb_split_load()).
 */
#include "qemu/osdep.h"
#include "cpu.h"
#include "exec/exec-all.h"
#include "exec/cpu_ldst.h"
#include "hw/core/cpu.h"
#include "tcg/tcg.h"
#include "tcg/tcg-op.h"
#include "exec/helper-proto.h"
#include "exec/helper-gen.h"
#include "hw-taint/taint.h"
#include "taint-prop.h"
#include "taint-pass.h"
#include "taint-shadow.h"
#include "taint-tlb.h"

/* The generated code indexes the full TLB with the fast TLB's index. */
QEMU_BUILD_BUG_ON(sizeof(CPUTLBEntryFull) != 1 << CPU_TLB_ENTRY_BITS);

/* taint_split_ld holds a shadow for the load that follows. */
#define SPLIT_VALID 0x100ull
QEMU_BUILD_BUG_ON(SPLIT_VALID & TAINT_SH_MASK);

/* Labels of pages with no label page, and of what lies past them. */
const TaintLabel taint_tlb_clean_labels[TAINT_PAGE_SIZE + 8];

static uintptr_t delta_for(const TaintLabel *labels, target_ulong vaddr_page)
{
    return (uintptr_t)(labels ? labels : taint_tlb_clean_labels) -
           ((uintptr_t)vaddr_page << 2);
}

int taint_tlb_fill(CPUState *cpu, CPUTLBEntryFull *full, ram_addr_t ram,
                   target_ulong vaddr_page)
{
    const TaintLabel *labels = NULL;

    full->taint_ram = ram != RAM_ADDR_INVALID;
    if (full->taint_ram && hw_taint_enabled()) {
        labels = taint_shadow_page_labels(ram);
    }
    qatomic_set(&full->taint_delta, delta_for(labels, vaddr_page));
    return labels ? taint_tlb_fill_flags(cpu, ram) : 0;
}

/* The guest page a TLB entry maps, or -1 if the entry is unused. */
static target_ulong entry_page(CPUTLBEntry *e)
{
    target_ulong a[3] = {
        qatomic_read(&e->addr_read), qatomic_read(&e->addr_write),
        qatomic_read(&e->addr_code),
    };

    for (int i = 0; i < 3; i++) {
        if (!(a[i] & TLB_INVALID_MASK)) {
            return a[i] & TARGET_PAGE_MASK;
        }
    }
    return -1;
}

/*
 * Point the entry at the labels of ram_page, if it maps that page; a
 * clean-mode vCPU's loads and stores there must also take the slow path
 * now (TLB_TAINT, see taint-mode.c), as a fill would have said.
 */
static void point_entry(CPUTLBEntry *e, CPUTLBEntryFull *full,
                        ram_addr_t ram_page, const TaintLabel *labels,
                        bool clean_mode)
{
    target_ulong va;

    if (!full->taint_ram) {
        return;
    }
    va = entry_page(e);
    if (va == (target_ulong)-1 || va + full->xlat_section != ram_page) {
        return;
    }
    qatomic_set(&full->taint_delta, delta_for(labels, va));
    if (labels && clean_mode) {
        if (!(e->addr_read & TLB_INVALID_MASK)) {
            qatomic_set(&e->addr_read, e->addr_read | TLB_TAINT);
        }
        if (!(e->addr_write & TLB_INVALID_MASK)) {
            qatomic_set(&e->addr_write, e->addr_write | TLB_TAINT);
        }
    }
}

static void point_entries(CPUState *cpu, ram_addr_t ram_page,
                          const TaintLabel *labels)
{
    CPUTLB *tlb = env_tlb(cpu->env_ptr);
    bool clean_mode = !(qatomic_read(&cpu->tcg_cflags) & CF_TAINT);

    qemu_spin_lock(&tlb->c.lock);
    for (int m = 0; m < NB_MMU_MODES; m++) {
        CPUTLBDesc *d = &tlb->d[m];
        /* A table with no valid entry (most MMU indexes) is skipped. */
        size_t n = d->n_used_entries ? (tlb->f[m].mask >>
                                        CPU_TLB_ENTRY_BITS) + 1 : 0;

        for (size_t i = 0; i < n; i++) {
            point_entry(&tlb->f[m].table[i], &d->fulltlb[i], ram_page,
                        labels, clean_mode);
        }
        for (size_t i = 0; i < CPU_VTLB_SIZE; i++) {
            point_entry(&d->vtable[i], &d->vfulltlb[i], ram_page, labels,
                        clean_mode);
        }
    }
    qemu_spin_unlock(&tlb->c.lock);
}

/* Shadow memory's page hook: a label page came (labels) or went. */
static void page_changed(uint64_t ram_page, const TaintLabel *labels)
{
    CPUState *cpu;

    CPU_FOREACH(cpu) {
        point_entries(cpu, ram_page, labels);
    }
}

void taint_tlb_init(void)
{
    taint_shadow_set_page_hook(page_changed);
}

void taint_tlb_split_load(CPUArchState *env, target_ulong addr, MemOpIdx oi)
{
    if (hw_taint_enabled()) {
        env_archcpu(env)->taint_split_ld =
            taint_mem_load_shadow(env, addr, oi) | SPLIT_VALID;
    }
}

static intptr_t env_ofs(size_t archcpu_ofs)
{
    return (intptr_t)archcpu_ofs - (intptr_t)offsetof(ArchCPU, env);
}

bool taint_tlb_gen_ld_begin(MemOpIdx oi)
{
    MemOp mop = get_memop(oi);

    if ((mop & MO_BSWAP) == MO_BE || memop_size(mop) > 8) {
        return false;           /* movbe: the helper */
    }
    if (memop_size(mop) == 1) {
        return true;            /* never split */
    }
    tcg_gen_st_i64(tcg_constant_i64(0), cpu_env,
                   env_ofs(offsetof(ArchCPU, taint_split_ld)));
    return true;
}

/* p = the labels of addr, just accessed with mmu index m; t: scratch */
static void gen_labels_ptr(TCGv_i64 p, TCGv_i64 t, TCGv_i64 addr, int m)
{
    TCGv_ptr pp = temp_tcgv_ptr(tcgv_i64_temp(p));

    /* The full TLB entry of addr's page, indexed as the fast path does */
    tcg_gen_shri_i64(p, addr, TARGET_PAGE_BITS - CPU_TLB_ENTRY_BITS);
    tcg_gen_ld_i64(t, cpu_env, env_ofs(offsetof(ArchCPU, neg.tlb.f[m].mask)));
    tcg_gen_and_i64(p, p, t);
    tcg_gen_ld_i64(t, cpu_env,
                   env_ofs(offsetof(ArchCPU, neg.tlb.d[m].fulltlb)));
    tcg_gen_add_i64(p, p, t);
    /* ... and the labels of the bytes accessed */
    tcg_gen_ld_i64(p, pp, offsetof(CPUTLBEntryFull, taint_delta));
    tcg_gen_shli_i64(t, addr, 2);
    tcg_gen_add_i64(p, p, t);
}

/*
 * Scan the labels of a size-byte access at pp: any != 0 iff some label
 * is not 0, zero != 0 iff some label is 0; w0: the first 8 bytes of
 * labels (labels 0 and 1), or label 0 alone for one byte; t: scratch.
 */
static void gen_scan_labels(TCGv_ptr pp, unsigned size, TCGv_i64 any,
                            TCGv_i64 zero, TCGv_i64 w0, TCGv_i64 t)
{
    if (size == 1) {
        tcg_gen_ld32u_i64(w0, pp, 0);
        tcg_gen_mov_i64(any, w0);
        tcg_gen_setcondi_i64(TCG_COND_EQ, zero, w0, 0);
        return;
    }
    for (unsigned i = 0; i < size / 2; i++) {
        TCGv_i64 w = i ? tcg_temp_new_i64() : w0;

        tcg_gen_ld_i64(w, pp, 8 * i);
        /* A label of 0 in either half of w (exact, SWAR) */
        tcg_gen_subi_i64(t, w, 0x100000001ull);
        tcg_gen_andc_i64(t, t, w);
        if (i) {
            tcg_gen_or_i64(any, any, w);
            tcg_gen_or_i64(zero, zero, t);
            tcg_temp_free_i64(w);
        } else {
            tcg_gen_mov_i64(any, w);
            tcg_gen_mov_i64(zero, t);
        }
    }
    tcg_gen_andi_i64(zero, zero, 0x8000000080000000ull);
}

/* A load whose bytes are clean in part (cold call from generated code). */
static void mixed_load(CPUArchState *env, uint64_t addr, uint64_t unused1,
                       uint64_t unused2, uint32_t oi)
{
    taint_tlb_split_load(env, addr, oi);
}

/*
 * A load of 2 to 8 bytes with a cold call (INDEX_op_cold_call): all
 * clean or all dirty inline, in part through mixed_load(), which leaves
 * the shadow where the slow path leaves a split load's.
 */
static void gen_ld_scan(TCGv_i64 sh, TCGv_i64 addr, TCGv_i64 p,
                        TCGv_i64 t, unsigned size, MemOpIdx oi)
{
    TCGv_ptr pp = temp_tcgv_ptr(tcgv_i64_temp(p));
    TCGv_i64 any = tcg_temp_new_i64(), zero = tcg_temp_new_i64();
    TCGv_i64 w0 = tcg_temp_new_i64();
    TCGv_i64 k0 = tcg_constant_i64(0);

    gen_scan_labels(pp, size, any, zero, w0, t);
    /* All dirty: byte 0's label, every byte */
    tcg_gen_shli_i64(w0, w0, 32);
    tcg_gen_ori_i64(w0, w0, (1u << size) - 1);
    tcg_gen_movcond_i64(TCG_COND_EQ, sh, zero, k0, w0, k0);
    /* Some dirty and some clean: the helper */
    tcg_gen_movcond_i64(TCG_COND_EQ, any, any, k0, k0, zero);
    tcg_gen_op6(INDEX_op_cold_call, tcgv_i64_arg(any), tcgv_i64_arg(addr),
                tcgv_i64_arg(addr), tcgv_i64_arg(addr),
                (TCGArg)mixed_load, oi);
    tcg_temp_free_i64(any);
    tcg_temp_free_i64(zero);
    tcg_temp_free_i64(w0);
}

void taint_tlb_gen_ld(TCGv_i64 sh, TCGv_i64 addr, MemOpIdx oi)
{
    MemOp mop = get_memop(oi);
    unsigned size = memop_size(mop);
    TCGv_i64 p = tcg_temp_new_i64(), t = tcg_temp_new_i64();
    TCGv_i64 l = tcg_temp_new_i64(), mask = tcg_temp_new_i64();
    TCGv_ptr pp = temp_tcgv_ptr(tcgv_i64_temp(p));
    TCGv_ptr lp = temp_tcgv_ptr(tcgv_i64_temp(l));

    gen_labels_ptr(p, t, addr, get_mmuidx(oi));
    if (size == 1) {
        /* Its label, if any, is byte 0's */
        tcg_gen_ld32u_i64(l, pp, 0);
        tcg_gen_setcondi_i64(TCG_COND_NE, mask, l, 0);
        tcg_gen_shli_i64(l, l, 32);
        tcg_gen_or_i64(sh, l, mask);
        goto extend;
    }
    if (TCG_TARGET_HAS_cold_call) {
        gen_ld_scan(sh, addr, p, t, size, oi);
        goto split;
    }
    /* Bit i of the mask: byte i's label is not 0 */
    for (unsigned i = 0; i < size; i++) {
        tcg_gen_ld32u_i64(l, pp, 4 * i);
        tcg_gen_setcondi_i64(TCG_COND_NE, i ? l : mask, l, 0);
        if (i) {
            tcg_gen_shli_i64(l, l, i);
            tcg_gen_or_i64(mask, mask, l);
        }
    }
    /* Byte 0's label: the first dirty byte's, less its index */
    tcg_gen_ctzi_i64(t, mask, 0);
    tcg_gen_shli_i64(l, t, 2);
    tcg_gen_add_i64(l, l, p);
    tcg_gen_ld32u_i64(l, lp, 0);
    tcg_gen_sub_i64(l, l, t);
    tcg_gen_shli_i64(l, l, 32);
    tcg_gen_or_i64(sh, l, mask);

split:
    /* A load the slow path split: its shadow instead */
    tcg_gen_ld_i64(t, cpu_env, env_ofs(offsetof(ArchCPU, taint_split_ld)));
    tcg_gen_xori_i64(l, t, SPLIT_VALID);
    tcg_gen_movcond_i64(TCG_COND_NE, sh, t, tcg_constant_i64(0), l, sh);

extend:
    /* A sign-extending load: the high bytes come from the top byte */
    if ((mop & MO_SIGN) && size < 8) {
        tcg_gen_extract_i64(t, sh, size - 1, 1);
        tcg_gen_neg_i64(t, t);
        tcg_gen_andi_i64(t, t, TAINT_SH_MASK & ~((1u << size) - 1));
        tcg_gen_or_i64(sh, sh, t);
    }
    tcg_temp_free_i64(p);
    tcg_temp_free_i64(t);
    tcg_temp_free_i64(l);
    tcg_temp_free_i64(mask);
}

/*
 * Where a store's labels go when generated code must not write them:
 * written, never read.  One for all vCPUs: under taint one thread runs
 * them all (patch 0003 turns MTTCG off), so no cache line is fought over.
 */
static TaintLabel st_discard[8];

/*
 * After a qemu_st: the two common cases inline, the rest in
 * helper_taint_st() through a cold call (INDEX_op_cold_call), on hosts
 * that have it.  Inline: a clean value over clean bytes (nothing to do)
 * and a wholly dirty value over dirty bytes (the labels written in
 * place, as the helper's st_relabel() would).  The helper: bytes that
 * change between clean and dirty, values dirty in part, stores across
 * a page, byte-swapped stores, labels that would wrap, and stores
 * through an address with four dirty bytes (write-what-where).
 */
void taint_tlb_gen_st(TCGv_i64 addr, TCGv_i64 sh, TCGv_i64 addr_sh,
                      MemOpIdx oi)
{
    MemOp mop = get_memop(oi);
    unsigned size = memop_size(mop);
    uint64_t full = (1u << size) - 1;
    TCGv_i64 p, t, w, any, zero, msk, c2, base, bad;
    TCGv_ptr pp;
    TCGv_i64 k0 = tcg_constant_i64(0);

    if (!TCG_TARGET_HAS_cold_call || (mop & MO_BSWAP) == MO_BE ||
        size > 8) {
        gen_helper_taint_st(cpu_env, addr, sh, addr_sh,
                            tcg_constant_i32(oi));
        return;
    }
    p = tcg_temp_new_i64();
    t = tcg_temp_new_i64();
    w = tcg_temp_new_i64();
    any = tcg_temp_new_i64();
    zero = tcg_temp_new_i64();
    pp = temp_tcgv_ptr(tcgv_i64_temp(p));
    gen_labels_ptr(p, t, addr, get_mmuidx(oi));
    /* The old labels */
    gen_scan_labels(pp, size, any, zero, w, t);

    /* Clean over clean iff (msk | any) == 0 */
    msk = tcg_temp_new_i64();
    tcg_gen_andi_i64(msk, sh, full);
    /* Dirty over dirty, relabelled inline, iff c2 == 0 */
    c2 = tcg_temp_new_i64();
    tcg_gen_xori_i64(c2, msk, full);
    tcg_gen_or_i64(c2, c2, zero);
    tcg_gen_or_i64(msk, msk, any);
    /* The labels base .. base + size - 1 must not wrap to 0 */
    base = tcg_temp_new_i64();
    tcg_gen_shri_i64(base, sh, 32);
    tcg_gen_subi_i64(t, base, 1);
    tcg_gen_setcondi_i64(TCG_COND_GTU, t, t, UINT32_MAX - size);
    tcg_gen_or_i64(c2, c2, t);
    /* Either way, not across a page nor write-what-where */
    bad = tcg_temp_new_i64();
    tcg_gen_andi_i64(bad, addr_sh, 0xf);
    tcg_gen_setcondi_i64(TCG_COND_EQ, bad, bad, 0xf);
    if (size > 1) {
        tcg_gen_andi_i64(t, addr, ~TARGET_PAGE_MASK);
        tcg_gen_setcondi_i64(TCG_COND_GTU, t, t, TARGET_PAGE_SIZE - size);
        tcg_gen_or_i64(bad, bad, t);
    }
    tcg_gen_or_i64(c2, c2, bad);
    tcg_gen_movcond_i64(TCG_COND_EQ, bad, msk, k0, bad, c2);

    /* The labels base + i, written in place only if c2 == 0 */
    tcg_gen_movcond_i64(TCG_COND_NE, p, c2, k0,
                        tcg_constant_i64((uintptr_t)st_discard), p);
    if (size == 1) {
        tcg_gen_st32_i64(base, pp, 0);
    } else {
        tcg_gen_muli_i64(w, base, 0x100000001ull);
        tcg_gen_addi_i64(w, w, 1ull << 32);
        for (unsigned i = 0; i < size / 2; i++) {
            if (i) {
                tcg_gen_addi_i64(w, w, 0x200000002ull);
            }
            tcg_gen_st_i64(w, pp, 8 * i);
        }
    }
    tcg_gen_op6(INDEX_op_cold_call, tcgv_i64_arg(bad), tcgv_i64_arg(addr),
                tcgv_i64_arg(sh), tcgv_i64_arg(addr_sh),
                (TCGArg)HELPER(taint_st), oi);

    tcg_temp_free_i64(p);
    tcg_temp_free_i64(t);
    tcg_temp_free_i64(w);
    tcg_temp_free_i64(any);
    tcg_temp_free_i64(zero);
    tcg_temp_free_i64(msk);
    tcg_temp_free_i64(c2);
    tcg_temp_free_i64(base);
    tcg_temp_free_i64(bad);
}
