// wp_fifo_manager_v1 / wp_fifo_v1 and wp_commit_timing_manager_v1 / wp_commit_timer_v1: the
// requests add double-buffered constraints (set_barrier, wait_barrier, a target time) to the
// surface's pending state; server_surface.cpp queues and applies the updates that carry them.
#include "server.hpp"

#include "commit-timing-v1-server-protocol.h"
#include "fifo-v1-server-protocol.h"

#include <limits>
#include <string>
#include <wayland-server.h>

namespace dmafeed::test::detail {
namespace {

// A wp_fifo_v1 or wp_commit_timer_v1: its surface, null once the surface is gone (then its
// requests are surface_destroyed errors).
struct SurfaceAddon {
    Server* server = nullptr;
    Surface* surface = nullptr;
};

SurfaceAddon* addon_of(wl_resource* resource)
{
    return static_cast<SurfaceAddon*>(wl_resource_get_user_data(resource));
}

void addon_destroy(wl_client*, wl_resource* resource) noexcept
{
    wl_resource_destroy(resource);
}

// State already set (pending or committed) stays with the surface, as both protocols say.
void fifo_destroyed(wl_resource* resource) noexcept
{
    SurfaceAddon* addon = addon_of(resource);
    if (addon->surface) {
        addon->surface->fifo = nullptr;
    }
    delete addon;
}

void timer_destroyed(wl_resource* resource) noexcept
{
    SurfaceAddon* addon = addon_of(resource);
    if (addon->surface) {
        addon->surface->commit_timer = nullptr;
    }
    delete addon;
}

// The addon's surface, or null after a surface_destroyed error (`code`) was posted.
Surface* live_surface(wl_resource* resource, uint32_t code)
{
    SurfaceAddon* addon = addon_of(resource);
    if (!addon->surface) {
        addon->server->post_error(resource, code, "the surface is gone");
    }
    return addon->surface;
}

// --- wp_fifo_v1 ------------------------------------------------------------------------------------

void fifo_set_barrier(wl_client*, wl_resource* resource) noexcept
{
    if (Surface* surface = live_surface(resource, WP_FIFO_V1_ERROR_SURFACE_DESTROYED)) {
        surface->pending.fifo_set_barrier = true;
    }
}

void fifo_wait_barrier(wl_client*, wl_resource* resource) noexcept
{
    if (Surface* surface = live_surface(resource, WP_FIFO_V1_ERROR_SURFACE_DESTROYED)) {
        surface->pending.fifo_wait_barrier = true;
    }
}

const struct wp_fifo_v1_interface fifo_impl{
    .set_barrier = fifo_set_barrier,
    .wait_barrier = fifo_wait_barrier,
    .destroy = addon_destroy,
};

// --- wp_fifo_manager_v1 ------------------------------------------------------------------------------

void fifo_manager_get_fifo(wl_client* client, wl_resource* resource, uint32_t id, wl_resource* surface_res) noexcept
{
    auto* server = static_cast<Server*>(wl_resource_get_user_data(resource));
    auto* surface = static_cast<Surface*>(wl_resource_get_user_data(surface_res));
    if (surface->fifo) {
        server->post_error(resource, WP_FIFO_MANAGER_V1_ERROR_ALREADY_EXISTS, "the surface already has a wp_fifo_v1");
        return;
    }
    wl_resource* res = wl_resource_create(client, &wp_fifo_v1_interface, wl_resource_get_version(resource), id);
    if (!res) {
        wl_client_post_no_memory(client);
        return;
    }
    wl_resource_set_implementation(res, &fifo_impl, new SurfaceAddon{server, surface}, fifo_destroyed);
    surface->fifo = res;
}

const struct wp_fifo_manager_v1_interface fifo_manager_impl{
    .destroy = addon_destroy,
    .get_fifo = fifo_manager_get_fifo,
};

void bind_fifo_manager(wl_client* client, void* data, uint32_t version, uint32_t id) noexcept
{
    wl_resource* res = wl_resource_create(client, &wp_fifo_manager_v1_interface, static_cast<int>(version), id);
    if (!res) {
        wl_client_post_no_memory(client);
        return;
    }
    wl_resource_set_implementation(res, &fifo_manager_impl, data, nullptr);
}

// --- wp_commit_timer_v1 ------------------------------------------------------------------------------

void timer_set_timestamp(wl_client*, wl_resource* resource, uint32_t sec_hi, uint32_t sec_lo, uint32_t nsec) noexcept
{
    Surface* surface = live_surface(resource, WP_COMMIT_TIMER_V1_ERROR_SURFACE_DESTROYED);
    if (!surface) {
        return;
    }
    if (nsec >= 1'000'000'000U) {
        surface->server->post_error(resource, WP_COMMIT_TIMER_V1_ERROR_INVALID_TIMESTAMP,
                                    "tv_nsec " + std::to_string(nsec) + " is not below 1000000000");
        return;
    }
    if (surface->pending.target_ns) {
        surface->server->post_error(resource, WP_COMMIT_TIMER_V1_ERROR_TIMESTAMP_EXISTS,
                                    "a second timestamp for one commit");
        return;
    }
    // A time past what 64 bits of nanoseconds hold is never reached: it saturates.
    const uint64_t seconds = (uint64_t{sec_hi} << 32U) | sec_lo;
    constexpr uint64_t max = std::numeric_limits<uint64_t>::max();
    surface->pending.target_ns =
        seconds >= max / 1'000'000'000U ? max : seconds * 1'000'000'000U + nsec;
}

const struct wp_commit_timer_v1_interface timer_impl{
    .set_timestamp = timer_set_timestamp,
    .destroy = addon_destroy,
};

// --- wp_commit_timing_manager_v1 ---------------------------------------------------------------------

void timing_manager_get_timer(wl_client* client, wl_resource* resource, uint32_t id, wl_resource* surface_res) noexcept
{
    auto* server = static_cast<Server*>(wl_resource_get_user_data(resource));
    auto* surface = static_cast<Surface*>(wl_resource_get_user_data(surface_res));
    if (surface->commit_timer) {
        server->post_error(resource, WP_COMMIT_TIMING_MANAGER_V1_ERROR_COMMIT_TIMER_EXISTS,
                           "the surface already has a wp_commit_timer_v1");
        return;
    }
    wl_resource* res =
        wl_resource_create(client, &wp_commit_timer_v1_interface, wl_resource_get_version(resource), id);
    if (!res) {
        wl_client_post_no_memory(client);
        return;
    }
    wl_resource_set_implementation(res, &timer_impl, new SurfaceAddon{server, surface}, timer_destroyed);
    surface->commit_timer = res;
}

const struct wp_commit_timing_manager_v1_interface timing_manager_impl{
    .destroy = addon_destroy,
    .get_timer = timing_manager_get_timer,
};

void bind_timing_manager(wl_client* client, void* data, uint32_t version, uint32_t id) noexcept
{
    wl_resource* res =
        wl_resource_create(client, &wp_commit_timing_manager_v1_interface, static_cast<int>(version), id);
    if (!res) {
        wl_client_post_no_memory(client);
        return;
    }
    wl_resource_set_implementation(res, &timing_manager_impl, data, nullptr);
}

}  // namespace

Result<void> Server::init_timing()
{
    if (config.fifo_version != 0 &&
        !wl_global_create(display, &wp_fifo_manager_v1_interface, 1, this, bind_fifo_manager)) {
        return Error{"wl_global_create(wp_fifo_manager_v1) failed"};
    }
    if (config.commit_timing_version != 0 &&
        !wl_global_create(display, &wp_commit_timing_manager_v1_interface, 1, this, bind_timing_manager)) {
        return Error{"wl_global_create(wp_commit_timing_manager_v1) failed"};
    }
    return {};
}

void Server::timing_surface_lost(Surface* surface)
{
    for (wl_resource* addon : {surface->fifo, surface->commit_timer}) {
        if (addon) {
            addon_of(addon)->surface = nullptr;
        }
    }
    surface->fifo = nullptr;
    surface->commit_timer = nullptr;
}

}  // namespace dmafeed::test::detail
