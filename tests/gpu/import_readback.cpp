#include "import_readback.hpp"

#include "drm/format_info.hpp"
#include "vk/capabilities.hpp"
#include "vk/import_image.hpp"
#include "vk/submitter.hpp"
#include "vk/vk_error.hpp"

#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace dmafeed::test {
namespace {

VkImageAspectFlagBits memory_plane_aspect(uint32_t p)
{
    constexpr VkImageAspectFlagBits aspects[] = {VK_IMAGE_ASPECT_MEMORY_PLANE_0_BIT_EXT, VK_IMAGE_ASPECT_MEMORY_PLANE_1_BIT_EXT,
                                                 VK_IMAGE_ASPECT_MEMORY_PLANE_2_BIT_EXT, VK_IMAGE_ASPECT_MEMORY_PLANE_3_BIT_EXT};
    return aspects[p < 4 ? p : 3];
}

// An image for memory someone else made, for TRANSFER_SRC (the read-back).
Result<VkImage> create_import_image(VkDevice device, VkFormat format, VkExtent2D extent, DrmModifier modifier,
                                    const std::vector<VkSubresourceLayout>& layouts, bool disjoint,
                                    VkExternalMemoryHandleTypeFlagBits handle)
{
    return vk::create_import_image(device,
                                   {.format = format,
                                    .extent = extent,
                                    .modifier = modifier,
                                    .layouts = layouts,
                                    .usage = VK_IMAGE_USAGE_TRANSFER_SRC_BIT,
                                    .disjoint = disjoint,
                                    .handle = handle},
                                   "vkCreateImage (import, explicit modifier " + name(modifier) + ")");
}

// Everything the read-back creates, destroyed in reverse.
class Imported {
public:
    explicit Imported(VkDevice device) : device_{device} {}
    Imported(const Imported&) = delete;
    Imported& operator=(const Imported&) = delete;
    ~Imported()
    {
        if (host_buffer_) vkDestroyBuffer(device_, host_buffer_, nullptr);
        if (host_memory_) vkFreeMemory(device_, host_memory_, nullptr);
        for (VkImage i : images_) vkDestroyImage(device_, i, nullptr);
        for (VkDeviceMemory m : memories_) vkFreeMemory(device_, m, nullptr);
    }
    std::vector<VkImage> images_;
    std::vector<VkDeviceMemory> memories_;
    VkBuffer host_buffer_ = VK_NULL_HANDLE;
    VkDeviceMemory host_memory_ = VK_NULL_HANDLE;

private:
    VkDevice device_;
};

// Which of the buffer's memories backs memory plane `p` of part `part`.
size_t memory_index(const VulkanBuffer& buffer, size_t part, uint32_t p)
{
    const size_t memories = buffer.memories().size();
    if (memories == 1) return 0;
    if (buffer.parts().size() == memories) return part;
    return p;  // one image with disjoint planes: one memory per plane
}

struct Import {
    const GpuContext& gpu;
    const VulkanBuffer& buffer;
    Imported& out;

