/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Benchmark helper (not a test): how many SCAs per second one agent
 * verifies with its warm verifier.  Submits COUNT genuine variants of an
 * SCA (its time field changed: each has another digest and still
 * verifies) to the agent's control socket at once, then polls `scas`
 * until all are decided, and prints one line: submitted, verified,
 * elapsed, SCAs/s, and the median verification time the agent measured.
 *
 *   bench-agent SOCKET SCA COUNT
 */
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent-client.h"
#include "qmp-client.h"
#include "sca.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(Sca) sca = NULL;
    g_autoptr(GHashTable) mine = g_hash_table_new_full(g_str_hash,
                                                       g_str_equal, g_free,
                                                       NULL);
    guint64 count;
    gint64 t0, t1;
    guint verified = 0, decided = 0;
    g_autofree double *ms = NULL;

    if (argc != 4 ||
        !g_ascii_string_to_unsigned(argv[3], 10, 1, 100000, &count, NULL)) {
        fprintf(stderr, "usage: bench-agent SOCKET SCA COUNT\n");
        return 2;
    }
    sca = sca_load(argv[2], &err);
    if (!sca) {
        fprintf(stderr, "bench-agent: %s\n", err->message);
        return 3;
    }
    ms = g_new0(double, count);
    t0 = g_get_monotonic_time();
    for (guint64 i = 0; i < count; i++) {
        g_autoptr(GBytes) enc = NULL;
        g_autofree char *reply = NULL;

        /* In the past, and another digest on each run. */
        sca->time = 1000000000ull + g_get_real_time() % 100000 * 1000 + i;
        enc = sca_encode(sca, &err);
        reply = enc ? vg_agent_submit(argv[1], enc, &err) : NULL;
        if (!reply || !strstr(reply, "\"digest\"")) {
            fprintf(stderr, "bench-agent: submit: %s\n",
                    reply ? reply : err->message);
            return 3;
        }
        g_hash_table_add(mine, vg_qmp_get_string(reply, "digest"));
    }
    /* Until every one is decided (or a minute without progress). */
    for (gint64 last = g_get_monotonic_time();
         decided < count && g_get_monotonic_time() - last < 60000000;) {
        g_autofree char *r = vg_agent_request(argv[1], "scas", &err);
        g_autoptr(JsonNode) root = r ? vg_json_parse(r, NULL) : NULL;
        JsonArray *arr = root ? json_object_get_array_member(
            json_node_get_object(root), "scas") : NULL;
        guint d = 0, v = 0;

        for (guint i = 0; arr && i < json_array_get_length(arr); i++) {
            JsonObject *o = json_array_get_object_element(arr, i);
            const char *state = json_object_get_string_member(o, "state");

            if (!g_hash_table_contains(mine, json_object_get_string_member(
                                           o, "digest")) ||
                !strcmp(state, "pending")) {
                continue;
            }
            if (!strcmp(state, "verified") && v < count) {
                ms[v++] = json_object_get_double_member(o, "verify-ms");
            }
            d++;
        }
        if (d > decided) {
            last = g_get_monotonic_time();
        }
        decided = d;
        verified = v;
        g_usleep(decided < count ? 20000 : 0);
    }
    t1 = g_get_monotonic_time();
    qsort(ms, verified, sizeof(double), cmp_double);
    printf("%" G_GUINT64_FORMAT " SCAs submitted, %u verified, %u decided in "
           "%.2f s: %.1f SCAs/s; verification (agent's own) median %.1f ms\n",
           count, verified, decided, (t1 - t0) / 1e6,
           decided / ((t1 - t0) / 1e6), verified ? ms[verified / 2] : 0.0);
    return verified == count ? 0 : 1;
}
