#include "producer/frame_sync.hpp"

#include "drm/sync_file.hpp"
#include "util/log.hpp"
#include "wl/connection.hpp"
#include "wl/dmabuf_feedback.hpp"
#include "wl/globals.hpp"

namespace dmafeed::producer {

Result<void> FrameSync::wait_for_release(wl::Connection& connection, const BufferPool&, std::chrono::milliseconds timeout)
{
    return connection.dispatch(timeout);
}

Result<void> FrameSync::wait_fence(int fence, const char* what)
{
    auto done = drm::wait_fence(fence, timeout_);
    if (!done) return std::move(done).error().context(std::string{"waiting for "} + what);
    if (!*done) return Error{std::string{what} + " did not signal within " + std::to_string(timeout_.count()) + " ms"};
    return {};
}

Result<std::unique_ptr<FrameSync>> choose_frame_sync(SyncMode wanted, wl::Globals& globals, wl::Window& window,
                                                     const wl::DmabufFeedback* feedback, std::chrono::milliseconds timeout)
{
    const bool linux_explicit = globals.explicit_sync() != nullptr;
    if (wanted != SyncMode::implicit_sync && globals.syncobj_manager()) {
        const dev_t main_device = feedback && feedback->current() ? feedback->current()->main_device : 0;
        auto syncobj = syncobj_frame_sync(globals, window, main_device, timeout);
        if (syncobj) return syncobj;
        if (wanted == SyncMode::explicit_sync && !linux_explicit) return std::move(syncobj).error();
        log::info("sync: wp_linux_drm_syncobj_v1 is offered but cannot be used: %s", syncobj.error().message().c_str());
    }
    if (wanted == SyncMode::explicit_sync && !linux_explicit) {
        return Error{std::string{"explicit sync was asked for, but the compositor offers "} +
                     "neither wp_linux_drm_syncobj_manager_v1 nor zwp_linux_explicit_synchronization_v1; use implicit sync"};
    }
    if (wanted != SyncMode::implicit_sync && linux_explicit) return explicit_frame_sync(window, timeout);
    log::debug("sync: implicit");
    return implicit_frame_sync(timeout);
}

}  // namespace dmafeed::producer
