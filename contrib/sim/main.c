/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigilante-sim: command line.
 *
 *   vigilante-sim run       one outbreak (summary, infection over time)
 *   vigilante-sim sweep     infected fraction against detector fraction
 *   vigilante-sim topology  statistics of the network and the overlay
 */
#include <glib.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netstats.h"
#include "output.h"
#include "params.h"
#include "sweep.h"

#define DEFAULT_FRACTIONS \
    "0.0001,0.0002,0.0005,0.001,0.002,0.005,0.01,0.02,0.05,0.1"

typedef struct CliOptions {
    gint hosts, vulnerable, initial_infected;
    gdouble beta, detector_fraction, sca_delay, verify_time;
    gdouble malicious_fraction, congestion_delay, congestion_loss;
    gdouble fake_sca_rate, link_rate_limit, max_time;
    gint transit_domains, transit_routers, stubs_per_transit, stub_routers;
    gdouble transit_edge_prob, stub_edge_prob, domain_edge_prob;
    gdouble delay_scale, lan_delay;
    gint pastry_b, leaf_set;
    gint64 seed;
    gint runs, run_index, threads;
    gchar *fractions;
    gdouble sample_interval;
    gchar *csv, *plot;
    gboolean quiet, version, malicious_detectors;
} CliOptions;

static CliOptions opt;

static GOptionEntry model_entries[] = {
    { "hosts", 0, 0, G_OPTION_ARG_INT, &opt.hosts,
      "Hosts in the overlay (default 100000)", "N" },
    { "vulnerable", 0, 0, G_OPTION_ARG_INT, &opt.vulnerable,
      "Vulnerable hosts among them (default: all hosts)", "N" },
    { "initial-infected", 0, 0, G_OPTION_ARG_INT, &opt.initial_infected,
      "Hosts infected at time 0 (default 10)", "N" },
    { "beta", 0, 0, G_OPTION_ARG_DOUBLE, &opt.beta,
      "Infection rate of dI/dt = beta I (1 - I/N) (default 0.117)", "R" },
    { "detector-fraction", 0, 0, G_OPTION_ARG_DOUBLE, &opt.detector_fraction,
      "run: fraction of hosts that are detectors (default 0.001)", "F" },
    { "sca-delay", 0, 0, G_OPTION_ARG_DOUBLE, &opt.sca_delay,
      "Seconds from a probe at a detector to its SCA (default 5)", "S" },
    { "verify-time", 0, 0, G_OPTION_ARG_DOUBLE, &opt.verify_time,
      "Seconds to verify one SCA at each hop (default 0.003)", "S" },
    { "malicious-fraction", 0, 0, G_OPTION_ARG_DOUBLE,
      &opt.malicious_fraction,
      "Fraction of hosts that never forward SCAs (default 0.1)", "F" },
    { "malicious-detectors", 0, 0, G_OPTION_ARG_NONE,
      &opt.malicious_detectors,
      "Place detectors on malicious hosts too (they detect, but never "
      "send the SCA); by default detectors are honest hosts", NULL },
    { "congestion-delay", 0, 0, G_OPTION_ARG_DOUBLE, &opt.congestion_delay,
      "Extra relative link delay when all vulnerable hosts are infected; "
      "grows linearly with the infected fraction (default 0)", "X" },
    { "congestion-loss", 0, 0, G_OPTION_ARG_DOUBLE, &opt.congestion_loss,
      "Message loss probability when all vulnerable hosts are infected; "
      "grows linearly (default 0)", "P" },
    { "fake-sca-rate", 0, 0, G_OPTION_ARG_DOUBLE, &opt.fake_sca_rate,
      "DoS: fake SCAs per second each infected host sends on each of its "
      "overlay links (default 0: no DoS)", "R" },
    { "link-rate-limit", 0, 0, G_OPTION_ARG_DOUBLE, &opt.link_rate_limit,
      "Messages per second accepted on each overlay link, 0 for no limit "
      "(default 10)", "R" },
    { "max-time", 0, 0, G_OPTION_ARG_DOUBLE, &opt.max_time,
      "Stop each run at this simulated time (default 0: run until "
      "every vulnerable host is infected or immune)", "S" },
    { NULL }
};

