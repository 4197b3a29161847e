// Every zwp_linux_buffer_params_v1 error of linux-dmabuf-v1.xml, each raised by the misuse the
// protocol names and seen by the client as that interface and code.
#include "dmabuf_client.hpp"
#include "test_compositor.hpp"

#include <gtest/gtest.h>

namespace dmafeed::test {
namespace {

constexpr int32_t w = 16;
constexpr int32_t h = 8;
constexpr uint32_t stride = w * 4;
constexpr uint64_t linear = DRM_FORMAT_MOD_LINEAR;
constexpr uint64_t implicit = DRM_FORMAT_MOD_INVALID;

struct Misuse {
    ParamsObject& params;
    int fd;  // a memfd of stride * h bytes
    WaylandClient& client;
    // Lets `created` be dispatched: libwayland-client leaks the wl_buffer of an event that is
    // still queued when the connection fails.
    void settle() { EXPECT_TRUE(client.roundtrip()); }
};

struct Case {
    const char* name;
    uint32_t version;
    uint32_t code;
    void (*misuse)(Misuse&);
};

void already_used_add(Misuse& m)
{
    m.params.add(m.fd, 0, 0, stride, linear);
    m.params.create(w, h, DRM_FORMAT_XRGB8888);
    m.settle();
    m.params.add(m.fd, 1, 0, stride, linear);
}
void already_used_create(Misuse& m)
{
    m.params.add(m.fd, 0, 0, stride, linear);
    m.params.create(w, h, DRM_FORMAT_XRGB8888);
    m.settle();
    m.params.create(w, h, DRM_FORMAT_XRGB8888);
}
void already_used_after_immed(Misuse& m)
{
    m.params.add(m.fd, 0, 0, stride, linear);
    m.params.create_immed(w, h, DRM_FORMAT_XRGB8888);
    m.params.create_immed(w, h, DRM_FORMAT_XRGB8888);
}
void plane_idx(Misuse& m)
{
    m.params.add(m.fd, 4, 0, stride, linear);
}
void plane_set(Misuse& m)
{
    m.params.add(m.fd, 0, 0, stride, linear);
    m.params.add(m.fd, 0, 0, stride, linear);
}
void incomplete_nothing_added(Misuse& m)
{
    m.params.create(w, h, DRM_FORMAT_XRGB8888);
}
void incomplete_hole(Misuse& m)
{
    m.params.add(m.fd, 1, 0, stride, linear);
    m.params.create(w, h, DRM_FORMAT_XRGB8888);
}
void incomplete_nv12_without_chroma(Misuse& m)
{
    m.params.add(m.fd, 0, 0, w, linear);
    m.params.create(w, h, DRM_FORMAT_NV12);
}
void incomplete_too_many_planes(Misuse& m)
{
    m.params.add(m.fd, 0, 0, stride, linear);
    m.params.add(m.fd, 1, 0, stride, linear);
    m.params.create(w, h, DRM_FORMAT_XRGB8888);
}
void incomplete_immed(Misuse& m)
{
    m.params.create_immed(w, h, DRM_FORMAT_XRGB8888);
}
void invalid_format_unadvertised_format(Misuse& m)
{
    m.params.add(m.fd, 0, 0, stride, linear);
    m.params.create(w, h, DRM_FORMAT_ABGR8888);
}
void invalid_format_unadvertised_modifier(Misuse& m)
{
    m.params.add(m.fd, 0, 0, stride, I915_FORMAT_MOD_X_TILED);
    m.params.create(w, h, DRM_FORMAT_XRGB8888);
}
void invalid_format_implicit_not_advertised(Misuse& m)
{
    m.params.add(m.fd, 0, 0, w, implicit);  // NV12 is advertised with LINEAR only
    m.params.add(m.fd, 1, 0, w, implicit);
    m.params.create(w, h, DRM_FORMAT_NV12);
}
void invalid_format_mixed_modifiers(Misuse& m)
{
    m.params.add(m.fd, 0, 0, w, linear);
    m.params.add(m.fd, 1, w * h, w, implicit);  // v5: already the add is an error
}
void invalid_dimensions_zero_width(Misuse& m)
{
    m.params.add(m.fd, 0, 0, stride, linear);
    m.params.create(0, h, DRM_FORMAT_XRGB8888);
}
void invalid_dimensions_negative_height(Misuse& m)
{
    m.params.add(m.fd, 0, 0, stride, linear);
    m.params.create_immed(w, -1, DRM_FORMAT_XRGB8888);
}
void out_of_bounds_too_many_rows(Misuse& m)
{
    m.params.add(m.fd, 0, 0, stride, linear);
    m.params.create(w, h + 1, DRM_FORMAT_XRGB8888);
}
void out_of_bounds_offset_past_the_end(Misuse& m)
{
    m.params.add(m.fd, 0, stride * h, stride, linear);
    m.params.create(w, 1, DRM_FORMAT_XRGB8888);
}
void out_of_bounds_offset_plus_stride_overflows(Misuse& m)
{
    m.params.add(m.fd, 0, 0xffffff00U, 0x200, linear);
    m.params.create(w, 1, DRM_FORMAT_XRGB8888);
}
void out_of_bounds_stride_shorter_than_a_row(Misuse& m)
{
    m.params.add(m.fd, 0, 0, stride - 4, linear);
    m.params.create(w, h, DRM_FORMAT_XRGB8888);
}
void out_of_bounds_chroma_plane(Misuse& m)
{
    // Luma fits (16x8 = 128 bytes); 4 chroma rows of 16 bytes from offset 480 end past 512.
    m.params.add(m.fd, 0, 0, w, linear);
    m.params.add(m.fd, 1, stride * h - 2 * w, w, linear);
    m.params.create(w, h, DRM_FORMAT_NV12);
}
void invalid_wl_buffer(Misuse& m)
{
    m.params.add(m.fd, 0, 0, stride, linear);  // a fail_pairs pair
    m.params.create_immed(w, h, DRM_FORMAT_ARGB8888);
}

constexpr uint32_t e_already_used = ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_ALREADY_USED;
constexpr uint32_t e_plane_idx = ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_PLANE_IDX;
constexpr uint32_t e_plane_set = ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_PLANE_SET;
constexpr uint32_t e_incomplete = ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INCOMPLETE;
constexpr uint32_t e_invalid_format = ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_FORMAT;
constexpr uint32_t e_invalid_dimensions = ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_DIMENSIONS;
constexpr uint32_t e_out_of_bounds = ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_OUT_OF_BOUNDS;
constexpr uint32_t e_invalid_wl_buffer = ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_WL_BUFFER;

const Case cases[] = {
    {"AlreadyUsedAddAfterCreate", 4, e_already_used, already_used_add},
    {"AlreadyUsedCreateTwice", 3, e_already_used, already_used_create},
    {"AlreadyUsedAfterCreateImmed", 5, e_already_used, already_used_after_immed},
    {"PlaneIdxOutOfBounds", 4, e_plane_idx, plane_idx},
    {"PlaneSetTwice", 4, e_plane_set, plane_set},
    {"IncompleteNothingAdded", 4, e_incomplete, incomplete_nothing_added},
    {"IncompleteHoleInPlanes", 4, e_incomplete, incomplete_hole},
    {"IncompleteNv12WithoutChroma", 4, e_incomplete, incomplete_nv12_without_chroma},
    {"IncompleteTooManyPlanesForLinear", 4, e_incomplete, incomplete_too_many_planes},
    {"IncompleteWithCreateImmed", 4, e_incomplete, incomplete_immed},
    {"InvalidFormatV3Unadvertised", 3, e_invalid_format, invalid_format_unadvertised_format},
    {"InvalidFormatUnadvertisedFormat", 4, e_invalid_format, invalid_format_unadvertised_format},
    {"InvalidFormatUnadvertisedModifier", 4, e_invalid_format, invalid_format_unadvertised_modifier},
    {"InvalidFormatImplicitNotAdvertised", 5, e_invalid_format, invalid_format_implicit_not_advertised},
    {"InvalidFormatV5MixedModifiers", 5, e_invalid_format, invalid_format_mixed_modifiers},
    {"InvalidDimensionsZeroWidth", 4, e_invalid_dimensions, invalid_dimensions_zero_width},
    {"InvalidDimensionsNegativeHeightImmed", 4, e_invalid_dimensions, invalid_dimensions_negative_height},
    {"OutOfBoundsTooManyRows", 4, e_out_of_bounds, out_of_bounds_too_many_rows},
    {"OutOfBoundsOffsetPastTheEnd", 4, e_out_of_bounds, out_of_bounds_offset_past_the_end},
    {"OutOfBoundsOffsetPlusStrideOverflows", 4, e_out_of_bounds, out_of_bounds_offset_plus_stride_overflows},
    {"OutOfBoundsLinearStrideShorterThanARow", 4, e_out_of_bounds, out_of_bounds_stride_shorter_than_a_row},
    {"OutOfBoundsChromaPlane", 4, e_out_of_bounds, out_of_bounds_chroma_plane},
    {"InvalidWlBufferFromCreateImmed", 4, e_invalid_wl_buffer, invalid_wl_buffer},
};

class CompositorParamsError : public ::testing::TestWithParam<Case> {};

TEST_P(CompositorParamsError, RaisesTheProtocolsError)
{
    const Case& c = GetParam();
    auto compositor = TestCompositor::create({.dmabuf_version = c.version});
    ASSERT_TRUE(compositor) << compositor.error().message();
    (*compositor)->fail_pairs({{DrmFormat{DRM_FORMAT_ARGB8888}, modifier_linear}});
    auto client = WaylandClient::connect(**compositor);
    ASSERT_TRUE(client);
    auto dmabuf = client->bind<zwp_linux_dmabuf_v1>(&zwp_linux_dmabuf_v1_interface, c.version);
    ASSERT_TRUE(dmabuf);
    UniqueFd fd = make_memfd(size_t{stride} * h);
    {
        ParamsObject params{dmabuf.get()};
        Misuse misuse{params, fd.get(), *client};
        c.misuse(misuse);
        EXPECT_FALSE(client->roundtrip());
    }
    const auto error = client->protocol_error();
    ASSERT_TRUE(error) << "no protocol error; errno " << client->error();
    EXPECT_EQ(error->interface, "zwp_linux_buffer_params_v1");
    EXPECT_EQ(error->code, c.code);

    const Records records = (*compositor)->records();
    ASSERT_EQ(records.errors.size(), 1U);
    EXPECT_EQ(records.errors[0].code, c.code);
    EXPECT_FALSE(records.errors[0].message.empty());
    ASSERT_EQ(records.params.size(), 1U);
    EXPECT_EQ(records.params[0].outcome, ParamsOutcome::protocol_error);
    EXPECT_EQ(records.params[0].error_code, c.code);
}

INSTANTIATE_TEST_SUITE_P(Xml, CompositorParamsError, ::testing::ValuesIn(cases),
                         [](const auto& param_info) { return std::string{param_info.param.name}; });

TEST(CompositorParamsError, PairsOutsideACustomFeedbackAreInvalid)
{
    // Config::formats (the default XRGB8888 INVALID among them) does not count once a feedback is given.
    const FeedbackConfig feedback = FeedbackConfig::single(
        makedev(226, 128), FormatSet{{DrmFormat{DRM_FORMAT_XRGB8888}, modifier_linear}});
    auto compositor = TestCompositor::create({.dmabuf_version = 4, .feedback = feedback});
    ASSERT_TRUE(compositor);
    auto client = WaylandClient::connect(**compositor);
    ASSERT_TRUE(client);
    auto dmabuf = client->bind<zwp_linux_dmabuf_v1>(&zwp_linux_dmabuf_v1_interface, 4);
    UniqueFd fd = make_memfd(size_t{stride} * h);
    {
        ParamsObject params{dmabuf.get()};
        params.add(fd.get(), 0, 0, stride, implicit);
        params.create(w, h, DRM_FORMAT_XRGB8888);
        EXPECT_FALSE(client->roundtrip());
    }
    const auto error = client->protocol_error();
    ASSERT_TRUE(error);
    EXPECT_EQ(error->code, e_invalid_format);
}

// The same misuse is fine where the protocol allows it.
TEST(CompositorParamsLegal, PlanesInAnyOrderAndTiledModifiersWithAuxPlanes)
{
    const FormatSet formats{{DrmFormat{DRM_FORMAT_XRGB8888}, DrmModifier{I915_FORMAT_MOD_Y_TILED_CCS}}};
    auto compositor = TestCompositor::create({.dmabuf_version = 5, .formats = formats});
    ASSERT_TRUE(compositor);
    auto client = WaylandClient::connect(**compositor);
    ASSERT_TRUE(client);
    auto dmabuf = client->bind<zwp_linux_dmabuf_v1>(&zwp_linux_dmabuf_v1_interface, 5);
    UniqueFd fd = make_memfd(size_t{stride} * h * 2);
    ParamsObject params{dmabuf.get()};
    params.add(fd.get(), 1, stride * h, 128, I915_FORMAT_MOD_Y_TILED_CCS);  // CCS aux plane
    params.add(fd.get(), 0, 0, stride, I915_FORMAT_MOD_Y_TILED_CCS);
    params.create(w, h, DRM_FORMAT_XRGB8888);
    ASSERT_TRUE(client->dispatch_until([&] { return params.created || params.failed; }));
    EXPECT_TRUE(params.created);
    EXPECT_TRUE((*compositor)->records().errors.empty());
}

}  // namespace
}  // namespace dmafeed::test
