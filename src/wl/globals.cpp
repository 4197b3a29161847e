#include "wl/globals.hpp"

#include "color-representation-v1-client-protocol.h"
#include "commit-timing-v1-client-protocol.h"
#include "fifo-v1-client-protocol.h"
#include "linux-drm-syncobj-v1-client-protocol.h"
#include "linux-explicit-synchronization-unstable-v1-client-protocol.h"
#include "presentation-time-client-protocol.h"
#include "viewporter-client-protocol.h"
#include "wl/listener.hpp"
#include "xdg-shell-client-protocol.h"

#include <wayland-client.h>

namespace dmafeed::wl {
namespace {

constexpr xdg_wm_base_listener wm_base_listener{.ping = on<&Globals::handle_ping>};
constexpr wp_presentation_listener presentation_listener{.clock_id = on<&Globals::handle_clock_id>};
constexpr wp_color_representation_manager_v1_listener color_representation_listener{
    .supported_alpha_mode = ignore, .supported_coefficients_and_ranges = on<&Globals::handle_coefficients>, .done = ignore};

uint32_t version_of(void* proxy) { return proxy ? wl_proxy_get_version(static_cast<wl_proxy*>(proxy)) : 0; }

}  // namespace

void destroy_compositor(wl_compositor* p) { wl_compositor_destroy(p); }
void destroy_wm_base(xdg_wm_base* p) { xdg_wm_base_destroy(p); }
void destroy_presentation(wp_presentation* p) { wp_presentation_destroy(p); }
void destroy_viewporter(wp_viewporter* p) { wp_viewporter_destroy(p); }
void destroy_syncobj_manager(wp_linux_drm_syncobj_manager_v1* p) { wp_linux_drm_syncobj_manager_v1_destroy(p); }
void destroy_explicit_sync(zwp_linux_explicit_synchronization_v1* p) { zwp_linux_explicit_synchronization_v1_destroy(p); }
void destroy_syncobj_timeline(wp_linux_drm_syncobj_timeline_v1* p) { wp_linux_drm_syncobj_timeline_v1_destroy(p); }
void destroy_color_representation(wp_color_representation_manager_v1* p) { wp_color_representation_manager_v1_destroy(p); }
void destroy_fifo_manager(wp_fifo_manager_v1* p) { wp_fifo_manager_v1_destroy(p); }
void destroy_commit_timing_manager(wp_commit_timing_manager_v1* p) { wp_commit_timing_manager_v1_destroy(p); }

Result<std::unique_ptr<Globals>> Globals::bind(Connection& connection, uint32_t max_dmabuf_version,
                                               std::chrono::milliseconds timeout)
{
    std::unique_ptr<Globals> g{new Globals};
    auto registry = Registry::create(connection, timeout);
    if (!registry) return std::move(registry).error();
    g->registry_ = std::move(*registry);
    Registry& reg = *g->registry_;

    auto dmabuf = LinuxDmabuf::bind(reg, max_dmabuf_version);
    if (!dmabuf) return std::move(dmabuf).error();
    g->dmabuf_ = std::move(*dmabuf);

    // Its wl_surfaces have the version it is bound at: damage_buffer needs 4.
    auto compositor = reg.bind(wl_compositor_interface, WL_SURFACE_DAMAGE_BUFFER_SINCE_VERSION, 6);
    if (!compositor) return std::move(compositor).error();
    g->compositor_.reset(static_cast<wl_compositor*>(*compositor));

    auto wm_base = reg.bind(xdg_wm_base_interface, 1, 6);
    if (!wm_base) return std::move(wm_base).error().context("dmafeed shows its frames in an xdg_toplevel");
    g->wm_base_.reset(static_cast<xdg_wm_base*>(*wm_base));
    xdg_wm_base_add_listener(g->wm_base_.get(), &wm_base_listener, g.get());

    g->presentation_.reset(static_cast<wp_presentation*>(reg.bind_optional(wp_presentation_interface, 1, 2)));
    if (g->presentation_) wp_presentation_add_listener(g->presentation_.get(), &presentation_listener, g.get());
    g->viewporter_.reset(static_cast<wp_viewporter*>(reg.bind_optional(wp_viewporter_interface, 1, 1)));
    g->syncobj_.reset(static_cast<wp_linux_drm_syncobj_manager_v1*>(
        reg.bind_optional(wp_linux_drm_syncobj_manager_v1_interface, 1, 1)));
    g->explicit_sync_.reset(static_cast<zwp_linux_explicit_synchronization_v1*>(
        reg.bind_optional(zwp_linux_explicit_synchronization_v1_interface, 1, 2)));
    g->color_representation_.reset(static_cast<wp_color_representation_manager_v1*>(
        reg.bind_optional(wp_color_representation_manager_v1_interface, 1, 1)));
    g->color_manager_ = ColorManager::bind(reg);  // what it supports arrives with the roundtrip below
    g->fifo_.reset(static_cast<wp_fifo_manager_v1*>(reg.bind_optional(wp_fifo_manager_v1_interface, 1, 1)));
    g->commit_timing_.reset(
        static_cast<wp_commit_timing_manager_v1*>(reg.bind_optional(wp_commit_timing_manager_v1_interface, 1, 1)));
    if (g->color_representation_) {
        // Its supported pairs arrive with the roundtrip below.
        wp_color_representation_manager_v1_add_listener(g->color_representation_.get(), &color_representation_listener, g.get());
    }

    if (auto r = connection.roundtrip(timeout); !r) return std::move(r).error().context("binding the compositor's globals");
    return g;
}

Globals::~Globals() = default;

void Globals::handle_ping(uint32_t serial) noexcept { xdg_wm_base_pong(wm_base_.get(), serial); }

void Globals::handle_clock_id(uint32_t clock) noexcept { clock_ = static_cast<clockid_t>(clock); }

void Globals::handle_coefficients(uint32_t coefficients, uint32_t range) noexcept
{
    coefficients_.emplace_back(coefficients, range);
}

const ColorManagerSupport& Globals::color_support() const noexcept
{
    static const ColorManagerSupport none;
    return color_manager_ ? color_manager_->support() : none;
}

std::string Globals::describe() const
{
    std::string s = "zwp_linux_dmabuf_v1 v" + std::to_string(dmabuf_->version());
    auto add = [&](const char* name, void* proxy) {
        if (proxy) s += std::string{", "} + name + " v" + std::to_string(version_of(proxy));
    };
    add("wl_compositor", compositor_.get());
    add("xdg_wm_base", wm_base_.get());
    add("wp_presentation", presentation_.get());
    add("wp_viewporter", viewporter_.get());
    add("wp_linux_drm_syncobj_manager_v1", syncobj_.get());
    add("zwp_linux_explicit_synchronization_v1", explicit_sync_.get());
    add("wp_color_representation_manager_v1", color_representation_.get());
    add("wp_color_manager_v1", color_manager());
    add("wp_fifo_manager_v1", fifo_.get());
    add("wp_commit_timing_manager_v1", commit_timing_.get());
    return s;
}

}  // namespace dmafeed::wl
