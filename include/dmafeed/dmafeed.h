/* dmafeed's C API: the ABI of libdmafeed.so.1 (every symbol is dmafeed_*, versioned DMAFEED_1).
 *
 *   dmafeed_config* config = dmafeed_config_new();         // $WAYLAND_DISPLAY, XRGB8888, the compositor's size
 *   dmafeed_config_set_modifier(config, 0);                 // LINEAR: CPU pointers
 *   dmafeed_producer* p = NULL;
 *   dmafeed_result r = dmafeed_producer_create(config, &p);
 *   dmafeed_config_free(config);
 *   if (r != DMAFEED_OK) { fprintf(stderr, "%s\n", dmafeed_last_error()); return 1; }
 *   dmafeed_frame frame;
 *   dmafeed_frame_init(&frame);
 *   if (dmafeed_acquire(p, &frame, 100) == DMAFEED_OK) { fill(frame.data[0], frame.stride[0]); dmafeed_queue(p, &frame, pts); }
 *   dmafeed_producer_destroy(p);
 *
 * How it grows. No struct's size is part of the ABI where the library would have to guess it:
 * - input is an opaque object with typed setters (dmafeed_config);
 * - a struct the caller allocates for the library to fill (dmafeed_frame, dmafeed_dmabuf,
 *   dmafeed_stats) starts with struct_size, which the caller sets (the _init functions: inline,
 *   so that it is sizeof as the caller was compiled); the library writes only the fields that fit in it, and zeroes the rest of it;
 * - a struct the caller fills for the library to read (dmafeed_hdr_metadata) starts with
 *   struct_size too: the library reads only the fields within it, and takes the rest as 0;
 * - a struct the library hands out (dmafeed_vulkan, dmafeed_presented) starts with struct_size,
 *   set by the library: a field lies beyond it, and is absent, where DMAFEED_HAS_FIELD says no.
 * New fields are added at the ends of structs, new values at the ends of enums, new functions in
 * new version nodes; a caller treats an unknown negative dmafeed_result as an error.
 *
 * Errors. Functions return a dmafeed_result: DMAFEED_OK (0), a positive outcome that is not an
 * error (DMAFEED_TIMEOUT, DMAFEED_DROPPED: dmafeed_acquire and dmafeed_queue*), or a negative error code;
 * dmafeed_last_error() then says why, in words. Each function's comment lists the codes it
 * returns besides DMAFEED_OK. DMAFEED_ERROR_NO_MEMORY and DMAFEED_ERROR_FAILED may come from any
 * function that returns a dmafeed_result and does more than store a value.
 *
 * Threads. All calls on one producer are made from one thread; producers are independent.
 * dmafeed_set_log_callback, dmafeed_last_error, dmafeed_version*, dmafeed_result_name and
 * dmafeed_wait_background_set_ups may be called from any thread.
 *
 * Vulkan: a frame whose buffer has Vulkan images lists them in image[] with their device in
 * frame.vulkan; the host renders into them with its own commands and hands the producer a
 * sync_file with dmafeed_queue_fenced(): acquire from VK_QUEUE_FAMILY_FOREIGN_EXT, release to it
 * in VK_IMAGE_LAYOUT_GENERAL (the contract in full: docs/library.md and dmafeed(3)).
 *
 * Dma-bufs: dmafeed_frame_get_dmabuf gives the acquired frame's planes as dma-bufs (fd, offset,
 * pitch, with the format and modifier) for a host that imports them into EGL
 * (EGL_EXT_image_dma_buf_import_modifiers), VA-API, CUDA or V4L2 and renders or decodes straight
 * into them; it hands the producer a sync_file with dmafeed_queue_fenced() (-1 once the work is
 * done).
 *
 * Time. By default a frame's pts is the host's: it comes back in the presented callback and means
 * nothing to the producer. With dmafeed_config_set_pts_mode it is the time to show the frame at
 * (CLOCK_MONOTONIC, or the stream's time from its first frame): sent as a commit-timing timestamp
 * where the compositor offers wp_commit_timing_manager_v1, aimed at the refresh nearest to it, and
 * the stats say how far from it frames were shown; with dmafeed_config_set_drop_late, a frame
 * queued after its time is not shown (DMAFEED_DROPPED), as a GStreamer video sink drops it. */
