/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the taint propagation pass knows about x86: where the CPU state's
 * shadow lives, the shadow globals, and the rules for the helpers that
 * touch registers behind TCG's back, jump, or enter the kernel.
 */
#include "qemu/osdep.h"
#include "cpu.h"
#include "exec/exec-all.h"
#include "sysemu/reset.h"
#include "sysemu/cpus.h"
#include "hw/core/cpu.h"
#include "tcg/tcg.h"
#include "tcg/tcg-op.h"
#include "exec/helper-proto.h"
#include "exec/helper-gen.h"
#include "hw-taint/taint.h"
#include "taint-shadow.h"
#include "taint-pass.h"
#include "taint-prop.h"

/* Shadow globals of the general registers, for the helper rules. */
static size_t reg_shadow[CPU_NB_REGS];

/* Kinds of kernel entry for the AFA check, see taint-sinks.c. */
enum {
    ENTRY_SYSCALL = TAINT_ENTRY_SYSCALL,
    ENTRY_INT80 = TAINT_ENTRY_INT80,
    ENTRY_SYSENTER = TAINT_ENTRY_SYSENTER,
};

static void taint_x86_reset(void *opaque)
{
    CPUState *cs;

    CPU_FOREACH(cs) {
        X86CPU *cpu = X86_CPU(cs);

        memset(cpu->taint_shadow, 0, sizeof(cpu->taint_shadow));
    }
}

void taint_tcg_x86_init(void)
{
    TCGContext *s = tcg_ctx;
    TCGTemp *env = tcgv_ptr_temp(cpu_env);
    size_t nglobals = s->nb_globals;
    size_t words = sizeof(CPUX86State) / 8;
    size_t spare = 0;

    if (!hw_taint_enabled()) {
        return;
    }
    taint_env_shadow_ofs = offsetof(X86CPU, taint_shadow) -
                           offsetof(X86CPU, env);
    taint_env_size = words * 8;

    for (size_t i = 0; i < nglobals; i++) {
        TCGTemp *g = &s->temps[i];
        intptr_t o = g->mem_offset;
        intptr_t slot;

        if (g->kind != TEMP_GLOBAL || g->mem_base != env) {
            continue;
        }
        if (o == offsetof(CPUX86State, eip)) {
            taint_pc_global = i;
            continue;
        }
        if (g->base_type == TCG_TYPE_I64 && !(o & 7)) {
            slot = o;
        } else {
            /* Narrower than a word: a slot of its own past the state. */
            g_assert(words + spare < sizeof_field(X86CPU, taint_shadow) / 8);
            slot = (words + spare++) * 8;
        }
        taint_global_shadow[i] = temp_idx(tcgv_i64_temp(tcg_global_mem_new_i64(
            cpu_env, taint_env_shadow_ofs + slot,
            g_strdup_printf("taint_%s", g->name))));
        for (int r = 0; r < CPU_NB_REGS; r++) {
            if (o == offsetof(CPUX86State, regs[r])) {
                reg_shadow[r] = taint_global_shadow[i];
            }
        }
    }
    taint_pass_shadow_globals(s, nglobals);
    qemu_register_reset(taint_x86_reset, NULL);
    taint_mode_init();
}

bool taint_target_tb_kernel(const TranslationBlock *tb)
{
    return !hw_taint_kernel_all && (tb->flags & HF_CPL_MASK) == 0;
}

unsigned taint_target_ptr_bytes(const char *helper, intptr_t env_ofs)
{
    if (g_str_has_suffix(helper, "_ymm") || g_str_has_prefix(helper, "gvec_")) {
        return 32;
    }
    if (g_str_has_suffix(helper, "_mmx")) {
        return 8;
    }
    return 16;
}

static void clean_regs(const int *regs, int n)
{
    for (int i = 0; i < n; i++) {
        tcg_gen_movi_i64(temp_tcgv_i64(taint_temp(reg_shadow[regs[i]])), 0);
    }
}

