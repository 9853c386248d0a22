/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vg-wwwd: deliberately vulnerable UDP notes service for the Linux test
 * guest (port 5008), whose bugs let a message choose *where* the program
 * writes, not what: write-what-where.  Statically linked, run by the
 * guest's /init.  Notes are filed in one of three places, chosen by the
 * request: 'S' main()'s stack, 'H' the heap, 'B' bss.  Each place has a
 * note record and the handler that writes the reply.
 *
 * Request 'I': "where are things", an information leak (on purpose, so
 * that the exploits need no addresses measured by hand).
 *   reply: "INFO S=<addr> H=<addr> B=<addr> approve=<addr>", the
 *   addresses of the three reply handlers' slots and of approve_note().
 *
 * Request 'N' place text...: "file a note".  The text is copied into the
 * record's 32-byte field, which sits just before the pointer to where
 * the note's approval hook is filed, with the request's length (BUG, on
 * purpose).  The program then files the hook, the address of its own
 * approve_note(), through that pointer, and replies through the place's
 * reply handler.  A longer text points the filing at the reply handler:
 * the program itself writes approve_note() there, which then runs for
 * the reply and prints "VG-PWNED linux-www" on the console.
 *   reply: "NOTED <text>" (or, attacked, "APPROVED <text>")
 *
 * Request 'F' place format...: "format a note".  The format is passed
 * to snprintf as the format string (BUG, on purpose): %n and %hn write
 * the output's length through any address the message holds, e.g. over
 * the place's reply handler.
 *   reply: "NOTED <formatted>"
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define UDP_PORT 5008
#define PKT_MAX  2048
#define TEXT_LEN 32

typedef int Handler(char *reply, size_t max, const char *text);

/* volatile: calls must load the slots that a filing may overwrite */
typedef Handler *volatile HandlerSlot;

struct note {
    char text[TEXT_LEN];
    HandlerSlot *approval;      /* where the approval hook is filed */
};

/* One place: its note record and the handler that replies. */
struct place {
    struct note *note;
    HandlerSlot *reply;
};

static HandlerSlot approvals[4];    /* the hooks filed, for an admin */
static unsigned napprovals;
static struct note bss_note;
static HandlerSlot bss_reply;

static int reply_noted(char *reply, size_t max, const char *text)
{
    return snprintf(reply, max, "NOTED %s", text);
}

static int approve_note(char *reply, size_t max, const char *text)
{
    dprintf(1, "VG-PWNED linux-www\n");
    return snprintf(reply, max, "APPROVED %s", text);
}

static __attribute__((noinline)) int
file_note(const struct place *pl, const uint8_t *req, size_t n, char *reply,
          size_t max)
{
    struct note *note = pl->note;

    note->approval = &approvals[napprovals++ % 4];
    memset(note->text, 0, sizeof(note->text));
    /* BUG: n is not checked against sizeof(note->text). */
    memcpy(note->text, req, n);
    note->text[TEXT_LEN - 1] = '\0';
    *note->approval = approve_note;
    return (*pl->reply)(reply, max, note->text);
}

static __attribute__((noinline)) int
format_note(const struct place *pl, const uint8_t *req, size_t n,
            char *reply, size_t max)
{
    char format[1024] __attribute__((aligned(16)));
    char out[1024];

    if (n >= sizeof(format)) {
        return snprintf(reply, max, "ERR too long");
    }
    memcpy(format, req, n);
    format[n] = '\0';
    /* BUG: the message is the format string. */
    snprintf(out, sizeof(out), format);
    return (*pl->reply)(reply, max, out);
}

static int handle(const struct place *places, const uint8_t *req, size_t n,
                  char *reply, size_t max)
{
    const struct place *pl;

    if (n == 1 && req[0] == 'I') {
        return snprintf(reply, max, "INFO S=%p H=%p B=%p approve=%p",
                        (void *)places[0].reply, (void *)places[1].reply,
                        (void *)places[2].reply, (void *)approve_note);
    }
    if (n < 3) {
        return snprintf(reply, max, "ERR short request");
    }
    switch (req[1]) {
    case 'S':
        pl = &places[0];
        break;
    case 'H':
        pl = &places[1];
        break;
    case 'B':
        pl = &places[2];
        break;
    default:
        return snprintf(reply, max, "ERR bad place");
    }
    /* Each request starts from a clean handler. */
    *pl->reply = reply_noted;
    switch (req[0]) {
    case 'N':
        return file_note(pl, req + 2, n - 2, reply, max);
    case 'F':
        return format_note(pl, req + 2, n - 2, reply, max);
    default:
        return snprintf(reply, max, "ERR bad request");
    }
}

int main(void)
{
    uint8_t pkt[PKT_MAX];
    char reply[PKT_MAX + 64];
    struct note stack_note;
    HandlerSlot stack_reply = reply_noted;
    struct place places[3] = {
        { &stack_note, &stack_reply },
        { malloc(sizeof(struct note)), malloc(sizeof(HandlerSlot)) },
        { &bss_note, &bss_reply },
    };
    struct sockaddr_in addr = {
        .sin_family = AF_INET,
        .sin_port = htons(UDP_PORT),
        .sin_addr.s_addr = htonl(INADDR_ANY),
    };
    int fd = socket(AF_INET, SOCK_DGRAM, 0);

    if (!places[1].note || !places[1].reply || fd < 0 ||
        bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        perror("vg-wwwd: socket/bind");
        return 1;
    }
    dprintf(1, "vg-wwwd: listening on udp/%d\n", UDP_PORT);

    for (;;) {
        struct sockaddr_in peer;
        socklen_t plen = sizeof(peer);
        ssize_t n = recvfrom(fd, pkt, sizeof(pkt), 0,
                             (struct sockaddr *)&peer, &plen);
        int len;

        if (n <= 0) {
            continue;
        }
        len = handle(places, pkt, n, reply, sizeof(reply));
        if (len < 0) {
            continue;
        }
        if ((size_t)len >= sizeof(reply)) {
            len = sizeof(reply) - 1;
        }
        sendto(fd, reply, len, 0, (struct sockaddr *)&peer, plen);
    }
}
