/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Filter generation on the tiny guest (Figure 1): from one SCA of the
 * attack, the general filter matches 24 polymorphic variants (other
 * filler, other code, other return targets into the buffer), each of
 * which verifies, while sharing only a few bytes with the SCA's message
 * (so a byte signature of the SCA would miss them); 2000 benign lines
 * match neither filter; the specific filter's conditions come from the
 * service's code, not the network stack's (header bytes are outside the
 * message).  And the run service's ACE: from one SCA, the general filter
 * matches 24 requests with other code of other lengths, each of which
 * verifies, and no benign request.  Arguments besides GTest's: none.
 */
#include <glib/gstdio.h>
#include <string.h>

#include "fig1-payload.h"
#include "run-payload.h"
#include "filter-gen-check.h"
#include "guest.h"
#include "host-util.h"
#include "snapshot.h"

#define VARIANTS    24
#define BENIGN      2000
#define FIG1_BUF    64      /* the overflowed buffer */

static char *work;
static VgProfile *profile;

static void write_benign(const char *dir, GRand *rng)
{
    for (int i = 0; i < 200; i++) {
        g_autofree char *path = g_strdup_printf("%s/udp-4444-%03d", dir, i);
        g_autofree char *text = g_strnfill(g_rand_int_range(rng, 0, 60),
                                           'a' + i % 26);
        guint8 out[256];
        gsize n = fig1_build_benign(out, sizeof(out), text);

        g_assert_true(g_file_set_contents(path, (const char *)out, n, NULL));
    }
}

static VgProfile *tiny_profile(GRand *rng)
{
    g_autofree char *elf = vg_build_file("tests/guests/tiny/tiny-guest.elf");
    g_autofree char *benign = g_build_filename(work, "benign", NULL);
    g_autofree char *text = NULL, *path = NULL;
    g_autoptr(GError) err = NULL;
    VgProfile *p;
    double secs;

    g_mkdir(benign, 0755);
    write_benign(benign, rng);
    text = g_strdup_printf(
        "[program]\nname=tiny-fig1\n[vm]\nkernel=%s\nmemory=32\nnic=e1000\n"
        "taint-kernel=all\n[service]\nports=udp:4444;udp:7;udp:4446\n"
        "ready-marker=VG-READY\nbenign=%s\n[snapshot]\npath=%s/snapshot\n",
        elf, benign, work);
    path = g_build_filename(work, "tiny.profile", NULL);
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    p = vg_profile_load(path, &err);
    g_assert_no_error(err);
    g_assert_true(vg_snapshot_make(p, vg_qemu_path(), &secs, &err));
    g_assert_no_error(err);
    return p;
}

static guint8 nonzero(GRand *rng)
{
    return g_rand_int_range(rng, 1, 256);
}

/*
 * A variant: the command byte, then 67 random non-zero bytes (another
 * sled, other code, other saved registers) and a return target anywhere
 * in the buffer with no zero byte but the top one.
 */
static GBytes *variant(GRand *rng)
{
    guint32 buf = fig1_default_target() - 9;
    guint8 m[FIG1_ATTACK_LEN];
    guint32 target;

    do {
        target = buf + g_rand_int_range(rng, 1, FIG1_BUF - 8);
    } while (!(target & 0xff) || !(target & 0xff00) || !(target & 0xff0000));
    m[0] = '1';
    for (int i = 1; i < FIG1_RET_ADDR_OFFSET; i++) {
        m[i] = nonzero(rng);
    }
    m[FIG1_RET_ADDR_OFFSET] = target;
    m[FIG1_RET_ADDR_OFFSET + 1] = target >> 8;
    m[FIG1_RET_ADDR_OFFSET + 2] = target >> 16;
    m[FIG1_RET_ADDR_OFFSET + 3] = 0;
    return g_bytes_new(m, sizeof(m));
}

