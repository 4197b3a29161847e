/* libdmafeed-bench-commits: an LD_PRELOAD library for tools/bench-present. It counts and times a
 * Wayland client's wl_surface.commit requests without WAYLAND_DEBUG's logging, so that a client
 * that speaks no wp_presentation (weston-simple-dmabuf-egl) can be measured in a normal run, and
 * every client the same way.
 *
 * It wraps wl_proxy_marshal_array_flags, where libwayland-client sends every request: the inline
 * protocol stubs call wl_proxy_marshal_flags, which calls wl_proxy_marshal_array_flags through the
 * library's PLT, so the preloaded definition sees those calls too (and the older wl_proxy_marshal*
 * entry points end there as well). A frame is a wl_surface.commit after a wl_surface.attach of a
 * buffer to the same surface; its CLOCK_MONOTONIC time is kept in memory.
 *
 * At exit (a destructor), or on SIGINT or SIGTERM while the client has no handler of its own, it
 * writes to the file named by DMAFEED_BENCH_COMMITS (through a temporary file and rename):
 *   pid N
 *   start_ns T           the library's constructor (the process's start, near enough)
 *   first_attach_ns T    the first attach of a buffer (0: none)
 *   frames N             commits after an attach of a buffer
 *   commits N            all wl_surface.commit requests
 *   frame_ns             then one CLOCK_MONOTONIC time a line, each frame's commit
 * Without DMAFEED_BENCH_COMMITS it counts and writes nothing. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct wl_proxy;
struct wl_interface;
union wl_argument {
    int32_t i;
    uint32_t u;
    int32_t f;
    const char *s;
    void *o;
    uint32_t n;
    void *a;
    int32_t h;
};

typedef struct wl_proxy *(*marshal_array_flags_fn)(struct wl_proxy *, uint32_t, const struct wl_interface *,
                                                   uint32_t, uint32_t, union wl_argument *);
typedef const char *(*get_class_fn)(struct wl_proxy *);

enum { SURFACE_DESTROY = 0, SURFACE_ATTACH = 1, SURFACE_COMMIT = 6 };
enum { MAX_FRAMES = 1 << 17, MAX_SURFACES = 32 };

static char out_path[4096];
static uint64_t start_ns;
static _Atomic uint64_t first_attach_ns;
static _Atomic uint64_t frame_count;
static _Atomic uint64_t commit_count;
static uint64_t frame_ns[MAX_FRAMES];
static atomic_flag written = ATOMIC_FLAG_INIT;

/* Surfaces with a buffer attached since their last commit. */
static pthread_mutex_t surfaces_lock = PTHREAD_MUTEX_INITIALIZER;
static struct wl_proxy *attached[MAX_SURFACES];

static marshal_array_flags_fn real_marshal;
static get_class_fn get_class;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *lookup(const char *name)
{
    return dlsym(RTLD_NEXT, name);
}

/* Marks (attach) or clears (commit, destroy) a surface; returns whether it was marked. */
static bool set_attached(struct wl_proxy *surface, bool mark)
{
    bool was = false;
    int free_slot = -1;
    pthread_mutex_lock(&surfaces_lock);
    for (int i = 0; i < MAX_SURFACES; ++i) {
        if (attached[i] == surface) {
            was = true;
            if (!mark) attached[i] = NULL;
            free_slot = -2;
            break;
        }
        if (!attached[i] && free_slot == -1) free_slot = i;
    }
    if (mark && free_slot >= 0) attached[free_slot] = surface;
    pthread_mutex_unlock(&surfaces_lock);
    return was;
}

