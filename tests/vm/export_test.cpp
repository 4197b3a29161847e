// nodrm: the Vulkan allocator on lavapipe with real dma-bufs.
//  - every exportable (format, modifier) allocates and exports; each plane fd is a dma-buf
//    (/proc/self/fd link "/dmabuf:"), and offsets/strides fit inside it;
//  - a pattern copied in through Vulkan reads back byte for byte through mmap of the dma-buf,
//    bracketed by DMA_BUF_IOCTL_SYNC;
//  - an aligned stride (256) gives LINEAR with that alignment;
//  - bad requests fail with a message naming format, modifier and device; nothing leaks;
//  - 1,000 allocate/free cycles leave the fd count unchanged.
#include "alloc/vulkan_allocator.hpp"
#include "drm/format_info.hpp"
#include "fd_count.hpp"
#include "vk/instance.hpp"
#include "vm_session.hpp"
#include "vulkan_fixture.hpp"

#include <gtest/gtest.h>
#include <memory>
#include <string>

namespace dmafeed::test {
namespace {

constexpr VkImageUsageFlags usage = VK_IMAGE_USAGE_TRANSFER_DST_BIT;

class NodrmExport : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        if (vm_setup() != "nodrm") return;
        auto stack = VulkanStack::create({}, usage);
        ASSERT_TRUE(stack.ok()) << stack.error().message();
        stack_ = std::make_unique<VulkanStack>(std::move(stack).value());
        device_ = stack_->device.get();
        allocator_ = stack_->allocator.get();
        uploader_ = stack_->uploader.get();
        std::printf("exportable on %s: %s\n", device_->info().name.c_str(), allocator_->supported().to_string().c_str());
    }
    static void TearDownTestSuite()
    {
        device_ = nullptr;
        allocator_ = nullptr;
        uploader_ = nullptr;
        stack_.reset();
    }
    void SetUp() override
    {
        if (vm_setup() != "nodrm") GTEST_SKIP() << "nodrm set-up only";
        ASSERT_NE(allocator_, nullptr);
    }

    static inline std::unique_ptr<VulkanStack> stack_;
    static inline vk::Device* device_ = nullptr;
    static inline VulkanAllocator* allocator_ = nullptr;
    static inline vk::Uploader* uploader_ = nullptr;
};

TEST_F(NodrmExport, EveryExportablePairAllocatesExportsAndReadsBackExactly)
{
    const int fds_before = open_fd_count();
    size_t pairs = 0;
    for (const FormatModifier& pair : allocator_->supported()) {
        SCOPED_TRACE(name(pair.format) + " / " + name(pair.modifier));
        const vk::PairCapability* cap = allocator_->capabilities().find(pair);
        ASSERT_NE(cap, nullptr);
        std::printf("  %s %s: %s, max %ux%u\n", name(pair.format).c_str(), name(pair.modifier).c_str(),
                    cap->per_plane_images ? "one image per plane" : "one image", cap->max_extent.width,
                    cap->max_extent.height);
        check_round_trip(*allocator_, *uploader_, {.format = pair.format, .width = 64, .height = 48, .modifiers = {pair.modifier}});
        ++pairs;
    }
    std::printf("round-tripped %zu (format, modifier) pairs\n", pairs);
    EXPECT_GE(pairs, 10U) << "lavapipe should export at least the RGB formats and NV12/P010/YUV420 per plane";
    EXPECT_EQ(open_fd_count(), fds_before);
}

TEST_F(NodrmExport, TheRequiredFormatsAreAmongThem)
{
    for (uint32_t fourcc : {DRM_FORMAT_XRGB8888, DRM_FORMAT_ARGB8888, DRM_FORMAT_XBGR8888, DRM_FORMAT_ABGR8888,
                            DRM_FORMAT_RGB565, DRM_FORMAT_XRGB2101010, DRM_FORMAT_ABGR2101010,
                            DRM_FORMAT_ABGR16161616F, DRM_FORMAT_NV12, DRM_FORMAT_P010, DRM_FORMAT_YUV420}) {
        EXPECT_TRUE(allocator_->supported().contains(DrmFormat{fourcc}, modifier_linear)) << name(DrmFormat{fourcc});
    }
}

