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

    gen_helper_taint_aec(cpu_env, v,
                         temp_tcgv_i64(taint_pass_in(p, target)));
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
