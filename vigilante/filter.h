/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Vulnerability filters: the binary format of docs/filter-format.md, its
 * decoder (which refuses every malformed input with a reason and never
 * reads out of bounds), encoder and evaluator (the JSON view is the
 * host's, lib/json-views.c).  A filter names
 * a program, a scope (transport and destination port) and a loop-free
 * predicate over one message's bytes: a list of expression nodes, each
 * using only earlier ones, and the conditions that must all hold.
 * Plain C with glib, shared by the emulator (filter-vigilante) and the
 * host tools (vigilante filter; the filter generator and the agent, once
 * they exist).
 */
#ifndef VIGILANTE_FILTER_H
#define VIGILANTE_FILTER_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define VF_MAGIC            "VFLT"
#define VF_VERSION          1
#define VF_HEADER_SIZE      16
#define VF_MAX_SIZE         (256u << 10)    /* whole encoding */
#define VF_MAX_NODES        4096
#define VF_MAX_CONDITIONS   1024
#define VF_MAX_DEPTH        64
#define VF_MAX_READ         65536u  /* loads end at or below this offset */
#define VF_NAME_MAX         64
#define VF_DIGEST_SIZE      32      /* SHA-256, as in SCAs */
#define VF_GENERATOR_MAX    255

typedef enum {
    VF_TRANSPORT_TCP = 6,
    VF_TRANSPORT_UDP = 17,
} VfTransport;

/* Node operations; values are 64 bits, comparisons yield 0 or 1. */
typedef enum {
    VF_OP_CONST = 1,        /* imm */
    VF_OP_LEN = 2,          /* the message's length */
    VF_OP_LOAD_LE = 3,      /* width bytes at offset, little endian */
    VF_OP_LOAD_BE = 4,      /* width bytes at offset, big endian */
    VF_OP_ZEXT = 5,         /* a's low width bytes */
    VF_OP_SEXT = 6,         /* a's low width bytes, sign-extended */
    VF_OP_NOT = 7,          /* ~a */
    VF_OP_NEG = 8,          /* -a */
    VF_OP_ADD = 16,
    VF_OP_SUB = 17,
    VF_OP_MUL = 18,
    VF_OP_AND = 19,
    VF_OP_OR = 20,
    VF_OP_XOR = 21,
    VF_OP_SHL = 22,         /* shift counts are taken mod 64 */
    VF_OP_SHR = 23,         /* logical */
    VF_OP_SAR = 24,         /* arithmetic */
    VF_OP_EQ = 32,
    VF_OP_NE = 33,
    VF_OP_ULT = 34,
    VF_OP_ULE = 35,
    VF_OP_SLT = 36,
    VF_OP_SLE = 37,
} VfOp;

typedef struct {
    uint8_t op;             /* VfOp */
    uint8_t width;          /* loads, ZEXT, SEXT: 1, 2, 4 or 8; else 0 */
    uint16_t a, b;          /* operands: indices of earlier nodes */
    uint32_t offset;        /* loads */
    uint64_t imm;           /* CONST */
} VfNode;

typedef struct {
    char name[VF_NAME_MAX + 1];             /* program (service profile) */
    uint8_t digest[VF_DIGEST_SIZE];         /* SHA-256 of its image */
    VfTransport transport;
    uint16_t port;                          /* destination port */
    GArray *nodes;                          /* of VfNode */
    GArray *conditions;                     /* of uint16_t node indices */
    char generator[VF_GENERATOR_MAX + 1];
    uint64_t time;                          /* seconds since the epoch */
    /* Derived by vf_validate(), from the nodes the conditions use: */
    uint32_t read_end;      /* bytes a decision may need: max load end */
    bool uses_len;          /* a condition depends on the length */
} VfFilter;

VfFilter *vf_new(const char *name, VfTransport transport, uint16_t port);
void vf_free(VfFilter *f);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VfFilter, vf_free)

/* Append a node; returns its index. */
uint16_t vf_add_node(VfFilter *f, const VfNode *n);
void vf_add_condition(VfFilter *f, uint16_t node);
const VfNode *vf_node(const VfFilter *f, unsigned i);

/*
 * Check everything the encoder and evaluator rely on; sets read_end and
 * uses_len.
 */
bool vf_validate(VfFilter *f, GError **errp);

GBytes *vf_encode(VfFilter *f, GError **errp);
VfFilter *vf_decode(const uint8_t *buf, size_t len, GError **errp);
VfFilter *vf_load(const char *path, GError **errp);

/* SHA-256 of the encoding, hex: the filter's identity. */
char *vf_digest_hex(GBytes *encoding);

typedef enum {
    VF_NO_MATCH = 0,
    VF_MATCH = 1,
    VF_UNDECIDED = 2,       /* a condition reads past the bytes given */
} VfVerdict;

/*
 * Evaluate on the first @len bytes of a message; LEN is @len.
 * @complete: these are all its bytes (a UDP datagram), so a condition
 * that loads past them is false.  Otherwise (a TCP stream's prefix so
 * far) a false condition that loads past them or uses LEN is undecided:
 * more bytes may change it.  MATCH when every condition holds, NO_MATCH
 * when one is false for good, else UNDECIDED.
 */
VfVerdict vf_eval(const VfFilter *f, const uint8_t *msg, size_t len,
                  bool complete);

/*
 * The same where only the first @avail bytes of a @len-byte prefix are
 * at hand (a stream tracker keeps no more than any filter reads): loads
 * past @avail have no value, LEN is @len.
 */
VfVerdict vf_eval_kept(const VfFilter *f, const uint8_t *msg, size_t avail,
                       uint64_t len, bool complete);

/* An operation's value (ext, unary, binary ops; a width for ext). */
uint64_t vf_apply(uint8_t op, uint8_t width, uint64_t a, uint64_t b);
/* The value of a load of `width` bytes at p. */
uint64_t vf_load_value(const uint8_t *p, uint8_t width, bool big);

const char *vf_op_name(VfOp op);

/* Which of a node's fields an op uses. */
typedef enum {
    VF_SHAPE_NONE,          /* unknown op */
    VF_SHAPE_CONST,         /* imm */
    VF_SHAPE_LEN,           /* nothing */
    VF_SHAPE_LOAD,          /* width, offset */
    VF_SHAPE_EXT,           /* width, a */
    VF_SHAPE_UNARY,         /* a */
    VF_SHAPE_BINARY,        /* a, b */
} VfShape;
VfShape vf_op_shape(uint8_t op);
const char *vf_transport_name(VfTransport t);

#define VF_ERROR (g_quark_from_static_string("vigilante-filter"))

#endif
