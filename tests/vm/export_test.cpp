// nodrm: the Vulkan allocator on lavapipe with real dma-bufs.
//  - every exportable (format, modifier) allocates and exports; each plane fd is a dma-buf
//    (/proc/self/fd link "/dmabuf:"), and offsets/strides fit inside it;
//  - a pattern copied in through Vulkan reads back byte for byte through mmap of the dma-buf,
//    bracketed by DMA_BUF_IOCTL_SYNC;
//  - YUV from per-plane images is one dma-buf, planes one after another (one per plane: disjoint);
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
#include <set>
#include <sys/stat.h>
#include <utility>
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

// lavapipe has no multi-planar LINEAR images: its YUV buffers are one image per plane. Those are
// bound into one memory, so the frame is one dma-buf with a plane offset each (what a CPU writer
// maps and syncs once); disjoint asks for one dma-buf per plane instead.
TEST_F(NodrmExport, PerPlaneYuvIsOneDmabufWithThePlanesOneAfterAnother)
{
    const int fds_before = open_fd_count();
    struct Case {
        uint32_t fourcc;
        uint32_t stride_align;
        uint32_t plane_offset;
        bool disjoint;
    };
    for (const Case c : {Case{DRM_FORMAT_NV12, 0, 0, false}, Case{DRM_FORMAT_P010, 0, 0, false},
                         Case{DRM_FORMAT_YUV420, 0, 0, false}, Case{DRM_FORMAT_YUV420, 256, 0, false},
                         Case{DRM_FORMAT_NV12, 0, 4096, false}, Case{DRM_FORMAT_YUV420, 0, 0, true}}) {
        const DrmFormat format{c.fourcc};
        const AllocationRequest req{.format = format, .width = 63, .height = 35, .modifiers = {modifier_linear},
                                    .stride_align = c.stride_align, .plane_offset = c.plane_offset, .disjoint = c.disjoint};
        SCOPED_TRACE(name(format) + " stride_align " + std::to_string(c.stride_align) + " plane_offset " +
                     std::to_string(c.plane_offset) + (c.disjoint ? " disjoint" : ""));
        ASSERT_TRUE(allocator_->capabilities().find({format, modifier_linear})->per_plane_images)
            << "lavapipe now exports multi-planar LINEAR images: this test no longer covers per-plane images";
        auto allocated = allocator_->allocate(req);
        ASSERT_TRUE(allocated.ok()) << allocated.error().message();
        const auto& buffer = static_cast<const VulkanBuffer&>(**allocated);
        const FormatInfo* info = format_info(format);
        ASSERT_EQ(buffer.planes().size(), info->plane_count);
        EXPECT_EQ(buffer.parts().size(), info->plane_count);
        EXPECT_EQ(buffer.memories().size(), c.disjoint ? info->plane_count : 1U);

        std::set<std::pair<dev_t, ino_t>> dmabufs;
        for (const BufferPlane& plane : buffer.planes()) {
            struct stat st{};
            ASSERT_EQ(fstat(plane.fd.get(), &st), 0);
            dmabufs.insert({st.st_dev, st.st_ino});
        }
        EXPECT_EQ(dmabufs.size(), c.disjoint ? info->plane_count : 1U);
        EXPECT_EQ(buffer.planes()[0].offset, c.plane_offset);
        if (!c.disjoint) {
            for (uint32_t p = 1; p < info->plane_count; ++p) {
                const BufferPlane& before = buffer.planes()[p - 1];
                const uint64_t end = before.offset + uint64_t{before.stride} * plane_height(*info, p - 1, req.height);
                EXPECT_GE(buffer.planes()[p].offset, end) << "plane " << p << " overlaps plane " << p - 1;
            }
        }
        ASSERT_NO_FATAL_FAILURE(check_round_trip(*allocator_, *uploader_, req));
    }
    EXPECT_EQ(open_fd_count(), fds_before);
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
