/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigilante-agent's configuration: a key file (docs/agent.md).  Relative
 * paths are relative to the file; every key is checked at load, with the
 * key and the reason in the error.
 */
#ifndef VIGILANTE_AGENT_CONFIG_H
#define VIGILANTE_AGENT_CONFIG_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct {
    char *host;
    uint16_t port;
} VgaAddress;

/* [vm NAME]: a local VM to protect, reached at its QMP socket. */
typedef struct {
    char *name;
    char *qmp;                  /* qmp: the monitor's unix socket */
    char **programs;            /* programs: what it runs */
    char **netdevs;             /* netdevs: to guard (may be empty) */
} VgaVm;

typedef enum {
    VGA_GENERATE_AUTO,          /* for the programs of the [vm NAME]s */
    VGA_GENERATE_ALWAYS,
    VGA_GENERATE_NEVER,
} VgaGenerate;

typedef struct {
    char *path;
    char *name;                 /* [agent] name: in logs and hello */
    char *certificate;          /* [agent] certificate (PEM) */
    char *key;                  /* [agent] key (PEM) */
    char *ca;                   /* [agent] ca: the deployment's CA (PEM) */
    VgaAddress listen;          /* [agent] listen; port 0: none */
    char *state_dir;            /* [agent] state-dir */
    char *control;              /* [agent] control socket path */
    char *qemu;                 /* [agent] qemu, or NULL: found */
    GArray *peers;              /* [peers] connect, of VgaAddress */
    GPtrArray *profiles;        /* [verify] profiles: paths */
    bool forward_unverified;    /* [verify] forward-unverified */
    unsigned verify_timeout_ms; /* [verify] timeout-ms */
    double rate;                /* [limits] rate: SCAs/s per peer */
    unsigned burst;             /* [limits] burst */
    unsigned queue;             /* [limits] queue: frames out per link */
    unsigned max_failures;      /* [limits] max-failures */
    unsigned ban_s;             /* [limits] ban-seconds */
    VgaGenerate generate;       /* [protect] generate: filters from SCAs */
    unsigned rescan_s;          /* [protect] rescan-seconds */
    GPtrArray *vms;             /* of VgaVm, from the [vm NAME] groups */
    char **filters;             /* [protect] filters: the operator's */
    char *libvirt;              /* [libvirt] uri: its marked domains */
} VgaConfig;

VgaConfig *vga_config_load(const char *path, GError **errp);
void vga_config_free(VgaConfig *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VgaConfig, vga_config_free)

/* "host:port" (IPv6 as "[addr]:port"); port 0 allowed with allow_zero. */
/* Whether a verified SCA of @program becomes a filter here. */
bool vga_config_wants_filter(const VgaConfig *c, const char *program);

bool vga_parse_address(const char *text, bool allow_zero, VgaAddress *out,
                       GError **errp);

#endif
