/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Condition capture, the run-time half: the expression DAG, the
 * expressions held by temps, the CPU state and guest memory, and the
 * recorded conditions.  The pass (taint-cond-pass.c) calls the helpers
 * below before each op of a captured TB, with the op's input values.
 *
 * Rules.  A value with no expression is concrete.  An op whose inputs are
 * all concrete gives a concrete output.  Otherwise the output gets the
 * op's expression (arithmetic, logic, shifts by anything, extensions,
 * deposits and extracts, byte swaps, comparisons, x86's flags from its
 * lazy cc_op state); a branch or a conditional move records the
 * comparison as it came out; anything else (an opaque helper, a division,
 * a 128-bit product) records "this input equals its value" for each input
 * with an expression, and gives a concrete output: pinning is always
 * safe, the filter only gets more specific.  A guest load or store whose
 * address has an expression pins the address the same way.
 */
#include "qemu/osdep.h"
#include "cpu.h"
#include "exec/exec-all.h"
#include "exec/helper-proto.h"
#include "tcg/tcg.h"
#include "hw-taint/taint.h"
#include "hw-taint/input.h"
#include "vigilante/event-log.h"
#include "vigilante/filter.h"
#include "taint-cond.h"
#include "taint-pass.h"
#include "taint-prop.h"

#define COND_MAX_NODES      (1u << 20)
#define COND_BLOCK_BITS     12
#define COND_BLOCK          (1u << COND_BLOCK_BITS)
#define COND_MAX_RECORDS    65536

bool taint_cond_on;

/* The expression of each temp, by index (one TCG thread under taint). */
uint32_t taint_cond_slot[TCG_MAX_TEMPS];

/* A byte of a value that has an expression: byte k of node n. */
typedef struct {
    uint32_t node;
    uint8_t k;
    TaintLabel label;       /* the byte's label when it was stored */
} CondByte;

static struct {
    /*
     * TaintCondNode by id, [0] unused.  Fixed blocks, never moved: the
     * simplifier holds a node's address while it makes new nodes.
     */
    TaintCondNode *blocks[COND_MAX_NODES / COND_BLOCK];
    uint32_t nnodes;
    GHashTable *interned;   /* node id -> itself, for structural equality */
    GArray *records;        /* TaintCondRecord */
    GHashTable *recorded;   /* condition node ids already recorded */
    GHashTable *mem;        /* (cr3, va) key -> CondByte */
    GHashTable *syscalls;   /* (cr3) key -> system call number + 1 */
    GHashTable *input;      /* label -> its input byte + 1 (a cache) */
    CondByte *env;          /* one per byte of the CPU state */
    bool env_used;
    bool truncated;
    uint64_t stale;         /* expressions found not to hold, dropped */
} cs;

/* ---- the DAG ---- */

static TaintCondNode *node_at(uint32_t id)
{
    return &cs.blocks[id >> COND_BLOCK_BITS][id & (COND_BLOCK - 1)];
}

static guint node_hash(gconstpointer key)
{
    const TaintCondNode *n = node_at(GPOINTER_TO_UINT(key));

    return (n->op * 31u + n->width) * 0x9e3779b1u ^ n->a * 0x85ebca6bu ^
           n->b * 0xc2b2ae35u ^ (guint)n->val ^ (guint)(n->val >> 32);
}

static gboolean node_equal(gconstpointer x, gconstpointer y)
{
    const TaintCondNode *a = node_at(GPOINTER_TO_UINT(x));
    const TaintCondNode *b = node_at(GPOINTER_TO_UINT(y));

    return a->op == b->op && a->width == b->width && a->a == b->a &&
           a->b == b->b && a->val == b->val;
}

/* The id of this node, made if new; 0 once the limit is reached. */
static uint64_t fold(uint8_t op, uint64_t a, uint64_t b);

static uint64_t width_mask(unsigned width)
{
    return width >= 8 ? ~0ull : (1ull << (8 * width)) - 1;
}

/* The value a new node has in this run, from its operands'. */
static uint64_t node_value(const TaintCondNode *n, uint64_t leaf)
{
    uint64_t a = n->a ? node_at(n->a)->cval : 0;
    uint64_t b = n->b ? node_at(n->b)->cval : 0;

    switch (n->op) {
    case VF_OP_CONST: case VF_OP_LEN:
        return n->val;
    case VF_OP_LOAD_LE:
        return leaf & width_mask(n->width);
    default:
        return vf_apply(n->op, n->width, a, b);
    }
}

/*
 * How many low bytes of a new node's value can be non-zero, from its
 * operands': what makes a zext of it a no-op (a 32-bit CRC's shifts and
 * xors would otherwise each get one).
 */
static uint8_t node_nz_bytes(const TaintCondNode *n)
{
    uint8_t fa = n->a ? node_at(n->a)->nz_bytes : 8;
    uint8_t fb = n->b ? node_at(n->b)->nz_bytes : 8;
    uint8_t f = 0;

    switch (n->op) {
    case VF_OP_CONST:
        for (uint64_t v = n->val; v; v >>= 8) {
            f++;
        }
        return f;
    case VF_OP_LOAD_LE: case VF_OP_LOAD_BE: case VF_OP_ZEXT:
        return MIN(n->width, 8);
    case VF_OP_EQ ... VF_OP_SLE:
        return 1;
    case VF_OP_AND:
        return MIN(fa, fb);
    case VF_OP_OR: case VF_OP_XOR:
        return MAX(fa, fb);
    case VF_OP_SHR:
        return fa;
    default:
        return 8;
    }
}

/*
 * The id of this node, made if new; 0 once the limit is reached.  A
 * load's value in this run is `leaf`.
 */
static uint32_t intern_leaf(uint8_t op, uint8_t width, uint32_t a,
                            uint32_t b, uint64_t val, uint64_t leaf)
{
    TaintCondNode n = { .op = op, .width = width, .a = a, .b = b,
                        .val = val };
    uint32_t id = cs.nnodes;
    TaintCondNode **block = &cs.blocks[id >> COND_BLOCK_BITS];
    gpointer found;

    if (id >= COND_MAX_NODES) {
        cs.truncated = true;
        return 0;
    }
    n.cval = node_value(&n, leaf);
    n.nz_bytes = node_nz_bytes(&n);
    if (!*block) {
        *block = g_new0(TaintCondNode, COND_BLOCK);
    }
    *node_at(id) = n;
    cs.nnodes++;
    found = g_hash_table_lookup(cs.interned, GUINT_TO_POINTER(id));
    if (found) {
        cs.nnodes = id;
        return GPOINTER_TO_UINT(found);
    }
    g_hash_table_add(cs.interned, GUINT_TO_POINTER(id));
    return id;
}

