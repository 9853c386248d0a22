/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigilante filter generate PROFILE SCA -o FILTER [--specific]
 *                           [--random N] [--timeout MS] [--settle MS]
 *                           [--qemu PATH] [--specific-out PATH] [--quiet]
 *
 * Generates the filters of a verified SCA (lib/filter-gen.c) and writes
 * the general one (--specific: the specific one) to FILTER, printing the
 * conditions, the counts and the time each stage took.  Exit status: 0
 * written, 1 no filter could be made (the SCA does not trap, a filter
 * matches a benign message), 2 bad usage, 3 an error (files, emulator).
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "filter-gen.h"
#include "sca-verify.h"

static int usage(void)
{
    fprintf(stderr,
            "usage: vigilante filter generate PROFILE SCA -o FILTER "
            "[--specific]\n"
            "           [--specific-out PATH] [--random N] [--timeout MS]\n"
            "           [--settle MS] [--qemu PATH] [--quiet]\n");
    return VIGILANTE_EXIT_USAGE;
}

static void print_progress(const char *line, void *opaque)
{
    if (!*(bool *)opaque) {
        fprintf(stderr, "%s\n", line);
    }
}

static bool write_filter(VfFilter *f, const char *path, GError **errp)
{
    g_autoptr(GBytes) enc = vf_encode(f, errp);
    g_autofree char *id = NULL;
    size_t len;
    const void *d;

    if (!enc) {
        return false;
    }
    d = g_bytes_get_data(enc, &len);
    if (!g_file_set_contents(path, d, len, errp)) {
        return false;
    }
    id = vf_digest_hex(enc);
    printf("%s: %zu bytes, %u nodes, %u conditions, reads %u bytes, "
           "sha256 %s\n", path, len, f->nodes->len, f->conditions->len,
           f->read_end, id);
    return true;
}

int vigilante_cmd_filter_generate(int argc, char **argv)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(VgProfile) prof = NULL;
    g_autoptr(Sca) sca = NULL;
    g_autoptr(VgGenResult) r = NULL;
    g_autofree char *qemu = NULL, *text = NULL;
    const char *profile = NULL, *sca_path = NULL, *out = NULL;
    const char *specific_out = NULL, *qemu_opt = NULL;
    bool specific = false, quiet = false;
    guint64 random_n = 8, timeout_ms = 5000, settle_ms = VG_GEN_SETTLE_MS;
    VgGenOptions o = { 0 };
    VfFilter *chosen;

    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "-o") && i + 1 < argc) {
            out = argv[++i];
        } else if (!strcmp(argv[i], "--specific-out") && i + 1 < argc) {
            specific_out = argv[++i];
        } else if (!strcmp(argv[i], "--qemu") && i + 1 < argc) {
            qemu_opt = argv[++i];
        } else if (!strcmp(argv[i], "--random") && i + 1 < argc) {
            if (!g_ascii_string_to_unsigned(argv[++i], 10, 0, 1000,
                                            &random_n, NULL)) {
                return usage();
            }
        } else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
            if (!g_ascii_string_to_unsigned(argv[++i], 10, 100, 600000,
                                            &timeout_ms, NULL)) {
                return usage();
            }
        } else if (!strcmp(argv[i], "--settle") && i + 1 < argc) {
            if (!g_ascii_string_to_unsigned(argv[++i], 10, 0, 60000,
                                            &settle_ms, NULL)) {
                return usage();
            }
        } else if (!strcmp(argv[i], "--specific")) {
            specific = true;
        } else if (!strcmp(argv[i], "--quiet")) {
            quiet = true;
        } else if (argv[i][0] == '-') {
            return usage();
        } else if (!profile) {
            profile = argv[i];
        } else if (!sca_path) {
            sca_path = argv[i];
        } else {
            return usage();
        }
    }
    if (!profile || !sca_path || !out) {
        return usage();
    }
    prof = vg_profile_load(profile, &err);
    if (!prof) {
        fprintf(stderr, "vigilante filter generate: %s\n", err->message);
        return VIGILANTE_EXIT_ERROR;
    }
    sca = sca_load(sca_path, &err);
    if (!sca) {
        fprintf(stderr, "vigilante filter generate: %s: %s\n", sca_path,
                err->message);
        return err->domain == G_FILE_ERROR ? VIGILANTE_EXIT_ERROR
                                           : VIGILANTE_EXIT_FAILED;
    }
    qemu = vg_find_qemu(qemu_opt);
    o.qemu = qemu;
    o.general = !specific;
    o.random_checks = random_n;
    o.timeout_ms = timeout_ms;
    o.settle_ms = settle_ms ? (int)settle_ms : -1;
    o.progress = print_progress;
    o.opaque = &quiet;

    r = vg_filter_generate(prof, sca, &o, &err);
    if (!r) {
        fprintf(stderr, "vigilante filter generate: %s\n", err->message);
        return err->domain == VG_GEN_ERROR &&
               err->code != VG_GEN_ERROR_SETUP ? VIGILANTE_EXIT_FAILED
                                                : VIGILANTE_EXIT_ERROR;
    }
    text = vg_gen_describe(r->specific, r->specific_conds);
    printf("specific filter: %u condition(s) of %u captured (%u of other "
           "code, %u on bytes outside the message, %u pins of hinted bytes "
           "left out, %u pinned as too deep)%s; capture %.0f ms\n%s",
           r->stats.specific_conditions, r->stats.captured,
           r->stats.other_code, r->stats.outside, r->stats.hint_pins,
           r->stats.pinned_deep,
           r->stats.truncated ? ", capture cut short by a limit" : "",
           r->stats.capture_ms, quiet ? "" : text);
    if (r->general) {
        g_free(text);
        text = vg_gen_describe(r->general, r->general_conds);
        printf("general filter: %u condition(s): %u dropped, %u pin(s) "
               "widened to ranges, by %u replay(s); %u summarised as "
               "idioms; %.0f ms\n%s",
               r->stats.general_conditions, r->stats.dropped,
               r->stats.widened, r->stats.replays - r->stats.random_tried,
               r->stats.summarised, r->stats.generalise_ms,
               quiet ? "" : text);
        printf("validation: matches the SCA; %u benign message(s), none "
               "matched; %u of %u random message(s) satisfying it "
               "verified; %.0f ms\n", r->stats.benign_checked,
               r->stats.random_verified, r->stats.random_tried,
               r->stats.validate_ms);
    }
    printf("generation took %.0f ms (capture and generalisation)\n",
           r->stats.capture_ms + r->stats.generalise_ms);
    chosen = specific || !r->general ? r->specific : r->general;
    if (!write_filter(chosen, out, &err) ||
        (specific_out && !write_filter(r->specific, specific_out, &err))) {
        fprintf(stderr, "vigilante filter generate: %s\n", err->message);
        return VIGILANTE_EXIT_ERROR;
    }
    return VIGILANTE_EXIT_OK;
}
