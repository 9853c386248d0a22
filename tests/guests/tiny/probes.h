/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The taint probe service (UDP port 4448): one short instruction sequence
 * per class of operation, run on the bytes of the request.  The host
 * reads the labels of the probe's output over QMP (query-taint-labels)
 * and checks the propagation rule of that class (tests/functional/
 * test-propagation.c).  Shared by the guest and the test.
 *
 * Request: id, then at least TINY_PROBE_IN bytes of input.  The guest
 * cleans the TINY_PROBE_OUT output bytes with clean stores, runs probe
 * `id` with `in` pointing at the input, and answers
 * "probe <id> out=<guest-physical address of out>".
 */
#ifndef TINY_PROBES_H
#define TINY_PROBES_H

#define TINY_UDP_PROBE_PORT 4448
#define TINY_PROBE_IN       32
#define TINY_PROBE_OUT      32

/* X(id, name): name is also the symbol probe_<name> in probes.S. */
#define TINY_PROBES(X) \
    X(0, mov32)         /* 32-bit load and store: exact labels */       \
    X(1, movzx8)        /* zero extension: the one byte */              \
    X(2, movsx8)        /* sign extension from a dirty byte */          \
    X(3, add_imm)       /* arithmetic with a constant */                \
    X(4, add_reg)       /* arithmetic of two dirty values */            \
    X(5, xor_self)      /* xor r, r: a constant, clean */               \
    X(6, clean_store)   /* a constant stored over dirty bytes */        \
    X(7, shl_imm)       /* shift by a constant */                       \
    X(8, shl_dirty)     /* shift of a constant by a dirty count */      \
    X(9, imul)          /* multiplication */                            \
    X(10, div)          /* division: quotient and remainder */          \
    X(11, setcc)        /* a flag from a dirty comparison */            \
    X(12, cmov)         /* clean values picked by a dirty condition */  \
    X(13, push_pop)     /* through the stack */                         \
    X(14, xchg_reg)     /* register exchange */                         \
    X(15, xchg_mem)     /* exchange with memory */                      \
    X(16, cmpxchg)      /* compare-and-exchange with memory */          \
    X(17, rep_movsb)    /* string copy */                               \
    X(18, rep_stosb)    /* string fill with a constant: cleans */       \
    X(19, rep_movsd)    /* unaligned dword string copy */               \
    X(20, bswap)        /* byte swap */                                 \
    X(21, byte_loop)    /* bytes through AL, one by one */              \
    X(22, mov16)        /* 16-bit load into a cleared register */       \
    X(23, page_cross)   /* a store across a page boundary */            \
    X(24, movdqu)       /* SSE unaligned 128-bit load and store */      \
    X(25, pxor_self)    /* pxor x, x: a constant, clean */              \
    X(26, pmovmskb)     /* strlen's pcmpeqb + pmovmskb */               \
    X(27, movd)         /* SSE 32-bit move through an xmm register */   \
    X(28, paddb)        /* SSE lane-wise arithmetic */                  \
    X(29, pshufd)       /* SSE shuffle (a helper) */                    \
    X(30, shr_bytes)    /* a word stored as al, ah, then shr 16 */      \
    X(31, shl_bytes)    /* shift left by a whole byte */                \
    X(32, bsf_high)     /* the high byte of a bit index: always 0 */    \
    X(33, bsr_upper)    /* bsr of a value dirty only in its upper half */ \
    X(34, load_cross)   /* a load across a page boundary */              \
    X(35, movbe)        /* byte-swapped load and store (movbe) */        \
    X(36, movbe_partial) /* movbe load of bytes not all dirty */    \
    X(37, load_partial) /* a load of bytes not all dirty */          \
    X(38, store_cross)  /* stores across a page: dirty, then clean */   \
    X(39, rep_movs_cross) /* string copy across a page */               \
    X(40, rep_movs_overlap) /* string copy onto its own source */       \
    X(41, rep_stos_dirty) /* string fill with a dirty value */          \
    X(42, rep_movs_code) /* string copy over translated code */

#define TINY_PROBE_COUNT 43

/*
 * Control transfers through a dirty target, for the AEC trap
 * (tests/functional/test-detector.c): each transfers control to the
 * 32-bit address in in[0..3], with the guest's own code segment; the
 * detector must stop the guest before it gets there.  They never return
 * when it does not.
 */
#define TINY_AEC_PROBES(X) \
    X(43, lret)         /* far return: the stacked eip is dirty */      \
    X(44, iret)         /* interrupt return: the stacked eip is dirty */\
    X(45, ljmp)         /* far jump through a dirty far pointer */      \
    X(46, lcall)        /* far call through a dirty far pointer */

#define TINY_AEC_PROBE_FIRST 43
#define TINY_ALL_PROBE_COUNT 47

#endif /* TINY_PROBES_H */
