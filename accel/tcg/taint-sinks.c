/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The AEC, WWW and AFA traps: helpers that the propagation pass places
 * where dirty data would reach the program counter or a dangerous system
 * call.
 * When the alert's action stops the guest they leave the CPU loop with
 * the guest state rewound to the start of the instruction, so the jump
 * or the call never happens.
 */
#include "qemu/osdep.h"
#include "qemu/main-loop.h"
#include "qemu/cutils.h"
#include "cpu.h"
#include "exec/exec-all.h"
#include "exec/cpu_ldst.h"
#include "exec/helper-proto.h"
#include "hw-taint/taint.h"
#include "vigilante/detector.h"
#include "vigilante/exec-abi.h"
#include "taint-shadow.h"
#include "taint-prop.h"

#include <capstone.h>

/* Longest execve path we look at; the kernel's PATH_MAX. */
#define AFA_PATH_MAX 4096

/* The linear address of the instruction the helper was called from. */
static uint64_t current_pc(CPUArchState *env, uintptr_t ra)
{
    target_ulong eip = env->eip;
    uint32_t cc_op = env->cc_op;
    uint64_t pc;

    /* Restoring rewrites eip and cc_op: look, then put them back. */
    cpu_restore_state(env_cpu(env), ra);
    pc = env->eip + env->segs[R_CS].base;
    env->eip = eip;
    env->cc_op = cc_op;
    return pc;
}

static char *disas_one(CPUArchState *env, uint64_t pc)
{
    cs_mode mode = env->hflags & HF_CS64_MASK ? CS_MODE_64 :
                   env->hflags & HF_CS32_MASK ? CS_MODE_32 : CS_MODE_16;
    uint8_t code[16];
    char *text = NULL;
    cs_insn *insn;
    csh handle;
    size_t n;

    if (cpu_memory_rw_debug(env_cpu(env), pc, code, sizeof(code), false)) {
        return g_strdup("(unavailable)");
    }
    if (cs_open(CS_ARCH_X86, mode, &handle) != CS_ERR_OK) {
        return g_strdup("(unavailable)");
    }
    n = cs_disasm(handle, code, sizeof(code), pc, 1, &insn);
    if (n) {
        /* chomped: "ret " when there is no operand */
        text = g_strchomp(g_strdup_printf("%s %s", insn->mnemonic,
                                          insn->op_str));
        cs_free(insn, n);
    }
    cs_close(&handle);
    return text ? text : g_strdup("(undecodable)");
}

/*
 * A near call has pushed its return address, and a ret popped its own
 * (and released imm16 bytes), before the new program counter is written,
 * where the AEC check sits.  Leaving the CPU loop rewinds the program
 * counter to the instruction; put the stack pointer back too, so that a
 * guest resumed after an acknowledged alert runs it again as it was.
 */
