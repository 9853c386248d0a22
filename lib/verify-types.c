/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The per-type parts of verification (verify-types.h).
 */
#include "verify-types.h"

#include <openssl/rand.h>
#include <string.h>

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

/* ---- AEC: a nonce for the bytes that became the program counter ---- */

static char *aec_check(const Sca *sca, bool *error)
{
    if (sca->hint_length < 2 || sca->hint_length > 8) {
        return g_strdup_printf("an AEC hint of %u bytes cannot be a code "
                               "address", sca->hint_length);
    }
    return NULL;
}

/* The arm command's arguments: { name: value }. */
static JsonNode *int_args(const char *name, uint64_t value)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_object(b);
    json_builder_set_member_name(b, name);
    json_builder_add_int_value(b, (gint64)value);
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

static bool aec_plant(const Sca *sca, const uint8_t *hinted, VgPlanted *out)
{
    uint8_t nonce[8] = { 0 };

    if (!make_nonce(hinted, nonce, sca->hint_length)) {
        return false;
    }
    out->bytes = g_byte_array_new();
    g_byte_array_append(out->bytes, nonce, sca->hint_length);
    memcpy(&out->nonce, nonce, sizeof(nonce));
    out->nonce = GUINT64_FROM_LE(out->nonce);
    out->arm = "vigilante-verify-arm";
    out->arm_args = int_args("target", out->nonce);
    return true;
}

static char *jump_missed(const Sca *sca, unsigned timeout_ms)
{
    return g_strdup_printf("the guest did not jump to the nonce within "
                           "%u ms", timeout_ms);
}

/* ---- ACE: code that jumps to a random address ---- */

static char *ace_check(const Sca *sca, bool *error)
{
    if (sca->code_bits == 16) {
        *error = true;
        return g_strdup("verifying 16-bit ACE SCAs is not implemented yet");
    }
    if (sca->hint_length < (sca->code_bits == 64 ? 12 : 7)) {
        return g_strdup_printf("an ACE hint of %u bytes is too short to "
                               "plant a jump in", sca->hint_length);
    }
    return NULL;
}

static bool ace_plant(const Sca *sca, const uint8_t *hinted, VgPlanted *out)
{
    uint8_t code[12];
    size_t len;

    if (!plant_jump(sca->code_bits, code, &len, &out->nonce)) {
        return false;
    }
    out->bytes = g_byte_array_new();
    g_byte_array_append(out->bytes, code, len);
    out->arm = "vigilante-verify-arm";
    out->arm_args = int_args("target", out->nonce);
    return true;
}

/* ---- AFA: a path nonce for the call's path ---- */

static char *afa_check(const Sca *sca, bool *error)
{
    const char *why = NULL;

    return afa_path_ok(sca, &why) ? NULL : g_strdup(why);
}

static bool afa_plant(const Sca *sca, const uint8_t *hinted, VgPlanted *out)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    out->nonce_path = make_path_nonce(hinted, sca->hint_length);
    if (!out->nonce_path) {
        return false;
    }
    out->bytes = g_byte_array_new();
    g_byte_array_append(out->bytes, (const uint8_t *)out->nonce_path,
                        strlen(out->nonce_path));
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "call");
    json_builder_add_string_value(b, sca_call_name(sca->call));
    json_builder_set_member_name(b, "path");
    json_builder_add_string_value(b, out->nonce_path);
    json_builder_end_object(b);
    out->arm = "vigilante-verify-arm-call";
    out->arm_args = json_builder_get_root(b);
    return true;
}

static char *afa_missed(const Sca *sca, unsigned timeout_ms)
{
    return g_strdup_printf("the guest did not make the %s call with the "
                           "nonce path within %u ms", sca_call_name(sca->call),
                           timeout_ms);
}

/* ---- WWW: a nonce address for the pointer ---- */

/*
 * The verifier writes a random address over the pointer's bytes and
 * waits for the program to store there: the store faults (the address
 * is almost surely unmapped: a user-mode write page fault at exactly the
 * nonce), or, mapped after all, hits the write trap.  Each byte keeps its
 * class so that the message still gets through the same copy: a zero
 * stays a zero, a non-zero byte becomes a random non-zero one that is no
 * whitespace (a line or word protocol would stop there).  The low three
 * bits stay (the store's alignment), and byte 5 of a 64-bit pointer stays
 * below 0x80 (a canonical user address: a non-canonical one raises #GP,
 * not a page fault).  Bytes 6 and 7 stay as they are.
 */
