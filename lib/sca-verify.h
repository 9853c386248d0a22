/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SCA verification (docs/verification.md): the library entry that the
 * CLI (vigilante verify, honeypot) uses and the host agent is to use;
 * ready snapshots are snapshot.h's.
 */
#ifndef VIGILANTE_VERIFY_LIB_H
#define VIGILANTE_VERIFY_LIB_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>

#include "profile.h"
#include "sca.h"
#include "snapshot.h"

typedef enum {
    VG_VERDICT_VERIFIED,
    VG_VERDICT_NOT_VERIFIED,
    VG_VERDICT_ERROR,
} VgVerdictKind;

typedef struct {
    VgVerdictKind kind;
    char *reason;               /* not verified / error: why */
    uint64_t nonce;             /* the planted target (AEC, ACE) */
    char *nonce_path;           /* the planted path (AFA) */
    /* SCA in hand to the VM restored and armed (a spare may be older) */
    double restore_ms;
    double total_ms;            /* SCA in hand to verdict */
    double cpu_ms;              /* the emulator's CPU time in the replay */
} VgVerdict;


/*
 * Verify sca against the profile's snapshot: restore it in an isolated
 * VM (its NIC reaches only our forwarded ports, nothing leaves), replay
 * the messages with the hinted bytes replaced by a nonce from
 * RAND_bytes, and wait at most timeout_ms for the guest to be about to
 * execute at the nonce (AEC; ACE: at the target of a planted jump), or
 * to make the SCA's system call with the nonce path (AFA).
 */
VgVerdict vg_verify(const VgProfile *p, const char *qemu, const Sca *sca,
                    unsigned timeout_ms);

/*
 * A verifier that keeps a VM restoring the snapshot in the background,
 * so that an SCA that arrives finds it restored (an agent, minimisation,
 * a batch of SCAs): each verification uses the spare VM and starts the
 * next.  The profile must outlive the verifier.
 */
typedef struct VgVerifier VgVerifier;

VgVerifier *vg_verifier_new(const VgProfile *p, const char *qemu);
/*
 * Judge a replay that has not verified once the guest is done with its
 * messages (vg_replay()'s @settle_ms), not at the timeout: far quicker
 * for the many replays that fail, at the price of missing an attack
 * that lands only after the service went idle.  0 (the default) waits.
 */
void vg_verifier_set_settle(VgVerifier *v, unsigned settle_ms);
/*
 * Judge a replay that has not verified once its emulator has been on a
 * CPU for @cpu_ms since the messages went (vg_replay()'s cpu_ms): a
 * guest the messages sent into a loop, whatever the host's load.  0 (the
 * default) waits out the timeout.
 */
void vg_verifier_set_cpu_limit(VgVerifier *v, unsigned cpu_ms);
/*
 * Keep @n VMs restoring (default 1): for a run of short verifications,
 * each VM then has @n verifications' time to restore.
 */
void vg_verifier_set_spares(VgVerifier *v, unsigned n);
/*
 * Keep VMs after their replays, rewound in place to the snapshot
 * (vigilante-rewind: what the replay wrote is put back, translated code
 * is kept), instead of restoring a fresh VM for each: for many replays
 * of messages derived from one SCA (filter generation).  Not for
 * profiles with a disk.
 */
void vg_verifier_set_rewind(VgVerifier *v, bool rewind);
/* Block until the spare VM has restored the snapshot. */
bool vg_verifier_wait_ready(VgVerifier *v, GError **errp);
VgVerdict vg_verifier_verify(VgVerifier *v, const Sca *sca,
                             unsigned timeout_ms);
/*
 * Verify @n SCAs at once, each on a VM of its own (@n threads; the
 * spares are taken in turn and replaced), out[i] the verdict of
 * scas[i].  Replays that wait for a guest to settle overlap; keep @n
 * near the spares.
 */
void vg_verifier_verify_batch(VgVerifier *v, Sca *const *scas, guint n,
                              unsigned timeout_ms, VgVerdict *out);
void vg_verifier_free(VgVerifier *v);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VgVerifier, vg_verifier_free)
void vg_verdict_clear(VgVerdict *v);

/* A verdict's JSON view, and as one line (no newline). */
JsonNode *vg_verdict_to_json(const VgVerdict *v, const Sca *sca);
char *vg_verdict_json(const VgVerdict *v, const Sca *sca);

/* The emulator: given, $VIGILANTE_QEMU, or build/qemu-system-x86_64. */
char *vg_find_qemu(const char *given);

#endif
