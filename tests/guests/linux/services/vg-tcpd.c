/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vg-tcpd: deliberately vulnerable line-based TCP service for the Linux
 * test guest (port 5002).  Statically linked, run by the guest's /init.
 * One connection at a time; each request is one line ending in '\n'.
 *
 *   ECHO <text>        -> "ECHO <text>"
 *   SUM <n> <n> ...    -> "SUM <decimal sum>"
 *   NAME <name> [...]  -> "WELCOME <name>"   (names are at most NAME_MAX)
 *   QUIT               -> "BYE", connection closed
 *   anything else      -> "ERR unknown command"
 *
 * BUG (on purpose): cmd_name() copies the name byte by byte until
 * whitespace without checking NAME_MAX, so a long name overruns a stack
 * buffer and overwrites cmd_name()'s saved return address.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TCP_PORT 5002
#define NAME_MAX_LEN 32
#define LINE_MAX_LEN 1536

static void reply(int fd, const char *s, size_t n)
{
    char nl = '\n';

    send(fd, s, n, MSG_NOSIGNAL);
    send(fd, &nl, 1, MSG_NOSIGNAL);
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static __attribute__((noinline)) void
cmd_name(int fd, const char *arg, const char *end)
{
    char name[NAME_MAX_LEN + 1];
    char out[64];
    size_t n = 0;
    int len;

    /* BUG: no bound on n. */
    while (arg < end && !is_space(*arg)) {
        name[n++] = *arg++;
    }
    name[n] = '\0';
    len = snprintf(out, sizeof(out), "WELCOME %s", name);
    reply(fd, out, len < (int)sizeof(out) ? (size_t)len : sizeof(out) - 1);
}

static void cmd_sum(int fd, const char *arg, const char *end)
{
    char out[32];
    long total = 0;

    while (arg < end) {
        char *next;
        long v = strtol(arg, &next, 10);

        if (next == arg) {
            reply(fd, "ERR bad number", 14);
            return;
        }
        total += v;
        arg = next;
        while (arg < end && is_space(*arg)) {
            arg++;
        }
    }
    reply(fd, out, (size_t)snprintf(out, sizeof(out), "SUM %ld", total));
}

/* Returns 0 when the client asked to close. */
static int handle_line(int fd, char *line, size_t n)
{
    char *end = line + n;

    if (n >= 5 && memcmp(line, "ECHO ", 5) == 0) {
        reply(fd, line, n);
    } else if (n >= 4 && memcmp(line, "SUM ", 4) == 0) {
        cmd_sum(fd, line + 4, end);
    } else if (n >= 5 && memcmp(line, "NAME ", 5) == 0) {
        cmd_name(fd, line + 5, end);
    } else if (n == 4 && memcmp(line, "QUIT", 4) == 0) {
        reply(fd, "BYE", 3);
        return 0;
    } else {
        reply(fd, "ERR unknown command", 19);
    }
    return 1;
}

/* Reads requests into a stack line buffer until the peer goes away. */
static __attribute__((noinline)) void session(int fd)
{
    char line[LINE_MAX_LEN + 1];
    size_t used = 0;

    for (;;) {
        ssize_t got = recv(fd, line + used, LINE_MAX_LEN - used, 0);
        char *nl;

        if (got <= 0) {
            return;
        }
        used += (size_t)got;
        while ((nl = memchr(line, '\n', used)) != NULL) {
            size_t len = (size_t)(nl - line);

            *nl = '\0';
            if (len > 0 && line[len - 1] == '\r') {
                line[--len] = '\0';
            }
            if (!handle_line(fd, line, len)) {
                return;
            }
            used -= (size_t)(nl + 1 - line);
            memmove(line, nl + 1, used);
        }
        if (used == LINE_MAX_LEN) {
            reply(fd, "ERR line too long", 17);
            return;
        }
    }
}

int main(void)
{
    struct sockaddr_in addr = {
        .sin_family = AF_INET,
        .sin_port = htons(TCP_PORT),
        .sin_addr.s_addr = htonl(INADDR_ANY),
    };
    int one = 1;
    int lfd = socket(AF_INET, SOCK_STREAM, 0);

    if (lfd < 0 ||
        setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
        listen(lfd, 4) < 0) {
        perror("vg-tcpd: socket/bind/listen");
        return 1;
    }
    dprintf(1, "vg-tcpd: listening on tcp/%d\n", TCP_PORT);

    for (;;) {
        int fd = accept(lfd, NULL, NULL);

        if (fd < 0) {
            continue;
        }
        session(fd);
        close(fd);
    }
}