#ifndef DMAFEED_H
#define DMAFEED_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <vulkan/vulkan.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this header, the same as the project's (meson.build); dmafeed_version() gives
 * the library's. */
#define DMAFEED_VERSION_MAJOR 0
#define DMAFEED_VERSION_MINOR 1
#define DMAFEED_VERSION_MICRO 0
#define DMAFEED_VERSION_STRING "0.1.0"
#define DMAFEED_VERSION_ENCODE(major, minor, micro) ((major) * 65536u + (minor) * 256u + (micro))
#define DMAFEED_VERSION DMAFEED_VERSION_ENCODE(DMAFEED_VERSION_MAJOR, DMAFEED_VERSION_MINOR, DMAFEED_VERSION_MICRO)

/* Whether a struct that the library handed out has `field`: older libraries fill fewer. */
#ifdef __cplusplus
#define DMAFEED_HAS_FIELD(pointer, type, field) ((pointer)->struct_size >= offsetof(type, field) + sizeof(type::field))
#else
#define DMAFEED_HAS_FIELD(pointer, type, field) \
    ((pointer)->struct_size >= offsetof(type, field) + sizeof(((const type*)0)->field))
#endif

#define DMAFEED_MAX_PLANES 4
#define DMAFEED_MAX_IMAGES 4

typedef enum dmafeed_result {
    DMAFEED_OK = 0,
    DMAFEED_TIMEOUT = 1, /* dmafeed_acquire: no buffer came free within the timeout; dmafeed_wait_background_set_ups */
    DMAFEED_DROPPED = 2, /* dmafeed_acquire: every buffer is held (drop_when_full); dmafeed_queue*: the
                          * frame's time had passed (drop_late): not shown. Counted as dropped */
    DMAFEED_ERROR_INVALID_ARGUMENT = -1, /* a NULL pointer, a struct_size too small, a value out of range */
    DMAFEED_ERROR_INVALID_STATE = -2,    /* out of order: a frame still acquired, or one that is not */
    DMAFEED_ERROR_DISCONNECTED = -3,     /* the connection to the compositor is gone: destroy the producer */
    DMAFEED_ERROR_NO_MEMORY = -4,
    DMAFEED_ERROR_FAILED = -5 /* anything else: no compositor, no usable layout, a timeout, an allocation */
} dmafeed_result;

typedef enum dmafeed_allocator {
    DMAFEED_ALLOCATOR_AUTO = 0, /* Vulkan and GBM */
    DMAFEED_ALLOCATOR_VULKAN = 1,
    DMAFEED_ALLOCATOR_GBM = 2,
    DMAFEED_ALLOCATOR_UDMABUF = 3 /* system memory made dma-bufs: CPU pointers, no Vulkan images */
} dmafeed_allocator;

typedef enum dmafeed_sync {
    DMAFEED_SYNC_AUTO = 0, /* explicit where the compositor offers it, else implicit */
    DMAFEED_SYNC_EXPLICIT = 1,
    DMAFEED_SYNC_IMPLICIT = 2
} dmafeed_sync;

/* What dmafeed_queue's pts_ns is (dmafeed_config_set_pts_mode). */
typedef enum dmafeed_pts_mode {
    DMAFEED_PTS_OPAQUE = 0,    /* the host's own: handed back in the presented callback (the default) */
    DMAFEED_PTS_MONOTONIC = 1, /* the time to show the frame at, CLOCK_MONOTONIC ns (the presentation
                                * clock: dmafeed_presented.time_ns's); 0: as soon as it can be */
    DMAFEED_PTS_STREAM = 2     /* the stream's time: the first frame is shown as soon as it can be,
                                * each later one its pts's distance after it (a pts below the
                                * first frame's starts the stream's clock again) */
} dmafeed_pts_mode;

/* How commits are paced (dmafeed_config_set_pacing). */
typedef enum dmafeed_pacing {
    DMAFEED_PACING_AUTO = 0,            /* fifo where the compositor offers wp_fifo_manager_v1, else frame callbacks */
    DMAFEED_PACING_FRAME_CALLBACKS = 1, /* one frame at a time: dmafeed_wait_for_frame waits for the last one's frame callback */
    DMAFEED_PACING_FIFO = 2             /* each commit waits in the compositor for the refresh after the previous
                                         * one's: dmafeed_wait_for_frame lets one more wait there; an error at
                                         * creation where the compositor does not offer it */
} dmafeed_pacing;

