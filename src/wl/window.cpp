#include "wl/window.hpp"

#include "color-management-v1-client-protocol.h"
#include "color-representation-v1-client-protocol.h"
#include "commit-timing-v1-client-protocol.h"
#include "fifo-v1-client-protocol.h"
#include "linux-drm-syncobj-v1-client-protocol.h"
#include "linux-explicit-synchronization-unstable-v1-client-protocol.h"
#include "presentation-time-client-protocol.h"
#include "viewporter-client-protocol.h"
#include "wl/listener.hpp"
#include "xdg-shell-client-protocol.h"

#include <algorithm>
#include <ctime>
#include <wayland-client.h>

namespace dmafeed::wl {

struct Window::Feedback {
    Window* window = nullptr;
    ProxyPtr<struct wp_presentation_feedback, wp_presentation_feedback_destroy> proxy;
    PresentationResult result;

    void handle_sync_output(wl_output*) noexcept {}
    void handle_presented(uint32_t tv_sec_hi, uint32_t tv_sec_lo, uint32_t tv_nsec, uint32_t refresh, uint32_t seq_hi,
                          uint32_t seq_lo, uint32_t flags) noexcept
    {
        const uint64_t sec = (uint64_t{tv_sec_hi} << 32U) | tv_sec_lo;
        result.time_ns = sec * 1'000'000'000ULL + tv_nsec;
        result.refresh_ns = refresh;
        result.seq = (uint64_t{seq_hi} << 32U) | seq_lo;
        result.flags = flags;
        window->feedback_done(this, true);
    }
    void handle_discarded() noexcept { window->feedback_done(this, false); }
};

struct Window::FrameCallback {
    Window* window = nullptr;
    ProxyPtr<wl_callback, destroy_callback> proxy;

    void handle_done(uint32_t) noexcept { window->frame_done(this); }
};

struct Window::Release {
    Window* window = nullptr;
    ProxyPtr<zwp_linux_buffer_release_v1, zwp_linux_buffer_release_v1_destroy> proxy;
    std::function<void(UniqueFd)> on_release;

