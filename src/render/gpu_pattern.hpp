// GPU test patterns: a compute shader (pattern.comp, compiled to SPIR-V at build time with
// glslang) draws a sources::PatternFrame straight into the planes of an exported Vulkan image: no
// CPU copy of pixel data. RGB formats are written as they are; YUV planes get Y', CbCr, Cb or Cr
// in the given encoding, each chroma texel from the averaged RGB of the pixels it covers, in the
// integer arithmetic of the CPU packer, so that the GPU and the CPU write the same bytes.
//
// A buffer can be drawn when every plane is an image of its own with a storage view
// (VulkanImagePart::storage_view: the allocator gives images STORAGE usage where the driver can
// export them so) and the shader writes the format's texels (8-bit RGB and YUV: draws_format), on
// a device that stores without a format qualifier. Like vk::Uploader, the images are released to
// VK_QUEUE_FAMILY_FOREIGN_EXT in VK_IMAGE_LAYOUT_GENERAL, and render() returns a sync_file.
//
// Patterns of 10-bit codes (pq-ramp) are not drawn here: the formats that keep them are not the
// shader's, so they are drawn on the CPU for every allocator (render::CpuPatternDrawer in place,
// or sources::PatternSource's whole frames written). render() refuses them; in an 8-bit format
// with the error that names the formats that work (sources::check_pattern_format).
#pragma once

#include "alloc/vulkan_allocator.hpp"
#include "pixels/color.hpp"
#include "sources/pattern.hpp"
#include "util/result.hpp"
#include "util/unique_fd.hpp"
#include "vk/device.hpp"
#include "vk/submitter.hpp"
#include "vk/unique_handle.hpp"

#include <memory>
#include <optional>
#include <span>
#include <string>

namespace dmafeed::render {

class PatternRenderer {
public:
    // Builds the compute pipeline. `device` must outlive the renderer.
    static Result<std::unique_ptr<PatternRenderer>> create(const vk::Device& device);
    PatternRenderer(const PatternRenderer&) = delete;
    PatternRenderer& operator=(const PatternRenderer&) = delete;
    // Destroys the submitter first (it waits for the last frame), then the pipeline's objects.
    ~PatternRenderer();

    // Whether the shader writes every plane of `format`: 8-bit channels only (XRGB8888 family, NV12,
    // NV16, NV24, YUV420, YVU420, YUV422, YUV444). Wider or narrower formats are packed on the CPU.
    static bool draws_format(DrmFormat format);
    // Why `buffer` (with images `parts`) cannot be drawn here; empty when it can.
    static std::string cannot_draw(const vk::Device& device, const Buffer& buffer, std::span<const VulkanImagePart> parts);

    // Draws `frame` into every plane; returns a sync_file that signals when the pixels are in
    // place (no fd: they already are). The frame's size must be the buffer's. With `regions`, only
    // those pixels are drawn and the rest of the image is kept (the buffer shows a frame that
    // differs from `frame` only there: sources::pattern_changes); without, all of it.
    Result<UniqueFd> render(const Buffer& buffer, std::span<const VulkanImagePart> parts,
                            const sources::PatternFrame& frame, const pixels::YuvCoefficients& coefficients,
                            std::optional<std::span<const sources::PixelRect>> regions = std::nullopt);

    // GPU timestamps around each render() from now on (a query pool of two; the queue family must
    // have timestampValidBits). For benchmarks: the shader's time without the CPU's.
    Result<void> enable_gpu_timing();
    // The GPU time of the last render() in milliseconds (waits for it to finish); an error before
    // enable_gpu_timing() or any render().
    Result<double> last_gpu_time_ms();

private:
    explicit PatternRenderer(const vk::Device& device) : device_{device} {}
    const vk::Device& device_;
    std::unique_ptr<vk::Submitter> submitter_;
    // In creation order: destroyed in reverse (after the submitter, see the destructor).
    vk::UniqueShaderModule shader_;
    vk::UniqueDescriptorSetLayout set_layout_;
    vk::UniquePipelineLayout pipeline_layout_;
    vk::UniquePipeline pipeline_;
    vk::UniqueDescriptorPool descriptor_pool_;
    // Of descriptor_pool_ (freed with it): one per plane, rewritten per frame (after the previous one is done).
    VkDescriptorSet sets_[4] = {};
    vk::UniqueQueryPool timestamps_;  // enable_gpu_timing(): start and end of each render()
    double timestamp_period_ns_ = 0;
    bool timed_frame_ = false;  // a render() wrote both timestamps
};

}  // namespace dmafeed::render
