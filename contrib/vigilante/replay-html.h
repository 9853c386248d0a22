/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The page of `vigilante replay --report DIR` (replay-html.c): the flows
 * and their verdicts, and each attack's SCA as a hexdump with the hint
 * marked, in one self-contained HTML file that opens offline.
 */
#ifndef VIGILANTE_REPLAY_HTML_H
#define VIGILANTE_REPLAY_HTML_H

#include <stdbool.h>
#include <glib.h>

/*
 * Write @dir/index.html from @lines, the flows' JSON lines as printed
 * (any order), and the SCA files they name.  @summary is the run's
 * summary line.  False with *errp set if the page cannot be written.
 */
bool vg_replay_html_write(const char *dir, const char *capture,
                          const char *program, const char *summary,
                          GPtrArray *lines, GError **errp);

#endif
