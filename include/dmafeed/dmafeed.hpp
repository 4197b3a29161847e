// dmafeed for C++: a header-only layer over the C API (dmafeed.h), which is the library's ABI.
// Everything here is inline in the host's own code; libdmafeed exports no C++ symbol.
//
//   dmafeed::Config config;                 // $WAYLAND_DISPLAY, XRGB8888, the compositor's size
//   std::string error;
//   auto producer = dmafeed::Producer::create(config, &error);
//   while (running) {
//       dmafeed::Frame* frame = producer->acquire(100, &error);  // a buffer the compositor does not hold
//       if (!frame) { if (!error.empty()) break; continue; }      // no error: dropped or timed out
//       fill(frame->data[0], frame->stride[0]);                   // CPU pointers (LINEAR buffers)
//       producer->queue(*frame, pts_ns, &error);                  // attach, damage, commit
//   }
//
// Frames, their dma-bufs, the Vulkan device, stats and presentation records are the C structs
// (dmafeed_frame, ...); their comments in dmafeed.h, docs/library.md and dmafeed(3) are the
// contract, including the ones for rendering into frames' Vulkan images and dma-bufs. All calls are
// from one thread.
#pragma once

#include "dmafeed/dmafeed.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace dmafeed {

using Frame = dmafeed_frame;
using Dmabuf = dmafeed_dmabuf;
using VulkanDevice = dmafeed_vulkan;
using Stats = dmafeed_stats;
using Presented = dmafeed_presented;

enum class AllocatorKind { automatic = DMAFEED_ALLOCATOR_AUTO, vulkan = DMAFEED_ALLOCATOR_VULKAN, gbm = DMAFEED_ALLOCATOR_GBM,
                       udmabuf = DMAFEED_ALLOCATOR_UDMABUF };
enum class SyncMode { automatic = DMAFEED_SYNC_AUTO, explicit_sync = DMAFEED_SYNC_EXPLICIT, implicit_sync = DMAFEED_SYNC_IMPLICIT };
enum class PtsMode { opaque = DMAFEED_PTS_OPAQUE, monotonic = DMAFEED_PTS_MONOTONIC, stream = DMAFEED_PTS_STREAM };
enum class Pacing { automatic = DMAFEED_PACING_AUTO, frame_callbacks = DMAFEED_PACING_FRAME_CALLBACKS, fifo = DMAFEED_PACING_FIFO };

// The dmafeed_config_set_* values; what is left at its default here is not set.
struct Config {
    std::string display;              // socket name or path; empty: $WAYLAND_DISPLAY
    uint32_t format = 0;              // DRM fourcc (drm_fourcc.h); 0: XRGB8888
    std::optional<uint64_t> modifier; // only this one (0: LINEAR); unset: negotiated
    uint32_t width = 0;               // 0 x 0: the compositor's configure, else 640 x 480
    uint32_t height = 0;
    uint32_t buffers = 3;             // 2..4
    AllocatorKind allocator = AllocatorKind::automatic;
    std::string device;               // a DRM node path; empty: the compositor's target device
    SyncMode sync = SyncMode::automatic;
    bool drop_when_full = false;      // acquire() returns no frame at once when every buffer is held
    bool create_immediate = false;    // zwp_linux_buffer_params_v1.create_immed
    bool fullscreen = false;
    std::string title = "dmafeed";
    std::string app_id = "dmafeed";
    int timeout_ms = 5000;            // bound on every internal wait
    uint32_t vulkan_usage = 0;        // VkImageUsageFlags the host needs besides TRANSFER_DST
    PtsMode pts_mode = PtsMode::opaque;  // what queue()'s pts is (dmafeed_pts_mode)
    bool drop_late = false;           // a frame queued after its time is not shown (dmafeed_config_set_drop_late)
    Pacing pacing = Pacing::automatic;
};

class Producer {
public:
    // Connects, negotiates and opens the window. nullptr with `error` set on failure.
    static std::unique_ptr<Producer> create(const Config& config, std::string* error)
    {
        const std::unique_ptr<dmafeed_config, void (*)(dmafeed_config*)> c{dmafeed_config_new(), dmafeed_config_free};
        if (!c) {
            if (error) *error = "dmafeed_config_new: out of memory";
            return nullptr;
        }
        dmafeed_config* cc = c.get();
        const dmafeed_result set[] = {
            dmafeed_config_set_display(cc, config.display.empty() ? nullptr : config.display.c_str()),
            dmafeed_config_set_format(cc, config.format),
            config.modifier ? dmafeed_config_set_modifier(cc, *config.modifier) : DMAFEED_OK,
            dmafeed_config_set_size(cc, config.width, config.height),
            dmafeed_config_set_buffers(cc, config.buffers),
            dmafeed_config_set_allocator(cc, static_cast<dmafeed_allocator>(config.allocator)),
            dmafeed_config_set_device(cc, config.device.empty() ? nullptr : config.device.c_str()),
            dmafeed_config_set_sync(cc, static_cast<dmafeed_sync>(config.sync)),
            dmafeed_config_set_drop_when_full(cc, config.drop_when_full),
            dmafeed_config_set_create_immediate(cc, config.create_immediate),
            dmafeed_config_set_fullscreen(cc, config.fullscreen),
            dmafeed_config_set_title(cc, config.title.c_str()),
            dmafeed_config_set_app_id(cc, config.app_id.c_str()),
            dmafeed_config_set_timeout_ms(cc, config.timeout_ms),
            dmafeed_config_set_vulkan_usage(cc, config.vulkan_usage),
            dmafeed_config_set_pts_mode(cc, static_cast<dmafeed_pts_mode>(config.pts_mode)),
            dmafeed_config_set_drop_late(cc, config.drop_late),
            dmafeed_config_set_pacing(cc, static_cast<dmafeed_pacing>(config.pacing)),
        };
        dmafeed_producer* p = nullptr;
        for (const dmafeed_result r : set) {
            if (r != DMAFEED_OK) return failed(error, r);
        }
        if (const dmafeed_result r = dmafeed_producer_create(cc, &p); r != DMAFEED_OK) return fail(error, r), nullptr;
        return std::unique_ptr<Producer>{new Producer{p}};
    }
    ~Producer() { dmafeed_producer_destroy(p_); }
    Producer(const Producer&) = delete;
    Producer& operator=(const Producer&) = delete;

