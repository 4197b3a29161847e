// Import of a frame whose dma-buf was made elsewhere (a GBM bo) into images of a Vulkan device,
// for filling it with vk::Uploader or the GPU patterns.
//
// Contract of import_dmabuf():
//  - In: the frame's format (one of drm/format_info's table), size, the modifier its layout is known
//    to be (not INVALID), and each memory plane's dma-buf fd, offset and stride. The fds stay the
//    caller's: each imported memory gets a dup of one.
//  - Images: one image of the format's VkFormat for a single-plane format, and for a multi-plane
//    format with a modifier other than LINEAR (the multi-planar VkFormat, whose memory planes are
//    all of the frame's planes); one image per format plane (the plane's own VkFormat, at the
//    plane's offset) for a LINEAR multi-plane format. Each is created with the frame's layout
//    stated explicitly (vk::create_import_image). The planes of one image must be one dma-buf: a
//    frame with its planes in separate dma-bufs (disjoint) is refused.
//  - Checks, before each image is created: the driver lists the modifier for the VkFormat with as
//    many memory planes as the image has, and can import a dma-buf image of it with the usage at
//    that size; after: the dma-buf is at least as large as the image's memory requirements.
//  - Memory: per image, one dedicated allocation that imports the dma-buf
//    (VkImportMemoryFdInfoKHR{DMA_BUF}), of the first memory type that both the image and
//    vkGetMemoryFdPropertiesKHR allow, bound at offset 0.
//  - Usage: `usage`, plus `extra_usage` on single-plane images where the driver imports them with
//    it. An image with STORAGE usage gets a storage view (ImagePart::storage_view).
//  - Out: the images and their memories, ImagePart::first_plane indexing the given planes. An error
//    says what failed (the driver's answer, the VkResult); nothing is left behind then.
#pragma once

#include "drm/format.hpp"
#include "util/result.hpp"
#include "vk/buffer_images.hpp"
#include "vk/device.hpp"

#include <cstdint>
#include <span>
#include <vulkan/vulkan.h>

namespace dmafeed::vk {

struct DmabufPlane {
    int fd = -1;  // the plane's dma-buf, borrowed
    uint32_t offset = 0;
    uint32_t stride = 0;
};

struct DmabufFrame {
    DrmFormat format;
    uint32_t width = 0;
    uint32_t height = 0;
    DrmModifier modifier;               // the layout, known: not INVALID
    std::span<const DmabufPlane> planes;  // memory planes, in order
};

Result<BufferImages> import_dmabuf(const Device& device, const DmabufFrame& frame, VkImageUsageFlags usage,
                                   VkImageUsageFlags extra_usage = 0);

}  // namespace dmafeed::vk
