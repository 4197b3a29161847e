// The producer: negotiates a buffer layout with the compositor, keeps a pool of 2-4 exported
// buffers as wl_buffers, and presents frames in an xdg_toplevel paced by frame callbacks, with
// presentation feedback turned into stats.
//
// One frame: acquire() a buffer the compositor does not hold -> fill it (write(), or the Vulkan
// images of the buffer) -> queue() attaches, damages and commits it. wait_for_frame() blocks
// (bounded) until the compositor asks for the next frame. A host loop can instead poll fd() and call
// dispatch_pending().
//
// Negotiation (negotiation.hpp) gives candidates in preference order. Buffers are created with
// `create`, waiting for `created`/`failed`, or on request with `create_immed`, where the first
// buffer of each layout is checked with a roundtrip before use and later ones are not (a `failed`
// that comes later still keeps that buffer from being attached: its frame is dropped). `failed`
// marks that (allocator, device, format, modifier) as refused by this compositor: its buffers are
// destroyed, never attached, and the next candidate is allocated. When every candidate is refused,
// an error lists them. The layout that worked is logged once.
//
// Pool: buffers are made lazily up to `buffers`. When every buffer is held by the compositor,
// acquire() waits for a release up to `timeout` (FullPolicy::wait, an error after that) or returns
// no frame at once and counts a drop (FullPolicy::drop).
//
// Sync. The fill of a frame may end in a render fence (a sync_file from the Vulkan upload).
//  - explicit with wp_linux_drm_syncobj_v1 (preferred where offered and the compositor's main device
//    has timeline syncobjs): one DRM syncobj timeline on that device, imported once; per commit an
//    acquire point (the render fence placed at it, or signalled by the CPU when there is none) and a
//    release point. A buffer is free again when its release point has signalled (wl_buffer.release
//    is not relied on, as the protocol says).
//  - explicit (zwp_linux_explicit_synchronization_v1): the fence goes with the commit as the acquire
//    fence, and every commit asks for a release event; a buffer is written again only after its
//    wl_buffer.release and its release event, and after the release fence (if any) has signalled.
//  - implicit: the fence is attached to every plane's dma-buf (DMA_BUF_IOCTL_IMPORT_SYNC_FILE)
//    before the commit; before a released buffer is written again, the dma-buf's fences are taken
//    (DMA_BUF_IOCTL_EXPORT_SYNC_FILE) and waited for. Where those ioctls fail (ENOTTY: an old
//    kernel, or a memfd), the producer waits for its fence on the CPU before each commit instead
//    (logged once).
// `automatic` takes syncobj, then the explicit-sync protocol, where offered, else implicit sync.
//
// Quick start: a factory may give contexts that stand in while others are set up in the background
// (DeviceContexts::pending). The producer switches at the first acquire() after they are ready; a
// buffer moves to the new context of the same allocator (describe()), and a new generation starts
// only where the new first candidate (allocator, device, pair) differs. Where the stand-ins have
// no candidate, or every layout of theirs is refused, it waits for the others.
//
// Rebuilds: a new dmabuf feedback for the surface (v4+) is negotiated again; a configure with a new
// size reallocates (ResizePolicy::reallocate) or scales with wp_viewporter (ResizePolicy::scale,
// where offered). Either way buffers of the old layout are destroyed as the compositor releases
// them, and new ones are made in their place: no frame waits for the old ones.
#pragma once

#include "alloc/buffer.hpp"
#include "drm/syncobj.hpp"
#include "producer/allocators.hpp"
#include "producer/negotiation.hpp"
#include "producer/stats.hpp"
#include "util/result.hpp"
#include "wl/dmabuf_buffer.hpp"
#include "wl/globals.hpp"
#include "wl/window.hpp"

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
// automatic: explicit where the compositor offers it, else implicit.
enum class SyncMode { automatic, explicit_sync, implicit_sync };
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
    wl::WindowOptions window;
    uint32_t max_dmabuf_version = wl::LinuxDmabuf::max_supported_version;
    AllocatorFactory allocators;  // unset: system_allocators({})
    // How YUV frames are encoded. Declared with wp_color_representation_v1 where the compositor
    // offers it (and the pair); without it only BT.601 limited range, what compositors assume
    // (measured on weston 14), is accepted: anything else would be shown with the wrong colours.
    pixels::YuvEncoding yuv;
};

// A buffer handed out by acquire(), to fill and queue().
struct Frame {
    uint64_t number = 0;  // 0, 1, ... in acquire order
    const Buffer* buffer = nullptr;
    AllocatorContext* context = nullptr;  // its allocator (write() goes through it)
    uint32_t wl_buffer_id = 0;            // the wl_buffer's protocol id, for logs and tests
    uint64_t buffer_serial = 0;           // the buffer's: 1, 2, ... in creation order, never reused
};

