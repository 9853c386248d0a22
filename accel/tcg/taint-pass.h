/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The taint propagation pass over a TB's TCG ops (taint-prop.c) and the
 * target knowledge it needs (taint-x86.c): where the shadow of the CPU
 * state lives, which TCG globals shadow which, and rules for helpers.
 */
#ifndef ACCEL_TCG_TAINT_PASS_H
#define ACCEL_TCG_TAINT_PASS_H

#include "tcg/tcg.h"

/*
 * The shadow of the CPU state: one word per 8 bytes of CPUArchState at
 * env + taint_env_shadow_ofs, then slots for TCG globals narrower than a
 * word (they get their own, so that no two globals alias).
 */
extern intptr_t taint_env_shadow_ofs;
extern size_t taint_env_size;

/*
 * Temp index of the shadow global of each TCG global (by temp index),
 * or 0.  Indexes, not pointers: each TCG thread has its own copy of the
 * context the globals were created in.
 */
extern size_t taint_global_shadow[TCG_MAX_TEMPS];
/* The guest PC global: written only by jumps, checked (AEC). */
extern size_t taint_pc_global;

static inline TCGTemp *taint_temp(size_t idx)
{
    /* Shadow globals exist only while translating dirty-mode TBs. */
    g_assert(idx < tcg_ctx->nb_globals);
    return idx ? &tcg_ctx->temps[idx] : NULL;
}

/* AEC: a check that target, whose shadow is sh, may enter the PC. */
void taint_gen_aec(TCGv_i64 target, TCGv_i64 sh);

/* The shadow globals are temps first..nb_globals - 1, the last ones. */
void taint_pass_shadow_globals(TCGContext *s, int first);

typedef struct TaintPass TaintPass;

/* Shadow of an input (a zero constant for constants and env). */
TCGTemp *taint_pass_in(TaintPass *p, TCGTemp *t);
/* Shadow to write for an output; NULL if the output has none. */
TCGTemp *taint_pass_out(TaintPass *p, TCGTemp *t);
/* d = union of a and b (d may be either). */
void taint_gen_union(TCGTemp *d, TCGTemp *a, TCGTemp *b);
bool taint_is_zero(TCGTemp *t);

/*
 * Target rules for a helper call, emitted before the call.  Return true
 * when the rule replaces the generic one (outputs get the union of the
 * inputs; an env pointer's target gets it too).
 */
bool taint_target_call_rule(TaintPass *p, TCGOp *op, void *func,
                            TCGTemp **in, int nin, TCGTemp **out, int nout);
/*
 * Target rules for a helper call, emitted after it: for helpers that
 * move register state to or from guest memory in C.  In clean-mode TBs
 * too, since what they restore may be dirty.
 */
void taint_target_call_after(void *func, TCGTemp **in, int nin);
/*
 * Only the checks of a helper call that look at memory (AFA, iret/lret
 * targets), for clean-mode TBs; emitted at the end of the op list.
 */
void taint_target_sink_rule(TaintPass *p, void *func, TCGTemp **in,
                            int nin);
/*
 * Does this TB run in the guest kernel?  There the pass keeps the labels
 * of data the kernel moves (copies to and from user memory) but not of
 * what it computes from them: the kernel's arithmetic on a string's
 * length or a mapping's size lays out the process, and a per-process
 * detector (the paper's) never saw it.
 */
bool taint_target_tb_kernel(const TranslationBlock *tb);
/* Is base + off inside the CPU state?  Its offset from env in *o. */
bool taint_pass_env_offset(TaintPass *p, TCGTemp *base, intptr_t off,
                           intptr_t *o);
/* Bytes an ld/st op on the CPU state moves (ld8u: 1 ... ld_i64: 8). */
unsigned taint_pass_env_bytes(TCGOpcode c);
/* The env pointer's temp. */
TCGTemp *taint_pass_env(TaintPass *p);
/* Does the op move data (kept in kernel code) rather than compute? */
bool taint_pass_moves_data(TCGOpcode c);
/* Is the pass translating kernel code (see above)? */
bool taint_pass_kernel(const TaintPass *p);
/* Bytes behind a pointer into env that a helper takes (its name says). */
unsigned taint_target_ptr_bytes(const char *helper, intptr_t env_ofs);

/*
 * A qemu_ld's shadow computed inline (taint-tlb.c): _begin, before the
 * load, says whether the load can have it (and prepares); then
 * taint_tlb_gen_ld() after the load.
 */
bool taint_tlb_gen_ld_begin(MemOpIdx oi);
void taint_tlb_gen_ld(TCGv_i64 sh, TCGv_i64 addr, MemOpIdx oi);
/* After a qemu_st: its labels, inline or through helper_taint_st(). */
void taint_tlb_gen_st(TCGv_i64 addr, TCGv_i64 sh, TCGv_i64 addr_sh,
                      MemOpIdx oi);

#endif
