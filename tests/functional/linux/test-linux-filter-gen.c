/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Filter generation on the Linux guest.  From one SCA each of vg-udpd's
 * and vg-tcpd's stack overflows, vg-logind's multi-message login
 * exploit, vg-ctld's function-pointer overwrite and its AFA (the path it
 * executes in a forked child), the general filter
 * matches polymorphic variants (other filler, tag and name lengths,
 * sleds, code and return targets; other user names, note filler and
 * targets; other names and pointers; other programs and arguments), each
 * of which verifies as a working exploit while sharing few bytes with
 * the SCA's message; thousands of benign requests match neither filter.
 * Then a VM protected by the generated UDP filter (taint off,
 * filter-vigilante) answers benign requests, drops every variant (the
 * service keeps answering) and lets one in once the filter is gone.
 *
 * Guest: $VIGILANTE_LINUX_GUEST.  Arguments besides GTest's: none.
 */
#include <glib/gstdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "filter-gen-check.h"
#include "guest.h"
#include "host-util.h"
#include "linux-guest.h"
#include "payloads.h"
#include "replay.h"
#include "shellcode.h"
#include "snapshot.h"

#define VARIANTS            24
#define BENIGN              2000
#define BOOT_TIMEOUT_MS     90000
#define REPLY_TIMEOUT_MS    5000
#define UDP_HINT            (4 + VGL_UDP_RET_OFFSET)    /* 'V' 'G' op len */
#define UDP_PKT_MAX         2048
#define LOGIN_NOTE_LEN      32

static char *guest_dir, *work;
static VgProfile *profile;

static char *guest_file(const char *name)
{
    return g_build_filename(guest_dir, name, NULL);
}

/* A benign vg-udpd request: a short tag, op 1 or 2, a payload. */
static GBytes *udp_benign(GRand *rng)
{
    GByteArray *b = g_byte_array_new();
    guint8 tlen = g_rand_int_range(rng, 0, 33);
    guint8 hdr[4] = { 'V', 'G', g_rand_int_range(rng, 1, 3), tlen };
    int plen = g_rand_int_range(rng, 0, 400);

    g_byte_array_append(b, hdr, 4);
    for (int i = 0; i < tlen + plen; i++) {
        guint8 c = g_rand_int_range(rng, ' ', '~' + 1);

        g_byte_array_append(b, &c, 1);
    }
    return g_byte_array_free_to_bytes(b);
}

/* A benign vg-logind session's bytes. */
static GBytes *login_benign(GRand *rng)
{
    g_autofree char *s = g_strdup_printf(
        "%sLOGIN user%u " VGL_LOGIN_PASSWORD "\nNOTE %.*s\nQUIT\n",
        g_rand_boolean(rng) ? "TIME\n" : "HELLO\n",
        g_rand_int_range(rng, 0, 100000), g_rand_int_range(rng, 0, 31),
        "meeting at noon in the big room");

    return g_bytes_new(s, strlen(s));
}

/* A benign vg-ctld request: a hello with a short name, or a job. */
static GBytes *ctl_benign(GRand *rng)
{
    g_autofree char *s = NULL;

    if (g_rand_boolean(rng)) {
        s = g_strdup_printf("Hvisitor-%u", g_rand_int_range(rng, 0, 99999));
        return g_bytes_new(s, strlen(s) + 1);
    }
    s = g_strdup_printf("JOB nightly-%u\n", g_rand_int_range(rng, 0, 999));
    return g_bytes_new(s, strlen(s));
}

static void write_benign(const char *dir, GRand *rng)
{
    for (int i = 0; i < 100; i++) {
        g_autoptr(GBytes) c = ctl_benign(rng);
        g_autofree char *pc = g_strdup_printf("%s/udp-%d-%03d", dir,
                                              VGL_CTL_PORT, i);

        g_assert_true(g_file_set_contents(pc, g_bytes_get_data(c, NULL),
                                          g_bytes_get_size(c), NULL));
    }
    for (int i = 0; i < 100; i++) {
        g_autoptr(GBytes) u = udp_benign(rng), t = login_benign(rng);
        g_autofree char *pu = g_strdup_printf("%s/udp-%d-%03d", dir,
                                              VGL_UDP_PORT, i);
        g_autofree char *pt = g_strdup_printf("%s/tcp-%d-%03d", dir,
                                              VGL_LOGIN_PORT, i);

        g_assert_true(g_file_set_contents(pu, g_bytes_get_data(u, NULL),
                                          g_bytes_get_size(u), NULL));
        g_assert_true(g_file_set_contents(pt, g_bytes_get_data(t, NULL),
                                          g_bytes_get_size(t), NULL));
    }
}