static uint32_t intern(uint8_t op, uint8_t width, uint32_t a, uint32_t b,
                       uint64_t val)
{
    return intern_leaf(op, width, a, b, val, 0);
}

static uint32_t mk_const(uint64_t v)
{
    return intern(VF_OP_CONST, 0, 0, 0, v);
}

/* An operand: its expression, else its value as a constant. */
static uint32_t operand(uint32_t node, uint64_t v)
{
    return node ? node : mk_const(v);
}

static bool is_const(uint32_t n, uint64_t *v)
{
    const TaintCondNode *x = node_at(n);

    if (x->op == VF_OP_CONST) {
        *v = x->val;
        return true;
    }
    return false;
}

/* Constant folding, as the filter evaluator computes. */
static uint64_t fold(uint8_t op, uint64_t a, uint64_t b)
{
    return vf_apply(op, 0, a, b);
}

/*
 * A binary node, simplified where that is exact: constants folded, and
 * the identities that register writes produce (x & ~0, x | 0, shifts by
 * 0, x + 0), so that a byte loop through AL does not grow one deposit
 * per byte.
 */
static uint32_t mk_bin(uint8_t op, uint32_t a, uint32_t b)
{
    uint64_t va, vb;
    bool ca, cb;

    if (!a || !b) {
        return 0;
    }
    ca = is_const(a, &va);
    cb = is_const(b, &vb);
    if (ca && cb) {
        return intern(VF_OP_CONST, 0, 0, 0, fold(op, va, vb));
    }
    if (ca && (op == VF_OP_AND || op == VF_OP_MUL)) {
        uint32_t t = a;         /* constants on the right */

        a = b;
        b = t;
        cb = true;
        vb = va;
        ca = false;
    }
    if (cb) {
        switch (op) {
        case VF_OP_AND:
            if (vb == ~0ull) {
                return a;
            }
            if (vb == 0) {
                return b;
            }
            break;
        case VF_OP_MUL:
            if (vb == 0 || vb == 1) {
                return vb ? a : b;
            }
            break;
        case VF_OP_OR: case VF_OP_XOR: case VF_OP_ADD: case VF_OP_SUB:
        case VF_OP_SHL: case VF_OP_SHR: case VF_OP_SAR:
            if (vb == 0) {
                return a;
            }
            break;
        default:
            break;
        }
    }
    if (ca && va == 0 && (op == VF_OP_OR || op == VF_OP_XOR ||
                          op == VF_OP_ADD)) {
        return b;
    }
    if (a == b && (op == VF_OP_AND || op == VF_OP_OR)) {
        return a;               /* test al, al */
    }
    /*
     * x + c1 + c2 is x + (c1 + c2): a pointer stepped through a buffer
     * stays one addition deep, however long the loop.
     */
    if (ca && op == VF_OP_ADD) {
        uint32_t t = a;

        a = b;
        b = t;
        cb = true;
        vb = va;
    }
    if (cb && (op == VF_OP_ADD || op == VF_OP_SUB)) {
        const TaintCondNode *x = node_at(a);
        uint64_t c = op == VF_OP_ADD ? vb : -vb, c1;

        if (x->op == VF_OP_ADD && is_const(x->b, &c1)) {
            c += c1;
            a = x->a;
        }
        return c ? intern(VF_OP_ADD, 0, a, mk_const(c), 0) : a;
    }
    return intern(op, 0, a, b, 0);
}

/*
 * Bytes [k, k + width) of a load of input are a load of input: a word
 * loaded whole and then taken apart reads only the bytes it keeps.
 */
static uint32_t load_part(uint32_t n, unsigned k, unsigned width)
{
    const TaintCondNode *x = node_at(n);

    if (x->op != VF_OP_LOAD_LE || k + width > x->width ||
        (k == 0 && width == x->width)) {
        return 0;
    }
    return intern_leaf(VF_OP_LOAD_LE, width, 0, 0, x->val + k,
                       x->cval >> (8 * k));
}

/* The low `width` bytes of n are those of a simpler node: that node. */
static uint32_t low_bytes(uint32_t n, unsigned width)
{
    uint64_t mask = width >= 8 ? ~0ull : (1ull << (8 * width)) - 1, v;

    for (;;) {
        const TaintCondNode *x = node_at(n);
        uint32_t part = width < 8 ? load_part(n, 0, width) : 0;

        if (part) {
            return part;
        }
        if (width < 8 && x->op == VF_OP_SHR && is_const(x->b, &v) &&
            v % 8 == 0) {
            part = load_part(x->a, v / 8, width);
            if (part) {
                return part;
            }
        }

        if (x->op == VF_OP_AND && is_const(x->b, &v) && (v & mask) == mask) {
            n = x->a;           /* (y & m), m keeps those bytes */
        } else if (x->op == VF_OP_OR && node_at(x->a)->op == VF_OP_AND &&
                   is_const(node_at(x->a)->b, &v) && !(v & mask)) {
            n = x->b;           /* (y & high) | z: z's low bytes */
        } else if (x->op == VF_OP_OR && is_const(x->a, &v) && !(v & mask)) {
            n = x->b;           /* high | z */
        } else if ((x->op == VF_OP_ZEXT || x->op == VF_OP_SEXT) &&
                   x->width >= width) {
            n = x->a;
        } else {
            return n;
        }
    }
}

static uint32_t mk_un(uint8_t op, uint32_t a)
{
    uint64_t v;

    if (a && is_const(a, &v)) {
        return intern(VF_OP_CONST, 0, 0, 0, op == VF_OP_NOT ? ~v : -v);
    }
    return a ? intern(op, 0, a, 0, 0) : 0;
}

/* zext without narrowing: constants folded, values that fit kept. */
static uint32_t zext_plain(unsigned width, uint32_t a)
{
    const TaintCondNode *n = node_at(a);
    uint64_t mask = (1ull << (8 * width)) - 1;

    if (n->op == VF_OP_CONST) {
        return intern(VF_OP_CONST, 0, 0, 0, n->val & mask);
    }
    if (n->nz_bytes <= width) {
        return a;               /* already fits */
    }
    return intern(VF_OP_ZEXT, width, a, 0, 0);
}

