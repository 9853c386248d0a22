/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Taint propagation: a pass over each translated block's TCG ops, run
 * between the front end and the code generator when -accel tcg,taint=on.
 *
 * Every value gets a shadow (taint-shadow.h): TCG globals have shadow
 * globals in the CPU's shadow state, temps get shadow temps of the same
 * lifetime.  Each op is followed or preceded by the ops that compute the
 * shadow of its outputs from the shadows of its inputs:
 *
 *   moves, extensions      copy (extensions keep the bytes they keep)
 *   arithmetic and logic   union of the operands (setcond: of the
 *                          compared values; movcond: of the two values
 *                          it selects from, not of the condition)
 *   shifts, rotates, mul,  union, spread over all bytes (shifts by whole
 *   div, bswap, bit counts bytes and byte-aligned extracts move the
 *                          labels; a bit count dirties its low byte only)
 *   constants              clean
 *   env loads and stores   the CPU state's shadow (SSE/AVX registers...)
 *   host vector ops        a shadow word per 8 bytes, lane-wise
 *   guest loads and stores shadow memory, through helpers that find the
 *                          RAM the access used in the softmmu TLB
 *   helper calls           a target rule, else the union of the inputs
 *                          (and of what env pointers point at) goes to
 *                          the outputs and the first env pointer's target
 *
 * A write to the guest PC with a dirty shadow is the AEC trap: a helper
 * checks it just before the write, so the TB never jumps there.
 */
#include "qemu/osdep.h"
#include "cpu.h"
#include "exec/exec-all.h"
#include "tcg/tcg.h"
#include "tcg/tcg-op.h"
#include "tcg/tcg-internal.h"
#include "exec/helper-proto.h"
#include "exec/helper-gen.h"
#include "hw-taint/taint.h"
#include "taint-shadow.h"
#include "taint-pass.h"
#include "taint-prop.h"
#include "taint-cond.h"

intptr_t taint_env_shadow_ofs;
size_t taint_env_size;
size_t taint_global_shadow[TCG_MAX_TEMPS];
size_t taint_pc_global;

/* A vector value has a shadow word per 8 bytes (up to 256 bits). */
#define TAINT_VEC_WORDS 4

struct TaintPass {
    TCGTemp *env;
    TCGTemp *shadow[TCG_MAX_TEMPS];     /* of each temp, by index */
    TCGTemp *vshadow[TCG_MAX_TEMPS][TAINT_VEC_WORDS];   /* vector temps */
    bool has_env_ofs[TCG_MAX_TEMPS];    /* the temp is env + env_ofs */
    intptr_t env_ofs[TCG_MAX_TEMPS];
    bool kernel;                        /* the TB runs in the kernel */
};

/* Taint forces a single TCG thread: one pass state is enough. */
static TaintPass the_pass;

typedef enum {
    RULE_UNION,         /* union of the inputs */
    RULE_KEEP1,         /* ... restricted to the low 1, 2, 4 bytes */
    RULE_KEEP2,
    RULE_KEEP4,
    RULE_SPREAD,        /* ... over all bytes */
} TaintRule;

static TCGv_i64 v64(TCGTemp *t)
{
    return temp_tcgv_i64(t);
}

static TCGTemp *zero(void)
{
    return tcgv_i64_temp(tcg_constant_i64(0));
}

static TCGTemp *scratch(void)
{
    return tcgv_i64_temp(tcg_temp_new_i64());
}

static void scratch_free(TCGTemp *t)
{
    tcg_temp_free_i64(v64(t));
}

bool taint_is_zero(TCGTemp *t)
{
    return t->kind == TEMP_CONST && t->val == 0;
}

static bool is_temp(TCGTemp *t)
{
    return t->kind == TEMP_NORMAL || t->kind == TEMP_EBB ||
           t->kind == TEMP_LOCAL;
}

static TCGTemp *new_shadow(TCGTemp *t)
{
    TCGv_i64 s = t->kind == TEMP_NORMAL ? tcg_temp_new_i64()
                                        : tcg_temp_local_new_i64();
    return tcgv_i64_temp(s);
}

TCGTemp *taint_pass_in(TaintPass *p, TCGTemp *t)
{
    size_t i = temp_idx(t);

    if (t->kind == TEMP_GLOBAL) {
        return taint_global_shadow[i] ? taint_temp(taint_global_shadow[i])
                                      : zero();
    }
    if (!is_temp(t)) {
        return zero();
    }
    if (!p->shadow[i]) {
        /* Read before any write we saw: treat as clean. */
        p->shadow[i] = new_shadow(t);
        tcg_gen_movi_i64(v64(p->shadow[i]), 0);
    }
    return p->shadow[i];
}

TCGTemp *taint_pass_out(TaintPass *p, TCGTemp *t)
{
    size_t i = temp_idx(t);

    if (t->kind == TEMP_GLOBAL) {
        return taint_temp(taint_global_shadow[i]);
    }
    if (!is_temp(t)) {
        return NULL;
    }
    if (!p->shadow[i]) {
        p->shadow[i] = new_shadow(t);
    }
    return p->shadow[i];
}

