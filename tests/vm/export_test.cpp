// nodrm: the Vulkan allocator on lavapipe with real dma-bufs.
//  - every exportable (format, modifier) allocates and exports; each plane fd is a dma-buf
//    (/proc/self/fd link "/dmabuf:"), and offsets/strides fit inside it;
//  - a pattern copied in through Vulkan reads back byte for byte through mmap of the dma-buf,
//    bracketed by DMA_BUF_IOCTL_SYNC;
//  - an aligned stride (256) gives LINEAR with that alignment;
//  - bad requests fail with a message naming format, modifier and device; nothing leaks;
//  - 1,000 allocate/free cycles leave the fd count unchanged.
#include "alloc/dmabuf_mapping.hpp"
#include "alloc/vulkan_allocator.hpp"
#include "drm/device.hpp"
#include "drm/format_info.hpp"
#include "fd_count.hpp"
#include "vk/instance.hpp"
#include "vk/upload.hpp"
#include "vm_session.hpp"

#include <cstring>
#include <gtest/gtest.h>
#include <memory>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace dmafeed::test {
namespace {

constexpr VkImageUsageFlags usage = VK_IMAGE_USAGE_TRANSFER_DST_BIT;

std::string fd_link(int fd)
{
    char buf[256] = {};
    const ssize_t n = readlink(("/proc/self/fd/" + std::to_string(fd)).c_str(), buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string{};
}

uint64_t dmabuf_size(int fd) { return static_cast<uint64_t>(lseek(fd, 0, SEEK_END)); }

class NodrmExport : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        if (vm_setup() != "nodrm") return;
        auto instance = vk::Instance::create();
        ASSERT_TRUE(instance.ok()) << instance.error().message();
        instance_ = std::make_unique<vk::Instance>(std::move(instance).value());
        auto handles = instance_->physical_devices();
        ASSERT_TRUE(handles.ok()) << handles.error().message();
        std::vector<vk::PhysicalDeviceInfo> infos;
        for (VkPhysicalDevice d : *handles) infos.push_back(vk::query_physical_device(d));
        auto choice = vk::select_device(infos, std::nullopt, drm::same_device);
        ASSERT_TRUE(choice.ok()) << choice.error().message();
        auto device = vk::Device::create(infos[choice->index]);
        ASSERT_TRUE(device.ok()) << device.error().message();
        device_ = std::move(device).value();
        auto alloc = VulkanAllocator::create(*device_, usage);
        ASSERT_TRUE(alloc.ok()) << alloc.error().message();
        allocator_ = std::move(alloc).value();
        auto up = vk::Uploader::create(*device_);
        ASSERT_TRUE(up.ok()) << up.error().message();
        uploader_ = std::move(up).value();
        std::printf("exportable on %s: %s\n", device_->info().name.c_str(), allocator_->supported().to_string().c_str());
    }
    static void TearDownTestSuite()
    {
        uploader_.reset();
        allocator_.reset();
        device_.reset();
        instance_.reset();
    }
    void SetUp() override
    {
        if (vm_setup() != "nodrm") GTEST_SKIP() << "nodrm set-up only";
        ASSERT_NE(allocator_, nullptr);
    }

    static inline std::unique_ptr<vk::Instance> instance_;
    static inline std::unique_ptr<vk::Device> device_;
    static inline std::unique_ptr<VulkanAllocator> allocator_;
    static inline std::unique_ptr<vk::Uploader> uploader_;
};

// Allocates, checks the planes, uploads a pattern through Vulkan and compares it through mmap.
void check_round_trip(VulkanAllocator& allocator, vk::Uploader& uploader, const AllocationRequest& req)
{
    const std::string what = name(req.format) + " " + std::to_string(req.width) + "x" + std::to_string(req.height);
    auto allocated = allocator.allocate(req);
    ASSERT_TRUE(allocated.ok()) << allocated.error().message();
    auto& buffer = static_cast<VulkanBuffer&>(**allocated);
    const FormatInfo* info = format_info(req.format);
    ASSERT_NE(info, nullptr);
    ASSERT_EQ(buffer.planes().size(), info->plane_count) << what;

    for (uint32_t p = 0; p < info->plane_count; ++p) {
        const BufferPlane& plane = buffer.planes()[p];
        EXPECT_EQ(fd_link(plane.fd.get()).rfind("/dmabuf:", 0), 0U) << what << " plane " << p << " is " << fd_link(plane.fd.get());
        const uint64_t rows = plane_height(*info, p, req.height);
        EXPECT_GE(plane.stride, min_stride(*info, p, req.width)) << what << " plane " << p;
        EXPECT_LE(plane.offset + plane.stride * (rows - 1) + min_stride(*info, p, req.width), dmabuf_size(plane.fd.get()))
            << what << " plane " << p << " does not fit its dma-buf";
        if (req.stride_align > 0) {
            EXPECT_EQ(plane.stride % req.stride_align, 0U) << what << " plane " << p;
            EXPECT_EQ(plane.offset % req.stride_align, 0U) << what << " plane " << p;
        }
    }

    // A pattern that differs per byte, row and plane.
    std::vector<std::vector<uint8_t>> pixels(info->plane_count);
    std::vector<PlanePixels> planes;
    for (uint32_t p = 0; p < info->plane_count; ++p) {
        const uint32_t row = static_cast<uint32_t>(min_stride(*info, p, req.width));
        const uint32_t rows = plane_height(*info, p, req.height);
        pixels[p].resize(size_t{row} * rows);
        for (uint32_t y = 0; y < rows; ++y)
            for (uint32_t x = 0; x < row; ++x)
                pixels[p][size_t{y} * row + x] = static_cast<uint8_t>(x * 7 + y * 13 + p * 61 + 1);
        planes.push_back({pixels[p], row});
    }
    auto regions = buffer.upload_regions(planes);
    ASSERT_TRUE(regions.ok()) << regions.error().message();
    auto uploaded = uploader.upload(*regions);
    ASSERT_TRUE(uploaded.ok()) << uploaded.error().message();

    for (uint32_t p = 0; p < info->plane_count; ++p) {
        const BufferPlane& plane = buffer.planes()[p];
        auto map = DmabufMapping::map(plane.fd.get(), dmabuf_size(plane.fd.get()), DmabufMapping::Access::read);
        ASSERT_TRUE(map.ok()) << map.error().message();
        EXPECT_TRUE(map->synced()) << "DMA_BUF_IOCTL_SYNC failed on a real dma-buf";
        const uint32_t row = planes[p].row_bytes;
        const uint32_t rows = plane_height(*info, p, req.height);
        size_t mismatches = 0;
        for (uint32_t y = 0; y < rows; ++y) {
            const uint8_t* got = map->bytes().data() + plane.offset + size_t{y} * plane.stride;
            mismatches += std::memcmp(got, pixels[p].data() + size_t{y} * row, row) != 0;
        }
        EXPECT_EQ(mismatches, 0U) << what << " plane " << p << ": rows differ from what Vulkan wrote";
    }
}

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