/*
 * The low `width` bytes of add, sub, mul and the bitwise ops depend only
 * on those of their operands: compute them there ("cmp al, 0x31" after
 * a 64-bit subtraction is a byte comparison).  `budget` bounds the
 * recursion.
 */
static uint32_t narrow(uint32_t n, unsigned width, int budget)
{
    const TaintCondNode *x = node_at(n);
    uint32_t a, b;

    if (budget <= 0) {
        return n;
    }
    switch (x->op) {
    case VF_OP_ADD: case VF_OP_SUB: case VF_OP_MUL:
    case VF_OP_AND: case VF_OP_OR: case VF_OP_XOR:
        a = zext_plain(width, narrow(low_bytes(x->a, width), width,
                                     budget - 1));
        b = zext_plain(width, narrow(low_bytes(x->b, width), width,
                                     budget - 1));
        if (a == x->a && b == x->b) {
            return n;
        }
        return mk_bin(x->op, a, b);
    default:
        return n;
    }
}

static uint32_t mk_ext(uint8_t op, unsigned width, uint32_t a)
{
    const TaintCondNode *n;

    if (!a || width >= 8) {
        return a;
    }
    a = low_bytes(a, width);
    a = narrow(a, width, 4);
    n = node_at(a);
    if (n->op == VF_OP_CONST) {
        uint64_t v = n->val & ((1ull << (8 * width)) - 1);

        if (op == VF_OP_SEXT && (v >> (8 * width - 1) & 1)) {
            v |= ~((1ull << (8 * width)) - 1);
        }
        return intern(VF_OP_CONST, 0, 0, 0, v);
    }
    /* A value that already fits: a load, a comparison, an extension... */
    if (op == VF_OP_ZEXT && n->nz_bytes <= width) {
        return a;
    }
    return intern(op, width, a, 0, 0);
}

/* ---- recording ---- */

static void record(uint32_t node, TaintCondKind kind)
{
    CPUArchState *env = current_cpu ? current_cpu->env_ptr : NULL;
    TaintCondRecord r = { .node = node, .kind = kind };

    if (!node || g_hash_table_contains(cs.recorded, GUINT_TO_POINTER(node))) {
        return;
    }
    if (cs.records->len >= COND_MAX_RECORDS) {
        cs.truncated = true;
        return;
    }
    if (env) {
        r.pc = env->eip + env->segs[R_CS].base;
        r.cr3 = env->cr[3];
        r.user = (env->hflags & HF_CPL_MASK) == 3;
    }
    g_hash_table_add(cs.recorded, GUINT_TO_POINTER(node));
    g_array_append_val(cs.records, r);
}

/* "The value with expression `node` is v." */
static void pin(uint32_t node, uint64_t v, TaintCondKind kind)
{
    if (node) {
        record(intern(VF_OP_EQ, 0, node, mk_const(v), 0), kind);
    }
}

/* The comparison of TCG condition c, with the outcome it had. */
static uint32_t mk_cond(TCGCond c, uint32_t a, uint32_t b, bool held)
{
    if (!held) {
        c = tcg_invert_cond(c);
    }
    switch (c) {
    case TCG_COND_EQ:
        return mk_bin(VF_OP_EQ, a, b);
    case TCG_COND_NE:
        return mk_bin(VF_OP_NE, a, b);
    case TCG_COND_LT:
        return mk_bin(VF_OP_SLT, a, b);
    case TCG_COND_GE:
        return mk_bin(VF_OP_SLE, b, a);
    case TCG_COND_LE:
        return mk_bin(VF_OP_SLE, a, b);
    case TCG_COND_GT:
        return mk_bin(VF_OP_SLT, b, a);
    case TCG_COND_LTU:
        return mk_bin(VF_OP_ULT, a, b);
    case TCG_COND_GEU:
        return mk_bin(VF_OP_ULE, b, a);
    case TCG_COND_LEU:
        return mk_bin(VF_OP_ULE, a, b);
    case TCG_COND_GTU:
        return mk_bin(VF_OP_ULT, b, a);
    default:
        return 0;
    }
}

/* Does TCG condition c hold for these values (of i32 ops: low halves)? */
static bool cond_holds(TCGCond c, bool is32, uint64_t a, uint64_t b)
{
    int64_t sa = is32 ? (int32_t)a : (int64_t)a;
    int64_t sb = is32 ? (int32_t)b : (int64_t)b;

    if (is32) {
        a = (uint32_t)a;
        b = (uint32_t)b;
    }
    switch (c) {
    case TCG_COND_ALWAYS:
        return true;
    case TCG_COND_EQ:
        return a == b;
    case TCG_COND_NE:
        return a != b;
    case TCG_COND_LT:
        return sa < sb;
    case TCG_COND_GE:
        return sa >= sb;
    case TCG_COND_LE:
        return sa <= sb;
    case TCG_COND_GT:
        return sa > sb;
    case TCG_COND_LTU:
        return a < b;
    case TCG_COND_GEU:
        return a >= b;
    case TCG_COND_LEU:
        return a <= b;
    case TCG_COND_GTU:
        return a > b;
    default:
        return false;
    }
}

/* ---- state ---- */

static void reset(void)
{
    if (!cs.records) {
        cs.blocks[0] = g_new0(TaintCondNode, COND_BLOCK);
        cs.records = g_array_new(false, true, sizeof(TaintCondRecord));
        cs.interned = g_hash_table_new(node_hash, node_equal);
        cs.recorded = g_hash_table_new(NULL, NULL);
        cs.mem = g_hash_table_new_full(g_int64_hash, g_int64_equal,
                                       g_free, g_free);
    }
    g_hash_table_remove_all(cs.interned);
    g_hash_table_remove_all(cs.recorded);
    g_hash_table_remove_all(cs.mem);
    if (cs.syscalls) {
        g_hash_table_remove_all(cs.syscalls);
    }
    if (cs.input) {
        g_hash_table_remove_all(cs.input);
    }
    cs.nnodes = 1;
    g_array_set_size(cs.records, 0);
    g_free(cs.env);
    cs.env = g_new0(CondByte, taint_env_size);
    cs.env_used = false;
    cs.truncated = false;
    cs.stale = 0;
    memset(taint_cond_slot, 0, sizeof(taint_cond_slot));
}

