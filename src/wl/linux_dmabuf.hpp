// The zwp_linux_dmabuf_v1 global, bound at version 3 to 5. Version 3 advertises its pairs with
// `modifier` events (collected into v3_formats() by the first roundtrip after binding); version
// 4+ gives feedback objects (default, or per surface).
#pragma once

#include "drm/format_set.hpp"
#include "util/result.hpp"
#include "wl/dmabuf_feedback.hpp"
#include "wl/proxy.hpp"
#include "wl/registry.hpp"

#include <memory>

struct wl_surface;
struct zwp_linux_dmabuf_v1;

namespace dmafeed::wl {

void destroy_linux_dmabuf(zwp_linux_dmabuf_v1* p);

class LinuxDmabuf {
public:
    static constexpr uint32_t min_version = 3;
    static constexpr uint32_t max_supported_version = 6;

    // Binds at min(offered, max_version); the caller roundtrips before reading v3_formats().
    static Result<std::unique_ptr<LinuxDmabuf>> bind(Registry& registry, uint32_t max_version = max_supported_version);
    LinuxDmabuf(const LinuxDmabuf&) = delete;
    LinuxDmabuf& operator=(const LinuxDmabuf&) = delete;
    ~LinuxDmabuf() = default;

    uint32_t version() const noexcept { return version_; }
    zwp_linux_dmabuf_v1* proxy() const noexcept { return proxy_.get(); }
    bool has_feedback() const noexcept;
    // v3: the pairs of the modifier events, in the order received. Empty for v4+.
    const FormatSet& v3_formats() const noexcept { return v3_formats_; }

    // v4+ only (an error below): feedback for any surface, or for one surface.
    Result<std::unique_ptr<DmabufFeedback>> default_feedback(DmabufFeedback::Callback on_done);
    Result<std::unique_ptr<DmabufFeedback>> surface_feedback(wl_surface* surface, DmabufFeedback::Callback on_done);

    void handle_format(uint32_t format) noexcept;
    void handle_modifier(uint32_t format, uint32_t modifier_hi, uint32_t modifier_lo) noexcept;

private:
    LinuxDmabuf(zwp_linux_dmabuf_v1* proxy, uint32_t version);
    ProxyPtr<zwp_linux_dmabuf_v1, destroy_linux_dmabuf> proxy_;
    uint32_t version_ = 0;
    FormatSet v3_formats_;
};

}  // namespace dmafeed::wl
