// The producer as the library's hosts see it (include/dmafeed/dmafeed.h), over producer::Producer:
// configuration in plain values, frames described in the C structs with CPU pointers for LINEAR
// buffers, the Vulkan images of buffers that have them and every buffer's dma-bufs, presentation
// callbacks with the host's timestamps. c_api.cpp turns its results into dmafeed_result codes and
// copies its structs into the caller's, as far as the caller's struct_size goes.
#pragma once

#include "dmafeed/dmafeed.h"

#include "pixels/colorimetry.hpp"
#include "util/result.hpp"
#include "util/unique_fd.hpp"
#include "vk/unique_handle.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dmafeed {
class Buffer;
}
namespace dmafeed::producer {
class Producer;
struct Frame;
}  // namespace dmafeed::producer

namespace dmafeed::lib {

// What a dmafeed_config holds (the setters in config.cpp check the values).
struct HostConfig {
    std::string display;  // empty: $WAYLAND_DISPLAY
    uint32_t format = 0;  // 0: XRGB8888
    std::optional<uint64_t> modifier;  // unset: negotiated
    uint32_t width = 0;
    uint32_t height = 0;
    uint32_t buffers = 3;
    dmafeed_allocator allocator = DMAFEED_ALLOCATOR_AUTO;
    std::string device;  // empty: the compositor's target device
    dmafeed_sync sync = DMAFEED_SYNC_AUTO;
    bool drop_when_full = false;
    bool create_immediate = false;
    bool fullscreen = false;
    std::string title = "dmafeed";
    std::string app_id = "dmafeed";
    int timeout_ms = 5000;
    uint32_t vulkan_usage = 0;
    dmafeed_pts_mode pts_mode = DMAFEED_PTS_OPAQUE;
    bool drop_late = false;
    dmafeed_pacing pacing = DMAFEED_PACING_AUTO;
    pixels::ColorSpace color;  // dmafeed_config_set_colorimetry and _set_hdr_metadata
};

struct HostDevices;

class HostProducer {
public:
    static Result<std::unique_ptr<HostProducer>> create(const HostConfig& config);
    HostProducer(const HostProducer&) = delete;
    HostProducer& operator=(const HostProducer&) = delete;
    ~HostProducer();

    enum class Acquired { frame, timeout, dropped };
    // A frame to fill (then frame() describes it), or none: the timeout passed, or (drop_when_full)
    // every buffer is held. The caller checks that no frame is acquired.
    Result<Acquired> acquire(int timeout_ms);
    bool acquired() const noexcept { return acquired_; }
    const dmafeed_frame& frame() const noexcept { return frame_; }
    // The acquired frame's dma-bufs: the buffer's own fds (the caller checks that a frame is acquired).
    dmafeed_dmabuf dmabuf() const;
    // Commits the acquired frame with an optional render fence (the caller checks that one is):
    // true; or false where drop_late gave it back unshown (its time had passed; the fence closed).
    Result<bool> queue(uint64_t pts_ns, UniqueFd render_fence);
    // The acquired frame given back unqueued: its CPU access ends, its buffer returns to the pool.
    Result<void> abandon();
    Result<void> wait_for_frame();
    int fd() const;
    Result<void> dispatch();
    // The connection to the compositor is gone (a broken socket, a protocol error): every call fails.
    bool disconnected() const;

    dmafeed_stats stats() const;
    const dmafeed_vulkan* vulkan() const;
    const char* describe();

    void on_presented(dmafeed_presented_fn callback, void* user) noexcept { presented_ = {callback, user}; }
    void on_buffer_destroyed(dmafeed_buffer_destroyed_fn callback, void* user) noexcept { buffer_destroyed_ = {callback, user}; }
    void on_dropped(dmafeed_dropped_fn callback, void* user) noexcept { dropped_ = {callback, user}; }
    // Tells the dropped callback (a frame dropped by queue()).
    void report_dropped() const;

private:
    HostProducer(std::unique_ptr<producer::Producer> p, std::shared_ptr<HostDevices> devices, const HostConfig& config);
    uint64_t show_at(uint64_t pts_ns);  // the pts as a time to show at (presentation clock); 0: none
    void fill_vulkan(uint64_t serial);
    void destroy_views(uint64_t serial);
    void end_cpu_access() noexcept;

    template <class Fn>
    struct Callback {
        Fn fn = nullptr;
        void* user = nullptr;
    };
    struct ViewSet {
        VkDevice device = VK_NULL_HANDLE;
        std::vector<vk::UniqueImageView> views;  // per image part; empty where none is made
    };

    std::shared_ptr<HostDevices> devices_;
    std::unique_ptr<producer::Producer> p_;
    const bool drop_;
    const dmafeed_pts_mode pts_mode_;
    const bool drop_late_;
    struct StreamClock {
        uint64_t pts_ns = 0;    // the first frame's pts
        uint64_t shown_ns = 0;  // when it was queued (presentation clock)
    };
    std::optional<StreamClock> stream_clock_;  // DMAFEED_PTS_STREAM
    std::map<uint64_t, ViewSet> views_;  // buffer serial -> views, until the buffer goes
    const dmafeed_vulkan* last_vulkan_ = nullptr;
    std::unique_ptr<producer::Frame> internal_;  // the acquired frame
    dmafeed_frame frame_{};
    bool acquired_ = false;
    const Buffer* mapped_ = nullptr;  // whose planes the acquired frame's CPU pointers are
    std::map<uint64_t, uint64_t> pts_;  // frame id -> pts, until presented or discarded
    std::string description_;
    Callback<dmafeed_presented_fn> presented_;
    Callback<dmafeed_buffer_destroyed_fn> buffer_destroyed_;
    Callback<dmafeed_dropped_fn> dropped_;
};

}  // namespace dmafeed::lib
