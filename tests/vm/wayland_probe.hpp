// A one-shot look at what a compositor offers: its globals, and zwp_linux_dmabuf_v1's formats
// (v3 format/modifier events) or default feedback (v4+: main device, format table, tranches).
// Test-side only: it checks the rig's facts, independent of the producer's own Wayland code.
#pragma once

#include "util/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace dmafeed::test {

struct FormatModifier {
    uint32_t format = 0;
    uint64_t modifier = 0;
    bool operator==(const FormatModifier&) const = default;
};

struct ProbeTranche {
    dev_t target_device = 0;
    uint32_t flags = 0;
    std::vector<FormatModifier> pairs;
};

struct ProbeResult {
    struct Global {
        std::string interface;
        uint32_t version = 0;
    };
    std::vector<Global> globals;
    uint32_t dmabuf_version = 0;             // 0: not offered
    std::vector<FormatModifier> pairs;       // v3: modifier events; v4+: all tranches' pairs
    std::optional<dev_t> main_device;        // v4+
    std::vector<ProbeTranche> tranches;      // v4+

    std::optional<uint32_t> global_version(const std::string& interface) const;
    bool has_pair(uint32_t format, uint64_t modifier) const;
};

// Connects to `display` (a socket name or path), binds zwp_linux_dmabuf_v1 at up to `max_dmabuf`.
Result<ProbeResult> probe_compositor(const std::string& display, uint32_t max_dmabuf = 5);

}  // namespace dmafeed::test
