/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * UDP services.
 *
 * echo (port 7): send the payload back unchanged.
 * fig1 (port 4444): receive the datagram into the service's network
 *   buffer as a zero-terminated string, run Figure 1's vulnerable code
 *   on it (on the service's fixed worker stack), then answer
 *   "fig1 copied N" or "fig1 ignored" when the first byte is not 0x31.
 * run (port 4446): a service with a "fast path" bug: a request whose
 *   first byte is 'X' is taken for a precompiled handler and called in
 *   place, right in the NIC's receive buffer, through a pointer the
 *   guest computed itself (dirty bytes executed through a clean pointer:
 *   the ACE case).  A request whose first byte is 'P' is a "plugin
 *   update": its bytes are copied over plugin_slot(), code that already
 *   ran (and was translated) at boot, and called (ACE on code that was
 *   translated clean).  Anything else is answered "run ignored".
 * probe (port 4448): the taint probes of probes.h.
 */
#include "services.h"
#include "layout.h"
#include "mem.h"
#include "serial.h"
#include "probes.h"

typedef void Probe(const uint8_t *in, uint8_t *out);
#define PROBE_DECLARE(id, name) extern Probe probe_##name;
TINY_PROBES(PROBE_DECLARE)
TINY_AEC_PROBES(PROBE_DECLARE)
#define PROBE_ENTRY(id, name) [id] = probe_##name,
static Probe *const probes[TINY_ALL_PROBE_COUNT] = {
    TINY_PROBES(PROBE_ENTRY)
    TINY_AEC_PROBES(PROBE_ENTRY)
};
void sse_enable(void);
void plugin_slot(void);

/* Two pages, so that out can straddle their boundary (probe page_cross). */
static uint8_t probe_area[8192] __attribute__((aligned(4096)));
#define PROBE_OUT (probe_area + 4096 - 16)

/* The service's receive buffer: recvfrom() plus a terminating zero. */
static unsigned char fig1_netbuf[UDP_PAYLOAD_MAX + 1];

static void echo_handler(const struct udp_request *req, uint8_t *payload,
                         size_t len)
{
    udp_reply(req, payload, len);
}

static size_t append_uint(char *out, unsigned val)
{
    char digits[10];
    size_t n = 0, len;

    do {
        digits[n++] = '0' + val % 10;
        val /= 10;
    } while (val);
    for (len = n; n; n--) {
        *out++ = digits[n - 1];
    }
    return len;
}

static void fig1_handler(const struct udp_request *req, uint8_t *payload,
                         size_t len)
{
    static const char copied_text[] = "fig1 copied ";
    static const char ignored_text[] = "fig1 ignored";
    char reply[32];
    size_t reply_len;
    int copied;

    memcpy(fig1_netbuf, payload, len);
    fig1_netbuf[len] = 0;
    kprintf("fig1: %u-byte request from port %u\n", (unsigned)len,
            req->src_port);

    copied = call_on_stack(TINY_FIG1_STACK_TOP, fig1_vulnerable,
                           fig1_netbuf);

    if (copied < 0) {
        memcpy(reply, ignored_text, sizeof(ignored_text) - 1);
        reply_len = sizeof(ignored_text) - 1;
    } else {
        memcpy(reply, copied_text, sizeof(copied_text) - 1);
        reply_len = sizeof(copied_text) - 1;
        reply_len += append_uint(reply + reply_len, copied);
    }
    kprintf("fig1: %s\n", copied < 0 ? "ignored" : "copied");
    udp_reply(req, reply, reply_len);
}

static void run_handler(const struct udp_request *req, uint8_t *payload,
                        size_t len)
{
    static const char ignored_text[] = "run ignored";

    if (len > 1 && len - 1 <= TINY_PLUGIN_SLOT_SIZE &&
        payload[0] == TINY_PLUGIN_MAGIC) {
        kprintf("run: updating the %u-byte plugin\n", (unsigned)len - 1);
        memcpy((void *)plugin_slot, payload + 1, len - 1);
        plugin_slot();
    } else if (len > 1 && payload[0] == TINY_RUN_MAGIC) {
        void (*handler)(void) = (void (*)(void))(payload + 1);

        kprintf("run: calling %u-byte handler\n", (unsigned)len - 1);
        handler();
    }
    udp_reply(req, ignored_text, sizeof(ignored_text) - 1);
}

static void probe_handler(const struct udp_request *req, uint8_t *payload,
                          size_t len)
{
    static const char done_text[] = "probe ";
    volatile uint8_t *out = PROBE_OUT;
    char reply[48];
    size_t n;
    unsigned id = len ? payload[0] : TINY_ALL_PROBE_COUNT;

    if (id >= TINY_ALL_PROBE_COUNT || len < 1 + TINY_PROBE_IN) {
        udp_reply(req, "probe unknown", 13);
        return;
    }
    for (unsigned i = 0; i < TINY_PROBE_OUT; i++) {
        out[i] = 0;             /* clean stores: the output starts clean */
    }
    probes[id](payload + 1, PROBE_OUT);
    memcpy(reply, done_text, sizeof(done_text) - 1);
    n = sizeof(done_text) - 1;
    n += append_uint(reply + n, id);
    memcpy(reply + n, " out=", 5);
    n += 5;
    n += append_uint(reply + n, (unsigned)(uintptr_t)PROBE_OUT);
    udp_reply(req, reply, n);
}

void services_init(void)
{
    sse_enable();
    plugin_slot();              /* runs (and is translated) once, clean */
    udp_listen(TINY_UDP_PROBE_PORT, probe_handler);
    udp_listen(TINY_UDP_ECHO_PORT, echo_handler);
    udp_listen(TINY_UDP_FIG1_PORT, fig1_handler);
    udp_listen(TINY_UDP_RUN_PORT, run_handler);
}
