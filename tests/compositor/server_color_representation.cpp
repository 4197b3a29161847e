// wp_color_representation_manager_v1: sends the configured (coefficients, range) pairs and done on
// bind; one surface object per wl_surface (surface_exists otherwise); set_coefficients_and_range
// with an unlisted pair is the `coefficients` error; the pair is double-buffered state that the
// commit records, and a commit whose buffer is RGB while YCbCr coefficients are set is the
// `pixel_format` error. set_alpha_mode and set_chroma_location are accepted.
#include "server.hpp"

#include "color-representation-v1-server-protocol.h"
#include "drm/format_info.hpp"

#include <algorithm>
#include <wayland-server.h>

namespace dmafeed::test::detail {
namespace {

Surface* cr_surface(wl_resource* resource) { return static_cast<Surface*>(wl_resource_get_user_data(resource)); }

void cr_destroy(wl_client*, wl_resource* resource) noexcept { wl_resource_destroy(resource); }

void cr_destroyed(wl_resource* resource) noexcept
{
    if (Surface* surface = cr_surface(resource)) {
        surface->color_representation = nullptr;
        surface->pending.coefficients = std::pair{0U, 0U};  // unset with the next commit
    }
}

bool inert(wl_resource* resource)
{
    if (cr_surface(resource)) return false;
    wl_resource_post_error(resource, WP_COLOR_REPRESENTATION_SURFACE_V1_ERROR_INERT, "the surface is gone");
    return true;
}

void cr_set_alpha_mode(wl_client*, wl_resource* resource, uint32_t) noexcept { (void)inert(resource); }
void cr_set_chroma_location(wl_client*, wl_resource* resource, uint32_t) noexcept { (void)inert(resource); }

void cr_set_coefficients_and_range(wl_client*, wl_resource* resource, uint32_t coefficients, uint32_t range) noexcept
{
    if (inert(resource)) return;
    Surface* surface = cr_surface(resource);
    const auto& supported = *surface->server->config.color_representation;
    if (std::find(supported.begin(), supported.end(), std::pair{coefficients, range}) == supported.end()) {
        surface->server->post_error(resource, WP_COLOR_REPRESENTATION_SURFACE_V1_ERROR_COEFFICIENTS,
                                    "coefficients " + std::to_string(coefficients) + " with range " +
                                        std::to_string(range) + " are not supported");
        return;
    }
    surface->pending.coefficients = std::pair{coefficients, range};
}

const struct wp_color_representation_surface_v1_interface cr_impl{
    .destroy = cr_destroy,
    .set_alpha_mode = cr_set_alpha_mode,
    .set_coefficients_and_range = cr_set_coefficients_and_range,
    .set_chroma_location = cr_set_chroma_location,
};

void manager_destroy(wl_client*, wl_resource* resource) noexcept { wl_resource_destroy(resource); }

void manager_get_surface(wl_client* client, wl_resource* resource, uint32_t id, wl_resource* surface_res) noexcept
{
    auto* surface = static_cast<Surface*>(wl_resource_get_user_data(surface_res));
    auto* server = static_cast<Server*>(wl_resource_get_user_data(resource));
    if (surface->color_representation) {
        server->post_error(resource, WP_COLOR_REPRESENTATION_MANAGER_V1_ERROR_SURFACE_EXISTS,
                           "the surface already has a color representation object");
        return;
    }
    wl_resource* res = wl_resource_create(client, &wp_color_representation_surface_v1_interface, 1, id);
    if (!res) {
        wl_client_post_no_memory(client);
        return;
    }
    wl_resource_set_implementation(res, &cr_impl, surface, cr_destroyed);
    surface->color_representation = res;
}

const struct wp_color_representation_manager_v1_interface manager_impl{
    .destroy = manager_destroy,
    .get_surface = manager_get_surface,
};

void bind_manager(wl_client* client, void* data, uint32_t version, uint32_t id) noexcept
{
    auto* server = static_cast<Server*>(data);
    wl_resource* res = wl_resource_create(client, &wp_color_representation_manager_v1_interface, static_cast<int>(version), id);
    if (!res) {
        wl_client_post_no_memory(client);
        return;
    }
    wl_resource_set_implementation(res, &manager_impl, data, nullptr);
    wp_color_representation_manager_v1_send_supported_alpha_mode(
        res, WP_COLOR_REPRESENTATION_SURFACE_V1_ALPHA_MODE_PREMULTIPLIED_ELECTRICAL);
    for (const auto& [coefficients, range] : *server->config.color_representation) {
        wp_color_representation_manager_v1_send_supported_coefficients_and_ranges(res, coefficients, range);
    }
    wp_color_representation_manager_v1_send_done(res);
}

}  // namespace

Result<void> Server::init_color_representation()
{
    if (!config.color_representation) return {};
    if (!wl_global_create(display, &wp_color_representation_manager_v1_interface, 1, this, bind_manager)) {
        return Error{"wl_global_create(wp_color_representation_manager_v1) failed"};
    }
    return {};
}

bool Server::color_representation_precommit(Surface* surface, const Buffer* next)
{
    const auto coefficients = surface->pending.coefficients.value_or(surface->coefficients);
    if (!next || next->failed || coefficients.first == 0 ||
        coefficients.first == WP_COLOR_REPRESENTATION_SURFACE_V1_COEFFICIENTS_IDENTITY) {
        return true;
    }
    const FormatInfo* info = format_info(next->format);
    if (info && !info->is_yuv) {
        post_error(surface->color_representation ? surface->color_representation : surface->resource,
                   WP_COLOR_REPRESENTATION_SURFACE_V1_ERROR_PIXEL_FORMAT,
                   "YCbCr coefficients are set but the buffer is " + name(next->format));
        return false;
    }
    return true;
}

void Server::color_representation_surface_lost(Surface* surface)
{
    if (surface->color_representation) wl_resource_set_user_data(surface->color_representation, nullptr);
    surface->color_representation = nullptr;
}

}  // namespace dmafeed::test::detail
