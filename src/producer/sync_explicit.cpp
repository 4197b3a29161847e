// zwp_linux_explicit_synchronization_v1: an acquire fence with the commit, a release event per
// commit (frame_sync.hpp).
#include "producer/frame_sync.hpp"
#include "util/log.hpp"

namespace dmafeed::producer {
namespace {

class ExplicitSync final : public FrameSync {
public:
    explicit ExplicitSync(std::chrono::milliseconds timeout)
        : FrameSync{SyncMode::explicit_sync, "zwp_linux_explicit_synchronization_v1", timeout}
    {
    }

    bool busy(const Slot& slot) const override { return slot.wl->held() || slot.sync.release_pending; }

    Result<void> before_write(Slot& slot) override
    {
        if (!slot.sync.release_fence) return {};
        ++stats_.release_fence_waits;
        if (auto r = wait_fence(slot.sync.release_fence.get(), "the compositor's release fence"); !r) return r;
        slot.sync.release_fence.reset();
        return {};
    }

    Result<void> hand_over(Slot& slot, wl::CommitSync& commit) override
    {
        if (slot.render_fence) {
            commit.acquire_fence = slot.render_fence.get();  // sent with the commit; closed after it
            ++stats_.acquire_fences;
        }
        slot.sync.release_pending = true;
        SlotSync* target = &slot.sync;  // the slot outlives its release event (busy() keeps it)
        commit.on_release = [this, target](UniqueFd fence) {
            target->release_pending = false;
            if (fence) {
                ++stats_.fenced_releases;
                target->release_fence = std::move(fence);
            } else {
                ++stats_.immediate_releases;
            }
        };
        return {};
    }
};

}  // namespace

Result<std::unique_ptr<FrameSync>> explicit_frame_sync(wl::Window& window, std::chrono::milliseconds timeout)
{
    if (auto r = window.enable_explicit_sync(); !r) return std::move(r).error();
    log::debug("sync: zwp_linux_explicit_synchronization_v1");
    return std::unique_ptr<FrameSync>{std::make_unique<ExplicitSync>(timeout)};
}

}  // namespace dmafeed::producer
