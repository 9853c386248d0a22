/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers of the taint engine (Vigilante), declared for every target
 * through tcg-runtime.h.  The shadow of a value is an i64: bits 0..7 say
 * which of its bytes are dirty, bits 32..63 hold the label of byte 0
 * (byte i's label is that plus i).  See accel/tcg/taint-shadow.h.
 */

/* Shadow of the bytes a qemu_ld has just read: (addr, MemOpIdx). */
DEF_HELPER_FLAGS_3(taint_ld, TCG_CALL_NO_RWG_SE, i64, env, i64, i32)
/*
 * A qemu_st has just written: (addr, shadow of the value, shadow of the
 * address, MemOpIdx).
 */
DEF_HELPER_FLAGS_5(taint_st, TCG_CALL_NO_RWG, void, env, i64, i64, i64, i32)
/* A store of fewer than 8 bytes, or unaligned, into CPU state. */
DEF_HELPER_FLAGS_4(taint_env_st, TCG_CALL_NO_RWG, void, env, i32, i32, i64)
/*
 * After a helper that saves or restores the vector registers in guest
 * memory (x86 fxsave, xsave, fxrstor, xrstor): (addr, rfbm, kind).
 */
DEF_HELPER_FLAGS_4(taint_xstate, TCG_CALL_NO_RWG, void, env, i64, i64, i32)
/*
 * x86 rep movs and rep stos, a page at a time (taint-x86-rep.c): reads
 * and writes RSI, RDI, RCX.
 */
DEF_HELPER_2(taint_rep_bulk, void, env, i32)
/* Sinks: they raise VIGILANTE_ALERT and may leave the CPU loop. */
DEF_HELPER_FLAGS_3(taint_aec, TCG_CALL_NO_WG, void, env, i64, i64)
DEF_HELPER_FLAGS_2(taint_aec_stack, TCG_CALL_NO_WG, void, env, i32)
DEF_HELPER_FLAGS_2(taint_afa, TCG_CALL_NO_WG, void, env, i32)
/* Condition capture (taint-cond.c), only while a filter is generated. */
DEF_HELPER_FLAGS_7(taint_cond_op, TCG_CALL_NO_RWG, void, env, i32, i64,
                   i64, i64, i64, i64)
DEF_HELPER_FLAGS_6(taint_cond_pin, TCG_CALL_NO_RWG, void, env, i64, i64,
                   i64, i64, i64)
DEF_HELPER_FLAGS_4(taint_cond_env_region, TCG_CALL_NO_RWG, void, env, i32,
                   i32, i32)
DEF_HELPER_FLAGS_3(taint_cond_env, TCG_CALL_NO_RWG, void, env, i32, i32)
DEF_HELPER_FLAGS_5(taint_cond_ld, TCG_CALL_NO_RWG, void, env, i32, i32, i64,
                   i64)
DEF_HELPER_FLAGS_5(taint_cond_st, TCG_CALL_NO_RWG, void, env, i32, i32, i64,
                   i64)
/* These two read RAX from env: the globals must be synced first. */
DEF_HELPER_FLAGS_1(taint_cond_syscall, TCG_CALL_NO_WG, void, env)
DEF_HELPER_FLAGS_3(taint_cond_sysret, TCG_CALL_NO_WG, void, env, i32, i32)
