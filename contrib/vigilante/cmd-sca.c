/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigilante sca show [--json] FILE
 * vigilante sca check FILE
 * vigilante sca minimise PROFILE IN OUT [--timeout MS]
 *
 * show: the alert's type, program, messages as hex dumps with the hint's
 * bytes marked, and for ACE a disassembly of the hinted code; --json
 * prints the JSON view instead.  check: validate only.  Exit status 0
 * for a well-formed SCA, 1 for a malformed one, 2 on bad usage, 3 when
 * the file cannot be read.  minimise: write a smaller SCA that still
 * verifies against PROFILE (docs/verification.md).
 */
#include <capstone.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "json-views.h"
#include "sca.h"
#include "sca-minimise.h"

static int usage(void)
{
    fprintf(stderr, "usage: vigilante sca show [--json] FILE\n"
                    "       vigilante sca check FILE\n"
                    "       vigilante sca minimise PROFILE IN OUT "
                    "[--timeout MS]\n");
    return VIGILANTE_EXIT_USAGE;
}

/* Load; the exit status tells a bad SCA (1) from an unreadable file (3). */
static Sca *load(const char *path, int *status)
{
    g_autoptr(GError) err = NULL;
    Sca *sca = sca_load(path, &err);

    if (!sca) {
        bool io = err->domain == G_FILE_ERROR;

        fprintf(stderr, "vigilante sca: %s: %s\n", path, err->message);
        *status = io ? VIGILANTE_EXIT_ERROR : VIGILANTE_EXIT_FAILED;
    }
    return sca;
}

/* 16 bytes a line; the hint's bytes after '>' (reverse video on a tty). */
static void hexdump(const uint8_t *p, size_t n, size_t hl_from, size_t hl_to,
                    bool tty)
{
    for (size_t line = 0; line < n; line += 16) {
        printf("    %06zx ", line);
        for (size_t i = line; i < line + 16; i++) {
            bool hl = i >= hl_from && i < hl_to;

            if (i >= n) {
                printf("   ");
            } else if (hl && tty) {
                printf(">\033[7m%02x\033[0m", p[i]);
            } else {
                printf("%c%02x", hl ? '>' : ' ', p[i]);
            }
        }
        printf("  ");
        for (size_t i = line; i < line + 16 && i < n; i++) {
            putchar(g_ascii_isprint(p[i]) ? p[i] : '.');
        }
        putchar('\n');
    }
}

static void disassemble(const uint8_t *code, size_t n, unsigned bits)
{
    cs_mode mode = bits == 64 ? CS_MODE_64 : bits == 32 ? CS_MODE_32
                                                        : CS_MODE_16;
    cs_insn *insn;
    csh handle;
    size_t count;

    if (cs_open(CS_ARCH_X86, mode, &handle) != CS_ERR_OK) {
        printf("  (no disassembler)\n");
        return;
    }
    count = cs_disasm(handle, code, n, 0, 0, &insn);
    for (size_t i = 0; i < count; i++) {
        printf("    +%-4" PRIu64 " %-24s %s %s\n", insn[i].address,
               "", insn[i].mnemonic, insn[i].op_str);
    }
    if (count) {
        cs_free(insn, count);
    } else {
        printf("    (undecodable)\n");
    }
    cs_close(&handle);
}

