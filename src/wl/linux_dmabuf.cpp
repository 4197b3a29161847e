#include "wl/linux_dmabuf.hpp"

#include "linux-dmabuf-v1-client-protocol.h"
#include "wl/listener.hpp"

#include <wayland-client.h>

namespace dmafeed::wl {
namespace {

constexpr zwp_linux_dmabuf_v1_listener dmabuf_listener{
    .format = on<&LinuxDmabuf::handle_format>,
    .modifier = on<&LinuxDmabuf::handle_modifier>,
};

// v4 added the feedback objects and stopped the format/modifier events.
constexpr uint32_t feedback_since = ZWP_LINUX_DMABUF_V1_GET_DEFAULT_FEEDBACK_SINCE_VERSION;

}  // namespace

void destroy_linux_dmabuf(zwp_linux_dmabuf_v1* p) { zwp_linux_dmabuf_v1_destroy(p); }

Result<std::unique_ptr<LinuxDmabuf>> LinuxDmabuf::bind(Registry& registry, uint32_t max_version)
{
    auto proxy = registry.bind(zwp_linux_dmabuf_v1_interface, min_version, max_version);
    if (!proxy) return std::move(proxy).error();
    auto* dmabuf = static_cast<zwp_linux_dmabuf_v1*>(*proxy);
    const uint32_t version = zwp_linux_dmabuf_v1_get_version(dmabuf);
    return std::unique_ptr<LinuxDmabuf>{new LinuxDmabuf{dmabuf, version}};
}

LinuxDmabuf::LinuxDmabuf(zwp_linux_dmabuf_v1* proxy, uint32_t version) : proxy_{proxy}, version_{version}
{
    if (!has_feedback()) {  // v4+ sends no format/modifier events
        zwp_linux_dmabuf_v1_add_listener(proxy_.get(), &dmabuf_listener, this);
    }
}

bool LinuxDmabuf::has_feedback() const noexcept { return version_ >= feedback_since; }

void LinuxDmabuf::handle_format(uint32_t) noexcept
{
    // v3 also sends a modifier event for every pair (INVALID for implicit): that is the one used.
}

void LinuxDmabuf::handle_modifier(uint32_t format, uint32_t modifier_hi, uint32_t modifier_lo) noexcept
{
    v3_formats_.add(DrmFormat{format}, DrmModifier{(uint64_t{modifier_hi} << 32U) | modifier_lo});
}

Result<std::unique_ptr<DmabufFeedback>> LinuxDmabuf::default_feedback(DmabufFeedback::Callback on_done)
{
    if (!has_feedback()) {
        return Error{"zwp_linux_dmabuf_v1 version " + std::to_string(version_) + " has no feedback (needs " +
                     std::to_string(feedback_since) + ")"};
    }
    return std::make_unique<DmabufFeedback>(zwp_linux_dmabuf_v1_get_default_feedback(proxy_.get()), std::move(on_done));
}

Result<std::unique_ptr<DmabufFeedback>> LinuxDmabuf::surface_feedback(wl_surface* surface, DmabufFeedback::Callback on_done)
{
    if (!has_feedback()) {
        return Error{"zwp_linux_dmabuf_v1 version " + std::to_string(version_) + " has no feedback (needs " +
                     std::to_string(feedback_since) + ")"};
    }
    return std::make_unique<DmabufFeedback>(zwp_linux_dmabuf_v1_get_surface_feedback(proxy_.get(), surface),
                                            std::move(on_done));
}

}  // namespace dmafeed::wl
