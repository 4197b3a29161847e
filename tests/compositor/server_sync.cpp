// zwp_linux_explicit_synchronization_v1: per-surface synchronization objects, acquire fences
// (recorded, not waited for) and buffer release objects, answered when their buffer is released.
#include "server.hpp"

#include "util/log.hpp"

#include "linux-explicit-synchronization-unstable-v1-server-protocol.h"

#include <algorithm>
#include <sys/eventfd.h>
#include <unistd.h>
#include <wayland-server.h>

namespace dmafeed::test::detail {
namespace {

// --- zwp_linux_buffer_release_v1 -----------------------------------------------------------------

void buffer_release_destroyed(wl_resource* resource) noexcept
{
    auto* release = static_cast<BufferRelease*>(wl_resource_get_user_data(resource));
    if (!release) return;
    // Still pending in a surface's state: forget it there.
    for (Surface* s : release->server->surfaces) {
        if (s->pending.release == resource) s->pending.release = nullptr;
    }
    auto& list = release->server->buffer_releases;
    list.erase(std::remove(list.begin(), list.end(), release), list.end());
    delete release;
}

// --- zwp_linux_surface_synchronization_v1 --------------------------------------------------------

Surface* sync_surface(wl_resource* resource) { return static_cast<Surface*>(wl_resource_get_user_data(resource)); }

void sync_destroy(wl_client*, wl_resource* resource) noexcept { wl_resource_destroy(resource); }

void sync_destroyed(wl_resource* resource) noexcept
{
    if (Surface* surface = sync_surface(resource)) {
        surface->sync = nullptr;
        surface->pending.acquire_fence.reset();  // discarded, as the protocol says
    }
}

void sync_set_acquire_fence(wl_client*, wl_resource* resource, int32_t fd) noexcept
{
    auto fence = std::make_shared<UniqueFd>(fd);
    Surface* surface = sync_surface(resource);
    if (!surface) {
        wl_resource_post_error(resource, ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_ERROR_NO_SURFACE, "the surface is gone");
        return;
    }
    if (surface->pending.acquire_fence) {
        surface->server->post_error(resource, ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_ERROR_DUPLICATE_FENCE,
                                    "a second acquire fence for one commit");
        return;
    }
    surface->pending.acquire_fence = std::move(fence);
}

void sync_get_release(wl_client* client, wl_resource* resource, uint32_t id) noexcept
{
    Surface* surface = sync_surface(resource);
    wl_resource* res = wl_resource_create(client, &zwp_linux_buffer_release_v1_interface, 1, id);
    if (!res) {
        wl_client_post_no_memory(client);
        return;
    }
    if (!surface) {
        wl_resource_set_implementation(res, nullptr, nullptr, nullptr);
        wl_resource_post_error(resource, ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_ERROR_NO_SURFACE, "the surface is gone");
        return;
    }
    auto* release = new BufferRelease{surface->server, res, nullptr};
    wl_resource_set_implementation(res, nullptr, release, buffer_release_destroyed);
    surface->server->buffer_releases.push_back(release);
    if (surface->pending.release) {
        surface->server->post_error(resource, ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_ERROR_DUPLICATE_RELEASE,
                                    "a second release for one commit");
        return;
    }
    surface->pending.release = res;
}

const struct zwp_linux_surface_synchronization_v1_interface sync_impl{
    .destroy = sync_destroy,
    .set_acquire_fence = sync_set_acquire_fence,
    .get_release = sync_get_release,
};

// --- zwp_linux_explicit_synchronization_v1 -------------------------------------------------------

void manager_destroy(wl_client*, wl_resource* resource) noexcept { wl_resource_destroy(resource); }

void manager_get_synchronization(wl_client* client, wl_resource* resource, uint32_t id, wl_resource* surface_res) noexcept
{
    auto* surface = static_cast<Surface*>(wl_resource_get_user_data(surface_res));
    auto* server = static_cast<Server*>(wl_resource_get_user_data(resource));
    if (surface->sync) {
        server->post_error(resource, ZWP_LINUX_EXPLICIT_SYNCHRONIZATION_V1_ERROR_SYNCHRONIZATION_EXISTS,
                           "the surface already has a synchronization object");
        return;
    }
    wl_resource* res = wl_resource_create(client, &zwp_linux_surface_synchronization_v1_interface,
                                          wl_resource_get_version(resource), id);
    if (!res) {
        wl_client_post_no_memory(client);
        return;
    }
    wl_resource_set_implementation(res, &sync_impl, surface, sync_destroyed);
    surface->sync = res;
}

const struct zwp_linux_explicit_synchronization_v1_interface manager_impl{
    .destroy = manager_destroy,
    .get_synchronization = manager_get_synchronization,
};

void bind_manager(wl_client* client, void* data, uint32_t version, uint32_t id) noexcept
{
    wl_resource* res =
        wl_resource_create(client, &zwp_linux_explicit_synchronization_v1_interface, static_cast<int>(version), id);
    if (!res) {
        wl_client_post_no_memory(client);
        return;
    }
    wl_resource_set_implementation(res, &manager_impl, data, nullptr);
}

}  // namespace

Result<void> Server::init_sync()
{
    if (config.explicit_sync_version == 0) return {};
    const auto version = static_cast<int>(std::clamp(config.explicit_sync_version, 1U, 2U));
    if (!wl_global_create(display, &zwp_linux_explicit_synchronization_v1_interface, version, this, bind_manager)) {
        return Error{"wl_global_create(zwp_linux_explicit_synchronization_v1) failed"};
    }
    return {};
}

bool Server::sync_precommit(Surface* surface, const Buffer* next)
{
    if (!surface->sync || next) return true;
    if (surface->pending.acquire_fence || surface->pending.release) {
        post_error(surface->sync, ZWP_LINUX_SURFACE_SYNCHRONIZATION_V1_ERROR_NO_BUFFER,
                   "an acquire fence or release request for a commit without a buffer");
        return false;
    }
    return true;
}

void Server::sync_commit(Surface* surface, SurfaceState& pending)
{
    if (!pending.release) return;
    for (BufferRelease* release : buffer_releases) {
        if (release->resource == pending.release) release->buffer = surface->buffer;
    }
    pending.release = nullptr;
}

void Server::sync_buffer_released(Buffer* buffer)
{
    std::vector<BufferRelease*> due;
    for (BufferRelease* release : buffer_releases) {
        if (release->buffer == buffer) due.push_back(release);
    }
    for (BufferRelease* release : due) {
        if (config.release_fences == ReleaseFences::fenced) {
            auto fence = std::make_shared<UniqueFd>(eventfd(0, EFD_CLOEXEC));
            zwp_linux_buffer_release_v1_send_fenced_release(release->resource, fence->get());
            unsignalled_release_fences.push_back(std::move(fence));
            records.update([](Records& r) { ++r.fenced_releases; });
        } else {
            zwp_linux_buffer_release_v1_send_immediate_release(release->resource);
            records.update([](Records& r) { ++r.immediate_releases; });
        }
        wl_resource_destroy(release->resource);  // both events are destructors
    }
}

void Server::sync_forget_buffer(Buffer* buffer)
{
    for (BufferRelease* release : buffer_releases) {
        if (release->buffer == buffer) release->buffer = nullptr;
    }
}

void Server::sync_surface_lost(Surface* surface)
{
    if (surface->sync) wl_resource_set_user_data(surface->sync, nullptr);
    surface->sync = nullptr;
}

void Server::signal_release_fences()
{
    for (const auto& fence : std::exchange(unsignalled_release_fences, {})) {
        const uint64_t one = 1;
        if (::write(fence->get(), &one, sizeof one) != sizeof one) log::warning("signal a release fence: write failed");
    }
}

}  // namespace dmafeed::test::detail
