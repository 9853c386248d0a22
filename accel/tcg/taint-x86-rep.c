/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rep movs and rep stos under taint, a page at a time.
 *
 * QEMU runs a rep string instruction one element per pass of its TB; an
 * instrumented pass (a load and a store with their shadows) costs about
 * 160-240 host instructions, which made the kernel's copies and clears
 * and libc's memcpy a tenth of the generated code a stream ran.  In a
 * dirty-mode TB the rep loop first calls helper_taint_rep_bulk(), which
 * moves as many elements as the source and destination pages allow
 * (their labels with them), and leaves the rest, always at least one
 * element, to the instrumented pass.  Whatever it cannot do plainly it
 * leaves alone: a dirty pointer or count (write-what-where and condition
 * capture check each element), a dirty rep stos value, a backwards copy,
 * an overlap that repeats a pattern, pages that are not plain RAM (MMIO,
 * watchpoints, pages the guest's page tables do not map) and pages that
 * hold translated code, whose stores must invalidate it byte by byte.
 * Single-stepped and icount TBs keep one element per pass.
 */
#include "qemu/osdep.h"
#include "cpu.h"
#include "exec/exec-all.h"
#include "exec/cpu_ldst.h"
#include "exec/ram_addr.h"
#include "exec/helper-proto.h"
#include "exec/helper-gen.h"
#include "tcg/tcg.h"
#include "tcg/tcg-op.h"
#include "hw-taint/taint.h"
#include "hw-taint/shadow-mem.h"
#include "taint-prop.h"
#include "taint-cond.h"
#include "taint-shadow.h"

/* The helper's argument: element size, stos or movs, address size, mmu. */
#define REP_OT_MASK     3
#define REP_STOS        4
#define REP_ADDR32      8
#define REP_MMU_SHIFT   4

void taint_x86_gen_rep(const TranslationBlock *tb, MemOp ot, MemOp aflag,
                       bool stos, int mmu_idx)
{
    if (!(tb_cflags(tb) & CF_TAINT) || (tb_cflags(tb) & CF_USE_ICOUNT) ||
        taint_cond_on) {
        return;
    }
    gen_helper_taint_rep_bulk(cpu_env,
                              tcg_constant_i32(ot | (stos ? REP_STOS : 0) |
                                               (aflag == MO_32 ? REP_ADDR32
                                                               : 0) |
                                               mmu_idx << REP_MMU_SHIFT));
}

static bool reg_dirty(CPUX86State *env, int reg)
{
    const uint64_t *sh = env_archcpu(env)->taint_shadow;

    return taint_sh_mask(sh[offsetof(CPUX86State, regs[reg]) / 8]);
}

/* Host address of va, if its page is plain RAM that needs no slow path. */
static void *plain_ram(CPUX86State *env, uint64_t va, MMUAccessType type,
                       int mmu_idx, uintptr_t ra)
{
    void *host = NULL;

    if (probe_access_flags(env, va, type, mmu_idx, true, &host, ra) ||
        !host) {
        return NULL;
    }
    return host;
}

static uint64_t page_left(uint64_t va)
{
    return TARGET_PAGE_SIZE - (va & ~TARGET_PAGE_MASK);
}

void HELPER(taint_rep_bulk)(CPUX86State *env, uint32_t desc)
{
    unsigned size = 1u << (desc & REP_OT_MASK);
    bool stos = desc & REP_STOS;
    int mmu_idx = desc >> REP_MMU_SHIFT;
    /* 32-bit addresses: the registers' low halves, written zero-extended */
    uint64_t amask = desc & REP_ADDR32 ? UINT32_MAX : UINT64_MAX;
    uint64_t count = env->regs[R_ECX] & amask;
    uint64_t dst = env->regs[R_EDI] & amask;
    uint64_t src = env->regs[R_ESI] & amask;
    uint64_t room, n, bytes;
    ram_addr_t rdst, rsrc = RAM_ADDR_INVALID;
    uintptr_t ra = GETPC();
    void *hdst, *hsrc = NULL;

    if (count < 2 || env->df != 1 || taint_cond_on ||
        reg_dirty(env, R_EDI) || reg_dirty(env, R_ECX) ||
        reg_dirty(env, stos ? R_EAX : R_ESI)) {
        return;
    }
    room = page_left(dst);
    if (!stos) {
        room = MIN(room, page_left(src));
    }
    /* Whole elements, and one left for the instrumented pass. */
    n = MIN(count - 1, room / size);
    if (!n) {
        return;
    }
    bytes = n * size;
    /* The source first: the loop's load faults before any store. */
    if (!stos) {
        hsrc = plain_ram(env, src, MMU_DATA_LOAD, mmu_idx, ra);
        rsrc = hsrc ? qemu_ram_addr_from_host(hsrc) : RAM_ADDR_INVALID;
        if (rsrc == RAM_ADDR_INVALID) {
            return;
        }
    }
    hdst = plain_ram(env, dst, MMU_DATA_STORE, mmu_idx, ra);
    rdst = hdst ? qemu_ram_addr_from_host(hdst) : RAM_ADDR_INVALID;
    /*
     * The probe invalidated only the translated code of the first byte
     * (notdirty_write()); a page still holding some is the loop's.
     */
    if (rdst == RAM_ADDR_INVALID ||
        !cpu_physical_memory_get_dirty_flag(rdst, DIRTY_MEMORY_CODE)) {
        return;
    }
    /* An element-wise copy forward over its own source repeats. */
    if (!stos && rdst > rsrc && rdst < rsrc + bytes) {
        return;
    }

    if (stos) {
        if (size == 1) {
            memset(hdst, env->regs[R_EAX], bytes);    /* libc's memset */
        } else {
            for (uint64_t i = 0; i < bytes; i += size) {
                stn_le_p(hdst + i, size, env->regs[R_EAX]);
            }
        }
        if (taint_shadow_page_dirty(rdst)) {
            taint_shadow_clear(rdst, bytes);
        }
    } else {
        memmove(hdst, hsrc, bytes);
        if (taint_shadow_page_dirty(rsrc)) {
            taint_shadow_copy(rdst, rsrc, bytes);
        } else if (taint_shadow_page_dirty(rdst)) {
            taint_shadow_clear(rdst, bytes);
        }
        env->regs[R_ESI] = (src + bytes) & amask;
    }
    env->regs[R_EDI] = (dst + bytes) & amask;
    env->regs[R_ECX] = count - n;
}
