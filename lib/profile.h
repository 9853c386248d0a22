/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Service profiles: how to boot the VM of one protected program, which
 * ports it serves, how to tell it is ready, where its ready snapshot
 * lives.  A GKeyFile; the format is in docs/profiles.md.
 */
#ifndef VIGILANTE_PROFILE_H
#define VIGILANTE_PROFILE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct {
    char transport[4];          /* "udp" or "tcp" */
    uint16_t port;
} VgProfilePort;

typedef struct {
    char *path;                 /* the profile file */
    char *name;                 /* [program] name */
    /* [vm] kernel, absolute, or NULL: the firmware boots the disk */
    char *kernel;
    char *initrd;               /* [vm] initrd, absolute, or NULL */
    char *append;               /* [vm] append, or NULL */
    char *nic;                  /* [vm] nic model */
    char *cpu;                  /* [vm] cpu model, or NULL */
    char *taint_kernel;         /* [vm] taint-kernel: "moves" or "all" */
    unsigned memory_mib;        /* [vm] memory */
    char *disk;                 /* [vm] disk image, absolute, or NULL */
    char *disk_format;          /* "qcow2" or "raw" (from its header) */
    GArray *ports;              /* [service] ports, of VgProfilePort */
    /* [service] exec-services: ports whose purpose is to run commands */
    GArray *exec_services;
    char *ready_marker;         /* [service] ready-marker, or NULL */
    /*
     * [service] crash-pattern: a regular expression that the guest's
     * console matches when a service died of a signal; or NULL.
     */
    GRegex *crash_pattern;
    /* [service] ready-port: ready once this TCP port answers (or 0) */
    uint16_t ready_port;
    unsigned ready_timeout_s;   /* [service] ready-timeout */
    char *snapshot;             /* [snapshot] path, absolute, or NULL */
    /*
     * [service] benign: a directory of benign messages, one per file
     * named udp-PORT-* or tcp-PORT-* (a datagram, or a connection's
     * bytes to the guest), that no generated filter may match; or NULL.
     */
    char *benign;
    uint8_t digest[32];         /* SHA-256 of kernel, initrd, disk */
} VgProfile;

/*
 * The profile's benign messages for one port ("udp" or "tcp"), as
 * GBytes, in directory order; an empty array without a benign key.
 */
GPtrArray *vg_profile_benign_messages(const VgProfile *p,
                                      const char *transport, unsigned port);

/* Load and check a profile; relative paths are relative to its file. */
VgProfile *vg_profile_load(const char *path, GError **errp);
void vg_profile_free(VgProfile *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VgProfile, vg_profile_free)

/*
 * [service] exec-services as the vigilante object's option value
 * ("tcp:22;udp:5007", "" for none).
 */
char *vg_profile_exec_services(const VgProfile *p);

/* "qcow2" or "raw": what the file's first bytes say it is. */
const char *vg_profile_disk_format(const char *path, GError **errp);

/* The digest as 64 hex digits. */
char *vg_profile_digest_hex(const VgProfile *p);

#define VG_PROFILE_ERROR (g_quark_from_static_string("vigilante-profile"))

typedef enum {
    VG_PROFILE_ERROR_READ,      /* the file cannot be read as a key file */
    VG_PROFILE_ERROR_INVALID,   /* a key is missing or out of range */
} VgProfileError;
/* (An image that cannot be read for the digest: G_FILE_ERROR.) */

#endif
