/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Flooding: each SCA, named by the SHA-256 of its encoding, is handled
 * once.  It is verified by the warm verifier of its program's profile
 * (one worker thread per profile, fed one SCA at a time from a queue the
 * main loop owns, so that a penalised peer's SCAs can be dropped before
 * they cost a verification) and only a verified SCA is forwarded, to
 * every open link but the one it came on.  An SCA for a program without
 * a profile here is forwarded only with [verify] forward-unverified.
 */
#include <string.h>

#include "agent.h"
#include "profile.h"
#include "sca.h"
#include "filter-gen.h"
#include "sca-verify.h"

#define RECENT_MAX  VGA_MAX_DIGESTS

struct VerifyWorker {
    Agent *a;
    VgProfile *profile;
    GThread *thread;
    GAsyncQueue *jobs;          /* to the thread: Job, or the stop job */
    GQueue pending;             /* digests waiting, main loop only */
    GHashTable *last_served;    /* source -> when its last SCA went in */
    bool busy;
    bool ready;
    char *error;                /* the verifier could not start */
    uint64_t verified, refused, errors;
};

typedef struct {
    VerifyWorker *w;
    char digest[2 * 32 + 1];
    Sca *sca;
    VgVerdict verdict;
    bool ready_report;          /* not a job: the verifier is ready */
    char *error;
} Job;

/* A filter made after a verdict, back to the main loop. */
typedef struct {
    Agent *a;
    char digest[2 * 32 + 1];
    GBytes *encoding;           /* NULL: none, see error */
    char *error;
    unsigned conditions;
    double ms;
} FilterJob;

static Job stop_job;

const char *sca_state_name(ScaState s)
{
    switch (s) {
    case SCA_STATE_PENDING:
        return "pending";
    case SCA_STATE_VERIFIED:
        return "verified";
    case SCA_STATE_REFUSED:
        return "refused";
    case SCA_STATE_UNVERIFIABLE:
        return "unverifiable";
    }
    return "?";
}

void agent_sca_digest(GBytes *encoding, char *hex)
{
    g_autoptr(GChecksum) c = g_checksum_new(G_CHECKSUM_SHA256);
    size_t n;
    const uint8_t *p = g_bytes_get_data(encoding, &n);

    g_checksum_update(c, p, n);
    g_strlcpy(hex, g_checksum_get_string(c), 2 * 32 + 1);
}

static void digest_to_bin(const char *hex, uint8_t *out)
{
    for (int i = 0; i < 32; i++) {
        out[i] = g_ascii_xdigit_value(hex[2 * i]) << 4 |
                 g_ascii_xdigit_value(hex[2 * i + 1]);
    }
}

static void digest_to_hex(const uint8_t *bin, char *hex)
{
    for (int i = 0; i < 32; i++) {
        g_snprintf(hex + 2 * i, 3, "%02x", bin[i]);
    }
}

static void entry_free(gpointer p)
{
    ScaEntry *e = p;

    g_bytes_unref(e->encoding);
    g_free(e->program);
    g_free(e->reason);
    g_free(e->source);
    g_free(e->filter);
    g_free(e);
}

/*
 * An SCA that will never be forwarded needs only its digest (to be
 * recognised again): forged ones can be 1 MiB each, and keep coming.
 */
static void forget_encoding(ScaEntry *e)
{
    g_bytes_unref(e->encoding);
    e->encoding = g_bytes_new(NULL, 0);
}

static bool forwardable(const Agent *a, const ScaEntry *e)
{
    return e->state == SCA_STATE_VERIFIED ||
           (e->state == SCA_STATE_UNVERIFIABLE && a->cfg->forward_unverified);
}

static void forward(Agent *a, ScaEntry *e)
{
    g_autoptr(GBytes) frame = vga_frame_sca(e->encoding);
    unsigned n = 0;
    GList *links = g_list_copy(a->links);   /* link_send may close one */

    for (GList *i = links; i; i = i->next) {
        Link *l = i->data;

        if (link_id(l) != e->from_link && link_is_open(l) &&
            link_mark_sent(l, e->digest) && link_send(l, frame)) {
            link_count_forwarded(l);
            n++;
        }
    }
    g_list_free(links);
    a->n.forwarded += n;
    agent_log(a, "SCA %.12s forwarded to %u peer(s)", e->digest, n);
}

