/* What the vm suite's C hosts (vulkan_host.c, egl_host.c) share: their arguments, the end of the
 * loop on SIGINT/SIGTERM, the producer's creation, the buffers seen, queueing a frame paced by the compositor, and the
 * report the tests read. Static inline, so that each host stays one C file built against
 * `pkg-config dmafeed` alone. */
#ifndef DMAFEED_TESTS_C_HOST_H
#define DMAFEED_TESTS_C_HOST_H

#include <dmafeed/dmafeed.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t c_host_stop; /* SIGINT or SIGTERM came: end the loop */
static const char* c_host_name = "";

static inline void c_host_on_signal(int sig)
{
    (void)sig;
    c_host_stop = 1;
}

/* `what` failed; with `result`, a dmafeed call that returned it (and dmafeed_last_error says why). */
static inline int c_host_fail(const char* what, dmafeed_result result)
{
    fprintf(stderr, "%s: %s%s%s%s%s\n", c_host_name, what, result ? ": " : "", result ? dmafeed_result_name(result) : "",
            result ? ": " : "", result ? dmafeed_last_error() : "");
    return 1;
}

/* Reads RRGGBB [FRAMES ...] (300 frames by default) and sets up the signals; 0 after printing
 * `usage` when the arguments are wrong. */
static inline int c_host_start(const char* name, int argc, char** argv, const char* usage, unsigned long* rgb,
                               unsigned long* frames)
{
    c_host_name = name;
    if (argc < 2 || strlen(argv[1]) != 6) {
        fprintf(stderr, "usage: %s %s\n", argv[0], usage);
        return 0;
    }
    *rgb = strtoul(argv[1], NULL, 16);
    *frames = argc > 2 ? strtoul(argv[2], NULL, 10) : 300;
    signal(SIGINT, c_host_on_signal);
    signal(SIGTERM, c_host_on_signal);
    return 1;
}

/* A fullscreen configuration (the tests capture the whole output) with `title` and a 20 s timeout
 * (llvmpipe under TCG); NULL after saying why. */
static inline dmafeed_config* c_host_config(const char* title)
{
    dmafeed_config* config = dmafeed_config_new();
    if (!config) {
        c_host_fail("dmafeed_config_new", DMAFEED_ERROR_NO_MEMORY);
        return NULL;
    }
    dmafeed_config_set_title(config, title);
    dmafeed_config_set_timeout_ms(config, 20000);
    dmafeed_config_set_fullscreen(config, 1);
    return config;
}

/* The producer of `config`, which is freed; NULL after saying why. */
static inline dmafeed_producer* c_host_create(dmafeed_config* config)
{
    dmafeed_producer* p = NULL;
    const dmafeed_result created = dmafeed_producer_create(config, &p);
    dmafeed_config_free(config);
    if (created != DMAFEED_OK) c_host_fail("dmafeed_producer_create", created);
    return p;
}

/* The distinct buffers the frames came in (the first 8). */
struct c_host_buffers {
    uint64_t id[8];
    unsigned count;
};

static inline void c_host_saw(struct c_host_buffers* buffers, uint64_t id)
{
    for (unsigned i = 0; i < buffers->count; ++i) {
        if (buffers->id[i] == id) return;
    }
    if (buffers->count < 8) buffers->id[buffers->count++] = id;
}

/* Queues frame number `n` with `fence_fd` (-1: none; the producer owns it) and waits for the
 * compositor's next frame callback. */
static inline dmafeed_result c_host_queue(dmafeed_producer* p, dmafeed_frame* frame, unsigned long n, int fence_fd)
{
    const dmafeed_result r = dmafeed_queue_fenced(p, frame, n * 16666667ull, fence_fd);
    return r == DMAFEED_OK ? dmafeed_wait_for_frame(p) : r;
}

/* Prints "frames N, fenced M, buffers B" and the stats. */
static inline void c_host_report(const dmafeed_producer* p, unsigned long frames, unsigned long fenced,
                                 const struct c_host_buffers* buffers)
{
    dmafeed_stats stats;
    dmafeed_stats_init(&stats);
    dmafeed_get_stats(p, &stats);
    printf("frames %lu, fenced %lu, buffers %u\n", frames, fenced, buffers->count);
    printf("queued %llu, presented %llu, dropped %llu\n", (unsigned long long)stats.queued,
           (unsigned long long)stats.presented, (unsigned long long)stats.dropped);
}

#endif /* DMAFEED_TESTS_C_HOST_H */
