// nodrm: the GPU patterns on lavapipe. pattern.comp draws straight into exported images; read back
// through mmap of the dma-bufs, every byte equals what the CPU pattern source packs for the same
// frame, for every pattern, every 8-bit format the allocator can give storage images, odd and even
// sizes, and three YUV encodings. Also: what cannot be drawn says why.
#include "alloc/dmabuf_mapping.hpp"
#include "alloc/vulkan_allocator.hpp"
#include "drm/format_info.hpp"
#include "drm/sync_file.hpp"
#include "fd_count.hpp"
#include "render/gpu_pattern.hpp"
#include "pixels/packer.hpp"
#include "sources/pattern.hpp"
#include "vm_session.hpp"
#include "vulkan_fixture.hpp"

#include <cstring>
#include <drm_fourcc.h>
#include <gtest/gtest.h>
#include <memory>
#include <string>

namespace dmafeed::test {
namespace {

using namespace std::chrono_literals;
using sources::PatternKind;
using sources::PatternSpec;
using pixels::YuvEncoding;
using pixels::YuvMatrix;
using pixels::YuvRange;

class NodrmGpuPattern : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        if (vm_setup() != "nodrm") return;
        auto stack = VulkanStack::create({}, VK_IMAGE_USAGE_TRANSFER_DST_BIT);
        ASSERT_TRUE(stack.ok()) << stack.error().message();
        stack_ = std::make_unique<VulkanStack>(std::move(stack).value());
        auto allocator = VulkanAllocator::create(*stack_->device, VK_IMAGE_USAGE_TRANSFER_DST_BIT, VK_IMAGE_USAGE_STORAGE_BIT);
        ASSERT_TRUE(allocator.ok()) << allocator.error().message();
        storage_allocator_ = std::move(*allocator);
        auto renderer = render::PatternRenderer::create(*stack_->device);
        ASSERT_TRUE(renderer.ok()) << renderer.error().message();
        renderer_ = std::move(*renderer);
    }
    static void TearDownTestSuite()
    {
        renderer_.reset();
        storage_allocator_.reset();
        stack_.reset();
    }
    void SetUp() override
    {
        if (vm_setup() != "nodrm") GTEST_SKIP() << "nodrm set-up only";
        ASSERT_NE(renderer_, nullptr);
    }

    static std::unique_ptr<Buffer> allocate(DrmFormat format, uint32_t w, uint32_t h)
    {
        auto b = storage_allocator_->allocate({.format = format, .width = w, .height = h, .modifiers = {modifier_linear}});
        EXPECT_TRUE(b.ok()) << b.error().message();
        return b ? std::move(*b) : nullptr;
    }

    // Draws `frame` on the GPU, waits for its fence, and compares every plane byte for byte with
    // the CPU packing of the same frame. Returns the number of bytes compared.
    static uint64_t compare(const Buffer& buffer, const PatternSpec& spec, uint64_t frame_no, YuvEncoding encoding)
    {
        const auto& parts = static_cast<const VulkanBuffer&>(buffer).parts();
        const auto frame = sources::pattern_frame(spec, buffer.width(), buffer.height(), frame_no, 4321);
        auto fence = renderer_->render(buffer, parts, frame, pixels::yuv_coefficients(encoding));
        EXPECT_TRUE(fence.ok()) << fence.error().message();
        if (!fence) return 0;
        if (fence->valid()) {
            auto done = drm::wait_fence(fence->get(), 20s);
            EXPECT_TRUE(done.ok() && *done) << "the render fence did not signal";
        }
        auto cpu = sources::PatternSource::create(spec, buffer.format(), buffer.width(), buffer.height(), encoding);
        EXPECT_TRUE(cpu.ok()) << cpu.error().message();
        if (!cpu) return 0;
        const auto expected = cpu->render(frame_no, 4321);
        const FormatInfo& info = *format_info(buffer.format());
        uint64_t compared = 0;
        for (uint32_t p = 0; p < info.plane_count; ++p) {
            const BufferPlane& plane = buffer.planes()[p];
            auto map = DmabufMapping::map(plane.fd.get(), dmabuf_size(plane.fd.get()), DmabufMapping::Access::read);
            EXPECT_TRUE(map.ok()) << map.error().message();
            if (!map) return compared;
            const uint32_t rows = plane_height(info, p, buffer.height());
            const uint32_t row_bytes = plane_width(info, p, buffer.width()) * info.planes[p].bytes_per_pixel;
            for (uint32_t y = 0; y < rows; ++y) {
                const uint8_t* got = map->bytes().data() + plane.offset + size_t{y} * plane.stride;
                const uint8_t* want = expected[p].data.data() + size_t{y} * expected[p].row_bytes;
                for (uint32_t x = 0; x < row_bytes; ++x) {
                    if (got[x] != want[x]) {
                        ADD_FAILURE() << name(buffer.format()) << " " << buffer.width() << "x" << buffer.height() << " "
                                      << spec.to_string() << " " << encoding.to_string() << ": plane " << p << " row " << y
                                      << " byte " << x << " is " << int{got[x]} << ", the CPU packs " << int{want[x]};
                        return compared;
                    }
                }
                compared += row_bytes;
            }
        }
        return compared;
    }

