// Asking a compositor what it offers, once: its globals, the zwp_linux_dmabuf_v1 version, the
// default feedback (v4+) or the modifier events (v3), and what wp_color_manager_v1 supports. dmafeed-info reports it; dmafeed-conform
// builds its matrix from it.
#pragma once

#include "drm/format_set.hpp"
#include "util/result.hpp"
#include "wl/color_management.hpp"
#include "wl/dmabuf_feedback.hpp"
#include "wl/registry.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace dmafeed::info {

struct Offer {
    std::vector<wl::Global> globals;
    uint32_t dmabuf_version = 0;
    std::optional<wl::Feedback> feedback;  // v4+: the default feedback
    FormatSet v3_formats;                  // v3: the modifier events
    std::optional<wl::ColorManagerSupport> color;  // wp_color_manager_v1, where offered

    // Every pair offered, in the compositor's preference order (all tranches, or the v3 events).
    FormatSet pairs() const;
    bool has_global(std::string_view interface) const;
};

// `display`: a socket name or path. Errors name what is missing (no socket, no
// zwp_linux_dmabuf_v1, no usable default feedback within `timeout`).
Result<Offer> probe(const std::string& display, std::chrono::milliseconds timeout);

}  // namespace dmafeed::info
