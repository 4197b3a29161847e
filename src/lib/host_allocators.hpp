// The allocators of libdmafeed: those of producer::system_allocators (Vulkan and GBM importing
// into the same Vulkan device, in the order of producer::gbm_first), but with the Vulkan device
// shared with the host, which
// renders into the frames' images with its own commands:
//  - the images are made for the usage the host asks for (Config::vulkan_usage) on top of
//    TRANSFER_DST, so only (format, modifier) pairs exportable for that usage are negotiated;
//  - each context tells which Vulkan device its buffers' images belong to (SharedVulkan), with the
//    handles the public API publishes (dmafeed::VulkanDevice).
// The library never fills buffers through the contexts (hosts write through CPU pointers or their
// own Vulkan commands), so the contexts keep no uploader.
#pragma once

#include "dmafeed/dmafeed.hpp"
#include "producer/allocators.hpp"
#include "vk/device.hpp"
#include "vk/instance.hpp"

#include <memory>
#include <optional>
#include <vector>
#include <vulkan/vulkan.h>

namespace dmafeed::lib {

// One Vulkan instance and device, shared by the contexts of one target device and the host.
struct SharedVulkan {
    std::optional<vk::Instance> instance;
    std::unique_ptr<vk::Device> device;  // after the instance: destroyed first
    VulkanDevice handles;                // what the host gets
    std::string name;                    // the physical device's
    bool matched = false;                // it is the DRM device the compositor named
};

class HostContext : public producer::AllocatorContext {
public:
    // The Vulkan device the buffers' images belong to; nullptr when there is none (GBM alone, its
    // buffers filled through CPU mappings).
    virtual const SharedVulkan* vulkan() const noexcept = 0;
    // What the images are made for.
    VkImageUsageFlags usage() const noexcept { return usage_; }

protected:
    explicit HostContext(VkImageUsageFlags usage) : usage_{usage} {}

private:
    VkImageUsageFlags usage_ = 0;
};

// The Vulkan devices the factory made, in order (the first is for the compositor's preferred
// target device). Shared by the factory and the producer's owner; the devices belong to the
// contexts, which the producer owns.
struct SharedVulkanList {
    std::vector<const SharedVulkan*> devices;
};

struct HostAllocators {
    producer::AllocatorFactory factory;
    std::shared_ptr<SharedVulkanList> made;
};

// `usage`: what the host does with the images besides TRANSFER_DST (VkImageUsageFlags).
HostAllocators host_allocators(const producer::AllocatorOptions& options, VkImageUsageFlags usage);

}  // namespace dmafeed::lib
