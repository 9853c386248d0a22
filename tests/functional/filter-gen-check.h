/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the filter-generation tests check of a generated filter against
 * an exploit's polymorphic variants and benign traffic.
 */
#ifndef VG_FILTER_GEN_CHECK_H
#define VG_FILTER_GEN_CHECK_H

#include <glib.h>

#include "filter-gen.h"
#include "sca.h"
#include "sca-verify.h"

/* The longest run of bytes two messages share (a byte signature's). */
gsize vg_longest_common(const guint8 *a, gsize na, const guint8 *b, gsize nb);

/*
 * Each variant (GBytes, the attack's message: a datagram, or the TCP
 * stream split as the SCA's messages are) is a working exploit (it
 * verifies as the SCA with that message), the general filter matches it,
 * and it shares at most `max_common` consecutive bytes with the SCA's
 * message.  Logs the figures.
 */
void vg_check_variants(const VgGenResult *r, VgVerifier *v, const Sca *sca,
                       GPtrArray *variants, gsize max_common);

/* No benign message (GBytes) matches either filter. */
void vg_check_benign(const VgGenResult *r, GPtrArray *benign);

/*
 * Both of the above, with a warm verifier of the profile: the variants
 * (a GPtrArray of GBytes) and the benign messages.
 */
void vg_check_filter(const VgGenResult *r, const VgProfile *p,
                     const Sca *sca, GPtrArray *variants, gsize max_common,
                     GPtrArray *benign);

/* An empty array of messages (GBytes), for variants and benign ones. */
GPtrArray *vg_messages_new(void);

/* Generate from the SCA, logging the counts and times; asserts success. */
VgGenResult *vg_generate_logged(const VgProfile *p, const Sca *sca);

#endif