static void dispatch(VerifyWorker *w);
static gboolean job_done(gpointer opaque);

static gboolean filter_done(gpointer opaque)
{
    FilterJob *fj = opaque;
    Agent *a = fj->a;

    if (!a->stopping && fj->encoding) {
        agent_filter_made(a, fj->digest, fj->encoding, fj->conditions,
                          fj->ms);
    } else if (!a->stopping) {
        a->n.filter_failures++;
        agent_log(a, "SCA %.12s: no filter: %s", fj->digest, fj->error);
    }
    if (fj->encoding) {
        g_bytes_unref(fj->encoding);
    }
    g_free(fj->error);
    g_free(fj);
    return G_SOURCE_REMOVE;
}

/*
 * The general filter of a verified SCA (docs/filter-generation.md), in
 * the worker thread: its replays use their own VMs from the snapshot.
 */
static void make_filter(VerifyWorker *w, const char *digest, const Sca *sca)
{
    VgGenOptions o = { .qemu = w->a->cfg->qemu, .general = true,
                       .random_checks = 4 };
    FilterJob *fj = g_new0(FilterJob, 1);
    g_autoptr(GError) err = NULL;
    g_autoptr(VgGenResult) r = vg_filter_generate(w->profile, sca, &o, &err);

    fj->a = w->a;
    g_strlcpy(fj->digest, digest, sizeof(fj->digest));
    if (r) {
        fj->encoding = vf_encode(r->general, &err);
        fj->conditions = r->stats.general_conditions;
        fj->ms = r->stats.capture_ms + r->stats.generalise_ms +
                 r->stats.validate_ms;
    }
    if (!fj->encoding) {
        fj->error = g_strdup(err ? err->message : "no filter");
    }
    g_idle_add(filter_done, fj);
}

/* The worker thread: a warm verifier, one SCA at a time. */
static gpointer worker_main(gpointer opaque)
{
    VerifyWorker *w = opaque;
    g_autoptr(GError) err = NULL;
    VgVerifier *v = vg_verifier_new(w->profile, w->a->cfg->qemu);
    Job *ready = g_new0(Job, 1);

    ready->w = w;
    ready->ready_report = true;
    if (!vg_verifier_wait_ready(v, &err)) {
        ready->error = g_strdup(err->message);
    }
    g_idle_add(job_done, ready);
    for (;;) {
        Job *job = g_async_queue_pop(w->jobs);

        if (job == &stop_job) {
            break;
        }
        job->verdict = vg_verifier_verify(v, job->sca,
                                          w->a->cfg->verify_timeout_ms);
        if (job->verdict.kind == VG_VERDICT_VERIFIED &&
            vga_config_wants_filter(w->a->cfg, w->profile->name)) {
            /* The verdict goes out first: forwarding does not wait. */
            g_autoptr(Sca) sca = g_steal_pointer(&job->sca);
            char digest[2 * 32 + 1];

            g_strlcpy(digest, job->digest, sizeof(digest));
            g_idle_add(job_done, job);
            make_filter(w, digest, sca);
            continue;
        }
        g_idle_add(job_done, job);
    }
    vg_verifier_free(v);
    return NULL;
}

static void job_free(Job *job)
{
    sca_free(job->sca);
    vg_verdict_clear(&job->verdict);
    g_free(job->error);
    g_free(job);
}

