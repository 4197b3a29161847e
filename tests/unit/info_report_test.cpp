// dmafeed-info's report on made-up input: the pairs both sides have are marked and listed in the
// compositor's order, maximum extents are shown, and the JSON carries the same facts.
#include "info/report.hpp"

#include <drm_fourcc.h>
#include <gtest/gtest.h>
#include <sys/sysmacros.h>

namespace dmafeed::info {
namespace {

constexpr DrmFormat xrgb{DRM_FORMAT_XRGB8888}, nv12{DRM_FORMAT_NV12}, argb{DRM_FORMAT_ARGB8888};
constexpr DrmModifier tiled{0x0100000000000002ULL};

Report sample()
{
    Report r;
    r.display = "wayland-test";
    r.globals = {{1, "wl_compositor", 6}, {2, "zwp_linux_dmabuf_v1", 5}};
    r.dmabuf_version = 5;
    wl::Feedback fb;
    fb.main_device = makedev(226, 128);
    fb.tranches.push_back({makedev(226, 128), 1, FormatSet{{xrgb, tiled}, {xrgb, modifier_linear}}});
    fb.tranches.push_back({makedev(226, 128), 0, FormatSet{{nv12, modifier_linear}, {argb, modifier_implicit}}});
    r.feedback = fb;
    r.local_device = makedev(226, 128);
    r.allocators.push_back({"vulkan on test", {{{xrgb, modifier_linear}, 16384, 8192}, {{nv12, modifier_linear}, 4096, 4096},
                                                {{argb, modifier_linear}, 16384, 16384}}});
    r.allocators.push_back({"gbm on test", {{{argb, modifier_implicit}, 0, 0}, {{xrgb, modifier_linear}, 0, 0}}});
    return r;
}

TEST(InfoReport, CommonPairsAreTheCompositorsInItsOrderWithTheirProducers)
{
    const Report r = sample();
    EXPECT_EQ(r.common().to_string(), "XRGB8888: LINEAR; NV12: LINEAR; ARGB8888: INVALID");
    EXPECT_EQ(r.producers_of({xrgb, modifier_linear}), (std::vector<std::string>{"vulkan on test", "gbm on test"}));
    EXPECT_TRUE(r.producers_of({xrgb, tiled}).empty());
}

TEST(InfoReport, TextMarksBothSidesAndShowsTranchesAndExtents)
{
    const std::string text = to_text(sample());
    for (const char* want : {"compositor: wayland-test", "  zwp_linux_dmabuf_v1 v5", "zwp_linux_dmabuf_v1 v5, default feedback:",
                             "tranche 1: target device ", "flags scanout, 2 pairs", "    XRGB8888: INTEL:Y_TILED, LINEAR*",
                             "tranche 2: ", "flags 0", "    NV12: LINEAR*", "    ARGB8888: INVALID*",
                             "  vulkan on test: 3 pairs", "XRGB8888: LINEAR* (max 16384x8192)", "ARGB8888: LINEAR (max 16384x16384)",
                             "  gbm on test: 2 pairs", "3 pairs in common, best first: XRGB8888: LINEAR; NV12: LINEAR; ARGB8888: INVALID"}) {
        EXPECT_NE(text.find(want), std::string::npos) << "missing \"" << want << "\" in\n" << text;
    }
}

TEST(InfoReport, VersionThreeHasOneListOfModifierEvents)
{
    Report r = sample();
    r.feedback.reset();
    r.dmabuf_version = 3;
    r.v3_formats = FormatSet{{nv12, modifier_linear}};
    const std::string text = to_text(r);
    EXPECT_NE(text.find("v3 (no feedback before v4), modifier events: 1 pairs"), std::string::npos) << text;
    EXPECT_EQ(r.common().to_string(), "NV12: LINEAR");
    const std::string json = to_json(r);
    EXPECT_NE(json.find("\"main_device\": null"), std::string::npos) << json;
}

TEST(InfoReport, VersionSixNamesTheSamplingTranchesAndWhereTheMainDeviceCameFrom)
{
    Report r = sample();
    r.dmabuf_version = 6;
    r.feedback->main_device_sent = false;
    r.feedback->tranches[1].flags = 2;
    r.feedback->tranches[0].flags = 3;
    const std::string text = to_text(r);
    for (const char* want : {"zwp_linux_dmabuf_v1 v6, default feedback:",
                             "main device: ", "(v6 sends none: the first sampling tranche's device)",
                             "flags scanout|sampling, 2 pairs", "flags sampling, 2 pairs"}) {
        EXPECT_NE(text.find(want), std::string::npos) << "missing \"" << want << "\" in\n" << text;
    }
    const std::string json = to_json(r);
    EXPECT_NE(json.find("\"flags\": 3, \"scanout\": true, \"sampling\": true"), std::string::npos) << json;
    EXPECT_NE(json.find("\"flags\": 2, \"scanout\": false, \"sampling\": true"), std::string::npos) << json;
}

TEST(InfoReport, JsonCarriesTheSameFacts)
{
    const std::string json = to_json(sample());
    for (const char* want : {"\"display\": \"wayland-test\"", "{\"interface\": \"zwp_linux_dmabuf_v1\", \"version\": 5}",
                             "\"linux_dmabuf_version\": 5", "\"scanout\": true",
                             "\"format\": \"XRGB8888\", \"fourcc\": \"XR24\", \"modifier\": \"LINEAR\", \"modifier_value\": \"0x0000000000000000\", \"common\": true",
                             "\"modifier_value\": \"0x0100000000000002\", \"common\": false",
                             "\"max_width\": 16384, \"max_height\": 8192, \"common\": true", "\"allocator_errors\": []"}) {
        EXPECT_NE(json.find(want), std::string::npos) << "missing " << want << " in\n" << json;
    }
}

TEST(InfoReport, ColourManagementIsShownByTheProtocolsNames)
{
    Report r = sample();
    EXPECT_EQ(to_text(r).find("wp_color_manager_v1"), std::string::npos) << "not offered: not shown";
    EXPECT_EQ(to_json(r).find("color_manager"), std::string::npos);
    // What mutter 51 lists, in part: enum values of wp_color_manager_v1.
    r.color = wl::ColorManagerSupport{.version = 2, .intents = {0}, .features = {1, 2, 5}, .tf_named = {2, 11}, .primaries_named = {1, 6}};
    EXPECT_NE(to_text(r).find("wp_color_manager_v1 v2: intents perceptual; features parametric, set_primaries, "
                              "set_mastering_display_primaries; tf gamma22, st2084_pq; primaries srgb, bt2020\n"),
              std::string::npos)
        << to_text(r);
    EXPECT_NE(to_json(r).find("\"color_manager\": {\"version\": 2, \"features\": [\"parametric\", \"set_primaries\", "
                              "\"set_mastering_display_primaries\"], \"transfer_functions\": [\"gamma22\", \"st2084_pq\"], "
                              "\"primaries\": [\"srgb\", \"bt2020\"], \"intents\": [\"perceptual\"]}"),
              std::string::npos)
        << to_json(r);
}

TEST(InfoReport, NamesAreEscapedInJson)
{
    Report r = sample();
    r.display = "we\"ird\\name\n";
    EXPECT_NE(to_json(r).find("\"display\": \"we\\\"ird\\\\name\\u000a\""), std::string::npos) << to_json(r);
}

}  // namespace
}  // namespace dmafeed::info
