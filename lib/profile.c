/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Service profiles (profile.h, docs/profiles.md).
 */
#include "profile.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#define FAIL(...) \
    do { \
        g_set_error(errp, VG_PROFILE_ERROR, VG_PROFILE_ERROR_INVALID, \
                    __VA_ARGS__); \
        return NULL; \
    } while (0)

void vg_profile_free(VgProfile *p)
{
    if (!p) {
        return;
    }
    g_free(p->path);
    g_free(p->name);
    g_free(p->kernel);
    g_free(p->initrd);
    g_free(p->disk);
    g_free(p->disk_format);
    g_free(p->append);
    g_free(p->nic);
    g_free(p->cpu);
    g_free(p->taint_kernel);
    g_free(p->benign);
    if (p->ports) {
        g_array_free(p->ports, TRUE);
    }
    if (p->exec_services) {
        g_array_free(p->exec_services, TRUE);
    }
    g_free(p->ready_marker);
    if (p->crash_pattern) {
        g_regex_unref(p->crash_pattern);
    }
    g_free(p->snapshot);
    g_free(p);
}

/* An optional string key; NULL when absent or empty. */
static char *opt_string(GKeyFile *kf, const char *group, const char *key)
{
    char *v = g_key_file_get_string(kf, group, key, NULL);

    if (v && !v[0]) {
        g_clear_pointer(&v, g_free);
    }
    return v;
}

/* A path relative to the profile's directory, made absolute. */
static char *resolve(const char *dir, const char *path)
{
    if (!path) {
        return NULL;
    }
    return g_path_is_absolute(path) ? g_strdup(path)
                                    : g_canonicalize_filename(path, dir);
}

static bool hash_file(EVP_MD_CTX *ctx, const char *path, GError **errp)
{
    g_autoptr(GMappedFile) m = g_mapped_file_new(path, FALSE, errp);

    if (!m) {
        return false;
    }
    EVP_DigestUpdate(ctx, g_mapped_file_get_contents(m),
                     g_mapped_file_get_length(m));
    return true;
}

const char *vg_profile_disk_format(const char *path, GError **errp)
{
    static const char qcow2_magic[4] = { 'Q', 'F', 'I', (char)0xfb };
    char head[4] = { 0 };
    FILE *f = fopen(path, "rb");
    size_t n;

    if (!f) {
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "%s: %s", path, g_strerror(errno));
        return NULL;
    }
    n = fread(head, 1, sizeof(head), f);
    fclose(f);
    return n == 4 && !memcmp(head, qcow2_magic, 4) ? "qcow2" : "raw";
}

/* A list of udp:PORT / tcp:PORT into a new array in *out. */
static bool parse_port_list(VgProfile *p, const char *key, char **list,
                            GArray **out, GError **errp)
{
    *out = g_array_new(FALSE, TRUE, sizeof(VgProfilePort));
    for (char **s = list; s && *s; s++) {
        VgProfilePort port = { 0 };
        char *colon = strchr(*s, ':');
        guint64 n;

        if (!colon || colon - *s != 3 ||
            (strncmp(*s, "udp", 3) && strncmp(*s, "tcp", 3)) ||
            !g_ascii_string_to_unsigned(colon + 1, 10, 1, 65535, &n, NULL)) {
            g_set_error(errp, VG_PROFILE_ERROR, VG_PROFILE_ERROR_INVALID,
                        "%s: [service] %s: '%s' is not udp:PORT or "
                        "tcp:PORT", p->path, key, *s);
            return false;
        }
        memcpy(port.transport, *s, 3);
        port.port = n;
        g_array_append_val(*out, port);
    }
    return true;
}

static bool same_port(const VgProfilePort *a, const VgProfilePort *b)
{
    return a->port == b->port && !strcmp(a->transport, b->transport);
}

