#include "vk/dmabuf_import.hpp"

#include "drm/format_info.hpp"
#include "util/log.hpp"
#include "util/unique_fd.hpp"
#include "vk/capabilities.hpp"
#include "vk/import_image.hpp"
#include "vk/vk_error.hpp"

#include <cerrno>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace dmafeed::vk {
namespace {

constexpr auto dma_buf = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT;

std::string size_string(uint32_t w, uint32_t h) { return std::to_string(w) + "x" + std::to_string(h); }

// Size of a dma-buf; 0 when the fd cannot tell.
uint64_t dmabuf_size(int fd)
{
    const off_t end = lseek(fd, 0, SEEK_END);
    lseek(fd, 0, SEEK_SET);
    return end > 0 ? static_cast<uint64_t>(end) : 0;
}

bool same_file(const struct stat& a, const struct stat& b) { return a.st_dev == b.st_dev && a.st_ino == b.st_ino; }

// Builds the images of one frame into `images_`, which the caller takes on success.
class DmabufImporter {
public:
    DmabufImporter(const Device& device, const DmabufFrame& frame, const FormatInfo& info, VkImageUsageFlags usage,
                   VkImageUsageFlags extra_usage)
        : device_{device}, frame_{frame}, info_{info}, usage_{usage}, extra_usage_{extra_usage}
    {
    }

