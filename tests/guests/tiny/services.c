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
 *   the ACE case).  Anything else is answered "run ignored".
 */
#include "services.h"
#include "layout.h"
#include "mem.h"
#include "serial.h"

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

    if (len > 1 && payload[0] == TINY_RUN_MAGIC) {
        void (*handler)(void) = (void (*)(void))(payload + 1);

        kprintf("run: calling %u-byte handler\n", (unsigned)len - 1);
        handler();
    }
    udp_reply(req, ignored_text, sizeof(ignored_text) - 1);
}

void services_init(void)
{
    udp_listen(TINY_UDP_ECHO_PORT, echo_handler);
    udp_listen(TINY_UDP_FIG1_PORT, fig1_handler);
    udp_listen(TINY_UDP_RUN_PORT, run_handler);
}
