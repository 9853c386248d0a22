/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SCA verification (sca-verify.h): the flow.  A VM restores the ready
 * snapshot (snapshot.c) with taint tracking off and its user-mode NIC
 * restricted (restrict=on: the guest can reach nothing; only our host
 * forwards reach it); the nonce is planted in the hinted bytes and the
 * verifier's trap armed as the SCA's type says (verify-types.c); the
 * messages are replayed (replay.c) until the trap fires or time runs
 * out.
 */
#include "sca-verify.h"

#include <math.h>

#include <string.h>

#include "json-views.h"
#include "profile-vm.h"
#include "replay.h"
#include "verify-types.h"

char *vg_find_qemu(const char *given)
{
    g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
    g_autofree char *dir = self ? g_path_get_dirname(self) : NULL;
    const char *env = g_getenv("VIGILANTE_QEMU");

    if (given) {
        return g_strdup(given);
    }
    if (env && env[0]) {
        return g_strdup(env);
    }
    /*
     * The build tree's emulator, from a tool built in it:
     * build/host/contrib/vigilante/vigilante or build/host/agent/
     * vigilante-agent -> build/qemu-system-x86_64.
     */
    for (int up = 3; dir && up >= 2; up--) {
        char *p = g_build_filename(dir, up == 3 ? "../../.." : "../..",
                                   "qemu-system-x86_64", NULL);

        if (g_file_test(p, G_FILE_TEST_IS_EXECUTABLE)) {
            return p;
        }
        g_free(p);
    }
    return g_strdup("/opt/vigilante-qemu/bin/qemu-system-x86_64");
}

void vg_verdict_clear(VgVerdict *v)
{
    g_clear_pointer(&v->reason, g_free);
    g_clear_pointer(&v->nonce_path, g_free);
}

static VgVerdict verdict(VgVerdictKind kind, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);

static VgVerdict verdict(VgVerdictKind kind, const char *fmt, ...)
{
    VgVerdict v = { .kind = kind };
    va_list ap;

    if (fmt) {
        va_start(ap, fmt);
        v.reason = g_strdup_vprintf(fmt, ap);
        va_end(ap);
    }
    return v;
}

struct VgVerifier {
    const VgProfile *profile;
    char *qemu;
    GMutex lock;                /* spares and in_use, for batches */
    GQueue spares;              /* VgProfileVm restoring or restored */
    bool rewind;                /* VMs rewound after replays, kept */
    unsigned in_use;            /* VMs lent to verifications */
    unsigned want_spares;       /* kept restoring (default 1) */
    VgReplayJudge judge;        /* 0s: each replay waits out its timeout */
};

/* Can this verifier check @sca against @p?  If not, why, in *out. */
static bool precheck(const VgProfile *p, const Sca *sca,
                     const VgVerifyType *t, unsigned *hport, VgVerdict *out)
{
    static const uint8_t zero[SCA_DIGEST_SIZE];
    g_autoptr(GError) err = NULL;
    g_autofree char *why = NULL;
    bool error = false;
    guint bad;

    if (strcmp(sca->name, p->name) ||
        (memcmp(sca->digest, zero, sizeof(zero)) &&
         memcmp(sca->digest, p->digest, sizeof(zero)))) {
        *out = verdict(VG_VERDICT_NOT_VERIFIED, "the SCA is for program %s, "
                       "not %s (or another image of it)", sca->name, p->name);
        return false;
    }
    if (!t) {
        *out = verdict(VG_VERDICT_NOT_VERIFIED, "no verifier knows SCAs of "
                       "type %u", sca->type);
        return false;
    }
    why = t->check(sca, &error);
    if (why) {
        *out = verdict(error ? VG_VERDICT_ERROR : VG_VERDICT_NOT_VERIFIED,
                       "%s", why);
        return false;
    }
    if (!vg_replay_ports(p, sca, hport, &bad)) {
        const ScaMessage *m = sca_message(sca, bad);

        *out = verdict(VG_VERDICT_NOT_VERIFIED, "message %u goes to %s port "
                       "%u, which %s does not serve", bad,
                       sca_transport_name(m->transport), m->port, p->name);
        return false;
    }
    if (!vg_snapshot_check(p, &err)) {
        *out = verdict(VG_VERDICT_ERROR, "%s", err->message);
        return false;
    }
    return true;
}

