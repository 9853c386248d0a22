/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vg-ctld: deliberately vulnerable UDP control service for the Linux
 * test guest (port 5004).  Statically linked, run by the guest's /init.
 * It is also built as an i386 program, vg-ctld32 (port 5005), for the
 * i386 system call ABI.
 *
 * Request 'H' name...: "hello through a handler".  The name is copied
 * into a 24-byte field that sits just before the handler pointer, with
 * the request's length (BUG, on purpose): a longer name overwrites the
 * pointer, and the call through it goes where the request says (AEC).
 *   reply: "HELLO <name>"
 *
 * Request 'X' path '\0' arg '\0': "run a diagnostic tool".  The service
 * forks and executes path with one argument, trusting the path it was
 * sent (BUG, on purpose): the attacker chooses the program (AFA).
 *   reply: "RAN <path> status <n>"
 *
 * Request "JOB " name '\n': "queue a job", a line protocol.  The service
 * ends the line where its '\n' is (the program writes the terminator)
 * and copies the name with strcpy into a 16-byte field that sits just
 * before the job's command (BUG, on purpose): a longer name replaces the
 * command, which is executed (AFA, with a path the program terminates).
 * The command must start with '/'.
 *   reply: "JOB <name> status <n>"
 *
 * Request 'C' op dst-align skip pad[skip] string '\0': "copy, then run"
 * (for the tests of labels through glibc's copies).  The string is
 * copied by op: 's' strcpy, 'c' strcat after "/c/", 'm' memmove,
 * 'o' memcpy then a memmove that overlaps it, 'p' sprintf("%s"), to a
 * buffer at dst-align (0..63) past a 64-byte boundary, and that buffer
 * is passed to execve as the path (AFA).  The string must not name a
 * program; on the execve's failure the reply is "COPY <errno>".
 *
 * Request 'Y' path '\0': "exec the way evasive shellcode does", by a raw
 * system call: in vg-ctld execve with the upper half of rax set (the
 * kernel reads eax alone); in vg-ctld32 execveat through the syscall
 * instruction, whose compat entry takes the path from ebp (ecx is 0).
 *   reply: "RAW <return value>"
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef VG_CTLD_PORT
#define VG_CTLD_PORT 5004       /* the i386 build (vg-ctld32) uses 5005 */
#endif
#define UDP_PORT VG_CTLD_PORT
#define PKT_MAX  2048
#define NAME_MAX_LEN 24

typedef int Handler(char *reply, size_t max, const char *name);

struct hook {
    char name[NAME_MAX_LEN];
    /* volatile: the call must load the pointer the copy may overwrite */
    Handler *volatile handler;
};

static int greet(char *reply, size_t max, const char *name)
{
    return snprintf(reply, max, "HELLO %s", name);
}

static __attribute__((noinline)) int
do_hello(const uint8_t *req, size_t n, char *reply, size_t max)
{
    struct hook h;

    h.handler = greet;
    memset(h.name, 0, sizeof(h.name));
    /* BUG: n - 1 is not checked against sizeof(h.name). */
    memcpy(h.name, req + 1, n - 1);
    h.name[NAME_MAX_LEN - 1] = '\0';
    return h.handler(reply, max, h.name);
}

static int do_exec(const uint8_t *req, size_t n, char *reply, size_t max)
{
    char path[256], arg[256];
    const char *p = (const char *)req + 1;
    size_t plen = strnlen(p, n - 1);
    size_t alen;
    int status = -1;
    pid_t pid;

    if (plen == n - 1 || plen >= sizeof(path)) {
        return snprintf(reply, max, "ERR bad path");
    }
    alen = strnlen(p + plen + 1, n - 2 - plen);
    if (alen == n - 2 - plen || alen >= sizeof(arg)) {
        return snprintf(reply, max, "ERR bad argument");
    }
    memcpy(path, p, plen + 1);
    memcpy(arg, p + plen + 1, alen + 1);

    pid = fork();
    if (pid == 0) {
        char *argv[] = { path, arg, NULL };
        char *envp[] = { NULL };

        /* BUG: path comes from the network and is not checked. */
        execve(path, argv, envp);
        _exit(127);
    }
    if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status)) {
        status = WEXITSTATUS(status);
    }
    return snprintf(reply, max, "RAN %s status %d", path, status);
}

/* A queued job: its name, then the command that runs it. */
struct job {
    char name[16];
    char cmd[48];
};

