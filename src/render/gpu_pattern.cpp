#include "render/gpu_pattern.hpp"

#include "drm/format_info.hpp"
#include "pixels/texel.hpp"
#include "vk/vk_error.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

// SPIR-V of pattern.comp, made by glslangValidator at build time (src/meson.build).
#include "pattern_spv.h"

namespace dmafeed::render {
namespace {

// pattern.comp's push constants, in its std430 layout (18 uints, padding to 16 bytes, 3 ivec4):
// 128 bytes, the least maxPushConstantsSize a device may have.
struct PatternPush {
    uint32_t kind, colour, width, height;
    uint32_t box_x, box_y, box_size, checker_phase;
    uint32_t stamped, stamp_frame, stamp_time_ms, mode;
    uint32_t hsub, vsub, end_x, end_y;
    uint32_t origin_x, origin_y, pad0, pad1;
    std::array<int32_t, 4> ky, kcb, kcr;
};
static_assert(sizeof(PatternPush) == 128, "pattern.comp's push constant block is 128 bytes");

enum PlaneMode : uint32_t { rgb = 0, luma = 1, chroma_pair = 2, cb_only = 3, cr_only = 4 };

// What the shader writes into a plane of this layout: 8-bit unorm channels on byte boundaries only
// (the storage view's VkFormat puts R, G, B and A in their places; a CbCr pair is R8G8, Cb first).
std::optional<PlaneMode> plane_mode(const pixels::TexelLayout& t)
{
    using pixels::Channel;
    const auto fields = t.used();
    if (t.encoding != pixels::FieldEncoding::unorm ||
        std::any_of(fields.begin(), fields.end(), [](const pixels::Field& f) { return f.bits != 8 || f.offset % 8 != 0; })) {
        return std::nullopt;
    }
    if (t.bytes == 4 && t.has(Channel::r) && t.has(Channel::g) && t.has(Channel::b)) return rgb;
    if (t.bytes == 1 && t.has(Channel::y)) return luma;
    if (t.bytes == 2 && fields.size() == 2 && fields[0].channel == Channel::cb && fields[0].offset == 0 &&
        fields[1].channel == Channel::cr) {
        return chroma_pair;
    }
    if (t.bytes == 1 && t.has(Channel::cb)) return cb_only;
    if (t.bytes == 1 && t.has(Channel::cr)) return cr_only;
    return std::nullopt;
}

}  // namespace

Result<std::unique_ptr<PatternRenderer>> PatternRenderer::create(const vk::Device& device)
{
    if (!device.stores_without_format()) {
        return Error{device.info().name + " cannot store to images without a format qualifier "
                     "(shaderStorageImageWriteWithoutFormat), which the GPU patterns need"};
    }
    std::unique_ptr<PatternRenderer> r{new PatternRenderer{device}};
    const VkDevice dev = device.handle();
    auto submitter = vk::Submitter::create(device, "pattern");
    if (!submitter) return std::move(submitter).error();
    r->submitter_ = std::move(*submitter);

    VkShaderModuleCreateInfo smci{.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                  .codeSize = sizeof pattern_spirv,
                                  .pCode = pattern_spirv};
    VkShaderModule shader = VK_NULL_HANDLE;
    if (const VkResult res = vkCreateShaderModule(dev, &smci, nullptr, &shader); res != VK_SUCCESS) {
        return vk::vk_error("vkCreateShaderModule (pattern.comp)", res);
    }
    r->shader_ = vk::UniqueShaderModule{dev, shader};
    const VkDescriptorSetLayoutBinding binding{.binding = 0,
                                               .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_IMAGE,
                                               .descriptorCount = 1,
                                               .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT};
    VkDescriptorSetLayoutCreateInfo dslci{.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
                                          .bindingCount = 1,
                                          .pBindings = &binding};
    VkDescriptorSetLayout set_layout = VK_NULL_HANDLE;
    if (const VkResult res = vkCreateDescriptorSetLayout(dev, &dslci, nullptr, &set_layout); res != VK_SUCCESS) {
        return vk::vk_error("vkCreateDescriptorSetLayout (pattern)", res);
    }
    r->set_layout_ = vk::UniqueDescriptorSetLayout{dev, set_layout};
    const VkPushConstantRange push{.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT, .offset = 0, .size = sizeof(PatternPush)};
    VkPipelineLayoutCreateInfo plci{.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
                                    .setLayoutCount = 1,
                                    .pSetLayouts = &set_layout,
                                    .pushConstantRangeCount = 1,
                                    .pPushConstantRanges = &push};
    VkPipelineLayout pipeline_layout = VK_NULL_HANDLE;
    if (const VkResult res = vkCreatePipelineLayout(dev, &plci, nullptr, &pipeline_layout); res != VK_SUCCESS) {
        return vk::vk_error("vkCreatePipelineLayout (pattern)", res);
    }
    r->pipeline_layout_ = vk::UniquePipelineLayout{dev, pipeline_layout};
    VkComputePipelineCreateInfo cpci{.sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
                                     .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                                               .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                                               .module = shader,
                                               .pName = "main"},
                                     .layout = pipeline_layout};
    VkPipeline pipeline = VK_NULL_HANDLE;
    if (const VkResult res = vkCreateComputePipelines(dev, VK_NULL_HANDLE, 1, &cpci, nullptr, &pipeline); res != VK_SUCCESS) {
        return vk::vk_error("vkCreateComputePipelines (pattern.comp)", res);
    }
    r->pipeline_ = vk::UniquePipeline{dev, pipeline};
    constexpr uint32_t sets = std::size(decltype(sets_){});
    const VkDescriptorPoolSize size{.type = VK_DESCRIPTOR_TYPE_STORAGE_IMAGE, .descriptorCount = sets};
    VkDescriptorPoolCreateInfo dpci{.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
                                    .maxSets = sets,
                                    .poolSizeCount = 1,
                                    .pPoolSizes = &size};
    VkDescriptorPool descriptor_pool = VK_NULL_HANDLE;
    if (const VkResult res = vkCreateDescriptorPool(dev, &dpci, nullptr, &descriptor_pool); res != VK_SUCCESS) {
        return vk::vk_error("vkCreateDescriptorPool (pattern)", res);
    }
    r->descriptor_pool_ = vk::UniqueDescriptorPool{dev, descriptor_pool};
    const VkDescriptorSetLayout layouts[sets] = {set_layout, set_layout, set_layout, set_layout};
    VkDescriptorSetAllocateInfo dsai{.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
                                     .descriptorPool = descriptor_pool,
                                     .descriptorSetCount = sets,
                                     .pSetLayouts = layouts};
    if (const VkResult res = vkAllocateDescriptorSets(dev, &dsai, r->sets_); res != VK_SUCCESS) {
        return vk::vk_error("vkAllocateDescriptorSets (pattern)", res);
    }
    return r;
}