/* What the frames' colours mean (dmafeed_config_set_colorimetry), declared to the compositor
 * with wp_color_manager_v1: its named primaries and transfer functions. */
typedef enum dmafeed_primaries {
    DMAFEED_PRIMARIES_DEFAULT = 0, /* with a transfer function: BT.2020 for PQ and HLG, else sRGB */
    DMAFEED_PRIMARIES_SRGB = 1,    /* BT.709's */
    DMAFEED_PRIMARIES_BT2020 = 2,
    DMAFEED_PRIMARIES_DISPLAY_P3 = 3,
    DMAFEED_PRIMARIES_DCI_P3 = 4,
    DMAFEED_PRIMARIES_ADOBE_RGB = 5,
    DMAFEED_PRIMARIES_PAL = 6,  /* BT.601 625 lines */
    DMAFEED_PRIMARIES_NTSC = 7, /* BT.601 525 lines */
    DMAFEED_PRIMARIES_PAL_M = 8,
    DMAFEED_PRIMARIES_GENERIC_FILM = 9
} dmafeed_primaries;

typedef enum dmafeed_transfer {
    DMAFEED_TRANSFER_DEFAULT = 0, /* nothing declared: the compositor shows the frames as sRGB */
    DMAFEED_TRANSFER_SRGB = 1,
    DMAFEED_TRANSFER_GAMMA22 = 2,
    DMAFEED_TRANSFER_GAMMA28 = 3,
    DMAFEED_TRANSFER_BT1886 = 4,
    DMAFEED_TRANSFER_ST240 = 5,
    DMAFEED_TRANSFER_EXT_LINEAR = 6,
    DMAFEED_TRANSFER_ST2084_PQ = 7,
    DMAFEED_TRANSFER_HLG = 8,
    DMAFEED_TRANSFER_COMPOUND_POWER_2_4 = 9
} dmafeed_transfer;

typedef enum dmafeed_log_level {
    DMAFEED_LOG_ERROR = 1,
    DMAFEED_LOG_WARNING = 2,
    DMAFEED_LOG_INFO = 3,
    DMAFEED_LOG_DEBUG = 4
} dmafeed_log_level;

typedef struct dmafeed_config dmafeed_config;
typedef struct dmafeed_producer dmafeed_producer;

/* The Vulkan device of frames' images; owned by the producer (valid until it is destroyed). */
typedef struct dmafeed_vulkan {
    size_t struct_size; /* set by the library */
    VkInstance instance;
    VkPhysicalDevice physical_device;
    VkDevice device;
    uint32_t api_version;
    uint32_t queue_family_index;
    VkQueue queue;
    int exports_sync_fd; /* SYNC_FD semaphores export (VK_KHR_external_semaphore_fd enabled) */
} dmafeed_vulkan;

/* An acquired frame. The caller sets struct_size (dmafeed_frame_init); dmafeed_acquire fills the
 * rest. Per-plane and per-image values are arrays, so that the struct grows at its end. */
typedef struct dmafeed_frame {
    size_t struct_size;
    uint64_t id;        /* 0, 1, ... in acquire order: what dmafeed_queue identifies the frame by */
    uint64_t buffer_id; /* 1, 2, ... never reused */
    uint32_t width, height;
    uint32_t format; /* DRM fourcc */
    uint64_t modifier;
    uint32_t plane_count;
    uint8_t* data[DMAFEED_MAX_PLANES]; /* CPU pointers while acquired; NULL if not mappable */
    uint32_t stride[DMAFEED_MAX_PLANES];
    const dmafeed_vulkan* vulkan; /* NULL: no Vulkan images (image_count 0) */
    uint32_t image_usage;         /* VkImageUsageFlags of the images */
    uint32_t image_count;
    VkImage image[DMAFEED_MAX_IMAGES];
    VkImageView image_view[DMAFEED_MAX_IMAGES]; /* VK_NULL_HANDLE unless vulkan_usage allows views and the image has one plane */
    VkFormat image_format[DMAFEED_MAX_IMAGES];
    VkExtent2D image_extent[DMAFEED_MAX_IMAGES];
    uint32_t image_first_plane[DMAFEED_MAX_IMAGES]; /* the frame plane that is the image's plane 0 */
    uint32_t image_plane_count[DMAFEED_MAX_IMAGES];
} dmafeed_frame;
/* HDR10 static metadata (dmafeed_config_set_hdr_metadata). The caller sets struct_size
 * (dmafeed_hdr_metadata_init) and the fields it knows; fields beyond struct_size are taken as 0. */
