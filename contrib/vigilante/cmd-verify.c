/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigilante snapshot PROFILE [--qemu PATH]
 * vigilante verify PROFILE SCA... [--timeout MS] [--warm] [--qemu PATH]
 *
 * snapshot: boot the profile's guest (taint off), wait until it is
 * ready, save its ready snapshot.  verify: check an SCA against the
 * program by replaying it from that snapshot with a nonce planted in the
 * hinted bytes (docs/verification.md); prints one JSON line.  Exit
 * status 0 verified (or snapshot saved), 1 not verified, 2 bad usage,
 * 3 error.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "host-util.h"
#include "profile.h"
#include "sca.h"
#include "sca-verify.h"

#define DEFAULT_TIMEOUT_MS 5000

static int usage(void)
{
    fprintf(stderr,
            "usage: vigilante snapshot PROFILE [--qemu PATH]\n"
            "       vigilante verify PROFILE SCA... [--timeout MS] "
            "[--warm] [--qemu PATH]\n"
            "\n"
            "verify prints one JSON line per SCA.  With several SCAs, the\n"
            "next one's VM restores the snapshot while one is verified;\n"
            "--warm also waits before each SCA until that VM has restored\n"
            "(as in an agent whose VM is ready when an SCA arrives), so the\n"
            "times are from SCA in hand to verdict with a restored VM.\n"
            "Exit status: 0 all verified, 1 some not verified, 3 an error.\n");
    return VIGILANTE_EXIT_USAGE;
}

int vigilante_cmd_snapshot(int argc, char **argv)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(VgProfile) prof = NULL;
    g_autofree char *qemu = NULL;
    const char *qemu_opt = NULL;
    double secs;

    if (argc == 4 && !strcmp(argv[2], "--qemu")) {
        qemu_opt = argv[3];
    } else if (argc != 2) {
        return usage();
    }
    prof = vg_profile_load(argv[1], &err);
    if (!prof) {
        fprintf(stderr, "vigilante snapshot: %s\n", err->message);
        return VIGILANTE_EXIT_ERROR;
    }
    qemu = vg_find_qemu(qemu_opt);
    if (!vg_snapshot_make(prof, qemu, &secs, &err)) {
        fprintf(stderr, "vigilante snapshot: %s\n", err->message);
        return VIGILANTE_EXIT_ERROR;
    }
    printf("snapshot of %s saved to %s in %.2f s\n", prof->name,
           prof->snapshot, secs);
    return VIGILANTE_EXIT_OK;
}

/* One SCA file: its verdict line; returns the verdict's kind. */
/* A verdict line without an SCA to name (it could not be read). */
static void print_verdict(VgVerdictKind kind, const char *reason)
{
    VgVerdict v = { .kind = kind, .reason = (char *)reason };
    g_autofree char *json = vg_verdict_json(&v, NULL);

    printf("%s\n", json);
    fflush(stdout);
}

static VgVerdictKind verify_file(const char *path, const VgProfile *prof,
                                 const char *qemu, VgVerifier *verifier,
                                 unsigned timeout_ms)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(Sca) sca = sca_load(path, &err);
    g_autofree char *json = NULL;
    VgVerdictKind kind;
    VgVerdict v;

    if (!sca) {
        /* A malformed SCA is not verified; an unreadable file is an error. */
        print_verdict(err->domain == G_FILE_ERROR ? VG_VERDICT_ERROR
                                                  : VG_VERDICT_NOT_VERIFIED,
                      err->message);
        return err->domain == G_FILE_ERROR ? VG_VERDICT_ERROR
                                           : VG_VERDICT_NOT_VERIFIED;
    }
    v = verifier ? vg_verifier_verify(verifier, sca, timeout_ms)
                 : vg_verify(prof, qemu, sca, timeout_ms);
    json = vg_verdict_json(&v, sca);
    printf("%s\n", json);
    fflush(stdout);
    kind = v.kind;
    vg_verdict_clear(&v);
    return kind;
}

int vigilante_cmd_verify(int argc, char **argv)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(VgProfile) prof = NULL;
    g_autoptr(VgVerifier) verifier = NULL;
    g_autoptr(GPtrArray) scas = g_ptr_array_new();
    g_autofree char *qemu = NULL;
    const char *qemu_opt = NULL;
    guint64 timeout_ms = DEFAULT_TIMEOUT_MS;
    bool warm = false, any_error = false, all_verified = true;
    const char *profile = NULL;

    if (argc < 3) {
        return usage();
    }
    /* Options anywhere; the first other argument is the profile. */
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--qemu") && i + 1 < argc) {
            qemu_opt = argv[++i];
        } else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
            if (!g_ascii_string_to_unsigned(argv[++i], 10, 100, 600000,
                                            &timeout_ms, NULL)) {
                return usage();
            }
        } else if (!strcmp(argv[i], "--warm")) {
            warm = true;
        } else if (argv[i][0] != '-' && !profile) {
            profile = argv[i];
        } else if (argv[i][0] != '-') {
            g_ptr_array_add(scas, argv[i]);
        } else {
            return usage();
        }
    }
    if (!scas->len) {
        return usage();
    }
    prof = vg_profile_load(profile, &err);
    if (!prof) {
        fprintf(stderr, "vigilante verify: %s\n", err->message);
        print_verdict(VG_VERDICT_ERROR, "bad profile");
        return VIGILANTE_EXIT_ERROR;
    }
    qemu = vg_find_qemu(qemu_opt);
    /* Several SCAs, or --warm: a spare VM restores in the background. */
    if (warm || scas->len > 1) {
        verifier = vg_verifier_new(prof, qemu);
    }
    for (guint i = 0; i < scas->len; i++) {
        VgVerdictKind k;

        if (warm && !vg_verifier_wait_ready(verifier, &err)) {
            /* One line per SCA still: the rest cannot be verified. */
            for (; i < scas->len; i++) {
                print_verdict(VG_VERDICT_ERROR, err->message);
            }
            return VIGILANTE_EXIT_ERROR;
        }
        k = verify_file(scas->pdata[i], prof, qemu, verifier, timeout_ms);
        any_error |= k == VG_VERDICT_ERROR;
        all_verified &= k == VG_VERDICT_VERIFIED;
    }
    return any_error ? VIGILANTE_EXIT_ERROR :
           all_verified ? VIGILANTE_EXIT_OK : VIGILANTE_EXIT_FAILED;
}
