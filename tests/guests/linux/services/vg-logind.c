/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vg-logind: deliberately vulnerable line-based TCP service for the
 * Linux test guest (port 5006), whose bug is reachable only after a
 * login: the multi-message exploit of the SCA tests.  Statically linked,
 * run by the guest's /init.  One connection at a time; each request is
 * one line ending in '\n' (a '\r' before it is dropped).
 *
 *   HELLO              -> "HI vg-logind"
 *   TIME               -> "TIME <seconds since boot>"
 *   LOGIN <user> <pw>  -> "OK <user>" (pw must be VG_LOGIN_PASSWORD),
 *                         else "ERR login"
 *   NOTE <text>        -> "NOTED <text>" once logged in, else
 *                         "ERR not logged in"
 *   QUIT               -> "BYE", connection closed
 *   anything else      -> "ERR unknown command"
 *
 * BUG (on purpose): cmd_note() copies the whole rest of the line into a
 * 32-byte field that sits just before the note's show handler pointer,
 * so a longer note chooses where the call through it goes (AEC).
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TCP_PORT 5006
#define NOTE_MAX_LEN 32
#define LINE_MAX_LEN 1024
#define VG_LOGIN_PASSWORD "wonderland"

typedef int Show(char *out, size_t max, const char *text);

struct note {
    char text[NOTE_MAX_LEN];
    /* volatile: the call must load the pointer the copy may overwrite */
    Show *volatile show;
};

static void reply(int fd, const char *s, int n)
{
    char nl = '\n';

    if (n < 0) {
        return;
    }
    send(fd, s, (size_t)n, MSG_NOSIGNAL);
    send(fd, &nl, 1, MSG_NOSIGNAL);
}

static int show_note(char *out, size_t max, const char *text)
{
    return snprintf(out, max, "NOTED %s", text);
}

static __attribute__((noinline)) void
cmd_note(int fd, const char *arg, size_t n)
{
    struct note note;
    char out[64];
    int len;

    note.show = show_note;
    memset(note.text, 0, sizeof(note.text));
    /* BUG: n is not checked against sizeof(note.text). */
    memcpy(note.text, arg, n);
    note.text[NOTE_MAX_LEN - 1] = '\0';
    len = note.show(out, sizeof(out), note.text);
    reply(fd, out, len < (int)sizeof(out) ? len : (int)sizeof(out) - 1);
}

static int cmd_login(int fd, char *arg, char *user_out, size_t max)
{
    char *sp = strchr(arg, ' ');
    char out[96];

    if (!sp || sp == arg || strcmp(sp + 1, VG_LOGIN_PASSWORD) ||
        (size_t)(sp - arg) >= max) {
        reply(fd, "ERR login", 9);
        return 0;
    }
    memcpy(user_out, arg, (size_t)(sp - arg));
    user_out[sp - arg] = '\0';
    reply(fd, out, snprintf(out, sizeof(out), "OK %s", user_out));
    return 1;
}

typedef struct {
    int fd;
    int logged_in;
    char user[32];
} Session;

/* Returns 0 when the client asked to close. */
static int handle_line(Session *s, char *line, size_t n)
{
    char out[64];

    if (n == 5 && memcmp(line, "HELLO", 5) == 0) {
        reply(s->fd, "HI vg-logind", 12);
    } else if (n == 4 && memcmp(line, "TIME", 4) == 0) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        reply(s->fd, out, snprintf(out, sizeof(out), "TIME %ld",
                                   (long)ts.tv_sec));
    } else if (n >= 6 && memcmp(line, "LOGIN ", 6) == 0) {
        s->logged_in = cmd_login(s->fd, line + 6, s->user, sizeof(s->user));
    } else if (n >= 5 && memcmp(line, "NOTE ", 5) == 0) {
        if (s->logged_in) {
            cmd_note(s->fd, line + 5, n - 5);
        } else {
            reply(s->fd, "ERR not logged in", 17);
        }
    } else if (n == 4 && memcmp(line, "QUIT", 4) == 0) {
        reply(s->fd, "BYE", 3);
        return 0;
    } else {
        reply(s->fd, "ERR unknown command", 19);
    }
    return 1;
}

static __attribute__((noinline)) void session(int fd)
{
    char line[LINE_MAX_LEN + 1];
    size_t used = 0;
    Session s = { .fd = fd };

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
            if (!handle_line(&s, line, len)) {
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
        perror("vg-logind: socket/bind/listen");
        return 1;
    }
    dprintf(1, "vg-logind: listening on tcp/%d\n", TCP_PORT);

    for (;;) {
        int fd = accept(lfd, NULL, NULL);

        if (fd < 0) {
            continue;
        }
        /* Answers go out at once, each its own segment. */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        session(fd);
        close(fd);
    }
}
