/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigilante qmp SOCKET COMMAND [ARGUMENTS]: run one QMP command on a
 * running emulator and print its reply (the JSON line) on stdout.
 */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "qmp-client.h"


static void usage(FILE *out)
{
    fprintf(out,
            "Usage: vigilante qmp SOCKET COMMAND [ARGUMENTS]\n"
            "\n"
            "Run one QMP command on the emulator listening on the unix\n"
            "socket SOCKET (-qmp unix:SOCKET,server=on,wait=off) and print\n"
            "the reply.  ARGUMENTS is a JSON object, e.g. '{\"id\": \"v0\"}'.\n"
            "Exit status: 0 the command returned, 1 it failed, 3 no\n"
            "connection.\n");
}

int vigilante_cmd_qmp(int argc, char **argv)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(VgQmp) qmp = NULL;
    g_autofree char *json = NULL, *reply = NULL;
    g_autoptr(JsonNode) args = NULL, node = NULL, parsed = NULL;
    g_autoptr(JsonObject) cmd = NULL;

    if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        usage(stdout);
        return VIGILANTE_EXIT_OK;
    }
    if (argc < 3 || argc > 4) {
        usage(stderr);
        return VIGILANTE_EXIT_USAGE;
    }
    if (!*argv[2] || strpbrk(argv[2], "\"\\\n ")) {
        fprintf(stderr, "vigilante qmp: bad command name '%s'\n", argv[2]);
        return VIGILANTE_EXIT_USAGE;
    }
    if (argc == 4) {
        args = vg_json_parse(argv[3], &err);
        if (!args || !JSON_NODE_HOLDS_OBJECT(args)) {
            fprintf(stderr, "vigilante qmp: ARGUMENTS must be a JSON object"
                    "%s%s\n", err ? ": " : "", err ? err->message : "");
            return VIGILANTE_EXIT_USAGE;
        }
    }
    if (!g_file_test(argv[1], G_FILE_TEST_EXISTS)) {
        fprintf(stderr, "vigilante qmp: %s: no such socket\n", argv[1]);
        return VIGILANTE_EXIT_ERROR;
    }
    qmp = vg_qmp_connect(argv[1], VG_QMP_TIMEOUT_MS, &err);
    if (!qmp) {
        fprintf(stderr, "vigilante qmp: %s\n", err->message);
        return VIGILANTE_EXIT_ERROR;
    }
    cmd = json_object_new();
    json_object_set_string_member(cmd, "execute", argv[2]);
    if (args) {
        json_object_set_member(cmd, "arguments", g_steal_pointer(&args));
    }
    node = json_node_init_object(json_node_alloc(), cmd);
    json = vg_json_to_string(node);
    reply = vg_qmp_command(qmp, json, VG_QMP_TIMEOUT_MS);
    if (!reply) {
        fprintf(stderr, "vigilante qmp: no reply from %s\n", argv[1]);
        return VIGILANTE_EXIT_ERROR;
    }
    printf("%s\n", reply);
    parsed = vg_json_parse(reply, NULL);
    return vg_json_lookup(parsed, "return") ? VIGILANTE_EXIT_OK
                                            : VIGILANTE_EXIT_FAILED;
}