static VgProfile *linux_profile(void)
{
    g_autoptr(GRand) rng = g_rand_new_with_seed(77);
    g_autofree char *benign = NULL, *service = NULL;

    if (profile) {
        return profile;
    }
    work = g_dir_make_tmp("vg-linux-filter-gen-XXXXXX", NULL);
    benign = g_build_filename(work, "benign", NULL);
    g_mkdir(benign, 0755);
    write_benign(benign, rng);
    service = g_strdup_printf("ports=udp:%d;tcp:%d;udp:%d;udp:%d;tcp:%d\n"
                              "benign=%s\n", VGL_UDP_PORT, VGL_TCP_PORT,
                              VGL_CTL_PORT, VGL_CTL32_PORT, VGL_LOGIN_PORT,
                              benign);
    profile = vg_linux_profile(work, service);
    return profile;
}

/* A one-message SCA of the guest's program. */
static Sca *message_sca(ScaType type, ScaTransport transport, guint16 port,
                        const void *msg, gsize len, guint32 hint_offset,
                        guint32 hint_length)
{
    Sca *sca = sca_new(type, "vg-linux");

    memcpy(sca->digest, linux_profile()->digest, sizeof(sca->digest));
    sca_add_message(sca, transport, port, msg, len);
    sca->hint_offset = hint_offset;
    sca->hint_length = hint_length;
    return sca;
}

/* The SCA of one of vg-linux-exploit's payloads (an 8-byte RIP hint). */
static Sca *exploit_sca(GByteArray *(*make)(const VglTarget *, GError **),
                        guint64 buf_addr, ScaTransport transport,
                        guint16 port, guint32 hint_offset)
{
    VglTarget t = { .buf_addr = buf_addr };
    g_autoptr(GError) err = NULL;
    g_autoptr(GByteArray) msg = make(&t, &err);

    g_assert_no_error(err);
    return message_sca(SCA_TYPE_AEC, transport, port, msg->data, msg->len,
                       hint_offset, 8);
}

static Sca *udp_sca(void)
{
    return exploit_sca(vgl_udp_exploit, VGL_UDP_PKT_ADDR, SCA_TRANSPORT_UDP,
                       VGL_UDP_PORT, UDP_HINT);
}

/* One-byte instructions that only touch flags: a sled no two alike. */
static void sled(GByteArray *b, int n, GRand *rng)
{
    static const guint8 ops[] = { 0x90, 0xf8, 0xf9, 0xf5, 0xfc };

    for (int i = 0; i < n; i++) {
        g_byte_array_append(b, &ops[g_rand_int_range(rng, 0, 5)], 1);
    }
}

/*
 * A vg-udpd variant: either op, a tag of 80 to 160 bytes (random filler
 * around the saved RIP at tag offset 72), a sled of 64 to 800 random
 * flag instructions, 48 random bytes of "code", and a return target
 * anywhere in the sled.  `code`, if given, is real shellcode instead.
 */
static GBytes *udp_variant(GRand *rng, const guint8 *code, gsize ncode)
{
    GByteArray *b = g_byte_array_new();
    guint8 tlen = g_rand_int_range(rng, 80, 161);
    guint8 hdr[4] = { 'V', 'G', g_rand_int_range(rng, 1, 3), tlen };
    int slen = g_rand_int_range(rng, 64, 801);
    guint64 target = VGL_UDP_PKT_ADDR + 4 + tlen +
                     g_rand_int_range(rng, 0, slen);
    guint64 le = GUINT64_TO_LE(target);

    g_byte_array_append(b, hdr, 4);
    for (int i = 0; i < tlen; i++) {
        guint8 c = g_rand_int_range(rng, 0, 256);

        g_byte_array_append(b, &c, 1);
    }
    memcpy(b->data + UDP_HINT, &le, 8);
    sled(b, slen, rng);
    for (int i = 0; i < 48 && !code; i++) {
        guint8 c = g_rand_int_range(rng, 0, 256);

        g_byte_array_append(b, &c, 1);
    }
    if (code) {
        g_byte_array_append(b, code, ncode);
    }
    g_assert_cmpuint(b->len, <=, UDP_PKT_MAX);
    return g_byte_array_free_to_bytes(b);
}

