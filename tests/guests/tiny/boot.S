/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Multiboot entry: the loader leaves us in 32-bit protected mode with
 * paging off and interrupts disabled.  Install our own flat GDT (the
 * loader's may be anywhere), clear .bss, switch to the fixed boot stack
 * and call kmain().  Paging stays off, so all memory is executable.
 */
#include "layout.h"

#define MULTIBOOT_MAGIC 0x1BADB002
#define MULTIBOOT_FLAGS 0

    .section .multiboot, "a"
    .align 4
    .long MULTIBOOT_MAGIC
    .long MULTIBOOT_FLAGS
    .long -(MULTIBOOT_MAGIC + MULTIBOOT_FLAGS)

    .text
    .globl _start
_start:
    cli
    mov %eax, %esi                  /* multiboot magic */
    mov %ebx, %edi                  /* multiboot info */
    lgdt gdt_descriptor
    ljmp $0x08, $1f
1:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %fs
    mov %ax, %gs
    mov %ax, %ss
    mov $TINY_BOOT_STACK_TOP, %esp
    xor %ebp, %ebp
    cld

    /* The loader zero-fills .bss, but do not rely on it. */
    push %edi
    mov $__bss_start, %edi
    mov $__bss_end, %ecx
    sub %edi, %ecx
    xor %eax, %eax
    rep stosb
    pop %edi

    push %edi
    push %esi
    call kmain
2:
    cli
    hlt
    jmp 2b

    .section .rodata
    .align 8
gdt:
    .quad 0                         /* null */
    .quad 0x00CF9A000000FFFF        /* 0x08: code, flat 4 GiB, 32-bit */
    .quad 0x00CF92000000FFFF        /* 0x10: data, flat 4 GiB */
gdt_end:
gdt_descriptor:
    .word gdt_end - gdt - 1
    .long gdt

    .section .note.GNU-stack, "", @progbits
