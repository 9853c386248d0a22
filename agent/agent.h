/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigilante-agent: one per host.  It links to peers over TLS 1.3 with
 * mutual authentication (link.c), takes SCAs from peers and from local
 * detectors (control.c), verifies each once with a warm verifier of the
 * program's profile and floods the verified ones to every other peer
 * (flood.c), and keeps local VMs protected by the filters made from
 * them (protect.c).  Everything runs on one GLib main loop; verification
 * and filter generation run in worker threads, one per profile, and QMP
 * in a protector thread.  Threads hand results back with g_idle_add(),
 * never g_main_context_invoke(), which would run them in the thread
 * itself while the loop is not yet running.
 */
#ifndef VIGILANTE_AGENT_H
#define VIGILANTE_AGENT_H

#include <glib.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <openssl/ssl.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "frame.h"
#include "vm-protect.h"

#define VGA_NODE_ID_HEX     65          /* SHA-256 of the public key, hex */

typedef struct Agent Agent;
typedef struct Link Link;
typedef struct VerifyWorker VerifyWorker;
typedef struct AgentFilter AgentFilter;
typedef struct AgentProtector AgentProtector;

typedef enum {
    SCA_STATE_PENDING,          /* waiting for, or in, verification */
    SCA_STATE_VERIFIED,         /* verified here, forwarded */
    SCA_STATE_REFUSED,          /* did not verify, or malformed */
    SCA_STATE_UNVERIFIABLE,     /* no profile here for its program */
} ScaState;

typedef struct {
    char digest[2 * 32 + 1];    /* hex SHA-256 of the encoding */
    GBytes *encoding;
    char *program;              /* the SCA's program name */
    ScaState state;
    char *reason;               /* refused: why */
    char *source;               /* "local" or the peer's node ID */
    uint64_t from_link;         /* the link it came on, 0: local */
    int64_t received_us;        /* wall clock, g_get_real_time() */
    int64_t decided_us;         /* verified or refused */
    double verify_ms;
    char *filter;               /* the id of its filter, once made */
    int64_t protected_us;       /* its filter first installed on a VM */
} ScaEntry;

typedef struct {
    uint64_t seen, duplicates, verified, refused, unverifiable;
    uint64_t forwarded, rate_limited, malformed;
    uint64_t filters, filter_failures, installed;
} AgentCounters;

struct Agent {
    VgaConfig *cfg;
    SSL_CTX *tls;
    char node_id[VGA_NODE_ID_HEX];
    GMainLoop *loop;
    bool stopping;
    GSocketService *listener;
    GSocketService *control;
    GList *links;               /* of Link */
    uint64_t next_link_id;
    GHashTable *scas;           /* digest hex -> ScaEntry */
    GQueue recent;              /* digests, newest last (have frames) */
    GHashTable *banned;         /* node ID -> ban end, monotonic us */
    GPtrArray *workers;         /* of VerifyWorker */
    GPtrArray *filters;         /* of AgentFilter */
    AgentProtector *protector;  /* NULL without [vm NAME] groups */
    sqlite3 *db;                /* STATE-DIR/agent.db */
    AgentCounters n;
};

/* JSON members of the control socket's replies. */
static inline void agent_json_int(JsonBuilder *b, const char *name,
                                  int64_t v)
{
    json_builder_set_member_name(b, name);
    json_builder_add_int_value(b, v);
}

static inline void agent_json_str(JsonBuilder *b, const char *name,
                                  const char *v)
{
    json_builder_set_member_name(b, name);
    json_builder_add_string_value(b, v);
}

/* One line per event on stderr: time, agent name, message. */
void agent_log(Agent *a, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* tls.c */
SSL_CTX *agent_tls_new(const VgaConfig *c, char *node_id, GError **errp);
/* The peer's node ID: SHA-256 of its certificate's public key. */
bool agent_tls_peer_id(SSL *ssl, char *node_id);

/* link.c */
bool agent_links_start(Agent *a, GError **errp);
void agent_links_stop(Agent *a);
/* Queue a frame on a link; false (and the link closed) when full. */
bool link_send(Link *l, GBytes *frame);
void link_close(Link *l, VgaCloseReason reason, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
Link *agent_find_link(Agent *a, uint64_t id);
uint64_t link_id(const Link *l);
const char *link_peer(const Link *l);
bool link_is_open(const Link *l);
/* Take a token from the link's bucket: false when over its rate. */
bool link_take_token(Link *l);
/* An SCA from this link did not verify: count it, close at the limit. */
void link_penalise(Link *l, const char *why);
void link_count_verified(Link *l);
void link_count_forwarded(Link *l);
/*
 * Digests we asked this peer for: their SCAs skip its rate limit.  False
 * when the link has as many live wants as a want frame holds.
 */
bool link_want_add(Link *l, const char *digest);
bool link_want_take(Link *l, const char *digest);
/* An SCA goes out on this link: false when it went before (send none). */
bool link_mark_sent(Link *l, const char *digest);
/* The links, as a JSON array member of an object being built. */
void agent_links_json(Agent *a, JsonBuilder *b);

/* flood.c */
bool agent_flood_start(Agent *a, GError **errp);
void agent_flood_stop(Agent *a);
/*
 * An SCA arrived (from link `from`, or 0: local).  Returns the entry (new
 * or known); *is_new says which.
 */
ScaEntry *agent_sca_arrived(Agent *a, GBytes *encoding, uint64_t from,
                            bool *is_new, GError **errp);
/* A link is open: tell the peer what we have. */
void agent_flood_link_up(Agent *a, Link *l);
void agent_flood_have(Agent *a, Link *l, const uint8_t *digests, unsigned n);
void agent_flood_want(Agent *a, Link *l, const uint8_t *digests, unsigned n);
const char *sca_state_name(ScaState s);
/* Hex SHA-256 of an SCA's encoding, its name everywhere. */
void agent_sca_digest(GBytes *encoding, char *hex);
/* The entries as a JSON array, oldest first. */
void agent_scas_json(Agent *a, JsonBuilder *b);
/* The verifiers, as a JSON array. */
void agent_workers_json(Agent *a, JsonBuilder *b);

/* protect.c */
bool agent_protect_start(Agent *a, GError **errp);
void agent_protect_stop(Agent *a);
/* A filter was made from a verified SCA: keep it, install it. */
void agent_filter_made(Agent *a, const char *sca_digest, GBytes *encoding,
                       unsigned conditions, double gen_ms);
/* The local VMs, as a JSON array. */
void agent_vms_json(Agent *a, JsonBuilder *b);

/* store.c: the state in SQLite, written from the main loop only */
bool agent_store_open(Agent *a, GError **errp);
void agent_store_close(Agent *a);
void agent_store_sca(Agent *a, const ScaEntry *e);
void agent_store_sca_forget(Agent *a, const char *digest);
void agent_store_filter(Agent *a, const char *id, const char *sca,
                        const char *program, GBytes *encoding,
                        int64_t made_us, unsigned conditions, double gen_ms);
void agent_store_install(Agent *a, const char *vm, const char *filter,
                         int64_t installed_us);
/* Each kept SCA, oldest first; @fn owns the entry. */
void agent_store_load_scas(Agent *a, void (*fn)(Agent *, ScaEntry *));
void agent_store_load_filters(Agent *a,
                              void (*fn)(Agent *, const char *sca,
                                         GBytes *encoding, int64_t made_us,
                                         unsigned conditions, double gen_ms));

/* control.c */
bool agent_control_start(Agent *a, GError **errp);
void agent_control_stop(Agent *a);

#endif
