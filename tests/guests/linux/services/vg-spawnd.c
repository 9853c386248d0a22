/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vg-spawnd: a benign UDP service for the Linux test guest (port 5007)
 * that does, on a small scale, what real software did when the detector
 * raised false alarms on a stock Debian guest.  Nothing here is a bug:
 * every request but 'J' must run without an alert.
 *
 * Request 'S' arg: "run a program with an argument from the network",
 *   like sshd starting a session's command.  The kernel lays out the new
 *   process (its stack, and the vDSO near it) from the argument's length;
 *   the child then calls into the vDSO through a pointer, as glibc does
 *   for clock_gettime.
 *   reply: "SPAWNED status <n>"
 *
 * Request 'M' size: "allocate what the request asks for, then load
 *   code", like a process that maps a buffer of a size from the network
 *   and later a library: the kernel places the library's mapping below
 *   the buffer, and the process calls the library's code.
 *   reply: "MAPPED <result>"
 *
 * Request 'E' ciphertext: "a remote shell", like sshd running the
 *   command of an authenticated session: the command is decrypted (a
 *   stream cipher whose output is stored a byte at a time from shifted
 *   words, as OpenSSH's chacha20 does) and executed.  Running commands
 *   is this service's purpose: its profile declares it (exec-services),
 *   or the execve is an AFA alert.
 *   reply: "RAN status <n>"
 *
 * Request 'V' data: "two programs share the CPU", like redis and sshd on
 *   one vCPU.  A child keeps the address of its own code in xmm0 and,
 *   after each sched_yield, jumps through it; meanwhile this process
 *   loads the request's first 16 bytes into xmm0 before each of its own
 *   sched_yield calls.  Each
 *   switch saves one task's vector registers (fxsave/xsave) and restores
 *   the other's (fxrstor/xrstor): the child's jump target is its own,
 *   whatever the other task held.
 *   reply: "VECTOR status <n> overlap <j>" (the child exited with n and
 *   jumped j times while this process was in its loop)
 *
 * Request 'J' data: the one hole in this service, on purpose: as 'V',
 *   but this process loads the request's first 8 bytes into xmm0 once,
 *   yields as often, and then jumps through them.  The labels must come
 *   back with the registers after every switch: an AEC alert at the jump.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vg-spawn.h"

#define PKT_MAX 2048

static int run_child(char *const argv[])
{
    char *envp[] = { NULL };
    int status = -1;
    pid_t pid = fork();

    if (pid == 0) {
        execve(argv[0], argv, envp);
        _exit(127);
    }
    if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status)) {
        return WEXITSTATUS(status);
    }
    return -1;
}

static int do_spawn(const uint8_t *req, size_t n, char *reply, size_t max)
{
    char arg[PKT_MAX];
    char *argv[] = { (char *)VG_CHILD_PATH, (char *)"time", arg, NULL };

    memcpy(arg, req + 1, n - 1);
    arg[n - 1] = '\0';
    return snprintf(reply, max, "SPAWNED status %d", run_child(argv));
}

/* lea eax, [rdi + 1]; ret */
static const uint8_t stub_code[] = { 0x8d, 0x47, 0x01, 0xc3 };

static int do_map(const uint8_t *req, size_t n, char *reply, size_t max)
{
    char text[32];
    size_t size;
    uint8_t *buf, *lib;
    int (*fn)(int);
    int r;

    if (n - 1 >= sizeof(text)) {
        return snprintf(reply, max, "ERR bad size");
    }
    memcpy(text, req + 1, n - 1);
    text[n - 1] = '\0';
    size = strtoul(text, NULL, 10);
    if (size == 0 || size > (64u << 20)) {
        return snprintf(reply, max, "ERR bad size");
    }
    buf = mmap(NULL, size, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buf == MAP_FAILED) {
        return snprintf(reply, max, "ERR mmap");
    }
    memset(buf, 0, size);
    lib = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (lib == MAP_FAILED) {
        munmap(buf, size);
        return snprintf(reply, max, "ERR mmap");
    }
    memcpy(lib, stub_code, sizeof(stub_code));
    /* The library's entry, an address the kernel chose. */
    fn = (int (*)(int))(void *)lib;
    __asm__ volatile("" : "+r"(fn));
    r = fn(41);
    munmap(lib, 4096);
    munmap(buf, size);
    return snprintf(reply, max, "MAPPED %d", r);
}

static int do_remote_shell(const uint8_t *req, size_t n, char *reply,
                           size_t max)
{
    char cmd[PKT_MAX];
    char *argv[] = { cmd, (char *)"remote", NULL };

    vg_spawn_crypt(cmd, req + 1, n - 1);
    cmd[n - 1] = '\0';
    return snprintf(reply, max, "RAN status %d", run_child(argv));
}

#define VECTOR_ROUNDS 1000

/*
 * Load 16 bytes into xmm0 before each sched_yield (a raw system call:
 * nothing between the load and the switch touches xmm0).
 */
