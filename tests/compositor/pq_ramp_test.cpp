// The pq-ramp pattern on its way to a compositor: drawn on the CPU into memfd buffers (real
// LINEAR layouts with padded strides) and through the producer into the test compositor, whose
// copy of the buffer holds PQ's 10-bit codes bit for bit; an 8-bit buffer is refused with the
// formats that would work.
#include "memfd_allocator.hpp"
#include "test_compositor.hpp"

#include "drm/format_info.hpp"
#include "producer/producer.hpp"
#include "render/cpu_pattern.hpp"
#include "sources/pattern.hpp"

#include <chrono>
#include <drm_fourcc.h>
#include <gtest/gtest.h>
#include <string>
#include <sys/mman.h>
#include <vector>

namespace dmafeed::test {
namespace {

using namespace std::chrono_literals;
using sources::pq_ramp_steps;

constexpr DrmFormat xrgb2101010{DRM_FORMAT_XRGB2101010};
constexpr DrmFormat abgr16f{DRM_FORMAT_ABGR16161616F};
const sources::PatternSpec pq_ramp{sources::PatternKind::pq_ramp, {}};

// The code of bar x * 10 / width.
uint32_t code_at(uint32_t x, uint32_t width) { return pq_ramp_steps[x * pq_ramp_steps.size() / width].code; }

// The 10-bit XRGB2101010 word of a grey code: X all ones, R = G = B = code.
uint32_t xrgb_word(uint32_t code) { return 0xc0000000U | code << 20 | code << 10 | code; }

uint32_t le32(const uint8_t* p) { return p[0] | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24; }
uint64_t le64(const uint8_t* p) { return le32(p) | uint64_t{le32(p + 4)} << 32; }

// Plane 0's rows, through a mapping of its fd (stride apart, from its offset).
std::vector<uint8_t> read_plane(const Buffer& buffer)
{
    const BufferPlane& plane = buffer.planes()[0];
    const size_t size = plane.offset + size_t{plane.stride} * buffer.height();
    auto* map = static_cast<const uint8_t*>(mmap(nullptr, size, PROT_READ, MAP_SHARED, plane.fd.get(), 0));
    EXPECT_NE(map, MAP_FAILED);
    if (map == MAP_FAILED) return {};
    std::vector<uint8_t> bytes(map + plane.offset, map + size);
    munmap(const_cast<uint8_t*>(map), size);
    return bytes;
}

std::unique_ptr<Buffer> allocate(MemfdAllocator& memfd, DrmFormat format, uint32_t width, uint32_t height)
{
    AllocationRequest request{.format = format, .width = width, .height = height, .modifiers = {modifier_linear}};
    request.stride_align = 256;  // padding after each row, which the drawer must leave alone
    auto buffer = memfd.allocate(request);
    EXPECT_TRUE(buffer.ok()) << (buffer.ok() ? "" : buffer.error().message());
    return buffer.ok() ? std::move(*buffer) : nullptr;
}

TEST(PqRampDraws, TenBitBuffersGetTheCodesOnTheCpu)
{
    constexpr uint32_t width = 45, height = 7;  // bars of 4 and 5 pixels
    MemfdAllocator memfd{FormatSet{{xrgb2101010, modifier_linear}}};
    auto buffer = allocate(memfd, xrgb2101010, width, height);
    ASSERT_TRUE(buffer);
    ASSERT_EQ(render::CpuPatternDrawer::cannot_draw(*buffer), "");
    render::CpuPatternDrawer drawer;
    const auto frame = sources::pattern_frame(pq_ramp, width, height, 0, 0);
    auto drawn = drawer.draw(*buffer, frame, {});
    ASSERT_TRUE(drawn.ok()) << drawn.error().message();
    // Then a later frame, redrawing what changed: nothing.
    const auto next = sources::pattern_frame(pq_ramp, width, height, 1, 16);
    const std::vector<PixelRect> changed = sources::pattern_changes(frame, next);
    EXPECT_TRUE(changed.empty());
    ASSERT_TRUE(drawer.draw(*buffer, next, {}, std::span<const PixelRect>{changed}).ok());

    const std::vector<uint8_t> bytes = read_plane(*buffer);
    const uint32_t stride = buffer->planes()[0].stride;
    ASSERT_GT(stride, width * 4);
    ASSERT_GE(bytes.size(), size_t{stride} * height);
    for (uint32_t y = 0; y < height; ++y) {
        for (uint32_t x = 0; x < width; ++x) {
            ASSERT_EQ(le32(&bytes[size_t{y} * stride + x * 4]), xrgb_word(code_at(x, width))) << x << "," << y;
        }
        for (uint32_t b = width * 4; b < stride && size_t{y} * stride + b < bytes.size(); ++b) {
            ASSERT_EQ(bytes[size_t{y} * stride + b], 0) << "padding of row " << y;
        }
    }
}

TEST(PqRampDraws, HalfFloatBuffersGetTheNearestHalves)
{
    constexpr uint32_t width = 10, height = 3;  // a pixel a bar
    constexpr uint16_t halves[10] = {0x0000, 0x2c01, 0x30c9, 0x34cd, 0x3811, 0x38a5, 0x3939, 0x3a04, 0x3b38, 0x3c00};
    MemfdAllocator memfd{FormatSet{{abgr16f, modifier_linear}}};
    auto buffer = allocate(memfd, abgr16f, width, height);
    ASSERT_TRUE(buffer);
    render::CpuPatternDrawer drawer;
    auto drawn = drawer.draw(*buffer, sources::pattern_frame(pq_ramp, width, height, 0, 0), {});
    ASSERT_TRUE(drawn.ok()) << drawn.error().message();
    const std::vector<uint8_t> bytes = read_plane(*buffer);
    const uint32_t stride = buffer->planes()[0].stride;
    for (uint32_t y = 0; y < height; ++y) {
        for (uint32_t x = 0; x < width; ++x) {
            const uint64_t h = halves[x];
            ASSERT_EQ(le64(&bytes[size_t{y} * stride + x * 8]), uint64_t{0x3c00} << 48 | h << 32 | h << 16 | h) << x << "," << y;
        }
    }
}

TEST(PqRampDraws, AnEightBitBufferIsRefusedWithTheFormatsThatWork)
{
    const DrmFormat xrgb8888{DRM_FORMAT_XRGB8888};
    MemfdAllocator memfd{FormatSet{{xrgb8888, modifier_linear}}};
    auto buffer = allocate(memfd, xrgb8888, 16, 4);
    ASSERT_TRUE(buffer);
    render::CpuPatternDrawer drawer;
    auto drawn = drawer.draw(*buffer, sources::pattern_frame(pq_ramp, 16, 4, 0, 0), {});
    ASSERT_FALSE(drawn.ok());
    const std::string m = drawn.error().message();
    EXPECT_NE(m.find("XRGB8888"), std::string::npos) << m;
    EXPECT_NE(m.find("XRGB2101010"), std::string::npos) << m;
    EXPECT_NE(m.find("ABGR16161616F"), std::string::npos) << m;
    EXPECT_EQ(read_plane(*buffer), std::vector<uint8_t>(read_plane(*buffer).size(), 0)) << "nothing written";
}

// The producer, its memfd backend drawing on the CPU, and a test compositor that offers
// XRGB2101010: the buffer of the last commit holds the codes.
TEST(PqRampProducer, TheCompositorGetsTheCodesBitForBit)
{
    constexpr uint32_t width = 40, height = 8;
    Config config;
    config.formats = FormatSet{{xrgb2101010, modifier_linear}};
    auto comp = TestCompositor::create(std::move(config));
    ASSERT_TRUE(comp.ok()) << comp.error().message();
    MemfdFactory memfd{FormatSet{{xrgb2101010, modifier_linear}}};
    memfd.draws = true;
    producer::ProducerConfig pc;
    pc.display = (*comp)->socket_name();
    pc.width = width;
    pc.height = height;
    pc.format = xrgb2101010;
    pc.backends = memfd.factory();
    pc.timeout = 2000ms;
    auto p = producer::Producer::create(std::move(pc));
    ASSERT_TRUE(p.ok()) << p.error().message();
    for (uint64_t f = 0; f < 3; ++f) {
        auto frame = (*p)->acquire();
        ASSERT_TRUE(frame.ok() && *frame) << (frame.ok() ? "no frame" : frame.error().message());
        ASSERT_EQ((*p)->cannot_draw(**frame), "");
        auto drawn = (*p)->draw(**frame, sources::pattern_frame(pq_ramp, width, height, f, f * 16), {});
        ASSERT_TRUE(drawn.ok()) << drawn.error().message();
        ASSERT_TRUE((*p)->queue(**frame).ok());
        ASSERT_TRUE((*p)->dispatch(20ms).ok());
    }
    ASSERT_TRUE((*comp)->wait_until([](const Records& r) {
        size_t shown = 0;
        for (const auto& c : r.commits) shown += c.attached && c.buffer ? 1 : 0;
        return shown >= 3;
    }));
    auto shown = (*comp)->read_last_committed_buffer();
    ASSERT_TRUE(shown.ok()) << shown.error().message();
    ASSERT_EQ(shown->rows, height);
    ASSERT_GE(shown->stride, width * 4);
    for (uint32_t y = 0; y < height; ++y) {
        for (uint32_t x = 0; x < width; ++x) {
            const uint32_t w = le32(&shown->bytes[size_t{y} * shown->stride + x * 4]);
            ASSERT_EQ(w, xrgb_word(code_at(x, width))) << x << "," << y;
        }
    }
    // 100 cd/m², the fifth bar (x 16..19): R, G and B all 520.
    const uint32_t w = le32(&shown->bytes[16 * 4]);
    EXPECT_EQ((w >> 20) & 0x3ff, 520u);
    EXPECT_EQ((w >> 10) & 0x3ff, 520u);
    EXPECT_EQ(w & 0x3ff, 520u);
}

}  // namespace
}  // namespace dmafeed::test
