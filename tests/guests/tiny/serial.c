/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * 16550 UART on COM1, polled.
 */
#include "serial.h"
#include "io.h"
#include "layout.h"

#define UART_DATA       0       /* THR/RBR, or divisor low with DLAB */
#define UART_IER        1       /* or divisor high with DLAB */
#define UART_FCR        2
#define UART_LCR        3
#define UART_MCR        4
#define UART_LSR        5

#define LCR_DLAB        0x80
#define LCR_8N1         0x03
#define LSR_THR_EMPTY   0x20

void serial_init(void)
{
    uint16_t base = TINY_COM1_PORT;

    outb(base + UART_IER, 0x00);            /* no interrupts: we poll */
    outb(base + UART_LCR, LCR_DLAB);
    outb(base + UART_DATA, 1);              /* 115200 baud */
    outb(base + UART_IER, 0);
    outb(base + UART_LCR, LCR_8N1);
    outb(base + UART_FCR, 0xC7);            /* FIFO on, cleared */
    outb(base + UART_MCR, 0x03);            /* DTR, RTS */
}

void serial_putc(char c)
{
    uint16_t base = TINY_COM1_PORT;

    /* Bounded: a missing UART must not hang the guest. */
    for (int i = 0; i < 100000; i++) {
        if (inb(base + UART_LSR) & LSR_THR_EMPTY) {
            break;
        }
        cpu_relax();
    }
    outb(base + UART_DATA, (uint8_t)c);
}

void serial_puts(const char *s)
{
    while (*s) {
        serial_putc(*s++);
    }
}

static void put_number(uint32_t val, unsigned base, bool negative,
                       int width, char pad)
{
    char digits[12];
    int n = 0;

    do {
        digits[n++] = "0123456789abcdef"[val % base];
        val /= base;
    } while (val);
    if (negative) {
        digits[n++] = '-';
    }
    while (width-- > n) {
        serial_putc(pad);
    }
    while (n) {
        serial_putc(digits[--n]);
    }
}

void kvprintf(const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        char pad = ' ';
        int width = 0;

        if (*fmt != '%') {
            serial_putc(*fmt);
            continue;
        }
        fmt++;
        if (*fmt == '0') {
            pad = '0';
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9') {
            width = width * 10 + (*fmt++ - '0');
        }
        switch (*fmt) {
        case 's': {
            const char *s = va_arg(ap, const char *);
            serial_puts(s ? s : "(null)");
            break;
        }
        case 'c':
            serial_putc((char)va_arg(ap, int));
            break;
        case 'd': {
            int v = va_arg(ap, int);
            put_number(v < 0 ? -(uint32_t)v : (uint32_t)v, 10, v < 0,
                       width, pad);
            break;
        }
        case 'u':
            put_number(va_arg(ap, unsigned), 10, false, width, pad);
            break;
        case 'x':
            put_number(va_arg(ap, unsigned), 16, false, width, pad);
            break;
        case 'p':
            serial_puts("0x");
            put_number((uint32_t)(uintptr_t)va_arg(ap, void *), 16, false,
                       8, '0');
            break;
        case '%':
            serial_putc('%');
            break;
        case '\0':
            return;
        default:
            serial_putc('%');
            serial_putc(*fmt);
            break;
        }
    }
}

void kprintf(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
}
