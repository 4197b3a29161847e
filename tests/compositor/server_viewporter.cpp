// wp_viewporter: a viewport per surface; the destination size is double-buffered state that the
// commit records (set_source is accepted and ignored).
#include "server.hpp"

#include "viewporter-server-protocol.h"

#include <wayland-server.h>

namespace dmafeed::test::detail {
namespace {

Surface* viewport_surface(wl_resource* resource) { return static_cast<Surface*>(wl_resource_get_user_data(resource)); }

void viewport_destroy(wl_client*, wl_resource* resource) noexcept { wl_resource_destroy(resource); }

void viewport_destroyed(wl_resource* resource) noexcept
{
    if (Surface* surface = viewport_surface(resource)) {
        surface->viewport = nullptr;
        surface->pending.destination = std::pair{-1, -1};  // the viewport's state goes with it
    }
}

void viewport_set_source(wl_client*, wl_resource* resource, wl_fixed_t, wl_fixed_t, wl_fixed_t, wl_fixed_t) noexcept
{
    if (!viewport_surface(resource)) {
        wl_resource_post_error(resource, WP_VIEWPORT_ERROR_NO_SURFACE, "the surface is gone");
    }
}

void viewport_set_destination(wl_client*, wl_resource* resource, int32_t width, int32_t height) noexcept
{
    Surface* surface = viewport_surface(resource);
    if (!surface) {
        wl_resource_post_error(resource, WP_VIEWPORT_ERROR_NO_SURFACE, "the surface is gone");
        return;
    }
    const bool unset = width == -1 && height == -1;
    if (!unset && (width <= 0 || height <= 0)) {
        surface->server->post_error(resource, WP_VIEWPORT_ERROR_BAD_VALUE, "destination size must be positive or -1,-1");
        return;
    }
    surface->pending.destination = std::pair{width, height};
}

const struct wp_viewport_interface viewport_impl{
    .destroy = viewport_destroy,
    .set_source = viewport_set_source,
    .set_destination = viewport_set_destination,
};

void viewporter_destroy(wl_client*, wl_resource* resource) noexcept { wl_resource_destroy(resource); }

void viewporter_get_viewport(wl_client* client, wl_resource* resource, uint32_t id, wl_resource* surface_res) noexcept
{
    auto* surface = static_cast<Surface*>(wl_resource_get_user_data(surface_res));
    auto* server = static_cast<Server*>(wl_resource_get_user_data(resource));
    if (surface->viewport) {
        server->post_error(resource, WP_VIEWPORTER_ERROR_VIEWPORT_EXISTS, "the surface already has a viewport");
        return;
    }
    wl_resource* res = wl_resource_create(client, &wp_viewport_interface, 1, id);
    if (!res) {
        wl_client_post_no_memory(client);
        return;
    }
    wl_resource_set_implementation(res, &viewport_impl, surface, viewport_destroyed);
    surface->viewport = res;
}

const struct wp_viewporter_interface viewporter_impl{
    .destroy = viewporter_destroy,
    .get_viewport = viewporter_get_viewport,
};

void bind_viewporter(wl_client* client, void* data, uint32_t version, uint32_t id) noexcept
{
    wl_resource* res = wl_resource_create(client, &wp_viewporter_interface, static_cast<int>(version), id);
    if (!res) {
        wl_client_post_no_memory(client);
        return;
    }
    wl_resource_set_implementation(res, &viewporter_impl, data, nullptr);
}

}  // namespace

Result<void> Server::init_viewporter()
{
    if (config.viewporter_version == 0) return {};
    if (!wl_global_create(display, &wp_viewporter_interface, 1, this, bind_viewporter)) {
        return Error{"wl_global_create(wp_viewporter) failed"};
    }
    return {};
}

void Server::viewporter_surface_lost(Surface* surface)
{
    if (surface->viewport) wl_resource_set_user_data(surface->viewport, nullptr);
    surface->viewport = nullptr;
}

}  // namespace dmafeed::test::detail
