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

// Whether `modifier` of `format` can be imported as `handle` for TRANSFER_SRC (the read-back
// image's usage), per vkGetPhysicalDeviceImageFormatProperties2.
bool importable_for_read_back(const vk::Device& device, VkFormat format, uint64_t modifier,
                              VkExternalMemoryHandleTypeFlagBits handle, bool disjoint);

}  // namespace dmafeed::test
