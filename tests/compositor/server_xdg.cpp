// xdg_wm_base, xdg_surface, xdg_toplevel (configure/ack, fullscreen and maximized states) and a
// minimal xdg_positioner/xdg_popup, with the xdg-shell errors a client can provoke.
#include "server.hpp"

#include "util/log.hpp"

#include "xdg-shell-server-protocol.h"

#include <algorithm>
#include <wayland-server.h>

namespace dmafeed::test::detail {
namespace {

template <class T>
void erase_value(std::vector<T>& v, const T& value)
{
    v.erase(std::remove(v.begin(), v.end(), value), v.end());
}

void destroy_resource(wl_client*, wl_resource* resource) noexcept
{
    wl_resource_destroy(resource);
}

// --- xdg_toplevel --------------------------------------------------------------------------------

XdgToplevel* toplevel_of(wl_resource* resource)
{
    return static_cast<XdgToplevel*>(wl_resource_get_user_data(resource));
}

void send_configure(XdgToplevel* toplevel)
{
    XdgSurface* xdg = toplevel->xdg;
    if (!xdg) {
        return;
    }
    Server* server = toplevel->server;
    const bool big = toplevel->fullscreen || toplevel->maximized;
    const int32_t width = big ? server->config.output_width : server->configure_width;
    const int32_t height = big ? server->config.output_height : server->configure_height;

    wl_array states;
    wl_array_init(&states);
    auto add_state = [&](uint32_t state) {
        if (auto* slot = static_cast<uint32_t*>(wl_array_add(&states, sizeof(uint32_t)))) {
            *slot = state;
        }
    };
    if (toplevel->maximized) {
        add_state(XDG_TOPLEVEL_STATE_MAXIMIZED);
    }
    if (toplevel->fullscreen) {
        add_state(XDG_TOPLEVEL_STATE_FULLSCREEN);
    }
    add_state(XDG_TOPLEVEL_STATE_ACTIVATED);
    xdg_toplevel_send_configure(toplevel->resource, width, height, &states);
    wl_array_release(&states);

    const uint32_t serial = wl_display_next_serial(server->display);
    xdg_surface_send_configure(xdg->resource, serial);
    xdg->unacked.push_back(serial);
    ConfigureRecord record{
        .surface = xdg->surface ? xdg->surface->serial : 0,
        .serial = serial,
        .width = width,
        .height = height,
        .fullscreen = toplevel->fullscreen,
        .maximized = toplevel->maximized,
        .acked = false,
    };
    server->records.update([&](Records& r) { r.configures.push_back(record); });
}

void reconfigure(XdgToplevel* toplevel)
{
    if (toplevel->xdg && toplevel->xdg->initial_commit_done) {
        send_configure(toplevel);
    }
}

void toplevel_set_parent(wl_client*, wl_resource*, wl_resource*) noexcept {}
void toplevel_set_string(wl_client*, wl_resource*, const char*) noexcept {}
void toplevel_show_window_menu(wl_client*, wl_resource*, wl_resource*, uint32_t, int32_t, int32_t) noexcept {}
void toplevel_move(wl_client*, wl_resource*, wl_resource*, uint32_t) noexcept {}
void toplevel_resize(wl_client*, wl_resource*, wl_resource*, uint32_t, uint32_t) noexcept {}

void toplevel_set_size(wl_client*, wl_resource* resource, int32_t width, int32_t height) noexcept
{
    if (width < 0 || height < 0) {
        XdgToplevel* toplevel = toplevel_of(resource);
        toplevel->server->post_error(resource, XDG_TOPLEVEL_ERROR_INVALID_SIZE,
                                     log::format("negative size limit %dx%d", width, height));
    }
}

void toplevel_set_maximized(wl_client*, wl_resource* resource) noexcept
{
    XdgToplevel* toplevel = toplevel_of(resource);
    toplevel->maximized = true;
    reconfigure(toplevel);
}

void toplevel_unset_maximized(wl_client*, wl_resource* resource) noexcept
{
    XdgToplevel* toplevel = toplevel_of(resource);
    toplevel->maximized = false;
    reconfigure(toplevel);
}

void toplevel_set_fullscreen(wl_client*, wl_resource* resource, wl_resource*) noexcept
{
    XdgToplevel* toplevel = toplevel_of(resource);
    toplevel->fullscreen = true;
    reconfigure(toplevel);
}

void toplevel_unset_fullscreen(wl_client*, wl_resource* resource) noexcept
{
    XdgToplevel* toplevel = toplevel_of(resource);
    toplevel->fullscreen = false;
    reconfigure(toplevel);
}

void toplevel_set_minimized(wl_client*, wl_resource*) noexcept {}

const struct xdg_toplevel_interface toplevel_impl{
    .destroy = destroy_resource,
    .set_parent = toplevel_set_parent,
    .set_title = toplevel_set_string,
    .set_app_id = toplevel_set_string,
    .show_window_menu = toplevel_show_window_menu,
    .move = toplevel_move,
    .resize = toplevel_resize,
    .set_max_size = toplevel_set_size,
    .set_min_size = toplevel_set_size,
    .set_maximized = toplevel_set_maximized,
    .unset_maximized = toplevel_unset_maximized,
    .set_fullscreen = toplevel_set_fullscreen,
    .unset_fullscreen = toplevel_unset_fullscreen,
    .set_minimized = toplevel_set_minimized,
};

void toplevel_destroyed(wl_resource* resource) noexcept
{
    XdgToplevel* toplevel = toplevel_of(resource);
    if (XdgSurface* xdg = toplevel->xdg) {
        xdg->toplevel = nullptr;
        // Unmapped: a new role object needs a new initial commit.
        xdg->initial_commit_done = false;
        xdg->configured = false;
        xdg->unacked.clear();
    }
    erase_value(toplevel->server->toplevels, toplevel);
    delete toplevel;
}

// --- xdg_positioner and xdg_popup (enough to be polite) ------------------------------------------

struct Positioner {
    int32_t width = 1;
    int32_t height = 1;
};

void positioner_set_size(wl_client*, wl_resource* resource, int32_t width, int32_t height) noexcept
{
    auto* positioner = static_cast<Positioner*>(wl_resource_get_user_data(resource));
    positioner->width = width;
    positioner->height = height;
}
void positioner_set_rect(wl_client*, wl_resource*, int32_t, int32_t, int32_t, int32_t) noexcept {}
void positioner_set_uint(wl_client*, wl_resource*, uint32_t) noexcept {}
void positioner_set_offset(wl_client*, wl_resource*, int32_t, int32_t) noexcept {}
void positioner_set_reactive(wl_client*, wl_resource*) noexcept {}

const struct xdg_positioner_interface positioner_impl{
    .destroy = destroy_resource,
    .set_size = positioner_set_size,
    .set_anchor_rect = positioner_set_rect,
    .set_anchor = positioner_set_uint,
    .set_gravity = positioner_set_uint,
    .set_constraint_adjustment = positioner_set_uint,
    .set_offset = positioner_set_offset,
    .set_reactive = positioner_set_reactive,
    .set_parent_size = positioner_set_offset,
    .set_parent_configure = positioner_set_uint,
};

void positioner_destroyed(wl_resource* resource) noexcept
{
    delete static_cast<Positioner*>(wl_resource_get_user_data(resource));
}

void popup_grab(wl_client*, wl_resource*, wl_resource*, uint32_t) noexcept {}
void popup_reposition(wl_client*, wl_resource*, wl_resource*, uint32_t) noexcept {}

const struct xdg_popup_interface popup_impl{
    .destroy = destroy_resource,
    .grab = popup_grab,
    .reposition = popup_reposition,
};

void popup_destroyed(wl_resource* resource) noexcept
{
    if (auto* xdg = static_cast<XdgSurface*>(wl_resource_get_user_data(resource))) {
        xdg->popup = nullptr;
        xdg->initial_commit_done = false;
        xdg->configured = false;
        xdg->unacked.clear();
    }
}

// --- xdg_surface -----------------------------------------------------------------------------------

XdgSurface* xdg_of(wl_resource* resource)
{
    return static_cast<XdgSurface*>(wl_resource_get_user_data(resource));
}

void xdg_surface_destroy(wl_client*, wl_resource* resource) noexcept
{
    XdgSurface* xdg = xdg_of(resource);
    if (xdg->toplevel || xdg->popup) {
        xdg->server->post_error(resource, XDG_SURFACE_ERROR_DEFUNCT_ROLE_OBJECT,
                                "xdg_surface destroyed before its role object");
        return;
    }
    wl_resource_destroy(resource);
}

void xdg_surface_get_toplevel(wl_client* client, wl_resource* resource, uint32_t id) noexcept
{
    XdgSurface* xdg = xdg_of(resource);
    if (xdg->toplevel || xdg->popup || xdg->role == XdgSurface::Role::popup) {
        xdg->server->post_error(resource, XDG_SURFACE_ERROR_ALREADY_CONSTRUCTED,
                                "xdg_surface already has a role object or another role");
        return;
    }
    wl_resource* res = wl_resource_create(client, &xdg_toplevel_interface, wl_resource_get_version(resource), id);
    if (!res) {
        wl_client_post_no_memory(client);
        return;
    }
    auto* toplevel = new XdgToplevel{xdg->server, res, xdg, false, false};
    wl_resource_set_implementation(res, &toplevel_impl, toplevel, toplevel_destroyed);
    xdg->toplevel = toplevel;
    xdg->role = XdgSurface::Role::toplevel;
    xdg->server->toplevels.push_back(toplevel);
}

void xdg_surface_get_popup(wl_client* client, wl_resource* resource, uint32_t id, wl_resource*,
                           wl_resource* positioner_resource) noexcept
{
    XdgSurface* xdg = xdg_of(resource);
    if (xdg->toplevel || xdg->popup || xdg->role == XdgSurface::Role::toplevel) {
        xdg->server->post_error(resource, XDG_SURFACE_ERROR_ALREADY_CONSTRUCTED,
                                "xdg_surface already has a role object or another role");
        return;
    }
    wl_resource* res = wl_resource_create(client, &xdg_popup_interface, wl_resource_get_version(resource), id);
    if (!res) {
        wl_client_post_no_memory(client);
        return;
    }
    const auto* positioner = static_cast<const Positioner*>(wl_resource_get_user_data(positioner_resource));
    xdg->popup_width = positioner->width;
    xdg->popup_height = positioner->height;
    wl_resource_set_implementation(res, &popup_impl, xdg, popup_destroyed);
    xdg->popup = res;
    xdg->role = XdgSurface::Role::popup;
}

void xdg_surface_set_window_geometry(wl_client*, wl_resource* resource, int32_t, int32_t, int32_t width,
                                     int32_t height) noexcept
{
    if (width <= 0 || height <= 0) {
        XdgSurface* xdg = xdg_of(resource);
        xdg->server->post_error(resource, XDG_SURFACE_ERROR_INVALID_SIZE,
                                log::format("window geometry %dx%d is empty", width, height));
    }
}

void xdg_surface_ack_configure(wl_client*, wl_resource* resource, uint32_t serial) noexcept
{
    XdgSurface* xdg = xdg_of(resource);
    auto it = std::find(xdg->unacked.begin(), xdg->unacked.end(), serial);
    if (it == xdg->unacked.end()) {
        xdg->server->post_error(resource, XDG_SURFACE_ERROR_INVALID_SERIAL,
                                log::format("ack_configure of serial %u, which is not awaiting an ack", serial));
        return;
    }
    xdg->unacked.erase(xdg->unacked.begin(), it + 1);  // it and every earlier one are consumed
    xdg->configured = true;
    xdg->acked_since_commit = serial;
    xdg->server->records.update([&](Records& r) {
        for (ConfigureRecord& record : r.configures) {
            if (record.serial == serial) {
                record.acked = true;
            }
        }
    });
}

const struct xdg_surface_interface xdg_surface_impl{
    .destroy = xdg_surface_destroy,
    .get_toplevel = xdg_surface_get_toplevel,
    .get_popup = xdg_surface_get_popup,
    .set_window_geometry = xdg_surface_set_window_geometry,
    .ack_configure = xdg_surface_ack_configure,
};

void xdg_surface_destroyed(wl_resource* resource) noexcept
{
    XdgSurface* xdg = xdg_of(resource);
    if (xdg->toplevel) {
        xdg->toplevel->xdg = nullptr;
    }
    if (xdg->popup) {
        wl_resource_set_user_data(xdg->popup, nullptr);
    }
    if (xdg->wm) {
        erase_value(xdg->wm->surfaces, xdg);
    }
    if (xdg->surface) {
        xdg->surface->xdg = nullptr;
    }
    delete xdg;
}

// --- xdg_wm_base -------------------------------------------------------------------------------------

XdgWmBase* wm_of(wl_resource* resource)
{
    return static_cast<XdgWmBase*>(wl_resource_get_user_data(resource));
}

void wm_destroy(wl_client*, wl_resource* resource) noexcept
{
    XdgWmBase* wm = wm_of(resource);
    if (!wm->surfaces.empty()) {
        wm->server->post_error(resource, XDG_WM_BASE_ERROR_DEFUNCT_SURFACES,
                               "xdg_wm_base destroyed while it has xdg_surfaces");
        return;
    }
    wl_resource_destroy(resource);
}

void wm_create_positioner(wl_client* client, wl_resource* resource, uint32_t id) noexcept
{
    wl_resource* res = wl_resource_create(client, &xdg_positioner_interface, wl_resource_get_version(resource), id);
    if (!res) {
        wl_client_post_no_memory(client);
        return;
    }
    wl_resource_set_implementation(res, &positioner_impl, new Positioner, positioner_destroyed);
}

void wm_get_xdg_surface(wl_client* client, wl_resource* resource, uint32_t id, wl_resource* surface_resource) noexcept
{
    XdgWmBase* wm = wm_of(resource);
    auto* surface = static_cast<Surface*>(wl_resource_get_user_data(surface_resource));
    if (surface->xdg) {
        wm->server->post_error(resource, XDG_WM_BASE_ERROR_ROLE, "the wl_surface already has an xdg_surface");
        return;
    }
    if (surface->buffer || surface->pending.buffer) {
        wm->server->post_error(resource, XDG_WM_BASE_ERROR_INVALID_SURFACE_STATE,
                               "the wl_surface has a buffer attached or committed");
        return;
    }
    wl_resource* res = wl_resource_create(client, &xdg_surface_interface, wl_resource_get_version(resource), id);
    if (!res) {
        wl_client_post_no_memory(client);
        return;
    }
    auto* xdg = new XdgSurface;
    xdg->server = wm->server;
    xdg->resource = res;
    xdg->wm = wm;
    xdg->surface = surface;
    wl_resource_set_implementation(res, &xdg_surface_impl, xdg, xdg_surface_destroyed);
    surface->xdg = xdg;
    wm->surfaces.push_back(xdg);
}

void wm_pong(wl_client*, wl_resource*, uint32_t) noexcept {}

const struct xdg_wm_base_interface wm_impl{
    .destroy = wm_destroy,
    .create_positioner = wm_create_positioner,
    .get_xdg_surface = wm_get_xdg_surface,
    .pong = wm_pong,
};

void wm_destroyed(wl_resource* resource) noexcept
{
    XdgWmBase* wm = wm_of(resource);
    for (XdgSurface* xdg : wm->surfaces) {
        xdg->wm = nullptr;
    }
    delete wm;
}

void bind_wm(wl_client* client, void* data, uint32_t version, uint32_t id) noexcept
{
    wl_resource* res = wl_resource_create(client, &xdg_wm_base_interface, static_cast<int>(version), id);
    if (!res) {
        wl_client_post_no_memory(client);
        return;
    }
    wl_resource_set_implementation(res, &wm_impl, new XdgWmBase{static_cast<Server*>(data), res, {}}, wm_destroyed);
}

}  // namespace

Result<void> Server::init_xdg()
{
    const auto version = static_cast<int>(std::clamp(config.xdg_wm_base_version, 1U, 7U));
    if (!wl_global_create(display, &xdg_wm_base_interface, version, this, bind_wm)) {
        return Error{"wl_global_create(xdg_wm_base) failed"};
    }
    return {};
}

bool Server::xdg_precommit(Surface* surface)
{
    XdgSurface* xdg = surface->xdg;
    if (!xdg) {
        return true;
    }
    if (xdg->role == XdgSurface::Role::none) {
        post_error(xdg->resource, XDG_SURFACE_ERROR_NOT_CONSTRUCTED, "commit of an xdg_surface without a role");
        return false;
    }
    const Buffer* next = surface->pending.attached ? surface->pending.buffer : surface->buffer;
    const bool has_buffer = next != nullptr;
    if (has_buffer && !xdg->configured) {
        post_error(xdg->resource, XDG_SURFACE_ERROR_UNCONFIGURED_BUFFER,
                   xdg->initial_commit_done ? "buffer committed before the first configure was acked"
                                            : "buffer committed before the initial commit");
        return false;
    }
    return true;
}

void Server::xdg_postcommit(Surface* surface)
{
    XdgSurface* xdg = surface->xdg;
    if (!xdg || xdg->initial_commit_done) {
        return;
    }
    xdg->initial_commit_done = true;
    if (XdgToplevel* toplevel = xdg->toplevel) {
        if (wl_resource_get_version(toplevel->resource) >= XDG_TOPLEVEL_WM_CAPABILITIES_SINCE_VERSION) {
            wl_array capabilities;
            wl_array_init(&capabilities);
            const uint32_t offered[] = {XDG_TOPLEVEL_WM_CAPABILITIES_MAXIMIZE, XDG_TOPLEVEL_WM_CAPABILITIES_FULLSCREEN};
            for (uint32_t capability : offered) {
                if (auto* slot = static_cast<uint32_t*>(wl_array_add(&capabilities, sizeof(uint32_t)))) {
                    *slot = capability;
                }
            }
            xdg_toplevel_send_wm_capabilities(toplevel->resource, &capabilities);
            wl_array_release(&capabilities);
        }
        send_configure(toplevel);
    } else if (xdg->popup) {
        xdg_popup_send_configure(xdg->popup, 0, 0, xdg->popup_width, xdg->popup_height);
        const uint32_t serial = wl_display_next_serial(display);
        xdg_surface_send_configure(xdg->resource, serial);
        xdg->unacked.push_back(serial);
    }
}

void Server::xdg_surface_lost(Surface* surface)
{
    if (surface->xdg) {
        surface->xdg->surface = nullptr;
    }
}

void Server::configure_all()
{
    for (XdgToplevel* toplevel : toplevels) {
        reconfigure(toplevel);
    }
}

void Server::close_all()
{
    for (XdgToplevel* toplevel : toplevels) {
        xdg_toplevel_send_close(toplevel->resource);
    }
}

}  // namespace dmafeed::test::detail
