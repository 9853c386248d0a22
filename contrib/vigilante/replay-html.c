/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The replay report's page: a table of the flows, then a section per
 * attack with its SCA.  Everything that came from the capture or the
 * guest is escaped; the page loads nothing (no script, no remote style).
 */
#include <json-glib/json-glib.h>

#include "replay-html.h"
#include "sca.h"

#define CONSOLE_MAX     4096    /* of a flow's console text shown */

static const char style[] =
    "body{font-family:sans-serif;margin:1.5em}"
    "table{border-collapse:collapse}"
    "td,th{border:1px solid #bbb;padding:2px 6px;text-align:left;"
    "vertical-align:top}"
    "tr.attack{background:#fdd}tr.crashed,tr.error{background:#fec}"
    "pre{font-size:90%}mark.hint{background:#f55;color:#fff}"
    "td.console{font-family:monospace;white-space:pre-wrap;font-size:80%}";

/* Escaped text to @out. */
static void put_text(GString *out, const char *s)
{
    g_autofree char *valid = g_utf8_make_valid(s ? s : "", -1);
    g_autofree char *e = g_markup_escape_text(valid, -1);

    g_string_append(out, e);
}

static const char *member(JsonObject *o, const char *name)
{
    JsonNode *n = json_object_get_member(o, name);

    return n && JSON_NODE_HOLDS_VALUE(n) &&
           json_node_get_value_type(n) == G_TYPE_STRING
           ? json_node_get_string(n) : NULL;
}

static gint64 number(JsonObject *o, const char *name)
{
    JsonNode *n = json_object_get_member(o, name);

    return n && JSON_NODE_HOLDS_VALUE(n) ? json_node_get_int(n) : 0;
}

/* A link to a file of the report (it sits beside the page). */
static void put_link(GString *out, const char *path, const char *label)
{
    g_autofree char *base = g_path_get_basename(path);

    g_string_append(out, "<a href=\"");
    put_text(out, base);
    g_string_append(out, "\">");
    put_text(out, label ? label : base);
    g_string_append(out, "</a>");
}

static gint by_flow(gconstpointer a, gconstpointer b)
{
    JsonObject *x = json_node_get_object(*(JsonNode **)a);
    JsonObject *y = json_node_get_object(*(JsonNode **)b);
    gint64 fx = number(x, "flow"), fy = number(y, "flow");

    return fx < fy ? -1 : fx > fy;
}

static void put_row(GString *out, JsonObject *o)
{
    const char *verdict = member(o, "verdict");
    gint64 flow = number(o, "flow");
    JsonObject *alert = json_object_has_member(o, "alert")
                        ? json_object_get_object_member(o, "alert") : NULL;
    const char *note = member(o, "reason");
    const char *console = member(o, "console");

    g_string_append(out, "<tr class=\"");
    put_text(out, verdict);
    g_string_append_printf(out, "\" id=\"row-%" G_GINT64_FORMAT "\"><td>",
                           flow);
    if (alert) {
        g_string_append_printf(out, "<a href=\"#flow-%" G_GINT64_FORMAT
                               "\">%" G_GINT64_FORMAT "</a>", flow, flow);
    } else {
        g_string_append_printf(out, "%" G_GINT64_FORMAT, flow);
    }
    g_string_append(out, "</td><td>");
    put_text(out, member(o, "transport"));
    g_string_append(out, "</td><td>");
    put_text(out, member(o, "client"));
    g_string_append(out, "</td><td>");
    put_text(out, member(o, "server"));
    g_string_append_printf(out, "</td><td>%" G_GINT64_FORMAT "</td><td>%"
                           G_GINT64_FORMAT "</td><td>%" G_GINT64_FORMAT
                           "</td><td class=\"verdict\">", number(o, "port"),
                           number(o, "packets"), number(o, "client-bytes"));
    put_text(out, verdict);
    g_string_append(out, "</td><td>");
    if (alert) {
        put_text(out, member(alert, "type"));
        g_string_append_printf(out, " at pc 0x%" G_GINT64_MODIFIER "x (",
                               (guint64)number(alert, "pc"));
        put_text(out, member(alert, "insn"));
        g_string_append(out, ")");
    }
    g_string_append(out, "</td><td>");
    if (alert) {
        g_string_append(out, json_object_get_boolean_member_with_default(
                                 o, "verified", false)
                        ? "verified" : "<b>not verified</b>");
    }
    if (member(o, "sca")) {
        g_string_append(out, ": ");
        put_link(out, member(o, "sca"), NULL);
    }
    if (member(o, "minimised")) {
        g_string_append(out, ", ");
        put_link(out, member(o, "minimised"), "minimised");
    }
    if (member(o, "filter")) {
        g_string_append(out, ", ");
        put_link(out, member(o, "filter"), "filter");
    }
    g_string_append(out, "</td><td class=\"console\">");
    if (note) {
        put_text(out, note);
        g_string_append(out, console ? "\n" : "");
    }
    if (console) {
        g_autofree char *cut = g_strndup(console, CONSOLE_MAX);

        put_text(out, cut);
    }
    g_string_append(out, "</td></tr>\n");
}

