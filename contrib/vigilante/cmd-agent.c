/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigilante agent SOCKET status|peers|scas|vms|submit SCA: talk to a
 * running vigilante-agent through its control socket and print its reply (one
 * JSON line).
 */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "agent-client.h"
#include "commands.h"
#include "qmp-client.h"
#include "sca.h"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: vigilante agent SOCKET status|peers|scas|vms\n"
            "       vigilante agent SOCKET submit SCA\n"
            "\n"
            "Ask the vigilante-agent whose control socket is SOCKET\n"
            "([agent] control, default STATE-DIR/control.sock) for its\n"
            "status (counters, verifiers), its peers, the SCAs it has\n"
            "seen, or its local VMs and the filters installed on them; or\n"
            "submit an SCA file for it to verify and flood.\n"
            "Prints the agent's JSON reply.  Exit status: 0 done, 1 the\n"
            "agent refused (the reply's error), 2 bad usage, 3 no agent\n"
            "or an unreadable SCA.\n");
}

int vigilante_cmd_agent(int argc, char **argv)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *reply = NULL, *error = NULL;
    const char *cmd;

    if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        usage(stdout);
        return VIGILANTE_EXIT_OK;
    }
    if (argc < 3) {
        usage(stderr);
        return VIGILANTE_EXIT_USAGE;
    }
    cmd = argv[2];
    if (!strcmp(cmd, "submit")) {
        g_autoptr(Sca) sca = NULL;
        g_autoptr(GBytes) enc = NULL;
        g_autofree char *data = NULL;
        gsize len;

        if (argc != 4) {
            usage(stderr);
            return VIGILANTE_EXIT_USAGE;
        }
        /* Checked here too: a bad file is the user's mistake to see. */
        if (!g_file_get_contents(argv[3], &data, &len, &err)) {
            fprintf(stderr, "vigilante agent: %s\n", err->message);
            return VIGILANTE_EXIT_ERROR;
        }
        sca = sca_decode((const uint8_t *)data, len, &err);
        if (!sca) {
            fprintf(stderr, "vigilante agent: %s: %s\n", argv[3],
                    err->message);
            return VIGILANTE_EXIT_ERROR;
        }
        enc = g_bytes_new_take(g_steal_pointer(&data), len);
        reply = vg_agent_submit(argv[1], enc, &err);
    } else if (!strcmp(cmd, "status") || !strcmp(cmd, "peers") ||
               !strcmp(cmd, "scas") || !strcmp(cmd, "vms")) {
        if (argc != 3) {
            usage(stderr);
            return VIGILANTE_EXIT_USAGE;
        }
        reply = vg_agent_request(argv[1], cmd, &err);
    } else {
        fprintf(stderr, "vigilante agent: unknown command '%s'\n", cmd);
        usage(stderr);
        return VIGILANTE_EXIT_USAGE;
    }
    if (!reply) {
        fprintf(stderr, "vigilante agent: %s\n", err->message);
        return VIGILANTE_EXIT_ERROR;
    }
    printf("%s\n", reply);
    error = vg_qmp_get_string(reply, "error");
    return error ? VIGILANTE_EXIT_FAILED : VIGILANTE_EXIT_OK;
}
