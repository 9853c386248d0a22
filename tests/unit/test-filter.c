/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The filter format (vigilante/filter.c, filter-text.c,
 * docs/filter-format.md): the text form compiled and printed back, every
 * operation's meaning, the undecided cases of stream prefixes, compile
 * errors with their line and column, and rejection of truncated,
 * corrupted and otherwise malformed encodings (each with a checksum that
 * fits, so the field checks themselves are reached).  Also built with
 * ASan and UBSan (tests/unit/meson.build).
 */
#include <glib.h>
#include <string.h>

#include "filter.h"
#include "filter-text.h"
#include "wire.h"

#define FIG1 \
    "# Figure 1: a long first line overflows the 64-byte buffer\n" \
    "program tiny-fig1\n" \
    "digest abababababababababababababababababababababababababababababababab\n" \
    "scope udp 4444\n" \
    "generator test-filter\n" \
    "require u8[0] == '1' && len > 68\n" \
    "let w = le32[64] ^ be32[64]\n" \
    "require (w & 0xff) != 7\n"

static VfFilter *compile(const char *text)
{
    g_autoptr(GError) err = NULL;
    VfFilter *f = vf_compile(text, &err);

    if (!f) {
        g_test_message("compile: %s\n%s", err->message, text);
    }
    g_assert_no_error(err);
    g_assert_nonnull(f);
    return f;
}

static GBytes *encode(VfFilter *f)
{
    g_autoptr(GError) err = NULL;
    GBytes *b = vf_encode(f, &err);

    g_assert_no_error(err);
    g_assert_nonnull(b);
    return b;
}

static VfVerdict eval_text(const char *cond, const void *msg, size_t len,
                           bool complete)
{
    g_autofree char *text = g_strdup_printf("program t\nscope udp 1\n"
                                            "require %s\n", cond);
    g_autoptr(VfFilter) f = compile(text);

    return vf_eval(f, msg, len, complete);
}

/* ---- the text form and round trips --------------------------------------- */

static void test_roundtrip(void)
{
    g_autoptr(VfFilter) f = compile(FIG1);
    g_autoptr(GBytes) enc = encode(f);
    g_autoptr(GError) err = NULL;
    g_autoptr(VfFilter) back = vf_decode(g_bytes_get_data(enc, NULL),
                                         g_bytes_get_size(enc), &err);
    g_autofree char *text = NULL, *text_back = NULL;
    g_autoptr(VfFilter) again = NULL;
    g_autoptr(GBytes) enc_again = NULL;

    g_assert_no_error(err);
    g_assert_cmpstr(back->name, ==, "tiny-fig1");
    g_assert_cmpint(back->transport, ==, VF_TRANSPORT_UDP);
    g_assert_cmpuint(back->port, ==, 4444);
    g_assert_cmpuint(back->digest[31], ==, 0xab);
    g_assert_cmpstr(back->generator, ==, "test-filter");
    g_assert_cmpuint(back->conditions->len, ==, 3);
    g_assert_cmpuint(back->read_end, ==, 68);

    /* The printed text compiles to the very same encoding. */
    text = vf_to_text(back);
    g_test_message("%s", text);
    again = compile(text);
    enc_again = encode(again);
    g_assert_true(g_bytes_equal(enc, enc_again));
    text_back = vf_to_text(again);
    g_assert_cmpstr(text, ==, text_back);
}

/* The Figure-1 filter on its exploit and on benign requests. */
static void test_fig1_eval(void)
{
    g_autoptr(VfFilter) f = compile(FIG1);
    uint8_t msg[72];

    memset(msg, 'A', sizeof(msg));
    msg[0] = '1';
    g_assert_cmpint(vf_eval(f, msg, sizeof(msg), true), ==, VF_MATCH);
    /* A different return address still matches: not a byte signature. */
    memcpy(msg + 64, "\x10\x20\x30\x40", 4);
    g_assert_cmpint(vf_eval(f, msg, sizeof(msg), true), ==, VF_MATCH);
    /* Short requests and other commands pass. */
    g_assert_cmpint(vf_eval(f, msg, 20, true), ==, VF_NO_MATCH);
    msg[0] = '2';
    g_assert_cmpint(vf_eval(f, msg, sizeof(msg), true), ==, VF_NO_MATCH);
    /* le32 ^ be32 of equal bytes is 0: the third condition fails on it. */
    msg[0] = '1';
    memcpy(msg + 64, "\x07\x00\x00\x07", 4);
    g_assert_cmpint(vf_eval(f, msg, sizeof(msg), true), ==, VF_MATCH);
    memcpy(msg + 64, "\x07\x00\x00\x00", 4);
    g_assert_cmpint(vf_eval(f, msg, sizeof(msg), true), ==, VF_NO_MATCH);
}

