/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shadow memory (hw-taint/shadow-mem.c): labels, counters, page release,
 * copies, and a randomised comparison against a flat model.
 */
#include <glib.h>
#include "shadow-mem.h"

#define PAGE TAINT_PAGE_SIZE

static void setup(void)
{
    taint_shadow_reset();
}

static void test_clean_at_start(void)
{
    setup();
    g_assert_false(taint_shadow_any());
    g_assert_cmpuint(taint_shadow_get(0), ==, 0);
    g_assert_cmpuint(taint_shadow_get(0x12345678), ==, 0);
    g_assert_cmpuint(taint_shadow_read(0, 3 * PAGE, NULL), ==, 0);
    g_assert_cmpuint(taint_shadow_dirty_pages(), ==, 0);
}

static void test_seq_across_pages(void)
{
    uint64_t base = 5 * PAGE - 10;
    TaintLabel out[20];

    setup();
    taint_shadow_set_seq(base, 20, 1000);
    g_assert_true(taint_shadow_any());
    g_assert_cmpuint(taint_shadow_dirty_bytes(), ==, 20);
    g_assert_cmpuint(taint_shadow_dirty_pages(), ==, 2);
    g_assert_cmpuint(taint_shadow_read(base, 20, out), ==, 20);
    for (int i = 0; i < 20; i++) {
        g_assert_cmpuint(out[i], ==, 1000 + i);
    }
    g_assert_cmpuint(taint_shadow_get(base - 1), ==, 0);
    g_assert_cmpuint(taint_shadow_get(base + 20), ==, 0);
    g_assert_true(taint_shadow_page_dirty(base));
    g_assert_true(taint_shadow_page_dirty(base + 19));
    g_assert_false(taint_shadow_page_dirty(base + PAGE + 20));
}

static void test_clean_frees_pages(void)
{
    setup();
    taint_shadow_set_seq(PAGE - 4, 8, 7);
    taint_shadow_clear(PAGE - 4, 4);
    g_assert_cmpuint(taint_shadow_dirty_bytes(), ==, 4);
    g_assert_cmpuint(taint_shadow_dirty_pages(), ==, 1);
    g_assert_false(taint_shadow_page_dirty(PAGE - 4));
    /* A zero first label cleans, like clear. */
    taint_shadow_set_seq(PAGE, 4, 0);
    g_assert_cmpuint(taint_shadow_dirty_bytes(), ==, 0);
    g_assert_cmpuint(taint_shadow_dirty_pages(), ==, 0);
    g_assert_false(taint_shadow_any());
    /* Unlinked at once, freed by reclaim (readers take no lock). */
    g_assert_true(taint_shadow_retired());
    taint_shadow_reclaim();
    g_assert_false(taint_shadow_retired());
    g_assert_cmpuint(taint_shadow_get(PAGE), ==, 0);
}

/* Labels written one by one, as CPU stores write them. */
static void test_write_labels(void)
{
    const TaintLabel in[6] = { 5, 0, 9, 9, 0, 1 };
    TaintLabel out[6];

    setup();
    taint_shadow_write(PAGE - 3, 6, in);
    g_assert_cmpuint(taint_shadow_dirty_bytes(), ==, 4);
    g_assert_cmpuint(taint_shadow_dirty_pages(), ==, 2);
    g_assert_cmpuint(taint_shadow_read(PAGE - 3, 6, out), ==, 4);
    g_assert_cmpmem(out, sizeof(out), in, sizeof(in));
    /* Clean labels over the second page's only dirty byte free it. */
    taint_shadow_write(PAGE, 3, (const TaintLabel[3]) { 0 });
    g_assert_cmpuint(taint_shadow_dirty_pages(), ==, 1);
    g_assert_false(taint_shadow_page_dirty(PAGE));
    taint_shadow_reclaim();
}

static void test_fill_and_overwrite(void)
{
    setup();
    taint_shadow_fill(100, 50, 9);
    taint_shadow_set_seq(120, 50, 300);     /* overlaps 30 dirty bytes */
    g_assert_cmpuint(taint_shadow_dirty_bytes(), ==, 70);
    g_assert_cmpuint(taint_shadow_get(119), ==, 9);
    g_assert_cmpuint(taint_shadow_get(120), ==, 300);
    g_assert_cmpuint(taint_shadow_get(169), ==, 349);
}

static void test_high_addresses(void)
{
    uint64_t high = (uint64_t)37 << 30;     /* 37 GiB */

    setup();
    taint_shadow_set_seq(high, 3, 1);
    g_assert_cmpuint(taint_shadow_get(high + 2), ==, 3);
    /* Far beyond the directory: always clean, never crashes. */
    g_assert_cmpuint(taint_shadow_get(UINT64_MAX - 5), ==, 0);
    g_assert_false(taint_shadow_page_dirty(UINT64_MAX));
}

static void test_copy_overlapping(void)
{
    TaintLabel out[40];

    setup();
    taint_shadow_set_seq(PAGE * 3 - 16, 32, 50);
    taint_shadow_copy(PAGE * 3 - 8, PAGE * 3 - 16, 32);    /* forward */
    taint_shadow_read(PAGE * 3 - 16, 40, out);
    for (int i = 0; i < 8; i++) {
        g_assert_cmpuint(out[i], ==, 50 + i);
    }
    for (int i = 0; i < 32; i++) {
        g_assert_cmpuint(out[8 + i], ==, 50 + i);
    }
    taint_shadow_copy(PAGE * 3 - 16, PAGE * 3 - 8, 32);    /* backward */
    taint_shadow_read(PAGE * 3 - 16, 32, out);
    for (int i = 0; i < 32; i++) {
        g_assert_cmpuint(out[i], ==, 50 + i);
    }
    /* Copying clean bytes cleans. */
    taint_shadow_copy(PAGE * 3 - 16, PAGE * 10, 40);
    g_assert_cmpuint(taint_shadow_dirty_bytes(), ==, 0);
    g_assert_cmpuint(taint_shadow_dirty_pages(), ==, 0);
}

