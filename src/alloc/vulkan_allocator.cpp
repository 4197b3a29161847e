#include "alloc/vulkan_allocator.hpp"

#include "drm/format_info.hpp"
#include "util/fd_limit.hpp"
#include "util/log.hpp"
#include "vk/vk_error.hpp"

#include <algorithm>
#include <cerrno>
#include <limits>
#include <numeric>
#include <span>
#include <string>

namespace dmafeed {
namespace {

VkImageAspectFlagBits memory_plane_aspect(uint32_t plane)
{
    switch (plane) {
    case 0: return VK_IMAGE_ASPECT_MEMORY_PLANE_0_BIT_EXT;
    case 1: return VK_IMAGE_ASPECT_MEMORY_PLANE_1_BIT_EXT;
    case 2: return VK_IMAGE_ASPECT_MEMORY_PLANE_2_BIT_EXT;
    default: return VK_IMAGE_ASPECT_MEMORY_PLANE_3_BIT_EXT;
    }
}

std::string modifier_list(const std::vector<DrmModifier>& mods)
{
    std::string out = "{";
    for (size_t i = 0; i < mods.size(); ++i) out += (i ? ", " : "") + name(mods[i]);
    return out + "}";
}

std::string size_string(uint32_t w, uint32_t h) { return std::to_string(w) + "x" + std::to_string(h); }

// What one image adds to a buffer.
struct ImageSpec {
    VkFormat format = VK_FORMAT_UNDEFINED;
    VkExtent2D extent{};
    std::vector<DrmModifier> modifiers;        // driver picks one (list path)
    std::vector<PlaneLayout> explicit_layout;  // non-empty: explicit LINEAR layout, one per memory plane
    bool disjoint = false;
    VkImageUsageFlags usage = 0;
    // Bytes of memory before the image: it is bound at this offset of a larger allocation, so each
    // plane's dma-buf offset grows by it (AllocationRequest::plane_offset, on any driver).
    uint32_t memory_offset = 0;
};

}  // namespace

// Builds the images of one buffer; on any failure the partly built buffer is destroyed with its
// vk::BufferImages (every handle is recorded the moment it exists).
class VulkanBufferBuilder {
public:
    VulkanBufferBuilder(const vk::Device& device, VulkanBuffer& buffer, VkExternalMemoryHandleTypeFlagBits handle_type)
        : device_{device}, buffer_{buffer}, handle_type_{handle_type}
    {
    }

    // One image in memory of its own: a dedicated allocation, or one memory per plane when disjoint.
    Result<DrmModifier> add_image(const ImageSpec& spec)
    {
        auto modifier = create_image(spec);
        if (!modifier) return modifier;
        if (auto r = bind_own_memory(images().parts().size() - 1, spec); !r) return std::move(r).error();
        return modifier;
    }

