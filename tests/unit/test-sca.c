/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The SCA format (vigilante/sca.c, docs/sca-format.md): round trips of
 * each type, the JSON view, and rejection of truncated, corrupted,
 * oversized, wrong-version and otherwise malformed encodings.  Also built
 * with ASan and UBSan (tests/unit/meson.build).
 */
#include <glib.h>
#include <string.h>

#include "sca.h"
#include "wire.h"

static Sca *sample(ScaType type)
{
    static const uint8_t payload[72] = "1 this is not really shellcode";
    Sca *sca = sca_new(type, "tiny-fig1");

    memset(sca->digest, 0xab, sizeof(sca->digest));
    sca_add_message(sca, SCA_TRANSPORT_TCP, 5002, "LOGIN alice\n", 12);
    sca_add_message(sca, SCA_TRANSPORT_UDP, 4444, payload, sizeof(payload));
    sca->hint_message = 1;
    sca->hint_offset = 68;
    sca->hint_length = 4;
    if (type == SCA_TYPE_ACE) {
        sca->code_bits = 32;
    }
    if (type == SCA_TYPE_AFA) {
        sca->call = SCA_CALL_EXECVE;
        sca->call_arg = 0;
    }
    g_strlcpy(sca->generator, "test-sca", sizeof(sca->generator));
    sca->time = 1795640000;
    return sca;
}

static GBytes *encode(const Sca *sca)
{
    g_autoptr(GError) err = NULL;
    GBytes *b = sca_encode(sca, &err);

    g_assert_no_error(err);
    g_assert_nonnull(b);
    return b;
}

/* Decoding must fail, with a message containing `why` if given. */
static void assert_rejected(const uint8_t *p, size_t n, const char *why)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(Sca) sca = sca_decode(p, n, &err);

    g_assert_null(sca);
    g_assert_nonnull(err);
    g_assert_cmpstr(err->message, !=, "");
    if (why && !strstr(err->message, why)) {
        g_test_message("error: %s", err->message);
        g_assert_not_reached();
    }
}

static void test_roundtrip(gconstpointer data)
{
    ScaType type = GPOINTER_TO_INT(data);
    g_autoptr(Sca) sca = sample(type), back = NULL;
    g_autoptr(GBytes) b = encode(sca), again = NULL;
    g_autoptr(GError) err = NULL;
    size_t len;
    const uint8_t *p = g_bytes_get_data(b, &len);

    back = sca_decode(p, len, &err);
    g_assert_no_error(err);
    g_assert_cmpint(back->type, ==, type);
    g_assert_cmpstr(back->name, ==, "tiny-fig1");
    g_assert_cmpuint(back->messages->len, ==, 2);
    g_assert_cmpuint(sca_message(back, 0)->transport, ==, SCA_TRANSPORT_TCP);
    g_assert_cmpuint(sca_message(back, 1)->port, ==, 4444);
    g_assert_true(g_bytes_equal(sca_message(back, 1)->payload,
                                sca_message(sca, 1)->payload));
    g_assert_cmpuint(back->hint_offset, ==, 68);
    g_assert_cmpuint(back->time, ==, sca->time);
    again = encode(back);
    g_assert_true(g_bytes_equal(b, again));
    /* The size: payloads plus a small, fixed overhead. */
    g_test_message("%s SCA of 84 payload bytes: %zu bytes",
                   sca_type_name(type), len);
    g_assert_cmpuint(len, ==, 84 + 16 + 1 + 9 + 32 + 2 + 2 * 7 + 13 + 1 + 8 +
                     8);
}

static void test_truncated(void)
{
    g_autoptr(Sca) sca = sample(SCA_TYPE_AEC);
    g_autoptr(GBytes) b = encode(sca);
    size_t len;
    const uint8_t *p = g_bytes_get_data(b, &len);

    for (size_t n = 0; n < len; n++) {
        /* Heap copies of each prefix, so ASan sees any overread. */
        g_autofree uint8_t *copy = g_memdup2(p, n ? n : 1);

        assert_rejected(copy, n, n < SCA_HEADER_SIZE ? "truncated" : NULL);
    }
}

