/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The agents' frame decoder (agent/frame.c): every frame type round
 * trips, whole or a byte at a time, several to a read; and what an
 * attacker with a valid certificate could send instead (bad magic,
 * another version, unknown types, lengths beyond a type's limit, payloads
 * of the wrong shape, control bytes meant for our logs, garbage) is
 * refused with a reason, without waiting for the bytes it announces, and
 * the decoder stays refused.
 */
#include <string.h>

#include "frame.h"
#include "sca.h"

static GBytes *concat(GBytes *a, GBytes *b)
{
    GByteArray *r = g_byte_array_new();

    g_byte_array_append(r, g_bytes_get_data(a, NULL), g_bytes_get_size(a));
    g_byte_array_append(r, g_bytes_get_data(b, NULL), g_bytes_get_size(b));
    return g_byte_array_free_to_bytes(r);
}

/* Decode exactly one frame from `wire`, fed `chunk` bytes at a time. */
static void decode_one(GBytes *wire, size_t chunk, VgaFrame *out)
{
    g_autoptr(VgaDecoder) d = vga_decoder_new();
    g_autoptr(GError) err = NULL;
    size_t n;
    const uint8_t *p = g_bytes_get_data(wire, &n);
    int r = 0;

    for (size_t off = 0; off < n; off += chunk) {
        g_assert_cmpint(r, ==, 0);
        vga_decoder_feed(d, p + off, MIN(chunk, n - off));
        r = vga_decoder_next(d, out, &err);
        g_assert_no_error(err);
        if (r == 0) {
            g_assert_cmpuint(vga_decoder_pending(d), ==, off + MIN(chunk, n - off));
        }
    }
    g_assert_cmpint(r, ==, 1);
    g_assert_cmpuint(vga_decoder_pending(d), ==, 0);
}

static void test_round_trip(void)
{
    uint8_t digests[3 * VGA_DIGEST_SIZE];
    g_autoptr(GBytes) sca = g_bytes_new_static("\x01\x02\x03", 3);
    static const size_t chunks[] = { 1, 3, 7, 4096 };

    for (size_t i = 0; i < sizeof(digests); i++) {
        digests[i] = i * 7;
    }
    for (size_t c = 0; c < G_N_ELEMENTS(chunks); c++) {
        g_autoptr(GBytes) hello = vga_frame_hello("host-1.example");
        g_autoptr(GBytes) sf = vga_frame_sca(sca);
        g_autoptr(GBytes) have = vga_frame_digests(VGA_FRAME_HAVE, digests, 3);
        g_autoptr(GBytes) want = vga_frame_digests(VGA_FRAME_WANT, digests, 1);
        g_autoptr(GBytes) bye = vga_frame_close(VGA_CLOSE_PENALISED,
                                                "3 SCAs did not verify");
        VgaFrame f;

        decode_one(hello, chunks[c], &f);
        g_assert_cmpint(f.type, ==, VGA_FRAME_HELLO);
        g_assert_cmpstr(f.name, ==, "host-1.example");
        vga_frame_clear(&f);

        decode_one(sf, chunks[c], &f);
        g_assert_cmpint(f.type, ==, VGA_FRAME_SCA);
        g_assert_true(g_bytes_equal(f.payload, sca));
        vga_frame_clear(&f);

        decode_one(have, chunks[c], &f);
        g_assert_cmpint(f.type, ==, VGA_FRAME_HAVE);
        g_assert_cmpuint(f.ndigests, ==, 3);
        g_assert_cmpmem(f.digests, 3 * VGA_DIGEST_SIZE, digests,
                        sizeof(digests));
        vga_frame_clear(&f);

        decode_one(want, chunks[c], &f);
        g_assert_cmpint(f.type, ==, VGA_FRAME_WANT);
        g_assert_cmpuint(f.ndigests, ==, 1);
        vga_frame_clear(&f);

        decode_one(bye, chunks[c], &f);
        g_assert_cmpint(f.type, ==, VGA_FRAME_CLOSE);
        g_assert_cmpint(f.reason, ==, VGA_CLOSE_PENALISED);
        g_assert_cmpstr(f.reason_text, ==, "3 SCAs did not verify");
        g_assert_cmpstr(vga_close_reason_name(f.reason), ==, "penalised");
        vga_frame_clear(&f);
    }
}