void taint_gen_union(TCGTemp *d, TCGTemp *a, TCGTemp *b)
{
    TCGv_i64 m, t;

    if (taint_is_zero(a) || a == b) {
        if (d != b) {
            tcg_gen_mov_i64(v64(d), v64(b));
        }
        return;
    }
    if (taint_is_zero(b)) {
        if (d != a) {
            tcg_gen_mov_i64(v64(d), v64(a));
        }
        return;
    }
    /* Labels of the first dirty operand, the masks or'ed. */
    m = tcg_temp_new_i64();
    t = tcg_temp_new_i64();
    tcg_gen_andi_i64(m, v64(a), TAINT_SH_MASK);
    tcg_gen_movcond_i64(TCG_COND_NE, t, m, tcg_constant_i64(0),
                        v64(a), v64(b));
    tcg_gen_andi_i64(m, v64(b), TAINT_SH_MASK);
    tcg_gen_or_i64(v64(d), t, m);
    tcg_temp_free_i64(m);
    tcg_temp_free_i64(t);
}

/* Union of n shadows; the result is one of them, zero, or `acc`. */
static TCGTemp *union_all(TCGTemp **sh, int n, TCGTemp *acc)
{
    TCGTemp *r = zero();

    for (int i = 0; i < n; i++) {
        if (taint_is_zero(sh[i]) || sh[i] == r) {
            continue;
        }
        if (taint_is_zero(r)) {
            r = sh[i];
        } else {
            taint_gen_union(acc, r, sh[i]);
            r = acc;
        }
    }
    return r;
}

/* d = s with only the low `bytes` bytes' dirtiness kept. */
static void gen_keep(TCGTemp *d, TCGTemp *s, unsigned bytes)
{
    if (taint_is_zero(s)) {
        tcg_gen_movi_i64(v64(d), 0);
        return;
    }
    tcg_gen_andi_i64(v64(d), v64(s), ~TAINT_SH_MASK | ((1u << bytes) - 1));
}

/* d = s, all bytes dirty if any is. */
static void gen_spread(TCGTemp *d, TCGTemp *s)
{
    TCGv_i64 m, u;

    if (taint_is_zero(s)) {
        tcg_gen_movi_i64(v64(d), 0);
        return;
    }
    m = tcg_temp_new_i64();
    u = tcg_temp_new_i64();
    tcg_gen_andi_i64(m, v64(s), TAINT_SH_MASK);
    tcg_gen_ori_i64(u, v64(s), TAINT_SH_MASK);
    tcg_gen_movcond_i64(TCG_COND_NE, v64(d), m, tcg_constant_i64(0),
                        u, tcg_constant_i64(0));
    tcg_temp_free_i64(m);
    tcg_temp_free_i64(u);
}

static void gen_rule(TaintRule rule, TCGTemp *d, TCGTemp *s)
{
    switch (rule) {
    case RULE_KEEP1:
        gen_keep(d, s, 1);
        break;
    case RULE_KEEP2:
        gen_keep(d, s, 2);
        break;
    case RULE_KEEP4:
        gen_keep(d, s, 4);
        break;
    case RULE_SPREAD:
        gen_spread(d, s);
        break;
    default:
        if (d != s) {
            tcg_gen_mov_i64(v64(d), v64(s));
        }
    }
}

/*
 * Ops whose outputs are input bits moved, not computed: the kernel's
 * copies keep their labels through these (see "Kernel code" in
 * docs/taint-engine.md).  An and is a masked move: the kernel's string
 * copies store the last word as `c & mask`.
 */
bool taint_pass_moves_data(TCGOpcode c)
{
    switch (c) {
    case INDEX_op_mov_i32: case INDEX_op_mov_i64:
    case INDEX_op_and_i32: case INDEX_op_and_i64:
    case INDEX_op_movcond_i32: case INDEX_op_movcond_i64:
    case INDEX_op_ext8s_i32: case INDEX_op_ext8u_i32:
    case INDEX_op_ext16s_i32: case INDEX_op_ext16u_i32:
    case INDEX_op_ext8s_i64: case INDEX_op_ext8u_i64:
    case INDEX_op_ext16s_i64: case INDEX_op_ext16u_i64:
    case INDEX_op_ext32s_i64: case INDEX_op_ext32u_i64:
    case INDEX_op_ext_i32_i64: case INDEX_op_extu_i32_i64:
    case INDEX_op_extrl_i64_i32: case INDEX_op_extrh_i64_i32:
    case INDEX_op_extract_i32: case INDEX_op_sextract_i32:
    case INDEX_op_extract_i64: case INDEX_op_sextract_i64:
    case INDEX_op_extract2_i32: case INDEX_op_extract2_i64:
    case INDEX_op_deposit_i32: case INDEX_op_deposit_i64:
    case INDEX_op_bswap16_i32: case INDEX_op_bswap32_i32:
    case INDEX_op_bswap16_i64: case INDEX_op_bswap32_i64:
    case INDEX_op_bswap64_i64:
        return true;
    default:
        return false;
    }
}

TCGTemp *taint_pass_env(TaintPass *p)
{
    return p->env;
}

bool taint_pass_kernel(const TaintPass *p)
{
    return p->kernel;
}