    // Imports the memory behind buffer plane `plane` (buffer memory `mem`) for `image`; dedicated
    // to it where the export was (OPAQUE_FD must repeat the exporter's allocation) or where the
    // image needs it.
    Result<VkDeviceMemory> import_memory(uint32_t plane, size_t mem, VkImage image, const VkMemoryRequirements& req,
                                         bool image_wants_dedicated, bool may_be_dedicated)
    {
        const vk::Device& dev = *gpu.device;
        auto fd = buffer.planes()[plane].fd.dup();
        if (!fd) return std::move(fd).error();
        VkDeviceSize size = 0;
        uint32_t type = 0;
        bool dedicated = false;
        if (gpu.dma_buf()) {
            const off_t end = lseek(fd->get(), 0, SEEK_END);
            if (end <= 0) return Error{"lseek of the dma-buf failed"};
            size = static_cast<VkDeviceSize>(end);
            VkMemoryFdPropertiesKHR props{.sType = VK_STRUCTURE_TYPE_MEMORY_FD_PROPERTIES_KHR};
            if (const VkResult r = dev.fn().get_memory_fd_properties(dev.handle(), gpu.handle_type, fd->get(), &props); r != VK_SUCCESS) {
                return vk::vk_error("vkGetMemoryFdPropertiesKHR", r);
            }
            auto t = dev.memory_type(props.memoryTypeBits & req.memoryTypeBits, 0);
            if (!t) return Error{"no memory type both imports the dma-buf and fits the image"};
            type = *t;
            dedicated = image_wants_dedicated && may_be_dedicated;
        } else {
            const auto& rec = buffer.memory_records()[mem];
            size = rec.size;
            type = rec.type_index;
            dedicated = rec.dedicated;
        }
        VkMemoryDedicatedAllocateInfo ded{.sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO, .image = image};
        VkImportMemoryFdInfoKHR import{.sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_FD_INFO_KHR,
                                       .pNext = dedicated ? &ded : nullptr,
                                       .handleType = gpu.handle_type,
                                       .fd = fd->get()};
        VkMemoryAllocateInfo ai{.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO, .pNext = &import, .allocationSize = size, .memoryTypeIndex = type};
        VkDeviceMemory memory = VK_NULL_HANDLE;
        if (const VkResult r = vkAllocateMemory(dev.handle(), &ai, nullptr, &memory); r != VK_SUCCESS) {
            return vk::vk_error("vkAllocateMemory (import of " + std::to_string(size) + " bytes)", r);
        }
        (void)fd->release();  // the import owns it now
        out.memories_.push_back(memory);
        return memory;
    }

    // A new image for part `index` of the buffer, its memory imported and bound.
    Result<VkImage> import_part(size_t index, bool disjoint)
    {
        const vk::Device& dev = *gpu.device;
        const VulkanImagePart& part = buffer.parts()[index];
        const auto& planes = buffer.planes();
        // One memory plane: bind at its offset with a layout at 0 (a driver may ignore a non-zero
        // explicit offset); several: bind at 0 with the planes' offsets as the driver gave them.
        const bool bind_at_plane_offset = part.plane_count == 1 && !disjoint &&
                                          !(!gpu.dma_buf() && buffer.memory_records()[memory_index(buffer, index, 0)].dedicated);
        std::vector<VkSubresourceLayout> layouts;
        for (uint32_t p = 0; p < part.plane_count; ++p) {
            const BufferPlane& plane = planes[part.first_plane + p];
            layouts.push_back({.offset = bind_at_plane_offset ? 0 : plane.offset, .size = 0, .rowPitch = plane.stride,
                               .arrayPitch = 0, .depthPitch = 0});
        }
        auto created = create_import_image(dev.handle(), part.format, part.extent, buffer.modifier(), layouts, disjoint,
                                           gpu.handle_type);
        if (!created) return std::move(created).error();
        const VkImage image = *created;
        out.images_.push_back(image);

        const uint32_t binds = disjoint ? part.plane_count : 1;
        std::vector<VkBindImagePlaneMemoryInfo> plane_binds(binds);
        std::vector<VkBindImageMemoryInfo> bind_infos(binds);
        for (uint32_t b = 0; b < binds; ++b) {
            VkImagePlaneMemoryRequirementsInfo plane_req{.sType = VK_STRUCTURE_TYPE_IMAGE_PLANE_MEMORY_REQUIREMENTS_INFO,
                                                         .planeAspect = memory_plane_aspect(b)};
            VkImageMemoryRequirementsInfo2 req_info{.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_REQUIREMENTS_INFO_2,
                                                    .pNext = disjoint ? &plane_req : nullptr,
                                                    .image = image};
            VkMemoryDedicatedRequirements ded_req{.sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_REQUIREMENTS};
            VkMemoryRequirements2 req{.sType = VK_STRUCTURE_TYPE_MEMORY_REQUIREMENTS_2, .pNext = disjoint ? nullptr : &ded_req};
            vkGetImageMemoryRequirements2(dev.handle(), &req_info, &req);
            const uint32_t plane = part.first_plane + b;
            const VkDeviceSize offset = bind_at_plane_offset ? planes[plane].offset : 0;
            const bool only_user = buffer.memories().size() == buffer.parts().size() || buffer.parts().size() == 1;
            auto memory = import_memory(plane, memory_index(buffer, index, b), image, req.memoryRequirements,
                                        ded_req.requiresDedicatedAllocation || ded_req.prefersDedicatedAllocation,
                                        !disjoint && offset == 0 && only_user);
            if (!memory) return std::move(memory).error();
            plane_binds[b] = {.sType = VK_STRUCTURE_TYPE_BIND_IMAGE_PLANE_MEMORY_INFO, .planeAspect = memory_plane_aspect(b)};
            bind_infos[b] = {.sType = VK_STRUCTURE_TYPE_BIND_IMAGE_MEMORY_INFO,
                             .pNext = disjoint ? &plane_binds[b] : nullptr,
                             .image = image,
                             .memory = *memory,
                             .memoryOffset = offset};
        }
        if (const VkResult r = vkBindImageMemory2(dev.handle(), binds, bind_infos.data()); r != VK_SUCCESS) {
            return vk::vk_error("vkBindImageMemory2 (import)", r);
        }
        // A driver may take an explicit layout and place the planes its own way: then the import
        // reads other bytes than the compositor was told, and that is the driver's defect to name.
        for (uint32_t p = 0; p < part.plane_count; ++p) {
            const VkImageSubresource sub{.aspectMask = static_cast<VkImageAspectFlags>(memory_plane_aspect(p))};
            VkSubresourceLayout got{};
            vkGetImageSubresourceLayout(dev.handle(), image, &sub, &got);
            if (got.offset != layouts[p].offset || got.rowPitch != layouts[p].rowPitch) {
                return Error{"the driver placed imported memory plane " + std::to_string(p) + " at offset " +
                             std::to_string(got.offset) + " with pitch " + std::to_string(got.rowPitch) +
                             ", not the explicit offset " + std::to_string(layouts[p].offset) + " and pitch " +
                             std::to_string(layouts[p].rowPitch) + " it was given"};
            }
        }
        return image;
    }
};

}  // namespace