/* Several frames in one read come out one by one, in order. */
static void test_pipelined(void)
{
    g_autoptr(GBytes) a = vga_frame_hello("a");
    g_autoptr(GBytes) sca = g_bytes_new_static("xyz", 3);
    g_autoptr(GBytes) b = vga_frame_sca(sca);
    g_autoptr(GBytes) c = vga_frame_close(VGA_CLOSE_NORMAL, NULL);
    g_autoptr(GBytes) ab = concat(a, b);
    g_autoptr(GBytes) abc = concat(ab, c);
    g_autoptr(VgaDecoder) d = vga_decoder_new();
    static const VgaFrameType want[] = {
        VGA_FRAME_HELLO, VGA_FRAME_SCA, VGA_FRAME_CLOSE,
    };
    VgaFrame f;

    vga_decoder_feed(d, g_bytes_get_data(abc, NULL), g_bytes_get_size(abc));
    for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
        g_assert_cmpint(vga_decoder_next(d, &f, NULL), ==, 1);
        g_assert_cmpint(f.type, ==, want[i]);
        vga_frame_clear(&f);
    }
    g_assert_cmpint(vga_decoder_next(d, &f, NULL), ==, 0);
}

typedef struct {
    const char *what;
    const char *bytes;
    size_t len;
    const char *reason;         /* a substring of the error */
} BadCase;

#define B(s) s, sizeof(s) - 1