    // One image per spec, bound one after another into a single exported memory (the first at its
    // memory_offset, each next one at its alignment and `align`), so the planes share one dma-buf.
    // Where the driver requires a dedicated allocation for an image, each image gets its own.
    Result<void> add_images_in_one_memory(std::span<const ImageSpec> specs, uint32_t align)
    {
        const size_t first = images().parts().size();
        for (const ImageSpec& spec : specs) {
            if (auto m = create_image(spec); !m) return std::move(m).error().context("plane " + std::to_string(&spec - specs.data()));
        }
        std::vector<VkDeviceSize> offsets;
        VkMemoryRequirements total{.size = 0, .alignment = 1, .memoryTypeBits = ~0U};
        for (size_t i = 0; i < specs.size(); ++i) {
            VkMemoryDedicatedRequirements dedicated{.sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_REQUIREMENTS};
            VkMemoryRequirements2 req{.sType = VK_STRUCTURE_TYPE_MEMORY_REQUIREMENTS_2, .pNext = &dedicated};
            const VkImageMemoryRequirementsInfo2 info{.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_REQUIREMENTS_INFO_2,
                                                     .image = images().parts()[first + i].image};
            vkGetImageMemoryRequirements2(device_.handle(), &info, &req);
            if (dedicated.requiresDedicatedAllocation) {
                log::debug("plane %zu's image requires a dedicated allocation: one memory per plane", i);
                return bind_each_own_memory(first, specs);
            }
            const VkMemoryRequirements& r = req.memoryRequirements;
            const VkDeviceSize offset =
                i == 0 ? specs[0].memory_offset : align_up(total.size, std::lcm(r.alignment, VkDeviceSize{std::max(align, 1U)}));
            offsets.push_back(offset);
            total.size = offset + r.size;
            total.alignment = std::max(total.alignment, r.alignment);
            total.memoryTypeBits &= r.memoryTypeBits;
        }
        if (total.memoryTypeBits == 0) {
            log::debug("the plane images have no memory type in common: one memory per plane");
            return bind_each_own_memory(first, specs);
        }
        auto fd = allocate_and_export(total, VK_NULL_HANDLE);
        if (!fd) return std::move(fd).error();
        std::vector<VkBindImageMemoryInfo> binds;
        for (size_t i = 0; i < specs.size(); ++i) {
            binds.push_back({.sType = VK_STRUCTURE_TYPE_BIND_IMAGE_MEMORY_INFO,
                             .image = images().parts()[first + i].image,
                             .memory = images().memories().back().get(),
                             .memoryOffset = offsets[i]});
        }
        if (const VkResult r = vkBindImageMemory2(device_.handle(), static_cast<uint32_t>(binds.size()), binds.data());
            r != VK_SUCCESS) {
            return vk::vk_error("vkBindImageMemory2 (one memory for " + std::to_string(specs.size()) + " plane images)", r);
        }
        for (size_t i = 0; i < specs.size(); ++i) {
            auto fds = dup_per_plane(*fd, images().parts()[first + i].plane_count);
            if (!fds) return std::move(fds).error();
            if (auto r = record_planes(first + i, specs[i], std::move(fds).value(), offsets[i]); !r) {
                return std::move(r).error().context("plane " + std::to_string(i));
            }
        }
        return {};
    }

private:
    vk::BufferImages& images() { return buffer_.images_; }

