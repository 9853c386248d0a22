/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vigilante-agent's key file: see config.h and docs/agent.md. */
#include <string.h>

#include "config.h"

static GQuark vga_config_error_quark(void)
{
    return g_quark_from_static_string("vga-config-error-quark");
}
#define CONFIG_ERROR vga_config_error_quark()

bool vga_parse_address(const char *text, bool allow_zero, VgaAddress *out,
                       GError **errp)
{
    const char *colon = strrchr(text, ':');
    g_autofree char *host = NULL;
    guint64 port;

    if (!colon || colon == text) {
        g_set_error(errp, CONFIG_ERROR, 0, "'%s' is not host:port", text);
        return false;
    }
    host = g_strndup(text, colon - text);
    if (host[0] == '[') {
        size_t n = strlen(host);

        if (n < 3 || host[n - 1] != ']') {
            g_set_error(errp, CONFIG_ERROR, 0, "'%s': bad [address]", text);
            return false;
        }
        memmove(host, host + 1, n - 2);
        host[n - 2] = '\0';
    }
    if (!g_ascii_string_to_unsigned(colon + 1, 10, allow_zero ? 0 : 1,
                                    65535, &port, NULL)) {
        g_set_error(errp, CONFIG_ERROR, 0, "'%s': bad port", text);
        return false;
    }
    out->host = g_steal_pointer(&host);
    out->port = port;
    return true;
}

static char *path_key(GKeyFile *kf, const char *dir, const char *group,
                      const char *key, bool required, GError **errp)
{
    g_autofree char *v = g_key_file_get_string(kf, group, key, NULL);

    if (!v || !v[0]) {
        if (required) {
            g_set_error(errp, CONFIG_ERROR, 0, "[%s] %s is required", group,
                        key);
        }
        return NULL;
    }
    return g_path_is_absolute(v) ? g_steal_pointer(&v)
                                 : g_build_filename(dir, v, NULL);
}

/* An unsigned key in [min, max], or def when absent. */
static bool uint_key(GKeyFile *kf, const char *group, const char *key,
                     unsigned def, unsigned min, unsigned max,
                     unsigned *out, GError **errp)
{
    g_autofree char *v = g_key_file_get_string(kf, group, key, NULL);
    guint64 n;

    if (!v) {
        *out = def;
        return true;
    }
    if (!g_ascii_string_to_unsigned(v, 10, min, max, &n, NULL)) {
        g_set_error(errp, CONFIG_ERROR, 0, "[%s] %s: '%s' is not a number "
                    "from %u to %u", group, key, v, min, max);
        return false;
    }
    *out = n;
    return true;
}

static bool bool_key(GKeyFile *kf, const char *group, const char *key,
                     bool *out, GError **errp)
{
    g_autofree char *v = g_key_file_get_string(kf, group, key, NULL);

    if (!v) {
        *out = false;
        return true;
    }
    if (!strcmp(v, "true") || !strcmp(v, "false")) {
        *out = !strcmp(v, "true");
        return true;
    }
    g_set_error(errp, CONFIG_ERROR, 0, "[%s] %s: '%s' is not true or false",
                group, key, v);
    return false;
}

/* Unknown groups and keys are mistakes: say so rather than ignore them. */
static bool check_known(GKeyFile *kf, GError **errp)
{
    static const char *const known[] = {
        "agent/name", "agent/certificate", "agent/key", "agent/ca",
        "agent/listen", "agent/state-dir", "agent/control", "agent/qemu",
        "peers/connect",
        "verify/profiles", "verify/forward-unverified", "verify/timeout-ms",
        "limits/rate", "limits/burst", "limits/queue", "limits/max-failures",
        "limits/ban-seconds", "protect/generate", "protect/rescan-seconds",
        "protect/filters", "libvirt/uri",
    };
    static const char *const vm_keys[] = { "qmp", "programs", "netdevs" };
    g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);

    for (char **g = groups; *g; g++) {
        g_auto(GStrv) keys = g_key_file_get_keys(kf, *g, NULL, NULL);

        for (char **k = keys; k && *k; k++) {
            g_autofree char *gk = g_strdup_printf("%s/%s", *g, *k);
            bool ok = false;

            for (size_t i = 0; i < G_N_ELEMENTS(known); i++) {
                ok |= !strcmp(gk, known[i]);
            }
            for (size_t i = 0; g_str_has_prefix(*g, "vm ") &&
                               i < G_N_ELEMENTS(vm_keys); i++) {
                ok |= !strcmp(*k, vm_keys[i]);
            }
            if (!ok) {
                g_set_error(errp, CONFIG_ERROR, 0, "unknown key [%s] %s", *g,
                            *k);
                return false;
            }
        }
    }
    return true;
}

static bool name_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 64) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (!g_ascii_isalnum(s[i]) && !strchr("._-", s[i])) {
            return false;
        }
    }
    return true;
}