static void test_udp(void)
{
    g_autoptr(GRand) rng = g_rand_new_with_seed(5001);
    g_autoptr(Sca) sca = udp_sca();
    g_autoptr(VgGenResult) r = vg_generate_logged(linux_profile(), sca);
    g_autoptr(GPtrArray) variants = vg_messages_new();
    g_autoptr(GPtrArray) benign = vg_messages_new();

    /* The receive's result is the datagram's length in the filter. */
    g_assert_true(r->general->uses_len);
    for (int i = 0; i < VARIANTS; i++) {
        g_ptr_array_add(variants, udp_variant(rng, NULL, 0));
    }
    for (int i = 0; i < BENIGN; i++) {
        g_ptr_array_add(benign, udp_benign(rng));
    }
    /* "VG" and the tag length; sleds may share a few flag ops. */
    vg_check_filter(r, linux_profile(), sca, variants, 12, benign);
}

/* vg-tcpd: "NAME " and a name past its 32 bytes; the hint is RIP's 8. */
#define TCP_HINT            (5 + VGL_TCP_RET_OFFSET)

static Sca *tcp_sca(void)
{
    return exploit_sca(vgl_tcp_exploit, VGL_TCP_LINE_ADDR, SCA_TRANSPORT_TCP,
                       VGL_TCP_PORT, TCP_HINT);
}

