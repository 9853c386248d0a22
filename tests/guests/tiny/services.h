/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guest's UDP services: echo, and the seed's Figure-1 service.
 */
#ifndef TINY_SERVICES_H
#define TINY_SERVICES_H

#include "net.h"

/* Register the services with the UDP layer. */
void services_init(void);

/* fig1.S */
int fig1_vulnerable(const unsigned char *netbuf);
int call_on_stack(uint32_t stack_top, int (*fn)(const unsigned char *),
                  const void *arg);

#endif /* TINY_SERVICES_H */
