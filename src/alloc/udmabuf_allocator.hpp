// udmabuf buffers: LINEAR buffers in a memfd, made a dma-buf by /dev/udmabuf (UDMABUF_CREATE),
// filled only on the CPU through their dma-buf mappings.
//
// Why: they need no DRM device and load nothing of Mesa, so they are the quick start's first
// buffers where the compositor names no DRM device (a software compositor: weston on llvmpipe in
// the `nodrm` VM), while the Vulkan device (seconds on lavapipe under emulation) is set up in the
// background (AllocatorOptions::quick_start). lavapipe's own exported memory is a udmabuf too, so a
// compositor that imports lavapipe's buffers imports these.
//
// Layout: one memfd for all planes of a format, the planes back to back, each plane's stride its
// row bytes aligned to 64 (or to the request's stride_align), the first plane at the request's
// plane_offset and each next one at the next multiple of that alignment; with `disjoint`, a memfd
// and a dma-buf per plane, each plane at plane_offset in its own. Sizes are rounded up to whole
// pages (udmabuf maps pages). Every format the packer fills is offered, LINEAR only.
// The memfd is sealed against shrinking (udmabuf's condition) and closed once the dma-buf exists.
#pragma once

#include "alloc/allocator.hpp"
#include "util/unique_fd.hpp"

#include <memory>
#include <string>

namespace dmafeed {

class UdmabufAllocator final : public Allocator {
public:
    // On `path` ("/dev/udmabuf" when empty). Fails (saying why) where it cannot be opened or will
    // not make a one-page buffer.
    static Result<std::unique_ptr<UdmabufAllocator>> create(const std::string& path = {});

    std::string_view name() const noexcept override { return "udmabuf"; }
    const FormatSet& supported() const noexcept override { return supported_; }
    Result<std::unique_ptr<Buffer>> allocate(const AllocationRequest& request) override;

    const std::string& path() const noexcept { return path_; }

private:
    UdmabufAllocator() = default;
    UniqueFd fd_;
    std::string path_;
    uint64_t page_ = 4096;  // the system's page size: udmabuf maps whole pages
    FormatSet supported_;
};

}  // namespace dmafeed