static TCGv_i64 as_i64(TCGTemp *t)
{
    TCGv_i64 v;

    if (t->base_type == TCG_TYPE_I64) {
        return temp_tcgv_i64(t);
    }
    v = tcg_temp_new_i64();
    tcg_gen_extu_i32_i64(v, temp_tcgv_i32(t));
    return v;
}

/* Far transfers take the new EIP as an argument: check it (AEC). */
static void check_target_arg(TaintPass *p, TCGTemp *target)
{
    TCGv_i64 v = as_i64(target);

    taint_gen_aec(v, temp_tcgv_i64(taint_pass_in(p, target)));
    if (target->base_type != TCG_TYPE_I64) {
        tcg_temp_free_i64(v);
    }
}

/*
 * iret and lret pop EIP inside the helper: check the stack slot.  The
 * operand size is the helper's shift argument (0: 16-bit, 1: 32, 2: 64),
 * passed on as is: the front end loads it into a temp (tcg_const_i32),
 * so its value is only known at run time.
 */
static void check_stack_target(TCGTemp *shift)
{
    gen_helper_taint_aec_stack(cpu_env, temp_tcgv_i32(shift));
}

void taint_target_sink_rule(TaintPass *p, void *func, TCGTemp **in,
                            int nin)
{
    if (func == helper_syscall) {
        gen_helper_taint_afa(cpu_env, tcg_constant_i32(ENTRY_SYSCALL));
    } else if (func == helper_sysenter) {
        gen_helper_taint_afa(cpu_env, tcg_constant_i32(ENTRY_SYSENTER));
    } else if (func == helper_raise_interrupt && nin >= 2 &&
               in[1]->kind == TEMP_CONST && in[1]->val == 0x80) {
        gen_helper_taint_afa(cpu_env, tcg_constant_i32(ENTRY_INT80));
    } else if (func == helper_iret_protected || func == helper_iret_real ||
               func == helper_lret_protected) {
        check_stack_target(in[1]);
    }
}

/*
 * Vector and x87 registers saved to and restored from guest memory by C
 * helpers (the kernel's context switch, ld.so's lazy-binding trampoline):
 * their labels travel with them.  A save gives the image the registers'
 * labels (the helper's stores have just cleaned it, patch 0014); a
 * restore gives the registers the image's labels, or clean for state
 * the instruction initialises.  Without this, registers kept the shadow
 * of the task switched out (docs/false-alarms.md).
 */
enum {
    XSTATE_FXSAVE,
    XSTATE_FXRSTOR,
    XSTATE_XSAVE,
    XSTATE_XRSTOR,
};

#define XSAVE_HEADER_OFS    sizeof(X86LegacyXSaveArea)
#define XSAVE_AVX_OFS       (XSAVE_HEADER_OFS + sizeof(X86XSaveHeader))

/* Carry the labels of `bytes` (<= 8) bytes at env offset o and addr. */
static void xstate_move(CPUX86State *env, size_t o, target_ulong addr,
                        unsigned bytes, bool save, int mmu_idx)
{
    uint64_t *w = &env_archcpu(env)->taint_shadow[o / 8];
    TaintLabel l[8] = { 0 };

    g_assert(o % 8 == 0 && bytes <= 8);
    if (save) {
        if (taint_sh_mask(*w) & ((1u << bytes) - 1)) {
            taint_sh_to_labels(*w, l, bytes);
            taint_mem_set_labels(env, addr, bytes, mmu_idx, l);
        }
    } else {
        taint_mem_labels(env, addr, bytes, mmu_idx, l);
        *w = taint_sh_from_labels(l, bytes);
    }
}

static void xstate_clean(CPUX86State *env, size_t o, size_t bytes)
{
    memset(&env_archcpu(env)->taint_shadow[o / 8], 0, bytes);
}

