/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Protected VMs found through libvirt (see libvirt-vms.h).
 */
#include <json-glib/json-glib.h>
#include <libvirt/libvirt-qemu.h>
#include <libvirt/virterror.h>
#include <string.h>

#include "filter.h"
#include "libvirt-vms.h"
#include "qmp-client.h"

GQuark vg_libvirt_error_quark(void)
{
    return g_quark_from_static_string("vg-libvirt-error-quark");
}

/* libvirt's last error, for messages. */
static const char *last_error(void)
{
    const char *m = virGetLastErrorMessage();

    return m ? m : "unknown libvirt error";
}

/* ---- filters ----------------------------------------------------------- */

VgLibvirtFilter *vg_libvirt_filter_load(const char *path, GError **errp)
{
    g_autofree char *data = NULL;
    gsize len;
    g_autoptr(VfFilter) f = NULL;
    g_autoptr(GBytes) bytes = NULL;
    VgLibvirtFilter *lf;

    if (!g_file_get_contents(path, &data, &len, errp)) {
        return NULL;
    }
    f = vf_decode((const uint8_t *)data, len, errp);
    if (!f) {
        g_prefix_error(errp, "%s: ", path);
        return NULL;
    }
    bytes = g_bytes_new(data, len);
    lf = g_new0(VgLibvirtFilter, 1);
    lf->path = g_strdup(path);
    lf->program = g_strdup(f->name);
    lf->sha256 = vf_digest_hex(bytes);
    lf->id = g_strdup_printf("vf-%.32s", lf->sha256);
    lf->base64 = g_base64_encode((const guchar *)data, len);
    return lf;
}

void vg_libvirt_filter_free(VgLibvirtFilter *f)
{
    if (f) {
        g_free(f->path);
        g_free(f->program);
        g_free(f->id);
        g_free(f->sha256);
        g_free(f->base64);
        g_free(f);
    }
}

/* ---- XML --------------------------------------------------------------- */

/* The element's name without its namespace prefix. */
static const char *local_name(const char *name)
{
    const char *colon = strchr(name, ':');

    return colon ? colon + 1 : name;
}

static const char *attribute(const char **names, const char **values,
                             const char *which)
{
    for (int i = 0; names[i]; i++) {
        if (!strcmp(names[i], which)) {
            return values[i];
        }
    }
    return NULL;
}

static void program_start(GMarkupParseContext *ctx, const char *element,
                          const char **names, const char **values,
                          gpointer user_data, GError **errp)
{
    GPtrArray *programs = user_data;
    const char *name;

    if (strcmp(local_name(element), "program")) {
        return;
    }
    name = attribute(names, values, "name");
    if (!name || !*name) {
        g_set_error(errp, VG_LIBVIRT_ERROR, 0,
                    "a <program> element without a name");
        return;
    }
    g_ptr_array_add(programs, g_strdup(name));
}

char **vg_libvirt_domain_programs(virDomainPtr dom, GError **errp)
{
    static const GMarkupParser parser = { .start_element = program_start };
    g_autoptr(GPtrArray) programs = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GMarkupParseContext) ctx = NULL;
    g_autofree char *xml = virDomainGetMetadata(dom,
                                                VIR_DOMAIN_METADATA_ELEMENT,
                                                VG_LIBVIRT_NS_URI, 0);

    if (!xml) {
        if (virGetLastErrorCode() == VIR_ERR_NO_DOMAIN_METADATA) {
            virResetLastError();
            return NULL;
        }
        g_set_error(errp, VG_LIBVIRT_ERROR, 0, "metadata: %s", last_error());
        return NULL;
    }
    ctx = g_markup_parse_context_new(&parser, 0, programs, NULL);
    if (!g_markup_parse_context_parse(ctx, xml, -1, errp) ||
        !g_markup_parse_context_end_parse(ctx, errp)) {
        g_prefix_error(errp, "vigilante metadata: ");
        return NULL;
    }
    g_ptr_array_add(programs, NULL);
    return (char **)g_ptr_array_steal(programs, NULL);
}

/* The aliases of <devices><interface> elements (not hostdev ones). */
typedef struct NetdevScan {
    GQueue path;                /* element names, innermost first */
    gboolean in_interface, skip;
    char *alias;
    GPtrArray *netdevs;
} NetdevScan;