static GOptionEntry network_entries[] = {
    { "transit-domains", 0, 0, G_OPTION_ARG_INT, &opt.transit_domains,
      "Transit domains (default 10)", "N" },
    { "transit-routers", 0, 0, G_OPTION_ARG_INT, &opt.transit_routers,
      "Routers per transit domain (default 5)", "N" },
    { "stubs-per-transit", 0, 0, G_OPTION_ARG_INT, &opt.stubs_per_transit,
      "Stub domains per transit router (default 10)", "N" },
    { "stub-routers", 0, 0, G_OPTION_ARG_INT, &opt.stub_routers,
      "Routers per stub domain (default 10)", "N" },
    { "transit-edge-prob", 0, 0, G_OPTION_ARG_DOUBLE, &opt.transit_edge_prob,
      "Extra edge probability inside a transit domain (default 0.6)", "P" },
    { "stub-edge-prob", 0, 0, G_OPTION_ARG_DOUBLE, &opt.stub_edge_prob,
      "Extra edge probability inside a stub domain (default 0.4)", "P" },
    { "domain-edge-prob", 0, 0, G_OPTION_ARG_DOUBLE, &opt.domain_edge_prob,
      "Extra edge probability between transit domains (default 0.5)", "P" },
    { "delay-scale", 0, 0, G_OPTION_ARG_DOUBLE, &opt.delay_scale,
      "Multiply all router link delays (default 1)", "X" },
    { "lan-delay", 0, 0, G_OPTION_ARG_DOUBLE, &opt.lan_delay,
      "Host to stub router link delay in seconds (default 0.001)", "S" },
    { "pastry-b", 0, 0, G_OPTION_ARG_INT, &opt.pastry_b,
      "Pastry digit size b in bits: 1, 2, 4 or 8 (default 1)", "B" },
    { "leaf-set", 0, 0, G_OPTION_ARG_INT, &opt.leaf_set,
      "Pastry leaf set size l, even (default 32)", "L" },
    { NULL }
};

static GOptionEntry run_entries[] = {
    { "seed", 's', 0, G_OPTION_ARG_INT64, &opt.seed,
      "Seed of everything random (default 1)", "N" },
    { "runs", 'n', 0, G_OPTION_ARG_INT, &opt.runs,
      "sweep: runs per detector fraction (default 20)", "N" },
    { "fractions", 0, 0, G_OPTION_ARG_STRING, &opt.fractions,
      "sweep: comma-separated detector fractions (default "
      DEFAULT_FRACTIONS ")", "F,F,..." },
    { "threads", 'j', 0, G_OPTION_ARG_INT, &opt.threads,
      "sweep: worker threads (default 2)", "N" },
    { "run-index", 0, 0, G_OPTION_ARG_INT, &opt.run_index,
      "run: which run of a sweep to replay (default 0)", "I" },
    { "sample-interval", 0, 0, G_OPTION_ARG_DOUBLE, &opt.sample_interval,
      "run: seconds between rows of the time series (default 1)", "S" },
    { "csv", 'o', 0, G_OPTION_ARG_FILENAME, &opt.csv,
      "Write results as CSV to FILE", "FILE" },
    { "plot", 'p', 0, G_OPTION_ARG_FILENAME, &opt.plot,
      "Plot with gnuplot to FILE (.svg or .png)", "FILE" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &opt.quiet,
      "No progress or build messages on stderr", NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &opt.version,
      "Print the version and exit", NULL },
    { NULL }
};

static const char *description =
    "Commands:\n"
    "  run       simulate one outbreak; prints a summary, --csv/--plot\n"
    "            give the infected fraction over time\n"
    "  sweep     worst-of-N and median infected fraction for each\n"
    "            detector fraction; --plot draws the paper's Figure 2\n"
    "  topology  build the network and overlay and print statistics\n"
    "\n"
    "The defaults are the setup of \"Can we contain Internet worms?\"\n"
    "(section 5).  Examples:\n"
    "  vigilante-sim sweep --csv fig2.csv --plot fig2.svg\n"
    "  vigilante-sim run --detector-fraction 0.001 --csv run.csv\n"
    "  vigilante-sim sweep --hosts 500000 --congestion-delay 1 "
    "--fake-sca-rate 10\n"
    "\n"
    "See docs/simulator.md for the model.\n";

