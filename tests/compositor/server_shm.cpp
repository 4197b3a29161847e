// wl_shm server side (Config::shm): pools on the client's fd, and wl_buffers on them that are
// Buffers like linux-dmabuf's (one LINEAR plane at the buffer's offset and stride), so surfaces show
// them, releases and records treat them alike, and captures write into them.
#include "server.hpp"

#include "util/log.hpp"

#include <algorithm>
#include <drm_fourcc.h>
#include <iterator>
#include <unistd.h>
#include <wayland-server.h>

namespace dmafeed::test::detail {
namespace {

// The formats offered, as wl_shm codes (ARGB8888 and XRGB8888 have codes of their own; the others
// are their fourcc).
constexpr uint32_t shm_formats[] = {WL_SHM_FORMAT_ARGB8888, WL_SHM_FORMAT_XRGB8888, WL_SHM_FORMAT_XBGR8888,
                                    WL_SHM_FORMAT_ABGR8888};

struct Pool {
    Server* server = nullptr;
    std::shared_ptr<UniqueFd> fd;
    int32_t size = 0;
};

Pool* pool_of(wl_resource* resource)
{
    return static_cast<Pool*>(wl_resource_get_user_data(resource));
}

void pool_create_buffer(wl_client* client, wl_resource* resource, uint32_t id, int32_t offset, int32_t width,
                        int32_t height, int32_t stride, uint32_t format) noexcept
{
    Pool* pool = pool_of(resource);
    Server* server = pool->server;
    if (std::find(std::begin(shm_formats), std::end(shm_formats), format) == std::end(shm_formats)) {
        server->post_error(resource, WL_SHM_ERROR_INVALID_FORMAT,
                           log::format("wl_shm format 0x%08x is not offered", format));
        return;
    }
    if (width <= 0 || height <= 0 || offset < 0 || int64_t{stride} < int64_t{width} * 4 ||
        int64_t{offset} + int64_t{stride} * height > pool->size) {
        server->post_error(resource, WL_SHM_ERROR_INVALID_STRIDE,
                           log::format("buffer %dx%d, stride %d at offset %d does not fit the pool's %d bytes", width,
                                       height, stride, offset, pool->size));
        return;
    }
    const PlaneRecord plane{
        .plane_idx = 0,
        .offset = static_cast<uint32_t>(offset),
        .stride = static_cast<uint32_t>(stride),
        .modifier = modifier_linear,
        .fd_size = pool->size,
        .fd = pool->fd,
    };
    server->create_buffer(client, id,
                          BufferRecord{.client = server->client_serial(client),
                                       .width = width,
                                       .height = height,
                                       .format = drm_format_of_shm(format),
                                       .modifier = modifier_linear,
                                       .planes = {plane}},
                          {pool->fd});
}

void pool_destroy(wl_client*, wl_resource* resource) noexcept
{
    wl_resource_destroy(resource);
}

void pool_resize(wl_client*, wl_resource* resource, int32_t size) noexcept
{
    Pool* pool = pool_of(resource);
    if (size < pool->size) {
        pool->server->post_error(resource, WL_SHM_ERROR_INVALID_STRIDE,
                                 log::format("the pool cannot shrink from %d to %d bytes", pool->size, size));
        return;
    }
    pool->size = size;
}

const struct wl_shm_pool_interface pool_impl{
    .create_buffer = pool_create_buffer,
    .destroy = pool_destroy,
    .resize = pool_resize,
};

void pool_destroyed(wl_resource* resource) noexcept
{
    delete pool_of(resource);  // its buffers keep the fd
}

void shm_create_pool(wl_client* client, wl_resource* resource, uint32_t id, int32_t raw_fd, int32_t size) noexcept
{
    auto* server = static_cast<Server*>(wl_resource_get_user_data(resource));
    auto fd = std::make_shared<UniqueFd>(raw_fd);
    const off_t fd_size = lseek(fd->get(), 0, SEEK_END);
    if (size <= 0) {
        server->post_error(resource, WL_SHM_ERROR_INVALID_STRIDE, log::format("pool size %d is not positive", size));
        return;
    }
    if (fd_size < size) {
        server->post_error(resource, WL_SHM_ERROR_INVALID_FD,
                           log::format("pool of %d bytes on an fd of %lld bytes", size,
                                       static_cast<long long>(fd_size)));
        return;
    }
    wl_resource* res = wl_resource_create(client, &wl_shm_pool_interface, wl_resource_get_version(resource), id);
    if (!res) {
        wl_client_post_no_memory(client);
        return;
    }
    wl_resource_set_implementation(res, &pool_impl, new Pool{server, std::move(fd), size}, pool_destroyed);
}

void shm_release(wl_client*, wl_resource* resource) noexcept
{
    wl_resource_destroy(resource);
}

const struct wl_shm_interface shm_impl{
    .create_pool = shm_create_pool,
    .release = shm_release,
};

void bind_shm(wl_client* client, void* data, uint32_t version, uint32_t id) noexcept
{
    wl_resource* res = wl_resource_create(client, &wl_shm_interface, static_cast<int>(version), id);
    if (!res) {
        wl_client_post_no_memory(client);
        return;
    }
    wl_resource_set_implementation(res, &shm_impl, data, nullptr);
    for (const uint32_t format : shm_formats) {
        wl_shm_send_format(res, format);
    }
}

}  // namespace

DrmFormat drm_format_of_shm(uint32_t shm_format)
{
    if (shm_format == WL_SHM_FORMAT_ARGB8888) return DrmFormat{DRM_FORMAT_ARGB8888};
    if (shm_format == WL_SHM_FORMAT_XRGB8888) return DrmFormat{DRM_FORMAT_XRGB8888};
    return DrmFormat{shm_format};
}

uint32_t shm_format_of(DrmFormat format)
{
    if (format.fourcc() == DRM_FORMAT_ARGB8888) return WL_SHM_FORMAT_ARGB8888;
    if (format.fourcc() == DRM_FORMAT_XRGB8888) return WL_SHM_FORMAT_XRGB8888;
    return format.fourcc();
}

Result<void> Server::init_shm()
{
    if (config.shm && !wl_global_create(display, &wl_shm_interface, 1, this, bind_shm)) {
        return Error{"wl_global_create(wl_shm) failed"};
    }
    return {};
}

}  // namespace dmafeed::test::detail
