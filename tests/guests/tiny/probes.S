/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The taint probes (probes.h): void probe_<name>(const uint8_t *in,
 * uint8_t *out).  Each runs one class of operation on the input bytes
 * and leaves the result in out; in is %esi and out is %edi in the bodies.
 * sse_enable() turns on SSE for the SSE probes (CR0.EM off, CR0.MP and
 * CR4.OSFXSR/OSXMMEXCPT on).
 */
    .text

.macro PROBE name
    .globl probe_\name
    .type probe_\name, @function
probe_\name:
    push %ebp
    push %ebx
    push %esi
    push %edi
    mov 20(%esp), %esi
    mov 24(%esp), %edi
.endm

.macro END_PROBE name
    pop %edi
    pop %esi
    pop %ebx
    pop %ebp
    ret
    .size probe_\name, . - probe_\name
.endm

PROBE mov32
    mov (%esi), %eax
    mov %eax, (%edi)
END_PROBE mov32

PROBE movzx8
    movzbl 1(%esi), %eax
    mov %eax, (%edi)
END_PROBE movzx8

PROBE movsx8
    movsbl 2(%esi), %eax
    mov %eax, (%edi)
END_PROBE movsx8

PROBE add_imm
    mov (%esi), %eax
    add $0x01010101, %eax
    mov %eax, (%edi)
END_PROBE add_imm

PROBE add_reg
    mov (%esi), %eax
    mov 4(%esi), %ecx
    add %ecx, %eax
    mov %eax, (%edi)
END_PROBE add_reg

PROBE xor_self
    mov (%esi), %eax
    xor %eax, %eax
    mov %eax, (%edi)
END_PROBE xor_self

PROBE clean_store
    mov (%esi), %eax
    mov %eax, (%edi)
    movl $0x12345678, (%edi)
END_PROBE clean_store

PROBE shl_imm
    mov (%esi), %eax
    shl $3, %eax
    mov %eax, (%edi)
END_PROBE shl_imm

PROBE shl_dirty
    movzbl (%esi), %ecx
    mov $1, %eax
    shl %cl, %eax
    mov %eax, (%edi)
END_PROBE shl_dirty

PROBE imul
    mov (%esi), %eax
    imul $3, %eax, %eax
    mov %eax, (%edi)
END_PROBE imul

PROBE div
    mov (%esi), %eax
    xor %edx, %edx
    mov $7, %ecx
    div %ecx
    mov %eax, (%edi)
    mov %edx, 4(%edi)
END_PROBE div

PROBE setcc
    xor %ecx, %ecx
    cmpb $0x41, (%esi)
    sete %cl
    mov %ecx, (%edi)
END_PROBE setcc

PROBE cmov
    mov $0x11111111, %edx
    mov $0x22222222, %eax
    cmpb $0x41, (%esi)
    cmove %edx, %eax
    mov %eax, (%edi)
END_PROBE cmov

PROBE push_pop
    mov (%esi), %eax
    push %eax
    pop %ecx
    mov %ecx, (%edi)
END_PROBE push_pop

PROBE xchg_reg
    mov (%esi), %eax
    mov 4(%esi), %ecx
    xchg %eax, %ecx
    mov %eax, (%edi)
    mov %ecx, 4(%edi)
END_PROBE xchg_reg

PROBE xchg_mem
    mov (%esi), %eax
    mov %eax, (%edi)
    mov 4(%esi), %ecx
    xchg %ecx, (%edi)
    mov %ecx, 4(%edi)
END_PROBE xchg_mem

PROBE cmpxchg
    mov (%esi), %eax
    mov %eax, (%edi)
    mov 4(%esi), %ecx
    lock cmpxchg %ecx, (%edi)
END_PROBE cmpxchg

PROBE rep_movsb
    cld
    mov $16, %ecx
    rep movsb
END_PROBE rep_movsb

PROBE rep_stosb
    cld
    mov (%esi), %eax
    mov %eax, (%edi)
    mov %eax, 4(%edi)
    xor %eax, %eax
    mov $8, %ecx
    rep stosb
END_PROBE rep_stosb

PROBE rep_movsd
    cld
    inc %esi
    mov $3, %ecx
    rep movsl
END_PROBE rep_movsd

PROBE bswap
    mov (%esi), %eax
    bswap %eax
    mov %eax, (%edi)
