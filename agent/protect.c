/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Protection: a verified SCA becomes a filter (filter-gen, run by the
 * profile's worker thread after the verdict has gone out, so forwarding
 * never waits for it), and a protector thread keeps every [vm NAME] in
 * step: connect to its QMP socket, guard its netdevs, install the filters
 * of its programs (vm-protect.h, idempotent).  It runs at each new filter
 * and every rescan-seconds, so a VM started later, or restarted (a new
 * emulator has no filters), is protected within that time.  Filters are
 * kept in the state database (store.c) and reinstalled at start.
 */
#include <glib/gstdio.h>
#include <libvirt/virterror.h>
#include <string.h>

#include "agent.h"
#include "libvirt-vms.h"
#include "qmp-client.h"

#define QMP_CONNECT_MS  500

struct AgentFilter {
    VgProtectFilter *pf;
    char sca[2 * 32 + 1];       /* digest of its SCA, "" when reloaded */
    int64_t made_us;            /* generated or reloaded, wall clock */
    unsigned conditions;
    double gen_ms;
};

/* What the main loop knows of a VM. */
typedef struct {
    char *name;                 /* [vm NAME], or the libvirt domain's */
    char *where;                /* its QMP socket, or "libvirt URI" */
    char *programs;             /* ";"-separated */
    const char *state;          /* unknown, protected, unreachable, error */
    char *error;
    int64_t synced_us;
    GHashTable *installed;      /* filter id -> int64_t wall clock us */
} VmState;

/* A request to the protector thread: the filters to keep installed. */
typedef struct {
    GPtrArray *filters;         /* of VgProtectFilter, owned */
    bool stop;
} Sync;

/* One VM's result, back to the main loop. */
typedef struct {
    Agent *a;
    char *name, *where, *programs;
    bool reached, ok;
    char *error;
    char *log;
    GPtrArray *installed;       /* filter ids */
} VmResult;

struct AgentProtector {
    Agent *a;
    GThread *thread;
    GAsyncQueue *requests;      /* of Sync */
    GPtrArray *vms;             /* of VmState, main loop only */
    guint timer;
};

static VgProtectFilter *filter_dup(const VgProtectFilter *f)
{
    VgProtectFilter *d = g_new0(VgProtectFilter, 1);

    d->origin = g_strdup(f->origin);
    d->program = g_strdup(f->program);
    d->id = g_strdup(f->id);
    d->sha256 = g_strdup(f->sha256);
    d->base64 = g_strdup(f->base64);
    return d;
}

static void sync_free(Sync *s)
{
    if (s->filters) {
        g_ptr_array_unref(s->filters);
    }
    g_free(s);
}

static void result_free(VmResult *r)
{
    g_free(r->name);
    g_free(r->where);
    g_free(r->programs);
    g_free(r->error);
    g_free(r->log);
    g_ptr_array_unref(r->installed);
    g_free(r);
}

/* ---- the protector thread ---------------------------------------------- */

static JsonNode *qmp_monitor(void *opaque, const char *execute,
                             JsonNode *arguments, GError **errp)
{
    return vg_qmp_execute(opaque, execute, arguments, VG_QMP_TIMEOUT_MS,
                          errp);
}

static gboolean vm_result_done(gpointer opaque);

static VmResult *result_new(Agent *a, const char *name, const char *where,
                            char *const *programs)
{
    VmResult *r = g_new0(VmResult, 1);

    r->a = a;
    r->name = g_strdup(name);
    r->where = g_strdup(where);
    r->programs = programs ? g_strjoinv(";", (char **)programs)
                           : g_strdup("");
    r->installed = g_ptr_array_new_with_free_func(g_free);
    return r;
}

static void result_post(VmResult *r, GString *log, GError *err)
{
    r->error = err ? g_strdup(err->message) : NULL;
    r->log = g_strdup(log ? log->str : "");
    g_idle_add(vm_result_done, r);
}

static void sync_vm(Agent *a, const VgaVm *vm, GPtrArray *filters)
{
    VmResult *r = result_new(a, vm->name, vm->qmp, vm->programs);
    g_autoptr(GString) log = g_string_new(NULL);
    g_autoptr(GError) err = NULL;
    g_autoptr(VgQmp) qmp = vg_qmp_connect(vm->qmp, QMP_CONNECT_MS, &err);

    r->reached = qmp != NULL;
    if (qmp) {
        r->ok = vg_protect_vm(qmp_monitor, qmp, vm->programs, vm->netdevs,
                              (VgProtectFilter *const *)filters->pdata,
                              filters->len, log, r->installed, &err);
    }
    result_post(r, log, err);
}

