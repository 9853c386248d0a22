/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Protected VMs found through libvirt (see libvirt-vms.h).
 */
#include <json-glib/json-glib.h>
#include <libvirt/libvirt-qemu.h>
#include <libvirt/virterror.h>
#include <string.h>

#include "libvirt-vms.h"
#include "qmp-client.h"
#include "vm-protect.h"

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
    /* A profile name: ';' would add programs to filter-vigilante's list. */
    for (const char *c = name; *c; c++) {
        if (!g_ascii_isalnum(*c) && !strchr("._-", *c)) {
            g_set_error(errp, VG_LIBVIRT_ERROR, 0, "program name '%s': "
                        "only letters, digits, '.', '_' and '-'", name);
            return;
        }
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
    if (!programs->len) {
        return NULL;            /* marked, but no program: nothing to do */
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

static char *json_command(const char *execute, JsonNode *arguments)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = NULL;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "execute");
    json_builder_add_string_value(b, execute);
    if (arguments) {
        json_builder_set_member_name(b, "arguments");
        json_builder_add_value(b, arguments);     /* consumed */
    }
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    return json_generator_to_data(gen, NULL);
}

static JsonNode *domain_monitor(void *opaque, const char *execute,
                                JsonNode *arguments, GError **errp)
{
    g_autofree char *cmd = json_command(execute, arguments);

    return monitor(opaque, cmd, errp);
}

gboolean vg_libvirt_protect_domain(virDomainPtr dom,
                                   VgProtectFilter *const *filters,
                                   guint n_filters, GString *log,
                                   GPtrArray *installed, GError **errp)
{
    g_auto(GStrv) programs = NULL, netdevs = NULL;
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
    if (!netdevs[0]) {
        g_string_append(log, "no network interface to guard\n");
    }
    return vg_protect_vm(domain_monitor, dom, programs, netdevs, filters,
                         n_filters, log, installed, errp);
}
