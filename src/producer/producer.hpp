// The producer: negotiates a buffer layout with the compositor, keeps a pool of 2-4 exported
// buffers as wl_buffers, and presents frames in an xdg_toplevel paced by frame callbacks, with
// presentation feedback turned into stats.
//
// One frame: acquire() a buffer the compositor does not hold -> fill it (write(), or the Vulkan
// images of the buffer) -> queue() attaches, damages and commits it. wait_for_frame() blocks
// (bounded) until the compositor asks for the next frame. A host loop can instead poll fd() and call
// dispatch_pending().
//
// Pacing (Pacing): by frame callbacks, one commit at a time; or, where wp_fifo_manager_v1 is
// offered, by fifo barriers: each commit waits in the compositor for the refresh after the
// previous one's, so a second commit may wait there while the first is shown, and wait_for_frame()
// returns once the commit before the last one has its frame callback. A window the compositor
// stops repainting (hidden, minimized, another workspace: no frame callbacks, fifo barriers
// ignored) never hangs the producer: when no frame callback comes within `hidden_after`, a
// roundtrip asks whether the compositor is alive; if it answers, wait_for_frame() returns (the
// wait counts as unpaced in the stats), so frames go on at one per `hidden_after` at most until
// frame callbacks come again; if it does not answer within the timeout, that is an error.
//
// Timing: queue() with a show-at time (the presentation clock, now_ns()) sends it as a
// wp_commit_timer_v1 timestamp where the compositor offers commit timing, phase-locked to the last
// presentation feedback (present_timing.hpp), and the stats say how far from that time frames were
// shown. queue_late() drops a frame whose time has passed instead.
//
// Negotiation (negotiation.hpp) gives candidates in preference order. Buffers are created with
// `create`, waiting for `created`/`failed`, or on request with `create_immed`, where the first
// buffer of each layout is checked with a roundtrip before use and later ones are not (a `failed`
// that comes later still keeps that buffer from being attached: its frame is dropped). `failed`
// marks that (allocator, device, format, modifier) as refused by this compositor: its buffers are
// destroyed, never attached, and the next candidate is allocated (layout_choice.hpp). When no
// candidate works, an error lists what was refused and what could not be made. The layout that
// worked is logged once.
//
// Pool: buffers are made lazily up to `buffers` (buffer_pool.hpp). When every buffer is held by
// the compositor, acquire() waits for a release up to `timeout` (FullPolicy::wait, an error after
// that) or returns no frame at once and counts a drop (FullPolicy::drop).
//
// Sync (frame_sync.hpp, one file per mode): the fill of a frame may end in a render fence (a
// sync_file from the Vulkan upload), which goes to the compositor with the commit as a syncobj
// acquire point, an explicit-sync acquire fence or a fence attached to the dma-bufs; a buffer is
// written again only when the mode says the compositor is done with it.
//
// Quick start: a factory may give backends that stand in while others are set up in the background
// (DeviceBackends::pending). The producer switches at the first acquire() after they are ready
// (backend_set.hpp); a new generation starts only where the new first candidate (allocator,
// device, pair) differs (layout_choice.hpp). Where the stand-ins have no candidate, or every
// layout of theirs is refused, it waits for the others.
//
// Rebuilds: a new dmabuf feedback for the surface (v4+) is negotiated again; a configure with a new
// size reallocates (ResizePolicy::reallocate) or scales with wp_viewporter (ResizePolicy::scale,
// where offered). Either way buffers of the old layout are destroyed as the compositor releases
// them, and new ones are made in their place: no frame waits for the old ones.
#pragma once

#include "alloc/buffer.hpp"
#include "pixels/colorimetry.hpp"
#include "producer/backends.hpp"
#include "producer/buffer_pool.hpp"
#include "producer/backend_set.hpp"
#include "producer/frame_sync.hpp"
#include "producer/layout_choice.hpp"
#include "producer/negotiation.hpp"
#include "producer/present_timing.hpp"
#include "producer/stats.hpp"
#include "util/result.hpp"
#include "wl/dmabuf_buffer.hpp"
#include "wl/globals.hpp"
#include "wl/window.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <tuple>
#include <vector>