/*
 * Every running domain of the libvirt host that marks its programs
 * (docs/libvirt.md); the connection is kept, and opened again when lost.
 */
static void sync_libvirt(Agent *a, virConnectPtr *conn, GPtrArray *filters)
{
    g_autofree char *where = g_strdup_printf("libvirt %s", a->cfg->libvirt);
    virDomainPtr *doms = NULL;
    int n;

    if (*conn && virConnectIsAlive(*conn) != 1) {
        virConnectClose(*conn);
        *conn = NULL;
    }
    if (!*conn) {
        *conn = virConnectOpen(a->cfg->libvirt);
    }
    n = *conn ? virConnectListAllDomains(*conn, &doms,
                                         VIR_CONNECT_LIST_DOMAINS_ACTIVE)
              : -1;
    if (n < 0) {
        VmResult *r = result_new(a, "(libvirt)", where, NULL);
        g_autoptr(GError) err = g_error_new(G_IO_ERROR, G_IO_ERROR_FAILED,
                                            "%s", virGetLastErrorMessage());

        result_post(r, NULL, err);
        return;
    }
    for (int i = 0; i < n; i++) {
        g_autoptr(GError) err = NULL;
        g_autoptr(GString) log = g_string_new(NULL);
        g_auto(GStrv) programs = vg_libvirt_domain_programs(doms[i], &err);
        VmResult *r;

        if (programs) {
            r = result_new(a, virDomainGetName(doms[i]), where, programs);
            r->reached = true;
            r->ok = vg_libvirt_protect_domain(
                doms[i], (VgProtectFilter *const *)filters->pdata,
                filters->len, log, r->installed, &err);
            result_post(r, log, err);
        } else if (err) {
            r = result_new(a, virDomainGetName(doms[i]), where, NULL);
            r->reached = true;
            result_post(r, NULL, err);
        }
        virDomainFree(doms[i]);
    }
    free(doms);
}

static gpointer protector_main(gpointer opaque)
{
    AgentProtector *p = opaque;
    Agent *a = p->a;
    g_autoptr(GPtrArray) filters = g_ptr_array_new();
    virConnectPtr conn = NULL;

    for (;;) {
        Sync *s = g_async_queue_timeout_pop(p->requests,
                                            a->cfg->rescan_s * G_USEC_PER_SEC);

        /* Requests that piled up meanwhile: the newest has it all. */
        while (s && !s->stop) {
            Sync *newer = g_async_queue_try_pop(p->requests);

            if (!newer) {
                break;
            }
            sync_free(s);
            s = newer;
        }
        if (s && s->stop) {
            sync_free(s);
            break;
        }
        if (s) {
            g_ptr_array_unref(filters);
            filters = g_steal_pointer(&s->filters);
            sync_free(s);
        }
        for (guint i = 0; i < a->cfg->vms->len; i++) {
            sync_vm(a, g_ptr_array_index(a->cfg->vms, i), filters);
        }
        if (a->cfg->libvirt) {
            sync_libvirt(a, &conn, filters);
        }
    }
    if (conn) {
        virConnectClose(conn);
    }
    return NULL;
}

/* ---- the main loop's side ---------------------------------------------- */

static AgentFilter *find_filter(Agent *a, const char *id)
{
    for (guint i = 0; i < a->filters->len; i++) {
        AgentFilter *f = g_ptr_array_index(a->filters, i);

        if (!strcmp(f->pf->id, id)) {
            return f;
        }
    }
    return NULL;
}

static VmState *vm_state(AgentProtector *p, const char *name,
                         const char *where, const char *programs)
{
    VmState *vs;

    for (guint i = 0; i < p->vms->len; i++) {
        vs = g_ptr_array_index(p->vms, i);
        if (!strcmp(vs->name, name) && !strcmp(vs->where, where)) {
            if (strcmp(vs->programs, programs)) {
                g_free(vs->programs);
                vs->programs = g_strdup(programs);
            }
            return vs;
        }
    }
    vs = g_new0(VmState, 1);
    vs->name = g_strdup(name);
    vs->where = g_strdup(where);
    vs->programs = g_strdup(programs);
    vs->state = "unknown";
    vs->installed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                          g_free);
    g_ptr_array_add(p->vms, vs);
    return vs;
}

static void vm_state_free(gpointer p)
{
    VmState *vs = p;

    g_free(vs->name);
    g_free(vs->where);
    g_free(vs->programs);
    g_free(vs->error);
    g_hash_table_unref(vs->installed);
    g_free(vs);
}