PatternRenderer::~PatternRenderer()
{
    submitter_.reset();  // waits for the last frame before the pipeline goes
}

bool PatternRenderer::draws_format(DrmFormat format)
{
    const FormatInfo* info = format_info(format);
    const auto layouts = pixels::texel_layouts(format);
    return info && layouts.size() == info->plane_count &&
           std::all_of(layouts.begin(), layouts.end(), [](const pixels::TexelLayout& t) { return plane_mode(t).has_value(); });
}

std::string PatternRenderer::cannot_draw(const vk::Device& device, const Buffer& buffer,
                                         std::span<const VulkanImagePart> parts)
{
    const auto what = [&] { return name(buffer.format()) + " " + name(buffer.modifier()) + ": "; };
    if (!device.stores_without_format()) {
        return what() + device.info().name + " cannot store without a format qualifier (shaderStorageImageWriteWithoutFormat)";
    }
    const FormatInfo* info = format_info(buffer.format());
    if (!info || !draws_format(buffer.format())) return what() + "the pattern shader writes 8-bit RGB and YUV formats only";
    if (parts.size() != info->plane_count) return what() + "one image holds several planes (a multi-planar VkFormat)";
    for (const VulkanImagePart& part : parts) {
        if (!part.storage_view) return what() + "the images have no STORAGE usage (the driver cannot export them so)";
    }
    return {};
}

