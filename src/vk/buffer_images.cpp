#include "vk/buffer_images.hpp"

#include "vk/vk_error.hpp"

#include <utility>

namespace dmafeed::vk {

BufferImages& BufferImages::operator=(BufferImages&& o) noexcept
{
    if (this != &o) {
        clear();
        memories_ = std::move(o.memories_);
        images_ = std::move(o.images_);
        views_ = std::move(o.views_);
        parts_ = std::move(o.parts_);
        o.clear();  // owns nothing now; its vectors are left empty rather than unspecified
    }
    return *this;
}

size_t BufferImages::add_image(UniqueImage image, VkFormat format, VkExtent2D extent, uint32_t first_plane,
                               uint32_t plane_count)
{
    parts_.push_back({.image = image.get(),
                      .format = format,
                      .extent = extent,
                      .first_plane = first_plane,
                      .plane_count = plane_count,
                      .storage_view = VK_NULL_HANDLE});
    images_.push_back(std::move(image));
    views_.emplace_back();
    return parts_.size() - 1;
}

VkDeviceMemory BufferImages::add_memory(UniqueDeviceMemory memory)
{
    memories_.push_back(std::move(memory));
    return memories_.back().get();
}

void BufferImages::set_storage_view(size_t index, UniqueImageView view)
{
    parts_[index].storage_view = view.get();
    views_[index] = std::move(view);
}

void BufferImages::set_first_plane(size_t index, uint32_t first_plane) { parts_[index].first_plane = first_plane; }

void BufferImages::clear() noexcept
{
    views_.clear();
    images_.clear();
    memories_.clear();
    parts_.clear();
}

Result<UniqueImageView> create_storage_view(VkDevice device, VkImage image, VkFormat format)
{
    const VkImageViewCreateInfo vci{.sType = VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO,
                                    .image = image,
                                    .viewType = VK_IMAGE_VIEW_TYPE_2D,
                                    .format = format,
                                    .subresourceRange = {.aspectMask = VK_IMAGE_ASPECT_COLOR_BIT, .levelCount = 1, .layerCount = 1}};
    VkImageView view = VK_NULL_HANDLE;
    if (const VkResult r = vkCreateImageView(device, &vci, nullptr, &view); r != VK_SUCCESS) {
        return vk_error("vkCreateImageView (storage)", r);
    }
    return UniqueImageView{device, view};
}

}  // namespace dmafeed::vk
