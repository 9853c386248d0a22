/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Condition capture, the translation-time half: the calls the
 * propagation pass adds to a dirty-mode TB while capture is on (see
 * taint-cond.c for what they compute).  Each op gets one call before it
 * with its input values and the temp indexes of its inputs and outputs;
 * guest loads and stores get one after, env accesses one that moves
 * expressions between temps and the CPU state.  Kernel TBs under
 * taint-kernel=moves are not captured: their outputs become concrete.
 */
#include "qemu/osdep.h"
#include "cpu.h"
#include "exec/exec-all.h"
#include "tcg/tcg.h"
#include "tcg/tcg-op.h"
#include "tcg/tcg-internal.h"
#include "exec/helper-proto.h"
#include "exec/helper-gen.h"
#include "taint-cond.h"
#include "taint-pass.h"

static unsigned tidx(TCGTemp *t)
{
    if (!t || t->kind == TEMP_CONST || t->kind == TEMP_FIXED ||
        t->base_type == TCG_TYPE_V64 || t->base_type == TCG_TYPE_V128 ||
        t->base_type == TCG_TYPE_V256) {
        return TAINT_COND_NONE;
    }
    return temp_idx(t);
}

/* The temp's value as an i64 (a fresh temp for i32 ones, in *tmp). */
static TCGv_i64 val64(TCGTemp *t, TCGv_i64 *tmp)
{
    *tmp = NULL;
    if (!t || tidx(t) == TAINT_COND_NONE) {
        if (t && t->kind == TEMP_CONST) {
            return tcg_constant_i64(t->base_type == TCG_TYPE_I32
                                    ? (uint32_t)t->val : t->val);
        }
        return tcg_constant_i64(0);
    }
    if (t->base_type == TCG_TYPE_I32) {
        *tmp = tcg_temp_new_i64();
        tcg_gen_extu_i32_i64(*tmp, temp_tcgv_i32(t));
        return *tmp;
    }
    return temp_tcgv_i64(t);
}

static void free_tmps(TCGv_i64 *tmp, int n)
{
    for (int i = 0; i < n; i++) {
        if (tmp[i]) {
            tcg_temp_free_i64(tmp[i]);
        }
    }
}

static void gen_clear_slot(TCGTemp *t)
{
    unsigned i = tidx(t);

    if (i != TAINT_COND_NONE) {
        tcg_gen_st_i32(tcg_constant_i32(0),
                       tcg_constant_ptr(&taint_cond_slot[i]), 0);
    }
}

static bool is_i32(TCGOpcode c)
{
    return tcg_op_defs[c].flags & TCG_OPF_64BIT ? false : true;
}

/* Up to four inputs and two outputs, into the helper's idx word. */
static uint64_t pack(TCGTemp **out, int nout, TCGTemp **in, int nin)
{
    uint64_t idx = 0;

    for (int i = 0; i < 6; i++) {
        TCGTemp *t = i < 2 ? (i < nout ? out[i] : NULL)
                           : (i - 2 < nin ? in[i - 2] : NULL);

        idx |= (uint64_t)tidx(t) << (10 * i);
    }
    return idx;
}

static void gen_pin(TCGTemp **in, int nin)
{
    for (int i = 0; i < nin; i += 4) {
        TCGv_i64 tmp[4], v[4];
        int n = MIN(nin - i, 4);

        for (int j = 0; j < 4; j++) {
            v[j] = val64(j < n ? in[i + j] : NULL, &tmp[j]);
        }
        gen_helper_taint_cond_pin(cpu_env,
                                  tcg_constant_i64(pack(NULL, 0, in + i, n)),
                                  v[0], v[1], v[2], v[3]);
        free_tmps(tmp, 4);
    }
}

static void gen_opaque(TCGTemp **in, int nin, TCGTemp **out, int nout)
{
    gen_pin(in, nin);
    for (int i = 0; i < nout; i++) {
        gen_clear_slot(out[i]);
    }
}