bool importable_for_read_back(const vk::Device& device, VkFormat format, uint64_t modifier,
                              VkExternalMemoryHandleTypeFlagBits handle, bool disjoint)
{
    const auto support = vk::external_image_support(device.physical_handle(), format, DrmModifier{modifier},
                                                    VK_IMAGE_USAGE_TRANSFER_SRC_BIT,
                                                    disjoint ? VkImageCreateFlags{VK_IMAGE_CREATE_DISJOINT_BIT} : 0U, handle);
    return support && (support->features & VK_EXTERNAL_MEMORY_FEATURE_IMPORTABLE_BIT);
}

// Copies every format plane of the imported images in `out` (one per plane, or one multi-planar
// image) to host memory, after acquiring them from the foreign queue family.
Result<std::vector<ReadPlane>> copy_to_host(const GpuContext& gpu, Imported& out, DrmFormat format, uint32_t width,
                                            uint32_t height)
{
    const vk::Device& dev = *gpu.device;
    const FormatInfo* info = format_info(format);
    if (!info) return Error{"unknown format"};
    // Host memory for every format plane, tightly packed, each plane 16-byte aligned.
    std::vector<ReadPlane> planes(info->plane_count);
    std::vector<VkDeviceSize> offsets;
    VkDeviceSize total = 0;
    for (uint32_t p = 0; p < info->plane_count; ++p) {
        planes[p].row_bytes = plane_width(*info, p, width) * info->planes[p].bytes_per_pixel;
        planes[p].rows = plane_height(*info, p, height);
        offsets.push_back(total);
        total += (VkDeviceSize{planes[p].row_bytes} * planes[p].rows + 15) / 16 * 16;
    }
    const VkBufferCreateInfo bci{.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO, .size = total, .usage = VK_BUFFER_USAGE_TRANSFER_DST_BIT};
    if (const VkResult r = vkCreateBuffer(dev.handle(), &bci, nullptr, &out.host_buffer_); r != VK_SUCCESS) {
        return vk::vk_error("vkCreateBuffer (read-back)", r);
    }
    VkMemoryRequirements req{};
    vkGetBufferMemoryRequirements(dev.handle(), out.host_buffer_, &req);
    const auto type = dev.memory_type(req.memoryTypeBits, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
    if (!type) return Error{"no host-visible coherent memory for the read-back buffer"};
    const VkMemoryAllocateInfo ai{.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO, .allocationSize = req.size, .memoryTypeIndex = *type};
    if (const VkResult r = vkAllocateMemory(dev.handle(), &ai, nullptr, &out.host_memory_); r != VK_SUCCESS) {
        return vk::vk_error("vkAllocateMemory (read-back)", r);
    }
    if (const VkResult r = vkBindBufferMemory(dev.handle(), out.host_buffer_, out.host_memory_, 0); r != VK_SUCCESS) {
        return vk::vk_error("vkBindBufferMemory (read-back)", r);
    }

    auto submitter = vk::Submitter::create(dev, "read-back");
    if (!submitter) return std::move(submitter).error();
    auto cmd = (*submitter)->begin();
    if (!cmd) return std::move(cmd).error();
    // Acquire from the foreign queue family, where the producer released the images in GENERAL.
    std::vector<VkImageMemoryBarrier> acquire;
    for (VkImage image : out.images_) {
        acquire.push_back({.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER,
                           .srcAccessMask = 0,
                           .dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT,
                           .oldLayout = VK_IMAGE_LAYOUT_GENERAL,
                           .newLayout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                           .srcQueueFamilyIndex = VK_QUEUE_FAMILY_FOREIGN_EXT,
                           .dstQueueFamilyIndex = dev.queue_family(),
                           .image = image,
                           .subresourceRange = {.aspectMask = VK_IMAGE_ASPECT_COLOR_BIT, .levelCount = 1, .layerCount = 1}});
    }
    vkCmdPipelineBarrier(*cmd, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0, nullptr, 0, nullptr,
                         static_cast<uint32_t>(acquire.size()), acquire.data());
    const bool per_plane = out.images_.size() > 1;
    for (uint32_t p = 0; p < info->plane_count; ++p) {
        const VkImage image = out.images_[per_plane ? p : 0];
        const VkImageAspectFlags aspect = per_plane || info->plane_count == 1
                                              ? VkImageAspectFlags{VK_IMAGE_ASPECT_COLOR_BIT}
                                              : VkImageAspectFlags{static_cast<VkImageAspectFlags>(VK_IMAGE_ASPECT_PLANE_0_BIT) << p};
        const VkBufferImageCopy region{.bufferOffset = offsets[p],
                                       .bufferRowLength = 0,
                                       .bufferImageHeight = 0,
                                       .imageSubresource = {.aspectMask = aspect, .mipLevel = 0, .baseArrayLayer = 0, .layerCount = 1},
                                       .imageOffset = {0, 0, 0},
                                       .imageExtent = {plane_width(*info, p, width), planes[p].rows, 1}};
        vkCmdCopyImageToBuffer(*cmd, image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, out.host_buffer_, 1, &region);
    }
    const VkBufferMemoryBarrier host{.sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER,
                                     .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
                                     .dstAccessMask = VK_ACCESS_HOST_READ_BIT,
                                     .srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                                     .dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                                     .buffer = out.host_buffer_,
                                     .offset = 0,
                                     .size = VK_WHOLE_SIZE};
    vkCmdPipelineBarrier(*cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 0, nullptr, 1, &host, 0, nullptr);
    if (auto done = (*submitter)->submit(false); !done) return std::move(done).error();
    if (auto waited = (*submitter)->wait(); !waited) return std::move(waited).error();

    void* map = nullptr;
    if (const VkResult r = vkMapMemory(dev.handle(), out.host_memory_, 0, VK_WHOLE_SIZE, 0, &map); r != VK_SUCCESS) {
        return vk::vk_error("vkMapMemory (read-back)", r);
    }
    for (uint32_t p = 0; p < info->plane_count; ++p) {
        const auto* src = static_cast<const uint8_t*>(map) + offsets[p];
        planes[p].bytes.assign(src, src + size_t{planes[p].row_bytes} * planes[p].rows);
    }
    vkUnmapMemory(dev.handle(), out.host_memory_);
    return planes;
}


Result<std::vector<ReadPlane>> read_back_through_import(const GpuContext& gpu, const VulkanBuffer& buffer, bool disjoint)
{
    Imported out{gpu.device->handle()};
    Import import{gpu, buffer, out};
    for (size_t i = 0; i < buffer.parts().size(); ++i) {
        auto image = import.import_part(i, disjoint);
        if (!image) return std::move(image).error().context("part " + std::to_string(i));
    }
    return copy_to_host(gpu, out, buffer.format(), buffer.width(), buffer.height());
}

Result<ReadPlane> read_back_dma_buf(const GpuContext& gpu, DrmFormat format, uint32_t width, uint32_t height,
                                    DrmModifier modifier, const ForeignPlane& plane)
{
    const vk::Device& dev = *gpu.device;
    const FormatInfo* info = format_info(format);
    if (!info || info->plane_count != 1) return Error{"read_back_dma_buf: a single-plane format only"};
    Imported out{dev.handle()};
    const VkSubresourceLayout layout{.offset = plane.offset, .size = 0, .rowPitch = plane.stride, .arrayPitch = 0, .depthPitch = 0};
    auto created = create_import_image(dev.handle(), info->vk_format, {width, height}, modifier, {layout}, false,
                                       VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT);
    if (!created) return std::move(created).error();
    const VkImage image = *created;
    out.images_.push_back(image);
    VkMemoryDedicatedRequirements ded_req{.sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_REQUIREMENTS};
    VkMemoryRequirements2 req{.sType = VK_STRUCTURE_TYPE_MEMORY_REQUIREMENTS_2, .pNext = &ded_req};
    const VkImageMemoryRequirementsInfo2 req_info{.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_REQUIREMENTS_INFO_2, .image = image};
    vkGetImageMemoryRequirements2(dev.handle(), &req_info, &req);
    UniqueFd fd{fcntl(plane.fd, F_DUPFD_CLOEXEC, 0)};
    if (!fd.valid()) return Error{"dup of the dma-buf failed"};
    const off_t end = lseek(fd.get(), 0, SEEK_END);
    if (end <= 0) return Error{"lseek of the dma-buf failed"};
    VkMemoryFdPropertiesKHR props{.sType = VK_STRUCTURE_TYPE_MEMORY_FD_PROPERTIES_KHR};
    if (const VkResult r = dev.fn().get_memory_fd_properties(dev.handle(), VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT,
                                                             fd.get(), &props);
        r != VK_SUCCESS) {
        return vk::vk_error("vkGetMemoryFdPropertiesKHR", r);
    }
    const auto type = dev.memory_type(props.memoryTypeBits & req.memoryRequirements.memoryTypeBits, 0);
    if (!type) return Error{"no memory type both imports the dma-buf and fits the image"};
    const bool dedicated = ded_req.requiresDedicatedAllocation || ded_req.prefersDedicatedAllocation;
    VkMemoryDedicatedAllocateInfo ded{.sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO, .image = image};
    VkImportMemoryFdInfoKHR import{.sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_FD_INFO_KHR,
                                   .pNext = dedicated ? &ded : nullptr,
                                   .handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT,
                                   .fd = fd.get()};
    const VkMemoryAllocateInfo ai{.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                                  .pNext = &import,
                                  .allocationSize = static_cast<VkDeviceSize>(end),
                                  .memoryTypeIndex = *type};
    VkDeviceMemory memory = VK_NULL_HANDLE;
    if (const VkResult r = vkAllocateMemory(dev.handle(), &ai, nullptr, &memory); r != VK_SUCCESS) {
        return vk::vk_error("vkAllocateMemory (import of the dma-buf)", r);
    }
    (void)fd.release();  // the import owns it now
    out.memories_.push_back(memory);
    if (const VkResult r = vkBindImageMemory(dev.handle(), image, memory, 0); r != VK_SUCCESS) {
        return vk::vk_error("vkBindImageMemory (import)", r);
    }
    auto planes = copy_to_host(gpu, out, format, width, height);
    if (!planes) return std::move(planes).error();
    return std::move((*planes)[0]);
}

}  // namespace dmafeed::test
