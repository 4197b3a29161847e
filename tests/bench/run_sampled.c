/* dmafeed-bench-run: runs a command for a fixed time and samples its CPU time, for
 * tools/bench-present, so that every client is measured the same way over the same window.
 *
 *   dmafeed-bench-run --seconds S --out FILE [--interval-ms N] [--grace S] [--watch PID] -- COMMAND [ARG...]
 *
 * Starts COMMAND (its stdio inherited), reads utime + stime of /proc/PID/stat (all its threads,
 * clock ticks) every N ms (default 50) and once more exactly S seconds after the start; then sends
 * SIGINT (the clients measured stop cleanly on it), after --grace seconds (default 10) SIGTERM,
 * 3 s later SIGKILL. --watch samples another process (the compositor) at the same times. Writes FILE:
 *   spawn_ns T            CLOCK_MONOTONIC just before fork
 *   end_ns T              the last sample (spawn + S, or the command's exit if it came first)
 *   clk_tck N
 *   sample T TICKS        one line per sample, the first at spawn with 0 ticks
 *   watch T TICKS         the same for --watch's process (its total since it started)
 *   ended_early 0|1       whether the command exited before S seconds
 *   stopped_by_signal N   the signal it stopped on (2: SIGINT, as it should)
 *   stop_ns T             when the command had exited
 *   exit_status N / exit_signal N
 *   rusage_cpu_ms X       the whole life's CPU time from wait4 (shutdown included)
 * Exit status: 0 when the command ran S seconds (whatever it exited with after the stop signal),
 * 1 when it exited early, 2 on a usage or system error. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_until(uint64_t t)
{
    const struct timespec ts = {.tv_sec = (time_t)(t / 1000000000u), .tv_nsec = (long)(t % 1000000000u)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
}

/* utime + stime in clock ticks from an open /proc/PID/stat, or -1. */
static long long read_ticks(int fd)
{
    char buf[1024];
    const ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0) return -1;
    buf[n] = 0;
    const char *p = strrchr(buf, ')');  /* the command name may hold spaces and parentheses */
    if (!p) return -1;
    unsigned long long utime = 0, stime = 0;
    /* After ")": state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime */
    if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2) return -1;
    return (long long)(utime + stime);
}

static int usage(void)
{
    fprintf(stderr, "usage: dmafeed-bench-run --seconds S --out FILE [--interval-ms N] [--grace S] [--watch PID] -- COMMAND [ARG...]\n");
    return 2;
}

int main(int argc, char **argv)
{
    double seconds = 0, grace = 10;
    long interval_ms = 50;
    const char *out_path = NULL;
    long watch_pid = 0;
    int i = 1;
    for (; i < argc; ++i) {
        if (strcmp(argv[i], "--") == 0) {
            ++i;
            break;
        }
        if (i + 1 >= argc) return usage();
        if (strcmp(argv[i], "--seconds") == 0) seconds = strtod(argv[++i], NULL);
        else if (strcmp(argv[i], "--out") == 0) out_path = argv[++i];
        else if (strcmp(argv[i], "--interval-ms") == 0) interval_ms = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--grace") == 0) grace = strtod(argv[++i], NULL);
        else if (strcmp(argv[i], "--watch") == 0) watch_pid = strtol(argv[++i], NULL, 10);
        else return usage();
    }
    if (i >= argc || seconds <= 0 || !out_path || interval_ms <= 0) return usage();
    FILE *out = fopen(out_path, "w");
    if (!out) {
        fprintf(stderr, "dmafeed-bench-run: %s: %s\n", out_path, strerror(errno));
        return 2;
    }

    int watch_fd = -1;
    if (watch_pid > 0) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%ld/stat", watch_pid);
        watch_fd = open(path, O_RDONLY | O_CLOEXEC);
        if (watch_fd < 0) fprintf(stderr, "dmafeed-bench-run: %s: %s\n", path, strerror(errno));
    }
    const long long watch_start = watch_fd >= 0 ? read_ticks(watch_fd) : -1;
    const uint64_t spawn = now_ns();
    const pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "dmafeed-bench-run: fork: %s\n", strerror(errno));
        return 2;
    }
    if (pid == 0) {
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        execvp(argv[i], argv + i);
        fprintf(stderr, "dmafeed-bench-run: %s: %s\n", argv[i], strerror(errno));
        _exit(127);
    }
    char stat_path[64];
    snprintf(stat_path, sizeof stat_path, "/proc/%d/stat", (int)pid);
    const int stat_fd = open(stat_path, O_RDONLY | O_CLOEXEC);
    const long tck = sysconf(_SC_CLK_TCK);
    fprintf(out, "spawn_ns %llu\nclk_tck %ld\nsample %llu 0\n", (unsigned long long)spawn, tck, (unsigned long long)spawn);
    if (watch_start >= 0) fprintf(out, "watch %llu %lld\n", (unsigned long long)spawn, watch_start);

    const uint64_t end = spawn + (uint64_t)(seconds * 1e9);
    const uint64_t step = (uint64_t)interval_ms * 1000000u;
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    int ended_early = 0;
    uint64_t last = spawn;
    for (uint64_t next = spawn + step;; next += step) {
        const uint64_t at = next < end ? next : end;
        sleep_until(at);
        if (wait4(pid, &status, WNOHANG, &ru) == pid) {
            ended_early = 1;
            last = now_ns();
            break;
        }
        const long long ticks = read_ticks(stat_fd);
        last = now_ns();
        if (ticks >= 0) fprintf(out, "sample %llu %lld\n", (unsigned long long)last, ticks);
        const long long watched = watch_fd >= 0 ? read_ticks(watch_fd) : -1;
        if (watched >= 0) fprintf(out, "watch %llu %lld\n", (unsigned long long)last, watched);
        if (at == end) break;
    }
    fprintf(out, "end_ns %llu\nended_early %d\n", (unsigned long long)last, ended_early);
    if (!ended_early) {
        const int sigs[] = {SIGINT, SIGTERM, SIGKILL};
        const double waits[] = {grace, 3, 10};
        int done = 0;
        for (size_t s = 0; s < 3 && !done; ++s) {
            kill(pid, sigs[s]);
            const uint64_t until = now_ns() + (uint64_t)(waits[s] * 1e9);
            while (now_ns() < until) {
                if (wait4(pid, &status, WNOHANG, &ru) == pid) {
                    done = 1;
                    break;
                }
                sleep_until(now_ns() + 20000000u);
            }
            if (done) fprintf(out, "stopped_by_signal %d\n", sigs[s]);
            else fprintf(stderr, "dmafeed-bench-run: %s did not stop on signal %d\n", argv[i], sigs[s]);
        }
    }
    if (stat_fd >= 0) close(stat_fd);
    if (watch_fd >= 0) close(watch_fd);
    fprintf(out, "stop_ns %llu\n", (unsigned long long)now_ns());
    if (WIFEXITED(status)) fprintf(out, "exit_status %d\n", WEXITSTATUS(status));
    else if (WIFSIGNALED(status)) fprintf(out, "exit_signal %d\n", WTERMSIG(status));
    fprintf(out, "rusage_cpu_ms %.1f\n",
            (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3);
    fclose(out);
    return ended_early ? 1 : 0;
}