    Result<BufferImages> import() &&
    {
        const DrmModifier mod = frame_.modifier;
        const auto planes = static_cast<uint32_t>(frame_.planes.size());
        if (planes < info_.plane_count) {
            return Error{dmafeed::name(info_.format) + " has " + std::to_string(info_.plane_count) + " planes; " +
                         std::to_string(planes) + " were given"};
        }
        if (info_.plane_count > 1 && mod.is_linear()) {
            for (uint32_t p = 0; p < info_.plane_count; ++p) {
                const VkExtent2D extent{plane_width(info_, p, frame_.width), plane_height(info_, p, frame_.height)};
                const std::string label = dmafeed::name(info_.format) + " plane " + std::to_string(p);
                if (auto ok = add_part(label, info_.planes[p].vk_format, extent, p, 1); !ok) return std::move(ok).error();
            }
        } else {
            if (info_.vk_format == VK_FORMAT_UNDEFINED) {
                if (info_.plane_count == 1) return Error{dmafeed::name(info_.format) + " has no VkFormat"};
                return Error{dmafeed::name(info_.format) + " has no multi-planar VkFormat for modifier " + dmafeed::name(mod)};
            }
            if (auto ok = add_part(dmafeed::name(info_.format), info_.vk_format, {frame_.width, frame_.height}, 0, planes);
                !ok) {
                return std::move(ok).error();
            }
        }
        return std::move(images_);
    }

private:
    // `label` names the part in messages ("XRGB8888", "NV12 plane 1").
    Result<void> check_importable(const std::string& label, VkFormat format, VkExtent2D extent, uint32_t memory_planes,
                                  VkImageUsageFlags usage) const
    {
        const DrmModifier mod = frame_.modifier;
        const std::string pair = label + " (VkFormat " + std::to_string(format) + ") with modifier " + dmafeed::name(mod);
        const uint32_t listed = modifier_plane_count(device_.physical_handle(), device_.info().api_version, format, mod);
        if (listed == 0) return Error{"the driver does not list " + pair};
        if (listed != memory_planes) {
            return Error{"the driver gives " + pair + " " + std::to_string(listed) + " memory planes; the dma-buf has " +
                         std::to_string(memory_planes)};
        }
        VkPhysicalDeviceImageDrmFormatModifierInfoEXT mod_info{
            .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_IMAGE_DRM_FORMAT_MODIFIER_INFO_EXT,
            .drmFormatModifier = mod.value(),
            .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
        VkPhysicalDeviceExternalImageFormatInfo external{.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_IMAGE_FORMAT_INFO,
                                                         .pNext = &mod_info,
                                                         .handleType = dma_buf};
        VkPhysicalDeviceImageFormatInfo2 format_info{.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_IMAGE_FORMAT_INFO_2,
                                                     .pNext = &external,
                                                     .format = format,
                                                     .type = VK_IMAGE_TYPE_2D,
                                                     .tiling = VK_IMAGE_TILING_DRM_FORMAT_MODIFIER_EXT,
                                                     .usage = usage};
        VkExternalImageFormatProperties external_props{.sType = VK_STRUCTURE_TYPE_EXTERNAL_IMAGE_FORMAT_PROPERTIES};
        VkImageFormatProperties2 props{.sType = VK_STRUCTURE_TYPE_IMAGE_FORMAT_PROPERTIES_2, .pNext = &external_props};
        if (const VkResult r = vkGetPhysicalDeviceImageFormatProperties2(device_.physical_handle(), &format_info, &props);
            r != VK_SUCCESS) {
            return vk_error("vkGetPhysicalDeviceImageFormatProperties2 for " + pair + ", usage " + usage_string(usage), r);
        }
        if (!(external_props.externalMemoryProperties.externalMemoryFeatures & VK_EXTERNAL_MEMORY_FEATURE_IMPORTABLE_BIT)) {
            return Error{"the driver cannot import a dma-buf as " + pair};
        }
        const VkExtent3D max = props.imageFormatProperties.maxExtent;
        if (extent.width > max.width || extent.height > max.height) {
            return Error{pair + " is limited to " + size_string(max.width, max.height)};
        }
        return {};
    }

    // One image for memory planes [first, first + count), its memory imported and bound.
    Result<void> add_part(const std::string& label, VkFormat format, VkExtent2D extent, uint32_t first, uint32_t count)
    {
        // With the extra usage where the driver allows it (single-plane images: a storage view).
        VkImageUsageFlags usage = usage_ | extra_usage_;
        if (extra_usage_ == 0 || count != 1 || !check_importable(label, format, extent, count, usage)) usage = usage_;
        if (auto ok = check_importable(label, format, extent, count, usage); !ok) return ok;
        const VkDevice dev = device_.handle();
        const std::span<const DmabufPlane> planes = frame_.planes;
        struct stat first_file{};
        if (fstat(planes[first].fd, &first_file) != 0) return Error::from_errno("fstat of the plane's dma-buf", errno);
        std::vector<VkSubresourceLayout> layouts;
        for (uint32_t p = first; p < first + count; ++p) {
            struct stat st{};
            if (fstat(planes[p].fd, &st) != 0 || !same_file(st, first_file)) {
                return Error{"the planes are in separate dma-bufs (disjoint), which is not imported"};
            }
            layouts.push_back({.offset = planes[p].offset, .size = 0, .rowPitch = planes[p].stride, .arrayPitch = 0, .depthPitch = 0});
        }
        auto created = create_import_image(dev,
                                           {.format = format,
                                            .extent = extent,
                                            .modifier = frame_.modifier,
                                            .layouts = layouts,
                                            .usage = usage,
                                            .disjoint = false,
                                            .handle = dma_buf},
                                           "vkCreateImage with the dma-buf's explicit layout");
        if (!created) return std::move(created).error();
        const VkImage image = *created;
        const size_t index = images_.add_image(UniqueImage{dev, image}, format, extent, first, count);

        VkImageMemoryRequirementsInfo2 req_info{.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_REQUIREMENTS_INFO_2, .image = image};
        VkMemoryRequirements2 req{.sType = VK_STRUCTURE_TYPE_MEMORY_REQUIREMENTS_2};
        vkGetImageMemoryRequirements2(dev, &req_info, &req);
        const uint64_t available = dmabuf_size(planes[first].fd);
        if (req.memoryRequirements.size > available) {
            return Error{"the image needs " + std::to_string(req.memoryRequirements.size) + " bytes; the dma-buf has " +
                         std::to_string(available)};
        }

        // The import consumes the fd it is given: a copy, the caller's stays open.
        auto fd = UniqueFd{::fcntl(planes[first].fd, F_DUPFD_CLOEXEC, 0)};
        if (!fd) return Error::from_errno("fcntl(F_DUPFD_CLOEXEC) of the plane's dma-buf", errno);
        VkMemoryFdPropertiesKHR fd_props{.sType = VK_STRUCTURE_TYPE_MEMORY_FD_PROPERTIES_KHR};
        if (const VkResult r = device_.fn().get_memory_fd_properties(dev, dma_buf, fd.get(), &fd_props); r != VK_SUCCESS) {
            return vk_error("vkGetMemoryFdPropertiesKHR(DMA_BUF)", r);
        }
        const uint32_t bits = req.memoryRequirements.memoryTypeBits & fd_props.memoryTypeBits;
        const auto type = device_.memory_type(bits, 0);
        if (!type) {
            return Error{log::format("no memory type fits both the image (memoryTypeBits 0x%x) and the dma-buf (0x%x)",
                                     req.memoryRequirements.memoryTypeBits, fd_props.memoryTypeBits)};
        }
        VkMemoryDedicatedAllocateInfo dedicated{.sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO, .image = image};
        VkImportMemoryFdInfoKHR import_info{.sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_FD_INFO_KHR,
                                            .pNext = &dedicated,
                                            .handleType = dma_buf,
                                            .fd = fd.get()};
        VkMemoryAllocateInfo ai{.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                                .pNext = &import_info,
                                .allocationSize = req.memoryRequirements.size,
                                .memoryTypeIndex = *type};
        struct stat before{};
        fstat(fd.get(), &before);
        VkDeviceMemory memory = VK_NULL_HANDLE;
        if (const VkResult r = vkAllocateMemory(dev, &ai, nullptr, &memory); r != VK_SUCCESS) {
            // The application keeps the fd when an import fails, but some drivers close it anyway
            // (lavapipe 25, measured): do not close it a second time.
            struct stat after{};
            if (fstat(fd.get(), &after) != 0 || !same_file(before, after)) {
                log::debug("the Vulkan driver closed the fd of a failed import");
                static_cast<void>(fd.release());
            }
            return vk_error("vkAllocateMemory importing the dma-buf (" + std::to_string(req.memoryRequirements.size) +
                                " bytes, memory type " + std::to_string(*type) + ")", r);
        }
        static_cast<void>(fd.release());  // the memory owns it now
        images_.add_memory(UniqueDeviceMemory{dev, memory});
        if (const VkResult r = vkBindImageMemory(dev, image, memory, 0); r != VK_SUCCESS) {
            return vk_error("vkBindImageMemory", r);
        }
        if (usage & VK_IMAGE_USAGE_STORAGE_BIT) {
            auto view = create_storage_view(dev, image, format);
            if (!view) return std::move(view).error();
            images_.set_storage_view(index, std::move(view).value());
        }
        return {};
    }

    const Device& device_;
    const DmabufFrame& frame_;
    const FormatInfo& info_;
    VkImageUsageFlags usage_;
    VkImageUsageFlags extra_usage_;
    BufferImages images_;
};

}  // namespace

Result<BufferImages> import_dmabuf(const Device& device, const DmabufFrame& frame, VkImageUsageFlags usage,
                                   VkImageUsageFlags extra_usage)
{
    const FormatInfo* info = format_info(frame.format);
    if (!info) return Error{"dmafeed's format table does not know " + dmafeed::name(frame.format)};
    if (frame.modifier.is_implicit()) return Error{"the layout is not known (modifier INVALID)"};
    return DmabufImporter{device, frame, *info, usage, extra_usage}.import();
}

}  // namespace dmafeed::vk
