#include "vk/submitter.hpp"

#include "vk/vk_error.hpp"

namespace dmafeed::vk {

Result<std::unique_ptr<Submitter>> Submitter::create(const Device& device, std::string what)
{
    std::unique_ptr<Submitter> s{new Submitter{device, std::move(what)}};
    const VkDevice dev = device.handle();
    VkCommandPoolCreateInfo pci{.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
                                .queueFamilyIndex = device.queue_family()};
    VkCommandPool pool = VK_NULL_HANDLE;
    if (const VkResult r = vkCreateCommandPool(dev, &pci, nullptr, &pool); r != VK_SUCCESS) {
        return vk_error("vkCreateCommandPool (" + s->what_ + ")", r);
    }
    s->pool_ = UniqueCommandPool{dev, pool};
    VkCommandBufferAllocateInfo cai{.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                    .commandPool = pool,
                                    .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                    .commandBufferCount = 1};
    if (const VkResult r = vkAllocateCommandBuffers(dev, &cai, &s->cmd_); r != VK_SUCCESS) {
        return vk_error("vkAllocateCommandBuffers (" + s->what_ + ")", r);
    }
    VkFenceCreateInfo fci{.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VkFence fence = VK_NULL_HANDLE;
    if (const VkResult r = vkCreateFence(dev, &fci, nullptr, &fence); r != VK_SUCCESS) {
        return vk_error("vkCreateFence (" + s->what_ + ")", r);
    }
    s->fence_ = UniqueFence{dev, fence};
    if (device.exports_sync_files()) {
        VkExportSemaphoreCreateInfo export_info{.sType = VK_STRUCTURE_TYPE_EXPORT_SEMAPHORE_CREATE_INFO,
                                                .handleTypes = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_SYNC_FD_BIT};
        VkSemaphoreCreateInfo sci{.sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO, .pNext = &export_info};
        VkSemaphore done = VK_NULL_HANDLE;
        if (const VkResult r = vkCreateSemaphore(dev, &sci, nullptr, &done); r != VK_SUCCESS) {
            return vk_error("vkCreateSemaphore (exportable as SYNC_FD)", r);
        }
        s->done_ = UniqueSemaphore{dev, done};
    }
    return s;
}

Submitter::~Submitter()
{
    if (!wait()) {  // the device may still use them: leaked, not freed under its feet
        static_cast<void>(done_.release());
        static_cast<void>(fence_.release());
        static_cast<void>(pool_.release());
    }
}

Result<void> Submitter::wait()
{
    if (!in_flight_) return {};
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(gpu_timeout).count();
    const VkFence fence = fence_.get();
    const VkResult r = vkWaitForFences(device_.handle(), 1, &fence, VK_TRUE, static_cast<uint64_t>(ns));
    if (r == VK_TIMEOUT) {
        return Error{"the GPU work (" + what_ + ") did not finish within " + std::to_string(gpu_timeout.count()) +
                     " s: the Vulkan device or its driver is hung"};
    }
    if (r != VK_SUCCESS) return vk_error("vkWaitForFences (" + what_ + ")", r);
    in_flight_ = false;
    return {};
}

Result<VkCommandBuffer> Submitter::begin()
{
    if (auto r = wait(); !r) return std::move(r).error();
    vkResetCommandBuffer(cmd_, 0);
    VkCommandBufferBeginInfo info{.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                  .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
    if (const VkResult r = vkBeginCommandBuffer(cmd_, &info); r != VK_SUCCESS) {
        return vk_error("vkBeginCommandBuffer (" + what_ + ")", r);
    }
    return cmd_;
}

Result<UniqueFd> Submitter::submit(bool fenced)
{
    if (const VkResult r = vkEndCommandBuffer(cmd_); r != VK_SUCCESS) return vk_error("vkEndCommandBuffer (" + what_ + ")", r);
    const bool signal = fenced && done_;
    const VkSemaphore done = done_.get();
    VkSubmitInfo info{.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                      .commandBufferCount = 1,
                      .pCommandBuffers = &cmd_,
                      .signalSemaphoreCount = signal ? 1U : 0U,
                      .pSignalSemaphores = signal ? &done : nullptr};
    const VkFence fence = fence_.get();
    vkResetFences(device_.handle(), 1, &fence);
    if (const VkResult r = vkQueueSubmit(device_.queue(), 1, &info, fence); r != VK_SUCCESS) {
        return vk_error("vkQueueSubmit (" + what_ + ")", r);
    }
    in_flight_ = true;
    if (!signal) {
        if (auto r = wait(); !r) return std::move(r).error();
        return UniqueFd{};
    }
    VkSemaphoreGetFdInfoKHR get{.sType = VK_STRUCTURE_TYPE_SEMAPHORE_GET_FD_INFO_KHR,
                                .semaphore = done,
                                .handleType = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_SYNC_FD_BIT};
    int fd = -1;
    // SYNC_FD export has copy transference and unsignals the semaphore: it is ready for the next use.
    if (const VkResult r = device_.fn().get_semaphore_fd(device_.handle(), &get, &fd); r != VK_SUCCESS) {
        (void)wait();
        return vk_error("vkGetSemaphoreFdKHR (SYNC_FD, " + what_ + ")", r);
    }
    // -1 is allowed: the work had already finished ("signalled" without a file).
    return UniqueFd{fd};
}

}  // namespace dmafeed::vk