static int do_job(const uint8_t *req, size_t n, char *reply, size_t max)
{
    char line[PKT_MAX + 1];
    struct job job;
    char *end;
    int status = -1;
    pid_t pid;

    memcpy(line, req, n);
    line[n] = '\0';
    end = memchr(line, '\n', n);
    if (strncmp(line, "JOB ", 4) || !end) {
        return snprintf(reply, max, "ERR bad job");
    }
    *end = '\0';                /* the line's end is the name's */
    strcpy(job.cmd, "/bin/true");
    /* BUG: the name's length is not checked against sizeof(job.name). */
    strcpy(job.name, line + 4);
    if (job.cmd[0] != '/') {
        return snprintf(reply, max, "ERR bad command");
    }
    pid = fork();
    if (pid == 0) {
        char *argv[] = { job.cmd, job.name, NULL };
        char *envp[] = { NULL };

        execve(job.cmd, argv, envp);
        _exit(127);
    }
    if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status)) {
        status = WEXITSTATUS(status);
    }
    return snprintf(reply, max, "JOB %.16s status %d", job.name, status);
}

static int do_copy(const uint8_t *req, size_t n, char *reply, size_t max)
{
    static char area[64 + 1024] __attribute__((aligned(64)));
    char *dst, *argv[] = { area, NULL }, *envp[] = { NULL };
    const char *src;
    size_t len, skip;

    if (n < 5 || req[2] >= 64 || req[3] >= 64 || n < 5u + req[3]) {
        return snprintf(reply, max, "ERR bad copy");
    }
    dst = area + req[2];
    skip = req[3];
    src = (const char *)req + 4 + skip;
    len = strnlen(src, n - 4 - skip);
    if (len == n - 4 - skip || len > 512) {
        return snprintf(reply, max, "ERR bad string");
    }
    switch (req[1]) {
    case 's':
        strcpy(dst, src);
        break;
    case 'c':
        strcpy(dst, "/c/");
        strcat(dst, src);
        break;
    case 'm':
        memmove(dst, src, len + 1);
        break;
    case 'o':
        /* From 32 bytes in to dst: they overlap, either way round. */
        memcpy(area + 32, src, len + 1);
        memmove(dst, area + 32, len + 1);
        break;
    case 'p':
        sprintf(dst, "%s", src);
        break;
    default:
        return snprintf(reply, max, "ERR bad op");
    }
    argv[0] = dst;
    execve(dst, argv, envp);
    return snprintf(reply, max, "COPY %d", errno);
}

static long raw_exec(const char *path)
{
    long ret;

#ifdef __x86_64__
    ret = (1L << 32) | 59;                  /* execve, bit 32 set */
    __asm__ volatile("syscall"
                     : "+a"(ret)
                     : "D"(path), "S"(0), "d"(0)
                     : "rcx", "r11", "memory");
#else
    const char *p = path;

    ret = 358;                              /* execveat */
    __asm__ volatile("push %%ebp\n\t"
                     "mov %%ecx, %%ebp\n\t"
                     "xor %%ecx, %%ecx\n\t"
                     "syscall\n\t"
                     "pop %%ebp"
                     : "+a"(ret), "+c"(p)
                     : "b"(-100), "d"(0), "S"(0), "D"(0)   /* AT_FDCWD */
                     : "memory");
#endif
    return ret;
}

static int do_raw(const uint8_t *req, size_t n, char *reply, size_t max)
{
    const char *path = (const char *)req + 1;

    if (strnlen(path, n - 1) == n - 1) {
        return snprintf(reply, max, "ERR bad path");
    }
    return snprintf(reply, max, "RAW %ld", raw_exec(path));
}

int main(void)
{
    uint8_t pkt[PKT_MAX];
    char reply[PKT_MAX + 64];
    struct sockaddr_in addr = {
        .sin_family = AF_INET,
        .sin_port = htons(UDP_PORT),
        .sin_addr.s_addr = htonl(INADDR_ANY),
    };
    int fd = socket(AF_INET, SOCK_DGRAM, 0);

    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        perror("vg-ctld: socket/bind");
        return 1;
    }
    dprintf(1, "vg-ctld: listening on udp/%d\n", UDP_PORT);

    for (;;) {
        struct sockaddr_in peer;
        socklen_t plen = sizeof(peer);
        ssize_t n = recvfrom(fd, pkt, sizeof(pkt), 0,
                             (struct sockaddr *)&peer, &plen);
        int len;

        if (n < 2) {
            continue;
        }
        switch (pkt[0]) {
        case 'H':
            len = do_hello(pkt, (size_t)n, reply, sizeof(reply));
            break;
        case 'X':
            len = do_exec(pkt, (size_t)n, reply, sizeof(reply));
            break;
        case 'J':
            len = do_job(pkt, (size_t)n, reply, sizeof(reply));
            break;
        case 'C':
            len = do_copy(pkt, (size_t)n, reply, sizeof(reply));
            break;
        case 'Y':
            len = do_raw(pkt, (size_t)n, reply, sizeof(reply));
            break;
        default:
            len = snprintf(reply, sizeof(reply), "ERR bad request");
        }
        if (len > 0) {
            if ((size_t)len >= sizeof(reply)) {
                len = sizeof(reply) - 1;
            }
            sendto(fd, reply, (size_t)len, 0,
                   (struct sockaddr *)&peer, plen);
        }
    }
}
