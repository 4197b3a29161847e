// A logical Vulkan device for exporting dma-bufs: the required extensions enabled, one queue that
// can do transfers and compute, and the extension entry points loaded. VK_KHR_external_semaphore_fd
// is enabled where the device exports binary semaphores as sync_files (lavapipe in the VM does; on
// a kernel without a dma-fence provider it reports no export).
#pragma once

#include "util/result.hpp"
#include "vk/instance.hpp"
#include "vk/physical_device.hpp"

#include <memory>
#include <optional>
#include <vulkan/vulkan.h>

namespace dmafeed::vk {

struct DeviceFunctions {
    PFN_vkGetMemoryFdKHR get_memory_fd = nullptr;
    PFN_vkGetMemoryFdPropertiesKHR get_memory_fd_properties = nullptr;
    PFN_vkGetImageDrmFormatModifierPropertiesEXT get_image_drm_format_modifier_properties = nullptr;
    // VK_KHR_external_semaphore_fd, when the device can export binary semaphores as sync_files.
    PFN_vkGetSemaphoreFdKHR get_semaphore_fd = nullptr;
};

class Device {
public:
    // The instance that `physical` came from must outlive the device. `handle_type`: what memory
    // is exported as (vk::ExportCapabilities::handle_type); OPAQUE_FD leaves
    // VK_EXT_external_memory_dma_buf out.
    static Result<std::unique_ptr<Device>> create(
        const PhysicalDeviceInfo& physical,
        VkExternalMemoryHandleTypeFlagBits handle_type = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT);

    Device(const Device&) = delete;
    Device& operator=(const Device&) = delete;
    // Waits for the device to be idle, then destroys it. Not a vk::Unique: the device is the parent
    // of what those own (vkDestroyDevice takes no device to belong to), and the wait comes first.
    ~Device();

    VkDevice handle() const noexcept { return device_; }
    VkPhysicalDevice physical_handle() const noexcept { return info_.handle; }
    const PhysicalDeviceInfo& info() const noexcept { return info_; }
    uint32_t queue_family() const noexcept { return queue_family_; }
    VkQueue queue() const noexcept { return queue_; }
    const DeviceFunctions& fn() const noexcept { return fn_; }
    const VkPhysicalDeviceMemoryProperties& memory_properties() const noexcept { return memory_properties_; }
    // Binary semaphores can be exported as sync_file fds (VK_KHR_external_semaphore_fd with
    // SYNC_FD export): rendering can be handed over with a fence instead of a CPU wait.
    bool exports_sync_files() const noexcept { return fn_.get_semaphore_fd != nullptr; }
    // shaderStorageImageWriteWithoutFormat is enabled: a compute shader can store into a storage
    // image of any format through one `image2D` without a format qualifier (the GPU patterns).
    bool stores_without_format() const noexcept { return stores_without_format_; }

    // The first memory type in `type_bits` with all of `required` (and preferring `preferred`);
    // nullopt when none.
    std::optional<uint32_t> memory_type(uint32_t type_bits, VkMemoryPropertyFlags required,
                                        VkMemoryPropertyFlags preferred = 0) const;

private:
    Device(PhysicalDeviceInfo info, VkDevice device, uint32_t queue_family);
    PhysicalDeviceInfo info_;
    VkDevice device_ = VK_NULL_HANDLE;
    uint32_t queue_family_ = 0;
    VkQueue queue_ = VK_NULL_HANDLE;
    DeviceFunctions fn_;
    VkPhysicalDeviceMemoryProperties memory_properties_{};
    bool stores_without_format_ = false;
};

// An instance and the device select_device() picks for `wanted` (the compositor's DRM device),
// created: where every allocator set-up starts.
struct OpenedDevice {
    Instance instance;
    std::unique_ptr<Device> device;  // after the instance: destroyed first
    bool matched = false;            // the device is `wanted` (not a fallback such as lavapipe)
};
Result<OpenedDevice> open_device(std::optional<dev_t> wanted, const InstanceOptions& options);

}  // namespace dmafeed::vk
