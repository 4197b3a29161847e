// The public library (libdmafeed, <dmafeed/dmafeed.hpp>) used by a host that renders into the
// frames with its own Vulkan commands, against real weston 14; the capture is checked pixel by
// pixel. The test is the host: it records on the device and queue the producer gives, acquires
// each image from VK_QUEUE_FAMILY_FOREIGN_EXT, clears it (vkCmdClearColorImage) or renders into its
// view (a render pass), releases it to FOREIGN in GENERAL, and hands the producer the sync_file
// of a SYNC_FD semaphore that the submission signals (queue_fenced).
//   nodrm:  lavapipe's XRGB8888 (one image) exact; a render pass through the frame's view exact;
//           NV12 as one image per plane (R8 + R8G8) shows the BT.601 limited-range decode.
//   virtio: GBM on weston's virtio device goes first (lavapipe, which weston refuses, is not that
//           device); its buffers from card0, imported into lavapipe, are the images, and their
//           clear colour is exact.
// Every frame's dma-bufs (Producer::dmabuf) agree with the frame: format, modifier, pitches, open fds.
// The C API, under the validation layer, is tests/vm/vulkan_host.c (run by cli_test.cpp).
// tests/vm/egl_host.c is a C host that renders through EGL and OpenGL ES instead: it imports each
// buffer's dma-bufs (dmafeed_frame_get_dmabuf) as an EGLImage on a surfaceless display, clears a
// framebuffer with that image as its texture (glClear), and queues the frame with EGL's sync_file
// (EGL_ANDROID_native_fence_sync, which llvmpipe offers) or after glFinish; its colour is exact
// in the capture:
//   nodrm:  llvmpipe imports lavapipe's LINEAR buffers and udmabuf buffers;
//   virtio: llvmpipe imports GBM's buffers of weston's virtio device (dumb buffers of card0, made
//           linear, with the implicit modifier); EGL finds no driver for virtio-gpu without 3D
//           ("failed to create dri2 screen") and falls back to llvmpipe.
#include "vm_session.hpp"

#include "child_process.hpp"
#include "dmafeed/dmafeed.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <drm_fourcc.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <csignal>
#include <fstream>
#include <initializer_list>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>
#include <vulkan/vulkan.h>

namespace dmafeed::test {
namespace {

// What the host writes into one image: `colour` (unorm values 0..255 in the VkFormat's component
// order R, G, B, A) everywhere, by vkCmdClearColorImage, or, once Host::make_render_pass was
// called, by a render pass on the image's view whose load op clears to it.
struct Fill {
    std::vector<float> colour;
};

// The host's Vulkan objects on the producer's device: one command buffer, a fence, and a semaphore
// exported as a sync_file per submission.
class Host {
public:
    explicit Host(const VulkanDevice& vk) : vk_{vk}
    {
        const VkCommandPoolCreateInfo pci{.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                          .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
                                          .queueFamilyIndex = vk.queue_family_index};
        ok_ = vkCreateCommandPool(vk.device, &pci, nullptr, &pool_) == VK_SUCCESS;
        const VkCommandBufferAllocateInfo cai{.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                              .commandPool = pool_,
                                              .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                              .commandBufferCount = 1};
        ok_ = ok_ && vkAllocateCommandBuffers(vk.device, &cai, &cmd_) == VK_SUCCESS;
        const VkFenceCreateInfo fci{.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO, .flags = VK_FENCE_CREATE_SIGNALED_BIT};
        ok_ = ok_ && vkCreateFence(vk.device, &fci, nullptr, &fence_) == VK_SUCCESS;
        if (vk.exports_sync_fd) {
            const VkExportSemaphoreCreateInfo export_info{.sType = VK_STRUCTURE_TYPE_EXPORT_SEMAPHORE_CREATE_INFO,
                                                          .handleTypes = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_SYNC_FD_BIT};
            const VkSemaphoreCreateInfo sci{.sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO, .pNext = &export_info};
            ok_ = ok_ && vkCreateSemaphore(vk.device, &sci, nullptr, &done_) == VK_SUCCESS;
            get_fd_ = reinterpret_cast<PFN_vkGetSemaphoreFdKHR>(vkGetDeviceProcAddr(vk.device, "vkGetSemaphoreFdKHR"));
            ok_ = ok_ && get_fd_ != nullptr;
        }
    }
    ~Host()
    {
        vkDeviceWaitIdle(vk_.device);
        for (VkFramebuffer f : framebuffers_) vkDestroyFramebuffer(vk_.device, f, nullptr);
        if (render_pass_) vkDestroyRenderPass(vk_.device, render_pass_, nullptr);
        if (done_) vkDestroySemaphore(vk_.device, done_, nullptr);
        if (fence_) vkDestroyFence(vk_.device, fence_, nullptr);
        if (pool_) vkDestroyCommandPool(vk_.device, pool_, nullptr);
    }
    Host(const Host&) = delete;
    Host& operator=(const Host&) = delete;
    bool ok() const { return ok_; }