END_PROBE bswap

PROBE byte_loop
    xor %ecx, %ecx
1:
    mov (%esi,%ecx), %al
    mov %al, (%edi,%ecx)
    inc %ecx
    cmp $8, %ecx
    jne 1b
END_PROBE byte_loop

PROBE mov16
    xor %eax, %eax
    mov (%esi), %ax
    mov %eax, (%edi)
END_PROBE mov16

PROBE page_cross
    mov (%esi), %eax
    mov %eax, 14(%edi)
END_PROBE page_cross

PROBE movdqu
    movdqu (%esi), %xmm0
    movdqu %xmm0, (%edi)
END_PROBE movdqu

PROBE pxor_self
    movdqu (%esi), %xmm0
    pxor %xmm0, %xmm0
    movdqu %xmm0, (%edi)
END_PROBE pxor_self

PROBE pmovmskb
    movdqu (%esi), %xmm0
    pxor %xmm1, %xmm1
    pcmpeqb %xmm0, %xmm1
    pmovmskb %xmm1, %eax
    mov %eax, (%edi)
END_PROBE pmovmskb

PROBE movd
    movd (%esi), %xmm0
    movd %xmm0, %eax
    mov %eax, (%edi)
END_PROBE movd

PROBE paddb
    movdqu (%esi), %xmm0
    paddb %xmm0, %xmm0
    movdqu %xmm0, (%edi)
END_PROBE paddb

PROBE pshufd
    movdqu (%esi), %xmm0
    pshufd $0x1b, %xmm0, %xmm1
    movdqu %xmm1, (%edi)
END_PROBE pshufd

/* glibc's generic strcpy stores the word holding the terminator so. */
PROBE shr_bytes
    mov (%esi), %eax
    mov %al, (%edi)
    mov %ah, 1(%edi)
    shr $16, %eax
    mov %al, 2(%edi)
    mov %ah, 3(%edi)
END_PROBE shr_bytes

PROBE shl_bytes
    mov (%esi), %eax
    shl $8, %eax
    mov %eax, (%edi)
END_PROBE shl_bytes

/* SSE2 strcpy stores a terminator from %dh after a bsf. */
PROBE bsf_high
    mov (%esi), %eax
    or $0x80000000, %eax
    bsf %eax, %edx
    mov %dl, (%edi)
    mov %dh, 1(%edi)
END_PROBE bsf_high

/* The index of a bit of the input's bytes 2-3: dirty whatever byte. */
PROBE bsr_upper
    movzwl (%esi), %eax
    shl $16, %eax
    or $0x80000000, %eax
    bsr %eax, %edx
    mov %dl, (%edi)
    mov %dh, 1(%edi)
END_PROBE bsr_upper

/*
 * The loaded bytes straddle out's page boundary (services.c), so QEMU's
 * slow path splits the load in two: its labels come from both pages.
 */
PROBE load_cross
    mov (%esi), %eax
    mov %eax, 14(%edi)
    mov 14(%edi), %ebx
    movl $0, 14(%edi)
    mov %ebx, (%edi)
END_PROBE load_cross

/*
 * A byte-swapped load and store (needs a CPU with MOVBE: the test runs
 * the guest with -cpu qemu64,+movbe): the out bytes are the in bytes.
 */
PROBE movbe
    movbe (%esi), %eax
    movbe %eax, (%edi)
END_PROBE movbe

/*
 * in[0..3] copied to out[8..11], out[8] cleaned, then a movbe load of
 * them: the value's bytes 0..2 are in[3], in[2], in[1], its byte 3 clean.
 */
PROBE movbe_partial
    mov (%esi), %eax
    mov %eax, 8(%edi)
    movb $0, 8(%edi)
    movbe 8(%edi), %eax
    movl $0, 8(%edi)
    mov %eax, (%edi)
END_PROBE movbe_partial

/*
 * in[0..3] copied to out[8..11], out[8] cleaned, then a plain load of
 * them (dirty and clean bytes in one word) and its store to out[0..3].
 */
PROBE load_partial
    mov (%esi), %eax
    mov %eax, 8(%edi)
    movb $0, 8(%edi)
    mov 8(%edi), %eax
    movl $0, 8(%edi)
    mov %eax, (%edi)
END_PROBE load_partial