static gboolean tcp_space(guint8 c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * A vg-tcpd variant: random filler that is not white space (where the
 * copy stops) before and after the saved RIP, a sled of 64 to 1000 flag
 * instructions, 48 random bytes of "code" with no newline, and a return
 * target anywhere in the sled whose bytes are not white space either.
 */
static GBytes *tcp_variant(GRand *rng)
{
    GByteArray *b = g_byte_array_new();
    int extra = g_rand_int_range(rng, 0, 9) * 8;
    int slen = g_rand_int_range(rng, 64, 1001);
    gsize sled_off = 5 + VGL_TCP_RET_OFFSET + 8 + extra + 1;
    guint64 target, le;

    g_byte_array_append(b, (const guint8 *)"NAME ", 5);
    for (int i = 0; i < VGL_TCP_RET_OFFSET + 8 + extra; i++) {
        guint8 c;

        do {
            c = g_rand_int_range(rng, 0, 256);
        } while (tcp_space(c));
        g_byte_array_append(b, &c, 1);
    }
    do {
        target = VGL_TCP_LINE_ADDR + sled_off +
                 g_rand_int_range(rng, 0, slen);
        le = GUINT64_TO_LE(target);
    } while (memchr(&le, ' ', 8) || memchr(&le, '\t', 8) ||
             memchr(&le, '\r', 8) || memchr(&le, '\n', 8));
    memcpy(b->data + TCP_HINT, &le, 8);
    g_byte_array_append(b, (const guint8 *)" ", 1);
    sled(b, slen, rng);
    for (int i = 0; i < 48; i++) {
        guint8 c;

        do {
            c = g_rand_int_range(rng, 0, 256);
        } while (c == '\n');
        g_byte_array_append(b, &c, 1);
    }
    g_byte_array_append(b, (const guint8 *)"\n", 1);
    return g_byte_array_free_to_bytes(b);
}

/* A benign vg-tcpd line: ECHO, SUM or a NAME that fits. */
static GBytes *tcp_benign(GRand *rng)
{
    g_autofree char *s = NULL;

    switch (g_rand_int_range(rng, 0, 3)) {
    case 0:
        s = g_strdup_printf("ECHO hello %u\n", g_rand_int(rng));
        break;
    case 1:
        s = g_strdup_printf("SUM %u %u %u\n", g_rand_int_range(rng, 0, 999),
                            g_rand_int_range(rng, 0, 999),
                            g_rand_int_range(rng, 0, 999));
        break;
    default:
        s = g_strdup_printf("NAME %.*s extra\n",
                            g_rand_int_range(rng, 1, 32),
                            "visitor-from-the-north-side-of-town");
        break;
    }
    return g_bytes_new(s, strlen(s));
}

static void test_tcp(void)
{
    g_autoptr(GRand) rng = g_rand_new_with_seed(5003);
    g_autoptr(Sca) sca = tcp_sca();
    g_autoptr(VgGenResult) r = vg_generate_logged(linux_profile(), sca);
    g_autoptr(GPtrArray) variants = vg_messages_new();
    g_autoptr(GPtrArray) benign = vg_messages_new();

    for (int i = 0; i < VARIANTS; i++) {
        g_ptr_array_add(variants, tcp_variant(rng));
    }
    for (int i = 0; i < BENIGN; i++) {
        g_ptr_array_add(benign, tcp_benign(rng));
    }
    /* "NAME "; sleds may share a few flag ops. */
    vg_check_filter(r, linux_profile(), sca, variants, 12, benign);
}

/*
 * vg-logind: TIME, a login, and a note longer than its 32-byte field
 * whose bytes 32..39 overwrite the show pointer; the hint is those 8.
 */
static GBytes *login_stream(GRand *rng, const char *user, guint64 target)
{
    GByteArray *b = g_byte_array_new();
    g_autofree char *head = g_strdup_printf(
        "TIME\nLOGIN %s " VGL_LOGIN_PASSWORD "\nNOTE ", user);
    guint64 le = GUINT64_TO_LE(target);

    g_byte_array_append(b, (const guint8 *)head, strlen(head));
    for (int i = 0; i < LOGIN_NOTE_LEN; i++) {
        guint8 c = rng ? g_rand_int_range(rng, ' ', '~' + 1) : 'N';

        g_byte_array_append(b, &c, 1);
    }
    g_byte_array_append(b, (const guint8 *)&le, 8);
    g_byte_array_append(b, (const guint8 *)"\n", 1);
    return g_byte_array_free_to_bytes(b);
}

/* A target whose bytes do not end the line (LF, CR). */
static guint64 login_target(GRand *rng)
{
    for (;;) {
        guint64 t = 0x10000 + g_rand_int_range(rng, 1, 0x7fffffff);
        guint64 le = GUINT64_TO_LE(t);

        if (!memchr(&le, '\n', 8) && !memchr(&le, '\r', 8)) {
            return t;
        }
    }
}

static Sca *login_sca(GBytes *stream)
{
    const guint8 *d = g_bytes_get_data(stream, NULL);
    gsize len = g_bytes_get_size(stream);
    gsize l1 = strlen("TIME\n");
    gsize l2 = strlen("LOGIN mallory " VGL_LOGIN_PASSWORD "\n");
    Sca *sca = sca_new(SCA_TYPE_AEC, "vg-linux");

    memcpy(sca->digest, linux_profile()->digest, sizeof(sca->digest));
    sca_add_message(sca, SCA_TRANSPORT_TCP, VGL_LOGIN_PORT, d, l1);
    sca_add_message(sca, SCA_TRANSPORT_TCP, VGL_LOGIN_PORT, d + l1, l2);
    sca_add_message(sca, SCA_TRANSPORT_TCP, VGL_LOGIN_PORT, d + l1 + l2,
                    len - l1 - l2);
    sca->hint_message = 2;
    sca->hint_offset = strlen("NOTE ") + LOGIN_NOTE_LEN;
    sca->hint_length = 8;
    return sca;
}

static void test_login(void)
{
    g_autoptr(GRand) rng = g_rand_new_with_seed(5006);
    g_autoptr(GBytes) stream = login_stream(NULL, "mallory",
                                            G_GUINT64_CONSTANT(0xdeadbeef));
    g_autoptr(Sca) sca = login_sca(stream);
    g_autoptr(VgGenResult) r = vg_generate_logged(linux_profile(), sca);
    g_autoptr(GPtrArray) variants = vg_messages_new();
    g_autoptr(GPtrArray) benign = vg_messages_new();

    for (int i = 0; i < VARIANTS; i++) {
        char user[8];

        for (int k = 0; k < 7; k++) {
            user[k] = g_rand_int_range(rng, 'a', 'z' + 1);
        }
        user[7] = '\0';
        g_ptr_array_add(variants, login_stream(rng, user,
                                               login_target(rng)));
    }
    for (int i = 0; i < BENIGN; i++) {
        g_ptr_array_add(benign, login_benign(rng));
    }
    /* What the path needs: "TIME\nLOGIN ", " wonderland\nNOTE ". */
    vg_check_filter(r, linux_profile(), sca, variants, 20, benign);
}

/* vg-ctld's 'H': a 24-byte name field, then the handler pointer. */
#define CTL_NAME_LEN        24

static void ctl_benign_set(GPtrArray *benign, GRand *rng)
{
    for (int i = 0; i < BENIGN; i++) {
        g_ptr_array_add(benign, ctl_benign(rng));
    }
}

/*
 * The function pointer: a name longer than its field overwrites the
 * handler, and the call goes there.  Variants: any 24 bytes of name,
 * any target (the request's length is what the copy's length is).
 */
static void test_fnptr(void)
{
    g_autoptr(GRand) rng = g_rand_new_with_seed(5004);
    guint8 req[1 + CTL_NAME_LEN + 8];
    guint64 le = GUINT64_TO_LE(G_GUINT64_CONSTANT(0xdeadbeef));
    g_autoptr(Sca) sca = NULL;
    g_autoptr(VgGenResult) r = NULL;
    g_autoptr(GPtrArray) variants = vg_messages_new();
    g_autoptr(GPtrArray) benign = vg_messages_new();

    req[0] = 'H';
    memset(req + 1, 'A', CTL_NAME_LEN);
    memcpy(req + 1 + CTL_NAME_LEN, &le, 8);
    sca = message_sca(SCA_TYPE_AEC, SCA_TRANSPORT_UDP, VGL_CTL_PORT, req,
                      sizeof(req), 1 + CTL_NAME_LEN, 8);
    r = vg_generate_logged(linux_profile(), sca);
    for (int i = 0; i < VARIANTS; i++) {
        for (gsize k = 1; k < sizeof(req); k++) {
            req[k] = g_rand_int_range(rng, 0, 256);
        }
        g_ptr_array_add(variants, g_bytes_new(req, sizeof(req)));
    }
    ctl_benign_set(benign, rng);
    /* 'H' and a few bytes by chance */
    vg_check_filter(r, linux_profile(), sca, variants, 4, benign);
}

/*
 * AFA: 'X' path '\0' arg '\0' has the service fork and execute the path
 * it was sent (the trap is in the child's execve; the conditions are
 * those of the parent that parsed the request).  Variants: op 'X' or 'Y'
 * (the raw-syscall exec, which the generaliser finds by replay), any
 * path and any argument of the SCA's lengths (offsets are fixed: see
 * docs/filter-generation.md).
 */
#define AFA_PATH            "/bin/busybox"
#define AFA_ARG             "echo"

static void test_afa(void)
{
    g_autoptr(GRand) rng = g_rand_new_with_seed(5014);
    const gsize plen = strlen(AFA_PATH), alen = strlen(AFA_ARG);
    gsize n = 1 + plen + 1 + alen + 1;
    g_autofree guint8 *req = g_malloc0(n);
    g_autoptr(Sca) sca = NULL;
    g_autoptr(VgGenResult) r = NULL;
    g_autoptr(GPtrArray) variants = vg_messages_new();
    g_autoptr(GPtrArray) benign = vg_messages_new();

    req[0] = 'X';
    memcpy(req + 1, AFA_PATH, plen);
    memcpy(req + 1 + plen + 1, AFA_ARG, alen);
    sca = message_sca(SCA_TYPE_AFA, SCA_TRANSPORT_UDP, VGL_CTL_PORT, req, n,
                      1, plen + 1);
    sca->call = SCA_CALL_EXECVE;
    r = vg_generate_logged(linux_profile(), sca);
    for (int i = 0; i < VARIANTS; i++) {
        memset(req, 0, n);
        req[0] = i % 2 ? 'X' : 'Y';
        req[1] = '/';
        for (gsize k = 2; k < 1 + plen; k++) {
            req[k] = g_rand_int_range(rng, 1, 256);
        }
        for (gsize k = 1 + plen + 1; k < n - 1; k++) {
            req[k] = g_rand_int_range(rng, 1, 256);
        }
        g_ptr_array_add(variants, g_bytes_new(req, n));
    }
    ctl_benign_set(benign, rng);
    /* the op and "/", or a NUL and a byte by chance */
    vg_check_filter(r, linux_profile(), sca, variants, 3, benign);
}

/* A protected VM: taint off, the generated UDP filter on its NIC. */
static void test_udp_protected(void)
{
    g_autoptr(GRand) rng = g_rand_new_with_seed(5002);
    g_autoptr(Sca) sca = udp_sca();
    g_autoptr(VgGenResult) r = NULL;
    g_autoptr(GBytes) enc = NULL;
    g_autoptr(GByteArray) code = g_byte_array_new();
    g_autofree char *vmlinux = guest_file("vmlinux");
    g_autofree char *initrd = guest_file("initramfs.cpio.gz");
    g_autofree char *netdev = NULL, *fpath = NULL, *cmd = NULL;
    g_autofree char *reply = NULL;
    guint16 port = vg_free_port(TRUE);
    g_autoptr(GError) err = NULL;
    VgGuest *g;

    r = vg_generate_logged(linux_profile(), sca);
    enc = vf_encode(r->general, &err);
    g_assert_no_error(err);
    fpath = g_build_filename(work, "udp.vf", NULL);
    g_assert_true(g_file_set_contents(fpath, g_bytes_get_data(enc, NULL),
                                      g_bytes_get_size(enc), NULL));
    g_assert_true(vgl_shellcode_append(code, VGL_MARK_PWNED_UDP));
    netdev = g_strdup_printf("user,id=n0,hostfwd=udp:127.0.0.1:%u-"
                             VGL_GUEST_IP ":%u", port, VGL_UDP_PORT);
    {
        const char *args[] = {
            "-m", "256", "-no-reboot", "-kernel", vmlinux, "-initrd", initrd,
            "-append", VGL_KERNEL_CMDLINE, "-netdev", netdev,
            "-device", "virtio-net-pci,netdev=n0,romfile=",
            "-object", "filter-vigilante,id=g0,netdev=n0",
            "-accel", "tcg,taint=off", NULL,
        };
        g = vg_guest_start(args, VGL_MARK_READY, BOOT_TIMEOUT_MS);
    }
    cmd = g_strdup_printf("{\"execute\": \"vigilante-filter-add\", "
                          "\"arguments\": {\"id\": \"gen\", "
                          "\"filename\": \"%s\"}}", fpath);
    reply = vg_qmp_command(g->qmp, cmd, REPLY_TIMEOUT_MS);
    g_assert_nonnull(strstr(reply, "\"return\""));

    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 8; i++) {
            g_autoptr(GBytes) m = udp_variant(rng, code->data, code->len);
            g_autoptr(GBytes) b = udp_benign(rng);
            char buf[4096];

            g_assert_cmpint(vg_udp_exchange(port, g_bytes_get_data(m, NULL),
                                            g_bytes_get_size(m), NULL, 0, 0),
                            ==, 0);
            /* The service is alive: the variant never reached it. */
            g_assert_cmpint(vg_udp_exchange_retry(
                port, g_bytes_get_data(b, NULL), g_bytes_get_size(b), buf,
                sizeof(buf), 500, REPLY_TIMEOUT_MS), >, 0);
        }
    }
    g_assert_false(vg_vm_wait_serial(g->vm, VGL_MARK_PWNED_UDP, 500));
    for (int i = 0; i < 300; i++) {
        g_autoptr(GBytes) b = udp_benign(rng);
        char buf[4096];

        g_assert_cmpint(vg_udp_exchange_retry(
            port, g_bytes_get_data(b, NULL), g_bytes_get_size(b), buf,
            sizeof(buf), 500, REPLY_TIMEOUT_MS), >, 0);
    }
    g_test_message("24 variants dropped, 324 benign requests answered");

    /* Without the filter a variant lands: they are real exploits. */
    g_free(reply);
    reply = vg_qmp_command(g->qmp, "{\"execute\": \"vigilante-filter-del\", "
                           "\"arguments\": {\"id\": \"gen\"}}",
                           REPLY_TIMEOUT_MS);
    g_assert_nonnull(strstr(reply, "\"return\""));
    {
        g_autoptr(GBytes) m = udp_variant(rng, code->data, code->len);

        g_assert_cmpint(vg_udp_exchange(port, g_bytes_get_data(m, NULL),
                                        g_bytes_get_size(m), NULL, 0, 0),
                        ==, 0);
    }
    g_assert_true(vg_vm_wait_serial(g->vm, VGL_MARK_PWNED_UDP,
                                    REPLY_TIMEOUT_MS));
    vg_guest_stop(g);
}