static void undo_stack_effect(CPUArchState *env, uint64_t pc)
{
    bool cs64 = env->hflags & HF_CS64_MASK;
    cs_mode mode = cs64 ? CS_MODE_64 :
                   env->hflags & HF_CS32_MASK ? CS_MODE_32 : CS_MODE_16;
    unsigned size = cs64 ? 8 : env->hflags & HF_CS32_MASK ? 4 : 2;
    uint8_t code[16];
    size_t len = sizeof(code);
    int64_t delta = 0;
    bool opsize = false, rex_w = false;
    uint64_t sp;
    cs_insn *insn;
    csh handle;
    size_t n;

    /* The instruction may end a page whose successor is not mapped. */
    if (cpu_memory_rw_debug(env_cpu(env), pc, code, len, false)) {
        len = MIN(len, TARGET_PAGE_SIZE - (pc & ~TARGET_PAGE_MASK));
        if (cpu_memory_rw_debug(env_cpu(env), pc, code, len, false)) {
            return;
        }
    }
    if (cs_open(CS_ARCH_X86, mode, &handle) != CS_ERR_OK) {
        return;
    }
    n = cs_disasm(handle, code, len, pc, 1, &insn);
    if (n) {
        /* Prefixes: 0x66 makes pushes 16-bit (32 in 16-bit code)... */
        for (unsigned i = 0; i < insn->size && (code[i] == 0x66 ||
             (cs64 && (code[i] & 0xf0) == 0x40)); i++) {
            opsize |= code[i] == 0x66;
            rex_w = cs64 && (code[i] & 0xf8) == 0x48;
        }
        /* ...unless REX.W, which wins, as in QEMU's decoder. */
        if (opsize && !rex_w) {
            size = cs64 || mode == CS_MODE_32 ? 2 : 4;
        }
        if (insn->id == X86_INS_CALL) {
            delta = size;
        } else if (insn->id == X86_INS_RET) {
            uint64_t imm = 0;

            /*
             * "ret" has no operand; "ret 0x10" releases 16 more bytes.
             * QEMU sign-extends the imm16 (x86_ldsw_code): so do we.
             */
            if (insn->op_str[0]) {
                qemu_strtou64(insn->op_str, NULL, 0, &imm);
            }
            delta = -(int64_t)size - (int16_t)imm;
        }
        cs_free(insn, n);
    }
    cs_close(&handle);
    if (!delta) {
        return;
    }
    sp = env->regs[R_ESP] + delta;
    if (cs64) {
        env->regs[R_ESP] = sp;
    } else if (env->segs[R_SS].flags & DESC_B_MASK) {
        env->regs[R_ESP] = (uint32_t)sp;
    } else {
        env->regs[R_ESP] = (env->regs[R_ESP] & ~0xffffull) | (uint16_t)sp;
    }
}

/*
 * Leave the CPU loop before the instruction runs: the state rewound to
 * its start, and for a PC write (@pc_write) the stack pointer too.
 */
static G_NORETURN void leave_before(CPUArchState *env, bool pc_write,
                                    uintptr_t ra)
{
    CPUState *cs = env_cpu(env);

    cpu_restore_state(cs, ra);
    if (pc_write) {
        undo_stack_effect(env, env->eip + env->segs[R_CS].base);
    }
    cs->exception_index = EXCP_INTERRUPT;
    cpu_loop_exit(cs);
}

/*
 * A jump whose target bytes, or a call whose path bytes, are all placed
 * (stored by the program through an address the attacker chose,
 * taint-mem.c) is a write-what-where attack; if some came from input as
 * they are, it is an AEC or AFA, told by those bytes alone (*placed_ok
 * false).
 */
static VigilanteAlertType placed_kind(VigilanteAlertType type,
                                      const TaintLabel *l, size_t n,
                                      bool *placed_ok)
{
    bool placed = false, input = false;

    for (size_t i = 0; i < n; i++) {
        if (l[i]) {
            placed |= taint_label_placed(l[i]);
            input |= !taint_label_placed(l[i]);
        }
    }
    *placed_ok = !input;
    return placed && !input ? VIGILANTE_ALERT_TYPE_WWW : type;
}

/* Report; if the action stops the guest, leave before the insn runs. */
static void trap(CPUArchState *env, VigilanteAlertType type, uint64_t target,
                 const TaintLabel *labels, size_t nlabels, ScaCall afa_call,
                 bool pc_write, uintptr_t ra)
{
    TaintLabel *dirty;
    char *insn;
    VigilanteAlertSpec spec;
    size_t ndirty = 0;
    uint64_t pc;
    bool stop, placed_ok = true;

    if (type == VIGILANTE_ALERT_TYPE_AEC ||
        type == VIGILANTE_ALERT_TYPE_AFA) {
        type = placed_kind(type, labels, nlabels, &placed_ok);
    }
    if (!vigilante_policy_enabled(type)) {
        return;
    }
    if (vigilante_stopping()) {
        /* Run again before the pause took effect: leave as the first. */
        leave_before(env, pc_write, ra);
    }
    /* Freed by hand: the exit below longjmps past any auto cleanup. */
    dirty = g_new(TaintLabel, MAX(nlabels, 1));
    for (size_t i = 0; i < nlabels; i++) {
        if (labels[i] && (placed_ok || !taint_label_placed(labels[i]))) {
            dirty[ndirty++] = labels[i];
        }
    }
    pc = current_pc(env, ra);
    insn = disas_one(env, pc);
    spec = (VigilanteAlertSpec) {
        .type = type,
        .pc = pc,
        .insn = insn,
        .target = target,
        .labels = dirty,
        .nlabels = ndirty,
        .site = pc,
        .code_bits = env->hflags & HF_CS64_MASK ? 64 :
                     env->hflags & HF_CS32_MASK ? 32 : 16,
        .afa_call = afa_call,
    };
    stop = vigilante_alert(&spec);
    g_free(dirty);
    g_free(insn);
    if (stop) {
        leave_before(env, pc_write, ra);
    }
}