    static inline std::unique_ptr<VulkanStack> stack_;
    static inline std::unique_ptr<VulkanAllocator> storage_allocator_;
    static inline std::unique_ptr<render::PatternRenderer> renderer_;
};

const PatternSpec all_patterns[] = {{PatternKind::smpte, {}},
                                    {PatternKind::ramp, {}},
                                    {PatternKind::checker, {}},
                                    {PatternKind::moving_box, {}},
                                    {PatternKind::solid, {233, 91, 66}}};

TEST_F(NodrmGpuPattern, EveryPatternMatchesTheCpuByteForByteInEveryDrawableFormat)
{
    const int fds_before = open_fd_count();
    std::vector<std::string> drawn, not_drawn;
    uint64_t bytes = 0;
    for (const FormatInfo& info : known_formats()) {
        if (!render::PatternRenderer::draws_format(info.format)) continue;  // packed on the CPU only
        if (!storage_allocator_->supported().contains({info.format, modifier_linear})) continue;
        // Odd sizes too: a subsampled chroma texel at the edge covers fewer pixels.
        for (const auto& [w, h] : {std::pair{96U, 64U}, std::pair{97U, 61U}}) {
            auto buffer = allocate(info.format, w, h);
            ASSERT_NE(buffer, nullptr);
            const auto& parts = static_cast<const VulkanBuffer&>(*buffer).parts();
            if (auto why = render::PatternRenderer::cannot_draw(*stack_->device, *buffer, parts); !why.empty()) {
                not_drawn.push_back(why);
                break;
            }
            for (const PatternSpec& spec : all_patterns) {
                for (const uint64_t frame : {0ULL, 77ULL}) {
                    bytes += compare(*buffer, spec, frame, {});
                    if (HasFailure()) return;
                }
            }
            if (w == 96) drawn.push_back(name(info.format));
        }
    }
    std::string list;
    for (const auto& d : drawn) list += d + " ";
    std::printf("drawn on the GPU, equal to the CPU: %s(%llu bytes)\n", list.c_str(), static_cast<unsigned long long>(bytes));
    for (const auto& n : not_drawn) std::printf("not drawable: %s\n", n.c_str());
    // XRGB8888 and the YUV formats that weston shows are the ones that matter.
    for (const char* must : {"XRGB8888", "NV12", "YUV420"}) {
        EXPECT_NE(list.find(must), std::string::npos) << must << " was not drawn on the GPU";
    }
    EXPECT_EQ(open_fd_count(), fds_before);
}

TEST_F(NodrmGpuPattern, YuvEncodingsMatchTheCpu)
{
    for (const DrmFormat format : {DrmFormat{DRM_FORMAT_NV12}, DrmFormat{DRM_FORMAT_YUV420}}) {
        auto buffer = allocate(format, 128, 72);
        ASSERT_NE(buffer, nullptr);
        for (const YuvEncoding e : {YuvEncoding{YuvMatrix::bt709, YuvRange::limited}, YuvEncoding{YuvMatrix::bt709, YuvRange::full},
                                    YuvEncoding{YuvMatrix::bt2020, YuvRange::limited}, YuvEncoding{YuvMatrix::bt601, YuvRange::full}}) {
            EXPECT_GT(compare(*buffer, {PatternKind::smpte, {}}, 5, e), 0U);
            EXPECT_GT(compare(*buffer, {PatternKind::solid, {255, 0, 0}}, 5, e), 0U);
            if (HasFailure()) return;
        }
    }
}

