// MemfdAllocator: an Allocator for the compositor tier. Its buffers are memfds standing in for
// dma-bufs (no process on the host can get a real one): a LINEAR layout in one memfd, every plane
// an fd of its own (dup of the memfd), filled through CPU mappings. It claims whatever pairs the
// test gives it, so negotiation, refusals and rebuilds can be driven; a pair with a non-LINEAR
// modifier still gets a LINEAR layout, which the test compositor cannot tell apart.
#pragma once

#include "alloc/allocator.hpp"
#include "producer/backends.hpp"

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dmafeed::test {

class MemfdAllocator final : public Allocator {
public:
    explicit MemfdAllocator(FormatSet supported, std::string name = "memfd")
        : supported_{std::move(supported)}, name_{std::move(name)}
    {
    }
    std::string_view name() const noexcept override { return name_; }
    const FormatSet& supported() const noexcept override { return supported_; }
    Result<std::unique_ptr<Buffer>> allocate(const AllocationRequest& request) override;

    // Pairs whose allocation fails (as a driver can).
    FormatSet fail_allocation;
    // Every plane in a memfd of its own, at offset 0 (as a driver with a bo per plane does); by
    // default the planes follow each other in one memfd, each plane's fd a dup of it.
    bool memfd_per_plane = false;
    uint64_t allocations = 0;
    uint64_t scanout_allocations = 0;  // asked for with AllocationRequest::scanout

private:
    FormatSet supported_;
    std::string name_;
};

// A factory that gives every device one MemfdAllocator with `supported` (shared: the test can read
// its counters), and records the devices it was asked for.
struct MemfdFactory {
    std::shared_ptr<MemfdAllocator> allocator;
    std::shared_ptr<std::vector<dev_t>> asked = std::make_shared<std::vector<dev_t>>();
    // write() returns a "render fence" (a signalled eventfd standing in for a sync_file), as a GPU
    // upload does, so that the sync paths have a fence to hand over.
    bool fence_writes = false;
    // draw() works: the producer's own CPU pattern drawer (render::CpuPatternDrawer, through
    // Backend::draw) writes only the `changed` rectangles into the buffer (everything
    // when unset), so that wrong rectangles show as stale pixels. Each call's `changed` is
    // recorded in `draw_log` (null: not recorded, for a long run whose memory must stay flat). Off:
    // cannot_draw() says no, and patterns go as whole CPU frames.
    bool draws = false;
    std::shared_ptr<std::vector<std::optional<std::vector<sources::PixelRect>>>> draw_log =
        std::make_shared<std::vector<std::optional<std::vector<sources::PixelRect>>>>();
    explicit MemfdFactory(FormatSet supported) : allocator{std::make_shared<MemfdAllocator>(std::move(supported))} {}
    producer::BackendFactory factory() const;
};

}  // namespace dmafeed::test