    void handle_fenced_release(int32_t fence) noexcept { window->release_done(this, UniqueFd{fence}); }
    void handle_immediate_release() noexcept { window->release_done(this, UniqueFd{}); }
};

namespace {

constexpr zwp_linux_buffer_release_v1_listener release_listener{
    .fenced_release = on<&Window::Release::handle_fenced_release>,
    .immediate_release = on<&Window::Release::handle_immediate_release>,
};

constexpr xdg_surface_listener xdg_surface_listener_{.configure = on<&Window::handle_xdg_configure>};
constexpr xdg_toplevel_listener toplevel_listener{
    .configure = on<&Window::handle_toplevel_configure>,
    .close = on<&Window::handle_toplevel_close>,
    .configure_bounds = ignore,
    .wm_capabilities = ignore,
};
constexpr wl_callback_listener frame_listener{.done = on<&Window::FrameCallback::handle_done>};
constexpr wp_presentation_feedback_listener feedback_listener{
    .sync_output = on<&Window::Feedback::handle_sync_output>,
    .presented = on<&Window::Feedback::handle_presented>,
    .discarded = on<&Window::Feedback::handle_discarded>,
};

uint64_t now_ns(clockid_t clock)
{
    timespec ts{};
    clock_gettime(clock, &ts);
    return uint64_t(ts.tv_sec) * 1'000'000'000ULL + uint64_t(ts.tv_nsec);
}

}  // namespace

void destroy_surface(wl_surface* p) { wl_surface_destroy(p); }
void destroy_xdg_surface(xdg_surface* p) { xdg_surface_destroy(p); }
void destroy_toplevel(xdg_toplevel* p) { xdg_toplevel_destroy(p); }
void destroy_viewport(wp_viewport* p) { wp_viewport_destroy(p); }
void destroy_color_representation_surface(wp_color_representation_surface_v1* p)
{
    wp_color_representation_surface_v1_destroy(p);
}
void destroy_color_management_surface(wp_color_management_surface_v1* p) { wp_color_management_surface_v1_destroy(p); }
void destroy_callback(wl_callback* p) { wl_callback_destroy(p); }
void destroy_surface_synchronization(zwp_linux_surface_synchronization_v1* p)
{
    zwp_linux_surface_synchronization_v1_destroy(p);
}
void destroy_syncobj_surface(wp_linux_drm_syncobj_surface_v1* p) { wp_linux_drm_syncobj_surface_v1_destroy(p); }
void destroy_fifo(wp_fifo_v1* p) { wp_fifo_v1_destroy(p); }
void destroy_commit_timer(wp_commit_timer_v1* p) { wp_commit_timer_v1_destroy(p); }

Result<std::unique_ptr<Window>> Window::create(Connection& connection, Globals& globals, const WindowOptions& options,
                                               std::chrono::milliseconds timeout)
{
    std::unique_ptr<Window> w{new Window{globals}};
    w->surface_.reset(wl_compositor_create_surface(globals.compositor()));
    wl_surface* surface = w->surface_.get();
    w->xdg_surface_.reset(xdg_wm_base_get_xdg_surface(globals.wm_base(), surface));
    xdg_surface_add_listener(w->xdg_surface_.get(), &xdg_surface_listener_, w.get());
    w->toplevel_.reset(xdg_surface_get_toplevel(w->xdg_surface_.get()));
    xdg_toplevel* toplevel = w->toplevel_.get();
    xdg_toplevel_add_listener(toplevel, &toplevel_listener, w.get());
    xdg_toplevel_set_title(toplevel, options.title.c_str());
    xdg_toplevel_set_app_id(toplevel, options.app_id.c_str());
    if (options.fullscreen) xdg_toplevel_set_fullscreen(toplevel, nullptr);
    if (globals.viewporter()) w->viewport_.reset(wp_viewporter_get_viewport(globals.viewporter(), surface));
    wl_surface_commit(surface);  // the initial commit, without a buffer, asks for a configure

    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (w->configures_ == 0) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            return Error{"the compositor sent no xdg_surface.configure within " + std::to_string(timeout.count()) + " ms"};
        }
        if (auto r = connection.dispatch(left); !r) return std::move(r).error().context("waiting for the first configure");
    }
    return w;
}

Window::Window(Globals& globals) : globals_{globals} {}

Window::~Window() = default;  // the members' order is the protocol's (window.hpp)

void Window::set_fullscreen(bool fullscreen)
{
    if (fullscreen) {
        xdg_toplevel_set_fullscreen(toplevel_.get(), nullptr);
    } else {
        xdg_toplevel_unset_fullscreen(toplevel_.get());
    }
}

Result<void> Window::enable_explicit_sync()
{
    if (sync_) return {};
    if (!globals_.explicit_sync()) return Error{"the compositor does not offer zwp_linux_explicit_synchronization_v1"};
    sync_.reset(zwp_linux_explicit_synchronization_v1_get_synchronization(globals_.explicit_sync(), surface_.get()));
    return {};
}

Result<void> Window::enable_syncobj()
{
    if (syncobj_) return {};
    if (!globals_.syncobj_manager()) return Error{"the compositor does not offer wp_linux_drm_syncobj_manager_v1"};
    syncobj_.reset(wp_linux_drm_syncobj_manager_v1_get_surface(globals_.syncobj_manager(), surface_.get()));
    return {};
}

Result<void> Window::enable_fifo()
{
    if (fifo_) return {};
    if (!globals_.fifo_manager()) return Error{"the compositor does not offer wp_fifo_manager_v1"};
    fifo_.reset(wp_fifo_manager_v1_get_fifo(globals_.fifo_manager(), surface_.get()));
    return {};
}

