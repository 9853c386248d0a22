/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigilante filter compile [-o OUT] TEXT
 * vigilante filter show [--json] FILE
 * vigilante filter check FILE
 * vigilante filter eval FILE MESSAGE [--prefix] [--repeat N]
 *
 * compile: the text form (docs/filter-format.md) to the binary format,
 * written to OUT (default: TEXT with its extension replaced by .vf; TEXT
 * "-" reads standard input and then needs -o).  show: the filter's
 * identity, scope and predicate in the text form; --json the JSON view.
 * check: validate only.  eval: evaluate on the bytes of the file MESSAGE
 * as a whole UDP datagram, or with --prefix as a TCP stream's prefix so
 * far; prints match, no-match or undecided.  Exit status 0 for a
 * well-formed filter (eval: a match), 1 for a malformed one (eval: no
 * match or undecided), 2 on bad usage, 3 when a file cannot be read or
 * written.  --repeat N also times N evaluations (nanoseconds each).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "json-views.h"
#include "filter.h"
#include "filter-text.h"

static int usage(void)
{
    fprintf(stderr, "usage: vigilante filter compile [-o OUT] TEXT\n"
                    "       vigilante filter show [--json] FILE\n"
                    "       vigilante filter check FILE\n"
                    "       vigilante filter eval FILE MESSAGE "
                    "[--prefix] [--repeat N]\n"
                    "       vigilante filter generate PROFILE SCA -o FILTER "
                    "[--specific] ...\n");
    return VIGILANTE_EXIT_USAGE;
}

/* Load; the exit status tells a bad filter (1) from an unreadable file. */
static VfFilter *load(const char *path, int *status)
{
    g_autoptr(GError) err = NULL;
    VfFilter *f = vf_load(path, &err);

    if (!f) {
        bool io = err->domain == G_FILE_ERROR;

        fprintf(stderr, "vigilante filter: %s: %s\n", path, err->message);
        *status = io ? VIGILANTE_EXIT_ERROR : VIGILANTE_EXIT_FAILED;
    }
    return f;
}

static char *read_text(const char *path, GError **errp)
{
    g_autoptr(GIOChannel) in = NULL;
    char *text = NULL;
    gsize len;

    if (strcmp(path, "-") != 0) {
        return g_file_get_contents(path, &text, &len, errp) ? text : NULL;
    }
    in = g_io_channel_unix_new(STDIN_FILENO);
    g_io_channel_set_encoding(in, NULL, NULL);
    if (g_io_channel_read_to_end(in, &text, &len, errp) !=
        G_IO_STATUS_NORMAL) {
        return NULL;
    }
    return text;
}

static char *default_output(const char *path)
{
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');

    if (dot && (!slash || dot > slash)) {
        return g_strdup_printf("%.*s.vf", (int)(dot - path), path);
    }
    return g_strdup_printf("%s.vf", path);
}

static int compile(int argc, char **argv)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(VfFilter) f = NULL;
    g_autoptr(GBytes) enc = NULL;
    g_autofree char *text = NULL, *out = NULL, *id = NULL;
    const char *in;
    gsize len;
    const void *data;

    if (argc == 5 && strcmp(argv[2], "-o") == 0) {
        out = g_strdup(argv[3]);
        in = argv[4];
    } else if (argc == 3) {
        in = argv[2];
        if (strcmp(in, "-") == 0) {
            fprintf(stderr, "vigilante filter compile: reading standard "
                    "input needs -o OUT\n");
            return VIGILANTE_EXIT_USAGE;
        }
        out = default_output(in);
    } else {
        return usage();
    }
    text = read_text(in, &err);
    if (!text) {
        fprintf(stderr, "vigilante filter compile: %s: %s\n", in,
                err->message);
        return VIGILANTE_EXIT_ERROR;
    }
    f = vf_compile(text, &err);
    if (!f) {
        fprintf(stderr, "vigilante filter compile: %s: %s\n", in,
                err->message);
        return VIGILANTE_EXIT_FAILED;
    }
    f->time = g_get_real_time() / G_USEC_PER_SEC;
    enc = vf_encode(f, &err);
    if (!enc) {
        fprintf(stderr, "vigilante filter compile: %s: %s\n", in,
                err->message);
        return VIGILANTE_EXIT_FAILED;
    }
    data = g_bytes_get_data(enc, &len);
    if (!g_file_set_contents(out, data, len, &err)) {
        fprintf(stderr, "vigilante filter compile: %s\n", err->message);
        return VIGILANTE_EXIT_ERROR;
    }
    id = vf_digest_hex(enc);
    printf("%s: %zu bytes, %u nodes, %u conditions, reads %u bytes, "
           "sha256 %s\n", out, (size_t)len, f->nodes->len,
           f->conditions->len, f->read_end, id);
    return VIGILANTE_EXIT_OK;
}