void taint_cond_start(void)
{
    reset();
    taint_cond_on = true;
    tb_flush(current_cpu ? current_cpu : first_cpu);
}

void taint_cond_stop(void)
{
    taint_cond_on = false;
    tb_flush(current_cpu ? current_cpu : first_cpu);
}

size_t taint_cond_node_count(void)
{
    return cs.nnodes;
}

const TaintCondNode *taint_cond_node(uint32_t id)
{
    assert(id < cs.nnodes);
    return node_at(id);
}

const TaintCondRecord *taint_cond_records(size_t *n)
{
    *n = cs.records ? cs.records->len : 0;
    return cs.records ? &g_array_index(cs.records, TaintCondRecord, 0) : NULL;
}

bool taint_cond_truncated(void)
{
    return cs.truncated;
}

uint64_t taint_cond_stale(void)
{
    return cs.stale;
}

void taint_cond_forget_registers(void)
{
    if (!taint_cond_on) {
        return;
    }
    memset(taint_cond_slot, 0, sizeof(taint_cond_slot));
    if (cs.env_used) {
        memset(cs.env, 0, sizeof(CondByte) * taint_env_size);
        cs.env_used = false;
    }
}

/* ---- bytes of values ---- */

/* Byte k of node n as an expression. */
#define TERM_NONE  UINT32_MAX     /* contributes nothing to that byte */
#define TERM_MIXED 0               /* not a byte-wise sum */

/* Is n at most one byte wide? */
static bool byte_wide(uint32_t n)
{
    const TaintCondNode *x = node_at(n);

    return (x->op == VF_OP_LOAD_LE && x->width == 1) ||
           (x->op == VF_OP_ZEXT && x->width == 1) ||
           (x->op == VF_OP_CONST && x->val < 256);
}

/*
 * Byte k of a value assembled from bytes ((b0 | b1 << 8) | ...), as
 * from_bytes() builds one from bytes of different sources: that byte's
 * expression, TERM_NONE, or TERM_MIXED when n is not such a sum.
 */
static uint32_t term_at(uint32_t n, unsigned k, int budget)
{
    const TaintCondNode *x = node_at(n);
    uint64_t sh;

    if (budget <= 0) {
        return TERM_MIXED;
    }
    if (byte_wide(n)) {
        return k == 0 ? n : TERM_NONE;
    }
    if (x->op == VF_OP_SHL && is_const(x->b, &sh) && sh % 8 == 0 &&
        byte_wide(x->a)) {
        return k == sh / 8 ? x->a : TERM_NONE;
    }
    if (x->op == VF_OP_OR) {
        uint32_t p = term_at(x->a, k, budget - 1);
        uint32_t q = term_at(x->b, k, budget - 1);

        if (p == TERM_MIXED || q == TERM_MIXED) {
            return TERM_MIXED;
        }
        return p == TERM_NONE ? q : q == TERM_NONE ? p : TERM_MIXED;
    }
    return TERM_MIXED;
}

static uint32_t byte_of(uint32_t n, unsigned k)
{
    uint32_t t = term_at(n, k, 16), v;

    if (t == TERM_NONE) {
        return mk_const(0);
    }
    if (t != TERM_MIXED) {
        return t;
    }
    v = k ? mk_bin(VF_OP_SHR, n, mk_const(8 * k)) : n;
    return mk_ext(VF_OP_ZEXT, 1, v);
}

/*
 * A value of `size` bytes from per-byte sources: consecutive bytes of one
 * expression, consecutive labels (a load of input), or a sum of shifted
 * bytes; concrete bytes come from `value`.
 */
static uint32_t from_bytes(const CondByte *b, const TaintLabel *l,
                           unsigned size, uint64_t value)
{
    bool any = false, same = true, run = true;
    uint32_t acc = 0;

    for (unsigned i = 0; i < size; i++) {
        any |= b[i].node || l[i];
        same &= b[i].node && b[i].node == b[0].node && b[i].k == i;
        run &= !b[i].node && l[i] && l[i] == l[0] + i;
    }
    if (!any) {
        return 0;
    }
    if (same) {
        return mk_ext(VF_OP_ZEXT, size, b[0].node);
    }
    if (run) {
        return intern_leaf(VF_OP_LOAD_LE, size, 0, 0, l[0], value);
    }
    for (unsigned i = 0; i < size; i++) {
        uint32_t x;

        if (b[i].node) {
            x = byte_of(b[i].node, b[i].k);
        } else if (l[i]) {
            x = intern_leaf(VF_OP_LOAD_LE, 1, 0, 0, l[i],
                            value >> (8 * i));
        } else {
            x = mk_const((value >> (8 * i)) & 0xff);
        }
        if (i) {
            x = mk_bin(VF_OP_SHL, x, mk_const(8 * i));
        }
        acc = acc ? mk_bin(VF_OP_OR, acc, x) : x;
    }
    return acc;
}

/*
 * Is byte b the input byte label l names?  A byte can carry an input
 * byte's label without being a copy of it (the taint engine labels what
 * is computed from input with its first operand's labels): only copies
 * become loads of the message.  True when the frame has left the log.
 */
static bool is_input_byte(TaintLabel l, uint8_t b)
{
    enum { UNKNOWN = 0x200 };   /* cached: byte + 1, or UNKNOWN */
    gpointer hit;
    uint64_t event;
    uint32_t off = 0;
    const uint8_t *frame = NULL;
    size_t len = 0;
    unsigned cached = UNKNOWN;

    if (!cs.input) {
        cs.input = g_hash_table_new(NULL, NULL);
    }
    hit = g_hash_table_lookup(cs.input, GUINT_TO_POINTER(l));
    if (!hit) {
        if (hw_taint_label_lookup(l, &event, &off)) {
            frame = vigilante_event_log_frame(event, &len);
        }
        if (frame && off < len) {
            cached = frame[off] + 1;
        }
        hit = GUINT_TO_POINTER(cached);
        g_hash_table_insert(cs.input, GUINT_TO_POINTER(l), hit);
    }
    cached = GPOINTER_TO_UINT(hit);
    return cached == UNKNOWN || cached - 1 == b;
}

static uint64_t mem_key(CPUArchState *env, uint64_t va)
{
    return (va & 0xffffffffffffull) | (env->cr[3] >> 12) << 48;
}

static uint64_t *key_copy(uint64_t k)
{
    return g_memdup2(&k, sizeof(k));
}

/* ---- helpers ---- */

