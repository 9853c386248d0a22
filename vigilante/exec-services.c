/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Services that run commands by design (see exec-services.h).
 */
#include "qemu/osdep.h"
#include "vigilante/event-log.h"
#include "vigilante/exec-services.h"
#include "vigilante/vigilante-object.h"
#include "hw-taint/input.h"

bool vigilante_exec_services_parse(const char *text, VigilanteService **out,
                                   size_t *n, Error **errp)
{
    g_auto(GStrv) items = g_strsplit_set(text, "; \t", -1);
    g_autofree VigilanteService *svc = NULL;
    size_t count = 0;

    svc = g_new0(VigilanteService, VIGILANTE_EXEC_SERVICES_MAX);
    for (char **it = items; *it; it++) {
        const char *port_text;
        uint64_t port;
        uint8_t transport;

        if (!**it) {
            continue;
        }
        if (g_str_has_prefix(*it, "tcp:")) {
            transport = 6;
        } else if (g_str_has_prefix(*it, "udp:")) {
            transport = 17;
        } else {
            error_setg(errp, "exec-services: '%s' is not tcp:PORT or "
                       "udp:PORT", *it);
            return false;
        }
        port_text = *it + 4;
        if (!g_ascii_string_to_unsigned(port_text, 10, 1, 65535, &port,
                                        NULL)) {
            error_setg(errp, "exec-services: bad port in '%s' (1-65535)",
                       *it);
            return false;
        }
        if (count == VIGILANTE_EXEC_SERVICES_MAX) {
            error_setg(errp, "exec-services: more than %d services",
                       VIGILANTE_EXEC_SERVICES_MAX);
            return false;
        }
        svc[count].transport = transport;
        svc[count].port = port;
        count++;
    }
    *out = count ? g_steal_pointer(&svc) : NULL;
    *n = count;
    return true;
}

/* Label runs of the last frames to exec services (a ring). */
static struct {
    TaintLabel first;
    uint32_t len;
    uint64_t wraps;             /* hw_taint_label_wraps() when seen */
} exec_runs[VIGILANTE_EXEC_FRAMES_KEPT];
static uint64_t nexec_runs;

static bool is_service(const VigilanteService *svc, size_t n,
                       uint8_t transport, uint16_t port)
{
    for (size_t i = 0; i < n; i++) {
        if (svc[i].transport == transport && svc[i].port == port) {
            return true;
        }
    }
    return false;
}

void vigilante_exec_services_note(uint64_t event,
                                  const VigilanteFrameDest *d)
{
    Vigilante *v = vigilante_get();
    TaintLabel first;
    uint32_t len;

    if (!v || !v->n_exec_services ||
        !is_service(v->exec_services, v->n_exec_services, d->transport,
                    d->port) ||
        !hw_taint_event_labels(event, &first, &len)) {
        return;
    }
    exec_runs[nexec_runs % VIGILANTE_EXEC_FRAMES_KEPT].first = first;
    exec_runs[nexec_runs % VIGILANTE_EXEC_FRAMES_KEPT].len = len;
    exec_runs[nexec_runs % VIGILANTE_EXEC_FRAMES_KEPT].wraps =
        hw_taint_label_wraps();
    nexec_runs++;
}

/* Is the label in one of the frames to exec services kept above? */
static bool in_exec_frames(TaintLabel l)
{
    uint64_t held = MIN(nexec_runs, (uint64_t)VIGILANTE_EXEC_FRAMES_KEPT);

    l = taint_label_input(l);
    for (uint64_t i = 0; i < held; i++) {
        /* Runs from before the labels last wrapped name other bytes. */
        if (exec_runs[i].wraps == hw_taint_label_wraps() &&
            l >= exec_runs[i].first && l - exec_runs[i].first <
            exec_runs[i].len) {
            return true;
        }
    }
    return false;
}

/* Was input event `event` a frame to one of the services? */
static bool to_service(const VigilanteService *svc, size_t n,
                       uint64_t event, VigilanteFrameDest *d)
{
    if (!vigilante_event_dest(event, d) || !d->transport) {
        return false;
    }
    return is_service(svc, n, d->transport, d->port);
}

bool vigilante_exec_services_cover(const VigilanteService *svc, size_t n,
                                   const TaintLabel *labels,
                                   const uint64_t *events,
                                   const uint32_t *offsets, size_t nbytes)
{
    VigilanteFrameDest d;
    bool ok = false;

    if (!n || !nbytes) {
        return false;
    }
    for (size_t i = 0; i < nbytes; i++) {
        if (!events[i]) {
            /* Gone from the input record: from a service's frame? */
            if (!in_exec_frames(labels[i])) {
                return false;
            }
            continue;
        }
        /* A path's bytes mostly share a frame: look each frame up once. */
        if (i == 0 || events[i] != events[i - 1]) {
            ok = to_service(svc, n, events[i], &d);
        }
        /*
         * The frame went to the service: that is what counts.  The
         * offset is not checked against the payload: a byte computed
         * from several input bytes carries the label of the first one
         * plus its position, which can name a byte past the payload's
         * end or in the headers of that same frame (docs/taint-engine.md),
         * and that still makes it data from the service's peer.  (The
         * soak saw a false AFA this way: 7 bytes at 1444-1450.)
         */
        if (!ok) {
            return false;
        }
    }
    return true;
}