/* Random operations over a window spanning a few pages, checked against
 * a flat array after each step. */
static void test_random_against_model(void)
{
    enum { WINDOW = 5 * PAGE, STEPS = 3000 };
    const uint64_t base = 7 * PAGE + 123;
    g_autofree TaintLabel *model = g_new0(TaintLabel, WINDOW);
    g_autofree TaintLabel *got = g_new0(TaintLabel, WINDOW);
    g_autoptr(GRand) rand = g_rand_new_with_seed(42);

    setup();
    for (int step = 0; step < STEPS; step++) {
        uint64_t a = g_rand_int_range(rand, 0, WINDOW);
        uint64_t n = g_rand_int_range(rand, 0, MIN(WINDOW - a, 2 * PAGE) + 1);
        TaintLabel l = g_rand_int_range(rand, 0, 3) ?
                       g_rand_int_range(rand, 1, 1 << 30) : 0;
        uint64_t dirty = 0;

        switch (g_rand_int_range(rand, 0, 3)) {
        case 0:
            taint_shadow_set_seq(base + a, n, l);
            for (uint64_t i = 0; i < n; i++) {
                model[a + i] = l ? l + i : 0;
            }
            break;
        case 1:
            taint_shadow_fill(base + a, n, l);
            for (uint64_t i = 0; i < n; i++) {
                model[a + i] = l;
            }
            break;
        default: {
            uint64_t s = g_rand_int_range(rand, 0, WINDOW - n + 1);
            taint_shadow_copy(base + a, base + s, n);
            memmove(model + a, model + s, n * sizeof(TaintLabel));
            break;
        }
        }
        taint_shadow_read(base, WINDOW, got);
        for (uint64_t i = 0; i < WINDOW; i++) {
            if (got[i] != model[i]) {
                g_error("step %d: byte %" G_GUINT64_FORMAT ": %u != %u",
                        step, i, got[i], model[i]);
            }
            dirty += model[i] != 0;
        }
        g_assert_cmpuint(taint_shadow_dirty_bytes(), ==, dirty);
        g_assert_cmpuint(taint_shadow_any(), ==, dirty != 0);
    }
    taint_shadow_clear(base, WINDOW);
    g_assert_cmpuint(taint_shadow_dirty_pages(), ==, 0);
}

/*
 * Two writers (the vCPU and a device, in QEMU) on interleaved bytes of
 * the same pages: each byte has one writer, so the final labels are
 * known, and the page and byte counters must add up (they are shared).
 */
#define RACE_PAGES 4
#define RACE_ROUNDS 200000

typedef struct {
    unsigned parity;
    uint64_t base;
} RaceArg;

static gpointer race_writer(gpointer opaque)
{
    const RaceArg *r = opaque;
    GRand *rand = g_rand_new_with_seed(r->parity + 1);

    for (int i = 0; i < RACE_ROUNDS; i++) {
        uint64_t off = g_rand_int_range(rand, 0, RACE_PAGES * PAGE / 2) * 2 +
                       r->parity;
        /* Dirty on the way, and what stays at the end: its own offset. */
        TaintLabel l = i % 3 == 2 ? 0 : (TaintLabel)(off + 1);

        taint_shadow_write(r->base + off, 1, &l);
    }
    /* Finally: every byte of ours dirty with its offset + 1. */
    for (uint64_t off = r->parity; off < RACE_PAGES * PAGE; off += 2) {
        TaintLabel l = off + 1;

        taint_shadow_write(r->base + off, 1, &l);
    }
    g_rand_free(rand);
    return NULL;
}

static void test_two_writers(void)
{
    RaceArg a = { 0, 64 * PAGE }, b = { 1, 64 * PAGE };
    GThread *ta, *tb;
    TaintLabel *got = g_new(TaintLabel, RACE_PAGES * PAGE);

    setup();
    ta = g_thread_new("even", race_writer, &a);
    tb = g_thread_new("odd", race_writer, &b);
    g_thread_join(ta);
    g_thread_join(tb);
    g_assert_cmpuint(taint_shadow_read(a.base, RACE_PAGES * PAGE, got), ==,
                     RACE_PAGES * PAGE);
    for (uint64_t i = 0; i < RACE_PAGES * PAGE; i++) {
        g_assert_cmpuint(got[i], ==, i + 1);
    }
    g_assert_cmpuint(taint_shadow_dirty_bytes(), ==, RACE_PAGES * PAGE);
    g_assert_cmpuint(taint_shadow_dirty_pages(), ==, RACE_PAGES);
    taint_shadow_clear(a.base, RACE_PAGES * PAGE);
    g_assert_cmpuint(taint_shadow_dirty_bytes(), ==, 0);
    g_assert_cmpuint(taint_shadow_dirty_pages(), ==, 0);
    taint_shadow_reclaim();
    g_free(got);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/shadow/clean-at-start", test_clean_at_start);
    g_test_add_func("/shadow/seq-across-pages", test_seq_across_pages);
    g_test_add_func("/shadow/clean-frees-pages", test_clean_frees_pages);
    g_test_add_func("/shadow/write-labels", test_write_labels);
    g_test_add_func("/shadow/fill-and-overwrite", test_fill_and_overwrite);
    g_test_add_func("/shadow/high-addresses", test_high_addresses);
    g_test_add_func("/shadow/copy-overlapping", test_copy_overlapping);
    g_test_add_func("/shadow/random-against-model", test_random_against_model);
    g_test_add_func("/shadow/two-writers", test_two_writers);
    return g_test_run();
}