static TaintRule rule_of(TCGOpcode c)
{
    switch (c) {
    case INDEX_op_ext8s_i32: case INDEX_op_ext8u_i32:
    case INDEX_op_ext8s_i64: case INDEX_op_ext8u_i64:
        return RULE_KEEP1;
    case INDEX_op_ext16s_i32: case INDEX_op_ext16u_i32:
    case INDEX_op_ext16s_i64: case INDEX_op_ext16u_i64:
        return RULE_KEEP2;
    case INDEX_op_ext32s_i64: case INDEX_op_ext32u_i64:
    case INDEX_op_ext_i32_i64: case INDEX_op_extu_i32_i64:
    case INDEX_op_extrl_i64_i32:
        return RULE_KEEP4;
    case INDEX_op_shl_i32: case INDEX_op_shr_i32: case INDEX_op_sar_i32:
    case INDEX_op_rotl_i32: case INDEX_op_rotr_i32:
    case INDEX_op_shl_i64: case INDEX_op_shr_i64: case INDEX_op_sar_i64:
    case INDEX_op_rotl_i64: case INDEX_op_rotr_i64:
    case INDEX_op_mul_i32: case INDEX_op_mul_i64:
    case INDEX_op_mulu2_i32: case INDEX_op_muls2_i32:
    case INDEX_op_mulu2_i64: case INDEX_op_muls2_i64:
    case INDEX_op_muluh_i32: case INDEX_op_mulsh_i32:
    case INDEX_op_muluh_i64: case INDEX_op_mulsh_i64:
    case INDEX_op_div_i32: case INDEX_op_divu_i32:
    case INDEX_op_rem_i32: case INDEX_op_remu_i32:
    case INDEX_op_div_i64: case INDEX_op_divu_i64:
    case INDEX_op_rem_i64: case INDEX_op_remu_i64:
    case INDEX_op_div2_i32: case INDEX_op_divu2_i32:
    case INDEX_op_div2_i64: case INDEX_op_divu2_i64:
    case INDEX_op_bswap16_i32: case INDEX_op_bswap32_i32:
    case INDEX_op_bswap16_i64: case INDEX_op_bswap32_i64:
    case INDEX_op_bswap64_i64:
    case INDEX_op_clz_i32: case INDEX_op_ctz_i32: case INDEX_op_ctpop_i32:
    case INDEX_op_clz_i64: case INDEX_op_ctz_i64: case INDEX_op_ctpop_i64:
    case INDEX_op_extract_i32: case INDEX_op_sextract_i32:
    case INDEX_op_extract_i64: case INDEX_op_sextract_i64:
    case INDEX_op_extract2_i32: case INDEX_op_extract2_i64:
    case INDEX_op_extrh_i64_i32:
        return RULE_SPREAD;
    default:
        return RULE_UNION;
    }
}

/* Is base + off inside the CPU state?  Its offset from env in *o. */
bool taint_pass_env_offset(TaintPass *p, TCGTemp *base, intptr_t off,
                       intptr_t *o)
{
    if (base == p->env) {
        *o = off;
    } else if (p->has_env_ofs[temp_idx(base)]) {
        *o = p->env_ofs[temp_idx(base)] + off;
    } else {
        return false;
    }
    return *o >= 0 && *o < taint_env_size;
}

static intptr_t env_word(intptr_t o)
{
    return taint_env_shadow_ofs + (o & ~(intptr_t)7);
}

/* d = union of the shadow words covering env[o, o + bytes). */
static void gen_env_region(TCGTemp *d, intptr_t o, unsigned bytes)
{
    intptr_t end = MIN(o + bytes, (intptr_t)taint_env_size);
    TCGTemp *w = scratch();

    tcg_gen_ld_i64(v64(d), cpu_env, env_word(o));
    for (intptr_t a = (o & ~7) + 8; a < end; a += 8) {
        tcg_gen_ld_i64(v64(w), cpu_env, env_word(a));
        taint_gen_union(d, d, w);
    }
    scratch_free(w);
}

static void gen_env_region_store(TCGTemp *s, intptr_t o, unsigned bytes)
{
    intptr_t end = MIN(o + bytes, (intptr_t)taint_env_size);

    for (intptr_t a = o & ~7; a < end; a += 8) {
        tcg_gen_st_i64(v64(s), cpu_env, env_word(a));
    }
}

unsigned taint_pass_env_bytes(TCGOpcode c)
{
    switch (c) {
    case INDEX_op_ld8u_i32: case INDEX_op_ld8s_i32:
    case INDEX_op_ld8u_i64: case INDEX_op_ld8s_i64:
    case INDEX_op_st8_i32: case INDEX_op_st8_i64:
        return 1;
    case INDEX_op_ld16u_i32: case INDEX_op_ld16s_i32:
    case INDEX_op_ld16u_i64: case INDEX_op_ld16s_i64:
    case INDEX_op_st16_i32: case INDEX_op_st16_i64:
        return 2;
    case INDEX_op_ld_i32: case INDEX_op_ld32u_i64: case INDEX_op_ld32s_i64:
    case INDEX_op_st_i32: case INDEX_op_st32_i64:
        return 4;
    default:
        return 8;
    }
}

/* ld* out, base, off: from the CPU state's shadow when base is env. */
static void rule_env_ld(TaintPass *p, TCGOp *op, TCGTemp *d, TCGTemp *base)
{
    unsigned bytes = taint_pass_env_bytes(op->opc);
    intptr_t o;
    unsigned b;
    TCGTemp *t;

    if (!taint_pass_env_offset(p, base, op->args[2], &o)) {
        tcg_gen_movi_i64(v64(d), 0);
        return;
    }
    b = o & 7;
    t = scratch();
    if (b + bytes > 8) {
        gen_env_region(t, o, bytes);
        gen_spread(d, t);
    } else if (b == 0) {
        tcg_gen_ld_i64(v64(t), cpu_env, env_word(o));
        gen_keep(d, t, bytes);
    } else {
        /* Bytes b.. of the word: shift the mask down, move the label. */
        TCGv_i64 m = tcg_temp_new_i64();

        tcg_gen_ld_i64(v64(t), cpu_env, env_word(o));
        tcg_gen_shri_i64(m, v64(t), b);
        tcg_gen_andi_i64(m, m, (1u << bytes) - 1);
        tcg_gen_andi_i64(v64(t), v64(t), ~TAINT_SH_MASK);
        tcg_gen_addi_i64(v64(t), v64(t), (int64_t)b << 32);
        tcg_gen_or_i64(v64(d), v64(t), m);
        tcg_temp_free_i64(m);
    }
    scratch_free(t);
}

