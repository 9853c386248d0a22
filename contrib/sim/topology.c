/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigilante-sim: transit-stub network topology generator.
 *
 * Routers are placed on a plane whose unit is one millisecond of
 * propagation delay, so a link's delay is the distance between its
 * ends.  Domains are random connected graphs (a random spanning tree
 * plus extra edges with a given probability).  Every edge also gets a
 * routing policy weight: small random weights inside a domain and a
 * large weight on edges between transit domains, so routes first
 * minimise the number of transit domains crossed, as inter-domain
 * policy routing does.
 */
#include <glib.h>
#include <math.h>

#include "rng.h"
#include "topology.h"

/* Plane layout, in milliseconds. */
#define WORLD_SIZE_MS        60.0   /* transit domain centres */
#define TRANSIT_SPREAD_MS    16.0   /* routers around a domain centre */
#define STUB_OFFSET_MS        8.0   /* stub domain around its transit router */
#define STUB_SPREAD_MS        4.0   /* routers around a stub centre */
#define MIN_LINK_MS           0.1

#define INTRA_WEIGHT_MAX     10     /* intra-domain policy weights 1..10 */
#define INTER_DOMAIN_WEIGHT  1000.0 /* dominates any intra-domain path */

typedef struct Point {
    double x, y;
} Point;

/* Dense weighted graph: fine for the small graphs we route over. */
typedef struct SmallGraph {
    uint32_t n;
    double *weight;             /* n x n, INFINITY when no edge */
    double *delay;              /* n x n, seconds */
} SmallGraph;

static void small_graph_init(SmallGraph *g, uint32_t n)
{
    g->n = n;
    g->weight = g_new(double, (size_t)n * n);
    g->delay = g_new0(double, (size_t)n * n);
    for (size_t i = 0; i < (size_t)n * n; i++) {
        g->weight[i] = INFINITY;
    }
}

static void small_graph_destroy(SmallGraph *g)
{
    g_free(g->weight);
    g_free(g->delay);
}

static bool small_graph_has_edge(const SmallGraph *g, uint32_t a, uint32_t b)
{
    return isfinite(g->weight[(size_t)a * g->n + b]);
}

static void small_graph_add_edge(SmallGraph *g, uint32_t a, uint32_t b,
                                 double weight, double delay)
{
    g->weight[(size_t)a * g->n + b] = g->weight[(size_t)b * g->n + a] = weight;
    g->delay[(size_t)a * g->n + b] = g->delay[(size_t)b * g->n + a] = delay;
}

static double link_delay(const Point *a, const Point *b, double scale)
{
    double ms = hypot(a->x - b->x, a->y - b->y);

    return MAX(ms, MIN_LINK_MS) * scale / 1000.0;
}

static Point random_point_near(SimRng *rng, const Point *centre, double side)
{
    return (Point) {
        centre->x + (sim_rng_uniform(rng) - 0.5) * side,
        centre->y + (sim_rng_uniform(rng) - 0.5) * side,
    };
}

static double intra_weight(SimRng *rng)
{
    return 1 + sim_rng_below(rng, INTRA_WEIGHT_MAX);
}

/*
 * Connect nodes first..first+n-1 of g (positions pos[]) into a random
 * connected graph: a random spanning tree, then every other pair with
 * probability p.  Returns the number of edges added.
 */
static uint32_t connect_domain(SmallGraph *g, SimRng *rng, uint32_t first,
                               uint32_t n, const Point *pos, double p,
                               double scale)
{
    uint32_t *order = g_new(uint32_t, n);
    uint32_t edges = 0;

    for (uint32_t i = 0; i < n; i++) {
        order[i] = first + i;
    }
    sim_rng_shuffle(rng, order, n);
    for (uint32_t i = 1; i < n; i++) {
        uint32_t a = order[i], b = order[sim_rng_below(rng, i)];

        small_graph_add_edge(g, a, b, intra_weight(rng),
                             link_delay(&pos[a], &pos[b], scale));
        edges++;
    }
    for (uint32_t i = first; i < first + n; i++) {
        for (uint32_t j = i + 1; j < first + n; j++) {
            if (!small_graph_has_edge(g, i, j) && sim_rng_uniform(rng) < p) {
                small_graph_add_edge(g, i, j, intra_weight(rng),
                                     link_delay(&pos[i], &pos[j], scale));
                edges++;
            }
        }
    }
    g_free(order);
    return edges;
}

