#include "producer/buffer_pool.hpp"

#include "producer/frame_sync.hpp"

#include <algorithm>

namespace dmafeed::producer {

size_t BufferPool::current_count() const noexcept
{
    return static_cast<size_t>(std::count_if(slots_.begin(), slots_.end(), [&](const auto& s) { return s->generation == generation_; }));
}

Slot* BufferPool::free_slot(const FrameSync& sync) noexcept
{
    for (auto& s : slots_) {
        if (s->generation == generation_ && !s->acquired && !sync.busy(*s) && !s->wl->refused()) return s.get();
    }
    return nullptr;
}

Slot* BufferPool::find(const Buffer* buffer) noexcept
{
    for (auto& s : slots_) {
        if (s->buffer.get() == buffer) return s.get();
    }
    return nullptr;
}

Slot& BufferPool::add(std::unique_ptr<Slot> slot)
{
    slots_.push_back(std::move(slot));
    return *slots_.back();
}

void BufferPool::retire_old(const FrameSync& sync, const OnDestroy& on_destroy)
{
    std::erase_if(slots_, [&](const std::unique_ptr<Slot>& s) {
        if (s->generation == generation_ || s->acquired || sync.busy(*s)) return false;
        on_destroy(*s);
        return true;
    });
}

void BufferPool::remove_refused(const Slot* slot, const OnDestroy& on_destroy)
{
    std::erase_if(slots_, [&](const std::unique_ptr<Slot>& s) {
        if (!s->wl->refused() && s.get() != slot) return false;
        on_destroy(*s);
        return true;
    });
}

}  // namespace dmafeed::producer
