// render::CpuPatternDrawer on memfd buffers (real LINEAR layouts with padded strides): a buffer
// redrawn frame after frame only where the pattern changed holds, byte for byte, what a full
// sources::PatternSource::render of the last frame gives; for 8-bit, 565, 10-bit and half-float
// RGB and for 8- and 10-bit subsampled YUV, at odd sizes where chroma blocks are cut by the
// image's edge.
#include "drm/format_info.hpp"
#include "memfd_allocator.hpp"
#include "render/cpu_pattern.hpp"
#include "sources/pattern.hpp"

#include <drm_fourcc.h>
#include <gtest/gtest.h>
#include <cctype>
#include <string>
#include <sys/mman.h>

namespace dmafeed {
namespace {

using render::align_to_blocks;

TEST(CpuPatternBlocks, RectanglesWidenToWholeChromaBlocksAndStopAtTheEdge)
{
    EXPECT_EQ(align_to_blocks({3, 5, 4, 2}, 2, 2, 97, 61), (PixelRect{2, 4, 6, 4}));
    EXPECT_EQ(align_to_blocks({95, 59, 2, 2}, 2, 2, 97, 61), (PixelRect{94, 58, 3, 3}));  // the odd last column and row
    EXPECT_EQ(align_to_blocks({3, 5, 4, 2}, 1, 1, 97, 61), (PixelRect{3, 5, 4, 2}));
    EXPECT_EQ(align_to_blocks({90, 0, 20, 8}, 2, 1, 97, 61), (PixelRect{90, 0, 7, 8}));   // clipped
    EXPECT_EQ(align_to_blocks({97, 0, 4, 4}, 2, 2, 97, 61).width, 0u);                     // outside
}

// The bytes of every plane row, as the format's minimum stride long.
std::vector<std::vector<uint8_t>> read_rows(const Buffer& buffer)
{
    const FormatInfo* info = format_info(buffer.format());
    std::vector<std::vector<uint8_t>> rows;
    for (uint32_t p = 0; p < info->plane_count; ++p) {
        const BufferPlane& plane = buffer.planes()[p];
        const uint32_t height = plane_height(*info, p, buffer.height());
        const size_t size = plane.offset + size_t{plane.stride} * height;
        auto* map = static_cast<const uint8_t*>(mmap(nullptr, size, PROT_READ, MAP_SHARED, plane.fd.get(), 0));
        EXPECT_NE(map, MAP_FAILED);
        if (map == MAP_FAILED) return rows;
        for (uint32_t y = 0; y < height; ++y) {
            const uint8_t* row = map + plane.offset + size_t{y} * plane.stride;
            rows.emplace_back(row, row + min_stride(*info, p, buffer.width()));
        }
        munmap(const_cast<uint8_t*>(map), size);
    }
    return rows;
}

std::vector<std::vector<uint8_t>> packed_rows(const std::vector<PlanePixels>& planes, const Buffer& buffer)
{
    const FormatInfo* info = format_info(buffer.format());
    std::vector<std::vector<uint8_t>> rows;
    for (uint32_t p = 0; p < info->plane_count; ++p) {
        for (uint32_t y = 0; y < plane_height(*info, p, buffer.height()); ++y) {
            const uint8_t* row = planes[p].data.data() + size_t{y} * planes[p].row_bytes;
            rows.emplace_back(row, row + min_stride(*info, p, buffer.width()));
        }
    }
    return rows;
}

struct Case {
    uint32_t fourcc;
    sources::PatternKind kind;
};

std::string case_name(const testing::TestParamInfo<Case>& param)
{
    const sources::PatternSpec spec{param.param.kind, {}};
    std::string n = name(DrmFormat{param.param.fourcc}) + "_" + spec.to_string();
    for (char& c : n) {
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    }
    return n;
}

class CpuPatternDraws : public testing::TestWithParam<Case> {};

TEST_P(CpuPatternDraws, RedrawingWhatChangedEqualsAFullRender)
{
    const DrmFormat format{GetParam().fourcc};
    const sources::PatternSpec spec{GetParam().kind, {}};
    constexpr uint32_t width = 97, height = 61;
    test::MemfdAllocator memfd{FormatSet{{format, modifier_linear}}};
    AllocationRequest request{.format = format, .width = width, .height = height, .modifiers = {modifier_linear}};
    request.stride_align = 64;  // padding after each row, which a region write must not touch
    auto buffer = memfd.allocate(request);
    ASSERT_TRUE(buffer.ok()) << buffer.error().message();
    ASSERT_EQ(render::CpuPatternDrawer::cannot_draw(**buffer), "");

    auto reference = sources::PatternSource::create(spec, format, width, height);
    ASSERT_TRUE(reference.ok()) << reference.error().message();
    render::CpuPatternDrawer drawer;
    std::optional<sources::PatternFrame> held;
    uint64_t redrawn = 0;
    for (uint64_t f = 0; f < 40; ++f) {
        const sources::PatternFrame frame = sources::pattern_frame(spec, width, height, f, f * 40);
        if (held) {
            const std::vector<PixelRect> changed = sources::pattern_changes(*held, frame);
            for (const PixelRect& r : changed) redrawn += uint64_t{r.width} * r.height;
            ASSERT_TRUE(drawer.draw(**buffer, frame, {}, std::span<const PixelRect>{changed}).ok()) << "frame " << f;
        } else {
            ASSERT_TRUE(drawer.draw(**buffer, frame, {}).ok());
        }
        held = frame;
        const auto want = packed_rows(reference->render(f, f * 40), **buffer);
        const auto got = read_rows(**buffer);
        ASSERT_EQ(got.size(), want.size());
        for (size_t row = 0; row < got.size(); ++row) {
            ASSERT_EQ(got[row], want[row]) << name(format) << " frame " << f << ": packed row " << row << " differs";
        }
    }
    if (GetParam().kind == sources::PatternKind::moving_box) {
        // Partial: far fewer pixels than 39 full frames.
        EXPECT_LT(redrawn, uint64_t{39} * width * height / 3) << redrawn;
    }
}

INSTANTIATE_TEST_SUITE_P(Formats, CpuPatternDraws,
                         testing::Values(Case{DRM_FORMAT_XRGB8888, sources::PatternKind::moving_box},
                                         Case{DRM_FORMAT_ABGR8888, sources::PatternKind::checker},
                                         Case{DRM_FORMAT_NV12, sources::PatternKind::moving_box},
                                         Case{DRM_FORMAT_YUV420, sources::PatternKind::moving_box},
                                         Case{DRM_FORMAT_NV16, sources::PatternKind::smpte},
                                         Case{DRM_FORMAT_YVU420, sources::PatternKind::checker},
                                         Case{DRM_FORMAT_P010, sources::PatternKind::moving_box},
                                         Case{DRM_FORMAT_P210, sources::PatternKind::checker},
                                         Case{DRM_FORMAT_RGB565, sources::PatternKind::moving_box},
                                         Case{DRM_FORMAT_XRGB2101010, sources::PatternKind::moving_box},
                                         Case{DRM_FORMAT_ABGR16161616F, sources::PatternKind::smpte}),
                         case_name);

TEST(CpuPatternDraws, RefusesWhatItCannotMap)
{
    test::MemfdAllocator memfd{FormatSet{{DrmFormat{DRM_FORMAT_XRGB8888}, modifier_linear}}};
    auto buffer = memfd.allocate({.format = DrmFormat{DRM_FORMAT_XRGB8888}, .width = 8, .height = 8, .modifiers = {modifier_linear}});
    ASSERT_TRUE(buffer.ok());
    render::CpuPatternDrawer drawer;
    const auto wrong_size = sources::pattern_frame({}, 9, 8, 0, 0);
    auto r = drawer.draw(**buffer, wrong_size, {});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message().find("9x8 frame for a 8x8 buffer"), std::string::npos) << r.error().message();
}

}  // namespace
}  // namespace dmafeed
