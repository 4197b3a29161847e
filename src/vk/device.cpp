#include "vk/device.hpp"

#include "util/log.hpp"
#include "vk/vk_error.hpp"

#include <type_traits>
#include <vector>

namespace dmafeed::vk {
namespace {

bool exports_sync_fd_semaphores(const PhysicalDeviceInfo& physical)
{
    if (!physical.has_extension(VK_KHR_EXTERNAL_SEMAPHORE_FD_EXTENSION_NAME)) return false;
    VkPhysicalDeviceExternalSemaphoreInfo info{.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_SEMAPHORE_INFO,
                                               .handleType = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_SYNC_FD_BIT};
    VkExternalSemaphoreProperties props{.sType = VK_STRUCTURE_TYPE_EXTERNAL_SEMAPHORE_PROPERTIES};
    vkGetPhysicalDeviceExternalSemaphoreProperties(physical.handle, &info, &props);
    return (props.externalSemaphoreFeatures & VK_EXTERNAL_SEMAPHORE_FEATURE_EXPORTABLE_BIT) != 0;
}

}  // namespace

Result<std::unique_ptr<Device>> Device::create(const PhysicalDeviceInfo& physical,
                                               VkExternalMemoryHandleTypeFlagBits handle_type)
{
    const bool dma_buf = handle_type == VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT;
    if (const auto miss = physical.missing(handle_type); !miss.empty()) {
        return Error{physical.name + (dma_buf ? " cannot export dma-bufs: lacks " : " cannot export memory: lacks ") +
                     miss.front()};
    }
    uint32_t n = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(physical.handle, &n, nullptr);
    std::vector<VkQueueFamilyProperties> families(n);
    vkGetPhysicalDeviceQueueFamilyProperties(physical.handle, &n, families.data());
    std::optional<uint32_t> family;
    for (uint32_t i = 0; i < n && !family; ++i) {
        if (families[i].queueFlags & VK_QUEUE_COMPUTE_BIT) {  // compute implies transfer
            family = i;
        }
    }
    if (!family) {
        return Error{physical.name + " has no queue family with compute"};
    }
    const float priority = 1.0F;
    VkDeviceQueueCreateInfo queue_info{.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                       .queueFamilyIndex = *family,
                                       .queueCount = 1,
                                       .pQueuePriorities = &priority};
    std::vector<const char*> extensions;
    for (const char* ext : required_device_extensions) {
        if (dma_buf || std::string_view{ext} != VK_EXT_EXTERNAL_MEMORY_DMA_BUF_EXTENSION_NAME) extensions.push_back(ext);
    }
    const bool sync_fd = exports_sync_fd_semaphores(physical);
    if (sync_fd) extensions.push_back(VK_KHR_EXTERNAL_SEMAPHORE_FD_EXTENSION_NAME);
    VkPhysicalDeviceFeatures supported{};
    vkGetPhysicalDeviceFeatures(physical.handle, &supported);
    VkPhysicalDeviceFeatures features{};
    features.shaderStorageImageWriteWithoutFormat = supported.shaderStorageImageWriteWithoutFormat;
    VkDeviceCreateInfo ci{.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                          .queueCreateInfoCount = 1,
                          .pQueueCreateInfos = &queue_info,
                          .enabledExtensionCount = static_cast<uint32_t>(extensions.size()),
                          .ppEnabledExtensionNames = extensions.data(),
                          .pEnabledFeatures = &features};
    VkDevice device = VK_NULL_HANDLE;
    if (const VkResult r = vkCreateDevice(physical.handle, &ci, nullptr, &device); r != VK_SUCCESS) {
        return vk_error("vkCreateDevice on " + physical.name, r);
    }
    std::unique_ptr<Device> out{new Device{physical, device, *family}};
    out->stores_without_format_ = features.shaderStorageImageWriteWithoutFormat == VK_TRUE;
    auto load = [&](auto& fn, const char* name) {
        fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(vkGetDeviceProcAddr(device, name));
        return fn != nullptr;
    };
    if (!load(out->fn_.get_memory_fd, "vkGetMemoryFdKHR") ||
        !load(out->fn_.get_memory_fd_properties, "vkGetMemoryFdPropertiesKHR") ||
        !load(out->fn_.get_image_drm_format_modifier_properties, "vkGetImageDrmFormatModifierPropertiesEXT")) {
        return Error{physical.name + ": an extension entry point is missing although the extension is listed"};
    }
    if (sync_fd && !load(out->fn_.get_semaphore_fd, "vkGetSemaphoreFdKHR")) out->fn_.get_semaphore_fd = nullptr;
    return out;
}

Result<OpenedDevice> open_device(std::optional<dev_t> wanted, const InstanceOptions& options)
{
    auto instance = Instance::create(options);
    if (!instance) return std::move(instance).error();
    auto handles = instance->physical_devices();
    if (!handles) return std::move(handles).error();
    std::vector<PhysicalDeviceInfo> infos;
    for (VkPhysicalDevice h : *handles) infos.push_back(query_physical_device(h));
    auto choice = select_device(infos, wanted);
    if (!choice) return std::move(choice).error();
    log::debug("vulkan: %s", choice->reason.c_str());
    auto device = Device::create(infos[choice->index]);
    if (!device) return std::move(device).error();
    return OpenedDevice{std::move(*instance), std::move(*device), choice->matched};
}

Device::Device(PhysicalDeviceInfo info, VkDevice device, uint32_t queue_family)
    : info_{std::move(info)}, device_{device}, queue_family_{queue_family}
{
    vkGetDeviceQueue(device_, queue_family_, 0, &queue_);
    vkGetPhysicalDeviceMemoryProperties(info_.handle, &memory_properties_);
}

Device::~Device()
{
    if (device_) {
        vkDeviceWaitIdle(device_);
        vkDestroyDevice(device_, nullptr);
    }
}

std::optional<uint32_t> Device::memory_type(uint32_t type_bits, VkMemoryPropertyFlags required,
                                            VkMemoryPropertyFlags preferred) const
{
    std::optional<uint32_t> fallback;
    for (uint32_t i = 0; i < memory_properties_.memoryTypeCount; ++i) {
        const VkMemoryPropertyFlags flags = memory_properties_.memoryTypes[i].propertyFlags;
        if (!(type_bits & (1U << i)) || (flags & required) != required) continue;
        if ((flags & preferred) == preferred) return i;
        if (!fallback) fallback = i;
    }
    return fallback;
}

}  // namespace dmafeed::vk