namespace dmafeed::producer {

enum class FullPolicy { wait, drop };
// How commits are paced: automatic is fifo where the compositor offers wp_fifo_manager_v1.
enum class Pacing { automatic, frame_callbacks, fifo };
// What a configure with another size does: reallocate the buffers at that size; scale them to it
// with wp_viewporter (where offered); or keep the buffers as they are, for a client whose size is
// the point (dmafeed-conform: the compositor places a smaller buffer, fullscreen centers it).
enum class ResizePolicy { reallocate, scale, keep };

struct ProducerConfig {
    std::string display;  // socket name or path; empty: $WAYLAND_DISPLAY
    DrmFormat format{DrmFormat{0x34325258}};  // XRGB8888
    std::optional<DrmModifier> modifier;      // only this one; unset: negotiated
    // Buffer size; 0 x 0: the size of the first configure, or 640 x 480 when the compositor
    // leaves it to the client.
    uint32_t width = 0;
    uint32_t height = 0;
    size_t buffers = 3;  // 2..4
    // Align strides (and plane offsets) to this many bytes; forces LINEAR. 0: the allocator's layout.
    uint32_t stride_align = 0;
    // Bytes before the first plane in its dma-buf (AllocationRequest::plane_offset); forces LINEAR.
    uint32_t plane_offset = 0;
    // One dma-buf per plane for multi-planar formats, where the allocator can (AllocationRequest::disjoint).
    bool disjoint = false;
    wl::CreateMode create_mode = wl::CreateMode::wait;
    SyncMode sync = SyncMode::automatic;
    FullPolicy when_full = FullPolicy::wait;
    ResizePolicy resize = ResizePolicy::reallocate;
    // Bound on every wait: a protocol answer, a free buffer (FullPolicy::wait), a frame callback.
    std::chrono::milliseconds timeout{5000};
    Pacing pacing = Pacing::automatic;
    // No frame callback for this long: the window is taken as not repainted (hidden) if the
    // compositor answers a roundtrip. 0: half the timeout.
    std::chrono::milliseconds hidden_after{0};
    // Set (by a signal handler, say): every wait ends within 100 ms of it turning true, without an
    // error: wait_for_frame(), dispatch() and drain() return, acquire() returns no frame (not a
    // drop). The caller then stops.
    const std::atomic<bool>* interrupt = nullptr;
    wl::WindowOptions window;
    uint32_t max_dmabuf_version = wl::LinuxDmabuf::max_supported_version;
    BackendFactory backends;  // unset: system_backends({})
    // How YUV frames are encoded. Declared with wp_color_representation_v1 where the compositor
    // offers it (and the pair); without it only BT.601 limited range, what compositors assume
    // (measured on weston 14), is accepted: anything else would be shown with the wrong colours.
    pixels::YuvEncoding yuv;
    // What the frames' colours mean (primaries, transfer function, HDR10 metadata), declared with
    // wp_color_manager_v1 before the first frame; the default declares nothing. Anything else where
    // the compositor cannot be told is an error (producer/color_management.hpp).
    pixels::ColorSpace color;
};

// A buffer handed out by acquire(), to fill and queue().
struct Frame {
    uint64_t number = 0;  // 0, 1, ... in acquire order
    const Buffer* buffer = nullptr;
    Backend* backend = nullptr;  // what made it (write() goes through it)
    uint32_t wl_buffer_id = 0;            // the wl_buffer's protocol id, for logs and tests
    uint64_t buffer_serial = 0;           // the buffer's: 1, 2, ... in creation order, never reused
};

class Producer {
public:
    static Result<std::unique_ptr<Producer>> create(ProducerConfig config);
    Producer(const Producer&) = delete;
    Producer& operator=(const Producer&) = delete;
    ~Producer();

