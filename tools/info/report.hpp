// dmafeed-info's report: what the compositor and this machine can exchange. Built by
// dmafeed-info.cpp from the compositor (globals, linux-dmabuf feedback or v3 formats) and the
// local allocators (Vulkan and GBM for the compositor's main device); printed here as plain text or
// JSON, with every pair that both sides have marked. Pure: unit-tested on made-up reports.
#pragma once

#include "drm/format_set.hpp"
#include "wl/color_management.hpp"
#include "wl/dmabuf_feedback.hpp"
#include "wl/registry.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace dmafeed::info {

struct LocalPair {
    FormatModifier pair;
    uint32_t max_width = 0;  // 0: the allocator does not say (GBM)
    uint32_t max_height = 0;
};

struct LocalAllocator {
    std::string name;  // "vulkan on llvmpipe (...)", "gbm on /dev/dri/card0 (virtio_gpu)"
    std::vector<LocalPair> pairs;
};

struct Report {
    std::string display;
    std::vector<wl::Global> globals;
    uint32_t dmabuf_version = 0;
    std::optional<wl::Feedback> feedback;  // linux-dmabuf v4+: the default feedback
    FormatSet v3_formats;                  // v3: the modifier events
    std::optional<wl::ColorManagerSupport> color;  // wp_color_manager_v1, where offered
    dev_t local_device = 0;                // what the allocators were made for (0: none named)
    std::vector<LocalAllocator> allocators;
    std::vector<std::string> allocator_errors;  // why an allocator is missing

    // Every pair the compositor offers, in its preference order.
    FormatSet offered() const;
    // The allocators (by name) that can produce `pair`.
    std::vector<std::string> producers_of(const FormatModifier& pair) const;
    // Pairs offered and produced by at least one allocator, in the compositor's order.
    FormatSet common() const;
};

std::string to_text(const Report& report);
std::string to_json(const Report& report);

}  // namespace dmafeed::info
