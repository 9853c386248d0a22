/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An emulator running a service profile's guest (docs/profiles.md) in a
 * private work directory, with the profile's ports forwarded from free
 * ports on 127.0.0.1: the honeypot's VM, the snapshot maker's and the
 * verifier's.
 */
#ifndef VIGILANTE_PROFILE_VM_H
#define VIGILANTE_PROFILE_VM_H

#include <gio/gio.h>
#include <signal.h>
#include <stdbool.h>

#include "profile.h"
#include "qmp-client.h"
#include "vm.h"

typedef struct VgProfileVm {
    VgVm *emu;                  /* the emulator; its stdout is the serial */
    VgQmp *qmp;                 /* NULL until vg_profile_vm_connect() */
    char *work, *sock, *log;
    GArray *host_ports;         /* unsigned, per profile port */
    bool ready;                 /* the verifier's: restored and paused */
    bool checkpointed;          /* the verifier's: can be rewound */
    bool lent;                  /* the verifier's: counted as in use */
} VgProfileVm;

typedef struct {
    const char *accel;          /* -accel value */
    bool restrict_net;          /* the guest reaches nothing (restrict=on) */
    const char *incoming;       /* a migration stream to load, paused */
    const char *object;         /* an -object value, or NULL */
    /*
     * A tap device for the NIC instead of user-mode networking (made by
     * the caller; no forwards: clients reach the guest at its own
     * address, host_ports stays empty), or NULL.
     */
    const char *tap;
    /*
     * For a profile with a disk: the image to run on instead of the
     * profile's (a snapshot's disk), and whether the VM may write it
     * (the snapshot maker's overlay).  By default the VM writes into a
     * throwaway overlay (snapshot=on), so the image never changes.
     */
    const char *disk;
    bool disk_writable;
} VgProfileVmOptions;

/* Start the emulator (it dies with us); QMP is not connected yet. */
VgProfileVm *vg_profile_vm_spawn(const VgProfile *p, const char *qemu,
                                 const VgProfileVmOptions *o, GError **errp);
bool vg_profile_vm_connect(VgProfileVm *vm, GError **errp);

/*
 * Until the guest's serial output holds marker: false at the timeout,
 * when the emulator exits, or once *stop (if given) is set.
 */
bool vg_profile_vm_wait_serial(VgProfileVm *vm, const char *marker,
                               unsigned timeout_s,
                               volatile sig_atomic_t *stop);

/*
 * Until the guest is ready as its profile says: its ready-marker on the
 * serial line, or its ready-port answering through the forward: slirp
 * accepts every connection on the host side at once, so the probe looks
 * in slirp's socket table ("info usernet", connecting QMP) for the
 * guest's side in ESTABLISHED.  False as vg_profile_vm_wait_serial().
 */
bool vg_profile_vm_wait_ready(VgProfileVm *vm, const VgProfile *p,
                              volatile sig_atomic_t *stop);

/*
 * Run a QMP command whose answer is of no interest (its failure is); the
 * arguments object, if any, is consumed.
 */
bool vg_profile_vm_run(VgProfileVm *vm, const char *command,
                       JsonNode *arguments, GError **errp);

/*
 * Poll @query until the "status" it returns is one of @want
 * (NULL-terminated); that status, or NULL at the timeout or when QMP
 * fails.
 */
char *vg_profile_vm_wait_status(VgProfileVm *vm, const char *query,
                                const char *const *want,
                                unsigned timeout_ms);

/* Quit (over QMP, else killed), reap, and remove the work directory. */
void vg_profile_vm_free(VgProfileVm *vm);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VgProfileVm, vg_profile_vm_free)

#endif
