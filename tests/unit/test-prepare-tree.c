/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests of scripts/prepare-qemu-tree.sh and scripts/fetch-qemu-source.sh:
 * patch series application, restoring files a series no longer touches,
 * clear failures naming the patch, and the source pin.  They run the real
 * scripts on small trees made here.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

typedef struct {
    char *tmp;
    char *pristine;
    char *dest;
    char *patches;
    char *cache;
} Fixture;

static const char *source_root(void)
{
    const char *root = g_getenv("VIGILANTE_SOURCE_ROOT");

    g_assert_nonnull(root);
    return root;
}

static void write_file(const char *dir, const char *name, const char *text)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_autofree char *parent = g_path_get_dirname(path);

    g_assert_cmpint(g_mkdir_with_parents(parent, 0755), ==, 0);
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
}

static char *read_file(const char *dir, const char *name)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    char *text = NULL;

    if (!g_file_get_contents(path, &text, NULL, NULL)) {
        return NULL;
    }
    return text;
}

/* Run a script of ours; returns its exit status, output in *out. */
static int run_script(const char *script, const char *patchdir,
                      const char *arg1, const char *arg2, char **out)
{
    g_autofree char *path = g_build_filename(source_root(), "scripts",
                                             script, NULL);
    const char *argv[] = { path, arg1, arg2, NULL };
    g_auto(GStrv) env = g_get_environ();
    g_autofree char *sout = NULL, *serr = NULL;
    g_autoptr(GError) err = NULL;
    int status;

    if (patchdir) {
        env = g_environ_setenv(env, "VIGILANTE_PATCH_DIR", patchdir, TRUE);
    }
    env = g_environ_unsetenv(env, "VIGILANTE_ALLOW_UNPINNED");
    g_assert_true(g_spawn_sync(NULL, (char **)argv, env, G_SPAWN_DEFAULT,
                               NULL, NULL, &sout, &serr, &status, &err));
    g_assert_no_error(err);
    *out = g_strconcat(sout, serr, NULL);
    g_test_message("%s %s %s:\n%s", script, arg1, arg2, *out);
    return g_spawn_check_wait_status(status, NULL) ? 0 : 1;
}

/* A unified diff that replaces line `from` of file `name` by `to`. */
static char *make_patch(const char *name, const char *from, const char *to)
{
    return g_strdup_printf("Purpose line of the patch.\n\n"
                           "--- a/%s\n+++ b/%s\n@@ -1 +1 @@\n-%s\n+%s\n",
                           name, name, from, to);
}

static void fixture_setup(Fixture *f, gconstpointer data)
{
    f->tmp = g_dir_make_tmp("vg-prepare-XXXXXX", NULL);
    g_assert_nonnull(f->tmp);
    f->pristine = g_build_filename(f->tmp, "pristine", NULL);
    f->dest = g_build_filename(f->tmp, "dest", NULL);
    f->patches = g_build_filename(f->tmp, "patches", NULL);
    f->cache = g_build_filename(f->tmp, "cache", NULL);

    write_file(f->pristine, "VERSION", "7.2.22\n");
    write_file(f->pristine, "configure", "#!/bin/sh\n");
    write_file(f->pristine, "target/i386/cpu.c", "cpu\n");
    write_file(f->pristine, "a.c", "alpha\n");
    write_file(f->pristine, "sub/b.c", "beta\n");
    write_file(f->pristine, "accel/tcg/translate-all.c", "tcg\n");
    write_file(f->pristine, "qapi/qapi-schema.json", "{}\n");
    write_file(f->pristine, "tcg/i386/tcg-target.c.inc", "backend\n");

    write_file(f->patches, "0001-a.patch", make_patch("a.c", "alpha", "ALPHA"));
    write_file(f->patches, "0002-b.patch",
               make_patch("sub/b.c", "beta", "BETA"));
    write_file(f->patches, "0003-bad.patch",
               make_patch("a.c", "no-such-line", "x"));
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->tmp);

    g_assert_cmpint(system(cmd), ==, 0);
    g_free(f->tmp);
    g_free(f->pristine);
    g_free(f->dest);
    g_free(f->patches);
    g_free(f->cache);
}

static void set_series(Fixture *f, const char *series)
{
    write_file(f->patches, "series", series);
}