static void test_corrupted(void)
{
    g_autoptr(Sca) sca = sample(SCA_TYPE_ACE);
    g_autoptr(GBytes) b = encode(sca);
    size_t len;
    const uint8_t *p = g_bytes_get_data(b, &len);
    g_autofree uint8_t *copy = g_memdup2(p, len);

    /* Every single-bit flip anywhere is caught. */
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            copy[i] ^= 1 << bit;
            assert_rejected(copy, len, NULL);
            copy[i] ^= 1 << bit;
        }
    }
    copy[len - 1] ^= 0x40;
    assert_rejected(copy, len, "corrupted");
}

/* After editing a header: its checksum again (bytes 12-15). */
static void fix_crc(uint8_t *p, size_t len)
{
    uint32_t crc = wire_header_crc(p, len);

    for (int i = 0; i < 4; i++) {
        p[12 + i] = crc >> (8 * i);
    }
}

/*
 * Version 2 added WWW: the other types are still written as version 1
 * (readers of version 1 take them), a WWW SCA as version 2, and each is
 * read only in its version (one encoding per SCA: a decoded SCA
 * re-encodes to the same bytes).
 */
static void test_versions(void)
{
    g_autoptr(Sca) aec = sample(SCA_TYPE_AEC), www = sample(SCA_TYPE_WWW);
    g_autoptr(GBytes) a = encode(aec), w = encode(www);
    size_t alen = g_bytes_get_size(a), wlen = g_bytes_get_size(w);
    g_autofree uint8_t *ac = g_memdup2(g_bytes_get_data(a, NULL), alen);
    g_autofree uint8_t *wc = g_memdup2(g_bytes_get_data(w, NULL), wlen);
    g_autoptr(Sca) back = NULL, back2 = NULL;
    g_autoptr(GError) err = NULL;

    g_assert_cmpuint(ac[4], ==, 1);
    g_assert_cmpuint(wc[4], ==, 2);
    back = sca_decode(ac, alen, &err);
    g_assert_no_error(err);
    g_assert_cmpint(back->type, ==, SCA_TYPE_AEC);
    ac[4] = 2;
    fix_crc(ac, alen);
    assert_rejected(ac, alen, "written as version 1");
    wc[4] = 1;
    fix_crc(wc, wlen);
    assert_rejected(wc, wlen, "written as version 2");
    back2 = sca_decode(g_bytes_get_data(w, NULL), wlen, &err);
    g_assert_no_error(err);
    g_assert_cmpint(back2->type, ==, SCA_TYPE_WWW);
}

static void test_wrong_version(void)
{
    g_autoptr(Sca) sca = sample(SCA_TYPE_AEC);
    g_autoptr(GBytes) b = encode(sca);
    size_t len;
    const uint8_t *p = g_bytes_get_data(b, &len);
    g_autofree uint8_t *copy = g_memdup2(p, len);

    copy[4] = 3;
    assert_rejected(copy, len, "version 3");
    copy[4] = 0;
    assert_rejected(copy, len, "version 0");
    memcpy(copy, "VSCB", 4);
    assert_rejected(copy, len, "magic");
}

static void test_oversized(void)
{
    g_autoptr(Sca) sca = sca_new(SCA_TYPE_AEC, "big");
    g_autoptr(GError) err = NULL;
    g_autofree uint8_t *big = g_malloc0(SCA_MAX_SIZE + 64);
    g_autoptr(GBytes) b = NULL;

    /* An encoder refuses to make one. */
    for (int i = 0; i < 20; i++) {
        sca_add_message(sca, SCA_TRANSPORT_TCP, 80, big, 60000);
    }
    sca->hint_length = 1;
    b = sca_encode(sca, &err);
    g_assert_null(b);
    g_assert_nonnull(strstr(err->message, "allowed"));

    /* A decoder refuses to read one, whatever its header says. */
    memcpy(big, SCA_MAGIC, 4);
    big[4] = SCA_VERSION;
    big[5] = SCA_TYPE_AEC;
    big[8] = (SCA_MAX_SIZE + 64) & 0xff;
    big[9] = ((SCA_MAX_SIZE + 64) >> 8) & 0xff;
    big[10] = ((SCA_MAX_SIZE + 64) >> 16) & 0xff;
    assert_rejected(big, SCA_MAX_SIZE + 64, "oversized");
}

