/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigilante libvirt list|protect: the VMs of a libvirt host that mark
 * their programs in <metadata>, and filters installed on them (see
 * lib/libvirt-vms.h, docs/libvirt.md).
 */
#include <glib.h>
#include <glib-unix.h>
#include <libvirt/virterror.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "libvirt-vms.h"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: vigilante libvirt list [--connect URI]\n"
            "       vigilante libvirt protect [--connect URI] [--watch] "
            "FILTER...\n"
            "\n"
            "list: each domain, its state and the programs its <metadata>\n"
            "marks (namespace " VG_LIBVIRT_NS_URI ").\n"
            "\n"
            "protect: on every running domain that marks a filter's program,\n"
            "add a filter-vigilante to each interface and install the\n"
            "filter (what is there already stays).  --watch then keeps\n"
            "doing so for domains that start, are restored or migrate in,\n"
            "until SIGINT or SIGTERM.  One line per action.\n"
            "\n"
            "--connect URI   the libvirt connection (default: libvirt's "
            "default)\n"
            "Exit status: 0 done, 1 a domain could not be protected,\n"
            "2 bad usage, 3 a filter or the connection could not be used.\n");
}

/* libvirt prints every error on stderr by default; we report our own. */
static void quiet_errors(void *opaque, virErrorPtr err)
{
}

static const char *state_name(int state)
{
    switch (state) {
    case VIR_DOMAIN_RUNNING:
        return "running";
    case VIR_DOMAIN_PAUSED:
        return "paused";
    case VIR_DOMAIN_SHUTDOWN:
        return "shutting-down";
    case VIR_DOMAIN_SHUTOFF:
        return "shut-off";
    case VIR_DOMAIN_CRASHED:
        return "crashed";
    case VIR_DOMAIN_PMSUSPENDED:
        return "suspended";
    default:
        return "unknown";
    }
}

static int cmd_list(virConnectPtr conn)
{
    virDomainPtr *doms = NULL;
    int n = virConnectListAllDomains(conn, &doms, 0);

    if (n < 0) {
        fprintf(stderr, "vigilante libvirt: %s\n", virGetLastErrorMessage());
        return VIGILANTE_EXIT_ERROR;
    }
    for (int i = 0; i < n; i++) {
        g_autoptr(GError) err = NULL;
        g_auto(GStrv) programs = vg_libvirt_domain_programs(doms[i], &err);
        g_autofree char *progs = programs ? g_strjoinv(";", programs) : NULL;
        int state = 0;

        virDomainGetState(doms[i], &state, NULL, 0);
        printf("%s %s %s\n", virDomainGetName(doms[i]), state_name(state),
               progs ? progs : err ? err->message : "-");
        virDomainFree(doms[i]);
    }
    free(doms);
    return VIGILANTE_EXIT_OK;
}

typedef struct Protector {
    virConnectPtr conn;
    GPtrArray *filters;         /* VgProtectFilter */
    GQueue pending;             /* domain UUID strings to protect */
    gboolean stop;
    int status;
} Protector;

/* Protect one domain, printing its lines; FALSE when it failed. */
static gboolean protect(Protector *p, virDomainPtr dom)
{
    g_autoptr(GString) log = g_string_new(NULL);
    g_autoptr(GError) err = NULL;
    g_auto(GStrv) lines = NULL;
    const char *name = virDomainGetName(dom);
    gboolean ok = vg_libvirt_protect_domain(
        dom, (VgProtectFilter *const *)p->filters->pdata, p->filters->len,
        log, NULL, &err);

    lines = g_strsplit(log->str, "\n", -1);
    for (char **l = lines; *l; l++) {
        if (**l) {
            printf("%s: %s\n", name, *l);
        }
    }
    if (!ok) {
        printf("%s: not protected: %s\n", name, err->message);
    } else if (!log->len) {
        printf("%s: already protected\n", name);
    }
    fflush(stdout);
    return ok;
}

static void protect_running(Protector *p)
{
    virDomainPtr *doms = NULL;
    int n = virConnectListAllDomains(p->conn, &doms,
                                     VIR_CONNECT_LIST_DOMAINS_ACTIVE);

    if (n < 0) {
        fprintf(stderr, "vigilante libvirt: %s\n", virGetLastErrorMessage());
        p->status = VIGILANTE_EXIT_ERROR;
        return;
    }
    for (int i = 0; i < n; i++) {
        if (!protect(p, doms[i])) {
            p->status = VIGILANTE_EXIT_FAILED;
        }
        virDomainFree(doms[i]);
    }
    free(doms);
}

/*
 * A new QEMU process has none of our state: a domain that starts (boot,
 * restore, snapshot revert, incoming migration) or resumes after an
 * incoming migration is protected again.  The work is queued: the
 * callback runs inside libvirt's event dispatch.
 */
static int lifecycle(virConnectPtr conn, virDomainPtr dom, int event,
                     int detail, void *opaque)
{
    Protector *p = opaque;
    char uuid[VIR_UUID_STRING_BUFLEN];

    if (event == VIR_DOMAIN_EVENT_STARTED ||
        (event == VIR_DOMAIN_EVENT_RESUMED &&
         (detail == VIR_DOMAIN_EVENT_RESUMED_MIGRATED ||
          detail == VIR_DOMAIN_EVENT_RESUMED_POSTCOPY))) {
        if (virDomainGetUUIDString(dom, uuid) == 0) {
            g_queue_push_tail(&p->pending, g_strdup(uuid));
        }
    }
    return 0;
}

