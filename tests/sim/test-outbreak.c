/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigilante-sim: worm and defence model tests.
 *
 * These check simulation outcomes: determinism, the two extremes of
 * detector placement, the SI dynamics against the paper's equation,
 * the effect of each attack, and the paper's headline result.
 */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "outbreak.h"
#include "sweep.h"

static SimParams small_params(uint32_t hosts)
{
    SimParams p;

    sim_params_init_defaults(&p);
    p.model.hosts = hosts;
    p.model.vulnerable = hosts;
    return p;
}

static OutbreakResult run_once(const SimWorld *w, const ModelParams *m,
                               uint32_t run_index)
{
    OutbreakRun *run = outbreak_run_new(w);
    OutbreakResult r;

    outbreak_simulate(run, m, sweep_run_seed(w->params.seed, run_index),
                      0.0, NULL, NULL, &r);
    outbreak_run_free(run);
    return r;
}

static double mean_infected(const SimWorld *w, const ModelParams *m,
                            uint32_t runs)
{
    OutbreakRun *run = outbreak_run_new(w);
    double sum = 0.0;

    for (uint32_t i = 0; i < runs; i++) {
        OutbreakResult r;

        outbreak_simulate(run, m, sweep_run_seed(w->params.seed, i), 0.0,
                          NULL, NULL, &r);
        sum += r.infected_fraction;
    }
    outbreak_run_free(run);
    return sum / runs;
}

static void test_same_seed_same_output(void)
{
    SimParams p = small_params(20000);
    SimWorld *w1 = sim_world_new(&p), *w2 = sim_world_new(&p);
    OutbreakResult a = run_once(w1, &p.model, 0);
    OutbreakResult b = run_once(w2, &p.model, 0);
    OutbreakResult c = run_once(w1, &p.model, 1);
    double fractions[] = { 0.0005, 0.002, 0.01 };
    SweepConfig one = { fractions, 3, 6, 1, false };
    SweepConfig two = { fractions, 3, 6, 2, false };
    SweepPoint s1[3], s2[3];

    g_assert_cmpuint(a.infected, ==, b.infected);
    g_assert_cmpuint(a.protected_hosts, ==, b.protected_hosts);
    g_assert_cmpuint(a.messages, ==, b.messages);
    g_assert_cmpfloat(a.end_time, ==, b.end_time);
    /* Another run index is another placement and another outbreak. */
    g_assert_true(a.infected != c.infected || a.end_time != c.end_time);

    /* Thread count does not change a sweep. */
    sweep_run(w1, &p.model, &one, s1);
    sweep_run(w2, &p.model, &two, s2);
    /* Field by field: the struct's padding is unspecified. */
    for (int i = 0; i < 3; i++) {
        g_assert_cmpfloat(s1[i].detector_fraction, ==, s2[i].detector_fraction);
        g_assert_cmpuint(s1[i].detectors, ==, s2[i].detectors);
        g_assert_cmpuint(s1[i].runs, ==, s2[i].runs);
        g_assert_cmpfloat(s1[i].worst, ==, s2[i].worst);
        g_assert_cmpfloat(s1[i].median, ==, s2[i].median);
        g_assert_cmpfloat(s1[i].mean, ==, s2[i].mean);
        g_assert_cmpfloat(s1[i].best, ==, s2[i].best);
        g_assert_cmpuint(s1[i].worst_run, ==, s2[i].worst_run);
    }
    sim_world_free(w1);
    sim_world_free(w2);
}

static void test_no_detectors_infects_everyone(void)
{
    SimParams p = small_params(20000);
    SimWorld *w;
    OutbreakResult r;

    p.model.detector_fraction = 0.0;
    w = sim_world_new(&p);
    r = run_once(w, &p.model, 0);
    g_assert_cmpuint(r.detectors, ==, 0);
    g_assert_cmpuint(r.infected, ==, r.vulnerable);
    g_assert_cmpuint(r.protected_hosts, ==, 0);
    g_assert_true(isnan(r.first_sca));
    sim_world_free(w);

    /* Same with non-vulnerable hosts in the overlay. */
    p.model.vulnerable = 5000;
    w = sim_world_new(&p);
    r = run_once(w, &p.model, 0);
    g_assert_cmpuint(r.infected, ==, 5000);
    g_assert_cmpfloat(r.infected_fraction, ==, 1.0);
    sim_world_free(w);
}

