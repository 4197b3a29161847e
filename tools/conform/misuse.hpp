// Protocol misuse: every zwp_linux_buffer_params_v1 error of linux-dmabuf, sent on purpose, each
// in a fresh connection. A case's outcome is the error the compositor raised ("error
// out_of_bounds"), another one, "failed", or "no-error".
//
// The buffers are small udmabufs (or memfds where /dev/udmabuf is missing: the detail says so), in
// XRGB8888 (NV12 for the two-plane cases where the compositor offers it) with the first modifier
// the compositor offers for it, LINEAR preferred, so that only the misuse itself is wrong.
#pragma once

#include "case.hpp"
#include "drm/format_set.hpp"
#include "session.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace dmafeed::conform {

struct MisuseOptions {
    std::string display;
    FormatSet offered;  // what the compositor offers (feedback tranches or v3 events)
    uint32_t dmabuf_version = 0;
    std::chrono::milliseconds timeout{5000};
    bool allow_udmabuf = true;
};

// The ids of the cases, in run order (for --list and the tests).
std::vector<std::string> misuse_case_ids();

std::vector<CaseResult> run_misuse(const MisuseOptions& options, const Hooks& hooks, const std::string& filter = "*");

}  // namespace dmafeed::conform
