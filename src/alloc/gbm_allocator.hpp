// The GBM allocator: buffers from libgbm (Mesa) on a DRM node, imported into Vulkan where the
// Vulkan device can, else filled through a CPU mapping of their dma-buf.
//
// Node. GBM runs on one node of the wanted DRM device (a node path, else a dev_t such as the
// compositor's main device, else the first DRM device). The choice is made by trying: the wanted
// node first, then the device's render node, then its primary node; a node is usable when GBM can
// create at least one format of the table there. The fallback is logged. Why: Mesa's kms_swrast
// (virtio-gpu without 3D, and other display-only devices) allocates dumb buffers, which render nodes
// refuse (EACCES), while gbm_device_is_format_supported still says yes; trying is the only reliable
// test, and it keeps real GPUs on their render node.
//
// Creation. The request's modifiers without INVALID go to gbm_bo_create_with_modifiers2 in the
// request's order. gbm_bo_create (implicit layout) is used only when the request accepts INVALID
// and the explicit list is empty or fails; it is given GBM_BO_USE_LINEAR, because dmafeed has no
// way to fill a buffer whose implicit layout is a vendor tiling (Vulkan cannot be told an implicit
// layout, and the CPU path needs rows).
//
// Modifier. Buffer::modifier() is what the bo reports (gbm_bo_get_modifier); INVALID means implicit,
// and linux-dmabuf gets INVALID. kms_swrast reports INVALID even for a bo made from {LINEAR}.
// layout_modifier() is what the layout is known to be: the reported modifier, or LINEAR when the bo
// reports INVALID but was created from the list {LINEAR} alone (GBM creates a modifier from the list
// or fails) or with GBM_BO_USE_LINEAR. A bo that reports INVALID after a list of several modifiers
// has an unknown layout: it is recreated from {LINEAR} when the list has LINEAR, else refused.
//
// Plane fds. gbm_bo_get_fd_for_plane, each fd a UniqueFd at once. Mesa's kms_swrast exports its
// dma-bufs without DRM_RDWR, so they are read-only files: mmap(PROT_WRITE) fails with EACCES, and so
// does lavapipe's import (it maps the dma-buf read-write). A dma-buf's file is made by the GEM
// object's first export and shared by every later one, so the allocator exports each plane's GEM
// handle once with DRM_RDWR (drmPrimeHandleToFD on the GBM device's fd) before asking GBM for fds.
//
// Fill path, per buffer (Buffer::fill_path(), and a log line with the reason: info the first time
// for a format/modifier/path, debug after):
//  - vulkan: the dma-buf imported into the Vulkan device with the bo's layout (vk::import_dmabuf,
//    vk/dmabuf_import.hpp: one image for single-plane formats; one image per plane for LINEAR
//    multi-plane formats; the multi-planar VkFormat for other modifiers). Fill with
//    upload_regions() and vk::Uploader, like VulkanBuffer.
//  - cpu_mapping: no Vulkan device was given, or it cannot import this buffer (the reason says why:
//    the format query, the VkResult of the import, an unknown layout). Fill with write_planes(),
//    which maps each plane's dma-buf bracketed by DMA_BUF_IOCTL_SYNC; needs a LINEAR layout and a
//    writable dma-buf. A buffer that neither path can fill is an allocation error.
#pragma once

#include "alloc/allocator.hpp"
#include "alloc/vulkan_allocator.hpp"  // VulkanImagePart
#include "vk/buffer_images.hpp"
#include "vk/device.hpp"
#include "vk/upload.hpp"

#include <functional>
#include <gbm.h>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <sys/types.h>
#include <unordered_set>
#include <vector>
#include <vulkan/vulkan.h>

namespace dmafeed {

class GbmDevice;  // the DRM node's fd and its gbm_device (gbm_allocator.cpp)

struct GbmBoDeleter {
    void operator()(gbm_bo* bo) const noexcept { gbm_bo_destroy(bo); }
};
using UniqueGbmBo = std::unique_ptr<gbm_bo, GbmBoDeleter>;

struct GbmAllocatorOptions {
    // The DRM device: a node path ("/dev/dri/card0") if not empty, else `device` (e.g. the
    // compositor's main device), else every DRM device in libdrm's order.
    std::string node;
    std::optional<dev_t> device;
    // Import target for the vulkan fill path; nullptr: every buffer is filled through a CPU mapping.
    // Must outlive the allocator and its buffers.
    const vk::Device* vulkan = nullptr;
    // What imported images are made for; `extra_usage` is added where the driver can import the
    // bo with it (STORAGE: the GPU patterns), and single-plane images then get a storage view.
    VkImageUsageFlags usage = VK_IMAGE_USAGE_TRANSFER_DST_BIT;
    VkImageUsageFlags extra_usage = 0;
    // GBM usage flags for every bo (GBM_BO_USE_LINEAR is added for implicit-layout bos).
    uint32_t gbm_flags = GBM_BO_USE_RENDERING;
};

class GbmBuffer final : public Buffer {
public:
    FillPath fill_path() const noexcept override { return fill_path_; }
    std::string_view allocator_name() const noexcept override { return "gbm"; }

    // Why the buffer takes its fill path: what it was imported as, or why it could not be.
    const std::string& fill_path_reason() const noexcept { return fill_reason_; }
    // The layout as far as it is known (see the top of this file); INVALID: not known.
    DrmModifier layout_modifier() const noexcept override { return layout_modifier_; }
    // Whether the plane fds are writable dma-buf files (O_RDWR), which mmap for writing needs.
    bool writable() const noexcept { return writable_; }
    gbm_bo* bo() const noexcept { return bo_.get(); }

