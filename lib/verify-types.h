/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What verifying differs in by SCA type (AEC, ACE, AFA, WWW), as one table:
 * which hints can be checked, what is planted in the hinted bytes, how
 * the verifier's trap is armed, and what a miss means.
 */
#ifndef VIGILANTE_VERIFY_TYPES_H
#define VIGILANTE_VERIFY_TYPES_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>

#include "sca.h"

/* What was planted for one verification. */
typedef struct {
    GByteArray *bytes;          /* written over the message at the hint */
    uint64_t nonce;             /* AEC, ACE: the target; WWW: the address */
    char *nonce_path;           /* AFA: the path nonce */
    const char *arm;            /* the QMP command that arms the trap */
    JsonNode *arm_args;         /* and its arguments */
} VgPlanted;

typedef struct {
    /*
     * Why the SCA's hint cannot be verified (a new string; *error: the
     * verifier's shortcoming rather than the SCA's), or NULL.
     */
    char *(*check)(const Sca *sca, bool *error);
    /* Plant a fresh nonce for the hinted bytes @hinted; false: no RNG. */
    bool (*plant)(const Sca *sca, const uint8_t *hinted, VgPlanted *out);
    /* The reason when the trap did not fire within @timeout_ms. */
    char *(*missed)(const Sca *sca, unsigned timeout_ms);
    /*
     * How many replays, each with a fresh nonce, before the SCA is not
     * verified (NULL: one): a nonce can miss a genuine attack by chance.
     */
    unsigned (*attempts)(const Sca *sca);
} VgVerifyType;

/* The entry for @type, or NULL for a type no verifier knows. */
const VgVerifyType *vg_verify_type(ScaType type);

void vg_planted_clear(VgPlanted *p);

#endif
