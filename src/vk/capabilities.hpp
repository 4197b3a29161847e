// Which (format, modifier) pairs a Vulkan device can allocate and export as dma-buf for a usage.
//
// For each format of the table (drm/format_info.hpp) and each modifier the driver lists for it
// (VkDrmFormatModifierPropertiesList2EXT, or the List variant without format_feature_flags2), the
// pair is exportable only where vkGetPhysicalDeviceImageFormatProperties2 with
// VkPhysicalDeviceImageDrmFormatModifierInfoEXT and VkPhysicalDeviceExternalImageFormatInfo{DMA_BUF}
// succeeds for the usage and VkExternalImageFormatProperties says EXPORTABLE.
//
// A YUV format whose multi-planar VkFormat the driver cannot export (lavapipe: no YUV modifiers at
// all) is still exportable "per plane" when every plane's own VkFormat is (NV12: R8 + R8G8, each a
// LINEAR image of its own); the allocator binds those images into one memory, so the buffer is
// still one dma-buf, unless the export needs dedicated allocations or disjoint planes are asked for.
// A YUV pair that per-plane images can make is made per plane even where the driver also exports
// the multi-planar VkFormat (Mesa 26.2's lavapipe, NVIDIA's LINEAR NV12): the pattern shader draws
// one image per plane, and Mesa 26.2's lavapipe gets plane 1 of multi-planar DRM-modifier images
// wrong. The multi-planar image serves the pairs only it can make (and disjoint planes there).
#pragma once

#include "drm/format_set.hpp"
#include "util/result.hpp"

#include <optional>
#include <string>
#include <vector>
#include <vulkan/vulkan.h>

namespace dmafeed::vk {

struct PairCapability {
    FormatModifier pair;
    uint32_t memory_planes = 1;         // drmFormatModifierPlaneCount (per image)
    bool per_plane_images = false;      // YUV built from one image per plane
    VkFormatFeatureFlags2 features = 0; // tiling features (of plane 0's format when per plane)
    VkExtent2D max_extent{};            // of the whole image
    bool disjoint = false;              // VK_IMAGE_CREATE_DISJOINT_BIT supported for this pair
    bool storage = false;               // also exportable with the extra usage (STORAGE: GPU patterns)
    // Exporting needs a dedicated allocation (VK_EXTERNAL_MEMORY_FEATURE_DEDICATED_ONLY_BIT; of any
    // plane's image when per plane): per-plane images then cannot share one memory.
    bool dedicated_only = false;
};

struct ExportCapabilities {
    // What the memory is exported as: DMA_BUF for compositors. OPAQUE_FD only in the gpu tier
    // (tests/gpu), on drivers that export no dma-buf (NVIDIA without nvidia-drm): the same images,
    // modifiers and plane layouts, shared only with Vulkan.
    VkExternalMemoryHandleTypeFlagBits handle_type = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT;
    VkImageUsageFlags usage = 0;
    VkImageUsageFlags extra_usage = 0;  // what PairCapability::storage was asked about
    FormatSet exportable;              // table order, modifiers in driver order
    std::vector<PairCapability> pairs;  // same order as `exportable`

    const PairCapability* find(const FormatModifier& pair) const;
};

// A modifier the driver lists for a VkFormat: memory planes and tiling features. From
// VkDrmFormatModifierPropertiesList2EXT on API 1.3+, else (or when that list comes back empty, as
// on lavapipe 25) from VkDrmFormatModifierPropertiesListEXT.
struct DriverModifier {
    DrmModifier modifier;
    uint32_t planes = 1;
    VkFormatFeatureFlags2 features = 0;
};
std::vector<DriverModifier> driver_modifiers(VkPhysicalDevice device, uint32_t api_version, VkFormat format);
// drmFormatModifierPlaneCount of (format, modifier); 0 when the driver does not list the pair.
uint32_t modifier_plane_count(VkPhysicalDevice device, uint32_t api_version, VkFormat format, DrmModifier modifier);

// What vkGetPhysicalDeviceImageFormatProperties2 says of one (VkFormat, modifier, usage, flags)
// with external memory `handle`: nullopt where unsupported, else the maximum extent and the
// external memory features (EXPORTABLE, IMPORTABLE, DEDICATED_ONLY).
struct ExternalImageSupport {
    VkExtent2D max_extent{};
    VkExternalMemoryFeatureFlags features = 0;
};
std::optional<ExternalImageSupport> external_image_support(VkPhysicalDevice device, VkFormat format, DrmModifier modifier,
                                                           VkImageUsageFlags usage, VkImageCreateFlags flags,
                                                           VkExternalMemoryHandleTypeFlagBits handle);

// `usage` is what the producer will do with every image (e.g. TRANSFER_DST); a pair is also
// marked `storage` where it is exportable with `usage | extra_usage` (extra_usage: STORAGE, or 0).
// `handle_type`: see ExportCapabilities::handle_type. A pair whose export needs a dedicated
// allocation is never `disjoint`: a dedicated allocation cannot back a disjoint image.
Result<ExportCapabilities> query_export_capabilities(
    VkPhysicalDevice device, uint32_t api_version, VkImageUsageFlags usage, VkImageUsageFlags extra_usage = 0,
    VkExternalMemoryHandleTypeFlagBits handle_type = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT);

std::string usage_string(VkImageUsageFlags usage);

}  // namespace dmafeed::vk