/*
 * Start restoring spares until the verifier has as many as it wants
 * (rewinding, those in use count: they come back).  With the lock held.
 */
static void top_up(VgVerifier *pool)
{
    while (g_queue_get_length(&pool->spares) +
           (pool->rewind ? pool->in_use : 0) < pool->want_spares) {
        VgProfileVm *vm = vg_snapshot_vm_spawn(pool->profile, pool->qemu,
                                               NULL);

        if (!vm) {
            break;
        }
        g_queue_push_tail(&pool->spares, vm);
    }
}

/* Count @vm as in use (once), with the lock held. */
static void lend_locked(VgVerifier *pool, VgProfileVm *vm)
{
    if (vm && !vm->lent) {
        vm->lent = true;
        pool->in_use++;
    }
}

static void lend(VgVerifier *pool, VgProfileVm *vm)
{
    g_mutex_lock(&pool->lock);
    lend_locked(pool, vm);
    g_mutex_unlock(&pool->lock);
}

/*
 * The verifier's oldest spare (more start restoring), or NULL.  On the
 * main thread only: spares are spawned there, since a VM dies with the
 * thread that spawned it (PR_SET_PDEATHSIG follows the thread).
 */
static VgProfileVm *take_spare(VgVerifier *pool)
{
    VgProfileVm *vm;

    g_mutex_lock(&pool->lock);
    vm = g_queue_pop_head(&pool->spares);
    lend_locked(pool, vm);
    /* The next verifications' VMs restore while this one runs. */
    top_up(pool);
    g_mutex_unlock(&pool->lock);
    return vm;
}

/* A VM lent for a verification, at its end: freed unless given back. */
typedef struct {
    VgVerifier *pool;
    VgProfileVm *vm;
} Lease;