static void count(struct wl_proxy *proxy, uint32_t opcode, const union wl_argument *args)
{
    if (!get_class || opcode > SURFACE_COMMIT) return;
    const char *cls = get_class(proxy);
    if (!cls || strcmp(cls, "wl_surface") != 0) return;
    if (opcode == SURFACE_ATTACH) {
        if (args && args[0].o) {
            uint64_t expected = 0;
            atomic_compare_exchange_strong(&first_attach_ns, &expected, now_ns());
            set_attached(proxy, true);
        }
    } else if (opcode == SURFACE_COMMIT) {
        atomic_fetch_add(&commit_count, 1);
        if (set_attached(proxy, false)) {
            const uint64_t i = atomic_fetch_add(&frame_count, 1);
            if (i < MAX_FRAMES) frame_ns[i] = now_ns();
        }
    } else if (opcode == SURFACE_DESTROY) {
        set_attached(proxy, false);
    }
}

struct wl_proxy *wl_proxy_marshal_array_flags(struct wl_proxy *proxy, uint32_t opcode, const struct wl_interface *interface,
                                              uint32_t version, uint32_t flags, union wl_argument *args)
{
    if (!real_marshal) {
        void *sym = lookup("wl_proxy_marshal_array_flags");
        memcpy(&real_marshal, &sym, sizeof real_marshal);
        if (!real_marshal) abort();
    }
    if (out_path[0]) count(proxy, opcode, args);
    return real_marshal(proxy, opcode, interface, version, flags, args);
}

/* Async-signal-safe output: a line "key value" or a bare value. */
struct out {
    int fd;
    char buf[4096];
    size_t len;
};

static void flush(struct out *o)
{
    size_t done = 0;
    while (done < o->len) {
        const ssize_t n = write(o->fd, o->buf + done, o->len - done);
        if (n <= 0) break;
        done += (size_t)n;
    }
    o->len = 0;
}

static void put(struct out *o, const char *s)
{
    for (; *s; ++s) {
        if (o->len == sizeof o->buf) flush(o);
        o->buf[o->len++] = *s;
    }
}

static void put_u64(struct out *o, uint64_t v)
{
    char digits[24];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    char s[24];
    for (size_t i = 0; i < n; ++i) s[i] = digits[n - 1 - i];
    s[n] = 0;
    put(o, s);
}

static void put_line(struct out *o, const char *key, uint64_t v)
{
    put(o, key);
    put(o, " ");
    put_u64(o, v);
    put(o, "\n");
}

static void write_results(void)
{
    if (!out_path[0] || atomic_flag_test_and_set(&written)) return;
    char tmp[sizeof out_path + 8];
    const size_t len = strlen(out_path);
    memcpy(tmp, out_path, len);
    memcpy(tmp + len, ".tmp", 5);
    struct out o = {.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)};
    if (o.fd < 0) return;
    const uint64_t frames = atomic_load(&frame_count);
    put_line(&o, "pid", (uint64_t)getpid());
    put_line(&o, "start_ns", start_ns);
    put_line(&o, "first_attach_ns", atomic_load(&first_attach_ns));
    put_line(&o, "frames", frames);
    put_line(&o, "commits", atomic_load(&commit_count));
    put(&o, "frame_ns\n");
    for (uint64_t i = 0; i < frames && i < MAX_FRAMES; ++i) {
        put_u64(&o, frame_ns[i]);
        put(&o, "\n");
    }
    flush(&o);
    close(o.fd);
    rename(tmp, out_path);
}

static void on_signal(int sig)
{
    write_results();
    signal(sig, SIG_DFL);
    raise(sig);
}

__attribute__((constructor)) static void init(void)
{
    start_ns = now_ns();
    const char *path = getenv("DMAFEED_BENCH_COMMITS");
    if (!path || !*path || strlen(path) >= sizeof out_path) return;
    void *sym = lookup("wl_proxy_get_class");
    memcpy(&get_class, &sym, sizeof get_class);
    strcpy(out_path, path);
    /* A client's own handler replaces these; it then exits through exit(), and the destructor writes. */
    const int sigs[] = {SIGINT, SIGTERM};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; ++i) {
        struct sigaction old;
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL) {
            struct sigaction sa;
            memset(&sa, 0, sizeof sa);
            sa.sa_handler = on_signal;
            sigemptyset(&sa.sa_mask);
            sigaction(sigs[i], &sa, NULL);
        }
    }
}

__attribute__((destructor)) static void fini(void)
{
    write_results();
}
