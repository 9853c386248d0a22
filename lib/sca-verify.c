/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Ready snapshots and SCA verification (sca-verify.h).
 *
 * Snapshots are migration streams (exec:cat), restored with -incoming and
 * -S; the verifier's VM runs with taint tracking off, its user-mode NIC
 * restricted (restrict=on: the guest can reach nothing; only our host
 * forwards reach it), and the verifier's trap (QMP vigilante-verify-arm)
 * armed on the nonce before the guest runs.
 */
#include "sca-verify.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "host-util.h"
#include "json-views.h"
#include "profile-vm.h"
#include "qmp-client.h"

#define QMP_TIMEOUT_MS 10000

char *vg_find_qemu(const char *given)
{
    g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
    g_autofree char *dir = self ? g_path_get_dirname(self) : NULL;
    const char *env = g_getenv("VIGILANTE_QEMU");

    if (given) {
        return g_strdup(given);
    }
    if (env && env[0]) {
        return g_strdup(env);
    }
    if (dir) {
        /* build/host/contrib/vigilante/vigilante -> build/ */
        char *p = g_build_filename(dir, "..", "..", "..",
                                   "qemu-system-x86_64", NULL);

        if (g_file_test(p, G_FILE_TEST_IS_EXECUTABLE)) {
            return p;
        }
        g_free(p);
    }
    return g_strdup("/opt/vigilante-qemu/bin/qemu-system-x86_64");
}

/* Poll a query until its "status" is one of `want` (NULL-terminated). */
static char *wait_status(VgProfileVm *vm, const char *query,
                         const char *const *want, unsigned timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + timeout_ms * 1000LL;

    while (g_get_monotonic_time() < deadline) {
        g_autoptr(JsonNode) reply = vg_qmp_execute(vm->qmp, query, NULL,
                                                   QMP_TIMEOUT_MS, NULL);
        JsonNode *st = reply ? vg_json_lookup(reply, "status") : NULL;
        const char *s = st && JSON_NODE_HOLDS_VALUE(st)
                        ? json_node_get_string(st) : NULL;

        for (int i = 0; s && want[i]; i++) {
            if (!strcmp(s, want[i])) {
                return g_strdup(s);
            }
        }
        if (!reply) {
            return NULL;
        }
        g_usleep(5000);
    }
    return NULL;
}

/* Run a command whose answer is of no interest (but its failure is). */
static bool qmp_run(VgProfileVm *vm, const char *command, JsonNode *args,
                    GError **errp)
{
    g_autoptr(JsonNode) reply = vg_qmp_execute(vm->qmp, command, args,
                                               QMP_TIMEOUT_MS, errp);

    return reply != NULL;
}

/* Wait until a VM started from the snapshot has loaded it (paused). */
static bool vm_restored(VgProfileVm *vm, const VgProfile *p, GError **errp)
{
    static const char *const paused[] = { "paused", "prelaunch", NULL };
    g_autofree char *st = NULL;

    if (vm->ready) {
        return true;
    }
    if (!vg_profile_vm_connect(vm, errp)) {
        return false;
    }
    st = wait_status(vm, "query-status", paused, 30000);
    if (!st) {
        g_set_error(errp, VG_PROFILE_ERROR, 0, "the snapshot of %s did not "
                    "load", p->name);
        return false;
    }
    vm->ready = true;
    return true;
}

/* A VM that restores the profile's snapshot in the background. */
static VgProfileVm *vm_spawn_restore(const VgProfile *p, const char *qemu,
                            GError **errp)
{
    const VgProfileVmOptions o = {
        .accel = "tcg,taint=off", .restrict_net = true,
        .incoming = p->snapshot,
    };

    return vg_profile_vm_spawn(p, qemu, &o, errp);
}

/* SNAPSHOT.digest: the image digest the snapshot was made from. */
static char *snapshot_digest_path(const VgProfile *p)
{
    return g_strdup_printf("%s.digest", p->snapshot);
}