/*
 * Single-source shortest paths by policy weight (ties broken by lower
 * delay); writes the delay of each chosen route into out[].
 */
static void route_delays_from(const SmallGraph *g, uint32_t src, float *out)
{
    uint32_t n = g->n;
    double *w = g_new(double, n);
    double *d = g_new(double, n);
    bool *done = g_new0(bool, n);

    for (uint32_t i = 0; i < n; i++) {
        w[i] = INFINITY;
        d[i] = INFINITY;
    }
    w[src] = 0.0;
    d[src] = 0.0;
    for (uint32_t iter = 0; iter < n; iter++) {
        uint32_t u = UINT32_MAX;

        for (uint32_t i = 0; i < n; i++) {
            if (!done[i] && isfinite(w[i]) &&
                (u == UINT32_MAX || w[i] < w[u] ||
                 (w[i] == w[u] && d[i] < d[u]))) {
                u = i;
            }
        }
        if (u == UINT32_MAX) {
            break;
        }
        done[u] = true;
        for (uint32_t v = 0; v < n; v++) {
            double ew = g->weight[(size_t)u * n + v];
            double nw, nd;

            if (done[v] || !isfinite(ew)) {
                continue;
            }
            nw = w[u] + ew;
            nd = d[u] + g->delay[(size_t)u * n + v];
            if (nw < w[v] || (nw == w[v] && nd < d[v])) {
                w[v] = nw;
                d[v] = nd;
            }
        }
    }
    for (uint32_t i = 0; i < n; i++) {
        /* Domains are connected, so every route exists. */
        g_assert(isfinite(d[i]));
        out[i] = d[i];
    }
    g_free(w);
    g_free(d);
    g_free(done);
}

static uint32_t build_transit_core(Topology *t, const TopologyParams *p,
                                   SimRng *rng, Point *pos,
                                   double *link_delay_sum)
{
    uint32_t nd = p->transit_domains, per = p->transit_routers;
    SmallGraph core, domains;
    Point *centre = g_new(Point, nd);
    Point world_centre = { WORLD_SIZE_MS / 2, WORLD_SIZE_MS / 2 };
    uint32_t edges = 0;

    small_graph_init(&core, t->n_transit);
    for (uint32_t d = 0; d < nd; d++) {
        centre[d] = random_point_near(rng, &world_centre, WORLD_SIZE_MS);
        for (uint32_t k = 0; k < per; k++) {
            pos[d * per + k] = random_point_near(rng, &centre[d],
                                                 TRANSIT_SPREAD_MS);
        }
        edges += connect_domain(&core, rng, d * per, per, pos,
                                p->transit_edge_prob, p->delay_scale);
    }

    /* Domain-level graph; each of its edges joins two random routers. */
    small_graph_init(&domains, nd);
    connect_domain(&domains, rng, 0, nd, centre, p->domain_edge_prob, 1.0);
    for (uint32_t a = 0; a < nd; a++) {
        for (uint32_t b = a + 1; b < nd; b++) {
            uint32_t ra, rb;

            if (!small_graph_has_edge(&domains, a, b)) {
                continue;
            }
            ra = a * per + sim_rng_below(rng, per);
            rb = b * per + sim_rng_below(rng, per);
            small_graph_add_edge(&core, ra, rb,
                                 INTER_DOMAIN_WEIGHT + intra_weight(rng),
                                 link_delay(&pos[ra], &pos[rb],
                                            p->delay_scale));
            edges++;
        }
    }

    for (uint32_t i = 0; i < t->n_transit; i++) {
        for (uint32_t j = i + 1; j < t->n_transit; j++) {
            if (small_graph_has_edge(&core, i, j)) {
                *link_delay_sum += core.delay[(size_t)i * t->n_transit + j];
            }
        }
        route_delays_from(&core, i,
                          &t->transit_delay[(size_t)i * t->n_transit]);
    }
    small_graph_destroy(&domains);
    small_graph_destroy(&core);
    g_free(centre);
    return edges;
}