static void init_options(void)
{
    SimParams d;

    sim_params_init_defaults(&d);
    opt = (CliOptions) {
        .hosts = d.model.hosts,
        .vulnerable = 0,
        .initial_infected = d.model.initial_infected,
        .beta = d.model.beta,
        .detector_fraction = d.model.detector_fraction,
        .sca_delay = d.model.sca_delay,
        .verify_time = d.model.verify_time,
        .malicious_fraction = d.model.malicious_fraction,
        .congestion_delay = d.model.congestion_delay,
        .congestion_loss = d.model.congestion_loss,
        .fake_sca_rate = d.model.fake_sca_rate,
        .link_rate_limit = d.model.link_rate_limit,
        .max_time = d.model.max_time,
        .transit_domains = d.topo.transit_domains,
        .transit_routers = d.topo.transit_routers,
        .stubs_per_transit = d.topo.stubs_per_transit,
        .stub_routers = d.topo.stub_routers,
        .transit_edge_prob = d.topo.transit_edge_prob,
        .stub_edge_prob = d.topo.stub_edge_prob,
        .domain_edge_prob = d.topo.domain_edge_prob,
        .delay_scale = d.topo.delay_scale,
        .lan_delay = d.topo.lan_delay,
        .pastry_b = d.overlay.b,
        .leaf_set = d.overlay.leaf_set,
        .seed = (gint64)d.seed,
        .runs = 20,
        .run_index = 0,
        .threads = 2,
        .sample_interval = 1.0,
    };
}

static G_GNUC_NORETURN G_GNUC_PRINTF(1, 2) void usage_error(const char *fmt,
                                                            ...)
{
    va_list ap;

    fprintf(stderr, "vigilante-sim: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'vigilante-sim --help' for more information.\n");
    exit(2);
}

static G_GNUC_NORETURN void fail(GError *err)
{
    fprintf(stderr, "vigilante-sim: %s\n", err->message);
    g_error_free(err);
    exit(1);
}

static uint32_t count_option(const char *flag, gint value, gint min)
{
    if (value < min) {
        usage_error("--%s must be >= %d (got %d)", flag, min, value);
    }
    return (uint32_t)value;
}

static void params_from_options(SimParams *p)
{
    char *err;

    sim_params_init_defaults(p);
    p->model.hosts = count_option("hosts", opt.hosts, 0);
    p->model.vulnerable = opt.vulnerable ?
                          count_option("vulnerable", opt.vulnerable, 0) :
                          p->model.hosts;
    p->model.initial_infected = count_option("initial-infected",
                                             opt.initial_infected, 0);
    p->model.beta = opt.beta;
    p->model.detector_fraction = opt.detector_fraction;
    p->model.sca_delay = opt.sca_delay;
    p->model.verify_time = opt.verify_time;
    p->model.malicious_fraction = opt.malicious_fraction;
    p->model.malicious_detectors = opt.malicious_detectors;
    p->model.congestion_delay = opt.congestion_delay;
    p->model.congestion_loss = opt.congestion_loss;
    p->model.fake_sca_rate = opt.fake_sca_rate;
    p->model.link_rate_limit = opt.link_rate_limit;
    p->model.max_time = opt.max_time;
    p->topo.transit_domains = count_option("transit-domains",
                                           opt.transit_domains, 0);
    p->topo.transit_routers = count_option("transit-routers",
                                           opt.transit_routers, 0);
    p->topo.stubs_per_transit = count_option("stubs-per-transit",
                                             opt.stubs_per_transit, 0);
    p->topo.stub_routers = count_option("stub-routers", opt.stub_routers, 0);
    p->topo.transit_edge_prob = opt.transit_edge_prob;
    p->topo.stub_edge_prob = opt.stub_edge_prob;
    p->topo.domain_edge_prob = opt.domain_edge_prob;
    p->topo.delay_scale = opt.delay_scale;
    p->topo.lan_delay = opt.lan_delay;
    p->overlay.b = count_option("pastry-b", opt.pastry_b, 0);
    p->overlay.leaf_set = count_option("leaf-set", opt.leaf_set, 0);
    p->seed = (uint64_t)opt.seed;

    err = sim_params_check(p);
    if (err) {
        usage_error("%s", err);
    }
    if (opt.plot && !output_plot_name_ok(opt.plot)) {
        usage_error("--plot file name must end in .svg or .png (got '%s')",
                    opt.plot);
    }
}