/* 16 bytes a line; the hint's bytes in <mark class="hint">. */
static void put_hexdump(GString *out, const guint8 *p, size_t n,
                        size_t hl_from, size_t hl_to)
{
    g_string_append(out, "<pre class=\"hex\">");
    for (size_t line = 0; line < n; line += 16) {
        g_string_append_printf(out, "%06zx ", line);
        for (size_t i = line; i < line + 16; i++) {
            if (i >= n) {
                g_string_append(out, "   ");
            } else if (i >= hl_from && i < hl_to) {
                g_string_append_printf(out, " <mark class=\"hint\">%02x"
                                       "</mark>", p[i]);
            } else {
                g_string_append_printf(out, " %02x", p[i]);
            }
        }
        g_string_append(out, "  ");
        for (size_t i = line; i < line + 16 && i < n; i++) {
            char c[2] = { g_ascii_isprint(p[i]) ? p[i] : '.', 0 };

            put_text(out, c);
        }
        g_string_append_c(out, '\n');
    }
    g_string_append(out, "</pre>\n");
}

/* The section of an attack's SCA (as trapped: what was sent). */
static void put_sca(GString *out, JsonObject *o)
{
    const char *path = member(o, "sca");
    g_autoptr(GError) err = NULL;
    g_autoptr(Sca) sca = path ? sca_load(path, &err) : NULL;
    gint64 flow = number(o, "flow");

    g_string_append_printf(out, "<section class=\"sca\" id=\"flow-%"
                           G_GINT64_FORMAT "\">\n<h2>Flow %" G_GINT64_FORMAT
                           ": ", flow, flow);
    put_text(out, member(o, "client"));
    g_string_append(out, " &rarr; ");
    put_text(out, member(o, "server"));
    g_string_append(out, "</h2>\n");
    if (!sca) {
        g_string_append(out, "<p>No SCA: ");
        put_text(out, err ? err->message : member(o, "reason"));
        g_string_append(out, "</p>\n</section>\n");
        return;
    }
    g_string_append(out, "<p class=\"hint\">");
    put_text(out, sca_type_name(sca->type));
    g_string_append_printf(out, " SCA of %u message(s); hint: message %u, "
                           "bytes %u..%u, which ", sca->messages->len,
                           sca->hint_message, sca->hint_offset,
                           sca->hint_offset + sca->hint_length - 1);
    if (sca->type == SCA_TYPE_AEC) {
        g_string_append(out, "become the program counter");
    } else if (sca->type == SCA_TYPE_ACE) {
        g_string_append(out, "are executed");
    } else {
        g_string_append_printf(out, "become argument %u of ", sca->call_arg);
        put_text(out, sca_call_name(sca->call));
    }
    g_string_append(out, ".</p>\n");
    for (guint i = 0; i < sca->messages->len; i++) {
        const ScaMessage *m = sca_message(sca, i);
        size_t len;
        const guint8 *d = g_bytes_get_data(m->payload, &len);
        bool hinted = i == sca->hint_message;

        g_string_append_printf(out, "<h3>message %u: %s port %u, %zu "
                               "bytes</h3>\n", i,
                               sca_transport_name(m->transport), m->port,
                               len);
        put_hexdump(out, d, len, hinted ? sca->hint_offset : 0,
                    hinted ? sca->hint_offset + sca->hint_length : 0);
    }
    g_string_append(out, "</section>\n");
}

bool vg_replay_html_write(const char *dir, const char *capture,
                          const char *program, const char *summary,
                          GPtrArray *lines, GError **errp)
{
    g_autoptr(GPtrArray) flows = g_ptr_array_new_with_free_func(
        (GDestroyNotify)json_node_unref);
    g_autoptr(GString) out = g_string_new("<!DOCTYPE html>\n<html lang=\"en\">"
                                          "<head><meta charset=\"utf-8\">\n"
                                          "<title>vigilante replay: ");
    g_autofree char *path = g_build_filename(dir, "index.html", NULL);

    for (guint i = 0; i < lines->len; i++) {
        JsonNode *n = json_from_string(lines->pdata[i], NULL);

        if (n && JSON_NODE_HOLDS_OBJECT(n)) {
            g_ptr_array_add(flows, n);
        } else if (n) {
            json_node_unref(n);
        }
    }
    g_ptr_array_sort(flows, by_flow);

    put_text(out, capture);
    g_string_append_printf(out, "</title>\n<style>%s</style></head>\n<body>\n"
                           "<h1>vigilante replay of <code>", style);
    put_text(out, capture);
    g_string_append(out, "</code> for <code>");
    put_text(out, program);
    g_string_append(out, "</code></h1>\n<p id=\"summary\">");
    put_text(out, summary);
    g_string_append(out, "</p>\n<table id=\"flows\"><thead><tr><th>flow</th>"
                    "<th>transport</th><th>client</th><th>server</th>"
                    "<th>port</th><th>packets</th><th>client bytes</th>"
                    "<th>verdict</th><th>alert</th><th>SCA</th>"
                    "<th>notes, console</th></tr></thead>\n<tbody>\n");
    for (guint i = 0; i < flows->len; i++) {
        put_row(out, json_node_get_object(flows->pdata[i]));
    }
    g_string_append(out, "</tbody></table>\n");
    for (guint i = 0; i < flows->len; i++) {
        JsonObject *o = json_node_get_object(flows->pdata[i]);

        if (json_object_has_member(o, "alert")) {
            put_sca(out, o);
        }
    }
    g_string_append(out, "</body></html>\n");
    return g_file_set_contents(path, out->str, out->len, errp);
}