static void wake(int timer, void *opaque)
{
}

static gboolean on_signal(gpointer opaque)
{
    ((Protector *)opaque)->stop = TRUE;
    return G_SOURCE_CONTINUE;
}

static void closed(virConnectPtr conn, int reason, void *opaque)
{
    Protector *p = opaque;

    fprintf(stderr, "vigilante libvirt: the connection to libvirt closed "
            "(reason %d)\n", reason);
    p->stop = TRUE;
    p->status = VIGILANTE_EXIT_ERROR;
}

static void watch(Protector *p)
{
    int cb = virConnectDomainEventRegisterAny(
        p->conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
        VIR_DOMAIN_EVENT_CALLBACK(lifecycle), p, NULL);
    int timer = virEventAddTimeout(500, wake, NULL, NULL);
    guint sigint = g_unix_signal_add(SIGINT, on_signal, p);
    guint sigterm = g_unix_signal_add(SIGTERM, on_signal, p);

    if (cb < 0 || timer < 0) {
        fprintf(stderr, "vigilante libvirt: cannot watch domain events: "
                "%s\n", virGetLastErrorMessage());
        p->status = VIGILANTE_EXIT_ERROR;
        return;
    }
    virConnectRegisterCloseCallback(p->conn, closed, p, NULL);
    printf("watching for domains that start\n");
    fflush(stdout);
    while (!p->stop) {
        char *uuid;

        if (virEventRunDefaultImpl() < 0) {
            break;
        }
        /* Our signal sources live in GLib's default context. */
        while (g_main_context_pending(NULL)) {
            g_main_context_iteration(NULL, FALSE);
        }
        while ((uuid = g_queue_pop_head(&p->pending))) {
            virDomainPtr dom = virDomainLookupByUUIDString(p->conn, uuid);

            if (dom) {
                protect(p, dom);
                virDomainFree(dom);
            }
            g_free(uuid);
        }
    }
    virConnectUnregisterCloseCallback(p->conn, closed);
    virConnectDomainEventDeregisterAny(p->conn, cb);
    virEventRemoveTimeout(timer);
    g_source_remove(sigint);
    g_source_remove(sigterm);
    printf("stopped\n");
}

int vigilante_cmd_libvirt(int argc, char **argv)
{
    g_autofree char *uri = NULL;
    gboolean watching = FALSE;
    g_autoptr(GError) err = NULL;
    GOptionEntry entries[] = {
        { "connect", 'c', 0, G_OPTION_ARG_STRING, &uri, NULL, NULL },
        { "watch", 0, 0, G_OPTION_ARG_NONE, &watching, NULL, NULL },
        { NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new(NULL);
    Protector p = { .status = VIGILANTE_EXIT_OK };
    const char *verb;

    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        usage(stdout);
        return VIGILANTE_EXIT_OK;
    }
    g_option_context_set_help_enabled(ctx, FALSE);
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        fprintf(stderr, "vigilante libvirt: %s\n", err->message);
        return VIGILANTE_EXIT_USAGE;
    }
    if (argc < 2) {
        usage(stderr);
        return VIGILANTE_EXIT_USAGE;
    }
    verb = argv[1];
    if (!strcmp(verb, "list") ? argc != 2 || watching
        : !strcmp(verb, "protect") ? argc < 3 : TRUE) {
        usage(stderr);
        return VIGILANTE_EXIT_USAGE;
    }
    p.filters = g_ptr_array_new_with_free_func(
        (GDestroyNotify)vg_protect_filter_free);
    for (int i = 2; i < argc; i++) {
        VgProtectFilter *f = vg_protect_filter_load(argv[i], &err);

        if (!f) {
            fprintf(stderr, "vigilante libvirt: %s\n", err->message);
            g_ptr_array_free(p.filters, TRUE);
            return VIGILANTE_EXIT_ERROR;
        }
        g_ptr_array_add(p.filters, f);
    }
    virSetErrorFunc(NULL, quiet_errors);
    if (watching && virEventRegisterDefaultImpl() < 0) {
        fprintf(stderr, "vigilante libvirt: %s\n", virGetLastErrorMessage());
        g_ptr_array_free(p.filters, TRUE);
        return VIGILANTE_EXIT_ERROR;
    }
    p.conn = virConnectOpen(uri);
    if (!p.conn) {
        fprintf(stderr, "vigilante libvirt: cannot connect to %s: %s\n",
                uri ? uri : "libvirt's default URI",
                virGetLastErrorMessage());
        g_ptr_array_free(p.filters, TRUE);
        return VIGILANTE_EXIT_ERROR;
    }
    g_queue_init(&p.pending);
    if (!strcmp(verb, "list")) {
        p.status = cmd_list(p.conn);
    } else {
        protect_running(&p);
        if (watching && p.status != VIGILANTE_EXIT_ERROR) {
            watch(&p);
        }
    }
    g_queue_clear_full(&p.pending, g_free);
    virConnectClose(p.conn);
    g_ptr_array_free(p.filters, TRUE);
    return p.status;
}
