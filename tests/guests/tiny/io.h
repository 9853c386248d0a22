/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Port and memory-mapped I/O, freestanding types and helpers.
 */
#ifndef TINY_IO_H
#define TINY_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

static inline void outb(uint16_t port, uint8_t val)
{
    __asm__ volatile("outb %0, %1" : : "a"(val), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t val)
{
    __asm__ volatile("outw %0, %1" : : "a"(val), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t val)
{
    __asm__ volatile("outl %0, %1" : : "a"(val), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t val;
    __asm__ volatile("inb %1, %0" : "=a"(val) : "Nd"(port));
    return val;
}

static inline uint16_t inw(uint16_t port)
{
    uint16_t val;
    __asm__ volatile("inw %1, %0" : "=a"(val) : "Nd"(port));
    return val;
}

static inline uint32_t inl(uint16_t port)
{
    uint32_t val;
    __asm__ volatile("inl %1, %0" : "=a"(val) : "Nd"(port));
    return val;
}

static inline uint32_t mmio_read32(uintptr_t addr)
{
    return *(volatile uint32_t *)addr;
}

static inline void mmio_write32(uintptr_t addr, uint32_t val)
{
    *(volatile uint32_t *)addr = val;
}

/* Keep the compiler from reordering accesses to DMA memory. */
static inline void barrier(void)
{
    __asm__ volatile("" : : : "memory");
}

static inline void cpu_relax(void)
{
    __asm__ volatile("pause");
}

/* Stop for good: no interrupts are enabled, so hlt never returns. */
static inline __attribute__((noreturn)) void halt_forever(void)
{
    for (;;) {
        __asm__ volatile("cli; hlt");
    }
}

/* Physical address of a pointer: paging is off, so identity. */
static inline uint32_t phys_addr(const void *p)
{
    return (uint32_t)(uintptr_t)p;
}

#endif /* TINY_IO_H */