TEST_F(NodrmGpuPattern, RedrawingOnlyWhatChangedGivesTheSameBytesAsAFullDraw)
{
    // Frame after frame into one buffer, each drawing only sources::pattern_changes() of the
    // previous one (the box's old and new places, the stamp, the checker's phase flip at frame 30):
    // frame 40 must equal the CPU's full frame 40.
    for (const DrmFormat format : {DrmFormat{DRM_FORMAT_XRGB8888}, DrmFormat{DRM_FORMAT_NV12}, DrmFormat{DRM_FORMAT_YUV420}}) {
        for (const PatternKind kind : {PatternKind::moving_box, PatternKind::checker, PatternKind::smpte}) {
            auto buffer = allocate(format, 97, 61);
            ASSERT_NE(buffer, nullptr);
            const PatternSpec spec{kind, {}};
            const auto& parts = static_cast<const VulkanBuffer&>(*buffer).parts();
            const auto k = pixels::yuv_coefficients({});
            auto previous = sources::pattern_frame(spec, 97, 61, 0, 0);
            ASSERT_TRUE(renderer_->render(*buffer, parts, previous, k).ok());
            size_t partial_pixels = 0;
            for (uint64_t f = 1; f <= 40; ++f) {
                const auto next = sources::pattern_frame(spec, 97, 61, f, f * 10);
                const auto changed = sources::pattern_changes(previous, next);
                for (const auto& r : changed) partial_pixels += size_t{r.width} * r.height;
                auto drawn = renderer_->render(*buffer, parts, next, k, std::span<const sources::PixelRect>{changed});
                ASSERT_TRUE(drawn.ok()) << drawn.error().message();
                if (drawn->valid()) {
                    ASSERT_TRUE(*drm::wait_fence(drawn->get(), 20s));
                }
                previous = next;
            }
            // compare() draws frame 40 in full first: check the buffer as the partial draws left it.
            auto cpu = sources::PatternSource::create(spec, format, 97, 61);
            ASSERT_TRUE(cpu.ok());
            const auto expected = cpu->render(40, 400);
            const FormatInfo& info = *format_info(format);
            for (uint32_t p = 0; p < info.plane_count; ++p) {
                const BufferPlane& plane = buffer->planes()[p];
                auto map = DmabufMapping::map(plane.fd.get(), dmabuf_size(plane.fd.get()), DmabufMapping::Access::read);
                ASSERT_TRUE(map.ok()) << map.error().message();
                const uint32_t row_bytes = plane_width(info, p, 97) * info.planes[p].bytes_per_pixel;
                for (uint32_t y = 0; y < plane_height(info, p, 61); ++y) {
                    const uint8_t* got = map->bytes().data() + plane.offset + size_t{y} * plane.stride;
                    const uint8_t* want = expected[p].data.data() + size_t{y} * expected[p].row_bytes;
                    ASSERT_EQ(std::memcmp(got, want, row_bytes), 0)
                        << name(format) << " " << spec.to_string() << ": plane " << p << " row " << y << " differs";
                }
            }
            std::printf("%s %s: 40 frames redrew %.1f%% of the pixels a full draw each would\n", name(format).c_str(),
                        spec.to_string().c_str(), 100.0 * static_cast<double>(partial_pixels) / (40.0 * 97 * 61));
        }
    }
}

TEST_F(NodrmGpuPattern, ABufferWithoutStorageImagesSaysWhy)
{
    // The export-only allocator of the fixture makes images without STORAGE usage.
    auto b = stack_->allocator->allocate({.format = DrmFormat{DRM_FORMAT_XRGB8888}, .width = 64, .height = 64,
                                          .modifiers = {modifier_linear}});
    ASSERT_TRUE(b.ok()) << b.error().message();
    const auto& parts = static_cast<const VulkanBuffer&>(**b).parts();
    const std::string why = render::PatternRenderer::cannot_draw(*stack_->device, **b, parts);
    EXPECT_NE(why.find("no STORAGE usage"), std::string::npos) << why;
    auto drawn = renderer_->render(**b, parts, sources::pattern_frame({}, 64, 64, 0, 0), pixels::yuv_coefficients({}));
    ASSERT_FALSE(drawn.ok());
    EXPECT_NE(drawn.error().message().find("GPU pattern"), std::string::npos);
}

}  // namespace
}  // namespace dmafeed::test