/* A list key's items, stripped, empty ones left out. */
static char **list_key(GKeyFile *kf, const char *group, const char *key)
{
    g_auto(GStrv) items = g_key_file_get_string_list(kf, group, key, NULL,
                                                     NULL);
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);

    for (char **i = items; i && *i; i++) {
        g_strstrip(*i);
        if (**i) {
            g_ptr_array_add(out, g_strdup(*i));
        }
    }
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_free(g_steal_pointer(&out), false);
}

static void vm_free(gpointer p)
{
    VgaVm *vm = p;

    g_free(vm->name);
    g_free(vm->qmp);
    g_strfreev(vm->programs);
    g_strfreev(vm->netdevs);
    g_free(vm);
}

/* [vm NAME] groups: qmp= (required), programs= (one at least), netdevs=. */
static bool load_vms(VgaConfig *c, GKeyFile *kf, const char *dir,
                     GError **errp)
{
    g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);

    for (char **g = groups; *g; g++) {
        VgaVm *vm;
        const char *name = *g + 3;

        if (!g_str_has_prefix(*g, "vm ")) {
            continue;
        }
        if (!name_ok(name)) {
            g_set_error(errp, CONFIG_ERROR, 0, "[%s]: a VM's name is 1-64 "
                        "letters, digits, '.', '_' or '-'", *g);
            return false;
        }
        vm = g_new0(VgaVm, 1);
        g_ptr_array_add(c->vms, vm);
        vm->name = g_strdup(name);
        vm->qmp = path_key(kf, dir, *g, "qmp", true, errp);
        if (!vm->qmp) {
            return false;
        }
        vm->programs = list_key(kf, *g, "programs");
        vm->netdevs = list_key(kf, *g, "netdevs");
        if (!vm->programs[0]) {
            g_set_error(errp, CONFIG_ERROR, 0, "[%s] programs: the programs "
                        "it runs are required (profile names)", *g);
            return false;
        }
        for (char **n = vm->programs; *n; n++) {
            if (!name_ok(*n)) {
                g_set_error(errp, CONFIG_ERROR, 0, "[%s] programs: '%s' is "
                            "not a program name", *g, *n);
                return false;
            }
        }
        for (char **n = vm->netdevs; *n; n++) {
            if (!name_ok(*n)) {
                g_set_error(errp, CONFIG_ERROR, 0, "[%s] netdevs: '%s' is "
                            "not a netdev id", *g, *n);
                return false;
            }
        }
    }
    return true;
}

