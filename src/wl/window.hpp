// The producer's window: a wl_surface with the xdg_toplevel role (title, app id, fullscreen), an
// optional wp_viewport for scaling, and per-commit pacing, timing and presentation feedback.
//
// present() attaches a buffer, damages it (damage_buffer), asks for a frame callback and, when
// wp_presentation is offered, a presentation feedback, and commits. Each commit's frame callback
// is kept until it fires (the newest `max_frame_callbacks`; older ones are dropped): the caller
// paces on frame_callbacks_pending(). Each feedback ends in on_presented with what the compositor
// said (presented with time/refresh/flags, or discarded), in the presentation clock.
// With wp_fifo_v1 enabled, a commit may carry a fifo barrier (set_barrier + wait_barrier: it is
// not applied before the refresh after the previous one's); with wp_commit_timer_v1, a
// timestamp (it is not presented before that time).
// Configure events are acked before the next commit; close is recorded, not acted upon.
// With explicit sync enabled, a commit can carry an acquire fence and ask for a release event.
#pragma once

#include "util/result.hpp"
#include "util/unique_fd.hpp"
#include "wl/connection.hpp"
#include "wl/globals.hpp"
#include "wl/proxy.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <list>
#include <memory>
#include <string>
#include <vector>

struct wl_buffer;
struct wl_callback;
struct wl_surface;
struct xdg_surface;
struct xdg_toplevel;
struct wp_viewport;
struct wp_color_representation_surface_v1;
struct wp_color_management_surface_v1;
struct wp_image_description_v1;
struct wp_presentation_feedback;
struct zwp_linux_surface_synchronization_v1;
struct wp_linux_drm_syncobj_surface_v1;
struct wp_linux_drm_syncobj_timeline_v1;
struct wp_fifo_v1;
struct wp_commit_timer_v1;

namespace dmafeed::wl {

void destroy_surface(wl_surface* p);
void destroy_xdg_surface(xdg_surface* p);
void destroy_toplevel(xdg_toplevel* p);
void destroy_viewport(wp_viewport* p);
void destroy_color_representation_surface(wp_color_representation_surface_v1* p);
void destroy_color_management_surface(wp_color_management_surface_v1* p);
void destroy_callback(wl_callback* p);
void destroy_surface_synchronization(zwp_linux_surface_synchronization_v1* p);
void destroy_syncobj_surface(wp_linux_drm_syncobj_surface_v1* p);
void destroy_fifo(wp_fifo_v1* p);
void destroy_commit_timer(wp_commit_timer_v1* p);

struct WindowOptions {
    std::string title = "dmafeed";
    std::string app_id = "dmafeed";
    bool fullscreen = false;
};

// Explicit synchronization of one commit: wp_linux_drm_syncobj_v1 (timeline points) or
// zwp_linux_explicit_synchronization_v1 (an acquire fence, a release event).
struct CommitSync {
    wp_linux_drm_syncobj_timeline_v1* timeline = nullptr;  // syncobj: both points on it
    uint64_t acquire_point = 0;
    uint64_t release_point = 0;
    int acquire_fence = -1;  // borrowed; sent with set_acquire_fence when >= 0
    // Set: get_release for this commit. Called with the release fence (fenced_release), or with
    // no fd (immediate_release).
    std::function<void(UniqueFd release_fence)> on_release;
};

// A rectangle of buffer pixels for wl_surface.damage_buffer.
struct DamageRect {
    int32_t x = 0, y = 0, width = 0, height = 0;
};

// How one commit is timed (present()).
struct CommitTiming {
    bool fifo = false;          // set_barrier + wait_barrier (fifo enabled)
    uint64_t timestamp_ns = 0;  // wp_commit_timer_v1.set_timestamp (commit timer enabled); 0: none
    uint64_t show_at_ns = 0;    // when the frame is meant to be shown, for PresentationResult; 0: none
};

struct PresentationResult {
    uint64_t frame = 0;      // the id given to present()
    uint64_t queued_ns = 0;  // presentation clock at present()
    uint64_t show_at_ns = 0;  // CommitTiming::show_at_ns
    bool presented = false;  // false: discarded
    uint64_t time_ns = 0;
    uint32_t refresh_ns = 0;
    uint64_t seq = 0;
    uint32_t flags = 0;  // wp_presentation_feedback.kind bits (WP_PRESENTATION_FEEDBACK_KIND_*)
};

class Window {
public:
    // Creates the surface and toplevel and waits (bounded) for the first configure.
    static Result<std::unique_ptr<Window>> create(Connection& connection, Globals& globals, const WindowOptions& options,
                                                  std::chrono::milliseconds timeout = std::chrono::milliseconds{5000});
    Window(const Window&) = delete;
    Window& operator=(const Window&) = delete;
    ~Window();

    wl_surface* surface() const noexcept { return surface_.get(); }
    // The size of the last configure (0: the client chooses), and its fullscreen state.
    int32_t configured_width() const noexcept { return width_; }
    int32_t configured_height() const noexcept { return height_; }
    bool fullscreen() const noexcept { return fullscreen_; }
    uint64_t configures() const noexcept { return configures_; }
    bool closed() const noexcept { return closed_; }
    bool has_viewport() const noexcept { return viewport_ != nullptr; }