static void decided(Agent *a, ScaEntry *e, const Job *job)
{
    Link *from = e->from_link ? agent_find_link(a, e->from_link) : NULL;

    e->decided_us = g_get_real_time();
    e->verify_ms = job->verdict.total_ms;
    switch (job->verdict.kind) {
    case VG_VERDICT_VERIFIED:
        e->state = SCA_STATE_VERIFIED;
        a->n.verified++;
        job->w->verified++;
        if (from) {
            link_count_verified(from);
        }
        agent_log(a, "SCA %.12s (%s, from %s) verified in %.0f ms, %.0f ms "
                  "after it arrived", e->digest, e->program, e->source,
                  job->verdict.total_ms,
                  (e->decided_us - e->received_us) / 1000.0);
        forward(a, e);
        agent_store_sca(a, e);
        break;
    case VG_VERDICT_NOT_VERIFIED:
        e->state = SCA_STATE_REFUSED;
        e->reason = g_strdup(job->verdict.reason);
        a->n.refused++;
        job->w->refused++;
        agent_log(a, "SCA %.12s (%s, from %s) refused: %s", e->digest,
                  e->program, e->source, e->reason);
        forget_encoding(e);
        agent_store_sca(a, e);
        if (from) {
            link_penalise(from, e->reason);
        }
        break;
    case VG_VERDICT_ERROR:
        /* Not the sender's fault: forget it, a later copy is tried again. */
        job->w->errors++;
        agent_log(a, "SCA %.12s (%s): verification failed: %s", e->digest,
                  e->program, job->verdict.reason);
        agent_store_sca_forget(a, e->digest);
        g_hash_table_remove(a->scas, e->digest);
        break;
    }
}

static gboolean job_done(gpointer opaque)
{
    Job *job = opaque;
    VerifyWorker *w = job->w;
    Agent *a = w->a;

    if (job->ready_report) {
        w->ready = !job->error;
        w->error = g_steal_pointer(&job->error);
        if (w->ready) {
            agent_log(a, "verifier for %s ready", w->profile->name);
        } else {
            agent_log(a, "verifier for %s failed: %s", w->profile->name,
                      w->error);
        }
    } else {
        ScaEntry *e = g_hash_table_lookup(a->scas, job->digest);

        w->busy = false;
        if (e && !a->stopping) {
            decided(a, e, job);
        }
    }
    job_free(job);
    if (!a->stopping) {
        dispatch(w);
    }
    return G_SOURCE_REMOVE;
}

/*
 * The next SCA to verify: a local detector's first; then, round robin
 * over the sources, the oldest SCA of the source served longest ago.  So
 * a peer that floods forged SCAs (each costs a replay up to the timeout)
 * delays another source's SCA by the one replay in progress at most.
 */
static char *next_pending(VerifyWorker *w)
{
    GList *best = NULL;
    int64_t best_t = G_MAXINT64;

    for (GList *i = w->pending.head; i; i = i->next) {
        ScaEntry *e = g_hash_table_lookup(w->a->scas, i->data);
        int64_t *t;

        if (!e || e->state != SCA_STATE_PENDING ||
            !strcmp(e->source, "local")) {
            best = i;           /* stale ones go now, local ones first */
            break;
        }
        t = g_hash_table_lookup(w->last_served, e->source);
        if (!best || (t ? *t : 0) < best_t) {
            best = i;
            best_t = t ? *t : 0;
        }
    }
    if (!best) {
        return NULL;
    }
    {
        char *digest = best->data;
        ScaEntry *e = g_hash_table_lookup(w->a->scas, digest);

        g_queue_delete_link(&w->pending, best);
        if (e) {
            g_hash_table_insert(w->last_served, g_strdup(e->source),
                                g_memdup2(&(int64_t){ g_get_monotonic_time() },
                                          sizeof(int64_t)));
        }
        return digest;
    }
}