static uint32_t in_node(uint64_t idx, int i)
{
    unsigned t = (idx >> (10 * i)) & TAINT_COND_NONE;

    return t == TAINT_COND_NONE ? 0 : taint_cond_slot[t];
}

static void set_out(uint64_t idx, int i, uint32_t node)
{
    unsigned t = (idx >> (10 * i)) & TAINT_COND_NONE;

    if (t != TAINT_COND_NONE) {
        taint_cond_slot[t] = node;
    }
}

/*
 * An input's expression, if it still computes the input's value: one
 * that does not (a register a helper wrote behind TCG's back, a byte of
 * the CPU state the kernel restored) is stale, and the value concrete.
 */
static uint32_t checked(uint32_t node, uint64_t v, bool is32)
{
    uint64_t cv;

    if (!node) {
        return 0;
    }
    cv = node_at(node)->cval;
    if (is32 ? (uint32_t)cv == (uint32_t)v : cv == v) {
        return node;
    }
    cs.stale++;
    return 0;
}

/* A 32-bit op's result: its low 4 bytes. */
static uint32_t fit(bool is32, uint32_t n)
{
    return is32 ? mk_ext(VF_OP_ZEXT, 4, n) : n;
}

static uint32_t bswap_expr(uint32_t a, unsigned bytes)
{
    uint32_t acc = 0;

    for (unsigned i = 0; i < bytes; i++) {
        uint32_t x = byte_of(a, i);
        unsigned to = bytes - 1 - i;

        if (to) {
            x = mk_bin(VF_OP_SHL, x, mk_const(8 * to));
        }
        acc = acc ? mk_bin(VF_OP_OR, acc, x) : x;
    }
    return acc;
}

/* x86's lazy flags: eflags (all) or CF (!all) from (dst, src1, src2). */
static uint32_t cc_flags(bool all, int cc_op, uint32_t dst, uint32_t src1)
{
    static const uint8_t size_of[4] = { 1, 2, 4, 8 };
    unsigned bytes, base;
    uint32_t d, s1, s2, cf, zf, sf, of, pf, af, p, sign;
    uint32_t c0 = mk_const(0);

    if (cc_op >= CC_OP_ADDB && cc_op <= CC_OP_ADDQ) {
        base = CC_OP_ADDB;
    } else if (cc_op >= CC_OP_SUBB && cc_op <= CC_OP_SUBQ) {
        base = CC_OP_SUBB;
    } else if (cc_op >= CC_OP_LOGICB && cc_op <= CC_OP_LOGICQ) {
        base = CC_OP_LOGICB;
    } else if (cc_op >= CC_OP_INCB && cc_op <= CC_OP_INCQ) {
        base = CC_OP_INCB;
    } else if (cc_op >= CC_OP_DECB && cc_op <= CC_OP_DECQ) {
        base = CC_OP_DECB;
    } else {
        return 0;
    }
    bytes = size_of[cc_op - base];
    d = mk_ext(VF_OP_ZEXT, bytes, dst);
    sign = mk_const(1ull << (8 * bytes - 1));
    switch (base) {
    case CC_OP_ADDB:            /* src1 = CC_SRC, src2 = dst - src1 */
        s1 = mk_ext(VF_OP_ZEXT, bytes, src1);
        s2 = mk_ext(VF_OP_ZEXT, bytes, mk_bin(VF_OP_SUB, dst, src1));
        cf = mk_bin(VF_OP_ULT, d, s1);
        of = mk_bin(VF_OP_AND, mk_bin(VF_OP_AND, mk_un(VF_OP_NOT,
                    mk_bin(VF_OP_XOR, s1, s2)), mk_bin(VF_OP_XOR, s1, d)),
                    sign);
        break;
    case CC_OP_SUBB:            /* src2 = CC_SRC, src1 = dst + src2 */
        s2 = mk_ext(VF_OP_ZEXT, bytes, src1);
        s1 = mk_ext(VF_OP_ZEXT, bytes, mk_bin(VF_OP_ADD, dst, src1));
        cf = mk_bin(VF_OP_ULT, s1, s2);
        of = mk_bin(VF_OP_AND, mk_bin(VF_OP_AND, mk_bin(VF_OP_XOR, s1, s2),
                    mk_bin(VF_OP_XOR, s1, d)), sign);
        break;
    case CC_OP_LOGICB:
        s1 = s2 = c0;
        cf = c0;
        of = c0;
        break;
    default:                    /* inc, dec: CC_SRC is the old CF */
        cf = mk_ext(VF_OP_ZEXT, 1, src1);
        s2 = mk_const(1);
        s1 = mk_ext(VF_OP_ZEXT, bytes,
                    mk_bin(base == CC_OP_INCB ? VF_OP_SUB : VF_OP_ADD, dst,
                           s2));
        of = mk_bin(VF_OP_EQ, d, base == CC_OP_INCB ? sign
                    : mk_const((1ull << (8 * bytes - 1)) - 1));
        break;
    }
    if (!all) {
        return cf;
    }
    of = mk_bin(VF_OP_NE, of, c0);
    zf = mk_bin(VF_OP_EQ, d, c0);
    sf = mk_bin(VF_OP_NE, mk_bin(VF_OP_AND, d, sign), c0);
    /* PF: even parity of the low byte. */
    p = mk_ext(VF_OP_ZEXT, 1, d);
    p = mk_bin(VF_OP_XOR, p, mk_bin(VF_OP_SHR, p, mk_const(4)));
    p = mk_bin(VF_OP_XOR, p, mk_bin(VF_OP_SHR, p, mk_const(2)));
    p = mk_bin(VF_OP_XOR, p, mk_bin(VF_OP_SHR, p, mk_const(1)));
    pf = mk_bin(VF_OP_AND, mk_un(VF_OP_NOT, p), mk_const(1));
    af = mk_bin(VF_OP_AND, mk_bin(VF_OP_XOR, mk_bin(VF_OP_XOR, d, s1), s2),
                mk_const(CC_A));
    return mk_bin(VF_OP_OR, mk_bin(VF_OP_OR, mk_bin(VF_OP_OR, cf,
                  mk_bin(VF_OP_SHL, pf, mk_const(2))), af),
                  mk_bin(VF_OP_OR, mk_bin(VF_OP_OR,
                  mk_bin(VF_OP_SHL, zf, mk_const(6)),
                  mk_bin(VF_OP_SHL, sf, mk_const(7))),
                  mk_bin(VF_OP_SHL, of, mk_const(11))));
}