static int show(const char *path, bool json)
{
    int status = VIGILANTE_EXIT_OK;
    g_autoptr(VfFilter) f = load(path, &status);
    g_autoptr(GBytes) enc = NULL;
    g_autoptr(GDateTime) when = NULL;
    g_autofree char *text = NULL, *id = NULL, *when_text = NULL;

    if (!f) {
        return status;
    }
    if (json) {
        text = vg_json_line(vg_filter_to_json(f));
        printf("%s\n", text);
        return VIGILANTE_EXIT_OK;
    }
    enc = vf_encode(f, NULL);
    id = vf_digest_hex(enc);
    when = g_date_time_new_from_unix_utc(f->time);
    when_text = when ? g_date_time_format_iso8601(when) : g_strdup("?");
    text = vf_to_text(f);
    printf("# filter %s\n# sha256 %s\n# %u nodes, %u conditions, reads %u "
           "bytes; made %s\n%s", path, id, f->nodes->len,
           f->conditions->len, f->read_end, when_text, text);
    return VIGILANTE_EXIT_OK;
}

static int eval(int argc, char **argv)
{
    int status = VIGILANTE_EXIT_OK;
    g_autoptr(VfFilter) f = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *msg = NULL;
    bool prefix = false;
    guint64 repeat = 0;
    VfVerdict v;
    gsize len;

    for (int i = 4; i < argc; i++) {
        if (strcmp(argv[i], "--prefix") == 0) {
            prefix = true;
        } else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc &&
                   g_ascii_string_to_unsigned(argv[i + 1], 10, 1,
                                              1000000000, &repeat, NULL)) {
            i++;
        } else {
            return usage();
        }
    }
    if (argc < 4) {
        return usage();
    }
    f = load(argv[2], &status);
    if (!f) {
        return status;
    }
    if (!g_file_get_contents(argv[3], &msg, &len, &err)) {
        fprintf(stderr, "vigilante filter eval: %s\n", err->message);
        return VIGILANTE_EXIT_ERROR;
    }
    v = vf_eval(f, (const uint8_t *)msg, len, !prefix);
    printf("%s\n", v == VF_MATCH ? "match" : v == VF_NO_MATCH ? "no-match"
                                                              : "undecided");
    if (repeat) {
        /* The cost of one evaluation, for benchmarks. */
        gint64 t0 = g_get_monotonic_time();
        guint64 matches = 0;

        for (guint64 i = 0; i < repeat; i++) {
            /* Counted, so that the calls are not optimised away. */
            matches += vf_eval(f, (const uint8_t *)msg, len, !prefix) ==
                       VF_MATCH;
        }
        g_assert(matches == (v == VF_MATCH ? repeat : 0));
        printf("%.1f ns per evaluation (%" G_GUINT64_FORMAT " runs)\n",
               (g_get_monotonic_time() - t0) * 1e3 / repeat, repeat);
    }
    return v == VF_MATCH ? VIGILANTE_EXIT_OK : VIGILANTE_EXIT_FAILED;
}

int vigilante_cmd_filter(int argc, char **argv)
{
    int status = VIGILANTE_EXIT_OK;

    if (argc >= 2 && strcmp(argv[1], "compile") == 0) {
        return compile(argc, argv);
    }
    if (argc >= 2 && strcmp(argv[1], "generate") == 0) {
        return vigilante_cmd_filter_generate(argc, argv);
    }
    if (argc >= 2 && strcmp(argv[1], "eval") == 0) {
        return eval(argc, argv);
    }
    if (argc == 3 && strcmp(argv[1], "show") == 0) {
        return show(argv[2], false);
    }
    if (argc == 4 && strcmp(argv[1], "show") == 0 &&
        strcmp(argv[2], "--json") == 0) {
        return show(argv[3], true);
    }
    if (argc == 3 && strcmp(argv[1], "check") == 0) {
        g_autoptr(VfFilter) f = load(argv[2], &status);

        if (f) {
            printf("%s: a well-formed filter for %s %s/%u\n", argv[2],
                   f->name, vf_transport_name(f->transport), f->port);
        }
        return status;
    }
    return usage();
}