static void test_refused(void)
{
    static const BadCase cases[] = {
        { "bad magic at once", B("X"), "bad magic" },
        { "bad second magic byte", B("VX"), "bad magic" },
        { "another version", B("VG\x02"), "protocol version 2" },
        { "version 0", B("VG\x00"), "protocol version 0" },
        { "unknown type 0", B("VG\x01\x00"), "unknown frame type 0" },
        { "unknown type 6", B("VG\x01\x06"), "unknown frame type 6" },
        { "unknown type 255", B("VG\x01\xff"), "unknown frame type 255" },
        /* Lengths beyond a type's limit, refused before the payload. */
        { "2 GiB SCA", B("VG\x01\x02\x80\x00\x00\x00"), "at most" },
        { "SCA past 1 MiB", B("VG\x01\x02\x00\x10\x00\x01"), "at most" },
        { "4 GiB - 1 have", B("VG\x01\x03\xff\xff\xff\xff"), "at most" },
        { "have of 1025 digests", B("VG\x01\x03\x00\x00\x80\x20"),
          "at most" },
        { "long hello", B("VG\x01\x01\x00\x00\x00\x43"), "at most" },
        { "long close", B("VG\x01\x05\x00\x00\x01\x03"), "at most" },
        /* Payloads of the wrong shape. */
        { "empty SCA", B("VG\x01\x02\x00\x00\x00\x00"), "sca: empty" },
        { "empty have", B("VG\x01\x03\x00\x00\x00\x00"), "digests" },
        { "have of 31 bytes",
          B("VG\x01\x03\x00\x00\x00\x1f" "0123456789012345678901234567890"),
          "digests" },
        { "hello without a name", B("VG\x01\x01\x00\x00\x00\x02\x00\x00"),
          "no name" },
        { "hello with flags", B("VG\x01\x01\x00\x00\x00\x03\x00\x01" "a"),
          "unknown flags" },
        { "hello name with a newline",
          B("VG\x01\x01\x00\x00\x00\x06\x00\x00" "ab\ncd"), "printable" },
        { "hello name with an escape",
          B("VG\x01\x01\x00\x00\x00\x05\x00\x00" "\x1b[2J"), "printable" },
        { "hello name with a NUL",
          B("VG\x01\x01\x00\x00\x00\x04\x00\x00" "a\0b"), "printable" },
        { "close without a code", B("VG\x01\x05\x00\x00\x00\x01\x00"),
          "no reason code" },
        { "close reason with a newline",
          B("VG\x01\x05\x00\x00\x00\x04\x00\x01" "a\n"), "printable" },
        { "close reason in UTF-8",
          B("VG\x01\x05\x00\x00\x00\x04\x00\x01" "\xc3\xa9"), "printable" },
        { "TLS record sent in the clear", B("\x16\x03\x01\x02\x00"),
          "bad magic" },
        { "HTTP", B("GET / HTTP/1.1\r\n"), "bad magic" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(VgaDecoder) d = vga_decoder_new();
        g_autoptr(GError) err = NULL;
        g_autoptr(GError) err2 = NULL;
        VgaFrame f;
        g_autoptr(GBytes) ok = vga_frame_hello("after");

        g_test_message("%s", cases[i].what);
        vga_decoder_feed(d, cases[i].bytes, cases[i].len);
        g_assert_cmpint(vga_decoder_next(d, &f, &err), ==, -1);
        g_assert_nonnull(err);
        g_test_message("  -> %s", err->message);
        g_assert_nonnull(strstr(err->message, cases[i].reason));
        /* Refused for good: a valid frame after it is not taken. */
        vga_decoder_feed(d, g_bytes_get_data(ok, NULL), g_bytes_get_size(ok));
        g_assert_cmpint(vga_decoder_next(d, &f, &err2), ==, -1);
        g_assert_cmpuint(vga_decoder_pending(d), ==, 0);
    }
}

/* A truncated frame is not a frame: it stays pending. */
static void test_truncated(void)
{
    g_autoptr(GBytes) sca = g_bytes_new_static("0123456789", 10);
    g_autoptr(GBytes) wire = vga_frame_sca(sca);
    size_t n;
    const uint8_t *p = g_bytes_get_data(wire, &n);

    for (size_t cut = 0; cut < n; cut++) {
        g_autoptr(VgaDecoder) d = vga_decoder_new();
        VgaFrame f;

        vga_decoder_feed(d, p, cut);
        g_assert_cmpint(vga_decoder_next(d, &f, NULL), ==, 0);
        g_assert_cmpuint(vga_decoder_pending(d), ==, cut);
    }
}

/*
 * Random bytes, and random mutations of valid streams: never a crash,
 * every refusal with a reason, every frame within its type's limit.
 */
static void test_garbage(void)
{
    GRand *rng = g_rand_new_with_seed(20261206);
    g_autoptr(GBytes) sca = g_bytes_new_static("abcdef", 6);
    g_autoptr(GBytes) h = vga_frame_hello("peer");
    g_autoptr(GBytes) s = vga_frame_sca(sca);
    g_autoptr(GBytes) valid = concat(h, s);
    unsigned frames = 0, refused = 0;

    for (int iter = 0; iter < 20000; iter++) {
        g_autoptr(VgaDecoder) d = vga_decoder_new();
        size_t n = g_rand_int_range(rng, 0, 200);
        uint8_t *buf;
        int r;

        if (iter % 2) {
            const uint8_t *v = g_bytes_get_data(valid, &n);

            buf = g_memdup2(v, n);
            for (int k = g_rand_int_range(rng, 1, 4); k > 0; k--) {
                buf[g_rand_int_range(rng, 0, n)] = g_rand_int(rng);
            }
        } else {
            buf = g_malloc(n + 1);
            for (size_t i = 0; i < n; i++) {
                buf[i] = g_rand_int(rng);
            }
            if (n >= 3 && iter % 4 == 0) {
                memcpy(buf, "VG\x01", 3);       /* past the magic */
            }
        }
        vga_decoder_feed(d, buf, n);
        for (;;) {
            g_autoptr(GError) err = NULL;
            VgaFrame f;

            r = vga_decoder_next(d, &f, &err);
            if (r <= 0) {
                if (r < 0) {
                    g_assert_nonnull(err);
                    g_assert_cmpstr(err->message, !=, "");
                    refused++;
                }
                break;
            }
            frames++;
            g_assert_cmpuint(g_bytes_get_size(f.payload), <=,
                             vga_frame_max_payload(f.type));
            vga_frame_clear(&f);
        }
        g_free(buf);
    }
    g_test_message("%u frames decoded, %u streams refused", frames, refused);
    g_assert_cmpuint(frames, >, 0);
    g_assert_cmpuint(refused, >, 0);
    g_rand_free(rng);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/agent-frame/round-trip", test_round_trip);
    g_test_add_func("/agent-frame/pipelined", test_pipelined);
    g_test_add_func("/agent-frame/refused", test_refused);
    g_test_add_func("/agent-frame/truncated", test_truncated);
    g_test_add_func("/agent-frame/garbage", test_garbage);
    return g_test_run();
}