Result<UniqueFd> PatternRenderer::render(const Buffer& buffer, std::span<const VulkanImagePart> parts,
                                         const sources::PatternFrame& frame, const pixels::YuvCoefficients& k,
                                         std::optional<std::span<const sources::PixelRect>> regions)
{
    if (auto fits = sources::check_pattern_format(frame.kind, buffer.format()); !fits) {
        return std::move(fits).error().context("GPU pattern");
    }
    if (sources::needs_10_bits(frame.kind)) {
        return Error{"GPU pattern: the " + sources::PatternSpec{frame.kind, {}}.to_string() +
                     " pattern is drawn on the CPU (the shader writes 8-bit formats only)"};
    }
    if (auto why = cannot_draw(device_, buffer, parts); !why.empty()) return Error{"GPU pattern: " + why};
    if (frame.width != buffer.width() || frame.height != buffer.height()) {
        return Error{"GPU pattern: the frame is " + std::to_string(frame.width) + "x" + std::to_string(frame.height) +
                     ", the buffer " + std::to_string(buffer.width()) + "x" + std::to_string(buffer.height())};
    }
    const FormatInfo& info = *format_info(buffer.format());
    const auto layouts = pixels::texel_layouts(buffer.format());
    const sources::PixelRect whole{0, 0, buffer.width(), buffer.height()};
    const std::span<const sources::PixelRect> rects = regions ? *regions : std::span<const sources::PixelRect>{&whole, 1};
    const bool keep = regions.has_value();  // the pixels outside `rects` stay
    auto begun = submitter_->begin();  // waits for the previous frame: the sets are free again
    if (!begun) return std::move(begun).error();
    VkCommandBuffer cmd = *begun;
    if (timestamps_) {
        vkCmdResetQueryPool(cmd, timestamps_.get(), 0, 2);
        vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, timestamps_.get(), 0);
    }
    vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline_.get());
    for (uint32_t p = 0; p < info.plane_count; ++p) {
        const VulkanImagePart& part = parts[p];
        const VkDescriptorImageInfo image_info{.imageView = part.storage_view, .imageLayout = VK_IMAGE_LAYOUT_GENERAL};
        const VkWriteDescriptorSet write{.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                                         .dstSet = sets_[p],
                                         .dstBinding = 0,
                                         .descriptorCount = 1,
                                         .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_IMAGE,
                                         .pImageInfo = &image_info};
        vkUpdateDescriptorSets(device_.handle(), 1, &write, 0, nullptr);

        const VkImageSubresourceRange range{.aspectMask = VK_IMAGE_ASPECT_COLOR_BIT, .levelCount = 1, .layerCount = 1};
        // Every texel written: the old contents (and the compositor's ownership) are dropped. Some
        // kept: acquired back from the foreign queue family with them.
        const VkImageMemoryBarrier to_general{.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER,
                                              .srcAccessMask = 0,
                                              .dstAccessMask = VK_ACCESS_SHADER_WRITE_BIT,
                                              .oldLayout = keep ? VK_IMAGE_LAYOUT_GENERAL : VK_IMAGE_LAYOUT_UNDEFINED,
                                              .newLayout = VK_IMAGE_LAYOUT_GENERAL,
                                              .srcQueueFamilyIndex = keep ? VK_QUEUE_FAMILY_FOREIGN_EXT : VK_QUEUE_FAMILY_IGNORED,
                                              .dstQueueFamilyIndex = keep ? device_.queue_family() : VK_QUEUE_FAMILY_IGNORED,
                                              .image = part.image,
                                              .subresourceRange = range};
        vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 0, nullptr,
                             0, nullptr, 1, &to_general);
        vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline_layout_.get(), 0, 1, &sets_[p], 0, nullptr);
        PatternPush push{
            .kind = static_cast<uint32_t>(frame.kind),
            .colour = (uint32_t{frame.colour.r} << 16U) | (uint32_t{frame.colour.g} << 8U) | frame.colour.b,
            .width = frame.width,
            .height = frame.height,
            .box_x = frame.box_x,
            .box_y = frame.box_y,
            .box_size = frame.box_size,
            .checker_phase = frame.checker_phase,
            .stamped = frame.stamped ? 1U : 0U,
            .stamp_frame = frame.stamp_frame,
            .stamp_time_ms = frame.stamp_time_ms,
            .mode = *plane_mode(layouts[p]),
            .hsub = info.planes[p].h_subsampling,
            .vsub = info.planes[p].v_subsampling,
            .end_x = 0,
            .end_y = 0,
            .origin_x = 0,
            .origin_y = 0,
            .pad0 = 0,
            .pad1 = 0,
            .ky = k.y,
            .kcb = k.cb,
            .kcr = k.cr};
        const uint32_t pw = plane_width(info, p, buffer.width()), ph = plane_height(info, p, buffer.height());
        for (const sources::PixelRect& r : rects) {
            // The texels covering the rectangle's pixels.
            push.origin_x = r.x / push.hsub;
            push.origin_y = r.y / push.vsub;
            push.end_x = std::min(pw, (r.x + r.width + push.hsub - 1) / push.hsub);
            push.end_y = std::min(ph, (r.y + r.height + push.vsub - 1) / push.vsub);
            if (push.end_x <= push.origin_x || push.end_y <= push.origin_y) continue;
            vkCmdPushConstants(cmd, pipeline_layout_.get(), VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof push, &push);
            vkCmdDispatch(cmd, (push.end_x - push.origin_x + 15) / 16, (push.end_y - push.origin_y + 15) / 16, 1);
        }
        // Release to the compositor: foreign queue family, GENERAL layout.
        const VkImageMemoryBarrier release{.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER,
                                           .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT,
                                           .dstAccessMask = 0,
                                           .oldLayout = VK_IMAGE_LAYOUT_GENERAL,
                                           .newLayout = VK_IMAGE_LAYOUT_GENERAL,
                                           .srcQueueFamilyIndex = device_.queue_family(),
                                           .dstQueueFamilyIndex = VK_QUEUE_FAMILY_FOREIGN_EXT,
                                           .image = part.image,
                                           .subresourceRange = range};
        vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, 0, 0,
                             nullptr, 0, nullptr, 1, &release);
    }
    if (timestamps_) vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, timestamps_.get(), 1);
    timed_frame_ = static_cast<bool>(timestamps_);
    return submitter_->submit(true);
}

