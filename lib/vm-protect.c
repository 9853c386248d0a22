/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Protecting a running VM with filters, over any QMP monitor (see
 * vm-protect.h).
 */
#include <stdarg.h>
#include <string.h>

#include "filter.h"
#include "qmp-client.h"
#include "vm-protect.h"

VgProtectFilter *vg_protect_filter_new(GBytes *encoding, const char *origin,
                                       GError **errp)
{
    gsize len;
    const uint8_t *data = g_bytes_get_data(encoding, &len);
    g_autoptr(VfFilter) f = vf_decode(data, len, errp);
    VgProtectFilter *pf;

    if (!f) {
        g_prefix_error(errp, "%s: ", origin);
        return NULL;
    }
    pf = g_new0(VgProtectFilter, 1);
    pf->origin = g_strdup(origin);
    pf->program = g_strdup(f->name);
    pf->sha256 = vf_digest_hex(encoding);
    pf->id = g_strdup_printf("vf-%.32s", pf->sha256);
    pf->base64 = g_base64_encode(data, len);
    return pf;
}

VgProtectFilter *vg_protect_filter_load(const char *path, GError **errp)
{
    g_autofree char *data = NULL;
    g_autoptr(GBytes) bytes = NULL;
    gsize len;

    if (!g_file_get_contents(path, &data, &len, errp)) {
        return NULL;
    }
    bytes = g_bytes_new_take(g_steal_pointer(&data), len);
    return vg_protect_filter_new(bytes, path, errp);
}

void vg_protect_filter_free(VgProtectFilter *f)
{
    if (f) {
        g_free(f->origin);
        g_free(f->program);
        g_free(f->id);
        g_free(f->sha256);
        g_free(f->base64);
        g_free(f);
    }
}

/* The string member @key of each object in array @array_path of @root. */
static GHashTable *members(JsonNode *root, const char *array_path,
                           const char *key)
{
    GHashTable *set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                            NULL);
    JsonNode *arr = vg_json_lookup(root, array_path);

    if (arr && JSON_NODE_HOLDS_ARRAY(arr)) {
        JsonArray *a = json_node_get_array(arr);

        for (guint i = 0; i < json_array_get_length(a); i++) {
            JsonObject *o = json_array_get_object_element(a, i);
            const char *v = o ? json_object_get_string_member_with_default(
                                    o, key, NULL) : NULL;

            if (v) {
                g_hash_table_add(set, g_strdup(v));
            }
        }
    }
    return set;
}

/* Arguments: pairs of member name and string value, NULL-terminated. */
static JsonNode *string_object(const char *name, ...)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    va_list ap;

    json_builder_begin_object(b);
    va_start(ap, name);
    for (const char *n = name; n; n = va_arg(ap, const char *)) {
        json_builder_set_member_name(b, n);
        json_builder_add_string_value(b, va_arg(ap, const char *));
    }
    va_end(ap);
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

static gboolean run(VgMonitorFn monitor, void *opaque, const char *execute,
                    JsonNode *arguments, GError **errp)
{
    g_autoptr(JsonNode) r = monitor(opaque, execute, arguments, errp);

    return r != NULL;
}

gboolean vg_protect_vm(VgMonitorFn monitor, void *opaque,
                       char *const *programs, char *const *netdevs,
                       VgProtectFilter *const *filters, guint n_filters,
                       GString *log, GPtrArray *installed, GError **errp)
{
    g_autoptr(JsonNode) state = NULL;
    g_autoptr(GHashTable) guarded = NULL, present = NULL;
    g_autofree char *progs = g_strjoinv(";", (char **)programs);
    GError *err = NULL;

    state = monitor(opaque, "query-vigilante-filters", NULL, &err);
    if (!state) {
        g_set_error(errp, VG_PROTECT_ERROR, 0, "the VM's emulator cannot "
                    "take filters (is it Vigilante-QEMU?): %s", err->message);
        g_error_free(err);
        return FALSE;
    }
    guarded = members(state, "guards", "netdev");
    present = members(state, "filters", "sha256");

    for (char *const *n = netdevs; n && *n; n++) {
        g_autofree char *id = g_strdup_printf("vg-guard-%s", *n);

        if (g_hash_table_contains(guarded, *n)) {
            continue;
        }
        if (!run(monitor, opaque, "object-add",
                 string_object("qom-type", "filter-vigilante", "id", id,
                               "netdev", *n, "programs", progs, NULL),
                 errp)) {
            g_prefix_error(errp, "object-add filter-vigilante on %s: ", *n);
            return FALSE;
        }
        g_string_append_printf(log, "netdev %s: filter-vigilante added\n",
                               *n);
    }
    for (guint i = 0; i < n_filters; i++) {
        const VgProtectFilter *f = filters[i];

        if (!g_strv_contains((const char *const *)programs, f->program) ||
            g_hash_table_contains(present, f->sha256)) {
            continue;
        }
        if (!run(monitor, opaque, "vigilante-filter-add",
                 string_object("id", f->id, "data", f->base64, NULL),
                 errp)) {
            g_prefix_error(errp, "vigilante-filter-add %s: ", f->origin);
            return FALSE;
        }
        g_hash_table_add(present, g_strdup(f->sha256));
        if (installed) {
            g_ptr_array_add(installed, g_strdup(f->id));
        }
        g_string_append_printf(log, "filter %s (%s, %s) installed\n", f->id,
                               f->program, f->origin);
    }
    return TRUE;
}