    void set_fullscreen(bool fullscreen);
    // Creates the surface's zwp_linux_surface_synchronization_v1 (the global must be bound).
    Result<void> enable_explicit_sync();
    // Creates the surface's wp_linux_drm_syncobj_surface_v1 (the global must be bound).
    Result<void> enable_syncobj();
    bool explicit_sync() const noexcept { return sync_ != nullptr || syncobj_ != nullptr; }
    // Creates the surface's wp_fifo_v1 / wp_commit_timer_v1 (the global must be bound).
    Result<void> enable_fifo();
    Result<void> enable_commit_timer();
    bool fifo() const noexcept { return fifo_ != nullptr; }
    bool commit_timer() const noexcept { return timer_ != nullptr; }
    // Declares how the surface's YCbCr buffers decode (wp_color_representation_surface_v1
    // coefficients and range enum values), from the next commit on. The global must be bound and
    // the pair among its supported ones.
    Result<void> set_color_representation(uint32_t coefficients, uint32_t range);
    // Sets the surface's image description (wp_color_management_surface_v1; a ready description
    // and an intent the compositor lists), from the next commit on. The description may be
    // destroyed at once: the surface keeps a copy. The global must be bound.
    Result<void> set_image_description(wp_image_description_v1* description, uint32_t render_intent);

    // Attaches `buffer` (width x height pixels), shown at `dest_width` x `dest_height` surface
    // pixels through the viewport when they differ (and a viewport exists), damages `damage` (buffer
    // pixels where it differs from the buffer shown before; empty: all of it), and commits.
    // With `sync` (explicit sync enabled): its acquire fence and release request go with the commit.
    // `timing`: the commit's fifo barrier and timestamp (where enabled) and its show-at time.
    void present(wl_buffer* buffer, uint32_t width, uint32_t height, int32_t dest_width, int32_t dest_height,
                 uint64_t frame, const CommitSync* sync = nullptr, std::span<const DamageRect> damage = {},
                 const CommitTiming& timing = {});
    // Frame callbacks asked for and not fired yet (at most max_frame_callbacks, the newest ones).
    static constexpr size_t max_frame_callbacks = 4;
    size_t frame_callbacks_pending() const noexcept { return frame_callbacks_pending_.size(); }
    // The frame callback of the last present() has not fired yet.
    bool frame_pending() const noexcept { return !frame_callbacks_pending_.empty(); }
    uint64_t frame_callbacks() const noexcept { return frame_callbacks_; }
    void on_presented(std::function<void(const PresentationResult&)> callback) { on_presented_ = std::move(callback); }
    size_t feedbacks_in_flight() const noexcept { return feedbacks_.size(); }

    // Listener entry points.
    void handle_xdg_configure(uint32_t serial) noexcept;
    void handle_toplevel_configure(int32_t width, int32_t height, wl_array* states) noexcept;
    void handle_toplevel_close() noexcept;
    struct FrameCallback;  // one wl_callback in flight
    void frame_done(FrameCallback* callback) noexcept;
    struct Feedback;  // one wp_presentation_feedback in flight
    void feedback_done(Feedback* feedback, bool presented) noexcept;
    struct Release;  // one zwp_linux_buffer_release_v1 in flight
    void release_done(Release* release, UniqueFd fence) noexcept;
    size_t releases_in_flight() const noexcept { return releases_.size(); }

private:
    explicit Window(Globals& globals);
    Globals& globals_;
    // The proxies die in reverse order of declaration: the wl_surface last, after every object made
    // for it, and its role objects in the order xdg-shell requires (xdg_toplevel, then xdg_surface).
    ProxyPtr<wl_surface, destroy_surface> surface_;
    ProxyPtr<xdg_surface, destroy_xdg_surface> xdg_surface_;
    ProxyPtr<xdg_toplevel, destroy_toplevel> toplevel_;
    ProxyPtr<wp_viewport, destroy_viewport> viewport_;
    std::vector<std::unique_ptr<FrameCallback>> frame_callbacks_pending_;  // oldest first
    ProxyPtr<wp_color_representation_surface_v1, destroy_color_representation_surface> color_representation_;
    ProxyPtr<wp_color_management_surface_v1, destroy_color_management_surface> color_management_;
    ProxyPtr<wp_linux_drm_syncobj_surface_v1, destroy_syncobj_surface> syncobj_;
    ProxyPtr<zwp_linux_surface_synchronization_v1, destroy_surface_synchronization> sync_;
    ProxyPtr<wp_fifo_v1, destroy_fifo> fifo_;
    ProxyPtr<wp_commit_timer_v1, destroy_commit_timer> timer_;
    std::list<std::unique_ptr<Release>> releases_;
    std::list<std::unique_ptr<Feedback>> feedbacks_;
    std::function<void(const PresentationResult&)> on_presented_;
    uint32_t pending_serial_ = 0;  // a configure to ack at the next commit
    bool configure_pending_ = false;
    int32_t pending_width_ = 0, pending_height_ = 0;
    bool pending_fullscreen_ = false;
    int32_t width_ = 0, height_ = 0;
    bool fullscreen_ = false;
    bool scaled_ = false;  // the viewport has a destination set
    uint64_t configures_ = 0;
    uint64_t frame_callbacks_ = 0;
    bool closed_ = false;
};

}  // namespace dmafeed::wl
