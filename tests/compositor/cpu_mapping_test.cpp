// Buffer's CPU mappings (Buffer::begin_cpu_write, write_planes) on memfd buffers: planes whose fds
// are one memory share one mapping, so that a frame's access is one DMA_BUF_IOCTL_SYNC start and
// end on a real dma-buf however many planes it has; planes in memories of their own get one each.
// Counted in /proc/self/maps; the bytes are read back through mappings of the test's own.
#include "drm/format_info.hpp"
#include "memfd_allocator.hpp"

#include <drm_fourcc.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <sys/mman.h>
#include <vector>

namespace dmafeed {
namespace {

// The process's mappings of the test's memfd buffers ("/memfd:dmafeed-test-buffer (deleted)").
size_t buffer_mappings()
{
    std::ifstream maps{"/proc/self/maps"};
    size_t n = 0;
    for (std::string line; std::getline(maps, line);) {
        if (line.find("memfd:dmafeed-test-buffer") != std::string::npos) ++n;
    }
    return n;
}

std::unique_ptr<Buffer> make_buffer(uint32_t fourcc, bool memfd_per_plane)
{
    const DrmFormat format{fourcc};
    test::MemfdAllocator memfd{FormatSet{{format, modifier_linear}}};
    memfd.memfd_per_plane = memfd_per_plane;
    AllocationRequest request{.format = format, .width = 66, .height = 34, .modifiers = {modifier_linear}};
    request.stride_align = 64;
    auto buffer = memfd.allocate(request);
    EXPECT_TRUE(buffer.ok()) << buffer.error().message();
    return buffer.ok() ? std::move(*buffer) : nullptr;
}

// Plane p's rows as the test reads them through a mapping of its own.
std::vector<uint8_t> plane_bytes(const Buffer& buffer, uint32_t p)
{
    const FormatInfo* info = format_info(buffer.format());
    const BufferPlane& plane = buffer.planes()[p];
    const uint32_t rows = plane_height(*info, p, buffer.height()), row = min_stride(*info, p, buffer.width());
    const size_t size = plane.offset + size_t{plane.stride} * rows;
    auto* map = static_cast<const uint8_t*>(mmap(nullptr, size, PROT_READ, MAP_SHARED, plane.fd.get(), 0));
    EXPECT_NE(map, MAP_FAILED);
    if (map == MAP_FAILED) return {};
    std::vector<uint8_t> out;
    for (uint32_t y = 0; y < rows; ++y) {
        const uint8_t* at = map + plane.offset + size_t{y} * plane.stride;
        out.insert(out.end(), at, at + row);
    }
    munmap(const_cast<uint8_t*>(map), size);
    return out;
}

struct Case {
    uint32_t fourcc;
    bool memfd_per_plane;
    size_t mappings;  // of the buffer, once written
};

class CpuMapping : public testing::TestWithParam<Case> {};

TEST_P(CpuMapping, OneMappingPerMemoryAndEveryPlaneWhereItsLayoutSays)
{
    const Case c = GetParam();
    const size_t before = buffer_mappings();
    auto buffer = make_buffer(c.fourcc, c.memfd_per_plane);
    ASSERT_TRUE(buffer);
    const FormatInfo* info = format_info(buffer->format());

    // Each plane filled with its own value through begin_cpu_write's pointers.
    auto mapped = buffer->begin_cpu_write();
    ASSERT_TRUE(mapped.ok()) << mapped.error().message();
    ASSERT_EQ(mapped->size(), info->plane_count);
    EXPECT_EQ(buffer_mappings() - before, c.mappings);
    for (uint32_t p = 0; p < info->plane_count; ++p) {
        EXPECT_EQ((*mapped)[p].stride, buffer->planes()[p].stride);
        for (uint32_t y = 0; y < plane_height(*info, p, buffer->height()); ++y) {
            std::fill_n((*mapped)[p].data + size_t{y} * (*mapped)[p].stride, min_stride(*info, p, buffer->width()),
                        static_cast<uint8_t>(0x10 + p));
        }
    }
    buffer->end_cpu_write();
    for (uint32_t p = 0; p < info->plane_count; ++p) {
        const std::vector<uint8_t> bytes = plane_bytes(*buffer, p);
        EXPECT_EQ(std::count(bytes.begin(), bytes.end(), static_cast<uint8_t>(0x10 + p)), static_cast<ptrdiff_t>(bytes.size()))
            << "plane " << p;
    }

    // write_planes, from rows with a pitch of their own, goes through the same mappings.
    std::vector<std::vector<uint8_t>> sources;
    std::vector<PlanePixels> planes;
    for (uint32_t p = 0; p < info->plane_count; ++p) {
        const uint32_t row = min_stride(*info, p, buffer->width()), pitch = row + 5;
        std::vector<uint8_t>& src = sources.emplace_back(size_t{pitch} * plane_height(*info, p, buffer->height()));
        for (size_t i = 0; i < src.size(); ++i) src[i] = static_cast<uint8_t>(i * 3 + p);
    }
    for (uint32_t p = 0; p < info->plane_count; ++p) {
        planes.push_back({sources[p], static_cast<uint32_t>(min_stride(*info, p, buffer->width()) + 5)});
    }
    auto written = buffer->write_planes(planes);
    ASSERT_TRUE(written.ok()) << written.error().message();
    EXPECT_EQ(buffer_mappings() - before, c.mappings);
    for (uint32_t p = 0; p < info->plane_count; ++p) {
        const std::vector<uint8_t> bytes = plane_bytes(*buffer, p);
        const uint32_t row = min_stride(*info, p, buffer->width());
        for (size_t y = 0; y < bytes.size() / row; ++y) {
            ASSERT_TRUE(std::equal(bytes.begin() + static_cast<ptrdiff_t>(y * row), bytes.begin() + static_cast<ptrdiff_t>((y + 1) * row),
                                   sources[p].begin() + static_cast<ptrdiff_t>(y * (row + 5))))
                << "plane " << p << " row " << y;
        }
    }
    buffer.reset();
    EXPECT_EQ(buffer_mappings(), before) << "a mapping outlived its buffer";
}

INSTANTIATE_TEST_SUITE_P(Layouts, CpuMapping,
                         testing::Values(Case{DRM_FORMAT_YUV420, false, 1}, Case{DRM_FORMAT_NV12, false, 1},
                                         Case{DRM_FORMAT_XRGB8888, false, 1}, Case{DRM_FORMAT_YUV420, true, 3},
                                         Case{DRM_FORMAT_NV12, true, 2}),
                         [](const testing::TestParamInfo<Case>& param) {
                             return dmafeed::name(DrmFormat{param.param.fourcc}) +
                                    (param.param.memfd_per_plane ? "_MemoryPerPlane" : "_OneMemory");
                         });

}  // namespace
}  // namespace dmafeed
