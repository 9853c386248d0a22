/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigilante: the host-side command-line tool of Vigilante-QEMU.
 *
 * Subcommands register in the table below; each lives in cmd-NAME.c.
 */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"

typedef struct VigilanteCommand {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
} VigilanteCommand;

static const VigilanteCommand commands[] = {
    { "qmp", "run one QMP command on a running emulator", vigilante_cmd_qmp },
    { "sca", "show or check a self-certifying alert", vigilante_cmd_sca },
    { "filter", "compile, show, check or try a vulnerability filter",
      vigilante_cmd_filter },
    { "honeypot", "run a profile's guest as a honeypot, collecting SCAs",
      vigilante_cmd_honeypot },
    { "snapshot", "save a profile's ready snapshot", vigilante_cmd_snapshot },
    { "verify", "verify an SCA by replaying it in a snapshot VM",
      vigilante_cmd_verify },
    { "libvirt", "list libvirt domains, install filters on them",
      vigilante_cmd_libvirt },
    { "replay", "replay a packet capture's flows, find the attacks",
      vigilante_cmd_replay },
    { "agent", "ask a running vigilante-agent, or submit an SCA to it",
      vigilante_cmd_agent },
    { NULL, NULL, NULL }
};

static void print_usage(FILE *out)
{
    const VigilanteCommand *c;

    fprintf(out,
            "Usage: vigilante [--help] [--version] COMMAND [ARGS...]\n"
            "\n"
            "Host-side tool of Vigilante-QEMU: worm containment with\n"
            "self-certifying alerts.\n"
            "\n"
            "Commands:\n");
    for (c = commands; c->name; c++) {
        fprintf(out, "  %-12s %s\n", c->name, c->summary);
    }
    fprintf(out,
            "\n"
            "Options:\n"
            "  -h, --help     show this help\n"
            "  -V, --version  show the version\n");
}

int main(int argc, char **argv)
{
    const VigilanteCommand *c;

    if (argc < 2) {
        print_usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
        !strcmp(argv[1], "help")) {
        print_usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
        printf("vigilante %s (Vigilante-QEMU, based on QEMU 7.2)\n",
               VIGILANTE_VERSION);
        return 0;
    }
    for (c = commands; c->name; c++) {
        if (!strcmp(argv[1], c->name)) {
            return c->run(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "vigilante: unknown command '%s' (see vigilante --help)\n",
            argv[1]);
    return 2;
}
