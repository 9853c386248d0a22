/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The taint engine's hooks into QEMU's TCG (see docs/taint-engine.md).
 */
#ifndef ACCEL_TCG_TAINT_PROP_H
#define ACCEL_TCG_TAINT_PROP_H

#include "exec/memopidx.h"
#include "exec/cpu-common.h"
#include "hw-taint/shadow-mem.h"

/* Create the shadow globals; called at the end of tcg_x86_init(). */
void taint_tcg_x86_init(void);

/*
 * Instrument the TB's ops, between the front end and tcg_gen_code():
 * fully for a CF_TAINT (dirty mode) TB, else only the sink checks that
 * read memory.
 */
void taint_tcg_instrument(TCGContext *s, const TranslationBlock *tb);
/*
 * Before a translation starts (tcg_func_start()): clean-mode TBs never
 * name a shadow global, so they are translated without them.
 */
void taint_tcg_func_start(TCGContext *s, uint32_t cflags);

/*
 * x86 rep movs and rep stos with flat addresses of aflag (MO_32 or
 * MO_64), in a TB being translated: a page at a time in dirty mode
 * (taint-x86-rep.c).
 */
void taint_x86_gen_rep(const TranslationBlock *tb, MemOp ot, MemOp aflag,
                       bool stos, int mmu_idx);

/* AEC's check through a cold call (taint_gen_aec()). */
void taint_aec_cold(CPUArchState *env, uint64_t target, uint64_t sh,
                    uint64_t unused, uint32_t unused2);

/* Elastic mode (taint-mode.c). */
void taint_mode_init(void);
/* TLB_TAINT for a RAM page with dirty bytes, while cpu is in clean mode. */
int taint_tlb_fill_flags(CPUState *cpu, ram_addr_t ram);
/* The slow path of a load or store to a TLB_TAINT page. */
void taint_tlb_access(CPUArchState *env, target_ulong addr, void *host,
                      int size, bool store, uintptr_t retaddr);
/* Back to clean mode if no shadow register is dirty; true if switched. */
bool taint_cpu_maybe_clean(CPUState *cpu);

/*
 * Labels for generated code (taint-tlb.c): QEMU fills a full TLB entry
 * for vaddr_page, which maps ram (RAM_ADDR_INVALID: not RAM), under the
 * TLB's lock (returns the entry's TLB_TAINT flag); the slow path splits
 * a load in two.
 */
void taint_tlb_init(void);
int taint_tlb_fill(CPUState *cpu, struct CPUTLBEntryFull *full,
                   ram_addr_t ram, target_ulong vaddr_page);
void taint_tlb_split_load(CPUArchState *env, target_ulong addr, MemOpIdx oi);
/*
 * The shadow of the `size` (<= 8) bytes a load read, in value order, not
 * sign-extended; the pages were just accessed.
 */
uint64_t taint_mem_load_shadow(CPUArchState *env, uint64_t addr,
                               MemOpIdx oi);

/* A store made by a C helper (cpu_st*_mmu): it cleans what it wrote. */
void taint_helper_store(CPUArchState *env, target_ulong addr, MemOpIdx oi);

/*
 * The label of the byte at a guest virtual address, found by a page walk
 * that neither faults nor fills the TLB; 0 if unmapped or not RAM.
 */
TaintLabel taint_debug_label(CPUState *cs, uint64_t va);

/*
 * The labels of the `size` (<= 8) bytes at addr, lowest address first,
 * just after the CPU accessed them (the page is in the TLB).
 */
void taint_mem_labels(CPUArchState *env, target_ulong addr, unsigned size,
                      int mmu_idx, TaintLabel *out);
/* Give those `size` (<= 8) bytes the labels `in`. */
void taint_mem_set_labels(CPUArchState *env, target_ulong addr,
                          unsigned size, int mmu_idx, const TaintLabel *in);

/* How the guest enters the kernel, for the AFA check. */
#define TAINT_ENTRY_SYSCALL  0
#define TAINT_ENTRY_INT80    1
#define TAINT_ENTRY_SYSENTER 2

#endif
