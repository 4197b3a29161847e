// The gpu tier's device: the first Vulkan GPU (not a CPU driver such as lavapipe) that has what
// dmafeed's Vulkan allocator needs, opened once for the whole program under the validation layer.
//
// Memory is exported as dma-buf where the driver can (VK_EXT_external_memory_dma_buf). A driver
// that lists DRM format modifiers but exports no dma-buf (NVIDIA without the nvidia-drm kernel
// module: no /dev/dri) is still tested with OPAQUE_FD: the same images, modifiers, plane layouts,
// shader and import, shared through an opaque Vulkan fd; the checks that need a dma-buf then say
// SKIP with the reason.
//
// Environment:
//   DMAFEED_GPU_ALLOW_CPU=1     a CPU driver qualifies too (lavapipe in the vm guest: to develop the tier)
//   DMAFEED_GPU_HANDLE=opaque   export OPAQUE_FD even where dma-bufs can be exported
//   DMAFEED_GPU_VALIDATION=0    no validation layer (it is on wherever it is installed)
//   DMAFEED_GPU_REPORT=FILE     write the format x modifier table (Markdown) there too
#pragma once

#include "util/result.hpp"
#include "vk/device.hpp"
#include "vk/instance.hpp"

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace dmafeed::test {

struct GpuContext {
    std::unique_ptr<vk::Instance> instance;
    std::unique_ptr<vk::Device> device;  // after the instance: destroyed first
    VkExternalMemoryHandleTypeFlagBits handle_type = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT;
    std::string why_no_dma_buf;  // empty when handle_type is DMA_BUF
    std::string summary;         // device, driver, API, handle type, validation: one line each

    bool dma_buf() const noexcept { return handle_type == VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT; }

    // Validation errors so far (suppressed ones excluded), with their text.
    std::vector<std::string> validation_errors() const;
    size_t validation_error_count() const;

    // The context, or why there is none (then the program exits 77).
    static Result<std::unique_ptr<GpuContext>> open();

private:
    mutable std::mutex mutex_;
    std::vector<std::string> errors_;
};

// One row of the tier's table: a (format, modifier) pair the driver lists.
struct PairRow {
    std::string format;
    std::string modifier;
    std::string path;           // "image" (the format's VkFormat) or "per plane"
    uint32_t memory_planes = 0;
    bool exportable = false;    // with TRANSFER_DST, as the handle type
    bool importable = false;    // with TRANSFER_SRC, as the handle type, for the read-back image
    bool storage = false;       // exportable with STORAGE too (the GPU patterns)
    bool disjoint = false;
    bool dedicated_only = false;
    std::string layout;         // "o=0 p=7680; o=... p=..." of the allocated buffer
    std::string pixels;         // "exact (gpu shader)", "exact (upload)", "differs: ...", "-"
    std::string disjoint_pixels;
};

// The rows, filled by the tests and printed (and written to DMAFEED_GPU_REPORT) at the end.
class PairTable {
public:
    PairRow& row(const std::string& format, const std::string& modifier, const std::string& path);
    std::string markdown(const std::string& heading) const;

private:
    std::vector<PairRow> rows_;
};

}  // namespace dmafeed::test
