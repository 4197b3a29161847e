// What a Vulkan physical device is and offers, and the choice of one for a DRM device.
//
// dmafeed needs, on API 1.2 or newer: VK_KHR_external_memory_fd, VK_EXT_external_memory_dma_buf,
// VK_EXT_image_drm_format_modifier and VK_EXT_queue_family_foreign. VK_EXT_physical_device_drm
// (optional) tells which DRM device a Vulkan device is, so that it can follow the compositor's
// main or target device.
#pragma once

#include "drm/device.hpp"
#include "util/result.hpp"

#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>
#include <vulkan/vulkan.h>

namespace dmafeed::vk {

inline constexpr const char* required_device_extensions[] = {
    VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME,
    VK_EXT_EXTERNAL_MEMORY_DMA_BUF_EXTENSION_NAME,
    VK_EXT_IMAGE_DRM_FORMAT_MODIFIER_EXTENSION_NAME,
    VK_EXT_QUEUE_FAMILY_FOREIGN_EXTENSION_NAME,
};

struct PhysicalDeviceInfo {
    VkPhysicalDevice handle = VK_NULL_HANDLE;
    std::string name;                  // deviceName, e.g. "llvmpipe (LLVM 19.1.7, 256 bits)"
    std::string driver;                // driverName, e.g. "llvmpipe"
    VkPhysicalDeviceType type = VK_PHYSICAL_DEVICE_TYPE_OTHER;
    uint32_t api_version = 0;
    std::vector<std::string> extensions;
    std::optional<dev_t> primary_node;  // from VK_EXT_physical_device_drm
    std::optional<dev_t> render_node;

    bool has_extension(std::string_view name) const;
    // What keeps this device from being used, in words ("VK_EXT_image_drm_format_modifier", "API 1.1 < 1.2").
    // With OPAQUE_FD (the gpu tier's stand-in, vk::ExportCapabilities::handle_type),
    // VK_EXT_external_memory_dma_buf is not needed.
    std::vector<std::string> missing(
        VkExternalMemoryHandleTypeFlagBits handle_type = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT) const;
};

PhysicalDeviceInfo query_physical_device(VkPhysicalDevice device);

// Whether two dev_t name one DRM device. Every caller uses drm::same_device (libdrm's
// drmDevicesEqual over both nodes); unit tests pass a fake topology. A plain function pointer: there
// is no empty state to call.
using SameDrmDevice = bool (*)(dev_t, dev_t);

struct DeviceChoice {
    size_t index = 0;     // into the candidates
    bool matched = false;  // chosen because it is the wanted DRM device
    std::string reason;   // one sentence for the log
};

// Picks the device to use.
//  1. Only devices with nothing missing qualify; none: an error listing each device and what it lacks.
//  2. With `wanted`: the first qualifying device whose primary or render node is the same DRM
//     device as `wanted`.
//  3. Otherwise (no `wanted`, no match, or no VK_EXT_physical_device_drm): by type, discrete GPU >
//     integrated GPU > virtual GPU > CPU > other, then enumeration order; the reason says why no
//     match was possible.
Result<DeviceChoice> select_device(const std::vector<PhysicalDeviceInfo>& candidates, std::optional<dev_t> wanted,
                                   SameDrmDevice same_drm_device = drm::same_device);

std::string device_type_name(VkPhysicalDeviceType type);

}  // namespace dmafeed::vk
