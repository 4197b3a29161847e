// How the producer synchronises its buffers with the compositor: one FrameSync per sync mode, chosen
// once when the producer starts (choose_frame_sync).
//
// Every mode answers the same four questions:
//  - busy(): may the compositor still read the buffer? (It is then not written.)
//  - wait_for_release(): wait, bounded, for something that may free a buffer.
//  - before_write(): wait for what must end before a free buffer is written again.
//  - hand_over(): put the frame's render fence (Slot::render_fence, a sync_file; none when the
//    pixels are already in place) where the compositor will wait for it, just before the commit.
//
// The modes, one file each:
//  - sync_syncobj.cpp: wp_linux_drm_syncobj_v1 (preferred where offered and the compositor's main
//    device has timeline syncobjs): one DRM syncobj timeline on that device, imported once; per
//    commit an acquire point (the render fence placed at it, or signalled by the CPU when there is
//    none) and a release point. A buffer is free again when its release point has signalled
//    (wl_buffer.release is not relied on, as the protocol says).
//  - sync_explicit.cpp: zwp_linux_explicit_synchronization_v1: the fence goes with the commit as
//    the acquire fence, and every commit asks for a release event; a buffer is written again only
//    after its wl_buffer.release and its release event, and after the release fence (if any) has
//    signalled.
//  - sync_implicit.cpp: the fence is attached to every plane's dma-buf (DMA_BUF_IOCTL_IMPORT_SYNC_FILE)
//    before the commit; before a released buffer is written again, the dma-buf's fences are taken
//    (DMA_BUF_IOCTL_EXPORT_SYNC_FILE) and waited for. Where those ioctls fail (ENOTTY: an old
//    kernel, or a memfd), the render fence is waited for on the CPU before each commit instead
//    (logged once).
// SyncMode::automatic takes syncobj, then the explicit-sync protocol, where offered, else implicit.
// Every wait is bounded by the producer's timeout; running past it is an error naming what did not
// signal.
#pragma once

#include "producer/buffer_pool.hpp"
#include "util/result.hpp"
#include "wl/window.hpp"

#include <chrono>
#include <memory>
#include <string>

namespace dmafeed::wl {
class Connection;
class DmabufFeedback;
class Globals;
}  // namespace dmafeed::wl

namespace dmafeed::producer {

// automatic: explicit where the compositor offers it, else implicit.
enum class SyncMode { automatic, explicit_sync, implicit_sync };

struct SyncStats {
    uint64_t acquire_fences = 0;       // explicit: commits that carried an acquire fence
    uint64_t fenced_releases = 0;      // explicit: releases with a fence
    uint64_t immediate_releases = 0;   // explicit: releases without one
    uint64_t release_fence_waits = 0;  // fences waited for before a write (release or dma-buf fences)
    uint64_t implicit_attached = 0;    // implicit: render fences attached to dma-bufs
    uint64_t cpu_waits = 0;            // render fences waited for on the CPU (the implicit fallback)
    uint64_t timeline_fences = 0;      // syncobj: render fences placed at an acquire point
    uint64_t timeline_signals = 0;     // syncobj: acquire points signalled by the CPU (no fence)
    std::string protocol;              // "wp_linux_drm_syncobj_v1", "zwp_linux_explicit_synchronization_v1", "implicit"
};

class FrameSync {
public:
    FrameSync(const FrameSync&) = delete;
    FrameSync& operator=(const FrameSync&) = delete;
    virtual ~FrameSync() = default;

    // explicit_sync or implicit_sync.
    SyncMode mode() const noexcept { return mode_; }
    const SyncStats& stats() const noexcept { return stats_; }

    virtual bool busy(const Slot& slot) const = 0;
    virtual Result<void> wait_for_release(wl::Connection& connection, const BufferPool& pool, std::chrono::milliseconds timeout);
    virtual Result<void> before_write(Slot& slot) = 0;
    // Fills `commit` for Window::present (explicit modes; implicit leaves it empty and present()
    // gets none).
    virtual Result<void> hand_over(Slot& slot, wl::CommitSync& commit) = 0;

protected:
    FrameSync(SyncMode mode, std::string protocol, std::chrono::milliseconds timeout) : mode_{mode}, timeout_{timeout}
    {
        stats_.protocol = std::move(protocol);
    }
    // Waits for `fence` (a sync_file) up to the timeout; `what` names it in the error.
    Result<void> wait_fence(int fence, const char* what);

    SyncMode mode_;
    std::chrono::milliseconds timeout_;
    SyncStats stats_;
};

// The mode `wanted` asks for, among what the compositor offers (see above). An error where
// explicit sync is asked for and neither protocol can be used.
Result<std::unique_ptr<FrameSync>> choose_frame_sync(SyncMode wanted, wl::Globals& globals, wl::Window& window,
                                                     const wl::DmabufFeedback* feedback, std::chrono::milliseconds timeout);

// The modes' constructors (sync_*.cpp).
Result<std::unique_ptr<FrameSync>> syncobj_frame_sync(wl::Globals& globals, wl::Window& window, dev_t main_device,
                                                      std::chrono::milliseconds timeout);
Result<std::unique_ptr<FrameSync>> explicit_frame_sync(wl::Window& window, std::chrono::milliseconds timeout);
std::unique_ptr<FrameSync> implicit_frame_sync(std::chrono::milliseconds timeout);

}  // namespace dmafeed::producer