static void rule_env_st(TaintPass *p, TCGOp *op, TCGTemp *val,
                        TCGTemp *base)
{
    unsigned bytes = taint_pass_env_bytes(op->opc);
    TCGTemp *s = taint_pass_in(p, val);
    intptr_t o;

    if (!taint_pass_env_offset(p, base, op->args[2], &o)) {
        return;
    }
    if (bytes == 8 && !(o & 7)) {
        tcg_gen_st_i64(v64(s), cpu_env, env_word(o));
    } else {
        gen_helper_taint_env_st(cpu_env, tcg_constant_i32(o),
                                tcg_constant_i32(bytes), v64(s));
    }
}

/* Shadow word k of a vector temp (allocated on first use, clean). */
static TCGTemp *vec_word(TaintPass *p, TCGTemp *t, int k)
{
    TCGTemp **w = &p->vshadow[temp_idx(t)][k];

    if (!is_temp(t)) {
        return zero();          /* a vector constant */
    }
    if (!*w) {
        *w = new_shadow(t);
        tcg_gen_movi_i64(v64(*w), 0);
    }
    return *w;
}

/* Vector ops whose lanes mix bytes: broadcasts, shifts, rotates, mul. */
static bool vec_spreads(TCGOpcode c)
{
    switch (c) {
    case INDEX_op_dup_vec: case INDEX_op_dup2_vec:
    case INDEX_op_shli_vec: case INDEX_op_shri_vec: case INDEX_op_sari_vec:
    case INDEX_op_rotli_vec: case INDEX_op_shls_vec: case INDEX_op_shrs_vec:
    case INDEX_op_sars_vec: case INDEX_op_rotls_vec:
    case INDEX_op_shlv_vec: case INDEX_op_shrv_vec: case INDEX_op_sarv_vec:
    case INDEX_op_rotlv_vec: case INDEX_op_rotrv_vec:
    case INDEX_op_mul_vec:
        return true;
    default:
        return false;
    }
}

/*
 * Vector ops (host SIMD through gvec: SSE/AVX moves, pxor, pcmpeqb...):
 * lane-wise, so output word k comes from the inputs' words k; env loads
 * and stores move the words of the CPU state's shadow.
 */
static void rule_vec(TaintPass *p, TCGOp *op, TCGTemp **in, int nin,
                     TCGTemp **out, int nout)
{
    int words = MIN(1 << TCGOP_VECL(op), TAINT_VEC_WORDS);
    TCGTemp *acc = scratch();
    intptr_t o;

    switch (op->opc) {
    case INDEX_op_ld_vec:
        for (int k = 0; k < words; k++) {
            TCGTemp *d = vec_word(p, out[0], k);

            if (taint_pass_env_offset(p, in[0], op->args[2] + 8 * k, &o)) {
                tcg_gen_ld_i64(v64(d), cpu_env, env_word(o));
            } else {
                tcg_gen_movi_i64(v64(d), 0);
            }
        }
        break;
    case INDEX_op_st_vec:
        for (int k = 0; k < words; k++) {
            if (taint_pass_env_offset(p, in[1], op->args[2] + 8 * k, &o)) {
                tcg_gen_st_i64(v64(vec_word(p, in[0], k)), cpu_env,
                               env_word(o));
            }
        }
        break;
    case INDEX_op_dupm_vec:
        /* One element, replicated: its word's shadow everywhere. */
        if (taint_pass_env_offset(p, in[0], op->args[2], &o)) {
            tcg_gen_ld_i64(v64(acc), cpu_env, env_word(o));
            gen_spread(acc, acc);
        } else {
            tcg_gen_movi_i64(v64(acc), 0);
        }
        for (int k = 0; k < words; k++) {
            tcg_gen_mov_i64(v64(vec_word(p, out[0], k)), v64(acc));
        }
        break;
    default:
        for (int k = 0; k < words; k++) {
            TCGTemp *sh[MAX_OPC_PARAM], *r;

            for (int i = 0; i < nin; i++) {
                sh[i] = tcg_op_defs[op->opc].flags & TCG_OPF_VECTOR &&
                        in[i]->base_type >= TCG_TYPE_V64
                        ? vec_word(p, in[i], k) : taint_pass_in(p, in[i]);
            }
            r = union_all(sh, nin, acc);
            for (int i = 0; i < nout; i++) {
                TCGTemp *d = vec_word(p, out[i], k);

                if (vec_spreads(op->opc)) {
                    gen_spread(d, r);
                } else if (d != r) {
                    tcg_gen_mov_i64(v64(d), v64(r));
                }
            }
        }
    }
    scratch_free(acc);
}