    // A render pass for `format` that clears the attachment and leaves it in GENERAL.
    bool make_render_pass(VkFormat format)
    {
        const VkAttachmentDescription attachment{.format = format,
                                                 .samples = VK_SAMPLE_COUNT_1_BIT,
                                                 .loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR,
                                                 .storeOp = VK_ATTACHMENT_STORE_OP_STORE,
                                                 .stencilLoadOp = VK_ATTACHMENT_LOAD_OP_DONT_CARE,
                                                 .stencilStoreOp = VK_ATTACHMENT_STORE_OP_DONT_CARE,
                                                 .initialLayout = VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL,
                                                 .finalLayout = VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL};
        const VkAttachmentReference ref{0, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL};
        const VkSubpassDescription subpass{.pipelineBindPoint = VK_PIPELINE_BIND_POINT_GRAPHICS,
                                           .colorAttachmentCount = 1,
                                           .pColorAttachments = &ref};
        const VkRenderPassCreateInfo ci{.sType = VK_STRUCTURE_TYPE_RENDER_PASS_CREATE_INFO,
                                        .attachmentCount = 1,
                                        .pAttachments = &attachment,
                                        .subpassCount = 1,
                                        .pSubpasses = &subpass};
        return vkCreateRenderPass(vk_.device, &ci, nullptr, &render_pass_) == VK_SUCCESS;
    }

