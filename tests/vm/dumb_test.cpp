// The dumb-buffer allocator (the quick start's first buffers) on virtio-gpu's primary node: a
// layout whose planes lie back to back in one read-write dma-buf, pixels written through the
// mapping read back exactly, requests it cannot serve named, the render node refused, no fd left.
#include "vm_session.hpp"

#include "alloc/dumb_allocator.hpp"
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

class VirtioDumb : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (vm_setup() != "virtio") GTEST_SKIP() << "virtio set-up only";
    }
};

TEST_F(VirtioDumb, PlanesLieBackToBackInOneWritableDmabufAndReadBackExactly)
{
    const int fds_before = open_fd_count();
    {
        auto dumb = DumbAllocator::create("/dev/dri/card0", std::nullopt);
        ASSERT_TRUE(dumb.ok()) << dumb.error().message();
        EXPECT_EQ((*dumb)->kernel_driver(), "virtio_gpu");
        EXPECT_TRUE((*dumb)->supported().contains(DrmFormat{DRM_FORMAT_NV12}, modifier_linear));
        EXPECT_FALSE((*dumb)->supported().contains(DrmFormat{DRM_FORMAT_XRGB8888}, modifier_implicit));
        for (const uint32_t fourcc : {DRM_FORMAT_XRGB8888, DRM_FORMAT_NV12, DRM_FORMAT_YUV420}) {
            const DrmFormat format{fourcc};
            auto buffer = (*dumb)->allocate({.format = format, .width = 67, .height = 33, .modifiers = {modifier_linear}});
            ASSERT_TRUE(buffer.ok()) << buffer.error().message();
            const Buffer& b = **buffer;
            const FormatInfo& info = *format_info(format);
            ASSERT_EQ(b.planes().size(), info.plane_count);
            uint64_t offset = 0;
            for (uint32_t p = 0; p < info.plane_count; ++p) {
                const BufferPlane& plane = b.planes()[p];
                EXPECT_EQ(plane.offset, offset) << name(format) << " plane " << p;
                EXPECT_GE(plane.stride, min_stride(info, p, 67));
                EXPECT_EQ(plane.stride, b.planes()[0].stride);
                EXPECT_EQ(fcntl(plane.fd.get(), F_GETFL) & O_ACCMODE, O_RDWR) << "the dma-buf must be writable";
                offset += uint64_t{plane.stride} * plane_height(info, p, 33);
            }
            EXPECT_GE(b.allocated_bytes(), offset);
            auto solid = sources::SolidFrame::make(format, 67, 33, {200, 100, 50});
            ASSERT_TRUE(solid.ok());
            const auto planes = solid->planes();
            ASSERT_TRUE(b.write_planes(planes).ok());
            // Read back through a mapping of its own: every plane row as written.
            void* map = mmap(nullptr, offset, PROT_READ, MAP_SHARED, b.planes()[0].fd.get(), 0);
            ASSERT_NE(map, MAP_FAILED);
            const auto* bytes = static_cast<const uint8_t*>(map);
            for (uint32_t p = 0; p < info.plane_count; ++p) {
                const uint64_t row = min_stride(info, p, 67);
                for (uint32_t y = 0; y < plane_height(info, p, 33); ++y) {
                    ASSERT_EQ(std::memcmp(bytes + b.planes()[p].offset + uint64_t{y} * b.planes()[p].stride,
                                          planes[p].data.data() + uint64_t{y} * planes[p].row_bytes, row),
                              0)
                        << name(format) << " plane " << p << " row " << y;
                }
            }
            munmap(map, offset);
        }
    }
    EXPECT_EQ(open_fd_count(), fds_before) << open_fd_list();
}

TEST_F(VirtioDumb, RequestsItCannotServeAndTheRenderNodeAreRefusedWithTheReason)
{
    auto render = DumbAllocator::create("/dev/dri/renderD128", std::nullopt);
    ASSERT_FALSE(render.ok());
    EXPECT_NE(render.error().message().find("not a primary node"), std::string::npos) << render.error().message();
    auto dumb = DumbAllocator::create("/dev/dri/card0", std::nullopt);
    ASSERT_TRUE(dumb.ok()) << dumb.error().message();
    const DrmFormat xrgb{DRM_FORMAT_XRGB8888};
    auto tiled = (*dumb)->allocate({.format = xrgb, .width = 64, .height = 64, .modifiers = {DrmModifier{0x0100000000000002ULL}}});
    ASSERT_FALSE(tiled.ok());
    EXPECT_NE(tiled.error().message().find("LINEAR only"), std::string::npos) << tiled.error().message();
    auto offset = (*dumb)->allocate({.format = xrgb, .width = 64, .height = 64, .modifiers = {modifier_linear}, .plane_offset = 4096});
    ASSERT_FALSE(offset.ok());
    EXPECT_NE(offset.error().message().find("back to back"), std::string::npos) << offset.error().message();
    auto aligned = (*dumb)->allocate({.format = xrgb, .width = 65, .height = 8, .modifiers = {modifier_linear}, .stride_align = 256});
    ASSERT_TRUE(aligned.ok()) << aligned.error().message();
    EXPECT_EQ((*aligned)->planes()[0].stride % 256, 0U);
}

}  // namespace
}  // namespace dmafeed::test