struct SyncStats {
    uint64_t acquire_fences = 0;      // explicit: commits that carried an acquire fence
    uint64_t fenced_releases = 0;     // explicit: releases with a fence
    uint64_t immediate_releases = 0;  // explicit: releases without one
    uint64_t release_fence_waits = 0;  // fences waited for before a write (release or dma-buf fences)
    uint64_t implicit_attached = 0;   // implicit: render fences attached to dma-bufs
    uint64_t cpu_waits = 0;           // render fences waited for on the CPU (the implicit fallback)
    uint64_t timeline_fences = 0;     // syncobj: render fences placed at an acquire point
    uint64_t timeline_signals = 0;    // syncobj: acquire points signalled by the CPU (no fence)
    std::string protocol;             // "wp_linux_drm_syncobj_v1", "zwp_linux_explicit_synchronization_v1", "implicit"
};

// The layout in use.
struct Choice {
    Candidate candidate;
    std::string allocator;  // AllocatorContext::describe()
    uint32_t width = 0;
    uint32_t height = 0;
    uint64_t buffer_bytes = 0;  // memory of one buffer (Buffer::allocated_bytes)
    std::string to_string() const;
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
    // (AllocatorContext::writes_in_place; an error elsewhere: use write()). end_cpu_write() ends
    // the access; abandon() gives back a frame that will not be queued.
    Result<Buffer::MappedPlanes> begin_cpu_write(const Frame& frame);
    void end_cpu_write(const Frame& frame);
    bool writes_in_place(const Frame& frame) const;
    Result<void> abandon(const Frame& frame);
    // Draws a test pattern frame into the frame's buffer instead, on the GPU or straight into its
    // mapping on the CPU (AllocatorContext::draw, AllocatorOptions::draw): only the pixels that
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
    // feedback.
    Result<void> queue(const Frame& frame);
    // Dispatches until the compositor's frame callback for the last queued frame, bounded by the
    // timeout (an error then: the compositor stopped repainting).
    Result<void> wait_for_frame();

    // For a host's poll loop: readable means dispatch_pending() has work.
    int fd() const noexcept;
    Result<void> dispatch_pending();
    Result<void> dispatch(std::chrono::milliseconds timeout);
    // Dispatches until every queued frame has its presentation feedback (bounded), for final stats.
    Result<void> drain(std::chrono::milliseconds timeout);

    const std::optional<Choice>& choice() const noexcept { return choice_; }
    // The sync mode in use (never automatic after create()).
    SyncMode sync_mode() const noexcept { return sync_mode_; }
    const SyncStats& sync_stats() const noexcept { return sync_stats_; }
    // For YUV formats, the encoding and whether it was declared: "BT.709 full range, declared
    // (wp_color_representation_v1)"; "BT.601 limited range, the compositor's default". Empty for RGB.
    const std::string& yuv_description() const noexcept { return yuv_description_; }
    StatsSnapshot stats() const { return stats_.snapshot(); }
    const wl::Globals& globals() const noexcept { return *globals_; }
    wl::Window& window() noexcept { return *window_; }
    // Buffers alive now (held, free or retiring), and buffers ever created (wl_buffers).
    size_t buffer_count() const noexcept { return slots_.size(); }
    uint64_t buffers_created() const noexcept { return buffers_created_; }
    // Why allocators could not make a layout (each "ALLOCATOR: error"), in order; such a layout is
    // skipped like a refused one, but the compositor never saw it.
    const std::vector<std::string>& allocation_failures() const noexcept { return allocation_failures_; }
    // The connection, for its state after an error (a protocol error's interface and code).
    const wl::Connection& connection() const noexcept { return *connection_; }
    // Layout rebuilds so far (feedback changes and resizes that changed the layout).
    uint64_t rebuilds() const noexcept { return generation_; }
    void on_presented(std::function<void(const wl::PresentationResult&)> callback);
    // Called just before a buffer is destroyed (retired after a rebuild, or refused), while it
    // and its images still exist, with its serial (Frame::buffer_serial). Not called by ~Producer.
    void on_buffer_destroyed(std::function<void(const Buffer&, uint64_t serial)> callback);

