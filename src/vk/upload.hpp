// Copies CPU pixels into images through a reused host-visible staging buffer, then releases the
// images to VK_QUEUE_FAMILY_FOREIGN_EXT (layout GENERAL) for the compositor.
//  - upload(): returns once the GPU copy is done.
//  - upload_fenced(): returns at once with a sync_file that signals when the copy is done (a
//    binary semaphore exported as SYNC_FD), for the compositor to wait on; where the device cannot
//    export one, it waits like upload() and returns no fd.
// The staging buffer and command buffer (vk::Submitter) are reused: each upload first waits (on
// the CPU) for the previous one to finish.
#pragma once

#include "util/result.hpp"
#include "util/unique_fd.hpp"
#include "vk/device.hpp"
#include "vk/submitter.hpp"
#include "vk/unique_handle.hpp"

#include <cstdint>
#include <memory>
#include <span>
#include <vulkan/vulkan.h>

namespace dmafeed::vk {

struct ImageRegion {
    VkImage image = VK_NULL_HANDLE;
    VkImageAspectFlagBits aspect = VK_IMAGE_ASPECT_COLOR_BIT;  // PLANE_i for a multi-planar image
    VkExtent2D extent{};                                      // of this plane
    uint32_t bytes_per_pixel = 0;
    std::span<const uint8_t> data;  // rows of `row_bytes` each, extent.height of them
    uint32_t row_bytes = 0;         // source stride, >= extent.width * bytes_per_pixel
};

class Uploader {
public:
    // `device` must outlive the uploader.
    static Result<std::unique_ptr<Uploader>> create(const Device& device);
    Uploader(const Uploader&) = delete;
    Uploader& operator=(const Uploader&) = delete;
    // Destroys the submitter first (it waits for the last copy), then the staging buffer and memory.
    ~Uploader();

    // Overwrites every region completely (earlier contents are discarded).
    Result<void> upload(std::span<const ImageRegion> regions);
    Result<UniqueFd> upload_fenced(std::span<const ImageRegion> regions);

    // Bytes of the staging buffer (it grows to the largest upload, then is reused).
    uint64_t staging_capacity() const noexcept { return staging_size_; }

private:
    explicit Uploader(const Device& device) : device_{device} {}
    Result<void> ensure_staging(uint64_t size);
    Result<UniqueFd> submit(std::span<const ImageRegion> regions, bool fenced);
    void destroy_staging();

    const Device& device_;
    std::unique_ptr<Submitter> submitter_;
    // The memory before the buffer bound to it, so that the buffer is destroyed first.
    UniqueDeviceMemory staging_memory_;
    UniqueBuffer staging_;
    void* staging_map_ = nullptr;  // of staging_memory_, unmapped when it is freed
    uint64_t staging_size_ = 0;
};

}  // namespace dmafeed::vk
