// The Vulkan instance dmafeed uses: API 1.2 or newer, optional validation layer.
#pragma once

#include "util/result.hpp"

#include <vector>
#include <vulkan/vulkan.h>

namespace dmafeed::vk {

struct InstanceOptions {
    // Enable VK_LAYER_KHRONOS_validation when installed (also: DMAFEED_VK_VALIDATION=1).
    bool validation = false;
    const char* application_name = "dmafeed";
};

class Instance {
public:
    static constexpr uint32_t min_api_version = VK_API_VERSION_1_2;

    static Result<Instance> create(const InstanceOptions& options = {});

    Instance(Instance&& o) noexcept;
    Instance& operator=(Instance&&) = delete;
    Instance(const Instance&) = delete;
    Instance& operator=(const Instance&) = delete;
    ~Instance();

    VkInstance handle() const noexcept { return instance_; }
    bool validation_enabled() const noexcept { return validation_; }
    Result<std::vector<VkPhysicalDevice>> physical_devices() const;

private:
    Instance(VkInstance instance, bool validation) : instance_{instance}, validation_{validation} {}
    VkInstance instance_ = VK_NULL_HANDLE;
    bool validation_ = false;
};

}  // namespace dmafeed::vk