/* Hand the next SCA to an idle, ready worker. */
static void dispatch(VerifyWorker *w)
{
    Agent *a = w->a;

    while (w->ready && !w->busy && !g_queue_is_empty(&w->pending)) {
        g_autofree char *digest = next_pending(w);
        ScaEntry *e = g_hash_table_lookup(a->scas, digest);
        Job *job;

        if (!e || e->state != SCA_STATE_PENDING) {
            continue;
        }
        /* Its sender was disconnected meanwhile: not worth a replay. */
        if (e->from_link && !agent_find_link(a, e->from_link)) {
            agent_log(a, "SCA %.12s dropped unverified: its peer is gone",
                      e->digest);
            agent_store_sca_forget(a, digest);
            g_hash_table_remove(a->scas, digest);
            continue;
        }
        job = g_new0(Job, 1);
        job->w = w;
        g_strlcpy(job->digest, digest, sizeof(job->digest));
        job->sca = sca_decode(g_bytes_get_data(e->encoding, NULL),
                              g_bytes_get_size(e->encoding), NULL);
        g_assert(job->sca);     /* it decoded when it arrived */
        w->busy = true;
        g_async_queue_push(w->jobs, job);
    }
}

static VerifyWorker *worker_for(Agent *a, const Sca *sca)
{
    for (guint i = 0; i < a->workers->len; i++) {
        VerifyWorker *w = g_ptr_array_index(a->workers, i);

        if (!strcmp(w->profile->name, sca->name) &&
            !memcmp(w->profile->digest, sca->digest, sizeof(sca->digest))) {
            return w;
        }
    }
    return NULL;
}

ScaEntry *agent_sca_arrived(Agent *a, GBytes *encoding, uint64_t from,
                            bool *is_new, GError **errp)
{
    char digest[2 * 32 + 1];
    g_autoptr(Sca) sca = NULL;
    g_autoptr(GError) err = NULL;
    ScaEntry *e;
    VerifyWorker *w;
    Link *l = from ? agent_find_link(a, from) : NULL;

    agent_sca_digest(encoding, digest);
    e = g_hash_table_lookup(a->scas, digest);
    *is_new = !e;
    if (e) {
        a->n.duplicates++;
        return e;
    }
    a->n.seen++;
    sca = sca_decode(g_bytes_get_data(encoding, NULL),
                     g_bytes_get_size(encoding), &err);
    if (!sca) {
        a->n.malformed++;
        agent_log(a, "SCA %.12s from %s malformed: %s", digest,
                  l ? link_peer(l) : "local", err->message);
        g_set_error(errp, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "malformed SCA: %s", err->message);
        return NULL;
    }
    e = g_new0(ScaEntry, 1);
    g_strlcpy(e->digest, digest, sizeof(e->digest));
    e->encoding = g_bytes_ref(encoding);
    e->program = g_strdup(sca->name);
    e->source = g_strdup(l ? link_peer(l) : "local");
    e->from_link = from;
    e->received_us = g_get_real_time();
    g_hash_table_insert(a->scas, e->digest, e);
    g_queue_push_tail(&a->recent, g_strdup(digest));
    while (g_queue_get_length(&a->recent) > RECENT_MAX) {
        g_free(g_queue_pop_head(&a->recent));
    }
    w = worker_for(a, sca);
    if (w && w->error) {
        w = NULL;               /* its verifier could not start */
    }
    if (w) {
        agent_log(a, "SCA %.12s (%s %s, from %.12s) queued for verification",
                  digest, e->program, sca_type_name(sca->type), e->source);
        agent_store_sca(a, e);
        g_queue_push_tail(&w->pending, g_strdup(digest));
        dispatch(w);
        return e;
    }
    e->state = SCA_STATE_UNVERIFIABLE;
    e->decided_us = e->received_us;
    a->n.unverifiable++;
    agent_log(a, "SCA %.12s (%s, from %.12s): no profile of that program "
              "here%s", digest, e->program, e->source,
              a->cfg->forward_unverified ? ", forwarded unverified" : "");
    if (a->cfg->forward_unverified) {
        forward(a, e);
    } else {
        forget_encoding(e);
    }
    agent_store_sca(a, e);
    return e;
}

