/* A C pipeline's use of dmafeed, through the installed API only (<dmafeed/dmafeed.h>, pkg-config
 * dmafeed): fills every frame with one colour through the CPU pointers and queues it, paced by the
 * compositor, until N frames or SIGINT/SIGTERM; then prints the stats.
 *
 * Usage: dmafeed-example RRGGBB [FRAMES [ALLOCATOR [TIMEOUT_MS]]]    (runs against $WAYLAND_DISPLAY)
 *   ALLOCATOR:  auto (default), vulkan, gbm or udmabuf
 *   TIMEOUT_MS: the longest wait for the compositor (a frame callback, a free buffer); 5000 by default */
#include <dmafeed/dmafeed.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig) { (void)sig; stop = 1; }

static void on_presented(void* user, uint64_t frame_id, uint64_t pts_ns, int presented, uint64_t time_ns, uint32_t flags)
{
    (void)frame_id, (void)pts_ns, (void)time_ns, (void)flags;
    if (presented) ++*(unsigned long*)user;
}

int main(int argc, char** argv)
{
    if (argc < 2 || strlen(argv[1]) != 6) {
        fprintf(stderr, "usage: %s RRGGBB [FRAMES [auto|vulkan|gbm|udmabuf [TIMEOUT_MS]]]\n", argv[0]);
        return 2;
    }
    const unsigned long rgb = strtoul(argv[1], NULL, 16);
    const unsigned long frames = argc > 2 ? strtoul(argv[2], NULL, 10) : 300;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    dmafeed_config config;
    dmafeed_config_init(&config);
    config.explicit_modifier = 1; /* LINEAR: CPU pointers */
    config.modifier = 0;
    config.title = "dmafeed C example";
    if (argc > 3) config.allocator = argv[3];
    if (argc > 4) config.timeout_ms = atoi(argv[4]);
    char error[1024];
    dmafeed_producer* p = dmafeed_producer_create(&config, error, sizeof error);
    if (!p) {
        fprintf(stderr, "dmafeed-example: %s\n", error);
        return 1;
    }
    unsigned long presented = 0;
    dmafeed_set_presented_callback(p, on_presented, &presented);

    int status = 0;
    for (unsigned long n = 0; n < frames && !stop; ++n) {
        dmafeed_frame frame;
        const int got = dmafeed_acquire(p, &frame, 1000);
        if (got < 0) { fprintf(stderr, "dmafeed-example: %s\n", dmafeed_last_error(p)); status = 1; break; }
        if (got == 0) continue;
        if (!frame.data[0]) { fprintf(stderr, "dmafeed-example: the buffer has no CPU mapping\n"); status = 1; break; }
        for (uint32_t y = 0; y < frame.height; ++y) {
            uint32_t* row = (uint32_t*)(frame.data[0] + (size_t)y * frame.stride[0]);
            for (uint32_t x = 0; x < frame.width; ++x) row[x] = 0xff000000u | (uint32_t)rgb; /* XRGB8888 */
        }
        if (dmafeed_queue(p, &frame, n * 16666667ull) < 0 || dmafeed_wait_for_frame(p) < 0) {
            fprintf(stderr, "dmafeed-example: %s\n", dmafeed_last_error(p));
            status = 1;
            break;
        }
    }
    dmafeed_stats stats;
    dmafeed_get_stats(p, &stats);
    printf("queued %llu, presented %llu (callbacks %lu), dropped %llu, %.1f fps\n", (unsigned long long)stats.queued,
           (unsigned long long)stats.presented, presented, (unsigned long long)stats.dropped, stats.presented_fps);
    dmafeed_producer_destroy(p);
    return status;
}