/* ---- each operation -------------------------------------------------------- */

static void test_operations(void)
{
    static const uint8_t m[] = {
        0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x80, 0xff,
    };
    static const char *const hold[] = {
        "u8[0] == 1", "u8[9] == 255",
        "le16[0] == 0x0201", "be16[0] == 0x0102",
        "le32[0] == 0x04030201", "be32[0] == 0x01020304",
        "le64[0] == 0x0807060504030201", "be64[0] == 0x0102030405060708",
        "be16[8] == 0x80ff", "len == 10",
        "sext8(u8[8]) == 0xffffffffffffff80", "zext8(0x1ff) == 0xff",
        "sext16(be16[8]) == 0xffffffffffff80ff", "zext16(0x12345) == 0x2345",
        "sext32(0x80000000) == 0xffffffff80000000",
        "zext32(0x123456789) == 0x23456789", "zext64(5) == 5",
        "sext64(5) == 5",
        "~0 == 0xffffffffffffffff", "-1 == 0xffffffffffffffff",
        "0 - 1 == 0xffffffffffffffff", "0xffffffffffffffff + 2 == 1",
        "3 * 5 == 15", "0x100000000 * 0x100000000 == 0",
        "(12 & 10) == 8", "(12 | 10) == 14", "(12 ^ 10) == 6",
        "1 << 63 == 0x8000000000000000", "1 << 64 == 1",
        "0x8000000000000000 >> 63 == 1",
        "0x8000000000000000 >>s 63 == 0xffffffffffffffff",
        "1 != 2", "1 < 2", "2 <= 2", "3 > 2", "2 >= 2",
        "0xffffffffffffffff > 1", "0xffffffffffffffff <s 1",
        "-2 <=s -2", "1 >s -1", "-1 >=s -1",
        "1 + 2 * 3 == 7", "(1 + 2) * 3 == 9", "1 | 2 ^ 3 & 1 == 3", "(1 | 2) ^ 3 == 0",
        "'A' == 65", "'\\n' == 10", "'\\x7f' == 127", "'\\'' == 39",
        "'\\\\' == 92", "'\\0' == 0",
        "u8[1] - u8[0] == 1 && u8[2] == 3",
    };
    static const char *const fail[] = {
        "u8[0] == 2", "1 > 2", "(0xffffffffffffffff <s 0) == 0", "1 << 1 == 1",
        "len != 10", "2 <s 1", "-1 >s 0",
    };

    for (gsize i = 0; i < G_N_ELEMENTS(hold); i++) {
        VfVerdict v = eval_text(hold[i], m, sizeof(m), true);

        if (v != VF_MATCH) {
            g_test_message("does not hold: %s", hold[i]);
        }
        g_assert_cmpint(v, ==, VF_MATCH);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(fail); i++) {
        VfVerdict v = eval_text(fail[i], m, sizeof(m), true);

        if (v != VF_NO_MATCH) {
            g_test_message("holds: %s", fail[i]);
        }
        g_assert_cmpint(v, ==, VF_NO_MATCH);
    }
}

/* ---- prefixes of a stream -------------------------------------------------- */

