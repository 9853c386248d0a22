/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Filter generation from a verified SCA (docs/filter-generation.md): the
 * SCA is replayed into a taint-tracking VM restored from the profile's
 * snapshot with condition capture on; the conditions the attacked program
 * tested on the attack's bytes up to the trap make the *specific* filter;
 * conditions that replays show do not decide the attack are dropped from
 * the *general* one, and input-dependent values pinned by the capture are
 * generalised where a replay allows it.  Both are checked before they are
 * handed out.  A library for the CLI, the honeypot and the host agent.
 */
#ifndef VIGILANTE_FILTER_GEN_H
#define VIGILANTE_FILTER_GEN_H

#include <glib.h>
#include <stdbool.h>

#include "filter.h"
#include "profile.h"
#include "sca.h"

/* One condition of a filter being generated. */
typedef struct {
    uint16_t node;              /* its node in the filter */
    char kind[16];              /* branch, select, pin-address, ... */
    uint64_t pc;                /* where the guest tested it */
    uint32_t first, end;        /* the message bytes it reads: [first, end) */
    bool summary;               /* a "no such byte in a range" summary */
    bool uses_len;              /* it depends on the message's length */
} VgGenCondition;

typedef struct {
    /* Capture */
    guint captured;             /* conditions recorded in the run */
    guint other_code;           /* of those, not the attacked program's */
    guint outside;              /* reading bytes outside the message */
    guint pinned_deep;          /* too deep for the format: bytes pinned */
    guint hint_pins;            /* pins of hinted bytes only, left out */
    bool truncated;             /* the capture hit a limit */
    bool specific_too_big;      /* beyond the format's limits: not kept */
    double capture_ms;
    /* Generalisation */
    guint specific_conditions, general_conditions;
    guint dropped, summarised;
    guint widened;              /* pins replaced by a byte's range */
    guint replays;
    double generalise_ms;
    /* Validation */
    guint benign_checked, benign_matched;
    guint random_tried, random_verified;
    double validate_ms;
} VgGenStats;

#define VG_GEN_SETTLE_MS 150

typedef struct {
    const char *qemu;
    bool general;               /* also generalise (default) */
    guint random_checks;        /* random variants to verify (default 8) */
    unsigned timeout_ms;        /* per replay */
    /*
     * A replay that has not verified is judged when the guest is done
     * with it (vg_verifier_set_settle()): 0 is VG_GEN_SETTLE_MS, < 0
     * waits out the timeout.
     */
    int settle_ms;
    /* Progress lines, or NULL. */
    void (*progress)(const char *line, void *opaque);
    void *opaque;
} VgGenOptions;

typedef struct {
    VfFilter *specific;
    GArray *specific_conds;     /* VgGenCondition */
    VfFilter *general;          /* NULL unless asked for */
    GArray *general_conds;
    VgGenStats stats;
} VgGenResult;

/*
 * Generate the filters of a verified SCA.  Fails (with the reason) when
 * the SCA does not trap the taint-tracking VM, when the captured
 * conditions do not hold on the SCA's own message (a modelling error),
 * or when a filter matches one of the profile's benign messages.
 */
VgGenResult *vg_filter_generate(const VgProfile *p, const Sca *sca,
                                const VgGenOptions *o, GError **errp);
void vg_gen_result_free(VgGenResult *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VgGenResult, vg_gen_result_free)

/* The filter's conditions, one per line, in the text form. */
char *vg_gen_describe(const VfFilter *f, const GArray *conds);

/*
 * The bytes of the attack's message as the filter sees them: the hinted
 * datagram, or the TCP stream of the SCA's messages.
 */
GBytes *vg_gen_message(const Sca *sca);

/*
 * The SCA with its attack message replaced by `msg` (a datagram, or the
 * TCP stream, split as the SCA's messages are, the last taking the rest).
 */
Sca *vg_gen_sca_with_message(const Sca *sca, const uint8_t *msg, size_t len);

#define VG_GEN_ERROR (g_quark_from_static_string("vigilante-filter-gen"))
typedef enum {
    VG_GEN_ERROR_SETUP,         /* no snapshot, no VM, bad SCA */
    VG_GEN_ERROR_NO_TRAP,       /* the replay did not trap */
    VG_GEN_ERROR_MODEL,         /* the conditions miss the SCA itself */
    VG_GEN_ERROR_BENIGN,        /* a filter matches a benign message */
    VG_GEN_ERROR_EMULATOR,      /* the capture VM's emulator died */
} VgGenError;

#endif