void agent_flood_link_up(Agent *a, Link *l)
{
    g_autofree uint8_t *digests = g_malloc(RECENT_MAX * 32);
    unsigned n = 0;

    for (GList *i = a->recent.head; i && n < RECENT_MAX; i = i->next) {
        ScaEntry *e = g_hash_table_lookup(a->scas, i->data);

        if (e && forwardable(a, e)) {
            digest_to_bin(e->digest, digests + 32 * n++);
        }
    }
    if (n) {
        g_autoptr(GBytes) f = vga_frame_digests(VGA_FRAME_HAVE, digests, n);

        link_send(l, f);
    }
}

void agent_flood_have(Agent *a, Link *l, const uint8_t *digests, unsigned n)
{
    g_autofree uint8_t *want = g_malloc((size_t)n * 32);
    unsigned k = 0, over = 0;

    for (unsigned i = 0; i < n; i++) {
        char hex[2 * 32 + 1];

        digest_to_hex(digests + 32 * i, hex);
        if (g_hash_table_contains(a->scas, hex)) {
            continue;
        }
        if (link_want_add(l, hex)) {
            memcpy(want + 32 * k++, digests + 32 * i, 32);
        } else {
            over++;
        }
    }
    if (over) {
        agent_log(a, "have from %.12s: %u digest(s) not asked for: %u "
                  "wants outstanding on that link already", link_peer(l),
                  over, VGA_MAX_DIGESTS);
    }
    if (k) {
        g_autoptr(GBytes) f = vga_frame_digests(VGA_FRAME_WANT, want, k);

        agent_log(a, "catching up: %u SCA(s) wanted from %.12s", k,
                  link_peer(l));
        link_send(l, f);
    }
}

void agent_flood_want(Agent *a, Link *l, const uint8_t *digests, unsigned n)
{
    for (unsigned i = 0; i < n && link_is_open(l); i++) {
        char hex[2 * 32 + 1];
        ScaEntry *e;

        digest_to_hex(digests + 32 * i, hex);
        e = g_hash_table_lookup(a->scas, hex);
        /* Each SCA once per link, however often it is asked for. */
        if (e && forwardable(a, e) && link_mark_sent(l, hex)) {
            g_autoptr(GBytes) f = vga_frame_sca(e->encoding);

            link_send(l, f);
        }
    }
}

/* An SCA from the state database: known again, verified again if undecided. */
static void load_entry(Agent *a, ScaEntry *e)
{
    g_autoptr(Sca) sca = sca_decode(g_bytes_get_data(e->encoding, NULL),
                                    g_bytes_get_size(e->encoding), NULL);
    VerifyWorker *w = sca ? worker_for(a, sca) : NULL;
    char digest[2 * 32 + 1];
    /* Refused and unverifiable ones are kept by digest alone. */
    bool digest_only = !g_bytes_get_size(e->encoding) &&
                       (e->state == SCA_STATE_REFUSED ||
                        e->state == SCA_STATE_UNVERIFIABLE);

    if (digest_only) {
        g_strlcpy(digest, e->digest, sizeof(digest));
    } else {
        agent_sca_digest(e->encoding, digest);
    }
    if ((!digest_only && (!sca || strcmp(digest, e->digest))) ||
        strlen(digest) != 64 || g_hash_table_contains(a->scas, digest)) {
        agent_log(a, "state: SCA %.12s ignored: it does not decode or its "
                  "digest is not its name", e->digest);
        entry_free(e);
        return;
    }
    g_hash_table_insert(a->scas, e->digest, e);
    g_queue_push_tail(&a->recent, g_strdup(e->digest));
    while (g_queue_get_length(&a->recent) > RECENT_MAX) {
        g_free(g_queue_pop_head(&a->recent));
    }
    if (e->state == SCA_STATE_PENDING) {
        if (w) {
            g_queue_push_tail(&w->pending, g_strdup(e->digest));
        } else {
            e->state = SCA_STATE_UNVERIFIABLE;
            agent_store_sca(a, e);
        }
    }
}