static void pin_inputs(uint64_t idx, const uint64_t *v, int nin)
{
    for (int i = 0; i < nin; i++) {
        pin(checked(in_node(idx, 2 + i), v[i], false), v[i],
            TAINT_COND_PIN_OPAQUE);
    }
}

/* Shift, rotate or extract by a count that is concrete. */
static uint32_t shift_expr(TCGOpcode c, bool is32, uint32_t a, uint64_t n)
{
    unsigned bits = is32 ? 32 : 64;
    uint32_t cn = mk_const(n % bits), cm = mk_const((bits - n % bits) % bits);

    switch (c) {
    case INDEX_op_shl_i32: case INDEX_op_shl_i64:
        return fit(is32, mk_bin(VF_OP_SHL, a, cn));
    case INDEX_op_shr_i32: case INDEX_op_shr_i64:
        return mk_bin(VF_OP_SHR, a, cn);
    case INDEX_op_sar_i32: case INDEX_op_sar_i64:
        return fit(is32, mk_bin(VF_OP_SAR, is32 ? mk_ext(VF_OP_SEXT, 4, a)
                                                : a, cn));
    case INDEX_op_rotl_i32: case INDEX_op_rotl_i64:
        if (!(n % bits)) {
            return a;
        }
        return fit(is32, mk_bin(VF_OP_OR, mk_bin(VF_OP_SHL, a, cn),
                                mk_bin(VF_OP_SHR, a, cm)));
    default:                    /* rotr */
        if (!(n % bits)) {
            return a;
        }
        return fit(is32, mk_bin(VF_OP_OR, mk_bin(VF_OP_SHR, a, cn),
                                mk_bin(VF_OP_SHL, a, cm)));
    }
}

static uint64_t mask_of(unsigned len)
{
    return len >= 64 ? ~0ull : (1ull << len) - 1;
}

/*
 * desc: TCG opcode (bits 0-9), condition (10-13), two constant args
 * (14-20, 21-27), "the op is on i32" (28).  idx: temps of out0, out1,
 * in0..in3, 10 bits each.  v0..v3: the inputs' values.
 */