static int show(const char *path, bool json)
{
    int status = VIGILANTE_EXIT_OK;
    g_autoptr(Sca) sca = load(path, &status);
    g_autoptr(GDateTime) when = NULL;
    g_autofree char *when_text = NULL;
    bool tty = isatty(STDOUT_FILENO);
    const ScaMessage *hm;
    const uint8_t *hint;
    size_t len;

    if (!sca) {
        return status;
    }
    if (json) {
        g_autofree char *text = vg_json_line(vg_sca_to_json(sca));

        printf("%s\n", text);
        return VIGILANTE_EXIT_OK;
    }
    when = g_date_time_new_from_unix_utc(sca->time);
    when_text = when ? g_date_time_format_iso8601(when) : g_strdup("?");
    printf("SCA %s: %s, program %s\n", path, sca_type_name(sca->type),
           sca->name);
    printf("  program digest: ");
    for (int i = 0; i < SCA_DIGEST_SIZE; i++) {
        printf("%02x", sca->digest[i]);
    }
    printf("\n  generator: %s, %s\n", sca->generator[0] ? sca->generator
                                                          : "(none)",
           when_text);
    printf("  hint: message %u, bytes %u..%u", sca->hint_message,
           sca->hint_offset, sca->hint_offset + sca->hint_length - 1);
    if (sca->type == SCA_TYPE_AEC) {
        printf(" (become the program counter)\n");
    } else if (sca->type == SCA_TYPE_ACE) {
        printf(" (are executed, %u-bit code)\n", sca->code_bits);
    } else {
        printf(" (become argument %u of %s)\n", sca->call_arg,
               sca_call_name(sca->call));
    }
    for (unsigned i = 0; i < sca->messages->len; i++) {
        const ScaMessage *m = sca_message(sca, i);
        const uint8_t *data = g_bytes_get_data(m->payload, &len);
        bool hinted = i == sca->hint_message;

        printf("  message %u: %s port %u, %zu bytes\n", i,
               sca_transport_name(m->transport), m->port, len);
        hexdump(data, len, hinted ? sca->hint_offset : 0,
                hinted ? sca->hint_offset + sca->hint_length : 0, tty);
    }
    if (sca->type == SCA_TYPE_ACE) {
        hm = sca_message(sca, sca->hint_message);
        hint = (const uint8_t *)g_bytes_get_data(hm->payload, &len) +
               sca->hint_offset;
        printf("  hinted code:\n");
        disassemble(hint, sca->hint_length, sca->code_bits);
    }
    return VIGILANTE_EXIT_OK;
}

static int minimise(int argc, char **argv)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(VgProfile) prof = NULL;
    g_autoptr(Sca) sca = NULL, small = NULL;
    g_autoptr(GBytes) in = NULL, out = NULL;
    g_autofree char *qemu = vg_find_qemu(NULL);
    guint64 timeout_ms = 3000;
    VgMinimiseStats st;
    int status = VIGILANTE_EXIT_OK;

    if (argc == 7 && !strcmp(argv[5], "--timeout")) {
        if (!g_ascii_string_to_unsigned(argv[6], 10, 100, 600000,
                                        &timeout_ms, NULL)) {
            return usage();
        }
    } else if (argc != 5) {
        return usage();
    }
    prof = vg_profile_load(argv[2], &err);
    if (!prof) {
        fprintf(stderr, "vigilante sca: %s\n", err->message);
        return VIGILANTE_EXIT_ERROR;
    }
    sca = load(argv[3], &status);
    if (!sca) {
        return status;
    }
    small = vg_sca_minimise(prof, qemu, sca, timeout_ms, &st, &err);
    if (!small) {
        fprintf(stderr, "vigilante sca: %s: %s\n", argv[3], err->message);
        return VIGILANTE_EXIT_FAILED;
    }
    in = sca_encode(sca, NULL);
    out = sca_encode(small, &err);
    if (!out || !g_file_set_contents(argv[4], g_bytes_get_data(out, NULL),
                                     g_bytes_get_size(out), &err)) {
        fprintf(stderr, "vigilante sca: %s: %s\n", argv[4], err->message);
        return VIGILANTE_EXIT_ERROR;
    }
    printf("%s: %zu -> %zu bytes, %u message(s) dropped, %u byte(s) "
           "replaced by filler, %u replays\n", argv[4],
           g_bytes_get_size(in), g_bytes_get_size(out), st.messages_dropped,
           st.bytes_filled, st.replays);
    return VIGILANTE_EXIT_OK;
}

int vigilante_cmd_sca(int argc, char **argv)
{
    int status = VIGILANTE_EXIT_OK;

    if (argc >= 2 && !strcmp(argv[1], "minimise")) {
        return minimise(argc, argv);
    }
    if (argc == 3 && !strcmp(argv[1], "show")) {
        return show(argv[2], false);
    }
    if (argc == 4 && !strcmp(argv[1], "show") && !strcmp(argv[2], "--json")) {
        return show(argv[3], true);
    }
    if (argc == 3 && !strcmp(argv[1], "check")) {
        g_autoptr(Sca) sca = load(argv[2], &status);

        if (sca) {
            printf("%s: valid %s SCA for %s, %u message(s)\n", argv[2],
                   sca_type_name(sca->type), sca->name, sca->messages->len);
        }
        return status;
    }
    return usage();
}