typedef struct dmafeed_hdr_metadata {
    size_t struct_size;
    /* The mastering display (SMPTE ST 2086): CIE 1931 xy of its primaries and white point, and
     * its luminance range in cd/m². max_luminance 0: no mastering display. */
    double red_x, red_y, green_x, green_y, blue_x, blue_y, white_x, white_y;
    double min_luminance, max_luminance;
    uint32_t max_cll;  /* maximum content light level, cd/m² (CTA-861); 0: unknown */
    uint32_t max_fall; /* maximum frame-average light level, cd/m²; 0: unknown */
} dmafeed_hdr_metadata;
static inline void dmafeed_hdr_metadata_init(dmafeed_hdr_metadata* metadata)
{
    memset(metadata, 0, sizeof *metadata);
    metadata->struct_size = sizeof *metadata;
}

/* Zeroes a frame and sets its struct_size: inline, so that the size is the caller's. */
static inline void dmafeed_frame_init(dmafeed_frame* frame)
{
    memset(frame, 0, sizeof *frame);
    frame->struct_size = sizeof *frame;
}

/* An acquired frame's buffer as dma-bufs. The caller sets struct_size (dmafeed_dmabuf_init);
 * dmafeed_frame_get_dmabuf fills the rest.
 * The fds belong to the producer: the host never closes them. They stay open for as long as the
 * buffer lives, that is until the buffer-destroyed callback for buffer_id (or the producer's end),
 * and at least while the frame is acquired; dup one (F_DUPFD_CLOEXEC) to keep it longer. The
 * host's import of them (an EGLImage, a VASurface, CUDA memory) may be kept per buffer_id, reused
 * whenever a frame of that buffer comes back, and dropped in the buffer-destroyed callback.
 * Rendering into the buffer is allowed between dmafeed_acquire and dmafeed_queue* only. */
typedef struct dmafeed_dmabuf {
    size_t struct_size;
    uint64_t buffer_id; /* the frame's */
    uint32_t width, height;
    uint32_t format;      /* DRM fourcc */
    uint64_t modifier;    /* DRM_FORMAT_MOD_INVALID: the driver's implicit layout (import without one) */
    uint32_t plane_count; /* memory planes: the format's planes, plus a modifier's auxiliary planes */
    int fd[DMAFEED_MAX_PLANES];          /* a dma-buf per plane; planes of one dma-buf have the same fd */
    uint32_t offset[DMAFEED_MAX_PLANES]; /* bytes from the start of the plane's dma-buf */
    uint32_t pitch[DMAFEED_MAX_PLANES];  /* bytes per row */
    uint32_t fd_count;                   /* distinct dma-bufs in fd[]: 1 where every plane shares one */
    uint32_t fd_index[DMAFEED_MAX_PLANES]; /* per plane: its dma-buf, 0 .. fd_count - 1 in plane order (VA-API's objects) */
    uint64_t fd_size[DMAFEED_MAX_PLANES];  /* per dma-buf (by fd_index): its size in bytes; 0 where unknown */
} dmafeed_dmabuf;
static inline void dmafeed_dmabuf_init(dmafeed_dmabuf* dmabuf)
{
    memset(dmabuf, 0, sizeof *dmabuf);
    dmabuf->struct_size = sizeof *dmabuf;
}

typedef struct dmafeed_stats {
    size_t struct_size; /* set by the caller (dmafeed_stats_init) */
    uint64_t queued, presented, discarded, dropped, refused, zero_copy;
    double presented_fps, latency_p50_ms, latency_p99_ms;
    /* Added with DMAFEED_1.2: */
    uint64_t late;    /* of dropped: frames not shown because their time had passed (drop_late) */
    uint64_t unpaced; /* waits for a frame that ended without a frame callback: the window was not repainted */
    uint64_t timed;   /* presented frames that had a time to be shown at (pts mode) */
    double show_error_p50_ms, show_error_p99_ms; /* |presentation time - that time| */
    double show_error_mean_ms;                   /* signed: > 0 shown late on average */
} dmafeed_stats;
static inline void dmafeed_stats_init(dmafeed_stats* stats)
{
    memset(stats, 0, sizeof *stats);
    stats->struct_size = sizeof *stats;
}

