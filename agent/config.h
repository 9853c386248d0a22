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
} VgaConfig;

VgaConfig *vga_config_load(const char *path, GError **errp);
void vga_config_free(VgaConfig *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VgaConfig, vga_config_free)

/* "host:port" (IPv6 as "[addr]:port"); port 0 allowed with allow_zero. */
bool vga_parse_address(const char *text, bool allow_zero, VgaAddress *out,
                       GError **errp);

#endif