    // A frame to fill, or nullptr: with `error` empty, the timeout passed or (drop_when_full) every
    // buffer is held (counted as dropped); with `error` set, it failed.
    Frame* acquire(int timeout_ms, std::string* error)
    {
        if (error) error->clear();
        dmafeed_frame_init(&frame_);
        const dmafeed_result r = dmafeed_acquire(p_, &frame_, timeout_ms);
        if (r < 0) fail(error, r);
        return r == DMAFEED_OK ? &frame_ : nullptr;
    }
    // Commits the frame (its CPU mappings end here). `pts_ns` comes back in the presented callback
    // (and is its time to be shown at, as Config::pts_mode says). True also for a frame that
    // drop_late gave back unshown (stats().late, the dropped callback).
    bool queue(Frame& frame, uint64_t pts_ns, std::string* error) { return queue_fenced(frame, pts_ns, -1, error); }
    // queue() with a sync_file that signals when the host's GPU work on the frame is done; the
    // producer owns `render_fence_fd` from here (closed on failure too); -1: no fence.
    bool queue_fenced(Frame& frame, uint64_t pts_ns, int render_fence_fd, std::string* error)
    {
        return check(dmafeed_queue_fenced(p_, &frame, pts_ns, render_fence_fd), error);
    }
    // Gives the acquired frame back unshown; its buffer returns to the pool as it is.
    bool abandon(Frame& frame, std::string* error) { return check(dmafeed_abandon(p_, &frame), error); }
    // The acquired frame's dma-bufs, or nothing with `error` set. Their fds are the producer's
    // (never closed by the host), open while the buffer lives: see dmafeed_dmabuf in dmafeed.h.
    std::optional<Dmabuf> dmabuf(const Frame& frame, std::string* error) const
    {
        Dmabuf d;
        dmafeed_dmabuf_init(&d);
        if (!check(dmafeed_frame_get_dmabuf(p_, &frame, &d), error)) return std::nullopt;
        return d;
    }
    // Waits (bounded by the config's timeout) until the compositor can take the next frame; a
    // window it does not repaint ends the wait after half the timeout (dmafeed_wait_for_frame).
    bool wait_for_frame(std::string* error) { return check(dmafeed_wait_for_frame(p_), error); }

    int fd() const { return dmafeed_get_fd(p_); }  // readable: call dispatch()
    bool dispatch(std::string* error) { return check(dmafeed_dispatch(p_), error); }

    void on_presented(std::function<void(const Presented&)> callback)
    {
        on_presented_ = std::move(callback);
        dmafeed_set_presented_callback(p_, on_presented_ ? &Producer::presented : nullptr, this);
    }
    // Called with a buffer's id just before the producer destroys it (and its images and views).
    void on_buffer_destroyed(std::function<void(uint64_t buffer_id)> callback)
    {
        on_buffer_destroyed_ = std::move(callback);
        dmafeed_set_buffer_destroyed_callback(p_, on_buffer_destroyed_ ? &Producer::buffer_destroyed : nullptr, this);
    }
    // Called from acquire() when it drops a frame, with the number of frames dropped so far.
    void on_dropped(std::function<void(uint64_t dropped)> callback)
    {
        on_dropped_ = std::move(callback);
        dmafeed_set_dropped_callback(p_, on_dropped_ ? &Producer::dropped : nullptr, this);
    }

    Stats stats() const
    {
        Stats s;
        dmafeed_stats_init(&s);
        dmafeed_get_stats(p_, &s);
        return s;
    }
    // "XRGB8888 LINEAR 640x480 from vulkan on ..." once a buffer exists.
    std::string describe() const { return dmafeed_describe(p_); }
    // The Vulkan device of the last acquired frame's images (before any: of the compositor's
    // preferred device); nullptr when the producer has none.
    const VulkanDevice* vulkan() const { return dmafeed_get_vulkan(p_); }
    // For the rest of the C API.
    dmafeed_producer* handle() const noexcept { return p_; }

private:
    explicit Producer(dmafeed_producer* p) : p_{p} {}
    static bool fail(std::string* error, dmafeed_result r)
    {
        if (error) *error = *dmafeed_last_error() ? dmafeed_last_error() : dmafeed_result_name(r);
        return false;
    }
    static std::unique_ptr<Producer> failed(std::string* error, dmafeed_result r)
    {
        fail(error, r);
        return nullptr;
    }
    static bool check(dmafeed_result r, std::string* error)
    {
        if (error) error->clear();
        return r >= 0 || fail(error, r);
    }
    static void presented(void* user, const dmafeed_presented* p) { static_cast<Producer*>(user)->on_presented_(*p); }
    static void buffer_destroyed(void* user, uint64_t id) { static_cast<Producer*>(user)->on_buffer_destroyed_(id); }
    static void dropped(void* user, uint64_t n) { static_cast<Producer*>(user)->on_dropped_(n); }

    dmafeed_producer* p_;
    Frame frame_{};
    std::function<void(const Presented&)> on_presented_;
    std::function<void(uint64_t)> on_buffer_destroyed_;
    std::function<void(uint64_t)> on_dropped_;
};

}  // namespace dmafeed