static void test_all_detectors_only_initial(void)
{
    SimParams p = small_params(20000);
    SimWorld *w;
    OutbreakResult r;

    p.model.detector_fraction = 1.0;
    p.model.malicious_fraction = 0.0;
    w = sim_world_new(&p);
    r = run_once(w, &p.model, 0);
    g_assert_cmpuint(r.detectors, ==, 20000 - p.model.initial_infected);
    g_assert_cmpuint(r.infected, ==, p.model.initial_infected);
    g_assert_cmpuint(r.protected_vulnerable, ==,
                     20000 - p.model.initial_infected);

    /* Malicious hosts that are detectors still do not get infected. */
    p.model.malicious_fraction = 0.1;
    p.model.malicious_detectors = true;
    r = run_once(w, &p.model, 2);
    g_assert_cmpuint(r.infected, ==, p.model.initial_infected);
    sim_world_free(w);
}

static void test_everyone_malicious_stops_the_flood(void)
{
    SimParams p = small_params(20000);
    SimWorld *w;
    OutbreakResult r;

    /* Nobody forwards: only detectors themselves escape. */
    p.model.detector_fraction = 0.01;
    p.model.malicious_fraction = 1.0;
    p.model.malicious_detectors = true;
    w = sim_world_new(&p);
    r = run_once(w, &p.model, 0);
    g_assert_cmpuint(r.detectors, ==, 200);
    g_assert_cmpuint(r.infected + r.detectors, ==, r.vulnerable);
    g_assert_cmpuint(r.protected_hosts, ==, r.detections);
    sim_world_free(w);
}

typedef struct HalfTime {
    uint32_t half;
    double time;
} HalfTime;

static void note_half(const OutbreakSample *s, void *opaque)
{
    HalfTime *h = opaque;

    if (isnan(h->time) && s->infected >= h->half) {
        h->time = s->time;
    }
}

static void test_si_dynamics_follow_the_equation(void)
{
    SimParams p = small_params(20000);
    SimWorld *w;
    OutbreakRun *run;
    double n = 20000, i0 = 10, beta = 0.117, sum = 0.0;
    /* Logistic solution of dI/dt = beta I (1 - I/N) reaching N/2. */
    double expected = log((n - i0) / i0) / beta;
    const uint32_t runs = 8;

    p.model.detector_fraction = 0.0;
    p.model.beta = beta;
    w = sim_world_new(&p);
    run = outbreak_run_new(w);
    for (uint32_t i = 0; i < runs; i++) {
        HalfTime h = { .half = 10000, .time = NAN };
        OutbreakResult r;

        outbreak_simulate(run, &p.model, sweep_run_seed(1, i), 0.05,
                          note_half, &h, &r);
        g_assert_false(isnan(h.time));
        sum += h.time;
    }
    g_assert_cmpfloat(fabs(sum / runs - expected) / expected, <, 0.05);

    /* Doubling the rate halves the time scale. */
    p.model.beta = 2 * beta;
    sum = 0.0;
    for (uint32_t i = 0; i < runs; i++) {
        HalfTime h = { .half = 10000, .time = NAN };
        OutbreakResult r;

        outbreak_simulate(run, &p.model, sweep_run_seed(1, i), 0.05,
                          note_half, &h, &r);
        sum += h.time;
    }
    g_assert_cmpfloat(fabs(sum / runs - expected / 2) / (expected / 2), <,
                      0.05);
    outbreak_run_free(run);
    sim_world_free(w);
}

static void note_monotone(const OutbreakSample *s, void *opaque)
{
    OutbreakSample *last = opaque;

    g_assert_cmpfloat(s->time, >=, last->time);
    g_assert_cmpuint(s->infected, >=, last->infected);
    g_assert_cmpuint(s->protected_hosts, >=, last->protected_hosts);
    *last = *s;
}

static void test_time_series_and_horizon(void)
{
    SimParams p = small_params(20000);
    SimWorld *w = sim_world_new(&p);
    OutbreakRun *run = outbreak_run_new(w);
    OutbreakSample last = { 0 };
    OutbreakResult r;

    p.model.detector_fraction = 0.002;
    outbreak_simulate(run, &p.model, 5, 0.5, note_monotone, &last, &r);
    g_assert_cmpuint(last.infected, ==, r.infected);
    g_assert_cmpuint(last.protected_hosts, ==, r.protected_hosts);
    g_assert_false(r.horizon_reached);
    /* SCA generation takes sca_delay after the first detection. */
    g_assert_cmpfloat_with_epsilon(r.first_sca - r.first_detection,
                                   p.model.sca_delay, 1e-9);

    /* Without detectors, stopping at 20 s leaves most hosts alone. */
    p.model.detector_fraction = 0.0;
    p.model.max_time = 20.0;
    outbreak_simulate(run, &p.model, 5, 0.0, NULL, NULL, &r);
    g_assert_true(r.horizon_reached);
    g_assert_cmpuint(r.infected, >, p.model.initial_infected);
    g_assert_cmpuint(r.infected, <, 2000);
    outbreak_run_free(run);
    sim_world_free(w);
}

