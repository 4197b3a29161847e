// A DRM syncobj timeline on a DRM device (drmSyncobj*): what wp_linux_drm_syncobj_v1 shares with
// the compositor. Points are u64 values; a point is signalled once the timeline reaches it.
//  - place_fence(): the point signals when a sync_file does (import into a temporary binary syncobj,
//    then transfer it to the point), so GPU work hands over without a CPU wait;
//  - signal(): the point signals now (content written by the CPU);
//  - signalled()/wait(): the state of a point (the compositor's release point).
#pragma once

#include "util/result.hpp"
#include "util/unique_fd.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace dmafeed::drm {

class SyncobjTimeline {
public:
    // On the DRM node `node` (its fd is opened O_RDWR | O_CLOEXEC). Errors: the node cannot be
    // opened, or its driver lacks DRM_CAP_SYNCOBJ_TIMELINE.
    static Result<std::unique_ptr<SyncobjTimeline>> create(const std::string& node);
    SyncobjTimeline(const SyncobjTimeline&) = delete;
    SyncobjTimeline& operator=(const SyncobjTimeline&) = delete;
    ~SyncobjTimeline();

    const std::string& node() const noexcept { return node_; }
    // A new fd for the timeline (for wp_linux_drm_syncobj_manager_v1.import_timeline).
    Result<UniqueFd> export_fd() const;
    Result<void> place_fence(uint64_t point, int sync_file);
    Result<void> signal(uint64_t point);
    // Whether the point has signalled (the timeline's value is at or past it).
    Result<bool> signalled(uint64_t point) const;
    // Waits until any of `points` has signalled (or been submitted for signalling and then
    // signalled); false on timeout.
    Result<bool> wait_any(std::span<const uint64_t> points, std::chrono::milliseconds timeout) const;

private:
    SyncobjTimeline(UniqueFd fd, uint32_t handle, std::string node)
        : fd_{std::move(fd)}, handle_{handle}, node_{std::move(node)}
    {
    }
    UniqueFd fd_;
    uint32_t handle_ = 0;
    std::string node_;
};

}  // namespace dmafeed::drm