bool vg_snapshot_make(const VgProfile *p, const char *qemu, double *secs,
                      GError **errp)
{
    static const char *const done[] = { "completed", "failed", NULL };
    g_autoptr(VgProfileVm) vm = NULL;
    g_autofree char *tmp = NULL, *dir = NULL, *st = NULL;
    gint64 start = g_get_monotonic_time();

    if (!p->snapshot) {
        g_set_error(errp, VG_PROFILE_ERROR, 0, "%s: [snapshot] path is "
                    "missing", p->path);
        return false;
    }
    dir = g_path_get_dirname(p->snapshot);
    g_mkdir_with_parents(dir, 0755);
    vm = vg_profile_vm_spawn(p, qemu, &(VgProfileVmOptions) {
                                 .accel = "tcg,taint=off",
                                 .restrict_net = true }, errp);
    if (!vm || !vg_profile_vm_connect(vm, errp)) {
        return false;
    }
    if (!vg_profile_vm_wait_serial(vm, p->ready_marker, p->ready_timeout_s,
                                   NULL)) {
        g_set_error(errp, VG_PROFILE_ERROR, 0, "%s did not become ready "
                    "(\"%s\" within %u s)", p->name, p->ready_marker,
                    p->ready_timeout_s);
        return false;
    }
    tmp = g_strdup_printf("%s.tmp", p->snapshot);
    {
        g_autofree char *quoted = g_shell_quote(tmp);
        g_autofree char *uri = g_strdup_printf("exec:cat > %s", quoted);
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "uri");
        json_builder_add_string_value(b, uri);
        json_builder_end_object(b);
        if (!qmp_run(vm, "stop", NULL, errp) ||
            !qmp_run(vm, "migrate", json_builder_get_root(b), errp)) {
            return false;
        }
    }
    st = wait_status(vm, "query-migrate", done, 120000);
    if (!st || strcmp(st, "completed")) {
        g_unlink(tmp);
        g_set_error(errp, VG_PROFILE_ERROR, 0, "saving the snapshot of %s "
                    "failed (migration %s)", p->name, st ? st : "timed out");
        return false;
    }
    if (g_rename(tmp, p->snapshot) != 0) {
        g_unlink(tmp);
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "%s: %s", p->snapshot, g_strerror(errno));
        return false;
    }
    {
        /* Which image the snapshot is of: verification checks it. */
        g_autofree char *hex = vg_profile_digest_hex(p);
        g_autofree char *text = g_strdup_printf("%s\n", hex);
        g_autofree char *side = snapshot_digest_path(p);

        if (!g_file_set_contents(side, text, -1, errp)) {
            return false;
        }
    }
    *secs = (g_get_monotonic_time() - start) / 1e6;
    return true;
}

/*
 * Is the snapshot of the profile's image as it is now?  A guest rebuilt
 * since would be verified against the old program.
 */
static bool snapshot_current(const VgProfile *p, char **why)
{
    g_autofree char *side = snapshot_digest_path(p);
    g_autofree char *text = NULL, *hex = vg_profile_digest_hex(p);

    if (!g_file_get_contents(side, &text, NULL, NULL)) {
        *why = g_strdup_printf("the snapshot of %s has no record of its "
                               "image (%s): run vigilante snapshot again",
                               p->name, side);
        return false;
    }
    if (strncmp(g_strstrip(text), hex, 64) || strlen(text) != 64) {
        *why = g_strdup_printf("the snapshot of %s is of another image of "
                               "it (rebuilt since?): run vigilante snapshot "
                               "again", p->name);
        return false;
    }
    return true;
}

void vg_verdict_clear(VgVerdict *v)
{
    g_clear_pointer(&v->reason, g_free);
    g_clear_pointer(&v->nonce_path, g_free);
}

static VgVerdict verdict(VgVerdictKind kind, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);

static VgVerdict verdict(VgVerdictKind kind, const char *fmt, ...)
{
    VgVerdict v = { .kind = kind };
    va_list ap;

    if (fmt) {
        va_start(ap, fmt);
        v.reason = g_strdup_vprintf(fmt, ap);
        va_end(ap);
    }
    return v;
}

/*
 * ACE: code planted at the hinted offset that jumps to a random address,
 * "mov eax, imm32; jmp eax" (7 bytes) or "mov rax, imm64; jmp rax" (12);
 * the address is a random user-space one that the program cannot have
 * mapped by chance (the verifier only needs the jump to be attempted).
 */
