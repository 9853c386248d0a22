/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host's JSON writer (lib/json-views.c, and the verdict view of
 * lib/sca-verify.c): each view is one line that json-glib parses back
 * to the values it was made from, with strings that need escaping
 * (quotes, backslashes, control characters) intact.
 */
#include <glib.h>
#include <string.h>

#include "json-views.h"
#include "qmp-client.h"
#include "sca-verify.h"
#include "filter-text.h"

#define AWKWARD "he said \"hi\" \\ back"

static JsonNode *parse_line(char *line)
{
    g_autofree char *text = line;
    g_autoptr(GError) err = NULL;
    JsonNode *n;

    g_test_message("%s", text);
    g_assert_null(strchr(text, '\n'));
    n = vg_json_parse(text, &err);
    g_assert_no_error(err);
    return n;
}

static const char *str_at(JsonNode *root, const char *path)
{
    JsonNode *n = vg_json_lookup(root, path);

    g_assert_nonnull(n);
    return json_node_get_string(n);
}

static gint64 int_at(JsonNode *root, const char *path)
{
    JsonNode *n = vg_json_lookup(root, path);

    g_assert_nonnull(n);
    return json_node_get_int(n);
}

static void test_sca(void)
{
    g_autoptr(Sca) sca = sca_new(SCA_TYPE_AFA, "tiny-fig1");
    g_autoptr(JsonNode) root = NULL;

    memset(sca->digest, 0xab, sizeof(sca->digest));
    sca_add_message(sca, SCA_TRANSPORT_TCP, 5002, "LOGIN\n", 6);
    sca_add_message(sca, SCA_TRANSPORT_UDP, 4444, "X/bin/sh", 9);
    sca->hint_message = 1;
    sca->hint_offset = 1;
    sca->hint_length = 8;
    sca->call = SCA_CALL_EXECVE;
    g_strlcpy(sca->generator, AWKWARD, sizeof(sca->generator));
    sca->time = 1795640000;
    root = parse_line(vg_json_line(vg_sca_to_json(sca)));
    g_assert_cmpint(int_at(root, "version"), ==, SCA_VERSION);
    g_assert_cmpstr(str_at(root, "type"), ==, "afa");
    g_assert_cmpstr(str_at(root, "program.name"), ==, "tiny-fig1");
    g_assert_cmpuint(strlen(str_at(root, "program.digest")), ==, 64);
    g_assert_cmpstr(str_at(root, "messages.0.transport"), ==, "tcp");
    g_assert_cmpint(int_at(root, "messages.0.port"), ==, 5002);
    g_assert_cmpstr(str_at(root, "messages.0.payload"), ==, "4c4f47494e0a");
    g_assert_cmpint(int_at(root, "messages.1.length"), ==, 9);
    g_assert_cmpint(int_at(root, "hint.offset"), ==, 1);
    g_assert_cmpint(int_at(root, "hint.length"), ==, 8);
    g_assert_cmpstr(str_at(root, "hint.call"), ==, "execve");
    g_assert_null(vg_json_lookup(root, "hint.code-bits"));
    g_assert_cmpstr(str_at(root, "generator.name"), ==, AWKWARD);
    g_assert_cmpint(int_at(root, "generator.time"), ==, 1795640000);
}

static void test_filter(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(VfFilter) f = vf_compile(
        "program tiny-fig1\n"
        "digest abababababababababababababababababababababababababababababababab\n"
        "scope udp 4444\n"
        "generator " AWKWARD "\n"
        "require u8[0] == '1' && len > 68\n", &err);
    g_autoptr(JsonNode) root = NULL;
    JsonArray *nodes;
    gboolean has_load = FALSE;

    g_assert_no_error(err);
    root = parse_line(vg_json_line(vg_filter_to_json(f)));
    g_assert_cmpstr(str_at(root, "program.name"), ==, "tiny-fig1");
    g_assert_cmpstr(str_at(root, "scope.transport"), ==, "udp");
    g_assert_cmpint(int_at(root, "scope.port"), ==, 4444);
    g_assert_cmpint(int_at(root, "read-end"), ==, 1);
    g_assert_cmpstr(str_at(root, "generator.name"), ==, AWKWARD);
    nodes = json_node_get_array(vg_json_lookup(root, "nodes"));
    g_assert_cmpuint(json_array_get_length(nodes), ==, f->nodes->len);
    for (guint i = 0; i < json_array_get_length(nodes); i++) {
        JsonObject *o = json_array_get_object_element(nodes, i);

        if (json_object_has_member(o, "offset")) {
            has_load = TRUE;
            g_assert_cmpint(json_object_get_int_member(o, "width"), ==, 1);
        }
    }
    g_assert_true(has_load);
    g_assert_cmpuint(json_array_get_length(json_node_get_array(
        vg_json_lookup(root, "conditions"))), ==, f->conditions->len);
}

static void test_verdict(void)
{
    g_autoptr(Sca) sca = sca_new(SCA_TYPE_AEC, "vg-linux");
    VgVerdict v = {
        .kind = VG_VERDICT_NOT_VERIFIED,
        .reason = (char *)"a \"quoted\" reason\nwith a newline and \x01",
        .restore_ms = 12.34, .total_ms = 56.78,
    };
    VgVerdict ok = { .kind = VG_VERDICT_VERIFIED, .nonce = 0x5c3564 };
    g_autoptr(JsonNode) root = parse_line(vg_verdict_json(&v, sca));
    g_autoptr(JsonNode) root2 = parse_line(vg_verdict_json(&ok, NULL));

    g_assert_cmpstr(str_at(root, "verdict"), ==, "not-verified");
    g_assert_cmpstr(str_at(root, "type"), ==, "aec");
    g_assert_cmpstr(str_at(root, "program"), ==, "vg-linux");
    g_assert_cmpstr(str_at(root, "reason"), ==, v.reason);
    g_assert_cmpint(int_at(root, "restore-ms"), ==, 12);
    g_assert_cmpint(int_at(root, "total-ms"), ==, 57);
    g_assert_null(vg_json_lookup(root, "nonce"));
    g_assert_cmpstr(str_at(root2, "verdict"), ==, "verified");
    g_assert_cmpstr(str_at(root2, "nonce"), ==, "0x5c3564");
    g_assert_null(vg_json_lookup(root2, "program"));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/json-views/sca", test_sca);
    g_test_add_func("/json-views/filter", test_filter);
    g_test_add_func("/json-views/verdict", test_verdict);
    return g_test_run();
}
