// Owning wrappers for objects that a VkDevice creates. vk::Unique<Handle, Destroy> holds the device
// and one handle, and calls Destroy(device, handle, nullptr) exactly once: when it is destroyed,
// reset, or assigned over. Move-only, like UniqueFd: a moved-from wrapper holds VK_NULL_HANDLE and
// destroys nothing; release() gives the handle up without destroying it (for an object the device
// may still be using, which is leaked rather than destroyed under its feet).
//
// A class holding several of them declares them so that each dies before what it depends on (a
// view before its image, an object before the memory bound to it, a pipeline before its layout):
// members die in reverse order of declaration. Whatever must come first (a fence wait, a submitter
// that waits for its last submission) belongs in the class's destructor, whose body runs before
// its members are destroyed.
#pragma once

#include <utility>
#include <vulkan/vulkan.h>

namespace dmafeed::vk {

// `Destroy` is a vkDestroy*/vkFree* function of the form void(VkDevice, Handle, const VkAllocationCallbacks*).
template <typename Handle, auto Destroy>
class Unique {
public:
    Unique() = default;
    // Takes ownership of `handle` (VK_NULL_HANDLE: owns nothing), an object of `device`.
    Unique(VkDevice device, Handle handle) noexcept : device_{device}, handle_{handle} {}
    Unique(Unique&& o) noexcept : device_{o.device_}, handle_{std::exchange(o.handle_, VK_NULL_HANDLE)} {}
    Unique& operator=(Unique&& o) noexcept
    {
        if (this != &o) {
            reset();
            device_ = o.device_;
            handle_ = std::exchange(o.handle_, VK_NULL_HANDLE);
        }
        return *this;
    }
    Unique(const Unique&) = delete;
    Unique& operator=(const Unique&) = delete;
    ~Unique() { reset(); }

    Handle get() const noexcept { return handle_; }
    VkDevice device() const noexcept { return device_; }
    explicit operator bool() const noexcept { return handle_ != VK_NULL_HANDLE; }

    // Destroys the object now (if any); the wrapper is then empty.
    void reset() noexcept
    {
        if (handle_ != VK_NULL_HANDLE) Destroy(device_, std::exchange(handle_, VK_NULL_HANDLE), nullptr);
    }
    // Gives the handle up without destroying it; the wrapper is then empty.
    [[nodiscard]] Handle release() noexcept { return std::exchange(handle_, VK_NULL_HANDLE); }

private:
    VkDevice device_ = VK_NULL_HANDLE;
    Handle handle_ = VK_NULL_HANDLE;
};

using UniqueImage = Unique<VkImage, vkDestroyImage>;
using UniqueImageView = Unique<VkImageView, vkDestroyImageView>;
using UniqueDeviceMemory = Unique<VkDeviceMemory, vkFreeMemory>;  // vkFreeMemory also unmaps it
using UniqueBuffer = Unique<VkBuffer, vkDestroyBuffer>;
using UniqueCommandPool = Unique<VkCommandPool, vkDestroyCommandPool>;  // frees its command buffers
using UniqueFence = Unique<VkFence, vkDestroyFence>;
using UniqueSemaphore = Unique<VkSemaphore, vkDestroySemaphore>;
using UniqueShaderModule = Unique<VkShaderModule, vkDestroyShaderModule>;
using UniqueDescriptorSetLayout = Unique<VkDescriptorSetLayout, vkDestroyDescriptorSetLayout>;
using UniquePipelineLayout = Unique<VkPipelineLayout, vkDestroyPipelineLayout>;
using UniquePipeline = Unique<VkPipeline, vkDestroyPipeline>;
using UniqueDescriptorPool = Unique<VkDescriptorPool, vkDestroyDescriptorPool>;  // frees its sets
using UniqueQueryPool = Unique<VkQueryPool, vkDestroyQueryPool>;

}  // namespace dmafeed::vk