/* What became of a queued frame; handed to the presented callback. */
typedef struct dmafeed_presented {
    size_t struct_size; /* set by the library */
    uint64_t frame_id;
    uint64_t pts_ns;    /* as given to dmafeed_queue */
    int presented;      /* 1: shown; 0: discarded */
    uint64_t time_ns;   /* presentation time (the compositor's clock, CLOCK_MONOTONIC usually) */
    uint32_t refresh_ns;
    uint32_t flags; /* wp_presentation_feedback.kind (0x8: zero-copy) */
    /* Added with DMAFEED_1.2 (DMAFEED_HAS_FIELD): */
    uint64_t show_at_ns; /* the time it was to be shown at (pts mode), the presentation clock; 0: none */
} dmafeed_presented;

typedef void (*dmafeed_presented_fn)(void* user, const dmafeed_presented* presented);
typedef void (*dmafeed_buffer_destroyed_fn)(void* user, uint64_t buffer_id);
typedef void (*dmafeed_dropped_fn)(void* user, uint64_t dropped);
typedef void (*dmafeed_log_fn)(void* user, dmafeed_log_level level, const char* message);

/* The library's version: DMAFEED_VERSION and DMAFEED_VERSION_STRING as it was built. */
uint32_t dmafeed_version(void);
const char* dmafeed_version_string(void);
/* "DMAFEED_ERROR_DISCONNECTED" for its code; "unknown" for a value this library does not know. */
const char* dmafeed_result_name(dmafeed_result result);
/* Why the calling thread's last call that returned an error failed; "" before any. Valid until
 * the thread's next failing call. */
const char* dmafeed_last_error(void);

/* Where the library's messages go, process-wide: to `callback` (from whichever thread logs them,
 * producers' creation included: set it first), or with NULL to standard error, the default.
 * Messages above `max_level` (DMAFEED_LOG_DEBUG is the most verbose) are not made at all.
 * DMAFEED_ERROR_INVALID_ARGUMENT: a level out of range. */
dmafeed_result dmafeed_set_log_callback(dmafeed_log_fn callback, void* user, dmafeed_log_level max_level);

/* A configuration with the defaults; NULL when out of memory. Setters copy strings; NULL
 * restores a string's default. Every setter returns DMAFEED_ERROR_INVALID_ARGUMENT for a NULL
 * config or a value out of range, and changes nothing then. */
dmafeed_config* dmafeed_config_new(void);
void dmafeed_config_free(dmafeed_config* config);
dmafeed_result dmafeed_config_set_display(dmafeed_config* config, const char* display); /* NULL: $WAYLAND_DISPLAY */
dmafeed_result dmafeed_config_set_format(dmafeed_config* config, uint32_t fourcc);    /* 0: XRGB8888 */
dmafeed_result dmafeed_config_set_modifier(dmafeed_config* config, uint64_t modifier); /* only this one; unset: negotiated */
dmafeed_result dmafeed_config_set_size(dmafeed_config* config, uint32_t width, uint32_t height); /* 0x0: the compositor's */
dmafeed_result dmafeed_config_set_buffers(dmafeed_config* config, uint32_t buffers);  /* 2..4; 3 */
dmafeed_result dmafeed_config_set_allocator(dmafeed_config* config, dmafeed_allocator allocator);
dmafeed_result dmafeed_config_set_device(dmafeed_config* config, const char* path); /* NULL: the compositor's target device */
dmafeed_result dmafeed_config_set_sync(dmafeed_config* config, dmafeed_sync sync);
dmafeed_result dmafeed_config_set_drop_when_full(dmafeed_config* config, int drop);
dmafeed_result dmafeed_config_set_create_immediate(dmafeed_config* config, int immediate);
dmafeed_result dmafeed_config_set_fullscreen(dmafeed_config* config, int fullscreen);
dmafeed_result dmafeed_config_set_title(dmafeed_config* config, const char* title);   /* NULL: "dmafeed" */
dmafeed_result dmafeed_config_set_app_id(dmafeed_config* config, const char* app_id); /* NULL: "dmafeed" */
dmafeed_result dmafeed_config_set_timeout_ms(dmafeed_config* config, int timeout_ms);  /* > 0; 5000 */
/* VkImageUsageFlags the host needs besides TRANSFER_DST; 0: none. */
dmafeed_result dmafeed_config_set_vulkan_usage(dmafeed_config* config, uint32_t usage);
/* Added with DMAFEED_1.2. What pts_ns means (dmafeed_pts_mode; DMAFEED_PTS_OPAQUE). */
dmafeed_result dmafeed_config_set_pts_mode(dmafeed_config* config, dmafeed_pts_mode mode);
/* With a pts mode other than opaque: a frame queued more than 20 ms after its time (the default
 * max-lateness of GStreamer's video sinks) is given back unshown, DMAFEED_DROPPED. 0 (default):
 * shown late. */