    // A buffer to fill. nullopt: FullPolicy::drop dropped this frame (every buffer is held).
    Result<std::optional<Frame>> acquire();
    // Like acquire() with FullPolicy::wait, waiting up to `wait` for a release: nullopt (not an
    // error, not a drop) when none came. For hosts that poll with their own timeouts.
    Result<std::optional<Frame>> try_acquire(std::chrono::milliseconds wait);
    // Fills every plane of the frame's buffer from CPU pixels (through its allocator).
    Result<void> write(const Frame& frame, std::span<const PlanePixels> planes);
    // For a caller that writes the frame's pixels itself on the CPU (a reader that reads straight
    // into the buffer): every plane's mapping, where the allocator writes CPU pixels in place
    // (Backend::writes_in_place; an error elsewhere: use write()). end_cpu_write() ends
    // the access; abandon() gives back a frame that will not be queued.
    Result<Buffer::MappedPlanes> begin_cpu_write(const Frame& frame);
    void end_cpu_write(const Frame& frame);
    bool writes_in_place(const Frame& frame) const;
    Result<void> abandon(const Frame& frame);
    // Draws a test pattern frame into the frame's buffer instead, on the GPU or straight into its
    // mapping on the CPU (Backend::draw, AllocatorOptions::draw): only the pixels that
    // differ from the pattern frame the buffer last got. cannot_draw() says beforehand why that
    // would fail (empty: it works); draws_on_gpu() which of the two it would be.
    Result<void> draw(const Frame& frame, const sources::PatternFrame& pattern, pixels::YuvEncoding encoding);
    std::string cannot_draw(const Frame& frame) const;
    bool draws_on_gpu(const Frame& frame) const;
    // draw() would not wait for the pattern pipeline (AllocatorOptions::prepare_patterns).
    bool draw_ready(const Frame& frame);
    // Hands over a sync_file that signals when the frame's contents are in place, for a frame that
    // its owner filled itself (its own GPU work on the buffer's images): queue() passes it on like
    // write()'s render fence, which it replaces.
    Result<void> set_render_fence(const Frame& frame, UniqueFd fence);
    // Attaches, damages and commits the frame's buffer, with a frame callback and presentation
    // feedback; with `show_at_ns` (the presentation clock; 0: none), a commit-timing timestamp where
    // offered, and the show-at error in the stats.
    Result<void> queue(const Frame& frame, uint64_t show_at_ns = 0);
    // Gives the frame back unqueued and counts it dropped late (StatsSnapshot::late): for a caller
    // whose frame's show-at time has passed.
    Result<void> drop_late(const Frame& frame);
    // Counts a frame dropped late that never had a buffer (a caller that skips it beforehand).
    void count_late_drop() noexcept { stats_.dropped_late(); }
    // Dispatches until the compositor can take the next frame (Pacing), bounded by the timeout;
    // a window not repainted ends the wait sooner (hidden_after).
    Result<void> wait_for_frame();
    // The presentation clock now (wp_presentation's clock: CLOCK_MONOTONIC unless it says otherwise).
    uint64_t now_ns() const noexcept;
    Pacing pacing() const noexcept { return pacing_; }
    // Show-at times go to the compositor as commit-timing timestamps.
    bool commit_timing() const noexcept;
    // The compositor's refresh period from its presentation feedback (0: unknown yet).
    uint32_t refresh_ns() const noexcept { return grid_.refresh_ns; }
    // The window is not being repainted (hidden_after passed without a frame callback, the
    // compositor alive), until a frame callback comes again.
    bool hidden() const noexcept { return hidden_; }

    // For a host's poll loop: readable means dispatch_pending() has work.
    int fd() const noexcept;
    Result<void> dispatch_pending();
    Result<void> dispatch(std::chrono::milliseconds timeout);
    // Dispatches until every queued frame has its presentation feedback (bounded), for final stats.
    Result<void> drain(std::chrono::milliseconds timeout);