Result<void> Window::enable_commit_timer()
{
    if (timer_) return {};
    if (!globals_.commit_timing()) return Error{"the compositor does not offer wp_commit_timing_manager_v1"};
    timer_.reset(wp_commit_timing_manager_v1_get_timer(globals_.commit_timing(), surface_.get()));
    return {};
}

Result<void> Window::set_color_representation(uint32_t coefficients, uint32_t range)
{
    wp_color_representation_manager_v1* manager = globals_.color_representation();
    if (!manager) return Error{"the compositor does not offer wp_color_representation_manager_v1"};
    if (!color_representation_) {
        color_representation_.reset(wp_color_representation_manager_v1_get_surface(manager, surface_.get()));
    }
    wp_color_representation_surface_v1_set_coefficients_and_range(color_representation_.get(), coefficients, range);
    return {};
}

Result<void> Window::set_image_description(wp_image_description_v1* description, uint32_t render_intent)
{
    wp_color_manager_v1* manager = globals_.color_manager();
    if (!manager) return Error{"the compositor does not offer wp_color_manager_v1"};
    if (!color_management_) color_management_.reset(wp_color_manager_v1_get_surface(manager, surface_.get()));
    wp_color_management_surface_v1_set_image_description(color_management_.get(), description, render_intent);
    return {};
}