static void test_prefix(void)
{
    static const uint8_t m[8] = "ABCDEFGH";

    /* A load past a datagram's end: false; past a prefix: undecided. */
    g_assert_cmpint(eval_text("u8[7] == 'H'", m, 4, true), ==, VF_NO_MATCH);
    g_assert_cmpint(eval_text("u8[7] == 'H'", m, 4, false), ==,
                    VF_UNDECIDED);
    g_assert_cmpint(eval_text("u8[7] == 'H'", m, 8, false), ==, VF_MATCH);
    g_assert_cmpint(eval_text("u8[7] == 'X'", m, 8, false), ==,
                    VF_NO_MATCH);
    /* Even a != past the end does not hold. */
    g_assert_cmpint(eval_text("u8[7] != 'X'", m, 4, true), ==, VF_NO_MATCH);
    /* A decided false condition wins over an undecided one. */
    g_assert_cmpint(eval_text("u8[0] == 'Z' && u8[7] == 'H'", m, 4, false),
                    ==, VF_NO_MATCH);
    g_assert_cmpint(eval_text("u8[0] == 'A' && u8[7] == 'H'", m, 4, false),
                    ==, VF_UNDECIDED);
    /* LEN on a prefix: false now may hold later. */
    g_assert_cmpint(eval_text("len > 6", m, 4, false), ==, VF_UNDECIDED);
    g_assert_cmpint(eval_text("len > 6", m, 8, false), ==, VF_MATCH);
    g_assert_cmpint(eval_text("len > 6", m, 4, true), ==, VF_NO_MATCH);
    /* An empty message. */
    g_assert_cmpint(eval_text("len == 0", m, 0, true), ==, VF_MATCH);
    g_assert_cmpint(eval_text("u8[0] == 0", NULL, 0, true), ==,
                    VF_NO_MATCH);
}

/* ---- compile errors -------------------------------------------------------- */

static void test_compile_errors(void)
{
    static const struct {
        const char *text, *why;
    } bad[] = {
        { "scope udp 1\nrequire 1\n", "program line" },
        { "program t\nrequire 1\n", "scope line" },
        { "program t\nscope udp 1\n", "require line" },
        { "program t\nscope udp 1\nrequire 1\nfrobnicate 3\n",
          "line 4, column 1: unknown statement" },
        { "program t\nscope sctp 1\nrequire 1\n", "tcp or udp" },
        { "program t\nscope udp 0\nrequire 1\n", "port 0" },
        { "program t\nscope udp 65536\nrequire 1\n", "port 65536" },
        { "program t\nscope udp 1\nscope tcp 2\nrequire 1\n", "one scope" },
        { "program t\nprogram u\nscope udp 1\nrequire 1\n", "one program" },
        { "program t/u\nscope udp 1\nrequire 1\n", "unexpected text" },
        { "program t\ndigest 12\nscope udp 1\nrequire 1\n", "64 hex" },
        { "program t\nscope udp 1\nrequire u8[65536] == 0\n",
          "line 3, column 12: offset 65536" },
        { "program t\nscope udp 1\nrequire le64[65529] == 0\n",
          "offset 65529" },
        { "program t\nscope udp 1\nrequire u8[1\n", "expected ']'" },
        { "program t\nscope udp 1\nrequire u8 == 0\n", "expected '['" },
        { "program t\nscope udp 1\nrequire (1 == 1\n", "expected ')'" },
        { "program t\nscope udp 1\nrequire 0x\n", "bad number" },
        { "program t\nscope udp 1\nrequire 12ab\n", "bad number" },
        { "program t\nscope udp 1\nrequire 18446744073709551616\n",
          "out of range" },
        { "program t\nscope udp 1\nrequire 'ab'\n", "unterminated" },
        { "program t\nscope udp 1\nrequire '\\q'\n", "unknown escape" },
        { "program t\nscope udp 1\nrequire '\\x4'\n", "two hexadecimal" },
        { "program t\nscope udp 1\nrequire nosuch == 1\n", "unknown name" },
        { "program t\nscope udp 1\nrequire 1 == 1 == 1\n",
          "unexpected text" },
        { "program t\nscope udp 1\nrequire 1 +\n", "expected an expression" },
        { "program t\nscope udp 1\nlet a = 1\nlet a = 2\nrequire a\n",
          "already defined" },
        { "program t\nscope udp 1\nlet len = 1\nrequire 1\n",
          "already defined" },
        { "program t\nscope udp 1\nlet u8 = 1\nrequire 1\n", "is a load" },
        { "program t\nscope udp 1\nlet 9a = 1\nrequire 1\n",
          "starting with a letter" },
        { "program t\nscope udp 1\nlet a 1\nrequire 1\n", "expected '='" },
        { "program t\nscope udp 1\nrequire sext8 u8[0]\n", "expected '('" },
        { "program t\nscope udp 1\nrequire 1 \x01\n", "printable ASCII" },
        { "program t\nscope udp 1\nrequire 1 \xc3\xa9\n", "printable ASCII" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) err = NULL;
        g_autoptr(VfFilter) f = vf_compile(bad[i].text, &err);

        g_assert_null(f);
        g_assert_nonnull(err);
        if (!strstr(err->message, bad[i].why)) {
            g_test_message("text:\n%s\nerror: %s\nwanted: %s", bad[i].text,
                           err->message, bad[i].why);
            g_assert_not_reached();
        }
    }
}

