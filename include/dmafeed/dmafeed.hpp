// dmafeed: put frames on a Wayland compositor as dma-bufs, from a media pipeline.
//
//   dmafeed::Config config;                 // $WAYLAND_DISPLAY, XRGB8888, the compositor's size
//   std::string error;
//   auto producer = dmafeed::Producer::create(config, &error);
//   while (running) {
//       dmafeed::Frame* frame = producer->acquire(100, &error);  // a buffer the compositor does not hold
//       if (!frame) { if (!error.empty()) break; continue; }      // no error: dropped or timed out
//       fill(frame->planes[0].data, frame->planes[0].stride);     // CPU pointers (LINEAR buffers)
//       producer->queue(*frame, pts_ns, &error);                  // attach, damage, commit
//   }
//
// The producer negotiates a (format, modifier) with the compositor (linux-dmabuf v3-v5 feedback),
// allocates 2-4 buffers (Vulkan export, else GBM), and presents them in an xdg_toplevel. For a host
// poll loop: poll fd() for input and call dispatch(). All calls are from one thread.
//
// Rendering with Vulkan. A frame whose buffer has Vulkan images (Vulkan buffers; GBM buffers the
// Vulkan device imported) lists them in Frame::images, with the device they belong to in
// Frame::vulkan (also Producer::vulkan()). The host records its own commands on that device:
//
//   acquire:  barrier srcQueueFamilyIndex = VK_QUEUE_FAMILY_FOREIGN_EXT,
//             dstQueueFamilyIndex = vulkan->queue_family_index,
//             oldLayout = VK_IMAGE_LAYOUT_UNDEFINED (contents discarded: the host overwrites the
//             image) or VK_IMAGE_LAYOUT_GENERAL (to keep them; only once the image has been
//             released as below), newLayout = what the host needs
//   ...render, clear, copy or dispatch into the image...
//   release:  barrier srcQueueFamilyIndex = vulkan->queue_family_index,
//             dstQueueFamilyIndex = VK_QUEUE_FAMILY_FOREIGN_EXT, newLayout = VK_IMAGE_LAYOUT_GENERAL
//   submit on vulkan->queue (from the thread that calls the producer; the producer submits nothing
//   to it) signalling a semaphore exported as a sync_file (VkExportSemaphoreCreateInfo and
//   vkGetSemaphoreFdKHR with VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_SYNC_FD_BIT, where
//   vulkan->exports_sync_fd), and hand the fd to queue_fenced(): the compositor waits for it, not
//   the host's CPU. Without one: wait for the submission, then queue().
//
// Between frames the images are owned by VK_QUEUE_FAMILY_FOREIGN_EXT in VK_IMAGE_LAYOUT_GENERAL,
// which is also where the producer's own uploads leave them. They are made with
// VK_IMAGE_USAGE_TRANSFER_DST_BIT plus Config::vulkan_usage (only (format, modifier) pairs that the
// device exports with that usage are negotiated) and live as long as their buffer: the producer
// destroys a buffer after a rebuild (a resize, a new dmabuf feedback) or a refusal, telling the host
// first (on_buffer_destroyed) so that it can drop what it made for it (framebuffers, descriptor
// sets); Frame::buffer_id names the buffer. The Vulkan objects belong to the producer: valid until
// it is destroyed; do not destroy them.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vulkan/vulkan.h>

