// The producer's synchronisation with the compositor: which protocol (wp_linux_drm_syncobj_v1,
// zwp_linux_explicit_synchronization_v1 or implicit), when a buffer is free to write again
// (release points, release fences, the dma-buf's own fences), and how a frame's render fence
// goes with its commit (a timeline point, an acquire fence, attached to the dma-bufs, or waited
// for on the CPU).
#include "producer/producer.hpp"

#include "drm/device.hpp"
#include "drm/sync_file.hpp"
#include "util/log.hpp"
#include "linux-drm-syncobj-v1-client-protocol.h"

#include <algorithm>
#include <string>
#include <vector>

namespace dmafeed::producer {

Result<void> Producer::setup_sync()
{
    const bool linux_explicit = globals_->explicit_sync() != nullptr;
    if (config_.sync != SyncMode::implicit_sync && globals_->syncobj_manager()) {
        auto r = setup_syncobj();
        if (r) {
            sync_mode_ = SyncMode::explicit_sync;
            sync_stats_.protocol = "wp_linux_drm_syncobj_v1";
            log::debug("sync: explicit (wp_linux_drm_syncobj_v1 on %s)", timeline_->node().c_str());
            return {};
        }
        if (config_.sync == SyncMode::explicit_sync && !linux_explicit) return std::move(r).error();
        log::info("sync: wp_linux_drm_syncobj_v1 is offered but cannot be used: %s", r.error().message().c_str());
    }
    if (config_.sync == SyncMode::explicit_sync && !linux_explicit) {
        return Error{std::string{"explicit sync was asked for, but the compositor offers "} +
                     "neither wp_linux_drm_syncobj_manager_v1 nor zwp_linux_explicit_synchronization_v1; use implicit sync"};
    }
    sync_mode_ = config_.sync == SyncMode::implicit_sync || !linux_explicit ? SyncMode::implicit_sync : SyncMode::explicit_sync;
    if (sync_mode_ == SyncMode::explicit_sync) {
        if (auto r = window_->enable_explicit_sync(); !r) return r;
        sync_stats_.protocol = "zwp_linux_explicit_synchronization_v1";
    } else {
        sync_stats_.protocol = "implicit";
    }
    log::debug("sync: %s", sync_stats_.protocol.c_str());
    return {};
}

Result<void> Producer::setup_syncobj()
{
    // The timeline lives on the compositor's main device (where it imports buffers).
    const dev_t main_device = feedback_ && feedback_->current() ? feedback_->current()->main_device : 0;
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
        timeline_ = std::move(*timeline);
        timeline_proxy_.reset(wp_linux_drm_syncobj_manager_v1_import_timeline(globals_->syncobj_manager(), fd->get()));
        return window_->enable_syncobj();
    }
    return Error{"no DRM node of " + drm::describe_device(main_device) + " has timeline syncobjs" +
                 (failures.empty() ? std::string{} : ": " + failures)};
}

bool Producer::busy(const Slot& slot) const
{
    if (slot.acquired) return true;
    if (timeline_) {
        // wl_buffer.release is undefined with syncobj: the release point tells.
        if (slot.release_point == 0) return false;
        auto done = timeline_->signalled(slot.release_point);
        return !done || !*done;
    }
    return slot.wl->held() || slot.release_pending;
}

Result<void> Producer::wait_for_release(std::chrono::milliseconds timeout)
{
    if (!timeline_) return connection_->dispatch(timeout);
    // Release points signal outside the Wayland socket: wait on them in short slices, dispatching
    // Wayland events in between.
    std::vector<uint64_t> points;
    for (const auto& s : slots_) {
        if (s->release_point) points.push_back(s->release_point);
    }
    auto waited = timeline_->wait_any(points, std::min(timeout, std::chrono::milliseconds{10}));
    if (!waited) return std::move(waited).error().context("waiting for a release point");
    return connection_->dispatch_pending();
}

Result<void> Producer::wait_before_write(Slot& slot)
{
    if (slot.release_fence) {
        ++sync_stats_.release_fence_waits;
        auto done = drm::wait_fence(slot.release_fence.get(), config_.timeout);
        if (!done) return std::move(done).error().context("waiting for the compositor's release fence");
        if (!*done) {
            return Error{"the compositor's release fence did not signal within " + std::to_string(config_.timeout.count()) +
                         " ms"};
        }
        slot.release_fence.reset();
        return {};
    }
    if (sync_mode_ != SyncMode::implicit_sync || dmabuf_sync_unsupported_ || slot.wl->releases() == 0) return {};
    // Implicit: whatever the compositor still has queued on the buffer (its reads) must finish;
    // once for each dma-buf (the planes of one memory share its fences).
    for (const int dmabuf : slot.buffer->dmabuf_fds()) {
        auto fences = drm::dmabuf_fences(dmabuf, /*for_write=*/true);
        if (!fences) {
            dmabuf_sync_unsupported_ = true;
            log::info("implicit sync: %s; waiting for rendering on the CPU before each commit instead",
                      fences.error().message().c_str());
            return {};
        }
        ++sync_stats_.release_fence_waits;
        auto done = drm::wait_fence(fences->get(), config_.timeout);
        if (!done) return std::move(done).error().context("waiting for the dma-buf's fences");
        if (!*done) return Error{"the dma-buf's fences did not signal within " + std::to_string(config_.timeout.count()) + " ms"};
    }
    return {};
}

Result<void> Producer::hand_over_fence(Slot& slot, wl::CommitSync& commit_sync)
{
    if (timeline_) {
        commit_sync.timeline = timeline_proxy_.get();
        commit_sync.acquire_point = ++last_point_;
        commit_sync.release_point = ++last_point_;
        if (slot.render_fence) {
            if (auto r = timeline_->place_fence(commit_sync.acquire_point, slot.render_fence.get()); !r) return r;
            ++sync_stats_.timeline_fences;
        } else {
            if (auto r = timeline_->signal(commit_sync.acquire_point); !r) return r;
            ++sync_stats_.timeline_signals;
        }
        slot.release_point = commit_sync.release_point;
        return {};
    }
    if (sync_mode_ == SyncMode::explicit_sync) {
        if (slot.render_fence) {
            commit_sync.acquire_fence = slot.render_fence.get();
            ++sync_stats_.acquire_fences;
        }
        slot.release_pending = true;
        Slot* target = &slot;
        commit_sync.on_release = [this, target](UniqueFd fence) {
            target->release_pending = false;
            if (fence) {
                ++sync_stats_.fenced_releases;
                target->release_fence = std::move(fence);
            } else {
                ++sync_stats_.immediate_releases;
            }
        };
        return {};
    }
    if (!slot.render_fence) return {};
    if (!dmabuf_sync_unsupported_) {
        for (const int dmabuf : slot.buffer->dmabuf_fds()) {
            auto attached = drm::attach_fence(dmabuf, slot.render_fence.get());
            if (!attached) {
                dmabuf_sync_unsupported_ = true;
                log::info("implicit sync: %s; waiting for rendering on the CPU before each commit instead",
                          attached.error().message().c_str());
                break;
            }
        }
        if (!dmabuf_sync_unsupported_) {
            ++sync_stats_.implicit_attached;
            slot.render_fence.reset();
            return {};
        }
    }
    ++sync_stats_.cpu_waits;
    auto done = drm::wait_fence(slot.render_fence.get(), config_.timeout);
    if (!done) return std::move(done).error().context("waiting for rendering");
    if (!*done) return Error{"rendering did not finish within " + std::to_string(config_.timeout.count()) + " ms"};
    slot.render_fence.reset();
    return {};
}

}  // namespace dmafeed::producer
