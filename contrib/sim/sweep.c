/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigilante-sim: repeated runs and detector-fraction sweeps.
 *
 * Worker threads take (fraction, run) tasks from a shared counter and
 * store each result in its own slot, so the summary is the same for
 * any number of threads.  The calling thread reports progress.
 */
#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sweep.h"

typedef struct SweepShared {
    const SimWorld *world;
    const ModelParams *base;
    const SweepConfig *config;
    double *infected;           /* n_fractions x runs */
    uint32_t *detectors;        /* per fraction */
    gint next_task;
    guint total;
    guint done;
    GMutex lock;
    GCond progressed;
} SweepShared;

uint64_t sweep_run_seed(uint64_t seed, uint32_t run_index)
{
    return sim_seed_derive(seed, 0x52554e0000000000ULL | run_index);
}

static gpointer sweep_worker(gpointer opaque)
{
    SweepShared *s = opaque;
    OutbreakRun *run = outbreak_run_new(s->world);
    ModelParams m = *s->base;
    guint task;

    while ((task = (guint)g_atomic_int_add(&s->next_task, 1)) < s->total) {
        uint32_t fraction = task / s->config->runs;
        uint32_t index = task % s->config->runs;
        OutbreakResult res;

        m.detector_fraction = s->config->fractions[fraction];
        outbreak_simulate(run, &m,
                          sweep_run_seed(s->world->params.seed, index),
                          0.0, NULL, NULL, &res);
        s->infected[task] = res.infected_fraction;
        s->detectors[fraction] = res.detectors;

        g_mutex_lock(&s->lock);
        s->done++;
        g_cond_signal(&s->progressed);
        g_mutex_unlock(&s->lock);
    }
    outbreak_run_free(run);
    return NULL;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static void summarise(const double *infected, uint32_t runs, SweepPoint *p)
{
    double *sorted = g_new(double, runs);
    double sum = 0.0;

    memcpy(sorted, infected, runs * sizeof(double));
    qsort(sorted, runs, sizeof(double), compare_double);
    for (uint32_t i = 0; i < runs; i++) {
        sum += infected[i];
        /* The first run reaching the maximum is reported. */
        if (infected[i] > infected[p->worst_run]) {
            p->worst_run = i;
        }
    }
    p->runs = runs;
    p->best = sorted[0];
    p->worst = sorted[runs - 1];
    p->median = runs % 2 ? sorted[runs / 2] :
                (sorted[runs / 2 - 1] + sorted[runs / 2]) / 2.0;
    p->mean = sum / runs;
    g_free(sorted);
}

static void report_progress(const SweepShared *s, gint64 start, bool final)
{
    double elapsed = (g_get_monotonic_time() - start) / 1e6;
    double left = s->done ? elapsed * (s->total - s->done) / s->done : 0.0;
    bool tty = isatty(STDERR_FILENO);

    fprintf(stderr, "%svigilante-sim: sweep %u/%u runs (%.0f%%), "
            "%.1f s elapsed, about %.0f s left%s",
            tty ? "\r" : "", s->done, s->total,
            100.0 * s->done / s->total, elapsed, left,
            tty && !final ? "   " : "\n");
    fflush(stderr);
}

void sweep_run(const SimWorld *w, const ModelParams *base,
               const SweepConfig *c, SweepPoint *points)
{
    SweepShared s = {
        .world = w,
        .base = base,
        .config = c,
        .total = c->n_fractions * c->runs,
    };
    uint32_t n_threads = MAX(1, MIN(c->threads, s.total));
    GThread **threads = g_new(GThread *, n_threads);
    /* Redraw often on a terminal, rarely into a log file. */
    gint64 interval = isatty(STDERR_FILENO) ? G_TIME_SPAN_SECOND / 2 :
                      10 * G_TIME_SPAN_SECOND;
    gint64 start = g_get_monotonic_time(), last_report = start;

    s.infected = g_new0(double, s.total);
    s.detectors = g_new0(uint32_t, c->n_fractions);
    g_mutex_init(&s.lock);
    g_cond_init(&s.progressed);
    for (uint32_t i = 0; i < n_threads; i++) {
        threads[i] = g_thread_new("sweep", sweep_worker, &s);
    }

    g_mutex_lock(&s.lock);
    while (s.done < s.total) {
        if (!c->progress) {
            g_cond_wait(&s.progressed, &s.lock);
            continue;
        }
        g_cond_wait_until(&s.progressed, &s.lock, last_report + interval);
        if (g_get_monotonic_time() >= last_report + interval) {
            last_report = g_get_monotonic_time();
            report_progress(&s, start, false);
        }
    }
    g_mutex_unlock(&s.lock);
    if (c->progress) {
        report_progress(&s, start, true);
    }

    for (uint32_t i = 0; i < n_threads; i++) {
        g_thread_join(threads[i]);
    }
    for (uint32_t f = 0; f < c->n_fractions; f++) {
        points[f] = (SweepPoint) {
            .detector_fraction = c->fractions[f],
            .detectors = s.detectors[f],
        };
        summarise(&s.infected[(size_t)f * c->runs], c->runs, &points[f]);
    }
    g_mutex_clear(&s.lock);
    g_cond_clear(&s.progressed);
    g_free(s.infected);
    g_free(s.detectors);
    g_free(threads);
}
