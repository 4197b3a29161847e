// Implicit sync: render fences attached to the dma-bufs, the dma-bufs' fences waited for before a
// write, or CPU waits where the kernel has no sync_file ioctls (frame_sync.hpp).
#include "drm/sync_file.hpp"
#include "producer/frame_sync.hpp"
#include "util/log.hpp"

namespace dmafeed::producer {
namespace {

class ImplicitSync final : public FrameSync {
public:
    explicit ImplicitSync(std::chrono::milliseconds timeout) : FrameSync{SyncMode::implicit_sync, "implicit", timeout} {}

    bool busy(const Slot& slot) const override { return slot.wl->held(); }

    Result<void> before_write(Slot& slot) override
    {
        if (ioctls_unsupported_ || slot.wl->releases() == 0) return {};
        // Whatever the compositor still has queued on the buffer (its reads) must finish; once for
        // each dma-buf (the planes of one memory share its fences).
        for (const int dmabuf : slot.buffer->dmabuf_fds()) {
            auto fences = drm::dmabuf_fences(dmabuf, /*for_write=*/true);
            if (!fences) {
                fall_back(fences.error());
                return {};
            }
            ++stats_.release_fence_waits;
            if (auto r = wait_fence(fences->get(), "the dma-buf's fences"); !r) return r;
        }
        return {};
    }

    Result<void> hand_over(Slot& slot, wl::CommitSync&) override
    {
        if (!slot.render_fence) return {};
        if (!ioctls_unsupported_) {
            for (const int dmabuf : slot.buffer->dmabuf_fds()) {
                if (auto attached = drm::attach_fence(dmabuf, slot.render_fence.get()); !attached) {
                    fall_back(attached.error());
                    break;
                }
            }
            if (!ioctls_unsupported_) {
                ++stats_.implicit_attached;
                slot.render_fence.reset();
                return {};
            }
        }
        ++stats_.cpu_waits;
        if (auto r = wait_fence(slot.render_fence.get(), "the render fence"); !r) return r;
        slot.render_fence.reset();
        return {};
    }

private:
    void fall_back(const Error& why)
    {
        ioctls_unsupported_ = true;
        log::info("implicit sync: %s; waiting for rendering on the CPU before each commit instead", why.message().c_str());
    }

    bool ioctls_unsupported_ = false;  // the dma-buf sync_file ioctls failed once: CPU waits
};

}  // namespace

std::unique_ptr<FrameSync> implicit_frame_sync(std::chrono::milliseconds timeout)
{
    return std::make_unique<ImplicitSync>(timeout);
}

}  // namespace dmafeed::producer