static bool parse_ports(VgProfile *p, char **list, char **exec_list,
                        GError **errp)
{
    if (!parse_port_list(p, "ports", list, &p->ports, errp) ||
        !parse_port_list(p, "exec-services", exec_list, &p->exec_services,
                         errp)) {
        return false;
    }
    for (guint i = 0; i < p->exec_services->len; i++) {
        const VgProfilePort *e = &g_array_index(p->exec_services,
                                                VgProfilePort, i);
        bool found = false;

        for (guint k = 0; k < p->ports->len && !found; k++) {
            found = same_port(e, &g_array_index(p->ports, VgProfilePort, k));
        }
        if (!found) {
            g_set_error(errp, VG_PROFILE_ERROR, VG_PROFILE_ERROR_INVALID,
                        "%s: [service] exec-services: %s:%u is not one "
                        "of the ports", p->path, e->transport, e->port);
            return false;
        }
    }
    if (p->ports->len == 0) {
        g_set_error(errp, VG_PROFILE_ERROR, VG_PROFILE_ERROR_INVALID,
                    "%s: [service] ports is empty", p->path);
        return false;
    }
    return true;
}

VgProfile *vg_profile_load(const char *path, GError **errp)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(VgProfile) p = g_new0(VgProfile, 1);
    g_autofree char *dir = NULL, *kernel = NULL, *initrd = NULL;
    g_autofree char *snapshot = NULL, *benign = NULL, *disk = NULL;
    g_autofree char *ready_port = NULL, *crash = NULL;
    g_auto(GStrv) ports = NULL, exec_services = NULL;
    g_autoptr(GError) err = NULL;
    EVP_MD_CTX *ctx;
    unsigned dlen;
    bool ok;

    p->path = g_strdup(path);
    if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &err)) {
        g_set_error(errp, VG_PROFILE_ERROR, VG_PROFILE_ERROR_READ, "%s: %s",
                    path, err->message);
        return NULL;
    }
    {
        g_autofree char *abs = g_canonicalize_filename(path, NULL);

        dir = g_path_get_dirname(abs);
    }
    p->name = opt_string(kf, "program", "name");
    if (!p->name) {
        FAIL("%s: [program] name is missing", path);
    }
    if (strlen(p->name) > 64 ||
        strspn(p->name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                        "0123456789._-") != strlen(p->name)) {
        FAIL("%s: [program] name must be 1 to 64 letters, digits, '.', '_' "
             "or '-'", path);
    }
    disk = opt_string(kf, "vm", "disk");
    p->disk = resolve(dir, disk);
    if (p->disk) {
        const char *fmt;

        if (!g_file_test(p->disk, G_FILE_TEST_IS_REGULAR)) {
            FAIL("%s: [vm] disk: %s is not a file", path, p->disk);
        }
        fmt = vg_profile_disk_format(p->disk, &err);
        if (!fmt) {
            FAIL("%s: [vm] disk: %s", path, err->message);
        }
        p->disk_format = g_strdup(fmt);
    }
    kernel = opt_string(kf, "vm", "kernel");
    if (!kernel && !p->disk) {
        FAIL("%s: [vm] kernel is missing (or give [vm] disk to boot it "
             "with the firmware)", path);
    }
    p->kernel = resolve(dir, kernel);
    initrd = opt_string(kf, "vm", "initrd");
    p->initrd = resolve(dir, initrd);
    if (p->initrd && !p->kernel) {
        FAIL("%s: [vm] initrd needs [vm] kernel", path);
    }
    p->append = opt_string(kf, "vm", "append");
    p->nic = opt_string(kf, "vm", "nic");
    if (!p->nic) {
        p->nic = g_strdup("e1000");
    }
    p->cpu = opt_string(kf, "vm", "cpu");
    p->taint_kernel = opt_string(kf, "vm", "taint-kernel");
    if (!p->taint_kernel) {
        p->taint_kernel = g_strdup("moves");
    }
    if (strcmp(p->taint_kernel, "moves") && strcmp(p->taint_kernel, "all")) {
        FAIL("%s: [vm] taint-kernel must be moves or all", path);
    }
    p->memory_mib = g_key_file_get_integer(kf, "vm", "memory", &err);
    if (err) {
        FAIL("%s: [vm] memory: %s", path, err->message);
    }
    if (p->memory_mib < 16 || p->memory_mib > 65536) {
        FAIL("%s: [vm] memory must be 16 to 65536 (MiB)", path);
    }
    ports = g_key_file_get_string_list(kf, "service", "ports", NULL, NULL);
    exec_services = g_key_file_get_string_list(kf, "service",
                                               "exec-services", NULL, NULL);
    if (!parse_ports(p, ports, exec_services, errp)) {
        return NULL;
    }
    p->ready_marker = opt_string(kf, "service", "ready-marker");
    ready_port = opt_string(kf, "service", "ready-port");
    if (ready_port) {
        VgProfilePort want = { "tcp", 0 };
        guint64 n;
        bool found = false;

        if (!g_str_has_prefix(ready_port, "tcp:") ||
            !g_ascii_string_to_unsigned(ready_port + 4, 10, 1, 65535, &n,
                                        NULL)) {
            FAIL("%s: [service] ready-port: '%s' is not tcp:PORT", path,
                 ready_port);
        }
        want.port = n;
        for (guint k = 0; k < p->ports->len && !found; k++) {
            found = same_port(&want,
                              &g_array_index(p->ports, VgProfilePort, k));
        }
        if (!found) {
            FAIL("%s: [service] ready-port: %s is not one of the ports",
                 path, ready_port);
        }
        p->ready_port = n;
    }
    if (!p->ready_marker && !p->ready_port) {
        FAIL("%s: [service] ready-marker or ready-port is missing", path);
    }
    crash = opt_string(kf, "service", "crash-pattern");
    if (crash) {
        p->crash_pattern = g_regex_new(crash, G_REGEX_MULTILINE, 0, &err);
        if (!p->crash_pattern) {
            FAIL("%s: [service] crash-pattern: %s", path, err->message);
        }
    }
    p->ready_timeout_s = 60;
    if (g_key_file_has_key(kf, "service", "ready-timeout", NULL)) {
        int t = g_key_file_get_integer(kf, "service", "ready-timeout", NULL);

        if (t < 1 || t > 3600) {
            FAIL("%s: [service] ready-timeout must be 1 to 3600 (s)", path);
        }
        p->ready_timeout_s = t;
    }
    snapshot = opt_string(kf, "snapshot", "path");
    p->snapshot = resolve(dir, snapshot);
    benign = opt_string(kf, "service", "benign");
    p->benign = resolve(dir, benign);
    if (p->benign && !g_file_test(p->benign, G_FILE_TEST_IS_DIR)) {
        FAIL("%s: [service] benign: %s is not a directory", path, p->benign);
    }

    /* The program's identity in SCAs: its kernel, initrd, disk images. */
    ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    ok = (!p->kernel || hash_file(ctx, p->kernel, errp)) &&
         (!p->initrd || hash_file(ctx, p->initrd, errp)) &&
         (!p->disk || hash_file(ctx, p->disk, errp));
    EVP_DigestFinal_ex(ctx, p->digest, &dlen);
    EVP_MD_CTX_free(ctx);
    if (!ok) {
        g_prefix_error(errp, "%s: ", path);
        return NULL;
    }
    return g_steal_pointer(&p);
}

