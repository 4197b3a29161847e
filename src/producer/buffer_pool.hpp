// The producer's buffers: each one an allocated Buffer with its wl_buffer, the layout it was made
// as, and its state between acquire, commit and release.
//
// Contract:
//  - The pool holds at most `capacity` buffers of the current generation. A generation is one
//    layout and size: a rebuild (new feedback, a resize, a refused layout) starts the next one,
//    and buffers of older generations are never handed out again. They are destroyed as soon as
//    the compositor no longer holds them (retire_old), each announced to `on_destroy` first while
//    it still exists.
//  - Whether the compositor still holds a buffer is the sync mode's question (FrameSync::busy):
//    wl_buffer.release, an explicit-sync release event or a timeline release point.
//  - A buffer is handed out at most once until it is queued or abandoned (Slot::acquired).
//  - Buffers die before the allocators that made them: the pool is declared after them.
#pragma once

#include "alloc/buffer.hpp"
#include "producer/backends.hpp"
#include "sources/pattern.hpp"
#include "util/unique_fd.hpp"
#include "wl/dmabuf_buffer.hpp"

#include <functional>
#include <memory>
#include <string>
#include <sys/types.h>
#include <tuple>
#include <vector>

namespace dmafeed::producer {

class FrameSync;

// What a buffer was made as: allocator (Backend::describe()), target device, pair. The
// compositor accepts or refuses buffers per layout.
using LayoutKey = std::tuple<std::string, dev_t, FormatModifier>;

// What the sync modes keep per buffer.
struct SlotSync {
    bool release_pending = false;  // explicit sync: the commit's release event has not come
    UniqueFd release_fence;        // explicit sync: from fenced_release, until waited for
    uint64_t release_point = 0;    // syncobj: the last commit's release point
};

struct Slot {
    LayoutKey layout;
    std::unique_ptr<Buffer> buffer;
    std::unique_ptr<wl::DmabufBuffer> wl;
    Backend* backend = nullptr;  // the one that made it
    uint64_t generation = 0;
    uint64_t serial = 0;     // Frame::buffer_serial: 1, 2, ... in creation order
    bool acquired = false;   // handed out by acquire(), not queued yet
    UniqueFd render_fence;   // from write() or the host, until the commit
    SlotSync sync;
    // The pattern frame draw() left in the buffer (write() forgets it): the next draw redraws
    // only what differs.
    std::optional<sources::PatternFrame> drawn;
    pixels::YuvEncoding drawn_encoding;
};

class BufferPool {
public:
    using OnDestroy = std::function<void(const Slot&)>;

    explicit BufferPool(size_t capacity) : capacity_{capacity} {}

    size_t capacity() const noexcept { return capacity_; }
    uint64_t generation() const noexcept { return generation_; }
    // Buffers made from now on are of a new layout or size.
    void next_generation() noexcept { ++generation_; }
    // Buffers alive (every generation), and those of the current one.
    size_t size() const noexcept { return slots_.size(); }
    size_t current_count() const noexcept;
    bool full() const noexcept { return current_count() >= capacity_; }

    // The first buffer of the current generation that is free to write: not acquired, not held
    // by the compositor, not refused. Null when there is none.
    Slot* free_slot(const FrameSync& sync) noexcept;
    // The buffer handed out as `buffer`; null when it is not one of ours.
    Slot* find(const Buffer* buffer) noexcept;
    Slot& add(std::unique_ptr<Slot> slot);

    // Destroys the buffers of older generations that the compositor no longer holds.
    void retire_old(const FrameSync& sync, const OnDestroy& on_destroy);
    // Destroys `slot` and every buffer whose wl_buffer the compositor refused.
    void remove_refused(const Slot* slot, const OnDestroy& on_destroy);

    const std::vector<std::unique_ptr<Slot>>& slots() const noexcept { return slots_; }

private:
    size_t capacity_;
    uint64_t generation_ = 0;
    std::vector<std::unique_ptr<Slot>> slots_;
};

}  // namespace dmafeed::producer