/* The generic helper rule; the target's rule may have run first. */
static void rule_call(TaintPass *p, TCGOp *op, TCGTemp **in, int nin,
                      TCGTemp **out, int nout)
{
    const TCGHelperInfo *info = (void *)op->args[nout + nin + 1];
    TCGTemp *sh[MAX_OPC_PARAM];
    TCGTemp *regions[MAX_OPC_PARAM];
    TCGTemp *acc, *r, *dest = NULL;
    intptr_t dest_ofs = -1;
    unsigned dest_bytes = 0;
    int n = 0, nregions = 0;

    for (int i = 0; i < nin; i++) {
        size_t idx = temp_idx(in[i]);

        if (in[i] == p->env) {
            continue;
        }
        if (p->has_env_ofs[idx] && p->env_ofs[idx] >= 0 &&
            p->env_ofs[idx] < taint_env_size) {
            intptr_t o = p->env_ofs[idx];
            unsigned bytes = taint_target_ptr_bytes(info->name, o);

            r = scratch();
            gen_env_region(r, o, bytes);
            regions[nregions++] = r;
            if (dest_ofs < 0) {
                /* The destination: last, so the sources' labels win. */
                dest_ofs = o;
                dest_bytes = bytes;
                dest = r;
                continue;
            }
            sh[n++] = r;
            continue;
        }
        sh[n++] = taint_pass_in(p, in[i]);
    }
    if (dest) {
        sh[n++] = dest;
    }
    acc = scratch();
    r = union_all(sh, n, acc);
    for (int i = 0; i < nout; i++) {
        TCGTemp *d = taint_pass_out(p, out[i]);

        if (d) {
            gen_rule(RULE_UNION, d, r);
        }
    }
    if (dest_ofs >= 0) {
        gen_env_region_store(r, dest_ofs, dest_bytes);
    }
    scratch_free(acc);
    for (int i = 0; i < nregions; i++) {
        scratch_free(regions[i]);
    }
}

/*
 * deposit d, a, b, ofs, len: whole bytes of b replace bytes of a (AL, AX
 * and the like).  When b brings dirty bytes, their labels win: a byte
 * loop through CL must not keep the label of the first byte it loaded.
 */
static bool rule_deposit(TaintPass *p, TCGOp *op, TCGTemp *out, TCGTemp *a,
                         TCGTemp *b)
{
    unsigned ofs = op->args[3], len = op->args[4];
    unsigned k = ofs / 8, nb = len / 8;
    uint64_t field, low;
    TCGTemp *d = taint_pass_out(p, out);
    TCGTemp *sa = taint_pass_in(p, a), *sb = taint_pass_in(p, b);
    TCGv_i64 bm, am, t, u;

    if ((ofs | len) & 7 || ofs + len > 64) {
        return false;
    }
    if (!d) {
        return true;
    }
    low = nb >= 8 ? TAINT_SH_MASK : (1u << nb) - 1;
    field = (low << k) & TAINT_SH_MASK;
    bm = tcg_temp_new_i64();
    am = tcg_temp_new_i64();
    t = tcg_temp_new_i64();
    u = tcg_temp_new_i64();
    tcg_gen_andi_i64(bm, v64(sb), low);
    tcg_gen_shli_i64(bm, bm, k);
    tcg_gen_andi_i64(am, v64(sa), ~field);
    /* b's labels moved to the field's position, with a's other bytes */
    tcg_gen_andi_i64(t, v64(sb), ~TAINT_SH_MASK);
    tcg_gen_subi_i64(t, t, (int64_t)k << 32);
    tcg_gen_or_i64(t, t, bm);
    tcg_gen_andi_i64(u, am, TAINT_SH_MASK);
    tcg_gen_or_i64(t, t, u);
    tcg_gen_movcond_i64(TCG_COND_NE, v64(d), bm, tcg_constant_i64(0), t, am);
    tcg_temp_free_i64(bm);
    tcg_temp_free_i64(am);
    tcg_temp_free_i64(t);
    tcg_temp_free_i64(u);
    return true;
}

/*
 * d = s moved by k bytes towards the low end (k < 0: the high end), only
 * the low nbytes kept: byte i of the result is byte i + k of s and keeps
 * its label.
 */
static void gen_byte_shift(TCGTemp *d, TCGTemp *s, int k, unsigned nbytes)
{
    TCGv_i64 m = tcg_temp_new_i64(), b = tcg_temp_new_i64();

    tcg_gen_andi_i64(m, v64(s), TAINT_SH_MASK);
    if (k >= 0) {
        tcg_gen_shri_i64(m, m, k);
    } else {
        tcg_gen_shli_i64(m, m, -k);
    }
    tcg_gen_andi_i64(m, m, (1u << nbytes) - 1);
    tcg_gen_andi_i64(b, v64(s), ~(uint64_t)UINT32_MAX);
    tcg_gen_addi_i64(b, b, (int64_t)((uint64_t)k << 32));
    tcg_gen_or_i64(v64(d), b, m);
    tcg_temp_free_i64(m);
    tcg_temp_free_i64(b);
}

/*
 * d = the low byte dirty if any byte of s is (a count of s's bits), with
 * the label of s's first dirty byte.
 */
static void gen_low_byte(TCGTemp *d, TCGTemp *s)
{
    TCGv_i64 m, k, u;

    if (taint_is_zero(s)) {
        tcg_gen_movi_i64(v64(d), 0);
        return;
    }
    m = tcg_temp_new_i64();
    k = tcg_temp_new_i64();
    u = tcg_temp_new_i64();
    tcg_gen_andi_i64(m, v64(s), TAINT_SH_MASK);
    tcg_gen_ctzi_i64(k, m, 0);
    tcg_gen_shli_i64(k, k, 32);
    tcg_gen_andi_i64(u, v64(s), ~(uint64_t)UINT32_MAX);
    tcg_gen_add_i64(u, u, k);
    tcg_gen_ori_i64(u, u, 1);
    tcg_gen_movcond_i64(TCG_COND_NE, v64(d), m, tcg_constant_i64(0), u,
                        tcg_constant_i64(0));
    tcg_temp_free_i64(m);
    tcg_temp_free_i64(k);
    tcg_temp_free_i64(u);
}