char *vg_profile_exec_services(const VgProfile *p)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; p->exec_services && i < p->exec_services->len; i++) {
        const VgProfilePort *e = &g_array_index(p->exec_services,
                                                VgProfilePort, i);

        g_string_append_printf(s, "%s%s:%u", i ? ";" : "", e->transport,
                               e->port);
    }
    return g_string_free(s, FALSE);
}

char *vg_profile_digest_hex(const VgProfile *p)
{
    GString *s = g_string_new(NULL);

    for (int i = 0; i < 32; i++) {
        g_string_append_printf(s, "%02x", p->digest[i]);
    }
    return g_string_free(s, FALSE);
}

GPtrArray *vg_profile_benign_messages(const VgProfile *p,
                                      const char *transport, unsigned port)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(
        (GDestroyNotify)g_bytes_unref);
    g_autofree char *prefix = g_strdup_printf("%s-%u-", transport, port);
    g_autoptr(GDir) d = p->benign ? g_dir_open(p->benign, 0, NULL) : NULL;
    const char *name;

    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *path = g_build_filename(p->benign, name, NULL);
        char *data;
        gsize n;

        if (g_str_has_prefix(name, prefix) &&
            g_file_get_contents(path, &data, &n, NULL)) {
            g_ptr_array_add(out, g_bytes_new_take(data, n));
        }
    }
    return out;
}