static void gen_modelled(TCGOp *op, uint32_t opc, TCGTemp **in, int nin,
                         TCGTemp **out, int nout)
{
    const TCGOpDef *def = &tcg_op_defs[op->opc];
    uint32_t desc = opc;
    TCGv_i64 tmp[4], v[4];
    int nconst = op->opc == INDEX_op_call ? 0 : def->nb_cargs;
    const TCGArg *cargs = &op->args[nout + nin];

    switch (op->opc) {
    case INDEX_op_brcond_i32: case INDEX_op_brcond_i64:
    case INDEX_op_setcond_i32: case INDEX_op_setcond_i64:
    case INDEX_op_movcond_i32: case INDEX_op_movcond_i64:
        desc |= (cargs[0] & 0xf) << 10;
        break;
    case INDEX_op_extract_i32: case INDEX_op_extract_i64:
    case INDEX_op_sextract_i32: case INDEX_op_sextract_i64:
    case INDEX_op_deposit_i32: case INDEX_op_deposit_i64:
        g_assert(nconst >= 2);
        desc |= (cargs[0] & 0x7f) << 14 | (cargs[1] & 0x7f) << 21;
        break;
    default:
        break;
    }
    if (op->opc != INDEX_op_call && is_i32(op->opc)) {
        desc |= 1u << 28;
    }
    for (int j = 0; j < 4; j++) {
        v[j] = val64(j < nin ? in[j] : NULL, &tmp[j]);
    }
    gen_helper_taint_cond_op(cpu_env, tcg_constant_i32(desc),
                             tcg_constant_i64(pack(out, nout, in, nin)),
                             v[0], v[1], v[2], v[3]);
    free_tmps(tmp, 4);
}

/* The temp index of the RAX global, where system calls return. */
static unsigned rax_global(void)
{
    for (int i = 0; i < tcg_ctx->nb_globals; i++) {
        TCGTemp *t = &tcg_ctx->temps[i];

        if (t->kind == TEMP_GLOBAL &&
            t->mem_offset == offsetof(CPUX86State, regs[R_EAX])) {
            return i;
        }
    }
    return TAINT_COND_NONE;
}

/* System calls: a receive's result is the message's length. */
void taint_cond_gen_syscall(void *func)
{
    if (func == helper_syscall) {
        gen_helper_taint_cond_syscall(cpu_env);
    } else if (func == helper_sysret || func == helper_iret_protected) {
        gen_helper_taint_cond_sysret(cpu_env, tcg_constant_i32(rax_global()),
                                     tcg_constant_i32(func == helper_sysret));
    }
}

static bool env_pointer(TaintPass *p, TCGTemp *t, intptr_t *ofs)
{
    return taint_pass_env_offset(p, t, 0, ofs);
}

static void gen_call(TaintPass *p, TCGOp *op, TCGTemp **in, int nin,
                     TCGTemp **out, int nout)
{
    const TCGHelperInfo *info = (void *)op->args[nout + nin + 1];
    void *func = (void *)op->args[nout + nin];
    TCGTemp *vals[MAX_OPC_PARAM];
    bool dest_seen = false;
    int n = 0;

    taint_cond_gen_syscall(func);
    if (func == helper_cc_compute_all || func == helper_cc_compute_c) {
        gen_modelled(op, func == helper_cc_compute_all
                         ? TAINT_COND_OP_CC_ALL : TAINT_COND_OP_CC_C,
                     in, nin, out, nout);
        return;
    }
    for (int i = 0; i < nin; i++) {
        intptr_t o;

        if (in[i] == taint_pass_env(p)) {
            continue;
        }
        if (env_pointer(p, in[i], &o)) {
            /* SSE helpers: sources pinned, the destination forgotten. */
            gen_helper_taint_cond_env_region(cpu_env, tcg_constant_i32(o),
                tcg_constant_i32(taint_target_ptr_bytes(info->name, o)),
                tcg_constant_i32(!dest_seen));
            dest_seen = true;
            continue;
        }
        vals[n++] = in[i];
    }
    gen_opaque(vals, n, out, nout);
}

