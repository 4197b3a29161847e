// Dumb buffers: LINEAR buffers from a DRM primary node's DRM_IOCTL_MODE_CREATE_DUMB, exported
// with PRIME (read-write), filled only on the CPU through their dma-buf mappings.
//
// Why: nothing of Mesa is loaded to make them (GBM loads its driver, and with it LLVM: 0.5-0.9 s
// in the emulated `virtio` VM), so they are the quick start's first buffers where the compositor's
// device is a DRM device whose primary node lets this process make them (AllocatorOptions::
// quick_start). Display-only drivers (virtio-gpu without 3D, through Mesa's kms_swrast) make
// GBM's buffers the same way.
//
// Layout: one dumb buffer (of 32-bit "pixels", the depth every driver takes) for all planes of a
// format, the planes back to back,
// each with the buffer's pitch as its stride (the widest plane's row bytes, aligned to 64 or to
// the request's stride_align, rounded up by the driver). Offsets other than that (plane_offset)
// and a dma-buf per plane (disjoint) are refused. Every format the packer fills is offered, with
// the LINEAR modifier only. The GEM handle is closed once exported: the dma-buf keeps the memory.
#pragma once

#include "alloc/allocator.hpp"
#include "util/unique_fd.hpp"

#include <memory>
#include <optional>
#include <string>
#include <sys/types.h>

namespace dmafeed {

class DumbAllocator final : public Allocator {
public:
    // On `node` when not empty, else the primary node of `device`. Fails (saying why) where the node
    // cannot be opened or will not make and export a small dumb buffer.
    static Result<std::unique_ptr<DumbAllocator>> create(const std::string& node, std::optional<dev_t> device);

    std::string_view name() const noexcept override { return "dumb"; }
    const FormatSet& supported() const noexcept override { return supported_; }
    Result<std::unique_ptr<Buffer>> allocate(const AllocationRequest& request) override;

    const std::string& node() const noexcept { return node_; }
    const std::string& kernel_driver() const noexcept { return driver_; }

private:
    DumbAllocator() = default;
    UniqueFd fd_;
    std::string node_;
    std::string driver_;
    FormatSet supported_;
};

}  // namespace dmafeed