static gboolean vm_result_done(gpointer opaque)
{
    VmResult *r = opaque;
    Agent *a = r->a;
    VmState *vs;
    const char *state;
    int64_t now = g_get_real_time();

    if (a->stopping || !a->protector) {
        result_free(r);
        return G_SOURCE_REMOVE;
    }
    vs = vm_state(a->protector, r->name, r->where, r->programs);
    state = !r->reached ? "unreachable" : r->ok ? "protected" : "error";
    /* One line per change of state, not one per rescan. */
    if (strcmp(state, vs->state) || g_strcmp0(r->error, vs->error)) {
        agent_log(a, "vm %s (%s): %s%s%s", vs->name, vs->where, state,
                  r->error ? ": " : "", r->error ? r->error : "");
    }
    vs->state = state;
    g_free(vs->error);
    vs->error = g_steal_pointer(&r->error);
    vs->synced_us = now;
    if (!r->reached) {
        /* A VM that comes back is a new emulator: nothing installed. */
        g_hash_table_remove_all(vs->installed);
    }
    for (guint i = 0; i < r->installed->len; i++) {
        const char *id = g_ptr_array_index(r->installed, i);
        AgentFilter *f = find_filter(a, id);
        ScaEntry *e = f && f->sca[0] ? g_hash_table_lookup(a->scas, f->sca)
                                     : NULL;

        g_hash_table_insert(vs->installed, g_strdup(id),
                            g_memdup2(&now, sizeof(now)));
        a->n.installed++;
        agent_store_install(a, vs->name, id, now);
        if (e && !e->protected_us) {
            e->protected_us = now;
            agent_store_sca(a, e);
        }
        if (e) {
            agent_log(a, "vm %s: filter %s of SCA %.12s installed, %.0f ms "
                      "after the SCA arrived", vs->name, id, e->digest,
                      (now - e->received_us) / 1000.0);
        } else {
            agent_log(a, "vm %s: filter %s installed", vs->name, id);
        }
    }
    {
        g_auto(GStrv) lines = g_strsplit(r->log, "\n", -1);

        /* Installed filters have their line above, with the time. */
        for (char **l = lines; *l; l++) {
            if (**l && !g_str_has_prefix(*l, "filter ")) {
                agent_log(a, "vm %s: %s", vs->name, *l);
            }
        }
    }
    result_free(r);
    return G_SOURCE_REMOVE;
}

/* Hand the protector the current filters: it syncs every VM now. */
static void kick(Agent *a)
{
    Sync *s;

    if (!a->protector) {
        return;
    }
    s = g_new0(Sync, 1);
    s->filters = g_ptr_array_new_with_free_func(
        (GDestroyNotify)vg_protect_filter_free);
    for (guint i = 0; i < a->filters->len; i++) {
        AgentFilter *f = g_ptr_array_index(a->filters, i);

        g_ptr_array_add(s->filters, filter_dup(f->pf));
    }
    g_async_queue_push(a->protector->requests, s);
}

static void agent_filter_free(gpointer p)
{
    AgentFilter *f = p;

    vg_protect_filter_free(f->pf);
    g_free(f);
}

void agent_filter_made(Agent *a, const char *sca_digest, GBytes *encoding,
                       unsigned conditions, double gen_ms)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *origin = g_strdup_printf("SCA %.12s", sca_digest);
    g_autoptr(VgProtectFilter) pf = vg_protect_filter_new(encoding, origin,
                                                          &err);
    ScaEntry *e = g_hash_table_lookup(a->scas, sca_digest);
    AgentFilter *f;

    if (!pf) {
        agent_log(a, "SCA %.12s: its filter does not decode: %s", sca_digest,
                  err->message);
        return;
    }
    f = find_filter(a, pf->id);
    if (f) {
        /* Another SCA of the same attack: the same filter, kept once. */
        if (e) {
            g_free(e->filter);
            e->filter = g_strdup(f->pf->id);
            agent_store_sca(a, e);
        }
        agent_log(a, "SCA %.12s: its filter is %s, made before", sca_digest,
                  f->pf->id);
        return;
    }
    f = g_new0(AgentFilter, 1);
    f->pf = g_steal_pointer(&pf);
    g_strlcpy(f->sca, sca_digest, sizeof(f->sca));
    f->made_us = g_get_real_time();
    f->conditions = conditions;
    f->gen_ms = gen_ms;
    g_ptr_array_add(a->filters, f);
    a->n.filters++;
    agent_store_filter(a, f->pf->id, f->sca, f->pf->program, encoding,
                       f->made_us, conditions, gen_ms);
    if (e) {
        g_free(e->filter);
        e->filter = g_strdup(f->pf->id);
        agent_store_sca(a, e);
    }
    agent_log(a, "SCA %.12s: filter %s (%s, %u conditions) made in %.0f ms",
              sca_digest, f->pf->id, f->pf->program, conditions, gen_ms);
    kick(a);
}

