/*
 * The taint engine's hooks into QEMU's TCG (see docs/taint-engine.md).
 */
#ifndef ACCEL_TCG_TAINT_PROP_H
#define ACCEL_TCG_TAINT_PROP_H

#include "exec/memopidx.h"

/* Create the shadow globals; called at the end of tcg_x86_init(). */
void taint_tcg_x86_init(void);

/* Instrument the TB's ops, between the front end and tcg_gen_code(). */
void taint_tcg_instrument(TCGContext *s);

/* A store made by a C helper (cpu_st*_mmu): it cleans what it wrote. */
void taint_helper_store(CPUArchState *env, target_ulong addr, MemOpIdx oi);

/* How the guest enters the kernel, for the AFA check. */
#define TAINT_ENTRY_SYSCALL  0
#define TAINT_ENTRY_INT80    1
#define TAINT_ENTRY_SYSENTER 2

#endif
