/* dmafeed-bench-soak-host: a library host for tools/bench-soak. For SECONDS it acquires a frame,
 * writes a 16-row band of it through the CPU pointers (the band moves down a row each frame), and
 * queues it, paced by dmafeed_wait_for_frame; every 10th frame it abandons instead (given back
 * unshown, dmafeed_abandon) and acquires again. Every INTERVAL seconds it prints a progress line on
 * stderr in the shape of `dmafeed --progress S --json`'s: the library's stats and this process's
 * resident set, heap, open files and dma-bufs. A summary goes to stdout at the end.
 * Usage: dmafeed-bench-soak-host SECONDS INTERVAL [WIDTHxHEIGHT]   (default 1920x1080) */
#define _GNU_SOURCE
#include <dmafeed/dmafeed.h>

#include <dirent.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct usage {
    unsigned long long rss, heap;
    int fds, dmabufs;
};

static struct usage process_usage(void)
{
    struct usage u = {0, 0, -1, 0};
    struct mallinfo2 mi = mallinfo2();
    u.heap = (unsigned long long)mi.uordblks + (unsigned long long)mi.hblkhd;
    FILE* f = fopen("/proc/self/statm", "re");
    if (f) {
        unsigned long long size = 0, resident = 0;
        if (fscanf(f, "%llu %llu", &size, &resident) == 2) u.rss = resident * (unsigned long long)sysconf(_SC_PAGESIZE);
        fclose(f);
    }
    DIR* dir = opendir("/proc/self/fd");
    if (!dir) return u;
    u.fds = 0;
    for (struct dirent* e; (e = readdir(dir));) {
        if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(dir)) continue;
        ++u.fds;
        char link[300], target[64] = {0};
        snprintf(link, sizeof link, "/proc/self/fd/%s", e->d_name);
        if (readlink(link, target, sizeof target - 1) > 0 &&
            (strncmp(target, "/dmabuf:", 8) == 0 || strcmp(target, "anon_inode:dmabuf") == 0)) {
            ++u.dmabufs;
        }
    }
    closedir(dir);
    return u;
}

static void progress(dmafeed_producer* p, double seconds, unsigned long long frames)
{
    dmafeed_stats s;
    dmafeed_stats_init(&s);
    dmafeed_get_stats(p, &s);
    const struct usage u = process_usage();
    fprintf(stderr,
            "{\"progress\": {\"seconds\": %.3f, \"frames\": %llu, \"presented\": %llu, \"presented_fps\": %.2f, "
            "\"latency_ms\": {\"p50\": %.2f, \"p99\": %.2f}, \"dropped\": %llu, \"discarded\": %llu, "
            "\"refused_buffers\": %llu, \"rss_bytes\": %llu, \"heap_bytes\": %llu, \"open_fds\": %d, \"dmabufs\": %d}}\n",
            seconds, frames, (unsigned long long)s.presented, s.presented_fps, s.latency_p50_ms, s.latency_p99_ms,
            (unsigned long long)s.dropped, (unsigned long long)s.discarded, (unsigned long long)s.refused, u.rss, u.heap,
            u.fds, u.dmabufs);
}

int main(int argc, char** argv)
{
    unsigned width = 1920, height = 1080;
    if (argc < 3 || argc > 4 || (argc == 4 && sscanf(argv[3], "%ux%u", &width, &height) != 2)) {
        fprintf(stderr, "usage: %s SECONDS INTERVAL [WIDTHxHEIGHT]\n", argv[0]);
        return 2;
    }
    const double seconds = atof(argv[1]), interval = atof(argv[2]);
    if (seconds <= 0 || interval <= 0) {
        fprintf(stderr, "dmafeed-bench-soak-host: SECONDS and INTERVAL must be more than 0\n");
        return 2;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    dmafeed_config* config = dmafeed_config_new();
    if (!config) return 1;
    dmafeed_config_set_modifier(config, 0); /* LINEAR: CPU pointers */
    dmafeed_config_set_size(config, width, height);
    dmafeed_config_set_title(config, "dmafeed soak host");
    dmafeed_producer* p = NULL;
    const dmafeed_result created = dmafeed_producer_create(config, &p);
    dmafeed_config_free(config);
    if (created != DMAFEED_OK) {
        fprintf(stderr, "dmafeed-bench-soak-host: %s: %s\n", dmafeed_result_name(created), dmafeed_last_error());
        return 1;
    }
    const double start = now_s();
    double next = start + interval;
    unsigned long long frames = 0, acquired = 0, abandoned = 0;
    int status = 0;
    while (!stop && now_s() - start < seconds) {
        dmafeed_frame frame;
        dmafeed_frame_init(&frame);
        const dmafeed_result got = dmafeed_acquire(p, &frame, 1000);
        if (got < 0) {
            fprintf(stderr, "dmafeed-bench-soak-host: acquire: %s: %s\n", dmafeed_result_name(got), dmafeed_last_error());
            status = 1;
            break;
        }
        if (got == DMAFEED_OK && ++acquired % 10 == 0) {
            const dmafeed_result r = dmafeed_abandon(p, &frame);
            if (r != DMAFEED_OK) {
                fprintf(stderr, "dmafeed-bench-soak-host: abandon: %s: %s\n", dmafeed_result_name(r), dmafeed_last_error());
                status = 1;
                break;
            }
            ++abandoned;
            continue;
        }
        if (got == DMAFEED_OK && frame.data[0]) {
            const uint32_t top = (uint32_t)(frames % (frame.height > 16 ? frame.height - 16 : 1));
            for (uint32_t y = top; y < top + 16 && y < frame.height; ++y) {
                memset(frame.data[0] + (size_t)y * frame.stride[0], (int)(frames & 0xff), (size_t)frame.width * 4);
            }
        }
        if (got == DMAFEED_OK) {
            dmafeed_result r = dmafeed_queue(p, &frame, frames);
            if (r == DMAFEED_OK) r = dmafeed_wait_for_frame(p);
            if (r != DMAFEED_OK) {
                fprintf(stderr, "dmafeed-bench-soak-host: %s: %s\n", dmafeed_result_name(r), dmafeed_last_error());
                status = 1;
                break;
            }
            ++frames;
        }
        if (now_s() >= next) {
            progress(p, now_s() - start, frames);
            while (next <= now_s()) next += interval;
        }
    }
    progress(p, now_s() - start, frames);
    dmafeed_stats s;
    dmafeed_stats_init(&s);
    dmafeed_get_stats(p, &s);
    printf("{\"frames\": %llu, \"abandoned\": %llu, \"presented\": %llu, \"dropped\": %llu, \"refused_buffers\": %llu, "
           "\"seconds\": %.3f}\n",
           frames, abandoned, (unsigned long long)s.presented, (unsigned long long)s.dropped, (unsigned long long)s.refused,
           now_s() - start);
    dmafeed_producer_destroy(p);
    return status;
}
