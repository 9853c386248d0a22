/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Subcommands of the vigilante CLI.  Each takes argv with argv[0] being
 * the subcommand's name and returns the process exit status.
 */
#ifndef VIGILANTE_COMMANDS_H
#define VIGILANTE_COMMANDS_H

/* Exit statuses shared by the subcommands. */
enum {
    VIGILANTE_EXIT_OK = 0,
    VIGILANTE_EXIT_FAILED = 1,      /* the operation ran and said no */
    VIGILANTE_EXIT_USAGE = 2,
    VIGILANTE_EXIT_ERROR = 3,       /* could not run: I/O, connection... */
};

int vigilante_cmd_qmp(int argc, char **argv);
int vigilante_cmd_sca(int argc, char **argv);
int vigilante_cmd_filter(int argc, char **argv);
int vigilante_cmd_filter_generate(int argc, char **argv);
int vigilante_cmd_honeypot(int argc, char **argv);
int vigilante_cmd_snapshot(int argc, char **argv);
int vigilante_cmd_verify(int argc, char **argv);
int vigilante_cmd_libvirt(int argc, char **argv);
int vigilante_cmd_replay(int argc, char **argv);
int vigilante_cmd_agent(int argc, char **argv);

#endif