static void test_more_detectors_contain_better(void)
{
    SimParams p = small_params(50000);
    SimWorld *w = sim_world_new(&p);
    double fractions[] = { 0.0002, 0.002, 0.02 };
    SweepConfig c = { fractions, 3, 10, 2, false };
    SweepPoint s[3];

    sweep_run(w, &p.model, &c, s);
    g_assert_cmpfloat(s[0].worst, >, s[1].worst);
    g_assert_cmpfloat(s[1].worst, >, s[2].worst);
    g_assert_cmpfloat(s[0].median, >, s[2].median);
    for (int i = 0; i < 3; i++) {
        g_assert_cmpfloat(s[i].best, <=, s[i].median);
        g_assert_cmpfloat(s[i].median, <=, s[i].worst);
    }
    sim_world_free(w);
}

static void test_fake_sca_dos_and_rate_limit(void)
{
    SimParams p = small_params(20000);
    SimWorld *w = sim_world_new(&p);
    ModelParams m = p.model;
    double base, flooded, limited;

    m.detector_fraction = 0.005;
    base = mean_infected(w, &m, 6);
    /* Unlimited fake SCAs swamp every verifier next to an infection. */
    m.fake_sca_rate = 1000.0;
    m.link_rate_limit = 0.0;
    flooded = mean_infected(w, &m, 6);
    /* The per-link rate limit caps them. */
    m.link_rate_limit = 10.0;
    limited = mean_infected(w, &m, 6);
    g_assert_cmpfloat(flooded, >, 2 * base);
    g_assert_cmpfloat(limited, <, flooded);
    g_assert_cmpfloat(limited, <, 1.5 * base);
    sim_world_free(w);
}

static void test_congestion(void)
{
    SimParams p = small_params(20000);
    SimWorld *w = sim_world_new(&p);
    ModelParams m = p.model;
    OutbreakResult r;
    double base, congested;

    m.detector_fraction = 0.005;
    base = mean_infected(w, &m, 6);
    r = run_once(w, &m, 0);
    g_assert_cmpuint(r.messages_lost, ==, 0);

    /* Delay grows with the infected fraction: containment is slower. */
    m.congestion_delay = 1000.0;
    congested = mean_infected(w, &m, 6);
    g_assert_cmpfloat(congested, >, base);

    /*
     * Loss grows linearly with the infected fraction, which only grows:
     * the share of messages lost stays below the final fraction.
     */
    m.congestion_delay = 0.0;
    m.congestion_loss = 1.0;
    m.sca_delay = 40.0;
    r = run_once(w, &m, 0);
    g_assert_cmpuint(r.messages_lost, >, 0);
    g_assert_cmpfloat((double)r.messages_lost / r.messages, <=,
                      r.infected_fraction);
    sim_world_free(w);
}

/*
 * The paper: 100,000 vulnerable hosts, 10 infected, beta 0.117, 10%
 * malicious, worst of 20 runs: 0.001 detectors keep the infection
 * under 10% of the vulnerable population.  This is the full-size
 * population; only the number of sweep points is reduced.
 */
static void test_headline_point(void)
{
    SimParams p;
    SimWorld *w;
    double fractions[] = { 0.001 };
    SweepConfig c = { fractions, 1, 20, 2, false };
    SweepPoint s;

    sim_params_init_defaults(&p);
    g_assert_cmpuint(p.model.hosts, ==, 100000);
    g_assert_cmpfloat(p.model.beta, ==, 0.117);
    w = sim_world_new(&p);
    sweep_run(w, &p.model, &c, &s);
    g_test_message("worst of 20 at 0.001 detectors: %.4f infected (median "
                   "%.4f)", s.worst, s.median);
    g_assert_cmpuint(s.detectors, ==, 100);
    g_assert_cmpfloat(s.worst, <, 0.10);
    /* The worm did spread before the SCA stopped it. */
    g_assert_cmpfloat(s.worst, >, 10 * 10.0 / 100000);
    sim_world_free(w);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sim/outbreak/same-seed-same-output",
                    test_same_seed_same_output);
    g_test_add_func("/sim/outbreak/no-detectors",
                    test_no_detectors_infects_everyone);
    g_test_add_func("/sim/outbreak/all-detectors",
                    test_all_detectors_only_initial);
    g_test_add_func("/sim/outbreak/all-malicious",
                    test_everyone_malicious_stops_the_flood);
    g_test_add_func("/sim/outbreak/si-equation",
                    test_si_dynamics_follow_the_equation);
    g_test_add_func("/sim/outbreak/time-series",
                    test_time_series_and_horizon);
    g_test_add_func("/sim/outbreak/more-detectors",
                    test_more_detectors_contain_better);
    g_test_add_func("/sim/outbreak/fake-sca-dos",
                    test_fake_sca_dos_and_rate_limit);
    g_test_add_func("/sim/outbreak/congestion", test_congestion);
    g_test_add_func("/sim/outbreak/headline", test_headline_point);
    return g_test_run();
}
