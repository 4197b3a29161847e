#include "vk/upload.hpp"

#include "vk/vk_error.hpp"

#include <cstring>
#include <vector>

namespace dmafeed::vk {

Result<std::unique_ptr<Uploader>> Uploader::create(const Device& device)
{
    std::unique_ptr<Uploader> up{new Uploader{device}};
    auto submitter = Submitter::create(device, "upload");
    if (!submitter) return std::move(submitter).error();
    up->submitter_ = std::move(*submitter);
    return up;
}

Uploader::~Uploader()
{
    submitter_.reset();  // waits for the last copy before its staging buffer goes
}

void Uploader::destroy_staging()
{
    staging_.reset();
    staging_memory_.reset();  // unmaps
    staging_map_ = nullptr;
    staging_size_ = 0;
}

Result<void> Uploader::ensure_staging(uint64_t size)
{
    if (size <= staging_size_) return {};
    destroy_staging();
    const VkDevice dev = device_.handle();
    VkBufferCreateInfo bci{.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                           .size = size,
                           .usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT,
                           .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    VkBuffer buffer = VK_NULL_HANDLE;
    if (const VkResult r = vkCreateBuffer(dev, &bci, nullptr, &buffer); r != VK_SUCCESS) {
        return vk_error("vkCreateBuffer (staging)", r);
    }
    staging_ = UniqueBuffer{dev, buffer};
    VkMemoryRequirements req{};
    vkGetBufferMemoryRequirements(dev, buffer, &req);
    const auto type = device_.memory_type(req.memoryTypeBits,
                                          VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
    if (!type) return Error{"no host-visible coherent memory for the staging buffer"};
    VkMemoryAllocateInfo ai{.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO, .allocationSize = req.size, .memoryTypeIndex = *type};
    VkDeviceMemory memory = VK_NULL_HANDLE;
    if (const VkResult r = vkAllocateMemory(dev, &ai, nullptr, &memory); r != VK_SUCCESS) {
        return vk_error("vkAllocateMemory (staging, " + std::to_string(req.size) + " bytes)", r);
    }
    staging_memory_ = UniqueDeviceMemory{dev, memory};
    if (const VkResult r = vkBindBufferMemory(dev, buffer, memory, 0); r != VK_SUCCESS) {
        return vk_error("vkBindBufferMemory (staging)", r);
    }
    if (const VkResult r = vkMapMemory(dev, memory, 0, VK_WHOLE_SIZE, 0, &staging_map_); r != VK_SUCCESS) {
        return vk_error("vkMapMemory (staging)", r);
    }
    staging_size_ = size;
    return {};
}

Result<void> Uploader::upload(std::span<const ImageRegion> regions)
{
    if (auto r = submit(regions, false); !r) return std::move(r).error();
    return {};
}

Result<UniqueFd> Uploader::upload_fenced(std::span<const ImageRegion> regions) { return submit(regions, true); }

Result<UniqueFd> Uploader::submit(std::span<const ImageRegion> regions, bool fenced)
{
    // begin() first: it waits for the previous copy, which reads the staging buffer.
    auto begun = submitter_->begin();
    if (!begun) return std::move(begun).error();
    VkCommandBuffer cmd = *begun;
    uint64_t total = 0;
    std::vector<uint64_t> offsets;
    for (const ImageRegion& r : regions) {
        const uint64_t row = uint64_t{r.extent.width} * r.bytes_per_pixel;
        if (r.row_bytes < row || r.data.size() < uint64_t{r.row_bytes} * (r.extent.height - 1) + row) {
            return Error{"upload: source data is smaller than the plane (" + std::to_string(r.data.size()) + " bytes)"};
        }
        total = (total + 15) & ~uint64_t{15};  // texel-block aligned offsets for every format we copy
        offsets.push_back(total);
        total += row * r.extent.height;
    }
    if (auto ok = ensure_staging(total); !ok) return std::move(ok).error();

    auto* dst = static_cast<uint8_t*>(staging_map_);
    for (size_t i = 0; i < regions.size(); ++i) {
        const ImageRegion& r = regions[i];
        const size_t row = size_t{r.extent.width} * r.bytes_per_pixel;
        for (uint32_t y = 0; y < r.extent.height; ++y) {
            std::memcpy(dst + offsets[i] + y * row, r.data.data() + size_t{y} * r.row_bytes, row);
        }
    }

    for (size_t i = 0; i < regions.size(); ++i) {
        const ImageRegion& r = regions[i];
        const VkImageSubresourceRange range{.aspectMask = static_cast<VkImageAspectFlags>(r.aspect),
                                            .levelCount = 1,
                                            .layerCount = 1};
        // Contents are replaced entirely: no acquire from the foreign queue family is needed.
        VkImageMemoryBarrier to_dst{.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER,
                                    .srcAccessMask = 0,
                                    .dstAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
                                    .oldLayout = VK_IMAGE_LAYOUT_UNDEFINED,
                                    .newLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                                    .srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                                    .dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                                    .image = r.image,
                                    .subresourceRange = range};
        vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0, nullptr, 0,
                             nullptr, 1, &to_dst);
        VkBufferImageCopy copy{.bufferOffset = offsets[i],
                               .imageSubresource = {.aspectMask = static_cast<VkImageAspectFlags>(r.aspect), .layerCount = 1},
                               .imageExtent = {r.extent.width, r.extent.height, 1}};
        vkCmdCopyBufferToImage(cmd, staging_.get(), r.image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &copy);
        // Release to the compositor: foreign queue family, GENERAL layout.
        VkImageMemoryBarrier release{.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER,
                                     .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
                                     .dstAccessMask = 0,
                                     .oldLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                                     .newLayout = VK_IMAGE_LAYOUT_GENERAL,
                                     .srcQueueFamilyIndex = device_.queue_family(),
                                     .dstQueueFamilyIndex = VK_QUEUE_FAMILY_FOREIGN_EXT,
                                     .image = r.image,
                                     .subresourceRange = range};
        vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, 0, 0, nullptr, 0,
                             nullptr, 1, &release);
    }
    return submitter_->submit(fenced);
}

}  // namespace dmafeed::vk
