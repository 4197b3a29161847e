// The Vulkan allocator: VkImages with VK_IMAGE_TILING_DRM_FORMAT_MODIFIER_EXT whose memory is
// exported as dma-buf (VkExportMemoryAllocateInfo{DMA_BUF}).
//
// Two ways to build a buffer, chosen per (format, modifier) from the capability query:
//  - one image of the format's VkFormat (multi-planar for YUV), the driver picking a modifier from
//    the request's list, in a dedicated allocation; disjoint (one memory per plane) on request
//    where supported;
//  - for YUV formats, wherever the driver exports every plane's own VkFormat with the modifier
//    (see vk/capabilities.hpp for why this path comes first), one image per plane (NV12: R8 +
//    R8G8), all with the same modifier, bound one after another into one exported memory: one
//    dma-buf with a plane offset each, as a multi-planar image gives. One memory and dma-buf per
//    plane on a disjoint request, or where the driver wants dedicated allocations.
// With AllocationRequest::stride_align, LINEAR is forced with an explicit layout
// (VkImageDrmFormatModifierExplicitCreateInfoEXT) whose strides and offsets are aligned.
// Where every candidate modifier is also exportable with the allocator's extra usage (STORAGE) and
// each image has one plane, the images get that usage and a view each, for the GPU patterns
// (src/render/gpu_pattern.hpp).
#pragma once

#include "alloc/allocator.hpp"
#include "vk/buffer_images.hpp"
#include "vk/capabilities.hpp"
#include "vk/device.hpp"
#include "vk/upload.hpp"

#include <vector>
#include <vulkan/vulkan.h>

namespace dmafeed {

// One VkImage of a Vulkan (or imported GBM) buffer and the buffer planes it backs; its handles
// belong to the buffer (vk::BufferImages).
using VulkanImagePart = vk::ImagePart;

// The vk::Uploader regions that fill every format plane of `buffer` (one entry of `planes` per
// plane) through `parts`: one image per plane, or one image whose PLANE_i aspects are the planes.
Result<std::vector<vk::ImageRegion>> image_regions(const Buffer& buffer, std::span<const VulkanImagePart> parts,
                                                   std::span<const PlanePixels> planes);

class VulkanBuffer final : public Buffer {
public:
    FillPath fill_path() const noexcept override { return FillPath::vulkan; }
    std::string_view allocator_name() const noexcept override { return "vulkan"; }

    // One part for a whole-image buffer; one per plane when built from per-plane images.
    const std::vector<VulkanImagePart>& parts() const noexcept { return images_.parts(); }
    bool per_plane_images() const noexcept { return parts().size() > 1; }
    // The device memory objects (host-visible on lavapipe), for tests and CPU upload.
    const std::vector<vk::UniqueDeviceMemory>& memories() const noexcept { return images_.memories(); }
    // How each of memories() was allocated: what an importer of an OPAQUE_FD must repeat
    // (allocationSize, memoryTypeIndex, dedicated or not).
    struct MemoryRecord {
        VkDeviceSize size = 0;
        uint32_t type_index = 0;
        bool dedicated = false;
    };
    const std::vector<MemoryRecord>& memory_records() const noexcept { return memory_records_; }
    // What vk::Uploader needs to fill every format plane from `planes` (one entry per plane).
    Result<std::vector<vk::ImageRegion>> upload_regions(std::span<const PlanePixels> planes) const override;

private:
    friend class VulkanAllocator;
    friend class VulkanBufferBuilder;
    VulkanBuffer(DrmFormat format, DrmModifier modifier, uint32_t width, uint32_t height)
        : Buffer{format, modifier, width, height}
    {
    }
    vk::BufferImages images_;                   // of the allocator's device, which outlives the buffer
    std::vector<MemoryRecord> memory_records_;  // one per images_.memories() entry
};

class VulkanAllocator final : public Allocator {
public:
    // `device` must outlive the allocator and its buffers. `usage` is what buffers are made for;
    // `extra_usage` is added to the images of the pairs that allow it (vk::PairCapability::storage).
    // `handle_type`: DMA_BUF; OPAQUE_FD only for the gpu tier (vk::ExportCapabilities::handle_type),
    // whose buffers' plane fds are then opaque Vulkan memory fds, not dma-bufs.
    static Result<std::unique_ptr<VulkanAllocator>> create(
        const vk::Device& device, VkImageUsageFlags usage, VkImageUsageFlags extra_usage = 0,
        VkExternalMemoryHandleTypeFlagBits handle_type = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT);

    std::string_view name() const noexcept override { return "vulkan"; }
    const FormatSet& supported() const noexcept override { return caps_.exportable; }
    const vk::ExportCapabilities& capabilities() const noexcept { return caps_; }
    Result<std::unique_ptr<Buffer>> allocate(const AllocationRequest& request) override;

private:
    VulkanAllocator(const vk::Device& device, vk::ExportCapabilities caps) : device_{device}, caps_{std::move(caps)} {}
    const vk::Device& device_;
    vk::ExportCapabilities caps_;
};

}  // namespace dmafeed