static GArray *parse_fractions(const char *text)
{
    GArray *fractions = g_array_new(FALSE, FALSE, sizeof(double));
    char **items = g_strsplit(text, ",", -1);

    for (char **item = items; *item; item++) {
        char *end;
        double f;

        g_strstrip(*item);
        f = g_ascii_strtod(*item, &end);
        if (!**item || *end || !isfinite(f) || f < 0.0 || f > 1.0) {
            usage_error("--fractions: '%s' is not a fraction within [0, 1]",
                        *item);
        }
        g_array_append_val(fractions, f);
    }
    g_strfreev(items);
    if (fractions->len == 0) {
        usage_error("--fractions needs at least one value");
    }
    return fractions;
}

static SimWorld *build_world(const SimParams *p)
{
    gint64 start = g_get_monotonic_time();
    SimWorld *w;

    if (!opt.quiet) {
        fprintf(stderr, "vigilante-sim: building topology and overlay "
                "(%u hosts)...\n", p->model.hosts);
    }
    w = sim_world_new(p);
    if (!opt.quiet) {
        fprintf(stderr, "vigilante-sim: %u routers, %u hosts, built in "
                "%.1f s\n", w->topo->n_routers, w->overlay->n,
                (g_get_monotonic_time() - start) / 1e6);
    }
    return w;
}

static void collect_sample(const OutbreakSample *s, void *opaque)
{
    g_array_append_val((GArray *)opaque, *s);
}

static int cmd_run(const SimParams *p)
{
    SimWorld *w;
    OutbreakRun *run;
    OutbreakResult r;
    GArray *samples = g_array_new(FALSE, FALSE, sizeof(OutbreakSample));
    GError *err = NULL;

    if (!isfinite(opt.sample_interval) || opt.sample_interval <= 0.0) {
        usage_error("--sample-interval must be > 0 (got %g)",
                    opt.sample_interval);
    }
    count_option("run-index", opt.run_index, 0);
    w = build_world(p);
    run = outbreak_run_new(w);
    outbreak_simulate(run, &p->model, sweep_run_seed(p->seed, opt.run_index),
                      opt.sample_interval, collect_sample, samples, &r);

    printf("hosts %u, vulnerable %u, detectors %u, malicious %u\n",
           r.hosts, r.vulnerable, r.detectors, r.malicious);
    printf("infected %u of %u vulnerable hosts (fraction %.6f)%s\n",
           r.infected, r.vulnerable, r.infected_fraction,
           r.horizon_reached ? " at --max-time" : "");
    printf("holding the SCA: %u hosts (%u vulnerable)\n",
           r.protected_hosts, r.protected_vulnerable);
    printf("detections %u, first at %.3f s, first SCA at %.3f s, "
           "last event at %.3f s\n",
           r.detections, r.first_detection, r.first_sca, r.end_time);
    printf("worm probes at unresolved hosts %" G_GUINT64_FORMAT
           ", SCA messages %" G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT
           " lost)\n", r.probes, r.messages, r.messages_lost);

    if (opt.csv && !output_timeseries_csv_file(opt.csv, samples, r.vulnerable,
                                               r.hosts, &err)) {
        fail(err);
    }
    if (opt.plot) {
        char *title = g_strdup_printf("Outbreak, detector fraction %g, "
                                      "beta %g", p->model.detector_fraction,
                                      p->model.beta);

        if (!output_timeseries_plot(opt.plot, samples, r.vulnerable, r.hosts,
                                    title, &err)) {
            fail(err);
        }
        g_free(title);
    }
    g_array_free(samples, TRUE);
    outbreak_run_free(run);
    sim_world_free(w);
    return 0;
}