static void aec(CPUArchState *env, uint64_t target, uint64_t sh,
                uintptr_t ra)
{
    TaintLabel l[8];

    if (!(sh & TAINT_SH_MASK)) {
        return;
    }
    taint_sh_to_labels(sh, l, 8);
    trap(env, VIGILANTE_ALERT_TYPE_AEC, target, l, 8, SCA_CALL_NONE, true,
         ra);
}

void HELPER(taint_aec)(CPUArchState *env, uint64_t target, uint64_t sh)
{
    aec(env, target, sh, GETPC());
}

/*
 * The same through a cold call (taint_gen_aec()), made only when sh has
 * a dirty byte; the call is inline in the instruction's code, so its
 * return address locates the instruction as a helper call's does.
 */
void taint_aec_cold(CPUArchState *env, uint64_t target, uint64_t sh,
                    uint64_t unused, uint32_t unused2)
{
    aec(env, target, sh, GETPC());
}

/*
 * iret, lret: the new EIP is at the top of the stack; its size is 2 <<
 * shift bytes (the operand size of the instruction).
 */
void HELPER(taint_aec_stack)(CPUArchState *env, uint32_t shift)
{
    unsigned bytes = 2u << MIN(shift, 2);
    CPUState *cs = env_cpu(env);
    uint64_t sp = env->regs[R_ESP];
    uint64_t target = 0;
    TaintLabel l[8];
    bool dirty = false;

    if (!taint_shadow_any()) {
        return;
    }
    if (!(env->hflags & HF_CS64_MASK)) {
        sp = (env->segs[R_SS].flags & DESC_B_MASK) ? (uint32_t)sp
                                                    : (uint16_t)sp;
        sp += env->segs[R_SS].base;
    }
    for (unsigned i = 0; i < bytes; i++) {
        l[i] = taint_debug_label(cs, sp + i);
        dirty |= l[i] != 0;
    }
    if (!dirty) {
        return;
    }
    cpu_memory_rw_debug(cs, sp, &target, bytes, false);
    trap(env, VIGILANTE_ALERT_TYPE_AEC, le64_to_cpu(target), l, bytes,
         SCA_CALL_NONE, false, GETPC());
}

/* The ABI of the system call about to be made through `entry`. */
static VigilanteExecAbi entry_abi(CPUArchState *env, uint32_t entry)
{
    if (entry != TAINT_ENTRY_SYSCALL) {
        return VIGILANTE_EXEC_ABI_I386;
    }
    return (env->hflags & HF_LMA_MASK) && (env->hflags & HF_CS64_MASK)
           ? VIGILANTE_EXEC_ABI_X86_64 : VIGILANTE_EXEC_ABI_I386_SYSCALL;
}

void HELPER(taint_afa)(CPUArchState *env, uint32_t entry)
{
    /* Static (one vCPU with taint on): the trap may longjmp out. */
    static TaintLabel labels[AFA_PATH_MAX];
    CPUState *cs = env_cpu(env);
    uint64_t path;
    ScaCall call;
    size_t n = 0;
    bool dirty = false;

    if (!taint_shadow_any()) {
        return;
    }
    call = vigilante_exec_call(env, entry_abi(env, entry), &path);
    if (call == SCA_CALL_NONE) {
        return;
    }
    while (n < AFA_PATH_MAX) {
        uint8_t c;

        if (cpu_memory_rw_debug(cs, path + n, &c, 1, false)) {
            break;
        }
        labels[n] = taint_debug_label(cs, path + n);
        dirty |= labels[n] != 0;
        n++;
        if (c == 0) {
            break;
        }
    }
    if (dirty) {
        trap(env, VIGILANTE_ALERT_TYPE_AFA, path, labels, n, call, false,
             GETPC());
    }
}