static void lease_end(Lease *l)
{
    if (!l->vm) {
        return;
    }
    if (l->pool && l->vm->lent) {
        g_mutex_lock(&l->pool->lock);
        l->pool->in_use--;
        g_mutex_unlock(&l->pool->lock);
    }
    g_clear_pointer(&l->vm, vg_profile_vm_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Lease, lease_end)

/*
 * A rewinding verifier's VM after its replay: stopped, rewound to its
 * checkpoint (events of the replay dropped: a trap that fired late must
 * not count for the next) and put first in line.  Else lease_end()
 * frees it.
 */
static void give_back(Lease *l)
{
    VgProfileVm *vm = l->vm;

    if (!l->pool || !l->pool->rewind || !vm || !vm->checkpointed ||
        !vg_vm_running(vm->emu) ||
        !vg_profile_vm_run(vm, "stop", NULL, NULL) ||
        !vg_profile_vm_run(vm, "vigilante-rewind", NULL, NULL)) {
        return;
    }
    vg_qmp_drop_events(vm->qmp);
    g_mutex_lock(&l->pool->lock);
    if (vm->lent) {
        l->pool->in_use--;
        vm->lent = false;
    }
    g_queue_push_head(&l->pool->spares, vm);
    g_mutex_unlock(&l->pool->lock);
    l->vm = NULL;
}

/*
 * A restored VM: *given (a batch's thread: the spare taken for it on the
 * main thread, or none), else the verifier's oldest spare, or a new one.
 * A rewinding verifier checkpoints it before its first replay.
 */
static VgProfileVm *restored_vm(VgVerifier *pool, const VgProfile *p,
                                const char *qemu, VgProfileVm **given,
                                GError **errp)
{
    g_auto(Lease) l = { pool, NULL };
    bool spawned_here = false;

    if (given) {
        l.vm = g_steal_pointer(given);
    } else if (pool) {
        l.vm = take_spare(pool);
    }
    if (l.vm && (!vg_snapshot_vm_restored(l.vm, p, NULL) ||
                 !vg_vm_running(l.vm->emu))) {
        /* The spare died (e.g. lost a port race): start afresh. */
        lease_end(&l);
    }
    if (!l.vm) {
        l.vm = vg_snapshot_vm_spawn(p, qemu, errp);
        spawned_here = true;
    }
    if (!l.vm || !vg_snapshot_vm_restored(l.vm, p, errp)) {
        return NULL;
    }
    if (pool) {
        lend(pool, l.vm);
        /*
         * Not one a batch's thread spawned: it dies with the thread, so
         * it is used once and never given back.
         */
        if (pool->rewind && !l.vm->checkpointed &&
            !(given && spawned_here)) {
            l.vm->checkpointed = vg_profile_vm_run(
                l.vm, "vigilante-checkpoint", NULL, NULL);
        }
    }
    return g_steal_pointer(&l.vm);
}

/* How a replay that did not verify ended, for its verdict's reason. */
static char *end_text(const VgReplayOutcome *out)
{
    switch (out->end) {
    case VG_REPLAY_ANSWERED:
        return g_strdup("it answered the messages");
    case VG_REPLAY_ASLEEP:
        return g_strdup("it slept after the messages");
    case VG_REPLAY_CPU:
        return g_strdup_printf("it ran %.0f ms of CPU after the messages",
                               out->cpu_ms);
    default:
        return g_strdup("it went quiet after the messages");
    }
}

/*
 * Verify on the verifier's spare VM (then start the next), or on a VM of
 * its own when there is no verifier: plant, arm, replay, judge.
 */
static VgVerdict verify_once(VgVerifier *pool, const VgProfile *p,
                             const char *qemu, const Sca *sca,
                             unsigned timeout_ms, VgProfileVm **given)
{
    gint64 start = g_get_monotonic_time();
    const VgVerifyType *t = vg_verify_type(sca->type);
    g_autoptr(GError) err = NULL;
    g_auto(Lease) lease = { pool, NULL };
    VgProfileVm *vm;
    g_autoptr(JsonNode) ev = NULL;
    g_autoptr(GPtrArray) msgs = g_ptr_array_new_with_free_func(
        (GDestroyNotify)g_bytes_unref);
    unsigned hport[SCA_MAX_MESSAGES];
    VgPlanted planted = { 0 };
    VgReplayOutcome out;
    VgVerdict v;

    if (!precheck(p, sca, t, hport, &v)) {
        return v;
    }

    /* The messages, with the nonce planted in the hinted bytes. */
    if (!t->plant(sca, (const uint8_t *)g_bytes_get_data(
                      sca_message(sca, sca->hint_message)->payload, NULL) +
                  sca->hint_offset, &planted)) {
        return verdict(VG_VERDICT_ERROR, "RAND_bytes failed");
    }
    for (guint i = 0; i < sca->messages->len; i++) {
        size_t len;
        const uint8_t *data = g_bytes_get_data(sca_message(sca, i)->payload,
                                               &len);
        uint8_t *copy = g_memdup2(data, len);

        if (i == sca->hint_message) {
            memcpy(copy + sca->hint_offset, planted.bytes->data,
                   MIN(planted.bytes->len, len - sca->hint_offset));
        }
        g_ptr_array_add(msgs, g_bytes_new_take(copy, len));
    }

    vm = lease.vm = restored_vm(pool, p, qemu, given, &err);
    if (!vm) {
        vg_planted_clear(&planted);
        return verdict(VG_VERDICT_ERROR, "starting the verifier VM: %s",
                       err->message);
    }
    v = verdict(VG_VERDICT_NOT_VERIFIED, NULL);
    v.nonce = planted.nonce;
    v.nonce_path = g_steal_pointer(&planted.nonce_path);
    if (!vg_profile_vm_run(vm, planted.arm,
                           g_steal_pointer(&planted.arm_args), &err) ||
        !vg_profile_vm_run(vm, "cont", NULL, &err)) {
        vg_planted_clear(&planted);
        vg_verdict_clear(&v);
        return verdict(VG_VERDICT_ERROR, "arming the verifier's trap "
                       "failed: %s", err->message);
    }
    vg_planted_clear(&planted);
    v.restore_ms = (g_get_monotonic_time() - start) / 1e3;

    ev = vg_replay(vm, sca, hport, msgs, "VIGILANTE_VERIFIED",
                   g_get_monotonic_time() + timeout_ms * 1000LL,
                   pool ? &pool->judge : NULL, &out);
    v.total_ms = (g_get_monotonic_time() - start) / 1e3;
    v.cpu_ms = out.cpu_ms;
    if (ev) {
        v.kind = VG_VERDICT_VERIFIED;
    } else {
        g_autofree char *exit_text = vg_vm_exit_text(vm->emu);

        if (exit_text) {
            /* An emulator fault is no verdict on the SCA. */
            g_autofree char *said = vg_vm_stderr(vm->emu);

            vg_verdict_clear(&v);
            return verdict(VG_VERDICT_ERROR, "the verifier VM stopped during "
                           "the replay: %s%s%s", exit_text,
                           said && *said ? "; it said: " : "",
                           said ? said : "");
        }
        v.reason = t->missed(sca, out.end == VG_REPLAY_TIMEOUT ? timeout_ms
                             : (unsigned)(v.total_ms - v.restore_ms));
        if (out.end != VG_REPLAY_TIMEOUT) {
            g_autofree char *r = v.reason;
            g_autofree char *how = end_text(&out);

            v.reason = g_strdup_printf("%s (%s)", r, how);
        }
    }
    give_back(&lease);
    return v;
}

/* As many replays as the type asks for, each with a fresh nonce. */
static VgVerdict verify_on(VgVerifier *pool, const VgProfile *p,
                           const char *qemu, const Sca *sca,
                           unsigned timeout_ms, VgProfileVm **given)
{
    const VgVerifyType *t = vg_verify_type(sca->type);
    unsigned n = t && t->attempts ? t->attempts(sca) : 1;
    VgVerdict v = verify_once(pool, p, qemu, sca, timeout_ms, given);

    for (unsigned i = 1; i < n && v.kind == VG_VERDICT_NOT_VERIFIED; i++) {
        vg_verdict_clear(&v);
        v = verify_once(pool, p, qemu, sca, timeout_ms, given);
    }
    if (n > 1 && v.kind == VG_VERDICT_NOT_VERIFIED && v.reason) {
        g_autofree char *r = v.reason;

        v.reason = g_strdup_printf("%s (%u nonces)", r, n);
    }
    return v;
}

VgVerdict vg_verify(const VgProfile *p, const char *qemu, const Sca *sca,
                    unsigned timeout_ms)
{
    return verify_on(NULL, p, qemu, sca, timeout_ms, NULL);
}

VgVerifier *vg_verifier_new(const VgProfile *p, const char *qemu)
{
    VgVerifier *v = g_new0(VgVerifier, 1);

    v->profile = p;
    v->qemu = g_strdup(qemu);
    v->want_spares = 1;
    g_mutex_init(&v->lock);
    g_queue_init(&v->spares);
    if (vg_snapshot_check(p, NULL)) {
        top_up(v);
    }
    return v;
}

void vg_verifier_set_settle(VgVerifier *v, unsigned settle_ms)
{
    v->judge.settle_ms = settle_ms;
}

void vg_verifier_set_cpu_limit(VgVerifier *v, unsigned cpu_ms)
{
    v->judge.cpu_ms = cpu_ms;
}

void vg_verifier_set_spares(VgVerifier *v, unsigned n)
{
    g_mutex_lock(&v->lock);
    v->want_spares = MAX(n, 1);
    top_up(v);
    g_mutex_unlock(&v->lock);
}

void vg_verifier_set_rewind(VgVerifier *v, bool rewind)
{
    v->rewind = rewind;
}

bool vg_verifier_wait_ready(VgVerifier *v, GError **errp)
{
    VgProfileVm *vm;

    if (!vg_snapshot_check(v->profile, errp)) {
        return false;
    }
    if (g_queue_is_empty(&v->spares)) {
        vm = vg_snapshot_vm_spawn(v->profile, v->qemu, errp);
        if (!vm) {
            return false;
        }
        g_queue_push_tail(&v->spares, vm);
    }
    vm = g_queue_peek_head(&v->spares);
    if (!vg_snapshot_vm_restored(vm, v->profile, errp)) {
        vg_profile_vm_free(g_queue_pop_head(&v->spares));
        return false;
    }
    return true;
}

VgVerdict vg_verifier_verify(VgVerifier *v, const Sca *sca,
                             unsigned timeout_ms)
{
    return verify_on(v, v->profile, v->qemu, sca, timeout_ms, NULL);
}

typedef struct {
    VgVerifier *v;
    const Sca *sca;
    unsigned timeout_ms;
    VgProfileVm *vm;            /* the spare taken for it */
    VgVerdict *out;
} BatchJob;

static gpointer batch_job(gpointer opaque)
{
    BatchJob *j = opaque;

    g_auto(Lease) left = { j->v, NULL };

    *j->out = verify_on(j->v, j->v->profile, j->v->qemu, j->sca,
                        j->timeout_ms, &j->vm);
    left.vm = j->vm;            /* not taken (the SCA was not replayed) */
    return NULL;
}

void vg_verifier_verify_batch(VgVerifier *v, Sca *const *scas, guint n,
                              unsigned timeout_ms, VgVerdict *out)
{
    g_autofree BatchJob *jobs = g_new(BatchJob, n);
    g_autofree GThread **threads = g_new0(GThread *, n);

    if (n == 1) {
        out[0] = vg_verifier_verify(v, scas[0], timeout_ms);
        return;
    }
    for (guint i = 0; i < n; i++) {
        jobs[i] = (BatchJob) { v, scas[i], timeout_ms, take_spare(v),
                               &out[i] };
    }
    for (guint i = 0; i < n; i++) {
        threads[i] = g_thread_new("vg-verify", batch_job, &jobs[i]);
    }
    for (guint i = 0; i < n; i++) {
        g_thread_join(threads[i]);
    }
}

void vg_verifier_free(VgVerifier *v)
{
    if (v) {
        g_queue_clear_full(&v->spares, (GDestroyNotify)vg_profile_vm_free);
        g_mutex_clear(&v->lock);
        g_free(v->qemu);
        g_free(v);
    }
}

JsonNode *vg_verdict_to_json(const VgVerdict *v, const Sca *sca)
{
    static const char *const kinds[] = {
        [VG_VERDICT_VERIFIED] = "verified",
        [VG_VERDICT_NOT_VERIFIED] = "not-verified",
        [VG_VERDICT_ERROR] = "error",
    };
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "verdict");
    json_builder_add_string_value(b, kinds[v->kind]);
    if (sca) {
        json_builder_set_member_name(b, "type");
        json_builder_add_string_value(b, sca_type_name(sca->type));
        json_builder_set_member_name(b, "program");
        json_builder_add_string_value(b, sca->name);
    }
    if (v->kind == VG_VERDICT_VERIFIED && v->nonce_path) {
        json_builder_set_member_name(b, "nonce-path");
        json_builder_add_string_value(b, v->nonce_path);
    } else if (v->kind == VG_VERDICT_VERIFIED) {
        g_autofree char *hex = g_strdup_printf("0x%" G_GINT64_MODIFIER "x",
                                               v->nonce);

        json_builder_set_member_name(b, "nonce");
        json_builder_add_string_value(b, hex);
    }
    if (v->reason) {
        json_builder_set_member_name(b, "reason");
        json_builder_add_string_value(b, v->reason);
    }
    if (v->total_ms > 0) {
        /* whole milliseconds (json-glib prints doubles to 17 digits) */
        json_builder_set_member_name(b, "restore-ms");
        json_builder_add_int_value(b, llround(v->restore_ms));
        json_builder_set_member_name(b, "total-ms");
        json_builder_add_int_value(b, llround(v->total_ms));
    }
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

char *vg_verdict_json(const VgVerdict *v, const Sca *sca)
{
    return vg_json_line(vg_verdict_to_json(v, sca));
}