static void netdev_start(GMarkupParseContext *ctx, const char *element,
                         const char **names, const char **values,
                         gpointer user_data, GError **errp)
{
    NetdevScan *s = user_data;
    const char *parent = g_queue_peek_head(&s->path);

    if (!strcmp(element, "interface") && !g_strcmp0(parent, "devices")) {
        const char *type = attribute(names, values, "type");

        s->in_interface = TRUE;
        /* A passed-through NIC has no netdev to filter. */
        s->skip = !g_strcmp0(type, "hostdev");
    } else if (s->in_interface && !strcmp(element, "alias") &&
               !g_strcmp0(parent, "interface")) {
        g_free(s->alias);
        s->alias = g_strdup(attribute(names, values, "name"));
    }
    g_queue_push_head(&s->path, g_strdup(element));
}

static void netdev_end(GMarkupParseContext *ctx, const char *element,
                       gpointer user_data, GError **errp)
{
    NetdevScan *s = user_data;

    g_free(g_queue_pop_head(&s->path));
    if (s->in_interface && !strcmp(element, "interface")) {
        if (s->alias && !s->skip) {
            g_ptr_array_add(s->netdevs, g_strdup_printf("host%s", s->alias));
        }
        g_clear_pointer(&s->alias, g_free);
        s->in_interface = FALSE;
    }
}

char **vg_libvirt_domain_netdevs(virDomainPtr dom, GError **errp)
{
    static const GMarkupParser parser = {
        .start_element = netdev_start, .end_element = netdev_end,
    };
    g_autofree char *xml = virDomainGetXMLDesc(dom, 0);
    NetdevScan s = { .netdevs = g_ptr_array_new_with_free_func(g_free) };
    g_autoptr(GMarkupParseContext) ctx = NULL;
    gboolean ok;

    if (!xml) {
        g_set_error(errp, VG_LIBVIRT_ERROR, 0, "domain XML: %s",
                    last_error());
        g_ptr_array_free(s.netdevs, TRUE);
        return NULL;
    }
    g_queue_init(&s.path);
    ctx = g_markup_parse_context_new(&parser, 0, &s, NULL);
    ok = g_markup_parse_context_parse(ctx, xml, -1, errp) &&
         g_markup_parse_context_end_parse(ctx, errp);
    g_queue_clear_full(&s.path, g_free);
    g_free(s.alias);
    if (!ok) {
        g_prefix_error(errp, "domain XML: ");
        g_ptr_array_free(s.netdevs, TRUE);
        return NULL;
    }
    g_ptr_array_add(s.netdevs, NULL);
    return (char **)g_ptr_array_free(s.netdevs, FALSE);
}

/* ---- the QEMU monitor through libvirt ---------------------------------- */

/*
 * Run @cmd (QMP JSON) on @dom's monitor; returns its "return" member
 * (json_node_unref), or NULL with @errp on a libvirt or QMP error.
 */
static JsonNode *monitor(virDomainPtr dom, const char *cmd, GError **errp)
{
    g_autofree char *reply = NULL;
    g_autoptr(JsonNode) root = NULL;
    JsonNode *node;

    if (virDomainQemuMonitorCommand(dom, cmd, &reply, 0) < 0) {
        g_set_error(errp, VG_LIBVIRT_ERROR, 0, "%s", last_error());
        return NULL;
    }
    root = vg_json_parse(reply, errp);
    if (!root) {
        return NULL;
    }
    node = vg_json_lookup(root, "error.desc");
    if (node) {
        g_set_error(errp, VG_LIBVIRT_ERROR, 0, "%s",
                    json_node_get_string(node));
        return NULL;
    }
    node = vg_json_lookup(root, "return");
    if (!node) {
        g_set_error(errp, VG_LIBVIRT_ERROR, 0, "a monitor reply without "
                    "return: %.200s", reply);
        return NULL;
    }
    return json_node_copy(node);
}

static char *json_command(const char *execute, JsonBuilder *args)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = NULL;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "execute");
    json_builder_add_string_value(b, execute);
    if (args) {
        json_builder_set_member_name(b, "arguments");
        json_builder_add_value(b, json_builder_get_root(args));
    }
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    return json_generator_to_data(gen, NULL);
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

