/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The few libc string functions the guest needs (gcc may also emit calls
 * to memcpy/memset by itself).
 */
#ifndef TINY_MEM_H
#define TINY_MEM_H

#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#endif /* TINY_MEM_H */