/* query-vigilante-idle's answer, as an object. */
static JsonObject *idle_info(VgProfileVm *vm, JsonNode **keep)
{
    g_autoptr(GError) err = NULL;

    g_clear_pointer(keep, json_node_unref);
    *keep = vg_qmp_execute(vm->qmp, "query-vigilante-idle", NULL,
                           REPLY_TIMEOUT_MS, &err);
    g_assert_no_error(err);
    g_assert_true(JSON_NODE_HOLDS_OBJECT(*keep));
    return json_node_get_object(*keep);
}

static VgGuestFrames guest_frames(VgProfileVm *vm)
{
    VgGuestFrames f;

    g_assert_true(vg_guest_frames(vm, &f));
    return f;
}

/*
 * Polls as a settling replay does (the sleep first, then the guard's
 * last frame) until every vCPU sleeps, since after @after and after the
 * last guest-bound frame; returns since when.
 */
static gint64 wait_asleep(VgProfileVm *vm, gint64 after)
{
    gint64 deadline = g_get_monotonic_time() + REPLY_TIMEOUT_MS * 1000LL;

    while (g_get_monotonic_time() < deadline) {
        g_autoptr(GError) err = NULL;
        gint64 since = vg_guest_asleep_since(vm, &err);

        g_assert_no_error(err);
        if (since > after && since >= guest_frames(vm).last_frame_us) {
            return since;
        }
        g_usleep(5000);
    }
    g_assert_not_reached();
}

