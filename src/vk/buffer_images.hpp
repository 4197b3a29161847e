// The Vulkan objects of one frame buffer: its images, the storage view of each image that has one,
// and the device memory bound to them, owned together. The Vulkan allocator's exported buffers
// and the GBM allocator's imported ones (vk/dmabuf_import.hpp) are built into one the same way:
// each object is added the moment it exists, so a build that fails half-way leaves nothing behind
// once its BufferImages goes.
//
// Destruction (destructor, clear(), assignment over it): the storage views, then the images, then
// the memories, each once. The device that made them must outlive the BufferImages.
#pragma once

#include "util/result.hpp"
#include "vk/unique_handle.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>
#include <vulkan/vulkan.h>

namespace dmafeed::vk {

// One VkImage of a buffer and the buffer planes it backs. The handles belong to the BufferImages
// that lists the part.
struct ImagePart {
    VkImage image = VK_NULL_HANDLE;
    VkFormat format = VK_FORMAT_UNDEFINED;
    VkExtent2D extent{};
    uint32_t first_plane = 0;  // index into the buffer's planes of this image's memory plane 0
    uint32_t plane_count = 1;  // memory planes of this image
    VkImageView storage_view = VK_NULL_HANDLE;  // made with STORAGE usage: a view of the whole image
};

class BufferImages {
public:
    BufferImages() = default;
    BufferImages(BufferImages&&) noexcept = default;
    BufferImages& operator=(BufferImages&& o) noexcept;  // clear() first
    BufferImages(const BufferImages&) = delete;
    BufferImages& operator=(const BufferImages&) = delete;
    ~BufferImages() = default;  // the member order below gives the destruction order

    // Takes `image` as the next part (no storage view yet); returns its index.
    size_t add_image(UniqueImage image, VkFormat format, VkExtent2D extent, uint32_t first_plane, uint32_t plane_count);
    // Takes `memory` (bound, or about to be bound, to some of the images); returns its handle.
    VkDeviceMemory add_memory(UniqueDeviceMemory memory);
    // Takes `view` as part `index`'s storage view.
    void set_storage_view(size_t index, UniqueImageView view);
    void set_first_plane(size_t index, uint32_t first_plane);

    const std::vector<ImagePart>& parts() const noexcept { return parts_; }
    const std::vector<UniqueDeviceMemory>& memories() const noexcept { return memories_; }
    bool empty() const noexcept { return parts_.empty() && memories_.empty(); }

    // Destroys everything in the order above.
    void clear() noexcept;

private:
    // Declared so that they die in reverse: views, images, memories.
    std::vector<UniqueDeviceMemory> memories_;
    std::vector<UniqueImage> images_;     // images_[i] owns parts_[i].image
    std::vector<UniqueImageView> views_;  // views_[i] owns parts_[i].storage_view (may be empty)
    std::vector<ImagePart> parts_;
};

// A 2D view of the whole (single-plane) `image`, for storage writes.
Result<UniqueImageView> create_storage_view(VkDevice device, VkImage image, VkFormat format);

}  // namespace dmafeed::vk