static void test_fig1(void)
{
    g_autoptr(GRand) rng = g_rand_new_with_seed(1201);
    VgProfile *p = profile;
    g_autoptr(Sca) sca = NULL;
    g_autoptr(VgGenResult) r = NULL;
    g_autoptr(GPtrArray) variants = vg_messages_new();
    g_autoptr(GPtrArray) benign = vg_messages_new();
    guint8 attack[FIG1_ATTACK_LEN];

    g_assert_cmpuint(fig1_build_attack(attack, fig1_default_target()), ==,
                     FIG1_ATTACK_LEN);
    sca = sca_new(SCA_TYPE_AEC, "tiny-fig1");
    memcpy(sca->digest, p->digest, sizeof(sca->digest));
    sca_add_message(sca, SCA_TRANSPORT_UDP, 4444, attack, sizeof(attack));
    sca->hint_message = 0;
    sca->hint_offset = FIG1_RET_ADDR_OFFSET;
    sca->hint_length = 4;

    r = vg_generate_logged(p, sca);
    /* The service's tests only: the network stack's read header bytes. */
    g_assert_cmpuint(r->stats.outside, >, 0);
    for (guint i = 0; i < r->specific_conds->len; i++) {
        const VgGenCondition *c = &g_array_index(r->specific_conds,
                                                 VgGenCondition, i);

        g_assert_cmpuint(c->end, <=, FIG1_ATTACK_LEN);
    }
    /* Figure 1's path: the command byte and the copy up to the NUL. */
    g_assert_cmpint(vf_eval(r->general, attack, sizeof(attack), true), ==,
                    VF_MATCH);
    attack[0] = '2';
    g_assert_cmpint(vf_eval(r->general, attack, sizeof(attack), true), ==,
                    VF_NO_MATCH);
    attack[0] = '1';
    attack[30] = 0;             /* the copy stops short of the target */
    g_assert_cmpint(vf_eval(r->general, attack, sizeof(attack), true), ==,
                    VF_NO_MATCH);

    for (int i = 0; i < VARIANTS; i++) {
        g_ptr_array_add(variants, variant(rng));
    }

    for (int i = 0; i < BENIGN; i++) {
        g_autofree char *text = NULL;
        guint8 out[256];
        int n = g_rand_int_range(rng, 0, FIG1_BUF - 1);
        char *t = g_malloc(n + 1);

        for (int k = 0; k < n; k++) {
            t[k] = g_rand_int_range(rng, ' ', '~' + 1);
        }
        t[n] = '\0';
        text = t;
        g_ptr_array_add(benign, g_bytes_new(out, fig1_build_benign(
                                                out, sizeof(out), text)));
    }
    /* '1', the zero at the end and at most two bytes of the target. */
    vg_check_filter(r, p, sca, variants, 4, benign);
}

#define RUN_PORT    4446
#define RUN_HINT    12      /* the code's first bytes: the verifier's jump */

/* A run request: 'X' and 12 to 120 random bytes of "code". */
static GBytes *run_variant(GRand *rng)
{
    guint8 m[1 + 120];
    int n = g_rand_int_range(rng, RUN_HINT, 121);

    m[0] = 'X';
    for (int i = 1; i <= n; i++) {
        m[i] = g_rand_int_range(rng, 0, 256);
    }
    return g_bytes_new(m, 1 + n);
}

/*
 * ACE: the run service calls the code it was sent.  What the path needs
 * is the 'X' and the code's bytes; the code itself is the attacker's.
 */
static void test_ace(void)
{
    g_autoptr(GRand) rng = g_rand_new_with_seed(1202);
    g_autoptr(Sca) sca = sca_new(SCA_TYPE_ACE, "tiny-fig1");
    g_autoptr(VgGenResult) r = NULL;
    g_autoptr(GPtrArray) variants = vg_messages_new();
    g_autoptr(GPtrArray) benign = vg_messages_new();
    guint8 attack[RUN_ATTACK_MAX];
    gsize len = run_build_attack(attack);

    memcpy(sca->digest, profile->digest, sizeof(sca->digest));
    sca_add_message(sca, SCA_TRANSPORT_UDP, RUN_PORT, attack, len);
    sca->code_bits = 32;
    sca->hint_offset = 1;
    sca->hint_length = RUN_HINT;
    r = vg_generate_logged(profile, sca);
    for (int i = 0; i < VARIANTS; i++) {
        g_ptr_array_add(variants, run_variant(rng));
    }
    for (int i = 0; i < BENIGN; i++) {
        char text[64];
        int n = g_rand_int_range(rng, 0, sizeof(text));

        for (int k = 0; k < n; k++) {
            do {
                text[k] = g_rand_int_range(rng, ' ', '~' + 1);
            } while (k == 0 && (text[k] == 'X' || text[k] == 'P'));
        }
        g_ptr_array_add(benign, g_bytes_new(text, n));
    }
    /* 'X' and a few random bytes by chance */
    vg_check_filter(r, profile, sca, variants, 4, benign);
}

int main(int argc, char **argv)
{
    g_autoptr(GRand) rng = g_rand_new_with_seed(1200);
    int status;

    g_test_init(&argc, &argv, NULL);
    work = g_dir_make_tmp("vg-filter-gen-XXXXXX", NULL);
    profile = tiny_profile(rng);
    g_test_add_func("/filter-gen/fig1", test_fig1);
    g_test_add_func("/filter-gen/ace", test_ace);
    status = g_test_run();
    g_clear_pointer(&profile, vg_profile_free);
    vg_dir_remove(work);
    g_free(work);
    return status;
}