Result<void> PatternRenderer::enable_gpu_timing()
{
    if (timestamps_) return {};
    uint32_t n = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(device_.physical_handle(), &n, nullptr);
    std::vector<VkQueueFamilyProperties> families(n);
    vkGetPhysicalDeviceQueueFamilyProperties(device_.physical_handle(), &n, families.data());
    if (device_.queue_family() >= n || families[device_.queue_family()].timestampValidBits == 0) {
        return Error{"GPU timing: the queue family has no timestamps (timestampValidBits 0)"};
    }
    VkPhysicalDeviceProperties props{};
    vkGetPhysicalDeviceProperties(device_.physical_handle(), &props);
    timestamp_period_ns_ = static_cast<double>(props.limits.timestampPeriod);
    const VkQueryPoolCreateInfo qci{.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO, .queryType = VK_QUERY_TYPE_TIMESTAMP, .queryCount = 2};
    VkQueryPool timestamps = VK_NULL_HANDLE;
    if (const VkResult r = vkCreateQueryPool(device_.handle(), &qci, nullptr, &timestamps); r != VK_SUCCESS) {
        return vk::vk_error("vkCreateQueryPool (GPU timing)", r);
    }
    timestamps_ = vk::UniqueQueryPool{device_.handle(), timestamps};
    return {};
}

Result<double> PatternRenderer::last_gpu_time_ms()
{
    if (!timestamps_ || !timed_frame_) return Error{"GPU timing: no timed render() yet"};
    uint64_t ticks[2] = {};
    const VkResult r = vkGetQueryPoolResults(device_.handle(), timestamps_.get(), 0, 2, sizeof ticks, ticks, sizeof ticks[0],
                                             VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT);
    if (r != VK_SUCCESS) return vk::vk_error("vkGetQueryPoolResults (GPU timing)", r);
    return static_cast<double>(ticks[1] - ticks[0]) * timestamp_period_ns_ / 1e6;
}

}  // namespace dmafeed::render
