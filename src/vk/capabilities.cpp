#include "vk/capabilities.hpp"

#include "drm/format_info.hpp"
#include "util/log.hpp"

#include <algorithm>

namespace dmafeed::vk {
namespace {

// The modifiers the driver lists for `format` with their tiling features: from
// VkDrmFormatModifierPropertiesList2EXT (64-bit features) where the device has format_feature_flags2,
// else, or when that list comes back empty, from VkDrmFormatModifierPropertiesListEXT.
std::vector<DriverModifier> list_modifiers(VkPhysicalDevice device, bool flags2, VkFormat format)
{
    std::vector<DriverModifier> out;
    if (flags2) {
        VkDrmFormatModifierPropertiesList2EXT list{.sType = VK_STRUCTURE_TYPE_DRM_FORMAT_MODIFIER_PROPERTIES_LIST_2_EXT};
        VkFormatProperties2 props{.sType = VK_STRUCTURE_TYPE_FORMAT_PROPERTIES_2, .pNext = &list};
        vkGetPhysicalDeviceFormatProperties2(device, format, &props);
        std::vector<VkDrmFormatModifierProperties2EXT> mods(list.drmFormatModifierCount);
        list.pDrmFormatModifierProperties = mods.data();
        vkGetPhysicalDeviceFormatProperties2(device, format, &props);
        for (uint32_t i = 0; i < list.drmFormatModifierCount; ++i) {
            out.push_back({DrmModifier{mods[i].drmFormatModifier}, mods[i].drmFormatModifierPlaneCount,
                           mods[i].drmFormatModifierTilingFeatures});
        }
        if (!out.empty()) return out;
    }
    VkDrmFormatModifierPropertiesListEXT list{.sType = VK_STRUCTURE_TYPE_DRM_FORMAT_MODIFIER_PROPERTIES_LIST_EXT};
    VkFormatProperties2 props{.sType = VK_STRUCTURE_TYPE_FORMAT_PROPERTIES_2, .pNext = &list};
    vkGetPhysicalDeviceFormatProperties2(device, format, &props);
    std::vector<VkDrmFormatModifierPropertiesEXT> mods(list.drmFormatModifierCount);
    list.pDrmFormatModifierProperties = mods.data();
    vkGetPhysicalDeviceFormatProperties2(device, format, &props);
    for (uint32_t i = 0; i < list.drmFormatModifierCount; ++i) {
        out.push_back({DrmModifier{mods[i].drmFormatModifier}, mods[i].drmFormatModifierPlaneCount,
                       mods[i].drmFormatModifierTilingFeatures});
    }
    return out;
}

struct ImageSupport {
    VkExtent2D max_extent{};
    bool dedicated_only = false;  // its export needs a dedicated allocation
};

// The spec's test for one (VkFormat, modifier, usage, flags): supported and EXPORTABLE as `handle`.
std::optional<ImageSupport> exportable(VkPhysicalDevice device, VkFormat format, DrmModifier modifier,
                                       VkImageUsageFlags usage, VkImageCreateFlags flags,
                                       VkExternalMemoryHandleTypeFlagBits handle)
{
    const auto support = external_image_support(device, format, modifier, usage, flags, handle);
    if (!support || !(support->features & VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT)) return std::nullopt;
    return ImageSupport{support->max_extent, (support->features & VK_EXTERNAL_MEMORY_FEATURE_DEDICATED_ONLY_BIT) != 0};
}

// Usage bits need matching format features; leave out pairs that cannot do what was asked.
bool features_cover(VkFormatFeatureFlags2 features, VkImageUsageFlags usage)
{
    const auto need = [&](VkImageUsageFlags u, VkFormatFeatureFlags2 f) { return !(usage & u) || (features & f); };
    return need(VK_IMAGE_USAGE_TRANSFER_DST_BIT, VK_FORMAT_FEATURE_2_TRANSFER_DST_BIT) &&
           need(VK_IMAGE_USAGE_TRANSFER_SRC_BIT, VK_FORMAT_FEATURE_2_TRANSFER_SRC_BIT) &&
           need(VK_IMAGE_USAGE_STORAGE_BIT, VK_FORMAT_FEATURE_2_STORAGE_IMAGE_BIT) &&
           need(VK_IMAGE_USAGE_SAMPLED_BIT, VK_FORMAT_FEATURE_2_SAMPLED_IMAGE_BIT) &&
           need(VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT, VK_FORMAT_FEATURE_2_COLOR_ATTACHMENT_BIT);
}

}  // namespace

std::optional<ExternalImageSupport> external_image_support(VkPhysicalDevice device, VkFormat format, DrmModifier modifier,
                                                           VkImageUsageFlags usage, VkImageCreateFlags flags,
                                                           VkExternalMemoryHandleTypeFlagBits handle)
{
    VkPhysicalDeviceImageDrmFormatModifierInfoEXT mod_info{
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_IMAGE_DRM_FORMAT_MODIFIER_INFO_EXT,
        .drmFormatModifier = modifier.value(),
        .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    VkPhysicalDeviceExternalImageFormatInfo ext_info{.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_IMAGE_FORMAT_INFO,
                                                     .pNext = &mod_info,
                                                     .handleType = handle};
    VkPhysicalDeviceImageFormatInfo2 info{.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_IMAGE_FORMAT_INFO_2,
                                          .pNext = &ext_info,
                                          .format = format,
                                          .type = VK_IMAGE_TYPE_2D,
                                          .tiling = VK_IMAGE_TILING_DRM_FORMAT_MODIFIER_EXT,
                                          .usage = usage,
                                          .flags = flags};
    VkExternalImageFormatProperties ext_props{.sType = VK_STRUCTURE_TYPE_EXTERNAL_IMAGE_FORMAT_PROPERTIES};
    VkImageFormatProperties2 props{.sType = VK_STRUCTURE_TYPE_IMAGE_FORMAT_PROPERTIES_2, .pNext = &ext_props};
    if (vkGetPhysicalDeviceImageFormatProperties2(device, &info, &props) != VK_SUCCESS) {
        return std::nullopt;
    }
    const VkExtent3D e = props.imageFormatProperties.maxExtent;
    return ExternalImageSupport{{e.width, e.height}, ext_props.externalMemoryProperties.externalMemoryFeatures};
}

std::vector<DriverModifier> driver_modifiers(VkPhysicalDevice device, uint32_t api_version, VkFormat format)
{
    return list_modifiers(device, api_version >= VK_API_VERSION_1_3, format);
}

uint32_t modifier_plane_count(VkPhysicalDevice device, uint32_t api_version, VkFormat format, DrmModifier modifier)
{
    for (const DriverModifier& m : driver_modifiers(device, api_version, format)) {
        if (m.modifier == modifier) return m.planes;
    }
    return 0;
}

const PairCapability* ExportCapabilities::find(const FormatModifier& pair) const
{
    const auto it = std::find_if(pairs.begin(), pairs.end(), [&](const PairCapability& c) { return c.pair == pair; });
    return it == pairs.end() ? nullptr : &*it;
}

std::string usage_string(VkImageUsageFlags usage)
{
    std::string out;
    const auto add = [&](VkImageUsageFlags bit, const char* name) {
        if (usage & bit) out += (out.empty() ? "" : "|") + std::string{name};
    };
    add(VK_IMAGE_USAGE_TRANSFER_SRC_BIT, "TRANSFER_SRC");
    add(VK_IMAGE_USAGE_TRANSFER_DST_BIT, "TRANSFER_DST");
    add(VK_IMAGE_USAGE_SAMPLED_BIT, "SAMPLED");
    add(VK_IMAGE_USAGE_STORAGE_BIT, "STORAGE");
    add(VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT, "COLOR_ATTACHMENT");
    add(VK_IMAGE_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT, "DEPTH_STENCIL_ATTACHMENT");
    add(VK_IMAGE_USAGE_INPUT_ATTACHMENT_BIT, "INPUT_ATTACHMENT");
    constexpr VkImageUsageFlags named = VK_IMAGE_USAGE_TRANSFER_SRC_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT |
                                        VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_STORAGE_BIT |
                                        VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT |
                                        VK_IMAGE_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT | VK_IMAGE_USAGE_INPUT_ATTACHMENT_BIT;
    if (usage & ~named) out += (out.empty() ? "" : "|") + log::format("0x%x", usage & ~named);
    return out.empty() ? "0" : out;
}

Result<ExportCapabilities> query_export_capabilities(VkPhysicalDevice device, uint32_t api_version,
                                                     VkImageUsageFlags usage, VkImageUsageFlags extra_usage,
                                                     VkExternalMemoryHandleTypeFlagBits handle)
{
    const auto exportable = [handle](VkPhysicalDevice d, VkFormat f, DrmModifier m, VkImageUsageFlags u,
                                     VkImageCreateFlags flags) { return dmafeed::vk::exportable(d, f, m, u, flags, handle); };
    ExportCapabilities caps;
    caps.handle_type = handle;
    caps.usage = usage;
    caps.extra_usage = extra_usage;
    const VkImageUsageFlags more = usage | extra_usage;
    const bool flags2 = api_version >= VK_API_VERSION_1_3;
    for (const FormatInfo& info : known_formats()) {
        // Per-plane path (YUV): every plane's own VkFormat exportable with the same modifier.
        std::vector<PairCapability> per_plane;
        if (info.plane_count > 1) {
            std::vector<DriverModifier> common = list_modifiers(device, flags2, info.planes[0].vk_format);
            for (const DriverModifier& cm : common) {
                bool ok = true;
                bool storage = extra_usage != 0;
                bool dedicated_only = false;
                VkExtent2D extent{UINT32_MAX, UINT32_MAX};
                for (uint32_t p = 0; p < info.plane_count && ok; ++p) {
                    const PlaneInfo& plane = info.planes[p];
                    const auto mods = list_modifiers(device, flags2, plane.vk_format);
                    const auto it = std::find_if(mods.begin(), mods.end(), [&](const DriverModifier& d) {
                        return d.modifier == cm.modifier && d.planes == 1;
                    });
                    auto support = it != mods.end() && features_cover(it->features, usage)
                                       ? exportable(device, plane.vk_format, cm.modifier, usage, 0)
                                       : std::nullopt;
                    ok = support.has_value();
                    storage = storage && ok && features_cover(it->features, more) &&
                              exportable(device, plane.vk_format, cm.modifier, more, 0);
                    if (ok) {
                        dedicated_only = dedicated_only || support->dedicated_only;
                        extent.width = std::min(extent.width, support->max_extent.width * plane.h_subsampling);
                        extent.height = std::min(extent.height, support->max_extent.height * plane.v_subsampling);
                    }
                }
                if (ok) per_plane.push_back({{info.format, cm.modifier}, 1, true, cm.features, extent, false, storage, dedicated_only});
            }
        }
        // A pair that per-plane images can make is made so, not as one multi-planar image: the
        // pattern shader draws one image per plane, and the multi-planar path is not to be trusted
        // everywhere (Mesa 26.2's lavapipe reports memory-plane layouts of multi-planar
        // DRM-modifier images that do not hold what was copied into plane 1).
        const auto made_per_plane = [&](DrmModifier m) {
            return std::any_of(per_plane.begin(), per_plane.end(), [&](const PairCapability& c) { return c.pair.modifier == m; });
        };
        // Whole-image path: the format's own VkFormat (multi-planar for YUV where one exists).
        if (info.vk_format != VK_FORMAT_UNDEFINED) {
            for (const DriverModifier& dm : list_modifiers(device, flags2, info.vk_format)) {
                log::debug("%s %s: %u plane(s), tiling features 0x%llx", name(info.format).c_str(),
                           name(dm.modifier).c_str(), dm.planes, static_cast<unsigned long long>(dm.features));
                if (!features_cover(dm.features, usage) || made_per_plane(dm.modifier)) continue;
                auto support = exportable(device, info.vk_format, dm.modifier, usage, 0);
                if (!support) continue;
                // Disjoint planes each get memory of their own, which cannot be dedicated to the image
                // (VUID-VkMemoryDedicatedAllocateInfo-image-01797): not where export needs dedicated.
                const auto disjoint_support =
                    info.plane_count > 1 && (dm.features & VK_FORMAT_FEATURE_2_DISJOINT_BIT)
                        ? exportable(device, info.vk_format, dm.modifier, usage, VK_IMAGE_CREATE_DISJOINT_BIT)
                        : std::nullopt;
                const bool disjoint = disjoint_support && !disjoint_support->dedicated_only;
                const bool storage = extra_usage != 0 && features_cover(dm.features, more) &&
                                     exportable(device, info.vk_format, dm.modifier, more, 0);
                if (caps.exportable.add(info.format, dm.modifier)) {
                    caps.pairs.push_back({{info.format, dm.modifier}, dm.planes, false, dm.features, support->max_extent,
                                          disjoint, storage, support->dedicated_only});
                }
            }
        }
        for (PairCapability& c : per_plane) {
            if (caps.exportable.add(c.pair)) caps.pairs.push_back(std::move(c));
        }
    }
    return caps;
}

}  // namespace dmafeed::vk
