/*
 * vigilante snapshot PROFILE [--qemu PATH]
 * vigilante verify PROFILE SCA [--timeout MS] [--qemu PATH]
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
#include "profile.h"
#include "sca.h"
#include "sca-verify.h"

#define DEFAULT_TIMEOUT_MS 5000

static int usage(void)
{
    fprintf(stderr,
            "usage: vigilante snapshot PROFILE [--qemu PATH]\n"
            "       vigilante verify PROFILE SCA [--timeout MS] "
            "[--qemu PATH]\n");
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

int vigilante_cmd_verify(int argc, char **argv)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(VgProfile) prof = NULL;
    g_autoptr(Sca) sca = NULL;
    g_autofree char *qemu = NULL, *json = NULL;
    const char *qemu_opt = NULL;
    guint64 timeout_ms = DEFAULT_TIMEOUT_MS;
    VgVerdict v;
    int status;

    if (argc < 3) {
        return usage();
    }
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "--qemu") && i + 1 < argc) {
            qemu_opt = argv[++i];
        } else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
            if (!g_ascii_string_to_unsigned(argv[++i], 10, 100, 600000,
                                            &timeout_ms, NULL)) {
                return usage();
            }
        } else {
            return usage();
        }
    }
    prof = vg_profile_load(argv[1], &err);
    if (!prof) {
        fprintf(stderr, "vigilante verify: %s\n", err->message);
        printf("{\"verdict\": \"error\", \"reason\": \"bad profile\"}\n");
        return VIGILANTE_EXIT_ERROR;
    }
    sca = sca_load(argv[2], &err);
    if (!sca) {
        g_autofree char *r = g_strescape(err->message, NULL);

        /* A malformed SCA is not verified; an unreadable file is an error. */
        printf("{\"verdict\": \"%s\", \"reason\": \"%s\"}\n",
               err->domain == G_FILE_ERROR ? "error" : "not-verified", r);
        return err->domain == G_FILE_ERROR ? VIGILANTE_EXIT_ERROR
                                           : VIGILANTE_EXIT_FAILED;
    }
    qemu = vg_find_qemu(qemu_opt);
    v = vg_verify(prof, qemu, sca, timeout_ms);
    json = vg_verdict_json(&v, sca);
    printf("%s\n", json);
    status = v.kind == VG_VERDICT_VERIFIED ? VIGILANTE_EXIT_OK :
             v.kind == VG_VERDICT_NOT_VERIFIED ? VIGILANTE_EXIT_FAILED :
             VIGILANTE_EXIT_ERROR;
    vg_verdict_clear(&v);
    return status;
}
