// The udmabuf allocator (the quick start's first buffers where the compositor names no DRM
// device) in the nodrm guest: planes back to back in one writable dma-buf (at a requested plane
// offset, or one dma-buf each), pixels written through the mapping read back exactly, requests it
// cannot serve named, a missing device named, no fd left.
#include "vm_session.hpp"

#include "alloc/udmabuf_allocator.hpp"
#include "drm/format_info.hpp"
#include "fd_count.hpp"
#include "sources/solid.hpp"

#include <cstring>
#include <drm_fourcc.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>

namespace dmafeed::test {
namespace {

class NodrmUdmabuf : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (vm_setup() != "nodrm") GTEST_SKIP() << "nodrm set-up only";
    }
};

// Every plane row of `b` as `planes` has it, read through a mapping of each plane's own fd.
void expect_rows(const Buffer& b, std::span<const PlanePixels> planes, const std::string& what)
{
    const FormatInfo& info = *format_info(b.format());
    for (uint32_t p = 0; p < info.plane_count; ++p) {
        const BufferPlane& plane = b.planes()[p];
        const uint64_t row = min_stride(info, p, b.width());
        const uint64_t end = plane.offset + plane.size;
        void* map = mmap(nullptr, end, PROT_READ, MAP_SHARED, plane.fd.get(), 0);
        ASSERT_NE(map, MAP_FAILED) << what;
        const auto* bytes = static_cast<const uint8_t*>(map);
        for (uint32_t y = 0; y < plane_height(info, p, b.height()); ++y) {
            ASSERT_EQ(std::memcmp(bytes + plane.offset + uint64_t{y} * plane.stride,
                                  planes[p].data.data() + uint64_t{y} * planes[p].row_bytes, row),
                      0)
                << what << " plane " << p << " row " << y;
        }
        munmap(map, end);
    }
}

TEST_F(NodrmUdmabuf, PlanesLieBackToBackInOneWritableDmabufAndReadBackExactly)
{
    const int fds_before = open_fd_count();
    {
        auto udmabuf = UdmabufAllocator::create();
        ASSERT_TRUE(udmabuf.ok()) << udmabuf.error().message();
        EXPECT_EQ((*udmabuf)->path(), "/dev/udmabuf");
        EXPECT_TRUE((*udmabuf)->supported().contains(DrmFormat{DRM_FORMAT_NV12}, modifier_linear));
        EXPECT_FALSE((*udmabuf)->supported().contains(DrmFormat{DRM_FORMAT_XRGB8888}, modifier_implicit));
        for (const uint32_t fourcc : {DRM_FORMAT_XRGB8888, DRM_FORMAT_NV12, DRM_FORMAT_YUV420}) {
            const DrmFormat format{fourcc};
            auto buffer = (*udmabuf)->allocate({.format = format, .width = 67, .height = 33, .modifiers = {modifier_linear}});
            ASSERT_TRUE(buffer.ok()) << buffer.error().message();
            const Buffer& b = **buffer;
            const FormatInfo& info = *format_info(format);
            ASSERT_EQ(b.planes().size(), info.plane_count);
            EXPECT_EQ(b.modifier(), modifier_linear);
            uint64_t end = 0;
            for (uint32_t p = 0; p < info.plane_count; ++p) {
                const BufferPlane& plane = b.planes()[p];
                EXPECT_EQ(plane.offset % 64, 0u) << name(format) << " plane " << p;
                EXPECT_GE(plane.offset, end) << name(format) << " plane " << p << " overlaps the one before";
                EXPECT_LT(plane.offset, end + 64) << name(format) << " plane " << p << " is not right after the one before";
                EXPECT_EQ(plane.stride % 64, 0u);
                EXPECT_GE(plane.stride, min_stride(info, p, 67));
                EXPECT_EQ(fcntl(plane.fd.get(), F_GETFL) & O_ACCMODE, O_RDWR) << "the dma-buf must be writable";
                end = plane.offset + uint64_t{plane.stride} * plane_height(info, p, 33);
            }
            EXPECT_GE(b.allocated_bytes(), end);
            EXPECT_EQ(b.allocated_bytes() % 4096, 0u) << "udmabuf maps whole pages";
            EXPECT_EQ(b.dmabuf_fds().size(), 1u) << "one dma-buf for every plane";
            auto solid = sources::SolidFrame::make(format, 67, 33, {200, 100, 50});
            ASSERT_TRUE(solid.ok());
            const auto planes = solid->planes();
            ASSERT_TRUE(b.write_planes(planes).ok());
            expect_rows(b, planes, name(format));
        }
    }
    EXPECT_EQ(open_fd_count(), fds_before) << open_fd_list();
}