void Window::present(wl_buffer* buffer, uint32_t width, uint32_t height, int32_t dest_width, int32_t dest_height,
                     uint64_t frame, const CommitSync* sync, std::span<const DamageRect> damage,
                     const CommitTiming& timing)
{
    if (configure_pending_) {
        xdg_surface_ack_configure(xdg_surface_.get(), pending_serial_);
        configure_pending_ = false;
    }
    const auto bw = static_cast<int32_t>(width);
    const auto bh = static_cast<int32_t>(height);
    if (viewport_) {
        const bool scale = dest_width > 0 && dest_height > 0 && (dest_width != bw || dest_height != bh);
        if (scale) {
            wp_viewport_set_destination(viewport_.get(), dest_width, dest_height);
        } else if (scaled_) {
            wp_viewport_set_destination(viewport_.get(), -1, -1);  // -1 x -1: the protocol's "unset"
        }
        scaled_ = scale;
    }
    wl_surface* surface = surface_.get();
    wl_surface_attach(surface, buffer, 0, 0);
    if (damage.empty()) {
        wl_surface_damage_buffer(surface, 0, 0, bw, bh);
    } else {
        for (const DamageRect& r : damage) wl_surface_damage_buffer(surface, r.x, r.y, r.width, r.height);
    }
    if (sync && syncobj_ && sync->timeline) {
        const auto hi = [](uint64_t v) { return static_cast<uint32_t>(v >> 32U); };
        const auto lo = [](uint64_t v) { return static_cast<uint32_t>(v & 0xffffffffU); };
        wp_linux_drm_syncobj_surface_v1_set_acquire_point(syncobj_.get(), sync->timeline, hi(sync->acquire_point),
                                                          lo(sync->acquire_point));
        wp_linux_drm_syncobj_surface_v1_set_release_point(syncobj_.get(), sync->timeline, hi(sync->release_point),
                                                          lo(sync->release_point));
    }
    if (sync && sync_) {
        if (sync->acquire_fence >= 0) {
            zwp_linux_surface_synchronization_v1_set_acquire_fence(sync_.get(), sync->acquire_fence);
        }
        if (sync->on_release) {
            auto release = std::make_unique<Release>();
            release->window = this;
            release->on_release = sync->on_release;
            release->proxy.reset(zwp_linux_surface_synchronization_v1_get_release(sync_.get()));
            zwp_linux_buffer_release_v1_add_listener(release->proxy.get(), &release_listener, release.get());
            releases_.push_back(std::move(release));
        }
    }
    if (timing.fifo && fifo_) {
        // Not applied before the refresh after the previous commit's content was (wait), and the
        // next one not before the refresh after this one's (set).
        wp_fifo_v1_wait_barrier(fifo_.get());
        wp_fifo_v1_set_barrier(fifo_.get());
    }
    if (timing.timestamp_ns != 0 && timer_) {
        const uint64_t sec = timing.timestamp_ns / 1'000'000'000ULL;
        wp_commit_timer_v1_set_timestamp(timer_.get(), static_cast<uint32_t>(sec >> 32U),
                                         static_cast<uint32_t>(sec & 0xffffffffU),
                                         static_cast<uint32_t>(timing.timestamp_ns % 1'000'000'000ULL));
    }
    if (frame_callbacks_pending_.size() >= max_frame_callbacks) frame_callbacks_pending_.erase(frame_callbacks_pending_.begin());
    auto callback = std::make_unique<FrameCallback>();
    callback->window = this;
    callback->proxy.reset(wl_surface_frame(surface));
    wl_callback_add_listener(callback->proxy.get(), &frame_listener, callback.get());
    frame_callbacks_pending_.push_back(std::move(callback));
    if (globals_.presentation()) {
        auto fb = std::make_unique<Feedback>();
        fb->window = this;
        fb->result.frame = frame;
        fb->result.queued_ns = now_ns(globals_.presentation_clock());
        fb->result.show_at_ns = timing.show_at_ns;
        fb->proxy.reset(wp_presentation_feedback(globals_.presentation(), surface));
        wp_presentation_feedback_add_listener(fb->proxy.get(), &feedback_listener, fb.get());
        feedbacks_.push_back(std::move(fb));
    }
    wl_surface_commit(surface);
}

void Window::handle_xdg_configure(uint32_t serial) noexcept
{
    width_ = pending_width_;
    height_ = pending_height_;
    fullscreen_ = pending_fullscreen_;
    pending_serial_ = serial;
    configure_pending_ = true;
    ++configures_;
}

void Window::handle_toplevel_configure(int32_t width, int32_t height, wl_array* states) noexcept
{
    pending_width_ = width > 0 ? width : 0;
    pending_height_ = height > 0 ? height : 0;
    pending_fullscreen_ = false;
    const size_t n = states ? states->size / sizeof(uint32_t) : 0;
    const auto* s = states ? static_cast<const uint32_t*>(states->data) : nullptr;
    for (size_t i = 0; i < n; ++i) {
        if (s[i] == XDG_TOPLEVEL_STATE_FULLSCREEN) pending_fullscreen_ = true;
    }
}

void Window::handle_toplevel_close() noexcept { closed_ = true; }

void Window::frame_done(FrameCallback* callback) noexcept
{
    // `done` is a destructor event: the proxy goes with `callback`.
    const auto it = std::find_if(frame_callbacks_pending_.begin(), frame_callbacks_pending_.end(),
                                 [&](const std::unique_ptr<FrameCallback>& c) { return c.get() == callback; });
    if (it != frame_callbacks_pending_.end()) frame_callbacks_pending_.erase(it);
    ++frame_callbacks_;
}

void Window::release_done(Release* release, UniqueFd fence) noexcept
{
    // Both events are destructors: the proxy is gone on the server side; ours goes with `release`.
    auto callback = std::move(release->on_release);
    releases_.remove_if([&](const std::unique_ptr<Release>& r) { return r.get() == release; });
    if (callback) callback(std::move(fence));
}

void Window::feedback_done(Feedback* feedback, bool presented) noexcept
{
    feedback->result.presented = presented;
    const PresentationResult result = feedback->result;
    // `presented` and `discarded` are destructor events: the proxy goes with `feedback`.
    feedbacks_.remove_if([&](const std::unique_ptr<Feedback>& f) { return f.get() == feedback; });
    if (on_presented_) on_presented_(result);
}

}  // namespace dmafeed::wl
