/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Services whose purpose is to run commands from the network (sshd
 * running an authenticated session's command): an execve whose dirty
 * path bytes all came from messages to such a service is what the
 * service is for, not an AFA attack.
 */
#ifndef VIGILANTE_EXEC_SERVICES_H
#define VIGILANTE_EXEC_SERVICES_H

#include "qapi/error.h"
#include "hw-taint/shadow-mem.h"
#include "vigilante/event-log.h"

#define VIGILANTE_EXEC_SERVICES_MAX 64

typedef struct VigilanteService {
    uint8_t transport;          /* 6 TCP, 17 UDP */
    uint16_t port;              /* the guest's port */
} VigilanteService;

/*
 * Parse "tcp:22;udp:5007" (';' or spaces between entries; "" is none)
 * into a new array in *out, its length in *n.
 */
bool vigilante_exec_services_parse(const char *text, VigilanteService **out,
                                   size_t *n, Error **errp);

/*
 * Did every one of these dirty bytes, given as its label and the input
 * event and offset the label maps to (event 0: the event has left the
 * input record), arrive in a frame to one of the services?  A byte whose
 * event has left the record (more than 65,536 frames ago: a login that
 * took long on a busy honeypot) is looked up among the label runs of the
 * last VIGILANTE_EXEC_FRAMES_KEPT frames to the services, which
 * vigilante_exec_services_note() keeps.  False when any byte cannot be
 * shown to be by design: that is reported.  @offsets are not held to the
 * payload (see exec-services.c).  Needs the BQL.
 */
bool vigilante_exec_services_cover(const VigilanteService *svc, size_t n,
                                   const TaintLabel *labels,
                                   const uint64_t *events,
                                   const uint32_t *offsets, size_t nbytes);

#define VIGILANTE_EXEC_FRAMES_KEPT 4096

/*
 * Input event `event` has just arrived for `d`: if it is a frame to one
 * of the vigilante object's exec services, keep its label run.
 */
void vigilante_exec_services_note(uint64_t event,
                                  const VigilanteFrameDest *d);

#endif
