// Reads a Vulkan buffer back the way a compositor sees it: its exported memory imported into new
// images created with the buffer's modifier and plane layouts (VkImageDrmFormatModifierExplicitCreateInfoEXT),
// acquired from VK_QUEUE_FAMILY_FOREIGN_EXT, and copied to host memory plane by plane.
#pragma once

#include "alloc/vulkan_allocator.hpp"
#include "gpu_context.hpp"
#include "util/result.hpp"

#include <cstdint>
#include <vector>

namespace dmafeed::test {

// One format plane, rows packed tightly (row_bytes = plane width * bytes per pixel).
struct ReadPlane {
    std::vector<uint8_t> bytes;
    uint32_t row_bytes = 0;
    uint32_t rows = 0;
};

// `disjoint`: the buffer was allocated with disjoint planes (one memory per plane of its image).
Result<std::vector<ReadPlane>> read_back_through_import(const GpuContext& gpu, const VulkanBuffer& buffer, bool disjoint);

// A dma-buf another process (a compositor's client) made: one plane of a single-plane format.
struct ForeignPlane {
    int fd = -1;  // borrowed: the read-back imports a duplicate
    uint32_t offset = 0;
    uint32_t stride = 0;
};
// Imports it as a compositor would (explicit modifier and layout) and copies it to host memory.
Result<ReadPlane> read_back_dma_buf(const GpuContext& gpu, DrmFormat format, uint32_t width, uint32_t height,
                                    DrmModifier modifier, const ForeignPlane& plane);

// Whether `modifier` of `format` can be imported as `handle` for TRANSFER_SRC (the read-back
// image's usage), per vkGetPhysicalDeviceImageFormatProperties2.
bool importable_for_read_back(const vk::Device& device, VkFormat format, uint64_t modifier,
                              VkExternalMemoryHandleTypeFlagBits handle, bool disjoint);

}  // namespace dmafeed::test