/* XMM (i = 0..nregs) bytes ofs..ofs+15 of ZMMReg, at addr + 16 * i. */
static void xstate_vec(CPUX86State *env, target_ulong addr, size_t zmm_ofs,
                       bool save, int mmu_idx)
{
    int nregs = env->hflags & HF_CS64_MASK ? 16 : 8;

    for (int i = 0; i < nregs; i++) {
        size_t o = offsetof(CPUX86State, xmm_regs[i]) + zmm_ofs;

        xstate_move(env, o, addr + 16 * i, 8, save, mmu_idx);
        xstate_move(env, o + 8, addr + 16 * i + 8, 8, save, mmu_idx);
    }
}

static void xstate_vec_clean(CPUX86State *env, size_t zmm_ofs)
{
    for (int i = 0; i < CPU_NB_REGS; i++) {
        xstate_clean(env, offsetof(CPUX86State, xmm_regs[i]) + zmm_ofs, 16);
    }
}

/*
 * The x87/MMX registers: slot i of the image is ST(i), the mantissa
 * (MMX's 8 bytes) carries labels, the exponent word is clean.
 */
static void xstate_fpu(CPUX86State *env, target_ulong ptr, bool save,
                       int mmu_idx)
{
    for (int i = 0; i < 8; i++) {
        size_t o = offsetof(CPUX86State, fpregs[(env->fpstt + i) & 7]);
        target_ulong addr = ptr + offsetof(X86LegacyXSaveArea, fpregs[i]);

        xstate_move(env, o, addr, 8, save, mmu_idx);
        if (!save) {
            xstate_clean(env, o + 8, sizeof(FPReg) - 8);
        }
    }
}

void HELPER(taint_xstate)(CPUX86State *env, uint64_t ptr, uint64_t rfbm,
                          uint32_t kind)
{
    bool save = kind == XSTATE_FXSAVE || kind == XSTATE_XSAVE;
    int mmu_idx = cpu_mmu_index(env, false);
    uint64_t moved, init = 0;

    if (kind == XSTATE_FXSAVE || kind == XSTATE_FXRSTOR) {
        moved = XSTATE_FP_MASK;
        /* As the helpers: fast fxsave leaves the XMM registers out. */
        if ((env->cr[4] & CR4_OSFXSR_MASK) &&
            (!(env->efer & MSR_EFER_FFXSR) || (env->hflags & HF_CPL_MASK) ||
             !(env->hflags & HF_LMA_MASK))) {
            moved |= XSTATE_SSE_MASK;
        }
    } else {
        moved = rfbm & env->xcr0;
        if (!save) {
            uint64_t bv = cpu_ldq_data_ra(env, ptr + XSAVE_HEADER_OFS,
                                          GETPC());

            init = moved & ~bv;
            moved &= bv;
        }
    }
    /* No dirty byte in memory: what is restored is clean. */
    if (!save && !taint_shadow_any()) {
        init |= moved;
        moved = 0;
    }
    if (moved & XSTATE_FP_MASK) {
        xstate_fpu(env, ptr, save, mmu_idx);
    }
    if (moved & XSTATE_SSE_MASK) {
        xstate_vec(env, ptr + offsetof(X86LegacyXSaveArea, xmm_regs), 0,
                   save, mmu_idx);
    }
    if (moved & XSTATE_YMM_MASK) {
        xstate_vec(env, ptr + XSAVE_AVX_OFS, 16, save, mmu_idx);
    }
    if (init & XSTATE_FP_MASK) {
        xstate_clean(env, offsetof(CPUX86State, fpregs), sizeof(env->fpregs));
    }
    if (init & XSTATE_SSE_MASK) {
        xstate_vec_clean(env, 0);
    }
    if (init & XSTATE_YMM_MASK) {
        xstate_vec_clean(env, 16);
    }
}

