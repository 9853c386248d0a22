/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Small helpers shared by the host tools and the tests.
 */
#ifndef VIGILANTE_HOST_UTIL_H
#define VIGILANTE_HOST_UTIL_H

#include <glib.h>
#include <signal.h>
#include <stdbool.h>

/* A TCP or UDP port on 127.0.0.1 that is free now (0 if none). */
unsigned vg_local_free_port(bool udp);

/* Remove a directory and the files in it (no subdirectories). */
bool vg_dir_remove(const char *dir);

/*
 * From now on SIGINT and SIGTERM set *@flag to 1 (a command's "stop as
 * asked"), instead of killing the process.
 */
void vg_stop_on_signals(volatile sig_atomic_t *flag);

#endif