/* Depth, node and condition limits, and linear printing of shared nodes. */
static void test_limits(void)
{
    g_autoptr(GString) deep = g_string_new("program t\nscope udp 1\n"
                                           "let a0 = u8[0]\n");
    g_autoptr(GString) wide = g_string_new("program t\nscope udp 1\n");
    g_autoptr(GString) many = g_string_new("program t\nscope udp 1\n");
    g_autoptr(GError) err = NULL;
    g_autoptr(VfFilter) ok = NULL;
    g_autoptr(VfFilter) f = NULL;
    g_autofree char *text = NULL;
    char msg[1] = { 1 };

    /* a_k = a_{k-1} + a_{k-1}: depth k + 1, value 2^k; the comparison
     * with a62 is at the deepest allowed, 64. */
    for (int k = 1; k < VF_MAX_DEPTH - 1; k++) {
        g_string_append_printf(deep, "let a%d = a%d + a%d\n", k, k - 1,
                               k - 1);
    }
    g_string_append(deep, "require a62 == 0x4000000000000000\n");
    ok = compile(deep->str);
    g_assert_cmpint(vf_eval(ok, (uint8_t *)msg, 1, true), ==, VF_MATCH);
    /* Printed back with bindings: linear, not 2^63 long. */
    text = vf_to_text(ok);
    g_assert_cmpuint(strlen(text), <, 8192);
    g_clear_pointer(&ok, vf_free);
    ok = compile(text);
    g_assert_cmpint(vf_eval(ok, (uint8_t *)msg, 1, true), ==, VF_MATCH);

    /* One more level is too deep (the comparison is depth 65). */
    g_string_append(deep, "let a63 = a62 + a62\nrequire a63 == 0\n");
    f = vf_compile(deep->str, &err);
    g_assert_null(f);
    g_assert_nonnull(strstr(err->message, "depth"));
    g_clear_error(&err);

    /* Deep nesting is refused, not recursed into until the stack ends. */
    {
        g_autofree char *opens = g_strnfill(100000, '(');
        g_autofree char *tildes = g_strnfill(100000, '~');
        g_autofree char *t1 = g_strdup_printf("program t\nscope udp 1\n"
                                              "require %s1\n", opens);
        g_autofree char *t2 = g_strdup_printf("program t\nscope udp 1\n"
                                              "require %s1\n", tildes);

        f = vf_compile(t1, &err);
        g_assert_null(f);
        g_assert_nonnull(strstr(err->message, "nested more than"));
        g_clear_error(&err);
        f = vf_compile(t2, &err);
        g_assert_null(f);
        g_assert_nonnull(strstr(err->message, "nested more than"));
        g_clear_error(&err);
    }

    /* Unused names do not count: not read, not kept. */
    {
        g_autoptr(VfFilter) pruned = compile(
            "program t\nscope udp 1\nlet far = u8[60000]\n"
            "let n = len\nrequire u8[0] == 1\n");

        g_assert_cmpuint(pruned->read_end, ==, 1);
        g_assert_false(pruned->uses_len);
        g_assert_cmpuint(pruned->nodes->len, ==, 3);
    }
    /* A signed operator's 's' does not eat the name after it. */
    {
        g_autoptr(VfFilter) sh = compile(
            "program t\nscope udp 1\nlet shift = 3\nlet size = 9\n"
            "require (16 >>shift) == 2 && len <size\n");
        uint8_t one = 0;

        g_assert_cmpint(vf_eval(sh, &one, 1, true), ==, VF_MATCH);
    }

    /* 4097 distinct nodes. */
    for (int k = 0; k < VF_MAX_NODES / 2 + 1; k++) {
        g_string_append_printf(wide, "let c%d = %d + 1\n", k, k + 1000000);
    }
    g_string_append(wide, "require 1\n");
    f = vf_compile(wide->str, &err);
    g_assert_null(f);
    g_assert_nonnull(strstr(err->message, "nodes"));
    g_clear_error(&err);

    /* 1025 distinct conditions. */
    for (int k = 0; k <= VF_MAX_CONDITIONS; k++) {
        g_string_append_printf(many, "require u8[%d] != 0\n", k);
    }
    f = vf_compile(many->str, &err);
    g_assert_null(f);
    g_assert_nonnull(strstr(err->message, "conditions"));
}

