#include "vk/physical_device.hpp"

#include "drm/device.hpp"

#include <algorithm>
#include <cstring>
#include <sys/sysmacros.h>

namespace dmafeed::vk {
namespace {

int type_rank(VkPhysicalDeviceType type)
{
    switch (type) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return 0;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return 1;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return 2;
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return 3;
    default: return 4;
    }
}

std::string version_string(uint32_t v)
{
    return std::to_string(VK_API_VERSION_MAJOR(v)) + "." + std::to_string(VK_API_VERSION_MINOR(v));
}

}  // namespace

std::string device_type_name(VkPhysicalDeviceType type)
{
    switch (type) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return "discrete GPU";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return "integrated GPU";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return "virtual GPU";
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return "CPU";
    default: return "other";
    }
}

bool PhysicalDeviceInfo::has_extension(std::string_view ext) const
{
    return std::find(extensions.begin(), extensions.end(), ext) != extensions.end();
}

std::vector<std::string> PhysicalDeviceInfo::missing(VkExternalMemoryHandleTypeFlagBits handle_type) const
{
    std::vector<std::string> out;
    if (api_version < VK_API_VERSION_1_2) {
        out.push_back("API " + version_string(api_version) + " < 1.2");
    }
    for (const char* ext : required_device_extensions) {
        if (handle_type != VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT &&
            std::string_view{ext} == VK_EXT_EXTERNAL_MEMORY_DMA_BUF_EXTENSION_NAME) {
            continue;
        }
        if (!has_extension(ext)) {
            out.emplace_back(ext);
        }
    }
    return out;
}

PhysicalDeviceInfo query_physical_device(VkPhysicalDevice device)
{
    PhysicalDeviceInfo info;
    info.handle = device;
    uint32_t n = 0;
    if (vkEnumerateDeviceExtensionProperties(device, nullptr, &n, nullptr) == VK_SUCCESS) {
        std::vector<VkExtensionProperties> exts(n);
        if (vkEnumerateDeviceExtensionProperties(device, nullptr, &n, exts.data()) == VK_SUCCESS) {
            for (uint32_t i = 0; i < n; ++i) {
                info.extensions.emplace_back(exts[i].extensionName);
            }
        }
    }
    const bool has_drm = info.has_extension(VK_EXT_PHYSICAL_DEVICE_DRM_EXTENSION_NAME);
    VkPhysicalDeviceDrmPropertiesEXT drm{.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRM_PROPERTIES_EXT};
    VkPhysicalDeviceDriverProperties driver{.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES,
                                            .pNext = has_drm ? &drm : nullptr};
    VkPhysicalDeviceProperties2 props{.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, .pNext = &driver};
    vkGetPhysicalDeviceProperties2(device, &props);
    info.name = props.properties.deviceName;
    info.driver = driver.driverName;
    info.type = props.properties.deviceType;
    info.api_version = props.properties.apiVersion;
    if (has_drm && drm.hasPrimary) {
        info.primary_node = makedev(static_cast<unsigned>(drm.primaryMajor), static_cast<unsigned>(drm.primaryMinor));
    }
    if (has_drm && drm.hasRender) {
        info.render_node = makedev(static_cast<unsigned>(drm.renderMajor), static_cast<unsigned>(drm.renderMinor));
    }
    return info;
}

Result<DeviceChoice> select_device(const std::vector<PhysicalDeviceInfo>& candidates, std::optional<dev_t> wanted,
                                   SameDrmDevice same_drm_device)
{
    std::vector<size_t> qualified;
    std::string lacking;
    for (size_t i = 0; i < candidates.size(); ++i) {
        const auto miss = candidates[i].missing();
        if (miss.empty()) {
            qualified.push_back(i);
            continue;
        }
        lacking += "\n  " + candidates[i].name + " (" + candidates[i].driver + "): lacks ";
        for (size_t m = 0; m < miss.size(); ++m) {
            lacking += (m ? ", " : "") + miss[m];
        }
    }
    if (qualified.empty()) {
        if (candidates.empty()) {
            return Error{"no Vulkan device found (is a Vulkan driver such as mesa-vulkan-drivers installed?)"};
        }
        return Error{"no Vulkan device can export dma-bufs with DRM format modifiers:" + lacking};
    }

    std::string why_no_match;
    if (wanted && same_drm_device == nullptr) {
        return Error{"select_device: no DRM device matcher given"};
    }
    if (wanted) {
        const std::string want_desc = drm::describe_device(*wanted);
        bool any_drm_info = false;
        for (size_t i : qualified) {
            const auto& c = candidates[i];
            any_drm_info = any_drm_info || c.primary_node || c.render_node;
            const bool match = (c.render_node && same_drm_device(*c.render_node, *wanted)) ||
                               (c.primary_node && same_drm_device(*c.primary_node, *wanted));
            if (match) {
                return DeviceChoice{i, true, "picked " + c.name + ": it is the DRM device " + want_desc};
            }
        }
        why_no_match = any_drm_info ? "no Vulkan device is the DRM device " + want_desc
                                    : "no Vulkan device reports its DRM node (VK_EXT_physical_device_drm), so "
                                      "none can be matched to " + want_desc;
    }
    const size_t best = *std::min_element(qualified.begin(), qualified.end(), [&](size_t a, size_t b) {
        return type_rank(candidates[a].type) < type_rank(candidates[b].type);
    });
    std::string reason = "picked " + candidates[best].name + " (" + device_type_name(candidates[best].type) +
                         ") by type: discrete > integrated > virtual > CPU";
    if (!why_no_match.empty()) {
        reason = why_no_match + "; " + reason;
    }
    return DeviceChoice{best, false, reason};
}

}  // namespace dmafeed::vk
