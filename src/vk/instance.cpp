#include "vk/instance.hpp"

#include "util/log.hpp"
#include "vk/vk_error.hpp"

#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>

namespace dmafeed::vk {
namespace {

constexpr const char* validation_layer = "VK_LAYER_KHRONOS_validation";

bool layer_available(const char* name)
{
    uint32_t n = 0;
    if (vkEnumerateInstanceLayerProperties(&n, nullptr) != VK_SUCCESS) {
        return false;
    }
    std::vector<VkLayerProperties> layers(n);
    if (vkEnumerateInstanceLayerProperties(&n, layers.data()) != VK_SUCCESS) {
        return false;
    }
    for (const auto& l : layers) {
        if (std::strcmp(l.layerName, name) == 0) {
            return true;
        }
    }
    return false;
}

std::string version_string(uint32_t v)
{
    return std::to_string(VK_API_VERSION_MAJOR(v)) + "." + std::to_string(VK_API_VERSION_MINOR(v)) + "." +
           std::to_string(VK_API_VERSION_PATCH(v));
}

}  // namespace

Result<Instance> Instance::create(const InstanceOptions& options)
{
    uint32_t loader_version = VK_API_VERSION_1_0;
    if (vkEnumerateInstanceVersion(&loader_version) != VK_SUCCESS || loader_version < min_api_version) {
        return Error{"the Vulkan loader supports API " + version_string(loader_version) + ", dmafeed needs " +
                     version_string(min_api_version) + " or newer"};
    }
    const char* env = std::getenv("DMAFEED_VK_VALIDATION");
    bool validation = options.validation || (env && std::strcmp(env, "1") == 0);
    if (validation && !layer_available(validation_layer)) {
        log::warning("%s is not installed; running without validation", validation_layer);
        validation = false;
    }
    VkApplicationInfo app{.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                          .pApplicationName = options.application_name,
                          .applicationVersion = 1,
                          .pEngineName = "dmafeed",
                          .engineVersion = 1,
                          .apiVersion = VK_API_VERSION_1_3};
    VkInstanceCreateInfo ci{.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                            .pApplicationInfo = &app,
                            .enabledLayerCount = validation ? 1U : 0U,
                            .ppEnabledLayerNames = validation ? &validation_layer : nullptr};
    VkInstance instance = VK_NULL_HANDLE;
    if (const VkResult r = vkCreateInstance(&ci, nullptr, &instance); r != VK_SUCCESS) {
        return vk_error("vkCreateInstance", r);
    }
    return Instance{instance, validation};
}

Instance::Instance(Instance&& o) noexcept
    : instance_{std::exchange(o.instance_, VK_NULL_HANDLE)}, validation_{o.validation_}
{
}

Instance::~Instance()
{
    if (instance_) {
        vkDestroyInstance(instance_, nullptr);
    }
}

Result<std::vector<VkPhysicalDevice>> Instance::physical_devices() const
{
    uint32_t n = 0;
    if (const VkResult r = vkEnumeratePhysicalDevices(instance_, &n, nullptr); r != VK_SUCCESS) {
        return vk_error("vkEnumeratePhysicalDevices", r);
    }
    std::vector<VkPhysicalDevice> devices(n);
    if (const VkResult r = vkEnumeratePhysicalDevices(instance_, &n, devices.data()); r != VK_SUCCESS && r != VK_INCOMPLETE) {
        return vk_error("vkEnumeratePhysicalDevices", r);
    }
    devices.resize(n);
    return devices;
}

}  // namespace dmafeed::vk