/* A login session whose password is wrong: the note is refused. */
static GBytes *login_refused(void)
{
    g_autoptr(GBytes) s = login_stream(NULL, "mallory",
                                       G_GUINT64_CONSTANT(0xdeadbeef));
    gsize len = g_bytes_get_size(s);
    guint8 *d = g_memdup2(g_bytes_get_data(s, NULL), len);
    guint8 *pw = (guint8 *)g_strstr_len((char *)d, len, VGL_LOGIN_PASSWORD);

    g_assert_nonnull(pw);
    pw[0] ^= 0x20;
    return g_bytes_new_take(d, len);
}

/*
 * What settling replays rest on (docs/verification.md, "settle"): a
 * restored Linux guest sleeps once idle (query-vigilante-idle: every
 * vCPU halted); a login session wakes it, and after the answer it sleeps
 * again, since after the last frame that reached it (the answers
 * guard's last-frame-us), having counted the session's bytes; the time
 * it was awake grew.  Stopped, it is not running.  A settling verifier
 * that rewinds judges a refused login as soon as the guest slept, and
 * still verifies the exploit on the same VMs after it.  A VM with taint
 * on (one thread runs the vCPUs in turn) sleeps too.
 */
static void test_asleep(void)
{
    const VgProfile *p = linux_profile();
    g_autoptr(GError) err = NULL;
    g_autoptr(VgProfileVm) vm = vg_snapshot_vm_spawn(p, vg_qemu_path(),
                                                    &err);
    g_autoptr(GRand) rng = g_rand_new_with_seed(5007);
    g_autoptr(GBytes) session = login_benign(rng);
    g_autoptr(GBytes) refused = login_refused();
    g_autoptr(Sca) exploit = login_sca(login_stream(
        NULL, "mallory", G_GUINT64_CONSTANT(0xdeadbeef)));
    g_autoptr(Sca) no_login = login_sca(refused);
    g_autoptr(JsonNode) keep = NULL;
    VgGuestFrames before, after;
    VgVerifier *vf;
    gint64 t0, slept, awake0;
    unsigned port = 0;
    char buf[512];
    int fd;

    g_assert_no_error(err);
    g_assert_true(vg_snapshot_vm_restored(vm, p, &err));
    g_assert_no_error(err);
    for (guint i = 0; i < p->ports->len; i++) {
        if (g_array_index(p->ports, VgProfilePort, i).port ==
            VGL_LOGIN_PORT) {
            port = g_array_index(vm->host_ports, unsigned, i);
        }
    }
    g_assert_cmpuint(port, !=, 0);
    g_assert_false(json_object_get_boolean_member(idle_info(vm, &keep),
                                                  "running"));
    g_assert_true(vg_profile_vm_run(vm, "cont", NULL, &err));
    t0 = wait_asleep(vm, 0);
    awake0 = json_object_get_int_member(idle_info(vm, &keep), "awake-us");
    before = guest_frames(vm);

    fd = vg_loopback_tcp_connect(port, 5);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(send(fd, g_bytes_get_data(session, NULL),
                         g_bytes_get_size(session), MSG_NOSIGNAL), ==,
                    g_bytes_get_size(session));
    g_assert_cmpint(recv(fd, buf, sizeof(buf), 0), >, 0);
    close(fd);
    /* It woke for the session and slept after its last frame (FIN). */
    slept = wait_asleep(vm, t0);
    after = guest_frames(vm);
    g_test_message("asleep since %" G_GINT64_FORMAT " us, last frame %"
                   G_GINT64_FORMAT " us after the idle guest's", slept - t0,
                   after.last_frame_us - t0);
    g_assert_cmpint(after.last_frame_us, >, t0);
    g_assert_cmpuint(after.tcp_to_guest, >=,
                     before.tcp_to_guest + g_bytes_get_size(session));
    g_assert_cmpint(json_object_get_int_member(idle_info(vm, &keep),
                                               "awake-us"), >, awake0);
    g_assert_true(vg_profile_vm_run(vm, "stop", NULL, &err));
    g_assert_false(json_object_get_boolean_member(idle_info(vm, &keep),
                                                  "running"));

    /* Taint on, one thread runs the vCPUs in turn: it says so too. */
    g_clear_pointer(&vm, vg_profile_vm_free);
    vm = vg_snapshot_vm_spawn_tainted(p, vg_qemu_path(),
                                      "filter-vigilante,id=" VG_ANSWERS_GUARD
                                      ",netdev=n0", &err);
    g_assert_no_error(err);
    g_assert_true(vg_snapshot_vm_restored(vm, p, &err));
    g_assert_true(vg_profile_vm_run(vm, "cont", NULL, &err));
    wait_asleep(vm, 0);

    vf = vg_verifier_new(p, vg_qemu_path());
    vg_verifier_set_rewind(vf, true);
    vg_verifier_set_settle(vf, VG_GEN_SETTLE_MS);
    g_assert_true(vg_verifier_wait_ready(vf, &err));
    for (int i = 0; i < 3; i++) {
        VgVerdict v = vg_verifier_verify(vf, no_login, REPLY_TIMEOUT_MS);

        g_test_message("refused login: %s (%.0f ms)", v.reason, v.total_ms);
        g_assert_cmpint(v.kind, ==, VG_VERDICT_NOT_VERIFIED);
        g_assert_nonnull(strstr(v.reason, "(it slept after the messages)"));
        vg_verdict_clear(&v);
        v = vg_verifier_verify(vf, exploit, REPLY_TIMEOUT_MS);
        g_assert_cmpint(v.kind, ==, VG_VERDICT_VERIFIED);
        vg_verdict_clear(&v);
    }
    vg_verifier_free(vf);
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    guest_dir = g_strdup(g_getenv("VIGILANTE_LINUX_GUEST"));
    g_assert_nonnull(guest_dir);
    g_test_add_func("/linux-filter-gen/udp", test_udp);
    g_test_add_func("/linux-filter-gen/tcp", test_tcp);
    g_test_add_func("/linux-filter-gen/login", test_login);
    g_test_add_func("/linux-filter-gen/fnptr", test_fnptr);
    g_test_add_func("/linux-filter-gen/afa", test_afa);
    g_test_add_func("/linux-filter-gen/udp-protected", test_udp_protected);
    g_test_add_func("/linux-filter-gen/asleep", test_asleep);
    ret = g_test_run();
    if (work) {
        vg_dir_remove(work);
    }
    return ret;
}
