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
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace dmafeed {

struct Config {
    std::string display;       // socket name or path; empty: $WAYLAND_DISPLAY
    uint32_t format = 0x34325258;  // DRM fourcc (drm_fourcc.h); default XRGB8888
    bool explicit_modifier = false;  // true: only `modifier`; false: negotiated
    uint64_t modifier = 0;           // DRM format modifier (0: LINEAR)
    uint32_t width = 0;   // 0 x 0: the compositor's configure, else 640 x 480
    uint32_t height = 0;
    uint32_t buffers = 3;             // 2..4
    std::string allocator = "auto";   // auto, vulkan, gbm
    std::string device;               // a DRM node path; empty: the compositor's target device
    std::string sync = "auto";        // auto, explicit, implicit
    bool drop_when_full = false;      // acquire() returns no frame at once when every buffer is held
    bool create_immediate = false;    // zwp_linux_buffer_params_v1.create_immed
    bool fullscreen = false;
    std::string title = "dmafeed";
    std::string app_id = "dmafeed";
    int timeout_ms = 5000;  // bound on every internal wait
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

protected:
    Producer() = default;
};

}  // namespace dmafeed