dmafeed_result dmafeed_config_set_drop_late(dmafeed_config* config, int drop);
dmafeed_result dmafeed_config_set_pacing(dmafeed_config* config, dmafeed_pacing pacing); /* DMAFEED_PACING_AUTO */
/* Added with DMAFEED_1.3. What the frames' colours mean, declared with wp_color_manager_v1 before
 * the first frame. DMAFEED_TRANSFER_DEFAULT with DMAFEED_PRIMARIES_DEFAULT (the default) declares
 * nothing; primaries without a transfer function are DMAFEED_ERROR_INVALID_ARGUMENT. Where the
 * compositor cannot be told (no wp_color_manager_v1, or it does not list the transfer function or
 * the primaries), dmafeed_producer_create fails, naming what it supports. */
dmafeed_result dmafeed_config_set_colorimetry(dmafeed_config* config, dmafeed_primaries primaries, dmafeed_transfer transfer);
/* HDR10 static metadata sent with the colorimetry (NULL: none). Checked here:
 * DMAFEED_ERROR_INVALID_ARGUMENT for chromaticities outside 0..1 (x + y <= 1), a maximum
 * luminance not above the minimum, or max_fall above max_cll. What the compositor cannot take is
 * left out, and a description it refuses with metadata is declared again without it;
 * dmafeed_describe says what was sent. */
dmafeed_result dmafeed_config_set_hdr_metadata(dmafeed_config* config, const dmafeed_hdr_metadata* metadata);

/* Connects, negotiates and opens the window; *producer is NULL on failure. The config may be
 * freed afterwards. DMAFEED_ERROR_INVALID_ARGUMENT (NULL pointers), DMAFEED_ERROR_FAILED (no
 * compositor, no usable format and modifier, an allocator that cannot start). */
dmafeed_result dmafeed_producer_create(const dmafeed_config* config, dmafeed_producer** producer);
void dmafeed_producer_destroy(dmafeed_producer* producer);
/* Added with DMAFEED_1.2. A producer destroyed while its Vulkan device was still being set up in
 * the background (the automatic allocator's quick start) returns at once and leaves that set-up
 * to end on its own thread. This waits up to timeout_ms for every such set-up to end: DMAFEED_OK
 * when none runs any more (then unloading the library or exit() is safe), DMAFEED_TIMEOUT
 * otherwise, DMAFEED_ERROR_INVALID_ARGUMENT for a negative timeout. Any thread may call it. */
dmafeed_result dmafeed_wait_background_set_ups(int timeout_ms);

/* A buffer the compositor does not hold, waiting up to timeout_ms (never with drop_when_full).
 * DMAFEED_TIMEOUT, DMAFEED_DROPPED, DMAFEED_ERROR_INVALID_ARGUMENT, DMAFEED_ERROR_INVALID_STATE
 * (a frame is still acquired), DMAFEED_ERROR_DISCONNECTED, DMAFEED_ERROR_FAILED. */
dmafeed_result dmafeed_acquire(dmafeed_producer* producer, dmafeed_frame* frame, int timeout_ms);
/* Commits the acquired frame (its CPU mappings end here); pts_ns comes back in the presented
 * callback, and is the time to show it at in a pts mode other than opaque. DMAFEED_DROPPED
 * (drop_late: its time had passed; the frame is given back, the dropped callback called),
 * DMAFEED_ERROR_INVALID_ARGUMENT, DMAFEED_ERROR_INVALID_STATE (not the acquired frame),
 * DMAFEED_ERROR_DISCONNECTED, DMAFEED_ERROR_FAILED. */