/*
 * Ops that move whole bytes, or whose result has fewer dirty bytes than
 * spreading would say; r is the union of the inputs' shadows.  glibc's
 * string functions store a word's bytes as %al, %ah and shift it by 16
 * (exact labels through byte-aligned shifts and extracts), and store a
 * terminator from the high byte of a bsf result (a bit count fits in its
 * low byte: the others are zero whatever the input).  False: not such an
 * op, the generic rule applies.
 */
static bool rule_bytes(TaintPass *p, TCGOp *op, TCGTemp *d, TCGTemp **in,
                       TCGTemp *r)
{
    TCGOpcode c = op->opc;
    bool is64 = tcg_op_defs[c].flags & TCG_OPF_64BIT;
    unsigned width = is64 ? 8 : 4;
    TCGTemp *sh_def;
    TCGv_i64 v, t;

    if (taint_is_zero(r)) {
        return false;
    }
    switch (c) {
    case INDEX_op_shr_i32: case INDEX_op_shr_i64:
    case INDEX_op_shl_i32: case INDEX_op_shl_i64:
        if (in[1]->kind != TEMP_CONST || in[1]->val % 8 ||
            in[1]->val >= width * 8) {
            return false;
        }
        gen_byte_shift(d, r, (c == INDEX_op_shr_i32 || c == INDEX_op_shr_i64)
                             ? in[1]->val / 8 : -(int)(in[1]->val / 8),
                       width);
        return true;
    case INDEX_op_extract_i32: case INDEX_op_extract_i64:
    case INDEX_op_sextract_i32: case INDEX_op_sextract_i64:
        /* args: out, in, pos, len; sign bytes clean, as for ext8s */
        if (op->args[2] % 8 || op->args[3] % 8) {
            return false;
        }
        gen_byte_shift(d, r, op->args[2] / 8, op->args[3] / 8);
        return true;
    case INDEX_op_ctpop_i32: case INDEX_op_ctpop_i64:
        gen_low_byte(d, r);
        return true;
    case INDEX_op_ctz_i32: case INDEX_op_ctz_i64:
    case INDEX_op_clz_i32: case INDEX_op_clz_i64:
        /* The count (one byte) of a non-zero input; else the default. */
        sh_def = taint_pass_in(p, in[1]);
        v = tcg_temp_new_i64();
        t = tcg_temp_new_i64();
        if (is64) {
            tcg_gen_mov_i64(v, temp_tcgv_i64(in[0]));
        } else {
            tcg_gen_extu_i32_i64(v, temp_tcgv_i32(in[0]));
        }
        gen_low_byte(tcgv_i64_temp(t), taint_pass_in(p, in[0]));
        tcg_gen_movcond_i64(TCG_COND_EQ, v64(d), v, tcg_constant_i64(0),
                            v64(sh_def), t);
        tcg_temp_free_i64(v);
        tcg_temp_free_i64(t);
        return true;
    default:
        return false;
    }
}

void taint_gen_aec(TCGv_i64 target, TCGv_i64 sh)
{
    TCGv_i64 dirty;

    if (!TCG_TARGET_HAS_cold_call) {
        gen_helper_taint_aec(cpu_env, target, sh);
        return;
    }
    /* Most indirect jumps go to clean targets: no call, no spill. */
    dirty = tcg_temp_new_i64();
    tcg_gen_andi_i64(dirty, sh, TAINT_SH_MASK);
    tcg_gen_op6(INDEX_op_cold_call, tcgv_i64_arg(dirty), tcgv_i64_arg(target),
                tcgv_i64_arg(sh), tcgv_i64_arg(sh), (TCGArg)taint_aec_cold,
                0);
    tcg_temp_free_i64(dirty);
}

static void emit(TCGContext *s, TCGOp *op)
{
    QTAILQ_INSERT_TAIL(&s->ops, op, link);
}