TEST_F(NodrmUdmabuf, APlaneOffsetAStrideAlignmentAndDisjointPlanesAreLaidOutAsAsked)
{
    const int fds_before = open_fd_count();
    {
        auto udmabuf = UdmabufAllocator::create();
        ASSERT_TRUE(udmabuf.ok()) << udmabuf.error().message();
        const DrmFormat nv12{DRM_FORMAT_NV12};
        auto solid = sources::SolidFrame::make(nv12, 67, 33, {10, 220, 130});
        ASSERT_TRUE(solid.ok());
        const auto planes = solid->planes();

        auto offset = (*udmabuf)->allocate(
            {.format = nv12, .width = 67, .height = 33, .modifiers = {modifier_linear}, .stride_align = 256, .plane_offset = 4096});
        ASSERT_TRUE(offset.ok()) << offset.error().message();
        EXPECT_EQ((*offset)->planes()[0].offset, 4096u);
        EXPECT_EQ((*offset)->planes()[0].stride, 256u);
        EXPECT_EQ((*offset)->planes()[1].offset, 4096u + 256u * 33u) << "the CbCr plane right after the 33 Y rows";
        ASSERT_TRUE((*offset)->write_planes(planes).ok());
        expect_rows(**offset, planes, "NV12 at offset 4096");

        auto disjoint = (*udmabuf)->allocate(
            {.format = nv12, .width = 67, .height = 33, .modifiers = {modifier_linear}, .plane_offset = 128, .disjoint = true});
        ASSERT_TRUE(disjoint.ok()) << disjoint.error().message();
        EXPECT_EQ((*disjoint)->dmabuf_fds().size(), 2u) << "a dma-buf per plane";
        EXPECT_EQ((*disjoint)->planes()[0].offset, 128u);
        EXPECT_EQ((*disjoint)->planes()[1].offset, 128u);
        ASSERT_TRUE((*disjoint)->write_planes(planes).ok());
        expect_rows(**disjoint, planes, "disjoint NV12");
    }
    EXPECT_EQ(open_fd_count(), fds_before) << open_fd_list();
}

TEST_F(NodrmUdmabuf, RequestsItCannotServeAndAMissingDeviceAreRefusedWithTheReason)
{
    auto missing = UdmabufAllocator::create("/dev/no-such-udmabuf");
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().message().find("open /dev/no-such-udmabuf"), std::string::npos) << missing.error().message();

    auto udmabuf = UdmabufAllocator::create();
    ASSERT_TRUE(udmabuf.ok()) << udmabuf.error().message();
    auto tiled = (*udmabuf)->allocate(
        {.format = DrmFormat{DRM_FORMAT_XRGB8888}, .width = 64, .height = 64, .modifiers = {DrmModifier{I915_FORMAT_MOD_X_TILED}}});
    ASSERT_FALSE(tiled.ok());
    EXPECT_NE(tiled.error().message().find("LINEAR only"), std::string::npos) << tiled.error().message();
    auto empty = (*udmabuf)->allocate({.format = DrmFormat{DRM_FORMAT_XRGB8888}, .width = 0, .height = 64, .modifiers = {modifier_linear}});
    ASSERT_FALSE(empty.ok());
    EXPECT_NE(empty.error().message().find("an empty size"), std::string::npos) << empty.error().message();
}

}  // namespace
}  // namespace dmafeed::test