/* ---- the decoder ----------------------------------------------------------- */

static void assert_rejected(const uint8_t *p, size_t n, const char *why)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(VfFilter) f = vf_decode(p, n, &err);

    g_assert_null(f);
    g_assert_nonnull(err);
    if (why && !strstr(err->message, why)) {
        g_test_message("error: %s, wanted: %s", err->message, why);
        g_assert_not_reached();
    }
}

/* A mutable copy of the encoding with its checksum refreshed. */
static void refresh(GByteArray *b)
{
    wire_set_u32(b, 12, wire_header_crc(b->data, b->len));
}

static GByteArray *fig1_bytes(void)
{
    g_autoptr(VfFilter) f = compile(FIG1);
    g_autoptr(GBytes) enc = encode(f);
    GByteArray *b = g_byte_array_new();

    g_byte_array_append(b, g_bytes_get_data(enc, NULL),
                        g_bytes_get_size(enc));
    return b;
}

/* Where the node list starts: header, name, digest, transport, port. */
#define NODES_AT(namelen) (16 + 1 + (namelen) + 32 + 1 + 2)

static void test_decode_rejects(void)
{
    g_autoptr(GByteArray) good = fig1_bytes();
    const size_t nodes = NODES_AT(strlen("tiny-fig1"));

    /* Every proper prefix, every single bit flip. */
    for (size_t n = 0; n < good->len; n++) {
        assert_rejected(good->data, n, NULL);
    }
    for (size_t i = 0; i < good->len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            good->data[i] ^= 1 << bit;
            assert_rejected(good->data, good->len, NULL);
            good->data[i] ^= 1 << bit;
        }
    }

#define MUTATE(at, value, why) \
    do { \
        g_autoptr(GByteArray) b = fig1_bytes(); \
        b->data[(at)] = (value); \
        refresh(b); \
        assert_rejected(b->data, b->len, (why)); \
    } while (0)

    MUTATE(0, 'X', "bad magic");
    MUTATE(4, 2, "version 2");
    MUTATE(5, 1, "flags");
    MUTATE(7, 1, "flags");
    MUTATE(16, 0, "name length 0");
    MUTATE(16, 200, "program name");
    MUTATE(17, '/', "letters, digits");
    MUTATE(17, 0, "zero byte");
    MUTATE(nodes - 3, 1, "transport 1");
    {
        g_autoptr(GByteArray) b = fig1_bytes();

        b->data[nodes - 2] = b->data[nodes - 1] = 0;
        refresh(b);
        assert_rejected(b->data, b->len, "port 0");
    }
    MUTATE(nodes, 0, "node count 0");
    MUTATE(nodes + 1, 0x80, "(1 to 4096)");
    /* The first node is u8[0]: op 3, width 1, offset 0. */
    MUTATE(nodes + 2, 99, "unknown operation 99");
    MUTATE(nodes + 3, 3, "width 3");
    MUTATE(nodes + 3, 0, "needs a width");
    MUTATE(nodes + 6, 1, "reads past");     /* offset 65536 */

    /* A forward reference: the second node (const '1') made an add of
     * node 1 and node 5. */
    {
        g_autoptr(GByteArray) b = fig1_bytes();
        static const uint8_t add_forward[] = { 16, 1, 0, 5, 0 };

        /* const is op + 8 bytes; replace it by add (5 bytes) + 4 pad. */
        g_assert_cmpuint(b->data[nodes + 8], ==, VF_OP_CONST);
        memcpy(b->data + nodes + 8, add_forward, sizeof(add_forward));
        refresh(b);
        assert_rejected(b->data, b->len, NULL);
    }
    /* Trailing bytes. */
    {
        g_autoptr(GByteArray) b = fig1_bytes();

        g_byte_array_append(b, (const uint8_t *)"x", 1);
        wire_set_u32(b, 8, b->len);
        refresh(b);
        assert_rejected(b->data, b->len, "after the last field");
    }
    /* The header's length must match. */
    {
        g_autoptr(GByteArray) b = fig1_bytes();

        wire_set_u32(b, 8, b->len + 1);
        refresh(b);
        assert_rejected(b->data, b->len, "truncated");
        wire_set_u32(b, 8, VF_MAX_SIZE + 1);
        refresh(b);
        assert_rejected(b->data, b->len, "oversized");
    }