static gboolean add_guard(virDomainPtr dom, const char *netdev,
                          char **programs, GError **errp)
{
    g_autoptr(JsonBuilder) a = json_builder_new();
    g_autofree char *id = g_strdup_printf("vg-guard-%s", netdev);
    g_autofree char *progs = g_strjoinv(";", programs);
    g_autofree char *cmd = NULL;
    g_autoptr(JsonNode) r = NULL;

    json_builder_begin_object(a);
    json_builder_set_member_name(a, "qom-type");
    json_builder_add_string_value(a, "filter-vigilante");
    json_builder_set_member_name(a, "id");
    json_builder_add_string_value(a, id);
    json_builder_set_member_name(a, "netdev");
    json_builder_add_string_value(a, netdev);
    json_builder_set_member_name(a, "programs");
    json_builder_add_string_value(a, progs);
    json_builder_end_object(a);
    cmd = json_command("object-add", a);
    r = monitor(dom, cmd, errp);
    if (!r) {
        g_prefix_error(errp, "object-add filter-vigilante on %s: ", netdev);
        return FALSE;
    }
    return TRUE;
}

static gboolean add_filter(virDomainPtr dom, const VgLibvirtFilter *f,
                           GError **errp)
{
    g_autoptr(JsonBuilder) a = json_builder_new();
    g_autofree char *cmd = NULL;
    g_autoptr(JsonNode) r = NULL;

    json_builder_begin_object(a);
    json_builder_set_member_name(a, "id");
    json_builder_add_string_value(a, f->id);
    json_builder_set_member_name(a, "data");
    json_builder_add_string_value(a, f->base64);
    json_builder_end_object(a);
    cmd = json_command("vigilante-filter-add", a);
    r = monitor(dom, cmd, errp);
    if (!r) {
        g_prefix_error(errp, "vigilante-filter-add %s: ", f->path);
        return FALSE;
    }
    return TRUE;
}

gboolean vg_libvirt_protect_domain(virDomainPtr dom,
                                   VgLibvirtFilter *const *filters,
                                   guint n_filters, GString *log,
                                   GError **errp)
{
    g_auto(GStrv) programs = NULL, netdevs = NULL;
    g_autoptr(JsonNode) state = NULL;
    g_autoptr(GHashTable) guarded = NULL, installed = NULL;
    g_autofree char *query = json_command("query-vigilante-filters", NULL);
    GError *err = NULL;

    programs = vg_libvirt_domain_programs(dom, &err);
    if (!programs) {
        if (err) {
            g_propagate_error(errp, err);
            return FALSE;
        }
        g_string_append(log, "no vigilante metadata: left alone\n");
        return TRUE;
    }
    netdevs = vg_libvirt_domain_netdevs(dom, errp);
    if (!netdevs) {
        return FALSE;
    }
    state = monitor(dom, query, &err);
    if (!state) {
        g_set_error(errp, VG_LIBVIRT_ERROR, 0, "the domain's emulator "
                    "cannot take filters (is it Vigilante-QEMU?): %s",
                    err->message);
        g_error_free(err);
        return FALSE;
    }
    guarded = members(state, "guards", "netdev");
    installed = members(state, "filters", "sha256");

    for (char **n = netdevs; *n; n++) {
        if (g_hash_table_contains(guarded, *n)) {
            continue;
        }
        if (!add_guard(dom, *n, programs, errp)) {
            return FALSE;
        }
        g_string_append_printf(log, "netdev %s: filter-vigilante added\n",
                               *n);
    }
    if (!netdevs[0]) {
        g_string_append(log, "no network interface to guard\n");
    }
    for (guint i = 0; i < n_filters; i++) {
        const VgLibvirtFilter *f = filters[i];

        if (!g_strv_contains((const char *const *)programs, f->program) ||
            g_hash_table_contains(installed, f->sha256)) {
            continue;
        }
        if (!add_filter(dom, f, errp)) {
            return FALSE;
        }
        g_hash_table_add(installed, g_strdup(f->sha256));
        g_string_append_printf(log, "filter %s (%s, %s) installed\n", f->id,
                               f->program, f->path);
    }
    return TRUE;
}