    // Creates the image of `spec` as the buffer's next part; returns the modifier the driver chose.
    Result<DrmModifier> create_image(const ImageSpec& spec)
    {
        const VkDevice dev = device_.handle();
        std::vector<uint64_t> mod_values;
        for (DrmModifier m : spec.modifiers) mod_values.push_back(m.value());
        std::vector<VkSubresourceLayout> layouts;
        for (const PlaneLayout& p : spec.explicit_layout) {
            layouts.push_back({.offset = p.offset, .size = 0, .rowPitch = p.stride, .arrayPitch = 0, .depthPitch = 0});
        }
        VkImageDrmFormatModifierListCreateInfoEXT list_info{
            .sType = VK_STRUCTURE_TYPE_IMAGE_DRM_FORMAT_MODIFIER_LIST_CREATE_INFO_EXT,
            .drmFormatModifierCount = static_cast<uint32_t>(mod_values.size()),
            .pDrmFormatModifiers = mod_values.data()};
        VkImageDrmFormatModifierExplicitCreateInfoEXT explicit_info{
            .sType = VK_STRUCTURE_TYPE_IMAGE_DRM_FORMAT_MODIFIER_EXPLICIT_CREATE_INFO_EXT,
            .drmFormatModifier = DRM_FORMAT_MOD_LINEAR,
            .drmFormatModifierPlaneCount = static_cast<uint32_t>(layouts.size()),
            .pPlaneLayouts = layouts.data()};
        VkExternalMemoryImageCreateInfo external{.sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_IMAGE_CREATE_INFO,
                                                 .pNext = layouts.empty() ? static_cast<void*>(&list_info)
                                                                          : static_cast<void*>(&explicit_info),
                                                 .handleTypes = static_cast<VkExternalMemoryHandleTypeFlags>(handle_type_)};
        VkImageCreateInfo ci{.sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
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
        VkImage created = VK_NULL_HANDLE;
        if (const VkResult r = vkCreateImage(dev, &ci, nullptr, &created); r != VK_SUCCESS) {
            return vk::vk_error("vkCreateImage", r);
        }
        vk::UniqueImage image{dev, created};

        VkImageDrmFormatModifierPropertiesEXT chosen{.sType = VK_STRUCTURE_TYPE_IMAGE_DRM_FORMAT_MODIFIER_PROPERTIES_EXT};
        if (const VkResult r = device_.fn().get_image_drm_format_modifier_properties(dev, image.get(), &chosen);
            r != VK_SUCCESS) {
            return vk::vk_error("vkGetImageDrmFormatModifierPropertiesEXT", r);
        }
        const DrmModifier modifier{chosen.drmFormatModifier};
        const uint32_t planes = vk::modifier_plane_count(device_.physical_handle(), device_.info().api_version, spec.format, modifier);
        if (planes == 0 || planes > 4) {
            return Error{"the driver chose modifier " + name(modifier) + ", which it does not list for this format"};
        }
        images().add_image(std::move(image), spec.format, spec.extent, 0, planes);
        return modifier;
    }

    Result<void> bind_each_own_memory(size_t first, std::span<const ImageSpec> specs)
    {
        for (size_t i = 0; i < specs.size(); ++i) {
            if (auto r = bind_own_memory(first + i, specs[i]); !r) return std::move(r).error().context("plane " + std::to_string(i));
        }
        return {};
    }

    // Memory of its own for part `index`, bound at spec.memory_offset; records its planes.
    Result<void> bind_own_memory(size_t index, const ImageSpec& spec)
    {
        const VkDevice dev = device_.handle();
        const VkImage image = images().parts()[index].image;
        const uint32_t planes = images().parts()[index].plane_count;
        std::vector<UniqueFd> fds;
        if (spec.disjoint) {
            std::vector<VkBindImagePlaneMemoryInfo> plane_binds(planes);
            std::vector<VkBindImageMemoryInfo> binds(planes);
            for (uint32_t p = 0; p < planes; ++p) {
                VkImagePlaneMemoryRequirementsInfo plane_req{.sType = VK_STRUCTURE_TYPE_IMAGE_PLANE_MEMORY_REQUIREMENTS_INFO,
                                                             .planeAspect = memory_plane_aspect(p)};
                VkImageMemoryRequirementsInfo2 req_info{.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_REQUIREMENTS_INFO_2,
                                                        .pNext = &plane_req,
                                                        .image = image};
                VkMemoryRequirements2 req{.sType = VK_STRUCTURE_TYPE_MEMORY_REQUIREMENTS_2};
                vkGetImageMemoryRequirements2(dev, &req_info, &req);
                auto fd = allocate_and_export(with_offset(req.memoryRequirements, spec.memory_offset), VK_NULL_HANDLE);
                if (!fd) return std::move(fd).error().context("plane " + std::to_string(p));
                fds.push_back(std::move(fd).value());
                plane_binds[p] = {.sType = VK_STRUCTURE_TYPE_BIND_IMAGE_PLANE_MEMORY_INFO,
                                  .planeAspect = memory_plane_aspect(p)};
                binds[p] = {.sType = VK_STRUCTURE_TYPE_BIND_IMAGE_MEMORY_INFO,
                            .pNext = &plane_binds[p],
                            .image = image,
                            .memory = images().memories().back().get(),
                            .memoryOffset = spec.memory_offset};
            }
            if (const VkResult r = vkBindImageMemory2(dev, planes, binds.data()); r != VK_SUCCESS) {
                return vk::vk_error("vkBindImageMemory2 (disjoint)", r);
            }
        } else {
            VkMemoryDedicatedRequirements dedicated{.sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_REQUIREMENTS};
            VkMemoryRequirements2 req2{.sType = VK_STRUCTURE_TYPE_MEMORY_REQUIREMENTS_2, .pNext = &dedicated};
            const VkImageMemoryRequirementsInfo2 info{.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_REQUIREMENTS_INFO_2, .image = image};
            vkGetImageMemoryRequirements2(dev, &info, &req2);
            const VkMemoryRequirements& req = req2.memoryRequirements;
            // A dedicated allocation is bound at offset 0 only: a plane offset needs memory the
            // image does not own, which a driver that requires dedicated allocations refuses.
            if (spec.memory_offset && dedicated.requiresDedicatedAllocation) {
                return Error{"the driver requires a dedicated allocation for this image, which is bound at offset 0 only: "
                             "a plane offset of " + std::to_string(spec.memory_offset) + " bytes cannot be honoured"};
            }
            auto fd = allocate_and_export(with_offset(req, spec.memory_offset), spec.memory_offset ? VK_NULL_HANDLE : image);
            if (!fd) return std::move(fd).error();
            if (const VkResult r = vkBindImageMemory(dev, image, images().memories().back().get(), spec.memory_offset);
                r != VK_SUCCESS) {
                return vk::vk_error("vkBindImageMemory", r);
            }
            auto all = dup_per_plane(*fd, planes);
            if (!all) return std::move(all).error();
            fds = std::move(all).value();
        }
        return record_planes(index, spec, std::move(fds), spec.memory_offset);
    }

    // One fd for each of `planes` memory planes, all of the dma-buf `fd`.
    static Result<std::vector<UniqueFd>> dup_per_plane(const UniqueFd& fd, uint32_t planes)
    {
        std::vector<UniqueFd> fds;
        for (uint32_t p = 0; p < planes; ++p) {
            auto copy = fd.dup();
            if (!copy) return std::move(copy).error();
            fds.push_back(std::move(copy).value());
        }
        return fds;
    }

    // Appends part `index`'s memory planes to the buffer: fds[p] at `bind_offset` plus the
    // driver's layout of the plane.
    Result<void> record_planes(size_t index, const ImageSpec& spec, std::vector<UniqueFd> fds, VkDeviceSize bind_offset)
    {
        images().set_first_plane(index, static_cast<uint32_t>(buffer_.planes_.size()));
        const VulkanImagePart& part = images().parts()[index];
        for (uint32_t p = 0; p < part.plane_count; ++p) {
            const VkImageSubresource sub{.aspectMask = static_cast<VkImageAspectFlags>(memory_plane_aspect(p))};
            VkSubresourceLayout layout{};
            vkGetImageSubresourceLayout(device_.handle(), part.image, &sub, &layout);
            if (layout.offset + bind_offset > std::numeric_limits<uint32_t>::max() ||
                layout.rowPitch > std::numeric_limits<uint32_t>::max()) {
                return Error{"plane " + std::to_string(p) + " layout does not fit linux-dmabuf's 32-bit offset/stride"};
            }
            // A driver may take an explicit layout and still place the plane its own way (lavapipe
            // 25 ignores a non-zero plane offset): such an image is not the layout that was asked for.
            if (p < spec.explicit_layout.size() &&
                (layout.offset != spec.explicit_layout[p].offset || layout.rowPitch != spec.explicit_layout[p].stride)) {
                return Error{"the driver placed plane " + std::to_string(p) + " at offset " + std::to_string(layout.offset) +
                             " with stride " + std::to_string(layout.rowPitch) + ", not the explicit offset " +
                             std::to_string(spec.explicit_layout[p].offset) + " and stride " +
                             std::to_string(spec.explicit_layout[p].stride) + " it was given"};
            }
            buffer_.planes_.push_back(BufferPlane{.fd = std::move(fds[p]),
                                                  .offset = static_cast<uint32_t>(layout.offset + bind_offset),
                                                  .stride = static_cast<uint32_t>(layout.rowPitch),
                                                  .size = layout.size});
        }
        if (spec.usage & VK_IMAGE_USAGE_STORAGE_BIT) {
            auto view = vk::create_storage_view(device_.handle(), part.image, spec.format);
            if (!view) return std::move(view).error();
            images().set_storage_view(index, std::move(view).value());
        }
        return {};
    }

    static VkDeviceSize align_up(VkDeviceSize value, VkDeviceSize align) { return (value + align - 1) / align * align; }

    // `req` for an image bound `offset` bytes into its memory; an offset the image's alignment
    // does not allow shows up as vkBindImageMemory's error.
    static VkMemoryRequirements with_offset(VkMemoryRequirements req, uint32_t offset)
    {
        req.size += offset;
        return req;
    }

    // Allocates exportable memory (dedicated to `image` unless it is VK_NULL_HANDLE), records it in
    // the buffer and returns its dma-buf fd.
    Result<UniqueFd> allocate_and_export(const VkMemoryRequirements& req, VkImage dedicated_image)
    {
        const auto type = device_.memory_type(req.memoryTypeBits, 0, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
        if (!type) {
            return Error{log::format("no memory type fits the image (memoryTypeBits 0x%x)", req.memoryTypeBits)};
        }
        VkMemoryDedicatedAllocateInfo dedicated{.sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO,
                                                .image = dedicated_image};
        VkExportMemoryAllocateInfo export_info{.sType = VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO,
                                               .pNext = dedicated_image ? &dedicated : nullptr,
                                               .handleTypes = static_cast<VkExternalMemoryHandleTypeFlags>(handle_type_)};
        VkMemoryAllocateInfo ai{.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                                .pNext = &export_info,
                                .allocationSize = req.size,
                                .memoryTypeIndex = *type};
        VkDeviceMemory memory = VK_NULL_HANDLE;
        if (const VkResult r = vkAllocateMemory(device_.handle(), &ai, nullptr, &memory); r != VK_SUCCESS) {
            // Drivers make a dma-buf's fd in here and report running out of descriptors as
            // VK_ERROR_OUT_OF_DEVICE_MEMORY (or, below, as an fd of -1).
            return Error{vk::vk_error("vkAllocateMemory of " + std::to_string(req.size) + " bytes", r).message() + fd_limit_note()};
        }
        images().add_memory(vk::UniqueDeviceMemory{device_.handle(), memory});
        buffer_.memory_records_.push_back({req.size, *type, dedicated_image != VK_NULL_HANDLE});
        buffer_.allocated_bytes_ += req.size;
        VkMemoryGetFdInfoKHR get{.sType = VK_STRUCTURE_TYPE_MEMORY_GET_FD_INFO_KHR, .memory = memory, .handleType = handle_type_};
        int raw = -1;
        const VkResult r = device_.fn().get_memory_fd(device_.handle(), &get, &raw);
        UniqueFd fd{raw};
        if (r != VK_SUCCESS) {
            return Error{vk::vk_error("vkGetMemoryFdKHR", r).message() + fd_limit_note()};
        }
        if (fd.get() < 0) {
            return Error{"vkGetMemoryFdKHR returned VK_SUCCESS but no fd" + fd_limit_note()};
        }
        return fd;
    }

    const vk::Device& device_;
    VulkanBuffer& buffer_;
    VkExternalMemoryHandleTypeFlagBits handle_type_;
};

Result<std::vector<vk::ImageRegion>> image_regions(const Buffer& buffer, std::span<const VulkanImagePart> parts,
                                                   std::span<const PlanePixels> planes)
{
    const FormatInfo* info = format_info(buffer.format());
    if (!info || planes.size() != info->plane_count) {
        return Error{"upload to " + dmafeed::name(buffer.format()) + ": " + std::to_string(planes.size()) +
                     " planes given, " + std::to_string(info ? info->plane_count : 0) + " needed"};
    }
    const bool per_plane = parts.size() > 1;
    std::vector<vk::ImageRegion> regions;
    for (uint32_t p = 0; p < info->plane_count; ++p) {
        const VulkanImagePart& part = per_plane ? parts[p] : parts[0];
        VkImageAspectFlagBits aspect = VK_IMAGE_ASPECT_COLOR_BIT;
        if (!per_plane && info->plane_count > 1) {
            aspect = static_cast<VkImageAspectFlagBits>(VK_IMAGE_ASPECT_PLANE_0_BIT << p);
        }
        regions.push_back({.image = part.image,
                           .aspect = aspect,
                           .extent = {plane_width(*info, p, buffer.width()), plane_height(*info, p, buffer.height())},
                           .bytes_per_pixel = info->planes[p].bytes_per_pixel,
                           .data = planes[p].data,
                           .row_bytes = planes[p].row_bytes});
    }
    return regions;
}

Result<std::vector<vk::ImageRegion>> VulkanBuffer::upload_regions(std::span<const PlanePixels> planes) const
{
    return image_regions(*this, parts(), planes);
}

Result<std::unique_ptr<VulkanAllocator>> VulkanAllocator::create(const vk::Device& device, VkImageUsageFlags usage,
                                                                 VkImageUsageFlags extra_usage,
                                                                 VkExternalMemoryHandleTypeFlagBits handle_type)
{
    auto caps = vk::query_export_capabilities(device.physical_handle(), device.info().api_version, usage, extra_usage,
                                              handle_type);
    if (!caps) return std::move(caps).error();
    if (caps->exportable.empty()) {
        return Error{device.info().name + " can export no format with a DRM modifier for usage " + vk::usage_string(usage)};
    }
    return std::unique_ptr<VulkanAllocator>{new VulkanAllocator{device, std::move(caps).value()}};
}

Result<std::unique_ptr<Buffer>> VulkanAllocator::allocate(const AllocationRequest& req)
{
    const std::string what = "allocate " + dmafeed::name(req.format) + " " + size_string(req.width, req.height) + " " +
                             modifier_list(req.modifiers) + " on " + device_.info().name;
    const FormatInfo* info = format_info(req.format);
    if (!info) {
        return Error{what + ": dmafeed has no Vulkan mapping for format " + dmafeed::name(req.format) + " (" +
                     fourcc_string(req.format) + ")"};
    }
    if (req.width == 0 || req.height == 0) {
        return Error{what + ": the size must not be zero"};
    }
    // The request's modifiers that this device can export for the format, in the request's order.
    std::vector<const vk::PairCapability*> usable;
    const bool explicit_linear = req.stride_align > 0 || req.plane_offset > 0;
    for (DrmModifier m : req.modifiers) {
        if (explicit_linear && !m.is_linear()) continue;
        if (const auto* cap = caps_.find({req.format, m})) usable.push_back(cap);
    }
    if (usable.empty()) {
        const auto exportable = caps_.exportable.modifiers_for(req.format);
        std::string msg = what + ": ";
        if (req.modifiers.empty()) {
            msg += "no modifier was requested";
        } else if (exportable.empty()) {
            msg += dmafeed::name(req.format) + " cannot be exported with any modifier for usage " + vk::usage_string(caps_.usage);
        } else {
            msg += "none of the requested modifiers" +
                   std::string{explicit_linear ? " (an explicit stride or plane offset needs LINEAR)" : ""} +
                   " can be exported; this device exports " + dmafeed::name(req.format) + " with " + modifier_list(exportable);
        }
        return Error{msg};
    }
    const bool per_plane = usable.front()->per_plane_images;
    // Memory the image does not own (the plane offset) cannot be exported where the export needs
    // a dedicated allocation (VkExternalMemoryProperties' DEDICATED_ONLY).
    if (req.plane_offset > 0 && usable.front()->dedicated_only) {
        return Error{what + ": the driver exports " + dmafeed::name(req.format) +
                     " only from dedicated allocations, which start at offset 0: a plane offset of " +
                     std::to_string(req.plane_offset) + " bytes cannot be honoured"};
    }
    std::vector<DrmModifier> modifiers;
    VkExtent2D max_extent{UINT32_MAX, UINT32_MAX};
    // The extra usage only where the driver may pick any of the modifiers with it, and where every
    // image has one plane (a view of the whole image is then a view of the plane).
    bool extra = caps_.extra_usage != 0 && (per_plane || info->plane_count == 1);
    for (const auto* cap : usable) {
        if (cap->per_plane_images != per_plane || (per_plane && !modifiers.empty())) continue;
        modifiers.push_back(cap->pair.modifier);
        extra = extra && cap->storage;
        max_extent.width = std::min(max_extent.width, cap->max_extent.width);
        max_extent.height = std::min(max_extent.height, cap->max_extent.height);
    }
    if (req.width > max_extent.width || req.height > max_extent.height) {
        return Error{what + ": larger than the device maximum " + size_string(max_extent.width, max_extent.height) +
                     " for " + dmafeed::name(req.format) + " " + modifier_list(modifiers)};
    }
    if (auto ok = check_size(*info, req.width, req.height, !per_plane && info->plane_count > 1); !ok) {
        return std::move(ok).error().context(what);
    }
    const bool disjoint = req.disjoint && !per_plane && info->plane_count > 1 && usable.front()->disjoint;
    if (req.disjoint && !per_plane && !disjoint && info->plane_count > 1) {
        log::info("%s: disjoint planes are not supported for this pair; using one memory", what.c_str());
    }

    std::unique_ptr<VulkanBuffer> buffer{new VulkanBuffer{req.format, modifiers.front(), req.width, req.height}};
    VulkanBufferBuilder builder{device_, *buffer, caps_.handle_type};
    const VkImageUsageFlags usage = caps_.usage | (extra ? caps_.extra_usage : 0U);
    std::vector<PlaneLayout> layout;
    if (explicit_linear) {
        auto l = linear_layout(req.format, req.width, req.height, std::max(req.stride_align, 1U), !per_plane && !disjoint);
        if (!l) return std::move(l).error().context(what);
        layout = std::move(l).value();
    }
    if (per_plane) {
        std::vector<ImageSpec> specs;
        for (uint32_t p = 0; p < info->plane_count; ++p) {
            ImageSpec spec{.format = info->planes[p].vk_format,
                           .extent = {plane_width(*info, p, req.width), plane_height(*info, p, req.height)},
                           .modifiers = {modifiers.front()},
                           .explicit_layout = {},
                           .disjoint = false,
                           .usage = usage,
                           .memory_offset = req.plane_offset};
            if (!layout.empty()) spec.explicit_layout = {layout[p]};
            specs.push_back(std::move(spec));
        }
        // One dma-buf for the frame, as a multi-planar image would give: a consumer (and a CPU
        // writer) maps and syncs it once. Disjoint asks for one per plane.
        if (req.disjoint || usable.front()->dedicated_only) {
            for (uint32_t p = 0; p < info->plane_count; ++p) {
                auto chosen = builder.add_image(specs[p]);
                if (!chosen) return std::move(chosen).error().context(what + ": plane " + std::to_string(p));
            }
        } else if (auto r = builder.add_images_in_one_memory(specs, req.stride_align); !r) {
            return std::move(r).error().context(what);
        }
    } else {
        ImageSpec spec{.format = info->vk_format,
                       .extent = {req.width, req.height},
                       .modifiers = modifiers,
                       .explicit_layout = layout,
                       .disjoint = disjoint,
                       .usage = usage,
                       .memory_offset = req.plane_offset};
        auto chosen = builder.add_image(spec);
        if (!chosen) return std::move(chosen).error().context(what);
        buffer->set_modifier(*chosen);
    }
    log::debug("%s: %s, %zu plane(s), %s in %zu memor%s, usage %s", what.c_str(), dmafeed::name(buffer->modifier()).c_str(),
               buffer->planes().size(), per_plane ? "one image per plane" : "one image", buffer->memories().size(),
               buffer->memories().size() == 1 ? "y" : "ies", vk::usage_string(usage).c_str());
    return std::unique_ptr<Buffer>{std::move(buffer)};
}

}  // namespace dmafeed