static void instrument_op(TaintPass *p, TCGContext *s, TCGOp *op)
{
    TCGOpcode c = op->opc;
    const TCGOpDef *def = &tcg_op_defs[c];
    TCGTemp *in[MAX_OPC_PARAM], *out[2], *sh[MAX_OPC_PARAM];
    TCGTemp *acc, *r, *addr_copy = NULL;
    bool pc_written = false, inline_ld;
    int nin, nout;

    if (c == INDEX_op_call) {
        nout = TCGOP_CALLO(op);
        nin = TCGOP_CALLI(op);
    } else {
        nout = def->nb_oargs;
        nin = def->nb_iargs;
    }
    for (int i = 0; i < nout; i++) {
        out[i] = arg_temp(op->args[i]);
    }
    for (int i = 0; i < nin; i++) {
        in[i] = arg_temp(op->args[nout + i]);
    }
    if (taint_cond_on) {
        if (p->kernel && !taint_cond_kernel_keeps(c)) {
            taint_cond_gen_forget(p, op, in, nin, out, nout);
        } else {
            taint_cond_gen_op(p, op, in, nin, out, nout);
        }
    }

    switch (c) {
    case INDEX_op_discard:
        if (is_temp(out[0])) {
            tcg_gen_discard_i64(v64(taint_pass_out(p, out[0])));
        } else if (out[0]->kind == TEMP_GLOBAL &&
                   taint_global_shadow[temp_idx(out[0])]) {
            /*
             * A dead global (x86: a flags operand the new cc_op does not
             * use).  Its shadow lives in memory, where a stale dirty word
             * would keep the vCPU in dirty mode and taint the operands of
             * a later cc_op-dynamic flags helper: clean it, which also
             * lets liveness drop the shadow work that fed it.
             */
            tcg_gen_movi_i64(v64(taint_pass_out(p, out[0])), 0);
        }
        emit(s, op);
        return;

    case INDEX_op_qemu_ld_i32:
    case INDEX_op_qemu_ld_i64:
        /*
         * The shadow is read after the load, once the TLB holds the page;
         * the load may overwrite its own address.
         */
        if (in[0] == out[0]) {
            addr_copy = scratch();
            tcg_gen_mov_i64(v64(addr_copy), v64(in[0]));
        }
        p->has_env_ofs[temp_idx(out[0])] = false;
        r = taint_pass_out(p, out[0]);
        inline_ld = r && taint_tlb_gen_ld_begin(op->args[nout + nin]);
        emit(s, op);
        if (inline_ld) {
            taint_tlb_gen_ld(v64(r), v64(addr_copy ? addr_copy : in[0]),
                             op->args[nout + nin]);
        } else if (r) {
            gen_helper_taint_ld(v64(r), cpu_env,
                                v64(addr_copy ? addr_copy : in[0]),
                                tcg_constant_i32(op->args[nout + nin]));
        }
        if (taint_cond_on) {
            taint_cond_gen_ld(p, op, out[0], in[0],
                              addr_copy ? addr_copy : in[0]);
        }
        if (addr_copy) {
            scratch_free(addr_copy);
        }
        return;

    case INDEX_op_qemu_st_i32:
    case INDEX_op_qemu_st8_i32:
    case INDEX_op_qemu_st_i64:
        emit(s, op);
        /* The address's shadow too: write-what-where (taint-mem.c). */
        taint_tlb_gen_st(v64(in[1]), v64(taint_pass_in(p, in[0])),
                         v64(taint_pass_in(p, in[1])), op->args[nout + nin]);
        if (taint_cond_on) {
            taint_cond_gen_st(p, op, in[0], in[1]);
        }
        return;

    case INDEX_op_ld8u_i32: case INDEX_op_ld8s_i32:
    case INDEX_op_ld16u_i32: case INDEX_op_ld16s_i32: case INDEX_op_ld_i32:
    case INDEX_op_ld8u_i64: case INDEX_op_ld8s_i64:
    case INDEX_op_ld16u_i64: case INDEX_op_ld16s_i64:
    case INDEX_op_ld32u_i64: case INDEX_op_ld32s_i64: case INDEX_op_ld_i64:
        r = taint_pass_out(p, out[0]);
        if (r) {
            rule_env_ld(p, op, r, in[0]);
        }
        p->has_env_ofs[temp_idx(out[0])] = false;
        emit(s, op);
        return;

    case INDEX_op_st8_i32: case INDEX_op_st16_i32: case INDEX_op_st_i32:
    case INDEX_op_st8_i64: case INDEX_op_st16_i64: case INDEX_op_st32_i64:
    case INDEX_op_st_i64:
        rule_env_st(p, op, in[0], in[1]);
        emit(s, op);
        return;


    case INDEX_op_deposit_i32:
    case INDEX_op_deposit_i64:
        if (rule_deposit(p, op, out[0], in[0], in[1])) {
            p->has_env_ofs[temp_idx(out[0])] = false;
            emit(s, op);
            return;
        }
        break;

    case INDEX_op_call:
        if (!taint_target_call_rule(p, op, (void *)op->args[nout + nin],
                                    in, nin, out, nout)) {
            rule_call(p, op, in, nin, out, nout);
        }
        for (int i = 0; i < nout; i++) {
            p->has_env_ofs[temp_idx(out[i])] = false;
        }
        emit(s, op);
        taint_target_call_after((void *)op->args[nout + nin], in, nin);
        return;

    default:
        if (def->flags & TCG_OPF_VECTOR) {
            rule_vec(p, op, in, nin, out, nout);
            emit(s, op);
            return;
        }
        break;
    }

    /*
     * Everything else computes its outputs from its inputs; ops without
     * outputs (branches, barriers, insn_start) need no shadow work.
     */
    if (nout == 0) {
        emit(s, op);
        return;
    }
    for (int i = 0; i < nin; i++) {
        sh[i] = temp_idx(in[i]) == taint_pc_global ? zero()
                                                   : taint_pass_in(p, in[i]);
    }
    acc = scratch();
    if (p->kernel && !taint_pass_moves_data(c)) {
        /* Kernel arithmetic on input (a string's length, a layout): clean. */
        r = zero();
    } else if (c == INDEX_op_movcond_i32 || c == INDEX_op_movcond_i64) {
        /*
         * The selected values only: a condition is control, not data.
         * (cmov on a dirty checksum's verdict picks kernel function
         * pointers; tainting them would be a false AEC.)
         */
        r = union_all(sh + 2, 2, acc);
    } else {
        r = union_all(sh, nin, acc);
    }
    for (int i = 0; i < nout; i++) {
        TCGTemp *d;

        if (temp_idx(out[i]) == taint_pc_global) {
            pc_written = !taint_is_zero(r);
            continue;
        }
        d = taint_pass_out(p, out[i]);
        if (d && !rule_bytes(p, op, d, in, r)) {
            gen_rule(rule_of(c), d, r);
        }
        /* Track env + constant: helpers take pointers into the CPU state. */
        p->has_env_ofs[temp_idx(out[i])] = false;
        if (c == INDEX_op_add_i64 && in[0] == p->env &&
            in[1]->kind == TEMP_CONST) {
            p->has_env_ofs[temp_idx(out[i])] = true;
            p->env_ofs[temp_idx(out[i])] = in[1]->val;
        } else if (c == INDEX_op_mov_i64 && in[0] == p->env) {
            p->has_env_ofs[temp_idx(out[i])] = true;
            p->env_ofs[temp_idx(out[i])] = 0;
        }
    }
    if (pc_written) {
        /*
         * AEC: dirty bytes are about to enter the PC.  Checked before the
         * write, while env's PC still locates the instruction.
         */
        TCGTemp *target = in[0];

        for (int i = 0; i < nin; i++) {
            if (temp_idx(in[i]) != taint_pc_global) {
                target = in[i];
                break;
            }
        }
        taint_gen_aec(v64(target), v64(r));
    }
    emit(s, op);
    scratch_free(acc);
}