static uint32_t build_stub(Topology *t, const TopologyParams *p, SimRng *rng,
                           uint32_t stub, const Point *transit_pos,
                           double *link_delay_sum)
{
    uint32_t s = t->stub_size;
    Point centre = random_point_near(rng, transit_pos, STUB_OFFSET_MS);
    Point *pos = g_new(Point, s);
    float *delay = &t->stub_delay[(size_t)stub * s * s];
    SmallGraph g;
    uint32_t gateway, edges;
    double uplink;

    for (uint32_t k = 0; k < s; k++) {
        pos[k] = random_point_near(rng, &centre, STUB_SPREAD_MS);
    }
    small_graph_init(&g, s);
    edges = connect_domain(&g, rng, 0, s, pos, p->stub_edge_prob,
                           p->delay_scale);
    for (uint32_t i = 0; i < s; i++) {
        for (uint32_t j = i + 1; j < s; j++) {
            if (small_graph_has_edge(&g, i, j)) {
                *link_delay_sum += g.delay[(size_t)i * s + j];
            }
        }
        route_delays_from(&g, i, &delay[(size_t)i * s]);
    }

    /* The stub's single link to its transit router. */
    gateway = sim_rng_below(rng, s);
    uplink = link_delay(&pos[gateway], transit_pos, p->delay_scale);
    *link_delay_sum += uplink;
    for (uint32_t k = 0; k < s; k++) {
        t->up_delay[(size_t)stub * s + k] = delay[(size_t)k * s + gateway] +
                                            uplink;
    }
    small_graph_destroy(&g);
    g_free(pos);
    return edges + 1;
}

Topology *topology_new(const TopologyParams *p, uint32_t n_hosts,
                       uint64_t seed)
{
    Topology *t = g_new0(Topology, 1);
    SimRng rng;
    Point *transit_pos;
    double delay_sum = 0.0;
    uint32_t n_stub_routers;

    sim_rng_seed(&rng, sim_seed_derive(seed, 0x70b0));
    t->n_transit = p->transit_domains * p->transit_routers;
    t->stubs_per_transit = p->stubs_per_transit;
    t->n_stubs = t->n_transit * p->stubs_per_transit;
    t->stub_size = p->stub_routers;
    n_stub_routers = t->n_stubs * t->stub_size;
    t->n_routers = t->n_transit + n_stub_routers;
    t->lan_delay = p->lan_delay;
    t->transit_delay = g_new(float, (size_t)t->n_transit * t->n_transit);
    t->stub_delay = g_new(float, (size_t)t->n_stubs * t->stub_size *
                                 t->stub_size);
    t->up_delay = g_new(float, n_stub_routers);

    transit_pos = g_new(Point, t->n_transit);
    t->n_links = build_transit_core(t, p, &rng, transit_pos, &delay_sum);
    for (uint32_t s = 0; s < t->n_stubs; s++) {
        t->n_links += build_stub(t, p, &rng, s,
                                 &transit_pos[s / t->stubs_per_transit],
                                 &delay_sum);
    }
    t->mean_link_delay = t->n_links ? delay_sum / t->n_links : 0.0;
    g_free(transit_pos);

    /* Hosts sit on uniformly chosen stub routers. */
    sim_rng_seed(&rng, sim_seed_derive(seed, 0x4057));
    t->n_hosts = n_hosts;
    t->host_router = g_new(uint32_t, n_hosts);
    for (uint32_t h = 0; h < n_hosts; h++) {
        t->host_router[h] = t->n_transit + sim_rng_below(&rng, n_stub_routers);
    }
    return t;
}

void topology_free(Topology *t)
{
    if (!t) {
        return;
    }
    g_free(t->transit_delay);
    g_free(t->stub_delay);
    g_free(t->up_delay);
    g_free(t->host_router);
    g_free(t);
}