    // Records and submits the fill of every image of `frame` (one Fill per image), then queues the
    // frame with the submission's sync_file. Empty on success, else what failed.
    std::string render(Producer& p, Frame& frame, const std::vector<Fill>& fills, uint64_t pts)
    {
        if (frame.image_count != fills.size()) return "the frame has " + std::to_string(frame.image_count) + " images";
        if (vkWaitForFences(vk_.device, 1, &fence_, VK_TRUE, UINT64_MAX) != VK_SUCCESS) return "vkWaitForFences";
        vkResetFences(vk_.device, 1, &fence_);
        vkResetCommandBuffer(cmd_, 0);
        const VkCommandBufferBeginInfo begin{.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                             .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
        vkBeginCommandBuffer(cmd_, &begin);
        for (uint32_t i = 0; i < frame.image_count; ++i) {
            const VkImage image = frame.image[i];
            const VkExtent2D extent = frame.image_extent[i];
            const VkImageSubresourceRange range{.aspectMask = VK_IMAGE_ASPECT_COLOR_BIT, .levelCount = 1, .layerCount = 1};
            const bool pass = render_pass_ != VK_NULL_HANDLE;
            const VkImageLayout work = pass ? VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL : VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL;
            const VkAccessFlags access = pass ? VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT : VK_ACCESS_TRANSFER_WRITE_BIT;
            const VkPipelineStageFlags stage = pass ? VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT : VK_PIPELINE_STAGE_TRANSFER_BIT;
            // Acquire from the compositor: the whole image is overwritten, so its contents are discarded.
            const VkImageMemoryBarrier acquire{.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER,
                                               .srcAccessMask = 0,
                                               .dstAccessMask = access,
                                               .oldLayout = VK_IMAGE_LAYOUT_UNDEFINED,
                                               .newLayout = work,
                                               .srcQueueFamilyIndex = VK_QUEUE_FAMILY_FOREIGN_EXT,
                                               .dstQueueFamilyIndex = vk_.queue_family_index,
                                               .image = image,
                                               .subresourceRange = range};
            vkCmdPipelineBarrier(cmd_, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, stage, 0, 0, nullptr, 0, nullptr, 1, &acquire);
            VkClearColorValue clear{};
            for (size_t c = 0; c < fills[i].colour.size() && c < 4; ++c) clear.float32[c] = fills[i].colour[c] / 255.0F;
            if (pass) {
                if (!frame.image_view[i]) return "image " + std::to_string(i) + " has no view";
                const VkFramebufferCreateInfo fci{.sType = VK_STRUCTURE_TYPE_FRAMEBUFFER_CREATE_INFO,
                                                  .renderPass = render_pass_,
                                                  .attachmentCount = 1,
                                                  .pAttachments = &frame.image_view[i],
                                                  .width = extent.width,
                                                  .height = extent.height,
                                                  .layers = 1};
                VkFramebuffer fb = VK_NULL_HANDLE;
                if (vkCreateFramebuffer(vk_.device, &fci, nullptr, &fb) != VK_SUCCESS) return "vkCreateFramebuffer";
                framebuffers_.push_back(fb);
                const VkClearValue value{.color = clear};
                const VkRenderPassBeginInfo rp{.sType = VK_STRUCTURE_TYPE_RENDER_PASS_BEGIN_INFO,
                                               .renderPass = render_pass_,
                                               .framebuffer = fb,
                                               .renderArea = {{0, 0}, extent},
                                               .clearValueCount = 1,
                                               .pClearValues = &value};
                vkCmdBeginRenderPass(cmd_, &rp, VK_SUBPASS_CONTENTS_INLINE);
                vkCmdEndRenderPass(cmd_);
            } else {
                vkCmdClearColorImage(cmd_, image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, &clear, 1, &range);
            }
            // Release to the compositor in GENERAL.
            const VkImageMemoryBarrier release{.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER,
                                               .srcAccessMask = access,
                                               .dstAccessMask = 0,
                                               .oldLayout = work,
                                               .newLayout = VK_IMAGE_LAYOUT_GENERAL,
                                               .srcQueueFamilyIndex = vk_.queue_family_index,
                                               .dstQueueFamilyIndex = VK_QUEUE_FAMILY_FOREIGN_EXT,
                                               .image = image,
                                               .subresourceRange = range};
            vkCmdPipelineBarrier(cmd_, stage, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, 0, 0, nullptr, 0, nullptr, 1, &release);
        }
        if (vkEndCommandBuffer(cmd_) != VK_SUCCESS) return "vkEndCommandBuffer";
        const VkSubmitInfo submit{.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                                  .commandBufferCount = 1,
                                  .pCommandBuffers = &cmd_,
                                  .signalSemaphoreCount = done_ ? 1U : 0U,
                                  .pSignalSemaphores = done_ ? &done_ : nullptr};
        if (vkQueueSubmit(vk_.queue, 1, &submit, fence_) != VK_SUCCESS) return "vkQueueSubmit";
        int fd = -1;
        if (done_) {
            const VkSemaphoreGetFdInfoKHR info{.sType = VK_STRUCTURE_TYPE_SEMAPHORE_GET_FD_INFO_KHR,
                                               .semaphore = done_,
                                               .handleType = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_SYNC_FD_BIT};
            if (get_fd_(vk_.device, &info, &fd) != VK_SUCCESS) return "vkGetSemaphoreFdKHR";
            ++fences_;
        } else if (vkWaitForFences(vk_.device, 1, &fence_, VK_TRUE, UINT64_MAX) != VK_SUCCESS) {
            return "vkWaitForFences";
        }
        std::string error;
        if (!p.queue_fenced(frame, pts, fd, &error)) return "queue_fenced: " + error;
        return {};
    }

    // Submissions handed over with a sync_file.
    int fences() const { return fences_; }

private:
    const VulkanDevice& vk_;
    bool ok_ = false;
    VkCommandPool pool_ = VK_NULL_HANDLE;
    VkCommandBuffer cmd_ = VK_NULL_HANDLE;
    VkFence fence_ = VK_NULL_HANDLE;
    VkSemaphore done_ = VK_NULL_HANDLE;
    PFN_vkGetSemaphoreFdKHR get_fd_ = nullptr;
    VkRenderPass render_pass_ = VK_NULL_HANDLE;
    std::vector<VkFramebuffer> framebuffers_;
    int fences_ = 0;
};

Config config_for(const Weston& weston, uint32_t format, AllocatorKind allocator, uint32_t usage = 0)
{
    Config config;
    config.display = weston.socket();
    config.format = format;
    config.allocator = allocator;
    config.vulkan_usage = usage;
    config.timeout_ms = 20000;  // llvmpipe under TCG
    config.title = "dmafeed library vm test";
    config.fullscreen = true;  // the capture is the whole output (weston's desktop shell)
    return config;
}

// How many pixels of the capture differ from `want` by more than `tolerance` in a channel.
size_t mismatches(const Image& image, int r, int g, int b, int tolerance, std::string* first)
{
    size_t bad = 0;
    for (uint32_t y = 0; y < image.height; ++y) {
        for (uint32_t x = 0; x < image.width; ++x) {
            const Rgba& px = image.at(x, y);
            if (std::abs(px.r - r) <= tolerance && std::abs(px.g - g) <= tolerance && std::abs(px.b - b) <= tolerance) continue;
            if (bad++ == 0) {
                *first = "(" + std::to_string(x) + "," + std::to_string(y) + ") = " + std::to_string(px.r) + "," +
                         std::to_string(px.g) + "," + std::to_string(px.b);
            }
        }
    }
    return bad;
}

class LibraryTest : public WestonTest {
protected:
    // Runs tests/vm/egl_host.c with `allocator` until weston's capture shows `rgb` (RRGGBB) in
    // every pixel (up to 60 s), stops it, and checks that capture and the host's report: the
    // buffers' `modifier` (one of `modifiers`), and a sync_file with every frame where EGL offers
    // native fence syncs.
    // SKIP where the build had no egl.pc and glesv2.pc.
    void expect_egl_host_exact(const std::string& name, const std::string& allocator, const std::string& rgb,
                               std::initializer_list<uint64_t> modifiers)
    {
        if (!*DMAFEED_EGL_HOST_PATH) GTEST_SKIP() << "built without egl.pc and glesv2.pc (tools/setup installs libegl-dev, libgles-dev)";
        const std::string log = artifacts_dir() + "/" + name + ".log";
        auto child = ChildProcess::spawn({.argv = {DMAFEED_EGL_HOST_PATH, rgb, "100000", allocator},
                                          .env = {{"WAYLAND_DISPLAY", weston_->socket()}},
                                          .output_path = log});
        ASSERT_TRUE(child.ok()) << child.error().message();
        const unsigned long want = std::stoul(rgb, nullptr, 16);
        const int r = static_cast<int>(want >> 16), g = static_cast<int>((want >> 8) & 0xff), b = static_cast<int>(want & 0xff);
        std::string first;
        auto image = capture_until(name, [&](const Image& im) { return mismatches(im, r, g, b, 0, &first) == 0; });
        const ExitStatus st = child->terminate(std::chrono::seconds{10});
        const std::string out = file_tail(log, 40);
        std::printf("%s", out.c_str());
        ASSERT_TRUE(image.ok()) << image.error().message();
        EXPECT_EQ(mismatches(*image, r, g, b, 0, &first), 0u) << "first mismatch at " << first << "\n" << out;
        EXPECT_TRUE(st.clean()) << st.describe() << "\n" << out;
        unsigned long frames = 0, fenced = 0;
        unsigned buffers = 0;
        unsigned long long imported = 1;
        const auto at = out.find("frames ");
        const auto layout = out.find("modifier 0x");
        ASSERT_NE(at, std::string::npos) << out;
        ASSERT_NE(layout, std::string::npos) << out;
        ASSERT_EQ(std::sscanf(out.c_str() + at, "frames %lu, fenced %lu, buffers %u", &frames, &fenced, &buffers), 3) << out;
        ASSERT_EQ(std::sscanf(out.c_str() + layout, "modifier %llx", &imported), 1) << out;
        EXPECT_GE(frames, 1u);
        EXPECT_GE(buffers, 1u);
        EXPECT_LE(buffers, 3u);
        EXPECT_NE(std::find(modifiers.begin(), modifiers.end(), imported), modifiers.end()) << "modifier " << std::hex << imported << "\n" << out;
        if (out.find("native fence sync yes") != std::string::npos) {
            EXPECT_EQ(fenced, frames) << out;
        }
    }
};

class NodrmLibrary : public LibraryTest {
    const char* required_setup() const override { return "nodrm"; }
};
class VirtioLibrary : public LibraryTest {
    const char* required_setup() const override { return "virtio"; }
};

// The frame's dma-bufs, as the producer gives them to a host that imports them itself.
void expect_dmabuf_of(const Producer& p, const Frame& frame)
{
    std::string error;
    const auto d = p.dmabuf(frame, &error);
    ASSERT_TRUE(d.has_value()) << error;
    EXPECT_EQ(d->struct_size, sizeof(Dmabuf));
    EXPECT_EQ(d->buffer_id, frame.buffer_id);
    EXPECT_EQ(d->format, frame.format);
    EXPECT_EQ(d->modifier, frame.modifier);
    EXPECT_EQ(d->width, frame.width);
    EXPECT_EQ(d->height, frame.height);
    ASSERT_GE(d->plane_count, frame.plane_count);
    ASSERT_LE(d->plane_count, uint32_t{DMAFEED_MAX_PLANES});
    ASSERT_GE(d->fd_count, 1u);
    for (uint32_t i = 0; i < d->plane_count; ++i) {
        EXPECT_NE(fcntl(d->fd[i], F_GETFD), -1) << "plane " << i << "'s fd is open";
        ASSERT_LT(d->fd_index[i], d->fd_count);
        for (uint32_t j = 0; j < i; ++j) EXPECT_EQ(d->fd[j] == d->fd[i], d->fd_index[j] == d->fd_index[i]) << "planes " << j << ", " << i;
        if (i < frame.plane_count) {
            EXPECT_EQ(d->pitch[i], frame.stride[i]);
        }
        EXPECT_GE(d->fd_size[d->fd_index[i]], uint64_t{d->offset[i]} + d->pitch[i]) << "plane " << i << " lies in its dma-buf";
    }
}

// Presents `frames` frames, each filled by `host`; checks what every frame says about its images.
void present(Producer& p, Host& host, int frames, const std::vector<Fill>& fills, VkFormat first_format,
             std::set<uint64_t>* buffers)
{
    const VulkanDevice* vk = p.vulkan();
    for (int i = 0; i < frames; ++i) {
        std::string error;
        Frame* frame = p.acquire(20000, &error);
        ASSERT_NE(frame, nullptr) << (error.empty() ? "no frame within 20 s" : error);
        ASSERT_EQ(frame->vulkan, vk) << "the frame's images belong to the producer's device";
        ASSERT_EQ(frame->image_count, fills.size());
        EXPECT_EQ(frame->image_format[0], first_format);
        EXPECT_EQ(frame->image_extent[0].width, frame->width);
        EXPECT_EQ(frame->image_extent[0].height, frame->height);
        EXPECT_EQ(frame->image_first_plane[0], 0u);
        EXPECT_TRUE(frame->image_usage & VK_IMAGE_USAGE_TRANSFER_DST_BIT);
        EXPECT_NE(frame->buffer_id, 0u);
        expect_dmabuf_of(p, *frame);
        buffers->insert(frame->buffer_id);
        const std::string failed = host.render(p, *frame, fills, static_cast<uint64_t>(i) * 16'666'667);
        ASSERT_TRUE(failed.empty()) << failed;
        ASSERT_TRUE(p.wait_for_frame(&error)) << error;
    }
}

TEST_F(NodrmLibrary, AHostClearsTheFramesVulkanImageAndTheCaptureShowsTheExactColour)
{
    std::string error;
    auto p = Producer::create(config_for(*weston_, DRM_FORMAT_XRGB8888, AllocatorKind::vulkan), &error);
    ASSERT_TRUE(p) << error;
    const VulkanDevice* vk = p->vulkan();
    ASSERT_NE(vk, nullptr) << "a Vulkan producer has its device before the first frame";
    EXPECT_NE(vk->instance, VK_NULL_HANDLE);
    EXPECT_NE(vk->physical_device, VK_NULL_HANDLE);
    EXPECT_NE(vk->device, VK_NULL_HANDLE);
    EXPECT_NE(vk->queue, VK_NULL_HANDLE);
    EXPECT_GE(vk->api_version, VK_API_VERSION_1_2);
    EXPECT_TRUE(vk->exports_sync_fd) << "lavapipe in the VM exports SYNC_FD semaphores";
    VkPhysicalDeviceProperties props{};
    vkGetPhysicalDeviceProperties(vk->physical_device, &props);
    std::printf("host device: %s, API %u.%u, queue family %u\n", props.deviceName, VK_API_VERSION_MAJOR(vk->api_version),
                VK_API_VERSION_MINOR(vk->api_version), vk->queue_family_index);

    Host host{*vk};
    ASSERT_TRUE(host.ok());
    std::set<uint64_t> buffers;
    // XRGB8888 is B8G8R8A8_UNORM: the clear colour is given as R, G, B, A.
    present(*p, host, 4, {Fill{{0x12, 0xa4, 0x5e, 255}}}, VK_FORMAT_B8G8R8A8_UNORM, &buffers);
    if (HasFatalFailure()) return;
    EXPECT_EQ(host.fences(), 4) << "every frame went with the host's sync_file";
    EXPECT_LE(buffers.size(), 3u);
    std::printf("library: %s; %zu buffers\n", p->describe().c_str(), buffers.size());
    EXPECT_NE(p->describe().find("from vulkan"), std::string::npos) << p->describe();
    EXPECT_GE(p->stats().presented, 1u);

    auto image = weston_->capture("nodrm-library-clear");
    ASSERT_TRUE(image.ok()) << image.error().message();
    std::string first;
    EXPECT_EQ(mismatches(*image, 0x12, 0xa4, 0x5e, 0, &first), 0u) << "first mismatch at " << first;
}

TEST_F(NodrmLibrary, AHostRendersThroughTheFramesViewWithARenderPass)
{
    std::string error;
    auto p = Producer::create(config_for(*weston_, DRM_FORMAT_XRGB8888, AllocatorKind::vulkan, VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT), &error);
    ASSERT_TRUE(p) << error;
    ASSERT_NE(p->vulkan(), nullptr);
    Host host{*p->vulkan()};
    ASSERT_TRUE(host.ok());
    ASSERT_TRUE(host.make_render_pass(VK_FORMAT_B8G8R8A8_UNORM));
    std::set<uint64_t> buffers;
    present(*p, host, 3, {Fill{{0xf0, 0x33, 0x81, 255}}}, VK_FORMAT_B8G8R8A8_UNORM, &buffers);
    if (HasFatalFailure()) return;
    auto image = weston_->capture("nodrm-library-render-pass");
    ASSERT_TRUE(image.ok()) << image.error().message();
    std::string first;
    EXPECT_EQ(mismatches(*image, 0xf0, 0x33, 0x81, 0, &first), 0u) << "first mismatch at " << first;
}

TEST_F(NodrmLibrary, Nv12FramesHaveOneImagePerPlane)
{
    std::string error;
    auto p = Producer::create(config_for(*weston_, DRM_FORMAT_NV12, AllocatorKind::vulkan), &error);
    ASSERT_TRUE(p) << error;
    ASSERT_NE(p->vulkan(), nullptr);
    Host host{*p->vulkan()};
    ASSERT_TRUE(host.ok());
    std::set<uint64_t> buffers;
    // lavapipe exports NV12 plane by plane: R8 (Y) and R8G8 (Cb, Cr) images. Y=128 Cb=96 Cr=192 is
    // 233,91,66 in weston 14's BT.601 limited-range decode.
    present(*p, host, 2, {Fill{{128}}, Fill{{96, 192}}}, VK_FORMAT_R8_UNORM, &buffers);
    if (HasFatalFailure()) return;
    std::string e;
    Frame* frame = p->acquire(20000, &e);
    ASSERT_NE(frame, nullptr) << e;
    EXPECT_EQ(frame->image_format[1], VK_FORMAT_R8G8_UNORM);
    EXPECT_EQ(frame->image_first_plane[1], 1u);
    EXPECT_EQ(frame->image_extent[1].width, (frame->width + 1) / 2);
    EXPECT_EQ(frame->image_view[1], VK_NULL_HANDLE) << "TRANSFER_DST alone allows no view";
    ASSERT_TRUE(host.render(*p, *frame, {Fill{{128}}, Fill{{96, 192}}}, 0).empty());
    ASSERT_TRUE(p->wait_for_frame(&e)) << e;

    auto image = weston_->capture("nodrm-library-nv12");
    ASSERT_TRUE(image.ok()) << image.error().message();
    std::string first;
    EXPECT_EQ(mismatches(*image, 233, 91, 66, 1, &first), 0u) << "first mismatch at " << first;
}

// Every process named `name` stopped (SIGSTOP) for the object's life, then continued: a compositor
// that cannot answer, so that no buffer comes back meanwhile whatever the timing.
class StoppedProcesses {
public:
    explicit StoppedProcesses(const std::string& name)
    {
        DIR* proc = opendir("/proc");
        if (!proc) return;
        while (const dirent* e = readdir(proc)) {
            const int pid = std::atoi(e->d_name);
            if (pid <= 0 || pid == getpid()) continue;
            std::string comm;
            std::getline(std::ifstream{"/proc/" + std::string{e->d_name} + "/comm"}, comm);
            if (comm == name && kill(pid, SIGSTOP) == 0) pids_.push_back(pid);
        }
        closedir(proc);
    }
    ~StoppedProcesses()
    {
        for (const int pid : pids_) kill(pid, SIGCONT);
    }
    StoppedProcesses(const StoppedProcesses&) = delete;
    StoppedProcesses& operator=(const StoppedProcesses&) = delete;
    size_t count() const noexcept { return pids_.size(); }

private:
    std::vector<int> pids_;
};

TEST_F(NodrmLibrary, DroppedFramesAreReportedToTheCallback)
{
    std::string error;
    Config config = config_for(*weston_, DRM_FORMAT_XRGB8888, AllocatorKind::vulkan);
    config.buffers = 2;
    config.drop_when_full = true;
    auto p = Producer::create(config, &error);
    ASSERT_TRUE(p) << error;
    std::vector<uint64_t> reported;
    p->on_dropped([&](uint64_t dropped) { reported.push_back(dropped); });
    // Both buffers made (and imported by weston) while it runs.
    for (int i = 0; i < 2; ++i) {
        Frame* frame = p->acquire(5000, &error);
        ASSERT_NE(frame, nullptr) << error;
        ASSERT_TRUE(p->queue(*frame, 0, &error)) << error;
    }
    ASSERT_EQ(p->stats().dropped, 0u);
    {
        // weston stopped: no buffer can come back, so at most the two buffers are acquired and
        // the other acquires drop, however fast weston would have released them.
        const StoppedProcesses stopped{"weston"};
        ASSERT_EQ(stopped.count(), 1u) << "the shared weston was not found in /proc";
        for (int i = 0; i < 6; ++i) {
            Frame* frame = p->acquire(0, &error);
            ASSERT_TRUE(error.empty()) << error;
            if (frame) {
                ASSERT_TRUE(p->queue(*frame, 0, &error)) << error;
            }
        }
    }
    const uint64_t dropped = p->stats().dropped;
    EXPECT_GE(dropped, 4u);
    ASSERT_EQ(reported.size(), dropped);
    for (size_t i = 0; i < reported.size(); ++i) EXPECT_EQ(reported[i], i + 1);
}

TEST_F(NodrmLibrary, StreamPtsBecomeShowAtTimesAndALateFrameIsDropped)
{
    // DMAFEED_PTS_STREAM: the first frame is shown as soon as it can be, the next one its pts's
    // distance after it; the presented callback gives both show-at times. With drop_late, a frame
    // queued more than 20 ms after its time is given back unshown.
    std::string error;
    Config config = config_for(*weston_, DRM_FORMAT_XRGB8888, AllocatorKind::vulkan);
    config.pts_mode = PtsMode::stream;
    config.drop_late = true;
    auto p = Producer::create(config, &error);
    ASSERT_TRUE(p) << error;
    std::map<uint64_t, uint64_t> show_at;  // pts -> show_at_ns
    p->on_presented([&](const Presented& r) {
        ASSERT_TRUE(DMAFEED_HAS_FIELD(&r, dmafeed_presented, show_at_ns));
        show_at[r.pts_ns] = r.show_at_ns;
    });
    std::vector<uint64_t> reported;
    p->on_dropped([&](uint64_t dropped) { reported.push_back(dropped); });
    constexpr uint64_t ms = 1'000'000;
    for (const uint64_t pts : {1000 * ms, 1040 * ms}) {
        Frame* frame = p->acquire(20000, &error);
        ASSERT_NE(frame, nullptr) << error;
        ASSERT_TRUE(p->queue(*frame, pts, &error)) << error;
        ASSERT_TRUE(p->wait_for_frame(&error)) << error;
    }
    // 2 s after the first frame's time (the waits above took longer than 40 ms anyway), a frame
    // meant for 50 ms after it is late.
    std::this_thread::sleep_for(std::chrono::seconds{2});
    Frame* frame = p->acquire(20000, &error);
    ASSERT_NE(frame, nullptr) << error;
    ASSERT_TRUE(p->queue(*frame, 1050 * ms, &error)) << error;
    for (int i = 0; i < 100 && show_at.size() < 2; ++i) {
        ASSERT_TRUE(p->dispatch(&error)) << error;
        std::this_thread::sleep_for(std::chrono::milliseconds{50});
    }
    const dmafeed_stats stats = p->stats();
    EXPECT_EQ(stats.late, 1u);
    EXPECT_EQ(stats.queued, 2u);
    EXPECT_EQ(reported, (std::vector<uint64_t>{1}));
    ASSERT_EQ(show_at.count(1000 * ms) + show_at.count(1040 * ms), 2u) << "both frames' feedback";
    EXPECT_EQ(show_at[1040 * ms] - show_at[1000 * ms], 40 * ms);
    EXPECT_EQ(stats.timed, stats.presented);
    std::printf("stream pts: %lu presented, %lu late; show error p50 %.1f ms p99 %.1f ms (weston 14: no commit timing)\n",
                static_cast<unsigned long>(stats.presented), static_cast<unsigned long>(stats.late), stats.show_error_p50_ms,
                stats.show_error_p99_ms);
}

TEST_F(VirtioLibrary, AGbmBufferImportedIntoVulkanIsClearedByTheHost)
{
    std::string error;
    auto p = Producer::create(config_for(*weston_, DRM_FORMAT_XRGB8888, AllocatorKind::automatic), &error);
    ASSERT_TRUE(p) << error;
    ASSERT_NE(p->vulkan(), nullptr);
    Host host{*p->vulkan()};
    ASSERT_TRUE(host.ok());
    std::set<uint64_t> buffers;
    present(*p, host, 3, {Fill{{0x61, 0x07, 0xc8, 255}}}, VK_FORMAT_B8G8R8A8_UNORM, &buffers);
    if (HasFatalFailure()) return;
    std::printf("library: %s; %llu refused\n", p->describe().c_str(), static_cast<unsigned long long>(p->stats().refused));
    EXPECT_NE(p->describe().find("from gbm"), std::string::npos) << "GBM on weston's device goes first here: "
                                                                 << p->describe();
    EXPECT_EQ(p->stats().refused, 0u) << "lavapipe is not weston's device: its buffers are not offered first";
    auto image = weston_->capture("virtio-library-gbm");
    ASSERT_TRUE(image.ok()) << image.error().message();
    std::string first;
    EXPECT_EQ(mismatches(*image, 0x61, 0x07, 0xc8, 0, &first), 0u) << "first mismatch at " << first;
}

TEST_F(NodrmLibrary, AFramesDmabufsAreGivenWhileItIsAcquiredOnly)
{
    std::string error;
    auto p = Producer::create(config_for(*weston_, DRM_FORMAT_XRGB8888, AllocatorKind::vulkan), &error);
    ASSERT_TRUE(p) << error;
    Frame* frame = p->acquire(20000, &error);
    ASSERT_NE(frame, nullptr) << error;
    expect_dmabuf_of(*p, *frame);
    Frame queued = *frame;
    ASSERT_TRUE(p->queue(*frame, 0, &error)) << error;
    EXPECT_FALSE(p->dmabuf(queued, &error).has_value());
    EXPECT_NE(error.find("is not the acquired one"), std::string::npos) << error;
}

TEST_F(NodrmLibrary, AnAbandonedFrameIsNotCommittedAndItsBufferComesBack)
{
    std::string error;
    auto p = Producer::create(config_for(*weston_, DRM_FORMAT_XRGB8888, AllocatorKind::vulkan), &error);
    ASSERT_TRUE(p) << error;
    // More abandons than the pool has buffers: each comes back.
    for (int i = 0; i < 5; ++i) {
        Frame* frame = p->acquire(20000, &error);
        ASSERT_NE(frame, nullptr) << "acquire " << i << ": " << error;
        Frame given_back = *frame;
        ASSERT_TRUE(p->abandon(*frame, &error)) << error;
        EXPECT_FALSE(p->abandon(given_back, &error)) << "given back once only";
        EXPECT_NE(error.find("is not the acquired one"), std::string::npos) << error;
        EXPECT_FALSE(p->queue(given_back, 0, &error)) << "nor queued after";
    }
    EXPECT_EQ(p->stats().queued, 0u);
    Frame* frame = p->acquire(20000, &error);
    ASSERT_NE(frame, nullptr) << error;
    ASSERT_TRUE(p->queue(*frame, 0, &error)) << error;
    EXPECT_EQ(p->stats().queued, 1u);
}

TEST_F(NodrmLibrary, AnEglHostRendersIntoLavapipesDmabufsAndTheCaptureIsExact)
{
    expect_egl_host_exact("nodrm-library-egl-vulkan", "vulkan", "2f8c4b", {DRM_FORMAT_MOD_LINEAR});
}

TEST_F(NodrmLibrary, AnEglHostRendersIntoUdmabufBuffersAndTheCaptureIsExact)
{
    expect_egl_host_exact("nodrm-library-egl-udmabuf", "udmabuf", "d4611e", {DRM_FORMAT_MOD_LINEAR});
}

TEST_F(VirtioLibrary, AnEglHostRendersIntoGbmBuffersAndTheCaptureIsExact)
{
    // card0's dumb buffers (kms_swrast), made LINEAR: Mesa 25's GBM (Debian 12) reports the
    // implicit modifier, as weston gets them, and the host imports them without one; Mesa 26.2's
    // (the sid root) reports LINEAR.
    expect_egl_host_exact("virtio-library-egl-gbm", "gbm", "5a2be0", {DRM_FORMAT_MOD_INVALID, DRM_FORMAT_MOD_LINEAR});
}

}  // namespace
}  // namespace dmafeed::test
