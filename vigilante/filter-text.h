/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The text form of filters (docs/filter-format.md, "Text form"): what
 * operators and tests write by hand, compiled to a VfFilter, and what
 * `vigilante filter show` prints back.
 */
#ifndef VIGILANTE_FILTER_TEXT_H
#define VIGILANTE_FILTER_TEXT_H

#include "filter.h"

/* Compile; NULL with *errp set ("line L, column C: ...") on any error. */
VfFilter *vf_compile(const char *text, GError **errp);

/*
 * The text form of a valid filter: compiling it gives a filter with the
 * same meaning.  Nodes used more than once become `let` bindings, so the
 * text grows linearly with the filter.
 */
char *vf_to_text(const VfFilter *f);

/* One node's expression, fully expanded (for showing a condition). */
char *vf_expr_text(const VfFilter *f, unsigned node);

#endif