    // Writes every format plane (one entry per plane, rows `row_bytes` apart) through a CPU mapping
    // of its dma-buf, bracketed by DMA_BUF_IOCTL_SYNC. Either fill path, where the layout is LINEAR.
    Result<void> write_region(std::span<const PlanePixels> planes, PixelRect region) const override;
    Result<MappedPlanes> begin_cpu_write() const override;
    // What vk::Uploader needs to fill every format plane (the vulkan fill path only).
    Result<std::vector<vk::ImageRegion>> upload_regions(std::span<const PlanePixels> planes) const override;

    // The imported images and their memories; empty on the cpu_mapping path.
    const std::vector<VulkanImagePart>& parts() const noexcept { return images_.parts(); }
    const std::vector<vk::UniqueDeviceMemory>& memories() const noexcept { return images_.memories(); }

private:
    friend class GbmAllocator;
    GbmBuffer(std::shared_ptr<GbmDevice> gbm, UniqueGbmBo bo, DrmFormat format, uint32_t width, uint32_t height);
    Error read_only(const char* verb) const;  // "VERB XRGB8888 64x64 (GBM bo): the dma-buf is read-only ..."

    // In creation order, so they die in reverse: the images (imported from the bo's dma-buf), then
    // the bo, then (with the last buffer) the GBM device.
    std::shared_ptr<GbmDevice> gbm_;
    UniqueGbmBo bo_;
    vk::BufferImages images_;
    FillPath fill_path_ = FillPath::cpu_mapping;
    std::string fill_reason_;
    DrmModifier layout_modifier_;
    bool writable_ = false;
};

class GbmAllocator final : public Allocator {
public:
    static Result<std::unique_ptr<GbmAllocator>> create(const GbmAllocatorOptions& options);
    ~GbmAllocator() override;

    std::string_view name() const noexcept override { return "gbm"; }
    // Per format of the table that GBM creates on this node (by trying): LINEAR (created from
    // {LINEAR}) and INVALID (gbm_bo_create with GBM_BO_USE_LINEAR), in table order.
    const FormatSet& supported() const noexcept override { return supported_; }
    Result<std::unique_ptr<Buffer>> allocate(const AllocationRequest& request) override;

    // The node GBM runs on ("/dev/dri/card0"), its kernel driver ("virtio_gpu"), and why that node
    // was chosen (the failures of the nodes tried before it; empty when the first one worked).
    const std::string& node() const noexcept;
    const std::string& kernel_driver() const noexcept;
    const std::string& node_choice() const noexcept { return node_choice_; }

private:
    GbmAllocator(std::shared_ptr<GbmDevice> gbm, const GbmAllocatorOptions& options, FormatSet supported,
                 std::string node_choice);
    void log_fill_path(const GbmBuffer& buffer, const std::string& what);
    // The vulkan fill path: imports the buffer's planes into images of `vulkan_` (vk::import_dmabuf).
    // On success: what the buffer was imported as, for the log.
    Result<std::string> import_into_vulkan(GbmBuffer& buffer) const;

    std::shared_ptr<GbmDevice> gbm_;
    const vk::Device* vulkan_ = nullptr;
    VkImageUsageFlags usage_ = 0;
    VkImageUsageFlags extra_usage_ = 0;
    uint32_t gbm_flags_ = 0;
    FormatSet supported_;
    std::string node_choice_;
    std::unordered_set<std::string> logged_paths_;  // (format, modifier, path) already logged at info
};

// The host-testable decisions of the GBM allocator.
namespace gbm {

// The nodes to try for one device: `wanted` (when not empty), then `render`, then `primary`;
// empty entries and repeats left out.
std::vector<std::string> node_order(std::string_view wanted, std::string_view render, std::string_view primary);

struct NodeChoice {
    size_t index = 0;    // into the nodes
    std::string reason;  // the failures of the nodes before it ("" when the first worked)
};
// Tries `nodes` in order with `try_node`; the first that works is chosen. An error lists every
// node with its failure.
Result<NodeChoice> choose_node(std::span<const std::string> nodes,
                               const std::function<Result<void>(const std::string& node)>& try_node);

struct CreationPlan {
    // For gbm_bo_create_with_modifiers2, in the request's order, INVALID left out. Empty: skip it.
    std::vector<DrmModifier> explicit_modifiers;
    // The request accepts INVALID: gbm_bo_create(GBM_BO_USE_LINEAR) when the list is empty or fails.
    bool implicit = false;
};
// Fails for an empty list, and for a stride alignment without LINEAR (GBM cannot be given strides:
// with stride_align only LINEAR is tried, and the bo's strides are checked afterwards).
Result<CreationPlan> plan_creation(std::span<const DrmModifier> requested, uint32_t stride_align);

// What a bo's layout is known to be (see the top of this file). `reported`: gbm_bo_get_modifier.
// `created_from`: the list given to gbm_bo_create_with_modifiers2, empty for gbm_bo_create with
// GBM_BO_USE_LINEAR. INVALID: not known.
DrmModifier known_layout(DrmModifier reported, std::span<const DrmModifier> created_from);

}  // namespace gbm

}  // namespace dmafeed