bool agent_flood_start(Agent *a, GError **errp)
{
    a->scas = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                    entry_free);
    g_queue_init(&a->recent);
    a->workers = g_ptr_array_new();
    for (guint i = 0; i < a->cfg->profiles->len; i++) {
        const char *path = g_ptr_array_index(a->cfg->profiles, i);
        VerifyWorker *w = g_new0(VerifyWorker, 1);

        w->a = a;
        w->profile = vg_profile_load(path, errp);
        if (!w->profile) {
            g_free(w);
            return false;
        }
        if (!w->profile->snapshot ||
            !g_file_test(w->profile->snapshot, G_FILE_TEST_EXISTS)) {
            g_set_error(errp, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                        "%s: no snapshot (make it with 'vigilante snapshot "
                        "%s')", path, path);
            vg_profile_free(w->profile);
            g_free(w);
            return false;
        }
        g_queue_init(&w->pending);
        w->last_served = g_hash_table_new_full(g_str_hash, g_str_equal,
                                               g_free, g_free);
        w->jobs = g_async_queue_new();
        g_ptr_array_add(a->workers, w);
        w->thread = g_thread_new("verifier", worker_main, w);
        agent_log(a, "verifier for %s (%s) starting", w->profile->name, path);
    }
    agent_store_load_scas(a, load_entry);
    if (g_hash_table_size(a->scas)) {
        guint pending = 0;

        for (guint i = 0; i < a->workers->len; i++) {
            VerifyWorker *w = g_ptr_array_index(a->workers, i);

            pending += g_queue_get_length(&w->pending);
        }
        agent_log(a, "state: %u SCA(s) remembered, %u to verify again",
                  g_hash_table_size(a->scas), pending);
    }
    return true;
}

void agent_flood_stop(Agent *a)
{
    for (guint i = 0; a->workers && i < a->workers->len; i++) {
        VerifyWorker *w = g_ptr_array_index(a->workers, i);

        g_async_queue_push_front(w->jobs, &stop_job);
        g_thread_join(w->thread);
        /* Results still on their way to the loop are dropped with it. */
        g_queue_clear_full(&w->pending, g_free);
        g_hash_table_unref(w->last_served);
        g_async_queue_unref(w->jobs);
        vg_profile_free(w->profile);
        g_free(w->error);
        g_free(w);
    }
    g_clear_pointer(&a->workers, g_ptr_array_unref);
    g_queue_clear_full(&a->recent, g_free);
    g_clear_pointer(&a->scas, g_hash_table_unref);
}

void agent_scas_json(Agent *a, JsonBuilder *b)
{
    json_builder_begin_array(b);
    for (GList *i = a->recent.head; i; i = i->next) {
        ScaEntry *e = g_hash_table_lookup(a->scas, i->data);

        if (!e) {
            continue;
        }
        json_builder_begin_object(b);
        agent_json_str(b, "digest", e->digest);
        agent_json_str(b, "program", e->program);
        agent_json_str(b, "state", sca_state_name(e->state));
        if (e->reason) {
            agent_json_str(b, "reason", e->reason);
        }
        agent_json_str(b, "source", e->source);
        agent_json_int(b, "received-us", e->received_us);
        agent_json_int(b, "decided-us", e->decided_us);
        json_builder_set_member_name(b, "verify-ms");
        json_builder_add_double_value(b, e->verify_ms);
        if (e->filter) {
            agent_json_str(b, "filter", e->filter);
        }
        agent_json_int(b, "protected-us", e->protected_us);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

void agent_workers_json(Agent *a, JsonBuilder *b)
{
    json_builder_begin_array(b);
    for (guint i = 0; i < a->workers->len; i++) {
        VerifyWorker *w = g_ptr_array_index(a->workers, i);

        json_builder_begin_object(b);
        agent_json_str(b, "program", w->profile->name);
        agent_json_str(b, "state",
                       w->ready ? "ready" : w->error ? "failed" : "starting");
        if (w->error) {
            agent_json_str(b, "error", w->error);
        }
        agent_json_int(b, "queued", g_queue_get_length(&w->pending));
        agent_json_int(b, "verified", w->verified);
        agent_json_int(b, "refused", w->refused);
        agent_json_int(b, "errors", w->errors);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}
