/* A C pipeline's use of dmafeed, through the installed API only (<dmafeed/dmafeed.h>, pkg-config
 * dmafeed): fills every frame with one colour through the CPU pointers and queues it, paced by the
 * compositor, until N frames or SIGINT/SIGTERM; then prints the stats. The library's messages go
 * through its log callback, prefixed with their level.
 *
 * Usage: dmafeed-example RRGGBB [FRAMES [ALLOCATOR [TIMEOUT_MS [WINDOW]]]]    (runs against $WAYLAND_DISPLAY)
 *   ALLOCATOR:  auto (default), vulkan, gbm or udmabuf
 *   TIMEOUT_MS: the longest wait for the compositor (a frame callback, a free buffer); 5000 by default
 *   WINDOW:     window (default) or fullscreen */
#include <dmafeed/dmafeed.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig) { (void)sig; stop = 1; }

static void on_presented(void* user, const dmafeed_presented* presented)
{
    if (presented->presented) ++*(unsigned long*)user;
}

static void on_log(void* user, dmafeed_log_level level, const char* message)
{
    static const char* const names[] = {"", "error", "warning", "info", "debug"};
    (void)user;
    fprintf(stderr, "dmafeed-example: %s: %s\n", level <= DMAFEED_LOG_DEBUG ? names[level] : "?", message);
}

static int fail(const char* what)
{
    fprintf(stderr, "dmafeed-example: %s: %s\n", what, dmafeed_last_error());
    return 1;
}

int main(int argc, char** argv)
{
    static const char* const allocators[] = {"auto", "vulkan", "gbm", "udmabuf"}; /* dmafeed_allocator's order */
    if (argc < 2 || strlen(argv[1]) != 6) {
        fprintf(stderr, "usage: %s RRGGBB [FRAMES [auto|vulkan|gbm|udmabuf [TIMEOUT_MS [window|fullscreen]]]]\n", argv[0]);
        return 2;
    }
    const unsigned long rgb = strtoul(argv[1], NULL, 16);
    const unsigned long frames = argc > 2 ? strtoul(argv[2], NULL, 10) : 300;
    int allocator = argc > 3 ? -1 : DMAFEED_ALLOCATOR_AUTO;
    for (int i = 0; argc > 3 && i < 4; ++i) {
        if (strcmp(argv[3], allocators[i]) == 0) allocator = i;
    }
    if (allocator < 0) {
        fprintf(stderr, "dmafeed-example: allocator '%s': use auto, vulkan, gbm or udmabuf\n", argv[3]);
        return 2;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    dmafeed_set_log_callback(on_log, NULL, DMAFEED_LOG_INFO);

    dmafeed_config* config = dmafeed_config_new();
    if (!config) return fail("dmafeed_config_new");
    dmafeed_config_set_modifier(config, 0); /* LINEAR: CPU pointers */
    dmafeed_config_set_title(config, "dmafeed C example");
    dmafeed_config_set_allocator(config, (dmafeed_allocator)allocator);
    if (argc > 4 && dmafeed_config_set_timeout_ms(config, atoi(argv[4])) != DMAFEED_OK) return fail("TIMEOUT_MS");
    if (argc > 5) dmafeed_config_set_fullscreen(config, strcmp(argv[5], "fullscreen") == 0);
    dmafeed_producer* p = NULL;
    const dmafeed_result created = dmafeed_producer_create(config, &p);
    dmafeed_config_free(config);
    if (created != DMAFEED_OK) return fail(dmafeed_result_name(created));
    unsigned long presented = 0;
    dmafeed_set_presented_callback(p, on_presented, &presented);

    int status = 0;
    for (unsigned long n = 0; n < frames && !stop; ++n) {
        dmafeed_frame frame;
        dmafeed_frame_init(&frame);
        const dmafeed_result got = dmafeed_acquire(p, &frame, 1000);
        if (got < 0) { status = fail(dmafeed_result_name(got)); break; }
        if (got != DMAFEED_OK) continue; /* timed out */
        if (!frame.data[0]) { fprintf(stderr, "dmafeed-example: the buffer has no CPU mapping\n"); status = 1; break; }
        for (uint32_t y = 0; y < frame.height; ++y) {
            uint32_t* row = (uint32_t*)(frame.data[0] + (size_t)y * frame.stride[0]);
            for (uint32_t x = 0; x < frame.width; ++x) row[x] = 0xff000000u | (uint32_t)rgb; /* XRGB8888 */
        }
        dmafeed_result r = dmafeed_queue(p, &frame, n * 16666667ull);
        if (r == DMAFEED_OK) r = dmafeed_wait_for_frame(p);
        if (r != DMAFEED_OK) { status = fail(dmafeed_result_name(r)); break; }
    }
    dmafeed_stats stats;
    dmafeed_stats_init(&stats);
    dmafeed_get_stats(p, &stats);
    printf("queued %llu, presented %llu (callbacks %lu), dropped %llu, %.1f fps\n", (unsigned long long)stats.queued,
           (unsigned long long)stats.presented, presented, (unsigned long long)stats.dropped, stats.presented_fps);
    dmafeed_producer_destroy(p);
    return status;
}