static void hold_in_xmm0(const uint8_t *data, long rounds)
{
    __asm__ volatile("1:\n\t"
                     "movdqu (%[d]), %%xmm0\n\t"
                     "mov $24, %%eax\n\t"           /* SYS_sched_yield */
                     "syscall\n\t"
                     "dec %[n]\n\t"
                     "jnz 1b\n"
                     : [n] "+r"(rounds)
                     : [d] "r"(data)
                     : "rax", "rcx", "r11", "xmm0", "memory");
}

/*
 * Jump through xmm0, loaded once, after each sched_yield, until *stop
 * is set; counts the jumps in *jumps.
 */
static void jump_through_xmm0(volatile int *stop, volatile long *jumps)
{
    __asm__ volatile("lea 2f(%%rip), %%rax\n\t"
                     "movq %%rax, %%xmm0\n"
                     "1:\n\t"
                     "mov $24, %%eax\n\t"           /* SYS_sched_yield */
                     "syscall\n\t"
                     "movq %%xmm0, %%rax\n\t"
                     "jmp *%%rax\n"
                     "2:\n\t"
                     "incq (%[j])\n\t"
                     "cmpl $0, (%[s])\n\t"
                     "je 1b\n"
                     :
                     : [s] "r"(stop), [j] "r"(jumps)
                     : "rax", "rcx", "r11", "xmm0", "memory");
}

/*
 * Load 8 bytes into xmm0 once, yield `rounds` times, then jump through
 * them: the hole of request 'J'.
 */
static void jump_after_switches(const uint8_t *data, long rounds)
{
    __asm__ volatile("movq (%[d]), %%xmm0\n"
                     "1:\n\t"
                     "mov $24, %%eax\n\t"           /* SYS_sched_yield */
                     "syscall\n\t"
                     "dec %[n]\n\t"
                     "jnz 1b\n\t"
                     "movq %%xmm0, %%rax\n\t"
                     "jmp *%%rax\n"
                     : [n] "+r"(rounds)
                     : [d] "r"(data)
                     : "rax", "rcx", "r11", "xmm0", "memory");
}

static int do_vector(const uint8_t *req, size_t n, char *reply, size_t max,
                     bool hole)
{
    /* Shared with the child: [0] stop flag, [1] its jump count. */
    volatile long *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    uint8_t data[16] = { 0 };
    int status = -1;
    long jumps;
    pid_t pid;

    if (shared == MAP_FAILED) {
        return snprintf(reply, max, "ERR mmap");
    }
    memcpy(data, req + 1, n - 1 < sizeof(data) ? n - 1 : sizeof(data));
    pid = fork();
    if (pid == 0) {
        jump_through_xmm0((volatile int *)&shared[0], &shared[1]);
        _exit(0);
    }
    if (pid < 0) {
        munmap((void *)shared, 4096);
        return snprintf(reply, max, "ERR fork");
    }
    /* The child is jumping before we start. */
    while (shared[1] == 0) {
        sched_yield();
    }
    jumps = shared[1];
    if (hole) {
        jump_after_switches(data, VECTOR_ROUNDS);
    }
    hold_in_xmm0(data, VECTOR_ROUNDS);
    jumps = shared[1] - jumps;
    *(volatile int *)&shared[0] = 1;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
        status = -1;
    } else {
        status = WEXITSTATUS(status);
    }
    munmap((void *)shared, 4096);
    return snprintf(reply, max, "VECTOR status %d overlap %ld", status,
                    jumps);
}

int main(void)
{
    uint8_t pkt[PKT_MAX];
    char reply[PKT_MAX + 64];
    struct sockaddr_in addr = {
        .sin_family = AF_INET,
        .sin_port = htons(VG_SPAWND_PORT),
        .sin_addr.s_addr = htonl(INADDR_ANY),
    };
    int fd = socket(AF_INET, SOCK_DGRAM, 0);

    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        perror("vg-spawnd: socket/bind");
        return 1;
    }
    dprintf(1, "vg-spawnd: listening on udp/%d\n", VG_SPAWND_PORT);

    for (;;) {
        struct sockaddr_in peer;
        socklen_t plen = sizeof(peer);
        ssize_t n = recvfrom(fd, pkt, sizeof(pkt) - 1, 0,
                             (struct sockaddr *)&peer, &plen);
        int len;

        if (n < 2) {
            continue;
        }
        switch (pkt[0]) {
        case 'S':
            len = do_spawn(pkt, (size_t)n, reply, sizeof(reply));
            break;
        case 'M':
            len = do_map(pkt, (size_t)n, reply, sizeof(reply));
            break;
        case 'E':
            len = do_remote_shell(pkt, (size_t)n, reply, sizeof(reply));
            break;
        case 'V':
        case 'J':
            len = do_vector(pkt, (size_t)n, reply, sizeof(reply),
                            pkt[0] == 'J');
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
