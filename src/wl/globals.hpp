// The globals a producer binds: zwp_linux_dmabuf_v1 (v3-v5, required), wl_compositor (v4+,
// required), xdg_wm_base (required; pings answered), and when offered wp_presentation (its clock
// recorded), wp_viewporter, wp_linux_drm_syncobj_manager_v1,
// zwp_linux_explicit_synchronization_v1, wp_color_representation_manager_v1 (with the
// coefficient/range pairs it supports), wp_color_manager_v1 (v1-v3, with what it supports),
// wp_fifo_manager_v1 and wp_commit_timing_manager_v1. Each proxy is owned here and destroyed with
// its interface's destructor request.
#pragma once

#include "util/result.hpp"
#include "wl/color_management.hpp"
#include "wl/connection.hpp"
#include "wl/linux_dmabuf.hpp"
#include "wl/proxy.hpp"
#include "wl/registry.hpp"

#include <ctime>
#include <memory>
#include <string>
#include <utility>
#include <vector>

struct wl_compositor;
struct xdg_wm_base;
struct wp_presentation;
struct wp_viewporter;
struct wp_linux_drm_syncobj_manager_v1;
struct zwp_linux_explicit_synchronization_v1;
struct wp_linux_drm_syncobj_timeline_v1;
struct wp_color_representation_manager_v1;
struct wp_fifo_manager_v1;
struct wp_commit_timing_manager_v1;

namespace dmafeed::wl {

void destroy_compositor(wl_compositor* p);
void destroy_wm_base(xdg_wm_base* p);
void destroy_presentation(wp_presentation* p);
void destroy_viewporter(wp_viewporter* p);
void destroy_syncobj_manager(wp_linux_drm_syncobj_manager_v1* p);
void destroy_explicit_sync(zwp_linux_explicit_synchronization_v1* p);
void destroy_syncobj_timeline(wp_linux_drm_syncobj_timeline_v1* p);
void destroy_color_representation(wp_color_representation_manager_v1* p);
void destroy_fifo_manager(wp_fifo_manager_v1* p);
void destroy_commit_timing_manager(wp_commit_timing_manager_v1* p);

class Globals {
public:
    // Binds everything (one roundtrip for the registry, one for v3 formats and the presentation
    // clock). `max_dmabuf_version` caps linux-dmabuf (tests pin v3 or v4).
    static Result<std::unique_ptr<Globals>> bind(Connection& connection,
                                                 uint32_t max_dmabuf_version = LinuxDmabuf::max_supported_version,
                                                 std::chrono::milliseconds timeout = std::chrono::milliseconds{5000});
    Globals(const Globals&) = delete;
    Globals& operator=(const Globals&) = delete;
    ~Globals();

    Registry& registry() noexcept { return *registry_; }
    LinuxDmabuf& dmabuf() noexcept { return *dmabuf_; }
    const LinuxDmabuf& dmabuf() const noexcept { return *dmabuf_; }
    wl_compositor* compositor() const noexcept { return compositor_.get(); }
    xdg_wm_base* wm_base() const noexcept { return wm_base_.get(); }
    wp_presentation* presentation() const noexcept { return presentation_.get(); }  // may be null
    wp_viewporter* viewporter() const noexcept { return viewporter_.get(); }        // may be null
    wp_linux_drm_syncobj_manager_v1* syncobj_manager() const noexcept { return syncobj_.get(); }
    zwp_linux_explicit_synchronization_v1* explicit_sync() const noexcept { return explicit_sync_.get(); }
    wp_color_representation_manager_v1* color_representation() const noexcept { return color_representation_.get(); }
    wp_color_manager_v1* color_manager() const noexcept { return color_manager_ ? color_manager_->get() : nullptr; }
    // What wp_color_manager_v1 supports (version 0: not offered).
    const ColorManagerSupport& color_support() const noexcept;
    wp_fifo_manager_v1* fifo_manager() const noexcept { return fifo_.get(); }                       // may be null
    wp_commit_timing_manager_v1* commit_timing() const noexcept { return commit_timing_.get(); }    // may be null
    // wp_color_representation_surface_v1 (coefficients, range) pairs the compositor supports.
    const std::vector<std::pair<uint32_t, uint32_t>>& supported_coefficients() const noexcept { return coefficients_; }
    // wp_presentation's clock (CLOCK_MONOTONIC until the compositor says otherwise).
    clockid_t presentation_clock() const noexcept { return clock_; }
    // "zwp_linux_dmabuf_v1 v4, wp_presentation v2, ..." for logs.
    std::string describe() const;

    void handle_ping(uint32_t serial) noexcept;
    void handle_clock_id(uint32_t clock) noexcept;
    void handle_coefficients(uint32_t coefficients, uint32_t range) noexcept;

private:
    Globals() = default;
    std::unique_ptr<Registry> registry_;
    std::unique_ptr<LinuxDmabuf> dmabuf_;
    ProxyPtr<wl_compositor, destroy_compositor> compositor_;
    ProxyPtr<xdg_wm_base, destroy_wm_base> wm_base_;
    ProxyPtr<wp_presentation, destroy_presentation> presentation_;
    ProxyPtr<wp_viewporter, destroy_viewporter> viewporter_;
    ProxyPtr<wp_linux_drm_syncobj_manager_v1, destroy_syncobj_manager> syncobj_;
    ProxyPtr<zwp_linux_explicit_synchronization_v1, destroy_explicit_sync> explicit_sync_;
    ProxyPtr<wp_color_representation_manager_v1, destroy_color_representation> color_representation_;
    std::unique_ptr<ColorManager> color_manager_;
    ProxyPtr<wp_fifo_manager_v1, destroy_fifo_manager> fifo_;
    ProxyPtr<wp_commit_timing_manager_v1, destroy_commit_timing_manager> commit_timing_;
    std::vector<std::pair<uint32_t, uint32_t>> coefficients_;
    clockid_t clock_ = CLOCK_MONOTONIC;
};

}  // namespace dmafeed::wl