static bool plant_jump(unsigned bits, uint8_t *code, size_t *len,
                       uint64_t *target)
{
    uint8_t r[4];

    if (RAND_bytes(r, sizeof(r)) != 1) {
        return false;
    }
    if (bits == 64) {
        /* 0x0000_10xx_xxxx_xxx0 .. below 0x7fff_ffff_ffff: canonical */
        *target = 0x100000000000ull | (uint64_t)r[0] << 32 |
                  (uint64_t)r[1] << 24 | r[2] << 16 | r[3] << 8;
        code[0] = 0x48;
        code[1] = 0xb8;
        for (int i = 0; i < 8; i++) {
            code[2 + i] = *target >> (8 * i);
        }
        code[10] = 0xff;
        code[11] = 0xe0;
        *len = 12;
    } else {
        *target = 0x40000000u | (uint32_t)(r[0] & 0x3f) << 24 |
                  r[1] << 16 | r[2] << 8 | (r[3] & 0xf0);
        code[0] = 0xb8;
        for (int i = 0; i < 4; i++) {
            code[1 + i] = *target >> (8 * i);
        }
        code[5] = 0xff;
        code[6] = 0xe0;
        *len = 7;
    }
    return true;
}

/*
 * The nonce: each hinted byte replaced by a random one of its class, so
 * that the message still reaches the same code: a zero stays a zero
 * (string terminators, the high bytes of an address), anything else
 * becomes a random printable, non-space byte (no terminator, separator
 * or line end for the service to stop at; an x86-64 address stays
 * canonical).
 */
static bool make_nonce(const uint8_t *orig, uint8_t *out, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        uint8_t r;

        if (orig[i] == 0) {
            out[i] = 0;
            continue;
        }
        do {
            if (RAND_bytes(&r, 1) != 1) {
                return false;
            }
        } while (r < 0x21 || r > 0x7e || r == orig[i]);
        out[i] = r;
    }
    return true;
}

/*
 * AFA: the hinted bytes are the dirty part of a path: up to a terminator
 * when the message carries one, else all of them (the program ends the
 * path itself, e.g. where a line protocol's '\n' becomes '\0').  The
 * shortest planted part still has to be a nonce nobody can guess.
 */
#define AFA_NONCE_MIN 4

static size_t afa_path_len(const uint8_t *hint, size_t n)
{
    const uint8_t *nul = memchr(hint, 0, n);

    return nul ? (size_t)(nul - hint) : n;
}

static bool afa_path_ok(const Sca *sca, const char **why)
{
    const uint8_t *h = (const uint8_t *)g_bytes_get_data(
        sca_message(sca, sca->hint_message)->payload, NULL) + sca->hint_offset;
    size_t len = afa_path_len(h, sca->hint_length);
    unsigned random = 0;

    if (sca->call != SCA_CALL_EXECVE && sca->call != SCA_CALL_EXECVEAT) {
        *why = "the AFA SCA names no call this verifier knows";
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        random += h[i] != '/';
    }
    if (random < AFA_NONCE_MIN) {
        *why = "the AFA hint's path is too short to carry a nonce";
        return false;
    }
    return true;
}

/*
 * AFA: the hinted path with every byte but '/' replaced by a random
 * letter or digit (its length and separators stay, so that a service
 * that checks a path's shape still takes it).
 */
static char *make_path_nonce(const uint8_t *orig, unsigned n)
{
    static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                "abcdefghijklmnopqrstuvwxyz0123456789";
    size_t len = afa_path_len(orig, n);
    g_autofree char *path = g_malloc(len + 1);

    for (size_t i = 0; i < len; i++) {
        uint8_t r;

        if (orig[i] == '/') {
            path[i] = '/';
            continue;
        }
        do {
            if (RAND_bytes(&r, 1) != 1) {
                return NULL;
            }
        } while (r >= 248 || alnum[r % 62] == orig[i]);   /* unbiased */
        path[i] = alnum[r % 62];
    }
    path[len] = '\0';
    return g_steal_pointer(&path);
}