TEST_F(NodrmExport, YuvFromPerPlaneImagesWithOddSize)
{
    for (uint32_t fourcc : {DRM_FORMAT_NV12, DRM_FORMAT_P010, DRM_FORMAT_YUV420}) {
        SCOPED_TRACE(name(DrmFormat{fourcc}));
        check_round_trip(*allocator_, *uploader_,
                         {.format = DrmFormat{fourcc}, .width = 63, .height = 35, .modifiers = {modifier_linear}});
    }
}

TEST_F(NodrmExport, StrideAlignmentForcesAlignedLinearLayouts)
{
    for (uint32_t fourcc : {DRM_FORMAT_XRGB8888, DRM_FORMAT_NV12}) {
        SCOPED_TRACE(name(DrmFormat{fourcc}));
        check_round_trip(*allocator_, *uploader_,
                         {.format = DrmFormat{fourcc}, .width = 65, .height = 33, .modifiers = {modifier_linear},
                          .stride_align = 256});
    }
}

TEST_F(NodrmExport, BadRequestsNameFormatModifierAndDevice)
{
    const int fds_before = open_fd_count();
    const std::string device = device_->info().name;
    auto tiled = allocator_->allocate({.format = DrmFormat{DRM_FORMAT_XRGB8888}, .width = 64, .height = 64,
                                       .modifiers = {DrmModifier{I915_FORMAT_MOD_Y_TILED}}});
    ASSERT_FALSE(tiled.ok());
    EXPECT_NE(tiled.error().message().find("XRGB8888"), std::string::npos) << tiled.error().message();
    EXPECT_NE(tiled.error().message().find("Y_TILED"), std::string::npos) << tiled.error().message();
    EXPECT_NE(tiled.error().message().find("LINEAR"), std::string::npos) << "should say what is exportable: " << tiled.error().message();
    EXPECT_NE(tiled.error().message().find(device), std::string::npos) << tiled.error().message();

    auto huge = allocator_->allocate({.format = DrmFormat{DRM_FORMAT_XRGB8888}, .width = 1U << 20, .height = 64,
                                      .modifiers = {modifier_linear}});
    ASSERT_FALSE(huge.ok());
    EXPECT_NE(huge.error().message().find("maximum"), std::string::npos) << huge.error().message();

    auto unknown = allocator_->allocate({.format = DrmFormat{fourcc_code('Z', 'Z', 'Z', 'Z')}, .width = 64, .height = 64,
                                         .modifiers = {modifier_linear}});
    ASSERT_FALSE(unknown.ok());
    EXPECT_NE(unknown.error().message().find("ZZZZ"), std::string::npos) << unknown.error().message();

    auto zero = allocator_->allocate({.format = DrmFormat{DRM_FORMAT_XRGB8888}, .width = 0, .height = 64,
                                      .modifiers = {modifier_linear}});
    EXPECT_FALSE(zero.ok());
    EXPECT_EQ(open_fd_count(), fds_before);
}

TEST_F(NodrmExport, AThousandAllocateFreeCyclesLeakNoFd)
{
    const int fds_before = open_fd_count();
    for (int i = 0; i < 1000; ++i) {
        const uint32_t fourcc = i % 2 ? DRM_FORMAT_NV12 : DRM_FORMAT_XRGB8888;
        auto b = allocator_->allocate({.format = DrmFormat{fourcc}, .width = 32, .height = 32, .modifiers = {modifier_linear}});
        ASSERT_TRUE(b.ok()) << "cycle " << i << ": " << b.error().message();
    }
    EXPECT_EQ(open_fd_count(), fds_before);
}

}  // namespace
}  // namespace dmafeed::test
