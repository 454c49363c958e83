/* Physical floors for the benchmark: what ptrace and process_vm_readv cost
 * with no protocol and no server logic at all.
 *
 *   floor step N       N bare PTRACE_SINGLESTEP + waitpid round trips
 *   floor bp N         N breakpoint hit cycles: PTRACE_CONT onto an int3,
 *                      waitpid, rewind the pc (GETREGS/SETREGS), restore the
 *                      original byte, PTRACE_SINGLESTEP + waitpid over it,
 *                      reinsert the int3 (POKETEXT)
 *   floor read MIB P   P passes of process_vm_readv over a MIB MiB buffer of
 *                      a child, in 1 MiB requests
 *
 * Prints "FLOOR <name> <value>" lines: steps_per_s, hits_per_s, read_mb_per_s
 * (MB = 1e6 bytes). Build: cc -g -O0 -pthread floor.c -o floor */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile long sink;

__attribute__((noinline)) void f(long i)
{
    sink += i;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    perror(what);
    exit(1);
}

/* A traced child stopped with SIGSTOP, looping over f() forever. */
static pid_t traced_child(void)
{
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        alarm(300);
        if (ptrace(PTRACE_TRACEME, 0, 0, 0) < 0)
            die("PTRACE_TRACEME");
        raise(SIGSTOP);
        for (long i = 0;; i++)
            f(i);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st))
        die("waitpid (initial stop)");
    ptrace(PTRACE_SETOPTIONS, pid, 0, (void *)(long)PTRACE_O_EXITKILL);
    return pid;
}

static void wait_trap(pid_t pid)
{
    int st;
    if (waitpid(pid, &st, 0) != pid)
        die("waitpid");
    if (!WIFSTOPPED(st) || WSTOPSIG(st) != SIGTRAP) {
        fprintf(stderr, "unexpected wait status %#x\n", st);
        exit(1);
    }
}

static void end_child(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

static void do_step(long n)
{
    pid_t pid = traced_child();
    double t0 = now();
    for (long i = 0; i < n; i++) {
        if (ptrace(PTRACE_SINGLESTEP, pid, 0, 0) < 0)
            die("PTRACE_SINGLESTEP");
        wait_trap(pid);
    }
    double t = now() - t0;
    end_child(pid);
    printf("FLOOR steps_per_s %.1f\n", n / t);
}

static void do_bp(long n)
{
    pid_t pid = traced_child();
    uintptr_t addr = (uintptr_t)&f;
    errno = 0;
    long orig = ptrace(PTRACE_PEEKTEXT, pid, (void *)addr, 0);
    if (errno)
        die("PTRACE_PEEKTEXT");
    long trap = (orig & ~0xffL) | 0xcc;
    if (ptrace(PTRACE_POKETEXT, pid, (void *)addr, (void *)trap) < 0)
        die("PTRACE_POKETEXT");
    double t0 = now();
    for (long i = 0; i < n; i++) {
        struct user_regs_struct regs;
        if (ptrace(PTRACE_CONT, pid, 0, 0) < 0)
            die("PTRACE_CONT");
        wait_trap(pid);
        if (ptrace(PTRACE_GETREGS, pid, 0, &regs) < 0)
            die("PTRACE_GETREGS");
        if (regs.rip != addr + 1) {
            fprintf(stderr, "stopped at %#llx, not at the breakpoint\n", regs.rip);
            exit(1);
        }
        regs.rip = addr;
        if (ptrace(PTRACE_SETREGS, pid, 0, &regs) < 0)
            die("PTRACE_SETREGS");
        if (ptrace(PTRACE_POKETEXT, pid, (void *)addr, (void *)orig) < 0)
            die("PTRACE_POKETEXT");
        if (ptrace(PTRACE_SINGLESTEP, pid, 0, 0) < 0)
            die("PTRACE_SINGLESTEP");
        wait_trap(pid);
        if (ptrace(PTRACE_POKETEXT, pid, (void *)addr, (void *)trap) < 0)
            die("PTRACE_POKETEXT");
    }
    double t = now() - t0;
    end_child(pid);
    printf("FLOOR hits_per_s %.1f\n", n / t);
}

static void do_read(long mib, long passes)
{
    size_t size = (size_t)mib << 20, chunk = 1 << 20;
    unsigned char *buf = malloc(size), *dst = malloc(size);
    int ready[2];
    if (!buf || !dst || pipe(ready) < 0)
        die("setup");
    memset(dst, 1, size);
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        alarm(300);
        uint32_t x = 2463534242u;
        for (size_t i = 0; i < size; i += 4) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            memcpy(buf + i, &x, 4);
        }
        if (write(ready[1], "r", 1) != 1)
            _exit(1);
        for (;;)
            pause();
    }
    char c;
    if (read(ready[0], &c, 1) != 1)
        die("read (child ready)");
    double t0 = now();
    for (long p = 0; p < passes; p++)
        for (size_t off = 0; off < size; off += chunk) {
            struct iovec local = {dst + off, chunk}, remote = {buf + off, chunk};
            if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != (ssize_t)chunk)
                die("process_vm_readv");
        }
    double t = now() - t0;
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    printf("FLOOR read_mb_per_s %.1f\n", (double)size * passes / t / 1e6);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 3 && !strcmp(argv[1], "step"))
        do_step(atol(argv[2]));
    else if (argc >= 3 && !strcmp(argv[1], "bp"))
        do_bp(atol(argv[2]));
    else if (argc >= 4 && !strcmp(argv[1], "read"))
        do_read(atol(argv[2]), atol(argv[3]));
    else {
        fprintf(stderr, "usage: floor step N | bp N | read MIB PASSES\n");
        return 2;
    }
    return 0;
}
