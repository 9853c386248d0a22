/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of the Figure-1 attack datagram, without a guest: its
 * shape, and what Figure 1's copy loop does with it on a model of the
 * guest's stack frame.
 */
#include <string.h>

#include <glib.h>

#include "fig1-payload.h"
#include "layout.h"

/*
 * The worker stack from buf up to the top, as fig1_vulnerable() lays it
 * out (layout.h): buf[64], saved %ebp, return address, argument.
 */
typedef struct {
    guint8 bytes[TINY_FIG1_STACK_TOP - TINY_FIG1_BUF_ADDR];
} Frame;

/* Figure 1 on the model: returns the copied length, or -1. */
static int run_figure1(Frame *frame, const guint8 *netbuf)
{
    guint8 cl = netbuf[0];
    int eax = 0;

    if (cl != TINY_FIG1_MAGIC) {
        return -1;
    }
    do {
        frame->bytes[eax] = cl;
        cl = netbuf[eax + 1];
        eax++;
    } while (cl);
    frame->bytes[eax] = cl;
    return eax;
}

static guint32 read_le32(const guint8 *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (guint32)p[3] << 24;
}

static void test_attack_shape(void)
{
    guint8 msg[FIG1_ATTACK_LEN + 16];
    guint32 target = fig1_default_target();
    gsize len = fig1_build_attack(msg, target);

    g_assert_cmpuint(len, ==, FIG1_ATTACK_LEN);
    g_assert_cmpuint(msg[0], ==, TINY_FIG1_MAGIC);
    /* No zero byte before the terminator, which is the last byte. */
    g_assert_null(memchr(msg, 0, len - 1));
    g_assert_cmpuint(msg[len - 1], ==, 0);
    g_assert_cmpuint(read_le32(msg + FIG1_RET_ADDR_OFFSET), ==, target);
    /* The target lies in the copied buffer, past the 0x31 byte. */
    g_assert_cmpuint(target, >, TINY_FIG1_BUF_ADDR);
    g_assert_cmpuint(target, <, TINY_FIG1_BUF_ADDR + TINY_FIG1_BUF_SIZE);
    g_assert_cmpuint(msg[target - TINY_FIG1_BUF_ADDR], ==, 0x90);
    g_assert_nonnull(g_strstr_len((const char *)msg, len, TINY_MARK_PWNED));
}

static void test_attack_overwrites_return_address(void)
{
    guint8 msg[FIG1_ATTACK_LEN];
    Frame frame;
    guint8 *ret = frame.bytes + TINY_FIG1_RET_OFFSET;

    memset(&frame, 0xCC, sizeof(frame));
    /* What the guest's stack holds before the attack. */
    ret[0] = 0x34, ret[1] = 0x12, ret[2] = 0x10, ret[3] = 0x00;
    g_assert_cmpuint(fig1_build_attack(msg, fig1_default_target()), ==,
                     sizeof(msg));
    g_assert_cmpint(run_figure1(&frame, msg), ==, sizeof(msg) - 1);

    g_assert_cmpuint(read_le32(ret), ==, fig1_default_target());
    /* The copy stops right after the return address. */
    g_assert_cmpuint(frame.bytes[TINY_FIG1_RET_OFFSET + 4], ==, 0xCC);
}

static void test_attack_rejects_bad_targets(void)
{
    guint8 msg[FIG1_ATTACK_LEN];

    g_assert_cmpuint(fig1_build_attack(msg, 0x01EEEEB5), ==, 0);
    g_assert_cmpuint(fig1_build_attack(msg, 0x00EE00B5), ==, 0);
    g_assert_cmpuint(fig1_build_attack(msg, 0x0000EEB5), ==, 0);
    g_assert_cmpuint(fig1_build_attack(msg, 0x00EEEE00), ==, 0);
    g_assert_cmpuint(fig1_build_attack(msg, 0x00EEEEB5), ==, sizeof(msg));
}

static void test_benign_fits(void)
{
    guint8 msg[128];
    g_autofree char *longest = g_strnfill(TINY_FIG1_BUF_SIZE - 2, 'x');
    g_autofree char *too_long = g_strnfill(TINY_FIG1_BUF_SIZE - 1, 'x');
    Frame frame;

    memset(&frame, 0xCC, sizeof(frame));
    g_assert_cmpuint(fig1_build_benign(msg, sizeof(msg), longest), ==,
                     TINY_FIG1_BUF_SIZE);
    g_assert_cmpint(run_figure1(&frame, msg), ==, TINY_FIG1_BUF_SIZE - 1);
    g_assert_cmpuint(frame.bytes[TINY_FIG1_BUF_SIZE], ==, 0xCC);

    g_assert_cmpuint(fig1_build_benign(msg, sizeof(msg), too_long), ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/fig1-payload/attack-shape", test_attack_shape);
    g_test_add_func("/fig1-payload/overwrites-return-address",
                    test_attack_overwrites_return_address);
    g_test_add_func("/fig1-payload/rejects-bad-targets",
                    test_attack_rejects_bad_targets);
    g_test_add_func("/fig1-payload/benign-fits", test_benign_fits);
    return g_test_run();
}
