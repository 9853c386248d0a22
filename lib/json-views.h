/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host's one JSON writer: the JSON views of SCAs and filters (the
 * layouts docs/sca-format.md and docs/filter-format.md give), built with
 * json-glib, so that every string is escaped the same way, and the line
 * form the CLI prints.
 */
#ifndef VIGILANTE_JSON_VIEWS_H
#define VIGILANTE_JSON_VIEWS_H

#include <json-glib/json-glib.h>

#include "sca.h"
#include "filter.h"

JsonNode *vg_sca_to_json(const Sca *sca);
JsonNode *vg_filter_to_json(const VfFilter *f);

/* @node as one line of JSON (no newline); @node is consumed. */
char *vg_json_line(JsonNode *node);

#endif