namespace dmafeed {

struct Config {
    std::string display;       // socket name or path; empty: $WAYLAND_DISPLAY
    uint32_t format = 0x34325258;  // DRM fourcc (drm_fourcc.h); default XRGB8888
    bool explicit_modifier = false;  // true: only `modifier`; false: negotiated
    uint64_t modifier = 0;           // DRM format modifier (0: LINEAR)
    uint32_t width = 0;   // 0 x 0: the compositor's configure, else 640 x 480
    uint32_t height = 0;
    uint32_t buffers = 3;             // 2..4
    std::string allocator = "auto";   // auto, vulkan, gbm, udmabuf (system memory, CPU pointers only)
    std::string device;               // a DRM node path; empty: the compositor's target device
    std::string sync = "auto";        // auto, explicit, implicit
    bool drop_when_full = false;      // acquire() returns no frame at once when every buffer is held
    bool create_immediate = false;    // zwp_linux_buffer_params_v1.create_immed
    bool fullscreen = false;
    std::string title = "dmafeed";
    std::string app_id = "dmafeed";
    int timeout_ms = 5000;  // bound on every internal wait
    // What the host does with the frames' Vulkan images (VkImageUsageFlags, e.g.
    // VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT or VK_IMAGE_USAGE_STORAGE_BIT), on top of TRANSFER_DST.
    uint32_t vulkan_usage = 0;
};

// The Vulkan device that frames' images belong to, owned by the producer. It has one queue; the
// device's extensions: VK_KHR_external_memory_fd, VK_EXT_external_memory_dma_buf,
// VK_EXT_image_drm_format_modifier, VK_EXT_queue_family_foreign, and VK_KHR_external_semaphore_fd
// where exports_sync_fd.
struct VulkanDevice {
    VkInstance instance = VK_NULL_HANDLE;
    VkPhysicalDevice physical_device = VK_NULL_HANDLE;
    VkDevice device = VK_NULL_HANDLE;
    uint32_t api_version = 0;         // what to use the device at: the lower of the instance's and the device's
    uint32_t queue_family_index = 0;  // of `queue`: compute and transfer (check its flags for graphics)
    VkQueue queue = VK_NULL_HANDLE;
    bool exports_sync_fd = false;     // binary semaphores export as sync_files (VK_KHR_external_semaphore_fd)
};

// One VkImage of a frame: a whole image (multi-planar for YUV formats, its planes PLANE_i
// aspects), or one image per plane (YUV formats the device exports plane by plane: NV12 as R8 +
// R8G8).
struct FrameImage {
    VkImage image = VK_NULL_HANDLE;
    // A 2D view of the whole image (its format, COLOR aspect) where Config::vulkan_usage allows
    // views (COLOR_ATTACHMENT, STORAGE, SAMPLED, INPUT_ATTACHMENT) and the image has one plane;
    // else VK_NULL_HANDLE.
    VkImageView view = VK_NULL_HANDLE;
    VkFormat format = VK_FORMAT_UNDEFINED;
    VkExtent2D extent{};
    uint32_t first_plane = 0;  // the frame plane that is this image's plane 0
    uint32_t plane_count = 1;  // frame planes in this image
};

struct FramePlane {
    uint8_t* data = nullptr;  // CPU pointer while the frame is acquired; null if not CPU-mappable
    uint32_t stride = 0;      // bytes per row
    uint32_t width = 0;       // pixels (texels) of this plane
    uint32_t height = 0;
};

struct Frame {
    uint64_t id = 0;  // 0, 1, ... in acquire order
    uint32_t width = 0;
    uint32_t height = 0;
    uint32_t format = 0;    // DRM fourcc
    uint64_t modifier = 0;  // DRM modifier of the buffer
    uint32_t plane_count = 0;
    FramePlane planes[4];
    uint64_t buffer_id = 0;  // the buffer's: 1, 2, ... never reused (see on_buffer_destroyed)
    // The Vulkan device and images; null and 0 when the buffer has none (a GBM buffer filled
    // through CPU mappings).
    const VulkanDevice* vulkan = nullptr;
    uint32_t image_usage = 0;  // VkImageUsageFlags the images were made with
    uint32_t image_count = 0;
    FrameImage images[4];
};

struct Presented {
    uint64_t frame_id = 0;
    uint64_t pts_ns = 0;        // as given to queue()
    bool presented = false;     // false: discarded
    uint64_t time_ns = 0;       // presentation time (the compositor's clock, CLOCK_MONOTONIC usually)
    uint32_t refresh_ns = 0;
    uint32_t flags = 0;         // wp_presentation_feedback.kind (0x8: zero-copy)
};

struct Stats {
    uint64_t queued = 0, presented = 0, discarded = 0, dropped = 0, refused = 0, zero_copy = 0;
    double presented_fps = 0;
    double latency_p50_ms = 0, latency_p99_ms = 0;
};

class Producer {
public:
    // Connects, negotiates and opens the window. nullptr with `error` set on failure.
    static std::unique_ptr<Producer> create(const Config& config, std::string* error);
    virtual ~Producer() = default;

    // A frame to fill, or nullptr: with `error` empty, the timeout passed or (drop_when_full) every
    // buffer is held (counted as dropped); with `error` set, the connection failed.
    virtual Frame* acquire(int timeout_ms, std::string* error) = 0;
    // Commits the frame (its CPU mappings end here). `pts_ns` comes back in the presented callback.
    virtual bool queue(Frame& frame, uint64_t pts_ns, std::string* error) = 0;
    // Waits (bounded by the config's timeout) until the compositor asks for the next frame.
    virtual bool wait_for_frame(std::string* error) = 0;

    virtual int fd() const = 0;                          // readable: call dispatch()
    virtual bool dispatch(std::string* error) = 0;        // without blocking
    virtual void on_presented(std::function<void(const Presented&)> callback) = 0;
    virtual Stats stats() const = 0;
    // "XRGB8888 LINEAR 640x480 from vulkan on ..." once a buffer exists.
    virtual std::string describe() const = 0;

    // The Vulkan device of the last acquired frame's images (before any frame: of the compositor's
    // preferred device); nullptr when the producer has none.
    virtual const VulkanDevice* vulkan() const = 0;
    // queue() with a sync_file that signals when the host's GPU work on the frame is done: the
    // compositor waits for it (explicit sync: the commit's acquire fence; implicit: attached to the
    // dma-bufs). The producer owns `render_fence_fd` from here (it is closed on failure too); -1:
    // no fence, as queue().
    virtual bool queue_fenced(Frame& frame, uint64_t pts_ns, int render_fence_fd, std::string* error) = 0;
    // Called with a buffer's id just before the producer destroys it (and its images and views),
    // from within acquire() or queue(). Not called when the producer itself is destroyed.
    virtual void on_buffer_destroyed(std::function<void(uint64_t buffer_id)> callback) = 0;
    // Called from acquire() when it drops a frame (drop_when_full, every buffer held), with the
    // number of frames dropped so far.
    virtual void on_dropped(std::function<void(uint64_t dropped)> callback) = 0;

protected:
    Producer() = default;
};

}  // namespace dmafeed
