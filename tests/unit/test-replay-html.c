/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The replay report's page (contrib/vigilante/replay-html.c) from
 * hand-made flow lines and SCAs: rows in flow order, the hint's bytes
 * marked, and what an attacker controls (payload bytes, the guest's
 * console, addresses) escaped so that it cannot add markup or script.
 * The rendering in a real browser is test-linux-replay's.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "host-util.h"
#include "replay-html.h"
#include "sca.h"

static char *dir;

static char *page_text(void)
{
    g_autofree char *path = g_build_filename(dir, "index.html", NULL);
    char *text = NULL;

    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    return text;
}

/* An SCA whose payload is markup, hint at bytes 8..11. */
static char *write_sca(const char *name)
{
    static const char payload[] = "AAAAAAAA\x94\xde\xff\xff"
                                  "<script>alert(1)</script><img src=x>";
    g_autoptr(Sca) sca = sca_new(SCA_TYPE_AEC, "vg-test");
    g_autoptr(GBytes) enc = NULL;
    char *path = g_build_filename(dir, name, NULL);

    sca_add_message(sca, SCA_TRANSPORT_UDP, 5001, payload,
                    sizeof(payload) - 1);
    sca->hint_offset = 8;
    sca->hint_length = 4;
    enc = sca_encode(sca, NULL);
    g_assert_nonnull(enc);
    g_assert_true(g_file_set_contents(path, g_bytes_get_data(enc, NULL),
                                      g_bytes_get_size(enc), NULL));
    return path;
}

static GPtrArray *lines_with(const char *sca_path)
{
    GPtrArray *l = g_ptr_array_new_with_free_func(g_free);

    /* Out of order, as workers finish them; one not JSON at all. */
    g_ptr_array_add(l, g_strdup_printf(
        "{\"flow\":2,\"transport\":\"udp\",\"client\":\"1.2.3.4:5\","
        "\"server\":\"10.0.2.15:5001\",\"port\":5001,\"packets\":1,"
        "\"client-bytes\":45,\"verdict\":\"attack\",\"alert\":{\"type\":"
        "\"aec\",\"pc\":4200273,\"insn\":\"ret\",\"target\":1},"
        "\"sca\":\"%s\",\"verified\":true}", sca_path));
    g_ptr_array_add(l, g_strdup("not json <b>"));
    g_ptr_array_add(l, g_strdup(
        "{\"flow\":1,\"transport\":\"tcp\",\"client\":\"<i>x</i>\","
        "\"server\":\"s\",\"port\":5002,\"packets\":3,\"client-bytes\":7,"
        "\"verdict\":\"benign\",\"console\":"
        "\"<script>alert(2)</script>\\u00e9 & more\"}"));
    g_ptr_array_add(l, g_strdup(
        "{\"flow\":3,\"transport\":\"tcp\",\"client\":\"c\",\"server\":"
        "\"s\",\"port\":5006,\"verdict\":\"attack\",\"alert\":{\"type\":"
        "\"ace\",\"pc\":1,\"insn\":\"jmp rax\"},\"verified\":false,"
        "\"reason\":\"the alert has no SCA\"}"));
    return l;
}

static void test_page(void)
{
    g_autofree char *sca_path = write_sca("flow-2.sca");
    g_autoptr(GPtrArray) lines = lines_with(sca_path);
    g_autoptr(GError) err = NULL;
    g_autofree char *text = NULL;
    const char *row1, *row2, *row3, *sec, *end, *p;
    GString *marked = g_string_new(NULL);

    g_assert_true(vg_replay_html_write(dir, "a<b>.pcap", "vg-test",
                                       "3 flow(s) & 2 attack(s)", lines,
                                       &err));
    g_assert_no_error(err);
    text = page_text();

    /* Nothing the capture or guest said became markup. */
    g_assert_null(strstr(text, "<script"));
    g_assert_null(strstr(text, "<img"));
    g_assert_null(strstr(text, "<i>"));
    g_assert_nonnull(strstr(text, "&lt;script&gt;alert(2)&lt;/script&gt;"
                                  "\xc3\xa9 &amp; more"));
    g_assert_nonnull(strstr(text, "a&lt;b&gt;.pcap"));
    g_assert_nonnull(strstr(text, "3 flow(s) &amp; 2 attack(s)"));

    /* Rows in flow order; the line that is not JSON has none. */
    row1 = strstr(text, "<tr class=\"benign\" id=\"row-1\">");
    row2 = strstr(text, "<tr class=\"attack\" id=\"row-2\">");
    row3 = strstr(text, "<tr class=\"attack\" id=\"row-3\">");
    g_assert_true(row1 && row2 && row3 && row1 < row2 && row2 < row3);
    g_assert_nonnull(strstr(row2, "<a href=\"flow-2.sca\">flow-2.sca</a>"));
    g_assert_nonnull(strstr(row3, "<b>not verified</b>"));

    /* Flow 2's section marks exactly the hint's bytes, in order. */
    sec = strstr(text, "<section class=\"sca\" id=\"flow-2\">");
    g_assert_nonnull(sec);
    end = strstr(sec, "</section>");
    g_assert_nonnull(strstr(sec, "bytes 8..11, which become the program "
                                 "counter"));
    for (p = strstr(sec, "<mark class=\"hint\">"); p && p < end;
         p = strstr(p + 1, "<mark class=\"hint\">")) {
        g_string_append_len(marked, p + strlen("<mark class=\"hint\">"), 2);
    }
    g_assert_cmpstr(marked->str, ==, "94deffff");
    g_string_free(marked, true);

    /* Flow 3 has no SCA file: its section says why. */
    sec = strstr(text, "<section class=\"sca\" id=\"flow-3\">");
    g_assert_nonnull(sec);
    g_assert_nonnull(strstr(sec, "No SCA: the alert has no SCA"));
}

/* A damaged SCA file: the section says so, the page is still written. */
static void test_bad_sca(void)
{
    g_autofree char *path = g_build_filename(dir, "bad.sca", NULL);
    g_autoptr(GPtrArray) lines = NULL;
    g_autofree char *text = NULL;
    const char *sec;

    g_assert_true(g_file_set_contents(path, "VGSCA junk", -1, NULL));
    lines = lines_with(path);
    g_assert_true(vg_replay_html_write(dir, "c.pcap", "vg-test", "s", lines,
                                       NULL));
    text = page_text();
    sec = strstr(text, "<section class=\"sca\" id=\"flow-2\">");
    g_assert_nonnull(sec);
    g_assert_nonnull(strstr(sec, "<p>No SCA: "));
    g_assert_null(strstr(sec, "<mark"));
}

static void test_unwritable(void)
{
    g_autofree char *gone = g_build_filename(dir, "no", "such", NULL);
    g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) err = NULL;

    g_assert_false(vg_replay_html_write(gone, "c.pcap", "p", "s", lines,
                                        &err));
    g_assert_nonnull(err);
}

int main(int argc, char **argv)
{
    int rc;

    g_test_init(&argc, &argv, NULL);
    dir = g_dir_make_tmp("vg-replay-html-XXXXXX", NULL);
    g_assert_nonnull(dir);
    g_test_add_func("/replay-html/page", test_page);
    g_test_add_func("/replay-html/bad-sca", test_bad_sca);
    g_test_add_func("/replay-html/unwritable", test_unwritable);
    rc = g_test_run();
    vg_dir_remove(dir);
    return rc;
}