/*
 * Stores across out's page boundary (services.c): dirty over clean,
 * dirty over dirty (in[4..7] replace in[0..3]), read back; then the
 * first page's two bytes cleaned alone, and a clean store across, whose
 * bytes on the first page are clean already but not those on the second
 * (a store that looked at the first page's labels only would leave
 * out[16..17] dirty).
 */
PROBE store_cross
    mov (%esi), %eax
    mov %eax, 14(%edi)
    mov 4(%esi), %eax
    mov %eax, 14(%edi)
    mov 14(%edi), %ebx
    movw $0, 14(%edi)
    movl $0, 14(%edi)
    mov %ebx, (%edi)
END_PROBE store_cross

/*
 * The rep string probes below and 17-19 run a page at a time under
 * taint (accel/tcg/taint-x86-rep.c); these three take its other paths.
 * A copy of in[0..31] to out[0..31], across out's page boundary.
 */
PROBE rep_movs_cross
    cld
    mov $32, %ecx
    rep movsb
END_PROBE rep_movs_cross

/*
 * out[0..3] = in[0..3], then rep movsb from out to out + 1: element by
 * element forward, out[0] is copied on and on (out[1..8] all dirty),
 * where memmove would have moved the clean out[4..7] to out[5..8].
 */
PROBE rep_movs_overlap
    mov (%esi), %eax
    mov %eax, (%edi)
    mov %edi, %esi
    inc %edi
    mov $8, %ecx
    cld
    rep movsb
END_PROBE rep_movs_overlap

/* Two dwords of in[0..3] filled into out[0..7]. */
PROBE rep_stos_dirty
    mov (%esi), %eax
    mov $2, %ecx
    cld
    rep stosl
END_PROBE rep_stos_dirty

/*
 * Code rewritten by a rep movsb in dirty mode: the TB translated from
 * smc_slot's old code covers neither the first nor the last byte copied,
 * so only stores that invalidate translated code as they go (the
 * per-element path, not the page-at-a-time one) replace it.  The new code
 * loads in[0..3], stored to out[0..3]; the old one leaves them clean.
 */
PROBE rep_movs_code
    mov (%esi), %eax            /* dirty mode from here */
    call smc_slot + 1           /* the old code, translated: eax = 0 */
    push %esi
    push %edi
    mov $smc_new, %esi
    mov $smc_slot, %edi
    mov $smc_new_end - smc_new, %ecx
    cld
    rep movsb
    pop %edi
    pop %esi
    call smc_slot + 1           /* the new code: eax = in[0..3] */
    mov %eax, (%edi)
END_PROBE rep_movs_code

    .balign 16
smc_slot:
    nop
    xor %eax, %eax
    ret
    .fill 5, 1, 0x90
smc_new:
    nop
    mov (%esi), %eax
    ret
    .fill 5, 1, 0x90
smc_new_end:

/* Code that the run service's 'P' requests overwrite (services.c). */
    .globl plugin_slot
    .type plugin_slot, @function
plugin_slot:
    ret
    .fill 127, 1, 0x90
    .size plugin_slot, . - plugin_slot

    .globl sse_enable
    .type sse_enable, @function
sse_enable:
    mov %cr0, %eax
    and $~0x4, %eax             /* EM off */
    or $0x2, %eax               /* MP on */
    mov %eax, %cr0
    mov %cr4, %eax
    or $0x600, %eax             /* OSFXSR, OSXMMEXCPT */
    mov %eax, %cr4
    ret
    .size sse_enable, . - sse_enable

/* The AEC probes (TINY_AEC_PROBES): control goes to the dirty in[0..3]. */
PROBE lret
    push %cs
    pushl (%esi)
    lret
END_PROBE lret

PROBE iret
    pushf
    push %cs
    pushl (%esi)
    iret
END_PROBE iret

/* The far pointer is built in out: the dirty offset, our selector. */
PROBE ljmp
    mov (%esi), %eax
    mov %eax, (%edi)
    mov %cs, %ax
    mov %ax, 4(%edi)
    ljmp *(%edi)
END_PROBE ljmp

PROBE lcall
    mov (%esi), %eax
    mov %eax, (%edi)
    mov %cs, %ax
    mov %ax, 4(%edi)
    lcall *(%edi)
END_PROBE lcall

    .section .note.GNU-stack, "", @progbits
