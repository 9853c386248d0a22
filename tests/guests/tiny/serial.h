/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * COM1 console: the harness reads everything the guest says here.
 */
#ifndef TINY_SERIAL_H
#define TINY_SERIAL_H

#include <stdarg.h>

void serial_init(void);
void serial_putc(char c);
void serial_puts(const char *s);

/* printf subset: %s %c %d %u %x %p, with optional '0' flag and width. */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kvprintf(const char *fmt, va_list ap);

#endif /* TINY_SERIAL_H */
