// A VkImage for memory that was made elsewhere (a GBM bo, another process's dma-buf, an exported
// buffer read back): the given DRM format modifier and plane layouts, stated explicitly
// (VkImageDrmFormatModifierExplicitCreateInfoEXT), importable as `handle`. The caller imports and
// binds the memory and owns the image.
#pragma once

#include "drm/format.hpp"
#include "util/result.hpp"

#include <span>
#include <string>
#include <vulkan/vulkan.h>

namespace dmafeed::vk {

struct ImportImageSpec {
    VkFormat format = VK_FORMAT_UNDEFINED;
    VkExtent2D extent{};
    DrmModifier modifier;
    std::span<const VkSubresourceLayout> layouts;  // one per memory plane
    VkImageUsageFlags usage = 0;
    bool disjoint = false;  // VK_IMAGE_CREATE_DISJOINT_BIT: one memory binding per plane
    VkExternalMemoryHandleTypeFlagBits handle = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT;
};

// `what` names the image in the error ("vkCreateImage with the bo's explicit layout").
Result<VkImage> create_import_image(VkDevice device, const ImportImageSpec& spec, const std::string& what);

}  // namespace dmafeed::vk