void HELPER(taint_cond_op)(CPUArchState *env, uint32_t desc, uint64_t idx,
                           uint64_t v0, uint64_t v1, uint64_t v2,
                           uint64_t v3)
{
    unsigned c = desc & 0x3ff;
    TCGCond cond = (desc >> 10) & 0xf;
    unsigned k1 = (desc >> 14) & 0x7f, k2 = (desc >> 21) & 0x7f;
    bool is32 = desc >> 28 & 1;
    uint64_t v[4] = { v0, v1, v2, v3 };
    uint32_t n[4], a, b, r = 0;
    bool any = false;

    for (int i = 0; i < 4; i++) {
        n[i] = checked(in_node(idx, 2 + i), v[i], is32);
        any |= n[i] != 0;
    }
    if (!any) {
        set_out(idx, 0, 0);
        set_out(idx, 1, 0);
        return;
    }
    a = operand(n[0], v[0]);
    b = operand(n[1], v[1]);
    switch (c) {
    case INDEX_op_mov_i32: case INDEX_op_mov_i64:
    case INDEX_op_extu_i32_i64:
        r = n[0];
        break;
    case INDEX_op_ext_i32_i64:
        r = mk_ext(VF_OP_SEXT, 4, n[0]);
        break;
    case INDEX_op_extrl_i64_i32:
        r = mk_ext(VF_OP_ZEXT, 4, n[0]);
        break;
    case INDEX_op_extrh_i64_i32:
        r = mk_ext(VF_OP_ZEXT, 4, mk_bin(VF_OP_SHR, n[0], mk_const(32)));
        break;
    case INDEX_op_ext8u_i32: case INDEX_op_ext8u_i64:
        r = mk_ext(VF_OP_ZEXT, 1, n[0]);
        break;
    case INDEX_op_ext16u_i32: case INDEX_op_ext16u_i64:
        r = mk_ext(VF_OP_ZEXT, 2, n[0]);
        break;
    case INDEX_op_ext32u_i64:
        r = mk_ext(VF_OP_ZEXT, 4, n[0]);
        break;
    case INDEX_op_ext8s_i32: case INDEX_op_ext8s_i64:
        r = fit(is32, mk_ext(VF_OP_SEXT, 1, n[0]));
        break;
    case INDEX_op_ext16s_i32: case INDEX_op_ext16s_i64:
        r = fit(is32, mk_ext(VF_OP_SEXT, 2, n[0]));
        break;
    case INDEX_op_ext32s_i64:
        r = mk_ext(VF_OP_SEXT, 4, n[0]);
        break;
    case INDEX_op_add_i32: case INDEX_op_add_i64:
        r = fit(is32, mk_bin(VF_OP_ADD, a, b));
        break;
    case INDEX_op_sub_i32: case INDEX_op_sub_i64:
        r = fit(is32, mk_bin(VF_OP_SUB, a, b));
        break;
    case INDEX_op_mul_i32: case INDEX_op_mul_i64:
        r = fit(is32, mk_bin(VF_OP_MUL, a, b));
        break;
    case INDEX_op_and_i32: case INDEX_op_and_i64:
        r = mk_bin(VF_OP_AND, a, b);
        break;
    case INDEX_op_or_i32: case INDEX_op_or_i64:
        r = mk_bin(VF_OP_OR, a, b);
        break;
    case INDEX_op_xor_i32: case INDEX_op_xor_i64:
        r = mk_bin(VF_OP_XOR, a, b);
        break;
    case INDEX_op_andc_i32: case INDEX_op_andc_i64:
        r = fit(is32, mk_bin(VF_OP_AND, a, mk_un(VF_OP_NOT, b)));
        break;
    case INDEX_op_orc_i32: case INDEX_op_orc_i64:
        r = fit(is32, mk_bin(VF_OP_OR, a, mk_un(VF_OP_NOT, b)));
        break;
    case INDEX_op_eqv_i32: case INDEX_op_eqv_i64:
        r = fit(is32, mk_un(VF_OP_NOT, mk_bin(VF_OP_XOR, a, b)));
        break;
    case INDEX_op_nand_i32: case INDEX_op_nand_i64:
        r = fit(is32, mk_un(VF_OP_NOT, mk_bin(VF_OP_AND, a, b)));
        break;
    case INDEX_op_nor_i32: case INDEX_op_nor_i64:
        r = fit(is32, mk_un(VF_OP_NOT, mk_bin(VF_OP_OR, a, b)));
        break;
    case INDEX_op_not_i32: case INDEX_op_not_i64:
        r = fit(is32, mk_un(VF_OP_NOT, a));
        break;
    case INDEX_op_neg_i32: case INDEX_op_neg_i64:
        r = fit(is32, mk_un(VF_OP_NEG, a));
        break;
    case INDEX_op_shl_i32: case INDEX_op_shl_i64:
    case INDEX_op_shr_i32: case INDEX_op_shr_i64:
    case INDEX_op_sar_i32: case INDEX_op_sar_i64:
    case INDEX_op_rotl_i32: case INDEX_op_rotl_i64:
    case INDEX_op_rotr_i32: case INDEX_op_rotr_i64:
        /* A shift by an input-dependent count: the count is pinned. */
        pin(n[1], v[1], TAINT_COND_PIN_OPAQUE);
        r = shift_expr(c, is32, a, v[1]);
        break;
    case INDEX_op_extract_i32: case INDEX_op_extract_i64:
        r = mk_bin(VF_OP_AND, k1 ? mk_bin(VF_OP_SHR, a, mk_const(k1)) : a,
                   mk_const(mask_of(k2)));
        break;
    case INDEX_op_sextract_i32: case INDEX_op_sextract_i64: {
        unsigned up = 64 - k1 - k2;
        uint32_t x = is32 ? mk_ext(VF_OP_ZEXT, 4, a) : a;

        x = up ? mk_bin(VF_OP_SHL, x, mk_const(up)) : x;
        r = fit(is32, mk_bin(VF_OP_SAR, x, mk_const(64 - k2)));
        break;
    }
    case INDEX_op_deposit_i32: case INDEX_op_deposit_i64: {
        uint64_t m = mask_of(k2) << k1;

        r = fit(is32, mk_bin(VF_OP_OR,
                mk_bin(VF_OP_AND, a, mk_const(~m)),
                mk_bin(VF_OP_AND, mk_bin(VF_OP_SHL, b, mk_const(k1)),
                       mk_const(m))));
        break;
    }
    case INDEX_op_bswap16_i32: case INDEX_op_bswap16_i64:
        r = bswap_expr(a, 2);
        break;
    case INDEX_op_bswap32_i32: case INDEX_op_bswap32_i64:
        r = bswap_expr(a, 4);
        break;
    case INDEX_op_bswap64_i64:
        r = bswap_expr(a, 8);
        break;
    case INDEX_op_setcond_i32: case INDEX_op_setcond_i64:
        if (is32) {
            bool s = cond == TCG_COND_LT || cond == TCG_COND_GE ||
                     cond == TCG_COND_LE || cond == TCG_COND_GT;

            a = s ? mk_ext(VF_OP_SEXT, 4, a) : a;
            b = s ? mk_ext(VF_OP_SEXT, 4, b) : b;
        }
        r = mk_cond(cond, a, b, true);
        break;
    case INDEX_op_brcond_i32: case INDEX_op_brcond_i64:
    case INDEX_op_movcond_i32: case INDEX_op_movcond_i64: {
        bool held = cond_holds(cond, is32, v[0], v[1]);

        if (n[0] || n[1]) {
            if (is32 && (cond & 2)) {
                a = mk_ext(VF_OP_SEXT, 4, a);
                b = mk_ext(VF_OP_SEXT, 4, b);
            }
            record(mk_cond(cond, a, b, held),
                   c == INDEX_op_brcond_i32 || c == INDEX_op_brcond_i64
                   ? TAINT_COND_BRANCH : TAINT_COND_SELECT);
        }
        r = held ? n[2] : n[3];
        break;
    }
    case TAINT_COND_OP_CC_ALL:
    case TAINT_COND_OP_CC_C:
        /* (dst, src1, src2, cc_op): the cc_op itself is pinned. */
        pin(n[3], v[3], TAINT_COND_PIN_OPAQUE);
        r = cc_flags(c == TAINT_COND_OP_CC_ALL, v[3], a, b);
        if (!r) {
            pin_inputs(idx, v, 3);
        }
        break;
    default:
        pin_inputs(idx, v, 4);
        break;
    }
    set_out(idx, 0, r);
    set_out(idx, 1, 0);
}

/* Input values of up to four temps, for an op that is not modelled. */
void HELPER(taint_cond_pin)(CPUArchState *env, uint64_t idx, uint64_t v0,
                            uint64_t v1, uint64_t v2, uint64_t v3)
{
    uint64_t v[4] = { v0, v1, v2, v3 };

    pin_inputs(idx, v, 4);
}

/*
 * A helper reads bytes [ofs, ofs + size) of the CPU state: they are
 * pinned (unless flags bit 1: kernel code), and forgotten if the helper
 * may write them (flags bit 0: its first pointer, the destination).
 */
void HELPER(taint_cond_env_region)(CPUArchState *env, uint32_t ofs,
                                   uint32_t size, uint32_t flags)
{
    const uint8_t *base = (const uint8_t *)env;

    for (uint32_t i = ofs; i < ofs + size && i < taint_env_size; i++) {
        if (cs.env[i].node) {
            if (!(flags & 2)) {
                pin(byte_of(cs.env[i].node, cs.env[i].k), base[i],
                    TAINT_COND_PIN_OPAQUE);
            }
            if (flags & 1) {
                cs.env[i].node = 0;
            }
        }
    }
}

/*
 * An env load or store: desc is the size (bits 0-3), a store (4), a
 * sign-extending load (5), the value's temp (6-15); ofs the offset in
 * the CPU state.
 */
void HELPER(taint_cond_env)(CPUArchState *env, uint32_t desc, uint32_t ofs)
{
    unsigned size = desc & 0xf, t = (desc >> 6) & TAINT_COND_NONE;
    bool store = desc >> 4 & 1, sign = desc >> 5 & 1;
    TaintLabel l[8] = { 0 };
    CondByte b[8];
    uint32_t r;

    if (ofs + size > taint_env_size) {
        return;
    }
    if (store) {
        uint32_t v = t == TAINT_COND_NONE ? 0 : taint_cond_slot[t];

        for (unsigned i = 0; i < size; i++) {
            cs.env[ofs + i].node = v;
            cs.env[ofs + i].k = i;
        }
        cs.env_used |= v != 0;
        return;
    }
    memcpy(b, &cs.env[ofs], size * sizeof(CondByte));
    r = from_bytes(b, l, size, ldq_he_p((const uint8_t *)env + ofs));
    if (r && sign && size < 8) {
        r = mk_ext(VF_OP_SEXT, size, r);
    }
    if (t != TAINT_COND_NONE) {
        taint_cond_slot[t] = r;
    }
}

