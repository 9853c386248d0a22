/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Elastic taint tracking: a vCPU runs instrumented TBs only while it may
 * touch dirty data.
 *
 * Clean mode (the default): every shadow register is clean, and TBs are
 * translated without the propagation pass (only the sink checks that
 * read memory: AFA and iret/lret targets).  The TLB entries of guest
 * pages with dirty bytes carry TLB_TAINT, so that the CPU's loads and
 * stores there take the softmmu slow path, which calls
 * taint_tlb_access(): a store cleans what it writes (no register is
 * dirty), a load of a dirty byte switches the vCPU to dirty mode and
 * restarts the instruction.
 *
 * Dirty mode: TBs carry CF_TAINT and the full propagation pass.  When
 * the vCPU next takes an interrupt with all its shadow registers clean,
 * it returns to clean mode.
 *
 * A page that becomes dirty (DMA from a NIC) while a vCPU is in clean
 * mode gets TLB_TAINT in that vCPU's TLB entries at once, under the
 * shadow's lock, before the DMA completes (taint-tlb.c).
 */
#include "qemu/osdep.h"
#include "qemu/timer.h"
#include "qemu/main-loop.h"
#include "cpu.h"
#include "exec/exec-all.h"
#include "exec/cpu_ldst.h"
#include "exec/ram_addr.h"
#include "hw/core/cpu.h"
#include "sysemu/reset.h"
#include "hw-taint/taint.h"
#include "taint-prop.h"
#include "taint-cond.h"

/*
 * Dirty mode lasts at least this long: the instruction that switched
 * must get to run instrumented (an interrupt may be pending all along),
 * and a guest that keeps touching dirty data must not flip-flop.
 */
#define DIRTY_MODE_MIN_NS (5 * SCALE_MS)

/* When the vCPU (one: taint forces single-threaded TCG) went dirty. */
static int64_t dirty_since;
/* Statistics for query-taint, written by the vCPU thread only. */
static uint64_t dirty_entries, dirty_ns_done;

static bool dirty_mode(CPUState *cpu)
{
    return cpu->tcg_cflags & CF_TAINT;
}

static void set_dirty_mode(CPUState *cpu, bool dirty)
{
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_REALTIME);

    if (dirty && !dirty_mode(cpu)) {
        cpu->tcg_cflags |= CF_TAINT;
        dirty_since = now;
        qatomic_set(&dirty_entries, dirty_entries + 1);
    } else if (!dirty && dirty_mode(cpu)) {
        cpu->tcg_cflags &= ~CF_TAINT;
        qatomic_set(&dirty_ns_done, dirty_ns_done + (now - dirty_since));
    }
}

void taint_mode_stats(uint64_t *entries, uint64_t *ns)
{
    CPUState *cpu = first_cpu;
    uint64_t done = qatomic_read(&dirty_ns_done);

    *entries = qatomic_read(&dirty_entries);
    *ns = done;
    if (cpu && dirty_mode(cpu)) {
        *ns += qemu_clock_get_ns(QEMU_CLOCK_REALTIME) -
               qatomic_read(&dirty_since);
    }
}

int taint_tlb_fill_flags(CPUState *cpu, ram_addr_t ram)
{
    if (!hw_taint_enabled() || dirty_mode(cpu) ||
        !taint_shadow_page_dirty(ram)) {
        return 0;
    }
    return TLB_TAINT;
}

static bool range_dirty(CPUArchState *env, target_ulong addr, void *host,
                        int size)
{
    ram_addr_t ram = qemu_ram_addr_from_host(host);
    TaintLabel l[16];

    if (ram == RAM_ADDR_INVALID) {
        return false;
    }
    return taint_shadow_read(ram, MIN(size, 16), l) != 0;
}

void taint_tlb_access(CPUArchState *env, target_ulong addr, void *host,
                      int size, bool store, uintptr_t retaddr)
{
    CPUState *cpu = env_cpu(env);

    if (dirty_mode(cpu)) {
        return;                 /* instrumented code keeps the shadow */
    }
    /* This page only: the slow path visits the next one separately. */
    size = MIN(size, TARGET_PAGE_SIZE - (addr & ~TARGET_PAGE_MASK));
    if (store) {
        ram_addr_t ram = qemu_ram_addr_from_host(host);

        /* No register is dirty: what the CPU writes is clean. */
        if (ram != RAM_ADDR_INVALID) {
            taint_shadow_clear(ram, size);
        }
        return;
    }
    if (!range_dirty(env, addr, host, size)) {
        return;
    }
    set_dirty_mode(cpu, true);
    if (retaddr) {
        /*
         * Redo the instruction in an instrumented TB (the flush drops the
         * TLB_TAINT entries, which dirty mode does not need).
         */
        tlb_flush(cpu);
        cpu_loop_exit_restore(cpu, retaddr);
    }
    /*
     * A load from C code (a helper): it goes on, and the CPU leaves its
     * TB chain at the next TB so that what follows runs instrumented.
     */
    cpu_exit(cpu);
}

/* Is every shadow register of this vCPU clean? */
static bool cpu_shadow_clean(CPUState *cpu)
{
    const uint64_t *w = X86_CPU(cpu)->taint_shadow;

    for (size_t i = 0; i < ARRAY_SIZE(X86_CPU(cpu)->taint_shadow); i++) {
        if (w[i] & 0xff) {
            return false;
        }
    }
    return true;
}

bool taint_cpu_maybe_clean(CPUState *cpu)
{
    /* Between TBs, with the BQL: no reader of shadow pages is running. */
    if (taint_shadow_retired()) {
        qemu_mutex_lock_iothread();
        taint_shadow_reclaim();
        qemu_mutex_unlock_iothread();
    }
    /*
     * Condition capture follows expressions through every TB from the
     * first dirty one on (a length the kernel returns is clean).
     */
    if (!dirty_mode(cpu) || taint_cond_on ||
        qemu_clock_get_ns(QEMU_CLOCK_REALTIME) - dirty_since <
        DIRTY_MODE_MIN_NS ||
        !cpu_shadow_clean(cpu)) {
        return false;
    }
    set_dirty_mode(cpu, false);
    taint_cond_forget_registers();
    tlb_flush(cpu);             /* refill with TLB_TAINT where dirty */
    return true;
}

static void taint_mode_reset(void *opaque)
{
    CPUState *cpu;

    CPU_FOREACH(cpu) {
        set_dirty_mode(cpu, false);
    }
}

void taint_mode_init(void)
{
    taint_tlb_init();
    qemu_register_reset(taint_mode_reset, NULL);
}
