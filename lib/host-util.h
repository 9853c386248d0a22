/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Small helpers shared by the host tools and the tests.
 */
#ifndef VIGILANTE_HOST_UTIL_H
#define VIGILANTE_HOST_UTIL_H

#include <glib.h>
#include <stdbool.h>

/* A TCP or UDP port on 127.0.0.1 that is free now (0 if none). */
unsigned vg_local_free_port(bool udp);

/* Remove a directory and the files in it (no subdirectories). */
bool vg_dir_remove(const char *dir);

#endif