#undef MUTATE
}

/* Filters built directly: what the compiler never makes, the validator
 * still refuses. */
static void test_validate(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(VfFilter) f = vf_new("t", VF_TRANSPORT_TCP, 80);
    VfNode self = { .op = VF_OP_ADD, .a = 0, .b = 0 };
    VfNode c = { .op = VF_OP_CONST, .imm = 1, .offset = 4 };

    vf_add_node(f, &self);
    vf_add_condition(f, 0);
    g_assert_false(vf_validate(f, &err));
    g_assert_nonnull(strstr(err->message, "not an earlier node"));
    g_clear_error(&err);

    g_array_set_size(f->nodes, 0);
    vf_add_node(f, &c);
    g_assert_false(vf_validate(f, &err));
    g_assert_nonnull(strstr(err->message, "takes no offset"));
    g_clear_error(&err);

    g_array_set_size(f->nodes, 0);
    c.offset = 0;
    vf_add_node(f, &c);
    g_array_index(f->conditions, uint16_t, 0) = 1;
    g_assert_false(vf_validate(f, &err));
    g_assert_nonnull(strstr(err->message, "names node 1"));
    g_clear_error(&err);

    g_array_index(f->conditions, uint16_t, 0) = 0;
    g_assert_true(vf_validate(f, &err));
    g_strlcpy(f->generator, "tab\there", sizeof(f->generator));
    g_assert_false(vf_validate(f, &err));
    g_assert_nonnull(strstr(err->message, "printable"));
}

/* Random bytes after a valid header never crash the decoder. */
static void test_random(void)
{
    GRand *r = g_rand_new_with_seed(20261204);

    for (int i = 0; i < 20000; i++) {
        g_autoptr(GByteArray) b = fig1_bytes();
        int flips = g_rand_int_range(r, 1, 8);

        for (int k = 0; k < flips; k++) {
            b->data[g_rand_int_range(r, 16, b->len)] = g_rand_int(r);
        }
        if (g_rand_boolean(r)) {
            g_byte_array_set_size(b, g_rand_int_range(r, 16, b->len));
            wire_set_u32(b, 8, b->len);
        }
        refresh(b);
        {
            g_autoptr(GError) err = NULL;
            g_autoptr(VfFilter) f = vf_decode(b->data, b->len, &err);

            g_assert_true((f == NULL) != (err == NULL));
            if (f) {
                uint8_t msg[80] = { '1' };

                vf_eval(f, msg, sizeof(msg), g_rand_boolean(r));
            }
        }
    }
    g_rand_free(r);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/filter/roundtrip", test_roundtrip);
    g_test_add_func("/filter/fig1-eval", test_fig1_eval);
    g_test_add_func("/filter/operations", test_operations);
    g_test_add_func("/filter/prefix", test_prefix);
    g_test_add_func("/filter/compile-errors", test_compile_errors);
    g_test_add_func("/filter/limits", test_limits);
    g_test_add_func("/filter/decode-rejects", test_decode_rejects);
    g_test_add_func("/filter/validate", test_validate);
    g_test_add_func("/filter/random", test_random);
    return g_test_run();
}