/* Clean mode: only the sinks that look at memory, not at shadows. */
static void instrument_sinks(TaintPass *p, TCGContext *s)
{
    TCGOp *op;

    QTAILQ_FOREACH(op, &s->ops, link) {
        TCGTemp *in[MAX_OPC_PARAM];
        int nout, nin;
        TCGOp *mark;

        if (op->opc != INDEX_op_call) {
            continue;
        }
        nout = TCGOP_CALLO(op);
        nin = TCGOP_CALLI(op);
        for (int i = 0; i < nin; i++) {
            in[i] = arg_temp(op->args[nout + i]);
        }
        /* Emit at the end of the list, then move before the call. */
        mark = tcg_last_op();
        taint_target_sink_rule(p, (void *)op->args[nout + nin], in, nin);
        if (taint_cond_on) {
            /* A receive that blocks starts in clean mode. */
            taint_cond_gen_syscall((void *)op->args[nout + nin]);
        }
        while (QTAILQ_NEXT(mark, link)) {
            TCGOp *new = QTAILQ_NEXT(mark, link);

            QTAILQ_REMOVE(&s->ops, new, link);
            QTAILQ_INSERT_BEFORE(op, new, link);
        }
        /* And what goes after it, moved there likewise, in order. */
        mark = tcg_last_op();
        taint_target_call_after((void *)op->args[nout + nin], in, nin);
        for (TCGOp *pos = op; mark != op && QTAILQ_NEXT(mark, link); ) {
            TCGOp *new = QTAILQ_NEXT(mark, link);

            QTAILQ_REMOVE(&s->ops, new, link);
            QTAILQ_INSERT_AFTER(&s->ops, pos, new, link);
            pos = new;
        }
    }
}

/*
 * The shadow globals: temps shadow_first..shadow_end - 1, as created,
 * with their bases as indexes (each TCG thread's context has its own
 * temps, tcg_register_thread() relinks them).
 */
static int shadow_first, shadow_end;
static TCGTemp *shadow_temps;
static size_t *shadow_bases;

void taint_pass_shadow_globals(TCGContext *s, int first)
{
    shadow_first = first;
    shadow_end = s->nb_globals;
    shadow_temps = g_memdup2(&s->temps[first],
                             (shadow_end - first) * sizeof(TCGTemp));
    shadow_bases = g_new(size_t, shadow_end - first);
    for (int i = first; i < shadow_end; i++) {
        shadow_bases[i - first] = s->temps[i].mem_base - s->temps;
    }
}

/*
 * TCG's liveness and register allocation visit every global at each
 * basic block's end and each call: a clean-mode TB, which names no
 * shadow global, is translated with them hidden (its temps then reuse
 * their slots), and they come back for a dirty-mode TB.  Nearly all of
 * a boot is translated in clean mode.
 */
void taint_tcg_func_start(TCGContext *s, uint32_t cflags)
{
    if (!shadow_end) {
        return;
    }
    /* No global may come after ours. */
    g_assert(s->nb_globals == shadow_end || s->nb_globals == shadow_first);
    if (!(cflags & CF_TAINT)) {
        s->nb_globals = shadow_first;
    } else if (s->nb_globals != shadow_end) {
        memcpy(&s->temps[shadow_first], shadow_temps,
               (shadow_end - shadow_first) * sizeof(TCGTemp));
        for (int i = shadow_first; i < shadow_end; i++) {
            s->temps[i].mem_base = &s->temps[shadow_bases[i - shadow_first]];
        }
        s->nb_globals = shadow_end;
    }
}

void taint_tcg_instrument(TCGContext *s, const TranslationBlock *tb)
{
    QTAILQ_HEAD(, TCGOp) old = QTAILQ_HEAD_INITIALIZER(old);
    TaintPass *p = &the_pass;
    TCGOp *op, *next;

    if (!hw_taint_enabled() || !taint_env_size) {
        return;
    }
    memset(p->shadow, 0, sizeof(p->shadow));
    memset(p->vshadow, 0, sizeof(p->vshadow));
    memset(p->has_env_ofs, 0, sizeof(p->has_env_ofs));
    p->env = tcgv_ptr_temp(cpu_env);
    p->kernel = taint_target_tb_kernel(tb);
    /*
     * Temps the front end freed are still named by its ops: ours must be
     * fresh ones, never a reuse of those.
     */
    memset(&s->free_temps, 0, sizeof(s->free_temps));

    if (!(tb_cflags(tb) & CF_TAINT)) {
        instrument_sinks(p, s);
        return;
    }

    QTAILQ_FOREACH_SAFE(op, &s->ops, link, next) {
        QTAILQ_REMOVE(&s->ops, op, link);
        QTAILQ_INSERT_TAIL(&old, op, link);
    }
    QTAILQ_FOREACH_SAFE(op, &old, link, next) {
        QTAILQ_REMOVE(&old, op, link);
        instrument_op(p, s, op);
    }
}