static int connect_tcp(unsigned port)
{
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_port = htons(port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    struct timeval tv = { .tv_sec = 1 };   /* a guest that stops reading */
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd >= 0) {
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    }
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

static void send_udp(unsigned port, const uint8_t *p, size_t n)
{
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_port = htons(port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int fd = socket(AF_INET, SOCK_DGRAM, 0);

    if (fd >= 0) {
        sendto(fd, p, n, 0, (struct sockaddr *)&a, sizeof(a));
        close(fd);
    }
}

bool vg_snapshot_check(const VgProfile *p, GError **errp)
{
    g_autofree char *why = NULL;

    if (!p->snapshot || !g_file_test(p->snapshot, G_FILE_TEST_IS_REGULAR)) {
        g_set_error(errp, VG_PROFILE_ERROR, 0, "no snapshot of %s at %s "
                    "(run vigilante snapshot first)", p->name,
                    p->snapshot ? p->snapshot : "(no [snapshot] path)");
        return false;
    }
    if (!snapshot_current(p, &why)) {
        g_set_error(errp, VG_PROFILE_ERROR, 0, "%s", why);
        return false;
    }
    return true;
}

struct VgVerifier {
    const VgProfile *profile;
    char *qemu;
    VgProfileVm *spare;         /* restoring or restored, not yet used */
};

/*
 * Verify on the verifier's spare VM (then start the next), or on a VM of
 * its own when there is no verifier.
 */
static VgVerdict verify_on(VgVerifier *pool, const VgProfile *p,
                           const char *qemu, const Sca *sca,
                           unsigned timeout_ms)
{
    static const uint8_t zero[32];
    gint64 start = g_get_monotonic_time(), deadline;
    g_autoptr(GError) err = NULL;
    g_autoptr(VgProfileVm) vm = NULL;
    g_autoptr(JsonBuilder) b = NULL;
    g_autoptr(JsonNode) ev = NULL;
    const char *arm;
    g_autofree char *afa_path = NULL;
    const char *why = NULL;
    g_autoptr(GPtrArray) msgs = g_ptr_array_new_with_free_func(
        (GDestroyNotify)g_bytes_unref);
    unsigned hport[SCA_MAX_MESSAGES];
    const ScaMessage *hm = sca_message(sca, sca->hint_message);
    const uint8_t *hinted;
    uint8_t nonce[8], planted[8] = { 0 }, code[12];
    size_t code_len = 0;
    uint64_t ace_target = 0;
    bool has_tcp = false;
    int tcp_fd = -1;
    VgVerdict v;

    /* What this verifier can check, and whether it is this program. */
    if (strcmp(sca->name, p->name) ||
        (memcmp(sca->digest, zero, 32) && memcmp(sca->digest, p->digest, 32))) {
        return verdict(VG_VERDICT_NOT_VERIFIED, "the SCA is for program %s, "
                       "not %s (or another image of it)", sca->name, p->name);
    }
    if (sca->type == SCA_TYPE_AEC &&
        (sca->hint_length < 2 || sca->hint_length > 8)) {
        return verdict(VG_VERDICT_NOT_VERIFIED, "an AEC hint of %u bytes "
                       "cannot be a code address", sca->hint_length);
    }
    if (sca->type == SCA_TYPE_ACE &&
        sca->hint_length < (sca->code_bits == 64 ? 12 : 7)) {
        return verdict(VG_VERDICT_NOT_VERIFIED, "an ACE hint of %u bytes "
                       "is too short to plant a jump in", sca->hint_length);
    }
    if (sca->type == SCA_TYPE_AFA && !afa_path_ok(sca, &why)) {
        return verdict(VG_VERDICT_NOT_VERIFIED, "%s", why);
    }
    if (sca->type == SCA_TYPE_ACE && sca->code_bits == 16) {
        return verdict(VG_VERDICT_ERROR, "verifying 16-bit ACE SCAs is not "
                       "implemented yet");
    }
    for (guint i = 0; i < sca->messages->len; i++) {
        const ScaMessage *m = sca_message(sca, i);
        const char *t = sca_transport_name(m->transport);

        hport[i] = 0;
        for (guint k = 0; k < p->ports->len; k++) {
            const VgProfilePort *pp = &g_array_index(p->ports,
                                                     VgProfilePort, k);

            if (pp->port == m->port && !strcmp(pp->transport, t)) {
                hport[i] = k + 1;
            }
        }
        if (!hport[i]) {
            return verdict(VG_VERDICT_NOT_VERIFIED, "message %u goes to %s "
                           "port %u, which %s does not serve", i, t, m->port,
                           p->name);
        }
        has_tcp |= m->transport == SCA_TRANSPORT_TCP;
    }
    if (!vg_snapshot_check(p, &err)) {
        return verdict(VG_VERDICT_ERROR, "%s", err->message);
    }

    /* The messages, with the nonce planted in the hinted bytes. */
    hinted = (const uint8_t *)g_bytes_get_data(hm->payload, NULL) +
             sca->hint_offset;
    if (sca->type == SCA_TYPE_ACE) {
        if (!plant_jump(sca->code_bits, code, &code_len, &ace_target)) {
            return verdict(VG_VERDICT_ERROR, "RAND_bytes failed");
        }
    } else if (sca->type == SCA_TYPE_AFA) {
        afa_path = make_path_nonce(hinted, sca->hint_length);
        if (!afa_path) {
            return verdict(VG_VERDICT_ERROR, "RAND_bytes failed");
        }
    } else {
        if (!make_nonce(hinted, nonce, sca->hint_length)) {
            return verdict(VG_VERDICT_ERROR, "RAND_bytes failed");
        }
        memcpy(planted, nonce, sca->hint_length);
    }
    for (guint i = 0; i < sca->messages->len; i++) {
        const ScaMessage *m = sca_message(sca, i);
        size_t len;
        const uint8_t *data = g_bytes_get_data(m->payload, &len);
        uint8_t *copy = g_memdup2(data, len);

        if (i == sca->hint_message && sca->type == SCA_TYPE_ACE) {
            memcpy(copy + sca->hint_offset, code, code_len);
        } else if (i == sca->hint_message && sca->type == SCA_TYPE_AFA) {
            memcpy(copy + sca->hint_offset, afa_path, strlen(afa_path));
        } else if (i == sca->hint_message) {
            memcpy(copy + sca->hint_offset, nonce, sca->hint_length);
        }
        g_ptr_array_add(msgs, g_bytes_new_take(copy, len));
    }

    if (pool && pool->spare) {
        vm = g_steal_pointer(&pool->spare);
        if (!vm_restored(vm, p, NULL)) {
            /* The spare died (e.g. lost a port race): start afresh. */
            g_clear_pointer(&vm, vg_profile_vm_free);
        }
    }
    if (!vm) {
        vm = vm_spawn_restore(p, qemu, &err);
    }
    if (pool) {
        /* The next verification's VM restores while this one runs. */
        pool->spare = vm_spawn_restore(p, qemu, NULL);
    }
    if (!vm) {
        return verdict(VG_VERDICT_ERROR, "starting the verifier VM: %s",
                       err->message);
    }
    if (!vm_restored(vm, p, &err)) {
        return verdict(VG_VERDICT_ERROR, "%s", err->message);
    }
    v = verdict(VG_VERDICT_NOT_VERIFIED, NULL);
    b = json_builder_new();
    json_builder_begin_object(b);
    if (sca->type == SCA_TYPE_AFA) {
        v.nonce_path = g_strdup(afa_path);
        arm = "vigilante-verify-arm-call";
        json_builder_set_member_name(b, "call");
        json_builder_add_string_value(b, sca->call == SCA_CALL_EXECVEAT
                                         ? "execveat" : "execve");
        json_builder_set_member_name(b, "path");
        json_builder_add_string_value(b, afa_path);
    } else {
        v.nonce = sca->type == SCA_TYPE_ACE
                  ? ace_target : GUINT64_FROM_LE(*(uint64_t *)planted);
        arm = "vigilante-verify-arm";
        json_builder_set_member_name(b, "target");
        json_builder_add_int_value(b, (gint64)v.nonce);
    }
    json_builder_end_object(b);
    if (!qmp_run(vm, arm, json_builder_get_root(b), &err)) {
        vg_verdict_clear(&v);
        return verdict(VG_VERDICT_ERROR, "arming the verifier's trap "
                       "failed: %s", err->message);
    }
    if (!qmp_run(vm, "cont", NULL, &err)) {
        vg_verdict_clear(&v);
        return verdict(VG_VERDICT_ERROR, "%s", err->message);
    }
    v.restore_ms = (g_get_monotonic_time() - start) / 1e3;

    /*
     * Replay: TCP over one fresh connection; UDP again until an answer
     * (slirp drops a first datagram to a guest it has not heard yet).
     */
    deadline = g_get_monotonic_time() + timeout_ms * 1000LL;
    for (guint i = 0; i < msgs->len && has_tcp; i++) {
        if (sca_message(sca, i)->transport == SCA_TRANSPORT_TCP) {
            /* One connection, to the first TCP message's port. */
            tcp_fd = connect_tcp(g_array_index(vm->host_ports, unsigned,
                                               hport[i] - 1));
            break;
        }
    }
    for (int round = 0; !ev && g_get_monotonic_time() < deadline; round++) {
        for (guint i = 0; i < msgs->len && (round == 0 || !has_tcp); i++) {
            const ScaMessage *m = sca_message(sca, i);
            unsigned host = g_array_index(vm->host_ports, unsigned,
                                          hport[i] - 1);
            size_t len;
            const uint8_t *data = g_bytes_get_data(msgs->pdata[i], &len);

            if (m->transport == SCA_TRANSPORT_UDP) {
                send_udp(host, data, len);
            } else if (tcp_fd >= 0 &&
                       send(tcp_fd, data, len, MSG_NOSIGNAL) != (ssize_t)len) {
                break;          /* reset by the guest: the verdict decides */
            }
        }
        ev = vg_qmp_next_event(vm->qmp, "VIGILANTE_VERIFIED", 250);
    }
    if (tcp_fd >= 0) {
        close(tcp_fd);
    }
    v.total_ms = (g_get_monotonic_time() - start) / 1e3;
    if (ev) {
        v.kind = VG_VERDICT_VERIFIED;
    } else if (sca->type == SCA_TYPE_AFA) {
        v.reason = g_strdup_printf("the guest did not make the %s call with "
                                   "the nonce path within %u ms",
                                   sca->call == SCA_CALL_EXECVEAT
                                   ? "execveat" : "execve", timeout_ms);
    } else {
        v.reason = g_strdup_printf("the guest did not jump to the nonce "
                                   "within %u ms", timeout_ms);
    }
    return v;
}

VgVerdict vg_verify(const VgProfile *p, const char *qemu, const Sca *sca,
                    unsigned timeout_ms)
{
    return verify_on(NULL, p, qemu, sca, timeout_ms);
}

VgVerifier *vg_verifier_new(const VgProfile *p, const char *qemu)
{
    VgVerifier *v = g_new0(VgVerifier, 1);

    v->profile = p;
    v->qemu = g_strdup(qemu);
    if (vg_snapshot_check(p, NULL)) {
        v->spare = vm_spawn_restore(p, qemu, NULL);
    }
    return v;
}

bool vg_verifier_wait_ready(VgVerifier *v, GError **errp)
{
    if (!vg_snapshot_check(v->profile, errp)) {
        return false;
    }
    if (!v->spare) {
        v->spare = vm_spawn_restore(v->profile, v->qemu, errp);
        if (!v->spare) {
            return false;
        }
    }
    if (!vm_restored(v->spare, v->profile, errp)) {
        g_clear_pointer(&v->spare, vg_profile_vm_free);
        return false;
    }
    return true;
}

VgVerdict vg_verifier_verify(VgVerifier *v, const Sca *sca,
                             unsigned timeout_ms)
{
    return verify_on(v, v->profile, v->qemu, sca, timeout_ms);
}

void vg_verifier_free(VgVerifier *v)
{
    if (v) {
        g_clear_pointer(&v->spare, vg_profile_vm_free);
        g_free(v->qemu);
        g_free(v);
    }
}

JsonNode *vg_verdict_to_json(const VgVerdict *v, const Sca *sca)
{
    static const char *const kinds[] = {
        [VG_VERDICT_VERIFIED] = "verified",
        [VG_VERDICT_NOT_VERIFIED] = "not-verified",
        [VG_VERDICT_ERROR] = "error",
    };
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "verdict");
    json_builder_add_string_value(b, kinds[v->kind]);
    if (sca) {
        json_builder_set_member_name(b, "type");
        json_builder_add_string_value(b, sca_type_name(sca->type));
        json_builder_set_member_name(b, "program");
        json_builder_add_string_value(b, sca->name);
    }
    if (v->kind == VG_VERDICT_VERIFIED && v->nonce_path) {
        json_builder_set_member_name(b, "nonce-path");
        json_builder_add_string_value(b, v->nonce_path);
    } else if (v->kind == VG_VERDICT_VERIFIED) {
        g_autofree char *hex = g_strdup_printf("0x%" G_GINT64_MODIFIER "x",
                                               v->nonce);

        json_builder_set_member_name(b, "nonce");
        json_builder_add_string_value(b, hex);
    }
    if (v->reason) {
        json_builder_set_member_name(b, "reason");
        json_builder_add_string_value(b, v->reason);
    }
    if (v->total_ms > 0) {
        /* to 0.1 ms, as measured */
        json_builder_set_member_name(b, "restore-ms");
        json_builder_add_double_value(b, round(v->restore_ms * 10) / 10);
        json_builder_set_member_name(b, "total-ms");
        json_builder_add_double_value(b, round(v->total_ms * 10) / 10);
    }
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

char *vg_verdict_json(const VgVerdict *v, const Sca *sca)
{
    return vg_json_line(vg_verdict_to_json(v, sca));
}