    void handle_feedback(const wl::Feedback& feedback) noexcept;

private:
    using RefusalKey = std::tuple<std::string, dev_t, FormatModifier>;  // allocator name, device, pair
    struct Slot {
        RefusalKey layout;  // what it was made as
        std::unique_ptr<Buffer> buffer;
        std::unique_ptr<wl::DmabufBuffer> wl;
        AllocatorContext* context = nullptr;
        uint64_t generation = 0;
        bool acquired = false;  // handed out by acquire(), not queued yet
        bool release_pending = false;  // explicit sync: the commit's release event has not come
        UniqueFd render_fence;         // from write(), until the commit
        UniqueFd release_fence;        // explicit sync: from fenced_release, until waited for
        uint64_t release_point = 0;    // syncobj: the last commit's release point
        uint64_t serial = 0;           // Frame::buffer_serial
        // The pattern frame draw() left in the buffer (write() forgets it): the next draw redraws
        // only what differs.
        std::optional<sources::PatternFrame> drawn;
        pixels::YuvEncoding drawn_encoding;
    };

    explicit Producer(ProducerConfig config) : config_{std::move(config)} {}
    Result<void> start();
    // `why` the candidates are made again, for the log line when the first one changes.
    Result<void> negotiate(const char* why = "dmabuf feedback changed");
    Result<AllocatorContexts*> contexts_for(dev_t device);
    // Switches to the contexts a factory was setting up in the background (DeviceContexts::
    // pending): those that are ready, or all of them (waiting) with `wait`. True when any came.
    Result<bool> adopt_pending(bool wait);
    Result<Slot*> make_slot();
    void retire_old_slots();
    void check_resize();
    Slot* find_slot(const Frame& frame);
    bool destroying(const Slot& slot);  // tells on_buffer_destroyed; returns true
    Result<std::optional<Frame>> acquire_within(std::chrono::milliseconds wait, bool timeout_is_error, bool drop);
    Result<void> setup_sync();
    Result<void> setup_color_representation();
    Result<void> setup_syncobj();
    bool busy(const Slot& slot) const;
    Result<void> wait_for_release(std::chrono::milliseconds timeout);
    Result<void> wait_before_write(Slot& slot);
    Result<void> hand_over_fence(Slot& slot, wl::CommitSync& commit_sync);

    ProducerConfig config_;
    std::unique_ptr<wl::Connection> connection_;
    std::unique_ptr<wl::Globals> globals_;
    std::unique_ptr<wl::Window> window_;
    std::unique_ptr<wl::DmabufFeedback> feedback_;
    std::map<dev_t, AllocatorContexts> contexts_;
    std::map<dev_t, std::string> context_errors_;
    std::map<dev_t, std::unique_ptr<PendingContexts>> pending_;
    // Contexts replaced by the ones that were pending: kept while the producer lives, as frames
    // handed out before the switch and buffers made before it may still point to them.
    std::vector<AllocatorContexts> replaced_contexts_;
    std::chrono::steady_clock::time_point created_at_ = std::chrono::steady_clock::now();
    std::vector<std::unique_ptr<Slot>> slots_;  // after contexts_: buffers die before their allocators

    wl::Feedback offer_;  // the compositor's current offer
    bool offer_changed_ = false;
    std::vector<Candidate> candidates_;
    std::optional<RefusalKey> first_key_;  // candidates_.front()'s allocator, device and pair
    std::set<RefusalKey> refused_;
    std::vector<std::string> allocation_failures_;
    std::optional<Choice> choice_;
    size_t candidate_index_ = 0;
    uint32_t width_ = 0, height_ = 0;
    uint64_t generation_ = 0;
    uint64_t frames_acquired_ = 0;
    uint64_t buffers_created_ = 0;
    std::set<RefusalKey> logged_choices_;
    std::set<RefusalKey> verified_;  // layouts the compositor has accepted a buffer of
    Stats stats_;
    SyncMode sync_mode_ = SyncMode::implicit_sync;
    std::unique_ptr<drm::SyncobjTimeline> timeline_;  // syncobj explicit sync
    wl::ProxyPtr<wp_linux_drm_syncobj_timeline_v1, wl::destroy_syncobj_timeline> timeline_proxy_;
    uint64_t last_point_ = 0;
    SyncStats sync_stats_;
    std::string yuv_description_;
    // The pattern frame the surface shows (the last queued buffer was drawn with it), for damage:
    // the next drawn frame damages only where it differs. Unset after CPU or host contents.
    std::optional<sources::PatternFrame> shown_pattern_;
    pixels::YuvEncoding shown_encoding_;
    bool dmabuf_sync_unsupported_ = false;  // the dma-buf sync_file ioctls failed once: CPU waits
    std::function<void(const wl::PresentationResult&)> on_presented_;
    std::function<void(const Buffer&, uint64_t)> on_buffer_destroyed_;
};

}  // namespace dmafeed::producer
