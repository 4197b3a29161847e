#include "wl/dmabuf_buffer.hpp"

#include "linux-dmabuf-v1-client-protocol.h"
#include "wl/listener.hpp"

#include <string>
#include <wayland-client.h>

namespace dmafeed::wl {
namespace {

using Clock = std::chrono::steady_clock;

constexpr zwp_linux_buffer_params_v1_listener params_listener{
    .created = on<&DmabufBuffer::handle_created>,
    .failed = on<&DmabufBuffer::handle_failed>,
};
constexpr wl_buffer_listener buffer_listener{
    .release = on<&DmabufBuffer::handle_release>,
};

}  // namespace

void destroy_buffer(wl_buffer* p) { wl_buffer_destroy(p); }
void destroy_buffer_params(zwp_linux_buffer_params_v1* p) { zwp_linux_buffer_params_v1_destroy(p); }

Result<std::unique_ptr<DmabufBuffer>> DmabufBuffer::create(Connection& connection, LinuxDmabuf& dmabuf,
                                                           const DmabufDescription& d, CreateMode mode,
                                                           std::chrono::milliseconds timeout)
{
    if (d.planes.empty() || d.planes.size() > 4) {
        return Error{"a dma-buf buffer has 1 to 4 planes, not " + std::to_string(d.planes.size())};
    }
    std::unique_ptr<DmabufBuffer> self{new DmabufBuffer};
    self->params_.reset(zwp_linux_dmabuf_v1_create_params(dmabuf.proxy()));
    zwp_linux_buffer_params_v1* params = self->params_.get();
    zwp_linux_buffer_params_v1_add_listener(params, &params_listener, self.get());
    const uint64_t mod = d.modifier.value();
    for (size_t i = 0; i < d.planes.size(); ++i) {
        const DmabufPlane& p = d.planes[i];
        zwp_linux_buffer_params_v1_add(params, p.fd, static_cast<uint32_t>(i), p.offset, p.stride,
                                       static_cast<uint32_t>(mod >> 32U), static_cast<uint32_t>(mod & 0xffffffffU));
    }
    if (d.sampling_device && dmabuf.version() >= ZWP_LINUX_BUFFER_PARAMS_V1_SET_SAMPLING_DEVICE_SINCE_VERSION) {
        dev_t device = *d.sampling_device;
        wl_array array{.size = sizeof device, .alloc = sizeof device, .data = &device};
        zwp_linux_buffer_params_v1_set_sampling_device(params, &array);
    }
    const auto w = static_cast<int32_t>(d.width);
    const auto h = static_cast<int32_t>(d.height);
    if (mode == CreateMode::immediate) {
        self->buffer_.reset(zwp_linux_buffer_params_v1_create_immed(params, w, h, d.format.fourcc(), d.flags));
        wl_buffer_add_listener(self->buffer_.get(), &buffer_listener, self.get());
        if (auto s = connection.dispatch_pending(); !s) return std::move(s).error().context("create_immed");
        return self;
    }

    zwp_linux_buffer_params_v1_create(params, w, h, d.format.fourcc(), d.flags);
    const auto deadline = Clock::now() + timeout;
    while (!self->answered_) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) {
            return Error{"the compositor answered neither `created` nor `failed` for a " + name(d.format) + " " +
                         name(d.modifier) + " buffer within " + std::to_string(timeout.count()) + " ms"};
        }
        if (auto r = connection.dispatch(left); !r) {
            return std::move(r).error().context("waiting for the compositor to import a " + name(d.format) + " " +
                                                name(d.modifier) + " buffer");
        }
    }
    self->params_.reset();  // answered: of no further use
    if (self->refused_) return std::unique_ptr<DmabufBuffer>{};
    return self;
}

void DmabufBuffer::handle_created(wl_buffer* buffer) noexcept
{
    answered_ = true;
    buffer_.reset(buffer);
    wl_buffer_add_listener(buffer, &buffer_listener, this);
}

void DmabufBuffer::handle_failed() noexcept
{
    answered_ = true;
    refused_ = true;
}

void DmabufBuffer::handle_release() noexcept
{
    held_ = false;
    ++releases_;
    if (on_release_) on_release_();
}

}  // namespace dmafeed::wl