static int cmd_sweep(const SimParams *p)
{
    GArray *fractions = parse_fractions(opt.fractions ? opt.fractions :
                                        DEFAULT_FRACTIONS);
    SweepConfig c = {
        .fractions = (const double *)fractions->data,
        .n_fractions = fractions->len,
        .runs = count_option("runs", opt.runs, 1),
        .threads = count_option("threads", opt.threads, 1),
        .progress = !opt.quiet,
    };
    SweepPoint *points = g_new0(SweepPoint, fractions->len);
    GError *err = NULL;
    SimWorld *w;

    if (c.threads > 64) {
        usage_error("--threads must be <= 64 (got %u)", c.threads);
    }
    w = build_world(p);
    sweep_run(w, &p->model, &c, points);

    printf("%-12s %9s %14s %15s\n", "detectors", "count",
           "worst infected", "median infected");
    for (uint32_t i = 0; i < c.n_fractions; i++) {
        printf("%-12g %9u %14.6f %15.6f\n", points[i].detector_fraction,
               points[i].detectors, points[i].worst, points[i].median);
    }
    if (opt.csv && !output_sweep_csv_file(opt.csv, points, c.n_fractions,
                                          &err)) {
        fail(err);
    }
    if (opt.plot) {
        char *title = g_strdup_printf("Fraction of survivors, %u vulnerable "
                                      "hosts, beta %g, worst of %u runs",
                                      p->model.vulnerable, p->model.beta,
                                      c.runs);

        if (!output_sweep_plot(opt.plot, points, c.n_fractions, title,
                               &err)) {
            fail(err);
        }
        g_free(title);
    }
    g_free(points);
    g_array_free(fractions, TRUE);
    sim_world_free(w);
    return 0;
}

static int cmd_topology(const SimParams *p)
{
    SimWorld *w = build_world(p);
    NetStats s;

    netstats_compute(w, 0, p->model.verify_time, p->seed, &s);
    printf("routers %u (%u transit, %u stub domains of %u), links %u, "
           "mean link delay %.2f ms\n",
           w->topo->n_routers, w->topo->n_transit, w->topo->n_stubs,
           w->topo->stub_size, w->topo->n_links,
           w->topo->mean_link_delay * 1e3);
    printf("hosts %u, host-to-host delay mean %.2f ms, max %.2f ms\n",
           w->overlay->n, s.mean_host_delay * 1e3, s.max_host_delay * 1e3);
    printf("overlay b=%u l=%u: out-degree mean %.1f (min %u, max %u), "
           "mean link delay %.2f ms\n",
           w->overlay->b, w->overlay->leaf_set, s.mean_degree, s.min_degree,
           s.max_degree, s.mean_link_delay * 1e3);
    printf("unhindered flood from host 0: reaches %u hosts, half by %.3f s, "
           "all by %.3f s, at most %u hops\n",
           s.reached, s.median_flood_time, s.flood_time, s.max_hops);
    sim_world_free(w);
    return 0;
}

int main(int argc, char **argv)
{
    GOptionContext *ctx;
    GError *err = NULL;
    SimParams p;
    const char *command;
    int ret;

    init_options();
    ctx = g_option_context_new("run|sweep|topology - Vigilante worm "
                               "containment simulator");
    g_option_context_set_description(ctx, description);
    g_option_context_add_main_entries(ctx, run_entries, NULL);
    g_option_context_add_main_entries(ctx, model_entries, NULL);
    g_option_context_add_main_entries(ctx, network_entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        usage_error("%s", err->message);
    }
    if (opt.version) {
        printf("vigilante-sim %s\n", VIGILANTE_VERSION);
        return 0;
    }
    if (argc < 2) {
        usage_error("missing command (run, sweep or topology)");
    }
    if (argc > 2) {
        usage_error("unexpected argument '%s'", argv[2]);
    }
    command = argv[1];
    params_from_options(&p);
    if (!strcmp(command, "run")) {
        ret = cmd_run(&p);
    } else if (!strcmp(command, "sweep")) {
        ret = cmd_sweep(&p);
    } else if (!strcmp(command, "topology")) {
        ret = cmd_topology(&p);
    } else {
        usage_error("unknown command '%s' (expected run, sweep or topology)",
                    command);
    }
    g_option_context_free(ctx);
    return ret;
}