/* A filter kept by an earlier run. */
static void reload(Agent *a, const char *sca, GBytes *encoding,
                   int64_t made_us, unsigned conditions, double gen_ms)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *origin = g_strdup_printf("SCA %.12s", sca);
    VgProtectFilter *pf = vg_protect_filter_new(encoding, origin, &err);
    AgentFilter *f;

    if (!pf) {
        agent_log(a, "state: a kept filter ignored: %s", err->message);
        return;
    }
    if (find_filter(a, pf->id)) {
        vg_protect_filter_free(pf);
        return;
    }
    f = g_new0(AgentFilter, 1);
    f->pf = pf;
    g_strlcpy(f->sca, sca, sizeof(f->sca));
    f->made_us = made_us;
    f->conditions = conditions;
    f->gen_ms = gen_ms;
    g_ptr_array_add(a->filters, f);
    agent_log(a, "filter %s (%s) reloaded", pf->id, pf->program);
}

bool agent_protect_start(Agent *a, GError **errp)
{
    AgentProtector *p;

    a->filters = g_ptr_array_new_with_free_func(agent_filter_free);
    agent_store_load_filters(a, reload);
    for (char **path = a->cfg->filters; *path; path++) {
        VgProtectFilter *pf = vg_protect_filter_load(*path, errp);
        AgentFilter *f;

        if (!pf) {
            g_prefix_error(errp, "[protect] filters: ");
            return false;
        }
        if (find_filter(a, pf->id)) {
            vg_protect_filter_free(pf);
            continue;
        }
        f = g_new0(AgentFilter, 1);
        f->pf = pf;
        f->made_us = g_get_real_time();
        g_ptr_array_add(a->filters, f);
        agent_log(a, "filter %s (%s) from %s", pf->id, pf->program, *path);
    }
    if (!a->cfg->vms->len && !a->cfg->libvirt) {
        return true;
    }
    p = g_new0(AgentProtector, 1);
    p->a = a;
    p->requests = g_async_queue_new();
    p->vms = g_ptr_array_new_with_free_func(vm_state_free);
    for (guint i = 0; i < a->cfg->vms->len; i++) {
        const VgaVm *vm = g_ptr_array_index(a->cfg->vms, i);
        g_autofree char *progs = g_strjoinv(";", vm->programs);

        vm_state(p, vm->name, vm->qmp, progs);
    }
    if (a->cfg->libvirt) {
        agent_log(a, "protecting the domains of libvirt %s that mark their "
                  "programs", a->cfg->libvirt);
    }
    a->protector = p;
    p->thread = g_thread_new("protector", protector_main, p);
    kick(a);
    return true;
}

void agent_protect_stop(Agent *a)
{
    AgentProtector *p = a->protector;

    if (p) {
        Sync *s = g_new0(Sync, 1);

        s->stop = true;
        g_async_queue_push_front(p->requests, s);
        g_thread_join(p->thread);
        while ((s = g_async_queue_try_pop(p->requests))) {
            sync_free(s);
        }
        g_async_queue_unref(p->requests);
        g_ptr_array_unref(p->vms);
        g_free(p);
        a->protector = NULL;
    }
    g_clear_pointer(&a->filters, g_ptr_array_unref);
}

void agent_vms_json(Agent *a, JsonBuilder *b)
{
    json_builder_begin_array(b);
    for (guint i = 0; a->protector && i < a->protector->vms->len; i++) {
        VmState *vs = g_ptr_array_index(a->protector->vms, i);
        GHashTableIter it;
        gpointer id, when;

        json_builder_begin_object(b);
        agent_json_str(b, "name", vs->name);
        agent_json_str(b, "where", vs->where);
        agent_json_str(b, "programs", vs->programs);
        agent_json_str(b, "state", vs->state);
        if (vs->error) {
            agent_json_str(b, "error", vs->error);
        }
        agent_json_int(b, "synced-us", vs->synced_us);
        json_builder_set_member_name(b, "filters");
        json_builder_begin_array(b);
        g_hash_table_iter_init(&it, vs->installed);
        while (g_hash_table_iter_next(&it, &id, &when)) {
            AgentFilter *f = find_filter(a, id);

            json_builder_begin_object(b);
            agent_json_str(b, "id", id);
            agent_json_str(b, "sca", f ? f->sca : "");
            agent_json_int(b, "installed-us", *(int64_t *)when);
            json_builder_end_object(b);
        }
        json_builder_end_array(b);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}
