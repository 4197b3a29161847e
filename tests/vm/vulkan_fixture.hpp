// What the Vulkan tests of the vm suite share: a Vulkan stack on the device dmafeed would pick
// (instance, device, export allocator, uploader) and the allocate -> check planes -> upload ->
// read back through mmap round trip.
#pragma once

#include "alloc/vulkan_allocator.hpp"
#include "util/result.hpp"
#include "vk/device.hpp"
#include "vk/instance.hpp"
#include "vk/upload.hpp"

#include <memory>
#include <string>

namespace dmafeed::test {

// Members in creation order: destroyed in reverse (uploader and allocator before the device,
// the device before the instance).
struct VulkanStack {
    std::unique_ptr<vk::Instance> instance;
    std::unique_ptr<vk::Device> device;
    std::unique_ptr<VulkanAllocator> allocator;
    std::unique_ptr<vk::Uploader> uploader;

    // The device select_device() picks without a wanted DRM device, an allocator for `usage`.
    static Result<VulkanStack> create(const vk::InstanceOptions& options, VkImageUsageFlags usage);
};

// The /proc/self/fd link of `fd` ("/dmabuf:" for a dma-buf); empty when unreadable.
std::string fd_link(int fd);
// Size of a dma-buf (lseek to its end).
uint64_t dmabuf_size(int fd);

// Allocates `req`, checks every plane (a real dma-buf, stride and offset inside it, alignment when
// asked), uploads a pattern that differs per byte, row and plane through `uploader`, and compares
// it byte for byte through mmap of the dma-bufs (bracketed by DMA_BUF_IOCTL_SYNC). Reports with
// gtest assertions; use ASSERT_NO_FATAL_FAILURE around it to stop at a fatal one.
void check_round_trip(VulkanAllocator& allocator, vk::Uploader& uploader, const AllocationRequest& req);

}  // namespace dmafeed::test
