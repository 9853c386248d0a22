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
 * Did every one of these dirty bytes, given as the input event and offset
 * of its label (event 0: the label could not be looked up), arrive in a
 * frame to one of the services?  False when any byte's event is unknown
 * or too old (more than 65,536 frames ago): what cannot be shown to be by
 * design is reported.  @offsets are not held to the payload (see
 * exec-services.c).  Needs the BQL.
 */
bool vigilante_exec_services_cover(const VigilanteService *svc, size_t n,
                                   const uint64_t *events,
                                   const uint32_t *offsets, size_t nbytes);

#endif
