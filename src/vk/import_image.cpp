#include "vk/import_image.hpp"

#include "vk/vk_error.hpp"

namespace dmafeed::vk {

Result<VkImage> create_import_image(VkDevice device, const ImportImageSpec& spec, const std::string& what)
{
    const VkImageDrmFormatModifierExplicitCreateInfoEXT explicit_info{
        .sType = VK_STRUCTURE_TYPE_IMAGE_DRM_FORMAT_MODIFIER_EXPLICIT_CREATE_INFO_EXT,
        .drmFormatModifier = spec.modifier.value(),
        .drmFormatModifierPlaneCount = static_cast<uint32_t>(spec.layouts.size()),
        .pPlaneLayouts = spec.layouts.data()};
    const VkExternalMemoryImageCreateInfo external{.sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_IMAGE_CREATE_INFO,
                                                   .pNext = &explicit_info,
                                                   .handleTypes = static_cast<VkExternalMemoryHandleTypeFlags>(spec.handle)};
    const VkImageCreateInfo ci{.sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
                               .pNext = &external,
                               .flags = spec.disjoint ? VkImageCreateFlags{VK_IMAGE_CREATE_DISJOINT_BIT} : 0U,
                               .imageType = VK_IMAGE_TYPE_2D,
                               .format = spec.format,
                               .extent = {spec.extent.width, spec.extent.height, 1},
                               .mipLevels = 1,
                               .arrayLayers = 1,
                               .samples = VK_SAMPLE_COUNT_1_BIT,
                               .tiling = VK_IMAGE_TILING_DRM_FORMAT_MODIFIER_EXT,
                               .usage = spec.usage,
                               .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
                               .initialLayout = VK_IMAGE_LAYOUT_UNDEFINED};
    VkImage image = VK_NULL_HANDLE;
    if (const VkResult r = vkCreateImage(device, &ci, nullptr, &image); r != VK_SUCCESS) {
        return vk_error(what, r);
    }
    return image;
}

}  // namespace dmafeed::vk