static bool env_signed(TCGOpcode c)
{
    return c == INDEX_op_ld8s_i32 || c == INDEX_op_ld8s_i64 ||
           c == INDEX_op_ld16s_i32 || c == INDEX_op_ld16s_i64 ||
           c == INDEX_op_ld32s_i64;
}

/* ld/st between a temp and the CPU state (or other host memory). */
static void gen_env_access(TaintPass *p, TCGOp *op, TCGTemp *val,
                           TCGTemp *base, bool store, bool capture)
{
    intptr_t o;
    unsigned bytes = taint_pass_env_bytes(op->opc);

    if (!taint_pass_env_offset(p, base, op->args[2], &o)) {
        if (!store) {
            gen_clear_slot(val);
        }
        return;
    }
    gen_helper_taint_cond_env(cpu_env,
        tcg_constant_i32(bytes | store << 4 | env_signed(op->opc) << 5 |
                         (capture ? tidx(val) : TAINT_COND_NONE) << 6),
        tcg_constant_i32(o));
}

bool taint_cond_kernel_keeps(TCGOpcode c)
{
    switch (c) {
    case INDEX_op_movcond_i32: case INDEX_op_movcond_i64:
        return false;           /* a decision: not the program's */
    case INDEX_op_qemu_ld_i32: case INDEX_op_qemu_ld_i64:
    case INDEX_op_qemu_st_i32: case INDEX_op_qemu_st8_i32:
    case INDEX_op_qemu_st_i64:
    case INDEX_op_discard:
    case INDEX_op_ld8u_i32: case INDEX_op_ld8s_i32:
    case INDEX_op_ld16u_i32: case INDEX_op_ld16s_i32: case INDEX_op_ld_i32:
    case INDEX_op_ld8u_i64: case INDEX_op_ld8s_i64:
    case INDEX_op_ld16u_i64: case INDEX_op_ld16s_i64:
    case INDEX_op_ld32u_i64: case INDEX_op_ld32s_i64: case INDEX_op_ld_i64:
    case INDEX_op_st8_i32: case INDEX_op_st16_i32: case INDEX_op_st_i32:
    case INDEX_op_st8_i64: case INDEX_op_st16_i64: case INDEX_op_st32_i64:
    case INDEX_op_st_i64:
        return true;
    default:
        return taint_pass_moves_data(c);
    }
}

void taint_cond_gen_forget(TaintPass *p, TCGOp *op, TCGTemp **in, int nin,
                           TCGTemp **out, int nout)
{
    TCGOpcode c = op->opc;

    switch (c) {
    case INDEX_op_st8_i32: case INDEX_op_st16_i32: case INDEX_op_st_i32:
    case INDEX_op_st8_i64: case INDEX_op_st16_i64: case INDEX_op_st32_i64:
    case INDEX_op_st_i64:
        gen_env_access(p, op, in[0], in[1], true, false);
        return;
    case INDEX_op_call:
        taint_cond_gen_syscall((void *)op->args[nout + nin]);
        for (int i = 0; i < nin; i++) {
            intptr_t o;

            if (in[i] != taint_pass_env(p) && env_pointer(p, in[i], &o)) {
                gen_helper_taint_cond_env_region(cpu_env,
                    tcg_constant_i32(o), tcg_constant_i32(32),
                    tcg_constant_i32(3));
            }
        }
        break;
    default:
        break;
    }
    for (int i = 0; i < nout; i++) {
        gen_clear_slot(out[i]);
    }
}

