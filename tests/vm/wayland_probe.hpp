// A one-shot look at what a compositor offers, through dmafeed's own Wayland layer (src/wl):
// its globals, and zwp_linux_dmabuf_v1's pairs (v3 modifier events) or default feedback (v4+).
#pragma once

#include "util/result.hpp"
#include "wl/dmabuf_feedback.hpp"
#include "wl/registry.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dmafeed::test {

struct ProbeResult {
    std::vector<wl::Global> globals;
    uint32_t dmabuf_version = 0;       // 0: not offered
    FormatSet pairs;                   // v3: modifier events; v4+: all tranches' pairs
    std::optional<wl::Feedback> feedback;  // v4+

    std::optional<uint32_t> global_version(const std::string& interface) const;
    bool has_pair(uint32_t format, uint64_t modifier) const { return pairs.contains(DrmFormat{format}, DrmModifier{modifier}); }
};

// Connects to `display` (a socket name or path), binds zwp_linux_dmabuf_v1 at up to `max_dmabuf`.
Result<ProbeResult> probe_compositor(const std::string& display, uint32_t max_dmabuf = 5);

}  // namespace dmafeed::test
