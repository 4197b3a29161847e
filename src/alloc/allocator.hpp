// The allocator interface: Vulkan (allocate + export) and GBM (allocate + import into Vulkan).
#pragma once

#include "alloc/buffer.hpp"
#include "drm/format_set.hpp"
#include "util/result.hpp"

#include <memory>
#include <string_view>
#include <vector>

namespace dmafeed {

struct AllocationRequest {
    DrmFormat format;
    uint32_t width = 0;
    uint32_t height = 0;
    // Acceptable modifiers, most preferred first (the negotiated list). The allocator picks one
    // it can produce; DRM_FORMAT_MOD_INVALID (implicit) only where the allocator can make it.
    std::vector<DrmModifier> modifiers;
    // Align every stride (and plane offset) to this many bytes for a foreign consumer (e.g. 256).
    // 0: the driver's layout. Non-zero forces LINEAR with an explicit layout.
    uint32_t stride_align = 0;
    // Bytes before the first plane in its dma-buf (and before each plane that has a dma-buf of its
    // own): a layout with non-zero plane offsets, for testing importers. Vulkan binds the image
    // that far into a larger allocation; non-zero forces LINEAR, like stride_align. GBM cannot
    // place planes and refuses it.
    uint32_t plane_offset = 0;
    // One memory (and one dma-buf) per plane for multi-planar images, where supported.
    bool disjoint = false;
    // The compositor may put the buffer on a display plane (its modifier came from a scanout
    // tranche of the feedback): GBM allocates with GBM_BO_USE_SCANOUT where the device can, and
    // without it where it cannot. Vulkan has no public usage for scanout and ignores it.
    bool scanout = false;
};

class Allocator {
public:
    Allocator() = default;
    Allocator(const Allocator&) = delete;
    Allocator& operator=(const Allocator&) = delete;
    virtual ~Allocator() = default;

    virtual std::string_view name() const noexcept = 0;
    // The pairs this allocator can produce for its usage, in its preference order.
    virtual const FormatSet& supported() const noexcept = 0;
    virtual Result<std::unique_ptr<Buffer>> allocate(const AllocationRequest& request) = 0;
};

}  // namespace dmafeed
