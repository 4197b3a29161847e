// wp_linux_drm_syncobj_manager_v1 on a real DRM node (Config::syncobj_node): timelines imported
// with drmSyncobjFDToHandle, acquire points waited for at commit, release points signalled when
// the buffer is released.
#include "server.hpp"

#include "util/log.hpp"

#include "linux-drm-syncobj-v1-server-protocol.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <wayland-server.h>
#include <xf86drm.h>

namespace dmafeed::test::detail {
namespace {

struct Timeline {
    Server* server = nullptr;
    uint32_t handle = 0;
};

Timeline* timeline_of(wl_resource* resource) { return static_cast<Timeline*>(wl_resource_get_user_data(resource)); }

void timeline_destroy(wl_client*, wl_resource* resource) noexcept { wl_resource_destroy(resource); }

void timeline_destroyed(wl_resource* resource) noexcept
{
    Timeline* t = timeline_of(resource);
    // Points already committed keep working: the handle stays until the server ends (a test
    // compositor can afford it), so a release point of a destroyed timeline is still signalled.
    delete t;
}

const struct wp_linux_drm_syncobj_timeline_v1_interface timeline_impl{.destroy = timeline_destroy};

Surface* syncobj_surface(wl_resource* resource) { return static_cast<Surface*>(wl_resource_get_user_data(resource)); }

void surface_sync_destroy(wl_client*, wl_resource* resource) noexcept { wl_resource_destroy(resource); }

void surface_sync_destroyed(wl_resource* resource) noexcept
{
    if (Surface* surface = syncobj_surface(resource)) {
        surface->syncobj = nullptr;
        surface->pending.acquire_point.reset();
        surface->pending.release_point.reset();
    }
}

std::optional<SurfaceState::Point> point_of(wl_resource* resource, wl_resource* timeline, uint32_t hi, uint32_t lo)
{
    Surface* surface = syncobj_surface(resource);
    if (!surface) {
        wl_resource_post_error(resource, WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_NO_SURFACE, "the surface is gone");
        return std::nullopt;
    }
    return SurfaceState::Point{timeline_of(timeline)->handle, (uint64_t{hi} << 32U) | lo, timeline};
}

void surface_sync_set_acquire_point(wl_client*, wl_resource* resource, wl_resource* timeline, uint32_t hi,
                                    uint32_t lo) noexcept
{
    if (auto p = point_of(resource, timeline, hi, lo)) syncobj_surface(resource)->pending.acquire_point = p;
}

void surface_sync_set_release_point(wl_client*, wl_resource* resource, wl_resource* timeline, uint32_t hi,
                                    uint32_t lo) noexcept
{
    if (auto p = point_of(resource, timeline, hi, lo)) syncobj_surface(resource)->pending.release_point = p;
}

const struct wp_linux_drm_syncobj_surface_v1_interface surface_sync_impl{
    .destroy = surface_sync_destroy,
    .set_acquire_point = surface_sync_set_acquire_point,
    .set_release_point = surface_sync_set_release_point,
};

void manager_destroy(wl_client*, wl_resource* resource) noexcept { wl_resource_destroy(resource); }

void manager_get_surface(wl_client* client, wl_resource* resource, uint32_t id, wl_resource* surface_res) noexcept
{
    auto* surface = static_cast<Surface*>(wl_resource_get_user_data(surface_res));
    auto* server = static_cast<Server*>(wl_resource_get_user_data(resource));
    if (surface->syncobj) {
        server->post_error(resource, WP_LINUX_DRM_SYNCOBJ_MANAGER_V1_ERROR_SURFACE_EXISTS, "the surface already has one");
        return;
    }
    wl_resource* res = wl_resource_create(client, &wp_linux_drm_syncobj_surface_v1_interface, 1, id);
    if (!res) {
        wl_client_post_no_memory(client);
        return;
    }
    wl_resource_set_implementation(res, &surface_sync_impl, surface, surface_sync_destroyed);
    surface->syncobj = res;
}

void manager_import_timeline(wl_client* client, wl_resource* resource, uint32_t id, int32_t fd) noexcept
{
    UniqueFd owned{fd};
    auto* server = static_cast<Server*>(wl_resource_get_user_data(resource));
    uint32_t handle = 0;
    if (drmSyncobjFDToHandle(server->drm_fd.get(), owned.get(), &handle) != 0) {
        server->post_error(resource, WP_LINUX_DRM_SYNCOBJ_MANAGER_V1_ERROR_INVALID_TIMELINE,
                           std::string{"drmSyncobjFDToHandle: "} + std::strerror(errno));
        return;
    }
    wl_resource* res = wl_resource_create(client, &wp_linux_drm_syncobj_timeline_v1_interface, 1, id);
    if (!res) {
        wl_client_post_no_memory(client);
        return;
    }
    wl_resource_set_implementation(res, &timeline_impl, new Timeline{server, handle}, timeline_destroyed);
}

const struct wp_linux_drm_syncobj_manager_v1_interface manager_impl{
    .destroy = manager_destroy,
    .get_surface = manager_get_surface,
    .import_timeline = manager_import_timeline,
};

void bind_manager(wl_client* client, void* data, uint32_t version, uint32_t id) noexcept
{
    wl_resource* res =
        wl_resource_create(client, &wp_linux_drm_syncobj_manager_v1_interface, static_cast<int>(version), id);
    if (!res) {
        wl_client_post_no_memory(client);
        return;
    }
    wl_resource_set_implementation(res, &manager_impl, data, nullptr);
}

}  // namespace

Result<void> Server::init_syncobj()
{
    if (config.syncobj_node.empty()) return {};
    drm_fd.reset(::open(config.syncobj_node.c_str(), O_RDWR | O_CLOEXEC));
    if (!drm_fd) return Error::from_errno("open " + config.syncobj_node, errno);
    if (!wl_global_create(display, &wp_linux_drm_syncobj_manager_v1_interface, 1, this, bind_manager)) {
        return Error{"wl_global_create(wp_linux_drm_syncobj_manager_v1) failed"};
    }
    return {};
}

bool Server::syncobj_precommit(Surface* surface, const Buffer* next)
{
    if (!surface->syncobj) return true;
    const bool attaching = surface->pending.attached && next;
    const auto& pend = surface->pending;
    if (!attaching && (pend.acquire_point || pend.release_point)) {
        post_error(surface->syncobj, WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_NO_BUFFER, "points without a buffer");
        return false;
    }
    if (attaching && !pend.acquire_point) {
        post_error(surface->syncobj, WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_NO_ACQUIRE_POINT, "no acquire point");
        return false;
    }
    if (attaching && !pend.release_point) {
        post_error(surface->syncobj, WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_NO_RELEASE_POINT, "no release point");
        return false;
    }
    if (attaching && pend.acquire_point->handle == pend.release_point->handle &&
        pend.acquire_point->value >= pend.release_point->value) {
        post_error(surface->syncobj, WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_CONFLICTING_POINTS,
                   "acquire point not below the release point");
        return false;
    }
    return true;
}

void Server::syncobj_commit(Surface* surface, SurfaceState& pending, CommitRecord& record)
{
    if (!pending.acquire_point || !pending.release_point) return;
    record.acquire_point = pending.acquire_point->value;
    record.release_point = pending.release_point->value;
    uint32_t handle = pending.acquire_point->handle;
    uint64_t value = pending.acquire_point->value;
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    const int64_t deadline = int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec + 2'000'000'000;
    record.acquire_signalled = drmSyncobjTimelineWait(drm_fd.get(), &handle, &value, 1, deadline,
                                                      DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT, nullptr) == 0;
    release_points.push_back({surface->buffer, pending.release_point->handle, pending.release_point->value});
}

bool Server::syncobj_buffer_released(Buffer* buffer)
{
    bool any = false;
    for (auto it = release_points.begin(); it != release_points.end();) {
        if (it->buffer != buffer) {
            ++it;
            continue;
        }
        uint32_t handle = it->handle;
        uint64_t value = it->value;
        if (drmSyncobjTimelineSignal(drm_fd.get(), &handle, &value, 1) != 0) {
            log::warning("test compositor: signalling release point %llu failed", static_cast<unsigned long long>(value));
        }
        any = true;
        it = release_points.erase(it);
    }
    return any && !config.syncobj_sends_buffer_release;
}

void Server::syncobj_forget_buffer(Buffer* buffer)
{
    // A destroyed buffer is no longer used: its release points are due now.
    (void)syncobj_buffer_released(buffer);
}

void Server::syncobj_surface_lost(Surface* surface)
{
    if (surface->syncobj) wl_resource_set_user_data(surface->syncobj, nullptr);
    surface->syncobj = nullptr;
}

}  // namespace dmafeed::test::detail