    const std::optional<Choice>& choice() const noexcept { return layouts_.choice(); }
    // The sync mode in use (never automatic after create()).
    SyncMode sync_mode() const noexcept { return sync_->mode(); }
    const SyncStats& sync_stats() const noexcept { return sync_->stats(); }
    // For YUV formats, the encoding and whether it was declared: "BT.709 full range, declared
    // (wp_color_representation_v1)"; "BT.601 limited range, the compositor's default". Empty for RGB.
    const std::string& yuv_description() const noexcept { return yuv_description_; }
    // The colour space declared and how: "BT.2020, PQ (SMPTE ST 2084), MaxCLL 1000; declared
    // (wp_color_manager_v1 v2)", with what was left out; empty when nothing was declared.
    const std::string& color_description() const noexcept { return color_description_; }
    StatsSnapshot stats() const { return stats_.snapshot(); }
    const wl::Globals& globals() const noexcept { return *globals_; }
    wl::Window& window() noexcept { return *window_; }
    // Buffers alive now (held, free or retiring), and buffers ever created (wl_buffers).
    size_t buffer_count() const noexcept { return pool_.size(); }
    uint64_t buffers_created() const noexcept { return buffers_created_; }
    // Why allocators could not make a layout (each "ALLOCATOR: error"), in order; such a layout is
    // skipped like a refused one, but the compositor never saw it.
    const std::vector<std::string>& allocation_failures() const noexcept { return layouts_.allocation_failures(); }
    // The connection, for its state after an error (a protocol error's interface and code).
    const wl::Connection& connection() const noexcept { return *connection_; }
    // Layout rebuilds so far (feedback changes and resizes that changed the layout).
    uint64_t rebuilds() const noexcept { return pool_.generation(); }
    void on_presented(std::function<void(const wl::PresentationResult&)> callback);
    // Called just before a buffer is destroyed (retired after a rebuild, or refused), while it
    // and its images still exist, with its serial (Frame::buffer_serial). Not called by ~Producer.
    void on_buffer_destroyed(std::function<void(const Buffer&, uint64_t serial)> callback);

    void handle_feedback(const wl::Feedback& feedback) noexcept;

private:
    explicit Producer(ProducerConfig config)
        : config_{std::move(config)}, backends_{config_.backends}, pool_{config_.buffers},
          layouts_{{.format = config_.format,
                    .modifier = config_.modifier,
                    .stride_align = config_.stride_align,
                    .plane_offset = config_.plane_offset,
                    .disjoint = config_.disjoint,
                    .create_mode = config_.create_mode,
                    .timeout = config_.timeout}}
    {
    }
    Result<void> start();
    Result<void> choose_pacing();  // fifo and the commit timer, where offered and configured
    // `why` the candidates are made again, for the log line when the first one changes.
    Result<void> negotiate(const char* why = "dmabuf feedback changed");
    // BackendSet::adopt, then a new negotiation where backends changed. True when any came.
    Result<bool> adopt_pending(bool wait);
    Result<Slot*> make_slot();
    void check_resize();
    Slot* acquired_slot(const Frame& frame, const char* what, Result<void>* error);
    void destroying(const Slot& slot);  // tells on_buffer_destroyed
    Result<std::optional<Frame>> acquire_within(std::chrono::milliseconds wait, bool timeout_is_error, bool drop);

    ProducerConfig config_;
    std::unique_ptr<wl::Connection> connection_;
    std::unique_ptr<wl::Globals> globals_;
    std::unique_ptr<wl::Window> window_;
    std::unique_ptr<wl::DmabufFeedback> feedback_;
    BackendSet backends_;
    BufferPool pool_;  // after backends_: buffers die before their allocators
    LayoutChoice layouts_;
    std::unique_ptr<FrameSync> sync_;

    wl::Feedback offer_;  // the compositor's current offer
    bool offer_changed_ = false;
    uint32_t width_ = 0, height_ = 0;
    uint64_t frames_acquired_ = 0;
    uint64_t buffers_created_ = 0;
    Stats stats_;
    Pacing pacing_ = Pacing::frame_callbacks;
    RefreshGrid grid_;
    bool hidden_ = false;
    std::string yuv_description_;
    std::string color_description_;
    // The pattern frame the surface shows (the last queued buffer was drawn with it), for damage:
    // the next drawn frame damages only where it differs. Unset after CPU or host contents.
    std::optional<sources::PatternFrame> shown_pattern_;
    pixels::YuvEncoding shown_encoding_;
    std::function<void(const wl::PresentationResult&)> on_presented_;
    std::function<void(const Buffer&, uint64_t)> on_buffer_destroyed_;
};

}  // namespace dmafeed::producer
