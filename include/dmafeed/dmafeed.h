/* dmafeed's C API: the C++ Producer (dmafeed.hpp) for C pipelines.
 *
 *   dmafeed_config config;
 *   dmafeed_config_init(&config);
 *   char error[512];
 *   dmafeed_producer* p = dmafeed_producer_create(&config, error, sizeof error);
 *   dmafeed_frame frame;
 *   if (dmafeed_acquire(p, &frame, 100) == 1) { fill(frame.data[0], frame.stride[0]); dmafeed_queue(p, &frame, pts); }
 *   dmafeed_producer_destroy(p);
 *
 * Return values: 1 done, 0 nothing (timeout or dropped), -1 error (dmafeed_last_error says why).
 *
 * Vulkan: a frame whose buffer has Vulkan images lists them in images[] with their device in
 * frame.vulkan; the host renders into them with its own commands and hands the producer a sync_file
 * with dmafeed_queue_fenced(). The contract (queue family ownership, layouts, lifetimes) is the one
 * of dmafeed.hpp: acquire from VK_QUEUE_FAMILY_FOREIGN_EXT, release to it in
 * VK_IMAGE_LAYOUT_GENERAL. */
#ifndef DMAFEED_H
#define DMAFEED_H

#include <stddef.h>
#include <stdint.h>
#include <vulkan/vulkan.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dmafeed_producer dmafeed_producer;

typedef struct dmafeed_config {
    const char* display;  /* NULL: $WAYLAND_DISPLAY */
    uint32_t format;      /* DRM fourcc; 0: XRGB8888 */
    int explicit_modifier;
    uint64_t modifier;
    uint32_t width, height; /* 0: the compositor's size */
    uint32_t buffers;       /* 2..4 */
    const char* allocator;  /* "auto", "vulkan", "gbm", "udmabuf" (CPU pointers only) */
    const char* device;     /* NULL: the compositor's target device */
    const char* sync;       /* "auto", "explicit", "implicit" */
    int drop_when_full;
    int fullscreen;
    const char* title;
    const char* app_id;
    int timeout_ms;
    uint32_t vulkan_usage; /* VkImageUsageFlags the host needs besides TRANSFER_DST; 0: none */
} dmafeed_config;

/* The Vulkan device of frames' images; owned by the producer (valid until it is destroyed). */
typedef struct dmafeed_vulkan {
    VkInstance instance;
    VkPhysicalDevice physical_device;
    VkDevice device;
    uint32_t api_version;
    uint32_t queue_family_index;
    VkQueue queue;
    int exports_sync_fd; /* SYNC_FD semaphores export (VK_KHR_external_semaphore_fd enabled) */
} dmafeed_vulkan;

typedef struct dmafeed_image {
    VkImage image;
    VkImageView view; /* VK_NULL_HANDLE unless vulkan_usage allows views and the image has one plane */
    VkFormat format;
    VkExtent2D extent;
    uint32_t first_plane, plane_count;
} dmafeed_image;

typedef struct dmafeed_frame {
    uint64_t id;
    uint32_t width, height, format;
    uint64_t modifier;
    uint32_t plane_count;
    uint8_t* data[4]; /* CPU pointers while acquired; NULL if not mappable */
    uint32_t stride[4];
    void* internal_;
    uint64_t buffer_id;           /* 1, 2, ... never reused */
    const dmafeed_vulkan* vulkan; /* NULL: no Vulkan images (image_count 0) */
    uint32_t image_usage;         /* VkImageUsageFlags of the images */
    uint32_t image_count;
    dmafeed_image images[4];
} dmafeed_frame;

typedef struct dmafeed_stats {
    uint64_t queued, presented, discarded, dropped, refused, zero_copy;
    double presented_fps, latency_p50_ms, latency_p99_ms;
} dmafeed_stats;

typedef void (*dmafeed_presented_fn)(void* user, uint64_t frame_id, uint64_t pts_ns, int presented, uint64_t time_ns,
                                     uint32_t flags);
typedef void (*dmafeed_buffer_destroyed_fn)(void* user, uint64_t buffer_id);
typedef void (*dmafeed_dropped_fn)(void* user, uint64_t dropped);

void dmafeed_config_init(dmafeed_config* config);
dmafeed_producer* dmafeed_producer_create(const dmafeed_config* config, char* error, size_t error_size);
void dmafeed_producer_destroy(dmafeed_producer* producer);
int dmafeed_acquire(dmafeed_producer* producer, dmafeed_frame* frame, int timeout_ms);
int dmafeed_queue(dmafeed_producer* producer, dmafeed_frame* frame, uint64_t pts_ns);
int dmafeed_wait_for_frame(dmafeed_producer* producer);
int dmafeed_get_fd(const dmafeed_producer* producer);
int dmafeed_dispatch(dmafeed_producer* producer);
void dmafeed_set_presented_callback(dmafeed_producer* producer, dmafeed_presented_fn callback, void* user);
void dmafeed_get_stats(const dmafeed_producer* producer, dmafeed_stats* stats);
const char* dmafeed_last_error(const dmafeed_producer* producer);

/* The Vulkan device of the last acquired frame (before any: of the preferred device); NULL: none. */
const dmafeed_vulkan* dmafeed_get_vulkan(const dmafeed_producer* producer);
/* dmafeed_queue with a sync_file that signals when the host's GPU work is done; the producer owns
 * render_fence_fd from here (closed on failure too); -1: no fence. */
int dmafeed_queue_fenced(dmafeed_producer* producer, dmafeed_frame* frame, uint64_t pts_ns, int render_fence_fd);
/* Called with a buffer's id just before the producer destroys it (not when the producer is destroyed). */
void dmafeed_set_buffer_destroyed_callback(dmafeed_producer* producer, dmafeed_buffer_destroyed_fn callback, void* user);
/* Called from dmafeed_acquire when it drops a frame (drop_when_full), with the frames dropped so far. */
void dmafeed_set_dropped_callback(dmafeed_producer* producer, dmafeed_dropped_fn callback, void* user);

#ifdef __cplusplus
}
#endif

#endif /* DMAFEED_H */