void taint_target_call_after(void *func, TCGTemp **in, int nin)
{
    int kind;
    TCGv_i64 rfbm;

    if (func == helper_fxsave) {
        kind = XSTATE_FXSAVE;
    } else if (func == helper_fxrstor) {
        kind = XSTATE_FXRSTOR;
    } else if (func == helper_xsave || func == helper_xsaveopt) {
        kind = XSTATE_XSAVE;
    } else if (func == helper_xrstor) {
        kind = XSTATE_XRSTOR;
    } else {
        return;
    }
    /* (env, ptr) or (env, ptr, rfbm); ptr is a target_ulong: 64 bits. */
    rfbm = nin >= 3 ? temp_tcgv_i64(in[2]) : tcg_constant_i64(0);
    gen_helper_taint_xstate(cpu_env, temp_tcgv_i64(in[1]), rfbm,
                            tcg_constant_i32(kind));
}

bool taint_target_call_rule(TaintPass *p, TCGOp *op, void *func,
                            TCGTemp **in, int nin, TCGTemp **out, int nout)
{
    static const int edx_eax[] = { R_EAX, R_EDX };
    static const int cpuid_regs[] = { R_EAX, R_EBX, R_ECX, R_EDX };
    static const int rdtscp_regs[] = { R_EAX, R_ECX, R_EDX };
    static const int syscall_regs[] = { R_ECX, 11 };

    /* Kernel entries: the AFA check first. */
    if (func == helper_syscall) {
        gen_helper_taint_afa(cpu_env, tcg_constant_i32(ENTRY_SYSCALL));
#ifdef TARGET_X86_64
        clean_regs(syscall_regs, 2);    /* RCX, R11: return rip, rflags */
#endif
        return false;
    }
    if (func == helper_sysenter) {
        gen_helper_taint_afa(cpu_env, tcg_constant_i32(ENTRY_SYSENTER));
        return false;
    }
    if (func == helper_raise_interrupt && nin >= 2 &&
        in[1]->kind == TEMP_CONST && in[1]->val == 0x80) {
        gen_helper_taint_afa(cpu_env, tcg_constant_i32(ENTRY_INT80));
        return false;
    }

    /* Control transfers whose target the helper computes. */
    if (func == helper_iret_protected || func == helper_iret_real ||
        func == helper_lret_protected) {
        check_stack_target(in[1]);
        return false;
    }
    if (func == helper_ljmp_protected || func == helper_lcall_protected ||
        func == helper_lcall_real) {
        check_target_arg(p, in[2]);
        return false;
    }

    /* Helpers that write registers through env. */
    if (func == helper_divb_AL || func == helper_idivb_AL ||
        func == helper_divw_AX || func == helper_idivw_AX ||
        func == helper_divl_EAX || func == helper_idivl_EAX
#ifdef TARGET_X86_64
        || func == helper_divq_EAX || func == helper_idivq_EAX
#endif
        ) {
        TCGTemp *eax = taint_temp(reg_shadow[R_EAX]);
        TCGTemp *edx = taint_temp(reg_shadow[R_EDX]);
        TCGTemp *acc;

        if (taint_pass_kernel(p)) {
            clean_regs(edx_eax, 2);     /* kernel arithmetic */
            return true;
        }
        acc = tcgv_i64_temp(tcg_temp_new_i64());

        taint_gen_union(acc, eax, edx);
        taint_gen_union(acc, acc, taint_pass_in(p, in[1]));
        tcg_gen_mov_i64(temp_tcgv_i64(eax), temp_tcgv_i64(acc));
        tcg_gen_mov_i64(temp_tcgv_i64(edx), temp_tcgv_i64(acc));
        tcg_temp_free_i64(temp_tcgv_i64(acc));
        return true;
    }
    if (func == helper_cpuid) {
        clean_regs(cpuid_regs, 4);
        return true;
    }
    if (func == helper_rdtsc || func == helper_rdmsr) {
        clean_regs(edx_eax, 2);
        return true;
    }
    if (func == helper_rdtscp) {
        clean_regs(rdtscp_regs, 3);
        return true;
    }
    return false;
}
