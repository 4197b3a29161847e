// wp_linux_drm_syncobj_v1: a timeline on the compositor's main device, an acquire and a release
// point per commit (frame_sync.hpp).
#include "drm/device.hpp"
#include "drm/syncobj.hpp"
#include "producer/frame_sync.hpp"
#include "util/log.hpp"
#include "wl/connection.hpp"
#include "wl/globals.hpp"
#include "linux-drm-syncobj-v1-client-protocol.h"

#include <algorithm>
#include <vector>

namespace dmafeed::producer {
namespace {

class SyncobjSync final : public FrameSync {
public:
    SyncobjSync(std::unique_ptr<drm::SyncobjTimeline> timeline, wp_linux_drm_syncobj_timeline_v1* proxy,
                std::chrono::milliseconds timeout)
        : FrameSync{SyncMode::explicit_sync, "wp_linux_drm_syncobj_v1", timeout}, timeline_{std::move(timeline)}, proxy_{proxy}
    {
    }

    bool busy(const Slot& slot) const override
    {
        // wl_buffer.release is undefined with syncobj: the release point tells.
        if (slot.sync.release_point == 0) return false;
        auto done = timeline_->signalled(slot.sync.release_point);
        return !done || !*done;
    }

    Result<void> wait_for_release(wl::Connection& connection, const BufferPool& pool, std::chrono::milliseconds timeout) override
    {
        // Release points signal outside the Wayland socket: wait on them in short slices,
        // dispatching Wayland events in between.
        std::vector<uint64_t> points;
        for (const auto& s : pool.slots()) {
            if (s->sync.release_point) points.push_back(s->sync.release_point);
        }
        auto waited = timeline_->wait_any(points, std::min(timeout, std::chrono::milliseconds{10}));
        if (!waited) return std::move(waited).error().context("waiting for a release point");
        return connection.dispatch_pending();
    }

    Result<void> before_write(Slot&) override { return {}; }  // busy() waited for the release point

    Result<void> hand_over(Slot& slot, wl::CommitSync& commit) override
    {
        commit.timeline = proxy_.get();
        commit.acquire_point = ++last_point_;
        commit.release_point = ++last_point_;
        if (slot.render_fence) {
            if (auto r = timeline_->place_fence(commit.acquire_point, slot.render_fence.get()); !r) return r;
            ++stats_.timeline_fences;
        } else {
            if (auto r = timeline_->signal(commit.acquire_point); !r) return r;
            ++stats_.timeline_signals;
        }
        slot.sync.release_point = commit.release_point;
        return {};
    }

private:
    std::unique_ptr<drm::SyncobjTimeline> timeline_;
    wl::ProxyPtr<wp_linux_drm_syncobj_timeline_v1, wl::destroy_syncobj_timeline> proxy_;
    uint64_t last_point_ = 0;
};

}  // namespace

Result<std::unique_ptr<FrameSync>> syncobj_frame_sync(wl::Globals& globals, wl::Window& window, dev_t main_device,
                                                      std::chrono::milliseconds timeout)
{
    // The timeline lives on the compositor's main device (where it imports buffers).
    if (main_device == 0) return Error{"the compositor names no main device (linux-dmabuf v3)"};
    std::string failures;
    for (const bool render : {true, false}) {
        const std::string node = drm::node_path(main_device, render);
        if (node.empty()) continue;
        auto timeline = drm::SyncobjTimeline::create(node);
        if (!timeline) {
            failures += (failures.empty() ? "" : "; ") + timeline.error().message();
            continue;
        }
        auto fd = (*timeline)->export_fd();
        if (!fd) return std::move(fd).error();
        auto* proxy = wp_linux_drm_syncobj_manager_v1_import_timeline(globals.syncobj_manager(), fd->get());
        log::debug("sync: explicit (wp_linux_drm_syncobj_v1 on %s)", (*timeline)->node().c_str());
        std::unique_ptr<FrameSync> sync = std::make_unique<SyncobjSync>(std::move(*timeline), proxy, timeout);
        if (auto r = window.enable_syncobj(); !r) return std::move(r).error();
        return sync;
    }
    return Error{"no DRM node of " + drm::describe_device(main_device) + " has timeline syncobjs" +
                 (failures.empty() ? std::string{} : ": " + failures)};
}

}  // namespace dmafeed::producer