/*
 * The length a receiving system call returns.  The kernel computes it
 * (clean under taint-kernel=moves), but a filter must see it as the
 * message's length: a length node, resolved against the attack's
 * message when the conditions are read out.
 */
static bool receives(uint64_t nr)
{
    /* x86-64: read, pread64, readv, recvfrom, recvmsg */
    return nr == 0 || nr == 17 || nr == 19 || nr == 45 || nr == 47;
}

void HELPER(taint_cond_syscall)(CPUArchState *env)
{
    if (!cs.syscalls) {
        cs.syscalls = g_hash_table_new(g_int64_hash, g_int64_equal);
    }
    g_hash_table_insert(cs.syscalls, key_copy(mem_key(env, 0)),
                        GUINT_TO_POINTER(env->regs[R_EAX] + 1));
}

void HELPER(taint_cond_sysret)(CPUArchState *env, uint32_t rax,
                                uint32_t sysret)
{
    uint64_t k = mem_key(env, 0);
    gpointer nr = cs.syscalls ? g_hash_table_lookup(cs.syscalls, &k) : NULL;

    /*
     * A call that started before capture (a service blocked in recvfrom
     * when the snapshot was taken) has no number: a sysret is then taken
     * as a receive's (an iret may end an interrupt).  The reading-out
     * keeps the length only if it is the datagram's.
     */
    if (nr) {
        g_hash_table_remove(cs.syscalls, &k);
    }
    if ((nr ? receives(GPOINTER_TO_UINT(nr) - 1) : sysret) &&
        (int64_t)env->regs[R_EAX] > 0 && rax != TAINT_COND_NONE &&
        (env->hflags & HF_CPL_MASK) == 0) {
        taint_cond_slot[rax] = intern(VF_OP_LEN, 0, 0, 0, env->regs[R_EAX]);
    }
}

/* The address of a guest access: pinned if it has an expression. */
static void pin_address(uint32_t addr_idx, uint64_t addr)
{
    if (addr_idx != TAINT_COND_NONE) {
        pin(checked(taint_cond_slot[addr_idx], addr, false), addr,
            TAINT_COND_PIN_ADDRESS);
    }
}

/*
 * After a guest load: desc is the MemOpIdx (bits 0-15), the address's
 * temp (16-25); `out` the value's temp; addr and the loaded value.
 */
void HELPER(taint_cond_ld)(CPUArchState *env, uint32_t desc, uint32_t out,
                           uint64_t addr, uint64_t value)
{
    MemOpIdx oi = desc & 0xffff;
    MemOp mop = get_memop(oi);
    unsigned size = memop_size(mop);
    TaintLabel l[8];
    CondByte b[8] = { 0 };
    uint64_t memval = value;
    uint32_t r;

    pin_address((desc >> 16) & TAINT_COND_NONE, addr);
    taint_mem_labels(env, addr, size, get_mmuidx(oi), l);
    if ((mop & MO_BSWAP) == MO_BE) {
        memval = size == 8 ? bswap64(value) : size == 4 ? bswap32(value)
                 : size == 2 ? bswap16(value) : value;
    }
    for (unsigned i = 0; i < size; i++) {
        uint64_t k = mem_key(env, addr + i);
        CondByte *e = g_hash_table_size(cs.mem)
                      ? g_hash_table_lookup(cs.mem, &k) : NULL;
        uint8_t byte = memval >> (8 * i);

        /*
         * A stored expression holds while the byte has its label and
         * value; else the byte is a load of input if it is a copy of one.
         */
        if (e && e->label == l[i] &&
            (uint8_t)(node_at(e->node)->cval >> (8 * e->k)) == byte) {
            b[i] = *e;
        } else if (l[i] && !is_input_byte(l[i], byte)) {
            l[i] = 0;
        }
    }
    r = from_bytes(b, l, size, memval);
    if (r && (mop & MO_BSWAP) == MO_BE && size > 1) {
        r = bswap_expr(r, size);
    }
    if (r && (mop & MO_SIGN) && size < 8) {
        r = mk_ext(VF_OP_SEXT, size, r);
        r = (desc >> 26 & 1) ? mk_ext(VF_OP_ZEXT, 4, r) : r;
    }
    if (out != TAINT_COND_NONE) {
        taint_cond_slot[out] = r;
    }
}

/*
 * After a guest store: desc as for loads, with the value's temp in
 * bits 16-25 and the address's in `addr_t`.
 */
void HELPER(taint_cond_st)(CPUArchState *env, uint32_t desc, uint32_t addr_t,
                           uint64_t addr, uint64_t value)
{
    MemOpIdx oi = desc & 0xffff;
    MemOp mop = get_memop(oi);
    unsigned size = memop_size(mop), vt = (desc >> 16) & TAINT_COND_NONE;
    uint32_t v = vt == TAINT_COND_NONE ? 0 : taint_cond_slot[vt];
    TaintLabel l[8];

    if (v && ((node_at(v)->cval ^ value) & width_mask(size))) {
        cs.stale++;
        v = 0;
    }

    pin_address(addr_t, addr);
    if (v && (mop & MO_BSWAP) == MO_BE && size > 1) {
        v = bswap_expr(v, size);
    }
    if (!v && !g_hash_table_size(cs.mem)) {
        return;
    }
    taint_mem_labels(env, addr, size, get_mmuidx(oi), l);
    /*
     * Clean bytes get an entry too: a length the kernel returned, saved
     * and restored around an interrupt, keeps its expression.  A load
     * checks the entry against the byte's label and value.
     */
    for (unsigned i = 0; i < size; i++) {
        uint64_t k = mem_key(env, addr + i);

        if (v) {
            CondByte *e = g_new(CondByte, 1);

            e->node = v;
            e->k = i;
            e->label = l[i];
            g_hash_table_replace(cs.mem, key_copy(k), e);
        } else {
            g_hash_table_remove(cs.mem, &k);
        }
    }
}
