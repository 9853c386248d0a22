/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The vulnerable code of the seed's Figure 1, as a function:
 *
 *     int fig1_vulnerable(const unsigned char *netbuf);
 *
 * If netbuf[0] is 0x31, copy netbuf into a 64-byte stack buffer up to and
 * including the first zero byte (strcpy-style, no bound) and return the
 * number of bytes before the zero; otherwise return -1.  The loop is the
 * figure's instruction sequence.  It is written in assembly so that the
 * frame layout (see layout.h) does not depend on the compiler.
 */
#include "layout.h"

    .text
    .globl fig1_vulnerable
    .type fig1_vulnerable, @function
fig1_vulnerable:
    push %ebp
    mov %esp, %ebp
    sub $TINY_FIG1_BUF_SIZE, %esp       /* char buf[64] at (%esp) */
    mov 8(%ebp), %edx                   /* netbuf */

    mov (%edx), %al                     /* move first byte into AL */
    mov $TINY_FIG1_MAGIC, %cl           /* move 0x31 into CL */
    cmp %cl, %al                        /* compare AL to CL */
    jne 2f                              /* jump if not equal */
    xor %eax, %eax                      /* move 0x0 into EAX */
1:
    mov %cl, (%esp,%eax)                /* move byte into stack buffer */
    mov 1(%edx,%eax), %cl               /* move next byte into CL */
    inc %eax                            /* increment EAX */
    test %cl, %cl                       /* test if CL is equal to 0x0 */
    jne 1b                              /* jump if not equal */
    mov %cl, (%esp,%eax)                /* strcpy copies the zero too */
    leave
    ret                                 /* the return address may be gone */
2:
    mov $-1, %eax
    leave
    ret
    .size fig1_vulnerable, . - fig1_vulnerable

/*
 * int call_on_stack(uint32_t stack_top, int (*fn)(const void *),
 *                   const void *arg);
 *
 * Run fn(arg) with %esp starting at stack_top (a service's worker
 * stack) and come back to the caller's stack.
 */
    .globl call_on_stack
    .type call_on_stack, @function
call_on_stack:
    push %ebp
    mov %esp, %ebp
    mov 8(%ebp), %eax                   /* stack_top */
    mov 12(%ebp), %ecx                  /* fn */
    mov 16(%ebp), %edx                  /* arg */
    mov %eax, %esp
    push %edx
    call *%ecx
    mov %ebp, %esp
    pop %ebp
    ret
    .size call_on_stack, . - call_on_stack

    .section .note.GNU-stack, "", @progbits
