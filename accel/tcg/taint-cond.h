/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Condition capture (docs/filter-generation.md): while a filter is being
 * generated, every value computed from input bytes also gets an
 * expression over those bytes, and every decision the guest takes on
 * such a value is recorded as a condition.  Off (and free) otherwise.
 *
 * Expressions are nodes of one DAG whose operations are those of the
 * filter format (vigilante/filter.h), so a condition becomes a filter
 * condition node for node; a leaf is a load of input bytes named by the
 * label of its first byte (consecutive labels, little endian).
 */
#ifndef ACCEL_TCG_TAINT_COND_H
#define ACCEL_TCG_TAINT_COND_H

#include "tcg/tcg.h"

/* Node id 0: no expression, the value is concrete. */
typedef struct TaintCondNode {
    uint8_t op;             /* VfOp */
    uint8_t width;          /* loads, zext, sext */
    uint8_t nz_bytes;       /* low bytes that can be non-zero (derived) */
    uint32_t a, b;          /* operand node ids */
    uint64_t val;           /* const: the value; load: the first label */
    uint64_t cval;          /* its value in this run */
} TaintCondNode;

typedef enum {
    TAINT_COND_BRANCH,      /* a conditional branch */
    TAINT_COND_SELECT,      /* a conditional move */
    TAINT_COND_PIN_ADDRESS, /* a computed address, pinned to its value */
    TAINT_COND_PIN_OPAQUE,  /* an input of an op not modelled, pinned */
} TaintCondKind;

typedef struct TaintCondRecord {
    uint32_t node;          /* a comparison that held */
    uint8_t kind;           /* TaintCondKind */
    bool user;              /* in user mode (CPL 3) */
    uint64_t pc;            /* the guest instruction */
    uint64_t cr3;           /* its address space */
} TaintCondRecord;

/* Is capture on?  Read at translation time. */
extern bool taint_cond_on;

/* Start afresh (forgets what was recorded) or stop; flushes the TBs. */
void taint_cond_start(void);
void taint_cond_stop(void);

/* What was recorded, in order; valid until the next start. */
size_t taint_cond_node_count(void);
const TaintCondNode *taint_cond_node(uint32_t id);
const TaintCondRecord *taint_cond_records(size_t *n);
/* True if a limit cut the recording short (nodes or conditions). */
bool taint_cond_truncated(void);
/* How many times an expression was found not to compute its value. */
uint64_t taint_cond_stale(void);

/* The CPU went back to clean mode: no register holds input. */
void taint_cond_forget_registers(void);

/* Emission, from the propagation pass (taint-cond-pass.c). */
typedef struct TaintPass TaintPass;
/* Before the op: expressions of its outputs, conditions, pins. */
void taint_cond_gen_op(TaintPass *p, TCGOp *op, TCGTemp **in, int nin,
                       TCGTemp **out, int nout);
/*
 * After a guest load: `addr` is the address's temp, `addr_value` holds
 * its value (a copy when the load overwrote it).
 */
void taint_cond_gen_ld(TaintPass *p, TCGOp *op, TCGTemp *out, TCGTemp *addr,
                       TCGTemp *addr_value);
/* After a guest store. */
void taint_cond_gen_st(TaintPass *p, TCGOp *op, TCGTemp *val, TCGTemp *addr);
/* Before a helper call in any TB: system call entry and exit. */
void taint_cond_gen_syscall(void *func);
/*
 * Kernel TBs (taint-kernel=moves) keep the expressions of data they move
 * (user registers saved and restored, copies to and from user memory),
 * as the label rule does; what they compute becomes concrete.
 */
bool taint_cond_kernel_keeps(TCGOpcode c);
/* Before an op of a kernel TB that computes: its outputs are concrete. */
void taint_cond_gen_forget(TaintPass *p, TCGOp *op, TCGTemp **in, int nin,
                           TCGTemp **out, int nout);

#define TAINT_COND_NONE 0x3ff   /* no temp: a constant, or no operand */
/* Pseudo-opcodes of taint_cond_op, past TCG's: x86's flags helpers. */
#define TAINT_COND_OP_CC_ALL 0x3f0
#define TAINT_COND_OP_CC_C   0x3f1

/* The expression of each temp, by temp index (0: concrete). */
extern uint32_t taint_cond_slot[TCG_MAX_TEMPS];

#endif