void taint_cond_gen_op(TaintPass *p, TCGOp *op, TCGTemp **in, int nin,
                       TCGTemp **out, int nout)
{
    TCGOpcode c = op->opc;
    const TCGOpDef *def = &tcg_op_defs[c];

    switch (c) {
    case INDEX_op_qemu_ld_i32: case INDEX_op_qemu_ld_i64:
    case INDEX_op_qemu_st_i32: case INDEX_op_qemu_st8_i32:
    case INDEX_op_qemu_st_i64:
        return;                 /* after the access */
    case INDEX_op_discard:
        gen_clear_slot(out[0]);
        return;
    case INDEX_op_ld8u_i32: case INDEX_op_ld8s_i32:
    case INDEX_op_ld16u_i32: case INDEX_op_ld16s_i32: case INDEX_op_ld_i32:
    case INDEX_op_ld8u_i64: case INDEX_op_ld8s_i64:
    case INDEX_op_ld16u_i64: case INDEX_op_ld16s_i64:
    case INDEX_op_ld32u_i64: case INDEX_op_ld32s_i64: case INDEX_op_ld_i64:
        gen_env_access(p, op, out[0], in[0], false, true);
        return;
    case INDEX_op_st8_i32: case INDEX_op_st16_i32: case INDEX_op_st_i32:
    case INDEX_op_st8_i64: case INDEX_op_st16_i64: case INDEX_op_st32_i64:
    case INDEX_op_st_i64:
        gen_env_access(p, op, in[0], in[1], true, true);
        return;
    case INDEX_op_call:
        gen_call(p, op, in, nin, out, nout);
        return;
    case INDEX_op_brcond_i32: case INDEX_op_brcond_i64:
        gen_modelled(op, c, in, nin, out, nout);
        return;
    default:
        break;
    }
    if (def->flags & TCG_OPF_VECTOR) {
        TCGTemp *scalars[MAX_OPC_PARAM];
        int n = 0;

        for (int i = 0; i < nin; i++) {
            if (tidx(in[i]) != TAINT_COND_NONE) {
                scalars[n++] = in[i];
            }
        }
        gen_pin(scalars, n);
        /*
         * Vector code is not modelled (SSE compares through gvec): what
         * it reads from the CPU state is pinned, what it writes there
         * becomes concrete.
         */
        if (c == INDEX_op_st_vec || c == INDEX_op_ld_vec ||
            c == INDEX_op_dupm_vec) {
            bool st = c == INDEX_op_st_vec;
            intptr_t o;

            if (taint_pass_env_offset(p, in[st ? 1 : 0], op->args[2], &o)) {
                gen_helper_taint_cond_env_region(cpu_env,
                    tcg_constant_i32(o),
                    tcg_constant_i32(8 << TCGOP_VECL(op)),
                    tcg_constant_i32(st ? 3 : 0));
            }
        }
        return;
    }
    if (nout == 0) {
        return;                 /* labels, barriers, insn_start, jumps */
    }
    if (nin > 4 || nout > 1) {
        gen_opaque(in, nin, out, nout);
        return;
    }
    gen_modelled(op, c, in, nin, out, nout);
}

void taint_cond_gen_ld(TaintPass *p, TCGOp *op, TCGTemp *out, TCGTemp *addr,
                       TCGTemp *addr_value)
{
    const TCGOpDef *def = &tcg_op_defs[op->opc];
    MemOpIdx oi = op->args[def->nb_oargs + def->nb_iargs];
    TCGv_i64 tmp[2], a, v;

    a = val64(addr_value, &tmp[0]);
    v = val64(out, &tmp[1]);
    gen_helper_taint_cond_ld(cpu_env,
        tcg_constant_i32(oi | tidx(addr) << 16 |
                         (op->opc == INDEX_op_qemu_ld_i32) << 26),
        tcg_constant_i32(tidx(out)), a, v);
    free_tmps(tmp, 2);
}

void taint_cond_gen_st(TaintPass *p, TCGOp *op, TCGTemp *val, TCGTemp *addr)
{
    const TCGOpDef *def = &tcg_op_defs[op->opc];
    MemOpIdx oi = op->args[def->nb_oargs + def->nb_iargs];
    TCGv_i64 tmp[2], a, v;

    a = val64(addr, &tmp[0]);
    v = val64(val, &tmp[1]);
    gen_helper_taint_cond_st(cpu_env, tcg_constant_i32(oi | tidx(val) << 16),
                             tcg_constant_i32(tidx(addr)), a, v);
    free_tmps(tmp, 2);
}