/* Alerts with invalid fields are refused (encoder and decoder share
 * the checks). */
static void spoil_hint(Sca *s) { s->hint_offset = 70; }
static void spoil_message(Sca *s) { s->hint_message = 2; }
static void spoil_name(Sca *s) { g_strlcpy(s->name, "a/b", sizeof(s->name)); }
static void spoil_port(Sca *s)
{
    ((ScaMessage *)g_ptr_array_index(s->messages, 0))->port = 0;
}
static void spoil_call(Sca *s) { s->call = SCA_CALL_EXECVE; }
static void spoil_bits(Sca *s) { s->code_bits = 32; }
static void spoil_pointer(Sca *s)
{
    s->type = SCA_TYPE_WWW;
    s->hint_length = 2;
}

static void test_validate(void)
{
    static const struct {
        void (*spoil)(Sca *s);
        const char *why;
    } cases[] = {
        { spoil_hint, "outside" },
        { spoil_message, "hint names message 2" },
        { spoil_name, "program name" },
        { spoil_port, "port 0" },
        { spoil_call, "only an AFA hint" },
        { spoil_bits, "only an ACE hint" },
        { spoil_pointer, "a WWW hint is a pointer" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(Sca) sca = sample(SCA_TYPE_AEC);
        g_autoptr(GError) err = NULL;
        g_autoptr(GBytes) b = NULL;

        cases[i].spoil(sca);
        b = sca_encode(sca, &err);
        g_assert_null(b);
        g_assert_nonnull(strstr(err->message, cases[i].why));
    }
}

static void test_random_garbage(void)
{
    GRand *rand = g_rand_new_with_seed(7);
    g_autoptr(Sca) sca = sample(SCA_TYPE_AEC);
    g_autoptr(GBytes) b = encode(sca);
    size_t len;
    const uint8_t *p = g_bytes_get_data(b, &len);

    for (int round = 0; round < 2000; round++) {
        size_t n = g_rand_int_range(rand, 0, 512);
        g_autofree uint8_t *buf = g_malloc(n ? n : 1);

        /* Half of them start like a real SCA. */
        for (size_t i = 0; i < n; i++) {
            buf[i] = round % 2 && i < len && i < 16 ? p[i]
                                                    : g_rand_int(rand);
        }
        assert_rejected(buf, n, NULL);
    }
    g_rand_free(rand);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_data_func("/sca/roundtrip/aec", GINT_TO_POINTER(SCA_TYPE_AEC),
                         test_roundtrip);
    g_test_add_data_func("/sca/roundtrip/ace", GINT_TO_POINTER(SCA_TYPE_ACE),
                         test_roundtrip);
    g_test_add_data_func("/sca/roundtrip/afa", GINT_TO_POINTER(SCA_TYPE_AFA),
                         test_roundtrip);
    g_test_add_data_func("/sca/roundtrip/www", GINT_TO_POINTER(SCA_TYPE_WWW),
                         test_roundtrip);
    g_test_add_func("/sca/reject/truncated", test_truncated);
    g_test_add_func("/sca/reject/corrupted", test_corrupted);
    g_test_add_func("/sca/reject/wrong-version", test_wrong_version);
    g_test_add_func("/sca/versions", test_versions);
    g_test_add_func("/sca/reject/oversized", test_oversized);
    g_test_add_func("/sca/reject/invalid-fields", test_validate);
    g_test_add_func("/sca/reject/random", test_random_garbage);
    return g_test_run();
}