#define WWW_MIN_RANDOM 2        /* non-zero pointer bytes: ~16 bits */
#define WWW_WATCH_RANDOM 4      /* fewer: only a fault counts */

static bool www_byte_ok(uint8_t orig, uint8_t b, unsigned i)
{
    if (b == 0 || b == orig || strchr(" \t\n\r\v\f", b)) {
        return false;
    }
    if (i == 0 && (b & 7) != (orig & 7)) {
        return false;
    }
    return i != 5 || b < 0x80;
}

static unsigned www_random_bytes(const uint8_t *hinted, unsigned n)
{
    unsigned r = 0;

    for (unsigned i = 0; i < n && i < 6; i++) {
        r += hinted[i] != 0;
    }
    return r;
}

static const uint8_t *hint_bytes(const Sca *sca)
{
    return (const uint8_t *)g_bytes_get_data(
        sca_message(sca, sca->hint_message)->payload, NULL) +
        sca->hint_offset;
}

static char *www_check(const Sca *sca, bool *error)
{
    if (sca->hint_length < 4 || sca->hint_length > 8) {
        return g_strdup_printf("a WWW hint of %u bytes cannot be a pointer",
                               sca->hint_length);
    }
    if (www_random_bytes(hint_bytes(sca), sca->hint_length) <
        WWW_MIN_RANDOM) {
        return g_strdup("the WWW hint's pointer has too few non-zero bytes "
                        "to carry a nonce address");
    }
    return NULL;
}

static bool www_plant(const Sca *sca, const uint8_t *hinted, VgPlanted *out)
{
    uint8_t q[8] = { 0 };

    for (unsigned i = 0; i < sca->hint_length; i++) {
        q[i] = hinted[i];
        if (hinted[i] == 0 || i >= 6) {
            continue;
        }
        do {
            if (RAND_bytes(&q[i], 1) != 1) {
                return false;
            }
        } while (!www_byte_ok(hinted[i], q[i], i));
    }
    out->bytes = g_byte_array_new();
    g_byte_array_append(out->bytes, q, sca->hint_length);
    memcpy(&out->nonce, q, sizeof(q));
    out->nonce = GUINT64_FROM_LE(out->nonce);
    out->arm = "vigilante-verify-arm-write";
    out->arm_args = int_args("address", out->nonce);
    /*
     * Few random bytes (the data of a static program, 0x4af700): the
     * address may be mapped and written by chance; only a fault counts.
     */
    if (www_random_bytes(hinted, sca->hint_length) < WWW_WATCH_RANDOM) {
        json_object_set_boolean_member(json_node_get_object(out->arm_args),
                                       "fault-only", true);
    }
    return true;
}

/*
 * A nonce of few random bytes counts only by a fault, and lands on
 * mapped, writable memory now and then (the static program's data and
 * heap: about 1% of the low 16 MiB): then the store succeeds unseen.
 * Three nonces make a genuine attack's miss about one in a million.
 */
static unsigned www_attempts(const Sca *sca)
{
    return www_random_bytes(hint_bytes(sca), sca->hint_length) <
           WWW_WATCH_RANDOM ? 3 : 1;
}

static char *www_missed(const Sca *sca, unsigned timeout_ms)
{
    return g_strdup_printf("the guest did not store to the nonce address "
                           "within %u ms", timeout_ms);
}

static const VgVerifyType types[] = {
    [SCA_TYPE_AEC] = { aec_check, aec_plant, jump_missed },
    [SCA_TYPE_ACE] = { ace_check, ace_plant, jump_missed },
    [SCA_TYPE_AFA] = { afa_check, afa_plant, afa_missed },
    [SCA_TYPE_WWW] = { www_check, www_plant, www_missed, www_attempts },
};

const VgVerifyType *vg_verify_type(ScaType type)
{
    if ((unsigned)type >= G_N_ELEMENTS(types) || !types[type].check) {
        return NULL;
    }
    return &types[type];
}

void vg_planted_clear(VgPlanted *p)
{
    if (p->bytes) {
        g_byte_array_unref(p->bytes);
    }
    g_free(p->nonce_path);
    if (p->arm_args) {
        json_node_unref(p->arm_args);
    }
    memset(p, 0, sizeof(*p));
}