static void test_series_applies(Fixture *f, gconstpointer data)
{
    g_autofree char *out = NULL, *a = NULL, *b = NULL, *pa = NULL;
    g_autofree char *link = NULL, *expect = NULL, *vig = NULL;
    g_autofree char *cold = NULL, *cold_link = NULL, *cold_expect = NULL;

    set_series(f, "# comment\n0001-a.patch\n\n0002-b.patch\n");
    g_assert_cmpint(run_script("prepare-qemu-tree.sh", f->patches,
                               f->pristine, f->dest, &out), ==, 0);
    a = read_file(f->dest, "a.c");
    b = read_file(f->dest, "sub/b.c");
    pa = read_file(f->pristine, "a.c");
    g_assert_cmpstr(a, ==, "ALPHA\n");
    g_assert_cmpstr(b, ==, "BETA\n");
    g_assert_cmpstr(pa, ==, "alpha\n");     /* pristine stays pristine */

    /* Our directories are linked into the tree. */
    vig = g_build_filename(f->dest, "vigilante", NULL);
    link = g_file_read_link(vig, NULL);
    expect = g_build_filename(source_root(), "vigilante", NULL);
    g_assert_cmpstr(link, ==, expect);

    /* ... and our files into QEMU's directories, the backend's too. */
    cold = g_build_filename(f->dest, "tcg/i386/tcg-target-cold-call.c.inc",
                            NULL);
    cold_link = g_file_read_link(cold, NULL);
    cold_expect = g_build_filename(source_root(),
                                   "tcg/i386/tcg-target-cold-call.c.inc",
                                   NULL);
    g_assert_cmpstr(cold_link, ==, cold_expect);
}

static void test_series_change_restores(Fixture *f, gconstpointer data)
{
    g_autofree char *out1 = NULL, *out2 = NULL, *a = NULL, *b = NULL;

    set_series(f, "0001-a.patch\n0002-b.patch\n");
    g_assert_cmpint(run_script("prepare-qemu-tree.sh", f->patches,
                               f->pristine, f->dest, &out1), ==, 0);
    /* Dropping 0001 from the series must give a.c its pristine text. */
    set_series(f, "0002-b.patch\n");
    g_assert_cmpint(run_script("prepare-qemu-tree.sh", f->patches,
                               f->pristine, f->dest, &out2), ==, 0);
    a = read_file(f->dest, "a.c");
    b = read_file(f->dest, "sub/b.c");
    g_assert_cmpstr(a, ==, "alpha\n");
    g_assert_cmpstr(b, ==, "BETA\n");
}

static void test_bad_patch_named(Fixture *f, gconstpointer data)
{
    g_autofree char *out = NULL, *out2 = NULL, *a = NULL;

    set_series(f, "0001-a.patch\n0003-bad.patch\n");
    g_assert_cmpint(run_script("prepare-qemu-tree.sh", f->patches,
                               f->pristine, f->dest, &out), !=, 0);
    g_assert_nonnull(strstr(out, "patch 0003-bad.patch does not apply"));

    /* After fixing the series the tree is right again. */
    set_series(f, "0002-b.patch\n");
    g_assert_cmpint(run_script("prepare-qemu-tree.sh", f->patches,
                               f->pristine, f->dest, &out2), ==, 0);
    a = read_file(f->dest, "a.c");
    g_assert_cmpstr(a, ==, "alpha\n");
}

static void test_missing_patch_named(Fixture *f, gconstpointer data)
{
    g_autofree char *out = NULL;

    set_series(f, "0001-a.patch\n0009-gone.patch\n");
    g_assert_cmpint(run_script("prepare-qemu-tree.sh", f->patches,
                               f->pristine, f->dest, &out), !=, 0);
    g_assert_nonnull(strstr(out, "0009-gone.patch"));
}

static void test_source_tree_accepted(Fixture *f, gconstpointer data)
{
    g_autofree char *out = NULL;

    g_assert_cmpint(run_script("fetch-qemu-source.sh", NULL, f->cache,
                               f->pristine, &out), ==, 0);
    g_assert_nonnull(strstr(out, f->pristine));
}

static void test_source_wrong_version(Fixture *f, gconstpointer data)
{
    g_autofree char *out = NULL;

    write_file(f->pristine, "VERSION", "8.0.0\n");
    g_assert_cmpint(run_script("fetch-qemu-source.sh", NULL, f->cache,
                               f->pristine, &out), !=, 0);
    g_assert_nonnull(strstr(out, "needs 7.2"));
}

static void test_source_tarball_pin(Fixture *f, gconstpointer data)
{
    g_autofree char *out = NULL;
    g_autofree char *tarball = g_build_filename(f->tmp, "qemu.tar.xz", NULL);
    g_autofree char *cmd = g_strdup_printf("tar -C '%s' -cJf '%s' pristine",
                                           f->tmp, tarball);

    g_assert_cmpint(system(cmd), ==, 0);
    g_assert_cmpint(run_script("fetch-qemu-source.sh", NULL, f->cache,
                               tarball, &out), !=, 0);
    g_assert_nonnull(strstr(out, "not the pinned"));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) \
    g_test_add(name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
    ADD("/prepare/series-applies", test_series_applies);
    ADD("/prepare/series-change-restores", test_series_change_restores);
    ADD("/prepare/bad-patch-named", test_bad_patch_named);
    ADD("/prepare/missing-patch-named", test_missing_patch_named);
    ADD("/fetch/tree-accepted", test_source_tree_accepted);
    ADD("/fetch/wrong-version", test_source_wrong_version);
    ADD("/fetch/tarball-pin", test_source_tarball_pin);
#undef ADD
    return g_test_run();
}