dmafeed_result dmafeed_queue(dmafeed_producer* producer, dmafeed_frame* frame, uint64_t pts_ns);
/* dmafeed_queue with a sync_file that signals when the host's GPU work is done; the producer owns
 * render_fence_fd from here (closed on failure too); -1: no fence. Returns as dmafeed_queue. */
dmafeed_result dmafeed_queue_fenced(dmafeed_producer* producer, dmafeed_frame* frame, uint64_t pts_ns, int render_fence_fd);
/* Added with DMAFEED_1.4. Gives the acquired frame back unshown (a frame the host decided not to
 * present, or failed to render): its CPU mappings end, nothing is committed, and its buffer goes
 * back to the pool as it is, for a later dmafeed_acquire. DMAFEED_ERROR_INVALID_ARGUMENT,
 * DMAFEED_ERROR_INVALID_STATE (not the acquired frame). */
dmafeed_result dmafeed_abandon(dmafeed_producer* producer, dmafeed_frame* frame);
/* The acquired frame's dma-bufs (their ownership: dmafeed_dmabuf). DMAFEED_ERROR_INVALID_ARGUMENT
 * (NULL pointers, a struct_size too small), DMAFEED_ERROR_INVALID_STATE (not the acquired frame). */
dmafeed_result dmafeed_frame_get_dmabuf(const dmafeed_producer* producer, const dmafeed_frame* frame, dmafeed_dmabuf* dmabuf);
/* Waits, up to the config's timeout, until the compositor can take the next frame (dmafeed_pacing).
 * A window the compositor stops repainting (hidden, minimized) gets no frame callbacks: after half
 * the timeout without one, if the compositor answers a roundtrip, this returns DMAFEED_OK and
 * counts the wait in stats.unpaced. DMAFEED_ERROR_INVALID_ARGUMENT, DMAFEED_ERROR_DISCONNECTED,
 * DMAFEED_ERROR_FAILED (the timeout: the compositor is stopped or hung). */
dmafeed_result dmafeed_wait_for_frame(dmafeed_producer* producer);

/* The connection's fd for a host's poll loop (-1 for NULL); readable: call dmafeed_dispatch. */
int dmafeed_get_fd(const dmafeed_producer* producer);
/* Handles the compositor's events without blocking. DMAFEED_ERROR_INVALID_ARGUMENT,
 * DMAFEED_ERROR_DISCONNECTED, DMAFEED_ERROR_FAILED. */
dmafeed_result dmafeed_dispatch(dmafeed_producer* producer);

/* Callbacks (NULL removes one), called from within dmafeed_acquire, dmafeed_queue*,
 * dmafeed_wait_for_frame and dmafeed_dispatch. DMAFEED_ERROR_INVALID_ARGUMENT: a NULL producer. */
dmafeed_result dmafeed_set_presented_callback(dmafeed_producer* producer, dmafeed_presented_fn callback, void* user);
/* Called with a buffer's id just before the producer destroys it (not when the producer is destroyed). */
dmafeed_result dmafeed_set_buffer_destroyed_callback(dmafeed_producer* producer, dmafeed_buffer_destroyed_fn callback,
                                                     void* user);
/* Called from dmafeed_acquire when it drops a frame (drop_when_full), and from dmafeed_queue* when it
 * drops a late one (drop_late), with the frames dropped so far. */
dmafeed_result dmafeed_set_dropped_callback(dmafeed_producer* producer, dmafeed_dropped_fn callback, void* user);

/* DMAFEED_ERROR_INVALID_ARGUMENT: NULL pointers, or stats->struct_size too small. */
dmafeed_result dmafeed_get_stats(const dmafeed_producer* producer, dmafeed_stats* stats);
/* The Vulkan device of the last acquired frame (before any: of the preferred device); NULL: none. */
const dmafeed_vulkan* dmafeed_get_vulkan(const dmafeed_producer* producer);
/* The layout in use, "XRGB8888 LINEAR 640x480 from vulkan on ...", or "(no buffer yet)", and
 * after "; colour: " the colour space declared (dmafeed_config_set_colorimetry), with what was
 * left out of it; owned by the producer, valid until its next call. NULL for a NULL producer. */
const char* dmafeed_describe(const dmafeed_producer* producer);

#ifdef __cplusplus
}
#endif

#endif /* DMAFEED_H */