static bool load(VgaConfig *c, GKeyFile *kf, const char *dir, GError **errp)
{
    g_autofree char *listen = NULL, *rate = NULL, *gen = NULL;
    g_auto(GStrv) peers = NULL, profiles = NULL;
    unsigned timeout;

    if (!check_known(kf, errp)) {
        return false;
    }
    c->name = g_key_file_get_string(kf, "agent", "name", NULL);
    if (!c->name || !name_ok(c->name)) {
        g_set_error(errp, CONFIG_ERROR, 0, "[agent] name is required: 1-64 "
                    "letters, digits, '.', '_' or '-'");
        return false;
    }
    c->certificate = path_key(kf, dir, "agent", "certificate", true, errp);
    if (!c->certificate) {
        return false;
    }
    c->key = path_key(kf, dir, "agent", "key", true, errp);
    if (!c->key) {
        return false;
    }
    c->ca = path_key(kf, dir, "agent", "ca", true, errp);
    if (!c->ca) {
        return false;
    }
    c->state_dir = path_key(kf, dir, "agent", "state-dir", true, errp);
    if (!c->state_dir) {
        return false;
    }
    c->control = path_key(kf, dir, "agent", "control", false, NULL);
    if (!c->control) {
        c->control = g_build_filename(c->state_dir, "control.sock", NULL);
    }
    c->qemu = path_key(kf, dir, "agent", "qemu", false, NULL);
    listen = g_key_file_get_string(kf, "agent", "listen", NULL);
    if (listen) {
        g_autoptr(GError) err = NULL;

        if (!vga_parse_address(listen, true, &c->listen, &err)) {
            g_set_error(errp, CONFIG_ERROR, 0, "[agent] listen: %s",
                        err->message);
            return false;
        }
    }
    peers = g_key_file_get_string_list(kf, "peers", "connect", NULL, NULL);
    for (char **p = peers; p && *p; p++) {
        g_autoptr(GError) err = NULL;
        VgaAddress a;

        if (!**p) {
            continue;
        }
        if (!vga_parse_address(g_strstrip(*p), false, &a, &err)) {
            g_set_error(errp, CONFIG_ERROR, 0, "[peers] connect: %s",
                        err->message);
            return false;
        }
        g_array_append_val(c->peers, a);
    }
    profiles = g_key_file_get_string_list(kf, "verify", "profiles", NULL,
                                          NULL);
    for (char **p = profiles; p && *p; p++) {
        g_strstrip(*p);
        if (**p) {
            g_ptr_array_add(c->profiles, g_path_is_absolute(*p)
                            ? g_strdup(*p) : g_build_filename(dir, *p, NULL));
        }
    }
    if (!bool_key(kf, "verify", "forward-unverified", &c->forward_unverified,
                  errp) ||
        !uint_key(kf, "verify", "timeout-ms", 5000, 100, 600000, &timeout,
                  errp) ||
        !uint_key(kf, "limits", "burst", 20, 1, 100000, &c->burst, errp) ||
        !uint_key(kf, "limits", "queue", 1024, 1, 1000000, &c->queue,
                  errp) ||
        !uint_key(kf, "limits", "max-failures", 3, 1, 1000,
                  &c->max_failures, errp) ||
        !uint_key(kf, "limits", "ban-seconds", 60, 0, 86400, &c->ban_s,
                  errp) ||
        !uint_key(kf, "protect", "rescan-seconds", 5, 1, 3600, &c->rescan_s,
                  errp) ||
        !load_vms(c, kf, dir, errp)) {
        return false;
    }
    c->verify_timeout_ms = timeout;
    c->filters = list_key(kf, "protect", "filters");
    for (char **f = c->filters; *f; f++) {
        if (!g_path_is_absolute(*f)) {
            char *abs = g_build_filename(dir, *f, NULL);

            g_free(*f);
            *f = abs;
        }
    }
    c->libvirt = g_key_file_get_string(kf, "libvirt", "uri", NULL);
    if (c->libvirt && !c->libvirt[0]) {
        g_clear_pointer(&c->libvirt, g_free);
    }
    gen = g_key_file_get_string(kf, "protect", "generate", NULL);
    if (!gen || !strcmp(gen, "auto")) {
        c->generate = VGA_GENERATE_AUTO;
    } else if (!strcmp(gen, "always")) {
        c->generate = VGA_GENERATE_ALWAYS;
    } else if (!strcmp(gen, "never")) {
        c->generate = VGA_GENERATE_NEVER;
    } else {
        g_set_error(errp, CONFIG_ERROR, 0, "[protect] generate: '%s' is not "
                    "auto, always or never", gen);
        return false;
    }
    rate = g_key_file_get_string(kf, "limits", "rate", NULL);
    c->rate = 10;
    if (rate) {
        char *end;

        c->rate = g_ascii_strtod(rate, &end);
        if (!rate[0] || *end || !(c->rate > 0 && c->rate <= 100000)) {
            g_set_error(errp, CONFIG_ERROR, 0, "[limits] rate: '%s' is not a "
                        "number of SCAs per second above 0", rate);
            return false;
        }
    }
    return true;
}

bool vga_config_wants_filter(const VgaConfig *c, const char *program)
{
    if (c->generate != VGA_GENERATE_AUTO) {
        return c->generate == VGA_GENERATE_ALWAYS;
    }
    if (c->libvirt) {
        return true;            /* its domains' programs are not known yet */
    }
    for (guint i = 0; i < c->vms->len; i++) {
        const VgaVm *vm = g_ptr_array_index(c->vms, i);

        if (g_strv_contains((const char *const *)vm->programs, program)) {
            return true;
        }
    }
    return false;
}

static void address_clear(gpointer p)
{
    g_free(((VgaAddress *)p)->host);
}

VgaConfig *vga_config_load(const char *path, GError **errp)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(VgaConfig) c = g_new0(VgaConfig, 1);
    g_autofree char *dir = NULL;
    g_autoptr(GError) err = NULL;

    c->path = g_strdup(path);
    c->peers = g_array_new(false, true, sizeof(VgaAddress));
    g_array_set_clear_func(c->peers, address_clear);
    c->profiles = g_ptr_array_new_with_free_func(g_free);
    c->vms = g_ptr_array_new_with_free_func(vm_free);
    if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &err)) {
        g_set_error(errp, CONFIG_ERROR, 0, "%s: %s", path, err->message);
        return NULL;
    }
    dir = g_path_get_dirname(path);
    if (!load(c, kf, dir, &err)) {
        g_set_error(errp, CONFIG_ERROR, 0, "%s: %s", path, err->message);
        return NULL;
    }
    return g_steal_pointer(&c);
}

void vga_config_free(VgaConfig *c)
{
    if (!c) {
        return;
    }
    g_free(c->path);
    g_free(c->name);
    g_free(c->certificate);
    g_free(c->key);
    g_free(c->ca);
    g_free(c->listen.host);
    g_free(c->state_dir);
    g_free(c->control);
    g_free(c->qemu);
    if (c->peers) {
        g_array_unref(c->peers);
    }
    if (c->profiles) {
        g_ptr_array_unref(c->profiles);
    }
    if (c->vms) {
        g_ptr_array_unref(c->vms);
    }
    g_strfreev(c->filters);
    g_free(c->libvirt);
    g_free(c);
}
