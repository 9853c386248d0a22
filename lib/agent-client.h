/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A client of vigilante-agent's control socket (docs/agent.md): one
 * command line out, one JSON line back.
 */
#ifndef VIGILANTE_AGENT_CLIENT_H
#define VIGILANTE_AGENT_CLIENT_H

#include <glib.h>

/* The agent's reply to `line`, or NULL with *errp set. */
char *vg_agent_request(const char *socket_path, const char *line,
                       GError **errp);

/* Submit an SCA's encoding; the reply (digest, new, state, or error). */
char *vg_agent_submit(const char *socket_path, GBytes *encoding,
                      GError **errp);

#endif
